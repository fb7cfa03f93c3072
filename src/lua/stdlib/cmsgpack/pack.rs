//! `cmsgpack.pack`'s encoder (`mp_encode_lua_type` and friends in `lua_cmsgpack.c`): strings
//! as str8/16/32 (the old "raw" types), numbers as the smallest integer type when they are
//! integers, else float32 when exact, else float64; tables as arrays when their keys are
//! exactly 1..n, else maps; everything else (nil, functions, `cjson.null`) as nil. Tables
//! nested [`MAX_NESTING`] deep are written as nil, so a table holding itself still ends.
//!
//! The output is bounded by [`MAX_OUTPUT`], which lua-cmsgpack is not: one table referenced
//! many times on each of 16 levels is written out in full every time.

use crate::lua::value::{LuaError, TableRef, Value};

/// LUACMSGPACK_MAX_NESTING.
pub const MAX_NESTING: usize = 16;

/// The most `pack` writes: 512 MB, the longest string Redis takes from a client.
pub const MAX_OUTPUT: usize = 512 * 1024 * 1024;

/// Appends `value`, `level` tables deep, to `out`; `null` is `cjson.null`.
pub fn pack_value(
    out: &mut Vec<u8>,
    value: &Value,
    level: usize,
    null: &TableRef,
) -> Result<(), LuaError> {
    match value {
        Value::Str(s) => pack_bytes(out, s.as_bytes()),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => pack_number(out, *n),
        Value::Table(t) if level < MAX_NESTING && !t.ptr_eq(null) => {
            pack_table(out, t, level, null)?
        }
        _ => out.push(0xc0),
    }
    if out.len() > MAX_OUTPUT {
        return Err(LuaError::runtime("MessagePack pack output exceeds 512 MB"));
    }
    Ok(())
}

/// `mp_encode_bytes`.
fn pack_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

/// `mp_encode_lua_number`: an integer when the double is one that fits an int64.
fn pack_number(out: &mut Vec<u8>, n: f64) {
    // -2^63 <= n < 2^63: where C's `(int64_t)n == n` holds.
    if n.is_finite()
        && n.trunc() == n
        && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n)
    {
        pack_integer(out, n as i64);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// `mp_encode_int`: the smallest of fixnum, uint8..64 (for n >= 0) or int8..64.
fn pack_integer(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        match n {
            0..=127 => out.push(n as u8),
            128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
    } else {
        match n {
            -32..=-1 => out.push(n as i8 as u8),
            -128..=-33 => out.extend_from_slice(&[0xd0, n as i8 as u8]),
            -32768..=-129 => {
                out.push(0xd1);
                out.extend_from_slice(&(n as i16).to_be_bytes());
            }
            -2_147_483_648..=-32769 => {
                out.push(0xd2);
                out.extend_from_slice(&(n as i32).to_be_bytes());
            }
            _ => {
                out.push(0xd3);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
}

/// `mp_encode_lua_table`: an array when `table_is_an_array`, else a map.
fn pack_table(
    out: &mut Vec<u8>,
    table: &TableRef,
    level: usize,
    null: &TableRef,
) -> Result<(), LuaError> {
    let pairs: Vec<(Value, Value)> = table
        .0
        .borrow()
        .pairs()
        .map(|(k, v)| (k, v.clone()))
        .collect();
    if let Some(len) = array_length(&pairs) {
        pack_header(out, len, 0x90, 0xdc);
        for index in 1..=len {
            pack_value(out, &table.get_int(index as i64), level + 1, null)?;
        }
    } else {
        pack_header(out, pairs.len(), 0x80, 0xde);
        for (key, value) in &pairs {
            pack_value(out, key, level + 1, null)?;
            pack_value(out, value, level + 1, null)?;
        }
    }
    Ok(())
}

/// `table_is_an_array`: every key a positive number that fits a C `int`, and as many keys as
/// the highest one (so exactly 1..n; the empty table is an empty array).
fn array_length(pairs: &[(Value, Value)]) -> Option<usize> {
    let mut max = 0f64;
    for (key, _) in pairs {
        match key {
            Value::Number(k) if *k > 0.0 && k.trunc() == *k && *k <= f64::from(i32::MAX) => {
                max = max.max(*k);
            }
            _ => return None,
        }
    }
    (max as usize == pairs.len()).then_some(pairs.len())
}

/// `mp_encode_array` / `mp_encode_map`: the fix form for up to 15 elements, else 16 or 32 bits.
fn pack_header(out: &mut Vec<u8>, len: usize, fix: u8, sixteen_bits: u8) {
    if len <= 15 {
        out.push(fix | len as u8);
    } else if len <= 0xffff {
        out.push(sixteen_bits);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(sixteen_bits + 1);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}
