//! Blocking commands, done the Redis way (DESIGN.md §3): clients waiting for a key (`BLPOP`,
//! `BLMOVE`... and later `BZPOPMIN`, `XREAD BLOCK`) are served by the writer that makes the key
//! ready, inside its own write, in the order they blocked. (Lists extension, stages 83–84.)
//!
//! # The life of a blocked client
//! 1. **Block.** A blocking command is a write handler. Under the exclusive keyspace lock it
//!    either serves itself at once or calls [`block`]: the client is registered as a *waiter* on
//!    each of its keys (a FIFO per key), still under the lock, so no push can slip between
//!    "the list is empty" and "I am waiting". Its handler replies nothing yet.
//! 2. **Wait.** The connection thread writes out the replies it already has (earlier pipelined
//!    commands must not wait behind the block), then sleeps in [`wait`] on its socket and its
//!    doorbell (`doorbell.rs`): no CPU, no lock held, woken only by the doorbell, its deadline,
//!    or the client hanging up.
//! 3. **Serve.** A write that stores a list where someone waits signals the key as ready (the
//!    `Writer` records it). `Server::commit`, still under the lock and after the whole command
//!    (or the whole `EXEC`), calls [`serve`]: for each ready key, its waiters in arrival order
//!    are offered the key ([`Blocked::serve`] pops on their behalf *through the writer*, so the
//!    pop is journaled as `LPOP`/`LMOVE`, notified and signalled like any write); each served
//!    waiter gets its reply, encoded in its own protocol, in its slot, and its doorbell rung.
//!    A `BLMOVE` push may make another key ready: serving goes on until no key is. Only the
//!    waiters of keys that became ready are ever looked at.
//! 4. **Wake.** The thread takes its reply from the slot. On a timeout it removes itself under
//!    the registry's lock and, if a writer served it in the meantime, takes that reply instead:
//!    a popped element is never lost. `CLIENT UNBLOCK` ends the wait through the same slot.
//!
//! # For the commands that come later
//! Anything that waits for a key implements [`Blocked`] (what to do when the key may be ready,
//! what to reply on timeout). A wait that is not about keys (`WAIT` for replicas) can block on
//! no keys and be ended with [`complete`] by whoever knows it is done.
//!
//! Lock order: the keyspace lock, then the registry's mutex, never the other way round. The
//! connection thread, `CLIENT UNBLOCK` and `INFO` take only the registry's.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::clients::ClientInfo;
use crate::commands::{CommandError, CommandResult, Ctx};
use crate::doorbell::{self, Interest, Woken};
use crate::keyspace::{Bytes, Changes, Writer};
use crate::number::LongDouble;
use crate::protocol::{Reply, Request};
use crate::server::Server;

/// How long a blocking command may wait; `None` is forever (a timeout of 0).
pub type Timeout = Option<Duration>;

/// What a blocked client waits to do.
pub trait Blocked: Send {
    /// `key` (one of the client's, in its database, selected in `w`) may now be able to serve
    /// the client: try, through the writer, and write the reply. Returns whether the client is
    /// done (served, or failed with an error reply); false leaves it waiting.
    fn serve(&mut self, key: &[u8], w: &mut Writer, reply: &mut Reply) -> bool;

    /// The reply when the wait ends unserved (the timeout, `CLIENT UNBLOCK id TIMEOUT`): the
    /// null array (`*-1`, RESP3 `_`) unless the command says otherwise.
    fn timed_out(&self, reply: &mut Reply) {
        reply.null_array();
    }
}

/// Parses a blocking command's timeout in seconds, as Redis's `getTimeoutFromObjectOrReply`:
/// any number `strtold` reads (`0.1`, `1e3`, `0x10`), rounded up to the millisecond; 0 waits
/// forever.
pub fn parse_timeout(arg: &[u8]) -> Result<Timeout, CommandError> {
    let seconds = LongDouble::parse(arg)
        .ok_or_else(|| CommandError::err("timeout is not a float or out of range"))?;
    let ms = (seconds.to_f64() * 1000.0).ceil();
    // C's conversion of a value beyond `long long` (infinity included) gives LLONG_MIN, which
    // Redis then calls negative.
    // (NaN cannot occur: `LongDouble` never holds one.)
    if ms >= i64::MAX as f64 || ms < 0.0 {
        return Err(CommandError::err("timeout is negative"));
    }
    Ok(match ms as u64 {
        0 => None,
        ms => Some(Duration::from_millis(ms)),
    })
}

/// The registry of blocked clients. One per server.
#[derive(Default)]
pub struct Blocking {
    registry: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    /// (database, key) → the clients waiting on it, first come first.
    by_key: HashMap<(usize, Bytes), VecDeque<u64>>,
    /// Client id → its wait. An entry stays until its connection thread takes the outcome.
    waiters: HashMap<u64, Waiter>,
    /// Waiters with no outcome yet (`blocked_clients`), and those among them with a deadline
    /// (`clients_in_timeout_table`).
    blocked: usize,
    with_timeout: usize,
}

struct Waiter {
    client: Arc<ClientInfo>,
    /// The blocking command, as sent: its permissions are checked again if the ACL changes
    /// while it waits.
    request: Request,
    db: usize,
    keys: Vec<Bytes>,
    resp3: bool,
    has_timeout: bool,
    task: Box<dyn Blocked>,
    /// The reply, once a writer or `CLIENT UNBLOCK` ended the wait.
    outcome: Option<Vec<u8>>,
}

/// What the connection thread waits for once its command blocked (see [`wait`]).
#[derive(Debug)]
pub struct Wait {
    deadline: Option<Instant>,
}

impl Wait {
    /// The same wait, ended at `deadline` too, though the client does not count as one with a
    /// timeout (`clients_in_timeout_table`): a client `CLIENT PAUSE` holds, whose wait in Redis
    /// has no timeout of its own but ends with the pause.
    pub fn until(self, deadline: Instant) -> Wait {
        Wait {
            deadline: Some(deadline),
        }
    }
}

impl Registry {
    /// Ends a wait with `reply`: the waiter leaves every key's queue and its thread is woken.
    fn finish(&mut self, id: u64, reply: Vec<u8>) {
        let Some(waiter) = self.waiters.get_mut(&id) else {
            return;
        };
        if waiter.outcome.is_some() {
            return;
        }
        waiter.outcome = Some(reply);
        waiter.client.set_blocked(false);
        waiter.client.ring();
        self.blocked -= 1;
        self.with_timeout -= waiter.has_timeout as usize;
        let (db, keys) = (waiter.db, std::mem::take(&mut waiter.keys));
        self.leave_queues(id, db, &keys);
    }

    fn leave_queues(&mut self, id: u64, db: usize, keys: &[Bytes]) {
        for key in keys {
            let slot = (db, key.clone());
            if let Some(queue) = self.by_key.get_mut(&slot) {
                queue.retain(|&waiting| waiting != id);
                if queue.is_empty() {
                    self.by_key.remove(&slot);
                }
            }
        }
    }

    /// Removes a waiter whatever its state; its outcome, if it had one.
    fn remove(&mut self, id: u64) -> Option<Waiter> {
        let mut waiter = self.waiters.remove(&id)?;
        if waiter.outcome.is_none() {
            self.blocked -= 1;
            self.with_timeout -= waiter.has_timeout as usize;
            let keys = std::mem::take(&mut waiter.keys);
            self.leave_queues(id, waiter.db, &keys);
            waiter.client.set_blocked(false);
        }
        Some(waiter)
    }
}

impl Blocking {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The clients still waiting, with the command each is blocked in.
    pub fn waiting(&self) -> Vec<(Arc<ClientInfo>, Request)> {
        (self.lock().waiters.values())
            .filter(|waiter| waiter.outcome.is_none())
            .map(|waiter| (Arc::clone(&waiter.client), waiter.request.clone()))
            .collect()
    }

    /// Clients blocked right now (`blocked_clients` in INFO).
    pub fn blocked_clients(&self) -> usize {
        self.lock().blocked
    }

    /// Blocked clients with a deadline (`clients_in_timeout_table` in INFO).
    pub fn with_timeout(&self) -> usize {
        self.lock().with_timeout
    }

    /// The keys some client waits on in database `db` (for `SWAPDB`, which must offer them to
    /// their waiters again).
    pub fn keys_in(&self, db: usize) -> Vec<Bytes> {
        self.lock()
            .by_key
            .keys()
            .filter(|(key_db, _)| *key_db == db)
            .map(|(_, key)| key.clone())
            .collect()
    }

    /// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: ends the wait of client `id`, as a timeout or with
    /// Redis's `-UNBLOCKED` error. Whether that client was blocked.
    pub fn unblock(&self, server: &Server, id: u64, error: bool) -> bool {
        let mut registry = self.lock();
        let Some(waiter) = registry.waiters.get(&id).filter(|w| w.outcome.is_none()) else {
            return false;
        };
        let mut out = Vec::new();
        let mut reply = Reply::new(&mut out, waiter.resp3);
        if error {
            reply.error(b"UNBLOCKED client unblocked via CLIENT UNBLOCK");
        } else {
            waiter.task.timed_out(&mut reply);
        }
        registry.finish(id, out);
        publish_key_count(server, &registry);
        true
    }
}

impl Blocking {
    /// Ends every wait with Redis's `-UNBLOCKED` error for a change of role (its
    /// `disconnectAllBlockedClients`): a master turning replica would otherwise serve its
    /// blocked clients from its new master's stream, and drift from it.
    pub fn unblock_all(&self, server: &Server) {
        let mut registry = self.lock();
        // A command a pause postponed has not started: it runs, or is refused, once the pause
        // ends (Redis leaves `BLOCKED_POSTPONE` clients alone too).
        let waiting: Vec<(u64, bool)> = (registry.waiters.iter())
            .filter(|(id, waiter)| waiter.outcome.is_none() && !server.pause.is_postponed(**id))
            .map(|(&id, waiter)| (id, waiter.resp3))
            .collect();
        for (id, resp3) in waiting {
            let mut out = Vec::new();
            Reply::new(&mut out, resp3).error(
                b"UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
            );
            registry.finish(id, out);
        }
        publish_key_count(server, &registry);
    }
}

/// Keeps the keyspace's switch (how many keys are waited on) up to date, so writers record
/// ready keys only while someone waits.
fn publish_key_count(server: &Server, registry: &Registry) {
    server
        .keyspace
        .switches
        .blocked_keys
        .store(registry.by_key.len(), Ordering::Relaxed);
}

/// Blocks the client running `request` on `keys` (in its selected database) until one can
/// serve `task`, `timeout` passes, or the client is unblocked. Called by a write handler, under
/// the exclusive lock (see the module documentation); the handler then replies nothing.
pub fn block(
    ctx: &mut Ctx,
    request: &Request,
    keys: Vec<Bytes>,
    timeout: Timeout,
    task: Box<dyn Blocked>,
) -> CommandResult {
    let client = Arc::clone(&ctx.session.info);
    // Made now, so a failure is an error reply rather than a client that can never wake.
    client
        .doorbell()
        .map_err(|error| CommandError::err(format!("cannot block: {error}")))?;
    let mut unique = HashSet::new();
    let keys: Vec<Bytes> = keys
        .into_iter()
        .filter(|key| unique.insert(key.clone()))
        .collect();
    let id = client.id;
    let db = ctx.session.db;
    let mut registry = ctx.server.blocking.lock();
    // A thread blocks at most once at a time; a leftover entry (never expected) is replaced.
    registry.remove(id);
    for key in &keys {
        registry
            .by_key
            .entry((db, key.clone()))
            .or_default()
            .push_back(id);
    }
    registry.blocked += 1;
    registry.with_timeout += timeout.is_some() as usize;
    client.set_blocked(true);
    registry.waiters.insert(
        id,
        Waiter {
            client,
            request: request.clone(),
            db,
            keys,
            resp3: ctx.reply.is_resp3(),
            has_timeout: timeout.is_some(),
            task,
            outcome: None,
        },
    );
    publish_key_count(ctx.server, &registry);
    ctx.session.blocked = Some(Wait {
        deadline: timeout.map(|t| Instant::now() + t),
    });
    Ok(())
}

/// Waits, on the connection's own thread and with no lock held, until the blocked command is
/// served, times out or is unblocked: its reply. First writes out the replies already pending
/// with `flush`. `None` if the client hung up, was killed, or could not be written to (it is
/// then forgotten).
pub fn wait(
    server: &Server,
    client: &ClientInfo,
    wait: Wait,
    flush: impl FnOnce() -> std::io::Result<()>,
) -> Option<Vec<u8>> {
    let blocking = &server.blocking;
    let flushed = flush().is_ok();
    let outcome = loop {
        if !flushed {
            break None;
        }
        let Ok(bell) = client.doorbell() else {
            break None;
        };
        match doorbell::wait(&client.stream, bell, Interest::HangUp, wait.deadline) {
            Ok(Woken::Rung | Woken::Readable) => {
                let mut registry = blocking.lock();
                let served = registry
                    .waiters
                    .get(&client.id)
                    .is_some_and(|w| w.outcome.is_some());
                if served {
                    break registry.remove(client.id).and_then(|w| w.outcome);
                }
                // A ring meant for something else: keep waiting.
            }
            Ok(Woken::TimedOut) => {
                let mut registry = blocking.lock();
                let waiter = registry.remove(client.id);
                publish_key_count(server, &registry);
                break waiter.map(|waiter| {
                    waiter.outcome.unwrap_or_else(|| {
                        let mut out = Vec::new();
                        waiter
                            .task
                            .timed_out(&mut Reply::new(&mut out, waiter.resp3));
                        out
                    })
                });
            }
            Ok(Woken::HungUp) | Err(_) => break None,
        }
    };
    if outcome.is_none() {
        let mut registry = blocking.lock();
        registry.remove(client.id);
        publish_key_count(server, &registry);
    }
    outcome
}

/// Ends the wait of client `id` with `reply`, from any thread: for waits that are not about
/// keys (`WAIT`), ended by whoever knows they are done. Whether the client was waiting.
pub fn complete(server: &Server, id: u64, reply: Vec<u8>) -> bool {
    let mut registry = server.blocking.lock();
    let waiting = registry
        .waiters
        .get(&id)
        .is_some_and(|w| w.outcome.is_none());
    registry.finish(id, reply);
    publish_key_count(server, &registry);
    waiting
}

/// Serves the clients blocked on the keys a write made ready (`changes.ready`), in the order
/// the keys became ready and, per key, in the order the clients blocked. Runs in
/// `Server::commit`, under the exclusive lock. What serving changes (the pops and pushes done on
/// the clients' behalf) is appended to `changes`, after what the write itself changed.
pub fn serve(server: &Server, w: &mut Writer, changes: &mut Changes) {
    let mut ready: VecDeque<(usize, Bytes)> = VecDeque::new();
    queue_ready(&mut ready, std::mem::take(&mut changes.ready));
    let selected = w.selected();
    let mut registry = server.blocking.lock();
    while let Some((db, key)) = ready.pop_front() {
        let Some(queue) = registry.by_key.get(&(db, key.clone())) else {
            continue;
        };
        let candidates: Vec<u64> = queue.iter().copied().collect();
        w.select(db);
        // A key that is gone from the start (a deleted stream) is offered to every waiter, so
        // each `XREADGROUP` on it can answer; one that a waiter empties stops the round.
        let existed = w.exists(&key);
        for id in candidates {
            let Some(waiter) = registry.waiters.get_mut(&id) else {
                continue;
            };
            // A client that is gone must not take an element with it.
            if waiter.outcome.is_some() || waiter.client.is_killed() || hung_up(&waiter.client) {
                continue;
            }
            let mut out = Vec::new();
            let done = waiter
                .task
                .serve(&key, w, &mut Reply::new(&mut out, waiter.resp3));
            let more = w.take_changes();
            let its_changes = changes.modified.len();
            changes.journal.extend(more.journal);
            changes.modified.extend(more.modified);
            changes.events.extend(more.events);
            queue_ready(&mut ready, more.ready);
            if done {
                // An error reply (XREADGROUP's NOGROUP) is counted by the client's own thread
                // once it has it, with every other way a wait ends (`commands::observe`).
                if w.tracking().tracked {
                    // Client-side caching: what the served command changed is its own change.
                    let modified = &changes.modified[its_changes..];
                    server
                        .tracking
                        .invalidate_served(server, modified, id, &mut out);
                }
                registry.finish(id, out);
            }
            if existed && !w.exists(&key) {
                break;
            }
        }
    }
    w.select(selected);
    publish_key_count(server, &registry);
}

/// Appends newly ready keys, each once.
fn queue_ready(ready: &mut VecDeque<(usize, Bytes)>, keys: Vec<(usize, Bytes)>) {
    for key in keys {
        if !ready.contains(&key) {
            ready.push_back(key);
        }
    }
}

/// Whether a blocked client's connection is already closed (its thread may not have noticed).
fn hung_up(client: &ClientInfo) -> bool {
    client
        .doorbell()
        .is_ok_and(|bell| doorbell::hung_up(&client.stream, bell))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout(arg: &str) -> Result<Timeout, String> {
        parse_timeout(arg.as_bytes()).map_err(|e| String::from_utf8(e.message()).unwrap())
    }

    #[test]
    fn timeouts_parse_as_redis_reads_them() {
        assert_eq!(timeout("0"), Ok(None));
        assert_eq!(timeout("0.1"), Ok(Some(Duration::from_millis(100))));
        assert_eq!(
            timeout("1.0001"),
            Ok(Some(Duration::from_millis(1001))),
            "rounded up"
        );
        assert_eq!(timeout("0x10"), Ok(Some(Duration::from_secs(16))));
        assert_eq!(
            timeout("-0.0001"),
            Ok(None),
            "rounds up to 0: forever, as in Redis"
        );
        assert_eq!(
            timeout("1e15"),
            Ok(Some(Duration::from_secs(1_000_000_000_000_000)))
        );
        let negative = Err("ERR timeout is negative".to_string());
        assert_eq!(timeout("-1"), negative);
        assert_eq!(timeout("inf"), negative);
        assert_eq!(
            timeout("1e16"),
            negative,
            "beyond a long long of milliseconds"
        );
        let not_float = Err("ERR timeout is not a float or out of range".to_string());
        assert_eq!(timeout("abc"), not_float);
        assert_eq!(timeout(" 1"), not_float);
        assert_eq!(timeout("nan"), not_float);
    }
}
