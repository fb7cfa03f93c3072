//! MONITOR (Redis's `replicationFeedMonitors`): every command the server runs, as one line
//! `+<unix time>.<µs> [<db> <client>] "arg" "arg"...`, sent to each client in monitor mode.
//!
//! A monitor's lines travel like pub/sub messages (`pubsub.rs`): appended to its outbox, which
//! its own connection thread drains and writes, so the connection that ran the command never
//! writes to another client's socket. The outbox is bounded by `client-output-buffer-limit
//! normal` (Redis's class for monitors) or, where that class is unlimited as by default, by
//! [`FALLBACK_HARD_LIMIT`]: a monitor that stops reading is disconnected, and nobody else waits.
//!
//! With nobody monitoring, feeding costs one relaxed atomic load. Lines are fed where the
//! command is applied (`commands.rs`: a write under the keyspace's write lock), so writes reach
//! monitors in the order they were applied.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::clients::ClientInfo;
use crate::config::{self, OutputLimit};
use crate::pubsub::Subscriber;
use crate::server::Server;

/// A monitor's outbox limit where `client-output-buffer-limit normal` sets none (Redis then
/// lets a monitor's buffer grow without bound; thredis does not).
pub const FALLBACK_HARD_LIMIT: u64 = 64 << 20;

#[derive(Default)]
pub struct Monitors {
    /// How many clients monitor: the fast path reads only this.
    count: AtomicUsize,
    list: Mutex<Vec<Arc<Subscriber>>>,
}

impl Monitors {
    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Subscriber>>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether anybody monitors: one relaxed load, for callers to skip building what they
    /// would feed.
    pub fn is_active(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// Puts a client in monitor mode; false if it was already.
    pub fn add(&self, subscriber: Arc<Subscriber>) -> bool {
        let mut list = self.lock();
        if list.iter().any(|m| m.info().id == subscriber.info().id) {
            return false;
        }
        subscriber.info().modes.set_monitor(true);
        list.push(subscriber);
        self.count.store(list.len(), Ordering::Relaxed);
        true
    }

    /// Takes a client out of monitor mode (RESET, disconnection).
    pub fn remove(&self, id: u64) {
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut list = self.lock();
        list.retain(|m| {
            let keep = m.info().id != id;
            if !keep {
                m.info().modes.set_monitor(false);
            }
            keep
        });
        self.count.store(list.len(), Ordering::Relaxed);
    }

    /// Sends the command `args`, run by `client` in database `db`, to every monitor. A
    /// monitor's own command comes back as the line instead: it goes after that command's
    /// reply, where Redis, which appends it to the client's buffer after the reply, has it.
    pub fn feed<'a>(
        &self,
        server: &Server,
        client: &ClientInfo,
        db: usize,
        args: impl Iterator<Item = &'a [u8]>,
    ) -> Option<Vec<u8>> {
        if !self.is_active() {
            return None;
        }
        let line = line(server, client, db, args);
        let limit = monitor_limit(server);
        let now_ms = crate::clock::now_ms();
        for monitor in self.lock().iter() {
            if monitor.info().id != client.id {
                monitor.deliver_push(&line, limit, now_ms);
            }
        }
        client.modes.is_monitor().then_some(line)
    }
}

/// `client-output-buffer-limit normal`, or [`FALLBACK_HARD_LIMIT`] if it is unlimited.
fn monitor_limit(server: &Server) -> OutputLimit {
    let limit = server.config.normal_output_limit();
    if limit.hard == 0 && limit.soft == 0 {
        return OutputLimit {
            hard: FALLBACK_HARD_LIMIT,
            ..limit
        };
    }
    limit
}

/// The monitor line of one command.
fn line<'a>(
    server: &Server,
    client: &ClientInfo,
    db: usize,
    args: impl Iterator<Item = &'a [u8]>,
) -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = Vec::with_capacity(64);
    let _ = write!(line, "+{}.{:06} [{db} ", now.as_secs(), now.subsec_micros());
    if client.peer.is_unix() {
        // Redis names the server's socket, not the client's (which has no path).
        let _ = write!(line, "unix:{}", config::read(&server.config.unixsocket));
    } else {
        line.extend_from_slice(client.addr().as_bytes());
    }
    line.extend_from_slice(b"]");
    for arg in args {
        line.push(b' ');
        quote_into(&mut line, arg);
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// Appends `arg` quoted and escaped as Redis's `sdscatrepr`: `\\`, `\"`, `\n`, `\r`, `\t`,
/// `\a`, `\b` by name, other unprintable bytes as `\xhh`.
pub fn quote_into(out: &mut Vec<u8>, arg: &[u8]) {
    out.push(b'"');
    for &byte in arg {
        match byte {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', byte]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(byte),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_as_sdscatrepr_quotes_them() {
        let mut out = Vec::new();
        quote_into(&mut out, b"a\"b\\c\n\r\t\x07\x08\x00\xff ~");
        assert_eq!(out, b"\"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\xff ~\"");
    }
}
