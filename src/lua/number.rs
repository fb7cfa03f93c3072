//! Lua's numbers as text, shared by the interpreter and every library: `tostring`'s C `%.14g`
//! ([`to_string`]), C's three float conversions `%f %e %g` that `string.format` also uses
//! ([`format_float`]), and Lua 5.1's number syntax ([`parse`], after `luaO_str2d`).
//!
//! Rust's float formatting is exact and rounds ties to even, as glibc's printf does, so the
//! digits come from `format!` and only the layout (exponent, trailing zeros) is C's, written here.

use super::value::{LuaStr, Value};

/// `tostring(n)`: C's `%.14g` (`LUA_NUMBER_FMT`).
pub fn to_string(n: f64) -> String {
    // Fast path: most numbers scripts print or concatenate are integers (counters, indexes,
    // `redis.call('SET', k, n)`), and `%.14g` writes an integer below 10^14 as its digits.
    // The general path runs Rust's exact float formatting (a bignum dragon), ~4000
    // instructions against ~100 here (callgrind). `-0` is excluded: `%.14g` writes it `-0`.
    if n.fract() == 0.0 && n.abs() < 1e14 && !(n == 0.0 && n.is_sign_negative()) {
        return (n as i64).to_string();
    }
    format_float(n, FloatStyle::General, 14, false)
}

/// The three ways C's printf writes a double.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatStyle {
    /// `%f`: `precision` digits after the point.
    Fixed,
    /// `%e`: one digit, the point, `precision` digits, `e±XX`.
    Exponent,
    /// `%g`: `precision` significant digits, `%e` or `%f` by the exponent, trailing zeros dropped.
    General,
}

/// A double as C's `%.<precision>f`, `%e` or `%g` write it (lowercase; `#` is `alternate`: keep
/// the point and, for `%g`, the trailing zeros). Negative numbers, `-0` and a NaN whose sign bit
/// is set start with `-`; infinities and NaNs are `inf` and `nan` as glibc prints them.
pub fn format_float(x: f64, style: FloatStyle, precision: usize, alternate: bool) -> String {
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_nan() {
        return format!("{sign}nan");
    }
    if x.is_infinite() {
        return format!("{sign}inf");
    }
    let body = match style {
        FloatStyle::Fixed => fixed(x.abs(), precision, alternate),
        FloatStyle::Exponent => exponent(x.abs(), precision, alternate),
        FloatStyle::General => general(x.abs(), precision, alternate),
    };
    format!("{sign}{body}")
}

fn fixed(x: f64, precision: usize, alternate: bool) -> String {
    let mut text = format!("{x:.precision$}");
    if alternate && precision == 0 {
        text.push('.');
    }
    text
}

fn exponent(x: f64, precision: usize, alternate: bool) -> String {
    let (mantissa, exp) = split_exponent(x, precision);
    let point = if alternate && precision == 0 { "." } else { "" };
    format!("{mantissa}{point}{}", c_exponent(exp))
}

/// C's `%g` (C99 7.19.6.1): with P significant digits (0 counts as 1) and X the exponent `%e`
/// would print, `%f` with P-1-X decimals if -4 <= X < P, else `%e` with P-1; then, unless `#`,
/// the trailing zeros of the fraction and a trailing point go.
fn general(x: f64, precision: usize, alternate: bool) -> String {
    let significant = precision.max(1);
    let (mantissa, exp) = split_exponent(x, significant - 1);
    let (digits, suffix) = if exp < -4 || exp >= significant as i32 {
        (mantissa, c_exponent(exp))
    } else {
        let decimals = (significant as i32 - 1 - exp) as usize;
        (format!("{x:.decimals$}"), String::new())
    };
    let digits = if alternate {
        with_point(digits)
    } else {
        strip_fraction_zeros(digits)
    };
    format!("{digits}{suffix}")
}

fn with_point(mut text: String) -> String {
    if !text.contains('.') {
        text.push('.');
    }
    text
}

/// Rust's `{:.*e}` of a non-negative finite `x`: its mantissa text and its decimal exponent.
fn split_exponent(x: f64, precision: usize) -> (String, i32) {
    let text = format!("{x:.precision$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    (mantissa.to_string(), exp.parse().unwrap_or(0))
}

/// C writes an exponent with a sign and at least two digits: `e+05`, `e-10`, `e+100`.
fn c_exponent(exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("e{sign}{:02}", exp.unsigned_abs())
}

fn strip_fraction_zeros(mut text: String) -> String {
    if text.contains('.') {
        let kept = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(kept);
    }
    text
}

/// `tonumber(s)` and arithmetic on strings, as `luaO_str2d`: what C's `strtod` reads (surrounding
/// whitespace, a sign, decimal with an optional exponent, hexadecimal `0x` with an optional
/// binary exponent, `inf`/`infinity`/`nan`), and nothing after it but whitespace. As in C, the
/// text ends at its first NUL byte. `"1e"`, `"0x"`, `""` and `"1 2"` are not numbers.
pub fn parse(text: &[u8]) -> Option<f64> {
    let text = match text.iter().position(|&b| b == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    let start = text.iter().position(|b| !is_c_space(*b))?;
    let (value, used) = strtod(&text[start..])?;
    if text[start + used..].iter().all(|b| is_c_space(*b)) {
        Some(value)
    } else {
        None
    }
}

/// C's `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The longest prefix of `text` that C's `strtod` reads as a number, and its length.
fn strtod(text: &[u8]) -> Option<(f64, usize)> {
    let (negative, after_sign) = match text.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let rest = &text[after_sign..];
    let (magnitude, used) = if let Some(hex) = strip_prefix_ignore_case(rest, b"0x") {
        match read_hex(hex) {
            Some((value, used)) => (value, 2 + used),
            // "0x" with no hex digit: strtod reads the "0" alone.
            None => (0.0, 1),
        }
    } else if let Some(used) = read_word(rest) {
        (
            if rest[0] | 0x20 == b'i' {
                f64::INFINITY
            } else {
                f64::NAN
            },
            used,
        )
    } else {
        read_decimal(rest)?
    };
    let value = if negative { -magnitude } else { magnitude };
    Some((value, after_sign + used))
}

fn strip_prefix_ignore_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `infinity`, `inf`, or `nan` with an optional `(n-char-sequence)`: the length read.
fn read_word(text: &[u8]) -> Option<usize> {
    if strip_prefix_ignore_case(text, b"infinity").is_some() {
        return Some(8);
    }
    if strip_prefix_ignore_case(text, b"inf").is_some() {
        return Some(3);
    }
    let after = strip_prefix_ignore_case(text, b"nan")?;
    if after.first() == Some(&b'(') {
        if let Some(close) = after.iter().position(|&b| b == b')') {
            if after[1..close]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                return Some(3 + close + 1);
            }
        }
    }
    Some(3)
}

/// Digits with an optional point (at least one digit) and an optional exponent, which is read
/// only when digits follow its `e` and sign.
fn read_decimal(text: &[u8]) -> Option<(f64, usize)> {
    let digits = |from: usize| {
        text[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let whole = digits(0);
    let mut end = whole;
    let mut fraction = 0;
    if text.get(end) == Some(&b'.') {
        fraction = digits(end + 1);
        end += 1 + fraction;
    }
    if whole + fraction == 0 {
        return None;
    }
    end += exponent_length(&text[end..], b'e', |b| b.is_ascii_digit());
    let number = std::str::from_utf8(&text[..end]).ok()?;
    Some((number.parse().ok()?, end))
}

/// The length of an exponent (`e+12`, `p-3`) at the start of `text`, or 0 if there is none.
fn exponent_length(text: &[u8], letter: u8, is_digit: fn(&u8) -> bool) -> usize {
    if text.first().map(|b| b | 0x20) != Some(letter) {
        return 0;
    }
    let signed = usize::from(matches!(text.get(1), Some(b'+' | b'-')));
    let count = text[1 + signed..]
        .iter()
        .take_while(|b| is_digit(b))
        .count();
    if count == 0 { 0 } else { 1 + signed + count }
}

/// Hex digits with an optional point (at least one digit) and an optional binary exponent.
fn read_hex(text: &[u8]) -> Option<(f64, usize)> {
    let mut value = 0.0f64;
    let mut scale = 0i32;
    let mut end = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    while let Some(&b) = text.get(end) {
        if let Some(digit) = (b as char).to_digit(16) {
            value = value * 16.0 + digit as f64;
            if seen_point {
                scale -= 4;
            }
            seen_digit = true;
        } else if b == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        end += 1;
    }
    if !seen_digit {
        return None;
    }
    let exp_len = exponent_length(&text[end..], b'p', |b| b.is_ascii_digit());
    if exp_len > 0 {
        let exp: i32 = std::str::from_utf8(&text[end + 1..end + exp_len])
            .ok()?
            .parse()
            .unwrap_or(if text[end + 1] == b'-' {
                -100_000
            } else {
                100_000
            });
        scale = scale.saturating_add(exp);
        end += exp_len;
    }
    Some((value * 2f64.powi(scale), end))
}

/// Arithmetic's coercion: a number, or a string that reads as one.
pub fn coerce_to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Str(s) => parse(s.as_bytes()),
        _ => None,
    }
}

/// Concatenation's coercion: a string, or a number formatted as `tostring` does.
pub fn coerce_to_string(value: &Value) -> Option<LuaStr> {
    match value {
        Value::Str(s) => Some(s.clone()),
        Value::Number(n) => Some(LuaStr::from(to_string(*n))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tostring_is_percent_14g() {
        let cases: &[(f64, &str)] = &[
            (3.0, "3"),
            (0.1, "0.1"),
            (1e15, "1e+15"),
            (1e14, "1e+14"),
            (123456789012345.0, "1.2345678901234e+14"),
            (99999999999999.0, "99999999999999"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (-0.0, "-0"),
            (0.0, "0"),
            (2f64.powi(53), "9.007199254741e+15"),
            (1e100, "1e+100"),
            (-1.5, "-1.5"),
            (1.0 / 3.0, "0.33333333333333"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "-nan"),
            (5e-324, "4.9406564584125e-324"),
        ];
        for (n, text) in cases {
            assert_eq!(to_string(*n), *text, "{n:?}");
        }
    }

    #[test]
    fn float_styles_follow_printf() {
        assert_eq!(format_float(1.23456, FloatStyle::Fixed, 2, false), "1.23");
        assert_eq!(format_float(2.5, FloatStyle::Fixed, 0, false), "2");
        assert_eq!(format_float(2.0, FloatStyle::Fixed, 0, true), "2.");
        assert_eq!(
            format_float(12345.678, FloatStyle::Exponent, 3, false),
            "1.235e+04"
        );
        assert_eq!(format_float(0.0, FloatStyle::Exponent, 0, true), "0.e+00");
        assert_eq!(
            format_float(0.0001234, FloatStyle::General, 3, false),
            "0.000123"
        );
        assert_eq!(
            format_float(100000.0, FloatStyle::General, 6, false),
            "100000"
        );
        assert_eq!(format_float(1e6, FloatStyle::General, 6, false), "1e+06");
        assert_eq!(format_float(1.5, FloatStyle::General, 6, true), "1.50000");
        assert_eq!(format_float(9.9999, FloatStyle::General, 2, false), "10");
        assert_eq!(format_float(0.5, FloatStyle::General, 0, false), "0.5");
    }

    #[test]
    fn parse_follows_str2d() {
        let numbers: &[(&str, f64)] = &[
            ("12", 12.0),
            ("  12  ", 12.0),
            (" 0x1F ", 31.0),
            ("0X10", 16.0),
            ("-0x10", -16.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e5", 1e5),
            ("1E+2", 100.0),
            ("-2.5e-3", -0.0025),
            ("0x1p4", 16.0),
            ("0x.8", 0.5),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("12\0junk", 12.0),
        ];
        for (text, n) in numbers {
            assert_eq!(parse(text.as_bytes()), Some(*n), "{text:?}");
        }
        assert!(parse(b"nan").is_some_and(f64::is_nan));
        for text in [
            "", " ", "1e", "1e+", "0x", "1 2", "abc", ".", "-", "0x1g", "1..2", "1_0",
        ] {
            assert_eq!(parse(text.as_bytes()), None, "{text:?}");
        }
    }
}
