//! Function commands: `FUNCTION LOAD | LIST | DELETE | FLUSH | DUMP | RESTORE | STATS | KILL |
//! HELP` on the server's libraries (`scripting::functions::Registry`), and `FCALL` /
//! `FCALL_RO`, which run one of their functions (Redis's functions.c).
//!
//! LOAD, DELETE, FLUSH and RESTORE are write handlers: each counts one change, so the command
//! is journaled as sent (the AOF replays it, which changes the registry again) and counted by
//! `rdb_changes_since_last_save`, as Redis's `server.dirty++`.

use std::sync::Arc;

use super::slowlog::subcommand_syntax_error;
use super::{Args, CommandError, CommandResult, Ctx, is_option, reply_help};
use crate::glob;
use crate::keyspace::Writer;
use crate::persistence::rdb;
use crate::scripting::busy;
use crate::scripting::functions::library::ENGINE;
use crate::scripting::functions::loading::LOAD_TIMEOUT;
use crate::scripting::functions::{Library, RestorePolicy, instances};
use crate::scripting::run::{self, Script, ScriptKind};

/// `FUNCTION LOAD [REPLACE] code`
pub fn load(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let mut replace = false;
    let mut next = 2;
    while next < args.len() - 1 {
        if !is_option(args.arg(next), "replace") {
            return Err(CommandError::err(format!(
                "Unknown option given: {}",
                String::from_utf8_lossy(args.arg(next))
            )));
        }
        replace = true;
        next += 1;
    }
    // Replayed from the AOF, the code runs however long it takes, as Redis's `mustObeyClient`.
    let time_limit = (!w.is_loading()).then_some(LOAD_TIMEOUT);
    let name = (ctx.server.functions)
        .load(args.arg(next), replace, time_limit)
        .map_err(CommandError::err)?;
    w.changed(1);
    ctx.reply.bulk(name.as_bytes());
    Ok(())
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`, each option at most once.
pub fn list(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let (mut with_code, mut pattern) = (false, None);
    let mut next = 2;
    while next < args.len() {
        let arg = args.arg(next);
        if !with_code && is_option(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && is_option(arg, "libraryname") {
            if next + 1 >= args.len() {
                return Err(CommandError::err("library name argument was not given"));
            }
            next += 1;
            pattern = Some(args.arg(next));
        } else {
            return Err(CommandError::err(format!(
                "Unknown argument {}",
                String::from_utf8_lossy(arg)
            )));
        }
        next += 1;
    }
    let libraries = ctx.server.functions.lock();
    let listed: Vec<&Library> = (libraries.iter())
        .filter(|library| pattern.is_none_or(|p| glob::matches(p, library.name.as_bytes(), true)))
        .map(|library| &**library)
        .collect();
    ctx.reply.array(listed.len());
    for library in listed {
        reply_library(ctx, library, with_code);
    }
    Ok(())
}

/// One library of FUNCTION LIST: a map of its name, engine, functions (and code).
fn reply_library(ctx: &mut Ctx, library: &Library, with_code: bool) {
    let reply = &mut ctx.reply;
    reply.map(if with_code { 4 } else { 3 });
    reply.bulk(b"library_name");
    reply.bulk(library.name.as_bytes());
    reply.bulk(b"engine");
    reply.bulk(ENGINE.as_bytes());
    reply.bulk(b"functions");
    reply.array(library.functions.len());
    for function in &library.functions {
        reply.map(3);
        reply.bulk(b"name");
        reply.bulk(function.name.as_bytes());
        reply.bulk(b"description");
        match &function.description {
            Some(description) => reply.bulk(description),
            None => reply.null(),
        }
        reply.bulk(b"flags");
        reply.set(function.flags.names().count());
        for flag in function.flags.names() {
            reply.simple(flag);
        }
    }
    if with_code {
        reply.bulk(b"library_code");
        reply.bulk(&library.code);
    }
}

/// `FUNCTION DELETE library`
pub fn delete(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    if !ctx.server.functions.delete(args.arg(2)) {
        return Err(CommandError::err("Library not found"));
    }
    w.changed(1);
    ctx.reply.ok();
    Ok(())
}

/// `FUNCTION FLUSH [ASYNC|SYNC]`: both modes free the libraries at once (they are small).
pub fn flush(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    match args.len() {
        2 => {}
        3 if is_option(args.arg(2), "sync") || is_option(args.arg(2), "async") => {}
        3 => {
            return Err(CommandError::err(
                "FUNCTION FLUSH only supports SYNC|ASYNC option",
            ));
        }
        _ => return Err(subcommand_syntax_error(args, "FUNCTION")),
    }
    ctx.server.functions.flush();
    // A flush is a write even with nothing to flush: Redis counts it, and replicates it.
    w.changed(1);
    ctx.reply.ok();
    Ok(())
}

/// `FUNCTION DUMP`: every library as `FUNCTION2` records in a DUMP envelope.
pub fn dump(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let compress = (ctx.server.config.rdbcompression).load(std::sync::atomic::Ordering::Relaxed);
    let mut records = Vec::new();
    rdb::functions::encode(&mut records, &ctx.server.functions.codes(), compress);
    ctx.reply.bulk(&rdb::dump::frame(records));
    Ok(())
}

/// `FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]`
pub fn restore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    if args.len() > 4 {
        return Err(subcommand_syntax_error(args, "FUNCTION"));
    }
    let policy = match args.len() {
        3 => RestorePolicy::Append,
        _ if is_option(args.arg(3), "append") => RestorePolicy::Append,
        _ if is_option(args.arg(3), "replace") => RestorePolicy::Replace,
        _ if is_option(args.arg(3), "flush") => RestorePolicy::Flush,
        _ => {
            return Err(CommandError::err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    };
    let records = rdb::dump::verified_body(args.arg(2), ctx.server.verify_rdb_checksum())
        .ok_or_else(|| CommandError::err("DUMP payload version or checksum are wrong"))?;
    let codes = rdb::functions::decode(records).map_err(CommandError::err)?;
    (ctx.server.functions)
        .restore(&codes, policy)
        .map_err(CommandError::err)?;
    w.changed(1);
    ctx.reply.ok();
    Ok(())
}

/// `FUNCTION STATS`: the running function, and the libraries and functions of the one engine.
/// While an EVAL script runs it answers BUSY, as Redis's does.
pub fn stats(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let running = busy::running(ctx.server);
    if running
        .as_ref()
        .is_some_and(|script| script.kind == ScriptKind::Eval)
    {
        return Err(CommandError::coded(busy::BUSY_EVAL));
    }
    let (library_count, function_count) = ctx.server.functions.counts();
    let reply = &mut ctx.reply;
    reply.map(2);
    reply.bulk(b"running_script");
    match running {
        None => reply.null(),
        Some(script) => {
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(script.name.as_bytes());
            reply.bulk(b"command");
            reply.array(script.args.len());
            for arg in &script.args {
                reply.bulk(arg);
            }
            reply.bulk(b"duration_ms");
            reply.integer(script.duration_ms as i64);
        }
    }
    reply.bulk(b"engines");
    reply.map(1);
    reply.bulk(ENGINE.as_bytes());
    reply.map(2);
    reply.bulk(b"libraries_count");
    reply.integer(library_count as i64);
    reply.bulk(b"functions_count");
    reply.integer(function_count as i64);
    Ok(())
}

/// `FUNCTION KILL`: stops the running function, if it has not written.
pub fn kill(ctx: &mut Ctx, _: &Args) -> CommandResult {
    busy::kill(ctx.server, ScriptKind::Function)?;
    ctx.reply.ok();
    Ok(())
}

/// `FCALL name numkeys key... arg...`
pub fn fcall(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    call_function(ctx, args, w, false)
}

/// `FCALL_RO name numkeys key... arg...`: the function may not write.
pub fn fcall_ro(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    call_function(ctx, args, w, true)
}

/// Finds the function, checks the keys, and runs it atomically with the held writer in this
/// thread's functions VM (Redis's `fcallCommandGeneric`).
fn call_function(ctx: &mut Ctx, args: &Args, w: &mut Writer, read_only: bool) -> CommandResult {
    let registry = &ctx.server.functions;
    let found = {
        let libraries = registry.lock();
        (libraries.function(args.arg(1)))
            .map(|(library, info)| (Arc::clone(library), info.clone(), registry.generation()))
    };
    let (library, info, generation) =
        found.ok_or_else(|| CommandError::err("Function not found"))?;
    // FCALL's own text for a numkeys that is no integer; the other checks are EVAL's.
    if crate::number::parse_i64(args.arg(2)).is_none() {
        return Err(CommandError::err("Bad number of keys provided"));
    }
    let (keys, argv) = run::split_keys(args)?;
    let ran = instances::with_callback(&library, &info.name, generation, |lua, callback| {
        let script = Script {
            kind: ScriptKind::Function,
            function: callback,
            name: &info.name,
            flags: info.flags,
            read_only,
        };
        run::run(ctx, w, lua, &script, args, &keys, &argv)
    });
    ran.map_err(CommandError::err)?
}

/// `FUNCTION HELP`
pub fn help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}
