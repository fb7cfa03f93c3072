//! XREADGROUP (Redis's `xreadCommand` with GROUP): a consumer reads new entries (`>`), which
//! become pending for it, or its own pending history (an ID); a read that finds nothing new may
//! block, and the blocked read is served through the same [`ReadGroup::serve_new`].

use super::super::{
    BLOCKED_DEFAULT_COUNT, ReadOptions, block_on_streams, last_valid_id, lookup_for_read,
    parse_strict_id, reply_entry, reply_id, reply_stream_header, reply_streams, stream_mut,
};
use super::{Effects, id_arg, journal_atomically, no_key_or_group, now_of, with_group};
use crate::blocking::Blocked;
use crate::commands::{Args, CommandError, CommandResult, Ctx};
use crate::keyspace::stream::group::Tally;
use crate::keyspace::stream::{Group, StreamId};
use crate::keyspace::{Bytes, EventClass, Stream, Writer};
use crate::protocol::Reply;

/// Who reads and how: what a served `XREADGROUP` needs, now or once blocked.
#[derive(Clone)]
struct ReadGroup {
    group: Bytes,
    consumer: Bytes,
    noack: bool,
}

/// One `>` delivery: to which stream, how many entries at most (0: all), and when.
#[derive(Clone, Copy)]
struct Batch<'k> {
    key: &'k [u8],
    count: usize,
    now: u64,
}

/// Where a read starts on one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// `>`: entries never delivered to the group.
    New,
    /// An ID: the consumer's own pending entries after it.
    History(StreamId),
}

/// Checks every stream and its group and reads every ID, in argument order, as Redis's
/// `xreadCommand` does: the first problem is the error.
fn parse_starts(
    ctx: &Ctx,
    args: &Args,
    w: &mut Writer,
    options: &ReadOptions,
    group: &[u8],
) -> Result<Vec<Start>, CommandError> {
    let mut starts = Vec::with_capacity(options.keys.len());
    for key_at in options.keys.clone() {
        let key = args.arg(key_at);
        let stream = lookup_for_read(ctx, w, key)?;
        if !stream.is_some_and(|s| s.groups().contains_key(group)) {
            return Err(no_key_or_group(
                key,
                group,
                " in XREADGROUP with GROUP option",
            ));
        }
        starts.push(match args.arg(options.id_at(key_at)) {
            b">" => Start::New,
            b"$" => {
                return Err(CommandError::err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read \
                     the history of this consumer by specifying a proper ID, or use the > ID \
                     to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            // Redis marks `>` as the greatest ID, so that ID given explicitly reads as `>`.
            arg => match parse_strict_id(arg)? {
                StreamId::MAX => Start::New,
                id => Start::History(id),
            },
        });
    }
    Ok(starts)
}

impl ReadGroup {
    /// Whether a `>` read on `stream` delivers something now: a live entry after the group's
    /// position (Redis compares with the last entry not deleted).
    fn has_new(&self, stream: &Stream) -> bool {
        let Some(group) = stream.groups().get(&*self.group) else {
            return false;
        };
        last_valid_id(stream).is_some_and(|last| last > group.last_id)
    }

    /// Delivers to the consumer the entries after the group's position on the stream at `key`,
    /// at most `count` (0: all), and replies them: Redis's `streamReplyWithRange` with a group.
    /// Moves the group, fills the PEL (not with NOACK), creates or refreshes the consumer, and
    /// journals all of it (see the module documentation).
    fn serve_new(&self, w: &mut Writer, key: &[u8], count: usize, reply: &mut Reply) {
        let batch = Batch {
            key,
            count,
            now: now_of(w.now_ms()),
        };
        let mut effects = Effects::default();
        if let Some(stream) = stream_mut(w, key).ok().flatten() {
            with_group(stream, &self.group, |stream, group| {
                self.deliver(stream, group, &batch, reply, &mut effects)
            });
        }
        // Redis counts the read itself as a change of the stream's groups.
        effects.changes += 1;
        effects.apply(w, key);
    }

    /// [`ReadGroup::serve_new`] once the group is in hand.
    fn deliver(
        &self,
        stream: &Stream,
        group: &mut Group,
        batch: &Batch,
        reply: &mut Reply,
        effects: &mut Effects,
    ) {
        let Batch { key, count, now } = *batch;
        let created = group.touch_consumer(&self.consumer, now);
        effects.consumer_touched(created);
        if created && self.noack {
            effects
                .journal
                .create_consumer(key, &self.group, &self.consumer);
        }
        let tally = Tally::of(stream);
        let entries: Vec<_> = match group.last_id.next() {
            Some(start) => stream
                .range(start, StreamId::MAX)
                .take(if count == 0 { usize::MAX } else { count })
                .collect(),
            None => Vec::new(),
        };
        reply.array(entries.len());
        let mut moved = false;
        for entry in &entries {
            reply_entry(reply, entry);
            moved |= group.advance(&tally, entry.id);
            if !self.noack {
                let pending = group.deliver(entry.id, &self.consumer, now).clone();
                effects.journal.xclaim(
                    key,
                    &self.group,
                    &id_arg(entry.id),
                    &pending,
                    group.last_id,
                );
            }
        }
        // Without PEL entries no XCLAIM carries the new position: journal it on its own.
        if moved && self.noack {
            effects.journal.set_id(key, &self.group, group);
        }
    }

    /// Replies the consumer's pending entries from `start` on, at most `count` (0: all), each
    /// counted as delivered again; an entry deleted from the stream since replies as
    /// `[id, nil]` (Redis's `streamReplyWithRangeFromConsumerPEL`).
    fn serve_history(
        &self,
        w: &mut Writer,
        key: &[u8],
        start: StreamId,
        count: usize,
        reply: &mut Reply,
    ) {
        let now = now_of(w.now_ms());
        let mut created = false;
        if let Some(stream) = stream_mut(w, key).ok().flatten() {
            with_group(stream, &self.group, |stream, group| {
                created = group.touch_consumer(&self.consumer, now);
                let limit = if count == 0 { usize::MAX } else { count };
                let ids: Vec<StreamId> = (group.consumers.get(&*self.consumer))
                    .map(|c| c.pel.range(start..).take(limit).copied().collect())
                    .unwrap_or_default();
                reply.array(ids.len());
                for id in ids {
                    match stream.get(id) {
                        Some(entry) => {
                            reply_entry(reply, &entry);
                            group.redeliver(id, now);
                        }
                        None => {
                            reply.array(2);
                            reply_id(reply, id);
                            reply.null_array();
                        }
                    }
                }
            });
        }
        // Redis journals nothing for a history read (it counts a change, which here would
        // journal the command as sent): only the event of a consumer it created.
        if created {
            w.notify(EventClass::STREAM, "xgroup-createconsumer", key);
        }
    }
}

/// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key [key ...] id
/// [id ...]`: per stream, with `>` the entries never delivered to the group (now theirs, in
/// the PEL unless NOACK), with an ID the consumer's own pending entries after it. An array of
/// `[key, entries]` (a map in RESP3) of the streams that had something; otherwise, with BLOCK,
/// waits for new entries, else the null array.
pub fn xreadgroup(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let options = ReadOptions::parse(args, true)?;
    let group_at = options
        .group
        .expect("XREADGROUP's options always name a group");
    let read = ReadGroup {
        group: Bytes::new(args.arg(group_at)),
        consumer: Bytes::new(args.arg(group_at + 1)),
        noack: options.noack,
    };
    let starts = parse_starts(ctx, args, w, &options, &read.group)?;
    let count = usize::try_from(options.count).unwrap_or(usize::MAX);
    let mark = ctx.reply.mark();
    let mut served = 0;
    for (key_at, &start) in options.keys.clone().zip(&starts) {
        let key = args.arg(key_at);
        // Looked up again, as Redis's serving loop does (a second keyspace hit).
        let has_new = lookup_for_read(ctx, w, key)?.is_some_and(|s| read.has_new(s));
        if start == Start::New && !has_new {
            continue;
        }
        served += 1;
        reply_stream_header(&mut ctx.reply, key);
        match start {
            Start::New => read.serve_new(w, key, count, &mut ctx.reply),
            // After the ID given (never the greatest: that one reads as `>`).
            Start::History(after) => {
                let from = after.next().unwrap_or(StreamId::MAX);
                read.serve_history(w, key, from, count, &mut ctx.reply)
            }
        }
    }
    if served > 0 {
        let mut header = Vec::with_capacity(24);
        reply_streams(&mut Reply::new(&mut header, ctx.reply.is_resp3()), served);
        ctx.reply.insert(mark, &header);
        journal_atomically(ctx, w);
        return Ok(());
    }
    let Some(timeout) = options.block else {
        ctx.reply.null_array();
        return Ok(());
    };
    let keys = options.keys.map(|i| Bytes::new(args.arg(i))).collect();
    let task = BlockedRead {
        read,
        count: usize::try_from(options_blocked_count(options.count)).unwrap_or(usize::MAX),
    };
    block_on_streams(ctx, args, keys, timeout, Box::new(task))
}

/// The count a blocked read serves with: COUNT, or Redis's default for a wake-up.
fn options_blocked_count(count: u64) -> u64 {
    match count {
        0 => BLOCKED_DEFAULT_COUNT,
        count => count,
    }
}

/// A client blocked in `XREADGROUP ... BLOCK` on `>` ([`Blocked`]), served when an
/// entry arrives after its group's position; answered with an error when its group or its
/// stream goes (Redis's `serveClientsBlockedOnStreamKey`, `unblockDeletedStreamReadgroupClients`).
struct BlockedRead {
    read: ReadGroup,
    /// Entries per wake-up: COUNT, else Redis's default for blocked reads.
    count: usize,
}

impl Blocked for BlockedRead {
    fn serve(&mut self, key: &[u8], w: &mut Writer, reply: &mut Reply) -> bool {
        let position = match w.get(key).map(|e| e.value().as_stream()) {
            Some(Ok(stream)) => match stream.groups().get(&*self.read.group) {
                Some(group) => Some((stream.last_id(), group.last_id)),
                None => {
                    reply.error(
                        b"NOGROUP the consumer group this client was blocked on no longer exists",
                    );
                    return true;
                }
            },
            _ => None,
        };
        let Some((stream_last, group_last)) = position else {
            reply.error(b"UNBLOCKED the stream key no longer exists");
            return true;
        };
        // Redis 7.0 serves as soon as the stream's last ID passes the group's, even if the
        // entries after the group's position were deleted since (then with none).
        if stream_last <= group_last {
            return false;
        }
        reply_streams(reply, 1);
        reply_stream_header(reply, key);
        self.read.serve_new(w, key, self.count, reply);
        // Served on its own, after the command that fed it: its records are wrapped alone.
        w.journal_as_transaction();
        true
    }
}
