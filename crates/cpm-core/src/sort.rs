//! Stable sorting with one compiled copy of the standard library's sort.
//!
//! Pipeline position: a utility under the value, decide and FEEL layers.
//!
//! Every `sort_by` on another element type or comparator compiles the standard library's
//! stable sort once more: about 3.5 KB of WebAssembly each, a few KB of the browser's
//! download for the handful of sorts the decision runtime needs. The sorts here sort
//! positions with the comparator behind a `dyn`, so the sort is compiled once for all of
//! them. The indirect call per comparison costs little where they are used: output
//! contexts with many unsorted keys, priority hit policies, `median`/`mode`, building a
//! table's index.

use std::cmp::Ordering;

/// The positions `0..len`, stably ordered by `cmp` (which compares two positions).
pub(crate) fn order(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..len).collect();
    positions.sort_by(|&a, &b| cmp(a, b));
    positions
}

/// Sorts `items` stably by `cmp`, as `items.sort_by(cmp)` does.
pub(crate) fn sort_by<T>(items: &mut Vec<T>, cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    let positions = order(items.len(), &mut |a, b| cmp(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        positions
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_is_stable_and_matches_the_standard_sort() {
        let mut seed = 0x2545_f491_u32;
        for len in 0..200 {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    ((seed % 7) as u8, i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            let mut ours = items.clone();
            sort_by(&mut ours, &mut |a, b| a.0.cmp(&b.0));
            assert_eq!(ours, expected, "len {len}");
            let positions = order(items.len(), &mut |a, b| items[a].0.cmp(&items[b].0));
            let by_order: Vec<_> = positions.iter().map(|&i| items[i]).collect();
            assert_eq!(by_order, expected, "len {len}");
        }
    }
}
