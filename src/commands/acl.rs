//! Authentication and permissions at the command level (authentication stages 108–115): AUTH,
//! the `ACL` subcommands, and [`authorize`], the one check dispatch makes before any command
//! runs. The users and their rules are `crate::acl`; what this file adds is what needs the
//! server: replies, the ACL log's client descriptions, and disconnecting the clients a change
//! leaves without a user or without their channels.

use std::sync::Arc;

use super::{Args, CommandError, CommandResult, Ctx, Resolved, lookup_subcommand, reply_help};
use crate::acl::{Context, Denied, Entry, Reason, User, categories, file};
use crate::commands::{Flags, lookup};
use crate::config::Config;
use crate::glob;
use crate::pubsub::Kind;
use crate::server::Server;

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// The first check of Redis's `processCommand` that concerns who the client is: whether it
/// must log in first (`-NOAUTH`). Also picks up its user's latest rules.
pub fn require_login(ctx: &mut Ctx, resolved: Resolved) -> CommandResult {
    let acl = &ctx.server.acl;
    if !ctx.session.login.refresh(acl) {
        // Its user was deleted: this command is refused, and the connection closes after it.
        ctx.session.close_after_reply = true;
    }
    let exempt = resolved.command.flags.contains(Flags::NO_AUTH);
    if !exempt && ctx.session.login.must_authenticate(acl) {
        return Err(CommandError::coded("NOAUTH Authentication required."));
    }
    Ok(())
}

/// The second: whether the client's user may run this command on these keys and channels
/// (`-NOPERM`, logged in `ACL LOG`).
pub fn authorize(ctx: &mut Ctx, resolved: Resolved, request: &Args) -> CommandResult {
    let Err(denied) = ctx.session.login.user.check(resolved, request) else {
        return Ok(());
    };
    let context = match ctx.session.transaction {
        Some(_) => Context::Multi,
        None => Context::Toplevel,
    };
    log_denied(ctx, resolved, request, denied, context);
    Err(refusal(resolved, denied))
}

/// Redis's `-NOPERM` error for a refused command.
fn refusal(resolved: Resolved, denied: Denied) -> CommandError {
    CommandError::coded(match denied {
        Denied::Command => format!(
            "NOPERM this user has no permissions to run the '{}' command",
            resolved.full_name()
        ),
        Denied::Key(_) => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        Denied::Channel(_) => {
            "NOPERM this user has no permissions to access one of the channels used as arguments"
                .into()
        }
    })
}

/// Ends the wait of every blocked client whose user may no longer run the command it waits
/// in, with the `-NOPERM` it would get now, so that a change of rules also reaches a command
/// accepted before it (Redis 7.0 would still serve it).
fn refuse_revoked_waiters(ctx: &Ctx) {
    let server = ctx.server;
    for (client, request) in server.blocking.waiting() {
        let Some(user) = server.acl.get(&client.names().user) else {
            continue;
        };
        let Ok(resolved) = super::resolve(&request) else {
            continue;
        };
        let Err(denied) = user.check(resolved, &request) else {
            continue;
        };
        let object = match denied {
            Denied::Command => resolved.full_name().as_bytes().to_vec(),
            Denied::Key(pos) | Denied::Channel(pos) => request.arg(pos).to_vec(),
        };
        let entry = Entry {
            count: 1,
            reason: denied.reason(),
            context: Context::Toplevel,
            object,
            username: user.name.clone(),
            time_ms: ctx.now_ms,
            client_info: client.describe(ctx.now_ms, Some(&request)),
        };
        ctx.server.acl.log.add(entry, log_max_len(ctx));
        let mut reply = Vec::new();
        crate::protocol::Reply::new(&mut reply, client.is_resp3())
            .error(&refusal(resolved, denied).message());
        crate::blocking::complete(server, client.id, reply);
    }
}

fn log_max_len(ctx: &Ctx) -> usize {
    Config::get(&ctx.server.config.acllog_max_len).max(0) as usize
}

/// EXEC's check of each queued command just before it runs: the rules may have changed since
/// it was queued (Redis's wording, in `execCommandAbort`'s neighbour).
pub fn still_allowed(ctx: &mut Ctx, resolved: Resolved, request: &Args) -> CommandResult {
    ctx.session.login.refresh(&ctx.server.acl);
    let Err(denied) = ctx.session.login.user.check(resolved, request) else {
        return Ok(());
    };
    log_denied(ctx, resolved, request, denied, Context::Multi);
    let reason = match denied {
        Denied::Command => "no permission to execute the command or subcommand",
        Denied::Key(_) => "no permission to touch the specified keys",
        Denied::Channel(_) => "no permission to access one of the channels used as arguments",
    };
    Err(CommandError::coded(format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"
    )))
}

/// The check of a command a script calls (Redis's `scriptVerifyACL`): refused, it is logged
/// in the `lua` context and the script gets Redis's message.
pub fn allowed_from_script(ctx: &mut Ctx, resolved: Resolved, request: &Args) -> CommandResult {
    ctx.session.login.refresh(&ctx.server.acl);
    let Err(denied) = ctx.session.login.user.check(resolved, request) else {
        return Ok(());
    };
    log_denied(ctx, resolved, request, denied, Context::Lua);
    let reason = match denied {
        Denied::Command => "can't run this command or subcommand",
        Denied::Key(_) => "can't access at least one of the keys mentioned in the command",
        Denied::Channel(_) => "can't publish to the channel mentioned in the command",
    };
    Err(CommandError::err(format!(
        "The user executing the script {reason}"
    )))
}

fn log_denied(ctx: &Ctx, resolved: Resolved, request: &Args, denied: Denied, context: Context) {
    let object = match denied {
        Denied::Command => resolved.full_name().as_bytes().to_vec(),
        Denied::Key(pos) | Denied::Channel(pos) => request.arg(pos).to_vec(),
    };
    let username = ctx.session.login.user.name.clone();
    add_log_entry(ctx, denied.reason(), context, object, username, request);
}

fn add_log_entry(
    ctx: &Ctx,
    reason: Reason,
    context: Context,
    object: Vec<u8>,
    username: Vec<u8>,
    request: &Args,
) {
    let entry = Entry {
        count: 1,
        reason,
        context,
        object,
        username,
        time_ms: ctx.now_ms,
        client_info: ctx.session.info.describe(ctx.now_ms, Some(request)),
    };
    ctx.server.acl.log.add(entry, log_max_len(ctx));
}

/// Logs in as `name` with `password`, or logs the failure and returns `WRONGPASS` (Redis's
/// `ACLAuthenticateUser`), for AUTH and HELLO AUTH.
pub fn log_in(ctx: &mut Ctx, name: &[u8], password: &[u8], request: &Args) -> CommandResult {
    let acl = &ctx.server.acl;
    match acl.authenticate(name, password) {
        Some(user) => {
            ctx.session
                .info
                .update_names(|n| n.user = user.name.clone());
            ctx.session.login.set(user, acl);
            Ok(())
        }
        None => {
            let context = match ctx.session.transaction.is_some() || ctx.in_exec() {
                true => Context::Multi,
                false => Context::Toplevel,
            };
            let command = request.arg(0).to_vec();
            add_log_entry(ctx, Reason::Auth, context, command, name.to_vec(), request);
            Err(CommandError::coded(WRONGPASS))
        }
    }
}

/// Back to the default user, logged in only if it needs no password: a new connection's state
/// (RESET).
pub fn log_out(ctx: &mut Ctx) {
    ctx.session.login = crate::acl::Login::new(&ctx.server.acl);
    ctx.session
        .info
        .update_names(|n| n.user = b"default".to_vec());
}

/// `AUTH [username] password`: the one-argument form logs in as `default`.
pub fn auth(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let (name, password) = match args.len() {
        2 => {
            if ctx.server.acl.default_user().is_nopass() {
                return Err(CommandError::err(
                    "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                ));
            }
            (&b"default"[..], args.arg(1))
        }
        3 => (args.arg(1), args.arg(2)),
        _ => return Err(CommandError::Syntax),
    };
    log_in(ctx, name, password, args)?;
    ctx.reply.ok();
    Ok(())
}

/// `ACL WHOAMI`
pub fn whoami(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.reply.bulk(&ctx.session.login.user.name);
    Ok(())
}

/// `ACL SETUSER username [rule ...]`: all the rules apply or none. Subscribers of the user whose
/// channels the new rules no longer allow are disconnected, as in Redis.
pub fn setuser(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let name = args.arg(2);
    let rules: Vec<Vec<u8>> = args.iter().skip(3).map(<[u8]>::to_vec).collect();
    let all_channels = ctx.server.config.acl_all_channels();
    let (old, new) = (ctx.server.acl)
        .set_user(name, &rules, all_channels)
        .map_err(|error| CommandError::err(safe_error(error)))?;
    if let Some(old) = old {
        disconnect_revoked_subscribers(ctx, &old, &new);
    }
    refuse_revoked_waiters(ctx);
    ctx.reply.ok();
    Ok(())
}

/// An error line may not hold a newline: Redis's `addReplyErrorSdsSafe` turns them to spaces.
fn safe_error(text: String) -> String {
    text.replace(['\r', '\n'], " ")
}

/// Redis's `ACLKillPubsubClientsIfNeeded`: when the user's channel rules shrank, its clients
/// subscribed to something they no longer allow are disconnected.
fn disconnect_revoked_subscribers(ctx: &mut Ctx, old: &User, new: &User) {
    if new.selectors().iter().any(|s| s.channel_rules().0) {
        return;
    }
    let upcoming: Vec<&[u8]> = (new.selectors().iter())
        .flat_map(|s| s.channel_rules().1.iter().map(Vec::as_slice))
        .collect();
    let kept = old.selectors().iter().all(|s| {
        let (all, channels) = s.channel_rules();
        !all && channels.iter().all(|c| upcoming.contains(&c.as_slice()))
    });
    if kept {
        return;
    }
    let allowed = |name: &[u8], literal: bool| {
        upcoming.iter().any(|pattern| match literal {
            true => *pattern == name,
            false => glob::matches(pattern, name, false),
        })
    };
    let server = ctx.server;
    for client in server.clients.all() {
        if client.names().user != old.name || !client.modes.is_pubsub() {
            continue;
        }
        let Some(subscriptions) = server.pubsub.subscriptions_of(client.id) else {
            continue;
        };
        let revoked = [Kind::Channel, Kind::Pattern, Kind::Shard]
            .iter()
            .any(|&kind| {
                (subscriptions[kind.index()].iter())
                    .any(|name| !allowed(name.as_slice(), kind == Kind::Pattern))
            });
        if revoked {
            disconnect(ctx, &client);
        }
    }
}

/// Closes a client's connection; the one running this command closes after its reply.
fn disconnect(ctx: &mut Ctx, client: &crate::clients::ClientInfo) {
    if client.id == ctx.session.info.id {
        ctx.session.close_after_reply = true;
    } else {
        client.kill();
    }
}

/// Disconnects every client logged in as one of `names` (Redis's `ACLFreeUserAndKillClients`).
fn disconnect_users(ctx: &mut Ctx, names: &[&[u8]]) {
    for client in ctx.server.clients.all() {
        if names.contains(&client.names().user.as_slice()) {
            disconnect(ctx, &client);
        }
    }
}

/// `ACL DELUSER username [username ...]`: how many existed. Their clients are disconnected.
pub fn deluser(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let names: Vec<&[u8]> = args.iter().skip(2).collect();
    let deleted = (ctx.server.acl.delete(&names)).map_err(CommandError::err)?;
    disconnect_users(ctx, &names);
    ctx.reply.integer(deleted as i64);
    Ok(())
}

/// `ACL GETUSER username`: flags, passwords, the root selector's commands, keys and channels,
/// then the other selectors (Redis 7.0's reply shape); null for no such user.
pub fn getuser(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let Some(user) = ctx.server.acl.get(args.arg(2)) else {
        ctx.reply.null();
        return Ok(());
    };
    let reply = &mut ctx.reply;
    reply.map(6);
    reply.bulk(b"flags");
    let flags = user.flags();
    reply.set(flags.len());
    for flag in flags {
        reply.bulk(flag.as_bytes());
    }
    reply.bulk(b"passwords");
    reply.array(user.passwords().len());
    for hash in user.passwords() {
        reply.bulk(hash.as_bytes());
    }
    reply_selector(reply, user.root());
    reply.bulk(b"selectors");
    reply.array(user.extra_selectors().len());
    for selector in user.extra_selectors() {
        reply.map(3);
        reply_selector(reply, selector);
    }
    Ok(())
}

fn reply_selector(reply: &mut crate::protocol::Reply, selector: &crate::acl::Selector) {
    reply.bulk(b"commands");
    reply.bulk(selector.describe_commands().as_bytes());
    reply.bulk(b"keys");
    reply.bulk(&selector.describe_keys());
    reply.bulk(b"channels");
    reply.bulk(&selector.describe_channels());
}

/// The line `ACL LIST` and the ACL file give a user.
fn user_line(user: &User) -> Vec<u8> {
    [b"user ", user.name.as_slice(), b" ", &user.describe()].concat()
}

/// Every user as `user <name> <rules>`, in name order: for `CONFIG REWRITE`.
pub fn user_lines(server: &Server) -> Vec<Vec<u8>> {
    server.acl.users().iter().map(|u| user_line(u)).collect()
}

/// `ACL LIST`: every user as a configuration line.
pub fn list(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let lines = user_lines(ctx.server);
    ctx.reply.array(lines.len());
    for line in lines {
        ctx.reply.bulk(&line);
    }
    Ok(())
}

/// `ACL USERS`: every user's name.
pub fn users(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let users = ctx.server.acl.users();
    ctx.reply.array(users.len());
    for user in users {
        ctx.reply.bulk(&user.name);
    }
    Ok(())
}

/// The `aclfile`, or Redis's error when there is none.
fn aclfile(ctx: &Ctx) -> Result<String, CommandError> {
    let path = crate::config::read(&ctx.server.config.aclfile);
    if path.is_empty() {
        return Err(CommandError::err(
            "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
        ));
    }
    Ok(path)
}

/// `ACL LOAD`: replaces every user with the file's, if the whole file is valid. Clients logged
/// in as any user but `default` are disconnected, as Redis frees the users they held.
pub fn load(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let path = aclfile(ctx)?;
    let users = file::load(&path, ctx.server.config.acl_all_channels())
        .map_err(|errors| CommandError::err(safe_error(errors)))?;
    let old: Vec<Vec<u8>> = (ctx.server.acl.users().iter())
        .map(|u| u.name.clone())
        .filter(|name| name != b"default")
        .collect();
    ctx.server.acl.replace_all(users);
    let old: Vec<&[u8]> = old.iter().map(Vec::as_slice).collect();
    disconnect_users(ctx, &old);
    refuse_revoked_waiters(ctx);
    ctx.reply.ok();
    Ok(())
}

/// `ACL SAVE`: every user to the `aclfile`.
pub fn save(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let path = aclfile(ctx)?;
    let users = ctx.server.acl.users();
    if let Err(error) = file::save(&path, users.iter().map(Arc::as_ref)) {
        crate::log!(Warning, "Writing ACL file for ACL SAVE: {error}");
        return Err(CommandError::err(
            "There was an error trying to save the ACLs. Please check the server logs for more information",
        ));
    }
    ctx.reply.ok();
    Ok(())
}

/// `ACL CAT [category]`: the categories, or the commands and subcommands in one.
pub fn cat(ctx: &mut Ctx, args: &Args) -> CommandResult {
    match args.len() {
        2 => {
            ctx.reply.array(categories::NAMES.len());
            for name in categories::NAMES {
                ctx.reply.bulk(name.as_bytes());
            }
        }
        3 => {
            let category = categories::by_name(args.arg(2)).ok_or_else(|| {
                let name = String::from_utf8_lossy(&args.arg(2)[..args.arg(2).len().min(128)]);
                CommandError::err(format!("Unknown category '{name}'"))
            })?;
            let names: Vec<_> = (super::all_commands().iter())
                .filter(|r| categories::of_id(r.id) & category != 0)
                .map(|r| r.full_name())
                .collect();
            ctx.reply.array(names.len());
            for name in names {
                ctx.reply.bulk(name.as_bytes());
            }
        }
        _ => return Err(unknown_subcommand(args)),
    }
    Ok(())
}

/// Redis's `addReplySubcommandSyntaxError`, for subcommands called with the wrong arguments.
fn unknown_subcommand(args: &Args) -> CommandError {
    CommandError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        String::from_utf8_lossy(args.arg(1))
    ))
}

/// `ACL GENPASS [bits]`: a random password from the operating system's generator, 256 bits by
/// default, as hex digits.
pub fn genpass(ctx: &mut Ctx, args: &Args) -> CommandResult {
    const MAX_BITS: i64 = 4096;
    let bits = match args.len() {
        2 => 256,
        3 => super::parse_int(args.arg(2))?,
        _ => return Err(unknown_subcommand(args)),
    };
    if bits <= 0 || bits > MAX_BITS {
        return Err(CommandError::err(format!(
            "ACL GENPASS argument must be the number of bits for the output password, a positive number up to {MAX_BITS}"
        )));
    }
    let digits = (bits as usize).div_ceil(4);
    let password = crate::random::secure_hex(digits)
        .map_err(|error| CommandError::err(format!("Can't read random bytes: {error}")))?;
    ctx.reply.bulk(password.as_bytes());
    Ok(())
}

/// `ACL LOG [count | RESET]`: the newest refusals first, 10 unless a count is given.
pub fn log(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let count = match args.len() {
        2 => 10,
        3 if args.arg(2).eq_ignore_ascii_case(b"reset") => {
            ctx.server.acl.log.reset();
            ctx.reply.ok();
            return Ok(());
        }
        3 => super::parse_int(args.arg(2))?.max(0) as usize,
        _ => return Err(unknown_subcommand(args)),
    };
    let entries = ctx.server.acl.log.newest(count);
    let reply = &mut ctx.reply;
    reply.array(entries.len());
    for entry in entries {
        reply.map(7);
        reply.bulk(b"count");
        reply.integer(entry.count as i64);
        reply.bulk(b"reason");
        reply.bulk(entry.reason.name().as_bytes());
        reply.bulk(b"context");
        reply.bulk(entry.context.name().as_bytes());
        reply.bulk(b"object");
        reply.bulk(&entry.object);
        reply.bulk(b"username");
        reply.bulk(&entry.username);
        reply.bulk(b"age-seconds");
        reply.double((ctx.now_ms - entry.time_ms) as f64 / 1000.0);
        reply.bulk(b"client-info");
        reply.bulk(entry.client_info.as_bytes());
    }
    Ok(())
}

/// `ACL DRYRUN username command [arg ...]`: whether the user could run it, as `+OK` or the
/// reason as a bulk string. Nothing runs.
pub fn dryrun(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let user = ctx.server.acl.get(args.arg(2)).ok_or_else(|| {
        CommandError::err(format!(
            "User '{}' not found",
            String::from_utf8_lossy(args.arg(2))
        ))
    })?;
    let rest: Vec<&[u8]> = args.iter().skip(3).collect();
    let request = crate::protocol::Request::from_args(&rest);
    let not_found = || {
        CommandError::err(format!(
            "Command '{}' not found",
            String::from_utf8_lossy(args.arg(3))
        ))
    };
    let mut resolved = lookup(request.arg(0)).ok_or_else(not_found)?;
    if !resolved.command.subcommands.is_empty() && request.len() >= 2 {
        resolved = lookup_subcommand(resolved, request.arg(1)).ok_or_else(not_found)?;
    }
    if !resolved.command.arity_accepts(request.len()) {
        return Err(CommandError::err(format!(
            "wrong number of arguments for '{}' command",
            resolved.full_name()
        )));
    }
    match user.check(resolved, &request) {
        Ok(()) => ctx.reply.ok(),
        Err(Denied::Command) => ctx.reply.bulk(
            format!(
                "This user has no permissions to run the '{}' command",
                resolved.full_name()
            )
            .as_bytes(),
        ),
        Err(Denied::Key(pos)) => ctx.reply.bulk(
            format!(
                "This user has no permissions to access the '{}' key",
                String::from_utf8_lossy(request.arg(pos))
            )
            .as_bytes(),
        ),
        Err(Denied::Channel(pos)) => ctx.reply.bulk(
            format!(
                "This user has no permissions to access the '{}' channel",
                String::from_utf8_lossy(request.arg(pos))
            )
            .as_bytes(),
        ),
    }
    Ok(())
}

/// `ACL HELP`
pub fn help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
    Ok(())
}
