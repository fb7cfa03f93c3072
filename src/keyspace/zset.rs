//! The sorted-set type (Redis's t_zset.c data side): unique members, each with a score, kept in
//! order of (score, member bytes). Pure data; the commands are in `commands/zsets.rs` and
//! `commands/geo.rs`.
//!
//! # Two forms, as Redis has two encodings
//! - **Compact** (small sets, Redis's listpack): one vector of `(member, score)` sorted by
//!   [`compare`]. Finding a member is a linear search, as in a listpack, over at most
//!   [`COMPACT_MAX`] members; nothing else is allocated.
//! - **Indexed** (large sets): the same vector becomes an *arena* holding each member once, in
//!   no particular order (32 bytes a member when it is short enough for [`Bytes`] to keep it
//!   inline), plus two tables of `u32` arena positions:
//!   - `index::Index`, member → position: an open-addressing hash table of 5-byte slots, so
//!     `ZSCORE` and the first step of every update are O(1);
//!   - `tree::Tree`, the order: a counted B+tree whose leaves hold positions and whose inner
//!     nodes hold subtree sizes, so insert, remove, rank, the member at a rank and the binary
//!     search by predicate behind `ZRANGEBYSCORE`/`ZRANGEBYLEX` are O(log n).
//!
//!   A million members like `member:123456` cost 58 bytes each by capacity (41 of them the
//!   arena with its spare room, 10.5 the index, 6.5 the tree) and about 50 in resident memory;
//!   redis-server spends about 110 (dict entry, skiplist node, sds). The tests'
//!   `memory_per_member` measures it.
//!
//! # Why an arena with swap-remove
//! A member is stored once and named everywhere else by a 4-byte position, which is what keeps
//! the tables small. Removing one moves the *last* member into its place, as `keyspace/dense.rs`
//! does for hashes and sets, for the same two reasons: positions stay dense, so a random member
//! (`ZRANDMEMBER`) is a random position in O(1); and a `ZSCAN` cursor can be a position walked
//! downwards, which returns every member present for the whole scan (see `Dense::scan`). The
//! moved member's position is then updated in the index and in the tree, where it is found by
//! its (score, member) in O(log n).
//!
//! The encoding Redis would report (`listpack`/`skiplist`) is a flag of its own, following
//! Redis's conversion rules; it decides only what `OBJECT ENCODING` says and how `ZSCAN` walks.
//! A `skiplist` is always in the indexed form (its scan cursor is an arena position); a
//! `listpack` is in the compact form unless a raised `zset-max-listpack-entries` lets it grow
//! beyond [`COMPACT_MAX`], where the indexed form takes over to stay logarithmic.

mod index;
mod tree;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;

use super::Bytes;
use crate::random::Rng;
use index::Index;
use tree::{Cursor, NIL, Tree};

/// A member and its score, as the arena stores them.
type Item = (Bytes, f64);

/// The most members the compact form holds: Redis's default `zset-max-listpack-entries`, past
/// which linear searches stop being cheap.
pub const COMPACT_MAX: usize = 128;

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

#[derive(Clone, Default)]
pub struct ZSet {
    /// Compact form: the members sorted by [`compare`]. Indexed form: the arena, in storage
    /// order.
    entries: Vec<Item>,
    /// The tables of the indexed form; `None` in the compact form. Boxed so that the many small
    /// sets of a keyspace pay one pointer for it.
    indexed: Option<Box<Indexed>>,
    /// Redis's `skiplist` encoding: once on, it stays on (until [`ZSet::shrink_if_fits`]).
    skiplist: bool,
    /// Heap bytes of the members too long to be stored inline, kept as they come and go so
    /// that [`ZSet::heap_size`] is O(1).
    member_heap: usize,
}

#[derive(Clone, Default)]
struct Indexed {
    members: Index,
    order: Tree,
}

impl ZSet {
    /// An empty sorted set in the listpack encoding.
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// An empty sorted set about to receive `len` members, the longest `max_member` bytes long:
    /// a skiplist from the start if they would not fit a listpack (Redis's `zsetTypeCreate`).
    pub fn with_hint(len: usize, max_member: usize, limits: Limits) -> ZSet {
        let skiplist = len > limits.max_entries || max_member > limits.max_value;
        ZSet {
            skiplist,
            // Nothing is reserved: `len` is a hint (the RDB loader passes `usize::MAX`).
            indexed: skiplist.then(Box::default),
            ..ZSet::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `member` is in `entries`.
    fn position(&self, member: &[u8]) -> Option<usize> {
        match &self.indexed {
            None => self
                .entries
                .iter()
                .position(|(m, _)| m.as_slice() == member),
            Some(ix) => {
                let hash = ix.members.hash(member);
                ix.members
                    .get(&self.entries, member, hash)
                    .map(|p| p as usize)
            }
        }
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
        let old = match &mut self.indexed {
            None => self.insert_compact(member, score),
            Some(ix) => {
                let entries = &mut self.entries;
                let hash = ix.members.hash(member);
                match ix.members.get(entries, member, hash) {
                    Some(p) => {
                        let old = entries[p as usize].1;
                        if old == score {
                            // Equal (0 and -0 included): the order is the same, but the score
                            // given is the one stored.
                            entries[p as usize].1 = score;
                        } else {
                            ix.order.remove(entries, p);
                            entries[p as usize].1 = score;
                            ix.order.insert(entries, p);
                        }
                        Some(old)
                    }
                    None => {
                        let position = u32::try_from(entries.len())
                            .ok()
                            .filter(|&p| p < NIL)
                            .expect("a sorted set holds fewer than 2^32 - 1 members");
                        let item = (Bytes::new(member), score);
                        self.member_heap += item.0.heap_size();
                        push(entries, item);
                        ix.members.insert(entries, position, hash);
                        ix.order.insert(entries, position);
                        None
                    }
                }
            }
        };
        if self.len() > limits.max_entries || member.len() > limits.max_value {
            self.skiplist = true;
        }
        if self.indexed.is_none() && (self.skiplist || self.len() > COMPACT_MAX) {
            self.build_index();
        }
        old
    }

    fn insert_compact(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let entries = &mut self.entries;
        let (item, old) = match entries.iter().position(|(m, _)| m.as_slice() == member) {
            Some(i) => {
                let old = entries[i].1;
                if old == score {
                    entries[i].1 = score;
                    return Some(old);
                }
                (entries.remove(i).0, Some(old))
            }
            None => {
                let member = Bytes::new(member);
                self.member_heap += member.heap_size();
                (member, None)
            }
        };
        let at = entries.partition_point(|(m, s)| compare((m, *s), (&item, score)).is_lt());
        entries.insert(at, (item, score));
        old
    }

    /// Leaves the compact form: the sorted vector is the arena, its positions already in order.
    fn build_index(&mut self) {
        let sorted: Vec<u32> = (0..self.entries.len() as u32).collect();
        let mut members = Index::default();
        members.rebuild(&self.entries, 0);
        self.indexed = Some(Box::new(Indexed {
            members,
            order: Tree::build(&self.entries, &sorted),
        }));
    }

    /// Returns to the compact form: the arena is put in order.
    fn drop_index(&mut self) {
        if let Some(ix) = self.indexed.take() {
            let mut sorted = Vec::with_capacity(self.entries.len());
            for p in ix.order.positions() {
                sorted.push(take(&mut self.entries[p as usize]));
            }
            self.entries = sorted;
        }
    }

    /// Removes `member`; its score, if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let position = self.position(member)?;
        let item = match &mut self.indexed {
            None => self.entries.remove(position),
            Some(ix) => {
                ix.order.remove(&self.entries, position as u32);
                detach(&mut self.entries, ix, position as u32)
            }
        };
        self.member_heap -= item.0.heap_size();
        Some(item.1)
    }

    /// Removes the lowest member (`ZPOPMIN` of one).
    pub fn pop_first(&mut self) -> Option<(Bytes, f64)> {
        self.pop_rank(0)
    }

    /// Removes the highest member (`ZPOPMAX` of one).
    pub fn pop_last(&mut self) -> Option<(Bytes, f64)> {
        self.pop_rank(self.len().checked_sub(1)?)
    }

    fn pop_rank(&mut self, rank: usize) -> Option<(Bytes, f64)> {
        if rank >= self.len() {
            return None;
        }
        let item = match &mut self.indexed {
            None => self.entries.remove(rank),
            Some(ix) => {
                let position = ix.order.remove_rank(&self.entries, rank);
                detach(&mut self.entries, ix, position)
            }
        };
        self.member_heap -= item.0.heap_size();
        Some(item)
    }

    /// The 0-based rank of `member` in ascending order, if it is in the set.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let position = self.position(member)?;
        Some(match &self.indexed {
            None => position,
            Some(ix) => ix.order.rank(&self.entries, position as u32),
        })
    }

    /// The member and score at `rank` (ascending, 0-based), if `rank < len()`.
    pub fn at_rank(&self, rank: usize) -> Option<(&Bytes, f64)> {
        if rank >= self.len() {
            return None;
        }
        let position = match &self.indexed {
            None => rank,
            Some(ix) => ix.order.at_rank(rank) as usize,
        };
        let (m, s) = &self.entries[position];
        Some((m, *s))
    }

    /// How many members, from the lowest, satisfy `pred`. `pred` must hold for a prefix of the
    /// order and fail for the rest (`|_, s| s < min`, `|m, _| m < b"c"` when all scores are
    /// equal): the search is a binary one.
    pub fn count_while(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        match &self.indexed {
            None => self.entries.partition_point(|(m, s)| pred(m, *s)),
            Some(ix) => ix.order.count_while(&self.entries, pred),
        }
    }

    /// The members with ranks in `ranks` (which must lie within `0..len()`), ascending; `.rev()`
    /// walks them descending.
    pub fn range(
        &self,
        ranks: Range<usize>,
    ) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + ExactSizeIterator + '_ {
        assert!(
            ranks.start <= ranks.end && ranks.end <= self.len(),
            "ranks {ranks:?} of a sorted set of {}",
            self.len()
        );
        let walk = match &self.indexed {
            None => Walk::Compact(self.entries[ranks].iter()),
            Some(_) if ranks.is_empty() => Walk::Compact([].iter()),
            Some(ix) => Walk::Tree {
                entries: &self.entries,
                order: &ix.order,
                front: ix.order.seek(ranks.start),
                back: ix.order.seek(ranks.end - 1),
                left: ranks.len(),
            },
        };
        Iter(walk)
    }

    /// Every member, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + ExactSizeIterator + '_ {
        self.range(0..self.len())
    }

    /// Removes the members with ranks in `ranks` (within `0..len()`); calls `removed` with each,
    /// in ascending order.
    pub fn remove_range(&mut self, ranks: Range<usize>, mut removed: impl FnMut(Bytes, f64)) {
        assert!(ranks.start <= ranks.end && ranks.end <= self.len());
        let Some(ix) = &mut self.indexed else {
            for (member, score) in self.entries.drain(ranks) {
                self.member_heap -= member.heap_size();
                removed(member, score);
            }
            return;
        };
        // One removal at a time costs a few descents each; past an eighth of the set,
        // rebuilding what remains in O(n) is cheaper.
        if ranks.len() <= self.entries.len() / 8 {
            for _ in ranks.clone() {
                let position = ix.order.remove_rank(&self.entries, ranks.start);
                let (member, score) = detach(&mut self.entries, ix, position);
                self.member_heap -= member.heap_size();
                removed(member, score);
            }
            return;
        }
        let order = ix.order.positions();
        for &p in &order[ranks.clone()] {
            let (member, score) = take(&mut self.entries[p as usize]);
            self.member_heap -= member.heap_size();
            removed(member, score);
        }
        // Fill the holes below the new length with the survivors above it: members only move
        // down, which keeps ZSCAN's guarantee as swap-remove does.
        let new_len = self.entries.len() - ranks.len();
        let mut moved: Vec<u32> = (0..self.entries.len() as u32).collect();
        for &p in &order[ranks.clone()] {
            moved[p as usize] = NIL;
        }
        let holes: Vec<usize> = (0..new_len).filter(|&p| moved[p] == NIL).collect();
        let movers: Vec<usize> = (new_len..self.entries.len())
            .filter(|&p| moved[p] != NIL)
            .collect();
        for (hole, mover) in holes.into_iter().zip(movers) {
            self.entries.swap(hole, mover);
            moved[mover] = hole as u32;
        }
        self.entries.truncate(new_len);
        shrink(&mut self.entries);
        let survivors: Vec<u32> = order[..ranks.start]
            .iter()
            .chain(&order[ranks.end..])
            .map(|&p| moved[p as usize])
            .collect();
        ix.order = Tree::build(&self.entries, &survivors);
        ix.members.rebuild(&self.entries, 0);
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
    ///
    /// A skiplist's cursor is an arena position, walked downwards from the end as
    /// `Dense::scan` walks its vector, with the same argument for the guarantee: a removal
    /// moves only the last member, and only down; an insertion appends.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(&'a Bytes, f64),
    ) -> u64 {
        if !self.skiplist {
            self.iter().for_each(|(m, s)| visit(m, s));
            return 0;
        }
        let end = match usize::try_from(cursor) {
            Ok(0) | Err(_) => self.entries.len(),
            Ok(cursor) => cursor.min(self.entries.len()),
        };
        let start = end.saturating_sub(count.max(1));
        self.entries[start..end]
            .iter()
            .rev()
            .for_each(|(m, s)| visit(m, *s));
        start as u64
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
        if self.len() > limits.max_entries {
            return;
        }
        let longest = self.entries.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if longest <= limits.max_value {
            self.skiplist = false;
            if self.len() <= COMPACT_MAX {
                self.drop_index();
            }
        }
    }

    /// Heap bytes owned beyond the value's own slot (`MEMORY USAGE`).
    pub fn heap_size(&self) -> usize {
        let tables = self.indexed.as_ref().map_or(0, |ix| {
            size_of::<Indexed>() + ix.members.heap_size() + ix.order.heap_size()
        });
        self.entries.capacity() * size_of::<Item>() + self.member_heap + tables
    }
}

/// Appends to the arena, growing it by half rather than doubling: a large set's arena is most
/// of its memory, and the 1.5× steps average 23% spare capacity instead of 44%. (Growing a
/// large allocation moves pages, not bytes, with glibc's `mremap`, so the extra steps are cheap.)
fn push(arena: &mut Vec<Item>, item: Item) {
    if arena.len() == arena.capacity() {
        arena.reserve_exact((arena.len() / 2).max(8));
    }
    arena.push(item);
}

/// Gives memory back once the arena is three-quarters empty.
fn shrink(arena: &mut Vec<Item>) {
    if arena.capacity() > 64 && arena.len() < arena.capacity() / 4 {
        arena.shrink_to(arena.len() + arena.len() / 2);
    }
}

/// Moves an item out of the arena, leaving an empty member (inline: nothing is allocated).
fn take(item: &mut Item) -> Item {
    std::mem::replace(item, (Bytes::new(b""), 0.0))
}

/// Removes the member at `position`, already out of the tree, from the index and the arena,
/// moving the last member into its place.
fn detach(entries: &mut Vec<Item>, ix: &mut Indexed, position: u32) -> Item {
    ix.members.remove(entries, position);
    let last = (entries.len() - 1) as u32;
    if position != last {
        // Renamed while the arena still holds it at `last`: both tables find it by its content.
        ix.order.relocate(entries, last, position);
        ix.members.relocate(entries, last, position);
    }
    let item = entries.swap_remove(position as usize);
    ix.members.shrink_if_sparse(entries);
    shrink(entries);
    item
}

/// A walk over a range of ranks.
struct Iter<'a>(Walk<'a>);

enum Walk<'a> {
    Compact(std::slice::Iter<'a, Item>),
    Tree {
        entries: &'a [Item],
        order: &'a Tree,
        /// The next member from each end (inclusive); meaningless once `left` is 0.
        front: Cursor,
        back: Cursor,
        left: usize,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Walk::Compact(items) => items.next().map(|(m, s)| (m, *s)),
            Walk::Tree {
                entries,
                order,
                front,
                left,
                ..
            } => {
                if *left == 0 {
                    return None;
                }
                let (m, s) = &entries[order.get(*front) as usize];
                *left -= 1;
                if *left > 0 {
                    order.advance(front);
                }
                Some((m, *s))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = match &self.0 {
            Walk::Compact(items) => items.len(),
            Walk::Tree { left, .. } => *left,
        };
        (len, Some(len))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Walk::Compact(items) => items.next_back().map(|(m, s)| (m, *s)),
            Walk::Tree {
                entries,
                order,
                back,
                left,
                ..
            } => {
                if *left == 0 {
                    return None;
                }
                let (m, s) = &entries[order.get(*back) as usize];
                *left -= 1;
                if *left > 0 {
                    order.retreat(back);
                }
                Some((m, *s))
            }
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl fmt::Debug for ZSet {
    /// The encoding and the members in order, as `ZRANGE 0 -1 WITHSCORES` would list them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZSet")
            .field("encoding", &self.encoding())
            .field("members", &DebugMembers(self))
            .finish()
    }
}

struct DebugMembers<'a>(&'a ZSet);

impl fmt::Debug for DebugMembers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}
