//! The server: its shared state ([`Server`]), binding the listening sockets, and the accept loop
//! that gives every client a thread of its own. (Stage 1: bind to a port; stage 4: concurrent
//! clients.)
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
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::blocking::{self, Blocking};
use crate::clients::Clients;
use crate::config::{self, Config};
use crate::keyspace::{Changes, Keyspace, Writer};
use crate::log;
use crate::memory::Memory;
use crate::persistence::{self, Persistence, SaveOnExit};
use crate::pubsub::PubSub;
use crate::stats::Stats;
use crate::watch::Watches;
use crate::{clock, connection, cron, notify, process, sys};

/// Stack size of a connection thread. The request parser is not recursive and handlers keep
/// little on the stack; 256 KiB leaves a wide margin, and only the pages actually touched cost
/// memory (about 14 KB per idle connection, measured).
const CLIENT_STACK: usize = 256 * 1024;

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
    /// `DEBUG SET-ACTIVE-EXPIRE`: whether the cron thread reclaims expired keys.
    pub active_expire: AtomicBool,
    /// RDB saves, the append-only file, and the background jobs that write them.
    pub persistence: Persistence,
    /// Channels, patterns and their subscribers.
    pub pubsub: PubSub,
    /// Keys watched by clients (`WATCH`).
    pub watches: Watches,
    /// Used memory as the cron thread samples it, for `maxmemory`.
    pub memory: Memory,
}

/// A bound server, ready to serve.
pub struct Listening {
    pub server: Arc<Server>,
    listeners: Vec<TcpListener>,
}

impl Server {
    /// Redis's `initServer`: binds every `bind` address on `port` and builds the shared state,
    /// empty ([`Listening::load`] loads the data). Binding to port 0 lets the OS pick a free
    /// port; the other addresses then use the same one, and `CONFIG GET port` reports it.
    pub fn bind(config: Config) -> io::Result<Listening> {
        log::set_role(b'M');
        // What std's `Instant` reads on Unix, the clock Redis names this way.
        log!(Notice, "monotonic clock: POSIX clock_gettime");
        adjust_open_files_limit(&config);
        crate::commands::rename_commands(&config.renamed_commands);
        let listeners = bind_all(&config)?;
        let port = listeners[0].local_addr()?.port();
        config.port.store(i64::from(port), Ordering::Relaxed);
        if let Some((host, master_port)) = config::read(&config.replicaof) {
            log!(
                Warning,
                "replicaof {host} {master_port} is accepted but replication is not implemented yet: running as a master"
            );
        }
        let mut keyspace = Keyspace::new(config.databases());
        keyspace.switches.events = Arc::clone(&config.notify_keyspace_events);
        let server = Server {
            keyspace,
            clients: Clients::default(),
            blocking: Blocking::default(),
            stats: Stats::default(),
            run_id: random_hex(40),
            started: Instant::now(),
            started_ms: clock::now_ms(),
            active_expire: AtomicBool::new(true),
            persistence: Persistence::default(),
            pubsub: PubSub::default(),
            watches: Watches::default(),
            memory: Memory::default(),
            config,
        };
        server.memory.sample();
        Ok(Listening {
            server: Arc::new(server),
            listeners,
        })
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
        // replicas, then WATCH and keyspace notifications see the modified keys and events.
        if !changes.ready.is_empty() {
            blocking::serve(self, writer, &mut changes);
        }
        if !changes.journal.is_empty() {
            self.persistence.commit(&changes.journal);
        }
        if !changes.modified.is_empty() {
            self.watches.touch(&changes.modified, writer.databases());
        }
        if !changes.events.is_empty() {
            notify::publish(self, &changes.events, writer.tracking().events);
        }
    }

    /// Ends the process the way Redis's `prepareForShutdown` does: with the keyspace held
    /// exclusively (no write can be acknowledged after this point), stops background saves,
    /// flushes the AOF and saves the RDB file if asked to or if save points are set, then exits.
    /// Used by `SHUTDOWN` and by SIGTERM/SIGINT. Returns only if it could not save (and `force`
    /// was not given); the reason is in the log.
    pub fn shutdown(&self, save: SaveOnExit, force: bool) {
        log!(Warning, "User requested shutdown...");
        process::tell_systemd("STOPPING=1\n");
        self.keyspace.write(0, clock::now_ms(), |w| {
            if persistence::prepare_shutdown(self, w.databases(), save, force).is_ok() {
                process::remove_pidfile(&self.config);
                log!(Warning, "thredis is now ready to exit, bye bye...");
                std::process::exit(0)
            }
        });
    }

    /// Reopens the listening sockets after `CONFIG SET port` or `bind`.
    pub fn rebind(&self) -> Result<(), String> {
        Err("changing the listening addresses at runtime is not supported yet".into())
    }

    /// Takes a new connection: refuses it past `maxclients` or when protected mode forbids it,
    /// otherwise registers it and gives it a thread.
    fn admit(self: &Arc<Self>, stream: TcpStream) {
        self.stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
        let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
            return; // The client is already gone.
        };
        if self.clients.count() >= self.config.maxclients() {
            return self.refuse(stream, MAX_CLIENTS_REACHED, "max number of clients reached");
        }
        if self.config.protected_mode.load(Ordering::Relaxed) && !is_loopback(peer.ip()) {
            return self.refuse(stream, PROTECTED_MODE_DENIED, "protected mode");
        }
        // Replies go out as soon as they are written, as Redis sets TCP_NODELAY on clients.
        let _ = stream.set_nodelay(true);
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
            log!(
                Warning,
                "Error creating a thread for client {peer}: {error}"
            );
            if let Some(info) = self.clients.get(id) {
                let _ = (&info.stream).write_all(MAX_CLIENTS_REACHED);
            }
            self.clients.unregister(id);
            self.stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes a final error line to a client that will not be served, and closes it.
    fn refuse(&self, mut stream: TcpStream, message: &[u8], reason: &str) {
        self.stats
            .rejected_connections
            .fetch_add(1, Ordering::Relaxed);
        log!(Verbose, "Refusing a client: {reason}");
        // The line fits in any socket buffer; the timeout only guards against the impossible.
        let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
        let _ = stream.write_all(message);
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
        if let Some(info) = server.clients.get(self.id) {
            server
                .watches
                .unwatch_all(&info, &server.keyspace.switches.watched_keys);
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

    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Starts the background thread and serves clients until the process exits.
    pub fn run(self) -> io::Result<()> {
        cron::start(Arc::clone(&self.server))?;
        persistence::start(Arc::clone(&self.server))?;
        log!(Notice, "Ready to accept connections");
        process::ready();
        let mut listeners = self.listeners.into_iter();
        let first = listeners
            .next()
            .expect("bind_all returns at least one listener");
        for listener in listeners {
            let server = Arc::clone(&self.server);
            thread::Builder::new()
                .name("accept".into())
                .spawn(move || accept_loop(&server, listener))?;
        }
        accept_loop(&self.server, first);
        Ok(())
    }
}

fn accept_loop(server: &Arc<Server>, listener: TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => server.admit(stream),
            Err(error) => {
                log!(Warning, "Accepting client connection: {error}");
                // Out of file descriptors: accepting again at once would spin. Wait for clients
                // to leave.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Binds each address of `bind`. An address written `-addr` is optional: failing to bind it is
/// not fatal (Redis's default `127.0.0.1 -::1` works on hosts without IPv6).
fn bind_all(config: &Config) -> io::Result<Vec<TcpListener>> {
    let mut port = config::Config::get(&config.port) as u16;
    let mut listeners = Vec::new();
    for address in config::read(&config.bind) {
        let (optional, host) = match address.strip_prefix('-') {
            Some(host) => (true, host.to_string()),
            None => (false, address.clone()),
        };
        // Redis's wildcards: every IPv4 address, every IPv6 address.
        let host = match host.as_str() {
            "*" => "0.0.0.0".to_string(),
            "::*" => "::".to_string(),
            _ => host,
        };
        let target = match host.parse::<IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, port),
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("Invalid bind address '{host}'"),
                ));
            }
        };
        match TcpListener::bind(target) {
            Ok(listener) => {
                port = listener.local_addr()?.port();
                listeners.push(listener);
            }
            Err(error) if optional => log!(
                Verbose,
                "Optional bind address {target} unavailable: {error}"
            ),
            Err(error) => {
                log!(
                    Warning,
                    "Warning: Could not create server TCP listening socket {target}: {error}"
                );
                return Err(error);
            }
        }
    }
    if listeners.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "Failed listening on any bind address",
        ));
    }
    Ok(listeners)
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

/// Redis's `islocalClient`: exactly 127.0.0.1 or ::1 (127.0.0.2 is not local to it).
fn is_loopback(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::LOCALHOST) || ip == IpAddr::V6(Ipv6Addr::LOCALHOST)
}

fn random_hex(len: usize) -> String {
    let mut rng = crate::random::Rng::new();
    (0..len)
        .map(|_| char::from_digit(rng.below(16) as u32, 16).expect("below 16"))
        .collect()
}
