//! The VM ([`Lua`]) and its tree-walking interpreter: the public API the libraries and Redis's
//! glue are written against. The walking itself lives in the child modules, one job each:
//!
//! - [`frame`]: a running Lua function's slots, captured cells and varargs, and closure making;
//! - [`exec`]: statements (assignment, loops, `return` with its tail calls);
//! - [`eval`]: expressions, single-valued where one value is wanted (no list allocated) and
//!   multi-valued where Lua expands a last call or `...`;
//! - [`call`]: calling any value, the tail-call loop, the depth limits and error positions;
//! - [`lists`]: the pool of argument and result lists calls reuse;
//! - [`meta`]: metatables, `__index`/`__newindex` chains and metamethod lookup;
//! - [`ops`]: arithmetic, comparison, concatenation and length with Lua 5.1's coercions;
//! - [`culprit`]: the "global 'x'" in "attempt to call global 'x' (a nil value)".
//!
//! # Errors and positions
//! Lua 5.1 puts `source:line: ` before the messages of the VM's own errors and of `luaL_error`
//! in a library function called from Lua. Here an error made by [`LuaError::runtime`] carries
//! `needs_position`; the interpreter prefixes the line of the operation that failed, or, for an
//! error leaving a native, the line of the Lua call that called it (as `luaL_where(L, 1)`).
//! The call stack ([`CallInfo`]) records the line of every Lua frame's running call, which is
//! also what `error(msg, level)` asks [`Lua::position`] for.

mod call;
mod culprit;
mod eval;
mod exec;
mod frame;
mod lists;
mod meta;
mod ops;

use std::rc::Rc;

use super::gc::Heap;
use super::host::Host;
use super::parser;
use super::value::{Closure, Function, LuaError, LuaStr, Native, NativeFn, TableRef, Value};

pub use call::DEFAULT_STACK_BUDGET;
pub use meta::Event;

/// One entry of the call stack: a Lua function (its chunk name and the line of the call it is
/// making) or a native.
struct CallInfo {
    /// `None` for a native or host function.
    source: Option<Rc<str>>,
    line: u32,
}

/// A Lua VM: its globals, the string metatable, and the interpreter's state.
pub struct Lua {
    globals: TableRef,
    /// The metatable of every string (its `__index` is the `string` library, so `s:upper()`).
    pub string_metatable: Option<TableRef>,
    /// Every table and upvalue cell made, weakly, for the cycle collector.
    heap: Heap,
    calls: Vec<CallInfo>,
    /// Nested calls of natives that call back into Lua (`pcall`, metamethods...): Lua 5.1's
    /// `nCcalls`, bounded by [`call::MAX_NATIVE_DEPTH`].
    native_depth: usize,
    /// Steps left before the next [`Host::hook`].
    steps_to_hook: u32,
    /// The metamethod names as ready-made keys (no allocation per lookup).
    events: meta::EventNames,
    /// Slot vectors of returned frames, reused by the next calls.
    slot_pool: Vec<Vec<frame::Slot>>,
    /// Argument and result lists of finished calls, reused by the next ones (see `lists`).
    list_pool: Vec<Vec<Value>>,
    /// The values of the `return` that is ending the running Lua function (see `exec::Flow`).
    returning: Vec<Value>,
    /// The stack position of the outermost call into the VM (0: none running), and how far
    /// below it a script may go (see [`call::DEFAULT_STACK_BUDGET`]).
    stack_base: usize,
    stack_budget: usize,
}

impl Default for Lua {
    fn default() -> Lua {
        Lua::new()
    }
}

impl Lua {
    /// A VM with empty globals: no library is installed (see `stdlib::open_all`).
    pub fn new() -> Lua {
        let mut heap = Heap::default();
        let globals = heap.new_table();
        Lua {
            globals,
            string_metatable: None,
            heap,
            calls: Vec::new(),
            native_depth: 0,
            steps_to_hook: super::host::HOOK_INTERVAL,
            events: meta::EventNames::new(),
            slot_pool: Vec::new(),
            list_pool: Vec::new(),
            returning: Vec::new(),
            stack_base: 0,
            stack_budget: call::DEFAULT_STACK_BUDGET,
        }
    }

    /// How many bytes of stack a script may use before "stack overflow" (for embedders whose
    /// threads have more than a connection thread's 256 KiB).
    pub fn set_stack_budget(&mut self, bytes: usize) {
        self.stack_budget = bytes;
    }

    pub fn globals(&self) -> TableRef {
        self.globals.clone()
    }

    /// A new empty table, known to the cycle collector. Every table must be made here.
    pub fn new_table(&mut self) -> TableRef {
        self.heap.new_table()
    }

    /// Compiles a chunk into a function of no parameters taking varargs, whose globals are the
    /// VM's. A syntax error is an [`super::ErrorKind::Syntax`] error whose message is Lua's
    /// (`user_script:1: '=' expected near 'x'`).
    pub fn load(&mut self, source: &[u8], chunk_name: &str) -> Result<Function, LuaError> {
        let proto = parser::parse(source, chunk_name)?;
        Ok(Function::Lua(Rc::new(Closure {
            proto: Rc::new(proto),
            upvalues: Vec::new(),
        })))
    }

    /// Calls any value (a function, or a table with `__call`) with its arguments; returns all
    /// its results.
    pub fn call(
        &mut self,
        host: &mut dyn Host,
        function: &Value,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, LuaError> {
        let (function, args) = self.resolve_callable(function.clone(), args, None)?;
        self.call_nested(host, &function, args)
    }

    /// Installs a native function as `table[name]`.
    pub fn register(&mut self, table: &TableRef, name: &'static str, run: NativeFn) {
        table.set_str(
            name,
            Value::Function(Function::Native(Rc::new(Native { name, run }))),
        );
    }

    /// `tostring(v)`, `__tostring` included.
    pub fn tostring(&mut self, host: &mut dyn Host, value: &Value) -> Result<LuaStr, LuaError> {
        match self.tostring_value(host, value)? {
            Value::Str(s) => Ok(s),
            Value::Number(n) => Ok(LuaStr::from(super::number::to_string(n))),
            _ => Err(LuaError::runtime("'__tostring' must return a string")),
        }
    }

    /// `a < b` with Lua's rules (numbers, strings, `__lt`), for `table.sort`.
    pub fn less_than(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        b: &Value,
    ) -> Result<bool, LuaError> {
        self.compare_less(host, a, b)
    }

    /// `t[k]` with `__index`.
    pub fn index(
        &mut self,
        host: &mut dyn Host,
        table: &Value,
        key: &Value,
    ) -> Result<Value, LuaError> {
        self.get_index(host, table, key, None)
    }

    /// `t[k] = v` with `__newindex`.
    pub fn set_index(
        &mut self,
        host: &mut dyn Host,
        table: &Value,
        key: Value,
        value: Value,
    ) -> Result<(), LuaError> {
        self.put_index(host, table, key, value, None)
    }

    /// The position `error(msg, level)` and `luaL_error` put before a message:
    /// `"user_script:3: "` for the Lua function `level` calls up (1: the one calling the
    /// running native), `""` if there is none or it is not a Lua function.
    pub fn position(&self, level: usize) -> String {
        let Some(index) = self.calls.len().checked_sub(1 + level) else {
            return String::new();
        };
        match &self.calls[index] {
            CallInfo {
                source: Some(source),
                line,
            } => format!("{source}:{line}: "),
            _ => String::new(),
        }
    }

    /// Frees the reference cycles nothing reachable from the globals (and `extra_roots`) holds.
    /// Called between scripts, when no Lua frame is active.
    pub fn collect_garbage(&mut self, extra_roots: &[Value]) {
        let mut roots = vec![Value::Table(self.globals.clone())];
        roots.extend(self.string_metatable.clone().map(Value::Table));
        roots.extend(extra_roots.iter().cloned());
        self.heap.collect(&roots);
    }

    /// Whether a table or upvalue made since the last collection is still alive: if not, and
    /// the roots cannot have been changed, a collection would free nothing (see `gc.rs`).
    pub fn has_new_survivors(&self) -> bool {
        self.heap.has_new_survivors()
    }

    /// The memory the collector's records account for, in bytes (`collectgarbage("count")`
    /// reports it in KB): an estimate, since Rust's allocator keeps no per-VM total.
    pub fn memory_in_use(&self) -> usize {
        self.heap.estimated_bytes()
    }
}
