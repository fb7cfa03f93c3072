//! The client registry: one [`ClientInfo`] per open connection, shared between the connection's
//! own thread and everyone who needs to see or stop it (`CLIENT LIST`, `CLIENT KILL`, `INFO
//! clients`, idle timeouts, `maxclients`). (Stage 4: several clients at once.)
//!
//! `ClientInfo` owns the connection's only [`Stream`] (TCP or Unix socket): the connection thread
//! reads and writes through `&Stream` (which implements `Read` and `Write`), and another thread
//! stops it with
//! [`ClientInfo::kill`], whose `shutdown` wakes the thread from its blocking `read`. One file
//! descriptor per client, no `try_clone`.
//!
//! The per-connection state the connection thread changes (selected database, protocol, last
//! command, the memory its buffers hold) is *published* here in atomics, so a reader never
//! blocks the connection.
//!
//! - `clients/memory.rs`: what one client holds in memory (`qbuf`, `omem`, `tot-mem`), as its
//!   owners publish it;
//! - `clients/eviction.rs`: closing clients for `maxmemory-clients` and for
//!   `client-output-buffer-limit normal`.

pub mod eviction;
pub mod memory;

use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::clock;
use crate::commands;
use crate::doorbell::Doorbell;
use crate::protocol::Request;
use crate::stream::{Address, Stream};
use crate::tracking::ClientTracking;
use memory::ClientMemory;

/// The names a client goes by: what it told us about itself (`CLIENT SETNAME`, `CLIENT
/// SETINFO`) and the ACL user it is logged in as.
#[derive(Clone)]
pub struct ClientNames {
    pub name: Vec<u8>,
    pub lib_name: Vec<u8>,
    pub lib_ver: Vec<u8>,
    pub user: Vec<u8>,
}

impl Default for ClientNames {
    fn default() -> Self {
        ClientNames {
            name: Vec::new(),
            lib_name: Vec::new(),
            lib_ver: Vec::new(),
            user: b"default".to_vec(),
        }
    }
}

pub struct ClientInfo {
    pub id: u64,
    pub stream: Stream,
    pub peer: Address,
    pub local: Address,
    created_ms: i64,
    last_interaction_ms: AtomicI64,
    /// Bytes of published messages waiting in its outbox (`omem` in CLIENT LIST): what
    /// `client-output-buffer-limit pubsub` is checked against.
    pending_output: AtomicUsize,
    db: AtomicUsize,
    resp: AtomicUsize,
    /// `commands::all_commands()` index of the last command, plus one (0: none yet).
    last_command: AtomicUsize,
    no_evict: AtomicBool,
    no_touch: AtomicBool,
    killed: AtomicBool,
    /// Waiting in a blocking command (`flags=b` in CLIENT LIST); kept by `blocking.rs`.
    blocked: AtomicBool,
    names: Mutex<ClientNames>,
    /// Made on first need (the client subscribes or blocks), so most clients never pay its file
    /// descriptor.
    doorbell: OnceLock<Doorbell>,
    /// Its transaction and pub/sub state, as CLIENT LIST shows it.
    pub modes: Modes,
    /// Its client-side caching mode (`CLIENT TRACKING`).
    pub tracking: ClientTracking,
    /// What its buffers and registrations hold, as their owners publish it.
    pub memory: ClientMemory,
}

impl ClientInfo {
    fn new(id: u64, stream: Stream, peer: Address, local: Address) -> ClientInfo {
        let now_ms = clock::now_ms();
        ClientInfo {
            id,
            stream,
            peer,
            local,
            created_ms: now_ms,
            last_interaction_ms: AtomicI64::new(now_ms),
            pending_output: AtomicUsize::new(0),
            db: AtomicUsize::new(0),
            resp: AtomicUsize::new(2),
            last_command: AtomicUsize::new(0),
            no_evict: AtomicBool::new(false),
            no_touch: AtomicBool::new(false),
            killed: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            names: Mutex::new(ClientNames::default()),
            doorbell: OnceLock::new(),
            modes: Modes::default(),
            tracking: ClientTracking::default(),
            memory: ClientMemory::default(),
        }
    }

    /// A client with no connection, for commands the server runs on its own behalf (replaying
    /// the append-only file at startup, as Redis's `createAOFClient`). It is not registered, so
    /// CLIENT LIST never shows it. Its stream is one end of a Unix socket pair whose other end
    /// is closed at once: nothing ever reads or writes it.
    pub fn internal() -> std::io::Result<Arc<ClientInfo>> {
        let (end, _other) = std::os::unix::net::UnixStream::pair()?;
        let nowhere = Address::Ip(([0, 0, 0, 0], 0).into());
        Ok(Arc::new(ClientInfo::new(
            u64::MAX,
            Stream::Unix(end),
            nowhere.clone(),
            nowhere,
        )))
    }

    /// This connection's doorbell, made if it has none yet. Called by the connection's own
    /// thread, before it first waits on it.
    pub fn doorbell(&self) -> std::io::Result<&Doorbell> {
        if let Some(doorbell) = self.doorbell.get() {
            return Ok(doorbell);
        }
        let _ = self.doorbell.set(Doorbell::new()?);
        Ok(self.doorbell.get().expect("set just above"))
    }

    /// Wakes the connection's thread if it waits on its doorbell (see `doorbell.rs`).
    pub fn ring(&self) {
        if let Some(doorbell) = self.doorbell.get() {
            doorbell.ring();
        }
    }

    /// Redis's `islocalClient`: a Unix socket client, or a peer at exactly 127.0.0.1 or ::1.
    pub fn is_local(&self) -> bool {
        self.peer.is_local()
    }

    /// Bytes of published messages now waiting in its outbox (`omem`), kept by the pub/sub
    /// outbox on every delivery and drain.
    pub fn set_pending_output(&self, bytes: usize) {
        self.pending_output.store(bytes, Ordering::Relaxed);
    }

    fn pending_output(&self) -> usize {
        self.pending_output.load(Ordering::Relaxed)
    }

    /// Records activity, for `idle=` in CLIENT LIST and for `timeout`.
    pub fn touch(&self, now_ms: i64) {
        self.last_interaction_ms.store(now_ms, Ordering::Relaxed);
    }

    pub fn idle_ms(&self, now_ms: i64) -> i64 {
        now_ms - self.last_interaction_ms.load(Ordering::Relaxed)
    }

    pub fn set_db(&self, db: usize) {
        self.db.store(db, Ordering::Relaxed);
    }

    pub fn set_resp(&self, resp: usize) {
        self.resp.store(resp, Ordering::Relaxed);
    }

    /// Whether the client speaks RESP3 (pub/sub messages go to it as pushes).
    pub fn is_resp3(&self) -> bool {
        self.resp.load(Ordering::Relaxed) == 3
    }

    /// Redis's client type (`getClientType`), for `CLIENT LIST TYPE` and `CLIENT KILL TYPE`: a
    /// replica's connection is a `replica`, our own master's a `master`, a client subscribed to
    /// anything a `pubsub` client, any other a `normal` one.
    pub fn kind(&self) -> &'static str {
        if self.modes.is_replica() {
            "replica"
        } else if self.modes.is_master() {
            "master"
        } else if self.modes.is_pubsub() {
            "pubsub"
        } else {
            "normal"
        }
    }

    /// Whether the client is of the type `TYPE` names (`slave` is the old name of `replica`).
    pub fn is_of_type(&self, wanted: &[u8]) -> bool {
        let kind = self.kind();
        wanted.eq_ignore_ascii_case(kind.as_bytes())
            || (kind == "replica" && wanted.eq_ignore_ascii_case(b"slave"))
    }

    /// The command the client sent last (`cmd=` in CLIENT LIST), by id; `None` for one the
    /// server did not know (`cmd=NULL`).
    pub fn set_last_command(&self, id: Option<usize>) {
        self.last_command
            .store(id.map_or(0, |id| id + 1), Ordering::Relaxed);
    }

    pub fn set_no_evict(&self, on: bool) {
        self.no_evict.store(on, Ordering::Relaxed);
    }

    /// `CLIENT NO-EVICT on`: `maxmemory-clients` never closes it.
    pub fn no_evict(&self) -> bool {
        self.no_evict.load(Ordering::Relaxed)
    }

    pub fn set_no_touch(&self, on: bool) {
        self.no_touch.store(on, Ordering::Relaxed);
    }

    pub fn names(&self) -> ClientNames {
        self.names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn update_names(&self, update: impl FnOnce(&mut ClientNames)) {
        update(&mut self.names.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Closes the connection from any thread: its thread wakes from `read` and exits.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Relaxed);
        // The socket may already be closed by the peer; nothing more to do then.
        let _ = self.stream.shutdown();
    }

    /// The connection is ending on its own (QUIT, a protocol error): from now on it counts as
    /// gone, as in Redis, which frees such a client as soon as its last reply is written (a
    /// client-side caching redirection to it is broken from then on, for instance).
    pub fn mark_closing(&self) {
        self.killed.store(true, Ordering::Relaxed);
    }

    pub fn set_blocked(&self, blocked: bool) {
        self.blocked.store(blocked, Ordering::Relaxed);
    }

    pub fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::Relaxed)
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// `ip:port` of the peer, as Redis prints it (IPv6 without brackets), or `path:0` for a
    /// Unix socket client.
    pub fn addr(&self) -> String {
        self.peer.to_string()
    }

    pub fn laddr(&self) -> String {
        self.local.to_string()
    }

    /// One line of `CLIENT LIST` / `CLIENT INFO`, fields in Redis 7's order. The buffer sizes
    /// are those the connection published (`memory.rs`); for the client asking, `running` is
    /// its command, which Redis's query buffer (`qbuf`, as sent) and argument vector
    /// (`argv-mem`, the arguments' bytes) still hold while it runs.
    pub fn describe(&self, now_ms: i64, running: Option<&Request>) -> String {
        let mut usage = self.memory_usage();
        if let Some(request) = running {
            let argv_mem: usize = request.iter().map(<[u8]>::len).sum();
            let qbuf = request_size(request);
            // Its arguments may be published already (`memory.rs`): counted once.
            usage.total = usage.total - usage.argv + qbuf + argv_mem;
            usage.query_buffer += qbuf;
            usage.argv = argv_mem;
        }
        let names = self.names();
        let mut flags = String::new();
        if self.is_blocked() {
            flags.push('b');
        }
        self.modes.push_flags(&mut flags, &self.tracking);
        if self.peer.is_unix() {
            flags.push('U');
        }
        if self.no_evict() {
            flags.push('e');
        }
        if self.no_touch.load(Ordering::Relaxed) {
            flags.push('T');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let command = match self.last_command.load(Ordering::Relaxed) {
            0 => "NULL".to_string(),
            id => commands::all_commands()[id - 1].full_name().into_owned(),
        };
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} {} qbuf={} qbuf-free=0 \
             argv-mem={} multi-mem={} rbs=0 rbp=0 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user={} redir={} resp={} \
             lib-name={} lib-ver={}",
            self.id,
            self.addr(),
            self.laddr(),
            self.stream.as_raw_fd(),
            String::from_utf8_lossy(&names.name),
            (now_ms - self.created_ms) / 1000,
            self.idle_ms(now_ms) / 1000,
            flags,
            self.db.load(Ordering::Relaxed),
            self.modes.counts(),
            usage.query_buffer,
            usage.argv,
            usage.multi,
            usage.output,
            usage.total,
            command,
            String::from_utf8_lossy(&names.user),
            self.tracking.reported_redirect(),
            self.resp.load(Ordering::Relaxed),
            String::from_utf8_lossy(&names.lib_name),
            String::from_utf8_lossy(&names.lib_ver),
        )
    }
}

/// The bytes of `request` as a client sends it: a RESP array of bulk strings.
pub fn request_size(request: &Request) -> usize {
    let header = |n: usize| 3 + n.to_string().len();
    header(request.len())
        + request
            .iter()
            .map(|arg| header(arg.len()) + arg.len() + 2)
            .sum::<usize>()
}

#[derive(Default)]
pub struct Clients {
    next_id: AtomicU64,
    by_id: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    /// Clients closed by `maxmemory-clients` (INFO's `evicted_clients`).
    pub evicted: AtomicU64,
}

impl Clients {
    /// Adds a new connection and gives it the next id (ids start at 1 and are never reused).
    pub fn register(&self, stream: Stream, peer: Address, local: Address) -> Arc<ClientInfo> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let info = Arc::new(ClientInfo::new(id, stream, peer, local));
        self.lock().insert(id, Arc::clone(&info));
        info
    }

    /// `CONFIG RESETSTAT`: the counters INFO reports for clients start again from 0.
    pub fn reset_stats(&self) {
        self.evicted.store(0, Ordering::Relaxed);
    }

    pub fn unregister(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Connected clients (INFO's `connected_clients`), killed ones left out as in [`Self::all`]:
    /// a CLIENT KILL's count and the INFO after it must agree.
    pub fn count(&self) -> usize {
        self.lock()
            .values()
            .filter(|client| !client.is_killed())
            .count()
    }

    pub fn get(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.lock().get(&id).cloned()
    }

    /// Every connected client, oldest first. A client killed already is left out though its
    /// thread may not have finished yet: as far as anyone can tell it is gone (Redis frees
    /// it at once), so CLIENT LIST right after a kill does not show it.
    pub fn all(&self) -> Vec<Arc<ClientInfo>> {
        (self.lock().values())
            .filter(|client| !client.is_killed())
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<ClientInfo>>> {
        self.by_id.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a connection's transaction and subscriptions look like from other threads (`CLIENT
/// LIST`, the idle timeout), published by the transaction and pub/sub code as they change.
pub struct Modes {
    /// Commands queued since MULTI, or -1 outside a transaction (`multi=`, flag `x`).
    multi: AtomicI64,
    /// A watched key changed: the next EXEC fails (Redis's `CLIENT_DIRTY_CAS`, flag `d`). Set by
    /// whichever thread wrote the key, read by EXEC.
    watch_dirty: AtomicBool,
    /// Channels, patterns and shard channels subscribed to (`sub=`, `psub=`, `ssub=`); any
    /// makes it a pub/sub client (flag `P`).
    subscriptions: [AtomicUsize; 3],
    /// In MONITOR mode (flag `O`), kept by `monitor.rs`.
    monitor: AtomicBool,
    /// The connection is a replica being fed (flag `S`), kept by `replication/master.rs`.
    replica: AtomicBool,
    /// The connection is our own master's, its stream being applied (flag `M`), kept by
    /// `replication/replica.rs`.
    master: AtomicBool,
}

impl Default for Modes {
    fn default() -> Self {
        Modes {
            multi: AtomicI64::new(-1),
            watch_dirty: AtomicBool::new(false),
            subscriptions: Default::default(),
            monitor: AtomicBool::new(false),
            replica: AtomicBool::new(false),
            master: AtomicBool::new(false),
        }
    }
}

impl Modes {
    pub fn set_multi(&self, queued: Option<usize>) {
        let value = queued.map_or(-1, |n| n as i64);
        self.multi.store(value, Ordering::Relaxed);
    }

    /// Commands queued since MULTI; `None` outside a transaction.
    #[inline]
    pub fn queued(&self) -> Option<usize> {
        usize::try_from(self.multi.load(Ordering::Relaxed)).ok()
    }

    pub fn set_watch_dirty(&self, dirty: bool) {
        self.watch_dirty.store(dirty, Ordering::Relaxed);
    }

    pub fn is_watch_dirty(&self) -> bool {
        self.watch_dirty.load(Ordering::Relaxed)
    }

    /// Publishes how many channels, patterns and shard channels the client listens to.
    pub fn set_subscriptions(&self, counts: [usize; 3]) {
        for (slot, count) in self.subscriptions.iter().zip(counts) {
            slot.store(count, Ordering::Relaxed);
        }
    }

    /// Channels, patterns and shard channels subscribed to, in all.
    pub fn subscription_count(&self) -> usize {
        (self.subscriptions.iter())
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }

    /// Whether the client is subscribed to anything (Redis's `CLIENT_PUBSUB`).
    pub fn is_pubsub(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|count| count.load(Ordering::Relaxed) > 0)
    }

    pub fn set_monitor(&self, on: bool) {
        self.monitor.store(on, Ordering::Relaxed);
    }

    pub fn is_monitor(&self) -> bool {
        self.monitor.load(Ordering::Relaxed)
    }

    pub fn set_replica(&self, on: bool) {
        self.replica.store(on, Ordering::Relaxed);
    }

    pub fn is_replica(&self) -> bool {
        self.replica.load(Ordering::Relaxed)
    }

    pub fn set_master(&self, on: bool) {
        self.master.store(on, Ordering::Relaxed);
    }

    pub fn is_master(&self) -> bool {
        self.master.load(Ordering::Relaxed)
    }

    /// The flags of CLIENT LIST these modes (and `tracking`'s `t`, `R`, `B`) stand for, in
    /// Redis's order.
    fn push_flags(&self, flags: &mut String, tracking: &ClientTracking) {
        if self.is_monitor() {
            flags.push('O');
        }
        if self.is_replica() {
            flags.push('S');
        }
        if self.is_master() {
            flags.push('M');
        }
        if self.is_pubsub() {
            flags.push('P');
        }
        if self.multi.load(Ordering::Relaxed) >= 0 {
            flags.push('x');
        }
        tracking.push_list_flags(flags);
        if self.is_watch_dirty() {
            flags.push('d');
        }
    }

    /// `sub=.. psub=.. ssub=.. multi=..`
    fn counts(&self) -> String {
        let [sub, psub, ssub] = [0, 1, 2].map(|i| self.subscriptions[i].load(Ordering::Relaxed));
        format!(
            "sub={sub} psub={psub} ssub={ssub} multi={}",
            self.multi.load(Ordering::Relaxed)
        )
    }
}
