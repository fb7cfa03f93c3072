//! `PFSELFTEST` (Redis's `pfselftestCommand`): checks that need no keys. First the register
//! packing, then the estimator: the same elements go into a dense and a sparse HLL, which must
//! agree, stay sparse while small, and stay within six standard errors of the true count at
//! every power of ten.

use super::{Encoding, count, dense, encoding, new, to_dense};
use crate::random::Rng;

/// Rounds of the register packing test, as Redis runs.
const PACKING_ROUNDS: usize = 1000;
/// Elements Redis's estimator test adds.
pub const ELEMENTS: u64 = 10_000_000;

/// Runs both tests with up to `elements` elements; the error line Redis replies with if one
/// fails (`TESTFAILED ...`).
pub fn run(max_sparse_bytes: usize, elements: u64, rng: &mut Rng) -> Result<(), String> {
    for _ in 0..PACKING_ROUNDS {
        dense::self_test(|| rng.next_u64() as u8).map_err(|(register, expected, found)| {
            format!("TESTFAILED Register {register} should be {expected} but is {found}")
        })?;
    }
    estimates(max_sparse_bytes, elements, rng.next_u64())
}

fn estimates(max_sparse_bytes: usize, elements: u64, seed: u64) -> Result<(), String> {
    let relative_error = 1.04 / (super::REGISTERS as f64).sqrt();
    let mut dense_hll = new();
    to_dense(&mut dense_hll).expect("a new HLL converts");
    let mut sparse_hll = new();
    let mut checkpoint = 1u64;
    for j in 1..=elements {
        let element = (j ^ seed).to_le_bytes();
        let corrupted = "TESTFAILED corrupted HLL".to_string();
        super::add(&mut dense_hll, &element, max_sparse_bytes).map_err(|_| corrupted.clone())?;
        super::add(&mut sparse_hll, &element, max_sparse_bytes).map_err(|_| corrupted.clone())?;
        if j != checkpoint {
            continue;
        }
        if j < (max_sparse_bytes / 2) as u64 && encoding(&sparse_hll) != Ok(Encoding::Sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimate = count(&dense_hll).map_err(|_| corrupted.clone())?;
        if count(&sparse_hll).map_err(|_| corrupted)? != estimate {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        // Redis allows 1 at 10: collisions make a larger error there likely now and then.
        let max_error = if j == 10 {
            1
        } else {
            (relative_error * 6.0 * checkpoint as f64).ceil() as u64
        };
        let error = checkpoint.abs_diff(estimate);
        if error > max_error {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{error}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_test_passes_on_a_hundred_thousand_elements() {
        assert_eq!(run(3000, 100_000, &mut Rng::seeded(7)), Ok(()));
    }
}
