//! The part of a string BITCOUNT and BITPOS look at ([`BitRange`]), from their `start end
//! [BYTE|BIT]` arguments as Redis's `bitcountCommand` and `bitposCommand` convert them, and the
//! two scans over it: [`count_ones`] and [`first_bit`]. Both go a 64-bit word at a time through
//! the middle of the range and mask the partial bytes at its edges.

use super::super::{CommandError, is_option};

/// What `start` and `end` count: bytes (the default) or bits (`BIT`, since Redis 7.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Byte,
    Bit,
}

impl Unit {
    /// `BYTE` or `BIT`, any case; anything else is a syntax error.
    pub fn parse(arg: &[u8]) -> Result<Unit, CommandError> {
        if is_option(arg, "bit") {
            Ok(Unit::Bit)
        } else if is_option(arg, "byte") {
            Ok(Unit::Byte)
        } else {
            Err(CommandError::Syntax)
        }
    }
}

/// A non-empty, inclusive range of bit positions inside a string: bit 0 is the most significant
/// bit of the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitRange {
    pub first: u64,
    pub last: u64,
}

impl BitRange {
    /// Every bit of a string of `len` bytes, or `None` for the empty string.
    pub fn whole(len: usize) -> Option<BitRange> {
        let bits = len as u64 * 8;
        (bits > 0).then(|| BitRange {
            first: 0,
            last: bits - 1,
        })
    }

    /// The range `start..=end`, counted in `unit`s, of a string of `len` bytes: negative
    /// indexes count from the end, both are clamped to the string, and a range that ends
    /// before it starts is `None` (Redis's index conversion in `bitcountCommand`).
    pub fn resolve(start: i64, end: i64, unit: Unit, len: usize) -> Option<BitRange> {
        let total = match unit {
            Unit::Byte => len as i64,
            Unit::Bit => len as i64 * 8,
        };
        let from_end = |index: i64| if index < 0 { total + index } else { index };
        let start = from_end(start).max(0);
        let end = from_end(end).max(0).min(total - 1);
        if start > end {
            return None;
        }
        let (start, end) = (start as u64, end as u64);
        Some(match unit {
            Unit::Byte => BitRange {
                first: start * 8,
                last: end * 8 + 7,
            },
            Unit::Bit => BitRange {
                first: start,
                last: end,
            },
        })
    }

    /// The bytes the range touches, and the bits of the first and of the last of them that lie
    /// outside it (as masks).
    fn span<'a>(&self, bytes: &'a [u8]) -> (&'a [u8], u8, u8) {
        let (first, last) = ((self.first / 8) as usize, (self.last / 8) as usize);
        let before = !(0xFF_u8 >> (self.first % 8));
        let after = 0x7F_u8 >> (self.last % 8);
        (&bytes[first..=last], before, after)
    }
}

/// The number of bits set in `bytes`, a word at a time.
fn popcount(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    let full: u64 = words
        .map(|word| u64::from(u64::from_ne_bytes(word.try_into().unwrap()).count_ones()))
        .sum();
    full + tail
}

/// The number of bits set in `range` of `bytes` (BITCOUNT).
pub fn count_ones(bytes: &[u8], range: BitRange) -> u64 {
    let (span, before, after) = range.span(bytes);
    let outside = (span[0] & before).count_ones() + (span[span.len() - 1] & after).count_ones();
    popcount(span) - u64::from(outside)
}

/// The position of the first bit equal to `bit` in `range` of `bytes`, if any (BITPOS).
pub fn first_bit(bytes: &[u8], range: BitRange, bit: bool) -> Option<u64> {
    let (span, before, after) = range.span(bytes);
    // Looking for a 0 is looking for a 1 in the complement; bits outside the range are cleared.
    let flip = if bit { 0 } else { 0xFF };
    let last = span.len() - 1;
    let byte_at = |i: usize| {
        let mut byte = span[i] ^ flip;
        if i == 0 {
            byte &= !before;
        }
        if i == last {
            byte &= !after;
        }
        byte
    };
    let base = range.first / 8 * 8;
    let position = |i: usize, byte: u8| base + i as u64 * 8 + u64::from(byte.leading_zeros());
    if byte_at(0) != 0 {
        return Some(position(0, byte_at(0)));
    }
    // The inner bytes hold no bit outside the range: whole big-endian words at a time.
    let inner = span.get(1..last).unwrap_or_default();
    let words = inner.chunks_exact(8);
    let tail_from = 1 + inner.len() - words.remainder().len();
    let flip_word = u64::from_ne_bytes([flip; 8]);
    for (n, word) in words.enumerate() {
        let word = u64::from_be_bytes(word.try_into().unwrap()) ^ flip_word;
        if word != 0 {
            let within = u64::from(word.leading_zeros());
            return Some(base + (1 + n as u64 * 8) * 8 + within);
        }
    }
    (tail_from..=last)
        .find(|&i| byte_at(i) != 0)
        .map(|i| position(i, byte_at(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: u64, last: u64) -> BitRange {
        BitRange { first, last }
    }

    /// The slow, obvious answer: bit by bit.
    fn bits(bytes: &[u8]) -> impl Iterator<Item = bool> + '_ {
        bytes
            .iter()
            .flat_map(|byte| (0..8).rev().map(move |i| byte >> i & 1 == 1))
    }

    #[test]
    fn indexes_convert_as_redis_does() {
        assert_eq!(BitRange::resolve(0, -1, Unit::Byte, 3), Some(range(0, 23)));
        assert_eq!(BitRange::resolve(1, 1, Unit::Byte, 3), Some(range(8, 15)));
        assert_eq!(
            BitRange::resolve(-100, 100, Unit::Byte, 3),
            Some(range(0, 23))
        );
        assert_eq!(BitRange::resolve(5, 30, Unit::Bit, 3), Some(range(5, 23)));
        assert_eq!(BitRange::resolve(-3, -1, Unit::Bit, 1), Some(range(5, 7)));
        assert_eq!(BitRange::resolve(2, 1, Unit::Byte, 3), None);
        assert_eq!(BitRange::resolve(0, 0, Unit::Byte, 0), None);
        assert_eq!(BitRange::resolve(i64::MAX, -1, Unit::Bit, 3), None);
        assert_eq!(BitRange::whole(0), None);
        assert_eq!(BitRange::whole(2), Some(range(0, 15)));
    }

    #[test]
    fn scans_agree_with_a_bit_by_bit_count() {
        let bytes: Vec<u8> = (0..40u32).map(|i| (i * 97 % 251) as u8).collect();
        let mut sparse = vec![0u8; 40];
        sparse[37] = 0b0001_0000;
        let mut dense = vec![0xFFu8; 40];
        dense[29] = 0b1111_1011;
        for data in [&bytes, &sparse, &dense] {
            let all: Vec<bool> = bits(data).collect();
            for (first, last) in [(0, 319), (3, 4), (7, 8), (9, 300), (100, 100), (13, 318)] {
                let r = range(first, last);
                let slice = &all[first as usize..=last as usize];
                let ones = slice.iter().filter(|&&b| b).count() as u64;
                assert_eq!(count_ones(data, r), ones, "count {first}..={last}");
                for bit in [true, false] {
                    let expected = slice.iter().position(|&b| b == bit);
                    let expected = expected.map(|p| p as u64 + first);
                    assert_eq!(first_bit(data, r, bit), expected, "{bit} {first}..={last}");
                }
            }
        }
    }
}
