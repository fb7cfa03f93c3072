//! Argument parsing the handlers share, with Redis's rules and error texts: integers as
//! `getLongLongFromObjectOrReply` reads them, C `int`s, bounded and positive numbers, options.

use std::ops::Range;

use super::{Args, CommandError};
use crate::number;

/// An integer argument (Redis's `getLongLongFromObjectOrReply`).
pub fn parse_int(arg: &[u8]) -> Result<i64, CommandError> {
    number::parse_i64(arg).ok_or(CommandError::NotInteger)
}

/// A C `int` argument, as Redis's `getIntFromObjectOrReply`: with no `message` of the command's
/// own, "not an integer" for text and "out of range" (with the bounds) for numbers beyond 32 bits.
pub fn parse_c_int(arg: &[u8], message: Option<&'static str>) -> Result<i32, CommandError> {
    let error = |default: CommandError| message.map_or(default, CommandError::err);
    let n = number::parse_i64(arg).ok_or_else(|| error(CommandError::NotInteger))?;
    i32::try_from(n).map_err(|_| {
        error(CommandError::err(
            "value is out of range, value must between -2147483648 and 2147483647",
        ))
    })
}

/// A `long` argument within `min..=max`, as Redis's `getRangeLongFromObjectOrReply`: with a
/// `message`, that is the error for text and for numbers out of range alike; without one, "not
/// an integer" for text and the bounds for numbers out of range.
pub fn parse_range(
    arg: &[u8],
    min: i64,
    max: i64,
    message: Option<&'static str>,
) -> Result<i64, CommandError> {
    let error = |default: CommandError| message.map_or(default, CommandError::err);
    let n = number::parse_i64(arg).ok_or_else(|| error(CommandError::NotInteger))?;
    if n < min || n > max {
        return Err(error(CommandError::err(format!(
            "value is out of range, value must between {min} and {max}"
        ))));
    }
    Ok(n)
}

/// A non-negative `long` argument, as Redis's `getPositiveLongFromObjectOrReply`: `message` (or
/// Redis's "must be positive") for text and negative numbers alike.
pub fn parse_positive(arg: &[u8], message: Option<&'static str>) -> Result<i64, CommandError> {
    let message = message.unwrap_or("value is out of range, must be positive");
    parse_range(arg, 0, i64::MAX, Some(message))
}

/// Whether `arg` is the option `name`, ignoring case (`px`, `PX`, `Px`).
pub fn is_option(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// The arguments LMPOP and ZMPOP (and BLMPOP, BZMPOP) share, from `numkeys_at`:
/// `numkeys key [key ...] <side> [COUNT count]`, checked in Redis's order
/// (`lmpopGenericCommand`, `zmpopGenericCommand`). Returns the positions of the keys, the side
/// as `parse_side` reads it, and the count if one was given.
pub fn parse_mpop<S>(
    args: &Args,
    numkeys_at: usize,
    parse_side: impl FnOnce(&[u8]) -> Result<S, CommandError>,
) -> Result<(Range<usize>, S, Option<usize>), CommandError> {
    let numkeys = parse_range(
        args.arg(numkeys_at),
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    )? as usize;
    let side_at = numkeys_at.saturating_add(numkeys).saturating_add(1);
    if side_at >= args.len() {
        return Err(CommandError::Syntax);
    }
    let side = parse_side(args.arg(side_at))?;
    let mut count = None;
    let mut i = side_at + 1;
    while i < args.len() {
        if count.is_none() && is_option(args.arg(i), "count") && i + 1 < args.len() {
            count = Some(parse_range(
                args.arg(i + 1),
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            )? as usize);
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok((numkeys_at + 1..side_at, side, count))
}
