//! Static analysis of decision tables: overlapping rules under UNIQUE, input combinations no
//! rule covers, and rules that can never fire.
//!
//! Pipeline position: `compile`, after name resolution. The analysis understands cells made of
//! literals (numbers, strings, booleans), comparisons with number literals, number ranges,
//! lists of those and `not(...)`; a column with anything else (expressions, `?`, dates) is
//! treated as unknown and left out of the checks that need it, so the analysis never reports
//! a problem it cannot prove.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crate::feel::ast::{CmpOp, Expr, ExprKind};
use crate::ir::{Cell, Table, Test};
use crate::source::HitPolicy;

/// One finding of the analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable code: `overlap`, `gap`, `never-fires`, `type-mismatch`, `analysis-skipped`.
    pub code: &'static str,
    /// What was found, in a sentence a rule author can act on.
    pub message: String,
    /// The rule (0-based) the finding is about, if it is about one rule.
    pub rule: Option<usize>,
}

/// The most findings of one kind reported per table.
const MAX_FINDINGS: usize = 8;
/// Pairwise checks are skipped above this many rules.
const MAX_PAIRWISE_RULES: usize = 2_000;
/// Gap enumeration is skipped above this many input combinations.
const MAX_COMBINATIONS: usize = 100_000;
/// Gap enumeration is skipped when combinations × rules exceeds this.
const MAX_GAP_WORK: usize = 5_000_000;

/// Analyses `table`. `values` holds each input column's declared input values (compiled),
/// which close the column's domain for gap analysis.
pub fn analyse_table(table: &Table, values: &[Option<Cell>]) -> Vec<Finding> {
    let columns: Vec<Column> = (0..table.inputs.len())
        .map(|c| Column::build(table, c, values.get(c).and_then(Option::as_ref)))
        .collect();
    let mut findings = Vec::new();
    never_fires(table, &columns, &mut findings);
    if matches!(table.hit, HitPolicy::Unique) {
        overlaps(table, &columns, &mut findings);
    }
    let has_default = table.outputs.iter().any(|o| o.default.is_some());
    if !has_default && !table.rules.is_empty() {
        gaps(table, &columns, &mut findings);
    }
    findings
}

/// A set of values a cell accepts, as far as the analysis understands it.
#[derive(Clone, Debug, PartialEq)]
enum Set {
    /// Everything (`-`).
    All,
    /// Numbers in a union of intervals.
    Numbers(Vec<Interval>),
    /// Discrete values (strings, booleans); `complement` means "everything but these".
    Discrete {
        values: BTreeSet<Atom>,
        complement: bool,
    },
    /// Not understood.
    Unknown,
}

/// A string or boolean literal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Atom {
    Bool(bool),
    Text(String),
}

impl Atom {
    fn show(&self) -> String {
        match self {
            Atom::Bool(b) => b.to_string(),
            Atom::Text(s) => format!("\"{s}\""),
        }
    }
}

/// An interval of numbers; `None` bounds are infinite.
#[derive(Clone, Debug, PartialEq)]
struct Interval {
    lo: Option<(Decimal, bool)>,
    hi: Option<(Decimal, bool)>,
}

impl Interval {
    fn point(d: Decimal) -> Self {
        Self {
            lo: Some((d, true)),
            hi: Some((d, true)),
        }
    }

    fn is_empty(&self) -> bool {
        match (self.lo, self.hi) {
            (Some((lo, lo_in)), Some((hi, hi_in))) => lo > hi || (lo == hi && !(lo_in && hi_in)),
            _ => false,
        }
    }

    fn intersects(&self, other: &Interval) -> bool {
        let lo = max_lo(self.lo, other.lo);
        let hi = min_hi(self.hi, other.hi);
        !Interval { lo, hi }.is_empty()
    }
}

fn max_lo(a: Option<(Decimal, bool)>, b: Option<(Decimal, bool)>) -> Option<(Decimal, bool)> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some((x, xi)), Some((y, yi))) => Some(if x > y {
            (x, xi)
        } else if y > x {
            (y, yi)
        } else {
            (x, xi && yi)
        }),
    }
}

fn min_hi(a: Option<(Decimal, bool)>, b: Option<(Decimal, bool)>) -> Option<(Decimal, bool)> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some((x, xi)), Some((y, yi))) => Some(if x < y {
            (x, xi)
        } else if y < x {
            (y, yi)
        } else {
            (x, xi && yi)
        }),
    }
}

/// A number literal (with optional unary minus).
fn number(e: &Expr) -> Option<Decimal> {
    e.number_literal()
}

/// The set one positive test accepts.
fn test_set(test: &Test) -> Set {
    match test {
        Test::Predicate(_) => Set::Unknown,
        Test::Compare(op, e) => {
            let Some(d) = number(e) else {
                return match (&e.kind, op) {
                    (ExprKind::String(s), CmpOp::Eq) => discrete(Atom::Text(s.to_string()), false),
                    (ExprKind::String(s), CmpOp::Ne) => discrete(Atom::Text(s.to_string()), true),
                    (ExprKind::Bool(b), CmpOp::Eq) => discrete(Atom::Bool(*b), false),
                    _ => Set::Unknown,
                };
            };
            let iv = |lo, hi| Set::Numbers(vec![Interval { lo, hi }]);
            match op {
                CmpOp::Lt => iv(None, Some((d, false))),
                CmpOp::Le => iv(None, Some((d, true))),
                CmpOp::Gt => iv(Some((d, false)), None),
                CmpOp::Ge => iv(Some((d, true)), None),
                CmpOp::Eq => Set::Numbers(vec![Interval::point(d)]),
                CmpOp::Ne => Set::Numbers(vec![
                    Interval {
                        lo: None,
                        hi: Some((d, false)),
                    },
                    Interval {
                        lo: Some((d, false)),
                        hi: None,
                    },
                ]),
            }
        }
        Test::Value(e) => value_set(e),
    }
}

fn discrete(atom: Atom, complement: bool) -> Set {
    Set::Discrete {
        values: BTreeSet::from([atom]),
        complement,
    }
}

/// The set a value-test expression accepts.
fn value_set(e: &Expr) -> Set {
    if let Some(d) = number(e) {
        return Set::Numbers(vec![Interval::point(d)]);
    }
    match &e.kind {
        ExprKind::String(s) => discrete(Atom::Text(s.to_string()), false),
        ExprKind::Bool(b) => discrete(Atom::Bool(*b), false),
        ExprKind::Range {
            start_closed,
            start,
            end,
            end_closed,
        } => {
            let lo = match start {
                None => None,
                Some(s) => match number(s) {
                    Some(d) => Some((d, *start_closed)),
                    None => return Set::Unknown,
                },
            };
            let hi = match end {
                None => None,
                Some(s) => match number(s) {
                    Some(d) => Some((d, *end_closed)),
                    None => return Set::Unknown,
                },
            };
            Set::Numbers(vec![Interval { lo, hi }])
        }
        ExprKind::List(items) => items
            .iter()
            .map(value_set)
            .fold(Set::Numbers(Vec::new()), |acc, s| union(acc, s, true)),
        _ => Set::Unknown,
    }
}

/// The union of two sets. `start` is true while `a` is the neutral empty start value.
fn union(a: Set, b: Set, start: bool) -> Set {
    match (a, b) {
        (Set::Unknown, _) | (_, Set::Unknown) => Set::Unknown,
        (Set::All, _) | (_, Set::All) => Set::All,
        (Set::Numbers(x), s) if start && x.is_empty() => s,
        (Set::Numbers(mut x), Set::Numbers(y)) => {
            x.extend(y);
            Set::Numbers(x)
        }
        (
            Set::Discrete {
                values: x,
                complement: false,
            },
            Set::Discrete {
                values: y,
                complement: false,
            },
        ) => Set::Discrete {
            values: x.union(&y).cloned().collect(),
            complement: false,
        },
        (
            Set::Discrete {
                values: x,
                complement: true,
            },
            Set::Discrete {
                values: y,
                complement: true,
            },
        ) => Set::Discrete {
            values: x.intersection(&y).cloned().collect(),
            complement: true,
        },
        (
            Set::Discrete {
                values: x,
                complement: true,
            },
            Set::Discrete {
                values: y,
                complement: false,
            },
        )
        | (
            Set::Discrete {
                values: y,
                complement: false,
            },
            Set::Discrete {
                values: x,
                complement: true,
            },
        ) => Set::Discrete {
            values: x.difference(&y).cloned().collect(),
            complement: true,
        },
        // Mixed kinds (numbers and strings in one cell): not analysed.
        _ => Set::Unknown,
    }
}

/// The set a cell accepts.
fn cell_set(cell: &Cell) -> Set {
    match cell {
        Cell::Any => Set::All,
        Cell::Tests { negated, tests } => {
            let positive = tests
                .iter()
                .map(test_set)
                .fold(Set::Numbers(Vec::new()), |acc, s| union(acc, s, true));
            if !*negated {
                return positive;
            }
            match positive {
                Set::Discrete { values, complement } => Set::Discrete {
                    values,
                    complement: !complement,
                },
                Set::Numbers(ivs) => Set::Numbers(complement(&ivs)),
                Set::All => Set::Numbers(Vec::new()),
                Set::Unknown => Set::Unknown,
            }
        }
    }
}

/// The complement of a union of intervals.
fn complement(ivs: &[Interval]) -> Vec<Interval> {
    // Walk the elementary segments of the interval end points.
    let points = points_of(ivs.iter());
    segments(&points)
        .into_iter()
        .filter(|seg| !ivs.iter().any(|iv| iv.intersects(seg)))
        .collect()
}

fn points_of<'a>(ivs: impl Iterator<Item = &'a Interval>) -> Vec<Decimal> {
    let mut points: Vec<Decimal> = ivs
        .flat_map(|iv| [iv.lo.map(|b| b.0), iv.hi.map(|b| b.0)])
        .flatten()
        .collect();
    points.sort();
    points.dedup();
    points
}

/// The elementary segments of the number line cut at `points`:
/// `(-inf, p1)`, `[p1]`, `(p1, p2)`, …, `[pk]`, `(pk, +inf)`.
fn segments(points: &[Decimal]) -> Vec<Interval> {
    let mut out = Vec::with_capacity(points.len() * 2 + 1);
    let mut lo: Option<(Decimal, bool)> = None;
    for &p in points {
        out.push(Interval {
            lo,
            hi: Some((p, false)),
        });
        out.push(Interval::point(p));
        lo = Some((p, false));
    }
    out.push(Interval { lo, hi: None });
    out
}

/// One input column as the analysis sees it.
struct Column {
    text: String,
    cells: Vec<Set>,
    /// The column's elementary pieces, when the whole column is understood.
    pieces: Option<Vec<Piece>>,
}

/// One elementary piece of a column's domain: cells either contain it or miss it.
#[derive(Clone, Debug)]
enum Piece {
    Numbers(Interval),
    Value(Atom),
    /// Any discrete value not named in the column.
    Other,
}

impl Column {
    fn build(table: &Table, c: usize, values: Option<&Cell>) -> Column {
        let text = table
            .inputs
            .get(c)
            .map(|i| i.text.clone())
            .unwrap_or_default();
        let cells: Vec<Set> = table
            .rules
            .iter()
            .map(|r| r.when.get(c).map_or(Set::Unknown, cell_set))
            .collect();
        let domain = values.map(cell_set);
        let pieces = pieces(&cells, domain.as_ref());
        Column {
            text,
            cells,
            pieces,
        }
    }
}

/// The elementary pieces of a column whose cells are all understood and of one kind.
fn pieces(cells: &[Set], domain: Option<&Set>) -> Option<Vec<Piece>> {
    let all = cells.iter().chain(domain);
    let mut numeric = false;
    let mut discrete = false;
    for s in all.clone() {
        match s {
            Set::Unknown => return None,
            Set::Numbers(_) => numeric = true,
            Set::Discrete { .. } => discrete = true,
            Set::All => {}
        }
    }
    if numeric && discrete {
        return None;
    }
    if discrete {
        let mut atoms = BTreeSet::new();
        for s in all {
            if let Set::Discrete { values, .. } = s {
                atoms.extend(values.iter().cloned());
            }
        }
        let mut out: Vec<Piece> = Vec::new();
        match domain {
            Some(Set::Discrete {
                values,
                complement: false,
            }) => out.extend(values.iter().cloned().map(Piece::Value)),
            _ => {
                let booleans_only = atoms.iter().all(|a| matches!(a, Atom::Bool(_)));
                if booleans_only {
                    atoms.insert(Atom::Bool(false));
                    atoms.insert(Atom::Bool(true));
                }
                out.extend(atoms.into_iter().map(Piece::Value));
                // Without declared input values, a text column may hold any other value too.
                if !booleans_only {
                    out.push(Piece::Other);
                }
            }
        }
        return Some(out);
    }
    let ivs = cells.iter().chain(domain).flat_map(|s| match s {
        Set::Numbers(v) => v.as_slice(),
        _ => &[],
    });
    let segs = segments(&points_of(ivs));
    Some(
        segs.into_iter()
            .filter(|seg| match domain {
                Some(Set::Numbers(d)) => d.iter().any(|iv| iv.intersects(seg)),
                _ => true,
            })
            .map(Piece::Numbers)
            .collect(),
    )
}

/// Whether a cell's set contains an elementary piece.
fn contains(set: &Set, piece: &Piece) -> bool {
    match (set, piece) {
        (Set::All, _) => true,
        (Set::Numbers(ivs), Piece::Numbers(seg)) => ivs.iter().any(|iv| iv.intersects(seg)),
        (Set::Discrete { values, complement }, Piece::Value(a)) => {
            values.contains(a) != *complement
        }
        (Set::Discrete { complement, .. }, Piece::Other) => *complement,
        _ => false,
    }
}

/// Whether two cells accept a common value; `None` when unknown.
///
/// Works on the two cells alone (their own end points and values), so checking every pair of
/// a large table stays cheap; the column must be understood as a whole.
fn cells_intersect(col: &Column, a: &Set, b: &Set) -> Option<bool> {
    col.pieces.as_ref()?;
    Some(match (a, b) {
        (Set::All, _) | (_, Set::All) => true,
        (Set::Numbers(x), Set::Numbers(y)) => x.iter().any(|i| y.iter().any(|j| i.intersects(j))),
        (
            Set::Discrete {
                values: x,
                complement: false,
            },
            Set::Discrete {
                values: y,
                complement: false,
            },
        ) => !x.is_disjoint(y),
        _ => {
            let pieces = pieces(&[a.clone(), b.clone()], None)?;
            pieces.iter().any(|p| contains(a, p) && contains(b, p))
        }
    })
}

/// Whether every value cell `b` accepts, cell `a` accepts too (the column must be understood).
fn cell_covers(col: &Column, a: &Set, b: &Set) -> bool {
    if col.pieces.is_none() {
        return false;
    }
    if matches!(a, Set::All) {
        return true;
    }
    if let (Set::Numbers(x), Set::Numbers(y)) = (a, b) {
        // Disjoint intervals cannot cover each other: the common case in large tables.
        if !x.iter().any(|i| y.iter().any(|j| i.intersects(j))) {
            return y.iter().all(Interval::is_empty);
        }
    }
    match pieces(&[a.clone(), b.clone()], None) {
        Some(pieces) => pieces.iter().all(|p| !contains(b, p) || contains(a, p)),
        None => false,
    }
}

fn describe(col: &Column, piece: &Piece) -> String {
    let name = &col.text;
    match piece {
        Piece::Value(a) => format!("{name} = {}", a.show()),
        Piece::Other => format!("{name} is another value"),
        Piece::Numbers(iv) => match (iv.lo, iv.hi) {
            (Some((lo, true)), Some((hi, true))) if lo == hi => {
                format!("{name} = {}", lo.normalize())
            }
            (None, None) => format!("{name} is any number"),
            (None, Some((hi, inc))) => {
                format!("{name} {} {}", if inc { "<=" } else { "<" }, hi.normalize())
            }
            (Some((lo, inc)), None) => {
                format!("{name} {} {}", if inc { ">=" } else { ">" }, lo.normalize())
            }
            (Some((lo, li)), Some((hi, hi_in))) => format!(
                "{} {} {name} {} {}",
                lo.normalize(),
                if li { "<=" } else { "<" },
                if hi_in { "<=" } else { "<" },
                hi.normalize()
            ),
        },
    }
}

/// Rules with a cell that matches nothing (empty range, or a literal of a kind the column
/// never holds), and under FIRST rules completely covered by one earlier rule.
fn never_fires(table: &Table, columns: &[Column], out: &mut Vec<Finding>) {
    let mut found = 0;
    for (r, rule) in table.rules.iter().enumerate() {
        for col in columns {
            let Some(cell) = col.cells.get(r) else {
                continue;
            };
            let empty = match cell {
                Set::Numbers(ivs) => ivs.iter().all(Interval::is_empty),
                Set::Discrete { values, complement } => values.is_empty() && !complement,
                _ => false,
            };
            if empty && found < MAX_FINDINGS {
                found += 1;
                out.push(Finding {
                    code: "never-fires",
                    message: format!(
                        "rule `{}` can never fire: its entry for `{}` matches no value",
                        rule.id, col.text
                    ),
                    rule: Some(r),
                });
            }
        }
    }
    if !matches!(table.hit, HitPolicy::First) || table.rules.len() > MAX_PAIRWISE_RULES {
        return;
    }
    for (j, later) in table.rules.iter().enumerate() {
        let covering = (0..j).find(|&i| {
            columns.iter().all(|col| {
                let (Some(a), Some(b)) = (col.cells.get(i), col.cells.get(j)) else {
                    return false;
                };
                cell_covers(col, a, b)
            })
        });
        if let (Some(i), true) = (covering, found < MAX_FINDINGS) {
            found += 1;
            let earlier = table.rules.get(i).map_or("", |r| r.id.as_str());
            out.push(Finding {
                code: "never-fires",
                message: format!(
                    "rule `{}` can never fire under FIRST: rule `{earlier}` comes first and matches every input it matches",
                    later.id
                ),
                rule: Some(j),
            });
        }
    }
}

/// Pairs of rules that both match some input, under UNIQUE.
fn overlaps(table: &Table, columns: &[Column], out: &mut Vec<Finding>) {
    if table.rules.len() > MAX_PAIRWISE_RULES {
        out.push(Finding {
            code: "analysis-skipped",
            message: format!(
                "overlap analysis skipped: the table has {} rules (limit {MAX_PAIRWISE_RULES})",
                table.rules.len()
            ),
            rule: None,
        });
        return;
    }
    let mut count = 0usize;
    for i in 0..table.rules.len() {
        for j in i + 1..table.rules.len() {
            let overlap = columns
                .iter()
                .all(|col| match (col.cells.get(i), col.cells.get(j)) {
                    (Some(a), Some(b)) => cells_intersect(col, a, b).unwrap_or(false),
                    _ => false,
                });
            if !overlap {
                continue;
            }
            count += 1;
            if count > MAX_FINDINGS {
                continue;
            }
            let example: Vec<String> = columns
                .iter()
                .filter_map(|col| {
                    let (a, b) = (col.cells.get(i)?, col.cells.get(j)?);
                    let piece = col
                        .pieces
                        .as_ref()?
                        .iter()
                        .find(|p| contains(a, p) && contains(b, p))?;
                    Some(describe(col, piece))
                })
                .collect();
            let (a, b) = (
                table.rules.get(i).map_or("", |r| r.id.as_str()),
                table.rules.get(j).map_or("", |r| r.id.as_str()),
            );
            out.push(Finding {
                code: "overlap",
                message: format!(
                    "rules `{a}` and `{b}` overlap under UNIQUE: both match when {}",
                    if example.is_empty() {
                        "the table has no inputs".to_owned()
                    } else {
                        example.join(" and ")
                    }
                ),
                rule: Some(j),
            });
        }
    }
    if count > MAX_FINDINGS {
        out.push(Finding {
            code: "overlap",
            message: format!("… and {} more overlapping pairs", count - MAX_FINDINGS),
            rule: None,
        });
    }
}

/// Input combinations that no rule covers (only when every column is understood).
/// Uncovered neighbouring pieces of the last column are merged into one interval, so a gap
/// reads `Amount < 10`, not one line per elementary segment.
fn gaps(table: &Table, columns: &[Column], out: &mut Vec<Finding>) {
    let Some(piece_lists): Option<Vec<&Vec<Piece>>> =
        columns.iter().map(|c| c.pieces.as_ref()).collect()
    else {
        return;
    };
    let total = piece_lists
        .iter()
        .try_fold(1usize, |acc, p| acc.checked_mul(p.len()));
    let work = total.and_then(|n| n.checked_mul(table.rules.len().max(1)));
    match (total, work) {
        (Some(n), Some(w)) if n <= MAX_COMBINATIONS && n > 0 && w <= MAX_GAP_WORK => {}
        _ => {
            out.push(Finding {
                code: "analysis-skipped",
                message: "gap analysis skipped: too many input combinations to enumerate"
                    .to_owned(),
                rule: None,
            });
            return;
        }
    }
    let covered = |index: &[usize]| {
        (0..table.rules.len()).any(|r| {
            columns
                .iter()
                .zip(index)
                .zip(&piece_lists)
                .all(
                    |((col, &k), pieces)| match (col.cells.get(r), pieces.get(k)) {
                        (Some(set), Some(piece)) => contains(set, piece),
                        _ => false,
                    },
                )
        })
    };
    let Some((last_pieces, leading)) = piece_lists.split_last() else {
        if !covered(&[]) {
            out.push(Finding {
                code: "gap",
                message: "no rule matches: the table has no inputs and no rules".to_owned(),
                rule: None,
            });
        }
        return;
    };
    let last_col = columns.len() - 1;
    let mut found = 0usize;
    let mut index = vec![0usize; columns.len()];
    loop {
        // Runs of uncovered pieces in the last column, for this combination of the others.
        let mut run: Option<Piece> = None;
        let mut runs: Vec<Piece> = Vec::new();
        for k in 0..last_pieces.len() {
            if let Some(slot) = index.get_mut(last_col) {
                *slot = k;
            }
            let piece = last_pieces.get(k).cloned();
            match (covered(&index), piece) {
                (false, Some(Piece::Numbers(iv))) => {
                    run = Some(match run.take() {
                        Some(Piece::Numbers(prev)) => Piece::Numbers(Interval {
                            lo: prev.lo,
                            hi: iv.hi,
                        }),
                        other => {
                            runs.extend(other);
                            Piece::Numbers(iv)
                        }
                    });
                }
                (false, Some(piece)) => {
                    runs.extend(run.take());
                    runs.push(piece);
                }
                _ => runs.extend(run.take()),
            }
        }
        runs.extend(run.take());
        for piece in runs {
            found += 1;
            if found > MAX_FINDINGS {
                continue;
            }
            let mut what: Vec<String> = columns
                .iter()
                .zip(&index)
                .zip(leading.iter())
                .filter_map(|((col, &k), pieces)| pieces.get(k).map(|p| describe(col, p)))
                .collect();
            if let Some(col) = columns.get(last_col) {
                what.push(describe(col, &piece));
            }
            out.push(Finding {
                code: "gap",
                message: format!("no rule matches when {}", what.join(" and ")),
                rule: None,
            });
        }
        // Advance the odometer over the leading columns; the last varies fastest.
        let mut c = last_col;
        loop {
            if c == 0 {
                if found > MAX_FINDINGS {
                    out.push(Finding {
                        code: "gap",
                        message: format!(
                            "… and {} more uncovered input combinations",
                            found - MAX_FINDINGS
                        ),
                        rule: None,
                    });
                }
                return;
            }
            c -= 1;
            let len = piece_lists.get(c).map_or(0, |p| p.len());
            if let Some(slot) = index.get_mut(c) {
                *slot += 1;
                if *slot < len {
                    break;
                }
                *slot = 0;
            }
        }
    }
}
