//! The list type (Redis's t_list.c data side): a double-ended queue of byte strings. Pure data;
//! the commands are in `commands/lists.rs`. (Lists extension, stages 74–84.)
//!
//! Redis 7.0 stores every list as a quicklist (a linked list of listpacks), so `OBJECT ENCODING`
//! always says `quicklist`. thredis keeps a `VecDeque` of inline-or-boxed [`Bytes`]: pushes and
//! pops at both ends are O(1), and so is reaching any index, which a quicklist cannot do (it
//! walks its nodes), so `LINDEX`, `LSET` and `LRANGE` from the middle cost no more than at the
//! ends. Short elements (up to 22 bytes, most list payloads) live inside the deque's slots
//! without an allocation of their own, which is what makes `LPUSH` and `LRANGE` cheap.

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

    /// The elements at positions `start..=end` (both valid), head to tail.
    pub fn range(
        &self,
        start: usize,
        end: usize,
    ) -> impl DoubleEndedIterator<Item = &Bytes> + ExactSizeIterator {
        self.items.range(start..=end)
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

    /// Replaces the element at `index`; false if there is none.
    pub fn set(&mut self, index: usize, item: Bytes) -> bool {
        match self.items.get_mut(index) {
            Some(slot) => {
                *slot = item;
                true
            }
            None => false,
        }
    }

    /// Inserts `item` so that it ends up at `index` (`index == len()` appends).
    pub fn insert(&mut self, index: usize, item: Bytes) {
        self.items.insert(index, item);
    }

    /// Removes up to `limit` elements equal to `element` (0: all of them), searching from the
    /// head, or from the tail if `from_tail`. Returns how many were removed (`LREM`).
    pub fn remove_matching(&mut self, element: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let mut keep = |item: &Bytes| {
            let drop = item.as_slice() == element && (limit == 0 || removed < limit);
            removed += drop as usize;
            !drop
        };
        if from_tail {
            // `retain` visits head to tail; for a limited removal from the tail, visit a
            // reversed copy of the decisions instead.
            let mut decisions: Vec<bool> = self.items.iter().rev().map(&mut keep).collect();
            decisions.reverse();
            let mut decisions = decisions.into_iter();
            self.items
                .retain(|_| decisions.next().expect("one decision per element"));
        } else {
            self.items.retain(keep);
        }
        removed
    }

    /// Keeps only the elements at positions `start..=end` (both valid), dropping the rest
    /// (`LTRIM`). Returns how many were dropped.
    pub fn keep_range(&mut self, start: usize, end: usize) -> usize {
        let before = self.items.len();
        self.items.truncate(end + 1);
        self.items.drain(..start);
        before - self.items.len()
    }

    /// Removes every element (`LTRIM` to an empty range). Returns how many there were.
    pub fn clear(&mut self) -> usize {
        let before = self.items.len();
        self.items.clear();
        before
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

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        items.iter().map(|s| Bytes::new(s.as_bytes())).collect()
    }

    fn contents(list: &List) -> Vec<String> {
        list.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn limited_removal_counts_from_the_chosen_end() {
        let mut from_head = list(&["a", "x", "b", "x", "c", "x"]);
        assert_eq!(from_head.remove_matching(b"x", 2, false), 2);
        assert_eq!(contents(&from_head), ["a", "b", "c", "x"]);
        let mut from_tail = list(&["a", "x", "b", "x", "c", "x"]);
        assert_eq!(from_tail.remove_matching(b"x", 2, true), 2);
        assert_eq!(contents(&from_tail), ["a", "x", "b", "c"]);
        let mut all = list(&["x", "x", "a"]);
        assert_eq!(all.remove_matching(b"x", 0, true), 2);
        assert_eq!(contents(&all), ["a"]);
    }

    #[test]
    fn keep_range_drops_both_ends() {
        let mut l = list(&["a", "b", "c", "d", "e"]);
        assert_eq!(l.keep_range(1, 3), 2);
        assert_eq!(contents(&l), ["b", "c", "d"]);
    }
}
