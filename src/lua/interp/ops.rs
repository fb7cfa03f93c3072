//! The operators' semantics beyond plain numbers: string coercion, metamethods, and the error
//! each raises (`luaV_arith`, `luaV_concat`, `luaV_equalval`, `luaV_lessthan`,
//! `luaV_lessequal`, `luaG_aritherror`, `luaG_concaterror`, `luaG_ordererror`). The evaluator
//! handles the number-number cases inline and calls these for the rest.

use super::Lua;
use super::culprit::{Culprit, type_error};
use super::meta::Event;
use crate::lua::ast::BinOp;
use crate::lua::host::Host;
use crate::lua::number;
use crate::lua::value::{LuaError, LuaStr, Value};

/// An arithmetic operator on two numbers. Inlined into the evaluator's number fast path.
#[inline(always)]
pub(super) fn arith_numbers(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        // Lua 5.1's `luai_nummod`: the result takes the divisor's sign.
        BinOp::Mod => a - (a / b).floor() * b,
        BinOp::Pow => a.powf(b),
        _ => unreachable!("not an arithmetic operator: {op:?}"),
    }
}

fn arith_event(op: BinOp) -> Event {
    match op {
        BinOp::Add => Event::Add,
        BinOp::Sub => Event::Sub,
        BinOp::Mul => Event::Mul,
        BinOp::Div => Event::Div,
        BinOp::Mod => Event::Mod,
        BinOp::Pow => Event::Pow,
        _ => unreachable!("not an arithmetic operator: {op:?}"),
    }
}

impl Lua {
    /// `a op b` for an arithmetic operator: numbers or numeric strings, else the first
    /// operand's metamethod, else the second's.
    pub(super) fn arith(
        &mut self,
        host: &mut dyn Host,
        op: BinOp,
        a: &Value,
        b: &Value,
        culprits: (Culprit, Culprit),
    ) -> Result<Value, LuaError> {
        let (x, y) = (number::coerce_to_number(a), number::coerce_to_number(b));
        if let (Some(x), Some(y)) = (x, y) {
            return Ok(Value::Number(arith_numbers(op, x, y)));
        }
        if let Some(result) = self.binary_metamethod(host, arith_event(op), a, b)? {
            return Ok(result);
        }
        // luaG_aritherror: blame the first operand unless it is a number.
        let (culprit_value, culprit) = if x.is_none() {
            (a, culprits.0)
        } else {
            (b, culprits.1)
        };
        Err(LuaError::runtime(type_error(
            "perform arithmetic on",
            culprit_value,
            culprit,
        )))
    }

    /// `-a`.
    pub(super) fn negate(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        culprit: Culprit,
    ) -> Result<Value, LuaError> {
        if let Some(x) = number::coerce_to_number(a) {
            return Ok(Value::Number(-x));
        }
        match self.binary_metamethod(host, Event::Unm, a, a)? {
            Some(result) => Ok(result),
            None => Err(LuaError::runtime(type_error(
                "perform arithmetic on",
                a,
                culprit,
            ))),
        }
    }

    /// `#a`: a string's length, a table's border (Lua 5.1 ignores `__len` on tables), else
    /// `__len`.
    pub(super) fn length(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        culprit: Culprit,
    ) -> Result<Value, LuaError> {
        match a {
            Value::Str(s) => Ok(Value::Number(s.len() as f64)),
            Value::Table(t) => Ok(Value::Number(t.len() as f64)),
            other => match self.binary_metamethod(host, Event::Len, other, &Value::Nil)? {
                Some(result) => Ok(result),
                None => Err(LuaError::runtime(type_error(
                    "get length of",
                    other,
                    culprit,
                ))),
            },
        }
    }

    /// `a .. b`: strings and numbers, else `__concat`.
    pub(super) fn concat(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        b: &Value,
        culprits: (Culprit, Culprit),
    ) -> Result<Value, LuaError> {
        if let (Some(x), Some(y)) = (number::coerce_to_string(a), number::coerce_to_string(b)) {
            return Ok(Value::Str(LuaStr::concat(x.as_bytes(), y.as_bytes())));
        }
        if let Some(result) = self.binary_metamethod(host, Event::Concat, a, b)? {
            return Ok(result);
        }
        // luaG_concaterror: blame the first operand unless it is a string or number.
        let (culprit_value, culprit) = match a {
            Value::Str(_) | Value::Number(_) => (b, culprits.1),
            _ => (a, culprits.0),
        };
        Err(LuaError::runtime(type_error(
            "concatenate",
            culprit_value,
            culprit,
        )))
    }

    /// `a == b`: raw equality, then `__eq` for two tables sharing that metamethod.
    pub(super) fn equals(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        b: &Value,
    ) -> Result<bool, LuaError> {
        let (Value::Table(x), Value::Table(y)) = (a, b) else {
            return Ok(a.raw_eq(b));
        };
        if x.ptr_eq(y) {
            return Ok(true);
        }
        let Some(handler) = self.shared_metamethod(a, b, Event::Eq) else {
            return Ok(false);
        };
        let results = self.call(host, &handler, vec![a.clone(), b.clone()])?;
        Ok(results.first().is_some_and(Value::truthy))
    }

    /// `a < b`.
    pub(super) fn compare_less(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        b: &Value,
    ) -> Result<bool, LuaError> {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => Ok(x < y),
            (Value::Str(x), Value::Str(y)) => Ok(x < y),
            _ => match self.order_metamethod(host, Event::Lt, a, b)? {
                Some(result) => Ok(result),
                None => Err(order_error(a, b)),
            },
        }
    }

    /// `a <= b`: `__le`, or else `not (b < a)` through `__lt`, as Lua 5.1.
    pub(super) fn compare_less_equal(
        &mut self,
        host: &mut dyn Host,
        a: &Value,
        b: &Value,
    ) -> Result<bool, LuaError> {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => Ok(x <= y),
            (Value::Str(x), Value::Str(y)) => Ok(x <= y),
            _ => {
                if let Some(result) = self.order_metamethod(host, Event::Le, a, b)? {
                    return Ok(result);
                }
                match self.order_metamethod(host, Event::Lt, b, a)? {
                    Some(result) => Ok(!result),
                    None => Err(order_error(a, b)),
                }
            }
        }
    }

    /// What `tostring` returns: `__tostring`'s result, or the value's default text.
    pub(crate) fn tostring_value(
        &mut self,
        host: &mut dyn Host,
        value: &Value,
    ) -> Result<Value, LuaError> {
        let handler = self.metamethod(value, Event::ToString);
        if !handler.is_nil() {
            let results = self.call(host, &handler, vec![value.clone()])?;
            return Ok(results.into_iter().next().unwrap_or_default());
        }
        let text = match value {
            Value::Str(_) => return Ok(value.clone()),
            Value::Number(n) => number::to_string(*n),
            Value::Nil => "nil".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Table(t) => format!("table: {:p}", std::rc::Rc::as_ptr(&t.0)),
            Value::Function(f) => format!("function: {:p}", f.addr()),
        };
        Ok(Value::Str(LuaStr::from(text)))
    }

    /// `call_binTM`: the first operand's metamethod, else the second's, called with both;
    /// `None` if neither has one.
    fn binary_metamethod(
        &mut self,
        host: &mut dyn Host,
        event: Event,
        a: &Value,
        b: &Value,
    ) -> Result<Option<Value>, LuaError> {
        let mut handler = self.metamethod(a, event);
        if handler.is_nil() {
            handler = self.metamethod(b, event);
        }
        if handler.is_nil() {
            return Ok(None);
        }
        let results = self.call(host, &handler, vec![a.clone(), b.clone()])?;
        Ok(Some(results.into_iter().next().unwrap_or_default()))
    }

    /// `call_orderTM`: both operands must have the same metamethod.
    fn order_metamethod(
        &mut self,
        host: &mut dyn Host,
        event: Event,
        a: &Value,
        b: &Value,
    ) -> Result<Option<bool>, LuaError> {
        if std::mem::discriminant(a) != std::mem::discriminant(b) {
            return Ok(None);
        }
        let handler = self.metamethod(a, event);
        if handler.is_nil() || !handler.raw_eq(&self.metamethod(b, event)) {
            return Ok(None);
        }
        let results = self.call(host, &handler, vec![a.clone(), b.clone()])?;
        Ok(Some(results.first().is_some_and(Value::truthy)))
    }

    /// `get_compTM`: the metamethod two tables share for `__eq`.
    fn shared_metamethod(&self, a: &Value, b: &Value, event: Event) -> Option<Value> {
        let mt_a = self.metatable_of(a)?;
        let handler = self.event_in(&mt_a, event);
        if handler.is_nil() {
            return None;
        }
        let mt_b = self.metatable_of(b)?;
        if mt_a.ptr_eq(&mt_b) || handler.raw_eq(&self.event_in(&mt_b, event)) {
            Some(handler)
        } else {
            None
        }
    }
}

/// `luaG_ordererror`.
fn order_error(a: &Value, b: &Value) -> LuaError {
    let (x, y) = (a.type_name(), b.type_name());
    if x == y {
        LuaError::runtime(format!("attempt to compare two {x} values"))
    } else {
        LuaError::runtime(format!("attempt to compare {x} with {y}"))
    }
}
