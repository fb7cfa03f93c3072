//! One client's connection, from its first byte to its last, on its own thread. (Stages 2–4:
//! reply to PING, to several PINGs on one connection, and to several clients at once.)
//!
//! The loop: read a request with [`RequestReader`] → [`commands::execute`] appends the reply to
//! an output buffer → next request. One `BufReader` serves the whole connection, so bytes of a
//! second request that arrived with the first are never lost (the bug in redis-go that STYLE.md
//! describes).
//!
//! # When replies are written
//! Replies are buffered and written just before the thread would otherwise block waiting for the
//! client: [`Socket::read`] flushes pending output before it calls `read` on the socket. So a
//! client that pipelines 1000 commands in one packet gets 1000 replies in one `write`, while a
//! client sending one command at a time gets each reply at once. No timer, no guessing. A very
//! large batch of replies is flushed early to bound memory. With the append-only file on, the
//! writes those replies acknowledge (or observed) are made durable first
//! (`persistence::make_durable`), one group commit for the whole batch. With `appendfsync
//! always` the thread does not wait for that fsync before reading on: it hands the replies to
//! the AOF's committer, which sends them after its fsync (`persistence/aof/handoff.rs`), and
//! writes nothing of its own until the committer is done with them.
//!
//! A client that does not read its replies does not stop its thread: what the socket does not
//! take stays in the output buffer (Redis's reply list) while the thread goes on reading and
//! running requests, so `client-output-buffer-limit` and `maxmemory-clients` see the backlog
//! and close the client (`clients/eviction.rs`). Past `MAX_UNWRITTEN`, or once the AOF is on,
//! the thread waits in `write` instead.
//!
//! # Subscribed clients
//! A client subscribed to a channel may be sent messages while it says nothing. Its thread
//! waits on its socket *and* its doorbell (`doorbell::wait`), which publishers ring, and writes
//! the messages waiting in its outbox (`pubsub.rs`) along with its replies: those published
//! before a command's reply was complete (by itself or anyone) go out before that reply, as in
//! Redis. A client that tracks keys (`CLIENT TRACKING`) waits the same way for its
//! invalidations. Other clients keep the plain `read`.

use std::io::{self, BufReader, Read, Write};
use std::sync::Arc;

use crate::acl::Login;
use crate::clients::ClientInfo;
use crate::clients::eviction::{self, OutputWatch};
use crate::clock;
use crate::commands::transactions::Transaction;
use crate::commands::{self, Ctx};
use crate::doorbell::{self, Interest, Woken};
use crate::log;
use crate::persistence;
use crate::persistence::aof::handoff::Outbox;
use crate::protocol::{ReadError, Reply, Request, RequestReader};
use crate::pubsub::Subscriber;
use crate::random::Rng;
use crate::server::Server;
use crate::stream::Stream;
use crate::sys;

/// Read buffer per connection: Redis reads 16 KB at a time (`PROTO_IOBUF_LEN`).
const READ_BUFFER: usize = 16 * 1024;

/// At most how many times a connection thread yields, waiting for the next request, before it
/// sleeps in `read` (see `Socket::read_without_sleeping`).
const MAX_YIELDS: u32 = 8;

/// When waiting has stopped paying off, retry it once every this many sleeps.
const PROBE_EVERY: u32 = 16;

/// Pending output beyond this is written without waiting for the input to run dry.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Replies a client has not read, beyond which its thread stops reading its requests and waits
/// in `write` instead: memory stays bounded even with no `client-output-buffer-limit` or
/// `maxmemory-clients` to close it (Redis, unbounded then, grows until `maxmemory`).
const MAX_UNWRITTEN: usize = 64 << 20;

/// The state of one connection that commands read and change.
pub struct Session {
    /// The shared, published view of this client (CLIENT LIST, CLIENT KILL).
    pub info: Arc<ClientInfo>,
    /// The selected database (`SELECT`).
    pub db: usize,
    /// RESP3 after `HELLO 3`.
    pub resp3: bool,
    /// `CLIENT NO-TOUCH ON`: reads do not update keys' access times.
    pub no_touch: bool,
    /// Send the pending replies, then close (QUIT, killing oneself).
    pub close_after_reply: bool,
    /// `CLIENT REPLY OFF`.
    pub reply_off: bool,
    /// `CLIENT REPLY SKIP` was just run: the next command's reply is dropped.
    pub skip_next_reply: bool,
    /// The current command's reply is dropped.
    skip_this_reply: bool,
    /// The command just run blocked (`BLPOP` on an empty list): what to wait for.
    pub blocked: Option<crate::blocking::Wait>,
    /// That command's run, for the slow log once it is served (`commands::observe`).
    pub blocked_call: Option<commands::observe::BlockedCall>,
    /// The command waits for a `CLIENT PAUSE` to end, and runs again then (`pause.rs`).
    pub postponed: bool,
    /// MONITOR lines of this monitor's own commands, sent after their replies.
    pub monitor_echo: Vec<u8>,
    pub rng: Rng,
    /// The commands queued since MULTI; `None` outside a transaction.
    pub transaction: Option<Transaction>,
    /// Its subscriptions and outbox, from its first pub/sub command on.
    pub subscriber: Option<Arc<Subscriber>>,
    /// Who it is: its ACL user, and whether it has logged in.
    pub login: Login,
    /// What it announced as a replica (`REPLCONF`), and the sync it asked for (`PSYNC`).
    pub replication: crate::replication::master::Handshake,
}

impl Session {
    pub fn new(info: Arc<ClientInfo>, login: Login) -> Session {
        Session {
            info,
            db: 0,
            resp3: false,
            no_touch: false,
            close_after_reply: false,
            reply_off: false,
            skip_next_reply: false,
            skip_this_reply: false,
            blocked: None,
            blocked_call: None,
            postponed: false,
            monitor_echo: Vec::new(),
            rng: Rng::new(),
            transaction: None,
            subscriber: None,
            login,
            replication: Default::default(),
        }
    }

    /// `CLIENT REPLY ON`: every reply is sent again, this command's `+OK` included even when
    /// it is the one a `CLIENT REPLY SKIP` just before it meant to drop (as Redis clears both
    /// flags before replying).
    pub fn replies_on(&mut self) {
        self.reply_off = false;
        self.skip_next_reply = false;
        self.skip_this_reply = false;
    }

    /// RESP2 subscribed mode: subscribed to something, and not speaking RESP3, which can mix
    /// pushes with replies. Only the pub/sub commands, PING, QUIT and RESET run then.
    pub fn in_resp2_pubsub(&self) -> bool {
        !self.resp3 && self.subscriber.as_ref().is_some_and(|s| s.is_listening())
    }

    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.info.set_db(db);
    }

    pub fn set_resp3(&mut self, resp3: bool) {
        self.resp3 = resp3;
        self.info.set_resp(if resp3 { 3 } else { 2 });
    }
}

/// The client's socket as the request reader sees it: pending replies go out before any read.
struct Socket<'a> {
    stream: &'a Stream,
    out: Vec<u8>,
    server: &'a Server,
    info: &'a Arc<ClientInfo>,
    /// How many times to yield before sleeping, learned from this client (see
    /// `read_without_sleeping`).
    yields: u32,
    /// Times this thread slept in `read`.
    sleeps: u32,
    /// How far the append-only file must be durable before the pending replies go out: the
    /// journal's end after the last command, covering every write it made or saw (0 while the
    /// AOF is off).
    durable_to: u64,
    /// The client's outbox, once it has used pub/sub.
    subscriber: Option<Arc<Subscriber>>,
    /// Replies handed to the AOF's committer, once one was.
    handed_off: Option<Arc<Outbox>>,
}

impl Socket<'_> {
    /// Writes the pending replies (once durable), after any handed off earlier.
    fn flush(&mut self) -> io::Result<()> {
        self.settle();
        if !self.out.is_empty() {
            self.write_out()?;
        }
        Ok(())
    }

    /// Writes the pending replies once the AOF holds what they acknowledge.
    fn write_out(&mut self) -> io::Result<()> {
        persistence::make_durable(self.server, self.durable_to);
        let mut stream = self.stream;
        // Visible while the write blocks on a client that does not read (`clients/memory.rs`).
        self.info.memory.set_output(&self.out, self.out.capacity());
        stream.write_all(&self.out)?;
        self.server.stats.record_write(self.out.len());
        self.out.clear();
        self.info.memory.set_output(&[], 0);
        // A huge reply (KEYS * on a big database) must not pin its buffer to the connection.
        if self.out.capacity() > 4 * FLUSH_THRESHOLD {
            self.out = Vec::with_capacity(FLUSH_THRESHOLD);
        }
        Ok(())
    }

    /// Writes what the socket's send buffer takes now and keeps the rest (Redis's
    /// `writeToClient`): a client that does not read its replies does not stop this thread
    /// from reading its requests, so its unwritten output grows here, where
    /// `client-output-buffer-limit` and `maxmemory-clients` see it (`clients/eviction.rs`).
    /// Only while the AOF has never been on: replies that acknowledge journaled writes go out
    /// through [`Socket::flush`].
    fn write_what_fits(&mut self) -> io::Result<()> {
        if self.out.len() > MAX_UNWRITTEN {
            return self.write_out();
        }
        let mut written = 0;
        while written < self.out.len() {
            match sys::send_now(self.stream, &self.out[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.server.stats.record_write(written);
        if written == self.out.len() {
            self.out.clear();
            if self.out.capacity() > 4 * FLUSH_THRESHOLD {
                self.out = Vec::with_capacity(FLUSH_THRESHOLD);
            }
        } else {
            self.out.drain(..written);
        }
        self.info.memory.set_output(&self.out, self.out.capacity());
        Ok(())
    }

    /// A full batch of replies, before the requests already read have all run.
    fn flush_early(&mut self) -> io::Result<()> {
        if self.durable_to == 0 {
            self.write_what_fits()
        } else {
            self.flush()
        }
    }

    /// Sleeps until the socket takes more of the replies left over by
    /// [`Socket::write_what_fits`] or the client sends something. Returns whether the socket
    /// is worth reading. Messages published meanwhile wait in the outbox: the client could not
    /// take them anyway.
    fn wait_for_room(&self) -> io::Result<bool> {
        // `poll_two` watches a second descriptor for reading: the socket again, harmlessly.
        let (events, _) =
            sys::poll_two(self.stream, sys::POLLIN | sys::POLLOUT, self.stream, None)?;
        Ok(events & (sys::POLLIN | sys::POLLHUP | sys::POLLERR) != 0)
    }

    /// Before reading: like [`Socket::flush`], except that replies that must wait for an fsync
    /// are handed to the AOF's committer instead of waiting here.
    fn flush_before_read(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        if self.durable_to == 0 {
            // The AOF has never been on (the journal's end only grows), so nothing was ever
            // handed off: the plain path.
            return self.write_what_fits();
        }
        self.settle();
        let aof = &self.server.persistence.aof;
        if !aof.must_wait_for_fsync(self.durable_to, self.server.config.fsync()) {
            return self.flush();
        }
        let outbox = self
            .handed_off
            .get_or_insert_with(|| Outbox::new(Arc::clone(self.info) as _));
        self.server.stats.record_write(self.out.len());
        aof.hand_off(outbox, &mut self.out, self.durable_to);
        Ok(())
    }

    /// Waits until replies handed off earlier are out: nothing may overtake them.
    fn settle(&self) {
        if let Some(outbox) = &self.handed_off {
            outbox.settle();
        }
    }

    /// Whether the committer still holds replies of this connection.
    fn reply_in_flight(&self) -> bool {
        self.handed_off
            .as_ref()
            .is_some_and(|outbox| outbox.in_flight())
    }

    /// Gives the client a moment to send its next request before this thread goes to sleep
    /// waiting for it: checks the socket without blocking, and if nothing is there, yields the
    /// CPU to the other runnable threads and checks again, a few times.
    ///
    /// Why: a thread that sleeps in `read` must be woken by the kernel when the request arrives,
    /// and a wake-up from another CPU costs an inter-processor interrupt (a VM exit in a virtual
    /// machine). Under load, by the time the other threads have had their turn the next request
    /// is usually there, and this thread takes it without ever sleeping: Redis's event loop gets
    /// the same saving by not sleeping while any client has work. When the server is idle the
    /// yields return at once and the thread sleeps after a few microseconds, so an idle server
    /// stays idle.
    ///
    /// Each yield is a trip through the scheduler, so the number of yields adapts to this
    /// client: it grows while waiting pays off and halves when it does not (a client that pauses
    /// between requests, or sends large pipelined batches), never beyond [`MAX_YIELDS`]. One
    /// non-blocking check is always made. For a subscriber, messages arriving while it yields
    /// end the wait as well (it returns `None`, and [`Socket::wait`] sees them).
    fn read_without_sleeping(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        for attempt in 0..=self.yields {
            match sys::recv_now(self.stream, buf) {
                Ok(n) => {
                    if attempt > 0 {
                        self.yields = (self.yields + 1).min(MAX_YIELDS);
                    }
                    return Ok(Some(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if attempt < self.yields {
                        std::thread::yield_now();
                        // Messages for a subscriber reward the wait too: its caller sends them.
                        if self.subscriber.as_ref().is_some_and(|s| s.has_messages()) {
                            self.yields = (self.yields + 1).min(MAX_YIELDS);
                            return Ok(None);
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.yields /= 2;
        // A client that stopped rewarding the wait may start again: try one yield now and then.
        self.sleeps = self.sleeps.wrapping_add(1);
        if self.yields == 0 && self.sleeps % PROBE_EVERY == 0 {
            self.yields = 1;
        }
        Ok(None)
    }

    /// Moves the pub/sub messages waiting for this client into its output, at `at`.
    fn take_messages(&mut self, at: usize) {
        if let Some(subscriber) = &self.subscriber {
            let before = self.out.len();
            subscriber.drain_into(&mut self.out, at);
            if self.out.len() != before {
                // A message may tell of a write (a keyspace notification), journaled before it
                // was published: it goes out once durable, as a reply would.
                self.durable_to = self.server.persistence.aof.end();
            }
        }
    }

    /// Sleeps until the client sends something or, if it is subscribed, a publisher rings.
    /// Returns whether the socket is worth reading (false: messages arrived).
    fn wait(&mut self) -> io::Result<bool> {
        let Some(subscriber) = self.subscriber.as_ref().filter(|s| s.expects_messages()) else {
            return Ok(true);
        };
        if !subscriber.may_sleep() {
            return Ok(false);
        }
        let woken = doorbell::wait(self.stream, self.info.doorbell()?, Interest::Requests, None);
        subscriber.woke();
        Ok(woken? != Woken::Rung)
    }
}

impl Read for Socket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Between requests: what this thread allocated becomes visible to the others' figure
        // (their `maxmemory` checks and INFO), even if the client leaves before it sleeps.
        crate::memory::allocator::publish_pending();
        let n = loop {
            self.take_messages(self.out.len());
            self.flush_before_read()?;
            // Replies in flight: the client waits for them, yielding for its next request
            // would only take the CPU from the threads that send them.
            if !self.reply_in_flight() {
                if let Some(n) = self.read_without_sleeping(buf)? {
                    break n;
                }
            }
            if !self.out.is_empty() {
                // The client is not reading: wait for room, or for its next request.
                if self.wait_for_room()? {
                    let mut stream = self.stream;
                    break stream.read(buf)?;
                }
                continue;
            }
            if self.wait()? {
                let mut stream = self.stream;
                break stream.read(buf)?;
            }
        };
        self.server.stats.record_read(n);
        self.info.touch(clock::now_ms());
        // A growing query buffer counts toward `maxmemory-clients` before the request is whole.
        self.info.memory.received(n);
        if eviction::enabled(&self.server.config) {
            eviction::enforce(self.server);
        }
        Ok(n)
    }
}

/// Serves one client until it disconnects, breaks the protocol, or is killed.
pub fn serve(server: &Server, info: Arc<ClientInfo>) {
    let socket = Socket {
        stream: &info.stream,
        out: Vec::new(),
        server,
        info: &info,
        yields: MAX_YIELDS,
        sleeps: 0,
        durable_to: 0,
        subscriber: None,
        handed_off: None,
    };
    let mut reader = RequestReader::new(BufReader::with_capacity(READ_BUFFER, socket));
    let mut request = Request::default();
    let mut session = Session::new(Arc::clone(&info), Login::new(&server.acl));
    crate::tracking::serve_as(info.id);
    let mut output_watch = OutputWatch::default();

    loop {
        let limits = server
            .config
            .limits(session.login.must_authenticate(&server.acl));
        match reader.read_request(&mut request, limits) {
            Ok(true) => info.memory.request_read(reader.get_ref().buffer().len()),
            Ok(false) => continue,
            Err(ReadError::Closed) => break,
            Err(ReadError::Io(error)) => {
                log!(Verbose, "Reading from client: {error}");
                break;
            }
            Err(ReadError::Protocol(error)) => {
                let message = error.message();
                log!(
                    Verbose,
                    "Protocol error ({}) from client: {}",
                    error.reason(),
                    info.describe(clock::now_ms(), None)
                );
                let socket = reader.get_mut().get_mut();
                Reply::new(&mut socket.out, session.resp3).error(&message);
                server.stats.record_error(&message);
                break;
            }
            Err(ReadError::QueryBufferLimit) => {
                log!(
                    Warning,
                    "Closing client that reached max query buffer length: {}",
                    info.describe(clock::now_ms(), None)
                );
                return;
            }
        }

        let socket = reader.get_mut().get_mut();
        let mut mark = socket.out.len();
        let queued = info.modes.queued();
        // Once more after a CLIENT PAUSE that held the command ends (`pause.rs`).
        let mut released = false;
        loop {
            let resp3 = session.resp3;
            let now_us = clock::now_us();
            let mut ctx = Ctx {
                server,
                session: &mut session,
                reply: Reply::new(&mut socket.out, resp3),
                now_ms: now_us / 1000,
                now_us,
                may_block: true,
                held: None,
                expired_reads: Default::default(),
            };
            commands::execute(&mut ctx, &request);
            if std::mem::take(&mut released) {
                // The held clients run one after another, in the order they were held.
                server.pause.release_next(server);
            }
            socket.durable_to = server.persistence.aof.end();
            if session.subscriber.is_none() && info.tracking.is_redirect_target() {
                // Another client sends its invalidations here: they wait in this outbox.
                session.subscriber = server.pubsub.subscriber(info.id);
            }
            if socket.subscriber.is_none() {
                socket.subscriber = session.subscriber.clone();
            }
            let Some(wait) = session.blocked.take() else {
                break;
            };
            // The command blocked: earlier replies go out first, its own comes when it is served.
            let Some(reply) = crate::blocking::wait(server, &info, wait, || socket.flush()) else {
                if session.postponed {
                    server.pause.release_next(server);
                }
                return;
            };
            socket.out.extend_from_slice(&reply);
            mark = 0;
            // The write that served it (another client's) journaled the pop: durable first.
            socket.durable_to = server.persistence.aof.end();
            released = std::mem::take(&mut session.postponed);
            if !released {
                commands::observe::unblocked(server, &mut session, &request, &reply);
                break;
            }
        }

        if session.reply_off || session.skip_this_reply {
            socket.out.truncate(mark);
        }
        // Messages published before the command's reply was complete go out before it;
        // invalidations its own writes caused, after it (`tracking/delivery.rs`).
        socket.take_messages(mark);
        crate::tracking::take_deferred(&mut socket.out);
        (info.memory).follow_transaction(queued, info.modes.queued(), &request);
        if output_watch.after_command(server, &info, &socket.out, socket.out.capacity()) {
            socket.out.clear();
        }
        session.skip_this_reply = std::mem::take(&mut session.skip_next_reply);
        if let Some(sync) = session.replication.sync.take() {
            // PSYNC/SYNC: from now on this thread feeds the replica (`replication/master.rs`),
            // and what it sent after the command, already read, goes to its ACK reader.
            let pipelined = reader.get_ref().buffer().to_vec();
            let socket = reader.get_mut().get_mut();
            if socket.flush().is_ok() {
                let handshake = &session.replication;
                crate::replication::master::serve(server, &info, handshake, sync, pipelined);
            }
            return;
        }
        if session.close_after_reply || info.is_killed() {
            break;
        }
        if socket.out.len() >= FLUSH_THRESHOLD
            && eviction::may_flush_early(server, socket.out.len())
            && socket.flush_early().is_err()
        {
            return;
        }
        request.shrink();
    }
    // Whatever is still pending (QUIT's +OK, a protocol error) goes out before the close.
    info.mark_closing();
    let socket = reader.get_mut().get_mut();
    if socket.flush().is_ok() {
        discard_unread_input(socket.stream);
    }
}

/// Reads and drops what the client has already sent, without waiting for more. Closing a socket
/// with unread input makes the kernel answer with RST instead of FIN, and a peer that gets the
/// RST may lose the reply we just sent (the protocol error, QUIT's `+OK`). Redis drains too,
/// though by accident: it frees a closing client on a later turn of its event loop, after one
/// more read. Bounded, so a client that keeps sending cannot hold the thread here.
fn discard_unread_input(mut stream: &Stream) {
    const MAX_DISCARDED: usize = 64 * 1024;
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let mut scratch = [0u8; 4096];
    let mut discarded = 0;
    while discarded < MAX_DISCARDED {
        match stream.read(&mut scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => discarded += n,
        }
    }
}
