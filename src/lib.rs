//! thredis: a Redis 7-compatible server built from Rust's standard library alone.
//!
//! # The shape
//! One thread per client connection, blocking I/O, a hand-written RESP parser, and one
//! `RwLock`-guarded keyspace. No async runtime, no event loop, no dependencies.
//!
//! # The life of a request, through the modules
//! 1. [`listeners`] accepts the connection (TCP or the Unix socket, a [`stream::Stream`] either
//!    way) and [`server`] admits it and starts a thread for it.
//! 2. [`connection`] owns that thread: it reads requests through one `BufReader` for the whole
//!    connection and writes replies back, batching them while more requests are waiting.
//! 3. [`protocol::request`] turns bytes into a request's arguments (RESP arrays or inline
//!    commands), with Redis's limits and error messages.
//! 4. [`commands`] finds the command's row in the table ([`commands::COMMANDS`]), checks its
//!    arity, takes the keyspace lock the row asks for and runs its handler.
//! 5. A handler in `commands/*.rs` (`strings.rs` for GET and SET...) reads or changes the data in
//!    [`keyspace`]; every write goes through [`keyspace::Keyspace::write`], the one write path.
//! 6. The handler's reply is encoded by [`protocol::reply`] as RESP2 or RESP3.
//!
//! Around them: [`config`] (every Redis parameter, the file, `CONFIG`), [`reconfigure`] (what
//! a `CONFIG SET` does to the running server), [`switches`] (what `DEBUG` turns on and off),
//! [`clients`] (who is connected),
//! [`stats`] (`INFO` counters), [`cron`] (active expiry, idle timeouts), [`memory`] (used
//! memory as the counting allocator sees it, `maxmemory` and eviction), [`blocking`] (clients
//! waiting in `BLPOP` and friends), [`doorbell`] (waking a connection thread from another one), [`sys`] (the few libc calls std lacks: signals, file
//! limits, `poll`, `fork`), [`persistence`] (RDB snapshots and the append-only file: loaded at
//! startup, fed by the write path, made durable before replies go out).
//!
//! The process: `main.rs` runs Redis's startup sequence; [`process`] (supervision, `daemonize`,
//! the pid file, systemd notifications), [`banner`] (`--version`, `--help`, the startup lines
//! and the logo), [`log`] (Redis's log lines, on stdout or in the `logfile`).
//!
//! Transactions and messaging: `commands::transactions` (MULTI/EXEC, run under one lock),
//! [`watch`] (WATCH's registry, fed by the write path), [`pubsub`] (channels and each
//! subscriber's bounded outbox), [`notify`] (keyspace notifications).
//!
//! Data types beyond strings live in `keyspace/` (`list.rs`, `hash.rs`, `set.rs`, `zset.rs`),
//! their commands in `commands/`; [`geo`] is the geohash and distance mathematics the GEO
//! commands store in sorted sets; [`hyperloglog`] is the HyperLogLog representation PFADD,
//! PFCOUNT and PFMERGE keep in strings.

pub mod acl;
pub mod banner;
pub mod blocking;
pub mod clients;
pub mod clock;
pub mod commands;
pub mod config;
pub mod connection;
pub mod cron;
pub mod digest;
pub mod doorbell;
pub mod geo;
pub mod glob;
pub mod hyperloglog;
pub mod keyspace;
pub mod latency;
pub mod listeners;
pub mod log;
pub mod lua;
pub mod memory;
pub mod monitor;
pub mod notify;
pub mod number;
pub mod pause;
pub mod persistence;
pub mod process;
pub mod protocol;
pub mod pubsub;
pub mod random;
pub mod reconfigure;
pub mod replication;
pub mod scripting;
pub mod server;
pub mod shutdown;
pub mod slowlog;
pub mod stats;
pub mod stream;
pub mod switches;
pub mod sys;
pub mod tracking;
pub mod watch;

pub use config::Config;
pub use server::{Listening, Server};

/// thredis's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Redis version whose behaviour thredis reproduces, reported where Redis reports its own
/// (`INFO`, `HELLO`): clients use it to decide which commands they may send.
pub const REDIS_VERSION: &str = "7.0.15";
