//! Member → arena position for a large sorted set: an open-addressing hash table of `u32`
//! positions, so that `ZSCORE` is O(1) and every update finds its member without a search of
//! the order.
//!
//! # Why not `HashMap<Bytes, u32>`
//! A std map would hold a second copy of every member (24 bytes inline, more for long ones) and
//! its hash bookkeeping: about 30 bytes a member at its load factor, half the budget. Here a slot
//! is 5 bytes: the position (the member itself is read from the arena) and one control byte,
//! either empty, deleted, or the top 7 bits of the member's hash. A probe compares members only
//! when those 7 bits match (1 time in 128 for another member), so a probe sequence reads the
//! arena about once, and the control bytes of a sequence sit together in the cache.
//!
//! # Layout and load
//! Slots come in groups of 8 (8 control bytes, then 8 positions: 40 bytes), so a probe finds
//! the control byte and the position in the same cache line. Probing is linear. The table
//! holds up to 7/8 of its slots in use (live or deleted): at that load a miss scans about 32
//! control bytes, a few cache lines, and a member costs 5.7 to 11.4 bytes depending on where its
//! count falls between two powers of two (10.5 for a million, just past 7/8 of 2²⁰). Deleted slots are tombstones, reused by inserts; when live
//! and deleted fill the table it is rebuilt, at twice the size if it is over half live, else at
//! the same size. Rebuilding reads members from the arena, in order, rather than from the
//! table, so it needs the arena and the index to agree (the callers' contract). The table
//! shrinks when under 1/8 live.

use std::hash::{BuildHasher, Hasher};

use super::Item;
use crate::keyspace::hasher::KeyHashBuilder;

const EMPTY: u8 = 0;
const DELETED: u8 = 1;
const GROUP: usize = 8;
const MIN_CAPACITY: usize = 16;

#[derive(Clone, Copy)]
struct Group {
    control: [u8; GROUP],
    positions: [u32; GROUP],
}

const EMPTY_GROUP: Group = Group {
    control: [EMPTY; GROUP],
    positions: [0; GROUP],
};

/// The control byte of a live slot: the hash's top 7 bits, with the high bit set so it is
/// never `EMPTY` or `DELETED`.
fn control(hash: u64) -> u8 {
    (hash >> 57) as u8 | 0x80
}

#[derive(Clone, Default)]
pub struct Index {
    groups: Vec<Group>,
    live: usize,
    deleted: usize,
    hasher: KeyHashBuilder,
}

impl Index {
    fn capacity(&self) -> usize {
        self.groups.len() * GROUP
    }

    pub fn hash(&self, member: &[u8]) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        hasher.write(member);
        hasher.finish()
    }

    fn control_at(&self, slot: usize) -> u8 {
        self.groups[slot / GROUP].control[slot % GROUP]
    }

    fn position_at(&self, slot: usize) -> u32 {
        self.groups[slot / GROUP].positions[slot % GROUP]
    }

    /// The first slot of the probe sequence for `hash`, and the mask that wraps it.
    fn start(&self, hash: u64) -> (usize, usize) {
        let mask = self.capacity() - 1;
        (hash as usize & mask, mask)
    }

    /// The slot whose control byte matches `hash` and whose position satisfies `is`.
    fn find_slot(&self, hash: u64, is: impl Fn(u32) -> bool) -> Option<usize> {
        if self.groups.is_empty() {
            return None;
        }
        let tag = control(hash);
        let (mut slot, mask) = self.start(hash);
        // Terminates: at most 7/8 of the slots are in use, so an empty one ends every probe.
        loop {
            match self.control_at(slot) {
                EMPTY => return None,
                c if c == tag && is(self.position_at(slot)) => return Some(slot),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// The arena position of `member` (whose hash is `hash`).
    pub fn get(&self, arena: &[Item], member: &[u8], hash: u64) -> Option<u32> {
        let slot = self.find_slot(hash, |p| arena[p as usize].0.as_slice() == member)?;
        Some(self.position_at(slot))
    }

    /// Adds `position`, the last of `arena`, whose member (hash `hash`) is not in the index;
    /// every other position of `arena` is.
    pub fn insert(&mut self, arena: &[Item], position: u32, hash: u64) {
        let capacity = self.capacity();
        if (self.live + self.deleted + 1) * 8 > capacity * 7 {
            let wanted = self.live + 1;
            let capacity = if wanted * 2 > capacity {
                (capacity * 2).max(MIN_CAPACITY)
            } else {
                capacity
            };
            self.rebuild(arena, capacity);
            return;
        }
        self.place(hash, position);
    }

    /// Puts `position` in the first free slot of its probe sequence: the member is known to be
    /// absent, so a tombstone on the way is as good as an empty slot.
    fn place(&mut self, hash: u64, position: u32) {
        let (mut slot, mask) = self.start(hash);
        loop {
            let group = &mut self.groups[slot / GROUP];
            let c = &mut group.control[slot % GROUP];
            if *c == EMPTY || *c == DELETED {
                if *c == DELETED {
                    self.deleted -= 1;
                }
                *c = control(hash);
                group.positions[slot % GROUP] = position;
                self.live += 1;
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Forgets `position`, which is in the index; `arena` still holds its member.
    pub fn remove(&mut self, arena: &[Item], position: u32) {
        let hash = self.hash(&arena[position as usize].0);
        let slot = self
            .find_slot(hash, |p| p == position)
            .expect("the member is indexed");
        // A slot followed by an empty one ends no probe sequence but its own: it can be empty
        // again rather than a tombstone.
        // So can the tombstones just before it, for the same reason.
        let mask = self.capacity() - 1;
        self.live -= 1;
        if self.control_at((slot + 1) & mask) != EMPTY {
            self.deleted += 1;
            self.set_control(slot, DELETED);
            return;
        }
        self.set_control(slot, EMPTY);
        let mut before = slot.wrapping_sub(1) & mask;
        while self.control_at(before) == DELETED {
            self.set_control(before, EMPTY);
            self.deleted -= 1;
            before = before.wrapping_sub(1) & mask;
        }
    }

    fn set_control(&mut self, slot: usize, c: u8) {
        self.groups[slot / GROUP].control[slot % GROUP] = c;
    }

    /// Records that the member at `from` (still there in `arena`) moves to `to`.
    pub fn relocate(&mut self, arena: &[Item], from: u32, to: u32) {
        let hash = self.hash(&arena[from as usize].0);
        let slot = self
            .find_slot(hash, |p| p == from)
            .expect("the member is indexed");
        self.groups[slot / GROUP].positions[slot % GROUP] = to;
    }

    /// Shrinks the table if it is mostly empty; `arena` and the index must agree.
    pub fn shrink_if_sparse(&mut self, arena: &[Item]) {
        let capacity = self.capacity();
        if capacity > MIN_CAPACITY && self.live * 8 < capacity {
            let capacity = match self.live {
                0 => 0,
                live => (live * 2).next_power_of_two().max(MIN_CAPACITY),
            };
            self.rebuild(arena, capacity);
        }
    }

    /// Indexes every position of `arena`, in a table of `capacity` slots (0, or a power of two
    /// of at least [`MIN_CAPACITY`] with room for them).
    pub fn rebuild(&mut self, arena: &[Item], capacity: usize) {
        let capacity = if arena.is_empty() {
            capacity
        } else {
            let least = (arena.len() * 8).div_ceil(7) + 1;
            capacity.max(least.next_power_of_two()).max(MIN_CAPACITY)
        };
        self.groups = vec![EMPTY_GROUP; capacity / GROUP];
        self.live = 0;
        self.deleted = 0;
        for (position, (member, _)) in arena.iter().enumerate() {
            self.place(self.hash(member), position as u32);
        }
    }

    /// Heap bytes.
    pub fn heap_size(&self) -> usize {
        self.groups.capacity() * size_of::<Group>()
    }

    /// Checks that exactly the positions of `arena` are indexed, each findable (tests).
    #[cfg(test)]
    pub fn validate(&self, arena: &[Item]) {
        assert_eq!(self.live, arena.len());
        for (position, (member, _)) in arena.iter().enumerate() {
            assert_eq!(
                self.get(arena, member, self.hash(member)),
                Some(position as u32)
            );
        }
        let used = (0..self.capacity())
            .filter(|&s| self.control_at(s) != EMPTY)
            .count();
        assert_eq!(used, self.live + self.deleted);
        assert!(used * 8 <= self.capacity() * 7 || self.capacity() == 0);
    }
}
