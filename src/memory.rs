//! Used memory and the `maxmemory` limit. Beside it: `allocator.rs` (the count behind
//! `used_memory`), `eviction.rs` (what happens past the limit, per `maxmemory-policy`) and
//! `lfu.rs` (what a key's access clock records, for the LRU and LFU policies).
//!
//! **What "used memory" means in thredis**: what Redis means, the bytes the allocator has handed
//! out and not taken back (`zmalloc_used_memory`), counted by [`allocator::CountingAllocator`]:
//! every heap byte, the data's and the buffers' alike (see `allocator.rs` for the list). Where
//! that allocator is not the global one (the library's own unit tests), the figure falls back to
//! the process's resident set size as the cron thread last sampled it (`hz` times a second).
//!
//! **What eviction compares with `maxmemory`**: used memory less what Redis leaves out
//! (`freeMemoryGetNotCountedMemory`): the AOF buffer, journal bytes appended but not yet written,
//! which the DELs of an eviction grow, so counting it would feed eviction with its own output.
//! Redis also leaves out replica output buffers; thredis has no replicas.
//!
//! Past the limit, commands flagged `denyoom` (those that may grow the data) are refused with
//! `-OOM command not allowed when used memory > 'maxmemory'.` when eviction cannot make room, and
//! so is everything but EXEC, DISCARD, QUIT and RESET inside MULTI (a queue grows without limit).

pub mod allocator;
pub mod eviction;
pub mod lfu;

use std::fs;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::persistence::aof::AofState;
use crate::server::Server;

/// Used memory as the server tracks it, shared by the cron thread (which samples the fallback
/// figure and the peak) and every connection (which compare it with `maxmemory`).
#[derive(Default)]
pub struct Memory {
    /// The resident size last sampled: used memory when the allocator does not count.
    sampled_rss: AtomicU64,
    /// The highest used memory seen (Redis's `stat_peak_memory`), raised by each sample and
    /// each report.
    peak: AtomicU64,
    /// The first sample, taken when the server is set up and before it loads any data: Redis's
    /// `initial_memory_usage` (`MEMORY STATS`'s `startup.allocated`), what an empty server costs.
    startup: OnceLock<u64>,
    /// Eviction's candidates and credit, kept from one eviction to the next.
    pub(crate) evictor: eviction::Evictor,
}

impl Memory {
    /// Takes the periodic figures; the cron thread calls it every period (and so publishes what
    /// it allocated and freed, evictions included, see [`allocator::publish_pending`]).
    pub fn sample(&self) {
        allocator::publish_pending();
        if allocator::allocated().is_none() {
            self.sampled_rss.store(resident_bytes(), Ordering::Relaxed);
        }
        let used = self.used();
        self.startup.get_or_init(|| used);
        self.peak.fetch_max(used, Ordering::Relaxed);
    }

    /// Used memory at the first sample (0 before it).
    pub fn startup(&self) -> u64 {
        self.startup.get().copied().unwrap_or(0)
    }

    /// Used memory in bytes: the allocator's count now (exact for this thread's own
    /// allocations), or the last resident-size sample.
    pub fn used(&self) -> u64 {
        allocator::allocated().unwrap_or_else(|| self.sampled_rss.load(Ordering::Relaxed))
    }

    /// The peak of used memory, raised to the present figure as Redis raises it before reporting.
    pub fn peak(&self) -> u64 {
        let used = self.used();
        self.peak.fetch_max(used, Ordering::Relaxed).max(used)
    }

    /// Whether used memory is counted by the allocator (rather than sampled from the RSS).
    pub fn is_counted(&self) -> bool {
        allocator::allocated().is_some()
    }
}

/// What eviction leaves out of used memory (Redis's `freeMemoryGetNotCountedMemory`, INFO's
/// `mem_not_counted_for_evict`): the AOF buffer, while the AOF is on.
pub fn not_counted_for_eviction(server: &Server) -> u64 {
    let aof = &server.persistence.aof;
    if aof.state() == AofState::Off {
        0
    } else {
        aof.pending()
    }
}

/// Used memory as eviction compares it with `maxmemory`.
pub fn used_for_eviction(server: &Server) -> u64 {
    server
        .memory
        .used()
        .saturating_sub(not_counted_for_eviction(server))
}

/// The process's resident memory in bytes, 0 where unknown (off Linux).
pub fn resident_bytes() -> u64 {
    proc_status_bytes("VmRSS")
}

/// The highest resident size the process has reached, 0 where unknown, which the kernel keeps
/// for us. The kernel updates it lazily, so it may trail a resident size read a moment before.
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
    fn without_the_counting_allocator_used_memory_is_the_sampled_rss() {
        let memory = Memory::default();
        assert!(!memory.is_counted(), "the unit tests do not register it");
        memory.sample();
        assert!(
            memory.used() > 0,
            "resident size should be readable on Linux"
        );
        assert!(memory.used() < 1 << 40);
    }

    #[test]
    fn startup_is_the_first_sample_and_the_peak_only_rises() {
        let memory = Memory::default();
        assert_eq!(memory.startup(), 0);
        memory.sample();
        let startup = memory.startup();
        assert_eq!(startup, memory.used());
        let grown = std::hint::black_box(vec![1u8; 8 << 20]);
        memory.sample();
        let peak = memory.peak();
        drop(grown);
        memory.sample();
        assert_eq!(memory.startup(), startup, "later samples leave it alone");
        assert!(memory.peak() >= peak);
        assert!(peak_bytes() > 0, "the peak should be readable on Linux");
    }
}
