//! BITFIELD and BITFIELD_RO (Redis's `bitfieldGeneric`): integers of 1 to 64 bits at any bit
//! offset of a string, read (`GET`), written (`SET`) and incremented (`INCRBY`) under an
//! `OVERFLOW` policy (`WRAP`, `SAT` or `FAIL`), several operations per call. The whole request
//! is parsed before anything runs, so an argument error leaves the key untouched.
//!
//! Values are computed in `i128`, where no sum of a 64-bit field and a 64-bit increment can
//! overflow: a result either fits the field or is wrapped, saturated or refused, which is what
//! Redis's `checkSignedBitfieldOverflow` and `checkUnsignedBitfieldOverflow` decide.

use super::super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use super::{parse_bit_offset, write_bits};
use crate::keyspace::{Databases, Writer};
use crate::number;
use crate::protocol::Reply;

/// What happens to a result that does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Modulo 2^bits (signed fields wrap to the other end of their range).
    Wrap,
    /// Clamped to the field's minimum or maximum.
    Sat,
    /// Not written; the operation replies null.
    Fail,
}

impl Overflow {
    fn parse(arg: &[u8]) -> Result<Overflow, CommandError> {
        [
            ("wrap", Overflow::Wrap),
            ("sat", Overflow::Sat),
            ("fail", Overflow::Fail),
        ]
        .into_iter()
        .find(|(name, _)| is_option(arg, name))
        .map(|(_, overflow)| overflow)
        .ok_or_else(|| CommandError::err("Invalid OVERFLOW type specified"))
    }
}

/// A field's type: `i1`..`i64` or `u1`..`u63` (a `u64` could not be replied as a RESP integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FieldType {
    signed: bool,
    bits: u32,
}

impl FieldType {
    /// Parses a type as Redis's `getBitfieldTypeFromArgument` (`i`/`u` are case-sensitive).
    fn parse(arg: &[u8]) -> Result<FieldType, CommandError> {
        let invalid = || {
            CommandError::err(
                "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            )
        };
        let (signed, widest) = match arg.first() {
            Some(b'i') => (true, 64),
            Some(b'u') => (false, 63),
            _ => return Err(invalid()),
        };
        let bits = number::parse_i64(&arg[1..])
            .filter(|bits| (1..=widest).contains(bits))
            .ok_or_else(invalid)?;
        Ok(FieldType {
            signed,
            bits: bits as u32,
        })
    }

    fn min(self) -> i128 {
        if self.signed {
            -(1 << (self.bits - 1))
        } else {
            0
        }
    }

    fn max(self) -> i128 {
        if self.signed {
            (1 << (self.bits - 1)) - 1
        } else {
            (1 << self.bits) - 1
        }
    }

    /// `value` stored in this field under `overflow`, or `None` if it must not be stored.
    fn fit(self, value: i128, overflow: Overflow) -> Option<i128> {
        if (self.min()..=self.max()).contains(&value) {
            return Some(value);
        }
        match overflow {
            Overflow::Wrap => Some(self.decode(value.rem_euclid(1 << self.bits) as u64)),
            Overflow::Sat => Some(value.clamp(self.min(), self.max())),
            Overflow::Fail => None,
        }
    }

    /// The field's value from its `bits` low bits: sign-extended if signed.
    fn decode(self, raw: u64) -> i128 {
        let sign = 1u64 << (self.bits - 1);
        if self.signed && raw & sign != 0 {
            i128::from(raw) - (1 << self.bits)
        } else {
            i128::from(raw)
        }
    }

    /// The field at bit `offset` of `bytes`; bits past the end read as 0.
    fn read(self, bytes: &[u8], offset: u64) -> i128 {
        let (window, shift) = Window::at(bytes, offset);
        self.decode(((window << shift) >> (128 - self.bits)) as u64)
    }

    /// Stores `value`'s low bits in the field at bit `offset` of `bytes`, which reach that far.
    fn write(self, bytes: &mut [u8], offset: u64, value: i128) {
        let (window, shift) = Window::at(bytes, offset);
        let to_place = 128 - self.bits - shift;
        let mask = (u128::MAX >> (128 - self.bits)) << to_place;
        let placed = ((value as u128) << to_place) & mask;
        Window::store(bytes, offset, window & !mask | placed);
    }
}

/// The 9 bytes from the one holding a field's first bit (enough for 64 bits at any of the 8
/// shifts), as the top of a big-endian `u128`: bit 0 of the field is bit `shift` from the top.
struct Window;

impl Window {
    const BYTES: usize = 9;

    fn at(bytes: &[u8], offset: u64) -> (u128, u32) {
        let mut window = [0u8; 16];
        let from = bytes.get((offset / 8) as usize..).unwrap_or_default();
        let len = from.len().min(Window::BYTES);
        window[..len].copy_from_slice(&from[..len]);
        (u128::from_be_bytes(window), (offset % 8) as u32)
    }

    fn store(bytes: &mut [u8], offset: u64, window: u128) {
        let to = &mut bytes[(offset / 8) as usize..];
        let len = to.len().min(Window::BYTES);
        to[..len].copy_from_slice(&window.to_be_bytes()[..len]);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One operation of a request, with the overflow policy in force where it appears.
#[derive(Debug, Clone, Copy)]
struct Op {
    action: Action,
    field: FieldType,
    offset: u64,
    overflow: Overflow,
}

/// Parses the operations after the key, in Redis's order of checks: the subcommand and its
/// argument count, then the type, the offset and the value.
fn parse_ops(ctx: &Ctx, args: &Args) -> Result<Vec<Op>, CommandError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 2;
    while i < args.len() {
        let (name, remaining) = (args.arg(i), args.len() - i - 1);
        let writes = if is_option(name, "get") && remaining >= 2 {
            false
        } else if (is_option(name, "set") || is_option(name, "incrby")) && remaining >= 3 {
            true
        } else if is_option(name, "overflow") && remaining >= 1 {
            overflow = Overflow::parse(args.arg(i + 1))?;
            i += 2;
            continue;
        } else {
            return Err(CommandError::Syntax);
        };
        let field = FieldType::parse(args.arg(i + 1))?;
        let offset = parse_bit_offset(ctx, args.arg(i + 2), Some(field.bits))?;
        let action = match writes {
            false => Action::Get,
            true if is_option(name, "set") => Action::Set(parse_int(args.arg(i + 3))?),
            true => Action::IncrBy(parse_int(args.arg(i + 3))?),
        };
        ops.push(Op {
            action,
            field,
            offset,
            overflow,
        });
        i += if writes { 4 } else { 3 };
    }
    Ok(ops)
}

/// How many bytes the string needs for the fields `ops` write, or `None` if they only read.
fn written_len(ops: &[Op]) -> Option<usize> {
    ops.iter()
        .filter(|op| op.action != Action::Get)
        .map(|op| ((op.offset + u64::from(op.field.bits) - 1) / 8 + 1) as usize)
        .max()
}

/// Replies the fields `ops` read, all of them `GET`s.
fn reply_reads(reply: &mut Reply, ops: &[Op], bytes: &[u8]) {
    reply.array(ops.len());
    for op in ops {
        reply.integer(op.field.read(bytes, op.offset) as i64);
    }
}

/// Runs `ops` on `bytes` (long enough for every field written), replying as it goes, and
/// returns how many changed the string: each write that stored a different value, or any
/// write at all into `fresh` bytes (a created or grown string).
fn apply(reply: &mut Reply, ops: &[Op], bytes: &mut [u8], fresh: bool) -> u64 {
    reply.array(ops.len());
    let mut changes = 0;
    for op in ops {
        let old = op.field.read(bytes, op.offset);
        // SET replies the value it replaced, INCRBY the value it made.
        let (target, replies_old) = match op.action {
            Action::Get => {
                reply.integer(old as i64);
                continue;
            }
            // Redis takes an unsigned field's new value as a `uint64_t`: -1 is 2^64 - 1, too
            // large for any unsigned field.
            Action::Set(value) if !op.field.signed => (i128::from(value as u64), true),
            Action::Set(value) => (i128::from(value), true),
            Action::IncrBy(by) => (old + i128::from(by), false),
        };
        let Some(new) = op.field.fit(target, op.overflow) else {
            reply.null();
            continue;
        };
        reply.integer(if replies_old { old } else { new } as i64);
        op.field.write(bytes, op.offset, new);
        changes += u64::from(fresh || new != old);
    }
    changes
}

/// The key flags of a BITFIELD request, as Redis's `bitfieldGetKeys` reads it: read-only if it
/// only has `GET`s (and `OVERFLOW`s); anything else, a malformed request included, may write.
pub fn bitfield_key_flags(args: &Args) -> &'static [&'static str] {
    let mut i = 2;
    while i < args.len() {
        let (name, remaining) = (args.arg(i), args.len() - i - 1);
        if is_option(name, "get") && remaining >= 2 {
            i += 3;
        } else if is_option(name, "overflow") && remaining >= 1 {
            i += 2;
        } else {
            return &["RW", "access", "update"];
        }
    }
    &["RO", "access"]
}

/// `BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
/// OVERFLOW WRAP|SAT|FAIL] ...`: one reply per GET, SET and INCRBY. Only GETs: the key is
/// read, never created.
pub fn bitfield(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let ops = parse_ops(ctx, args)?;
    let key = args.arg(1);
    match written_len(&ops) {
        None => {
            let bytes = match ctx.read_key_on_write_path(w, key) {
                Some(entry) => entry.value().as_string()?.as_bytes(),
                None => &[],
            };
            reply_reads(&mut ctx.reply, &ops, bytes);
        }
        Some(len) => {
            let reply = &mut ctx.reply;
            write_bits(w, key, len, |bytes, fresh| apply(reply, &ops, bytes, fresh))?;
        }
    }
    Ok(())
}

/// `BITFIELD_RO key [GET type offset] ...`: BITFIELD's GETs, for replicas and read-only ACLs.
pub fn bitfield_ro(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let ops = parse_ops(ctx, args)?;
    if written_len(&ops).is_some() {
        return Err(CommandError::err(
            "BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let bytes = match ctx.read_key(ctx.db(databases), args.arg(1)) {
        Some(entry) => entry.value().as_string()?.as_bytes(),
        None => &[],
    };
    reply_reads(&mut ctx.reply, &ops, bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> FieldType {
        FieldType::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn types_are_i1_to_i64_and_u1_to_u63() {
        assert_eq!(
            field("i64"),
            FieldType {
                signed: true,
                bits: 64
            }
        );
        assert_eq!(
            field("u63"),
            FieldType {
                signed: false,
                bits: 63
            }
        );
        for bad in ["u64", "i65", "i0", "u", "I8", "i08", "x8", "i-1", ""] {
            assert!(FieldType::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn fields_read_and_write_at_any_bit_offset() {
        // Redis's example: u5 23 at offset 7 is 00000001 01110000.
        let mut bytes = [0u8; 2];
        field("u5").write(&mut bytes, 7, 23);
        assert_eq!(bytes, [0b0000_0001, 0b0111_0000]);
        assert_eq!(field("u5").read(&bytes, 7), 23);
        assert_eq!(field("i5").read(&bytes, 7), 23 - 32);
        let mut wide = [0xAAu8; 10];
        field("i64").write(&mut wide, 3, -1);
        assert_eq!(wide[0], 0xBF, "the 3 bits before the field are kept");
        assert_eq!(wide[8], 0xEA, "and the 5 after it");
        assert_eq!(field("i64").read(&wide, 3), -1);
        assert_eq!(
            field("u8").read(b"\xff", 4),
            0xF0,
            "past the end reads as 0"
        );
        assert_eq!(field("u8").read(b"", 1_000), 0);
    }

    #[test]
    fn overflow_wraps_saturates_or_fails() {
        let (u8f, i8f, i64f) = (field("u8"), field("i8"), field("i64"));
        assert_eq!(u8f.fit(256, Overflow::Wrap), Some(0));
        assert_eq!(u8f.fit(-1, Overflow::Wrap), Some(255));
        assert_eq!(u8f.fit(300, Overflow::Sat), Some(255));
        assert_eq!(u8f.fit(-5, Overflow::Sat), Some(0));
        assert_eq!(i8f.fit(128, Overflow::Wrap), Some(-128));
        assert_eq!(i8f.fit(-129, Overflow::Wrap), Some(127));
        assert_eq!(i8f.fit(1000, Overflow::Sat), Some(127));
        assert_eq!(i8f.fit(127, Overflow::Fail), Some(127));
        assert_eq!(i8f.fit(128, Overflow::Fail), None);
        let past = i128::from(i64::MAX) + 1;
        assert_eq!(i64f.fit(past, Overflow::Wrap), Some(i128::from(i64::MIN)));
        assert_eq!(i64f.fit(past, Overflow::Sat), Some(i128::from(i64::MAX)));
        assert_eq!(field("i1").fit(1, Overflow::Wrap), Some(-1));
    }
}
