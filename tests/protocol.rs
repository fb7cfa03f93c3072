//! The wire protocol under bad input: every row of table (a) in `REDIS-BEHAVIOUR.md` ("bad input
//! → exact Redis 7.0.15 behaviour"), asserted byte for byte, plus a std-only fuzz test of the
//! request parser over TCP.
//!
//! Every expected reply here was first captured from a real `redis-server` 7.0.15 fed the same
//! bytes. Where thredis deliberately differs (row 30) the test says so.
//!
//! A "close" row is checked three ways: the exact error bytes and nothing after them, a command
//! later in the same packet that must not have run (seen from a second connection), and the
//! socket closed by the server. RST versus FIN depends on timing in Redis too, so both count as
//! closed.

mod common;

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use common::{Raw, TestServer, resp, wait_until};

/// Redis's `PROTO_INLINE_MAX_SIZE`: the most unparsed bytes of one header or inline line it
/// buffers. One byte more is the "too big" error.
const LINE_LIMIT: usize = 64 * 1024;

/// Long enough for a reply that is coming to arrive; a reply that must not come would have.
const QUIET: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Bytes as an escaped string, so byte-exact assertions print readably.
fn shown(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// The command appended after a bad frame in the same packet: it must never run.
fn marker_set() -> Vec<u8> {
    resp(&["SET", "marker", "ran"])
}

fn assert_marker_not_set(server: &TestServer) {
    assert_eq!(
        server.raw().cmd(&["EXISTS", "marker"]),
        ":0\r\n",
        "a command after the bad frame ran"
    );
}

/// Asserts the server sends exactly `expected`, then closes the connection.
fn assert_replies_then_closes(raw: &mut Raw, expected: &[u8]) {
    let received = raw.read_to_close();
    assert_eq!(shown(&received), shown(expected));
    assert!(raw.is_closed(), "the server kept the connection open");
}

/// Sends `bad` and then a SET in one write, and asserts that Redis's `-ERR Protocol error: ...`
/// is the whole answer, the SET did not run and the connection was closed.
fn assert_protocol_error(server: &TestServer, bad: &[u8], reason: &str) {
    let mut raw = server.raw();
    let mut packet = bad.to_vec();
    packet.extend(marker_set());
    raw.send(&packet);
    let expected = format!("-ERR Protocol error: {reason}\r\n");
    assert_replies_then_closes(&mut raw, expected.as_bytes());
    assert_marker_not_set(server);
}

/// A field of `/proc/<pid>/status` in kB (`VmSize`, `VmRSS`).
fn process_status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// `n` filler bytes that hold no `\r`, `\n` or NUL, so they can never end a line.
fn filler(n: usize) -> Vec<u8> {
    vec![b'a'; n]
}

// ---------------------------------------------------------------------------------------------
// Rows 1–2: input that holds no command is ignored
// ---------------------------------------------------------------------------------------------

// row 1
#[test]
fn blank_inline_lines_get_no_reply_and_keep_the_connection_open() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"\r\n\n   \r\n");
    assert!(raw.nothing_within(QUIET));
    // The first reply is PING's: the blank lines produced none.
    raw.send(b"PING\r\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
}

// row 2
#[test]
fn empty_and_negative_multibulk_counts_are_ignored() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*0\r\n*-1\r\n*-10\r\n*-9223372036854775808\r\n");
    assert!(raw.nothing_within(QUIET));
    raw.send(&resp(&["PING"]));
    assert_eq!(raw.reply(), b"+PONG\r\n");
}

// ---------------------------------------------------------------------------------------------
// Rows 3–5: the multibulk count
// ---------------------------------------------------------------------------------------------

// row 3
#[test]
fn a_multibulk_count_above_int_max_is_a_protocol_error_and_closes() {
    let server = TestServer::start();
    for count in ["3000000000", "2147483648", "99999999999999999999"] {
        let bad = format!("*{count}\r\n");
        assert_protocol_error(&server, bad.as_bytes(), "invalid multibulk length");
    }
}

// row 4
#[test]
fn a_multibulk_count_that_is_not_a_strict_integer_is_a_protocol_error_and_closes() {
    let server = TestServer::start();
    // string2ll: no sign but `-`, no blank, no leading zero, not empty.
    for bad in [
        "*abc\r\n", "*\r\n", "* 1\r\n", "*+1\r\n", "*01\r\n", "*-0\r\n",
    ] {
        assert_protocol_error(&server, bad.as_bytes(), "invalid multibulk length");
    }
}

// row 5
#[test]
fn a_multibulk_count_of_int_max_is_accepted_and_allocates_nothing_up_front() {
    let server = TestServer::start();
    let before = process_status_kb(server.pid(), "VmSize");
    let mut raw = server.raw();
    raw.send(b"*2147483647\r\n$4\r\nPING\r\n$1\r\nx\r\n");
    // Accepted: no error, and the server waits for the remaining arguments.
    assert!(raw.nothing_within(QUIET));
    assert_eq!(server.raw().command(&["PING"]), b"+PONG\r\n");
    // Sized from the count, the argument table alone would be 16 GiB of address space. Thread
    // stacks and malloc arenas for the connections stay far below 2 GiB.
    let grown_kb = process_status_kb(server.pid(), "VmSize").saturating_sub(before);
    assert!(grown_kb < 2 * 1024 * 1024, "VmSize grew by {grown_kb} kB");
    // Still waiting, not closed.
    assert!(raw.nothing_within(QUIET));
}

// ---------------------------------------------------------------------------------------------
// Rows 6–9: the bulk header
// ---------------------------------------------------------------------------------------------

// row 6
#[test]
fn a_bulk_header_that_does_not_start_with_dollar_is_a_protocol_error_naming_the_byte() {
    let server = TestServer::start();
    assert_protocol_error(&server, b"*1\r\nfoo\r\n", "expected '$', got 'f'");
    // protocol.tcl's "Wrong multibulk payload header": the third argument is the bad one, and
    // the first two were never run as a command.
    assert_protocol_error(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
        "expected '$', got 'f'",
    );
    assert_eq!(server.raw().cmd(&["EXISTS", "x"]), ":0\r\n");
    // An empty line: the byte is the `\r`, which Redis turns into a space in error replies.
    assert_protocol_error(&server, b"*1\r\n\r\n", "expected '$', got ' '");
}

// row 6
#[test]
fn the_byte_named_in_expected_dollar_is_sent_raw_even_when_it_is_not_ascii() {
    // Redis prints it with `%c`: one byte 0xff on the wire, not its UTF-8 encoding.
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*1\r\n\xff\r\n");
    assert_replies_then_closes(
        &mut raw,
        b"-ERR Protocol error: expected '$', got '\xff'\r\n",
    );
}

// row 7
#[test]
fn a_null_bulk_as_a_request_argument_is_an_invalid_bulk_length() {
    let server = TestServer::start();
    assert_protocol_error(&server, b"*1\r\n$-1\r\n", "invalid bulk length");
}

// row 8
#[test]
fn a_bulk_length_that_is_not_a_non_negative_integer_is_an_invalid_bulk_length() {
    let server = TestServer::start();
    for bad in ["$-10", "$blabla", "$", "$+1", "$01", "$ 1"] {
        let frame = format!("*1\r\n{bad}\r\n");
        assert_protocol_error(&server, frame.as_bytes(), "invalid bulk length");
    }
}

// row 9
#[test]
fn a_bulk_length_above_proto_max_bulk_len_is_rejected_before_any_payload_arrives() {
    let server = TestServer::start();
    // Only the header is sent: the error cannot be waiting for the payload.
    for len in ["2000000000", "536870913"] {
        let frame = format!("*1\r\n${len}\r\n");
        assert_protocol_error(&server, frame.as_bytes(), "invalid bulk length");
    }
    // Exactly 512 MB is allowed: the server waits for the payload.
    let mut raw = server.raw();
    raw.send(b"*1\r\n$536870912\r\n");
    assert!(raw.nothing_within(QUIET));
}

// row 9
#[test]
fn proto_max_bulk_len_is_the_largest_argument_accepted() {
    let server = TestServer::with_args(&["--proto-max-bulk-len", "1mb"]);
    assert_protocol_error(&server, b"*1\r\n$1048577\r\n", "invalid bulk length");
    let value = "v".repeat(1024 * 1024);
    let mut raw = server.raw();
    assert_eq!(raw.command(&["SET", "big", &value]), b"+OK\r\n");
    assert_eq!(raw.command(&["STRLEN", "big"]), b":1048576\r\n");
}

// ---------------------------------------------------------------------------------------------
// Rows 10–12, 19: lines that never end
// ---------------------------------------------------------------------------------------------

/// Sends `before` (whole lines), then a line beginning with `start` padded to exactly 64 KB
/// (nothing happens), then one byte more: the "too big" error for that kind of line, and close.
/// The 64 KB are counted from the start of the unfinished line, not of the request.
fn assert_line_limit(server: &TestServer, before: &[u8], start: &[u8], reason: &str) {
    let mut raw = server.raw();
    let mut line = [before, start].concat();
    line.extend(filler(LINE_LIMIT - start.len()));
    raw.send(&line);
    assert!(
        raw.nothing_within(QUIET),
        "{}: 64 KB must still be accepted",
        shown(start)
    );
    raw.send(b"a");
    let expected = format!("-ERR Protocol error: {reason}\r\n");
    assert_replies_then_closes(&mut raw, expected.as_bytes());
}

// row 10
#[test]
fn a_multibulk_count_line_past_64_kb_is_too_big_and_closes() {
    let server = TestServer::start();
    assert_line_limit(&server, b"", b"*1", "too big mbulk count string");
}

// row 11
#[test]
fn a_bulk_count_line_past_64_kb_is_too_big_and_closes() {
    let server = TestServer::start();
    assert_line_limit(&server, b"*1\r\n", b"$1", "too big bulk count string");
    assert_line_limit(
        &server,
        b"*2\r\n$4\r\nECHO\r\n",
        b"$",
        "too big bulk count string",
    );
}

// row 12
#[test]
fn an_inline_line_past_64_kb_is_too_big_and_closes() {
    let server = TestServer::start();
    assert_line_limit(&server, b"", b"ECHO ", "too big inline request");
    // A longer line is refused even when its `\n` is in the same packet.
    let mut raw = server.raw();
    let mut line = b"SET marker ".to_vec();
    line.extend(filler(100 * 1024));
    line.extend_from_slice(b"\r\n");
    raw.send(&line);
    assert_replies_then_closes(&mut raw, b"-ERR Protocol error: too big inline request\r\n");
    assert_marker_not_set(&server);
}

// row 12
#[test]
fn an_inline_line_of_up_to_64_kb_works() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut line = b"ECHO ".to_vec();
    line.extend(filler(60 * 1024));
    line.extend_from_slice(b"\r\n");
    raw.send(&line);
    let expected = [&b"$61440\r\n"[..], &filler(60 * 1024), b"\r\n"].concat();
    assert!(raw.reply() == expected, "a 60 KB ECHO came back wrong");
    // The limit applies only while no `\n` has come: 64 KB, then the newline, is still a line.
    let mut line = b"ECHO ".to_vec();
    line.extend(filler(LINE_LIMIT - 5));
    raw.send(&line);
    assert!(raw.nothing_within(QUIET));
    raw.send(b"\r\n");
    let expected = [&b"$65531\r\n"[..], &filler(LINE_LIMIT - 5), b"\r\n"].concat();
    assert!(raw.reply() == expected, "a 64 KB ECHO came back wrong");
}

// row 19
#[test]
fn a_nul_byte_hides_the_line_end_until_64_kb_then_the_line_is_too_big() {
    let server = TestServer::start();
    // Redis finds line ends with strchr, which stops at the NUL: these never complete, so the
    // server answers nothing until the unparsed bytes pass 64 KB.
    assert_line_limit(&server, b"", b"\x00", "too big inline request");
    assert_line_limit(&server, b"", b"*\x00", "too big mbulk count string");
    assert_line_limit(&server, b"", b"$\x00", "too big inline request");
    assert_line_limit(&server, b"", b"PI\x00NG\r\n", "too big inline request");
    assert_line_limit(
        &server,
        b"*1\r\n",
        b"$\x00\r\n",
        "too big bulk count string",
    );
}

// row 19
#[test]
fn commands_after_a_nul_byte_are_never_run() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"PI\x00NG\r\n");
    let ping = resp(&["PING"]);
    assert!(raw.nothing_within(QUIET));
    // Whole, valid commands: all swallowed by the unfinished line, none answered.
    raw.send(&ping.repeat(LINE_LIMIT / ping.len() + 1));
    assert_replies_then_closes(&mut raw, b"-ERR Protocol error: too big inline request\r\n");
}

// row 19: protocol.tcl's "Protocol desync regression test"
#[test]
fn the_desync_regression_ends_in_a_protocol_error_and_close_not_a_hang() {
    let server = TestServer::start();
    for start in [&b"\x00"[..], b"*\x00", b"$\x00"] {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        // A server that stops reading (say, blocked on replies nobody reads) must fail the
        // test, not hang it.
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(start).unwrap();
        // Keep sending, as the Tcl test does, until the server closes on us.
        let deadline = Instant::now() + Duration::from_secs(10);
        let chunk = [b"A".repeat(1024), b"\n".to_vec()].concat();
        let mut sent = start.len();
        while stream.write_all(&chunk).is_ok() {
            sent += chunk.len();
            assert!(
                Instant::now() < deadline,
                "{}: still accepting after {sent} bytes",
                shown(start)
            );
        }
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut received = Vec::new();
        let _ = stream.read_to_end(&mut received);
        assert!(
            received.starts_with(b"-ERR Protocol error: too big "),
            "{}: {}",
            shown(start),
            shown(&received)
        );
    }
    assert_eq!(server.raw().command(&["PING"]), b"+PONG\r\n");
}

// ---------------------------------------------------------------------------------------------
// Rows 13–15: inline commands
// ---------------------------------------------------------------------------------------------

// row 13
#[test]
fn unbalanced_quotes_in_an_inline_command_are_a_protocol_error_and_close() {
    let server = TestServer::start();
    for bad in [
        &b"set \"\"\"test-key\"\"\" v\r\n"[..],
        b"SET k 'abc\r\n",
        b"SET k \"a\"b\r\n",
    ] {
        assert_protocol_error(&server, bad, "unbalanced quotes in request");
    }
    assert_eq!(server.raw().cmd(&["EXISTS", "k"]), ":0\r\n");
}

// row 14
#[test]
fn escapes_inside_double_quotes_are_decoded() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"SET k \"a\\x41\\n\"\r\n");
    assert_eq!(raw.reply(), b"+OK\r\n");
    assert_eq!(raw.command(&["GET", "k"]), b"$3\r\naA\n\r\n");
}

// row 15
#[test]
fn an_inline_command_may_end_with_lf_alone() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"PING\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
    raw.send(b"ECHO hi\nPING\r\n");
    assert_eq!(raw.reply(), b"$2\r\nhi\r\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
}

// ---------------------------------------------------------------------------------------------
// Rows 16–18: framing quirks
// ---------------------------------------------------------------------------------------------

// row 16
#[test]
fn a_multibulk_request_with_lf_alone_never_completes_and_later_bytes_break_it() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*1\n$4\nPING\n");
    // Header lines end at `\r`: still waiting.
    assert!(raw.nothing_within(QUIET));
    // The first `\r` ends the count line "1\n$4\nPING\n", which is no integer.
    let mut rest = b"\r\n".to_vec();
    rest.extend(marker_set());
    raw.send(&rest);
    assert_replies_then_closes(
        &mut raw,
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    assert_marker_not_set(&server);
}

// row 17
#[test]
fn the_two_bytes_after_a_bulk_payload_are_skipped_unchecked() {
    // Redis does not check them; thredis copies that rather than adding an error of its own.
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*1\r\n$4\r\nPINGXX");
    assert_eq!(raw.reply(), b"+PONG\r\n");
    // "X\r" is skipped; the "\n" left over is an empty inline line, ignored.
    raw.send(b"*1\r\n$4\r\nPINGX\r\nPING\r\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
    assert!(raw.nothing_within(QUIET));
}

// row 18
#[test]
fn a_declared_length_too_long_takes_the_next_bytes_and_desyncs_the_stream() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*1\r\n$5\r\nPING\r\n");
    assert!(raw.nothing_within(QUIET));
    // The argument becomes "PING\r", "\n*" is skipped, and the rest reads as inline lines.
    raw.send(b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(
        shown(&raw.reply()),
        shown(b"-ERR unknown command 'PING ', with args beginning with: \r\n")
    );
    assert_eq!(
        raw.reply(),
        b"-ERR unknown command '1', with args beginning with: \r\n"
    );
    assert_eq!(
        raw.reply(),
        b"-ERR unknown command '$4', with args beginning with: \r\n"
    );
    assert_eq!(raw.reply(), b"+PONG\r\n");
    // Unknown commands are not protocol errors: the connection is still usable.
    assert_eq!(raw.command(&["PING"]), b"+PONG\r\n");
}

// ---------------------------------------------------------------------------------------------
// Rows 20–26: requests that parse, answered by the commands
// ---------------------------------------------------------------------------------------------

// row 20
#[test]
fn bulk_arguments_are_binary_safe() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*3\r\n$3\r\nSET\r\n$2\r\nb\x00\r\n$3\r\na\x00b\r\n");
    assert_eq!(raw.reply(), b"+OK\r\n");
    raw.send(b"*2\r\n$3\r\nGET\r\n$2\r\nb\x00\r\n");
    assert_eq!(raw.reply(), b"$3\r\na\x00b\r\n");
    // The key is "b\0", not "b".
    assert_eq!(raw.command(&["EXISTS", "b"]), b":0\r\n");
}

// row 21
#[test]
fn an_unknown_command_is_an_error_that_keeps_the_connection_open() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"FOOBAR1\r\nfoobar1 a b\r\n");
    assert_eq!(
        raw.reply(),
        b"-ERR unknown command 'FOOBAR1', with args beginning with: \r\n"
    );
    assert_eq!(
        raw.reply(),
        b"-ERR unknown command 'foobar1', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(raw.command(&["PING"]), b"+PONG\r\n");
}

// row 22
#[test]
fn wrong_arity_is_an_error_naming_the_command_in_lowercase() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"GET\r\nPING x y z\r\n");
    assert_eq!(
        raw.reply(),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        raw.reply(),
        b"-ERR wrong number of arguments for 'ping' command\r\n"
    );
    assert_eq!(raw.command(&["PING"]), b"+PONG\r\n");
}

// row 23
#[test]
fn get_on_a_list_is_a_wrong_type_error_and_the_list_is_untouched() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.command(&["RPUSH", "l", "a"]);
    assert_eq!(
        raw.command(&["GET", "l"]),
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(raw.command(&["LLEN", "l"]), b":1\r\n");
}

// row 24
#[test]
fn incr_refuses_non_integers_and_overflow() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.command(&["SET", "s", "abc"]);
    assert_eq!(
        raw.command(&["INCR", "s"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    raw.command(&["SET", "m", "9223372036854775807"]);
    assert_eq!(
        raw.command(&["INCR", "m"]),
        b"-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(
        raw.command(&["GET", "m"]),
        b"$19\r\n9223372036854775807\r\n"
    );
}

// row 25
#[test]
fn set_rejects_conflicting_options_and_bad_expire_times() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.command(&["SET", "k", "v", "XX", "NX"]),
        b"-ERR syntax error\r\n"
    );
    for seconds in ["0", "-1"] {
        assert_eq!(
            raw.command(&["SET", "k", "v", "EX", seconds]),
            b"-ERR invalid expire time in 'set' command\r\n"
        );
    }
    assert_eq!(
        raw.command(&["SET", "k", "v", "EX", "abc"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(raw.command(&["EXISTS", "k"]), b":0\r\n");
}

// row 26
#[test]
fn resp3_and_reply_types_sent_as_requests_are_read_as_inline_commands() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"%1\r\n+PING\r\n:1\r\n$3\r\n");
    for name in ["%1", "+PING", ":1", "$3"] {
        let expected = format!("-ERR unknown command '{name}', with args beginning with: \r\n");
        assert_eq!(raw.reply_text(), expected);
    }
    assert_eq!(raw.command(&["PING"]), b"+PONG\r\n");
}

// ---------------------------------------------------------------------------------------------
// Rows 27–28: pipelines and split frames
// ---------------------------------------------------------------------------------------------

// row 27
#[test]
fn a_bad_frame_drops_everything_after_it_but_not_before() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut packet = resp(&["SET", "before", "1"]);
    packet.extend_from_slice(b"PING\r\n*abc\r\n");
    packet.extend(resp(&["PING"]));
    packet.extend(marker_set());
    raw.send(&packet);
    assert_replies_then_closes(
        &mut raw,
        b"+OK\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n",
    );
    assert_marker_not_set(&server);
    assert_eq!(server.raw().cmd(&["GET", "before"]), "$1\r\n1\r\n");
}

// row 28
#[test]
fn a_frame_split_over_several_writes_is_reassembled() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*1\r\n$4\r\nPI");
    assert!(raw.nothing_within(QUIET));
    raw.send(b"NG\r\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
    for piece in [
        &b"*2\r"[..],
        b"\n$4",
        b"\r\nECHO\r",
        b"\n$2\r\nh",
        b"i\r",
        b"\n",
    ] {
        raw.send(piece);
    }
    assert_eq!(raw.reply(), b"$2\r\nhi\r\n");
}

// ---------------------------------------------------------------------------------------------
// Rows 29–32: the connection commands
// ---------------------------------------------------------------------------------------------

/// HELLO's reply, field by field, as Redis 7.0.15 sends it.
fn hello_reply(resp3: bool, client_id: &str) -> Vec<u8> {
    let head = if resp3 { "%7" } else { "*14" };
    let proto = if resp3 { 3 } else { 2 };
    format!(
        "{head}\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n\
         $5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{client_id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n\
         $4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
    .into_bytes()
}

// row 29
#[test]
fn hello_answers_noproto_for_version_4_and_a_map_for_2_and_3() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let id = raw.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(
        raw.command(&["HELLO", "4"]),
        b"-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        shown(&raw.command(&["HELLO"])),
        shown(&hello_reply(false, id))
    );
    assert_eq!(
        shown(&raw.command(&["HELLO", "3"])),
        shown(&hello_reply(true, id))
    );
}

// row 30
#[test]
fn client_setinfo_answers_ok_as_redis_7_2_does() {
    // Redis 7.0.15 answers "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.". thredis
    // answers as 7.2+ does, because client libraries send it on connect.
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"CLIENT SETINFO lib-name x\r\n");
    assert_eq!(raw.reply(), b"+OK\r\n");
}

// row 31
#[test]
fn select_refuses_indexes_out_of_range_and_non_integers() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.command(&["SELECT", "16"]),
        b"-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        raw.command(&["SELECT", "-1"]),
        b"-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        raw.command(&["SELECT", "x"]),
        b"-ERR value is not an integer or out of range\r\n"
    );
}

// row 32
#[test]
fn quit_in_a_pipeline_answers_what_came_before_then_ok_then_closes() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut packet = resp(&["PING"]);
    packet.extend(resp(&["QUIT"]));
    packet.extend(marker_set());
    raw.send(&packet);
    assert_replies_then_closes(&mut raw, b"+PONG\r\n+OK\r\n");
    assert_marker_not_set(&server);
}

// ---------------------------------------------------------------------------------------------
// Rows 33–34: limits and idle clients
// ---------------------------------------------------------------------------------------------

/// A SET of `marker` whose value is declared `declared` bytes long; the payload is not included.
fn big_set_header(declared: usize) -> Vec<u8> {
    format!("*3\r\n$3\r\nSET\r\n$6\r\nmarker\r\n${declared}\r\n").into_bytes()
}

// row 33
#[test]
fn an_argument_past_the_query_buffer_limit_closes_the_client_without_a_reply() {
    const LIMIT: usize = 1024 * 1024;
    let server = TestServer::with_args(&[
        "--client-query-buffer-limit",
        "1mb",
        "--proto-max-bulk-len",
        "4mb",
    ]);
    // A 2 MB argument: Redis buffers it whole, and closes once more than 1 MB has arrived.
    let mut raw = server.raw();
    raw.send(&big_set_header(2 * LIMIT));
    raw.send(&filler(LIMIT));
    assert!(raw.nothing_within(QUIET), "exactly 1 MB is still allowed");
    raw.send(b"a");
    assert_replies_then_closes(&mut raw, b"");
    assert_marker_not_set(&server);
    assert!(wait_until(Duration::from_secs(5), || {
        server
            .log()
            .contains("Closing client that reached max query buffer length")
    }));
    assert_eq!(server.raw().command(&["PING"]), b"+PONG\r\n");
}

// row 33
#[test]
fn the_query_buffer_limit_counts_one_argument_and_its_crlf_not_the_whole_request() {
    let server = TestServer::with_args(&[
        "--client-query-buffer-limit",
        "1mb",
        "--proto-max-bulk-len",
        "4mb",
    ]);
    let mut raw = server.raw();
    // Three 600 KB values in one MSET: 1.8 MB of request, but no argument over the limit.
    let value = "v".repeat(600 * 1024);
    assert_eq!(
        raw.command(&["MSET", "a", &value, "b", &value, "c", &value]),
        b"+OK\r\n"
    );
    assert_eq!(raw.command(&["STRLEN", "c"]), b":614400\r\n");
    // 1 MB - 2 bytes of payload plus CRLF is exactly the limit; one byte more closes.
    let value = "v".repeat(1024 * 1024 - 2);
    assert_eq!(raw.command(&["SET", "big", &value]), b"+OK\r\n");
    let mut packet = big_set_header(1024 * 1024 - 1);
    packet.extend(filler(1024 * 1024 - 1));
    packet.extend_from_slice(b"\r\n");
    raw.send(&packet);
    assert_replies_then_closes(&mut raw, b"");
    assert_marker_not_set(&server);
}

// row 34
#[test]
fn a_half_sent_command_is_closed_silently_after_the_idle_timeout() {
    let server = TestServer::with_args(&["--timeout", "1"]);
    let mut raw = server.raw();
    raw.send(b"*2\r\n$3\r\nGET");
    let sent = Instant::now();
    let poll = Duration::from_millis(20);
    let ended = wait_until(Duration::from_secs(5), || !raw.nothing_within(poll));
    let waited = sent.elapsed();
    assert!(ended, "still open 5 s after a 1 s timeout");
    // Closed, with no reply: nothing arrived before the end of the stream.
    assert_replies_then_closes(&mut raw, b"");
    assert!(
        waited > Duration::from_millis(900),
        "closed after {waited:?}, before the 1 s timeout"
    );
}

// row 34
#[test]
fn without_a_timeout_a_half_sent_command_is_kept_waiting() {
    let server = TestServer::start();
    assert_eq!(
        server.raw().cmd(&["CONFIG", "GET", "timeout"]),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
    let mut raw = server.raw();
    raw.send(b"*1\r\n$4\r\nPI");
    assert!(raw.nothing_within(Duration::from_millis(1500)));
    raw.send(b"NG\r\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
}

// ---------------------------------------------------------------------------------------------
// Fuzz: std-only, fixed seeds, so a failure reproduces
// ---------------------------------------------------------------------------------------------

/// Marsaglia's xorshift64: tiny, deterministic, good enough to pick bytes and lengths.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // Zero is xorshift's one fixed point.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A pipeline of valid requests and the exact replies a correct server sends to them.
#[derive(Default)]
struct Script {
    /// The requests, back to back.
    bytes: Vec<u8>,
    /// Where each request ends in `bytes`.
    frame_ends: Vec<usize>,
    /// Whether running each request twice gives the same reply twice (not INCR or DEL).
    frame_repeatable: Vec<bool>,
    expected: Vec<u8>,
    /// What the keys hold, to predict GET, EXISTS and DEL.
    model: HashMap<Vec<u8>, Vec<u8>>,
    counter: i64,
}

impl Script {
    fn generate(rng: &mut XorShift, commands: usize) -> Script {
        let mut script = Script::default();
        for _ in 0..commands {
            // Rows 1 and 2: input with no command in it, anywhere between requests.
            if rng.below(8) == 0 {
                let noise: &[u8] =
                    rng.pick(&[&b"\r\n"[..], b"\n", b"  \r\n", b"*0\r\n", b"*-1\r\n"]);
                script.bytes.extend_from_slice(noise);
            }
            let repeatable = script.push_command(rng);
            script.frame_ends.push(script.bytes.len());
            script.frame_repeatable.push(repeatable);
        }
        script
    }

    /// Appends one request and its reply; whether it is repeatable.
    fn push_command(&mut self, rng: &mut XorShift) -> bool {
        let inline = rng.below(3) == 0;
        let key = format!("k{}", rng.below(4)).into_bytes();
        let value = if inline {
            // Inline arguments are words: no blanks, quotes or line ends.
            let len = 1 + rng.below(12);
            (0..len).map(|_| b'a' + rng.below(26) as u8).collect()
        } else {
            // Anything at all, including CR, LF, NUL and fake headers.
            let len = rng.below(24);
            let mut value: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            if rng.below(4) == 0 {
                value.extend_from_slice(b"\r\n$3\r\n*1\r\n");
            }
            value
        };
        let args: Vec<Vec<u8>> = match rng.below(7) {
            0 => {
                self.expected.extend_from_slice(b"+OK\r\n");
                self.model.insert(key.clone(), value.clone());
                vec![b"SET".to_vec(), key, value]
            }
            1 => {
                match self.model.get(&key) {
                    Some(stored) => push_bulk(&mut self.expected, stored),
                    None => self.expected.extend_from_slice(b"$-1\r\n"),
                }
                vec![b"GET".to_vec(), key]
            }
            2 => {
                push_bulk(&mut self.expected, &value);
                vec![b"ECHO".to_vec(), value]
            }
            3 => {
                self.expected.extend_from_slice(b"+PONG\r\n");
                vec![b"PING".to_vec()]
            }
            4 => {
                self.counter += 1;
                self.expected
                    .extend_from_slice(format!(":{}\r\n", self.counter).as_bytes());
                vec![b"INCR".to_vec(), b"counter".to_vec()]
            }
            5 => {
                let exists = self.model.contains_key(&key);
                self.expected
                    .extend_from_slice(if exists { b":1\r\n" } else { b":0\r\n" });
                vec![b"EXISTS".to_vec(), key]
            }
            _ => {
                let existed = self.model.remove(&key).is_some();
                self.expected
                    .extend_from_slice(if existed { b":1\r\n" } else { b":0\r\n" });
                vec![b"DEL".to_vec(), key]
            }
        };
        let repeatable = args[0] != b"INCR" && args[0] != b"DEL";
        if inline {
            self.bytes.extend_from_slice(&args.join(&b' '));
            let end: &[u8] = rng.pick(&[&b"\r\n"[..], b"\n"]);
            self.bytes.extend_from_slice(end);
        } else {
            self.bytes
                .extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for arg in &args {
                push_bulk(&mut self.bytes, arg);
            }
        }
        repeatable
    }

    /// Each request with whether it is repeatable. Blank lines and empty arrays ride along with
    /// the request that follows them.
    fn frames(&self) -> impl Iterator<Item = (&[u8], bool)> {
        let starts = std::iter::once(0).chain(self.frame_ends.iter().copied());
        starts
            .zip(self.frame_ends.iter().copied())
            .zip(self.frame_repeatable.iter().copied())
            .map(|((start, end), repeatable)| (&self.bytes[start..end], repeatable))
    }
}

fn push_bulk(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", payload.len()).as_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
}

/// Sends `packet` as `pieces` separate writes on a fresh connection, then half-closes, and
/// returns everything the server sent until it closed. Write errors are fine (the server may
/// close first); a server that never closes fails the test.
fn exchange(port: u16, pieces: &[&[u8]]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    // Each write its own segment, so the server really sees the splits.
    stream.set_nodelay(true).unwrap();
    for piece in pieces {
        if stream.write_all(piece).is_err() {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return received,
            Err(e) => panic!(
                "the server neither answered nor closed ({e}); got {}",
                shown(&received)
            ),
        }
    }
}

/// A raw client with Nagle's algorithm off, so each write leaves at once as its own segment.
/// (`Raw` keeps Nagle on: a small write waits for the previous one's ACK, which the server
/// delays by up to 40 ms, and cutting hundreds of frames would take seconds.)
struct Segments {
    stream: TcpStream,
    received: Vec<u8>,
}

impl Segments {
    fn connect(port: u16) -> Segments {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
        stream.set_nodelay(true).unwrap();
        Segments {
            stream,
            received: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("sends");
    }

    /// Whether nothing (not even the end of the stream) arrives within `wait`.
    fn silent_for(&mut self, wait: Duration) -> bool {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 4096];
        match self.stream.read(&mut buf) {
            Ok(n) => {
                self.received.extend_from_slice(&buf[..n]);
                false
            }
            Err(e) => matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        }
    }

    /// Reads one whole reply.
    fn reply(&mut self) -> Vec<u8> {
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(len) = reply_len(&self.received) {
                return self.received.drain(..len).collect();
            }
            match self.stream.read(&mut buf) {
                Ok(0) => panic!("closed mid-reply: {}", shown(&self.received)),
                Ok(n) => self.received.extend_from_slice(&buf[..n]),
                Err(e) => panic!("no reply ({e}): {}", shown(&self.received)),
            }
        }
    }
}

/// Splits `bytes` into whole RESP2 replies, or says where they stop being well-formed.
fn split_replies(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut replies = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = reply_len(&bytes[at..])
            .ok_or_else(|| format!("malformed reply at byte {at}: {}", shown(&bytes[at..])))?;
        replies.push(&bytes[at..at + len]);
        at += len;
    }
    Ok(replies)
}

/// The length of the one whole reply at the start of `bytes`.
fn reply_len(bytes: &[u8]) -> Option<usize> {
    let line_end = bytes.windows(2).position(|pair| pair == b"\r\n")?;
    let after_line = line_end + 2;
    let count = || -> Option<i64> { std::str::from_utf8(&bytes[1..line_end]).ok()?.parse().ok() };
    match bytes.first()? {
        b'+' | b'-' | b':' => Some(after_line),
        b'$' => match usize::try_from(count()?) {
            Err(_) => Some(after_line),
            Ok(len) => {
                let end = after_line + len;
                (bytes.get(end..end + 2)? == b"\r\n").then_some(end + 2)
            }
        },
        b'*' => {
            let mut at = after_line;
            for _ in 0..count()?.max(0) {
                at += reply_len(&bytes[at..])?;
            }
            Some(at)
        }
        _ => None,
    }
}

#[test]
fn fuzz_valid_frames_split_at_every_byte_still_work() {
    let server = TestServer::start();
    let mut rng = XorShift::new(1);
    let script = Script::generate(&mut rng, 12);
    // Every frame, cut at every byte: no reply before the frame is whole, the right one after.
    let mut raw = Segments::connect(server.port);
    let expected = split_replies(&script.expected).unwrap();
    let frames: Vec<(&[u8], bool)> = script.frames().collect();
    assert_eq!(frames.len(), expected.len());
    for ((frame, repeatable), reply) in frames.into_iter().zip(&expected) {
        // A frame cut at every byte runs once per cut, so INCR and DEL are sent whole, once.
        let cuts = if repeatable { 1..frame.len() } else { 0..1 };
        for cut in cuts {
            raw.send(&frame[..cut]);
            if cut > 0 {
                assert!(
                    raw.silent_for(Duration::from_millis(2)),
                    "replied to a partial frame: {}",
                    shown(&frame[..cut])
                );
            }
            raw.send(&frame[cut..]);
            assert_eq!(
                shown(&raw.reply()),
                shown(reply),
                "frame {} cut at {cut}",
                shown(frame)
            );
        }
    }
}

#[test]
fn fuzz_random_splits_of_a_pipeline_give_the_exact_replies() {
    let server = TestServer::start();
    for seed in 1..=10 {
        let mut rng = XorShift::new(seed);
        let script = Script::generate(&mut rng, 80);
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < script.bytes.len() {
            let end = (at + 1 + rng.below(16)).min(script.bytes.len());
            pieces.push(&script.bytes[at..end]);
            at = end;
        }
        // The script's model starts from an empty keyspace.
        server.raw().command(&["FLUSHALL"]);
        let received = exchange(server.port, &pieces);
        assert_eq!(
            shown(&received),
            shown(&script.expected),
            "seed {seed}: {}",
            shown(&script.bytes)
        );
    }
}

/// Damages a valid pipeline the way a buggy or hostile client might.
fn mutate(rng: &mut XorShift, bytes: &mut Vec<u8>) {
    const TOKENS: [&[u8]; 12] = [
        b"\x00",
        b"\r",
        b"\n",
        b"\r\n",
        b"*",
        b"$",
        b"$-1\r\n",
        b"*3000000000\r\n",
        b"*2147483647\r\n",
        b"$999\r\n",
        b"\"",
        b"'",
    ];
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if at < bytes.len() => bytes[at] = rng.byte(),
            1 => bytes.insert(at, rng.byte()),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            3 => {
                let token = rng.pick(&TOKENS);
                bytes.splice(at..at, token.iter().copied());
            }
            4 => bytes.truncate(at),
            _ => {
                let garbage: Vec<u8> = (0..rng.below(64)).map(|_| rng.byte()).collect();
                bytes.splice(at..at, garbage);
            }
        }
    }
}

/// Checks one connection's whole answer: well-formed replies, and a protocol error, if any,
/// only as the very last thing before the close.
fn assert_replies_or_one_error_then_close(received: &[u8], sent: &[u8]) {
    let replies =
        split_replies(received).unwrap_or_else(|problem| panic!("{problem}; sent {}", shown(sent)));
    let protocol_error = replies
        .iter()
        .position(|reply| reply.starts_with(b"-ERR Protocol error: "));
    if let Some(index) = protocol_error {
        assert_eq!(
            index,
            replies.len() - 1,
            "replies after a protocol error; sent {}",
            shown(sent)
        );
    }
}

#[test]
fn fuzz_mutated_and_garbage_frames_get_replies_or_an_error_and_close() {
    let mut server = TestServer::start();
    for seed in 1..=1000 {
        let mut rng = XorShift::new(seed);
        let commands = 1 + rng.below(6);
        let mut packet = Script::generate(&mut rng, commands).bytes;
        if seed % 10 == 0 {
            // Pure garbage.
            packet = (0..rng.below(200)).map(|_| rng.byte()).collect();
        } else {
            mutate(&mut rng, &mut packet);
        }
        if seed % 100 == 0 {
            // A line that never ends: the 64 KB limits must stop it.
            let start = packet.len();
            packet.extend((0..70 * 1024).map(|_| rng.byte()));
            for byte in &mut packet[start..] {
                if *byte == b'\r' || *byte == b'\n' {
                    *byte = b'x';
                }
            }
        }
        let received = exchange(server.port, &[&packet]);
        assert_replies_or_one_error_then_close(&received, &packet);
    }
    // Still alive and well: the process runs, answers on a fresh connection, and did not grow.
    assert!(
        server.wait_exit(Duration::from_millis(20)).is_none(),
        "the server exited"
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
    assert_eq!(server.raw().command(&["PING"]), b"+PONG\r\n");
    let rss_kb = process_status_kb(server.pid(), "VmRSS");
    assert!(rss_kb < 256 * 1024, "RSS is {rss_kb} kB after the fuzz");
}
