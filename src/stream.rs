//! A client's connection as the server holds it, over TCP or a Unix domain socket
//! (`unixsocket`), and the address Redis shows for it. Everything above this module (the
//! connection loop, the doorbell, CLIENT LIST) works the same on both.
//!
//! A match on a two-variant enum per read or write costs nothing next to the system call it
//! leads to, so the hot path stays what it was for TCP: no boxing, no `dyn`.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

/// One end of a client connection.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// Closes the connection from any thread: a thread blocked reading it wakes.
    pub fn shutdown(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.shutdown(Shutdown::Both),
            Stream::Unix(stream) => stream.shutdown(Shutdown::Both),
        }
    }

    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.set_nonblocking(nonblocking),
            Stream::Unix(stream) => stream.set_nonblocking(nonblocking),
        }
    }

    /// Sends each write at once (`TCP_NODELAY`, as Redis sets on its clients). A Unix socket has
    /// no Nagle delay to turn off.
    pub fn set_nodelay(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.set_nodelay(true),
            Stream::Unix(_) => Ok(()),
        }
    }

    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.set_write_timeout(timeout),
            Stream::Unix(stream) => stream.set_write_timeout(timeout),
        }
    }
}

impl Read for &Stream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(stream) => (&*stream).read(buf),
            Stream::Unix(stream) => (&*stream).read(buf),
        }
    }
}

impl Write for &Stream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(stream) => (&*stream).write(buf),
            Stream::Unix(stream) => (&*stream).write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for Stream {
    #[inline]
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Stream::Tcp(stream) => stream.as_raw_fd(),
            Stream::Unix(stream) => stream.as_raw_fd(),
        }
    }
}

/// Where a connection comes from or arrives at, as Redis prints it in CLIENT LIST (`addr=`,
/// `laddr=`) and matches it in CLIENT KILL ADDR / LADDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Ip(SocketAddr),
    /// A client of the Unix socket at this path. Its peer is unnamed, so Redis shows the
    /// socket's own path on both sides: `/tmp/redis.sock:0`.
    Unix(Arc<str>),
}

impl Address {
    /// Redis's `islocalClient`: a Unix socket client, or a peer at exactly 127.0.0.1 or ::1
    /// (127.0.0.2 is not local to it).
    pub fn is_local(&self) -> bool {
        match self {
            Address::Ip(addr) => {
                let ip = addr.ip();
                ip == IpAddr::V4(Ipv4Addr::LOCALHOST) || ip == IpAddr::V6(Ipv6Addr::LOCALHOST)
            }
            Address::Unix(_) => true,
        }
    }

    pub fn is_unix(&self) -> bool {
        matches!(self, Address::Unix(_))
    }
}

impl fmt::Display for Address {
    /// `ip:port` (IPv6 without brackets, as Redis prints it) or `path:0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ip(addr) => write!(f, "{}:{}", addr.ip(), addr.port()),
            Address::Unix(path) => write!(f, "{path}:0"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_redis_prints_them() {
        let v6 = Address::Ip("[::1]:6379".parse().unwrap());
        assert_eq!(v6.to_string(), "::1:6379");
        let v4 = Address::Ip("10.0.0.1:52000".parse().unwrap());
        assert_eq!(v4.to_string(), "10.0.0.1:52000");
        let unix = Address::Unix("/tmp/redis.sock".into());
        assert_eq!(unix.to_string(), "/tmp/redis.sock:0");
    }

    #[test]
    fn unix_clients_and_exact_loopback_peers_are_local() {
        assert!(Address::Unix("/tmp/x.sock".into()).is_local());
        assert!(Address::Ip("127.0.0.1:1".parse().unwrap()).is_local());
        assert!(Address::Ip("[::1]:1".parse().unwrap()).is_local());
        assert!(!Address::Ip("127.0.0.2:1".parse().unwrap()).is_local());
        assert!(!Address::Ip("10.0.0.1:1".parse().unwrap()).is_local());
    }

    #[test]
    fn a_unix_stream_reads_what_the_other_end_writes() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let stream = Stream::Unix(ours);
        (&theirs).write_all(b"PING\r\n").unwrap();
        let mut buf = [0u8; 6];
        (&stream).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"PING\r\n");
        stream.shutdown().unwrap();
        assert_eq!(
            (&theirs).read(&mut buf).unwrap(),
            0,
            "shut down: end of file"
        );
    }
}
