//! (being written) The `cmsgpack` library.

use crate::lua::Lua;

pub fn open(_lua: &mut Lua) {}
