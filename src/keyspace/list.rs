//! The list type (Redis's t_list.c data side): a double-ended queue of byte strings. Pure data;
//! the commands are in `commands/lists.rs`.
//!
//! Redis 7.0 stores every list as a quicklist (a linked list of listpacks), so `OBJECT ENCODING`
//! always says `quicklist`; thredis keeps a `VecDeque`, which gives the same complexity for the
//! operations the commands need (O(1) at both ends, O(1) by index).

use std::collections::VecDeque;

use super::Bytes;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    items: VecDeque<Bytes>,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The elements from head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn push_front(&mut self, item: Bytes) {
        self.items.push_front(item);
    }

    pub fn push_back(&mut self, item: Bytes) {
        self.items.push_back(item);
    }

    pub fn pop_front(&mut self) -> Option<Bytes> {
        self.items.pop_front()
    }

    pub fn pop_back(&mut self) -> Option<Bytes> {
        self.items.pop_back()
    }

    /// The element at `index` from the head (0-based).
    pub fn get(&self, index: usize) -> Option<&Bytes> {
        self.items.get(index)
    }

    /// The name `OBJECT ENCODING` reports: Redis 7.0 has no other list encoding.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
}

impl FromIterator<Bytes> for List {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> List {
        List {
            items: iter.into_iter().collect(),
        }
    }
}
