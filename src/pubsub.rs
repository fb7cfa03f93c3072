//! Pub/sub (Redis's pubsub.c): who listens to which channels, patterns and shard channels, and
//! each subscriber's bounded outbox. (Pub/sub stages 85–91; the commands are in
//! `commands/pubsub.rs`, keyspace notifications in `notify.rs`.)
//!
//! # Who writes a message to a subscriber's socket, and why
//! Not the publisher. `PUBLISH` appends the framed message to each receiver's **outbox** (bytes,
//! in order, under a mutex held for a `memcpy`) and rings the receiver's doorbell if its thread
//! sleeps. The subscriber's **own connection thread** drains the outbox into its output buffer
//! and writes it with its replies: while subscribed, it sleeps in `doorbell::wait` on its socket
//! and its doorbell instead of in `read` (`connection.rs`), and only once it found the outbox
//! empty, so a busy subscriber costs its publishers no system call at all.
//!
//! Why the subscriber's own thread, rather than the publisher writing or a writer thread per
//! subscriber (DESIGN.md §4):
//! - a publisher never touches another client's socket, so a subscriber that stops reading can
//!   block nobody but its own thread, which has nothing else to do;
//! - one thread writes each socket, so messages and replies never interleave mid-frame and need
//!   no lock around the socket; a message published before a command's reply is complete reaches
//!   the client before that reply, as in Redis (a client publishing to itself gets the message,
//!   then PUBLISH's count);
//! - it costs no extra thread and no extra file descriptor beyond the doorbell.
//!
//! # Bounded
//! Each delivery checks `client-output-buffer-limit pubsub` (32mb 8mb 60 by default) against
//! the outbox: past the hard limit, or past the soft limit for longer than its seconds, the
//! outbox is dropped, the client is killed with Redis's log line, and its thread exits. The
//! outbox holds what its thread has not taken yet; what it took and is still writing is at most
//! one outbox's worth, so a subscriber costs at most about twice the hard limit.
//!
//! # Order and locks
//! One publisher's messages reach a subscriber in the order they were published: each is
//! appended whole, in turn. (Un)subscribe confirmations go to the same outbox while the
//! registry's write lock is held, and publishers hold its read lock while they deliver, so no
//! message published after a SUBSCRIBE precedes its confirmation and every message published
//! before an UNSUBSCRIBE precedes its confirmation.
//!
//! Lock order: keyspace (notifications are published under it) → registry → a subscriber's
//! subscriptions → its outbox. Nothing here ever takes the keyspace lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clients::ClientInfo;
use crate::config::OutputLimit;
use crate::keyspace::Bytes;
use crate::protocol::Reply;
use crate::{clock, glob};

/// What a client subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `SUBSCRIBE`, `PUBLISH`.
    Channel,
    /// `PSUBSCRIBE`: a glob pattern over channel names.
    Pattern,
    /// `SSUBSCRIBE`, `SPUBLISH`: Redis 7's shard channels, a namespace of their own that
    /// patterns and keyspace notifications never reach.
    Shard,
}

impl Kind {
    pub fn index(self) -> usize {
        self as usize
    }

    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// The server's registry of subscriptions.
#[derive(Default)]
pub struct PubSub {
    registry: RwLock<Registry>,
}

/// Receivers, each list in subscription order.
type Receivers = Vec<Arc<Subscriber>>;

#[derive(Default)]
struct Registry {
    channels: HashMap<Bytes, Receivers>,
    /// Every publish matches the channel against each pattern; a list keeps them in
    /// subscription order, so one message reaches a client's patterns in a predictable order.
    patterns: Vec<(Bytes, Receivers)>,
    shard_channels: HashMap<Bytes, Receivers>,
    /// Every client that has subscribed to something, by id, for the cleanup when it leaves.
    clients: HashMap<u64, Arc<Subscriber>>,
}

impl Registry {
    /// The channels `PUBLISH` (or, for [`Kind::Shard`], `SPUBLISH`) delivers to.
    fn channels(&self, kind: Kind) -> &HashMap<Bytes, Receivers> {
        match kind {
            Kind::Shard => &self.shard_channels,
            _ => &self.channels,
        }
    }

    fn receivers_mut(&mut self, kind: Kind, name: &[u8]) -> Option<&mut Receivers> {
        match kind {
            Kind::Channel => self.channels.get_mut(name),
            Kind::Shard => self.shard_channels.get_mut(name),
            Kind::Pattern => self
                .patterns
                .iter_mut()
                .find(|(pattern, _)| pattern.as_slice() == name)
                .map(|(_, receivers)| receivers),
        }
    }

    fn add(&mut self, kind: Kind, name: &[u8], subscriber: &Arc<Subscriber>) {
        if let Some(receivers) = self.receivers_mut(kind, name) {
            receivers.push(Arc::clone(subscriber));
            return;
        }
        let receivers = vec![Arc::clone(subscriber)];
        match kind {
            Kind::Channel => drop(self.channels.insert(Bytes::new(name), receivers)),
            Kind::Shard => drop(self.shard_channels.insert(Bytes::new(name), receivers)),
            Kind::Pattern => self.patterns.push((Bytes::new(name), receivers)),
        }
    }

    /// Removes `id` from `name`'s receivers, and `name` itself once nobody listens to it (so
    /// that abandoned channels cost nothing, as in Redis).
    fn remove(&mut self, kind: Kind, name: &[u8], id: u64) {
        let Some(receivers) = self.receivers_mut(kind, name) else {
            return;
        };
        receivers.retain(|receiver| receiver.info.id != id);
        if !receivers.is_empty() {
            return;
        }
        match kind {
            Kind::Channel => drop(self.channels.remove(name)),
            Kind::Shard => drop(self.shard_channels.remove(name)),
            Kind::Pattern => self
                .patterns
                .retain(|(pattern, _)| pattern.as_slice() != name),
        }
    }
}

/// How many channels, patterns and shard channels have subscribers (INFO's `pubsub_channels`,
/// `pubsub_patterns`, `pubsubshard_channels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub channels: usize,
    pub patterns: usize,
    pub shard_channels: usize,
}

impl PubSub {
    fn read(&self) -> RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Registry> {
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Subscribes to each of `names` (a name given twice counts once) and confirms each, in
    /// order, through the subscriber's outbox.
    pub fn subscribe<'n>(
        &self,
        subscriber: &Arc<Subscriber>,
        kind: Kind,
        names: impl Iterator<Item = &'n [u8]>,
        resp3: bool,
    ) {
        let mut registry = self.write();
        registry
            .clients
            .entry(subscriber.info.id)
            .or_insert_with(|| Arc::clone(subscriber));
        let mut subscriptions = subscriber.subscriptions();
        for name in names {
            if subscriptions.add(kind, name) {
                registry.add(kind, name, subscriber);
            }
            let count = subscriptions.reported_count(kind);
            subscriber.confirm(kind.subscribe_word(), Some(name), count, resp3);
        }
        subscriber
            .info
            .modes
            .set_subscriptions(subscriptions.counts());
    }

    /// Unsubscribes from each of `names`, or from everything of `kind` when `names` is `None`
    /// (in subscription order). Each is confirmed when `confirm` is set, whether or not the
    /// client was subscribed; with nothing to unsubscribe from, one confirmation with a null
    /// name says so (Redis's `pubsubUnsubscribeAllChannels`).
    pub fn unsubscribe(
        &self,
        subscriber: &Subscriber,
        kind: Kind,
        names: Option<Vec<&[u8]>>,
        confirm: bool,
        resp3: bool,
    ) {
        let mut registry = self.write();
        let mut subscriptions = subscriber.subscriptions();
        let all = names.is_none();
        let names: Vec<Bytes> = match names {
            Some(names) => names.into_iter().map(Bytes::new).collect(),
            None => subscriptions.all(kind),
        };
        for name in &names {
            if subscriptions.remove(kind, name) {
                registry.remove(kind, name, subscriber.info.id);
            }
            if confirm {
                let count = subscriptions.reported_count(kind);
                subscriber.confirm(kind.unsubscribe_word(), Some(name), count, resp3);
            }
        }
        if confirm && all && names.is_empty() {
            let count = subscriptions.reported_count(kind);
            subscriber.confirm(kind.unsubscribe_word(), None, count, resp3);
        }
        subscriber
            .info
            .modes
            .set_subscriptions(subscriptions.counts());
    }

    /// Unsubscribes a client from everything without a word (`RESET`).
    pub fn unsubscribe_all(&self, subscriber: &Subscriber) {
        for kind in [Kind::Channel, Kind::Shard, Kind::Pattern] {
            self.unsubscribe(subscriber, kind, None, false, false);
        }
    }

    /// Drops everything client `id` subscribed to: its connection has ended.
    pub fn forget(&self, id: u64) {
        let Some(subscriber) = self.read().clients.get(&id).cloned() else {
            return;
        };
        self.unsubscribe_all(&subscriber);
        subscriber.outbox().close();
        self.write().clients.remove(&id);
    }

    /// Delivers `message` to the receivers of `channel` (and, unless it is a shard channel, to
    /// those of every matching pattern). Returns how many deliveries that made, as `PUBLISH`
    /// replies: a client that listens through a channel and two patterns counts three times.
    pub fn publish(&self, kind: Kind, channel: &[u8], message: &[u8], limit: OutputLimit) -> usize {
        let registry = self.read();
        let now_ms = clock::now_ms();
        let mut receivers = 0;
        let word: &[u8] = if kind == Kind::Shard {
            b"smessage"
        } else {
            b"message"
        };
        if let Some(subscribers) = registry.channels(kind).get(channel) {
            let frame = Frame::new(&[word, channel, message]);
            for subscriber in subscribers {
                subscriber.deliver(&frame, limit, now_ms);
            }
            receivers += subscribers.len();
        }
        if kind == Kind::Shard {
            return receivers;
        }
        for (pattern, subscribers) in &registry.patterns {
            if glob::matches(pattern, channel, false) {
                let frame = Frame::new(&[b"pmessage", pattern, channel, message]);
                for subscriber in subscribers {
                    subscriber.deliver(&frame, limit, now_ms);
                }
                receivers += subscribers.len();
            }
        }
        receivers
    }

    /// The outbox of client `id`, if it has one (a client-side caching redirection sends to
    /// it).
    /// The cron's check of every outbox against `limit` (Redis's `clientsCron`): a soft limit
    /// passed long enough ago closes a client even when nothing more is published to it.
    pub fn enforce_output_limit(&self, limit: OutputLimit, now_ms: i64) {
        let subscribers: Vec<Arc<Subscriber>> = (self.registry.read())
            .unwrap_or_else(PoisonError::into_inner)
            .clients
            .values()
            .cloned()
            .collect();
        for subscriber in subscribers {
            let mut outbox = subscriber.outbox();
            subscriber.close_if_over(&mut outbox, limit, now_ms);
        }
    }

    pub fn subscriber(&self, id: u64) -> Option<Arc<Subscriber>> {
        self.read().clients.get(&id).cloned()
    }

    /// The outbox of `info`'s client, made (with its doorbell) if it has none yet: by its first
    /// pub/sub command, or by a client that redirects its invalidations to it. Dropped with the
    /// connection ([`PubSub::forget`]).
    pub fn outbox_for(&self, info: &Arc<ClientInfo>) -> std::io::Result<Arc<Subscriber>> {
        info.doorbell()?;
        let mut registry = self.write();
        let subscriber = registry
            .clients
            .entry(info.id)
            .or_insert_with(|| Arc::new(Subscriber::new(Arc::clone(info))));
        Ok(Arc::clone(subscriber))
    }

    /// The channels (or shard channels) with subscribers, matching `pattern` if one is given
    /// (`PUBSUB CHANNELS`), in no particular order.
    /// What client `id` is subscribed to, by kind ([`Kind::index`]), if it ever subscribed.
    pub fn subscriptions_of(&self, id: u64) -> Option<[Vec<Bytes>; 3]> {
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        let subscriber = registry.clients.get(&id)?;
        let subscriptions = subscriber.subscriptions();
        Some([Kind::Channel, Kind::Pattern, Kind::Shard].map(|kind| subscriptions.all(kind)))
    }

    pub fn channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.read()
            .channels(kind)
            .keys()
            .filter(|name| pattern.is_none_or(|p| glob::matches(p, name, false)))
            .cloned()
            .collect()
    }

    /// How many clients listen to `channel` itself, patterns aside (`PUBSUB NUMSUB`).
    pub fn subscriber_count(&self, kind: Kind, channel: &[u8]) -> usize {
        self.read().channels(kind).get(channel).map_or(0, Vec::len)
    }

    pub fn counts(&self) -> Counts {
        let registry = self.read();
        Counts {
            channels: registry.channels.len(),
            patterns: registry.patterns.len(),
            shard_channels: registry.shard_channels.len(),
        }
    }
}

/// A message framed once for every receiver: RESP2 (`*n`) and RESP3 (`>n`) differ only in the
/// first byte, which [`Subscriber::deliver`] picks per receiver.
struct Frame(Vec<u8>);

impl Frame {
    fn new(parts: &[&[u8]]) -> Frame {
        let mut bytes = Vec::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
        let mut reply = Reply::new(&mut bytes, false);
        reply.push(parts.len());
        for part in parts {
            reply.bulk(part);
        }
        Frame(bytes)
    }
}

/// One client's side of pub/sub: what it listens to and the messages waiting for it. Made by
/// its first (un)subscribe command and kept for the rest of the connection.
pub struct Subscriber {
    info: Arc<ClientInfo>,
    /// Changed only under the registry's write lock.
    subscriptions: Mutex<Subscriptions>,
    outbox: Mutex<Outbox>,
}

#[derive(Default)]
struct Outbox {
    bytes: Vec<u8>,
    /// When the outbox went past the soft limit, if it is past it (Unix ms).
    over_soft_limit_since: Option<i64>,
    /// The client was disconnected: deliver nothing more.
    closed: bool,
    /// Its thread found the outbox empty and went to sleep on its doorbell: the next delivery
    /// rings it. While the thread is awake it looks at the outbox before it sleeps again, so
    /// ringing then would only cost a system call and a useless wake-up.
    sleeping: bool,
}

impl Outbox {
    fn close(&mut self) {
        self.closed = true;
        self.bytes = Vec::new();
    }
}

/// The subscriptions of one client: for each kind, name → the order it was subscribed in.
#[derive(Default)]
struct Subscriptions {
    next: u64,
    names: [HashMap<Bytes, u64>; 3],
}

impl Subscriptions {
    /// Whether `name` was new.
    fn add(&mut self, kind: Kind, name: &[u8]) -> bool {
        let names = &mut self.names[kind.index()];
        if names.contains_key(name) {
            return false;
        }
        self.next += 1;
        names.insert(Bytes::new(name), self.next);
        true
    }

    /// Whether it was subscribed.
    fn remove(&mut self, kind: Kind, name: &[u8]) -> bool {
        self.names[kind.index()].remove(name).is_some()
    }

    fn all(&self, kind: Kind) -> Vec<Bytes> {
        let mut names: Vec<(&Bytes, &u64)> = self.names[kind.index()].iter().collect();
        names.sort_unstable_by_key(|(_, order)| **order);
        names.into_iter().map(|(name, _)| name.clone()).collect()
    }

    fn counts(&self) -> [usize; 3] {
        [0, 1, 2].map(|i| self.names[i].len())
    }

    /// The count a confirmation reports: channels and patterns together, shard channels alone
    /// (Redis's `clientSubscriptionsCount` and `clientShardSubscriptionsCount`).
    fn reported_count(&self, kind: Kind) -> usize {
        let [channels, patterns, shard] = self.counts();
        match kind {
            Kind::Shard => shard,
            _ => channels + patterns,
        }
    }
}

impl Subscriber {
    /// A subscriber for the client `info`, whose doorbell must exist already: a ring that found
    /// no doorbell would be lost.
    pub fn new(info: Arc<ClientInfo>) -> Subscriber {
        Subscriber {
            info,
            subscriptions: Mutex::default(),
            outbox: Mutex::default(),
        }
    }

    fn subscriptions(&self) -> MutexGuard<'_, Subscriptions> {
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn outbox(&self) -> MutexGuard<'_, Outbox> {
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the client listens to anything: its thread must then wait for messages too.
    pub fn is_listening(&self) -> bool {
        self.info.modes.is_pubsub()
    }

    /// Whether messages may come for the client while it says nothing: it listens, it tracks
    /// keys and is told of their changes (`tracking.rs`), or it monitors (`monitor.rs`).
    pub fn expects_messages(&self) -> bool {
        self.is_listening()
            || self.info.tracking.is_on()
            || self.info.tracking.is_redirect_target()
            || self.info.modes.is_monitor()
    }

    /// The client this outbox belongs to.
    pub fn info(&self) -> &Arc<ClientInfo> {
        &self.info
    }

    /// Appends a confirmation (`subscribe`, `punsubscribe`...) to the outbox. The client's own
    /// thread does this, so it needs no ring: the thread drains the outbox before it waits.
    fn confirm(&self, word: &[u8], name: Option<&[u8]>, count: usize, resp3: bool) {
        let mut outbox = self.outbox();
        let mut reply = Reply::new(&mut outbox.bytes, resp3);
        reply.push(3);
        reply.bulk(word);
        match name {
            Some(name) => reply.bulk(name),
            None => reply.null(),
        }
        reply.integer(count as i64);
    }

    /// Appends a published message, unless that takes the outbox past the limit, in which case
    /// the client is disconnected instead.
    fn deliver(&self, frame: &Frame, limit: OutputLimit, now_ms: i64) {
        let first = if self.info.is_resp3() { b'>' } else { b'*' };
        self.append(first, &frame.0[1..], limit, now_ms);
    }

    /// Appends a message framed already for this client (a client-side caching invalidation,
    /// `tracking.rs`), as [`Subscriber::deliver`] appends a published one.
    pub fn deliver_push(&self, framed: &[u8], limit: OutputLimit, now_ms: i64) {
        if let Some((&first, rest)) = framed.split_first() {
            self.append(first, rest, limit, now_ms);
        }
    }

    fn append(&self, first: u8, rest: &[u8], limit: OutputLimit, now_ms: i64) {
        let mut outbox = self.outbox();
        if outbox.closed {
            return;
        }
        outbox.bytes.push(first);
        outbox.bytes.extend_from_slice(rest);
        let used = outbox.bytes.len();
        self.info.set_pending_output(used);
        if self.close_if_over(&mut outbox, limit, now_ms) {
            return;
        }
        let ring = std::mem::take(&mut outbox.sleeping);
        drop(outbox);
        if ring {
            self.info.ring();
        }
    }

    /// Closes the client if its output (the outbox, and what its thread took from it but could
    /// not write yet) is past `limit` (Redis's `closeClientOnOutputBufferLimitReached`).
    fn close_if_over(&self, outbox: &mut Outbox, limit: OutputLimit, now_ms: i64) -> bool {
        let used = outbox.bytes.len() + self.info.memory.output();
        if outbox.closed || !limit.exceeded(used, &mut outbox.over_soft_limit_since, now_ms) {
            return false;
        }
        outbox.close();
        crate::clients::eviction::close_for_output_limit(&self.info, now_ms);
        true
    }

    /// Called by the client's thread before it sleeps on its doorbell: whether it may (nothing
    /// is waiting for it). From here until [`Subscriber::woke`], deliveries ring the doorbell.
    pub fn may_sleep(&self) -> bool {
        let mut outbox = self.outbox();
        outbox.sleeping = outbox.bytes.is_empty();
        outbox.sleeping
    }

    /// Whether messages wait in the outbox.
    pub fn has_messages(&self) -> bool {
        !self.outbox().bytes.is_empty()
    }

    /// Called by the client's thread once it is awake again.
    pub fn woke(&self) {
        self.outbox().sleeping = false;
    }

    /// Moves whatever waits in the outbox into `out`, the connection's output, at position
    /// `at`: before the reply of the command that just ran, where Redis, which writes messages
    /// to the client's buffer as they are published, has them (a client publishing to itself
    /// gets the message, then PUBLISH's reply).
    pub fn drain_into(&self, out: &mut Vec<u8>, at: usize) {
        self.drain(|pending| {
            if out.is_empty() {
                std::mem::swap(pending, out);
            } else {
                out.splice(at..at, pending.drain(..));
            }
        });
    }

    /// [`Subscriber::drain_into`] for a command that EXEC ran: into EXEC's reply, at `at`.
    pub fn drain_into_reply(&self, reply: &mut Reply, at: usize) {
        self.drain(|pending| {
            reply.insert(at, pending);
            pending.clear();
        });
    }

    fn drain(&self, take: impl FnOnce(&mut Vec<u8>)) {
        let mut outbox = self.outbox();
        if outbox.bytes.is_empty() {
            return;
        }
        take(&mut outbox.bytes);
        self.info.set_pending_output(outbox.bytes.len());
        // A burst must not pin its memory to an idle subscriber.
        if outbox.bytes.capacity() > 64 * 1024 {
            outbox.bytes = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_framed_once_for_both_protocols() {
        let frame = Frame::new(&[b"message", b"ch", b"hi"]);
        assert_eq!(frame.0, b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    }

    #[test]
    fn subscriptions_keep_their_order_and_report_redis_counts() {
        let mut subscriptions = Subscriptions::default();
        assert!(subscriptions.add(Kind::Channel, b"b"));
        assert!(subscriptions.add(Kind::Channel, b"a"));
        assert!(!subscriptions.add(Kind::Channel, b"b"));
        assert!(subscriptions.add(Kind::Pattern, b"p*"));
        assert!(subscriptions.add(Kind::Shard, b"s"));
        assert_eq!(
            subscriptions.all(Kind::Channel),
            [Bytes::new(b"b"), Bytes::new(b"a")]
        );
        assert_eq!(subscriptions.reported_count(Kind::Pattern), 3);
        assert_eq!(subscriptions.reported_count(Kind::Shard), 1);
        assert!(subscriptions.remove(Kind::Channel, b"b"));
        assert!(!subscriptions.remove(Kind::Channel, b"b"));
        assert_eq!(subscriptions.counts(), [1, 1, 1]);
    }
}
