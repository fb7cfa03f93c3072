//! Running a library's code: what it sees while it runs (only the load-time `redis` table:
//! `register_function`, `log`, the version), `redis.register_function` itself, and the 500 ms
//! limit on the run (Redis's `luaEngineCreate` and `luaRegisterFunction` in function_lua.c).
//!
//! # One globals table, two views
//! As in Redis, the globals of a functions VM are an empty, read-only table whose metatable's
//! `__index` is switched: to the load-time API while a library's code runs, back to the
//! run-time globals (the sandbox `scripting` builds for scripts) afterwards. The functions a
//! library registers are closures over those globals, so when FCALL runs them they see the
//! run-time view, and code that kept a reference to the load-time `redis` table finds it
//! read-only and its `register_function` refusing to work outside a load.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use super::library::{BAD_NAME, FunctionInfo, is_valid_name};
use crate::lua::{Host, Lua, LuaError, LuaStr, TableRef, Value};
use crate::scripting::flags::ScriptFlags;
use crate::scripting::vm;

/// How long a library's code may run when a client loads it (Redis's `LOAD_TIMEOUT_MS`).
pub const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// A function a library's code registered, with its callback in the VM that ran the code.
pub struct Registered {
    pub info: FunctionInfo,
    pub callback: Value,
}

thread_local! {
    /// The functions registered by the library whose code runs on this thread, if one runs:
    /// `redis.register_function` adds to it (Redis keeps this in the Lua registry).
    static REGISTERING: RefCell<Option<Vec<Registered>>> = const { RefCell::new(None) };
}

/// The two views of a functions VM's globals (see the module documentation).
pub struct Environment {
    /// The metatable of the globals: its `__index` is the view.
    view: TableRef,
    /// What library code sees: the load-time `redis` table only.
    load_api: Value,
    /// What functions see when they run.
    run_time: Value,
}

impl Environment {
    /// Turns `lua`'s globals into the switchable view, `run_time` (usually a table of the
    /// run-time globals, `Nil` for a VM that only checks libraries) seen by default.
    pub fn install(lua: &mut Lua, run_time: Value) -> Environment {
        let load_api = load_api(lua);
        let view = lua.new_table();
        view.set_str("__index", run_time.clone());
        view.0.borrow_mut().readonly = true;
        let globals = lua.globals();
        {
            let mut globals = globals.0.borrow_mut();
            globals.metatable = Some(view.clone());
            globals.readonly = true;
        }
        Environment {
            view,
            load_api: Value::Table(load_api),
            run_time,
        }
    }

    /// The tables of both views, which the cycle collector must not take for garbage while
    /// only the globals' metatable, switched to the other view, leads to one of them.
    pub fn tables(&self) -> Vec<Value> {
        vec![
            Value::Table(self.view.clone()),
            self.load_api.clone(),
            self.run_time.clone(),
        ]
    }

    fn show(&self, api: &Value) {
        let mut view = self.view.0.borrow_mut();
        view.readonly = false;
        let result = view.set(Value::str("__index"), api.clone());
        view.readonly = true;
        debug_assert!(result.is_ok(), "a string key is always accepted");
    }

    /// Runs the code of a library (its `body`, after the shebang line) in `lua`, whose globals
    /// this environment manages, for at most `time_limit` if there is one, and returns the
    /// functions it registered, or Redis's error for the load (`Error compiling function: ...`,
    /// `Error registering functions: ...`, `No functions registered`).
    pub fn run_library(
        &self,
        lua: &mut Lua,
        body: &[u8],
        time_limit: Option<Duration>,
    ) -> Result<Vec<Registered>, String> {
        let chunk = lua
            .load(body, "user_function")
            .map_err(|error| format!("Error compiling function: {}", error.message()))?;
        self.show(&self.load_api);
        REGISTERING.with(|registering| *registering.borrow_mut() = Some(Vec::new()));
        let mut host = LoadHost {
            started: Instant::now(),
            time_limit,
        };
        let ran = lua.call(&mut host, &Value::Function(chunk), Vec::new());
        let registered = REGISTERING.with(|registering| registering.borrow_mut().take());
        self.show(&self.run_time);
        if let Err(error) = ran {
            return Err(format!(
                "Error registering functions: {}",
                error_message(&error)
            ));
        }
        let registered = registered.unwrap_or_default();
        if registered.is_empty() {
            return Err("No functions registered".into());
        }
        Ok(registered)
    }
}

/// The message of an error a library's code raised, as Redis's `luaExtractErrorInformation`
/// reads it: the `err` field of an error table, or `ERR ` and the error string.
fn error_message(error: &LuaError) -> String {
    match &error.value {
        Value::Table(table) => match table.get_str("err") {
            Value::Str(message) => String::from_utf8_lossy(message.as_bytes()).into_owned(),
            _ => "ERR unknown error".into(),
        },
        _ => format!("ERR {}", error.message()),
    }
}

/// The host while library code runs: no host functions, and the time limit in the hook.
struct LoadHost {
    started: Instant,
    time_limit: Option<Duration>,
}

impl Host for LoadHost {
    fn call(&mut self, _: &mut Lua, _: usize, _: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        Err(LuaError::runtime(
            "no host functions while loading a library",
        ))
    }

    fn hook(&mut self, lua: &mut Lua) -> Result<(), LuaError> {
        if self
            .time_limit
            .is_some_and(|limit| self.started.elapsed() > limit)
        {
            let mut error = redis_error(lua, "FUNCTION LOAD timeout");
            // pcall cannot hide it: the load stops.
            error.kind = crate::lua::ErrorKind::Fatal;
            return Err(error);
        }
        Ok(())
    }
}

/// The load-time globals: a read-only table holding a read-only `redis` with
/// `register_function`, `log` and its levels, and the version (Redis's `LIBRARY_API_NAME`).
fn load_api(lua: &mut Lua) -> TableRef {
    let redis = lua.new_table();
    lua.register(&redis, "register_function", register_function);
    lua.register(&redis, "log", log);
    for (name, level) in [
        ("LOG_DEBUG", 0.0),
        ("LOG_VERBOSE", 1.0),
        ("LOG_NOTICE", 2.0),
        ("LOG_WARNING", 3.0),
    ] {
        redis.set_str(name, Value::Number(level));
    }
    redis.set_str("REDIS_VERSION", Value::str(crate::REDIS_VERSION));
    redis.set_str(
        "REDIS_VERSION_NUM",
        Value::Number(f64::from(version_number(crate::REDIS_VERSION))),
    );
    let api = lua.new_table();
    api.set_str("redis", Value::Table(redis.clone()));
    for table in [&redis, &api] {
        let metatable = lua.new_table();
        lua.register(&metatable, "__index", vm::nonexistent_global);
        let mut table = table.0.borrow_mut();
        table.metatable = Some(metatable);
        table.readonly = true;
    }
    api
}

/// `0x00MMmmpp`, as Redis's `REDIS_VERSION_NUM`.
fn version_number(version: &str) -> u32 {
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next() << 16) | (next() << 8) | next()
}

/// An error as Redis's `luaPushError` raises it: a table whose `err` is `ERR <message>`.
fn redis_error(lua: &mut Lua, message: &str) -> LuaError {
    let table = lua.new_table();
    table.set_str("err", Value::str(format!("ERR {message}")));
    LuaError::with_value(Value::Table(table))
}

/// `redis.log(level, message...)` at load time: the server log, as at run time.
fn log(lua: &mut Lua, host: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() < 2 {
        return Err(redis_error(
            lua,
            "redis.log() requires two arguments or more.",
        ));
    }
    let Value::Number(level) = args[0] else {
        return Err(redis_error(
            lua,
            "First argument must be a number (log level).",
        ));
    };
    let mut line = Vec::new();
    for (i, arg) in args[1..].iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(lua.tostring(host, arg)?.as_bytes());
    }
    let line = String::from_utf8_lossy(&line);
    match level as i64 {
        0 => crate::log!(Debug, "{line}"),
        1 => crate::log!(Verbose, "{line}"),
        2 => crate::log!(Notice, "{line}"),
        3 => crate::log!(Warning, "{line}"),
        _ => return Err(redis_error(lua, "Invalid debug level.")),
    }
    Ok(Vec::new())
}

/// `redis.register_function(name, callback)` or `redis.register_function{function_name=...,
/// callback=..., description=..., flags={...}}` (Redis's `luaRegisterFunction`).
fn register_function(
    lua: &mut Lua,
    _: &mut dyn Host,
    args: Vec<Value>,
) -> Result<Vec<Value>, LuaError> {
    let loading = REGISTERING.with(|registering| registering.borrow().is_some());
    if !loading {
        return Err(redis_error(
            lua,
            "redis.register_function can only be called on FUNCTION LOAD command",
        ));
    }
    let registered = match args.len() {
        1 => named_arguments(&args[0]),
        2 => positional_arguments(&args[0], &args[1]),
        _ => Err("wrong number of arguments to redis.register_function"),
    }
    .map_err(|message| redis_error(lua, message))?;
    if !is_valid_name(registered.info.name.as_bytes()) {
        return Err(redis_error(lua, BAD_NAME));
    }
    let duplicate = REGISTERING.with(|registering| {
        let mut registering = registering.borrow_mut();
        let functions = registering.get_or_insert_with(Vec::new);
        if functions
            .iter()
            .any(|f| f.info.name == registered.info.name)
        {
            return true;
        }
        functions.push(registered);
        false
    });
    if duplicate {
        return Err(redis_error(lua, "Function already exists in the library"));
    }
    Ok(Vec::new())
}

/// A string, or a number as its text (Lua's `lua_isstring`, Redis's `luaGetStringSds`).
fn string_of(value: &Value) -> Option<LuaStr> {
    crate::lua::number::coerce_to_string(value)
}

fn positional_arguments(name: &Value, callback: &Value) -> Result<Registered, &'static str> {
    let name =
        string_of(name).ok_or("first argument to redis.register_function must be a string")?;
    if !matches!(callback, Value::Function(_)) {
        return Err("second argument to redis.register_function must be a function");
    }
    Ok(Registered {
        info: FunctionInfo {
            name: String::from_utf8_lossy(name.as_bytes()).into_owned(),
            description: None,
            flags: ScriptFlags::NONE,
        },
        callback: callback.clone(),
    })
}

fn named_arguments(arguments: &Value) -> Result<Registered, &'static str> {
    let Value::Table(arguments) = arguments else {
        return Err(
            "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        );
    };
    let (mut name, mut description, mut callback) = (None, None, None);
    let mut flags = ScriptFlags::NONE;
    let arguments: Vec<(Value, Value)> = (arguments.0.borrow().pairs())
        .map(|(key, value)| (key, value.clone()))
        .collect();
    for (key, value) in arguments {
        let key = string_of(&key)
            .ok_or("named argument key given to redis.register_function is not a string")?;
        let key = key.as_bytes();
        if key.eq_ignore_ascii_case(b"function_name") {
            let given = string_of(&value).ok_or(
                "function_name argument given to redis.register_function must be a string",
            )?;
            name = Some(String::from_utf8_lossy(given.as_bytes()).into_owned());
        } else if key.eq_ignore_ascii_case(b"description") {
            let given = string_of(&value)
                .ok_or("description argument given to redis.register_function must be a string")?;
            description = Some(given.as_bytes().to_vec());
        } else if key.eq_ignore_ascii_case(b"callback") {
            if !matches!(value, Value::Function(_)) {
                return Err(
                    "callback argument given to redis.register_function must be a function",
                );
            }
            callback = Some(value);
        } else if key.eq_ignore_ascii_case(b"flags") {
            let Value::Table(list) = value else {
                return Err(
                    "flags argument to redis.register_function must be a table representing function flags",
                );
            };
            flags = read_flags(&list).ok_or("unknown flag given")?;
        } else {
            return Err("unknown argument given to redis.register_function");
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok(Registered {
        info: FunctionInfo {
            name,
            description,
            flags,
        },
        callback,
    })
}

/// The flags `{'no-writes', ...}` names, read up to the first nil as Redis does; `None` if one
/// is not a string or not a flag.
fn read_flags(list: &TableRef) -> Option<ScriptFlags> {
    let mut flags = ScriptFlags::NONE;
    for index in 1.. {
        let value = list.get_int(index);
        if value.is_nil() {
            break;
        }
        // Without case, as Redis's `luaRegisterFunctionReadFlags` compares them.
        let name = string_of(&value)?.as_bytes().to_ascii_lowercase();
        flags = flags | ScriptFlags::from_name(&name)?;
    }
    Some(flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::NoHost;

    fn string(text: &str) -> Value {
        Value::str(text)
    }

    fn callback() -> Value {
        let mut lua = Lua::new();
        let table = lua.new_table();
        lua.register(&table, "f", log);
        table.get_str("f")
    }

    fn registering<R>(run: impl FnOnce(&mut Lua) -> R) -> (R, Vec<Registered>) {
        REGISTERING.with(|r| *r.borrow_mut() = Some(Vec::new()));
        let result = run(&mut Lua::new());
        let registered = REGISTERING.with(|r| r.borrow_mut().take()).unwrap();
        (result, registered)
    }

    fn err_of(error: LuaError) -> String {
        error_message(&error)
    }

    #[test]
    fn positional_registration_records_the_function() {
        let (result, registered) =
            registering(|lua| register_function(lua, &mut NoHost, vec![string("f1"), callback()]));
        assert!(result.is_ok());
        assert_eq!(registered.len(), 1);
        assert_eq!(registered[0].info.name, "f1");
        assert_eq!(registered[0].info.flags, ScriptFlags::NONE);
    }

    #[test]
    fn named_registration_reads_flags_and_description() {
        let (result, registered) = registering(|lua| {
            let arguments = lua.new_table();
            arguments.set_str("function_name", string("f1"));
            arguments.set_str("callback", callback());
            arguments.set_str("description", string("some desc"));
            let flags = lua.new_table();
            flags.push(string("no-writes"));
            flags.push(string("ALLOW-OOM"));
            arguments.set_str("flags", Value::Table(flags));
            register_function(lua, &mut NoHost, vec![Value::Table(arguments)])
        });
        assert!(result.is_ok());
        let info = &registered[0].info;
        assert_eq!(info.description.as_deref(), Some(&b"some desc"[..]));
        assert_eq!(
            info.flags.names().collect::<Vec<_>>(),
            ["no-writes", "allow-oom"]
        );
    }

    #[test]
    fn bad_registrations_get_redis_errors() {
        let (result, _) = registering(|lua| {
            let first = register_function(lua, &mut NoHost, vec![string("f1"), callback()]);
            assert!(first.is_ok());
            register_function(lua, &mut NoHost, vec![string("f1"), callback()])
        });
        assert_eq!(
            err_of(result.unwrap_err()),
            "ERR Function already exists in the library"
        );
        let cases: Vec<(Vec<Value>, &str)> = vec![
            (
                vec![],
                "wrong number of arguments to redis.register_function",
            ),
            (
                vec![string("f1")],
                "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
            ),
            (
                vec![Value::Nil, callback()],
                "first argument to redis.register_function must be a string",
            ),
            (
                vec![string("f1"), string("x")],
                "second argument to redis.register_function must be a function",
            ),
            (vec![string(""), callback()], BAD_NAME),
        ];
        for (args, expected) in cases {
            let (result, _) = registering(|lua| register_function(lua, &mut NoHost, args));
            assert_eq!(err_of(result.unwrap_err()), format!("ERR {expected}"));
        }
    }

    #[test]
    fn registering_outside_a_load_is_refused() {
        let mut lua = Lua::new();
        let error = register_function(&mut lua, &mut NoHost, vec![string("f"), callback()]);
        assert_eq!(
            err_of(error.unwrap_err()),
            "ERR redis.register_function can only be called on FUNCTION LOAD command"
        );
    }

    #[test]
    fn the_version_number_packs_its_parts() {
        assert_eq!(version_number("7.0.15"), 0x07000f);
    }
}
