//! Hash commands (Redis's t_hash.c): fields and values under one key, counters inside a hash,
//! random fields and HSCAN.

use super::keys::{parse_cursor, parse_scan_options, reply_scan};
use super::sets::random_count;
use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, parse_range};
use crate::keyspace::{Bytes, Databases, EventClass, Hash, Ttl, Value, Writer};
use crate::number::LongDouble;

/// The hash under `key` for reading, or `None` if the key is missing.
fn read_hash<'d>(
    ctx: &Ctx,
    databases: &'d Databases,
    key: &[u8],
) -> Result<Option<&'d Hash>, CommandError> {
    match ctx.read_key(ctx.db(databases), key) {
        Some(entry) => Ok(Some(entry.value().as_hash()?)),
        None => Ok(None),
    }
}

/// Runs `change` on the hash under `key`, created empty if missing (Redis's
/// `hashTypeLookupWriteOrCreate`), and stores a new hash only if it ends up with fields (which
/// records the change). What `change` returns is passed through, with whether the hash existed:
/// the caller then reports its in-place change. WRONGTYPE if the key holds something else.
fn update_hash<R>(
    w: &mut Writer,
    key: &[u8],
    change: impl FnOnce(&mut Hash) -> Result<R, CommandError>,
) -> Result<(R, bool), CommandError> {
    if let Some(entry) = w.get_mut(key) {
        let hash = entry.value_mut().as_hash_mut()?;
        return Ok((change(hash)?, true));
    }
    let mut hash = Hash::new();
    let result = change(&mut hash)?;
    if !hash.is_empty() {
        w.set(key, Value::hash(hash), Ttl::Clear);
    }
    Ok((result, false))
}

/// `HSET key field value [field value ...]` (how many fields were new) and the older `HMSET`
/// (`+OK`).
pub fn hset(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    if args.len() % 2 == 1 {
        return Err(CommandError::arity_of(args));
    }
    let key = args.arg(1);
    let limits = ctx.server.config.hash_limits();
    let (created, existed) = update_hash(w, key, |hash| {
        let values: Vec<&[u8]> = args.iter().skip(2).collect();
        hash.prepare_for(&values, limits);
        Ok(values
            .chunks(2)
            .filter(|pair| hash.insert(pair[0], pair[1], limits))
            .count())
    })?;
    let pairs = (args.len() - 2) / 2;
    if existed {
        w.modified(key);
    }
    w.changed(pairs as u64 - 1);
    w.notify(EventClass::HASH, "hset", key);
    // HSET and HMSET differ only in their reply (Redis tells them apart by the second letter).
    if args.arg(0)[1].eq_ignore_ascii_case(&b's') {
        ctx.reply.integer(created as i64);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

/// `HSETNX key field value`: 1 if the field was set, 0 if it existed.
pub fn hsetnx(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (key, field, value) = (args.arg(1), args.arg(2), args.arg(3));
    let limits = ctx.server.config.hash_limits();
    let (set, existed) = update_hash(w, key, |hash| {
        Ok(!hash.contains(field) && hash.insert(field, value, limits))
    })?;
    if set {
        if existed {
            w.modified(key);
        }
        w.notify(EventClass::HASH, "hset", key);
    }
    ctx.reply.integer(set as i64);
    Ok(())
}

/// `HGET key field`: the value, or null.
pub fn hget(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let hash = read_hash(ctx, databases, args.arg(1))?;
    match hash.and_then(|h| h.get(args.arg(2))) {
        Some(value) => ctx.reply.bulk(value),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `HMGET key field [field ...]`: one value or null per field; a missing key is an empty hash.
pub fn hmget(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let hash = read_hash(ctx, databases, args.arg(1))?;
    ctx.reply.array(args.len() - 2);
    for field in args.iter().skip(2) {
        match hash.and_then(|h| h.get(field)) {
            Some(value) => ctx.reply.bulk(value),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// What `HGETALL`, `HKEYS` and `HVALS` list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Both,
    Fields,
    Values,
}

fn list_parts(ctx: &mut Ctx, args: &Args, databases: &Databases, parts: Parts) -> CommandResult {
    let hash = read_hash(ctx, databases, args.arg(1))?;
    let len = hash.map_or(0, Hash::len);
    // HGETALL answers a map (in RESP3), the others an array.
    if parts == Parts::Both {
        ctx.reply.map(len);
    } else {
        ctx.reply.array(len);
    }
    for (field, value) in hash.into_iter().flat_map(Hash::iter) {
        if parts != Parts::Values {
            ctx.reply.bulk(field);
        }
        if parts != Parts::Fields {
            ctx.reply.bulk(value);
        }
    }
    Ok(())
}

/// `HGETALL key`: every field and its value (a map in RESP3).
pub fn hgetall(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    list_parts(ctx, args, databases, Parts::Both)
}

/// `HKEYS key`
pub fn hkeys(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    list_parts(ctx, args, databases, Parts::Fields)
}

/// `HVALS key`
pub fn hvals(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    list_parts(ctx, args, databases, Parts::Values)
}

/// `HDEL key field [field ...]`: how many fields were removed; the last one removes the key.
pub fn hdel(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let (deleted, emptied) = match w.get_mut(key) {
        Some(entry) => {
            let hash = entry.value_mut().as_hash_mut()?;
            let deleted = args
                .iter()
                .skip(2)
                .filter(|field| hash.remove(field))
                .count();
            (deleted, hash.is_empty())
        }
        None => (0, false),
    };
    if deleted > 0 {
        w.removed_elements(key, EventClass::HASH, "hdel", deleted, emptied);
    }
    ctx.reply.integer(deleted as i64);
    Ok(())
}

/// `HLEN key`
pub fn hlen(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let len = read_hash(ctx, databases, args.arg(1))?.map_or(0, Hash::len);
    ctx.reply.integer(len as i64);
    Ok(())
}

/// `HEXISTS key field`
pub fn hexists(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let hash = read_hash(ctx, databases, args.arg(1))?;
    let exists = hash.is_some_and(|h| h.contains(args.arg(2)));
    ctx.reply.integer(exists as i64);
    Ok(())
}

/// `HSTRLEN key field`: the value's length, 0 if missing.
pub fn hstrlen(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let hash = read_hash(ctx, databases, args.arg(1))?;
    let len = hash.and_then(|h| h.get(args.arg(2))).map_or(0, |v| v.len());
    ctx.reply.integer(len as i64);
    Ok(())
}

/// `HINCRBY key field increment`: the new value; a missing field starts at 0.
pub fn hincrby(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let increment = parse_int(args.arg(3))?;
    let (key, field) = (args.arg(1), args.arg(2));
    let limits = ctx.server.config.hash_limits();
    let (value, existed) = update_hash(w, key, |hash| {
        let current = match hash.get(field) {
            Some(value) => crate::number::parse_i64(value)
                .ok_or_else(|| CommandError::err("hash value is not an integer"))?,
            None => 0,
        };
        let value = current
            .checked_add(increment)
            .ok_or(CommandError::Overflow)?;
        hash.insert(field, value.to_string().as_bytes(), limits);
        Ok(value)
    })?;
    if existed {
        w.modified(key);
    }
    w.notify(EventClass::HASH, "hincrby", key);
    ctx.reply.integer(value);
    Ok(())
}

/// `HINCRBYFLOAT key field increment`: the new value, computed and printed as Redis does (in
/// `long double`, see `number/long_double.rs`), and journaled as the `HSET` of that text so a
/// replay cannot round differently.
pub fn hincrbyfloat(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let increment = LongDouble::parse(args.arg(3)).ok_or(CommandError::NotFloat)?;
    if !increment.is_finite() {
        return Err(CommandError::err("value is NaN or Infinity"));
    }
    let (key, field) = (args.arg(1), args.arg(2));
    let limits = ctx.server.config.hash_limits();
    let (text, existed) = update_hash(w, key, |hash| {
        let current = match hash.get(field) {
            Some(value) => LongDouble::parse(value)
                .ok_or_else(|| CommandError::err("hash value is not a float"))?,
            None => LongDouble::ZERO,
        };
        let sum = current
            .checked_add(increment)
            .ok_or_else(|| CommandError::err("increment would produce NaN or Infinity"))?;
        let text = sum.to_human_string();
        hash.insert(field, text.as_bytes(), limits);
        Ok(text)
    })?;
    if existed {
        w.modified(key);
    }
    w.notify(EventClass::HASH, "hincrbyfloat", key);
    w.propagate(&[b"HSET", key, field, text.as_bytes()]);
    ctx.reply.bulk(text.as_bytes());
    Ok(())
}

/// `HRANDFIELD key [count [WITHVALUES]]`: one random field (or null); with a count, that many
/// distinct fields (all of them at most), or with a negative count that many picks that may
/// repeat. With values, RESP3 pairs each field with its value.
pub fn hrandfield(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    if args.len() == 2 {
        match read_hash(ctx, databases, args.arg(1))? {
            Some(hash) => {
                let (field, _) = hash.random(&mut ctx.session.rng);
                ctx.reply.bulk(field);
            }
            None => ctx.reply.null(),
        }
        return Ok(());
    }
    let count = parse_range(args.arg(2), -i64::MAX, i64::MAX, None)?;
    if args.len() > 4 || (args.len() == 4 && !is_option(args.arg(3), "withvalues")) {
        return Err(CommandError::Syntax);
    }
    let with_values = args.len() == 4;
    if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CommandError::err("value is out of range"));
    }
    let Some(hash) = read_hash(ctx, databases, args.arg(1))? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let picks: Vec<(&Bytes, &Bytes)> = if count < 0 {
        let picks = random_count(count.unsigned_abs())?;
        (0..picks)
            .map(|_| hash.random(&mut ctx.session.rng))
            .collect()
    } else {
        let count = (count as u64).min(hash.len() as u64) as usize;
        if count == hash.len() {
            hash.iter().collect()
        } else {
            ctx.session
                .rng
                .sample(hash.len(), count)
                .into_iter()
                .map(|position| hash.at(position))
                .collect()
        }
    };
    let resp3_pairs = with_values && ctx.reply.is_resp3();
    ctx.reply
        .array(picks.len() * if with_values && !resp3_pairs { 2 } else { 1 });
    for (field, value) in picks {
        if resp3_pairs {
            ctx.reply.array(2);
        }
        ctx.reply.bulk(field);
        if with_values {
            ctx.reply.bulk(value);
        }
    }
    Ok(())
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: a batch of fields and values, and the cursor
/// to continue from. Every field present for the whole iteration is returned at least once (see
/// `keyspace/dense.rs`); a listpack-sized hash comes whole in one call, as in Redis.
pub fn hscan(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let cursor = parse_cursor(args.arg(2))?;
    let Some(hash) = read_hash(ctx, databases, args.arg(1))? else {
        reply_scan(ctx, 0, &[]);
        return Ok(());
    };
    let options = parse_scan_options(args, 3, false)?;
    let mut found = Vec::new();
    let next = hash.scan(cursor, options.count, |field, value| {
        if options.matches(field) {
            found.push(field.as_slice());
            found.push(value.as_slice());
        }
    });
    reply_scan(ctx, next, &found);
    Ok(())
}
