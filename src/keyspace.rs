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
//! The writer counts changes (`rdb_changes_since_last_save`) and expired keys, and records what
//! changed ([`changes`]: the journal, modified and ready keys, keyspace events) for the server's
//! commit step (`Server::write`), which hands each record to the feature that consumes it before
//! the lock is released. Nothing else may take the exclusive lock.
//!
//! Lock discipline (DESIGN.md §2): a guard is never held across socket I/O, a wait or an fsync.
//! Handlers copy what they reply with into the connection's output buffer while holding the
//! guard; the connection writes it to the socket after the guard is gone.

mod bytes;
pub mod changes;
mod db;
mod dense;
pub mod expire;
pub mod hash;
mod hasher;
pub mod list;
pub mod set;
pub mod stream;
mod value;
pub mod zset;

use std::sync::{PoisonError, RwLock, RwLockReadGuard};

pub use bytes::Bytes;
pub use changes::{Changes, Event, EventClass, Record, Switches, Tracking};
pub use db::{Db, Expired, SHARDS, Sampled, ShardEntries, SnapshotHook, Ttl};
pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use value::{Entry, Str, Value, WrongType};
pub use zset::ZSet;

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
    /// Which consumers of recorded changes exist (see [`changes`]).
    pub switches: Switches,
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
            switches: Switches::default(),
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
    /// counts what it changed, all before the lock is released. Every write, whether from a
    /// client command or from the expiry sweep, goes through here, by way of `Server::write`,
    /// which ends `apply` with the commit of the recorded [`Changes`].
    #[inline]
    pub fn write<R>(&self, db: usize, now_ms: i64, apply: impl FnOnce(&mut Writer) -> R) -> R {
        let mut databases = self
            .databases
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Read under the lock: a consumer that registered before this write is seen by it.
        let tracking = self.switches.snapshot();
        let mut writer = Writer {
            databases: &mut databases,
            db,
            now_ms,
            expiry_clock: now_ms,
            changes: 0,
            expired: 0,
            tracking,
            recorded: Changes::default(),
            command_start: 0,
            propagated: false,
            obeyed_master: false,
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
/// they make and record them (see [`changes`]); a handler that edits a value in place through
/// [`Writer::get_mut`] reports it with [`Writer::modified`].
///
/// # The journal
/// A command that changed something is journaled as it was sent, unless its handler called
/// [`Writer::propagate`] to journal something else: Redis's rule (`call()` propagates a command
/// when it made `server.dirty` move), with Redis's rewrites made by the handlers that need them
/// (relative expiry times become absolute, `INCRBYFLOAT` becomes `SET ... KEEPTTL`...). A key
/// found expired and removed on the way is journaled as `DEL key` first, as Redis does.
pub struct Writer<'a> {
    databases: &'a mut Databases,
    db: usize,
    now_ms: i64,
    /// The time expiry is judged by: `now_ms`, or the beginning of time while loading (nothing
    /// expires, see [`Writer::loading`]).
    expiry_clock: i64,
    changes: u64,
    expired: u64,
    tracking: Tracking,
    recorded: Changes,
    /// `changes` when the current command started.
    command_start: u64,
    /// The current command journaled itself with [`Writer::propagate`].
    propagated: bool,
    /// Some of this write applied a master's stream ([`Writer::obeying_master`]).
    obeyed_master: bool,
}

impl Writer<'_> {
    /// The time this command runs at, in Unix milliseconds: one clock reading for the whole
    /// command, as Redis caches `mstime()` per call.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Whether the Unix time `at_ms` has passed, for a command about to set it as an expiry
    /// (Redis's `checkAlreadyExpired`): then the key is deleted instead. Never while loading, so a
    /// replayed `PEXPIREAT` sets the time it set when it first ran.
    pub fn has_passed(&self, at_ms: i64) -> bool {
        at_ms <= self.expiry_clock
    }

    /// Whether some of this write applied a master's stream (see [`Writer::obeying_master`]).
    pub fn obeyed_master(&self) -> bool {
        self.obeyed_master
    }

    /// Whether this writer is applying a load (see [`Writer::loading`]).
    pub fn is_loading(&self) -> bool {
        self.expiry_clock == i64::MIN
    }

    /// Runs `apply` as a replica applies its master's stream (Redis's `expireIfNeeded` finds
    /// nothing expired for the master's client): a key past its time is still there for the
    /// master's commands, and a time already past is set as it is, until the master's own
    /// `DEL` arrives, so the replica never drifts on a clock of its own. Unlike a load, what it
    /// changes is journaled (for the replica's append-only file).
    pub fn obeying_master<R>(&mut self, apply: impl FnOnce(&mut Writer) -> R) -> R {
        self.obeyed_master = true;
        let clock = self.expiry_clock;
        self.expiry_clock = i64::MIN;
        let result = apply(self);
        self.expiry_clock = clock;
        result
    }

    /// Runs `load` the way a load applies what it reads (an append-only file replayed, Redis's
    /// `server.loading`): nothing counts as expired (`keyIsExpired` is false while loading), so
    /// each replayed command meets exactly the keys it met when it first ran; and nothing is
    /// journaled, since it comes from the files. Expired keys go once the load is over.
    pub fn loading<R>(&mut self, load: impl FnOnce(&mut Writer) -> R) -> R {
        let (clock, journal) = (self.expiry_clock, self.tracking.journal);
        self.expiry_clock = i64::MIN;
        self.tracking.journal = false;
        let result = load(self);
        self.expiry_clock = clock;
        self.tracking.journal = journal;
        result
    }

    /// Forgets the changes made so far, as saved ones (Redis's `server.dirty = 0` after
    /// `DEBUG LOADAOF`).
    pub fn clear_dirty(&mut self) {
        self.changes = 0;
        self.databases.dirty = 0;
    }

    /// The index of the client's selected database.
    pub fn selected(&self) -> usize {
        self.db
    }

    /// Selects another database for what follows: `EXEC` runs a transaction's commands through
    /// one writer, and a `SELECT` among them moves the rest to another database; serving a
    /// client blocked in another database than the writer's does the same.
    pub fn select(&mut self, db: usize) {
        self.db = db;
    }

    /// Wraps what this write journaled in `MULTI` ... `EXEC` when it is more than one record, so
    /// that a replay applies a transaction whole (Redis 7.0's `propagatePendingCommands`: one
    /// command is atomic without wrapping). `MULTI` and `EXEC` belong to no database
    /// ([`Record::ANY_DB`]): a `SELECT` goes inside the transaction, as in Redis's files.
    pub fn journal_as_transaction(&mut self) {
        let journal = &mut self.recorded.journal;
        if journal.len() > 1 {
            journal.insert(0, Record::new(Record::ANY_DB, ["MULTI"].iter()));
            journal.push(Record::new(Record::ANY_DB, ["EXEC"].iter()));
        }
    }

    /// How many records this write has journaled so far (where a script's next command's
    /// records will begin).
    pub fn journal_len(&self) -> usize {
        self.recorded.journal.len()
    }

    /// Sends the records journaled from `start` on only to `to`, or drops them (`None`): the
    /// effects of a command a script ran under `redis.set_repl` (Redis's `call()` clearing
    /// `PROPAGATE_AOF` or `PROPAGATE_REPL` for a script's command).
    pub fn narrow_journal(&mut self, start: usize, to: Option<changes::Destination>) {
        let journal = &mut self.recorded.journal;
        match to {
            None => journal.truncate(start),
            Some(to) => journal
                .iter_mut()
                .skip(start)
                .for_each(|record| record.to = to),
        }
    }

    /// What this write records (see [`changes`]).
    pub fn tracking(&self) -> Tracking {
        self.tracking
    }

    /// Starts a client command: what it changes from here on is journaled by
    /// [`Writer::end_command`] unless it journals itself.
    #[inline]
    pub fn begin_command(&mut self) {
        self.command_start = self.changes;
        self.propagated = false;
    }

    /// Ends a client command: journals `args` (the request as sent) if the command changed
    /// anything and did not call [`Writer::propagate`].
    #[inline]
    pub fn end_command<A: AsRef<[u8]>>(&mut self, args: impl ExactSizeIterator<Item = A>) {
        if self.tracking.journal && !self.propagated && self.changes > self.command_start {
            self.journal_as_sent(args);
        }
    }

    /// Kept out of line, so that [`Writer::end_command`] stays a test on the hot path.
    #[inline(never)]
    fn journal_as_sent<A: AsRef<[u8]>>(&mut self, args: impl ExactSizeIterator<Item = A>) {
        self.recorded.journal.push(Record::new(self.db, args));
    }

    /// Journals `args` in the selected database in place of the command as sent (which is then
    /// not journaled). May be called several times: `SPOP key 3` journals three `SREM`s.
    pub fn propagate(&mut self, args: &[&[u8]]) {
        self.propagate_in(self.db, args);
    }

    /// [`Writer::propagate`], in database `db`.
    pub fn propagate_in(&mut self, db: usize, args: &[&[u8]]) {
        self.propagated = true;
        if self.tracking.journal {
            self.recorded.journal.push(Record::new(db, args.iter()));
        }
    }

    /// Records a keyspace event on `key` in the selected database (Redis's
    /// `notifyKeyspaceEvent`), if `notify-keyspace-events` asks for its class. Inlined: almost
    /// always it is off, and then this is one test.
    #[inline]
    pub fn notify(&mut self, class: EventClass, name: &'static str, key: &[u8]) {
        self.notify_in(self.db, class, name, key);
    }

    /// [`Writer::notify`], in database `db`.
    #[inline]
    pub fn notify_in(&mut self, db: usize, class: EventClass, name: &'static str, key: &[u8]) {
        if self.tracking.events.intersects(class) {
            self.record_event(db, class, name, key);
        }
    }

    fn record_event(&mut self, db: usize, class: EventClass, name: &'static str, key: &[u8]) {
        self.recorded.events.push(Event {
            class,
            name,
            db,
            key: Bytes::new(key),
        });
    }

    /// Reports one change made in place to `key` (through [`Writer::get_mut`]) in the selected
    /// database: counts it and signals the key as modified (Redis's `signalModifiedKey`).
    pub fn modified(&mut self, key: &[u8]) {
        self.modified_in(self.db, key);
    }

    /// [`Writer::modified`], in database `db`.
    pub fn modified_in(&mut self, db: usize, key: &[u8]) {
        self.changes += 1;
        self.signal_modified(db, key);
    }

    /// Signals `key` as modified without counting a change (the change was counted already).
    fn signal_modified(&mut self, db: usize, key: &[u8]) {
        let own_write = self.tracking.replica_writes && !self.obeyed_master;
        if self.tracking.watched || self.tracking.tracked || own_write {
            self.recorded.modified.push((db, Bytes::new(key)));
        }
    }

    /// Signals that `key` in `db` may now feed clients blocked on it (Redis's
    /// `signalKeyAsReady`). [`Writer::set`] and [`Writer::put_in`] signal new lists themselves.
    pub fn signal_ready(&mut self, db: usize, key: &[u8]) {
        if self.tracking.blocked {
            self.recorded.ready.push((db, Bytes::new(key)));
        }
    }

    /// Signals a value just stored under `key` as ready if it is of a type clients block on.
    fn signal_if_blockable(&mut self, db: usize, key: &[u8], value: &Value) {
        if self.tracking.blocked && value.is_blockable() {
            self.signal_ready(db, key);
        }
    }

    /// Whether anything was recorded for the commit.
    #[inline]
    pub fn has_changes(&self) -> bool {
        !self.recorded.is_empty()
    }

    /// The keyspace events recorded so far, to publish before the commit (EXEC publishes each
    /// command's as it runs).
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.recorded.events)
    }

    /// The keys modified since the last call, for client-side caching to invalidate before the
    /// commit (EXEC's commands, each as it runs); the commit leaves them out.
    pub fn modified_to_invalidate(&mut self) -> &[(usize, Bytes)] {
        let recorded = &mut self.recorded;
        let start = std::mem::replace(&mut recorded.invalidated, recorded.modified.len());
        &recorded.modified[start..]
    }

    /// Everything recorded so far, for the commit. Leaves nothing behind.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.recorded)
    }

    /// Lazy expiry for writers: an expired key is removed before anyone looks at it, and the
    /// removal is journaled, signalled and notified as Redis's `deleteExpiredKeyAndPropagate`.
    fn expire_if_needed(&mut self, db: usize, key: &[u8]) {
        if self.databases.dbs[db].remove_if_expired(key, self.expiry_clock) {
            self.record_expiry(db, key);
        }
    }

    fn record_expiry(&mut self, db: usize, key: &[u8]) {
        self.expired += 1;
        self.journal_deletion(db, key);
        self.signal_modified(db, key);
        // A stream that expires answers the clients blocked on it through a group, as a
        // deleted one does (Redis's expiry deletes through `dbGenericDelete`). The value is
        // gone already, so any waited key is offered: list and sorted-set waiters just go on
        // waiting for a key that is not there.
        self.signal_ready(db, key);
        self.notify_in(db, EventClass::EXPIRED, "expired", key);
    }

    /// Journals `DEL key`: how a key the server removed on its own is replayed (Redis's
    /// `propagateDeletion`, for expiry and eviction).
    fn journal_deletion(&mut self, db: usize, key: &[u8]) {
        if self.tracking.journal {
            let args: [&[u8]; 2] = [b"DEL", key];
            self.recorded.journal.push(Record::new(db, args.iter()));
        }
    }

    /// Evicts `key` from database `db` to get under `maxmemory` (Redis's `performEvictions`):
    /// removes it, journals `DEL key`, signals it modified (WATCH) and notifies `evicted`. Not a
    /// change of the data (`dirty` does not move, as in Redis). A key found expired is expired
    /// instead. Returns the evicted entry, for the caller to drop: eviction measures what that
    /// frees apart from what recording the eviction costs.
    pub fn evict_in(&mut self, db: usize, key: &[u8]) -> Option<Entry> {
        self.expire_if_needed(db, key);
        let (entry, _) = self.databases.dbs[db].take(key)?;
        self.journal_deletion(db, key);
        self.signal_modified(db, key);
        self.notify_in(db, EventClass::EVICTED, "evicted", key);
        Some(entry)
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
        self.databases.dbs[self.db].contains(key, self.expiry_clock)
    }

    /// Creates or overwrites `key` in the selected database.
    pub fn set(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        let db = self.db;
        // Overwriting a stream answers the clients blocked on it through a group (Redis's
        // `dbOverwrite` signals the key as ready for them).
        let replaces_stream = self.tracking.blocked && self.holds_stream(db, key);
        let blockable = replaces_stream || (self.tracking.blocked && value.is_blockable());
        // Redis's `dbAdd` notifies `new`; overwriting a live key (`dbOverwrite`) does not.
        let created = self.tracking.events.intersects(EventClass::NEW)
            && !self.databases.dbs[db].contains(key, self.expiry_clock);
        if self.databases.dbs[db].set(key, value, ttl, self.expiry_clock) {
            self.record_expiry(db, key);
        }
        if self.expiry_clock != self.now_ms {
            // Loading: the entry's access time is now, not the clock expiry was judged by.
            if let Some(entry) = self.databases.dbs[db].get_mut_unchecked(key) {
                entry.touch(self.now_ms);
            }
        }
        if created {
            self.notify_in(db, EventClass::NEW, "new", key);
        }
        self.modified_in(db, key);
        if blockable {
            self.signal_ready(db, key);
        }
    }

    /// Removes `key` from the selected database. An expired key counts as already gone.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.remove_in(self.db, key)
            .map(|(entry, _)| entry.into_value())
    }

    /// Removes `key` from database `db` and returns its entry and expiry time.
    pub fn remove_in(&mut self, db: usize, key: &[u8]) -> Option<(Entry, Option<i64>)> {
        self.expire_if_needed(db, key);
        let stream = self.tracking.blocked && self.holds_stream(db, key);
        let taken = self.databases.dbs[db].take(key);
        if taken.is_some() {
            self.modified_in(db, key);
        }
        // A deleted stream answers the clients blocked on it through a group (Redis's
        // `dbGenericDelete` signals the key as ready for them).
        if stream {
            self.signal_ready(db, key);
        }
        taken
    }

    /// Whether `key` in `db` holds a stream, expired or not.
    fn holds_stream(&mut self, db: usize, key: &[u8]) -> bool {
        self.databases.dbs[db]
            .get_mut_unchecked(key)
            .is_some_and(|entry| matches!(entry.value(), Value::Stream { .. }))
    }

    /// Stores an entry taken with [`Writer::remove_in`] under `key` in database `db`.
    /// Notifies `new`, as Redis's RENAME, MOVE and COPY do: they add the key afresh (`dbAdd`),
    /// whatever it held before.
    pub fn put_in(&mut self, db: usize, key: &[u8], entry: Entry, expires: Option<i64>) {
        self.signal_if_blockable(db, key, entry.value());
        self.databases.dbs[db].put(key, entry, expires);
        self.notify_in(db, EventClass::NEW, "new", key);
        self.modified_in(db, key);
    }

    /// When `key` (live) expires.
    pub fn expires_at(&mut self, key: &[u8]) -> Option<i64> {
        self.expire_if_needed(self.db, key);
        self.databases.dbs[self.db].expires_at(key)
    }

    /// Sets the expiry time of an existing key in the selected database.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        let done = self.databases.dbs[self.db].set_expire(key, at_ms);
        if done {
            self.modified(key);
        }
        done
    }

    /// Makes `key` persistent. Returns whether it had a time to live.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(self.db, key);
        let done = self.databases.dbs[self.db].persist(key);
        if done {
            self.modified(key);
        }
        done
    }

    /// Removes `key` if its time to live has run out (the active expiry sweep).
    pub fn expire_now(&mut self, db: usize, key: &[u8]) {
        self.expire_if_needed(db, key);
    }

    /// Counts `n` changes without signalling any key: the extra elements of a multi-element
    /// push (Redis counts `LPUSH k a b c` as 3), or whole-database changes through
    /// [`Writer::databases`].
    pub fn changed(&mut self, n: u64) {
        self.changes += n;
    }

    /// Records that `count` elements (at least one) were taken out of the collection at `key`
    /// in place: the event `name` of `class`, then, if the collection is now `emptied`, the
    /// removal of the key (Redis never keeps an empty collection) and its `del` event, and the
    /// change count (Redis counts each element).
    pub fn removed_elements(
        &mut self,
        key: &[u8],
        class: EventClass,
        name: &'static str,
        count: usize,
        emptied: bool,
    ) {
        self.notify(class, name, key);
        if emptied {
            self.remove(key);
            self.notify(EventClass::GENERIC, "del", key);
        } else {
            self.modified(key);
        }
        self.changed(count.saturating_sub(1) as u64);
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

    fn journaling(keyspace: &Keyspace) {
        keyspace
            .switches
            .journal
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Runs `apply` as one client command `args` and returns what it journaled, as text.
    fn journal_of(
        keyspace: &Keyspace,
        now_ms: i64,
        args: &[&str],
        apply: impl FnOnce(&mut Writer),
    ) -> Vec<String> {
        keyspace.write(0, now_ms, |w| {
            w.begin_command();
            apply(w);
            w.end_command(args.iter());
            w.take_changes()
                .journal
                .into_iter()
                .map(|record| String::from_utf8(record.command).unwrap())
                .collect()
        })
    }

    #[test]
    fn a_command_is_journaled_only_if_it_changed_something() {
        let keyspace = Keyspace::new(1);
        journaling(&keyspace);
        let set = journal_of(&keyspace, 0, &["SET", "k", "v"], |w| {
            w.set(b"k", Value::string(b"v"), Ttl::Clear)
        });
        assert_eq!(set, ["*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"]);
        let noop = journal_of(&keyspace, 0, &["PERSIST", "k"], |w| {
            w.persist(b"k");
        });
        assert!(noop.is_empty(), "nothing changed, nothing to replay");
    }

    #[test]
    fn a_rewrite_replaces_the_command_and_expired_keys_are_deleted_first() {
        let keyspace = Keyspace::new(1);
        journaling(&keyspace);
        keyspace.write(0, 0, |w| w.set(b"old", Value::string(b"v"), Ttl::At(10)));
        let journal = journal_of(&keyspace, 100, &["GETDEL", "old"], |w| {
            assert!(w.get(b"old").is_none());
            w.propagate(&[b"DEL", b"other"]);
        });
        assert_eq!(
            journal,
            [
                "*2\r\n$3\r\nDEL\r\n$3\r\nold\r\n",
                "*2\r\n$3\r\nDEL\r\n$5\r\nother\r\n"
            ]
        );
    }

    #[test]
    fn a_transaction_that_journaled_several_records_is_wrapped_in_multi_exec() {
        let keyspace = Keyspace::new(2);
        journaling(&keyspace);
        let commands = |writes: &[(usize, &str)]| {
            keyspace.write(0, 0, |w| {
                for &(db, key) in writes {
                    w.select(db);
                    w.begin_command();
                    w.set(key.as_bytes(), Value::string(b"v"), Ttl::Clear);
                    w.end_command(["SET", key, "v"].iter());
                }
                w.journal_as_transaction();
                w.take_changes()
                    .journal
                    .into_iter()
                    .map(|record| (record.db, String::from_utf8(record.command).unwrap()))
                    .collect::<Vec<_>>()
            })
        };
        let set = |key: &str| format!("*3\r\n$3\r\nSET\r\n$1\r\n{key}\r\n$1\r\nv\r\n");
        assert_eq!(
            commands(&[(0, "a")]),
            [(0, set("a"))],
            "one command is atomic"
        );
        assert_eq!(
            commands(&[(0, "a"), (1, "b")]),
            [
                (Record::ANY_DB, "*1\r\n$5\r\nMULTI\r\n".to_string()),
                (0, set("a")),
                (1, set("b")),
                (Record::ANY_DB, "*1\r\n$4\r\nEXEC\r\n".to_string()),
            ]
        );
        assert!(commands(&[]).is_empty());
    }

    #[test]
    fn nothing_is_recorded_for_features_that_are_off() {
        let keyspace = Keyspace::new(1);
        let changes = keyspace.write(0, 0, |w| {
            w.begin_command();
            w.set(
                b"k",
                Value::list([Bytes::new(b"a")].into_iter().collect()),
                Ttl::Clear,
            );
            w.notify(EventClass::LIST, "lpush", b"k");
            w.end_command(["LPUSH", "k", "a"].iter());
            w.take_changes()
        });
        assert!(changes.is_empty());
    }

    #[test]
    fn watched_and_blocked_keys_are_signalled_when_someone_cares() {
        let keyspace = Keyspace::new(1);
        keyspace
            .switches
            .watched_keys
            .store(1, std::sync::atomic::Ordering::Relaxed);
        keyspace
            .switches
            .blocked_keys
            .store(1, std::sync::atomic::Ordering::Relaxed);
        let changes = keyspace.write(0, 0, |w| {
            w.set(b"s", Value::string(b"v"), Ttl::Clear);
            w.set(
                b"l",
                Value::list([Bytes::new(b"a")].into_iter().collect()),
                Ttl::Clear,
            );
            w.take_changes()
        });
        let keys =
            |list: &[(usize, Bytes)]| list.iter().map(|(_, k)| k.to_vec()).collect::<Vec<_>>();
        assert_eq!(keys(&changes.modified), [b"s".to_vec(), b"l".to_vec()]);
        assert_eq!(
            keys(&changes.ready),
            [b"l".to_vec()],
            "only lists feed blocked clients"
        );
    }
}
