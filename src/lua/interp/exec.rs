//! Statements: how each one changes a frame, and how `break`, `return` and tail calls leave a
//! block ([`Flow`]).

use super::Lua;
use super::call::located;
use super::frame::Frame;
use crate::lua::ast::{Block, Expr, Stat, Target};
use crate::lua::host::Host;
use crate::lua::number;
use crate::lua::value::{Function, LuaError, LuaStr, TableRef, Value};

/// How a block ended.
pub(super) enum Flow {
    Normal,
    Break,
    /// `return e1, e2`: the values wait in `Lua::returning` while the flow goes up to the
    /// function's call. Out of the enum, `Result<Flow, LuaError>` fits in two registers
    /// rather than being written to memory by every statement (callgrind: an iteration of
    /// `for i = 1, n do s = s + i end` from 414 to 405 instructions).
    Return,
    /// `return f(args)`: the caller's loop runs `f` in place of the returning function. Boxed:
    /// every statement returns a `Flow`, and the unboxed call made it 40 bytes, not 24.
    TailCall(Box<(Function, Vec<Value>)>),
}

/// The base library's iterators that `for` runs in place (see [`Lua::table_for`]).
#[derive(Clone, Copy)]
enum BuiltinIterator {
    Next,
    Ipairs,
}

/// Natives are made only by Rust code, and the base library names these two so (`pairs`
/// returns `next`, `ipairs` returns `ipairs_aux`), so the name identifies them.
fn builtin_iterator(iterator: &Value) -> Option<BuiltinIterator> {
    match iterator {
        Value::Function(Function::Native(native)) => match native.name {
            "next" => Some(BuiltinIterator::Next),
            "ipairs_aux" => Some(BuiltinIterator::Ipairs),
            _ => None,
        },
        _ => None,
    }
}

/// How many values of a multiple assignment are kept on the stack rather than in a list.
const STACK_VALUES: usize = 4;

/// Whether `values` give one value for each of `count` targets, no more than
/// [`STACK_VALUES`]: none is missing, and the last is not a call or `...` (which may give any
/// number).
fn one_value_each(values: &[Expr], count: usize) -> bool {
    let expands =
        |last: &Expr| matches!(last, Expr::Call { .. } | Expr::Method { .. } | Expr::Vararg);
    values.len() == count && count <= STACK_VALUES && !values.last().is_some_and(expands)
}

/// An assignment target whose table and key are already evaluated (Lua evaluates every target
/// and value before assigning any).
enum Place<'a> {
    Target(&'a Target),
    Index(Value, Value, &'a Expr, u32),
}

impl Lua {
    pub(super) fn exec_block(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        block: &Block,
    ) -> Result<Flow, LuaError> {
        self.check_stack()?;
        for stat in block {
            self.tick(host)?;
            match self.exec(host, frame, stat)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    /// A loop body: `Some(flow)` when the loop must stop (`break` ends it normally).
    fn exec_loop_body(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        body: &Block,
    ) -> Result<Option<Flow>, LuaError> {
        // One step per iteration, besides the body's statements: `while true do end` has none,
        // and must still reach the hook (the time limit, SCRIPT KILL).
        self.tick(host)?;
        Ok(match self.exec_block(host, frame, body)? {
            Flow::Normal => None,
            Flow::Break => Some(Flow::Normal),
            flow => Some(flow),
        })
    }

    /// Like [`Lua::eval`], a dispatcher without temporaries of its own: each statement kind
    /// runs in a function of its own, so the frames on the recursion path stay small.
    fn exec(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        stat: &Stat,
    ) -> Result<Flow, LuaError> {
        match stat {
            Stat::Local {
                slots,
                values,
                line,
            } => self.exec_local(host, frame, slots, values, *line),
            Stat::Assign {
                targets,
                values,
                line,
            } => self.exec_assign(host, frame, targets, values, *line),
            Stat::Call(call) => self.exec_call(host, frame, call),
            Stat::Do(block) => self.exec_block(host, frame, block),
            Stat::While { cond, body } => self.exec_while(host, frame, cond, body),
            Stat::Repeat { body, cond } => self.exec_repeat(host, frame, body, cond),
            Stat::If {
                branches,
                otherwise,
            } => self.exec_if(host, frame, branches, otherwise),
            Stat::NumericFor {
                slot,
                start,
                limit,
                step,
                body,
                line,
            } => {
                let step = step.as_ref();
                self.numeric_for(host, frame, *slot, (start, limit, step), body, *line)
            }
            Stat::GenericFor {
                slots,
                exprs,
                body,
                line,
            } => self.generic_for(host, frame, slots, exprs, body, *line),
            Stat::LocalFunction { slot, proto } => {
                // Declared before the closure is made, so the function sees itself.
                self.declare_local(frame, *slot, Value::Nil);
                let function = self.make_closure(frame, proto);
                frame.set_local(*slot, function);
                Ok(Flow::Normal)
            }
            Stat::Return { values, line } => self.exec_return(host, frame, values, *line),
            Stat::Break => Ok(Flow::Break),
        }
    }

    #[inline(never)]
    fn exec_local(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        slots: &[usize],
        values: &[Expr],
        line: u32,
    ) -> Result<Flow, LuaError> {
        self.set_line(line);
        if let ([slot], [value]) = (slots, values) {
            let value = self.eval(host, frame, value)?;
            self.declare_local(frame, *slot, value);
        } else if one_value_each(values, slots.len()) {
            // `local a, b = 0, 1` without a list: the declarations cannot be seen by the
            // values (each has a slot of its own, out of their scope), so each is made as soon
            // as its value is known.
            for (slot, value) in slots.iter().zip(values) {
                let value = self.eval(host, frame, value)?;
                self.declare_local(frame, *slot, value);
            }
        } else {
            let values = self.eval_adjusted(host, frame, values, slots.len())?;
            for (slot, value) in slots.iter().zip(values) {
                self.declare_local(frame, *slot, value);
            }
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn exec_assign(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        targets: &[Target],
        values: &[Expr],
        line: u32,
    ) -> Result<Flow, LuaError> {
        self.set_line(line);
        if let ([target], [value]) = (targets, values) {
            self.assign_one(host, frame, target, value, line)?;
        } else {
            self.assign_many(host, frame, targets, values, line)?;
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn exec_call(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        call: &Expr,
    ) -> Result<Flow, LuaError> {
        let results = self.eval_call(host, frame, call)?;
        self.recycle_list(results);
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn exec_while(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        cond: &Expr,
        body: &Block,
    ) -> Result<Flow, LuaError> {
        while self.operand(host, frame, cond)?.into_truthy() {
            if let Some(flow) = self.exec_loop_body(host, frame, body)? {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn exec_repeat(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        body: &Block,
        cond: &Expr,
    ) -> Result<Flow, LuaError> {
        loop {
            if let Some(flow) = self.exec_loop_body(host, frame, body)? {
                return Ok(flow);
            }
            if self.operand(host, frame, cond)?.into_truthy() {
                return Ok(Flow::Normal);
            }
        }
    }

    #[inline(never)]
    fn exec_if(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        branches: &[(Expr, Block)],
        otherwise: &Option<Block>,
    ) -> Result<Flow, LuaError> {
        for (cond, block) in branches {
            if self.operand(host, frame, cond)?.into_truthy() {
                return self.exec_block(host, frame, block);
            }
        }
        match otherwise {
            Some(block) => self.exec_block(host, frame, block),
            None => Ok(Flow::Normal),
        }
    }

    /// `for v = start, limit, step`: the three evaluated once; the loop variable is a fresh
    /// local each iteration (closures capture each one), advanced by adding the step.
    #[inline(never)]
    fn numeric_for(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        slot: usize,
        (start, limit, step): (&Expr, &Expr, Option<&Expr>),
        body: &Block,
        line: u32,
    ) -> Result<Flow, LuaError> {
        self.set_line(line);
        let start = self.for_number(host, frame, start, "initial value", line)?;
        let limit = self.for_number(host, frame, limit, "limit", line)?;
        let step = match step {
            Some(step) => self.for_number(host, frame, step, "step", line)?,
            None => 1.0,
        };
        let mut i = start;
        let captured = frame.proto().captured[slot];
        while if step > 0.0 { i <= limit } else { i >= limit } {
            if captured {
                self.declare_local(frame, slot, Value::Number(i));
            } else {
                // The common case: the loop variable is not captured, known once for the loop.
                // With the inlined frame accessors and the boxed tail call, this took an
                // iteration of `for i = 1, n do s = s + i end` from 555 to 414 instructions.
                frame.declare_plain(slot, Value::Number(i));
            }
            if let Some(flow) = self.exec_loop_body(host, frame, body)? {
                return Ok(flow);
            }
            i += step;
        }
        Ok(Flow::Normal)
    }

    /// `return f(x)` is a tail call: the caller's loop runs it in place of this function.
    #[inline(never)]
    fn exec_return(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        values: &[Expr],
        line: u32,
    ) -> Result<Flow, LuaError> {
        self.set_line(line);
        match values {
            [call @ (Expr::Call { .. } | Expr::Method { .. })] => {
                let call = self.prepare_call(host, frame, call)?;
                return Ok(Flow::TailCall(Box::new(call)));
            }
            [Expr::Vararg] => self.returning = frame.varargs.clone(),
            [single] => {
                let value = self.eval(host, frame, single)?;
                let mut values = self.take_list(1);
                values.push(value);
                self.returning = values;
            }
            _ => self.returning = self.eval_list(host, frame, values)?,
        }
        Ok(Flow::Return)
    }

    /// `for` control values: numbers, or strings that read as numbers (`forprep`).
    fn for_number(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        expr: &Expr,
        what: &str,
        line: u32,
    ) -> Result<f64, LuaError> {
        let value = self.eval(host, frame, expr)?;
        number::coerce_to_number(&value).ok_or_else(|| {
            located(
                LuaError::runtime(format!("'for' {what} must be a number")),
                frame.proto(),
                line,
            )
        })
    }

    /// `for k, v in f, s, c do`: calls `f(s, c)` until its first result is nil.
    #[inline(never)]
    fn generic_for(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        slots: &[usize],
        exprs: &[Expr],
        body: &Block,
        line: u32,
    ) -> Result<Flow, LuaError> {
        let mut controls = self.eval_adjusted(host, frame, exprs, 3)?.into_iter();
        let iterator = controls.next().unwrap_or_default();
        let state = controls.next().unwrap_or_default();
        let mut control = controls.next().unwrap_or_default();
        if let (Some(kind), Value::Table(table)) = (builtin_iterator(&iterator), &state) {
            return self.table_for(host, frame, (kind, table), control, slots, body, line);
        }
        loop {
            self.set_line(line);
            // Room for a third: an iterator that is a table with `__call` (`string.gmatch`'s)
            // gets itself first, and growing the list was a reallocation per iteration.
            let mut args = self.take_list(3);
            args.extend([state.clone(), control]);
            let (function, args) = (self.resolve_callable(iterator.clone(), args, None))
                .map_err(|e| located(e, frame.proto(), line))?;
            let mut results = self.call_function(host, &function, args)?;
            control = results.first().cloned().unwrap_or_default();
            if control.is_nil() {
                self.recycle_list(results);
                return Ok(Flow::Normal);
            }
            let mut values = results.drain(..);
            for slot in slots {
                let value = values.next().unwrap_or_default();
                self.declare_local(frame, *slot, value);
            }
            drop(values);
            self.recycle_list(results);
            if let Some(flow) = self.exec_loop_body(host, frame, body)? {
                return Ok(flow);
            }
        }
    }

    /// `pairs` and `ipairs` loops, run without calling their iterator: the same steps as
    /// `next` and `ipairs`'s iterator (raw access, the same order), without two vectors per
    /// iteration.
    #[allow(clippy::too_many_arguments)]
    fn table_for(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        (kind, table): (BuiltinIterator, &TableRef),
        mut control: Value,
        slots: &[usize],
        body: &Block,
        line: u32,
    ) -> Result<Flow, LuaError> {
        loop {
            self.tick(host)?;
            let (key, value) = match kind {
                BuiltinIterator::Next => {
                    let entry = table.0.borrow().next(&control);
                    match entry.map_err(|e| located(e, frame.proto(), line))? {
                        Some(entry) => entry,
                        None => return Ok(Flow::Normal),
                    }
                }
                BuiltinIterator::Ipairs => {
                    let Value::Number(n) = control else {
                        return Ok(Flow::Normal);
                    };
                    let value = table.get_int(n as i64 + 1);
                    if value.is_nil() {
                        return Ok(Flow::Normal);
                    }
                    (Value::Number(n + 1.0), value)
                }
            };
            control = key.clone();
            let mut values = [key, value].into_iter();
            for slot in slots {
                let value = values.next().unwrap_or_default();
                self.declare_local(frame, *slot, value);
            }
            if let Some(flow) = self.exec_loop_body(host, frame, body)? {
                return Ok(flow);
            }
        }
    }

    fn assign_one(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        target: &Target,
        value: &Expr,
        line: u32,
    ) -> Result<(), LuaError> {
        match target {
            Target::Local(slot) => {
                let value = self.eval(host, frame, value)?;
                frame.set_local(*slot, value);
                Ok(())
            }
            Target::Upvalue(index) => {
                let value = self.eval(host, frame, value)?;
                frame.set_upvalue(*index, value);
                Ok(())
            }
            Target::Global(name) => {
                let value = self.eval(host, frame, value)?;
                self.set_global(host, frame, name, value, line)
            }
            Target::Index { table, key, line } => {
                let object = self.eval(host, frame, table)?;
                let key = self.eval(host, frame, key)?;
                let value = self.eval(host, frame, value)?;
                self.put_index(host, &object, key, value, Some((table, frame.proto())))
                    .map_err(|e| located(e, frame.proto(), *line))
            }
        }
    }

    fn assign_many(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        targets: &[Target],
        values: &[Expr],
        line: u32,
    ) -> Result<(), LuaError> {
        let plain_targets = || targets.iter().all(|t| !matches!(t, Target::Index { .. }));
        if one_value_each(values, targets.len()) && plain_targets() {
            // `a, b = b, a + b` with the values on the stack: a list and a list of places per
            // assignment were two allocations of each iteration of such a loop.
            let mut evaluated: [Value; STACK_VALUES] = Default::default();
            for (value, expr) in evaluated.iter_mut().zip(values) {
                *value = self.eval(host, frame, expr)?;
            }
            for (target, value) in targets.iter().zip(evaluated).rev() {
                self.assign_place(host, frame, Place::Target(target), value, line)?;
            }
            return Ok(());
        }
        let mut places = Vec::with_capacity(targets.len());
        for target in targets {
            places.push(match target {
                Target::Index { table, key, line } => {
                    let object = self.eval(host, frame, table)?;
                    let key = self.eval(host, frame, key)?;
                    Place::Index(object, key, table, *line)
                }
                other => Place::Target(other),
            });
        }
        let values = self.eval_adjusted(host, frame, values, targets.len())?;
        // Lua 5.1 assigns from the last target to the first.
        for (place, value) in places.into_iter().zip(values).rev() {
            self.assign_place(host, frame, place, value, line)?;
        }
        Ok(())
    }

    /// One assignment of a multiple assignment, its value evaluated.
    fn assign_place(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        place: Place,
        value: Value,
        line: u32,
    ) -> Result<(), LuaError> {
        match place {
            Place::Target(Target::Local(slot)) => frame.set_local(*slot, value),
            Place::Target(Target::Upvalue(index)) => frame.set_upvalue(*index, value),
            Place::Target(Target::Global(name)) => {
                self.set_global(host, frame, name, value, line)?;
            }
            Place::Target(Target::Index { .. }) => unreachable!("evaluated by assign_many"),
            Place::Index(object, key, table, line) => {
                self.put_index(host, &object, key, value, Some((table, frame.proto())))
                    .map_err(|e| located(e, frame.proto(), line))?;
            }
        }
        Ok(())
    }

    fn set_global(
        &mut self,
        host: &mut dyn Host,
        frame: &Frame,
        name: &LuaStr,
        value: Value,
        line: u32,
    ) -> Result<(), LuaError> {
        let globals = Value::Table(self.globals.clone());
        self.put_index(host, &globals, Value::Str(name.clone()), value, None)
            .map_err(|e| located(e, frame.proto(), line))
    }
}
