//! A stream's consumer groups (Redis's `streamCG`): where each group has read to, the entries
//! it delivered and nobody acknowledged yet (the pending entries list, PEL), and its
//! consumers. Pure data and the operations on it: creating consumers, delivering, acking,
//! claiming, and the read counter behind `lag` (Redis's `streamEstimateDistanceFromFirstEverEntry`
//! and `streamRangeHasTombstones`). The commands are in `commands/streams/groups.rs`.
//!
//! The PEL is kept twice, as Redis keeps it: once for the group, by ID, with the consumer
//! that holds each entry, its delivery time and count (`XPENDING`, `XCLAIM`); and per
//! consumer, the IDs it holds (`XPENDING ... consumer`, `XINFO CONSUMERS`). Both are ordered
//! maps because every reader walks them by ID range. The two always agree: every change to
//! the PEL goes through a method here that updates both.

use std::collections::{BTreeMap, BTreeSet};

use super::{Stream, StreamId};
use crate::keyspace::Bytes;

/// One consumer group.
#[derive(Clone, Debug, Default)]
pub struct Group {
    /// The last ID delivered to the group's consumers (`>` reads after it).
    pub last_id: StreamId,
    /// How many entries the group has read (Redis's `entries_read`, for `lag`); `None` when
    /// it cannot be known (Redis's `SCG_INVALID_ENTRIES_READ`, shown as nil).
    pub entries_read: Option<u64>,
    /// Delivered, unacknowledged entries.
    pub pel: BTreeMap<StreamId, Pending>,
    /// Consumers by name, in name order as `XINFO CONSUMERS` lists them.
    pub consumers: BTreeMap<Bytes, Consumer>,
}

/// A delivered, unacknowledged entry.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The consumer it was last delivered to.
    pub consumer: Bytes,
    /// When it was last delivered, in Unix milliseconds.
    pub delivery_time: u64,
    pub delivery_count: u64,
}

/// One consumer of a group.
#[derive(Clone, Debug, Default)]
pub struct Consumer {
    /// When it last read or claimed, in Unix milliseconds (`idle` in `XINFO CONSUMERS`).
    pub seen_time: u64,
    /// The IDs of the pending entries it holds.
    pub pel: BTreeSet<StreamId>,
}

/// How an `XCLAIM` (or `XAUTOCLAIM`) sets the claimed entry's delivery data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The new delivery time, Unix milliseconds.
    pub delivery_time: u64,
    /// `RETRYCOUNT n`: the delivery count to set.
    pub retry_count: Option<u64>,
    /// Whether the delivery count goes up by one when no count is set (not with `JUSTID`).
    pub count_delivery: bool,
}

/// What the read counter of a group depends on in its stream: a copy of the stream's own
/// counters, so a group can be changed while they are consulted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub entries_added: u64,
    pub length: u64,
    pub first_id: StreamId,
    pub last_id: StreamId,
    pub max_deleted_id: StreamId,
}

impl Tally {
    pub fn of(stream: &Stream) -> Tally {
        Tally {
            entries_added: stream.entries_added(),
            length: stream.len(),
            first_id: stream.first_id(),
            last_id: stream.last_id(),
            max_deleted_id: stream.max_deleted_id(),
        }
    }

    /// Whether an entry deleted by `XDEL` may lie between `start` and `end` (`None`: the end
    /// of the stream), Redis's `streamRangeHasTombstones`. Only the greatest deleted ID is
    /// known, so this is "the greatest tombstone is in range", as Redis judges it.
    pub fn has_tombstones(&self, start: StreamId, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_id == StreamId::MIN {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id && self.max_deleted_id <= end.unwrap_or(StreamId::MAX)
    }

    /// How many entries were added up to and including `id`, when that can be known (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`): at the last ID, at or before the first
    /// entry of an unfragmented stream, or anywhere in a stream never added to.
    pub fn entries_up_to(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        let unfragmented =
            self.max_deleted_id == StreamId::MIN || self.max_deleted_id < self.first_id;
        if unfragmented {
            // Everything before the first entry was read once it is reached.
            let before_first = self.entries_added - self.length;
            if id < self.first_id {
                return Some(before_first);
            }
            if id == self.first_id {
                return Some(before_first + 1);
            }
        }
        None
    }

    /// The group's lag: entries added that it has not read yet, or `None` when that cannot be
    /// told (Redis's `streamReplyWithCGLag`). Signed, as Redis computes it: `ENTRIESREAD` may
    /// claim more than was ever added.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let read = match group.entries_read {
            Some(read) if !self.has_tombstones(group.last_id, None) => Some(read),
            _ => self.entries_up_to(group.last_id),
        };
        read.map(|read| (self.entries_added as i64).wrapping_sub(read as i64))
    }
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// Creates consumer `name`, seen `now`; false if it exists already.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            Bytes::new(name),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Marks consumer `name` as seen `now`, creating it if needed (Redis's
    /// `streamLookupConsumer` then `streamCreateConsumer`): whether it was created.
    pub fn touch_consumer(&mut self, name: &[u8], now: u64) -> bool {
        match self.consumers.get_mut(name) {
            Some(consumer) => {
                consumer.seen_time = now;
                false
            }
            None => self.create_consumer(name, now),
        }
    }

    /// Deletes consumer `name` and the entries it had pending, from the group's PEL too: how
    /// many it had, or `None` if there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }

    /// Moves the group's position forward to `id`, an entry just delivered by a `>` read, and
    /// keeps its read counter as Redis's `streamReplyWithRange` does: one more if it was valid
    /// and no deleted entry lies ahead, else whatever can be worked out from the stream.
    /// Returns whether the position moved.
    pub fn advance(&mut self, tally: &Tally, id: StreamId) -> bool {
        if id <= self.last_id {
            return false;
        }
        match self.entries_read {
            Some(read) if !tally.has_tombstones(id, None) => {
                self.entries_read = Some(read.saturating_add(1))
            }
            _ if tally.entries_added != 0 => self.entries_read = tally.entries_up_to(id),
            _ => {}
        }
        self.last_id = id;
        true
    }

    /// Records entry `id` as delivered to `consumer` (which must exist) `now` by a `>` read:
    /// a new pending entry with one delivery, or, if another read already left it pending
    /// (the group was moved back with `XGROUP SETID`), the entry handed over and its count
    /// restarted, as in Redis.
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: u64) -> &Pending {
        self.release(id);
        self.hold(id, consumer);
        self.pel.insert(
            id,
            Pending {
                consumer: Bytes::new(consumer),
                delivery_time: now,
                delivery_count: 1,
            },
        );
        &self.pel[&id]
    }

    /// Acknowledges `id`: whether it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        self.release(id).is_some()
    }

    /// Removes `id` from the PEL (both copies), returning what it was.
    pub fn release(&mut self, id: StreamId) -> Option<Pending> {
        let pending = self.pel.remove(&id)?;
        if let Some(owner) = self.consumers.get_mut(pending.consumer.as_slice()) {
            owner.pel.remove(&id);
        }
        Some(pending)
    }

    /// Gives pending entry `id` to `consumer` (which must exist) as `XCLAIM` does, creating
    /// the pending entry if there is none (`FORCE`; it then counts one delivery already, as
    /// Redis's `streamCreateNACK` starts it).
    pub fn claim(&mut self, id: StreamId, consumer: &[u8], claim: Claim) -> &Pending {
        let previous = self.release(id);
        let count = previous.map_or(1, |p| p.delivery_count);
        let delivery_count = match claim.retry_count {
            Some(n) => n,
            None if claim.count_delivery => count.saturating_add(1),
            None => count,
        };
        self.hold(id, consumer);
        self.pel.insert(
            id,
            Pending {
                consumer: Bytes::new(consumer),
                delivery_time: claim.delivery_time,
                delivery_count,
            },
        );
        &self.pel[&id]
    }

    /// A history read delivered `id` again `now`: one more delivery.
    pub fn redeliver(&mut self, id: StreamId, now: u64) {
        if let Some(pending) = self.pel.get_mut(&id) {
            pending.delivery_time = now;
            pending.delivery_count = pending.delivery_count.saturating_add(1);
        }
    }

    /// Adds `id` to `consumer`'s own PEL.
    fn hold(&mut self, id: StreamId, consumer: &[u8]) {
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pel.insert(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64) -> StreamId {
        StreamId::new(ms, 0)
    }

    fn tally(added: u64, length: u64, first: u64, last: u64, max_deleted: u64) -> Tally {
        Tally {
            entries_added: added,
            length,
            first_id: id(first),
            last_id: id(last),
            max_deleted_id: id(max_deleted),
        }
    }

    #[test]
    fn delivering_keeps_both_pels_in_step() {
        let mut group = Group::new(StreamId::MIN, Some(0));
        group.create_consumer(b"alice", 10);
        group.create_consumer(b"bob", 10);
        group.deliver(id(1), b"alice", 20);
        group.deliver(id(2), b"alice", 20);
        assert_eq!(group.consumers[b"alice".as_slice()].pel.len(), 2);
        // Delivered again to another consumer: handed over, its count restarted.
        group.redeliver(id(1), 25);
        assert_eq!(group.pel[&id(1)].delivery_count, 2);
        let pending = group.deliver(id(1), b"bob", 30);
        assert_eq!((pending.delivery_count, pending.delivery_time), (1, 30));
        assert!(!group.consumers[b"alice".as_slice()].pel.contains(&id(1)));
        assert!(group.consumers[b"bob".as_slice()].pel.contains(&id(1)));
        assert!(group.ack(id(1)));
        assert!(!group.ack(id(1)), "acknowledged once only");
        assert!(group.consumers[b"bob".as_slice()].pel.is_empty());
        assert_eq!(group.delete_consumer(b"alice"), Some(1));
        assert!(
            group.pel.is_empty(),
            "a deleted consumer's entries leave the group"
        );
        assert_eq!(group.delete_consumer(b"alice"), None);
    }

    #[test]
    fn claims_set_or_count_deliveries() {
        let mut group = Group::new(StreamId::MIN, None);
        group.create_consumer(b"a", 0);
        group.create_consumer(b"b", 0);
        group.deliver(id(1), b"a", 5);
        let plain = Claim {
            delivery_time: 9,
            retry_count: None,
            count_delivery: true,
        };
        assert_eq!(group.claim(id(1), b"b", plain).delivery_count, 2);
        assert!(group.consumers[b"a".as_slice()].pel.is_empty());
        let justid = Claim {
            count_delivery: false,
            ..plain
        };
        assert_eq!(group.claim(id(1), b"b", justid).delivery_count, 2);
        let retry = Claim {
            retry_count: Some(7),
            ..plain
        };
        assert_eq!(group.claim(id(1), b"a", retry).delivery_count, 7);
        // FORCE on an entry nobody had: a new pending entry, delivered once.
        assert_eq!(group.claim(id(2), b"a", justid).delivery_count, 1);
        assert_eq!(group.consumers[b"a".as_slice()].pel.len(), 2);
    }

    #[test]
    fn consumers_are_created_once_and_touched_after() {
        let mut group = Group::default();
        assert!(group.touch_consumer(b"c", 1));
        assert!(!group.touch_consumer(b"c", 5));
        assert_eq!(group.consumers[b"c".as_slice()].seen_time, 5);
        assert!(!group.create_consumer(b"c", 9));
        assert_eq!(group.consumers[b"c".as_slice()].seen_time, 5);
    }

    #[test]
    fn the_read_counter_is_known_only_where_redis_knows_it() {
        // Never added to: everything is 0.
        assert_eq!(tally(0, 0, 0, 0, 0).entries_up_to(id(5)), Some(0));
        // 10 added, 4 left (7..=10), no deletions.
        let t = tally(10, 4, 7, 10, 0);
        assert_eq!(t.entries_up_to(id(10)), Some(10), "the last ID");
        assert_eq!(t.entries_up_to(id(3)), Some(6), "before the first entry");
        assert_eq!(t.entries_up_to(id(7)), Some(7), "the first entry");
        assert_eq!(t.entries_up_to(id(8)), None, "in the middle");
        assert_eq!(t.entries_up_to(id(11)), None, "in the future");
        // A deletion at 8 fragments the stream after the first entry.
        let t = tally(10, 3, 7, 10, 8);
        assert_eq!(t.entries_up_to(id(7)), None);
        assert!(t.has_tombstones(id(7), None));
        assert!(!t.has_tombstones(id(9), None));
        // A deletion before the first entry does not.
        let t = tally(10, 3, 8, 10, 7);
        assert!(!t.has_tombstones(StreamId::MIN, None));
        assert_eq!(t.entries_up_to(id(8)), Some(8));
        // Emptied: anything up to the last ID counts every entry.
        assert_eq!(tally(10, 0, 0, 10, 10).entries_up_to(id(2)), Some(10));
    }

    #[test]
    fn lag_follows_the_read_counter() {
        let t = tally(5, 5, 1, 5, 0);
        let mut group = Group::new(StreamId::MIN, Some(0));
        assert_eq!(t.lag(&group), Some(5));
        for ms in 1..=3 {
            assert!(group.advance(&t, id(ms)));
        }
        assert!(!group.advance(&t, id(2)), "never backwards");
        assert_eq!((group.entries_read, t.lag(&group)), (Some(3), Some(2)));
        // An unknown counter is worked out again where possible.
        let mut group = Group::new(StreamId::MIN, None);
        assert_eq!(t.lag(&group), Some(5), "0-0 is before the first entry");
        group.advance(&t, id(3));
        assert_eq!((group.entries_read, t.lag(&group)), (None, None));
        group.advance(&t, id(5));
        assert_eq!((group.entries_read, t.lag(&group)), (Some(5), Some(0)));
        // ENTRIESREAD past the entries added: a negative lag, as Redis computes it.
        let group = Group::new(id(5), Some(9));
        assert_eq!(t.lag(&group), Some(-4));
    }
}
