//! The background thread: Redis's `serverCron`, `hz` times a second. It carries out the
//! shutdown a signal asked for, reclaims expired keys
//! nobody reads (active expiry), starts the background saves the save points and schedules ask
//! for, closes clients idle past `timeout`, over `maxmemory-clients` or past their pub/sub
//! output limit, and MIGRATE's connections idle past 10 s, and
//! samples the rates INFO reports and the used memory `maxmemory` is checked against. It takes
//! the keyspace lock only briefly and never while it sleeps.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::keyspace::Bytes;
use crate::keyspace::expire::{self, ExpireCursor};
use crate::server::Server;
use crate::switches::DebugSwitches;
use crate::{clock, log};

pub fn start(server: Arc<Server>) -> std::io::Result<()> {
    thread::Builder::new()
        .name("cron".into())
        .spawn(move || run(&server))?;
    Ok(())
}

fn run(server: &Server) {
    let mut cursor = ExpireCursor::default();
    let mut last_timeout_check = 0;
    loop {
        let period = Duration::from_millis(1000 / server.config.hz() as u64);
        thread::sleep(period);
        if DebugSwitches::is_on(&server.switches.cron_paused) {
            continue;
        }
        server.run_scheduled_shutdown();
        let now_ms = clock::now_ms();
        // During CLIENT PAUSE, and on a replica, expiry waits, as in Redis.
        if DebugSwitches::is_on(&server.switches.active_expire) && !server.holds_expiry(now_ms) {
            let started = std::time::Instant::now();
            // A quarter of each period at most, as Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC.
            let remove = |db: usize, keys: &[Bytes]| {
                server.write(db, now_ms, |w| {
                    keys.iter().for_each(|key| w.expire_now(db, key))
                });
            };
            expire::active_expire_cycle(&server.keyspace, &mut cursor, now_ms, period / 4, remove);
            let elapsed_ms = started.elapsed().as_millis() as u64;
            server
                .latency
                .record(&server.config, "expire-cycle", elapsed_ms);
        }
        crate::persistence::jobs::cron(server, now_ms);
        crate::replication::cron(server, now_ms);
        server.tracking.enforce_limit(server);
        // Output that grew while its thread was blocked (a pub/sub outbox, a redirected
        // client's invalidations) counts too (Redis's `clientsCron` eviction).
        crate::clients::eviction::enforce(server);
        // A pub/sub client past its soft limit long enough goes even if nothing more is
        // published to it.
        (server.pubsub).enforce_output_limit(server.config.pubsub_output_limit(), now_ms);
        if now_ms - last_timeout_check >= 1000 {
            close_idle_clients(server, now_ms);
            // Redis's `migrateCloseTimedoutSockets`, once a second too.
            server.migrate.close_idle(now_ms / 1000);
            last_timeout_check = now_ms;
        }
        server.stats.sample_rates(now_ms);
        server.memory.sample();
        // Eviction that ran out of time goes on without waiting for a command (Redis's
        // `evictionTimeProc`).
        crate::memory::eviction::perform_evictions(server, now_ms);
    }
}

/// Closes clients that sent nothing for `timeout` seconds. Redis closes them silently, and
/// spares subscribed clients, whose silence is the point.
fn close_idle_clients(server: &Server, now_ms: i64) {
    let timeout = server.config.timeout();
    if timeout == 0 {
        return;
    }
    for client in server.clients.all() {
        // Blocked and subscribed clients wait on the server, they are not idle; a replica is
        // timed out by its own rule, `repl-timeout` (as in Redis).
        if client.idle_ms(now_ms) > timeout * 1000
            && !client.modes.is_pubsub()
            && !client.modes.is_replica()
            && !client.is_blocked()
        {
            log!(Verbose, "Closing idle client");
            client.kill();
        }
    }
}
