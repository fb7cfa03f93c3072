//! (being written) The `base` library.

use crate::lua::Lua;

pub fn open(_lua: &mut Lua) {}
