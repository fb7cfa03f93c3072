//! The `cmsgpack` library: Redis's bundled lua-cmsgpack 0.4.0 (`deps/lua/src/lua_cmsgpack.c`).
//! `cmsgpack.pack(v1, v2, ...)` writes each value as MessagePack, one after the other
//! ([`pack`]); `cmsgpack.unpack(s)` reads every value back, `unpack_one(s[, offset])` and
//! `unpack_limit(s, limit[, offset])` read some and also answer where to go on (-1 at the end)
//! ([`unpack`]).

mod pack;
mod unpack;

use super::args::{arg_error, check_integer, check_string, opt_integer};
use super::cjson;
use crate::lua::Lua;
use crate::lua::host::Host;
use crate::lua::value::{LuaError, Value};
use unpack::{Decoder, Failure};

/// Installs the global `cmsgpack`.
pub fn open(lua: &mut Lua) {
    let module = lua.new_table();
    lua.register(&module, "pack", pack_native);
    lua.register(&module, "unpack", unpack_all);
    lua.register(&module, "unpack_one", unpack_one);
    lua.register(&module, "unpack_limit", unpack_limit);
    module.set_str("_NAME", Value::str("cmsgpack"));
    module.set_str("_VERSION", Value::str("lua-cmsgpack 0.4.0"));
    module.set_str(
        "_COPYRIGHT",
        Value::str("Copyright (C) 2012, Salvatore Sanfilippo"),
    );
    module.set_str(
        "_DESCRIPTION",
        Value::str("MessagePack C implementation for Lua"),
    );
    lua.globals().set_str("cmsgpack", Value::Table(module));
}

/// `mp_pack`: every argument packed, concatenated.
fn pack_native(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.is_empty() {
        return Err(arg_error(0, "pack", "MessagePack pack needs input."));
    }
    // C's lua_checkstack for a copy of every argument, beside the arguments themselves.
    if args.len() * 2 > cjson::MAX_C_STACK {
        return Err(arg_error(
            0,
            "pack",
            "Too many arguments for MessagePack pack.",
        ));
    }
    let null = cjson::null(lua);
    let mut out = Vec::new();
    for value in &args {
        pack::pack_value(&mut out, value, 0, &null)?;
    }
    Ok(vec![Value::str(out)])
}

/// `cmsgpack.unpack(s)`: every value in `s`.
fn unpack_all(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    unpack_full(lua, &args, "unpack", 0, 0)
}

/// `cmsgpack.unpack_one(s[, offset])`: the offset after the first value at `offset`, and it.
fn unpack_one(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let offset = opt_integer(&args, 2, "unpack_one", 0)?;
    unpack_full(lua, &args, "unpack_one", 1, offset)
}

/// `cmsgpack.unpack_limit(s, limit[, offset])`: the offset after at most `limit` values, and
/// them.
fn unpack_limit(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let limit = check_integer(&args, 2, "unpack_limit")?;
    let offset = opt_integer(&args, 3, "unpack_limit", 0)?;
    unpack_full(lua, &args, "unpack_limit", limit, offset)
}

/// `mp_unpack_full`: a limit and an offset of 0 both mean "all of it, no offset answered".
fn unpack_full(
    lua: &mut Lua,
    args: &[Value],
    function: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Value>, LuaError> {
    let input = check_string(args, 1, function)?;
    let input = input.as_bytes();
    if offset < 0 || limit < 0 {
        // lua-cmsgpack prints the input's length where it says "limit".
        return Err(LuaError::runtime(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32,
            input.len() as i32
        )));
    }
    if offset as u64 > input.len() as u64 {
        return Err(LuaError::runtime(format!(
            "Start offset {} greater than input length {}.",
            offset as i32,
            input.len() as i32
        )));
    }
    let decode_all = limit == 0 && offset == 0;
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut decoder = Decoder::new(input, offset as usize);
    let mut values = Vec::new();
    while !decoder.at_end() && (values.len() as i64) < limit {
        match decoder.next_value(lua) {
            Ok(value) => values.push(value),
            Err(Failure::MissingBytes) => return Err(LuaError::runtime("Missing bytes in input.")),
            Err(Failure::BadFormat) => return Err(LuaError::runtime("Bad data format in input.")),
            Err(Failure::Lua(err)) => return Err(err),
        }
    }
    if !decode_all {
        let next = if decoder.at_end() {
            -1.0
        } else {
            decoder.pos as f64
        };
        values.insert(0, Value::Number(next));
    }
    Ok(values)
}

#[cfg(test)]
mod tests;
