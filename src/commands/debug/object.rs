//! `DEBUG OBJECT key`: Redis's one-line description of a value, with the length the value
//! would take in an RDB file.

use std::sync::atomic::Ordering;

use super::super::{CommandError, CommandResult, Ctx};
use crate::keyspace::Value;

/// `DEBUG OBJECT key`: a status line about the value. The serialized length is what an RDB file
/// would hold without compression.
pub fn object(ctx: &mut Ctx, key: &[u8]) -> CommandResult {
    let compress = ctx.server.config.rdbcompression.load(Ordering::Relaxed);
    let databases = ctx.databases();
    // An expired key not yet reclaimed is still described, as Redis's `dictFind` finds it.
    let entry = databases
        .db(ctx.session.db)
        .stored(key)
        .ok_or(CommandError::NoSuchKey)?;
    let idle = entry.idle_seconds(ctx.now_ms);
    let line = format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        entry.value(),
        entry.value().encoding(),
        serialized_length(entry.value(), compress),
        ((ctx.now_ms / 1000) as u64).wrapping_sub(u64::from(idle)) & 0xFF_FFFF,
        idle
    );
    drop(databases);
    ctx.reply.simple(&line);
    Ok(())
}

/// The size of a value in an RDB file (Redis's `rdbSavedObjectLen`), before compression, with
/// collections counted as their plain (non-compact) RDB encodings; a stream as it is saved
/// (`compress`: `rdbcompression`).
fn serialized_length(value: &Value, compress: bool) -> usize {
    match value {
        Value::String(s) => string_length(s.as_bytes()),
        Value::List { list, .. } => {
            length_prefix(list.len()) + list.iter().map(|item| string_length(item)).sum::<usize>()
        }
        Value::Set { set, .. } => {
            length_prefix(set.len())
                + set
                    .iter()
                    .map(|member| string_length(member))
                    .sum::<usize>()
        }
        Value::Hash { hash, .. } => {
            length_prefix(hash.len())
                + hash
                    .iter()
                    .map(|(field, value)| string_length(field) + string_length(value))
                    .sum::<usize>()
        }
        // A member, then its score as a binary double (RDB_TYPE_ZSET_2).
        Value::ZSet { zset, .. } => {
            length_prefix(zset.len())
                + zset
                    .iter()
                    .map(|(member, _)| string_length(member) + 8)
                    .sum::<usize>()
        }
        // Streams are the one type counted exactly, node listpacks and all, as Redis counts
        // everything: there is no simpler form to count them as.
        Value::Stream { stream, .. } => {
            let mut out = Vec::new();
            crate::persistence::rdb::stream::encode(&mut out, stream, compress);
            out.len()
        }
    }
}

/// A string as RDB stores it: integers that fit 8, 16 or 32 bits in their compact form,
/// anything else as a length and the bytes.
fn string_length(bytes: &[u8]) -> usize {
    match crate::number::parse_i64(bytes) {
        Some(n) if i8::try_from(n).is_ok() => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if i32::try_from(n).is_ok() => 5,
        _ => length_prefix(bytes.len()) + bytes.len(),
    }
}

/// The bytes of an RDB length field.
fn length_prefix(len: usize) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else if len <= u32::MAX as usize {
        5
    } else {
        9
    }
}
