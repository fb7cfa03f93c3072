//! The master's stream, applied (stages 36–38). Each command runs on the write path as the
//! master's client ([`Replayer`], which obeys: no READONLY, no limits), so the append-only file,
//! WATCH, keyspace notifications and blocked clients see replicated writes as any other. A
//! transaction is applied whole at its `EXEC`, never half.
//!
//! The offset counts the stream's bytes exactly as Redis counts them (`c->reploff`): every byte
//! of every command applied, `PING`s and `REPLCONF GETACK`s included, a transaction's only at
//! its `EXEC`. The same bytes go verbatim into our backlog, under the same lock, so our own
//! replicas get the master's stream unchanged and the offsets agree along a chain.
//!
//! We acknowledge with `REPLCONF ACK <offset>` once a second (a thread beside this one) and at
//! once on `REPLCONF GETACK *`, with the offset before that command (Redis replies while the
//! command runs, its bytes not yet counted).

use std::io::{self, BufRead, BufReader, Read};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Connection, Patient, Sender, is_timeout, stopped};
use crate::clients::ClientInfo;
use crate::commands::{Replayer, is_option};
use crate::protocol::{ReadError, Request, RequestReader};
use crate::server::Server;
use crate::stream::{Address, Stream};
use crate::{clock, log};

/// How often an ACK goes to the master (Redis's `replicationCron` sends one each run).
const ACK_PERIOD: Duration = Duration::from_secs(1);

/// Applies the stream until the link ends or the master changes.
pub fn stream(server: &Server, connection: &mut Connection, generation: u64) -> io::Result<()> {
    let client = register_master_client(server, connection)?;
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        let sender = &connection.sender;
        std::thread::Builder::new()
            .name("replica-acks".into())
            .spawn_scoped(scope, || send_acks(server, sender, &done))?;
        let mut replayer = Replayer::new(server, Arc::clone(&client)).counting_calls();
        // A stream that continues has selected its database already.
        replayer.session.db = server.replication.link.stream_db().unwrap_or(0);
        let mut applier = Applier {
            server,
            generation,
            replayer,
            transaction: None,
        };
        let result = applier.run(&mut connection.reader, sender);
        done.store(true, Ordering::Relaxed);
        result
    });
    server.clients.unregister(client.id);
    result
}

/// Registers the link as a client, flagged `M` (CLIENT LIST, `CLIENT KILL TYPE master`, which
/// cuts the link: the thread then reconnects).
fn register_master_client(server: &Server, connection: &Connection) -> io::Result<Arc<ClientInfo>> {
    let socket: &TcpStream = &connection.reader.get_ref().0;
    let address = |a: io::Result<std::net::SocketAddr>| {
        Address::Ip(a.unwrap_or_else(|_| ([0, 0, 0, 0], 0).into()))
    };
    let client = server.clients.register(
        Stream::Tcp(socket.try_clone()?),
        address(socket.peer_addr()),
        address(socket.local_addr()),
    );
    client.modes.set_master(true);
    Ok(client)
}

/// `REPLCONF ACK <offset>` now, then each [`ACK_PERIOD`] until `done`.
fn send_acks(server: &Server, sender: &Sender, done: &AtomicBool) {
    // The first at once: a master that sent its snapshot diskless streams only once it has it.
    if acknowledge(server, sender).is_err() {
        return;
    }
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(step);
        waited += step;
        if waited >= ACK_PERIOD {
            waited = Duration::ZERO;
            if acknowledge(server, sender).is_err() {
                return;
            }
        }
    }
}

/// Tells the master how far we applied its stream.
fn acknowledge(server: &Server, sender: &Sender) -> io::Result<()> {
    let offset = server
        .replication
        .link
        .processed_offset
        .load(Ordering::Relaxed);
    sender.send(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()])
}

/// The master's client: what it has read of a transaction not yet applied.
struct Applier<'a> {
    server: &'a Server,
    generation: u64,
    replayer: Replayer<'a>,
    /// After `MULTI`: the commands queued, and the bytes read since (MULTI's included).
    transaction: Option<(Vec<Request>, Vec<u8>)>,
}

impl Applier<'_> {
    fn run(&mut self, reader: &mut BufReader<Patient>, sender: &Sender) -> io::Result<()> {
        let link = &self.server.replication.link;
        let mut requests = RequestReader::new(Recording {
            inner: reader,
            bytes: Vec::new(),
        });
        let mut request = Request::default();
        // Our master is trusted with any size of argument, as Redis trusts its master.
        let limits = crate::protocol::Limits::default();
        loop {
            let parsed = match requests.read_request(&mut request, limits) {
                Ok(parsed) => parsed,
                Err(ReadError::Closed) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the master closed the link",
                    ));
                }
                Err(ReadError::Io(error)) if is_timeout(&error) => {
                    log!(Warning, "MASTER timeout: no data nor PING received...");
                    return Err(error);
                }
                Err(ReadError::Io(error)) => return Err(error),
                Err(ReadError::Protocol(error)) => {
                    log!(
                        Warning,
                        "Protocol error ({}) from client: {}. Query buffer during protocol error: ''",
                        error.reason(),
                        self.replayer.session.info.describe(clock::now_ms(), None)
                    );
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "protocol error"));
                }
                Err(ReadError::QueryBufferLimit) => {
                    return Err(io::Error::other("query buffer limit"));
                }
            };
            let bytes = std::mem::take(&mut requests.get_mut().bytes);
            link.touch();
            link.read_offset
                .fetch_add(bytes.len() as i64, Ordering::Relaxed);
            self.replayer.session.info.touch(clock::now_ms());
            if parsed && is_getack(&request) {
                acknowledge(self.server, sender)?;
            }
            self.take(parsed.then_some(&request), bytes)?;
        }
    }

    /// One command read (`None`: bytes that hold none, which count all the same).
    fn take(&mut self, request: Option<&Request>, bytes: Vec<u8>) -> io::Result<()> {
        let name = request.map_or(&b""[..], |r| r.arg(0));
        if let Some((queued, pending)) = &mut self.transaction {
            pending.extend_from_slice(&bytes);
            if is_option(name, "exec") {
                let (queued, pending) = self.transaction.take().unwrap_or_default();
                return self.apply(&queued, &pending);
            }
            if let Some(request) = request {
                queued.push(request.clone());
            }
            return Ok(());
        }
        if is_option(name, "multi") {
            self.transaction = Some((Vec::new(), bytes));
            return Ok(());
        }
        // REPLCONF (GETACK) is answered above, not run.
        let run: &[Request] = match request {
            Some(request) if !is_option(name, "replconf") => std::slice::from_ref(request),
            _ => &[],
        };
        self.apply(run, &bytes)
    }

    /// Runs the master's commands one after the other with the writer the apply holds.
    fn run_all(&mut self, w: &mut crate::keyspace::Writer, requests: &[Request]) {
        for request in requests {
            if let Err(error) = self.replayer.run(w, request) {
                // Redis logs it too: a replica that cannot apply its master's command is
                // drifting from it.
                log!(
                    Warning,
                    "== CRITICAL == This replica is sending an error to its master: '{}' after processing the command '{}'",
                    String::from_utf8_lossy(&error.message()),
                    String::from_utf8_lossy(request.arg(0))
                );
            }
        }
    }

    /// Runs `requests` in one write (a transaction is atomic for every reader), then feeds their
    /// `bytes` to our backlog and counts them, under the same lock.
    fn apply(&mut self, requests: &[Request], bytes: &[u8]) -> io::Result<()> {
        let server = self.server;
        let replication = &server.replication;
        let db = self.replayer.session.db;
        server.write(db, clock::now_ms(), |w| {
            if !replication.link.is_current(self.generation) {
                return Err(stopped());
            }
            w.obeying_master(|w| self.run_all(w, requests));
            replication.feed(server, bytes);
            let link = &replication.link;
            link.processed_offset
                .store(replication.offset(), Ordering::Relaxed);
            link.set_stream_db(self.replayer.session.db);
            Ok(())
        })
    }
}

fn is_getack(request: &Request) -> bool {
    request.len() >= 2
        && is_option(request.arg(0), "replconf")
        && is_option(request.arg(1), "getack")
}

/// The connection's reader, keeping a copy of every byte the parser consumes: one command's
/// exact bytes, to count and to pass on.
struct Recording<'a> {
    inner: &'a mut BufReader<Patient>,
    bytes: Vec<u8>,
}

impl Read for Recording<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Recording<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.bytes.extend_from_slice(&self.inner.buffer()[..amount]);
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getack_is_recognised_in_any_case() {
        assert!(is_getack(&Request::from_args(&["REPLCONF", "GETACK", "*"])));
        assert!(is_getack(&Request::from_args(&["replconf", "getack", "*"])));
        assert!(!is_getack(&Request::from_args(&["REPLCONF", "ACK", "0"])));
        assert!(!is_getack(&Request::from_args(&["PING"])));
    }
}
