//! Context built-ins: `get value`, `get entries`, `context`, `context put`,
//! `context merge`. Contexts keep insertion order; replacing an existing key keeps its
//! position.

use std::sync::Arc;

use super::{Invoke, arg, charge, list_arg, single, text};
use crate::feel::err::EvalError;
use crate::value::{Context, Value};

type R = Result<Value, EvalError>;

fn context_arg(v: &Value) -> Option<&Arc<Context>> {
    match single(v) {
        Value::Context(c) => Some(c),
        _ => None,
    }
}

/// `get value(m, key)`: the value of entry `key`, `null` when absent.
pub(super) fn get_value(args: &[Value], _: &mut dyn Invoke) -> R {
    Ok(match (context_arg(arg(args, 0)), text(arg(args, 1))) {
        (Some(c), Some(k)) => c.get(k).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    })
}

/// `get entries(m)`: a list of `{key, value}` contexts in entry order.
pub(super) fn get_entries(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(c) = context_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, c.len())?;
    Ok(Value::list(
        c.iter()
            .map(|(k, v)| {
                let mut e = Context::with_capacity_and_hasher(2, Default::default());
                e.insert("key".to_owned(), Value::String(Arc::from(k.as_str())));
                e.insert("value".to_owned(), v.clone());
                Value::context(e)
            })
            .collect(),
    ))
}

/// `context(entries)`: a context from `{key, value}` contexts; a missing key or value, a
/// non-string key or a duplicate key gives `null`.
pub(super) fn context(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(entries) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    charge(cx, entries.len())?;
    let mut out = Context::with_capacity_and_hasher(entries.len(), Default::default());
    for e in entries.iter() {
        let Value::Context(e) = e else {
            return Ok(Value::Null);
        };
        let (Some(Value::String(k)), Some(v)) = (e.get("key"), e.get("value")) else {
            return Ok(Value::Null);
        };
        if out.insert(k.to_string(), v.clone()).is_some() {
            return Ok(Value::Null);
        }
    }
    Ok(Value::context(out))
}

/// `context put(context, key or keys, value)` by position: a string key sets one entry, a
/// list of keys sets a nested entry.
pub(super) fn put(args: &[Value], cx: &mut dyn Invoke) -> R {
    match arg(args, 1) {
        Value::List(_) => put_keys(args, cx),
        _ => put_key(args, cx),
    }
}

/// `context put(context, key, value)`: a copy with entry `key` set.
pub(super) fn put_key(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(c), Value::String(k)) = (context_arg(arg(args, 0)), arg(args, 1)) else {
        return Ok(Value::Null);
    };
    charge(cx, c.len())?;
    let mut out = Context::clone(c);
    out.insert(k.to_string(), arg(args, 2).clone());
    Ok(Value::context(out))
}

/// `context put(context, keys, value)`: a copy with the nested entry at path `keys` set;
/// every context on the path but the last must exist.
pub(super) fn put_keys(args: &[Value], cx: &mut dyn Invoke) -> R {
    let (Some(c), Value::List(keys)) = (context_arg(arg(args, 0)), arg(args, 1)) else {
        return Ok(Value::Null);
    };
    let mut path = Vec::with_capacity(keys.len());
    for k in keys.iter() {
        let Value::String(k) = k else {
            return Ok(Value::Null);
        };
        path.push(k.as_ref());
    }
    if path.is_empty() {
        return Ok(Value::Null);
    }
    charge(cx, c.len() + path.len())?;
    Ok(put_path(c, &path, arg(args, 2)).map_or(Value::Null, Value::context))
}

fn put_path(c: &Context, path: &[&str], value: &Value) -> Option<Context> {
    let (first, rest) = path.split_first()?;
    let mut out = c.clone();
    let new = if rest.is_empty() {
        value.clone()
    } else {
        match c.get(*first)? {
            Value::Context(inner) => Value::context(put_path(inner, rest, value)?),
            _ => return None,
        }
    };
    out.insert((*first).to_owned(), new);
    Some(out)
}

/// `context merge(contexts)`: the entries of all contexts, later ones replacing earlier
/// ones with the same key.
pub(super) fn merge(args: &[Value], cx: &mut dyn Invoke) -> R {
    let Some(contexts) = list_arg(arg(args, 0)) else {
        return Ok(Value::Null);
    };
    let mut out = Context::default();
    for c in contexts.iter() {
        let Value::Context(c) = c else {
            return Ok(Value::Null);
        };
        charge(cx, c.len())?;
        for (k, v) in c.iter() {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::context(out))
}
