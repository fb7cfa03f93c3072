//! Stream entry IDs (`1526919030474-55`): a millisecond time and a sequence number, 128 bits
//! ordered as the pair, and the text forms commands accept (Redis's `streamParseID` family).

use std::fmt;

use crate::number;

/// An entry ID: ordered by `ms`, then `seq`, as Redis compares them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

/// What an ID argument said, beyond the ID: `ms-*` leaves the sequence to the server (XADD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedId {
    pub id: StreamId,
    /// False for `ms-*`: the sequence is to be chosen (`id.seq` is then 0).
    pub seq_given: bool,
}

impl StreamId {
    /// `0-0`, below every entry: no stream holds it.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`, the last ID a stream can ever hold.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The ID right after this one (Redis's `streamIncrID`), or `None` past [`StreamId::MAX`].
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The ID right before this one (Redis's `streamDecrID`), or `None` below `0-0`.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    /// Parses `ms-seq`, `ms` (the sequence then `missing_seq`: 0 for a range's start,
    /// `u64::MAX` for its end), and unless `strict`, `-` and `+` for the smallest and largest
    /// IDs (Redis's `streamGenericParseIDOrReply`). `ms-*` is accepted only if `allow_auto_seq`
    /// (XADD). The numbers are read as `strtoull` reads them for Redis's `string2ull`: decimal
    /// digits only, no sign, no spaces, at most `u64::MAX`.
    pub fn parse(
        arg: &[u8],
        missing_seq: u64,
        strict: bool,
        allow_auto_seq: bool,
    ) -> Option<ParsedId> {
        let given = |id| {
            Some(ParsedId {
                id,
                seq_given: true,
            })
        };
        if !strict && arg.len() == 1 {
            match arg[0] {
                b'-' => return given(StreamId::MIN),
                b'+' => return given(StreamId::MAX),
                _ => {}
            }
        }
        // Redis copies the argument into a 128-byte buffer first, and refuses longer ones.
        if arg.len() > 127 {
            return None;
        }
        match arg.iter().position(|&b| b == b'-') {
            None => given(StreamId::new(parse_u64(arg)?, missing_seq)),
            Some(dash) => {
                let ms = parse_u64(&arg[..dash])?;
                let seq = &arg[dash + 1..];
                if allow_auto_seq && seq == b"*" {
                    return Some(ParsedId {
                        id: StreamId::new(ms, 0),
                        seq_given: false,
                    });
                }
                given(StreamId::new(ms, parse_u64(seq)?))
            }
        }
    }

    /// The 16 bytes Redis keys its radix tree with (and RDB files store): both halves big
    /// endian, so byte order is ID order.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&self.ms.to_be_bytes());
        bytes[8..].copy_from_slice(&self.seq.to_be_bytes());
        bytes
    }

    pub fn from_be_bytes(bytes: [u8; 16]) -> StreamId {
        let (ms, seq) = bytes.split_at(8);
        StreamId::new(
            u64::from_be_bytes(ms.try_into().expect("8 bytes")),
            u64::from_be_bytes(seq.try_into().expect("8 bytes")),
        )
    }
}

/// `ms-seq`, as every reply writes an ID.
impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An unsigned decimal as Redis's `string2ull` reads it: `string2ll` first (negative refused),
/// then C's `strtoull` on all of the text, which also takes leading spaces, a `+`, leading
/// zeros, and a `-` that wraps (`-05` is 2^64 - 5); overflow is refused.
fn parse_u64(text: &[u8]) -> Option<u64> {
    if let Some(n) = number::parse_i64(text) {
        return u64::try_from(n).ok();
    }
    let start = text
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let (negative, digits) = match &text[start..] {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().try_fold(0u64, |value, &d| {
        value.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<StreamId> {
        StreamId::parse(text.as_bytes(), 0, false, false).map(|p| p.id)
    }

    #[test]
    fn ids_parse_as_redis_reads_them() {
        assert_eq!(parse("1-2"), Some(StreamId::new(1, 2)));
        assert_eq!(parse("5"), Some(StreamId::new(5, 0)));
        assert_eq!(parse("-"), Some(StreamId::MIN));
        assert_eq!(parse("+"), Some(StreamId::MAX));
        assert_eq!(
            parse("18446744073709551615-18446744073709551615"),
            Some(StreamId::MAX)
        );
        // strtoull's leniency, as Redis inherits it.
        assert_eq!(parse("+1"), Some(StreamId::new(1, 0)));
        assert_eq!(parse(" 01-2"), Some(StreamId::new(1, 2)));
        assert_eq!(parse("1--05"), Some(StreamId::new(1, u64::MAX - 4)));
        for bad in [
            "",
            "a",
            "1-",
            "-1",
            "1-a",
            "1-2-3",
            "1 ",
            "1--5",
            "18446744073709551616",
            "1-*",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(StreamId::parse(b"-", 0, true, false), None);
        let end = StreamId::parse(b"7", u64::MAX, false, false).unwrap().id;
        assert_eq!(end, StreamId::new(7, u64::MAX));
    }

    #[test]
    fn xadd_may_leave_the_sequence_to_the_server() {
        let auto = StreamId::parse(b"5-*", 0, true, true).unwrap();
        assert_eq!(auto.id, StreamId::new(5, 0));
        assert!(!auto.seq_given);
        assert!(StreamId::parse(b"5-3", 0, true, true).unwrap().seq_given);
    }

    #[test]
    fn neighbours_carry_across_the_halves() {
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
    }

    #[test]
    fn the_byte_form_sorts_as_ids_do() {
        let (a, b) = (StreamId::new(1, u64::MAX), StreamId::new(2, 0));
        assert!(a.to_be_bytes() < b.to_be_bytes());
        assert_eq!(StreamId::from_be_bytes(b.to_be_bytes()), b);
        assert_eq!(a.to_string(), "1-18446744073709551615");
    }
}
