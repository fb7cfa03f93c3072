//! (being written) Lua's numbers as text: `%.14g` formatting and Lua's number syntax.

use super::value::{LuaStr, Value};

/// `tostring(n)`: C's `%.14g`.
pub fn to_string(n: f64) -> String {
    format!("{n}")
}

/// `tonumber(s)` for base 10: decimal or hexadecimal (`0x`), surrounding whitespace allowed.
pub fn parse(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
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
