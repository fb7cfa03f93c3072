//! SORT and SORT_RO: numeric and ALPHA order, BY patterns (keys, hash fields, `nosort`),
//! LIMIT, GET, STORE (its list, its events, its journal), the errors, the ACL rule for BY and
//! GET, the key specs and COMMAND GETKEYS, and an interop sweep against a real redis-server
//! (`#[ignore]`d).

mod common;

use std::time::Duration;

use common::real_redis::Pair;
use common::{AOF_ALWAYS, Raw, TestServer, error, query, scratch_dir};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const BAD_DOUBLE: &str = "ERR One or more scores can't be converted into double";

fn strings(c: &mut redis::Connection, args: &[&str]) -> Vec<String> {
    query(c, args)
}

fn values(c: &mut redis::Connection, args: &[&str]) -> Vec<Option<String>> {
    query(c, args)
}

/// A list `l` of 3 1 2, weights `w_<n>` and hashes `h_<n>` ordering it 2 3 1.
fn weighted(c: &mut Raw) {
    c.run_all(&[
        &["RPUSH", "l", "3", "1", "2"],
        &["MSET", "w_1", "30", "w_2", "10", "w_3", "20"],
        &["HSET", "h_1", "f", "30", "name", "one"],
        &["HSET", "h_2", "f", "10", "name", "two"],
        &["HSET", "h_3", "f", "20", "name", "three"],
    ]);
}

#[test]
fn elements_sort_numerically_or_by_their_bytes() {
    let server = TestServer::start();
    let mut c = server.client();
    query::<i64>(&mut c, &["RPUSH", "l", "10", "2", "-1.5", "3e0", "2"]);
    assert_eq!(
        strings(&mut c, &["SORT", "l"]),
        ["-1.5", "2", "2", "3e0", "10"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "DESC"]),
        ["10", "3e0", "2", "2", "-1.5"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "desc", "ASC"]),
        ["-1.5", "2", "2", "3e0", "10"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "ALPHA"]),
        ["-1.5", "10", "2", "2", "3e0"]
    );
    assert_eq!(
        strings(&mut c, &["SORT_RO", "l", "ALPHA", "DESC"]),
        ["3e0", "2", "2", "10", "-1.5"]
    );
    // Equal weights fall back to the bytes of the elements.
    query::<i64>(&mut c, &["RPUSH", "same", "1.0", "1", "01"]);
    assert_eq!(strings(&mut c, &["SORT", "same"]), ["01", "1", "1.0"]);
    assert_eq!(strings(&mut c, &["SORT", "missing"]), Vec::<String>::new());
}

#[test]
fn sets_and_sorted_sets_sort_too() {
    let server = TestServer::start();
    let mut c = server.client();
    query::<i64>(&mut c, &["SADD", "s", "5", "-2", "11"]);
    assert_eq!(strings(&mut c, &["SORT", "s"]), ["-2", "5", "11"]);
    query::<i64>(&mut c, &["SADD", "words", "pear", "apple", "fig"]);
    assert_eq!(
        strings(&mut c, &["SORT", "words", "ALPHA"]),
        ["apple", "fig", "pear"]
    );
    query::<i64>(&mut c, &["ZADD", "z", "1", "c", "2", "a", "3", "b"]);
    assert_eq!(strings(&mut c, &["SORT", "z", "ALPHA"]), ["a", "b", "c"]);
    assert_eq!(
        strings(&mut c, &["SORT", "z", "ALPHA", "DESC"]),
        ["c", "b", "a"]
    );
}

#[test]
fn limit_takes_a_clamped_range_of_the_result() {
    let server = TestServer::start();
    let mut c = server.client();
    query::<i64>(&mut c, &["RPUSH", "l", "5", "4", "3", "2", "1"]);
    let sort = |c: &mut redis::Connection, offset: &str, count: &str| {
        strings(c, &["SORT", "l", "LIMIT", offset, count])
    };
    assert_eq!(sort(&mut c, "1", "2"), ["2", "3"]);
    assert_eq!(sort(&mut c, "-10", "2"), ["1", "2"]);
    assert_eq!(sort(&mut c, "3", "-1"), ["4", "5"]);
    assert_eq!(sort(&mut c, "3", "100"), ["4", "5"]);
    assert_eq!(sort(&mut c, "2", "0"), Vec::<String>::new());
    assert_eq!(sort(&mut c, "5", "1"), Vec::<String>::new());
    assert_eq!(sort(&mut c, "4", "9223372036854775807"), ["5"]);
    assert_eq!(
        strings(&mut c, &["SORT", "l", "LIMIT", "0", "1", "LIMIT", "1", "1"]),
        ["2"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "DESC", "LIMIT", "0", "2"]),
        ["5", "4"]
    );
}

#[test]
fn by_orders_by_what_a_pattern_finds() {
    let server = TestServer::start();
    let (mut raw, mut c) = (server.raw(), server.client());
    weighted(&mut raw);
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "w_*"]),
        ["2", "3", "1"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "h_*->f"]),
        ["2", "3", "1"]
    );
    assert_eq!(
        strings(
            &mut c,
            &["SORT", "l", "BY", "h_*->f", "DESC", "LIMIT", "0", "1"]
        ),
        ["1"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "h_*->name", "ALPHA"]),
        ["1", "3", "2"]
    );
    // Only the first `*` is replaced: `w_*x*` names `w_1x*`.
    raw.run_all(&[&["SET", "w_1x*", "-5"]]);
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "w_*x*"]),
        ["1", "2", "3"]
    );
    // What the pattern finds nothing for (missing key, wrong type, missing field) weighs 0,
    // and for ALPHA comes first.
    raw.run_all(&[&["DEL", "w_3", "w_2"], &["SADD", "w_2", "x"]]);
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "w_*"]),
        ["2", "3", "1"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "h_*->nope"]),
        ["1", "2", "3"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "w_*", "ALPHA", "DESC"]),
        ["1", "3", "2"]
    );
}

#[test]
fn by_a_constant_keeps_the_stored_order() {
    let server = TestServer::start();
    let mut c = server.client();
    query::<i64>(&mut c, &["RPUSH", "l", "b", "c", "a"]);
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "nosort"]),
        ["b", "c", "a"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "nosort", "DESC"]),
        ["a", "c", "b"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "x", "LIMIT", "1", "5"]),
        ["c", "a"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "x", "DESC", "LIMIT", "1", "1"]),
        ["c"]
    );
    query::<i64>(
        &mut c,
        &[
            "ZADD", "z", "1", "a", "5", "b", "2", "c", "10", "d", "3", "e",
        ],
    );
    assert_eq!(
        strings(&mut c, &["SORT", "z", "BY", "nosort"]),
        ["a", "c", "e", "b", "d"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "z", "BY", "nosort", "DESC"]),
        ["d", "b", "e", "c", "a"]
    );
    assert_eq!(
        strings(
            &mut c,
            &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"]
        ),
        ["d", "b"]
    );
    assert_eq!(
        strings(
            &mut c,
            &["SORT", "z", "BY", "nosort", "LIMIT", "-10", "100"]
        ),
        ["a", "c", "e", "b", "d"]
    );
    assert_eq!(
        strings(&mut c, &["SORT", "z", "BY", "nosort", "LIMIT", "5", "10"]),
        Vec::<String>::new()
    );
    // A constant BY sticks, even when a later BY has a pattern (Redis's `dontsort`).
    assert_eq!(
        strings(&mut c, &["SORT", "l", "BY", "nosort", "BY", "w_*"]),
        ["b", "c", "a"]
    );
    // A set has no order: it comes as SMEMBERS lists it, DESC or not.
    query::<i64>(&mut c, &["SADD", "s", "x", "y", "z"]);
    let members = strings(&mut c, &["SMEMBERS", "s"]);
    assert_eq!(strings(&mut c, &["SORT", "s", "BY", "nosort"]), members);
    assert_eq!(
        strings(&mut c, &["SORT", "s", "BY", "nosort", "DESC"]),
        members
    );
}

#[test]
fn get_replaces_each_element_with_what_patterns_find() {
    let server = TestServer::start();
    let (mut raw, mut c) = (server.raw(), server.client());
    weighted(&mut raw);
    assert_eq!(
        values(
            &mut c,
            &[
                "SORT",
                "l",
                "BY",
                "w_*",
                "GET",
                "#",
                "GET",
                "h_*->name",
                "GET",
                "w_*"
            ]
        ),
        [
            Some("2"),
            Some("two"),
            Some("10"),
            Some("3"),
            Some("three"),
            Some("20"),
            Some("1"),
            Some("one"),
            Some("30"),
        ]
        .map(|v| v.map(str::to_string))
    );
    // A pattern without `*` finds nothing, nor does a missing key, field or a wrong type.
    raw.run_all(&[
        &["SET", "const", "x"],
        &["DEL", "w_2", "w_3"],
        &["SADD", "w_3", "m"],
    ]);
    assert_eq!(
        values(&mut c, &["SORT", "l", "GET", "const"]),
        [None, None, None]
    );
    assert_eq!(
        values(&mut c, &["SORT", "l", "GET", "w_*", "GET", "h_*->none"]),
        [Some("30".to_string()), None, None, None, None, None]
    );
    // A pattern ending in `->` names a key ending in `->`.
    raw.run_all(&[&["SET", "x:1->", "100"]]);
    assert_eq!(
        values(
            &mut c,
            &[
                "SORT_RO", "l", "BY", "nosort", "GET", "x:*->", "LIMIT", "1", "1"
            ]
        ),
        [Some("100".to_string())]
    );
}

#[test]
fn store_saves_a_list_and_replies_its_length() {
    let server = TestServer::start();
    let mut c = server.raw();
    weighted(&mut c);
    c.run_all(&[&["SET", "dest", "x", "EX", "100"]]);
    assert_eq!(
        c.cmd(&["SORT", "l", "BY", "w_*", "STORE", "dest"]),
        ":3\r\n"
    );
    assert_eq!(
        c.cmd(&["LRANGE", "dest", "0", "-1"]),
        "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        c.cmd(&["TTL", "dest"]),
        ":-1\r\n",
        "STORE clears the time to live"
    );
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", "dest"]),
        "$9\r\nquicklist\r\n"
    );
    // The last STORE wins; GET's missing values are stored empty.
    assert_eq!(
        c.cmd(&["SORT", "l", "STORE", "a", "GET", "nokey_*", "STORE", "b"]),
        ":3\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "a"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "b", "0", "-1"]),
        "*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n"
    );
    // An empty result deletes the destination and creates nothing.
    assert_eq!(c.cmd(&["SORT", "missing", "STORE", "dest"]), ":0\r\n");
    assert_eq!(c.cmd(&["EXISTS", "dest"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "10", "10", "STORE", "dest"]),
        ":0\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "dest"]), ":0\r\n");
    // The list sorted may be its own destination.
    assert_eq!(c.cmd(&["SORT", "l", "DESC", "STORE", "l"]), ":3\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n"
    );
}

#[test]
fn a_set_stored_by_a_constant_is_sorted_by_its_bytes() {
    let server = TestServer::start();
    let mut c = server.client();
    let members = ["q", "aa", "b", "azz", "a", "aaa", "z", "m"];
    let mut sadd = vec!["SADD", "s"];
    sadd.extend(members);
    query::<i64>(&mut c, &sadd);
    query::<i64>(&mut c, &["SORT", "s", "BY", "_", "STORE", "out"]);
    assert_eq!(
        strings(&mut c, &["LRANGE", "out", "0", "-1"]),
        ["a", "aa", "aaa", "azz", "b", "m", "q", "z"]
    );
    // Lists keep their order when stored.
    query::<i64>(&mut c, &["LPUSH", "l", "2", "1", "4", "3", "5"]);
    query::<i64>(
        &mut c,
        &[
            "SORT", "l", "BY", "nosort", "LIMIT", "0", "3", "STORE", "out",
        ],
    );
    assert_eq!(
        strings(&mut c, &["LRANGE", "out", "0", "-1"]),
        ["5", "3", "4"]
    );
}

#[test]
fn bad_input_gets_redis_s_errors() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.run_all(&[
        &["SET", "str", "x"],
        &["HSET", "h", "f", "v"],
        &["RPUSH", "l", "1", "x"],
    ]);
    assert_eq!(c.cmd(&["SORT", "str"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["SORT_RO", "h"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["SORT", "l"]), error(BAD_DOUBLE));
    assert_eq!(
        c.cmd(&["SORT", "l", "ALPHA"]),
        "*2\r\n$1\r\n1\r\n$1\r\nx\r\n"
    );
    c.run_all(&[&["SET", "w_1", "2"], &["SET", "w_x", "1e400"]]);
    assert_eq!(c.cmd(&["SORT", "l", "BY", "w_*"]), error(BAD_DOUBLE));
    assert_eq!(
        c.cmd(&["SORT", "l", "BY", "w_*", "STORE", "d"]),
        error(BAD_DOUBLE)
    );
    assert_eq!(
        c.cmd(&["EXISTS", "d"]),
        ":0\r\n",
        "nothing is stored on error"
    );
    for args in [
        &["SORT", "l", "BOGUS"][..],
        &["SORT", "l", "LIMIT", "1"],
        &["SORT", "l", "BY"],
        &["SORT", "l", "GET"],
        &["SORT", "l", "STORE"],
        &["SORT_RO", "l", "STORE", "d"],
    ] {
        assert_eq!(c.cmd(args), error("ERR syntax error"), "{args:?}");
    }
    // Options are read before the key's type is checked.
    assert_eq!(c.cmd(&["SORT", "str", "NOPE"]), error("ERR syntax error"));
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "a", "1"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "0", "99999999999999999999"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["SORT"]),
        error("ERR wrong number of arguments for 'sort' command")
    );
}

#[test]
fn by_and_get_need_a_user_who_may_read_every_key() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[
        &[
            "ACL", "SETUSER", "some", "on", "nopass", "+@all", "~l*", "~w_*", "~h_*",
        ],
        &[
            "ACL", "SETUSER", "readers", "on", "nopass", "+@all", "%R~*", "~dest",
        ],
        &["RPUSH", "l", "2", "1"],
    ]);
    let mut some = server.raw();
    assert_eq!(some.cmd(&["AUTH", "some", "x"]), "+OK\r\n");
    assert_eq!(
        some.cmd(&["SORT", "l", "BY", "w_*"]),
        error("ERR BY option of SORT denied due to insufficient ACL permissions.")
    );
    assert_eq!(
        some.cmd(&["SORT_RO", "l", "GET", "#"]),
        error("ERR GET option of SORT denied due to insufficient ACL permissions.")
    );
    assert_eq!(
        some.cmd(&["SORT", "l", "BY", "nosort"]),
        "*2\r\n$1\r\n2\r\n$1\r\n1\r\n"
    );
    assert_eq!(some.cmd(&["SORT", "l", "STORE", "l2"]), ":2\r\n");
    assert_eq!(
        some.cmd(&["SORT", "l", "STORE", "other"]),
        error("NOPERM this user has no permissions to access one of the keys used as arguments")
    );
    let mut reader = server.raw();
    assert_eq!(reader.cmd(&["AUTH", "readers", "x"]), "+OK\r\n");
    assert_eq!(
        reader.cmd(&["SORT", "l", "BY", "w_*", "GET", "#"]),
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    assert_eq!(
        reader.cmd(&["SORT", "l", "GET", "#", "STORE", "dest"]),
        ":2\r\n"
    );
    assert_eq!(
        reader.cmd(&["SORT", "l", "STORE", "l"]),
        error("NOPERM this user has no permissions to access one of the keys used as arguments")
    );
}

#[test]
fn the_keys_are_found_as_redis_finds_them() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(
        strings(
            &mut c,
            &["COMMAND", "GETKEYS", "SORT", "abc", "STORE", "def"]
        ),
        ["abc", "def"]
    );
    assert_eq!(
        strings(
            &mut c,
            &[
                "COMMAND", "GETKEYS", "SORT", "abc", "store", "invalid", "store", "stillbad",
                "store", "def"
            ]
        ),
        ["abc", "def"]
    );
    assert_eq!(
        strings(
            &mut c,
            &[
                "COMMAND", "GETKEYS", "SORT", "abc", "BY", "store", "LIMIT", "store", "x"
            ]
        ),
        ["abc"]
    );
    assert_eq!(
        strings(
            &mut c,
            &["COMMAND", "GETKEYS", "SORT_RO", "abc", "STORE", "def"]
        ),
        ["abc"]
    );
    let mut raw = server.raw();
    let info = raw.cmd(&["COMMAND", "INFO", "sort"]);
    assert!(
        info.contains("+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n"),
        "{info}"
    );
    assert!(!info.contains("keyspace"), "{info}");
    assert_eq!(info.matches("$7\r\nunknown\r\n").count(), 4, "{info}");
}

#[test]
fn store_notifies_and_wakes_a_blocked_client() {
    let server = TestServer::start();
    let (mut listener, mut c) = (server.raw(), server.raw());
    c.run_all(&[
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        &["RPUSH", "l", "2", "1"],
    ]);
    listener.cmd(&[
        "SUBSCRIBE",
        "__keyevent@0__:sortstore",
        "__keyevent@0__:del",
    ]);
    listener.reply();
    c.cmd(&["SORT", "l", "STORE", "dest"]);
    assert!(listener.reply_text().ends_with("$4\r\ndest\r\n"));
    c.cmd(&["SORT", "missing", "STORE", "dest"]);
    assert!(
        listener
            .reply_text()
            .contains("__keyevent@0__:del\r\n$4\r\ndest\r\n")
    );
    assert!(listener.nothing_within(Duration::from_millis(50)));

    let mut waiter = server.raw();
    waiter.send(&common::resp(&["BLPOP", "woken", "10"]));
    assert!(common::wait_until(Duration::from_secs(5), || {
        c.cmd(&["INFO", "clients"]).contains("blocked_clients:1")
    }));
    c.cmd(&["SORT", "l", "STORE", "woken"]);
    assert_eq!(waiter.reply_text(), "*2\r\n$5\r\nwoken\r\n$1\r\n1\r\n");
}

#[test]
fn store_in_a_transaction_is_a_write_that_watch_sees() {
    let server = TestServer::start();
    let (mut c, mut other) = (server.raw(), server.raw());
    c.run_all(&[&["RPUSH", "l", "b", "a"]]);
    assert_eq!(c.cmd(&["WATCH", "dest"]), "+OK\r\n");
    other.cmd(&["SORT", "l", "ALPHA", "STORE", "dest"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "x", "1"]);
    assert_eq!(
        c.cmd(&["EXEC"]),
        "*-1\r\n",
        "the watched destination changed"
    );
    c.cmd(&["MULTI"]);
    assert_eq!(
        c.cmd(&["SORT", "l", "ALPHA", "DESC", "STORE", "dest"]),
        "+QUEUED\r\n"
    );
    assert_eq!(c.cmd(&["SORT_RO", "dest", "BY", "nosort"]), "+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), "*2\r\n:2\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n");
}

#[test]
fn keys_patterns_find_expired_are_deleted_as_they_are_read() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut c = server.raw();
    c.run_all(&[
        &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        &["RPUSH", "l", "1", "2"],
        &["SET", "w_1", "5", "PX", "1"],
        &["SET", "w_2", "3"],
    ]);
    std::thread::sleep(Duration::from_millis(20));
    for sort in [
        &["SORT", "l", "BY", "w_*"][..],
        &["SORT_RO", "l", "GET", "w_*"],
    ] {
        c.run_all(&[&["SET", "w_1", "5", "PX", "1"]]);
        std::thread::sleep(Duration::from_millis(20));
        let before = c.cmd(&["DBSIZE"]);
        c.cmd(sort);
        assert_eq!(before, ":3\r\n", "{sort:?}");
        assert_eq!(
            c.cmd(&["DBSIZE"]),
            ":2\r\n",
            "{sort:?} deletes the expired weight"
        );
    }
    assert_eq!(
        c.cmd(&["SORT", "l", "BY", "w_*"]),
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
}

#[test]
fn store_is_journaled_and_replayed() {
    let dir = scratch_dir("sort-aof");
    let mut args = AOF_ALWAYS.to_vec();
    args.extend(["--dir", dir.to_str().unwrap()]);
    {
        let server = TestServer::in_dir(&dir, &args);
        let mut c = server.raw();
        c.run_all(&[&["RPUSH", "l", "3", "1", "2"], &["SET", "w_1", "9"]]);
        assert_eq!(
            c.cmd(&["SORT", "l", "BY", "w_*", "STORE", "dest"]),
            ":3\r\n"
        );
        assert_eq!(
            c.cmd(&["SORT", "l"]),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
    }
    let server = TestServer::in_dir(&dir, &args);
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["LRANGE", "dest", "0", "-1"]),
        "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n"
    );
}

#[test]
#[ignore = "needs redis-server: compares SORT replies byte for byte"]
fn sort_replies_match_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["RPUSH", "l", "3", "1", "2", "10", "-4.5", "2"],
        &[
            "MSET", "w_1", "30", "w_2", "10", "w_3", "20", "w_10", "15", "w_-4.5", " 7",
        ],
        &["RPUSH", "bad", "1", "x"],
        &["HSET", "h_1", "f", "3", "n", "c"],
        &["HSET", "h_2", "f", "1", "n", "a"],
        &["SADD", "s", "5", "1", "3"],
        &["SADD", "words", "pear", "fig", "apple"],
        &[
            "ZADD", "z", "1", "a", "5", "b", "2", "c", "10", "d", "3", "e",
        ],
        &["SORT", "l"],
        &["SORT", "l", "DESC"],
        &["SORT", "l", "ALPHA"],
        &["SORT", "l", "LIMIT", "1", "3"],
        &["SORT", "l", "LIMIT", "-1", "-1"],
        &["SORT", "l", "LIMIT", "100", "1"],
        &["SORT", "l", "LIMIT", "0", "0"],
        &["SORT", "l", "BY", "w_*"],
        &["SORT", "l", "BY", "w_*", "ALPHA"],
        &["SORT", "l", "BY", "h_*->f"],
        &["SORT", "l", "BY", "h_*->n", "ALPHA", "DESC"],
        &["SORT", "l", "BY", "nosort"],
        &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        &["SORT", "l", "BY", "nosort", "BY", "w_*", "GET", "w_*"],
        &[
            "SORT", "z", "BY", "k", "BY", "h_*->f", "DESC", "LIMIT", "1", "2",
        ],
        &["SORT", "l", "BY", "w_*", "ALPHA", "GET", "#"],
        &[
            "SORT", "l", "GET", "#", "GET", "w_*", "GET", "h_*->n", "GET", "const",
        ],
        &["SORT", "l", "BY", "nosort", "GET", "h_*->", "GET", "h_*->f"],
        &["SORT", "s"],
        &["SORT", "s", "DESC", "LIMIT", "0", "2"],
        &["SORT", "words", "ALPHA"],
        &["SORT", "words"],
        &["SORT", "words", "BY", "nosort", "STORE", "out"],
        &["LRANGE", "out", "0", "-1"],
        &["SORT", "z"],
        &["SORT", "z", "ALPHA", "DESC"],
        &["SORT", "z", "BY", "nosort"],
        &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "3"],
        &["SORT", "z", "BY", "nosort", "LIMIT", "-5", "100"],
        &["SORT", "l", "BY", "w_*", "STORE", "out"],
        &["LRANGE", "out", "0", "-1"],
        &["SORT", "l", "GET", "nokey*", "STORE", "out"],
        &["LRANGE", "out", "0", "-1"],
        &["SORT", "missing", "STORE", "out"],
        &["EXISTS", "out"],
        &["SORT", "w_1"],
        &["SORT", "bad"],
        &["SORT", "bad", "ALPHA"],
        &["SORT", "l", "BY", "bad_*"],
        &["SET", "bad_1", "1.5x"],
        &["SORT", "bad", "BY", "bad_*", "STORE", "out"],
        &["SORT", "l", "LIMIT", "x", "1"],
        &["SORT", "l", "LIMIT", "1"],
        &["SORT", "l", "STORE"],
        &["SORT_RO", "l", "STORE", "out"],
        &["SORT_RO", "l", "BY", "w_*", "GET", "#"],
        &["SORT", "l", "NOPE"],
        &["COMMAND", "INFO", "sort", "sort_ro"],
        &[
            "COMMAND", "GETKEYS", "sort", "k", "LIMIT", "0", "1", "GET", "store", "STORE", "d",
        ],
        &["COMMAND", "GETKEYS", "sort_ro", "k", "STORE", "d"],
    ]);
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["SORT", "l", "GET", "#", "GET", "nokey"],
        &["SORT", "z", "BY", "nosort", "STORE", "out"],
        &["COMMAND", "INFO", "sort"],
    ]);
}
