//! The hash type (Redis's t_hash.c data side): a map from field to value, both byte strings.
//! Pure data; the commands are in `commands/hashes.rs`.
//!
//! `OBJECT ENCODING` reports what Redis 7.0 would have chosen: `listpack` while there are at most
//! `hash-max-listpack-entries` (128) fields and no field or value is longer than
//! `hash-max-listpack-value` (64) bytes, `hashtable` after that, for good.

use std::collections::HashMap;

use super::Bytes;
use super::hasher::KeyHashBuilder;

/// Redis's default `hash-max-listpack-entries`.
pub const MAX_LISTPACK_ENTRIES: usize = 128;
/// Redis's default `hash-max-listpack-value`.
pub const MAX_LISTPACK_VALUE: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct Hash {
    fields: HashMap<Bytes, Bytes, KeyHashBuilder>,
    /// Redis would have converted this hash to a hash table.
    hashtable: bool,
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        self.fields.get(field)
    }

    /// Sets `field` to `value`; whether the field is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if field.len() > MAX_LISTPACK_VALUE || value.len() > MAX_LISTPACK_VALUE {
            self.hashtable = true;
        }
        let new = self
            .fields
            .insert(Bytes::new(field), Bytes::new(value))
            .is_none();
        if self.fields.len() > MAX_LISTPACK_ENTRIES {
            self.hashtable = true;
        }
        new
    }

    /// Removes `field`; whether it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        self.fields.remove(field).is_some()
    }

    /// The (field, value) pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.fields.iter()
    }

    pub fn encoding(&self) -> &'static str {
        if self.hashtable {
            "hashtable"
        } else {
            "listpack"
        }
    }
}

impl FromIterator<(Bytes, Bytes)> for Hash {
    fn from_iter<I: IntoIterator<Item = (Bytes, Bytes)>>(iter: I) -> Hash {
        let mut hash = Hash::new();
        for (field, value) in iter {
            hash.insert(&field, &value);
        }
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_makes_it_a_hashtable() {
        let mut hash = Hash::new();
        hash.insert(b"f", b"v");
        assert_eq!(hash.encoding(), "listpack");
        hash.insert(b"g", &[b'x'; 65]);
        assert_eq!(hash.encoding(), "hashtable");
    }
}
