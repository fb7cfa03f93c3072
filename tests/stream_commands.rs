//! The core stream commands one by one, beyond the course's stages (`streams.rs`): XADD's
//! options, trimming and errors, XRANGE/XREVRANGE bounds and COUNT, XLEN, XDEL, XTRIM,
//! XSETID, XREAD's arguments and RESP3 reply, blocking XREAD with many clients (order,
//! timeouts, `$`, CLIENT UNBLOCK, MULTI), what is journaled to the AOF, keyspace events,
//! WATCH, and the command table's view of XREAD. The last tests run beside a real
//! redis-server (ignored unless it is installed: `.ci/run` runs them).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::real_redis::Pair;
use common::{Raw, TestServer, resp, scratch_dir};

const INVALID_ID: &str = "-ERR Invalid stream ID specified as stream command argument\r\n";

/// `[id, [field, value]]` as RESP.
fn entry(id: &str, field: &str, value: &str) -> String {
    format!(
        "*2\r\n${}\r\n{id}\r\n*2\r\n${}\r\n{field}\r\n${}\r\n{value}\r\n",
        id.len(),
        field.len(),
        value.len()
    )
}

/// The IDs in a reply of entries (every bulk string that looks like `ms-seq`).
fn ids(reply: &str) -> Vec<String> {
    reply
        .split("\r\n")
        .filter(|part| {
            part.split_once('-').is_some_and(|(ms, seq)| {
                !ms.is_empty() && ms.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit())
            })
        })
        .map(str::to_string)
        .collect()
}

/// A stream `s` with entries `1-0 .. n-0`, each `f i`.
fn stream_of(c: &mut Raw, n: usize) {
    for i in 1..=n {
        let id = format!("{i}-0");
        let reply = format!("${}\r\n{id}\r\n", id.len());
        assert_eq!(c.cmd(&["XADD", "s", &id, "f", &i.to_string()]), reply);
    }
}

fn resp3(server: &TestServer) -> Raw {
    let mut c = server.raw();
    assert!(c.cmd(&["HELLO", "3"]).starts_with('%'));
    c
}

// ----------------------------------------------------------------------------------- XADD

#[test]
fn xadd_refuses_bad_arguments_with_redis_errors_in_its_order() {
    let server = TestServer::start();
    let mut c = server.raw();
    let arity = "-ERR wrong number of arguments for 'xadd' command\r\n";
    assert_eq!(c.cmd(&["XADD", "s", "1-1", "a"]), arity);
    assert_eq!(c.cmd(&["XADD", "s", "1-1", "a", "b", "c"]), arity);
    assert_eq!(c.cmd(&["XADD", "s", "MAXLEN", "5"]), arity);
    assert_eq!(c.cmd(&["XADD", "s", "MAXLEN", "5", "x"]), INVALID_ID);
    assert_eq!(
        c.cmd(&["XADD", "s", "MAXLEN", "-1", "*", "a", "b"]),
        "-ERR The MAXLEN argument must be >= 0.\r\n"
    );
    assert_eq!(
        c.cmd(&["XADD", "s", "MAXLEN", "x", "*", "a", "b"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "b"]),
        "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["XADD", "s", "LIMIT", "5", "*", "a", "b"]),
        "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
    );
    assert_eq!(
        c.cmd(&["XADD", "s", "MAXLEN", "=", "2", "LIMIT", "5", "*", "a", "b"]),
        "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
    );
    assert_eq!(
        c.cmd(&[
            "XADD", "s", "MAXLEN", "~", "2", "LIMIT", "-1", "*", "a", "b"
        ]),
        "-ERR The LIMIT argument must be >= 0.\r\n"
    );
    for bad in [
        "+",
        "-",
        "abc",
        "1-2-3",
        "-1",
        "99999999999999999999",
        "1-x",
    ] {
        assert_eq!(c.cmd(&["XADD", "s", bad, "a", "b"]), INVALID_ID, "{bad}");
    }
    assert_eq!(
        c.cmd(&["XADD", "s", "MINID", "+", "*", "a", "b"]),
        INVALID_ID
    );
    assert_eq!(
        c.cmd(&["EXISTS", "s"]),
        ":0\r\n",
        "no refusal created the stream"
    );
}

#[test]
fn xadd_nomkstream_replies_null_and_creates_nothing() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["XADD", "s", "NOMKSTREAM", "1-1", "a", "b"]),
        "$-1\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "s"]), ":0\r\n");
    let mut c3 = resp3(&server);
    assert_eq!(c3.cmd(&["XADD", "s", "NOMKSTREAM", "*", "a", "b"]), "_\r\n");
    c.cmd(&["XADD", "s", "1-1", "a", "b"]);
    assert_eq!(
        c.cmd(&["XADD", "s", "NOMKSTREAM", "2-1", "a", "b"]),
        "$3\r\n2-1\r\n"
    );
}

#[test]
fn xadd_ids_run_out_at_the_last_possible_id() {
    let server = TestServer::start();
    let mut c = server.raw();
    let max = "18446744073709551615-18446744073709551615";
    assert_eq!(
        c.cmd(&["XADD", "s", max, "a", "b"]),
        format!("$41\r\n{max}\r\n")
    );
    let exhausted =
        "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n";
    assert_eq!(c.cmd(&["XADD", "s", "*", "a", "b"]), exhausted);
    assert_eq!(
        c.cmd(&["XADD", "s", "18446744073709551615-*", "a", "b"]),
        exhausted
    );
    // `ms-*` when `ms`'s sequence is used up: Redis's other error.
    c.cmd(&["XADD", "e", "5-18446744073709551615", "a", "b"]);
    assert_eq!(
        c.cmd(&["XADD", "e", "5-*", "a", "b"]),
        "-ERR Elements are too large to be stored\r\n"
    );
    assert_eq!(c.cmd(&["XADD", "e", "6-*", "a", "b"]), "$3\r\n6-0\r\n");
    assert_eq!(
        c.cmd(&["XADD", "e", "7", "a", "b"]),
        "$3\r\n7-0\r\n",
        "ms alone is ms-0"
    );
}

#[test]
fn xadd_star_follows_the_last_id_when_the_clock_is_behind_it() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["XADD", "s", "99999999999999-5", "a", "b"]);
    assert_eq!(
        c.cmd(&["XADD", "s", "*", "a", "b"]),
        "$16\r\n99999999999999-6\r\n"
    );
}

#[test]
fn xadd_trims_exactly_with_maxlen_and_minid() {
    let server = TestServer::start();
    let mut c = server.raw();
    stream_of(&mut c, 5);
    assert_eq!(
        c.cmd(&["XADD", "s", "MAXLEN", "3", "6-0", "f", "6"]),
        "$3\r\n6-0\r\n"
    );
    assert_eq!(
        ids(&c.cmd(&["XRANGE", "s", "-", "+"])),
        ["4-0", "5-0", "6-0"]
    );
    assert_eq!(
        c.cmd(&["XADD", "s", "MINID", "=", "6", "7-0", "f", "7"]),
        "$3\r\n7-0\r\n"
    );
    assert_eq!(ids(&c.cmd(&["XRANGE", "s", "-", "+"])), ["6-0", "7-0"]);
}

#[test]
fn approximate_trims_remove_whole_nodes_only() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "10"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "stream-node-max-entries"]),
        "*2\r\n$23\r\nstream-node-max-entries\r\n$2\r\n10\r\n"
    );
    stream_of(&mut c, 55);
    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "~", "30"]), ":20\r\n");
    assert_eq!(c.cmd(&["XLEN", "s"]), ":35\r\n");
    assert_eq!(
        c.cmd(&["XTRIM", "s", "MAXLEN", "~", "3", "LIMIT", "10"]),
        ":10\r\n"
    );
    // Only the node of 31..40 is all below 44; the next one holds 44.
    assert_eq!(c.cmd(&["XTRIM", "s", "MINID", "~", "44"]), ":10\r\n");
    assert_eq!(c.cmd(&["XTRIM", "s", "MINID", "47"]), ":6\r\n");
    assert_eq!(
        ids(&c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "1"])),
        ["47-0"]
    );
}

#[test]
fn node_size_parameters_have_redis_defaults_and_bounds() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "stream-node-max-bytes"]),
        "*2\r\n$21\r\nstream-node-max-bytes\r\n$4\r\n4096\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "stream-node-max-entries"]),
        "*2\r\n$23\r\nstream-node-max-entries\r\n$3\r\n100\r\n"
    );
    assert!(
        c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "-1"])
            .starts_with("-ERR")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stream-node-max-bytes", "1kb"]),
        "+OK\r\n"
    );
    // With 1 KB nodes and 300-byte entries, MAXLEN ~ leaves at most a node's worth extra.
    let value = "v".repeat(300);
    for i in 1..=20 {
        c.cmd(&["XADD", "s", &format!("{i}-0"), "f", &value]);
    }
    let trimmed: i64 = c.cmd(&["XTRIM", "s", "MAXLEN", "~", "2"])[1..]
        .trim()
        .parse()
        .unwrap();
    assert!((15..=18).contains(&trimmed), "{trimmed}");
}

// ----------------------------------------------------------------------- XRANGE, XREVRANGE

#[test]
fn xrange_bounds_may_be_exclusive_or_bare_milliseconds() {
    let server = TestServer::start();
    let mut c = server.raw();
    for (id, v) in [("1-1", "a"), ("1-2", "b"), ("2-0", "c"), ("3-5", "d")] {
        c.cmd(&["XADD", "s", id, "f", v]);
    }
    assert_eq!(ids(&c.cmd(&["XRANGE", "s", "1", "1"])), ["1-1", "1-2"]);
    assert_eq!(
        ids(&c.cmd(&["XRANGE", "s", "(1-1", "+"])),
        ["1-2", "2-0", "3-5"]
    );
    assert_eq!(
        ids(&c.cmd(&["XRANGE", "s", "-", "(3-5"])),
        ["1-1", "1-2", "2-0"]
    );
    assert_eq!(
        ids(&c.cmd(&["XRANGE", "s", "(1", "+"])),
        ["1-1", "1-2", "2-0", "3-5"]
    );
    assert_eq!(
        ids(&c.cmd(&["XREVRANGE", "s", "(3-5", "(1-1"])),
        ["2-0", "1-2"]
    );
    for bad in ["(", "(-", "(+", "abc", "1-"] {
        assert_eq!(c.cmd(&["XRANGE", "s", bad, "+"]), INVALID_ID, "{bad}");
    }
    assert_eq!(
        c.cmd(&[
            "XRANGE",
            "s",
            "(18446744073709551615-18446744073709551615",
            "+"
        ]),
        "-ERR invalid start ID for the interval\r\n"
    );
    assert_eq!(
        c.cmd(&["XRANGE", "s", "-", "(0-0"]),
        "-ERR invalid end ID for the interval\r\n"
    );
    assert_eq!(c.cmd(&["XRANGE", "s", "3", "2"]), "*0\r\n");
    assert_eq!(c.cmd(&["XRANGE", "s", "4", "+"]), "*0\r\n");
    assert_eq!(c.cmd(&["XREVRANGE", "s", "-", "+"]), "*0\r\n", "end first");
}

#[test]
fn xrange_count_limits_and_count_zero_or_negative_is_a_null_array() {
    let server = TestServer::start();
    let mut c = server.raw();
    stream_of(&mut c, 4);
    assert_eq!(
        c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "2"]),
        format!("*2\r\n{}{}", entry("1-0", "f", "1"), entry("2-0", "f", "2"))
    );
    assert_eq!(
        ids(&c.cmd(&["XREVRANGE", "s", "+", "-", "COUNT", "1"])),
        ["4-0"]
    );
    assert_eq!(
        ids(&c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "2", "COUNT", "1"])),
        ["1-0"]
    );
    assert_eq!(c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "0"]), "*-1\r\n");
    assert_eq!(c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "-3"]), "*-1\r\n");
    assert_eq!(
        c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "999999999999999"])
            .matches("f\r\n")
            .count(),
        4
    );
    assert_eq!(
        c.cmd(&["XRANGE", "s", "-", "+", "COUNT"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["XRANGE", "s", "-", "+", "LIMIT", "1"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["XRANGE", "s", "-", "+", "COUNT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["XRANGE", "missing", "-", "+", "COUNT", "0"]),
        "*0\r\n"
    );
    assert_eq!(
        resp3(&server).cmd(&["XRANGE", "s", "-", "+", "COUNT", "0"]),
        "_\r\n"
    );
}

// ------------------------------------------------------------------- XLEN, XDEL, XTRIM, XSETID

#[test]
fn every_stream_command_refuses_another_type() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["SET", "str", "x"]);
    let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for command in [
        &["XADD", "str", "*", "a", "b"][..],
        &["XLEN", "str"],
        &["XRANGE", "str", "-", "+"],
        &["XREVRANGE", "str", "+", "-"],
        &["XDEL", "str", "1"],
        &["XTRIM", "str", "MAXLEN", "0"],
        &["XSETID", "str", "1"],
        &["XREAD", "STREAMS", "str", "0"],
        &["XREAD", "BLOCK", "0", "STREAMS", "str", "0"],
    ] {
        assert_eq!(c.cmd(command), wrong, "{command:?}");
    }
    assert_eq!(c.cmd(&["GET", "str"]), "$1\r\nx\r\n");
}

#[test]
fn xdel_removes_existing_entries_and_checks_every_id_first() {
    let server = TestServer::start();
    let mut c = server.raw();
    stream_of(&mut c, 3);
    assert_eq!(c.cmd(&["XDEL", "s", "2-0", "bad"]), INVALID_ID);
    assert_eq!(c.cmd(&["XLEN", "s"]), ":3\r\n", "nothing deleted");
    assert_eq!(c.cmd(&["XDEL", "s", "2-0", "9-9", "1"]), ":2\r\n");
    assert_eq!(ids(&c.cmd(&["XRANGE", "s", "-", "+"])), ["3-0"]);
    assert_eq!(
        c.cmd(&["XDEL", "missing", "bad"]),
        ":0\r\n",
        "the key is looked up first"
    );
    assert_eq!(c.cmd(&["XDEL", "s", "3-0"]), ":1\r\n");
    assert_eq!(c.cmd(&["EXISTS", "s"]), ":1\r\n", "an empty stream stays");
    assert_eq!(
        c.cmd(&["XADD", "s", "3-0", "a", "b"]),
        format!(
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
        )
    );
}

#[test]
fn xtrim_needs_a_strategy_and_counts_what_went() {
    let server = TestServer::start();
    let mut c = server.raw();
    stream_of(&mut c, 5);
    assert_eq!(
        c.cmd(&["XTRIM", "s", "LIMIT", "1"]),
        "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
    );
    assert_eq!(
        c.cmd(&["XTRIM", "s", "NOMKSTREAM", "MAXLEN", "1"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["XTRIM", "s", "FOO", "1"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["XTRIM", "s", "MAXLEN", "1", "LIMIT", "2"]),
        "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
    );
    assert_eq!(c.cmd(&["XTRIM", "missing", "MAXLEN", "1"]), ":0\r\n");
    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "2"]), ":3\r\n");
    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "2"]), ":0\r\n");
    assert_eq!(c.cmd(&["XTRIM", "s", "MINID", "5"]), ":1\r\n");
    assert_eq!(c.cmd(&["XLEN", "s"]), ":1\r\n");
}

#[test]
fn xsetid_sets_the_last_id_with_redis_checks() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["XSETID", "missing", "1-1"]), "-ERR no such key\r\n");
    stream_of(&mut c, 3);
    assert_eq!(
        c.cmd(&["XSETID", "s", "2-0"]),
        "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n"
    );
    assert_eq!(
        c.cmd(&["XSETID", "s", "9-9", "ENTRIESADDED", "2"]),
        "-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n"
    );
    assert_eq!(
        c.cmd(&["XSETID", "s", "9-9", "ENTRIESADDED", "-1"]),
        "-ERR entries_added must be positive\r\n"
    );
    assert_eq!(
        c.cmd(&["XSETID", "s", "9-9", "MAXDELETEDID", "10-0"]),
        "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n"
    );
    assert_eq!(
        c.cmd(&["XSETID", "s", "9-9", "FOO"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["XSETID", "s", "+"]), INVALID_ID);
    assert_eq!(
        c.cmd(&[
            "XSETID",
            "s",
            "9-9",
            "ENTRIESADDED",
            "100",
            "MAXDELETEDID",
            "8"
        ]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["XADD", "s", "9-9", "a", "b"]),
        "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
    );
    assert_eq!(c.cmd(&["XADD", "s", "9-*", "a", "b"]), "$4\r\n9-10\r\n");
    // An empty stream takes any last ID, even a smaller one.
    c.cmd(&["XTRIM", "s", "MAXLEN", "0"]);
    assert_eq!(c.cmd(&["XSETID", "s", "0-1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["XADD", "s", "0-*", "a", "b"]), "$3\r\n0-2\r\n");
}

// ------------------------------------------------------------------------------------ XREAD

#[test]
fn xread_refuses_bad_argument_lists() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["XADD", "s", "1-1", "a", "b"]);
    let unbalanced = "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n";
    assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "t", "u"]), unbalanced);
    assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "t", "0"]), unbalanced);
    assert_eq!(
        c.cmd(&["XREAD", "COUNT", "1", "s", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["XREAD", "FOO", "STREAMS", "s", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["XREAD", "COUNT", "x", "STREAMS", "s", "0"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "1.5", "STREAMS", "s", "0"]),
        "-ERR timeout is not an integer or out of range\r\n",
        "milliseconds, an integer"
    );
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        c.cmd(&["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"]),
        "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"
    );
    assert_eq!(
        c.cmd(&["XREAD", "NOACK", "STREAMS", "s", "0"]),
        "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"
    );
    assert_eq!(
        c.cmd(&["XREAD", "STREAMS", "s", ">"]),
        "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n"
    );
    assert_eq!(
        c.cmd(&["XREAD", "STREAMS", "s", "+"]),
        INVALID_ID,
        "no `+` before Redis 7.4"
    );
    assert_eq!(c.cmd(&["XREAD", "STREAMS", "missing", "bad"]), INVALID_ID);
}

#[test]
fn xread_replies_only_streams_with_new_entries_counted_per_stream() {
    let server = TestServer::start();
    let mut c = server.raw();
    stream_of(&mut c, 3);
    c.cmd(&["XADD", "t", "5-0", "g", "x"]);
    let reply = c.cmd(&[
        "XREAD", "COUNT", "2", "STREAMS", "missing", "s", "t", "0", "0", "5-0",
    ]);
    assert_eq!(
        reply,
        format!(
            "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n{}{}",
            entry("1-0", "f", "1"),
            entry("2-0", "f", "2")
        )
    );
    assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "t", "$", "$"]), "*-1\r\n");
    assert_eq!(
        ids(&c.cmd(&["XREAD", "COUNT", "-5", "STREAMS", "s", "0"])),
        ["1-0", "2-0", "3-0"],
        "a negative COUNT is no limit"
    );
    // A stream whose entries after the ID were deleted has nothing to give.
    c.cmd(&["XDEL", "s", "3-0"]);
    assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "2-0"]), "*-1\r\n");
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "10", "STREAMS", "s", "2-0"]),
        "*-1\r\n"
    );
}

#[test]
fn xread_replies_a_map_in_resp3() {
    let server = TestServer::start();
    let mut c = resp3(&server);
    c.cmd(&["XADD", "s", "1-0", "f", "v"]);
    c.cmd(&["XADD", "t", "2-0", "g", "w"]);
    assert_eq!(
        c.cmd(&["XREAD", "STREAMS", "s", "t", "0", "0"]),
        format!(
            "%2\r\n$1\r\ns\r\n*1\r\n{}$1\r\nt\r\n*1\r\n{}",
            entry("1-0", "f", "v"),
            entry("2-0", "g", "w")
        )
    );
    assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "$"]), "_\r\n");
    c.send(&resp(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]));
    let mut writer = server.raw();
    writer.wait_for_blocked(1);
    writer.cmd(&["XADD", "s", "3-0", "f", "x"]);
    assert_eq!(
        c.reply_text(),
        format!("%1\r\n$1\r\ns\r\n*1\r\n{}", entry("3-0", "f", "x"))
    );
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "50", "STREAMS", "s", "$"]),
        "_\r\n"
    );
}

// ----------------------------------------------------------------------------- blocking

#[test]
fn many_blocked_readers_are_all_served_by_one_xadd_in_blocking_order() {
    let server = TestServer::start();
    let mut readers: Vec<Raw> = (0..5).map(|_| server.raw()).collect();
    let mut writer = server.raw();
    for (i, reader) in readers.iter_mut().enumerate() {
        reader.cmd(&["CLIENT", "SETNAME", &format!("r{i}")]);
        reader.send(&resp(&[
            "XREAD", "BLOCK", "0", "STREAMS", "other", "s", "0", "$",
        ]));
        writer.wait_for_blocked(i + 1);
    }
    writer.cmd(&["MONITOR"]).to_string();
    let mut w2 = server.raw();
    w2.cmd(&["XADD", "s", "1-0", "f", "v"]);
    let expected = format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n{}", entry("1-0", "f", "v"));
    for reader in &mut readers {
        assert_eq!(reader.reply_text(), expected);
    }
    w2.wait_for_blocked(0);
}

#[test]
fn blocked_readers_wait_with_their_own_ids_and_counts() {
    let server = TestServer::start();
    let mut c = server.raw();
    stream_of(&mut c, 2);
    // `$` is the last ID when the client blocked, not when it is served.
    let (mut dollar, mut counted) = (server.raw(), server.raw());
    dollar.send(&resp(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]));
    c.wait_for_blocked(1);
    counted.send(&resp(&[
        "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "2-0",
    ]));
    c.wait_for_blocked(2);
    c.cmd(&["MULTI"]);
    c.cmd(&["XADD", "s", "3-0", "f", "3"]);
    c.cmd(&["XADD", "s", "4-0", "f", "4"]);
    c.cmd(&["EXEC"]);
    assert_eq!(ids(&dollar.reply_text()), ["3-0", "4-0"]);
    assert_eq!(ids(&counted.reply_text()), ["3-0"]);
}

#[test]
fn a_blocked_read_times_out_to_the_millisecond_and_leaves_no_waiter() {
    let server = TestServer::start();
    let mut c = server.raw();
    let started = Instant::now();
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "300", "STREAMS", "s", "$"]),
        "*-1\r\n"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_millis(1000),
        "{waited:?}"
    );
    assert!(
        c.cmd(&["INFO", "clients"])
            .contains("blocked_clients:0\r\n")
    );
}

#[test]
fn a_key_of_another_type_does_not_wake_a_stream_reader() {
    let server = TestServer::start();
    let (mut reader, mut c) = (server.raw(), server.raw());
    reader.send(&resp(&["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]));
    c.wait_for_blocked(1);
    c.cmd(&["RPUSH", "k", "x"]);
    assert!(reader.nothing_within(Duration::from_millis(200)));
    c.cmd(&["DEL", "k"]);
    c.cmd(&["XADD", "k", "1-0", "f", "v"]);
    assert_eq!(ids(&reader.reply_text()), ["1-0"]);
}

#[test]
fn client_unblock_ends_a_blocked_read() {
    let server = TestServer::start();
    let (mut reader, mut c) = (server.raw(), server.raw());
    let id = reader.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim();
    reader.send(&resp(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]));
    c.wait_for_blocked(1);
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", id]), ":1\r\n");
    assert_eq!(reader.reply_text(), "*-1\r\n");
    reader.send(&resp(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]));
    c.wait_for_blocked(1);
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", id, "ERROR"]), ":1\r\n");
    assert_eq!(
        reader.reply_text(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
}

#[test]
fn xread_block_inside_multi_does_not_block() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["MULTI"]);
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]),
        "+QUEUED\r\n"
    );
    assert_eq!(c.cmd(&["EXEC"]), "*1\r\n*-1\r\n");
}

// --------------------------------------------------------- journal, events, WATCH, table

/// The commands in an AOF file, as argument lists.
fn commands_in(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.split("\r\n");
    let mut commands = Vec::new();
    while let Some(header) = lines.next().filter(|l| !l.is_empty()) {
        let argc: usize = header[1..].parse().unwrap();
        commands.push(
            (0..argc)
                .map(|_| lines.nth(1).unwrap().to_string())
                .collect(),
        );
    }
    commands
}

#[test]
fn xadd_and_xtrim_are_journaled_with_the_ids_and_thresholds_they_used() {
    let dir = scratch_dir("stream-aof");
    let server = TestServer::in_dir(&dir, &common::AOF_ALWAYS);
    let mut c = server.raw();
    c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "5"]);
    for i in 1..=20 {
        c.cmd(&["XADD", "s", &format!("{i}-*"), "f", "v"]);
    }
    let star = c.cmd(&["XADD", "s", "*", "f", "v"]);
    let star = star.lines().nth(1).unwrap().to_string();
    c.cmd(&[
        "XADD",
        "s",
        "MAXLEN",
        "~",
        "7",
        "99999999999999-5",
        "f",
        "v",
    ]);
    c.cmd(&[
        "XADD",
        "s",
        "MINID",
        "~",
        "13",
        "LIMIT",
        "100",
        "99999999999999-*",
        "f",
        "v",
    ]);
    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "~", "100"]), ":0\r\n");
    assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "~", "2"]), ":5\r\n");
    let before = c.cmd(&["XRANGE", "s", "-", "+"]);
    let commands = commands_in(&dir.join("appendonlydir/appendonly.aof.1.incr.aof"));
    let tail: Vec<Vec<&str>> = commands[commands.len() - 4..]
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let first_xadd = commands.iter().find(|c| c[0] == "XADD").unwrap();
    assert_eq!(
        first_xadd,
        &["XADD", "s", "1-0", "f", "v"],
        "`1-*` journaled as `1-0`"
    );
    // Nodes of 5: the first trim drops three whole nodes and leaves 7, the MINID trim
    // drops none (16-0 starts the first node left), the last XTRIM one node, leaving 3.
    assert_eq!(
        tail,
        [
            vec!["XADD", "s", &star, "f", "v"],
            vec![
                "XADD",
                "s",
                "MAXLEN",
                "=",
                "7",
                "99999999999999-5",
                "f",
                "v"
            ],
            vec![
                "XADD",
                "s",
                "MINID",
                "=",
                "16-0",
                "LIMIT",
                "100",
                "99999999999999-6",
                "f",
                "v"
            ],
            vec!["XTRIM", "s", "MAXLEN", "=", "3"],
        ]
    );
    drop(server);
    // Replayed with the default node size and `LIMIT` ignored: the same stream.
    let again = TestServer::in_dir(&dir, &common::AOF_ALWAYS);
    assert_eq!(again.raw().cmd(&["XRANGE", "s", "-", "+"]), before);
}

#[test]
fn stream_writes_notify_their_events_and_touch_watched_keys() {
    let server = TestServer::start();
    let (mut listener, mut c) = (server.raw(), server.raw());
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Et"]);
    listener.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    c.cmd(&["XADD", "s", "MAXLEN", "1", "1-0", "f", "v"]);
    c.cmd(&["XADD", "s", "MAXLEN", "1", "2-0", "f", "v"]);
    c.cmd(&["XDEL", "s", "2-0"]);
    c.cmd(&["XDEL", "s", "2-0"]);
    c.cmd(&["XADD", "s", "3-0", "f", "v"]);
    c.cmd(&["XTRIM", "s", "MAXLEN", "0"]);
    c.cmd(&["XSETID", "s", "9-0"]);
    let events: Vec<String> = (0..6)
        .map(|_| {
            listener
                .reply_text()
                .split("\r\n")
                .nth(6)
                .unwrap()
                .to_string()
        })
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(names, ["xadd", "xadd", "xtrim", "xdel", "xadd", "xtrim"]);
    assert!(listener.reply_text().contains("xsetid"));

    let mut other = server.raw();
    c.cmd(&["WATCH", "s"]);
    other.cmd(&["XADD", "s", "10-0", "f", "v"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["XLEN", "s"]);
    assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n", "XADD touched the watched key");
}

#[test]
fn xread_is_a_read_command_with_its_keys_after_streams() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&[
            "COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"
        ]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    let info = c.cmd(&["COMMAND", "INFO", "xread"]);
    assert!(
        info.contains("*3\r\n+readonly\r\n+blocking\r\n+movablekeys\r\n"),
        "{info}"
    );
    assert!(
        info.contains("+@read\r\n+@stream\r\n+@slow\r\n+@blocking\r\n"),
        "{info}"
    );
    assert!(!info.contains("write"), "{info}");
    assert!(c.cmd(&["ACL", "CAT", "read"]).contains("$5\r\nxread\r\n"));
    assert!(!c.cmd(&["ACL", "CAT", "write"]).contains("$5\r\nxread\r\n"));
    // Past maxmemory, reads are still served.
    c.cmd(&["XADD", "s", "1-0", "f", "v"]);
    c.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert!(c.cmd(&["XADD", "s", "*", "f", "v"]).starts_with("-OOM"));
    assert_eq!(ids(&c.cmd(&["XREAD", "STREAMS", "s", "0"])), ["1-0"]);
}

// ------------------------------------------------------------------ beside redis-server

/// Runs `commands` on a fresh pair in RESP2, then on another in RESP3, comparing replies.
fn like_redis(commands: &[&[&str]]) {
    for protocol in ["2", "3"] {
        let mut pair = Pair::new();
        pair.redis.command(&["HELLO", protocol]);
        pair.thredis.command(&["HELLO", protocol]);
        pair.each(commands);
    }
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn stream_commands_reply_like_redis() {
    like_redis(&[
        &["XADD", "s", "1-1", "a", "1"],
        &["XADD", "s", "1-2", "b", "2"],
        &["XADD", "s", "1-*", "c", "3", "d", "4"],
        &["XADD", "s", "0-9", "a", "1"],
        &["XADD", "s", "MAXLEN", "5", "x"],
        &[
            "XADD",
            "s",
            "NOMKSTREAM",
            "MINID",
            "~",
            "1-2",
            "3-0",
            "e",
            "5",
        ],
        &["XADD", "n", "NOMKSTREAM", "1-1", "a", "b"],
        &["XRANGE", "s", "-", "+"],
        &["XRANGE", "s", "(1-1", "(3-0", "COUNT", "1"],
        &["XRANGE", "s", "-", "+", "COUNT", "0"],
        &["XREVRANGE", "s", "+", "-", "COUNT", "2"],
        &["XREVRANGE", "s", "(1", "-"],
        &["XRANGE", "s", "(-", "+"],
        &["XLEN", "s"],
        &["XDEL", "s", "1-2", "7-7"],
        &["XTRIM", "s", "MAXLEN", "=", "2"],
        &["XTRIM", "s", "MINID", "~", "0", "LIMIT", "1"],
        &["XSETID", "s", "1-0"],
        &["XSETID", "s", "5-0", "ENTRIESADDED", "1"],
        &[
            "XSETID",
            "s",
            "5-0",
            "ENTRIESADDED",
            "10",
            "MAXDELETEDID",
            "4-0",
        ],
        &["XREAD", "STREAMS", "s", "n", "0", "0"],
        &["XREAD", "COUNT", "1", "STREAMS", "s", "s", "0", "1-3"],
        &["XREAD", "BLOCK", "10", "STREAMS", "s", "$"],
        &["XREAD", "STREAMS", "s", "t", "u"],
        &["XREAD", "BLOCK", "x", "STREAMS", "s", "0"],
        &["SET", "str", "v"],
        &["XREAD", "STREAMS", "s", "str", "bad", "0"],
        &["XREAD", "STREAMS", "str", "s", "0", "bad"],
        &["XADD", "str", "*", "a", "b"],
        &["MULTI"],
        &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
        &["EXEC"],
        &[
            "COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0",
        ],
    ]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn the_stream_rows_of_command_info_are_redis_rows() {
    // RESP2 only: in RESP3 thredis writes a command's tips and subcommands as arrays where
    // Redis writes sets, for every command (introspection.rs).
    let mut pair = Pair::new();
    pair.same(&[
        "COMMAND",
        "INFO",
        "xread",
        "xadd",
        "xrange",
        "xrevrange",
        "xsetid",
        "xtrim",
        "xdel",
        "xlen",
    ]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn blocked_reads_are_served_like_redis() {
    for protocol in ["2", "3"] {
        let mut pair = Pair::new();
        let (mut redis_reader, mut thredis_reader) = pair.connect_again();
        for reader in [&mut redis_reader, &mut thredis_reader] {
            reader.command(&["HELLO", protocol]);
            reader.send(&resp(&[
                "XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "a", "s", "$", "0",
            ]));
        }
        pair.redis.wait_for_blocked(1);
        pair.thredis.wait_for_blocked(1);
        pair.each(&[
            &["MULTI"],
            &["XADD", "s", "1-1", "f", "1"],
            &["XADD", "s", "1-2", "f", "2"],
            &["XADD", "s", "1-3", "f", "3"],
            &["EXEC"],
        ]);
        assert_eq!(thredis_reader.reply_text(), redis_reader.reply_text());
        for reader in [&mut redis_reader, &mut thredis_reader] {
            reader.send(&resp(&["XREAD", "BLOCK", "100", "STREAMS", "s", "$"]));
        }
        assert_eq!(thredis_reader.reply_text(), redis_reader.reply_text());
    }
}
