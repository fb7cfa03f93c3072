//! What is told of each command once it has run: MONITOR's clients ([`feed_monitors`], called
//! where the command was applied), and, from the one place that times it (`commands::call`),
//! with that one measurement, the slow log, the latency monitor's `command` / `fast-command`
//! events and, with `latency-tracking`, the command's latency histogram. As in Redis's
//! `call()`, a command that blocked (`BLPOP` on an empty list) reaches the slow log and the
//! histogram when it is served, by [`unblocked`], with the time it ran and not the time it
//! waited (`updateStatsOnUnblock`).

use std::time::Duration;

use super::{Ctx, Flags, Resolved};
use crate::connection::Session;
use crate::protocol::Request;
use crate::server::Server;
use crate::slowlog::{Caller, SlowLog};
use crate::{clock, commands::redact};

/// A command that blocked: what [`unblocked`] reports once it is served.
#[derive(Clone, Copy)]
pub struct BlockedCall {
    resolved: Resolved,
    elapsed: Duration,
}

/// A command ran for `elapsed`.
pub fn ran(
    server: &Server,
    session: &mut Session,
    resolved: Resolved,
    request: &Request,
    elapsed: Duration,
) {
    let event = if resolved.command.flags.contains(Flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    server
        .latency
        .record(&server.config, event, elapsed.as_millis() as u64);
    if session.blocked.is_some() {
        session.blocked_call = Some(BlockedCall { resolved, elapsed });
        return;
    }
    finished(server, session, resolved, request, elapsed);
}

/// The command that blocked on this connection was served, timed out or was unblocked, with
/// `reply`: it is logged now, and an error reply (`-UNBLOCKED`) counted as a failed call.
pub fn unblocked(server: &Server, session: &mut Session, request: &Request, reply: &[u8]) {
    let Some(call) = session.blocked_call.take() else {
        return;
    };
    if let Some(line) = reply.strip_prefix(b"-") {
        let line = line.strip_suffix(b"\r\n").unwrap_or(line);
        server.stats.record_error(line);
        server.stats.record_failed(call.resolved.id);
    }
    finished(server, session, call.resolved, request, call.elapsed);
}

/// The slow log and the histogram, which see a blocked command only once it is served.
fn finished(
    server: &Server,
    session: &Session,
    resolved: Resolved,
    request: &Request,
    elapsed: Duration,
) {
    let config = &server.config;
    if config
        .latency_tracking
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        server.stats.record_latency(resolved.id, elapsed);
    }
    let micros = elapsed.as_micros() as u64;
    if resolved.command.flags.contains(Flags::SKIP_SLOWLOG) || !SlowLog::wants(config, micros) {
        return;
    }
    let caller = || Caller {
        peer: session.info.addr(),
        name: session.info.names().name,
    };
    let args: Vec<&[u8]> = redact::shown_args(request).collect();
    server.slowlog.push(
        config,
        args.into_iter(),
        micros,
        caller,
        clock::now_ms() / 1000,
    );
}

/// Sends the command to the clients in MONITOR mode, its secrets redacted, unless it is an
/// administrative command or one that asks not to be shown (`skip_monitor`), which Redis's
/// `call()` considers too dangerous to show.
pub fn feed_monitors(ctx: &mut Ctx, resolved: Resolved, request: &Request) {
    if !ctx.server.monitors.is_active()
        || resolved.command.flags.contains(Flags::SKIP_MONITOR)
        || resolved.command.flags.contains(Flags::ADMIN)
    {
        return;
    }
    let args = redact::shown_args(request);
    let own = ctx
        .server
        .monitors
        .feed(ctx.server, &ctx.session.info, ctx.session.db, args);
    if let Some(line) = own {
        ctx.session.monitor_echo.extend_from_slice(&line);
    }
}

/// After a client's command (and its reply): the monitor lines of its own commands, if it
/// monitors (see `Monitors::feed`).
pub fn echo_to_monitor(ctx: &mut Ctx) {
    if !ctx.session.monitor_echo.is_empty() {
        let echo = std::mem::take(&mut ctx.session.monitor_echo);
        ctx.reply.raw(&echo);
    }
}
