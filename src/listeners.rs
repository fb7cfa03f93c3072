//! The listening sockets: the TCP addresses of `bind` on `port`, and the Unix socket of
//! `unixsocket`; one accept thread each, handing every new connection to `Server::admit`; new
//! listeners when `CONFIG SET port` or `bind` changes them (Redis's `changeListenPort` and
//! `changeBindAddr`); all of them closed, and the Unix socket file removed, at shutdown.
//! (Stage 1: bind to a port.)
//!
//! Rebinding opens the new sockets before it lets go of the old ones, so a refused address (a
//! privileged port, an address the host does not have) leaves the server listening where it
//! was. Only an address on the port already in use must wait for the old socket to close (two
//! listeners cannot share a port); if it then fails, the old addresses are opened again.
//!
//! An old listener's accept thread ends when its socket is shut down: `accept` fails, and the
//! thread sees its listener marked closed.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::thread;
use std::time::Duration;

use crate::config::{self, Config};
use crate::log;
use crate::server::Server;
use crate::stream::{Address, Stream};
use crate::sys::{self, SocketError};

/// Every socket the server listens on.
pub struct Listeners {
    tcp: Mutex<Vec<Arc<Open>>>,
    /// Fixed at startup: `unixsocket` cannot change at runtime.
    unix: Option<Arc<Open>>,
    /// Where accept threads started by a rebind find the server (set when serving starts).
    server: OnceLock<Weak<Server>>,
    /// `tcp-backlog`, fixed at startup.
    backlog: i32,
}

/// A socket connections arrive on.
enum Listener {
    Tcp(TcpListener),
    /// The Unix socket and its path, the address all its clients show (`addr=/path:0`).
    Unix(UnixListener, Arc<str>),
}

/// A listener and whether it has been let go of, which tells its accept thread to end.
struct Open {
    listener: Listener,
    closed: AtomicBool,
}

/// Some address could not be listened on; why is in the log, as in Redis.
#[derive(Debug)]
pub struct BindFailed;

/// One address of `bind`, as written and as bound.
struct Target {
    /// As written, without its `-`: how Redis names it in its log lines (`*:6379`).
    written: String,
    optional: bool,
    address: SocketAddr,
}

impl Listeners {
    /// Binds `bind` on `port` and `unixsocket`, logging failures as Redis does. Port 0 lets the
    /// OS pick a free port for the first address; the others use the same one, and
    /// `CONFIG GET port` reports it.
    pub fn bind(config: &Config) -> io::Result<Listeners> {
        let port = Config::get(&config.port) as u16;
        let backlog = Config::get(&config.tcp_backlog) as i32;
        warn_if_backlog_is_capped(backlog);
        let tcp = match bind_tcp(config, port, backlog) {
            Ok(listeners) => listeners,
            Err(reason) => {
                log!(Warning, "Failed listening on port {port} (TCP), aborting.");
                return Err(io::Error::other(reason));
            }
        };
        if let Some(first) = tcp.first() {
            let port = first.local_addr()?.port();
            config.port.store(i64::from(port), Ordering::Relaxed);
        }
        let unix = match config.unixsocket() {
            Some(path) => {
                let perm = Config::get(&config.unixsocketperm) as u32;
                match bind_unix(&path, perm) {
                    Ok(listener) => Some(Open::new(Listener::Unix(listener, path.into()))),
                    Err(reason) => {
                        log!(Warning, "Failed opening Unix socket: {reason}");
                        return Err(io::Error::other(reason));
                    }
                }
            }
            None => None,
        };
        if tcp.is_empty() && unix.is_none() {
            log!(Warning, "Configured to not listen anywhere, exiting.");
            return Err(io::Error::other("Configured to not listen anywhere"));
        }
        Ok(Listeners {
            tcp: Mutex::new(tcp.into_iter().map(Listener::Tcp).map(Open::new).collect()),
            unix,
            server: OnceLock::new(),
            backlog,
        })
    }

    /// The TCP addresses listened on (in `bind`'s order until a rebind).
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        self.lock()
            .iter()
            .filter_map(|open| open.tcp_addr())
            .collect()
    }

    /// The Unix socket's path, if there is one.
    pub fn unix_path(&self) -> Option<&str> {
        match &self.unix.as_deref()?.listener {
            Listener::Unix(_, path) => Some(path),
            Listener::Tcp(_) => None,
        }
    }

    /// Starts an accept thread for every listener.
    pub fn serve(&self, server: &Arc<Server>) -> io::Result<()> {
        let _ = self.server.set(Arc::downgrade(server));
        for open in self.lock().iter().chain(&self.unix) {
            spawn_accept(server, open)?;
        }
        Ok(())
    }

    /// Listens on what `bind` and `port` now say, instead of what they said (`CONFIG SET`).
    /// On failure the reason is in the log, and the server listens where it did before.
    pub fn rebind(&self, config: &Config) -> Result<(), BindFailed> {
        let port = Config::get(&config.port) as u16;
        let targets = targets(config, port).map_err(|reason| {
            log!(Warning, "{reason}");
            BindFailed
        })?;
        let mut current = self.lock();
        let (kept, retired): (Vec<_>, Vec<_>) = std::mem::take(&mut *current)
            .into_iter()
            .partition(|open| targets.iter().any(|t| Some(t.address) == open.tcp_addr()));
        let kept_addrs: Vec<_> = kept.iter().filter_map(|open| open.tcp_addr()).collect();
        let fresh: Vec<_> = targets
            .into_iter()
            .filter(|t| !kept_addrs.contains(&t.address))
            .collect();
        // A new address on a port a retired listener holds can only be bound once it is gone.
        let close_first = retired
            .iter()
            .filter_map(|open| open.tcp_addr())
            .any(|old| fresh.iter().any(|t| t.address.port() == old.port()));
        let retired_addrs: Vec<_> = retired.iter().filter_map(|open| open.tcp_addr()).collect();
        if close_first {
            retired.iter().for_each(|open| open.close());
        }
        let opened = match listen_on(&fresh, port, self.backlog) {
            Ok(opened) => opened,
            Err(BindFailed) => {
                let mut restored = kept;
                if close_first {
                    restored.extend(self.reopen(&retired_addrs));
                } else {
                    restored.extend(retired);
                }
                *current = restored;
                return Err(BindFailed);
            }
        };
        retired.iter().for_each(|open| open.close());
        let opened: Vec<_> = opened
            .into_iter()
            .map(|listener| Open::new(Listener::Tcp(listener)))
            .collect();
        self.start_accepting(&opened);
        if let Some(port) = kept.iter().chain(&opened).find_map(|open| open.tcp_addr()) {
            config.port.store(i64::from(port.port()), Ordering::Relaxed);
        }
        *current = kept.into_iter().chain(opened).collect();
        Ok(())
    }

    /// Binds again addresses a failed rebind closed first; those that cannot be are logged.
    fn reopen(&self, addresses: &[SocketAddr]) -> Vec<Arc<Open>> {
        let backlog = self.backlog;
        let reopened: Vec<_> = addresses
            .iter()
            .filter_map(|&address| match sys::tcp_listener(address, backlog) {
                Ok(listener) => Some(Open::new(Listener::Tcp(listener))),
                Err(error) => {
                    log!(
                        Warning,
                        "Could not listen again on {address} after a failed rebind: {error}"
                    );
                    None
                }
            })
            .collect();
        self.start_accepting(&reopened);
        reopened
    }

    fn start_accepting(&self, listeners: &[Arc<Open>]) {
        let Some(server) = self.server.get().and_then(Weak::upgrade) else {
            return; // Not serving yet: `serve` starts them.
        };
        for open in listeners {
            if let Err(error) = spawn_accept(&server, open) {
                log!(Warning, "Error creating an accept thread: {error}");
            }
        }
    }

    /// Stops listening, at shutdown, as Redis's `prepareForShutdown` does with
    /// `closeListeningSockets` before it exits: from here on a client's connect is refused.
    /// Left to the process's exit, the kernel would keep completing handshakes on a listener
    /// it has not closed yet, and reset those connections a moment later.
    pub fn close_all(&self) {
        self.lock().iter().for_each(|open| open.close());
        self.remove_unix_socket();
    }

    /// Removes the Unix socket file at shutdown, as Redis's `closeListeningSockets` does.
    fn remove_unix_socket(&self) {
        if let Some(path) = self.unix_path() {
            log!(Notice, "Removing the unix socket file.");
            if let Err(error) = std::fs::remove_file(path) {
                let reason = sys::os_error_text(&error);
                log!(Warning, "Error removing the unix socket file: {reason}");
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Open>>> {
        self.tcp.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Open {
    fn new(listener: Listener) -> Arc<Open> {
        Arc::new(Open {
            listener,
            closed: AtomicBool::new(false),
        })
    }

    fn tcp_addr(&self) -> Option<SocketAddr> {
        match &self.listener {
            Listener::Tcp(listener) => listener.local_addr().ok(),
            Listener::Unix(..) => None,
        }
    }

    /// Lets go of the listener: its accept thread wakes and ends, and the socket closes with
    /// the last reference to it.
    fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return; // Closed already (a rebind that had to close it first).
        }
        let Listener::Tcp(listener) = &self.listener else {
            return; // The Unix socket lives as long as the process.
        };
        sys::shutdown_listener(listener);
        // Where shutting a listener down does not end `accept` (not Linux), a connection does.
        if !cfg!(target_os = "linux") {
            if let Some(mut address) = self.tcp_addr() {
                if address.ip().is_unspecified() {
                    address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                let _ = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1));
            }
        }
    }

    /// The next connection, with its peer's and its own address as CLIENT LIST shows them.
    fn accept(&self) -> io::Result<(Stream, Address, Address)> {
        match &self.listener {
            Listener::Tcp(listener) => {
                let (stream, peer) = listener.accept()?;
                let local = stream.local_addr()?;
                log!(Verbose, "Accepted {}", Address::Ip(peer));
                Ok((Stream::Tcp(stream), Address::Ip(peer), Address::Ip(local)))
            }
            Listener::Unix(listener, path) => {
                let (stream, _unnamed) = listener.accept()?;
                log!(Verbose, "Accepted connection to {path}");
                let address = Address::Unix(Arc::clone(path));
                Ok((Stream::Unix(stream), address.clone(), address))
            }
        }
    }
}

fn spawn_accept(server: &Arc<Server>, open: &Arc<Open>) -> io::Result<()> {
    let (server, open) = (Arc::clone(server), Arc::clone(open));
    thread::Builder::new()
        .name("accept".into())
        .spawn(move || accept_loop(&server, &open))?;
    Ok(())
}

/// Admits every connection the listener accepts, until it is closed.
fn accept_loop(server: &Arc<Server>, open: &Open) {
    loop {
        match open.accept() {
            Ok((stream, peer, local)) => {
                if open.closed.load(Ordering::Acquire) {
                    // The self-connection that woke a closed listener, or a client that raced
                    // it: the client sees a closed connection and retries elsewhere.
                    return;
                }
                server.admit(stream, peer, local);
                // What admitting allocated (the client's record, its thread) is the new
                // connection's memory: counted now, not when this thread's delta next folds.
                crate::memory::allocator::publish_pending();
            }
            Err(_) if open.closed.load(Ordering::Acquire) => return,
            Err(error) => {
                log!(Warning, "Accepting client connection: {error}");
                // Out of file descriptors: accepting again at once would spin. Wait for clients
                // to leave.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Redis's `checkTcpBacklogSettings`: the kernel silently caps a listen backlog at
/// `somaxconn`.
fn warn_if_backlog_is_capped(backlog: i32) {
    let Ok(text) = std::fs::read_to_string("/proc/sys/net/core/somaxconn") else {
        return;
    };
    let somaxconn: i32 = text.trim().parse().unwrap_or(0);
    if somaxconn > 0 && somaxconn < backlog {
        log!(
            Warning,
            "WARNING: The TCP backlog setting of {backlog} cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}."
        );
    }
}

/// Binds the addresses of `bind` on `port`, or says why not (the details are in the log).
fn bind_tcp(config: &Config, port: u16, backlog: i32) -> Result<Vec<TcpListener>, String> {
    let targets = targets(config, port)?;
    listen_on(&targets, port, backlog)
        .map_err(|BindFailed| "Failed listening on the bind addresses".into())
}

/// Redis's `listenToPort`: a listener per target, skipping an optional address the host does
/// not have and any address of a family it does not support. If one fails otherwise, none is
/// kept. With port 0 the first listener's port, picked by the OS, is used for the others.
fn listen_on(targets: &[Target], port: u16, backlog: i32) -> Result<Vec<TcpListener>, BindFailed> {
    let mut port = port;
    let mut listeners = Vec::new();
    for target in targets {
        let mut address = target.address;
        address.set_port(port);
        match sys::tcp_listener(address, backlog) {
            Ok(listener) => {
                if let Ok(bound) = listener.local_addr() {
                    port = bound.port();
                }
                listeners.push(listener);
            }
            Err(error) => {
                log!(
                    Warning,
                    "Warning: Could not create server TCP listening socket {}:{port}: {error}",
                    target.written
                );
                if !skippable(target, &error) {
                    return Err(BindFailed);
                }
            }
        }
    }
    Ok(listeners)
}

fn skippable(target: &Target, error: &SocketError) -> bool {
    let unavailable = error.error.kind() == io::ErrorKind::AddrNotAvailable;
    (unavailable && target.optional) || error.is_unsupported()
}

/// The addresses of `bind` on `port`. An address written `-addr` is optional: unavailable on
/// this host, it is skipped (Redis's default `* -::*` works on hosts without IPv6). A name
/// (`localhost`) is looked up, IPv6 if it has a colon, as Redis's `getaddrinfo` hints ask.
fn targets(config: &Config, port: u16) -> Result<Vec<Target>, String> {
    config::read(&config.bind)
        .iter()
        .map(|written| {
            let (optional, host) = match written.strip_prefix('-') {
                Some(host) => (true, host),
                None => (false, written.as_str()),
            };
            let ip = match host {
                "*" => Some(std::net::Ipv4Addr::UNSPECIFIED.into()),
                "::*" => Some(std::net::Ipv6Addr::UNSPECIFIED.into()),
                _ => host.parse().ok(),
            };
            let address = match ip {
                Some(ip) => SocketAddr::new(ip, port),
                None => resolve(host, port)?,
            };
            Ok(Target {
                written: host.to_string(),
                optional,
                address,
            })
        })
        .collect()
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let want_v6 = host.contains(':');
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut found| found.find(|a| a.is_ipv6() == want_v6))
        .ok_or_else(|| {
            format!("Warning: Could not create server TCP listening socket {host}:{port}: Name or service not known")
        })
}

/// Redis's `anetUnixServer`: whatever is at `path` is removed first (a stale socket left by a
/// crash; Redis does not check what it unlinks), then the socket is bound and, if `perm` is
/// not 0, given those permissions.
fn bind_unix(path: &str, perm: u32) -> Result<UnixListener, String> {
    /// `sizeof(sun_path)`, minus the terminating NUL.
    const MAX_PATH: usize = if cfg!(target_os = "macos") { 103 } else { 107 };
    if path.len() > MAX_PATH {
        return Err(format!(
            "unix socket path too long ({}), must be under {}",
            path.len(),
            MAX_PATH + 1
        ));
    }
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)
        .map_err(|error| format!("bind: {}", sys::os_error_text(&error)))?;
    if perm != 0 {
        // std binds and listens in one call, so the permissions land a moment after the first
        // connection could; Redis sets them between bind and listen. As Redis, a failure to
        // set them is not fatal.
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm));
    }
    Ok(listener)
}
