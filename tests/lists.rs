//! Lists: the 11 stages of the CodeCrafters lists extension (74–84), then every list command's
//! edge cases (negative indexes, out of range, wrong type, count 0, missing key), and an
//! interop sweep against a real redis-server (`#[ignore]`d; run by `.ci/run`).
//! Blocking behaviour in depth is in `tests/blocking.rs`.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::real_redis::Pair;
use common::{TestServer, error};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The RESP array of bulk strings `items`.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&format!("${}\r\n{item}\r\n", item.len()));
    }
    out
}

#[test]
fn stage_74_rpush_creates_a_list() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RPUSH", "list_key", "foo"]), ":1\r\n");
    assert_eq!(c.cmd(&["TYPE", "list_key"]), "+list\r\n");
}

#[test]
fn stage_75_rpush_appends_one_element_at_a_time() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RPUSH", "k", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["RPUSH", "k", "b"]), ":2\r\n");
    assert_eq!(c.cmd(&["RPUSH", "k", "c"]), ":3\r\n");
}

#[test]
fn stage_76_rpush_appends_several_elements() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RPUSH", "k", "a", "b"]), ":2\r\n");
    assert_eq!(c.cmd(&["RPUSH", "k", "c", "d", "e"]), ":5\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "k", "0", "-1"]),
        bulks(&["a", "b", "c", "d", "e"])
    );
}

#[test]
fn stage_77_lrange_with_positive_indexes() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c", "d", "e"]);
    assert_eq!(c.cmd(&["LRANGE", "k", "0", "2"]), bulks(&["a", "b", "c"]));
    assert_eq!(c.cmd(&["LRANGE", "k", "2", "4"]), bulks(&["c", "d", "e"]));
    assert_eq!(
        c.cmd(&["LRANGE", "k", "0", "4"]),
        bulks(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(c.cmd(&["LRANGE", "k", "1", "0"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "k", "0", "10"]),
        bulks(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(c.cmd(&["LRANGE", "k", "5", "10"]), "*0\r\n");
    assert_eq!(c.cmd(&["LRANGE", "missing", "0", "1"]), "*0\r\n");
}

#[test]
fn stage_78_lrange_with_negative_indexes() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c", "d", "e"]);
    assert_eq!(c.cmd(&["LRANGE", "k", "0", "-3"]), bulks(&["a", "b", "c"]));
    assert_eq!(c.cmd(&["LRANGE", "k", "-2", "-1"]), bulks(&["d", "e"]));
    assert_eq!(
        c.cmd(&["LRANGE", "k", "0", "-1"]),
        bulks(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(c.cmd(&["LRANGE", "k", "-1", "-2"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "k", "-6", "-1"]),
        bulks(&["a", "b", "c", "d", "e"])
    );
}

#[test]
fn stage_79_lpush_prepends_in_argument_order() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["LPUSH", "k", "c"]), ":1\r\n");
    assert_eq!(c.cmd(&["LPUSH", "k", "b", "a"]), ":3\r\n");
    assert_eq!(c.cmd(&["LRANGE", "k", "0", "-1"]), bulks(&["a", "b", "c"]));
}

#[test]
fn stage_80_llen_counts_and_is_zero_for_a_missing_key() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c", "d"]);
    assert_eq!(c.cmd(&["LLEN", "k"]), ":4\r\n");
    assert_eq!(c.cmd(&["LLEN", "missing_key_1"]), ":0\r\n");
}

#[test]
fn stage_81_lpop_removes_the_first_element() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c", "d"]);
    assert_eq!(c.cmd(&["LPOP", "k"]), "$1\r\na\r\n");
    assert_eq!(c.cmd(&["LRANGE", "k", "0", "-1"]), bulks(&["b", "c", "d"]));
}

#[test]
fn stage_82_lpop_with_a_count_removes_several() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c", "d", "e"]);
    assert_eq!(c.cmd(&["LPOP", "k", "3"]), bulks(&["a", "b", "c"]));
    assert_eq!(c.cmd(&["LRANGE", "k", "0", "-1"]), bulks(&["d", "e"]));
}

#[test]
fn stage_83_blpop_one_push_serves_exactly_one_blocked_client() {
    let server = TestServer::start();
    let (mut first, mut second, mut pusher) = (server.raw(), server.raw(), server.raw());
    // One at a time: two connections sending at once reach the server in either order.
    first.send(&common::resp(&["BLPOP", "k", "0"]));
    pusher.wait_for_blocked(1);
    second.send(&common::resp(&["BLPOP", "k", "0"]));
    pusher.wait_for_blocked(2);
    assert_eq!(pusher.cmd(&["RPUSH", "k", "v"]), ":1\r\n");
    assert_eq!(first.reply_text(), bulks(&["k", "v"]));
    assert!(second.nothing_within(Duration::from_millis(300)));
}

#[test]
fn stage_84_blpop_with_a_timeout_returns_the_null_array_or_the_pushed_element() {
    let server = TestServer::start();
    let (mut waiter, mut pusher) = (server.raw(), server.raw());
    let started = Instant::now();
    assert_eq!(waiter.cmd(&["BLPOP", "missing", "0.2"]), "*-1\r\n");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "not before the timeout"
    );

    waiter.send(&common::resp(&["BLPOP", "k", "2"]));
    pusher.wait_for_blocked(1);
    pusher.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(waiter.reply_text(), bulks(&["k", "v"]));
}

#[test]
fn pushes_and_pops_at_both_ends() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "b", "c"]);
    c.cmd(&["LPUSH", "k", "a"]);
    assert_eq!(c.cmd(&["RPOP", "k"]), "$1\r\nc\r\n");
    assert_eq!(c.cmd(&["RPOP", "k", "5"]), bulks(&["b", "a"]));
    assert_eq!(
        c.cmd(&["EXISTS", "k"]),
        ":0\r\n",
        "an emptied list is removed"
    );
}

#[test]
fn pops_with_count_zero_or_on_a_missing_key() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a"]);
    assert_eq!(c.cmd(&["LPOP", "k", "0"]), "*0\r\n");
    assert_eq!(c.cmd(&["LPOP", "missing"]), "$-1\r\n");
    assert_eq!(c.cmd(&["LPOP", "missing", "2"]), "*-1\r\n");
    assert_eq!(
        c.cmd(&["LPOP", "k", "-1"]),
        error("ERR value is out of range, must be positive")
    );
    assert_eq!(
        c.cmd(&["LPOP", "k", "1", "2"]),
        error("ERR wrong number of arguments for 'lpop' command")
    );
}

#[test]
fn pushx_only_pushes_onto_an_existing_list() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["LPUSHX", "k", "a"]), ":0\r\n");
    assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n");
    c.cmd(&["RPUSH", "k", "b"]);
    assert_eq!(c.cmd(&["LPUSHX", "k", "a"]), ":2\r\n");
    assert_eq!(c.cmd(&["RPUSHX", "k", "c", "d"]), ":4\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "k", "0", "-1"]),
        bulks(&["a", "b", "c", "d"])
    );
}

#[test]
fn lindex_and_lset_take_negative_indexes_and_refuse_out_of_range() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c"]);
    assert_eq!(c.cmd(&["LINDEX", "k", "-1"]), "$1\r\nc\r\n");
    assert_eq!(c.cmd(&["LINDEX", "k", "3"]), "$-1\r\n");
    assert_eq!(c.cmd(&["LINDEX", "missing", "0"]), "$-1\r\n");
    assert_eq!(c.cmd(&["LSET", "k", "-3", "A"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["LSET", "k", "3", "x"]),
        error("ERR index out of range")
    );
    assert_eq!(
        c.cmd(&["LSET", "missing", "0", "x"]),
        error("ERR no such key")
    );
    assert_eq!(c.cmd(&["LINDEX", "k", "0"]), "$1\r\nA\r\n");
}

#[test]
fn linsert_finds_the_first_pivot() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "c", "c"]);
    assert_eq!(c.cmd(&["LINSERT", "k", "BEFORE", "c", "b"]), ":4\r\n");
    assert_eq!(c.cmd(&["LINSERT", "k", "after", "c", "d"]), ":5\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "k", "0", "-1"]),
        bulks(&["a", "b", "c", "d", "c"])
    );
    assert_eq!(c.cmd(&["LINSERT", "k", "AFTER", "zz", "x"]), ":-1\r\n");
    assert_eq!(c.cmd(&["LINSERT", "missing", "AFTER", "a", "x"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["LINSERT", "k", "NEAR", "a", "x"]),
        error("ERR syntax error")
    );
}

#[test]
fn lrem_counts_from_either_end_or_removes_all() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "x", "a", "x", "b", "x"]);
    assert_eq!(c.cmd(&["LREM", "k", "-1", "x"]), ":1\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "k", "0", "-1"]),
        bulks(&["x", "a", "x", "b"])
    );
    assert_eq!(c.cmd(&["LREM", "k", "1", "x"]), ":1\r\n");
    assert_eq!(c.cmd(&["LREM", "k", "0", "x"]), ":1\r\n");
    assert_eq!(c.cmd(&["LREM", "missing", "0", "x"]), ":0\r\n");
    c.cmd(&["LREM", "k", "0", "a"]);
    c.cmd(&["LREM", "k", "0", "b"]);
    assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n");
}

#[test]
fn ltrim_keeps_a_range_and_an_empty_range_removes_the_key() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c", "d", "e"]);
    assert_eq!(c.cmd(&["LTRIM", "k", "1", "-2"]), "+OK\r\n");
    assert_eq!(c.cmd(&["LRANGE", "k", "0", "-1"]), bulks(&["b", "c", "d"]));
    assert_eq!(c.cmd(&["LTRIM", "k", "-100", "100"]), "+OK\r\n");
    assert_eq!(c.cmd(&["LLEN", "k"]), ":3\r\n");
    assert_eq!(c.cmd(&["LTRIM", "k", "2", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["LTRIM", "missing", "0", "1"]), "+OK\r\n");
}

#[test]
fn lpos_with_rank_count_and_maxlen() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b", "c", "1", "2", "3", "c", "c"]);
    assert_eq!(c.cmd(&["LPOS", "k", "c"]), ":2\r\n");
    assert_eq!(c.cmd(&["LPOS", "k", "c", "RANK", "2"]), ":6\r\n");
    assert_eq!(c.cmd(&["LPOS", "k", "c", "RANK", "-1"]), ":7\r\n");
    assert_eq!(
        c.cmd(&["LPOS", "k", "c", "COUNT", "0"]),
        "*3\r\n:2\r\n:6\r\n:7\r\n"
    );
    assert_eq!(
        c.cmd(&["LPOS", "k", "c", "COUNT", "2", "RANK", "-1"]),
        "*2\r\n:7\r\n:6\r\n"
    );
    assert_eq!(c.cmd(&["LPOS", "k", "c", "MAXLEN", "2"]), "$-1\r\n");
    assert_eq!(c.cmd(&["LPOS", "k", "zz", "COUNT", "1"]), "*0\r\n");
    assert_eq!(c.cmd(&["LPOS", "missing", "c"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["LPOS", "k", "c", "RANK", "0"]),
        error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
        )
    );
    assert_eq!(
        c.cmd(&["LPOS", "k", "c", "COUNT", "-1"]),
        error("ERR COUNT can't be negative")
    );
    assert_eq!(
        c.cmd(&["LPOS", "k", "c", "MAXLEN", "-1"]),
        error("ERR MAXLEN can't be negative")
    );
}

#[test]
fn lmove_and_rpoplpush_move_between_ends_and_lists() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "src", "a", "b", "c"]);
    assert_eq!(
        c.cmd(&["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
        "$1\r\na\r\n"
    );
    assert_eq!(c.cmd(&["RPOPLPUSH", "src", "dst"]), "$1\r\nc\r\n");
    assert_eq!(c.cmd(&["LRANGE", "dst", "0", "-1"]), bulks(&["c", "a"]));
    assert_eq!(
        c.cmd(&["LMOVE", "src", "src", "LEFT", "RIGHT"]),
        "$1\r\nb\r\n"
    );
    assert_eq!(
        c.cmd(&["LRANGE", "src", "0", "-1"]),
        bulks(&["b"]),
        "rotating one element"
    );
    assert_eq!(
        c.cmd(&["LMOVE", "missing", "dst", "LEFT", "LEFT"]),
        "$-1\r\n"
    );
    assert_eq!(
        c.cmd(&["LMOVE", "src", "dst", "UP", "LEFT"]),
        error("ERR syntax error")
    );
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(
        c.cmd(&["LMOVE", "src", "str", "LEFT", "LEFT"]),
        error(WRONGTYPE)
    );
    assert_eq!(
        c.cmd(&["LLEN", "src"]),
        ":1\r\n",
        "a failed move takes nothing"
    );
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(
        c.cmd(&["LMPOP", "3", "a", "b", "c", "RIGHT", "COUNT", "2"]),
        "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
    assert_eq!(c.cmd(&["LMPOP", "1", "a", "LEFT"]), "*-1\r\n");
    assert_eq!(
        c.cmd(&["LMPOP", "0", "a", "LEFT"]),
        error("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["LMPOP", "1", "b", "LEFT", "COUNT", "0"]),
        error("ERR count should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["LMPOP", "2", "b", "LEFT"]),
        error("ERR syntax error")
    );
}

#[test]
fn list_commands_refuse_other_types() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "x"]);
    for args in [
        &["LPUSH", "s", "a"][..],
        &["RPUSH", "s", "a"],
        &["LPOP", "s"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "a"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["BLPOP", "s", "0"],
        &["LMPOP", "1", "s", "LEFT"],
    ] {
        assert_eq!(c.cmd(args), error(WRONGTYPE), "{args:?}");
    }
}

#[test]
fn lists_report_quicklist_and_work_with_generic_commands() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "a", "b"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "k"]), "$9\r\nquicklist\r\n");
    assert_eq!(c.cmd(&["COPY", "k", "k2"]), ":1\r\n");
    c.cmd(&["RPUSH", "k2", "c"]);
    assert_eq!(c.cmd(&["LLEN", "k"]), ":2\r\n", "a copy is independent");
    assert_eq!(c.cmd(&["RENAME", "k2", "k3"]), "+OK\r\n");
    assert_eq!(c.cmd(&["LRANGE", "k3", "0", "-1"]), bulks(&["a", "b", "c"]));
    assert_eq!(
        c.cmd(&["SCAN", "0", "TYPE", "list", "MATCH", "k3"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$2\r\nk3\r\n"
    );
    assert_eq!(c.cmd(&["DEL", "k", "k3"]), ":2\r\n");
}

#[test]
fn many_clients_push_concurrently_without_losing_an_element() {
    let server = TestServer::start();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let port = server.port;
            thread::spawn(move || {
                let mut c = common::Raw::connect(port);
                for i in 0..250 {
                    c.cmd(&["RPUSH", "k", &format!("{t}-{i}")]);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(server.raw().cmd(&["LLEN", "k"]), ":2000\r\n");
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn list_commands_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["RPUSH", "l", "a", "b", "c", "d", "e"],
        &["LRANGE", "l", "0", "-1"],
        &["LRANGE", "l", "-100", "100"],
        &["LRANGE", "l", "1", "0"],
        &["LRANGE", "l", "x", "1"],
        &["LRANGE", "l", "0", "9223372036854775807"],
        &["LRANGE", "l", "-9223372036854775808", "0"],
        &["LLEN", "missing"],
        &["LPUSH", "l", "z", "y"],
        &["LINDEX", "l", "-1"],
        &["LINDEX", "l", "100"],
        &["LINDEX", "l", "x"],
        &["LINDEX", "missing", "x"],
        &["LSET", "l", "0", "Y"],
        &["LSET", "l", "100", "x"],
        &["LSET", "l", "x", "x"],
        &["LSET", "missing", "0", "x"],
        &["LINSERT", "l", "BEFORE", "c", "C"],
        &["LINSERT", "l", "after", "c", "D"],
        &["LINSERT", "l", "AFTER", "nothere", "D"],
        &["LINSERT", "l", "MIDDLE", "c", "D"],
        &["LINSERT", "missing", "AFTER", "c", "D"],
        &["RPUSH", "r", "x", "a", "x", "b", "x", "c", "x"],
        &["LREM", "r", "2", "x"],
        &["LREM", "r", "-1", "x"],
        &["LREM", "r", "x", "x"],
        &["LRANGE", "r", "0", "-1"],
        &["LTRIM", "r", "1", "-2"],
        &["LTRIM", "r", "5", "1"],
        &["EXISTS", "r"],
        &["LTRIM", "missing", "0", "1"],
        &["RPUSH", "p", "a", "b", "c", "1", "2", "3", "c", "c"],
        &["LPOS", "p", "c", "RANK", "-2"],
        &["LPOS", "p", "c", "RANK", "9"],
        &["LPOS", "p", "c", "COUNT", "0", "MAXLEN", "7"],
        &["LPOS", "p", "c", "COUNT", "abc"],
        &["LPOS", "p", "c", "RANK"],
        &["LPOS", "p", "c", "BOGUS", "1"],
        &["LPOS", "missing", "c", "COUNT", "1"],
        &["LPOP", "p", "2"],
        &["RPOP", "p", "0"],
        &["LPOP", "p", "abc"],
        &["LPOP", "missing", "0"],
        &["RPOP", "p", "100"],
        &["SET", "s", "str"],
        &["LPUSH", "s", "a"],
        &["GET", "l"],
        &["LPUSHX", "missing", "a"],
        &["RPUSHX", "l", "c", "d"],
        &["LMOVE", "l", "l2", "LEFT", "RIGHT"],
        &["LMOVE", "l", "l2", "right", "left"],
        &["LMOVE", "l", "s", "left", "left"],
        &["LMOVE", "s", "l", "left", "left"],
        &["RPOPLPUSH", "missing", "l2"],
        &["LRANGE", "l2", "0", "-1"],
        &["LMPOP", "2", "missing", "l2", "RIGHT", "COUNT", "10"],
        &["LMPOP", "-1", "l", "LEFT"],
        &["LMPOP", "x", "l", "LEFT"],
        &["LMPOP", "1", "l"],
        &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"],
        &["LMPOP", "5", "l", "LEFT"],
        &["LMPOP", "2", "missing", "s", "LEFT"],
        &["BLPOP", "missing", "0.01"],
        &["BLPOP", "missing", "-1"],
        &["BLPOP", "missing", "abc"],
        &["BLPOP", "missing", "inf"],
        &["BLPOP", "missing", "1e16"],
        &["BLPOP", "missing", "s", "0"],
        &["RPUSH", "bl", "1", "2", "3", "4"],
        &["BLPOP", "missing", "bl", "0"],
        &["BRPOP", "bl", "missing", "0"],
        &["BLMOVE", "bl", "bl2", "LEFT", "LEFT", "0"],
        &["BLMOVE", "bl", "bl2", "UP", "LEFT", "0"],
        &["BLMOVE", "bl", "s", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "bl", "bl2", "0"],
        &["BRPOPLPUSH", "missing", "bl2", "0.01"],
        &["BLMOVE", "missing", "bl2", "LEFT", "LEFT", "0.01"],
        &["BLMPOP", "0.01", "1", "missing", "LEFT"],
        &["BLMPOP", "0", "2", "missing", "bl2", "RIGHT", "COUNT", "5"],
        &["BLMPOP", "0", "0", "missing", "LEFT"],
        &["BLMPOP", "x", "1", "missing", "LEFT"],
        &["OBJECT", "ENCODING", "l"],
        &["TYPE", "l"],
        &["LPUSH", "l"],
        &["COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"],
        &["COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT"],
        &["COMMAND", "GETKEYS", "BLPOP", "a", "b", "0"],
    ]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn list_replies_match_redis_in_resp3() {
    let mut pair = Pair::new();
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["RPUSH", "l", "a", "b"],
        &["LPOP", "missing"],
        &["LPOP", "missing", "1"],
        &["LINDEX", "l", "9"],
        &["LPOS", "l", "zz"],
        &["LMPOP", "1", "missing", "LEFT"],
        &["BLPOP", "missing", "0.01"],
        &["BLMOVE", "missing", "x", "LEFT", "LEFT", "0.01"],
        &["LMPOP", "1", "l", "LEFT"],
    ]);
}

#[test]
fn debug_quicklist_packed_threshold_is_accepted_and_large_elements_behave_like_small_ones() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"]),
        "+OK\r\n"
    );
    let big = "x".repeat(500);
    client.run_all(&[
        &["RPUSH", "l", "a", &big, "c"],
        &["LINSERT", "l", "AFTER", &big, "d"],
    ]);
    assert_eq!(client.cmd(&["LPOS", "l", "d"]), ":2\r\n");
    assert_eq!(
        client.cmd(&["LINDEX", "l", "1"]),
        format!("$500\r\n{big}\r\n")
    );
    assert_eq!(
        client.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]),
        "+OK\r\n"
    );
    let refused = "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n";
    assert_eq!(
        client.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4gb"]),
        refused
    );
    assert_eq!(
        client.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc"]),
        refused
    );
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn debug_quicklist_packed_threshold_replies_as_redis_does() {
    let mut pair = Pair::new();
    for size in [
        "1b",
        "0",
        "5b",
        "4294967295",
        "4gb",
        "-1",
        "abc",
        "4293918720",
    ] {
        pair.same(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", size]);
    }
}
