//! Set commands (Redis's t_set.c): members, random members, moves, and the algebra of several
//! sets (intersection, union, difference, with or without storing the result), and SSCAN.

use super::keys::{parse_cursor, parse_scan_options, reply_scan};
use super::{Args, CommandError, CommandResult, Ctx, parse_positive, parse_range};
use crate::keyspace::{Bytes, Databases, Db, EventClass, Set, Ttl, Value, Writer};

/// The most elements a reply of random picks that may repeat (`SRANDMEMBER key -n`,
/// `HRANDFIELD key -n`) may have. Redis has no bound and builds whatever was asked for in
/// memory; a bound keeps one request from exhausting the server's memory.
pub const MAX_RANDOM_PICKS: u64 = 1 << 24;

/// Checks how many picks that may repeat a command asks for.
pub fn random_count(count: u64) -> Result<usize, CommandError> {
    if count > MAX_RANDOM_PICKS {
        return Err(CommandError::err(format!(
            "count is too large: at most {MAX_RANDOM_PICKS} random elements in one reply"
        )));
    }
    Ok(count as usize)
}

/// The set under `key` in `db` for reading, or `None` if the key is missing.
fn read_set<'d>(ctx: &Ctx, db: &'d Db, key: &[u8]) -> Result<Option<&'d Set>, CommandError> {
    match ctx.read_key(db, key) {
        Some(entry) => Ok(Some(entry.value().as_set()?)),
        None => Ok(None),
    }
}

/// Replies with members as a set (RESP3 `~`, an array in RESP2).
fn reply_members<'m>(ctx: &mut Ctx, members: impl ExactSizeIterator<Item = &'m Bytes>) {
    ctx.reply.set(members.len());
    for member in members {
        ctx.reply.bulk(member);
    }
}

/// `SADD key member [member ...]`: how many members were new.
pub fn sadd(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let limits = ctx.server.config.set_limits();
    let members = args.iter().skip(2);
    let added = match w.get_mut(key) {
        Some(entry) => {
            let set = entry.value_mut().as_set_mut()?;
            let added = members.filter(|m| set.insert(m, limits)).count();
            if added > 0 {
                w.modified(key);
            }
            added
        }
        None => {
            let mut set = Set::new();
            let added = members.filter(|m| set.insert(m, limits)).count();
            w.set(key, Value::set(set), Ttl::Clear);
            added
        }
    };
    if added > 0 {
        w.changed(added as u64 - 1);
        w.notify(EventClass::SET, "sadd", key);
    }
    ctx.reply.integer(added as i64);
    Ok(())
}

/// Records that `removed` members left the set at `key`, if any did.
fn removed_from(w: &mut Writer, key: &[u8], event: &'static str, removed: usize, emptied: bool) {
    if removed > 0 {
        w.removed_elements(key, EventClass::SET, event, removed, emptied);
    }
}

/// `SREM key member [member ...]`: how many members were removed.
pub fn srem(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let (removed, emptied) = match w.get_mut(key) {
        Some(entry) => {
            let set = entry.value_mut().as_set_mut()?;
            let removed = args.iter().skip(2).filter(|m| set.remove(m)).count();
            (removed, set.is_empty())
        }
        None => (0, false),
    };
    removed_from(w, key, "srem", removed, emptied);
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// `SMEMBERS key`: every member (ascending for a set of integers, as Redis's intset).
pub fn smembers(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let set = read_set(ctx, ctx.db(databases), args.arg(1))?;
    match set {
        Some(set) => reply_members(ctx, set.iter()),
        None => ctx.reply.set(0),
    }
    Ok(())
}

/// `SISMEMBER key member`: 1 or 0.
pub fn sismember(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let set = read_set(ctx, ctx.db(databases), args.arg(1))?;
    ctx.reply
        .integer(set.is_some_and(|s| s.contains(args.arg(2))) as i64);
    Ok(())
}

/// `SMISMEMBER key member [member ...]`: 1 or 0 for each; a missing key is an empty set.
pub fn smismember(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let set = read_set(ctx, ctx.db(databases), args.arg(1))?;
    ctx.reply.array(args.len() - 2);
    for member in args.iter().skip(2) {
        ctx.reply
            .integer(set.is_some_and(|s| s.contains(member)) as i64);
    }
    Ok(())
}

/// `SCARD key`
pub fn scard(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let set = read_set(ctx, ctx.db(databases), args.arg(1))?;
    ctx.reply.integer(set.map_or(0, Set::len) as i64);
    Ok(())
}

/// How many times the remaining members may outnumber those popped before `SPOP` with a count
/// builds a new set from the remaining ones instead (Redis's `SPOP_MOVE_STRATEGY_MUL`, which
/// decides the encoding of what is left).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

/// `SPOP key [count]`: removes and returns a random member (or null), or with a count a set of
/// up to `count` distinct members. Journaled as `SREM`s (or `DEL` when the whole set goes), as
/// Redis propagates it, so a replay removes exactly the same members.
pub fn spop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let count = match args.len() {
        2 => None,
        3 => Some(parse_positive(args.arg(2), None)? as usize),
        _ => return Err(CommandError::Syntax),
    };
    let key = args.arg(1);
    let limits = ctx.server.config.set_limits();
    let rng = &mut ctx.session.rng;
    let Some(entry) = w.get_mut(key) else {
        match count {
            Some(_) => ctx.reply.set(0),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let set = entry.value_mut().as_set_mut()?;
    let Some(count) = count else {
        let member = set.pop_random(rng);
        let emptied = set.is_empty();
        ctx.reply.bulk(&member);
        w.propagate(&[b"SREM", key, &member]);
        removed_from(w, key, "spop", 1, emptied);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.set(0);
        return Ok(());
    }
    let size = set.len();
    if count >= size {
        reply_members(ctx, set.iter());
        w.propagate(&[b"DEL", key]);
        removed_from(w, key, "spop", size, true);
        return Ok(());
    }
    let remaining = size - count;
    let popped: Vec<Bytes> = if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        (0..count).map(|_| set.pop_random(rng)).collect()
    } else {
        // Most members go: pick the few that stay into a new set, and hand out the rest.
        let mut kept = Set::new();
        for _ in 0..remaining {
            kept.insert(&set.pop_random(rng), limits);
        }
        std::mem::replace(set, kept).iter().cloned().collect()
    };
    reply_members(ctx, popped.iter());
    for member in &popped {
        w.propagate(&[b"SREM", key, member]);
    }
    removed_from(w, key, "spop", count, false);
    Ok(())
}

/// `SRANDMEMBER key [count]`: a random member (or null); with a count, that many distinct
/// members (all of them at most), or with a negative count that many picks that may repeat.
pub fn srandmember(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let count = match args.len() {
        2 => None,
        3 => Some(parse_range(args.arg(2), -i64::MAX, i64::MAX, None)?),
        _ => return Err(CommandError::Syntax),
    };
    let set = read_set(ctx, ctx.db(databases), args.arg(1))?;
    let rng = &mut ctx.session.rng;
    let Some(count) = count else {
        match set {
            Some(set) => ctx.reply.bulk(set.random(rng)),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let Some(set) = set else {
        ctx.reply.array(0);
        return Ok(());
    };
    let picks: Vec<&Bytes> = if count < 0 {
        let picks = random_count(count.unsigned_abs())?;
        (0..picks).map(|_| set.random(rng)).collect()
    } else if count as u64 >= set.len() as u64 {
        set.iter().collect()
    } else {
        rng.sample(set.len(), count as usize)
            .into_iter()
            .map(|position| set.at(position))
            .collect()
    };
    ctx.reply.array(picks.len());
    for member in picks {
        ctx.reply.bulk(member);
    }
    Ok(())
}

/// `SMOVE source destination member`: 1 if the member moved (or is already in the destination
/// when source and destination are the same set), 0 if it was not in the source.
pub fn smove(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (source, destination, member) = (args.arg(1), args.arg(2), args.arg(3));
    let limits = ctx.server.config.set_limits();
    let Some(entry) = w.get(source) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    entry.value().as_set()?;
    if let Some(entry) = w.get(destination) {
        entry.value().as_set()?;
    }
    if source == destination {
        let present = w
            .get(source)
            .and_then(|e| e.value().as_set().ok())
            .is_some_and(|s| s.contains(member));
        ctx.reply.integer(present as i64);
        return Ok(());
    }
    let set = w
        .get_mut(source)
        .expect("checked above")
        .value_mut()
        .as_set_mut()?;
    if !set.remove(member) {
        ctx.reply.integer(0);
        return Ok(());
    }
    let emptied = set.is_empty();
    removed_from(w, source, "srem", 1, emptied);
    let added = match w.get_mut(destination) {
        Some(entry) => {
            let added = entry.value_mut().as_set_mut()?.insert(member, limits);
            if added {
                w.modified(destination);
            }
            added
        }
        None => {
            let mut set = Set::new();
            set.insert(member, limits);
            w.set(destination, Value::set(set), Ttl::Clear);
            true
        }
    };
    if added {
        w.notify(EventClass::SET, "sadd", destination);
    }
    ctx.reply.integer(1);
    Ok(())
}

/// The sets named by `keys` (a missing key is `None`, an empty set), checked for type in order,
/// as Redis looks them all up before computing anything.
fn sets_of<'d, 'k>(
    ctx: &Ctx,
    db: &'d Db,
    keys: impl Iterator<Item = &'k [u8]>,
) -> Result<Vec<Option<&'d Set>>, CommandError> {
    keys.map(|key| read_set(ctx, db, key)).collect()
}

/// The members of every set, up to `limit` of them (0: no limit). Iterates the smallest set
/// and keeps what every other set contains (Redis's `sinterGenericCommand`), so a set of
/// integers yields them in ascending order, as Redis does.
fn intersection<'s>(sets: &[Option<&'s Set>], limit: usize) -> Vec<&'s Bytes> {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else {
        return Vec::new();
    };
    sets.sort_by_key(|set| set.len());
    let (smallest, others) = sets.split_first().expect("commands take at least one key");
    let mut found = Vec::new();
    for member in smallest.iter() {
        if others.iter().all(|set| set.contains(member)) {
            found.push(member);
            if limit != 0 && found.len() >= limit {
                break;
            }
        }
    }
    found
}

/// The union (`union`) or the difference (the first set minus the others) of `sets`, as a new
/// set built as Redis builds its result (an intset while it can be one).
fn combine(sets: &[Option<&Set>], union: bool, limits: crate::keyspace::set::Limits) -> Set {
    let mut result = Set::new();
    if union {
        for member in sets.iter().flatten().flat_map(|set| set.iter()) {
            result.insert(member, limits);
        }
        return result;
    }
    let Some(Some(first)) = sets.first() else {
        return result;
    };
    let others = &sets[1..];
    // The same set named again among the others removes everything.
    if others
        .iter()
        .flatten()
        .any(|set| std::ptr::eq(*set, *first))
    {
        return result;
    }
    for member in first.iter() {
        if !others.iter().flatten().any(|set| set.contains(member)) {
            result.insert(member, limits);
        }
    }
    result
}

/// `SINTER key [key ...]`: the members common to every set.
pub fn sinter(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let sets = sets_of(ctx, ctx.db(databases), args.iter().skip(1))?;
    let found = intersection(&sets, 0);
    reply_members(ctx, found.into_iter());
    Ok(())
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`: how many members the intersection has,
/// counting at most `limit` (0: no limit).
pub fn sintercard(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let numkeys = parse_range(
        args.arg(1),
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    )? as usize;
    if numkeys > args.len() - 2 {
        return Err(CommandError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if super::is_option(args.arg(i), "limit") && i + 1 < args.len() {
            limit = parse_positive(args.arg(i + 1), Some("LIMIT can't be negative"))? as usize;
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let sets = sets_of(
        ctx,
        ctx.db(databases),
        (2..2 + numkeys).map(|i| args.arg(i)),
    )?;
    ctx.reply.integer(intersection(&sets, limit).len() as i64);
    Ok(())
}

/// `SUNION key [key ...]`
pub fn sunion(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let limits = ctx.server.config.set_limits();
    let sets = sets_of(ctx, ctx.db(databases), args.iter().skip(1))?;
    let result = combine(&sets, true, limits);
    reply_members(ctx, result.iter());
    Ok(())
}

/// `SDIFF key [key ...]`: the members of the first set that no other set has.
pub fn sdiff(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let limits = ctx.server.config.set_limits();
    let sets = sets_of(ctx, ctx.db(databases), args.iter().skip(1))?;
    let result = combine(&sets, false, limits);
    reply_members(ctx, result.iter());
    Ok(())
}

/// Which algebra a `*STORE` command computes.
#[derive(Clone, Copy)]
enum Algebra {
    Inter,
    Union,
    Diff,
}

/// `SINTERSTORE`/`SUNIONSTORE`/`SDIFFSTORE destination key [key ...]`: stores the result
/// (replacing the destination, time to live included) and replies its size; an empty result
/// deletes the destination.
fn store(ctx: &mut Ctx, args: &Args, w: &mut Writer, algebra: Algebra) -> CommandResult {
    let destination = args.arg(1);
    let limits = ctx.server.config.set_limits();
    let selected = w.selected();
    // Expired sources go first (journaled as DEL), then the sources are read in place.
    for key in args.iter().skip(2) {
        w.expire_now(selected, key);
    }
    let db = w.databases().db(selected);
    let sets = sets_of(ctx, db, args.iter().skip(2))?;
    let result = match algebra {
        Algebra::Inter => {
            let mut result = Set::new();
            for member in intersection(&sets, 0) {
                result.insert(member, limits);
            }
            result
        }
        Algebra::Union => combine(&sets, true, limits),
        Algebra::Diff => combine(&sets, false, limits),
    };
    let size = result.len();
    if size == 0 {
        if w.remove(destination).is_some() {
            w.notify(EventClass::GENERIC, "del", destination);
        }
    } else {
        w.set(destination, Value::set(result), Ttl::Clear);
        let event = match algebra {
            Algebra::Inter => "sinterstore",
            Algebra::Union => "sunionstore",
            Algebra::Diff => "sdiffstore",
        };
        w.notify(EventClass::SET, event, destination);
    }
    ctx.reply.integer(size as i64);
    Ok(())
}

pub fn sinterstore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    store(ctx, args, w, Algebra::Inter)
}

pub fn sunionstore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    store(ctx, args, w, Algebra::Union)
}

pub fn sdiffstore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    store(ctx, args, w, Algebra::Diff)
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`: a batch of members and the cursor to
/// continue from (see `HSCAN`); an intset comes whole in one call, as in Redis.
pub fn sscan(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let cursor = parse_cursor(args.arg(2))?;
    let Some(set) = read_set(ctx, ctx.db(databases), args.arg(1))? else {
        reply_scan(ctx, 0, &[]);
        return Ok(());
    };
    let options = parse_scan_options(args, 3, false)?;
    let mut found = Vec::new();
    let next = set.scan(cursor, options.count, |member| {
        if options.matches(member) {
            found.push(member.as_slice());
        }
    });
    reply_scan(ctx, next, &found);
    Ok(())
}
