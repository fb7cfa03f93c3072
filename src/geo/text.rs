//! How GEO replies print what the index holds: the standard 11-character geohash string
//! (`GEOHASH`), distances with 4 decimals (`GEODIST`, `WITHDIST`) and coordinates in Redis's
//! "human" format (`GEOPOS`, `WITHCOORD`).

use super::hash::{self, Range, STEP_MAX};

/// The geohash alphabet: base 32 without `a`, `i`, `l` and `o`.
const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The standard geohash string of the position a score stands for (geo.c's `geohashCommand`).
/// Redis's grid stops at ±85.05112878 of latitude while the standard one spans ±90, so the
/// position is decoded and encoded again on the standard grid. 52 bits make 10 characters and
/// two bits to spare; the 11th character, kept for compatibility, is always `0`.
pub fn geohash_string(score: f64) -> [u8; 11] {
    let (lon, lat) = hash::decode_score(score);
    let standard_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    // A decoded position is clamped to Redis's limits, so it always encodes.
    let bits =
        hash::encode(hash::WGS84_LON, standard_lat, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut text = [b'0'; 11];
    for (i, c) in text.iter_mut().take(10).enumerate() {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    text
}

/// A distance with exactly 4 decimals, rounded half to even as Redis's `fixedpoint_d2string`
/// (`llrint` of the value times 10^4): "5.2145", not "5.2144992818115".
pub fn distance_text(d: f64) -> String {
    let scaled = (d * 10_000.0).round_ties_even();
    if scaled < 0.0 {
        // Distances are never negative; keep the sign rather than print nonsense.
        let v = (-scaled) as u64;
        return format!("-{}.{:04}", v / 10_000, v % 10_000);
    }
    let v = scaled as u64;
    format!("{}.{:04}", v / 10_000, v % 10_000)
}

/// A coordinate as Redis's `addReplyHumanLongDouble` prints it: `%.17Lf` of the value (a double
/// widened to `long double`, so the same digits as `%.17f`), trailing zeros and a bare point
/// removed, and `-0` written `0`.
pub fn coordinate_text(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let text = format!("{x:.17}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::hash::tests::REDIS;

    #[test]
    fn geohash_strings_match_redis() {
        // `GEOHASH` on redis-server 7.0.15, for the members of `hash::tests::REDIS`.
        let expected = [
            "sqc8b49rny0",
            "sqdtr74hyu0",
            "s0000000000",
            "bp05b5048p0",
            "00bh0hbj200",
            "gcpvj0duq50",
            "u09tvw0f640",
            "dr5regw3pp0",
            "xn774c06kt0",
            "r3gx2f77bj0",
            "bp0581b0bh0",
            "pbzurypzpg0",
            "kpbpbpbpbp0",
        ];
        for (&(_, _, score, _, _), text) in REDIS.iter().zip(expected) {
            assert_eq!(geohash_string(score as f64), text.as_bytes(), "{score}");
        }
        // Scores a client set with ZADD: -1 clamps to the top corner, 1.5 truncates to 1.
        assert_eq!(&geohash_string(-1.0), b"bp05b5048p0");
        assert_eq!(&geohash_string(1.5), b"00bh0hbj210");
    }

    #[test]
    fn coordinates_print_as_redis() {
        for &(_, _, score, lon, lat) in REDIS {
            let (x, y) = hash::decode_score(score as f64);
            assert_eq!(
                (coordinate_text(x).as_str(), coordinate_text(y).as_str()),
                (lon, lat)
            );
        }
        assert_eq!(coordinate_text(-0.0), "0");
        assert_eq!(coordinate_text(-1e-30), "0");
        assert_eq!(coordinate_text(2.5), "2.5");
    }

    #[test]
    fn distances_have_four_decimals() {
        assert_eq!(distance_text(0.0), "0.0000");
        assert_eq!(distance_text(0.00004), "0.0000");
        assert_eq!(distance_text(0.0005), "0.0005");
        assert_eq!(distance_text(166274.15156960033), "166274.1516");
        assert_eq!(distance_text(12.0), "12.0000");
    }
}
