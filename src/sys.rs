//! The few operating-system calls std does not offer, declared straight from the C library that
//! every Rust program on Unix already links: blocking and waiting for termination signals, the
//! open-file limit, a read and a write that never block (`recv`, `send` with `MSG_DONTWAIT`),
//! waiting on a socket and an event counter at once (`poll`, `eventfd`: see `doorbell.rs`), and
//! TCP listening sockets made the way Redis makes them (`IPV6_V6ONLY`, the `tcp-backlog`; see
//! `listeners.rs`), and leaving the terminal as a daemon (`fork`, `setsid`, `dup2`) or stopping
//! for upstart (`raise`). This is the only module with `unsafe`; each block says why it is sound.
//!
//! Signals (DESIGN.md §7): `block_termination_signals` runs in `main` before any other thread
//! exists, so every thread inherits a mask with SIGTERM and SIGINT blocked; one thread then takes
//! them synchronously with `sigwait`, and shuts the server down the same way `SHUTDOWN` does. No
//! code runs in signal-handler context, so nothing here has to be async-signal-safe.

use std::ffi::{c_int, c_void};
use std::io;
use std::os::fd::AsRawFd;

#[cfg(target_os = "linux")]
mod consts {
    pub const SIG_BLOCK: super::c_int = 0;
    pub const RLIMIT_NOFILE: super::c_int = 7;
    /// glibc's `sigset_t` is 1024 bits.
    pub const SIGSET_WORDS: usize = 16;
    pub const MSG_DONTWAIT: super::c_int = 0x40;
    pub const MSG_NOSIGNAL: super::c_int = 0x4000;
    /// The peer shut down its side of the connection (Linux only).
    pub const POLLRDHUP: i16 = 0x2000;
    pub const AF_INET6: super::c_int = 10;
    pub const SOCK_STREAM: super::c_int = 1;
    /// Linux takes close-on-exec as a socket type flag, atomically.
    pub const SOCK_CLOEXEC: super::c_int = 0o2000000;
    pub const SOL_SOCKET: super::c_int = 1;
    pub const SO_REUSEADDR: super::c_int = 2;
    pub const IPV6_V6ONLY: super::c_int = 26;
    /// The errors Redis's `listenToPort` skips: the address family or protocol is missing on
    /// this host (ENOPROTOOPT, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EPFNOSUPPORT, EAFNOSUPPORT).
    pub const UNSUPPORTED: [i32; 5] = [92, 93, 94, 96, 97];
    pub const SIGSTOP: super::c_int = 19;
}

#[cfg(target_os = "macos")]
mod consts {
    pub const SIG_BLOCK: super::c_int = 1;
    pub const RLIMIT_NOFILE: super::c_int = 8;
    /// Darwin's `sigset_t` is 32 bits; a larger buffer is harmless.
    pub const SIGSET_WORDS: usize = 1;
    pub const MSG_DONTWAIT: super::c_int = 0x80;
    /// Darwin has no `MSG_NOSIGNAL`; Rust programs ignore SIGPIPE anyway.
    pub const MSG_NOSIGNAL: super::c_int = 0;
    /// Darwin has no `POLLRDHUP`: a peer's close is seen only as `POLLHUP`.
    pub const POLLRDHUP: i16 = 0;
    pub const AF_INET6: super::c_int = 30;
    pub const SOCK_STREAM: super::c_int = 1;
    /// Darwin has no `SOCK_CLOEXEC`: close-on-exec is set with `ioctl(FIOCLEX)` after.
    pub const SOCK_CLOEXEC: super::c_int = 0;
    pub const SOL_SOCKET: super::c_int = 0xffff;
    pub const SO_REUSEADDR: super::c_int = 4;
    pub const IPV6_V6ONLY: super::c_int = 27;
    pub const UNSUPPORTED: [i32; 5] = [42, 43, 44, 46, 47];
    pub const SIGSTOP: super::c_int = 17;
}

use consts::*;

pub const SIGINT: c_int = 2;
const AF_INET: c_int = 2;
const IPPROTO_IPV6: c_int = 41;
pub const SIGTERM: c_int = 15;

/// `poll` events: data to read; the peer closed its side; room to write (the same on Linux and
/// Darwin); hang-up; error.
pub const POLLIN: i16 = 0x1;
pub use consts::POLLRDHUP;
pub const POLLOUT: i16 = 0x4;
pub const POLLERR: i16 = 0x8;
pub const POLLHUP: i16 = 0x10;

#[repr(C)]
struct PollFd {
    fd: c_int,
    events: i16,
    revents: i16,
}

#[repr(C)]
struct SigSet([u64; SIGSET_WORDS]);

#[repr(C)]
struct RLimit {
    current: u64,
    maximum: u64,
}

unsafe extern "C" {
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, signal: c_int) -> c_int;
    fn pthread_sigmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwait(set: *const SigSet, signal: *mut c_int) -> c_int;
    fn getrlimit(resource: c_int, limit: *mut RLimit) -> c_int;
    fn setrlimit(resource: c_int, limit: *const RLimit) -> c_int;
    fn recv(socket: c_int, buffer: *mut c_void, length: usize, flags: c_int) -> isize;
    fn send(socket: c_int, buffer: *const c_void, length: usize, flags: c_int) -> isize;
    fn poll(fds: *mut PollFd, count: u64, timeout_ms: c_int) -> c_int;
    fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    fn setsockopt(
        socket: c_int,
        level: c_int,
        name: c_int,
        value: *const c_void,
        length: u32,
    ) -> c_int;
    fn bind(socket: c_int, address: *const c_void, length: u32) -> c_int;
    fn listen(socket: c_int, backlog: c_int) -> c_int;
    fn shutdown(socket: c_int, how: c_int) -> c_int;
    #[cfg(target_os = "macos")]
    fn ioctl(fd: c_int, request: std::ffi::c_ulong, ...) -> c_int;
    #[cfg(target_os = "linux")]
    fn eventfd(initial: std::ffi::c_uint, flags: c_int) -> c_int;
    fn fork() -> c_int;
    fn setsid() -> c_int;
    fn dup2(from: c_int, to: c_int) -> c_int;
    fn raise(signal: c_int) -> c_int;
}

fn termination_signals() -> SigSet {
    let mut set = SigSet([0; SIGSET_WORDS]);
    // SAFETY: `set` is a valid, writable sigset_t-sized buffer; the calls only write into it.
    unsafe {
        sigemptyset(&mut set);
        sigaddset(&mut set, SIGTERM);
        sigaddset(&mut set, SIGINT);
    }
    set
}

/// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards.
/// Call first thing in `main`.
pub fn block_termination_signals() {
    let set = termination_signals();
    // SAFETY: `set` is initialised; a null `old` pointer is allowed.
    unsafe {
        pthread_sigmask(SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Sleeps until SIGTERM or SIGINT arrives and returns which. The signals must be blocked (see
/// [`block_termination_signals`]).
pub fn wait_for_termination_signal() -> c_int {
    let set = termination_signals();
    let mut signal: c_int = 0;
    // SAFETY: both pointers are valid for the duration of the call.
    unsafe {
        sigwait(&set, &mut signal);
    }
    signal
}

/// The C library's wording for an OS error (`No space left on device`), as Redis prints
/// `strerror(errno)`: std's text without its ` (os error 28)` suffix.
pub fn os_error_text(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// The soft limit on open files: (current, maximum).
pub fn open_files_limit() -> io::Result<(u64, u64)> {
    let mut limit = RLimit {
        current: 0,
        maximum: 0,
    };
    // SAFETY: `limit` is a valid, writable `struct rlimit`.
    if unsafe { getrlimit(RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.current, limit.maximum))
}

/// Raises (or lowers) the soft limit on open files.
pub fn set_open_files_limit(current: u64, maximum: u64) -> io::Result<()> {
    let limit = RLimit { current, maximum };
    // SAFETY: `limit` is a valid `struct rlimit`, only read by the call.
    if unsafe { setrlimit(RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads what has already arrived on `socket`, without waiting: `WouldBlock` if nothing has.
/// The socket itself stays in blocking mode (std can only switch the whole socket, which costs a
/// system call each way).
pub fn recv_now(socket: &impl AsRawFd, buffer: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length describe `buffer`, which is valid for writes for the whole
    // call; the descriptor belongs to a socket the caller holds open.
    let n = unsafe {
        recv(
            socket.as_raw_fd(),
            buffer.as_mut_ptr().cast(),
            buffer.len(),
            MSG_DONTWAIT,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Writes what the socket's send buffer takes now, without waiting: `WouldBlock` if it takes
/// nothing. Like [`recv_now`], the socket stays in blocking mode for its owner.
pub fn send_now(socket: &impl AsRawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length describe `bytes`, valid for reads for the whole call; the
    // descriptor belongs to a socket the caller holds open.
    let n = unsafe {
        send(
            socket.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            MSG_DONTWAIT | MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Waits until `first` reports one of `first_events`, `second` becomes readable, or `timeout`
/// passes (`None`: no limit). Returns the events seen on each: `first`'s `revents` (which always
/// include `POLLHUP` and `POLLERR` when they happen) and whether `second` is readable. An
/// interrupted wait returns nothing seen, and the caller loops.
pub fn poll_two(
    first: &impl AsRawFd,
    first_events: i16,
    second: &impl AsRawFd,
    timeout: Option<std::time::Duration>,
) -> io::Result<(i16, bool)> {
    let mut fds = [
        PollFd {
            fd: first.as_raw_fd(),
            events: first_events,
            revents: 0,
        },
        PollFd {
            fd: second.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        },
    ];
    // Round up, so a wait never ends before its timeout.
    let timeout_ms = timeout.map_or(-1, |t| {
        t.as_nanos().div_ceil(1_000_000).min(c_int::MAX as u128) as c_int
    });
    // SAFETY: `fds` is a valid array of two pollfd structs for the whole call; the descriptors
    // belong to objects the caller holds open.
    let n = unsafe { poll(fds.as_mut_ptr(), 2, timeout_ms) };
    if n < 0 {
        let error = io::Error::last_os_error();
        if error.kind() == io::ErrorKind::Interrupted {
            return Ok((0, false));
        }
        return Err(error);
    }
    Ok((fds[0].revents, fds[1].revents & POLLIN != 0))
}

/// A new non-blocking, close-on-exec `eventfd` counter (Linux), the cheapest object another
/// thread can make readable to end a `poll`.
#[cfg(target_os = "linux")]
pub fn new_eventfd() -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    const EFD_NONBLOCK: c_int = 0o4000;
    const EFD_CLOEXEC: c_int = 0o2000000;
    // SAFETY: eventfd takes no pointers; it returns a new descriptor or -1.
    let fd = unsafe { eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by eventfd, is open, and is owned by nobody else.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// Which call failed while making a listening socket, and why: Redis's `anet` error text,
/// `bind: Address already in use`.
#[derive(Debug)]
pub struct SocketError {
    pub call: &'static str,
    pub error: io::Error,
}

impl SocketError {
    /// The address family or protocol does not exist on this host (IPv6 disabled): Redis
    /// skips such a bind address even when it is not optional.
    pub fn is_unsupported(&self) -> bool {
        self.error
            .raw_os_error()
            .is_some_and(|code| UNSUPPORTED.contains(&code))
    }
}

impl std::fmt::Display for SocketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.call, os_error_text(&self.error))
    }
}

/// The C `struct sockaddr_in6` and `sockaddr_in` share their first two bytes: on Linux a 16-bit
/// family; on Darwin a length byte, then the family.
fn family_field(family: c_int, length: usize) -> [u8; 2] {
    if cfg!(target_os = "macos") {
        [length as u8, family as u8]
    } else {
        (family as u16).to_ne_bytes()
    }
}

#[repr(C)]
struct SockAddrIn {
    family: [u8; 2],
    port: [u8; 2],
    addr: [u8; 4],
    zero: [u8; 8],
}

#[repr(C)]
struct SockAddrIn6 {
    family: [u8; 2],
    port: [u8; 2],
    flowinfo: u32,
    addr: [u8; 16],
    scope_id: u32,
}

/// A listening TCP socket on `address`, made as Redis's `_anetTcpServer` makes it:
/// `SO_REUSEADDR`, `IPV6_V6ONLY` on IPv6 (so `*` and `::*` can share a port), and the
/// `tcp-backlog`. std offers none of the last two before `bind`.
pub fn tcp_listener(
    address: std::net::SocketAddr,
    backlog: i32,
) -> Result<std::net::TcpListener, SocketError> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let failed = |call| SocketError {
        call,
        error: io::Error::last_os_error(),
    };
    let family = match address {
        std::net::SocketAddr::V4(_) => AF_INET,
        std::net::SocketAddr::V6(_) => AF_INET6,
    };
    // SAFETY: socket takes no pointers; it returns a new descriptor or -1.
    let fd = unsafe { socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(failed("socket"));
    }
    // SAFETY: `fd` was just returned by socket, is open, and is owned by nobody else; from here
    // on `owned` closes it on every path.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    #[cfg(target_os = "macos")]
    {
        const FIOCLEX: std::ffi::c_ulong = 0x2000_6601;
        // SAFETY: FIOCLEX takes no argument; `fd` is open.
        unsafe { ioctl(fd, FIOCLEX) };
    }
    let yes: c_int = 1;
    let set_flag = |level, name| {
        // SAFETY: the pointer and length describe `yes`, a c_int that outlives the call.
        unsafe {
            setsockopt(
                fd,
                level,
                name,
                (&yes as *const c_int).cast(),
                size_of::<c_int>() as u32,
            )
        }
    };
    if set_flag(SOL_SOCKET, SO_REUSEADDR) != 0 {
        return Err(failed("setsockopt SO_REUSEADDR"));
    }
    if family == AF_INET6 && set_flag(IPPROTO_IPV6, IPV6_V6ONLY) != 0 {
        return Err(failed("setsockopt"));
    }
    let bound = match address {
        std::net::SocketAddr::V4(v4) => {
            let raw = SockAddrIn {
                family: family_field(AF_INET, size_of::<SockAddrIn>()),
                port: v4.port().to_be_bytes(),
                addr: v4.ip().octets(),
                zero: [0; 8],
            };
            // SAFETY: the pointer and length describe `raw`, a sockaddr_in alive for the call.
            unsafe {
                bind(
                    fd,
                    (&raw as *const SockAddrIn).cast(),
                    size_of_val(&raw) as u32,
                )
            }
        }
        std::net::SocketAddr::V6(v6) => {
            let raw = SockAddrIn6 {
                family: family_field(AF_INET6, size_of::<SockAddrIn6>()),
                port: v6.port().to_be_bytes(),
                flowinfo: v6.flowinfo(),
                addr: v6.ip().octets(),
                scope_id: v6.scope_id(),
            };
            // SAFETY: the pointer and length describe `raw`, a sockaddr_in6 alive for the call.
            unsafe {
                bind(
                    fd,
                    (&raw as *const SockAddrIn6).cast(),
                    size_of_val(&raw) as u32,
                )
            }
        }
    };
    if bound != 0 {
        return Err(failed("bind"));
    }
    // SAFETY: listen takes no pointers; `fd` is an open, bound socket.
    if unsafe { listen(fd, backlog) } != 0 {
        return Err(failed("listen"));
    }
    Ok(std::net::TcpListener::from(owned))
}

/// Shuts a listening socket down, so that a thread blocked in `accept` on it returns (Linux;
/// elsewhere the caller also connects to it once).
pub fn shutdown_listener(socket: &impl AsRawFd) {
    const SHUT_RDWR: c_int = 2;
    // SAFETY: shutdown takes no pointers; the descriptor belongs to a socket the caller holds
    // open. A failure (not connected, on some systems) changes nothing.
    unsafe {
        shutdown(socket.as_raw_fd(), SHUT_RDWR);
    }
}

/// Redis's `daemonize()`: forks; the parent exits with status 0 at once; the child, which
/// returns, leads a new session (no controlling terminal) with stdin, stdout and stderr on
/// /dev/null. Refuses (an error, nothing done) once a second thread exists: a forked child
/// inherits only the calling thread, and the locks the others held would stay locked forever.
pub fn daemonize() -> io::Result<()> {
    if other_threads_exist() {
        return Err(io::Error::other(
            "daemonize must run before any thread starts",
        ));
    }
    // What stdout holds would otherwise be written twice, by the parent and by the child.
    let _ = io::Write::flush(&mut io::stdout());
    // SAFETY: fork takes no arguments. The process has one thread (checked above), so the child
    // is a complete copy and may go on running any Rust code.
    let pid = unsafe { fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid > 0 {
        std::process::exit(0);
    }
    // SAFETY: setsid takes no arguments; it fails only if the caller leads a process group,
    // which a freshly forked child never does.
    unsafe {
        setsid();
    }
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for standard in 0..=2 {
        // SAFETY: dup2 takes two descriptor numbers: `null` is open for this whole loop, and
        // 0, 1 and 2 are always valid targets (replaced whether open or not).
        if unsafe { dup2(null.as_raw_fd(), standard) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether the process has a thread besides the caller's (Linux counts them in
/// /proc/self/task; elsewhere, or without /proc, the caller's word is taken).
fn other_threads_exist() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() > 1)
}

/// Stops the process with SIGSTOP until someone sends SIGCONT: how a program run by upstart
/// with `expect stop` says it is ready.
pub fn stop_self() {
    // SAFETY: raise takes a signal number only; SIGSTOP cannot be caught, so no handler runs.
    unsafe {
        raise(SIGSTOP);
    }
}
