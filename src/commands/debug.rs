//! `DEBUG`: the subcommands test suites rely on. Like Redis, refused unless
//! `enable-debug-command` allows it (the `PROTECTED` flag on its table row). `DIGEST`,
//! `DIGEST-VALUE`, `RELOAD` and `LOADAOF` are persistence's (see `persistence/digest.rs`).

use std::time::Duration;

use super::{Args, CommandError, CommandResult, Ctx, is_option, reply_help};
use crate::config::param::parse_memory;
use crate::keyspace::Value;
use crate::persistence::{
    self,
    rdb::load::{LoadOptions, load_file},
};
use crate::{log, number};

/// `DEBUG SLEEP seconds`, `DEBUG SET-ACTIVE-EXPIRE 0|1`, `DEBUG OBJECT key`, `DEBUG LOG message`,
/// `DEBUG DIGEST`, `DEBUG DIGEST-VALUE key...`, `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]`,
/// `DEBUG LOADAOF`, `DEBUG QUICKLIST-PACKED-THRESHOLD size`, `DEBUG HELP`.
pub fn debug(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let sub = args.arg(1);
    match args.len() {
        2 if is_option(sub, "digest") => {
            let digest = persistence::digest::dataset(&ctx.databases());
            ctx.reply.simple(&digest);
            Ok(())
        }
        _ if is_option(sub, "digest-value") => {
            let databases = ctx.databases();
            let db = databases.db(ctx.session.db);
            let digests: Vec<String> = args
                .iter()
                .skip(2)
                .map(|key| persistence::digest::key(db, key))
                .collect();
            drop(databases);
            ctx.reply.array(digests.len());
            digests.iter().for_each(|digest| ctx.reply.simple(digest));
            Ok(())
        }
        _ if is_option(sub, "reload") => reload(ctx, args),
        2 if is_option(sub, "loadaof") => {
            refuse_in_exec(ctx, "LOADAOF")?;
            persistence::reload_append_only_file(ctx.server, ctx.now_ms)?;
            ctx.reply.ok();
            Ok(())
        }
        2 if is_option(sub, "help") => help(ctx),
        2 if is_option(sub, "config-rewrite-force-all") => {
            super::config::rewrite_file(ctx, true)?.map_err(|reason| {
                CommandError::err(format!("CONFIG-REWRITE-FORCE-ALL failed: {reason}"))
            })?;
            ctx.reply.ok();
            Ok(())
        }
        3 if is_option(sub, "sleep") => sleep(ctx, args.arg(2)),
        3 if is_option(sub, "set-active-expire") => {
            let enabled = number::parse_i64(args.arg(2)).unwrap_or(0) != 0;
            ctx.server
                .active_expire
                .store(enabled, std::sync::atomic::Ordering::Relaxed);
            ctx.reply.ok();
            Ok(())
        }
        3 if is_option(sub, "object") => object(ctx, args.arg(2)),
        3 if is_option(sub, "quicklist-packed-threshold") => packed_threshold(ctx, args.arg(2)),
        3 if is_option(sub, "log") => {
            log!(
                Warning,
                "DEBUG LOG: {}",
                String::from_utf8_lossy(args.arg(2))
            );
            ctx.reply.ok();
            Ok(())
        }
        _ => Err(CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(sub)
        ))),
    }
}

/// `DEBUG QUICKLIST-PACKED-THRESHOLD size`: in Redis, the element size from which a list stores
/// an element in a node of its own ("plain") rather than packed with others. thredis keeps every
/// list element the same way (one `VecDeque` of byte strings), so there is no threshold to move:
/// the size is checked as Redis checks it (a memory value below 4 GB - 1 MB; 0 restores the
/// default) and the reply is `+OK`, so suites that exercise lists of large elements this way run.
/// (README, "Deliberate differences".)
fn packed_threshold(ctx: &mut Ctx, size: &[u8]) -> CommandResult {
    const LIMIT: i64 = (1 << 32) - (1 << 20);
    let size = std::str::from_utf8(size).ok().and_then(parse_memory);
    if size.is_none_or(|size| size > LIMIT) {
        return Err(CommandError::err(
            "argument must be a memory value bigger than 1 and smaller than 4gb",
        ));
    }
    ctx.reply.ok();
    Ok(())
}

/// `DEBUG SLEEP`: Redis's single thread sleeps, so every client waits. thredis holds the
/// keyspace's write lock for the duration, which stalls every command that touches data, the
/// same effect for all a test can observe. Inside EXEC the transaction holds it already.
fn sleep(ctx: &mut Ctx, seconds: &[u8]) -> CommandResult {
    // Redis reads it with strtod and no error check: garbage means 0.
    let seconds = number::parse_f64(seconds).unwrap_or(0.0).max(0.0);
    let duration = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO);
    if ctx.in_exec() {
        std::thread::sleep(duration);
    } else {
        ctx.server
            .keyspace
            .write(ctx.session.db, ctx.now_ms, |_| std::thread::sleep(duration));
    }
    ctx.reply.ok();
    Ok(())
}

/// `DEBUG RELOAD`: saves the RDB file, empties the databases and loads the file back, all under
/// the exclusive lock, so clients see the dataset before or after, never in between. `MERGE`
/// lets loaded keys replace existing ones, `NOFLUSH` keeps the current data, `NOSAVE` loads the
/// file as it is.
fn reload(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for option in args.iter().skip(2) {
        if is_option(option, "merge") {
            merge = true;
        } else if is_option(option, "noflush") {
            flush = false;
        } else if is_option(option, "nosave") {
            save = false;
        } else {
            return Err(CommandError::err(
                "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    refuse_in_exec(ctx, "RELOAD")?;
    let server = ctx.server;
    let path = std::path::PathBuf::from(crate::config::read(&server.config.dbfilename));
    server.keyspace.write(ctx.session.db, ctx.now_ms, |w| {
        let databases = w.databases();
        if save {
            persistence::jobs::save_now(server, databases)
                .map_err(|_| CommandError::coded("ERR"))?;
        }
        if flush {
            persistence::empty_databases(server, databases, ctx.now_ms);
        }
        let options = LoadOptions {
            now_ms: ctx.now_ms,
            keep_expired: false,
            verify_checksum: server.config.rdbchecksum(),
            replace_existing: merge,
        };
        match load_file(&path, databases, options) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(CommandError::err("Error trying to load the RDB dump")),
            Err(error) => {
                error.log();
                Err(CommandError::err("Error trying to load the RDB dump"))
            }
        }
    })?;
    log!(Warning, "DB reloaded by DEBUG RELOAD");
    ctx.reply.ok();
    Ok(())
}

/// `DEBUG RELOAD` and `DEBUG LOADAOF` replace the databases, which a transaction holds (and
/// reads) while it runs: not from inside one.
fn refuse_in_exec(ctx: &Ctx, subcommand: &str) -> CommandResult {
    if ctx.in_exec() {
        return Err(CommandError::err(format!(
            "DEBUG {subcommand} is not allowed inside a transaction"
        )));
    }
    Ok(())
}

/// `DEBUG OBJECT key`: a status line about the value. The serialized length is what an RDB file
/// would hold without compression.
fn object(ctx: &mut Ctx, key: &[u8]) -> CommandResult {
    let databases = ctx.databases();
    let entry = databases
        .db(ctx.session.db)
        .get(key, ctx.now_ms)
        .ok_or(CommandError::NoSuchKey)?;
    let idle = entry.idle_seconds(ctx.now_ms);
    let line = format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        entry.value(),
        entry.value().encoding(),
        serialized_length(entry.value()),
        ((ctx.now_ms / 1000) as u64).wrapping_sub(u64::from(idle)) & 0xFF_FFFF,
        idle
    );
    drop(databases);
    ctx.reply.simple(&line);
    Ok(())
}

/// The size of a value in an RDB file (Redis's `rdbSavedObjectLen`), before compression, with
/// collections counted as their plain (non-compact) RDB encodings.
fn serialized_length(value: &Value) -> usize {
    match value {
        Value::String(s) => string_length(s.as_bytes()),
        Value::List { list, .. } => {
            length_prefix(list.len()) + list.iter().map(|item| string_length(item)).sum::<usize>()
        }
        Value::Set { set, .. } => {
            length_prefix(set.len())
                + set
                    .iter()
                    .map(|member| string_length(member))
                    .sum::<usize>()
        }
        Value::Hash { hash, .. } => {
            length_prefix(hash.len())
                + hash
                    .iter()
                    .map(|(field, value)| string_length(field) + string_length(value))
                    .sum::<usize>()
        }
    }
}

/// A string as RDB stores it: integers that fit 8, 16 or 32 bits in their compact form,
/// anything else as a length and the bytes.
fn string_length(bytes: &[u8]) -> usize {
    match crate::number::parse_i64(bytes) {
        Some(n) if i8::try_from(n).is_ok() => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if i32::try_from(n).is_ok() => 5,
        _ => length_prefix(bytes.len()) + bytes.len(),
    }
}

/// The bytes of an RDB length field.
fn length_prefix(len: usize) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else if len <= u32::MAX as usize {
        5
    } else {
        9
    }
}

fn help(ctx: &mut Ctx) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "DEBUG",
        &[
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "LOADAOF",
            "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "OBJECT <key>",
            "    Show low level info about the `key` and associated value.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Accepted for compatibility: thredis stores every list element alike (see README).",
            "RELOAD [option ...]",
            "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
            "    * MERGE: conflicting keys will be loaded from RDB.",
            "    * NOFLUSH: the existing database will not be removed before load, but",
            "      conflicting keys will generate an exception and kill the server.",
            "    * NOSAVE: the database will be loaded from an existing RDB file.",
            "    Examples:",
            "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
            "      the database.",
            "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
            "      existing RDB file.",
            "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
            "      file to the database.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ],
    );
    Ok(())
}
