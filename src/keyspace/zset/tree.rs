//! The order of a large sorted set: a counted B+tree of arena positions. Leaves hold `u32`
//! positions into the set's arena (`Vec<(Bytes, f64)>`), ordered by [`compare`] of the entries
//! they point to; inner nodes hold, for each child, its subtree's size (so rank ↔ position is
//! O(log n), as the spans of Redis's skiplist make it) and the position and score of its
//! smallest member (the separator a descent by key compares against).
//!
//! # Why a B+tree of `u32` positions
//! - **Memory**: a member costs 4 bytes in a leaf (about 6 at the ~70% fill random inserts
//!   leave), against Redis's ~40-byte skiplist node plus the dict entry. The member itself lives
//!   once, in the arena.
//! - **Speed**: a descent touches few nodes, each a contiguous array. The separators carry the
//!   score inline, so the inner levels compare without touching the arena unless scores tie;
//!   only the leaf's binary search reads members.
//! - **Separators are live positions, not copies**: the separator of a child is the position
//!   of its subtree's minimum, kept exact on every change. A copied key would cost 24 bytes and
//!   a second allocation for long members; a stale position would point at a reused slot. The
//!   price is that moving a member in the arena (the set's swap-remove) must rename it in the
//!   nodes that name it, and those are exactly the nodes on its root-to-leaf path
//!   ([`Tree::relocate`]). It also lets [`Tree::count_while`] test its predicate only on
//!   members that are present.
//!
//! # Node sizes
//! A leaf holds up to 128 positions (524 bytes, one malloc chunk of 544): the binary search in
//! a leaf is 7 probes into the arena, the same as it would be spread over more levels, while
//! inserting shifts at most 512 bytes. An inner node holds 64 children (1.5 KiB), so a descent
//! through 10 million members crosses 5 nodes. Nodes live in boxes, indexed by `u32` from two
//! vectors with free lists: a node is exactly its size (no vector doubling over megabytes of
//! leaves), and the leaves are linked both ways for range iteration without a stack. The
//! capacities are const parameters only so that the tests can grow trees of tiny nodes five
//! levels deep from a few hundred members.
//!
//! # Fill
//! Nodes split in half, except at the edges of the tree: appending past the last member (or
//! prepending before the first) leaves the full node full and starts a new one, so sets built in
//! order — timestamps as scores, or an RDB file, which lists members from the highest — end up
//! with full leaves instead of half-full ones. A removal that leaves a node less than half full
//! merges it with a sibling, or evens the two out when they would not fit one node.

use std::cmp::Ordering;

use super::{Item, compare};

/// "No node" in links and the root of an empty tree; also why a set holds fewer than 2³²−1
/// members (positions are `u32`).
pub const NIL: u32 = u32::MAX;

const LEAF_CAP: usize = 128;
const INNER_CAP: usize = 64;

/// A member's key as the order sees it.
type Key<'k> = (&'k [u8], f64);

fn key_of(arena: &[Item], position: u32) -> Key<'_> {
    let (member, score) = &arena[position as usize];
    (member.as_slice(), *score)
}

#[derive(Clone)]
struct Leaf<const L: usize> {
    len: u32,
    prev: u32,
    next: u32,
    items: [u32; L],
}

/// A child of an inner node: its subtree's size and smallest member.
#[derive(Clone, Copy)]
struct Slot {
    /// The score of `min`, inline so that descents compare without reading the arena.
    score: f64,
    child: u32,
    count: u32,
    min: u32,
}

#[derive(Clone)]
struct Inner<const I: usize> {
    len: u32,
    slots: [Slot; I],
}

const EMPTY_SLOT: Slot = Slot {
    score: 0.0,
    child: NIL,
    count: 0,
    min: NIL,
};

impl<const L: usize> Leaf<L> {
    fn boxed() -> Box<Leaf<L>> {
        Box::new(Leaf {
            len: 0,
            prev: NIL,
            next: NIL,
            items: [0; L],
        })
    }

    fn items(&self) -> &[u32] {
        &self.items[..self.len as usize]
    }
}

impl<const I: usize> Inner<I> {
    fn boxed() -> Box<Inner<I>> {
        Box::new(Inner {
            len: 0,
            slots: [EMPTY_SLOT; I],
        })
    }

    fn slots(&self) -> &[Slot] {
        &self.slots[..self.len as usize]
    }

    fn count(&self) -> u32 {
        self.slots().iter().map(|s| s.count).sum()
    }

    /// Which child holds `key` (or would, for a key not present): the last whose minimum is at
    /// or below it, the first if none is.
    fn route(&self, arena: &[Item], key: Key) -> usize {
        self.slots()[1..].partition_point(|slot| {
            let by_score = slot
                .score
                .partial_cmp(&key.1)
                .expect("scores are never NaN");
            by_score.then_with(|| arena[slot.min as usize].0.as_slice().cmp(key.0))
                != Ordering::Greater
        })
    }

    /// Which child holds the member at `rank`, and its rank within that child.
    fn route_rank(&self, mut rank: usize) -> (usize, usize) {
        for (c, slot) in self.slots().iter().enumerate() {
            if rank < slot.count as usize {
                return (c, rank);
            }
            rank -= slot.count as usize;
        }
        unreachable!("rank {rank} beyond the subtree")
    }

    /// How many members the children before `c` hold.
    fn count_before(&self, c: usize) -> usize {
        self.slots[..c].iter().map(|s| s.count as usize).sum()
    }
}

/// A place in the order: a leaf and an index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    leaf: u32,
    at: u32,
}

/// What a removal looks for.
#[derive(Clone, Copy)]
enum Target<'k> {
    Key(Key<'k>),
    Rank(usize),
}

#[derive(Clone)]
pub struct Tree<const L: usize = LEAF_CAP, const I: usize = INNER_CAP> {
    leaves: Vec<Option<Box<Leaf<L>>>>,
    inners: Vec<Option<Box<Inner<I>>>>,
    free_leaves: Vec<u32>,
    free_inners: Vec<u32>,
    root: u32,
    /// 0 when the root is a leaf.
    height: u32,
    len: usize,
}

impl<const L: usize, const I: usize> Default for Tree<L, I> {
    fn default() -> Self {
        Tree {
            leaves: Vec::new(),
            inners: Vec::new(),
            free_leaves: Vec::new(),
            free_inners: Vec::new(),
            root: NIL,
            height: 0,
            len: 0,
        }
    }
}

impl<const L: usize, const I: usize> Tree<L, I> {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    pub fn height(&self) -> u32 {
        self.height
    }

    /// A tree of the positions in `sorted` (ascending by [`compare`]), with nodes filled evenly
    /// and as full as they go: O(n).
    pub fn build(arena: &[Item], sorted: &[u32]) -> Tree<L, I> {
        let mut tree = Tree::default();
        if sorted.is_empty() {
            return tree;
        }
        let n = sorted.len();
        let count = n.div_ceil(L);
        let mut level = Vec::with_capacity(count);
        let mut prev = NIL;
        for i in 0..count {
            let (start, end) = (i * n / count, (i + 1) * n / count);
            let mut leaf = Leaf::boxed();
            leaf.items[..end - start].copy_from_slice(&sorted[start..end]);
            leaf.len = (end - start) as u32;
            leaf.prev = prev;
            let id = tree.store_leaf(leaf);
            if prev != NIL {
                tree.leaf_mut(prev).next = id;
            }
            prev = id;
            level.push(Slot {
                score: arena[sorted[start] as usize].1,
                child: id,
                count: (end - start) as u32,
                min: sorted[start],
            });
        }
        while level.len() > 1 {
            let count = level.len().div_ceil(I);
            let mut next = Vec::with_capacity(count);
            for i in 0..count {
                let (start, end) = (i * level.len() / count, (i + 1) * level.len() / count);
                let mut inner = Inner::boxed();
                inner.slots[..end - start].copy_from_slice(&level[start..end]);
                inner.len = (end - start) as u32;
                let count = inner.count();
                next.push(Slot {
                    child: tree.store_inner(inner),
                    count,
                    ..level[start]
                });
            }
            level = next;
            tree.height += 1;
        }
        tree.root = level[0].child;
        tree.len = n;
        tree
    }

    /// Adds `position`, whose entry in `arena` is not in the tree yet.
    pub fn insert(&mut self, arena: &[Item], position: u32) {
        let key = key_of(arena, position);
        self.len += 1;
        if self.root == NIL {
            let mut leaf = Leaf::boxed();
            leaf.items[0] = position;
            leaf.len = 1;
            self.root = self.store_leaf(leaf);
            self.height = 0;
            return;
        }
        let (root, height) = (self.root, self.height);
        if let Some(right) = self.insert_into(root, height, arena, key, position, (true, true)) {
            let mut inner = Inner::boxed();
            inner.slots[0] = self.slot_for(root, height, arena);
            inner.slots[1] = self.slot_for(right, height, arena);
            inner.len = 2;
            self.root = self.store_inner(inner);
            self.height += 1;
        }
    }

    /// Inserts into the subtree `id`; the new right sibling if the node had to split. `edges`
    /// says whether the node is the leftmost / rightmost of its level.
    fn insert_into(
        &mut self,
        id: u32,
        height: u32,
        arena: &[Item],
        key: Key,
        position: u32,
        edges: (bool, bool),
    ) -> Option<u32> {
        if height == 0 {
            let leaf = self.leaf_mut(id);
            let len = leaf.len as usize;
            let at = leaf.items[..len]
                .partition_point(|&p| compare(key_of(arena, p), key) == Ordering::Less);
            if len < L {
                insert_at(&mut leaf.items, len, at, position);
                leaf.len += 1;
                return None;
            }
            let mut right = Leaf::boxed();
            let split = split_point(at, L, edges);
            let (left_len, right_len) =
                split_insert(&mut leaf.items, at, position, split, &mut right.items);
            leaf.len = left_len as u32;
            right.len = right_len as u32;
            right.prev = id;
            right.next = leaf.next;
            let next = right.next;
            let right = self.store_leaf(right);
            self.leaf_mut(id).next = right;
            if next != NIL {
                self.leaf_mut(next).prev = right;
            }
            return Some(right);
        }
        let inner = self.inner(id);
        let (len, c) = (inner.len as usize, inner.route(arena, key));
        let child = inner.slots[c].child;
        let child_edges = (edges.0 && c == 0, edges.1 && c == len - 1);
        let split = self.insert_into(child, height - 1, arena, key, position, child_edges);
        let Some(new) = split else {
            let first = self.first_position(child, height - 1);
            let slot = &mut self.inner_mut(id).slots[c];
            slot.count += 1;
            if first != slot.min {
                // Only the new member can have become the child's first: its score is at hand.
                (slot.min, slot.score) = (position, key.1);
            }
            return None;
        };
        let (left_slot, new_slot) = (
            self.slot_for(child, height - 1, arena),
            self.slot_for(new, height - 1, arena),
        );
        let inner = self.inner_mut(id);
        inner.slots[c] = left_slot;
        if len < I {
            insert_at(&mut inner.slots, len, c + 1, new_slot);
            inner.len += 1;
            return None;
        }
        let mut right = Inner::boxed();
        let split = split_point(c + 1, I, edges);
        let (left_len, right_len) =
            split_insert(&mut inner.slots, c + 1, new_slot, split, &mut right.slots);
        inner.len = left_len as u32;
        right.len = right_len as u32;
        Some(self.store_inner(right))
    }

    /// Removes `position`, which is in the tree; its entry in `arena` must be unchanged since it
    /// was inserted.
    pub fn remove(&mut self, arena: &[Item], position: u32) {
        let removed = self.remove_target(arena, Target::Key(key_of(arena, position)));
        debug_assert_eq!(removed, position);
    }

    /// Removes the member at `rank` (`< len()`); its position.
    pub fn remove_rank(&mut self, arena: &[Item], rank: usize) -> u32 {
        debug_assert!(rank < self.len);
        self.remove_target(arena, Target::Rank(rank))
    }

    fn remove_target(&mut self, arena: &[Item], target: Target) -> u32 {
        let removed = self.remove_from(self.root, self.height, arena, target);
        self.len -= 1;
        // A root left with one child hands over to it; an empty root goes.
        loop {
            if self.height == 0 {
                if self.leaf(self.root).len == 0 {
                    self.free_leaf(self.root);
                    self.root = NIL;
                }
                break;
            }
            let inner = self.inner(self.root);
            match inner.len {
                0 => {
                    self.free_inner(self.root);
                    (self.root, self.height) = (NIL, 0);
                    break;
                }
                1 => {
                    let child = inner.slots[0].child;
                    self.free_inner(self.root);
                    self.root = child;
                    self.height -= 1;
                }
                _ => break,
            }
        }
        removed
    }

    fn remove_from(&mut self, id: u32, height: u32, arena: &[Item], target: Target) -> u32 {
        if height == 0 {
            let leaf = self.leaf_mut(id);
            let len = leaf.len as usize;
            let at = match target {
                Target::Key(key) => leaf.items[..len]
                    .partition_point(|&p| compare(key_of(arena, p), key) == Ordering::Less),
                Target::Rank(rank) => rank,
            };
            let removed = leaf.items[at];
            leaf.items.copy_within(at + 1..len, at);
            leaf.len -= 1;
            return removed;
        }
        let inner = self.inner(id);
        let (c, target) = match target {
            Target::Key(key) => (inner.route(arena, key), target),
            Target::Rank(rank) => {
                let (c, rank) = inner.route_rank(rank);
                (c, Target::Rank(rank))
            }
        };
        let child = inner.slots[c].child;
        let removed = self.remove_from(child, height - 1, arena, target);
        let child_len = self.node_len(child, height - 1);
        if child_len == 0 {
            // Only a node at an edge, left small by an uneven split, can empty at once.
            self.free_node(child, height - 1);
            let inner = self.inner_mut(id);
            inner.slots.copy_within(c + 1..inner.len as usize, c);
            inner.len -= 1;
            return removed;
        }
        self.inner_mut(id).slots[c].count -= 1;
        if self.first_position(child, height - 1) != self.inner(id).slots[c].min {
            let (min, score) = self.first(child, height - 1, arena);
            let slot = &mut self.inner_mut(id).slots[c];
            (slot.min, slot.score) = (min, score);
        }
        let cap = if height == 1 { L } else { I };
        if child_len < cap / 2 {
            self.rebalance(id, c, height - 1, arena);
        }
        removed
    }

    /// Merges the child `c` of `id`, now under half full, with a sibling, or evens the two out
    /// when together they would not fit one node.
    fn rebalance(&mut self, id: u32, c: usize, height: u32, arena: &[Item]) {
        let inner = self.inner(id);
        if inner.len < 2 {
            return;
        }
        let a = c.saturating_sub(1);
        let (left, right) = (inner.slots[a].child, inner.slots[a + 1].child);
        let merge;
        if height == 0 {
            let mut taken = self.leaves[right as usize].take().expect("a live leaf");
            let leaf = self.leaf_mut(left);
            let total = (leaf.len + taken.len) as usize;
            merge = total <= L;
            let want = if merge { total } else { total / 2 };
            let (left_len, right_len) = (leaf.len as usize, taken.len as usize);
            shift(&mut leaf.items, left_len, &mut taken.items, right_len, want);
            leaf.len = want as u32;
            taken.len = (total - want) as u32;
            if merge {
                leaf.next = taken.next;
                if taken.next != NIL {
                    self.leaf_mut(taken.next).prev = left;
                }
                self.free_leaves.push(right);
            } else {
                self.leaves[right as usize] = Some(taken);
            }
        } else {
            let mut taken = self.inners[right as usize]
                .take()
                .expect("a live inner node");
            let node = self.inner_mut(left);
            let total = (node.len + taken.len) as usize;
            merge = total <= I;
            let want = if merge { total } else { total / 2 };
            let (left_len, right_len) = (node.len as usize, taken.len as usize);
            shift(&mut node.slots, left_len, &mut taken.slots, right_len, want);
            node.len = want as u32;
            taken.len = (total - want) as u32;
            if merge {
                self.free_inners.push(right);
            } else {
                self.inners[right as usize] = Some(taken);
            }
        }
        let left_slot = self.slot_for(left, height, arena);
        let right_slot = (!merge).then(|| self.slot_for(right, height, arena));
        let inner = self.inner_mut(id);
        inner.slots[a] = left_slot;
        match right_slot {
            Some(slot) => inner.slots[a + 1] = slot,
            None => {
                inner.slots.copy_within(a + 2..inner.len as usize, a + 1);
                inner.len -= 1;
            }
        }
    }

    /// Renames the member stored as `from` to `to` (the set moved it in its arena). `arena`
    /// still holds it at `from`.
    pub fn relocate(&mut self, arena: &[Item], from: u32, to: u32) {
        let key = key_of(arena, from);
        let (mut id, mut height) = (self.root, self.height);
        while height > 0 {
            let c = self.inner(id).route(arena, key);
            let slot = &mut self.inner_mut(id).slots[c];
            if slot.min == from {
                slot.min = to;
            }
            (id, height) = (slot.child, height - 1);
        }
        let leaf = self.leaf_mut(id);
        let at = leaf
            .items()
            .partition_point(|&p| compare(key_of(arena, p), key) == Ordering::Less);
        debug_assert_eq!(leaf.items[at], from);
        leaf.items[at] = to;
    }

    /// The rank of the member at `position`, which is in the tree.
    pub fn rank(&self, arena: &[Item], position: u32) -> usize {
        let key = key_of(arena, position);
        let (mut id, mut height, mut rank) = (self.root, self.height, 0);
        while height > 0 {
            let inner = self.inner(id);
            let c = inner.route(arena, key);
            rank += inner.count_before(c);
            (id, height) = (inner.slots[c].child, height - 1);
        }
        rank + self
            .leaf(id)
            .items()
            .partition_point(|&p| compare(key_of(arena, p), key) == Ordering::Less)
    }

    /// Where the member at `rank` (`< len()`) is.
    pub fn seek(&self, mut rank: usize) -> Cursor {
        debug_assert!(rank < self.len);
        let (mut id, mut height) = (self.root, self.height);
        while height > 0 {
            let inner = self.inner(id);
            let (c, within) = inner.route_rank(rank);
            (id, height, rank) = (inner.slots[c].child, height - 1, within);
        }
        Cursor {
            leaf: id,
            at: rank as u32,
        }
    }

    /// The position at `rank` (`< len()`).
    pub fn at_rank(&self, rank: usize) -> u32 {
        self.get(self.seek(rank))
    }

    pub fn get(&self, cursor: Cursor) -> u32 {
        self.leaf(cursor.leaf).items[cursor.at as usize]
    }

    /// Moves `cursor` to the next member; past the last one it is left pointing nowhere, and
    /// must not be read.
    pub fn advance(&self, cursor: &mut Cursor) {
        let leaf = self.leaf(cursor.leaf);
        if cursor.at + 1 < leaf.len {
            cursor.at += 1;
        } else if leaf.next != NIL {
            *cursor = Cursor {
                leaf: leaf.next,
                at: 0,
            };
        }
    }

    /// Moves `cursor` to the previous member (before the first, as [`Tree::advance`]).
    pub fn retreat(&self, cursor: &mut Cursor) {
        if cursor.at > 0 {
            cursor.at -= 1;
        } else {
            let prev = self.leaf(cursor.leaf).prev;
            if prev != NIL {
                *cursor = Cursor {
                    leaf: prev,
                    at: self.leaf(prev).len - 1,
                };
            }
        }
    }

    /// How many members, from the lowest, satisfy `pred`, which holds for a prefix of the
    /// order: the children whose minimum passes are skipped whole, then the search goes into the
    /// last of them.
    pub fn count_while(&self, arena: &[Item], pred: impl Fn(&[u8], f64) -> bool) -> usize {
        if self.root == NIL {
            return 0;
        }
        let holds = |p: u32| {
            let (member, score) = key_of(arena, p);
            pred(member, score)
        };
        let (mut id, mut height, mut count) = (self.root, self.height, 0);
        while height > 0 {
            let inner = self.inner(id);
            let passing = inner.slots().partition_point(|slot| holds(slot.min));
            if passing == 0 {
                return count;
            }
            count += inner.count_before(passing - 1);
            (id, height) = (inner.slots[passing - 1].child, height - 1);
        }
        count + self.leaf(id).items().partition_point(|&p| holds(p))
    }

    /// Every position, in order.
    pub fn positions(&self) -> Vec<u32> {
        let mut all = Vec::with_capacity(self.len);
        if self.len > 0 {
            let mut leaf = self.seek(0).leaf;
            while leaf != NIL {
                all.extend_from_slice(self.leaf(leaf).items());
                leaf = self.leaf(leaf).next;
            }
        }
        all
    }

    /// Heap bytes: the nodes and the tables that find them.
    pub fn heap_size(&self) -> usize {
        let live_leaves = self.leaves.len() - self.free_leaves.len();
        let live_inners = self.inners.len() - self.free_inners.len();
        live_leaves * size_of::<Leaf<L>>()
            + live_inners * size_of::<Inner<I>>()
            + (self.leaves.capacity() + self.inners.capacity()) * size_of::<usize>()
            + (self.free_leaves.capacity() + self.free_inners.capacity()) * size_of::<u32>()
    }

    // ---- node storage ----

    fn leaf(&self, id: u32) -> &Leaf<L> {
        self.leaves[id as usize].as_deref().expect("a live leaf")
    }

    fn leaf_mut(&mut self, id: u32) -> &mut Leaf<L> {
        self.leaves[id as usize]
            .as_deref_mut()
            .expect("a live leaf")
    }

    fn inner(&self, id: u32) -> &Inner<I> {
        self.inners[id as usize]
            .as_deref()
            .expect("a live inner node")
    }

    fn inner_mut(&mut self, id: u32) -> &mut Inner<I> {
        self.inners[id as usize]
            .as_deref_mut()
            .expect("a live inner node")
    }

    fn store_leaf(&mut self, leaf: Box<Leaf<L>>) -> u32 {
        store(&mut self.leaves, &mut self.free_leaves, leaf)
    }

    fn store_inner(&mut self, inner: Box<Inner<I>>) -> u32 {
        store(&mut self.inners, &mut self.free_inners, inner)
    }

    fn free_leaf(&mut self, id: u32) {
        let leaf = self.leaves[id as usize].take().expect("a live leaf");
        if leaf.prev != NIL {
            self.leaf_mut(leaf.prev).next = leaf.next;
        }
        if leaf.next != NIL {
            self.leaf_mut(leaf.next).prev = leaf.prev;
        }
        self.free_leaves.push(id);
    }

    fn free_inner(&mut self, id: u32) {
        self.inners[id as usize] = None;
        self.free_inners.push(id);
    }

    fn free_node(&mut self, id: u32, height: u32) {
        if height == 0 {
            self.free_leaf(id);
        } else {
            self.free_inner(id);
        }
    }

    fn node_len(&self, id: u32, height: u32) -> usize {
        if height == 0 {
            self.leaf(id).len as usize
        } else {
            self.inner(id).len as usize
        }
    }

    /// The position of the smallest member of a (non-empty) subtree.
    fn first_position(&self, id: u32, height: u32) -> u32 {
        if height == 0 {
            self.leaf(id).items[0]
        } else {
            self.inner(id).slots[0].min
        }
    }

    /// The smallest member of a (non-empty) subtree, and its score.
    fn first(&self, id: u32, height: u32, arena: &[Item]) -> (u32, f64) {
        if height == 0 {
            let p = self.leaf(id).items[0];
            (p, arena[p as usize].1)
        } else {
            let slot = &self.inner(id).slots[0];
            (slot.min, slot.score)
        }
    }

    /// The slot describing the (non-empty) subtree `id` to its parent.
    fn slot_for(&self, id: u32, height: u32, arena: &[Item]) -> Slot {
        let (min, score) = self.first(id, height, arena);
        let count = if height == 0 {
            self.leaf(id).len
        } else {
            self.inner(id).count()
        };
        Slot {
            score,
            child: id,
            count,
            min,
        }
    }

    /// Checks every invariant (tests): order, counts, separators, links, fill.
    #[cfg(test)]
    pub fn validate(&self, arena: &[Item]) {
        if self.root == NIL {
            assert_eq!(self.len, 0);
            return;
        }
        let (count, _) = self.validate_node(self.root, self.height, arena, true);
        assert_eq!(count, self.len, "the root's count");
        let all = self.positions();
        assert_eq!(all.len(), self.len, "the leaf chain holds every member");
        for pair in all.windows(2) {
            let (a, b) = (key_of(arena, pair[0]), key_of(arena, pair[1]));
            assert_eq!(compare(a, b), Ordering::Less, "{a:?} before {b:?}");
        }
        let live = self.leaves.iter().filter(|l| l.is_some()).count();
        assert_eq!(live, self.leaves.len() - self.free_leaves.len());
    }

    #[cfg(test)]
    fn validate_node(&self, id: u32, height: u32, arena: &[Item], root: bool) -> (usize, u32) {
        if height == 0 {
            let leaf = self.leaf(id);
            assert!(leaf.len > 0, "an empty leaf is freed");
            return (leaf.len as usize, leaf.items[0]);
        }
        let inner = self.inner(id);
        assert!(inner.len >= 2 || !root, "a root with one child collapses");
        assert!(inner.len > 0);
        let mut total = 0;
        for slot in inner.slots() {
            let (count, min) = self.validate_node(slot.child, height - 1, arena, false);
            assert_eq!(slot.count as usize, count, "a slot's count");
            assert_eq!(slot.min, min, "a slot's minimum");
            // Equal, not identical: an update from 0 to -0 leaves the inline copy alone.
            assert_eq!(slot.score, arena[min as usize].1, "a slot's score");
            total += count;
        }
        (total, inner.slots[0].min)
    }
}

fn store<T>(nodes: &mut Vec<Option<Box<T>>>, free: &mut Vec<u32>, node: Box<T>) -> u32 {
    match free.pop() {
        Some(id) => {
            nodes[id as usize] = Some(node);
            id
        }
        None => {
            nodes.push(Some(node));
            u32::try_from(nodes.len() - 1).expect("fewer than 2^32 nodes")
        }
    }
}

fn insert_at<T: Copy>(buf: &mut [T], len: usize, at: usize, value: T) {
    buf.copy_within(at..len, at + 1);
    buf[at] = value;
}

/// Where a full node splits when `at` receives a new item: in half, except at the tree's edges
/// (see the module documentation), where the full node stays full.
fn split_point(at: usize, cap: usize, (left_edge, right_edge): (bool, bool)) -> usize {
    if right_edge && at == cap {
        cap
    } else if left_edge && at <= 1 {
        at + 1
    } else {
        cap.div_ceil(2)
    }
}

/// Inserts `value` at `at` into the full `left`, then moves all but the first `split` of the
/// resulting `len + 1` items to the empty `right`; the two lengths.
fn split_insert<T: Copy>(
    left: &mut [T],
    at: usize,
    value: T,
    split: usize,
    right: &mut [T],
) -> (usize, usize) {
    let cap = left.len();
    if at < split {
        let moved = cap + 1 - split;
        right[..moved].copy_from_slice(&left[split - 1..]);
        left.copy_within(at..split - 1, at + 1);
        left[at] = value;
        (split, moved)
    } else {
        let before = at - split;
        right[..before].copy_from_slice(&left[split..at]);
        right[before] = value;
        right[before + 1..before + 1 + cap - at].copy_from_slice(&left[at..]);
        (split, cap + 1 - split)
    }
}

/// Moves items across the boundary of two adjacent nodes so that the left one holds `want`.
fn shift<T: Copy>(left: &mut [T], left_len: usize, right: &mut [T], right_len: usize, want: usize) {
    if want >= left_len {
        let n = want - left_len;
        left[left_len..want].copy_from_slice(&right[..n]);
        right.copy_within(n..right_len, 0);
    } else {
        let n = left_len - want;
        right.copy_within(0..right_len, n);
        right[..n].copy_from_slice(&left[want..left_len]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Bytes;
    use crate::random::Rng;

    /// Tiny nodes, so that a few hundred members make a tree of five or six levels.
    type Small = Tree<4, 4>;

    /// The tree, its arena (with the set's swap-remove), and the order as a sorted vector.
    struct Harness<const L: usize, const I: usize> {
        tree: Tree<L, I>,
        arena: Vec<Item>,
        model: Vec<(Vec<u8>, f64)>,
    }

    impl<const L: usize, const I: usize> Harness<L, I> {
        fn insert(&mut self, member: Vec<u8>, score: f64) {
            if self.model.iter().any(|(m, _)| *m == member) {
                return;
            }
            let at = self
                .model
                .partition_point(|(m, s)| compare((m, *s), (&member, score)).is_lt());
            self.model.insert(at, (member.clone(), score));
            self.arena.push((Bytes::new(&member), score));
            self.tree.insert(&self.arena, self.arena.len() as u32 - 1);
        }

        fn detach(&mut self, position: u32) {
            let last = self.arena.len() as u32 - 1;
            if position != last {
                self.tree.relocate(&self.arena, last, position);
            }
            self.arena.swap_remove(position as usize);
        }

        fn check(&self, rng: &mut Rng) {
            self.tree.validate(&self.arena);
            let got: Vec<&[u8]> = self
                .tree
                .positions()
                .iter()
                .map(|&p| self.arena[p as usize].0.as_slice())
                .collect();
            let want: Vec<&[u8]> = self.model.iter().map(|(m, _)| m.as_slice()).collect();
            assert_eq!(got, want);
            let n = self.model.len();
            for _ in 0..4.min(n) {
                let rank = rng.below(n as u64) as usize;
                let p = self.tree.at_rank(rank);
                assert_eq!(self.arena[p as usize].0.as_slice(), self.model[rank].0);
                assert_eq!(self.tree.rank(&self.arena, p), rank);
                let (pm, ps) = self.model[rank].clone();
                let below = self
                    .tree
                    .count_while(&self.arena, |m, s| compare((m, s), (&pm, ps)).is_lt());
                assert_eq!(below, rank);
                // Cursors from a rank, both ways, to the ends.
                let mut cursor = self.tree.seek(rank);
                for r in rank..n {
                    assert_eq!(
                        self.arena[self.tree.get(cursor) as usize].0.as_slice(),
                        self.model[r].0
                    );
                    self.tree.advance(&mut cursor);
                }
                let mut cursor = self.tree.seek(rank);
                for r in (0..=rank).rev() {
                    assert_eq!(
                        self.arena[self.tree.get(cursor) as usize].0.as_slice(),
                        self.model[r].0
                    );
                    self.tree.retreat(&mut cursor);
                }
            }
            assert_eq!(self.tree.count_while(&self.arena, |_, _| true), n);
            assert_eq!(self.tree.count_while(&self.arena, |_, _| false), 0);
        }
    }

    fn exercise<const L: usize, const I: usize>(seed: u64, target: u64) -> u32 {
        let mut rng = Rng::seeded(seed);
        let mut h = Harness::<L, I> {
            tree: Tree::default(),
            arena: Vec::new(),
            model: Vec::new(),
        };
        let mut max_height = 0;
        for step in 0..6000 {
            let growing = (step / 500) % 2 == 0;
            let op = rng.below(100);
            if op < if growing { 60 } else { 30 } {
                // Ascending and descending runs now and then: the edge splits.
                let score = match rng.below(4) {
                    0 => step as f64,
                    1 => -(step as f64),
                    _ => rng.below(8) as f64,
                };
                let member = format!("k{}", rng.below(target * 4)).into_bytes();
                h.insert(member, score);
            } else if op < 97 && !h.model.is_empty() {
                let rank = rng.below(h.model.len() as u64) as usize;
                h.model.remove(rank);
                let position = if rng.below(2) == 0 {
                    h.tree.remove_rank(&h.arena, rank)
                } else {
                    let p = h.tree.at_rank(rank);
                    h.tree.remove(&h.arena, p);
                    p
                };
                h.detach(position);
            } else {
                let sorted = h.tree.positions();
                h.tree = Tree::build(&h.arena, &sorted);
            }
            max_height = max_height.max(h.tree.height);
            h.check(&mut rng);
        }
        max_height
    }

    #[test]
    fn small_nodes_behave_like_a_sorted_vector_through_every_reshaping() {
        for seed in 1..=4 {
            assert!(exercise::<4, 4>(seed, 300) >= 4, "the tree grew deep");
            assert!(exercise::<3, 3>(seed + 10, 200) >= 4);
        }
    }

    #[test]
    fn build_makes_even_nodes_at_every_size() {
        for n in 0..300u32 {
            let arena: Vec<Item> = (0..n)
                .map(|i| (Bytes::new(format!("{i:05}").as_bytes()), 1.0))
                .collect();
            let sorted: Vec<u32> = (0..n).collect();
            let tree = Small::build(&arena, &sorted);
            tree.validate(&arena);
            assert_eq!(tree.positions(), sorted);
        }
    }

    #[test]
    fn split_insert_keeps_the_sequence() {
        for at in 0..=8 {
            for split in 1..=8 {
                let mut left: [u32; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
                let mut right = [0; 8];
                let (l, r) = split_insert(&mut left, at, 99, split, &mut right);
                let mut expected: Vec<u32> = (0..8).collect();
                expected.insert(at, 99);
                let got: Vec<u32> = left[..l].iter().chain(&right[..r]).copied().collect();
                assert_eq!(got, expected, "at {at} split {split}");
                assert_eq!(l, split);
            }
        }
    }

    #[test]
    fn shift_moves_both_ways() {
        for want in 0..=7 {
            let mut left = [1, 2, 3, 0, 0, 0, 0, 0];
            let mut right = [4, 5, 6, 7, 0, 0, 0, 0];
            shift(&mut left, 3, &mut right, 4, want);
            let got: Vec<i32> = left[..want]
                .iter()
                .chain(&right[..7 - want])
                .copied()
                .collect();
            assert_eq!(got, [1, 2, 3, 4, 5, 6, 7]);
        }
    }
}
