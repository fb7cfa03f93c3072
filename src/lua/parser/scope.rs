//! Name resolution, as Lua's compiler does it in one pass (`singlevaraux` in `lparser.c`):
//! the functions being compiled (innermost last), their local slots, which locals are in scope,
//! and their upvalues. A name is the innermost local in scope that has it, else an upvalue (a
//! local of an enclosing function, marked captured there, threaded through every function in
//! between), else a global. Also Lua 5.1's limits on locals and upvalues.

use super::super::ast::{Proto, UpvalueSource};
use super::super::lexer::SyntaxError;
use super::super::value::LuaStr;
use super::Parser;

/// `LUAI_MAXVARS`: locals in scope at once in one function.
const MAX_LOCALS: usize = 200;
/// `LUAI_MAXUPVALUES`.
const MAX_UPVALUES: usize = 60;

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variable {
    Local(usize),
    Upvalue(usize),
    Global,
}

/// A variable in scope.
enum InScope {
    Local {
        name: LuaStr,
        slot: usize,
    },
    /// A local Lua declares that no name reaches here: the three control variables of a
    /// `for` loop ("(for index)"...), and the `arg` of a vararg function (LUA_COMPAT_VARARG).
    /// They count toward the limit of locals, as in Lua.
    Hidden,
}

/// A block: where its locals start in `in_scope`, and whether `break` may leave it.
struct Block {
    first_local: usize,
    is_loop: bool,
}

/// A function being compiled.
pub(super) struct FunctionState {
    /// The line of `function` (0 for the chunk): limit errors name it.
    line: u32,
    pub(super) is_vararg: bool,
    slot_names: Vec<LuaStr>,
    captured: Vec<bool>,
    upvalues: Vec<UpvalueSource>,
    upvalue_names: Vec<LuaStr>,
    in_scope: Vec<InScope>,
    /// Declared but not in scope yet: `local x = x` reads the outer `x`.
    declared: Vec<InScope>,
    blocks: Vec<Block>,
}

impl FunctionState {
    pub(super) fn new(line: u32, is_vararg: bool) -> FunctionState {
        FunctionState {
            line,
            is_vararg,
            slot_names: Vec::new(),
            captured: Vec::new(),
            upvalues: Vec::new(),
            upvalue_names: Vec::new(),
            in_scope: Vec::new(),
            declared: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// The slot of the innermost local in scope named `name`.
    fn find_local(&self, name: &LuaStr) -> Option<usize> {
        self.in_scope.iter().rev().find_map(|var| match var {
            InScope::Local { name: n, slot } if n == name => Some(*slot),
            _ => None,
        })
    }

    /// How many slots the function has so far.
    pub(super) fn num_slots(&self) -> usize {
        self.slot_names.len()
    }

    /// The finished prototype.
    pub(super) fn into_proto(
        self,
        source: std::rc::Rc<str>,
        num_params: usize,
        body: Vec<super::super::ast::Stat>,
    ) -> Proto {
        Proto {
            source,
            line: self.line,
            num_params,
            is_vararg: self.is_vararg,
            num_slots: self.slot_names.len(),
            slot_names: self.slot_names,
            captured: self.captured,
            upvalues: self.upvalues,
            upvalue_names: self.upvalue_names,
            body,
        }
    }
}

impl Parser<'_> {
    fn function(&mut self) -> &mut FunctionState {
        self.functions
            .last_mut()
            .expect("a function is being compiled")
    }

    /// `errorlimit`: "main function has more than 200 local variables".
    pub(super) fn limit_error(&self, limit: usize, what: &str) -> SyntaxError {
        let line = self.functions.last().map_or(0, |f| f.line);
        let message = if line == 0 {
            format!("main function has more than {limit} {what}")
        } else {
            format!("function at line {line} has more than {limit} {what}")
        };
        self.error_without_token(&message)
    }

    fn check_local_limit(&self) -> Result<(), SyntaxError> {
        let function = self.functions.last().expect("a function is being compiled");
        if function.in_scope.len() + function.declared.len() + 1 > MAX_LOCALS {
            return Err(self.limit_error(MAX_LOCALS, "local variables"));
        }
        Ok(())
    }

    /// Declares a local with a slot of its own; it comes into scope at [`Self::activate_locals`].
    pub(super) fn declare_local(&mut self, name: LuaStr) -> Result<usize, SyntaxError> {
        self.check_local_limit()?;
        let function = self.function();
        let slot = function.slot_names.len();
        function.slot_names.push(name.clone());
        function.captured.push(false);
        function.declared.push(InScope::Local { name, slot });
        Ok(slot)
    }

    /// Declares a hidden local (see [`InScope::Hidden`]).
    pub(super) fn declare_hidden(&mut self) -> Result<(), SyntaxError> {
        self.check_local_limit()?;
        self.function().declared.push(InScope::Hidden);
        Ok(())
    }

    /// Brings the declared locals into scope (`adjustlocalvars`).
    pub(super) fn activate_locals(&mut self) {
        let function = self.function();
        let declared = std::mem::take(&mut function.declared);
        function.in_scope.extend(declared);
    }

    pub(super) fn enter_block(&mut self, is_loop: bool) {
        let function = self.function();
        let first_local = function.in_scope.len();
        function.blocks.push(Block {
            first_local,
            is_loop,
        });
    }

    /// Ends a block: its locals go out of scope.
    pub(super) fn leave_block(&mut self) {
        let function = self.function();
        let block = function.blocks.pop().expect("a block is open");
        function.in_scope.truncate(block.first_local);
    }

    /// Whether `break` is inside a loop of the current function.
    pub(super) fn in_loop(&self) -> bool {
        let function = self.functions.last().expect("a function is being compiled");
        function.blocks.iter().any(|block| block.is_loop)
    }

    /// Resolves a name in the current function.
    pub(super) fn resolve(&mut self, name: &LuaStr) -> Result<Variable, SyntaxError> {
        self.resolve_at(self.functions.len() - 1, name)
    }

    /// Resolves a name in `self.functions[level]`: a local there, else whatever it is in the
    /// enclosing function, made an upvalue of this one.
    fn resolve_at(&mut self, level: usize, name: &LuaStr) -> Result<Variable, SyntaxError> {
        if let Some(slot) = self.functions[level].find_local(name) {
            return Ok(Variable::Local(slot));
        }
        if level == 0 {
            return Ok(Variable::Global);
        }
        let source = match self.resolve_at(level - 1, name)? {
            Variable::Global => return Ok(Variable::Global),
            Variable::Local(slot) => {
                self.functions[level - 1].captured[slot] = true;
                UpvalueSource::ParentLocal(slot)
            }
            Variable::Upvalue(index) => UpvalueSource::ParentUpvalue(index),
        };
        let function = &self.functions[level];
        let known = function
            .upvalues
            .iter()
            .position(|known| match (known, &source) {
                (UpvalueSource::ParentLocal(a), UpvalueSource::ParentLocal(b))
                | (UpvalueSource::ParentUpvalue(a), UpvalueSource::ParentUpvalue(b)) => a == b,
                _ => false,
            });
        if let Some(index) = known {
            return Ok(Variable::Upvalue(index));
        }
        if function.upvalues.len() + 1 > MAX_UPVALUES {
            // Lua names the function that overflows, not necessarily the innermost one.
            let line = function.line;
            let message = format!("function at line {line} has more than {MAX_UPVALUES} upvalues");
            return Err(self.error_without_token(&message));
        }
        let function = &mut self.functions[level];
        function.upvalues.push(source);
        function.upvalue_names.push(name.clone());
        Ok(Variable::Upvalue(function.upvalues.len() - 1))
    }
}
