//! (being written) Redis scripting: EVAL and FUNCTION on the Lua interpreter in `lua/`.

pub mod functions;
pub mod sha1;
