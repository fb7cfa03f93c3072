//! Replies handed off to the committer with `appendfsync always`, so a connection never sleeps
//! waiting for an fsync.
//!
//! # Why
//! A reply to a write must not leave before the write is on disk. Parking the connection's
//! thread until the fsync ends costs, per write, a park, an unpark (a futex each) and two more
//! context switches than a reply that goes out at once; on a machine with fewer cores than
//! clients those switches are most of the server's CPU. Redis pays none: its event loop runs the
//! commands of one turn, fsyncs once, then writes every reply of the turn.
//!
//! # How
//! A connection whose pending replies need an fsync puts them in its [`Outbox`], queues the
//! outbox on the [`Handoff`] with the file offset they wait for, and goes straight back to
//! reading its client. One **committer** thread (`Aof::run_committer`) loops: it writes and
//! fsyncs everything appended, then [`Handoff::deliver`]s every outbox the fsync covered:
//! a non-blocking `send` into each client's socket, as Redis's event loop writes its replies
//! after its fsync. Its own thread sleeps only while nothing is queued.
//!
//! # The rules that keep replies in order and nobody stuck
//! - While its outbox is in flight, a connection writes nothing of its own:
//!   [`Outbox::settle`] waits for the committer (a park the committer's unpark ends) before any
//!   other write, and takes back whatever the committer could not send.
//! - A `send` that the socket only partly takes (a client that stopped reading) leaves the rest
//!   in the outbox and rings the connection's doorbell; a connection with an outbox in flight
//!   sleeps on its socket *and* doorbell ([`Outbox::in_flight`] tells it to), wakes, and writes
//!   the rest itself with a blocking write, as it writes any reply. The committer never blocks
//!   on a client, so one slow reader delays nobody else.
//! - A socket error drops the bytes: the client is gone, and the connection's next read says so.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Thread};

/// Where an outbox's bytes go: the client's socket, and a way to wake its connection's thread.
pub trait Recipient: Send + Sync {
    /// Writes what the socket takes without waiting (`WouldBlock` if it takes nothing).
    fn send_now(&self, bytes: &[u8]) -> io::Result<usize>;
    /// Wakes the connection's thread from its wait on the socket and doorbell.
    fn ring(&self);
}

impl Recipient for crate::clients::ClientInfo {
    fn send_now(&self, bytes: &[u8]) -> io::Result<usize> {
        crate::sys::send_now(&self.stream, bytes)
    }

    fn ring(&self) {
        crate::clients::ClientInfo::ring(self);
    }
}

#[derive(Default)]
struct Slot {
    /// The replies handed off, or (not in flight) what the committer could not send.
    bytes: Vec<u8>,
    /// Queued on the committer, which owns `bytes` until it clears this.
    in_flight: bool,
    /// The owner is parked in [`Outbox::settle`], to be unparked when the flight ends.
    owner_waiting: bool,
}

/// One connection's replies on their way through the committer.
pub struct Outbox {
    slot: Mutex<Slot>,
    owner: Thread,
    recipient: Arc<dyn Recipient>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Outbox {
    /// An outbox for the calling thread's connection.
    pub fn new(recipient: Arc<dyn Recipient>) -> Arc<Outbox> {
        Arc::new(Outbox {
            slot: Mutex::default(),
            owner: thread::current(),
            recipient,
        })
    }

    /// Whether the committer still holds replies of this connection (which must then sleep
    /// where a ring wakes it, and write nothing before [`Outbox::settle`]).
    pub fn in_flight(&self) -> bool {
        lock(&self.slot).in_flight
    }

    /// Waits until the committer is done with this outbox, and writes what it could not send
    /// with `write_rest` (a blocking write). After it returns the connection may write again.
    pub fn settle(&self, write_rest: impl FnOnce(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut slot = lock(&self.slot);
        while slot.in_flight {
            slot.owner_waiting = true;
            drop(slot);
            thread::park();
            slot = lock(&self.slot);
        }
        slot.owner_waiting = false;
        if slot.bytes.is_empty() {
            return Ok(());
        }
        let result = write_rest(&slot.bytes);
        slot.bytes.clear();
        result
    }

    /// Moves `out` into the outbox (giving `out` the outbox's empty buffer back, so neither
    /// allocates) and marks it in flight. The outbox must be settled.
    fn load(&self, out: &mut Vec<u8>) {
        let mut slot = lock(&self.slot);
        debug_assert!(!slot.in_flight && slot.bytes.is_empty(), "settled first");
        std::mem::swap(&mut slot.bytes, out);
        slot.in_flight = true;
    }

    /// The committer's side: sends what the socket takes, keeps the rest for the owner.
    fn deliver(&self) {
        let mut slot = lock(&self.slot);
        let mut sent = 0;
        let mut stuck = false;
        while sent < slot.bytes.len() {
            match self.recipient.send_now(&slot.bytes[sent..]) {
                Ok(0) => break,
                Ok(n) => sent += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    stuck = true;
                    break;
                }
                // The client is gone: its connection's next read finds out.
                Err(_) => {
                    sent = slot.bytes.len();
                    break;
                }
            }
        }
        if stuck {
            slot.bytes.drain(..sent);
        } else {
            slot.bytes.clear();
        }
        slot.in_flight = false;
        let owner_waiting = slot.owner_waiting;
        drop(slot);
        if owner_waiting {
            self.owner.unpark();
        }
        if stuck {
            self.recipient.ring();
        }
    }
}

struct Queued {
    /// The file offset that must be durable before the replies go.
    target: u64,
    outbox: Arc<Outbox>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Queued>,
    /// The committer sleeps (and must be unparked by the next hand-off).
    parked: bool,
}

/// The queue between connections and the committer.
#[derive(Default)]
pub struct Handoff {
    queue: Mutex<Queue>,
    committer: OnceLock<Thread>,
    /// Outboxes handed off and not yet delivered.
    queued: AtomicU64,
}

impl Handoff {
    /// Whether a committer runs (without one, connections wait for their fsyncs themselves).
    pub fn is_running(&self) -> bool {
        self.committer.get().is_some()
    }

    /// Outboxes waiting for an fsync right now.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Acquire)
    }

    /// Hands `out` to the committer, to be sent once `target` is durable.
    pub fn hand_off(&self, outbox: &Arc<Outbox>, out: &mut Vec<u8>, target: u64) {
        outbox.load(out);
        self.queued.fetch_add(1, Ordering::AcqRel);
        let mut queue = lock(&self.queue);
        queue.waiting.push(Queued {
            target,
            outbox: Arc::clone(outbox),
        });
        let wake = std::mem::take(&mut queue.parked);
        drop(queue);
        if wake {
            if let Some(committer) = self.committer.get() {
                committer.unpark();
            }
        }
    }

    /// The committer's wait: returns the highest target queued, sleeping while none is. The
    /// calling thread becomes the committer.
    pub fn next_target(&self) -> u64 {
        let _ = self.committer.set(thread::current());
        loop {
            let mut queue = lock(&self.queue);
            if let Some(target) = queue.waiting.iter().map(|queued| queued.target).max() {
                return target;
            }
            queue.parked = true;
            drop(queue);
            thread::park();
        }
    }

    /// Sends the replies of every outbox whose target `durable` covers.
    pub fn deliver(&self, durable: u64) {
        let mut covered = Vec::new();
        {
            let mut queue = lock(&self.queue);
            queue.waiting.retain(|queued| {
                let served = queued.target <= durable;
                if served {
                    covered.push(Arc::clone(&queued.outbox));
                }
                !served
            });
        }
        self.queued
            .fetch_sub(covered.len() as u64, Ordering::AcqRel);
        covered.iter().for_each(|outbox| outbox.deliver());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// A socket that takes at most `room` bytes, then would block.
    #[derive(Default)]
    struct FakeSocket {
        received: Mutex<Vec<u8>>,
        room: Mutex<usize>,
        rung: AtomicBool,
    }

    impl Recipient for FakeSocket {
        fn send_now(&self, bytes: &[u8]) -> io::Result<usize> {
            let mut room = lock(&self.room);
            if *room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = bytes.len().min(*room);
            *room -= n;
            lock(&self.received).extend_from_slice(&bytes[..n]);
            Ok(n)
        }

        fn ring(&self) {
            self.rung.store(true, Ordering::Release);
        }
    }

    fn socket(room: usize) -> Arc<FakeSocket> {
        let socket = Arc::new(FakeSocket::default());
        *lock(&socket.room) = room;
        socket
    }

    #[test]
    fn replies_wait_for_their_target_then_go_out_and_the_outbox_settles_at_once() {
        let handoff = Handoff::default();
        let client = socket(1000);
        let outbox = Outbox::new(client.clone());
        let mut out = b"+OK\r\n".to_vec();
        handoff.hand_off(&outbox, &mut out, 10);
        assert!(out.is_empty() && outbox.in_flight());
        handoff.deliver(9);
        assert!(lock(&client.received).is_empty(), "not durable yet");
        handoff.deliver(10);
        assert_eq!(*lock(&client.received), b"+OK\r\n");
        assert!(!outbox.in_flight() && !client.rung.load(Ordering::Acquire));
        assert_eq!(handoff.queued(), 0);
        outbox.settle(|_| panic!("nothing left to write")).unwrap();
    }

    #[test]
    fn what_a_full_socket_does_not_take_goes_back_to_its_owner_with_a_ring() {
        let handoff = Handoff::default();
        let client = socket(3);
        let outbox = Outbox::new(client.clone());
        let mut out = b"+OK\r\n".to_vec();
        handoff.hand_off(&outbox, &mut out, 1);
        handoff.deliver(1);
        assert_eq!(*lock(&client.received), b"+OK");
        assert!(client.rung.load(Ordering::Acquire), "the owner is woken");
        let mut rest = Vec::new();
        outbox
            .settle(|bytes| {
                rest.extend_from_slice(bytes);
                Ok(())
            })
            .unwrap();
        assert_eq!(rest, b"\r\n");
        outbox.settle(|_| panic!("written once")).unwrap();
    }

    #[test]
    fn an_owner_settling_waits_for_the_committer_and_nothing_overtakes_its_replies() {
        let handoff = Arc::new(Handoff::default());
        let client = socket(usize::MAX);
        let owner = {
            let (handoff, client) = (Arc::clone(&handoff), Arc::clone(&client));
            thread::spawn(move || {
                let outbox = Outbox::new(client.clone());
                for i in 0..500u64 {
                    outbox
                        .settle(|_| panic!("the socket takes everything"))
                        .unwrap();
                    // Written by the owner itself once settled: must follow what it handed off.
                    lock(&client.received).extend_from_slice(format!("<{i}>").as_bytes());
                    let mut out = format!("[{i}]").into_bytes();
                    handoff.hand_off(&outbox, &mut out, i + 1);
                }
                outbox.settle(|_| unreachable!()).unwrap();
            })
        };
        let durable = Arc::new(AtomicU64::new(0));
        let committer = {
            let (handoff, durable) = (Arc::clone(&handoff), Arc::clone(&durable));
            thread::spawn(move || {
                while durable.load(Ordering::Acquire) < 500 {
                    let target = handoff.next_target();
                    durable.store(target, Ordering::Release);
                    handoff.deliver(target);
                }
            })
        };
        owner.join().unwrap();
        committer.join().unwrap();
        let expected: String = (0..500).map(|i| format!("<{i}>[{i}]")).collect();
        assert_eq!(
            String::from_utf8(lock(&client.received).clone()).unwrap(),
            expected
        );
    }
}
