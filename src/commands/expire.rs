//! Time to live (Redis's expire.c commands): EXPIRE and its three siblings, TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME and PERSIST. Stage 7 sets expiry through `SET ... PX`; these give the
//! same machinery its own commands.

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::keyspace::{Databases, EventClass, Writer};
use crate::number::IntBuf;

/// The unit of an EXPIRE-family argument, and whether it is relative to now.
#[derive(Clone, Copy)]
struct Unit {
    milliseconds: bool,
    absolute: bool,
    command: &'static str,
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`
pub fn expire(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    set_expiry(
        ctx,
        args,
        w,
        Unit {
            milliseconds: false,
            absolute: false,
            command: "expire",
        },
    )
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`
pub fn pexpire(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    set_expiry(
        ctx,
        args,
        w,
        Unit {
            milliseconds: true,
            absolute: false,
            command: "pexpire",
        },
    )
}

/// `EXPIREAT key unix-time-seconds [NX|XX|GT|LT]`
pub fn expireat(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    set_expiry(
        ctx,
        args,
        w,
        Unit {
            milliseconds: false,
            absolute: true,
            command: "expireat",
        },
    )
}

/// `PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]`
pub fn pexpireat(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    set_expiry(
        ctx,
        args,
        w,
        Unit {
            milliseconds: true,
            absolute: true,
            command: "pexpireat",
        },
    )
}

/// The conditions `NX`, `XX`, `GT`, `LT` of the EXPIRE family.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_conditions(args: &Args) -> Result<Conditions, CommandError> {
    let mut c = Conditions::default();
    for option in args.iter().skip(3) {
        if is_option(option, "nx") {
            c.nx = true;
        } else if is_option(option, "xx") {
            c.xx = true;
        } else if is_option(option, "gt") {
            c.gt = true;
        } else if is_option(option, "lt") {
            c.lt = true;
        } else {
            return Err(CommandError::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(option)
            )));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CommandError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(CommandError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// Redis's `expireGenericCommand`. A time in the past deletes the key at once (and still
/// replies `:1`); a key without a TTL counts as expiring never for `GT` and `LT`.
fn set_expiry(ctx: &mut Ctx, args: &Args, w: &mut Writer, unit: Unit) -> CommandResult {
    let conditions = parse_conditions(args)?;
    let invalid = || CommandError::InvalidExpireTime(unit.command);
    let mut when = parse_int(args.arg(2))?;
    if !unit.milliseconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if !unit.absolute {
        when = when.checked_add(w.now_ms()).ok_or_else(invalid)?;
    }
    let key = args.arg(1);
    if !w.exists(key) {
        ctx.reply.integer(0);
        return Ok(());
    }
    let current = w.expires_at(key);
    let refused = (conditions.nx && current.is_some())
        || (conditions.xx && current.is_none())
        || (conditions.gt && current.is_none_or(|current| when <= current))
        || (conditions.lt && current.is_some_and(|current| when >= current));
    if refused {
        ctx.reply.integer(0);
        return Ok(());
    }
    // Journaled with the absolute time, so a replay sets the same moment (Redis rewrites the
    // command as PEXPIREAT, keeping its options, or as DEL when the time has passed).
    let mut digits = IntBuf::new();
    if w.has_passed(when) {
        w.remove(key);
        w.propagate(&[b"DEL", key]);
        w.notify(EventClass::GENERIC, "del", key);
    } else {
        w.set_expire(key, when);
        let mut journaled: Vec<&[u8]> = vec![b"PEXPIREAT", key, digits.format(when)];
        journaled.extend(args.iter().skip(3));
        w.propagate(&journaled);
        w.notify(EventClass::GENERIC, "expire", key);
    }
    ctx.reply.integer(1);
    Ok(())
}

/// What TTL-family commands report: -2 for a missing key, -1 for no TTL, else the expiry time.
fn expiry_of(ctx: &Ctx, args: &Args, databases: &Databases) -> Result<i64, i64> {
    let db = ctx.db(databases);
    ctx.inspect_key(db, args.arg(1)).ok_or(-2)?;
    db.expires_at(args.arg(1)).ok_or(-1)
}

/// `TTL key`: seconds left, rounded to the nearest second.
pub fn ttl(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let reply = expiry_of(ctx, args, databases)
        .map_or_else(|code| code, |at| ((at - ctx.now_ms).max(0) + 500) / 1000);
    ctx.reply.integer(reply);
    Ok(())
}

/// `PTTL key`: milliseconds left.
pub fn pttl(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let reply =
        expiry_of(ctx, args, databases).map_or_else(|code| code, |at| (at - ctx.now_ms).max(0));
    ctx.reply.integer(reply);
    Ok(())
}

/// `EXPIRETIME key`: the Unix time in seconds at which the key expires.
pub fn expiretime(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let reply = expiry_of(ctx, args, databases).map_or_else(|code| code, |at| (at + 500) / 1000);
    ctx.reply.integer(reply);
    Ok(())
}

/// `PEXPIRETIME key`: the Unix time in milliseconds at which the key expires.
pub fn pexpiretime(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let reply = expiry_of(ctx, args, databases).unwrap_or_else(|code| code);
    ctx.reply.integer(reply);
    Ok(())
}

/// `PERSIST key`: `:1` if a TTL was removed.
pub fn persist(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let removed = w.persist(args.arg(1));
    if removed {
        w.notify(EventClass::GENERIC, "persist", args.arg(1));
    }
    ctx.reply.integer(removed as i64);
    Ok(())
}
