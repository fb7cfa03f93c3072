//! Bitmap commands (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP here,
//! BITFIELD and BITFIELD_RO in `bitfield.rs`, the `start end [BYTE|BIT]` ranges and the scans
//! over them in `range.rs`.
//!
//! A bitmap is a string: bit 0 is the most significant bit of its first byte, and a string read
//! past its end reads as zero bits. The commands that write bits ([`write_bits`]) change the
//! string in place, zero-padding it to the farthest bit they touch; offsets are bounded by
//! `proto-max-bulk-len`, so a bitmap never outgrows the longest string a client could send.

mod bitfield;
mod range;

pub use bitfield::{bitfield, bitfield_key_flags, bitfield_ro};

use self::range::{BitRange, Unit, count_ones, first_bit};
use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::keyspace::{Databases, EventClass, Str, Ttl, Value, Writer};

/// Parses a bit offset as Redis's `getBitOffsetFromArgument`: a non-negative integer whose byte
/// lies within `proto-max-bulk-len`. With a `field_width` (BITFIELD), `#N` means the `N`th field
/// of that width.
fn parse_bit_offset(ctx: &Ctx, arg: &[u8], field_width: Option<u32>) -> Result<u64, CommandError> {
    let invalid = || CommandError::err("bit offset is not an integer or out of range");
    let (digits, multiplier) = match (arg.strip_prefix(b"#"), field_width) {
        (Some(index), Some(width)) => (index, i64::from(width)),
        _ => (arg, 1),
    };
    // Redis multiplies in C and may wrap around; an index that large is refused here instead.
    let offset = parse_int(digits)
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|&n| n >= 0)
        .ok_or_else(invalid)? as u64;
    if offset / 8 >= ctx.max_string_len() {
        return Err(invalid());
    }
    Ok(offset)
}

/// The byte holding bit `offset`, and that bit's mask within it.
fn bit_position(offset: u64) -> (usize, u8) {
    ((offset / 8) as usize, 0x80 >> (offset % 8))
}

/// Whether bit `offset` of `bytes` is set; bits past the end are not.
fn bit_at(bytes: &[u8], offset: u64) -> bool {
    let (byte, mask) = bit_position(offset);
    bytes.get(byte).is_some_and(|b| b & mask != 0)
}

/// Writes bits into the string at `key` (Redis's `lookupStringForBitCommand`): `write` gets its
/// bytes, zero-padded to at least `len`, and whether they are fresh (the key was created or the
/// string grew, which is a change even if no bit flips), and returns how many changes it made.
/// The key is created if missing, the string changed in place otherwise; the changes are
/// counted, and if there are any the key is signalled and `setbit` notified.
fn write_bits(
    w: &mut Writer,
    key: &[u8],
    len: usize,
    write: impl FnOnce(&mut [u8], bool) -> u64,
) -> CommandResult {
    let changes = match w.get_mut(key) {
        Some(entry) => {
            let string = entry.value_mut().as_string_mut()?;
            let before = string.len();
            let bytes = string.grown_to(len);
            let grown = bytes.len() != before;
            let changes = write(bytes, grown);
            if changes > 0 {
                w.modified(key);
                w.changed(changes - 1);
            }
            changes
        }
        None => {
            let mut bytes = vec![0; len];
            let changes = write(&mut bytes, true);
            // Creating the key counts as one change whatever `write` did: it is in the
            // keyspace now (Redis's `dbAdd`), and must reach the journal.
            w.set(key, Value::String(Str::raw(bytes)), Ttl::Clear);
            w.changed(changes.saturating_sub(1));
            changes
        }
    };
    if changes > 0 {
        w.notify(EventClass::STRING, "setbit", key);
    }
    Ok(())
}

/// `SETBIT key offset value`: the bit's previous value. A key that does not change is not
/// counted as changed (Redis 7's `setbitCommand`), unless it was created or grew.
pub fn setbit(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let offset = parse_bit_offset(ctx, args.arg(2), None)?;
    let on = match parse_int(args.arg(3)) {
        Ok(0) => false,
        Ok(1) => true,
        _ => return Err(CommandError::err("bit is not an integer or out of range")),
    };
    let (byte, mask) = bit_position(offset);
    let mut was_on = false;
    write_bits(w, args.arg(1), byte + 1, |bytes, fresh| {
        was_on = bytes[byte] & mask != 0;
        if on {
            bytes[byte] |= mask;
        } else {
            bytes[byte] &= !mask;
        }
        u64::from(fresh || was_on != on)
    })?;
    ctx.reply.integer(i64::from(was_on));
    Ok(())
}

/// `GETBIT key offset`: 0 past the end of the string, and for a missing key.
pub fn getbit(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let offset = parse_bit_offset(ctx, args.arg(2), None)?;
    let on = match ctx.read_key(ctx.db(databases), args.arg(1)) {
        Some(entry) => bit_at(entry.value().as_string()?.as_bytes(), offset),
        None => false,
    };
    ctx.reply.integer(i64::from(on));
    Ok(())
}

/// `BITCOUNT key [start end [BYTE|BIT]]`: the number of bits set, in the whole string or in a
/// range. A missing key is 0 before any argument is looked at, as in Redis.
pub fn bitcount(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let Some(entry) = ctx.read_key(ctx.db(databases), args.arg(1)) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let bytes = entry.value().as_string()?.as_bytes();
    let range = match args.len() {
        2 => BitRange::whole(bytes.len()),
        4 | 5 => {
            let (start, end) = (parse_int(args.arg(2))?, parse_int(args.arg(3))?);
            // Redis answers this empty range before it reads BYTE|BIT.
            if start < 0 && end < 0 && start > end {
                ctx.reply.integer(0);
                return Ok(());
            }
            let unit = match args.len() {
                5 => Unit::parse(args.arg(4))?,
                _ => Unit::Byte,
            };
            BitRange::resolve(start, end, unit, bytes.len())
        }
        _ => return Err(CommandError::Syntax),
    };
    let count = range.map_or(0, |range| count_ones(bytes, range));
    ctx.reply.integer(count as i64);
    Ok(())
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`: the position of the first bit equal to `bit`, or
/// -1. A missing key reads as all zero bits (0 for a 0, -1 for a 1).
pub fn bitpos(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let bit = match parse_int(args.arg(2))? {
        0 => false,
        1 => true,
        _ => return Err(CommandError::err("The bit argument must be 1 or 0.")),
    };
    let Some(entry) = ctx.read_key(ctx.db(databases), args.arg(1)) else {
        ctx.reply.integer(if bit { -1 } else { 0 });
        return Ok(());
    };
    let bytes = entry.value().as_string()?.as_bytes();
    let (range, end_given) = match args.len() {
        3 => (BitRange::whole(bytes.len()), false),
        4..=6 => {
            let start = parse_int(args.arg(3))?;
            let unit = match args.len() {
                6 => Unit::parse(args.arg(5))?,
                _ => Unit::Byte,
            };
            let end = match args.len() {
                5 | 6 => Some(parse_int(args.arg(4))?),
                _ => None,
            };
            let range = BitRange::resolve(start, end.unwrap_or(-1), unit, bytes.len());
            (range, end.is_some())
        }
        _ => return Err(CommandError::Syntax),
    };
    let position = match range {
        None => -1,
        Some(range) => match first_bit(bytes, range, bit) {
            Some(position) => position as i64,
            // No 0 in the range: the string reads as followed by zero bits, so the first 0 is
            // the one right after it, unless an explicit end bounds the search.
            None if !bit && !end_given => range.last as i64 + 1,
            None => -1,
        },
    };
    ctx.reply.integer(position);
    Ok(())
}

/// BITOP's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

impl BitOp {
    fn parse(arg: &[u8]) -> Result<BitOp, CommandError> {
        [
            ("and", BitOp::And),
            ("or", BitOp::Or),
            ("xor", BitOp::Xor),
            ("not", BitOp::Not),
        ]
        .into_iter()
        .find(|(name, _)| is_option(arg, name))
        .map(|(_, op)| op)
        .ok_or(CommandError::Syntax)
    }

    /// Folds `source` into `result` (as long as the longest source): bytes past the end of
    /// `source` count as zero.
    fn fold(self, result: &mut [u8], source: &[u8]) {
        let (overlap, rest) = result.split_at_mut(source.len());
        let pairs = overlap.iter_mut().zip(source);
        match self {
            BitOp::And => {
                pairs.for_each(|(r, s)| *r &= s);
                rest.fill(0);
            }
            BitOp::Or => pairs.for_each(|(r, s)| *r |= s),
            BitOp::Xor => pairs.for_each(|(r, s)| *r ^= s),
            BitOp::Not => unreachable!("NOT has a single source"),
        }
    }
}

/// The string at `key` for reading, as BITOP's sources: a missing key is the empty string.
fn source<'w>(w: &'w mut Writer, key: &[u8]) -> Result<&'w [u8], CommandError> {
    match w.get(key) {
        Some(entry) => Ok(entry.value().as_string()?.as_bytes()),
        None => Ok(&[]),
    }
}

/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`: stores the result, as long as the longest
/// source, and replies its length. An empty result deletes `destkey` instead (Redis's
/// `bitopCommand`).
pub fn bitop(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let op = BitOp::parse(args.arg(1))?;
    if op == BitOp::Not && args.len() != 4 {
        return Err(CommandError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let (destination, sources) = (args.arg(2), 3..args.len());
    // Every source is checked before any work, so a wrong type leaves nothing half done; this
    // first look is Redis's `lookupKeyRead` of each source, a keyspace hit or miss.
    let mut len = 0;
    for i in sources.clone() {
        if let Some(entry) = ctx.read_key_on_write_path(w, args.arg(i)) {
            len = len.max(entry.value().as_string()?.len());
        }
    }
    let mut result = Vec::with_capacity(len);
    result.extend_from_slice(source(w, args.arg(3))?);
    result.resize(len, 0);
    if op == BitOp::Not {
        result.iter_mut().for_each(|byte| *byte = !*byte);
    }
    for i in sources.skip(1) {
        op.fold(&mut result, source(w, args.arg(i))?);
    }
    if len > 0 {
        w.set(destination, Value::String(Str::raw(result)), Ttl::Clear);
        w.notify(EventClass::STRING, "set", destination);
    } else if w.remove(destination).is_some() {
        w.notify(EventClass::GENERIC, "del", destination);
    }
    ctx.reply.integer(len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_zero_is_the_most_significant_bit_of_the_first_byte() {
        assert_eq!(bit_position(0), (0, 0x80));
        assert_eq!(bit_position(7), (0, 0x01));
        assert_eq!(bit_position(9), (1, 0x40));
        assert!(bit_at(b"\x80", 0));
        assert!(!bit_at(b"\x80", 1));
        assert!(!bit_at(b"\xff", 8), "past the end reads as 0");
    }

    #[test]
    fn bitop_folds_shorter_sources_as_zero_padded() {
        let mut result = b"\xff\xff\xf0".to_vec();
        BitOp::And.fold(&mut result, b"\x0f");
        assert_eq!(result, b"\x0f\0\0");
        BitOp::Or.fold(&mut result, b"\x10\x01");
        assert_eq!(result, b"\x1f\x01\0");
        BitOp::Xor.fold(&mut result, b"\x1f\x01\x02");
        assert_eq!(result, b"\0\0\x02");
        assert_eq!(BitOp::parse(b"xOr"), Ok(BitOp::Xor));
        assert_eq!(BitOp::parse(b"nand"), Err(CommandError::Syntax));
    }
}
