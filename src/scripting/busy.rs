//! The BUSY gate and SCRIPT KILL / FUNCTION KILL (Redis's `scriptInterrupt`, `scriptKill`,
//! and the `isInsideYieldingLongCommand` check of `processCommand`).
//!
//! A script runs atomically, holding the exclusive lock (`run.rs`). Single-threaded Redis
//! serves nobody else meanwhile; once the script has run for `busy-reply-threshold`
//! milliseconds it serves the commands flagged `allow-busy` (SCRIPT KILL, FUNCTION KILL,
//! SHUTDOWN NOSAVE, MULTI...) and answers the others `-BUSY`. thredis has a thread per
//! client, so [`gate`] makes the others behave that way: before the threshold a command waits
//! (on a condition variable, until the script ends or the threshold passes), after it a command
//! that is not `allow-busy` is refused. The script's hook ([`Busy::interrupted`]) sees a kill.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::run::ScriptKind;
use crate::commands::{CommandError, Ctx, Flags, Resolved};
use crate::config::Config;
use crate::protocol::Request;
use crate::server::Server;

pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// The script running now, if any.
#[derive(Default)]
pub struct Busy {
    running: Mutex<Option<Running>>,
    /// Signalled when a script ends.
    ended: Condvar,
    /// SCRIPT KILL or FUNCTION KILL asked the running script to stop.
    killed: AtomicBool,
    /// Clients waiting on `ended` (changed under `running`'s lock). A script's end wakes them
    /// only if there are some: `notify_all` is a futex syscall even with no one waiting, which
    /// was one syscall per EVALSHA.
    waiting: AtomicUsize,
}

struct Running {
    kind: ScriptKind,
    name: String,
    /// The command, kept as the one buffer it came in (a copy per argument was five
    /// allocations of each EVALSHA).
    args: Request,
    started: Instant,
    /// It called a write command: it can no longer be killed (Redis's `SCRIPT_WRITE_DIRTY`).
    wrote: bool,
    /// The slow-script warning was logged.
    warned: bool,
}

/// What FUNCTION STATS reports of the running script.
pub struct RunningScript {
    pub kind: ScriptKind,
    pub name: String,
    pub args: Vec<Vec<u8>>,
    pub duration_ms: u64,
}

/// While it lives, a script is running: dropping it ends the run and wakes the waiting clients.
pub struct RunGuard<'a> {
    busy: &'a Busy,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        let mut running = self.busy.lock();
        *running = None;
        self.busy.killed.store(false, Ordering::Relaxed);
        let anyone_waiting = self.busy.waiting.load(Ordering::Relaxed) > 0;
        drop(running);
        if anyone_waiting {
            self.busy.ended.notify_all();
        }
    }
}

impl Busy {
    fn lock(&self) -> MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks a script as running until the guard is dropped. `args` is the command that runs
    /// it (FUNCTION STATS shows it).
    pub fn enter(&self, kind: ScriptKind, name: &str, args: &Request) -> RunGuard<'_> {
        self.killed.store(false, Ordering::Relaxed);
        *self.lock() = Some(Running {
            kind,
            name: name.to_owned(),
            args: args.clone(),
            started: Instant::now(),
            wrote: false,
            warned: false,
        });
        RunGuard { busy: self }
    }

    /// The running script called a write command.
    pub fn wrote(&self) {
        if let Some(running) = self.lock().as_mut() {
            running.wrote = true;
        }
    }

    /// Called from the script's hook: whether it must stop (it was killed). Logs the
    /// slow-script warning once the threshold has passed, as Redis's `scriptInterrupt`.
    pub fn interrupted(&self, config: &Config) -> bool {
        let threshold = busy_threshold(config);
        if let Some(running) = self.lock().as_mut() {
            let elapsed = running.started.elapsed();
            if !running.warned && threshold.is_some_and(|t| elapsed >= t) {
                running.warned = true;
                crate::log!(
                    Warning,
                    "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
                    elapsed.as_millis(),
                    kill_command(running.kind),
                    running.name
                );
            }
        }
        self.killed.load(Ordering::Relaxed)
    }

    /// The running script, for FUNCTION STATS.
    pub fn running(&self) -> Option<RunningScript> {
        self.lock().as_ref().map(|running| RunningScript {
            kind: running.kind,
            name: running.name.clone(),
            args: running.args.iter().map(<[u8]>::to_vec).collect(),
            duration_ms: running.started.elapsed().as_millis() as u64,
        })
    }
}

fn kill_command(kind: ScriptKind) -> &'static str {
    match kind {
        ScriptKind::Eval => "SCRIPT KILL",
        ScriptKind::Function => "FUNCTION KILL",
    }
}

/// `busy-reply-threshold`; 0 means scripts are never interrupted.
fn busy_threshold(config: &Config) -> Option<Duration> {
    let ms = Config::get(&config.busy_reply_threshold);
    (ms > 0).then(|| Duration::from_millis(ms as u64))
}

/// Called before a client's command runs: waits while a script runs within its time limit,
/// then lets through the `allow-busy` commands and refuses the others with `-BUSY`.
pub fn gate(ctx: &Ctx, command: Resolved) -> Result<(), CommandError> {
    let busy = &ctx.server.scripting.busy;
    let mut running = busy.lock();
    loop {
        let Some(script) = running.as_ref() else {
            return Ok(());
        };
        let Some(threshold) = busy_threshold(&ctx.server.config) else {
            busy.waiting.fetch_add(1, Ordering::Relaxed);
            running = busy
                .ended
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
            busy.waiting.fetch_sub(1, Ordering::Relaxed);
            continue;
        };
        let elapsed = script.started.elapsed();
        if elapsed >= threshold {
            if command.command.flags.contains(Flags::ALLOW_BUSY) {
                return Ok(());
            }
            return Err(CommandError::coded(busy_error(script.kind)));
        }
        busy.waiting.fetch_add(1, Ordering::Relaxed);
        running = (busy.ended)
            .wait_timeout(running, threshold - elapsed)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        busy.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The `-BUSY` error while a script of `kind` runs.
fn busy_error(kind: ScriptKind) -> &'static str {
    match kind {
        ScriptKind::Eval => BUSY_EVAL,
        ScriptKind::Function => BUSY_FUNCTION,
    }
}

/// The `-BUSY` error if a script has run past `busy-reply-threshold`: the `allow-busy` commands
/// that need the data (SHUTDOWN without NOSAVE) refuse with it, as Redis's `shutdownCommand`.
pub fn timed_out(server: &Server) -> Option<CommandError> {
    let threshold = busy_threshold(&server.config)?;
    let running = server.scripting.busy.lock();
    let script = running.as_ref()?;
    (script.started.elapsed() >= threshold).then(|| CommandError::coded(busy_error(script.kind)))
}

/// `SCRIPT KILL` (`kind` Eval) and `FUNCTION KILL` (Function), with Redis's refusals.
pub fn kill(server: &Server, kind: ScriptKind) -> Result<(), CommandError> {
    let busy = &server.scripting.busy;
    let running = busy.lock();
    let Some(script) = running.as_ref() else {
        return Err(CommandError::coded(
            "NOTBUSY No scripts in execution right now.",
        ));
    };
    if script.wrote {
        return Err(CommandError::coded(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        ));
    }
    match (kind, script.kind) {
        (ScriptKind::Eval, ScriptKind::Function) | (ScriptKind::Function, ScriptKind::Eval) => {
            Err(CommandError::coded(busy_error(script.kind)))
        }
        _ => {
            busy.killed.store(true, Ordering::Relaxed);
            Ok(())
        }
    }
}

/// The running script, for FUNCTION STATS.
pub fn running(server: &Server) -> Option<RunningScript> {
    server.scripting.busy.running()
}
