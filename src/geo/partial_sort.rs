//! The partial sort a search with `COUNT` uses when it found more members than it returns:
//! Redis's `pqsort`, a Bentley–McIlroy quicksort ("Engineering a Sort Function", 1993) that
//! skips the partitions outside the wanted ranks.
//!
//! # Why not `sort_by` and truncate
//! The same members come first either way, but not in the same order when distances tie (two
//! members at one position): quicksort moves equal elements around, and which of them Redis
//! returns first, or at all when the tie straddles the COUNT, depends on the exact sequence of
//! swaps. So this reproduces the algorithm step for step: the same pivots (median of three,
//! or the "ninther" above 40 elements), the same three-way partition with equal elements
//! parked at both ends and swapped back to the middle, insertion sort below 7 elements.

use std::cmp::Ordering;

/// Sorts `v` enough that ranks `0..keep` hold, in order, what a full sort would put there
/// (`keep` at least 1), leaving the other ranks in some order, exactly as Redis's `pqsort`.
pub fn partial_sort<T>(v: &mut [T], keep: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    if keep == 0 || v.is_empty() {
        return;
    }
    sort_ranks(v, 0, (0, keep - 1), cmp);
}

/// Sorts the part of ranks `wanted` (inclusive, absolute) that falls in `v`, which holds ranks
/// `base..base + v.len()`.
fn sort_ranks<T>(
    mut v: &mut [T],
    mut base: usize,
    wanted: (usize, usize),
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    loop {
        let n = v.len();
        if n < 7 {
            insertion_sort(v, cmp);
            return;
        }
        let pivot = choose_pivot(v, cmp);
        v.swap(0, pivot);

        // Partition v[1..] against the pivot at v[0]: elements equal to it gather at the left
        // end (before `pa`) and the right end (after `pd`), smaller ones in [pa, pb), greater
        // ones in (pc, pd].
        let (mut pa, mut pb) = (1usize, 1usize);
        let (mut pc, mut pd) = (n as isize - 1, n as isize - 1);
        loop {
            while pb as isize <= pc {
                let c = cmp(&v[pb], &v[0]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb as isize <= pc {
                let c = cmp(&v[pc as usize], &v[0]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pc as usize, pd as usize);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb as isize > pc {
                break;
            }
            v.swap(pb, pc as usize);
            pb += 1;
            pc -= 1;
        }

        // Move the equal elements from both ends into the middle.
        let (pc, pd) = (pc as usize, pd as usize);
        let r = pa.min(pb - pa);
        swap_runs(v, 0, pb - r, r);
        let r = (pd - pc).min(n - pd - 1);
        swap_runs(v, pb, n - r, r);

        // Recurse into the smaller elements, then loop on the greater ones, each only if it
        // holds some wanted rank.
        let wants = |start: usize, len: usize| !(wanted.1 < start || wanted.0 >= start + len);
        let smaller = pb - pa;
        if smaller > 1 && wants(base, smaller) {
            sort_ranks(&mut v[..smaller], base, wanted, cmp);
        }
        let greater = pd - pc;
        if greater > 1 && wants(base + n - greater, greater) {
            base += n - greater;
            v = &mut v[n - greater..];
            continue;
        }
        return;
    }
}

fn insertion_sort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// The index of the median of `v[a]`, `v[b]`, `v[c]`, with the comparisons in Redis's order
/// (which of two equal elements is the median matters).
fn median_of_three<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) -> usize {
    let less = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let greater = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if less(a, b) {
        if less(b, c) {
            b
        } else if less(a, c) {
            c
        } else {
            a
        }
    } else if greater(b, c) {
        b
    } else if less(a, c) {
        a
    } else {
        c
    }
}

/// The middle element for 7, the median of first, middle and last up to 40, the median of
/// three medians (of the first, middle and last eighths) beyond.
fn choose_pivot<T>(v: &[T], cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let n = v.len();
    let mut m = n / 2;
    if n > 7 {
        let (mut l, mut last) = (0, n - 1);
        if n > 40 {
            let d = n / 8;
            l = median_of_three(v, l, l + d, l + 2 * d, cmp);
            m = median_of_three(v, m - d, m, m + d, cmp);
            last = median_of_three(v, last - 2 * d, last - d, last, cmp);
        }
        m = median_of_three(v, l, m, last, cmp);
    }
    m
}

/// Swaps the `len` elements from `a` with those from `b`, pairwise in order.
fn swap_runs<T>(v: &mut [T], a: usize, b: usize, len: usize) {
    for i in 0..len {
        v.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Rng;

    #[test]
    fn the_wanted_ranks_come_out_sorted() {
        let mut rng = Rng::seeded(7);
        for n in [1usize, 2, 6, 7, 8, 40, 41, 100, 1000] {
            for keep in [1, n / 3 + 1, n] {
                let mut v: Vec<u64> = (0..n).map(|_| rng.below(50)).collect();
                let mut sorted = v.clone();
                sorted.sort();
                partial_sort(&mut v, keep, &|a: &u64, b: &u64| a.cmp(b));
                assert_eq!(v[..keep], sorted[..keep], "n={n} keep={keep}");
                let mut rest = v.clone();
                rest.sort();
                assert_eq!(rest, sorted, "a permutation");
            }
        }
    }

    #[test]
    fn ties_move_as_in_redis() {
        // Keys with a tag to see where equal keys go: 12 elements, three equal ones.
        let mut v: Vec<(u32, char)> = [5, 1, 9, 3, 3, 7, 3, 2, 8, 6, 4, 0]
            .iter()
            .zip("abcdefghijkl".chars())
            .map(|(&k, c)| (k, c))
            .collect();
        partial_sort(&mut v, 6, &|a: &(u32, char), b: &(u32, char)| a.0.cmp(&b.0));
        let keys: Vec<u32> = v[..6].iter().map(|e| e.0).collect();
        assert_eq!(keys, [0, 1, 2, 3, 3, 3]);
    }
}
