//! XREAD (Redis's `xreadCommand`): the options it shares with XREADGROUP, the read itself, and
//! the blocking of a read that finds nothing.
//!
//! XREAD parses through [`ReadOptions::parse`], which knows XREADGROUP's options too, and
//! replies each stream through [`reply_stream_header`] and [`reply_entries`]. A read that
//! finds nothing and may block registers a [`Blocked`] task through [`block_on_streams`]:
//! [`BlockedRead`] for XREAD, which each XADD to one of its keys offers the key to (the XADD
//! signals it ready), in the order clients blocked.

use std::ops::Range;
use std::time::Duration;

use super::{
    insert_streams_header, last_valid_id, parse_strict_id, reply_entries, reply_stream_header,
    reply_streams,
};
use crate::blocking::{self, Blocked, Timeout};
use crate::commands::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::keyspace::stream::StreamId;
use crate::keyspace::{Bytes, Stream, Writer};
use crate::protocol::Reply;

/// How many entries a blocked read takes at most when it gave no COUNT (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`): an old ID must not make one wake-up reply a whole stream.
pub const BLOCKED_DEFAULT_COUNT: u64 = 1000;

/// The options of XREAD and XREADGROUP, up to `STREAMS` (Redis's `xreadCommand` parses both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// At most this many entries per stream; 0 for no limit.
    pub count: u64,
    /// `BLOCK ms`: `None` without it, else how long to wait (`Some(None)`: forever).
    pub block: Option<Timeout>,
    /// `GROUP group consumer`: the position of the group name; the consumer's is the next.
    pub group: Option<usize>,
    pub noack: bool,
    /// The positions of the keys; the ID of the key at `keys.start + i` is at
    /// `keys.end + i`.
    pub keys: Range<usize>,
}

impl ReadOptions {
    /// Parses from argument 1 as Redis does, errors in its order; `xreadgroup` allows GROUP
    /// and NOACK (and requires GROUP).
    pub fn parse(args: &Args, xreadgroup: bool) -> Result<ReadOptions, CommandError> {
        let mut options = ReadOptions {
            count: 0,
            block: None,
            group: None,
            noack: false,
            keys: 0..0,
        };
        let mut i = 1;
        while i < args.len() {
            let more = args.len() - 1 - i;
            let opt = args.arg(i);
            if is_option(opt, "block") && more > 0 {
                // There is no sense in BLOCK within a script (Redis's special case for Lua).
                if crate::scripting::run::running_here() {
                    return Err(CommandError::err(format!(
                        "{} command is not allowed with BLOCK option from scripts",
                        String::from_utf8_lossy(args.arg(0))
                    )));
                }
                i += 1;
                options.block = Some(parse_block_timeout(args.arg(i))?);
            } else if is_option(opt, "count") && more > 0 {
                i += 1;
                options.count = parse_int(args.arg(i))?.max(0) as u64;
            } else if is_option(opt, "streams") && more > 0 {
                let first = i + 1;
                let listed = args.len() - first;
                if listed % 2 != 0 {
                    return Err(CommandError::err(
                        "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                    ));
                }
                options.keys = first..first + listed / 2;
                break;
            } else if is_option(opt, "group") && more >= 2 {
                if !xreadgroup {
                    return Err(CommandError::err(
                        "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                    ));
                }
                options.group = Some(i + 1);
                i += 2;
            } else if is_option(opt, "noack") {
                if !xreadgroup {
                    return Err(CommandError::err(
                        "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                    ));
                }
                options.noack = true;
            } else {
                return Err(CommandError::Syntax);
            }
            i += 1;
        }
        if options.keys.is_empty() {
            return Err(CommandError::Syntax);
        }
        if xreadgroup && options.group.is_none() {
            return Err(CommandError::err("Missing GROUP option for XREADGROUP"));
        }
        Ok(options)
    }

    /// The position of the ID given for the key at `key_at`.
    pub fn id_at(&self, key_at: usize) -> usize {
        key_at + self.keys.len()
    }

    /// The count a blocked read serves with (see [`BLOCKED_DEFAULT_COUNT`]).
    pub fn blocked_count(&self) -> u64 {
        match self.count {
            0 => BLOCKED_DEFAULT_COUNT,
            count => count,
        }
    }
}

/// `BLOCK`'s argument, in milliseconds (Redis's `getTimeoutFromObjectOrReply` with
/// `UNIT_MILLISECONDS`): an integer, not negative; 0 waits forever.
pub fn parse_block_timeout(arg: &[u8]) -> Result<Timeout, CommandError> {
    let ms = number_or(arg, "timeout is not an integer or out of range")?;
    if ms < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

/// An integer argument, with `message` as the error for anything else.
fn number_or(arg: &[u8], message: &'static str) -> Result<i64, CommandError> {
    parse_int(arg).map_err(|_| CommandError::err(message))
}

/// The stream under `key` as a read on the write path sees it (XREAD runs there to be able
/// to block): an expired key is gone, and the lookup counts as a keyspace hit or miss (a miss
/// is a `keymiss` event), as Redis's `lookupKeyRead`.
pub fn lookup_for_read<'w>(
    ctx: &Ctx,
    w: &'w mut Writer,
    key: &[u8],
) -> Result<Option<&'w Stream>, CommandError> {
    match ctx.read_key_on_write_path(w, key) {
        Some(entry) => Ok(Some(entry.value().as_stream()?)),
        None => Ok(None),
    }
}

/// Blocks the client on the streams at `keys` until `task` is served, or replies the null
/// array at once when the client may not block (inside MULTI), as Redis treats a read that
/// may not block as one that timed out.
pub fn block_on_streams(
    ctx: &mut Ctx,
    args: &Args,
    keys: Vec<Bytes>,
    timeout: Timeout,
    task: Box<dyn Blocked>,
) -> CommandResult {
    if !ctx.may_block {
        ctx.reply.null_array();
        return Ok(());
    }
    blocking::block(ctx, args, keys, timeout, task)
}

/// `XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...]`: the entries after each
/// ID, for the streams that have some; the null array if none has, after waiting up to
/// `BLOCK` ms for one to get some. `$` is the stream's last ID at the time of the call.
pub fn xread(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let options = ReadOptions::parse(args, false)?;
    // Each key's type is checked before its own ID is read, as Redis does.
    let mut after = Vec::with_capacity(options.keys.len());
    for key_at in options.keys.clone() {
        let stream = lookup_for_read(ctx, w, args.arg(key_at))?;
        let id = match args.arg(options.id_at(key_at)) {
            b"$" => stream.map_or(StreamId::MIN, Stream::last_id),
            b">" => {
                return Err(CommandError::err(
                    "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            arg => parse_strict_id(arg)?,
        };
        after.push(id);
    }
    let mark = ctx.reply.mark();
    let mut served = 0;
    for (key_at, &id) in options.keys.clone().zip(&after) {
        let key = args.arg(key_at);
        let Some(stream) = lookup_for_read(ctx, w, key)? else {
            continue;
        };
        // Served at once only if there is an entry to give (Redis's `streamLastValidID`).
        if last_valid_id(stream).is_none_or(|top| top <= id) {
            continue;
        }
        served += 1;
        reply_stream_header(&mut ctx.reply, key);
        reply_entries_after(&mut ctx.reply, stream, id, options.count);
    }
    if served > 0 {
        insert_streams_header(&mut ctx.reply, mark, served);
        return Ok(());
    }
    let Some(timeout) = options.block else {
        ctx.reply.null_array();
        return Ok(());
    };
    let keys: Vec<Bytes> = options
        .keys
        .clone()
        .map(|i| Bytes::new(args.arg(i)))
        .collect();
    let task = BlockedRead {
        after: keys.iter().cloned().zip(after).collect(),
        count: options.blocked_count(),
    };
    block_on_streams(ctx, args, keys, timeout, Box::new(task))
}

/// Writes the entries of `stream` after `id` (at most `count`, 0 for all).
fn reply_entries_after(reply: &mut Reply, stream: &Stream, id: StreamId, count: u64) {
    match id.next() {
        Some(start) => reply_entries(reply, stream.range(start, StreamId::MAX), count),
        None => reply.array(0),
    }
}

/// A client blocked in `XREAD ... BLOCK`: waits for one of its streams to get an entry after
/// the ID it gave for it (`$` resolved when it blocked). Served as Redis's
/// `serveClientsBlockedOnStreamKey` serves it: once the stream's last ID passes its ID, with
/// the entries after it, as a reply of that one stream. On timeout, the null array.
pub struct BlockedRead {
    /// Each key and the ID to read after.
    after: Vec<(Bytes, StreamId)>,
    count: u64,
}

impl Blocked for BlockedRead {
    fn serve(&mut self, key: &[u8], w: &mut Writer, reply: &mut Reply) -> bool {
        let Some(&(_, id)) = self.after.iter().find(|(k, _)| &k[..] == key) else {
            return false;
        };
        // A key now holding another type (a list pushed there) cannot serve a stream read.
        let Some(stream) = w.get(key).and_then(|e| e.value().as_stream().ok()) else {
            return false;
        };
        if stream.last_id() <= id {
            return false;
        }
        reply_streams(reply, 1);
        reply_stream_header(reply, key);
        reply_entries_after(reply, stream, id, self.count);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Request;

    fn message(error: CommandError) -> String {
        String::from_utf8(error.message()).unwrap()
    }

    #[test]
    fn block_timeouts_are_integer_milliseconds() {
        assert_eq!(parse_block_timeout(b"0").unwrap(), None);
        assert_eq!(
            parse_block_timeout(b"1500").unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            message(parse_block_timeout(b"1.5").unwrap_err()),
            "ERR timeout is not an integer or out of range"
        );
        assert_eq!(
            message(parse_block_timeout(b"-1").unwrap_err()),
            "ERR timeout is negative"
        );
    }

    #[test]
    fn read_options_find_the_keys_and_ids_after_streams() {
        let args = Request::from_args(&[
            "XREAD", "COUNT", "5", "BLOCK", "10", "STREAMS", "a", "b", "0", "$",
        ]);
        let options = ReadOptions::parse(&args, false).unwrap();
        assert_eq!(options.keys, 6..8);
        assert_eq!((options.id_at(6), options.id_at(7)), (8, 9));
        assert_eq!(options.count, 5);
        assert_eq!(options.block, Some(Some(Duration::from_millis(10))));
        assert_eq!(options.blocked_count(), 5);
        let args = Request::from_args(&["XREAD", "COUNT", "-3", "STREAMS", "a", "0"]);
        let options = ReadOptions::parse(&args, false).unwrap();
        assert_eq!((options.count, options.block), (0, None));
        assert_eq!(options.blocked_count(), BLOCKED_DEFAULT_COUNT);
        let args = Request::from_args(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "NOACK",
            "STREAMS",
            "a",
            ">",
        ]);
        let options = ReadOptions::parse(&args, true).unwrap();
        assert_eq!(
            (options.group, options.noack, options.keys),
            (Some(2), true, 6..7)
        );
        let args = Request::from_args(&["XREADGROUP", "STREAMS", "a", ">"]);
        assert_eq!(
            message(ReadOptions::parse(&args, true).unwrap_err()),
            "ERR Missing GROUP option for XREADGROUP"
        );
        let args = Request::from_args(&["XREAD", "COUNT", "1", "a", "0"]);
        assert_eq!(
            message(ReadOptions::parse(&args, false).unwrap_err()),
            "ERR syntax error"
        );
    }
}
