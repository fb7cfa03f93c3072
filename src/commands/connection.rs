//! Connection commands: PING (stages 2–4), ECHO (stage 5), QUIT, SELECT, HELLO, the
//! handshake with which current clients choose RESP2 or RESP3, and RESET.

use super::{Args, CommandError, CommandResult, Ctx, is_option};
use crate::REDIS_VERSION;
use crate::commands::client::validate_name;
use crate::commands::transactions::discard_transaction;

/// `PING [message]`: `+PONG`, or the message as a bulk string. In RESP2 subscribed mode,
/// where a reply must look like a message, `["pong", message or ""]` (pub/sub stage 87).
pub fn ping(ctx: &mut Ctx, args: &Args) -> CommandResult {
    if ctx.session.in_resp2_pubsub() && args.len() <= 2 {
        ctx.reply.array(2);
        ctx.reply.bulk(b"pong");
        ctx.reply
            .bulk(if args.len() == 2 { args.arg(1) } else { b"" });
        return Ok(());
    }
    match args.len() {
        1 => ctx.reply.simple("PONG"),
        2 => ctx.reply.bulk(args.arg(1)),
        _ => return Err(CommandError::WrongArity("ping".into())),
    }
    Ok(())
}

/// `ECHO message`
pub fn echo(ctx: &mut Ctx, args: &Args) -> CommandResult {
    ctx.reply.bulk(args.arg(1));
    Ok(())
}

/// `QUIT`: `+OK`, then the connection closes; whatever the client sent after it is ignored.
pub fn quit(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.reply.ok();
    ctx.session.close_after_reply = true;
    Ok(())
}

/// `SELECT index`
pub fn select(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let index = ctx.db_index(args.arg(1))?;
    ctx.session.select(index);
    ctx.reply.ok();
    Ok(())
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`: switches the protocol and
/// replies with a map describing the server (a flat array in RESP2). A client that has not
/// logged in must do it here, with `AUTH`.
pub fn hello(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let mut next = 1;
    let mut version = None;
    if args.len() >= 2 {
        let requested = super::parse_int(args.arg(1))
            .map_err(|_| CommandError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&requested) {
            return Err(CommandError::coded("NOPROTO unsupported protocol version"));
        }
        version = Some(requested);
        next = 2;
    }
    while next < args.len() {
        let more = args.len() - 1 - next;
        let option = args.arg(next);
        if is_option(option, "auth") && more >= 2 {
            super::acl::log_in(ctx, args.arg(next + 1), args.arg(next + 2), args)?;
            next += 3;
        } else if is_option(option, "setname") && more >= 1 {
            let name = args.arg(next + 1);
            validate_name(name)?;
            ctx.session
                .info
                .update_names(|names| names.name = name.to_vec());
            next += 2;
        } else {
            return Err(CommandError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(option)
            )));
        }
    }
    if !ctx.session.login.authenticated {
        return Err(CommandError::coded(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(version) = version {
        ctx.session.set_resp3(version == 3);
        ctx.reply.set_resp3(version == 3);
    }
    let reply = &mut ctx.reply;
    reply.map(7);
    reply.bulk(b"server");
    reply.bulk(b"redis");
    reply.bulk(b"version");
    reply.bulk(REDIS_VERSION.as_bytes());
    reply.bulk(b"proto");
    reply.integer(if ctx.session.resp3 { 3 } else { 2 });
    reply.bulk(b"id");
    reply.integer(ctx.session.info.id as i64);
    reply.bulk(b"mode");
    reply.bulk(b"standalone");
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"modules");
    reply.array(0);
    Ok(())
}

/// `RESET`: the connection as it was when it opened (Redis's `clearClientConnectionState`): out
/// of MULTI and every subscription (without confirmations), nothing watched, database 0,
/// RESP2, no name, replies on, logged in as `default` only if it needs no password.
pub fn reset(ctx: &mut Ctx, _: &Args) -> CommandResult {
    discard_transaction(ctx);
    ctx.server.monitors.remove(ctx.session.info.id);
    if let Some(subscriber) = &ctx.session.subscriber {
        ctx.server.pubsub.unsubscribe_all(subscriber);
    }
    ctx.server.tracking.disable(ctx.server, &ctx.session.info);
    ctx.session.select(0);
    ctx.session.set_resp3(false);
    ctx.reply.set_resp3(false);
    ctx.session.info.update_names(|names| names.name.clear());
    ctx.session.reply_off = false;
    ctx.session.skip_next_reply = false;
    super::acl::log_out(ctx);
    ctx.reply.simple("RESET");
    Ok(())
}
