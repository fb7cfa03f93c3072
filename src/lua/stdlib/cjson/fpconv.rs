//! Numbers as lua-cjson writes and reads them (its `fpconv.c`): `%.<precision>g` on the way out,
//! C's `strtod` on the way in, which reads the longest prefix that is a number, including the
//! forms JSON forbids (`0x1F`, `inf`, `nan`, `+1`, leading zeros).

/// C's `printf("%.<precision>g", n)`: the shortest of `%e` and `%f` at `precision` significant
/// digits, trailing zeros dropped (`0.1`, `1e+300`, `9.007199254741e+15`, `-0`, `inf`, `nan`).
pub fn format_g(n: f64, precision: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let precision = precision.max(1);
    // The exponent `%e` would print, after rounding to `precision` digits, decides the style.
    let scientific = format!("{:.*e}", precision - 1, n);
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    if exponent < -4 || exponent >= precision as i32 {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            strip_fraction_zeros(mantissa),
            exponent.abs()
        )
    } else {
        let decimals = (precision as i32 - 1 - exponent) as usize;
        strip_fraction_zeros(&format!("{n:.decimals$}")).to_string()
    }
}

/// `1.2300` → `1.23`, `5.000` → `5` (what `%g` does without the `#` flag).
fn strip_fraction_zeros(digits: &str) -> &str {
    if digits.contains('.') {
        digits.trim_end_matches('0').trim_end_matches('.')
    } else {
        digits
    }
}

/// C's `strtod` over `text`: the number its longest numeric prefix reads as and that prefix's
/// length, or `None` when it starts with no number at all.
pub fn strtod(text: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let mut pos = 0;
    let negative = match at(0) {
        b'-' => {
            pos = 1;
            true
        }
        b'+' => {
            pos = 1;
            false
        }
        _ => false,
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &text[pos.min(text.len())..];
    if let Some(len) = special_word(rest, b"infinity").or_else(|| special_word(rest, b"inf")) {
        return Some((sign * f64::INFINITY, pos + len));
    }
    if let Some(len) = special_word(rest, b"nan") {
        return Some((sign * f64::NAN, pos + len + nan_payload_len(&rest[len..])));
    }
    if at(pos) == b'0' && at(pos + 1) | 0x20 == b'x' {
        if let Some((value, len)) = hex_float(&text[pos + 2..]) {
            return Some((sign * value, pos + 2 + len));
        }
    }
    let end = decimal_len(text, pos)?;
    let digits = std::str::from_utf8(&text[..end]).ok()?;
    Some((digits.parse().ok()?, end))
}

/// The length of `word` at the start of `text`, case-insensitively.
fn special_word(text: &[u8], word: &[u8]) -> Option<usize> {
    let candidate = text.get(..word.len())?;
    candidate.eq_ignore_ascii_case(word).then_some(word.len())
}

/// `nan(chars)`: strtod also consumes a parenthesised payload of letters, digits and `_`.
fn nan_payload_len(text: &[u8]) -> usize {
    if text.first() != Some(&b'(') {
        return 0;
    }
    let inner = text[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    if text.get(1 + inner) == Some(&b')') {
        inner + 2
    } else {
        0
    }
}

/// The end of a decimal number starting at `start` (after the sign): digits, an optional
/// fraction, an optional exponent that is only taken when digits follow it.
fn decimal_len(text: &[u8], start: usize) -> Option<usize> {
    let digits_from = |from: usize| {
        text[from.min(text.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut pos = start;
    let integer_digits = digits_from(pos);
    pos += integer_digits;
    let mut fraction_digits = 0;
    if text.get(pos) == Some(&b'.') {
        fraction_digits = digits_from(pos + 1);
        if integer_digits + fraction_digits > 0 {
            pos += 1 + fraction_digits;
        }
    }
    if integer_digits + fraction_digits == 0 {
        return None;
    }
    if matches!(text.get(pos), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(text.get(pos + 1), Some(b'+' | b'-')));
        let exponent_digits = digits_from(pos + 1 + sign);
        if exponent_digits > 0 {
            pos += 1 + sign + exponent_digits;
        }
    }
    Some(pos)
}

/// The hexadecimal form after `0x`: hex digits with an optional fraction and an optional binary
/// exponent (`p-3`). `None` without a digit, in which case strtod reads just the `0`.
fn hex_float(text: &[u8]) -> Option<(f64, usize)> {
    let mut value = 0.0f64;
    let mut scale = 0i32;
    let mut pos = 0;
    let mut any_digit = false;
    while let Some(digit) = text.get(pos).and_then(|c| (*c as char).to_digit(16)) {
        value = value * 16.0 + f64::from(digit);
        any_digit = true;
        pos += 1;
    }
    if text.get(pos) == Some(&b'.') {
        let mut fraction = pos + 1;
        while let Some(digit) = text.get(fraction).and_then(|c| (*c as char).to_digit(16)) {
            value = value * 16.0 + f64::from(digit);
            scale -= 4;
            any_digit = true;
            fraction += 1;
        }
        if any_digit {
            pos = fraction;
        }
    }
    if !any_digit {
        return None;
    }
    if matches!(text.get(pos), Some(b'p' | b'P')) {
        let sign_len = usize::from(matches!(text.get(pos + 1), Some(b'+' | b'-')));
        let digits: Vec<u8> = text[(pos + 1 + sign_len).min(text.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .copied()
            .collect();
        if !digits.is_empty() {
            let magnitude: i32 = std::str::from_utf8(&digits)
                .ok()
                .and_then(|d| d.parse().ok())
                .unwrap_or(i32::MAX / 2);
            let negative = text.get(pos + 1) == Some(&b'-');
            scale = scale.saturating_add(if negative { -magnitude } else { magnitude });
            pos += 1 + sign_len + digits.len();
        }
    }
    Some((value * 2f64.powi(scale), pos))
}

#[cfg(test)]
mod tests {
    use super::{format_g, strtod};

    #[test]
    fn percent_g_as_c_prints_it() {
        let cases: [(f64, usize, &str); 14] = [
            (0.1, 14, "0.1"),
            (1e300, 14, "1e+300"),
            (2f64.powi(53), 14, "9.007199254741e+15"),
            (-0.0, 14, "-0"),
            (100.0, 14, "100"),
            (1023.2, 14, "1023.2"),
            (0.0003, 14, "0.0003"),
            (0.00001, 14, "1e-05"),
            (123456789012345.0, 14, "1.2345678901234e+14"),
            (12345678901234.0, 14, "12345678901234"),
            (1.23456, 3, "1.23"),
            (1.0 / 3.0, 14, "0.33333333333333"),
            (f64::INFINITY, 14, "inf"),
            (f64::NEG_INFINITY, 14, "-inf"),
        ];
        for (n, precision, expected) in cases {
            assert_eq!(format_g(n, precision), expected, "{n} at {precision}");
        }
    }

    #[test]
    fn strtod_reads_the_longest_prefix() {
        assert_eq!(strtod(b"-5e3,"), Some((-5000.0, 4)));
        assert_eq!(strtod(b"1e"), Some((1.0, 1)));
        assert_eq!(strtod(b"1.5e+2]"), Some((150.0, 6)));
        assert_eq!(strtod(b"0x10"), Some((16.0, 4)));
        assert_eq!(strtod(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod(b"01"), Some((1.0, 2)));
        assert_eq!(strtod(b"+1"), Some((1.0, 2)));
        assert_eq!(strtod(b"-Infinity"), Some((f64::NEG_INFINITY, 9)));
        assert_eq!(strtod(b"infx"), Some((f64::INFINITY, 3)));
        assert!(strtod(b"nan").unwrap().0.is_nan());
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b"-."), None);
        assert_eq!(strtod(b"x"), None);
        assert_eq!(strtod(b""), None);
    }
}
