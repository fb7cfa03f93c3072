//! The two conversions between Redis replies and Lua values, with Redis's rules
//! (`redisProtocolToLuaType` and `luaReplyToRedisReply` in `script_lua.c`):
//! - [`reply_to_lua`]: the RESP bytes a command called by `redis.call` replied → a Lua value.
//!   Integers become numbers, bulk strings strings, a null bulk or array `false`, arrays tables,
//!   a status `{ok=...}`, an error `{err=...}`; RESP3 (after `redis.setresp(3)`) adds maps
//!   `{map={...}}`, sets `{set={k=true}}`, `nil` for null, booleans, `{double=n}`,
//!   `{big_number="..."}` and `{verbatim_string={format=, string=}}`.
//! - [`lua_to_reply`]: the value a script returns → the reply to its caller. Numbers are
//!   truncated to integers, `true` is `1` (RESP3: `#t`), `false` a null, tables are arrays up to
//!   their first nil unless they are one of the single-field forms above.

use crate::lua::{Lua, TableRef, Value};
use crate::protocol::Reply;

/// How deep a returned table may nest before the reply gives up with `reached lua stack limit`,
/// as Redis's `lua_checkstack` ends a self-referencing table's reply (lower than Redis's: the
/// connection threads have small stacks).
const MAX_REPLY_DEPTH: usize = 100;

/// Converts one complete RESP reply (what a command wrote) into a Lua value. An error reply
/// is an `{err="..."}` table: the caller decides whether to raise it (`redis.call`).
pub fn reply_to_lua(lua: &mut Lua, bytes: &[u8]) -> Value {
    let mut parser = RespParser { bytes, pos: 0 };
    parser.value(lua).unwrap_or(Value::Nil)
}

/// Whether a RESP reply is an error (`redis.call` raises those).
pub fn is_error_reply(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'-')
}

/// A table with one string field (`{err=...}`, `{ok=...}`).
pub fn single_field_table(lua: &mut Lua, field: &str, value: Value) -> Value {
    let table = lua.new_table();
    table.set_str(field, value);
    Value::Table(table)
}

/// Reads our own replies: well-formed by construction, so a malformed one simply ends the value
/// (`None`) rather than being reported.
struct RespParser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl RespParser<'_> {
    fn line(&mut self) -> Option<&[u8]> {
        let rest = &self.bytes[self.pos..];
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        self.pos += end + 2;
        Some(&rest[..end])
    }

    fn number(&mut self) -> Option<i64> {
        std::str::from_utf8(self.line()?).ok()?.parse().ok()
    }

    fn bulk(&mut self, len: i64) -> Option<&[u8]> {
        let len = usize::try_from(len).ok()?;
        let start = self.pos;
        let body = self.bytes.get(start..start + len)?;
        self.pos = start + len + 2;
        Some(body)
    }

    fn value(&mut self, lua: &mut Lua) -> Option<Value> {
        let kind = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(match kind {
            b'+' => {
                let text = Value::str(self.line()?);
                single_field_table(lua, "ok", text)
            }
            b'-' => {
                let text = Value::str(self.line()?);
                single_field_table(lua, "err", text)
            }
            b':' => Value::Number(self.number()? as f64),
            b'$' => match self.number()? {
                -1 => Value::Bool(false),
                len => Value::str(self.bulk(len)?),
            },
            b'*' => match self.number()? {
                -1 => Value::Bool(false),
                len => Value::Table(self.elements(lua, len)?),
            },
            // Out-of-band pushes never reach a script's reply; treated as arrays all the same.
            b'>' => {
                let len = self.number()?;
                Value::Table(self.elements(lua, len)?)
            }
            b'%' => {
                let len = self.number()?;
                let map = lua.new_table();
                for _ in 0..len {
                    let key = self.value(lua)?;
                    let value = self.value(lua)?;
                    let _ = map.set(key, value);
                }
                single_field_table(lua, "map", Value::Table(map))
            }
            b'~' => {
                let len = self.number()?;
                let set = lua.new_table();
                for _ in 0..len {
                    let member = self.value(lua)?;
                    let _ = set.set(member, Value::Bool(true));
                }
                single_field_table(lua, "set", Value::Table(set))
            }
            b'_' => {
                self.line()?;
                Value::Nil
            }
            b'#' => Value::Bool(self.line()? == b"t"),
            b',' => {
                let text = String::from_utf8_lossy(self.line()?).into_owned();
                let number =
                    crate::lua::number::parse(text.as_bytes()).unwrap_or(match text.as_str() {
                        "inf" => f64::INFINITY,
                        "-inf" => f64::NEG_INFINITY,
                        _ => f64::NAN,
                    });
                single_field_table(lua, "double", Value::Number(number))
            }
            b'(' => {
                let digits = Value::str(self.line()?);
                single_field_table(lua, "big_number", digits)
            }
            b'=' => {
                let len = self.number()?;
                let body = self.bulk(len)?;
                let (format, text) = body.split_at(body.len().min(3));
                let verbatim = lua.new_table();
                verbatim.set_str("format", Value::str(format));
                verbatim.set_str("string", Value::str(text.get(1..).unwrap_or_default()));
                single_field_table(lua, "verbatim_string", Value::Table(verbatim))
            }
            // Attributes annotate the value after them; Redis's parser skips them.
            b'|' => {
                let len = self.number()?;
                for _ in 0..2 * len {
                    self.value(lua)?;
                }
                self.value(lua)?
            }
            _ => return None,
        })
    }

    fn elements(&mut self, lua: &mut Lua, len: i64) -> Option<TableRef> {
        let table = lua.new_table();
        for _ in 0..len {
            let element = self.value(lua)?;
            table.push(element);
        }
        Some(table)
    }
}

/// Writes the value a script returned as its reply. `script_resp3` is the protocol the script
/// chose with `redis.setresp` (booleans follow it); the reply's own protocol is the caller's.
/// `cjson.null` (a table of its own here, a userdata in Redis) is a null.
pub fn lua_to_reply(lua: &mut Lua, reply: &mut Reply, value: &Value, script_resp3: bool) {
    let writer = ReplyWriter {
        cjson_null: crate::lua::stdlib::cjson::null(lua),
        script_resp3,
    };
    writer.value(reply, value, 0);
}

struct ReplyWriter {
    cjson_null: TableRef,
    script_resp3: bool,
}

impl ReplyWriter {
    fn value(&self, reply: &mut Reply, value: &Value, depth: usize) {
        match value {
            Value::Str(s) => reply.bulk(s.as_bytes()),
            Value::Bool(true) if !self.script_resp3 => reply.integer(1),
            Value::Bool(false) if !self.script_resp3 => reply.null(),
            Value::Bool(b) => reply.boolean(*b),
            // C's `(long long)` cast: truncation toward zero (saturating here, not undefined).
            Value::Number(n) => reply.integer(*n as i64),
            Value::Table(table) if table.ptr_eq(&self.cjson_null) => reply.null(),
            Value::Table(_) if depth >= MAX_REPLY_DEPTH => {
                reply.error(b"ERR reached lua stack limit");
            }
            Value::Table(table) => self.table(reply, table, depth + 1),
            Value::Nil | Value::Function(_) => reply.null(),
        }
    }

    /// A table: one of the single-field forms (checked in Redis's order), else an array.
    fn table(&self, reply: &mut Reply, table: &TableRef, depth: usize) {
        if let Value::Str(message) = table.get_str("err") {
            reply.error(message.as_bytes());
            return;
        }
        if let Value::Str(status) = table.get_str("ok") {
            reply.simple(&status_text(status.as_bytes()));
            return;
        }
        if let Value::Number(n) = table.get_str("double") {
            reply.double(n);
            return;
        }
        if let Value::Str(digits) = table.get_str("big_number") {
            reply.big_number(&status_text(digits.as_bytes()));
            return;
        }
        if let Value::Table(verbatim) = table.get_str("verbatim_string") {
            if let (Value::Str(format), Value::Str(text)) =
                (verbatim.get_str("format"), verbatim.get_str("string"))
            {
                write_verbatim(reply, format.as_bytes(), text.as_bytes());
                return;
            }
        }
        if let Value::Table(map) = table.get_str("map") {
            let pairs: Vec<(Value, Value)> = map
                .0
                .borrow()
                .pairs()
                .map(|(k, v)| (k, v.clone()))
                .collect();
            reply.map(pairs.len());
            for (key, value) in &pairs {
                self.value(reply, key, depth);
                self.value(reply, value, depth);
            }
            return;
        }
        if let Value::Table(set) = table.get_str("set") {
            let members: Vec<Value> = set.0.borrow().pairs().map(|(k, _)| k).collect();
            reply.set(members.len());
            for member in &members {
                self.value(reply, member, depth);
            }
            return;
        }
        let elements: Vec<Value> = (1..)
            .map(|i| table.get_int(i))
            .take_while(|v| !v.is_nil())
            .collect();
        reply.array(elements.len());
        for element in &elements {
            self.value(reply, element, depth);
        }
    }
}

/// A status or big number line: CR and LF become spaces, as Redis's `sdsmapchars`.
fn status_text(bytes: &[u8]) -> String {
    let mapped: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect();
    String::from_utf8_lossy(&mapped).into_owned()
}

/// Redis's `addReplyVerbatim`: RESP3's `=` with the script's 3-letter format, a bulk string in
/// RESP2.
fn write_verbatim(reply: &mut Reply, format: &[u8], text: &[u8]) {
    if !reply.is_resp3() {
        reply.bulk(text);
        return;
    }
    let mut body = Vec::with_capacity(text.len() + 4);
    body.extend(format.iter().chain(b"   ").take(3));
    body.push(b':');
    body.extend_from_slice(text);
    reply.raw(format!("={}\r\n", body.len()).as_bytes());
    reply.raw(&body);
    reply.raw(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_reply(value: &Value, resp3: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut lua = Lua::new();
        lua_to_reply(&mut lua, &mut Reply::new(&mut out, resp3), value, false);
        out
    }

    #[test]
    fn resp2_replies_become_lua_values() {
        let mut lua = Lua::new();
        let Value::Table(t) = reply_to_lua(&mut lua, b"*4\r\n:5\r\n$3\r\nabc\r\n$-1\r\n+OK\r\n")
        else {
            panic!("an array is a table");
        };
        assert!(t.get_int(1).raw_eq(&Value::Number(5.0)));
        assert!(t.get_int(2).raw_eq(&Value::str("abc")));
        assert!(t.get_int(3).raw_eq(&Value::Bool(false)));
        let Value::Table(ok) = t.get_int(4) else {
            panic!("a status is a table");
        };
        assert!(ok.get_str("ok").raw_eq(&Value::str("OK")));
        let Value::Table(err) = reply_to_lua(&mut lua, b"-ERR bad\r\n") else {
            panic!("an error is a table");
        };
        assert!(err.get_str("err").raw_eq(&Value::str("ERR bad")));
    }

    #[test]
    fn resp3_replies_keep_their_types() {
        let mut lua = Lua::new();
        let Value::Table(t) = reply_to_lua(&mut lua, b"%1\r\n$1\r\nk\r\n,1.5\r\n") else {
            panic!("a map is a table");
        };
        let Value::Table(map) = t.get_str("map") else {
            panic!("with a map field");
        };
        let Value::Table(double) = map.get_str("k") else {
            panic!("a double is a table");
        };
        assert!(double.get_str("double").raw_eq(&Value::Number(1.5)));
        assert!(reply_to_lua(&mut lua, b"_\r\n").is_nil());
        assert!(reply_to_lua(&mut lua, b"#t\r\n").raw_eq(&Value::Bool(true)));
    }

    #[test]
    fn lua_values_become_replies() {
        let mut lua = Lua::new();
        assert_eq!(to_reply(&Value::Number(100.5), false), b":100\r\n");
        assert_eq!(to_reply(&Value::Number(-3.9), false), b":-3\r\n");
        assert_eq!(to_reply(&Value::Bool(true), false), b":1\r\n");
        assert_eq!(to_reply(&Value::Bool(false), false), b"$-1\r\n");
        let array = lua.new_table();
        array.push(Value::Number(1.0));
        array.push(Value::str("x"));
        assert_eq!(
            to_reply(&Value::Table(array), false),
            b"*2\r\n:1\r\n$1\r\nx\r\n"
        );
        let status = single_field_table(&mut lua, "ok", Value::str("fine"));
        assert_eq!(to_reply(&status, false), b"+fine\r\n");
        let error = single_field_table(&mut lua, "err", Value::str("MY code"));
        assert_eq!(to_reply(&error, false), b"-MY code\r\n");
    }

    #[test]
    fn a_recursive_table_ends_with_an_error() {
        let mut lua = Lua::new();
        let a = lua.new_table();
        a.push(Value::Table(a.clone()));
        let out = to_reply(&Value::Table(a.clone()), false);
        assert!(out.ends_with(b"-ERR reached lua stack limit\r\n"));
        a.0.borrow_mut().clear();
    }
}
