//! Numbers as Redis reads and writes them. Clients depend on the exact rules: `INCR` on `" 1"` or
//! `"01"` must fail, and `INCRBYFLOAT` must print `10.6`, not `10.59999999999999964`.
//! [`LongDouble`] is the arithmetic `INCRBYFLOAT` needs for the latter.

mod long_double;

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
    if value.is_infinite() {
        return if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if value.is_nan() {
        return "nan".into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Round to 17 significant digits first: the exponent of the *rounded* value decides between
    // fixed and scientific notation, exactly as printf's %g does.
    let scientific = format!("{value:.16e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("{:e} always writes an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} writes a decimal exponent");
    if !(-4..17).contains(&exponent) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (16 - exponent) as usize;
        trim_fraction(&format!("{value:.decimals$}")).to_string()
    }
}

/// Drops trailing zeros after a decimal point, and the point itself if nothing follows it.
fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
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
        ] {
            assert_eq!(format_double(value), expected, "{value}");
        }
    }
}
