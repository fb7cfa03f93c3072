//! `Bytes`: an immutable byte string that keeps up to 22 bytes inline and boxes longer ones: the
//! type of keys. With string values inlined the same way (`Str` in value.rs), the common
//! `key:000000000042` → 16-byte value pair costs no heap allocation at all, only its slot in the
//! hash table.
//!
//! Why it matters: the keyspace is a `HashMap<Bytes, Entry>` and its slots are as wide as the
//! key plus the entry. A `Vec<u8>` key would be 24 bytes of pointer, capacity and length *plus*
//! a separate allocation (32 bytes with glibc for a 16-byte key). Inline storage is how thredis
//! stays at or below Redis's memory per key (see the README's Performance section).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The longest content stored inline: 24 bytes minus the variant tag and the length byte.
pub const INLINE_CAPACITY: usize = 22;

#[derive(Clone)]
pub struct Bytes(Repr);

#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        data: [u8; INLINE_CAPACITY],
    },
    Heap(Box<[u8]>),
}

impl Bytes {
    pub fn new(content: &[u8]) -> Bytes {
        if content.len() <= INLINE_CAPACITY {
            let mut data = [0; INLINE_CAPACITY];
            data[..content.len()].copy_from_slice(content);
            Bytes(Repr::Inline {
                len: content.len() as u8,
                data,
            })
        } else {
            Bytes(Repr::Heap(content.into()))
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..*len as usize],
            Repr::Heap(boxed) => boxed,
        }
    }

    /// Heap bytes this value owns beyond its own 24 (for memory reporting).
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(boxed) => boxed.len(),
        }
    }
}

impl From<&[u8]> for Bytes {
    fn from(content: &[u8]) -> Self {
        Bytes::new(content)
    }
}

impl From<Vec<u8>> for Bytes {
    /// Reuses the vector's allocation when the content is too long to inline.
    fn from(content: Vec<u8>) -> Self {
        if content.len() <= INLINE_CAPACITY {
            Bytes::new(&content)
        } else {
            Bytes(Repr::Heap(content.into_boxed_slice()))
        }
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Lets a `HashMap<Bytes, _>` be searched with the `&[u8]` straight out of a request, without
/// building a `Bytes` first.
impl Borrow<[u8]> for Bytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Must hash exactly as `[u8]` does, or lookups through `Borrow<[u8]>` would miss.
impl Hash for Bytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes {}

impl PartialOrd for Bytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn is_three_words_wide() {
        assert_eq!(size_of::<Bytes>(), 24);
    }

    #[test]
    fn short_and_long_content_round_trip() {
        for len in [0, 1, 16, INLINE_CAPACITY, INLINE_CAPACITY + 1, 1000] {
            let content: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(Bytes::new(&content).as_slice(), &content[..]);
            assert_eq!(Bytes::from(content.clone()).as_slice(), &content[..]);
        }
        assert_eq!(Bytes::new(&[7; 16]).heap_size(), 0);
        assert_eq!(Bytes::new(&[7; 30]).heap_size(), 30);
    }

    #[test]
    fn maps_keyed_by_bytes_are_searched_with_slices() {
        let mut map = HashMap::new();
        map.insert(Bytes::new(b"short"), 1);
        map.insert(Bytes::new(&[b'x'; 40]), 2);
        assert_eq!(map.get(&b"short"[..]), Some(&1));
        assert_eq!(map.get(&[b'x'; 40][..]), Some(&2));
        assert_eq!(map.get(&b"missing"[..]), None);
    }
}
