//! Eviction: making room under `maxmemory` by deleting keys, as Redis's `performEvictions`
//! (evict.c) does before each command. The `maxmemory-policy` says which keys may go (all of
//! them, or only those with a time to live: `volatile-*`) and which go first:
//! - `*-lru`: the longest idle; `*-lfu`: the least frequently read (`memory::lfu`);
//!   `volatile-ttl`: the nearest to expiring. These sample `maxmemory-samples` keys from every
//!   database into a [`Pool`] of the 16 best candidates seen so far, and evict the best of the
//!   pool: Redis's approximation of the true order, which would cost a sorted index per key.
//! - `*-random`: any sampled key, visiting the databases in turn.
//! - `noeviction`: nothing goes; commands that may grow the data are refused.
//!
//! Keys are evicted one by one until they have freed the excess of used memory (less the AOF
//! buffer, see `crate::memory`) over the limit, nothing is left to evict, or the time
//! `maxmemory-eviction-tenacity` allows is spent (then the next command, or the cron thread, goes
//! on, where Redis starts a timer event). Each eviction goes through the write path
//! ([`Writer::evict_in`]): journaled as `DEL`, seen by WATCH and client tracking, notified as
//! `evicted`, and counted in `evicted_keys`.
//!
//! # Vacated slots
//! A short key and a short value live inside their hash-table slot (`keyspace/bytes.rs`), and a
//! table does not shrink when a key leaves: evicting such a key frees no heap byte, and "evict
//! until used memory drops" would empty the database. Yet the slot it leaves is memory the next
//! key takes without allocating, as the next key in Redis reuses the `dictEntry` and object the
//! eviction freed. So eviction credits each evicted key with its slots ([`Vacancies`]), counts
//! the credit as free until new keys have refilled that many slots, and compares `maxmemory`
//! with used memory less the credit. A key that leaves its shard (nearly) empty is different: the
//! shard's table is given back (`Db::shrink_sparse_shard`), real memory freed, and no credit.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::config::params::MAXMEMORY_POLICIES;
use crate::keyspace::{Bytes, Databases, Entry, Sampled, Writer};
use crate::random::Rng;
use crate::server::Server;

/// Candidates kept in the pool (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// How many keys are evicted between two looks at the clock (Redis checks every 16).
const KEYS_PER_CLOCK_CHECK: usize = 16;

/// Which key goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    LeastRecentlyUsed,
    LeastFrequentlyUsed,
    NearestExpiry,
    Random,
}

/// A `maxmemory-policy` other than `noeviction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub order: Order,
    /// Only keys with a time to live may go (`volatile-*`).
    pub volatile: bool,
}

impl Policy {
    /// The configured policy, `None` for `noeviction`.
    pub fn configured(config: &Config) -> Option<Policy> {
        let value = Config::get(&config.maxmemory_policy);
        let (name, _) = MAXMEMORY_POLICIES.iter().find(|&&(_, v)| v == value)?;
        Policy::named(name)
    }

    /// The policy of a `maxmemory-policy` name, `None` for `noeviction` (or an unknown name).
    pub fn named(name: &str) -> Option<Policy> {
        let (scope, order) = name.split_once('-')?;
        let order = match order {
            "lru" => Order::LeastRecentlyUsed,
            "lfu" => Order::LeastFrequentlyUsed,
            "ttl" => Order::NearestExpiry,
            "random" => Order::Random,
            _ => return None,
        };
        Some(Policy {
            order,
            volatile: scope == "volatile",
        })
    }

    /// How good a candidate a sampled key is, higher evicted first (Redis calls it "idle"
    /// whatever the policy): idle milliseconds, 255 less the access frequency, or how soon it
    /// expires.
    fn score(self, sampled: &Sampled, now_ms: i64) -> u64 {
        match self.order {
            Order::LeastRecentlyUsed => u64::from(sampled.entry.idle_seconds(now_ms)) * 1000,
            Order::LeastFrequentlyUsed => 255 - u64::from(sampled.entry.frequency(now_ms)),
            Order::NearestExpiry => {
                u64::MAX - sampled.expires_at.map_or(u64::MAX, |at| at.max(0) as u64)
            }
            Order::Random => 0,
        }
    }
}

/// A key the pool holds for eviction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub score: u64,
    pub db: usize,
    pub key: Bytes,
}

/// The best candidates seen so far, ordered by score, best last (Redis's `EvictionPoolLRU`). A
/// candidate may be a ghost by the time it is picked (deleted, or given a new TTL-less value):
/// the picker checks. Also the sampling state Redis keeps in statics.
#[derive(Default)]
pub struct Pool {
    candidates: Vec<Candidate>,
    /// The random policies' next database (Redis's static `next_db`).
    next_db: usize,
    rng: Option<Rng>,
    vacancies: Vacancies,
}

/// Hash-table slots eviction emptied that new keys have not refilled yet (see the module
/// documentation). New keys are assumed to land in them: an estimate that errs towards evicting
/// more, never towards letting memory grow.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Vacancies {
    /// Slots vacated in the key maps, and in the expiry maps.
    keys: u64,
    expiries: u64,
    /// Keys stored right after the last eviction: more keys now means refilled slots.
    keys_after: u64,
}

/// What a slot of a key map costs: the key, the entry and a control byte.
const KEY_SLOT: u64 = (size_of::<Bytes>() + size_of::<crate::keyspace::Entry>() + 1) as u64;
/// What a slot of an expiry map costs: the key, the time and a control byte.
const EXPIRY_SLOT: u64 = (size_of::<Bytes>() + size_of::<i64>() + 1) as u64;

impl Vacancies {
    /// Bytes the vacated slots hold for new keys.
    pub fn bytes(&self) -> u64 {
        self.keys * KEY_SLOT + self.expiries * EXPIRY_SLOT
    }

    /// Takes out what keys stored since the last eviction refilled (`keys_now` in all).
    pub fn refill(&mut self, keys_now: u64) {
        if keys_now == 0 {
            *self = Vacancies::default();
            return;
        }
        let refilled = keys_now.saturating_sub(self.keys_after);
        self.keys = self.keys.saturating_sub(refilled);
        self.expiries = self.expiries.saturating_sub(refilled);
        self.keys_after = keys_now;
    }

    /// Counts the slots of a key just evicted, and returns their bytes.
    pub fn vacate(&mut self, had_expiry: bool) -> u64 {
        self.keys += 1;
        self.expiries += u64::from(had_expiry);
        self.keys_after = self.keys_after.saturating_sub(1);
        KEY_SLOT + if had_expiry { EXPIRY_SLOT } else { 0 }
    }
}

/// Eviction's state: the [`Pool`] (used under the keyspace's write lock), and what the check
/// before each command leaves out of used memory, readable without a lock: the vacancies'
/// credit, and the echo of the last eviction.
///
/// # The echo
/// Evicting a key tracked by other clients queues an invalidation for each of them (keyspace
/// events alike), which their own threads write out a moment later. Redis writes such output
/// before it reads the next command, so its next eviction check no longer sees it; here the next
/// command may arrive first, see those bytes as used memory, and evict more keys for them, whose
/// invalidations then cost more still: the feedback loop Redis's `client tracking` test guards
/// against. So what an eviction's commit queued is left out of the checks for [`ECHO_MS`], time
/// enough for it to be written; output still queued after that counts, as in Redis.
#[derive(Default)]
pub struct Evictor {
    pool: Mutex<Pool>,
    credit: AtomicU64,
    echo: AtomicU64,
    echo_until_ms: AtomicI64,
}

/// How long an eviction's own output is left out of the checks (Redis's default cron period).
pub const ECHO_MS: i64 = 100;

impl Evictor {
    /// The echo of the last eviction, while it lasts.
    fn echo(&self, now_ms: i64) -> u64 {
        if now_ms < self.echo_until_ms.load(Ordering::Relaxed) {
            self.echo.load(Ordering::Relaxed)
        } else {
            0
        }
    }

    fn remember_echo(&self, bytes: u64, now_ms: i64) {
        self.echo.store(bytes, Ordering::Relaxed);
        self.echo_until_ms
            .store(now_ms + ECHO_MS, Ordering::Relaxed);
    }
}

impl Pool {
    /// Offers a sampled key (Redis's `evictionPoolPopulate` insertion): it goes in if the pool
    /// has room or it beats the worst candidate, which then leaves.
    pub fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        let full = self.candidates.len() == POOL_SIZE;
        if full && self.candidates[0].score >= score {
            return;
        }
        if full {
            self.candidates.remove(0);
        }
        let at = self.candidates.partition_point(|c| c.score < score);
        let key = Bytes::new(key);
        self.candidates.insert(at, Candidate { score, db, key });
    }

    /// Takes the best candidate out.
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.candidates.pop()
    }

    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    fn rng(&mut self) -> &mut Rng {
        self.rng.get_or_insert_with(Rng::new)
    }

    /// The next key to evict under `policy` (`None`: nothing is left that may go). Samples
    /// `samples` keys per database into the pool and takes the best live one, as Redis's loop
    /// does, sampling again while the pool yields only ghosts.
    fn pick(
        &mut self,
        policy: Policy,
        databases: &Databases,
        samples: usize,
        now_ms: i64,
    ) -> Option<(usize, Bytes)> {
        let eligible = |db: usize| {
            let db = databases.db(db);
            if policy.volatile {
                db.volatile_len()
            } else {
                db.len()
            }
        };
        if policy.order == Order::Random {
            let count = databases.count();
            for step in 1..=count {
                let index = (self.next_db + step) % count;
                if eligible(index) == 0 {
                    continue;
                }
                self.next_db = index;
                let sampled = databases.db(index).sample(1, policy.volatile, self.rng());
                return sampled.first().map(|s| (index, s.key.clone()));
            }
            return None;
        }
        loop {
            let mut total = 0;
            for index in 0..databases.count() {
                let keys = eligible(index);
                if keys == 0 {
                    continue;
                }
                total += keys;
                let sampled = databases
                    .db(index)
                    .sample(samples, policy.volatile, self.rng());
                for key in &sampled {
                    let score = policy.score(key, now_ms);
                    self.offer(score, index, key.key);
                }
            }
            if total == 0 {
                return None;
            }
            while let Some(best) = self.pop_best() {
                let db = databases.db(best.db);
                let alive = if policy.volatile {
                    db.expires_at(&best.key).is_some()
                } else {
                    db.holds(&best.key)
                };
                if alive {
                    return Some((best.db, best.key));
                }
            }
        }
    }
}

/// How an eviction attempt ended (Redis's `EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or no limit).
    Fits,
    /// Still over, but the time allowed ran out while keys were going: the next command goes on.
    Running,
    /// Still over and nothing more may be evicted (or the policy is `noeviction`).
    Full,
}

/// The time one attempt may take (Redis's `evictionTimeLimitUs`): 50 µs per tenacity point up
/// to 10, then 15% more per point, and no limit at 100.
pub fn time_limit(tenacity: i64) -> Duration {
    match tenacity {
        ..=10 => Duration::from_micros(50 * tenacity.max(0) as u64),
        11..=99 => Duration::from_micros((500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64),
        _ => Duration::MAX,
    }
}

/// Redis's `performEvictions`: if used memory is past `maxmemory`, evicts keys under the
/// configured policy to free the excess, and says how that went. Cheap when there is no limit or
/// room to spare: a few atomic loads, no lock.
pub fn perform_evictions(server: &Server, now_ms: i64) -> Outcome {
    let config = &server.config;
    let limit = Config::get(&config.maxmemory) as u64;
    let evictor = &server.memory.evictor;
    let echo = evictor.echo(now_ms);
    let used = || super::used_for_eviction(server).saturating_sub(echo);
    if limit == 0 || used().saturating_sub(evictor.credit.load(Ordering::Relaxed)) <= limit {
        return Outcome::Fits;
    }
    let Some(policy) = Policy::configured(config) else {
        return Outcome::Full;
    };
    // Redis's `isSafeToPerformEvictions`: a CLIENT PAUSE holds evictions as it holds expiry
    // (they are writes the paused replicas would see), and a replica leaves them to its
    // master. Commands still run.
    if server.holds_expiry(now_ms) {
        return Outcome::Fits;
    }
    let run = Run {
        server,
        policy,
        samples: Config::get(&config.maxmemory_samples).max(1) as usize,
        budget: time_limit(Config::get(&config.maxmemory_eviction_tenacity)),
        now_ms,
    };
    let store_credit = |pool: &Pool| {
        let credit = pool.vacancies.bytes();
        evictor.credit.store(credit, Ordering::Relaxed);
    };
    let (outcome, expected_after) = server.write(0, now_ms, |writer| {
        let mut pool = evictor.pool.lock().unwrap_or_else(PoisonError::into_inner);
        pool.vacancies.refill(stored_keys(writer.databases()));
        store_credit(&pool);
        let to_free = used().saturating_sub(pool.vacancies.bytes() + limit);
        if to_free == 0 {
            return (Outcome::Fits, None);
        }
        let started_at = server.memory.used();
        let (outcome, freed) = run.free(&mut pool, writer, to_free);
        store_credit(&pool);
        (outcome, Some(started_at.saturating_sub(freed)))
    });
    // Used memory should now be what it was less what the deletions freed; the rest is what
    // recording them cost, handed by the commit to other clients' threads: the echo.
    if let Some(expected) = expected_after {
        let echo = server.memory.used().saturating_sub(expected);
        evictor.remember_echo(echo, now_ms);
    }
    outcome
}

/// One eviction attempt's settings.
struct Run<'a> {
    server: &'a Server,
    policy: Policy,
    samples: usize,
    budget: Duration,
    now_ms: i64,
}

impl Run<'_> {
    /// Evicts keys until `to_free` bytes are freed. As Redis, what counts is the memory each
    /// deletion frees, measured around it: the `DEL`s journaled, the key copies WATCH and
    /// client tracking are handed, the events and invalidations an eviction causes are bytes
    /// too, and counting them would feed eviction with its own output (Redis's "eviction
    /// feedback loop", which its `client tracking` test checks).
    /// Returns how it ended and the heap bytes the deletions gave back (the credited slots
    /// apart).
    fn free(&self, pool: &mut Pool, writer: &mut Writer, to_free: u64) -> (Outcome, u64) {
        let started = Instant::now();
        let used = || self.server.memory.used() as i64;
        let (mut freed, mut credited, mut evicted) = (0i64, 0u64, 0usize);
        let heap_freed = |freed: i64, credited: u64| (freed - credited as i64).max(0) as u64;
        while freed < to_free as i64 {
            let databases = writer.databases();
            let Some((db, key)) = pool.pick(self.policy, databases, self.samples, self.now_ms)
            else {
                return (Outcome::Full, heap_freed(freed, credited));
            };
            let had_expiry = databases.db(db).expires_at(&key).is_some();
            if let Some(entry) = evict(self.server, writer, db, &key) {
                // What the deletion frees: the key's own bytes, the value as it is dropped,
                // and the shard's table if the key leaves it (nearly) empty, else its slot.
                let before = used() + key.heap_size() as i64;
                drop(entry);
                let shrunk = writer.databases().db_mut(db).shrink_sparse_shard(&key);
                let credit = if shrunk {
                    0
                } else {
                    pool.vacancies.vacate(had_expiry)
                };
                freed += before - used() + credit as i64;
                credited += credit;
            }
            evicted += 1;
            if evicted % KEYS_PER_CLOCK_CHECK == 0 && started.elapsed() > self.budget {
                return (Outcome::Running, heap_freed(freed, credited));
            }
        }
        (Outcome::Fits, heap_freed(freed, credited))
    }
}

/// Keys in all databases.
fn stored_keys(databases: &Databases) -> u64 {
    databases.iter().map(|db| db.len() as u64).sum()
}

/// Evicts one key through the write path and counts it. Returns its entry if it was there.
fn evict(server: &Server, writer: &mut Writer, db: usize, key: &[u8]) -> Option<Entry> {
    let evicted = writer.evict_in(db, key);
    if evicted.is_some() {
        server.stats.evicted_keys.fetch_add(1, Ordering::Relaxed);
    }
    evicted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Keyspace, Ttl, Value};

    #[test]
    fn policies_parse_from_their_names() {
        assert_eq!(
            Policy::named("allkeys-lru"),
            Some(Policy {
                order: Order::LeastRecentlyUsed,
                volatile: false
            })
        );
        assert_eq!(
            Policy::named("volatile-ttl"),
            Some(Policy {
                order: Order::NearestExpiry,
                volatile: true
            })
        );
        assert_eq!(Policy::named("noeviction"), None);
        for (name, _) in MAXMEMORY_POLICIES {
            assert_eq!(Policy::named(name).is_none(), *name == "noeviction");
        }
    }

    #[test]
    fn the_pool_keeps_the_sixteen_best_and_yields_the_best_first() {
        let mut pool = Pool::default();
        for score in [5, 1, 9, 3] {
            pool.offer(score, 0, format!("k{score}").as_bytes());
        }
        assert_eq!(pool.pop_best().map(|c| c.score), Some(9));
        for score in 100..120 {
            pool.offer(score, 1, format!("k{score}").as_bytes());
        }
        assert_eq!(pool.len(), POOL_SIZE);
        pool.offer(2, 0, b"worse than all");
        assert_eq!(pool.len(), POOL_SIZE);
        let scores: Vec<u64> = std::iter::from_fn(|| pool.pop_best().map(|c| c.score)).collect();
        assert_eq!(scores, (104..120).rev().collect::<Vec<_>>());
        assert!(pool.is_empty());
    }

    #[test]
    fn vacated_slots_count_until_new_keys_refill_them() {
        let mut vacancies = Vacancies::default();
        vacancies.refill(100);
        vacancies.vacate(true);
        vacancies.vacate(false);
        assert_eq!(vacancies.bytes(), 2 * KEY_SLOT + EXPIRY_SLOT);
        vacancies.refill(98);
        assert_eq!(vacancies.bytes(), 2 * KEY_SLOT + EXPIRY_SLOT, "no key came");
        vacancies.refill(99);
        assert_eq!(vacancies.bytes(), KEY_SLOT, "one refilled");
        vacancies.refill(0);
        assert_eq!(vacancies, Vacancies::default(), "a flush drops the credit");
    }

    #[test]
    fn an_evictions_echo_is_left_out_for_a_while_only() {
        let evictor = Evictor::default();
        assert_eq!(evictor.echo(1_000), 0);
        evictor.remember_echo(4096, 1_000);
        assert_eq!(evictor.echo(1_000 + ECHO_MS - 1), 4096);
        assert_eq!(evictor.echo(1_000 + ECHO_MS), 0, "then it counts again");
    }

    #[test]
    fn tenacity_sets_the_time_limit_as_redis() {
        assert_eq!(time_limit(0), Duration::ZERO);
        assert_eq!(time_limit(10), Duration::from_micros(500));
        assert_eq!(time_limit(11), Duration::from_micros(575));
        assert!(time_limit(99) > Duration::from_secs(60));
        assert_eq!(time_limit(100), Duration::MAX);
    }

    fn filled(keyspace: &Keyspace) {
        keyspace.write(0, 1_000_000, |w| {
            for i in 0..200 {
                let ttl = if i % 2 == 0 {
                    Ttl::At(10_000_000 + i)
                } else {
                    Ttl::Clear
                };
                w.set(format!("k{i}").as_bytes(), Value::string(b"v"), ttl);
            }
        });
    }

    #[test]
    fn volatile_policies_pick_only_keys_with_a_ttl() {
        let keyspace = Keyspace::new(2);
        filled(&keyspace);
        let databases = keyspace.read();
        for name in ["volatile-lru", "volatile-random", "volatile-ttl"] {
            let policy = Policy::named(name).unwrap();
            let mut pool = Pool::default();
            for _ in 0..50 {
                let (db, key) = pool.pick(policy, &databases, 5, 1_000_000).unwrap();
                assert_eq!(db, 0);
                assert!(
                    databases.db(0).expires_at(&key).is_some(),
                    "{name} picked {key:?}"
                );
            }
        }
    }

    #[test]
    fn volatile_ttl_picks_the_nearest_expiry_among_its_samples() {
        let keyspace = Keyspace::new(1);
        filled(&keyspace);
        let databases = keyspace.read();
        let mut pool = Pool::default();
        let policy = Policy::named("volatile-ttl").unwrap();
        // With every volatile key sampled (100 keys, 100 samples), the pool's best is the
        // soonest to expire: k0.
        let (_, key) = pool.pick(policy, &databases, 100, 1_000_000).unwrap();
        assert_eq!(key.as_ref(), b"k0");
    }

    #[test]
    fn nothing_to_pick_when_no_key_may_go() {
        let keyspace = Keyspace::new(1);
        keyspace.write(0, 0, |w| {
            w.set(b"persistent", Value::string(b"v"), Ttl::Clear)
        });
        let databases = keyspace.read();
        let mut pool = Pool::default();
        let volatile = Policy::named("volatile-lru").unwrap();
        assert_eq!(pool.pick(volatile, &databases, 5, 0), None);
        let allkeys = Policy::named("allkeys-lfu").unwrap();
        assert!(pool.pick(allkeys, &databases, 5, 0).is_some());
    }
}
