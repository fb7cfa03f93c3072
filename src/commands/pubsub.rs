//! Pub/sub commands (Redis's pubsub.c): SUBSCRIBE and UNSUBSCRIBE (stages 85–91), PSUBSCRIBE
//! and PUNSUBSCRIBE (glob patterns), PUBLISH, Redis 7's shard channels (SSUBSCRIBE,
//! SUNSUBSCRIBE, SPUBLISH) and the PUBSUB introspection subcommands.
//!
//! Confirmations (`subscribe ch 1`) are not replies in the usual sense: like published
//! messages they go through the client's outbox (`pubsub.rs`), which keeps them in order with
//! the messages and lets them through `CLIENT REPLY OFF`, as Redis's `CLIENT_PUSHING` does.

use std::sync::Arc;

use super::{Args, CommandError, CommandResult, Ctx, MustWrite, reply_help};
use crate::keyspace::changes::Destination;
use crate::keyspace::{Databases, Writer};
use crate::pubsub::{Kind, Subscriber};

/// This connection's subscriber, made on its first pub/sub command (or `CLIENT TRACKING on`,
/// whose invalidations use its outbox), with the doorbell publishers ring.
pub(crate) fn subscriber(ctx: &mut Ctx) -> Result<Arc<Subscriber>, CommandError> {
    if let Some(subscriber) = &ctx.session.subscriber {
        return Ok(Arc::clone(subscriber));
    }
    let subscriber = (ctx.server.pubsub.outbox_for(&ctx.session.info))
        .map_err(|error| CommandError::err(format!("cannot subscribe: {error}")))?;
    ctx.session.subscriber = Some(Arc::clone(&subscriber));
    Ok(subscriber)
}

fn subscribe_to(ctx: &mut Ctx, args: &Args, kind: Kind) -> CommandResult {
    let subscriber = subscriber(ctx)?;
    let resp3 = ctx.session.resp3;
    ctx.server
        .pubsub
        .subscribe(&subscriber, kind, args.iter().skip(1), resp3);
    Ok(())
}

fn unsubscribe_from(ctx: &mut Ctx, args: &Args, kind: Kind) -> CommandResult {
    let subscriber = subscriber(ctx)?;
    let names = (args.len() > 1).then(|| args.iter().skip(1).collect());
    let resp3 = ctx.session.resp3;
    ctx.server
        .pubsub
        .unsubscribe(&subscriber, kind, names, true, resp3);
    Ok(())
}

/// `SUBSCRIBE channel [channel ...]`
pub fn subscribe(ctx: &mut Ctx, args: &Args) -> CommandResult {
    subscribe_to(ctx, args, Kind::Channel)
}

/// `UNSUBSCRIBE [channel ...]`: from the channels named, or from all.
pub fn unsubscribe(ctx: &mut Ctx, args: &Args) -> CommandResult {
    unsubscribe_from(ctx, args, Kind::Channel)
}

/// `PSUBSCRIBE pattern [pattern ...]`
pub fn psubscribe(ctx: &mut Ctx, args: &Args) -> CommandResult {
    subscribe_to(ctx, args, Kind::Pattern)
}

/// `PUNSUBSCRIBE [pattern ...]`
pub fn punsubscribe(ctx: &mut Ctx, args: &Args) -> CommandResult {
    unsubscribe_from(ctx, args, Kind::Pattern)
}

/// `SSUBSCRIBE shardchannel [shardchannel ...]`. Refused inside EXEC, where a client must get
/// one reply per command (Redis's `CLIENT_DENY_BLOCKING`); SUBSCRIBE and PSUBSCRIBE are allowed
/// there for backward compatibility, as in Redis.
pub fn ssubscribe(ctx: &mut Ctx, args: &Args) -> CommandResult {
    if !ctx.may_block {
        return Err(CommandError::err(
            "SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    subscribe_to(ctx, args, Kind::Shard)
}

/// `SUNSUBSCRIBE [shardchannel ...]`
pub fn sunsubscribe(ctx: &mut Ctx, args: &Args) -> CommandResult {
    unsubscribe_from(ctx, args, Kind::Shard)
}

fn publish_to(ctx: &mut Ctx, args: &Args, kind: Kind) -> CommandResult {
    let limit = ctx.server.config.pubsub_output_limit();
    let receivers = ctx
        .server
        .pubsub
        .publish(kind, args.arg(1), args.arg(2), limit);
    ctx.reply.integer(receivers as i64);
    Ok(())
}

/// `PUBLISH channel message`: how many subscriptions received it. With replicas attached (the
/// backlog exists) the message goes to them too, as Redis propagates it: that half runs on the
/// write path ([`publish_to_replicas`]), so the stream has it in apply order.
pub fn publish(ctx: &mut Ctx, args: &Args, _: &Databases) -> Result<CommandResult, MustWrite> {
    if ctx.server.replication.backlog_active() {
        return Err(MustWrite);
    }
    Ok(publish_to(ctx, args, Kind::Channel))
}

/// `SPUBLISH shardchannel message`, as [`publish`].
pub fn spublish(ctx: &mut Ctx, args: &Args, _: &Databases) -> Result<CommandResult, MustWrite> {
    if ctx.server.replication.backlog_active() {
        return Err(MustWrite);
    }
    Ok(publish_to(ctx, args, Kind::Shard))
}

/// `PUBLISH` with replicas: delivered here, and journaled for the replicas only (Redis's
/// `PROPAGATE_REPL`: the append-only file never holds messages).
pub fn publish_to_replicas(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    journal_for_replicas(args, w);
    publish_to(ctx, args, Kind::Channel)
}

/// `SPUBLISH` with replicas, as [`publish_to_replicas`].
pub fn spublish_to_replicas(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    journal_for_replicas(args, w);
    publish_to(ctx, args, Kind::Shard)
}

fn journal_for_replicas(args: &Args, w: &mut Writer) {
    let start = w.journal_len();
    w.propagate(&args.iter().collect::<Vec<_>>());
    w.narrow_journal(start, Some(Destination::Replicas));
}

/// `PUBSUB CHANNELS [pattern]` and `PUBSUB SHARDCHANNELS [pattern]`: at most one pattern,
/// checked by the handler as in Redis (the rows accept any number).
fn list_channels(ctx: &mut Ctx, args: &Args, kind: Kind) -> CommandResult {
    if args.len() > 3 {
        return Err(CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(args.arg(1))
        )));
    }
    let pattern = (args.len() == 3).then(|| args.arg(2));
    let channels = ctx.server.pubsub.channels(kind, pattern);
    ctx.reply.array(channels.len());
    for channel in channels {
        ctx.reply.bulk(&channel);
    }
    Ok(())
}

/// `PUBSUB NUMSUB [channel ...]` and `PUBSUB SHARDNUMSUB [shardchannel ...]`: name, count
/// pairs (a flat array even in RESP3, as Redis replies).
fn count_subscribers(ctx: &mut Ctx, args: &Args, kind: Kind) -> CommandResult {
    ctx.reply.array(2 * (args.len() - 2));
    for channel in args.iter().skip(2) {
        ctx.reply.bulk(channel);
        let count = ctx.server.pubsub.subscriber_count(kind, channel);
        ctx.reply.integer(count as i64);
    }
    Ok(())
}

pub fn pubsub_channels(ctx: &mut Ctx, args: &Args) -> CommandResult {
    list_channels(ctx, args, Kind::Channel)
}

pub fn pubsub_shardchannels(ctx: &mut Ctx, args: &Args) -> CommandResult {
    list_channels(ctx, args, Kind::Shard)
}

pub fn pubsub_numsub(ctx: &mut Ctx, args: &Args) -> CommandResult {
    count_subscribers(ctx, args, Kind::Channel)
}

pub fn pubsub_shardnumsub(ctx: &mut Ctx, args: &Args) -> CommandResult {
    count_subscribers(ctx, args, Kind::Shard)
}

/// `PUBSUB NUMPAT`: how many distinct patterns have subscribers (Redis 7 counts patterns, not
/// pattern subscriptions).
pub fn pubsub_numpat(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let patterns = ctx.server.pubsub.counts().patterns;
    ctx.reply.integer(patterns as i64);
    Ok(())
}

pub fn pubsub_help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}
