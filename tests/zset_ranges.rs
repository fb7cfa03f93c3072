//! Sorted-set ranges and algebra: ZRANGE in all its forms (by rank, score and lex, REV, LIMIT,
//! WITHSCORES) and the older commands it replaces, ZRANGESTORE, ZCOUNT, ZLEXCOUNT, the
//! ZREMRANGEBY* removals, and ZUNION/ZINTER/ZDIFF (STORE forms too) and ZINTERCARD with
//! weights, aggregates and plain sets as inputs; in RESP2 and RESP3, with the encodings of
//! stored results and the keyspace events. Every expected reply was first read from Redis
//! 7.0.15 (`ZSET_RANGES_AGAINST_REDIS=1 cargo test --test zset_ranges` runs these tests against
//! a real redis-server instead); the sweeps at the end send the same commands to both servers
//! (`#[ignore]`d; run by `.ci/run`).

mod common;

use std::time::Duration;

use common::real_redis::{Pair, RealRedis};
use common::{Raw, TestServer, error};

/// The server a test runs against: thredis, or a real redis-server when the environment has
/// `ZSET_RANGES_AGAINST_REDIS=1`, to check that the expected replies are Redis's own.
enum Server {
    Thredis(TestServer),
    Redis(RealRedis),
}

impl Server {
    fn start() -> Server {
        match std::env::var("ZSET_RANGES_AGAINST_REDIS").as_deref() {
            Ok("1") => Server::Redis(RealRedis::start()),
            _ => Server::Thredis(TestServer::start()),
        }
    }

    fn raw(&self) -> Raw {
        match self {
            Server::Thredis(server) => server.raw(),
            Server::Redis(redis) => Raw::connect(redis.port),
        }
    }
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Sends each command and checks its exact reply.
fn check(c: &mut Raw, cases: &[(&[&str], &str)]) {
    for (args, expected) in cases {
        assert_eq!(c.cmd(args), *expected, "{args:?}");
    }
}

/// A RESP2 array of bulk strings.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&format!("${}\r\n{item}\r\n", item.len()));
    }
    out
}

/// `z` = a:1 b:2 c:3 d:4 e:5.
fn five(c: &mut Raw) {
    c.cmd(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
}

#[test]
fn ranges_by_rank_count_from_either_end() {
    let server = Server::start();
    let mut c = server.raw();
    five(&mut c);
    check(
        &mut c,
        &[
            (
                &["ZRANGE", "z", "0", "-1"],
                &bulks(&["a", "b", "c", "d", "e"]),
            ),
            (&["ZRANGE", "z", "1", "2"], &bulks(&["b", "c"])),
            (&["ZRANGE", "z", "-2", "100"], &bulks(&["d", "e"])),
            (&["ZRANGE", "z", "-100", "0"], &bulks(&["a"])),
            (&["ZRANGE", "z", "3", "1"], "*0\r\n"),
            (&["ZRANGE", "z", "5", "10"], "*0\r\n"),
            (&["ZRANGE", "z", "0", "-6"], "*0\r\n"),
            (
                &["ZRANGE", "z", "-9223372036854775808", "9223372036854775807"],
                &bulks(&["a", "b", "c", "d", "e"]),
            ),
            (
                &["ZRANGE", "z", "0", "1", "WITHSCORES"],
                &bulks(&["a", "1", "b", "2"]),
            ),
            (&["ZRANGE", "z", "0", "1", "REV"], &bulks(&["e", "d"])),
            (&["ZREVRANGE", "z", "0", "1"], &bulks(&["e", "d"])),
            (
                &["ZREVRANGE", "z", "-1", "-1", "WITHSCORES"],
                &bulks(&["a", "1"]),
            ),
            (&["ZREVRANGE", "z", "1", "3"], &bulks(&["d", "c", "b"])),
            (&["ZRANGE", "missing", "0", "-1"], "*0\r\n"),
            (&["ZREVRANGE", "missing", "0", "-1", "WITHSCORES"], "*0\r\n"),
            // Redis tells "no LIMIT" by the count alone.
            (
                &["ZRANGE", "z", "0", "0", "LIMIT", "3", "-1"],
                &bulks(&["a"]),
            ),
        ],
    );
}

#[test]
fn ranges_by_score_take_exclusive_and_infinite_bounds() {
    let server = Server::start();
    let mut c = server.raw();
    five(&mut c);
    check(
        &mut c,
        &[
            (&["ZRANGEBYSCORE", "z", "2", "4"], &bulks(&["b", "c", "d"])),
            (&["ZRANGEBYSCORE", "z", "(2", "4"], &bulks(&["c", "d"])),
            (&["ZRANGEBYSCORE", "z", "2", "(4"], &bulks(&["b", "c"])),
            (&["ZRANGEBYSCORE", "z", "(2", "(3"], "*0\r\n"),
            (&["ZRANGEBYSCORE", "z", "(3", "(3"], "*0\r\n"),
            (&["ZRANGEBYSCORE", "z", "3", "3"], &bulks(&["c"])),
            (&["ZRANGEBYSCORE", "z", "4", "2"], "*0\r\n"),
            (
                &["ZRANGEBYSCORE", "z", "-inf", "+inf"],
                &bulks(&["a", "b", "c", "d", "e"]),
            ),
            (
                &["ZRANGEBYSCORE", "z", "(-inf", "(inf"],
                &bulks(&["a", "b", "c", "d", "e"]),
            ),
            (&["ZRANGEBYSCORE", "z", "(4.5", "+Infinity"], &bulks(&["e"])),
            (&["ZRANGEBYSCORE", "z", "1e400", "inf"], "*0\r\n"),
            (
                &["ZRANGEBYSCORE", "z", "4", "5", "WITHSCORES"],
                &bulks(&["d", "4", "e", "5"]),
            ),
            // What strtod reads: blanks first, hexadecimal, and nothing at all is 0.
            (&["ZRANGEBYSCORE", "z", " 4", "0x5"], &bulks(&["d", "e"])),
            (&["ZRANGEBYSCORE", "z", "", "(2"], &bulks(&["a"])),
            (&["ZRANGEBYSCORE", "z", "(", "1"], &bulks(&["a"])),
            // Reversed: the upper end comes first.
            (
                &["ZREVRANGEBYSCORE", "z", "4", "2"],
                &bulks(&["d", "c", "b"]),
            ),
            (&["ZREVRANGEBYSCORE", "z", "2", "4"], "*0\r\n"),
            (
                &["ZREVRANGEBYSCORE", "z", "+inf", "(4", "WITHSCORES"],
                &bulks(&["e", "5"]),
            ),
            (
                &["ZRANGE", "z", "(5", "3", "BYSCORE", "REV"],
                &bulks(&["d", "c"]),
            ),
            (&["ZRANGE", "z", "3", "(5", "BYSCORE"], &bulks(&["c", "d"])),
            (&["ZRANGEBYSCORE", "missing", "-inf", "inf"], "*0\r\n"),
        ],
    );
}

#[test]
fn limit_windows_count_in_the_direction_of_the_range() {
    let server = Server::start();
    let mut c = server.raw();
    five(&mut c);
    check(
        &mut c,
        &[
            (
                &["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "1", "2"],
                &bulks(&["b", "c"]),
            ),
            (
                &["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "1", "-1"],
                &bulks(&["b", "c", "d", "e"]),
            ),
            (
                &["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "-1", "2"],
                "*0\r\n",
            ),
            (
                &["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "5", "1"],
                "*0\r\n",
            ),
            (
                &["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "0", "0"],
                "*0\r\n",
            ),
            (
                &[
                    "ZRANGEBYSCORE",
                    "z",
                    "1",
                    "5",
                    "LIMIT",
                    "9223372036854775807",
                    "9223372036854775807",
                ],
                "*0\r\n",
            ),
            (
                &[
                    "ZRANGEBYSCORE",
                    "z",
                    "1",
                    "5",
                    "LIMIT",
                    "4",
                    "9223372036854775807",
                ],
                &bulks(&["e"]),
            ),
            (
                &["ZREVRANGEBYSCORE", "z", "5", "1", "LIMIT", "1", "2"],
                &bulks(&["d", "c"]),
            ),
            (
                &[
                    "ZRANGE",
                    "z",
                    "5",
                    "1",
                    "BYSCORE",
                    "REV",
                    "LIMIT",
                    "1",
                    "2",
                    "WITHSCORES",
                ],
                &bulks(&["d", "4", "c", "3"]),
            ),
            (
                &["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "2"],
                &bulks(&["b", "c"]),
            ),
            (
                &["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "0", "2"],
                &bulks(&["e", "d"]),
            ),
            // Options may come in any order, and a later LIMIT wins.
            (
                &[
                    "ZRANGE", "z", "-inf", "inf", "LIMIT", "0", "1", "BYSCORE", "LIMIT", "2", "1",
                ],
                &bulks(&["c"]),
            ),
        ],
    );
}

#[test]
fn ranges_by_lex_compare_member_bytes() {
    let server = Server::start();
    let mut c = server.raw();
    c.cmd(&[
        "ZADD", "l", "0", "a", "0", "b", "0", "ba", "0", "c", "0", "d",
    ]);
    check(
        &mut c,
        &[
            (
                &["ZRANGEBYLEX", "l", "-", "+"],
                &bulks(&["a", "b", "ba", "c", "d"]),
            ),
            (&["ZRANGEBYLEX", "l", "[b", "[c"], &bulks(&["b", "ba", "c"])),
            (&["ZRANGEBYLEX", "l", "(b", "(c"], &bulks(&["ba"])),
            (&["ZRANGEBYLEX", "l", "[b", "(b"], "*0\r\n"),
            (&["ZRANGEBYLEX", "l", "+", "-"], "*0\r\n"),
            (&["ZRANGEBYLEX", "l", "-", "-"], "*0\r\n"),
            (&["ZRANGEBYLEX", "l", "[", "(b"], &bulks(&["a"])),
            (&["ZRANGEBYLEX", "l", "(c", "+"], &bulks(&["d"])),
            (
                &["ZREVRANGEBYLEX", "l", "[c", "(a"],
                &bulks(&["c", "ba", "b"]),
            ),
            (
                &["ZRANGE", "l", "+", "[ba", "BYLEX", "REV"],
                &bulks(&["d", "c", "ba"]),
            ),
            (&["ZLEXCOUNT", "l", "-", "+"], ":5\r\n"),
            (&["ZLEXCOUNT", "l", "(a", "[c"], ":3\r\n"),
            (&["ZLEXCOUNT", "l", "[z", "+"], ":0\r\n"),
            (&["ZLEXCOUNT", "missing", "-", "+"], ":0\r\n"),
            (&["ZRANGEBYLEX", "missing", "-", "+"], "*0\r\n"),
        ],
    );
}

#[test]
fn range_argument_errors_come_in_redis_order() {
    let server = Server::start();
    let mut c = server.raw();
    five(&mut c);
    c.cmd(&["SET", "str", "x"]);
    let not_float = error("ERR min or max is not a float");
    let not_lex = error("ERR min or max not valid string range item");
    let not_int = error("ERR value is not an integer or out of range");
    let limit = error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
    let withscores = error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    let syntax = error("ERR syntax error");
    check(
        &mut c,
        &[
            (&["ZRANGEBYSCORE", "z", "a", "1"], &not_float),
            (&["ZRANGEBYSCORE", "z", "1", "nan"], &not_float),
            (&["ZRANGEBYSCORE", "z", " ", "1"], &not_float),
            (&["ZRANGEBYSCORE", "z", "1 ", "2"], &not_float),
            (&["ZRANGEBYSCORE", "z", "[1", "2"], &not_float),
            (&["ZCOUNT", "z", "1", "x"], &not_float),
            (&["ZCOUNT", "missing", "x", "1"], &not_float),
            (&["ZCOUNT", "str", "x", "1"], &not_float),
            (&["ZRANGEBYLEX", "z", "a", "+"], &not_lex),
            (&["ZRANGEBYLEX", "z", "-", "+a"], &not_lex),
            (&["ZRANGEBYLEX", "z", "", "+"], &not_lex),
            (&["ZLEXCOUNT", "z", "1", "2"], &not_lex),
            (&["ZRANGE", "z", "x", "1"], &not_int),
            (&["ZRANGE", "z", "0", "-1", "LIMIT", "1", "x"], &not_int),
            (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"], &limit),
            (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-2"], &limit),
            (&["ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"], &limit),
            // The options are checked against each other before the range is parsed.
            (&["ZRANGE", "z", "x", "y", "LIMIT", "0", "1"], &limit),
            (
                &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
                &withscores,
            ),
            (&["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"], &withscores),
            (&["ZRANGE", "z", "0", "-1", "REV", "REV"], &syntax),
            (&["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"], &syntax),
            (&["ZRANGE", "z", "0", "-1", "LIMIT", "1"], &syntax),
            (&["ZRANGE", "z", "0", "-1", "FOO"], &syntax),
            (&["ZRANGEBYSCORE", "z", "1", "2", "REV"], &syntax),
            (&["ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"], &syntax),
            (&["ZREVRANGE", "z", "0", "1", "REV"], &syntax),
            (&["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"], &syntax),
            (&["ZRANGE", "str", "0", "-1"], &error(WRONGTYPE)),
            (&["ZRANGE", "str", "x", "-1"], &not_int),
            (&["ZCOUNT", "str", "0", "1"], &error(WRONGTYPE)),
            (&["ZLEXCOUNT", "str", "-", "+"], &error(WRONGTYPE)),
            (&["ZRANGESTORE", "d", "str", "0", "-1"], &error(WRONGTYPE)),
            (&["ZREMRANGEBYRANK", "str", "0", "-1"], &error(WRONGTYPE)),
            (&["ZREMRANGEBYSCORE", "str", "x", "1"], &not_float),
            (&["ZREMRANGEBYLEX", "z", "a", "b"], &not_lex),
            (&["ZREMRANGEBYRANK", "z", "0", "1.5"], &not_int),
            (
                &["ZRANGE", "z", "0"],
                &error("ERR wrong number of arguments for 'zrange' command"),
            ),
            (
                &["ZCOUNT", "z", "0", "1", "2"],
                &error("ERR wrong number of arguments for 'zcount' command"),
            ),
        ],
    );
}

#[test]
fn scores_in_resp3_are_doubles_in_pairs() {
    let server = Server::start();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["ZADD", "z", "1.5", "a", "-inf", "b", "2", "c"]);
    check(
        &mut c,
        &[
            (
                &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
                "*3\r\n*2\r\n$1\r\nb\r\n,-inf\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nc\r\n,2\r\n",
            ),
            (&["ZRANGE", "z", "0", "-1"], &bulks(&["b", "a", "c"])),
            (
                &["ZREVRANGEBYSCORE", "z", "inf", "1", "WITHSCORES"],
                "*2\r\n*2\r\n$1\r\nc\r\n,2\r\n*2\r\n$1\r\na\r\n,1.5\r\n",
            ),
            (&["ZRANGE", "missing", "0", "-1", "WITHSCORES"], "*0\r\n"),
            (
                &["ZUNION", "2", "z", "z", "WITHSCORES"],
                "*3\r\n*2\r\n$1\r\nb\r\n,-inf\r\n*2\r\n$1\r\na\r\n,3\r\n*2\r\n$1\r\nc\r\n,4\r\n",
            ),
            (&["ZINTER", "1", "z"], &bulks(&["b", "a", "c"])),
        ],
    );
    c.cmd(&["HELLO", "2"]);
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        bulks(&["b", "-inf", "a", "1.5", "c", "2"])
    );
}

#[test]
fn zcount_counts_a_score_range() {
    let server = Server::start();
    let mut c = server.raw();
    five(&mut c);
    check(
        &mut c,
        &[
            (&["ZCOUNT", "z", "-inf", "+inf"], ":5\r\n"),
            (&["ZCOUNT", "z", "(1", "(5"], ":3\r\n"),
            (&["ZCOUNT", "z", "2", "2"], ":1\r\n"),
            (&["ZCOUNT", "z", "(2", "2"], ":0\r\n"),
            (&["ZCOUNT", "z", "5", "1"], ":0\r\n"),
            (&["ZCOUNT", "missing", "0", "1"], ":0\r\n"),
        ],
    );
}

#[test]
fn zrangestore_stores_the_range_or_deletes_the_destination() {
    let server = Server::start();
    let mut c = server.raw();
    five(&mut c);
    check(
        &mut c,
        &[
            (&["ZRANGESTORE", "d", "z", "1", "2"], ":2\r\n"),
            (
                &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
                &bulks(&["b", "2", "c", "3"]),
            ),
            (&["ZRANGESTORE", "d", "z", "0", "1", "REV"], ":2\r\n"),
            (&["ZRANGE", "d", "0", "-1"], &bulks(&["d", "e"])),
            (
                &[
                    "ZRANGESTORE",
                    "d",
                    "z",
                    "(4",
                    "-inf",
                    "BYSCORE",
                    "REV",
                    "LIMIT",
                    "1",
                    "5",
                ],
                ":2\r\n",
            ),
            (&["ZRANGE", "d", "0", "-1"], &bulks(&["a", "b"])),
            (&["ZRANGESTORE", "d", "z", "[b", "(d", "BYLEX"], ":2\r\n"),
            (&["ZRANGE", "d", "0", "-1"], &bulks(&["b", "c"])),
            (&["OBJECT", "ENCODING", "d"], "$8\r\nlistpack\r\n"),
            // A string destination is replaced, time to live and all.
            (&["SET", "s", "x", "EX", "100"], "+OK\r\n"),
            (&["ZRANGESTORE", "s", "z", "0", "0"], ":1\r\n"),
            (&["TYPE", "s"], "+zset\r\n"),
            (&["TTL", "s"], ":-1\r\n"),
            // Nothing selected, or no source: the destination goes.
            (&["ZRANGESTORE", "d", "z", "10", "20"], ":0\r\n"),
            (&["EXISTS", "d"], ":0\r\n"),
            (&["ZRANGESTORE", "s", "missing", "0", "-1"], ":0\r\n"),
            (&["EXISTS", "s"], ":0\r\n"),
            (&["ZRANGESTORE", "d", "missing", "0", "-1"], ":0\r\n"),
            // The source itself can be the destination.
            (&["ZRANGESTORE", "z", "z", "0", "2"], ":3\r\n"),
            (&["ZRANGE", "z", "0", "-1"], &bulks(&["a", "b", "c"])),
        ],
    );
}

#[test]
fn zremrange_removes_by_rank_score_and_lex() {
    let server = Server::start();
    let mut c = server.raw();
    five(&mut c);
    check(
        &mut c,
        &[
            (&["ZREMRANGEBYRANK", "z", "0", "0"], ":1\r\n"),
            (&["ZREMRANGEBYRANK", "z", "10", "20"], ":0\r\n"),
            (&["ZREMRANGEBYRANK", "z", "-1", "-1"], ":1\r\n"),
            (&["ZRANGE", "z", "0", "-1"], &bulks(&["b", "c", "d"])),
            (&["ZREMRANGEBYSCORE", "z", "(2", "3"], ":1\r\n"),
            (&["ZREMRANGEBYSCORE", "z", "5", "1"], ":0\r\n"),
            (&["ZRANGE", "z", "0", "-1"], &bulks(&["b", "d"])),
            (&["ZREMRANGEBYRANK", "missing", "0", "-1"], ":0\r\n"),
            (&["ZREMRANGEBYSCORE", "missing", "-inf", "inf"], ":0\r\n"),
            (&["ZREMRANGEBYLEX", "missing", "-", "+"], ":0\r\n"),
            (&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"], ":2\r\n"),
            (&["EXISTS", "z"], ":0\r\n"),
            (
                &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
                ":4\r\n",
            ),
            (&["ZREMRANGEBYLEX", "l", "(a", "[c"], ":2\r\n"),
            (&["ZRANGE", "l", "0", "-1"], &bulks(&["a", "d"])),
            (&["ZREMRANGEBYLEX", "l", "-", "+"], ":2\r\n"),
            (&["EXISTS", "l"], ":0\r\n"),
        ],
    );
}

#[test]
fn union_intersection_and_difference_with_weights_and_aggregates() {
    let server = Server::start();
    let mut c = server.raw();
    c.cmd(&["ZADD", "z1", "1", "a", "2", "b", "3", "c"]);
    c.cmd(&["ZADD", "z2", "10", "b", "20", "c", "30", "d"]);
    c.cmd(&["SADD", "s", "a", "d", "x"]);
    check(
        &mut c,
        &[
            (
                &["ZUNION", "2", "z1", "z2", "WITHSCORES"],
                &bulks(&["a", "1", "b", "12", "c", "23", "d", "30"]),
            ),
            (&["ZUNION", "2", "z1", "z2"], &bulks(&["a", "b", "c", "d"])),
            (
                &[
                    "ZUNION",
                    "2",
                    "z1",
                    "z2",
                    "WEIGHTS",
                    "2",
                    "0.5",
                    "WITHSCORES",
                ],
                &bulks(&["a", "2", "b", "9", "d", "15", "c", "16"]),
            ),
            (
                &["ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"],
                &bulks(&["a", "1", "b", "2", "c", "3", "d", "30"]),
            ),
            (
                &["ZUNION", "2", "z1", "z2", "aggregate", "max", "withscores"],
                &bulks(&["a", "1", "b", "10", "c", "20", "d", "30"]),
            ),
            (
                &["ZINTER", "2", "z1", "z2", "WITHSCORES"],
                &bulks(&["b", "12", "c", "23"]),
            ),
            (
                &[
                    "ZINTER",
                    "2",
                    "z1",
                    "z2",
                    "WEIGHTS",
                    "1",
                    "-1",
                    "AGGREGATE",
                    "SUM",
                    "WITHSCORES",
                ],
                &bulks(&["c", "-17", "b", "-8"]),
            ),
            (
                &["ZDIFF", "2", "z1", "z2", "WITHSCORES"],
                &bulks(&["a", "1"]),
            ),
            (&["ZDIFF", "2", "z2", "z1"], &bulks(&["d"])),
            (&["ZDIFF", "1", "z1"], &bulks(&["a", "b", "c"])),
            (&["ZDIFF", "2", "z1", "z1"], "*0\r\n"),
            // A plain set is a sorted set whose scores are all 1.
            (
                &["ZUNION", "2", "z1", "s", "WITHSCORES"],
                &bulks(&["d", "1", "x", "1", "a", "2", "b", "2", "c", "3"]),
            ),
            (
                &["ZINTER", "2", "s", "z2", "WITHSCORES"],
                &bulks(&["d", "31"]),
            ),
            (
                &["ZDIFF", "2", "s", "z1", "WITHSCORES"],
                &bulks(&["d", "1", "x", "1"]),
            ),
            // A missing key is an empty set.
            (&["ZUNION", "2", "z1", "missing"], &bulks(&["a", "b", "c"])),
            (&["ZINTER", "2", "z1", "missing"], "*0\r\n"),
            (&["ZDIFF", "2", "missing", "z1"], "*0\r\n"),
            (&["ZINTERCARD", "2", "z1", "z2"], ":2\r\n"),
            (&["ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"], ":1\r\n"),
            (&["ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"], ":2\r\n"),
            (&["ZINTERCARD", "3", "z1", "z2", "s"], ":0\r\n"),
            (&["ZINTERCARD", "1", "missing"], ":0\r\n"),
        ],
    );
}

#[test]
fn infinite_scores_combine_as_redis_combines_them() {
    let server = Server::start();
    let mut c = server.raw();
    c.cmd(&["ZADD", "p", "inf", "a", "1", "b", "0", "c"]);
    c.cmd(&["ZADD", "n", "-inf", "a", "2", "b", "-inf", "c"]);
    check(
        &mut c,
        &[
            // inf + -inf is 0 (not NaN), and so is 0 * inf.
            (
                &["ZUNION", "2", "p", "n", "WITHSCORES"],
                &bulks(&["c", "-inf", "a", "0", "b", "3"]),
            ),
            (
                &["ZINTER", "2", "p", "n", "WITHSCORES"],
                &bulks(&["c", "-inf", "a", "0", "b", "3"]),
            ),
            (
                &["ZUNION", "1", "p", "WEIGHTS", "0", "WITHSCORES"],
                &bulks(&["a", "0", "b", "0", "c", "0"]),
            ),
            // MAX keeps what it has against 0 * -inf (NaN); a sum restarts from 0.
            (
                &[
                    "ZINTER",
                    "2",
                    "p",
                    "n",
                    "WEIGHTS",
                    "1",
                    "0",
                    "AGGREGATE",
                    "MAX",
                    "WITHSCORES",
                ],
                &bulks(&["c", "0", "b", "1", "a", "inf"]),
            ),
            (
                &["ZINTER", "2", "p", "n", "WEIGHTS", "1", "0", "WITHSCORES"],
                &bulks(&["a", "0", "c", "0", "b", "1"]),
            ),
            (
                &[
                    "ZUNION",
                    "2",
                    "p",
                    "n",
                    "WEIGHTS",
                    "inf",
                    "-1",
                    "WITHSCORES",
                ],
                &bulks(&["a", "inf", "b", "inf", "c", "inf"]),
            ),
            (
                &["ZUNION", "1", "p", "WEIGHTS", "0x10", "WITHSCORES"],
                &bulks(&["c", "0", "b", "16", "a", "inf"]),
            ),
        ],
    );
}

#[test]
fn algebra_argument_errors_come_in_redis_order() {
    let server = Server::start();
    let mut c = server.raw();
    c.cmd(&["ZADD", "z", "1", "a"]);
    c.cmd(&["SET", "str", "x"]);
    let syntax = error("ERR syntax error");
    let weight = error("ERR weight value is not a float");
    let at_least = |command: &str| {
        error(&format!(
            "ERR at least 1 input key is needed for '{command}' command"
        ))
    };
    check(
        &mut c,
        &[
            (&["ZUNION", "0", "z"], &at_least("zunion")),
            (&["ZINTER", "-1", "z"], &at_least("zinter")),
            (&["ZDIFF", "0", "z"], &at_least("zdiff")),
            (&["ZINTERCARD", "0", "z"], &at_least("zintercard")),
            (&["ZUNIONSTORE", "d", "0", "z"], &at_least("zunionstore")),
            (&["zinterstore", "d", "0", "z"], &at_least("zinterstore")),
            (&["ZDIFFSTORE", "d", "0", "z"], &at_least("zdiffstore")),
            (
                &["ZUNION", "x", "z"],
                &error("ERR value is not an integer or out of range"),
            ),
            (&["ZUNION", "3", "z", "z"], &syntax),
            (&["ZINTERCARD", "9223372036854775807", "z"], &syntax),
            // Inputs are looked up before the options are read.
            (
                &["ZUNION", "2", "z", "str", "WEIGHTS", "x", "y"],
                &error(WRONGTYPE),
            ),
            (&["ZINTER", "2", "str", "missing"], &error(WRONGTYPE)),
            (&["ZUNIONSTORE", "d", "1", "str"], &error(WRONGTYPE)),
            (&["ZINTERCARD", "1", "str"], &error(WRONGTYPE)),
            (&["ZUNION", "2", "z", "z", "WEIGHTS", "1"], &syntax),
            (&["ZUNION", "2", "z", "z", "WEIGHTS", "1", "x"], &weight),
            (&["ZUNION", "1", "z", "WEIGHTS", " 1"], &weight),
            (&["ZUNION", "1", "z", "WEIGHTS", ""], &weight),
            (&["ZUNION", "1", "z", "WEIGHTS", "nan"], &weight),
            (&["ZUNION", "1", "z", "WEIGHTS", "1e400"], &weight),
            (&["ZUNION", "1", "z", "AGGREGATE", "avg"], &syntax),
            (&["ZUNION", "1", "z", "AGGREGATE"], &syntax),
            (&["ZDIFF", "1", "z", "WEIGHTS", "1"], &syntax),
            (&["ZDIFF", "1", "z", "AGGREGATE", "MIN"], &syntax),
            (&["ZUNIONSTORE", "d", "1", "z", "WITHSCORES"], &syntax),
            (&["ZINTERCARD", "1", "z", "WITHSCORES"], &syntax),
            (&["ZINTERCARD", "1", "z", "WEIGHTS", "1"], &syntax),
            (
                &["ZINTERCARD", "1", "z", "LIMIT", "-1"],
                &error("ERR LIMIT can't be negative"),
            ),
            (
                &["ZINTERCARD", "1", "z", "LIMIT", "x"],
                &error("ERR LIMIT can't be negative"),
            ),
            (&["ZINTERCARD", "1", "z", "LIMIT"], &syntax),
            (&["ZUNION", "1", "z", "LIMIT", "1"], &syntax),
            (
                &["ZUNIONSTORE", "d", "1"],
                &error("ERR wrong number of arguments for 'zunionstore' command"),
            ),
        ],
    );
    assert_eq!(c.cmd(&["EXISTS", "d"]), ":0\r\n");
}

#[test]
fn stored_results_replace_the_destination_or_delete_it() {
    let server = Server::start();
    let mut c = server.raw();
    c.cmd(&["ZADD", "z1", "1", "a", "2", "b"]);
    c.cmd(&["ZADD", "z2", "3", "b", "4", "c"]);
    c.cmd(&["SET", "d", "x", "EX", "100"]);
    check(
        &mut c,
        &[
            (
                &["ZUNIONSTORE", "d", "2", "z1", "z2", "WEIGHTS", "1", "2"],
                ":3\r\n",
            ),
            (&["TYPE", "d"], "+zset\r\n"),
            (&["TTL", "d"], ":-1\r\n"),
            (
                &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
                &bulks(&["a", "1", "b", "8", "c", "8"]),
            ),
            (
                &["ZINTERSTORE", "d", "2", "z1", "z2", "AGGREGATE", "MAX"],
                ":1\r\n",
            ),
            (
                &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
                &bulks(&["b", "3"]),
            ),
            (&["ZDIFFSTORE", "d", "2", "z1", "z2"], ":1\r\n"),
            (
                &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
                &bulks(&["a", "1"]),
            ),
            // The destination may be an input.
            (&["ZUNIONSTORE", "z1", "2", "z1", "z2"], ":3\r\n"),
            (
                &["ZRANGE", "z1", "0", "-1", "WITHSCORES"],
                &bulks(&["a", "1", "c", "4", "b", "5"]),
            ),
            (&["ZINTERSTORE", "d", "2", "z1", "missing"], ":0\r\n"),
            (&["EXISTS", "d"], ":0\r\n"),
            (&["ZDIFFSTORE", "d", "2", "z1", "z1"], ":0\r\n"),
            (&["ZUNIONSTORE", "d", "1", "missing"], ":0\r\n"),
            (&["EXISTS", "d"], ":0\r\n"),
        ],
    );
}

#[test]
fn stored_results_are_listpacks_when_they_fit() {
    let server = Server::start();
    let mut c = server.raw();
    let mut big = vec!["ZADD", "big"];
    let members: Vec<String> = (0..200).map(|i| format!("m{i:03}")).collect();
    for member in &members {
        big.extend_from_slice(&["1", member]);
    }
    c.cmd(&big);
    c.cmd(&["ZADD", "few", "1", "m000", "2", "m001"]);
    let long = "x".repeat(65);
    c.cmd(&["ZADD", "long", "1", &long]);
    let encoding = |c: &mut Raw, key: &str| c.cmd(&["OBJECT", "ENCODING", key]);
    assert_eq!(encoding(&mut c, "big"), "$8\r\nskiplist\r\n");
    // From a skiplist, a small result is a listpack.
    assert_eq!(c.cmd(&["ZINTERSTORE", "d", "2", "big", "few"]), ":2\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nlistpack\r\n");
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "1", "big"]), ":200\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nskiplist\r\n");
    assert_eq!(c.cmd(&["ZDIFFSTORE", "d", "2", "big", "few"]), ":198\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nskiplist\r\n");
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "2", "few", "long"]), ":3\r\n");
    assert_eq!(
        encoding(&mut c, "d"),
        "$8\r\nskiplist\r\n",
        "a member too long"
    );
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "big", "0", "127"]), ":128\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nlistpack\r\n");
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "big", "0", "128"]), ":129\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nskiplist\r\n");
    assert_eq!(
        c.cmd(&[
            "ZRANGESTORE",
            "d",
            "big",
            "-inf",
            "inf",
            "BYSCORE",
            "LIMIT",
            "0",
            "3"
        ]),
        ":3\r\n"
    );
    assert_eq!(encoding(&mut c, "d"), "$8\r\nlistpack\r\n");
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "long", "0", "-1"]), ":1\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nskiplist\r\n");
    // The limits are read from the configuration.
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "1"]);
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "1", "few"]), ":2\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nskiplist\r\n");
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "few", "0", "0"]), ":1\r\n");
    assert_eq!(encoding(&mut c, "d"), "$8\r\nlistpack\r\n");
    // Removing a range leaves the encoding as it was, as in Redis.
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "big", "1", "-1"]), ":199\r\n");
    assert_eq!(encoding(&mut c, "big"), "$8\r\nskiplist\r\n");
}

/// Reads the next keyspace-event notification as `event key`.
fn next_event(listener: &mut Raw) -> String {
    let text = listener.reply_text();
    let parts: Vec<&str> = text.split("\r\n").collect();
    // *4 $8 pmessage $n pattern $n channel $n payload
    assert_eq!(parts[2], "pmessage", "{text}");
    let event = parts[6].trim_start_matches("__keyevent@0__:");
    format!("{event} {}", parts[8])
}

#[test]
fn changes_are_notified_as_redis_names_them() {
    let server = Server::start();
    let (mut listener, mut c) = (server.raw(), server.raw());
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Egz"]);
    listener.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    c.cmd(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
    ]);
    assert_eq!(next_event(&mut listener), "zadd z");
    for (args, events) in [
        (
            &["ZREMRANGEBYRANK", "z", "0", "0"][..],
            &["zremrangebyrank z"][..],
        ),
        (
            &["ZREMRANGEBYSCORE", "z", "2", "2"],
            &["zremrangebyscore z"],
        ),
        (&["ZREMRANGEBYLEX", "z", "[c", "[c"], &["zremrangebylex z"]),
        (&["ZRANGESTORE", "d", "z", "0", "-1"], &["zrangestore d"]),
        (&["ZRANGESTORE", "d", "missing", "0", "-1"], &["del d"]),
        (&["ZUNIONSTORE", "d", "1", "z"], &["zunionstore d"]),
        (&["ZINTERSTORE", "d", "1", "z"], &["zinterstore d"]),
        (&["ZDIFFSTORE", "d", "1", "z"], &["zdiffstore d"]),
        (&["ZDIFFSTORE", "d", "2", "z", "z"], &["del d"]),
        (
            &["ZREMRANGEBYRANK", "z", "0", "-1"],
            &["zremrangebyrank z", "del z"],
        ),
    ] {
        c.cmd(args);
        for event in events {
            assert_eq!(next_event(&mut listener), *event, "{args:?}");
        }
    }
    // Nothing removed, nothing stored over nothing: no event.
    for args in [
        &["ZREMRANGEBYRANK", "missing", "0", "-1"][..],
        &["ZREMRANGEBYSCORE", "z", "0", "1"],
        &["ZINTERSTORE", "d", "1", "missing"],
        &["ZRANGESTORE", "d", "missing", "0", "-1"],
    ] {
        c.cmd(args);
    }
    assert!(listener.nothing_within(Duration::from_millis(100)));
}

/// The commands of the sweeps: every command of this file, edge cases included.
const SWEEP: &[&[&str]] = &[
    &[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ],
    &[
        "ZADD", "l", "0", "a", "0", "b", "0", "ba", "0", "c", "0", "d",
    ],
    &["ZADD", "f", "1.5", "x", "-inf", "y", "0.1", "w", "inf", "v"],
    &["SADD", "s", "a", "d", "x"],
    &["SADD", "ints", "1", "2", "3"],
    &["SET", "str", "x"],
    &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    &["ZRANGE", "z", "-3", "-2"],
    &["ZRANGE", "z", "2", "1"],
    &["ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"],
    &["ZRANGE", "f", "0", "-1", "WITHSCORES"],
    &["ZREVRANGE", "f", "0", "-1", "WITHSCORES"],
    &["ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"],
    &["ZRANGE", "z", "0", "1", "LIMIT", "0", "2"],
    &["ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"],
    &["ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "WITHSCORES"],
    &["ZRANGE", "z", "-inf", "inf", "BYSCORE", "LIMIT", "1", "3"],
    &[
        "ZRANGE", "z", "inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "3",
    ],
    &["ZRANGE", "z", "-inf", "inf", "BYSCORE", "LIMIT", "-1", "3"],
    &["ZRANGE", "z", "-inf", "inf", "BYSCORE", "LIMIT", "2", "-5"],
    &["ZRANGE", "l", "[b", "+", "BYLEX", "LIMIT", "1", "2"],
    &["ZRANGE", "l", "+", "(b", "BYLEX", "REV"],
    &["ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"],
    &["ZRANGE", "z", "0", "-1", "BYSCORE", "BYSCORE"],
    &["ZRANGE", "z", "a", "b", "BYSCORE"],
    &["ZRANGE", "z", "a", "b", "BYLEX"],
    &["ZRANGE", "str", "0", "-1"],
    &["ZRANGE", "missing", "0", "-1"],
    &["ZRANGEBYSCORE", "z", "(1", "(5"],
    &[
        "ZRANGEBYSCORE",
        "z",
        "-inf",
        "2",
        "WITHSCORES",
        "LIMIT",
        "0",
        "1",
    ],
    &["ZRANGEBYSCORE", "z", " 2", "0x3"],
    &["ZRANGEBYSCORE", "z", "", "1"],
    &["ZRANGEBYSCORE", "z", "1", "2", "junk"],
    &["ZRANGEBYSCORE", "f", "-inf", "(inf", "WITHSCORES"],
    &["ZRANGEBYSCORE", "f", "(-inf", "inf"],
    &["ZREVRANGEBYSCORE", "z", "(5", "(1", "WITHSCORES"],
    &["ZREVRANGEBYSCORE", "z", "5", "1", "LIMIT", "2", "10"],
    &["ZRANGEBYLEX", "l", "(a", "[c"],
    &["ZRANGEBYLEX", "l", "[a", "(a"],
    &["ZRANGEBYLEX", "l", "-", "+", "LIMIT", "3", "-1"],
    &["ZREVRANGEBYLEX", "l", "+", "[b"],
    &["ZREVRANGEBYLEX", "l", "[b", "+"],
    &["ZRANGEBYLEX", "l", "b", "c"],
    &["ZCOUNT", "z", "(1", "inf"],
    &["ZCOUNT", "f", "-inf", "inf"],
    &["ZCOUNT", "z", "x", "1"],
    &["ZLEXCOUNT", "l", "[b", "(c"],
    &["ZLEXCOUNT", "l", "-", "[a"],
    &["ZLEXCOUNT", "str", "-", "+"],
    &["ZRANGESTORE", "d", "z", "1", "-2"],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &["OBJECT", "ENCODING", "d"],
    &[
        "ZRANGESTORE",
        "d",
        "z",
        "+inf",
        "(2",
        "BYSCORE",
        "REV",
        "LIMIT",
        "1",
        "1",
    ],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &["ZRANGESTORE", "d", "l", "[b", "[c", "BYLEX"],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &["ZRANGESTORE", "d", "z", "5", "6"],
    &["EXISTS", "d"],
    &["ZRANGESTORE", "d", "str", "0", "-1"],
    &["ZUNION", "3", "z", "l", "s", "WITHSCORES"],
    &[
        "ZUNION",
        "3",
        "z",
        "l",
        "s",
        "WEIGHTS",
        "1",
        "2",
        "3",
        "AGGREGATE",
        "MAX",
        "WITHSCORES",
    ],
    &["ZUNION", "2", "f", "f", "WITHSCORES"],
    &["ZUNION", "2", "f", "f", "WEIGHTS", "1", "-1", "WITHSCORES"],
    &[
        "ZUNION",
        "2",
        "f",
        "ints",
        "WEIGHTS",
        "0",
        "1",
        "WITHSCORES",
    ],
    &["ZINTER", "2", "z", "s", "WITHSCORES"],
    &["ZINTER", "2", "z", "l", "AGGREGATE", "MIN", "WITHSCORES"],
    &["ZINTER", "2", "f", "f", "WEIGHTS", "1", "0", "WITHSCORES"],
    &[
        "ZINTER",
        "2",
        "f",
        "f",
        "WEIGHTS",
        "0",
        "1",
        "AGGREGATE",
        "MIN",
        "WITHSCORES",
    ],
    &["ZDIFF", "3", "z", "l", "missing", "WITHSCORES"],
    &["ZDIFF", "2", "s", "z"],
    &["ZDIFF", "2", "z", "str"],
    &["ZINTERCARD", "2", "z", "l"],
    &["ZINTERCARD", "2", "z", "l", "LIMIT", "2"],
    &["ZINTERCARD", "2", "z", "l", "LIMIT", "-2"],
    &["ZUNION", "1", "z", "WEIGHTS", "1e-400"],
    &["ZUNION", "1", "z", "WEIGHTS", "0x1p-2", "WITHSCORES"],
    &["ZUNION", "2", "z"],
    &["ZUNION", "-5", "z"],
    &["ZUNIONSTORE", "d", "2", "z", "s"],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &["OBJECT", "ENCODING", "d"],
    &["ZINTERSTORE", "d", "2", "z", "s", "WEIGHTS", "2", "3"],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &["ZDIFFSTORE", "d", "2", "s", "z"],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &["ZDIFFSTORE", "d", "2", "s", "s"],
    &["EXISTS", "d"],
    &["ZDIFFSTORE", "d", "1", "z", "WITHSCORES"],
    &["ZREMRANGEBYRANK", "z", "1", "-2"],
    &["ZREMRANGEBYSCORE", "f", "-inf", "(0"],
    &["ZREMRANGEBYLEX", "l", "(a", "(c"],
    &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    &["ZRANGE", "f", "0", "-1", "WITHSCORES"],
    &["ZRANGE", "l", "0", "-1"],
    &["ZADD", "zero", "0", "a", "-0", "b", "1", "c"],
    &["ZUNION", "1", "zero", "WEIGHTS", "-1", "WITHSCORES"],
    &["ZUNIONSTORE", "d", "1", "zero", "WEIGHTS", "-1"],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &["ZINTER", "2", "zero", "ints", "WITHSCORES"],
    &[
        "ZUNION",
        "2",
        "ints",
        "zero",
        "AGGREGATE",
        "MIN",
        "WITHSCORES",
    ],
    &[
        "ZINTERSTORE",
        "d",
        "2",
        "ints",
        "ints",
        "WEIGHTS",
        "2",
        "0.5",
    ],
    &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    &[
        "ZRANGEBYLEX",
        "l",
        "-",
        "+",
        "LIMIT",
        "9223372036854775807",
        "1",
    ],
    &[
        "ZRANGEBYLEX",
        "l",
        "-",
        "+",
        "LIMIT",
        "0",
        "-9223372036854775808",
    ],
    &["ZREMRANGEBYRANK", "z", "0", "-1"],
    &["EXISTS", "z"],
];

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn ranges_and_algebra_reply_like_redis() {
    for protocol in ["2", "3"] {
        let mut pair = Pair::new();
        pair.redis.command(&["HELLO", protocol]);
        pair.thredis.command(&["HELLO", protocol]);
        pair.each(SWEEP);
    }
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn stored_results_hold_what_redis_holds() {
    let mut pair = Pair::new();
    let members: Vec<String> = (0..150).map(|i| format!("m{i}")).collect();
    let mut big = vec!["ZADD", "big"];
    let scores: Vec<String> = (0..150).map(|i| (i % 7).to_string()).collect();
    for (member, score) in members.iter().zip(&scores) {
        big.extend_from_slice(&[score, member]);
    }
    pair.same(&big);
    pair.same(&["SADD", "s", "m1", "m2", "m3", "other"]);
    for command in [
        &["ZUNIONSTORE", "u", "2", "big", "s", "WEIGHTS", "0.5", "3"][..],
        &["ZINTERSTORE", "i", "2", "big", "s", "AGGREGATE", "MAX"],
        &["ZDIFFSTORE", "d", "2", "big", "s"],
        &[
            "ZRANGESTORE",
            "r",
            "big",
            "(2",
            "5",
            "BYSCORE",
            "LIMIT",
            "3",
            "100",
        ],
        &["ZRANGESTORE", "r2", "big", "0", "140"],
    ] {
        pair.same(command);
    }
    for key in ["u", "i", "d", "r", "r2"] {
        pair.same(&["DEBUG", "DIGEST-VALUE", key]);
        pair.same(&["OBJECT", "ENCODING", key]);
        pair.same(&["ZRANGE", key, "0", "-1", "WITHSCORES"]);
    }
}
