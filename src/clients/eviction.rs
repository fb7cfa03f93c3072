//! `maxmemory-clients`: when the clients together use more memory than the limit, the biggest
//! are closed until they fit (Redis's `evictClients`), and `client-output-buffer-limit` for
//! normal and pub/sub clients: a client whose replies wait past its limit is closed
//! (`closeClientOnOutputBufferLimitReached`).
//!
//! Enforcement comes from outside the client it closes: the thread of a client that just grew
//! (its input arrived, its command ran) or the cron checks the total and shuts the victims'
//! sockets, which wakes a thread blocked in `read`, `poll` or `write`. With
//! `maxmemory-clients` 0 and short replies, what a command pays here is a few relaxed stores
//! and two tests ([`OutputWatch::after_command`]).
//!
//! A client that does not read its replies keeps being served (`connection.rs`), so its backlog
//! is in our memory, where Redis keeps it too, and counts. What the kernel has accepted into
//! the socket's buffers is not ours any more and is not counted; nor are requests the kernel
//! holds that the client's thread has not read yet, so a client that sends a large argument
//! is seen to grow a moment later than in Redis, which reads eagerly.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::ClientInfo;
use crate::config::{Config, OutputLimit};
use crate::log;
use crate::server::Server;

/// Redis never lets `maxmemory-clients` go below 128 KB, so that a bad setting cannot cut
/// every client off (`getClientEvictionLimit`).
const MIN_LIMIT: u64 = 128 * 1024;

/// Redis's `getClientEvictionLimit`: the limit in bytes, from bytes or a percentage of
/// `maxmemory` (stored negative); 0 when off.
pub fn limit(config: &Config) -> u64 {
    let setting = Config::get(&config.maxmemory_clients);
    let maxmemory = Config::get(&config.maxmemory) as u64;
    let bytes = match setting {
        0 => return 0,
        percent if percent < 0 => {
            if maxmemory == 0 {
                return 0;
            }
            (maxmemory as f64 * (-percent) as f64 / 100.0) as u64
        }
        bytes => bytes as u64,
    };
    bytes.max(MIN_LIMIT)
}

/// Whether `maxmemory-clients` is on: the connection's cheap test before it calls [`enforce`].
#[inline]
pub fn enabled(config: &Config) -> bool {
    Config::get(&config.maxmemory_clients) != 0
}

/// Whether eviction may close `client`: not one that asked not to be (`CLIENT NO-EVICT on`),
/// nor a replica or our master (Redis leaves those to their own limits).
fn evictable(client: &ClientInfo) -> bool {
    !client.no_evict() && !client.modes.is_replica() && !client.modes.is_master()
}

/// Whether `client` counts toward the limit at all: normal and pub/sub clients do, as Redis
/// sums `stat_clients_type_memory` of those two types only.
fn counted(client: &ClientInfo) -> bool {
    !client.modes.is_replica() && !client.modes.is_master()
}

/// What every client but the replicas uses (INFO's `mem_clients_normal`, which Redis's
/// `getMemoryOverheadData` makes of normal, pub/sub and master clients).
pub fn non_replica_memory(server: &Server) -> usize {
    (server.clients.all().iter())
        .filter(|client| !client.modes.is_replica())
        .map(|client| client.memory_usage().total)
        .sum()
}

/// Redis's `evictClients`: while the clients together use the limit or more, closes the
/// biggest evictable one. Redis picks from buckets of powers of two; the exact order here
/// closes no smaller client before a bigger one either.
pub fn enforce(server: &Server) {
    let limit = limit(&server.config);
    if limit == 0 {
        return;
    }
    let clients = server.clients.all();
    let mut sized: Vec<(usize, &Arc<ClientInfo>)> = (clients.iter())
        .filter(|client| counted(client))
        .map(|client| (client.memory_usage().total, client))
        .collect();
    let mut total: u64 = sized.iter().map(|(bytes, _)| *bytes as u64).sum();
    if total < limit {
        return;
    }
    sized.retain(|(_, client)| evictable(client));
    sized.sort_by_key(|&(bytes, _)| std::cmp::Reverse(bytes));
    let now_ms = crate::clock::now_ms();
    for (bytes, client) in sized {
        if total < limit {
            break;
        }
        log!(Notice, "Evicting client: {}", client.describe(now_ms, None));
        // Counted first: once its socket is shut, anyone may ask INFO and must see it.
        server.clients.evicted.fetch_add(1, Ordering::Relaxed);
        client.kill();
        total -= bytes as u64;
    }
}

/// Replies up to this size sit in Redis's fixed reply buffer, which output limits do not
/// count (`PROTO_REPLY_CHUNK_BYTES`): smaller output is never checked, so the check costs
/// nothing for the usual short replies.
const FIXED_REPLY_BUFFER: usize = 16 * 1024;

/// Where a connection's output limit stands, kept by its thread.
#[derive(Default)]
pub struct OutputWatch {
    /// Since when its replies have stayed past the soft limit.
    over_soft_limit_since: Option<i64>,
}

impl OutputWatch {
    /// After a command ran on `client`'s connection, with the replies in `pending` not yet
    /// written (in a buffer of `allocated` bytes): publishes the figures, closes the client if
    /// those replies pass its `client-output-buffer-limit` (Redis's
    /// `checkClientOutputBufferLimits`, which takes precedence over eviction), then enforces
    /// `maxmemory-clients` (Redis's `evictClients` in `processCommand`). Returns whether this
    /// client was closed: its pending replies are then dropped, as Redis never writes them.
    /// Inlined: for the usual short reply with no `maxmemory-clients` it is a few stores and
    /// two tests.
    #[inline]
    pub fn after_command(
        &mut self,
        server: &Server,
        client: &ClientInfo,
        pending: &[u8],
        allocated: usize,
    ) -> bool {
        client.memory.command_done(pending, allocated);
        if pending.len() <= FIXED_REPLY_BUFFER && !enabled(&server.config) {
            return false;
        }
        self.check(server, client, pending.len())
    }

    #[cold]
    fn check(&mut self, server: &Server, client: &ClientInfo, pending: usize) -> bool {
        if pending > FIXED_REPLY_BUFFER {
            // Replicas and our master have limits of their own (`replication/`).
            let limit = match client.kind() {
                "normal" => Some(server.config.normal_output_limit()),
                "pubsub" => Some(server.config.pubsub_output_limit()),
                _ => None,
            };
            let now_ms = crate::clock::now_ms();
            let over = |limit: OutputLimit| {
                limit.exceeded(pending, &mut self.over_soft_limit_since, now_ms)
            };
            if limit.is_some_and(over) {
                close_for_output_limit(client, now_ms);
                return true;
            }
        }
        enforce(server);
        client.is_killed()
    }
}

/// Whether a connection may write its replies before it has run every request it has read:
/// not while a hard output limit is set that they have not reached yet, since Redis holds a
/// whole batch's replies and the limit applies to all of them.
pub fn may_flush_early(server: &Server, pending: usize) -> bool {
    let hard = server.config.normal_output_limit().hard as usize;
    hard == 0 || pending >= hard
}

/// Closes `client` for its output buffer limit, with Redis's log line
/// (`closeClientOnOutputBufferLimitReached`).
pub fn close_for_output_limit(client: &ClientInfo, now_ms: i64) {
    log!(
        Warning,
        "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        client.describe(now_ms, None)
    );
    client.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_for(maxmemory_clients: i64, maxmemory: i64) -> u64 {
        let config = Config::default();
        config
            .maxmemory_clients
            .store(maxmemory_clients, Ordering::Relaxed);
        config.maxmemory.store(maxmemory, Ordering::Relaxed);
        limit(&config)
    }

    #[test]
    fn bytes_or_a_percentage_of_maxmemory() {
        assert_eq!(limit_for(0, 1 << 30), 0);
        assert_eq!(limit_for(3_000_000, 0), 3_000_000);
        assert_eq!(limit_for(-7, 6 << 20), (6 << 20) * 7 / 100);
        // A percentage of no maxmemory is no limit.
        assert_eq!(limit_for(-50, 0), 0);
    }

    #[test]
    fn never_below_128_kb() {
        assert_eq!(limit_for(1, 0), MIN_LIMIT);
        assert_eq!(limit_for(-1, 1 << 20), MIN_LIMIT);
    }
}
