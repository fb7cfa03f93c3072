//! (being written) Lua 5.1's grammar, to a resolved tree.

use super::ast::Proto;
use super::value::LuaError;

/// Parses a chunk. `chunk_name` is how errors name it (`user_script`).
pub fn parse(_source: &[u8], _chunk_name: &str) -> Result<Proto, LuaError> {
    Err(LuaError::runtime("the parser is being written"))
}
