//! Sets: every set command's documented edge cases, the intset/hashtable encodings, random
//! members, the algebra of several sets, SSCAN's guarantee, and an interop sweep against a real
//! redis-server (`#[ignore]`d; run by `.ci/run`).

mod common;

use std::collections::HashSet;

use common::real_redis::Pair;
use common::{TestServer, error, query};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn members(c: &mut redis::Connection, args: &[&str]) -> HashSet<String> {
    let list: Vec<String> = query(c, args);
    list.into_iter().collect()
}

fn set_of(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn sadd_and_srem_count_what_changed() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SADD", "s", "a", "b", "a"]), ":2\r\n");
    assert_eq!(c.cmd(&["SADD", "s", "b", "c"]), ":1\r\n");
    assert_eq!(c.cmd(&["SCARD", "s"]), ":3\r\n");
    assert_eq!(c.cmd(&["SREM", "s", "a", "zz"]), ":1\r\n");
    assert_eq!(c.cmd(&["SREM", "s", "b", "c"]), ":2\r\n");
    assert_eq!(
        c.cmd(&["EXISTS", "s"]),
        ":0\r\n",
        "an emptied set is removed"
    );
    assert_eq!(c.cmd(&["SREM", "missing", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["SCARD", "missing"]), ":0\r\n");
}

#[test]
fn a_set_of_integers_is_an_intset_listed_in_ascending_order() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SADD", "s", "10", "-5", "3"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "s"]), "$6\r\nintset\r\n");
    assert_eq!(
        c.cmd(&["SMEMBERS", "s"]),
        "*3\r\n$2\r\n-5\r\n$1\r\n3\r\n$2\r\n10\r\n"
    );
    c.cmd(&["SADD", "s", "x"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "s"]), "$9\r\nhashtable\r\n");
    c.cmd(&["SREM", "s", "x"]);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "s"]),
        "$9\r\nhashtable\r\n",
        "for good"
    );
    c.cmd(&["SADD", "padded", "007"]);
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "padded"]),
        "$9\r\nhashtable\r\n",
        "007 is not an integer in Redis's canonical form"
    );
}

#[test]
fn one_integer_past_set_max_intset_entries_makes_a_hashtable() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "3"]);
    c.cmd(&["SADD", "s", "1", "2", "3"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "s"]), "$6\r\nintset\r\n");
    c.cmd(&["SADD", "s", "4"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "s"]), "$9\r\nhashtable\r\n");
}

#[test]
fn membership_of_one_or_several_members() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SADD", "s", "1", "a"]);
    assert_eq!(c.cmd(&["SISMEMBER", "s", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["SISMEMBER", "s", "b"]), ":0\r\n");
    assert_eq!(c.cmd(&["SISMEMBER", "missing", "a"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["SMISMEMBER", "s", "a", "b", "1"]),
        "*3\r\n:1\r\n:0\r\n:1\r\n"
    );
    assert_eq!(c.cmd(&["SMISMEMBER", "missing", "a"]), "*1\r\n:0\r\n");
}

#[test]
fn spop_removes_what_it_returns() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: i64 = query(&mut c, &["SADD", "s", "a", "b", "c", "d", "e"]);
    let one: String = query(&mut c, &["SPOP", "s"]);
    let three = members(&mut c, &["SPOP", "s", "3"]);
    let rest = members(&mut c, &["SMEMBERS", "s"]);
    assert_eq!(three.len(), 3);
    assert_eq!(rest.len(), 1);
    let mut all: HashSet<String> = three.union(&rest).cloned().collect();
    assert!(all.insert(one), "the single pop is not also in the set");
    assert_eq!(all, set_of(&["a", "b", "c", "d", "e"]));
    let last = members(&mut c, &["SPOP", "s", "10"]);
    assert_eq!(last, rest);
    let exists: i64 = query(&mut c, &["EXISTS", "s"]);
    assert_eq!(exists, 0);
}

#[test]
fn spop_of_most_members_keeps_the_right_ones() {
    let server = TestServer::start();
    let mut c = server.client();
    let names: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(names.iter().map(String::as_str));
    let _: i64 = query(&mut c, &args);
    let popped = members(&mut c, &["SPOP", "s", "95"]);
    let kept = members(&mut c, &["SMEMBERS", "s"]);
    assert_eq!((popped.len(), kept.len()), (95, 5));
    assert!(popped.is_disjoint(&kept));
    assert_eq!(popped.union(&kept).count(), 100);
}

#[test]
fn spop_and_srandmember_edge_cases() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SADD", "s", "a"]);
    assert_eq!(c.cmd(&["SPOP", "missing"]), "$-1\r\n");
    assert_eq!(c.cmd(&["SPOP", "missing", "2"]), "*0\r\n");
    assert_eq!(c.cmd(&["SPOP", "s", "0"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["SPOP", "s", "-1"]),
        error("ERR value is out of range, must be positive")
    );
    assert_eq!(c.cmd(&["SPOP", "s", "1", "2"]), error("ERR syntax error"));
    assert_eq!(c.cmd(&["SRANDMEMBER", "missing"]), "$-1\r\n");
    assert_eq!(c.cmd(&["SRANDMEMBER", "missing", "3"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "-3"]),
        "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"
    );
    assert_eq!(c.cmd(&["SRANDMEMBER", "s", "3"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    );
}

#[test]
fn srandmember_with_a_positive_count_returns_distinct_members() {
    let server = TestServer::start();
    let mut c = server.client();
    let names: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(names.iter().map(String::as_str));
    let _: i64 = query(&mut c, &args);
    for count in [1, 5, 20, 40, 49] {
        let picked: Vec<String> = query(&mut c, &["SRANDMEMBER", "s", &count.to_string()]);
        let distinct: HashSet<&String> = picked.iter().collect();
        assert_eq!((picked.len(), distinct.len()), (count, count));
    }
    let scard: i64 = query(&mut c, &["SCARD", "s"]);
    assert_eq!(scard, 50, "SRANDMEMBER removes nothing");
}

#[test]
fn smove_moves_one_member() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SADD", "a", "x", "y"]);
    assert_eq!(c.cmd(&["SMOVE", "a", "b", "x"]), ":1\r\n");
    assert_eq!(c.cmd(&["SMOVE", "a", "b", "x"]), ":0\r\n");
    assert_eq!(c.cmd(&["SMOVE", "a", "a", "y"]), ":1\r\n");
    assert_eq!(c.cmd(&["SMOVE", "missing", "b", "x"]), ":0\r\n");
    assert_eq!(c.cmd(&["SMOVE", "a", "b", "y"]), ":1\r\n");
    assert_eq!(c.cmd(&["EXISTS", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["SCARD", "b"]), ":2\r\n");
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(c.cmd(&["SMOVE", "b", "str", "x"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["SCARD", "b"]), ":2\r\n", "nothing moved");
}

#[test]
fn intersection_union_and_difference() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: i64 = query(&mut c, &["SADD", "a", "1", "2", "3", "4"]);
    let _: i64 = query(&mut c, &["SADD", "b", "3", "4", "5"]);
    let _: i64 = query(&mut c, &["SADD", "c", "4", "5", "6", "x"]);
    assert_eq!(members(&mut c, &["SINTER", "a", "b", "c"]), set_of(&["4"]));
    assert_eq!(members(&mut c, &["SINTER", "a", "missing"]), set_of(&[]));
    assert_eq!(
        members(&mut c, &["SUNION", "a", "b", "missing"]),
        set_of(&["1", "2", "3", "4", "5"])
    );
    assert_eq!(
        members(&mut c, &["SDIFF", "a", "b", "c"]),
        set_of(&["1", "2"])
    );
    assert_eq!(members(&mut c, &["SDIFF", "a", "a"]), set_of(&[]));
    assert_eq!(members(&mut c, &["SDIFF", "missing", "a"]), set_of(&[]));
    let card: i64 = query(&mut c, &["SINTERCARD", "2", "a", "b"]);
    assert_eq!(card, 2);
    let limited: i64 = query(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "1"]);
    assert_eq!(limited, 1);
}

#[test]
fn store_variants_replace_the_destination_or_delete_it_when_empty() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SADD", "a", "1", "2", "3"]);
    c.cmd(&["SADD", "b", "2", "3", "4"]);
    c.cmd(&["SET", "d", "old", "EX", "100"]);
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "a", "b"]), ":2\r\n");
    assert_eq!(c.cmd(&["TYPE", "d"]), "+set\r\n");
    assert_eq!(
        c.cmd(&["TTL", "d"]),
        ":-1\r\n",
        "the old time to live goes with the old value"
    );
    assert_eq!(c.cmd(&["SUNIONSTORE", "d", "a", "b"]), ":4\r\n");
    assert_eq!(
        c.cmd(&["SMEMBERS", "d"]),
        "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"
    );
    assert_eq!(c.cmd(&["SDIFFSTORE", "d", "a", "b"]), ":1\r\n");
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "a", "missing"]), ":0\r\n");
    assert_eq!(c.cmd(&["EXISTS", "d"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["SUNIONSTORE", "a", "a", "b"]),
        ":4\r\n",
        "a source may be the destination"
    );
}

#[test]
fn sintercard_argument_errors() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["SINTERCARD", "0", "a"]),
        error("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "3", "a", "b"]),
        error("ERR Number of keys can't be greater than number of args")
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "1", "a", "LIMIT", "-1"]),
        error("ERR LIMIT can't be negative")
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "1", "a", "BOGUS"]),
        error("ERR syntax error")
    );
}

#[test]
fn sscan_returns_every_member_that_stays_while_the_set_changes() {
    let server = TestServer::start();
    let mut c = server.client();
    let names: Vec<String> = (0..2000).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(names.iter().map(String::as_str));
    let _: i64 = query(&mut c, &args);
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, batch): (String, Vec<String>) = query(&mut c, &["SSCAN", "s", &cursor]);
        seen.extend(batch);
        round += 1;
        let _: i64 = query(&mut c, &["SADD", "s", &format!("new{round}")]);
        let _: String = query(&mut c, &["SPOP", "s"]);
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    let present: HashSet<String> = members(&mut c, &["SMEMBERS", "s"]);
    for name in names.iter().filter(|n| present.contains(*n)) {
        assert!(seen.contains(name), "{name} stayed but was never returned");
    }
}

#[test]
fn set_commands_refuse_other_types() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "f", "v"]);
    for args in [
        &["SADD", "h", "a"][..],
        &["SREM", "h", "a"],
        &["SMEMBERS", "h"],
        &["SISMEMBER", "h", "a"],
        &["SCARD", "h"],
        &["SPOP", "h"],
        &["SRANDMEMBER", "h"],
        &["SINTER", "h"],
        &["SUNION", "missing", "h"],
        &["SDIFF", "missing", "h"],
        &["SINTERCARD", "1", "h"],
        &["SSCAN", "h", "0"],
    ] {
        assert_eq!(c.cmd(args), error(WRONGTYPE), "{args:?}");
    }
    c.cmd(&["SADD", "s", "a"]);
    assert_eq!(c.cmd(&["TYPE", "s"]), "+set\r\n");
    assert_eq!(c.cmd(&["LPUSH", "s", "x"]), error(WRONGTYPE));
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn set_commands_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["SADD", "s", "3", "1", "2"],
        &["SADD", "s", "2", "5"],
        &["SMEMBERS", "s"],
        &["OBJECT", "ENCODING", "s"],
        &[
            "SADD",
            "i",
            "10",
            "-5",
            "0",
            "9223372036854775807",
            "-9223372036854775808",
        ],
        &["SMEMBERS", "i"],
        &["SADD", "j", "10", "-5", "0"],
        &["SISMEMBER", "j", "010"],
        &["SMISMEMBER", "j", "10", "11", "-5"],
        &["SMISMEMBER", "missing", "a", "b"],
        &["SREM", "j", "10", "11"],
        &["SREM", "j", "-5", "0"],
        &["EXISTS", "j"],
        &["SET", "str", "x"],
        &["SADD", "str", "a"],
        &["SMEMBERS", "str"],
        &["SRANDMEMBER", "missing", "-5"],
        &["SRANDMEMBER", "s", "abc"],
        &["SRANDMEMBER", "s", "1", "2"],
        &["SRANDMEMBER", "s", "-9223372036854775808"],
        &["SRANDMEMBER", "s", "0"],
        &["SRANDMEMBER", "s", "10"],
        &["SADD", "one", "only"],
        &["SRANDMEMBER", "one", "-3"],
        &["SPOP", "missing", "3"],
        &["SPOP", "s", "abc"],
        &["SPOP", "s", "-1"],
        &["SPOP", "s", "1", "2"],
        &["SPOP", "one"],
        &["SADD", "a", "1", "2", "3", "4"],
        &["SADD", "b", "3", "4", "5"],
        &["SADD", "c", "4", "5", "6", "7"],
        &["SINTER", "a", "b"],
        &["SINTER", "a", "b", "c"],
        &["SINTER", "a", "missing"],
        &["SINTER", "a", "str"],
        &["SINTER", "missing", "str"],
        &["SUNION", "a", "b", "c"],
        &["SUNION", "a", "str"],
        &["SDIFF", "a", "b"],
        &["SDIFF", "a", "b", "c"],
        &["SDIFF", "b", "a", "a"],
        &["SDIFF", "missing", "a"],
        &["SDIFF", "a", "str"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
        &["SINTERCARD", "2", "a", "b", "LIMIT", "x"],
        &["SINTERCARD", "3", "a", "b"],
        &["SINTERCARD", "x", "a"],
        &["SINTERCARD", "1", "a", "LIMIT"],
        &["SINTERSTORE", "d", "a", "b"],
        &["SMEMBERS", "d"],
        &["SINTERSTORE", "d", "a", "missing"],
        &["EXISTS", "d"],
        &["SINTERSTORE", "d", "a", "str"],
        &["SUNIONSTORE", "d", "a", "b"],
        &["OBJECT", "ENCODING", "d"],
        &["SUNIONSTORE", "str", "a"],
        &["TYPE", "str"],
        &["SDIFFSTORE", "d", "a", "b"],
        &["SMEMBERS", "d"],
        &["SMOVE", "a", "b", "1"],
        &["SMOVE", "a", "b", "1"],
        &["SMOVE", "a", "a", "2"],
        &["SMOVE", "a", "a", "99"],
        &["SMOVE", "missing", "b", "1"],
        &["SET", "str2", "x"],
        &["SMOVE", "a", "str2", "2"],
        &["SMOVE", "str2", "a", "2"],
        &["SMOVE", "a", "newset", "2"],
        &["SMEMBERS", "newset"],
        &["SSCAN", "missing", "0"],
        &["SSCAN", "b", "abc"],
        &["SSCAN", "b", "0"],
        &["SSCAN", "b", "0", "MATCH", "3*"],
        &["SSCAN", "b", "0", "COUNT", "0"],
        &["SSCAN", "b", "0", "TYPE", "set"],
        &["CONFIG", "SET", "set-max-intset-entries", "2"],
        &["SADD", "big", "1", "2"],
        &["OBJECT", "ENCODING", "big"],
        &["SADD", "big", "3"],
        &["OBJECT", "ENCODING", "big"],
        &["CONFIG", "GET", "set-max-intset-entries"],
    ]);
    pair.same(&["SADD", "h", "x", "y", "z"]);
    for command in [
        &["SMEMBERS", "h"][..],
        &["SUNION", "h", "a"],
        &["SRANDMEMBER", "h", "5"],
    ] {
        pair.same_unordered(command);
    }
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn set_replies_match_redis_in_resp3() {
    let mut pair = Pair::new();
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["SADD", "s", "1", "2"],
        &["SMEMBERS", "s"],
        &["SMEMBERS", "missing"],
        &["SINTER", "s", "missing"],
        &["SUNION", "s"],
        &["SPOP", "missing", "1"],
        &["SPOP", "s", "0"],
        &["SRANDMEMBER", "s", "5"],
        &["SRANDMEMBER", "missing"],
        &["SMISMEMBER", "s", "1", "3"],
        &["SPOP", "s", "5"],
    ]);
}
