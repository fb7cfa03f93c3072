//! Numbers as Redis reads and writes them. Clients depend on the exact rules: `INCR` on `" 1"` or
//! `"01"` must fail, and `INCRBYFLOAT` must print `10.6`, not `10.59999999999999964`.
//! [`LongDouble`] is the arithmetic `INCRBYFLOAT` needs for the latter.

mod long_double;

use std::fmt::Write as _;

pub use long_double::LongDouble;

/// Redis's `string2ll`: an optional `-`, then digits with no leading zero (except `0` itself), no
/// `+`, no blanks, within `i64`. Everything that names an integer argument uses it.
pub fn parse_i64(digits: &[u8]) -> Option<i64> {
    // Longer than any i64 (Redis's LONG_STR_SIZE is 21 including the NUL).
    if digits.is_empty() || digits.len() >= 21 {
        return None;
    }
    if digits == b"0" {
        return Some(0);
    }
    let (negative, rest) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    match rest.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &digit in rest {
        if !digit.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a floating-point argument as Redis's `getDoubleFromObject` / `string2ld` accept it:
/// what C's `strtod` reads (decimal, exponent, `inf`), with no leading blank, nothing left over,
/// and never NaN.
pub fn parse_f64(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    // Rust also accepts "nan"; strtod does too, but Redis rejects the result.
    if value.is_nan() {
        return None;
    }
    Some(value)
}

/// What C's `strtod` reads when it must read all of `text`: decimal, hexadecimal (`0x1p3`),
/// `inf`; no leading blank, never NaN. A decimal overflow reads as infinity and an underflow as
/// zero, as `strtod` returns them: what `zslParseRange` accepts for a score bound.
pub fn strtod(text: &[u8]) -> Option<f64> {
    parse_f64(text)
        // Rust's parser has no hexadecimal floats; `strtold`'s reading of them is near enough
        // (rounded to 64 bits first, then to 53).
        .or_else(|| LongDouble::parse(text).map(LongDouble::to_f64))
}

/// A double argument as Redis's `getDoubleFromObject` reads it (ZADD scores, weights, GEO
/// coordinates and radii): [`strtod`], refusing what it reports as `ERANGE`, an overflow to
/// infinity (unless the text says `inf`) or an underflow to zero (unless every digit is 0).
pub fn parse_double(text: &[u8]) -> Option<f64> {
    let value = strtod(text)?;
    let body = match text.first() {
        Some(b'-' | b'+') => &text[1..],
        _ => text,
    };
    let out_of_range = if value.is_infinite() {
        !(body.len() >= 3 && body[..3].eq_ignore_ascii_case(b"inf"))
    } else if value == 0.0 {
        let (digits, exponent_mark) = match body {
            [b'0', b'x' | b'X', hex @ ..] => (hex, b'p'),
            _ => (body, b'e'),
        };
        let mantissa = digits
            .split(|b| b.eq_ignore_ascii_case(&exponent_mark))
            .next()
            .unwrap_or_default();
        mantissa.iter().any(|&b| b.is_ascii_hexdigit() && b != b'0')
    } else {
        false
    };
    (!out_of_range).then_some(value)
}

/// Formats a double as Redis 7.0's `addReplyDouble` does: C's `%.17g`, with `inf` and `-inf`.
pub fn format_double(value: f64) -> String {
    DoubleBuf::new().format(value).to_string()
}

/// Formats doubles as `%.17g` without allocating: a ZRANGE WITHSCORES reply writes one per
/// member, so this is a hot path.
pub struct DoubleBuf {
    bytes: [u8; 32],
    len: usize,
}

impl DoubleBuf {
    pub fn new() -> Self {
        DoubleBuf {
            bytes: [0; 32],
            len: 0,
        }
    }

    /// The `%.17g` form of `value`, borrowed from this buffer.
    pub fn format(&mut self, value: f64) -> &str {
        self.len = 0;
        if value.is_nan() {
            self.push(b"nan");
        } else if value.is_infinite() {
            self.push(if value > 0.0 { b"inf" } else { b"-inf" });
        } else if value == 0.0 {
            self.push(if value.is_sign_negative() {
                b"-0"
            } else {
                b"0"
            });
        } else if value.fract() == 0.0 && value.abs() < 1e17 {
            // An integral double below 10^17 has at most 17 digits, all exact: `%.17g` prints
            // it as the integer it is. Scores are mostly such (counters, timestamps).
            let mut digits = IntBuf::new();
            let text = digits.format(value as i64);
            self.bytes[..text.len()].copy_from_slice(text);
            self.len = text.len();
        } else {
            self.general(value);
        }
        // Only ASCII digits, signs, points and exponents were written.
        std::str::from_utf8(&self.bytes[..self.len]).expect("ASCII")
    }

    /// `%.17g` by its definition: round to 17 significant digits (one exact `{:e}` formatting,
    /// which Rust does with Grisu and rarely needs its bignum fallback), then the exponent of the
    /// *rounded* value chooses fixed or scientific notation, and trailing zeros go.
    fn general(&mut self, value: f64) {
        let mut scientific = Self::new();
        write!(scientific, "{value:.16e}").expect("32 bytes hold any {:.16e}");
        let text = &scientific.bytes[..scientific.len];
        let (negative, text) = match text {
            [b'-', rest @ ..] => (true, rest),
            _ => (false, text),
        };
        let e_at = text
            .iter()
            .position(|&b| b == b'e')
            .expect("{:e} writes an exponent");
        let exponent: i32 = std::str::from_utf8(&text[e_at + 1..])
            .ok()
            .and_then(|e| e.parse().ok())
            .expect("{:e} writes a decimal exponent");
        // The 17 significant digits, without the point: `d.dddddddddddddddd`.
        let mut digits = [0u8; 17];
        digits[0] = text[0];
        digits[1..].copy_from_slice(&text[2..e_at]);
        let significant = digits
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(1, |at| at + 1);
        let digits = &digits[..significant];
        if negative {
            self.push(b"-");
        }
        if !(-4..17).contains(&exponent) {
            self.push(&digits[..1]);
            if digits.len() > 1 {
                self.push(b".");
                self.push(&digits[1..]);
            }
            self.push(if exponent < 0 { b"e-" } else { b"e+" });
            let magnitude = exponent.unsigned_abs();
            if magnitude < 10 {
                self.push(b"0");
            }
            let mut buf = IntBuf::new();
            let text = buf.format(i64::from(magnitude));
            self.bytes[self.len..self.len + text.len()].copy_from_slice(text);
            self.len += text.len();
        } else if exponent < 0 {
            self.push(b"0.");
            for _ in 0..(-exponent - 1) {
                self.push(b"0");
            }
            self.push(digits);
        } else {
            let integral = exponent as usize + 1;
            if digits.len() <= integral {
                self.push(digits);
                for _ in digits.len()..integral {
                    self.push(b"0");
                }
            } else {
                self.push(&digits[..integral]);
                self.push(b".");
                self.push(&digits[integral..]);
            }
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

impl Default for DoubleBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Write for DoubleBuf {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        if end > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.push(text.as_bytes());
        Ok(())
    }
}

/// Formats integers without allocating: the hot path writes `$<len>\r\n` for every bulk reply.
pub struct IntBuf {
    bytes: [u8; 20],
}

impl IntBuf {
    pub fn new() -> Self {
        IntBuf { bytes: [0; 20] }
    }

    /// The decimal form of `n`, borrowed from this buffer.
    pub fn format(&mut self, n: i64) -> &[u8] {
        let mut magnitude = n.unsigned_abs();
        let mut at = self.bytes.len();
        loop {
            at -= 1;
            self.bytes[at] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            if magnitude == 0 {
                break;
            }
        }
        if n < 0 {
            at -= 1;
            self.bytes[at] = b'-';
        }
        &self.bytes[at..]
    }
}

impl Default for IntBuf {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        for (text, expected) in [
            ("0", Some(0)),
            ("-1", Some(-1)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-0", None),
            ("01", None),
            ("+1", None),
            (" 1", None),
            ("1 ", None),
            ("", None),
            ("-", None),
            ("1.0", None),
        ] {
            assert_eq!(parse_i64(text.as_bytes()), expected, "{text:?}");
        }
    }

    #[test]
    fn integers_format_without_allocating() {
        let mut buf = IntBuf::new();
        for n in [0, 7, -7, 1234567890, i64::MIN, i64::MAX] {
            assert_eq!(buf.format(n), n.to_string().as_bytes());
        }
    }

    #[test]
    fn floats_parse_like_strtod_minus_nan() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1 "), None);
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b"abc"), None);
    }

    #[test]
    fn doubles_format_like_percent_17g() {
        for (value, expected) in [
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (100.0, "100"),
            (1e17, "1e+17"),
            (1.5e-5, "1.5e-05"),
            (1.0 / 3.0, "0.33333333333333331"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (f64::INFINITY, "inf"),
            (123456789.123, "123456789.123"),
            (-0.0, "-0"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (12.0, "12"),
            (-99999999999999984.0, "-99999999999999984"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e16 + 0.5, "10000000000000000"),
            (0.5, "0.5"),
            (1e-5, "1.0000000000000001e-05"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (0.00012345, "0.00012344999999999999"),
            (1234.5678, "1234.5678"),
        ] {
            assert_eq!(format_double(value), expected, "{value}");
        }
    }

    /// `%.17g` spelled out with `format!`, slowly: round to 17 digits, pick the notation by the
    /// rounded exponent, drop trailing zeros.
    fn percent_17g(value: f64) -> String {
        let scientific = format!("{value:.16e}");
        let (mantissa, exponent) = scientific.split_once('e').unwrap();
        let exponent: i32 = exponent.parse().unwrap();
        let trim = |text: &str| -> String {
            if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text.to_string()
            }
        };
        if !(-4..17).contains(&exponent) {
            let sign = if exponent < 0 { '-' } else { '+' };
            format!("{}e{sign}{:02}", trim(mantissa), exponent.abs())
        } else {
            let decimals = (16 - exponent) as usize;
            trim(&format!("{value:.decimals$}"))
        }
    }

    #[test]
    fn doubles_format_as_the_definition_of_percent_17g_at_random() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for i in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = match i % 3 {
                0 => f64::from_bits(state),
                1 => (state >> 11) as f64 / (1u64 << (state % 60)) as f64,
                _ => (state % 2_000_000) as f64 / 8.0 - 125_000.0,
            };
            if value.is_finite() && value != 0.0 {
                assert_eq!(format_double(value), percent_17g(value), "{value:e}");
            }
        }
    }
}
