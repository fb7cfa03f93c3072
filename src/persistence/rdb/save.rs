//! Encoding the dataset as an RDB file (version 10, which redis-server 7.0 loads), in the
//! pieces a save writes them: the header, each database's header, each key's record, the
//! trailer. [`RdbWriter`] puts them into a temporary file with the running CRC-64.
//!
//! Values are written the way Redis 7.0 would write them, so redis-server loads them into the
//! encodings it would have chosen itself: strings as integers or LZF-compressed when that is
//! smaller; lists as quicklists of listpacks of at most 8 KB (Redis's default
//! `list-max-listpack-size -2`); hashes as one listpack while thredis reports them `listpack`
//! (128 fields of at most 64 bytes), otherwise field by field; sets as an intset while they are
//! `intset`, otherwise member by member; sorted sets as a listpack while they are one, otherwise
//! member by member; streams as Redis 7.0's `STREAM_LISTPACKS_2` (see [`super::stream`]).

use std::io;
use std::path::Path;

use super::compact::{ListpackWriter, encode_intset};
use super::{
    AccessHints, CONTAINER_PACKED, CONTAINER_PLAIN, ReplicationInfo, WRITE_VERSION, opcodes, types,
    write_length, write_string,
};
use crate::keyspace::{List, Value};
use crate::number::format_double;
use crate::persistence::crc64;
use crate::persistence::files::TempFile;

/// Largest listpack a list node gets (Redis's 8 KB for `list-max-listpack-size -2`).
const LIST_NODE_BYTES: usize = 8 * 1024;
/// Elements this large get a plain node of their own (Redis's `packed_threshold`).
const PLAIN_NODE_BYTES: usize = 1 << 30;

/// What goes in the header besides the magic: the replication history the data stands for,
/// if there is one; `aof-base` says the file is the base of an append-only file.
pub fn encode_header(
    out: &mut Vec<u8>,
    aof_base: bool,
    now_ms: i64,
    used_memory: u64,
    replication: Option<&ReplicationInfo>,
) {
    out.extend_from_slice(format!("REDIS{WRITE_VERSION:04}").as_bytes());
    let mut aux = |name: &str, value: &[u8]| {
        out.push(opcodes::AUX);
        write_string(out, name.as_bytes(), false);
        write_string(out, value, false);
    };
    aux("redis-ver", crate::REDIS_VERSION.as_bytes());
    aux("redis-bits", b"64");
    aux("ctime", (now_ms / 1000).to_string().as_bytes());
    aux("used-mem", used_memory.to_string().as_bytes());
    if let Some(info) = replication {
        aux("repl-stream-db", info.stream_db.to_string().as_bytes());
        aux("repl-id", info.replid.as_bytes());
        aux("repl-offset", info.offset.to_string().as_bytes());
    }
    aux("aof-base", if aof_base { b"1" } else { b"0" });
}

/// `SELECTDB` and `RESIZEDB` for a database holding `keys` keys, `volatile` of them with a TTL.
pub fn encode_db_header(out: &mut Vec<u8>, index: usize, keys: usize, volatile: usize) {
    out.push(opcodes::SELECTDB);
    write_length(out, index as u64);
    out.push(opcodes::RESIZEDB);
    write_length(out, keys as u64);
    write_length(out, volatile as u64);
}

/// One key: its expiry time (if any), its idle time or frequency (if `access` has one, see
/// [`super::SavedAccess`]), its type, its name, its value.
pub fn encode_record(
    out: &mut Vec<u8>,
    key: &[u8],
    value: &Value,
    (expires_at, access): (Option<i64>, AccessHints),
    compress: bool,
) {
    if let Some(at) = expires_at {
        out.push(opcodes::EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    if let Some(idle) = access.idle_seconds {
        out.push(opcodes::IDLE);
        write_length(out, idle);
    }
    if let Some(frequency) = access.frequency {
        out.extend_from_slice(&[opcodes::FREQ, frequency]);
    }
    let type_at = out.len();
    out.push(types::STRING);
    write_string(out, key, compress);
    out[type_at] = encode_value(out, value, compress);
}

/// Appends `value` and returns its RDB type (the byte a record or a DUMP payload puts before
/// it).
pub fn encode_value(out: &mut Vec<u8>, value: &Value, compress: bool) -> u8 {
    match value {
        Value::String(s) => {
            write_string(out, s.as_bytes(), compress);
            types::STRING
        }
        Value::List { list, .. } => {
            encode_list(out, list, compress);
            types::LIST_QUICKLIST_2
        }
        Value::Hash { hash, .. } => {
            if hash.encoding() == "listpack" {
                let mut listpack = ListpackWriter::new();
                for (field, value) in hash.iter() {
                    listpack.push(field);
                    listpack.push(value);
                }
                write_string(out, &listpack.finish(), compress);
                return types::HASH_LISTPACK;
            }
            write_length(out, hash.len() as u64);
            for (field, value) in hash.iter() {
                write_string(out, field, compress);
                write_string(out, value, compress);
            }
            types::HASH
        }
        Value::Set { set, .. } => {
            if set.encoding() == "intset" {
                if let Some(intset) = encode_intset(set.iter().map(|m| &m[..])) {
                    write_string(out, &intset, compress);
                    return types::SET_INTSET;
                }
            }
            write_length(out, set.len() as u64);
            for member in set.iter() {
                write_string(out, member, compress);
            }
            types::SET
        }
        Value::ZSet { zset, .. } => {
            if zset.encoding() == "listpack" {
                let mut listpack = ListpackWriter::new();
                for (member, score) in zset.iter() {
                    listpack.push(member);
                    listpack.push(format_double(score).as_bytes());
                }
                write_string(out, &listpack.finish(), compress);
                return types::ZSET_LISTPACK;
            }
            // Highest first, as Redis writes them: each one loaded then goes in at the front.
            write_length(out, zset.len() as u64);
            for (member, score) in zset.iter().rev() {
                write_string(out, member, compress);
                out.extend_from_slice(&score.to_le_bytes());
            }
            types::ZSET_2
        }
        Value::Stream { stream, .. } => super::stream::encode(out, stream, compress),
    }
}

/// A list as a version 2 quicklist: listpack nodes of at most [`LIST_NODE_BYTES`], a plain node
/// for any element too large for a listpack.
fn encode_list(out: &mut Vec<u8>, list: &List, compress: bool) {
    let mut nodes: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut node = ListpackWriter::new();
    for item in list.iter() {
        if !node.is_empty()
            && (item.len() >= PLAIN_NODE_BYTES || node.len() + item.len() + 11 > LIST_NODE_BYTES)
        {
            nodes.push((CONTAINER_PACKED, std::mem::take(&mut node).finish()));
        }
        if item.len() >= PLAIN_NODE_BYTES {
            nodes.push((CONTAINER_PLAIN, item.to_vec()));
        } else {
            node.push(item);
        }
    }
    if !node.is_empty() {
        nodes.push((CONTAINER_PACKED, node.finish()));
    }
    write_length(out, nodes.len() as u64);
    for (container, bytes) in nodes {
        write_length(out, container);
        write_string(out, &bytes, compress);
    }
}

/// Where an RDB goes as it is written: a temporary file (a save), or a replica's socket (a
/// diskless full sync).
pub trait RdbOutput {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()>;
}

impl RdbOutput for TempFile {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write(bytes)
    }
}

/// Any writer (a socket) as an [`RdbOutput`].
pub struct Streamed<W>(pub W);

impl<W: io::Write> RdbOutput for Streamed<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }
}

/// An RDB being written: its output and the checksum of what went into it.
pub struct RdbWriter<O = TempFile> {
    out: O,
    crc: u64,
    checksum: bool,
    buffer: Vec<u8>,
}

impl RdbWriter {
    /// Creates the temporary file `temp`. `checksum`: `rdbchecksum` (0 in the trailer if off).
    pub fn create(temp: &Path, checksum: bool, incremental_fsync: bool) -> io::Result<RdbWriter> {
        Ok(RdbWriter::to(
            TempFile::create(temp, incremental_fsync)?,
            checksum,
        ))
    }
}

impl<O: RdbOutput> RdbWriter<O> {
    /// A writer into `out`.
    pub fn to(out: O, checksum: bool) -> RdbWriter<O> {
        RdbWriter {
            out,
            crc: 0,
            checksum,
            buffer: Vec::with_capacity(1 << 16),
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.checksum {
            self.crc = crc64::update(self.crc, bytes);
        }
        if self.buffer.len() + bytes.len() > self.buffer.capacity() {
            self.out.put(&self.buffer)?;
            self.buffer.clear();
            if bytes.len() >= self.buffer.capacity() {
                return self.out.put(bytes);
            }
        }
        self.buffer.extend_from_slice(bytes);
        Ok(())
    }

    /// Writes `EOF` and the checksum, and returns the output (for a file: durable, still
    /// temporary).
    pub fn finish(mut self) -> io::Result<O> {
        self.write(&[opcodes::EOF])?;
        let crc = if self.checksum { self.crc } else { 0 };
        self.buffer.extend_from_slice(&crc.to_le_bytes());
        self.out.put(&self.buffer)?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Bytes, Hash, Keyspace, Set, ZSet, zset};

    fn bytes(items: &[&str]) -> Vec<Bytes> {
        items.iter().map(|s| Bytes::new(s.as_bytes())).collect()
    }

    /// A file with `records` in database `db`, as a save would write it.
    fn file(db: usize, records: &[(&str, Value, Option<i64>)]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_header(&mut out, false, 1_700_000_000_000, 1000, None);
        encode_db_header(&mut out, db, records.len(), 0);
        for (key, value, expires) in records {
            let stored = (*expires, AccessHints::default());
            encode_record(&mut out, key.as_bytes(), value, stored, true);
        }
        out.push(opcodes::EOF);
        let crc = crc64::update(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    fn load_into(bytes: &[u8]) -> Keyspace {
        super::super::load::tests::load_into(bytes)
            .expect("loads")
            .0
    }

    #[test]
    fn every_type_round_trips_through_a_file() {
        let long_list: Vec<Bytes> = (0..5000)
            .map(|i| Bytes::new(format!("element {i}").as_bytes()))
            .collect();
        let big_hash: Hash = (0..300)
            .map(|i| (Bytes::new(format!("f{i}").as_bytes()), Bytes::new(b"v")))
            .collect();
        let small_hash: Hash = [(Bytes::new(b"a"), Bytes::new(b"1"))].into_iter().collect();
        let int_set: Set = bytes(&["3", "1", "-2"]).into_iter().collect();
        let text_set: Set = bytes(&["x", "y", "7"]).into_iter().collect();
        let records = [
            ("s", Value::string(b"hello"), None),
            ("n", Value::string(b"12345"), Some(1_900_000_000_000)),
            ("long", Value::string(&[b'z'; 500]), None),
            (
                "l",
                Value::list(long_list.clone().into_iter().collect()),
                None,
            ),
            ("h1", Value::hash(small_hash), None),
            ("h2", Value::hash(big_hash), None),
            ("s1", Value::set(int_set), None),
            ("s2", Value::set(text_set), None),
        ];
        let keyspace = load_into(&file(3, &records));
        let databases = keyspace.read();
        let db = databases.db(3);
        assert_eq!(db.len(), records.len());
        let get = |key: &str| db.get(key.as_bytes(), 0).unwrap().value();
        assert_eq!(get("s").as_string().unwrap().as_bytes(), b"hello");
        assert_eq!(db.expires_at(b"n"), Some(1_900_000_000_000));
        assert_eq!(get("long").as_string().unwrap().len(), 500);
        let list: Vec<&Bytes> = get("l").as_list().unwrap().iter().collect();
        assert_eq!(list.len(), 5000);
        assert!(
            list.iter().zip(&long_list).all(|(a, b)| *a == b),
            "in order"
        );
        assert_eq!(
            get("h1").as_hash().unwrap().get(b"a").map(|v| &v[..]),
            Some(&b"1"[..])
        );
        assert_eq!(get("h2").as_hash().unwrap().len(), 300);
        assert!(get("s1").as_set().unwrap().contains(b"-2"));
        assert!(get("s2").as_set().unwrap().contains(b"x"));
    }

    #[test]
    fn compact_encodings_are_chosen_as_redis_would() {
        let mut out = Vec::new();
        let small: Hash = [(Bytes::new(b"f"), Bytes::new(b"v"))].into_iter().collect();
        assert_eq!(
            encode_value(&mut out, &Value::hash(small), true),
            types::HASH_LISTPACK
        );
        let ints: Set = bytes(&["1", "2"]).into_iter().collect();
        assert_eq!(
            encode_value(&mut out, &Value::set(ints), true),
            types::SET_INTSET
        );
        let words: Set = bytes(&["a"]).into_iter().collect();
        assert_eq!(encode_value(&mut out, &Value::set(words), true), types::SET);
        let limits = zset::Limits::default();
        let mut zset = ZSet::new();
        zset.insert(b"m", 1.5, limits);
        assert_eq!(
            encode_value(&mut out, &Value::zset(zset.clone()), true),
            types::ZSET_LISTPACK
        );
        zset.insert(&[b'x'; 65], 2.0, limits);
        assert_eq!(
            encode_value(&mut out, &Value::zset(zset), true),
            types::ZSET_2
        );
    }

    #[test]
    fn sorted_sets_round_trip_in_both_encodings() {
        let limits = zset::Limits::default();
        let scores = [f64::NEG_INFINITY, -0.0, 1.0, 0.1, 1e300, f64::INFINITY];
        let mut small = ZSet::new();
        let mut big = ZSet::new();
        for (i, score) in scores.iter().enumerate() {
            small.insert(format!("s{i}").as_bytes(), *score, limits);
        }
        for i in 0..500 {
            big.insert(format!("b{i}").as_bytes(), f64::from(i % 7) / 3.0, limits);
        }
        let records = [
            ("small", Value::zset(small.clone()), None),
            ("big", Value::zset(big.clone()), None),
        ];
        let keyspace = load_into(&file(0, &records));
        let databases = keyspace.read();
        let db = databases.db(0);
        for (key, original) in [("small", &small), ("big", &big)] {
            let loaded = db
                .get(key.as_bytes(), 0)
                .unwrap()
                .value()
                .as_zset()
                .unwrap();
            assert_eq!(loaded.encoding(), original.encoding(), "{key}");
            let pairs = |z: &ZSet| {
                z.iter()
                    .map(|(m, s)| (m.to_vec(), s.to_bits()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                pairs(loaded),
                pairs(original),
                "{key}: members, scores, signs"
            );
        }
    }

    #[test]
    fn long_lists_are_split_into_nodes_of_8_kb() {
        let list: List = (0..10_000)
            .map(|i| Bytes::new(format!("{i:08}x").as_bytes()))
            .collect();
        let mut out = Vec::new();
        encode_list(&mut out, &list, false);
        // Entries of 11 bytes (9 bytes, the encoding byte, the back length): 743 fit in 8 KB,
        // so 10,000 need 14 nodes.
        assert_eq!(out[0], 14);
    }

    #[test]
    fn expired_keys_are_dropped_on_load() {
        let records = [
            ("gone", Value::string(b"v"), Some(1_600_000_000_000)),
            ("kept", Value::string(b"v"), Some(1_900_000_000_000)),
        ];
        let keyspace = load_into(&file(0, &records));
        let databases = keyspace.read();
        assert!(databases.db(0).get(b"gone", i64::MIN).is_none());
        assert!(databases.db(0).get(b"kept", 0).is_some());
    }
}
