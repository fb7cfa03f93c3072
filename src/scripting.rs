//! Redis scripting on the Lua interpreter of `lua/`: EVAL and its family (`commands/scripting.rs`)
//! and FUNCTION / FCALL ([`functions`]), which share what is here.
//!
//! # The way through
//! - [`vm`]: the VM a script runs in, with Redis 7's sandbox (read-only globals, only the
//!   allowed libraries), and each connection thread's EVAL VM with the scripts it compiled;
//! - [`api`]: the `redis` table (`redis.call`, `redis.log`, ...);
//! - [`run`]: running a script atomically with the exclusive lock held, answering
//!   `redis.call` with the command table, and replying with what the script returns;
//! - [`convert`]: RESP replies to Lua values and back, with Redis's rules;
//! - [`cache`]: the server-wide cache of EVAL scripts by SHA-1 ([`sha1`]);
//! - [`busy`]: the `-BUSY` gate other clients meet while a script runs too long, and
//!   SCRIPT KILL / FUNCTION KILL;
//! - [`flags`]: the flags a script declares (`#!lua flags=no-writes`), and [`declared`]: what
//!   they make of the command that runs the script, for the gates before it runs.
//!
//! # Why one VM per thread is invisible
//! The interpreter is `Rc`-based, so a VM cannot be shared between connection threads. Since
//! Redis 7 a script cannot keep state in its VM (the globals are read-only, KEYS and ARGV are
//! set anew for each run), so a VM per thread behaves exactly as Redis's single one.

pub mod api;
pub mod busy;
pub mod cache;
pub mod convert;
pub mod declared;
pub mod flags;
pub mod functions;
pub mod run;
pub mod sha1;
pub mod vm;

/// The server-wide scripting state (a field of `Server`).
#[derive(Default)]
pub struct Scripting {
    pub cache: cache::ScriptCache,
    pub busy: busy::Busy,
}
