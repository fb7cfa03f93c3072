//! WATCH (Redis's multi.c): which clients watch which keys, and flagging them when those keys
//! change, so their next EXEC fails. (Optimistic locking stages 66–73.)
//!
//! A watch is registered while its client holds the keyspace lock (WATCH is a read command),
//! and changes are reported from `Server::commit`, under the exclusive lock, by the write that
//! made them. So a write that finished before an EXEC took the lock has always flagged the
//! clients it concerns, and EXEC only has to look at its own flag (`Modes::is_watch_dirty`).
//!
//! What counts as a change, as in Redis:
//! - every key the write path signals as modified ([`Watches::touch`]): sets, deletions,
//!   renames, moves, expiry times, and keys removed because they expired;
//! - FLUSHDB, FLUSHALL and SWAPDB, for watched keys that existed in the databases they replace
//!   ([`Watches::touch_database`]);
//! - a key that was alive when it was watched and has expired by the time of EXEC
//!   ([`Watches::finish`]).
//!
//! A key that had already expired when it was watched is a special case (Redis's
//! `watchedKey.expired`): its removal is no change, but anything else done to it is.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::clients::ClientInfo;
use crate::keyspace::{Bytes, Databases, Db};

#[derive(Default)]
pub struct Watches {
    registry: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    /// Database → key → who watches it.
    keys: HashMap<usize, HashMap<Bytes, Vec<Watcher>>>,
    /// Client id → what it watches.
    clients: HashMap<u64, Client>,
    /// How many (database, key) pairs are watched, mirrored into the keyspace's switch.
    watched: usize,
}

struct Watcher {
    client: u64,
    /// The key had already expired when it was watched.
    expired: bool,
}

struct Client {
    info: Arc<ClientInfo>,
    keys: Vec<(usize, Bytes)>,
}

/// Redis's `keyIsExpired`: the key is stored with a time to live that has passed.
fn is_expired(db: &Db, key: &[u8], now_ms: i64) -> bool {
    db.expires_at(key).is_some_and(|at| now_ms > at)
}

impl Watches {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `WATCH`: `info`'s client watches `keys` of database `db` from now on. Call it holding
    /// the keyspace lock (`databases`), so that no write slips between the registration and
    /// the switch that makes writers report changes (`watched_keys`).
    pub fn watch<'k>(
        &self,
        info: &Arc<ClientInfo>,
        db: usize,
        keys: impl Iterator<Item = &'k [u8]>,
        databases: &Databases,
        now_ms: i64,
        watched_keys: &AtomicUsize,
    ) {
        let mut registry = self.registry();
        let registry = &mut *registry;
        let mut added = Vec::new();
        let watchers_of = registry.keys.entry(db).or_default();
        for key in keys {
            let watchers = watchers_of.entry(Bytes::new(key)).or_default();
            if watchers.iter().any(|w| w.client == info.id) {
                continue;
            }
            if watchers.is_empty() {
                registry.watched += 1;
            }
            watchers.push(Watcher {
                client: info.id,
                expired: is_expired(databases.db(db), key, now_ms),
            });
            added.push((db, Bytes::new(key)));
        }
        registry
            .clients
            .entry(info.id)
            .or_insert_with(|| Client {
                info: Arc::clone(info),
                keys: Vec::new(),
            })
            .keys
            .extend(added);
        watched_keys.store(registry.watched, Ordering::Relaxed);
    }

    /// `UNWATCH`, and the end of every transaction: the client watches nothing any more, and
    /// its flag is cleared.
    pub fn unwatch_all(&self, client: &ClientInfo, watched_keys: &AtomicUsize) {
        client.modes.set_watch_dirty(false);
        let mut registry = self.registry();
        let Some(Client { keys, .. }) = registry.clients.remove(&client.id) else {
            return;
        };
        for (db, key) in keys {
            let Some(watchers_of) = registry.keys.get_mut(&db) else {
                continue;
            };
            let Some(watchers) = watchers_of.get_mut(key.as_slice()) else {
                continue;
            };
            watchers.retain(|w| w.client != client.id);
            if watchers.is_empty() {
                watchers_of.remove(key.as_slice());
                registry.watched -= 1;
            }
        }
        watched_keys.store(registry.watched, Ordering::Relaxed);
    }

    /// `EXEC`, under the exclusive lock: whether the transaction must be aborted because a key
    /// it watched changed, or was alive when watched and has expired since (Redis's
    /// `isWatchedKeyExpired`). Unwatches everything either way.
    pub fn finish(
        &self,
        client: &ClientInfo,
        databases: &Databases,
        now_ms: i64,
        watched_keys: &AtomicUsize,
    ) -> bool {
        let expired = {
            let registry = self.registry();
            registry.clients.get(&client.id).is_some_and(|watching| {
                watching.keys.iter().any(|(db, key)| {
                    let was_expired = registry
                        .keys
                        .get(db)
                        .and_then(|watchers_of| watchers_of.get(key.as_slice()))
                        .is_some_and(|watchers| {
                            watchers.iter().any(|w| w.client == client.id && w.expired)
                        });
                    !was_expired && is_expired(databases.db(*db), key, now_ms)
                })
            })
        };
        let dirty = expired || client.modes.is_watch_dirty();
        self.unwatch_all(client, watched_keys);
        dirty
    }

    /// Flags the watchers of keys a write changed (Redis's `touchWatchedKey`). `databases` is
    /// the data after the write.
    pub fn touch(&self, modified: &[(usize, Bytes)], databases: &Databases) {
        let mut registry = self.registry();
        let registry = &mut *registry;
        for (db, key) in modified {
            let Some(watchers) = registry
                .keys
                .get_mut(db)
                .and_then(|watchers_of| watchers_of.get_mut(key.as_slice()))
            else {
                continue;
            };
            for watcher in watchers.iter_mut() {
                // The removal of a key that had expired already is no change.
                if watcher.expired && !databases.db(*db).holds(key) {
                    watcher.expired = false;
                    continue;
                }
                if let Some(client) = registry.clients.get(&watcher.client) {
                    client.info.modes.set_watch_dirty(true);
                }
            }
        }
    }

    /// FLUSHDB and FLUSHALL (`replaced_with` is `None`: database `emptied` is about to be
    /// emptied) and SWAPDB (`emptied` is about to hold what `replaced_with` holds). Flags the
    /// watchers of keys that exist in either, except where an expired key only gives way to
    /// nothing or to another expired key (Redis's `touchAllWatchedKeysInDb`). Call it before the
    /// databases change.
    pub fn touch_database(
        &self,
        databases: &Databases,
        emptied: usize,
        replaced_with: Option<usize>,
        now_ms: i64,
    ) {
        let mut registry = self.registry();
        let registry = &mut *registry;
        let Some(watchers_of) = registry.keys.get_mut(&emptied) else {
            return;
        };
        let old = databases.db(emptied);
        let new = replaced_with.map(|db| databases.db(db));
        for (key, watchers) in watchers_of.iter_mut() {
            let in_old = old.holds(key);
            let in_new = new.is_some_and(|db| db.holds(key));
            if !in_old && !in_new {
                continue;
            }
            let expired_in_new = new.is_some_and(|db| is_expired(db, key, now_ms));
            for watcher in watchers.iter_mut() {
                if watcher.expired {
                    if !in_new {
                        // The expired key is deleted: no logical change.
                        watcher.expired = false;
                        continue;
                    }
                    if expired_in_new {
                        continue;
                    }
                } else if !in_old && expired_in_new {
                    // Nothing replaced by an expired key: still nothing.
                    watcher.expired = true;
                    continue;
                }
                if let Some(client) = registry.clients.get(&watcher.client) {
                    client.info.modes.set_watch_dirty(true);
                }
            }
        }
    }
}
