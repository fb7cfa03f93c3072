//! The client-side caching subcommands of `CLIENT` (Redis's `clientCommand`, networking.c):
//! TRACKING, CACHING, GETREDIR and TRACKINGINFO. They parse and check, with Redis's errors in
//! its order; what tracking does is `tracking.rs`.

use std::sync::Arc;

use crate::clients::ClientInfo;
use crate::commands::pubsub::subscriber;
use crate::commands::{Args, CommandError, CommandResult, Ctx, is_option, parse_int};
use crate::tracking::Flags;

/// What `CLIENT TRACKING` was asked for.
struct Request<'a> {
    options: Flags,
    /// The client invalidations go to instead, if any.
    redirect: Option<Arc<ClientInfo>>,
    prefixes: Vec<&'a [u8]>,
}

/// The options after `on|off`, each checked as it comes: `REDIRECT` must name one client that
/// exists now (it may go later: that is reported as a broken redirection).
fn parse<'a>(ctx: &Ctx, args: &'a Args) -> Result<Request<'a>, CommandError> {
    let mut request = Request {
        options: Flags::default(),
        redirect: None,
        prefixes: Vec::new(),
    };
    let mut i = 3;
    while i < args.len() {
        let (option, has_value) = (args.arg(i), i + 1 < args.len());
        if is_option(option, "redirect") && has_value {
            i += 1;
            if request.redirect.is_some() {
                return Err(CommandError::err(
                    "A client can only redirect to a single other client",
                ));
            }
            let id = parse_int(args.arg(i))? as u64;
            let target = ctx.server.clients.get(id).filter(|c| !c.is_killed());
            if target.is_none() {
                return Err(CommandError::err(
                    "The client ID you want redirect to does not exist",
                ));
            }
            request.redirect = target;
        } else if is_option(option, "prefix") && has_value {
            i += 1;
            request.prefixes.push(args.arg(i));
        } else {
            let flag = [
                ("bcast", Flags::BCAST),
                ("optin", Flags::OPTIN),
                ("optout", Flags::OPTOUT),
                ("noloop", Flags::NOLOOP),
            ]
            .into_iter()
            .find(|(name, _)| is_option(option, name))
            .ok_or(CommandError::Syntax)?;
            request.options = request.options.union(flag.1);
        }
        i += 1;
    }
    Ok(request)
}

/// Whether the options can be turned on, given the mode the client is in already.
fn check(ctx: &Ctx, request: &Request) -> CommandResult {
    let (new, current) = (request.options, ctx.session.info.tracking.flags());
    let bcast = new.contains(Flags::BCAST);
    if !bcast && !request.prefixes.is_empty() {
        return Err(CommandError::err(
            "PREFIX option requires BCAST mode to be enabled",
        ));
    }
    if current.contains(Flags::ON) && current.contains(Flags::BCAST) != bcast {
        return Err(CommandError::err(
            "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    let (optin, optout) = (new.contains(Flags::OPTIN), new.contains(Flags::OPTOUT));
    if bcast && (optin || optout) {
        return Err(CommandError::err(
            "OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if optin && optout {
        return Err(CommandError::err(
            "You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    if optin && current.contains(Flags::OPTOUT) || optout && current.contains(Flags::OPTIN) {
        return Err(CommandError::err(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    if bcast {
        let id = ctx.session.info.id;
        if let Some(collision) = ctx.server.tracking.prefix_collision(id, &request.prefixes) {
            return Err(CommandError::err(collision));
        }
    }
    Ok(())
}

/// `CLIENT TRACKING on|off [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]`
pub fn tracking(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let request = parse(ctx, args)?;
    let (server, info) = (ctx.server, &ctx.session.info);
    if is_option(args.arg(2), "on") {
        check(ctx, &request)?;
        // Invalidations go through the receiver's outbox, as published messages do; a
        // redirection's target gets one now, and waits for messages from its next command on.
        let outbox = subscriber(ctx)?;
        if let Some(target) = &request.redirect {
            target.tracking.mark_redirect_target();
            (server.pubsub.outbox_for(target))
                .map_err(|error| CommandError::err(format!("cannot redirect: {error}")))?;
        }
        let redirect = request.redirect.as_ref().map_or(0, |target| target.id);
        let info = &ctx.session.info;
        server.tracking.enable(
            server,
            info,
            outbox,
            request.options,
            redirect,
            &request.prefixes,
        );
    } else if is_option(args.arg(2), "off") {
        server.tracking.disable(server, info);
    } else {
        return Err(CommandError::Syntax);
    }
    ctx.reply.ok();
    Ok(())
}

/// `CLIENT CACHING yes|no`: in OPTIN mode, remember the keys of the next command; in OPTOUT
/// mode, do not.
pub fn caching(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let tracking = &ctx.session.info.tracking;
    let flags = tracking.flags();
    if !flags.contains(Flags::ON) {
        return Err(CommandError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    }
    let mode = args.arg(2);
    if is_option(mode, "yes") {
        if !flags.contains(Flags::OPTIN) {
            return Err(CommandError::err(
                "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is_option(mode, "no") {
        if !flags.contains(Flags::OPTOUT) {
            return Err(CommandError::err(
                "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CommandError::Syntax);
    }
    tracking.set_caching(true);
    ctx.reply.ok();
    Ok(())
}

/// `CLIENT GETREDIR`: the client invalidations go to, 0 for none, -1 when not tracking.
pub fn getredir(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let redirect = ctx.session.info.tracking.reported_redirect();
    ctx.reply.integer(redirect);
    Ok(())
}

/// `CLIENT TRACKINGINFO`: `flags` (a set), `redirect`, `prefixes`.
pub fn trackinginfo(ctx: &mut Ctx, _: &Args) -> CommandResult {
    let info = &ctx.session.info;
    let words = info.tracking.flags().words();
    let redirect = info.tracking.reported_redirect();
    let prefixes = ctx.server.tracking.prefixes_of(info.id);
    let reply = &mut ctx.reply;
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(words.len());
    words.iter().for_each(|word| reply.bulk(word.as_bytes()));
    reply.bulk(b"redirect");
    reply.integer(redirect);
    reply.bulk(b"prefixes");
    reply.array(prefixes.len());
    prefixes.iter().for_each(|prefix| reply.bulk(prefix));
    Ok(())
}
