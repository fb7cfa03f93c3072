//! Consumer-group commands (Redis's t_stream.c): XGROUP, XREADGROUP (blocking too), XACK,
//! XPENDING, XCLAIM, XAUTOCLAIM. The group data and its pure operations are in
//! `keyspace/stream/group.rs`.
//!
//! # What is journaled
//! A group read changes state a replay must rebuild exactly: the PEL, the group's position and
//! read counter, the consumers. Redis does not journal XREADGROUP as sent; it journals what
//! it did (`streamPropagateXCLAIM`, `streamPropagateGroupID`,
//! `streamPropagateConsumerCreation`), and so does thredis through [`Writer::propagate`]:
//! - each entry delivered to a consumer (or claimed) as
//!   `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID last`;
//! - a position moved without such an XCLAIM (`NOACK`, `XCLAIM ... LASTID`) as
//!   `XGROUP SETID key group id ENTRIESREAD n`;
//! - a consumer created by a `NOACK` read as `XGROUP CREATECONSUMER key group consumer`.
//!
//! The immediate reads and those served later for a client blocked in `XREADGROUP ... BLOCK`
//! (through `blocking.rs`) share [`ReadGroup::serve_new`], so reply, journal and events are
//! the same either way.

use super::{
    BLOCKED_DEFAULT_COUNT, ReadOptions, block_on_streams, last_valid_id, lookup_for_read,
    parse_bounds, parse_id, parse_interval, parse_strict_id, read_stream, reply_entry, reply_id,
    reply_stream_header, reply_streams, stream_mut,
};
use crate::blocking::Blocked;
use crate::commands::{
    Args, CommandError, CommandResult, Ctx, is_option, parse_int, parse_range, reply_help,
};
use crate::keyspace::stream::group::{Claim, Pending, Tally};
use crate::keyspace::stream::{Group, StreamId};
use crate::keyspace::{Bytes, Databases, EventClass, Stream, Ttl, Value, Writer};
use crate::protocol::Reply;

/// `XAUTOCLAIM` looks at up to this many pending entries per entry it may claim (Redis's
/// `attempts_factor`), so one call stays bounded whatever the PEL holds.
const AUTOCLAIM_ATTEMPTS_FACTOR: u64 = 10;

/// Redis allocates 16 bytes per COUNT for XAUTOCLAIM's deleted IDs up front and answers an
/// error when that fails. thredis allocates nothing by COUNT, but gives the same error where
/// Redis's allocation can never succeed: past the 2^47 bytes of a process's address space on
/// x86-64 Linux. (Smaller counts may fail on Redis too, depending on the machine's memory.)
const AUTOCLAIM_UNALLOCATABLE: u64 = 1 << 47;

// ------------------------------------------------------------------------- shared helpers

/// The command's clock as the unsigned Unix milliseconds the PEL stores.
fn now_of(now_ms: i64) -> u64 {
    now_ms.max(0) as u64
}

/// A name for an error line: Redis prints the bytes; a reply line here is text.
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Redis's `addReplySubcommandSyntaxError`: the subcommand as typed, the container upper-case.
pub(super) fn subcommand_error(args: &Args, container: &str) -> CommandError {
    let sub = args.arg(1);
    let sub = &sub[..sub.len().min(128)];
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {container} HELP.",
        text(sub)
    ))
}

/// The NOGROUP error of XGROUP's subcommands and XINFO CONSUMERS.
pub(super) fn no_such_group(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::coded(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        text(group),
        text(key)
    ))
}

/// The NOGROUP error of XPENDING, XCLAIM and XAUTOCLAIM (and, with a suffix, XREADGROUP).
fn no_key_or_group(key: &[u8], group: &[u8], suffix: &str) -> CommandError {
    CommandError::coded(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        text(key),
        text(group)
    ))
}

/// Runs `work` on group `name` of `stream` with the rest of the stream readable beside it:
/// the group is taken out of the stream for the while, so entries can be replied from while
/// the group changes. `None` if there is no such group.
fn with_group<R>(
    stream: &mut Stream,
    name: &[u8],
    work: impl FnOnce(&Stream, &mut Group) -> R,
) -> Option<R> {
    let (name, mut group) = stream.groups_mut().remove_entry(name)?;
    let result = work(stream, &mut group);
    stream.groups_mut().insert(name, group);
    Some(result)
}

/// Counts the keyspace hit or miss of a command that reads its key with Redis's
/// `lookupKeyRead` while it writes (XACK, XCLAIM, XAUTOCLAIM), before any check of the type.
fn count_lookup(ctx: &Ctx, w: &mut Writer, key: &[u8]) {
    let hit = w.get(key).is_some();
    ctx.server.stats.record_lookup(hit);
}

/// XAUTOCLAIM's start (Redis's `streamParseIntervalIDOrReply`): `(id` starts after `id`.
fn start_from(arg: &[u8]) -> Result<StreamId, CommandError> {
    match parse_interval(arg, 0)? {
        (id, true) => id
            .next()
            .ok_or(CommandError::err("invalid start ID for the interval")),
        (id, false) => Ok(id),
    }
}

/// An ID as journaled commands carry it.
fn id_arg(id: StreamId) -> Vec<u8> {
    id.to_string().into_bytes()
}

/// Commands to journal in place of the one sent, collected while the stream is borrowed and
/// handed to the writer after.
#[derive(Default)]
struct Journal(Vec<Vec<Vec<u8>>>);

impl Journal {
    /// Redis's `streamPropagateXCLAIM`: replays as "this entry is pending for this consumer,
    /// with this delivery data", or, for an entry gone from the stream, drops it.
    fn xclaim(
        &mut self,
        key: &[u8],
        group: &[u8],
        id: &[u8],
        pending: &Pending,
        last_id: StreamId,
    ) {
        self.0.push(vec![
            b"XCLAIM".to_vec(),
            key.to_vec(),
            group.to_vec(),
            pending.consumer.to_vec(),
            b"0".to_vec(),
            id.to_vec(),
            b"TIME".to_vec(),
            pending.delivery_time.to_string().into_bytes(),
            b"RETRYCOUNT".to_vec(),
            pending.delivery_count.to_string().into_bytes(),
            b"FORCE".to_vec(),
            b"JUSTID".to_vec(),
            b"LASTID".to_vec(),
            id_arg(last_id),
        ]);
    }

    /// Redis's `streamPropagateGroupID`: the group's position and read counter (-1 unknown).
    fn set_id(&mut self, key: &[u8], name: &[u8], group: &Group) {
        let entries_read = group.entries_read.map_or(-1, |n| n as i64);
        self.0.push(vec![
            b"XGROUP".to_vec(),
            b"SETID".to_vec(),
            key.to_vec(),
            name.to_vec(),
            id_arg(group.last_id),
            b"ENTRIESREAD".to_vec(),
            entries_read.to_string().into_bytes(),
        ]);
    }

    /// Redis's `streamPropagateConsumerCreation`.
    fn create_consumer(&mut self, key: &[u8], group: &[u8], consumer: &[u8]) {
        self.0.push(vec![
            b"XGROUP".to_vec(),
            b"CREATECONSUMER".to_vec(),
            key.to_vec(),
            group.to_vec(),
            consumer.to_vec(),
        ]);
    }

    fn write(self, w: &mut Writer) {
        for record in &self.0 {
            let args: Vec<&[u8]> = record.iter().map(Vec::as_slice).collect();
            w.propagate(&args);
        }
    }
}

/// Wraps what the command journaled in `MULTI`/`EXEC` when it is more than one record, as
/// Redis 7.0's `propagatePendingCommands` does after each command, so a replay applies a
/// group read whole. Inside `EXEC` (the one place a client may not block) the transaction is
/// wrapped whole instead.
fn journal_atomically(ctx: &Ctx, w: &mut Writer) {
    if ctx.may_block {
        w.journal_as_transaction();
    }
}

/// What a command did to a group besides its reply, for the writer once the stream is no
/// longer borrowed: the journal, the changes to count, and whether it created the consumer.
#[derive(Default)]
struct Effects {
    journal: Journal,
    changes: u64,
    created_consumer: bool,
}

impl Effects {
    /// Records the consumer's creation, as Redis's `streamCreateConsumer` does (a change and
    /// the `xgroup-createconsumer` event).
    fn consumer_touched(&mut self, created: bool) {
        if created {
            self.created_consumer = true;
            self.changes += 1;
        }
    }

    fn apply(self, w: &mut Writer, key: &[u8]) {
        if self.created_consumer {
            w.notify(EventClass::STREAM, "xgroup-createconsumer", key);
        }
        w.changed(self.changes);
        self.journal.write(w);
    }
}

/// Writes a reply whose array length is known only once its elements are written (Redis's
/// deferred lengths): the elements go to a buffer of their own first.
fn deferred(reply: &mut Reply, fill: impl FnOnce(&mut Reply) -> usize) {
    let mut body = Vec::new();
    let len = fill(&mut Reply::new(&mut body, reply.is_resp3()));
    reply.array(len);
    reply.raw(&body);
}

// ------------------------------------------------------------------------------- XGROUP

/// What XGROUP's subcommands share (the prelude of Redis's `xgroupCommand`): the options of
/// CREATE and SETID and the checks on key and group, in Redis's order.
struct XGroup<'a> {
    key: &'a [u8],
    group: &'a [u8],
    mkstream: bool,
    /// `ENTRIESREAD n`; `None` also for -1, "unknown", as Redis stores it.
    entries_read: Option<u64>,
}

impl<'a> XGroup<'a> {
    /// Parses the options from argument 5, then checks the key holds a stream (unless
    /// `MKSTREAM`) and, for the subcommands that need one, that the group exists.
    fn parse(
        args: &'a Args,
        w: &mut Writer,
        needs_group: bool,
    ) -> Result<XGroup<'a>, CommandError> {
        let sub = args.arg(1);
        let (create, setid) = (is_option(sub, "create"), is_option(sub, "setid"));
        let (mut mkstream, mut entries_read) = (false, None);
        let mut i = 5;
        while i < args.len() {
            let arg = args.arg(i);
            if create && is_option(arg, "mkstream") {
                mkstream = true;
                i += 1;
            } else if (create || setid) && is_option(arg, "entriesread") && i + 1 < args.len() {
                entries_read = match parse_int(args.arg(i + 1))? {
                    -1 => None,
                    n if n < 0 => {
                        return Err(CommandError::err(
                            "value for ENTRIESREAD must be positive or -1",
                        ));
                    }
                    n => Some(n as u64),
                };
                i += 2;
            } else {
                return Err(subcommand_error(args, "XGROUP"));
            }
        }
        let (key, group) = (args.arg(2), args.arg(3));
        let stream = stream_mut(w, key)?;
        if !mkstream {
            let Some(stream) = stream else {
                return Err(CommandError::err(
                    "The XGROUP subcommand requires the key to exist. Note that for CREATE you \
                     may want to use the MKSTREAM option to create an empty stream automatically.",
                ));
            };
            if needs_group && !stream.groups().contains_key(group) {
                return Err(no_such_group(key, group));
            }
        }
        Ok(XGroup {
            key,
            group,
            mkstream,
            entries_read,
        })
    }

    /// The stream, which [`XGroup::parse`] found (or `MKSTREAM` allows to be missing).
    fn stream<'w>(&self, w: &'w mut Writer) -> Option<&'w mut Stream> {
        stream_mut(w, self.key).ok().flatten()
    }

    /// The group, which [`XGroup::parse`] checked exists.
    fn group_mut<'w>(&self, w: &'w mut Writer) -> Option<&'w mut Group> {
        self.stream(w)?.groups_mut().get_mut(self.group)
    }

    /// Counts the change and records `event`, as each successful subcommand does.
    fn done(&self, w: &mut Writer, event: &'static str) {
        w.changed(1);
        w.notify(EventClass::STREAM, event, self.key);
    }
}

/// `XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]`: `+OK`, or BUSYGROUP if the group
/// exists. `$` is the stream's last ID; `MKSTREAM` creates an empty stream for a missing key.
pub fn xgroup_create(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let xgroup = XGroup::parse(args, w, false)?;
    if args.len() > 8 {
        return Err(subcommand_error(args, "XGROUP"));
    }
    let id = match (args.arg(4), xgroup.stream(w)) {
        (b"$", stream) => stream.map_or(StreamId::MIN, |s| s.last_id()),
        (arg, _) => parse_strict_id(arg)?,
    };
    // Only now that nothing can fail, as Redis: an error leaves no new key behind.
    if xgroup.stream(w).is_none() {
        debug_assert!(xgroup.mkstream);
        w.set(xgroup.key, Value::stream(Stream::new()), Ttl::Clear);
    }
    let stream = xgroup
        .stream(w)
        .expect("the stream exists or was just created");
    if stream.groups().contains_key(xgroup.group) {
        return Err(CommandError::coded(
            "BUSYGROUP Consumer Group name already exists",
        ));
    }
    let group = Group::new(id, xgroup.entries_read);
    stream.groups_mut().insert(Bytes::new(xgroup.group), group);
    xgroup.done(w, "xgroup-create");
    ctx.reply.ok();
    Ok(())
}

/// `XGROUP SETID key group id|$ [ENTRIESREAD n]`: moves the group's position (its read
/// counter becomes `n`, or unknown without it). Any ID goes, `-` and `+` too, as in Redis.
pub fn xgroup_setid(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let xgroup = XGroup::parse(args, w, true)?;
    if args.len() != 5 && args.len() != 7 {
        return Err(subcommand_error(args, "XGROUP"));
    }
    let last_id = xgroup.stream(w).map_or(StreamId::MIN, |s| s.last_id());
    let id = match args.arg(4) {
        b"$" => last_id,
        arg => parse_id(arg, 0)?,
    };
    if let Some(group) = xgroup.group_mut(w) {
        group.last_id = id;
        group.entries_read = xgroup.entries_read;
    }
    xgroup.done(w, "xgroup-setid");
    ctx.reply.ok();
    Ok(())
}

/// `XGROUP DESTROY key group`: 1 if the group was there, else 0. Clients blocked reading
/// through it are answered NOGROUP (the key is signalled, as Redis does).
pub fn xgroup_destroy(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let xgroup = XGroup::parse(args, w, false)?;
    let removed = xgroup
        .stream(w)
        .and_then(|s| s.groups_mut().remove(xgroup.group))
        .is_some();
    if removed {
        xgroup.done(w, "xgroup-destroy");
        let db = w.selected();
        w.signal_ready(db, xgroup.key);
    }
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// `XGROUP CREATECONSUMER key group consumer`: 1 if created, 0 if it existed.
pub fn xgroup_createconsumer(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let xgroup = XGroup::parse(args, w, true)?;
    let now = now_of(ctx.now_ms);
    let created = xgroup
        .group_mut(w)
        .is_some_and(|g| g.create_consumer(args.arg(4), now));
    if created {
        xgroup.done(w, "xgroup-createconsumer");
    }
    ctx.reply.integer(created as i64);
    Ok(())
}

/// `XGROUP DELCONSUMER key group consumer`: how many entries the consumer had pending (they
/// leave the group's PEL with it); 0 for a consumer that does not exist.
pub fn xgroup_delconsumer(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let xgroup = XGroup::parse(args, w, true)?;
    let pending = xgroup
        .group_mut(w)
        .and_then(|g| g.delete_consumer(args.arg(4)));
    if pending.is_some() {
        xgroup.done(w, "xgroup-delconsumer");
    }
    ctx.reply.integer(pending.unwrap_or(0) as i64);
    Ok(())
}

pub fn xgroup_help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

// --------------------------------------------------------------------------- XREADGROUP

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

// ------------------------------------------------------------------------------- XACK

/// `XACK key group id [id ...]`: how many of the IDs were pending (and now are not). A missing
/// key or group acknowledges nothing; every ID is read before any is acknowledged.
pub fn xack(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (key, name) = (args.arg(1), args.arg(2));
    count_lookup(ctx, w, key);
    let Some(group) = stream_mut(w, key)?.and_then(|s| s.groups_mut().get_mut(name)) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let ids = args
        .iter()
        .skip(3)
        .map(parse_strict_id)
        .collect::<Result<Vec<_>, _>>()?;
    let acked = ids.into_iter().filter(|&id| group.ack(id)).count();
    w.changed(acked as u64);
    ctx.reply.integer(acked as i64);
    Ok(())
}

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
