//! RDB files built byte by byte, the way the course's tester writes them (hdt3213/rdb's encoder),
//! for the RDB stages and the damaged-file tests:
//!
//! ```text
//! 52 45 44 49 53 30 30 31 31                 "REDIS0011"
//! FA 09 "redis-ver" 05 "7.2.0"               AUX redis-ver
//! FA 0A "redis-bits" C0 40                   AUX redis-bits = 64 (an 8-bit integer string)
//! FE 00                                      SELECTDB 0
//! FB 02 01                                   RESIZEDB: 2 keys, 1 with an expiry
//! 00 03 "foo" 03 "bar"                       a string key
//! FC <8 bytes, little-endian ms> 00 ...      a string key with an expiry
//! FF <8 bytes, little-endian CRC-64>         EOF and the checksum of everything before
//! ```

/// One string key: name, value, expiry time in Unix milliseconds.
pub type Record<'a> = (&'a str, &'a str, Option<i64>);

pub struct RdbFile {
    bytes: Vec<u8>,
}

impl RdbFile {
    /// The header of an RDB file of `version`, with the tester's two AUX fields.
    pub fn new(version: u32) -> RdbFile {
        let mut bytes = format!("REDIS{version:04}").into_bytes();
        bytes.push(0xFA);
        push_string(&mut bytes, b"redis-ver");
        push_string(&mut bytes, b"7.2.0");
        bytes.push(0xFA);
        push_string(&mut bytes, b"redis-bits");
        bytes.extend_from_slice(&[0xC0, 64]);
        RdbFile { bytes }
    }

    /// A database and its string keys.
    pub fn db(mut self, index: u8, records: &[Record]) -> RdbFile {
        let volatile = records.iter().filter(|(_, _, at)| at.is_some()).count();
        self.bytes
            .extend_from_slice(&[0xFE, index, 0xFB, records.len() as u8, volatile as u8]);
        for (key, value, expires) in records {
            if let Some(at) = expires {
                self.bytes.push(0xFC);
                self.bytes.extend_from_slice(&at.to_le_bytes());
            }
            self.bytes.push(0x00);
            push_string(&mut self.bytes, key.as_bytes());
            push_string(&mut self.bytes, value.as_bytes());
        }
        self
    }

    /// Raw bytes where a key record would go (a value type thredis does not have...).
    pub fn raw(mut self, bytes: &[u8]) -> RdbFile {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// EOF and the CRC-64 trailer.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.push(0xFF);
        let crc = thredis::persistence::crc64::update(0, &self.bytes);
        self.bytes.extend_from_slice(&crc.to_le_bytes());
        self.bytes
    }
}

/// A string with a one-byte length (shorter than 64 bytes, as every string in these tests).
pub fn push_string(out: &mut Vec<u8>, bytes: &[u8]) {
    assert!(bytes.len() < 64);
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

/// 2022-01-01 and 2032-01-01, the expiry times of the course's stage 13, in Unix ms.
pub const PAST: i64 = 1_640_995_200_000;
pub const FUTURE: i64 = 1_956_528_000_000;
