//! Statements and function bodies (`chunk`, `statement` and the rules under them in
//! `lparser.c`): blocks and their scopes, loops and `break`, `local`, assignments and calls,
//! `function` statements with their `a.b:c` names, parameter lists.
//!
//! Each statement's rule pushes its node onto the block being built instead of returning it:
//! a statement node is large, and a debug build would give every returned one a stack slot of
//! its own in the dispatching frame, which the recursion through nested blocks multiplies.

use std::rc::Rc;

use super::super::ast::{Block, Expr, Proto, SlotHint, Stat, Target};
use super::super::lexer::{SyntaxError, Token};
use super::super::value::LuaStr;
use super::scope::{FunctionState, Variable};
use super::{MAX_LEVELS, Parser, ends_block};

impl Parser<'_> {
    /// Statements up to the end of a block (`chunk`); `return` and `break` must be last.
    pub(super) fn chunk(&mut self) -> Result<Block, SyntaxError> {
        self.enter_level()?;
        let mut block = Vec::new();
        while !ends_block(&self.current.token) {
            self.statement(&mut block)?;
            self.test_next(&Token::Char(b';'))?;
            if matches!(block.last(), Some(Stat::Return { .. } | Stat::Break)) {
                break;
            }
        }
        self.leave_level();
        Ok(block)
    }

    /// A block with a scope of its own.
    fn block(&mut self) -> Result<Block, SyntaxError> {
        self.enter_block(false);
        let block = self.chunk()?;
        self.leave_block();
        Ok(block)
    }

    fn statement(&mut self, out: &mut Block) -> Result<(), SyntaxError> {
        let line = self.lexer.line;
        match self.current.token {
            Token::If => self.if_statement(line, out),
            Token::While => self.while_statement(line, out),
            Token::Do => self.do_statement(line, out),
            Token::For => self.for_statement(line, out),
            Token::Repeat => self.repeat_statement(line, out),
            Token::Function => self.function_statement(line, out),
            Token::Local => {
                self.advance()?;
                if self.test_next(&Token::Function)? {
                    self.local_function(out)
                } else {
                    self.local_statement(out)
                }
            }
            Token::Return => self.return_statement(out),
            Token::Break => {
                self.advance()?;
                if !self.in_loop() {
                    return Err(self.error("no loop to break"));
                }
                out.push(Stat::Break);
                Ok(())
            }
            _ => self.expr_statement(out),
        }
    }

    fn if_statement(&mut self, line: u32, out: &mut Block) -> Result<(), SyntaxError> {
        let mut branches = Vec::new();
        loop {
            // Skips `if` or `elseif`.
            self.advance()?;
            let cond = self.expr()?;
            self.check_next(&Token::Then)?;
            branches.push((cond, self.block()?));
            if !self.at(&Token::Elseif) {
                break;
            }
        }
        let otherwise = if self.test_next(&Token::Else)? {
            Some(self.block()?)
        } else {
            None
        };
        self.check_match(&Token::End, &Token::If, line)?;
        out.push(Stat::If {
            branches,
            otherwise,
        });
        Ok(())
    }

    fn while_statement(&mut self, line: u32, out: &mut Block) -> Result<(), SyntaxError> {
        self.advance()?;
        let cond = self.expr()?;
        self.enter_block(true);
        self.check_next(&Token::Do)?;
        let body = self.block()?;
        self.check_match(&Token::End, &Token::While, line)?;
        self.leave_block();
        out.push(Stat::While { cond, body });
        Ok(())
    }

    fn do_statement(&mut self, line: u32, out: &mut Block) -> Result<(), SyntaxError> {
        self.advance()?;
        let body = self.block()?;
        self.check_match(&Token::End, &Token::Do, line)?;
        out.push(Stat::Do(body));
        Ok(())
    }

    /// `repeat block until cond`: the condition is inside the body's scope.
    fn repeat_statement(&mut self, line: u32, out: &mut Block) -> Result<(), SyntaxError> {
        self.enter_block(true);
        self.enter_block(false);
        self.advance()?;
        let body = self.chunk()?;
        self.check_match(&Token::Until, &Token::Repeat, line)?;
        let cond = self.expr()?;
        self.leave_block();
        self.leave_block();
        out.push(Stat::Repeat { body, cond });
        Ok(())
    }

    fn return_statement(&mut self, out: &mut Block) -> Result<(), SyntaxError> {
        self.advance()?;
        let values = if ends_block(&self.current.token) || self.at(&Token::Char(b';')) {
            Vec::new()
        } else {
            self.expr_list()?
        };
        out.push(Stat::Return {
            values,
            line: self.last_line,
        });
        Ok(())
    }

    fn for_statement(&mut self, line: u32, out: &mut Block) -> Result<(), SyntaxError> {
        self.enter_block(true);
        self.advance()?;
        let first = self.check_name()?;
        match self.current.token {
            Token::Char(b'=') => self.numeric_for(first, line, out)?,
            Token::Char(b',') | Token::In => self.generic_for(first, out)?,
            _ => return Err(self.error("'=' or 'in' expected")),
        }
        self.check_match(&Token::End, &Token::For, line)?;
        self.leave_block();
        Ok(())
    }

    /// `for v = start, limit [, step] do ... end`.
    fn numeric_for(&mut self, name: LuaStr, line: u32, out: &mut Block) -> Result<(), SyntaxError> {
        for _ in 0..3 {
            self.declare_hidden()?;
        }
        let slot = self.declare_local(name)?;
        self.check_next(&Token::Char(b'='))?;
        let start = self.expr()?;
        self.check_next(&Token::Char(b','))?;
        let limit = self.expr()?;
        let step = if self.test_next(&Token::Char(b','))? {
            Some(self.expr()?)
        } else {
            None
        };
        let body = self.for_body()?;
        out.push(Stat::NumericFor {
            slot,
            start,
            limit,
            step,
            body,
            line,
        });
        Ok(())
    }

    /// `for k, v in explist do ... end`.
    fn generic_for(&mut self, first: LuaStr, out: &mut Block) -> Result<(), SyntaxError> {
        for _ in 0..3 {
            self.declare_hidden()?;
        }
        let mut slots = vec![self.declare_local(first)?];
        while self.test_next(&Token::Char(b','))? {
            let name = self.check_name()?;
            slots.push(self.declare_local(name)?);
        }
        self.check_next(&Token::In)?;
        let line = self.lexer.line;
        let exprs = self.expr_list()?;
        let body = self.for_body()?;
        out.push(Stat::GenericFor {
            slots,
            exprs,
            body,
            line,
        });
        Ok(())
    }

    /// `do block` of a `for`, with the loop's variables in scope.
    fn for_body(&mut self) -> Result<Block, SyntaxError> {
        self.check_next(&Token::Do)?;
        self.enter_block(false);
        self.activate_locals();
        let body = self.block()?;
        self.leave_block();
        Ok(body)
    }

    /// `function a.b.c:m() ... end`: an assignment of the closure (`funcstat`).
    fn function_statement(&mut self, line: u32, out: &mut Block) -> Result<(), SyntaxError> {
        self.advance()?;
        let name = self.check_name()?;
        let mut target = self.variable(name)?;
        let mut is_method = false;
        while matches!(self.current.token, Token::Char(b'.' | b':')) {
            is_method = self.at(&Token::Char(b':'));
            self.advance()?;
            let key = self.check_name()?;
            target = Expr::Index {
                table: Box::new(target),
                key: Box::new(Expr::Str(key)),
                line,
                hint: SlotHint::default(),
            };
            if is_method {
                break;
            }
        }
        let proto = self.function_body(is_method, line)?;
        let target = assignable(target, line).expect("a name or a field");
        out.push(Stat::Assign {
            targets: vec![target],
            values: vec![Expr::Function(proto)],
            line,
        });
        Ok(())
    }

    /// `local function f`: `f` is in scope in its own body.
    fn local_function(&mut self, out: &mut Block) -> Result<(), SyntaxError> {
        let name = self.check_name()?;
        let slot = self.declare_local(name)?;
        self.activate_locals();
        let proto = self.function_body(false, self.lexer.line)?;
        out.push(Stat::LocalFunction { slot, proto });
        Ok(())
    }

    /// `local a, b = e1, e2`: the values are read before the new names come into scope.
    fn local_statement(&mut self, out: &mut Block) -> Result<(), SyntaxError> {
        let mut slots = Vec::new();
        loop {
            let name = self.check_name()?;
            slots.push(self.declare_local(name)?);
            if !self.test_next(&Token::Char(b','))? {
                break;
            }
        }
        let values = if self.test_next(&Token::Char(b'='))? {
            self.expr_list()?
        } else {
            Vec::new()
        };
        self.activate_locals();
        out.push(Stat::Local {
            slots,
            values,
            line: self.last_line,
        });
        Ok(())
    }

    /// A call, or an assignment (`exprstat`).
    fn expr_statement(&mut self, out: &mut Block) -> Result<(), SyntaxError> {
        let first = self.primary_expr()?;
        if matches!(first, Expr::Call { .. } | Expr::Method { .. }) {
            out.push(Stat::Call(first));
            return Ok(());
        }
        let mut targets = vec![first];
        loop {
            if !is_assignable(targets.last().expect("one target")) {
                return Err(self.error("syntax error"));
            }
            if !self.test_next(&Token::Char(b','))? {
                break;
            }
            targets.push(self.primary_expr()?);
            // Lua bounds the targets by what is left of its C stack (`assignment`).
            let limit = MAX_LEVELS.saturating_sub(self.level);
            if targets.len() - 1 > limit {
                return Err(self.limit_error(limit, "variables in assignment"));
            }
        }
        self.check_next(&Token::Char(b'='))?;
        let values = self.expr_list()?;
        let line = self.last_line;
        let targets = targets
            .into_iter()
            .map(|target| assignable(target, line).expect("checked"))
            .collect();
        out.push(Stat::Assign {
            targets,
            values,
            line,
        });
        Ok(())
    }

    /// A name as an expression: a local, an upvalue or a global (`singlevar`).
    pub(super) fn variable(&mut self, name: LuaStr) -> Result<Expr, SyntaxError> {
        Ok(match self.resolve(&name)? {
            Variable::Local(slot) => Expr::Local(slot),
            Variable::Upvalue(index) => Expr::Upvalue(index),
            Variable::Global => Expr::Global(name, SlotHint::default()),
        })
    }

    /// `(params) block end`, after `function` (`body`); a method gets `self` first.
    pub(super) fn function_body(
        &mut self,
        is_method: bool,
        line: u32,
    ) -> Result<Rc<Proto>, SyntaxError> {
        self.functions.push(FunctionState::new(line, false));
        self.check_next(&Token::Char(b'('))?;
        if is_method {
            self.declare_local(LuaStr::from("self"))?;
            self.activate_locals();
        }
        self.parameters()?;
        // Parameters take the first slots (the hidden `arg` has none).
        let num_params = self.functions.last().expect("this function").num_slots();
        self.check_next(&Token::Char(b')'))?;
        let body = self.chunk()?;
        self.check_match(&Token::End, &Token::Function, line)?;
        let function = self.functions.pop().expect("this function");
        Ok(Rc::new(function.into_proto(
            self.source.clone(),
            num_params,
            body,
        )))
    }

    /// `a, b, ...` (`parlist`).
    fn parameters(&mut self) -> Result<(), SyntaxError> {
        if !self.at(&Token::Char(b')')) {
            loop {
                match &self.current.token {
                    Token::Name(name) => {
                        let name = name.clone();
                        self.advance()?;
                        self.declare_local(name)?;
                    }
                    Token::Dots => {
                        self.advance()?;
                        // Lua 5.1 (LUA_COMPAT_VARARG) also declares `arg` here. We do not
                        // fill it, but it counts as a local.
                        self.declare_hidden()?;
                        self.functions.last_mut().expect("this function").is_vararg = true;
                        break;
                    }
                    _ => return Err(self.error("<name> or '...' expected")),
                }
                if !self.test_next(&Token::Char(b','))? {
                    break;
                }
            }
        }
        self.activate_locals();
        Ok(())
    }
}

/// Whether an expression can be assigned to: `(a) = 1` cannot, `(a).x = 1` can.
fn is_assignable(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Local(_) | Expr::Upvalue(_) | Expr::Global(..) | Expr::Index { .. }
    )
}

/// The target an assignable expression stands for; a field's line is the statement's, where
/// Lua stores the value.
fn assignable(expr: Expr, line: u32) -> Option<Target> {
    Some(match expr {
        Expr::Local(slot) => Target::Local(slot),
        Expr::Upvalue(index) => Target::Upvalue(index),
        Expr::Global(name, _) => Target::Global(name),
        Expr::Index { table, key, .. } => Target::Index {
            table: *table,
            key: *key,
            line,
        },
        _ => return None,
    })
}
