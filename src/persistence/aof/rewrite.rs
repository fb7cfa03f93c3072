//! Rewriting the append-only file (`BGREWRITEAOF`, the automatic rewrite, and turning the AOF on
//! at runtime): a new base from a snapshot, a new incr file for what happens meanwhile, and the
//! manifest swapped once the base is safely on disk, as Redis 7's multi-part AOF does it.
//!
//! This module holds the command form of a base (`aof-use-rdb-preamble no`): the commands that
//! rebuild each key, as Redis's `rewriteAppendOnlyFileRio` writes them. The job that drives a
//! rewrite is in [`super::super::jobs`].

use crate::keyspace::changes::encode_command;
use crate::keyspace::stream::{Group, StreamId};
use crate::keyspace::{Stream, Value};
use crate::number::{IntBuf, format_double};

/// Redis's `AOF_REWRITE_ITEMS_PER_CMD`: elements per `RPUSH`/`SADD`, pairs per `HMSET`.
const ITEMS_PER_COMMAND: usize = 64;

/// `SELECT index`, which starts each database's part of a base in command form.
pub fn encode_select(out: &mut Vec<u8>, index: usize) {
    let mut digits = IntBuf::new();
    let index = digits.format(index as i64);
    out.extend_from_slice(&encode_command([&b"SELECT"[..], index].iter()));
}

/// `FUNCTION LOAD code` for each library, which start a base in command form (Redis's
/// `rewriteFunctions`).
pub fn encode_libraries(out: &mut Vec<u8>, codes: &[Vec<u8>]) {
    for code in codes {
        out.extend_from_slice(&encode_command([&b"FUNCTION"[..], b"LOAD", code].iter()));
    }
}

/// The commands that recreate `key`: `SET`, or `RPUSH`/`SADD`/`HMSET`/`ZADD` in batches of 64,
/// or a stream's commands ([`encode_stream`]), then `PEXPIREAT` if it has a time to live.
pub fn encode_key(out: &mut Vec<u8>, key: &[u8], value: &Value, expires_at: Option<i64>) {
    match value {
        Value::String(s) => {
            out.extend_from_slice(&encode_command([&b"SET"[..], key, s.as_bytes()].iter()))
        }
        Value::List { list, .. } => {
            batched(out, b"RPUSH", key, list.iter().map(|item| [&item[..]]))
        }
        Value::Set { set, .. } => {
            batched(out, b"SADD", key, set.iter().map(|member| [&member[..]]))
        }
        Value::Hash { hash, .. } => batched(
            out,
            b"HMSET",
            key,
            hash.iter().map(|(field, value)| [&field[..], &value[..]]),
        ),
        Value::ZSet { zset, .. } => {
            let scores: Vec<String> = zset.iter().map(|(_, s)| format_double(s)).collect();
            let members = zset.iter().zip(&scores);
            batched(
                out,
                b"ZADD",
                key,
                members.map(|((m, _), s)| [s.as_bytes(), &m[..]]),
            )
        }
        Value::Stream { stream, .. } => encode_stream(out, key, stream),
    }
    if let Some(at) = expires_at {
        let mut digits = IntBuf::new();
        let at = digits.format(at);
        out.extend_from_slice(&encode_command([&b"PEXPIREAT"[..], key, at].iter()));
    }
}

/// A stream as Redis's `rewriteStreamObject` writes it: one `XADD` per entry (an empty stream:
/// `XADD key MAXLEN 0 0-1 x y`, which leaves it empty), `XSETID` for the counters entries alone
/// cannot restore, then each group ([`encode_group`]).
fn encode_stream(out: &mut Vec<u8>, key: &[u8], stream: &Stream) {
    let mut emit = |args: &[&[u8]]| out.extend_from_slice(&encode_command(args.iter()));
    if stream.is_empty() {
        emit(&[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    for entry in stream.range(StreamId::MIN, StreamId::MAX) {
        let id = entry.id.to_string();
        let mut args: Vec<&[u8]> = vec![b"XADD", key, id.as_bytes()];
        for (field, value) in entry.pairs() {
            args.extend_from_slice(&[field, value]);
        }
        emit(&args);
    }
    let last_id = stream.last_id().to_string();
    let added = stream.entries_added().to_string();
    let max_deleted = stream.max_deleted_id().to_string();
    emit(&[
        b"XSETID",
        key,
        last_id.as_bytes(),
        b"ENTRIESADDED",
        added.as_bytes(),
        b"MAXDELETEDID",
        max_deleted.as_bytes(),
    ]);
    for (name, group) in stream.groups() {
        encode_group(&mut emit, key, name, group);
    }
}

/// `XGROUP CREATE ... ENTRIESREAD n` (-1, Redis's `SCG_INVALID_ENTRIES_READ`, when unknown),
/// then per consumer `XGROUP CREATECONSUMER` if it holds nothing, else one `XCLAIM ... FORCE`
/// per entry it holds, carrying the delivery time and count.
fn encode_group(emit: &mut impl FnMut(&[&[u8]]), key: &[u8], name: &[u8], group: &Group) {
    let last_id = group.last_id.to_string();
    let read = group.entries_read.map_or(-1, |n| n as i64).to_string();
    emit(&[
        b"XGROUP",
        b"CREATE",
        key,
        name,
        last_id.as_bytes(),
        b"ENTRIESREAD",
        read.as_bytes(),
    ]);
    for (consumer, held) in &group.consumers {
        if held.pel.is_empty() {
            emit(&[b"XGROUP", b"CREATECONSUMER", key, name, consumer]);
        }
        for (id, pending) in held
            .pel
            .iter()
            .filter_map(|id| Some((id, group.pel.get(id)?)))
        {
            let id = id.to_string();
            let time = (pending.delivery_time as i64).to_string();
            let count = (pending.delivery_count as i64).to_string();
            emit(&[
                b"XCLAIM",
                key,
                name,
                consumer,
                b"0",
                id.as_bytes(),
                b"TIME",
                time.as_bytes(),
                b"RETRYCOUNT",
                count.as_bytes(),
                b"JUSTID",
                b"FORCE",
            ]);
        }
    }
}

/// `command key item...` for every [`ITEMS_PER_COMMAND`] items (each item one or more arguments).
fn batched<'a, const N: usize>(
    out: &mut Vec<u8>,
    command: &'a [u8],
    key: &'a [u8],
    items: impl Iterator<Item = [&'a [u8]; N]>,
) {
    let mut args: Vec<&[u8]> = Vec::with_capacity(2 + N * ITEMS_PER_COMMAND);
    let mut flush = |args: &mut Vec<&[u8]>| {
        if args.len() > 2 {
            out.extend_from_slice(&encode_command(args.iter()));
        }
        args.truncate(2);
    };
    args.extend_from_slice(&[command, key]);
    for item in items {
        args.extend_from_slice(&item);
        if args.len() == 2 + N * ITEMS_PER_COMMAND {
            flush(&mut args);
        }
    }
    flush(&mut args);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Bytes, List};

    fn text(out: &[u8]) -> String {
        String::from_utf8_lossy(out).into_owned()
    }

    #[test]
    fn a_string_with_a_ttl_is_set_then_given_its_expiry() {
        let mut out = Vec::new();
        encode_key(
            &mut out,
            b"k",
            &Value::string(b"v"),
            Some(1_700_000_000_000),
        );
        assert_eq!(
            text(&out),
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$13\r\n1700000000000\r\n"
        );
    }

    #[test]
    fn long_lists_are_pushed_64_elements_at_a_time() {
        let list: List = (0..130)
            .map(|i| Bytes::new(format!("{i}").as_bytes()))
            .collect();
        let mut out = Vec::new();
        encode_key(&mut out, b"l", &Value::list(list), None);
        let text = text(&out);
        assert_eq!(text.matches("RPUSH").count(), 3);
        assert_eq!(text.matches("*66\r\n").count(), 2);
        assert!(text.contains("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$3\r\n128\r\n$3\r\n129\r\n"));
    }

    /// The commands aof.c's `rewriteStreamObject` writes, argument for argument.
    #[test]
    fn a_stream_is_rewritten_as_redis_rewrites_it() {
        use crate::keyspace::stream::{Consumer, Limits, Pending};
        let mut stream = Stream::new();
        stream.append(StreamId::new(1, 1), &[b"f", b"v"], Limits::default());
        stream.append(
            StreamId::new(2, 0),
            &[b"a", b"1", b"b", b"2"],
            Limits::default(),
        );
        stream.delete(StreamId::new(2, 0));
        let mut group = Group::new(StreamId::new(1, 1), None);
        let mut alice = Consumer::default();
        alice.pel.insert(StreamId::new(1, 1));
        let pending = Pending {
            consumer: Bytes::new(b"alice"),
            delivery_time: 1_700_000_000_000,
            delivery_count: 3,
        };
        group.pel.insert(StreamId::new(1, 1), pending);
        group.consumers.insert(Bytes::new(b"alice"), alice);
        group
            .consumers
            .insert(Bytes::new(b"bob"), Consumer::default());
        stream.groups_mut().insert(Bytes::new(b"g"), group);
        let mut out = Vec::new();
        encode_key(&mut out, b"s", &Value::stream(stream), None);
        let commands: Vec<String> = text(&out)
            .split('*')
            .skip(1)
            .map(|command| {
                let args: Vec<&str> = command.split("\r\n").skip(2).step_by(2).collect();
                args.join(" ").trim_end().to_string()
            })
            .collect();
        assert_eq!(
            commands,
            [
                "XADD s 1-1 f v",
                "XSETID s 2-0 ENTRIESADDED 2 MAXDELETEDID 2-0",
                "XGROUP CREATE s g 1-1 ENTRIESREAD -1",
                "XCLAIM s g alice 0 1-1 TIME 1700000000000 RETRYCOUNT 3 JUSTID FORCE",
                "XGROUP CREATECONSUMER s g bob",
            ]
        );
        let mut out = Vec::new();
        encode_key(&mut out, b"e", &Value::stream(Stream::new()), None);
        assert!(text(&out).starts_with(
            "*7\r\n$4\r\nXADD\r\n$1\r\ne\r\n$6\r\nMAXLEN\r\n$1\r\n0\r\n$3\r\n0-1\r\n"
        ));
    }

    #[test]
    fn select_names_the_database() {
        let mut out = Vec::new();
        encode_select(&mut out, 12);
        assert_eq!(text(&out), "*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n");
    }
}
