//! Sorted-set commands (Redis's t_zset.c): adding and scoring members, ranks, pops (blocking
//! too), random members and ZSCAN. Ranges by rank, score and lex are in `zsets/range.rs`; the
//! algebra of several sets (ZUNION, ZINTER, ZDIFF...) in `zsets/algebra.rs`. GEO commands,
//! which store sorted sets of geohashes, are in `geo.rs`.
//!
//! Every pop, whether it runs at once or later for a client blocked in `BZPOPMIN`/`BZMPOP`
//! (through `blocking.rs`, as the list pops do), goes through [`Pop::run`], so the reply, the
//! events and the removal of an emptied set are the same either way; [`Pop::propagate`] makes
//! Redis's rewrites of what is journaled (`BZPOPMIN` as `ZPOPMIN key`, `ZMPOP`/`BZMPOP` as
//! `ZPOPMIN key count`).

pub mod algebra;
pub mod range;

use std::ops::Range;

use super::keys::{parse_cursor, parse_scan_options, reply_scan};
use super::sets::random_count;
use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_positive, parse_range};
use crate::blocking::{self, Blocked};
use crate::keyspace::zset::Limits;
use crate::keyspace::{Bytes, Databases, Db, EventClass, Ttl, Value, Writer, ZSet};
use crate::number;
use crate::protocol::Reply;

/// The sorted set under `key` in `db` for reading, or `None` if the key is missing.
pub fn read_zset<'d>(ctx: &Ctx, db: &'d Db, key: &[u8]) -> Result<Option<&'d ZSet>, CommandError> {
    match ctx.read_key(db, key) {
        Some(entry) => Ok(Some(entry.value().as_zset()?)),
        None => Ok(None),
    }
}

/// A score argument (`ZADD`, `ZINCRBY`), as Redis's `getDoubleFromObject` reads it: what C's
/// `strtod` reads (decimal, hexadecimal `0x1p3`, `inf`), all of the text, never NaN, and
/// neither an overflow to infinity (`1e400`) nor an underflow to zero (`1e-400`), which
/// `strtod` flags with `ERANGE`.
pub fn parse_score(arg: &[u8]) -> Result<f64, CommandError> {
    number::parse_double(arg).ok_or(CommandError::NotFloat)
}

/// How members and their scores are laid out in a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Members only.
    Members,
    /// `member score member score`: RESP2's form, and a single pop's in RESP3.
    Flat,
    /// `[member, score]` pairs: RESP3's form for ranges, and ZMPOP's in both protocols.
    Pairs,
}

impl Layout {
    /// How Redis 7 replies ranges and random members: with scores flat in RESP2, paired in
    /// RESP3.
    fn scored(with_scores: bool, resp3: bool) -> Layout {
        match (with_scores, resp3) {
            (false, _) => Layout::Members,
            (true, false) => Layout::Flat,
            (true, true) => Layout::Pairs,
        }
    }

    /// The length of the array holding `members` members laid out this way.
    fn array_len(self, members: usize) -> usize {
        match self {
            Layout::Flat => 2 * members,
            Layout::Members | Layout::Pairs => members,
        }
    }

    /// Writes the members, after the array header the caller wrote.
    fn write<'m>(self, reply: &mut Reply, members: impl Iterator<Item = (&'m Bytes, f64)>) {
        for (member, score) in members {
            if self == Layout::Pairs {
                reply.array(2);
            }
            reply.bulk(member);
            if self != Layout::Members {
                reply.double(score);
            }
        }
    }
}

/// Replies with members in order, and their scores if `with_scores`: a flat array in RESP2
/// (`member score member score`), an array of `[member, score]` pairs in RESP3, as Redis 7.
pub fn reply_scored<'m>(
    ctx: &mut Ctx,
    members: impl ExactSizeIterator<Item = (&'m Bytes, f64)>,
    with_scores: bool,
) {
    let layout = Layout::scored(with_scores, ctx.reply.is_resp3());
    ctx.reply.array(layout.array_len(members.len()));
    layout.write(&mut ctx.reply, members);
}

/// The sorted set under `key` for changing in place: `None` if the key is missing, WRONGTYPE if
/// it holds something else.
fn zset_mut<'w>(w: &'w mut Writer, key: &[u8]) -> Result<Option<&'w mut ZSet>, CommandError> {
    match w.get_mut(key) {
        Some(entry) => Ok(Some(entry.value_mut().as_zset_mut()?)),
        None => Ok(None),
    }
}

/// Stores `member` with `score` ([`ZSet::insert`]) as Redis would hold it: a listpack keeps an
/// integral score as an integer (`zzlInsertAt`), so `-0` reads back as `0` there, while a
/// skiplist keeps the double as it is.
fn store(zset: &mut ZSet, member: &[u8], score: f64, limits: Limits) {
    zset.insert(member, score, limits);
    if score == 0.0 && score.is_sign_negative() && zset.encoding() == "listpack" {
        zset.insert(member, 0.0, limits);
    }
}

/// ZADD's options (ZINCRBY is ZADD with `INCR`).
#[derive(Debug, Default, Clone, Copy)]
struct AddOptions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What adding one member did (Redis's `ZADD_OUT_*` flags).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Added(f64),
    Updated(f64),
    /// Processed, but the score it would get is the one it has.
    Unchanged(f64),
    /// Left alone by NX, XX, GT or LT.
    Skipped,
}

/// Adds `member` with `score`, or increments it by `score` with INCR, as the options allow
/// (Redis's `zsetAdd`). A NaN score (`inf` plus `-inf`) changes nothing and is an error.
fn add(
    zset: &mut ZSet,
    member: &[u8],
    score: f64,
    options: AddOptions,
    limits: Limits,
) -> Result<Outcome, CommandError> {
    let Some(current) = zset.score(member) else {
        if options.xx {
            return Ok(Outcome::Skipped);
        }
        store(zset, member, score, limits);
        return Ok(Outcome::Added(score));
    };
    if options.nx {
        return Ok(Outcome::Skipped);
    }
    let score = if options.incr { score + current } else { score };
    if score.is_nan() {
        return Err(CommandError::err("resulting score is not a number (NaN)"));
    }
    if (options.lt && score >= current) || (options.gt && score <= current) {
        return Ok(Outcome::Skipped);
    }
    // `-0` and `0` are the same score: no update, as in Redis.
    if score == current {
        return Ok(Outcome::Unchanged(score));
    }
    store(zset, member, score, limits);
    Ok(Outcome::Updated(score))
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]` and `ZINCRBY key
/// increment member` (Redis's `zaddGenericCommand`): the options are read the same way for
/// both, so `ZINCRBY k nx m` is a syntax error there too.
fn add_command(ctx: &mut Ctx, args: &Args, w: &mut Writer, incr: bool) -> CommandResult {
    let mut options = AddOptions {
        incr,
        ..AddOptions::default()
    };
    let mut first = 2;
    while first < args.len() {
        let arg = args.arg(first);
        let flag = if is_option(arg, "nx") {
            &mut options.nx
        } else if is_option(arg, "xx") {
            &mut options.xx
        } else if is_option(arg, "gt") {
            &mut options.gt
        } else if is_option(arg, "lt") {
            &mut options.lt
        } else if is_option(arg, "ch") {
            &mut options.ch
        } else if is_option(arg, "incr") {
            &mut options.incr
        } else {
            break;
        };
        *flag = true;
        first += 1;
    }
    let pairs = args.len() - first;
    if pairs == 0 || pairs % 2 == 1 {
        return Err(CommandError::Syntax);
    }
    let pairs = pairs / 2;
    if options.nx && options.xx {
        return Err(CommandError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if ((options.gt || options.lt) && options.nx) || (options.gt && options.lt) {
        return Err(CommandError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if options.incr && pairs > 1 {
        return Err(CommandError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    // Every score is checked before anything changes: the command does all or nothing.
    let scores = (0..pairs)
        .map(|i| parse_score(args.arg(first + 2 * i)))
        .collect::<Result<Vec<f64>, _>>()?;
    let key = args.arg(1);
    let limits = ctx.server.config.zset_limits();
    let members = scores
        .iter()
        .enumerate()
        .map(|(i, &score)| (args.arg(first + 2 * i + 1), score));
    let apply = |zset: &mut ZSet| -> Result<(usize, usize, Option<f64>), CommandError> {
        let (mut added, mut updated, mut last) = (0, 0, None);
        for (member, score) in members {
            match add(zset, member, score, options, limits)? {
                Outcome::Added(score) => (added, last) = (added + 1, Some(score)),
                Outcome::Updated(score) => (updated, last) = (updated + 1, Some(score)),
                Outcome::Unchanged(score) => last = Some(score),
                Outcome::Skipped => {}
            }
        }
        Ok((added, updated, last))
    };
    let (added, updated, last) = match zset_mut(w, key)? {
        Some(zset) => {
            let outcome = apply(zset)?;
            if outcome.0 + outcome.1 > 0 {
                w.modified(key);
            }
            outcome
        }
        None if options.xx => (0, 0, None),
        None => {
            // Redis 7.0 picks the encoding of a new set by its first member alone; later ones
            // convert it as they are added.
            let mut zset = ZSet::with_hint(1, args.arg(first + 1).len(), limits);
            let outcome = apply(&mut zset)?;
            // Storing the new set is what wakes the clients blocked on the key.
            w.set(key, Value::zset(zset), Ttl::Clear);
            outcome
        }
    };
    if added + updated > 0 {
        w.changed((added + updated) as u64 - 1);
        w.notify(
            EventClass::ZSET,
            if options.incr { "zincr" } else { "zadd" },
            key,
        );
    }
    if options.incr {
        match last {
            Some(score) => ctx.reply.double(score),
            None => ctx.reply.null(),
        }
    } else {
        let count = if options.ch { added + updated } else { added };
        ctx.reply.integer(count as i64);
    }
    Ok(())
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`: how many members
/// were added (or, with CH, added or updated); with INCR, the new score or null if the options
/// stopped it. (Stages 92–93.)
pub fn zadd(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    add_command(ctx, args, w, false)
}

/// `ZINCRBY key increment member`: the new score.
pub fn zincrby(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    add_command(ctx, args, w, true)
}

/// `ZREM key member [member ...]`: how many members were removed. (Stage 99.)
pub fn zrem(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let Some(zset) = zset_mut(w, key)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let removed = args
        .iter()
        .skip(2)
        .filter(|member| zset.remove(member).is_some())
        .count();
    let emptied = zset.is_empty();
    if removed > 0 {
        w.removed_elements(key, EventClass::ZSET, "zrem", removed, emptied);
    }
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// `ZCARD key`: the number of members, 0 for a missing key. (Stage 97.)
pub fn zcard(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    ctx.reply.integer(zset.map_or(0, ZSet::len) as i64);
    Ok(())
}

/// `ZSCORE key member`: the score (a RESP3 double), or null. (Stage 98.)
pub fn zscore(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    match zset.and_then(|z| z.score(args.arg(2))) {
        Some(score) => ctx.reply.double(score),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `ZMSCORE key member [member ...]`: the score of each, or null; a missing key is an empty set.
pub fn zmscore(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    ctx.reply.array(args.len() - 2);
    for member in args.iter().skip(2) {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => ctx.reply.double(score),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// `ZRANK`/`ZREVRANK key member`: the 0-based rank from the lowest (or the highest) score, or
/// null for a missing member or key.
fn rank_command(ctx: &mut Ctx, args: &Args, databases: &Databases, reverse: bool) -> CommandResult {
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    let rank = zset.and_then(|z| {
        let rank = z.rank(args.arg(2))?;
        Some(if reverse { z.len() - 1 - rank } else { rank })
    });
    match rank {
        Some(rank) => ctx.reply.integer(rank as i64),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `ZRANK key member` (Stage 94.)
pub fn zrank(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    rank_command(ctx, args, databases, false)
}

/// `ZREVRANK key member`
pub fn zrevrank(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    rank_command(ctx, args, databases, true)
}

/// Which end of a sorted set a pop takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Min,
    Max,
}

impl Side {
    /// `MIN` or `MAX`, in any case; anything else is a syntax error.
    fn parse(arg: &[u8]) -> Result<Side, CommandError> {
        if is_option(arg, "min") {
            Ok(Side::Min)
        } else if is_option(arg, "max") {
            Ok(Side::Max)
        } else {
            Err(CommandError::Syntax)
        }
    }

    /// The event of a pop from this side, and the command it is journaled as.
    fn event(self) -> &'static str {
        match self {
            Side::Min => "zpopmin",
            Side::Max => "zpopmax",
        }
    }

    fn pop_command(self) -> &'static [u8] {
        match self {
            Side::Min => b"ZPOPMIN",
            Side::Max => b"ZPOPMAX",
        }
    }
}

/// The shape of a pop's reply, which also decides how it is journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `ZPOPMIN key [count]`: the members laid out as given (flat, or pairs for a count in
    /// RESP3). Journaled as sent.
    Plain(Layout),
    /// `BZPOPMIN`/`BZPOPMAX`: `[key, member, score]`. Journaled as `ZPOPMIN key`.
    Keyed,
    /// `ZMPOP`/`BZMPOP`: `[key, [[member, score] ...]]`. Journaled as `ZPOPMIN key count`.
    Nested,
}

/// What a pop does once its key holds a sorted set: the immediate commands and the blocked
/// ones share it (see the module documentation).
#[derive(Debug, Clone, Copy)]
struct Pop {
    side: Side,
    /// At most this many members (1 for the single pops).
    count: usize,
    shape: Shape,
}

impl Pop {
    /// Pops from the sorted set at `key`, which must exist, and replies. Returns how many
    /// members were popped.
    fn run(&self, w: &mut Writer, key: &[u8], reply: &mut Reply) -> usize {
        let zset = zset_mut(w, key)
            .ok()
            .flatten()
            .expect("the caller found a sorted set");
        let len = zset.len();
        let popped = self.count.min(len);
        let ranks: Range<usize> = match self.side {
            Side::Min => 0..popped,
            Side::Max => len - popped..len,
        };
        let layout = match self.shape {
            Shape::Plain(layout) => {
                reply.array(layout.array_len(popped));
                layout
            }
            Shape::Keyed => {
                reply.array(2 * popped + 1);
                reply.bulk(key);
                Layout::Flat
            }
            Shape::Nested => {
                reply.array(2);
                reply.bulk(key);
                reply.array(popped);
                Layout::Pairs
            }
        };
        let members = zset.range(ranks.clone());
        match self.side {
            Side::Min => layout.write(reply, members),
            Side::Max => layout.write(reply, members.rev()),
        }
        zset.remove_range(ranks, |_, _| {});
        let emptied = zset.is_empty();
        w.removed_elements(key, EventClass::ZSET, self.side.event(), popped, emptied);
        popped
    }

    /// Journals the pop as Redis propagates it (`blockingGenericZpopCommand`,
    /// `serveClientsBlockedOnSortedSetKey`, `genericZpopCommand` for ZMPOP).
    fn propagate(&self, w: &mut Writer, key: &[u8], popped: usize) {
        let command = self.side.pop_command();
        match self.shape {
            Shape::Plain(_) => {}
            Shape::Keyed => w.propagate(&[command, key]),
            Shape::Nested => w.propagate(&[command, key, popped.to_string().as_bytes()]),
        }
    }
}

/// `ZPOPMIN`/`ZPOPMAX key [count]`: the lowest (highest) members with their scores, an empty
/// array for a missing key.
fn pop_command(ctx: &mut Ctx, args: &Args, w: &mut Writer, side: Side) -> CommandResult {
    let count = match args.len() {
        2 => None,
        3 => Some(parse_positive(args.arg(2), None)? as usize),
        _ => return Err(CommandError::Syntax),
    };
    let key = args.arg(1);
    if zset_mut(w, key)?.is_none() || count == Some(0) {
        ctx.reply.array(0);
        return Ok(());
    }
    // A count asks for pairs in RESP3 (even `1`); without one the reply is one flat pair.
    let layout = Layout::scored(true, count.is_some() && ctx.reply.is_resp3());
    let pop = Pop {
        side,
        count: count.unwrap_or(1),
        shape: Shape::Plain(layout),
    };
    pop.run(w, key, &mut ctx.reply);
    Ok(())
}

pub fn zpopmin(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    pop_command(ctx, args, w, Side::Min)
}

pub fn zpopmax(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    pop_command(ctx, args, w, Side::Max)
}

/// The first of `keys` that holds a sorted set, or `None` if none exists. WRONGTYPE for a key
/// of another type met on the way (Redis checks in argument order and stops at the first
/// sorted set).
fn first_zset<'k>(
    w: &mut Writer,
    keys: impl Iterator<Item = &'k [u8]>,
) -> Result<Option<&'k [u8]>, CommandError> {
    for key in keys {
        if let Some(entry) = w.get(key) {
            if !entry.value().as_zset()?.is_empty() {
                return Ok(Some(key));
            }
        }
    }
    Ok(None)
}

/// Parses `numkeys key [key ...] MIN|MAX [COUNT count]` from `numkeys_at`: the argument
/// positions of the keys, and the pop.
fn parse_mpop(args: &Args, numkeys_at: usize) -> Result<(Range<usize>, Pop), CommandError> {
    let (keys, side, count) = super::parse_mpop(args, numkeys_at, Side::parse)?;
    let pop = Pop {
        side,
        count: count.unwrap_or(1),
        shape: Shape::Nested,
    };
    Ok((keys, pop))
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`: `[key, [[member, score] ...]]` from the
/// first sorted set among the keys, or the null array.
pub fn zmpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (keys, pop) = parse_mpop(args, 1)?;
    match first_zset(w, keys.map(|i| args.arg(i)))? {
        Some(key) => {
            let popped = pop.run(w, key, &mut ctx.reply);
            pop.propagate(w, key, popped);
        }
        None => ctx.reply.null_array(),
    }
    Ok(())
}

/// A client blocked in a sorted-set pop, waiting for one of its keys to hold a sorted set
/// ([`blocking::Blocked`]). On timeout it gets the null array, the trait's default.
struct BlockedPop(Pop);

impl Blocked for BlockedPop {
    fn serve(&mut self, key: &[u8], w: &mut Writer, reply: &mut Reply) -> bool {
        // A key that is missing or of another type (a list pushed there) cannot serve it.
        if !w
            .get(key)
            .is_some_and(|e| e.value().as_zset().is_ok_and(|z| !z.is_empty()))
        {
            return false;
        }
        let popped = self.0.run(w, key, reply);
        self.0.propagate(w, key, popped);
        true
    }
}

/// The blocking pops' common path (Redis's `blockingGenericZpopCommand`): pop from the first
/// sorted set among `keys` at once, or, unless blocking is not allowed (inside `EXEC`), block
/// on all of them.
fn pop_or_block<'a>(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    keys: impl Iterator<Item = &'a [u8]> + Clone,
    pop: Pop,
    timeout: blocking::Timeout,
) -> CommandResult {
    if let Some(key) = first_zset(w, keys.clone())? {
        let popped = pop.run(w, key, &mut ctx.reply);
        pop.propagate(w, key, popped);
        return Ok(());
    }
    if !ctx.may_block {
        ctx.reply.null_array();
        return Ok(());
    }
    let keys = keys.map(Bytes::new).collect();
    blocking::block(ctx, args, keys, timeout, Box::new(BlockedPop(pop)))
}

/// `BZPOPMIN`/`BZPOPMAX key [key ...] timeout`: `[key, member, score]` from the first sorted
/// set, waiting up to `timeout` seconds (0: forever) for one; the null array on timeout.
fn blocking_pop(ctx: &mut Ctx, args: &Args, w: &mut Writer, side: Side) -> CommandResult {
    // Redis reads the timeout before it looks at any key.
    let timeout = blocking::parse_timeout(args.arg(args.len() - 1))?;
    let keys = (1..args.len() - 1).map(|i| args.arg(i));
    let pop = Pop {
        side,
        count: 1,
        shape: Shape::Keyed,
    };
    pop_or_block(ctx, args, w, keys, pop, timeout)
}

pub fn bzpopmin(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    blocking_pop(ctx, args, w, Side::Min)
}

pub fn bzpopmax(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    blocking_pop(ctx, args, w, Side::Max)
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`: ZMPOP, waiting as BZPOPMIN.
pub fn bzmpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    // Here the other arguments are checked first, then the timeout (`zmpopGenericCommand`).
    let (keys, pop) = parse_mpop(args, 2)?;
    let timeout = blocking::parse_timeout(args.arg(1))?;
    pop_or_block(ctx, args, w, keys.map(|i| args.arg(i)), pop, timeout)
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`: a random member (or null); with a count, that many
/// distinct members (the whole set at most, from the highest score down as Redis iterates it),
/// or with a negative count that many picks that may repeat (bounded as SRANDMEMBER's).
pub fn zrandmember(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let key = args.arg(1);
    if args.len() == 2 {
        match read_zset(ctx, ctx.db(databases), key)? {
            Some(zset) => {
                let (member, _) = zset.random(&mut ctx.session.rng);
                ctx.reply.bulk(member);
            }
            None => ctx.reply.null(),
        }
        return Ok(());
    }
    let count = parse_range(args.arg(2), -i64::MAX, i64::MAX, None)?;
    if args.len() > 4 || (args.len() == 4 && !is_option(args.arg(3), "withscores")) {
        return Err(CommandError::Syntax);
    }
    let with_scores = args.len() == 4;
    if with_scores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CommandError::err("value is out of range"));
    }
    let Some(zset) = read_zset(ctx, ctx.db(databases), key)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let layout = Layout::scored(with_scores, ctx.reply.is_resp3());
    let rng = &mut ctx.session.rng;
    let reply = &mut ctx.reply;
    if count < 0 {
        // Written as they are picked: nothing is allocated by the count.
        let picks = random_count(count.unsigned_abs())?;
        reply.array(layout.array_len(picks));
        layout.write(reply, (0..picks).map(|_| zset.random(rng)));
    } else if count as u64 >= zset.len() as u64 {
        reply.array(layout.array_len(zset.len()));
        layout.write(reply, zset.iter().rev());
    } else {
        let positions = rng.sample(zset.len(), count as usize);
        reply.array(layout.array_len(positions.len()));
        layout.write(reply, positions.into_iter().map(|p| zset.at_position(p)));
    }
    Ok(())
}

/// A score as ZSCAN prints it: a listpack holds an integral score as an integer and prints it
/// so (Redis's `d2string`, `1e17` as `100000000000000000`, `-0` as `0`), a skiplist prints the
/// double with `%.17g`.
fn scan_score(score: f64, listpack: bool) -> String {
    // Redis's `double2ll`: integers within ±LLONG_MAX/2 print as integers.
    let limit = (i64::MAX / 2) as f64;
    if listpack && score.trunc() == score && (-limit..=limit).contains(&score) {
        (score as i64).to_string()
    } else {
        number::format_double(score)
    }
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: a batch of members with their scores and
/// the cursor to continue from (see `HSCAN`); a listpack comes whole in one call, as in Redis.
pub fn zscan(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let cursor = parse_cursor(args.arg(2))?;
    let Some(zset) = read_zset(ctx, ctx.db(databases), args.arg(1))? else {
        reply_scan(ctx, 0, &[]);
        return Ok(());
    };
    let options = parse_scan_options(args, 3, false)?;
    let mut found = Vec::new();
    let next = zset.scan(cursor, options.count, |member, score| {
        if options.matches(member) {
            found.push((member, score));
        }
    });
    let listpack = zset.encoding() == "listpack";
    let scores: Vec<String> = found
        .iter()
        .map(|&(_, score)| scan_score(score, listpack))
        .collect();
    let items: Vec<&[u8]> = found
        .iter()
        .zip(&scores)
        .flat_map(|((member, _), score)| [member.as_slice(), score.as_bytes()])
        .collect();
    reply_scan(ctx, next, &items);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(text: &str) -> Option<f64> {
        parse_score(text.as_bytes()).ok()
    }

    #[test]
    fn scores_parse_as_strtod_reads_them_for_redis() {
        assert_eq!(score("1.5"), Some(1.5));
        assert_eq!(score("+5"), Some(5.0));
        assert_eq!(score(".5"), Some(0.5));
        assert_eq!(score("1."), Some(1.0));
        assert_eq!(score("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(score("Infinity"), Some(f64::INFINITY));
        assert_eq!(score("0x10"), Some(16.0));
        assert_eq!(score("0x1p3"), Some(8.0));
        assert_eq!(score("-0x.8"), Some(-0.5));
        assert_eq!(score("0e5"), Some(0.0));
        assert_eq!(score("0x0p-5000"), Some(0.0));
        assert_eq!(score("4.9e-324"), Some(4.9e-324), "a subnormal is in range");
        for refused in [
            "",
            " 1",
            "1 ",
            "nan",
            "x",
            "1e",
            "0x",
            "1_0",
            "1e400",
            "-1e400",
            "1e-400",
            "0x1p5000",
            "0x1p-5000",
            "infinit",
        ] {
            assert_eq!(score(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn zscan_prints_listpack_scores_as_redis_stores_them() {
        assert_eq!(scan_score(1e17, true), "100000000000000000");
        assert_eq!(scan_score(1e17, false), "1e+17");
        assert_eq!(scan_score(-0.0, true), "0");
        assert_eq!(scan_score(-0.0, false), "-0");
        assert_eq!(scan_score(0.1, true), "0.10000000000000001");
        assert_eq!(scan_score(1e19, true), "1e+19");
        assert_eq!(scan_score(f64::INFINITY, true), "inf");
    }

    #[test]
    fn options_decide_what_an_add_does() {
        let limits = Limits::default();
        let mut zset = ZSet::new();
        let plain = AddOptions::default();
        let opts = |f: fn(&mut AddOptions)| {
            let mut o = AddOptions::default();
            f(&mut o);
            o
        };
        assert_eq!(
            add(&mut zset, b"a", 1.0, plain, limits),
            Ok(Outcome::Added(1.0))
        );
        assert_eq!(
            add(&mut zset, b"a", 1.0, plain, limits),
            Ok(Outcome::Unchanged(1.0))
        );
        let gt = opts(|o| o.gt = true);
        assert_eq!(add(&mut zset, b"a", 0.5, gt, limits), Ok(Outcome::Skipped));
        assert_eq!(
            add(&mut zset, b"a", 2.0, gt, limits),
            Ok(Outcome::Updated(2.0))
        );
        let xx = opts(|o| o.xx = true);
        assert_eq!(add(&mut zset, b"b", 2.0, xx, limits), Ok(Outcome::Skipped));
        let nx = opts(|o| o.nx = true);
        assert_eq!(add(&mut zset, b"a", 9.0, nx, limits), Ok(Outcome::Skipped));
        let incr = opts(|o| o.incr = true);
        assert_eq!(
            add(&mut zset, b"a", 3.0, incr, limits),
            Ok(Outcome::Updated(5.0))
        );
        add(&mut zset, b"a", f64::INFINITY, plain, limits).unwrap();
        assert!(add(&mut zset, b"a", f64::NEG_INFINITY, incr, limits).is_err());
        assert_eq!(
            zset.score(b"a"),
            Some(f64::INFINITY),
            "a NaN changes nothing"
        );
    }

    #[test]
    fn a_listpack_keeps_minus_zero_as_zero() {
        let limits = Limits::default();
        let mut zset = ZSet::new();
        store(&mut zset, b"a", -0.0, limits);
        assert!(zset.score(b"a").unwrap().is_sign_positive());
        let mut big = ZSet::with_hint(1, 100, limits);
        store(&mut big, b"a", -0.0, limits);
        assert!(big.score(b"a").unwrap().is_sign_negative());
    }
}
