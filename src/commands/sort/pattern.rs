//! SORT's patterns, for `BY` and `GET` (Redis's `lookupKeyByPattern`): `#` stands for the
//! element itself; otherwise the first `*` is replaced by the element to name a key, whose
//! string value is the result, or, with `->field` after that `*`, the field of the hash stored
//! there. A pattern without `*` names no key at all.

use super::super::Ctx;
use crate::keyspace::{Db, Value};

/// A parsed pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern<'a> {
    /// `#`: the element.
    Element,
    /// No `*`: Redis finds nothing for any element (a constant key is not looked up).
    Constant,
    /// `prefix*suffix`, or `prefix*suffix->field`.
    Key {
        prefix: &'a [u8],
        suffix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

impl<'a> Pattern<'a> {
    pub fn parse(pattern: &'a [u8]) -> Pattern<'a> {
        if pattern == b"#" {
            return Pattern::Element;
        }
        let Some(star) = pattern.iter().position(|&b| b == b'*') else {
            return Pattern::Constant;
        };
        let (prefix, rest) = (&pattern[..star], &pattern[star + 1..]);
        // Only an arrow after the `*` with a field name after it dereferences a hash: a
        // pattern ending in `->` names a key ending in `->`, as in Redis.
        let arrow = rest
            .windows(2)
            .position(|pair| pair == b"->")
            .filter(|&at| at + 2 < rest.len());
        match arrow {
            Some(at) => Pattern::Key {
                prefix,
                suffix: &rest[..at],
                field: Some(&rest[at + 2..]),
            },
            None => Pattern::Key {
                prefix,
                suffix: rest,
                field: None,
            },
        }
    }

    /// Whether the pattern names a different key for each element: a `BY` pattern that does
    /// not skips sorting (Redis's `dontsort`, `BY nosort`).
    pub fn varies(self) -> bool {
        matches!(self, Pattern::Key { .. })
    }

    /// The value the pattern finds for `element`: a missing key, a value of the wrong type or
    /// a missing field all find nothing (never WRONGTYPE). The key is looked up as a read,
    /// counting a hit or a miss.
    pub fn lookup<'d>(self, ctx: &Ctx, db: &'d Db, element: &'d [u8]) -> Option<&'d [u8]> {
        let (prefix, suffix, field) = match self {
            Pattern::Element => return Some(element),
            Pattern::Constant => return None,
            Pattern::Key {
                prefix,
                suffix,
                field,
            } => (prefix, suffix, field),
        };
        let key = [prefix, element, suffix].concat();
        let value = ctx.read_key(db, &key)?.value();
        match (value, field) {
            (Value::String(string), None) => Some(string.as_bytes()),
            (Value::Hash { hash, .. }, Some(field)) => hash.get(field).map(|v| v.as_slice()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_as_redis_reads_them() {
        assert_eq!(Pattern::parse(b"#"), Pattern::Element);
        assert_eq!(Pattern::parse(b"nosort"), Pattern::Constant);
        assert_eq!(
            Pattern::parse(b"w_*_x"),
            Pattern::Key {
                prefix: b"w_",
                suffix: b"_x",
                field: None
            }
        );
        assert_eq!(
            Pattern::parse(b"o_*->f*ld"),
            Pattern::Key {
                prefix: b"o_",
                suffix: b"",
                field: Some(b"f*ld")
            }
        );
        // Only the first `*` is replaced; an arrow with no field after it stays in the key.
        assert_eq!(
            Pattern::parse(b"x:*->"),
            Pattern::Key {
                prefix: b"x:",
                suffix: b"->",
                field: None
            }
        );
        assert_eq!(
            Pattern::parse(b"a->b*c"),
            Pattern::Key {
                prefix: b"a->b",
                suffix: b"c",
                field: None
            }
        );
        assert!(!Pattern::parse(b"#").varies() && Pattern::parse(b"*").varies());
    }
}
