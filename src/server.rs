//! The server: its shared state ([`Server`]), startup, admitting each new connection (from any
//! listener, see `listeners.rs`) and giving it a thread of its own, and shutdown. (Stage 1:
//! bind to a port; stage 4: concurrent clients.)
//!
//! Thread-per-connection fits Redis: a client keeps one connection for its whole session, so a
//! fixed pool would serve only as many clients as it has threads. What makes it safe under load:
//! - `maxclients` is checked *before* a thread is spawned; refused clients get Redis's
//!   `-ERR max number of clients reached` from the accept thread and are closed;
//! - threads are spawned with `thread::Builder` and a small stack: a failed spawn refuses that
//!   one client instead of panicking the accept loop, and 10,000 connections fit in memory;
//! - `maxclients` is clamped at startup to what the open-file limit allows (one descriptor per
//!   client, 32 kept in reserve), as Redis does.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::acl::{self, Acl};
use crate::blocking::{self, Blocking};
use crate::clients::Clients;
use crate::config::params::{SHUTDOWN_FORCE, SHUTDOWN_NOW};
use crate::config::{self, Config};
use crate::keyspace::changes::{Destination, Record};
use crate::keyspace::{Changes, Keyspace, Writer};
use crate::latency::Latency;
use crate::listeners::Listeners;
use crate::log;
use crate::memory::Memory;
use crate::monitor::Monitors;
use crate::pause::Pause;
use crate::persistence::{self, Persistence, SaveOnExit};
use crate::pubsub::PubSub;
use crate::slowlog::SlowLog;
use crate::stats::Stats;
use crate::stream::{Address, Stream};
use crate::switches::DebugSwitches;
use crate::tracking::KeyTracking;
use crate::watch::Watches;
use crate::{clock, connection, cron, notify, process, random, sys};

/// Stack size of a connection thread. The request parser is not recursive and handlers keep
/// little on the stack, but a Lua script recurses (the interpreter walks its tree, see
/// `scripting/vm.rs`): 4 MiB of address space, of which only the pages actually touched cost
/// memory (about 14 KB per idle connection, measured).
pub const CLIENT_STACK: usize = 4 * 1024 * 1024;

/// File descriptors kept for the server itself (listeners, log, later the RDB and AOF files):
/// Redis's `CONFIG_MIN_RESERVED_FDS`.
const RESERVED_FDS: u64 = 32;

const MAX_CLIENTS_REACHED: &[u8] = b"-ERR max number of clients reached\r\n";

/// Sent to a non-loopback client when protected mode is on and no password is set: Redis's
/// message, byte for byte.
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Everything the connection threads share.
pub struct Server {
    pub config: Config,
    pub keyspace: Keyspace,
    pub clients: Clients,
    /// Clients waiting in blocking commands (`BLPOP`...), served from [`Server::commit`].
    pub blocking: Blocking,
    pub stats: Stats,
    /// A random 40-hex-digit identity for this run (`run_id` in INFO).
    pub run_id: String,
    pub started: Instant,
    pub started_ms: i64,
    /// Our replication identity, backlog and replicas, and the link to our master if we have one.
    pub replication: crate::replication::Replication,
    /// What `DEBUG` turned on or off.
    pub switches: DebugSwitches,
    /// A shutdown SIGTERM or SIGINT asked for, which the cron thread carries out (Redis's
    /// `shutdown_asap`): until then `SHUTDOWN ABORT` can cancel it.
    pending_shutdown: Mutex<Option<TerminationSignal>>,
    /// RDB saves, the append-only file, and the background jobs that write them.
    pub persistence: Persistence,
    /// Channels, patterns and their subscribers.
    pub pubsub: PubSub,
    /// Keys watched by clients (`WATCH`).
    pub watches: Watches,
    /// Client-side caching: who may have cached which keys (`CLIENT TRACKING`).
    pub tracking: KeyTracking,
    /// Used memory as the cron thread samples it, for `maxmemory`.
    pub memory: Memory,
    /// The TCP and Unix sockets clients connect to.
    pub listeners: Listeners,
    /// The users, their permissions, and the log of refusals.
    pub acl: Acl,
    /// Commands slower than `slowlog-log-slower-than` (SLOWLOG).
    pub slowlog: SlowLog,
    /// Latency spikes by event (LATENCY).
    pub latency: Latency,
    /// The clients in MONITOR mode.
    pub monitors: Monitors,
    /// `CLIENT PAUSE`, and the clients it holds.
    pub pause: Pause,
    /// The function libraries (FUNCTION LOAD, FCALL).
    pub functions: crate::scripting::functions::Registry,
    /// The EVAL script cache and the script running now (the BUSY gate).
    pub scripting: crate::scripting::Scripting,
    /// MIGRATE's cached connections to its targets.
    pub migrate: crate::commands::migrate::Connections,
    /// A shutdown waiting for its replicas to catch up.
    pub shutdown_wait: crate::shutdown::ShutdownWait,
}

/// The signals that ask the server to shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationSignal {
    Interrupt,
    Terminate,
}

impl TerminationSignal {
    pub fn name(self) -> &'static str {
        match self {
            TerminationSignal::Interrupt => "SIGINT",
            TerminationSignal::Terminate => "SIGTERM",
        }
    }
}

/// A bound server, ready to serve.
pub struct Listening {
    pub server: Arc<Server>,
}

impl Server {
    /// Redis's `initServer`: binds every `bind` address on `port` and the `unixsocket`
    /// ([`Listeners::bind`]; port 0 lets the OS pick) and builds the shared state, empty
    /// ([`Listening::load`] loads the data).
    pub fn bind(config: Config) -> io::Result<Listening> {
        log::set_role(b'M');
        // What std's `Instant` reads on Unix, the clock Redis names this way.
        log!(Notice, "monotonic clock: POSIX clock_gettime");
        adjust_open_files_limit(&config);
        crate::commands::rename_commands(&config.renamed_commands);
        let listeners = Listeners::bind(&config)?;
        if config::params::find("cluster-enabled").is_some_and(|p| p.get(&config) == "yes") {
            log!(
                Warning,
                "cluster-enabled yes is accepted but cluster mode is not implemented: running standalone"
            );
        }
        let acl = acl::from_config(&config).map_err(|error| {
            log!(Warning, "{error}");
            io::Error::other(error)
        })?;
        let mut keyspace = Keyspace::new(config.databases());
        keyspace.switches.events = Arc::clone(&config.notify_keyspace_events);
        let server = Server {
            keyspace,
            clients: Clients::default(),
            blocking: Blocking::default(),
            stats: Stats::default(),
            run_id: random::hex(40),
            started: Instant::now(),
            started_ms: clock::now_ms(),
            replication: Default::default(),
            switches: DebugSwitches::default(),
            pending_shutdown: Mutex::new(None),
            persistence: Persistence::default(),
            pubsub: PubSub::default(),
            watches: Watches::default(),
            tracking: KeyTracking::default(),
            memory: Memory::default(),
            listeners,
            acl,
            slowlog: SlowLog::default(),
            latency: Latency::default(),
            monitors: Monitors::default(),
            pause: Pause::default(),
            functions: Default::default(),
            scripting: Default::default(),
            migrate: Default::default(),
            shutdown_wait: Default::default(),
            config,
        };
        server.memory.sample();
        crate::memory::lfu::follow_config(&server.config);
        Ok(Listening {
            server: Arc::new(server),
        })
    }

    /// Whether keys that expired stay until later: during a `CLIENT PAUSE` (`pause.rs`), and
    /// on a replica, whose master deletes them and streams the `DEL` (Redis's `expireIfNeeded`
    /// only hides them there). Evictions wait too, as Redis's `isSafeToPerformEvictions`.
    pub fn holds_expiry(&self, now_ms: i64) -> bool {
        self.pause.holds_expiry(now_ms) || self.replication.link.is_replica()
    }

    /// **The write path**, as every write reaches it: runs `apply` under the keyspace's
    /// exclusive lock with database `db` selected ([`Keyspace::write`]), then commits what it
    /// recorded before the lock is released, so the consumers below see changes in exactly the
    /// order they were applied (DESIGN.md §1).
    pub fn write<R>(&self, db: usize, now_ms: i64, apply: impl FnOnce(&mut Writer) -> R) -> R {
        self.keyspace.write(db, now_ms, |writer| {
            let result = apply(writer);
            self.commit(writer);
            result
        })
    }

    /// Hands each change a write recorded to the feature that consumes it. Runs under the
    /// exclusive lock: everything here appends to memory or wakes a thread, and never waits on
    /// I/O or another client. Inlined: most writes record nothing (no one watches, listens or
    /// journals), and then this is one test.
    #[inline]
    fn commit(&self, writer: &mut Writer) {
        if writer.has_changes() {
            let changes = writer.take_changes();
            self.consume(writer, changes);
        }
    }

    fn consume(&self, writer: &mut Writer, mut changes: Changes) {
        // Consumers plug in here, in this order: clients blocked on ready keys are served first
        // (their pops are changes too), then the journal goes to the append-only file and the
        // replicas, then WATCH, client-side caching (`tracking.rs`) and keyspace notifications
        // see the modified keys and events.
        if !changes.ready.is_empty() {
            blocking::serve(self, writer, &mut changes);
        }
        if !changes.journal.is_empty() {
            let journal = &changes.journal;
            self.persistence
                .commit(&Record::bound_for(journal, Destination::Aof));
            self.replication
                .propagate(self, &Record::bound_for(journal, Destination::Replicas));
        }
        if !changes.modified.is_empty() {
            if self.replication.link.is_replica() && !writer.obeyed_master() {
                let own = &self.replication.own_keys;
                own.remember(writer.databases(), &changes.modified);
            }
            self.watches.touch(&changes.modified, writer.databases());
            if writer.tracking().tracked {
                let not_yet = &changes.modified[changes.invalidated..];
                self.tracking.invalidate(self, not_yet);
                self.tracking.broadcast(self);
            }
        }
        if !changes.events.is_empty() {
            notify::publish(self, &changes.events, writer.tracking().events);
        }
    }

    /// `SHUTDOWN` and SIGTERM/SIGINT (Redis's `prepareForShutdown`): unless `now`, lagging
    /// replicas first get `shutdown-timeout` to catch up ([`crate::shutdown`]), and then it is
    /// the cron thread that finishes. Returns whether it waits so; otherwise it returns only if
    /// the shutdown failed (see [`Server::finish_shutdown`]).
    pub fn request_shutdown(&self, save: SaveOnExit, force: bool, now: bool) -> bool {
        if self.shutdown_wait.is_initiated() {
            return true; // One is under way: the caller waits for its outcome too.
        }
        log!(Warning, "User requested shutdown...");
        process::tell_systemd("STOPPING=1\n");
        if !now && crate::shutdown::begin(self, save, force) {
            return true;
        }
        self.finish_shutdown(save, force);
        false
    }

    /// Ends the process the way Redis's `finishShutdown` does: with the keyspace held
    /// exclusively (no write can be acknowledged after this point), stops background saves,
    /// flushes the AOF and saves the RDB file if asked to or if save points are set, then exits.
    /// Returns only if it could not save (and `force` was not given); the reason is in the log.
    pub fn finish_shutdown(&self, save: SaveOnExit, force: bool) {
        crate::shutdown::log_replicas(self);
        if save == SaveOnExit::NoSave && crate::scripting::busy::running(self).is_some() {
            // The script holds the keyspace's exclusive lock and may never give it back: saving
            // nothing, the exit needs no lock. The script's writes were not journaled yet, so
            // they are lost, as they are when Redis is shut down this way.
            if persistence::prepare_unsaved_shutdown(self, force).is_ok() {
                self.exit();
            }
        } else {
            self.keyspace.write(0, clock::now_ms(), |w| {
                if persistence::prepare_shutdown(self, w.databases(), save, force).is_ok() {
                    self.exit();
                }
            });
        }
        log!(
            Warning,
            "Errors trying to shut down the server. Check the logs for more information."
        );
    }

    /// The last steps of a shutdown, once the data is safe.
    fn exit(&self) -> ! {
        self.listeners.close_all();
        process::remove_pidfile(&self.config);
        log!(Warning, "thredis is now ready to exit, bye bye...");
        std::process::exit(0)
    }

    /// Whether RDB files load with their CRC checked: `rdbchecksum`, unless a test turned the
    /// check off (`DEBUG SET-SKIP-CHECKSUM-VALIDATION 1`, to load files it damaged on purpose).
    pub fn verify_rdb_checksum(&self) -> bool {
        self.config.rdbchecksum() && !DebugSwitches::is_on(&self.switches.skip_checksum_validation)
    }

    /// A termination signal arrived: the shutdown it asks for is scheduled for the cron thread,
    /// as Redis's signal handler sets `shutdown_asap`. A second SIGINT before it ran means the
    /// user wants out now: exit at once, unclean (exit code 1), as Redis does.
    pub fn schedule_shutdown(&self, signal: TerminationSignal) {
        let mut pending = self.pending_shutdown();
        if pending.is_some() && signal == TerminationSignal::Interrupt {
            log::write_from_signal_handler("You insist... exiting now.");
            self.persistence.jobs.abort_all(self); // Their temporary files go with them.
            std::process::exit(1);
        }
        log::write_from_signal_handler(&format!(
            "Received {} scheduling shutdown...",
            signal.name()
        ));
        *pending = Some(signal);
    }

    /// `SHUTDOWN ABORT`: cancels the shutdown waiting for replicas, or the one a signal
    /// scheduled. False if there was none.
    pub fn abort_shutdown(&self) -> bool {
        let aborted = crate::shutdown::abort(self) || self.pending_shutdown().take().is_some();
        if aborted {
            log!(Notice, "Shutdown manually aborted.");
        }
        aborted
    }

    /// Run by the cron thread: finishes the shutdown waiting for replicas once they caught up,
    /// and carries out the shutdown a signal scheduled, with the flags of
    /// `shutdown-on-sigint`/`shutdown-on-sigterm`. If the final save fails the server keeps
    /// serving, as Redis does.
    pub fn run_scheduled_shutdown(&self) {
        crate::shutdown::finish_when_ready(self, clock::now_ms());
        let Some(signal) = self.pending_shutdown().take() else {
            return;
        };
        let flags = Config::get(match signal {
            TerminationSignal::Interrupt => &self.config.shutdown_on_sigint,
            TerminationSignal::Terminate => &self.config.shutdown_on_sigterm,
        });
        let (save, force) = (SaveOnExit::from_flags(flags), flags & SHUTDOWN_FORCE != 0);
        if self.request_shutdown(save, force, flags & SHUTDOWN_NOW != 0) {
            return;
        }
        log!(
            Warning,
            "{} received but errors trying to shut down the server, check the logs for more information",
            signal.name()
        );
    }

    fn pending_shutdown(&self) -> std::sync::MutexGuard<'_, Option<TerminationSignal>> {
        // Holds a plain value: a panic elsewhere cannot leave it half-written.
        self.pending_shutdown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a new connection: refuses it past `maxclients` or when protected mode forbids it,
    /// otherwise registers it and gives it a thread.
    pub(crate) fn admit(self: &Arc<Self>, stream: Stream, peer: Address, local: Address) {
        self.stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
        if self.clients.count() >= self.config.maxclients() {
            return self.refuse(stream, MAX_CLIENTS_REACHED, "max number of clients reached");
        }
        // A Unix socket client counts as local, as in Redis (`connIsLocal`).
        // A password on the default user opens the server to other hosts (Redis's
        // `clientAcceptHandlerCommon`).
        if self.config.protected_mode.load(Ordering::Relaxed)
            && self.acl.default_user().is_nopass()
            && !peer.is_local()
        {
            return self.refuse(stream, PROTECTED_MODE_DENIED, "protected mode");
        }
        // Replies go out as soon as they are written, as Redis sets TCP_NODELAY on clients.
        let _ = stream.set_nodelay();
        let info = self.clients.register(stream, peer, local);
        let id = info.id;
        let server = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name(format!("client-{id}"))
            .stack_size(CLIENT_STACK)
            .spawn(move || {
                // Unregister even if the connection thread panics.
                let _unregister = Unregister {
                    server: &server,
                    id,
                };
                connection::serve(&server, info);
            });
        if let Err(error) = spawned {
            if let Some(info) = self.clients.get(id) {
                log!(
                    Warning,
                    "Error creating a thread for client {}: {error}",
                    info.addr()
                );
                let _ = (&info.stream).write_all(MAX_CLIENTS_REACHED);
            }
            self.clients.unregister(id);
            self.stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes a final error line to a client that will not be served, and closes it.
    fn refuse(&self, stream: Stream, message: &[u8], reason: &str) {
        self.stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        log!(Verbose, "Refusing a client: {reason}");
        // The line fits in any socket buffer; the timeout only guards against the impossible.
        let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
        let _ = (&stream).write_all(message);
    }
}

/// Removes a client from the registry when its thread ends, however it ends.
struct Unregister<'a> {
    server: &'a Server,
    id: u64,
}

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        let server = self.server;
        server.pubsub.forget(self.id);
        server.monitors.remove(self.id);
        if let Some(info) = server.clients.get(self.id) {
            server
                .watches
                .unwatch_all(&info, &server.keyspace.switches.watched_keys);
            server.tracking.disable(server, &info);
        }
        server.clients.unregister(self.id);
    }
}

impl Listening {
    /// The port every listener is bound to.
    pub fn port(&self) -> u16 {
        Config::get(&self.server.config.port) as u16
    }

    /// Loads the data from disk (the append-only file or the RDB file), with Redis's
    /// `Server initialized` first. Before the first client is accepted: nobody may see the
    /// dataset half loaded.
    pub fn load(&self) -> io::Result<()> {
        log!(Warning, "Server initialized");
        persistence::load_at_startup(&self.server)
    }

    /// The TCP addresses listened on (in `bind`'s order until a rebind).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.server.listeners.tcp_addrs()
    }

    /// The Unix socket's path, if `unixsocket` is set.
    pub fn unix_socket(&self) -> Option<&str> {
        self.server.listeners.unix_path()
    }

    /// Starts the background threads and the accept threads, then serves clients until the
    /// process exits. The calling thread only waits: a rebind may close any listener.
    pub fn run(self) -> io::Result<()> {
        cron::start(Arc::clone(&self.server))?;
        crate::replication::replica::start(Arc::clone(&self.server))?;
        persistence::start(Arc::clone(&self.server))?;
        let listeners = &self.server.listeners;
        if !listeners.tcp_addrs().is_empty() {
            log!(Notice, "Ready to accept connections");
        }
        if let Some(path) = listeners.unix_path() {
            log!(
                Notice,
                "The server is now ready to accept connections at {path}"
            );
        }
        process::ready();
        listeners.serve(&self.server)?;
        loop {
            thread::park();
        }
    }
}

/// Raises the open-file limit to fit `maxclients`, or lowers `maxclients` to fit the limit,
/// with Redis's log lines.
pub(crate) fn adjust_open_files_limit(config: &Config) {
    let wanted = config.maxclients() as u64 + RESERVED_FDS;
    let Ok((current, maximum)) = sys::open_files_limit() else {
        return;
    };
    if current >= wanted {
        return;
    }
    let target = wanted.min(maximum);
    let limit = match sys::set_open_files_limit(target, maximum) {
        Ok(()) => target,
        Err(error) => {
            log!(
                Warning,
                "Server can't set maximum open files to {wanted} because of OS error: {error}."
            );
            current
        }
    };
    if limit < wanted {
        let clamped = limit.saturating_sub(RESERVED_FDS).max(1);
        config.maxclients.store(clamped as i64, Ordering::Relaxed);
        log!(
            Warning,
            "You requested maxclients of {} requiring at least {wanted} max file descriptors.",
            wanted - RESERVED_FDS
        );
        log!(
            Warning,
            "Current maximum open files is {limit}. maxclients has been reduced to {clamped} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
        );
    } else {
        log!(
            Notice,
            "Increased maximum number of open files to {limit} (it was originally set to {current})."
        );
    }
}
