//! The `struct` library Redis bundles (Roberto Ierusalimschy's `struct.c`): `pack`, `unpack`
//! and `size` of binary records described by a format string.
//!
//! Formats: `>` `<` byte order (little endian by default, as on x86-64), `!n` maximum alignment
//! (default 8), `x` a zero byte, `b`/`B` `h`/`H` `l`/`L` `T` `i`/`I[n]` integers of 1, 2, 8, 8
//! and n (default 4, at most 32) bytes, signed in lower case, `f` `d` floats, `cn` n bytes of a
//! string (`c0`: all of it when packing, the previous result's length when unpacking), `s` a
//! zero-terminated string, spaces ignored. Sizes and alignment are those of the C library on
//! x86-64 (`long` and `size_t` are 8 bytes), so records match what Redis packs.
//!
//! Memory stays bounded: a `cn` must be covered by the string or the data given, integers are at
//! most 32 bytes, and a packed string is at most [`stdlib::MAX_STRING_LEN`].

use crate::lua::number;
use crate::lua::stdlib::{self, args};
use crate::lua::{Host, Lua, LuaError, LuaStr, Value};

pub fn open(lua: &mut Lua) {
    let table = lua.new_table();
    lua.register(&table, "pack", pack);
    lua.register(&table, "unpack", unpack);
    lua.register(&table, "size", size);
    lua.globals().set_str("struct", Value::Table(table));
}

/// `MAXINTSIZE`: the widest integer option.
const MAX_INT_SIZE: usize = 32;
/// `MAXALIGN`: a double's alignment on x86-64, the default of `!`.
const MAX_ALIGN: usize = 8;
/// `LUAI_MAXCSTACK`: the stack slots a C function may use, which bounds `unpack`'s results.
const MAX_STACK: usize = 8000;

/// A format being read, option by option, with the byte order and alignment its control
/// options set.
struct Format<'a> {
    text: &'a [u8],
    at: usize,
    little_endian: bool,
    align: usize,
    function: &'static str,
}

impl<'a> Format<'a> {
    /// The format ends at its first NUL, as a C string does.
    fn new(text: &'a [u8], function: &'static str) -> Format<'a> {
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        Format {
            text: &text[..end],
            at: 0,
            little_endian: true,
            align: 1,
            function,
        }
    }

    fn next_option(&mut self) -> Option<u8> {
        let option = *self.text.get(self.at)?;
        self.at += 1;
        Some(option)
    }

    /// `getnum`: the decimal count after an option, or `default` if there is none.
    fn count(&mut self, default: usize) -> Result<usize, LuaError> {
        if !self.text.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut n: i32 = 0;
        while let Some(&digit @ b'0'..=b'9') = self.text.get(self.at) {
            n = (n.checked_mul(10))
                .and_then(|n| n.checked_add((digit - b'0') as i32))
                .ok_or_else(|| LuaError::runtime("integral size overflow"))?;
            self.at += 1;
        }
        Ok(n as usize)
    }

    /// `optsize`: the bytes an option takes (0 for the variable and control options), reading
    /// its count.
    fn option_size(&mut self, option: u8) -> Result<usize, LuaError> {
        Ok(match option {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.count(1)?,
            b'i' | b'I' => {
                let size = self.count(4)?;
                if size > MAX_INT_SIZE {
                    return Err(LuaError::runtime(format!(
                        "integral size {size} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                size
            }
            _ => 0,
        })
    }

    /// `gettoalign`: the padding before an item of `size` bytes at offset `offset`.
    fn padding(&self, offset: usize, option: u8, size: usize) -> usize {
        if size == 0 || option == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        // `size` may not be a power of 2 (`i3` with `!4`): the C expression, all the same.
        (size.wrapping_sub(offset & size.wrapping_sub(1))) & size.wrapping_sub(1)
    }

    /// `controloptions`: byte order, alignment and spaces; anything else is not an option.
    fn control(&mut self, option: u8) -> Result<(), LuaError> {
        match option {
            b' ' => {}
            b'>' => self.little_endian = false,
            b'<' => self.little_endian = true,
            b'!' => {
                let align = self.count(MAX_ALIGN)?;
                if !align.is_power_of_two() {
                    return Err(LuaError::runtime(format!(
                        "alignment {align} is not a power of 2"
                    )));
                }
                self.align = align;
            }
            _ => {
                let detail = [&b"invalid format option '"[..], &[option], b"'"].concat();
                return Err(args::arg_error_bytes(1, self.function, &detail));
            }
        }
        Ok(())
    }

    /// `bytes` of an item, in memory order, from their little-endian order.
    fn ordered(&self, mut bytes: Vec<u8>) -> Vec<u8> {
        if !self.little_endian {
            bytes.reverse();
        }
        bytes
    }
}

/// C's conversion of a double to an unsigned 64-bit integer as gcc does it on x86-64: values
/// below 2^63 through the signed conversion (so negative ones wrap), the rest shifted down by
/// 2^63 first.
fn to_c_unsigned(n: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n < TWO_63 {
        args::number_to_integer(n) as u64
    } else {
        (args::number_to_integer(n - TWO_63) as u64) ^ (1 << 63)
    }
}

/// `struct.pack(fmt, v1, v2, ...)`.
fn pack(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let text = args::check_string(&args, 1, "pack")?;
    let mut format = Format::new(text.as_bytes(), "pack");
    let mut next_arg = 2;
    let mut out: Vec<u8> = Vec::new();
    while let Some(option) = format.next_option() {
        let mut size = format.option_size(option)?;
        out.resize(out.len() + format.padding(out.len(), option, size), 0);
        match option {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let value = to_c_unsigned(args::check_number(&args, next_arg, "pack")?);
                next_arg += 1;
                // Bytes past the 8 of the value are zeros, as C's repeated `>>= 8`.
                let little: Vec<u8> = (0..size)
                    .map(|i| value.checked_shr(8 * i as u32).unwrap_or(0) as u8)
                    .collect();
                out.extend(format.ordered(little));
            }
            b'x' => out.push(0),
            b'f' => {
                let value = args::check_number(&args, next_arg, "pack")? as f32;
                next_arg += 1;
                out.extend(format.ordered(value.to_le_bytes().to_vec()));
            }
            b'd' => {
                let value = args::check_number(&args, next_arg, "pack")?;
                next_arg += 1;
                out.extend(format.ordered(value.to_le_bytes().to_vec()));
            }
            b'c' | b's' => {
                let string = args::check_string(&args, next_arg, "pack")?;
                next_arg += 1;
                if size == 0 {
                    size = string.len();
                }
                if string.len() < size {
                    // struct.c checks after moving on to the next argument: it names that one.
                    return Err(args::arg_error(next_arg, "pack", "string too short"));
                }
                out.extend_from_slice(&string.as_bytes()[..size]);
                if option == b's' {
                    out.push(0);
                }
            }
            _ => format.control(option)?,
        }
        if out.len() > stdlib::MAX_STRING_LEN {
            return Err(stdlib::memory_error());
        }
    }
    Ok(vec![Value::Str(LuaStr::from(out))])
}

/// `struct.unpack(fmt, data [, init])`: the values, then the position after them.
fn unpack(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let text = args::check_string(&args, 1, "unpack")?;
    let data = args::check_string(&args, 2, "unpack")?;
    let data = data.as_bytes();
    // A size_t in C: a negative offset wraps to a huge one, which is then too far.
    let init = args::opt_integer(&args, 3, "unpack", 1)? as u64 as usize;
    if init == 0 {
        return Err(args::arg_error(3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = init - 1;
    let mut format = Format::new(text.as_bytes(), "unpack");
    let mut results: Vec<Value> = Vec::new();
    let too_short = || args::arg_error(2, "unpack", "data string too short");
    let fits = |pos: usize, size: usize| size <= data.len() && pos <= data.len() - size;
    while let Some(option) = format.next_option() {
        let mut size = format.option_size(option)?;
        pos = pos.wrapping_add(format.padding(pos, option, size));
        if !fits(pos, size) {
            return Err(too_short());
        }
        if args.len() + results.len() + 2 > MAX_STACK {
            return Err(LuaError::runtime("stack overflow (too many results)"));
        }
        match option {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = option.is_ascii_lowercase();
                results.push(Value::Number(read_integer(
                    &format,
                    &data[pos..pos + size],
                    signed,
                )));
            }
            b'x' => {}
            b'f' => {
                let bytes = format.ordered(data[pos..pos + 4].to_vec());
                let value = f32::from_le_bytes(bytes.try_into().expect("4 bytes"));
                results.push(Value::Number(value as f64));
            }
            b'd' => {
                let bytes = format.ordered(data[pos..pos + 8].to_vec());
                results.push(Value::Number(f64::from_le_bytes(
                    bytes.try_into().expect("8 bytes"),
                )));
            }
            b'c' => {
                if size == 0 {
                    let previous = results.last().and_then(number::coerce_to_number);
                    let Some(length) = previous else {
                        return Err(LuaError::runtime("format 'c0' needs a previous size"));
                    };
                    results.pop();
                    size = to_c_unsigned(length) as usize;
                    if !fits(pos, size) {
                        return Err(too_short());
                    }
                }
                results.push(Value::str(&data[pos..pos + size]));
            }
            b's' => {
                let Some(length) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(LuaError::runtime("unfinished string in data"));
                };
                results.push(Value::str(&data[pos..pos + length]));
                size = length + 1;
            }
            _ => format.control(option)?,
        }
        pos = pos.wrapping_add(size);
    }
    // `lua_pushinteger(L, pos + 1)`: the size_t read back as a signed integer.
    results.push(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(results)
}

/// `getinteger`: `bytes` in the format's order, sign-extended from their top bit when `signed`.
/// Only the last 8 bytes read count, as they shift through C's 64-bit `unsigned long`.
fn read_integer(format: &Format, bytes: &[u8], signed: bool) -> f64 {
    let mut little = bytes.to_vec();
    if !format.little_endian {
        little.reverse();
    }
    let value = little
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | b as u64);
    if !signed {
        return value as f64;
    }
    // C shifts by `size*8 - 1`, which x86-64 takes modulo 64.
    let sign_bit = ((bytes.len() * 8) as u32).wrapping_sub(1) & 63;
    let mask = u64::MAX << sign_bit;
    let extended = if value & mask != 0 {
        value | mask
    } else {
        value
    };
    extended as i64 as f64
}

/// `struct.size(fmt)`: the bytes `pack` makes for a format of fixed size.
fn size(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let text = args::check_string(&args, 1, "size")?;
    let mut format = Format::new(text.as_bytes(), "size");
    let mut total: usize = 0;
    while let Some(option) = format.next_option() {
        let size = format.option_size(option)?;
        total = total.wrapping_add(format.padding(total, option, size));
        if option == b's' {
            return Err(args::arg_error(1, "size", "option 's' has no fixed size"));
        }
        if option == b'c' && size == 0 {
            return Err(args::arg_error(1, "size", "option 'c0' has no fixed size"));
        }
        // struct.c lets letters and digits it does not know through here (they take no room).
        if !option.is_ascii_alphanumeric() {
            format.control(option)?;
        }
        total = total.wrapping_add(size);
    }
    Ok(vec![Value::Number(total as i64 as f64)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::stdlib::testing::describe;
    use crate::lua::{NativeFn, NoHost};

    fn call(function: NativeFn, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        function(&mut Lua::new(), &mut NoHost, args)
    }

    fn packed(format: &str, values: &[Value]) -> Vec<u8> {
        let mut args = vec![Value::str(format)];
        args.extend_from_slice(values);
        match call(pack, args).unwrap().remove(0) {
            Value::Str(s) => s.as_bytes().to_vec(),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn numbers(values: &[f64]) -> Vec<Value> {
        values.iter().map(|&n| Value::Number(n)).collect()
    }

    fn error(function: NativeFn, args: Vec<Value>) -> String {
        call(function, args).unwrap_err().message()
    }

    #[test]
    fn integers_in_both_byte_orders() {
        assert_eq!(packed(">I2", &numbers(&[258.0])), [1, 2]);
        assert_eq!(packed("<I2", &numbers(&[258.0])), [2, 1]);
        assert_eq!(packed("b", &numbers(&[-1.0])), [0xff]);
        assert_eq!(packed(">i3", &numbers(&[-2.0])), [0xff, 0xff, 0xfe]);
        assert_eq!(packed(">l", &numbers(&[1.0])), [0, 0, 0, 0, 0, 0, 0, 1]);
        // Wider than 64 bits: the high bytes are zeros, even for a negative value.
        assert_eq!(
            packed("<i10", &numbers(&[-1.0])),
            [255, 255, 255, 255, 255, 255, 255, 255, 0, 0]
        );
    }

    #[test]
    fn alignment_pads_to_the_item_size_up_to_the_maximum() {
        assert_eq!(
            packed("!4 b i", &numbers(&[1.0, 2.0])),
            [1, 0, 0, 0, 2, 0, 0, 0]
        );
        assert_eq!(packed("!2 b i", &numbers(&[1.0, 2.0])), [1, 0, 2, 0, 0, 0]);
        assert_eq!(packed("b i", &numbers(&[1.0, 2.0])), [1, 2, 0, 0, 0]);
        let size = call(size, vec![Value::str("! b d")]).unwrap();
        assert!(matches!(size[0], Value::Number(n) if n == 16.0));
    }

    #[test]
    fn strings_and_floats_round_trip() {
        let args = vec![
            Value::str("hello"),
            Value::str("ab"),
            Value::Number(1.5),
            Value::Number(0.1),
        ];
        let data = packed("s c2 f d", &args);
        let out = call(
            unpack,
            vec![Value::str("s c2 f d"), Value::str(data.as_slice())],
        )
        .unwrap();
        assert_eq!(describe(&out), "[\"hello\", \"ab\", 1.5, 0.1, 21]");
    }

    #[test]
    fn unpack_reads_signed_and_unsigned_and_counted_strings() {
        let data = Value::str(&[0xff, 0xff, 3, b'a', b'b', b'c', b'd'][..]);
        let out = call(unpack, vec![Value::str(">h"), data.clone()]).unwrap();
        assert_eq!(describe(&out), "[-1, 3]");
        let out = call(unpack, vec![Value::str(">H"), data.clone()]).unwrap();
        assert_eq!(describe(&out), "[65535, 3]");
        let out = call(
            unpack,
            vec![Value::str("B c0"), data.clone(), Value::Number(3.0)],
        )
        .unwrap();
        assert_eq!(describe(&out), "[\"abc\", 7]");
        let out = call(unpack, vec![Value::str(""), data, Value::Number(-1.0)]).unwrap();
        assert_eq!(describe(&out), "[-1]");
    }

    #[test]
    fn errors_are_struct_c_s() {
        let short = vec![Value::str("c5"), Value::str("ab")];
        assert_eq!(
            error(pack, short),
            "bad argument #3 to 'pack' (string too short)"
        );
        assert_eq!(
            error(pack, vec![Value::str("y")]),
            "bad argument #1 to 'pack' (invalid format option 'y')"
        );
        assert_eq!(
            error(pack, vec![Value::str("b2"), Value::Number(1.0)]),
            "bad argument #1 to 'pack' (invalid format option '2')"
        );
        assert_eq!(
            error(size, vec![Value::str("i40")]),
            "integral size 40 is larger than limit of 32"
        );
        assert_eq!(
            error(size, vec![Value::str("!3")]),
            "alignment 3 is not a power of 2"
        );
        assert_eq!(
            error(size, vec![Value::str("c99999999999")]),
            "integral size overflow"
        );
        assert_eq!(
            error(size, vec![Value::str("s")]),
            "bad argument #1 to 'size' (option 's' has no fixed size)"
        );
        assert_eq!(
            error(unpack, vec![Value::str("c0"), Value::str("abc")]),
            "format 'c0' needs a previous size"
        );
        assert_eq!(
            error(unpack, vec![Value::str("s"), Value::str("abc")]),
            "unfinished string in data"
        );
        let far = vec![Value::str("b"), Value::str("abc"), Value::Number(-1.0)];
        assert_eq!(
            error(unpack, far),
            "bad argument #2 to 'unpack' (data string too short)"
        );
        let zero = vec![Value::str("b"), Value::str("abc"), Value::Number(0.0)];
        assert_eq!(
            error(unpack, zero),
            "bad argument #3 to 'unpack' (offset must be 1 or greater)"
        );
        // Letters struct.c does not know take no room in `size`.
        let out = call(size, vec![Value::str("yb2")]).unwrap();
        assert!(matches!(out[0], Value::Number(n) if n == 1.0));
    }

    #[test]
    fn sizes_from_the_format_never_allocate_beyond_the_data() {
        let huge = vec![Value::str("c2147483647"), Value::str("abc")];
        assert_eq!(
            error(unpack, huge),
            "bad argument #2 to 'unpack' (data string too short)"
        );
        let huge = vec![Value::str("c2147483647"), Value::str("abc")];
        assert_eq!(
            error(pack, huge),
            "bad argument #3 to 'pack' (string too short)"
        );
        let many = vec![Value::str("b".repeat(9000)), Value::str("a".repeat(9000))];
        assert_eq!(error(unpack, many), "stack overflow (too many results)");
        let most = vec![Value::str("b".repeat(7997)), Value::str("a".repeat(9000))];
        assert_eq!(call(unpack, most).unwrap().len(), 7998);
    }

    mod programs {
        use crate::lua::stdlib::testing::outcome;

        #[test]
        fn pack_and_unpack_round_trip_in_a_script() {
            let source = "local s = struct.pack('>I2 i4 c3', 258, -7, 'abc')
                return #s, struct.unpack('>I2 i4 c3', s)";
            assert_eq!(outcome(source), "[9, 258, -7, \"abc\", 10]");
            let source = "return struct.size('>!4 b i h')";
            assert_eq!(outcome(source), "[10]");
        }
    }
}
