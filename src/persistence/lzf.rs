//! LZF, the compression RDB files use for strings (Marc Lehmann's liblzf format, which Redis
//! embeds as lzf_c.c/lzf_d.c). An RDB string encoded `11000011` is `<compressed length>
//! <original length> <LZF data>`.
//!
//! The format is a sequence of items, each starting with a control byte:
//! - `000LLLLL`: a run of `L + 1` literal bytes (1 to 32) follows;
//! - `LLLooooo oooooooo`: copy `L + 2` bytes (3 to 8) from `o + 1` bytes back;
//! - `111ooooo LLLLLLLL oooooooo`: copy `L + 9` bytes (9 to 264) from `o + 1` bytes back.
//!
//! Back references reach at most 8192 bytes and may overlap what they produce (a run of one byte
//! repeated is a reference to the byte just written). The compressor here is written from that
//! description: any valid LZF stream loads in Redis, byte-identical output is not needed.

/// How far back a reference may point (13 bits of offset, plus one).
const MAX_OFFSET: usize = 1 << 13;
/// Longest match one reference can copy: `7 + 255 + 2`.
const MAX_MATCH: usize = 264;
/// Longest literal run one control byte can announce.
const MAX_LITERALS: usize = 32;
const HASH_BITS: u32 = 14;

/// Compresses `input`, or gives up (`None`) as soon as the output would exceed `max_output`
/// bytes: Redis stores a string compressed only if that saves at least four bytes.
pub fn compress(input: &[u8], max_output: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(max_output.min(input.len()));
    // Most recent position (plus one, 0 = none) at which each 3-byte sequence's hash was seen.
    let mut table = vec![0u32; 1 << HASH_BITS];
    let mut literals_start = 0;
    let mut i = 0;
    while i + 2 < input.len() {
        let hash = sequence_hash(&input[i..i + 3]);
        let candidate = table[hash] as usize;
        table[hash] = (i + 1) as u32;
        let matched = candidate > 0 && {
            let from = candidate - 1;
            i - from <= MAX_OFFSET && input[from..from + 3] == input[i..i + 3]
        };
        if !matched {
            i += 1;
            continue;
        }
        let from = candidate - 1;
        let limit = (input.len() - i).min(MAX_MATCH);
        let mut length = 3;
        while length < limit && input[from + length] == input[i + length] {
            length += 1;
        }
        push_literals(&mut out, &input[literals_start..i]);
        push_reference(&mut out, i - from - 1, length);
        if out.len() > max_output {
            return None;
        }
        i += length;
        literals_start = i;
    }
    push_literals(&mut out, &input[literals_start..]);
    (out.len() <= max_output).then_some(out)
}

fn sequence_hash(three: &[u8]) -> usize {
    let value = u32::from(three[0]) << 16 | u32::from(three[1]) << 8 | u32::from(three[2]);
    (value.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

fn push_literals(out: &mut Vec<u8>, mut literals: &[u8]) {
    while !literals.is_empty() {
        let run = literals.len().min(MAX_LITERALS);
        out.push((run - 1) as u8);
        out.extend_from_slice(&literals[..run]);
        literals = &literals[run..];
    }
}

fn push_reference(out: &mut Vec<u8>, offset: usize, length: usize) {
    let length = length - 2;
    let high = (offset >> 8) as u8;
    if length < 7 {
        out.push(high | (length as u8) << 5);
    } else {
        out.push(high | 7 << 5);
        out.push((length - 7) as u8);
    }
    out.push(offset as u8);
}

/// Decompresses `input`, which must produce exactly `length` bytes. Any inconsistency (a
/// reference before the start, a run past the end, the wrong total) is an error, never a panic:
/// the bytes come from a file that may be damaged.
pub fn decompress(input: &[u8], length: usize) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(length);
    let mut i = 0;
    while i < input.len() {
        let control = usize::from(input[i]);
        i += 1;
        if control < 32 {
            let run = control + 1;
            let literals = input.get(i..i + run).ok_or("literal run past the input")?;
            if out.len() + run > length {
                return Err("literal run past the output");
            }
            out.extend_from_slice(literals);
            i += run;
            continue;
        }
        let mut copy = control >> 5;
        if copy == 7 {
            copy += usize::from(*input.get(i).ok_or("truncated reference")?);
            i += 1;
        }
        let low = usize::from(*input.get(i).ok_or("truncated reference")?);
        i += 1;
        let back = ((control & 0x1f) << 8 | low) + 1;
        let copy = copy + 2;
        let from = out
            .len()
            .checked_sub(back)
            .ok_or("reference before the start")?;
        if out.len() + copy > length {
            return Err("reference past the output");
        }
        // Byte by byte: a reference may overlap the bytes it is producing.
        for k in 0..copy {
            let byte = out[from + k];
            out.push(byte);
        }
    }
    if out.len() != length {
        return Err("wrong decompressed length");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let compressed = compress(data, data.len() + data.len() / 16 + 64).expect("fits");
        assert_eq!(decompress(&compressed, data.len()).unwrap(), data);
    }

    #[test]
    fn compressible_and_incompressible_data_round_trip() {
        round_trip(b"");
        round_trip(b"ab");
        round_trip(&[b'a'; 1000]);
        round_trip(b"hello hello hello hello, world world world");
        let noise: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        round_trip(&noise);
        let text: Vec<u8> = (0..20_000)
            .map(|i| b"abcdefghij"[(i % 7 + i / 4000) % 10])
            .collect();
        round_trip(&text);
    }

    #[test]
    fn repetitive_data_shrinks_and_noise_gives_up() {
        let zeros = [0u8; 10_000];
        let compressed = compress(&zeros, 10_000 - 4).unwrap();
        assert!(compressed.len() < 200, "{}", compressed.len());
        let noise: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
            .collect();
        assert_eq!(compress(&noise, noise.len() - 4), None);
    }

    #[test]
    fn a_reference_may_overlap_what_it_produces() {
        // 50 a's as liblzf encodes a run: one literal 'a', then one long reference (49 bytes)
        // to the byte just written.
        let redis = [0x00, b'a', 0xe0, 0x28, 0x00];
        assert_eq!(decompress(&redis, 50).unwrap(), vec![b'a'; 50]);
    }

    #[test]
    fn damaged_input_is_an_error() {
        assert!(decompress(&[0x05, b'a'], 6).is_err(), "run past the input");
        assert!(
            decompress(&[0x20, 0x05], 3).is_err(),
            "reference before the start"
        );
        assert!(decompress(&[0x00, b'a'], 2).is_err(), "too short");
        assert!(decompress(&[0x01, b'a', b'b'], 1).is_err(), "too long");
        assert!(
            decompress(&[0x00, b'a', 0xe0], 50).is_err(),
            "truncated reference"
        );
    }
}
