//! DUMP payloads (cluster.c's `createDumpPayload` and `verifyDumpPayload`): one value in its RDB
//! encoding, framed so that RESTORE can tell a payload it can read from anything else.
//!
//! ```text
//! <type> <value>          exactly as an RDB file stores a key's value (save.rs, load.rs)
//! <version, 2 bytes LE>   the RDB version of the writer (10: Redis 7.0)
//! <CRC-64, 8 bytes LE>    of everything before it, as an RDB file's trailer
//! ```

use super::load::{LoadOptions, decode_value};
use super::save::encode_value;
use super::{WRITE_VERSION, types};
use crate::keyspace::Value;
use crate::persistence::crc64;

/// The version and checksum after the value.
const FOOTER: usize = 10;

/// Why a payload is not restored.
#[derive(Debug)]
pub enum Refused {
    /// Too short for its footer, written by a newer RDB version than thredis writes, or its
    /// checksum is wrong (`ERR DUMP payload version or checksum are wrong`).
    VersionOrChecksum,
    /// The checksum is right but the bytes are not a value (`ERR Bad data format`): what is
    /// wrong, for the log.
    BadData(String),
}

/// The DUMP payload of `value` (`compress`: `rdbcompression`, which Redis's DUMP follows too).
pub fn create(value: &Value, compress: bool) -> Vec<u8> {
    let mut payload = vec![0];
    payload[0] = encode_value(&mut payload, value, compress);
    frame(payload)
}

/// Appends the footer to `body` (also FUNCTION DUMP's, whose body is function records).
pub fn frame(mut body: Vec<u8>) -> Vec<u8> {
    body.extend_from_slice(&(WRITE_VERSION as u16).to_le_bytes());
    let crc = crc64::update(0, &body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// Reads the value of a DUMP payload: the footer first (the checksum only if
/// `verify_checksum`, which `DEBUG SET-SKIP-CHECKSUM-VALIDATION` turns off), then the value,
/// checked as `options` say. `key` names it in errors.
pub fn read(
    payload: &[u8],
    key: &[u8],
    verify_checksum: bool,
    options: LoadOptions,
) -> Result<Value, Refused> {
    let body = verified_body(payload, verify_checksum).ok_or(Refused::VersionOrChecksum)?;
    let Some((&kind, value)) = body.split_first() else {
        return Err(Refused::BadData("Empty DUMP payload".into()));
    };
    // Redis 7.0 knows the types up to this one (`rdbLoadObjectType`); 7.2's newer ones come in
    // version 11 payloads, refused above.
    if kind > types::STREAM_LISTPACKS_2 {
        return Err(Refused::BadData(format!(
            "Unknown RDB encoding type {kind}"
        )));
    }
    match decode_value(kind, value, key, options) {
        Ok(Some(value)) => Ok(value),
        // Redis's `rdbLoadObject` refuses an empty collection (`RDB_LOAD_ERR_EMPTY_KEY`).
        Ok(None) => Err(Refused::BadData("Empty keys skipped".into())),
        Err(error) => Err(Refused::BadData(error.describe())),
    }
}

/// The payload without its footer, if the footer is right (also FUNCTION RESTORE's check).
pub fn verified_body(payload: &[u8], verify_checksum: bool) -> Option<&[u8]> {
    let body_len = payload.len().checked_sub(FOOTER)?;
    let (body, footer) = payload.split_at(body_len);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if u32::from(version) > WRITE_VERSION {
        return None;
    }
    let crc = u64::from_le_bytes(footer[2..].try_into().expect("eight bytes"));
    let checked = !verify_checksum || crc64::update(0, &payload[..body_len + 2]) == crc;
    checked.then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{hash, set, zset};
    use crate::persistence::rdb::compact::Integrity;

    fn options(integrity: Integrity) -> LoadOptions {
        LoadOptions {
            now_ms: 0,
            keep_expired: true,
            record_expired: false,
            verify_checksum: true,
            replace_existing: false,
            hash_limits: hash::Limits::default(),
            set_limits: set::Limits::default(),
            zset_limits: zset::Limits::default(),
            integrity,
        }
    }

    fn restored(payload: &[u8]) -> Result<Value, Refused> {
        read(payload, b"k", true, options(Integrity::Deep))
    }

    /// `payload` with its checksum recomputed, so a damaged value reaches the parser.
    fn rechecksummed(mut payload: Vec<u8>) -> Vec<u8> {
        let end = payload.len() - 8;
        let crc = crc64::update(0, &payload[..end]);
        payload[end..].copy_from_slice(&crc.to_le_bytes());
        payload
    }

    #[test]
    fn a_string_payload_is_byte_for_byte_what_redis_dumps() {
        // `SET foo bar` then `DUMP foo` on redis-server 7.0.15.
        let redis = b"\x00\x03bar\x0a\x00\xe6\xbe\x49\x60\xee\x66\xfd\x17";
        assert_eq!(create(&Value::string(b"bar"), true), redis);
        let value = restored(redis).unwrap();
        assert_eq!(value.as_string().unwrap().as_bytes(), b"bar");
    }

    #[test]
    fn a_wrong_footer_is_refused_before_the_value_is_read() {
        let good = create(&Value::string(b"12345"), true);
        assert!(restored(&good).is_ok());
        for short in 0..10 {
            assert!(matches!(
                restored(&good[..short]),
                Err(Refused::VersionOrChecksum)
            ));
        }
        let mut newer = good.clone();
        newer[good.len() - 10] = 11;
        assert!(matches!(
            restored(&rechecksummed(newer)),
            Err(Refused::VersionOrChecksum)
        ));
        let mut older = good.clone();
        older[good.len() - 10] = 9;
        assert!(
            restored(&rechecksummed(older)).is_ok(),
            "older versions are read"
        );
        let mut flipped = good.clone();
        flipped[1] ^= 1;
        assert!(matches!(
            restored(&flipped),
            Err(Refused::VersionOrChecksum)
        ));
        assert!(read(&flipped, b"k", false, options(Integrity::Deep)).is_ok());
    }

    #[test]
    fn damage_with_a_right_checksum_is_bad_data() {
        // A string claiming 2^60 bytes: refused without allocating them.
        let mut huge = vec![0, 0x81];
        huge.extend_from_slice(&(1u64 << 60).to_be_bytes());
        huge.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(
            restored(&rechecksummed(huge)),
            Err(Refused::BadData(_))
        ));
        let empty_body = rechecksummed(vec![10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(restored(&empty_body), Err(Refused::BadData(_))));
        let opcode = rechecksummed(vec![0xFF, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(restored(&opcode), Err(Refused::BadData(_))));
        // A Redis 7.2 set listpack in a version 10 payload: a type Redis 7.0 does not know.
        let mut set_listpack = vec![types::SET_LISTPACK, 8, 8, 0, 0, 0, 1, 0, 1, 1, 0xFF];
        set_listpack.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let refused = restored(&rechecksummed(set_listpack));
        assert!(matches!(refused, Err(Refused::BadData(_))), "{refused:?}");
    }

    #[test]
    fn a_repeated_field_is_refused_unchecked_only_if_the_listpack_is_converted() {
        // Redis's corrupt-dump test: a hash listpack with the field "a\0" twice.
        let payload = b"\x10\x17\x17\x00\x00\x00\x04\x00\x82\x61\x00\x03\x82\x62\x00\x03\x82\x61\x00\x03\x82\x64\x00\x03\xff\x0a\x00\xc0\xcf\xa6\x87\xe5\xa7\xc5\xbe";
        let shallow = options(Integrity::Shallow);
        let kept = read(payload, b"k", true, shallow).unwrap();
        assert_eq!(kept.as_hash().unwrap().len(), 1, "merged");
        let converted = LoadOptions {
            hash_limits: hash::Limits {
                max_entries: 1,
                max_value: 64,
            },
            ..shallow
        };
        let refused = read(payload, b"k", true, converted);
        assert!(
            matches!(&refused, Err(Refused::BadData(reason)) if reason.contains("listpack with dup elements")),
            "{refused:?}"
        );
        assert!(matches!(restored(payload), Err(Refused::BadData(_))));
    }

    #[test]
    fn only_a_deep_check_refuses_an_unsorted_intset() {
        // An intset of 16-bit integers 5, 2: sorted wrongly, otherwise well formed.
        let mut payload = vec![11, 12, 2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 2, 0];
        payload.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let payload = rechecksummed(payload);
        assert!(
            matches!(restored(&payload), Err(Refused::BadData(reason)) if reason.contains("Intset"))
        );
        let value = read(&payload, b"k", true, options(Integrity::Shallow)).unwrap();
        assert_eq!(value.as_set().unwrap().len(), 2);
    }
}
