//! The mathematics of Redis's geospatial indexes (geohash.c, geohash_helper.c and the helpers
//! of geo.c), as pure functions that know nothing of keys, sorted sets or sockets. The GEO
//! commands in `commands/geo.rs` store each location as a sorted-set member whose score is its
//! 52-bit geohash, and use this subsystem to make and read those scores.
//!
//! # The subsystem
//! - [`hash`]: the interleaved geohash itself. Encoding a longitude and latitude into the
//!   52-bit score (bit for bit what redis-server stores), decoding a score back to the centre of
//!   its cell, and the eight neighbours of a cell.
//! - [`distance`]: haversine distances on Redis's spherical earth, the units (`m`, `km`, `mi`,
//!   `ft`), and whether a point lies in a circle or a box.
//! - [`search`]: what a `GEOSEARCH` visits: the search shape, the resolution Redis picks for it,
//!   and the nine cells (one cell and its neighbours, less those that cannot matter) as ranges of
//!   scores to scan.
//! - [`partial_sort`]: the partial quicksort Redis orders `COUNT` results with, whose order of
//!   equally distant members a stable sort would not reproduce.
//! - [`text`]: how GEO replies print numbers and hashes: the 11-character `GEOHASH` string,
//!   distances with 4 decimals, coordinates in Redis's "human" long-double format.
//!
//! # Why bit for bit
//! A score is data a client can see (`ZSCORE`, `GEOSEARCHSTORE`), replicate and save in an RDB
//! file that redis-server later loads. So the arithmetic follows Redis's C operation by
//! operation, in the same order, with the same conversions from doubles to integers: a
//! "mathematically equivalent" formula would differ in the last bit often enough to matter.

pub mod distance;
pub mod hash;
pub mod partial_sort;
pub mod search;
pub mod text;

pub use distance::{Unit, distance};
pub use hash::{GeoHash, decode_score, encode_score};
pub use search::{Area, Shape, ShapeKind};
