//! Running a script atomically: EVAL's and FCALL's common machinery (Redis's `script.c`,
//! `luaCallFunction`, and `luaRedisGenericCommand`).
//!
//! # Atomic, like EXEC
//! A script runs with the writer of the exclusive lock its command holds (its row is
//! `WritePath`: not a write command for `COMMAND INFO` or the pauses, but always run on the
//! write path, or inside EXEC with EXEC's writer). Each `redis.call` runs its
//! command through [`crate::commands::execute_queued`], as EXEC runs a queued one: its own
//! statistics, journaling (the script's effects are journaled command by command, wrapped in
//! `MULTI`/`EXEC` when more than one, as Redis 7 replicates effects; `redis.set_repl` narrows
//! where a command's records go, to the AOF or the replicas only, or drops them), tracking and
//! monitors. Blocking commands do not block. The command's RESP reply, written in the protocol the
//! script chose (`redis.setresp`), is converted into Lua values (`convert.rs`).
//!
//! # Checks of each call (`scriptCall`)
//! Unknown command or wrong arity, `noscript` commands, on a stale replica those without the
//! `stale` flag, ACL (`acl::allowed_from_script`), writes from a read-only script (`EVAL_RO`,
//! `no-writes`), writes a read-only replica or the persistence gate refuses, and `denyoom`
//! commands when the script started past `maxmemory` and has not written yet. A refusal counts as the command's rejected call and as an error reply, and is
//! raised as an error table flagged `ignore_error_stats_update` so the script's own error reply
//! is not counted twice.
//!
//! # Errors
//! An error ending a script is replied as Redis's error handler (`__redis__err__handler`) and
//! `luaCallFunction` make it: an error string `s` becomes `ERR s`, an error table its `err`,
//! followed by ` script: <name>, on @user_script:<line>.` when the line is known.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::api::{self, ids};
use super::convert;
use super::flags::ScriptFlags;
use super::vm::set_protected_global;
use crate::commands::{
    Args, CommandError, CommandResult, Ctx, Flags, Resolved, execute_queued, lookup,
    lookup_subcommand, resolve,
};
use crate::config::Config;
use crate::keyspace::Writer;
use crate::keyspace::changes::Destination;
use crate::lua::{ErrorKind, Host, Lua, LuaError, TableRef, Value, number};
use crate::protocol::{Reply, Request};
use crate::switches::DebugSwitches;

thread_local! {
    /// This thread is running a script (for the few commands that behave differently when a
    /// script calls them, as Redis's `CLIENT_SCRIPT` flag tells them).
    static RUNNING_HERE: Cell<bool> = const { Cell::new(false) };
}

/// Whether the command running on this thread was called by a script.
pub fn running_here() -> bool {
    RUNNING_HERE.get()
}

/// EVAL (and EVALSHA, EVAL_RO...) or FCALL: they differ in how a script gets its keys and
/// arguments, and in the names their errors give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    Eval,
    Function,
}

/// A script about to run.
pub struct Script<'a> {
    pub kind: ScriptKind,
    /// The Lua function to call: EVAL's compiled chunk, or a function's callback.
    pub function: Value,
    /// The script's SHA or the function's name (Redis's `funcname`), in errors and logs.
    pub name: &'a str,
    pub flags: ScriptFlags,
    /// Run by a `*_RO` command: it may not write.
    pub read_only: bool,
}

/// A script's keys and its other arguments.
pub type KeysAndArgs<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>);

/// Splits `cmd name numkeys key... arg...` into keys and arguments, with EVAL's errors
/// (`evalGenericCommand`). `numkeys` must already be a valid integer for FCALL's own message;
/// here a bad one is `value is not an integer or out of range`.
pub fn split_keys(args: &Args) -> Result<KeysAndArgs<'_>, CommandError> {
    let numkeys = crate::commands::parse_int(args.arg(2))?;
    let mut keys: Vec<&[u8]> = args.iter().skip(3).collect();
    if numkeys > keys.len() as i64 {
        return Err(CommandError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CommandError::err("Number of keys can't be negative"));
    }
    let argv = keys.split_off(numkeys as usize);
    Ok((keys, argv))
}

/// Runs `script` with its keys and arguments, holding `writer`, and replies with what it
/// returns. `args` is the command that runs it (FUNCTION STATS shows it).
pub fn run(
    ctx: &mut Ctx,
    writer: &mut Writer,
    lua: &mut Lua,
    script: &Script,
    args: &Args,
    keys: &[&[u8]],
    argv: &[&[u8]],
) -> CommandResult {
    prepare(ctx, script)?;
    let call_args = match script.kind {
        ScriptKind::Eval => {
            ARRAY_NAMES.with(|[keys_name, argv_name]| {
                set_string_array(lua, keys_name, keys);
                set_string_array(lua, argv_name, argv);
            });
            vec![]
        }
        ScriptKind::Function => vec![string_array(lua, keys), string_array(lua, argv)],
    };
    let server = ctx.server;
    let (caller_db, caller_resp3) = (ctx.session.db, ctx.session.resp3);
    let compat = script.flags.contains(ScriptFlags::EVAL_COMPAT);
    let read_only = script.read_only || (!compat && script.flags.contains(ScriptFlags::NO_WRITES));
    let allow_oom = !compat && script.flags.contains(ScriptFlags::ALLOW_OOM);
    let running = server.scripting.busy.enter(script.kind, script.name, args);
    let mut host = ScriptHost {
        ctx,
        writer,
        kind: script.kind,
        resp3: false,
        read_only,
        oom_at_start: !allow_oom && over_maxmemory(server),
        wrote: false,
        propagate_to: Some(Destination::Everywhere),
        reply_buffer: Vec::new(),
        read_a_key: false,
    };
    RUNNING_HERE.set(true);
    let result = lua.call(&mut host, &script.function, call_args);
    RUNNING_HERE.set(false);
    let script_resp3 = host.resp3;
    if host.read_a_key && remembers_reads(ctx) {
        crate::tracking::remember_keys(ctx.server, &ctx.session.info, keys.iter().copied());
    }
    drop(running);
    ctx.session.db = caller_db;
    ctx.session.resp3 = caller_resp3;
    writer.select(caller_db);
    // The script's commands were journaled one by one: the command that ran it is not.
    writer.begin_command();
    // Inside EXEC (whose commands may not block) EXEC wraps its whole journal itself.
    if ctx.may_block {
        writer.journal_as_transaction();
    }
    match result {
        Ok(values) => {
            let value = values.into_iter().next().unwrap_or_default();
            reply(ctx, lua, value, script_resp3)
        }
        Err(error) => Err(script_error(&error, script.name)),
    }
}

/// Redis's `scriptPrepareForRun`: what a script's declared flags refuse before it starts. A
/// script without a shebang (`EVAL_COMPAT`) is judged command by command instead, but for a
/// stale replica, which runs none.
fn prepare(ctx: &Ctx, script: &Script) -> CommandResult {
    let flags = script.flags;
    let stale = crate::replication::serves_stale_data(ctx.server) == Some(false);
    if flags.contains(ScriptFlags::EVAL_COMPAT) {
        // EVAL's row allows it on a stale replica; its script, declaring nothing, may not run.
        return match stale {
            true => Err(CommandError::coded(MASTERDOWN)),
            false => Ok(()),
        };
    }
    if stale && !flags.contains(ScriptFlags::ALLOW_STALE) {
        return Err(CommandError::coded(
            "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.",
        ));
    }
    if !flags.contains(ScriptFlags::NO_WRITES) {
        if crate::replication::read_only_replica(ctx.server) && !ctx.must_obey() {
            return Err(CommandError::coded(
                "READONLY Can not run script with write flag on readonly replica",
            ));
        }
        if let Some(refusal) = crate::persistence::refuse_write(ctx.server, eval_row(), || true) {
            let rdb = refusal
                .message()
                .starts_with(b"MISCONF Redis is configured to save RDB");
            return Err(CommandError::coded(match rdb {
                true => "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.".to_string(),
                false => "MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.".to_string(),
            }));
        }
        if script.read_only {
            return Err(CommandError::err(
                "Can not execute a script with write flag using *_ro command.",
            ));
        }
        if !crate::commands::enough_replicas(ctx.server) {
            return Err(CommandError::coded(NOREPLICAS));
        }
    }
    if !flags.contains(ScriptFlags::ALLOW_OOM)
        && !flags.contains(ScriptFlags::NO_WRITES)
        && over_maxmemory(ctx.server)
    {
        return Err(CommandError::coded(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        ));
    }
    Ok(())
}

/// The row the persistence gate judges a writing script by: it only asks whether it writes.
fn eval_row() -> &'static crate::commands::Command {
    lookup(b"eval").expect("EVAL is in the table").command
}

/// Whether used memory is past `maxmemory` (Redis's `pre_command_oom_state`). The command's
/// own eviction attempt has already run (`commands::admit`).
fn over_maxmemory(server: &crate::server::Server) -> bool {
    let limit = Config::get(&server.config.maxmemory);
    limit > 0 && crate::memory::used_for_eviction(server) > limit as u64
}

/// Whether the caller tracks keys in default mode (not BCAST), so a script's reads count.
fn remembers_reads(ctx: &Ctx) -> bool {
    ctx.session.info.tracking.flags().remembers_reads()
}

/// A table of strings (KEYS, ARGV).
fn string_array(lua: &mut Lua, items: &[&[u8]]) -> Value {
    let table = lua.new_table();
    table.0.borrow_mut().array = items.iter().map(|item| Value::str(*item)).collect();
    Value::Table(table)
}

thread_local! {
    /// The globals `KEYS` and `ARGV` name, as keys made once (not per EVAL).
    static ARRAY_NAMES: [Value; 2] = [Value::str("KEYS"), Value::str("ARGV")];
}

/// Sets the global `name` (KEYS, ARGV) to a table of `items`. The previous EVAL's table is
/// refilled when only the globals hold it (they are read-only, so a script cannot have kept
/// it): making and freeing two tables was ~1,600 instructions of each EVALSHA (callgrind).
fn set_string_array(lua: &mut Lua, name: &Value, items: &[&[u8]]) {
    if let Value::Table(previous) = lua.globals().get(name) {
        // The globals' reference and `previous`.
        if Rc::strong_count(&previous.0) == 2 {
            let mut table = previous.0.borrow_mut();
            table.clear();
            table
                .array
                .extend(items.iter().map(|item| Value::str(*item)));
            return;
        }
    }
    let fresh = string_array(lua, items);
    set_protected_global(lua, name, fresh);
}

/// The reply to the script's command: its return value converted. A top-level error table is
/// the command's error (so it counts as failed), once only if it was counted already.
fn reply(ctx: &mut Ctx, lua: &mut Lua, value: Value, script_resp3: bool) -> CommandResult {
    if let Value::Table(table) = &value {
        if let Value::Str(message) = table.get_str("err") {
            let line = String::from_utf8_lossy(message.as_bytes()).into_owned();
            return Err(error_counted_or_not(table, line));
        }
    }
    convert::lua_to_reply(lua, &mut ctx.reply, &value, script_resp3);
    Ok(())
}

fn error_counted_or_not(table: &TableRef, line: String) -> CommandError {
    match table.get_str(IGNORE_STATS).truthy() {
        true => CommandError::Counted(line),
        false => CommandError::coded(line),
    }
}

const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
/// Redis's `shared.masterdownerr` and `shared.roslaveerr`.
const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
const READONLY_REPLICA: &str = "READONLY You can't write against a read only replica.";

/// The field Redis's error tables carry when their error was counted already.
const IGNORE_STATS: &str = "ignore_error_stats_update";

/// The reply to a script that raised an error (see the module documentation).
fn script_error(error: &LuaError, name: &str) -> CommandError {
    match &error.value {
        Value::Table(table) => {
            let message = match table.get_str("err") {
                Value::Str(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                _ => "ERR unknown error".to_owned(),
            };
            let line = match (table.get_str("source"), table.get_str("line")) {
                (Value::Str(source), Value::Number(line)) => format!(
                    "{message} script: {name}, on {}:{line}.",
                    String::from_utf8_lossy(source.as_bytes())
                ),
                _ => message,
            };
            error_counted_or_not(table, line)
        }
        value => {
            let text = match value {
                Value::Str(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                Value::Number(n) => number::to_string(*n),
                other => format!("{other:?}"),
            };
            match position_of(&text) {
                Some((source, line)) => {
                    CommandError::coded(format!("ERR {text} script: {name}, on @{source}:{line}."))
                }
                None => CommandError::coded(format!("ERR {text}")),
            }
        }
    }
}

/// The `chunk:line` an error message starts with (`user_script:3: ...`).
fn position_of(message: &str) -> Option<(&str, &str)> {
    let (source, rest) = message.split_once(':')?;
    let (line, _) = rest.split_once(':')?;
    (!source.is_empty() && !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
        .then_some((source, line))
}

/// Records in an error table where the script raised it (`source`, `line`), as Redis's error
/// handler does: the Lua function `level` calls up (see [`Lua::position`]).
fn mark_position(lua: &Lua, table: &TableRef, level: usize) {
    let position = lua.position(level);
    if let Some((source, line)) = position_of(&position) {
        if let Ok(line) = line.parse::<f64>() {
            table.set_str("source", Value::str(format!("@{source}")));
            table.set_str("line", Value::Number(line));
        }
    }
}

/// The script's side of the VM: answers `redis.call` and friends, and the hook.
struct ScriptHost<'c, 'a, 'w, 'd> {
    ctx: &'c mut Ctx<'a>,
    writer: &'w mut Writer<'d>,
    kind: ScriptKind,
    /// `redis.setresp(3)` was called: commands reply in RESP3, booleans are returned as such.
    resp3: bool,
    /// EVAL_RO, FCALL_RO or a `no-writes` script.
    read_only: bool,
    /// Used memory was past `maxmemory` when the script started (and it may not ignore it).
    oom_at_start: bool,
    /// It called a write command (Redis's `SCRIPT_WRITE_DIRTY`).
    wrote: bool,
    /// Where the effects of its next commands are journaled (`redis.set_repl`): `None` is
    /// nowhere (`REPL_NONE`).
    propagate_to: Option<Destination>,
    /// The buffer the commands it calls reply into, reused from one call to the next.
    reply_buffer: Vec<u8>,
    /// It called a read-only command: a caller that tracks keys remembers the script's
    /// declared keys (Redis's `call()` with `script_caller`).
    read_a_key: bool,
}

impl Host for ScriptHost<'_, '_, '_, '_> {
    fn call(&mut self, lua: &mut Lua, id: usize, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        let result = match id {
            ids::CALL => self.redis_call(lua, args, true),
            ids::PCALL => self.redis_call(lua, args, false),
            ids::SETRESP => self.setresp(lua, &args),
            ids::SET_REPL => self.set_repl(lua, &args),
            ids::ACL_CHECK_CMD => self.acl_check_cmd(lua, &args),
            _ => Err(LuaError::runtime(
                "attempt to call an unknown host function",
            )),
        };
        // What Redis's error handler adds to an error table where the script raised it.
        result.inspect_err(|error| {
            if let Value::Table(table) = &error.value {
                mark_position(lua, table, 1);
            }
        })
    }

    fn hook(&mut self, lua: &mut Lua) -> Result<(), LuaError> {
        let server = self.ctx.server;
        if !server.scripting.busy.interrupted(&server.config) {
            return Ok(());
        }
        let command = match self.kind {
            ScriptKind::Eval => "SCRIPT KILL",
            ScriptKind::Function => "FUNCTION KILL",
        };
        crate::log!(Warning, "Lua script killed by user with {command}.");
        let message = format!("Script killed by user with {command}...");
        let mut error = api::redis_error(lua, &message);
        if let Value::Table(table) = &error.value {
            mark_position(lua, table, 0);
        }
        error.kind = ErrorKind::Fatal;
        Err(error)
    }
}

impl ScriptHost<'_, '_, '_, '_> {
    /// `redis.call` (`raise`) and `redis.pcall`.
    fn redis_call(
        &mut self,
        lua: &mut Lua,
        args: Vec<Value>,
        raise: bool,
    ) -> Result<Vec<Value>, LuaError> {
        let reply = match command_args(&args) {
            Ok(argv) => self.run_command(&Request::from_args(&argv)),
            Err(message) => Err(message.to_owned()),
        };
        let (value, failed) = match reply {
            Ok(bytes) => {
                let failed = convert::is_error_reply(&bytes);
                let value = convert::reply_to_lua(lua, &bytes);
                self.reply_buffer = bytes;
                (value, failed)
            }
            Err(refusal) => {
                let table = api::error_table(lua, refusal.as_bytes());
                if let Value::Table(t) = &table {
                    t.set_str(IGNORE_STATS, Value::Bool(true));
                }
                (table, true)
            }
        };
        if raise && failed {
            if let Value::Table(t) = &value {
                t.set_str(IGNORE_STATS, Value::Bool(true));
            }
            return Err(LuaError::with_value(value));
        }
        Ok(vec![value])
    }

    /// Checks and runs one command for the script; its RESP reply, or the refusal's text.
    fn run_command(&mut self, request: &Request) -> Result<Vec<u8>, String> {
        let resolved = resolve(request).map_err(|error| match error {
            CommandError::WrongArity(_) => {
                "Wrong number of args calling Redis command from script".to_owned()
            }
            _ => "Unknown Redis command called from script".to_owned(),
        });
        let resolved = match resolved {
            Ok(resolved) => resolved,
            Err(message) => {
                self.count_rejection(None, &message);
                return Err(message);
            }
        };
        if let Err(message) = self.admit(resolved, request) {
            self.count_rejection(Some(resolved), &message);
            return Err(message);
        }
        if resolved.command.is_write() {
            self.wrote = true;
            self.ctx.server.scripting.busy.wrote();
        }
        Ok(self.execute(resolved, request))
    }

    /// The checks of Redis's `scriptCall` after the lookup; the refusal's error line.
    fn admit(&mut self, resolved: Resolved, request: &Request) -> Result<(), String> {
        let command = resolved.command;
        let text = |error: CommandError| String::from_utf8_lossy(&error.message()).into_owned();
        let deny_disabled = &self.ctx.server.switches.script_deny_disabled;
        if command.flags.contains(Flags::NOSCRIPT) && !DebugSwitches::is_on(deny_disabled) {
            return Err("This Redis command is not allowed from script".to_owned());
        }
        // Redis's `scriptVerifyAllowStale`: a stale replica runs only what it would run for a
        // client.
        let stale = crate::replication::serves_stale_data(self.ctx.server) == Some(false);
        if stale && !command.flags.contains(Flags::STALE) {
            return Err("Can not execute the command on a stale replica".to_owned());
        }
        crate::commands::acl::allowed_from_script(self.ctx, resolved, request).map_err(text)?;
        let writes = command.is_write() || command.flags.contains(Flags::MAY_REPLICATE);
        if self.read_only && writes {
            return Err("Write commands are not allowed from read-only scripts.".to_owned());
        }
        // Once a script has written, it may not fail on the server's state (Redis's
        // `scriptVerifyWriteCommandAllow`).
        if command.is_write() && !self.wrote && !self.ctx.must_obey() {
            let server = self.ctx.server;
            if crate::replication::read_only_replica(server) {
                return Err(format!("-{READONLY_REPLICA}"));
            }
            if let Some(refusal) = crate::persistence::refuse_write(server, command, || true) {
                return Err(format!("-{}", text(refusal)));
            }
            if !crate::commands::enough_replicas(server) {
                return Err(format!("-{NOREPLICAS}"));
            }
        }
        if self.oom_at_start
            && !self.wrote
            && !self.ctx.must_obey()
            && command.flags.contains(Flags::DENYOOM)
        {
            return Err("-OOM command not allowed when used memory > 'maxmemory'.".to_owned());
        }
        Ok(())
    }

    /// A refused call counts as its command's rejected call and as an error reply (Redis's
    /// `afterErrorReply` and `incrCommandStatsOnError` in `scriptCall`).
    fn count_rejection(&self, command: Option<Resolved>, message: &str) {
        let stats = &self.ctx.server.stats;
        stats.record_rejected(command.map(|c| c.id));
        let line = message.strip_prefix('-').map(str::to_owned);
        let line = line.unwrap_or_else(|| format!("ERR {message}"));
        stats.record_error(line.as_bytes());
    }

    /// Runs a checked command with the script's writer, in the script's protocol, and returns
    /// what it replied.
    fn execute(&mut self, resolved: Resolved, request: &Request) -> Vec<u8> {
        let ctx = &mut *self.ctx;
        let caller_resp3 = ctx.session.resp3;
        ctx.session.resp3 = self.resp3;
        let mut out = std::mem::take(&mut self.reply_buffer);
        out.clear();
        let mut inner = Ctx {
            server: ctx.server,
            session: &mut *ctx.session,
            reply: Reply::new(&mut out, self.resp3),
            now_ms: ctx.now_ms,
            now_us: ctx.now_us,
            may_block: false,
            held: None,
            expired_reads: RefCell::default(),
        };
        let journaled_before = self.writer.journal_len();
        self.read_a_key |= resolved.command.flags.contains(Flags::READONLY);
        execute_queued(&mut inner, resolved, request, self.writer);
        if self.propagate_to != Some(Destination::Everywhere) {
            self.writer
                .narrow_journal(journaled_before, self.propagate_to);
        }
        let expired = inner.expired_reads.take();
        ctx.session.resp3 = caller_resp3;
        // The writer is held: keys a read found expired go now, as Redis's lookups delete them.
        let db = ctx.session.db;
        for key in expired {
            self.writer.expire_now(db, &key);
        }
        out
    }

    /// `redis.setresp(2|3)`.
    fn setresp(&mut self, lua: &mut Lua, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        let [version] = args else {
            return Err(api::redis_error(
                lua,
                "redis.setresp() requires one argument.",
            ));
        };
        match number::coerce_to_number(version).map(|n| n as i64) {
            Some(2) => self.resp3 = false,
            Some(3) => self.resp3 = true,
            _ => return Err(api::redis_error(lua, "RESP version must be 2 or 3.")),
        }
        Ok(vec![])
    }

    /// `redis.set_repl(flags)` (Redis's `luaRedisSetReplCommand`): where the effects of the
    /// script's next commands go, the append-only file and/or the replicas.
    fn set_repl(&mut self, lua: &mut Lua, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        let [flags] = args else {
            return Err(api::redis_error(
                lua,
                "redis.set_repl() requires two arguments.",
            ));
        };
        let flags = number::coerce_to_number(flags).unwrap_or(0.0) as i64;
        let (aof, replicas) = (i64::from(api::REPL_AOF), i64::from(api::REPL_REPLICA));
        if flags & !(aof | replicas) != 0 {
            return Err(api::redis_error(
                lua,
                "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
            ));
        }
        self.propagate_to = match (flags & aof != 0, flags & replicas != 0) {
            (true, true) => Some(Destination::Everywhere),
            (true, false) => Some(Destination::Aof),
            (false, true) => Some(Destination::Replicas),
            (false, false) => None,
        };
        Ok(vec![])
    }

    /// `redis.acl_check_cmd(command, args...)`: whether the script's user may run it.
    fn acl_check_cmd(&mut self, lua: &mut Lua, args: &[Value]) -> Result<Vec<Value>, LuaError> {
        let argv = command_args(args).map_err(|message| api::redis_error(lua, message))?;
        let request = Request::from_args(&argv);
        let resolved = lookup(request.arg(0)).and_then(|resolved| {
            match resolved.command.subcommands.is_empty() || request.len() < 2 {
                true => Some(resolved),
                false => lookup_subcommand(resolved, request.arg(1)),
            }
        });
        let Some(resolved) = resolved else {
            return Err(api::redis_error(
                lua,
                "Invalid command passed to redis.acl_check_cmd()",
            ));
        };
        let session = &mut *self.ctx.session;
        session.login.refresh(&self.ctx.server.acl);
        let allowed = session.login.user.check(resolved, &request).is_ok();
        Ok(vec![Value::Bool(allowed)])
    }
}

/// A command's arguments from Lua values (Redis's `luaArgsToRedisArgv`): strings as they are,
/// numbers as `%.17g`; anything else is refused. Strings are borrowed, not copied: the
/// request is built from them at once (a copy of each was one allocation per argument).
fn command_args(args: &[Value]) -> Result<Vec<Cow<'_, [u8]>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    args.iter()
        .map(|arg| match arg {
            Value::Str(s) => Ok(Cow::Borrowed(s.as_bytes())),
            Value::Number(n) => Ok(Cow::Owned(
                crate::number::DoubleBuf::new()
                    .format(*n)
                    .as_bytes()
                    .to_vec(),
            )),
            _ => Err("Lua redis lib command arguments must be strings or integers"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numkeys_splits_keys_from_arguments() {
        let args = Request::from_args(&["eval", "s", "2", "a", "b", "c"]);
        let (keys, argv) = split_keys(&args).unwrap();
        assert_eq!(keys, [b"a", b"b"]);
        assert_eq!(argv, [b"c"]);
        let args = Request::from_args(&["eval", "s", "3", "a"]);
        assert_eq!(
            split_keys(&args).unwrap_err().message(),
            b"ERR Number of keys can't be greater than number of args"
        );
        let args = Request::from_args(&["eval", "s", "-1"]);
        assert_eq!(
            split_keys(&args).unwrap_err().message(),
            b"ERR Number of keys can't be negative"
        );
    }

    #[test]
    fn errors_name_the_script_and_line() {
        let error = LuaError::with_value(Value::str("user_script:3: oops"));
        assert_eq!(
            script_error(&error, "abc").message(),
            b"ERR user_script:3: oops script: abc, on @user_script:3."
        );
        let error = LuaError::with_value(Value::str("no position"));
        assert_eq!(script_error(&error, "abc").message(), b"ERR no position");
    }

    #[test]
    fn lua_arguments_become_command_arguments() {
        let args = [Value::str("set"), Value::Number(1.0), Value::Number(0.5)];
        assert_eq!(
            command_args(&args).unwrap(),
            [b"set".to_vec(), b"1".to_vec(), b"0.5".to_vec()]
        );
        assert!(command_args(&[]).is_err());
        assert!(command_args(&[Value::Bool(true)]).is_err());
    }

    #[test]
    fn keys_are_refilled_only_when_no_one_else_holds_them() {
        let mut lua = crate::scripting::vm::sandboxed();
        let name = Value::str("KEYS");
        set_string_array(&mut lua, &name, &[b"a"]);
        let Value::Table(first) = lua.globals().get(&name) else {
            panic!("KEYS is a table");
        };
        // What a script left in it goes: its fields, its metatable.
        let _ = first.set(Value::str("x"), Value::Number(1.0));
        first.0.borrow_mut().metatable = Some(lua.new_table());
        let first_address = Rc::as_ptr(&first.0);
        drop(first);
        set_string_array(&mut lua, &name, &[b"b", b"c"]);
        let Value::Table(second) = lua.globals().get(&name) else {
            panic!("KEYS is a table");
        };
        assert_eq!(Rc::as_ptr(&second.0), first_address, "refilled in place");
        assert!(second.get_str("x").is_nil() && second.metatable().is_none());
        assert_eq!(second.len(), 2);
        assert!(second.get_int(1).raw_eq(&Value::str("b")));
        // Held elsewhere (a script made a cycle of it): a new table, the old one untouched.
        let kept = second.clone();
        set_string_array(&mut lua, &name, &[b"d"]);
        let Value::Table(third) = lua.globals().get(&name) else {
            panic!("KEYS is a table");
        };
        assert!(!third.ptr_eq(&kept));
        assert!(kept.get_int(1).raw_eq(&Value::str("b")));
        assert!(third.get_int(1).raw_eq(&Value::str("d")));
    }
}
