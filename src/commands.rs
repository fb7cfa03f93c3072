//! Commands: the one [`execute`] function every request goes through, and the way into the area.
//! (Stage 2 onwards: PING is the first row.) Beside it: `table.rs` (every command, one row
//! each), `row.rs` (what a row holds), `lookup.rs` (a request to its row), `context.rs` (what a
//! handler sees), `error.rs` and `args.rs` (errors and argument parsing with Redis's texts), and
//! one file of handlers per family (`strings.rs`, `lists.rs`...).
//!
//! # The table is the single source of truth
//! [`table::COMMANDS`] declares each command once, as data: name, arity, flags, which keys it
//! touches, documentation, and a handler. Everything generic is driven by that row, in
//! [`execute`]: unknown-command and arity errors, subcommand lookup, which lock to take, the write
//! path, statistics, and the replies to `COMMAND INFO` and `COMMAND DOCS`. Adding a command is one
//! row plus one function in its family's file (`strings.rs` for string commands, and so on).
//!
//! # What a handler may do
//! The kind of [`Handler`] decides the locking, so a handler cannot get it wrong:
//! - [`Handler::Plain`] runs without the keyspace (PING, CLIENT, CONFIG);
//! - [`Handler::Read`] runs under the shared lock;
//! - [`Handler::Write`] runs inside [`Server::write`], the one write path, and is what makes a
//!   command a "write" command (`COMMAND INFO` derives the `write` flag from it). What it
//!   changes is journaled, signalled and notified from there (`keyspace/changes.rs`);
//! - [`Handler::ReadOrWrite`] is a read that sometimes must write (PFCOUNT, whose cached
//!   cardinality may be stale): its read half runs under the shared lock, so concurrent readers
//!   do not queue on the exclusive one, and answers, or finds it must write and returns
//!   [`MustWrite`] having done nothing; the lock is released and its write half runs the
//!   whole command again on the write path, seeing whatever changed in between. Inside `EXEC`
//!   or a load the exclusive lock is held already, and the write half runs directly. Such a
//!   row is not a write command (flagged `READONLY`), so what pauses it, if anything, is its
//!   flags (PFCOUNT is `may_replicate`, held by `CLIENT PAUSE WRITE` whether or not it writes,
//!   as in Redis);
//! - [`Handler::WritePath`] runs on the write path like a write, but is not a write command:
//!   scripts, atomic whatever they do (their commands are judged one by one).
//!
//! A handler parses its arguments, does its work, and appends its reply to `ctx.reply`. It does
//! no I/O. If it returns an error, anything it already appended is rolled back and the error
//! is sent instead, so handlers may check arguments lazily.

pub mod acl;
mod args;
pub mod bitmaps;
pub mod client;
pub mod cluster;
pub mod config;
pub mod connection;
mod context;
pub mod debug;
pub mod dump;
mod error;
pub mod expire;
pub mod functions;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod info;
pub mod introspection;
pub mod keys;
pub mod latency;
pub mod lcs;
pub mod lists;
mod lookup;
pub mod memory;
pub mod migrate;
pub mod monitor;
pub mod observe;
pub mod pause;
pub mod persistence;
pub mod pubsub;
mod redact;
mod replayer;
pub mod replication;
mod row;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod slowlog;
pub mod sort;
pub mod streams;
pub mod strings;
mod table;
pub mod transactions;
pub mod zsets;

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::clock;
use crate::config::Config;
use crate::keyspace::Writer;
use crate::protocol::{Reply, Request};

pub use args::{is_option, parse_c_int, parse_int, parse_mpop, parse_positive, parse_range};
pub use context::{Ctx, DatabasesRef};
pub use error::CommandError;
pub use lookup::{
    Resolved, all_commands, lookup, lookup_original, lookup_subcommand, refused_command,
    rename_commands, resolve,
};
pub use replayer::Replayer;
pub use row::{
    Channels, Command, Flags, Group, Handler, KeyAccess, KeyNum, KeySpec, KeyUse, Keys, MustWrite,
};
pub use table::COMMANDS;

/// A request's arguments; `args.arg(0)` is the command name.
pub type Args = Request;

pub type CommandResult = Result<(), CommandError>;

/// Runs one request: resolve, check, then queue it (inside MULTI) or run the handler under the
/// right lock, reply, count. Every refusal before the handler runs also flags an open
/// transaction, so its EXEC fails (Redis's `rejectCommand`).
pub fn execute(ctx: &mut Ctx, request: &Request) {
    let resolved = match resolve(request) {
        Ok(resolved) => resolved,
        Err(error) => {
            let known = refused_command(request);
            ctx.session.info.set_last_command(known.map(|r| r.id));
            ctx.server.stats.record_rejected(known.map(|r| r.id));
            reject(ctx, known, &error);
            return;
        }
    };
    // Before the checks, as Redis sets `c->cmd`: a refused command is still the last one sent
    // (CLIENT LIST, the ACL log's client description).
    ctx.session.info.set_last_command(Some(resolved.id));
    if let Err(error) = admit(ctx, resolved, request) {
        ctx.server.stats.record_rejected(Some(resolved.id));
        reject(ctx, Some(resolved), &error);
        return;
    }
    if ctx.server.keyspace.switches.tracking_clients.load(Relaxed) > 0 {
        ctx.server.tracking.enforce_limit(ctx.server);
    }
    if crate::pause::holds(ctx, resolved, request) {
        if let Err(error) = crate::pause::postpone(ctx, request) {
            reply_error(ctx, &error);
        }
        return;
    }
    if transactions::queues(ctx.session, resolved) {
        transactions::queue(ctx, resolved, request);
        return;
    }
    let start_us = ctx.now_us;
    call(ctx, resolved, request, start_us, |ctx| {
        match resolved.command.handler {
            Handler::Plain(run) => {
                let result = run(ctx, request);
                remember_reads(ctx, resolved, request);
                observe::feed_monitors(ctx, resolved, request);
                ctx.expire_keys_read();
                result
            }
            Handler::Read(run) => {
                let answered = run_shared(ctx, resolved, request, |ctx, databases| {
                    Ok(run(ctx, request, databases))
                });
                answered.unwrap_or_else(|MustWrite| unreachable!("a read handler always answers"))
            }
            Handler::Write(run) | Handler::WritePath(run) => {
                run_exclusive(ctx, resolved, request, run)
            }
            Handler::ReadOrWrite(read, write) => {
                let mark = ctx.reply.mark();
                let attempt = run_shared(ctx, resolved, request, |ctx, databases| {
                    read(ctx, request, databases)
                });
                attempt.unwrap_or_else(|MustWrite| {
                    // The read half replies nothing when it gives up; this makes sure of it.
                    ctx.reply.truncate(mark);
                    run_exclusive(ctx, resolved, request, write)
                })
            }
            Handler::Container => {
                unreachable!("resolve() returns a subcommand or an arity error for containers")
            }
        }
    });
    observe::echo_to_monitor(ctx);
    let in_transaction = ctx.session.transaction.is_some();
    crate::tracking::command_done(&ctx.session.info, resolved, in_transaction);
}

/// Runs a read under the shared lock; if it answers (not [`MustWrite`]), what it read is
/// remembered for tracking while the lock is held, then monitors see it and the expired keys
/// it found are removed.
#[inline]
fn run_shared(
    ctx: &mut Ctx,
    resolved: Resolved,
    request: &Request,
    read: impl FnOnce(&mut Ctx, &crate::keyspace::Databases) -> Result<CommandResult, MustWrite>,
) -> Result<CommandResult, MustWrite> {
    let databases = ctx.server.keyspace.read();
    let result = read(ctx, &databases)?;
    remember_reads(ctx, resolved, request);
    drop(databases);
    observe::feed_monitors(ctx, resolved, request);
    ctx.expire_keys_read();
    Ok(result)
}

/// Runs a write handler on the write path, under the exclusive lock.
#[inline]
fn run_exclusive(
    ctx: &mut Ctx,
    resolved: Resolved,
    request: &Request,
    run: fn(&mut Ctx, &Args, &mut Writer) -> CommandResult,
) -> CommandResult {
    let (server, db, now_ms) = (ctx.server, ctx.session.db, ctx.now_ms);
    server.write(db, now_ms, |writer| {
        let result = as_command(writer, request, |writer| run(ctx, request, writer));
        remember_reads(ctx, resolved, request);
        // Under the write lock: monitors see writes in the order they were applied.
        observe::feed_monitors(ctx, resolved, request);
        result
    })
}

/// Client-side caching: a client that tracks keys is told when those a read-only command just
/// read change. Called while the lock the command read under is still held.
#[inline]
fn remember_reads(ctx: &Ctx, resolved: Resolved, request: &Request) {
    crate::tracking::remember_reads(ctx.server, &ctx.session.info, resolved.command, request);
}

/// Runs a command the server replays on its own behalf (an append-only file being loaded) with
/// the writer the load holds: the same row and handler as [`execute`], without statistics, the
/// way [`execute_queued`] runs them. What it replies goes to `ctx.reply`, which the caller
/// discards; an error is returned, as Redis's loader ignores it.
pub fn replay(ctx: &mut Ctx, request: &Request, writer: &mut Writer) -> CommandResult {
    let resolved = resolve(request)?;
    writer.select(ctx.session.db);
    run_holding(ctx, resolved, request, writer)
}

/// Runs one command queued in a transaction, from `EXEC`, which holds the exclusive lock: its
/// writer serves write handlers, its databases read handlers and the `Plain` handlers that read
/// data. The reply goes into EXEC's array.
pub fn execute_queued(ctx: &mut Ctx, resolved: Resolved, request: &Request, writer: &mut Writer) {
    writer.select(ctx.session.db);
    call(ctx, resolved, request, clock::now_us(), |ctx| {
        let result = run_holding(ctx, resolved, request, writer);
        // Each command's changes are invalidated before the next one reads, as in Redis.
        if writer.tracking().tracked {
            ctx.server
                .tracking
                .invalidate(ctx.server, writer.modified_to_invalidate());
        }
        remember_reads(ctx, resolved, request);
        observe::feed_monitors(ctx, resolved, request);
        result
    });
    // A queued HELLO switches the protocol for the rest of EXEC's reply, as in Redis.
    ctx.reply.set_resp3(ctx.session.resp3);
}

/// Runs a resolved command's handler with a writer its caller holds (EXEC, a load): the writer
/// serves write handlers, its databases read handlers and the `Plain` handlers that read data.
fn run_holding(
    ctx: &mut Ctx,
    resolved: Resolved,
    request: &Request,
    writer: &mut Writer,
) -> CommandResult {
    match resolved.command.handler {
        Handler::Plain(run) => run(&mut ctx.holding(writer.databases()), request),
        Handler::Read(run) => run(ctx, request, writer.databases()),
        // The exclusive lock is held: the write half can do the whole command.
        Handler::Write(run) | Handler::ReadOrWrite(_, run) | Handler::WritePath(run) => {
            as_command(writer, request, |writer| run(ctx, request, writer))
        }
        Handler::Container => unreachable!("resolve() returns a subcommand or an arity error"),
    }
}

/// Runs a write handler as one client command on the write path: what it changes is journaled
/// as `request` unless it journals something else.
#[inline]
fn as_command(
    writer: &mut Writer,
    request: &Request,
    run: impl FnOnce(&mut Writer) -> CommandResult,
) -> CommandResult {
    writer.begin_command();
    let result = run(writer);
    writer.end_command(request.iter());
    result
}

/// Runs `handler`, counts the call (its duration from `start_us`), tells the slow log and the
/// latency monitor of it (`observe`), and replaces whatever it replied with its error if it
/// failed.
fn call(
    ctx: &mut Ctx,
    resolved: Resolved,
    request: &Request,
    start_us: i64,
    handler: impl FnOnce(&mut Ctx) -> CommandResult,
) {
    let mark = ctx.reply.mark();
    let result = crate::tracking::running(|| handler(ctx));
    let elapsed = Duration::from_micros(clock::now_us().saturating_sub(start_us) as u64);
    ctx.server
        .stats
        .record_call(resolved.id, elapsed, result.is_err());
    observe::ran(ctx.server, ctx.session, resolved, request, elapsed);
    if let Err(error) = result {
        ctx.reply.truncate(mark);
        reply_error(ctx, &error);
    }
}

/// The checks Redis's `processCommand` makes between finding a command and running it, in its
/// order, driven by the row's flags; who may run what is `acl::authorize`.
fn admit(ctx: &mut Ctx, resolved: Resolved, request: &Request) -> CommandResult {
    let flags = resolved.command.flags;
    if flags.contains(Flags::PROTECTED) && !debug_allowed(ctx) {
        return Err(CommandError::Rejected(format!(
            "ERR {} command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
            resolved.command.name.to_ascii_uppercase()
        )));
    }
    acl::require_login(ctx, resolved)?;
    if flags.contains(Flags::NO_MULTI) && ctx.session.transaction.is_some() {
        return Err(CommandError::err(
            "Command not allowed inside a transaction",
        ));
    }
    acl::authorize(ctx, resolved, request)?;
    // While a script runs: wait for it, or `-BUSY` once it has run too long (`scripting/busy.rs`).
    crate::scripting::busy::gate(ctx, resolved)?;
    // A script that declares flags is judged by them, whatever its row says (Redis's
    // `getCommandFlags`, see `scripting::declared`); they are looked up only by a shut gate.
    let (server, session) = (ctx.server, &*ctx.session);
    let runs_script = |declares: fn(&crate::server::Server, Resolved, &Request) -> bool| {
        let test = |command: &Resolved, request: &Request| declares(server, *command, request);
        test(&resolved, request) || transactions::exec_runs_any_request(session, resolved, test)
    };
    // Before any command, as Redis's `processCommand`: eviction makes room if it can.
    let outcome = crate::memory::eviction::perform_evictions(server, ctx.now_ms);
    if outcome == crate::memory::eviction::Outcome::Full
        && (transactions::refused_out_of_memory(session, resolved)
            || runs_script(crate::scripting::declared::denies_oom))
    {
        return Err(CommandError::coded(
            "OOM command not allowed when used memory > 'maxmemory'.",
        ));
    }
    let writes = transactions::writes(session, resolved);
    let script_writes = || runs_script(crate::scripting::declared::declares_writes);
    if let Some(error) =
        crate::persistence::refuse_write(server, resolved.command, || writes || script_writes())
    {
        return Err(error);
    }
    if !enough_replicas(server) && (writes || script_writes()) {
        return Err(CommandError::coded(
            "NOREPLICAS Not enough good replicas to write.",
        ));
    }
    if crate::replication::read_only_replica(server) && (writes || script_writes()) {
        return Err(CommandError::coded(
            "READONLY You can't write against a read only replica.",
        ));
    }
    if !flags.contains(Flags::PUBSUB_OK) && ctx.session.in_resp2_pubsub() {
        return Err(CommandError::err(format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            resolved.full_name()
        )));
    }
    let denied_when_stale = |command: &Resolved, request: &Request| {
        !command.command.flags.contains(Flags::STALE)
            || crate::scripting::declared::denied_when_stale(server, *command, request)
    };
    if crate::replication::serves_stale_data(server) == Some(false)
        && (denied_when_stale(&resolved, request)
            || transactions::exec_runs_any_request(session, resolved, denied_when_stale))
    {
        return Err(CommandError::coded(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        ));
    }
    Ok(())
}

/// `min-replicas-to-write` (Redis's `checkGoodReplicasStatus`): with both it and
/// `min-replicas-max-lag` positive, a primary accepts writes only while that many replicas are
/// online and acknowledged within the lag; a replica is exempt.
pub(crate) fn enough_replicas(server: &crate::server::Server) -> bool {
    let config = &server.config;
    let (wanted, max_lag) = (
        Config::get(&config.min_replicas_to_write),
        Config::get(&config.min_replicas_max_lag),
    );
    wanted == 0
        || max_lag == 0
        || server.replication.link.is_replica()
        || server.replication.replicas.good(max_lag) as i64 >= wanted
}

/// Replies to a request refused before it ran, and flags the transaction it was meant for.
fn reject(ctx: &mut Ctx, command: Option<Resolved>, error: &CommandError) {
    match transactions::rejected(ctx, command, error) {
        Some(abort) => reply_error(ctx, &abort),
        None => reply_error(ctx, error),
    }
}

/// `enable-debug-command`: `yes`, or `local` for a client on the loopback interface.
fn debug_allowed(ctx: &Ctx) -> bool {
    ctx.server
        .config
        .debug_command()
        .allows(ctx.session.info.is_local())
}

pub(crate) fn reply_error(ctx: &mut Ctx, error: &CommandError) {
    let message = error.message();
    if !matches!(error, CommandError::Counted(_)) {
        ctx.server.stats.record_error(&message);
    }
    ctx.reply.error(&message);
}

/// Writes an array of status lines (the reply to `CONFIG HELP` and friends), headed as Redis's
/// `addReplyHelp` heads it.
pub fn reply_help(reply: &mut Reply, command: &str, lines: &[&str]) {
    reply.array(lines.len() + 3);
    reply.simple(&format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        reply.simple(line);
    }
    reply.simple("HELP");
    reply.simple("    Prints this help.");
}
