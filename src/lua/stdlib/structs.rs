//! (being written) The `structs` library.

use crate::lua::Lua;

pub fn open(_lua: &mut Lua) {}
