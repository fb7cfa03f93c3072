//! `cjson.encode`: a Lua value as JSON text, as lua-cjson writes it (`json_append_data` and
//! its helpers in `lua_cjson.c`): a table whose keys are all positive integers is an array
//! (holes written as `null`, unless excessively sparse), any other table an object whose number
//! keys become strings; strings escaped with lua-cjson's table (which escapes `/` and DEL);
//! numbers at the configured precision.
//!
//! Nesting is walked with an explicit stack rather than recursion, so a self-referential table
//! meets the depth limit instead of the thread's stack.

use super::MAX_C_STACK;
use super::fpconv::format_g;
use super::settings::Settings;
use crate::lua::value::{LuaError, TableRef, Value};

/// The longest text `encode` writes: 512 MB, the longest string Redis takes from a client
/// (proto-max-bulk-len). lua-cjson has no limit, but tables can ask for far more than memory:
/// the holes of a sparse array when `encode_sparse_array` allows any, or one table referenced
/// many times on every level (each reference is written out in full).
pub const MAX_OUTPUT: usize = 512 * 1024 * 1024;

/// A table being written: an array with the next index to write, or an object with the pairs
/// (taken when it was entered) and the next one to write.
enum Open {
    Array {
        table: TableRef,
        len: usize,
        next: usize,
    },
    Object {
        pairs: Vec<(Value, Value)>,
        next: usize,
    },
}

impl Open {
    /// The Lua stack slots C holds while inside this table (the element, or the key and value),
    /// from which its depth limit follows.
    fn slots(&self) -> usize {
        match self {
            Open::Array { .. } => 1,
            Open::Object { .. } => 2,
        }
    }
}

/// Encodes `value`; `null` is `cjson.null`, written as `null`.
pub fn encode(value: &Value, settings: &Settings, null: &TableRef) -> Result<Vec<u8>, LuaError> {
    let mut encoder = Encoder {
        settings,
        null,
        out: Vec::new(),
        open: Vec::new(),
        slots: 1, // the value being encoded, C's argument
    };
    encoder.value(value)?;
    while let Some(top) = encoder.open.last_mut() {
        if encoder.out.len() > MAX_OUTPUT {
            return Err(LuaError::runtime("Cannot serialise, output exceeds 512 MB"));
        }
        let next_value = match top {
            Open::Array { table, len, next } => {
                if *next > *len {
                    None
                } else {
                    let value = table.get_int(*next as i64);
                    let first = *next == 1;
                    *next += 1;
                    Some((first, None, value))
                }
            }
            Open::Object { pairs, next } => match pairs.get(*next) {
                None => None,
                Some((key, value)) => {
                    let first = *next == 0;
                    *next += 1;
                    Some((first, Some(key.clone()), value.clone()))
                }
            },
        };
        match next_value {
            None => encoder.close(),
            Some((first, key, value)) => {
                if !first {
                    encoder.out.push(b',');
                }
                if let Some(key) = key {
                    encoder.key(&key)?;
                }
                encoder.value(&value)?;
            }
        }
    }
    Ok(encoder.out)
}

struct Encoder<'a> {
    settings: &'a Settings,
    null: &'a TableRef,
    out: Vec<u8>,
    open: Vec<Open>,
    /// The Lua stack slots C would hold: the argument, and each open table's [`Open::slots`].
    slots: usize,
}

impl Encoder<'_> {
    /// Writes a scalar, or opens a table (its contents are written by [`encode`]'s loop).
    fn value(&mut self, value: &Value) -> Result<(), LuaError> {
        match value {
            Value::Str(s) => append_string(&mut self.out, s.as_bytes()),
            Value::Number(n) => self.number(*n)?,
            Value::Bool(true) => self.out.extend_from_slice(b"true"),
            Value::Bool(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::Table(t) if t.ptr_eq(self.null) => self.out.extend_from_slice(b"null"),
            Value::Table(t) => self.open_table(t)?,
            Value::Function(_) => return Err(cannot_serialise(value, "type not supported")),
        }
        Ok(())
    }

    /// `json_append_object`'s key: a string, or a number written inside quotes.
    fn key(&mut self, key: &Value) -> Result<(), LuaError> {
        match key {
            Value::Str(s) => append_string(&mut self.out, s.as_bytes()),
            Value::Number(n) => {
                self.out.push(b'"');
                self.number(*n)?;
                self.out.push(b'"');
            }
            other => {
                return Err(cannot_serialise(
                    other,
                    "table key must be a number or string",
                ));
            }
        }
        self.out.push(b':');
        Ok(())
    }

    /// `json_append_number`: NaN and infinities as `encode_invalid_numbers` says.
    fn number(&mut self, n: f64) -> Result<(), LuaError> {
        if !n.is_finite() {
            match self.settings.encode_invalid_numbers {
                0 => {
                    return Err(cannot_serialise(
                        &Value::Number(n),
                        "must not be NaN or Inf",
                    ));
                }
                // C writes NaN itself because some platforms print "-nan".
                1 if n.is_nan() => {
                    self.out.extend_from_slice(b"nan");
                    return Ok(());
                }
                1 => {}
                _ => {
                    self.out.extend_from_slice(b"null");
                    return Ok(());
                }
            }
        }
        let precision = self.settings.number_precision as usize;
        self.out
            .extend_from_slice(format_g(n, precision).as_bytes());
        Ok(())
    }

    /// `json_check_encode_depth` then `lua_array_length`: an array when the keys allow it.
    fn open_table(&mut self, table: &TableRef) -> Result<(), LuaError> {
        let depth = self.open.len() + 1;
        // C also fails when the Lua stack cannot grow by the 3 slots it needs.
        if depth > self.settings.encode_max_depth as usize || self.slots + 3 > MAX_C_STACK {
            return Err(LuaError::runtime(format!(
                "Cannot serialise, excessive nesting ({depth})"
            )));
        }
        let open = match self.array_length(table)? {
            Some(len) if len > 0 => {
                self.out.push(b'[');
                Open::Array {
                    table: table.clone(),
                    len,
                    next: 1,
                }
            }
            _ => {
                self.out.push(b'{');
                let pairs = table
                    .0
                    .borrow()
                    .pairs()
                    .map(|(k, v)| (k, v.clone()))
                    .collect();
                Open::Object { pairs, next: 0 }
            }
        };
        self.slots += open.slots();
        self.open.push(open);
        Ok(())
    }

    fn close(&mut self) {
        if let Some(open) = self.open.pop() {
            self.slots -= open.slots();
            self.out.push(match open {
                Open::Array { .. } => b']',
                Open::Object { .. } => b'}',
            });
        }
    }

    /// `lua_array_length`: the highest index when every key is an integer ≥ 1, `None` for an
    /// object. An excessively sparse array is an object or an error, per `encode_sparse_array`.
    fn array_length(&self, table: &TableRef) -> Result<Option<usize>, LuaError> {
        let (mut max, mut items) = (0f64, 0f64);
        for (key, _) in table.0.borrow().pairs() {
            match key {
                Value::Number(k) if k >= 1.0 && k.floor() == k => {
                    max = max.max(k);
                    items += 1.0;
                }
                _ => return Ok(None),
            }
        }
        let settings = self.settings;
        if settings.sparse_ratio > 0
            && max > items * f64::from(settings.sparse_ratio)
            && max > f64::from(settings.sparse_safe)
        {
            if settings.sparse_convert == 0 {
                let table = Value::Table(table.clone());
                return Err(cannot_serialise(&table, "excessively sparse array"));
            }
            return Ok(None);
        }
        // C keeps the highest index in an `int`: past that it is no array length at all.
        if max > f64::from(i32::MAX) {
            return Ok(None);
        }
        Ok(Some(max as usize))
    }
}

/// `json_encode_exception`: `Cannot serialise <type>: <reason>`.
fn cannot_serialise(value: &Value, reason: &str) -> LuaError {
    LuaError::runtime(format!("Cannot serialise {}: {reason}", value.type_name()))
}

/// `json_append_string`: quoted, with lua-cjson's escapes (`char2escape`).
fn append_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    for &byte in bytes {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{byte:04x}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}
