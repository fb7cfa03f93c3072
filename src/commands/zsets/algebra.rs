//! The algebra of several sorted sets (plain sets count as sets whose scores are all 1): ZUNION,
//! ZINTER, ZDIFF, their STORE forms with WEIGHTS and AGGREGATE, and ZINTERCARD.
//!
//! All seven are one function in Redis (`zunionInterDiffGenericCommand`) and one here: parse
//! `numkeys`, look the inputs up (a missing key is an empty set), read the options, compute, then
//! reply with the members, store them, or count them. The order of those steps decides which
//! error a bad command gets, so it is Redis's.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, parse_positive};
use super::range::store_result;
use super::{parse_score, reply_scored};
use crate::keyspace::zset::compare;
use crate::keyspace::{Bytes, Databases, Db, Set, Writer, ZSet};

/// Which set the command computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// What the command does with the result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    /// `ZUNION`, `ZINTER`, `ZDIFF`: reply with it (`WITHSCORES` allowed).
    Reply,
    /// The `*STORE` forms.
    Store,
    /// `ZINTERCARD`: only its size (`LIMIT` allowed, no `WEIGHTS` nor `AGGREGATE`).
    Count,
}

/// How the scores of a member found in several inputs combine (`AGGREGATE`).
#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Folds `value` into `target` as Redis's `zunionInterAggregate`: a sum that is NaN (`inf`
    /// plus `-inf`, or a NaN weighted score) is 0, and MIN and MAX keep `target` against NaN.
    fn fold(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if value < *target {
                    *target = value;
                }
            }
            Aggregate::Max => {
                if value > *target {
                    *target = value;
                }
            }
        }
    }
}

/// One input key: a sorted set, a set (every score 1), or missing (empty).
#[derive(Clone, Copy)]
enum Members<'d> {
    Missing,
    Set(&'d Set),
    ZSet(&'d ZSet),
}

impl<'d> Members<'d> {
    fn len(self) -> usize {
        match self {
            Members::Missing => 0,
            Members::Set(set) => set.len(),
            Members::ZSet(zset) => zset.len(),
        }
    }

    fn score(self, member: &[u8]) -> Option<f64> {
        match self {
            Members::Missing => None,
            Members::Set(set) => set.contains(member).then_some(1.0),
            Members::ZSet(zset) => zset.score(member),
        }
    }

    fn for_each(self, mut visit: impl FnMut(&'d Bytes, f64)) {
        match self {
            Members::Missing => {}
            Members::Set(set) => set.iter().for_each(|m| visit(m, 1.0)),
            Members::ZSet(zset) => zset.iter().for_each(|(m, s)| visit(m, s)),
        }
    }
}

/// An input and its `WEIGHTS` factor.
#[derive(Clone, Copy)]
struct Input<'d> {
    members: Members<'d>,
    weight: f64,
}

impl Input<'_> {
    /// A score times the weight; NaN (`0 * inf`) is 0, as in Redis.
    fn weigh(&self, score: f64) -> f64 {
        let weighted = score * self.weight;
        if weighted.is_nan() { 0.0 } else { weighted }
    }
}

/// Reads `numkeys` at `args[at]`: at least 1, and no more than the arguments after it.
/// `command` names the command in the error, as Redis's `fullname` does.
fn numkeys(args: &Args, at: usize, command: &str) -> Result<usize, CommandError> {
    let n = parse_int(args.arg(at))?;
    if n < 1 {
        return Err(CommandError::err(format!(
            "at least 1 input key is needed for '{command}' command"
        )));
    }
    if n > (args.len() - at - 1) as i64 {
        return Err(CommandError::Syntax);
    }
    Ok(n as usize)
}

/// What the command computed.
enum Outcome<'d> {
    /// The members with their scores, in the order of a sorted set, and `WITHSCORES`.
    Members(Vec<(&'d Bytes, f64)>, bool),
    Count(usize),
}

/// Looks up the `n` inputs after `args[at]` in `db` (`WRONGTYPE` at the first that is neither a
/// set nor a sorted set), reads the options after them, and computes `op`.
fn evaluate<'d>(
    ctx: &Ctx,
    args: &Args,
    db: &'d Db,
    (at, n): (usize, usize),
    op: Op,
    output: Output,
) -> Result<Outcome<'d>, CommandError> {
    let mut inputs = Vec::with_capacity(n);
    for key in args.iter().skip(at + 1).take(n) {
        let members = match ctx.read_key(db, key).map(|entry| entry.value()) {
            None => Members::Missing,
            Some(value) => match (value.as_zset(), value.as_set()) {
                (Ok(zset), _) => Members::ZSet(zset),
                (_, Ok(set)) => Members::Set(set),
                _ => return Err(CommandError::WrongType),
            },
        };
        inputs.push(Input {
            members,
            weight: 1.0,
        });
    }
    let (mut aggregate, mut with_scores, mut limit) = (Aggregate::Sum, false, 0);
    let mut i = at + 1 + n;
    while i < args.len() {
        let (arg, remaining) = (args.arg(i), args.len() - i);
        let weighable = op != Op::Diff && output != Output::Count;
        if weighable && remaining > n && is_option(arg, "weights") {
            for (input, weight) in inputs.iter_mut().zip(args.iter().skip(i + 1)) {
                input.weight = parse_score(weight)
                    .map_err(|_| CommandError::err("weight value is not a float"))?;
            }
            i += 1 + n;
        } else if weighable && remaining >= 2 && is_option(arg, "aggregate") {
            let name = args.arg(i + 1);
            aggregate = if is_option(name, "sum") {
                Aggregate::Sum
            } else if is_option(name, "min") {
                Aggregate::Min
            } else if is_option(name, "max") {
                Aggregate::Max
            } else {
                return Err(CommandError::Syntax);
            };
            i += 2;
        } else if output == Output::Reply && is_option(arg, "withscores") {
            with_scores = true;
            i += 1;
        } else if output == Output::Count && remaining >= 2 && is_option(arg, "limit") {
            let text = "LIMIT can't be negative";
            limit = parse_positive(args.arg(i + 1), Some(text))? as usize;
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if op != Op::Diff {
        // Smallest first, as Redis orders them: the intersection walks the smallest, and
        // sums add up in this order (a stable sort, as glibc's qsort).
        inputs.sort_by_key(|input| input.members.len());
    }
    if output == Output::Count {
        return Ok(Outcome::Count(intersection_size(&inputs, limit)));
    }
    let mut members = match op {
        Op::Union => union(&inputs, aggregate),
        Op::Inter => intersection(&inputs, aggregate),
        Op::Diff => difference(&inputs),
    };
    members.sort_unstable_by(|a, b| compare((a.0, a.1), (b.0, b.1)));
    Ok(Outcome::Members(members, with_scores))
}

/// Each member of any input with its weighted scores folded, inputs taken in order.
fn union<'d>(inputs: &[Input<'d>], aggregate: Aggregate) -> Vec<(&'d Bytes, f64)> {
    let largest = inputs.iter().map(|i| i.members.len()).max().unwrap_or(0);
    let mut found: HashMap<&'d [u8], (&'d Bytes, f64)> = HashMap::with_capacity(largest);
    for input in inputs {
        input.members.for_each(|member, score| {
            let score = input.weigh(score);
            match found.entry(member.as_slice()) {
                Entry::Occupied(mut e) => aggregate.fold(&mut e.get_mut().1, score),
                Entry::Vacant(e) => {
                    e.insert((member, score));
                }
            }
        });
    }
    found.into_values().collect()
}

/// Walks the members of the first (smallest) input that every other input has too, with their
/// folded scores, until `visit` returns false.
fn intersect<'d>(
    inputs: &[Input<'d>],
    aggregate: Aggregate,
    mut visit: impl FnMut(&'d Bytes, f64) -> bool,
) {
    let (first, others) = inputs.split_first().expect("numkeys is at least 1");
    let mut going = true;
    first.members.for_each(|member, score| {
        if !going {
            return;
        }
        let mut total = first.weigh(score);
        for other in others {
            match other.members.score(member) {
                // Not `weigh`: Redis folds the raw product, so a NaN resets a sum to 0.
                Some(score) => aggregate.fold(&mut total, score * other.weight),
                None => return,
            }
        }
        going = visit(member, total);
    });
}

fn intersection<'d>(inputs: &[Input<'d>], aggregate: Aggregate) -> Vec<(&'d Bytes, f64)> {
    let mut found = Vec::new();
    intersect(inputs, aggregate, |member, score| {
        found.push((member, score));
        true
    });
    found
}

/// How many members the intersection has, counting no further than `limit` (0: no limit).
fn intersection_size(inputs: &[Input], limit: usize) -> usize {
    let mut size = 0;
    intersect(inputs, Aggregate::Sum, |_, _| {
        size += 1;
        limit == 0 || size < limit
    });
    size
}

/// The members of the first input that no other input has, with their own scores.
fn difference<'d>(inputs: &[Input<'d>]) -> Vec<(&'d Bytes, f64)> {
    let (first, others) = inputs.split_first().expect("numkeys is at least 1");
    let mut found = Vec::new();
    first.members.for_each(|member, score| {
        if others.iter().all(|o| o.members.score(member).is_none()) {
            found.push((member, score));
        }
    });
    found
}

/// `ZUNION`, `ZINTER`, `ZDIFF` and `ZINTERCARD`: `numkeys` is `args[1]`.
fn reply(
    ctx: &mut Ctx,
    args: &Args,
    databases: &Databases,
    op: Op,
    output: Output,
    command: &str,
) -> CommandResult {
    let n = numkeys(args, 1, command)?;
    match evaluate(ctx, args, ctx.db(databases), (1, n), op, output)? {
        Outcome::Members(members, with_scores) => {
            reply_scored(ctx, members.iter().copied(), with_scores);
        }
        Outcome::Count(size) => ctx.reply.integer(size as i64),
    }
    Ok(())
}

/// The `*STORE` forms: `args[1]` is the destination, `numkeys` is `args[2]`. The result is a
/// listpack if it fits one (Redis's `zsetConvertToListpackIfNeeded`), and replaces the
/// destination, or deletes it when empty.
fn store_command(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    op: Op,
    command: &'static str,
) -> CommandResult {
    let n = numkeys(args, 2, command)?;
    let limits = ctx.server.config.zset_limits();
    let selected = w.selected();
    // Expired inputs go first (journaled as DEL), then the inputs are read in place.
    for key in args.iter().skip(3).take(n) {
        w.expire_now(selected, key);
    }
    let db = w.databases().db(selected);
    let Outcome::Members(members, _) = evaluate(ctx, args, db, (2, n), op, Output::Store)? else {
        unreachable!("a store computes members");
    };
    let longest = members.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut result = ZSet::with_hint(members.len(), longest, limits);
    for (member, score) in members {
        super::store(&mut result, member, score, limits);
    }
    store_result(ctx, w, args.arg(1), result, command);
    Ok(())
}

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]`
pub fn zunionstore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    store_command(ctx, args, w, Op::Union, "zunionstore")
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]`
pub fn zinterstore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    store_command(ctx, args, w, Op::Inter, "zinterstore")
}

/// `ZDIFFSTORE destination numkeys key [key ...]`
pub fn zdiffstore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    store_command(ctx, args, w, Op::Diff, "zdiffstore")
}

/// `ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zunion(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply(ctx, args, databases, Op::Union, Output::Reply, "zunion")
}

/// `ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zinter(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply(ctx, args, databases, Op::Inter, Output::Reply, "zinter")
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
pub fn zdiff(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply(ctx, args, databases, Op::Diff, Output::Reply, "zdiff")
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`: the intersection's size, counting no
/// further than `limit` (0: no limit).
pub fn zintercard(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    reply(ctx, args, databases, Op::Inter, Output::Count, "zintercard")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_of_opposite_infinities_are_zero() {
        let mut total = f64::INFINITY;
        Aggregate::Sum.fold(&mut total, f64::NEG_INFINITY);
        assert_eq!(total, 0.0);
        let mut total = 2.0;
        Aggregate::Min.fold(&mut total, f64::NAN);
        assert_eq!(total, 2.0);
        Aggregate::Max.fold(&mut total, 3.0);
        assert_eq!(total, 3.0);
    }
}
