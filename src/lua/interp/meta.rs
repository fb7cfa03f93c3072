//! Metatables: finding a value's metatable and a metamethod in it, and indexing with the
//! `__index` / `__newindex` chains (`luaV_gettable` / `luaV_settable`).

use super::Lua;
use super::culprit::{Culprit, type_error};
use crate::lua::host::Host;
use crate::lua::value::{LuaError, LuaStr, TableRef, Value};

/// Lua 5.1's `MAXTAGLOOP`: how many `__index`/`__newindex` tables a lookup follows.
const MAX_TAG_LOOP: usize = 100;

/// The metamethods the interpreter looks up.
#[derive(Clone, Copy)]
pub enum Event {
    Index,
    NewIndex,
    Call,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Concat,
    Eq,
    Lt,
    Le,
    Len,
    ToString,
    Metatable,
}

const EVENT_NAMES: [&str; 17] = [
    "__index",
    "__newindex",
    "__call",
    "__add",
    "__sub",
    "__mul",
    "__div",
    "__mod",
    "__pow",
    "__unm",
    "__concat",
    "__eq",
    "__lt",
    "__le",
    "__len",
    "__tostring",
    "__metatable",
];

/// The event names as string values, made once per VM.
pub(super) struct EventNames([Value; 17]);

impl EventNames {
    pub fn new() -> EventNames {
        EventNames(EVENT_NAMES.map(|name| Value::Str(LuaStr::from(name))))
    }
}

impl Lua {
    /// A value's metatable: a table's own, the shared one of strings, none for the rest.
    pub fn metatable_of(&self, value: &Value) -> Option<TableRef> {
        match value {
            Value::Table(t) => t.metatable(),
            Value::Str(_) => self.string_metatable.clone(),
            _ => None,
        }
    }

    /// The metamethod for `event` in a metatable (nil if none).
    pub(super) fn event_in(&self, metatable: &TableRef, event: Event) -> Value {
        metatable.get(&self.events.0[event as usize])
    }

    /// `value`'s metamethod for `event`, nil if it has none.
    pub fn metamethod(&self, value: &Value, event: Event) -> Value {
        match self.metatable_of(value) {
            Some(mt) => self.event_in(&mt, event),
            None => Value::Nil,
        }
    }

    /// `object[key]`, following `__index`: a table's raw field when present, else its
    /// metatable's `__index` (a function called with the object and key, or a value indexed in
    /// turn).
    pub(super) fn get_index(
        &mut self,
        host: &mut dyn Host,
        object: &Value,
        key: &Value,
        culprit: Culprit,
    ) -> Result<Value, LuaError> {
        let mut object = object.clone();
        let mut culprit = culprit;
        for _ in 0..MAX_TAG_LOOP {
            let handler = match &object {
                Value::Table(t) => {
                    let raw = t.get(key);
                    if !raw.is_nil() {
                        return Ok(raw);
                    }
                    let Some(mt) = t.metatable() else {
                        return Ok(Value::Nil);
                    };
                    let handler = self.event_in(&mt, Event::Index);
                    if handler.is_nil() {
                        return Ok(Value::Nil);
                    }
                    handler
                }
                other => {
                    let handler = self.metamethod(other, Event::Index);
                    if handler.is_nil() {
                        return Err(LuaError::runtime(type_error("index", other, culprit)));
                    }
                    handler
                }
            };
            if let Value::Function(_) = handler {
                let results = self.call(host, &handler, vec![object, key.clone()])?;
                return Ok(results.into_iter().next().unwrap_or_default());
            }
            object = handler;
            culprit = None;
        }
        Err(LuaError::runtime("loop in gettable"))
    }

    /// `object[key] = value`, following `__newindex`: a table's existing raw field is set,
    /// else its metatable's `__newindex` (a function called with object, key and value, or a
    /// value assigned in turn) decides, else the raw field is set.
    pub(super) fn put_index(
        &mut self,
        host: &mut dyn Host,
        object: &Value,
        key: Value,
        value: Value,
        culprit: Culprit,
    ) -> Result<(), LuaError> {
        // Fast path: a table without a metatable (nearly every table a script makes) takes the
        // raw set at once, without the loop's copy of the object and of its metatable
        // (callgrind: an iteration of `for i = 1, n do t[i] = i end` from 750 to 708
        // instructions).
        if let Value::Table(t) = object {
            let mut table = t.0.borrow_mut();
            if table.metatable.is_none() {
                return table.set(key, value);
            }
        }
        let mut object = object.clone();
        let mut culprit = culprit;
        for _ in 0..MAX_TAG_LOOP {
            let handler = match &object {
                Value::Table(t) => {
                    let handler = match t.metatable() {
                        Some(mt) => self.event_in(&mt, Event::NewIndex),
                        None => Value::Nil,
                    };
                    if handler.is_nil() || !t.get(&key).is_nil() {
                        return t.set(key, value);
                    }
                    handler
                }
                other => {
                    let handler = self.metamethod(other, Event::NewIndex);
                    if handler.is_nil() {
                        return Err(LuaError::runtime(type_error("index", other, culprit)));
                    }
                    handler
                }
            };
            if let Value::Function(_) = handler {
                self.call(host, &handler, vec![object, key, value])?;
                return Ok(());
            }
            object = handler;
            culprit = None;
        }
        Err(LuaError::runtime("loop in settable"))
    }
}
