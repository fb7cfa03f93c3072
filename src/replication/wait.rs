//! `WAIT numreplicas timeout`: blocks the client until that many replicas acknowledged the
//! stream up to its last write, or the timeout passes (Redis's `waitCommand` and
//! `processClientsWaitingReplicas`). The client blocks through `blocking.rs` on no keys; every
//! ACK (and every replica that leaves) recounts the waiters and completes those satisfied.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::blocking::{self, Blocked};
use crate::clients::ClientInfo;
use crate::commands::{CommandError, CommandResult, Ctx};
use crate::keyspace::Writer;
use crate::protocol::{Reply, Request};
use crate::server::Server;

thread_local! {
    /// Where the stream ended after this thread's last write: its client's `woff`, what its
    /// `WAIT` waits for. A connection has a thread of its own, so this is per client.
    static WRITTEN_UP_TO: Cell<i64> = const { Cell::new(0) };
}

/// Remembers that the current thread's client wrote up to `offset` (from `propagate`).
pub(super) fn note_write(offset: i64) {
    WRITTEN_UP_TO.with(|cell| cell.set(offset));
}

/// The clients blocked in `WAIT`.
#[derive(Default)]
pub struct Waits {
    list: Mutex<Vec<Waiting>>,
}

struct Waiting {
    client: Arc<ClientInfo>,
    offset: i64,
    wanted: usize,
    /// Shared with the blocked task, which replies with it on a timeout.
    acked: Arc<AtomicUsize>,
}

/// What `blocking.rs` holds for a `WAIT`: nothing is served by keys; a timeout replies with
/// the count of replicas that had acknowledged by then.
struct WaitForAcks {
    acked: Arc<AtomicUsize>,
}

impl Blocked for WaitForAcks {
    fn serve(&mut self, _: &[u8], _: &mut Writer, _: &mut Reply) -> bool {
        false
    }

    fn timed_out(&self, reply: &mut Reply) {
        reply.integer(self.acked.load(Ordering::Relaxed) as i64);
    }
}

const ON_REPLICA: &str = "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

impl Waits {
    fn list(&self) -> MutexGuard<'_, Vec<Waiting>> {
        // Plain records pushed and removed whole.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Recounts the acknowledgements of every waiting client and wakes those satisfied; forgets
    /// those no longer blocked (timed out, unblocked, gone).
    pub fn recount(&self, server: &Server) {
        let replicas = &server.replication.replicas;
        self.list().retain(|waiting| {
            if !waiting.client.is_blocked() {
                return false;
            }
            let acked = replicas.acked_at_least(waiting.offset);
            waiting.acked.store(acked, Ordering::Relaxed);
            if acked < waiting.wanted {
                return true;
            }
            let mut out = Vec::new();
            Reply::new(&mut out, waiting.client.is_resp3()).integer(acked as i64);
            blocking::complete(server, waiting.client.id, out);
            false
        });
    }
}

/// `WAIT numreplicas timeout` (the timeout in milliseconds, 0 for ever).
pub fn wait(ctx: &mut Ctx, args: &Request) -> CommandResult {
    let server = ctx.server;
    if server.replication.link.is_replica() {
        return Err(CommandError::err(ON_REPLICA));
    }
    let wanted = crate::commands::parse_int(args.arg(1))?;
    let timeout = parse_timeout_ms(args.arg(2))?;
    let offset = WRITTEN_UP_TO.with(Cell::get);
    let replicas = &server.replication.replicas;
    let acked = replicas.acked_at_least(offset);
    if acked as i64 >= wanted || !ctx.may_block {
        ctx.reply.integer(acked as i64);
        return Ok(());
    }
    let shared = Arc::new(AtomicUsize::new(acked));
    let task = Box::new(WaitForAcks {
        acked: Arc::clone(&shared),
    });
    blocking::block(ctx, args, Vec::new(), timeout, task)?;
    server.replication.waits.list().push(Waiting {
        client: Arc::clone(&ctx.session.info),
        offset,
        wanted: wanted as usize,
        acked: shared,
    });
    // Ask now rather than wait for the replicas' next periodic ACK (Redis does it once per
    // event loop for all waiting clients).
    server.replication.request_acks(server);
    // An ACK may have arrived before the entry was pushed.
    server.replication.waits.recount(server);
    Ok(())
}

/// Redis's `getTimeoutFromObjectOrReply` in milliseconds: an integer, not negative; 0 waits
/// for ever.
fn parse_timeout_ms(arg: &[u8]) -> Result<blocking::Timeout, CommandError> {
    let ms = crate::commands::parse_int(arg)
        .map_err(|_| CommandError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}
