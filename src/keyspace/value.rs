//! What a key holds: [`Value`], one variant per Redis type, and [`Entry`], a value plus its last
//! access time (for `OBJECT IDLETIME`, `TOUCH` and `CLIENT NO-TOUCH`).
//!
//! Strings are the only type so far; lists, hashes, sets, sorted sets and streams each become a
//! variant here, and every command that meets a value of the wrong variant answers `WRONGTYPE`
//! through [`Value::as_string`] and its future siblings.

use std::sync::atomic::{AtomicU32, Ordering};

use super::bytes::Bytes;
use crate::number;

/// A value of the wrong type for the command: the caller replies `WRONGTYPE ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

#[derive(Clone, Debug)]
pub enum Value {
    String(Str),
}

impl Value {
    /// The name `TYPE` reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
        }
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::String(s) => s.encoding(),
        }
    }

    /// The reference count `OBJECT REFCOUNT` reports, as Redis would. Redis keeps one shared
    /// object for each integer in `0..10000` (`OBJ_SHARED_INTEGERS`) and stores it under every
    /// key set to that number; shared objects report `INT_MAX`. Everything else has one owner.
    pub fn refcount(&self) -> i64 {
        match self {
            Value::String(s) if s.is_shared_integer() => i64::from(i32::MAX),
            Value::String(_) => 1,
        }
    }

    pub fn as_string(&self) -> Result<&Str, WrongType> {
        match self {
            Value::String(s) => Ok(s),
        }
    }

    pub fn as_string_mut(&mut self) -> Result<&mut Str, WrongType> {
        match self {
            Value::String(s) => Ok(s),
        }
    }

    pub fn string(content: &[u8]) -> Value {
        Value::String(Str::new(content))
    }

    /// The text of a number `INCRBYFLOAT` computed (see [`Str::Float`]).
    pub fn float_string(text: &[u8]) -> Value {
        Value::String(Str::Float(text.into()))
    }
}

/// A string value. Most strings are written whole (SET) and never grow, so they are stored as
/// compact [`Bytes`]. A string that `APPEND` or `SETRANGE` modifies becomes growable, with spare
/// capacity, so repeated appends cost amortized O(1) instead of a copy each: the same split as
/// Redis's `embstr` and `raw` encodings.
#[derive(Clone, Debug)]
pub enum Str {
    Fixed(Bytes),
    Growable(Box<Vec<u8>>),
    /// The text of a number `INCRBYFLOAT` computed. Redis stores it as it printed it and never
    /// as an `int`, even when it reads as one (`5200`): `OBJECT ENCODING` says `embstr` and
    /// `OBJECT REFCOUNT` 1, where a `SET` of the same text says `int` and shared.
    Float(Box<[u8]>),
}

/// Redis keeps strings up to this length in one allocation with their header (`embstr`).
const EMBSTR_MAX: usize = 44;

impl Str {
    pub fn new(content: &[u8]) -> Str {
        Str::Fixed(Bytes::new(content))
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Fixed(bytes) => bytes,
            Str::Growable(vec) => vec,
            Str::Float(text) => text,
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
        match self {
            Str::Growable(_) => "raw",
            Str::Fixed(bytes) if bytes.len() <= 20 && number::parse_i64(bytes).is_some() => "int",
            Str::Fixed(_) | Str::Float(_) if self.len() <= EMBSTR_MAX => "embstr",
            Str::Fixed(_) | Str::Float(_) => "raw",
        }
    }

    /// Whether Redis would store this string as one of its shared integers: `int`-encoded and in
    /// `0..10000`.
    fn is_shared_integer(&self) -> bool {
        self.encoding() == "int" && self.to_i64().is_some_and(|n| (0..10_000).contains(&n))
    }

    /// Switches to the growable form, keeping the content, and returns it.
    fn growable(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Growable(_)) {
            *self = Str::Growable(Box::new(self.as_bytes().to_vec()));
        }
        match self {
            Str::Growable(vec) => vec,
            Str::Fixed(_) | Str::Float(_) => unreachable!("converted just above"),
        }
    }

    pub fn append(&mut self, tail: &[u8]) {
        self.growable().extend_from_slice(tail);
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

/// A value and when it was last read or written, in seconds since the Unix epoch. The time is
/// atomic because reads update it under the keyspace's *shared* lock.
#[derive(Debug)]
pub struct Entry {
    value: Value,
    last_access: AtomicU32,
}

impl Entry {
    pub fn new(value: Value, now_ms: i64) -> Entry {
        Entry {
            value,
            last_access: AtomicU32::new(seconds(now_ms)),
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

    /// Records an access. Skips the store when the second has not changed, so a hot key read
    /// from many threads does not bounce its cache line between cores on every read.
    pub fn touch(&self, now_ms: i64) {
        let now = seconds(now_ms);
        if self.last_access.load(Ordering::Relaxed) != now {
            self.last_access.store(now, Ordering::Relaxed);
        }
    }

    /// Seconds since the last access (`OBJECT IDLETIME`).
    pub fn idle_seconds(&self, now_ms: i64) -> u32 {
        seconds(now_ms).saturating_sub(self.last_access.load(Ordering::Relaxed))
    }

    /// A copy with a fresh access time (`COPY`).
    pub fn duplicate(&self, now_ms: i64) -> Entry {
        Entry::new(self.value.clone(), now_ms)
    }
}

fn seconds(now_ms: i64) -> u32 {
    (now_ms / 1000).clamp(0, u32::MAX as i64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_value_fits_in_three_words() {
        assert_eq!(size_of::<Str>(), 24);
        assert_eq!(size_of::<Value>(), 24);
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
        let Value::String(float) = Value::float_string(b"5200");
        assert_eq!(
            float.encoding(),
            "embstr",
            "INCRBYFLOAT results are never int"
        );
        assert_eq!(Value::float_string(b"9").refcount(), 1);
        assert_eq!(Str::Float(vec![b'1'; 45].into()).encoding(), "raw");
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
    fn idle_time_counts_from_the_last_touch() {
        let entry = Entry::new(Value::string(b"v"), 10_000);
        assert_eq!(entry.idle_seconds(15_500), 5);
        entry.touch(15_500);
        assert_eq!(entry.idle_seconds(16_000), 1);
    }
}
