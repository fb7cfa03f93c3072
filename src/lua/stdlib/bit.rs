//! The `bit` library Redis bundles (LuaBitOp 1.0): 32-bit operations on Lua's doubles.
//!
//! Every argument goes through [`to_bits`], LuaBitOp's `barg`: the number is rounded to an
//! integer (ties to even) and reduced modulo 2^32, and every result is that 32-bit pattern read
//! as a signed integer, so `bit.tobit(0xffffffff) == -1`.

use crate::lua::stdlib::args;
use crate::lua::{Host, Lua, LuaError, LuaStr, Value};

pub fn open(lua: &mut Lua) {
    let bit = lua.new_table();
    lua.register(&bit, "tobit", tobit);
    lua.register(&bit, "bnot", bnot);
    lua.register(&bit, "band", band);
    lua.register(&bit, "bor", bor);
    lua.register(&bit, "bxor", bxor);
    lua.register(&bit, "lshift", lshift);
    lua.register(&bit, "rshift", rshift);
    lua.register(&bit, "arshift", arshift);
    lua.register(&bit, "rol", rol);
    lua.register(&bit, "ror", ror);
    lua.register(&bit, "bswap", bswap);
    lua.register(&bit, "tohex", tohex);
    lua.globals().set_str("bit", Value::Table(bit));
}

/// LuaBitOp's `barg`: adding 2^52 + 2^51 puts the rounded integer in the low 32 bits of the
/// double's representation. Like Lua 5.1's `lua_tonumber`, a string that reads as a number is
/// one; anything else is a "number expected" error.
fn to_bits(args: &[Value], position: usize, function: &str) -> Result<u32, LuaError> {
    let n = args::check_number(args, position, function)?;
    Ok((n + 6_755_399_441_055_744.0).to_bits() as u32)
}

/// LuaBitOp's `BRET`: the bits as a signed 32-bit number.
fn bits_result(bits: u32) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Number(bits as i32 as f64)])
}

fn tobit(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    bits_result(to_bits(&args, 1, "tobit")?)
}

fn bnot(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    bits_result(!to_bits(&args, 1, "bnot")?)
}

/// `band`, `bor` and `bxor` fold all their arguments (at least one). LuaBitOp folds from the
/// last argument down, which decides which bad argument is reported first.
fn fold(
    args: &[Value],
    function: &str,
    combine: fn(u32, u32) -> u32,
) -> Result<Vec<Value>, LuaError> {
    let mut acc = to_bits(args, 1, function)?;
    for position in (2..=args.len()).rev() {
        acc = combine(acc, to_bits(args, position, function)?);
    }
    bits_result(acc)
}

fn band(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    fold(&args, "band", |a, b| a & b)
}

fn bor(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    fold(&args, "bor", |a, b| a | b)
}

fn bxor(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    fold(&args, "bxor", |a, b| a ^ b)
}

/// The shifts and rotations: the count is taken modulo 32, as LuaBitOp's `& 31`.
fn shift(
    args: &[Value],
    function: &str,
    apply: fn(u32, u32) -> u32,
) -> Result<Vec<Value>, LuaError> {
    let bits = to_bits(args, 1, function)?;
    let count = to_bits(args, 2, function)? & 31;
    bits_result(apply(bits, count))
}

fn lshift(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(&args, "lshift", |b, n| b << n)
}

fn rshift(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(&args, "rshift", |b, n| b >> n)
}

fn arshift(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(&args, "arshift", |b, n| ((b as i32) >> n) as u32)
}

fn rol(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(&args, "rol", u32::rotate_left)
}

fn ror(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    shift(&args, "ror", u32::rotate_right)
}

fn bswap(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    bits_result(to_bits(&args, 1, "bswap")?.swap_bytes())
}

/// `bit.tohex(x [, n])`: the low `|n|` hex digits (8 by default, at most 8), upper case when
/// `n` is negative.
fn tohex(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let mut bits = to_bits(&args, 1, "tohex")?;
    let digits = match args.get(1) {
        None => 8,
        Some(_) => to_bits(&args, 2, "tohex")? as i32,
    };
    let alphabet: &[u8; 16] = if digits < 0 {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let count = digits.unsigned_abs().min(8) as usize;
    let mut text = vec![0u8; count];
    for slot in text.iter_mut().rev() {
        *slot = alphabet[(bits & 15) as usize];
        bits >>= 4;
    }
    Ok(vec![Value::Str(LuaStr::from(text))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::{NativeFn, NoHost};

    fn run(function: NativeFn, args: &[f64]) -> Value {
        let args = args.iter().map(|&n| Value::Number(n)).collect();
        function(&mut Lua::new(), &mut NoHost, args)
            .unwrap()
            .remove(0)
    }

    fn number(function: NativeFn, args: &[f64]) -> f64 {
        match run(function, args) {
            Value::Number(n) => n,
            other => panic!("not a number: {other:?}"),
        }
    }

    fn text(function: NativeFn, args: &[f64]) -> String {
        match run(function, args) {
            Value::Str(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn tobit_wraps_and_rounds_like_luabitop() {
        assert_eq!(number(tobit, &[4294967295.0]), -1.0);
        assert_eq!(number(tobit, &[4294967296.0 + 5.0]), 5.0);
        assert_eq!(number(tobit, &[1.5]), 2.0);
        assert_eq!(number(tobit, &[2.5]), 2.0);
        assert_eq!(number(tobit, &[-1.0]), -1.0);
        assert_eq!(number(tobit, &[1437217655.0]), 1437217655.0);
    }

    #[test]
    fn logic_operations_fold_every_argument() {
        assert_eq!(number(band, &[1.0]), 1.0);
        assert_eq!(number(bxor, &[1.0, 2.0]), 3.0);
        assert_eq!(
            number(bor, &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]),
            255.0
        );
        assert_eq!(
            number(band, &[0xff00 as f64, 0x0ff0 as f64, 0x00f0 as f64]),
            0.0
        );
        assert_eq!(number(bnot, &[0.0]), -1.0);
    }

    #[test]
    fn shifts_take_the_count_modulo_32() {
        assert_eq!(number(lshift, &[1.0, 31.0]), -2147483648.0);
        assert_eq!(number(lshift, &[1.0, 33.0]), 2.0);
        assert_eq!(number(rshift, &[-1.0, 28.0]), 15.0);
        assert_eq!(number(arshift, &[-256.0, 4.0]), -16.0);
        assert_eq!(
            number(rol, &[0x12345678 as f64, 12.0]),
            0x45678123u32 as i32 as f64
        );
        assert_eq!(number(ror, &[0x12345678 as f64, 12.0]), 0x67812345 as f64);
        assert_eq!(number(bswap, &[0x12345678 as f64]), 0x78563412 as f64);
    }

    #[test]
    fn tohex_digits_and_case() {
        assert_eq!(text(tohex, &[65535.0]), "0000ffff");
        assert_eq!(text(tohex, &[-1.0, -4.0]), "FFFF");
        assert_eq!(text(tohex, &[0x1234 as f64, 2.0]), "34");
        assert_eq!(text(tohex, &[1.0, 100.0]), "00000001");
        assert_eq!(text(tohex, &[1.0, 0.0]), "");
    }

    #[test]
    fn strings_coerce_and_others_are_refused() {
        let ok = band(
            &mut Lua::new(),
            &mut NoHost,
            vec![Value::str(" 16 "), Value::Number(31.0)],
        );
        assert!(matches!(ok.unwrap()[0], Value::Number(n) if n == 16.0));
        let err = bor(
            &mut Lua::new(),
            &mut NoHost,
            vec![Value::Number(1.0), Value::Nil],
        );
        assert_eq!(
            err.unwrap_err().message(),
            "bad argument #2 to 'bor' (number expected, got nil)"
        );
        let err = tohex(&mut Lua::new(), &mut NoHost, vec![]);
        assert_eq!(
            err.unwrap_err().message(),
            "bad argument #1 to 'tohex' (number expected, got no value)"
        );
    }

    mod programs {
        use crate::lua::stdlib::testing::outcome;

        #[test]
        fn the_redis_suite_s_bit_checks() {
            let source =
                "assert(bit.tobit(1) == 1); assert(bit.band(1) == 1); assert(bit.bxor(1,2) == 3)
                assert(bit.bor(1,2,4,8,16,32,64,128) == 255); return bit.tohex(65535)";
            assert_eq!(outcome(source), "[\"0000ffff\"]");
        }

        #[test]
        fn version_bytes_as_functions_tcl_takes_them_apart() {
            let source = "local v = 0x00070015
                return bit.band(bit.rshift(v, 16), 0xff), bit.band(bit.rshift(v, 8), 0xff), bit.band(v, 0xff)";
            assert_eq!(outcome(source), "[7, 0, 21]");
        }
    }
}
