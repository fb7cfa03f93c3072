//! Redis functions (`FUNCTION LOAD`, `FCALL`...): libraries of Lua functions the server keeps
//! (in its RDB file, its AOF, DUMP payloads), unlike EVAL's scripts.
//!
//! # The way through
//! - [`library`]: a library's `#!lua name=...` line and its functions;
//! - [`loading`]: running a library's code with the load-time API (`redis.register_function`),
//!   the globals' two views, the 500 ms limit;
//! - [`instances`]: each connection thread's VM, where libraries are instantiated lazily and
//!   which is rebuilt when the registry changed;
//! - [`registry`]: the server-wide libraries (the source of truth), changed by LOAD, DELETE,
//!   FLUSH, RESTORE and file loads, with a generation number each change bumps.
//!
//! A function runs as an EVAL script does, through `scripting::run` (atomic on the write path,
//! `redis.call`, the BUSY gate and FUNCTION KILL): only its callback and its VM are this
//! module's. The RDB records (`FUNCTION2`) are in `persistence::rdb::functions`; the commands in
//! `commands::functions`.

pub mod instances;
pub mod library;
pub mod loading;
pub mod registry;

pub use library::{FunctionInfo, Library};
pub use registry::{Registry, RestorePolicy};
