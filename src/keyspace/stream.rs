//! The stream type (Redis's t_stream.c data side): an append-only log of entries, each an ID
//! ([`StreamId`]) and field-value pairs, plus the stream's consumer groups. Pure data; the
//! commands are in `commands/streams.rs`.
//!
//! # Shape
//! Entries live in [`Node`]s of up to `stream-node-max-entries` entries (and
//! `stream-node-max-bytes` of Redis's listpack), each packed into one byte vector with IDs
//! delta-encoded and shared field names stored once (see `stream/node.rs`). The nodes sit in
//! an ordered map keyed by their first entry's ID, where Redis has a radix tree keyed the same
//! way. So:
//! - **appending** is O(1) amortised: the last node takes the entry, or a new node opens;
//! - **a range read** finds its first node in O(log n) and walks on: O(log n + k);
//! - **deleting** an entry marks it in its node (O(log n + node)), and a node whose entries
//!   are all deleted goes; **trimming** drops whole nodes from the front, and an exact trim
//!   marks entries inside the first remaining one, as Redis's `streamTrim` does.
//!
//! A node boundary falls where redis-server's would (the node tracks the size its listpack
//! would have), so `XADD ... MAXLEN ~ n` keeps the same entries on both servers, and an RDB
//! file saves one listpack per node.
//!
//! # What the stream remembers besides its entries
//! `last_id` (the top ID ever added, kept when entries go), `first_id` (the first live entry),
//! `max_deleted_id` (the greatest ID `XDEL` removed) and `entries_added` (every entry ever
//! added): Redis 7's fields, which consumer-group lag is computed from.

pub mod group;
mod id;
mod node;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use super::Bytes;
pub use group::{Consumer, Group, Pending};
pub use id::{ParsedId, StreamId};
pub use node::{Node, RawEntry};

/// When a node closes: Redis's `stream-node-max-bytes` and `stream-node-max-entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub node_max_bytes: usize,
    pub node_max_entries: usize,
}

impl Default for Limits {
    /// Redis's defaults.
    fn default() -> Limits {
        Limits {
            node_max_bytes: 4096,
            node_max_entries: 100,
        }
    }
}

/// What a trim keeps: `MAXLEN n` (the newest n entries) or `MINID id` (entries from `id` on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// A stream; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    length: u64,
    last_id: StreamId,
    first_id: StreamId,
    max_deleted_id: StreamId,
    entries_added: u64,
    groups: BTreeMap<Bytes, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Live entries (`XLEN`).
    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The greatest ID ever added (or set by `XSETID`).
    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// The first live entry's ID, `0-0` when there is none.
    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    /// The greatest ID `XDEL` removed.
    pub fn max_deleted_id(&self) -> StreamId {
        self.max_deleted_id
    }

    /// How many entries were ever added.
    pub fn entries_added(&self) -> u64 {
        self.entries_added
    }

    /// `XSETID`, and an RDB file's stream metadata.
    pub fn set_last_id(&mut self, id: StreamId) {
        self.last_id = id;
    }

    pub fn set_entries_added(&mut self, entries_added: u64) {
        self.entries_added = entries_added;
    }

    pub fn set_max_deleted_id(&mut self, id: StreamId) {
        self.max_deleted_id = id;
    }

    /// The nodes in ID order (an RDB file saves them one by one; `XINFO STREAM` counts them).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Node> {
        self.nodes.values()
    }

    /// The ID `XADD key *` gives at `now_ms` (Redis's `streamNextID`): `now_ms-0` if the clock
    /// is past the last ID's time, else the ID after the last; `None` once the stream has
    /// reached the greatest possible ID.
    pub fn auto_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.next()
        }
    }

    /// Adds an entry with `pairs` (field, value, field, value...) under `id`, which must be
    /// greater than [`Stream::last_id`] (the caller checked, with Redis's error).
    pub fn append(&mut self, id: StreamId, pairs: &[&[u8]], limits: Limits) {
        debug_assert!(id > self.last_id);
        let tail = self.nodes.last_entry();
        match tail {
            Some(mut tail)
                if tail
                    .get()
                    .has_room(pairs, limits.node_max_bytes, limits.node_max_entries) =>
            {
                tail.get_mut().push(id, pairs, false)
            }
            _ => {
                self.nodes.insert(id, Node::new(id, pairs));
            }
        }
        if self.length == 0 {
            self.first_id = id;
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
    }

    /// Adds a node read from an RDB file, after every node already here. The caller sets the
    /// metadata the file stores (`last_id`, `entries_added`, `max_deleted_id`).
    pub fn push_node(&mut self, node: Node) {
        self.length += node.live() as u64;
        self.nodes.insert(node.master(), node);
        self.refresh_first_id();
    }

    /// The live entry `id`.
    pub fn get(&self, id: StreamId) -> Option<RawEntry<'_>> {
        self.range(id, id).next()
    }

    /// The live entries from `start` to `end`, both included, oldest first.
    pub fn range(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = RawEntry<'_>> {
        // The node holding `start` is the last one keyed at or before it.
        let from = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(StreamId::MIN, |(&master, _)| master);
        self.nodes
            .range(from..)
            .flat_map(|(_, node)| node.raw_entries())
            .filter(|entry| !entry.deleted)
            .skip_while(move |entry| entry.id < start)
            .take_while(move |entry| entry.id <= end)
    }

    /// The live entries from `end` down to `start`, both included, newest first.
    pub fn range_rev(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = RawEntry<'_>> {
        self.nodes
            .range(..=end)
            .rev()
            .flat_map(|(_, node)| node.live_entries_rev())
            .skip_while(move |entry| entry.id > end)
            .take_while(move |entry| entry.id >= start)
    }

    /// `XDEL` of one ID: whether a live entry went. Keeps `first_id` and `max_deleted_id` as
    /// Redis's `xdelCommand` does.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        if !node.delete(id) {
            return false;
        }
        if node.live() == 0 {
            self.nodes.remove(&master);
        }
        self.length -= 1;
        self.max_deleted_id = self.max_deleted_id.max(id);
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.refresh_first_id();
        }
        true
    }

    /// Trims as Redis's `streamTrim` does; returns how many entries went. Whole nodes go from
    /// the front while what stays still satisfies `trim`; then, unless `approx`, entries
    /// inside the next node are marked deleted until it is met exactly. `limit` (0: none)
    /// caps the entries removed, whole nodes only: Redis's `LIMIT`, which only `~` takes.
    pub fn trim(&mut self, trim: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0;
        while let Some(mut first) = self.nodes.first_entry() {
            if let Trim::MaxLen(max) = trim {
                if self.length <= max {
                    break;
                }
            }
            let node = first.get_mut();
            let entries = node.live() as u64;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let whole = match trim {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => node.last_stored() < min,
            };
            if whole {
                first.remove();
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let marked = match trim {
                Trim::MaxLen(max) => {
                    node.delete_oldest_while((self.length - max) as usize, |_| true)
                }
                Trim::MinId(min) => node.delete_oldest_while(usize::MAX, |id| id < min),
            } as u64;
            self.length -= marked;
            deleted += marked;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// The consumer groups, by name.
    pub fn groups(&self) -> &BTreeMap<Bytes, Group> {
        &self.groups
    }

    pub fn groups_mut(&mut self) -> &mut BTreeMap<Bytes, Group> {
        &mut self.groups
    }

    /// Heap bytes held, for `MEMORY USAGE`: the nodes and their map, the groups roughly.
    pub fn heap_size(&self) -> usize {
        const MAP_SLOT: usize = 48;
        let nodes: usize = self.nodes.values().map(|n| n.heap_size() + MAP_SLOT).sum();
        let groups: usize = self
            .groups
            .iter()
            .map(|(name, group)| {
                name.heap_size()
                    + MAP_SLOT
                    + group.pel.len() * (MAP_SLOT + 40)
                    + group.consumers.len() * (MAP_SLOT + 48)
            })
            .sum();
        nodes + groups
    }

    /// Redis's `streamGetEdgeID(s, 1, 1, ...)`: the first entry not deleted.
    fn refresh_first_id(&mut self) {
        self.first_id = self
            .nodes
            .values()
            .find_map(Node::first_live)
            .unwrap_or(StreamId::MIN);
    }
}
