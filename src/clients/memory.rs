//! What one client holds in memory, as Redis's `getClientMemoryUsage` counts it: the input
//! received but not yet run (`qbuf`), the arguments of the command running (`argv-mem`), the
//! commands queued since MULTI (`multi-mem`), the output composed but not yet written (`omem`),
//! its watched keys, subscriptions and tracking prefixes, and the connection's own fixed part.
//!
//! Each part is kept by the code that owns it (the connection thread for its buffers,
//! `watch.rs` and `tracking.rs` for their registrations) in a relaxed atomic of the client's
//! [`ClientInfo`], so that anyone (`CLIENT LIST`, the eviction of `maxmemory-clients`, the cron)
//! can read the figure while the client's thread is busy or blocked in a socket write. Only one
//! thread writes each part, so a store costs no more than a plain write.
//!
//! The figures are thredis's own buffers, not Redis's: the 16 KB read buffer every connection
//! has stands for Redis's query buffer allocation, and replies the kernel has accepted into the
//! socket's send buffer are not ours any more, so they are not counted (see `eviction.rs`).

use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{ClientInfo, request_size};
use crate::protocol::Request;

/// What a connection costs before it holds anything: its shared record, its session and its
/// read buffer (`connection::READ_BUFFER`, Redis's `PROTO_IOBUF_LEN`).
const FIXED: usize = size_of::<ClientInfo>() + size_of::<crate::connection::Session>() + 16 * 1024;

/// Per subscription (channel, pattern or shard channel): its entries in the server's and the
/// client's tables (Redis counts the dict entries the same way, `dictMemUsage`).
const SUBSCRIPTION: usize = 64;

/// Per watched key or tracking prefix, beyond the bytes of the name itself: the registry
/// entries that point to it.
pub const REGISTRATION: usize = 48;

/// The parts of a client's memory only its owners change (see the module doc).
#[derive(Default)]
pub struct ClientMemory {
    /// Bytes received and not yet run: a request still arriving, or pipelined ones behind it.
    query_buffer: AtomicUsize,
    /// The arguments of the command being run.
    argv: AtomicUsize,
    /// The requests queued since MULTI.
    multi: AtomicUsize,
    /// Replies composed by the connection's thread and not yet written to its socket.
    output: AtomicUsize,
    /// The allocation holding them (0 once they are written): what they cost the server.
    output_allocated: AtomicUsize,
    /// Watched keys (`watch.rs`).
    watched: AtomicUsize,
    /// Tracking prefixes (`tracking.rs`).
    prefixes: AtomicUsize,
}

/// One client's memory as CLIENT LIST shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub query_buffer: usize,
    pub argv: usize,
    pub multi: usize,
    /// Output waiting: the connection's replies and the messages in its pub/sub outbox.
    pub output: usize,
    /// Everything above, its registrations and the fixed part (`tot-mem`).
    pub total: usize,
}

impl ClientMemory {
    /// Bytes arrived from the client, not yet part of a request that ran.
    #[inline]
    pub fn received(&self, bytes: usize) {
        add(&self.query_buffer, bytes);
    }

    /// A request was read whole, `unread` bytes arrived behind it. What it took of the query
    /// buffer (its bytes as sent) now stands for its arguments: two loads and stores per
    /// request, where summing the arguments would cost a loop.
    #[inline]
    pub fn request_read(&self, unread: usize) {
        let arrived = self.query_buffer.load(Ordering::Relaxed);
        self.argv
            .store(arrived.saturating_sub(unread), Ordering::Relaxed);
        self.query_buffer.store(unread, Ordering::Relaxed);
    }

    /// The command is done: its arguments are let go, `out`'s replies wait.
    #[inline]
    pub fn command_done(&self, out: &[u8], allocated: usize) {
        self.argv.store(0, Ordering::Relaxed);
        self.set_output(out, allocated);
    }

    /// Replies composed by the connection's thread and not yet written.
    pub fn output(&self) -> usize {
        self.output.load(Ordering::Relaxed)
    }

    /// The replies waiting in `out`, a buffer of `allocated` bytes.
    #[inline]
    pub fn set_output(&self, out: &[u8], allocated: usize) {
        self.output.store(out.len(), Ordering::Relaxed);
        let allocated = if out.is_empty() { 0 } else { allocated };
        self.output_allocated.store(allocated, Ordering::Relaxed);
    }

    /// A request of `bytes` was queued after MULTI.
    pub fn queued(&self, bytes: usize) {
        add(&self.multi, bytes);
    }

    /// The transaction ended (EXEC, DISCARD, an aborted MULTI).
    pub fn transaction_ended(&self) {
        self.multi.store(0, Ordering::Relaxed);
    }

    /// After a command: what the transaction holds now. `before` and `after` are the counts
    /// of commands queued around it (`Modes::queued`): one more means `request` was queued.
    #[inline]
    pub fn follow_transaction(
        &self,
        before: Option<usize>,
        after: Option<usize>,
        request: &Request,
    ) {
        match (before, after) {
            (Some(_), None) => self.transaction_ended(),
            (Some(before), Some(after)) if after > before => self.queued(request_size(request)),
            _ => {}
        }
    }

    /// `keys` more bytes of watched key names, for `count` keys.
    pub fn watched(&self, count: usize, keys: usize) {
        add(&self.watched, count * REGISTRATION + keys);
    }

    pub fn unwatched(&self) {
        self.watched.store(0, Ordering::Relaxed);
    }

    /// The tracking prefixes the client listens to now, `bytes` in all (0: none).
    pub fn set_prefixes(&self, bytes: usize) {
        self.prefixes.store(bytes, Ordering::Relaxed);
    }
}

/// Adds to a part only its owner's thread changes: a load and a store, no locked instruction.
fn add(part: &AtomicUsize, bytes: usize) {
    let now = part.load(Ordering::Relaxed);
    part.store(now.saturating_add(bytes), Ordering::Relaxed);
}

impl ClientInfo {
    /// Redis's `getClientMemoryUsage`, read from the published parts.
    pub fn memory_usage(&self) -> Usage {
        let parts = &self.memory;
        let load = |part: &AtomicUsize| part.load(Ordering::Relaxed);
        let query_buffer = load(&parts.query_buffer);
        let argv = load(&parts.argv);
        let multi = load(&parts.multi);
        let outbox = self.pending_output();
        let output = load(&parts.output) + outbox;
        let output_allocated = load(&parts.output_allocated) + outbox;
        let subscriptions = self.modes.subscription_count() * SUBSCRIPTION;
        let registrations = load(&parts.watched) + load(&parts.prefixes) + subscriptions;
        Usage {
            query_buffer,
            argv,
            multi,
            output,
            total: FIXED + query_buffer + argv + multi + output_allocated + registrations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_client_costs_its_fixed_part() {
        let client = ClientInfo::internal().unwrap();
        let usage = client.memory_usage();
        assert_eq!((usage.query_buffer, usage.output), (0, 0));
        assert_eq!(usage.total, FIXED);
    }

    #[test]
    fn every_part_adds_to_the_total() {
        let client = ClientInfo::internal().unwrap();
        client.memory.received(1000);
        client.memory.queued(300);
        client.memory.watched(2, 10);
        client.memory.set_prefixes(7);
        let usage = client.memory_usage();
        assert_eq!(usage.query_buffer, 1000);
        assert_eq!(usage.multi, 300);
        assert_eq!(usage.total, FIXED + 1000 + 300 + 2 * REGISTRATION + 10 + 7);
        client.memory.request_read(100);
        client.memory.command_done(&[b'x'; 50], 64);
        let usage = client.memory_usage();
        assert_eq!((usage.query_buffer, usage.argv, usage.output), (100, 0, 50));
        client.memory.received(400);
        client.memory.request_read(200);
        assert_eq!(
            client.memory_usage().argv,
            300,
            "what the request took of the 500"
        );
        client.memory.command_done(&[b'x'; 50], 64);
        client.memory.transaction_ended();
        client.memory.unwatched();
        client.memory.set_prefixes(0);
        // What is left: 200 bytes of the next request, 50 of replies in a 64-byte buffer.
        assert_eq!(client.memory_usage().total, FIXED + 200 + 64);
    }
}
