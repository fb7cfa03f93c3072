//! The libraries a Redis script sees, each in its own file, and [`open_all`], which installs
//! them in a VM's globals.

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

use super::Lua;

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
