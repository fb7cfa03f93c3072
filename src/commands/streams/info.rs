//! XINFO STREAM (and FULL), GROUPS, CONSUMERS and HELP (Redis's `xinfoCommand`): the stream's
//! counters, its groups with their lag, their consumers and PELs, as maps (RESP3) or flat
//! arrays (RESP2), field for field as Redis 7.0.15 replies them.

use super::groups::{no_such_group, subcommand_error};
use super::{read_stream, reply_entry, reply_id};
use crate::commands::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, reply_help};
use crate::keyspace::stream::group::Tally;
use crate::keyspace::stream::{Group, RawEntry, StreamId};
use crate::keyspace::{Databases, Stream};
use crate::protocol::Reply;

/// `XINFO STREAM FULL` shows this many entries (and PEL entries per group and consumer) when
/// no COUNT is given, or COUNT is negative: Redis's default, so one call stays bounded.
const FULL_DEFAULT_COUNT: usize = 10;

/// The stream under `key` for XINFO, which answers a missing key with "no such key".
fn info_stream<'d>(ctx: &Ctx, dbs: &'d Databases, key: &[u8]) -> Result<&'d Stream, CommandError> {
    read_stream(ctx, ctx.db(dbs), key)?.ok_or(CommandError::NoSuchKey)
}

/// A counter as XINFO writes it: an integer, or null when it is unknown.
fn reply_counter(reply: &mut Reply, counter: Option<i64>) {
    match counter {
        Some(n) => reply.integer(n),
        None => reply.null(),
    }
}

/// The first `limit` (0: all) items of `items`.
fn first<T>(items: impl Iterator<Item = T>, limit: usize) -> impl Iterator<Item = T> {
    items.take(if limit == 0 { usize::MAX } else { limit })
}

/// What `XINFO STREAM` asks: the summary, or FULL with a count (0: everything).
fn parse_stream_options(args: &Args) -> Result<Option<usize>, CommandError> {
    let options = args.len() - 3;
    if options == 0 {
        return Ok(None);
    }
    let syntax = || subcommand_error(args, "XINFO");
    if (options != 1 && options != 3) || !is_option(args.arg(3), "full") {
        return Err(syntax());
    }
    if options == 1 {
        return Ok(Some(FULL_DEFAULT_COUNT));
    }
    if !is_option(args.arg(4), "count") {
        return Err(syntax());
    }
    Ok(Some(match parse_int(args.arg(5))? {
        n if n < 0 => FULL_DEFAULT_COUNT,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    }))
}

/// The fields `XINFO STREAM` opens with, FULL or not.
fn reply_stream_counters(reply: &mut Reply, stream: &Stream) {
    reply.bulk(b"length");
    reply.integer(stream.len() as i64);
    // Redis reports its radix tree: one key per listpack node, and the tree's internal nodes.
    // thredis keeps the same nodes in an ordered map, so `radix-tree-keys` is exactly Redis's
    // (nodes break where Redis's listpacks do); `radix-tree-nodes` has no true counterpart
    // and is reported as the keys plus the root, which is Redis's count for 0 and 1 keys and
    // a lower bound beyond.
    let keys = stream.nodes().len();
    reply.bulk(b"radix-tree-keys");
    reply.integer(keys as i64);
    reply.bulk(b"radix-tree-nodes");
    reply.integer(keys as i64 + 1);
    reply.bulk(b"last-generated-id");
    reply_id(reply, stream.last_id());
    reply.bulk(b"max-deleted-entry-id");
    reply_id(reply, stream.max_deleted_id());
    reply.bulk(b"entries-added");
    reply.integer(stream.entries_added() as i64);
    reply.bulk(b"recorded-first-entry-id");
    reply_id(reply, stream.first_id());
}

/// One entry or null, for `first-entry` and `last-entry`.
fn reply_edge_entry<'s>(reply: &mut Reply, mut entries: impl Iterator<Item = RawEntry<'s>>) {
    match entries.next() {
        Some(entry) => reply_entry(reply, &entry),
        None => reply.null(),
    }
}

/// Where a group has read to, as both XINFO GROUPS and XINFO STREAM FULL list it:
/// `last-delivered-id`, `entries-read` and `lag`.
fn reply_position(reply: &mut Reply, tally: &Tally, group: &Group) {
    reply.bulk(b"last-delivered-id");
    reply_id(reply, group.last_id);
    reply.bulk(b"entries-read");
    reply_counter(reply, group.entries_read.map(|n| n as i64));
    reply.bulk(b"lag");
    reply_counter(reply, tally.lag(group));
}

/// A group as `XINFO STREAM ... FULL` shows it: its counters, up to `count` PEL entries, and
/// its consumers with up to `count` of theirs.
fn reply_full_group(reply: &mut Reply, tally: &Tally, name: &[u8], group: &Group, count: usize) {
    reply.map(7);
    reply.bulk(b"name");
    reply.bulk(name);
    reply_position(reply, tally, group);
    reply.bulk(b"pel-count");
    reply.integer(group.pel.len() as i64);
    reply.bulk(b"pending");
    let pel: Vec<_> = first(group.pel.iter(), count).collect();
    reply.array(pel.len());
    for (&id, pending) in pel {
        reply.array(4);
        reply_id(reply, id);
        reply.bulk(&pending.consumer);
        reply.integer(pending.delivery_time as i64);
        reply.integer(pending.delivery_count as i64);
    }
    reply.bulk(b"consumers");
    reply.array(group.consumers.len());
    for (name, consumer) in &group.consumers {
        reply.map(4);
        reply.bulk(b"name");
        reply.bulk(name);
        reply.bulk(b"seen-time");
        reply.integer(consumer.seen_time as i64);
        reply.bulk(b"pel-count");
        reply.integer(consumer.pel.len() as i64);
        reply.bulk(b"pending");
        let ids: Vec<&StreamId> = first(consumer.pel.iter(), count).collect();
        reply.array(ids.len());
        for &id in ids {
            let (time, deliveries) = group
                .pel
                .get(&id)
                .map_or((0, 0), |p| (p.delivery_time, p.delivery_count));
            reply.array(3);
            reply_id(reply, id);
            reply.integer(time as i64);
            reply.integer(deliveries as i64);
        }
    }
}

/// `XINFO STREAM key [FULL [COUNT n]]`: the stream's counters, then its group count and first
/// and last entries, or with FULL up to `n` (10; 0 for all) entries and every group in full.
pub fn xinfo_stream(ctx: &mut Ctx, args: &Args, dbs: &Databases) -> CommandResult {
    let stream = info_stream(ctx, dbs, args.arg(2))?;
    let full = parse_stream_options(args)?;
    let reply = &mut ctx.reply;
    reply.map(if full.is_some() { 9 } else { 10 });
    reply_stream_counters(reply, stream);
    let Some(count) = full else {
        reply.bulk(b"groups");
        reply.integer(stream.groups().len() as i64);
        reply.bulk(b"first-entry");
        reply_edge_entry(reply, stream.range(StreamId::MIN, StreamId::MAX));
        reply.bulk(b"last-entry");
        reply_edge_entry(reply, stream.range_rev(StreamId::MIN, StreamId::MAX));
        return Ok(());
    };
    reply.bulk(b"entries");
    let entries: Vec<_> = first(stream.range(StreamId::MIN, StreamId::MAX), count).collect();
    reply.array(entries.len());
    for entry in &entries {
        reply_entry(reply, entry);
    }
    reply.bulk(b"groups");
    reply.array(stream.groups().len());
    let tally = Tally::of(stream);
    for (name, group) in stream.groups() {
        reply_full_group(reply, &tally, name, group, count);
    }
    Ok(())
}

/// `XINFO GROUPS key`: each group's name, consumers, pending count, last delivered ID,
/// entries read and lag (null when they cannot be known).
pub fn xinfo_groups(ctx: &mut Ctx, args: &Args, dbs: &Databases) -> CommandResult {
    let stream = info_stream(ctx, dbs, args.arg(2))?;
    let tally = Tally::of(stream);
    let reply = &mut ctx.reply;
    reply.array(stream.groups().len());
    for (name, group) in stream.groups() {
        reply.map(6);
        reply.bulk(b"name");
        reply.bulk(name);
        reply.bulk(b"consumers");
        reply.integer(group.consumers.len() as i64);
        reply.bulk(b"pending");
        reply.integer(group.pel.len() as i64);
        reply_position(reply, &tally, group);
    }
    Ok(())
}

/// `XINFO CONSUMERS key group`: each consumer's name, pending count and idle time (since it
/// last read or claimed). Redis 7.0 has no `inactive` field yet.
pub fn xinfo_consumers(ctx: &mut Ctx, args: &Args, dbs: &Databases) -> CommandResult {
    let (key, name) = (args.arg(2), args.arg(3));
    let stream = info_stream(ctx, dbs, key)?;
    let group = stream
        .groups()
        .get(name)
        .ok_or_else(|| no_such_group(key, name))?;
    let now = ctx.now_ms;
    let reply = &mut ctx.reply;
    reply.array(group.consumers.len());
    for (name, consumer) in &group.consumers {
        reply.map(3);
        reply.bulk(b"name");
        reply.bulk(name);
        reply.bulk(b"pending");
        reply.integer(consumer.pel.len() as i64);
        reply.bulk(b"idle");
        reply.integer(now.saturating_sub(consumer.seen_time as i64).max(0));
    }
    Ok(())
}

pub fn xinfo_help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}
