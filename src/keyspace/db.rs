//! One database (`SELECT n`): its keys, their values and their expiry times. Pure data: no
//! locks, no sockets, no commands; `Keyspace` guards it and the command handlers use it.
//!
//! # Shards
//! The keys live in [`SHARDS`] hash maps, chosen by a hash of the key, instead of one big map:
//! - `SCAN` must return every key that exists for the whole scan, while writes continue between
//!   calls. std's `HashMap` reorders everything when it grows, so a cursor into one big map would
//!   skip keys. A cursor over shards cannot: a key never changes shard, so "every shard before
//!   the cursor has been returned whole" is a guarantee.
//! - Growth happens one small map at a time, so a SET never stalls behind a rehash of the whole
//!   database (Redis rehashes incrementally for the same reason).
//!
//! # Expiry
//! Expiry times (Unix milliseconds) are kept apart from the values, in a second map per shard,
//! as Redis keeps its `expires` dict: keys without a TTL pay nothing, and the active-expiry sweep
//! visits only keys that have one. An expired key is *absent* to every reader from the moment it
//! expires ([`Db::get`] does not see it), but it is only *removed* by a writer or the sweep,
//! because readers hold a shared lock.
//!
//! # Snapshots
//! A background save (`BGSAVE`, an AOF rewrite) must write the data as it was when it began,
//! while writers go on. A [`SnapshotHook`] attached to the database is told, under the exclusive
//! lock, just before any shard changes ([`Db::shard_mut`] is the one way to change a shard), and
//! keeps what it still needs of that shard; a database emptied whole (`FLUSHDB`) is handed to it
//! ([`Db::release_to_snapshots`]). This is copy-on-write by shard: a save costs extra memory
//! only for the shards written while it runs (see `persistence/snapshot.rs`).

use std::collections::HashMap;
use std::collections::hash_map;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use super::bytes::Bytes;
use super::hasher::KeyHashBuilder;
use super::value::{Entry, Value};
use crate::random::Rng;

const SHARD_BITS: u32 = 10;
/// How many maps one database is split into.
pub const SHARDS: usize = 1 << SHARD_BITS;

/// A key that is stored but whose time to live has passed (see [`Db::lookup`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired;

struct Shard {
    entries: HashMap<Bytes, Entry, KeyHashBuilder>,
    /// When keys expire, in Unix milliseconds. Only keys with a TTL appear here.
    expires: HashMap<Bytes, i64, KeyHashBuilder>,
}

impl Shard {
    fn new(hasher: &KeyHashBuilder) -> Shard {
        Shard {
            entries: HashMap::with_hasher(hasher.clone()),
            expires: HashMap::with_hasher(hasher.clone()),
        }
    }

    /// Redis's `keyIsExpired`: a key is still alive in the millisecond it expires at.
    fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        !self.expires.is_empty() && self.expires.get(key).is_some_and(|&at| now_ms > at)
    }
}

/// A key [`Db::sample`] picked, with its entry, and its expiry time when sampled among the keys
/// with a time to live.
pub struct Sampled<'a> {
    pub key: &'a Bytes,
    pub entry: &'a Entry,
    pub expires_at: Option<i64>,
}

/// What `Db::set` does with the key's time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// Remove it: a plain SET makes the key persistent.
    Clear,
    /// Leave it as it is (`SET ... KEEPTTL`, `APPEND`, `INCR`).
    Keep,
    /// Expire at this Unix time in milliseconds.
    At(i64),
}

/// A save in progress that needs this database as it was when the save began (see the module
/// documentation).
pub trait SnapshotHook: Send + Sync {
    /// Shard `index` is about to change: keep a copy if the save has not written it yet. Runs
    /// under the keyspace's exclusive lock, on the writer's thread.
    fn before_change(&self, index: usize, entries: ShardEntries<'_>);

    /// The database is being emptied whole (`FLUSHDB`, `FLUSHALL`): here is what it held.
    fn adopt(&self, frozen: Arc<Db>);
}

/// A shard's keys with their entries and expiry times, expired or not.
pub struct ShardEntries<'a> {
    shard: Option<&'a Shard>,
    iter: Option<hash_map::Iter<'a, Bytes, Entry>>,
}

impl<'a> ShardEntries<'a> {
    fn new(shard: Option<&'a Shard>) -> ShardEntries<'a> {
        ShardEntries {
            shard,
            iter: shard.map(|shard| shard.entries.iter()),
        }
    }

    /// How many keys the shard holds.
    pub fn len(&self) -> usize {
        self.shard.map_or(0, |shard| shard.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> Iterator for ShardEntries<'a> {
    type Item = (&'a Bytes, &'a Entry, Option<i64>);

    fn next(&mut self) -> Option<Self::Item> {
        let (key, entry) = self.iter.as_mut()?.next()?;
        let shard = self.shard.expect("an iterator implies a shard");
        let expires = if shard.expires.is_empty() {
            None
        } else {
            shard.expires.get(key).copied()
        };
        Some((key, entry, expires))
    }
}

pub struct Db {
    /// Empty until the first key arrives, so the unused databases of 16 cost nothing.
    shards: Vec<Shard>,
    len: usize,
    volatile: usize,
    /// Picks a key's shard. Seeded randomly, as the maps inside are (with another seed), so a
    /// client cannot aim many keys at one shard.
    router: KeyHashBuilder,
    /// The hasher of the maps inside the shards.
    maps: KeyHashBuilder,
    /// Saves in progress that need this database's contents as they were when they began.
    /// Attached and detached under the keyspace's shared lock, read by writers under the
    /// exclusive one (so `get_mut`, no locking, on the write path).
    snapshots: Mutex<Vec<Arc<dyn SnapshotHook>>>,
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

impl Db {
    pub fn new() -> Db {
        Db {
            shards: Vec::new(),
            len: 0,
            volatile: 0,
            router: KeyHashBuilder::new(),
            maps: KeyHashBuilder::new(),
            snapshots: Mutex::new(Vec::new()),
        }
    }

    /// Keys stored, including expired ones not yet reclaimed (what `DBSIZE` reports, as Redis).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys with a time to live.
    pub fn volatile_len(&self) -> usize {
        self.volatile
    }

    fn shard_index(&self, key: &[u8]) -> usize {
        (self.router.hash_one(key) >> (64 - SHARD_BITS)) as usize
    }

    fn shard(&self, key: &[u8]) -> Option<&Shard> {
        if self.shards.is_empty() {
            None
        } else {
            Some(&self.shards[self.shard_index(key)])
        }
    }

    /// The shard of `key`, for changing it: every change to the data goes through here, which is
    /// what lets snapshots copy a shard just before it changes.
    fn shard_mut(&mut self, key: &[u8]) -> &mut Shard {
        if self.shards.is_empty() {
            let maps = &self.maps;
            self.shards.resize_with(SHARDS, || Shard::new(maps));
        }
        let index = self.shard_index(key);
        let saving = !self
            .snapshots
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        if saving {
            self.before_change(index);
        }
        &mut self.shards[index]
    }

    /// Lets every snapshot keep shard `index` before it changes. Out of line: it runs only
    /// while a save is in progress.
    #[cold]
    #[inline(never)]
    fn before_change(&mut self, index: usize) {
        let snapshots = self
            .snapshots
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for snapshot in snapshots.iter() {
            snapshot.before_change(index, ShardEntries::new(Some(&self.shards[index])));
        }
    }

    /// How many shards there are to visit: 0 for a database that never held a key.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Every key of shard `index` (empty if there are no shards).
    pub fn shard_entries(&self, index: usize) -> ShardEntries<'_> {
        ShardEntries::new(self.shards.get(index))
    }

    /// Every key, expired or not, with its entry and expiry time (`DEBUG DIGEST`).
    pub fn all_entries(&self) -> impl Iterator<Item = (&Bytes, &Entry, Option<i64>)> + '_ {
        (0..self.shards.len()).flat_map(|index| self.shard_entries(index))
    }

    /// Starts telling `snapshot` about changes. Needs only the shared lock: no writer runs
    /// while it is held, so the snapshot sees the data exactly as of now.
    pub fn attach_snapshot(&self, snapshot: Arc<dyn SnapshotHook>) {
        self.snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(snapshot);
    }

    /// Stops telling `snapshot` about changes (it finished or gave up).
    pub fn detach_snapshot(&self, snapshot: &Arc<dyn SnapshotHook>) {
        self.snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|attached| !same_hook(attached, snapshot));
    }

    /// Whether `snapshot` is attached to this database (it follows the data through `SWAPDB`).
    pub fn has_snapshot(&self, snapshot: &Arc<dyn SnapshotHook>) -> bool {
        self.snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|attached| same_hook(attached, snapshot))
    }

    /// Takes everything out (`FLUSHDB`, `FLUSHALL`) and returns it, leaving an empty database
    /// that keeps its shard directory if it had one. The directory (a hundred kilobytes of empty
    /// maps) is the fixed cost of a database in use: dropping it would make the next key pay it
    /// again all at once, which `used_memory` would show as that key's cost.
    pub fn take_all(&mut self) -> Db {
        let mut emptied = Db::new();
        if !self.shards.is_empty() {
            let maps = &emptied.maps;
            emptied.shards.resize_with(SHARDS, || Shard::new(maps));
        }
        std::mem::replace(self, emptied)
    }

    /// Hands everything this database holds to the snapshots that still need it, and leaves it
    /// empty: call before dropping a database whole (`FLUSHDB`, `FLUSHALL`). Costs nothing when
    /// no save is running; the data moves, it is not copied.
    pub fn release_to_snapshots(&mut self) {
        let snapshots = std::mem::take(
            self.snapshots
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        if snapshots.is_empty() {
            return;
        }
        let frozen = Arc::new(Db {
            shards: std::mem::take(&mut self.shards),
            len: std::mem::take(&mut self.len),
            volatile: std::mem::take(&mut self.volatile),
            router: self.router.clone(),
            maps: self.maps.clone(),
            snapshots: Mutex::new(Vec::new()),
        });
        for snapshot in snapshots {
            snapshot.adopt(Arc::clone(&frozen));
        }
    }

    /// The entry under `key`, unless it is missing or expired. Never deletes anything, so it
    /// works under the shared lock (as Redis's `expireIfNeeded` on a replica).
    pub fn get(&self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        self.lookup(key, now_ms).ok().flatten()
    }

    /// [`Db::get`], telling a key that is missing (`Ok(None)`) from one that is stored but
    /// expired (`Err(Expired)`), which a reader then has removed, in one hash lookup.
    pub fn lookup(&self, key: &[u8], now_ms: i64) -> Result<Option<&Entry>, Expired> {
        let Some(shard) = self.shard(key) else {
            return Ok(None);
        };
        let Some(entry) = shard.entries.get(key) else {
            return Ok(None);
        };
        if shard.is_expired(key, now_ms) {
            Err(Expired)
        } else {
            Ok(Some(entry))
        }
    }

    pub fn contains(&self, key: &[u8], now_ms: i64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// Whether `key` is stored, expired or not (Redis's `dictFind`): WATCH tells a key that
    /// expired and was removed from one that expired and is still there.
    pub fn holds(&self, key: &[u8]) -> bool {
        self.shard(key)
            .is_some_and(|shard| shard.entries.contains_key(key))
    }

    /// The entry under `key`, expired or not (Redis's `dictFind`): DEBUG OBJECT looks at what is
    /// stored, and must not hide (nor, under the shared lock, delete) a key not yet reclaimed.
    pub fn stored(&self, key: &[u8]) -> Option<&Entry> {
        self.shard(key)?.entries.get(key)
    }

    /// Removes `key` if it exists but has expired. Returns whether it did, so the writer can count
    /// the expiry. Writers call this before they look a key up.
    pub fn remove_if_expired(&mut self, key: &[u8], now_ms: i64) -> bool {
        let expired = self
            .shard(key)
            .is_some_and(|shard| shard.is_expired(key, now_ms));
        if expired {
            self.remove(key);
        }
        expired
    }

    /// The entry under `key`, expired or not: callers run [`Db::remove_if_expired`] first.
    pub fn get_mut_unchecked(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.shards.is_empty() {
            return None;
        }
        self.shard_mut(key).entries.get_mut(key)
    }

    /// Stores `value` under `key`, creating or overwriting it, and applies `ttl`. One lookup of
    /// the shard and one of the key: SET, the most common write, costs no more than that.
    ///
    /// Returns whether it replaced a key that had expired (and was not yet removed): the writer
    /// counts that as an expiry, and the old time to live does not survive even with
    /// [`Ttl::Keep`], as in Redis, where the expired key is deleted before the new one is set.
    /// Always inlined into `Writer::set`: the RDB loader's second call would otherwise keep it
    /// out of line.
    #[inline(always)]
    pub fn set(&mut self, key: &[u8], value: Value, ttl: Ttl, now_ms: i64) -> bool {
        let shard = self.shard_mut(key);
        let replaced_expired = shard.is_expired(key, now_ms);
        let ttl = match ttl {
            Ttl::Keep if replaced_expired => Ttl::Clear,
            ttl => ttl,
        };
        let created = match shard.entries.get_mut(key) {
            // Overwrite in place: no new key allocation, and the map does not move.
            Some(entry) => {
                entry.overwrite(value, now_ms);
                false
            }
            None => {
                shard
                    .entries
                    .insert(Bytes::new(key), Entry::new(value, now_ms));
                true
            }
        };
        let volatile_change = match ttl {
            Ttl::Keep => 0,
            Ttl::Clear if shard.expires.is_empty() => 0,
            Ttl::Clear => -(shard.expires.remove(key).is_some() as isize),
            Ttl::At(at) => match shard.expires.get_mut(key) {
                Some(existing) => {
                    *existing = at;
                    0
                }
                None => {
                    shard.expires.insert(Bytes::new(key), at);
                    1
                }
            },
        };
        self.len += created as usize;
        self.volatile = self.volatile.wrapping_add_signed(volatile_change);
        replaced_expired
    }

    /// Removes `key` and its TTL. Returns the value (expired or not).
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.take(key).map(|(entry, _)| entry.into_value())
    }

    /// Removes `key` and returns its entry and expiry time, for moving it elsewhere (`RENAME`,
    /// `MOVE`).
    pub fn take(&mut self, key: &[u8]) -> Option<(Entry, Option<i64>)> {
        if self.shards.is_empty() {
            return None;
        }
        let shard = self.shard_mut(key);
        let entry = shard.entries.remove(key)?;
        let expires = if shard.expires.is_empty() {
            None
        } else {
            shard.expires.remove(key)
        };
        self.len -= 1;
        self.volatile -= expires.is_some() as usize;
        Some((entry, expires))
    }

    /// Inserts an entry taken from elsewhere, replacing whatever `key` held.
    pub fn put(&mut self, key: &[u8], entry: Entry, expires: Option<i64>) {
        self.remove(key);
        let shard = self.shard_mut(key);
        shard.entries.insert(Bytes::new(key), entry);
        if let Some(at) = expires {
            shard.expires.insert(Bytes::new(key), at);
        }
        self.len += 1;
        self.volatile += expires.is_some() as usize;
    }

    /// When `key` expires, if it has a TTL.
    pub fn expires_at(&self, key: &[u8]) -> Option<i64> {
        let shard = self.shard(key)?;
        if shard.expires.is_empty() {
            None
        } else {
            shard.expires.get(key).copied()
        }
    }

    /// Sets the expiry time of an existing key. Returns false if the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        if self.shards.is_empty() {
            return false;
        }
        let shard = self.shard_mut(key);
        if !shard.entries.contains_key(key) {
            return false;
        }
        if shard.expires.insert(Bytes::new(key), at_ms).is_none() {
            self.volatile += 1;
        }
        true
    }

    /// Removes the TTL of `key`. Returns whether it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if self.shards.is_empty() {
            return false;
        }
        let shard = self.shard_mut(key);
        let removed = !shard.expires.is_empty() && shard.expires.remove(key).is_some();
        self.volatile -= removed as usize;
        removed
    }

    /// Every key that has not expired, with its entry, in no particular order.
    pub fn live_entries(&self, now_ms: i64) -> impl Iterator<Item = (&Bytes, &Entry)> + '_ {
        self.shards.iter().flat_map(move |shard| {
            shard
                .entries
                .iter()
                .filter(move |(key, _)| !shard.is_expired(key, now_ms))
        })
    }

    /// Visits live keys shard by shard from `cursor`, for `SCAN`. Stops after the shard in which
    /// at least `count` keys have been visited, or after `10 * count` non-empty shards (Redis's
    /// bound on the work one call may do), and returns the cursor to continue from: 0 once every
    /// shard has been visited.
    ///
    /// Whole shards are visited, never part of one, which is what makes the guarantee hold: a
    /// key present from the first call to the last lives in one shard and is returned when that
    /// shard is visited. Keys added or removed meanwhile may or may not be returned, as in Redis.
    ///
    /// Empty shards cost nothing against the budget: skipping one is a length check. So a small
    /// database is scanned whole in one call and an empty one answers cursor 0 at once, as
    /// Redis's small hash tables do; otherwise a database that once held keys (its shards
    /// allocated, now all empty) would make clients loop through a hundred empty batches.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        now_ms: i64,
        mut visit: impl FnMut(&'a Bytes, &'a Entry),
    ) -> u64 {
        let mut shard = cursor as usize;
        if self.len == 0 || shard >= SHARDS {
            return 0;
        }
        let (mut visited, mut budget) = (0, count.saturating_mul(10).max(1));
        while shard < SHARDS && visited < count && budget > 0 {
            let current = &self.shards[shard];
            shard += 1;
            if current.entries.is_empty() {
                continue;
            }
            for (key, entry) in &current.entries {
                if !current.is_expired(key, now_ms) {
                    visit(key, entry);
                    visited += 1;
                }
            }
            budget -= 1;
        }
        if shard >= SHARDS { 0 } else { shard as u64 }
    }

    /// A random live key (`RANDOMKEY`). Picks a random shard, then a random key in it; skips
    /// expired keys, and when the database may hold nothing but expired keys, falls back to a
    /// full search rather than looping forever.
    pub fn random_key(&self, now_ms: i64, rng: &mut Rng) -> Option<&Bytes> {
        if self.len == 0 {
            return None;
        }
        for _ in 0..100 {
            let shard = &self.shards[rng.below(SHARDS as u64) as usize];
            if shard.entries.is_empty() {
                continue;
            }
            let pick = rng.below(shard.entries.len() as u64) as usize;
            if let Some((key, _)) = shard.entries.iter().nth(pick) {
                if !shard.is_expired(key, now_ms) {
                    return Some(key);
                }
            }
        }
        self.live_entries(now_ms).map(|(key, _)| key).next()
    }

    /// Up to `count` keys picked at random for eviction (Redis's `dictGetSomeKeys`): from a
    /// random shard on, a run of consecutive keys from a random position in each shard, until
    /// `count` are found or every shard was visited. With `volatile`, only keys with a time to
    /// live (the `volatile-*` policies sample Redis's `db->expires`). Expired keys may be among
    /// them: evicting one just expires it.
    pub fn sample(&self, count: usize, volatile: bool, rng: &mut Rng) -> Vec<Sampled<'_>> {
        let mut sampled = Vec::with_capacity(count);
        let wanted = if volatile { self.volatile } else { self.len };
        if wanted == 0 || count == 0 {
            return sampled;
        }
        let first = rng.below(SHARDS as u64) as usize;
        for step in 0..SHARDS {
            let shard = &self.shards[(first + step) % SHARDS];
            let size = if volatile {
                shard.expires.len()
            } else {
                shard.entries.len()
            };
            if size == 0 {
                continue;
            }
            let start = rng.below(size as u64) as usize;
            let take = (count - sampled.len()).min(size);
            if volatile {
                let run = shard.expires.iter().cycle().skip(start).take(take);
                sampled.extend(run.filter_map(|(key, &at)| {
                    let entry = shard.entries.get(key)?;
                    Some(Sampled {
                        key,
                        entry,
                        expires_at: Some(at),
                    })
                }));
            } else {
                let run = shard.entries.iter().cycle().skip(start).take(take);
                sampled.extend(run.map(|(key, entry)| Sampled {
                    key,
                    entry,
                    expires_at: None,
                }));
            }
            if sampled.len() >= count {
                break;
            }
        }
        sampled
    }

    /// Gives back the memory of `key`'s shard if its maps hold almost nothing (under a tenth of
    /// their capacity, Redis's `HASHTABLE_MIN_FILL`), as Redis's `tryResizeHashTables` shrinks a
    /// sparse dict: eviction calls it, so a key that leaves an empty shard frees its table.
    /// Returns whether it shrank anything.
    pub fn shrink_sparse_shard(&mut self, key: &[u8]) -> bool {
        let sparse = |len: usize, capacity: usize| capacity > 0 && len * 10 < capacity;
        let Some(shard) = self.shard(key) else {
            return false;
        };
        if !sparse(shard.entries.len(), shard.entries.capacity())
            && !sparse(shard.expires.len(), shard.expires.capacity())
        {
            return false;
        }
        let shard = self.shard_mut(key);
        shard.entries.shrink_to_fit();
        shard.expires.shrink_to_fit();
        true
    }

    /// Collects expired keys for the active-expiry sweep, examining the TTL keys of whole shards
    /// from `*cursor` on until at least `examine` keys with a TTL have been looked at. Advances
    /// the cursor (wrapping around) and returns the expired keys and how many were examined.
    pub fn collect_expired(
        &self,
        cursor: &mut usize,
        examine: usize,
        now_ms: i64,
    ) -> (Vec<Bytes>, usize) {
        let mut expired = Vec::new();
        let mut examined = 0;
        if self.volatile == 0 {
            return (expired, 0);
        }
        for _ in 0..SHARDS {
            let shard = &self.shards[*cursor % SHARDS];
            *cursor = (*cursor + 1) % SHARDS;
            for (key, &at) in &shard.expires {
                examined += 1;
                if now_ms > at {
                    expired.push(key.clone());
                }
            }
            if examined >= examine {
                break;
            }
        }
        (expired, examined)
    }
}

/// A database dropped while a save still needs it gives its data to the save first.
impl Drop for Db {
    fn drop(&mut self) {
        self.release_to_snapshots();
    }
}

/// Whether two hooks are the same object (comparing data pointers only: the vtable half of a
/// `dyn` pointer may differ between codegen units).
fn same_hook(a: &Arc<dyn SnapshotHook>, b: &Arc<dyn SnapshotHook>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(keys: &[&str]) -> Db {
        let mut db = Db::new();
        for key in keys {
            db.set(key.as_bytes(), Value::string(b"v"), Ttl::Clear, 0);
        }
        db
    }

    #[test]
    fn expired_keys_are_invisible_but_stay_until_removed() {
        let mut db = db_with(&["a"]);
        db.set(b"b", Value::string(b"v"), Ttl::At(1000), 0);
        assert!(db.contains(b"b", 1000), "alive in its last millisecond");
        assert!(!db.contains(b"b", 1001));
        assert_eq!(db.len(), 2);
        assert!(db.remove_if_expired(b"b", 1001));
        assert!(!db.remove_if_expired(b"a", 1001));
        assert_eq!((db.len(), db.volatile_len()), (1, 0));
    }

    #[test]
    fn set_clears_or_keeps_the_ttl() {
        let mut db = db_with(&[]);
        db.set(b"k", Value::string(b"1"), Ttl::At(5000), 0);
        db.set(b"k", Value::string(b"2"), Ttl::Keep, 0);
        assert_eq!(db.expires_at(b"k"), Some(5000));
        db.set(b"k", Value::string(b"3"), Ttl::Clear, 0);
        assert_eq!(db.expires_at(b"k"), None);
        assert_eq!((db.len(), db.volatile_len()), (1, 0));
    }

    #[test]
    fn setting_over_an_expired_key_counts_it_and_drops_its_ttl() {
        let mut db = db_with(&[]);
        db.set(b"k", Value::string(b"old"), Ttl::At(100), 0);
        assert!(
            db.set(b"k", Value::string(b"new"), Ttl::Keep, 200),
            "replaced an expired key"
        );
        assert_eq!(
            db.expires_at(b"k"),
            None,
            "KEEPTTL does not keep a TTL that ran out"
        );
        assert!(!db.set(b"k", Value::string(b"newer"), Ttl::Keep, 300));
        assert_eq!((db.len(), db.volatile_len()), (1, 0));
    }

    #[test]
    fn take_and_put_move_the_ttl_along() {
        let mut db = db_with(&[]);
        db.set(b"from", Value::string(b"v"), Ttl::At(9000), 0);
        let (entry, expires) = db.take(b"from").unwrap();
        db.put(b"to", entry, expires);
        assert_eq!(db.expires_at(b"to"), Some(9000));
        assert!(db.get(b"from", 0).is_none());
        assert_eq!((db.len(), db.volatile_len()), (1, 1));
    }

    #[test]
    fn a_scan_returns_every_key_despite_writes_between_calls() {
        let originals: Vec<String> = (0..5000).map(|i| format!("key:{i}")).collect();
        let mut db = db_with(&originals.iter().map(String::as_str).collect::<Vec<_>>());
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = db.scan(cursor, 10, 0, |key, _| {
                seen.insert(key.to_vec());
            });
            // Grow the database between calls: every map reallocates several times.
            for i in 0..200 {
                db.set(
                    format!("new:{round}:{i}").as_bytes(),
                    Value::string(b"v"),
                    Ttl::Clear,
                    0,
                );
            }
            round += 1;
            if cursor == 0 {
                break;
            }
        }
        assert!(originals.iter().all(|key| seen.contains(key.as_bytes())));
    }

    #[test]
    fn a_scan_of_an_emptied_database_ends_at_once() {
        let mut db = db_with(&["x"]);
        db.remove(b"x");
        let mut visited = 0;
        assert_eq!(db.scan(0, 10, 0, |_, _| visited += 1), 0);
        assert_eq!(visited, 0);
    }

    #[test]
    fn a_scan_of_a_small_database_takes_one_call() {
        let db = db_with(&["a", "b", "c"]);
        let mut visited = 0;
        assert_eq!(db.scan(0, 10, 0, |_, _| visited += 1), 0);
        assert_eq!(visited, 3);
    }

    #[test]
    fn random_key_skips_expired_keys() {
        let mut db = db_with(&["live"]);
        for i in 0..50 {
            db.set(
                format!("dead{i}").as_bytes(),
                Value::string(b"v"),
                Ttl::At(10),
                0,
            );
        }
        let mut rng = Rng::seeded(7);
        for _ in 0..20 {
            assert_eq!(
                db.random_key(100, &mut rng).map(|k| k.to_vec()),
                Some(b"live".to_vec())
            );
        }
        db.remove(b"live");
        assert!(db.random_key(100, &mut rng).is_none());
    }

    #[test]
    fn collect_expired_walks_the_shards_round_robin() {
        let mut db = db_with(&[]);
        for i in 0..100 {
            db.set(
                format!("k{i}").as_bytes(),
                Value::string(b"v"),
                Ttl::At(if i % 2 == 0 { 10 } else { 10_000 }),
                0,
            );
        }
        let mut cursor = 0;
        let mut expired = std::collections::HashSet::new();
        let mut examined = 0;
        while examined < 100 {
            let (keys, n) = db.collect_expired(&mut cursor, 20, 100);
            examined += n;
            expired.extend(keys);
        }
        assert_eq!(expired.len(), 50);
    }
}
