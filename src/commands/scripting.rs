//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD / EXISTS / FLUSH / KILL / DEBUG / HELP
//! (Redis's `eval.c`). Finding and compiling the script is here; running it is
//! `scripting::run`, the VM and the cache are `scripting::vm` and `scripting::cache`.

use super::{Args, CommandError, CommandResult, Ctx, is_option, reply_help};
use crate::keyspace::Writer;
use crate::scripting::cache::{CachedScript, ScriptCache};
use crate::scripting::flags;
use crate::scripting::run::{self, Script, ScriptKind};
use crate::scripting::sha1::sha1_hex;
use crate::scripting::vm::{CompiledScript, EvalVm, with_eval_vm};

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// How an EVAL-family command names its script.
#[derive(Clone, Copy)]
enum Source {
    /// EVAL, EVAL_RO: the body itself.
    Body,
    /// EVALSHA, EVALSHA_RO: the SHA-1 of a cached body.
    Sha,
}

/// `EVAL script numkeys [key ...] [arg ...]`
pub fn eval(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    eval_generic(ctx, args, w, Source::Body, false)
}

/// `EVAL_RO script numkeys [key ...] [arg ...]`
pub fn eval_ro(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    eval_generic(ctx, args, w, Source::Body, true)
}

/// `EVALSHA sha1 numkeys [key ...] [arg ...]`
pub fn evalsha(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    eval_generic(ctx, args, w, Source::Sha, false)
}

/// `EVALSHA_RO sha1 numkeys [key ...] [arg ...]`
pub fn evalsha_ro(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    eval_generic(ctx, args, w, Source::Sha, true)
}

/// Redis's `evalGenericCommand`: keys and arguments, the script (cached, or compiled and
/// cached), then the run.
fn eval_generic(
    ctx: &mut Ctx,
    args: &Args,
    w: &mut Writer,
    source: Source,
    read_only: bool,
) -> CommandResult {
    // A SHA that is not 40 characters long cannot match (Redis checks it first).
    if matches!(source, Source::Sha) && args.arg(1).len() != 40 {
        return Err(CommandError::coded(NOSCRIPT));
    }
    let (keys, argv) = run::split_keys(args)?;
    let sha = match source {
        Source::Body => sha1_hex(args.arg(1)),
        Source::Sha => lowercase_sha(args.arg(1)),
    };
    let cache = &ctx.server.scripting.cache;
    let ran = with_eval_vm(cache.generation(), |vm| {
        // Fast path: a script this thread compiled is cached (see `EvalVm::compiled`). Going
        // to the server-wide cache every time (its lock, a copy of the entry, a re-insert, the
        // shebang parsed again) was ~2,600 instructions of each EVALSHA (callgrind).
        let compiled = match vm.compiled(&sha) {
            Some(compiled) => compiled,
            None => {
                let cached = cached_or_new(cache, source, args, &sha)?;
                let compiled = compile(vm, &sha, &cached)?;
                cache.insert(&sha, cached);
                compiled
            }
        };
        let script = Script {
            kind: ScriptKind::Eval,
            function: compiled.function,
            // Redis names an EVAL script by its SHA in errors (its function is `f_<sha>`).
            name: &sha,
            flags: compiled.flags,
            read_only,
        };
        let result = run::run(ctx, w, &mut vm.lua, &script, args, &keys, &argv);
        vm.after_run();
        result
    });
    // The VM is busy: the script's own errors (NOSCRIPT, bad flags) still come first.
    ran.unwrap_or_else(|| cached_or_new(cache, source, args, &sha).and(Err(nested())))
}

/// EVALSHA's SHA in lowercase, as the cache keys it. (`from_utf8` first: the lossy
/// conversion walks the bytes one by one, ~300 instructions per call.)
fn lowercase_sha(arg: &[u8]) -> String {
    match std::str::from_utf8(arg) {
        Ok(text) => text.to_ascii_lowercase(),
        Err(_) => String::from_utf8_lossy(arg).to_ascii_lowercase(),
    }
}

/// The script from the server-wide cache or, for EVAL, from its body.
fn cached_or_new(
    cache: &ScriptCache,
    source: Source,
    args: &Args,
    sha: &str,
) -> Result<CachedScript, CommandError> {
    match source {
        Source::Body => cache.get(sha).map_or_else(|| new_script(args.arg(1)), Ok),
        Source::Sha => cache.get(sha).ok_or(CommandError::coded(NOSCRIPT)),
    }
}

/// A script running an EVAL-family command refuses it: the thread's VM is in use (only
/// `DEBUG SET-DISABLE-DENY-SCRIPTS` lets a script try).
fn nested() -> CommandError {
    CommandError::err("This Redis command is not allowed from script")
}

/// A script seen for the first time: its body and the flags its shebang declares.
fn new_script(body: &[u8]) -> Result<CachedScript, CommandError> {
    let (flags, _) = flags::from_shebang(body).map_err(CommandError::err)?;
    Ok(CachedScript {
        body: body.into(),
        flags,
    })
}

/// Compiles a cached script in this thread's VM.
fn compile(
    vm: &mut EvalVm,
    sha: &str,
    script: &CachedScript,
) -> Result<CompiledScript, CommandError> {
    let (_, shebang_len) = flags::from_shebang(&script.body).map_err(CommandError::err)?;
    vm.compile(sha, &script.body, shebang_len, script.flags)
        .map_err(CommandError::err)
}

/// `SCRIPT LOAD script`: compiles and caches the script, replies its SHA-1.
pub fn script_load(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let body = args.arg(2);
    let sha = sha1_hex(body);
    let cache = &ctx.server.scripting.cache;
    if !cache.contains(&sha) {
        let script = new_script(body)?;
        with_eval_vm(cache.generation(), |vm| compile(vm, &sha, &script)).ok_or_else(nested)??;
        cache.insert(&sha, script);
    }
    ctx.reply.bulk(sha.as_bytes());
    Ok(())
}

/// `SCRIPT EXISTS sha1 [sha1 ...]`: 1 or 0 for each (SHAs compare case-insensitively).
pub fn script_exists(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let cache = &ctx.server.scripting.cache;
    ctx.reply.array(args.len() - 2);
    for sha in args.iter().skip(2) {
        let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
        ctx.reply.integer(i64::from(cache.contains(&sha)));
    }
    Ok(())
}

/// `SCRIPT FLUSH [ASYNC|SYNC]`: forgets every script; each thread's VM starts afresh.
pub fn script_flush(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let mode_ok = match args.len() {
        2 => true,
        3 => is_option(args.arg(2), "sync") || is_option(args.arg(2), "async"),
        _ => false,
    };
    if !mode_ok {
        return Err(CommandError::err(
            "SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    ctx.server.scripting.cache.flush();
    ctx.reply.ok();
    Ok(())
}

/// `SCRIPT KILL`
pub fn script_kill(ctx: &mut Ctx, _: &Args) -> CommandResult {
    crate::scripting::busy::kill(ctx.server, ScriptKind::Eval)?;
    ctx.reply.ok();
    Ok(())
}

/// `SCRIPT DEBUG YES|SYNC|NO`: accepted, but thredis has no Lua debugger (Redis's LDB):
/// scripts go on running normally.
pub fn script_debug(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let mode = args.arg(2);
    if ["no", "yes", "sync"].iter().any(|m| is_option(mode, m)) {
        ctx.reply.ok();
        return Ok(());
    }
    Err(CommandError::err("Use SCRIPT DEBUG YES/SYNC/NO"))
}

/// `SCRIPT HELP`
pub fn script_help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}
