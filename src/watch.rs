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

/// Flags client `id`: its next EXEC fails (Redis's `CLIENT_DIRTY_CAS`).
fn flag(clients: &HashMap<u64, Client>, id: u64) {
    if let Some(client) = clients.get(&id) {
        client.info.modes.set_watch_dirty(true);
    }
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
        let names = added.iter().map(|(_, key)| key.len()).sum();
        info.memory.watched(added.len(), names);
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
        client.memory.unwatched();
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
                flag(&registry.clients, watcher.client);
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
                flag(&registry.clients, watcher.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Clients;
    use crate::keyspace::{Keyspace, Ttl, Value};
    use std::net::{TcpListener, TcpStream};

    /// A registered client on a real (loopback) socket, and the socket's other end.
    fn client(clients: &Clients) -> (Arc<ClientInfo>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, addr) = listener.accept().unwrap();
        let local = stream.local_addr().unwrap();
        use crate::stream::{Address, Stream};
        let info = clients.register(Stream::Tcp(stream), Address::Ip(addr), Address::Ip(local));
        (info, peer)
    }

    fn set(keyspace: &Keyspace, db: usize, key: &[u8], ttl: Ttl) {
        keyspace.write(db, 0, |w| w.set(key, Value::string(b"v"), ttl));
    }

    #[test]
    fn the_switch_counts_distinct_watched_keys_and_unwatching_empties_it() {
        let (keyspace, watches, clients) =
            (Keyspace::new(2), Watches::default(), Clients::default());
        let switch = &keyspace.switches.watched_keys;
        let ((a, _a), (b, _b)) = (client(&clients), client(&clients));
        let databases = keyspace.read();
        watches.watch(
            &a,
            0,
            [&b"x"[..], b"y", b"x"].into_iter(),
            &databases,
            0,
            switch,
        );
        watches.watch(&b, 0, [&b"x"[..]].into_iter(), &databases, 0, switch);
        watches.watch(&b, 1, [&b"x"[..]].into_iter(), &databases, 0, switch);
        assert_eq!(switch.load(Ordering::Relaxed), 3, "0:x, 0:y, 1:x");
        watches.unwatch_all(&a, switch);
        assert_eq!(switch.load(Ordering::Relaxed), 2);
        watches.unwatch_all(&b, switch);
        assert_eq!(switch.load(Ordering::Relaxed), 0);
        assert!(watches.registry().keys.values().all(HashMap::is_empty));
    }

    #[test]
    fn a_touched_key_flags_every_watcher_in_its_database_only() {
        let (keyspace, watches, clients) =
            (Keyspace::new(2), Watches::default(), Clients::default());
        let switch = &keyspace.switches.watched_keys;
        let ((a, _a), (b, _b)) = (client(&clients), client(&clients));
        watches.watch(&a, 0, [&b"k"[..]].into_iter(), &keyspace.read(), 0, switch);
        watches.watch(&b, 1, [&b"k"[..]].into_iter(), &keyspace.read(), 0, switch);
        watches.touch(&[(0, Bytes::new(b"k"))], &keyspace.read());
        assert!(a.modes.is_watch_dirty());
        assert!(!b.modes.is_watch_dirty());
        assert!(watches.finish(&a, &keyspace.read(), 0, switch));
        assert!(!a.modes.is_watch_dirty(), "EXEC clears the flag");
        assert!(!watches.finish(&b, &keyspace.read(), 0, switch));
    }

    #[test]
    fn a_key_alive_when_watched_and_expired_at_exec_aborts_it() {
        let (keyspace, watches, clients) =
            (Keyspace::new(1), Watches::default(), Clients::default());
        let switch = &keyspace.switches.watched_keys;
        let (a, _a) = client(&clients);
        set(&keyspace, 0, b"k", Ttl::At(100));
        watches.watch(&a, 0, [&b"k"[..]].into_iter(), &keyspace.read(), 50, switch);
        assert!(
            !watches.finish(&a, &keyspace.read(), 100, switch),
            "alive at 100"
        );
        watches.watch(&a, 0, [&b"k"[..]].into_iter(), &keyspace.read(), 50, switch);
        assert!(watches.finish(&a, &keyspace.read(), 101, switch));
        // Watched once already expired: its expiry is old news.
        watches.watch(
            &a,
            0,
            [&b"k"[..]].into_iter(),
            &keyspace.read(),
            200,
            switch,
        );
        assert!(!watches.finish(&a, &keyspace.read(), 300, switch));
    }

    #[test]
    fn flushing_flags_watchers_of_keys_that_existed() {
        let (keyspace, watches, clients) =
            (Keyspace::new(2), Watches::default(), Clients::default());
        let switch = &keyspace.switches.watched_keys;
        let ((a, _a), (b, _b)) = (client(&clients), client(&clients));
        set(&keyspace, 0, b"present", Ttl::Clear);
        watches.watch(
            &a,
            0,
            [&b"present"[..]].into_iter(),
            &keyspace.read(),
            0,
            switch,
        );
        watches.watch(
            &b,
            0,
            [&b"absent"[..]].into_iter(),
            &keyspace.read(),
            0,
            switch,
        );
        watches.touch_database(&keyspace.read(), 0, None, 0);
        assert!(a.modes.is_watch_dirty());
        assert!(!b.modes.is_watch_dirty());
        // SWAPDB: a key that exists only in the other database counts too.
        set(&keyspace, 1, b"absent", Ttl::Clear);
        watches.touch_database(&keyspace.read(), 0, Some(1), 0);
        assert!(b.modes.is_watch_dirty());
    }
}
