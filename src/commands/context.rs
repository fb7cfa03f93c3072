//! What a handler sees while it runs ([`Ctx`]): the server, its connection's session, the reply
//! being built, the command's clock, and inside `EXEC` the databases the transaction holds. Also
//! the key lookups that count hits and misses and record accesses, as Redis's `lookupKey*` do.

use std::cell::RefCell;
use std::ops::Deref;
use std::sync::RwLockReadGuard;

use super::{CommandError, parse_c_int};
use crate::connection::Session;
use crate::keyspace::{Databases, Db, Entry, Writer};
use crate::protocol::Reply;
use crate::server::Server;

/// Everything a handler may use while it runs.
pub struct Ctx<'a> {
    pub server: &'a Server,
    /// This connection's state: selected database, protocol, name...
    pub session: &'a mut Session,
    pub reply: Reply<'a>,
    /// Unix time in milliseconds, read once per command (Redis caches `mstime()` per call too).
    pub now_ms: i64,
    /// The same instant in microseconds: when the command started, for its statistics.
    pub now_us: i64,
    /// Whether a blocking command (`BLPOP`...) may wait. Inside `EXEC` it may not, and behaves
    /// as its non-blocking form, as in Redis.
    pub may_block: bool,
    /// Inside `EXEC`: the databases the transaction already holds under the exclusive lock.
    /// A `Plain` handler that looks at the data (INFO, DEBUG OBJECT) must read these through
    /// [`Ctx::databases`]: locking again from the same thread would deadlock.
    pub held: Option<&'a Databases>,
    /// Keys a read found expired but still stored. A reader holds the shared lock and cannot
    /// remove them; [`Ctx::expire_keys_read`] does once it is released, as Redis's lookups delete
    /// an expired key on access.
    pub expired_reads: RefCell<Vec<Vec<u8>>>,
}

/// The databases as a `Plain` handler reads them: under a shared lock taken for the purpose, or
/// those an `EXEC` holds already (see [`Ctx::held`]).
pub enum DatabasesRef<'a> {
    Locked(RwLockReadGuard<'a, Databases>),
    Held(&'a Databases),
}

impl Deref for DatabasesRef<'_> {
    type Target = Databases;

    fn deref(&self) -> &Databases {
        match self {
            DatabasesRef::Locked(guard) => guard,
            DatabasesRef::Held(databases) => databases,
        }
    }
}

impl Ctx<'_> {
    /// Looks a key up for reading, as Redis's `lookupKeyRead`: counts a keyspace hit or miss and
    /// records the access (unless the client asked for `CLIENT NO-TOUCH`).
    pub fn read_key<'d>(&self, db: &'d Db, key: &[u8]) -> Option<&'d Entry> {
        let entry = self.inspect_key(db, key);
        if let Some(entry) = entry {
            if !self.session.no_touch {
                entry.touch(self.now_ms);
            }
        }
        entry
    }

    /// Looks a key up for reading from the write path (BITOP's sources, a reading BITFIELD,
    /// PFCOUNT refreshing its cache, XREAD that may block), as Redis's `lookupKeyRead` does
    /// there: counts a keyspace hit or miss, and a miss is a `keymiss` event. The Writer has
    /// already removed the key if it expired, and records the access itself.
    pub fn read_key_on_write_path<'w>(
        &self,
        w: &'w mut Writer,
        key: &[u8],
    ) -> Option<&'w mut Entry> {
        let entry = w.get_mut(key);
        self.server.stats.record_lookup(entry.is_some());
        if entry.is_none() {
            crate::notify::key_miss(self.server, self.session.db, key);
        }
        entry
    }

    /// Looks a key up for inspection (`TYPE`, `TTL`, `EXISTS`): counts a hit or miss but leaves
    /// the access time alone, as Redis's `LOOKUP_NOTOUCH`. A miss is a `keymiss` event.
    pub fn inspect_key<'d>(&self, db: &'d Db, key: &[u8]) -> Option<&'d Entry> {
        let entry = self.inspect_key_quietly(db, key);
        if entry.is_none() {
            crate::notify::key_miss(self.server, self.session.db, key);
        }
        entry
    }

    /// [`Ctx::inspect_key`] without the `keymiss` event (`OBJECT`, Redis's `LOOKUP_NONOTIFY`).
    pub fn inspect_key_quietly<'d>(&self, db: &'d Db, key: &[u8]) -> Option<&'d Entry> {
        let entry = db.lookup(key, self.now_ms);
        // Inside EXEC the transaction's lock is held to its end: the key stays until then.
        if entry.is_err() && self.held.is_none() {
            self.expired_reads.borrow_mut().push(key.to_vec());
        }
        let entry = entry.ok().flatten();
        self.server.stats.record_lookup(entry.is_some());
        entry
    }

    /// Removes the keys reads found expired, if they still are, through the write path: each
    /// is a `DEL` in the journal and an `expired` event, as a key the cron thread reclaims.
    /// Called once the read lock is released.
    pub fn expire_keys_read(&mut self) {
        let keys = std::mem::take(self.expired_reads.get_mut());
        // During CLIENT PAUSE, and on a replica, nothing is deleted: the keys stay, expired.
        if keys.is_empty() || self.server.holds_expiry(self.now_ms) {
            return;
        }
        let db = self.session.db;
        self.server.write(db, self.now_ms, |w| {
            keys.iter().for_each(|key| w.expire_now(db, key))
        });
    }

    /// Parses a database index argument (`SELECT`, `MOVE`, `COPY ... DB`) as Redis reads it: a
    /// C `int` (Redis's `getIntFromObjectOrReply`), then a database that exists.
    pub fn db_index(&self, arg: &[u8]) -> Result<usize, CommandError> {
        let index = parse_c_int(arg, None)?;
        self.existing_db(index)
    }

    /// Like [`Ctx::db_index`], with one message for any argument that is not a C `int`
    /// (`SWAPDB`'s `invalid first DB index`).
    pub fn db_index_or(&self, arg: &[u8], message: &'static str) -> Result<usize, CommandError> {
        let index = parse_c_int(arg, Some(message))?;
        self.existing_db(index)
    }

    fn existing_db(&self, index: i32) -> Result<usize, CommandError> {
        usize::try_from(index)
            .ok()
            .filter(|&i| i < self.server.config.databases())
            .ok_or(CommandError::DbIndexOutOfRange)
    }

    /// The client's selected database, for reading.
    pub fn db<'d>(&self, databases: &'d Databases) -> &'d Db {
        databases.db(self.session.db)
    }

    /// The databases, for a `Plain` handler that needs to read them: a shared lock, or inside
    /// `EXEC` the databases the transaction holds. Keep the result only as long as needed.
    pub fn databases(&self) -> DatabasesRef<'_> {
        match self.held {
            Some(databases) => DatabasesRef::Held(databases),
            None => DatabasesRef::Locked(self.server.keyspace.read()),
        }
    }

    /// Whether this command runs inside `EXEC` (under the transaction's exclusive lock).
    pub fn in_exec(&self) -> bool {
        self.held.is_some()
    }

    /// Whether the server itself runs this command, replaying its append-only file (the
    /// internal client of `ClientInfo::internal`) or its master's stream: Redis's
    /// `mustObeyClient`. What was once accepted must replay whatever the limits are now.
    pub fn must_obey(&self) -> bool {
        self.session.info.id == u64::MAX || self.session.info.modes.is_master()
    }

    /// The longest string a command may make: `proto-max-bulk-len`, except for a replay,
    /// which obeys (Redis's `checkStringLength` and `getBitOffsetFromArgument`).
    pub fn max_string_len(&self) -> u64 {
        match self.must_obey() {
            true => u64::MAX,
            false => self.server.config.limits(false).max_bulk_len as u64,
        }
    }

    /// A context for one command queued in a transaction, run by `EXEC` with the databases it
    /// holds.
    pub(super) fn holding<'b>(&'b mut self, databases: &'b Databases) -> Ctx<'b> {
        Ctx {
            server: self.server,
            session: &mut *self.session,
            reply: self.reply.reborrow(),
            now_ms: self.now_ms,
            now_us: self.now_us,
            may_block: self.may_block,
            held: Some(databases),
            expired_reads: RefCell::default(),
        }
    }
}
