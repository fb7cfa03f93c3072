//! The set type (Redis's t_set.c data side): unordered, unique byte strings. Pure data; the
//! commands are in `commands/sets.rs`.
//!
//! `OBJECT ENCODING` reports what Redis 7.0 would have chosen: `intset` while every member is an
//! integer (in Redis's canonical form: `string2ll`) and there are at most
//! `set-max-intset-entries` (512) of them, `hashtable` otherwise, for good. (Redis 7.2 adds a
//! `listpack` encoding for small sets of strings; 7.0, the reference, has none.)
//!
//! The layout follows the encoding (see `dense.rs`). An intset-sized set is a vector kept sorted
//! by numeric value, as Redis's intset is: membership is a binary search, and `SMEMBERS` lists
//! the members in ascending order exactly as Redis does. A hashtable-sized one adds a member →
//! position map.

use super::Bytes;
use super::dense::Dense;
use crate::number;
use crate::random::Rng;

/// When a set of integers stops being an intset: Redis's `set-max-intset-entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_intset_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_intset_entries: 512,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Set {
    members: Dense<Bytes>,
}

/// The value of an intset member. Only canonical integers enter an intset.
fn int_value(member: &[u8]) -> i64 {
    number::parse_i64(member).expect("intset members are canonical integers")
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

    fn is_intset(&self) -> bool {
        !self.members.is_indexed()
    }

    /// Where `member` is, or (intsets only) where it would go.
    fn search(&self, member: &[u8]) -> Result<usize, usize> {
        if !self.is_intset() {
            return self.members.find(member).ok_or(usize::MAX);
        }
        // Anything that is not a canonical integer cannot be in an intset ("01" is not 1).
        let Some(value) = number::parse_i64(member) else {
            return Err(usize::MAX);
        };
        self.members
            .items()
            .binary_search_by(|probe| int_value(probe).cmp(&value))
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.search(member).is_ok()
    }

    /// Adds `member`; whether it was new. A member that is not an integer, or one integer too
    /// many, turns an intset into a hashtable (Redis's `setTypeAdd`).
    pub fn insert(&mut self, member: &[u8], limits: Limits) -> bool {
        match self.search(member) {
            Ok(_) => false,
            Err(position) => {
                let fits = position != usize::MAX && self.len() < limits.max_intset_entries;
                if self.is_intset() && fits {
                    self.members.insert_at(position, Bytes::new(member));
                } else {
                    self.members.build_index();
                    self.members.push(Bytes::new(member));
                }
                true
            }
        }
    }

    /// Removes `member`; whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.search(member) {
            Ok(position) => {
                self.members.remove_at(position);
                true
            }
            Err(_) => false,
        }
    }

    /// The members: ascending for an intset, no particular order for a hashtable.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Bytes> {
        self.members.items().iter()
    }

    /// The member at `position` (`0..len()`), in [`Set::iter`]'s order: random picks choose
    /// positions.
    pub fn at(&self, position: usize) -> &Bytes {
        &self.members.items()[position]
    }

    /// A uniformly random member. The set must not be empty.
    pub fn random(&self, rng: &mut Rng) -> &Bytes {
        self.at(self.members.random_position(rng))
    }

    /// Removes the member at `position`.
    pub fn remove_at(&mut self, position: usize) -> Bytes {
        self.members.remove_at(position)
    }

    /// Removes and returns a uniformly random member. The set must not be empty.
    pub fn pop_random(&mut self, rng: &mut Rng) -> Bytes {
        let position = self.members.random_position(rng);
        self.members.remove_at(position)
    }

    /// One `SSCAN` step (see `Dense::scan`).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, visit: impl FnMut(&'a Bytes)) -> u64 {
        self.members.scan(cursor, count, visit)
    }

    pub fn encoding(&self) -> &'static str {
        if self.is_intset() {
            "intset"
        } else {
            "hashtable"
        }
    }
}

/// Builds a set with Redis's default limit (the RDB loader uses the configured one).
impl FromIterator<Bytes> for Set {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Set {
        let mut set = Set::new();
        for member in iter {
            set.insert(&member, Limits::default());
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(members: &[&str]) -> Set {
        members.iter().map(|m| Bytes::new(m.as_bytes())).collect()
    }

    fn listed(set: &Set) -> Vec<String> {
        set.iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    #[test]
    fn integers_stay_intset_and_sorted_until_a_string_arrives() {
        let mut set = set_of(&["10", "-5", "3", "3"]);
        assert_eq!(set.encoding(), "intset");
        assert_eq!(listed(&set), ["-5", "3", "10"]);
        assert!(set.contains(b"10") && !set.contains(b"010") && !set.contains(b"x"));
        assert!(set.insert(b"x", Limits::default()));
        set.remove(b"x");
        assert_eq!(set.encoding(), "hashtable", "never converts back");
        assert!(set.contains(b"-5") && set.contains(b"10"));
    }

    #[test]
    fn one_integer_too_many_makes_a_hashtable() {
        let limits = Limits {
            max_intset_entries: 2,
        };
        let mut set = Set::new();
        set.insert(b"1", limits);
        set.insert(b"2", limits);
        assert!(
            !set.insert(b"2", limits),
            "an existing member changes nothing"
        );
        assert_eq!(set.encoding(), "intset");
        set.insert(b"3", limits);
        assert_eq!(set.encoding(), "hashtable");
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn random_pops_empty_the_set() {
        let mut set = set_of(&["a", "b", "c"]);
        let mut rng = Rng::seeded(1);
        let mut popped: Vec<Bytes> = (0..3).map(|_| set.pop_random(&mut rng)).collect();
        popped.sort();
        assert_eq!(
            popped,
            [Bytes::new(b"a"), Bytes::new(b"b"), Bytes::new(b"c")]
        );
        assert!(set.is_empty());
    }
}
