//! (being written) The `string` library.

use crate::lua::Lua;

pub fn open(_lua: &mut Lua) {}
