//! `SLOWLOG GET|LEN|RESET|HELP` (Redis's `slowlogCommand`): the server's slow log
//! (`crate::slowlog`) as clients read and clear it.

use super::{Args, CommandError, CommandResult, Ctx, parse_range, reply_help};

/// Entries `SLOWLOG GET` sends without a count.
const DEFAULT_COUNT: usize = 10;

pub fn get(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let count = match args.len() {
        2 => DEFAULT_COUNT,
        3 => {
            let count = parse_range(
                args.arg(2),
                -1,
                i64::MAX,
                Some("count should be greater than or equal to -1"),
            )?;
            // -1: every entry.
            usize::try_from(count).unwrap_or(usize::MAX)
        }
        _ => return Err(subcommand_syntax_error(args, "SLOWLOG")),
    };
    let entries = ctx.server.slowlog.latest(count);
    ctx.reply.array(entries.len());
    for entry in entries {
        ctx.reply.array(6);
        ctx.reply.integer(entry.id as i64);
        ctx.reply.integer(entry.time);
        ctx.reply.integer(entry.duration_us as i64);
        ctx.reply.array(entry.args.len());
        for arg in &entry.args {
            ctx.reply.bulk(arg);
        }
        ctx.reply.bulk(entry.peer.as_bytes());
        ctx.reply.bulk(&entry.client_name);
    }
    Ok(())
}

pub fn len(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.reply.integer(ctx.server.slowlog.len() as i64);
    Ok(())
}

pub fn reset(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.server.slowlog.reset();
    ctx.reply.ok();
    Ok(())
}

pub fn help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// Redis's `addReplySubcommandSyntaxError`: a subcommand its row's arity let through with
/// arguments the command does not take.
pub(super) fn subcommand_syntax_error(args: &Args, container: &str) -> CommandError {
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {container} HELP.",
        String::from_utf8_lossy(args.arg(1))
    ))
}
