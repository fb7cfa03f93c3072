//! The set type (Redis's t_set.c data side): unordered, unique byte strings. Pure data; the
//! commands are in `commands/sets.rs`.
//!
//! `OBJECT ENCODING` reports what Redis 7.0 would have chosen: `intset` while every member is an
//! integer and there are at most `set-max-intset-entries` (512) of them, `hashtable` otherwise.
//! Like Redis, a set that has left `intset` never goes back, so the encoding is remembered
//! rather than recomputed.

use std::collections::HashSet;

use super::Bytes;
use super::hasher::KeyHashBuilder;
use crate::number;

/// Redis's default `set-max-intset-entries`.
pub const MAX_INTSET_ENTRIES: usize = 512;

#[derive(Clone, Debug, Default)]
pub struct Set {
    members: HashSet<Bytes, KeyHashBuilder>,
    /// Redis would have converted this set to a hash table.
    hashtable: bool,
}

impl Set {
    pub fn new() -> Set {
        Set::default()
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.members.contains(member)
    }

    /// Adds `member`; whether it was new.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        if self.members.contains(member) {
            return false;
        }
        if !self.hashtable
            && (number::parse_i64(member).is_none() || self.members.len() >= MAX_INTSET_ENTRIES)
        {
            self.hashtable = true;
        }
        self.members.insert(Bytes::new(member))
    }

    /// Removes `member`; whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.members.remove(member)
    }

    /// The members, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Bytes> {
        self.members.iter()
    }

    pub fn encoding(&self) -> &'static str {
        if self.hashtable {
            "hashtable"
        } else {
            "intset"
        }
    }
}

impl FromIterator<Bytes> for Set {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Set {
        let mut set = Set::new();
        for member in iter {
            set.insert(&member);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_stay_intset_until_a_string_arrives() {
        let mut set: Set = [b"1", b"2"].into_iter().map(|m| Bytes::new(m)).collect();
        assert_eq!(set.encoding(), "intset");
        assert!(set.insert(b"x"));
        set.remove(b"x");
        assert_eq!(set.encoding(), "hashtable", "never converts back");
    }
}
