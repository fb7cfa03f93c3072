//! The replicas attached to this server: who they are (address, `REPLCONF listening-port`),
//! where they are in their sync, and how far they acknowledged the stream (`REPLCONF ACK`).
//! INFO's `slaveN` lines, ROLE, `WAIT` and `min-replicas-to-write` read it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::clock;

/// Where a replica is in its synchronization (Redis's `SLAVE_STATE_*`, as INFO names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// The snapshot is being produced (`wait_bgsave`).
    WaitBgsave,
    /// A diskless snapshot is being streamed to it: Redis's forked child is still writing it,
    /// so INFO shows `wait_bgsave` too.
    Streaming,
    /// The RDB payload is being sent (`send_bulk`).
    SendBulk,
    /// Streaming commands (`online`).
    Online,
}

impl SyncState {
    pub fn name(self) -> &'static str {
        match self {
            SyncState::WaitBgsave | SyncState::Streaming => "wait_bgsave",
            SyncState::SendBulk => "send_bulk",
            SyncState::Online => "online",
        }
    }
}

/// One attached replica, as the registry shows it.
#[derive(Debug, Clone)]
pub struct Replica {
    /// The client id of the connection that became this replica.
    pub client_id: u64,
    pub ip: String,
    /// What the replica announced with `REPLCONF listening-port` (0 if it did not).
    pub listening_port: u16,
    pub state: SyncState,
    /// The offset of its last `REPLCONF ACK`.
    pub ack_offset: i64,
    /// When that ACK arrived (ms since the epoch), for INFO's `lag`.
    pub ack_time_ms: i64,
    /// How many ACKs it sent (a diskless sync streams once one came after the snapshot).
    pub acks: u64,
}

/// The registry of attached replicas.
#[derive(Default)]
pub struct Replicas {
    list: Mutex<Vec<Replica>>,
    /// Notified on every ACK and every change of the list, for `WAIT`.
    acked: Condvar,
    /// Snapshots being written for replicas now: Redis forks a child for them, which INFO's
    /// `rdb_bgsave_in_progress` counts.
    snapshots: AtomicUsize,
    /// Diskless syncs started so far: a replica waiting out `repl-diskless-sync-delay` starts
    /// when another one does, as Redis serves every waiting replica from one child.
    diskless_starts: AtomicU64,
}

/// A snapshot being written for a replica, counted until dropped.
pub struct SnapshotInProgress<'a>(&'a AtomicUsize);

impl Drop for SnapshotInProgress<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Replicas {
    fn list(&self) -> MutexGuard<'_, Vec<Replica>> {
        // Plain records, each update a single statement.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a replica that asked to sync.
    pub fn attach(&self, client_id: u64, ip: String, listening_port: u16) {
        let mut list = self.list();
        list.retain(|replica| replica.client_id != client_id);
        list.push(Replica {
            client_id,
            ip,
            listening_port,
            state: SyncState::WaitBgsave,
            ack_offset: 0,
            ack_time_ms: clock::now_ms(),
            acks: 0,
        });
        drop(list);
        self.acked.notify_all();
    }

    /// Forgets a replica whose connection ended.
    pub fn detach(&self, client_id: u64) {
        self.list().retain(|replica| replica.client_id != client_id);
        self.acked.notify_all();
    }

    /// A replica going online counts as having just acknowledged (Redis's
    /// `replicaPutOnline` sets `repl_ack_time`): its ACK timeout starts now.
    pub fn set_state(&self, client_id: u64, state: SyncState) {
        self.update(client_id, |replica| {
            replica.state = state;
            if state == SyncState::Online {
                replica.ack_time_ms = clock::now_ms();
            }
        });
    }

    /// When the replica last acknowledged (ms since the epoch), if it is attached.
    pub fn ack_time_ms(&self, client_id: u64) -> Option<i64> {
        self.list()
            .iter()
            .find(|replica| replica.client_id == client_id)
            .map(|replica| replica.ack_time_ms)
    }

    /// How many ACKs the replica sent, if it is attached.
    pub fn acks(&self, client_id: u64) -> Option<u64> {
        self.list()
            .iter()
            .find(|replica| replica.client_id == client_id)
            .map(|replica| replica.acks)
    }

    /// `REPLCONF ACK <offset>` from a replica.
    pub fn ack(&self, client_id: u64, offset: i64) {
        self.update(client_id, |replica| {
            // An ACK never moves back (Redis's `replconfCommand` keeps the greater one).
            replica.ack_offset = replica.ack_offset.max(offset);
            replica.ack_time_ms = clock::now_ms();
            replica.acks += 1;
        });
        self.acked.notify_all();
    }

    fn update(&self, client_id: u64, change: impl FnOnce(&mut Replica)) {
        if let Some(replica) = self
            .list()
            .iter_mut()
            .find(|replica| replica.client_id == client_id)
        {
            change(replica);
        }
    }

    /// The replicas, in the order they attached.
    pub fn all(&self) -> Vec<Replica> {
        self.list().clone()
    }

    pub fn count(&self) -> usize {
        self.list().len()
    }

    /// How many replicas acknowledged at least `offset` (Redis's `replicationCountAcksByOffset`).
    pub fn acked_at_least(&self, offset: i64) -> usize {
        self.list()
            .iter()
            .filter(|replica| replica.state == SyncState::Online && replica.ack_offset >= offset)
            .count()
    }

    /// Online replicas whose last ACK is at most `max_lag_seconds` old: what
    /// `min-replicas-to-write` counts (Redis's `refreshGoodSlavesCount`).
    pub fn good(&self, max_lag_seconds: i64) -> usize {
        let now = clock::now_ms();
        self.list()
            .iter()
            .filter(|replica| {
                replica.state == SyncState::Online
                    && (now - replica.ack_time_ms) / 1000 <= max_lag_seconds
            })
            .count()
    }

    /// Waits up to `timeout` for `wanted` replicas to acknowledge `offset`; returns how many did.
    pub fn wait_for_acks(&self, offset: i64, wanted: usize, timeout: Duration) -> usize {
        let count = |list: &Vec<Replica>| {
            list.iter()
                .filter(|r| r.state == SyncState::Online && r.ack_offset >= offset)
                .count()
        };
        let list = self.list();
        let (list, _) = self
            .acked
            .wait_timeout_while(list, timeout, |list| count(list) < wanted)
            .unwrap_or_else(PoisonError::into_inner);
        count(&list)
    }

    /// A snapshot for a replica starts; it counts while the guard lives.
    pub fn snapshot_started(&self) -> SnapshotInProgress<'_> {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
        SnapshotInProgress(&self.snapshots)
    }

    /// Whether a snapshot is being written for some replica.
    pub fn snapshot_in_progress(&self) -> bool {
        self.snapshots.load(Ordering::Relaxed) > 0
    }

    /// How many diskless syncs have started (see `diskless_starts`).
    pub fn diskless_starts(&self) -> u64 {
        self.diskless_starts.load(Ordering::Relaxed)
    }

    /// A diskless sync starts: the replicas still waiting for theirs start too.
    pub fn diskless_started(&self) {
        self.diskless_starts.fetch_add(1, Ordering::Relaxed);
    }

    /// Wakes every `WAIT` (its client is being unblocked or killed).
    pub fn wake_waiters(&self) {
        self.acked.notify_all();
    }
}
/// Disconnects every replica we feed (Redis's `disconnectSlaves`): our history changed (a
/// promotion, a full sync from our own master), and they must ask again to learn it. They
/// reconnect, and a partial resync with the previous ID is still possible.
pub fn disconnect_all(server: &crate::server::Server) {
    for client in server.clients.all() {
        if client.modes.is_replica() {
            client.kill();
        }
    }
}
