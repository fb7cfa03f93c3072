//! A small, fast pseudo-random generator (xorshift64*) for the places Redis picks at random:
//! `RANDOMKEY`, sampling. Not for anything secret. Seeded from std's per-process random keys,
//! since std has no random number API of its own.

use std::hash::{BuildHasher, RandomState};

pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded from the operating system's randomness (through `RandomState`).
    pub fn new() -> Rng {
        Rng::seeded(RandomState::new().hash_one(0x9E37_79B9_7F4A_7C15u64))
    }

    /// A generator that repeats its sequence for the same seed (tests).
    pub fn seeded(seed: u64) -> Rng {
        // xorshift must not start from zero.
        Rng { state: seed | 1 }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..bound` (`bound` > 0), without the bias of a plain `%`.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

impl Default for Rng {
    fn default() -> Self {
        Rng::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::seeded(42);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let n = rng.below(10) as usize;
            seen[n] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
