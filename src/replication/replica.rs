//! The replica side: the link to our master, if `REPLICAOF` (or `--replicaof`) gave us one.
//! (Stages 26–30 and 36–38.)
//!
//! One thread follows whatever master is configured, for the server's whole life ([`start`]):
//! it connects, makes the handshake, syncs (in full, or partially from where it stopped), then
//! applies the master's stream until the link drops or the master changes, and starts over a
//! second later, as Redis's `replicationCron` retries `connectWithMaster`. Blocking I/O on one
//! socket: the thread *is* the master's client.
//!
//! # The map
//! - [`handshake`]: PING, AUTH, REPLCONF, PSYNC, and what the master answers
//!   (Redis's `syncWithMaster` and `slaveTryPartialResynchronization`).
//! - [`transfer`]: a full sync's snapshot, received to a file and loaded in place of our data
//!   (`readSyncBulkPayload`).
//! - [`apply`]: the master's commands applied on the write path, the offset counted in bytes,
//!   the ACKs (`processInputBuffer` for the master client, `replicationSendAck`).
//! - [`own_keys`]: the keys a writable replica's own clients gave a time to live, which it
//!   expires itself (`slaveKeysWithExpire`).
//!
//! # How the rest of the server sees it
//! [`Link::is_replica`] (role, READONLY, the journal), [`Link::status`] (INFO, ROLE), and
//! [`set_master`]/[`unset_master`] (`REPLICAOF`). A change of master bumps a generation number
//! and cuts the socket; the thread checks the generation under the keyspace lock before each
//! command it applies, so nothing from an old master lands after `REPLICAOF` returned.

pub mod apply;
pub mod handshake;
pub mod own_keys;
pub mod transfer;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::config::Config;
use crate::keyspace::changes::encode_command;
use crate::server::Server;
use crate::{clock, log};

/// How long after a failed attempt the link tries again (Redis's cron runs once a second).
const RETRY: Duration = Duration::from_secs(1);

/// The link to our master. `Default`: none, we are a master.
#[derive(Default)]
pub struct Link {
    /// Whether a master is configured: read on every write, so not behind the mutex.
    replica: AtomicBool,
    target: Mutex<Target>,
    /// Rung when the target changes, so the thread waiting for one, or for its retry, wakes.
    changed: Condvar,
    progress: Mutex<Progress>,
    /// Bytes of the master's stream read (`slave_read_repl_offset`) and applied
    /// (`slave_repl_offset`): they differ inside a transaction, applied only at its `EXEC`.
    read_offset: AtomicI64,
    processed_offset: AtomicI64,
    /// The database the master's stream last selected, plus one (0: none yet): a stream that
    /// continues after a reconnect or a restart does not select it again.
    stream_db: AtomicUsize,
    /// When a byte last came from the master (Unix ms; 0: never on this link).
    last_io_ms: AtomicI64,
    /// The generation whose connection `socket` is, and the connection, to cut it.
    socket: Mutex<Option<(u64, TcpStream)>>,
}

/// The master to follow. Each change is a new generation: what the thread does for an older
/// one is abandoned.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub master: Option<(String, u16)>,
    pub generation: u64,
}

/// Where the link stands, as INFO and ROLE show it.
#[derive(Debug, Default)]
struct Progress {
    state: State,
    /// PSYNC with our own history (replid and offset) rather than `PSYNC ? -1`: Redis's
    /// "cached master", made when a master turns replica or a synced link drops.
    cached: bool,
    transfer: Option<Transfer>,
    /// When the link last went down (Unix ms; 0: never up).
    down_since_ms: i64,
}

/// A full sync's snapshot as it arrives (INFO's `master_sync_*` lines).
#[derive(Debug, Clone, Copy, Default)]
pub struct Transfer {
    /// Its size, or -1 while it streams in the diskless `$EOF:` form (Redis shows -1 too).
    pub total: i64,
    pub read: i64,
    pub last_io_ms: i64,
}

/// Redis's `repl_state`, by the names ROLE gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum State {
    /// Not connected; a connection will be tried.
    #[default]
    Connect,
    Connecting,
    /// Connected, the PING/REPLCONF/PSYNC conversation under way.
    Handshake,
    /// Receiving the snapshot.
    Transfer,
    /// Applying the stream.
    Connected,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Connect => "connect",
            State::Connecting => "connecting",
            State::Handshake => "handshake",
            State::Transfer => "sync",
            State::Connected => "connected",
        }
    }
}

/// What INFO and ROLE show about the link to our master.
#[derive(Debug, Clone, Default)]
pub struct LinkStatus {
    pub host: String,
    pub port: u16,
    /// `master_link_status:up`.
    pub link_up: bool,
    /// Seconds since the last byte from the master (`master_last_io_seconds_ago`), -1 if never.
    pub last_io_seconds_ago: i64,
    /// `master_sync_in_progress`: the snapshot is arriving.
    pub sync_in_progress: bool,
    /// Offset of the stream read from the master (`slave_read_repl_offset`).
    pub read_offset: i64,
    /// Offset of the stream applied (`slave_repl_offset`).
    pub processed_offset: i64,
    /// ROLE's state: "connect", "connecting", "sync", "connected"...
    pub state: &'static str,
    /// The snapshot's progress while it arrives.
    pub transfer: Option<Transfer>,
    /// While the link is down: seconds since it went down, -1 if it was never up
    /// (`master_link_down_since_seconds`).
    pub down_since_seconds: Option<i64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each holds plain values assigned whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Link {
    /// Whether we replicate a master (`role:slave`).
    pub fn is_replica(&self) -> bool {
        self.replica.load(Ordering::Relaxed)
    }

    /// Whether the link is up: the stream from our master is being applied.
    pub fn is_up(&self) -> bool {
        self.is_replica() && self.state() == State::Connected
    }

    /// The master we follow and the generation of that choice.
    pub fn target(&self) -> Target {
        lock(&self.target).clone()
    }

    /// Whether `generation` is still the master to follow.
    pub fn is_current(&self, generation: u64) -> bool {
        lock(&self.target).generation == generation
    }

    /// The link's state, if we are a replica.
    pub fn status(&self) -> Option<LinkStatus> {
        let (host, port) = self.target().master?;
        let progress = lock(&self.progress);
        let now = clock::now_ms();
        let seconds_since = |ms: i64| (now - ms) / 1000;
        let link_up = progress.state == State::Connected;
        let last_io_ms = self.last_io_ms.load(Ordering::Relaxed);
        Some(LinkStatus {
            host,
            port,
            link_up,
            last_io_seconds_ago: if last_io_ms == 0 || !link_up {
                -1
            } else {
                seconds_since(last_io_ms)
            },
            sync_in_progress: progress.state == State::Transfer,
            read_offset: self.read_offset.load(Ordering::Relaxed),
            processed_offset: self.processed_offset.load(Ordering::Relaxed),
            state: progress.state.name(),
            transfer: progress
                .transfer
                .filter(|_| progress.state == State::Transfer),
            down_since_seconds: (!link_up).then(|| match progress.down_since_ms {
                0 => -1,
                since => seconds_since(since),
            }),
        })
    }

    /// Follows `master` from now on (`None`: none, we are a master again). The connection to
    /// the previous one is cut; the thread notices and starts over with this one.
    fn retarget(&self, master: Option<(String, u16)>) {
        let mut target = lock(&self.target);
        self.replica.store(master.is_some(), Ordering::Relaxed);
        target.master = master;
        target.generation += 1;
        if let Some((_, socket)) = lock(&self.socket).take() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        self.changed.notify_all();
    }

    /// Waits until there is a master to follow, or `timeout` passes with the same target.
    fn wait_for_change(&self, generation: u64, timeout: Duration) {
        let target = lock(&self.target);
        let _ = self
            .changed
            .wait_timeout_while(target, timeout, |target| target.generation == generation);
    }

    fn set_state(&self, state: State) {
        let mut progress = lock(&self.progress);
        if progress.state == State::Connected && state != State::Connected {
            progress.down_since_ms = clock::now_ms();
        }
        progress.state = state;
        if state != State::Transfer {
            progress.transfer = None;
        }
    }

    fn state(&self) -> State {
        lock(&self.progress).state
    }

    /// Whether the next PSYNC offers our own history (see [`Progress::cached`]).
    fn has_cached_history(&self) -> bool {
        lock(&self.progress).cached
    }

    fn set_cached_history(&self, cached: bool) {
        lock(&self.progress).cached = cached;
    }

    fn set_transfer(&self, transfer: Transfer) {
        lock(&self.progress).transfer = Some(transfer);
    }

    /// A byte came from the master.
    fn touch(&self) {
        self.last_io_ms.store(clock::now_ms(), Ordering::Relaxed);
    }

    /// The stream is now at `offset`, read and applied alike (after a sync).
    fn set_offsets(&self, offset: i64) {
        self.read_offset.store(offset, Ordering::Relaxed);
        self.processed_offset.store(offset, Ordering::Relaxed);
    }

    /// The database the master's stream has selected, once we have synced with it.
    pub fn stream_db(&self) -> Option<usize> {
        self.stream_db.load(Ordering::Relaxed).checked_sub(1)
    }

    fn set_stream_db(&self, db: usize) {
        self.stream_db.store(db + 1, Ordering::Relaxed);
    }

    /// A restarted replica goes on from the history its RDB file was saved at.
    pub fn continue_from(&self, offset: i64, stream_db: usize) {
        self.set_cached_history(true);
        self.set_offsets(offset);
        self.set_stream_db(stream_db);
    }

    /// Keeps a handle on the connection of `generation`, so a change of master can cut it.
    /// Refused if the master changed meanwhile.
    fn keep_socket(&self, generation: u64, socket: &TcpStream) -> io::Result<()> {
        let target = lock(&self.target);
        if target.generation != generation {
            return Err(stopped());
        }
        *lock(&self.socket) = Some((generation, socket.try_clone()?));
        Ok(())
    }
}

/// Why work for a master stopped when it is no longer ours.
#[derive(Debug)]
struct MasterChanged;

impl std::fmt::Display for MasterChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the master changed")
    }
}

impl std::error::Error for MasterChanged {}

/// The error that ends work for a master that is no longer ours.
fn stopped() -> io::Error {
    io::Error::other(MasterChanged)
}

fn is_stopped(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<MasterChanged>())
}

/// `REPLICAOF host port` (Redis's `replicationSetMaster`): follows that master from now on. A
/// master turning replica offers its own history to the new master (`PSYNC <replid>
/// <offset+1>`), which may then need to send only what we miss.
pub fn set_master(server: &Server, host: &str, port: u16) {
    let link = &server.replication.link;
    if !link.is_replica() {
        log!(
            Notice,
            "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer."
        );
        link.set_cached_history(true);
        let offset = server.replication.offset();
        link.set_offsets(offset);
    }
    crate::log::set_role(b'S');
    crate::config::write(&server.config.replicaof, Some((host.to_string(), port)));
    link.set_state(State::Connect);
    retarget(server, Some((host.to_string(), port)));
    server.blocking.unblock_all(server);
    log!(Notice, "Connecting to MASTER {host}:{port}");
}

/// `REPLICAOF NO ONE` (Redis's `replicationUnsetMaster`): we are a master again. Our history
/// goes on under a new replication ID, the old one kept as the second, so our own replicas
/// (disconnected here to learn the new ID) and former siblings can resync partially.
/// `holding_lock`: the caller holds the keyspace's exclusive lock already (`EXEC`, as
/// Sentinel sends it), which keeps the master's stream out while we turn.
pub fn unset_master(server: &Server, holding_lock: bool) {
    let replication = &server.replication;
    let turn = || {
        retarget(server, None);
        replication.promote();
    };
    if holding_lock {
        turn();
    } else {
        server.keyspace.write(0, clock::now_ms(), |_| turn());
    }
    crate::config::write(&server.config.replicaof, None);
    crate::log::set_role(b'M');
    replication.link.set_state(State::Connect);
    super::replicas::disconnect_all(server);
}

/// Follows `master` from now on (see [`Link::retarget`]). While we are a replica, the writes
/// of our own clients record the keys they touch, for [`own_keys`].
fn retarget(server: &Server, master: Option<(String, u16)>) {
    let replica = master.is_some();
    server.replication.link.retarget(master);
    let switches = &server.keyspace.switches;
    switches.replica_writes.store(replica, Ordering::Relaxed);
}

/// Starts the thread that follows the configured master (the one `--replicaof` names, if any).
pub fn start(server: Arc<Server>) -> io::Result<()> {
    if let Some((host, port)) = crate::config::read(&server.config.replicaof) {
        crate::log::set_role(b'S');
        retarget(&server, Some((host, port)));
    }
    std::thread::Builder::new()
        .name("replica-link".into())
        .spawn(move || follow_forever(&server))?;
    Ok(())
}

/// The thread: follow the current master until the link ends, then again (a second later if
/// the master did not change meanwhile).
fn follow_forever(server: &Server) {
    let link = &server.replication.link;
    loop {
        let target = link.target();
        let Some((host, port)) = target.master.clone() else {
            link.wait_for_change(target.generation, Duration::from_secs(3600));
            continue;
        };
        match follow(server, &host, port, target.generation) {
            Err(error) if is_stopped(&error) => {}
            // What cut it was logged where it was seen (a timeout, a protocol error), if at all.
            Err(_) if link.state() == State::Connected => {
                log!(Notice, "Connection with master lost.");
            }
            Err(error) => log!(Warning, "Error condition on socket for SYNC: {error}"),
            Ok(()) => {}
        }
        lock(&link.socket).take();
        if link.state() == State::Connected {
            // Redis's `replicationCacheMaster`: the next PSYNC offers what we have.
            log!(Notice, "Caching the disconnected master state.");
            link.set_cached_history(true);
        }
        if link.is_current(target.generation) {
            link.set_state(State::Connect);
            link.wait_for_change(target.generation, RETRY);
        }
    }
}

/// One connection to the master: connect, handshake, sync, then the stream until it ends.
fn follow(server: &Server, host: &str, port: u16, generation: u64) -> io::Result<()> {
    let link = &server.replication.link;
    link.set_state(State::Connecting);
    log!(Notice, "MASTER <-> REPLICA sync started");
    let timeout = Duration::from_secs(Config::get(&server.config.repl_timeout).max(1) as u64);
    let socket = connect(host, port, timeout)?;
    link.keep_socket(generation, &socket)?;
    log!(Notice, "Non blocking connect for SYNC fired the event.");
    socket.set_read_timeout(Some(timeout))?;
    socket.set_write_timeout(Some(timeout))?;
    let _ = socket.set_nodelay(true);
    let mut connection = Connection {
        reader: BufReader::with_capacity(1 << 16, Patient(socket.try_clone()?)),
        sender: Sender {
            socket,
            lock: Mutex::new(()),
        },
    };
    link.set_state(State::Handshake);
    let sync = handshake::run(server, &mut connection);
    super::failover::psync_answered(server, sync.is_ok());
    let sync = sync.inspect_err(|error| {
        if is_timeout(error) {
            log!(Warning, "Timeout connecting to the MASTER...");
        }
    })?;
    match sync {
        handshake::Sync::Full { replid, offset } => {
            transfer::full_sync(server, &mut connection, &replid, offset, generation)
                .inspect_err(|error| {
                    if is_timeout(error) {
                        log!(
                            Warning,
                            "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
                        );
                    }
                })?;
        }
        handshake::Sync::Partial { replid } => {
            server.keyspace.write(0, clock::now_ms(), |_| {
                if !link.is_current(generation) {
                    return Err(stopped());
                }
                if let Some(replid) = replid {
                    continue_as(server, replid);
                }
                Ok(())
            })?;
            log!(
                Notice,
                "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
            );
        }
    }
    link.set_cached_history(true);
    link.set_state(State::Connected);
    apply::stream(server, &mut connection, generation)
}

/// `+CONTINUE <new replid>`: the master's history goes on under a new ID (it was promoted).
/// Ours follows, the old ID kept as the second, and our own replicas are told by being
/// disconnected (Redis's `slaveTryPartialResynchronization`).
fn continue_as(server: &Server, replid: String) {
    let replication = &server.replication;
    if replication.replid() == replid {
        return;
    }
    replication.shift_replid(replid.clone());
    log!(Notice, "Master replication ID changed to {replid}");
    super::replicas::disconnect_all(server);
}

/// Whether a read gave up after `repl-timeout` (the socket's read timeout).
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// TCP to the master, trying each address the host name resolves to.
fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no address for the master");
    for address in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(socket) => return Ok(socket),
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
}

/// The connection to the master: what we read (the replies, the snapshot, then the stream, in
/// one buffer) and what we write (the handshake, then the ACKs, from two threads).
pub struct Connection {
    pub reader: BufReader<Patient>,
    pub sender: Sender,
}

/// The socket as read from: a read a signal interrupted is tried again. A socket with a read
/// timeout (ours: `repl-timeout`) fails with `EINTR` when the process is stopped and continued
/// (SIGSTOP, SIGCONT), even with no signal handler; that is no reason to drop the link.
pub struct Patient(pub TcpStream);

impl Read for Patient {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.0.read(buf) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }
}

/// The sending half of the connection; one command at a time, whichever thread sends it.
pub struct Sender {
    socket: TcpStream,
    lock: Mutex<()>,
}

impl Sender {
    /// Sends one command as a RESP array.
    pub fn send(&self, args: &[&[u8]]) -> io::Result<()> {
        let bytes = encode_command(args.iter());
        let _one_at_a_time = lock(&self.lock);
        (&self.socket).write_all(&bytes)
    }
}

impl Connection {
    /// Reads one reply line, without its line end (an empty line: a keep-alive newline).
    /// Lines are short here; one that never ends is a master speaking another protocol.
    pub fn read_line(&mut self) -> io::Result<String> {
        const MAX_LINE: u64 = 64 * 1024;
        let mut line = Vec::new();
        (&mut self.reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)?;
        if line.last() != Some(&b'\n') {
            return Err(match line.len() as u64 {
                0 => io::Error::new(io::ErrorKind::UnexpectedEof, "the master closed the link"),
                _ => io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a line from the master too long",
                ),
            });
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(String::from_utf8_lossy(&line).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_of_master_is_a_new_generation() {
        let link = Link::default();
        assert!(!link.is_replica());
        assert!(link.status().is_none());
        link.retarget(Some(("localhost".into(), 6379)));
        let first = link.target().generation;
        assert!(link.is_replica());
        let status = link.status().unwrap();
        assert_eq!((status.host.as_str(), status.port), ("localhost", 6379));
        assert_eq!(status.state, "connect");
        assert!(!status.link_up);
        assert_eq!(status.down_since_seconds, Some(-1));
        link.retarget(None);
        assert!(!link.is_current(first));
        assert!(!link.is_replica());
    }

    #[test]
    fn the_link_goes_down_when_it_leaves_connected() {
        let link = Link::default();
        link.retarget(Some(("h".into(), 1)));
        link.set_state(State::Connected);
        assert!(link.status().unwrap().link_up);
        link.set_state(State::Connect);
        let status = link.status().unwrap();
        assert!(!status.link_up);
        assert_eq!(status.down_since_seconds, Some(0));
    }
}
