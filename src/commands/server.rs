//! Server-wide commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN.

use std::thread;

use super::{Args, CommandError, CommandResult, Ctx, is_option};
use crate::clock;
use crate::config;
use crate::keyspace::{Databases, Db, Writer};
use crate::log;
use crate::persistence::{self, SaveOnExit};

/// `DBSIZE`: keys in the selected database.
pub fn dbsize(ctx: &mut Ctx, _: &Args, databases: &Databases) -> CommandResult {
    ctx.reply.integer(ctx.db(databases).len() as i64);
    Ok(())
}

/// The `[ASYNC|SYNC]` argument of FLUSHDB and FLUSHALL: true for ASYNC.
fn flush_mode(args: &Args) -> Result<bool, CommandError> {
    match args.len() {
        1 => Ok(false),
        2 if is_option(args.arg(1), "sync") => Ok(false),
        2 if is_option(args.arg(1), "async") => Ok(true),
        _ => Err(CommandError::Syntax),
    }
}

/// Drops emptied databases. With ASYNC, a background thread frees their memory, so a client
/// flushing millions of keys does not hold the write lock while they are freed. A background
/// save still writing them gets their contents first (under the lock: see `keyspace/db.rs`).
fn release(mut old: Vec<Db>, asynchronous: bool) {
    old.iter_mut().for_each(Db::release_to_snapshots);
    if asynchronous && old.iter().any(|db| !db.is_empty()) {
        let spawned = thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || drop(old));
        if let Err(error) = spawned {
            log!(Warning, "Freeing flushed data in the foreground: {error}");
        }
    }
}

/// `FLUSHDB [ASYNC|SYNC]`
pub fn flushdb(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let asynchronous = flush_mode(args)?;
    let db = w.selected();
    let now_ms = w.now_ms();
    ctx.server
        .watches
        .touch_database(w.databases(), db, None, now_ms);
    let old = w.databases().db_mut(db).take_all();
    w.changed(old.len() as u64);
    ctx.server.tracking.invalidate_all(ctx.server);
    release(vec![old], asynchronous);
    offer_waited_keys(ctx, w, db);
    journal_always(args, w);
    ctx.reply.ok();
    Ok(())
}

/// Journals a flush even when there was nothing to remove (Redis's `forceCommandPropagation`):
/// replayed, it must empty whatever the database holds by then.
fn journal_always(args: &Args, w: &mut Writer) {
    let request: Vec<&[u8]> = args.iter().collect();
    w.propagate(&request);
}

/// `FLUSHALL [ASYNC|SYNC]`
pub fn flushall(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let asynchronous = flush_mode(args)?;
    let now_ms = w.now_ms();
    let databases = w.databases();
    for db in 0..databases.count() {
        ctx.server
            .watches
            .touch_database(databases, db, None, now_ms);
    }
    let old: Vec<Db> = (0..databases.count())
        .map(|i| databases.db_mut(i).take_all())
        .collect();
    w.changed(old.iter().map(|db| db.len() as u64).sum::<u64>());
    ctx.server.tracking.invalidate_all(ctx.server);
    release(old, asynchronous);
    for db in 0..w.databases().count() {
        offer_waited_keys(ctx, w, db);
    }
    journal_always(args, w);
    // Redis's `flushAllDataAndResetRDB`: a background save of the old data is pointless now,
    // and with save points set the empty dataset is saved at once, so nothing counts as
    // unsaved (`rdb_changes_since_last_save:0`).
    let server = ctx.server;
    server.persistence.jobs.abort_bgsave();
    if !config::read(&server.config.save).is_empty()
        && persistence::jobs::save_now(server, w.databases()).is_ok()
    {
        w.clear_dirty();
    }
    ctx.reply.ok();
    Ok(())
}

/// `SWAPDB index1 index2`: clients on one database now see the other's keys.
pub fn swapdb(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let first = ctx.db_index_or(args.arg(1), "invalid first DB index")?;
    let second = ctx.db_index_or(args.arg(2), "invalid second DB index")?;
    if first != second {
        let (now_ms, watches) = (w.now_ms(), &ctx.server.watches);
        watches.touch_database(w.databases(), first, Some(second), now_ms);
        watches.touch_database(w.databases(), second, Some(first), now_ms);
    }
    w.databases().swap(first, second);
    w.changed(1);
    ctx.server.tracking.invalidate_all(ctx.server);
    // Clients blocked in either database now see other data: offer them their keys again.
    for db in [first, second] {
        offer_waited_keys(ctx, w, db);
    }
    ctx.reply.ok();
    Ok(())
}

/// Offers the clients blocked in `db` their keys again, after a flush or swap changed them
/// all at once: an `XREADGROUP` waiting on a stream that went answers that it no longer exists
/// (Redis signals deleted streams), the others keep waiting.
fn offer_waited_keys(ctx: &Ctx, w: &mut Writer, db: usize) {
    for key in ctx.server.blocking.keys_in(db) {
        w.signal_ready(db, &key);
    }
}

/// `TIME`: [seconds, microseconds] as bulk strings.
pub fn time(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let now = clock::now_us();
    ctx.reply.array(2);
    ctx.reply.bulk_integer(now / 1_000_000);
    ctx.reply.bulk_integer(now % 1_000_000);
    Ok(())
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: exits without a reply, after saving if asked
/// to or if save points are set. If that save fails, the server stays up and the client gets
/// Redis's error, unless FORCE says to exit anyway. Without NOW, lagging replicas get
/// `shutdown-timeout` to catch up first, and the client blocks meanwhile (`crate::shutdown`).
pub fn shutdown(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let (mut nosave, mut save, mut abort, mut force, mut now) = (false, false, false, false, false);
    for option in args.iter().skip(1) {
        if is_option(option, "nosave") {
            nosave = true;
        } else if is_option(option, "save") {
            save = true;
        } else if is_option(option, "now") {
            now = true;
        } else if is_option(option, "force") {
            force = true;
        } else if is_option(option, "abort") {
            abort = true;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if (abort && (nosave || save || now || force)) || (nosave && save) {
        return Err(CommandError::Syntax);
    }
    if abort {
        if !ctx.server.abort_shutdown() {
            return Err(CommandError::err("No shutdown in progress."));
        }
        ctx.reply.ok();
        return Ok(());
    }
    if !nosave && let Some(busy) = crate::scripting::busy::timed_out(ctx.server) {
        return Err(busy);
    }
    let mode = match (save, nosave) {
        (true, _) => SaveOnExit::Save,
        (_, true) => SaveOnExit::NoSave,
        _ => SaveOnExit::Default,
    };
    // Returns only if it could not save, or the shutdown waiting for replicas was cancelled.
    let blocked = ctx.server.shutdown_wait.block();
    if ctx.server.request_shutdown(mode, force, now) {
        blocked.wait_for_outcome();
    }
    Err(CommandError::err("Errors trying to SHUTDOWN. Check logs."))
}
