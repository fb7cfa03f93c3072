//! The cardinality estimator: Otmar Ertl's "improved raw estimator" ("New cardinality
//! estimation algorithms for HyperLogLog sketches", arXiv:1702.01284), which Redis 7 uses in
//! `hllCount`, computed from the histogram of register values.
//!
//! The arithmetic follows Redis's C step by step (same operations, same order, the same final
//! rounding), so a HyperLogLog counts to exactly the number redis-server reports for it.

use super::{Q, REGISTERS};

/// 0.5 / ln(2): the bias correction as the number of registers grows without bound. Redis's
/// `HLL_ALPHA_INF` literal (0.721347520444481703680) rounds to this same double.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Ertl's sigma function (Redis's `hllSigma`), summed until the series stops changing.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

/// Ertl's tau function (Redis's `hllTau`).
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        // C's `pow(1 - x, 2)` is the correctly rounded square: the same as one multiplication.
        z -= (1.0 - x) * (1.0 - x) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// The estimated cardinality from `histogram[v]`, the number of registers holding `v`. Values
/// above `Q + 1` (only a corrupted dense HLL has them) are ignored, as in Redis.
pub fn cardinality(histogram: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histogram[Q + 1] as f64) / m);
    for &count in histogram[1..=Q].iter().rev() {
        z += count as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    // `llroundl`: halves away from zero, as `f64::round`; an infinite `z` gives 0.
    (ALPHA_INF * m * m / z).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_registers_set_counts_zero() {
        let mut histogram = [0u64; 64];
        histogram[0] = REGISTERS as u64;
        assert_eq!(cardinality(&histogram), 0);
    }

    #[test]
    fn one_register_at_one_counts_one() {
        let mut histogram = [0u64; 64];
        histogram[0] = REGISTERS as u64 - 1;
        histogram[1] = 1;
        assert_eq!(cardinality(&histogram), 1);
    }

    #[test]
    fn the_series_converge() {
        assert_eq!(tau(0.0), 0.0);
        assert!(sigma(0.5).is_finite());
        assert!(tau(0.5) > 0.0);
    }
}
