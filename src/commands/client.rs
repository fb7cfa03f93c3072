//! `CLIENT` subcommands: a connection's identity (ID, SETNAME, GETNAME, SETINFO), the list of
//! connections (LIST, INFO, KILL), and per-connection switches (REPLY, NO-EVICT, NO-TOUCH).
//! Client libraries send several of these during their handshake. The client-side caching
//! subcommands (TRACKING, CACHING, GETREDIR, TRACKINGINFO) are in `client/tracking.rs`.

pub mod tracking;

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, reply_help};

/// Redis's `validateClientName`: printable ASCII without spaces.
pub fn validate_name(name: &[u8]) -> Result<(), CommandError> {
    if name.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        Ok(())
    } else {
        Err(CommandError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ))
    }
}

pub fn id(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.reply.integer(ctx.session.info.id as i64);
    Ok(())
}

/// `CLIENT SETNAME name`; an empty name removes it.
pub fn setname(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let name = args.arg(2);
    validate_name(name)?;
    ctx.session
        .info
        .update_names(|names| names.name = name.to_vec());
    ctx.reply.ok();
    Ok(())
}

pub fn getname(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let name = ctx.session.info.names().name;
    if name.is_empty() {
        ctx.reply.null();
    } else {
        ctx.reply.bulk(&name);
    }
    Ok(())
}

/// `CLIENT SETINFO LIB-NAME|LIB-VER value`: what client library is connected (Redis 7.2; client
/// libraries send it during their handshake).
pub fn setinfo(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let (attribute, value) = (args.arg(2), args.arg(3));
    let is_name = is_option(attribute, "lib-name");
    if !is_name && !is_option(attribute, "lib-ver") {
        return Err(CommandError::err(format!(
            "Unrecognized option '{}'",
            String::from_utf8_lossy(attribute)
        )));
    }
    if !value.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        let which = if is_name { "lib-name" } else { "lib-ver" };
        return Err(CommandError::err(format!(
            "{which} cannot contain spaces, newlines or special characters."
        )));
    }
    ctx.session.info.update_names(|names| {
        if is_name {
            names.lib_name = value.to_vec();
        } else {
            names.lib_ver = value.to_vec();
        }
    });
    ctx.reply.ok();
    Ok(())
}

/// `CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]`
pub fn list(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let clients = ctx.server.clients.all();
    let selected: Vec<_> = if args.len() == 4 && is_option(args.arg(2), "type") {
        let kind = args.arg(3);
        if !["normal", "master", "replica", "slave", "pubsub"]
            .iter()
            .any(|k| is_option(kind, k))
        {
            return Err(CommandError::err(format!(
                "Unknown client type '{}'",
                String::from_utf8_lossy(kind)
            )));
        }
        clients
            .into_iter()
            .filter(|client| client.is_of_type(kind))
            .collect()
    } else if args.len() > 3 && is_option(args.arg(2), "id") {
        let mut ids = Vec::new();
        for arg in args.iter().skip(3) {
            ids.push(parse_int(arg).map_err(|_| CommandError::err("Invalid client ID"))?);
        }
        clients
            .into_iter()
            .filter(|c| ids.contains(&(c.id as i64)))
            .collect()
    } else if args.len() != 2 {
        return Err(CommandError::Syntax);
    } else {
        clients
    };
    let mut text = String::new();
    for client in selected {
        let running = (client.id == ctx.session.info.id).then_some(args);
        text.push_str(&client.describe(ctx.now_ms, running));
        text.push('\n');
    }
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// `CLIENT INFO`: this connection's line of CLIENT LIST.
pub fn info(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let line = format!("{}\n", ctx.session.info.describe(ctx.now_ms, Some(args)));
    ctx.reply.verbatim(line.as_bytes());
    Ok(())
}

/// `CLIENT KILL ip:port` (old form: `+OK` or an error) or `CLIENT KILL [ID id] [ADDR ip:port]
/// [LADDR ip:port] [TYPE type] [USER name] [SKIPME yes|no]` (new form: how many were killed).
pub fn kill(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let old_form = args.len() == 3;
    let (mut addr, mut laddr, mut id, mut kind, mut skip_me) = (None, None, None, None, true);
    let mut user = None;
    if old_form {
        addr = Some(args.arg(2).to_vec());
        skip_me = false;
    } else {
        let mut i = 2;
        while i < args.len() {
            if i + 1 >= args.len() {
                return Err(CommandError::Syntax);
            }
            let (option, value) = (args.arg(i), args.arg(i + 1).to_vec());
            if is_option(option, "id") {
                let n = parse_int(&value)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| CommandError::err("client-id should be greater than 0"))?;
                id = Some(n as u64);
            } else if is_option(option, "addr") {
                addr = Some(value);
            } else if is_option(option, "laddr") {
                laddr = Some(value);
            } else if is_option(option, "type") {
                if !["normal", "master", "replica", "slave", "pubsub"]
                    .iter()
                    .any(|k| is_option(&value, k))
                {
                    return Err(CommandError::err(format!(
                        "Unknown client type '{}'",
                        String::from_utf8_lossy(&value)
                    )));
                }
                kind = Some(value);
            } else if is_option(option, "user") {
                if ctx.server.acl.get(&value).is_none() {
                    return Err(CommandError::err(format!(
                        "No such user '{}'",
                        String::from_utf8_lossy(&value)
                    )));
                }
                user = Some(value);
            } else if is_option(option, "skipme") {
                skip_me = match () {
                    _ if is_option(&value, "yes") => true,
                    _ if is_option(&value, "no") => false,
                    _ => return Err(CommandError::Syntax),
                };
            } else {
                return Err(CommandError::Syntax);
            }
            i += 2;
        }
    }
    let me = ctx.session.info.id;
    let mut killed = 0;
    for client in ctx.server.clients.all() {
        let matches = addr
            .as_ref()
            .is_none_or(|a| client.addr().as_bytes() == a.as_slice())
            && laddr
                .as_ref()
                .is_none_or(|a| client.laddr().as_bytes() == a.as_slice())
            && id.is_none_or(|id| client.id == id)
            && kind.as_ref().is_none_or(|k| client.is_of_type(k))
            && user.as_ref().is_none_or(|u| client.names().user == *u)
            && !(skip_me && client.id == me);
        if !matches {
            continue;
        }
        if client.id == me {
            ctx.session.close_after_reply = true;
        } else {
            client.kill();
        }
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Err(CommandError::err("No such client"));
        }
        ctx.reply.ok();
    } else {
        ctx.reply.integer(killed);
    }
    Ok(())
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: ends the wait of a client blocked in `BLPOP` and
/// friends, as if it timed out or with an `-UNBLOCKED` error; 1 if it was blocked, else 0.
pub fn unblock(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let error = match args.len() {
        3 => false,
        4 if is_option(args.arg(3), "timeout") => false,
        4 if is_option(args.arg(3), "error") => true,
        4 => {
            return Err(CommandError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
        _ => {
            return Err(CommandError::err(
                "unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
            ));
        }
    };
    let id = parse_int(args.arg(2))?;
    let unblocked =
        u64::try_from(id).is_ok_and(|id| ctx.server.blocking.unblock(ctx.server, id, error));
    ctx.reply.integer(unblocked as i64);
    Ok(())
}

/// Parses `ON` / `OFF`.
fn on_off(arg: &[u8]) -> Result<bool, CommandError> {
    if is_option(arg, "on") {
        Ok(true)
    } else if is_option(arg, "off") {
        Ok(false)
    } else {
        Err(CommandError::Syntax)
    }
}

/// `CLIENT NO-EVICT ON|OFF`: recorded and shown in CLIENT LIST (flag `e`); thredis never evicts
/// clients.
pub fn no_evict(ctx: &mut Ctx, args: &Args) -> CommandResult {
    ctx.session.info.set_no_evict(on_off(args.arg(2))?);
    ctx.reply.ok();
    Ok(())
}

/// `CLIENT NO-TOUCH ON|OFF`: while on, this client's reads leave keys' access times alone.
pub fn no_touch(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let on = on_off(args.arg(2))?;
    ctx.session.no_touch = on;
    ctx.session.info.set_no_touch(on);
    ctx.reply.ok();
    Ok(())
}

/// `CLIENT REPLY ON|OFF|SKIP`: OFF and SKIP have no reply of their own.
pub fn reply(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let mode = args.arg(2);
    if is_option(mode, "on") {
        ctx.session.replies_on();
        ctx.reply.ok();
    } else if is_option(mode, "off") {
        ctx.session.reply_off = true;
    } else if is_option(mode, "skip") {
        if !ctx.session.reply_off {
            ctx.session.skip_next_reply = true;
        }
    } else {
        return Err(CommandError::Syntax);
    }
    Ok(())
}

pub fn help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    );
    Ok(())
}
