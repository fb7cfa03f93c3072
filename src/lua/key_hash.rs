//! The hash function of tables' hash parts: a keyed folded-multiply hash, in place of std's
//! SipHash.
//!
//! # Why not SipHash
//! Every global lookup (`redis`, `KEYS`, `math`), every field (`redis.call`, `point.x`) and
//! every string key hashes. SipHash-1-3 costs ~350 instructions for such a short key, which
//! was ~11% of all the instructions of an `EVALSHA` of a three-command script (callgrind).
//! This hash costs a few tens.
//!
//! # Why still keyed (HashDoS)
//! Scripts come from clients, and so do the strings they put in tables (a script may load a
//! user-written hash's fields into one). An unkeyed hash lets whoever chooses the keys make
//! them all collide, turning each lookup into a scan. The keys here are random per process
//! (taken from std's `RandomState`), and each word is mixed by a 64×64→128-bit multiply with
//! a key, the two halves folded together: the construction of foldhash (hashbrown's default
//! hasher) and of aHash's fallback. It is not a cryptographic PRF as SipHash is, but no
//! collisions that hold whatever the keys are are known for it, which is what defeats
//! precomputed collision sets; that is the trade hashbrown itself makes by default.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// The process's two secret keys.
fn process_keys() -> (u64, u64) {
    static KEYS: OnceLock<(u64, u64)> = OnceLock::new();
    *KEYS.get_or_init(|| {
        let random = std::collections::hash_map::RandomState::new();
        (random.hash_one(0u64) | 1, random.hash_one(1u64) | 1)
    })
}

/// The multiply-and-fold mixing step.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let product = (a as u128) * (b as u128);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Makes [`KeyHasher`]s with the process's keys (a `HashMap`'s `S` parameter).
#[derive(Clone, Copy)]
pub struct KeyHashState {
    mix_key: u64,
    finish_key: u64,
}

impl Default for KeyHashState {
    fn default() -> KeyHashState {
        let (mix_key, finish_key) = process_keys();
        KeyHashState {
            mix_key,
            finish_key,
        }
    }
}

impl BuildHasher for KeyHashState {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            state: self.finish_key.rotate_left(23),
            mix_key: self.mix_key,
            finish_key: self.finish_key,
        }
    }
}

/// One hashing in progress.
pub struct KeyHasher {
    state: u64,
    mix_key: u64,
    finish_key: u64,
}

impl Hasher for KeyHasher {
    /// Eight bytes at a time; a short last chunk is zero-padded, which cannot make two keys
    /// collide since `Hash` for byte strings writes the length first.
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
            self.write_u64(word);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.state = fold(self.state ^ word, self.mix_key);
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.write_u64(u64::from(byte));
    }

    #[inline]
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold(self.state, self.finish_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(bytes: &[u8]) -> u64 {
        KeyHashState::default().hash_one(bytes)
    }

    #[test]
    fn equal_keys_hash_equal_and_padding_does_not_collide() {
        assert_eq!(hash(b"redis"), hash(b"redis"));
        assert_ne!(hash(b"a"), hash(b"a\0"));
        assert_ne!(hash(b""), hash(b"\0\0\0\0\0\0\0\0"));
        assert_ne!(hash(b"call"), hash(b"pcall"));
    }
}
