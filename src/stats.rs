//! Counters behind `INFO stats`, `INFO commandstats` and `INFO errorstats`, and the sampler for
//! `instantaneous_ops_per_sec`. Relaxed atomics: each counter is exact, and no counter needs to
//! agree with another at any instant.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::commands;
use crate::latency::histogram::Histogram;

/// Per command: Redis's `calls`, `usec`, `rejected_calls`, `failed_calls`, and its latency
/// histogram (`latency-tracking`), made at its first call as Redis makes it.
#[derive(Default)]
pub struct CommandStats {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
    latency: OnceLock<Histogram>,
}

/// Samples of a counter taken by the cron thread, for a rate over the last 1.6 seconds.
#[derive(Default)]
struct RateSampler {
    samples: [u64; 16],
    next: usize,
    last_value: u64,
    last_ms: i64,
}

impl RateSampler {
    fn sample(&mut self, value: u64, now_ms: i64) {
        if self.last_ms != 0 && now_ms > self.last_ms {
            let per_second = (value - self.last_value) * 1000 / (now_ms - self.last_ms) as u64;
            self.samples[self.next] = per_second;
            self.next = (self.next + 1) % self.samples.len();
        }
        self.last_value = value;
        self.last_ms = now_ms;
    }

    fn average(&self) -> u64 {
        self.samples.iter().sum::<u64>() / self.samples.len() as u64
    }
}

#[derive(Default)]
struct Rates {
    ops: RateSampler,
    input: RateSampler,
    output: RateSampler,
}

pub struct Stats {
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub commands_processed: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    /// Keys removed to get under `maxmemory` (`evicted_keys`, see `memory::eviction`).
    pub evicted_keys: AtomicU64,
    pub error_replies: AtomicU64,
    pub reads_processed: AtomicU64,
    pub writes_processed: AtomicU64,
    commands: Vec<CommandStats>,
    /// Error replies by their code (`ERR`, `WRONGTYPE`...), for `INFO errorstats`.
    errors: Mutex<BTreeMap<String, u64>>,
    rates: Mutex<Rates>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            commands_processed: AtomicU64::new(0),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            keyspace_hits: AtomicU64::new(0),
            keyspace_misses: AtomicU64::new(0),
            evicted_keys: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            reads_processed: AtomicU64::new(0),
            writes_processed: AtomicU64::new(0),
            commands: commands::all_commands()
                .iter()
                .map(|_| CommandStats::default())
                .collect(),
            errors: Mutex::new(BTreeMap::new()),
            rates: Mutex::new(Rates::default()),
        }
    }
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

pub fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Stats {
    /// A command ran (successfully or not).
    pub fn record_call(&self, command: usize, elapsed: Duration, failed: bool) {
        let stats = &self.commands[command];
        add(&stats.calls, 1);
        add(&stats.usec, elapsed.as_micros() as u64);
        if failed {
            add(&stats.failed, 1);
        }
        add(&self.commands_processed, 1);
    }

    /// Adds a call's duration to the command's latency histogram (INFO latencystats, LATENCY
    /// HISTOGRAM).
    pub fn record_latency(&self, command: usize, elapsed: Duration) {
        let histogram = self.commands[command]
            .latency
            .get_or_init(Histogram::default);
        histogram.record(elapsed.as_nanos() as u64);
    }

    /// The command's latency histogram, if it has recorded calls since the last reset.
    pub fn latency_histogram(&self, command: usize) -> Option<&Histogram> {
        self.commands[command]
            .latency
            .get()
            .filter(|histogram| histogram.total() > 0)
    }

    /// A command that blocked ended with an error reply (`CLIENT UNBLOCK ... ERROR`), counted
    /// once it is sent, as Redis's `updateStatsOnUnblock` counts it.
    pub fn record_failed(&self, command: usize) {
        add(&self.commands[command].failed, 1);
    }

    /// A command was refused before it ran (wrong arity, unknown subcommand). `command` is the
    /// top-level command, if the name was known at all.
    pub fn record_rejected(&self, command: Option<usize>) {
        if let Some(command) = command {
            add(&self.commands[command].rejected, 1);
        }
    }

    /// An error reply went out; `line` starts with the error code.
    pub fn record_error(&self, line: &[u8]) {
        add(&self.error_replies, 1);
        let code = line.split(|&b| b == b' ').next().unwrap_or_default();
        let code = String::from_utf8_lossy(code).into_owned();
        *self
            .errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(code)
            .or_default() += 1;
    }

    pub fn record_lookup(&self, hit: bool) {
        add(
            if hit {
                &self.keyspace_hits
            } else {
                &self.keyspace_misses
            },
            1,
        );
    }

    pub fn record_read(&self, bytes: usize) {
        add(&self.reads_processed, 1);
        add(&self.net_input_bytes, bytes as u64);
    }

    pub fn record_write(&self, bytes: usize) {
        add(&self.writes_processed, 1);
        add(&self.net_output_bytes, bytes as u64);
    }

    pub fn command(&self, id: usize) -> &CommandStats {
        &self.commands[id]
    }

    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Called by the cron thread a few times a second.
    pub fn sample_rates(&self, now_ms: i64) {
        let mut rates = self.rates.lock().unwrap_or_else(PoisonError::into_inner);
        rates.ops.sample(get(&self.commands_processed), now_ms);
        rates.input.sample(get(&self.net_input_bytes), now_ms);
        rates.output.sample(get(&self.net_output_bytes), now_ms);
    }

    /// (ops per second, input bytes per second, output bytes per second), recent averages.
    pub fn rates(&self) -> (u64, u64, u64) {
        let rates = self.rates.lock().unwrap_or_else(PoisonError::into_inner);
        (
            rates.ops.average(),
            rates.input.average(),
            rates.output.average(),
        )
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        for counter in [
            &self.connections_received,
            &self.rejected_connections,
            &self.commands_processed,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.evicted_keys,
            &self.error_replies,
            &self.reads_processed,
            &self.writes_processed,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        for stats in &self.commands {
            for counter in [&stats.calls, &stats.usec, &stats.rejected, &stats.failed] {
                counter.store(0, Ordering::Relaxed);
            }
            if let Some(histogram) = stats.latency.get() {
                histogram.reset();
            }
        }
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        *self.rates.lock().unwrap_or_else(PoisonError::into_inner) = Rates::default();
    }
}
