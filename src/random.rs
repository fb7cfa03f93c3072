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

impl Rng {
    /// `count` distinct numbers from `0..size` (`count <= size`), in random order: the sample
    /// behind `SRANDMEMBER`/`HRANDFIELD` with a positive count. O(count) work unless `count` is
    /// a large part of `size`, when shuffling all of them is cheaper than rejecting repeats (the
    /// same trade Redis makes between its "CASE 3" and "CASE 4").
    pub fn sample(&mut self, size: usize, count: usize) -> Vec<usize> {
        debug_assert!(count <= size);
        if count.saturating_mul(3) > size {
            let mut all: Vec<usize> = (0..size).collect();
            for i in 0..count {
                let j = i + self.below((size - i) as u64) as usize;
                all.swap(i, j);
            }
            all.truncate(count);
            return all;
        }
        let mut seen = std::collections::HashSet::with_capacity(count);
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let position = self.below(size as u64) as usize;
            if seen.insert(position) {
                picked.push(position);
            }
        }
        picked
    }
}

impl Default for Rng {
    fn default() -> Self {
        Rng::new()
    }
}

/// `len` random lowercase hex digits: run and replication IDs.
pub fn hex(len: usize) -> String {
    let mut rng = Rng::new();
    (0..len)
        .map(|_| char::from_digit(rng.below(16) as u32, 16).expect("below 16"))
        .collect()
}

/// `len` lowercase hex digits from the operating system's cryptographic generator
/// (`/dev/urandom`): passwords (`ACL GENPASS`).
pub fn secure_hex(len: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(len);
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_hex_has_the_length_asked_and_varies() {
        let a = secure_hex(63).unwrap();
        assert_eq!(a.len(), 63);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(a, secure_hex(63).unwrap());
    }

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

    #[test]
    fn samples_are_distinct_and_in_range() {
        let mut rng = Rng::seeded(3);
        for (size, count) in [(10, 10), (10, 9), (1000, 5), (5, 0)] {
            let mut sample = rng.sample(size, count);
            assert_eq!(sample.len(), count);
            sample.sort();
            sample.dedup();
            assert_eq!(sample.len(), count, "distinct");
            assert!(sample.iter().all(|&p| p < size));
        }
    }
}
