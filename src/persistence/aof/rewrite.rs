//! Rewriting the append-only file (`BGREWRITEAOF`, the automatic rewrite, and turning the AOF on
//! at runtime): a new base from a snapshot, a new incr file for what happens meanwhile, and the
//! manifest swapped once the base is safely on disk, as Redis 7's multi-part AOF does it.
//!
//! This module holds the command form of a base (`aof-use-rdb-preamble no`): the commands that
//! rebuild each key, as Redis's `rewriteAppendOnlyFileRio` writes them. The job that drives a
//! rewrite is in [`super::super::jobs`].

use crate::keyspace::Value;
use crate::keyspace::changes::encode_command;
use crate::number::{IntBuf, format_double};

/// Redis's `AOF_REWRITE_ITEMS_PER_CMD`: elements per `RPUSH`/`SADD`, pairs per `HMSET`.
const ITEMS_PER_COMMAND: usize = 64;

/// `SELECT index`, which starts each database's part of a base in command form.
pub fn encode_select(out: &mut Vec<u8>, index: usize) {
    let mut digits = IntBuf::new();
    let index = digits.format(index as i64);
    out.extend_from_slice(&encode_command([&b"SELECT"[..], index].iter()));
}

/// The commands that recreate `key`: `SET`, or `RPUSH`/`SADD`/`HMSET` in batches of 64, then
/// `PEXPIREAT` if it has a time to live.
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
    }
    if let Some(at) = expires_at {
        let mut digits = IntBuf::new();
        let at = digits.format(at);
        out.extend_from_slice(&encode_command([&b"PEXPIREAT"[..], key, at].iter()));
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

    #[test]
    fn select_names_the_database() {
        let mut out = Vec::new();
        encode_select(&mut out, 12);
        assert_eq!(text(&out), "*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n");
    }
}
