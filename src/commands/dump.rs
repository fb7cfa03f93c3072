//! DUMP and RESTORE (cluster.c's `dumpCommand` and `restoreCommand`): a value serialised as
//! Redis serialises it, and a key created from such a payload. The payload's format and its
//! checks live with the RDB code (`persistence::rdb::dump`); this file owns the commands'
//! arguments, their order of checks and what a restore journals and notifies.
//!
//! MIGRATE (`migrate.rs`) sends the same payloads ([`payload`]) to another server as RESTOREs;
//! RESTORE-ASKING, which cluster slot migration sends instead, is this file's RESTORE.

use std::sync::atomic::Ordering;

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::config::Config;
use crate::config::params::{SANITIZE_CLIENTS, SANITIZE_YES};
use crate::keyspace::{Databases, EventClass, Ttl, Value, Writer};
use crate::log;
use crate::persistence::load_options;
use crate::persistence::rdb::AccessHints;
use crate::persistence::rdb::compact::Integrity;
use crate::persistence::rdb::dump::{self, Refused};
use crate::persistence::rdb::load::LoadOptions;
use crate::server::Server;
use crate::switches::DebugSwitches;

/// `DUMP key`: the key's value serialised, or null if there is no such key.
pub fn dump(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    match ctx.read_key(ctx.db(databases), args.arg(1)) {
        Some(entry) => {
            let payload = payload(ctx.server, entry.value());
            ctx.reply.bulk(&payload);
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `value` serialised as DUMP and MIGRATE send it (Redis's `createDumpPayload`), compressed if
/// `rdbcompression` says so.
pub(super) fn payload(server: &Server, value: &Value) -> Vec<u8> {
    let compress = server.config.rdbcompression.load(Ordering::Relaxed);
    dump::create(value, compress)
}

/// RESTORE's options after the payload, as `restoreCommand` reads them.
#[derive(Debug, Default, PartialEq)]
struct Options {
    replace: bool,
    absolute_ttl: bool,
    /// `IDLETIME seconds`, `FREQ frequency` (0 to 255).
    access: AccessHints,
}

impl Options {
    /// Parses the arguments from the fifth on. IDLETIME and FREQ exclude each other: the second
    /// one given is a syntax error, as in Redis.
    fn parse(args: &Args) -> Result<Options, CommandError> {
        let mut options = Options::default();
        let mut i = 4;
        while i < args.len() {
            let (arg, has_value) = (args.arg(i), i + 1 < args.len());
            if is_option(arg, "replace") {
                options.replace = true;
            } else if is_option(arg, "absttl") {
                options.absolute_ttl = true;
            } else if is_option(arg, "idletime") && has_value && options.access.frequency.is_none()
            {
                let idle = parse_int(args.arg(i + 1))?;
                if idle < 0 {
                    return Err(CommandError::err("Invalid IDLETIME value, must be >= 0"));
                }
                options.access.idle_seconds = Some(idle as u64);
                i += 1;
            } else if is_option(arg, "freq") && has_value && options.access.idle_seconds.is_none() {
                let frequency = parse_int(args.arg(i + 1))?;
                let frequency = u8::try_from(frequency).map_err(|_| {
                    CommandError::err("Invalid FREQ value, must be >= 0 and <= 255")
                })?;
                options.access.frequency = Some(frequency);
                i += 1;
            } else {
                return Err(CommandError::Syntax);
            }
            i += 1;
        }
        Ok(options)
    }
}

/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`.
/// Checks in Redis's order: options, an existing key (`BUSYKEY`), the TTL, the payload's
/// footer, then its value. A key restored with a TTL already past is not created (a replaced
/// key is then deleted, journaled as `DEL`); a relative TTL is journaled as an absolute one
/// with `ABSTTL`, so a replay or a replica expires the key at the same moment.
pub fn restore(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let options = Options::parse(args)?;
    let key = args.arg(1);
    if !options.replace && w.exists(key) {
        return Err(CommandError::coded(
            "BUSYKEY Target key name already exists.",
        ));
    }
    let ttl = parse_int(args.arg(2))?;
    if ttl < 0 {
        return Err(CommandError::err("Invalid TTL value, must be >= 0"));
    }
    let value = read_payload(ctx, key, args.arg(3), integrity(ctx, w))?;

    let deleted = options.replace && w.remove(key).is_some();
    let expires_at = match (ttl, options.absolute_ttl) {
        (0, _) => None,
        (at, true) => Some(at),
        (ttl, false) => Some(ttl.saturating_add(w.now_ms())),
    };
    if expires_at.is_some_and(|at| w.has_passed(at)) {
        if deleted {
            w.propagate(&[b"DEL", key]);
            w.notify(EventClass::GENERIC, "del", key);
        }
        ctx.reply.ok();
        return Ok(());
    }
    w.set(key, value, expires_at.map_or(Ttl::Clear, Ttl::At));
    if let (Some(at), false) = (expires_at, options.absolute_ttl) {
        journal_with_absolute_ttl(w, args, at);
    }
    let now_ms = w.now_ms();
    if let Some(entry) = w.get_mut(key) {
        options.access.apply(entry, now_ms);
    }
    w.notify(EventClass::GENERIC, "restore", key);
    ctx.reply.ok();
    Ok(())
}

/// The payload's value, or Redis's errors for a payload that is not one. Why a payload with a
/// right checksum does not load is logged (verbose), as Redis logs it for RESTORE.
fn read_payload(
    ctx: &Ctx,
    key: &[u8],
    payload: &[u8],
    integrity: Integrity,
) -> Result<Value, CommandError> {
    let server = ctx.server;
    let verify_checksum = !DebugSwitches::is_on(&server.switches.skip_checksum_validation);
    let options = LoadOptions {
        integrity,
        ..load_options(server, ctx.now_ms)
    };
    dump::read(payload, key, verify_checksum, options).map_err(|refused| match refused {
        Refused::VersionOrChecksum => {
            CommandError::err("DUMP payload version or checksum are wrong")
        }
        Refused::BadData(reason) => {
            log!(Verbose, "{reason}");
            CommandError::err("Bad data format")
        }
    })
}

/// How closely this client's payloads are checked (rdb.c's `deep_integrity_validation`):
/// `sanitize-dump-payload yes` always; `clients` unless the user is `skip-sanitize-payload` or
/// the RESTORE is replayed from the append-only file (it was checked when it first ran).
fn integrity(ctx: &Ctx, w: &Writer) -> Integrity {
    let trusted = w.is_loading() || ctx.session.login.user.skips_payload_sanitizing();
    match Config::get(&ctx.server.config.sanitize_dump_payload) {
        SANITIZE_YES => Integrity::Deep,
        SANITIZE_CLIENTS if !trusted => Integrity::Deep,
        _ => Integrity::Shallow,
    }
}

/// Journals the request with the TTL replaced by the absolute time `at` and `ABSTTL` appended
/// (Redis's `rewriteClientCommandArgument` on the TTL, then on a new last argument).
fn journal_with_absolute_ttl(w: &mut Writer, args: &Args, at: i64) {
    let at = at.to_string();
    let mut journaled: Vec<&[u8]> = args.iter().collect();
    journaled[2] = at.as_bytes();
    journaled.push(b"ABSTTL");
    w.propagate(&journaled);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Request;

    fn parsed(words: &[&str]) -> Result<Options, CommandError> {
        let mut all = vec!["RESTORE", "k", "0", "payload"];
        all.extend_from_slice(words);
        Options::parse(&Request::from_args(&all))
    }

    #[test]
    fn options_are_read_as_redis_reads_them() {
        let all = parsed(&["replace", "ABSTTL", "idletime", "5"]).unwrap();
        assert_eq!(
            all,
            Options {
                replace: true,
                absolute_ttl: true,
                access: AccessHints {
                    idle_seconds: Some(5),
                    frequency: None
                }
            }
        );
        assert_eq!(
            parsed(&["freq", "255"]).unwrap().access.frequency,
            Some(255)
        );
        assert_eq!(parsed(&["idletime"]), Err(CommandError::Syntax));
        assert_eq!(
            parsed(&["idletime", "1", "freq", "2"]),
            Err(CommandError::Syntax)
        );
        assert_eq!(
            parsed(&["freq", "2", "idletime", "1"]),
            Err(CommandError::Syntax)
        );
        assert_eq!(parsed(&["idletime", "x"]), Err(CommandError::NotInteger));
        assert_eq!(
            parsed(&["freq", "256"]),
            Err(CommandError::err(
                "Invalid FREQ value, must be >= 0 and <= 255"
            ))
        );
        assert_eq!(
            parsed(&["idletime", "-1"]),
            Err(CommandError::err("Invalid IDLETIME value, must be >= 0"))
        );
        assert_eq!(parsed(&["bogus"]), Err(CommandError::Syntax));
    }
}
