//! C's `long double` on x86-64 (the x87 80-bit format), in software: the type Redis computes
//! `INCRBYFLOAT` in. Only what that command needs: parse as glibc's `strtold`, add, and print
//! as `printf("%.17Lf")`, each correctly rounded (to nearest, ties to even), as the hardware and
//! glibc do.
//!
//! # Why not `f64`
//! The result is printed with 17 decimals. A `long double` carries 64 significant bits, so the
//! binary rounding of `0.1 + 0.2` sits far below the 17th decimal and Redis prints `0.3`; in an
//! `f64` it sits at the 17th significant digit (`0.30000000000000004`). No formatting trick on an
//! `f64` recovers what Redis prints in every case (`1.23456789012345678` has 18 significant
//! digits; `1e400` is beyond `f64` but a valid `long double`), so this is the arithmetic itself.
//!
//! # The format
//! A finite value is `mantissa × 2^exponent` with a 64-bit mantissa: normal numbers have its top
//! bit set; subnormals (and zero) have the smallest exponent and a smaller mantissa.

use std::cmp::Ordering;

/// The exponent of a subnormal's last bit: the smallest positive value is `2^-16445`.
const MIN_EXPONENT: i32 = -16445;
/// The largest exponent of a 64-bit mantissa: the largest value is just below `2^16384`.
const MAX_EXPONENT: i32 = 16383 - 63;
/// Redis refuses longer inputs (`MAX_LONG_DOUBLE_CHARS`, its buffer for `strtold`).
const MAX_CHARS: usize = 5 * 1024;
/// Decimals printed by `%.17Lf`, Redis's "human" format.
const DECIMALS: u32 = 17;

/// A `long double`: a sign, and `(mantissa, exponent)` for a finite value (see the module
/// documentation) or `None` for infinity. NaN is never produced: Redis refuses it everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    finite: Option<(u64, i32)>,
}

impl LongDouble {
    /// +0, what `INCRBYFLOAT` starts from when the key is missing.
    pub const ZERO: LongDouble = LongDouble::zero(false);

    const fn zero(negative: bool) -> LongDouble {
        LongDouble {
            negative,
            finite: Some((0, MIN_EXPONENT)),
        }
    }

    fn infinity(negative: bool) -> LongDouble {
        LongDouble {
            negative,
            finite: None,
        }
    }

    fn is_zero(self) -> bool {
        matches!(self.finite, Some((0, _)))
    }

    /// Reads a number as Redis's `string2ld` does: what `strtold` reads in the C locale (decimal
    /// with an optional exponent, hexadecimal `0x1.8p3`, `inf`, `infinity`), all of the text, no
    /// leading blank, no NaN, and neither overflow nor underflow to zero (`ERANGE`).
    pub fn parse(text: &[u8]) -> Option<LongDouble> {
        // C's isspace: space, \t, \n, \v, \f, \r.
        if text.is_empty() || text.len() >= MAX_CHARS || matches!(text[0], b' ' | b'\t'..=b'\r') {
            return None;
        }
        let (negative, body) = match text[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::infinity(negative));
        }
        let (value, exact_zero) = match body {
            [b'0', b'x' | b'X', hex @ ..] if !hex.is_empty() => parse_hex(negative, hex)?,
            _ => parse_decimal(negative, body)?,
        };
        let out_of_range = value.finite.is_none() || (value.is_zero() && !exact_zero);
        (!out_of_range).then_some(value)
    }

    /// The nearest `f64` (infinity beyond its range): for uses that need no more precision,
    /// such as a timeout in milliseconds.
    pub fn to_f64(self) -> f64 {
        let magnitude = match self.finite {
            Some((mantissa, exponent)) => mantissa as f64 * 2f64.powi(exponent),
            None => f64::INFINITY,
        };
        if self.negative { -magnitude } else { magnitude }
    }

    /// Whether the value is finite (not `inf`).
    pub fn is_finite(self) -> bool {
        self.finite.is_some()
    }

    /// The sum, or `None` if it is not finite (Redis's "increment would produce NaN or
    /// Infinity").
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        let ((m1, e1), (m2, e2)) = (self.finite?, other.finite?);
        if m2 == 0 {
            return Some(if m1 == 0 {
                LongDouble::zero(self.negative && other.negative)
            } else {
                self
            });
        }
        if m1 == 0 {
            return Some(other);
        }
        // `a` has the larger exponent, hence (both being normalized) the larger magnitude unless
        // the exponents are equal.
        let ((a, ea, a_negative), (b, eb, b_negative)) = if e1 >= e2 {
            ((m1, e1, self.negative), (m2, e2, other.negative))
        } else {
            ((m2, e2, other.negative), (m1, e1, self.negative))
        };
        // 62 guard bits below each mantissa. The bits of `b` shifted out of them are folded into
        // its last bit ("jamming"): far below the rounding position, it only says "something
        // nonzero was here", which is all rounding needs, for sums and differences alike.
        let wide_a = u128::from(a) << 62;
        let wide_b = u128::from(b) << 62;
        let shift = (ea - eb) as u32;
        let aligned_b = match wide_b.checked_shr(shift) {
            Some(kept) => kept | u128::from(kept << shift != wide_b),
            None => 1,
        };
        let exponent = ea - 62;
        let sum = if a_negative == b_negative {
            round(a_negative, wide_a + aligned_b, exponent, false)
        } else {
            match wide_a.cmp(&aligned_b) {
                Ordering::Greater => round(a_negative, wide_a - aligned_b, exponent, false),
                Ordering::Less => round(b_negative, aligned_b - wide_a, exponent, false),
                // x - x is +0 when rounding to nearest.
                Ordering::Equal => LongDouble::zero(false),
            }
        };
        sum.finite.is_some().then_some(sum)
    }

    /// The text Redis stores for an `INCRBYFLOAT` result (`ld2string` in `LD_STR_HUMAN` mode):
    /// `%.17Lf`, trailing zeros and a bare point removed, and `-0` written `0`.
    pub fn to_human_string(self) -> String {
        let Some((mantissa, exponent)) = self.finite else {
            return if self.negative { "-inf" } else { "inf" }.into();
        };
        let mut text = String::new();
        if self.negative {
            text.push('-');
        }
        if exponent >= 0 {
            // An integer: the 17 decimals are zeros, trimmed away.
            let mut big = Big::from_u128(u128::from(mantissa));
            big.shift_left(exponent as u32);
            text.push_str(&big.to_decimal());
        } else {
            // mantissa × 10^17 / 2^-exponent, rounded half to even: the digits %.17Lf prints.
            let scaled = u128::from(mantissa) * 10u128.pow(DECIMALS);
            let shift = exponent.unsigned_abs();
            let digits = match scaled.checked_shr(shift) {
                Some(quotient) => {
                    let remainder = scaled - (quotient << shift);
                    let half = 1u128 << (shift - 1);
                    let odd = quotient & 1 == 1;
                    quotient + u128::from(remainder > half || (remainder == half && odd))
                }
                // Below 2^-128 × 2^121: less than half of the last decimal.
                None => 0,
            };
            let digits = format!("{digits:0>width$}", width = DECIMALS as usize + 1);
            let (whole, fraction) = digits.split_at(digits.len() - DECIMALS as usize);
            text.push_str(whole);
            let fraction = fraction.trim_end_matches('0');
            if !fraction.is_empty() {
                text.push('.');
                text.push_str(fraction);
            }
        }
        if text == "-0" { "0".into() } else { text }
    }
}

/// Rounds `(significand + ε) × 2^exponent` to a `LongDouble`, where `ε`, between 0 and 1, is
/// nonzero exactly when `sticky` is set (callers set it only with a nonzero significand). Overflow gives infinity; values too small for the
/// smallest subnormal round to it or to zero.
fn round(negative: bool, significand: u128, exponent: i32, sticky: bool) -> LongDouble {
    if significand == 0 {
        return LongDouble::zero(negative);
    }
    let bits = 128 - significand.leading_zeros() as i32;
    // Keep 64 bits, or fewer where the exponent would fall below the subnormal range.
    let shift = (bits - 64).max(MIN_EXPONENT - exponent);
    let (mut mantissa, mut exponent) = if shift <= 0 {
        // Exact: every caller passes at least 65 bits whenever `sticky` is set.
        (significand << -shift, exponent + shift)
    } else {
        let shift = shift as u32;
        let (kept, round_bit, below) = match shift {
            1..=127 => (
                significand >> shift,
                (significand >> (shift - 1)) & 1 == 1,
                significand & ((1 << (shift - 1)) - 1) != 0,
            ),
            128 => (0, significand >> 127 == 1, significand << 1 != 0),
            _ => (0, false, significand != 0),
        };
        let up = round_bit && (below || sticky || kept & 1 == 1);
        (kept + u128::from(up), exponent + shift as i32)
    };
    if mantissa == 1 << 64 {
        mantissa >>= 1;
        exponent += 1;
    }
    if exponent > MAX_EXPONENT {
        return LongDouble::infinity(negative);
    }
    LongDouble {
        negative,
        finite: Some((mantissa as u64, exponent)),
    }
}

/// `[digits][.digits][(e|E)[sign]digits]`, all of it. Returns the value and whether the text was
/// an exact zero (as opposed to a tiny number that rounds to zero).
fn parse_decimal(negative: bool, text: &[u8]) -> Option<(LongDouble, bool)> {
    let mut significant = Vec::new();
    let mut exponent: i64 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut rest = text;
    while let Some((&byte, tail)) = rest.split_first() {
        match byte {
            b'0'..=b'9' => {
                seen_digit = true;
                // Leading zeros carry no information.
                if byte != b'0' || !significant.is_empty() {
                    significant.push(byte - b'0');
                }
                if seen_point {
                    exponent -= 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        rest = tail;
    }
    if !seen_digit {
        return None;
    }
    // Anything this large overflows or underflows whatever the digits are.
    exponent += exponent_suffix(rest, b'e', 1 << 40)?;
    // Drop trailing zeros of the digits into the exponent.
    while significant.last() == Some(&0) {
        significant.pop();
        exponent += 1;
    }
    if significant.is_empty() {
        return Some((LongDouble::zero(negative), true));
    }
    // value = 0.d1d2... × 10^magnitude, so 10^(magnitude-1) <= value < 10^magnitude.
    let magnitude = significant.len() as i64 + exponent;
    if magnitude > 4933 {
        // At least 10^4933, beyond the largest value (about 1.19e4932).
        return Some((LongDouble::infinity(negative), false));
    }
    if magnitude <= -4951 {
        // Below 10^-4951: less than half the smallest subnormal (about 3.65e-4951).
        return Some((LongDouble::zero(negative), false));
    }
    let mut numerator = Big::from_digits(&significant);
    let mut denominator = Big::from_u128(1);
    if exponent >= 0 {
        numerator.multiply_by_power_of_10(exponent as u32);
    } else {
        denominator.multiply_by_power_of_10(exponent.unsigned_abs() as u32);
    }
    let (quotient, exponent, inexact) = numerator.ratio(denominator);
    Some((round(negative, quotient, exponent, inexact), false))
}

/// The part after `0x`: `hexdigits[.hexdigits][(p|P)[sign]digits]`, all of it.
fn parse_hex(negative: bool, text: &[u8]) -> Option<(LongDouble, bool)> {
    let mut significand: u128 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut rest = text;
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(digit) = char::from(byte).to_digit(16) {
            seen_digit = true;
            // 124 bits are more than enough to round to 64; later digits only need to be known
            // to be nonzero.
            if significand >> 124 == 0 {
                significand = (significand << 4) | u128::from(digit);
                if seen_point {
                    exponent -= 4;
                }
            } else {
                sticky |= digit != 0;
                if !seen_point {
                    exponent += 4;
                }
            }
        } else {
            break;
        }
        rest = tail;
    }
    if !seen_digit {
        return None;
    }
    exponent += exponent_suffix(rest, b'p', 1 << 20)?;
    if significand == 0 {
        return Some((LongDouble::zero(negative), true));
    }
    // Far outside the range either way; clamping keeps the arithmetic in `round` small.
    let exponent = exponent.clamp(-100_000, 100_000) as i32;
    Some((round(negative, significand, exponent, sticky), false))
}

/// An unsigned integer of any size, little-endian in 64-bit words: just what exact decimal
/// conversion needs.
struct Big(Vec<u64>);

/// 10^19, the largest power of 10 in a 64-bit word.
const TEN_POW_19: u64 = 10_000_000_000_000_000_000;

impl Big {
    fn from_u128(n: u128) -> Big {
        let mut big = Big(vec![n as u64, (n >> 64) as u64]);
        big.trim();
        big
    }

    /// Drops leading zero words, so that comparing lengths compares magnitudes.
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// The number whose decimal digits (values 0–9) these are.
    fn from_digits(digits: &[u8]) -> Big {
        let mut big = Big(Vec::new());
        for chunk in digits.chunks(19) {
            let value = chunk.iter().fold(0, |n, &d| n * 10 + u64::from(d));
            big.multiply_add(10u64.pow(chunk.len() as u32), value);
        }
        big
    }

    /// self = self × factor + addend.
    fn multiply_add(&mut self, factor: u64, addend: u64) {
        let mut carry = u128::from(addend);
        for word in &mut self.0 {
            let product = u128::from(*word) * u128::from(factor) + carry;
            *word = product as u64;
            carry = product >> 64;
        }
        if carry != 0 {
            self.0.push(carry as u64);
        }
    }

    fn multiply_by_power_of_10(&mut self, mut power: u32) {
        while power > 0 {
            let step = power.min(19);
            self.multiply_add(10u64.pow(step), 0);
            power -= step;
        }
    }

    fn bit_length(&self) -> u32 {
        match self.0.last() {
            Some(&top) => self.0.len() as u32 * 64 - top.leading_zeros(),
            None => 0,
        }
    }

    fn shift_left(&mut self, bits: u32) {
        if self.0.is_empty() {
            return;
        }
        let (words, bits) = ((bits / 64) as usize, bits % 64);
        if bits > 0 {
            let mut carry = 0;
            for word in &mut self.0 {
                let shifted = (u128::from(*word) << bits) | carry;
                *word = shifted as u64;
                carry = shifted >> 64;
            }
            if carry != 0 {
                self.0.push(carry as u64);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, words));
    }

    fn compare(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// self -= other, for `other <= self`.
    fn subtract(&mut self, other: &Big) {
        let mut borrow = false;
        for (i, word) in self.0.iter_mut().enumerate() {
            let (difference, under) = word.overflowing_sub(other.0.get(i).copied().unwrap_or(0));
            let (difference, under_again) = difference.overflowing_sub(u64::from(borrow));
            *word = difference;
            borrow = under || under_again;
        }
        self.trim();
    }

    /// `self / divisor` as `quotient × 2^exponent`, the quotient of 66 or 67 bits (at least two
    /// below the 64 kept, which with the remainder as sticky bit is enough to round correctly),
    /// and whether there is a remainder. Long division one bit at a time, after lining the two
    /// numbers up so that the first quotient bit is 0 or 1.
    fn ratio(mut self, mut divisor: Big) -> (u128, i32, bool) {
        const STEPS: u32 = 67;
        let gap = i64::from(self.bit_length()) - i64::from(divisor.bit_length());
        if gap > 0 {
            divisor.shift_left(gap as u32);
        } else {
            self.shift_left(gap.unsigned_abs() as u32);
        }
        let mut quotient = 0u128;
        for step in 0..STEPS {
            if step > 0 {
                self.shift_left(1);
            }
            quotient <<= 1;
            if self.compare(&divisor) != Ordering::Less {
                self.subtract(&divisor);
                quotient |= 1;
            }
        }
        let exponent = gap as i32 - (STEPS as i32 - 1);
        (quotient, exponent, !self.0.is_empty())
    }

    fn to_decimal(&self) -> String {
        let mut words = self.0.clone();
        let mut chunks = Vec::new();
        while !words.is_empty() {
            let mut remainder = 0u128;
            for word in words.iter_mut().rev() {
                let current = (remainder << 64) | u128::from(*word);
                *word = (current / u128::from(TEN_POW_19)) as u64;
                remainder = current % u128::from(TEN_POW_19);
            }
            chunks.push(remainder as u64);
            while words.last() == Some(&0) {
                words.pop();
            }
        }
        let mut text = chunks.pop().map_or("0".into(), |top| top.to_string());
        for chunk in chunks.iter().rev() {
            text.push_str(&format!("{chunk:019}"));
        }
        text
    }
}

/// What is left after the digits: nothing (exponent 0), or `marker` (either case) and a signed
/// decimal exponent that ends the text. Exponents beyond `cap` are clamped to it: past that the
/// value overflows or underflows whatever the digits are. `None` for anything else.
fn exponent_suffix(rest: &[u8], marker: u8, cap: i64) -> Option<i64> {
    let Some((&first, tail)) = rest.split_first() else {
        return Some(0);
    };
    if !first.eq_ignore_ascii_case(&marker) {
        return None;
    }
    let (sign, digits) = match tail.split_first() {
        Some((b'-', digits)) => (-1, digits),
        Some((b'+', digits)) => (1, digits),
        _ => (1, tail),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let written = digits
        .iter()
        .fold(0i64, |n, &byte| (n * 10 + i64::from(byte - b'0')).min(cap));
    Some(sign * written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<LongDouble> {
        LongDouble::parse(text.as_bytes())
    }

    /// `a + b` as Redis's INCRBYFLOAT prints it.
    fn sum(a: &str, b: &str) -> String {
        parse(a)
            .unwrap()
            .checked_add(parse(b).unwrap())
            .unwrap()
            .to_human_string()
    }

    fn human(text: &str) -> String {
        parse(text).unwrap().to_human_string()
    }

    #[test]
    fn decimal_sums_print_as_redis_prints_them() {
        // Each expected text is what redis-server 7.0.15 on x86-64 replied.
        for (a, b, expected) in [
            ("10.5", "0.1", "10.6"),
            ("0.1", "0.2", "0.3"),
            ("10.6", "-5.1", "5.5"),
            ("5.0e3", "2.0e2", "5200"),
            ("3", "-3", "0"),
            ("0", "-2.5", "-2.5"),
            ("0", "1.1e-10", "0.00000000011"),
            ("1", "1e20", "100000000000000000000"),
            ("100000000000000000000", "1e-20", "100000000000000000000"),
            ("1.23456789012345678", "0", "1.23456789012345678"),
            ("0", "1e-400", "0"),
            ("0", "0x10", "16"),
            ("0", ".5", "0.5"),
            ("0", "5.", "5"),
            ("0", "+1", "1"),
            ("1e3", "1", "1001"),
        ] {
            assert_eq!(sum(a, b), expected, "{a} + {b}");
        }
    }

    #[test]
    fn huge_values_print_every_digit_of_the_binary_value() {
        assert_eq!(
            sum("0", "1e400"),
            "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"
        );
        assert_eq!(
            sum("1e308", "1e308"),
            "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"
        );
    }

    #[test]
    fn parsing_follows_strtold_and_redis() {
        for text in [
            "",
            " 1",
            "1 ",
            "\u{b}1",
            "abc",
            "1.5x",
            ".",
            "-",
            "e5",
            "1e",
            "1e+",
            "0x",
            "0x.",
            "0x1p",
            "nan",
            "NaN",
            "-nan",
            "infinit",
            "1,5",
            "1e5000",
            "-1e5000",
            "1e-5000",
            "0x1p100000",
            "0x1p-100000",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        for text in [
            "0",
            "-0",
            "0e-5000",
            "0x0",
            "1e4932",
            "1e-4950",
            "inf",
            "-Infinity",
            "0x1.8p1",
        ] {
            assert!(parse(text).is_some(), "{text:?}");
        }
        assert!(parse(&format!("0.{}", "1".repeat(5117))).is_some());
        let too_long = format!("0.{}", "1".repeat(5118));
        assert_eq!(parse(&too_long), None, "longer than Redis's buffer");
        assert_eq!(human("0x1.8p1"), "3");
        assert_eq!(human("-0"), "0");
    }

    #[test]
    fn parsing_rounds_to_nearest_even() {
        // 2^64 + 1 needs 65 bits: a tie between 2^64 and 2^64 + 2, resolved to the even 2^64.
        assert_eq!(human("18446744073709551617"), "18446744073709551616");
        // 2^64 + 3: a tie resolved upwards to the even 2^64 + 4.
        assert_eq!(human("18446744073709551619"), "18446744073709551620");
        // Anything above the tie rounds up.
        assert_eq!(
            human("18446744073709551617.000000000000000000001"),
            "18446744073709551618"
        );
    }

    #[test]
    fn printing_rounds_the_17th_decimal_half_to_even() {
        // 2^-18 × 10^17 = 381469726562.5 exactly: a tie, to the even ...62.
        assert_eq!(human("0x1p-18"), "0.00000381469726562");
        // 3 × 2^-18 × 10^17 = 1144409179687.5: to the even ...88.
        assert_eq!(human("0x3p-18"), "0.00001144409179688");
    }

    #[test]
    fn sums_that_overflow_are_refused() {
        let max = parse("1.18973149535723176502e4932").unwrap();
        assert!(max.checked_add(max).is_none());
        assert!(max.checked_add(parse("-1e4932").unwrap()).is_some());
        assert!(
            parse("inf")
                .unwrap()
                .checked_add(parse("1").unwrap())
                .is_none()
        );
    }

    #[test]
    fn subnormals_add_exactly() {
        let tiny = parse("0x1p-16445").unwrap();
        let two = tiny.checked_add(tiny).unwrap();
        assert_eq!(two, parse("0x1p-16444").unwrap());
        assert!(
            tiny.checked_add(parse("-0x1p-16445").unwrap())
                .unwrap()
                .is_zero()
        );
    }
}
