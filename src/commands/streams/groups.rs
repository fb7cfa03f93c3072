//! Consumer-group commands (Redis's t_stream.c): XGROUP and XACK here, with the helpers the
//! group commands share (lookups, errors, what they journal); XREADGROUP (blocking too) in
//! `groups/read.rs`; XPENDING, XCLAIM and XAUTOCLAIM in `groups/claim.rs`. The group data and
//! its pure operations are in `keyspace/stream/group.rs`.
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

mod claim;
mod read;

pub use claim::{xautoclaim, xclaim, xpending};
pub use read::xreadgroup;

use super::{parse_id, parse_interval, parse_strict_id, stream_mut};
use crate::commands::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, reply_help};
use crate::keyspace::stream::group::Pending;
use crate::keyspace::stream::{Group, StreamId};
use crate::keyspace::{Bytes, EventClass, Stream, Ttl, Value, Writer};
use crate::protocol::Reply;

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
