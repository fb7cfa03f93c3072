//! The bitmap commands (issue 15, part 1): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD
//! and BITFIELD_RO, with their error texts, `BYTE|BIT` ranges, overflow policies, offset
//! limits, type checks, change counting and keyspace events. Every expected reply was first
//! checked against a real redis-server 7.0.15; the last test compares the two live.

mod common;

use common::real_redis::Pair;
use common::{Raw, TestServer, keyspace_lookups};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INTEGER: &str = "-ERR value is not an integer or out of range\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const BAD_OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";
const BAD_BIT: &str = "-ERR bit is not an integer or out of range\r\n";
const BAD_TYPE: &str = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";
const NULL: &str = "$-1\r\n";

/// The reply of an integer, as RESP2 sends it.
fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// The reply of an array of integers and nulls (`None`), as RESP2 sends it.
fn ints(items: &[Option<i64>]) -> String {
    let mut reply = format!("*{}\r\n", items.len());
    for item in items {
        reply.push_str(&item.map_or(NULL.to_string(), int));
    }
    reply
}

/// A bulk string reply.
fn bulk(bytes: &[u8]) -> Vec<u8> {
    let mut reply = format!("${}\r\n", bytes.len()).into_bytes();
    reply.extend_from_slice(bytes);
    reply.extend_from_slice(b"\r\n");
    reply
}

/// Stores raw bytes (which the command line could not carry) under `key`.
fn set_bytes(client: &mut Raw, key: &str, bytes: &[u8]) {
    let mut request = format!(
        "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n",
        key.len(),
        bytes.len()
    )
    .into_bytes();
    request.extend_from_slice(bytes);
    request.extend_from_slice(b"\r\n");
    client.send(&request);
    assert_eq!(client.reply_text(), "+OK\r\n");
}

// ---------------------------------------------------------------- SETBIT and GETBIT

#[test]
fn setbit_replies_the_old_bit_and_pads_the_string_with_zeros() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SETBIT", "k", "7", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\n\x01\r\n");
    assert_eq!(c.cmd(&["SETBIT", "k", "7", "1"]), int(1));
    assert_eq!(c.cmd(&["SETBIT", "k", "20", "1"]), int(0));
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(3));
    assert_eq!(c.cmd(&["SETBIT", "k", "7", "0"]), int(1));
    assert_eq!(c.cmd(&["GET", "k"]), "$3\r\n\0\0\x08\r\n");
    assert_eq!(c.cmd(&["GETBIT", "k", "20"]), int(1));
    assert_eq!(c.cmd(&["GETBIT", "k", "21"]), int(0));
    assert_eq!(c.cmd(&["GETBIT", "k", "1000"]), int(0), "past the end");
    assert_eq!(c.cmd(&["GETBIT", "missing", "0"]), int(0));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), "$3\r\nraw\r\n");
}

#[test]
fn setbit_and_getbit_refuse_bad_offsets_and_bits() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SETBIT", "k", "-1", "1"]), BAD_OFFSET);
    assert_eq!(c.cmd(&["SETBIT", "k", "x", "1"]), BAD_OFFSET);
    assert_eq!(
        c.cmd(&["SETBIT", "k", "4294967296", "1"]),
        BAD_OFFSET,
        "512 MB"
    );
    assert_eq!(c.cmd(&["SETBIT", "k", "0", "2"]), BAD_BIT);
    assert_eq!(c.cmd(&["SETBIT", "k", "0", "-1"]), BAD_BIT);
    assert_eq!(c.cmd(&["SETBIT", "k", "0", "on"]), BAD_BIT);
    assert_eq!(c.cmd(&["GETBIT", "k", "-1"]), BAD_OFFSET);
    assert_eq!(c.cmd(&["GETBIT", "k", "4294967296"]), BAD_OFFSET);
    assert_eq!(c.cmd(&["GETBIT", "k", "4294967295"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0), "nothing was created");
    assert_eq!(
        c.cmd(&["SETBIT", "k", "0"]),
        "-ERR wrong number of arguments for 'setbit' command\r\n"
    );
}

#[test]
fn the_offset_limit_follows_proto_max_bulk_len() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["SETBIT", "k", "8388608", "1"]), BAD_OFFSET);
    assert_eq!(c.cmd(&["SETBIT", "k", "8388607", "1"]), int(0));
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(1 << 20));
    assert_eq!(c.cmd(&["GETBIT", "k", "8388607"]), int(1));
    assert_eq!(c.cmd(&["BITCOUNT", "k"]), int(1));
    assert_eq!(c.cmd(&["BITPOS", "k", "1"]), int(8388607));
    assert_eq!(c.cmd(&["BITPOS", "k", "0", "-1"]), int(8388600));
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "#1048576"]),
        BAD_OFFSET
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "#1048575"]),
        ints(&[Some(1)])
    );
}

#[test]
fn integers_are_read_and_written_as_their_decimal_text() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SET", "n", "1"]); // "1" is 0x31 = 00110001
    assert_eq!(c.cmd(&["GETBIT", "n", "2"]), int(1));
    assert_eq!(c.cmd(&["GETBIT", "n", "1"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "n"]), int(3));
    assert_eq!(c.cmd(&["SETBIT", "n", "6", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "n"]), "$1\r\n3\r\n");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "n"]), "$3\r\nraw\r\n");
    assert_eq!(c.cmd(&["INCR", "n"]), int(4), "still a number");
    c.cmd(&["SET", "m", "255"]);
    assert_eq!(
        c.cmd(&["BITFIELD", "m", "GET", "u8", "0"]),
        ints(&[Some(0x32)])
    );
    assert_eq!(c.cmd(&["BITOP", "OR", "d", "m"]), int(3));
    assert_eq!(c.cmd(&["GET", "d"]), "$3\r\n255\r\n");
}

#[test]
fn every_command_refuses_a_key_of_another_type() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "l", "a"]);
    for args in [
        &["SETBIT", "l", "0", "1"][..],
        &["GETBIT", "l", "0"],
        &["BITCOUNT", "l"],
        &["BITCOUNT", "l", "0", "1", "BIT"],
        &["BITPOS", "l", "1"],
        &["BITOP", "AND", "d", "l"],
        &["BITOP", "OR", "d", "missing", "l"],
        &["BITFIELD", "l", "GET", "u8", "0"],
        &["BITFIELD", "l", "SET", "u8", "0", "1"],
        &["BITFIELD_RO", "l", "GET", "u8", "0"],
    ] {
        assert_eq!(c.cmd(args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    assert_eq!(c.cmd(&["LRANGE", "l", "0", "-1"]), "*1\r\n$1\r\na\r\n");
}

// ---------------------------------------------------------------- BITCOUNT

#[test]
fn bitcount_counts_bytes_or_bits_with_negative_indexes() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "foobar"]);
    for (args, count) in [
        (&["s"][..], 26),
        (&["s", "0", "0"], 4),
        (&["s", "1", "1"], 6),
        (&["s", "1", "1", "byte"], 6),
        (&["s", "5", "30", "BIT"], 17),
        (&["s", "-1", "-1"], 4),
        (&["s", "-5", "-2", "bit"], 2),
        (&["s", "2", "1"], 0),
        (&["s", "-100", "100"], 26),
        (&["s", "-1", "-2", "nonsense"], 0),
        (&["missing", "0"], 0),
        (&["missing", "x", "y", "z"], 0),
    ] {
        let request: Vec<&str> = ["BITCOUNT"].iter().chain(args).copied().collect();
        assert_eq!(c.cmd(&request), int(count), "{request:?}");
    }
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0"]), SYNTAX);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "1", "bad"]), SYNTAX);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "1", "BIT", "x"]), SYNTAX);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "a", "1"]), NOT_INTEGER);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "1.5"]), NOT_INTEGER);
}

#[test]
fn bitcount_goes_a_word_at_a_time_with_misaligned_edges() {
    let server = TestServer::start();
    let mut c = server.raw();
    set_bytes(&mut c, "k", &[0xFF; 100]);
    assert_eq!(c.cmd(&["BITCOUNT", "k"]), int(800));
    assert_eq!(c.cmd(&["BITCOUNT", "k", "1", "98"]), int(784));
    assert_eq!(c.cmd(&["BITCOUNT", "k", "3", "796", "BIT"]), int(794));
    assert_eq!(c.cmd(&["BITCOUNT", "k", "3", "3", "BIT"]), int(1));
}

// ---------------------------------------------------------------- BITPOS

#[test]
fn bitpos_finds_the_first_bit_in_byte_and_bit_ranges() {
    let server = TestServer::start();
    let mut c = server.raw();
    set_bytes(&mut c, "p", b"\xff\xf0\x00");
    for (args, position) in [
        (&["p", "0"][..], 12),
        (&["p", "1"], 0),
        (&["p", "0", "1"], 12),
        (&["p", "1", "2"], -1),
        (&["p", "0", "0", "1"], 12),
        (&["p", "0", "0", "-1"], 12),
        (&["p", "1", "7", "15", "bit"], 7),
        (&["p", "0", "7", "15", "BIT"], 12),
        (&["p", "0", "-12", "-1", "bit"], 12),
        (&["p", "1", "-12", "-1", "bit"], -1),
        (&["p", "1", "3", "1"], -1),
        (&["missing", "0"], 0),
        (&["missing", "1"], -1),
        (&["missing", "0", "nonsense"], 0),
    ] {
        let request: Vec<&str> = ["BITPOS"].iter().chain(args).copied().collect();
        assert_eq!(c.cmd(&request), int(position), "{request:?}");
    }
    assert_eq!(
        c.cmd(&["BITPOS", "p", "2"]),
        "-ERR The bit argument must be 1 or 0.\r\n"
    );
    assert_eq!(c.cmd(&["BITPOS", "p", "a"]), NOT_INTEGER);
    assert_eq!(c.cmd(&["BITPOS", "p", "0", "0", "1", "bat"]), SYNTAX);
    assert_eq!(c.cmd(&["BITPOS", "p", "0", "0", "1", "bit", "x"]), SYNTAX);
}

#[test]
fn bitpos_for_a_zero_stops_at_an_explicit_end() {
    let server = TestServer::start();
    let mut c = server.raw();
    set_bytes(&mut c, "ones", b"\xff\xff\xff");
    // Without an end the string reads as followed by zeros; with one, the range is all there is.
    assert_eq!(c.cmd(&["BITPOS", "ones", "0"]), int(24));
    assert_eq!(c.cmd(&["BITPOS", "ones", "0", "1"]), int(24));
    assert_eq!(c.cmd(&["BITPOS", "ones", "0", "1", "-1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "ones", "0", "0", "11", "BIT"]), int(-1));
    c.cmd(&["SET", "empty", ""]);
    assert_eq!(c.cmd(&["BITPOS", "empty", "0"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "empty", "0", "0"]), int(-1));
}

// ---------------------------------------------------------------- BITOP

#[test]
fn bitop_combines_zero_padded_sources_and_replies_the_length() {
    let server = TestServer::start();
    let mut c = server.raw();
    set_bytes(&mut c, "a", b"\xff\x0f\xf0");
    set_bytes(&mut c, "b", b"\x0f");
    assert_eq!(c.cmd(&["BITOP", "AND", "d", "a", "b"]), int(3));
    assert_eq!(c.command(&["GET", "d"]), bulk(b"\x0f\0\0"));
    assert_eq!(c.cmd(&["BITOP", "or", "d", "b", "a"]), int(3));
    assert_eq!(c.command(&["GET", "d"]), bulk(b"\xff\x0f\xf0"));
    assert_eq!(c.cmd(&["BITOP", "Xor", "d", "a", "b", "missing"]), int(3));
    assert_eq!(c.command(&["GET", "d"]), bulk(b"\xf0\x0f\xf0"));
    assert_eq!(c.cmd(&["BITOP", "AND", "d", "a", "missing"]), int(3));
    assert_eq!(c.command(&["GET", "d"]), bulk(b"\0\0\0"));
    assert_eq!(c.cmd(&["BITOP", "NOT", "d", "a"]), int(3));
    assert_eq!(c.command(&["GET", "d"]), bulk(b"\0\xf0\x0f"));
    assert_eq!(c.cmd(&["BITOP", "NOT", "a", "a"]), int(3), "in place");
    assert_eq!(c.command(&["GET", "a"]), bulk(b"\0\xf0\x0f"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), "$3\r\nraw\r\n");
}

#[test]
fn bitop_deletes_the_destination_when_every_source_is_empty() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SET", "d", "old", "EX", "100"]);
    c.cmd(&["SET", "empty", ""]);
    assert_eq!(c.cmd(&["BITOP", "OR", "d", "missing", "empty"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    c.cmd(&["SET", "d", "old", "EX", "100"]);
    assert_eq!(c.cmd(&["BITOP", "AND", "d", "empty", "d"]), int(3));
    assert_eq!(c.cmd(&["TTL", "d"]), int(-1), "the result replaces the key");
}

#[test]
fn bitop_refuses_unknown_operations_and_not_with_several_keys() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["BITOP", "NAND", "d", "a"]), SYNTAX);
    assert_eq!(
        c.cmd(&["BITOP", "NOT", "d", "a", "b"]),
        "-ERR BITOP NOT must be called with a single source key.\r\n"
    );
    assert_eq!(
        c.cmd(&["BITOP", "AND", "d"]),
        "-ERR wrong number of arguments for 'bitop' command\r\n"
    );
}

// ---------------------------------------------------------------- BITFIELD

#[test]
fn bitfield_sets_gets_and_increments_signed_and_unsigned_fields() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "b", "SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0"
        ]),
        ints(&[Some(0), Some(255), Some(-1)])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "c", "set", "i8", "#1", "127", "incrby", "i8", "#1", "1", "get", "i8", "8"
        ]),
        ints(&[Some(0), Some(-128), Some(-128)])
    );
    assert_eq!(c.cmd(&["STRLEN", "c"]), int(2));
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "x", "SET", "i1", "0", "1", "GET", "i1", "0", "SET", "u1", "1", "1", "GET",
            "u2", "0"
        ]),
        ints(&[Some(0), Some(-1), Some(0), Some(3)])
    );
    // Redis's regression #3564: a write past the end and an INCRBY in one call.
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "m", "SET", "i8", "0", "10", "SET", "i8", "64", "10", "INCRBY", "i8", "10",
            "99900"
        ]),
        ints(&[Some(0), Some(0), Some(60)])
    );
    assert_eq!(c.cmd(&["BITFIELD", "b"]), "*0\r\n");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "x"]), "$3\r\nraw\r\n");
}

#[test]
fn bitfield_overflow_wraps_saturates_or_fails_at_the_edges() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["BITFIELD", "b", "SET", "u8", "0", "255"]);
    assert_eq!(
        c.cmd(&["BITFIELD", "b", "INCRBY", "u8", "0", "1"]),
        ints(&[Some(0)])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-5", "INCRBY", "u8", "0",
            "300"
        ]),
        ints(&[Some(0), Some(255)])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "GET", "u8", "0"
        ]),
        ints(&[None, Some(255)])
    );
    // An unsigned SET reads its value as unsigned 64 bits: -1 is too large, not too small.
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "b", "OVERFLOW", "sat", "SET", "u8", "8", "-1", "GET", "u8", "8"
        ]),
        ints(&[Some(0), Some(255)])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "b", "overflow", "wrap", "SET", "u8", "16", "-1", "GET", "u8", "16"
        ]),
        ints(&[Some(0), Some(255)])
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "u8", "24", "-1"]),
        ints(&[None])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "c", "SET", "i8", "0", "-128", "OVERFLOW", "SAT", "INCRBY", "i8", "0",
            "-1000"
        ]),
        ints(&[Some(0), Some(-128)])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD",
            "d",
            "SET",
            "i64",
            "0",
            "9223372036854775807",
            "INCRBY",
            "i64",
            "0",
            "1",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i64",
            "0",
            "-1",
            "INCRBY",
            "i64",
            "0",
            "-9223372036854775808"
        ]),
        ints(&[Some(0), Some(i64::MIN), Some(i64::MIN), Some(i64::MIN)])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD",
            "d",
            "OVERFLOW",
            "FAIL",
            "INCRBY",
            "i64",
            "0",
            "-9223372036854775808"
        ]),
        ints(&[None])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD",
            "e",
            "SET",
            "u63",
            "0",
            "9223372036854775807",
            "INCRBY",
            "u63",
            "0",
            "1"
        ]),
        ints(&[Some(0), Some(0)])
    );
}

#[test]
fn bitfield_refuses_bad_types_offsets_values_and_subcommands() {
    let server = TestServer::start();
    let mut c = server.raw();
    for bad in ["u64", "i65", "i0", "I8", "x8", "i08", "u"] {
        assert_eq!(
            c.cmd(&["BITFIELD", "k", "GET", bad, "0"]),
            BAD_TYPE,
            "{bad}"
        );
    }
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "OVERFLOW", "foo", "GET", "u8", "0"]),
        "-ERR Invalid OVERFLOW type specified\r\n"
    );
    assert_eq!(c.cmd(&["BITFIELD", "k", "foo"]), SYNTAX);
    assert_eq!(c.cmd(&["BITFIELD", "k", "GET", "u8"]), SYNTAX);
    assert_eq!(c.cmd(&["BITFIELD", "k", "SET", "u8", "0"]), SYNTAX);
    assert_eq!(c.cmd(&["BITFIELD", "k", "GET", "u8", "-1"]), BAD_OFFSET);
    assert_eq!(c.cmd(&["BITFIELD", "k", "GET", "u8", "#-1"]), BAD_OFFSET);
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "#536870912"]),
        BAD_OFFSET
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "4294967296"]),
        BAD_OFFSET
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "a"]),
        NOT_INTEGER
    );
    // Checked in order, before anything runs: the first SET is not applied.
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u65", "0"]),
        BAD_TYPE
    );
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn bitfield_gets_alone_never_create_the_key() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["BITFIELD", "missing", "GET", "u8", "0", "GET", "i4", "#3"]),
        ints(&[Some(0), Some(0)])
    );
    assert_eq!(c.cmd(&["EXISTS", "missing"]), int(0));
    // A write creates it, even one that fails.
    assert_eq!(
        c.cmd(&["BITFIELD", "m", "OVERFLOW", "FAIL", "SET", "u8", "0", "256"]),
        ints(&[None])
    );
    assert_eq!(c.cmd(&["EXISTS", "m"]), int(1));
}

#[test]
fn bitfield_ro_only_reads() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "100"]);
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "GET", "u8", "0", "GET", "u4", "#1"]),
        ints(&[Some(100), Some(4)])
    );
    assert_eq!(c.cmd(&["BITFIELD_RO", "k"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "SET", "u8", "0", "1", "GET", "u8", "0"]),
        "-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    );
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "GET", "u8", "0", "foo"]),
        SYNTAX
    );
    assert_eq!(c.cmd(&["BITFIELD_RO", "k", "GET", "u64", "0"]), BAD_TYPE);
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "missing", "GET", "u8", "0"]),
        ints(&[Some(0)])
    );
}

#[test]
fn a_reader_may_run_bitfield_gets_but_not_writes() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["ACL", "SETUSER", "reader", "on", "nopass", "%R~*", "+@all"]);
    assert_eq!(c.cmd(&["AUTH", "reader", "x"]), "+OK\r\n");
    let no_permission =
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "SAT"]),
        ints(&[Some(0)])
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"]),
        no_permission
    );
    // A malformed request may be a write: refused before its syntax is looked at.
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "0", "OVERFLOW"]),
        no_permission
    );
    assert_eq!(c.cmd(&["SETBIT", "k", "0", "1"]), no_permission);
}

// ---------------------------------------------------------------- changes and events

/// Redis's `rdb_changes_since_last_save`.
fn changes(c: &mut Raw) -> i64 {
    let info = c.cmd(&["INFO", "persistence"]);
    let line = info
        .lines()
        .find_map(|line| line.strip_prefix("rdb_changes_since_last_save:"))
        .expect("the field");
    line.trim().parse().unwrap()
}

#[test]
fn only_writes_that_change_something_are_counted() {
    let server = TestServer::start();
    let mut c = server.raw();
    let start = changes(&mut c);
    c.cmd(&["SETBIT", "a", "0", "0"]);
    c.cmd(&["BITFIELD", "b", "SET", "i5", "0", "0"]);
    assert_eq!(changes(&mut c), start + 2, "created keys always count");
    c.cmd(&["SETBIT", "a", "0", "0"]);
    c.cmd(&["BITFIELD", "b", "SET", "i5", "0", "0"]);
    c.cmd(&["BITFIELD", "b", "GET", "i5", "0"]);
    assert_eq!(changes(&mut c), start + 2, "nothing changed");
    c.cmd(&["SETBIT", "a", "0", "1"]);
    c.cmd(&[
        "BITFIELD", "b", "SET", "i5", "0", "1", "SET", "i5", "0", "1", "SET", "u3", "5", "1",
    ]);
    assert_eq!(changes(&mut c), start + 5, "one per changed field");
    c.cmd(&["SETBIT", "a", "90", "0"]);
    c.cmd(&["BITFIELD", "b", "SET", "i5", "90", "0"]);
    assert_eq!(changes(&mut c), start + 7, "growing is a change");
}

#[test]
fn writes_notify_setbit_set_and_del() {
    let server = TestServer::start();
    let (mut listener, mut c) = (server.raw(), server.raw());
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "E$g"]);
    listener.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    c.cmd(&["SETBIT", "a", "0", "1"]);
    c.cmd(&["SETBIT", "a", "0", "1"]); // unchanged: no event
    c.cmd(&["BITFIELD", "a", "GET", "u8", "0"]);
    c.cmd(&["BITFIELD", "a", "INCRBY", "u8", "0", "1"]);
    c.cmd(&["BITOP", "NOT", "d", "a"]);
    c.cmd(&["BITOP", "AND", "d", "missing"]);
    c.cmd(&["BITOP", "AND", "d", "missing"]); // nothing to delete: no event
    c.cmd(&["SET", "end", "x"]);
    let events: Vec<String> = (0..5)
        .map(|_| {
            let text = listener.reply_text();
            let parts: Vec<&str> = text.split("\r\n").collect();
            format!("{} {}", parts[6], parts[8])
        })
        .collect();
    assert_eq!(
        events,
        [
            "__keyevent@0__:setbit a",
            "__keyevent@0__:setbit a",
            "__keyevent@0__:set d",
            "__keyevent@0__:del d",
            "__keyevent@0__:set end",
        ]
    );
}

#[test]
fn bit_writes_replay_from_the_append_only_file() {
    let mut args = common::AOF_ALWAYS.to_vec();
    args.extend(["--enable-debug-command", "yes"]);
    let server = TestServer::with_args(&args);
    let mut c = server.raw();
    c.cmd(&["SETBIT", "a", "9", "1"]);
    c.cmd(&[
        "BITFIELD", "b", "SET", "i8", "#2", "-3", "INCRBY", "u4", "0", "7",
    ]);
    c.cmd(&[
        "BITFIELD", "fail", "OVERFLOW", "FAIL", "SET", "u2", "0", "9",
    ]);
    c.cmd(&["BITOP", "OR", "d", "a", "b"]);
    let before: Vec<Vec<u8>> = ["a", "b", "fail", "d"]
        .iter()
        .map(|key| c.command(&["GET", key]))
        .collect();
    assert_eq!(c.cmd(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    for (key, value) in ["a", "b", "fail", "d"].iter().zip(before) {
        assert_eq!(c.command(&["GET", key]), value, "{key}");
    }
    assert_eq!(
        c.command(&["GET", "fail"]),
        bulk(b"\0"),
        "created, unchanged"
    );
}

// ---------------------------------------------------------------- interop

#[test]
#[ignore = "needs redis-server: compares replies byte for byte"]
fn bitmap_commands_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["SET", "s", "foobar"],
        &["SET", "n", "12345"],
        &["RPUSH", "l", "a"],
        &["SETBIT", "b", "100", "1"],
        &["SETBIT", "b", "3", "1"],
        &["SETBIT", "b", "3", "0"],
        &["SETBIT", "n", "0", "1"],
        &["GET", "n"],
        &["SETBIT", "b", "-1", "1"],
        &["SETBIT", "b", "0", "5"],
        &["SETBIT", "l", "0", "1"],
        &["GETBIT", "b", "100"],
        &["GETBIT", "b", "99999"],
        &["GETBIT", "s", "x"],
        &["BITCOUNT", "s"],
        &["BITCOUNT", "s", "1", "-2"],
        &["BITCOUNT", "s", "-7", "-3", "BIT"],
        &["BITCOUNT", "s", "3", "1000", "bit"],
        &["BITCOUNT", "s", "0"],
        &["BITCOUNT", "s", "0", "1", "word"],
        &["BITCOUNT", "s", "-1", "-3", "word"],
        &["BITCOUNT", "l"],
        &["BITPOS", "s", "1"],
        &["BITPOS", "s", "0", "-2"],
        &["BITPOS", "s", "1", "2", "-1", "BIT"],
        &["BITPOS", "s", "0", "9", "13", "bit"],
        &["BITPOS", "s", "1", "100"],
        &["BITPOS", "s", "3"],
        &["BITPOS", "s", "1", "0", "1", "BIT", "extra"],
        &["BITPOS", "b", "0"],
        &["BITOP", "AND", "d", "s", "b"],
        &["GET", "d"],
        &["BITOP", "XOR", "d", "s", "n", "missing"],
        &["GET", "d"],
        &["BITOP", "NOT", "d", "s"],
        &["GET", "d"],
        &["OBJECT", "ENCODING", "d"],
        &["BITOP", "OR", "d", "missing"],
        &["EXISTS", "d"],
        &["BITOP", "NOT", "d", "s", "b"],
        &["BITOP", "MAYBE", "d", "s"],
        &["BITOP", "OR", "d", "l"],
        &[
            "BITFIELD", "f", "SET", "i8", "0", "-100", "INCRBY", "i8", "0", "-100", "GET", "u8",
            "0",
        ],
        &[
            "BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u4", "#3", "99", "OVERFLOW", "FAIL",
            "INCRBY", "i4", "#3", "1",
        ],
        &[
            "BITFIELD", "f", "SET", "u63", "1", "-5", "GET", "i64", "1", "GET", "u3", "#40",
        ],
        &["BITFIELD", "f", "GET", "u64", "0"],
        &["BITFIELD", "f", "OVERFLOW", "NONE"],
        &["BITFIELD", "f", "SET", "i8", "0"],
        &["BITFIELD", "f", "GET", "i8", "#x"],
        &["BITFIELD", "missing", "GET", "i8", "0"],
        &["EXISTS", "missing"],
        &["BITFIELD_RO", "f", "GET", "i16", "3"],
        &["BITFIELD_RO", "f", "INCRBY", "i16", "3", "1"],
        &["GET", "f"],
        &[
            "COMMAND", "INFO", "setbit", "getbit", "bitcount", "bitpos", "bitop",
        ],
        &["COMMAND", "INFO", "bitfield", "bitfield_ro"],
        &["COMMAND", "GETKEYS", "bitfield", "k", "get", "u8", "0"],
        &["COMMAND", "GETKEYS", "bitop", "and", "d", "a", "b"],
    ]);
}

#[test]
fn an_aof_replay_obeys_what_the_limit_now_refuses() {
    // Written while proto-max-bulk-len was larger: a bit past 1 MB and a string grown past it.
    let dir = common::scratch_dir("bitmaps-obey");
    common::write_aof_dir(
        &dir,
        "appendonlydir",
        "appendonly.aof.manifest",
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
        (
            "appendonly.aof.1.incr.aof",
            &common::resp_all(&[
                &["SETBIT", "bits", "10000000", "1"],
                &["SETRANGE", "text", "1100000", "x"],
            ]),
        ),
    );
    let server = TestServer::in_dir(
        &dir,
        &["--appendonly", "yes", "--proto-max-bulk-len", "1mb"],
    );
    let mut client = server.raw();
    // The replay is Redis's `mustObeyClient`: what was accepted once loads whatever the limit.
    assert_eq!(client.cmd(&["BITCOUNT", "bits"]), ":1\r\n");
    assert_eq!(client.cmd(&["STRLEN", "bits"]), ":1250001\r\n");
    assert_eq!(client.cmd(&["STRLEN", "text"]), ":1100001\r\n");
    // A client is held to the limit.
    assert_eq!(
        client.cmd(&["SETBIT", "bits", "10000001", "1"]),
        "-ERR bit offset is not an integer or out of range\r\n"
    );
    assert_eq!(
        client.cmd(&["SETRANGE", "text", "1100001", "y"]),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    );
}

#[test]
fn bitop_and_a_reading_bitfield_count_their_lookups_as_redis_does() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "a", "x"]);
    client.cmd(&["CONFIG", "RESETSTAT"]);
    // One lookup per source (redis-server 7.0: hits 1, misses 1); the destination is not read.
    client.cmd(&["BITOP", "AND", "d", "a", "missing"]);
    assert_eq!(keyspace_lookups(&mut client), (1, 1));
    client.cmd(&["CONFIG", "RESETSTAT"]);
    client.cmd(&["BITFIELD", "missing", "GET", "u8", "0"]);
    client.cmd(&["BITFIELD", "a", "GET", "u8", "0"]);
    assert_eq!(keyspace_lookups(&mut client), (1, 1));
}
