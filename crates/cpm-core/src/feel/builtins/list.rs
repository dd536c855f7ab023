//! List built-ins, the boolean `not`, `all` and `any`, and the statistics `sum`, `mean`,
//! `product`, `median`, `stddev`, `mode`. Positions are 1-based; negative positions count
//! from the end (`-1` is the last item). `sum([])`, `mean([])`, `product([])`,
//! `median([])`, `min([])` and `max([])` are `null`; `mode([])` is `[]`.

use std::cmp::Ordering;

use rust_decimal::{Decimal, MathematicalOps};

use super::{Invoke, arg, charge, int, items_arg, list_arg};
use crate::feel::err::EvalError;
use crate::value::duration::normalize;
use crate::value::ops::{self, compare, eq3};
use crate::value::{Function, Value};

type R = Result<Value, EvalError>;

/// A 1-based (or negative, from the end) position as a 0-based index into `len` items.
fn index(position: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = match position {
        0 => return None,
        p if p > 0 => p - 1,
        p => len + p,
    };
    if (0..len).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

fn is_equal(a: &Value, b: &Value) -> bool {
    eq3(a, b) == Some(true)
}

/// `not(negand)`: three-valued negation.
pub(super) fn not(args: &[Value], _: &mut dyn Invoke) -> R {
    Ok(match arg(args, 0) {
        Value::Bool(b) => Value::Bool(!b),
        _ => Value::Null,
    })
}

/// `all(list)` or `all(b1, b2, …)`: false if any item is false, else null if any item is
/// not a boolean, else true.
pub(super) fn all(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = items_arg(args) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    Ok(ops::fold_booleans(items.iter(), false))
}

/// `any(list)` or `any(b1, b2, …)`: true if any item is true, else null if any item is
/// not a boolean, else false.
pub(super) fn any(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = items_arg(args) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    Ok(ops::fold_booleans(items.iter(), true))
}

/// `list contains(list, element)`: whether an item equals the element (`null` included).
pub(super) fn list_contains(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let element = arg(args, 1);
    Ok(Value::Bool(items.iter().any(|x| is_equal(x, element))))
}

/// `count(list)`.
pub(super) fn count(args: &[Value], _: &mut dyn Invoke) -> R {
    Ok(match items_arg(args) {
        Some(items) => Value::Number(Decimal::from(items.len())),
        None => Value::Null,
    })
}

fn extreme(args: &[Value], cx: &mut dyn Invoke, want: Ordering) -> R {
    let Some(items) = items_arg(args) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let mut best: Option<&Value> = None;
    for item in items.iter() {
        best = Some(match best {
            None => {
                if compare(item, item).is_none() {
                    return Ok(Value::Null);
                }
                item
            }
            Some(b) => match compare(item, b) {
                Some(o) if o == want => item,
                Some(_) => b,
                None => return Ok(Value::Null),
            },
        });
    }
    Ok(best.cloned().unwrap_or(Value::Null))
}

/// `min(list)` or `min(c1, c2, …)`: the smallest of mutually comparable items.
pub(super) fn min(args: &[Value], cx: &mut dyn Invoke) -> R {
    extreme(args, cx, Ordering::Less)
}

/// `max(list)` or `max(c1, c2, …)`: the largest of mutually comparable items.
pub(super) fn max(args: &[Value], cx: &mut dyn Invoke) -> R {
    extreme(args, cx, Ordering::Greater)
}

/// The items as numbers, `None` if any is not a number.
fn numbers(args: &[Value], cx: &mut dyn Invoke) -> Result<Option<Vec<Decimal>>, EvalError> {
    let Some(items) = items_arg(args) else {
        return Ok(None);
    };
    charge(cx, items.len())?;
    Ok(items
        .iter()
        .map(|x| match x {
            Value::Number(n) => Some(*n),
            _ => None,
        })
        .collect())
}

fn checked_sum(ns: &[Decimal]) -> Option<Decimal> {
    ns.iter()
        .try_fold(Decimal::ZERO, |acc, n| acc.checked_add(*n))
}

fn number(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, |d| Value::Number(normalize(d)))
}

/// `sum(list)` or `sum(n1, n2, …)`.
pub(super) fn sum(args: &[Value], cx: &mut dyn Invoke) -> R {
    Ok(match numbers(args, cx)? {
        Some(ns) if !ns.is_empty() => number(checked_sum(&ns)),
        _ => Value::Null,
    })
}

fn mean_of(ns: &[Decimal]) -> Option<Decimal> {
    if ns.is_empty() {
        return None;
    }
    checked_sum(ns)?.checked_div(Decimal::from(ns.len()))
}

/// `mean(list)` or `mean(n1, n2, …)`.
pub(super) fn mean(args: &[Value], cx: &mut dyn Invoke) -> R {
    Ok(match numbers(args, cx)? {
        Some(ns) => number(mean_of(&ns)),
        None => Value::Null,
    })
}

/// `product(list)` or `product(n1, n2, …)`.
pub(super) fn product(args: &[Value], cx: &mut dyn Invoke) -> R {
    Ok(match numbers(args, cx)? {
        Some(ns) if !ns.is_empty() => number(
            ns.iter()
                .try_fold(Decimal::ONE, |acc, n| acc.checked_mul(*n)),
        ),
        _ => Value::Null,
    })
}

/// `median(list)`: the middle value, or the mean of the two middle values.
pub(super) fn median(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(mut ns) = numbers(args, cx)? else {
        return Ok(Value::Null);
    };
    charge(cx, ns.len())?;
    crate::sort::sort_by(&mut ns, &mut |a, b| a.cmp(b));
    let n = ns.len();
    Ok(match (ns.get((n.saturating_sub(1)) / 2), ns.get(n / 2)) {
        _ if n == 0 => Value::Null,
        (Some(a), Some(b)) if n % 2 == 0 => {
            number(a.checked_add(*b).and_then(|s| s.checked_div(Decimal::TWO)))
        }
        (_, Some(m)) => number(Some(*m)),
        _ => Value::Null,
    })
}

/// `stddev(list)`: the sample standard deviation (divisor n − 1); `null` for fewer than
/// two items.
pub(super) fn stddev(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(ns) = numbers(args, cx)? else {
        return Ok(Value::Null);
    };
    if ns.len() < 2 {
        return Ok(Value::Null);
    }
    let result = (|| {
        let m = mean_of(&ns)?;
        let mut acc = Decimal::ZERO;
        for n in &ns {
            let d = n.checked_sub(m)?;
            acc = acc.checked_add(d.checked_mul(d)?)?;
        }
        let variance = acc.checked_div(Decimal::from(ns.len() - 1))?;
        variance.sqrt()
    })();
    Ok(number(result))
}

/// `mode(list)`: the most frequent values, ascending.
pub(super) fn mode(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(mut ns) = numbers(args, cx)? else {
        return Ok(Value::Null);
    };
    charge(cx, ns.len())?;
    crate::sort::sort_by(&mut ns, &mut |a, b| a.cmp(b));
    let mut best = 0usize;
    let mut modes: Vec<Decimal> = Vec::new();
    let mut i = 0;
    while let Some(v) = ns.get(i) {
        let run = ns.iter().skip(i).take_while(|x| *x == v).count();
        if run > best {
            best = run;
            modes.clear();
        }
        if run == best {
            modes.push(*v);
        }
        i += run.max(1);
    }
    Ok(Value::list(
        modes
            .into_iter()
            .map(|d| Value::Number(normalize(d)))
            .collect(),
    ))
}

/// `sublist(list, start position, length?)`: `length` items (or all remaining) from the
/// start position; a start outside the list gives `null`.
pub(super) fn sublist(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(items), Some(start)) = (list_arg(arg(args, 0)), int(arg(args, 1))) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let Some(first) = index(start, items.len()) else {
        return Ok(Value::Null);
    };
    let take = match args.get(1 + 1) {
        None => usize::MAX,
        Some(v) => match int(v).and_then(|l| usize::try_from(l).ok()) {
            Some(l) => l,
            None => return Ok(Value::Null),
        },
    };
    Ok(Value::list(
        items.iter().skip(first).take(take).cloned().collect(),
    ))
}

/// `append(list, item…)`.
pub(super) fn append(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len() + args.len())?;
    let mut out = items.into_owned();
    out.extend(args.iter().skip(1).cloned());
    Ok(Value::list(out))
}

/// `concatenate(list…)`: the lists joined in order.
pub(super) fn concatenate(args: &[Value], cx: &mut dyn Invoke) -> R {
    let mut out = Vec::new();
    for a in args {
        let Some(items) = list_arg(a) else {
            return Ok(Value::Null);
        };
        charge(cx, items.len())?;
        out.extend(items.iter().cloned());
    }
    Ok(Value::list(out))
}

/// `insert before(list, position, newItem)`.
pub(super) fn insert_before(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(items), Some(p)) = (list_arg(arg(args, 0)), int(arg(args, 1))) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let Some(i) = index(p, items.len()) else {
        return Ok(Value::Null);
    };
    let mut out = items.into_owned();
    out.insert(i, arg(args, 2).clone());
    Ok(Value::list(out))
}

/// `remove(list, position)`.
pub(super) fn remove(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(items), Some(p)) = (list_arg(arg(args, 0)), int(arg(args, 1))) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let Some(i) = index(p, items.len()) else {
        return Ok(Value::Null);
    };
    let mut out = items.into_owned();
    out.remove(i);
    Ok(Value::list(out))
}

/// `reverse(list)`.
pub(super) fn reverse(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    Ok(Value::list(items.iter().rev().cloned().collect()))
}

/// `index of(list, match)`: the 1-based positions of the items equal to `match`.
pub(super) fn index_of(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let m = arg(args, 1);
    Ok(Value::list(
        items
            .iter()
            .enumerate()
            .filter(|(_, x)| is_equal(x, m))
            .map(|(i, _)| Value::Number(Decimal::from(i + 1)))
            .collect(),
    ))
}

/// Appends the items of `from` to `out` that are not already in it.
fn push_distinct(
    out: &mut Vec<Value>,
    from: &[Value],
    cx: &mut dyn Invoke,
) -> Result<(), EvalError> {
    for item in from {
        charge(cx, out.len())?;
        if !out.iter().any(|x| is_equal(x, item)) {
            out.push(item.clone());
        }
    }
    Ok(())
}

/// `distinct values(list)`: the items without duplicates, first occurrences kept.
pub(super) fn distinct_values(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    let mut out = Vec::new();
    push_distinct(&mut out, &items, cx)?;
    Ok(Value::list(out))
}

/// `union(list…)`: the distinct items of all lists, in order of first occurrence.
pub(super) fn union(args: &[Value], cx: &mut dyn Invoke) -> R {
    let mut out = Vec::new();
    for a in args {
        let Some(items) = list_arg(a) else {
            return Ok(Value::Null);
        };
        push_distinct(&mut out, &items, cx)?;
    }
    Ok(Value::list(out))
}

/// `flatten(list)`: nested lists replaced by their items, recursively.
pub(super) fn flatten(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    let mut out = Vec::new();
    let mut stack: Vec<std::slice::Iter<'_, Value>> = vec![items.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(Value::List(inner)) => {
                charge(cx, inner.len())?;
                stack.push(inner.iter());
            }
            Some(v) => {
                charge(cx, 0)?;
                out.push(v.clone());
            }
        }
    }
    Ok(Value::list(out))
}

/// A fallible "precedes" test: `Ok(None)` when the answer is not a boolean.
type Precedes<'a> = dyn FnMut(&Value, &Value) -> Result<Option<bool>, EvalError> + 'a;

/// Stable merge sort with a fallible "precedes" test. `Ok(None)` when the test gives a
/// non-boolean.
fn merge_sort(
    items: Vec<Value>,
    precedes: &mut Precedes<'_>,
) -> Result<Option<Vec<Value>>, EvalError> {
    let mut runs: Vec<Vec<Value>> = items.into_iter().map(|v| vec![v]).collect();
    while runs.len() > 1 {
        let mut next = Vec::with_capacity(runs.len().div_ceil(2));
        let mut it = runs.into_iter();
        while let Some(left) = it.next() {
            let Some(right) = it.next() else {
                next.push(left);
                break;
            };
            let mut merged = Vec::with_capacity(left.len() + right.len());
            let mut l = left.into_iter().peekable();
            let mut r = right.into_iter().peekable();
            loop {
                let take_right = match (l.peek(), r.peek()) {
                    (Some(a), Some(b)) => match precedes(b, a)? {
                        Some(x) => x,
                        None => return Ok(None),
                    },
                    (Some(_), None) => false,
                    (None, Some(_)) => true,
                    (None, None) => break,
                };
                let item = if take_right { r.next() } else { l.next() };
                merged.extend(item);
            }
            next.push(merged);
        }
        runs = next;
    }
    Ok(Some(runs.into_iter().next().unwrap_or_default()))
}

/// `sort(list, precedes?)`: stable sort where `precedes(a, b)` is true when `a` comes
/// before `b`; without `precedes`, ascending by `<` (items must be comparable).
pub(super) fn sort(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let items = items.into_owned();
    let sorted = match args.get(1) {
        None | Some(Value::Null) => merge_sort(items, &mut |a, b| {
            cx.charge(1)?;
            Ok(compare(a, b).map(Ordering::is_lt))
        })?,
        Some(f @ Value::Function(_)) => {
            let f = f.clone();
            merge_sort(items, &mut |a, b| {
                cx.charge(1)?;
                Ok(match cx.invoke(&f, vec![a.clone(), b.clone()])? {
                    Value::Bool(x) => Some(x),
                    _ => None,
                })
            })?
        }
        Some(_) => None,
    };
    Ok(sorted.map_or(Value::Null, Value::list))
}

/// `list replace(list, position, newItem)` and `list replace(list, match, newItem)`:
/// replaces the item at a position, or every item for which `match(item, newItem)` is
/// true.
pub(super) fn list_replace(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(items) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, items.len())?;
    let new_item = arg(args, 2);
    match arg(args, 1) {
        f
        @ Value::Function(Function::Builtin(_) | Function::Lambda(_) | Function::Knowledge(_)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                match cx.invoke(f, vec![item.clone(), new_item.clone()])? {
                    Value::Bool(true) => out.push(new_item.clone()),
                    Value::Bool(false) => out.push(item.clone()),
                    _ => return Ok(Value::Null),
                }
            }
            Ok(Value::list(out))
        }
        p => {
            let Some(i) = int(p).and_then(|p| index(p, items.len())) else {
                return Ok(Value::Null);
            };
            let mut out = items.into_owned();
            if let Some(slot) = out.get_mut(i) {
                *slot = new_item.clone();
            }
            Ok(Value::list(out))
        }
    }
}
