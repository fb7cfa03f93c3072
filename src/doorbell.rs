//! A doorbell on a connection: how another thread wakes a connection thread that is waiting on
//! its client's socket. A publisher has a message for a subscriber; a push has served a client
//! blocked in `BLPOP`. The connection thread waits with [`wait`] on both its socket and its
//! doorbell, so it sleeps without spinning and still notices its client hanging up.
//!
//! On Linux the doorbell is an `eventfd`: one file descriptor, and ringing it is one 8-byte
//! `write`. Elsewhere it is a pair of connected Unix sockets (two descriptors, one byte).
//! Ringing never blocks, and ringing an already rung doorbell changes nothing: the sleeper
//! checks everything that may have been left for it when it wakes, not once per ring.

use std::io::{self, Read, Write};
use std::time::Instant;

use crate::stream::Stream;
use crate::sys;

pub struct Doorbell {
    #[cfg(target_os = "linux")]
    fd: std::fs::File,
    #[cfg(not(target_os = "linux"))]
    pair: (
        std::os::unix::net::UnixStream,
        std::os::unix::net::UnixStream,
    ),
}

impl Doorbell {
    #[cfg(target_os = "linux")]
    pub fn new() -> io::Result<Doorbell> {
        Ok(Doorbell {
            fd: std::fs::File::from(sys::new_eventfd()?),
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn new() -> io::Result<Doorbell> {
        let pair = std::os::unix::net::UnixStream::pair()?;
        pair.0.set_nonblocking(true)?;
        pair.1.set_nonblocking(true)?;
        Ok(Doorbell { pair })
    }

    /// Wakes the thread waiting on this doorbell, or makes its next wait return at once.
    pub fn ring(&self) {
        // A full counter or buffer means it is rung already: nothing is lost by ignoring that.
        #[cfg(target_os = "linux")]
        let _ = (&self.fd).write(&1u64.to_ne_bytes());
        #[cfg(not(target_os = "linux"))]
        let _ = (&self.pair.1).write(&[1]);
    }

    /// Resets the doorbell after waking, before looking at what was left.
    pub fn clear(&self) {
        let mut buf = [0u8; 8];
        #[cfg(target_os = "linux")]
        let _ = (&self.fd).read(&mut buf);
        #[cfg(not(target_os = "linux"))]
        while (&self.pair.0).read(&mut buf).is_ok_and(|n| n > 0) {}
    }

    #[cfg(target_os = "linux")]
    fn readable_end(&self) -> &impl std::os::fd::AsRawFd {
        &self.fd
    }

    #[cfg(not(target_os = "linux"))]
    fn readable_end(&self) -> &impl std::os::fd::AsRawFd {
        &self.pair.0
    }
}

/// What the socket is watched for while waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// A request to read (a subscribed client may send commands at any time).
    Requests,
    /// Only the client going away: a blocked client's further requests wait in the socket until
    /// it is unblocked, as in Redis.
    HangUp,
}

/// Why [`wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// The doorbell rang (and has been cleared).
    Rung,
    /// The socket has something to read ([`Interest::Requests`]).
    Readable,
    /// The client closed the connection or it broke.
    HungUp,
    /// The deadline passed.
    TimedOut,
}

/// Sleeps until the doorbell rings, the socket shows what `interest` asks for, or `deadline`
/// passes (`None`: no deadline). The doorbell wins a tie, so nothing left for the client is
/// ignored because it also sent something.
pub fn wait(
    socket: &Stream,
    doorbell: &Doorbell,
    interest: Interest,
    deadline: Option<Instant>,
) -> io::Result<Woken> {
    let events = match interest {
        Interest::Requests => sys::POLLIN,
        Interest::HangUp => sys::POLLRDHUP,
    };
    loop {
        let timeout = match deadline {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return Ok(Woken::TimedOut);
                }
                Some(deadline - now)
            }
            None => None,
        };
        let (socket_events, rung) =
            sys::poll_two(socket, events, doorbell.readable_end(), timeout)?;
        if rung {
            doorbell.clear();
            return Ok(Woken::Rung);
        }
        if socket_events & (sys::POLLHUP | sys::POLLERR | sys::POLLRDHUP) != 0 {
            return Ok(Woken::HungUp);
        }
        if socket_events & sys::POLLIN != 0 {
            return Ok(Woken::Readable);
        }
    }
}

/// Whether the client at the other end of `socket` has closed the connection, checked at once
/// without waiting (a writer serving a blocked client skips one that is gone). `doorbell` is
/// polled alongside, harmlessly: `poll` needs the pair.
pub fn hung_up(socket: &Stream, doorbell: &Doorbell) -> bool {
    sys::poll_two(
        socket,
        sys::POLLRDHUP,
        doorbell.readable_end(),
        Some(std::time::Duration::ZERO),
    )
    .is_ok_and(|(events, _)| events & (sys::POLLHUP | sys::POLLERR | sys::POLLRDHUP) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    fn connected_pair() -> (TcpStream, Stream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, Stream::Tcp(server))
    }

    #[test]
    fn a_ring_from_another_thread_ends_the_wait() {
        let (_client, server) = connected_pair();
        let doorbell = std::sync::Arc::new(Doorbell::new().unwrap());
        let ringer = std::sync::Arc::clone(&doorbell);
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            ringer.ring();
        });
        assert_eq!(
            wait(&server, &doorbell, Interest::HangUp, None).unwrap(),
            Woken::Rung
        );
        thread.join().unwrap();
        let soon = Some(Instant::now() + Duration::from_millis(20));
        assert_eq!(
            wait(&server, &doorbell, Interest::HangUp, soon).unwrap(),
            Woken::TimedOut,
            "clearing resets it"
        );
    }

    #[test]
    fn hang_up_is_seen_but_requests_are_not_when_only_hang_up_matters() {
        let (mut client, server) = connected_pair();
        let doorbell = Doorbell::new().unwrap();
        client.write_all(b"PING\r\n").unwrap();
        let soon = || Some(Instant::now() + Duration::from_millis(50));
        assert_eq!(
            wait(&server, &doorbell, Interest::HangUp, soon()).unwrap(),
            Woken::TimedOut
        );
        assert_eq!(
            wait(&server, &doorbell, Interest::Requests, soon()).unwrap(),
            Woken::Readable
        );
        drop(client);
        assert_eq!(
            wait(&server, &doorbell, Interest::HangUp, soon()).unwrap(),
            Woken::HungUp
        );
    }
}
