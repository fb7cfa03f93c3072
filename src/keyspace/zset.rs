//! The sorted-set type (Redis's t_zset.c data side): unique members, each with a score, kept in
//! order of (score, member bytes). Pure data; the commands are in `commands/zsets.rs` and
//! `commands/geo.rs`.
//!
//! SCAFFOLD: a sorted vector, O(n) updates. The API is final; the body is replaced by the
//! logarithmic structure.

use std::cmp::Ordering;
use std::ops::Range;

use super::Bytes;
use crate::random::Rng;

/// When a sorted set stops being a listpack: Redis's `zset-max-listpack-entries` and
/// `zset-max-listpack-value`, read from the configuration by the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Limits {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        Limits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

/// The order of a sorted set: by score, then by member bytes. Scores are never NaN.
pub fn compare(a: (&[u8], f64), b: (&[u8], f64)) -> Ordering {
    a.1.partial_cmp(&b.1)
        .expect("scores are never NaN")
        .then_with(|| a.0.cmp(b.0))
}

#[derive(Clone, Debug, Default)]
pub struct ZSet {
    /// Sorted by [`compare`].
    entries: Vec<(Bytes, f64)>,
    /// Redis's `skiplist` encoding: once on, it stays on (until [`ZSet::shrink_if_fits`]).
    skiplist: bool,
}

impl ZSet {
    /// An empty sorted set in the listpack encoding.
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// An empty sorted set about to receive `len` members, the longest `max_member` bytes long:
    /// a skiplist from the start if they would not fit a listpack (Redis's `zsetTypeCreate`).
    pub fn with_hint(len: usize, max_member: usize, limits: Limits) -> ZSet {
        ZSet {
            skiplist: len > limits.max_entries || max_member > limits.max_value,
            ..ZSet::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, member: &[u8]) -> Option<usize> {
        self.entries
            .iter()
            .position(|(m, _)| m.as_slice() == member)
    }

    /// The score of `member`, if it is in the set.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.position(member).map(|i| self.entries[i].1)
    }

    /// Adds `member` with `score`, or moves it to `score`; its previous score, if it had one.
    /// A member longer than `limits.max_value`, or one member too many, turns a listpack into a
    /// skiplist. `score` must not be NaN.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) -> Option<f64> {
        assert!(!score.is_nan(), "a sorted set's scores are never NaN");
        let old = self.remove(member);
        let at = self.count_while(|m, s| compare((m, s), (member, score)) == Ordering::Less);
        self.entries.insert(at, (Bytes::new(member), score));
        if self.len() > limits.max_entries || member.len() > limits.max_value {
            self.skiplist = true;
        }
        old
    }

    /// Removes `member`; its score, if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let i = self.position(member)?;
        Some(self.entries.remove(i).1)
    }

    /// The 0-based rank of `member` in ascending order, if it is in the set.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        self.position(member)
    }

    /// The member and score at `rank` (ascending, 0-based), if `rank < len()`.
    pub fn at_rank(&self, rank: usize) -> Option<(&Bytes, f64)> {
        self.entries.get(rank).map(|(m, s)| (m, *s))
    }

    /// How many members, from the lowest, satisfy `pred`. `pred` must hold for a prefix of the
    /// order and fail for the rest (`|_, s| s < min`, `|m, _| m < b"c"` when all scores are
    /// equal): the search is a binary one.
    pub fn count_while(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        self.entries.partition_point(|(m, s)| pred(m, *s))
    }

    /// The members with ranks in `ranks` (which must lie within `0..len()`), ascending; `.rev()`
    /// walks them descending.
    pub fn range(
        &self,
        ranks: Range<usize>,
    ) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + ExactSizeIterator + '_ {
        self.entries[ranks].iter().map(|(m, s)| (m, *s))
    }

    /// Every member, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + ExactSizeIterator + '_ {
        self.range(0..self.len())
    }

    /// Removes the members with ranks in `ranks` (within `0..len()`); calls `removed` with each.
    pub fn remove_range(&mut self, ranks: Range<usize>, mut removed: impl FnMut(Bytes, f64)) {
        for (member, score) in self.entries.drain(ranks) {
            removed(member, score);
        }
    }

    /// The member at `position` (`0..len()`) in storage order: O(1), for random picks. Storage
    /// order is not rank order.
    pub fn at_position(&self, position: usize) -> (&Bytes, f64) {
        let (m, s) = &self.entries[position];
        (m, *s)
    }

    /// A uniformly random member. The set must not be empty.
    pub fn random(&self, rng: &mut Rng) -> (&Bytes, f64) {
        self.at_position(rng.below(self.len() as u64) as usize)
    }

    /// One `ZSCAN` step: visits some members and returns the next cursor (0 when done). A
    /// listpack is visited whole in one step, as Redis does. Every member present for the whole
    /// iteration is visited at least once.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(&'a Bytes, f64),
    ) -> u64 {
        let _ = (cursor, count);
        self.entries.iter().for_each(|(m, s)| visit(m, *s));
        0
    }

    /// `listpack` or `skiplist`, as Redis 7.0 would report it.
    pub fn encoding(&self) -> &'static str {
        if self.skiplist {
            "skiplist"
        } else {
            "listpack"
        }
    }

    /// Returns a skiplist to the listpack encoding if it fits one now, as Redis does after
    /// `ZRANGESTORE`/`ZUNIONSTORE`... and when loading (`zsetConvertToListpackIfNeeded`).
    pub fn shrink_if_fits(&mut self, limits: Limits) {
        let longest = self.entries.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if self.len() <= limits.max_entries && longest <= limits.max_value {
            self.skiplist = false;
        }
    }

    /// Heap bytes owned beyond the value's own slot (`MEMORY USAGE`).
    pub fn heap_size(&self) -> usize {
        self.entries.capacity() * size_of::<(Bytes, f64)>()
            + self
                .entries
                .iter()
                .map(|(m, _)| m.heap_size())
                .sum::<usize>()
    }
}
