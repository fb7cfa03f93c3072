//! The replication backlog: a ring of the last `repl-backlog-size` bytes of the replication
//! stream, and the global offset of that stream (`master_repl_offset`). The write path feeds
//! it under the keyspace lock; each replica's feeder reads from it at its own pace and waits on
//! its condition variable for more (DESIGN.md §1). A partial resync (`PSYNC <replid> <offset>`)
//! is possible while the requested offset is still inside the ring (Redis's
//! `addReplyReplicationBacklog` / `masterTryPartialResynchronization`).
//!
//! Feeders register as readers: the ring keeps what the slowest of them has not sent yet even
//! beyond `repl-backlog-size` (a replica receiving its snapshot while writes go on), as Redis 7's
//! shared replication buffer does, up to [`READER_LIMIT`]; a replica further behind falls out
//! and is dropped, as by Redis's output buffer limit, so a slow replica never slows the master.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Redis's default `repl-backlog-size` (1 MB), used until the configuration sets another.
pub const DEFAULT_SIZE: usize = 1024 * 1024;

/// How far behind the end a registered reader may fall before the ring stops keeping bytes for
/// it: Redis's default hard output buffer limit for replicas (`client-output-buffer-limit
/// replica 256mb`).
pub const READER_LIMIT: usize = 256 * 1024 * 1024;

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
    /// Each registered reader (a feeder, by client id) and the offset it has sent up to.
    readers: HashMap<u64, i64>,
    /// Feeders waiting for bytes: a feed wakes them only if there are some, as waking is a
    /// system call per write even with no one to wake.
    waiting: usize,
}

impl Default for Ring {
    fn default() -> Ring {
        Ring {
            bytes: VecDeque::new(),
            start: 0,
            capacity: DEFAULT_SIZE,
            readers: HashMap::new(),
            waiting: 0,
        }
    }
}

impl Ring {
    fn end(&self) -> i64 {
        self.start + self.bytes.len() as i64
    }

    /// Drops the oldest bytes beyond the capacity that no reader within its limit still needs.
    fn trim(&mut self) {
        let end = self.end();
        let slowest = self.readers.values().copied().min().unwrap_or(end);
        let by_capacity = end - self.capacity as i64;
        let by_limit = end - self.capacity.max(READER_LIMIT) as i64;
        let keep_from = by_capacity.min(slowest).max(by_limit);
        if keep_from > self.start {
            let excess = (keep_from - self.start) as usize;
            self.bytes.drain(..excess);
            self.start = keep_from;
        }
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

    /// The ring's capacity (`repl_backlog_size`).
    pub fn capacity(&self) -> usize {
        self.ring().capacity
    }

    /// `repl-backlog-size` changed: keeps the newest bytes that fit (Redis's `resizeReplicationBacklog`).
    pub fn resize(&self, capacity: usize) {
        let mut ring = self.ring();
        ring.capacity = capacity.max(1);
        ring.trim();
    }

    /// Appends stream bytes, advancing the offset, and wakes whoever waits for them.
    pub fn feed(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut ring = self.ring();
        ring.bytes.extend(bytes);
        ring.trim();
        let waiting = ring.waiting > 0;
        drop(ring);
        if waiting {
            self.grown.notify_all();
        }
    }

    /// Empties the ring and makes `offset` its end: a new history begins there (after
    /// `+FULLRESYNC <replid> <offset>` from our master).
    pub fn restart_at(&self, offset: i64) {
        let mut ring = self.ring();
        ring.bytes.clear();
        ring.start = offset;
        drop(ring);
        self.grown.notify_all();
    }

    /// A feeder starts reading at `offset`: the ring keeps bytes for it (see the module doc).
    pub fn register(&self, reader: u64, offset: i64) {
        self.ring().readers.insert(reader, offset);
    }

    /// The feeder `reader` has sent everything before `offset`.
    pub fn advance(&self, reader: u64, offset: i64) {
        let mut ring = self.ring();
        if let Some(sent) = ring.readers.get_mut(&reader) {
            *sent = offset;
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

    /// Waits until the stream ends beyond `offset` or `timeout` passes; returns the end.
    pub fn wait_beyond(&self, offset: i64, timeout: Duration) -> i64 {
        let mut ring = self.ring();
        ring.waiting += 1;
        let (mut ring, _) = self
            .grown
            .wait_timeout_while(ring, timeout, |ring| ring.end() <= offset)
            .unwrap_or_else(PoisonError::into_inner);
        ring.waiting -= 1;
        ring.end()
    }

    /// Wakes every waiting feeder (a replica is being dropped, or the server reconfigured).
    pub fn wake_all(&self) {
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
        backlog.feed(b"abcdef");
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
        backlog.feed(b"abcdef");
        assert_eq!(backlog.first_offset(), 0);
        backlog.advance(7, 3);
        assert_eq!(backlog.first_offset(), 2, "the capacity still applies");
        assert_eq!(backlog.read_from(3, 10), Read::Bytes(b"def".to_vec()));
        backlog.unregister(7);
        backlog.feed(b"g");
        assert_eq!(backlog.first_offset(), 3);
    }

    #[test]
    fn a_restart_begins_a_new_history_at_the_given_offset() {
        let backlog = Backlog::default();
        backlog.feed(b"abc");
        backlog.restart_at(100);
        assert_eq!(backlog.offset(), 100);
        assert!(backlog.contains(100));
        assert!(!backlog.contains(2));
        backlog.feed(b"xy");
        assert_eq!(backlog.read_from(100, 1), Read::Bytes(b"x".to_vec()));
    }
}
