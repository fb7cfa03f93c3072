//! `MONITOR` (Redis's `monitorCommand`): puts the connection in monitor mode, where it is sent
//! a line for every command the server runs (`crate::monitor`) until it disconnects or RESETs.

use super::{Args, CommandError, CommandResult, Ctx};

pub fn monitor(ctx: &mut Ctx, _: &Args) -> CommandResult {
    // Inside EXEC a client expects one reply per command, as Redis's CLIENT_DENY_BLOCKING says.
    if ctx.in_exec() {
        return Err(CommandError::err(
            "MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    let subscriber = super::pubsub::subscriber(ctx)?;
    // A client monitoring already gets no reply at all, as from Redis.
    if ctx.server.monitors.add(subscriber) {
        ctx.reply.ok();
    }
    Ok(())
}
