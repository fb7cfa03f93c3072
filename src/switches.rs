//! The switches `DEBUG` flips so that a test suite can steer the running server into the
//! states it wants to observe (Redis keeps these as plain fields of its `server` struct). Each
//! is read where the behaviour it changes lives: active expiry and the paused cron by the cron
//! thread, and checksum skipping by the RDB loader's callers. (`DEBUG AOF-FLUSH-SLEEP` is the AOF
//! writer's own: `Aof::flush_sleep_us`.)

use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug)]
pub struct DebugSwitches {
    /// `DEBUG SET-ACTIVE-EXPIRE`: whether the cron thread reclaims expired keys.
    pub active_expire: AtomicBool,
    /// `DEBUG PAUSE-CRON`: the cron thread does nothing at all (no expiry, no saves, no
    /// shutdown a signal asked for), so a test can act before it would.
    pub cron_paused: AtomicBool,
    /// `DEBUG SET-SKIP-CHECKSUM-VALIDATION`: RDB files load without checking their CRC.
    pub skip_checksum_validation: AtomicBool,
    /// `DEBUG SET-DISABLE-DENY-SCRIPTS`: scripts may call `noscript` commands (a testing hack).
    pub script_deny_disabled: AtomicBool,
}

impl Default for DebugSwitches {
    fn default() -> DebugSwitches {
        DebugSwitches {
            active_expire: AtomicBool::new(true),
            cron_paused: AtomicBool::new(false),
            skip_checksum_validation: AtomicBool::new(false),
            script_deny_disabled: AtomicBool::new(false),
        }
    }
}

impl DebugSwitches {
    pub fn is_on(switch: &AtomicBool) -> bool {
        switch.load(Ordering::Relaxed)
    }

    pub fn flip(switch: &AtomicBool, on: bool) {
        switch.store(on, Ordering::Relaxed);
    }
}
