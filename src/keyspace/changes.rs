//! What a write command changed, recorded by the [`Writer`](super::Writer) while it holds the
//! exclusive lock, for the features that must see every change in apply order:
//! - the **journal**: each change as a command to replay (the append-only file, replicas);
//! - **modified keys** (Redis's `signalModifiedKey`): `WATCH` aborts transactions on them, and
//!   clients that track them (`CLIENT TRACKING`) are told they changed;
//! - **ready keys** (Redis's `signalKeyAsReady`): a list appeared where clients may be blocked;
//! - **keyspace events** (Redis's `notifyKeyspaceEvent`): `notify-keyspace-events`.
//!
//! Recording costs nothing for a feature nobody uses: [`Switches`] says, at the moment the lock
//! is taken, whether anyone journals, watches, tracks, blocks or listens, and the writer skips
//! what is off. Subsystems flip their switch while they hold the keyspace lock (a client registers its
//! `WATCH` under the lock, for instance), so a writer never misses a consumer that registered
//! before it, and never pays for one that registers after.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use super::Bytes;
use crate::number::IntBuf;

/// Which consumers of changes exist right now. Owned by the keyspace; the subsystems that consume
/// changes keep these up to date.
#[derive(Default)]
pub struct Switches {
    /// Someone replays the journal (the append-only file is on, or a replica is attached).
    pub journal: AtomicBool,
    /// How many keys are watched by some client (`WATCH`).
    pub watched_keys: AtomicUsize,
    /// How many keys some client is blocked on (`BLPOP` and friends).
    pub blocked_keys: AtomicUsize,
    /// How many clients track keys for client-side caching (`CLIENT TRACKING on`).
    pub tracking_clients: AtomicUsize,
    /// This server is a replica: what its own clients modify is recorded, so that the keys
    /// they give a time to live can be expired by the replica itself (`own_keys`).
    pub replica_writes: AtomicBool,
    /// The event classes `notify-keyspace-events` asks for (an [`EventClass`] mask; 0 = none),
    /// plus whether keyspace and/or keyevent channels are wanted (the publisher decides).
    /// Shared with the configuration, which `CONFIG SET` changes (`Server::bind` links them).
    pub events: Arc<AtomicU32>,
}

impl Switches {
    /// Reads the switches once, for one write.
    pub fn snapshot(&self) -> Tracking {
        Tracking {
            journal: self.journal.load(Ordering::Relaxed),
            watched: self.watched_keys.load(Ordering::Relaxed) > 0,
            blocked: self.blocked_keys.load(Ordering::Relaxed) > 0,
            tracked: self.tracking_clients.load(Ordering::Relaxed) > 0,
            replica_writes: self.replica_writes.load(Ordering::Relaxed),
            events: EventClass(self.events.load(Ordering::Relaxed)).recorded(),
        }
    }
}

/// What one write records (see [`Switches`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tracking {
    pub journal: bool,
    pub watched: bool,
    pub blocked: bool,
    /// Some client tracks keys: modified keys are recorded for its invalidations.
    pub tracked: bool,
    /// A replica's write: modified keys are recorded (unless they come from its master).
    pub replica_writes: bool,
    pub events: EventClass,
}

/// A class of keyspace events: the letters of `notify-keyspace-events`, as Redis's `NOTIFY_*`
/// bits (server.h), so a mask parsed from the configuration tests events directly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventClass(pub u32);

impl EventClass {
    /// `K`: publish on `__keyspace@<db>__:<key>` (not a class of its own: where to publish).
    pub const KEYSPACE: EventClass = EventClass(1 << 0);
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: EventClass = EventClass(1 << 1);
    /// `g`: DEL, EXPIRE, RENAME... commands that work on any type.
    pub const GENERIC: EventClass = EventClass(1 << 2);
    /// `$`
    pub const STRING: EventClass = EventClass(1 << 3);
    /// `l`
    pub const LIST: EventClass = EventClass(1 << 4);
    /// `s`
    pub const SET: EventClass = EventClass(1 << 5);
    /// `h`
    pub const HASH: EventClass = EventClass(1 << 6);
    /// `z`
    pub const ZSET: EventClass = EventClass(1 << 7);
    /// `x`: a key's time to live ran out.
    pub const EXPIRED: EventClass = EventClass(1 << 8);
    /// `e`: evicted by maxmemory.
    pub const EVICTED: EventClass = EventClass(1 << 9);
    /// `t`
    pub const STREAM: EventClass = EventClass(1 << 10);
    /// `m`: a read found no key (not part of `A`).
    pub const KEY_MISS: EventClass = EventClass(1 << 11);
    /// `d`: events of modules (thredis has none; the letter is accepted as Redis accepts it).
    pub const MODULE: EventClass = EventClass(1 << 13);
    /// `n`: a key was created (not part of `A`).
    pub const NEW: EventClass = EventClass(1 << 14);
    /// `A`: every class but `m` and `n`.
    pub const ALL: EventClass = EventClass(
        EventClass::GENERIC.0
            | EventClass::STRING.0
            | EventClass::LIST.0
            | EventClass::SET.0
            | EventClass::HASH.0
            | EventClass::ZSET.0
            | EventClass::EXPIRED.0
            | EventClass::EVICTED.0
            | EventClass::STREAM.0
            | EventClass::MODULE.0,
    );

    pub fn intersects(self, other: EventClass) -> bool {
        self.0 & other.0 != 0
    }

    pub fn contains(self, other: EventClass) -> bool {
        self.0 & other.0 == other.0
    }

    /// The classes worth recording: none unless events go to the keyspace or keyevent channels
    /// (Redis publishes nothing for `notify-keyspace-events g`, without `K` or `E`).
    pub fn recorded(self) -> EventClass {
        if self.intersects(EventClass(EventClass::KEYSPACE.0 | EventClass::KEYEVENT.0)) {
            self
        } else {
            EventClass(0)
        }
    }
}

/// One keyspace event: `event` happened to `key` in database `db`.
#[derive(Debug, Clone)]
pub struct Event {
    pub class: EventClass,
    pub name: &'static str,
    pub db: usize,
    pub key: Bytes,
}

/// One journal entry: a command, RESP-encoded, that reproduces a change when replayed against
/// database `db`. Expiry times in it are absolute, as Redis propagates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub db: usize,
    pub command: Vec<u8>,
    /// Where it is replayed: everywhere, unless a script's `redis.set_repl` said otherwise.
    pub to: Destination,
}

/// The consumers a [`Record`] is for (Redis's `PROPAGATE_AOF` and `PROPAGATE_REPL` bits; a
/// command propagated to neither is not journaled at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Everywhere,
    /// The append-only file only (`redis.REPL_AOF`).
    Aof,
    /// The replicas only (`redis.REPL_REPLICA`).
    Replicas,
}

impl Record {
    /// The database of a record that needs none (`MULTI`, `EXEC`): no `SELECT` is written before
    /// it, and the next record's comes after it, inside the transaction (Redis propagates them
    /// with `dbid` -1).
    pub const ANY_DB: usize = usize::MAX;

    pub fn new<A: AsRef<[u8]>>(db: usize, args: impl ExactSizeIterator<Item = A>) -> Record {
        Record {
            db,
            command: encode_command(args),
            to: Destination::Everywhere,
        }
    }

    /// The records of `journal` that `consumer` (the AOF or the replicas) replays: all of them,
    /// borrowed, unless a script narrowed where some go.
    pub fn bound_for(journal: &[Record], consumer: Destination) -> Cow<'_, [Record]> {
        let goes = |record: &Record| record.to == Destination::Everywhere || record.to == consumer;
        if journal.iter().all(goes) {
            return Cow::Borrowed(journal);
        }
        Cow::Owned(
            journal
                .iter()
                .filter(|record| goes(record))
                .cloned()
                .collect(),
        )
    }

    /// Appends `records` to a command stream (the AOF, the replication stream), preceded by a
    /// `SELECT` whenever the database changes from `selected` (which it updates), as Redis's
    /// `feedAppendOnlyFile` and `replicationFeedSlaves` do. A record of no database (`MULTI`)
    /// takes the next one's, so the `SELECT` comes before the `MULTI`, as Redis's
    /// `propagatePendingCommands` gives `MULTI` its first command's database.
    pub fn encode_stream(records: &[Record], selected: &mut Option<usize>, out: &mut Vec<u8>) {
        for (i, record) in records.iter().enumerate() {
            let db = match record.db {
                Record::ANY_DB => records[i + 1..]
                    .iter()
                    .map(|next| next.db)
                    .find(|&db| db != Record::ANY_DB),
                db => Some(db),
            };
            if let Some(db) = db.filter(|&db| *selected != Some(db)) {
                let mut digits = IntBuf::new();
                let index = digits.format(db as i64);
                out.extend_from_slice(&encode_command([&b"SELECT"[..], index].iter()));
                *selected = Some(db);
            }
            out.extend_from_slice(&record.command);
        }
    }
}

/// `*<n>\r\n$<len>\r\n<arg>\r\n...`: a command as RESP, the form the journal keeps.
pub fn encode_command<A: AsRef<[u8]>>(args: impl ExactSizeIterator<Item = A>) -> Vec<u8> {
    // Runs for every journaled command: the lengths are formatted on the stack, not through
    // `to_string`, so the record is the only allocation.
    let mut digits = IntBuf::new();
    let mut out = Vec::with_capacity(16 * args.len());
    out.push(b'*');
    out.extend_from_slice(digits.format(args.len() as i64));
    out.extend_from_slice(b"\r\n");
    for arg in args {
        let arg = arg.as_ref();
        let len = digits.format(arg.len() as i64);
        out.reserve(1 + len.len() + 2 + arg.len() + 2);
        out.push(b'$');
        out.extend_from_slice(len);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Everything one write recorded, in the order it happened.
#[derive(Debug, Default)]
pub struct Changes {
    pub journal: Vec<Record>,
    /// (database, key) of every key whose value or time to live changed.
    pub modified: Vec<(usize, Bytes)>,
    /// How many of `modified` client-side caching was told of already (EXEC tells it of each
    /// command's as it runs, as Redis signals them).
    pub invalidated: usize,
    /// (database, key) of lists (later sorted sets and streams) that appeared or grew while
    /// someone was blocked on a key.
    pub ready: Vec<(usize, Bytes)>,
    pub events: Vec<Event>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.journal.is_empty()
            && self.modified.is_empty()
            && self.ready.is_empty()
            && self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_encoded_as_resp_arrays() {
        let args: [&[u8]; 3] = [b"SET", b"k", b""];
        assert_eq!(
            encode_command(args.iter()),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        // Lengths of several digits, and more than nine arguments.
        let long = vec![b'x'; 1234];
        let mut args: Vec<&[u8]> = vec![b"RPUSH", b"list", &long];
        args.extend(std::iter::repeat_n(&b"e"[..], 9));
        let mut expected = b"*12\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$1234\r\n".to_vec();
        expected.extend_from_slice(&long);
        expected.extend_from_slice(b"\r\n");
        for _ in 0..9 {
            expected.extend_from_slice(b"$1\r\ne\r\n");
        }
        assert_eq!(encode_command(args.iter()), expected);
    }

    #[test]
    fn switches_off_record_nothing() {
        let tracking = Switches::default().snapshot();
        assert!(!tracking.journal && !tracking.watched && !tracking.blocked);
        assert_eq!(tracking.events, EventClass(0));
    }

    #[test]
    fn each_consumer_replays_the_records_bound_for_it() {
        let record = |key: &str, to| Record {
            to,
            ..Record::new(0, ["SET", key, "1"].iter())
        };
        let everywhere = vec![record("a", Destination::Everywhere)];
        let aof = Record::bound_for(&everywhere, Destination::Aof);
        assert!(
            matches!(aof, Cow::Borrowed(_)),
            "nothing to filter, nothing copied"
        );
        let mixed = vec![
            record("a", Destination::Everywhere),
            record("c", Destination::Aof),
            record("e", Destination::Replicas),
        ];
        let (all, aof_only, replicas_only) = (&mixed[0], &mixed[1], &mixed[2]);
        let aof = Record::bound_for(&mixed, Destination::Aof);
        assert_eq!(aof.iter().collect::<Vec<_>>(), [all, aof_only]);
        let replicas = Record::bound_for(&mixed, Destination::Replicas);
        assert_eq!(replicas.iter().collect::<Vec<_>>(), [all, replicas_only]);
    }
}
