//! Streams in an RDB file (rdb.c's `OBJ_STREAM` branches of `rdbSaveObject` and
//! `rdbLoadObject`): saved as `RDB_TYPE_STREAM_LISTPACKS_2`, what Redis 7.0 writes; loaded from
//! that, from Redis 5–6's `STREAM_LISTPACKS` and from Redis 7.2's `STREAM_LISTPACKS_3`.
//!
//! ```text
//! <node count>
//!   <16-byte big-endian master ID> <listpack>        one pair per node, in ID order
//! <length> <last_id> [<first_id> <max_deleted_id> <entries_added>]   (the bracket: not in 15)
//! <group count>
//!   <name> <last_id> [<entries_read>]                 (not in 15; -1 as 2^64-1: unknown)
//!   <pel count> (<16-byte ID> <delivery time, 8 bytes LE> <delivery count>)...
//!   <consumer count>
//!     <name> <seen time, 8 bytes LE> [<active time, 8 bytes LE>]   (only in 21)
//!     <pel count> <16-byte ID>...                     each one of the group's PEL
//! ```
//! (every ID not in raw form is two lengths, ms then seq.)
//!
//! A node's listpack is laid out exactly as t_stream.c lays it out in memory, so a file thredis
//! writes holds the bytes redis-server would have written for the same stream:
//!
//! ```text
//! count | deleted | field count | field... | 0                       the master entry
//! flags | ms - master ms | seq - master seq | field count | field | value | ... | lp-count
//! flags | ms - master ms | seq - master seq | value | ... | lp-count        (SAMEFIELDS)
//! ```
//!
//! where the second form is for an entry whose field names are the master's, and `lp-count` is
//! how many listpack elements the entry took before it (so it can be read backwards).

use std::collections::BTreeMap;
use std::io::BufRead;

use super::compact::{self, Corrupt, ListpackWriter};
use super::load::{Input, LoadError};
use super::{types, write_length, write_string};
use crate::keyspace::Bytes;
use crate::keyspace::stream::group::Tally;
use crate::keyspace::stream::{Consumer, Group, Node, Pending, Stream, StreamId};

/// An entry's flags in its node (t_stream.c's `STREAM_ITEM_FLAG_*`).
const FLAG_DELETED: i64 = 1;
const FLAG_SAME_FIELDS: i64 = 2;

/// Redis's `SCG_INVALID_ENTRIES_READ` (-1) as `rdbSaveLen` writes it.
const UNKNOWN_ENTRIES_READ: u64 = u64::MAX;

const BAD_LISTPACK: &str = "Stream listpack integrity check failed.";

/// Appends `stream` as `RDB_TYPE_STREAM_LISTPACKS_2` and returns that type.
pub fn encode(out: &mut Vec<u8>, stream: &Stream, compress: bool) -> u8 {
    write_length(out, stream.nodes().len() as u64);
    for node in stream.nodes() {
        write_string(out, &node.master().to_be_bytes(), compress);
        write_string(out, &node_listpack(node), compress);
    }
    write_length(out, stream.len());
    write_id(out, stream.last_id());
    write_id(out, stream.first_id());
    write_id(out, stream.max_deleted_id());
    write_length(out, stream.entries_added());
    write_length(out, stream.groups().len() as u64);
    for (name, group) in stream.groups() {
        write_string(out, name, compress);
        encode_group(out, group, compress);
    }
    types::STREAM_LISTPACKS_2
}

/// A group after its name: where it has read to, its PEL with the delivery data, then its
/// consumers, each with only the IDs it holds (the loader finds their data in the group's PEL).
fn encode_group(out: &mut Vec<u8>, group: &Group, compress: bool) {
    write_id(out, group.last_id);
    write_length(out, group.entries_read.unwrap_or(UNKNOWN_ENTRIES_READ));
    write_length(out, group.pel.len() as u64);
    for (id, pending) in &group.pel {
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&pending.delivery_time.to_le_bytes());
        write_length(out, pending.delivery_count);
    }
    write_length(out, group.consumers.len() as u64);
    for (name, consumer) in &group.consumers {
        write_string(out, name, compress);
        out.extend_from_slice(&consumer.seen_time.to_le_bytes());
        write_length(out, consumer.pel.len() as u64);
        for id in &consumer.pel {
            out.extend_from_slice(&id.to_be_bytes());
        }
    }
}

/// An ID as two RDB lengths (`rdbSaveLen(ms)`, `rdbSaveLen(seq)`).
fn write_id(out: &mut Vec<u8>, id: StreamId) {
    write_length(out, id.ms);
    write_length(out, id.seq);
}

/// The listpack Redis holds for `node` (see the module documentation).
pub fn node_listpack(node: &Node) -> Vec<u8> {
    let mut listpack = ListpackWriter::new();
    listpack.push_integer(node.live() as i64);
    listpack.push_integer(node.deleted() as i64);
    listpack.push_integer(node.master_fields().len() as i64);
    for field in node.master_fields() {
        listpack.push(field);
    }
    listpack.push_integer(0);
    let master = node.master();
    for entry in node.raw_entries() {
        let same_fields = entry.same_fields();
        let mut flags = 0;
        if entry.deleted {
            flags |= FLAG_DELETED;
        }
        if same_fields {
            flags |= FLAG_SAME_FIELDS;
        }
        listpack.push_integer(flags);
        // Redis subtracts the unsigned halves and stores the result as a signed integer.
        listpack.push_integer(entry.id.ms.wrapping_sub(master.ms) as i64);
        listpack.push_integer(entry.id.seq.wrapping_sub(master.seq) as i64);
        let fields = entry.field_count();
        if !same_fields {
            listpack.push_integer(fields as i64);
        }
        for (field, value) in entry.pairs() {
            if !same_fields {
                listpack.push(field);
            }
            listpack.push(value);
        }
        listpack.push_integer(elements_before_lp_count(fields, same_fields) as i64);
    }
    listpack.finish()
}

/// An entry's `lp-count`: flags, the two ID deltas and the values, plus the field count and
/// the fields when they are stored.
fn elements_before_lp_count(fields: usize, same_fields: bool) -> usize {
    if same_fields {
        3 + fields
    } else {
        4 + 2 * fields
    }
}

/// Reads a stream of RDB type `kind` (15, 19 or 21). Everything is checked that the stream's
/// own code relies on (entries in ID order, counts that agree, PELs that agree), so a damaged
/// file is refused rather than loaded into a stream that misbehaves later.
pub(super) fn load<R: BufRead>(input: &mut Input<R>, kind: u8) -> Result<Stream, LoadError> {
    let mut stream = Stream::new();
    let nodes = input.length()?;
    let mut last_stored = None;
    for _ in 0..nodes {
        let key = input.string()?;
        let blob = input.string()?;
        let node = decode_node(&key, &blob).map_err(|Corrupt(reason)| input.corrupt(reason))?;
        if last_stored.is_some_and(|last| node.master() <= last) {
            return Err(input.corrupt("Listpack re-added with existing key"));
        }
        last_stored = Some(node.last_stored());
        stream.push_node(node);
    }
    let length = input.length()?;
    let last_id = read_id(input)?;
    if length != stream.len() || last_stored.is_some_and(|last| last > last_id) {
        return Err(input.corrupt("Stream length inconsistent with rax entries"));
    }
    stream.set_last_id(last_id);
    if kind == types::STREAM_LISTPACKS {
        // Redis 5 and 6 kept no counter: every entry still there is all that was added.
        stream.set_entries_added(length);
    } else {
        // The first entry's ID is known from the nodes already.
        read_id(input)?;
        stream.set_max_deleted_id(read_id(input)?);
        stream.set_entries_added(input.length()?);
    }
    let groups = input.length()?;
    for _ in 0..groups {
        let name = Bytes::from(input.string()?);
        let group = load_group(input, kind, &stream)?;
        if stream.groups_mut().insert(name, group).is_some() {
            return Err(input.corrupt("Duplicated consumer group name"));
        }
    }
    Ok(stream)
}

/// One group after its name. The PEL comes first without owners; each consumer then names the
/// IDs it holds, and every entry must end up with exactly one.
fn load_group<R: BufRead>(
    input: &mut Input<R>,
    kind: u8,
    stream: &Stream,
) -> Result<Group, LoadError> {
    let last_id = read_id(input)?;
    let entries_read = if kind == types::STREAM_LISTPACKS {
        Tally::of(stream).entries_up_to(last_id)
    } else {
        Some(input.length()?).filter(|&n| n != UNKNOWN_ENTRIES_READ)
    };
    let mut group = Group::new(last_id, entries_read);
    let mut unowned: BTreeMap<StreamId, (u64, u64)> = BTreeMap::new();
    let pending = input.length()?;
    for _ in 0..pending {
        let id = read_raw_id(input)?;
        let delivery_time = u64::from_le_bytes(input.array()?);
        let delivery_count = input.length()?;
        if unowned
            .insert(id, (delivery_time, delivery_count))
            .is_some()
        {
            return Err(input.corrupt("Duplicated global PEL entry loading stream consumer group"));
        }
    }
    let consumers = input.length()?;
    for _ in 0..consumers {
        let name = Bytes::from(input.string()?);
        if group.consumers.contains_key(&name) {
            return Err(input.corrupt("Duplicate stream consumer detected."));
        }
        let mut consumer = Consumer {
            seen_time: u64::from_le_bytes(input.array()?),
            ..Consumer::default()
        };
        if kind == types::STREAM_LISTPACKS_3 {
            // Redis 7.2's active time, which thredis does not keep.
            input.array::<8>()?;
        }
        let held = input.length()?;
        for _ in 0..held {
            let id = read_raw_id(input)?;
            let Some((delivery_time, delivery_count)) = unowned.remove(&id) else {
                return Err(input.corrupt("Consumer entry not found in group global PEL"));
            };
            consumer.pel.insert(id);
            let owner = name.clone();
            group.pel.insert(
                id,
                Pending {
                    consumer: owner,
                    delivery_time,
                    delivery_count,
                },
            );
        }
        group.consumers.insert(name, consumer);
    }
    if !unowned.is_empty() {
        return Err(input.corrupt("Stream CG PEL entry without consumer"));
    }
    Ok(group)
}

fn read_id<R: BufRead>(input: &mut Input<R>) -> Result<StreamId, LoadError> {
    Ok(StreamId::new(input.length()?, input.length()?))
}

fn read_raw_id<R: BufRead>(input: &mut Input<R>) -> Result<StreamId, LoadError> {
    Ok(StreamId::from_be_bytes(input.array()?))
}

/// A node from its radix-tree key and its listpack.
fn decode_node(key: &[u8], blob: &[u8]) -> Result<Node, Corrupt> {
    let master = StreamId::from_be_bytes(
        key.try_into()
            .map_err(|_| Corrupt("Stream node key entry is not the size of a stream ID"))?,
    );
    let items = compact::listpack(blob, BAD_LISTPACK, compact::Integrity::Deep)?;
    if items.is_empty() {
        return Err(Corrupt("Empty listpack inside stream"));
    }
    let mut items = Elements(items.iter());
    let live = items.integer()?;
    let deleted = items.integer()?;
    let field_count = items.count()?;
    let master_fields = items.take(field_count)?;
    if items.integer()? != 0 {
        return Err(Corrupt(BAD_LISTPACK));
    }
    let mut node = Node::with_master(master, master_fields.iter().map(|f| (*f).clone()).collect());
    let mut previous = None;
    while !items.is_done() {
        let (id, pairs, is_deleted) = decode_entry(&mut items, master, &master_fields)?;
        // The node's code relies on IDs going up from the master's.
        if id < master || previous.is_some_and(|p| id <= p) {
            return Err(Corrupt(BAD_LISTPACK));
        }
        previous = Some(id);
        node.push(id, &pairs, is_deleted);
    }
    if node.live() as i64 != live || node.deleted() as i64 != deleted {
        return Err(Corrupt(BAD_LISTPACK));
    }
    Ok(node)
}

/// One entry after the master entry: its ID, its fields and values interleaved, whether it is
/// deleted.
fn decode_entry<'a>(
    items: &mut Elements<'a>,
    master: StreamId,
    master_fields: &[&'a Bytes],
) -> Result<(StreamId, Vec<&'a [u8]>, bool), Corrupt> {
    let flags = items.integer()?;
    let ms = master.ms.wrapping_add(items.integer()? as u64);
    let seq = master.seq.wrapping_add(items.integer()? as u64);
    let same_fields = flags & FLAG_SAME_FIELDS != 0;
    let pairs: Vec<&[u8]> = if same_fields {
        let values = items.take(master_fields.len())?;
        let fields = master_fields.iter();
        fields
            .zip(values)
            .flat_map(|(field, value)| [field.as_slice(), value.as_slice()])
            .collect()
    } else {
        let count = items.count()?;
        let pairs = items.take(count.saturating_mul(2))?;
        pairs.into_iter().map(|item| item.as_slice()).collect()
    };
    let lp_count = items.integer()?;
    if lp_count != elements_before_lp_count(pairs.len() / 2, same_fields) as i64 {
        return Err(Corrupt(BAD_LISTPACK));
    }
    Ok((StreamId::new(ms, seq), pairs, flags & FLAG_DELETED != 0))
}

/// A node's listpack elements, read one by one.
struct Elements<'a>(std::slice::Iter<'a, Bytes>);

impl<'a> Elements<'a> {
    fn next(&mut self) -> Result<&'a Bytes, Corrupt> {
        self.0.next().ok_or(Corrupt(BAD_LISTPACK))
    }

    /// An integer element (the decoder gives integers back as their text).
    fn integer(&mut self) -> Result<i64, Corrupt> {
        crate::number::parse_i64(self.next()?).ok_or(Corrupt(BAD_LISTPACK))
    }

    /// A count of elements to follow: no more than are left, so it never sizes anything
    /// beyond the blob.
    fn count(&mut self) -> Result<usize, Corrupt> {
        let n = self.integer()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.0.len())
            .ok_or(Corrupt(BAD_LISTPACK))
    }

    fn take(&mut self, n: usize) -> Result<Vec<&'a Bytes>, Corrupt> {
        if n > self.0.len() {
            return Err(Corrupt(BAD_LISTPACK));
        }
        Ok(self.0.by_ref().take(n).collect())
    }

    fn is_done(&self) -> bool {
        self.0.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::tests::{file, load_into};
    use super::*;
    use crate::keyspace::stream::Limits;

    const NOW: u64 = 1_700_000_000_000;

    /// redis-server 7.0.15 with `rdbcompression no`: `XADD s 1-1 f v`, `XADD s 1-2 f 12`,
    /// `XADD s 5-0 a 1 b hello`, `XADD s 5-7 f -300`, `XDEL s 1-2`, `XGROUP CREATE s g 1-1`,
    /// `XGROUP CREATE s g2 $ ENTRIESREAD 3`, then `DUMP s`, without the type byte in front and
    /// the version and checksum behind.
    const REDIS_DUMP: &str = "011000000000000000010000000000000001404c4c0000001d000301010101\
        01816602000102010001000181760204010301000101010c01040100010401dfff020201816102010181\
        62028568656c6c6f060801020104010601ded4020401ff0305070101010204020167010181ffffffffff\
        ffffff00000267320507030000";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn redis_example() -> Stream {
        let mut stream = Stream::new();
        let limits = Limits::default();
        stream.append(StreamId::new(1, 1), &[b"f", b"v"], limits);
        stream.append(StreamId::new(1, 2), &[b"f", b"12"], limits);
        stream.append(StreamId::new(5, 0), &[b"a", b"1", b"b", b"hello"], limits);
        stream.append(StreamId::new(5, 7), &[b"f", b"-300"], limits);
        assert!(stream.delete(StreamId::new(1, 2)));
        let groups = stream.groups_mut();
        groups.insert(Bytes::new(b"g"), Group::new(StreamId::new(1, 1), None));
        groups.insert(Bytes::new(b"g2"), Group::new(StreamId::new(5, 7), Some(3)));
        stream
    }

    /// `example` with a consumer holding two entries and one holding none.
    fn with_consumers(mut stream: Stream) -> Stream {
        let group = stream.groups_mut().get_mut(&b"g"[..]).unwrap();
        let mut alice = Consumer {
            seen_time: NOW + 5,
            ..Consumer::default()
        };
        for (id, count) in [(StreamId::new(1, 1), 1), (StreamId::new(5, 0), 4)] {
            alice.pel.insert(id);
            let pending = Pending {
                consumer: Bytes::new(b"alice"),
                delivery_time: NOW + count,
                delivery_count: count,
            };
            group.pel.insert(id, pending);
        }
        group.consumers.insert(Bytes::new(b"alice"), alice);
        group
            .consumers
            .insert(Bytes::new(b"bob"), Consumer::default());
        stream
    }

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind, 1, b's'];
        out.extend_from_slice(body);
        out
    }

    fn loaded(bytes: &[u8]) -> Stream {
        let (keyspace, _) = load_into(bytes).expect("loads");
        let databases = keyspace.read();
        let value = databases.db(0).get(b"s", 0).expect("present").value();
        value.as_stream().expect("a stream").clone()
    }

    fn entries(stream: &Stream) -> Vec<(StreamId, Vec<Vec<u8>>)> {
        stream
            .range(StreamId::MIN, StreamId::MAX)
            .map(|e| {
                (
                    e.id,
                    e.pairs()
                        .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
                        .collect(),
                )
            })
            .collect()
    }

    /// What a group holds, in a form that compares.
    fn group_state(group: &Group) -> String {
        let pel: Vec<_> = group
            .pel
            .iter()
            .map(|(id, p)| (*id, p.consumer.to_vec(), p.delivery_time, p.delivery_count))
            .collect();
        let consumers: Vec<_> = group
            .consumers
            .iter()
            .map(|(name, c)| (name.to_vec(), c.seen_time, c.pel.clone()))
            .collect();
        format!(
            "{:?} {:?} {pel:?} {consumers:?}",
            group.last_id, group.entries_read
        )
    }

    fn assert_same(a: &Stream, b: &Stream) {
        assert_eq!(entries(a), entries(b));
        let counters = |s: &Stream| (s.len(), s.last_id(), s.first_id(), s.max_deleted_id());
        assert_eq!(counters(a), counters(b));
        assert_eq!(a.entries_added(), b.entries_added());
        let groups = |s: &Stream| {
            s.groups()
                .iter()
                .map(|(n, g)| (n.to_vec(), group_state(g)))
                .collect::<Vec<_>>()
        };
        assert_eq!(groups(a), groups(b));
    }

    #[test]
    fn a_stream_is_saved_byte_for_byte_as_redis_saves_it() {
        let mut out = Vec::new();
        assert_eq!(
            encode(&mut out, &redis_example(), false),
            types::STREAM_LISTPACKS_2
        );
        assert_eq!(hex(&out), REDIS_DUMP);
    }

    /// The size a node tracks (which decides where it closes, as Redis's does) is the size
    /// of the listpack it is saved as, past 127 entries too (where the master entry's counts
    /// take a byte more).
    #[test]
    fn a_node_knows_the_size_of_its_listpack() {
        let mut stream = with_consumers(redis_example());
        let limits = Limits {
            node_max_bytes: 0,
            node_max_entries: 300,
        };
        for i in 0..400u64 {
            let value = "v".repeat((i % 90) as usize);
            let field = if i % 5 == 0 { "g" } else { "f" };
            let id = StreamId::new(10 + i * 1000, i % 3);
            stream.append(id, &[field.as_bytes(), value.as_bytes()], limits);
        }
        stream.delete(StreamId::new(10, 0));
        for node in stream.nodes() {
            assert_eq!(node_listpack(node).len(), node.listpack_bytes());
        }
    }

    #[test]
    fn what_redis_saved_loads_with_deleted_entries_kept_as_deleted() {
        let body: Vec<u8> = (0..REDIS_DUMP.len() / 2)
            .map(|i| u8::from_str_radix(&REDIS_DUMP[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let stream = loaded(&file(10, &[record(types::STREAM_LISTPACKS_2, &body)]));
        assert_same(&stream, &redis_example());
        let node = stream.nodes().next().unwrap();
        assert_eq!((node.stored(), node.deleted()), (4, 1));
        let mut again = Vec::new();
        encode(&mut again, &stream, false);
        assert_eq!(again, body, "saved again, the same bytes");
    }

    #[test]
    fn groups_consumers_and_pels_round_trip_compressed_or_not() {
        let mut stream = with_consumers(redis_example());
        let limits = Limits {
            node_max_bytes: 0,
            node_max_entries: 3,
        };
        for i in 0..50 {
            let value = format!("value {i} padded to be worth compressing, padded, padded");
            stream.append(StreamId::new(100 + i, 0), &[b"f", value.as_bytes()], limits);
        }
        stream.delete(StreamId::new(149, 0));
        for compress in [false, true] {
            let mut body = Vec::new();
            encode(&mut body, &stream, compress);
            let back = loaded(&file(10, &[record(types::STREAM_LISTPACKS_2, &body)]));
            assert_same(&back, &stream);
            assert_eq!(back.nodes().len(), stream.nodes().len());
            assert_eq!(
                back.last_id(),
                StreamId::new(149, 0),
                "kept after XDEL of the top"
            );
        }
    }

    /// The body of `stream` as Redis 5–6 (type 15) or 7.2 (type 21) would write it.
    fn encode_as(kind: u8, stream: &Stream, active_time: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_length(&mut out, stream.nodes().len() as u64);
        for node in stream.nodes() {
            write_string(&mut out, &node.master().to_be_bytes(), false);
            write_string(&mut out, &node_listpack(node), false);
        }
        write_length(&mut out, stream.len());
        write_id(&mut out, stream.last_id());
        if kind != types::STREAM_LISTPACKS {
            write_id(&mut out, stream.first_id());
            write_id(&mut out, stream.max_deleted_id());
            write_length(&mut out, stream.entries_added());
        }
        write_length(&mut out, stream.groups().len() as u64);
        for (name, group) in stream.groups() {
            write_string(&mut out, name, false);
            write_id(&mut out, group.last_id);
            if kind != types::STREAM_LISTPACKS {
                write_length(&mut out, group.entries_read.unwrap_or(UNKNOWN_ENTRIES_READ));
            }
            write_length(&mut out, group.pel.len() as u64);
            for (id, p) in &group.pel {
                out.extend_from_slice(&id.to_be_bytes());
                out.extend_from_slice(&p.delivery_time.to_le_bytes());
                write_length(&mut out, p.delivery_count);
            }
            write_length(&mut out, group.consumers.len() as u64);
            for (name, consumer) in &group.consumers {
                write_string(&mut out, name, false);
                out.extend_from_slice(&consumer.seen_time.to_le_bytes());
                if kind == types::STREAM_LISTPACKS_3 {
                    out.extend_from_slice(&active_time.to_le_bytes());
                }
                write_length(&mut out, consumer.pel.len() as u64);
                for id in &consumer.pel {
                    out.extend_from_slice(&id.to_be_bytes());
                }
            }
        }
        out
    }

    #[test]
    fn redis_6_and_redis_7_2_streams_load() {
        let stream = with_consumers(redis_example());
        let newer = encode_as(types::STREAM_LISTPACKS_3, &stream, 12345);
        let back = loaded(&file(11, &[record(types::STREAM_LISTPACKS_3, &newer)]));
        assert_same(&back, &stream);

        let older = encode_as(types::STREAM_LISTPACKS, &stream, 0);
        let back = loaded(&file(9, &[record(types::STREAM_LISTPACKS, &older)]));
        assert_eq!(entries(&back), entries(&stream));
        // No counters in the file: every entry there is all that was ever added, and the
        // groups' read counters are estimated from that.
        assert_eq!(
            (back.entries_added(), back.max_deleted_id()),
            (3, StreamId::MIN)
        );
        assert_eq!(back.groups()[&b"g2"[..]].entries_read, Some(3));
        assert_eq!(back.groups()[&b"g"[..]].pel.len(), 2);
    }

    #[test]
    fn an_empty_stream_with_a_group_survives() {
        let mut stream = Stream::new();
        stream.set_last_id(StreamId::new(7, 7));
        stream
            .groups_mut()
            .insert(Bytes::new(b"g"), Group::new(StreamId::MIN, Some(0)));
        let mut body = Vec::new();
        encode(&mut body, &stream, true);
        let back = loaded(&file(10, &[record(types::STREAM_LISTPACKS_2, &body)]));
        assert_same(&back, &stream);
    }

    fn refused(body: &[u8]) -> String {
        match load_into(&file(10, &[record(types::STREAM_LISTPACKS_2, body)])) {
            Ok(_) => panic!("loaded"),
            Err(error) => error.summary(),
        }
    }

    #[test]
    fn inconsistent_streams_are_refused() {
        let stream = with_consumers(redis_example());
        let mut body = Vec::new();
        encode(&mut body, &stream, false);
        // The length, right after the node: 3 live entries.
        let at = 2 + 16 + 2 + 0x4c;
        assert_eq!(body[at], 3);
        let mut wrong = body.clone();
        wrong[at] = 4;
        assert!(
            refused(&wrong).contains("inconsistent"),
            "{}",
            refused(&wrong)
        );
        // A last ID below the top entry.
        let mut wrong = body.clone();
        wrong[at + 1] = 4;
        assert!(refused(&wrong).contains("inconsistent"));
        // A node key that is not 16 bytes.
        let mut wrong = body.clone();
        wrong[1] = 15;
        assert!(!refused(&wrong).is_empty());
        // A consumer naming an ID the group's PEL lacks.
        let mut pel_less = stream.clone();
        pel_less
            .groups_mut()
            .get_mut(&b"g"[..])
            .unwrap()
            .pel
            .clear();
        let mut wrong = Vec::new();
        encode(&mut wrong, &pel_less, false);
        assert!(refused(&wrong).contains("not found in group global PEL"));
        // A PEL entry nobody holds.
        let mut orphaned = stream.clone();
        let group = orphaned.groups_mut().get_mut(&b"g"[..]).unwrap();
        group.consumers.get_mut(&b"alice"[..]).unwrap().pel.clear();
        let mut wrong = Vec::new();
        encode(&mut wrong, &orphaned, false);
        assert!(refused(&wrong).contains("without consumer"));
    }

    #[test]
    fn no_damage_to_a_stream_makes_the_loader_panic() {
        let mut stream = with_consumers(redis_example());
        stream.append(
            StreamId::new(9, 0),
            &[b"other", b"fields"],
            Limits::default(),
        );
        let mut body = Vec::new();
        encode(&mut body, &stream, false);
        let good = file(10, &[record(types::STREAM_LISTPACKS_2, &body)]);
        assert!(load_into(&good).is_ok());
        // Without the checksum in the way, so that damage reaches the stream code.
        let unchecked = |bytes: &[u8]| {
            let mut bytes = bytes.to_vec();
            let len = bytes.len();
            if len >= 8 {
                bytes[len - 8..].fill(0);
            }
            let _ = load_into(&bytes);
        };
        for len in 0..good.len() {
            let _ = load_into(&good[..len]);
        }
        for at in 9..good.len() - 9 {
            for bit in 0..8 {
                let mut damaged = good.clone();
                damaged[at] ^= 1 << bit;
                unchecked(&damaged);
            }
        }
    }
}
