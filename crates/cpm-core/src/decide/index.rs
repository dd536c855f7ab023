//! Rule indexes for large decision tables: which rules can possibly match an input row,
//! found without evaluating every cell.
//!
//! Pipeline position: `decide::table` asks a table's index for the candidate rules before it
//! evaluates any cell; every candidate is then checked in full, so an index only ever removes
//! rules that cannot match. It is built on a table's first evaluation (never stored in the
//! bundle) and only for tables of [`MIN_INDEXED_RULES`] rules or more.
//!
//! A column is indexed on the cells written as literals: strings, numbers and booleans
//! (`"gold"`, `100`, `true`, or several: `"DE", "AT"`) go into an equality map; numeric
//! comparisons and ranges (`< 100`, `[1..10)`) go into a segment tree over the column's
//! distinct endpoints. Any other cell (`-`, `not(...)`, an expression, a date, `?`) makes its
//! rule a candidate for every input of that column. An input that is not a string, number,
//! boolean or `null` (a list, a date, a context) leaves its column unfiltered.

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_decimal::Decimal;

use super::prepared::PreparedTable;
use crate::feel::ast::{CmpOp, Expr, ExprKind};
use crate::ir::{Cell, Table, Test};
use crate::value::Value;

/// Tables with fewer rules than this are scanned: an index would not pay for itself.
pub const MIN_INDEXED_RULES: usize = 32;

/// Once the candidates are this few, the remaining columns are not consulted.
const FEW_CANDIDATES: usize = 8;

/// What one table derives from its rules on its first evaluation, kept beside the table in
/// the IR but never encoded in a bundle: its rule index and its prepared cells.
#[derive(Default)]
pub struct LazyIndex {
    index: OnceLock<Option<TableIndex>>,
    prepared: OnceLock<Option<PreparedTable>>,
}

impl LazyIndex {
    /// An index that is never built: the table is always scanned row by row (for
    /// comparisons of the two paths in tests and benchmarks).
    pub fn scan_only() -> Self {
        Self {
            index: OnceLock::from(None),
            prepared: OnceLock::new(),
        }
    }

    /// Neither an index nor prepared cells: the table is scanned row by row and every
    /// cell and output evaluated as written (for comparisons in tests and benchmarks).
    pub fn as_written() -> Self {
        Self {
            index: OnceLock::from(None),
            prepared: OnceLock::from(None),
        }
    }

    /// The index of `table`, built on first use; `None` when the table is too small or no
    /// column has an indexable cell.
    pub fn get(&self, table: &Table) -> Option<&TableIndex> {
        self.index.get_or_init(|| TableIndex::build(table)).as_ref()
    }

    /// The prepared cells and outputs of `table`, built on first use; `None` only for
    /// [`LazyIndex::as_written`].
    pub fn prepared(&self, table: &Table) -> Option<&PreparedTable> {
        self.prepared
            .get_or_init(|| Some(PreparedTable::build(table)))
            .as_ref()
    }
}

impl Clone for LazyIndex {
    /// A fresh, unbuilt index: the clone builds its own on first use.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for LazyIndex {
    /// Always equal: an index is derived data and never part of a table's meaning.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for LazyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LazyIndex")
    }
}

/// The candidate-rule index of a table: one column index per input column that has at
/// least one indexable cell.
pub struct TableIndex {
    rules: usize,
    columns: Vec<(usize, ColumnIndex)>,
}

impl TableIndex {
    /// Builds the index of `table`, or `None` when it would not help.
    pub fn build(table: &Table) -> Option<Self> {
        if table.rules.len() < MIN_INDEXED_RULES {
            return None;
        }
        let mut columns: Vec<(usize, ColumnIndex)> = (0..table.inputs.len())
            .filter_map(|c| ColumnIndex::build(table, c).map(|index| (c, index)))
            .collect();
        if columns.is_empty() {
            return None;
        }
        // Equality lookups first: they are cheap and usually narrow the most, so a wide
        // interval column (`[100..100000]` on half the rules) is often not consulted at all.
        crate::sort::sort_by(&mut columns, &mut |(a, a_index), (b, b_index)| {
            (a_index.intervals.is_some(), a).cmp(&(b_index.intervals.is_some(), b))
        });
        Some(Self {
            rules: table.rules.len(),
            columns,
        })
    }

    /// The rules that may match `inputs` (one value per input column), as a bit set over
    /// rule positions; every rule outside it is certain not to match.
    pub fn candidates(&self, inputs: &[Value]) -> RuleSet {
        let mut result = RuleSet::full(self.rules);
        let mut column_hits = RuleSet::empty(self.rules);
        for (column, index) in &self.columns {
            let Some(input) = inputs.get(*column) else {
                continue;
            };
            if index.candidates(input, &mut column_hits) {
                result.intersect(&column_hits);
                // Few enough to check in full: narrowing further costs more than it saves.
                if result.len() <= FEW_CANDIDATES {
                    break;
                }
            }
        }
        result
    }
}

/// A set of rule positions, as bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    words: Vec<u64>,
}

impl RuleSet {
    /// The empty set over `len` rules.
    fn empty(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// Every rule of `len`.
    fn full(len: usize) -> Self {
        let mut set = Self {
            words: vec![u64::MAX; len.div_ceil(64)],
        };
        if let Some(last) = set.words.last_mut()
            && len % 64 != 0
        {
            *last = (1u64 << (len % 64)) - 1;
        }
        set
    }

    /// How many rules are in the set.
    fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    fn insert(&mut self, rule: u32) {
        if let Some(word) = self.words.get_mut(rule as usize / 64) {
            *word |= 1u64 << (rule % 64);
        }
    }

    fn intersect(&mut self, other: &Self) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= *b;
        }
    }

    fn copy_from(&mut self, other: &Self) {
        self.words.copy_from_slice(&other.words);
    }
}

impl IntoIterator for RuleSet {
    type Item = usize;
    type IntoIter = Positions;

    /// The rule positions in the set, ascending.
    fn into_iter(self) -> Positions {
        let rest = self.words.first().copied().unwrap_or(0);
        Positions {
            words: self.words,
            word: 0,
            rest,
        }
    }
}

/// The rule positions of a [`RuleSet`], ascending.
pub struct Positions {
    words: Vec<u64>,
    word: usize,
    rest: u64,
}

impl Iterator for Positions {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.rest == 0 {
            self.word += 1;
            self.rest = *self.words.get(self.word)?;
        }
        let bit = self.rest.trailing_zeros() as usize;
        self.rest &= self.rest - 1;
        Some(self.word * 64 + bit)
    }
}

/// A literal a cell compares the input with for equality.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Bool(bool),
    Number(Decimal),
    String(String),
}

impl Key {
    fn of_input(input: &Value) -> Option<Self> {
        match input {
            Value::Bool(b) => Some(Key::Bool(*b)),
            Value::Number(n) => Some(Key::Number(n.normalize())),
            Value::String(s) => Some(Key::String(s.to_string())),
            _ => None,
        }
    }
}

/// One bound of a numeric interval.
#[derive(Clone, Copy, Debug)]
struct Bound {
    value: Decimal,
    closed: bool,
}

/// What one cell of a column can match, when it is written with literals only.
#[derive(Default)]
struct Literals {
    keys: Vec<Key>,
    intervals: Vec<(Option<Bound>, Option<Bound>)>,
}

/// The index of one input column.
struct ColumnIndex {
    /// Rules whose cell is not made of literals: candidates for every input.
    always: RuleSet,
    /// Rules by the literal their cell equals.
    equal: HashMap<Key, Vec<u32>>,
    /// Rules by the numeric intervals their cell contains.
    intervals: Option<IntervalTree>,
}

impl ColumnIndex {
    fn build(table: &Table, column: usize) -> Option<Self> {
        let mut always = RuleSet::empty(table.rules.len());
        let mut equal: HashMap<Key, Vec<u32>> = HashMap::new();
        let mut intervals: Vec<(Option<Bound>, Option<Bound>, u32)> = Vec::new();
        let mut indexed = 0usize;
        for (position, rule) in table.rules.iter().enumerate() {
            let id = u32::try_from(position).ok()?;
            match rule.when.get(column).and_then(cell_literals) {
                Some(literals) => {
                    indexed += 1;
                    for key in literals.keys {
                        equal.entry(key).or_default().push(id);
                    }
                    intervals.extend(literals.intervals.into_iter().map(|(lo, hi)| (lo, hi, id)));
                }
                None => always.insert(id),
            }
        }
        if indexed == 0 {
            return None;
        }
        for ids in equal.values_mut() {
            ids.dedup();
        }
        let intervals = match intervals.is_empty() {
            true => None,
            false => Some(IntervalTree::build(&intervals)?),
        };
        Some(Self {
            always,
            equal,
            intervals,
        })
    }

    /// Fills `hits` with the rules of this column that may match `input`; `false` when the
    /// column cannot filter this input (every rule stays a candidate).
    fn candidates(&self, input: &Value, hits: &mut RuleSet) -> bool {
        if !matches!(
            input,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)
        ) {
            return false;
        }
        hits.copy_from(&self.always);
        if let Some(key) = Key::of_input(input) {
            for &id in self.equal.get(&key).into_iter().flatten() {
                hits.insert(id);
            }
        }
        if let (Value::Number(n), Some(tree)) = (input, &self.intervals) {
            tree.stab(*n, hits);
        }
        true
    }
}

/// The literals of a cell, or `None` when any of its tests is not a literal test (the
/// rule is then a candidate for every input).
fn cell_literals(cell: &Cell) -> Option<Literals> {
    let Cell::Tests {
        negated: false,
        tests,
    } = cell
    else {
        return None;
    };
    let mut literals = Literals::default();
    for test in tests {
        match test {
            Test::Value(expr) => match &expr.kind {
                ExprKind::List(items) => {
                    for item in items {
                        literals.keys.push(literal_key(item)?);
                    }
                }
                ExprKind::Range {
                    start_closed,
                    start,
                    end,
                    end_closed,
                } => {
                    let lo = bound(start.as_deref(), *start_closed)?;
                    let hi = bound(end.as_deref(), *end_closed)?;
                    if lo.is_none() && hi.is_none() {
                        return None;
                    }
                    literals.intervals.push((lo, hi));
                }
                _ => literals.keys.push(literal_key(expr)?),
            },
            Test::Compare(CmpOp::Eq, expr) => literals.keys.push(literal_key(expr)?),
            Test::Compare(op, expr) => {
                let value = expr.number_literal()?;
                literals.intervals.push(match op {
                    CmpOp::Lt | CmpOp::Le => (
                        None,
                        Some(Bound {
                            value,
                            closed: *op == CmpOp::Le,
                        }),
                    ),
                    CmpOp::Gt | CmpOp::Ge => (
                        Some(Bound {
                            value,
                            closed: *op == CmpOp::Ge,
                        }),
                        None,
                    ),
                    CmpOp::Eq | CmpOp::Ne => return None,
                });
            }
            Test::Predicate(_) => return None,
        }
    }
    Some(literals)
}

/// A range end: `Some(None)` when open-ended, `None` when not a number literal.
fn bound(end: Option<&Expr>, closed: bool) -> Option<Option<Bound>> {
    match end {
        None => Some(None),
        Some(e) => Some(Some(Bound {
            value: e.number_literal()?,
            closed,
        })),
    }
}

/// The equality key of a literal string, number or boolean expression.
fn literal_key(expr: &Expr) -> Option<Key> {
    match &expr.kind {
        ExprKind::Bool(b) => Some(Key::Bool(*b)),
        ExprKind::String(s) => Some(Key::String(s.to_string())),
        _ => expr.number_literal().map(|n| Key::Number(n.normalize())),
    }
}

/// A static segment tree answering "which intervals contain this number" in
/// O(log n + matches).
///
/// The distinct endpoints `v0 < v1 < … < vm-1` split the number line into `2m + 1`
/// positions: even position `2i` is the open gap below `vi` (`2m` is above the last), odd
/// position `2i + 1` is `vi` itself. Every interval covers a contiguous run of positions,
/// stored on O(log n) tree nodes; a number finds its position by binary search and
/// collects the rules on the path from its leaf to the root.
struct IntervalTree {
    points: Vec<Decimal>,
    leaves: usize,
    /// Rules stored at each node, flattened: node `i` owns `ids[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl IntervalTree {
    fn build(intervals: &[(Option<Bound>, Option<Bound>, u32)]) -> Option<Self> {
        let mut points: Vec<Decimal> = intervals
            .iter()
            .flat_map(|(lo, hi, _)| [lo, hi])
            .filter_map(|b| b.map(|b| b.value.normalize()))
            .collect();
        points.sort_unstable();
        points.dedup();
        let positions = 2 * points.len() + 1;
        let leaves = positions.next_power_of_two();
        let mut nodes: Vec<Vec<u32>> = vec![Vec::new(); 2 * leaves];
        for (lo, hi, id) in intervals {
            let first = match lo {
                None => 0,
                Some(b) => point_position(&points, b.value) + usize::from(!b.closed),
            };
            let last = match hi {
                None => positions - 1,
                // An endpoint's position is odd, so an open end steps down to the gap below.
                Some(b) => point_position(&points, b.value) - usize::from(!b.closed),
            };
            // An empty interval (`(5..5)`, `[7..3]`) matches nothing.
            if first > last {
                continue;
            }
            let (mut l, mut r) = (first + leaves, last + 1 + leaves);
            while l < r {
                if l & 1 == 1 {
                    if let Some(node) = nodes.get_mut(l) {
                        node.push(*id);
                    }
                    l += 1;
                }
                if r & 1 == 1 {
                    r -= 1;
                    if let Some(node) = nodes.get_mut(r) {
                        node.push(*id);
                    }
                }
                l >>= 1;
                r >>= 1;
            }
        }
        let mut starts = Vec::with_capacity(nodes.len() + 1);
        let mut ids = Vec::new();
        for node in &nodes {
            starts.push(u32::try_from(ids.len()).ok()?);
            ids.extend_from_slice(node);
        }
        starts.push(u32::try_from(ids.len()).ok()?);
        Some(Self {
            points,
            leaves,
            starts,
            ids,
        })
    }

    /// Adds to `hits` every rule with an interval containing `n`.
    fn stab(&self, n: Decimal, hits: &mut RuleSet) {
        let mut node = point_position(&self.points, n) + self.leaves;
        while node >= 1 {
            let start = self.starts.get(node).copied().unwrap_or(0) as usize;
            let end = self.starts.get(node + 1).copied().unwrap_or(0) as usize;
            for &id in self.ids.get(start..end).into_iter().flatten() {
                hits.insert(id);
            }
            node >>= 1;
        }
    }
}

/// The position of `value` among `points`: odd on an endpoint, even in a gap.
fn point_position(points: &[Decimal], value: Decimal) -> usize {
    match points.binary_search(&value) {
        Ok(i) => 2 * i + 1,
        Err(i) => 2 * i,
    }
}
