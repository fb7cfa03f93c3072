//! Replication: this server as a master (replicas attach with `PSYNC`, get a snapshot, then the
//! stream of writes) and as a replica of another server (`REPLICAOF`). (Stages 24–41.)
//!
//! # The map
//! - [`backlog`]: the ring of the last `repl-backlog-size` bytes of the stream and the offset of
//!   its end (`master_repl_offset`); the write path feeds it, feeders read from it.
//! - [`replicas`]: the attached replicas, their sync state and acknowledged offsets (INFO,
//!   ROLE, `WAIT`, `min-replicas-to-write`).
//! - [`master`]: one replica's connection as the master serves it: the sync it asked for, then
//!   the connection's thread as its feeder, and a reader thread for its ACKs.
//! - [`info`]: INFO's replication section, for either role.
//! - [`wait`]: `WAIT`, the clients blocked until replicas acknowledge their writes.
//! - [`failover`]: `FAILOVER`, handing the master's role to a replica without losing a write.
//! - [`replica`]: the other direction, the link to our own master.
//!
//! # Where it plugs into the server
//! `Server::consume` hands every write's journal to [`Replication::propagate`] (beside the
//! append-only file), under the keyspace lock, so the stream has the writes in apply order.
//! The journal is recorded while a replica is attached or the AOF is on.

pub mod backlog;
pub mod failover;
pub mod info;
pub mod master;
pub mod replica;
pub mod replicas;
pub mod wait;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::config::Config;
use crate::keyspace::Record;
use crate::log;
use crate::persistence::rdb::ReplicationInfo;
use crate::server::Server;

/// The replication state the server shares.
pub struct Replication {
    pub identity: Mutex<Identity>,
    pub backlog: backlog::Backlog,
    pub replicas: replicas::Replicas,
    pub link: replica::Link,
    /// The database the stream last selected (`None`: the next record selects its own), as
    /// Redis's `server.slaveseldb`. Only touched under the keyspace's exclusive lock.
    selected_db: Mutex<Option<usize>>,
    /// The backlog exists: created when the first replica attached (Redis's
    /// `createReplicationBacklog`), or by following a master. Before that nothing is fed and
    /// `master_repl_offset` stays put; after it the journal stays on.
    backlog_active: AtomicBool,
    /// The clients blocked in `WAIT`.
    pub waits: wait::Waits,
    /// On a writable replica, the keys its own clients gave a time to live.
    pub own_keys: replica::own_keys::OwnKeys,
    /// When the cron thread last sent the replicas a keep-alive `PING`.
    last_ping_ms: AtomicI64,
    /// Since when no replica is attached (0: some are), for `repl-backlog-ttl`.
    no_replicas_since_ms: AtomicI64,
    /// The `FAILOVER` under way, if any.
    pub failover: failover::Failover,
    /// INFO's `sync_full`, `sync_partial_ok`, `sync_partial_err`: the syncs replicas asked of
    /// us, by outcome.
    pub syncs: SyncCounts,
}

/// How the syncs replicas asked for went (Redis's `stat_sync_*`).
#[derive(Debug, Default)]
pub struct SyncCounts {
    pub full: AtomicU64,
    pub partial_ok: AtomicU64,
    /// A partial resync asked for (a replid, not `?`) and refused.
    pub partial_err: AtomicU64,
}

impl SyncCounts {
    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        for counter in [&self.full, &self.partial_ok, &self.partial_err] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// Who our history is: the replication ID the stream's offsets belong to, and the previous one
/// a promoted replica still accepts partial resyncs for, up to `second_offset` (PSYNC2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub replid: String,
    pub replid2: String,
    pub second_offset: i64,
}

/// The all-zeros ID Redis shows for "no previous history".
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

impl Default for Identity {
    fn default() -> Identity {
        Identity {
            replid: crate::random::hex(40),
            replid2: NO_REPLID.to_string(),
            second_offset: -1,
        }
    }
}

impl Default for Replication {
    fn default() -> Replication {
        Replication {
            identity: Mutex::new(Identity::default()),
            backlog: backlog::Backlog::default(),
            replicas: replicas::Replicas::default(),
            link: replica::Link::default(),
            selected_db: Mutex::new(None),
            backlog_active: AtomicBool::new(false),
            waits: wait::Waits::default(),
            own_keys: Default::default(),
            last_ping_ms: AtomicI64::new(0),
            no_replicas_since_ms: AtomicI64::new(0),
            failover: Default::default(),
            syncs: SyncCounts::default(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each holds plain values assigned whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Replication {
    /// `master_repl_offset`: the end of the stream.
    pub fn offset(&self) -> i64 {
        self.backlog.offset()
    }

    /// A copy of our identity.
    pub fn identity(&self) -> Identity {
        lock(&self.identity).clone()
    }

    /// Our replication ID (`master_replid`).
    pub fn replid(&self) -> String {
        lock(&self.identity).replid.clone()
    }

    /// A new replication ID and no previous history (`DEBUG CHANGE-REPL-ID`, Redis's
    /// `changeReplicationId` + `clearReplicationId2`).
    pub fn change_replid(&self) {
        *lock(&self.identity) = Identity::default();
    }

    /// From `Server::consume`, under the keyspace's exclusive lock: the journal of one write
    /// becomes stream bytes, with a `SELECT` whenever the database changes (the rule the AOF
    /// follows too, [`Record::encode_stream`]). A replica does nothing here: it feeds its
    /// master's bytes verbatim instead.
    pub fn propagate(&self, server: &Server, journal: &[Record]) {
        if journal.is_empty() || self.link.is_replica() || !self.backlog_active() {
            return;
        }
        let mut bytes = Vec::new();
        Record::encode_stream(journal, &mut lock(&self.selected_db), &mut bytes);
        self.feed(server, &bytes);
        wait::note_write(self.offset());
    }

    /// Whether the backlog exists (INFO's `repl_backlog_active`).
    pub fn backlog_active(&self) -> bool {
        self.backlog_active.load(Ordering::Relaxed)
    }

    /// Whether the write path must keep journaling for us (the AOF being turned off asks).
    pub fn needs_journal(&self) -> bool {
        self.backlog_active()
    }

    /// Registers a replica about to be fed. Under the keyspace's exclusive lock, so every write
    /// after this one is journaled and streamed: creates the backlog on first use (with a new
    /// replication ID, as Redis's `syncCommand` does for the first replica), turns the journal
    /// on, and makes the stream select its database again.
    pub fn attach(&self, server: &Server, client_id: u64, ip: String, listening_port: u16) {
        if !self.backlog_active.swap(true, Ordering::Relaxed) {
            self.change_replid();
            self.follow_buffer_config(server);
            let identity = self.identity();
            log!(
                Notice,
                "Replication backlog created, my new replication IDs are '{}' and '{}'",
                identity.replid,
                identity.replid2
            );
        }
        self.start_journal(server);
        self.reselect();
        self.replicas.attach(client_id, ip, listening_port);
    }

    /// Turns the write path's journal on for good: our history must record every write from now
    /// on (a replica attached; or a replica that follows a master, so that once promoted its
    /// own writes reach the backlog). Call under the keyspace lock.
    pub fn start_journal(&self, server: &Server) {
        server
            .keyspace
            .switches
            .journal
            .store(true, Ordering::Relaxed);
    }

    /// `repl-backlog-size` or `client-output-buffer-limit` is set (at the backlog's creation,
    /// by `CONFIG SET`): the ring keeps that much history, at least 16 KB (Redis's
    /// `CONFIG_REPL_BACKLOG_MIN_SIZE`), and lets each replica fall that far behind.
    pub fn follow_buffer_config(&self, server: &Server) {
        self.backlog.resize(backlog_size(server));
        (self.backlog).set_reader_limit(server.config.replica_output_limit());
    }

    /// Something about the replicas changed (an ACK, one left): `WAIT`s are counted again.
    pub fn wake_waiters(&self, server: &Server) {
        self.waits.recount(server);
        failover::progress(server, crate::clock::now_ms());
    }

    /// The next record propagated selects its database again: a replica's stream starts here
    /// (Redis sets `slaveseldb = -1` when a full sync begins). Call under the keyspace lock.
    pub fn reselect(&self) {
        *lock(&self.selected_db) = None;
    }

    /// Sends the replicas `REPLCONF GETACK *` through the stream, so they acknowledge at once
    /// rather than at their next periodic ACK (WAIT, a shutdown waiting for them).
    pub fn request_acks(&self, server: &Server) {
        self.feed(
            server,
            b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n",
        );
    }

    /// Raw stream bytes into the backlog: the offset advances and feeders wake; a replica this
    /// leaves past its output buffer limit is dropped.
    pub fn feed(&self, server: &Server, bytes: &[u8]) {
        let overflowing = self.backlog.feed(bytes, crate::clock::now_ms());
        for id in overflowing {
            // Shut from here: its feeder may be stuck in a write to a replica that stopped
            // reading, and only the socket's shutdown frees it (Redis's `freeClientAsync`).
            if let Some(replica) = server.clients.get(id) {
                crate::clients::eviction::close_for_output_limit(&replica, crate::clock::now_ms());
            }
        }
    }

    /// After `+FULLRESYNC <replid> <offset>` from our master: its history becomes ours, and the
    /// backlog restarts at `offset` (Redis's `replicationCreateMasterClient` + the identity
    /// copy in `readSyncBulkPayload`). The caller also calls [`Replication::start_journal`], so
    /// that after a promotion our own writes are in the backlog.
    pub fn follow(&self, server: &Server, replid: &str, offset: i64) {
        *lock(&self.identity) = Identity {
            replid: replid.to_string(),
            replid2: NO_REPLID.to_string(),
            second_offset: -1,
        };
        self.backlog.restart_at(offset);
        self.backlog_active.store(true, Ordering::Relaxed);
        self.follow_buffer_config(server);
    }

    /// `REPLICAOF NO ONE`: our history continues under a fresh ID, and partial resyncs with the
    /// old one stay possible up to where it ended (Redis's `shiftReplicationId`).
    pub fn promote(&self) {
        self.shift_replid(crate::random::hex(40));
    }

    /// Our history goes on under `replid`; the current ID becomes the second, valid up to where
    /// the stream is now: after a promotion (a fresh ID), or a `+CONTINUE` naming the master's
    /// new one. The next record propagated selects its database again.
    pub fn shift_replid(&self, replid: String) {
        let offset = self.offset();
        let mut identity = lock(&self.identity);
        identity.replid2 = std::mem::replace(&mut identity.replid, replid);
        identity.second_offset = offset + 1;
        drop(identity);
        self.reselect();
    }
}

/// Whether writes from clients are refused: we are a replica and `replica-read-only` is on
/// (our master's own writes come through the replica link, which is not refused).
pub fn read_only_replica(server: &Server) -> bool {
    server.replication.link.is_replica() && server.config.replica_read_only.load(Ordering::Relaxed)
}

/// While we are a replica whose link to the master is down: whether clients may still read
/// what we have (`replica-serve-stale-data`). `None` when the question does not arise.
pub fn serves_stale_data(server: &Server) -> Option<bool> {
    let link = &server.replication.link;
    if !link.is_replica() || link.is_up() {
        return None;
    }
    Some(
        server
            .config
            .replica_serve_stale_data
            .load(Ordering::Relaxed),
    )
}

impl Replication {
    /// The history an RDB file saved now stands for (Redis's `rdbPopulateSaveInfo`): a master's
    /// once it has a backlog, a replica's once it has synced. Call under the keyspace lock, so
    /// the offset is the data's.
    pub fn save_info(&self) -> Option<ReplicationInfo> {
        let stream_db = match self.link.is_replica() {
            true => self.link.stream_db()?,
            false if self.backlog_active() => lock(&self.selected_db).unwrap_or(0),
            false => return None,
        };
        Some(ReplicationInfo {
            stream_db,
            replid: self.replid(),
            offset: self.offset(),
        })
    }

    /// At startup, the history the RDB file was saved at: a replica continues it with its
    /// master (`PSYNC <replid> <offset+1>`); a master keeps it as its second ID, so its
    /// replicas can resync partially after the restart (Redis's `loadDataFromDisk`).
    /// A master also streams a `DEL` for each key the load dropped as `expired` (database,
    /// key), so replicas that continue drop them too (Redis propagates them from the load).
    pub fn restore(&self, server: &Server, info: &ReplicationInfo, expired: &[(usize, Vec<u8>)]) {
        if crate::config::read(&server.config.replicaof).is_some() {
            self.follow(server, &info.replid, info.offset);
            self.link.continue_from(info.offset, info.stream_db);
        } else {
            let mut identity = lock(&self.identity);
            identity.replid2 = info.replid.clone();
            identity.second_offset = info.offset + 1;
            drop(identity);
            self.backlog.restart_at(info.offset);
            self.backlog_active.store(true, Ordering::Relaxed);
            // Sized as configured before the deletions go in: a backlog they overflow can no
            // longer serve a partial resync from before the restart (Redis then syncs fully).
            self.follow_buffer_config(server);
            let deletes: Vec<Record> = (expired.iter())
                .map(|(db, key)| Record::new(*db, [&b"DEL"[..], key].iter()))
                .collect();
            *lock(&self.selected_db) = Some(info.stream_db);
            self.propagate(server, &deletes);
        }
        self.start_journal(server);
    }
}

/// The backlog's size as configured, raised to Redis's minimum.
pub fn backlog_size(server: &Server) -> usize {
    const MIN_SIZE: i64 = 16 * 1024;
    let size = Config::get(&server.config.repl_backlog_size).max(MIN_SIZE);
    usize::try_from(size).unwrap_or(usize::MAX)
}

/// `repl-backlog-ttl` (Redis's `replicationCron`): a master that has had no replica for that
/// long frees its backlog, and takes a new replication ID with no second one, since its offset
/// stops moving while no backlog is fed (a replica of the old history must sync in full).
fn free_idle_backlog(server: &Server, now_ms: i64) {
    let replication = &server.replication;
    let since = replication.no_replicas_since_ms.load(Ordering::Relaxed);
    if since == 0 {
        replication
            .no_replicas_since_ms
            .store(now_ms, Ordering::Relaxed);
        return;
    }
    let ttl_s = Config::get(&server.config.repl_backlog_ttl);
    if ttl_s == 0 || !replication.backlog_active() || now_ms - since <= ttl_s * 1000 {
        return;
    }
    // Under the lock, as the write path reads `backlog_active` there.
    server.keyspace.write(0, now_ms, |_| {
        if replication.replicas.count() > 0 {
            return; // One attached meanwhile.
        }
        replication.backlog_active.store(false, Ordering::Relaxed);
        replication.change_replid();
        replication.backlog.restart_at(replication.offset());
        replication.reselect();
    });
    log!(
        Notice,
        "Replication backlog freed after {ttl_s} seconds without connected replicas."
    );
}

/// Replication's part of the cron thread (Redis's `replicationCron`): a writable replica
/// expires its own keys; a master with no replica frees its backlog after `repl-backlog-ttl`;
/// one with replicas sends them a `PING` through the stream every `repl-ping-replica-period`
/// seconds, so their link stays alive and the offsets keep moving.
pub fn cron(server: &Server, now_ms: i64) {
    let replication = &server.replication;
    failover::progress(server, now_ms);
    if replication.link.is_replica() {
        // Gated as the master's active expiry is (`DEBUG SET-ACTIVE-EXPIRE 0` stops both).
        if crate::switches::DebugSwitches::is_on(&server.switches.active_expire) {
            replica::own_keys::expire(server, now_ms);
        }
        return;
    }
    if replication.own_keys.count() > 0 {
        replication.own_keys.forget_all();
    }
    if replication.replicas.count() == 0 {
        free_idle_backlog(server, now_ms);
        return;
    }
    replication.no_replicas_since_ms.store(0, Ordering::Relaxed);
    // During a failover a PING would move the offset the replicas must catch up with.
    if replication.failover.is_active() {
        return;
    }
    let period_ms = Config::get(&server.config.repl_ping_replica_period).max(1) * 1000;
    let last = replication.last_ping_ms.load(Ordering::Relaxed);
    if last == 0 {
        replication.last_ping_ms.store(now_ms, Ordering::Relaxed);
    } else if now_ms - last >= period_ms {
        replication.last_ping_ms.store(now_ms, Ordering::Relaxed);
        replication.feed(server, b"*1\r\n$4\r\nPING\r\n");
    }
}
