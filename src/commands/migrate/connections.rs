//! MIGRATE's connections to the servers it moves keys to (cluster.c's `migrateGetSocket`,
//! `migrateCloseSocket` and `migrateCloseTimedoutSockets`): one connection per `host:port`,
//! kept open for the next MIGRATE to the same target, closed when it fails or after
//! [`IDLE_SECONDS`] unused (by the cron thread), at most [`MAX_CACHED`] of them. Each remembers
//! the database it last selected, so that SELECT is sent only when the database changes.
//!
//! Also the blocking I/O Redis does on them (`connSyncWrite`, `connSyncReadLine`): every connect,
//! write and line read finishes within the command's timeout or fails.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Redis's `MIGRATE_SOCKET_CACHE_ITEMS`: past this many targets, one is closed to make room.
const MAX_CACHED: usize = 64;

/// Redis's `MIGRATE_SOCKET_CACHE_TTL`: a connection unused for longer is closed.
pub const IDLE_SECONDS: i64 = 10;

/// The longest reply line read, terminator included (the 1024-byte buffers of
/// `migrateCommand`); a longer line is cut there, as `connSyncReadLine` cuts it.
const LINE_MAX: usize = 1023;

/// Redis writes its commands to the target 64 KB at a time, each piece within the timeout.
const WRITE_CHUNK: usize = 64 * 1024;

/// The cached connections, by `host:port` as the client wrote them.
#[derive(Default)]
pub struct Connections {
    /// Connections not in use. One in use by a MIGRATE is taken out (see [`Connections::take`])
    /// so that no lock is held across its I/O.
    idle: Mutex<HashMap<Vec<u8>, Target>>,
    /// Every connection open, in use or not: INFO's `migrate_cached_sockets`, read without
    /// waiting for anything.
    open: AtomicUsize,
}

/// One connection to a target server.
pub struct Target {
    name: Vec<u8>,
    link: BufReader<TcpStream>,
    /// The database the last successful MIGRATE selected; `None` after an error, which forces a
    /// SELECT next time (Redis's `last_dbid` of -1).
    pub selected_db: Option<i64>,
    last_use_s: i64,
}

/// Why talking to the target failed: a timeout, after which Redis does not retry (its
/// `errno == ETIMEDOUT` test), or anything else (a closed connection, a reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    TimedOut,
    Broken,
}

/// Why no connection could be made. Redis's `connBlockingConnect` fails only when the address
/// does not resolve (or the socket cannot be made); a refused or timed-out connect leaves a
/// connection its first write fails on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    Unresolved,
    Refused(Failure),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Failure {
        match error.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => Failure::TimedOut,
            _ => Failure::Broken,
        }
    }
}

impl Connections {
    /// How many connections are open (INFO's `migrate_cached_sockets`).
    pub fn count(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// The connection to `host:port`: the cached one, or a new one connected within `timeout`.
    /// It is the caller's until [`Connections::put_back`] or [`Connections::close`].
    pub fn take(
        &self,
        host: &[u8],
        port: &[u8],
        timeout: Duration,
        now_s: i64,
    ) -> Result<Target, Unreachable> {
        let name = [host, b":", port].concat();
        let cached = self.idle().remove(&name);
        if let Some(mut target) = cached {
            target.last_use_s = now_s;
            return Ok(target);
        }
        if self.count() >= MAX_CACHED {
            // Redis drops one at random; a hash map's order is as good.
            let mut idle = self.idle();
            let evicted = idle.keys().next().cloned();
            let evicted = evicted.and_then(|name| idle.remove(&name));
            drop(idle);
            if let Some(target) = evicted {
                self.close(target);
            }
        }
        let stream = connect(host, port, timeout)?;
        // Redis's `connEnableTcpNoDelay`: each command goes out at once.
        let _ = stream.set_nodelay(true);
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(Target {
            name,
            link: BufReader::new(stream),
            selected_db: None,
            last_use_s: now_s,
        })
    }

    /// Keeps `target` for the next MIGRATE to it.
    pub fn put_back(&self, target: Target) {
        let replaced = self.idle().insert(target.name.clone(), target);
        if let Some(old) = replaced {
            self.close(old);
        }
    }

    /// Closes a connection taken with [`Connections::take`] (Redis's `migrateCloseSocket`).
    pub fn close(&self, target: Target) {
        drop(target);
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Closes the connections unused for more than [`IDLE_SECONDS`]: the cron's
    /// `migrateCloseTimedoutSockets`, once a second.
    pub fn close_idle(&self, now_s: i64) {
        let mut idle = self.idle();
        let before = idle.len();
        idle.retain(|_, target| now_s - target.last_use_s <= IDLE_SECONDS);
        let closed = before - idle.len();
        self.open.fetch_sub(closed, Ordering::Relaxed);
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Target>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Connects to `host` (a name or an address) and `port` within `timeout`, trying each address
/// the name resolves to, as Redis's `anetTcpGenericConnect`.
fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Result<TcpStream, Unreachable> {
    let host = std::str::from_utf8(host).map_err(|_| Unreachable::Unresolved)?;
    let port = port_number(port).ok_or(Unreachable::Unresolved)?;
    let addresses = (host, port).to_socket_addrs();
    let addresses: Vec<_> = addresses.map_err(|_| Unreachable::Unresolved)?.collect();
    let deadline = Instant::now() + timeout;
    let mut failure = Unreachable::Unresolved;
    for address in addresses {
        let left = remaining(deadline).map_err(Unreachable::Refused)?;
        match TcpStream::connect_timeout(&address, left) {
            Ok(stream) => return Ok(stream),
            Err(error) => failure = Unreachable::Refused(error.into()),
        }
    }
    Err(failure)
}

/// A port as Redis reads it: C's `atoi` (optional blanks, a sign, digits, anything after them
/// ignored), then given to `getaddrinfo` as a number, which refuses a negative one and keeps
/// the low 16 bits of a larger one.
fn port_number(text: &[u8]) -> Option<u16> {
    let text = text.trim_ascii_start();
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = (digits.iter())
        .take_while(|b| b.is_ascii_digit())
        .fold(0u32, |n, &d| {
            n.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
        });
    match negative && value != 0 {
        true => None,
        false => Some(value as u16),
    }
}

impl Target {
    /// Writes `bytes`, each 64 KB piece within `timeout` (Redis's `connSyncWrite` loop).
    pub fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), Failure> {
        let stream = self.link.get_mut();
        for chunk in bytes.chunks(WRITE_CHUNK) {
            let deadline = Instant::now() + timeout;
            let mut written = 0;
            while written < chunk.len() {
                stream.set_write_timeout(Some(remaining(deadline)?))?;
                match stream.write(&chunk[written..]) {
                    Ok(0) => return Err(Failure::Broken),
                    Ok(n) => written += n,
                    Err(error) if error.kind() == ErrorKind::Interrupted => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(())
    }

    /// Reads one reply line within `timeout`, without its `\r\n` (Redis's `connSyncReadLine`):
    /// the first byte tells a success (`+`) from an error (`-`).
    pub fn read_line(&mut self, timeout: Duration) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + timeout;
        let mut line = Vec::new();
        while line.len() < LINE_MAX {
            self.link
                .get_ref()
                .set_read_timeout(Some(remaining(deadline)?))?;
            let available = match self.link.fill_buf() {
                Ok([]) => return Err(Failure::Broken),
                Ok(available) => available,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            };
            let room = &available[..available.len().min(LINE_MAX - line.len())];
            if let Some(end) = room.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&room[..end]);
                self.link.consume(end + 1);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            let taken = room.len();
            line.extend_from_slice(room);
            self.link.consume(taken);
        }
        Ok(line)
    }
}

/// The time left before `deadline`, or a timeout if there is none.
fn remaining(deadline: Instant) -> Result<Duration, Failure> {
    let left = deadline.saturating_duration_since(Instant::now());
    match left.is_zero() {
        true => Err(Failure::TimedOut),
        false => Ok(left),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn ports_are_read_as_atoi_reads_them() {
        assert_eq!(port_number(b"6379"), Some(6379));
        assert_eq!(port_number(b" 6379abc"), Some(6379));
        assert_eq!(port_number(b"abc"), Some(0));
        assert_eq!(port_number(b"70000"), Some(4464), "70000 - 65536");
        assert_eq!(port_number(b"-5"), None);
    }

    #[test]
    fn a_connection_is_reused_counted_and_closed_when_idle() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let connections = Connections::default();
        let second = Duration::from_secs(1);
        let mut target = connections
            .take(b"127.0.0.1", port.as_bytes(), second, 100)
            .unwrap();
        target.selected_db = Some(9);
        connections.put_back(target);
        assert_eq!(connections.count(), 1);
        let again = connections
            .take(b"127.0.0.1", port.as_bytes(), second, 105)
            .unwrap();
        assert_eq!(
            again.selected_db,
            Some(9),
            "the cached connection, not a new one"
        );
        assert_eq!(connections.count(), 1, "in use, still open");
        connections.put_back(again);
        connections.close_idle(105 + IDLE_SECONDS);
        assert_eq!(connections.count(), 1, "idle for exactly the limit: kept");
        connections.close_idle(106 + IDLE_SECONDS);
        assert_eq!(connections.count(), 0);
    }

    #[test]
    fn reply_lines_are_read_one_at_a_time_and_a_silent_target_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let connections = Connections::default();
        let timeout = Duration::from_millis(200);
        let mut target = connections
            .take(b"127.0.0.1", port.as_bytes(), timeout, 0)
            .unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        peer.write_all(b"+OK\r\n-ERR bad\r\n").unwrap();
        assert_eq!(target.read_line(timeout), Ok(b"+OK".to_vec()));
        assert_eq!(target.read_line(timeout), Ok(b"-ERR bad".to_vec()));
        assert_eq!(target.read_line(timeout), Err(Failure::TimedOut));
        drop(peer);
        assert_eq!(target.read_line(timeout), Err(Failure::Broken));
    }

    #[test]
    fn a_refused_connection_is_not_an_unresolved_one() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port().to_string()
        };
        let connections = Connections::default();
        let timeout = Duration::from_millis(200);
        let refused = connections.take(b"127.0.0.1", port.as_bytes(), timeout, 0);
        assert_eq!(refused.err(), Some(Unreachable::Refused(Failure::Broken)));
        let unresolved = connections.take(b"no such host", port.as_bytes(), timeout, 0);
        assert_eq!(unresolved.err(), Some(Unreachable::Unresolved));
        assert_eq!(connections.count(), 0);
    }
}
