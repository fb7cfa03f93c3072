//! Transactions (Redis's multi.c): MULTI, EXEC, DISCARD (transactions stages 58–65), WATCH and
//! UNWATCH (optimistic locking stages 66–73), and the queue a client fills between MULTI and
//! EXEC.
//!
//! # Queueing
//! Inside MULTI, `commands::execute` checks each command as usual (unknown, arity, `no_multi`,
//! protected...) and, unless its row is flagged `TXN_CONTROL`, queues it here and replies
//! `+QUEUED`. A command refused while queuing flags the transaction, whose EXEC then fails with
//! `EXECABORT`.
//!
//! # EXEC is atomic
//! EXEC runs every queued command inside **one** `Server::write`: the exclusive lock is taken
//! once, so no other client observes a state between two of them. Write handlers use that
//! writer, each as its own command between `begin_command` and `end_command`; read handlers and
//! the `Plain` handlers that read data (INFO, DEBUG) use the databases it holds. Whatever they
//! journal is wrapped in `MULTI` ... `EXEC` when it is more than one record. Blocking commands
//! do not block (`Ctx::may_block` is false), as in Redis. Whether a watched key changed is
//! decided under the same lock, before the first command runs.

use super::{Args, CommandError, CommandResult, Ctx, Flags, Resolved, execute_queued};
use crate::connection::Session;
use crate::keyspace::Databases;
use crate::notify;
use crate::protocol::Request;

/// The commands a client queued since MULTI.
#[derive(Default)]
pub struct Transaction {
    queued: Vec<(Resolved, Request)>,
    /// A command was refused while queuing (Redis's `CLIENT_DIRTY_EXEC`): EXEC will fail.
    aborted: bool,
}

/// Whether `command` goes to the client's transaction instead of running now.
pub fn queues(session: &Session, command: Resolved) -> bool {
    session.transaction.is_some() && !command.command.flags.contains(Flags::TXN_CONTROL)
}

/// Whether `command` is refused while the server is past `maxmemory` (Redis's
/// `processCommand`): a `denyoom` command always; inside MULTI every command but EXEC, DISCARD,
/// QUIT and RESET, since queuing uses memory too; EXEC when it would run a `denyoom` command.
pub fn refused_out_of_memory(session: &Session, command: Resolved) -> bool {
    if command.command.flags.contains(Flags::DENYOOM) {
        return true;
    }
    let Some(transaction) = &session.transaction else {
        return false;
    };
    match command.command.name {
        _ if command.parent.is_some() => true,
        "exec" => transaction
            .queued
            .iter()
            .any(|(queued, _)| queued.command.flags.contains(Flags::DENYOOM)),
        "discard" | "quit" | "reset" => false,
        _ => true,
    }
}

/// Whether `command` writes, or is an EXEC that would run a queued write: the gates that refuse
/// writes (MISCONF, `min-replicas-to-write`) judge EXEC by its queue, as Redis's
/// `mstate.cmd_flags`.
pub fn writes(session: &Session, command: Resolved) -> bool {
    if command.command.is_write() {
        return true;
    }
    let is_exec = command.parent.is_none() && command.command.name == "exec";
    is_exec
        && session
            .transaction
            .as_ref()
            .is_some_and(|t| t.queued.iter().any(|(queued, _)| queued.command.is_write()))
}

/// Whether `command` is an EXEC that would run a queued command `test` holds for (what
/// Redis reads from `c->mstate.cmd_flags`).
pub fn exec_runs_any(
    session: &Session,
    command: Resolved,
    test: impl Fn(&Resolved) -> bool,
) -> bool {
    exec_runs_any_request(session, command, |queued, _| test(queued))
}

/// [`exec_runs_any`], testing the queued requests too (what the script an EVAL runs declares).
pub fn exec_runs_any_request(
    session: &Session,
    command: Resolved,
    test: impl Fn(&Resolved, &Request) -> bool,
) -> bool {
    let is_exec = command.parent.is_none() && command.command.name == "exec";
    is_exec
        && session.transaction.as_ref().is_some_and(|t| {
            t.queued
                .iter()
                .any(|(queued, request)| test(queued, request))
        })
}

/// Queues a checked command and replies `+QUEUED`.
pub fn queue(ctx: &mut Ctx, command: Resolved, request: &Request) {
    let Some(transaction) = &mut ctx.session.transaction else {
        return;
    };
    transaction.queued.push((command, request.clone()));
    ctx.session
        .info
        .modes
        .set_multi(Some(transaction.queued.len()));
    ctx.reply.simple("QUEUED");
}

/// A command was refused before it ran (Redis's `rejectCommand`): an open transaction is
/// flagged. A refused EXEC itself (`EXEC extra`) ends the transaction instead: the error to
/// send then is `EXECABORT` with the reason (its `ERR ` dropped, as Redis formats it).
pub fn rejected(
    ctx: &mut Ctx,
    command: Option<Resolved>,
    error: &CommandError,
) -> Option<CommandError> {
    if let Some(transaction) = &mut ctx.session.transaction {
        transaction.aborted = true;
    }
    let is_exec = command.is_some_and(|c| c.parent.is_none() && c.command.name == "exec");
    if !is_exec {
        return None;
    }
    discard_transaction(ctx);
    let message = error.message();
    let reason = message.strip_prefix(b"ERR ").unwrap_or(&message);
    Some(CommandError::Rejected(format!(
        "EXECABORT Transaction discarded because of: {}",
        String::from_utf8_lossy(reason)
    )))
}

/// Leaves MULTI, if the client is in it, and unwatches everything (Redis's
/// `discardTransaction`). Also used by RESET.
pub fn discard_transaction(ctx: &mut Ctx) {
    ctx.session.transaction = None;
    ctx.session.info.modes.set_multi(None);
    let server = ctx.server;
    server
        .watches
        .unwatch_all(&ctx.session.info, &server.keyspace.switches.watched_keys);
}

/// `MULTI`
pub fn multi(ctx: &mut Ctx, _: &Args) -> CommandResult {
    if ctx.session.transaction.is_some() {
        return Err(CommandError::err("MULTI calls can not be nested"));
    }
    ctx.session.transaction = Some(Transaction::default());
    ctx.session.info.modes.set_multi(Some(0));
    ctx.reply.ok();
    Ok(())
}

/// `DISCARD`
pub fn discard(ctx: &mut Ctx, _: &Args) -> CommandResult {
    if ctx.session.transaction.is_none() {
        return Err(CommandError::err("DISCARD without MULTI"));
    }
    discard_transaction(ctx);
    ctx.reply.ok();
    Ok(())
}

/// `EXEC`: an array of the queued commands' replies (errors in place, the others still run),
/// the null array if a watched key changed, `EXECABORT` if a command was refused while queuing.
pub fn exec(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let Some(transaction) = ctx.session.transaction.take() else {
        return Err(CommandError::err("EXEC without MULTI"));
    };
    if transaction.aborted {
        discard_transaction(ctx);
        return Err(CommandError::coded(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    let (server, db, now_ms) = (ctx.server, ctx.session.db, ctx.now_ms);
    let watched_keys = &server.keyspace.switches.watched_keys;
    ctx.may_block = false;
    server.write(db, now_ms, |writer| {
        let info = &ctx.session.info;
        if server
            .watches
            .finish(info, writer.databases(), now_ms, watched_keys)
        {
            ctx.reply.null_array();
            return;
        }
        ctx.reply.array(transaction.queued.len());
        for (command, request) in &transaction.queued {
            let mark = ctx.reply.mark();
            match super::acl::still_allowed(ctx, *command, request) {
                Ok(()) => execute_queued(ctx, *command, request, writer),
                Err(error) => super::reply_error(ctx, &error),
            }
            // Each command's events go out as it runs, as in Redis, rather than with the
            // transaction's commit, so that a client notified of its own changes gets them in
            // place, before the reply, like confirmations of a SUBSCRIBE among the commands.
            let events = writer.take_events();
            if !events.is_empty() {
                notify::publish(server, &events, writer.tracking().events);
            }
            if let Some(subscriber) = &ctx.session.subscriber {
                subscriber.drain_into_reply(&mut ctx.reply, mark);
            }
        }
        writer.journal_as_transaction();
    });
    ctx.may_block = true;
    discard_transaction(ctx);
    Ok(())
}

/// `WATCH key [key ...]`: runs under the shared lock, so no write can fall between reading a
/// key's state and registering the watch.
pub fn watch(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    if ctx.session.transaction.is_some() {
        return Err(CommandError::err("WATCH inside MULTI is not allowed"));
    }
    // Already doomed: watching more changes nothing (Redis skips it too).
    if !ctx.session.info.modes.is_watch_dirty() {
        let server = ctx.server;
        server.watches.watch(
            &ctx.session.info,
            ctx.session.db,
            args.iter().skip(1),
            databases,
            ctx.now_ms,
            &server.keyspace.switches.watched_keys,
        );
    }
    ctx.reply.ok();
    Ok(())
}

/// `UNWATCH`
pub fn unwatch(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let server = ctx.server;
    server
        .watches
        .unwatch_all(&ctx.session.info, &server.keyspace.switches.watched_keys);
    ctx.reply.ok();
    Ok(())
}
