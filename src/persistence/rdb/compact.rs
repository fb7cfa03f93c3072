//! The compact encodings Redis stores small collections in, inside one RDB string: ziplist
//! (Redis ≤ 6.2), listpack (7.0 on), intset, zipmap (≤ 2.4). Decoders turn each into its
//! elements, integers given back as their decimal text (what Redis's commands return for them);
//! encoders write the two that thredis saves (listpack for small hashes, sorted sets, list
//! nodes and stream nodes, intset for small integer sets), so redis-server loads them into the
//! same encodings it would choose.
//!
//! The blobs come from files that may be damaged: every read is bounds-checked and a bad blob is
//! a [`Corrupt`] error naming the encoding, never a panic.

use crate::keyspace::Bytes;
use crate::number::IntBuf;

/// A blob that does not parse as its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt(pub &'static str);

/// How much of a listpack or an intset the decoders verify, as Redis's
/// `deep_integrity_validation` (`sanitize-dump-payload`). Every read is bounds-checked either
/// way, so neither can panic or over-allocate; `Deep` also checks what only a damaged blob gets
/// wrong: the element count in the header, listpack back lengths, intset order, and repeated
/// fields or members. (Ziplists and zipmaps are always checked deeply: see [`ziplist`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    Shallow,
    Deep,
}

impl Integrity {
    pub fn is_deep(self) -> bool {
        self == Integrity::Deep
    }
}

type Result<T> = std::result::Result<T, Corrupt>;

/// A bounds-checked cursor over a blob.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Cursor<'a> {
        Cursor {
            bytes,
            pos: 0,
            what,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Corrupt(self.what))?;
        let slice = self.bytes.get(self.pos..end).ok_or(Corrupt(self.what))?;
        self.pos = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn peek(&self) -> Result<u8> {
        self.bytes.get(self.pos).copied().ok_or(Corrupt(self.what))
    }

    fn u16_le(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("two")))
    }

    fn u32_le(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("four")))
    }

    /// A little-endian signed integer of `n` bytes (1 to 8).
    fn int_le(&mut self, n: usize) -> Result<i64> {
        let raw = self.take(n)?;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(raw);
        let shift = 64 - 8 * n as u32;
        Ok((i64::from_le_bytes(buf) << shift) >> shift)
    }
}

fn integer(n: i64) -> Bytes {
    Bytes::new(IntBuf::new().format(n))
}

/// The elements of a ziplist (`<zlbytes u32><zltail u32><zllen u16> entries... 0xFF`), each
/// entry `<prevlen><encoding><data>`, always checked deeply: each `prevlen`, the count, and that
/// `zltail` is where the last entry starts (ziplist.c's `ziplistValidateIntegrity`). Redis 7.0
/// converts every ziplist it loads, and so validates them whatever `sanitize-dump-payload`
/// says. `what` names the failure (`Zset ziplist integrity check failed.`).
pub fn ziplist(blob: &[u8], what: &'static str) -> Result<Vec<Bytes>> {
    let mut cursor = Cursor::new(blob, what);
    let total = cursor.u32_le()? as usize;
    let tail = cursor.u32_le()? as usize;
    let count = cursor.u16_le()?;
    if total != blob.len() {
        return Err(Corrupt(what));
    }
    let mut items = Vec::with_capacity(usize::from(count).min(1024));
    let (mut previous_start, mut previous_len) = (cursor.pos, 0);
    loop {
        if cursor.peek()? == 0xFF {
            cursor.byte()?;
            break;
        }
        let start = cursor.pos;
        // prevlen: one byte, or 0xFE and four more.
        let prevlen = match cursor.byte()? {
            0xFE => cursor.u32_le()? as usize,
            short => usize::from(short),
        };
        if prevlen != previous_len {
            return Err(Corrupt(what));
        }
        let encoding = cursor.byte()?;
        let item = match encoding >> 6 {
            0b00 => Bytes::new(cursor.take(usize::from(encoding & 0x3F))?),
            0b01 => {
                let len = usize::from(encoding & 0x3F) << 8 | usize::from(cursor.byte()?);
                Bytes::new(cursor.take(len)?)
            }
            0b10 => {
                let len = u32::from_be_bytes(cursor.take(4)?.try_into().expect("four"));
                Bytes::new(cursor.take(len as usize)?)
            }
            _ => integer(match encoding {
                0xC0 => cursor.int_le(2)?,
                0xD0 => cursor.int_le(4)?,
                0xE0 => cursor.int_le(8)?,
                0xF0 => cursor.int_le(3)?,
                0xFE => cursor.int_le(1)?,
                0xF1..=0xFD => i64::from(encoding & 0x0F) - 1,
                _ => return Err(Corrupt(what)),
            }),
        };
        items.push(item);
        (previous_start, previous_len) = (start, cursor.pos - start);
    }
    if cursor.pos != blob.len() {
        return Err(Corrupt(what));
    }
    // A count of 65535 means "too many to count"; otherwise it must be right. An empty ziplist's
    // tail is its header's end.
    if (count != u16::MAX && usize::from(count) != items.len()) || tail != previous_start {
        return Err(Corrupt(what));
    }
    Ok(items)
}

/// The elements of a listpack (`<total bytes u32><count u16> entries... 0xFF`), each entry
/// `<encoding+data><backlen>`. A deep check also verifies each back length and the count
/// (listpack.c's `lpValidateIntegrity`).
pub fn listpack(blob: &[u8], what: &'static str, integrity: Integrity) -> Result<Vec<Bytes>> {
    let mut cursor = Cursor::new(blob, what);
    let total = cursor.u32_le()? as usize;
    let count = cursor.u16_le()?;
    if total != blob.len() {
        return Err(Corrupt(what));
    }
    let mut items = Vec::with_capacity(usize::from(count).min(1024));
    loop {
        let start = cursor.pos;
        let encoding = cursor.byte()?;
        let item = if encoding == 0xFF {
            break;
        } else if encoding & 0x80 == 0 {
            integer(i64::from(encoding))
        } else if encoding & 0xC0 == 0x80 {
            Bytes::new(cursor.take(usize::from(encoding & 0x3F))?)
        } else if encoding & 0xE0 == 0xC0 {
            let raw = i64::from(encoding & 0x1F) << 8 | i64::from(cursor.byte()?);
            integer(if raw >= 1 << 12 { raw - (1 << 13) } else { raw })
        } else if encoding & 0xF0 == 0xE0 {
            let len = usize::from(encoding & 0x0F) << 8 | usize::from(cursor.byte()?);
            Bytes::new(cursor.take(len)?)
        } else {
            match encoding {
                0xF0 => {
                    let len = cursor.u32_le()? as usize;
                    Bytes::new(cursor.take(len)?)
                }
                0xF1 => integer(cursor.int_le(2)?),
                0xF2 => integer(cursor.int_le(3)?),
                0xF3 => integer(cursor.int_le(4)?),
                0xF4 => integer(cursor.int_le(8)?),
                _ => return Err(Corrupt(what)),
            }
        };
        // The back length encodes the entry's own size.
        let entry_len = (cursor.pos - start) as u64;
        let backlen = cursor.take(backlen_size(entry_len))?;
        if integrity.is_deep() && backlen != encode_backlen(entry_len).as_slice() {
            return Err(Corrupt(what));
        }
        items.push(item);
    }
    if cursor.pos != blob.len() {
        return Err(Corrupt(what));
    }
    if integrity.is_deep() && count != u16::MAX && usize::from(count) != items.len() {
        return Err(Corrupt(what));
    }
    Ok(items)
}

/// The members of an intset (`<encoding u32: 2, 4 or 8><length u32> values...`), in order. A
/// deep check also verifies that they are sorted and unique (intset.c's `intsetValidateIntegrity`).
pub fn intset(blob: &[u8], integrity: Integrity) -> Result<Vec<Bytes>> {
    const WHAT: &str = "Intset integrity check failed.";
    let mut cursor = Cursor::new(blob, WHAT);
    let width = cursor.u32_le()? as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(Corrupt(WHAT));
    }
    let count = cursor.u32_le()? as usize;
    if count.checked_mul(width) != Some(blob.len() - 8) {
        return Err(Corrupt(WHAT));
    }
    let mut members = Vec::with_capacity(count);
    let mut previous = None;
    for _ in 0..count {
        let value = cursor.int_le(width)?;
        if integrity.is_deep() && previous.is_some_and(|p| p >= value) {
            return Err(Corrupt(WHAT));
        }
        previous = Some(value);
        members.push(integer(value));
    }
    Ok(members)
}

/// The field/value pairs of a zipmap (Redis ≤ 2.4 small hashes): `<count u8>` then
/// `<len>field<len><free>value<free bytes>` until 0xFF, a length being one byte below 254 or 254
/// and four bytes.
pub fn zipmap(blob: &[u8]) -> Result<Vec<(Bytes, Bytes)>> {
    const WHAT: &str = "Zipmap integrity check failed.";
    let mut cursor = Cursor::new(blob, WHAT);
    let length = |cursor: &mut Cursor| -> Result<usize> {
        match cursor.byte()? {
            254 => Ok(cursor.u32_le()? as usize),
            255 => Err(Corrupt(WHAT)),
            n => Ok(usize::from(n)),
        }
    };
    cursor.byte()?;
    let mut pairs = Vec::new();
    while cursor.peek()? != 0xFF {
        let field_len = length(&mut cursor)?;
        let field = Bytes::new(cursor.take(field_len)?);
        let value_len = length(&mut cursor)?;
        let free = usize::from(cursor.byte()?);
        let value = Bytes::new(cursor.take(value_len)?);
        cursor.take(free)?;
        pairs.push((field, value));
    }
    cursor.byte()?;
    // An empty zipmap is damage too (zipmap.c's `zipmapValidateIntegrity`).
    if cursor.pos != blob.len() || pairs.is_empty() {
        return Err(Corrupt(WHAT));
    }
    Ok(pairs)
}

/// Pairs up a flat list of alternating fields and values (hash ziplists and listpacks).
pub fn pairs(items: Vec<Bytes>, what: &'static str) -> Result<Vec<(Bytes, Bytes)>> {
    if items.len() % 2 != 0 {
        return Err(Corrupt(what));
    }
    let mut items = items.into_iter();
    let mut pairs = Vec::with_capacity(items.len() / 2);
    while let (Some(field), Some(value)) = (items.next(), items.next()) {
        pairs.push((field, value));
    }
    Ok(pairs)
}

/// Size of a listpack back length for an entry of `len` bytes.
fn backlen_size(len: u64) -> usize {
    match len {
        0..=127 => 1,
        128..16383 => 2,
        16383..2_097_151 => 3,
        2_097_151..268_435_455 => 4,
        _ => 5,
    }
}

/// A listpack back length: the entry's size, seven bits per byte, most significant first, every
/// byte but the first with its top bit set (so it can be read backwards from the entry's end).
fn encode_backlen(len: u64) -> Vec<u8> {
    let size = backlen_size(len);
    (0..size)
        .map(|i| {
            let shift = 7 * (size - 1 - i);
            let bits = ((len >> shift) & 127) as u8;
            if i == 0 { bits } else { bits | 128 }
        })
        .collect()
}

/// Builds a listpack the way Redis's `lpAppend` does: strings that are canonical integers are
/// stored as integers, in the smallest encoding that holds them.
pub struct ListpackWriter {
    bytes: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> Self {
        ListpackWriter::new()
    }
}

impl ListpackWriter {
    /// The header (total size and count) is filled in by [`ListpackWriter::finish`].
    pub const HEADER: usize = 6;

    pub fn new() -> ListpackWriter {
        ListpackWriter {
            bytes: vec![0; Self::HEADER],
            count: 0,
        }
    }

    /// Bytes so far, header included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends a string element (Redis's `lpAppend`): as an integer if it is the canonical
    /// text of one.
    pub fn push(&mut self, item: &[u8]) {
        let start = self.bytes.len();
        match crate::number::parse_i64(item) {
            Some(n) => self.encode_integer(n),
            None => self.encode_string(item),
        }
        self.end_entry(start);
    }

    /// Appends an integer element (Redis's `lpAppendInteger`: a stream node's counts, flags
    /// and ID deltas).
    pub fn push_integer(&mut self, n: i64) {
        let start = self.bytes.len();
        self.encode_integer(n);
        self.end_entry(start);
    }

    /// Closes the element that began at `start` with its back length.
    fn end_entry(&mut self, start: usize) {
        let entry_len = (self.bytes.len() - start) as u64;
        self.bytes.extend_from_slice(&encode_backlen(entry_len));
        self.count += 1;
    }

    fn encode_integer(&mut self, n: i64) {
        let out = &mut self.bytes;
        if (0..=127).contains(&n) {
            out.push(n as u8);
        } else if (-4096..=4095).contains(&n) {
            let v = if n < 0 { (1 << 13) + n } else { n } as u16;
            out.extend_from_slice(&[0xC0 | (v >> 8) as u8, v as u8]);
        } else if let Ok(v) = i16::try_from(n) {
            out.push(0xF1);
            out.extend_from_slice(&v.to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&n) {
            out.push(0xF2);
            out.extend_from_slice(&n.to_le_bytes()[..3]);
        } else if let Ok(v) = i32::try_from(n) {
            out.push(0xF3);
            out.extend_from_slice(&v.to_le_bytes());
        } else {
            out.push(0xF4);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }

    fn encode_string(&mut self, item: &[u8]) {
        let out = &mut self.bytes;
        let len = item.len();
        if len < 64 {
            out.push(0x80 | len as u8);
        } else if len < 4096 {
            out.extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
        } else {
            out.push(0xF0);
            out.extend_from_slice(&(len as u32).to_le_bytes());
        }
        out.extend_from_slice(item);
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.push(0xFF);
        let total = self.bytes.len() as u32;
        let count = u16::try_from(self.count).unwrap_or(u16::MAX);
        self.bytes[..4].copy_from_slice(&total.to_le_bytes());
        self.bytes[4..6].copy_from_slice(&count.to_le_bytes());
        self.bytes
    }
}

/// An intset holding `members`, if every one is the canonical text of an integer; sorted, in the
/// narrowest width that holds them all.
pub fn encode_intset<'a>(members: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut values = members
        .map(crate::number::parse_i64)
        .collect::<Option<Vec<i64>>>()?;
    values.sort_unstable();
    values.dedup();
    let width: usize = if values.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[Bytes]) -> Vec<String> {
        items
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn a_listpack_round_trips_strings_and_every_integer_width() {
        let values: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "4096",
            "-32768",
            "32767",
            "32768",
            "-8388608",
            "8388607",
            "8388608",
            "-2147483648",
            "2147483647",
            "2147483648",
            "-9223372036854775808",
            "9223372036854775807",
            "",
            "abc",
            "007",
            "+1",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            vec![b'w'; 4096],
        ])
        .collect();
        let mut writer = ListpackWriter::new();
        for value in &values {
            writer.push(value);
        }
        let blob = writer.finish();
        let items = listpack(&blob, "test", Integrity::Deep).unwrap();
        let items: Vec<Vec<u8>> = items.iter().map(|b| b.to_vec()).collect();
        assert_eq!(items, values);
    }

    #[test]
    fn a_listpack_redis_wrote_decodes() {
        // RPUSH k a 1 -5 hello on redis-server 7.0.15, then DUMP k: the listpack of its only
        // quicklist node.
        let blob = [
            0x16, 0, 0, 0, 4, 0, 0x81, b'a', 2, 0x01, 1, 0xdf, 0xfb, 2, 0x85, b'h', b'e', b'l',
            b'l', b'o', 6, 0xff,
        ];
        assert_eq!(
            texts(&listpack(&blob, "test", Integrity::Deep).unwrap()),
            ["a", "1", "-5", "hello"]
        );
    }

    #[test]
    fn a_ziplist_decodes_every_entry_kind() {
        // Built by hand from ziplist.c's layout: "ab", 7 (immediate), 300 (int16), -70000
        // (int24), 2^40 (int64), a 70-byte string (14-bit length).
        let mut entries = Vec::new();
        entries.extend_from_slice(&[0, 0x02, b'a', b'b']);
        entries.extend_from_slice(&[4, 0xF8]);
        entries.extend_from_slice(&[2, 0xC0, 0x2C, 0x01]);
        entries.extend_from_slice(&[4, 0xF0]);
        entries.extend_from_slice(&(-70000i32).to_le_bytes()[..3]);
        entries.extend_from_slice(&[5, 0xE0]);
        entries.extend_from_slice(&(1i64 << 40).to_le_bytes());
        entries.extend_from_slice(&[10, 0x40, 70]);
        entries.extend_from_slice(&[b'q'; 70]);
        let mut blob = Vec::new();
        let total = (10 + entries.len() + 1) as u32;
        let last_entry = (10 + entries.len() - 73) as u32;
        blob.extend_from_slice(&total.to_le_bytes());
        blob.extend_from_slice(&last_entry.to_le_bytes());
        blob.extend_from_slice(&6u16.to_le_bytes());
        blob.extend_from_slice(&entries);
        blob.push(0xFF);
        let items = texts(&ziplist(&blob, "test").unwrap());
        assert_eq!(items[..5], ["ab", "7", "300", "-70000", "1099511627776"]);
        assert_eq!(items[5], "q".repeat(70));
    }

    #[test]
    fn a_shallow_check_trusts_what_only_a_deep_one_verifies() {
        let mut writer = ListpackWriter::new();
        writer.push(b"a");
        writer.push(b"b");
        let good = writer.finish();
        let mut miscounted = good.clone();
        miscounted[4] = 3;
        let mut bad_backlen = good.clone();
        bad_backlen[8] = 9;
        for blob in [&miscounted, &bad_backlen] {
            assert!(listpack(blob, "test", Integrity::Deep).is_err());
            assert_eq!(listpack(blob, "test", Integrity::Shallow).unwrap().len(), 2);
        }
        // Cut short, it is refused either way: bounds are always checked.
        assert!(listpack(&good[..good.len() - 1], "test", Integrity::Shallow).is_err());
        let unsorted = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0];
        assert_eq!(intset(&unsorted, Integrity::Shallow).unwrap().len(), 2);
        assert!(intset(&unsorted[..11], Integrity::Shallow).is_err());
    }

    #[test]
    fn a_ziplist_with_a_wrong_tail_or_previous_length_is_refused() {
        // "ab" then 7: a 4-byte entry, then a 2-byte one starting at offset 14.
        let mut blob = vec![17, 0, 0, 0, 14, 0, 0, 0, 2, 0];
        blob.extend_from_slice(&[0, 0x02, b'a', b'b', 4, 0xF8, 0xFF]);
        assert_eq!(texts(&ziplist(&blob, "test").unwrap()), ["ab", "7"]);
        let mut wrong_tail = blob.clone();
        wrong_tail[4] = 10;
        assert_eq!(ziplist(&wrong_tail, "test"), Err(Corrupt("test")));
        let mut wrong_prevlen = blob.clone();
        wrong_prevlen[14] = 3;
        assert!(ziplist(&wrong_prevlen, "test").is_err());
        let mut wrong_count = blob;
        wrong_count[8] = 3;
        assert!(ziplist(&wrong_count, "test").is_err());
    }

    #[test]
    fn an_intset_round_trips_in_order() {
        let members: Vec<&[u8]> = vec![b"5", b"-3", b"70000", b"5"];
        let blob = encode_intset(members.into_iter()).unwrap();
        assert_eq!(&blob[..4], &4u32.to_le_bytes(), "needs 32 bits");
        assert_eq!(
            texts(&intset(&blob, Integrity::Deep).unwrap()),
            ["-3", "5", "70000"]
        );
        assert!(encode_intset([&b"x"[..]].into_iter()).is_none());
        let unsorted = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0];
        assert!(intset(&unsorted, Integrity::Deep).is_err());
    }

    #[test]
    fn a_zipmap_decodes() {
        // zipmap.c's example: {"foo" => "bar", "hello" => "world"}, one free byte after "bar".
        let mut blob = vec![2, 3];
        blob.extend_from_slice(b"foo");
        blob.extend_from_slice(&[3, 1]);
        blob.extend_from_slice(b"bar?");
        blob.push(5);
        blob.extend_from_slice(b"hello");
        blob.extend_from_slice(&[5, 0]);
        blob.extend_from_slice(b"world");
        blob.push(0xFF);
        let pairs = zipmap(&blob).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(
            (&pairs[0].0[..], &pairs[0].1[..]),
            (&b"foo"[..], &b"bar"[..])
        );
        assert_eq!(&pairs[1].1[..], b"world");
    }

    #[test]
    fn damaged_blobs_are_errors_at_every_length() {
        let mut writer = ListpackWriter::new();
        for value in ["a", "12345", "hello world"] {
            writer.push(value.as_bytes());
        }
        let blob = writer.finish();
        for len in 0..blob.len() {
            assert!(
                listpack(&blob[..len], "test", Integrity::Deep).is_err(),
                "cut at {len}"
            );
        }
        let mut flipped = blob.clone();
        flipped[6] = 0xF9;
        assert!(listpack(&flipped, "test", Integrity::Deep).is_err());
        assert!(ziplist(&[1, 2, 3], "test").is_err());
        assert!(zipmap(&[1, 3, b'a']).is_err());
        assert!(zipmap(&[0, 0xFF]).is_err(), "an empty zipmap");
    }
}
