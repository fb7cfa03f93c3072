//! Reads client requests off a `BufRead`: RESP multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what
//! every client library sends) and inline commands (`GET k\r\n`, what telnet sends). Knows nothing
//! about sockets or commands. (Stage 2; multibulk arrays matter from stage 5 on.)
//!
//! The rules, limits and error texts follow Redis 7.0's `processMultibulkBuffer` and
//! `processInlineBuffer` (networking.c), including their quirks, so that a client sees the same
//! bytes from thredis as from Redis:
//! - header lines (`*N`, `$N`) end at `\r`; the byte after it is skipped unchecked;
//! - the two bytes after a bulk payload are skipped unchecked (`$4\r\nPINGXX` runs PING);
//! - a NUL byte before a line's terminator hides the terminator (Redis searches with `strchr`),
//!   so such a line can only end in the "too big" error once 64 KB have arrived;
//! - `*0` and negative counts are ignored, as are blank inline lines.
//!
//! Memory stays bounded by what the client actually sent: no buffer is sized from a count the
//! client declared, header lines are capped at 64 KB while they are still arriving, and each
//! argument at `client-query-buffer-limit` (below).
//!
//! `client-query-buffer-limit` caps what Redis holds *unparsed*: a partial header line, or the one
//! large argument being received (Redis reads an argument of 32 KB or more into a buffer of its
//! own, and moves finished arguments out of the query buffer). So the limit applies to one
//! argument plus its CRLF, not to the whole request: with a 1 MB limit, `MSET` with three 600 KB
//! values is accepted. Redis notices only once more than the limit has actually arrived.

use std::io::{self, BufRead, Read};

use super::split::split_args;

/// Longest header or inline line Redis accepts (`PROTO_INLINE_MAX_SIZE`).
pub const MAX_LINE: usize = 64 * 1024;

/// How many argument slots to reserve up front, whatever count the client declares. Redis caps
/// its pre-allocation at 1024 for the same reason: `*2147483647` must not allocate 16 GB.
const MAX_PREALLOCATED_ARGS: usize = 1024;

/// Bulk payloads are read in pieces of at most this size, so a declared length never turns into
/// an allocation before the bytes exist.
const BULK_READ_CHUNK: usize = 1024 * 1024;

/// The arguments of one request, stored back to back in one buffer that is reused from request
/// to request: reading a request allocates nothing once the buffers have grown to fit.
#[derive(Default, Clone)]
pub struct Request {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Request {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`th argument (0 is the command name).
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn arg(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.arg(i))
    }

    /// Builds a request from ready-made arguments (tests, and commands replayed internally).
    pub fn from_args<A: AsRef<[u8]>>(args: &[A]) -> Request {
        // Sized up front: scripts build one per `redis.call`, and growing was two reallocations.
        let bytes = args.iter().map(|arg| arg.as_ref().len()).sum();
        let mut request = Request {
            data: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(args.len()),
        };
        for arg in args {
            request.data.extend_from_slice(arg.as_ref());
            request.ends.push(request.data.len());
        }
        request
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    fn end_arg(&mut self) {
        self.ends.push(self.data.len());
    }

    /// Gives back memory a very large request left behind, so one big SET does not pin
    /// megabytes to an idle connection.
    pub fn shrink(&mut self) {
        const KEEP: usize = 64 * 1024;
        if self.data.capacity() > KEEP {
            self.data = Vec::with_capacity(KEEP);
        }
        if self.ends.capacity() > MAX_PREALLOCATED_ARGS {
            self.ends = Vec::new();
        }
    }
}

/// The client broke the protocol. Redis replies `-ERR Protocol error: <text>` and closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    InvalidMultibulkLength,
    InvalidBulkLength,
    ExpectedDollar(u8),
    TooBigMultibulkCount,
    TooBigBulkCount,
    TooBigInline,
    UnbalancedQuotes,
    /// More than [`UNAUTHENTICATED_MAX_ARGS`] arguments before the client logged in.
    UnauthenticatedMultibulkLength,
    /// An argument over [`UNAUTHENTICATED_MAX_BULK`] bytes before the client logged in.
    UnauthenticatedBulkLength,
}

/// Before a client has logged in (when the server asks for a password), a request may have at
/// most this many arguments and each at most [`UNAUTHENTICATED_MAX_BULK`] bytes: an anonymous
/// client cannot make the server buffer much (Redis's limits, `processMultibulkBuffer`).
pub const UNAUTHENTICATED_MAX_ARGS: i64 = 10;
pub const UNAUTHENTICATED_MAX_BULK: usize = 16384;

impl ProtocolError {
    /// The error reply, without the leading `-` and trailing CRLF. Bytes, not a `String`: Redis
    /// prints the offending byte with `%c`, so `got '\xff'` is that one raw byte on the wire.
    pub fn message(self) -> Vec<u8> {
        let mut message = b"ERR Protocol error: ".to_vec();
        message.extend_from_slice(&self.reason_bytes());
        message
    }

    /// What went wrong, in Redis's words (`invalid bulk length`), for the log.
    pub fn reason(self) -> String {
        String::from_utf8_lossy(&self.reason_bytes()).into_owned()
    }

    fn reason_bytes(self) -> Vec<u8> {
        let text = match self {
            ProtocolError::ExpectedDollar(got) => {
                return [&b"expected '$', got '"[..], &[got], b"'"].concat();
            }
            ProtocolError::InvalidMultibulkLength => "invalid multibulk length",
            ProtocolError::InvalidBulkLength => "invalid bulk length",
            ProtocolError::TooBigMultibulkCount => "too big mbulk count string",
            ProtocolError::TooBigBulkCount => "too big bulk count string",
            ProtocolError::TooBigInline => "too big inline request",
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in request",
            ProtocolError::UnauthenticatedMultibulkLength => "unauthenticated multibulk length",
            ProtocolError::UnauthenticatedBulkLength => "unauthenticated bulk length",
        };
        text.as_bytes().to_vec()
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection (possibly in the middle of a request).
    Closed,
    /// Reply with the error, then close.
    Protocol(ProtocolError),
    /// The request outgrew `client-query-buffer-limit`: close without a reply, as Redis does.
    QueryBufferLimit,
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => ReadError::Closed,
            _ => ReadError::Io(error),
        }
    }
}

/// Limits read from the configuration before each request, so `CONFIG SET` takes effect at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `proto-max-bulk-len`: the largest single argument.
    pub max_bulk_len: usize,
    /// `client-query-buffer-limit`: the most unparsed input held at once, which in practice
    /// means the largest argument plus its CRLF.
    pub max_query_buffer: usize,
    /// The client must still log in: the small limits above apply.
    pub unauthenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_query_buffer: 1024 * 1024 * 1024,
            unauthenticated: false,
        }
    }
}

/// What ends a line, and what to do when it does not come.
#[derive(Clone, Copy)]
enum Line {
    /// `*N\r`: Redis looks for `\r` and skips one more byte.
    MultibulkCount,
    /// `$N\r`: as above.
    BulkCount,
    /// `...\n`, with an optional `\r` before the `\n`.
    Inline,
}

impl Line {
    fn too_big(self) -> ProtocolError {
        match self {
            Line::MultibulkCount => ProtocolError::TooBigMultibulkCount,
            Line::BulkCount => ProtocolError::TooBigBulkCount,
            Line::Inline => ProtocolError::TooBigInline,
        }
    }
}

/// Reads requests from one connection for its whole life. Generic over the reader so the parser
/// is tested on byte slices, without sockets.
pub struct RequestReader<R> {
    input: R,
    /// A header or inline line being assembled, reused between lines.
    line: Vec<u8>,
}

impl<R: BufRead> RequestReader<R> {
    pub fn new(input: R) -> Self {
        RequestReader {
            input,
            line: Vec::with_capacity(128),
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.input
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.input
    }

    /// Reads the next request into `request`. Returns `Ok(false)` for input that holds no command
    /// (a blank inline line, `*0`, `*-1`): Redis ignores those without a reply.
    pub fn read_request(
        &mut self,
        request: &mut Request,
        limits: Limits,
    ) -> Result<bool, ReadError> {
        request.clear();
        let first = match self.input.fill_buf()?.first() {
            Some(&byte) => byte,
            None => return Err(ReadError::Closed),
        };
        if first == b'*' {
            self.read_multibulk(request, limits)
        } else {
            self.read_inline(request)
        }
    }

    fn read_multibulk(&mut self, request: &mut Request, limits: Limits) -> Result<bool, ReadError> {
        self.read_line(Line::MultibulkCount)?;
        let count = match parse_count(&self.line[1..]) {
            Some(count) if count <= i32::MAX as i64 => count,
            _ => return Err(ReadError::Protocol(ProtocolError::InvalidMultibulkLength)),
        };
        if limits.unauthenticated && count > UNAUTHENTICATED_MAX_ARGS {
            return Err(ReadError::Protocol(
                ProtocolError::UnauthenticatedMultibulkLength,
            ));
        }
        if count <= 0 {
            return Ok(false);
        }
        let count = count as usize;
        request.ends.reserve(count.min(MAX_PREALLOCATED_ARGS));
        for _ in 0..count {
            self.read_line(Line::BulkCount)?;
            // An empty line means the `\r` itself was where Redis expected the `$`.
            let first = self.line.first().copied().unwrap_or(b'\r');
            if first != b'$' {
                return Err(ReadError::Protocol(ProtocolError::ExpectedDollar(first)));
            }
            let len = match parse_count(&self.line[1..]) {
                Some(len) if len >= 0 && len as u64 <= limits.max_bulk_len as u64 => len as usize,
                _ => return Err(ReadError::Protocol(ProtocolError::InvalidBulkLength)),
            };
            if limits.unauthenticated && len > UNAUTHENTICATED_MAX_BULK {
                return Err(ReadError::Protocol(
                    ProtocolError::UnauthenticatedBulkLength,
                ));
            }
            // Redis holds a large argument and its CRLF in the query buffer until it is whole,
            // and closes the client once that buffer has grown past the limit. Discard rather
            // than store: those bytes can never become a command.
            if len.saturating_add(2) > limits.max_query_buffer {
                self.skip(limits.max_query_buffer.saturating_add(1))?;
                return Err(ReadError::QueryBufferLimit);
            }
            self.read_bulk(request, len)?;
            request.end_arg();
            // Redis skips the two bytes after the payload without looking at them.
            self.skip(2)?;
        }
        Ok(true)
    }

    fn read_inline(&mut self, request: &mut Request) -> Result<bool, ReadError> {
        self.read_line(Line::Inline)?;
        let args = split_args(&self.line)
            .map_err(|_| ReadError::Protocol(ProtocolError::UnbalancedQuotes))?;
        for arg in &args {
            request.data.extend_from_slice(arg);
            request.end_arg();
        }
        Ok(!request.is_empty())
    }

    /// Reads one line into `self.line`, without its terminator. Enforces the 64 KB cap while the
    /// line is still arriving, which is what stops a client that never sends a terminator.
    fn read_line(&mut self, kind: Line) -> Result<(), ReadError> {
        self.line.clear();
        // Once a NUL byte has been seen, Redis's strchr can no longer find the terminator: the
        // line can only grow until it is too big. Count those bytes instead of storing them.
        let mut hidden_by_nul = false;
        let mut pending = 0usize;
        loop {
            let buffer = self.input.fill_buf()?;
            if buffer.is_empty() {
                return Err(ReadError::Closed);
            }
            let terminator = match kind {
                Line::MultibulkCount | Line::BulkCount => b'\r',
                Line::Inline => b'\n',
            };
            let found = if hidden_by_nul {
                None
            } else {
                buffer.iter().position(|&b| b == terminator || b == 0)
            };
            match found {
                Some(at) if buffer[at] == terminator => {
                    self.line.extend_from_slice(&buffer[..at]);
                    self.input.consume(at + 1);
                    break;
                }
                Some(_) => hidden_by_nul = true,
                None => {}
            }
            let taken = buffer.len();
            if !hidden_by_nul {
                self.line.extend_from_slice(buffer);
            }
            self.input.consume(taken);
            pending += taken;
            if pending > MAX_LINE {
                return Err(ReadError::Protocol(kind.too_big()));
            }
        }
        match kind {
            // After `\r` Redis steps over one more byte, whatever it is.
            Line::MultibulkCount | Line::BulkCount => self.skip(1)?,
            Line::Inline => {
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
            }
        }
        Ok(())
    }

    /// Appends a `len`-byte payload to the request, reading it as it arrives.
    fn read_bulk(&mut self, request: &mut Request, len: usize) -> Result<(), ReadError> {
        let mut remaining = len;
        while remaining > 0 {
            let buffered = self.input.fill_buf()?;
            if buffered.is_empty() {
                return Err(ReadError::Closed);
            }
            if buffered.len() >= remaining || remaining < BULK_READ_CHUNK {
                let n = buffered.len().min(remaining);
                request.data.extend_from_slice(&buffered[..n]);
                self.input.consume(n);
                remaining -= n;
            } else {
                // A large payload: let read_to_end grow the buffer as bytes actually arrive.
                let chunk = remaining.min(BULK_READ_CHUNK) as u64;
                let before = request.data.len();
                (&mut self.input)
                    .take(chunk)
                    .read_to_end(&mut request.data)?;
                let got = request.data.len() - before;
                if got == 0 {
                    return Err(ReadError::Closed);
                }
                remaining -= got;
            }
        }
        Ok(())
    }

    fn skip(&mut self, mut n: usize) -> Result<(), ReadError> {
        while n > 0 {
            let available = self.input.fill_buf()?.len();
            if available == 0 {
                return Err(ReadError::Closed);
            }
            let step = available.min(n);
            self.input.consume(step);
            n -= step;
        }
        Ok(())
    }
}

/// Redis's `string2ll` on a header count: optional `-`, no `+`, no spaces, no leading zeros.
fn parse_count(digits: &[u8]) -> Option<i64> {
    crate::number::parse_i64(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> (Vec<Vec<String>>, Option<ReadError>) {
        let mut reader = RequestReader::new(input);
        let mut request = Request::default();
        let mut requests = Vec::new();
        loop {
            match reader.read_request(&mut request, Limits::default()) {
                Ok(true) => requests.push(
                    request
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect(),
                ),
                Ok(false) => {}
                Err(ReadError::Closed) => return (requests, None),
                Err(error) => return (requests, Some(error)),
            }
        }
    }

    fn protocol_error(input: &[u8]) -> ProtocolError {
        match read_all(input).1 {
            Some(ReadError::Protocol(error)) => error,
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn reads_multibulk_and_inline_requests() {
        let (requests, error) =
            read_all(b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\nset k \"a b\"\n");
        assert!(error.is_none());
        assert_eq!(
            requests,
            [vec!["ECHO", "hi"], vec!["PING"], vec!["set", "k", "a b"]]
        );
    }

    #[test]
    fn blank_lines_and_empty_arrays_are_ignored() {
        let (requests, error) = read_all(b"\r\n\n   \r\n*0\r\n*-1\r\n*-10\r\nPING\r\n");
        assert!(error.is_none());
        assert_eq!(requests, [vec!["PING"]]);
    }

    #[test]
    fn bulk_payloads_are_binary_safe() {
        let (requests, _) = read_all(b"*2\r\n$3\r\nGET\r\n$3\r\na\0b\r\n");
        assert_eq!(requests[0][1].as_bytes(), b"a\0b");
    }

    #[test]
    fn bad_counts_are_protocol_errors() {
        for input in [
            &b"*3000000000\r\n"[..],
            b"*abc\r\n",
            b"*\r\n",
            b"* 1\r\n",
            b"*+1\r\n",
            b"*01\r\n",
        ] {
            assert_eq!(
                protocol_error(input),
                ProtocolError::InvalidMultibulkLength,
                "{input:?}"
            );
        }
        for input in [
            &b"*1\r\n$-1\r\n"[..],
            b"*1\r\n$-10\r\n",
            b"*1\r\n$blabla\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$536870913\r\n",
        ] {
            assert_eq!(
                protocol_error(input),
                ProtocolError::InvalidBulkLength,
                "{input:?}"
            );
        }
        assert_eq!(
            protocol_error(b"*1\r\nfoo\r\n"),
            ProtocolError::ExpectedDollar(b'f')
        );
    }

    #[test]
    fn a_huge_declared_count_allocates_nothing_up_front() {
        let mut reader = RequestReader::new(&b"*2147483647\r\n$4\r\nPING\r\n"[..]);
        let mut request = Request::default();
        assert!(matches!(
            reader.read_request(&mut request, Limits::default()),
            Err(ReadError::Closed)
        ));
        assert!(request.ends.capacity() <= MAX_PREALLOCATED_ARGS);
    }

    #[test]
    fn lines_without_terminator_are_capped_at_64_kb() {
        let mut input = b"*".to_vec();
        input.extend(std::iter::repeat_n(b'1', MAX_LINE + 10));
        assert_eq!(protocol_error(&input), ProtocolError::TooBigMultibulkCount);
        let mut input = b"*1\r\n$".to_vec();
        input.extend(std::iter::repeat_n(b'1', MAX_LINE + 10));
        assert_eq!(protocol_error(&input), ProtocolError::TooBigBulkCount);
        let input = vec![b'a'; MAX_LINE + 10];
        assert_eq!(protocol_error(&input), ProtocolError::TooBigInline);
    }

    #[test]
    fn a_60_kb_inline_line_is_fine() {
        let mut input = b"ECHO ".to_vec();
        input.extend(std::iter::repeat_n(b'x', 60 * 1024));
        input.extend_from_slice(b"\r\n");
        let (requests, error) = read_all(&input);
        assert!(error.is_none());
        assert_eq!(requests[0][1].len(), 60 * 1024);
    }

    #[test]
    fn a_nul_byte_hides_the_terminator_until_the_line_is_too_big() {
        let (requests, error) = read_all(b"PI\0NG\r\n");
        assert!(
            requests.is_empty() && error.is_none(),
            "no reply, still waiting"
        );
        let mut input = b"PI\0NG\r\n".to_vec();
        input.extend(vec![b'x'; MAX_LINE]);
        assert_eq!(protocol_error(&input), ProtocolError::TooBigInline);
    }

    #[test]
    fn unbalanced_quotes_in_an_inline_request() {
        assert_eq!(
            protocol_error(b"SET k 'abc\r\n"),
            ProtocolError::UnbalancedQuotes
        );
    }

    #[test]
    fn the_bytes_after_a_payload_are_skipped_unchecked() {
        let (requests, _) = read_all(b"*1\r\n$4\r\nPINGXX*1\r\n$4\r\nPING\r\n");
        assert_eq!(requests, [vec!["PING"], vec!["PING"]]);
    }

    #[test]
    fn a_client_that_must_log_in_gets_small_limits() {
        let limits = Limits {
            unauthenticated: true,
            ..Limits::default()
        };
        let error = |input: &[u8]| match read_one(input, limits) {
            Err(ReadError::Protocol(error)) => Some(error),
            _ => None,
        };
        let mut eleven = b"*11\r\n".to_vec();
        for _ in 0..11 {
            eleven.extend_from_slice(b"$1\r\na\r\n");
        }
        assert_eq!(
            error(&eleven),
            Some(ProtocolError::UnauthenticatedMultibulkLength)
        );
        assert_eq!(
            error(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n"),
            Some(ProtocolError::UnauthenticatedBulkLength)
        );
        let mut ten = b"*10\r\n".to_vec();
        for _ in 0..10 {
            ten.extend_from_slice(b"$1\r\na\r\n");
        }
        assert!(read_one(&ten, limits).is_ok());
        assert_eq!(
            ProtocolError::UnauthenticatedBulkLength.message(),
            b"ERR Protocol error: unauthenticated bulk length"
        );
    }

    const SMALL_LIMITS: Limits = Limits {
        unauthenticated: false,
        max_bulk_len: 4 * 1024 * 1024,
        max_query_buffer: 1024 * 1024,
    };

    fn read_one(input: &[u8], limits: Limits) -> Result<bool, ReadError> {
        let mut reader = RequestReader::new(input);
        reader.read_request(&mut Request::default(), limits)
    }

    #[test]
    fn oversized_requests_hit_the_query_buffer_limit() {
        let mut input = b"*2\r\n$3\r\nSET\r\n$2097152\r\n".to_vec();
        input.extend(vec![b'x'; 2 * 1024 * 1024]);
        assert!(matches!(
            read_one(&input, SMALL_LIMITS),
            Err(ReadError::QueryBufferLimit)
        ));
    }

    #[test]
    fn the_query_buffer_limit_is_noticed_only_once_exceeded() {
        // As in Redis: with exactly the limit received the client is still waited for.
        let limit = SMALL_LIMITS.max_query_buffer;
        let mut input = b"*2\r\n$3\r\nSET\r\n$2097152\r\n".to_vec();
        input.extend(vec![b'x'; limit]);
        assert!(matches!(
            read_one(&input, SMALL_LIMITS),
            Err(ReadError::Closed)
        ));
        input.push(b'x');
        assert!(matches!(
            read_one(&input, SMALL_LIMITS),
            Err(ReadError::QueryBufferLimit)
        ));
    }

    #[test]
    fn the_query_buffer_limit_applies_to_each_argument_not_the_request() {
        // Three 600 KB arguments under a 1 MB limit: Redis accepts them, one at a time.
        let mut input = b"*4\r\n$3\r\nSET\r\n".to_vec();
        for _ in 0..3 {
            input.extend_from_slice(b"$614400\r\n");
            input.extend(vec![b'x'; 614_400]);
            input.extend_from_slice(b"\r\n");
        }
        assert!(read_one(&input, SMALL_LIMITS).unwrap());
        // An argument plus its CRLF of exactly the limit is fine; one byte more is not.
        let limit = SMALL_LIMITS.max_query_buffer;
        for (len, fits) in [(limit - 2, true), (limit - 1, false)] {
            let mut input = format!("*1\r\n${len}\r\n").into_bytes();
            input.extend(vec![b'x'; len]);
            input.extend_from_slice(b"\r\n");
            let result = read_one(&input, SMALL_LIMITS);
            assert_eq!(result.is_ok(), fits, "{len}: {result:?}");
        }
    }

    #[test]
    fn the_unexpected_byte_is_reported_raw() {
        // Redis formats it with %c: one byte, whatever it is, not a UTF-8 encoding.
        assert_eq!(
            ProtocolError::ExpectedDollar(0xff).message(),
            b"ERR Protocol error: expected '$', got '\xff'"
        );
        assert_eq!(
            protocol_error(b"*1\r\n\xff\r\n"),
            ProtocolError::ExpectedDollar(0xff)
        );
    }

    #[test]
    fn a_frame_split_across_reads_is_reassembled() {
        // A reader that hands out one byte at a time, like a slow network.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\nPING\r\n";
        let mut reader = RequestReader::new(io::BufReader::new(Trickle(input)));
        let mut request = Request::default();
        assert!(
            reader
                .read_request(&mut request, Limits::default())
                .unwrap()
        );
        assert_eq!(
            request.iter().collect::<Vec<_>>(),
            [&b"SET"[..], b"k", b"value"]
        );
        assert!(
            reader
                .read_request(&mut request, Limits::default())
                .unwrap()
        );
        assert_eq!(request.arg(0), b"PING");
    }
}
