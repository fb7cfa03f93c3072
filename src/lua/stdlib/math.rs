//! (being written) The `math` library.

use crate::lua::Lua;

pub fn open(_lua: &mut Lua) {}
