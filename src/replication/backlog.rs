//! The replication backlog: a ring of the last `repl-backlog-size` bytes of the replication
//! stream, and the global offset of that stream (`master_repl_offset`). The write path feeds
//! it under the keyspace lock; each replica's feeder reads from it at its own pace and waits on
//! its condition variable for more (DESIGN.md §1). A partial resync (`PSYNC <replid> <offset>`)
//! is possible while the requested offset is still inside the ring (Redis's
//! `addReplyReplicationBacklog` / `masterTryPartialResynchronization`).
//!
//! Feeders register as readers: the ring keeps what the slowest of them has not sent yet even
//! beyond `repl-backlog-size` (a replica receiving its snapshot while writes go on), as Redis 7's
//! shared replication buffer does, so every replica's output is this one buffer, never a copy.
//! What a reader has not sent counts as its output buffer: past `client-output-buffer-limit
//! replica`, it falls out at the next feed and its replica is dropped (and resyncs), so a slow
//! replica never slows the master nor holds its memory without bound.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::config::{DEFAULT_OUTPUT_LIMITS, OutputLimit};

/// Redis's default `repl-backlog-size` (1 MB), used until the configuration sets another.
pub const DEFAULT_SIZE: usize = 1024 * 1024;

/// The ring and its offsets. Offsets count bytes of the stream since the replication ID began:
/// the ring holds the bytes `[start, end)`, and `end` is `master_repl_offset`.
#[derive(Default)]
pub struct Backlog {
    ring: Mutex<Ring>,
    /// Notified on every feed, so feeders (and WAIT) wake when the stream grows.
    grown: Condvar,
}

struct Ring {
    bytes: VecDeque<u8>,
    /// Offset of `bytes[0]`.
    start: i64,
    capacity: usize,
    /// `client-output-buffer-limit replica`: how far behind the end a reader may fall.
    limit: OutputLimit,
    /// Each registered reader (a feeder, by client id).
    readers: HashMap<u64, Reader>,
    /// Feeders waiting for bytes: a feed wakes them only if there are some, as waking is a
    /// system call per write even with no one to wake.
    waiting: usize,
    /// Bumped by [`Backlog::wake_all`]: a waiting feeder returns even with no new bytes.
    wake_ups: u64,
}

impl Default for Ring {
    fn default() -> Ring {
        Ring {
            bytes: VecDeque::new(),
            start: 0,
            capacity: DEFAULT_SIZE,
            limit: DEFAULT_OUTPUT_LIMITS[1],
            readers: HashMap::new(),
            waiting: 0,
            wake_ups: 0,
        }
    }
}

/// One feeder's place in the stream.
struct Reader {
    /// It has sent everything before this offset.
    sent: i64,
    /// Since when its unsent bytes have been past the soft limit.
    over_soft_since: Option<i64>,
}

impl Ring {
    fn end(&self) -> i64 {
        self.start + self.bytes.len() as i64
    }

    /// Drops the oldest bytes beyond the capacity that no reader still needs, and gives their
    /// memory back once most of it is unused (a replica that held megabytes has gone).
    fn trim(&mut self) {
        let end = self.end();
        let slowest = self.readers.values().map(|r| r.sent).min().unwrap_or(end);
        let keep_from = (end - self.capacity as i64).min(slowest);
        if keep_from > self.start {
            let excess = (keep_from - self.start) as usize;
            self.bytes.drain(..excess);
            self.start = keep_from;
            if self.bytes.capacity() > 2 * self.bytes.len().max(self.capacity) {
                self.bytes.shrink_to(self.bytes.len().max(self.capacity));
            }
        }
    }

    /// Removes the readers whose unsent bytes are past the limit (Redis's
    /// `checkClientOutputBufferLimits` for replicas) and returns their ids.
    fn drop_overflowing(&mut self, now_ms: i64) -> Vec<u64> {
        let end = self.end();
        let mut limit = self.limit;
        // Redis: a hard limit below `repl-backlog-size` makes no sense (a partial resync would
        // succeed and the replica then be dropped), so the backlog's size is used instead.
        if limit.hard > 0 {
            limit.hard = limit.hard.max(self.capacity as u64);
        }
        let mut overflowing = Vec::new();
        for (&id, reader) in &mut self.readers {
            let unsent = (end - reader.sent).max(0) as usize;
            if limit.exceeded(unsent, &mut reader.over_soft_since, now_ms) {
                overflowing.push(id);
            }
        }
        for id in &overflowing {
            self.readers.remove(id);
        }
        overflowing
    }
}

/// What [`Backlog::read_from`] found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// The bytes from the offset (at most the asked maximum); empty if it is the end.
    Bytes(Vec<u8>),
    /// The offset is no longer (or not yet) in the ring: that reader can't be served from it.
    OutOfRange,
}

impl Backlog {
    fn ring(&self) -> MutexGuard<'_, Ring> {
        // Holds plain bytes and offsets, consistent after every statement.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `master_repl_offset`: where the stream ends.
    pub fn offset(&self) -> i64 {
        self.ring().end()
    }

    /// The first offset still in the ring (INFO's `repl_backlog_first_byte_offset` is this + 1).
    pub fn first_offset(&self) -> i64 {
        self.ring().start
    }

    /// How many bytes of history the ring holds (`repl_backlog_histlen`).
    pub fn history_len(&self) -> usize {
        self.ring().bytes.len()
    }

    /// The bytes the ring holds in memory, used or not yet (INFO's
    /// `mem_total_replication_buffers`): at least its history.
    pub fn allocated(&self) -> usize {
        self.ring().bytes.capacity()
    }

    /// The ring's capacity (`repl_backlog_size`).
    pub fn capacity(&self) -> usize {
        self.ring().capacity
    }

    /// `client-output-buffer-limit replica` changed.
    pub fn set_reader_limit(&self, limit: OutputLimit) {
        self.ring().limit = limit;
    }

    /// How many bytes the reader `reader` has yet to send (its output buffer), if registered.
    pub fn unsent(&self, reader: u64) -> Option<usize> {
        let ring = self.ring();
        let sent = ring.readers.get(&reader)?.sent;
        Some((ring.end() - sent).max(0) as usize)
    }

    /// `repl-backlog-size` changed: keeps the newest bytes that fit (Redis's `resizeReplicationBacklog`).
    pub fn resize(&self, capacity: usize) {
        let mut ring = self.ring();
        ring.capacity = capacity.max(1);
        ring.trim();
    }

    /// Appends stream bytes, advancing the offset, and wakes whoever waits for them. Returns
    /// the readers that this left too far behind: they are no longer registered, and their
    /// replicas must be dropped.
    pub fn feed(&self, bytes: &[u8], now_ms: i64) -> Vec<u64> {
        if bytes.is_empty() {
            return Vec::new();
        }
        let mut ring = self.ring();
        ring.bytes.extend(bytes);
        let overflowing = if ring.readers.is_empty() {
            Vec::new()
        } else {
            ring.drop_overflowing(now_ms)
        };
        ring.trim();
        let waiting = ring.waiting > 0;
        drop(ring);
        if waiting {
            self.grown.notify_all();
        }
        overflowing
    }

    /// Empties the ring and makes `offset` its end: a new history begins there (after
    /// `+FULLRESYNC <replid> <offset>` from our master).
    pub fn restart_at(&self, offset: i64) {
        let mut ring = self.ring();
        ring.bytes = VecDeque::new(); // Its memory too: the old history may have been large.
        ring.start = offset;
        drop(ring);
        self.grown.notify_all();
    }

    /// A feeder starts reading at `offset`: the ring keeps bytes for it (see the module doc).
    pub fn register(&self, reader: u64, offset: i64) {
        let reader_at = Reader {
            sent: offset,
            over_soft_since: None,
        };
        self.ring().readers.insert(reader, reader_at);
    }

    /// The feeder `reader` has sent everything before `offset`.
    pub fn advance(&self, reader: u64, offset: i64) {
        let mut ring = self.ring();
        if let Some(registered) = ring.readers.get_mut(&reader) {
            registered.sent = offset;
            ring.trim();
        }
    }

    /// The feeder `reader` is gone.
    pub fn unregister(&self, reader: u64) {
        let mut ring = self.ring();
        ring.readers.remove(&reader);
        ring.trim();
    }

    /// Whether the ring can serve a reader that has everything before `offset`.
    pub fn contains(&self, offset: i64) -> bool {
        let ring = self.ring();
        ring.start <= offset && offset <= ring.end()
    }

    /// Up to `max` bytes from `offset`.
    pub fn read_from(&self, offset: i64, max: usize) -> Read {
        let ring = self.ring();
        if offset < ring.start || offset > ring.end() {
            return Read::OutOfRange;
        }
        let from = (offset - ring.start) as usize;
        let to = ring.bytes.len().min(from.saturating_add(max));
        Read::Bytes(ring.bytes.range(from..to).copied().collect())
    }

    /// Waits until the stream ends beyond `offset`, [`Backlog::wake_all`] is called, or
    /// `timeout` passes; returns the end.
    pub fn wait_beyond(&self, offset: i64, timeout: Duration) -> i64 {
        let mut ring = self.ring();
        ring.waiting += 1;
        let wake_ups = ring.wake_ups;
        let (mut ring, _) = self
            .grown
            .wait_timeout_while(ring, timeout, |ring| {
                ring.end() <= offset && ring.wake_ups == wake_ups
            })
            .unwrap_or_else(PoisonError::into_inner);
        ring.waiting -= 1;
        ring.end()
    }

    /// Wakes every waiting feeder (a replica is being dropped, or the server reconfigured), so
    /// each looks at once whether it should stop.
    pub fn wake_all(&self) {
        self.ring().wake_ups += 1;
        self.grown.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_bytes_and_their_offsets() {
        let backlog = Backlog::default();
        backlog.resize(4);
        backlog.feed(b"abcdef", 0);
        assert_eq!(backlog.offset(), 6);
        assert_eq!(backlog.first_offset(), 2);
        assert_eq!(backlog.read_from(3, 10), Read::Bytes(b"def".to_vec()));
        assert_eq!(backlog.read_from(1, 10), Read::OutOfRange);
        assert_eq!(backlog.read_from(6, 10), Read::Bytes(Vec::new()));
        assert_eq!(backlog.read_from(7, 10), Read::OutOfRange);
    }

    #[test]
    fn a_reader_keeps_what_it_has_not_sent_beyond_the_capacity() {
        let backlog = Backlog::default();
        backlog.resize(4);
        backlog.register(7, 0);
        backlog.feed(b"abcdef", 0);
        assert_eq!(backlog.first_offset(), 0);
        backlog.advance(7, 3);
        assert_eq!(backlog.first_offset(), 2, "the capacity still applies");
        assert_eq!(backlog.read_from(3, 10), Read::Bytes(b"def".to_vec()));
        backlog.unregister(7);
        backlog.feed(b"g", 0);
        assert_eq!(backlog.first_offset(), 3);
    }

    #[test]
    fn a_restart_begins_a_new_history_at_the_given_offset() {
        let backlog = Backlog::default();
        backlog.feed(b"abc", 0);
        backlog.restart_at(100);
        assert_eq!(backlog.offset(), 100);
        assert!(backlog.contains(100));
        assert!(!backlog.contains(2));
        backlog.feed(b"xy", 0);
        assert_eq!(backlog.read_from(100, 1), Read::Bytes(b"x".to_vec()));
    }

    #[test]
    fn a_reader_past_the_limit_falls_out_and_frees_what_it_held() {
        let backlog = Backlog::default();
        backlog.resize(4);
        backlog.set_reader_limit(OutputLimit {
            hard: 8,
            soft: 0,
            soft_seconds: 0,
        });
        backlog.register(1, 0);
        backlog.register(2, 0);
        assert!(backlog.feed(b"abcdef", 0).is_empty());
        backlog.advance(2, 6);
        assert_eq!(backlog.unsent(1), Some(6));
        assert_eq!(
            backlog.feed(b"gh", 0),
            vec![1],
            "8 unsent bytes reach the hard limit"
        );
        assert_eq!(backlog.unsent(1), None);
        assert_eq!(backlog.first_offset(), 4, "only the capacity is kept now");
    }

    #[test]
    fn a_hard_limit_below_the_backlog_size_counts_as_the_backlog_size() {
        let backlog = Backlog::default();
        backlog.resize(100);
        backlog.set_reader_limit(OutputLimit {
            hard: 8,
            soft: 0,
            soft_seconds: 0,
        });
        backlog.register(1, 0);
        assert!(backlog.feed(&[b'x'; 99], 0).is_empty());
        assert_eq!(backlog.feed(b"y", 0), vec![1]);
    }
}
