//! `CONFIG GET`, `CONFIG SET`, `CONFIG RESETSTAT`: the configuration table of `config/params.rs`
//! seen from a client. (The RDB stages begin with `CONFIG GET dir`.)

use super::{Args, CommandError, CommandResult, Ctx, reply_help};
use crate::config::{PARAMS, Param, params};
use crate::glob;

/// `CONFIG GET parameter [parameter ...]`: name/value pairs (a map in RESP3) for every parameter
/// matching one of the glob patterns. Unknown names simply match nothing.
pub fn get(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let mut matched: Vec<(String, &Param)> = Vec::new();
    for pattern in args.iter().skip(2) {
        let is_glob = pattern.iter().any(|b| b"[*?".contains(b));
        if !is_glob {
            // An exact name is echoed as the client spelled it, as Redis does.
            let name = String::from_utf8_lossy(pattern).into_owned();
            if let Some(param) = params::find(&name) {
                if !matched.iter().any(|(_, p)| std::ptr::eq(*p, param)) {
                    matched.push((name, param));
                }
            }
            continue;
        }
        for param in PARAMS {
            let hit = glob::matches(pattern, param.name.as_bytes(), true)
                || param
                    .alias
                    .is_some_and(|alias| glob::matches(pattern, alias.as_bytes(), true));
            if hit && !matched.iter().any(|(_, p)| std::ptr::eq(*p, param)) {
                matched.push((param.name.to_string(), param));
            }
        }
    }
    ctx.reply.map(matched.len());
    for (name, param) in matched {
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.bulk((param.get)(&ctx.server.config).as_bytes());
    }
    Ok(())
}

/// `CONFIG SET parameter value [parameter value ...]`: all or nothing. Every name is checked
/// before anything changes, and if one value is refused the ones already applied are restored.
pub fn set(ctx: &mut Ctx, args: &Args) -> CommandResult {
    if args.len() % 2 != 0 {
        return Err(CommandError::Syntax);
    }
    let config = &ctx.server.config;
    let mut changes: Vec<(&Param, String)> = Vec::new();
    for i in (2..args.len()).step_by(2) {
        let name = String::from_utf8_lossy(args.arg(i)).into_owned();
        let Some(param) = params::find(&name) else {
            return Err(CommandError::err(format!(
                "Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        let failed = |reason: &str| {
            CommandError::err(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - {reason}"
            ))
        };
        if !param.mutable {
            return Err(failed("can't set immutable config"));
        }
        if changes.iter().any(|(p, _)| std::ptr::eq(*p, param)) {
            return Err(failed("duplicate parameter"));
        }
        changes.push((param, String::from_utf8_lossy(args.arg(i + 1)).into_owned()));
    }
    let previous: Vec<String> = changes
        .iter()
        .map(|(param, _)| (param.get)(config))
        .collect();
    let restore = |applied: usize| {
        for ((param, _), old) in changes[..applied].iter().zip(&previous) {
            // Restoring a value the parameter held a moment ago cannot fail.
            let _ = (param.set)(config, old);
        }
    };
    for (applied, (param, value)) in changes.iter().enumerate() {
        if let Err(reason) = (param.set)(config, value) {
            restore(applied);
            return Err(CommandError::err(format!(
                "CONFIG SET failed (possibly related to argument '{}') - {reason}",
                param.name
            )));
        }
    }
    // Settings that act when they change (turning the AOF on writes a base first). Inside EXEC
    // that work is scheduled, as Redis does.
    if let Err(reason) = crate::persistence::apply_config(ctx.server, ctx.in_exec()) {
        restore(changes.len());
        return Err(CommandError::err(format!(
            "CONFIG SET failed (possibly related to argument 'appendonly') - {reason}"
        )));
    }
    ctx.reply.ok();
    Ok(())
}

/// `CONFIG RESETSTAT`: zeroes the counters INFO reports.
pub fn resetstat(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.server.stats.reset();
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
        ],
    );
    Ok(())
}
