//! The few operating-system calls std does not offer, declared straight from the C library that
//! every Rust program on Unix already links: blocking and waiting for termination signals, the
//! open-file limit, and a read that never blocks (`recv` with `MSG_DONTWAIT`). This is the only
//! module with `unsafe`; each block says why it is sound.
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
}

#[cfg(target_os = "macos")]
mod consts {
    pub const SIG_BLOCK: super::c_int = 1;
    pub const RLIMIT_NOFILE: super::c_int = 8;
    /// Darwin's `sigset_t` is 32 bits; a larger buffer is harmless.
    pub const SIGSET_WORDS: usize = 1;
    pub const MSG_DONTWAIT: super::c_int = 0x80;
}

use consts::*;

pub const SIGINT: c_int = 2;
pub const SIGTERM: c_int = 15;

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
