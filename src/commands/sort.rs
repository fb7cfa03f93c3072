//! SORT and SORT_RO (Redis's sort.c): the elements of a list, set or sorted set, ordered
//! numerically or (`ALPHA`) by their bytes, by themselves or by the values a `BY` pattern
//! finds for them, cut by `LIMIT`, replaced by what `GET` patterns find, and replied or
//! (`STORE`) stored as a list. `options.rs` reads the arguments, `pattern.rs` looks patterns
//! up; this file loads, weighs, orders and outputs, and says where the keys are.
//!
//! Redis compares `ALPHA` elements with `strcoll` (the server's locale) unless it stores the
//! result; thredis always compares bytes, which is what `strcoll` does in the C locale.

mod options;
mod pattern;

use std::cmp::Ordering;

use super::{Args, CommandError, CommandResult, Ctx, KeyAccess, KeyUse, is_option};
use crate::keyspace::{Bytes, Databases, Db, EventClass, List, Set, Ttl, Value, Writer, ZSet};
use crate::number;
use crate::protocol::Request;
use options::{SortOptions, Store};
use pattern::Pattern;

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]`: the sorted elements, or with `STORE` how many were stored. Runs on
/// the write path for `STORE`'s sake, as Redis flags SORT `write`; without it nothing changes
/// and nothing is journaled.
pub fn sort(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let options = SortOptions::parse(ctx, args, Store::Allowed)?;
    let selected_db = w.selected();
    w.expire_now(selected_db, args.arg(1));
    let db = w.databases().db(selected_db);
    let outputs = sorted_outputs(ctx, db, args.arg(1), &options)?;
    let Some(destination) = options.store else {
        reply_outputs(ctx, &outputs);
        expire_keys_found(ctx, w);
        return Ok(());
    };
    // What GET finds nothing for is stored empty, as Redis stores it.
    let list: List = (outputs.into_iter())
        .map(|value| Bytes::new(value.unwrap_or_default()))
        .collect();
    expire_keys_found(ctx, w);
    ctx.reply.integer(list.len() as i64);
    store(w, destination, list);
    Ok(())
}

/// Removes the keys patterns found expired, now that the value sorted is no longer borrowed:
/// Redis's lookups delete them on the spot. (A reader leaves them to `Ctx::expire_keys_read`.)
fn expire_keys_found(ctx: &Ctx, w: &mut Writer) {
    let db = w.selected();
    for key in ctx.expired_reads.take() {
        w.expire_now(db, &key);
    }
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]`:
/// SORT without STORE, a read.
pub fn sort_ro(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let options = SortOptions::parse(ctx, args, Store::Refused)?;
    let outputs = sorted_outputs(ctx, ctx.db(databases), args.arg(1), &options)?;
    reply_outputs(ctx, &outputs);
    Ok(())
}

fn reply_outputs(ctx: &mut Ctx, outputs: &[Option<&[u8]>]) {
    ctx.reply.array(outputs.len());
    for value in outputs {
        match value {
            Some(value) => ctx.reply.bulk(value),
            None => ctx.reply.null(),
        }
    }
}

/// Stores the result under `destination` as a new list, time to live cleared (Redis's
/// `setKey`), counting one change per element; an empty result deletes the destination.
fn store(w: &mut Writer, destination: &[u8], list: List) {
    let len = list.len() as u64;
    if len > 0 {
        w.set(destination, Value::list(list), Ttl::Clear);
        w.notify(EventClass::LIST, "sortstore", destination);
        w.changed(len - 1);
    } else if w.remove(destination).is_some() {
        w.notify(EventClass::GENERIC, "del", destination);
    }
}

/// What the command outputs, in order: for each element selected, the element itself, or one
/// value per `GET` pattern (`None` where the pattern finds nothing).
fn sorted_outputs<'d>(
    ctx: &Ctx,
    db: &'d Db,
    key: &[u8],
    options: &SortOptions,
) -> Result<Vec<Option<&'d [u8]>>, CommandError> {
    let selected = select(ctx, db, key, options)?;
    if options.gets.is_empty() {
        return Ok(selected.into_iter().map(Some).collect());
    }
    let outputs = selected
        .iter()
        .flat_map(|&element| (options.gets.iter()).map(move |get| get.lookup(ctx, db, element)));
    Ok(outputs.collect())
}

/// The collection SORT reads. A missing key (no source) sorts as an empty list.
enum Source<'d> {
    List(&'d List),
    Set(&'d Set),
    ZSet(&'d ZSet),
}

impl<'d> Source<'d> {
    fn read(ctx: &Ctx, db: &'d Db, key: &[u8]) -> Result<Option<Source<'d>>, CommandError> {
        let Some(entry) = ctx.read_key(db, key) else {
            return Ok(None);
        };
        match entry.value() {
            Value::List { list, .. } => Ok(Some(Source::List(list))),
            Value::Set { set, .. } => Ok(Some(Source::Set(set))),
            Value::ZSet { zset, .. } => Ok(Some(Source::ZSet(zset))),
            _ => Err(CommandError::WrongType),
        }
    }

    fn len(&self) -> usize {
        match self {
            Source::List(list) => list.len(),
            Source::Set(set) => set.len(),
            Source::ZSet(zset) => zset.len(),
        }
    }

    /// Every element, in stored order (a sorted set's by score), from the tail if `reversed`.
    /// A set has no order to reverse: it comes as it iterates either way, as in Redis.
    fn elements(&self, reversed: bool) -> Box<dyn Iterator<Item = &'d [u8]> + 'd> {
        match *self {
            Source::List(list) if reversed => Box::new(list.iter().rev().map(Bytes::as_slice)),
            Source::List(list) => Box::new(list.iter().map(Bytes::as_slice)),
            Source::Set(set) => Box::new(set.iter().map(Bytes::as_slice)),
            Source::ZSet(zset) if reversed => {
                Box::new(zset.iter().rev().map(|(m, _)| m.as_slice()))
            }
            Source::ZSet(zset) => Box::new(zset.iter().map(|(member, _)| member.as_slice())),
        }
    }
}

/// The elements to output, in order: ordered as asked, then cut by `LIMIT`.
fn select<'d>(
    ctx: &Ctx,
    db: &'d Db,
    key: &[u8],
    options: &SortOptions,
) -> Result<Vec<&'d [u8]>, CommandError> {
    let Some(source) = Source::read(ctx, db, key)? else {
        return Ok(Vec::new());
    };
    let range = limit_range(options.limit, source.len());
    let (mut by, mut alpha) = (options.by, options.alpha);
    if options.keeps_order {
        // A set has no order to keep: what is stored, or returned to a script, is sorted by
        // its bytes, so that it is the same wherever the command is replayed. Otherwise the
        // stored order is kept, read from the tail for DESC, and LIMIT takes a range of it.
        let for_script = crate::scripting::run::running_here();
        if matches!(source, Source::Set(_)) && (options.store.is_some() || for_script) {
            (by, alpha) = (None, true);
        } else {
            let elements = source.elements(options.desc);
            return Ok(elements.skip(range.start).take(range.len()).collect());
        }
    }
    let mut weighed = (source.elements(false))
        .map(|element| Weighed::new(ctx, db, element, by, alpha))
        .collect::<Result<Vec<_>, _>>()?;
    let order = Order {
        by_pattern: by.is_some(),
        alpha,
        desc: options.desc,
    };
    weighed.sort_by(|a, b| order.compare(a, b));
    Ok(weighed[range].iter().map(|w| w.element).collect())
}

/// The positions `LIMIT offset count` selects among `len` elements, clamped as Redis clamps
/// them: a negative offset is 0, a negative count is "all the rest".
fn limit_range(limit: Option<(i64, i64)>, len: usize) -> std::ops::Range<usize> {
    let len = len as i64;
    let (offset, count) = limit.unwrap_or((0, -1));
    let start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let end = if count < 0 {
        len
    } else {
        (start + count).min(len)
    };
    start as usize..end.max(start) as usize
}

/// An element with what it is ordered by.
struct Weighed<'d> {
    element: &'d [u8],
    /// For numeric order: the weight, 0 when the `BY` pattern finds nothing.
    score: f64,
    /// For `ALPHA ... BY pattern`: what the pattern found.
    found: Option<&'d [u8]>,
}

impl<'d> Weighed<'d> {
    fn new(
        ctx: &Ctx,
        db: &'d Db,
        element: &'d [u8],
        by: Option<Pattern>,
        alpha: bool,
    ) -> Result<Weighed<'d>, CommandError> {
        let mut weighed = Weighed {
            element,
            score: 0.0,
            found: None,
        };
        let value = match by {
            Some(by) => by.lookup(ctx, db, element),
            None => Some(element),
        };
        match (value, alpha) {
            // Nothing found: the element weighs 0, and for ALPHA comes first.
            (None, _) => {}
            // ALPHA without BY compares the elements themselves.
            (Some(value), true) if by.is_some() => weighed.found = Some(value),
            (Some(_), true) => {}
            (Some(value), false) => {
                weighed.score = score(value).ok_or_else(|| {
                    CommandError::err("One or more scores can't be converted into double")
                })?;
            }
        }
        Ok(weighed)
    }
}

/// A weight as SORT reads it, with C's `strtod` over the whole value: leading blanks skipped,
/// an empty value weighs 0; anything left over, NaN, or a number out of range is an error,
/// a subnormal one included (glibc's `strtod` reports its underflow as `ERANGE`).
fn score(value: &[u8]) -> Option<f64> {
    if value.is_empty() {
        return Some(0.0);
    }
    let start = (value.iter())
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .unwrap_or(value.len());
    number::parse_double(&value[start..]).filter(|score| !score.is_subnormal())
}

/// How elements compare (Redis's `sortCompare`).
struct Order {
    by_pattern: bool,
    alpha: bool,
    desc: bool,
}

impl Order {
    fn compare(&self, a: &Weighed, b: &Weighed) -> Ordering {
        let ordering = if !self.alpha {
            // Equal weights fall back to the elements' bytes, so the order is deterministic.
            (a.score.partial_cmp(&b.score))
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.element.cmp(b.element))
        } else if self.by_pattern {
            // What the pattern found nothing for comes first.
            a.found.cmp(&b.found)
        } else {
            a.element.cmp(b.element)
        };
        if self.desc {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

const READS: KeyAccess = KeyAccess {
    reads: true,
    writes: false,
};

/// SORT's keys (Redis's `sortGetKeys`): the key sorted, and the destination of the last
/// `STORE`, found by skipping the arguments of `LIMIT`, `GET` and `BY` (the keys patterns
/// name depend on the data, so no one can list them).
pub fn sort_keys(args: &Request) -> Vec<KeyUse> {
    let mut destination = None;
    let mut i = 2;
    while i < args.len() {
        let option = args.arg(i);
        if is_option(option, "limit") {
            i += 2;
        } else if is_option(option, "store") && i + 1 < args.len() {
            destination = Some(i + 1);
        } else if is_option(option, "get") || is_option(option, "by") {
            i += 1;
        }
        i += 1;
    }
    let writes = KeyAccess {
        reads: false,
        writes: true,
    };
    let mut keys = vec![(1, READS)];
    keys.extend(destination.map(|at| (at, writes)));
    keys
}

/// SORT_RO's key (Redis's `sortROGetKeys`): only the key sorted.
pub fn sort_ro_keys(_: &Request) -> Vec<KeyUse> {
    vec![(1, READS)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_clamps_as_redis_does() {
        assert_eq!(limit_range(None, 5), 0..5);
        assert_eq!(limit_range(Some((1, 2)), 5), 1..3);
        assert_eq!(limit_range(Some((-10, 100)), 5), 0..5);
        assert_eq!(limit_range(Some((5, 10)), 5), 5..5);
        assert_eq!(limit_range(Some((2, 0)), 5), 2..2);
        assert_eq!(limit_range(Some((2, -7)), 5), 2..5);
        assert_eq!(limit_range(Some((2, i64::MAX)), 3), 2..3);
        assert_eq!(limit_range(Some((i64::MAX, i64::MAX)), 3), 3..3);
        assert_eq!(limit_range(Some((0, 1)), 0), 0..0);
    }

    #[test]
    fn scores_read_as_strtod_reads_them() {
        assert_eq!(score(b"1.5"), Some(1.5));
        assert_eq!(score(b"  -2"), Some(-2.0));
        assert_eq!(score(b""), Some(0.0));
        assert_eq!(score(b"inf"), Some(f64::INFINITY));
        for bad in [
            &b"x"[..],
            b"1x",
            b"nan",
            b"1e400",
            b"   ",
            b"1 ",
            b"4.9e-324",
        ] {
            assert_eq!(score(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn store_is_found_after_skipping_option_arguments() {
        let keys = |args: &[&str]| {
            let request =
                Request::from_args(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
            sort_keys(&request)
                .into_iter()
                .map(|(at, _)| at)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&["sort", "k", "store", "d"]), [1, 3]);
        assert_eq!(keys(&["sort", "k", "store", "a", "store", "b"]), [1, 5]);
        assert_eq!(keys(&["sort", "k", "by", "store", "get", "store"]), [1]);
        assert_eq!(keys(&["sort", "k", "limit", "store", "x", "alpha"]), [1]);
        assert_eq!(keys(&["sort", "k", "store"]), [1]);
    }
}
