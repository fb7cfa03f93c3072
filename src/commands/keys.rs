//! Commands on keys whatever their type (Redis's db.c): DEL, EXISTS, TYPE (the streams extension
//! starts with it), KEYS (the RDB stages list keys with it), SCAN, RANDOMKEY, RENAME, COPY, MOVE,
//! TOUCH and OBJECT.

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, reply_help};
use crate::glob;
use crate::keyspace::{Databases, EventClass, Writer};
use crate::memory::eviction::{Order, Policy};
use crate::memory::lfu;

/// `DEL key [key ...]` and `UNLINK key [key ...]`: how many keys were removed. (UNLINK frees in
/// the background in Redis; here memory is freed when the value is dropped, which for strings is
/// immediate and cheap.)
pub fn del(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let mut removed = 0;
    for key in args.iter().skip(1) {
        if w.remove(key).is_some() {
            w.notify(EventClass::GENERIC, "del", key);
            removed += 1;
        }
    }
    ctx.reply.integer(removed as i64);
    Ok(())
}

/// `EXISTS key [key ...]`: how many of the keys exist; a key named twice counts twice.
pub fn exists(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let db = ctx.db(databases);
    let count = args
        .iter()
        .skip(1)
        .filter(|key| ctx.inspect_key(db, key).is_some())
        .count();
    ctx.reply.integer(count as i64);
    Ok(())
}

/// `TYPE key`: `+string`, ..., or `+none`.
pub fn type_(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let name = ctx
        .inspect_key(ctx.db(databases), args.arg(1))
        .map_or("none", |entry| entry.value().type_name());
    ctx.reply.simple(name);
    Ok(())
}

/// `KEYS pattern`: every live key matching a glob pattern.
pub fn keys(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let pattern = args.arg(1);
    let every_key = pattern == b"*";
    let matching: Vec<&[u8]> = ctx
        .db(databases)
        .live_entries(ctx.now_ms)
        .map(|(key, _)| key.as_slice())
        .filter(|key| every_key || glob::matches(pattern, key, false))
        .collect();
    ctx.reply.array(matching.len());
    for key in matching {
        ctx.reply.bulk(key);
    }
    Ok(())
}

/// A SCAN cursor as Redis's `parseScanCursorOrReply` reads it (C's `strtoul`).
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CommandError> {
    let invalid = || CommandError::err("invalid cursor");
    // strtoul reads nothing from an empty string and leaves nothing over: Redis takes it as 0.
    if arg.is_empty() {
        return Ok(0);
    }
    let text = std::str::from_utf8(arg).map_err(|_| invalid())?;
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let value: u64 = digits.parse().map_err(|_| invalid())?;
    // strtoul negates in unsigned arithmetic: "-1" is the largest cursor.
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// The options of `SCAN`, `HSCAN` and `SSCAN` (Redis's `scanGenericCommand`).
pub struct ScanOptions<'a> {
    /// `MATCH pattern`; `None` also for `*`, which matches everything.
    pub pattern: Option<&'a [u8]>,
    /// `COUNT count`: about how many elements one call visits (10 by default).
    pub count: usize,
    /// `TYPE type`: SCAN only.
    pub type_name: Option<&'a [u8]>,
}

impl ScanOptions<'_> {
    /// Whether `name` passes the `MATCH` pattern.
    pub fn matches(&self, name: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, name, false))
    }
}

/// Parses the options from argument `from` on; `TYPE` is accepted only by `SCAN` itself
/// (`with_type`), as in Redis.
pub fn parse_scan_options(
    args: &Args,
    from: usize,
    with_type: bool,
) -> Result<ScanOptions<'_>, CommandError> {
    let mut options = ScanOptions {
        pattern: None,
        count: 10,
        type_name: None,
    };
    let mut i = from;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(CommandError::Syntax);
        }
        let (option, value) = (args.arg(i), args.arg(i + 1));
        if is_option(option, "count") {
            let n = parse_int(value)?;
            if n < 1 {
                return Err(CommandError::Syntax);
            }
            options.count = n as usize;
        } else if is_option(option, "match") {
            options.pattern = Some(value).filter(|p| *p != b"*");
        } else if is_option(option, "type") && with_type {
            options.type_name = Some(value);
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    Ok(options)
}

/// Writes a SCAN-family reply: `[next cursor, [items...]]`.
pub fn reply_scan(ctx: &mut Ctx, next: u64, items: &[&[u8]]) {
    ctx.reply.array(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array(items.len());
    for item in items {
        ctx.reply.bulk(item);
    }
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`: a batch of keys and the cursor for
/// the next call (0 when the iteration is complete). Every key that exists for the whole
/// iteration is returned at least once; see `Db::scan` for why.
pub fn scan(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let cursor = parse_cursor(args.arg(1))?;
    let options = parse_scan_options(args, 2, true)?;
    let mut found = Vec::new();
    let next = ctx
        .db(databases)
        .scan(cursor, options.count, ctx.now_ms, |key, entry| {
            let wanted = options.matches(key)
                && options
                    .type_name
                    .is_none_or(|t| t.eq_ignore_ascii_case(entry.value().type_name().as_bytes()));
            if wanted {
                found.push(key.as_slice());
            }
        });
    reply_scan(ctx, next, &found);
    Ok(())
}

/// `RANDOMKEY`: a random live key, or null.
pub fn randomkey(ctx: &mut Ctx, _: &Args, databases: &Databases) -> CommandResult {
    let db = ctx.db(databases);
    match db.random_key(ctx.now_ms, &mut ctx.session.rng) {
        Some(key) => ctx.reply.bulk(key),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `RENAME key newkey`: moves the value and its TTL, replacing whatever `newkey` held.
pub fn rename(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    rename_key(args, w, false)?;
    ctx.reply.ok();
    Ok(())
}

/// `RENAMENX key newkey`: `:1` if renamed, `:0` if `newkey` exists.
pub fn renamenx(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let renamed = rename_key(args, w, true)?;
    ctx.reply.integer(renamed as i64);
    Ok(())
}

/// Redis's `renameGenericCommand`. Returns whether the key was renamed (false only with `nx`).
fn rename_key(args: &Args, w: &mut Writer, nx: bool) -> Result<bool, CommandError> {
    let (from, to) = (args.arg(1), args.arg(2));
    if !w.exists(from) {
        return Err(CommandError::NoSuchKey);
    }
    if from == to {
        return Ok(!nx);
    }
    if nx && w.exists(to) {
        return Ok(false);
    }
    let db = w.selected();
    let (entry, expires) = w
        .remove_in(db, from)
        .expect("checked above that the key exists");
    w.put_in(db, to, entry, expires);
    w.notify(EventClass::GENERIC, "rename_from", from);
    w.notify(EventClass::GENERIC, "rename_to", to);
    Ok(true)
}

/// `COPY source destination [DB destination-db] [REPLACE]`: `:1` if copied.
pub fn copy(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (source, destination) = (args.arg(1), args.arg(2));
    let (mut target_db, mut replace) = (w.selected(), false);
    let mut i = 3;
    while i < args.len() {
        if is_option(args.arg(i), "replace") {
            replace = true;
        } else if is_option(args.arg(i), "db") && i + 1 < args.len() {
            target_db = ctx.db_index(args.arg(i + 1))?;
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if target_db == w.selected() && source == destination {
        return Err(CommandError::err(
            "source and destination objects are the same",
        ));
    }
    let now_ms = w.now_ms();
    let Some(entry) = w.get(source) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let copy = entry.duplicate(now_ms);
    let expires = w.expires_at(source);
    if w.get_in(target_db, destination).is_some() {
        if !replace {
            ctx.reply.integer(0);
            return Ok(());
        }
        w.remove_in(target_db, destination);
    }
    w.put_in(target_db, destination, copy, expires);
    w.notify_in(target_db, EventClass::GENERIC, "copy_to", destination);
    ctx.reply.integer(1);
    Ok(())
}

/// `MOVE key db`: `:1` if moved, `:0` if the key is missing here or exists there.
pub fn move_(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let target = ctx.db_index(args.arg(2))?;
    let source = w.selected();
    if target == source {
        return Err(CommandError::err(
            "source and destination objects are the same",
        ));
    }
    if !w.exists(key) || w.get_in(target, key).is_some() {
        ctx.reply.integer(0);
        return Ok(());
    }
    let (entry, expires) = w
        .remove_in(source, key)
        .expect("checked above that the key exists");
    w.put_in(target, key, entry, expires);
    w.notify_in(source, EventClass::GENERIC, "move_from", key);
    w.notify_in(target, EventClass::GENERIC, "move_to", key);
    ctx.reply.integer(1);
    Ok(())
}

/// `TOUCH key [key ...]`: updates the access time of the keys that exist and counts them. It
/// touches even in `CLIENT NO-TOUCH` mode: touching is its whole point (Redis 7.2).
pub fn touch(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let db = ctx.db(databases);
    let mut count = 0;
    for key in args.iter().skip(1) {
        if let Some(entry) = ctx.inspect_key(db, key) {
            entry.touch(ctx.now_ms);
            count += 1;
        }
    }
    ctx.reply.integer(count);
    Ok(())
}

/// Runs `answer` on the key named by `OBJECT <subcommand> key`, or replies null if it is missing.
fn object_lookup(
    ctx: &mut Ctx,
    args: &Args,
    databases: &Databases,
    answer: impl FnOnce(&mut Ctx, &crate::keyspace::Entry) -> CommandResult,
) -> CommandResult {
    match ctx.inspect_key_quietly(ctx.db(databases), args.arg(2)) {
        Some(entry) => answer(ctx, entry),
        None => {
            ctx.reply.null();
            Ok(())
        }
    }
}

/// `OBJECT ENCODING key`: `int`, `embstr` or `raw` for strings, as Redis would store them.
pub fn object_encoding(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    object_lookup(ctx, args, databases, |ctx, entry| {
        ctx.reply.bulk(entry.value().encoding().as_bytes());
        Ok(())
    })
}

/// `OBJECT REFCOUNT key`: what Redis would count (see `Value::refcount`); thredis itself never
/// shares values between keys. Redis stops sharing integers when `maxmemory` is set under an LRU
/// or LFU policy (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`): each key needs its own access clock.
pub fn object_refcount(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let config = &ctx.server.config;
    let own_clocks = crate::config::Config::get(&config.maxmemory) != 0
        && Policy::configured(config).is_some_and(|policy| {
            matches!(
                policy.order,
                Order::LeastRecentlyUsed | Order::LeastFrequentlyUsed
            )
        });
    object_lookup(ctx, args, databases, |ctx, entry| {
        let refcount = if own_clocks {
            1
        } else {
            entry.value().refcount()
        };
        ctx.reply.integer(refcount);
        Ok(())
    })
}

/// `OBJECT IDLETIME key`: seconds since the key was last read or written, which an LFU policy
/// does not track (the clock counts frequency then, see `memory::lfu`).
pub fn object_idletime(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    object_lookup(ctx, args, databases, |ctx, entry| {
        if lfu::is_selected() {
            return Err(CommandError::err(
                "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        ctx.reply.integer(i64::from(entry.idle_seconds(ctx.now_ms)));
        Ok(())
    })
}

/// `OBJECT FREQ key`: the logarithmic access counter, decayed to now, tracked only under an
/// LFU policy.
pub fn object_freq(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    object_lookup(ctx, args, databases, |ctx, entry| {
        if !lfu::is_selected() {
            return Err(CommandError::err(
                "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        ctx.reply.integer(i64::from(entry.frequency(ctx.now_ms)));
        Ok(())
    })
}

pub fn object_help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}
