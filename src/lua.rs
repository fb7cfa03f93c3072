//! A Lua 5.1 interpreter of our own, for Redis's scripts (EVAL, FUNCTION): thredis has no
//! dependencies, so it cannot embed the C one. It knows nothing of Redis: `scripting/` embeds
//! it, through [`host::Host`].
//!
//! # The way through
//! 1. [`lexer`] turns source bytes into tokens;
//! 2. [`parser`] turns tokens into [`ast`], a tree whose names are already resolved to local
//!    slots, upvalues or globals (one pass, as Lua's own compiler);
//! 3. [`interp`] walks that tree: calls, closures and upvalues, varargs, metatables, errors
//!    with Lua's messages and positions; [`Lua`] is the VM a program runs in;
//! 4. [`gc`] frees the reference cycles reference counting cannot (see [`value`]);
//! 5. [`stdlib`] holds the libraries Redis exposes: base, `string` (with Lua's patterns),
//!    `table`, `math`, and Redis's bundled `bit`, `struct`, `cjson` and `cmsgpack`.
//!
//! [`number`] is Lua's number syntax and formatting (`%.14g`), shared by all of them.

pub mod ast;
#[cfg(test)]
mod conformance;
pub mod gc;
pub mod host;
pub mod interp;
pub mod key_hash;
pub mod lexer;
pub mod number;
pub mod parser;
pub mod stdlib;
pub mod value;

pub use host::{Host, NoHost};
pub use interp::Lua;
pub use value::{ErrorKind, Function, LuaError, LuaStr, NativeFn, TableRef, Value};
