//! `SAVE`, `BGSAVE [SCHEDULE]`, `LASTSAVE`, `BGREWRITEAOF`: persistence on demand. The work is in
//! `persistence/jobs.rs`; these parse and reply with Redis's words.
//!
//! Inside `EXEC` ([`Ctx::in_exec`]) a background job is only scheduled, as Redis does, and these
//! handlers never take the keyspace lock the transaction holds. `SAVE` is `no_multi`, as in
//! Redis 7.

use super::{Args, CommandError, CommandResult, Ctx, is_option};
use crate::persistence::jobs;

/// `SAVE`: writes the RDB file now, replying once it is on disk.
pub fn save(ctx: &mut Ctx, _: &Args) -> CommandResult {
    jobs::save(ctx.server)?;
    ctx.reply.ok();
    Ok(())
}

/// `BGSAVE [SCHEDULE]`: starts writing the RDB file in the background.
pub fn bgsave(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let schedule = match args.len() {
        1 => false,
        2 if is_option(args.arg(1), "schedule") => true,
        _ => return Err(CommandError::Syntax),
    };
    let status = jobs::bgsave(ctx.server, schedule, ctx.in_exec())?;
    ctx.reply.simple(status);
    Ok(())
}

/// `LASTSAVE`: when the last successful save finished, in Unix seconds.
pub fn lastsave(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let last_save = ctx
        .server
        .persistence
        .rdb
        .last_save
        .load(std::sync::atomic::Ordering::Relaxed);
    ctx.reply.integer(last_save);
    Ok(())
}

/// `BGREWRITEAOF`: starts rewriting the append-only file (works with the AOF off too, as in
/// Redis: it then writes a base the AOF would start from).
pub fn bgrewriteaof(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let status = jobs::bgrewriteaof(ctx.server, ctx.in_exec())?;
    ctx.reply.simple(status);
    Ok(())
}
