//! The `redis` table a script sees at run time (Redis's `luaRegisterRedisAPI` and the
//! debugging stubs of `scriptingInit`): `call`, `pcall`, `setresp`, `set_repl`,
//! `acl_check_cmd` are host functions, answered by the run they belong to (`run.rs`); the rest
//! (`log`, `sha1hex`, `error_reply`, `status_reply`, `breakpoint`, `debug`,
//! `replicate_commands`, the constants) need nothing from it and are native.
//!
//! Errors raised here are what Redis's `luaPushError` makes: a table whose `err` field is the
//! error line (`ERR <message>`), see [`redis_error`].

use std::rc::Rc;

use crate::log::Level;
use crate::lua::value::HostFunction;
use crate::lua::{Function, Host, Lua, LuaError, TableRef, Value, number};

/// The host functions' ids ([`HostFunction::id`]).
pub mod ids {
    pub const CALL: usize = 0;
    pub const PCALL: usize = 1;
    pub const SETRESP: usize = 2;
    pub const SET_REPL: usize = 3;
    pub const ACL_CHECK_CMD: usize = 4;
}

/// Host function ids from here on are free for other embedders of the VM (FUNCTION's
/// load-time API).
pub const FIRST_FREE_HOST_ID: usize = 1000;

/// Redis's `PROPAGATE_AOF` and `PROPAGATE_REPL`, the bits of `redis.set_repl`.
pub const REPL_AOF: u8 = 1;
pub const REPL_REPLICA: u8 = 2;

/// Installs the `redis` global and returns it.
pub fn install(lua: &mut Lua) -> TableRef {
    let redis = lua.new_table();
    let host = |name: &'static str, id: usize| {
        Value::Function(Function::Host(Rc::new(HostFunction { name, id })))
    };
    redis.set_str("call", host("call", ids::CALL));
    redis.set_str("pcall", host("pcall", ids::PCALL));
    redis.set_str("setresp", host("setresp", ids::SETRESP));
    redis.set_str("set_repl", host("set_repl", ids::SET_REPL));
    redis.set_str("acl_check_cmd", host("acl_check_cmd", ids::ACL_CHECK_CMD));
    lua.register(&redis, "log", log);
    lua.register(&redis, "sha1hex", sha1hex);
    lua.register(&redis, "error_reply", error_reply);
    lua.register(&redis, "status_reply", status_reply);
    lua.register(&redis, "breakpoint", breakpoint);
    lua.register(&redis, "debug", debug);
    lua.register(&redis, "replicate_commands", replicate_commands);
    for (name, level) in [
        ("LOG_DEBUG", Level::Debug),
        ("LOG_VERBOSE", Level::Verbose),
        ("LOG_NOTICE", Level::Notice),
        ("LOG_WARNING", Level::Warning),
    ] {
        redis.set_str(name, Value::Number(level as u8 as f64));
    }
    for (name, bits) in [
        ("REPL_NONE", 0),
        ("REPL_AOF", REPL_AOF),
        ("REPL_SLAVE", REPL_REPLICA),
        ("REPL_REPLICA", REPL_REPLICA),
        ("REPL_ALL", REPL_AOF | REPL_REPLICA),
    ] {
        redis.set_str(name, Value::Number(f64::from(bits)));
    }
    redis.set_str("REDIS_VERSION", Value::str(crate::REDIS_VERSION));
    redis.set_str(
        "REDIS_VERSION_NUM",
        Value::Number(f64::from(version_number(crate::REDIS_VERSION))),
    );
    lua.globals().set_str("redis", Value::Table(redis.clone()));
    redis
}

/// `0x00MMmmpp`, as Redis's `REDIS_VERSION_NUM`.
pub fn version_number(version: &str) -> u32 {
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next() << 16) | (next() << 8) | next()
}

/// The `{err=...}` table of an error line (Redis's `luaPushErrorBuff`): `-CODE msg` keeps its
/// code, anything else gets `ERR`; trailing CR and LF go.
pub fn error_table(lua: &mut Lua, line: &[u8]) -> Value {
    let (code, message): (&[u8], &[u8]) = match line.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", line),
    };
    let end = message.len()
        - message
            .iter()
            .rev()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
    let start = message[..end]
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let mut text = code.to_vec();
    text.push(b' ');
    text.extend_from_slice(&message[start..end]);
    let table = lua.new_table();
    table.set_str("err", Value::str(text));
    Value::Table(table)
}

/// Raises an error table (Redis's `luaPushError` then `luaError`).
pub fn redis_error(lua: &mut Lua, message: &str) -> LuaError {
    LuaError::with_value(error_table(lua, message.as_bytes()))
}

/// `redis.log(level, message...)`: the arguments that are strings or numbers, joined by
/// spaces, to the server log at that level.
pub fn log(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() < 2 {
        return Err(redis_error(
            lua,
            "redis.log() requires two arguments or more.",
        ));
    }
    let Some(level) = number::coerce_to_number(&args[0]) else {
        return Err(redis_error(
            lua,
            "First argument must be a number (log level).",
        ));
    };
    let level = match level as i64 {
        0 => Level::Debug,
        1 => Level::Verbose,
        2 => Level::Notice,
        3 => Level::Warning,
        _ => return Err(redis_error(lua, "Invalid debug level.")),
    };
    let words: Vec<String> = (args[1..].iter())
        .filter_map(number::coerce_to_string)
        .map(|s| String::from_utf8_lossy(s.as_bytes()).into_owned())
        .collect();
    crate::log::write(level, format_args!("{}", words.join(" ")));
    Ok(vec![])
}

/// `redis.sha1hex(s)`.
fn sha1hex(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() != 1 {
        return Err(redis_error(lua, "wrong number of arguments"));
    }
    let text = number::coerce_to_string(&args[0]);
    let bytes = text.as_ref().map(|s| s.as_bytes()).unwrap_or_default();
    Ok(vec![Value::str(super::sha1::sha1_hex(bytes))])
}

/// `redis.error_reply(msg)`: `{err=msg}`, its code `ERR` if it has none. A bad argument is
/// returned as an error table too, not raised (Redis's `luaRedisErrorReplyCommand`).
fn error_reply(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let [Value::Str(message)] = args.as_slice() else {
        return Ok(vec![error_table(lua, b"wrong number or type of arguments")]);
    };
    let mut line = message.as_bytes().to_vec();
    if !line.starts_with(b"-") {
        line.insert(0, b'-');
    }
    Ok(vec![error_table(lua, &line)])
}

/// `redis.status_reply(msg)`: `{ok=msg}`.
fn status_reply(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let [status @ Value::Str(_)] = args.as_slice() else {
        return Ok(vec![error_table(lua, b"wrong number or type of arguments")]);
    };
    Ok(vec![super::convert::single_field_table(
        lua,
        "ok",
        status.clone(),
    )])
}

/// `redis.breakpoint()`: false, there is no debugger session (Redis's answer without one).
fn breakpoint(_: &mut Lua, _: &mut dyn Host, _: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Bool(false)])
}

/// `redis.debug(...)`: nothing without a debugger session.
fn debug(_: &mut Lua, _: &mut dyn Host, _: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Ok(vec![])
}

/// `redis.replicate_commands()`: true, scripts replicate their effects since Redis 7.
fn replicate_commands(
    _: &mut Lua,
    _: &mut dyn Host,
    _: Vec<Value>,
) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Bool(true)])
}

/// The error a host function raises when no script is running (a library's load-time code
/// calling `redis.call`): Redis's `... can only be called inside a script invocation`.
pub fn outside_a_run(lua: &mut Lua, id: usize) -> LuaError {
    let name = match id {
        ids::CALL | ids::PCALL => "redis.call/pcall",
        ids::SETRESP => "redis.setresp",
        ids::SET_REPL => "redis.set_repl",
        _ => "redis.acl_check_cmd",
    };
    redis_error(
        lua,
        &format!("{name} can only be called inside a script invocation"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::NoHost;

    fn err_of(value: &Value) -> String {
        let Value::Table(t) = value else {
            panic!("an error table");
        };
        let Value::Str(s) = t.get_str("err") else {
            panic!("with err");
        };
        String::from_utf8_lossy(s.as_bytes()).into_owned()
    }

    #[test]
    fn error_tables_carry_a_code() {
        let mut lua = Lua::new();
        assert_eq!(
            err_of(&error_table(&mut lua, b"-MY_CODE custom msg")),
            "MY_CODE custom msg"
        );
        assert_eq!(err_of(&error_table(&mut lua, b"plain\r\n")), "ERR plain");
        assert_eq!(err_of(&error_table(&mut lua, b"-")), "ERR ");
    }

    #[test]
    fn error_reply_and_status_reply_make_tables() {
        let mut lua = Lua::new();
        let reply = error_reply(&mut lua, &mut NoHost, vec![Value::str("MY_ERR x")]).unwrap();
        assert_eq!(err_of(&reply[0]), "MY_ERR x");
        let reply = error_reply(&mut lua, &mut NoHost, vec![]).unwrap();
        assert_eq!(err_of(&reply[0]), "ERR wrong number or type of arguments");
        let reply = status_reply(&mut lua, &mut NoHost, vec![Value::str("FINE")]).unwrap();
        let Value::Table(t) = &reply[0] else {
            panic!("a table");
        };
        assert!(t.get_str("ok").raw_eq(&Value::str("FINE")));
    }

    #[test]
    fn the_version_number_is_packed_as_redis_packs_it() {
        assert_eq!(version_number("7.0.15"), 0x0007_000f);
    }
}
