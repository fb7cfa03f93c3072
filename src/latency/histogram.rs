//! A per-command latency histogram (what Redis keeps in an HdrHistogram for
//! `latency-tracking`): log-linear buckets of atomic counters, so any number of connection
//! threads record into one histogram with a single relaxed `fetch_add` and no lock.
//!
//! Values are nanoseconds, clamped to Redis's tracked range, 1 ns to 1 s. Below
//! [`SUB_BUCKETS`] each value has its own bucket; above, every power of two is split into
//! [`SUB_BUCKETS`] equal buckets, so a value is known to within 1/32 (about 3%), and the
//! powers of two Redis reports `LATENCY HISTOGRAM` at are bucket edges.

use std::sync::atomic::{AtomicU64, Ordering};

/// Linear buckets per power of two (a power of two itself).
const SUB_BUCKETS: u64 = 32;
const SUB_BITS: u32 = SUB_BUCKETS.trailing_zeros();

/// Redis's `LATENCY_HISTOGRAM_MAX_VALUE`: one second, in nanoseconds.
pub const MAX_NS: u64 = 1_000_000_000;

/// Buckets needed to cover `1..=MAX_NS`.
const BUCKETS: usize = bucket_of(MAX_NS) + 1;

/// The first power of two `LATENCY HISTOGRAM` reports (Redis's log iterator starts at 1024 ns
/// and doubles).
const FIRST_REPORTED_NS: u64 = 1024;

pub struct Histogram {
    counts: Box<[AtomicU64]>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// The bucket of a value in `1..=MAX_NS`.
const fn bucket_of(ns: u64) -> usize {
    if ns < SUB_BUCKETS {
        return ns as usize;
    }
    let shift = 63 - ns.leading_zeros() - SUB_BITS;
    let sub = (ns >> shift) - SUB_BUCKETS;
    (SUB_BUCKETS + shift as u64 * SUB_BUCKETS + sub) as usize
}

/// The highest value bucket `i` holds (what HdrHistogram reports as a bucket's
/// `highest_equivalent_value`).
fn highest_in(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB_BUCKETS {
        return i;
    }
    let shift = (i - SUB_BUCKETS) / SUB_BUCKETS;
    let sub = SUB_BUCKETS + (i - SUB_BUCKETS) % SUB_BUCKETS;
    ((sub + 1) << shift) - 1
}

impl Histogram {
    /// Counts one call that took `ns` nanoseconds.
    pub fn record(&self, ns: u64) {
        let ns = ns.clamp(1, MAX_NS);
        self.counts[bucket_of(ns)].fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Vec<u64> {
        self.counts
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().iter().sum()
    }

    /// The value below which `percentile` percent of the calls fell, in nanoseconds (0 with no
    /// calls), as `hdr_value_at_percentile`: the highest value of the bucket where the count
    /// reaches that share.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let counts = self.snapshot();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0;
        }
        let wanted = ((percentile.clamp(0.0, 100.0) / 100.0) * total as f64).ceil() as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (i, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return highest_in(i);
            }
        }
        highest_in(BUCKETS - 1)
    }

    /// `LATENCY HISTOGRAM`'s `histogram_usec`: (microseconds, calls at most that long) at each
    /// power of two from 1024 ns, where the cumulative count grew, as Redis's `fillCommandCDF`.
    pub fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let counts = self.snapshot();
        let total: u64 = counts.iter().sum();
        let mut points = Vec::new();
        let (mut edge, mut seen, mut next, mut reported) = (FIRST_REPORTED_NS, 0, 0, 0);
        while reported < total {
            while next < counts.len() && highest_in(next) < edge {
                seen += counts[next];
                next += 1;
            }
            if seen > reported {
                points.push((edge / 1000, seen));
                reported = seen;
            }
            edge *= 2;
        }
        points
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        for count in self.counts.iter() {
            count.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_the_range_in_order() {
        let mut last = 0;
        for ns in [1, 31, 32, 33, 63, 64, 1000, 1023, 1024, 999_999, MAX_NS] {
            let bucket = bucket_of(ns);
            assert!(bucket >= last && bucket < BUCKETS, "{ns}");
            assert!(highest_in(bucket) >= ns, "{ns}");
            last = bucket;
        }
        // Powers of two start a bucket: the reported edges are exact.
        assert_eq!(highest_in(bucket_of(1024) - 1), 1023);
    }

    #[test]
    fn percentiles_and_cumulative_counts() {
        let histogram = Histogram::default();
        assert_eq!(histogram.value_at_percentile(50.0), 0);
        for _ in 0..99 {
            histogram.record(1_500);
        }
        histogram.record(900_000);
        let p50 = histogram.value_at_percentile(50.0);
        assert!((1_500..1_560).contains(&p50), "{p50}");
        assert!(histogram.value_at_percentile(99.9) >= 900_000);
        assert_eq!(histogram.cumulative_usec(), vec![(2, 99), (1048, 100)]);
        histogram.reset();
        assert_eq!(histogram.total(), 0);
        assert!(histogram.cumulative_usec().is_empty());
    }
}
