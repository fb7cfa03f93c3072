//! The master's side of one replica: what its connection announced (`REPLCONF`), the sync it
//! asked for (`PSYNC`/`SYNC`), and then the connection's thread as that replica's feeder. A full
//! sync sends `+FULLRESYNC <replid> <offset>` and a snapshot as `$<len>\r\n<rdb>` (no trailing
//! CRLF); a partial one `+CONTINUE`; both then stream the backlog from the offset on. A reader
//! thread on the same socket takes its `REPLCONF ACK`s, so neither waits on the other (DESIGN.md
//! §4). Redis's `syncCommand`, `masterTryPartialResynchronization` and `replconfCommand`.

use std::io::{self, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::backlog::Read as BacklogRead;
use super::replicas::SyncState;
use crate::clients::ClientInfo;
use crate::config::Config;
use crate::persistence;
use crate::persistence::snapshot::{Progress, Snapshot};
use crate::protocol::{ReadError, Request, RequestReader};
use crate::server::Server;
use crate::{clock, log};

/// What a replica's connection told us before it asked to sync (Redis keeps it on the client:
/// `slave_listening_port`, `slave_capa`), and the sync it asked for.
#[derive(Debug, Default)]
pub struct Handshake {
    /// `REPLCONF listening-port <port>`.
    pub listening_port: u16,
    /// `REPLCONF ip-address <ip>`: the address to show instead of the peer's.
    pub announced_ip: Option<String>,
    /// `REPLCONF capa psync2`: it understands `+CONTINUE <replid>`.
    pub psync2: bool,
    /// `REPLCONF capa eof`: it can read a snapshot of unknown length (a diskless sync).
    pub eof: bool,
    /// `REPLCONF rdb-only 1`: it wants the snapshot only (`redis-cli --rdb`), not the stream.
    pub rdb_only: bool,
    /// `REPLCONF rdb-filter-only <filters>`: the snapshot holds no keys, and the function
    /// libraries only if the filters name `functions` (`redis-cli --functions-rdb`).
    pub rdb_filter: Option<RdbFilter>,
    /// Set by `PSYNC`/`SYNC`: after the reply, the connection becomes a feeder.
    pub sync: Option<SyncRequest>,
}

/// What `REPLCONF rdb-filter-only` keeps of the snapshot (Redis's `SLAVE_REQ_RDB_EXCLUDE_*`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RdbFilter {
    pub functions: bool,
}

/// A replica asking to be fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// `PSYNC <replid> <offset>`: `?` and -1 ask for a full sync.
    Psync { replid: String, offset: i64 },
    /// The old `SYNC`: a full sync with no `+FULLRESYNC` line first.
    Sync,
}

/// How much of the backlog one write to the replica sends at most.
const CHUNK: usize = 64 * 1024;

/// A feeder woken with less than this to send waits [`BATCH_LINGER`] for more first.
const BATCH_BYTES: usize = 16 * 1024;
const BATCH_LINGER: Duration = Duration::from_micros(200);

/// How often an idle feeder looks up from its wait (the replica may be gone).
const IDLE_CHECK: Duration = Duration::from_millis(100);

/// Serves the replica on `info`'s connection until it goes away: the sync, then the stream.
/// Runs on the connection's thread, its pending replies already written; `pipelined` is what
/// the connection had read after the PSYNC or SYNC.
pub fn serve(
    server: &Server,
    info: &ClientInfo,
    handshake: &Handshake,
    sync: SyncRequest,
    pipelined: Vec<u8>,
) {
    let name = replica_name(info, handshake);
    log!(Notice, "Replica {name} asks for synchronization");
    info.modes.set_replica(true);
    let closed = Closed::default();
    std::thread::scope(|scope| {
        // The reader thread takes the ACKs; it ends when the socket closes (below, at the latest).
        let reader = std::thread::Builder::new()
            .name(format!("replica-acks-{}", info.id))
            .spawn_scoped(scope, || read_acks(server, info, &closed, pipelined));
        if reader.is_err() {
            log!(Warning, "Can't create a thread for replica {name}");
            return;
        }
        let result = sync_then_stream(server, info, handshake, &sync, &name, &closed);
        if let Err(error) = result {
            log!(Notice, "Connection with replica {name} lost: {error}");
        } else {
            log!(Notice, "Connection with replica {name} lost.");
        }
        closed.close();
        let _ = info.stream.shutdown();
    });
    server.replication.backlog.unregister(info.id);
    server.replication.replicas.detach(info.id);
    server.replication.wake_waiters(server);
}

/// Redis's `replicationGetSlaveName`: the replica's address with the port it listens on.
pub fn replica_name(info: &ClientInfo, handshake: &Handshake) -> String {
    format!(
        "{}:{}",
        replica_ip(info, handshake),
        handshake.listening_port
    )
}

/// The IP INFO shows for a replica: the one it announced, or its peer address.
pub fn replica_ip(info: &ClientInfo, handshake: &Handshake) -> String {
    if let Some(ip) = &handshake.announced_ip {
        return ip.clone();
    }
    match &info.peer {
        crate::stream::Address::Ip(addr) => addr.ip().to_string(),
        crate::stream::Address::Unix(_) => "?".to_string(),
    }
}

fn sync_then_stream(
    server: &Server,
    info: &ClientInfo,
    handshake: &Handshake,
    sync: &SyncRequest,
    name: &str,
    closed: &Closed,
) -> io::Result<()> {
    let replication = &server.replication;
    let ip = replica_ip(info, handshake);
    let mut out = &info.stream;
    let counts = &replication.syncs;
    let partial = try_partial(server, sync, name);
    if partial.is_some() {
        counts.partial_ok.fetch_add(1, Ordering::Relaxed);
    } else {
        let asked_partial = matches!(sync, SyncRequest::Psync { replid, .. } if replid != "?");
        if asked_partial {
            counts.partial_err.fetch_add(1, Ordering::Relaxed);
        }
        counts.full.fetch_add(1, Ordering::Relaxed);
    }
    let start = match partial {
        Some(start) => {
            let replid = replication.replid();
            let line = if handshake.psync2 {
                format!("+CONTINUE {replid}\r\n")
            } else {
                "+CONTINUE\r\n".to_string()
            };
            // Attached under the lock, so no write falls between the check and the stream.
            server.keyspace.write(0, clock::now_ms(), |_| {
                replication.attach(server, info.id, ip, handshake.listening_port);
                replication.backlog.register(info.id, start);
            });
            replication.replicas.set_state(info.id, SyncState::Online);
            out.write_all(line.as_bytes())?;
            let backlog = replication.offset() - start;
            log!(
                Notice,
                "Partial resynchronization request from {name} accepted. Sending {backlog} bytes of backlog starting from offset {}.",
                start + 1
            );
            start
        }
        None => {
            let start = full_sync(server, info, handshake, sync, name, ip, closed)?;
            if handshake.rdb_only {
                return Ok(()); // Redis closes such a replica once it has the snapshot.
            }
            start
        }
    };
    // A replica of the old protocol (SYNC) never acknowledges: no ACK timeout for it.
    let acknowledges = matches!(sync, SyncRequest::Psync { .. });
    stream(server, info, start, acknowledges, closed, name)
}

/// `masterTryPartialResynchronization`: the offset to stream from if the replica's history is
/// ours (our replid, or the previous one up to where it ended) and still in the backlog.
fn try_partial(server: &Server, sync: &SyncRequest, name: &str) -> Option<i64> {
    let SyncRequest::Psync { replid, offset } = sync else {
        return None;
    };
    let identity = server.replication.identity();
    if replid == "?" {
        log!(Notice, "Full resync requested by replica {name}");
        return None;
    }
    let ours = *replid == identity.replid
        || (*replid == identity.replid2 && *offset <= identity.second_offset);
    if !ours {
        if *replid != identity.replid2 {
            log!(
                Notice,
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{}' and '{}')",
                identity.replid,
                identity.replid2
            );
        } else {
            log!(
                Notice,
                "Partial resynchronization not accepted: Requested offset for second ID was {offset}, but I can reply up to {}",
                identity.second_offset
            );
        }
        return None;
    }
    // The replica has every byte before `offset` (PSYNC names the next one it wants).
    let start = offset - 1;
    if !server.replication.backlog_active() || !server.replication.backlog.contains(start) {
        log!(
            Notice,
            "Unable to partial resync with replica {name} for lack of backlog (Replica request was: {offset})."
        );
        return None;
    }
    Some(start)
}

/// A full sync: the snapshot and the offset it stands for are taken together under the lock,
/// the stream from that offset then starts with a `SELECT`. The snapshot goes through a
/// temporary file, or, with `repl-diskless-sync` to a replica that understands it (`capa
/// eof`), straight into the socket.
fn full_sync(
    server: &Server,
    info: &ClientInfo,
    handshake: &Handshake,
    sync: &SyncRequest,
    name: &str,
    ip: String,
    closed: &Closed,
) -> io::Result<i64> {
    let replication = &server.replication;
    let diskless = handshake.eof && server.config.repl_diskless_sync.load(Ordering::Relaxed);
    server.keyspace.write(0, clock::now_ms(), |_| {
        replication.attach(server, info.id, ip, handshake.listening_port);
    });
    if diskless {
        wait_for_other_replicas(server, info)?;
        replication.replicas.diskless_started();
    }
    // Counted as Redis's forked child would be: until the snapshot is written.
    let in_progress = replication.replicas.snapshot_started();
    let (snapshot, offset, replid) = server.keyspace.write(0, clock::now_ms(), |w| {
        let format = persistence::jobs::rdb_format(server);
        let snapshot = match handshake.rdb_filter {
            None => persistence::jobs::snapshot(server, w.databases(), format),
            Some(filter) => filtered_snapshot(server, w.databases().count(), format, filter),
        };
        let offset = replication.offset();
        // The stream from the snapshot's moment is kept while the snapshot is sent, and starts
        // with a `SELECT` (writes since the replica attached may have selected already).
        replication.backlog.register(info.id, offset);
        replication.reselect();
        (snapshot, offset, replication.replid())
    });
    closed.watch(&snapshot);
    let mut out = &info.stream;
    if *sync != SyncRequest::Sync {
        out.write_all(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes())?;
    }
    if diskless {
        // `redis-cli --rdb` wants the snapshot only, and an old `SYNC` replica (`redis-cli
        // --replica`) never acknowledges: neither is waited for.
        let acknowledges = !handshake.rdb_only && matches!(sync, SyncRequest::Psync { .. });
        send_diskless(
            server,
            info,
            &snapshot,
            name,
            acknowledges,
            in_progress,
            closed,
        )?;
        return Ok(offset);
    }
    log!(Notice, "Starting BGSAVE for SYNC with target: disk");
    let temp =
        std::path::PathBuf::from(format!("temp-repl-{}-{}.rdb", std::process::id(), info.id));
    let file = persistence::write_rdb(server, &snapshot, &temp, false, &mut |f| {
        f(&server.keyspace.read())
    })?;
    drop(in_progress);
    log!(Notice, "Background saving terminated with success");
    replication.replicas.set_state(info.id, SyncState::SendBulk);
    let mut rdb = std::fs::File::open(file.path())?;
    let len = rdb.metadata()?.len();
    out.write_all(format!("${len}\r\n").as_bytes())?;
    // Online before the last byte goes out: a replica that has its snapshot counts (WAIT).
    replication.replicas.set_state(info.id, SyncState::Online);
    io::copy(&mut rdb, &mut out)?;
    drop(file); // Removes the temporary file.
    log!(Notice, "Synchronization with replica {name} succeeded");
    Ok(offset)
}

/// A snapshot with no keys, and the function libraries if `filter` keeps them.
fn filtered_snapshot(
    server: &Server,
    databases: usize,
    format: persistence::snapshot::Format,
    filter: RdbFilter,
) -> persistence::snapshot::Snapshot {
    let empty = crate::keyspace::Keyspace::new(databases);
    let mut snapshot = persistence::snapshot::Snapshot::start(&empty.read(), format);
    if filter.functions {
        snapshot.libraries = server.functions.codes();
    }
    snapshot
}

/// `repl-diskless-sync-delay`: a diskless sync waits that many seconds for more replicas to
/// ask, or until `repl-diskless-sync-max-replicas` wait, or until another waiting replica's
/// sync starts (Redis then serves them all from one snapshot; here each gets its own, taken at
/// the same moment). Meanwhile a newline each second keeps the replica's link alive, as
/// Redis's `replicationCron` sends to pre-sync replicas.
fn wait_for_other_replicas(server: &Server, info: &ClientInfo) -> io::Result<()> {
    let replicas = &server.replication.replicas;
    let config = &server.config;
    let delay_ms = Config::get(&config.repl_diskless_sync_delay) * 1000;
    let enough = usize::try_from(Config::get(&config.repl_diskless_sync_max_replicas)).unwrap_or(0);
    let started = clock::now_ms();
    let starts_before = replicas.diskless_starts();
    let mut last_newline = started;
    let mut out = &info.stream;
    loop {
        let now = clock::now_ms();
        let waiting = (replicas.all().iter())
            .filter(|replica| replica.state == SyncState::WaitBgsave)
            .count();
        let another_started = replicas.diskless_starts() != starts_before;
        if now - started >= delay_ms || (enough > 0 && waiting >= enough) || another_started {
            return Ok(());
        }
        if info.is_killed() {
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "killed"));
        }
        if now - last_newline >= 1000 {
            // Redis sends it from its event loop, which a `DEBUG SLEEP` stops: so does ours,
            // as the sleep holds the keyspace (a replica then sees its master time out).
            drop(server.keyspace.read());
            out.write_all(b"\n")?;
            last_newline = clock::now_ms();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The diskless form: `$EOF:<mark>`, the RDB written straight into the socket, the mark. The
/// replica cannot tell where the snapshot ends until it sees the mark, so the stream waits for
/// its first `REPLCONF ACK` after it (Redis's `repl_put_online_on_ack`).
fn send_diskless(
    server: &Server,
    info: &ClientInfo,
    snapshot: &Snapshot,
    name: &str,
    await_ack: bool,
    in_progress: super::replicas::SnapshotInProgress,
    closed: &Closed,
) -> io::Result<()> {
    let replicas = &server.replication.replicas;
    log!(
        Notice,
        "Starting BGSAVE for SYNC with target: replicas sockets"
    );
    replicas.set_state(info.id, SyncState::Streaming);
    let mark = crate::random::hex(40);
    let out = io::BufWriter::with_capacity(CHUNK, &info.stream);
    let mut out = WhileConnected { out, info, closed };
    out.write_all(format!("$EOF:{mark}\r\n").as_bytes())?;
    let mut out =
        persistence::stream_rdb(server, snapshot, out, &mut |f| f(&server.keyspace.read()))?;
    // Counted before the mark goes out: the replica may answer it at once.
    let acks_before = replicas.acks(info.id);
    out.write_all(mark.as_bytes())?;
    out.flush()?;
    drop(in_progress);
    log!(
        Notice,
        "Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming"
    );
    let sent_at = clock::now_ms();
    let timeout_ms = Config::get(&server.config.repl_timeout).max(1) * 1000;
    while await_ack && replicas.acks(info.id) == acks_before {
        if info.is_killed() || clock::now_ms() - sent_at > timeout_ms {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no REPLCONF ACK after the snapshot",
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    replicas.set_state(info.id, SyncState::Online);
    log!(Notice, "Synchronization with replica {name} succeeded");
    Ok(())
}

/// Whether the replica's connection ended, as its ACK reader or its feeder found first; the
/// snapshot being written for it, if any, stops then too (under `rdb-key-save-delay` it may
/// otherwise sleep for minutes before its next write finds the socket closed).
#[derive(Default)]
struct Closed {
    closed: AtomicBool,
    transfer: Mutex<Option<Arc<Progress>>>,
}

impl Closed {
    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        if let Some(progress) = self.transfer().take() {
            progress.abort();
        }
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// `snapshot` is being written for this replica: it stops when the connection closes.
    fn watch(&self, snapshot: &Snapshot) {
        *self.transfer() = Some(Arc::clone(&snapshot.progress));
        if self.is_closed() {
            snapshot.abort();
        }
    }

    fn transfer(&self) -> MutexGuard<'_, Option<Arc<Progress>>> {
        // Holds a plain handle, replaced whole.
        (self.transfer.lock()).unwrap_or_else(PoisonError::into_inner)
    }
}

/// The snapshot's way into the socket, ending as soon as the replica is gone: a replica that
/// closes its side is seen by the ACK reader at once, but a buffered write would notice only
/// after many keys (a long time under `rdb-key-save-delay`), and Redis stops the child once
/// no replica is left to feed.
struct WhileConnected<'a, W> {
    out: W,
    info: &'a ClientInfo,
    closed: &'a Closed,
}

impl<W: Write> Write for WhileConnected<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.closed.is_closed() || self.info.is_killed() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the replica went away during the transfer",
            ));
        }
        self.out.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Streams the backlog from `offset` until the replica goes away, falls out of the ring, or
/// (if it `acknowledges`) sends no ACK for `repl-timeout`.
fn stream(
    server: &Server,
    info: &ClientInfo,
    mut offset: i64,
    acknowledges: bool,
    closed: &Closed,
    name: &str,
) -> io::Result<()> {
    let backlog = &server.replication.backlog;
    let seconds = Config::get(&server.config.repl_timeout).max(1);
    let timeout = Duration::from_secs(seconds as u64);
    // A replica that stops reading for `repl-timeout` is dropped, as Redis's timeout does.
    info.stream.set_write_timeout(Some(timeout))?;
    let mut out = &info.stream;
    while !closed.is_closed() && !info.is_killed() {
        let last_ack = server.replication.replicas.ack_time_ms(info.id);
        if acknowledges && last_ack.is_some_and(|at| clock::now_ms() - at > seconds * 1000) {
            log!(
                Warning,
                "Disconnecting timedout replica (streaming sync): {name}"
            );
            return Ok(());
        }
        match backlog.read_from(offset, CHUNK) {
            BacklogRead::OutOfRange => {
                // Redis's output buffer limit for replicas does the same: the replica resyncs.
                crate::clients::eviction::close_for_output_limit(info, clock::now_ms());
                return Ok(());
            }
            BacklogRead::Bytes(bytes) if bytes.is_empty() => {
                let end = backlog.wait_beyond(offset, IDLE_CHECK);
                // Woken by a write: give the writers a moment to add more before sending, so a
                // busy master wakes its feeders once per batch of writes, not once per write
                // (Redis writes to its replicas once per event-loop turn).
                if end > offset && end - offset < BATCH_BYTES as i64 {
                    std::thread::sleep(BATCH_LINGER);
                }
            }
            BacklogRead::Bytes(bytes) => {
                out.write_all(&bytes)?;
                server.stats.record_write(bytes.len());
                offset += bytes.len() as i64;
                backlog.advance(info.id, offset);
            }
        }
    }
    Ok(())
}

/// The replica's side of the conversation once it is fed, starting with what it had
/// `pipelined` behind its PSYNC: `REPLCONF ACK <offset>`; any other REPLCONF is ignored, and
/// any other command drops the replica (below). Ends when the socket closes or the feeder
/// stops.
fn read_acks(server: &Server, info: &ClientInfo, closed: &Closed, pipelined: Vec<u8>) {
    let input = io::Cursor::new(pipelined).chain(Socket(&info.stream));
    let mut reader = RequestReader::new(BufReader::new(input));
    let mut request = Request::default();
    let limits = server.config.limits(false);
    while !closed.is_closed() {
        match reader.read_request(&mut request, limits) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(ReadError::Closed | ReadError::Io(_) | ReadError::Protocol(_))
            | Err(ReadError::QueryBufferLimit) => break,
        }
        info.touch(clock::now_ms());
        if let Some(offset) = ack_offset(&request) {
            server.replication.replicas.ack(info.id, offset);
            server.replication.wake_waiters(server);
        } else if !request.arg(0).eq_ignore_ascii_case(b"replconf") {
            // Anything but REPLCONF has a reply, which would land in the replication link: Redis
            // drops such a replica (`logInvalidUseAndFreeClientAsync`).
            let name = crate::commands::resolve(&request)
                .map(|command| command.full_name().into_owned())
                .unwrap_or_else(|_| "<unknown>".to_string());
            log!(
                Warning,
                "Replica generated a reply to command '{name}', disconnecting it: {}",
                info.describe(clock::now_ms(), Some(&request))
            );
            info.kill();
            break;
        }
    }
    closed.close();
    server.replication.backlog.wake_all();
}

/// The offset of a `REPLCONF ACK <offset> [FACK <offset>]`.
fn ack_offset(request: &Request) -> Option<i64> {
    let is = |i: usize, word: &str| {
        request.len() > i && request.arg(i).eq_ignore_ascii_case(word.as_bytes())
    };
    if !(is(0, "replconf") && is(1, "ack") && request.len() >= 3) {
        return None;
    }
    std::str::from_utf8(request.arg(2)).ok()?.parse().ok()
}

/// The socket as a reader that owns nothing (the connection keeps it).
struct Socket<'a>(&'a crate::stream::Stream);

impl Read for Socket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut stream = self.0;
        loop {
            match stream.read(buf) {
                // A stop and continue of the process interrupts it (see `replica::Patient`).
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_names_its_offset() {
        let ack = Request::from_args(&["REPLCONF", "ACK", "123", "FACK", "100"]);
        assert_eq!(ack_offset(&ack), Some(123));
        assert_eq!(
            ack_offset(&Request::from_args(&["replconf", "getack", "*"])),
            None
        );
        assert_eq!(
            ack_offset(&Request::from_args(&["REPLCONF", "ACK", "x"])),
            None
        );
        assert_eq!(ack_offset(&Request::from_args(&["PING"])), None);
    }
}
