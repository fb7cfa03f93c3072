//! What a key holds: [`Value`], one variant per Redis type, and [`Entry`], a value plus its last
//! access time (for `OBJECT IDLETIME`, `TOUCH`, `CLIENT NO-TOUCH` and LRU eviction), or under an
//! LFU policy its access frequency (`OBJECT FREQ`, LFU eviction: see `memory::lfu`).
//!
//! Strings, lists, hashes, sets, sorted sets and streams.
//! Every command that meets a value of the wrong variant answers `WRONGTYPE` through
//! [`Value::as_string`], [`Value::as_list`] and their siblings.
//!
//! # 24 bytes, access time included
//! A key's slot in the hash table is as wide as the key plus the entry, and at a million keys the
//! table has two slots per key (hashbrown keeps it at most 7/8 full, in powers of two). A value
//! is 24 bytes (a boxed slice is 16, plus the variant tag), and a separate `u32` access time
//! would round the entry up to 32: 17 more bytes per key. So the access time lives *inside* the
//! value, in the bytes the enum's alignment leaves free: every variant carries a [`Clock`], and
//! rustc packs variant, clock and up to 18 inline bytes into 24. A unit test holds it to that.
//! The collections are `{ clock, Box<...> }`, which fits the same 24 bytes.

use std::sync::atomic::{AtomicU32, Ordering};

use super::Bytes;
use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;
use crate::memory::lfu;
use crate::number;

/// A value of the wrong type for the command: the caller replies `WRONGTYPE ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

#[derive(Clone, Debug)]
pub enum Value {
    String(Str),
    List { clock: Clock, list: Box<List> },
    Hash { clock: Clock, hash: Box<Hash> },
    Set { clock: Clock, set: Box<Set> },
    ZSet { clock: Clock, zset: Box<ZSet> },
    Stream { clock: Clock, stream: Box<Stream> },
}

/// Accessors for one collection variant: `as_list`, `as_list_mut`.
macro_rules! collection_accessors {
    ($variant:ident, $field:ident, $type:ty, $as:ident, $as_mut:ident) => {
        pub fn $as(&self) -> Result<&$type, WrongType> {
            match self {
                Value::$variant { $field, .. } => Ok($field),
                _ => Err(WrongType),
            }
        }

        pub fn $as_mut(&mut self) -> Result<&mut $type, WrongType> {
            match self {
                Value::$variant { $field, .. } => Ok($field),
                _ => Err(WrongType),
            }
        }
    };
}

impl Value {
    pub fn list(list: List) -> Value {
        Value::List {
            clock: Clock::default(),
            list: Box::new(list),
        }
    }

    pub fn hash(hash: Hash) -> Value {
        Value::Hash {
            clock: Clock::default(),
            hash: Box::new(hash),
        }
    }

    pub fn set(set: Set) -> Value {
        Value::Set {
            clock: Clock::default(),
            set: Box::new(set),
        }
    }

    collection_accessors!(List, list, List, as_list, as_list_mut);
    collection_accessors!(Hash, hash, Hash, as_hash, as_hash_mut);
    pub fn zset(zset: ZSet) -> Value {
        Value::ZSet {
            clock: Clock::default(),
            zset: Box::new(zset),
        }
    }

    collection_accessors!(Set, set, Set, as_set, as_set_mut);
    collection_accessors!(ZSet, zset, ZSet, as_zset, as_zset_mut);

    pub fn stream(stream: Stream) -> Value {
        Value::Stream {
            clock: Clock::default(),
            stream: Box::new(stream),
        }
    }

    collection_accessors!(Stream, stream, Stream, as_stream, as_stream_mut);

    /// The name `TYPE` reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::List { .. } => "list",
            Value::Hash { .. } => "hash",
            Value::Set { .. } => "set",
            Value::ZSet { .. } => "zset",
            Value::Stream { .. } => "stream",
        }
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::String(s) => s.encoding(),
            Value::List { list, .. } => list.encoding(),
            Value::Hash { hash, .. } => hash.encoding(),
            Value::Set { set, .. } => set.encoding(),
            Value::ZSet { zset, .. } => zset.encoding(),
            Value::Stream { .. } => "stream",
        }
    }

    /// An estimate of the bytes this value occupies (`MEMORY USAGE`): its slot in the table,
    /// and what it owns on the heap. Not a count of the allocator's real usage.
    pub fn memory_usage(&self) -> usize {
        let slot = size_of::<Value>();
        let element = |b: &Bytes| size_of::<Bytes>() + b.heap_size();
        slot + match self {
            Value::String(Str::Inline { .. }) => 0,
            Value::String(s) => s.len(),
            Value::List { list, .. } => list.iter().map(element).sum(),
            // A hashtable-sized collection also keeps a copy of each key in its index.
            Value::Hash { hash, .. } => {
                let index = hash.encoding() == "hashtable";
                hash.iter()
                    .map(|(f, v)| element(f) * (1 + index as usize) + element(v))
                    .sum()
            }
            Value::Set { set, .. } => {
                let index = set.encoding() == "hashtable";
                set.iter().map(|m| element(m) * (1 + index as usize)).sum()
            }
            Value::ZSet { zset, .. } => zset.heap_size(),
            Value::Stream { stream, .. } => stream.heap_size(),
        }
    }

    /// Whether clients can block waiting for a value of this type (`BLPOP` on a list,
    /// `BZPOPMIN` on a sorted set, `XREAD BLOCK` on a stream).
    pub fn is_blockable(&self) -> bool {
        matches!(
            self,
            Value::List { .. } | Value::ZSet { .. } | Value::Stream { .. }
        )
    }

    /// Whether this is a collection with nothing in it. Redis never keeps one: the command that
    /// takes the last element out removes the key.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::String(_) => false,
            Value::List { list, .. } => list.is_empty(),
            Value::Hash { hash, .. } => hash.is_empty(),
            Value::Set { set, .. } => set.is_empty(),
            Value::ZSet { zset, .. } => zset.is_empty(),
            // A stream outlives its entries: its last ID and groups are state of their own.
            Value::Stream { .. } => false,
        }
    }

    /// The reference count `OBJECT REFCOUNT` reports, as Redis would. Redis keeps one shared
    /// object for each integer in `0..10000` (`OBJ_SHARED_INTEGERS`) and stores it under every
    /// key set to that number; shared objects report `INT_MAX`. Everything else has one owner.
    pub fn refcount(&self) -> i64 {
        match self {
            Value::String(s) if s.is_shared_integer() => i64::from(i32::MAX),
            _ => 1,
        }
    }

    pub fn as_string(&self) -> Result<&Str, WrongType> {
        match self {
            Value::String(s) => Ok(s),
            _ => Err(WrongType),
        }
    }

    pub fn as_string_mut(&mut self) -> Result<&mut Str, WrongType> {
        match self {
            Value::String(s) => Ok(s),
            _ => Err(WrongType),
        }
    }

    pub fn string(content: &[u8]) -> Value {
        Value::String(Str::new(content))
    }

    /// The text of a number `INCRBYFLOAT` computed (see [`Str::Float`]).
    pub fn float_string(text: &[u8]) -> Value {
        Value::String(Str::Float {
            clock: Clock::default(),
            bytes: text.into(),
        })
    }

    fn clock(&self) -> &Clock {
        match self {
            Value::String(s) => s.clock(),
            Value::List { clock, .. }
            | Value::Hash { clock, .. }
            | Value::Set { clock, .. }
            | Value::ZSet { clock, .. }
            | Value::Stream { clock, .. } => clock,
        }
    }
}

/// When a value was last read or written, in seconds since the Unix epoch, or under an LFU
/// policy how often it is read (Redis's 24-bit `lru` field: see `memory::lfu`). Atomic because
/// reads update it under the keyspace's *shared* lock; two readers racing may lose one LFU
/// increment, which a probabilistic counter does not mind.
#[derive(Debug, Default)]
pub struct Clock(AtomicU32);

impl Clock {
    fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// Records an access. Skips the store when nothing changed (the same second, no LFU
    /// increment), so a hot key read from many threads does not bounce its cache line between
    /// cores on every read.
    fn set(&self, now_ms: i64) {
        let old = self.get();
        let new = lfu::touched_clock(old, now_ms);
        if old != new {
            self.store(new);
        }
    }

    /// Starts the clock of a new value: now, or the LFU counter's initial value.
    fn start(&self, now_ms: i64) {
        self.store(lfu::fresh_clock(now_ms));
    }

    fn store(&self, clock: u32) {
        self.0.store(clock, Ordering::Relaxed);
    }
}

impl Clone for Clock {
    fn clone(&self) -> Clock {
        Clock(AtomicU32::new(self.get()))
    }
}

/// A string value. Most strings are written whole (SET) and never grow: up to
/// [`INLINE_CAPACITY`] bytes are kept inline, longer ones in one exact-size allocation. A string
/// that `APPEND` or `SETRANGE` modifies becomes growable, with spare capacity, so repeated appends
/// cost amortized O(1) instead of a copy each: the same split as Redis's `embstr` and `raw`
/// encodings. Every variant carries the entry's [`Clock`] (see the module documentation).
#[derive(Clone, Debug)]
pub enum Str {
    Inline {
        clock: Clock,
        len: u8,
        bytes: [u8; INLINE_CAPACITY],
    },
    Heap {
        clock: Clock,
        bytes: Box<[u8]>,
    },
    Growable {
        clock: Clock,
        bytes: Box<Vec<u8>>,
    },
    /// The text of a number `INCRBYFLOAT` computed. Redis stores it as it printed it and never
    /// as an `int`, even when it reads as one (`5200`): `OBJECT ENCODING` says `embstr` and
    /// `OBJECT REFCOUNT` 1, where a `SET` of the same text says `int` and shared.
    Float {
        clock: Clock,
        bytes: Box<[u8]>,
    },
}

/// The longest string stored inline: 24 bytes minus the tag, the length and the clock.
pub const INLINE_CAPACITY: usize = 18;

/// Redis keeps strings up to this length in one allocation with their header (`embstr`).
const EMBSTR_MAX: usize = 44;

impl Str {
    pub fn new(content: &[u8]) -> Str {
        let clock = Clock::default();
        if content.len() <= INLINE_CAPACITY {
            let mut bytes = [0; INLINE_CAPACITY];
            bytes[..content.len()].copy_from_slice(content);
            Str::Inline {
                clock,
                len: content.len() as u8,
                bytes,
            }
        } else {
            Str::Heap {
                clock,
                bytes: content.into(),
            }
        }
    }

    fn clock(&self) -> &Clock {
        match self {
            Str::Inline { clock, .. }
            | Str::Heap { clock, .. }
            | Str::Growable { clock, .. }
            | Str::Float { clock, .. } => clock,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline { len, bytes, .. } => &bytes[..*len as usize],
            Str::Heap { bytes, .. } | Str::Float { bytes, .. } => bytes,
            Str::Growable { bytes, .. } => bytes,
        }
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer, if it is one in canonical form (what INCR accepts).
    pub fn to_i64(&self) -> Option<i64> {
        number::parse_i64(self.as_bytes())
    }

    /// `int` for canonical integers (unless `INCRBYFLOAT` printed them), `embstr` for short
    /// strings, `raw` for long ones and for any string modified in place, as Redis reports them.
    pub fn encoding(&self) -> &'static str {
        let bytes = self.as_bytes();
        match self {
            Str::Growable { .. } => "raw",
            Str::Inline { .. } | Str::Heap { .. }
                if bytes.len() <= 20 && number::parse_i64(bytes).is_some() =>
            {
                "int"
            }
            _ if bytes.len() <= EMBSTR_MAX => "embstr",
            _ => "raw",
        }
    }

    /// Whether Redis would store this string as one of its shared integers: `int`-encoded and in
    /// `0..10000`.
    fn is_shared_integer(&self) -> bool {
        self.encoding() == "int" && self.to_i64().is_some_and(|n| (0..10_000).contains(&n))
    }

    /// Switches to the growable form, keeping the content and the clock, and returns it.
    fn growable(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Growable { .. }) {
            let clock = self.clock().clone();
            *self = Str::Growable {
                clock,
                bytes: Box::new(self.as_bytes().to_vec()),
            };
        }
        match self {
            Str::Growable { bytes, .. } => bytes,
            _ => unreachable!("converted just above"),
        }
    }

    pub fn append(&mut self, tail: &[u8]) {
        self.growable().extend_from_slice(tail);
    }

    /// A string of `bytes`, in the growable form: what the bit commands create. Redis's
    /// `createObject(OBJ_STRING, sds)` is `raw` whatever the content, never `int` or `embstr`.
    pub fn raw(bytes: Vec<u8>) -> Str {
        Str::Growable {
            clock: Clock::default(),
            bytes: Box::new(bytes),
        }
    }

    /// The bytes, writable in place and zero-padded to at least `len`: SETBIT and BITFIELD
    /// write through this without copying the string. The string becomes growable (`raw`, as
    /// Redis's `dbUnshareStringValue`), and room is reserved as Redis's `sdsMakeRoomFor` does:
    /// twice the new length below 1 MB, 1 MB more above it. A bitmap set bit by bit upwards
    /// then costs amortized O(1) per byte, and a large one never reserves twice its size.
    pub fn grown_to(&mut self, len: usize) -> &mut [u8] {
        const MAX_PREALLOC: usize = 1024 * 1024;
        let vec = self.growable();
        if len > vec.capacity() {
            let room = if len < MAX_PREALLOC {
                len * 2
            } else {
                len + MAX_PREALLOC
            };
            vec.reserve_exact(room - vec.len());
        }
        if vec.len() < len {
            vec.resize(len, 0);
        }
        vec
    }

    /// The bytes as a vector to edit in place, lengths included: PFADD splices a HyperLogLog's
    /// sparse code where it changes, without copying the string. The string becomes growable
    /// (`raw`, as Redis's `dbUnshareStringValue`).
    pub fn as_mut_vec(&mut self) -> &mut Vec<u8> {
        self.growable()
    }

    /// Overwrites from `offset`, padding with zero bytes if the string is shorter (`SETRANGE`).
    pub fn set_range(&mut self, offset: usize, bytes: &[u8]) {
        let vec = self.growable();
        let end = offset + bytes.len();
        if vec.len() < end {
            vec.resize(end, 0);
        }
        vec[offset..end].copy_from_slice(bytes);
    }
}

/// A value as the keyspace stores it, with its access time. The time is kept in the value's own
/// spare bytes (see the module documentation); `Entry` is the view that owns it.
#[derive(Debug)]
pub struct Entry {
    value: Value,
}

impl Entry {
    pub fn new(value: Value, now_ms: i64) -> Entry {
        value.clock().start(now_ms);
        Entry { value }
    }

    /// Replaces the value (a `SET` over an existing key). Under an LFU policy the key keeps its
    /// frequency and counts the write as an access, as Redis's `dbOverwrite` keeps the old
    /// object's counter after `lookupKeyWrite` bumped it.
    pub fn overwrite(&mut self, value: Value, now_ms: i64) {
        let old = self.value.clock().get();
        *self = Entry::new(value, now_ms);
        if lfu::is_selected() {
            self.value.clock().store(old);
            self.touch(now_ms);
        }
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    pub fn value_mut(&mut self) -> &mut Value {
        &mut self.value
    }

    pub fn into_value(self) -> Value {
        self.value
    }

    /// Records an access.
    pub fn touch(&self, now_ms: i64) {
        self.value.clock().set(now_ms);
    }

    /// Seconds since the last access (`OBJECT IDLETIME`), meaningful unless an LFU policy is
    /// selected.
    pub fn idle_seconds(&self, now_ms: i64) -> u32 {
        lfu::seconds(now_ms).saturating_sub(self.value.clock().get())
    }

    /// The access frequency counter, decayed to now (`OBJECT FREQ`), meaningful under an LFU
    /// policy.
    pub fn frequency(&self, now_ms: i64) -> u8 {
        lfu::frequency(self.value.clock().get(), now_ms)
    }

    /// Sets the access frequency counter (`RESTORE ... FREQ`, an RDB file's `FREQ` opcode), as
    /// Redis's `objectSetLRUOrLFU`.
    pub fn set_frequency(&self, counter: u8, now_ms: i64) {
        self.value
            .clock()
            .store(lfu::clock_with_frequency(counter, now_ms));
    }

    /// Sets the idle time (`RESTORE ... IDLETIME`, an RDB file's `IDLE` opcode).
    pub fn set_idle_seconds(&self, idle: u32, now_ms: i64) {
        self.value
            .clock()
            .store(lfu::seconds(now_ms).saturating_sub(idle));
    }

    /// A copy with a fresh access time (`COPY`).
    pub fn duplicate(&self, now_ms: i64) -> Entry {
        Entry::new(self.value.clone(), now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_and_its_clock_fit_in_three_words() {
        assert_eq!(size_of::<Str>(), 24);
        assert_eq!(size_of::<Value>(), 24, "collections are boxed");
        assert_eq!(size_of::<Value>(), 24);
        assert_eq!(size_of::<Entry>(), 24);
    }

    #[test]
    fn short_strings_are_inline_and_long_ones_are_not() {
        assert!(matches!(
            Str::new(&[b'x'; INLINE_CAPACITY]),
            Str::Inline { .. }
        ));
        assert!(matches!(
            Str::new(&[b'x'; INLINE_CAPACITY + 1]),
            Str::Heap { .. }
        ));
        assert_eq!(Str::new(&[7; 30]).as_bytes(), &[7; 30]);
    }

    #[test]
    fn growing_a_string_keeps_its_access_time() {
        let mut entry = Entry::new(Value::string(b"a"), 10_000);
        entry.value_mut().as_string_mut().unwrap().append(b"b");
        assert_eq!(entry.idle_seconds(13_000), 3);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Str::new(b"12345").encoding(), "int");
        assert_eq!(Str::new(b"-1").encoding(), "int");
        assert_eq!(Str::new(b"012").encoding(), "embstr");
        assert_eq!(Str::new(b"hello").encoding(), "embstr");
        assert_eq!(Str::new(&[b'x'; 44]).encoding(), "embstr");
        assert_eq!(Str::new(&[b'x'; 45]).encoding(), "raw");
        let mut appended = Str::new(b"1");
        appended.append(b"2");
        assert_eq!(appended.encoding(), "raw");
        assert_eq!(appended.as_bytes(), b"12");
        let float = Value::float_string(b"5200");
        let float = float.as_string().unwrap();
        assert_eq!(
            float.encoding(),
            "embstr",
            "INCRBYFLOAT results are never int"
        );
        assert_eq!(Value::float_string(b"9").refcount(), 1);
        assert_eq!(
            Value::float_string(&[b'1'; 45])
                .as_string()
                .unwrap()
                .encoding(),
            "raw"
        );
    }

    #[test]
    fn small_non_negative_integers_count_as_shared() {
        let refcount = |text: &[u8]| Value::string(text).refcount();
        assert_eq!(refcount(b"0"), i64::from(i32::MAX));
        assert_eq!(refcount(b"9999"), i64::from(i32::MAX));
        assert_eq!(refcount(b"10000"), 1);
        assert_eq!(refcount(b"-1"), 1);
        assert_eq!(refcount(b"05"), 1);
        assert_eq!(refcount(b"hello"), 1);
        let mut appended = Value::string(b"5");
        appended.as_string_mut().unwrap().append(b"");
        assert_eq!(appended.refcount(), 1, "a string changed in place is raw");
    }

    #[test]
    fn set_range_pads_with_zero_bytes() {
        let mut s = Str::new(b"ab");
        s.set_range(4, b"cd");
        assert_eq!(s.as_bytes(), b"ab\0\0cd");
        s.set_range(1, b"X");
        assert_eq!(s.as_bytes(), b"aX\0\0cd");
    }

    #[test]
    fn grown_to_pads_in_place_and_makes_the_string_raw() {
        let mut s = Str::new(b"7");
        assert_eq!(s.grown_to(3), b"7\0\0");
        assert_eq!(
            s.encoding(),
            "raw",
            "as Redis unshares a string it writes bits into"
        );
        s.grown_to(2)[1] = b'x';
        assert_eq!(s.as_bytes(), b"7x\0", "never shrinks");
        let Str::Growable { bytes, .. } = &s else {
            panic!("growable")
        };
        assert_eq!(bytes.capacity(), 6, "twice the length below 1 MB");
        assert_eq!(Str::raw(b"1".to_vec()).encoding(), "raw");
    }

    #[test]
    fn idle_time_counts_from_the_last_touch() {
        let entry = Entry::new(Value::string(b"v"), 10_000);
        assert_eq!(entry.idle_seconds(15_500), 5);
        entry.touch(15_500);
        assert_eq!(entry.idle_seconds(16_000), 1);
    }
}
