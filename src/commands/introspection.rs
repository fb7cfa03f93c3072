//! `COMMAND` and its subcommands, answered from the command table: the table is the single
//! source of truth for arity, flags, keys and documentation. redis-cli sends `COMMAND DOCS` when
//! it starts, for its hints and `help` texts.

use super::{
    Args, Command, CommandError, CommandResult, Ctx, Resolved, all_commands, is_option, lookup,
    lookup_subcommand, reply_help,
};
use crate::acl::categories;
use crate::glob;
use crate::protocol::{Reply, Request};

/// `COMMAND`: information about every command.
pub fn command(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let top: Vec<&Resolved> = all_commands()
        .iter()
        .filter(|r| r.parent.is_none())
        .collect();
    ctx.reply.array(top.len());
    for resolved in top {
        reply_info(&mut ctx.reply, resolved);
    }
    Ok(())
}

/// `COMMAND COUNT`
pub fn count(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.reply
        .integer(all_commands().iter().filter(|r| r.parent.is_none()).count() as i64);
    Ok(())
}

/// Finds `name` or `parent|sub`, as `COMMAND INFO` and `COMMAND DOCS` accept them.
pub(super) fn find(name: &[u8]) -> Option<Resolved> {
    match name.iter().position(|&b| b == b'|') {
        Some(bar) => lookup_subcommand(lookup(&name[..bar])?, &name[bar + 1..]),
        None => lookup(name),
    }
}

/// `COMMAND INFO [command-name ...]`: a null for each unknown name.
pub fn info(ctx: &mut Ctx, args: &Args) -> CommandResult {
    if args.len() == 2 {
        return command(ctx, args);
    }
    ctx.reply.array(args.len() - 2);
    for name in args.iter().skip(2) {
        match find(name) {
            Some(resolved) => reply_info(&mut ctx.reply, &resolved),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// One command's entry: name, arity, flags, first key, last key, key step, ACL categories,
/// tips, key specifications and subcommands (Redis 7's ten fields).
fn reply_info(reply: &mut Reply, resolved: &Resolved) {
    let command = resolved.command;
    let flags = flag_names(command);
    let keys = command.keys;
    reply.array(10);
    reply.bulk(resolved.full_name().as_bytes());
    reply.integer(i64::from(command.arity));
    reply.set(flags.len());
    for flag in flags {
        reply.simple(flag);
    }
    reply.integer(i64::from(keys.first));
    reply.integer(i64::from(keys.last));
    reply.integer(i64::from(keys.step));
    let names: Vec<&str> = categories::names(categories::of(command)).collect();
    reply.set(names.len());
    for name in names {
        reply.simple(&format!("@{name}"));
    }
    // Tips and key specs are sets, and so are missing subcommands, in Redis's RESP3 reply.
    reply.set(command.tips.len());
    for tip in command.tips {
        reply.bulk(tip.as_bytes());
    }
    reply_key_specs(reply, command);
    match command.subcommands.len() {
        0 => reply.set(0),
        count => reply.array(count),
    }
    for (position, _) in command.subcommands.iter().enumerate() {
        reply_info(reply, &all_commands()[resolved.id + 1 + position]);
    }
}

fn flag_names(command: &Command) -> Vec<&'static str> {
    let write = command.is_write().then_some("write");
    // Redis derives `movablekeys` from key specs without a fixed range, and lists it last.
    let movable = command
        .key_specs
        .iter()
        .any(|spec| !spec.is_fixed())
        .then_some("movablekeys");
    write
        .into_iter()
        .chain(command.flags.names())
        .chain(movable)
        .collect()
}

/// Redis 7 key specifications, one map per group of keys.
fn reply_key_specs(reply: &mut Reply, command: &Command) {
    reply.set(command.key_specs.len());
    for spec in command.key_specs {
        let has_notes = !spec.notes.is_empty();
        reply.map(3 + has_notes as usize);
        if has_notes {
            reply.bulk(b"notes");
            reply.bulk(spec.notes.as_bytes());
        }
        reply.bulk(b"flags");
        reply.set(spec.flags.len());
        for flag in spec.flags {
            reply.simple(flag);
        }
        if spec.unknown {
            // Redis's `unknown` begin_search and find_keys, each with an empty spec.
            for part in [&b"begin_search"[..], b"find_keys"] {
                reply.bulk(part);
                reply.map(2);
                reply.bulk(b"type");
                reply.bulk(b"unknown");
                reply.bulk(b"spec");
                reply.map(0);
            }
            continue;
        }
        reply.bulk(b"begin_search");
        reply.map(2);
        reply.bulk(b"type");
        match spec.keyword {
            Some(keyword) => {
                reply.bulk(b"keyword");
                reply.bulk(b"spec");
                reply.map(2);
                reply.bulk(b"keyword");
                reply.bulk(keyword.as_bytes());
                reply.bulk(b"startfrom");
            }
            None => {
                reply.bulk(b"index");
                reply.bulk(b"spec");
                reply.map(1);
                reply.bulk(b"index");
            }
        }
        reply.integer(i64::from(spec.begin));
        reply.bulk(b"find_keys");
        reply.map(2);
        reply.bulk(b"type");
        let (kind, fields): (&[u8], [(&[u8], i32); 3]) = match spec.keynum {
            Some(keynum) => (
                b"keynum",
                [
                    (b"keynumidx", keynum.keynumidx),
                    (b"firstkey", keynum.firstkey),
                    (b"keystep", keynum.keystep),
                ],
            ),
            None => (
                b"range",
                [
                    (b"lastkey", spec.last),
                    (b"keystep", spec.step),
                    (b"limit", spec.limit),
                ],
            ),
        };
        reply.bulk(kind);
        reply.bulk(b"spec");
        reply.map(fields.len());
        for (name, value) in fields {
            reply.bulk(name);
            reply.integer(i64::from(value));
        }
    }
}

/// `COMMAND DOCS [command-name ...]`: a map from name to summary, version and group (and the
/// subcommands' docs), which is what redis-cli reads for its help.
pub fn docs(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let selected: Vec<Resolved> = if args.len() == 2 {
        all_commands()
            .iter()
            .filter(|r| r.parent.is_none())
            .copied()
            .collect()
    } else {
        args.iter().skip(2).filter_map(find).collect()
    };
    ctx.reply.map(selected.len());
    for resolved in selected {
        ctx.reply.bulk(resolved.full_name().as_bytes());
        reply_docs(&mut ctx.reply, &resolved);
    }
    Ok(())
}

fn reply_docs(reply: &mut Reply, resolved: &Resolved) {
    let command = resolved.command;
    let has_subcommands = !command.subcommands.is_empty();
    reply.map(3 + has_subcommands as usize);
    reply.bulk(b"summary");
    reply.bulk(command.summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(command.since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(command.group.name().as_bytes());
    if has_subcommands {
        reply.bulk(b"subcommands");
        reply.map(command.subcommands.len());
        for position in 0..command.subcommands.len() {
            let sub = &all_commands()[resolved.id + 1 + position];
            reply.bulk(sub.full_name().as_bytes());
            reply_docs(reply, sub);
        }
    }
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]`: names, with
/// subcommands as `parent|sub`.
pub fn list(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let filter: Box<dyn Fn(&Resolved) -> bool> = match args.len() {
        2 => Box::new(|_| true),
        5 if is_option(args.arg(2), "filterby") => {
            let value = args.arg(4).to_vec();
            let kind = args.arg(3);
            if is_option(kind, "module") {
                Box::new(|_| false)
            } else if is_option(kind, "aclcat") {
                let category = categories::by_name(&value).unwrap_or(0);
                Box::new(move |r| categories::of_id(r.id) & category != 0)
            } else if is_option(kind, "pattern") {
                Box::new(move |r| glob::matches(&value, r.full_name().as_bytes(), true))
            } else {
                return Err(CommandError::Syntax);
            }
        }
        _ => return Err(CommandError::Syntax),
    };
    let names: Vec<String> = all_commands()
        .iter()
        .filter(|r| filter(r))
        .map(|r| r.full_name().into_owned())
        .collect();
    ctx.reply.array(names.len());
    for name in names {
        ctx.reply.bulk(name.as_bytes());
    }
    Ok(())
}

/// `COMMAND GETKEYS command [arg ...]`: which arguments of that command are keys.
pub fn getkeys(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let keys = keys_of_request(args)?;
    ctx.reply.array(keys.len());
    for (position, _) in keys {
        ctx.reply.bulk(args.arg(position + 2));
    }
    Ok(())
}

/// `COMMAND GETKEYSANDFLAGS command [arg ...]` (7.0): the keys, each with its key-spec flags.
pub fn getkeysandflags(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let keys = keys_of_request(args)?;
    ctx.reply.array(keys.len());
    for (position, flags) in keys {
        ctx.reply.array(2);
        ctx.reply.bulk(args.arg(position + 2));
        ctx.reply.array(flags.len());
        for flag in flags {
            ctx.reply.simple(flag);
        }
    }
    Ok(())
}

/// The keys of the command described from argument 2 on, with their flags, or Redis's error
/// (`commandGetKeysAndFlagsCommand`'s checks, in its order: the command, whether it takes
/// keys, its arity, whether the arguments name any).
fn keys_of_request(args: &Args) -> Result<Vec<(usize, &'static [&'static str])>, CommandError> {
    let invalid = || CommandError::err("Invalid command specified");
    let mut resolved = lookup(args.arg(2)).ok_or_else(invalid)?;
    if !resolved.command.subcommands.is_empty() && args.len() > 3 {
        resolved = lookup_subcommand(resolved, args.arg(3)).ok_or_else(invalid)?;
    }
    let command = resolved.command;
    if command.key_specs.is_empty() {
        return Err(CommandError::err("The command has no key arguments"));
    }
    if !command.arity_accepts(args.len() - 2) {
        return Err(CommandError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    // The same walk over the key specs that permissions use, on the request being asked about.
    let request = Request::from_args(&args.iter().skip(2).collect::<Vec<_>>());
    let keys: Vec<_> = command.key_flags_in(&request).collect();
    if keys.is_empty() {
        return Err(CommandError::err("Invalid arguments specified for command"));
    }
    Ok(keys)
}

pub fn help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}
