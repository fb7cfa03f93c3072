//! Distances on Redis's earth (geohash_helper.c): a sphere of radius 6372797.560856 m, the
//! haversine formula, the units a command may name, and whether a point lies within a circle
//! or an axis-aligned box around a centre.
//!
//! The formulas are Redis's, step for step (`sin`, `cos` and `asin` are the C library's on both
//! sides), so a distance prints with the same 4 decimals and a point on the edge of a search
//! falls on the same side of it.

/// Earth's quadratic mean radius for WGS-84, as Redis uses it.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;

/// π/180 rounded once to a double, Redis's `D_R`.
const D_R: f64 = std::f64::consts::PI / 180.0;

/// Degrees to radians as Redis's `deg_rad`: multiplied by [`D_R`] (not `f64::to_radians`,
/// whose rounding is its own).
pub fn deg_rad(degrees: f64) -> f64 {
    degrees * D_R
}

/// Radians to degrees as Redis's `rad_deg`: divided by [`D_R`].
pub fn rad_deg(radians: f64) -> f64 {
    radians / D_R
}

/// The distance between two latitudes on one meridian (`geohashGetLatDistance`).
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The great-circle distance in metres between two positions, in degrees
/// (`geohashGetDistance`).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    // Same longitude: the haversine reduces to the difference of latitudes, and Redis takes
    // that shortcut, whose rounding differs from the full formula's.
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1, lat2) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2 - lat1) / 2.0).sin();
    let a = u * u + lat1.cos() * lat2.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// The distance from a centre to a point if it is at most `radius` metres
/// (`geohashGetDistanceIfInRadiusWGS84`).
pub fn within_radius(centre: (f64, f64), point: (f64, f64), radius: f64) -> Option<f64> {
    let d = distance(centre.0, centre.1, point.0, point.1);
    (d <= radius).then_some(d)
}

/// The distance from the centre of a `width` × `height` box (metres) to a point, if the point
/// is in the box (`geohashGetDistanceIfInRectangle`): no farther than half the height along
/// the meridian, and than half the width along the point's own parallel.
pub fn within_box(width: f64, height: f64, centre: (f64, f64), point: (f64, f64)) -> Option<f64> {
    // The latitude test is the cheaper one, so it goes first, as in Redis.
    if lat_distance(point.1, centre.1) > height / 2.0 {
        return None;
    }
    if distance(point.0, point.1, centre.0, point.1) > width / 2.0 {
        return None;
    }
    Some(distance(centre.0, centre.1, point.0, point.1))
}

/// A unit of distance (`extractUnitOrReply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Metres,
    Kilometres,
    Feet,
    Miles,
}

impl Unit {
    /// `m`, `km`, `ft` or `mi`, in any case.
    pub fn parse(name: &[u8]) -> Option<Unit> {
        [
            ("m", Unit::Metres),
            ("km", Unit::Kilometres),
            ("ft", Unit::Feet),
            ("mi", Unit::Miles),
        ]
        .into_iter()
        .find(|(text, _)| name.eq_ignore_ascii_case(text.as_bytes()))
        .map(|(_, unit)| unit)
    }

    /// How many metres one unit is: distances in metres are divided by it.
    pub fn metres(self) -> f64 {
        match self {
            Unit::Metres => 1.0,
            Unit::Kilometres => 1000.0,
            Unit::Feet => 0.3048,
            Unit::Miles => 1609.34,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::decode_score;
    use crate::geo::text::distance_text;

    /// Two members' scores and `GEODIST k a b` on redis-server 7.0.15 (metres).
    const GEODIST: &[(u64, u64, &str)] = &[
        // Palermo, Catania.
        (3479099956230698, 3479447370796909, "166274.1516"),
        // London, Paris.
        (2163557714755072, 3663832779122514, "343653.0131"),
        // New York, Tokyo.
        (1791873974549446, 4171231230197045, "10851868.8453"),
        // The two extreme corners of the grid.
        (0, 13510798882111488, "18919844.5891"),
        // (0, 0) and (0.000001, -0.000001): the same longitude cell.
        (3377699720527872, 2627099782632789, "0.2819"),
    ];

    #[test]
    fn distances_match_redis() {
        for &(a, b, text) in GEODIST {
            let (lon1, lat1) = decode_score(a as f64);
            let (lon2, lat2) = decode_score(b as f64);
            assert_eq!(
                distance_text(distance(lon1, lat1, lon2, lat2)),
                text,
                "{a} {b}"
            );
        }
    }

    #[test]
    fn distances_in_other_units_match_redis() {
        // New York to Tokyo, then (0, 0) to (0.000001, -0.000001), in km, mi and ft.
        let expected = [
            (
                1791873974549446u64,
                4171231230197045u64,
                ["10851.8688", "6743.0554", "35603244.2431"],
            ),
            (
                3377699720527872,
                2627099782632789,
                ["0.0003", "0.0002", "0.9250"],
            ),
        ];
        for (a, b, texts) in expected {
            let (lon1, lat1) = decode_score(a as f64);
            let (lon2, lat2) = decode_score(b as f64);
            let metres = distance(lon1, lat1, lon2, lat2);
            for (unit, text) in [Unit::Kilometres, Unit::Miles, Unit::Feet]
                .into_iter()
                .zip(texts)
            {
                assert_eq!(distance_text(metres / unit.metres()), text);
            }
        }
    }

    #[test]
    fn units_convert_from_metres() {
        assert_eq!(Unit::parse(b"KM"), Some(Unit::Kilometres));
        assert_eq!(Unit::parse(b"Mi").map(Unit::metres), Some(1609.34));
        assert_eq!(Unit::parse(b"yd"), None);
        assert_eq!(Unit::parse(b"meters"), None);
    }

    #[test]
    fn radius_and_box_membership() {
        let centre = (15.0, 37.0);
        let d = distance(15.0, 37.0, 15.1, 37.0);
        assert_eq!(within_radius(centre, (15.1, 37.0), d), Some(d));
        assert_eq!(within_radius(centre, (15.1, 37.0), d * 0.999), None);
        // A box twice as wide as the distance holds the point exactly on its edge.
        assert_eq!(within_box(2.0 * d, 1.0, centre, (15.1, 37.0)), Some(d));
        assert_eq!(within_box(2.0 * d * 0.999, 1.0, centre, (15.1, 37.0)), None);
        assert_eq!(within_box(1e9, 1.0, centre, (15.0, 37.1)), None);
    }
}
