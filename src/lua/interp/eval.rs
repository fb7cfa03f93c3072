//! Expressions. [`Lua::eval`] gives the one value an expression has where one is wanted (the
//! common case: no list is built); [`Lua::eval_list`] expands a last call or `...` to all its
//! values where Lua does (argument lists, `return`, multiple assignment, table constructors).

use super::Lua;
use super::call::located;
use super::frame::Frame;
use super::ops::arith_numbers;
use crate::lua::ast::{BinOp, Expr, Field, SlotHint, UnOp};
use crate::lua::host::Host;
use crate::lua::value::{Function, LuaError, LuaStr, Value};

impl Lua {
    /// The dispatcher keeps no temporaries of its own (every non-trivial case is a call whose
    /// result is its own): its Rust frame is on the path of every nested expression and call,
    /// and small frames are what lets scripts recurse on a connection thread's stack.
    pub(super) fn eval(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        expr: &Expr,
    ) -> Result<Value, LuaError> {
        match expr {
            Expr::Nil => Ok(Value::Nil),
            Expr::True => Ok(Value::Bool(true)),
            Expr::False => Ok(Value::Bool(false)),
            Expr::Number(n) => Ok(Value::Number(*n)),
            Expr::Str(s) => Ok(Value::Str(s.clone())),
            Expr::Vararg => Ok(frame.varargs.first().cloned().unwrap_or_default()),
            Expr::Function(proto) => Ok(self.make_closure(frame, proto)),
            Expr::Local(slot) => Ok(frame.local(*slot)),
            Expr::Upvalue(index) => Ok(frame.upvalue(*index)),
            Expr::Global(name, hint) => self.get_global(host, frame, name, hint),
            Expr::Index {
                table,
                key,
                line,
                hint,
            } => self.eval_index(host, frame, (table, key, hint), *line),
            Expr::Call { .. } | Expr::Method { .. } => self.eval_call_first(host, frame, expr),
            Expr::Binary {
                op,
                left,
                right,
                line,
            } => self.eval_binary(host, frame, *op, left, right, *line),
            Expr::Unary { op, operand, line } => self.eval_unary(host, frame, *op, operand, *line),
            Expr::Table { fields, line } => self.eval_table(host, frame, fields, *line),
            Expr::Paren(inner) => self.eval(host, frame, inner),
        }
    }

    /// [`Lua::eval`] with the leaves (locals, constants) read in place: the operands of most
    /// operators, which would otherwise each cost a call.
    #[inline(always)]
    pub(super) fn operand(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        expr: &Expr,
    ) -> Result<Value, LuaError> {
        match expr {
            Expr::Local(slot) => Ok(frame.local(*slot)),
            Expr::Number(n) => Ok(Value::Number(*n)),
            Expr::Str(s) => Ok(Value::Str(s.clone())),
            _ => self.eval(host, frame, expr),
        }
    }

    #[inline(never)]
    fn eval_index(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        (table, key, hint): (&Expr, &Expr, &SlotHint),
        line: u32,
    ) -> Result<Value, LuaError> {
        let object = self.operand(host, frame, table)?;
        // `t.name`: the slot where the name was found last time is tried first.
        if let (Value::Table(t), Expr::Str(name)) = (&object, key) {
            let raw = t.0.borrow().get_str_hinted(name, hint);
            if !raw.is_nil() {
                return Ok(raw);
            }
        }
        let key = self.operand(host, frame, key)?;
        if let Value::Table(t) = &object {
            let raw = t.get(&key);
            if !raw.is_nil() {
                return Ok(raw);
            }
        }
        self.get_index(host, &object, &key, Some((table, frame.proto())))
            .map_err(|e| located(e, frame.proto(), line))
    }

    /// A call where one value is wanted: its first result.
    #[inline(never)]
    fn eval_call_first(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        call: &Expr,
    ) -> Result<Value, LuaError> {
        let results = self.eval_call(host, frame, call)?;
        Ok(self.first_result(results))
    }

    #[inline(never)]
    fn eval_unary(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        op: UnOp,
        operand: &Expr,
        line: u32,
    ) -> Result<Value, LuaError> {
        let value = self.eval(host, frame, operand)?;
        let culprit = Some((operand, frame.proto()));
        match (op, &value) {
            (UnOp::Not, _) => Ok(Value::Bool(!value.truthy())),
            (UnOp::Neg, Value::Number(n)) => Ok(Value::Number(-n)),
            (UnOp::Neg, _) => self.negate(host, &value, culprit),
            (UnOp::Len, _) => self.length(host, &value, culprit),
        }
        .map_err(|e| located(e, frame.proto(), line))
    }

    #[inline(never)]
    fn eval_binary(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        op: BinOp,
        left: &Expr,
        right: &Expr,
        line: u32,
    ) -> Result<Value, LuaError> {
        self.check_stack()?;
        let a = self.operand(host, frame, left)?;
        match op {
            BinOp::And if !a.truthy() => return Ok(a),
            BinOp::Or if a.truthy() => return Ok(a),
            BinOp::And | BinOp::Or => return self.eval(host, frame, right),
            _ => {}
        }
        let b = self.operand(host, frame, right)?;
        let numbers = match (&a, &b) {
            (Value::Number(x), Value::Number(y)) if op != BinOp::Concat => Some((*x, *y)),
            _ => None,
        };
        let Some((x, y)) = numbers else {
            return self.binary_slow(host, frame, op, (a, b), (left, right), line);
        };
        // Two numbers own nothing: forgetting them skips the two out-of-line calls of their
        // drop glue (callgrind: ~8% of this function's instructions).
        std::mem::forget(a);
        std::mem::forget(b);
        Ok(match op {
            BinOp::Eq => Value::Bool(x == y),
            BinOp::Ne => Value::Bool(x != y),
            BinOp::Lt => Value::Bool(x < y),
            BinOp::Le => Value::Bool(x <= y),
            BinOp::Gt => Value::Bool(x > y),
            BinOp::Ge => Value::Bool(x >= y),
            _ => Value::Number(arith_numbers(op, x, y)),
        })
    }

    /// The operators on anything but two numbers: coercions, metamethods, errors.
    #[inline(never)]
    fn binary_slow(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        op: BinOp,
        (a, b): (Value, Value),
        (left, right): (&Expr, &Expr),
        line: u32,
    ) -> Result<Value, LuaError> {
        let proto = frame.proto();
        let culprits = (Some((left, proto)), Some((right, proto)));
        let result = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow => {
                self.arith(host, op, &a, &b, culprits)
            }
            BinOp::Concat => self.concat(host, &a, &b, culprits),
            BinOp::Eq => self.equals(host, &a, &b).map(Value::Bool),
            BinOp::Ne => self.equals(host, &a, &b).map(|eq| Value::Bool(!eq)),
            BinOp::Lt => self.compare_less(host, &a, &b).map(Value::Bool),
            BinOp::Le => self.compare_less_equal(host, &a, &b).map(Value::Bool),
            // Lua compiles `a > b` as `b < a`: the operands swap in error messages too.
            BinOp::Gt => self.compare_less(host, &b, &a).map(Value::Bool),
            BinOp::Ge => self.compare_less_equal(host, &b, &a).map(Value::Bool),
            BinOp::And | BinOp::Or => unreachable!("short-circuited by eval_binary"),
        };
        result.map_err(|e| located(e, proto, line))
    }

    /// `{...}`: positional fields fill the array part directly (nils included, as Lua sizes
    /// the array from the constructor); keyed fields are set in order.
    #[inline(never)]
    fn eval_table(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        fields: &[Field],
        line: u32,
    ) -> Result<Value, LuaError> {
        let table = self.new_table();
        let mut positional = Vec::new();
        let mut keyed = false;
        for (i, field) in fields.iter().enumerate() {
            match field {
                Field::Positional(expr) if i + 1 == fields.len() => {
                    self.eval_multi(host, frame, expr, &mut positional)?;
                }
                Field::Positional(expr) => positional.push(self.eval(host, frame, expr)?),
                Field::Keyed(key, value) => {
                    let key = self.eval(host, frame, key)?;
                    let value = self.eval(host, frame, value)?;
                    table
                        .set(key, value)
                        .map_err(|e| located(e, frame.proto(), line))?;
                    keyed = true;
                }
            }
        }
        if keyed {
            for (i, value) in positional.into_iter().enumerate() {
                let _ = table.set(Value::Number((i + 1) as f64), value);
            }
        } else {
            while positional.last().is_some_and(Value::is_nil) {
                positional.pop();
            }
            table.0.borrow_mut().array = positional;
        }
        Ok(Value::Table(table))
    }

    #[inline(never)]
    fn get_global(
        &mut self,
        host: &mut dyn Host,
        frame: &Frame,
        name: &LuaStr,
        hint: &SlotHint,
    ) -> Result<Value, LuaError> {
        let raw = self.globals.0.borrow().get_str_hinted(name, hint);
        if !raw.is_nil() {
            return Ok(raw);
        }
        let key = Value::Str(name.clone());
        let globals = Value::Table(self.globals.clone());
        let line = self.calls.last().map_or(0, |top| top.line);
        self.get_index(host, &globals, &key, None)
            .map_err(|e| located(e, frame.proto(), line))
    }

    /// All the values of an expression list: the last call or `...` expanded.
    pub(super) fn eval_list(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        exprs: &[Expr],
    ) -> Result<Vec<Value>, LuaError> {
        let mut values = Vec::with_capacity(exprs.len());
        self.eval_list_into(host, frame, exprs, &mut values)?;
        Ok(values)
    }

    fn eval_list_into(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        exprs: &[Expr],
        values: &mut Vec<Value>,
    ) -> Result<(), LuaError> {
        if let Some((last, firsts)) = exprs.split_last() {
            for expr in firsts {
                values.push(self.eval(host, frame, expr)?);
            }
            self.eval_multi(host, frame, last, values)?;
        }
        Ok(())
    }

    /// An expression list adjusted to `count` values (extra dropped, missing nil).
    pub(super) fn eval_adjusted(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        exprs: &[Expr],
        count: usize,
    ) -> Result<Vec<Value>, LuaError> {
        let mut values = self.eval_list(host, frame, exprs)?;
        values.resize(count, Value::Nil);
        Ok(values)
    }

    /// Appends all the values of `expr` (several for a call or `...`, else one).
    fn eval_multi(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        expr: &Expr,
        values: &mut Vec<Value>,
    ) -> Result<(), LuaError> {
        match expr {
            Expr::Call { .. } | Expr::Method { .. } => {
                let mut results = self.eval_call(host, frame, expr)?;
                values.append(&mut results);
                self.recycle_list(results);
            }
            Expr::Vararg => values.extend(frame.varargs.iter().cloned()),
            _ => values.push(self.eval(host, frame, expr)?),
        }
        Ok(())
    }

    /// Runs a call expression; all its results.
    pub(super) fn eval_call(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        call: &Expr,
    ) -> Result<Vec<Value>, LuaError> {
        let (function, args) = self.prepare_call(host, frame, call)?;
        self.call_function(host, &function, args)
    }

    /// Evaluates a call expression's function and arguments (`obj:m(...)` looks `m` up in
    /// `obj` and passes `obj` first), ready to call.
    pub(super) fn prepare_call(
        &mut self,
        host: &mut dyn Host,
        frame: &mut Frame,
        call: &Expr,
    ) -> Result<(Function, Vec<Value>), LuaError> {
        let (callee, args, line) = match call {
            Expr::Call { func, args, line } => {
                let callee = self.eval(host, frame, func)?;
                let mut values = self.take_list(args.len());
                self.eval_list_into(host, frame, args, &mut values)?;
                self.set_line(*line);
                return (self.resolve_callable(callee, values, Some((func, frame.proto()))))
                    .map_err(|e| located(e, frame.proto(), *line));
            }
            Expr::Method {
                object,
                name,
                args,
                line,
            } => {
                let object_value = self.eval(host, frame, object)?;
                let key = Value::Str(name.clone());
                let callee =
                    (self.get_index(host, &object_value, &key, Some((object, frame.proto()))))
                        .map_err(|e| located(e, frame.proto(), *line))?;
                let mut values = self.take_list(args.len() + 1);
                values.push(object_value);
                self.eval_list_into(host, frame, args, &mut values)?;
                (callee, values, *line)
            }
            _ => unreachable!("the parser only makes calls of Call and Method"),
        };
        self.set_line(line);
        (self.resolve_callable(callee, args, Some((call, frame.proto()))))
            .map_err(|e| located(e, frame.proto(), line))
    }
}
