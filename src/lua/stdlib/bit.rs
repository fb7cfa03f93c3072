//! (being written) The `bit` library.

use crate::lua::Lua;

pub fn open(_lua: &mut Lua) {}
