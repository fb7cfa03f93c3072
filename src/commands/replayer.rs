//! A client the server runs commands for on its own behalf: the append-only file's loader
//! (Redis's `createAOFClient`) and a replica applying its master's stream (Redis's master
//! client). Both run each command with a writer they already hold, through [`replay`], and
//! drop the reply: nobody is there to read it.

use std::sync::Arc;

use super::{CommandResult, Ctx, replay};
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
}

impl<'a> Replayer<'a> {
    /// A replayer for `client`: [`ClientInfo::internal`] for a file, or the registered
    /// connection a stream arrives on.
    pub fn new(server: &'a Server, client: Arc<ClientInfo>) -> Replayer<'a> {
        Replayer {
            server,
            session: Session::new(client, Login::new(&server.acl)),
            out: Vec::new(),
        }
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
        result
    }
}
