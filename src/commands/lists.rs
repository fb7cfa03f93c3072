//! List commands (Redis's t_list.c): pushes and pops at both ends (stages 74–82), ranges and
//! indexes, LINSERT/LREM/LTRIM/LPOS, moves between lists, and the blocking pops (stages 83–84)
//! whose waiting is done by `blocking.rs`.
//!
//! Every pop, whether it runs at once or later on behalf of a blocked client, goes through
//! [`Pop::run`], so the reply, the keyspace events, the change count and the removal of an
//! emptied list are the same either way; Redis's rewrites of what is journaled (a `BLPOP` that
//! pops is replayed as `LPOP`, `LMPOP` as `LPOP key count`...) are made next to it.

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, parse_positive};
use crate::blocking::{self, Blocked};
use crate::keyspace::{Bytes, Databases, EventClass, List, Ttl, Value, Writer};
use crate::protocol::Reply;

/// An end of a list: `LEFT` is the head (Redis's `LIST_HEAD`), `RIGHT` the tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    /// `LEFT` or `RIGHT`, in any case; anything else is a syntax error.
    fn parse(arg: &[u8]) -> Result<End, CommandError> {
        if is_option(arg, "left") {
            Ok(End::Left)
        } else if is_option(arg, "right") {
            Ok(End::Right)
        } else {
            Err(CommandError::Syntax)
        }
    }

    fn word(self) -> &'static [u8] {
        match self {
            End::Left => b"LEFT",
            End::Right => b"RIGHT",
        }
    }

    /// The non-blocking pop from this end, as journaled (`LPOP`, `RPOP`).
    fn pop_command(self) -> &'static [u8] {
        match self {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        }
    }

    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    fn pop(self, list: &mut List) -> Option<Bytes> {
        match self {
            End::Left => list.pop_front(),
            End::Right => list.pop_back(),
        }
    }

    fn push(self, list: &mut List, item: Bytes) {
        match self {
            End::Left => list.push_front(item),
            End::Right => list.push_back(item),
        }
    }
}

/// Resolves Redis's list range arguments (negative counts from the tail) against a list of
/// `len` elements: the inclusive positions selected, or `None` if the range is empty
/// (`addListRangeReply`, `ltrimCommand`).
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// Resolves one index (negative from the tail), if it is inside a list of `len` elements.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let position = if index < 0 {
        index.checked_add(len as i64)?
    } else {
        index
    };
    usize::try_from(position).ok().filter(|&p| p < len)
}

/// The list under `key` for changing in place: `None` if the key is missing, WRONGTYPE if it
/// holds something else.
fn list_mut<'w>(w: &'w mut Writer, key: &[u8]) -> Result<Option<&'w mut List>, CommandError> {
    match w.get_mut(key) {
        Some(entry) => Ok(Some(entry.value_mut().as_list_mut()?)),
        None => Ok(None),
    }
}

/// Records `count` elements popped from `end` of the list at `key` (Redis's
/// `listElementsRemoved`).
fn removed_from(w: &mut Writer, key: &[u8], end: End, count: usize, emptied: bool) {
    w.removed_elements(key, EventClass::LIST, end.pop_event(), count, emptied);
}

/// Pushes `items` onto `key`, creating the list unless `only_existing`. The new length, or
/// `None` if the key was missing and `only_existing` (LPUSHX/RPUSHX).
fn push(
    w: &mut Writer,
    key: &[u8],
    end: End,
    items: impl ExactSizeIterator<Item = Bytes>,
    only_existing: bool,
) -> Result<Option<usize>, CommandError> {
    let count = items.len();
    let len = match list_mut(w, key)? {
        Some(list) => {
            items.for_each(|item| end.push(list, item));
            let len = list.len();
            w.modified(key);
            len
        }
        None if only_existing => return Ok(None),
        None => {
            let mut list = List::new();
            items.for_each(|item| end.push(&mut list, item));
            let len = list.len();
            // Storing a new list is what wakes the clients blocked on it.
            w.set(key, Value::list(list), Ttl::Clear);
            len
        }
    };
    w.changed(count as u64 - 1);
    w.notify(EventClass::LIST, end.push_event(), key);
    Ok(Some(len))
}

fn push_command(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    end: End,
    only_existing: bool,
) -> CommandResult {
    let items = args.iter().skip(2).map(Bytes::new);
    let len = push(w, args.arg(1), end, items, only_existing)?;
    ctx.reply.integer(len.unwrap_or(0) as i64);
    Ok(())
}

/// `LPUSH key element [element ...]`: the new length. (Stage 79.)
pub fn lpush(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    push_command(ctx, args, w, End::Left, false)
}

/// `RPUSH key element [element ...]`: the new length. (Stages 74–76.)
pub fn rpush(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    push_command(ctx, args, w, End::Right, false)
}

/// `LPUSHX key element [element ...]`: like LPUSH, but only onto an existing list (else 0).
pub fn lpushx(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    push_command(ctx, args, w, End::Left, true)
}

/// `RPUSHX key element [element ...]`
pub fn rpushx(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    push_command(ctx, args, w, End::Right, true)
}

/// What a pop does once its list has elements: the immediate commands and the blocked ones
/// share it (see the module documentation).
#[derive(Debug, Clone)]
pub enum Pop {
    /// `BLPOP`/`BRPOP`: replies `[key, element]`.
    One(End),
    /// `LMPOP`/`BLMPOP`: replies `[key, [element ...]]` with up to `count` elements.
    Many(End, usize),
    /// `LMOVE`/`BLMOVE`/`RPOPLPUSH`/`BRPOPLPUSH`: replies the element, pushed onto
    /// `destination`.
    Move {
        from: End,
        to: End,
        destination: Bytes,
    },
}

impl Pop {
    /// Pops from the list at `key` in the selected database and replies. The list must exist and
    /// not be empty. Returns how many elements were popped (0 when a move's destination holds
    /// the wrong type: WRONGTYPE, and nothing changes).
    fn run(&self, w: &mut Writer, key: &[u8], reply: &mut Reply) -> Result<usize, CommandError> {
        let list = list_mut(w, key)?.expect("the caller found a non-empty list");
        match *self {
            Pop::One(end) => {
                let item = end.pop(list).expect("the caller found a non-empty list");
                let emptied = list.is_empty();
                reply.array(2);
                reply.bulk(key);
                reply.bulk(&item);
                removed_from(w, key, end, 1, emptied);
                Ok(1)
            }
            Pop::Many(end, count) => {
                let count = count.min(list.len());
                reply.array(2);
                reply.bulk(key);
                reply.array(count);
                for _ in 0..count {
                    reply.bulk(&end.pop(list).expect("count is at most the length"));
                }
                let emptied = list.is_empty();
                removed_from(w, key, end, count, emptied);
                Ok(count)
            }
            Pop::Move {
                from,
                to,
                ref destination,
            } => {
                // Check the destination before touching the source, so a failed move changes
                // nothing (Redis's `lmoveGenericCommand`).
                if w.get(destination)
                    .is_some_and(|e| e.value().as_list().is_err())
                {
                    return Err(CommandError::WrongType);
                }
                let list = list_mut(w, key)?.expect("the caller found a non-empty list");
                let item = from.pop(list).expect("the caller found a non-empty list");
                reply.bulk(&item);
                push(w, destination, to, std::iter::once(item), false)?;
                let emptied = list_mut(w, key)?.is_some_and(|list| list.is_empty());
                removed_from(w, key, from, 1, emptied);
                Ok(1)
            }
        }
    }

    /// Journals the pop as Redis propagates a served blocking pop (`serveClientBlockedOnList`):
    /// `LPOP key`, `LPOP key count`, `LMOVE source destination LEFT RIGHT` or `RPOPLPUSH`.
    fn propagate(&self, w: &mut Writer, key: &[u8], popped: usize, as_rpoplpush: bool) {
        match self {
            Pop::One(end) => w.propagate(&[end.pop_command(), key]),
            Pop::Many(end, _) => {
                let count = popped.to_string();
                w.propagate(&[end.pop_command(), key, count.as_bytes()]);
            }
            Pop::Move { destination, .. } if as_rpoplpush => {
                w.propagate(&[b"RPOPLPUSH", key, destination])
            }
            Pop::Move {
                from,
                to,
                destination,
            } => w.propagate(&[b"LMOVE", key, destination, from.word(), to.word()]),
        }
    }
}

/// The first non-empty list among `keys`: its key, or `None` if every key is missing or empty.
/// WRONGTYPE for a key of another type met on the way (Redis checks in argument order and stops
/// at the first list it can pop from).
fn first_non_empty<'k>(
    w: &mut Writer,
    keys: impl Iterator<Item = &'k [u8]>,
) -> Result<Option<&'k [u8]>, CommandError> {
    for key in keys {
        if let Some(entry) = w.get(key) {
            if !entry.value().as_list()?.is_empty() {
                return Ok(Some(key));
            }
        }
    }
    Ok(None)
}

/// `LPOP key [count]` and `RPOP key [count]`. (Stages 81–82.)
fn pop_command(ctx: &mut Ctx, args: &Args, w: &mut Writer, end: End) -> CommandResult {
    let count = match args.len() {
        2 => None,
        3 => Some(parse_positive(args.arg(2), None)? as usize),
        _ => return Err(CommandError::arity_of(args)),
    };
    let key = args.arg(1);
    let Some(list) = list_mut(w, key)? else {
        match count {
            Some(_) => ctx.reply.null_array(),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    match count {
        None => {
            let item = end.pop(list).expect("stored lists are never empty");
            let emptied = list.is_empty();
            ctx.reply.bulk(&item);
            removed_from(w, key, end, 1, emptied);
        }
        Some(0) => ctx.reply.array(0),
        Some(count) => {
            let count = count.min(list.len());
            ctx.reply.array(count);
            for _ in 0..count {
                ctx.reply
                    .bulk(&end.pop(list).expect("count is at most the length"));
            }
            let emptied = list.is_empty();
            removed_from(w, key, end, count, emptied);
        }
    }
    Ok(())
}

pub fn lpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    pop_command(ctx, args, w, End::Left)
}

pub fn rpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    pop_command(ctx, args, w, End::Right)
}

/// The list under `key` for reading, or `None` if the key is missing.
fn read_list<'d>(
    ctx: &Ctx,
    databases: &'d Databases,
    key: &[u8],
) -> Result<Option<&'d List>, CommandError> {
    match ctx.read_key(ctx.db(databases), key) {
        Some(entry) => Ok(Some(entry.value().as_list()?)),
        None => Ok(None),
    }
}

/// `LLEN key`: the length, 0 for a missing key. (Stage 80.)
pub fn llen(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let len = read_list(ctx, databases, args.arg(1))?.map_or(0, List::len);
    ctx.reply.integer(len as i64);
    Ok(())
}

/// `LRANGE key start stop`: inclusive, negative indexes from the tail, out-of-range ends
/// clamped. (Stages 77–78.)
pub fn lrange(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let (start, end) = (parse_int(args.arg(2))?, parse_int(args.arg(3))?);
    let Some(list) = read_list(ctx, databases, args.arg(1))? else {
        ctx.reply.array(0);
        return Ok(());
    };
    match clamp_range(start, end, list.len()) {
        Some((start, end)) => {
            ctx.reply.array(end - start + 1);
            for item in list.range(start, end) {
                ctx.reply.bulk(item);
            }
        }
        None => ctx.reply.array(0),
    }
    Ok(())
}

/// `LINDEX key index`: the element, or null.
pub fn lindex(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let Some(list) = read_list(ctx, databases, args.arg(1))? else {
        ctx.reply.null();
        return Ok(());
    };
    let index = parse_int(args.arg(2))?;
    match resolve_index(index, list.len()).and_then(|i| list.get(i)) {
        Some(item) => ctx.reply.bulk(item),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `LSET key index element`
pub fn lset(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let list = list_mut(w, key)?.ok_or(CommandError::NoSuchKey)?;
    let index = parse_int(args.arg(2))?;
    let position =
        resolve_index(index, list.len()).ok_or_else(|| CommandError::err("index out of range"))?;
    list.set(position, Bytes::new(args.arg(3)));
    w.modified(key);
    w.notify(EventClass::LIST, "lset", key);
    ctx.reply.ok();
    Ok(())
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 if the pivot is not there, 0
/// for a missing key.
pub fn linsert(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let after = if is_option(args.arg(2), "after") {
        true
    } else if is_option(args.arg(2), "before") {
        false
    } else {
        return Err(CommandError::Syntax);
    };
    let key = args.arg(1);
    let Some(list) = list_mut(w, key)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let pivot = args.arg(3);
    let Some(position) = list.iter().position(|item| item.as_slice() == pivot) else {
        ctx.reply.integer(-1);
        return Ok(());
    };
    list.insert(position + after as usize, Bytes::new(args.arg(4)));
    let len = list.len();
    w.modified(key);
    w.notify(EventClass::LIST, "linsert", key);
    ctx.reply.integer(len as i64);
    Ok(())
}

/// `LREM key count element`: removes the first `count` occurrences (from the tail if negative,
/// all if 0); how many were removed.
pub fn lrem(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let count = parse_int(args.arg(2))?;
    let key = args.arg(1);
    let Some(list) = list_mut(w, key)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(args.arg(3), limit, count < 0);
    let emptied = list.is_empty();
    if removed > 0 {
        w.removed_elements(key, EventClass::LIST, "lrem", removed, emptied);
    }
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// `LTRIM key start stop`: keeps only the range (LRANGE's rules); an empty range removes the
/// key.
pub fn ltrim(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (start, end) = (parse_int(args.arg(2))?, parse_int(args.arg(3))?);
    let key = args.arg(1);
    let Some(list) = list_mut(w, key)? else {
        ctx.reply.ok();
        return Ok(());
    };
    let dropped = match clamp_range(start, end, list.len()) {
        Some((start, end)) => list.keep_range(start, end),
        None => list.clear(),
    };
    let emptied = list.is_empty();
    // Redis notifies and signals even when nothing was trimmed.
    w.removed_elements(key, EventClass::LIST, "ltrim", dropped, emptied);
    ctx.reply.ok();
    Ok(())
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`: the index of a match (or
/// null), or with COUNT an array of up to `num-matches` indexes (0: all).
pub fn lpos(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0usize);
    let mut i = 3;
    while i < args.len() {
        let option = args.arg(i);
        let has_value = i + 1 < args.len();
        if is_option(option, "rank") && has_value {
            rank = parse_int(args.arg(i + 1))?;
            if rank == 0 {
                return Err(CommandError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is_option(option, "count") && has_value {
            count =
                Some(parse_positive(args.arg(i + 1), Some("COUNT can't be negative"))? as usize);
        } else if is_option(option, "maxlen") && has_value {
            maxlen = parse_positive(args.arg(i + 1), Some("MAXLEN can't be negative"))? as usize;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    let Some(list) = read_list(ctx, databases, args.arg(1))? else {
        match count {
            Some(_) => ctx.reply.array(0),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let element = args.arg(2);
    let len = list.len();
    let from_tail = rank < 0;
    // Redis negates the rank in a C `long`: LONG_MIN stays negative, and every match from the
    // tail then counts, as if the rank were -1.
    let skip = if rank == i64::MIN {
        0
    } else {
        rank.unsigned_abs() - 1
    };
    let scanned = if maxlen == 0 { len } else { maxlen.min(len) };
    let indexed: Box<dyn Iterator<Item = (usize, &Bytes)>> = if from_tail {
        Box::new(
            list.iter()
                .rev()
                .enumerate()
                .map(|(i, item)| (len - 1 - i, item)),
        )
    } else {
        Box::new(list.iter().enumerate())
    };
    let mut matches = indexed
        .take(scanned)
        .filter(|(_, item)| item.as_slice() == element)
        .map(|(index, _)| index)
        .skip(usize::try_from(skip).unwrap_or(usize::MAX));
    match count {
        None => match matches.next() {
            Some(index) => ctx.reply.integer(index as i64),
            None => ctx.reply.null(),
        },
        Some(count) => {
            let found: Vec<usize> = if count == 0 {
                matches.collect()
            } else {
                matches.take(count).collect()
            };
            ctx.reply.array(found.len());
            for index in found {
                ctx.reply.integer(index as i64);
            }
        }
    }
    Ok(())
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`: the element moved, or null if the source
/// is missing.
pub fn lmove(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (from, to) = (End::parse(args.arg(3))?, End::parse(args.arg(4))?);
    move_now(ctx, args, w, from, to)
}

/// `RPOPLPUSH source destination`: `LMOVE source destination RIGHT LEFT`.
pub fn rpoplpush(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    move_now(ctx, args, w, End::Right, End::Left)
}

/// The move of LMOVE and RPOPLPUSH: true if the source had an element to move.
fn move_now(ctx: &mut Ctx, args: &Args, w: &mut Writer, from: End, to: End) -> CommandResult {
    let source = args.arg(1);
    if list_mut(w, source)?.is_none() {
        ctx.reply.null();
        return Ok(());
    }
    let pop = Pop::Move {
        from,
        to,
        destination: Bytes::new(args.arg(2)),
    };
    pop.run(w, source, &mut ctx.reply)?;
    Ok(())
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`: `[key, [elements]]` from the first
/// non-empty list, or the null array.
pub fn lmpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (keys, pop) = parse_mpop(args, 1)?;
    match first_non_empty(w, keys.map(|k| args.arg(k)))? {
        Some(key) => {
            let popped = pop.run(w, key, &mut ctx.reply)?;
            pop.propagate(w, key, popped, false);
        }
        None => ctx.reply.null_array(),
    }
    Ok(())
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` from `numkeys_at`: the argument
/// positions of the keys, and the pop.
fn parse_mpop(
    args: &Args,
    numkeys_at: usize,
) -> Result<(std::ops::Range<usize>, Pop), CommandError> {
    let (keys, end, count) = super::parse_mpop(args, numkeys_at, End::parse)?;
    Ok((keys, Pop::Many(end, count.unwrap_or(1))))
}

/// A client blocked in a list pop, waiting for one of its keys to hold a list
/// ([`blocking::Blocked`]).
struct BlockedPop {
    pop: Pop,
    /// `BRPOPLPUSH` journals its served move as `RPOPLPUSH`.
    as_rpoplpush: bool,
}

impl Blocked for BlockedPop {
    fn serve(&mut self, key: &[u8], w: &mut Writer, reply: &mut Reply) -> bool {
        // A key that is missing, empty or of another type cannot serve a list pop.
        if !w
            .get(key)
            .is_some_and(|e| e.value().as_list().is_ok_and(|l| !l.is_empty()))
        {
            return false;
        }
        match self.pop.run(w, key, reply) {
            Ok(popped) => self.pop.propagate(w, key, popped, self.as_rpoplpush),
            // BLMOVE whose destination now holds another type: Redis replies the error and
            // unblocks the client.
            Err(error) => reply.error(&error.message()),
        }
        true
    }
}

/// The blocking pops' common path (Redis's `blockingPopGenericCommand`): pop from the first
/// non-empty list at once, or, unless blocking is not allowed (inside `EXEC`), block on all the
/// keys.
fn pop_or_block<'a>(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    keys: impl Iterator<Item = &'a [u8]> + Clone,
    pop: Pop,
    as_rpoplpush: bool,
    timeout: blocking::Timeout,
) -> CommandResult {
    if let Some(key) = first_non_empty(w, keys.clone())? {
        let popped = pop.run(w, key, &mut ctx.reply)?;
        pop.propagate(w, key, popped, as_rpoplpush);
        return Ok(());
    }
    if !ctx.may_block {
        match pop {
            Pop::Move { .. } => ctx.reply.null(),
            _ => ctx.reply.null_array(),
        }
        return Ok(());
    }
    let keys = keys.map(Bytes::new).collect();
    blocking::block(
        ctx,
        args,
        keys,
        timeout,
        Box::new(BlockedPop { pop, as_rpoplpush }),
    )
}

fn blocking_pop(ctx: &mut Ctx, args: &Args, w: &mut Writer, end: End) -> CommandResult {
    let timeout = blocking::parse_timeout(args.arg(args.len() - 1))?;
    let keys = (1..args.len() - 1).map(|i| args.arg(i));
    pop_or_block(ctx, args, w, keys, Pop::One(end), false, timeout)
}

/// `BLPOP key [key ...] timeout`: `[key, element]` from the first non-empty list, waiting up to
/// `timeout` seconds (0: forever) for one; the null array on timeout. (Stages 83–84.)
pub fn blpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    blocking_pop(ctx, args, w, End::Left)
}

/// `BRPOP key [key ...] timeout`
pub fn brpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    blocking_pop(ctx, args, w, End::Right)
}

fn blocking_move(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    from: End,
    to: End,
    timeout: blocking::Timeout,
    as_rpoplpush: bool,
) -> CommandResult {
    let source = args.arg(1);
    let pop = Pop::Move {
        from,
        to,
        destination: Bytes::new(args.arg(2)),
    };
    // Redis's `blmoveGenericCommand` checks only the source before it blocks: a destination of
    // the wrong type is found when an element arrives.
    if list_mut(w, source)?.is_some() {
        pop.run(w, source, &mut ctx.reply)?;
        if as_rpoplpush {
            w.propagate(&[b"RPOPLPUSH", source, args.arg(2)]);
        } else {
            w.propagate(&[b"LMOVE", source, args.arg(2), args.arg(3), args.arg(4)]);
        }
        return Ok(());
    }
    pop_or_block(
        ctx,
        args,
        w,
        std::iter::once(source),
        pop,
        as_rpoplpush,
        timeout,
    )
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
pub fn blmove(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (from, to) = (End::parse(args.arg(3))?, End::parse(args.arg(4))?);
    let timeout = blocking::parse_timeout(args.arg(5))?;
    blocking_move(ctx, args, w, from, to, timeout, false)
}

/// `BRPOPLPUSH source destination timeout`
pub fn brpoplpush(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let timeout = blocking::parse_timeout(args.arg(3))?;
    blocking_move(ctx, args, w, End::Right, End::Left, timeout, true)
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub fn blmpop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (keys, pop) = parse_mpop(args, 2)?;
    let timeout = blocking::parse_timeout(args.arg(1))?;
    pop_or_block(ctx, args, w, keys.map(|i| args.arg(i)), pop, false, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Keyspace;
    use std::sync::atomic::Ordering;

    /// Runs `pop` on `key` of a list holding `items` and returns the reply and the journal.
    fn served(pop: &Pop, as_rpoplpush: bool, items: &[&str]) -> (String, Vec<String>) {
        let keyspace = Keyspace::new(1);
        keyspace.switches.journal.store(true, Ordering::Relaxed);
        keyspace.write(0, 0, |w| {
            let list: List = items.iter().map(|i| Bytes::new(i.as_bytes())).collect();
            w.set(b"k", Value::list(list), Ttl::Clear);
            w.take_changes();
            let mut out = Vec::new();
            let mut task = BlockedPop {
                pop: pop.clone(),
                as_rpoplpush,
            };
            assert!(task.serve(b"k", w, &mut Reply::new(&mut out, false)));
            let journal = w
                .take_changes()
                .journal
                .into_iter()
                .map(|r| String::from_utf8(r.command).unwrap().replace("\r\n", " "))
                .collect();
            (String::from_utf8(out).unwrap(), journal)
        })
    }

    #[test]
    fn a_served_blocking_pop_is_journaled_as_the_pop_it_did() {
        let (reply, journal) = served(&Pop::One(End::Right), false, &["a", "b"]);
        assert_eq!(reply, "*2\r\n$1\r\nk\r\n$1\r\nb\r\n");
        assert_eq!(journal, ["*2 $4 RPOP $1 k "]);
        let (_, journal) = served(&Pop::Many(End::Left, 5), false, &["a", "b"]);
        assert_eq!(
            journal,
            ["*3 $4 LPOP $1 k $1 2 "],
            "the count actually popped"
        );
        let to_d = |from, to| Pop::Move {
            from,
            to,
            destination: Bytes::new(b"d"),
        };
        let (reply, journal) = served(&to_d(End::Left, End::Right), false, &["a"]);
        assert_eq!(reply, "$1\r\na\r\n");
        assert_eq!(journal, ["*5 $5 LMOVE $1 k $1 d $4 LEFT $5 RIGHT "]);
        let (_, journal) = served(&to_d(End::Right, End::Left), true, &["a"]);
        assert_eq!(journal, ["*3 $9 RPOPLPUSH $1 k $1 d "]);
    }

    #[test]
    fn a_key_that_cannot_serve_leaves_the_waiter_waiting() {
        let keyspace = Keyspace::new(1);
        keyspace.write(0, 0, |w| {
            w.set(b"s", Value::string(b"x"), Ttl::Clear);
            let mut task = BlockedPop {
                pop: Pop::One(End::Left),
                as_rpoplpush: false,
            };
            let mut out = Vec::new();
            assert!(!task.serve(b"s", w, &mut Reply::new(&mut out, false)));
            assert!(!task.serve(b"missing", w, &mut Reply::new(&mut out, false)));
            assert!(out.is_empty());
        });
    }

    #[test]
    fn ranges_follow_lrange() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(clamp_range(1, 0, 5), None);
        assert_eq!(clamp_range(-1, -2, 5), None);
        assert_eq!(clamp_range(5, 10, 5), None);
        assert_eq!(clamp_range(-2, -1, 5), Some((3, 4)));
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    #[test]
    fn indexes_count_from_either_end() {
        assert_eq!(resolve_index(0, 3), Some(0));
        assert_eq!(resolve_index(-1, 3), Some(2));
        assert_eq!(resolve_index(-4, 3), None);
        assert_eq!(resolve_index(3, 3), None);
        assert_eq!(resolve_index(i64::MIN, 3), None);
    }
}
