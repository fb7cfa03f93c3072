//! `CLIENT PAUSE` (Redis's `pauseClients` and the postponing in `processCommand`): for a while,
//! every command (`ALL`) or only those that may change the data or reach replicas (`WRITE`:
//! write commands, `may_replicate` ones such as PUBLISH and PFCOUNT, and an EXEC that queued
//! any) waits before it runs, unreplied, until `CLIENT UNPAUSE` or the timeout. Expiry pauses
//! too, so the data stands still: reads see expired keys as gone but nothing deletes them.
//!
//! A postponed client waits the way blocked clients do (`blocking.rs`): registered on no key,
//! with no timeout, and the pause's end as the end of its wait. Its connection then runs the
//! command again from the start, so it sees the server as it is then (paused again, if a new
//! pause began). When
//! `CLIENT UNPAUSE` ends the pause the held clients run strictly in the order they were held:
//! UNPAUSE wakes the first, and each, once its command has run, wakes the next
//! ([`Pause::release_next`]), so no two race for the keyspace. Clients in MONITOR mode, which
//! Redis flags as replicas, are never paused.
//!
//! `FAILOVER`, and a shutdown waiting for its replicas, hold writes the same way for as long as
//! they run ([`Pause::hold`]): Redis's `PAUSE_DURING_FAILOVER` and `PAUSE_DURING_SHUTDOWN`.
//!
//! Zero cost unpaused: the check is two relaxed loads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::blocking::{self, Blocked};
use crate::clock;
use crate::commands::{CommandResult, Ctx, Flags, Resolved, transactions};
use crate::keyspace::Writer;
use crate::protocol::{Reply, Request};
use crate::server::Server;

/// What a pause holds back, weakest first (Redis's `pause_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Off = 0,
    Write = 1,
    All = 2,
}

impl Scope {
    fn from_u8(value: u8) -> Scope {
        match value {
            1 => Scope::Write,
            2 => Scope::All,
            _ => Scope::Off,
        }
    }
}

/// What holds writes besides `CLIENT PAUSE` (a bit each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Failover = 1,
    Shutdown = 2,
}

#[derive(Default)]
pub struct Pause {
    scope: AtomicU8,
    /// Unix time in milliseconds when the pause ends.
    end_ms: AtomicI64,
    /// The [`Holder`]s holding writes now (a bit each), whatever `CLIENT PAUSE` and `CLIENT
    /// UNPAUSE` do meanwhile.
    holders: AtomicU8,
    /// Postponed clients, in the order they were postponed.
    postponed: Mutex<VecDeque<u64>>,
}

impl Pause {
    /// The pause in force at `now_ms`, if any.
    pub fn scope(&self, now_ms: i64) -> Scope {
        let held = match self.holders.load(Ordering::Relaxed) {
            0 => Scope::Off,
            _ => Scope::Write,
        };
        let scope = Scope::from_u8(self.scope.load(Ordering::Relaxed));
        if scope == Scope::Off || self.end_ms.load(Ordering::Relaxed) <= now_ms {
            return held;
        }
        scope.max(held)
    }

    /// `holder` starts (`true`) or stops holding writes: they are held, or released unless
    /// another holder or a `CLIENT PAUSE` still holds them.
    pub fn hold(&self, server: &Server, holder: Holder, hold: bool) {
        let bit = holder as u8;
        if hold {
            self.holders.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.holders.fetch_and(!bit, Ordering::Relaxed);
            self.release_next(server);
        }
    }

    /// Whether client `id` waits for a pause to end (its command has not started).
    pub fn is_postponed(&self, id: u64) -> bool {
        self.lock().contains(&id)
    }

    /// How long a postponed client may wait at most before it looks again: until the client
    /// pause ends, or (a holder holds, which ends when it ends) a long while.
    fn wait_ms(&self, now_ms: i64) -> i64 {
        const LONG_WHILE_MS: i64 = 3_600_000;
        let until_end = self.end_ms.load(Ordering::Relaxed) - now_ms;
        match self.holders.load(Ordering::Relaxed) {
            0 => until_end,
            _ => until_end.max(LONG_WHILE_MS),
        }
        .clamp(1, LONG_WHILE_MS)
    }

    /// Whether expiry waits (during any pause, as Redis's `checkClientPauseTimeoutAndReturnIfPaused`).
    pub fn holds_expiry(&self, now_ms: i64) -> bool {
        self.scope(now_ms) != Scope::Off
    }

    /// `CLIENT PAUSE`: a pause already in force keeps the later end and the stronger scope.
    pub fn start(&self, scope: Scope, end_ms: i64, now_ms: i64) {
        let current = self.scope(now_ms);
        if current == Scope::Off {
            self.end_ms.store(end_ms, Ordering::Relaxed);
            self.scope.store(scope as u8, Ordering::Relaxed);
            return;
        }
        self.end_ms.fetch_max(end_ms, Ordering::Relaxed);
        self.scope
            .store(current.max(scope) as u8, Ordering::Relaxed);
    }

    /// `CLIENT UNPAUSE`: ends the pause and wakes the first postponed client.
    pub fn end(&self, server: &Server) {
        self.scope.store(Scope::Off as u8, Ordering::Relaxed);
        self.release_next(server);
    }

    /// Wakes the next postponed client still waiting, unless a pause is in force again (it
    /// then waits for that one's end). Called by UNPAUSE, and by each released client once its
    /// command ran or its connection ended.
    pub fn release_next(&self, server: &Server) {
        if self.scope(clock::now_ms()) != Scope::Off {
            return;
        }
        loop {
            let Some(id) = self.lock().pop_front() else {
                return;
            };
            // A client its deadline woke already is not waiting: on to the next.
            if blocking::complete(server, id, Vec::new()) {
                return;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<u64>> {
        self.postponed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether the pause in force holds `resolved` back for this client (Redis's test in
/// `processCommand`).
pub fn holds(ctx: &Ctx, resolved: Resolved, request: &Request) -> bool {
    let pause = &ctx.server.pause;
    let scope = pause.scope(ctx.now_ms);
    match scope {
        Scope::Off => false,
        _ if ctx.session.info.modes.is_monitor() => false,
        Scope::All => true,
        Scope::Write => may_replicate(ctx, resolved, request),
    }
}

/// A write, a `may_replicate` command, or an EXEC that queued one. A script that declares
/// flags is judged by them instead (Redis's `scriptFlagsToCmdFlags`): `no-writes` runs.
fn may_replicate(ctx: &Ctx, resolved: Resolved, request: &Request) -> bool {
    if let Some(flags) = crate::scripting::declared::declared_flags(ctx.server, resolved, request) {
        return !flags.contains(crate::scripting::flags::ScriptFlags::NO_WRITES);
    }
    let replicates =
        |r: &Resolved| r.command.is_write() || r.command.flags.contains(Flags::MAY_REPLICATE);
    replicates(&resolved) || transactions::exec_runs_any(ctx.session, resolved, replicates)
}

/// Holds the client's command until the pause ends: it waits as a blocked client does, and its
/// connection runs the command again once woken (the session's `postponed`).
pub fn postpone(ctx: &mut Ctx, request: &Request) -> CommandResult {
    let server = ctx.server;
    let remaining_ms = server.pause.wait_ms(ctx.now_ms);
    let deadline = Instant::now() + Duration::from_millis(remaining_ms as u64);
    blocking::block(ctx, request, Vec::new(), None, Box::new(Postponed))?;
    ctx.session.blocked = ctx.session.blocked.take().map(|wait| wait.until(deadline));
    let id = ctx.session.info.id;
    {
        let mut postponed = server.pause.lock();
        if !postponed.contains(&id) {
            postponed.push_back(id);
        }
    }
    ctx.session.postponed = true;
    // An UNPAUSE since the check found nobody to wake yet: wake the first held client now.
    if server.pause.scope(clock::now_ms()) == Scope::Off {
        server.pause.release_next(server);
    }
    Ok(())
}

/// A postponed command as the blocking registry holds it: it waits on no key, and its wait
/// ends with no reply (the command itself replies when it runs again).
struct Postponed;

impl Blocked for Postponed {
    fn serve(&mut self, _: &[u8], _: &mut Writer, _: &mut Reply) -> bool {
        false
    }

    fn timed_out(&self, _: &mut Reply) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_keeps_the_later_end_and_the_stronger_scope() {
        let pause = Pause::default();
        assert_eq!(pause.scope(0), Scope::Off);
        pause.start(Scope::All, 1000, 0);
        pause.start(Scope::Write, 500, 0);
        assert_eq!(pause.scope(999), Scope::All);
        assert_eq!(pause.scope(1000), Scope::Off, "ended at its time");
        assert!(!pause.holds_expiry(1000));
        pause.start(Scope::Write, 3000, 2000);
        assert_eq!(
            pause.scope(2500),
            Scope::Write,
            "a new pause once the last ended"
        );
        assert!(pause.holds_expiry(2500));
    }
}
