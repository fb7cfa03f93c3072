//! MIGRATE (cluster.c's `migrateCommand`): keys moved to another server, as RESTOREs of their
//! DUMP payloads, and deleted here once the target has acknowledged them. Also what the rest of
//! the server needs to know about its arguments: where its keys are (`migrateGetKeys`, for
//! `COMMAND GETKEYS` and the ACL) and which are passwords (for the slow log and MONITOR).
//! Beside it: `options.rs` (the arguments), `exchange.rs` (the conversation with the target) and
//! `connections.rs` (the connections kept to the targets).
//!
//! # What is held while it talks to the target
//! The whole command runs on the write path, under the exclusive lock, socket calls included:
//! every other client waits up to `timeout` ms, exactly as Redis's whole server waits for
//! `migrateCommand`. The kinder alternative (serialise under the shared lock, talk with no
//! lock, then delete the keys still unchanged) needs what thredis does not have: a way to tell
//! a key is unchanged (no per-key version), and a lock to let go of inside `EXEC` or a script,
//! which hold the exclusive lock to their end. Holding it makes the acknowledged keys exactly
//! the deleted ones, so no key is ever lost or duplicated. What is not held across the I/O is
//! the connection cache's own lock (see `connections.rs`), so INFO and the cron never wait on
//! a target.

mod connections;
mod exchange;
mod options;

pub use connections::Connections;
pub use options::{migrate_keys, password_positions};

use std::time::Duration;

use super::{Args, CommandResult, Ctx, parse_int};
use crate::keyspace::changes::encode_command;
use crate::keyspace::{EventClass, Writer};
use exchange::Exchange;
use options::Options;

/// `MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password |
/// AUTH2 username password] [KEYS key ...]`. Checks in Redis's order: the options, the timeout,
/// the database, then which keys exist (`+NOKEY` if none). Keys the target acknowledged are
/// deleted unless `COPY`, and journaled as one `DEL` of exactly those keys (Redis rewrites the
/// command into it), even when a later key failed.
pub fn migrate(ctx: &mut Ctx, args: &Args, w: &mut Writer) -> CommandResult {
    let options = Options::parse(args, |_| {})?;
    let timeout = parse_int(args.arg(5))?;
    let db = parse_int(args.arg(4))?;
    // Redis's `if (timeout <= 0) timeout = 1000`.
    let timeout = Duration::from_millis(
        u64::try_from(timeout)
            .ok()
            .filter(|&t| t > 0)
            .unwrap_or(1000),
    );
    let (keys, restores) = restores(ctx, w, args, &options);
    if keys.is_empty() {
        ctx.reply.simple("NOKEY");
        return Ok(());
    }
    let exchange = Exchange {
        host: args.arg(1),
        port: args.arg(2),
        auth: options.auth,
        db,
        restores: &restores,
        count: keys.len(),
        timeout,
    };
    let (acknowledged, outcome) = exchange.run(ctx.server);
    let migrated: Vec<&[u8]> = (keys.iter().zip(acknowledged))
        .filter_map(|(key, acknowledged)| acknowledged.then_some(*key))
        .collect();
    if !options.copy && !migrated.is_empty() {
        delete_migrated(w, &migrated);
    }
    outcome?;
    ctx.reply.ok();
    Ok(())
}

/// The keys that exist (looked up as reads, as Redis's `lookupKeyRead`), and the RESTORE
/// commands that recreate them on the target, with their remaining time to live.
fn restores<'a>(
    ctx: &Ctx,
    w: &mut Writer,
    args: &'a Args,
    options: &Options,
) -> (Vec<&'a [u8]>, Vec<u8>) {
    let (mut keys, mut restores) = (Vec::new(), Vec::new());
    for key in options.keys.clone().map(|i| args.arg(i)) {
        let Some(entry) = ctx.read_key_on_write_path(w, key) else {
            continue;
        };
        let payload = super::dump::payload(ctx.server, entry.value());
        // At least 1 ms: 0 would restore the key without a time to live.
        let ttl = w.expires_at(key).map_or(0, |at| (at - w.now_ms()).max(1));
        let ttl = ttl.to_string();
        let mut restore: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), &payload];
        if options.replace {
            restore.push(b"REPLACE");
        }
        restores.extend(encode_command(restore.into_iter()));
        keys.push(key);
    }
    (keys, restores)
}

/// Deletes the keys the target acknowledged: each a modified key and a `del` event, all of them
/// one `DEL` in the journal.
fn delete_migrated(w: &mut Writer, keys: &[&[u8]]) {
    for key in keys {
        w.remove(key);
        w.notify(EventClass::GENERIC, "del", key);
    }
    let mut del: Vec<&[u8]> = vec![b"DEL"];
    del.extend_from_slice(keys);
    w.propagate(&del);
}
