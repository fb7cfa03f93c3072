//! Replies handed off to the committer with `appendfsync always`, so a connection never sleeps
//! waiting for an fsync.
//!
//! # Why
//! A reply to a write must not leave before the write is on disk. Parking the connection's
//! thread until the fsync ends costs, per write, a park, an unpark (a futex each) and two more
//! context switches than a reply that goes out at once, and on a machine with fewer cores than
//! clients that CPU is what the clients wait for. Redis pays none: its event loop runs the
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
//!   [`Outbox::settle`] waits for the flight to end (a park that an unpark ends) before any
//!   other write. Meanwhile it may read and run its client's next commands.
//! - A `send` that the socket only partly takes (a client that stopped reading) must not hold
//!   the committer up, and the connection's thread may be asleep in a plain blocking `read` that
//!   nothing but its client can end. So the rest goes to a short-lived thread that writes it
//!   with a blocking write, exactly what the connection would have done itself, and ends the
//!   flight when done. That happens only to clients that let megabytes of replies pile up; the
//!   common path keeps a connection's sleep a single `read`, with no `poll` and no doorbell.
//! - A socket error drops the bytes: the client is gone, and the connection's next read says so.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Thread};

/// Where an outbox's bytes go: the client's socket.
pub trait Recipient: Send + Sync + 'static {
    /// Writes what the socket takes without waiting (`WouldBlock` if it takes nothing).
    fn send_now(&self, bytes: &[u8]) -> io::Result<usize>;
    /// Writes all of `bytes`, waiting for the client to make room.
    fn send_all(&self, bytes: &[u8]) -> io::Result<()>;
    /// Closes the connection (when no thread can be had to finish a send).
    fn abandon(&self);
}

impl Recipient for crate::clients::ClientInfo {
    fn send_now(&self, bytes: &[u8]) -> io::Result<usize> {
        crate::sys::send_now(&self.stream, bytes)
    }

    fn send_all(&self, bytes: &[u8]) -> io::Result<()> {
        use std::io::Write;
        (&self.stream).write_all(bytes)
    }

    fn abandon(&self) {
        self.kill();
    }
}

#[derive(Default)]
struct Slot {
    /// The replies handed off (empty, keeping its capacity, once sent).
    bytes: Vec<u8>,
    /// Queued on the committer, or being finished: the connection writes nothing until it ends.
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

    /// Whether replies of this connection are still on their way (it must write nothing of its
    /// own before [`Outbox::settle`]).
    pub fn in_flight(&self) -> bool {
        lock(&self.slot).in_flight
    }

    /// Waits until the replies handed off are out. After it returns the connection may write.
    pub fn settle(&self) {
        let mut slot = lock(&self.slot);
        while slot.in_flight {
            slot.owner_waiting = true;
            drop(slot);
            thread::park();
            slot = lock(&self.slot);
        }
        slot.owner_waiting = false;
    }

    /// Moves `out` into the outbox (giving `out` the outbox's empty buffer back, so neither
    /// allocates) and marks it in flight. The outbox must be settled.
    fn load(&self, out: &mut Vec<u8>) {
        let mut slot = lock(&self.slot);
        debug_assert!(!slot.in_flight && slot.bytes.is_empty(), "settled first");
        std::mem::swap(&mut slot.bytes, out);
        slot.in_flight = true;
    }

    /// The committer's side: sends what the socket takes now; a thread of its own finishes.
    fn deliver(self: &Arc<Self>) {
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
            let rest = std::mem::take(&mut slot.bytes);
            drop(slot);
            self.finish_elsewhere(rest);
        } else {
            slot.bytes.clear();
            drop(slot);
            self.land(None);
        }
    }

    /// Writes `rest` on a thread of its own, which may wait as long as the client takes.
    fn finish_elsewhere(self: &Arc<Self>, rest: Vec<u8>) {
        let outbox = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("reply-rest".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                // An error means the client is gone; its connection's next read finds out.
                let _ = outbox.recipient.send_all(&rest);
                outbox.land(Some(rest));
            });
        if spawned.is_err() {
            // No thread to wait on the client, and nobody else may: drop it, as Redis drops a
            // client over its output buffer limit.
            crate::log!(
                Warning,
                "Closing a client whose replies cannot be sent: no thread to send them"
            );
            self.recipient.abandon();
            self.land(None);
        }
    }

    /// Ends the flight (giving back the buffer to reuse, emptied) and wakes a waiting owner.
    fn land(&self, buffer: Option<Vec<u8>>) {
        let mut slot = lock(&self.slot);
        if let Some(mut buffer) = buffer {
            buffer.clear();
            slot.bytes = buffer;
        }
        slot.in_flight = false;
        let owner_waiting = slot.owner_waiting;
        drop(slot);
        if owner_waiting {
            self.owner.unpark();
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
}

impl Handoff {
    /// Whether a committer runs (without one, connections wait for their fsyncs themselves).
    pub fn is_running(&self) -> bool {
        self.committer.get().is_some()
    }

    /// Hands `out` to the committer, to be sent once `target` is durable.
    pub fn hand_off(&self, outbox: &Arc<Outbox>, out: &mut Vec<u8>, target: u64) {
        outbox.load(out);
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
        covered.iter().for_each(|outbox| outbox.deliver());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    /// A socket that takes at most `room` bytes without waiting; a blocking send waits until
    /// `reading` is set.
    #[derive(Default)]
    struct FakeSocket {
        received: Mutex<Vec<u8>>,
        room: Mutex<usize>,
        reading: AtomicBool,
        abandoned: AtomicBool,
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

        fn send_all(&self, bytes: &[u8]) -> io::Result<()> {
            while !self.reading.load(Ordering::Acquire) {
                thread::sleep(std::time::Duration::from_millis(1));
            }
            lock(&self.received).extend_from_slice(bytes);
            Ok(())
        }

        fn abandon(&self) {
            self.abandoned.store(true, Ordering::Release);
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
        assert!(!outbox.in_flight());
        assert!(lock(&handoff.queue).waiting.is_empty());
        outbox.settle();
    }

    #[test]
    fn what_a_full_socket_does_not_take_is_finished_without_holding_the_committer() {
        let handoff = Handoff::default();
        let client = socket(3);
        let outbox = Outbox::new(client.clone());
        let mut out = b"+OK\r\n".to_vec();
        handoff.hand_off(&outbox, &mut out, 1);
        // Returns although the client reads nothing more: the rest waits elsewhere.
        handoff.deliver(1);
        assert_eq!(*lock(&client.received), b"+OK");
        assert!(outbox.in_flight(), "the owner may not write yet");
        client.reading.store(true, Ordering::Release);
        outbox.settle();
        assert_eq!(*lock(&client.received), b"+OK\r\n");
        assert!(!client.abandoned.load(Ordering::Acquire));
    }

    #[test]
    fn an_owner_settling_waits_for_the_committer_and_nothing_overtakes_its_replies() {
        let handoff = Arc::new(Handoff::default());
        // The socket takes the first 1000 bytes at once; later replies are finished on threads
        // of their own, and must still come in order.
        let client = socket(1000);
        client.reading.store(true, Ordering::Release);
        let owner = {
            let (handoff, client) = (Arc::clone(&handoff), Arc::clone(&client));
            thread::spawn(move || {
                let outbox = Outbox::new(client.clone());
                for i in 0..500u64 {
                    outbox.settle();
                    // Written by the owner itself once settled: must follow what it handed off.
                    lock(&client.received).extend_from_slice(format!("<{i}>").as_bytes());
                    let mut out = format!("[{i}]").into_bytes();
                    handoff.hand_off(&outbox, &mut out, i + 1);
                }
                outbox.settle();
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
