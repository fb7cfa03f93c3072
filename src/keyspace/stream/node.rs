//! One node of a stream: a run of consecutive entries packed into one byte vector, the way
//! Redis packs them into one listpack per radix-tree node (t_stream.c's "macro nodes").
//!
//! # The packing
//! A node remembers its *master* entry: the ID and the field names of the first entry added to
//! it. Every entry is then stored as
//!
//! ```text
//! flags | ms - master.ms | seq | [field count | field...] | value...
//! ```
//!
//! with every number a LEB128 varint and every string its length (a varint) then its bytes.
//! When an entry's fields are the master's (the usual case: a stream's entries mostly share
//! their fields), the flags say so and the field names are not stored again, as Redis's
//! `SAMEFIELDS` flag does. `XADD key * f v` then costs 5 bytes in the node (about 11 in Redis's listpack).
//!
//! Deleting an entry (`XDEL`, an exact trim inside a node) sets its `DELETED` flag in place, as
//! Redis does: the bytes stay until the whole node goes, which keeps deletion O(node) and the
//! node's shape (what `XINFO STREAM FULL` and an RDB file show) Redis's.
//!
//! The node also keeps the size Redis's listpack would have ([`Node::listpack_bytes`]), so it
//! closes when Redis's would (`stream-node-max-bytes`) and an `XADD ... MAXLEN ~` trims at the
//! same node boundaries as redis-server.

use super::id::StreamId;
use crate::keyspace::Bytes;

/// The entry was deleted; its bytes stay until the node goes.
const DELETED: u8 = 1;
/// The entry's fields are the master entry's, and are not stored.
const SAME_FIELDS: u8 = 2;

/// A run of entries; see the module documentation.
#[derive(Clone, Debug)]
pub struct Node {
    master: StreamId,
    master_fields: Box<[Bytes]>,
    data: Vec<u8>,
    /// Entries stored, deleted ones included (Redis's `count + deleted`).
    stored: u32,
    deleted: u32,
    /// The bytes Redis's listpack for this node would take, but for the master entry's live
    /// and deleted counts, whose size changes as they grow.
    listpack_bytes: usize,
}

/// An entry as stored, read back from a node.
#[derive(Clone, Copy, Debug)]
pub struct RawEntry<'n> {
    pub id: StreamId,
    pub deleted: bool,
    /// Where the entry's flags byte is in the node (for marking it deleted).
    offset: usize,
    /// The field names, when stored with the entry; `None` means the master's.
    own_fields: Option<(usize, &'n [u8])>,
    values: &'n [u8],
    field_count: usize,
    master_fields: &'n [Bytes],
}

impl<'n> RawEntry<'n> {
    /// How many field-value pairs the entry has.
    pub fn field_count(&self) -> usize {
        self.field_count
    }

    /// Whether the fields are the master entry's (Redis's `SAMEFIELDS` flag).
    pub fn same_fields(&self) -> bool {
        self.own_fields.is_none()
    }

    /// The field-value pairs, in the order they were added.
    pub fn pairs(&self) -> impl Iterator<Item = (&'n [u8], &'n [u8])> + 'n {
        let mut values = Strings(self.values);
        let mut own = self.own_fields.map(|(_, bytes)| Strings(bytes));
        let mut master = self.master_fields.iter();
        (0..self.field_count).map(move |_| {
            let field = match own.as_mut() {
                Some(fields) => fields.next_string(),
                None => master.next().map_or(&[][..], |f| f.as_slice()),
            };
            (field, values.next_string())
        })
    }
}

impl Node {
    /// A node whose master entry is the entry `id` with `pairs` (field, value, field,
    /// value...), holding that entry.
    pub fn new(id: StreamId, pairs: &[&[u8]]) -> Node {
        let master_fields = pairs.iter().step_by(2).map(|f| Bytes::new(f)).collect();
        let mut node = Node::with_master(id, master_fields);
        node.push(id, pairs, false);
        node
    }

    /// A node with its master ID and fields and no entry yet (an RDB file describes nodes
    /// so); entries follow with [`Node::push`].
    pub fn with_master(master: StreamId, master_fields: Box<[Bytes]>) -> Node {
        // The listpack's header and end byte, then the master entry's field count, fields and
        // terminating 0. Its two counts grow with the node: see `listpack_bytes`.
        let fields: usize = master_fields.iter().map(|f| string_size(f)).sum();
        let listpack_bytes =
            7 + integer_size(master_fields.len() as i64) + fields + integer_size(0);
        Node {
            master,
            master_fields,
            data: Vec::new(),
            stored: 0,
            deleted: 0,
            listpack_bytes,
        }
    }

    /// The master entry's ID: the node's key, never after its first entry's.
    pub fn master(&self) -> StreamId {
        self.master
    }

    pub fn master_fields(&self) -> &[Bytes] {
        &self.master_fields
    }

    /// Entries stored, deleted ones included.
    pub fn stored(&self) -> usize {
        self.stored as usize
    }

    pub fn deleted(&self) -> usize {
        self.deleted as usize
    }

    /// Entries not deleted.
    pub fn live(&self) -> usize {
        (self.stored - self.deleted) as usize
    }

    /// The size Redis's listpack for this node would have.
    pub fn listpack_bytes(&self) -> usize {
        self.listpack_bytes
            + integer_size(self.live() as i64)
            + integer_size(i64::from(self.deleted))
    }

    /// Heap bytes this node holds, for `MEMORY USAGE`.
    pub fn heap_size(&self) -> usize {
        self.data.capacity()
            + self.master_fields.len() * std::mem::size_of::<Bytes>()
            + self
                .master_fields
                .iter()
                .map(Bytes::heap_size)
                .sum::<usize>()
    }

    /// Whether Redis would add an entry of `pairs` to this node rather than open a new one
    /// (`streamAppendItem`): not if the listpack would reach `max_bytes` (0 is Redis's
    /// ceiling of 1 GB) or already holds `max_entries` entries (0 is no limit).
    pub fn has_room(&self, pairs: &[&[u8]], max_bytes: usize, max_entries: usize) -> bool {
        const LISTPACK_MAX: usize = 1 << 30;
        let max_bytes = if max_bytes == 0 || max_bytes > LISTPACK_MAX {
            LISTPACK_MAX
        } else {
            max_bytes
        };
        let added: usize = pairs.iter().map(|p| p.len()).sum();
        self.listpack_bytes() + added < max_bytes
            && (max_entries == 0 || self.stored() < max_entries)
    }

    /// Appends the entry `id` (after every entry of the node) with `pairs`, deleted already
    /// if `deleted` (an RDB file keeps deleted entries).
    pub fn push(&mut self, id: StreamId, pairs: &[&[u8]], deleted: bool) {
        debug_assert!(pairs.len() % 2 == 0);
        let same = pairs.len() / 2 == self.master_fields.len()
            && pairs
                .iter()
                .step_by(2)
                .zip(self.master_fields.iter())
                .all(|(f, m)| *f == m.as_slice());
        let mut flags = if same { SAME_FIELDS } else { 0 };
        if deleted {
            flags |= DELETED;
        }
        self.data.push(flags);
        put_varint(&mut self.data, id.ms - self.master.ms);
        put_varint(&mut self.data, id.seq);
        let mut elements = 3;
        let mut bytes = integer_size(i64::from(flags))
            + integer_size((id.ms - self.master.ms) as i64)
            + integer_size(id.seq.wrapping_sub(self.master.seq) as i64);
        if !same {
            put_varint(&mut self.data, (pairs.len() / 2) as u64);
            bytes += integer_size(pairs.len() as i64 / 2);
            elements += 1;
            for field in pairs.iter().step_by(2) {
                put_string(&mut self.data, field);
                bytes += string_size(field);
            }
            elements += pairs.len() / 2;
        }
        for value in pairs.iter().skip(1).step_by(2) {
            put_string(&mut self.data, value);
            bytes += string_size(value);
        }
        elements += pairs.len() / 2;
        self.listpack_bytes += bytes + integer_size(elements as i64);
        self.stored += 1;
        if deleted {
            self.deleted += 1;
        }
    }

    /// Every entry stored, deleted ones included, in ID order.
    pub fn raw_entries(&self) -> RawEntries<'_> {
        RawEntries { node: self, at: 0 }
    }

    /// The live entries, newest first. A node is small (100 entries by default), so the
    /// offsets are collected walking forwards, then read backwards.
    pub fn live_entries_rev(&self) -> impl Iterator<Item = RawEntry<'_>> {
        let offsets: Vec<usize> = self
            .raw_entries()
            .filter(|e| !e.deleted)
            .map(|e| e.offset)
            .collect();
        offsets.into_iter().rev().map(move |at| self.entry_at(at).0)
    }

    /// Marks the entry `id` deleted; false if the node has no live entry `id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let found = self
            .raw_entries()
            .take_while(|e| e.id <= id)
            .find(|e| e.id == id && !e.deleted)
            .map(|e| e.offset);
        match found {
            Some(at) => {
                self.mark_deleted(at);
                true
            }
            None => false,
        }
    }

    /// Marks deleted the live entries from the oldest on while `condition` holds for them,
    /// at most `limit`; returns how many were marked.
    pub fn delete_oldest_while(
        &mut self,
        limit: usize,
        mut condition: impl FnMut(StreamId) -> bool,
    ) -> usize {
        let doomed: Vec<usize> = self
            .raw_entries()
            .filter(|e| !e.deleted)
            .take_while(|e| condition(e.id))
            .take(limit)
            .map(|e| e.offset)
            .collect();
        for &at in &doomed {
            self.mark_deleted(at);
        }
        doomed.len()
    }

    /// The first live entry's ID, and the last one's.
    pub fn first_live(&self) -> Option<StreamId> {
        self.raw_entries().find(|e| !e.deleted).map(|e| e.id)
    }

    pub fn last_live(&self) -> Option<StreamId> {
        self.raw_entries()
            .filter(|e| !e.deleted)
            .last()
            .map(|e| e.id)
    }

    /// The last entry's ID, deleted or not (Redis's `lpGetEdgeStreamID`, which trimming by
    /// MINID compares).
    pub fn last_stored(&self) -> StreamId {
        self.raw_entries().last().map_or(self.master, |e| e.id)
    }

    fn mark_deleted(&mut self, at: usize) {
        self.data[at] |= DELETED;
        self.deleted += 1;
    }

    /// Decodes the entry whose flags are at `at`; returns it and where the next one starts.
    fn entry_at(&self, at: usize) -> (RawEntry<'_>, usize) {
        let data = &self.data[..];
        let flags = data[at];
        let mut pos = at + 1;
        let ms = self.master.ms + get_varint(data, &mut pos);
        let seq = get_varint(data, &mut pos);
        let (own_fields, field_count) = if flags & SAME_FIELDS != 0 {
            (None, self.master_fields.len())
        } else {
            let count = get_varint(data, &mut pos) as usize;
            let start = pos;
            for _ in 0..count {
                skip_string(data, &mut pos);
            }
            (Some((start, &data[start..pos])), count)
        };
        let values_start = pos;
        for _ in 0..field_count {
            skip_string(data, &mut pos);
        }
        let entry = RawEntry {
            id: StreamId::new(ms, seq),
            deleted: flags & DELETED != 0,
            offset: at,
            own_fields,
            values: &data[values_start..pos],
            field_count,
            master_fields: &self.master_fields,
        };
        (entry, pos)
    }
}

/// The entries of a node in order, deleted ones included.
pub struct RawEntries<'n> {
    node: &'n Node,
    at: usize,
}

impl<'n> Iterator for RawEntries<'n> {
    type Item = RawEntry<'n>;

    fn next(&mut self) -> Option<RawEntry<'n>> {
        if self.at >= self.node.data.len() {
            return None;
        }
        let (entry, next) = self.node.entry_at(self.at);
        self.at = next;
        Some(entry)
    }
}

/// Reads length-prefixed strings one after another.
struct Strings<'a>(&'a [u8]);

impl<'a> Strings<'a> {
    fn next_string(&mut self) -> &'a [u8] {
        let mut pos = 0;
        let len = get_varint(self.0, &mut pos) as usize;
        let (string, rest) = self.0[pos..].split_at(len);
        self.0 = rest;
        string
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn get_varint(data: &[u8], pos: &mut usize) -> u64 {
    let mut n = 0u64;
    let mut shift = 0;
    loop {
        let byte = data[*pos];
        *pos += 1;
        n |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return n;
        }
        shift += 7;
    }
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s);
}

fn skip_string(data: &[u8], pos: &mut usize) {
    let len = get_varint(data, pos) as usize;
    *pos += len;
}

/// The bytes a listpack element holding the integer `n` takes, its back-length included
/// (listpack.c's 7-bit, 13-bit, 16, 24, 32 and 64-bit integer encodings).
fn integer_size(n: i64) -> usize {
    match n {
        0..=127 => 2,
        -4096..=4095 => 3,
        -32768..=32767 => 4,
        -8_388_608..=8_388_607 => 5,
        -2_147_483_648..=2_147_483_647 => 6,
        _ => 10,
    }
}

/// The bytes a listpack element holding `s` takes: as an integer if `s` is the canonical text
/// of one (listpack converts those), else a 1, 2 or 5-byte header, the bytes and the
/// back-length.
fn string_size(s: &[u8]) -> usize {
    if s.len() <= 20 {
        if let Some(n) = crate::number::parse_i64(s) {
            return integer_size(n);
        }
    }
    let encoded = s.len()
        + match s.len() {
            0..=63 => 1,
            64..=4095 => 2,
            _ => 5,
        };
    let back_length = match encoded {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    encoded + back_length
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs_of(entry: &RawEntry) -> Vec<(Vec<u8>, Vec<u8>)> {
        entry
            .pairs()
            .map(|(f, v)| (f.to_vec(), v.to_vec()))
            .collect()
    }

    #[test]
    fn entries_read_back_as_they_went_in() {
        let mut node = Node::new(StreamId::new(10, 0), &[b"f", b"v"]);
        node.push(StreamId::new(10, 1), &[b"f", b"w"], false);
        node.push(StreamId::new(300, 0), &[b"g", b"x", b"h", b""], false);
        let entries: Vec<_> = node.raw_entries().collect();
        assert_eq!(entries.len(), 3);
        assert!(entries[1].same_fields());
        assert!(!entries[2].same_fields());
        assert_eq!(entries[2].id, StreamId::new(300, 0));
        assert_eq!(pairs_of(&entries[1]), vec![(b"f".to_vec(), b"w".to_vec())]);
        assert_eq!(
            pairs_of(&entries[2]),
            vec![
                (b"g".to_vec(), b"x".to_vec()),
                (b"h".to_vec(), b"".to_vec())
            ]
        );
    }

    #[test]
    fn a_shared_field_costs_nothing_per_entry() {
        let mut node = Node::new(StreamId::new(1_700_000_000_000, 0), &[b"f", b"v"]);
        let before = node.data.len();
        node.push(StreamId::new(1_700_000_000_001, 0), &[b"f", b"v"], false);
        assert_eq!(node.data.len() - before, 5);
    }

    #[test]
    fn deletion_marks_entries_in_place() {
        let mut node = Node::new(StreamId::new(1, 0), &[b"f", b"v"]);
        for seq in 1..5 {
            node.push(StreamId::new(1, seq), &[b"f", b"v"], false);
        }
        assert!(node.delete(StreamId::new(1, 2)));
        assert!(!node.delete(StreamId::new(1, 2)));
        assert_eq!(node.live(), 4);
        assert_eq!(node.delete_oldest_while(2, |_| true), 2);
        assert_eq!(node.first_live(), Some(StreamId::new(1, 3)));
        let newest: Vec<_> = node.live_entries_rev().map(|e| e.id.seq).collect();
        assert_eq!(newest, vec![4, 3]);
    }

    #[test]
    fn listpack_sizes_follow_listpack_c() {
        assert_eq!(string_size(b"v"), 3);
        assert_eq!(string_size(b"123"), 2);
        assert_eq!(string_size(&[b'x'; 100]), 103);
        assert_eq!(integer_size(-1), 3);
    }
}
