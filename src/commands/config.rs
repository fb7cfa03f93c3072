//! `CONFIG GET`, `CONFIG SET`, `CONFIG REWRITE`, `CONFIG RESETSTAT`: the parameter table of
//! `config/params.rs` seen from a client. (The RDB stages begin with `CONFIG GET dir`.)

use super::{Args, CommandError, CommandResult, Ctx, reply_help};
use crate::config::param::Flags;
use crate::config::{PARAMS, Param, params, rewrite};
use crate::{glob, log, reconfigure};

/// `CONFIG GET parameter [parameter ...]`: name/value pairs (a map in RESP3) for every parameter
/// matching one of the glob patterns, each once. An exact name is echoed as the client spelled
/// it and may name a hidden parameter; a pattern matches names and aliases, hidden ones never.
pub fn get(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let mut matched: Vec<(String, &Param)> = Vec::new();
    let mut add = |name: String, param: &'static Param| {
        if !matched
            .iter()
            .any(|(seen, _)| seen.eq_ignore_ascii_case(&name))
        {
            matched.push((name, param));
        }
    };
    for pattern in args.iter().skip(2) {
        let name = String::from_utf8_lossy(pattern).into_owned();
        if !pattern.iter().any(|b| b"[*?".contains(b)) {
            if let Some(param) = params::find(&name) {
                add(name, param);
            }
            continue;
        }
        for param in PARAMS.iter().filter(|p| !p.is(Flags::HIDDEN)) {
            for listed in std::iter::once(param.name).chain(param.alias) {
                if glob::matches(pattern, listed.as_bytes(), true) {
                    add(listed.to_string(), param);
                }
            }
        }
    }
    ctx.reply.map(matched.len());
    for (name, param) in matched {
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.bulk(param.get(&ctx.server.config).as_bytes());
    }
    Ok(())
}

/// `CONFIG SET parameter value [parameter value ...]`: all or nothing, as Redis 7.0's. Every
/// name is checked first; the values are then set one by one, and if one is refused, or what a
/// change does to the running server fails (a port that cannot be bound), every parameter is put
/// back as it was.
pub fn set(ctx: &mut Ctx, args: &Args) -> CommandResult {
    if args.len() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    let config = &ctx.server.config;
    let failed = |name: &str, reason: &str| {
        CommandError::err(format!(
            "CONFIG SET failed (possibly related to argument '{name}') - {reason}"
        ))
    };
    let mut changes: Vec<(&'static Param, String)> = Vec::new();
    for i in (2..args.len()).step_by(2) {
        let name = String::from_utf8_lossy(args.arg(i)).into_owned();
        let Some(param) = params::find(&name) else {
            return Err(CommandError::err(format!(
                "Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        if param.is(Flags::IMMUTABLE) {
            return Err(failed(&name, "can't set immutable config"));
        }
        if param.is(Flags::PROTECTED)
            && !config
                .protected_configs()
                .allows(ctx.session.info.is_local())
        {
            return Err(failed(&name, "can't set protected config"));
        }
        if changes.iter().any(|(p, _)| std::ptr::eq(*p, param)) {
            return Err(failed(&name, "duplicate parameter"));
        }
        changes.push((param, String::from_utf8_lossy(args.arg(i + 1)).into_owned()));
    }
    let before: Vec<String> = changes.iter().map(|(param, _)| param.get(config)).collect();
    let restore = |count: usize| {
        for ((param, _), old) in changes[..count].iter().zip(&before) {
            if let Err(reason) = param.set_from_text(config, old) {
                log!(
                    Warning,
                    "Failed restoring failed CONFIG SET command. Error setting {} to '{old}': {reason}",
                    param.name
                );
            }
        }
    };
    for (i, (param, value)) in changes.iter().enumerate() {
        if let Err(reason) = param.set_from_text(config, value) {
            // The refused value may have been half taken: restore this one too.
            restore(i + 1);
            return Err(failed(param.name, &reason));
        }
    }
    let changed: Vec<&'static Param> = changes
        .iter()
        .zip(&before)
        .filter(|((param, _), old)| param.get(config) != **old)
        .map(|((param, _), _)| *param)
        .collect();
    if let Err((param, reason)) = reconfigure::apply(ctx.server, &changed, ctx.in_exec()) {
        log!(
            Warning,
            "Failed applying new configuration. Possibly related to new {} setting. Restoring previous settings.",
            param.name
        );
        restore(changes.len());
        if let Err((_, reason)) = reconfigure::apply(ctx.server, &changed, ctx.in_exec()) {
            log!(
                Warning,
                "Failed applying restored failed CONFIG SET command: {reason}"
            );
        }
        return Err(failed(param.name, &reason));
    }
    ctx.reply.ok();
    Ok(())
}

/// `CONFIG REWRITE`: the running configuration back into the file the server started from.
pub fn rewrite(ctx: &mut Ctx, _: &Args) -> CommandResult {
    match rewrite_file(ctx, false)? {
        Ok(()) => {
            log!(Warning, "CONFIG REWRITE executed with success.");
            ctx.reply.ok();
            Ok(())
        }
        Err(reason) => {
            log!(Warning, "CONFIG REWRITE failed: {reason}");
            Err(CommandError::err(format!(
                "Rewriting config file: {reason}"
            )))
        }
    }
}

/// Rewrites the configuration file; `force_all` writes every parameter, defaults too
/// (`DEBUG CONFIG-REWRITE-FORCE-ALL`). The inner error is why the file could not be written.
pub fn rewrite_file(ctx: &Ctx, force_all: bool) -> Result<Result<(), String>, CommandError> {
    let Some(path) = &ctx.server.config.config_file else {
        return Err(CommandError::err(
            "The server is running without a config file",
        ));
    };
    let users: Vec<String> = (super::acl::user_lines(ctx.server).iter())
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect();
    Ok(
        rewrite::rewrite(&ctx.server.config, &users, path, force_all)
            .map_err(|error| crate::sys::os_error_text(&error)),
    )
}

/// `CONFIG RESETSTAT`: zeroes the counters INFO reports.
pub fn resetstat(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.server.stats.reset();
    ctx.server.replication.syncs.reset();
    ctx.server.clients.reset_stats();
    ctx.reply.ok();
    Ok(())
}

pub fn help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}
