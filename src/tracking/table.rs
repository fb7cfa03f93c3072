//! The tracking table (Redis's `TrackingTable`): for each key a client in the default mode has
//! read, the ids of the clients that may have cached it. Keys are shared by all databases, as in
//! Redis. An entry is dropped when its key is invalidated, so each reader hears of a change
//! once; ids of clients that stopped tracking are left in place (Redis does no id clean-up
//! either) and skipped when the key changes.

use std::collections::HashMap;

use crate::keyspace::Bytes;
use crate::random::Rng;

#[derive(Default)]
pub struct Table {
    readers: HashMap<Bytes, Vec<u64>>,
    /// Ids across all keys (`tracking_total_items`).
    items: usize,
}

impl Table {
    /// Client `id` may cache `key` from now on.
    pub fn remember(&mut self, key: &[u8], id: u64) {
        let readers = match self.readers.get_mut(key) {
            Some(readers) => readers,
            None => self.readers.entry(Bytes::new(key)).or_default(),
        };
        if !readers.contains(&id) {
            readers.push(id);
            self.items += 1;
        }
    }

    /// Forgets `key` and returns who had read it.
    pub fn take(&mut self, key: &[u8]) -> Vec<u64> {
        let readers = self.readers.remove(key).unwrap_or_default();
        self.items -= readers.len();
        readers
    }

    /// A key of the table picked at random (Redis walks its radix tree at random), for the
    /// table limit to evict. Among the first few the map yields: the map's own order is already
    /// unrelated to the keys, and a walk to a random position of a big table would make every
    /// eviction cost the table's size.
    pub fn random_key(&self, rng: &mut Rng) -> Option<Bytes> {
        const WINDOW: usize = 64;
        if self.readers.is_empty() {
            return None;
        }
        let skip = rng.below(self.readers.len().min(WINDOW) as u64) as usize;
        self.readers.keys().nth(skip).cloned()
    }

    /// FLUSHALL and friends: everything is forgotten (each tracking client was told so at once).
    pub fn clear(&mut self) {
        self.readers = HashMap::new();
        self.items = 0;
    }

    /// `tracking_total_keys`.
    pub fn keys(&self) -> usize {
        self.readers.len()
    }

    /// `tracking_total_items`.
    pub fn items(&self) -> usize {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_counts_once_and_taking_a_key_forgets_it() {
        let mut table = Table::default();
        table.remember(b"k", 1);
        table.remember(b"k", 1);
        table.remember(b"k", 2);
        table.remember(b"other", 1);
        assert_eq!((table.keys(), table.items()), (2, 3));
        assert_eq!(table.take(b"k"), [1, 2]);
        assert!(table.take(b"k").is_empty(), "told once");
        assert_eq!((table.keys(), table.items()), (1, 1));
        assert_eq!(
            table.random_key(&mut Rng::seeded(1)).as_deref(),
            Some(&b"other"[..])
        );
        table.clear();
        assert_eq!((table.keys(), table.items()), (0, 0));
        assert!(table.random_key(&mut Rng::seeded(1)).is_none());
    }
}
