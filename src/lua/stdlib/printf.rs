//! The engine of `string.format`: Lua 5.1's `str_format` reading its format string (each item
//! `%[flags][width][.precision]conversion`, with its limits and error messages), and C's printf
//! writing each item (`%d %i %u %c %o %x %X %e %E %f %g %G %s`, flags `-+ #0`), plus Lua's own
//! `%q`. Floats are laid out by [`number::format_float`]; this file adds signs and padding.

use super::args;
use crate::lua::number::{self, FloatStyle};
use crate::lua::value::{LuaError, Value};

/// `string.format(fmt, ...)`: `args` are the call's arguments, the format string first.
pub fn format(args: &[Value]) -> Result<Vec<u8>, LuaError> {
    let template = args::check_string(args, 1, "format")?;
    let template = template.as_bytes();
    let mut out = Vec::with_capacity(template.len());
    let mut next_arg = 1;
    let mut i = 0;
    while i < template.len() {
        let byte = template[i];
        i += 1;
        if byte != b'%' {
            out.push(byte);
            continue;
        }
        if template.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        // As str_format: the argument must exist before the item is even read.
        next_arg += 1;
        if next_arg > args.len() {
            return Err(args::arg_error(next_arg, "format", "no value"));
        }
        let (spec, used) = Spec::read(&template[i..])?;
        i += used;
        spec.write(args, next_arg, &mut out)?;
    }
    Ok(out)
}

/// One `%...` item: what `scanformat` accepts.
#[derive(Debug, Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alternate: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
    /// 0 when the format string ends after the flags (C's terminating NUL).
    conversion: u8,
}

/// `strlen("-+ #0")`: Lua 5.1 refuses more flag characters than there are flags.
const MAX_FLAGS: usize = 5;

impl Spec {
    /// Reads an item after its `%`: the spec and the bytes it took.
    fn read(text: &[u8]) -> Result<(Spec, usize), LuaError> {
        let mut spec = Spec::default();
        let mut i = 0;
        while let Some(&flag) = text.get(i).filter(|b| b"-+ #0".contains(b)) {
            match flag {
                b'-' => spec.left = true,
                b'+' => spec.plus = true,
                b' ' => spec.space = true,
                b'#' => spec.alternate = true,
                _ => spec.zero = true,
            }
            i += 1;
        }
        if i > MAX_FLAGS {
            return Err(LuaError::runtime("invalid format (repeated flags)"));
        }
        let (width, used) = read_two_digits(&text[i..]);
        spec.width = width;
        i += used;
        if text.get(i) == Some(&b'.') {
            let (precision, used) = read_two_digits(&text[i + 1..]);
            spec.precision = Some(precision);
            i += 1 + used;
        }
        if text.get(i).is_some_and(u8::is_ascii_digit) {
            return Err(LuaError::runtime(
                "invalid format (width or precision too long)",
            ));
        }
        spec.conversion = text.get(i).copied().unwrap_or(0);
        Ok((spec, (i + 1).min(text.len())))
    }

    fn write(&self, args: &[Value], position: usize, out: &mut Vec<u8>) -> Result<(), LuaError> {
        let number = || args::check_number(args, position, "format");
        match self.conversion {
            b'c' => {
                // str_format keeps what sprintf wrote up to its strlen: a NUL char ends it.
                let start = out.len();
                self.pad(out, b"", &[c_int_cast(number()?) as u8], false);
                if let Some(nul) = out[start..].iter().position(|&b| b == 0) {
                    out.truncate(start + nul);
                }
            }
            b'd' | b'i' => self.signed(out, args::number_to_integer(number()?)),
            b'o' | b'u' | b'x' | b'X' => self.unsigned(out, c_unsigned_cast(number()?)),
            b'e' | b'E' | b'f' | b'g' | b'G' => self.float(out, number()?),
            b'q' => quote(&args::check_string(args, position, "format")?, out),
            b's' => self.string(
                out,
                args::check_string(args, position, "format")?.as_bytes(),
            ),
            other => {
                // luaO_pushvfstring's %c stops at a NUL, so a trailing '%' names no option.
                let mut message = b"invalid option '%".to_vec();
                message.extend(Some(other).filter(|&b| b != 0));
                message.extend_from_slice(b"' to 'format'");
                return Err(LuaError::runtime(message));
            }
        }
        Ok(())
    }

    fn signed(&self, out: &mut Vec<u8>, n: i64) {
        let sign: &[u8] = if n < 0 {
            b"-"
        } else if self.plus {
            b"+"
        } else if self.space {
            b" "
        } else {
            b""
        };
        let digits = self.integer_digits(n.unsigned_abs().to_string());
        self.pad(out, sign, digits.as_bytes(), self.precision.is_none());
    }

    fn unsigned(&self, out: &mut Vec<u8>, n: u64) {
        let (mut digits, prefix): (String, &[u8]) = match self.conversion {
            b'o' => (format!("{n:o}"), b""),
            b'x' => (
                format!("{n:x}"),
                if self.alternate && n != 0 { b"0x" } else { b"" },
            ),
            b'X' => (
                format!("{n:X}"),
                if self.alternate && n != 0 { b"0X" } else { b"" },
            ),
            _ => (n.to_string(), b""),
        };
        digits = self.integer_digits(digits);
        // `#o` makes the first digit a 0.
        if self.conversion == b'o' && self.alternate && !digits.starts_with('0') {
            digits.insert(0, '0');
        }
        self.pad(out, prefix, digits.as_bytes(), self.precision.is_none());
    }

    /// The precision of an integer is its minimum number of digits; `.0` prints 0 as nothing.
    fn integer_digits(&self, digits: String) -> String {
        match self.precision {
            Some(0) if digits == "0" => String::new(),
            Some(minimum) if digits.len() < minimum => "0".repeat(minimum - digits.len()) + &digits,
            _ => digits,
        }
    }

    fn float(&self, out: &mut Vec<u8>, x: f64) {
        let style = match self.conversion {
            b'e' | b'E' => FloatStyle::Exponent,
            b'f' => FloatStyle::Fixed,
            _ => FloatStyle::General,
        };
        let precision = self.precision.unwrap_or(6);
        let mut text = number::format_float(x, style, precision, self.alternate);
        if self.conversion.is_ascii_uppercase() {
            text.make_ascii_uppercase();
        }
        let (sign, body): (&[u8], &str) = match text.strip_prefix('-') {
            Some(body) => (b"-", body),
            None if self.plus => (b"+", &text),
            None if self.space => (b" ", &text),
            None => (b"", &text),
        };
        // glibc pads infinities and NaNs with spaces even under the 0 flag.
        self.pad(out, sign, body.as_bytes(), x.is_finite());
    }

    fn string(&self, out: &mut Vec<u8>, s: &[u8]) {
        // str_format hands a long string over whole when there is no precision to cut it
        // (its buffer is too small for sprintf), so the width is ignored then.
        if self.precision.is_none() && s.len() >= 100 {
            out.extend_from_slice(s);
            return;
        }
        // sprintf's %s stops at the first NUL.
        let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
        let s = &s[..self.precision.map_or(s.len(), |p| p.min(s.len()))];
        self.pad(out, b"", s, false);
    }

    /// Writes `prefix` (sign, `0x`) and `body` in `width`: spaces before (after with `-`), or
    /// zeros between prefix and body when the 0 flag applies to this conversion.
    fn pad(&self, out: &mut Vec<u8>, prefix: &[u8], body: &[u8], zero_allowed: bool) {
        let fill = self.width.saturating_sub(prefix.len() + body.len());
        if self.left {
            out.extend_from_slice(prefix);
            out.extend_from_slice(body);
            out.resize(out.len() + fill, b' ');
        } else if self.zero && zero_allowed {
            out.extend_from_slice(prefix);
            out.resize(out.len() + fill, b'0');
            out.extend_from_slice(body);
        } else {
            out.resize(out.len() + fill, b' ');
            out.extend_from_slice(prefix);
            out.extend_from_slice(body);
        }
    }
}

/// Up to two digits (a width or a precision), as `scanformat` reads them: value and length.
fn read_two_digits(text: &[u8]) -> (usize, usize) {
    let count = text
        .iter()
        .take(2)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let value = text[..count]
        .iter()
        .fold(0, |n, b| n * 10 + (b - b'0') as usize);
    (value, count)
}

/// `%q`: the string in double quotes, readable back by Lua (`addquoted`): `"`, `\` and newline
/// escaped with a backslash, `\r` as `\r`, NUL as `\000`, every other byte as it is.
fn quote(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' | b'\\' | b'\n' => out.extend_from_slice(&[b'\\', b]),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => out.extend_from_slice(b"\\000"),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// C's `(int)d` on x86-64 (`%c`'s argument): `cvttsd2si` gives `INT_MIN` out of range.
fn c_int_cast(x: f64) -> i32 {
    if x > -2_147_483_649.0 && x < 2_147_483_648.0 {
        x as i32
    } else {
        i32::MIN
    }
}

/// C's `(unsigned long)d` as gcc compiles it on x86-64 (`%o %u %x`'s argument): below 2^63 the
/// signed conversion (so -1 is `ffffffffffffffff`), above it the signed conversion of
/// `d - 2^63` with the top bit set again (so 2^64 and beyond wrap to 0).
fn c_unsigned_cast(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x >= TWO_63 {
        (args::number_to_integer(x - TWO_63) as u64) ^ (1 << 63)
    } else {
        args::number_to_integer(x) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(template: &str, values: &[Value]) -> Result<String, String> {
        let mut args = vec![Value::str(template)];
        args.extend_from_slice(values);
        (format(&args).map(|b| String::from_utf8_lossy(&b).into_owned())).map_err(|e| e.message())
    }

    fn n(x: f64) -> Value {
        Value::Number(x)
    }

    #[test]
    fn conversions_match_redis_lua() {
        // Each expected text is what redis-server 7.0.15's Lua printed for the same call.
        let cases: &[(&str, &[Value], &str)] = &[
            ("%5.2f", &[n(1.23456)], " 1.23"),
            ("%5.1s|%-5d|", &[Value::str("abc"), n(42.0)], "    a|42   |"),
            ("%+.3e", &[n(12345.678)], "+1.235e+04"),
            (
                "%#x|%#o|%#X",
                &[n(255.0), n(8.0), n(255.0)],
                "0xff|010|0XFF",
            ),
            (
                "%g|%g|%g|%.3g",
                &[n(1e20), n(0.0001), n(100000.0), n(0.0001234)],
                "1e+20|0.0001|100000|0.000123",
            ),
            ("%c%c", &[n(65.0), n(66.0)], "AB"),
            ("%c|%3c|", &[n(2f64.powi(40)), n(0.0)], "|  |"),
            (
                "%x %u %o",
                &[n(-1.0), n(-1.0), n(-1.0)],
                "ffffffffffffffff 18446744073709551615 1777777777777777777777",
            ),
            ("%d %d", &[n(1e300), n(-3.7)], "-9223372036854775808 -3"),
            (
                "%05d|%-05d|%5.3d|%.0d|",
                &[n(-42.0), n(7.0), n(5.0), n(0.0)],
                "-0042|7    |  005||",
            ),
            ("% d|%+d|%i", &[n(3.0), n(3.0), n(3.0)], " 3|+3|3"),
            (
                "%010.3f|%-10.1e|",
                &[n(-1.23456), n(31.4)],
                "-00001.235|3.1e+01   |",
            ),
            ("%G|%E", &[n(1e-10), n(1.5)], "1E-10|1.500000E+00"),
            (
                "%5s|%-5s|%.2s",
                &[Value::str("ab"), Value::str("ab"), Value::str("abc")],
                "   ab|ab   |ab",
            ),
            ("%s %s", &[n(1.5), n(10.0)], "1.5 10"),
            ("%d", &[Value::str("12")], "12"),
            (
                "%f|%05f",
                &[n(f64::INFINITY), n(f64::NEG_INFINITY)],
                "inf| -inf",
            ),
            ("100%%", &[], "100%"),
        ];
        for (template, values, expected) in cases {
            assert_eq!(
                fmt(template, values).as_deref(),
                Ok(*expected),
                "{template}"
            );
        }
    }

    #[test]
    fn quote_escapes_what_lua_reads_back() {
        let got = fmt("%q", &[Value::str(&b"a\0b\n\r\"\\"[..])]).unwrap();
        assert_eq!(got, "\"a\\000b\\\n\\r\\\"\\\\\"");
    }

    #[test]
    fn long_strings_pass_whole() {
        let long = "x".repeat(150);
        assert_eq!(fmt("%5s", &[Value::str(long.as_str())]).unwrap(), long);
        assert_eq!(fmt("%.3s", &[Value::str(long.as_str())]).unwrap(), "xxx");
    }

    #[test]
    fn errors_are_lua_5_1s() {
        let cases: &[(&str, &[Value], &str)] = &[
            ("%d", &[], "bad argument #2 to 'format' (no value)"),
            (
                "%d",
                &[Value::Nil],
                "bad argument #2 to 'format' (number expected, got nil)",
            ),
            ("%s %s", &[n(1.0)], "bad argument #3 to 'format' (no value)"),
            (
                "%s",
                &[Value::Bool(true)],
                "bad argument #2 to 'format' (string expected, got boolean)",
            ),
            ("%y", &[n(1.0)], "invalid option '%y' to 'format'"),
            ("abc%", &[n(1.0)], "invalid option '%' to 'format'"),
            ("%5%", &[n(1.0)], "invalid option '%%' to 'format'"),
            ("%------d", &[n(1.0)], "invalid format (repeated flags)"),
            (
                "%123d",
                &[n(1.0)],
                "invalid format (width or precision too long)",
            ),
            (
                "%1.123f",
                &[n(1.0)],
                "invalid format (width or precision too long)",
            ),
        ];
        for (template, values, expected) in cases {
            assert_eq!(
                fmt(template, values).as_deref().map_err(String::as_str),
                Err(*expected),
                "{template}"
            );
        }
    }
}
