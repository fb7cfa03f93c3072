//! The sparse encoding: the registers as a run-length code of three opcodes (hyperloglog.c's
//! `HLL_SPARSE_*` macros), read and changed in place the way Redis does, so the bytes stay
//! those redis-server would have written:
//! - `ZERO`, `00xxxxxx`: 1 to 64 registers at 0;
//! - `XZERO`, `01xxxxxx yyyyyyyy`: 1 to 16384 registers at 0;
//! - `VAL`, `1vvvvvxx`: 1 to 4 registers at a value from 1 to 32.
//!
//! A valid body covers exactly [`REGISTERS`] registers. The functions here take the whole
//! string (header included) or just the body after it, as named.

use super::{HEADER_LEN, REGISTERS, Registers, dense};

/// The longest run a `ZERO` opcode holds.
const ZERO_MAX_LEN: usize = 64;
/// The longest run an `XZERO` opcode holds.
const XZERO_MAX_LEN: usize = 16384;
/// The highest register value a `VAL` opcode holds: higher values need the dense encoding.
pub const VAL_MAX_VALUE: u8 = 32;
/// The longest run a `VAL` opcode holds.
const VAL_MAX_LEN: usize = 4;

/// One opcode, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opcode {
    Zero(usize),
    XZero(usize),
    Val { value: u8, len: usize },
}

impl Opcode {
    /// The opcode starting at `bytes[at]`. An `XZERO` cut short by the end of the string reads
    /// its second byte as 0, the string's terminating zero that Redis reads there.
    fn at(bytes: &[u8], at: usize) -> Opcode {
        let byte = bytes[at];
        if byte & 0x80 != 0 {
            Opcode::Val {
                value: ((byte >> 2) & 0x1f) + 1,
                len: usize::from(byte & 0x03) + 1,
            }
        } else if byte & 0x40 != 0 {
            let low = bytes.get(at + 1).copied().unwrap_or(0);
            Opcode::XZero(((usize::from(byte & 0x3f) << 8) | usize::from(low)) + 1)
        } else {
            Opcode::Zero(usize::from(byte & 0x3f) + 1)
        }
    }

    /// How many registers it covers.
    fn run(self) -> usize {
        match self {
            Opcode::Zero(len) | Opcode::XZero(len) | Opcode::Val { len, .. } => len,
        }
    }

    /// How many bytes it takes.
    fn width(self) -> usize {
        if matches!(self, Opcode::XZero(_)) {
            2
        } else {
            1
        }
    }

    /// Appends its encoding (Redis's `HLL_SPARSE_*_SET`). Runs must be within the limits.
    fn encode(self, out: &mut Vec<u8>) {
        match self {
            Opcode::Zero(len) => out.push((len - 1) as u8),
            Opcode::XZero(len) => {
                out.extend_from_slice(&[((len - 1) >> 8) as u8 | 0x40, (len - 1) as u8])
            }
            Opcode::Val { value, len } => out.push(((value - 1) << 2) | (len - 1) as u8 | 0x80),
        }
    }

    /// The shortest opcode for a run of `len` zeroes (at most [`XZERO_MAX_LEN`]).
    fn zeroes(len: usize) -> Opcode {
        if len > ZERO_MAX_LEN {
            Opcode::XZero(len)
        } else {
            Opcode::Zero(len)
        }
    }
}

/// The opcodes of `body` with their offsets in it.
fn opcodes(body: &[u8]) -> impl Iterator<Item = (usize, Opcode)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= body.len() {
            return None;
        }
        let opcode = Opcode::at(body, at);
        let start = at;
        at += opcode.width();
        Some((start, opcode))
    })
}

/// The body of an empty HLL: [`XZERO`](Opcode::XZero) runs covering every register (Redis's
/// `createHLLObject`).
pub fn empty_body() -> Vec<u8> {
    let mut body = Vec::new();
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        Opcode::XZero(run).encode(&mut body);
        left -= run;
    }
    body
}

/// How many registers hold each value, or `None` if the runs do not cover exactly
/// [`REGISTERS`] registers (Redis's `hllSparseRegHisto`).
pub fn histogram(body: &[u8]) -> Option<[u64; 64]> {
    let mut histogram = [0u64; 64];
    let mut covered = 0usize;
    for (_, opcode) in opcodes(body) {
        let value = match opcode {
            Opcode::Val { value, .. } => usize::from(value),
            _ => 0,
        };
        histogram[value] += opcode.run() as u64;
        covered += opcode.run();
    }
    (covered == REGISTERS).then_some(histogram)
}

/// Calls `visit(first, len, value)` for each `VAL` run, walking as Redis's `hllSparseToDense`
/// and `hllMerge` do since the fix for CVE-2025-32023 (in the 7.0.15 builds distributions
/// ship): any run reaching past the last register stops the walk, and the body is valid only
/// if the runs cover exactly [`REGISTERS`] registers.
fn walk_values(body: &[u8], mut visit: impl FnMut(usize, usize, u8)) -> bool {
    let mut index = 0usize;
    for (_, opcode) in opcodes(body) {
        if index + opcode.run() > REGISTERS {
            return false;
        }
        if let Opcode::Val { value, len } = opcode {
            visit(index, len, value);
        }
        index += opcode.run();
    }
    index == REGISTERS
}

/// The packed dense registers `body` stands for, or `None` if it is corrupted.
pub fn to_dense_registers(body: &[u8]) -> Option<Vec<u8>> {
    let mut registers = vec![0u8; dense::BYTES];
    let valid = walk_values(body, |first, len, value| {
        for index in first..first + len {
            dense::raise(&mut registers, index, value);
        }
    });
    valid.then_some(registers)
}

/// Raises `max`'s registers to this body's; false if the body is corrupted (Redis's
/// `hllMerge`, sparse case).
pub fn merge_into(max: &mut Registers, body: &[u8]) -> bool {
    walk_values(body, |first, len, value| {
        for slot in &mut max[first..first + len] {
            *slot = (*slot).max(value);
        }
    })
}

/// What [`raise`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    /// The register already held as much.
    Unchanged,
    Updated,
    /// The value or the grown string does not fit the sparse encoding: convert to dense.
    NeedsDense,
    Corrupted,
}

/// Raises the register at `index` of the sparse HLL `hll` (header included) to `value`, editing
/// the opcodes in place as Redis's `hllSparseSet` does: find the opcode covering the register,
/// split it into at most three, then merge equal neighbouring `VAL`s. The string may not grow
/// past `max_bytes`. Does not touch the cached cardinality.
pub fn raise(hll: &mut Vec<u8>, index: usize, value: u8, max_bytes: usize) -> Raised {
    if value > VAL_MAX_VALUE {
        return Raised::NeedsDense;
    }
    // Step 1: the opcode covering `index`, the one before it, and the first register it covers.
    let (mut at, mut first, mut previous) = (HEADER_LEN, 0usize, None);
    let mut found = None;
    while at < hll.len() {
        let opcode = Opcode::at(hll, at);
        if index < first + opcode.run() {
            found = Some(opcode);
            break;
        }
        previous = Some(at);
        at += opcode.width();
        first += opcode.run();
    }
    let Some(opcode) = found else {
        return Raised::Corrupted;
    };
    let last = first + opcode.run() - 1;
    // Step 2: the trivial cases change one byte in place; the others build the replacement.
    match opcode {
        Opcode::Val { value: current, .. } if current >= value => return Raised::Unchanged,
        Opcode::Val { len: 1, .. } | Opcode::Zero(1) => {
            hll[at] = single(value);
        }
        _ => {
            let mut replacement = Vec::with_capacity(5);
            let before = index - first;
            let after = last - index;
            let around = |len| match opcode {
                Opcode::Val { value: current, .. } => Opcode::Val {
                    value: current,
                    len,
                },
                _ => Opcode::zeroes(len),
            };
            if before > 0 {
                around(before).encode(&mut replacement);
            }
            replacement.push(single(value));
            if after > 0 {
                around(after).encode(&mut replacement);
            }
            // Step 3: put it in place of the old opcode, unless the string would grow too long.
            let old_width = opcode.width();
            let new_len = hll.len() + replacement.len() - old_width;
            if replacement.len() > old_width && new_len > max_bytes {
                return Raised::NeedsDense;
            }
            let end = (at + old_width).min(hll.len());
            hll.splice(at..end, replacement);
            // An XZERO cut short at the end was one byte short of its width: Redis's length
            // arithmetic drops the replacement's last byte, and so does this.
            hll.truncate(new_len);
        }
    }
    merge_neighbours(hll, previous.unwrap_or(HEADER_LEN));
    Raised::Updated
}

/// A `VAL` opcode for one register.
fn single(value: u8) -> u8 {
    let mut byte = Vec::with_capacity(1);
    Opcode::Val { value, len: 1 }.encode(&mut byte);
    byte[0]
}

/// Step 4 of Redis's `hllSparseSet`: from `at`, over up to five opcodes, merges each pair of
/// adjacent `VAL`s of the same value whose runs fit one opcode.
fn merge_neighbours(hll: &mut Vec<u8>, mut at: usize) {
    let mut scans = 5;
    while at < hll.len() && scans > 0 {
        scans -= 1;
        let opcode = Opcode::at(hll, at);
        let Opcode::Val { value, len } = opcode else {
            at += opcode.width();
            continue;
        };
        if at + 1 < hll.len() {
            if let Opcode::Val {
                value: next_value,
                len: next_len,
            } = Opcode::at(hll, at + 1)
            {
                if next_value == value && len + next_len <= VAL_MAX_LEN {
                    let mut merged = Vec::with_capacity(1);
                    Opcode::Val {
                        value,
                        len: len + next_len,
                    }
                    .encode(&mut merged);
                    hll[at + 1] = merged[0];
                    hll.remove(at);
                    // Stay here: the merged opcode may merge with the next one too.
                    continue;
                }
            }
        }
        at += 1;
    }
}

/// The opcodes as `PFDEBUG DECODE` prints them: `z:<len>`, `Z:<len>`, `v:<value>,<len>`, space
/// separated.
pub fn decode(body: &[u8]) -> String {
    let words: Vec<String> = opcodes(body)
        .map(|(_, opcode)| match opcode {
            Opcode::Zero(len) => format!("z:{len}"),
            Opcode::XZero(len) => format!("Z:{len}"),
            Opcode::Val { value, len } => format!("v:{value},{len}"),
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hll(body: &[u8]) -> Vec<u8> {
        let mut hll = vec![0u8; HEADER_LEN];
        hll.extend_from_slice(body);
        hll
    }

    fn registers_of(hll: &[u8]) -> Vec<u8> {
        let registers = to_dense_registers(&hll[HEADER_LEN..]).expect("valid");
        (0..REGISTERS).map(|i| dense::get(&registers, i)).collect()
    }

    #[test]
    fn an_empty_body_is_one_xzero() {
        assert_eq!(empty_body(), [0x7f, 0xff]);
        assert_eq!(decode(&empty_body()), "Z:16384");
        assert_eq!(histogram(&empty_body()).unwrap()[0], REGISTERS as u64);
    }

    #[test]
    fn raising_splits_an_xzero_as_redis_does() {
        let mut hll = hll(&empty_body());
        assert_eq!(raise(&mut hll, 100, 3, 3000), Raised::Updated);
        assert_eq!(decode(&hll[HEADER_LEN..]), "Z:100 v:3,1 Z:16283");
        assert_eq!(raise(&mut hll, 100, 2, 3000), Raised::Unchanged);
        assert_eq!(raise(&mut hll, 101, 3, 3000), Raised::Updated);
        assert_eq!(decode(&hll[HEADER_LEN..]), "Z:100 v:3,2 Z:16282");
        assert_eq!(raise(&mut hll, 0, 1, 3000), Raised::Updated);
        assert_eq!(decode(&hll[HEADER_LEN..]), "v:1,1 Z:99 v:3,2 Z:16282");
        assert_eq!(raise(&mut hll, 101, 33, 3000), Raised::NeedsDense);
    }

    #[test]
    fn raising_keeps_every_other_register() {
        let mut hll = hll(&empty_body());
        let mut expected = vec![0u8; REGISTERS];
        for (i, index) in [5usize, 6, 7, 8, 9, 300, 16383, 0, 64, 65]
            .into_iter()
            .enumerate()
        {
            let value = (i % 4 + 1) as u8;
            assert_eq!(raise(&mut hll, index, value, 3000), Raised::Updated);
            expected[index] = value;
            assert_eq!(registers_of(&hll), expected);
        }
        assert!(histogram(&hll[HEADER_LEN..]).is_some());
    }

    #[test]
    fn growth_past_the_limit_asks_for_dense() {
        let mut hll = hll(&empty_body());
        let limit = hll.len();
        assert_eq!(raise(&mut hll, 100, 3, limit), Raised::NeedsDense);
    }

    #[test]
    fn bodies_that_cover_the_wrong_count_are_corrupted() {
        let mut body = empty_body();
        body.push(0x00);
        assert_eq!(histogram(&body), None);
        assert_eq!(to_dense_registers(&body), None);
        assert_eq!(histogram(&[0x7f]), None, "an XZERO cut short");
        let mut max = [0u8; REGISTERS];
        assert!(!merge_into(&mut max, &[0x3f]));
        // A VAL after a complete body overflows: corrupted for every reader.
        let mut trailing_val = empty_body();
        trailing_val.push(0x80);
        assert!(!merge_into(&mut max, &trailing_val));
        assert_eq!(to_dense_registers(&trailing_val), None);
        assert_eq!(histogram(&trailing_val), None);
    }

    #[test]
    fn corrupted_bodies_never_panic() {
        for a in 0..=255u8 {
            for b in [0u8, 0x40, 0x7f, 0x80, 0xff] {
                let mut hll = hll(&[a, b]);
                let _ = raise(&mut hll, 16383, 5, 3000);
                let _ = histogram(&hll[HEADER_LEN..]);
                let mut hll = hll.clone();
                hll.truncate(HEADER_LEN + 1);
                let _ = raise(&mut hll, 0, 5, 3000);
            }
        }
    }
}
