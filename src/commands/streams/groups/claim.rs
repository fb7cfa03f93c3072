//! Inspecting and moving pending entries: XPENDING (the summary and the extended form), XCLAIM
//! and XAUTOCLAIM (ownership passes to another consumer; deleted entries leave the PEL).

use super::super::{parse_bounds, parse_strict_id, read_stream, reply_entry, reply_id, stream_mut};
use super::{
    Effects, count_lookup, deferred, id_arg, journal_atomically, no_key_or_group, now_of,
    start_from, text, with_group,
};
use crate::commands::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, parse_range};
use crate::keyspace::stream::group::{Claim, Pending};
use crate::keyspace::stream::{Group, StreamId};
use crate::keyspace::{Databases, Stream, Writer};
use crate::protocol::Reply;

/// `XAUTOCLAIM` looks at up to this many pending entries per entry it may claim (Redis's
/// `attempts_factor`), so one call stays bounded whatever the PEL holds.
const AUTOCLAIM_ATTEMPTS_FACTOR: u64 = 10;

/// Redis allocates 16 bytes per COUNT for XAUTOCLAIM's deleted IDs up front and answers an
/// error when that fails. thredis allocates nothing by COUNT, but gives the same error where
/// Redis's allocation can never succeed: past the 2^47 bytes of a process's address space on
/// x86-64 Linux. (Smaller counts may fail on Redis too, depending on the machine's memory.)
const AUTOCLAIM_UNALLOCATABLE: u64 = 1 << 47;

// ---------------------------------------------------------------------------- XPENDING

/// XPENDING's extended form: `[IDLE min-idle] start end count [consumer]`.
struct PendingRange<'a> {
    min_idle: i64,
    /// Inclusive, exclusive bounds stepped inwards; `start > end` is an empty range.
    start: StreamId,
    end: StreamId,
    count: usize,
    consumer: Option<&'a [u8]>,
}

impl<'a> PendingRange<'a> {
    /// Parses from argument 3, as Redis's `xpendingCommand`: the count first, then the bounds.
    fn parse(args: &'a Args) -> Result<PendingRange<'a>, CommandError> {
        let (mut at, mut min_idle) = (3, 0);
        if is_option(args.arg(3), "idle") {
            min_idle = parse_int(args.arg(4))?;
            if args.len() < 8 {
                return Err(CommandError::Syntax);
            }
            at += 2;
        }
        let count = parse_int(args.arg(at + 2))?.max(0);
        let (start, end) = parse_bounds(args.arg(at), args.arg(at + 1))?;
        Ok(PendingRange {
            min_idle,
            start,
            end,
            count: usize::try_from(count).unwrap_or(usize::MAX),
            consumer: (at + 3 < args.len()).then(|| args.arg(at + 3)),
        })
    }

    /// Replies `[id, consumer, idle ms, deliveries]` for each pending entry in range idle for
    /// at least `min_idle`, at most `count` of them.
    fn reply(&self, group: &Group, now: i64, reply: &mut Reply) {
        let ids: Box<dyn Iterator<Item = &StreamId>> = match self.consumer {
            _ if self.start > self.end => Box::new(std::iter::empty()),
            Some(name) => match group.consumers.get(name) {
                Some(consumer) => Box::new(consumer.pel.range(self.start..=self.end)),
                // An unknown consumer has nothing pending.
                None => Box::new(std::iter::empty()),
            },
            None => Box::new(group.pel.range(self.start..=self.end).map(|(id, _)| id)),
        };
        let idle_of = |pending: &Pending| now.saturating_sub(pending.delivery_time as i64);
        let rows = ids
            .filter_map(|id| Some((*id, group.pel.get(id)?)))
            .filter(|(_, pending)| self.min_idle == 0 || idle_of(pending) >= self.min_idle)
            .take(self.count);
        deferred(reply, |reply| {
            let mut len = 0;
            for (id, pending) in rows {
                reply.array(4);
                reply_id(reply, id);
                reply.bulk(&pending.consumer);
                reply.integer(idle_of(pending).max(0));
                reply.integer(pending.delivery_count as i64);
                len += 1;
            }
            len
        });
    }
}

/// The summary `XPENDING key group`: `[count, min id, max id, [[consumer, count] ...]]`, or
/// `[0, nil, nil, nil]` for an empty PEL.
fn reply_pending_summary(group: &Group, reply: &mut Reply) {
    reply.array(4);
    reply.integer(group.pel.len() as i64);
    let (Some((first, _)), Some((last, _))) =
        (group.pel.first_key_value(), group.pel.last_key_value())
    else {
        reply.null();
        reply.null();
        reply.null_array();
        return;
    };
    reply_id(reply, *first);
    reply_id(reply, *last);
    let holders = group.consumers.iter().filter(|(_, c)| !c.pel.is_empty());
    reply.array(holders.clone().count());
    for (name, consumer) in holders {
        reply.array(2);
        reply.bulk(name);
        // A bulk string, not an integer: Redis's reply.
        reply.bulk_integer(consumer.pel.len() as i64);
    }
}

/// `XPENDING key group [[IDLE min-idle] start end count [consumer]]`: the summary of the
/// group's PEL, or its entries in a range (see [`PendingRange`]).
pub fn xpending(ctx: &mut Ctx, args: &Args, dbs: &Databases) -> CommandResult {
    if args.len() != 3 && !(6..=9).contains(&args.len()) {
        return Err(CommandError::Syntax);
    }
    let range = if args.len() >= 6 {
        Some(PendingRange::parse(args)?)
    } else {
        None
    };
    let (key, name) = (args.arg(1), args.arg(2));
    let stream = read_stream(ctx, ctx.db(dbs), key)?;
    let Some(group) = stream.and_then(|s| s.groups().get(name)) else {
        return Err(no_key_or_group(key, name, ""));
    };
    match range {
        None => reply_pending_summary(group, &mut ctx.reply),
        Some(range) => range.reply(group, ctx.now_ms, &mut ctx.reply),
    }
    Ok(())
}

// ------------------------------------------------------------------------------ XCLAIM

/// XCLAIM's options after the IDs.
struct ClaimOptions {
    /// `IDLE`/`TIME`: the delivery time asked for (kept between 0 and now).
    delivery_time: Option<i64>,
    retry_count: Option<i64>,
    force: bool,
    justid: bool,
    last_id: StreamId,
}

impl ClaimOptions {
    /// Parses the arguments from `from` (where the IDs stopped), as Redis's `xclaimCommand`.
    fn parse(args: &Args, from: usize, now: i64) -> Result<ClaimOptions, CommandError> {
        let mut options = ClaimOptions {
            delivery_time: None,
            retry_count: None,
            force: false,
            justid: false,
            last_id: StreamId::MIN,
        };
        let number = |arg: &[u8], message: &'static str| {
            parse_int(arg).map_err(|_| CommandError::err(message))
        };
        let mut i = from;
        while i < args.len() {
            let (arg, more) = (args.arg(i), i + 1 < args.len());
            if is_option(arg, "force") {
                options.force = true;
            } else if is_option(arg, "justid") {
                options.justid = true;
            } else if is_option(arg, "idle") && more {
                i += 1;
                let idle = number(args.arg(i), "Invalid IDLE option argument for XCLAIM")?;
                options.delivery_time = Some(now.saturating_sub(idle));
            } else if is_option(arg, "time") && more {
                i += 1;
                options.delivery_time = Some(number(
                    args.arg(i),
                    "Invalid TIME option argument for XCLAIM",
                )?);
            } else if is_option(arg, "retrycount") && more {
                i += 1;
                options.retry_count = Some(number(
                    args.arg(i),
                    "Invalid RETRYCOUNT option argument for XCLAIM",
                )?);
            } else if is_option(arg, "lastid") && more {
                i += 1;
                options.last_id = parse_strict_id(args.arg(i))?;
            } else {
                return Err(CommandError::err(format!(
                    "Unrecognized XCLAIM option '{}'",
                    text(arg)
                )));
            }
            i += 1;
        }
        Ok(options)
    }

    /// The claim as the PEL applies it: a delivery time out of range (negative, future) is
    /// now, as Redis prefers to an error; a negative RETRYCOUNT is no RETRYCOUNT.
    fn claim(&self, now: i64) -> Claim {
        let time = self
            .delivery_time
            .filter(|t| (0..=now).contains(t))
            .unwrap_or(now);
        Claim {
            delivery_time: now_of(time),
            retry_count: self.retry_count.filter(|&n| n >= 0).map(|n| n as u64),
            count_delivery: !self.justid,
        }
    }
}

/// The key's stream and group for XCLAIM and XAUTOCLAIM, or their NOGROUP error.
fn claim_target<'w>(
    w: &'w mut Writer,
    key: &[u8],
    name: &[u8],
) -> Result<&'w mut Stream, CommandError> {
    match stream_mut(w, key)? {
        Some(stream) if stream.groups().contains_key(name) => Ok(stream),
        _ => Err(no_key_or_group(key, name, "")),
    }
}

/// Replies a claimed entry: its ID alone (JUSTID) or the whole entry.
fn reply_claimed(reply: &mut Reply, stream: &Stream, id: StreamId, justid: bool) {
    match stream.get(id) {
        Some(entry) if !justid => reply_entry(reply, &entry),
        _ => reply_id(reply, id),
    }
}

/// `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
/// [FORCE] [JUSTID] [LASTID id]`: hands the pending entries idle for at least min-idle-time
/// to `consumer` (created if need be) and replies them. An ID that is not pending is skipped
/// unless FORCE (then it becomes pending, if the entry exists); a pending entry deleted from
/// the stream leaves the PEL. Journaled as Redis's XCLAIM records.
pub fn xclaim(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (key, name, consumer) = (args.arg(1), args.arg(2), args.arg(3));
    count_lookup(ctx, w, key);
    claim_target(w, key, name)?;
    let min_idle = parse_int(args.arg(4))
        .map_err(|_| CommandError::err("Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    // The IDs run until the first argument that is not one: the options start there.
    let ids: Vec<(usize, StreamId)> = (5..args.len())
        .map_while(|i| Some((i, parse_strict_id(args.arg(i)).ok()?)))
        .collect();
    let now = ctx.now_ms;
    let options = ClaimOptions::parse(args, 5 + ids.len(), now)?;
    let claim = options.claim(now);
    let stream = claim_target(w, key, name)?;
    let mut effects = Effects::default();
    with_group(stream, name, |stream, group| {
        let mut journal_position = options.last_id > group.last_id;
        if journal_position {
            group.last_id = options.last_id;
        }
        let mut consumer_ready = false;
        deferred(&mut ctx.reply, |reply| {
            let mut claimed = 0;
            for &(at, id) in &ids {
                let arg = args.arg(at);
                if stream.get(id).is_none() {
                    // Gone from the stream: it leaves the PEL, and the replay drops it too.
                    if let Some(pending) = group.release(id) {
                        effects
                            .journal
                            .xclaim(key, name, arg, &pending, group.last_id);
                        effects.changes += 1;
                        journal_position = false;
                    }
                    continue;
                }
                match group.pel.get(&id) {
                    None if !options.force => continue,
                    Some(pending)
                        if min_idle > 0
                            && now.saturating_sub(pending.delivery_time as i64) < min_idle =>
                    {
                        continue;
                    }
                    _ => {}
                }
                if !consumer_ready {
                    effects.consumer_touched(group.touch_consumer(consumer, now_of(now)));
                    consumer_ready = true;
                }
                let pending = group.claim(id, consumer, claim).clone();
                reply_claimed(reply, stream, id, options.justid);
                claimed += 1;
                effects
                    .journal
                    .xclaim(key, name, arg, &pending, group.last_id);
                effects.changes += 1;
                journal_position = false;
            }
            claimed
        });
        if journal_position {
            effects.journal.set_id(key, name, group);
            effects.changes += 1;
        }
    });
    effects.apply(w, key);
    journal_atomically(ctx, w);
    Ok(())
}

// -------------------------------------------------------------------------- XAUTOCLAIM

/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID]`: XCLAIM of the
/// pending entries from `start` idle for at least min-idle-time, up to COUNT (100) of them,
/// looking at no more than ten times as many. Replies `[next start or 0-0, claimed, deleted
/// IDs]`: pending entries found deleted from the stream leave the PEL and are listed.
pub fn xautoclaim(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (key, name, consumer) = (args.arg(1), args.arg(2), args.arg(3));
    count_lookup(ctx, w, key);
    let min_idle = parse_int(args.arg(4))
        .map_err(|_| CommandError::err("Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = start_from(args.arg(5))?;
    let (mut count, mut justid) = (100u64, false);
    let mut i = 6;
    while i < args.len() {
        let arg = args.arg(i);
        if is_option(arg, "count") && i + 1 < args.len() {
            // Redis bounds COUNT so that its transient arrays cannot overflow.
            let max = i64::MAX / 16;
            count = parse_range(args.arg(i + 1), 1, max, Some("COUNT must be > 0"))? as u64;
            i += 1;
        } else if is_option(arg, "justid") {
            justid = true;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    let stream = claim_target(w, key, name)?;
    if count.saturating_mul(16) >= AUTOCLAIM_UNALLOCATABLE {
        return Err(CommandError::err(
            "Insufficient memory, failed allocating transient memory, COUNT too high.",
        ));
    }
    let now = ctx.now_ms;
    let claim = Claim {
        delivery_time: now_of(now),
        retry_count: None,
        count_delivery: !justid,
    };
    let mut effects = Effects::default();
    let reply = &mut ctx.reply;
    with_group(stream, name, |stream, group| {
        let mut attempts = count.saturating_mul(AUTOCLAIM_ATTEMPTS_FACTOR);
        let (mut cursor, mut deleted, mut consumer_ready) = (Some(start), Vec::new(), false);
        let next_pending = |group: &Group, from: Option<StreamId>| {
            from.and_then(|from| group.pel.range(from..).next().map(|(id, _)| *id))
        };
        let mut body = Vec::new();
        let mut claimed_reply = Reply::new(&mut body, reply.is_resp3());
        let mut claimed = 0;
        while attempts > 0 && count > 0 {
            attempts -= 1;
            let Some(id) = next_pending(group, cursor) else {
                cursor = None;
                break;
            };
            cursor = id.next();
            if stream.get(id).is_none() {
                if let Some(pending) = group.release(id) {
                    effects
                        .journal
                        .xclaim(key, name, &id_arg(id), &pending, group.last_id);
                }
                effects.changes += 1;
                deleted.push(id);
                count -= 1;
                continue;
            }
            let idle = now.saturating_sub(group.pel[&id].delivery_time as i64);
            if min_idle > 0 && idle < min_idle {
                continue;
            }
            if !consumer_ready {
                effects.consumer_touched(group.touch_consumer(consumer, now_of(now)));
                consumer_ready = true;
            }
            let pending = group.claim(id, consumer, claim).clone();
            reply_claimed(&mut claimed_reply, stream, id, justid);
            claimed += 1;
            count -= 1;
            effects
                .journal
                .xclaim(key, name, &id_arg(id), &pending, group.last_id);
            effects.changes += 1;
        }
        reply.array(3);
        reply_id(reply, next_pending(group, cursor).unwrap_or(StreamId::MIN));
        reply.array(claimed);
        reply.raw(&body);
        reply.array(deleted.len());
        for id in deleted {
            reply_id(reply, id);
        }
    });
    effects.apply(w, key);
    journal_atomically(ctx, w);
    Ok(())
}
