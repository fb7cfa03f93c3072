//! The latency monitor (Redis's latency.c): for each event class (`command`, `fast-command`,
//! `expire-cycle`, `aof-fsync-always`...), the last [`HISTORY_LEN`] spikes that lasted at least
//! `latency-monitor-threshold` milliseconds, one sample per second at most, and the worst ever.
//! `LATENCY LATEST|HISTORY|RESET|GRAPH|DOCTOR` read it (`commands/latency.rs`); the per-command
//! histograms behind `LATENCY HISTOGRAM` and `INFO latencystats` are [`histogram`]s kept with
//! the command statistics.
//!
//! Recording is free below the threshold (one relaxed load), so the hooks can sit on hot paths.

pub mod doctor;
pub mod graph;
pub mod histogram;

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::clock;
use crate::config::Config;

/// Samples kept per event (`LATENCY_TS_LEN`).
pub const HISTORY_LEN: usize = 160;

/// One spike: when (Unix seconds) and how long (milliseconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    pub time: i64,
    pub latency_ms: u64,
}

/// An event's history: a ring of samples, oldest overwritten first.
#[derive(Debug, Clone)]
pub struct Series {
    samples: [Sample; HISTORY_LEN],
    /// Where the next sample goes.
    next: usize,
    /// The worst spike since the event was first seen (or last reset).
    pub max_ms: u64,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            samples: [Sample::default(); HISTORY_LEN],
            next: 0,
            max_ms: 0,
        }
    }
}

impl Series {
    /// Adds a spike, as `latencyAddSample`: two in the same second are one sample, the worse.
    fn add(&mut self, latency_ms: u64, now_s: i64) {
        self.max_ms = self.max_ms.max(latency_ms);
        let previous = &mut self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN];
        if previous.time == now_s {
            previous.latency_ms = previous.latency_ms.max(latency_ms);
            return;
        }
        self.samples[self.next] = Sample {
            time: now_s,
            latency_ms,
        };
        self.next = (self.next + 1) % HISTORY_LEN;
    }

    /// The samples recorded, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..HISTORY_LEN)
            .map(|i| self.samples[(self.next + i) % HISTORY_LEN])
            .filter(|sample| sample.time != 0)
    }

    /// The most recent sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN]
    }
}

/// Every event seen, in the order first seen.
#[derive(Default)]
pub struct Latency {
    events: Mutex<Vec<(&'static str, Series)>>,
}

impl Latency {
    fn lock(&self) -> MutexGuard<'_, Vec<(&'static str, Series)>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that `event` took `latency_ms`, if that reaches `latency-monitor-threshold`
    /// (Redis's `latencyAddSampleIfNeeded`; a threshold of 0 records nothing).
    pub fn record(&self, config: &Config, event: &'static str, latency_ms: u64) {
        let threshold = Config::get(&config.latency_monitor_threshold);
        if threshold <= 0 || latency_ms < threshold as u64 {
            return;
        }
        let now_s = clock::now_ms() / 1000;
        let mut events = self.lock();
        match events.iter_mut().find(|(name, _)| *name == event) {
            Some((_, series)) => series.add(latency_ms, now_s),
            None => {
                let mut series = Series::default();
                series.add(latency_ms, now_s);
                events.push((event, series));
            }
        }
    }

    /// Every event with its history, in the order first seen.
    pub fn events(&self) -> Vec<(&'static str, Series)> {
        self.lock().clone()
    }

    pub fn series(&self, event: &[u8]) -> Option<Series> {
        self.lock()
            .iter()
            .find(|(name, _)| name.as_bytes() == event)
            .map(|(_, series)| series.clone())
    }

    /// Forgets `event` (every event for `None`); returns how many were forgotten.
    pub fn reset(&self, event: Option<&[u8]>) -> usize {
        let mut events = self.lock();
        let before = events.len();
        events.retain(|(name, _)| event.is_some_and(|event| name.as_bytes() != event));
        before - events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_the_worst() {
        let mut series = Series::default();
        series.add(5, 100);
        series.add(9, 100);
        series.add(3, 100);
        series.add(4, 101);
        let samples: Vec<Sample> = series.samples().collect();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].latency_ms, 9);
        assert_eq!(series.latest().latency_ms, 4);
        assert_eq!(series.max_ms, 9);
        for second in 200..200 + HISTORY_LEN as i64 + 5 {
            series.add(1, second);
        }
        assert_eq!(series.samples().count(), HISTORY_LEN);
        assert_eq!(series.samples().next().unwrap().time, 205);
    }

    #[test]
    fn below_threshold_nothing_is_recorded() {
        let config = Config::default();
        let latency = Latency::default();
        latency.record(&config, "command", 1000);
        assert!(latency.events().is_empty());
        config
            .latency_monitor_threshold
            .store(10, std::sync::atomic::Ordering::Relaxed);
        latency.record(&config, "command", 9);
        latency.record(&config, "command", 10);
        latency.record(&config, "fast-command", 20);
        assert_eq!(latency.events().len(), 2);
        assert_eq!(latency.reset(Some(b"nothing")), 0);
        assert_eq!(latency.reset(Some(b"command")), 1);
        assert_eq!(latency.reset(None), 1);
    }
}
