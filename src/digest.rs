//! What SHA-1 (`scripting/sha1.rs`, script names) and SHA-256 (`acl/sha256.rs`, passwords)
//! share: both cut the message into 64-byte blocks and pad the last one the same way
//! (Merkle–Damgård); each has its own compression function.

/// Calls `compress` on every 64-byte block of `data` and then on the padding: a 1 bit, zeros up
/// to 56 mod 64 bytes, and the message length in bits, big-endian (one or two final blocks).
pub fn for_each_padded_block(data: &[u8], mut compress: impl FnMut(&[u8; 64])) {
    let mut blocks = data.chunks_exact(64);
    for block in &mut blocks {
        compress(block.try_into().expect("64-byte chunk"));
    }
    let rest = blocks.remainder();
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let tail_len = if rest.len() < 56 { 64 } else { 128 };
    let bit_len = (data.len() as u64).wrapping_mul(8);
    tail[tail_len - 8..tail_len].copy_from_slice(&bit_len.to_be_bytes());
    for block in tail[..tail_len].chunks_exact(64) {
        compress(block.try_into().expect("64-byte chunk"));
    }
}
