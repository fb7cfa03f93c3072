//! The libraries a Redis script sees, each in its own file, and [`open_all`], which installs
//! them in a VM's globals.

pub mod args;
pub mod base;
pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod math;
pub mod pattern;
pub mod printf;
pub mod string;
pub mod structs;
pub mod table;
#[cfg(test)]
pub mod testing;

use super::Lua;
use super::value::{LuaError, Value};

/// The longest string a library function builds (`table.concat`, `struct.pack`...): Redis's
/// proto-max-bulk-len, so a script cannot make the server allocate without bound.
pub const MAX_STRING_LEN: usize = 512 * 1024 * 1024;

/// Lua's memory error (`LUA_ERRMEM`), raised without a position, for a result over
/// [`MAX_STRING_LEN`].
pub fn memory_error() -> LuaError {
    LuaError::with_value(Value::str("not enough memory"))
}

/// Installs every library Redis 7.0 exposes to scripts.
pub fn open_all(lua: &mut Lua) {
    base::open(lua);
    string::open(lua);
    table::open(lua);
    math::open(lua);
    bit::open(lua);
    structs::open(lua);
    cjson::open(lua);
    cmsgpack::open(lua);
}
