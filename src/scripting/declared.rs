//! What the flags a script declares make of the command that runs it, before it runs (Redis's
//! `getCommandFlags`, with `evalGetCommandFlags`, `fcallGetCommandFlags` and
//! `scriptFlagsToCmdFlags`): a script that declares flags (a shebang, or any function) writes
//! unless it says `no-writes`, and runs on a stale replica only if it says `allow-stale`,
//! whatever its command's row says. The gates of `commands::admit` for a replica ask this, so a
//! replica refuses such an EVAL or FCALL with the texts it gives any write or stale read.

use super::flags::{self, ScriptFlags};
use crate::commands::{Flags, Resolved};
use crate::protocol::Request;
use crate::server::Server;

/// The flags declared by the script `request` runs. `None` for a command that runs no script,
/// for a script that is not found (it fails when it runs), and for an EVAL script without a
/// shebang: its row judges it (Redis's `SCRIPT_FLAG_EVAL_COMPAT_MODE`).
pub fn declared_flags(
    server: &Server,
    resolved: Resolved,
    request: &Request,
) -> Option<ScriptFlags> {
    // EVAL's and FCALL's families, and only they, may be given no keys: one test on the row
    // spares every other command the name comparisons.
    let command = resolved.command;
    let runs_script = command.flags.contains(Flags::NO_MANDATORY_KEYS) && resolved.parent.is_none();
    if !runs_script || request.len() < 2 {
        return None;
    }
    let name = request.arg(1);
    let flags = match command.name {
        // The body's shebang: the cached script with this body declares the same.
        "eval" | "eval_ro" => flags::from_shebang(name).ok()?.0,
        "evalsha" | "evalsha_ro" => {
            let sha = String::from_utf8_lossy(name).to_ascii_lowercase();
            server.scripting.cache.get(&sha)?.flags
        }
        "fcall" | "fcall_ro" => server.functions.lock().function(name)?.1.flags,
        _ => return None,
    };
    (!flags.contains(ScriptFlags::EVAL_COMPAT)).then_some(flags)
}

/// Whether `request` runs a script that declares it may write (no `no-writes`): a write
/// command, for the gates that refuse writes.
pub fn declares_writes(server: &Server, resolved: Resolved, request: &Request) -> bool {
    declared_flags(server, resolved, request).is_some_and(|f| !f.contains(ScriptFlags::NO_WRITES))
}

/// Whether `request` runs a script that may write and does not declare `allow-oom`: refused
/// past `maxmemory` like a `denyoom` command.
pub fn denies_oom(server: &Server, resolved: Resolved, request: &Request) -> bool {
    declared_flags(server, resolved, request)
        .is_some_and(|f| !f.contains(ScriptFlags::NO_WRITES) && !f.contains(ScriptFlags::ALLOW_OOM))
}

/// Whether `request` runs a script that declares flags without `allow-stale`: refused on a
/// stale replica like a command without the `stale` flag.
pub fn denied_when_stale(server: &Server, resolved: Resolved, request: &Request) -> bool {
    declared_flags(server, resolved, request).is_some_and(|f| !f.contains(ScriptFlags::ALLOW_STALE))
}
