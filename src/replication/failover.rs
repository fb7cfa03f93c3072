//! `FAILOVER` (Redis 7.0's coordinated failover: `failoverCommand`, `updateFailoverStatus`):
//! a master hands its role to one of its replicas without losing a write.
//!
//! 1. Writes are held ([`crate::pause::Pause::hold`]), so the stream stops growing.
//! 2. *waiting-for-sync*: once the target (or, with no `TO`, any replica) has acknowledged the
//!    whole stream, the failover goes on; past `TIMEOUT` it is aborted, or with `FORCE` it goes
//!    on anyway.
//! 3. *failover-in-progress*: this server becomes a replica of the target, whose `PSYNC` carries
//!    `FAILOVER`: the target turns master first (`commands/replication.rs::psync`), then
//!    accepts our partial resync. Once it has answered, the failover is over and the held
//!    writes run, now refused with `-READONLY`. If it refuses, we are a master again.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::replicas::{Replica, SyncState};
use crate::commands::CommandError;
use crate::pause::Holder;
use crate::server::Server;
use crate::{clock, log};

/// The failover under way, if any.
#[derive(Default)]
pub struct Failover {
    plan: Mutex<Option<Plan>>,
}

#[derive(Debug, Clone)]
struct Plan {
    /// The replica to hand over to; with no `TO`, chosen once one has caught up.
    target: Option<(String, u16)>,
    /// Unix ms after which the wait for the target ends (0: no `TIMEOUT`).
    end_ms: i64,
    force: bool,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    WaitForSync,
    InProgress,
}

/// What `FAILOVER` asked for.
#[derive(Debug, Default)]
pub struct Request {
    pub target: Option<(String, u16)>,
    pub timeout_ms: i64,
    pub force: bool,
}

impl Failover {
    fn lock(&self) -> MutexGuard<'_, Option<Plan>> {
        // A plain value, replaced whole.
        self.plan.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// INFO's `master_failover_state`.
    pub fn state_name(&self) -> &'static str {
        match self.lock().as_ref().map(|plan| plan.phase) {
            None => "no-failover",
            Some(Phase::WaitForSync) => "waiting-for-sync",
            Some(Phase::InProgress) => "failover-in-progress",
        }
    }

    pub fn is_active(&self) -> bool {
        self.lock().is_some()
    }

    /// Whether our next `PSYNC` is the one that hands the role over (`PSYNC ... FAILOVER`).
    pub fn in_progress(&self) -> bool {
        self.lock()
            .as_ref()
            .is_some_and(|plan| plan.phase == Phase::InProgress)
    }
}

/// `FAILOVER [TO host port [FORCE]] [TIMEOUT ms]`, its checks in Redis's order, then step 1.
pub fn start(server: &Server, request: Request) -> Result<(), CommandError> {
    let replication = &server.replication;
    let failover = &replication.failover;
    let mut plan = failover.lock();
    if plan.is_some() {
        return Err(CommandError::err("FAILOVER already in progress."));
    }
    if replication.link.is_replica() {
        return Err(CommandError::err(
            "FAILOVER is not valid when server is a replica.",
        ));
    }
    if replication.replicas.count() == 0 {
        return Err(CommandError::err("FAILOVER requires connected replicas."));
    }
    if request.force && (request.timeout_ms == 0 || request.target.is_none()) {
        return Err(CommandError::err(
            "FAILOVER with force option requires both a timeout and target HOST and IP.",
        ));
    }
    if let Some((host, port)) = &request.target {
        let Some(replica) = find(server, host, *port) else {
            return Err(CommandError::err(
                "FAILOVER target HOST and PORT is not a replica.",
            ));
        };
        if replica.state != SyncState::Online {
            return Err(CommandError::err("FAILOVER target replica is not online."));
        }
        log!(Notice, "FAILOVER requested to {host}:{port}.");
    } else {
        log!(Notice, "FAILOVER requested to any replica.");
    }
    *plan = Some(Plan {
        target: request.target,
        end_ms: match request.timeout_ms {
            0 => 0,
            ms => clock::now_ms() + ms,
        },
        force: request.force,
        phase: Phase::WaitForSync,
    });
    drop(plan);
    server.pause.hold(server, Holder::Failover, true);
    progress(server, clock::now_ms());
    Ok(())
}

/// The attached replica listening at `host:port` (Redis's `findReplica`).
fn find(server: &Server, host: &str, port: u16) -> Option<Replica> {
    (server.replication.replicas.all().into_iter())
        .find(|replica| replica.ip.eq_ignore_ascii_case(host) && replica.listening_port == port)
}

/// Step 2, on each ACK and each cron tick (Redis's `updateFailoverStatus`).
pub fn progress(server: &Server, now_ms: i64) {
    let replication = &server.replication;
    let mut guard = replication.failover.lock();
    let Some(plan) = guard
        .as_mut()
        .filter(|plan| plan.phase == Phase::WaitForSync)
    else {
        return;
    };
    if plan.end_ms != 0 && plan.end_ms <= now_ms {
        if !plan.force {
            drop(guard);
            abort(server, "Replica never caught up before timeout", false);
            return;
        }
        let (host, port) = plan.target.clone().unwrap_or_default();
        log!(
            Notice,
            "FAILOVER to {host}:{port} time out exceeded, failing over."
        );
        plan.phase = Phase::InProgress;
        drop(guard);
        super::replica::set_master(server, &host, port);
        return;
    }
    let offset = replication.offset();
    let caught_up = match &plan.target {
        Some((host, port)) => find(server, host, *port).filter(|r| r.ack_offset == offset),
        None => (replication.replicas.all().into_iter()).find(|r| r.ack_offset == offset),
    };
    let Some(replica) = caught_up else {
        return;
    };
    let (host, port) = (replica.ip, replica.listening_port);
    log!(
        Notice,
        "Failover target {host}:{port} is synced, failing over."
    );
    plan.target = Some((host.clone(), port));
    plan.phase = Phase::InProgress;
    drop(guard);
    super::replica::set_master(server, &host, port);
}

/// Step 3's end: the target answered our `PSYNC ... FAILOVER` (`accepted`), or refused it, or
/// could not be reached.
pub fn psync_answered(server: &Server, accepted: bool) {
    if !server.replication.failover.in_progress() {
        return;
    }
    if accepted {
        clear(server);
    } else {
        abort(server, "Failover target rejected psync request", false);
    }
}

/// `FAILOVER ABORT`, a timeout, a refusal (Redis's `abortFailover`): back to a plain master.
/// `holding_lock`: the caller holds the keyspace's exclusive lock (`EXEC`).
pub fn abort(server: &Server, reason: &str, holding_lock: bool) {
    let Some(plan) = server.replication.failover.lock().clone() else {
        return;
    };
    match &plan.target {
        Some((host, port)) => log!(Notice, "FAILOVER to {host}:{port} aborted: {reason}"),
        None => log!(Notice, "FAILOVER to any replica aborted: {reason}"),
    }
    if plan.phase == Phase::InProgress {
        super::replica::unset_master(server, holding_lock);
    }
    clear(server);
}

fn clear(server: &Server) {
    *server.replication.failover.lock() = None;
    server.pause.hold(server, Holder::Failover, false);
}
