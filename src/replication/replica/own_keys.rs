//! The keys a writable replica gave a time to live itself (`replica-read-only no`): Redis's
//! `slaveKeysWithExpire`. A replica leaves expiry to its master, which streams a `DEL` when one
//! of its keys expires, so the replica's own clock never decides. But a key a replica's client
//! wrote with a TTL exists on the replica only: no `DEL` will ever come for it. Such keys are
//! remembered when they are written, and the cron thread removes them once their time is up
//! (`expireSlaveKeys`), as the active expiry of a master would.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::keyspace::{Bytes, Databases};
use crate::server::Server;

/// The remembered keys, by database.
#[derive(Default)]
pub struct OwnKeys {
    keys: Mutex<HashSet<(usize, Bytes)>>,
}

impl OwnKeys {
    fn keys(&self) -> MutexGuard<'_, HashSet<(usize, Bytes)>> {
        // A plain set, each change a single call.
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A replica's own client modified `modified`: those now with a time to live are
    /// remembered (Redis's `rememberSlaveKeyWithExpire`, called by `setExpire`).
    pub fn remember(&self, databases: &Databases, modified: &[(usize, Bytes)]) {
        let mut keys = None;
        for (db, key) in modified {
            if databases.db(*db).expires_at(key).is_some() {
                let keys = keys.get_or_insert_with(|| self.keys());
                keys.insert((*db, key.clone()));
            }
        }
    }

    /// How many keys are remembered (Redis's `getSlaveKeyWithExpireCount`).
    pub fn count(&self) -> usize {
        self.keys().len()
    }

    /// Forgets them all: we are a master again, and its active expiry covers every key.
    pub fn forget_all(&self) {
        self.keys().clear();
    }
}

/// Run by the cron thread on a replica: removes the remembered keys whose time is up, through
/// the write path (a `DEL` in the journal, an `expired` event), and forgets those that no
/// longer exist or no longer have a time to live.
pub fn expire(server: &Server, now_ms: i64) {
    let own = &server.replication.own_keys;
    let remembered: Vec<(usize, Bytes)> = own.keys().iter().cloned().collect();
    if remembered.is_empty() {
        return;
    }
    server.write(0, now_ms, |w| {
        let mut keys = own.keys();
        for (db, key) in remembered {
            match w.databases().db(db).expires_at(&key) {
                Some(at_ms) if at_ms > now_ms => continue,
                Some(_) => w.expire_now(db, &key),
                None => {}
            }
            keys.remove(&(db, key));
        }
    });
}
