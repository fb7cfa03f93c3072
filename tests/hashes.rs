//! Hashes: every hash command's documented edge cases, the listpack/hashtable encodings and
//! their thresholds, HSCAN's guarantee, and an interop sweep against a real redis-server
//! (`#[ignore]`d; run by `.ci/run`).

mod common;

use std::collections::{HashMap, HashSet};

use common::real_redis::Pair;
use common::{TestServer, error, query};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn hset_counts_new_fields_and_hmset_answers_ok() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b", "2"]), ":2\r\n");
    assert_eq!(c.cmd(&["HSET", "h", "a", "10", "c", "3"]), ":1\r\n");
    assert_eq!(c.cmd(&["HMSET", "h", "d", "4"]), "+OK\r\n");
    assert_eq!(c.cmd(&["HGET", "h", "a"]), "$2\r\n10\r\n");
    assert_eq!(
        c.cmd(&["HSET", "h", "a"]),
        error("ERR wrong number of arguments for 'hset' command")
    );
    assert_eq!(
        c.cmd(&["HMSET", "h", "a", "1", "b"]),
        error("ERR wrong number of arguments for 'hmset' command")
    );
}

#[test]
fn a_small_hash_lists_its_fields_in_insertion_order() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: i64 = query(&mut c, &["HSET", "h", "z", "1", "a", "2", "m", "3"]);
    let _: i64 = query(&mut c, &["HSET", "h", "z", "updated"]);
    let _: i64 = query(&mut c, &["HDEL", "h", "a"]);
    let fields: Vec<String> = query(&mut c, &["HKEYS", "h"]);
    assert_eq!(
        fields,
        ["z", "m"],
        "a listpack keeps positions, as in Redis"
    );
    let values: Vec<String> = query(&mut c, &["HVALS", "h"]);
    assert_eq!(values, ["updated", "3"]);
    let all: Vec<String> = query(&mut c, &["HGETALL", "h"]);
    assert_eq!(all, ["z", "updated", "m", "3"]);
}

#[test]
fn reads_of_missing_keys_and_fields() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(c.cmd(&["HGET", "h", "nope"]), "$-1\r\n");
    assert_eq!(c.cmd(&["HGET", "missing", "a"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["HMGET", "h", "a", "nope"]),
        "*2\r\n$1\r\n1\r\n$-1\r\n"
    );
    assert_eq!(c.cmd(&["HMGET", "missing", "a"]), "*1\r\n$-1\r\n");
    assert_eq!(c.cmd(&["HGETALL", "missing"]), "*0\r\n");
    assert_eq!(c.cmd(&["HLEN", "missing"]), ":0\r\n");
    assert_eq!(c.cmd(&["HEXISTS", "h", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["HEXISTS", "h", "nope"]), ":0\r\n");
    assert_eq!(c.cmd(&["HSTRLEN", "h", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["HSTRLEN", "h", "nope"]), ":0\r\n");
}

#[test]
fn hgetall_is_a_map_in_resp3() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    assert_eq!(c.cmd(&["HGETALL", "h"]), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(c.cmd(&["HGETALL", "missing"]), "%0\r\n");
    assert_eq!(c.cmd(&["HGET", "h", "nope"]), "_\r\n");
}

#[test]
fn hsetnx_sets_only_a_missing_field() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HSETNX", "h", "a", "1"]), ":1\r\n");
    assert_eq!(c.cmd(&["HSETNX", "h", "a", "2"]), ":0\r\n");
    assert_eq!(c.cmd(&["HGET", "h", "a"]), "$1\r\n1\r\n");
}

#[test]
fn hdel_of_the_last_field_removes_the_key() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(c.cmd(&["HDEL", "h", "a", "nope", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["HDEL", "h", "b"]), ":1\r\n");
    assert_eq!(c.cmd(&["EXISTS", "h"]), ":0\r\n");
    assert_eq!(c.cmd(&["HDEL", "missing", "a"]), ":0\r\n");
}

#[test]
fn hincrby_counts_and_refuses_non_integers_and_overflow() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "5"]), ":5\r\n");
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "-7"]), ":-2\r\n");
    c.cmd(&["HSET", "h", "s", "abc", "big", "9223372036854775807"]);
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "s", "1"]),
        error("ERR hash value is not an integer")
    );
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "big", "1"]),
        error("ERR increment or decrement would overflow")
    );
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "n", "1.5"]),
        error("ERR value is not an integer or out of range")
    );
}

#[test]
fn hincrbyfloat_prints_as_redis_and_refuses_infinity() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "10.5"]), "$4\r\n10.5\r\n");
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "0.1"]), "$4\r\n10.6\r\n");
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "f", "inf"]),
        error("ERR value is NaN or Infinity")
    );
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "f", "x"]),
        error("ERR value is not a valid float")
    );
    c.cmd(&["HSET", "h", "s", "abc"]);
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "s", "1"]),
        error("ERR hash value is not a float")
    );
}

#[test]
fn hrandfield_with_positive_negative_and_zero_counts() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: i64 = query(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let one: String = query(&mut c, &["HRANDFIELD", "h"]);
    assert!(["a", "b", "c"].contains(&one.as_str()));
    let distinct: Vec<String> = query(&mut c, &["HRANDFIELD", "h", "2"]);
    assert_eq!(distinct.iter().collect::<HashSet<_>>().len(), 2);
    let all: Vec<String> = query(&mut c, &["HRANDFIELD", "h", "10"]);
    assert_eq!(all.len(), 3, "at most every field once");
    let repeated: Vec<String> = query(&mut c, &["HRANDFIELD", "h", "-20"]);
    assert_eq!(repeated.len(), 20);
    let pairs: Vec<String> = query(&mut c, &["HRANDFIELD", "h", "-2", "WITHVALUES"]);
    assert_eq!(pairs.len(), 4);
    let values = HashMap::from([("a", "1"), ("b", "2"), ("c", "3")]);
    for pair in pairs.chunks(2) {
        assert_eq!(
            values[pair[0].as_str()],
            pair[1],
            "each field with its own value"
        );
    }
    let empty: Vec<String> = query(&mut c, &["HRANDFIELD", "h", "0"]);
    assert!(empty.is_empty());
    let missing: Option<String> = query(&mut c, &["HRANDFIELD", "missing"]);
    assert_eq!(missing, None);
}

#[test]
fn hrandfield_refuses_counts_that_would_overflow() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"]),
        error("ERR value is out of range")
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "-9223372036854775808"]),
        error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    );
    assert!(
        c.cmd(&["HRANDFIELD", "h", "-100000000"])
            .starts_with("-ERR count is too large"),
        "a reply that large is refused rather than built"
    );
}

#[test]
fn the_encoding_follows_the_listpack_limits() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HSET", "small", "f", "v"]);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "small"]),
        "$8\r\nlistpack\r\n"
    );
    c.cmd(&["HSET", "long", "f", &"x".repeat(65)]);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "long"]),
        "$9\r\nhashtable\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-ziplist-entries", "2"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hash-max-listpack-entries"]),
        "*2\r\n$25\r\nhash-max-listpack-entries\r\n$1\r\n2\r\n"
    );
    c.cmd(&["HSET", "many", "a", "1", "b", "2"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "many"]), "$8\r\nlistpack\r\n");
    c.cmd(&["HSET", "many", "c", "3"]);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "many"]),
        "$9\r\nhashtable\r\n"
    );
    c.cmd(&["HDEL", "many", "c", "b"]);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "many"]),
        "$9\r\nhashtable\r\n",
        "for good"
    );
}

#[test]
fn hscan_returns_every_field_that_stays_while_the_hash_changes() {
    let server = TestServer::start();
    let mut c = server.client();
    let mut args = vec!["HSET".to_string(), "h".into()];
    for i in 0..2000 {
        args.push(format!("f{i}"));
        args.push(i.to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let _: i64 = query(&mut c, &args);
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, batch): (String, Vec<String>) =
            query(&mut c, &["HSCAN", "h", &cursor, "COUNT", "50"]);
        for pair in batch.chunks(2) {
            seen.insert(pair[0].clone());
        }
        // Between calls, fields come and go: new ones, and removals of the first 100.
        round += 1;
        let _: i64 = query(&mut c, &["HSET", "h", &format!("new{round}"), "x"]);
        let _: i64 = query(&mut c, &["HDEL", "h", &format!("f{}", round % 100)]);
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    for i in 100..2000 {
        assert!(seen.contains(&format!("f{i}")), "f{i} was never returned");
    }
}

#[test]
fn hscan_filters_and_refuses_bad_options() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "apple", "1", "banana", "2"]);
    assert_eq!(
        c.cmd(&["HSCAN", "h", "0", "MATCH", "a*"]),
        "*2\r\n$1\r\n0\r\n*2\r\n$5\r\napple\r\n$1\r\n1\r\n"
    );
    assert_eq!(c.cmd(&["HSCAN", "missing", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(
        c.cmd(&["HSCAN", "h", "0", "COUNT", "0"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["HSCAN", "h", "0", "TYPE", "hash"]),
        error("ERR syntax error")
    );
    assert_eq!(c.cmd(&["HSCAN", "h", "x"]), error("ERR invalid cursor"));
}

#[test]
fn hash_commands_refuse_other_types() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "l", "a"]);
    for args in [
        &["HSET", "l", "f", "v"][..],
        &["HGET", "l", "f"],
        &["HMGET", "l", "f"],
        &["HGETALL", "l"],
        &["HDEL", "l", "f"],
        &["HLEN", "l"],
        &["HINCRBY", "l", "f", "1"],
        &["HRANDFIELD", "l"],
        &["HSCAN", "l", "0"],
    ] {
        assert_eq!(c.cmd(args), error(WRONGTYPE), "{args:?}");
    }
    c.cmd(&["HSET", "h", "f", "v"]);
    assert_eq!(c.cmd(&["GET", "h"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["TYPE", "h"]), "+hash\r\n");
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn hash_commands_reply_like_redis() {
    let mut pair = Pair::new();
    let long = "x".repeat(70);
    pair.each(&[
        &["HSET", "h", "a", "1", "b", "2", "c", "3"],
        &["HSET", "h", "a", "10", "d", "4"],
        &["HSET", "h", "a"],
        &["HMSET", "h", "e", "5", "f"],
        &["HMSET", "h", "e", "5"],
        &["HGETALL", "h"],
        &["HKEYS", "h"],
        &["HVALS", "h"],
        &["HMGET", "h", "a", "nope", "b"],
        &["HLEN", "h"],
        &["HSTRLEN", "h", "a"],
        &["HSETNX", "h", "a", "100"],
        &["HSETNX", "h", "z", "26"],
        &["HDEL", "h", "a", "nope", "b"],
        &["HDEL", "missing", "a"],
        &["HINCRBY", "h", "c", "5"],
        &["HINCRBY", "h", "c", "abc"],
        &["HINCRBY", "h", "new", "-9223372036854775808"],
        &["HINCRBY", "h", "new", "-1"],
        &["HSET", "h", "str", "hello", "big", "9223372036854775807"],
        &["HINCRBY", "h", "str", "1"],
        &["HINCRBY", "h", "big", "1"],
        &["HINCRBYFLOAT", "h", "f", "1.5"],
        &["HINCRBYFLOAT", "h", "f", "0.1"],
        &["HINCRBYFLOAT", "h", "f", "abc"],
        &["HINCRBYFLOAT", "h", "f", "-inf"],
        &["HINCRBYFLOAT", "h", "str", "1"],
        &["HINCRBYFLOAT", "h", "c", "2.5e3"],
        &["HINCRBYFLOAT", "h", "c", "0x10"],
        &["HGETALL", "h"],
        &["SET", "s", "x"],
        &["HSET", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HRANDFIELD", "missing"],
        &["HRANDFIELD", "missing", "5", "WITHVALUES"],
        &["HRANDFIELD", "h", "0"],
        &["HRANDFIELD", "h", "abc"],
        &["HRANDFIELD", "h", "1", "BOGUS"],
        &["HRANDFIELD", "h", "1", "WITHVALUES", "extra"],
        &["HRANDFIELD", "h", "-9223372036854775808"],
        &["HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"],
        &["HSET", "one", "a", "1"],
        &["HRANDFIELD", "one", "-3", "WITHVALUES"],
        &["HRANDFIELD", "one", "3"],
        &["HSCAN", "missing", "0"],
        &["HSCAN", "h", "abc"],
        &["HSCAN", "missing", "0", "COUNT", "0"],
        &["HSCAN", "h", "0", "COUNT", "0"],
        &["HSCAN", "h", "0", "TYPE", "string"],
        &["HSCAN", "h", "0", "MATCH"],
        &["HSCAN", "h", "0"],
        &["HSCAN", "h", "0", "MATCH", "*a*", "COUNT", "1"],
        &["OBJECT", "ENCODING", "h"],
        &["HSET", "long", "f", &long],
        &["OBJECT", "ENCODING", "long"],
        &["HSETNX", "hnx", "f", "1"],
        &["HSETNX", "hnx", "f", &long],
        &["OBJECT", "ENCODING", "hnx"],
        &["HINCRBY", "hi", &long, "1"],
        &["OBJECT", "ENCODING", "hi"],
        &["CONFIG", "SET", "hash-max-listpack-entries", "2"],
        &["HSET", "small", "a", "1", "b", "2"],
        &["OBJECT", "ENCODING", "small"],
        &["HSET", "small", "c", "3"],
        &["OBJECT", "ENCODING", "small"],
        &["CONFIG", "SET", "hash-max-listpack-entries", "-1"],
        &["CONFIG", "SET", "hash-max-listpack-value", "1kb"],
        &["CONFIG", "GET", "hash-max-listpack-value"],
        &["CONFIG", "SET", "hash-max-listpack-value", "x"],
        &["CONFIG", "GET", "hash-max-ziplist-entries"],
        &["CONFIG", "SET", "list-max-listpack-size", "-3000000000"],
        &["CONFIG", "SET", "list-max-ziplist-size", "-3"],
        &["CONFIG", "GET", "list-max-listpack-size"],
        &["CONFIG", "SET", "list-compress-depth", "-1"],
        &["CONFIG", "GET", "list-compress-depth"],
        &["CONFIG", "SET", "set-max-intset-entries", "abc"],
        &["MEMORY", "USAGE", "missing"],
        &["MEMORY", "USAGE", "missing", "SAMPLES", "-1"],
        &["MEMORY", "USAGE", "h", "SAMPLES"],
        &["TYPE", "h"],
    ]);
    pair.same_unordered(&["HRANDFIELD", "h", "100", "WITHVALUES"]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn hash_replies_match_redis_in_resp3() {
    let mut pair = Pair::new();
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["HSET", "h", "a", "1", "b", "2"],
        &["HGETALL", "h"],
        &["HGETALL", "missing"],
        &["HGET", "h", "nope"],
        &["HMGET", "h", "a", "nope"],
        &["HRANDFIELD", "missing"],
        &["HRANDFIELD", "h", "2", "WITHVALUES"],
        &["HRANDFIELD", "h", "0", "WITHVALUES"],
        &["HSCAN", "h", "0"],
        &["HINCRBYFLOAT", "h", "a", "1.5"],
    ]);
}
