//! Lua 5.1's base library as Redis exposes it (`lbaselib.c`): `assert`, `error`, `pcall`,
//! `xpcall`, iteration (`next`, `pairs`, `ipairs`), `select`, `unpack`, conversions
//! (`tonumber`, `tostring`, `type`), raw access, metatables, `loadstring`, the collector's
//! counters, `_G` and `_VERSION`. Redis removes `print`, `dofile`, `loadfile`, `require`,
//! `module` and `load`, so they are not here.

use std::rc::Rc;

use super::args::{
    arg, arg_error, check_int, check_string, check_table, is_none_or_nil, opt_int, opt_string,
};
use crate::lua::Lua;
use crate::lua::host::Host;
use crate::lua::number;
use crate::lua::value::{ErrorKind, Function, LuaError, Native, Value};

/// `lua_checkstack`'s bound (`LUAI_MAXCSTACK`): `unpack` may not return more values.
const MAX_RESULTS: usize = 8000;

/// `LUA_IDSIZE - sizeof(" [string \"...\"] ")`: how much of a source names its chunk.
const CHUNK_ID_LENGTH: usize = 43;

pub fn open(lua: &mut Lua) {
    let globals = lua.globals();
    let functions: [(&'static str, crate::lua::NativeFn); 20] = [
        ("assert", assert),
        ("collectgarbage", collectgarbage),
        ("error", error),
        ("gcinfo", gcinfo),
        ("getmetatable", getmetatable),
        ("ipairs", ipairs),
        ("loadstring", loadstring),
        ("next", next),
        ("pairs", pairs),
        ("pcall", pcall),
        ("rawequal", rawequal),
        ("rawget", rawget),
        ("rawset", rawset),
        ("select", select),
        ("setmetatable", setmetatable),
        ("tonumber", tonumber),
        ("tostring", tostring),
        ("type", type_),
        ("unpack", unpack),
        ("xpcall", xpcall),
    ];
    for (name, run) in functions {
        lua.register(&globals, name, run);
    }
    globals.set_str("_G", Value::Table(globals.clone()));
    globals.set_str("_VERSION", Value::str("Lua 5.1"));
}

/// `luaL_checkany`: the argument must be present (nil counts).
fn check_any(args: &[Value], position: usize, function: &str) -> Result<(), LuaError> {
    if args.len() < position {
        return Err(arg_error(position, function, "value expected"));
    }
    Ok(())
}

fn native(name: &'static str, run: crate::lua::NativeFn) -> Value {
    Value::Function(Function::Native(Rc::new(Native { name, run })))
}

fn assert(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    check_any(&args, 1, "assert")?;
    if args[0].truthy() {
        return Ok(args);
    }
    let message = opt_string(&args, 2, "assert", "assertion failed!")?;
    Err(LuaError::runtime(message))
}

/// `error(value, level)`: a string message gets the position of the function `level` calls up
/// (1, the default: the caller of `error`; 0: none).
fn error(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let level = opt_int(&args, 2, "error", 1)?;
    let value = arg(&args, 1);
    let value = match number::coerce_to_string(&value) {
        Some(message) if level > 0 => {
            let mut text = lua.position(level as usize).into_bytes();
            text.extend_from_slice(message.as_bytes());
            Value::str(text)
        }
        _ => value,
    };
    Err(LuaError::with_value(value))
}

fn pcall(lua: &mut Lua, host: &mut dyn Host, mut args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    check_any(&args, 1, "pcall")?;
    let function = args.remove(0);
    match lua.call(host, &function, args) {
        Ok(mut results) => {
            results.insert(0, Value::Bool(true));
            Ok(results)
        }
        Err(error) if error.kind == ErrorKind::Fatal => Err(error),
        Err(error) => Ok(vec![Value::Bool(false), error.into_value()]),
    }
}

/// `xpcall(f, handler)`: Lua 5.1 passes `f` no arguments; the handler turns the error value
/// into the second result.
fn xpcall(lua: &mut Lua, host: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    check_any(&args, 2, "xpcall")?;
    match lua.call(host, &args[0], Vec::new()) {
        Ok(mut results) => {
            results.insert(0, Value::Bool(true));
            Ok(results)
        }
        Err(error) if error.kind == ErrorKind::Fatal => Err(error),
        Err(error) => {
            let handled = match lua.call(host, &args[1], vec![error.into_value()]) {
                Ok(results) => results.into_iter().next().unwrap_or_default(),
                Err(error) if error.kind == ErrorKind::Fatal => return Err(error),
                Err(error) => error.into_value(),
            };
            Ok(vec![Value::Bool(false), handled])
        }
    }
}

fn next(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = check_table(&args, 1, "next")?;
    let found = table.0.borrow().next(&arg(&args, 2))?;
    Ok(match found {
        Some((key, value)) => vec![key, value],
        None => vec![Value::Nil],
    })
}

fn pairs(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = check_table(&args, 1, "pairs")?;
    Ok(vec![native("next", next), Value::Table(table), Value::Nil])
}

fn ipairs(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = check_table(&args, 1, "ipairs")?;
    Ok(vec![
        native("ipairs_aux", ipairs_step),
        Value::Table(table),
        Value::Number(0.0),
    ])
}

/// The iterator `ipairs` returns: `t[i + 1]` until a nil, without metamethods.
fn ipairs_step(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = check_table(&args, 1, "ipairs_aux")?;
    let index = check_int(&args, 2, "ipairs_aux")? as i64 + 1;
    let value = table.get_int(index);
    if value.is_nil() {
        return Ok(Vec::new());
    }
    Ok(vec![Value::Number(index as f64), value])
}

/// `select(n, ...)`: the arguments from the n-th (negative: from the end), or their count.
fn select(_: &mut Lua, _: &mut dyn Host, mut args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let count = args.len().saturating_sub(1) as i64;
    if let Some(Value::Str(s)) = args.first() {
        if s.as_bytes().first() == Some(&b'#') {
            return Ok(vec![Value::Number(count as f64)]);
        }
    }
    let n = check_int(&args, 1, "select")? as i64;
    let start = if n < 0 {
        count + n + 1
    } else {
        n.min(count + 1)
    };
    if start < 1 {
        return Err(arg_error(1, "select", "index out of range"));
    }
    Ok(args.split_off(start as usize))
}

fn unpack(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = check_table(&args, 1, "unpack")?;
    let first = opt_int(&args, 2, "unpack", 1)? as i64;
    let last = if is_none_or_nil(&args, 3) {
        table.len() as i64
    } else {
        check_int(&args, 3, "unpack")? as i64
    };
    if first > last {
        return Ok(Vec::new());
    }
    let count = (last - first + 1) as usize;
    if count >= MAX_RESULTS || count + args.len().min(3) > MAX_RESULTS {
        return Err(LuaError::runtime("too many results to unpack"));
    }
    Ok((first..=last).map(|i| table.get_int(i)).collect())
}

/// `tonumber(e, base)`: base 10 reads Lua's number syntax; bases 2 to 36 read an unsigned
/// integer as C's `strtoul` (whitespace around it allowed).
fn tonumber(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let base = opt_int(&args, 2, "tonumber", 10)?;
    if base == 10 {
        check_any(&args, 1, "tonumber")?;
        return Ok(vec![
            number::coerce_to_number(&args[0]).map_or(Value::Nil, Value::Number),
        ]);
    }
    let text = check_string(&args, 1, "tonumber")?;
    if !(2..=36).contains(&base) {
        return Err(arg_error(2, "tonumber", "base out of range"));
    }
    Ok(vec![
        parse_in_base(text.as_bytes(), base as u32).map_or(Value::Nil, Value::Number),
    ])
}

/// `strtoul(text, &end, base)` consuming the whole text but trailing whitespace.
fn parse_in_base(text: &[u8], base: u32) -> Option<f64> {
    let text = text.trim_ascii_start();
    let (negative, mut digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if base == 16 && (digits.starts_with(b"0x") || digits.starts_with(b"0X")) {
        digits = &digits[2..];
    }
    let length = digits
        .iter()
        .take_while(|d| (**d as char).is_digit(base))
        .count();
    if length == 0 || !digits[length..].trim_ascii().is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for digit in &digits[..length] {
        let digit = (*digit as char).to_digit(base)? as u64;
        value = value
            .checked_mul(base as u64)
            .and_then(|v| v.checked_add(digit))
            .unwrap_or(u64::MAX);
    }
    // strtoul negates in unsigned arithmetic.
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    } as f64)
}

fn tostring(lua: &mut Lua, host: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    check_any(&args, 1, "tostring")?;
    Ok(vec![lua.tostring_value(host, &args[0])?])
}

fn type_(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    check_any(&args, 1, "type")?;
    Ok(vec![Value::str(args[0].type_name())])
}

fn rawequal(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    check_any(&args, 1, "rawequal")?;
    check_any(&args, 2, "rawequal")?;
    Ok(vec![Value::Bool(args[0].raw_eq(&args[1]))])
}

fn rawget(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = check_table(&args, 1, "rawget")?;
    check_any(&args, 2, "rawget")?;
    Ok(vec![table.get(&args[1])])
}

fn rawset(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = check_table(&args, 1, "rawset")?;
    check_any(&args, 2, "rawset")?;
    check_any(&args, 3, "rawset")?;
    table.set(args[1].clone(), args[2].clone())?;
    Ok(vec![Value::Table(table)])
}

/// `setmetatable(t, mt)`: refused when the current metatable has a `__metatable` field.
fn setmetatable(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let metatable = match args.get(1) {
        Some(Value::Nil) => None,
        Some(Value::Table(mt)) => Some(mt.clone()),
        _ => return Err(arg_error(2, "setmetatable", "nil or table expected")),
    };
    let table = check_table(&args, 1, "setmetatable")?;
    if let Some(current) = table.metatable() {
        if !current.get_str("__metatable").is_nil() {
            return Err(LuaError::runtime("cannot change a protected metatable"));
        }
    }
    let mut inner = table.0.borrow_mut();
    if inner.readonly {
        return Err(LuaError::runtime("Attempt to modify a readonly table"));
    }
    inner.metatable = metatable;
    drop(inner);
    Ok(vec![Value::Table(table)])
}

/// `getmetatable(v)`: the `__metatable` field when there is one, else the metatable.
fn getmetatable(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    check_any(&args, 1, "getmetatable")?;
    let Some(metatable) = lua.metatable_of(&args[0]) else {
        return Ok(vec![Value::Nil]);
    };
    let protected = metatable.get_str("__metatable");
    Ok(vec![if protected.is_nil() {
        Value::Table(metatable)
    } else {
        protected
    }])
}

/// `loadstring(s, name)`: the compiled chunk, or nil and the syntax error.
fn loadstring(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let source = check_string(&args, 1, "loadstring")?;
    let name = opt_string(&args, 2, "loadstring", "")?;
    let name = if is_none_or_nil(&args, 2) {
        &source
    } else {
        &name
    };
    match lua.load(source.as_bytes(), &chunk_id(name.as_bytes())) {
        Ok(function) => Ok(vec![Value::Function(function)]),
        Err(error) => Ok(vec![Value::Nil, error.into_value()]),
    }
}

/// `luaO_chunkid`: how errors name a chunk. `=name` and `@file` name it themselves; any other
/// source is quoted, up to its first line and [`CHUNK_ID_LENGTH`] bytes.
fn chunk_id(name: &[u8]) -> String {
    match name.first() {
        Some(b'=' | b'@') => String::from_utf8_lossy(&name[1..]).into_owned(),
        _ => {
            let first_line = name.split(|b| *b == b'\n').next().unwrap_or_default();
            let shown = &first_line[..first_line.len().min(CHUNK_ID_LENGTH)];
            let ellipsis = if shown.len() < name.len() { "..." } else { "" };
            format!("[string \"{}{ellipsis}\"]", String::from_utf8_lossy(shown))
        }
    }
}

/// `gcinfo()`: the memory in use, in KB.
fn gcinfo(lua: &mut Lua, _: &mut dyn Host, _: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Number((lua.memory_in_use() / 1024) as f64)])
}

/// `collectgarbage(option)`. "count" is the memory in use in KB; the other options answer as
/// Lua's do but do nothing: the cycle collector runs between scripts, since values held by
/// running frames are not roots it can see (see `gc.rs`).
fn collectgarbage(
    lua: &mut Lua,
    _: &mut dyn Host,
    args: Vec<Value>,
) -> Result<Vec<Value>, LuaError> {
    const OPTIONS: [&str; 7] = [
        "stop",
        "restart",
        "collect",
        "count",
        "step",
        "setpause",
        "setstepmul",
    ];
    let option = opt_string(&args, 1, "collectgarbage", "collect")?;
    let Some(option) = OPTIONS.iter().find(|o| o.as_bytes() == option.as_bytes()) else {
        let detail = format!(
            "invalid option '{}'",
            String::from_utf8_lossy(option.as_bytes())
        );
        return Err(arg_error(1, "collectgarbage", &detail));
    };
    Ok(vec![Value::Number(match *option {
        "count" => lua.memory_in_use() as f64 / 1024.0,
        "step" => 1.0,
        _ => 0.0,
    })])
}
