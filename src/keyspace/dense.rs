//! The storage behind hashes and sets: their elements in one dense vector, plus, once the
//! collection is large enough that Redis would have converted it to a hash table, a map from
//! each element's key to its position. Pure data; `hash.rs` and `set.rs` build on it.
//!
//! # Why a vector first
//! - **Random picks in O(1)** (`SRANDMEMBER`, `SPOP`, `HRANDFIELD`): a random position is a
//!   random element. std's `HashMap` has no way to pick one without walking it.
//! - **A `SCAN` cursor that keeps Redis's guarantee**: every element present for the whole
//!   iteration is returned at least once, however the collection changes between calls. The
//!   cursor is a position, and [`Dense::scan`] walks *down* from the end. New elements are
//!   appended (above the cursor: they may be missed, which Redis allows), and a removal moves
//!   only the *last* element, into the hole (`swap_remove`). An element below the cursor (not
//!   yet returned) can therefore never move above it; the last element, when it moves down, may
//!   be returned twice, which Redis allows too.
//! - **Small collections stay small and ordered**, as Redis's listpacks and intsets are: no map
//!   at all, removals shift the elements after them (`Vec::remove`), so a small hash lists its
//!   fields in insertion order exactly as Redis does. Lookups are then a linear search (a
//!   binary search for intsets), as in Redis, over at most `*-max-*` elements.

use std::collections::HashMap;

use super::Bytes;
use super::hasher::KeyHashBuilder;
use crate::random::Rng;

/// An element with a key: a set member is its own key, a hash entry is keyed by its field.
pub trait Keyed {
    fn key(&self) -> &[u8];
}

impl Keyed for Bytes {
    fn key(&self) -> &[u8] {
        self
    }
}

impl Keyed for (Bytes, Bytes) {
    fn key(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Clone, Debug)]
pub struct Dense<T> {
    items: Vec<T>,
    /// Key → position in `items`; `None` while the collection is in its compact form.
    index: Option<HashMap<Bytes, usize, KeyHashBuilder>>,
}

impl<T> Default for Dense<T> {
    fn default() -> Self {
        Dense {
            items: Vec::new(),
            index: None,
        }
    }
}

impl<T: Keyed> Dense<T> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Whether the key → position map exists (Redis's `hashtable` encoding).
    pub fn is_indexed(&self) -> bool {
        self.index.is_some()
    }

    /// The position of `key`: through the map, or by a linear search in the compact form.
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.items.iter().position(|item| item.key() == key),
        }
    }

    /// Builds the map: the collection leaves its compact form for good.
    pub fn build_index(&mut self) {
        if self.index.is_none() {
            let mut index =
                HashMap::with_capacity_and_hasher(self.items.len(), KeyHashBuilder::new());
            for (position, item) in self.items.iter().enumerate() {
                index.insert(Bytes::new(item.key()), position);
            }
            self.index = Some(index);
        }
    }

    /// Appends an element whose key is not present.
    pub fn push(&mut self, item: T) {
        if let Some(index) = &mut self.index {
            index.insert(Bytes::new(item.key()), self.items.len());
        }
        self.items.push(item);
    }

    /// Inserts an element at `position`, shifting the ones after it: only in the compact form,
    /// where positions are not indexed (intsets keep their members sorted this way).
    pub fn insert_at(&mut self, position: usize, item: T) {
        debug_assert!(
            self.index.is_none(),
            "positions of an indexed collection never shift"
        );
        self.items.insert(position, item);
    }

    /// Removes the element at `position`: in order in the compact form, by moving the last
    /// element into its place once indexed (see the module documentation for why that keeps
    /// `SCAN`'s guarantee).
    pub fn remove_at(&mut self, position: usize) -> T {
        let Some(index) = &mut self.index else {
            return self.items.remove(position);
        };
        let item = self.items.swap_remove(position);
        index.remove(item.key());
        if let Some(moved) = self.items.get(position) {
            if let Some(slot) = index.get_mut(moved.key()) {
                *slot = position;
            }
        }
        item
    }

    /// The element at `position`, to change anything but its key (a hash field's value).
    pub fn item_mut(&mut self, position: usize) -> &mut T {
        &mut self.items[position]
    }

    /// A uniformly random position. The collection must not be empty.
    pub fn random_position(&self, rng: &mut Rng) -> usize {
        rng.below(self.items.len() as u64) as usize
    }

    /// One `SCAN` step from `cursor` (0 starts an iteration): visits about `count` elements and
    /// returns the cursor to continue from, 0 once the iteration is complete. The compact form
    /// is visited whole in one step, as Redis does for listpacks and intsets.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut visit: impl FnMut(&'a T)) -> u64 {
        if self.index.is_none() {
            self.items.iter().for_each(visit);
            return 0;
        }
        let end = match usize::try_from(cursor) {
            Ok(0) | Err(_) => self.items.len(),
            Ok(cursor) => cursor.min(self.items.len()),
        };
        let start = end.saturating_sub(count.max(1));
        self.items[start..end].iter().rev().for_each(&mut visit);
        start as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(members: &[&str], indexed: bool) -> Dense<Bytes> {
        let mut dense = Dense::default();
        for member in members {
            dense.push(Bytes::new(member.as_bytes()));
        }
        if indexed {
            dense.build_index();
        }
        dense
    }

    fn keys(dense: &Dense<Bytes>) -> Vec<String> {
        dense
            .items()
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn compact_removal_keeps_order_and_indexed_removal_moves_the_last() {
        let mut compact = dense(&["a", "b", "c", "d"], false);
        compact.remove_at(1);
        assert_eq!(keys(&compact), ["a", "c", "d"]);
        let mut indexed = dense(&["a", "b", "c", "d"], true);
        indexed.remove_at(1);
        assert_eq!(keys(&indexed), ["a", "d", "c"]);
        assert_eq!(
            indexed.find(b"d"),
            Some(1),
            "the moved element's position follows it"
        );
        assert_eq!(indexed.find(b"b"), None);
    }

    #[test]
    fn a_scan_returns_every_element_that_stays_while_others_come_and_go() {
        let names: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut set = dense(&refs, true);
        let mut rng = Rng::seeded(7);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut added = 0;
        loop {
            cursor = set.scan(cursor, 10, |m| {
                seen.insert(m.clone());
            });
            // Between calls: remove a few of the "temporary" elements and add new ones.
            for _ in 0..3 {
                let position = set.random_position(&mut rng);
                if set.items()[position].starts_with(b"t")
                    || set.items()[position].starts_with(b"m9")
                {
                    set.remove_at(position);
                }
                set.push(Bytes::new(format!("t{added}").as_bytes()));
                added += 1;
            }
            if cursor == 0 {
                break;
            }
        }
        for name in &names {
            let stayed = !name.starts_with("m9");
            if stayed {
                assert!(seen.contains(name.as_bytes()), "{name} was missed");
            }
        }
    }

    #[test]
    fn a_compact_collection_is_scanned_in_one_step() {
        let small = dense(&["a", "b"], false);
        let mut seen = 0;
        assert_eq!(small.scan(0, 1, |_| seen += 1), 0);
        assert_eq!(seen, 2);
    }
}
