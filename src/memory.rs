//! Used memory, and the `maxmemory` limit with Redis's default policy, `noeviction`: once the
//! server uses more than `maxmemory` bytes, commands flagged `denyoom` (those that may grow the
//! data) are refused with `-OOM command not allowed when used memory > 'maxmemory'.`, and so is
//! everything but EXEC, DISCARD, QUIT and RESET inside MULTI (a queue grows without limit).
//! Reads, deletions and the rest still run, so a client can make room. Nothing is evicted.
//!
//! **What "used memory" means in thredis**: the process's resident set size (`/proc/self/status`),
//! as the cron thread last sampled it (at startup, then `hz` times a second). thredis
//! has no counting allocator, so Redis's `used_memory` (the bytes its allocator handed out) has no
//! exact equivalent; the resident size is the honest figure, and it includes thread stacks, the
//! code and freed memory the allocator kept. Sampling keeps the check free of syscalls: a command
//! reads one atomic. The figure may be up to one cron period old.

use std::fs;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The last sampled used memory, shared by the cron thread (which writes it) and every
/// connection (which compare it with `maxmemory`).
#[derive(Default)]
pub struct Memory {
    used: AtomicU64,
    /// The first sample, taken when the server is set up and before it loads any data: Redis's
    /// `initial_memory_usage` (`MEMORY STATS`'s `startup.allocated`), what an empty server costs.
    startup: OnceLock<u64>,
}

impl Memory {
    /// Reads the resident size now; the cron thread calls it every period.
    pub fn sample(&self) {
        let used = resident_bytes();
        self.startup.get_or_init(|| used);
        self.used.store(used, Ordering::Relaxed);
    }

    /// Used memory at the first sample (0 before it).
    pub fn startup(&self) -> u64 {
        self.startup.get().copied().unwrap_or(0)
    }

    /// Used memory in bytes, as last sampled.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Whether the server is past `maxmemory` (0 = no limit), as Redis's `performEvictions`
    /// returns `EVICT_FAIL` under `noeviction`.
    pub fn is_over(&self, maxmemory: i64) -> bool {
        maxmemory > 0 && self.used() > maxmemory as u64
    }
}

/// The process's resident memory in bytes, 0 where unknown (off Linux).
pub fn resident_bytes() -> u64 {
    proc_status_bytes("VmRSS")
}

/// The highest resident size the process has reached, 0 where unknown: the peak of used memory
/// (Redis's `stat_peak_memory`), which the kernel keeps for us. The kernel updates it lazily, so
/// it may trail a resident size read a moment before.
pub fn peak_bytes() -> u64 {
    proc_status_bytes("VmHWM")
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`), or 0 off Linux. These fields are
/// in kB whatever the page size (`statm` counts pages, whose size std cannot tell).
pub fn proc_status_bytes(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches(" kB").parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_maxmemory_is_no_limit() {
        let memory = Memory::default();
        memory.sample();
        assert!(!memory.is_over(0));
    }

    #[test]
    fn a_sampled_process_is_over_one_byte_and_under_a_terabyte() {
        let memory = Memory::default();
        memory.sample();
        assert!(
            memory.used() > 0,
            "resident size should be readable on Linux"
        );
        assert!(memory.is_over(1));
        assert!(!memory.is_over(1 << 40));
    }

    #[test]
    fn startup_is_the_first_sample() {
        let memory = Memory::default();
        assert_eq!(memory.startup(), 0);
        memory.sample();
        let startup = memory.startup();
        assert_eq!(startup, memory.used());
        let grown = std::hint::black_box(vec![1u8; 8 << 20]);
        memory.sample();
        drop(grown);
        assert_eq!(memory.startup(), startup, "later samples leave it alone");
        assert!(peak_bytes() > 0, "the peak should be readable on Linux");
    }
}
