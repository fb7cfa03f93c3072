//! Stream commands (Redis's t_stream.c): XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XREAD
//! and XSETID, and the helpers every stream command shares (IDs, entry replies). XREAD is in
//! `streams/read.rs`, consumer groups in `streams/groups.rs`, XINFO in `streams/info.rs`. (Stages 43–54.)
//!
//! # Journaling
//! A stream write must replay to the same stream, so XADD and XTRIM journal what they did
//! rather than what they were asked (Redis's `streamRewriteApproxSpecifier` and
//! `streamRewriteTrimArgument`): `*` and `ms-*` become the ID given, and an approximate trim
//! `~ n` becomes the exact `= <what is left>`, which a replay then applies whatever its
//! node sizes (a replay ignores `LIMIT`, as Redis's `mustObeyClient` does).
//!
//! # Reading
//! XREAD, its options (shared with XREADGROUP) and its blocking are in `streams/read.rs`.

pub mod groups;
pub mod info;
pub mod read;

pub use read::{BLOCKED_DEFAULT_COUNT, ReadOptions, block_on_streams, lookup_for_read};

use crate::commands::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::keyspace::stream::{Limits, ParsedId, RawEntry, StreamId, Trim};
use crate::keyspace::{Databases, Db, EventClass, Stream, Ttl, Value, Writer};
use crate::number::IntBuf;
use crate::protocol::Reply;

/// Redis's reply to an ID argument it cannot read.
pub const INVALID_ID: &str = "Invalid stream ID specified as stream command argument";

/// An ID argument where `-` and `+` are allowed (ranges, `XAUTOCLAIM`'s start...): `ms` alone
/// takes `missing_seq` as its sequence (0 for a start, `u64::MAX` for an end).
pub fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CommandError> {
    StreamId::parse(arg, missing_seq, false, false)
        .map(|parsed| parsed.id)
        .ok_or(CommandError::err(INVALID_ID))
}

/// An ID argument that must name one ID (`XDEL`, `XSETID`, `XGROUP CREATE`...): `-` and `+`
/// refused, `ms` alone is `ms-0`.
pub fn parse_strict_id(arg: &[u8]) -> Result<StreamId, CommandError> {
    StreamId::parse(arg, 0, true, false)
        .map(|parsed| parsed.id)
        .ok_or(CommandError::err(INVALID_ID))
}

/// The stream under `key` in `db` for reading, or `None` if the key is missing.
pub fn read_stream<'d>(
    ctx: &Ctx,
    db: &'d Db,
    key: &[u8],
) -> Result<Option<&'d Stream>, CommandError> {
    match ctx.read_key(db, key) {
        Some(entry) => Ok(Some(entry.value().as_stream()?)),
        None => Ok(None),
    }
}

/// The stream under `key` for changing in place: `None` if the key is missing, WRONGTYPE if it
/// holds something else.
pub fn stream_mut<'w>(
    w: &'w mut Writer,
    key: &[u8],
) -> Result<Option<&'w mut Stream>, CommandError> {
    match w.get_mut(key) {
        Some(entry) => Ok(Some(entry.value_mut().as_stream_mut()?)),
        None => Ok(None),
    }
}

/// An ID as every reply writes it, `ms-seq`, as a bulk string, without allocating.
pub fn reply_id(reply: &mut Reply, id: StreamId) {
    let mut text = [0u8; 41];
    let mut digits = IntBuf::new();
    let len = write_decimal(&mut text, 0, id.ms, &mut digits);
    text[len] = b'-';
    let len = write_decimal(&mut text, len + 1, id.seq, &mut digits);
    reply.bulk(&text[..len]);
}

/// Writes `n` at `at`, returning where it ends. `IntBuf` takes `i64`, so the top half of the
/// `u64` range goes digit by digit.
fn write_decimal(out: &mut [u8], at: usize, n: u64, digits: &mut IntBuf) -> usize {
    match i64::try_from(n) {
        Ok(n) => {
            let text = digits.format(n);
            out[at..at + text.len()].copy_from_slice(text);
            at + text.len()
        }
        Err(_) => {
            let text = n.to_string();
            out[at..at + text.len()].copy_from_slice(text.as_bytes());
            at + text.len()
        }
    }
}

/// An entry as XRANGE, XREAD and XCLAIM reply it: `[id, [field, value, ...]]`.
pub fn reply_entry(reply: &mut Reply, entry: &RawEntry) {
    reply.array(2);
    reply_id(reply, entry.id);
    reply.array(2 * entry.field_count());
    for (field, value) in entry.pairs() {
        reply.bulk(field);
        reply.bulk(value);
    }
}

/// The last live entry's ID (Redis's `streamLastValidID`), `None` for an empty stream.
pub fn last_valid_id(stream: &Stream) -> Option<StreamId> {
    stream
        .range_rev(StreamId::MIN, StreamId::MAX)
        .next()
        .map(|entry| entry.id)
}

/// Writes `entries` (at most `count` of them, 0 for all) as an array of [`reply_entry`]s.
/// The array's length is known only at the end, so it is inserted before the entries then:
/// nothing is sized by the count a client sent.
pub fn reply_entries<'s>(
    reply: &mut Reply,
    entries: impl Iterator<Item = RawEntry<'s>>,
    count: u64,
) {
    let mark = reply.mark();
    let limit = if count == 0 { u64::MAX } else { count };
    let mut written = 0usize;
    for entry in entries.take(usize::try_from(limit).unwrap_or(usize::MAX)) {
        reply_entry(reply, &entry);
        written += 1;
    }
    let mut header = Vec::with_capacity(24);
    Reply::new(&mut header, reply.is_resp3()).array(written);
    reply.insert(mark, &header);
}

/// Opens a reply of `streams` streams, each then written as [`reply_stream_header`] followed
/// by its entries: XREAD's and XREADGROUP's shape, an array of `[key, entries]` pairs in
/// RESP2 and a map of key → entries in RESP3 (Redis's `addReplyMapLen`).
pub fn reply_streams(reply: &mut Reply, streams: usize) {
    if reply.is_resp3() {
        reply.map(streams);
    } else {
        reply.array(streams);
    }
}

/// [`reply_streams`] for a reply whose streams were written from `mark` on before it was
/// known how many there would be (XREAD replies only the streams that have new entries).
pub fn insert_streams_header(reply: &mut Reply, mark: usize, streams: usize) {
    let mut header = Vec::with_capacity(24);
    reply_streams(&mut Reply::new(&mut header, reply.is_resp3()), streams);
    reply.insert(mark, &header);
}

/// Starts one stream of a [`reply_streams`] reply: its key (in a pair in RESP2).
pub fn reply_stream_header(reply: &mut Reply, key: &[u8]) {
    if !reply.is_resp3() {
        reply.array(2);
    }
    reply.bulk(key);
}

// ------------------------------------------------------------------------------ XADD, XTRIM

/// The trimming options of XADD and XTRIM (Redis's `streamAddTrimArgs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct TrimOptions {
    trim: Option<Trim>,
    approx: bool,
    /// At most this many entries go (0: no limit). Only `~` trims are limited.
    limit: u64,
    /// Where the threshold argument is, to rewrite it for the journal.
    threshold_at: usize,
}

/// What XADD was asked besides its trimming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct AddOptions {
    nomkstream: bool,
    /// The ID argument's position, and what it said (`None` for `*`).
    id_at: usize,
    id: Option<ParsedId>,
}

/// Parses the options of XADD (`xadd`) or XTRIM from argument 2 on, as Redis's
/// `streamParseAddOrTrimArgsOrReply`, errors in its order. For XADD, stops at the ID.
/// `obeyed` is a replay (the append-only file), which is trusted: no default `LIMIT`, and a
/// `LIMIT` without `~` (which the journal's rewrite produces) is accepted.
fn parse_add_or_trim(
    args: &Args,
    xadd: bool,
    obeyed: bool,
    node_max_entries: u64,
) -> Result<(TrimOptions, AddOptions), CommandError> {
    let mut trim = TrimOptions::default();
    let mut add = AddOptions::default();
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args.arg(i);
        if xadd && opt == b"*" {
            break;
        } else if (is_option(opt, "maxlen") || is_option(opt, "minid")) && more > 0 {
            if trim.trim.is_some() {
                return Err(CommandError::err(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            let next = args.arg(i + 1);
            trim.approx = more >= 2 && next == b"~";
            if more >= 2 && (next == b"~" || next == b"=") {
                i += 1;
            }
            let threshold = args.arg(i + 1);
            trim.trim = Some(if is_option(opt, "maxlen") {
                let max = parse_int(threshold)?;
                if max < 0 {
                    return Err(CommandError::err("The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(max as u64)
            } else {
                Trim::MinId(parse_strict_id(threshold)?)
            });
            i += 1;
            trim.threshold_at = i;
        } else if is_option(opt, "limit") && more > 0 {
            let limit = parse_int(args.arg(i + 1))?;
            if limit < 0 {
                return Err(CommandError::err("The LIMIT argument must be >= 0."));
            }
            trim.limit = limit as u64;
            limit_given = true;
            i += 1;
        } else if xadd && is_option(opt, "nomkstream") {
            add.nomkstream = true;
        } else if xadd {
            let parsed =
                StreamId::parse(opt, 0, true, true).ok_or(CommandError::err(INVALID_ID))?;
            add.id = Some(parsed);
            break;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    add.id_at = i;
    if trim.limit != 0 && trim.trim.is_none() {
        return Err(CommandError::err(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && trim.trim.is_none() {
        return Err(CommandError::err(
            "syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if obeyed {
        trim.limit = 0;
    } else if limit_given {
        if !trim.approx {
            return Err(CommandError::err(
                "syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if trim.approx {
        // At most 100 nodes' worth, so one trim cannot stall the server; clamped on both
        // sides in case `stream-node-max-entries` is 0 or huge.
        trim.limit = match node_max_entries.saturating_mul(100) {
            0 => 10_000,
            limit => limit.min(1_000_000),
        };
    } else {
        trim.limit = 0;
    }
    Ok((trim, add))
}

/// `stream-node-max-*`, as the stream commands apply them.
fn limits(ctx: &Ctx) -> Limits {
    ctx.server.config.stream_limits()
}

/// Trims `stream` as `options` say; returns how many entries went, and, for an approximate
/// trim, the threshold to journal in its place (Redis's `streamRewriteTrimArgument`): the
/// length left for MAXLEN, the first entry left (deleted or not) for MINID.
fn apply_trim(stream: &mut Stream, options: &TrimOptions) -> (u64, Option<String>) {
    let Some(trim) = options.trim else {
        return (0, None);
    };
    let deleted = stream.trim(trim, options.approx, options.limit);
    if !options.approx {
        return (deleted, None);
    }
    let threshold = match trim {
        Trim::MaxLen(_) => stream.len().to_string(),
        Trim::MinId(_) => {
            let first = stream
                .nodes()
                .next()
                .and_then(|node| node.raw_entries().next());
            first.map_or(StreamId::MAX, |entry| entry.id).to_string()
        }
    };
    (deleted, Some(threshold))
}

/// The ID XADD gives the new entry (Redis's `streamAppendItem`): the clock's for `*`, the
/// next sequence for `ms-*`, the one given otherwise, which must be above the stream's top.
fn next_id(stream: &Stream, id: Option<ParsedId>, now_ms: u64) -> Result<StreamId, CommandError> {
    let too_small = || {
        CommandError::err(
            "The ID specified in XADD is equal or smaller than the target stream top item",
        )
    };
    let last = stream.last_id();
    let id = match id {
        None => stream.auto_id(now_ms).ok_or_else(too_small)?,
        Some(ParsedId {
            id,
            seq_given: true,
        }) => id,
        Some(ParsedId { id, .. }) if id.ms == last.ms => {
            // Redis fails here without setting `errno` to EDOM, so the error it gives is
            // its other one.
            last.next()
                .filter(|next| next.ms == id.ms)
                .ok_or_else(|| CommandError::err("Elements are too large to be stored"))?
        }
        Some(ParsedId { id, .. }) => id,
    };
    if id <= last {
        return Err(too_small());
    }
    Ok(id)
}

/// The most bytes of fields and values one entry may have: a listpack's limit
/// (Redis's `STREAM_LISTPACK_MAX_SIZE`).
const ENTRY_MAX_BYTES: usize = 1 << 30;

/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...`:
/// appends an entry and replies its ID (null with NOMKSTREAM and no stream), then trims.
pub fn xadd(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let limits = limits(ctx);
    let node_max_entries = limits.node_max_entries as u64;
    let (trim, add) = parse_add_or_trim(args, true, ctx.must_obey(), node_max_entries)?;
    let fields_at = add.id_at + 1;
    let pairs = args.len().saturating_sub(fields_at);
    if pairs < 2 || pairs % 2 == 1 {
        return Err(CommandError::arity_of(args));
    }
    if add
        .id
        .is_some_and(|parsed| parsed.seq_given && parsed.id == StreamId::MIN)
    {
        return Err(CommandError::err(
            "The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = args.arg(1);
    // A new stream is counted and signalled by `Writer::set`, an existing one below.
    let created = stream_mut(w, key)?.is_none();
    if created {
        if add.nomkstream {
            ctx.reply.null();
            return Ok(());
        }
        w.set(key, Value::stream(Stream::new()), Ttl::Clear);
    }
    let stream = stream_mut(w, key)?.expect("the stream exists or was just created");
    if stream.last_id() == StreamId::MAX {
        return Err(CommandError::err(
            "The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let id = next_id(stream, add.id, ctx.now_ms.max(0) as u64)?;
    let fields: Vec<&[u8]> = (fields_at..args.len()).map(|i| args.arg(i)).collect();
    if fields.iter().map(|f| f.len()).sum::<usize>() > ENTRY_MAX_BYTES {
        return Err(CommandError::err("Elements are too large to be stored"));
    }
    stream.append(id, &fields, limits);
    let (trimmed, threshold) = apply_trim(stream, &trim);
    reply_id(&mut ctx.reply, id);
    if !created {
        w.modified(key);
    }
    w.notify(EventClass::STREAM, "xadd", key);
    if trimmed > 0 {
        w.notify(EventClass::STREAM, "xtrim", key);
    }
    let id_text = (add.id.is_none_or(|parsed| !parsed.seq_given)).then(|| id.to_string());
    journal_rewritten(
        w,
        args,
        &trim,
        threshold.as_deref(),
        id_text.as_deref().map(|t| (add.id_at, t)),
    );
    let db = w.selected();
    w.signal_ready(db, key);
    Ok(())
}

/// Journals `args` with Redis's rewrites, if there are any: an approximate trim's `~` as `=`
/// and its threshold as `threshold`, and the argument at `id.0` as `id.1` (XADD's ID).
fn journal_rewritten(
    w: &mut Writer,
    args: &Args,
    trim: &TrimOptions,
    threshold: Option<&str>,
    id: Option<(usize, &str)>,
) {
    if threshold.is_none() && id.is_none() {
        return;
    }
    let mut journaled: Vec<&[u8]> = args.iter().collect();
    if let Some(threshold) = threshold {
        journaled[trim.threshold_at - 1] = b"=";
        journaled[trim.threshold_at] = threshold.as_bytes();
    }
    if let Some((at, id)) = id {
        journaled[at] = id.as_bytes();
    }
    w.propagate(&journaled);
}

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`: how many entries went.
pub fn xtrim(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let node_max_entries = limits(ctx).node_max_entries as u64;
    let (trim, _) = parse_add_or_trim(args, false, ctx.must_obey(), node_max_entries)?;
    let key = args.arg(1);
    let Some(stream) = stream_mut(w, key)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let (deleted, threshold) = apply_trim(stream, &trim);
    if deleted > 0 {
        w.notify(EventClass::STREAM, "xtrim", key);
        journal_rewritten(w, args, &trim, threshold.as_deref(), None);
        w.modified(key);
        w.changed(deleted - 1);
    }
    ctx.reply.integer(deleted as i64);
    Ok(())
}

// --------------------------------------------------------------------- XRANGE, XLEN, XDEL

/// One end of an XRANGE interval (Redis's `streamParseIntervalIDOrReply`): `(id` excludes
/// `id` (and may not be `-` or `+`), anything else is [`parse_id`]'s.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CommandError> {
    match arg {
        [b'(', rest @ ..] if !rest.is_empty() => StreamId::parse(rest, missing_seq, true, false)
            .map(|parsed| (parsed.id, true))
            .ok_or(CommandError::err(INVALID_ID)),
        _ => Ok((parse_id(arg, missing_seq)?, false)),
    }
}

/// The inclusive bounds an XRANGE interval stands for, exclusive ends stepped inwards.
pub fn parse_bounds(start: &[u8], end: &[u8]) -> Result<(StreamId, StreamId), CommandError> {
    let (start, excluded) = parse_interval(start, 0)?;
    let start = match excluded {
        true => start
            .next()
            .ok_or(CommandError::err("invalid start ID for the interval"))?,
        false => start,
    };
    let (end, excluded) = parse_interval(end, u64::MAX)?;
    let end = match excluded {
        true => end
            .prev()
            .ok_or(CommandError::err("invalid end ID for the interval"))?,
        false => end,
    };
    Ok((start, end))
}

/// XRANGE's `[COUNT n]` options from argument 4 (the last one wins): `None` without one, a
/// negative count read as 0.
fn parse_range_count(args: &Args) -> Result<Option<u64>, CommandError> {
    let mut count = None;
    let mut i = 4;
    while i < args.len() {
        if is_option(args.arg(i), "count") && i + 1 < args.len() {
            count = Some(parse_int(args.arg(i + 1))?.max(0) as u64);
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(count)
}

/// XRANGE and XREVRANGE (Redis's `xrangeGenericCommand`): `rev` takes the end first.
fn range_command(ctx: &mut Ctx, args: &Args, dbs: &Databases, rev: bool) -> CommandResult {
    let (start, end) = match rev {
        false => parse_bounds(args.arg(2), args.arg(3))?,
        true => parse_bounds(args.arg(3), args.arg(2))?,
    };
    let count = parse_range_count(args)?;
    let Some(stream) = read_stream(ctx, ctx.db(dbs), args.arg(1))? else {
        ctx.reply.array(0);
        return Ok(());
    };
    match count {
        // Redis's answer to COUNT 0 (or less), even on an empty range.
        Some(0) => ctx.reply.null_array(),
        _ if start > end => ctx.reply.array(0),
        _ if rev => reply_entries(
            &mut ctx.reply,
            stream.range_rev(start, end),
            count.unwrap_or(0),
        ),
        _ => reply_entries(&mut ctx.reply, stream.range(start, end), count.unwrap_or(0)),
    }
    Ok(())
}

/// `XRANGE key start end [COUNT n]`.
pub fn xrange(ctx: &mut Ctx, args: &Args, dbs: &Databases) -> CommandResult {
    range_command(ctx, args, dbs, false)
}

/// `XREVRANGE key end start [COUNT n]`: newest first.
pub fn xrevrange(ctx: &mut Ctx, args: &Args, dbs: &Databases) -> CommandResult {
    range_command(ctx, args, dbs, true)
}

/// `XLEN key`: live entries, 0 for a missing key.
pub fn xlen(ctx: &mut Ctx, args: &Args, dbs: &Databases) -> CommandResult {
    let len = read_stream(ctx, ctx.db(dbs), args.arg(1))?.map_or(0, Stream::len);
    ctx.reply.integer(len as i64);
    Ok(())
}

/// `XDEL key id [id ...]`: how many of the entries existed and went. Every ID is checked
/// before any goes, so a bad one changes nothing.
pub fn xdel(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    // Redis looks the key up before it reads the IDs.
    if stream_mut(w, key)?.is_none() {
        ctx.reply.integer(0);
        return Ok(());
    }
    let ids = (2..args.len())
        .map(|i| parse_strict_id(args.arg(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let stream = stream_mut(w, key)?.expect("found just above");
    let deleted = ids.into_iter().filter(|&id| stream.delete(id)).count();
    if deleted > 0 {
        w.modified(key);
        w.notify(EventClass::STREAM, "xdel", key);
        w.changed(deleted as u64 - 1);
    }
    ctx.reply.integer(deleted as i64);
    Ok(())
}

/// `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]`: sets what the stream remembers
/// (how replicas and AOF rewrites restore it).
pub fn xsetid(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let id = parse_strict_id(args.arg(2))?;
    let mut entries_added = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if is_option(args.arg(i), "entriesadded") && more {
            let n = parse_int(args.arg(i + 1))?;
            if n < 0 {
                return Err(CommandError::err("entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if is_option(args.arg(i), "maxdeletedid") && more {
            max_deleted = parse_strict_id(args.arg(i + 1))?;
            if id < max_deleted {
                return Err(CommandError::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    let key = args.arg(1);
    let stream = stream_mut(w, key)?.ok_or(CommandError::NoSuchKey)?;
    if let Some(top) = last_valid_id(stream) {
        if id < top {
            return Err(CommandError::err(
                "The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| n < stream.len()) {
            return Err(CommandError::err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.set_last_id(id);
    if let Some(n) = entries_added {
        stream.set_entries_added(n);
    }
    if max_deleted != StreamId::MIN {
        stream.set_max_deleted_id(max_deleted);
    }
    ctx.reply.ok();
    // Redis 7.0 counts the change and notifies, but does not signal the key modified: a
    // WATCH survives an XSETID.
    w.changed(1);
    w.notify(EventClass::STREAM, "xsetid", key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Request;

    fn message(error: CommandError) -> String {
        String::from_utf8(error.message()).unwrap()
    }

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn interval_bounds_step_inwards_when_exclusive() {
        assert_eq!(
            parse_bounds(b"-", b"+").unwrap(),
            (StreamId::MIN, StreamId::MAX)
        );
        assert_eq!(
            parse_bounds(b"5", b"5").unwrap(),
            (id(5, 0), id(5, u64::MAX))
        );
        // `(6` as an end is `6-18446744073709551615` excluded, as in Redis: the missing
        // sequence is filled in before the step.
        assert_eq!(
            parse_bounds(b"(5-1", b"(6").unwrap(),
            (id(5, 2), id(6, u64::MAX - 1))
        );
        assert_eq!(
            parse_bounds(b"(5-18446744073709551615", b"+").unwrap().0,
            id(6, 0)
        );
        let invalid = format!("ERR {INVALID_ID}");
        for bad in [&b"("[..], b"(-", b"(+", b"5-", b"-5", b"x"] {
            assert_eq!(message(parse_bounds(bad, b"+").unwrap_err()), invalid);
        }
        assert_eq!(
            message(parse_bounds(b"(18446744073709551615-18446744073709551615", b"+").unwrap_err()),
            "ERR invalid start ID for the interval"
        );
        assert_eq!(
            message(parse_bounds(b"-", b"(0-0").unwrap_err()),
            "ERR invalid end ID for the interval"
        );
    }

    fn add_or_trim(
        args: &[&str],
        xadd: bool,
        obeyed: bool,
    ) -> Result<(TrimOptions, AddOptions), String> {
        parse_add_or_trim(&Request::from_args(args), xadd, obeyed, 100).map_err(message)
    }

    #[test]
    fn trim_options_default_the_limit_of_approximate_trims_only() {
        let (trim, add) = add_or_trim(
            &["XADD", "s", "MAXLEN", "~", "10", "*", "f", "v"],
            true,
            false,
        )
        .unwrap();
        assert_eq!(trim.trim, Some(Trim::MaxLen(10)));
        assert!(trim.approx);
        assert_eq!((trim.limit, trim.threshold_at), (10_000, 4));
        assert_eq!((add.id_at, add.id), (5, None));
        let (trim, add) = add_or_trim(
            &["XADD", "s", "NOMKSTREAM", "MINID", "5-1", "7-*", "f", "v"],
            true,
            false,
        )
        .unwrap();
        assert_eq!(
            (trim.trim, trim.approx, trim.limit),
            (Some(Trim::MinId(id(5, 1))), false, 0)
        );
        assert!(add.nomkstream);
        assert_eq!(
            add.id,
            Some(ParsedId {
                id: id(7, 0),
                seq_given: false
            })
        );
        let (trim, _) = add_or_trim(
            &["XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "7"],
            false,
            false,
        )
        .unwrap();
        assert_eq!(trim.limit, 7);
    }

    #[test]
    fn a_replay_may_limit_an_exact_trim_and_is_never_limited() {
        let rewritten = [
            "XADD", "s", "MAXLEN", "=", "3", "LIMIT", "5", "9-1", "f", "v",
        ];
        assert_eq!(
            add_or_trim(&rewritten, true, false).unwrap_err(),
            "ERR syntax error, LIMIT cannot be used without the special ~ option"
        );
        let (trim, _) = add_or_trim(&rewritten, true, true).unwrap();
        assert_eq!((trim.trim, trim.limit), (Some(Trim::MaxLen(3)), 0));
        let (trim, _) = add_or_trim(&["XTRIM", "s", "MAXLEN", "~", "3"], false, true).unwrap();
        assert_eq!(trim.limit, 0);
    }

    #[test]
    fn next_id_follows_redis_stream_append_item() {
        let mut stream = Stream::new();
        assert_eq!(next_id(&stream, None, 1000).unwrap(), id(1000, 0));
        let auto_seq = |ms| {
            Some(ParsedId {
                id: id(ms, 0),
                seq_given: false,
            })
        };
        assert_eq!(next_id(&stream, auto_seq(0), 5).unwrap(), id(0, 1));
        stream.append(id(7, 3), &[b"f", b"v"], Limits::default());
        assert_eq!(
            next_id(&stream, None, 5).unwrap(),
            id(7, 4),
            "the clock is behind"
        );
        assert_eq!(next_id(&stream, auto_seq(7), 5).unwrap(), id(7, 4));
        assert_eq!(next_id(&stream, auto_seq(8), 5).unwrap(), id(8, 0));
        assert!(next_id(&stream, auto_seq(6), 5).is_err());
        let given = Some(ParsedId {
            id: id(7, 3),
            seq_given: true,
        });
        assert!(message(next_id(&stream, given, 5).unwrap_err()).contains("equal or smaller"));
    }
}
