//! (being written) The `table` library.

use crate::lua::Lua;

pub fn open(_lua: &mut Lua) {}
