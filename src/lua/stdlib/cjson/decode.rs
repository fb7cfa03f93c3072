//! `cjson.decode`: JSON text as Lua values, as lua-cjson reads it (`json_next_token`,
//! `json_parse_*_context` in `lua_cjson.c`): objects and arrays become tables, `null` becomes
//! `cjson.null`, numbers are read by strtod, and errors name what was expected, what was found
//! and where ("Expected value but found invalid token at character 1").
//!
//! The input is read as C reads a C string: a NUL byte ends it. Nesting is tracked with an
//! explicit stack, so the depth limit, not the thread's stack, bounds it; every string and
//! table made is bounded by the input's length.

use super::MAX_C_STACK;
use super::fpconv::strtod;
use super::settings::Settings;
use crate::lua::Lua;
use crate::lua::value::{LuaError, LuaStr, TableRef, Value};

/// Decodes `json`; `null` is the value JSON `null` becomes (`cjson.null`).
pub fn decode(
    lua: &mut Lua,
    json: &[u8],
    settings: &Settings,
    null: &TableRef,
) -> Result<Value, LuaError> {
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err(LuaError::runtime(
            "JSON parser does not support UTF-16 or UTF-32",
        ));
    }
    let mut parser = Parser {
        json,
        pos: 0,
        settings,
        depth: 0,
        slots: 1, // the JSON text, C's argument
    };
    let mut open: Vec<Open> = Vec::new();
    let mut token = parser.next_token();
    loop {
        // A value starts at `token`: a scalar completes at once, an array or object opens.
        let mut value = match token.kind {
            Kind::Str(s) => Value::str(s),
            Kind::Number(n) => Value::Number(n),
            Kind::Bool(b) => Value::Bool(b),
            Kind::Null => Value::Table(null.clone()),
            Kind::ArrBegin => {
                parser.descend(2, 1)?;
                let table = lua.new_table();
                token = parser.next_token();
                if token.kind == Kind::ArrEnd {
                    parser.ascend(1);
                    Value::Table(table)
                } else {
                    open.push(Open::Array { table, next: 1 });
                    continue;
                }
            }
            Kind::ObjBegin => {
                parser.descend(3, 2)?;
                let table = lua.new_table();
                let first = parser.next_token();
                if first.kind == Kind::ObjEnd {
                    parser.ascend(2);
                    Value::Table(table)
                } else {
                    let key = parser.object_key(first)?;
                    open.push(Open::Object { table, key });
                    token = parser.next_token();
                    continue;
                }
            }
            _ => return Err(parser.error("value", &token)),
        };
        // Store the completed value in the innermost open container; each container that
        // closes is itself a completed value for the one around it.
        loop {
            let Some(container) = open.last_mut() else {
                let end = parser.next_token();
                if end.kind != Kind::End {
                    return Err(parser.error("the end", &end));
                }
                return Ok(value);
            };
            // (`set` cannot fail below: the tables are new, the keys numbers >= 1 or strings.)
            let after = match container {
                Open::Array { table, next } => {
                    let _ = table.set(Value::Number(*next as f64), value);
                    *next += 1;
                    let after = parser.next_token();
                    match after.kind {
                        Kind::ArrEnd => None,
                        Kind::Comma => Some(parser.next_token()),
                        _ => return Err(parser.error("comma or array end", &after)),
                    }
                }
                Open::Object { table, key } => {
                    let _ = table.set(Value::Str(key.clone()), value);
                    let after = parser.next_token();
                    match after.kind {
                        Kind::ObjEnd => None,
                        Kind::Comma => {
                            let next_key = parser.next_token();
                            *key = parser.object_key(next_key)?;
                            Some(parser.next_token())
                        }
                        _ => return Err(parser.error("comma or object end", &after)),
                    }
                }
            };
            match after {
                Some(next_value) => {
                    token = next_value;
                    break;
                }
                None => {
                    let closed = open.pop().expect("a container is open");
                    parser.ascend(closed.slots());
                    value = Value::Table(closed.into_table());
                }
            }
        }
    }
}

/// An array or object being read: where its next element goes.
enum Open {
    Array { table: TableRef, next: usize },
    Object { table: TableRef, key: LuaStr },
}

impl Open {
    /// The Lua stack slots C holds while inside it (the table; the table and the key).
    fn slots(&self) -> usize {
        match self {
            Open::Array { .. } => 1,
            Open::Object { .. } => 2,
        }
    }

    fn into_table(self) -> TableRef {
        match self {
            Open::Array { table, .. } | Open::Object { table, .. } => table,
        }
    }
}

#[derive(Debug, PartialEq)]
enum Kind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Number(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    /// What went wrong, as the error message says it ("invalid token").
    Error(&'static str),
}

impl Kind {
    /// `json_token_type_name`, for "Expected ... but found T_END".
    fn name(&self) -> &'static str {
        match self {
            Kind::ObjBegin => "T_OBJ_BEGIN",
            Kind::ObjEnd => "T_OBJ_END",
            Kind::ArrBegin => "T_ARR_BEGIN",
            Kind::ArrEnd => "T_ARR_END",
            Kind::Str(_) => "T_STRING",
            Kind::Number(_) => "T_NUMBER",
            Kind::Bool(_) => "T_BOOLEAN",
            Kind::Null => "T_NULL",
            Kind::Colon => "T_COLON",
            Kind::Comma => "T_COMMA",
            Kind::End => "T_END",
            Kind::Error(what) => what,
        }
    }
}

struct Token {
    kind: Kind,
    /// Where it starts (0-based; messages count from 1).
    index: usize,
}

struct Parser<'a> {
    json: &'a [u8],
    pos: usize,
    settings: &'a Settings,
    depth: usize,
    /// The Lua stack slots C would hold: the argument, and each open container's
    /// [`Open::slots`].
    slots: usize,
}

impl Parser<'_> {
    /// The byte at `index`, 0 past the end (the C string's terminator).
    fn at(&self, index: usize) -> u8 {
        self.json.get(index).copied().unwrap_or(0)
    }

    /// `json_decode_descend`: entering a container, which needs `need` free Lua stack slots in
    /// C and holds `holds` of them until it closes.
    fn descend(&mut self, need: usize, holds: usize) -> Result<(), LuaError> {
        self.depth += 1;
        if self.depth > self.settings.decode_max_depth as usize || self.slots + need > MAX_C_STACK {
            return Err(LuaError::runtime(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            )));
        }
        self.slots += holds;
        Ok(())
    }

    fn ascend(&mut self, holds: usize) {
        self.depth -= 1;
        self.slots -= holds;
    }

    /// `json_throw_parse_error`.
    fn error(&self, expected: &str, found: &Token) -> LuaError {
        LuaError::runtime(format!(
            "Expected {expected} but found {} at character {}",
            found.kind.name(),
            found.index + 1
        ))
    }

    /// An object's key and the colon after it.
    fn object_key(&mut self, token: Token) -> Result<LuaStr, LuaError> {
        let Kind::Str(key) = token.kind else {
            return Err(self.error("object key string", &token));
        };
        let colon = self.next_token();
        if colon.kind != Kind::Colon {
            return Err(self.error("colon", &colon));
        }
        Ok(LuaStr::from(key))
    }

    /// `json_next_token`.
    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let single = match self.at(index) {
            b'{' => Some(Kind::ObjBegin),
            b'}' => Some(Kind::ObjEnd),
            b'[' => Some(Kind::ArrBegin),
            b']' => Some(Kind::ArrEnd),
            b',' => Some(Kind::Comma),
            b':' => Some(Kind::Colon),
            0 => {
                return Token {
                    kind: Kind::End,
                    index,
                };
            }
            _ => None,
        };
        if let Some(kind) = single {
            self.pos += 1;
            return Token { kind, index };
        }
        let kind = self.longer_token();
        // An error is reported where it was found, which inside a string is past its start.
        let index = if matches!(kind, Kind::Error(_)) {
            self.pos
        } else {
            index
        };
        Token { kind, index }
    }

    /// The tokens longer than a byte: strings, numbers, literals; an error leaves `pos` where
    /// it was found.
    fn longer_token(&mut self) -> Kind {
        let rest = &self.json[self.pos..];
        let first = self.at(self.pos);
        let invalid_numbers_allowed = self.settings.decode_invalid_numbers != 0;
        if first == b'"' {
            return self.string_token();
        }
        if first == b'-' || first.is_ascii_digit() {
            if !invalid_numbers_allowed && is_invalid_number(rest) {
                return Kind::Error("invalid number");
            }
            return self.number_token();
        }
        let literals: [(&[u8], Kind); 3] = [
            (b"true", Kind::Bool(true)),
            (b"false", Kind::Bool(false)),
            (b"null", Kind::Null),
        ];
        for (word, kind) in literals {
            if rest.starts_with(word) {
                self.pos += word.len();
                return kind;
            }
        }
        // With invalid numbers allowed, only what JSON forbids (inf, nan, +1) is tried as a
        // number here, so other bad tokens are "invalid token", not "invalid number".
        if invalid_numbers_allowed && is_invalid_number(rest) {
            return self.number_token();
        }
        Kind::Error("invalid token")
    }

    fn number_token(&mut self) -> Kind {
        // A NUL byte (the C string's end) is no part of a number, so strtod stops there too.
        let rest = &self.json[self.pos..];
        match strtod(rest) {
            Some((n, len)) => {
                self.pos += len;
                Kind::Number(n)
            }
            None => Kind::Error("invalid number"),
        }
    }

    /// `json_next_string_token`: up to the closing quote, escapes translated.
    fn string_token(&mut self) -> Kind {
        self.pos += 1;
        let mut text = Vec::new();
        loop {
            match self.at(self.pos) {
                b'"' => break,
                0 => return Kind::Error("unexpected end of string"),
                b'\\' => {
                    let translated = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => b'\x08',
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => b'\x0c',
                        b'r' => b'\r',
                        b'u' => match self.unicode_escape() {
                            Some((code_point, escape_len)) => {
                                let mut utf8 = [0u8; 4];
                                text.extend_from_slice(
                                    code_point.encode_utf8(&mut utf8).as_bytes(),
                                );
                                self.pos += escape_len;
                                continue;
                            }
                            None => return Kind::Error("invalid unicode escape code"),
                        },
                        _ => return Kind::Error("invalid escape code"),
                    };
                    text.push(translated);
                    self.pos += 2;
                }
                byte => {
                    text.push(byte);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Kind::Str(text)
    }

    /// `json_append_unicode_escape`: `\uXXXX`, or a UTF-16 surrogate pair `\uD8XX\uDCXX`, at
    /// `pos`; the code point and the escape's length.
    fn unicode_escape(&self) -> Option<(char, usize)> {
        let unit = self.hex4(self.pos + 2)?;
        if unit & 0xF800 != 0xD800 {
            return Some((char::from_u32(unit)?, 6));
        }
        // A surrogate: it must be a high one followed by an escaped low one.
        if unit & 0x400 != 0 || self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
            return None;
        }
        let low = self.hex4(self.pos + 8)?;
        if low & 0xFC00 != 0xDC00 {
            return None;
        }
        let code_point = (((unit & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
        Some((char::from_u32(code_point)?, 12))
    }

    fn hex4(&self, from: usize) -> Option<u32> {
        (from..from + 4).try_fold(0, |acc, i| {
            Some(acc * 16 + (self.at(i) as char).to_digit(16)?)
        })
    }
}

/// `json_is_invalid_number`: numbers strtod reads but JSON forbids: a leading `+`, hex, leading
/// zeros, inf and nan.
fn is_invalid_number(text: &[u8]) -> bool {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    if at(0) == b'+' {
        return true;
    }
    let start = usize::from(at(0) == b'-');
    let first = at(start);
    if first == b'0' {
        let second = at(start + 1);
        return second | 0x20 == b'x' || second.is_ascii_digit();
    }
    if first <= b'9' {
        return false;
    }
    let word = &text[start..text.len().min(start + 3)];
    word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan")
}
