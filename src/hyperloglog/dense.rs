//! The dense encoding: 16384 registers of 6 bits each, packed little-endian from the first bit
//! of the first byte after the header (Redis's `HLL_DENSE_GET_REGISTER` and
//! `HLL_DENSE_SET_REGISTER`). A register may straddle two bytes; the last one ends exactly at
//! the end of the string, where Redis's macros touch the string's terminating zero, which
//! changes nothing: here that byte is simply absent.

use super::{REGISTERS, Registers};

/// Bits per register.
const BITS: usize = 6;
/// The largest value a register holds.
const MAX: u8 = (1 << BITS) - 1;
/// Bytes of packed registers after the header.
pub const BYTES: usize = (REGISTERS * BITS).div_ceil(8);

/// The register at `index` of the packed `registers`.
pub fn get(registers: &[u8], index: usize) -> u8 {
    let (byte, shift) = (index * BITS / 8, index * BITS % 8);
    let low = u16::from(registers[byte]);
    let high = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    ((low | high << 8) >> shift) as u8 & MAX
}

/// Sets the register at `index` to `value` (at most 63).
fn put(registers: &mut [u8], index: usize, value: u8) {
    let (byte, shift) = (index * BITS / 8, index * BITS % 8);
    let mask = u16::from(MAX) << shift;
    let bits = u16::from(value & MAX) << shift;
    registers[byte] = (registers[byte] & !(mask as u8)) | bits as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next = (*next & !((mask >> 8) as u8)) | (bits >> 8) as u8;
    }
}

/// Raises the register at `index` to `value` if it is lower; whether it changed (Redis's
/// `hllDenseSet`).
pub fn raise(registers: &mut [u8], index: usize, value: u8) -> bool {
    if value > get(registers, index) {
        put(registers, index, value);
        true
    } else {
        false
    }
}

/// How many registers hold each value (Redis's `hllDenseRegHisto`).
pub fn histogram(registers: &[u8]) -> [u64; 64] {
    let mut histogram = [0u64; 64];
    // Four registers fill three bytes exactly: unpack them a group at a time.
    for group in registers.chunks_exact(3) {
        let word = u32::from(group[0]) | u32::from(group[1]) << 8 | u32::from(group[2]) << 16;
        for i in 0..4 {
            histogram[(word >> (i * BITS)) as usize & MAX as usize] += 1;
        }
    }
    histogram
}

/// Raises each of `max`'s registers to this HLL's, where this one's is higher (Redis's
/// `hllMerge`, dense case).
pub fn merge_into(max: &mut Registers, registers: &[u8]) {
    for (index, slot) in max.iter_mut().enumerate() {
        *slot = (*slot).max(get(registers, index));
    }
}

/// A test of the register packing, as the first part of Redis's `PFSELFTEST`: set every
/// register to a value from `next_value`, read them all back. The first mismatch is reported
/// as (register, expected, found).
pub fn self_test(mut next_value: impl FnMut() -> u8) -> Result<(), (usize, u8, u8)> {
    let mut registers = vec![0u8; BYTES];
    let mut expected = vec![0u8; REGISTERS];
    for (index, slot) in expected.iter_mut().enumerate() {
        *slot = next_value() & MAX;
        put(&mut registers, index, *slot);
    }
    for (index, &value) in expected.iter().enumerate() {
        let found = get(&registers, index);
        if found != value {
            return Err((index, value, found));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_do_not_disturb_their_neighbours() {
        let mut registers = vec![0u8; BYTES];
        put(&mut registers, 1, 63);
        assert_eq!(get(&registers, 0), 0);
        assert_eq!(get(&registers, 1), 63);
        assert_eq!(get(&registers, 2), 0);
        // Register 1 covers bits 6..12: the top two bits of byte 0 and the low four of byte 1.
        assert_eq!(&registers[..2], &[0b1100_0000, 0b0000_1111]);
        put(&mut registers, REGISTERS - 1, 42);
        assert_eq!(get(&registers, REGISTERS - 1), 42);
        assert_eq!(registers[BYTES - 1], 42 << 2);
    }

    #[test]
    fn raising_only_goes_up() {
        let mut registers = vec![0u8; BYTES];
        assert!(raise(&mut registers, 5, 3));
        assert!(!raise(&mut registers, 5, 2));
        assert!(!raise(&mut registers, 5, 3));
        assert_eq!(get(&registers, 5), 3);
    }

    #[test]
    fn the_histogram_counts_every_register() {
        let mut registers = vec![0u8; BYTES];
        put(&mut registers, 7, 5);
        put(&mut registers, 8, 5);
        put(&mut registers, 100, 63);
        let histogram = histogram(&registers);
        assert_eq!(histogram[0], REGISTERS as u64 - 3);
        assert_eq!(histogram[5], 2);
        assert_eq!(histogram[63], 1);
    }

    #[test]
    fn the_packing_self_test_passes() {
        let mut n = 0u8;
        assert_eq!(
            self_test(|| {
                n = n.wrapping_add(37);
                n
            }),
            Ok(())
        );
    }
}
