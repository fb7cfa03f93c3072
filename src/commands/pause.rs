//! `CLIENT PAUSE timeout [WRITE|ALL]` and `CLIENT UNPAUSE` (Redis's `clientCommand`): start and
//! end the server's pause (`crate::pause`).

use super::slowlog::subcommand_syntax_error;
use super::{Args, CommandError, CommandResult, Ctx, is_option};
use crate::number;
use crate::pause::Scope;

pub fn pause(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let scope = match args.len() {
        3 => Scope::All,
        4 if is_option(args.arg(3), "write") => Scope::Write,
        4 if is_option(args.arg(3), "all") => Scope::All,
        4 => return Err(CommandError::err("CLIENT PAUSE mode must be WRITE or ALL")),
        _ => return Err(subcommand_syntax_error(args, "CLIENT")),
    };
    let timeout_ms = timeout_ms(args.arg(2))?;
    // Redis's `getTimeoutFromObjectOrReply`: 0 stays 0, an end already past.
    let end_ms = match timeout_ms {
        0 => 0,
        ms => ctx.now_ms.saturating_add(ms),
    };
    ctx.server.pause.start(scope, end_ms, ctx.now_ms);
    ctx.reply.ok();
    Ok(())
}

/// A timeout in milliseconds, as `getTimeoutFromObjectOrReply` reads one in `UNIT_MILLISECONDS`.
fn timeout_ms(arg: &[u8]) -> Result<i64, CommandError> {
    let ms = number::parse_i64(arg)
        .ok_or_else(|| CommandError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    Ok(ms)
}

pub fn unpause(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.server.pause.end(ctx.server);
    ctx.reply.ok();
    Ok(())
}
