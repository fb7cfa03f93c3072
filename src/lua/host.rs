//! What the embedder gives the interpreter: answers to its host functions and a hook that runs
//! every so often. The interpreter knows nothing of Redis; Redis's glue (`scripting/`) is one
//! [`Host`], answering `redis.call`, `redis.log`... by the ids it registered them with, and using
//! the hook for the script time limit and SCRIPT KILL.

use super::Lua;
use super::value::{LuaError, Value};

pub trait Host {
    /// Runs host function `id` (see [`super::value::HostFunction`]) with its arguments.
    fn call(&mut self, lua: &mut Lua, id: usize, args: Vec<Value>) -> Result<Vec<Value>, LuaError>;

    /// Called every [`HOOK_INTERVAL`] steps of the interpreter (and before each call). An error
    /// stops the script where it is: an [`super::value::ErrorKind::Fatal`] one cannot be caught
    /// by `pcall`.
    fn hook(&mut self, _lua: &mut Lua) -> Result<(), LuaError> {
        Ok(())
    }
}

/// How many interpreter steps (statements and calls) run between two calls of [`Host::hook`].
pub const HOOK_INTERVAL: u32 = 10_000;

/// A host with no functions, for tests and for loading code that may not call out.
pub struct NoHost;

impl Host for NoHost {
    fn call(&mut self, _: &mut Lua, _: usize, _: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        Err(LuaError::runtime("no host functions here"))
    }
}
