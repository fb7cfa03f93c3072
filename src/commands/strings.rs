//! String commands (Redis's t_string.c): SET and GET (stage 6), SET's expiry options (stage 7),
//! INCR (the transactions extension starts with it) and the rest of the family.

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::keyspace::{Databases, EventClass, Str, Ttl, Value, Writer};
use crate::number::{self, IntBuf, LongDouble};

/// `string exceeds maximum allowed size (proto-max-bulk-len)`, unless `len` fits (or the AOF is
/// replayed: [`Ctx::max_string_len`]).
fn check_length(ctx: &Ctx, len: u64) -> CommandResult {
    if len > ctx.max_string_len() {
        return Err(CommandError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

/// `GET key`: the value, or null. (Stage 6.)
pub fn get(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    match ctx.read_key(ctx.db(databases), args.arg(1)) {
        Some(entry) => ctx.reply.bulk(entry.value().as_string()?.as_bytes()),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// When a new value should expire, from an option and its argument (`EX 10`, `PXAT ...`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Seconds,
    Milliseconds,
    UnixSeconds,
    UnixMilliseconds,
}

impl Expiry {
    fn from_option(option: &[u8]) -> Option<Expiry> {
        [
            ("ex", Expiry::Seconds),
            ("px", Expiry::Milliseconds),
            ("exat", Expiry::UnixSeconds),
            ("pxat", Expiry::UnixMilliseconds),
        ]
        .into_iter()
        .find(|(name, _)| is_option(option, name))
        .map(|(_, expiry)| expiry)
    }

    /// The absolute expiry time in Unix milliseconds. Non-positive values and overflow are
    /// `invalid expire time in '<command>' command`, as Redis's `getExpireMillisecondsOrReply`.
    fn deadline(self, arg: &[u8], now_ms: i64, command: &'static str) -> Result<i64, CommandError> {
        let value = parse_int(arg)?;
        let invalid = CommandError::InvalidExpireTime(command);
        if value <= 0 {
            return Err(invalid);
        }
        let ms = match self {
            Expiry::Seconds | Expiry::UnixSeconds => {
                value.checked_mul(1000).ok_or(invalid.clone())?
            }
            Expiry::Milliseconds | Expiry::UnixMilliseconds => value,
        };
        match self {
            Expiry::Seconds | Expiry::Milliseconds => ms.checked_add(now_ms).ok_or(invalid),
            Expiry::UnixSeconds | Expiry::UnixMilliseconds => Ok(ms),
        }
    }
}

/// The options of `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT time|KEEPTTL]`.
struct SetOptions<'a> {
    only_if_missing: bool,
    only_if_present: bool,
    get: bool,
    keep_ttl: bool,
    expiry: Option<(Expiry, &'a [u8])>,
}

/// Parses SET's options as Redis's `parseExtendedStringArgumentsOrReply` does: any order, each
/// at most once in a compatible combination, anything else a syntax error.
fn parse_set_options(args: &Args) -> Result<SetOptions<'_>, CommandError> {
    let mut options = SetOptions {
        only_if_missing: false,
        only_if_present: false,
        get: false,
        keep_ttl: false,
        expiry: None,
    };
    let mut i = 3;
    while i < args.len() {
        let option = args.arg(i);
        let has_next = i + 1 < args.len();
        if is_option(option, "nx") && !options.only_if_present {
            options.only_if_missing = true;
        } else if is_option(option, "xx") && !options.only_if_missing {
            options.only_if_present = true;
        } else if is_option(option, "get") {
            options.get = true;
        } else if is_option(option, "keepttl") && options.expiry.is_none() {
            options.keep_ttl = true;
        } else if let Some(expiry) =
            Expiry::from_option(option).filter(|_| has_next && !options.keep_ttl)
        {
            if options
                .expiry
                .is_some_and(|(previous, _)| previous != expiry)
            {
                return Err(CommandError::Syntax);
            }
            options.expiry = Some((expiry, args.arg(i + 1)));
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    Ok(options)
}

/// What SET does to its key, for key permissions (Redis's `setGetKeys`): with a `GET` among
/// its options it reads the old value too; without, it only overwrites.
pub fn set_key_flags(args: &Args) -> &'static [&'static str] {
    if args
        .iter()
        .skip(3)
        .any(|arg| arg.eq_ignore_ascii_case(b"get"))
    {
        &["RW", "access", "update"]
    } else {
        &["OW", "update"]
    }
}

/// `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT time|KEEPTTL]` (stages 6 and 7).
pub fn set(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let options = parse_set_options(args)?;
    let (key, value) = (args.arg(1), args.arg(2));
    let deadline = match options.expiry {
        Some((expiry, arg)) => Some(expiry.deadline(arg, w.now_ms(), "set")?),
        None => None,
    };
    // The plain `SET k v` needs nothing from the old value: skip looking it up.
    if options.get || options.only_if_missing || options.only_if_present {
        let existing = w.get(key);
        if options.get {
            match existing {
                Some(entry) => ctx.reply.bulk(entry.value().as_string()?.as_bytes()),
                None => ctx.reply.null(),
            }
        }
        let exists = existing.is_some();
        if (options.only_if_missing && exists) || (options.only_if_present && !exists) {
            if !options.get {
                ctx.reply.null();
            }
            return Ok(());
        }
    }
    let ttl = match (deadline, options.keep_ttl) {
        (Some(at), _) => Ttl::At(at),
        (None, true) => Ttl::Keep,
        (None, false) => Ttl::Clear,
    };
    w.set(key, Value::string(value), ttl);
    if let Some(at) = deadline {
        // Journaled as `SET key value PXAT ms`: a replay must not restart a relative TTL.
        w.propagate(&[b"SET", key, value, b"PXAT", IntBuf::new().format(at)]);
    }
    notify_set(w, key, deadline.is_some());
    if !options.get {
        ctx.reply.ok();
    }
    Ok(())
}

/// The events of a SET (Redis's `setGenericCommand`): `set`, and `expire` when it gave the key
/// a time to live.
fn notify_set(w: &mut Writer, key: &[u8], expires: bool) {
    w.notify(EventClass::STRING, "set", key);
    if expires {
        w.notify(EventClass::GENERIC, "expire", key);
    }
}

/// `SETNX key value`: `:1` if it set the key, `:0` if the key existed.
pub fn setnx(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    if w.exists(key) {
        ctx.reply.integer(0);
    } else {
        w.set(key, Value::string(args.arg(2)), Ttl::Clear);
        notify_set(w, key, false);
        ctx.reply.integer(1);
    }
    Ok(())
}

/// `SETEX key seconds value`
pub fn setex(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    set_with_expiry(ctx, args, w, Expiry::Seconds, "setex")
}

/// `PSETEX key milliseconds value`
pub fn psetex(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    set_with_expiry(ctx, args, w, Expiry::Milliseconds, "psetex")
}

fn set_with_expiry(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    expiry: Expiry,
    command: &'static str,
) -> CommandResult {
    let at = expiry.deadline(args.arg(2), w.now_ms(), command)?;
    let (key, value) = (args.arg(1), args.arg(3));
    w.set(key, Value::string(value), Ttl::At(at));
    w.propagate(&[b"SET", key, value, b"PXAT", IntBuf::new().format(at)]);
    notify_set(w, key, true);
    ctx.reply.ok();
    Ok(())
}

/// `GETSET key value`: the old value, and the key holds the new one (without a TTL).
pub fn getset(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    match w.get(key) {
        Some(entry) => ctx.reply.bulk(entry.value().as_string()?.as_bytes()),
        None => ctx.reply.null(),
    }
    w.set(key, Value::string(args.arg(2)), Ttl::Clear);
    w.propagate(&[b"SET", key, args.arg(2)]);
    notify_set(w, key, false);
    Ok(())
}

/// `GETDEL key`
pub fn getdel(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    match w.get(key) {
        Some(entry) => ctx.reply.bulk(entry.value().as_string()?.as_bytes()),
        None => {
            ctx.reply.null();
            return Ok(());
        }
    }
    w.remove(key);
    w.propagate(&[b"DEL", key]);
    w.notify(EventClass::GENERIC, "del", key);
    Ok(())
}

/// `GETEX key [EX|PX|EXAT|PXAT time|PERSIST]`
pub fn getex(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let mut expiry = None;
    let mut persist = false;
    let mut i = 2;
    while i < args.len() {
        let option = args.arg(i);
        if is_option(option, "persist") && expiry.is_none() {
            persist = true;
        } else if let Some(kind) =
            Expiry::from_option(option).filter(|_| i + 1 < args.len() && !persist)
        {
            if expiry.is_some_and(|(previous, _)| previous != kind) {
                return Err(CommandError::Syntax);
            }
            expiry = Some((kind, args.arg(i + 1)));
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    let key = args.arg(1);
    // Redis looks the key up before it validates the time: a missing key is null either way.
    let Some(entry) = w.get(key) else {
        ctx.reply.null();
        return Ok(());
    };
    let value = entry.value().as_string()?.as_bytes().to_vec();
    // Never journaled as sent: as the PEXPIREAT, DEL or PERSIST it amounts to (Redis's rule).
    if let Some((kind, arg)) = expiry {
        let at = kind.deadline(arg, w.now_ms(), "getex")?;
        let absolute = matches!(kind, Expiry::UnixSeconds | Expiry::UnixMilliseconds);
        if absolute && w.has_passed(at) {
            w.remove(key);
            w.propagate(&[b"DEL", key]);
            w.notify(EventClass::GENERIC, "del", key);
        } else {
            w.set_expire(key, at);
            w.propagate(&[b"PEXPIREAT", key, IntBuf::new().format(at)]);
            w.notify(EventClass::GENERIC, "expire", key);
        }
    } else if persist && w.persist(key) {
        w.propagate(&[b"PERSIST", key]);
        w.notify(EventClass::GENERIC, "persist", key);
    }
    ctx.reply.bulk(&value);
    Ok(())
}

/// `MGET key [key ...]`: a value per key; null for missing keys and for non-strings.
pub fn mget(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let db = ctx.db(databases);
    ctx.reply.array(args.len() - 1);
    for key in args.iter().skip(1) {
        match ctx
            .read_key(db, key)
            .and_then(|entry| entry.value().as_string().ok())
        {
            Some(value) => ctx.reply.bulk(value.as_bytes()),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// `MSET key value [key value ...]`
pub fn mset(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    if args.len() % 2 == 0 {
        return Err(CommandError::WrongArity("mset".into()));
    }
    for i in (1..args.len()).step_by(2) {
        w.set(args.arg(i), Value::string(args.arg(i + 1)), Ttl::Clear);
        notify_set(w, args.arg(i), false);
    }
    ctx.reply.ok();
    Ok(())
}

/// `MSETNX key value [key value ...]`: all or nothing, `:1` if set.
pub fn msetnx(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    if args.len() % 2 == 0 {
        return Err(CommandError::WrongArity("msetnx".into()));
    }
    if (1..args.len()).step_by(2).any(|i| w.exists(args.arg(i))) {
        ctx.reply.integer(0);
        return Ok(());
    }
    for i in (1..args.len()).step_by(2) {
        w.set(args.arg(i), Value::string(args.arg(i + 1)), Ttl::Clear);
        notify_set(w, args.arg(i), false);
    }
    ctx.reply.integer(1);
    Ok(())
}

/// `APPEND key value`: the new length.
pub fn append(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (key, tail) = (args.arg(1), args.arg(2));
    let length = match w.get_mut(key) {
        Some(entry) => {
            let current = entry.value_mut().as_string_mut()?;
            check_length(ctx, current.len() as u64 + tail.len() as u64)?;
            current.append(tail);
            let length = current.len();
            w.modified(key);
            length
        }
        None => {
            w.set(key, Value::string(tail), Ttl::Clear);
            tail.len()
        }
    };
    w.notify(EventClass::STRING, "append", key);
    ctx.reply.integer(length as i64);
    Ok(())
}

/// `STRLEN key`: 0 for a missing key.
pub fn strlen(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let length = match ctx.read_key(ctx.db(databases), args.arg(1)) {
        Some(entry) => entry.value().as_string()?.len(),
        None => 0,
    };
    ctx.reply.integer(length as i64);
    Ok(())
}

/// `GETRANGE key start end` (and its old name `SUBSTR`): inclusive, negative offsets count from
/// the end, out-of-range offsets are clamped.
pub fn getrange(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let (start, end) = (parse_int(args.arg(2))?, parse_int(args.arg(3))?);
    let Some(entry) = ctx.read_key(ctx.db(databases), args.arg(1)) else {
        ctx.reply.bulk(b"");
        return Ok(());
    };
    let bytes = entry.value().as_string()?.as_bytes();
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        ctx.reply.bulk(b"");
        return Ok(());
    }
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.max(0).min(len - 1);
    if start > end || len == 0 {
        ctx.reply.bulk(b"");
    } else {
        ctx.reply.bulk(&bytes[start as usize..=end as usize]);
    }
    Ok(())
}

/// `SETRANGE key offset value`: overwrites from `offset`, zero-padding a shorter string; the new
/// length.
pub fn setrange(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let (key, value) = (args.arg(1), args.arg(3));
    let offset = parse_int(args.arg(2))?;
    if offset < 0 {
        return Err(CommandError::err("offset is out of range"));
    }
    let offset = offset as u64;
    let length = match w.get_mut(key) {
        Some(entry) => {
            let current = entry.value_mut().as_string_mut()?;
            if !value.is_empty() {
                check_length(ctx, offset + value.len() as u64)?;
                current.set_range(offset as usize, value);
            }
            let length = current.len();
            if !value.is_empty() {
                w.modified(key);
                w.notify(EventClass::STRING, "setrange", key);
            }
            length
        }
        None if value.is_empty() => 0,
        None => {
            check_length(ctx, offset + value.len() as u64)?;
            let mut created = Str::new(b"");
            created.set_range(offset as usize, value);
            let length = created.len();
            w.set(key, Value::String(created), Ttl::Clear);
            w.notify(EventClass::STRING, "setrange", key);
            length
        }
    };
    ctx.reply.integer(length as i64);
    Ok(())
}

/// Adds `by` to the integer at `key` (0 if missing), keeping its TTL.
fn increment(ctx: &mut Ctx, key: &[u8], by: i64, w: &mut Writer) -> CommandResult {
    let current = match w.get(key) {
        Some(entry) => entry
            .value()
            .as_string()?
            .to_i64()
            .ok_or(CommandError::NotInteger)?,
        None => 0,
    };
    let updated = current.checked_add(by).ok_or(CommandError::Overflow)?;
    let mut digits = number::IntBuf::new();
    w.set(key, Value::string(digits.format(updated)), Ttl::Keep);
    w.notify(EventClass::STRING, "incrby", key);
    ctx.reply.integer(updated);
    Ok(())
}

/// `INCR key`
pub fn incr(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    increment(ctx, args.arg(1), 1, w)
}

/// `DECR key`
pub fn decr(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    increment(ctx, args.arg(1), -1, w)
}

/// `INCRBY key increment`
pub fn incrby(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let by = parse_int(args.arg(2))?;
    increment(ctx, args.arg(1), by, w)
}

/// `DECRBY key decrement`
pub fn decrby(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let by = parse_int(args.arg(2))?;
    let negated = by
        .checked_neg()
        .ok_or_else(|| CommandError::err("decrement would overflow"))?;
    increment(ctx, args.arg(1), negated, w)
}

/// `INCRBYFLOAT key increment`: the new value as a bulk string. Computed in `long double`, as
/// Redis does, so the 17 decimals it prints hide the binary rounding (`0.1 + 0.2` is `0.3`).
pub fn incrbyfloat(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let key = args.arg(1);
    let current = match w.get(key) {
        Some(entry) => LongDouble::parse(entry.value().as_string()?.as_bytes())
            .ok_or(CommandError::NotFloat)?,
        None => LongDouble::ZERO,
    };
    let by = LongDouble::parse(args.arg(2)).ok_or(CommandError::NotFloat)?;
    let updated = current
        .checked_add(by)
        .ok_or_else(|| CommandError::err("increment would produce NaN or Infinity"))?;
    let text = updated.to_human_string();
    w.set(key, Value::float_string(text.as_bytes()), Ttl::Keep);
    // Journaled as the value it produced: floating-point arithmetic need not replay the same.
    w.propagate(&[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
    w.notify(EventClass::STRING, "incrbyfloat", key);
    ctx.reply.bulk(text.as_bytes());
    Ok(())
}
