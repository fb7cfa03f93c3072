//! Client-side caching (Redis's tracking.c): `CLIENT TRACKING`, and telling clients which of the
//! keys they may have cached have changed. The commands are in `commands/client/tracking.rs`.
//!
//! The parts:
//! - `mode.rs`: a client's tracking flags and redirection, kept with the client
//!   (`ClientInfo::tracking`), readable from any thread without a lock;
//! - `table.rs`: in the default mode, which clients read which keys (read-only commands' keys,
//!   from their key specs), each told once of the key's next change, then forgotten;
//! - `prefixes.rs`: in broadcast mode, which clients listen to which prefixes, and what changed
//!   under each since the last broadcast;
//! - `delivery.rs`: framing a message for its receiver and handing it to the receiver's outbox.
//!
//! # Where it plugs in
//! - The command flow (`commands.rs`): after a read-only command runs, still under the lock it
//!   read with, [`remember_reads`] records its keys for a client that tracks; so a write cannot
//!   slip between the read and the registration unseen. Before each command the table limit
//!   is enforced ([`KeyTracking::enforce_limit`], the cron does it too), as Redis's
//!   `processCommand` does.
//! - The one write path: the writer records modified keys while anyone tracks (the keyspace's
//!   `tracking_clients` switch, one relaxed load per write otherwise), and `Server::consume`
//!   hands them to [`KeyTracking::invalidate`] under the exclusive lock, for every kind of
//!   change (commands, expiry, eviction); EXEC invalidates each queued command's changes as it
//!   runs, before the next one reads, and a served blocked command's go after its reply
//!   ([`KeyTracking::invalidate_served`]); flushes, SWAPDB and loads call
//!   [`KeyTracking::invalidate_all`]. The switch is flipped without the keyspace lock: a write
//!   that misses it had finished before the new tracking client could read anything, so there
//!   is nothing to tell it.
//! - Delivery: through the receiver's pub/sub outbox, so its own thread writes the message, in
//!   order with its replies. A tracking client gets an outbox when it turns tracking on, and its
//!   thread then waits for messages as a subscriber's does; so does a redirection's target, from
//!   its next command on.
//!
//! Lock order: keyspace → blocked clients → the registry here → the client list → pub/sub → an
//! outbox.

mod delivery;
mod mode;
mod prefixes;
mod table;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::clients::ClientInfo;
use crate::clients::memory::REGISTRATION;
use crate::commands::{Command, Flags as CommandFlags, Resolved};
use crate::config::Config;
use crate::keyspace::Bytes;
use crate::protocol::Request;
use crate::pubsub::Subscriber;
use crate::random::Rng;
use crate::server::Server;
use delivery::{Keys, Recipient, Sender};
use prefixes::Prefixes;
use table::Table;

pub use delivery::{running, serve_as, take_deferred};
pub use mode::{ClientTracking, Flags};

/// Everything the server knows about tracking clients (`Server::tracking`).
#[derive(Default)]
pub struct KeyTracking {
    registry: Mutex<Registry>,
    /// The table's size as of its last growth or limit check: never below the true size (keys
    /// invalidated since are not subtracted), so the limit check before each command needs no
    /// lock while the table fits.
    table_keys: AtomicUsize,
}

#[derive(Default)]
struct Registry {
    table: Table,
    prefixes: Prefixes,
    /// The clients tracking now, by id.
    clients: HashMap<u64, Tracker>,
    /// How many limit checks in a row found the table still too big: each tries harder (Redis's
    /// `timeout_counter` in `trackingLimitUsedSlots`).
    over_limit_runs: u32,
    rng: Option<Rng>,
}

struct Tracker {
    info: Arc<ClientInfo>,
    outbox: Arc<Subscriber>,
}

impl Tracker {
    fn recipient(&self) -> Recipient<'_> {
        Recipient {
            info: &self.info,
            outbox: &self.outbox,
        }
    }
}

/// INFO's tracking fields.
pub struct Counts {
    pub clients: usize,
    pub keys: usize,
    pub items: usize,
    pub prefixes: usize,
}

/// After a read-only command: remembers the keys it read for the client if it tracks them now
/// (Redis's `trackingRememberKeys`, from `call`). Call it while still holding the lock the
/// command read under. Costs one relaxed load for a client that does not track.
pub fn remember_reads(server: &Server, info: &ClientInfo, command: &Command, request: &Request) {
    if !command.flags.contains(CommandFlags::READONLY)
        || !info.tracking.flags().remembers_reads()
        // Shard channels are keys for cluster routing only: nothing to cache.
        || command.flags.contains(CommandFlags::PUBSUB)
        // A read-only script (EVAL_RO, FCALL_RO: the rows whose keys are optional) remembers
        // its keys only if it reads (`scripting/run.rs`), as Redis leaves those out here.
        || command.flags.contains(CommandFlags::NO_MANDATORY_KEYS)
    {
        return;
    }
    remember_keys(
        server,
        info,
        command.keys_in(request).map(|(pos, _)| request.arg(pos)),
    );
}

/// Remembers that the client read `keys` (a script that read anything remembers the keys it
/// declared, as Redis's `call()` remembers its caller's), if it tracks in default mode.
pub fn remember_keys<'k>(server: &Server, info: &ClientInfo, keys: impl Iterator<Item = &'k [u8]>) {
    let mut keys = keys.peekable();
    if keys.peek().is_some() {
        let tracking = &server.tracking;
        let mut registry = tracking.registry();
        keys.for_each(|key| registry.table.remember(key, info.id));
        (tracking.table_keys).store(registry.table.keys(), Ordering::Relaxed);
    }
}

/// After each command outside a transaction (and after EXEC): `CLIENT CACHING` applied to that
/// command only, unless it was a CLIENT command itself (Redis's `resetClient`).
pub fn command_done(info: &ClientInfo, command: Resolved, in_transaction: bool) {
    if !info.tracking.flags().contains(Flags::CACHING) || in_transaction {
        return;
    }
    if command.parent.is_none_or(|parent| parent.name != "client") {
        info.tracking.set_caching(false);
    }
}

impl KeyTracking {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `prefixes` may be added to client `id`'s: the error Redis gives if not.
    pub fn prefix_collision(&self, id: u64, prefixes: &[&[u8]]) -> Option<String> {
        self.registry().prefixes.collision(id, prefixes)
    }

    /// `CLIENT TRACKING on`, options checked: the client tracks with `options`, redirected to
    /// `redirect` (0: none), its invalidations going to `outbox`; in broadcast mode it listens to
    /// `prefixes` as well (Redis's `enableTracking`).
    pub fn enable(
        &self,
        server: &Server,
        info: &Arc<ClientInfo>,
        outbox: Arc<Subscriber>,
        options: Flags,
        redirect: u64,
        prefixes: &[&[u8]],
    ) {
        let mut registry = self.registry();
        info.tracking.enable(options, redirect);
        if options.contains(Flags::BCAST) {
            registry.prefixes.listen(info.id, prefixes);
            // Counted toward `maxmemory-clients` (`clients/memory.rs`).
            let listened = registry.prefixes.of(info.id);
            let bytes = listened.iter().map(|p| p.len() + REGISTRATION).sum();
            info.memory.set_prefixes(bytes);
        }
        registry.clients.insert(
            info.id,
            Tracker {
                info: Arc::clone(info),
                outbox,
            },
        );
        publish_count(server, &registry);
    }

    /// `CLIENT TRACKING off`, RESET, and the end of the connection (Redis's `disableTracking`).
    /// Keys it read stay in the table, as in Redis: their next change skips it.
    pub fn disable(&self, server: &Server, info: &ClientInfo) {
        if !info.tracking.is_on() {
            return;
        }
        let mut registry = self.registry();
        info.tracking.disable();
        registry.prefixes.stop(info.id);
        info.memory.set_prefixes(0);
        registry.clients.remove(&info.id);
        publish_count(server, &registry);
    }

    /// The prefixes client `id` listens to (`CLIENT TRACKINGINFO`).
    pub fn prefixes_of(&self, id: u64) -> Vec<Bytes> {
        self.registry().prefixes.of(id)
    }

    pub fn counts(&self) -> Counts {
        let registry = self.registry();
        Counts {
            clients: registry.clients.len(),
            keys: registry.table.keys(),
            items: registry.table.items(),
            prefixes: registry.prefixes.count(),
        }
    }

    /// Keys a write changed, under the exclusive lock: each client that read one is told once
    /// (Redis's `trackingInvalidateKey`), unless it is in `NOLOOP` mode and changed it itself;
    /// broadcast clients' prefixes record them for [`KeyTracking::broadcast`].
    pub fn invalidate(&self, server: &Server, modified: &[(usize, Bytes)]) {
        let sender = Sender {
            server,
            defer_for: delivery::current_client(),
            served_reply: None,
        };
        self.invalidate_by(&sender, modified);
    }

    /// [`KeyTracking::invalidate`] for the changes a blocked client's command made when it was
    /// served (a `BLMOVE`'s push): they are that client's own, and what it is told of them
    /// follows `reply`, its command's reply (Redis serves it as the current client).
    pub fn invalidate_served(
        &self,
        server: &Server,
        modified: &[(usize, Bytes)],
        served: u64,
        reply: &mut Vec<u8>,
    ) {
        let out = RefCell::new(std::mem::take(reply));
        let sender = Sender {
            server,
            defer_for: Some(served),
            served_reply: Some(&out),
        };
        self.invalidate_by(&sender, modified);
        *reply = out.into_inner();
    }

    /// The changes `modified` made by `sender.defer_for` (none: the server's own).
    fn invalidate_by(&self, sender: &Sender, modified: &[(usize, Bytes)]) {
        let origin = sender.defer_for;
        let mut registry = self.registry();
        let registry = &mut *registry;
        for (_, key) in modified {
            if !registry.prefixes.is_empty() {
                registry.prefixes.record(key, origin);
            }
            for id in registry.table.take(key) {
                let Some(tracker) = registry.clients.get(&id) else {
                    continue;
                };
                let flags = tracker.info.tracking.flags();
                // Keys read before switching to broadcast mode are no concern any more.
                if flags.contains(Flags::BCAST)
                    || (flags.contains(Flags::NOLOOP) && origin == Some(id))
                {
                    continue;
                }
                sender.send(
                    &tracker.recipient(),
                    &Keys::One(key),
                    outbox_in(&registry.clients),
                );
            }
        }
    }

    /// The end of a write (`Server::consume`): broadcast clients get the changes recorded under
    /// their prefixes, one message per prefix (Redis batches a whole event-loop turn; here a
    /// write, a transaction being one write).
    pub fn broadcast(&self, server: &Server) {
        let mut registry = self.registry();
        if !registry.prefixes.is_empty() {
            let sender = Sender {
                server,
                defer_for: delivery::current_client(),
                served_reply: None,
            };
            broadcast(&sender, &mut registry);
        }
    }

    /// FLUSHDB, FLUSHALL, SWAPDB (Redis's `trackingInvalidateKeysOnFlush`): every tracking client
    /// is told that everything changed (a null list), and the table is emptied.
    pub fn invalidate_all(&self, server: &Server) {
        let sender = Sender {
            server,
            defer_for: delivery::current_client(),
            served_reply: None,
        };
        let mut registry = self.registry();
        for tracker in registry.clients.values() {
            sender.send(
                &tracker.recipient(),
                &Keys::All,
                outbox_in(&registry.clients),
            );
        }
        registry.table.clear();
    }

    /// `tracking-table-max-keys` (0: no limit): past it, random keys of the table are
    /// invalidated until it fits, at most 100 per call, then 200 on the next call if that was
    /// not enough, and so on (Redis's `trackingLimitUsedSlots`, from `processCommand` and the
    /// cron). Messages go out at once, before the reply of the command about to run.
    pub fn enforce_limit(&self, server: &Server) {
        let max_keys = Config::get(&server.config.tracking_table_max_keys) as usize;
        if max_keys == 0 || self.table_keys.load(Ordering::Relaxed) <= max_keys {
            return;
        }
        let mut registry = self.registry();
        let registry = &mut *registry;
        self.table_keys
            .store(registry.table.keys(), Ordering::Relaxed);
        if registry.table.keys() <= max_keys {
            registry.over_limit_runs = 0;
            return;
        }
        let sender = Sender {
            server,
            defer_for: None,
            served_reply: None,
        };
        let rng = registry.rng.get_or_insert_with(Rng::new);
        let effort = 100 * (registry.over_limit_runs as usize + 1);
        for _ in 0..effort {
            let Some(key) = registry.table.random_key(rng) else {
                break;
            };
            for id in registry.table.take(&key) {
                if let Some(tracker) = registry.clients.get(&id) {
                    if !tracker.info.tracking.flags().contains(Flags::BCAST) {
                        let outboxes = outbox_in(&registry.clients);
                        sender.send(&tracker.recipient(), &Keys::One(&key), outboxes);
                    }
                }
            }
            if registry.table.keys() <= max_keys {
                registry.over_limit_runs = 0;
                self.table_keys
                    .store(registry.table.keys(), Ordering::Relaxed);
                return;
            }
        }
        registry.over_limit_runs += 1;
        self.table_keys
            .store(registry.table.keys(), Ordering::Relaxed);
    }
}

/// The outboxes of tracking clients, for redirections to one of them.
fn outbox_in(clients: &HashMap<u64, Tracker>) -> impl Fn(u64) -> Option<Arc<Subscriber>> + '_ {
    |id| clients.get(&id).map(|tracker| Arc::clone(&tracker.outbox))
}

/// Sends what changed under each prefix to its clients (Redis's
/// `trackingBroadcastInvalidationMessages`): the same list to all, except that a `NOLOOP`
/// client's leaves out the keys it changed last itself, and is not sent if that leaves none.
fn broadcast(sender: &Sender, registry: &mut Registry) {
    for batch in registry.prefixes.take_batches() {
        for id in batch.clients {
            let Some(tracker) = registry.clients.get(&id) else {
                continue;
            };
            let noloop = tracker.info.tracking.flags().contains(Flags::NOLOOP);
            let keys: Vec<&[u8]> = (batch.keys.iter())
                .filter(|(_, origin)| !noloop || *origin != Some(id))
                .map(|(key, _)| key.as_slice())
                .collect();
            if !keys.is_empty() {
                let outboxes = outbox_in(&registry.clients);
                sender.send(&tracker.recipient(), &Keys::Many(&keys), outboxes);
            }
        }
    }
}

/// Mirrors how many clients track into the keyspace's switch: writers record modified keys
/// only while some do.
fn publish_count(server: &Server, registry: &Registry) {
    (server.keyspace.switches.tracking_clients).store(registry.clients.len(), Ordering::Relaxed);
}
