//! `cmsgpack.unpack`'s decoder (`mp_decode_to_lua_type` and `mp_unpack_full` in
//! `lua_cmsgpack.c`): the types lua-cmsgpack knows (nil, booleans, fixnums, (u)int8..64,
//! float32/64, fixstr and str8/16/32, arrays and maps). bin, ext and the reserved byte are "Bad
//! data format in input." in lua-cmsgpack, and so here.
//!
//! Nested arrays and maps are read with an explicit stack; a size field promises nothing (an
//! array of 2^32 elements fails with "Missing bytes in input." once the bytes run out, a string
//! is only made once its bytes are all there). What bounds nesting and the number of values is
//! the Lua stack C decodes onto ([`MAX_C_STACK`] slots), modelled by [`Decoder::slots`] to fail
//! where Redis does.

use crate::lua::Lua;
use crate::lua::stdlib::cjson::MAX_C_STACK;
use crate::lua::value::{LuaError, TableRef, Value};

/// Why decoding stopped short.
pub enum Failure {
    /// `MP_CUR_ERROR_EOF`: "Missing bytes in input."
    MissingBytes,
    /// `MP_CUR_ERROR_BADFMT`: "Bad data format in input."
    BadFormat,
    /// A Lua error (stack overflow, a nil table key).
    Lua(LuaError),
}

/// An array or map being filled.
enum Open {
    Array {
        table: TableRef,
        left: usize,
        next: usize,
    },
    Map {
        table: TableRef,
        left: usize,
        key: Option<Value>,
    },
}

pub struct Decoder<'a> {
    input: &'a [u8],
    pub pos: usize,
    /// Lua stack slots in use in C: the argument, the values already decoded, and for each
    /// open table the table and the index or key being filled.
    slots: usize,
    open: Vec<Open>,
}

impl<'a> Decoder<'a> {
    pub fn new(input: &'a [u8], pos: usize) -> Decoder<'a> {
        Decoder {
            input,
            pos,
            slots: 1,
            open: Vec::new(),
        }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Decodes the next top-level value; it stays on the (modelled) stack as a result.
    pub fn next_value(&mut self, lua: &mut Lua) -> Result<Value, Failure> {
        loop {
            let mut value = match self.item(lua)? {
                Some(scalar) => scalar,
                None => continue, // a table opened: its elements come next
            };
            // Place the value; every table it completes is a value for the one around it.
            loop {
                let Some(top) = self.open.last_mut() else {
                    self.slots += 1;
                    return Ok(value);
                };
                match top {
                    Open::Array { table, left, next } => {
                        set(table, Value::Number(*next as f64), value)?;
                        *next += 1;
                        *left -= 1;
                        self.slots -= 1; // the index
                    }
                    Open::Map {
                        key: key @ None, ..
                    } => {
                        *key = Some(value);
                        self.slots += 1; // the key stays while its value is read
                        break;
                    }
                    Open::Map { table, left, key } => {
                        set(table, key.take().unwrap_or_default(), value)?;
                        *left -= 1;
                        self.slots -= 1;
                    }
                }
                if self.start_element() {
                    break;
                }
                value = self.close_table();
            }
        }
    }

    /// Prepares the innermost table's next element (an array pushes its index); false when the
    /// table is complete.
    fn start_element(&mut self) -> bool {
        match self.open.last() {
            Some(Open::Array { left: 0, .. } | Open::Map { left: 0, .. }) => false,
            Some(Open::Array { .. }) => {
                self.slots += 1;
                true
            }
            _ => true,
        }
    }

    /// Reads one item: a scalar, or the header of a table (pushed on `open`, `None` returned; an
    /// empty table is complete at once).
    fn item(&mut self, lua: &mut Lua) -> Result<Option<Value>, Failure> {
        let tag = *self.input.get(self.pos).ok_or(Failure::MissingBytes)?;
        self.check_stack(
            1,
            "too many return values at once; use unpack_one or unpack_limit instead.",
        )?;
        let value = match tag {
            0xc0 => self.scalar(1, Value::Nil),
            0xc2 => self.scalar(1, Value::Bool(false)),
            0xc3 => self.scalar(1, Value::Bool(true)),
            0x00..=0x7f => self.scalar(1, Value::Number(f64::from(tag))),
            0xe0..=0xff => self.scalar(1, Value::Number(f64::from(tag as i8))),
            0xcc => self.number(1, |b| f64::from(b[0])),
            0xcd => self.number(2, |b| f64::from(u16::from_be_bytes([b[0], b[1]]))),
            0xce => self.number(4, |b| f64::from(u32::from_be_bytes(b.try_into().unwrap()))),
            // lua_pushunsigned is lua_pushinteger on 64 bits: past 2^63 the value wraps.
            0xcf => self.number(8, |b| {
                u64::from_be_bytes(b.try_into().unwrap()) as i64 as f64
            }),
            0xd0 => self.number(1, |b| f64::from(b[0] as i8)),
            0xd1 => self.number(2, |b| f64::from(i16::from_be_bytes([b[0], b[1]]))),
            0xd2 => self.number(4, |b| f64::from(i32::from_be_bytes(b.try_into().unwrap()))),
            0xd3 => self.number(8, |b| i64::from_be_bytes(b.try_into().unwrap()) as f64),
            0xca => self.number(4, |b| f64::from(f32::from_be_bytes(b.try_into().unwrap()))),
            0xcb => self.number(8, |b| f64::from_be_bytes(b.try_into().unwrap())),
            0xa0..=0xbf => self.string(0, usize::from(tag & 0x1f)),
            0xd9 => self.string(1, self.length(1)?),
            0xda => self.string(2, self.length(2)?),
            0xdb => self.string(4, self.length(4)?),
            0x90..=0x9f => return self.open_table(lua, 0, usize::from(tag & 0xf), true),
            0xdc => return self.open_table(lua, 2, self.length(2)?, true),
            0xdd => return self.open_table(lua, 4, self.length(4)?, true),
            0x80..=0x8f => return self.open_table(lua, 0, usize::from(tag & 0xf), false),
            0xde => return self.open_table(lua, 2, self.length(2)?, false),
            0xdf => return self.open_table(lua, 4, self.length(4)?, false),
            _ => return Err(Failure::BadFormat),
        }?;
        Ok(Some(value))
    }

    /// `luaL_checkstack`: C fails when its stack would pass LUAI_MAXCSTACK slots.
    fn check_stack(&self, need: usize, what: &str) -> Result<(), Failure> {
        if self.slots + need > MAX_C_STACK {
            return Err(Failure::Lua(LuaError::runtime(format!(
                "stack overflow ({what})"
            ))));
        }
        Ok(())
    }

    /// The `width`-byte big-endian size after the tag (before any of it is consumed).
    fn length(&self, width: usize) -> Result<usize, Failure> {
        let bytes = self
            .input
            .get(self.pos + 1..self.pos + 1 + width)
            .ok_or(Failure::MissingBytes)?;
        Ok(bytes.iter().fold(0, |acc, b| (acc << 8) | usize::from(*b)))
    }

    fn scalar(&mut self, len: usize, value: Value) -> Result<Value, Failure> {
        self.pos += len;
        Ok(value)
    }

    /// A number in the `width` bytes after the tag.
    fn number(&mut self, width: usize, read: impl Fn(&[u8]) -> f64) -> Result<Value, Failure> {
        let bytes = self
            .input
            .get(self.pos + 1..self.pos + 1 + width)
            .ok_or(Failure::MissingBytes)?;
        let value = read(bytes);
        self.pos += 1 + width;
        Ok(Value::Number(value))
    }

    /// A string of `len` bytes after the tag and its `width`-byte size.
    fn string(&mut self, width: usize, len: usize) -> Result<Value, Failure> {
        let start = self.pos + 1 + width;
        let end = start.checked_add(len).ok_or(Failure::MissingBytes)?;
        let bytes = self.input.get(start..end).ok_or(Failure::MissingBytes)?;
        self.pos = end;
        Ok(Value::str(bytes))
    }

    /// `mp_decode_to_lua_array` / `mp_decode_to_lua_hash`: a table of `len` elements (pairs).
    fn open_table(
        &mut self,
        lua: &mut Lua,
        width: usize,
        len: usize,
        is_array: bool,
    ) -> Result<Option<Value>, Failure> {
        self.pos += 1 + width;
        let table = lua.new_table();
        self.slots += 1;
        if is_array {
            self.check_stack(1, "in function mp_decode_to_lua_array")?;
        }
        self.open.push(if is_array {
            Open::Array {
                table,
                left: len,
                next: 1,
            }
        } else {
            Open::Map {
                table,
                left: len,
                key: None,
            }
        });
        if self.start_element() {
            return Ok(None);
        }
        // Empty: complete at once.
        Ok(Some(self.close_table()))
    }

    /// Takes the innermost table, complete, off `open`: it is now a value like any other.
    fn close_table(&mut self) -> Value {
        let Some(Open::Array { table, .. } | Open::Map { table, .. }) = self.open.pop() else {
            unreachable!("a table is open");
        };
        self.slots -= 1;
        Value::Table(table)
    }
}

/// `lua_settable` from C: a nil key is Lua's error, with no script position (no Lua code runs).
fn set(table: &TableRef, key: Value, value: Value) -> Result<(), Failure> {
    table.set(key, value).map_err(|mut err| {
        err.needs_position = false;
        Failure::Lua(err)
    })
}
