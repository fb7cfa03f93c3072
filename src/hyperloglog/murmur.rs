//! MurmurHash64A, the hash every HyperLogLog element goes through (Redis's `MurmurHash64A` in
//! hyperloglog.c), and [`pattern`]: which register an element lands in and the length of the
//! run of zeroes it contributes (Redis's `hllPatLen`).
//!
//! Redis reads the 8-byte blocks as little-endian on every architecture ("endian neutral"),
//! so a value written by redis-server anywhere hashes the same here.

use super::{P, Q, REGISTERS};

/// The seed Redis hashes HyperLogLog elements with.
const SEED: u64 = 0xadc8_3b19;

/// MurmurHash2, 64-bit version, as Redis computes it. `len` enters the first mix as a C `int`
/// multiplied in 64 bits, so lengths are taken modulo 2^32 exactly as Redis does.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let len = data.len() as u32 as i32 as i64 as u64;
    let mut h = seed ^ len.wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().expect("chunks of 8"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // The C switch falls through from the highest tail byte down to the first.
        for (i, &byte) in tail.iter().enumerate() {
            h ^= u64::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register `element` updates and the value it offers: the position of the first set bit
/// in the hash above the `P` index bits, counting from 1 (Redis's `hllPatLen`). A sentinel bit
/// at `Q` keeps the value within `1..=Q + 1`.
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_redis() {
        // Vectors from Redis's own MurmurHash64A, compiled apart and run with Redis's seed: one
        // per path through the tail (0, 1, 3 bytes, a block and a tail, two blocks and a tail).
        let vectors: [(&[u8], u64); 6] = [
            (b"", 0xd8df_ea65_85bc_9732),
            (b"a", 0x53d2_470a_9b43_b1a7),
            (b"foo", 0xe646_09b8_b014_1cb4),
            (b"hello world", 0xa919_bc30_51f6_24b7),
            (b"0123456789abcdef0", 0xca18_02fd_45a1_ff6c),
            (b"thredis-hyperloglog", 0xfe10_17c5_2262_29e6),
        ];
        for (data, expected) in vectors {
            assert_eq!(murmur64a(data, SEED), expected, "{data:?}");
        }
    }

    #[test]
    fn patterns_stay_within_the_register_range() {
        for n in 0..10_000u32 {
            let (index, count) = pattern(&n.to_le_bytes());
            assert!(index < REGISTERS);
            assert!((1..=Q as u8 + 1).contains(&count));
        }
    }
}
