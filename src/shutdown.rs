//! The grace period a shutdown gives lagging replicas (Redis 7's `shutdown-timeout`:
//! `prepareForShutdown`, `isReadyToShutdown`, `finishShutdown`, `abortShutdown`).
//!
//! A `SHUTDOWN` without `NOW` (or a SIGTERM) on a master whose replicas have not acknowledged
//! the whole stream does not exit at once: writes are held (as by `CLIENT PAUSE WRITE`), the
//! replicas are asked for an ACK, and the calling client blocks. The cron thread then finishes
//! the shutdown as soon as every replica has acknowledged `master_repl_offset`, or when
//! `shutdown-timeout` seconds have passed, logging each replica still behind. If that final
//! step fails (the save failed, an initial AOF is still being written), or `SHUTDOWN ABORT`
//! comes first, the grace period is cancelled: writes resume and every blocked `SHUTDOWN`
//! gets `-ERR Errors trying to SHUTDOWN. Check logs.`.
//!
//! Nothing here holds the keyspace lock: reads, INFO and `SHUTDOWN ABORT` are served while
//! the replicas catch up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::config::Config;
use crate::pause::Holder;
use crate::persistence::SaveOnExit;
use crate::server::Server;
use crate::{clock, log};

/// The shutdown under way, if any, and the clients waiting for its outcome.
#[derive(Default)]
pub struct ShutdownWait {
    grace: Mutex<Option<Grace>>,
    /// Notified when a grace period is cancelled (the blocked clients then get their error).
    cancelled: Condvar,
    /// `SHUTDOWN` clients blocked now (counted in INFO's `blocked_clients`).
    blocked: AtomicUsize,
}

/// A shutdown waiting for its replicas: what it will do once they caught up.
#[derive(Debug, Clone, Copy)]
struct Grace {
    deadline_ms: i64,
    save: SaveOnExit,
    force: bool,
}

impl ShutdownWait {
    fn grace(&self) -> MutexGuard<'_, Option<Grace>> {
        // Holds a plain value, assigned whole.
        self.grace.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a shutdown waits for replicas now (Redis's `isShutdownInitiated`).
    pub fn is_initiated(&self) -> bool {
        self.grace().is_some()
    }

    /// INFO's `shutdown_in_milliseconds`: how long the replicas still have, if a shutdown waits.
    pub fn remaining_ms(&self, now_ms: i64) -> Option<i64> {
        self.grace().map(|grace| grace.deadline_ms - now_ms)
    }

    /// `SHUTDOWN` clients blocked until the shutdown ends.
    pub fn blocked_clients(&self) -> usize {
        self.blocked.load(Ordering::Relaxed)
    }

    /// A `SHUTDOWN` client counts as blocked from before it asks (as Redis's `shutdownCommand`
    /// blocks the client before `prepareForShutdown`) until the guard is dropped.
    pub fn block(&self) -> Blocked<'_> {
        self.blocked.fetch_add(1, Ordering::Relaxed);
        Blocked(self)
    }
}

/// A `SHUTDOWN` client waiting for the shutdown's outcome.
pub struct Blocked<'a>(&'a ShutdownWait);

impl Blocked<'_> {
    /// Waits until the grace period is cancelled (if the shutdown succeeds, the process ends
    /// meanwhile).
    pub fn wait_for_outcome(&self) {
        let grace = self.0.grace();
        let _cancelled = (self.0.cancelled.wait_while(grace, |grace| grace.is_some()))
            .unwrap_or_else(PoisonError::into_inner);
    }
}

impl Drop for Blocked<'_> {
    fn drop(&mut self) {
        self.0.blocked.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Starts a grace period if a replica lags and `shutdown-timeout` allows one; false if the
/// shutdown should go on at once.
pub fn begin(server: &Server, save: SaveOnExit, force: bool) -> bool {
    let timeout_s = Config::get(&server.config.shutdown_timeout);
    if timeout_s == 0 || replicas_in_sync(server) {
        return false;
    }
    let now_ms = clock::now_ms();
    *server.shutdown_wait.grace() = Some(Grace {
        deadline_ms: now_ms + timeout_s * 1000,
        save,
        force,
    });
    // Paused writes would hold the GETACK back too (Redis asks only when nothing is paused).
    if server.pause.scope(now_ms) == crate::pause::Scope::Off {
        server.replication.request_acks(server);
    }
    server.pause.hold(server, Holder::Shutdown, true);
    log!(Notice, "Waiting for replicas before shutting down.");
    true
}

/// Run by the cron thread: finishes a waiting shutdown once every replica caught up or its
/// time is up. Returns only if there was none, or it failed (and was cancelled).
pub fn finish_when_ready(server: &Server, now_ms: i64) {
    let Some(grace) = *server.shutdown_wait.grace() else {
        return;
    };
    if now_ms < grace.deadline_ms && !replicas_in_sync(server) {
        return;
    }
    server.finish_shutdown(grace.save, grace.force);
    cancel(server);
}

/// `SHUTDOWN ABORT` of a waiting shutdown: false if none waits.
pub fn abort(server: &Server) -> bool {
    if !server.shutdown_wait.is_initiated() {
        return false;
    }
    cancel(server);
    true
}

/// Ends the grace period without exiting: writes resume, blocked `SHUTDOWN`s get their error.
fn cancel(server: &Server) {
    let wait = &server.shutdown_wait;
    *wait.grace() = None;
    wait.cancelled.notify_all();
    server.pause.hold(server, Holder::Shutdown, false);
}

/// Every replica acknowledged the whole stream (none attached counts as in sync).
fn replicas_in_sync(server: &Server) -> bool {
    let offset = server.replication.offset();
    (server.replication.replicas.all().iter()).all(|replica| replica.ack_offset == offset)
}

/// The replicas' state as the shutdown goes ahead: a line per replica still behind, then how
/// many are in sync (Redis's `finishShutdown`).
pub fn log_replicas(server: &Server) {
    let replicas = server.replication.replicas.all();
    if replicas.is_empty() {
        return;
    }
    let offset = server.replication.offset();
    let now_ms = clock::now_ms();
    let mut lagging = 0;
    for replica in &replicas {
        if replica.ack_offset == offset {
            continue;
        }
        lagging += 1;
        let online = replica.state == crate::replication::replicas::SyncState::Online;
        let lag_s = if online {
            (now_ms - replica.ack_time_ms) / 1000
        } else {
            0
        };
        log!(
            Warning,
            "Lagging replica {}:{} reported offset {} behind master, lag={lag_s}, state={}.",
            replica.ip,
            replica.listening_port,
            offset - replica.ack_offset,
            replica.state.name()
        );
    }
    log!(
        Notice,
        "{} of {} replicas are in sync when shutting down.",
        replicas.len() - lagging,
        replicas.len()
    );
}
