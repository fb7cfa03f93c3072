//! The hash type (Redis's t_hash.c data side): a map from field to value, both byte strings.
//! Pure data; the commands are in `commands/hashes.rs`.
//!
//! `OBJECT ENCODING` reports what Redis 7.0 would have chosen: `listpack` while there are at most
//! `hash-max-listpack-entries` (512) fields and no field or value is longer than
//! `hash-max-listpack-value` (64) bytes, `hashtable` after that, for good. The layout follows
//! the encoding (see `dense.rs`): a listpack-sized hash is a plain vector in insertion order,
//! searched linearly as Redis searches its listpack, so `HGETALL` lists fields in the order
//! Redis does; a hashtable-sized one adds a field → position map.

use super::Bytes;
use super::dense::Dense;
use crate::random::Rng;

/// When a hash stops being a listpack: Redis's `hash-max-listpack-entries` and
/// `hash-max-listpack-value`, read from the configuration by the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Limits {
    /// Redis 7.0's defaults (config.c; the sample redis.conf says 128 entries, the code 512).
    fn default() -> Self {
        Limits {
            max_entries: 512,
            max_value: 64,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Hash {
    entries: Dense<(Bytes, Bytes)>,
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        self.entries
            .find(field)
            .map(|position| &self.entries.items()[position].1)
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.entries.find(field).is_some()
    }

    /// Redis's `hashTypeTryConversion`: a command about to store these arguments converts a
    /// listpack that would hold one longer than `max_value`, before it looks at anything else.
    pub fn prepare_for(&mut self, arguments: &[&[u8]], limits: Limits) {
        if arguments.iter().any(|arg| arg.len() > limits.max_value) {
            self.entries.build_index();
        }
    }

    /// Sets `field` to `value` (in place if it exists, keeping its position); whether the field
    /// is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        self.prepare_for(&[field, value], limits);
        if let Some(position) = self.entries.find(field) {
            self.entries.item_mut(position).1 = Bytes::new(value);
            return false;
        }
        self.entries.push((Bytes::new(field), Bytes::new(value)));
        if self.entries.len() > limits.max_entries {
            self.entries.build_index();
        }
        true
    }

    /// Removes `field`; whether it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.entries.find(field) {
            Some(position) => {
                self.entries.remove_at(position);
                true
            }
            None => false,
        }
    }

    /// The (field, value) pairs: insertion order for a listpack, no particular order after.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Bytes, &Bytes)> {
        self.entries
            .items()
            .iter()
            .map(|(field, value)| (field, value))
    }

    /// The pair at `position` (`0..len()`), in [`Hash::iter`]'s order: random picks choose
    /// positions.
    pub fn at(&self, position: usize) -> (&Bytes, &Bytes) {
        let (field, value) = &self.entries.items()[position];
        (field, value)
    }

    /// A uniformly random (field, value) pair. The hash must not be empty.
    pub fn random(&self, rng: &mut Rng) -> (&Bytes, &Bytes) {
        self.at(self.entries.random_position(rng))
    }

    /// One `HSCAN` step (see `Dense::scan`).
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(&'a Bytes, &'a Bytes),
    ) -> u64 {
        self.entries
            .scan(cursor, count, |(field, value)| visit(field, value))
    }

    pub fn encoding(&self) -> &'static str {
        if self.entries.is_indexed() {
            "hashtable"
        } else {
            "listpack"
        }
    }
}

/// Builds a hash with Redis's default limits (the RDB loader uses the configured ones).
impl FromIterator<(Bytes, Bytes)> for Hash {
    fn from_iter<I: IntoIterator<Item = (Bytes, Bytes)>>(iter: I) -> Hash {
        let mut hash = Hash::new();
        for (field, value) in iter {
            hash.insert(&field, &value, Limits::default());
        }
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_makes_it_a_hashtable_for_good() {
        let mut hash = Hash::new();
        hash.insert(b"f", b"v", Limits::default());
        assert_eq!(hash.encoding(), "listpack");
        hash.insert(b"g", &[b'x'; 65], Limits::default());
        assert_eq!(hash.encoding(), "hashtable");
        hash.remove(b"g");
        assert_eq!(hash.encoding(), "hashtable");
        assert_eq!(hash.get(b"f").map(|v| v.to_vec()), Some(b"v".to_vec()));
    }

    #[test]
    fn more_fields_than_the_limit_make_it_a_hashtable() {
        let limits = Limits {
            max_entries: 2,
            max_value: 64,
        };
        let mut hash = Hash::new();
        hash.insert(b"a", b"1", limits);
        hash.insert(b"b", b"2", limits);
        assert_eq!(hash.encoding(), "listpack");
        hash.insert(b"c", b"3", limits);
        assert_eq!(hash.encoding(), "hashtable");
        assert_eq!(hash.len(), 3);
        assert!(hash.contains(b"a") && hash.contains(b"c"));
    }

    #[test]
    fn a_listpack_keeps_insertion_order_through_updates_and_removals() {
        let mut hash: Hash = ["a", "b", "c"]
            .iter()
            .map(|f| (Bytes::new(f.as_bytes()), Bytes::new(b"v")))
            .collect();
        hash.insert(b"a", b"new", Limits::default());
        hash.remove(b"b");
        hash.insert(b"d", b"v", Limits::default());
        let fields: Vec<&[u8]> = hash.iter().map(|(f, _)| f.as_slice()).collect();
        assert_eq!(fields, [&b"a"[..], b"c", b"d"]);
    }
}
