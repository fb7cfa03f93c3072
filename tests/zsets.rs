//! Sorted sets, the core commands of `commands/zsets.rs`: the course's stages 92–99, then ZADD's
//! options and their conflicts, scores, ranks, pops (blocking ones too, and how they are
//! journaled), random members, ZSCAN, the listpack/skiplist encodings and keyspace events.
//! Every expected reply was checked against redis-server 7.0.15; byte-exact ones go through raw
//! TCP in RESP2 and RESP3.

mod common;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use common::{Raw, TestServer, error, query, resp, resp_all, scratch_dir, wait_until};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// A bulk string on the wire.
fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// A RESP3 connection (HELLO 3 done).
fn resp3(server: &TestServer) -> Raw {
    let mut c = server.raw();
    assert!(c.cmd(&["HELLO", "3"]).starts_with('%'));
    c
}

fn zrange(c: &mut redis::Connection, key: &str, start: &str, stop: &str) -> Vec<String> {
    query(c, &["ZRANGE", key, start, stop])
}

// The course's stages (STAGES.md, "Sorted sets"): scores are floats in [1,100) with full
// precision, two members share a score, members are added out of order.

#[test]
fn stage_92_zadd_creates_a_sorted_set() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["ZADD", "zset_key", "27.468138472651405", "apple"]),
        ":1\r\n"
    );
    assert_eq!(c.cmd(&["TYPE", "zset_key"]), "+zset\r\n");
}

#[test]
fn stage_93_zadd_adds_members_and_updates_scores() {
    let server = TestServer::start();
    let mut c = server.raw();
    for (score, member) in [("81.05", "pear"), ("12.5", "grape"), ("12.5", "banana")] {
        assert_eq!(c.cmd(&["ZADD", "fruits", score, member]), ":1\r\n");
    }
    assert_eq!(c.cmd(&["ZADD", "fruits", "33.3", "pear"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["ZSCORE", "fruits", "pear"]),
        bulk("33.299999999999997")
    );
}

#[test]
fn stage_94_zrank_gives_ranks_ties_broken_by_member() {
    let server = TestServer::start();
    let mut c = server.raw();
    for (score, member) in [
        ("70.1", "d"),
        ("20.25", "b"),
        ("20.25", "a"),
        ("45.875", "c"),
    ] {
        c.cmd(&["ZADD", "ranked", score, member]);
    }
    assert_eq!(c.cmd(&["ZRANK", "ranked", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["ZRANK", "ranked", "b"]), ":1\r\n");
    assert_eq!(c.cmd(&["ZRANK", "ranked", "d"]), ":3\r\n");
    assert_eq!(c.cmd(&["ZRANK", "ranked", "missing_member_1"]), "$-1\r\n");
    assert_eq!(c.cmd(&["ZRANK", "missing_key_1", "a"]), "$-1\r\n");
}

#[test]
fn stage_95_zrange_lists_members_by_rank() {
    let server = TestServer::start();
    let mut c = server.client();
    for (score, member) in [("3.5", "c"), ("1.25", "b"), ("1.25", "a"), ("9", "d")] {
        let _: i64 = query(&mut c, &["ZADD", "z", score, member]);
    }
    assert_eq!(zrange(&mut c, "z", "0", "1"), ["a", "b"]);
    assert_eq!(zrange(&mut c, "z", "2", "3"), ["c", "d"]);
    assert_eq!(zrange(&mut c, "z", "0", "3"), ["a", "b", "c", "d"]);
    assert!(zrange(&mut c, "z", "1", "0").is_empty());
    assert_eq!(zrange(&mut c, "z", "0", "8"), ["a", "b", "c", "d"]);
    assert!(zrange(&mut c, "missing", "0", "1").is_empty());
}

#[test]
fn stage_96_zrange_counts_negative_indexes_from_the_end() {
    let server = TestServer::start();
    let mut c = server.client();
    for (score, member) in [("3.5", "c"), ("1.25", "b"), ("1.25", "a"), ("9", "d")] {
        let _: i64 = query(&mut c, &["ZADD", "z", score, member]);
    }
    assert_eq!(zrange(&mut c, "z", "0", "-3"), ["a", "b"]);
    assert_eq!(zrange(&mut c, "z", "-2", "-1"), ["c", "d"]);
    assert_eq!(zrange(&mut c, "z", "0", "-1"), ["a", "b", "c", "d"]);
    assert!(zrange(&mut c, "z", "-1", "-2").is_empty());
    assert_eq!(zrange(&mut c, "z", "-5", "-1"), ["a", "b", "c", "d"]);
}

#[test]
fn stage_97_zcard_counts_members() {
    let server = TestServer::start();
    let mut c = server.raw();
    for (i, (score, member)) in [("5.5", "x"), ("2.5", "y"), ("2.5", "w")]
        .iter()
        .enumerate()
    {
        c.cmd(&["ZADD", "z", score, member]);
        assert_eq!(c.cmd(&["ZCARD", "z"]), format!(":{}\r\n", i + 1));
    }
    assert_eq!(c.cmd(&["ZADD", "z", "99.5", "x"]), ":0\r\n");
    assert_eq!(c.cmd(&["ZCARD", "z"]), ":3\r\n");
    assert_eq!(c.cmd(&["ZCARD", "missing_key"]), ":0\r\n");
}

#[test]
fn stage_98_zscore_returns_the_score() {
    let server = TestServer::start();
    let mut c = server.client();
    let score_of = |c: &mut redis::Connection, member: &str| -> f64 {
        let text: String = query(c, &["ZSCORE", "z", member]);
        text.parse().unwrap()
    };
    let _: i64 = query(&mut c, &["ZADD", "z", "61.83921806812345", "m"]);
    assert!((score_of(&mut c, "m") - 61.83921806812345).abs() < 1e-10);
    let added: i64 = query(&mut c, &["ZADD", "z", "7.000000000000001", "m"]);
    assert_eq!(added, 0);
    assert!((score_of(&mut c, "m") - 7.000000000000001).abs() < 1e-10);
    let missing: Option<String> = query(&mut c, &["ZSCORE", "z", "missing"]);
    assert_eq!(missing, None);
}

#[test]
fn stage_99_zrem_removes_a_member() {
    let server = TestServer::start();
    let mut c = server.client();
    for (score, member) in [("4.5", "b"), ("4.5", "a"), ("10", "c")] {
        let _: i64 = query(&mut c, &["ZADD", "z", score, member]);
    }
    assert_eq!(query::<i64>(&mut c, &["ZREM", "z", "b"]), 1);
    assert_eq!(zrange(&mut c, "z", "0", "-1"), ["a", "c"]);
    assert_eq!(query::<i64>(&mut c, &["ZREM", "z", "missing_member_2"]), 0);
    assert_eq!(zrange(&mut c, "z", "0", "-1"), ["a", "c"]);
}

// ZADD and ZINCRBY.

#[test]
fn zadd_options_decide_what_is_added_and_counted() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["ZADD", "z", "1", "a", "2", "b", "1", "a"]),
        ":2\r\n"
    );
    assert_eq!(c.cmd(&["ZADD", "z", "1", "a"]), ":0\r\n", "same score");
    assert_eq!(c.cmd(&["ZADD", "z", "NX", "10", "a", "3", "c"]), ":1\r\n");
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("1"), "NX leaves a alone");
    assert_eq!(c.cmd(&["ZADD", "z", "XX", "5", "a", "4", "x"]), ":0\r\n");
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("5"), "XX updates");
    assert_eq!(c.cmd(&["ZSCORE", "z", "x"]), "$-1\r\n", "XX adds nothing");
    assert_eq!(
        c.cmd(&["ZADD", "z", "XX", "CH", "6", "a", "2", "b"]),
        ":1\r\n"
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "CH", "GT", "1", "a", "9", "b", "0", "n"]),
        ":2\r\n",
        "b raised, n added, a kept"
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("6"));
    assert_eq!(
        c.cmd(&["ZADD", "z", "lt", "ch", "7", "a", "3", "b"]),
        ":1\r\n"
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), bulk("3"));
    assert_eq!(c.cmd(&["ZADD", "missing", "XX", "1", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["EXISTS", "missing"]), ":0\r\n", "XX creates no key");
}

#[test]
fn zadd_incr_and_zincrby_reply_the_new_score_or_null() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["ZINCRBY", "z", "2.5", "a"]), bulk("2.5"));
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "0.1", "a"]),
        bulk("2.6000000000000001")
    );
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "-0.6", "a"]), bulk("2"));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "NX", "1", "a"]), "$-1\r\n");
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "XX", "1", "q"]), "$-1\r\n");
    assert_eq!(c.cmd(&["ZADD", "z", "GT", "INCR", "-1", "a"]), "$-1\r\n");
    assert_eq!(c.cmd(&["ZADD", "z", "LT", "INCR", "-1", "a"]), bulk("1"));
    assert_eq!(c.cmd(&["ZINCRBY", "z", "inf", "a"]), bulk("inf"));
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "-inf", "a"]),
        error("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "INCR", "-inf", "a"]),
        error("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("inf"), "unchanged");
    // ZINCRBY reads options as ZADD does: its increment may not be one.
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "nx", "a"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "1", "nx"]),
        bulk("1"),
        "a member named nx"
    );
    let mut c3 = resp3(&server);
    assert_eq!(c3.cmd(&["ZINCRBY", "z", "1", "b"]), ",1\r\n");
    assert_eq!(c3.cmd(&["ZADD", "z", "INCR", "XX", "1", "q"]), "_\r\n");
}

#[test]
fn zadd_refuses_bad_options_and_scores_before_changing_anything() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "x"]);
    let syntax = error("ERR syntax error");
    for (args, expected) in [
        (
            &["ZADD", "z", "NX", "XX", "1", "a"][..],
            error("ERR XX and NX options at the same time are not compatible"),
        ),
        (
            &["ZADD", "z", "GT", "LT", "1", "a"],
            error("ERR GT, LT, and/or NX options at the same time are not compatible"),
        ),
        (
            &["ZADD", "z", "NX", "GT", "1", "a"],
            error("ERR GT, LT, and/or NX options at the same time are not compatible"),
        ),
        (
            &["ZADD", "z", "INCR", "1", "a", "2", "b"],
            error("ERR INCR option supports a single increment-element pair"),
        ),
        (&["ZADD", "z", "NX", "XX", "1"], syntax.clone()),
        (&["ZADD", "z", "1", "a", "2"], syntax.clone()),
        (&["ZADD", "z", "CH", "NX"], syntax),
        (
            &["ZADD", "z", "1"],
            error("ERR wrong number of arguments for 'zadd' command"),
        ),
        (
            &["ZADD", "z", "1", "a", "x", "b"],
            error("ERR value is not a valid float"),
        ),
        (
            &["ZADD", "z", "nan", "a"],
            error("ERR value is not a valid float"),
        ),
        (
            &["ZADD", "z", "1e400", "a"],
            error("ERR value is not a valid float"),
        ),
        (
            &["ZADD", "z", "1e-400", "a"],
            error("ERR value is not a valid float"),
        ),
        (
            &["ZADD", "z", " 1", "a"],
            error("ERR value is not a valid float"),
        ),
        (
            &["ZADD", "s", "x", "a"],
            error("ERR value is not a valid float"),
        ),
        (&["ZADD", "s", "1", "a"], error(WRONGTYPE)),
        (&["ZINCRBY", "s", "1", "a"], error(WRONGTYPE)),
    ] {
        assert_eq!(c.cmd(args), expected, "{args:?}");
    }
    assert_eq!(c.cmd(&["EXISTS", "z"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["ZADD", "z", "XX", "GT", "1", "a"]),
        ":0\r\n",
        "XX goes with GT"
    );
}

#[test]
fn scores_are_read_as_strtod_reads_them_and_printed_with_17_digits() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&[
            "ZADD", "z", "0x10", "hex", "+5", "plus", ".5", "half", "1E3", "e", "-inf", "low"
        ]),
        ":5\r\n"
    );
    assert_eq!(
        c.cmd(&["ZMSCORE", "z", "hex", "plus", "half", "e", "low", "none"]),
        "*6\r\n$2\r\n16\r\n$1\r\n5\r\n$3\r\n0.5\r\n$4\r\n1000\r\n$4\r\n-inf\r\n$-1\r\n"
    );
    c.cmd(&["ZADD", "z", "0.1", "tenth", "1e17", "big", "-0", "zero"]);
    assert_eq!(
        c.cmd(&["ZSCORE", "z", "tenth"]),
        bulk("0.10000000000000001")
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "big"]), bulk("1e+17"));
    // A listpack stores an integral score as an integer: -0 comes back as 0 ...
    assert_eq!(c.cmd(&["ZSCORE", "z", "zero"]), bulk("0"));
    // ... but a skiplist keeps the double.
    c.cmd(&["ZADD", "long", "-0", &"m".repeat(65)]);
    assert_eq!(c.cmd(&["ZSCORE", "long", &"m".repeat(65)]), bulk("-0"));
}

// Reading: ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCARD.

#[test]
fn scores_and_ranks_in_both_protocols() {
    let server = TestServer::start();
    let mut c2 = server.raw();
    let mut c3 = resp3(&server);
    c2.cmd(&["ZADD", "z", "1.5", "a", "2", "b", "3", "c"]);
    assert_eq!(c2.cmd(&["ZSCORE", "z", "a"]), "$3\r\n1.5\r\n");
    assert_eq!(c3.cmd(&["ZSCORE", "z", "a"]), ",1.5\r\n");
    assert_eq!(c3.cmd(&["ZSCORE", "z", "x"]), "_\r\n");
    assert_eq!(c3.cmd(&["ZSCORE", "missing", "x"]), "_\r\n");
    assert_eq!(
        c2.cmd(&["ZMSCORE", "z", "a", "x", "c"]),
        "*3\r\n$3\r\n1.5\r\n$-1\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        c3.cmd(&["ZMSCORE", "z", "a", "x", "c"]),
        "*3\r\n,1.5\r\n_\r\n,3\r\n"
    );
    assert_eq!(
        c2.cmd(&["ZMSCORE", "missing", "a", "b"]),
        "*2\r\n$-1\r\n$-1\r\n"
    );
    assert_eq!(c2.cmd(&["ZRANK", "z", "c"]), ":2\r\n");
    assert_eq!(c2.cmd(&["ZREVRANK", "z", "c"]), ":0\r\n");
    assert_eq!(c2.cmd(&["ZREVRANK", "z", "a"]), ":2\r\n");
    assert_eq!(c2.cmd(&["ZREVRANK", "z", "x"]), "$-1\r\n");
    assert_eq!(c3.cmd(&["ZRANK", "z", "x"]), "_\r\n");
    assert_eq!(c3.cmd(&["ZREVRANK", "missing", "x"]), "_\r\n");
    assert_eq!(c3.cmd(&["ZCARD", "z"]), ":3\r\n");
}

#[test]
fn zrem_counts_removed_members_and_removes_an_emptied_key() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.cmd(&["ZREM", "z", "a", "a", "x"]), ":1\r\n");
    assert_eq!(c.cmd(&["ZREM", "z", "b", "c", "d"]), ":2\r\n");
    assert_eq!(c.cmd(&["EXISTS", "z"]), ":0\r\n");
    assert_eq!(c.cmd(&["ZREM", "z", "a"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["ZREM", "z"]),
        error("ERR wrong number of arguments for 'zrem' command")
    );
}

#[test]
fn every_command_refuses_a_key_of_another_type() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "l", "x"]);
    for args in [
        &["ZADD", "l", "1", "a"][..],
        &["ZINCRBY", "l", "1", "a"],
        &["ZREM", "l", "a"],
        &["ZCARD", "l"],
        &["ZSCORE", "l", "a"],
        &["ZMSCORE", "l", "a"],
        &["ZRANK", "l", "a"],
        &["ZREVRANK", "l", "a"],
        &["ZPOPMIN", "l"],
        &["ZPOPMAX", "l", "2"],
        &["ZMPOP", "2", "missing", "l", "MIN"],
        &["BZPOPMIN", "l", "0"],
        &["BZPOPMAX", "missing", "l", "0"],
        &["BZMPOP", "0", "1", "l", "MAX"],
        &["ZRANDMEMBER", "l"],
        &["ZRANDMEMBER", "l", "0"],
        &["ZSCAN", "l", "0"],
    ] {
        assert_eq!(c.cmd(args), error(WRONGTYPE), "{args:?}");
    }
    assert_eq!(c.cmd(&["LLEN", "l"]), ":1\r\n");
}

// Pops.

#[test]
fn zpopmin_and_zpopmax_reply_flat_pairs_or_nested_pairs_in_resp3() {
    let server = TestServer::start();
    let mut c2 = server.raw();
    let mut c3 = resp3(&server);
    c2.cmd(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    assert_eq!(c2.cmd(&["ZPOPMIN", "z"]), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(
        c2.cmd(&["ZPOPMAX", "z", "2"]),
        "*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n"
    );
    assert_eq!(c3.cmd(&["ZPOPMIN", "z"]), "*2\r\n$1\r\nb\r\n,2\r\n");
    assert_eq!(
        c3.cmd(&["ZPOPMAX", "z", "1"]),
        "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"
    );
    assert_eq!(c2.cmd(&["EXISTS", "z"]), ":0\r\n");
    c2.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(c2.cmd(&["ZPOPMIN", "z", "0"]), "*0\r\n");
    assert_eq!(
        c3.cmd(&["ZPOPMIN", "z", "10"]),
        "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    );
    assert_eq!(c2.cmd(&["EXISTS", "z"]), ":0\r\n");
    assert_eq!(c2.cmd(&["ZPOPMIN", "z"]), "*0\r\n");
    assert_eq!(c3.cmd(&["ZPOPMAX", "z", "3"]), "*0\r\n");
    let positive = error("ERR value is out of range, must be positive");
    assert_eq!(c2.cmd(&["ZPOPMIN", "z", "-1"]), positive);
    assert_eq!(c2.cmd(&["ZPOPMIN", "z", "x"]), positive);
    assert_eq!(
        c2.cmd(&["ZPOPMIN", "z", "1", "2"]),
        error("ERR syntax error")
    );
}

#[test]
fn zmpop_pops_from_the_first_sorted_set_among_its_keys() {
    let server = TestServer::start();
    let mut c2 = server.raw();
    let mut c3 = resp3(&server);
    c2.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(
        c2.cmd(&["ZMPOP", "2", "missing", "z", "MIN"]),
        "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        c3.cmd(&["ZMPOP", "1", "z", "max", "COUNT", "5"]),
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    );
    assert_eq!(c2.cmd(&["ZMPOP", "1", "z", "MIN"]), "*-1\r\n");
    assert_eq!(c3.cmd(&["ZMPOP", "1", "z", "MIN"]), "_\r\n");
    let syntax = error("ERR syntax error");
    let numkeys = error("ERR numkeys should be greater than 0");
    let count = error("ERR count should be greater than 0");
    for (args, expected) in [
        (&["ZMPOP", "0", "z", "MIN"][..], &numkeys),
        (&["ZMPOP", "-1", "z", "MIN"], &numkeys),
        (&["ZMPOP", "x", "z", "MIN"], &numkeys),
        (&["ZMPOP", "2", "z", "MIN"], &syntax),
        (&["ZMPOP", "1", "z", "LEFT"], &syntax),
        (&["ZMPOP", "1", "z", "MIN", "COUNT"], &syntax),
        (
            &["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"],
            &syntax,
        ),
        (&["ZMPOP", "1", "z", "MIN", "FOO"], &syntax),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "0"], &count),
        (&["BZMPOP", "0", "0", "z", "MIN"], &numkeys),
        (&["BZMPOP", "0", "1", "z", "MIN", "COUNT", "-3"], &count),
    ] {
        assert_eq!(&c2.cmd(args), expected, "{args:?}");
    }
    assert_eq!(
        c2.cmd(&["ZMPOP", "1", "z"]),
        error("ERR wrong number of arguments for 'zmpop' command")
    );
}

#[test]
fn blocking_pops_of_a_non_empty_set_reply_at_once() {
    let server = TestServer::start();
    let mut c2 = server.raw();
    let mut c3 = resp3(&server);
    c2.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(
        c2.cmd(&["BZPOPMIN", "missing", "z", "0"]),
        "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        c3.cmd(&["BZPOPMAX", "z", "0"]),
        "*3\r\n$1\r\nz\r\n$1\r\nd\r\n,4\r\n"
    );
    assert_eq!(
        c2.cmd(&["BZMPOP", "1", "1", "z", "MAX", "COUNT", "9"]),
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(c2.cmd(&["EXISTS", "z"]), ":0\r\n");
}

#[test]
fn bad_timeouts_are_refused_in_redis_order() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "x"]);
    let negative = error("ERR timeout is negative");
    let not_float = error("ERR timeout is not a float or out of range");
    assert_eq!(c.cmd(&["BZPOPMIN", "z", "-1"]), negative);
    assert_eq!(c.cmd(&["BZPOPMAX", "z", "x"]), not_float);
    // BZPOPMIN reads its timeout before the keys...
    assert_eq!(c.cmd(&["BZPOPMIN", "s", "x"]), not_float);
    // ... BZMPOP reads its other arguments first.
    assert_eq!(c.cmd(&["BZMPOP", "-1", "1", "z", "MIN"]), negative);
    assert_eq!(
        c.cmd(&["BZMPOP", "x", "1", "z", "LEFT"]),
        error("ERR syntax error")
    );
}

#[test]
fn a_blocked_bzpopmin_is_woken_by_a_zadd_from_another_client() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BZPOPMIN", "a", "z", "0"]));
    server.raw().wait_for_blocked(1);
    let mut writer = server.raw();
    assert_eq!(writer.cmd(&["ZADD", "z", "2", "b", "1.5", "a"]), ":2\r\n");
    assert_eq!(
        waiter.reply_text(),
        "*3\r\n$1\r\nz\r\n$1\r\na\r\n$3\r\n1.5\r\n"
    );
    assert_eq!(writer.cmd(&["ZCARD", "z"]), ":1\r\n");
    writer.wait_for_blocked(0);
}

#[test]
fn blocked_pops_are_served_first_come_first_served() {
    let server = TestServer::start();
    let (mut first, mut second, mut third) = (server.raw(), server.raw(), resp3(&server));
    first.send(&resp(&["BZPOPMAX", "z", "0"]));
    server.raw().wait_for_blocked(1);
    second.send(&resp(&["BZPOPMIN", "z", "0"]));
    server.raw().wait_for_blocked(2);
    third.send(&resp(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"]));
    server.raw().wait_for_blocked(3);
    let mut writer = server.raw();
    assert_eq!(
        writer.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]),
        ":4\r\n"
    );
    assert_eq!(
        first.reply_text(),
        "*3\r\n$1\r\nz\r\n$1\r\nd\r\n$1\r\n4\r\n"
    );
    assert_eq!(
        second.reply_text(),
        "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        third.reply_text(),
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    );
    assert_eq!(writer.cmd(&["EXISTS", "z"]), ":0\r\n");
}

#[test]
fn one_member_serves_one_waiter_and_the_next_waits_for_more() {
    let server = TestServer::start();
    let (mut first, mut second) = (server.raw(), server.raw());
    first.send(&resp(&["BZPOPMIN", "z", "0"]));
    server.raw().wait_for_blocked(1);
    second.send(&resp(&["BZPOPMIN", "z", "0"]));
    server.raw().wait_for_blocked(2);
    let mut writer = server.raw();
    writer.cmd(&["ZADD", "z", "1", "a"]);
    assert_eq!(
        first.reply_text(),
        "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert!(second.nothing_within(Duration::from_millis(200)));
    writer.cmd(&["ZADD", "z", "2", "b"]);
    assert_eq!(
        second.reply_text(),
        "*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
}

#[test]
fn a_list_pushed_onto_the_key_does_not_serve_a_sorted_set_pop() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BZPOPMIN", "k", "0"]));
    server.raw().wait_for_blocked(1);
    let mut writer = server.raw();
    writer.cmd(&["LPUSH", "k", "x"]);
    assert!(waiter.nothing_within(Duration::from_millis(200)));
    writer.cmd(&["DEL", "k"]);
    writer.cmd(&["ZADD", "k", "7", "m"]);
    assert_eq!(
        waiter.reply_text(),
        "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n7\r\n"
    );
}

#[test]
fn a_timed_out_blocking_pop_replies_the_null_array() {
    let server = TestServer::start();
    let mut c2 = server.raw();
    let mut c3 = resp3(&server);
    assert_eq!(c2.cmd(&["BZPOPMIN", "z", "0.05"]), "*-1\r\n");
    assert_eq!(c2.cmd(&["BZPOPMAX", "y", "z", "0.05"]), "*-1\r\n");
    assert_eq!(c2.cmd(&["BZMPOP", "0.05", "1", "z", "MIN"]), "*-1\r\n");
    assert_eq!(c3.cmd(&["BZPOPMIN", "z", "0.05"]), "_\r\n");
    assert_eq!(
        c3.cmd(&["BZMPOP", "0.05", "2", "y", "z", "MAX", "COUNT", "2"]),
        "_\r\n"
    );
}

#[test]
fn a_blocking_pop_inside_a_transaction_does_not_block() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["MULTI"]);
    c.cmd(&["BZPOPMIN", "missing", "0"]);
    c.cmd(&["BZMPOP", "0", "1", "missing", "MAX"]);
    c.cmd(&["ZADD", "z", "1", "a"]);
    c.cmd(&["BZPOPMAX", "z", "0"]);
    assert_eq!(
        c.cmd(&["EXEC"]),
        "*4\r\n*-1\r\n*-1\r\n:1\r\n*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
}

/// The commands in the AOF's incr file, as one RESP byte string (without a leading SELECT 0).
fn journal(dir: &Path) -> Vec<u8> {
    let bytes = fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap_or_default();
    let select = resp(&["SELECT", "0"]);
    match bytes.strip_prefix(select.as_slice()) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    }
}

#[test]
fn pops_are_journaled_as_redis_propagates_them() {
    let dir = scratch_dir("zsets-journal");
    let server = TestServer::in_dir(&dir, &common::AOF_ALWAYS);
    let (mut min, mut mpop) = (server.raw(), server.raw());
    min.send(&resp(&["BZPOPMIN", "k", "0"]));
    server.raw().wait_for_blocked(1);
    mpop.send(&resp(&["BZMPOP", "0", "1", "k", "MAX", "COUNT", "10"]));
    server.raw().wait_for_blocked(2);
    let mut c = server.raw();
    c.run_all(&[
        &["ZADD", "k", "1", "a", "2", "b", "3", "c"],
        &["ZADD", "m", "1", "a", "2", "b"],
        &["BZPOPMAX", "m", "0"],
        &["BZMPOP", "0", "1", "m", "MIN", "COUNT", "5"],
        &["ZADD", "m", "1", "a", "2", "b"],
        &["ZMPOP", "1", "m", "MAX", "COUNT", "7"],
        &["ZPOPMIN", "m", "3"],
        &["ZADD", "m", "XX", "1", "a"],
        &["ZADD", "m", "1", "a"],
        &["ZINCRBY", "m", "0", "a"],
        &["ZINCRBY", "m", "2", "a"],
        &["ZREM", "m", "q"],
    ]);
    min.reply();
    mpop.reply();
    let expected = resp_all(&[
        &["ZADD", "k", "1", "a", "2", "b", "3", "c"],
        &["ZPOPMIN", "k"],
        &["ZPOPMAX", "k", "2"],
        &["ZADD", "m", "1", "a", "2", "b"],
        &["ZPOPMAX", "m"],
        &["ZPOPMIN", "m", "1"],
        &["ZADD", "m", "1", "a", "2", "b"],
        &["ZPOPMAX", "m", "2"],
        &["ZADD", "m", "1", "a"],
        &["ZINCRBY", "m", "2", "a"],
    ]);
    assert!(
        wait_until(Duration::from_secs(5), || journal(&dir) == expected),
        "{}",
        String::from_utf8_lossy(&journal(&dir))
    );
}

// Random members.

#[test]
fn zrandmember_picks_distinct_members_or_repeats_with_a_negative_count() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: i64 = query(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    let all: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let one: String = query(&mut c, &["ZRANDMEMBER", "z"]);
    assert!(all.contains(&one));
    let two: Vec<String> = query(&mut c, &["ZRANDMEMBER", "z", "2"]);
    assert_eq!(two.iter().collect::<HashSet<_>>().len(), 2);
    assert!(two.iter().all(|m| all.contains(m)));
    // More than the set holds: the whole set, from the highest score down as Redis iterates.
    let whole: Vec<String> = query(&mut c, &["ZRANDMEMBER", "z", "9223372036854775807"]);
    assert_eq!(whole, ["c", "b", "a"]);
    let repeated: Vec<String> = query(&mut c, &["ZRANDMEMBER", "z", "-1000"]);
    assert_eq!(repeated.len(), 1000);
    assert_eq!(repeated.into_iter().collect::<HashSet<_>>(), all);
    let scored: Vec<String> = query(&mut c, &["ZRANDMEMBER", "z", "-4", "WITHSCORES"]);
    assert_eq!(scored.len(), 8);
    for pair in scored.chunks(2) {
        let expected = (pair[0].as_bytes()[0] - b'a' + 1).to_string();
        assert_eq!(pair[1], expected, "{pair:?}");
    }
    let none: Option<String> = query(&mut c, &["ZRANDMEMBER", "missing"]);
    assert_eq!(none, None);
    let empty: Vec<String> = query(&mut c, &["ZRANDMEMBER", "missing", "-5", "WITHSCORES"]);
    assert!(empty.is_empty());
    let zero: Vec<String> = query(&mut c, &["ZRANDMEMBER", "z", "0"]);
    assert!(zero.is_empty());
}

#[test]
fn zrandmember_bounds_its_count_and_replies_pairs_in_resp3() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "-9223372036854775808"]),
        error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"]),
        error("ERR value is out of range")
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "4611686018427387903", "WITHSCORES"]),
        "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "1", "foo"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"]),
        error("ERR syntax error")
    );
    // Unlike Redis, picks that may repeat are bounded (as SRANDMEMBER's): nothing is built
    // for a count no client could want.
    let too_many = (1u64 << 24) + 1;
    assert!(
        c.cmd(&["ZRANDMEMBER", "z", &format!("-{too_many}")])
            .starts_with("-ERR count is too large")
    );
    let mut c3 = resp3(&server);
    assert_eq!(
        c3.cmd(&["ZRANDMEMBER", "z", "5", "WITHSCORES"]),
        "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_eq!(c3.cmd(&["ZRANDMEMBER", "missing"]), "_\r\n");
}

// ZSCAN.

#[test]
fn zscan_returns_every_member_of_a_big_set_with_its_score() {
    let server = TestServer::start();
    let mut c = server.client();
    let count = 1000;
    for chunk in (0..count).collect::<Vec<_>>().chunks(100) {
        let mut command = redis::cmd("ZADD");
        command.arg("big");
        for i in chunk {
            command.arg(format!("{i}.5")).arg(format!("member:{i}"));
        }
        let _: i64 = command.query(&mut c).unwrap();
    }
    let encoding: String = query(&mut c, &["OBJECT", "ENCODING", "big"]);
    assert_eq!(encoding, "skiplist");
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, items): (String, Vec<String>) =
            query(&mut c, &["ZSCAN", "big", &cursor, "COUNT", "50"]);
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen.len(), count);
    for i in 0..count {
        assert_eq!(seen[&format!("member:{i}")], format!("{i}.5"));
    }
    let (next, items): (String, Vec<String>) = query(
        &mut c,
        &["ZSCAN", "big", "0", "MATCH", "member:99*", "COUNT", "5000"],
    );
    assert_eq!(next, "0");
    let mut matched: Vec<String> = items.chunks(2).map(|p| p[0].clone()).collect();
    matched.sort();
    assert_eq!(
        matched,
        [
            "member:99",
            "member:990",
            "member:991",
            "member:992",
            "member:993",
            "member:994",
            "member:995",
            "member:996",
            "member:997",
            "member:998",
            "member:999"
        ]
    );
}

#[test]
fn zscan_of_a_listpack_comes_whole_with_scores_as_redis_stores_them() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&[
        "ZADD", "z", "1e17", "big", "0.1", "tenth", "-0", "zero", "3", "three",
    ]);
    assert_eq!(
        c.cmd(&["ZSCAN", "z", "0"]),
        "*2\r\n$1\r\n0\r\n*8\r\n$4\r\nzero\r\n$1\r\n0\r\n$5\r\ntenth\r\n$19\r\n0.10000000000000001\r\n\
         $5\r\nthree\r\n$1\r\n3\r\n$3\r\nbig\r\n$18\r\n100000000000000000\r\n"
    );
    assert_eq!(
        c.cmd(&["ZSCAN", "z", "0", "MATCH", "t*"]),
        "*2\r\n$1\r\n0\r\n*4\r\n$5\r\ntenth\r\n$19\r\n0.10000000000000001\r\n$5\r\nthree\r\n$1\r\n3\r\n"
    );
    assert_eq!(c.cmd(&["ZSCAN", "missing", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["ZSCAN", "z", "x"]), error("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["ZSCAN", "z", "0", "COUNT", "0"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["ZSCAN", "z", "0", "MATCH"]),
        error("ERR syntax error")
    );
}

// Encodings.

#[test]
fn a_sorted_set_is_a_listpack_until_129_members_or_a_65_byte_member() {
    let server = TestServer::start();
    let mut c = server.raw();
    let encoding = |c: &mut Raw, key: &str| c.cmd(&["OBJECT", "ENCODING", key]);
    let mut args: Vec<String> = vec!["ZADD".into(), "z".into()];
    for i in 0..128 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&args), ":128\r\n");
    assert_eq!(encoding(&mut c, "z"), bulk("listpack"));
    c.cmd(&["ZADD", "z", "128", "m128"]);
    assert_eq!(encoding(&mut c, "z"), bulk("skiplist"));
    c.cmd(&["ZREM", "z", "m1", "m2", "m3"]);
    assert_eq!(encoding(&mut c, "z"), bulk("skiplist"), "for good");

    c.cmd(&["ZADD", "long", "1", &"x".repeat(64)]);
    assert_eq!(encoding(&mut c, "long"), bulk("listpack"));
    c.cmd(&["ZADD", "long", "2", &"y".repeat(65)]);
    assert_eq!(encoding(&mut c, "long"), bulk("skiplist"));
    c.cmd(&["ZADD", "first", "1", &"y".repeat(65)]);
    assert_eq!(encoding(&mut c, "first"), bulk("skiplist"));
    // Redis 7.0 sizes a new set by its first member: repeats of one member stay a listpack.
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "2"]);
    c.cmd(&["ZADD", "same", "1", "a", "2", "a", "3", "a", "4", "a"]);
    assert_eq!(encoding(&mut c, "same"), bulk("listpack"));
    c.cmd(&["ZADD", "c", "1", "a", "2", "b"]);
    assert_eq!(encoding(&mut c, "c"), bulk("listpack"));
    c.cmd(&["ZINCRBY", "c", "1", "c"]);
    assert_eq!(encoding(&mut c, "c"), bulk("skiplist"));
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
    c.cmd(&["ZADD", "zero", "1", "a"]);
    assert_eq!(encoding(&mut c, "zero"), bulk("skiplist"));
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-value", "3"]);
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
    c.cmd(&["ZADD", "short", "1", "abc"]);
    assert_eq!(encoding(&mut c, "short"), bulk("listpack"));
    c.cmd(&["ZADD", "short", "1", "abcd"]);
    assert_eq!(encoding(&mut c, "short"), bulk("skiplist"));
}

// Keyspace events.

/// The keyevent notifications that arrive until the listener is quiet, as `event key`.
fn events(listener: &mut Raw) -> Vec<String> {
    listener
        .replies_until_quiet(Duration::from_millis(200))
        .iter()
        .map(|text| {
            let parts: Vec<&str> = text.split("\r\n").collect();
            // *4 $8 pmessage $n pattern $n channel $n payload
            let event = parts[6].rsplit(':').next().unwrap();
            format!("{event} {}", parts[8])
        })
        .collect()
}

#[test]
fn writes_notify_as_redis_does() {
    let server = TestServer::start();
    let (mut listener, mut c) = (server.raw(), server.raw());
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Eg$lshzxetd"]);
    listener.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    c.run_all(&[
        &["ZADD", "z", "1", "a", "2", "b"],
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "XX", "5", "q"],
        &["ZINCRBY", "z", "1", "a"],
        &["ZADD", "z", "INCR", "0", "a"],
        &["ZADD", "z", "INCR", "1", "a"],
        &["ZREM", "z", "zz"],
        &["ZREM", "z", "a"],
        &["ZPOPMIN", "z"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["ZPOPMAX", "z", "0"],
        &["ZPOPMAX", "z"],
        &["ZMPOP", "1", "z", "MIN", "COUNT", "9"],
        &["ZADD", "y", "1", "a"],
        &["BZPOPMAX", "y", "0"],
        &["ZADD", "y", "1", "a", "2", "b"],
        &["ZREM", "y", "a", "b"],
    ]);
    assert_eq!(
        events(&mut listener),
        [
            "zadd z",
            "zincr z",
            "zincr z",
            "zrem z",
            "zpopmin z",
            "del z",
            "zadd z",
            "zpopmax z",
            "zpopmin z",
            "del z",
            "zadd y",
            "zpopmax y",
            "del y",
            "zadd y",
            "zrem y",
            "del y",
        ]
    );
}
