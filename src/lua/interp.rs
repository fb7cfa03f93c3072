//! (being written) The VM and the tree-walking interpreter. This stub fixes the API the
//! libraries and Redis's glue are written against; its bodies are placeholders.

use std::rc::Rc;

use super::host::Host;
use super::value::{Function, LuaError, LuaStr, Native, NativeFn, TableRef, Value};

/// A Lua VM: its globals, the string metatable, and the interpreter's state.
pub struct Lua {
    globals: TableRef,
    /// The metatable of every string (its `__index` is the `string` library, so `s:upper()`).
    pub string_metatable: Option<TableRef>,
}

impl Default for Lua {
    fn default() -> Lua {
        Lua::new()
    }
}

impl Lua {
    /// A VM with empty globals: no library is installed (see `stdlib::open_all`).
    pub fn new() -> Lua {
        Lua {
            globals: TableRef(Rc::default()),
            string_metatable: None,
        }
    }

    pub fn globals(&self) -> TableRef {
        self.globals.clone()
    }

    /// A new empty table, known to the cycle collector. Every table must be made here.
    pub fn new_table(&mut self) -> TableRef {
        TableRef(Rc::default())
    }

    /// Compiles a chunk into a function of no parameters taking varargs, whose globals are the
    /// VM's. A syntax error is an [`super::ErrorKind::Syntax`] error whose message is Lua's
    /// (`user_script:1: '=' expected near 'x'`).
    pub fn load(&mut self, source: &[u8], chunk_name: &str) -> Result<Function, LuaError> {
        let _ = (source, chunk_name);
        Err(LuaError::runtime("the interpreter is being written"))
    }

    /// Calls any value (a function, or a table with `__call`) with its arguments; returns all
    /// its results.
    pub fn call(
        &mut self,
        host: &mut dyn Host,
        function: &Value,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, LuaError> {
        let _ = (host, function, args);
        Err(LuaError::runtime("the interpreter is being written"))
    }

    /// Installs a native function as `table[name]`.
    pub fn register(&mut self, table: &TableRef, name: &'static str, run: NativeFn) {
        table.set_str(name, Value::Function(Function::Native(Rc::new(Native { name, run }))));
    }

    /// `tostring(v)`, `__tostring` included.
    pub fn tostring(&mut self, host: &mut dyn Host, value: &Value) -> Result<LuaStr, LuaError> {
        let _ = (host, value);
        Err(LuaError::runtime("the interpreter is being written"))
    }

    /// `a < b` with Lua's rules (numbers, strings, `__lt`), for `table.sort`.
    pub fn less_than(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        b: &Value,
    ) -> Result<bool, LuaError> {
        let _ = (host, a, b);
        Err(LuaError::runtime("the interpreter is being written"))
    }

    /// `t[k]` with `__index`.
    pub fn index(
        &mut self,
        host: &mut dyn Host,
        table: &Value,
        key: &Value,
    ) -> Result<Value, LuaError> {
        let _ = (host, table, key);
        Err(LuaError::runtime("the interpreter is being written"))
    }

    /// The position `error(msg, level)` and `luaL_error` put before a message:
    /// `"user_script:3: "` for the Lua function `level` calls up (1: the one calling the
    /// running native), `""` if there is none or it is not a Lua function.
    pub fn position(&self, level: usize) -> String {
        let _ = level;
        String::new()
    }

    /// Frees the reference cycles nothing reachable from the globals (and `extra_roots`) holds.
    /// Called between scripts, when no Lua frame is active.
    pub fn collect_garbage(&mut self, extra_roots: &[Value]) {
        let _ = extra_roots;
    }
}
