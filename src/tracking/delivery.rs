//! How an invalidation reaches a client (Redis's `sendTrackingMessage`): framed for the client
//! that receives it — a RESP3 push, or for a RESP2 client that a tracking client redirects to, a
//! pub/sub message on `__redis__:invalidate` — and appended to that client's pub/sub outbox,
//! whose own thread writes it (`pubsub.rs`), like any published message.
//!
//! One exception, as in Redis (`tracking_pending_keys`): an invalidation for the very client
//! whose command caused it waits until that command's reply is written, so it never lands in
//! the middle of the reply (or of EXEC's). Connection threads say which client they serve
//! ([`serve_as`]); what is held for it waits in a buffer of that thread, which the connection
//! appends after the reply ([`take_deferred`]).

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use crate::clients::ClientInfo;
use crate::clock;
use crate::protocol::Reply;
use crate::pubsub::Subscriber;
use crate::server::Server;

/// The channel RESP2 clients get invalidations on (they must be subscribed to it).
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

thread_local! {
    /// The client this thread serves (connection threads only).
    static SERVING: Cell<Option<u64>> = const { Cell::new(None) };
    /// Whether that client's command is running (Redis's `fixed_time_expire` inside `call`).
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    /// Invalidations for that client, held until its reply is written.
    static DEFERRED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Called once by a connection thread: it serves client `id`.
pub fn serve_as(id: u64) {
    SERVING.with(|serving| serving.set(Some(id)));
}

/// Runs a command of this thread's client: what it changes, it changed (see
/// [`current_client`]).
pub fn running<R>(command: impl FnOnce() -> R) -> R {
    let outer = RUNNING.with(|running| running.replace(true));
    let result = command();
    RUNNING.with(|running| running.set(outer));
    result
}

/// The client whose command this thread is running, if any: the one that changed the keys a
/// write reports (Redis's `server.current_client`). Outside a command (eviction before it, the
/// table limit) changes are the server's own, as Redis signals them with no client.
pub fn current_client() -> Option<u64> {
    if RUNNING.with(Cell::get) {
        SERVING.with(Cell::get)
    } else {
        None
    }
}

/// Appends the invalidations held for this thread's client to its output, after the reply.
pub fn take_deferred(out: &mut Vec<u8>) {
    DEFERRED.with(|deferred| {
        let mut deferred = deferred.borrow_mut();
        if !deferred.is_empty() {
            out.append(&mut deferred);
        }
    });
}

/// What changed, as a message lists it.
pub enum Keys<'a> {
    One(&'a [u8]),
    Many(&'a [&'a [u8]]),
    /// Everything: the databases were flushed (a null in place of the list).
    All,
}

/// A client that tracks, and the outbox its own invalidations go to.
pub struct Recipient<'a> {
    pub info: &'a Arc<ClientInfo>,
    pub outbox: &'a Arc<Subscriber>,
}

/// Sends invalidations on behalf of one write (or of the table limit, the cron, a flush).
pub struct Sender<'a> {
    pub server: &'a Server,
    /// Messages for this client wait for its reply (see the module documentation).
    pub defer_for: Option<u64>,
    /// The reply of a blocked client being served, if `defer_for` is that client: its messages
    /// are appended to it, as Redis serves it as the current client.
    pub served_reply: Option<&'a RefCell<Vec<u8>>>,
}

impl Sender<'_> {
    /// Tells `client` that `keys` changed, at the client it redirects to if it does. A
    /// redirection to a client that has gone is marked broken, and a RESP3 client is told so
    /// with a `tracking-redir-broken` push. `outbox_of` finds the outbox of a client that tracks
    /// too; another target's is its pub/sub outbox, if it ever subscribed.
    pub fn send(
        &self,
        client: &Recipient,
        keys: &Keys,
        outbox_of: impl Fn(u64) -> Option<Arc<Subscriber>>,
    ) {
        let redirect = client.info.tracking.redirect();
        if redirect == 0 {
            let frame = frame(client.info.is_resp3(), false, keys, client.info.is_resp3());
            if let Some(frame) = frame {
                self.deliver(client.info.id, Some(Arc::clone(client.outbox)), &frame);
            }
            return;
        }
        let Some(target) = (self.server.clients.get(redirect)).filter(|c| !c.is_killed()) else {
            client.info.tracking.mark_broken_redirect();
            if client.info.is_resp3() {
                let mut bytes = Vec::new();
                let mut reply = Reply::new(&mut bytes, true);
                reply.push(2);
                reply.bulk(b"tracking-redir-broken");
                reply.integer(redirect as i64);
                self.deliver(client.info.id, Some(Arc::clone(client.outbox)), &bytes);
            }
            return;
        };
        let via_channel = target.modes.is_pubsub();
        if let Some(frame) = frame(target.is_resp3(), via_channel, keys, client.info.is_resp3()) {
            let outbox = outbox_of(redirect).or_else(|| self.server.pubsub.subscriber(redirect));
            self.deliver(redirect, outbox, &frame);
        }
    }

    fn deliver(&self, id: u64, outbox: Option<Arc<Subscriber>>, frame: &[u8]) {
        if self.defer_for == Some(id) {
            if let Some(reply) = self.served_reply {
                reply.borrow_mut().extend_from_slice(frame);
                return;
            }
            if current_client() == Some(id) {
                DEFERRED.with(|deferred| deferred.borrow_mut().extend_from_slice(frame));
                return;
            }
        }
        if let Some(outbox) = outbox {
            let limit = self.server.config.pubsub_output_limit();
            outbox.deliver_push(frame, limit, clock::now_ms());
        }
    }
}

/// An invalidation as a client receives it: a RESP3 push, or a pub/sub message for a RESP2
/// client subscribed to the channel (`via_channel`); `None` for a RESP2 client that is not, which
/// cannot be sent anything. A flush's null is the tracking client's (`null_resp3`), as Redis
/// picks it before following the redirection.
fn frame(resp3: bool, via_channel: bool, keys: &Keys, null_resp3: bool) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut reply = Reply::new(&mut bytes, resp3);
    if resp3 {
        reply.push(2);
        reply.bulk(b"invalidate");
    } else if via_channel {
        reply.push(3);
        reply.bulk(b"message");
        reply.bulk(CHANNEL);
    } else {
        return None;
    }
    match keys {
        Keys::One(key) => {
            reply.array(1);
            reply.bulk(key);
        }
        Keys::Many(keys) => {
            reply.array(keys.len());
            keys.iter().for_each(|key| reply.bulk(key));
        }
        Keys::All => reply.raw(if null_resp3 { b"_\r\n" } else { b"$-1\r\n" }),
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_and_channel_messages_are_framed_as_redis_sends_them() {
        assert_eq!(
            frame(true, false, &Keys::One(b"key"), true).unwrap(),
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n"
        );
        assert_eq!(
            frame(false, true, &Keys::Many(&[b"a", b"b"]), false).unwrap(),
            b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            frame(true, false, &Keys::All, true).unwrap(),
            b">2\r\n$10\r\ninvalidate\r\n_\r\n"
        );
        assert_eq!(
            frame(false, true, &Keys::All, false).unwrap(),
            b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
        );
        assert!(frame(false, false, &Keys::One(b"k"), false).is_none());
    }

    #[test]
    fn deferred_messages_wait_in_the_thread_until_taken() {
        DEFERRED.with(|deferred| deferred.borrow_mut().extend_from_slice(b"push"));
        let mut out = b"reply".to_vec();
        take_deferred(&mut out);
        assert_eq!(out, b"replypush");
        take_deferred(&mut out);
        assert_eq!(out, b"replypush");
    }
}
