//! A client the server runs commands for on its own behalf: the append-only file's loader
//! (Redis's `createAOFClient`) and a replica applying its master's stream (Redis's master
//! client). Both run each command with a writer they already hold, through [`replay`], and
//! drop the reply: nobody is there to read it.

use std::sync::Arc;

use super::{CommandResult, Ctx, replay, resolve};
use crate::acl::Login;
use crate::clients::ClientInfo;
use crate::clock;
use crate::connection::Session;
use crate::keyspace::Writer;
use crate::protocol::{Reply, Request};
use crate::server::Server;

/// The session commands run in (its selected database carries over from one to the next, so a
/// `SELECT` in the input applies to what follows), and the buffer their replies go to.
pub struct Replayer<'a> {
    server: &'a Server,
    pub session: Session,
    out: Vec<u8>,
    /// Count each command in INFO's commandstats: a replica's master client does, as its
    /// commands go through Redis's `call()`; a file being loaded does not.
    counts_calls: bool,
}

impl<'a> Replayer<'a> {
    /// A replayer for `client`: [`ClientInfo::internal`] for a file, or the registered
    /// connection a stream arrives on.
    pub fn new(server: &'a Server, client: Arc<ClientInfo>) -> Replayer<'a> {
        Replayer {
            server,
            session: Session::new(client, Login::new(&server.acl)),
            out: Vec::new(),
            counts_calls: false,
        }
    }

    /// A replayer whose commands count in INFO's commandstats.
    pub fn counting_calls(mut self) -> Replayer<'a> {
        self.counts_calls = true;
        self
    }

    /// Runs one command with `w`; its reply is dropped. An error is returned for the caller to
    /// log or ignore, as Redis's loader ignores it.
    pub fn run(&mut self, w: &mut Writer, request: &Request) -> CommandResult {
        let now_us = clock::now_us();
        let mut ctx = Ctx {
            server: self.server,
            session: &mut self.session,
            reply: Reply::new(&mut self.out, false),
            now_ms: now_us / 1000,
            now_us,
            may_block: false,
            held: None,
            expired_reads: Default::default(),
        };
        let result = replay(&mut ctx, request, w);
        self.out.clear();
        if self.counts_calls {
            if let Ok(resolved) = resolve(request) {
                let elapsed = clock::now_us().saturating_sub(now_us).max(0) as u64;
                let elapsed = std::time::Duration::from_micros(elapsed);
                (self.server.stats).record_call(resolved.id, elapsed, result.is_err());
            }
        }
        result
    }
}
