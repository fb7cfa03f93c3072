//! `DEBUG`: the subcommands test suites rely on. Like Redis, refused unless
//! `enable-debug-command` allows it (the `PROTECTED` flag on its table row). `DIGEST`,
//! `DIGEST-VALUE`, `RELOAD` and `LOADAOF` are persistence's (see `persistence/digest.rs`); the
//! switches (`PAUSE-CRON`, `SET-ACTIVE-EXPIRE`...) are `switches.rs`'s; `OBJECT` and `PROTOCOL`
//! have modules of their own.

mod object;
mod samples;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_positive, reply_help};
use crate::config::param::parse_memory;
use crate::keyspace::changes::Destination;
use crate::keyspace::{Ttl, Value};
use crate::number::IntBuf;
use crate::persistence::{
    self,
    rdb::load::{LoadOptions, load_file},
};
use crate::random::Rng;
use crate::switches::DebugSwitches;
use crate::{glob, log, number};

/// The subcommands, by name and argument count as Redis matches them. Those Redis has and
/// thredis does not (crashes on purpose, allocator and encoding internals, replication) are
/// listed in the README with why.
pub fn debug(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let sub = args.arg(1);
    let arg = |i| args.arg(i);
    match args.len() {
        2 if is_option(sub, "help") => help(ctx),
        2 if is_option(sub, "digest") => {
            let digest = persistence::digest::dataset(&ctx.databases());
            ctx.reply.simple(&digest);
            Ok(())
        }
        _ if is_option(sub, "digest-value") => digest_values(ctx, args),
        _ if is_option(sub, "reload") => reload(ctx, args),
        2 if is_option(sub, "loadaof") => {
            refuse_in_exec(ctx, "LOADAOF")?;
            persistence::reload_append_only_file(ctx.server, ctx.now_ms)?;
            ok(ctx)
        }
        2 if is_option(sub, "config-rewrite-force-all") => {
            super::config::rewrite_file(ctx, true)?.map_err(|reason| {
                CommandError::err(format!("CONFIG-REWRITE-FORCE-ALL failed: {reason}"))
            })?;
            ok(ctx)
        }
        2 if is_option(sub, "change-repl-id") => {
            log!(
                Warning,
                "Changing replication IDs after receiving DEBUG change-repl-id"
            );
            ctx.server.replication.change_replid();
            ok(ctx)
        }
        // Sends a command to the replicas only, as if a write had journaled it: how Redis's
        // tests make a replica's data diverge (`replicationFeedSlaves`).
        3.. if is_option(sub, "replicate") => {
            let command: Vec<&[u8]> = args.iter().skip(2).collect();
            ctx.server.write(ctx.session.db, ctx.now_ms, |w| {
                let start = w.journal_len();
                w.propagate(&command);
                w.narrow_journal(start, Some(Destination::Replicas));
            });
            ok(ctx)
        }
        2 if is_option(sub, "stringmatch-test") => {
            stringmatch_fuzz();
            ctx.reply
                .simple("Apparently Redis did not crash: test passed");
            Ok(())
        }
        3 if is_option(sub, "error") => {
            // An error reply is one line: newlines in the text become spaces, as in Redis.
            let text: Vec<u8> = arg(2)
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            ctx.reply.error(&text);
            Ok(())
        }
        3 if is_option(sub, "sleep") => sleep(ctx, arg(2)),
        3 if is_option(sub, "set-active-expire") => {
            switch(ctx, &ctx.server.switches.active_expire, arg(2))
        }
        3 if is_option(sub, "pause-cron") => switch(ctx, &ctx.server.switches.cron_paused, arg(2)),
        3 if is_option(sub, "set-skip-checksum-validation") => {
            switch(ctx, &ctx.server.switches.skip_checksum_validation, arg(2))
        }
        3 if is_option(sub, "set-disable-deny-scripts") => {
            switch(ctx, &ctx.server.switches.script_deny_disabled, arg(2))
        }
        3 if is_option(sub, "aof-flush-sleep") => {
            let micros = u64::try_from(atoi(arg(2))).unwrap_or(0);
            let aof = &ctx.server.persistence.aof;
            aof.flush_sleep_us.store(micros, Ordering::Relaxed);
            ok(ctx)
        }
        3 if is_option(sub, "object") => object::object(ctx, arg(2)),
        3 if is_option(sub, "protocol") => samples::protocol(ctx, arg(2)),
        3 if is_option(sub, "quicklist-packed-threshold") => packed_threshold(ctx, arg(2)),
        3 if is_option(sub, "log") => {
            log!(Warning, "DEBUG LOG: {}", String::from_utf8_lossy(arg(2)));
            ok(ctx)
        }
        3..=5 if is_option(sub, "populate") => populate(ctx, args),
        4 if is_option(sub, "replybuffer") => reply_buffer(ctx, arg(2), arg(3)),
        _ => Err(CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(sub)
        ))),
    }
}

/// `DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms>` and `REPLYBUFFER RESIZING <0|1>`:
/// checked as Redis checks them, with nothing to change: thredis has no cron that resizes
/// reply buffers (a connection's buffer shrinks as soon as a big reply is written, see
/// `connection.rs`), so tests that set these run on as they would on Redis.
fn reply_buffer(ctx: &mut Ctx, setting: &[u8], value: &[u8]) -> CommandResult {
    if is_option(setting, "peak-reset-time") {
        if !is_option(value, "never") && !is_option(value, "reset") {
            number::parse_i64(value).ok_or(CommandError::NotInteger)?;
        }
    } else if !is_option(setting, "resizing") {
        return Err(CommandError::err(format!(
            "unknown subcommand '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(&setting[..setting.len().min(128)])
        )));
    }
    ok(ctx)
}

fn ok(ctx: &mut Ctx) -> CommandResult {
    ctx.reply.ok();
    Ok(())
}

/// A `0|1` switch, read with C's `atoi` as Redis reads it: anything but a non-zero number is 0.
fn switch(ctx: &mut Ctx, switch: &AtomicBool, value: &[u8]) -> CommandResult {
    DebugSwitches::flip(switch, atoi(value) != 0);
    ok(ctx)
}

/// C's `atoi`: optional blanks and sign, then the digits up to the first non-digit; 0 if none.
fn atoi(text: &[u8]) -> i64 {
    let text = text.trim_ascii_start();
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let n = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if negative { -n } else { n }
}

fn digest_values(ctx: &mut Ctx, args: &Args) -> CommandResult {
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

/// `DEBUG POPULATE count [prefix] [size]`: creates string keys `prefix:N` holding `value:N`
/// (cut or zero-padded to `size` bytes), skipping names that exist. Like Redis, the keys are
/// not journaled: neither the AOF nor a replica sees them.
fn populate(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let count = parse_positive(args.arg(2), None)?;
    let size = match args.len() {
        5 => Some(parse_positive(args.arg(4), None)? as usize),
        _ => None,
    };
    let prefix = if args.len() >= 4 { args.arg(3) } else { b"key" };
    refuse_in_exec(ctx, "POPULATE")?;
    let mut buf = IntBuf::new();
    ctx.server.write(ctx.session.db, ctx.now_ms, |w| {
        for n in 0..count {
            let n = buf.format(n);
            let key = [prefix, b":", n].concat();
            if w.exists(&key) {
                continue;
            }
            let mut value = [b"value:", n].concat();
            if let Some(size) = size.filter(|&size| size > 0) {
                value.resize(size, 0);
            }
            w.set(&key, Value::string(&value), Ttl::Clear);
        }
    });
    ok(ctx)
}

/// `DEBUG STRINGMATCH-TEST`: matches random patterns against random strings, made of the
/// characters glob syntax gives meaning to, to show the matcher neither panics nor recurses
/// without bound on hostile patterns (KEYS and SCAN MATCH take them from clients).
fn stringmatch_fuzz() {
    const ALPHABET: &[u8] = b"*?[]^-\\ab";
    let mut rng = Rng::new();
    let random_text = |rng: &mut Rng| -> Vec<u8> {
        let len = rng.below(32) as usize;
        (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
            .collect()
    };
    for _ in 0..100_000 {
        let pattern = random_text(&mut rng);
        let text = random_text(&mut rng);
        glob::matches(&pattern, &text, rng.below(2) == 0);
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
            replace_existing: merge,
            ..persistence::load_options(server, ctx.now_ms)
        };
        match load_file(&path, databases, options) {
            Ok(Some(loaded)) => persistence::add_loaded_libraries(server, &loaded.libraries, merge)
                .map_err(|_| CommandError::err("Error trying to load the RDB dump")),
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

fn help(ctx: &mut Ctx) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "DEBUG",
        &[
            "AOF-FLUSH-SLEEP <microsec>",
            "    Server will sleep before flushing the AOF, this is used for testing.",
            "CHANGE-REPL-ID",
            "    Change the replication IDs of the instance.",
            "    Dangerous: should be used only for testing the replication subsystem.",
            "CONFIG-REWRITE-FORCE-ALL",
            "    Like CONFIG REWRITE but writes all configuration options, including",
            "    keywords not listed in original configuration file or default values.",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "LOADAOF",
            "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "REPLICATE <string>",
            "    Replicates the provided string to replicas, allowing data divergence.",
            "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
            "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
            "    In case NEVER is provided the last observed peak will never be reset",
            "    In case RESET is provided the peak reset time will be restored to the default value",
            "REPLYBUFFER RESIZING <0|1>",
            "    Enable or disable the reply buffer resize cron job",
            "OBJECT <key>",
            "    Show low level info about the `key` and associated value.",
            "PAUSE-CRON <0|1>",
            "    Stop periodic cron job processing.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>. If <prefix> is specified then",
            "    it is used instead of the 'key' prefix. These are not propagated to",
            "    replicas.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type. <type> can be: string,",
            "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
            "    true, false.",
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
            "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
            "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "STRINGMATCH-TEST",
            "    Run a fuzz tester against the stringmatchlen() function.",
        ],
    );
    Ok(())
}
