//! The few operating-system calls std does not offer, declared straight from the C library that
//! every Rust program on Unix already links: blocking and waiting for termination signals, the
//! open-file limit, a read and a write that never block (`recv`, `send` with `MSG_DONTWAIT`),
//! waiting on a socket and an event counter at once (`poll`, `eventfd`: see `doorbell.rs`), and
//! leaving the terminal as a daemon (`fork`, `setsid`, `dup2`) or stopping for upstart (`raise`).
//! This is the only module with `unsafe`; each block says why it is sound.
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
    pub const SIGSTOP: super::c_int = 17;
}

use consts::*;

pub const SIGINT: c_int = 2;
pub const SIGTERM: c_int = 15;

/// `poll` events: data to read; the peer closed its side; hang-up; error.
pub const POLLIN: i16 = 0x1;
pub use consts::POLLRDHUP;
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
