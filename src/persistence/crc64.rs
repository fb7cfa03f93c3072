//! CRC-64 as Redis computes it for the RDB trailer: the "Jones" polynomial
//! `0xad93d23594c935a9`, reflected input and output, starting from 0 and with no final xor
//! (Redis's `crc64(0, buf, len)`, crc64.c). An RDB file ends with this checksum of every byte
//! before it, little-endian; 0 means the writer did not compute one.
//!
//! Table-driven, eight bytes at a time ("slice-by-8"): a save checksums the whole file, so the
//! byte-at-a-time loop would cost more than writing it.

/// The polynomial, bit-reversed for the reflected (least significant bit first) algorithm.
const REFLECTED_POLY: u64 = 0x95ac_9329_ac4b_c9b5;

/// `TABLES[0]` is the classic one-byte table; `TABLES[k][b]` is the CRC of byte `b` followed by
/// `k` zero bytes, which lets eight table lookups consume eight bytes.
static TABLES: [[u64; 256]; 8] = build_tables();

const fn build_tables() -> [[u64; 256]; 8] {
    let mut tables = [[0u64; 256]; 8];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ REFLECTED_POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][byte] = crc;
        byte += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut byte = 0;
        while byte < 256 {
            let previous = tables[k - 1][byte];
            tables[k][byte] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            byte += 1;
        }
        k += 1;
    }
    tables
}

/// Continues `crc` over `bytes`: `update(update(0, a), b) == update(0, a ++ b)`.
pub fn update(mut crc: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = crc ^ u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        crc = TABLES[7][(word & 0xff) as usize]
            ^ TABLES[6][((word >> 8) & 0xff) as usize]
            ^ TABLES[5][((word >> 16) & 0xff) as usize]
            ^ TABLES[4][((word >> 24) & 0xff) as usize]
            ^ TABLES[3][((word >> 32) & 0xff) as usize]
            ^ TABLES[2][((word >> 40) & 0xff) as usize]
            ^ TABLES[1][((word >> 48) & 0xff) as usize]
            ^ TABLES[0][(word >> 56) as usize];
    }
    for &byte in chunks.remainder() {
        crc = TABLES[0][((crc ^ u64::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time definition, to check the fast path against.
    fn bitwise(bytes: &[u8]) -> u64 {
        let mut crc = 0u64;
        for &byte in bytes {
            crc ^= u64::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ REFLECTED_POLY
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn matches_the_check_value_redis_tests_against() {
        // crc64.c's own test: crc64(0, "123456789", 9) == e9c6d914c4b8d9ca.
        assert_eq!(update(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(update(0, b""), 0);
    }

    #[test]
    fn the_sliced_loop_agrees_with_the_bitwise_definition_at_every_length() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 131 + 7) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(
                update(0, &data[..len]),
                bitwise(&data[..len]),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn updates_chain() {
        let data = b"REDIS0010\xfa\x09redis-ver\x067.0.15";
        for split in 0..data.len() {
            let (a, b) = data.split_at(split);
            assert_eq!(update(update(0, a), b), update(0, data));
        }
    }
}
