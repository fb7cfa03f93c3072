//! Redis's interleaved geohash (geohash.c): a longitude and a latitude, each cut into `step`
//! bits by halving its range, woven together with longitude on the odd bits and latitude on the
//! even ones. At step 26 (52 bits, exact in a double) it is a member's sorted-set score.
//!
//! Redis indexes latitudes only within ±85.05112878 (the Web Mercator limit) and longitudes
//! within ±180, so the score grid is not the standard geohash grid; [`super::text`] re-encodes
//! with ±90 for the `GEOHASH` string.

/// The resolution of a score: 26 bits per coordinate, 52 in all.
pub const STEP_MAX: u8 = 26;

pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;

/// A closed interval of degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The longitudes Redis indexes.
pub const WGS84_LON: Range = Range {
    min: LON_MIN,
    max: LON_MAX,
};
/// The latitudes Redis indexes.
pub const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A geohash of `step` bits per coordinate (Redis's `GeoHashBits`). The all-zero value (step 0)
/// marks a neighbour a search skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GeoHash {
    pub bits: u64,
    pub step: u8,
}

impl GeoHash {
    /// "No cell": what a search puts in place of a neighbour it need not visit.
    pub const NONE: GeoHash = GeoHash { bits: 0, step: 0 };

    pub fn is_none(self) -> bool {
        self == GeoHash::NONE
    }

    /// The hash shifted up to 52 bits, the scale of scores (`geohashAlign52Bits`): the first
    /// score of the cell's range.
    pub fn align52(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

/// The cell a geohash names: its longitude and latitude ranges (Redis's `GeoHashArea`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub lon: Range,
    pub lat: Range,
}

/// Spreads the 32 bits of `v` to the even bits of a u64 (bit i goes to bit 2i).
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    x = (x | (x << 1)) & 0x5555_5555_5555_5555;
    x
}

/// The inverse of [`spread`]: gathers the even bits of `x` into 32 bits.
fn gather(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// Latitude on the even bits, longitude on the odd ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// `(lat, lon)` from an interleaved hash: all 64 bits count, so a score beyond 52 bits (one a
/// client set with `ZADD`) decodes to a position outside the grid, which decoding then clamps.
fn deinterleave(bits: u64) -> (u32, u32) {
    (gather(bits), gather(bits >> 1))
}

/// Encodes a position within `lon_range` × `lat_range` (`geohashEncode`). `None` outside them,
/// and outside Redis's limits whatever the ranges (so ±90 still stops at ±85.05112878).
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<GeoHash> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * cells;
    // C converts the offsets to uint32_t by truncation. At the top of a range the offset is
    // exactly 2^step, one past the last cell: Redis keeps that bit (the score of lon 180 has
    // bit 53 set), and so do we.
    Some(GeoHash {
        bits: interleave(lat_offset as u32, lon_offset as u32),
        step,
    })
}

/// Encodes within Redis's limits (`geohashEncodeWGS84`).
pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<GeoHash> {
    encode(WGS84_LON, WGS84_LAT, lon, lat, step)
}

/// The cell of a hash on Redis's grid (`geohashDecode`).
pub fn decode(hash: GeoHash) -> Cell {
    let (ilat, ilon) = deinterleave(hash.bits);
    let cells = (1u64 << hash.step) as f64;
    let edge = |range: Range, i: u32| range.min + (f64::from(i) / cells) * (range.max - range.min);
    // `i + 1` is a uint32_t sum in C: it wraps for the last 32-bit index (a negative score).
    Cell {
        lon: Range {
            min: edge(WGS84_LON, ilon),
            max: edge(WGS84_LON, ilon.wrapping_add(1)),
        },
        lat: Range {
            min: edge(WGS84_LAT, ilat),
            max: edge(WGS84_LAT, ilat.wrapping_add(1)),
        },
    }
}

/// The centre of a cell, clamped to Redis's limits (`geohashDecodeAreaToLongLat`).
pub fn centre(cell: Cell) -> (f64, f64) {
    let lon = ((cell.lon.min + cell.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((cell.lat.min + cell.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The score of a position: its 52-bit hash (what `GEOADD` stores). `None` outside Redis's
/// limits.
pub fn encode_score(lon: f64, lat: f64) -> Option<u64> {
    encode_wgs84(lon, lat, STEP_MAX).map(GeoHash::align52)
}

/// What C's `(uint64_t)score` gives on x86-64, as gcc compiles it: values below 2^63 convert as
/// signed (truncated, so `-1.0` is all ones, and anything below -2^63 is 2^63); values from
/// 2^63 convert after subtracting 2^63; beyond 2^64 (and infinity) the conversion's
/// "indefinite" result cancels out to 0. Scores are whatever `ZADD` put there, so all of these
/// reach `GEOPOS`.
pub fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if score < TWO_63 {
        // `as i64` saturates at i64::MIN below -2^63, which is the indefinite value too.
        (score as i64) as u64
    } else {
        let rest = score - TWO_63;
        if rest < TWO_63 {
            (rest as i64 as u64) ^ (1 << 63)
        } else {
            0
        }
    }
}

/// The position a score stands for: the centre of its cell (Redis's `decodeGeohash`). Any
/// score decodes; those off the grid clamp to its edges.
pub fn decode_score(score: f64) -> (f64, f64) {
    centre(decode(GeoHash {
        bits: score_bits(score),
        step: STEP_MAX,
    }))
}

/// The eight cells around one, at the same step (Redis's `GeoHashNeighbors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbours {
    pub north: GeoHash,
    pub south: GeoHash,
    pub east: GeoHash,
    pub west: GeoHash,
    pub north_east: GeoHash,
    pub north_west: GeoHash,
    pub south_east: GeoHash,
    pub south_west: GeoHash,
}

/// Moves a hash one cell along the coordinate on the bits `mask` selects (odd bits: longitude;
/// even bits: latitude), `+1` or `-1`, wrapping around at the grid's edge. The other
/// coordinate's bits are held at all ones (going down) so the carry or borrow runs through
/// them to the next bit of this coordinate.
fn step_along(hash: GeoHash, mask: u64, up: bool) -> GeoHash {
    let width = 64 - u32::from(hash.step) * 2;
    let this = hash.bits & mask;
    let other = hash.bits & !mask;
    let filler = !mask >> width;
    let moved = if up {
        this.wrapping_add(filler + 1)
    } else {
        (this | filler).wrapping_sub(filler + 1)
    };
    GeoHash {
        bits: (moved & (mask >> width)) | other,
        step: hash.step,
    }
}

const LON_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
const LAT_BITS: u64 = 0x5555_5555_5555_5555;

/// The eight neighbours of `hash` (`geohashNeighbors`).
pub fn neighbours(hash: GeoHash) -> Neighbours {
    let east = |h| step_along(h, LON_BITS, true);
    let west = |h| step_along(h, LON_BITS, false);
    let north = |h| step_along(h, LAT_BITS, true);
    let south = |h| step_along(h, LAT_BITS, false);
    Neighbours {
        north: north(hash),
        south: south(hash),
        east: east(hash),
        west: west(hash),
        north_east: north(east(hash)),
        north_west: north(west(hash)),
        south_east: south(east(hash)),
        south_west: south(west(hash)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `GEOADD k lon lat m`, then `ZSCORE k m` and `GEOPOS k m`, on redis-server 7.0.15.
    pub(crate) const REDIS: &[(f64, f64, u64, &str, &str)] = &[
        (
            13.361389,
            38.115556,
            3479099956230698,
            "13.36138933897018433",
            "38.11555639549629859",
        ),
        (
            15.087269,
            37.502669,
            3479447370796909,
            "15.08726745843887329",
            "37.50266842333162032",
        ),
        (
            0.0,
            0.0,
            3377699720527872,
            "0.00000268220901489",
            "0.00000126736058093",
        ),
        (
            180.0,
            85.05112878,
            13510798882111488,
            "180",
            "85.0511287799999991",
        ),
        (
            -180.0,
            -85.05112878,
            0,
            "-179.99999731779098511",
            "-85.05112751263942528",
        ),
        (
            -0.1278,
            51.5074,
            2163557714755072,
            "-0.12779921293258667",
            "51.50740077990133159",
        ),
        (
            2.3522,
            48.8566,
            3663832779122514,
            "2.35219806432723999",
            "48.8565995303492997",
        ),
        (
            -74.006,
            40.7128,
            1791873974549446,
            "-74.0060010552406311",
            "40.71279898695150479",
        ),
        (
            139.6917,
            35.6895,
            4171231230197045,
            "139.69170123338699341",
            "35.68950126697937009",
        ),
        (
            151.2093,
            -33.8688,
            3252046221964352,
            "151.20929986238479614",
            "-33.86880091934155956",
        ),
        (
            -179.999999,
            85.0,
            1501199601829136,
            "-179.99999731779098511",
            "84.99999965213439168",
        ),
        (
            179.999999,
            -85.0,
            3002400025541359,
            "179.99999731779098511",
            "-84.99999965213439168",
        ),
        (
            0.000001,
            -0.000001,
            2627099782632789,
            "0.00000268220901489",
            "-0.00000126736058093",
        ),
    ];

    #[test]
    fn scores_match_redis_bit_for_bit() {
        for &(lon, lat, score, _, _) in REDIS {
            assert_eq!(encode_score(lon, lat), Some(score), "{lon},{lat}");
        }
    }

    #[test]
    fn positions_outside_the_limits_have_no_hash() {
        assert_eq!(encode_score(180.000001, 0.0), None);
        assert_eq!(encode_score(0.0, 85.05112879), None);
        assert_eq!(encode_score(0.0, -85.06), None);
    }

    #[test]
    fn scores_decode_to_cell_centres_as_redis() {
        // GEOPOS on redis-server, printed with 17 decimals.
        let (lon, lat) = decode_score(3479099956230698.0);
        assert_eq!(
            format!("{lon:.17} {lat:.17}"),
            "13.36138933897018433 38.11555639549629859"
        );
        let (lon, lat) = decode_score(0.0);
        assert_eq!(
            format!("{lon:.17} {lat:.17}"),
            "-179.99999731779098511 -85.05112751263942528"
        );
        // The top corner is one cell past the grid, clamped back onto it.
        assert_eq!(decode_score(13510798882111488.0), (180.0, 85.05112878));
    }

    #[test]
    fn scores_a_client_made_decode_as_redis_casts_them() {
        // ZADD k -1 neg 1.5 frac 1e300 huge, then GEOPOS.
        assert_eq!(decode_score(-1.0), (180.0, 85.05112878));
        assert_eq!(decode_score(1.5), decode_score(1.0));
        assert_eq!(decode_score(1e300), decode_score(0.0));
        assert_eq!(score_bits(f64::INFINITY), 0);
        assert_eq!(score_bits(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(score_bits(-1e30), 1 << 63);
    }

    #[test]
    fn neighbours_move_one_cell_and_wrap() {
        let hash = encode_wgs84(10.0, 20.0, 10).unwrap();
        let n = neighbours(hash);
        let cell = decode(hash);
        let width = cell.lon.max - cell.lon.min;
        let east = decode(n.east);
        assert!((east.lon.min - cell.lon.max).abs() < 1e-9);
        assert_eq!(east.lat, cell.lat);
        let north_west = decode(n.north_west);
        assert!((north_west.lon.max - cell.lon.min).abs() < 1e-9);
        assert!((north_west.lat.min - cell.lat.max).abs() < 1e-9);
        assert!(width > 0.0);
        // West of the first column is the last one.
        let edge = encode_wgs84(-180.0, 0.0, 4).unwrap();
        let west = decode(neighbours(edge).west);
        assert_eq!(west.lon.max, 180.0);
    }
}
