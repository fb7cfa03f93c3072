//! Argument checks for native library functions, with the messages of Lua 5.1's auxiliary
//! library (`luaL_checknumber`, `luaL_checkint`, `luaL_optinteger`, `luaL_checklstring`,
//! `luaL_checktype`, `luaL_argerror`), so every library reports a bad argument the same way:
//! `bad argument #1 to 'floor' (number expected, got nil)`.
//!
//! Positions are 1-based, as in the messages; a missing argument is "no value", as Lua's
//! `luaL_typename` says of an index past the top of the stack.

use crate::lua::number;
use crate::lua::value::{LuaError, LuaStr, TableRef, Value};

/// `luaL_argerror`: `bad argument #N to 'name' (detail)`.
pub fn arg_error(position: usize, function: &str, detail: &str) -> LuaError {
    arg_error_bytes(position, function, detail.as_bytes())
}

/// [`arg_error`] with a detail of bytes, for one that quotes a byte of the script's (struct's
/// "invalid format option").
pub fn arg_error_bytes(position: usize, function: &str, detail: &[u8]) -> LuaError {
    let mut message = format!("bad argument #{position} to '{function}' (").into_bytes();
    message.extend_from_slice(detail);
    message.push(b')');
    LuaError::runtime(message)
}

/// `luaL_typerror`: the argument is not of the `expected` type.
pub fn type_error(args: &[Value], position: usize, function: &str, expected: &str) -> LuaError {
    let got = match args.get(position - 1) {
        Some(value) => value.type_name(),
        None => "no value",
    };
    arg_error(
        position,
        function,
        &format!("{expected} expected, got {got}"),
    )
}

/// The argument at `position`, nil if absent.
pub fn arg(args: &[Value], position: usize) -> Value {
    args.get(position - 1).cloned().unwrap_or_default()
}

/// Whether the argument is absent or nil (`lua_isnoneornil`), the test of every `luaL_opt*`.
pub fn is_none_or_nil(args: &[Value], position: usize) -> bool {
    args.get(position - 1).is_none_or(Value::is_nil)
}

/// `luaL_checknumber`: a number, or a string that reads as one.
pub fn check_number(args: &[Value], position: usize, function: &str) -> Result<f64, LuaError> {
    (args.get(position - 1))
        .and_then(number::coerce_to_number)
        .ok_or_else(|| type_error(args, position, function, "number"))
}

/// `luaL_checkinteger`: a number truncated toward zero, as C's cast on x86-64 (which gives
/// `i64::MIN` for NaN and values out of range, where Rust's cast would saturate).
pub fn check_integer(args: &[Value], position: usize, function: &str) -> Result<i64, LuaError> {
    check_number(args, position, function).map(number_to_integer)
}

/// `luaL_checkint`: `luaL_checkinteger` narrowed to a C `int` (wrapping, as the C cast does).
pub fn check_int(args: &[Value], position: usize, function: &str) -> Result<i32, LuaError> {
    check_integer(args, position, function).map(|n| n as i32)
}

/// `luaL_optinteger`: `default` when the argument is absent or nil.
pub fn opt_integer(
    args: &[Value],
    position: usize,
    function: &str,
    default: i64,
) -> Result<i64, LuaError> {
    if is_none_or_nil(args, position) {
        return Ok(default);
    }
    check_integer(args, position, function)
}

/// `luaL_optint`.
pub fn opt_int(
    args: &[Value],
    position: usize,
    function: &str,
    default: i32,
) -> Result<i32, LuaError> {
    opt_integer(args, position, function, default as i64).map(|n| n as i32)
}

/// `luaL_checklstring`: a string, or a number formatted as `tostring` does.
pub fn check_string(args: &[Value], position: usize, function: &str) -> Result<LuaStr, LuaError> {
    (args.get(position - 1))
        .and_then(number::coerce_to_string)
        .ok_or_else(|| type_error(args, position, function, "string"))
}

/// `luaL_optlstring`.
pub fn opt_string(
    args: &[Value],
    position: usize,
    function: &str,
    default: &str,
) -> Result<LuaStr, LuaError> {
    if is_none_or_nil(args, position) {
        return Ok(LuaStr::from(default));
    }
    check_string(args, position, function)
}

/// `luaL_checktype(L, n, LUA_TTABLE)`.
pub fn check_table(args: &[Value], position: usize, function: &str) -> Result<TableRef, LuaError> {
    match args.get(position - 1) {
        Some(Value::Table(table)) => Ok(table.clone()),
        _ => Err(type_error(args, position, function, "table")),
    }
}

/// `luaL_checktype(L, n, LUA_TFUNCTION)`: the function itself, as a value to call.
pub fn check_function(args: &[Value], position: usize, function: &str) -> Result<Value, LuaError> {
    match args.get(position - 1) {
        Some(value @ Value::Function(_)) => Ok(value.clone()),
        _ => Err(type_error(args, position, function, "function")),
    }
}

/// C's `(ptrdiff_t)d` on x86-64: truncation, and the "integer indefinite" value `i64::MIN` for
/// what does not fit (NaN, infinities, |d| >= 2^63).
pub fn number_to_integer(n: f64) -> i64 {
    if n.is_finite() && n > -9.223_372_036_854_776e18 && n < 9.223_372_036_854_776e18 {
        n as i64
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lua_5_1s() {
        let args = vec![Value::Nil, Value::str("x")];
        let err = check_number(&args, 1, "floor").unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #1 to 'floor' (number expected, got nil)"
        );
        let err = check_number(&args, 2, "floor").unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #2 to 'floor' (number expected, got string)"
        );
        let Err(err) = check_table(&args, 3, "insert") else {
            panic!("a missing argument is not a table")
        };
        assert_eq!(
            err.message(),
            "bad argument #3 to 'insert' (table expected, got no value)"
        );
    }

    #[test]
    fn numbers_and_strings_coerce_both_ways() {
        let args = vec![Value::str(" 12 "), Value::Number(7.0)];
        assert_eq!(check_number(&args, 1, "f").unwrap(), 12.0);
        assert_eq!(check_string(&args, 2, "f").unwrap().as_bytes(), b"7");
        assert_eq!(opt_int(&args, 3, "f", 9).unwrap(), 9);
    }

    #[test]
    fn integers_truncate_like_c_casts() {
        assert_eq!(number_to_integer(-2.7), -2);
        assert_eq!(number_to_integer(f64::NAN), i64::MIN);
        assert_eq!(number_to_integer(1e300), i64::MIN);
        let args = vec![Value::Number(4294967297.0)];
        assert_eq!(check_int(&args, 1, "f").unwrap(), 1);
    }
}
