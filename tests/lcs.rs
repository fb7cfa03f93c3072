//! LCS: the subsequence, LEN, IDX with MINMATCHLEN and WITHMATCHLEN in RESP2 and RESP3, missing
//! keys, the errors (wrong types, conflicting options, the memory guard), and an interop sweep
//! against a real redis-server (`#[ignore]`d).

mod common;

use common::real_redis::Pair;
use common::{TestServer, error};

const NOT_STRINGS: &str = "ERR The specified keys must contain string values";

/// The IDX reply for `ohmytext` / `mynewtext` in RESP2, without or with the match lengths.
fn idx_reply(with_len: bool) -> String {
    let entry = |a: (u8, u8), b: (u8, u8), len: u8| {
        let mut out = format!(
            "*{}\r\n*2\r\n:{}\r\n:{}\r\n*2\r\n:{}\r\n:{}\r\n",
            2 + with_len as u8,
            a.0,
            a.1,
            b.0,
            b.1
        );
        if with_len {
            out.push_str(&format!(":{len}\r\n"));
        }
        out
    };
    format!(
        "*4\r\n$7\r\nmatches\r\n*2\r\n{}{}$3\r\nlen\r\n:6\r\n",
        entry((4, 7), (5, 8), 4),
        entry((2, 3), (0, 1), 2)
    )
}

#[test]
fn lcs_finds_the_subsequence_its_length_and_its_ranges() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.run_all(&[&["MSET", "a", "ohmytext", "b", "mynewtext"]]);
    assert_eq!(c.cmd(&["LCS", "a", "b"]), "$6\r\nmytext\r\n");
    assert_eq!(c.cmd(&["LCS", "a", "b", "len"]), ":6\r\n");
    assert_eq!(c.cmd(&["LCS", "a", "b", "IDX"]), idx_reply(false));
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"]),
        idx_reply(true)
    );
    // MINMATCHLEN hides shorter stretches but not the length; a negative one is none.
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "-3"]),
        idx_reply(false)
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "MINMATCHLEN", "3"]),
        "$6\r\nmytext\r\n"
    );
}

#[test]
fn lcs_replies_a_map_in_resp3() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    c.run_all(&[&["MSET", "a", "abc", "b", "xbc"]]);
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"]),
        "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:1\r\n:2\r\n*2\r\n:1\r\n:2\r\n:2\r\n$3\r\nlen\r\n:2\r\n"
    );
}

#[test]
fn missing_keys_are_empty_strings() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.run_all(&[&["SET", "a", "abc"]]);
    assert_eq!(c.cmd(&["LCS", "a", "missing"]), "$0\r\n\r\n");
    assert_eq!(c.cmd(&["LCS", "missing", "other", "LEN"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["LCS", "missing", "a", "IDX"]),
        "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
    );
    c.run_all(&[&["SET", "n", "12345"], &["SET", "m", "2x4"]]);
    assert_eq!(
        c.cmd(&["LCS", "n", "m"]),
        "$2\r\n24\r\n",
        "integers are strings"
    );
}

#[test]
fn bad_input_gets_redis_s_errors() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.run_all(&[&["SET", "a", "abc"], &["RPUSH", "l", "x"]]);
    assert_eq!(c.cmd(&["LCS", "a", "l"]), error(NOT_STRINGS));
    assert_eq!(
        c.cmd(&["LCS", "l", "missing", "BOGUS"]),
        error(NOT_STRINGS),
        "types first"
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "a", "BOGUS"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "a", "MINMATCHLEN"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "a", "MINMATCHLEN", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "a", "LEN", "IDX"]),
        error("ERR If you want both the length and indexes, please just use IDX.")
    );
    assert_eq!(
        c.cmd(&["LCS", "a"]),
        error("ERR wrong number of arguments for 'lcs' command")
    );
}

#[test]
fn the_table_may_not_exceed_proto_max_bulk_len() {
    let server = TestServer::start();
    let mut c = server.raw();
    // 600 x 600 bytes need a table of 601 * 601 * 4 bytes, more than the 1 MB allowed.
    let long = "ab".repeat(300);
    c.run_all(&[
        &["CONFIG", "SET", "proto-max-bulk-len", "1048576"],
        &["MSET", "a", &long, "b", &long],
    ]);
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "LEN"]),
        error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    );
    c.run_all(&[&["CONFIG", "SET", "proto-max-bulk-len", "2097152"]]);
    assert_eq!(c.cmd(&["LCS", "a", "b", "LEN"]), ":600\r\n");
}

#[test]
#[ignore = "needs redis-server: compares LCS replies byte for byte"]
fn lcs_replies_match_redis() {
    let mut pair = Pair::new();
    let commands: &[&[&str]] = &[
        &[
            "MSET",
            "a",
            "ohmytext",
            "b",
            "mynewtext",
            "c",
            "ACCTTCCCAGG",
            "d",
            "CAGTTACCGAGA",
        ],
        &["SET", "n", "-1234567"],
        &["SADD", "s", "x"],
        &["LCS", "a", "b"],
        &["LCS", "c", "d"],
        &["LCS", "d", "c", "LEN"],
        &["LCS", "c", "d", "IDX"],
        &["LCS", "c", "d", "IDX", "WITHMATCHLEN"],
        &["LCS", "c", "d", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"],
        &[
            "LCS",
            "c",
            "d",
            "idx",
            "minmatchlen",
            "-1",
            "minmatchlen",
            "3",
        ],
        &["LCS", "a", "n"],
        &["LCS", "n", "n", "IDX"],
        &["LCS", "a", "missing", "IDX", "WITHMATCHLEN"],
        &["LCS", "a", "s"],
        &["LCS", "a", "b", "LEN", "IDX"],
        &["LCS", "a", "b", "WAT"],
        &["LCS", "a", "b", "MINMATCHLEN", "1.5"],
        &["COMMAND", "INFO", "lcs"],
    ];
    pair.each(commands);
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(commands);
}
