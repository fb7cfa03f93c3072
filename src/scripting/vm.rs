//! The Lua VM scripts run in, with Redis 7's sandbox, and the EVAL VM of each connection
//! thread.
//!
//! # One VM per thread
//! The interpreter is `Rc`-based: a VM belongs to the thread that made it. Redis has one Lua
//! state, but since 7.0 a script cannot keep global state in it (the globals are read-only),
//! so one VM per connection thread, built lazily, answers every script exactly as the single
//! one would. Each thread compiles the scripts it runs once and keeps them by SHA; a
//! `SCRIPT FLUSH` (a new [`super::cache::ScriptCache::generation`]) makes it start afresh.
//!
//! # The sandbox (`scriptingInit`, `luaRegisterRedisAPI` in Redis)
//! Only the globals on Redis's allow lists stay (no `print`, `dofile`, `loadfile`, `os`, `io`,
//! `debug`), `pcall` is Redis's (an error table is caught as its `err` string), reading a global
//! that does not exist raises `Script attempted to access nonexistent global variable 'x'`,
//! and every table reachable from the globals, metatables included, is read-only: `a = 1`
//! raises `Attempt to modify a readonly table`.

use std::cell::RefCell;
use std::collections::HashMap;

use super::api;
use super::flags::ScriptFlags;
use crate::lua::key_hash::KeyHashState;
use crate::lua::{Host, Lua, LuaError, TableRef, Value, stdlib};

/// The globals a script may see: Redis's `libraries_allow_list`, `redis_api_allow_list`,
/// `lua_builtins_allow_list` and `lua_builtins_not_documented_allow_list`.
const ALLOWED_GLOBALS: &[&str] = &[
    "string",
    "cjson",
    "bit",
    "cmsgpack",
    "math",
    "table",
    "struct",
    "redis",
    "xpcall",
    "tostring",
    "getfenv",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "coroutine",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "setfenv",
    "load",
    "error",
    "newproxy",
];

/// What INFO reports as the EVAL VM's memory (`used_memory_lua`): the VMs are per thread and
/// not measured apart, so this is what Redis reports for an idle one.
pub const IDLE_VM_BYTES: u64 = 32768;

/// How much of a connection thread's stack a script may use before "stack overflow": all but
/// a margin for the command that runs it and the commands it calls.
const SCRIPT_STACK_BUDGET: usize = crate::server::CLIENT_STACK - 512 * 1024;

/// How many scripts run between two collections of reference cycles (Redis's
/// `LUA_GC_CYCLE_PERIOD`).
const GC_PERIOD: u32 = 50;

/// A VM with the libraries, the run-time `redis` API and Redis's sandbox.
pub fn sandboxed() -> Lua {
    let mut lua = Lua::new();
    lua.set_stack_budget(SCRIPT_STACK_BUDGET);
    stdlib::open_all(&mut lua);
    api::install(&mut lua);
    keep_allowed_globals(&lua);
    lua.register(&lua.globals(), "pcall", redis_pcall);
    protect_globals(&mut lua);
    lua
}

/// Removes the globals the libraries installed that scripts may not see.
fn keep_allowed_globals(lua: &Lua) {
    let globals = lua.globals();
    let names: Vec<Value> = globals.0.borrow().pairs().map(|(k, _)| k).collect();
    for name in names {
        let allowed = matches!(&name, Value::Str(s)
            if ALLOWED_GLOBALS.iter().any(|a| a.as_bytes() == s.as_bytes()));
        if !allowed {
            let _ = globals.set(name, Value::Nil);
        }
    }
}

/// Makes the globals read-only, with the `__index` that refuses unknown names, and every table
/// reachable from them (Redis's `luaSetErrorMetatable` and `luaSetTableProtectionRecursively`).
pub fn protect_globals(lua: &mut Lua) {
    let globals = lua.globals();
    let metatable = lua.new_table();
    lua.register(&metatable, "__index", nonexistent_global);
    globals.0.borrow_mut().metatable = Some(metatable);
    make_readonly(&globals);
    // Strings' shared metatable as well: Redis refuses `getmetatable('').x = 1` too.
    if let Some(string_metatable) = lua.string_metatable.clone() {
        make_readonly(&string_metatable);
    }
}

fn make_readonly(table: &TableRef) {
    if table.0.borrow().readonly {
        return;
    }
    table.0.borrow_mut().readonly = true;
    let nested: Vec<TableRef> = (table.0.borrow().pairs())
        .filter_map(|(_, v)| match v {
            Value::Table(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    nested.iter().for_each(make_readonly);
    if let Some(metatable) = table.metatable() {
        make_readonly(&metatable);
    }
}

/// Sets a global of a protected VM (KEYS and ARGV before each EVAL), as Redis lifts the
/// protection for the purpose.
pub fn set_protected_global(lua: &Lua, name: &Value, value: Value) {
    let globals = lua.globals();
    globals.0.borrow_mut().readonly = false;
    let _ = globals.set(name.clone(), value);
    globals.0.borrow_mut().readonly = true;
}

/// The globals' `__index` (Redis's `luaProtectedTableError`), at run time and while a library
/// loads.
pub(in crate::scripting) fn nonexistent_global(
    _: &mut Lua,
    _: &mut dyn Host,
    args: Vec<Value>,
) -> Result<Vec<Value>, LuaError> {
    let name = match args.get(1) {
        Some(Value::Str(s)) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        Some(Value::Number(n)) => crate::lua::number::to_string(*n),
        _ => {
            return Err(LuaError::runtime(
                "Second argument to luaProtectedTableError must be a string or number",
            ));
        }
    };
    Err(LuaError::runtime(format!(
        "Script attempted to access nonexistent global variable '{name}'"
    )))
}

/// Redis's `pcall` (`luaRedisPcall`): Lua's, except that an error table with an `err` string
/// (what `redis.call` raises) is caught as that string, as scripts older than Redis 7 expect.
fn redis_pcall(
    lua: &mut Lua,
    host: &mut dyn Host,
    mut args: Vec<Value>,
) -> Result<Vec<Value>, LuaError> {
    if args.is_empty() {
        return Err(LuaError::runtime(
            "bad argument #1 to 'pcall' (value expected)",
        ));
    }
    let function = args.remove(0);
    match lua.call(host, &function, args) {
        Ok(mut results) => {
            results.insert(0, Value::Bool(true));
            Ok(results)
        }
        Err(error) if error.kind == crate::lua::ErrorKind::Fatal => Err(error),
        Err(error) => {
            let value = match &error.value {
                Value::Table(t) => match t.get_str("err") {
                    message @ Value::Str(_) => message,
                    _ => error.value.clone(),
                },
                _ => error.value.clone(),
            };
            Ok(vec![Value::Bool(false), value])
        }
    }
}

/// A script this thread compiled: its function and the flags its shebang declares.
#[derive(Clone)]
pub struct CompiledScript {
    pub function: Value,
    pub flags: ScriptFlags,
}

/// A thread's EVAL VM and the scripts it compiled.
pub struct EvalVm {
    pub lua: Lua,
    /// `f_<sha>` functions by SHA. Looked up on every EVALSHA, before the server-wide cache
    /// (see [`EvalVm::compiled`]); keyed by the tables' hash, not SipHash (a 40-byte SipHash
    /// was ~300 instructions of each call, callgrind).
    compiled: HashMap<String, CompiledScript, KeyHashState>,
    /// The cache generation they belong to.
    generation: u64,
    runs_since_gc: u32,
}

thread_local! {
    static EVAL_VM: RefCell<Option<EvalVm>> = const { RefCell::new(None) };
}

/// Runs `use_vm` with this thread's EVAL VM, made afresh if there is none yet or if the script
/// cache was flushed since (`generation`). `None` if the VM is busy already: a script calling
/// EVAL, which only `DEBUG SET-DISABLE-DENY-SCRIPTS` lets through.
pub fn with_eval_vm<R>(generation: u64, use_vm: impl FnOnce(&mut EvalVm) -> R) -> Option<R> {
    EVAL_VM.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.as_ref().is_none_or(|vm| vm.generation != generation) {
            *slot = Some(EvalVm {
                lua: sandboxed(),
                compiled: HashMap::default(),
                generation,
                runs_since_gc: 0,
            });
        }
        Some(use_vm(slot.as_mut().expect("made above")))
    })
}

impl EvalVm {
    /// A script this thread compiled in the current cache generation. Such a script is in the
    /// server-wide cache too (it was added when compiled, and only a flush, which makes a new
    /// VM, removes scripts), so EVALSHA needs neither the cache's lock nor its copy of the body.
    pub fn compiled(&self, sha: &str) -> Option<CompiledScript> {
        self.compiled.get(sha).cloned()
    }

    /// Compiles a script's body (Redis's `luaCreateFunction`) and keeps it by SHA.
    /// `shebang_len` bytes are skipped, keeping the line feed so line numbers stay the user's.
    /// The error is Redis's reply text.
    pub fn compile(
        &mut self,
        sha: &str,
        body: &[u8],
        shebang_len: usize,
        flags: ScriptFlags,
    ) -> Result<CompiledScript, String> {
        match self.lua.load(&body[shebang_len..], "user_script") {
            Ok(function) => {
                let script = CompiledScript {
                    function: Value::Function(function),
                    flags,
                };
                self.compiled.insert(sha.to_owned(), script.clone());
                Ok(script)
            }
            Err(error) => Err(format!(
                "Error compiling script (new function): {}",
                error.message()
            )),
        }
    }

    /// After a script: now and then, frees the reference cycles it left. Scripts cannot
    /// change the globals (read-only) and KEYS and ARGV are replaced by the next EVAL, so
    /// nothing made before the last collection can have become a cycle's garbage: if nothing
    /// made since survived, there is nothing to collect (see `lua/gc.rs`).
    pub fn after_run(&mut self) {
        self.runs_since_gc += 1;
        if self.runs_since_gc >= GC_PERIOD {
            self.runs_since_gc = 0;
            if !self.lua.has_new_survivors() {
                return;
            }
            let roots: Vec<Value> = (self.compiled.values())
                .map(|script| script.function.clone())
                .collect();
            self.lua.collect_garbage(&roots);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::NoHost;

    fn run(lua: &mut Lua, code: &str) -> Result<Vec<Value>, LuaError> {
        let function = Value::Function(lua.load(code.as_bytes(), "user_script")?);
        lua.call(&mut NoHost, &function, Vec::new())
    }

    #[test]
    fn the_string_metatable_is_read_only_as_in_redis() {
        let mut lua = sandboxed();
        let error = run(&mut lua, "getmetatable('').x = 1").unwrap_err();
        assert!(
            error
                .message()
                .contains("Attempt to modify a readonly table")
        );
        assert!(run(&mut lua, "return ('a'):upper()").is_ok());
    }
}
