//! The keyspace: every database behind one `RwLock`, and **the one write path**.
//!
//! Readers (`GET`, `EXISTS`, `KEYS`...) share [`Keyspace::read`]. Every command flagged as a
//! write runs inside [`Keyspace::write`]: take the exclusive lock, apply the command through a
//! [`Writer`], then *commit* — record what changed — before the lock is released. Because the
//! recording happens under the same lock as the change, the order in which changes are recorded
//! is exactly the order in which they hit the data. That order is what the features built on this
//! path need:
//! - the append-only file and the replication stream must replay writes in apply order;
//! - `WATCH` must see every write to a watched key, keyspace notifications must fire once per
//!   change, and clients blocked on a list must be woken by the push that fed it.
//!
//! Today the commit counts changes (`rdb_changes_since_last_save`) and expired keys; the features
//! above hook into [`Keyspace::write`]'s commit step, and nowhere else.
//!
//! Lock discipline (DESIGN.md §2): a guard is never held across socket I/O, a wait or an fsync.
//! Handlers copy what they reply with into the connection's output buffer while holding the
//! guard; the connection writes it to the socket after the guard is gone.

mod bytes;
mod db;
pub mod expire;
mod hash;
mod value;

use std::sync::{PoisonError, RwLock, RwLockReadGuard};

pub use bytes::Bytes;
pub use db::{Db, SHARDS, Ttl};
pub use value::{Entry, Str, Value, WrongType};

/// All databases, and the counters the write path keeps.
pub struct Databases {
    dbs: Vec<Db>,
    /// Changes since the last save: Redis's `server.dirty`, reported as
    /// `rdb_changes_since_last_save`.
    pub dirty: u64,
    /// Keys removed because their time to live ran out (`expired_keys` in INFO).
    pub expired_keys: u64,
}

impl Databases {
    pub fn db(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    pub fn db_mut(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// How many databases there are (`databases` in the configuration).
    pub fn count(&self) -> usize {
        self.dbs.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Db> {
        self.dbs.iter()
    }

    /// `SWAPDB`: clients connected to one database now see the other's data.
    pub fn swap(&mut self, a: usize, b: usize) {
        self.dbs.swap(a, b);
    }
}

pub struct Keyspace {
    databases: RwLock<Databases>,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        let dbs = (0..databases).map(|_| Db::new()).collect();
        Keyspace {
            databases: RwLock::new(Databases {
                dbs,
                dirty: 0,
                expired_keys: 0,
            }),
        }
    }

    /// Shared access for reading. A lock poisoned by a panicking thread is still used: the maps
    /// stay consistent even if a command panicked halfway, and one bad request must not take the
    /// whole server down with it.
    pub fn read(&self) -> RwLockReadGuard<'_, Databases> {
        self.databases
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// **The write path.** Runs `apply` with exclusive access to the data, `db` selected, then
    /// commits what it changed, all before the lock is released. Every write, whether from a
    /// client command or from the expiry sweep, goes through here.
    pub fn write<R>(&self, db: usize, now_ms: i64, apply: impl FnOnce(&mut Writer) -> R) -> R {
        let mut databases = self
            .databases
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut writer = Writer {
            databases: &mut databases,
            db,
            now_ms,
            changes: 0,
            expired: 0,
        };
        let result = apply(&mut writer);
        let (changes, expired) = (writer.changes, writer.expired);
        // The commit: in apply order, under the lock.
        databases.dirty += changes;
        databases.expired_keys += expired;
        result
    }
}

/// Exclusive access to the data for one write command. Its mutating methods count the changes
/// they make; a handler that edits a value in place through [`Writer::get_mut`] reports its
/// change with [`Writer::changed`].
pub struct Writer<'a> {
    databases: &'a mut Databases,
    db: usize,
    now_ms: i64,
    changes: u64,
    expired: u64,
}

impl Writer<'_> {
    /// The time this command runs at, in Unix milliseconds: one clock reading for the whole
    /// command, as Redis caches `mstime()` per call.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The index of the client's selected database.
    pub fn selected(&self) -> usize {
        self.db
    }

    /// Lazy expiry for writers: an expired key is removed before anyone looks at it.
    fn expire_if_needed(&mut self, db: usize, key: &[u8]) {
        if self.databases.dbs[db].remove_if_expired(key, self.now_ms) {
            self.expired += 1;
        }
    }

    /// The live entry under `key` in the selected database.
    pub fn get(&mut self, key: &[u8]) -> Option<&Entry> {
        self.get_in(self.db, key).map(|entry| &*entry)
    }

    /// The live entry under `key`, for changing in place. Call [`Writer::changed`] after
    /// changing it.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.get_in(self.db, key)
    }

    /// The live entry under `key` in database `db`.
    pub fn get_in(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        self.expire_if_needed(db, key);
        let now_ms = self.now_ms;
        let entry = self.databases.dbs[db].get_mut_unchecked(key)?;
        entry.touch(now_ms);
        Some(entry)
    }

    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(self.db, key);
        self.databases.dbs[self.db].contains(key, self.now_ms)
    }

    /// Creates or overwrites `key` in the selected database.
    pub fn set(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        if self.databases.dbs[self.db].set(key, value, ttl, self.now_ms) {
            self.expired += 1;
        }
        self.changes += 1;
    }

    /// Removes `key` from the selected database. An expired key counts as already gone.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.remove_in(self.db, key)
            .map(|(entry, _)| entry.into_value())
    }

    /// Removes `key` from database `db` and returns its entry and expiry time.
    pub fn remove_in(&mut self, db: usize, key: &[u8]) -> Option<(Entry, Option<i64>)> {
        self.expire_if_needed(db, key);
        let taken = self.databases.dbs[db].take(key);
        self.changes += taken.is_some() as u64;
        taken
    }

    /// Stores an entry taken with [`Writer::remove_in`] under `key` in database `db`.
    pub fn put_in(&mut self, db: usize, key: &[u8], entry: Entry, expires: Option<i64>) {
        self.databases.dbs[db].put(key, entry, expires);
        self.changes += 1;
    }

    /// When `key` (live) expires.
    pub fn expires_at(&mut self, key: &[u8]) -> Option<i64> {
        self.expire_if_needed(self.db, key);
        self.databases.dbs[self.db].expires_at(key)
    }

    /// Sets the expiry time of an existing key in the selected database.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        let done = self.databases.dbs[self.db].set_expire(key, at_ms);
        self.changes += done as u64;
        done
    }

    /// Makes `key` persistent. Returns whether it had a time to live.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(self.db, key);
        let done = self.databases.dbs[self.db].persist(key);
        self.changes += done as u64;
        done
    }

    /// Removes `key` if its time to live has run out (the active expiry sweep).
    pub fn expire_now(&mut self, db: usize, key: &[u8]) {
        self.expire_if_needed(db, key);
    }

    /// Reports `n` changes made in place through [`Writer::get_mut`] or [`Writer::databases`].
    pub fn changed(&mut self, n: u64) {
        self.changes += n;
    }

    /// All databases, for commands that act on them whole (`FLUSHALL`, `SWAPDB`). Report what
    /// changed with [`Writer::changed`].
    pub fn databases(&mut self) -> &mut Databases {
        self.databases
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_path_counts_changes_and_expiries() {
        let keyspace = Keyspace::new(16);
        keyspace.write(0, 0, |w| {
            w.set(b"a", Value::string(b"1"), Ttl::Clear);
            w.set(b"b", Value::string(b"2"), Ttl::At(100));
        });
        keyspace.write(0, 200, |w| {
            assert!(w.remove(b"b").is_none(), "an expired key is already gone");
            assert!(w.remove(b"a").is_some());
        });
        let databases = keyspace.read();
        assert_eq!((databases.dirty, databases.expired_keys), (3, 1));
        assert!(databases.db(0).is_empty());
    }
}
