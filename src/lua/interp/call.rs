//! Calling: any value to a function (`__call`), Lua closures with their tail-call loop, natives
//! and host functions with the position their errors get, the depth limits, and the hook.

use std::rc::Rc;

use super::culprit::{Culprit, type_error};
use super::exec::Flow;
use super::meta::Event;
use super::{CallInfo, Lua};
use crate::lua::ast::Proto;
use crate::lua::host::{HOOK_INTERVAL, Host};
use crate::lua::value::{Closure, Function, LuaError, NativeFn, Value};

/// Lua 5.1's `LUAI_MAXCALLS`: how deep calls may nest ("stack overflow"). In practice the
/// stack budget (see [`DEFAULT_STACK_BUDGET`]) stops a recursion first.
pub(super) const MAX_CALL_DEPTH: usize = 20_000;

/// How much Rust stack a script may use, measured from the outermost call into the VM. Lua 5.1
/// does not recurse in C for Lua-to-Lua calls; a tree walker recurses for calls and nested
/// expressions alike, so the limit is on the stack itself: "stack overflow" comes before the
/// thread's stack ends, leaving room below for the embedder (the command that runs the script)
/// and above for the natives a script calls at its deepest. The default suits a 256 KiB
/// connection thread; an embedder with bigger stacks raises it ([`Lua::set_stack_budget`]).
pub const DEFAULT_STACK_BUDGET: usize = 128 * 1024;

/// Lua 5.1's `LUAI_MAXCCALLS`: calls made from natives (`pcall`, metamethods, `table.sort`'s
/// comparator...) nest at most this deep ("C stack overflow").
pub(super) const MAX_NATIVE_DEPTH: usize = 200;

impl Lua {
    /// The function a call runs: `value` itself, or its `__call` metamethod with `value`
    /// prepended to the arguments (`luaD_tryfuncTM`).
    pub(super) fn resolve_callable(
        &self,
        value: Value,
        mut args: Vec<Value>,
        culprit: Culprit,
    ) -> Result<(Function, Vec<Value>), LuaError> {
        if let Value::Function(function) = value {
            return Ok((function, args));
        }
        match self.metamethod(&value, Event::Call) {
            Value::Function(handler) => {
                args.insert(0, value);
                Ok((handler, args))
            }
            _ => Err(LuaError::runtime(type_error("call", &value, culprit))),
        }
    }

    /// A call made through the API (by a native or a metamethod): counts as a nested native
    /// call, as `lua_call` does.
    pub(super) fn call_nested(
        &mut self,
        host: &mut dyn Host,
        function: &Function,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, LuaError> {
        if self.native_depth >= MAX_NATIVE_DEPTH {
            return Err(LuaError::runtime("C stack overflow"));
        }
        let outermost = self.stack_base == 0;
        if outermost {
            self.stack_base = stack_position();
        }
        self.native_depth += 1;
        let result = self.call_function(host, function, args);
        self.native_depth -= 1;
        if outermost {
            self.stack_base = 0;
        }
        result
    }

    pub(super) fn call_function(
        &mut self,
        host: &mut dyn Host,
        function: &Function,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, LuaError> {
        if self.calls.len() >= MAX_CALL_DEPTH {
            return Err(LuaError::runtime("stack overflow"));
        }
        self.check_stack()?;
        self.tick(host)?;
        match function {
            Function::Lua(closure) => self.call_lua(host, closure, args),
            Function::Native(native) => self.call_native(host, Callee::Native(native.run), args),
            Function::Host(function) => self.call_native(host, Callee::Host(function.id), args),
        }
    }

    /// A native or host function: its own entry on the call stack (so `error` and
    /// `Lua::position` count levels as Lua does), and its error's position is its caller's.
    #[inline(never)]
    fn call_native(
        &mut self,
        host: &mut dyn Host,
        callee: Callee,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, LuaError> {
        self.calls.push(CallInfo {
            source: None,
            line: 0,
        });
        let result = match callee {
            Callee::Native(run) => run(self, host, args),
            Callee::Host(id) => host.call(self, id, args),
        };
        self.calls.pop();
        result.map_err(|e| self.position_at_caller(e))
    }

    #[inline(never)]
    fn call_lua(
        &mut self,
        host: &mut dyn Host,
        closure: &Rc<Closure>,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, LuaError> {
        self.calls.push(CallInfo {
            source: Some(closure.proto.source.clone()),
            line: closure.proto.line,
        });
        let result = self.run_closure(host, closure.clone(), args);
        self.calls.pop();
        result
    }

    /// "stack overflow" once the script has used its stack budget.
    #[inline]
    pub(super) fn check_stack(&self) -> Result<(), LuaError> {
        if self.stack_base.saturating_sub(stack_position()) > self.stack_budget {
            return Err(LuaError::runtime("stack overflow"));
        }
        Ok(())
    }

    /// Runs a closure's body, and the functions it tail-calls in the same Rust frame (`return
    /// f(x)` replaces the running function, so tail recursion has no depth limit).
    fn run_closure(
        &mut self,
        host: &mut dyn Host,
        mut closure: Rc<Closure>,
        mut args: Vec<Value>,
    ) -> Result<Vec<Value>, LuaError> {
        loop {
            let proto = closure.proto.clone();
            let mut frame = self.new_frame(closure, args);
            let flow = self.exec_block(host, &mut frame, &proto.body);
            self.recycle_frame(frame);
            let flow = match flow {
                Ok(flow) => flow,
                Err(error) => return Err(self.position_in_frame(error, &proto)),
            };
            match flow {
                Flow::TailCall(call) => match *call {
                    (Function::Lua(next), next_args) => {
                        self.tick(host)?;
                        if let Some(top) = self.calls.last_mut() {
                            top.source = Some(next.proto.source.clone());
                            top.line = next.proto.line;
                        }
                        closure = next;
                        args = next_args;
                    }
                    (other, next_args) => return self.call_function(host, &other, next_args),
                },
                // Nothing has run since the `return` set them (see `Flow::Return`).
                Flow::Return => return Ok(std::mem::take(&mut self.returning)),
                Flow::Normal | Flow::Break => return Ok(Vec::new()),
            }
        }
    }

    /// `luaL_where(L, 1)` for an error leaving a native: the position of the Lua function that
    /// called it, if a Lua function did.
    fn position_at_caller(&self, mut error: LuaError) -> LuaError {
        if error.needs_position {
            error.needs_position = false;
            prefix(&mut error, self.position(0));
        }
        error
    }

    /// The fallback for an error leaving a Lua function still without a position: the line of
    /// the frame's last call.
    #[inline(never)]
    fn position_in_frame(&self, mut error: LuaError, proto: &Proto) -> LuaError {
        if error.needs_position {
            error.needs_position = false;
            let line = self.calls.last().map_or(proto.line, |top| top.line);
            prefix(&mut error, format!("{}:{line}: ", proto.source));
        }
        error
    }

    /// Records the line of the call the running Lua function makes (for positions).
    #[inline]
    pub(super) fn set_line(&mut self, line: u32) {
        if let Some(top) = self.calls.last_mut() {
            top.line = line;
        }
    }

    /// Counts one interpreter step, and runs the host's hook every [`HOOK_INTERVAL`] of them.
    #[inline]
    pub(super) fn tick(&mut self, host: &mut dyn Host) -> Result<(), LuaError> {
        self.steps_to_hook -= 1;
        if self.steps_to_hook == 0 {
            self.steps_to_hook = HOOK_INTERVAL;
            host.hook(self)?;
        }
        Ok(())
    }
}

/// What [`Lua::call_native`] runs.
enum Callee {
    Native(NativeFn),
    Host(usize),
}

/// Where the stack is now: the address of a local (the stack grows down).
#[inline(always)]
fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Puts `position` (`"user_script:3: "`, maybe empty) before a string error.
fn prefix(error: &mut LuaError, position: String) {
    if position.is_empty() {
        return;
    }
    if let Value::Str(message) = &error.value {
        let mut text = position.into_bytes();
        text.extend_from_slice(message.as_bytes());
        error.value = Value::str(text);
    }
}

/// An error raised by the interpreter at `line` of `proto`: its position now, if it has none.
pub(super) fn located(mut error: LuaError, proto: &Proto, line: u32) -> LuaError {
    if error.needs_position {
        error.needs_position = false;
        prefix(&mut error, format!("{}:{line}: ", proto.source));
    }
    error
}
