//! Writes replies as RESP2 or RESP3 bytes into a connection's output buffer. Knows nothing about
//! sockets: the connection decides when the buffer goes out. (Stage 2; RESP3 when a client says
//! `HELLO 3`.)
//!
//! Handlers describe the reply's shape (`null`, `map`, `double`...) and this module picks the
//! wire form for the connection's protocol, as Redis's `addReply*` family does. The differences
//! matter to clients: after `HELLO 3`, redis-py waits forever on a RESP2 null (`$-1`) because its
//! RESP3 parser expects `_`.

use crate::number;

/// Appends replies to an output buffer, in the protocol the connection has chosen.
pub struct Reply<'a> {
    out: &'a mut Vec<u8>,
    resp3: bool,
}

impl<'a> Reply<'a> {
    pub fn new(out: &'a mut Vec<u8>, resp3: bool) -> Self {
        Reply { out, resp3 }
    }

    pub fn is_resp3(&self) -> bool {
        self.resp3
    }

    /// A `Reply` appending to the same buffer for a shorter while (a command that `EXEC` runs
    /// writes into EXEC's reply).
    pub fn reborrow(&mut self) -> Reply<'_> {
        Reply {
            out: self.out,
            resp3: self.resp3,
        }
    }

    /// Switches protocol mid-command: `HELLO 3` answers in RESP3 already.
    pub fn set_resp3(&mut self, resp3: bool) {
        self.resp3 = resp3;
    }

    /// A position to roll back to if the command fails after it started replying.
    pub fn mark(&self) -> usize {
        self.out.len()
    }

    pub fn truncate(&mut self, mark: usize) {
        self.out.truncate(mark);
    }

    /// `+OK`
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }

    /// A status reply (`+PONG`). The text must not contain CR or LF.
    pub fn simple(&mut self, text: &str) {
        self.out.push(b'+');
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// An error reply. `message` starts with the error code (`ERR ...`, `WRONGTYPE ...`). Like
    /// Redis's `addReplyErrorLength`, CR and LF inside it become spaces so they cannot break the
    /// protocol.
    pub fn error(&mut self, message: &[u8]) {
        self.out.push(b'-');
        self.out.extend(
            message
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.out.extend_from_slice(b"\r\n");
    }

    pub fn integer(&mut self, n: i64) {
        self.header(b':', n);
    }

    pub fn bulk(&mut self, bytes: &[u8]) {
        self.header(b'$', bytes.len() as i64);
        self.out.extend_from_slice(bytes);
        self.out.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding an integer's decimal form (`INCRBYFLOAT`-style replies, `TIME`).
    pub fn bulk_integer(&mut self, n: i64) {
        let mut buf = number::IntBuf::new();
        self.bulk(buf.format(n));
    }

    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// A missing aggregate (timed-out BLPOP, aborted EXEC): `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// The header of an array of `len` elements, which the caller then writes.
    pub fn array(&mut self, len: usize) {
        self.header(b'*', len as i64);
    }

    /// The header of an out-of-band message of `len` elements (pub/sub messages and
    /// confirmations): a push `>len` in RESP3, an array in RESP2.
    pub fn push(&mut self, len: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, len as i64);
    }

    /// The header of a map of `len` key/value pairs: `%len` in RESP3, a flat array in RESP2.
    pub fn map(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'%', len as i64);
        } else {
            self.header(b'*', 2 * len as i64);
        }
    }

    /// The header of a set: `~len` in RESP3, an array in RESP2.
    pub fn set(&mut self, len: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, len as i64);
    }

    /// A floating-point number: `,` in RESP3, a bulk string in RESP2, formatted as Redis 7.0
    /// does (`%.17g`).
    pub fn double(&mut self, value: f64) {
        let mut buf = number::DoubleBuf::new();
        let text = buf.format(value);
        if self.resp3 {
            self.out.push(b',');
            self.out.extend_from_slice(text.as_bytes());
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text.as_bytes());
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, value: bool) {
        let bytes: &[u8] = match (self.resp3, value) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        };
        self.out.extend_from_slice(bytes);
    }

    /// A number too big for 64 bits, given as its decimal digits: RESP3's `(`, a bulk string
    /// in RESP2.
    pub fn big_number(&mut self, digits: &str) {
        if self.resp3 {
            self.out.push(b'(');
            self.out.extend_from_slice(digits.as_bytes());
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits.as_bytes());
        }
    }

    /// The header of RESP3 attributes (`|len`, `len` key/value pairs that annotate the reply
    /// after them). RESP2 has no attributes: the caller writes them only to RESP3 clients.
    pub fn attributes(&mut self, len: usize) {
        debug_assert!(self.resp3, "RESP2 has no attributes");
        self.header(b'|', len as i64);
    }

    /// Free text meant for humans (INFO, CLIENT LIST): RESP3's verbatim string `=len\r\ntxt:...`,
    /// a plain bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as i64 + 4);
            self.out.extend_from_slice(b"txt:");
            self.out.extend_from_slice(text);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Bytes that are already RESP (a reply cached or built elsewhere).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Bytes that are already RESP, inserted at `mark` (a [`Reply::mark`]) before what was
    /// written since: pub/sub messages that arrived while a command ran go before its reply.
    pub fn insert(&mut self, mark: usize, bytes: &[u8]) {
        self.out.splice(mark..mark, bytes.iter().copied());
    }

    fn header(&mut self, kind: u8, n: i64) {
        let mut buf = number::IntBuf::new();
        self.out.push(kind);
        self.out.extend_from_slice(buf.format(n));
        self.out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(write: impl Fn(&mut Reply)) -> (String, String) {
        let render = |resp3| {
            let mut out = Vec::new();
            write(&mut Reply::new(&mut out, resp3));
            String::from_utf8(out).unwrap()
        };
        (render(false), render(true))
    }

    #[test]
    fn nulls_differ_between_protocols() {
        assert_eq!(both(|r| r.null()), ("$-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.null_array()), ("*-1\r\n".into(), "_\r\n".into()));
    }

    #[test]
    fn pushes_are_arrays_in_resp2() {
        assert_eq!(both(|r| r.push(3)), ("*3\r\n".into(), ">3\r\n".into()));
    }

    #[test]
    fn maps_are_flat_arrays_in_resp2() {
        let (resp2, resp3) = both(|r| {
            r.map(1);
            r.bulk(b"proto");
            r.integer(3);
        });
        assert_eq!(resp2, "*2\r\n$5\r\nproto\r\n:3\r\n");
        assert_eq!(resp3, "%1\r\n$5\r\nproto\r\n:3\r\n");
    }

    #[test]
    fn doubles_booleans_and_verbatim_text() {
        assert_eq!(
            both(|r| r.double(1.5)),
            ("$3\r\n1.5\r\n".into(), ",1.5\r\n".into())
        );
        assert_eq!(
            both(|r| r.boolean(true)),
            (":1\r\n".into(), "#t\r\n".into())
        );
        assert_eq!(
            both(|r| r.verbatim(b"a:1")),
            ("$3\r\na:1\r\n".into(), "=7\r\ntxt:a:1\r\n".into())
        );
    }

    #[test]
    fn errors_cannot_break_the_protocol() {
        let (resp2, _) = both(|r| r.error(b"ERR bad\r\nthing"));
        assert_eq!(resp2, "-ERR bad  thing\r\n");
    }

    #[test]
    fn a_failed_command_rolls_back_its_partial_reply() {
        let mut out = b"+OK\r\n".to_vec();
        let mut reply = Reply::new(&mut out, false);
        let mark = reply.mark();
        reply.array(2);
        reply.truncate(mark);
        reply.error(b"ERR nope");
        assert_eq!(out, b"+OK\r\n-ERR nope\r\n");
    }
}
