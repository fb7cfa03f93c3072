//! The replication commands: those a master answers, `REPLCONF` (a replica announcing itself),
//! `PSYNC` and `SYNC` (it asks to be fed: the connection becomes its feeder,
//! `replication/master.rs`), `WAIT` (`replication/wait.rs`); `REPLICAOF` (alias `SLAVEOF`),
//! which makes this server a replica (`replication/replica.rs`) or a master again; `FAILOVER`
//! (`replication/failover.rs`); and `ROLE`.

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::log;
use crate::replication::master::{self, RdbFilter, SyncRequest};
use crate::replication::{failover, replica};

/// `REPLCONF <option> <value> ...` (Redis's `replconfCommand`): what a replica tells its master
/// before and while it is fed.
pub fn replconf(ctx: &mut Ctx, args: &Args) -> CommandResult {
    if args.len() % 2 == 0 {
        return Err(CommandError::Syntax);
    }
    for pair in (1..args.len()).step_by(2) {
        let (option, value) = (args.arg(pair), args.arg(pair + 1));
        let handshake = &mut ctx.session.replication;
        if is_option(option, "listening-port") {
            let port = parse_int(value)?;
            handshake.listening_port = u16::try_from(port).unwrap_or(0);
        } else if is_option(option, "ip-address") {
            // Redis keeps it in a buffer of `NET_HOST_STR_LEN` bytes.
            if value.len() >= 256 {
                return Err(CommandError::err(format!(
                    "REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    value.len()
                )));
            }
            handshake.announced_ip = Some(String::from_utf8_lossy(value).into_owned());
        } else if is_option(option, "capa") {
            // Unknown capabilities are ignored, so replicas can announce new ones.
            handshake.psync2 |= is_option(value, "psync2");
            handshake.eof |= is_option(value, "eof");
        } else if is_option(option, "ack") || is_option(option, "getack") {
            // A fed replica's ACKs are read by its feeder (`master.rs`); on any other
            // connection, as a GETACK to a master, Redis replies nothing at all.
            return Ok(());
        } else if is_option(option, "rdb-filter-only") {
            // Redis's `replconfCommand`: any filter given excludes the keys; `functions`
            // keeps the libraries.
            let mut filter = RdbFilter::default();
            let words = crate::protocol::split::split_args(value)
                .map_err(|_| CommandError::err("Missing rdb-filter-only values"))?;
            for word in words {
                if !is_option(&word, "functions") {
                    return Err(CommandError::err(format!(
                        "Unsupported rdb-filter-only option: {}",
                        String::from_utf8_lossy(&word)
                    )));
                }
                filter.functions = true;
            }
            handshake.rdb_filter = Some(filter);
        } else if is_option(option, "rdb-only") {
            handshake.rdb_only = match parse_int(value)? {
                0 => false,
                1 => true,
                // Redis's `getRangeLongFromObjectOrReply` wording.
                _ => {
                    return Err(CommandError::err(
                        "value is out of range, value must between 0 and 1",
                    ));
                }
            };
        } else {
            return Err(CommandError::err(format!(
                "Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(option)
            )));
        }
    }
    ctx.reply.ok();
    Ok(())
}

/// `PSYNC <replid> <offset>`: after this command the connection is the replica's feeder; the
/// reply (`+FULLRESYNC` or `+CONTINUE`) is the feeder's first bytes.
pub fn psync(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let offset = parse_int(args.arg(2)).inspect_err(|_| {
        let name = master::replica_name(&ctx.session.info, &ctx.session.replication);
        log!(
            Warning,
            "Replica {name} asks for synchronization but with a wrong offset"
        );
    })?;
    let replid = String::from_utf8_lossy(args.arg(1)).into_owned();
    if args.len() > 3 && is_option(args.arg(3), "failover") && !ctx.session.info.modes.is_replica()
    {
        take_over(ctx, args, &replid)?;
    }
    request_sync(ctx, SyncRequest::Psync { replid, offset })
}

/// `PSYNC <replid> <offset> FAILOVER` from our master, in its `FAILOVER`: we turn master, and
/// the partial resync it asks for then goes on as any other (Redis's `syncCommand`).
fn take_over(ctx: &mut Ctx, args: &Args, replid: &str) -> CommandResult {
    let server = ctx.server;
    log!(Warning, "Failover request received for replid {replid}.");
    if !server.replication.link.is_replica() {
        return Err(CommandError::err(
            "PSYNC FAILOVER can't be sent to a master.",
        ));
    }
    if server.replication.replid() != replid {
        return Err(CommandError::err(
            "PSYNC FAILOVER replid must match my replid.",
        ));
    }
    replica::unset_master(server, ctx.in_exec());
    log!(
        Notice,
        "MASTER MODE enabled (failover request from '{}')",
        ctx.session.info.describe(ctx.now_ms, Some(args))
    );
    Ok(())
}

/// `SYNC`: the old full sync, the RDB payload without a `+FULLRESYNC` line.
pub fn sync(ctx: &mut Ctx, _: &Args) -> CommandResult {
    request_sync(ctx, SyncRequest::Sync)
}

/// Redis's `syncCommand` checks, then the connection is handed over once the command is done.
fn request_sync(ctx: &mut Ctx, request: SyncRequest) -> CommandResult {
    if ctx.session.info.modes.is_replica() {
        return Ok(()); // Already a replica: ignored, as in Redis.
    }
    if ctx.server.replication.failover.is_active() {
        return Err(CommandError::coded(
            "NOMASTERLINK Can't SYNC while failing over",
        ));
    }
    if let Some(status) = ctx.server.replication.link.status() {
        if !status.link_up {
            return Err(CommandError::coded(
                "NOMASTERLINK Can't SYNC while not connected with my master",
            ));
        }
    }
    ctx.session.replication.sync = Some(request);
    Ok(())
}

/// `REPLICAOF host port` / `REPLICAOF NO ONE` (Redis's `replicaofCommand`).
pub fn replicaof(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let server = ctx.server;
    if server.replication.failover.is_active() {
        return Err(CommandError::err(
            "REPLICAOF not allowed while failing over.",
        ));
    }
    let link = &server.replication.link;
    let (host, port) = (args.arg(1), args.arg(2));
    let client = || ctx.session.info.describe(ctx.now_ms, Some(args));
    if is_option(host, "no") && is_option(port, "one") {
        if link.is_replica() {
            replica::unset_master(server, ctx.in_exec());
            log!(
                Notice,
                "MASTER MODE enabled (user request from '{}')",
                client()
            );
        }
        ctx.reply.ok();
        return Ok(());
    }
    if ctx.session.info.modes.is_replica() {
        // It would be disconnected with every replica when the sync starts.
        return Err(CommandError::err(
            "Command is not valid when client is a replica.",
        ));
    }
    let port = parse_int(port)
        .ok()
        .and_then(|port| u16::try_from(port).ok())
        .ok_or_else(|| CommandError::err("Invalid master port"))?;
    let host = String::from_utf8_lossy(host).into_owned();
    let current = link.target().master;
    if current.is_some_and(|(h, p)| h.eq_ignore_ascii_case(&host) && p == port) {
        log!(
            Notice,
            "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."
        );
        ctx.reply.simple("OK Already connected to specified master");
        return Ok(());
    }
    replica::set_master(server, &host, port);
    log!(
        Notice,
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        client()
    );
    ctx.reply.ok();
    Ok(())
}

/// `FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]` (Redis's `failoverCommand`; the
/// steps are `replication/failover.rs`).
pub fn failover(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let server = ctx.server;
    if args.len() == 2 && is_option(args.arg(1), "abort") {
        if !server.replication.failover.is_active() {
            return Err(CommandError::err("No failover in progress."));
        }
        failover::abort(server, "Failover manually aborted", ctx.in_exec());
        ctx.reply.ok();
        return Ok(());
    }
    let mut request = failover::Request::default();
    let mut i = 1;
    while i < args.len() {
        let (word, left) = (args.arg(i), args.len() - i - 1);
        if is_option(word, "timeout") && left >= 1 && request.timeout_ms == 0 {
            request.timeout_ms = parse_int(args.arg(i + 1))?;
            if request.timeout_ms <= 0 {
                return Err(CommandError::err("FAILOVER timeout must be greater than 0"));
            }
            i += 2;
        } else if is_option(word, "to") && left >= 2 && request.target.is_none() {
            let port = parse_int(args.arg(i + 2))?;
            let host = String::from_utf8_lossy(args.arg(i + 1)).into_owned();
            // A port no replica can listen on matches none of them.
            request.target = Some((host, u16::try_from(port).unwrap_or(0)));
            i += 3;
        } else if is_option(word, "force") && !request.force {
            request.force = true;
            i += 1;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    failover::start(server, request)?;
    ctx.reply.ok();
    Ok(())
}

/// `WAIT numreplicas timeout`.
pub fn wait(ctx: &mut Ctx, args: &Args) -> CommandResult {
    crate::replication::wait::wait(ctx, args)
}

/// `ROLE` (Redis's `roleCommand`): `master`, its offset and its online replicas; or `slave`,
/// its master and the state of the link.
pub fn role(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let replication = &ctx.server.replication;
    if let Some(status) = replication.link.status() {
        ctx.reply.array(5);
        ctx.reply.bulk(b"slave");
        ctx.reply.bulk(status.host.as_bytes());
        ctx.reply.integer(i64::from(status.port));
        ctx.reply.bulk(status.state.as_bytes());
        ctx.reply.integer(status.processed_offset);
        return Ok(());
    }
    let online: Vec<_> = replication
        .replicas
        .all()
        .into_iter()
        .filter(|replica| replica.state == crate::replication::replicas::SyncState::Online)
        .collect();
    ctx.reply.array(3);
    ctx.reply.bulk(b"master");
    ctx.reply.integer(replication.offset());
    ctx.reply.array(online.len());
    for replica in online {
        ctx.reply.array(3);
        ctx.reply.bulk(replica.ip.as_bytes());
        ctx.reply.bulk_integer(i64::from(replica.listening_port));
        ctx.reply.bulk_integer(replica.ack_offset);
    }
    Ok(())
}
