//! What a key's access [`Clock`](crate::keyspace::Entry) records, by policy, and Redis's LFU
//! arithmetic (evict.c). Redis keeps one 24-bit field per object that is either the LRU clock or,
//! under an `*-lfu` policy, 16 bits of minutes (when the counter was last decremented) and an
//! 8-bit logarithmic access counter. thredis does the same in its 32-bit clock:
//! - under any other policy, seconds since the Unix epoch (what `OBJECT IDLETIME` reads);
//! - under an LFU policy, `minutes << 8 | counter`: [`LogIncr`](log_incr) on each access, with
//!   [`decayed`] halving nothing but taking one off per `lfu-decay-time` minutes idle.
//!
//! The policy and the two LFU parameters are process-wide, like Redis's `server.*` fields: a
//! clock is touched deep inside the keyspace (every lookup, every new entry), where no
//! configuration is at hand. [`follow_config`] copies them from the configuration at startup and
//! on `CONFIG SET`. Switching policies leaves the clocks as they are: their bits are then read in
//! the other meaning until keys are accessed again, as Redis warns in `OBJECT FREQ`'s error.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::config::Config;
use crate::random::Rng;

/// The counter a new key starts with (Redis's `LFU_INIT_VAL`), so it is not evicted before it
/// had a chance to be read.
pub const INIT_VAL: u8 = 5;

static LFU_SELECTED: AtomicBool = AtomicBool::new(false);
static LOG_FACTOR: AtomicU32 = AtomicU32::new(10);
static DECAY_TIME: AtomicU32 = AtomicU32::new(1);

/// The `maxmemory-policy` values whose clocks count frequency (`MAXMEMORY_FLAG_LFU`).
const LFU_POLICIES: [&str; 2] = ["volatile-lfu", "allkeys-lfu"];

/// Copies `maxmemory-policy`, `lfu-log-factor` and `lfu-decay-time` from `config`.
pub fn follow_config(config: &Config) {
    let policy = Config::get(&config.maxmemory_policy);
    let lfu = crate::config::params::MAXMEMORY_POLICIES
        .iter()
        .any(|&(name, value)| value == policy && LFU_POLICIES.contains(&name));
    LFU_SELECTED.store(lfu, Ordering::Relaxed);
    let unsigned = |field| Config::get(field).clamp(0, i64::from(u32::MAX)) as u32;
    LOG_FACTOR.store(unsigned(&config.lfu_log_factor), Ordering::Relaxed);
    DECAY_TIME.store(unsigned(&config.lfu_decay_time), Ordering::Relaxed);
}

/// Whether an LFU policy is selected (Redis's `maxmemory_policy & MAXMEMORY_FLAG_LFU`).
pub fn is_selected() -> bool {
    LFU_SELECTED.load(Ordering::Relaxed)
}

/// The clock of a key created now.
pub fn fresh_clock(now_ms: i64) -> u32 {
    if is_selected() {
        pack(minutes(now_ms), INIT_VAL)
    } else {
        seconds(now_ms)
    }
}

/// The clock after an access now (Redis's `updateLFU`, or the LRU clock).
pub fn touched_clock(clock: u32, now_ms: i64) -> u32 {
    if !is_selected() {
        return seconds(now_ms);
    }
    let now = minutes(now_ms);
    let counter = decayed(clock, now, DECAY_TIME.load(Ordering::Relaxed));
    let factor = LOG_FACTOR.load(Ordering::Relaxed);
    let counter = RNG.with(|rng| log_incr(counter, factor, unit_random(&mut rng.borrow_mut())));
    pack(now, counter)
}

/// The counter of an LFU clock, decayed to now (what `OBJECT FREQ` reports).
pub fn frequency(clock: u32, now_ms: i64) -> u8 {
    decayed(clock, minutes(now_ms), DECAY_TIME.load(Ordering::Relaxed))
}

/// An LFU clock with `counter`, as of now (`RESTORE ... FREQ`, Redis's `objectSetLRUOrLFU`).
pub fn clock_with_frequency(counter: u8, now_ms: i64) -> u32 {
    pack(minutes(now_ms), counter)
}

/// Seconds since the Unix epoch, the LRU clock.
pub fn seconds(now_ms: i64) -> u32 {
    (now_ms / 1000).clamp(0, u32::MAX as i64) as u32
}

/// Minutes since the Unix epoch, modulo 2^16 (Redis's `LFUGetTimeInMinutes`).
fn minutes(now_ms: i64) -> u16 {
    ((now_ms.max(0) / 60_000) & 0xFFFF) as u16
}

fn pack(minutes: u16, counter: u8) -> u32 {
    (u32::from(minutes) << 8) | u32::from(counter)
}

/// Minutes since `then`, on the clock that wraps every 2^16 minutes (Redis's `LFUTimeElapsed`:
/// a wrap counts as one full turn, so a key idle for 45 days looks less idle, harmlessly).
fn elapsed_minutes(then: u16, now: u16) -> u32 {
    if now >= then {
        u32::from(now - then)
    } else {
        65_535 - u32::from(then) + u32::from(now)
    }
}

/// The clock's counter less one per `decay_time` minutes since its last decrement (Redis's
/// `LFUDecrAndReturn`); a `decay_time` of 0 never decays.
fn decayed(clock: u32, now: u16, decay_time: u32) -> u8 {
    let counter = (clock & 0xFF) as u8;
    let last = ((clock >> 8) & 0xFFFF) as u16;
    let periods = elapsed_minutes(last, now)
        .checked_div(decay_time)
        .unwrap_or(0);
    counter.saturating_sub(periods.min(255) as u8)
}

/// Redis's `LFULogIncr`: the counter grows by one with probability `1 / ((counter - INIT_VAL) *
/// factor + 1)`, so it takes about a million accesses to reach 255 with the default factor 10.
/// `random` is uniform in `[0, 1]`.
fn log_incr(counter: u8, factor: u32, random: f64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(INIT_VAL));
    let probability = 1.0 / (base * f64::from(factor) + 1.0);
    if random < probability {
        counter + 1
    } else {
        counter
    }
}

thread_local! {
    /// The coin `log_incr` flips: per thread, as readers touch clocks concurrently.
    static RNG: RefCell<Rng> = RefCell::new(Rng::new());
}

fn unit_random(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_grows_by_one_below_init_val_and_rarely_after() {
        assert_eq!(log_incr(0, 10, 0.999), 1, "p = 1 below LFU_INIT_VAL");
        assert_eq!(log_incr(INIT_VAL, 10, 0.999), INIT_VAL + 1);
        // At 15 with factor 10, p = 1/101.
        assert_eq!(log_incr(15, 10, 0.5), 15);
        assert_eq!(log_incr(15, 10, 0.009), 16);
        assert_eq!(log_incr(255, 0, 0.0), 255, "saturates");
        // Factor 0: every access counts.
        assert_eq!(log_incr(100, 0, 0.999), 101);
    }

    #[test]
    fn a_million_accesses_reach_about_the_logarithm_redis_documents() {
        // redis.conf's table: factor 10, 1M hits -> 255; 1K hits -> ~10-18; 100 hits -> ~10.
        let mut rng = Rng::seeded(7);
        let mut counter = INIT_VAL;
        for _ in 0..1_000 {
            counter = log_incr(counter, 10, unit_random(&mut rng));
        }
        assert!((12..=22).contains(&counter), "1K hits gave {counter}");
        for _ in 0..1_000_000 {
            counter = log_incr(counter, 10, unit_random(&mut rng));
        }
        assert!(counter >= 120, "1M hits gave {counter}");
    }

    #[test]
    fn decay_takes_one_per_period_and_never_goes_negative() {
        let clock = pack(100, 10);
        assert_eq!(decayed(clock, 100, 1), 10);
        assert_eq!(decayed(clock, 103, 1), 7);
        assert_eq!(decayed(clock, 106, 2), 7);
        assert_eq!(decayed(clock, 200, 1), 0);
        assert_eq!(decayed(clock, 200, 0), 10, "decay time 0: no decay");
    }

    #[test]
    fn elapsed_minutes_wrap_around_sixteen_bits() {
        assert_eq!(elapsed_minutes(10, 15), 5);
        assert_eq!(elapsed_minutes(65_530, 4), 9);
        let clock = pack(65_534, 20);
        assert_eq!(decayed(clock, 1, 1), 18, "65535 - 65534 + 1 = 2 minutes");
    }

    #[test]
    fn unit_random_stays_in_the_unit_interval() {
        let mut rng = Rng::seeded(1);
        assert!((0..1000).all(|_| (0.0..1.0).contains(&unit_random(&mut rng))));
    }
}
