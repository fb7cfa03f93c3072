//! HyperLogLog, in Redis's exact representation (hyperloglog.c): the values PFADD, PFCOUNT and
//! PFMERGE keep in plain strings, as pure functions over their bytes that know nothing of keys
//! or clients. The commands are in `commands/hyperloglog.rs`.
//!
//! # Why byte for byte
//! A HyperLogLog is an ordinary string: clients `GET` and `SET` it, it replicates and is saved
//! like any other. So a value written by redis-server must read the same here and the
//! reverse, which fixes everything: the hash, the register layout, the run-length code and
//! when a value changes from one encoding to the other, and the estimator down to its rounding.
//!
//! # The layout
//! A 16-byte header, then the registers:
//! - `HYLL`, the magic; one encoding byte (0 dense, 1 sparse); three unused bytes;
//! - the cached cardinality, 8 bytes little-endian, whose top bit set means "stale".
//!
//! # The subsystem
//! - [`murmur`]: MurmurHash64A and the register and value an element maps to;
//! - [`dense`]: 16384 registers of 6 bits, packed;
//! - [`sparse`]: the run-length code small HLLs start in, edited in place as Redis does;
//! - [`estimate`]: the cardinality from the histogram of register values (Ertl's estimator);
//! - [`selftest`]: `PFSELFTEST`'s checks.

pub mod dense;
pub mod estimate;
pub mod murmur;
pub mod selftest;
pub mod sparse;

/// Index bits of the hash: 2^14 registers.
const P: usize = 14;
/// Hash bits left after the index, which bound a register's value at `Q + 1`.
const Q: usize = 64 - P;
/// The number of registers.
pub const REGISTERS: usize = 1 << P;
/// The header before the registers.
pub const HEADER_LEN: usize = 16;
/// The exact length of a dense HLL.
pub const DENSE_LEN: usize = HEADER_LEN + dense::BYTES;

const MAGIC: &[u8; 4] = b"HYLL";
/// Where the encoding byte is.
const ENCODING_AT: usize = 4;
/// Where the cached cardinality starts.
const CACHE_AT: usize = 8;
/// The top bit of the cached cardinality's last byte: the cache is stale.
const STALE_BIT: u8 = 0x80;

/// Registers unpacked one per byte, to merge several HLLs into (Redis's `HLL_RAW`).
pub type Registers = [u8; REGISTERS];

/// How the registers are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

impl Encoding {
    fn byte(self) -> u8 {
        match self {
            Encoding::Dense => 0,
            Encoding::Sparse => 1,
        }
    }

    /// The name `PFDEBUG ENCODING` reports.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// The string is not a HyperLogLog at all: too short, no magic, an unknown encoding, or a
/// dense one of the wrong length (Redis's `isHLLObjectOrReply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotHll;

/// The string looks like a HyperLogLog but its registers cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupted;

/// An empty HLL: sparse, its cached cardinality a valid 0 (Redis's `createHLLObject`).
pub fn new() -> Vec<u8> {
    let mut hll = Vec::with_capacity(HEADER_LEN + 8);
    hll.extend_from_slice(MAGIC);
    hll.push(Encoding::Sparse.byte());
    hll.resize(HEADER_LEN, 0);
    hll.extend_from_slice(&sparse::empty_body());
    hll
}

/// The encoding of `value`, if it is a HyperLogLog. The sparse registers are not checked
/// here: each reader finds out when it walks them, as in Redis.
pub fn encoding(value: &[u8]) -> Result<Encoding, NotHll> {
    if value.len() < HEADER_LEN || &value[..4] != MAGIC {
        return Err(NotHll);
    }
    match value[ENCODING_AT] {
        0 if value.len() == DENSE_LEN => Ok(Encoding::Dense),
        1 => Ok(Encoding::Sparse),
        _ => Err(NotHll),
    }
}

/// The cached cardinality, unless it is stale.
pub fn cached_cardinality(hll: &[u8]) -> Option<u64> {
    let cache: [u8; 8] = hll[CACHE_AT..HEADER_LEN].try_into().expect("8 bytes");
    (cache[7] & STALE_BIT == 0).then(|| u64::from_le_bytes(cache))
}

/// Stores `cardinality` as the cached one.
pub fn cache_cardinality(hll: &mut [u8], cardinality: u64) {
    hll[CACHE_AT..HEADER_LEN].copy_from_slice(&cardinality.to_le_bytes());
}

/// Marks the cached cardinality stale, after the registers changed (`HLL_INVALIDATE_CACHE`).
pub fn invalidate_cache(hll: &mut [u8]) {
    hll[HEADER_LEN - 1] |= STALE_BIT;
}

/// Adds `element` to `hll`: whether a register changed (Redis's `hllAdd`). A sparse HLL
/// becomes dense when a register outgrows the sparse code or the string would pass
/// `max_sparse_bytes`.
pub fn add(hll: &mut Vec<u8>, element: &[u8], max_sparse_bytes: usize) -> Result<bool, Corrupted> {
    let (index, value) = murmur::pattern(element);
    raise(hll, index, value, max_sparse_bytes)
}

/// Raises one register (Redis's `hllSparseSet` with its promotion, or `hllDenseSet`). A sparse
/// change marks the cache stale at once, as Redis does, even if a later step fails.
fn raise(
    hll: &mut Vec<u8>,
    index: usize,
    value: u8,
    max_sparse_bytes: usize,
) -> Result<bool, Corrupted> {
    if hll[ENCODING_AT] == Encoding::Dense.byte() {
        return Ok(dense::raise(&mut hll[HEADER_LEN..], index, value));
    }
    match sparse::raise(hll, index, value, max_sparse_bytes) {
        sparse::Raised::Unchanged => Ok(false),
        sparse::Raised::Updated => {
            invalidate_cache(hll);
            Ok(true)
        }
        sparse::Raised::Corrupted => Err(Corrupted),
        sparse::Raised::NeedsDense => {
            to_dense(hll)?;
            Ok(dense::raise(&mut hll[HEADER_LEN..], index, value))
        }
    }
}

/// Converts a sparse HLL to dense in place, keeping its header (cached cardinality included);
/// whether it converted (Redis's `hllSparseToDense`).
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, Corrupted> {
    if hll[ENCODING_AT] == Encoding::Dense.byte() {
        return Ok(false);
    }
    let registers = sparse::to_dense_registers(&hll[HEADER_LEN..]).ok_or(Corrupted)?;
    hll.truncate(HEADER_LEN);
    hll.extend_from_slice(&registers);
    hll[ENCODING_AT] = Encoding::Dense.byte();
    Ok(true)
}

/// The estimated cardinality of a HyperLogLog (`encoding` has accepted it), computed afresh
/// (Redis's `hllCount`). A sparse one whose runs do not cover every register is corrupted.
pub fn count(hll: &[u8]) -> Result<u64, Corrupted> {
    let body = &hll[HEADER_LEN..];
    let histogram = if hll[ENCODING_AT] == Encoding::Dense.byte() {
        dense::histogram(body)
    } else {
        sparse::histogram(body).ok_or(Corrupted)?
    };
    Ok(estimate::cardinality(&histogram))
}

/// Raises each of `max`'s registers to `hll`'s (Redis's `hllMerge`).
pub fn merge_into(max: &mut Registers, hll: &[u8]) -> Result<(), Corrupted> {
    let body = &hll[HEADER_LEN..];
    if hll[ENCODING_AT] == Encoding::Dense.byte() {
        dense::merge_into(max, body);
        Ok(())
    } else if sparse::merge_into(max, body) {
        Ok(())
    } else {
        Err(Corrupted)
    }
}

/// The estimated cardinality of merged registers (`PFCOUNT` of several keys).
pub fn count_registers(registers: &Registers) -> u64 {
    let mut histogram = [0u64; 64];
    for &value in registers {
        histogram[usize::from(value)] += 1;
    }
    estimate::cardinality(&histogram)
}

/// Raises `hll`'s registers to `max`'s, register by register as `PFMERGE` writes its
/// destination, so a sparse destination takes the same shape (and becomes dense at the same
/// point) as in Redis. The cached cardinality is left for the caller to invalidate.
pub fn raise_all(hll: &mut Vec<u8>, max: &Registers, max_sparse_bytes: usize) {
    for (index, &value) in max.iter().enumerate().filter(|(_, value)| **value > 0) {
        // The sources were checked, so the destination (one of them) reads; like Redis, a
        // failure here leaves the register as it was.
        let _ = raise(hll, index, value, max_sparse_bytes);
    }
}

/// The registers of a dense HLL, in order (`PFDEBUG GETREG`).
pub fn dense_registers(hll: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let body = &hll[HEADER_LEN..];
    (0..REGISTERS).map(move |index| dense::get(body, index))
}

/// A sparse HLL's opcodes as text (`PFDEBUG DECODE`).
pub fn decode_sparse(hll: &[u8]) -> String {
    sparse::decode(&hll[HEADER_LEN..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(n: u64, max_sparse_bytes: usize) -> Vec<u8> {
        let mut hll = new();
        for i in 0..n {
            add(
                &mut hll,
                format!("element:{i}").as_bytes(),
                max_sparse_bytes,
            )
            .unwrap();
        }
        hll
    }

    #[test]
    fn a_new_hll_is_sparse_and_counts_zero() {
        let hll = new();
        assert_eq!(hll.len(), 18);
        assert_eq!(&hll[..5], b"HYLL\x01");
        assert_eq!(encoding(&hll), Ok(Encoding::Sparse));
        assert_eq!(cached_cardinality(&hll), Some(0));
        assert_eq!(count(&hll), Ok(0));
    }

    #[test]
    fn strings_that_are_not_hlls_are_refused() {
        assert_eq!(encoding(b"hello"), Err(NotHll));
        let mut hll = new();
        hll[0] = b'0';
        assert_eq!(encoding(&hll), Err(NotHll));
        let mut hll = new();
        hll[ENCODING_AT] = 2;
        assert_eq!(encoding(&hll), Err(NotHll));
        let mut hll = new();
        hll[ENCODING_AT] = 0;
        assert_eq!(
            encoding(&hll),
            Err(NotHll),
            "dense must be exactly 12304 bytes"
        );
    }

    #[test]
    fn the_cache_goes_stale_and_back() {
        let mut hll = new();
        cache_cardinality(&mut hll, 1234);
        assert_eq!(cached_cardinality(&hll), Some(1234));
        invalidate_cache(&mut hll);
        assert_eq!(cached_cardinality(&hll), None);
        assert_eq!(hll[15], 0x80);
    }

    #[test]
    fn sparse_and_dense_count_the_same() {
        for n in [1, 10, 100, 1000] {
            let mut sparse = filled(n, 1 << 20);
            assert_eq!(encoding(&sparse), Ok(Encoding::Sparse));
            let mut dense = new();
            to_dense(&mut dense).unwrap();
            for i in 0..n {
                add(&mut dense, format!("element:{i}").as_bytes(), 3000).unwrap();
            }
            assert_eq!(count(&sparse), count(&dense), "{n} elements");
            assert!(to_dense(&mut sparse).unwrap());
            assert_eq!(sparse[HEADER_LEN..], dense[HEADER_LEN..], "{n} elements");
        }
    }

    #[test]
    fn a_sparse_hll_turns_dense_past_its_limit() {
        let hll = filled(5000, 3000);
        assert_eq!(encoding(&hll), Ok(Encoding::Dense));
        assert_eq!(hll.len(), DENSE_LEN);
        assert_eq!(encoding(&filled(100, 3000)), Ok(Encoding::Sparse));
    }

    #[test]
    fn merging_takes_the_larger_register() {
        let (a, b) = (filled(300, 3000), filled(600, 3000));
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, &a).unwrap();
        merge_into(&mut max, &b).unwrap();
        assert_eq!(count_registers(&max), count(&b).unwrap());
        let mut destination = new();
        raise_all(&mut destination, &max, 3000);
        assert_eq!(count(&destination), count(&b));
        let (mut destination, mut b) = (destination, b);
        to_dense(&mut destination).unwrap();
        to_dense(&mut b).unwrap();
        assert_eq!(destination[HEADER_LEN..], b[HEADER_LEN..]);
    }

    #[test]
    fn estimates_stay_within_redis_bounds() {
        // PFSELFTEST's bound: six standard errors (1.04 / sqrt(m)).
        let relative = 1.04 / (REGISTERS as f64).sqrt() * 6.0;
        let mut hll = new();
        let mut checkpoint = 10;
        for i in 1..=1_000_000u64 {
            add(&mut hll, &i.to_le_bytes(), 3000).unwrap();
            if i == checkpoint {
                let estimate = count(&hll).unwrap() as f64;
                let error = (estimate - i as f64).abs();
                assert!(
                    error <= (relative * i as f64).ceil().max(1.0),
                    "{i}: {estimate}"
                );
                checkpoint *= 10;
            }
        }
    }
}
