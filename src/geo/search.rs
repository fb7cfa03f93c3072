//! What a geospatial search visits (geohash_helper.c's `geohashCalculateAreasByShapeWGS84` and
//! geo.c's box helpers): the search [`Shape`], a resolution coarse enough that the shape fits in
//! one cell and its eight neighbours, and those cells, less the ones the shape cannot reach, as
//! ranges of scores to scan in the sorted set.
//!
//! The caller scans the ranges in [`Area::score_ranges`] order and keeps the members
//! [`Shape::contains`] accepts. Following Redis cell for cell matters beyond speed: without a
//! sort, results come out in this order, and `COUNT n ANY` stops after the first `n` found.

use super::distance::{self, EARTH_RADIUS_IN_METERS, deg_rad, rad_deg};
use super::hash::{self, Cell, GeoHash, Neighbours, STEP_MAX, WGS84_LAT, WGS84_LON};

/// The span of a Web Mercator map in metres: where halving the search width stops.
const MERCATOR_MAX: f64 = 20037726.37;

/// A circle or a box, its size in the unit the command named.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search area around a centre (Redis's `GeoShape`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Longitude and latitude.
    pub centre: (f64, f64),
    pub kind: ShapeKind,
    /// Metres per unit of the sizes in `kind` (see [`distance::Unit::metres`]).
    pub conversion: f64,
}

impl Shape {
    /// The bounding box `[min lon, min lat, max lon, max lat]` (`geohashBoundingBox`). A
    /// degree of longitude shrinks towards the poles, so the box is as wide as the shape at
    /// its edge nearer the pole (the top edge in the north, the bottom one in the south).
    pub fn bounds(&self) -> [f64; 4] {
        let (lon, lat) = self.centre;
        let (half_height, half_width) = match self.kind {
            ShapeKind::Radius(r) => (r, r),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_height;
        let width = self.conversion * half_width;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let lon_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(lat + lat_delta).cos());
        let lon_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(lat - lat_delta).cos());
        let lon_delta = if lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            lon - lon_delta,
            lat - lat_delta,
            lon + lon_delta,
            lat + lat_delta,
        ]
    }

    /// How far the shape reaches from its centre, in metres: the radius, or the half-diagonal
    /// of a box.
    pub fn reach(&self) -> f64 {
        let reach = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        reach * self.conversion
    }

    /// Whether the member with `score` is inside the shape (geo.c's `geoWithinShape`): its
    /// decoded position and its distance in metres from the centre if so.
    pub fn contains(&self, score: f64) -> Option<((f64, f64), f64)> {
        let point = hash::decode_score(score);
        let d = match self.kind {
            ShapeKind::Radius(r) => {
                distance::within_radius(self.centre, point, r * self.conversion)
            }
            ShapeKind::Box { width, height } => distance::within_box(
                width * self.conversion,
                height * self.conversion,
                self.centre,
                point,
            ),
        }?;
        Some((point, d))
    }

    /// The cells to search (`geohashCalculateAreasByShapeWGS84`).
    pub fn area(&self) -> Area {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let (lon, lat) = self.centre;
        let mut step = estimate_step(self.reach(), lat);
        let mut area = Area::around(lon, lat, step);

        // The estimate can fall short near a cell's edge: if a side neighbour does not reach
        // the bounding box's edge, go one step coarser (once).
        let n = &area.neighbours;
        let short = hash::decode(n.north).lat.max < max_lat
            || hash::decode(n.south).lat.min > min_lat
            || hash::decode(n.east).lon.max < max_lon
            || hash::decode(n.west).lon.min > min_lon;
        if step > 1 && short {
            step -= 1;
            area = Area::around(lon, lat, step);
        }

        // Drop the neighbours on a side the centre cell already covers past the box's edge.
        if step >= 2 {
            let cell = area.cell;
            let n = &mut area.neighbours;
            if cell.lat.min < min_lat {
                n.south = GeoHash::NONE;
                n.south_west = GeoHash::NONE;
                n.south_east = GeoHash::NONE;
            }
            if cell.lat.max > max_lat {
                n.north = GeoHash::NONE;
                n.north_east = GeoHash::NONE;
                n.north_west = GeoHash::NONE;
            }
            if cell.lon.min < min_lon {
                n.west = GeoHash::NONE;
                n.south_west = GeoHash::NONE;
                n.north_west = GeoHash::NONE;
            }
            if cell.lon.max > max_lon {
                n.east = GeoHash::NONE;
                n.south_east = GeoHash::NONE;
                n.north_east = GeoHash::NONE;
            }
        }
        area
    }
}

/// The step at which a search of `reach` metres around latitude `lat` fits in 3×3 cells
/// (`geohashEstimateStepsByRadius`): halve the map until it is narrower than the reach, back
/// off two steps, and one or two more near the poles, where cells are narrow.
pub fn estimate_step(reach: f64, lat: f64) -> u8 {
    if reach == 0.0 {
        return STEP_MAX;
    }
    let mut reach = reach;
    let mut step: i32 = 1;
    while reach < MERCATOR_MAX {
        reach *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// A cell and its neighbours: what a search scans (Redis's `GeoHashRadius`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub hash: GeoHash,
    /// Those set to [`GeoHash::NONE`] are not scanned.
    pub neighbours: Neighbours,
    /// The cell of `hash`.
    pub cell: Cell,
}

impl Area {
    fn around(lon: f64, lat: f64, step: u8) -> Area {
        // The centre is a validated position or a decoded one, both within the grid.
        let hash = hash::encode(WGS84_LON, WGS84_LAT, lon, lat, step).unwrap_or_default();
        Area {
            hash,
            neighbours: hash::neighbours(hash),
            cell: hash::decode(hash),
        }
    }

    /// The cells in the order Redis scans them (`membersOfAllNeighbors`): the centre, then
    /// N, S, E, W, NE, NW, SE, SW, without the dropped ones.
    pub fn cells(&self) -> [GeoHash; 9] {
        let n = &self.neighbours;
        [
            self.hash,
            n.north,
            n.south,
            n.east,
            n.west,
            n.north_east,
            n.north_west,
            n.south_east,
            n.south_west,
        ]
    }

    /// The score ranges `min..max` (max excluded) to scan, in order. With a huge search,
    /// neighbours can be the same cell (the grid wraps): a cell equal to the one scanned just
    /// before is skipped, as Redis skips it. Redis compares with the last cell it scanned only
    /// once that is not the centre (its "last processed" index starts at, and is, 0 for the
    /// centre), so a north neighbour equal to the centre is scanned twice, as here.
    pub fn score_ranges(&self) -> Vec<(u64, u64)> {
        let cells = self.cells();
        let mut ranges = Vec::with_capacity(cells.len());
        let mut last: usize = 0;
        for (i, cell) in cells.iter().enumerate() {
            if cell.is_none() || (last != 0 && *cell == cells[last]) {
                continue;
            }
            ranges.push(score_range(*cell));
            last = i;
        }
        ranges
    }
}

/// The scores of the members inside a cell: every 52-bit value that starts with the cell's
/// bits, `min..max` (`scoresOfGeoHashBox`).
pub fn score_range(cell: GeoHash) -> (u64, u64) {
    let next = GeoHash {
        bits: cell.bits + 1,
        step: cell.step,
    };
    (cell.align52(), next.align52())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle(lon: f64, lat: f64, metres: f64) -> Shape {
        Shape {
            centre: (lon, lat),
            kind: ShapeKind::Radius(metres),
            conversion: 1.0,
        }
    }

    #[test]
    fn steps_follow_the_reach_and_the_latitude() {
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert_eq!(estimate_step(1.0, 0.0), 24);
        assert_eq!(estimate_step(1000.0, 0.0), 14);
        assert_eq!(estimate_step(1000.0, 70.0), 13);
        assert_eq!(estimate_step(1000.0, -81.0), 12);
        assert_eq!(estimate_step(1e9, 0.0), 1);
        assert_eq!(estimate_step(f64::INFINITY, 0.0), 1);
    }

    #[test]
    fn the_cells_cover_the_bounding_box() {
        for shape in [
            circle(13.361389, 38.115556, 200_000.0),
            circle(-0.1278, 51.5074, 10.0),
            circle(179.9, -84.9, 50_000.0),
            Shape {
                centre: (2.35, 48.85),
                kind: ShapeKind::Box {
                    width: 400.0,
                    height: 100.0,
                },
                conversion: 1000.0,
            },
        ] {
            let area = shape.area();
            let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
            let cells: Vec<Cell> = area
                .cells()
                .into_iter()
                .filter(|c| !c.is_none())
                .map(hash::decode)
                .collect();
            // Every corner of the box (clamped to the grid) is in a scanned cell.
            for lon in [min_lon.max(-180.0), max_lon.min(180.0)] {
                for lat in [min_lat.max(hash::LAT_MIN), max_lat.min(hash::LAT_MAX)] {
                    assert!(
                        cells.iter().any(|c| (c.lon.min..=c.lon.max).contains(&lon)
                            && (c.lat.min..=c.lat.max).contains(&lat)),
                        "{shape:?}: corner {lon},{lat}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_cell_s_scores_are_those_with_its_prefix() {
        let cell = hash::encode_wgs84(13.361389, 38.115556, 26).unwrap();
        assert_eq!(score_range(cell), (cell.bits, cell.bits + 1));
        let coarse = GeoHash {
            bits: 0b101010,
            step: 3,
        };
        assert_eq!(score_range(coarse), (0b101010 << 46, 0b101011 << 46));
    }

    #[test]
    fn contains_measures_from_the_centre() {
        let palermo = hash::encode_score(13.361389, 38.115556).unwrap() as f64;
        let shape = circle(15.0, 37.0, 200_000.0);
        let (point, d) = shape.contains(palermo).unwrap();
        assert_eq!(point, hash::decode_score(palermo));
        assert_eq!(d, distance::distance(15.0, 37.0, point.0, point.1));
        assert_eq!(circle(15.0, 37.0, 100_000.0).contains(palermo), None);
    }
}
