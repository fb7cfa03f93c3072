//! `DEBUG DIGEST` and `DEBUG DIGEST-VALUE`, computed exactly as Redis's debug.c computes them,
//! so that the same dataset gives the same 40 hex digits in thredis and in redis-server. Tests
//! use it to prove that a file written by one and loaded by the other holds the same data, key
//! for key and element for element.
//!
//! The recipe: each key's digest starts at zero and *mixes* in (order matters) the key, the
//! value's type, then the value: a string whole, a list element by element in order, a stream
//! entry by entry (ID, fields, values) in order; a set's members and a hash's field/value pairs
//! are *xored* in (order does not matter); a key with a time to live gets `"!!expire!!"` xored
//! in (the time itself is not part of it). The dataset's digest xors in the SHA-1 of every
//! key's digest, after mixing in each non-empty database's number.

use super::sha1::{Sha1, hex};
use crate::keyspace::stream::StreamId;
use crate::keyspace::{Databases, Db, Value};

type Digest = [u8; 20];

/// Xors the SHA-1 of `bytes` into `digest` (Redis's `xorDigest`).
fn xor(digest: &mut Digest, bytes: &[u8]) {
    for (d, h) in digest.iter_mut().zip(Sha1::digest(bytes)) {
        *d ^= h;
    }
}

/// `digest = SHA1(digest xor SHA1(bytes))` (Redis's `mixDigest`), which makes the order of
/// what is mixed in matter.
fn mix(digest: &mut Digest, bytes: &[u8]) {
    xor(digest, bytes);
    *digest = Sha1::digest(digest.as_slice());
}

/// Redis's type numbers (`OBJ_STRING`...), mixed in big-endian as `htonl(o->type)`.
fn type_number(value: &Value) -> u32 {
    match value {
        Value::String(_) => 0,
        Value::List { .. } => 1,
        Value::Set { .. } => 2,
        Value::ZSet { .. } => 3,
        Value::Hash { .. } => 4,
        Value::Stream { .. } => 6,
    }
}

/// Mixes a value into `digest` (Redis's `xorObjectDigest`, which continues from whatever the
/// digest holds: the key's digest for `DEBUG DIGEST`, zeros for `DEBUG DIGEST-VALUE`).
fn mix_value(digest: &mut Digest, value: &Value, has_ttl: bool) {
    mix(digest, &type_number(value).to_be_bytes());
    match value {
        Value::String(s) => mix(digest, s.as_bytes()),
        Value::List { list, .. } => list.iter().for_each(|item| mix(digest, item)),
        Value::Set { set, .. } => set.iter().for_each(|member| xor(digest, member)),
        Value::Hash { hash, .. } => {
            for (field, value) in hash.iter() {
                let mut pair = [0u8; 20];
                mix(&mut pair, field);
                mix(&mut pair, value);
                xor(digest, &pair);
            }
        }
        // Scores as Redis prints them with "%.17g".
        Value::ZSet { zset, .. } => {
            for (member, score) in zset.iter() {
                let mut pair = [0u8; 20];
                mix(&mut pair, member);
                mix(&mut pair, crate::number::format_double(score).as_bytes());
                xor(digest, &pair);
            }
        }
        // Each live entry in order: its ID written "ms.seq" (with a dot, as debug.c formats
        // it), then its fields and values. Consumer groups are not part of it.
        Value::Stream { stream, .. } => {
            for entry in stream.range(StreamId::MIN, StreamId::MAX) {
                mix(
                    digest,
                    format!("{}.{}", entry.id.ms, entry.id.seq).as_bytes(),
                );
                for (field, value) in entry.pairs() {
                    mix(digest, field);
                    mix(digest, value);
                }
            }
        }
    }
    if has_ttl {
        xor(digest, b"!!expire!!");
    }
}

/// `DEBUG DIGEST`: the whole dataset, expired keys not yet removed included (as Redis walks its
/// dictionaries). All zeros for an empty dataset.
pub fn dataset(databases: &Databases) -> String {
    let mut total = [0u8; 20];
    for (index, db) in databases.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix(&mut total, &(index as u32).to_be_bytes());
        for (key, entry, expires) in db.all_entries() {
            let mut digest = [0u8; 20];
            mix(&mut digest, key);
            mix_value(&mut digest, entry.value(), expires.is_some());
            // Redis's `xorDigest(final, digest, 20)`: the SHA-1 of the key's digest.
            xor(&mut total, &digest);
        }
    }
    hex(&total)
}

/// `DEBUG DIGEST-VALUE key`: the value's digest alone (all zeros for a missing key), logically
/// expired keys included, as Redis looks in the dictionary directly.
pub fn key(db: &Db, key: &[u8]) -> String {
    let mut digest = [0u8; 20];
    if let Some(entry) = db.get(key, i64::MIN) {
        mix_value(&mut digest, entry.value(), db.expires_at(key).is_some());
    }
    hex(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Keyspace, Ttl};

    /// Digests redis-server 7.0.15 printed for the same data (`DEBUG DIGEST-VALUE`, `DEBUG
    /// DIGEST` after `FLUSHALL`, `SET k v`, `SET n 5 PX 100000`).
    #[test]
    fn strings_digest_as_redis_digests_them() {
        let keyspace = Keyspace::new(16);
        assert_eq!(dataset(&keyspace.read()), "0".repeat(40));
        keyspace.write(0, 0, |w| {
            w.set(b"k", Value::string(b"v"), Ttl::Clear);
            w.set(b"n", Value::string(b"5"), Ttl::At(i64::MAX));
        });
        let databases = keyspace.read();
        assert_eq!(key(databases.db(0), b"k"), REDIS_K);
        assert_eq!(key(databases.db(0), b"missing"), "0".repeat(40));
        assert_eq!(dataset(&databases), REDIS_DATASET);
    }

    /// redis-server 7.0.15: `RPUSH l a b c`, `SADD s x y 1`, `HSET h f1 v1 f2 v2`, then
    /// `DEBUG DIGEST-VALUE l s h`, and `DEBUG DIGEST` after also `SELECT 3`, `SET k v`.
    #[test]
    fn collections_digest_as_redis_digests_them() {
        use crate::keyspace::{Bytes, Hash, List, Set};
        let bytes = |items: &[&str]| {
            items
                .iter()
                .map(|s| Bytes::new(s.as_bytes()))
                .collect::<Vec<_>>()
        };
        let keyspace = Keyspace::new(16);
        keyspace.write(0, 0, |w| {
            let list: List = bytes(&["a", "b", "c"]).into_iter().collect();
            let set: Set = bytes(&["x", "y", "1"]).into_iter().collect();
            let hash: Hash = [("f1", "v1"), ("f2", "v2")]
                .iter()
                .map(|(f, v)| (Bytes::new(f.as_bytes()), Bytes::new(v.as_bytes())))
                .collect();
            w.set(b"l", Value::list(list), Ttl::Clear);
            w.set(b"s", Value::set(set), Ttl::Clear);
            w.set(b"h", Value::hash(hash), Ttl::Clear);
        });
        keyspace.write(3, 0, |w| w.set(b"k", Value::string(b"v"), Ttl::Clear));
        let databases = keyspace.read();
        assert_eq!(
            key(databases.db(0), b"l"),
            "8bf72d812571eea9b927f3c11beb0c4165a6ff89"
        );
        assert_eq!(
            key(databases.db(0), b"s"),
            "03ee76a1ebe8db27d61b3ea784011d5acc537675"
        );
        assert_eq!(
            key(databases.db(0), b"h"),
            "047cc60ea73a34cde6d08a2721a4a26d19ee6570"
        );
        assert_eq!(
            dataset(&databases),
            "eb1ba675c59adcb3d181c6e97be285a7634db8de"
        );
    }

    /// redis-server 7.0.15: `XADD s 1-1 f v`, `XADD s 1-2 f 12`, `XADD s 5-0 a 1 b hello`,
    /// `XADD s 5-7 f -300`, `XDEL s 1-2`, `XGROUP CREATE s g 1-1`, then `DEBUG DIGEST-VALUE s`:
    /// the deleted entry and the group are not part of it.
    #[test]
    fn streams_digest_as_redis_digests_them() {
        use crate::keyspace::Stream;
        use crate::keyspace::stream::{Group, Limits};
        let mut stream = Stream::new();
        let limits = Limits::default();
        stream.append(StreamId::new(1, 1), &[b"f", b"v"], limits);
        stream.append(StreamId::new(1, 2), &[b"f", b"12"], limits);
        stream.append(StreamId::new(5, 0), &[b"a", b"1", b"b", b"hello"], limits);
        stream.append(StreamId::new(5, 7), &[b"f", b"-300"], limits);
        stream.delete(StreamId::new(1, 2));
        let group = Group::new(StreamId::new(1, 1), None);
        stream
            .groups_mut()
            .insert(crate::keyspace::Bytes::new(b"g"), group);
        let keyspace = Keyspace::new(16);
        keyspace.write(0, 0, |w| w.set(b"s", Value::stream(stream), Ttl::Clear));
        assert_eq!(
            key(keyspace.read().db(0), b"s"),
            "b194a77e197d220878e3866da0aa76aa9363b018"
        );
    }

    const REDIS_K: &str = "d79ee9fe5d5ad902d7f6620efc3b07b75ddd742f";
    const REDIS_DATASET: &str = "3975fa52363be2711b65e51eee9b66dcc03f5ea6";
}
