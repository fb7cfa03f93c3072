//! `LATENCY LATEST|HISTORY|RESET|GRAPH|DOCTOR|HISTOGRAM|HELP` (Redis's `latencyCommand`): the
//! latency monitor's events (`crate::latency`) and the per-command latency histograms kept with
//! the command statistics.

use super::slowlog::subcommand_syntax_error;
use super::{Args, CommandError, CommandResult, Ctx, Resolved, all_commands, reply_help};
use crate::clock;
use crate::latency::{doctor, graph, histogram::Histogram};

pub fn latest(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let events = ctx.server.latency.events();
    ctx.reply.array(events.len());
    for (event, series) in events {
        let latest = series.latest();
        ctx.reply.array(4);
        ctx.reply.bulk(event.as_bytes());
        ctx.reply.integer(latest.time);
        ctx.reply.integer(latest.latency_ms as i64);
        ctx.reply.integer(series.max_ms as i64);
    }
    Ok(())
}

pub fn history(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let samples: Vec<_> = ctx
        .server
        .latency
        .series(args.arg(2))
        .map(|series| series.samples().collect())
        .unwrap_or_default();
    ctx.reply.array(samples.len());
    for sample in samples {
        ctx.reply.array(2);
        ctx.reply.integer(sample.time);
        ctx.reply.integer(sample.latency_ms as i64);
    }
    Ok(())
}

pub fn reset(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let latency = &ctx.server.latency;
    let resets = match args.len() {
        2 => latency.reset(None),
        _ => args
            .iter()
            .skip(2)
            .map(|event| latency.reset(Some(event)))
            .sum(),
    };
    ctx.reply.integer(resets as i64);
    Ok(())
}

pub fn graph(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let event = args.arg(2);
    let Some(series) = ctx.server.latency.series(event) else {
        return Err(CommandError::err(format!(
            "No samples available for event '{}'",
            String::from_utf8_lossy(event)
        )));
    };
    let name = String::from_utf8_lossy(event);
    let text = graph::render(&name, &series, clock::now_ms() / 1000);
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

pub fn doctor(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let events = ctx.server.latency.events();
    let text = doctor::report(&events, &ctx.server.config, clock::now_ms() / 1000);
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// `LATENCY HISTOGRAM [command ...]`: for each command with calls (and, for a container
/// named, each of its subcommands with calls), its calls and cumulative distribution. Unknown
/// names are skipped, as Redis's `latencySpecificCommandsFillCDF` skips them.
pub fn histogram(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let stats = &ctx.server.stats;
    let chosen: Vec<Resolved> = if args.len() == 2 {
        all_commands().to_vec()
    } else {
        args.iter()
            .skip(2)
            .filter_map(lookup_with_subcommands)
            .flatten()
            .collect()
    };
    let with_data: Vec<(Resolved, &Histogram)> = chosen
        .into_iter()
        .filter_map(|resolved| stats.latency_histogram(resolved.id).map(|h| (resolved, h)))
        .collect();
    ctx.reply.map(with_data.len());
    for (resolved, histogram) in with_data {
        ctx.reply.bulk(resolved.full_name().as_bytes());
        let points = histogram.cumulative_usec();
        ctx.reply.map(2);
        ctx.reply.bulk(b"calls");
        ctx.reply.integer(histogram.total() as i64);
        ctx.reply.bulk(b"histogram_usec");
        ctx.reply.map(points.len());
        for (usec, calls) in points {
            ctx.reply.integer(usec as i64);
            ctx.reply.integer(calls as i64);
        }
    }
    Ok(())
}

/// A command named as `LATENCY HISTOGRAM` names them (`set`, `client|id`, `client`), then its
/// subcommands.
fn lookup_with_subcommands(name: &[u8]) -> Option<Vec<Resolved>> {
    let found = super::introspection::find(name)?;
    let subcommands = found.command.subcommands.len();
    Some(all_commands()[found.id..=found.id + subcommands].to_vec())
}

pub fn help(ctx: &mut Ctx, args: &Args) -> CommandResult {
    if args.len() != 2 {
        return Err(subcommand_syntax_error(args, "LATENCY"));
    }
    reply_help(
        &mut ctx.reply,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}
