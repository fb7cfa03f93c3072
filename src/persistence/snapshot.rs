//! A point-in-time view of the dataset that a save writes while clients keep writing
//! (DESIGN.md §6): what `BGSAVE`, `SAVE` and an AOF rewrite serialise.
//!
//! # How: copy-on-write by shard
//! Redis forks, and the kernel copies each memory page a writer touches while the child saves.
//! thredis has no fork, but its databases are already cut into 1024 shards, and every change to
//! a shard goes through one function (`Db::shard_mut`). So:
//! 1. **Start** ([`Snapshot::start`]), under a keyspace lock (shared is enough: no writer runs):
//!    attach a hook ([`DbSnapshot`]) to every non-empty database and note its size. This is the
//!    snapshot's moment; it costs a few allocations, not a copy.
//! 2. **Write** ([`Snapshot::write`]): the saver walks the shards in order. Holding the shared
//!    lock for a millisecond or so at a time, it serialises the next shards straight from the
//!    live data, marking each done; then it releases the lock and writes the bytes out, so no
//!    lock is held across file I/O.
//! 3. **Meanwhile**, a writer about to change a shard the saver has not reached yet makes the
//!    hook serialise that shard first, as it is: the copy *is* the shard's part of the file, the
//!    smallest faithful copy there is. The saver uses it when it gets there. A flushed database
//!    is handed over whole (`Db::release_to_snapshots`), without copying; `SWAPDB` needs nothing,
//!    because hooks travel with the data.
//!
//! # What it costs
//! With no writes, nothing: no copy, and writers are never paused for more than one batch of
//! shards. With writes, each shard written during the save is serialised once more, on the
//! writer's thread, and kept until the saver passes it: extra memory is at most the serialised
//! size of the shards written during the save (`current_cow_size` and `rdb_last_cow_size` in
//! INFO report exactly that), and a writer's latency grows by one shard's serialisation (about a
//! thousandth of the database) the first time it touches a shard.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::aof::rewrite::encode_key;
use super::rdb::SavedAccess;
use super::rdb::save::encode_record;
use crate::keyspace::{Databases, Db, SHARDS, ShardEntries, SnapshotHook};

/// How the snapshot is serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RDB records (`compress`: `rdbcompression`; `access`: what `maxmemory-policy` keeps of
    /// each key's accesses).
    Rdb { compress: bool, access: SavedAccess },
    /// Commands that rebuild the data (an AOF base with `aof-use-rdb-preamble no`).
    Aof,
}

/// Where the saver puts what it serialises.
pub trait Sink {
    /// A database begins: `keys` keys, `volatile` of them with a TTL, when the snapshot began.
    fn database(&mut self, index: usize, keys: usize, volatile: usize) -> io::Result<()>;
    fn write(&mut self, bytes: &[u8]) -> io::Result<()>;
}

/// Runs its argument with the live databases under a keyspace lock: `keyspace.read()` for a
/// background save, or the guard the caller already holds.
pub type WithDatabases<'a> = dyn FnMut(&mut dyn FnMut(&Databases)) + 'a;

/// How long the saver holds the shared lock at a time, and how much it serialises per hold.
const BATCH_TIME: Duration = Duration::from_millis(1);
const BATCH_BYTES: usize = 1 << 20;

/// Counters INFO reports while a save runs.
#[derive(Default)]
pub struct Progress {
    /// Copies made for writers and not yet written out, in bytes.
    pub cow_bytes: AtomicU64,
    pub cow_peak: AtomicU64,
    pub keys_done: AtomicU64,
    aborted: AtomicBool,
}

impl Progress {
    /// Makes the save this counts stop at its next batch (see [`Snapshot::abort`]).
    pub fn abort(&self) {
        self.aborted.store(true, Ordering::Relaxed);
    }

    fn add_cow(&self, bytes: u64) {
        let now = self.cow_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.cow_peak.fetch_max(now, Ordering::Relaxed);
    }
}

/// One database's part of a snapshot: the hook its writers call.
pub struct DbSnapshot {
    index: usize,
    keys: usize,
    volatile: usize,
    format: Format,
    /// Per shard: [`PENDING`], [`COPIED`] (a writer kept its bytes in `copies`) or [`SAVED`].
    states: Vec<AtomicU8>,
    /// What writers kept of the shards they changed.
    copies: Mutex<Vec<Option<Copy>>>,
    /// The database's contents, if it was flushed before the saver finished with it.
    adopted: Mutex<Option<Arc<Db>>>,
    progress: Arc<Progress>,
}

/// A shard as it was, serialised by a writer about to change it.
struct Copy {
    keys: u64,
    bytes: Vec<u8>,
}

const PENDING: u8 = 0;
const COPIED: u8 = 1;
const SAVED: u8 = 2;

impl SnapshotHook for DbSnapshot {
    fn before_change(&self, index: usize, entries: ShardEntries<'_>) {
        // States change only under the keyspace lock (writers exclusive, the saver shared), so
        // relaxed loads and stores are ordered by the lock itself.
        if self.states[index].load(Ordering::Relaxed) != PENDING {
            return;
        }
        let keys = entries.len() as u64;
        let mut bytes = Vec::new();
        encode_shard(&mut bytes, entries, self.format);
        self.progress.add_cow(bytes.len() as u64);
        lock(&self.copies)[index] = Some(Copy { keys, bytes });
        self.states[index].store(COPIED, Ordering::Relaxed);
    }

    fn adopt(&self, frozen: Arc<Db>) {
        *lock(&self.adopted) = Some(frozen);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serialises every key of a shard.
fn encode_shard(out: &mut Vec<u8>, entries: ShardEntries<'_>, format: Format) {
    let now_ms = crate::clock::now_ms();
    for (key, entry, expires) in entries {
        match format {
            Format::Rdb { compress, access } => {
                let stored = (expires, access.hints(entry, now_ms));
                encode_record(out, key, entry.value(), stored, compress)
            }
            Format::Aof => encode_key(out, key, entry.value(), expires),
        }
    }
}

/// A point-in-time view being written (see the module documentation).
pub struct Snapshot {
    dbs: Vec<Arc<DbSnapshot>>,
    pub keys_total: u64,
    /// `rdb_changes_since_last_save` at the snapshot's moment: a successful save subtracts it.
    pub dirty_at_start: u64,
    pub progress: Arc<Progress>,
    /// `rdb-key-save-delay`: how long the writing waits after each key, a test hook that makes
    /// a save last. Waited out with no lock held, after each batch (Redis's forked child
    /// sleeps per key without stopping the server either).
    pub key_delay: Duration,
    /// The code of each function library, taken by the caller under the same lock (FUNCTION
    /// LOAD writes under the exclusive one): saved before the databases.
    pub libraries: Vec<Vec<u8>>,
    /// The replication history the data stands for, taken by the caller under the same lock:
    /// saved in an RDB file's header.
    pub replication: Option<super::rdb::ReplicationInfo>,
}

impl Snapshot {
    /// Takes the snapshot: the caller holds a keyspace lock (shared or exclusive), and the
    /// snapshot is the data as of now.
    pub fn start(databases: &Databases, format: Format) -> Snapshot {
        let progress = Arc::new(Progress::default());
        let mut dbs = Vec::new();
        for (index, db) in databases.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            let snapshot = Arc::new(DbSnapshot {
                index,
                keys: db.len(),
                volatile: db.volatile_len(),
                format,
                states: (0..SHARDS).map(|_| AtomicU8::new(PENDING)).collect(),
                copies: Mutex::new((0..SHARDS).map(|_| None).collect()),
                adopted: Mutex::new(None),
                progress: Arc::clone(&progress),
            });
            db.attach_snapshot(Arc::clone(&snapshot) as Arc<dyn SnapshotHook>);
            dbs.push(snapshot);
        }
        Snapshot {
            keys_total: dbs.iter().map(|db| db.keys as u64).sum(),
            dbs,
            dirty_at_start: databases.dirty,
            progress,
            key_delay: Duration::ZERO,
            libraries: Vec::new(),
            replication: None,
        }
    }

    /// Makes [`Snapshot::write`] stop at its next batch (SHUTDOWN, `CONFIG SET appendonly no`).
    pub fn abort(&self) {
        self.progress.abort();
    }

    pub fn is_aborted(&self) -> bool {
        self.progress.aborted.load(Ordering::Relaxed)
    }

    /// Serialises the snapshot into `sink`. `with_databases` runs its argument with the live
    /// databases under a keyspace lock: `keyspace.read()` for a background save, or the guard
    /// the caller already holds (a save that owns the keyspace, like SHUTDOWN's).
    ///
    /// Detaches the hooks before returning, whatever happens.
    pub fn write(&self, with_databases: &mut WithDatabases, sink: &mut dyn Sink) -> io::Result<()> {
        let result = self.write_all(with_databases, sink);
        with_databases(&mut |databases| self.detach(databases));
        for db in &self.dbs {
            let freed: usize = lock(&db.copies)
                .iter_mut()
                .filter_map(Option::take)
                .map(|copy| copy.bytes.len())
                .sum();
            self.progress
                .cow_bytes
                .fetch_sub(freed as u64, Ordering::Relaxed);
            lock(&db.adopted).take();
        }
        result
    }

    fn write_all(&self, with_databases: &mut WithDatabases, sink: &mut dyn Sink) -> io::Result<()> {
        let mut batch = Vec::with_capacity(BATCH_BYTES + (BATCH_BYTES >> 2));
        for db in &self.dbs {
            sink.database(db.index, db.keys, db.volatile)?;
            let hook: Arc<dyn SnapshotHook> = Arc::clone(db) as Arc<dyn SnapshotHook>;
            let mut shard = 0;
            while shard < SHARDS {
                if self.is_aborted() {
                    return Err(io::Error::other("the save was aborted"));
                }
                batch.clear();
                let keys_before = self.progress.keys_done.load(Ordering::Relaxed);
                let mut lost = false;
                with_databases(&mut |databases| {
                    // Under the lock no writer runs: states, copies and the adopted data are
                    // stable until it is released.
                    let adopted = lock(&db.adopted).clone();
                    let live = databases.iter().find(|live| live.has_snapshot(&hook));
                    let source = match (&adopted, live) {
                        (Some(frozen), _) => &**frozen,
                        (None, Some(live)) => live,
                        (None, None) => {
                            lost = true;
                            return;
                        }
                    };
                    let started = Instant::now();
                    while shard < SHARDS
                        && batch.len() < BATCH_BYTES
                        && started.elapsed() < BATCH_TIME
                    {
                        self.take_shard(db, source, shard, &mut batch);
                        shard += 1;
                    }
                });
                if lost {
                    return Err(io::Error::other("a database left the snapshot"));
                }
                sink.write(&batch)?;
                let keys = self.progress.keys_done.load(Ordering::Relaxed) - keys_before;
                self.wait_after(keys);
            }
        }
        Ok(())
    }

    /// Waits [`Snapshot::key_delay`] for each of `keys`, in short naps, so an abort still stops
    /// the save at once.
    fn wait_after(&self, keys: u64) {
        let nap = Duration::from_millis(10);
        let mut left = self
            .key_delay
            .saturating_mul(u32::try_from(keys).unwrap_or(u32::MAX));
        while !left.is_zero() && !self.is_aborted() {
            let step = left.min(nap);
            std::thread::sleep(step);
            left -= step;
        }
    }

    /// Serialises shard `index` of `db` into `out`: the copy a writer made, or the live data.
    fn take_shard(&self, db: &DbSnapshot, source: &Db, index: usize, out: &mut Vec<u8>) {
        let keys = match db.states[index].load(Ordering::Relaxed) {
            COPIED => match lock(&db.copies)[index].take() {
                Some(copy) => {
                    out.extend_from_slice(&copy.bytes);
                    self.progress
                        .cow_bytes
                        .fetch_sub(copy.bytes.len() as u64, Ordering::Relaxed);
                    copy.keys
                }
                None => 0,
            },
            PENDING => {
                let entries = source.shard_entries(index);
                let keys = entries.len() as u64;
                encode_shard(out, entries, db.format);
                keys
            }
            _ => 0,
        };
        db.states[index].store(SAVED, Ordering::Relaxed);
        self.progress.keys_done.fetch_add(keys, Ordering::Relaxed);
    }

    /// Removes the hooks from whichever databases hold them now.
    fn detach(&self, databases: &Databases) {
        for db in &self.dbs {
            let hook: Arc<dyn SnapshotHook> = Arc::clone(db) as Arc<dyn SnapshotHook>;
            for live in databases.iter() {
                live.detach_snapshot(&hook);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{Keyspace, Ttl, Value};

    /// Collects what the saver writes, database by database.
    #[derive(Default)]
    struct Collect {
        dbs: Vec<(usize, usize)>,
        bytes: Vec<u8>,
    }

    impl Sink for Collect {
        fn database(&mut self, index: usize, keys: usize, _: usize) -> io::Result<()> {
            self.dbs.push((index, keys));
            Ok(())
        }
        fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.bytes.extend_from_slice(bytes);
            Ok(())
        }
    }

    fn keyspace_with(keys: usize) -> Keyspace {
        let keyspace = Keyspace::new(2);
        keyspace.write(0, 0, |w| {
            for i in 0..keys {
                w.set(
                    format!("key:{i}").as_bytes(),
                    Value::string(b"before"),
                    Ttl::Clear,
                );
            }
        });
        keyspace
    }

    /// Runs the saver, letting `meddle` write to the keyspace between batches.
    fn save(keyspace: &Keyspace, mut meddle: impl FnMut(&Keyspace, usize)) -> (Snapshot, Collect) {
        let snapshot = Snapshot::start(&keyspace.read(), Format::Aof);
        let mut sink = Collect::default();
        let mut round = 0;
        snapshot
            .write(
                &mut |f| {
                    meddle(keyspace, round);
                    round += 1;
                    f(&keyspace.read())
                },
                &mut sink,
            )
            .unwrap();
        (snapshot, sink)
    }

    fn count(bytes: &[u8], needle: &str) -> usize {
        String::from_utf8_lossy(bytes).matches(needle).count()
    }

    #[test]
    fn writes_during_the_save_do_not_reach_the_file() {
        let keyspace = keyspace_with(20_000);
        let (snapshot, sink) = save(&keyspace, |keyspace, round| {
            keyspace.write(0, 0, |w| {
                for i in 0..50 {
                    let key = format!("key:{}", (round * 50 + i) % 20_000);
                    w.set(key.as_bytes(), Value::string(b"after!"), Ttl::Clear);
                    w.set(
                        format!("new:{round}:{i}").as_bytes(),
                        Value::string(b"v"),
                        Ttl::Clear,
                    );
                }
            });
        });
        assert_eq!(sink.dbs, [(0, 20_000)]);
        assert_eq!(count(&sink.bytes, "before"), 20_000, "every key as it was");
        assert_eq!(count(&sink.bytes, "after!"), 0);
        assert_eq!(count(&sink.bytes, "new:"), 0);
        assert_eq!(snapshot.progress.keys_done.load(Ordering::Relaxed), 20_000);
        assert!(
            snapshot.progress.cow_peak.load(Ordering::Relaxed) > 0,
            "copies were made"
        );
        assert_eq!(
            snapshot.progress.cow_bytes.load(Ordering::Relaxed),
            0,
            "and freed"
        );
        let databases = keyspace.read();
        assert!(
            databases.iter().all(
                |db| !db.has_snapshot(&(Arc::clone(&snapshot.dbs[0]) as Arc<dyn SnapshotHook>))
            ),
            "the hooks are gone"
        );
    }

    #[test]
    fn a_flush_or_swap_during_the_save_changes_nothing_in_the_file() {
        let keyspace = keyspace_with(5000);
        let (_, sink) = save(&keyspace, |keyspace, round| {
            keyspace.write(0, 0, |w| match round {
                1 => w.databases().swap(0, 1),
                3 => {
                    let databases = w.databases();
                    let mut old = std::mem::take(databases.db_mut(1));
                    old.release_to_snapshots();
                }
                _ => {}
            });
        });
        assert_eq!(count(&sink.bytes, "before"), 5000);
        assert_eq!(keyspace.read().db(0).len() + keyspace.read().db(1).len(), 0);
    }

    #[test]
    fn an_aborted_save_stops_and_detaches() {
        let keyspace = keyspace_with(5000);
        let snapshot = Snapshot::start(
            &keyspace.read(),
            Format::Rdb {
                compress: false,
                access: SavedAccess::Nothing,
            },
        );
        snapshot.abort();
        let mut sink = Collect::default();
        let error = snapshot
            .write(&mut |f| f(&keyspace.read()), &mut sink)
            .unwrap_err();
        assert!(error.to_string().contains("aborted"));
        keyspace.write(0, 0, |w| w.set(b"key:1", Value::string(b"x"), Ttl::Clear));
        assert_eq!(
            snapshot.progress.cow_bytes.load(Ordering::Relaxed),
            0,
            "no hook left to copy"
        );
    }
}
