//! Sorted-set ranges: by rank, by score and by lex, forwards and in reverse (ZRANGE and its
//! older forms), ZRANGESTORE, ZCOUNT, ZLEXCOUNT and the ZREMRANGEBY* removals.
//!
//! One engine serves them all, as Redis's `zrangeGenericCommand` does. The arguments become a
//! [`Spec`]: what to select ([`Select`]: ranks, scores or members), in which direction, and
//! which window of it (`LIMIT`). [`Spec::ranks`] turns that into an interval of ascending ranks
//! of a given set, with two binary searches ([`ZSet::count_while`]) for scores and members. The
//! commands differ only in what they do with the interval: reply with it, count it, store it or
//! remove it.

use std::ops::Range;

use super::super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use super::{read_zset, reply_scored};
use crate::keyspace::{Databases, EventClass, Ttl, Value, Writer, ZSet};
use crate::number;

/// One end of a score range: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ScoreBound {
    value: f64,
    exclusive: bool,
}

impl ScoreBound {
    /// Parses a bound as `zslParseRange` does: a `(` makes it exclusive.
    fn parse(arg: &[u8]) -> Option<ScoreBound> {
        let (exclusive, number) = match arg.split_first() {
            Some((b'(', rest)) => (true, rest),
            _ => (false, arg),
        };
        bound_number(number).map(|value| ScoreBound { value, exclusive })
    }
}

/// A score bound's number. `zslParseRange` calls `strtod` itself, with fewer checks than
/// `getDoubleFromObject` (`parse_score`): it must read up to the end of the C string, so a NUL
/// byte ends the text, `""` is 0, blanks before the number are skipped, and what overflows is
/// infinite (`1e400`) rather than an error. Never NaN.
fn bound_number(text: &[u8]) -> Option<f64> {
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    if text.is_empty() {
        return Some(0.0);
    }
    // C's isspace: space, \t, \n, \v, \f, \r.
    let blanks = text
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'..=b'\r'))
        .count();
    let text = &text[blanks..];
    // Rust's parser has no hexadecimal floats: `strtold` reads them (rounded to 64 bits, then
    // to 53), within its range, which is all an `f64` can hold.
    number::strtod(text)
}

/// One end of a lex range: `-` and `+` (below and above every member), `[a` and `(a`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum LexBound<'a> {
    Lowest,
    Highest,
    Inclusive(&'a [u8]),
    Exclusive(&'a [u8]),
}

impl LexBound<'_> {
    /// Parses a bound as `zslParseLexRangeItem` does.
    fn parse(arg: &[u8]) -> Option<LexBound<'_>> {
        match arg.split_first()? {
            (b'-', []) => Some(LexBound::Lowest),
            (b'+', []) => Some(LexBound::Highest),
            (b'[', member) => Some(LexBound::Inclusive(member)),
            (b'(', member) => Some(LexBound::Exclusive(member)),
            _ => None,
        }
    }
}

/// What a range selects, before any `LIMIT`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Select<'a> {
    /// `start` and `stop` indexes, both included, negative ones counting from the end.
    Ranks(i64, i64),
    Scores(ScoreBound, ScoreBound),
    /// Members between two bounds, for a set whose scores are all equal (with different
    /// scores, which members come out is unspecified, as in Redis).
    Lex(LexBound<'a>, LexBound<'a>),
}

/// How a command names its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

impl<'a> Select<'a> {
    /// Parses `min` and `max` (`start` and `stop` for ranks), with Redis's error for each kind.
    fn parse(by: By, min: &'a [u8], max: &'a [u8]) -> Result<Select<'a>, CommandError> {
        match by {
            By::Rank => Ok(Select::Ranks(parse_int(min)?, parse_int(max)?)),
            By::Score => match (ScoreBound::parse(min), ScoreBound::parse(max)) {
                (Some(min), Some(max)) => Ok(Select::Scores(min, max)),
                _ => Err(CommandError::err("min or max is not a float")),
            },
            By::Lex => match (LexBound::parse(min), LexBound::parse(max)) {
                (Some(min), Some(max)) => Ok(Select::Lex(min, max)),
                _ => Err(CommandError::err("min or max not valid string range item")),
            },
        }
    }

    /// The members selected in `zset`, as an interval of ascending ranks. Rank indexes count
    /// from the highest member when `reverse` (`ZREVRANGE key 0 0` is the highest); an
    /// interval that lies outside the set, or whose ends cross, is empty.
    fn span(&self, zset: &ZSet, reverse: bool) -> Range<usize> {
        let len = zset.len();
        let (below, through) = match *self {
            Select::Ranks(start, stop) => {
                let Some(ranks) = sanitize_ranks(start, stop, len) else {
                    return 0..0;
                };
                return if reverse {
                    len - ranks.end..len - ranks.start
                } else {
                    ranks
                };
            }
            Select::Scores(min, max) => (
                zset.count_while(|_, s| s < min.value || (min.exclusive && s == min.value)),
                zset.count_while(|_, s| s < max.value || (!max.exclusive && s == max.value)),
            ),
            Select::Lex(min, max) => {
                let count = |bound: LexBound, lower: bool| match bound {
                    LexBound::Lowest => 0,
                    LexBound::Highest => len,
                    // Below the lower end: what is less than it, or not more if it is
                    // excluded; up to the upper end: the converse.
                    LexBound::Inclusive(b) if lower => zset.count_while(|m, _| m < b),
                    LexBound::Exclusive(b) if lower => zset.count_while(|m, _| m <= b),
                    LexBound::Inclusive(b) => zset.count_while(|m, _| m <= b),
                    LexBound::Exclusive(b) => zset.count_while(|m, _| m < b),
                };
                (count(min, true), count(max, false))
            }
        };
        below..through.max(below)
    }
}

/// Redis's sanitising of `start` and `stop` rank indexes for a set of `len` members: negative
/// ones count from the end, the start is clamped at 0 and the stop at the last member. `None`
/// when nothing is left.
fn sanitize_ranks(start: i64, stop: i64, len: usize) -> Option<Range<usize>> {
    let len = i64::try_from(len).expect("a set's length fits an i64");
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { stop + len } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some(start as usize..stop.min(len - 1) as usize + 1)
}

/// A range query: what to select, in which direction, and which window of it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Spec<'a> {
    select: Select<'a>,
    /// Highest first: `REV`, `ZREVRANGE...`.
    reverse: bool,
    /// `LIMIT offset count` (Redis's defaults: 0 and -1). A negative count means all that is
    /// left; a negative offset selects nothing. Ignored for ranks.
    offset: i64,
    count: i64,
}

impl Spec<'_> {
    /// The ranks (ascending) of the members the query selects in `zset`, to be walked from the
    /// highest when `self.reverse`. The `LIMIT` window is counted in the walking direction.
    fn ranks(&self, zset: &ZSet) -> Range<usize> {
        let span = self.select.span(zset, self.reverse);
        if matches!(self.select, Select::Ranks(..)) {
            return span;
        }
        if self.offset < 0 {
            return 0..0;
        }
        let skip = usize::try_from(self.offset).map_or(span.len(), |o| o.min(span.len()));
        let left = span.len() - skip;
        let take = usize::try_from(self.count).map_or(left, |c| c.min(left));
        if self.reverse {
            span.end - skip - take..span.end - skip
        } else {
            span.start + skip..span.start + skip + take
        }
    }
}

/// Parses a ZRANGE-family command as `zrangeGenericCommand` does: the key at `key_at`, its two
/// range arguments, then the options. `by` and `reverse` are fixed by the older forms
/// (`ZRANGEBYSCORE`, `ZREVRANGE`...), where the options that would set them are syntax errors;
/// `store` (ZRANGESTORE) refuses `WITHSCORES`. Options are read first, then checked against
/// each other, and only then is the range parsed. Returns the query and `WITHSCORES`.
fn parse_query(
    args: &Args,
    key_at: usize,
    store: bool,
    mut by: Option<By>,
    mut reverse: Option<bool>,
) -> Result<(Spec<'_>, bool), CommandError> {
    let (mut with_scores, mut offset, mut count) = (false, 0, -1);
    let mut i = key_at + 3;
    while i < args.len() {
        let arg = args.arg(i);
        if !store && is_option(arg, "withscores") {
            with_scores = true;
        } else if is_option(arg, "limit") && args.len() - i > 2 {
            offset = parse_int(args.arg(i + 1))?;
            count = parse_int(args.arg(i + 2))?;
            i += 2;
        } else if reverse.is_none() && is_option(arg, "rev") {
            reverse = Some(true);
        } else if by.is_none() && is_option(arg, "bylex") {
            by = Some(By::Lex);
        } else if by.is_none() && is_option(arg, "byscore") {
            by = Some(By::Score);
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    let (by, reverse) = (by.unwrap_or(By::Rank), reverse.unwrap_or(false));
    // Redis tells "no LIMIT" by the count alone, so `LIMIT 5 -1` passes with ranks.
    if count != -1 && by == By::Rank {
        return Err(CommandError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && by == By::Lex {
        return Err(CommandError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    // A reversed range by score or lex names its upper end first.
    let (mut min, mut max) = (args.arg(key_at + 1), args.arg(key_at + 2));
    if reverse && by != By::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let spec = Spec {
        select: Select::parse(by, min, max)?,
        reverse,
        offset,
        count,
    };
    Ok((spec, with_scores))
}

/// Replies with what a ZRANGE-family command selects: `args[1]` is the key.
fn reply_range(
    ctx: &mut Ctx,
    args: &Args,
    databases: &Databases,
    by: Option<By>,
    reverse: Option<bool>,
) -> CommandResult {
    let (spec, with_scores) = parse_query(args, 1, false, by, reverse)?;
    let Some(zset) = read_zset(ctx, ctx.db(databases), args.arg(1))? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let members = zset.range(spec.ranks(zset));
    if spec.reverse {
        reply_scored(ctx, members.rev(), with_scores);
    } else {
        reply_scored(ctx, members, with_scores);
    }
    Ok(())
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
pub fn zrange(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply_range(ctx, args, databases, None, None)
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
pub fn zrangebyscore(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply_range(ctx, args, databases, Some(By::Score), Some(false))
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
pub fn zrevrangebyscore(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply_range(ctx, args, databases, Some(By::Score), Some(true))
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
pub fn zrangebylex(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply_range(ctx, args, databases, Some(By::Lex), Some(false))
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
pub fn zrevrangebylex(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply_range(ctx, args, databases, Some(By::Lex), Some(true))
}

/// `ZREVRANGE key start stop [WITHSCORES]`
pub fn zrevrange(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply_range(ctx, args, databases, Some(By::Rank), Some(true))
}

/// Stores `zset` as the result of a `*STORE` command at `destination` (replacing what was
/// there, time to live included) and replies its size; an empty result deletes the destination
/// instead, with a `del` event if there was one. `event` names the command (`zrangestore`).
pub(super) fn store_result(
    ctx: &mut Ctx,
    w: &mut Writer,
    destination: &[u8],
    zset: ZSet,
    event: &'static str,
) {
    let size = zset.len();
    if size == 0 {
        if w.remove(destination).is_some() {
            w.notify(EventClass::GENERIC, "del", destination);
        }
    } else {
        w.set(destination, Value::zset(zset), Ttl::Clear);
        w.notify(EventClass::ZSET, event, destination);
    }
    ctx.reply.integer(size as i64);
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: stores the range
/// (in a listpack if it fits one, as Redis sizes the result before filling it) and replies its
/// size.
pub fn zrangestore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (spec, _) = parse_query(args, 2, true, None, None)?;
    let (destination, source) = (args.arg(1), args.arg(2));
    let limits = ctx.server.config.zset_limits();
    let selected = w.selected();
    // An expired source goes first (journaled as DEL); then it is read in place.
    w.expire_now(selected, source);
    let result = match read_zset(ctx, w.databases().db(selected), source)? {
        Some(zset) => {
            let ranks = spec.ranks(zset);
            let mut result = ZSet::with_hint(ranks.len(), 0, limits);
            for (member, score) in zset.range(ranks) {
                super::store(&mut result, member, score, limits);
            }
            result
        }
        None => ZSet::new(),
    };
    store_result(ctx, w, destination, result, "zrangestore");
    Ok(())
}

/// `ZCOUNT key min max`: how many members have a score in the range.
pub fn zcount(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    count(ctx, args, databases, By::Score)
}

/// `ZLEXCOUNT key min max`: how many members lie in the lex range.
pub fn zlexcount(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    count(ctx, args, databases, By::Lex)
}

fn count(ctx: &mut Ctx, args: &Args, databases: &Databases, by: By) -> CommandResult {
    let select = Select::parse(by, args.arg(2), args.arg(3))?;
    let zset = read_zset(ctx, ctx.db(databases), args.arg(1))?;
    let count = zset.map_or(0, |zset| select.span(zset, false).len());
    ctx.reply.integer(count as i64);
    Ok(())
}

/// `ZREMRANGEBYRANK key start stop`
pub fn zremrangebyrank(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    remove_range(ctx, args, w, By::Rank, "zremrangebyrank")
}

/// `ZREMRANGEBYSCORE key min max`
pub fn zremrangebyscore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    remove_range(ctx, args, w, By::Score, "zremrangebyscore")
}

/// `ZREMRANGEBYLEX key min max`
pub fn zremrangebylex(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    remove_range(ctx, args, w, By::Lex, "zremrangebylex")
}

/// Removes the members in the range and replies how many went; the event `event` if any did,
/// and the key goes with its last member.
fn remove_range(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    by: By,
    event: &'static str,
) -> CommandResult {
    let key = args.arg(1);
    let select = Select::parse(by, args.arg(2), args.arg(3))?;
    let (removed, emptied) = match w.get_mut(key) {
        Some(entry) => {
            let zset = entry.value_mut().as_zset_mut()?;
            let ranks = select.span(zset, false);
            let removed = ranks.len();
            zset.remove_range(ranks, |_, _| {});
            (removed, zset.is_empty())
        }
        None => (0, false),
    };
    if removed > 0 {
        w.removed_elements(key, EventClass::ZSET, event, removed, emptied);
    }
    ctx.reply.integer(removed as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::zset::Limits;

    fn zset(members: &[(&str, f64)]) -> ZSet {
        let mut zset = ZSet::new();
        for (member, score) in members {
            zset.insert(member.as_bytes(), *score, Limits::default());
        }
        zset
    }

    fn spec(select: Select<'_>, reverse: bool, offset: i64, count: i64) -> Spec<'_> {
        Spec {
            select,
            reverse,
            offset,
            count,
        }
    }

    const fn score(value: f64, exclusive: bool) -> ScoreBound {
        ScoreBound { value, exclusive }
    }

    #[test]
    fn ranks_count_from_either_end_and_clamp() {
        let z = zset(&[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)]);
        let ranks = |start, stop, reverse| Select::Ranks(start, stop).span(&z, reverse);
        assert_eq!(ranks(0, -1, false), 0..4);
        assert_eq!(ranks(-2, 100, false), 2..4);
        assert_eq!(ranks(-100, 0, false), 0..1);
        assert_eq!(ranks(3, 1, false), 0..0);
        assert_eq!(ranks(4, 10, false), 0..0);
        assert_eq!(ranks(i64::MIN, i64::MAX, false), 0..4);
        assert_eq!(ranks(0, 0, true), 3..4, "the highest first");
        assert_eq!(ranks(1, 2, true), 1..3);
    }

    #[test]
    fn score_and_lex_bounds_select_by_binary_search() {
        let z = zset(&[("a", 1.0), ("b", 2.0), ("c", 2.0), ("d", 3.0)]);
        let scores = |min, max| Select::Scores(min, max).span(&z, false);
        assert_eq!(scores(score(2.0, false), score(2.0, false)), 1..3);
        assert_eq!(scores(score(2.0, true), score(3.0, false)), 3..4);
        assert_eq!(scores(score(1.0, false), score(3.0, true)), 0..3);
        assert_eq!(scores(score(2.0, true), score(2.0, true)), 3..3);
        assert_eq!(scores(score(3.0, false), score(1.0, false)).len(), 0);
        let flat = zset(&[("a", 0.0), ("b", 0.0), ("c", 0.0)]);
        let lex = |min: &str, max: &str| {
            let (min, max) = (
                LexBound::parse(min.as_bytes()),
                LexBound::parse(max.as_bytes()),
            );
            Select::Lex(min.unwrap(), max.unwrap()).span(&flat, false)
        };
        assert_eq!(lex("-", "+"), 0..3);
        assert_eq!(lex("[b", "+"), 1..3);
        assert_eq!(lex("(b", "[c"), 2..3);
        assert_eq!(lex("+", "-").len(), 0);
        assert_eq!(lex("(b", "(b").len(), 0);
    }

    #[test]
    fn limit_windows_count_in_the_walking_direction() {
        let z = zset(&[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0), ("e", 5.0)]);
        let all = Select::Scores(score(f64::NEG_INFINITY, false), score(f64::INFINITY, false));
        assert_eq!(spec(all, false, 1, 2).ranks(&z), 1..3);
        assert_eq!(spec(all, true, 1, 2).ranks(&z), 2..4);
        assert_eq!(spec(all, false, 3, -1).ranks(&z), 3..5);
        assert_eq!(spec(all, false, -1, 2).ranks(&z).len(), 0);
        assert_eq!(spec(all, false, i64::MAX, i64::MAX).ranks(&z).len(), 0);
        assert_eq!(spec(all, true, 0, i64::MAX).ranks(&z), 0..5);
        assert_eq!(
            spec(Select::Ranks(0, -1), false, 3, -1).ranks(&z),
            0..5,
            "no window on ranks"
        );
    }

    #[test]
    fn bounds_parse_as_redis_reads_them() {
        assert_eq!(ScoreBound::parse(b"(1.5"), Some(score(1.5, true)));
        assert_eq!(ScoreBound::parse(b"("), Some(score(0.0, true)));
        assert_eq!(
            ScoreBound::parse(b"-inf"),
            Some(score(f64::NEG_INFINITY, false))
        );
        assert_eq!(ScoreBound::parse(b"[1"), None);
        assert_eq!(bound_number(b""), Some(0.0));
        assert_eq!(bound_number(b" 1.5"), Some(1.5));
        assert_eq!(bound_number(b" "), None);
        assert_eq!(bound_number(b"0x10"), Some(16.0));
        assert_eq!(bound_number(b"1e400"), Some(f64::INFINITY));
        assert_eq!(bound_number(b"2\0junk"), Some(2.0));
        assert_eq!(bound_number(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(bound_number(b"nan"), None);
        assert_eq!(bound_number(b"1 "), None);
        assert_eq!(LexBound::parse(b"[a"), Some(LexBound::Inclusive(b"a")));
        assert_eq!(LexBound::parse(b"("), Some(LexBound::Exclusive(b"")));
        assert_eq!(LexBound::parse(b"+a"), None);
        assert_eq!(LexBound::parse(b"a"), None);
        assert_eq!(LexBound::parse(b""), None);
    }
}
