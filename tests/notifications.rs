//! Keyspace notifications: `notify-keyspace-events` and the `__keyspace@<db>__:<key>` and
//! `__keyevent@<db>__:<event>` channels, with Redis's event names for every command thredis
//! has.

mod common;

use std::time::Duration;

use common::real_redis::Pair;
use common::{Raw, TestServer};

/// A subscriber to every keyspace channel of every database, and a client to make changes,
/// on a server with `notify-keyspace-events` set to `classes`.
fn listening(server: &TestServer, classes: &str) -> (Raw, Raw) {
    let (mut listener, mut client) = (server.raw(), server.raw());
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "notify-keyspace-events", classes]),
        "+OK\r\n"
    );
    listener.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    (listener, client)
}

/// Reads the next notification as `channel payload`.
fn next(listener: &mut Raw) -> String {
    let text = listener.reply_text();
    let parts: Vec<&str> = text.split("\r\n").collect();
    // *4 $8 pmessage $n pattern $n channel $n payload
    assert_eq!(parts[2], "pmessage", "{text}");
    format!("{} {}", parts[6], parts[8])
}

/// The next notifications, `count` of them.
fn next_n(listener: &mut Raw, count: usize) -> Vec<String> {
    (0..count).map(|_| next(listener)).collect()
}

#[test]
fn notifications_are_off_by_default() {
    let server = TestServer::start();
    let (mut listener, mut client) = (server.raw(), server.raw());
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
        "*2\r\n$22\r\nnotify-keyspace-events\r\n$0\r\n\r\n"
    );
    listener.cmd(&["PSUBSCRIBE", "*"]);
    client.cmd(&["SET", "k", "v"]);
    assert!(listener.nothing_within(Duration::from_millis(100)));
}

#[test]
fn config_prints_the_classes_back_in_redis_order() {
    let server = TestServer::start();
    let mut client = server.raw();
    for (set, shown) in [
        ("gKE", "gKE"),
        ("$lshzxeKE", "$lshzxeKE"),
        ("KA", "AK"),
        ("EA", "AE"),
        ("$lshzxeKEtmdn", "$lshzxetdnKEm"),
        ("AKEnm", "AKEm"),
        ("", ""),
    ] {
        client.cmd(&["CONFIG", "SET", "notify-keyspace-events", set]);
        assert_eq!(
            client.cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
            format!(
                "*2\r\n$22\r\nnotify-keyspace-events\r\n${}\r\n{shown}\r\n",
                shown.len()
            )
        );
    }
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEQ"]),
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n"
    );
}

#[test]
fn notify_keyspace_events_can_be_set_at_startup() {
    let server = TestServer::with_args(&["--notify-keyspace-events", "KEA"]);
    let mut client = server.raw();
    assert!(
        client
            .cmd(&["CONFIG", "GET", "notify-keyspace-events"])
            .ends_with("$3\r\nAKE\r\n")
    );
}

#[test]
fn a_change_is_published_on_the_keyspace_and_the_keyevent_channel() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "KEA");
    client.cmd(&["SELECT", "3"]);
    client.cmd(&["SET", "foo", "bar"]);
    assert_eq!(
        next_n(&mut listener, 2),
        ["__keyspace@3__:foo set", "__keyevent@3__:set foo"]
    );
}

#[test]
fn only_the_classes_asked_for_are_published() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "Kg");
    client.cmd(&["SET", "foo", "bar"]);
    client.cmd(&["EXPIRE", "foo", "100"]);
    client.cmd(&["DEL", "foo"]);
    assert_eq!(
        next_n(&mut listener, 2),
        ["__keyspace@0__:foo expire", "__keyspace@0__:foo del"]
    );
    // Classes without K or E publish nothing.
    client.cmd(&["CONFIG", "SET", "notify-keyspace-events", "g$"]);
    client.cmd(&["SET", "foo", "bar"]);
    client.cmd(&["DEL", "foo"]);
    assert!(listener.nothing_within(Duration::from_millis(100)));
}

#[test]
fn string_commands_raise_redis_events() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "E$g");
    for command in [
        &["SET", "s", "v", "EX", "100"][..],
        &["SETNX", "s", "v"],
        &["SETNX", "n", "v"],
        &["SETEX", "e", "10", "v"],
        &["GETSET", "n", "w"],
        &["GETDEL", "n"],
        &["GETEX", "s", "PERSIST"],
        &["GETEX", "s", "PX", "5000"],
        &["GETEX", "s", "PXAT", "1"],
        &["MSET", "a", "1", "b", "2"],
        &["APPEND", "a", "x"],
        &["SETRANGE", "a", "0", "z"],
        &["INCR", "i"],
        &["DECRBY", "i", "3"],
        &["INCRBYFLOAT", "f", "1.5"],
    ] {
        client.cmd(command);
    }
    let events: Vec<String> = next_n(&mut listener, 17)
        .into_iter()
        .map(|n| n.trim_start_matches("__keyevent@0__:").to_string())
        .collect();
    assert_eq!(
        events,
        [
            "set s",
            "expire s",
            "set n",
            "set e",
            "expire e",
            "set n",
            "del n",
            "persist s",
            "expire s",
            "del s",
            "set a",
            "set b",
            "append a",
            "setrange a",
            "incrby i",
            "incrby i",
            "incrbyfloat f",
        ]
    );
    assert!(listener.nothing_within(Duration::from_millis(100)));
}

#[test]
fn key_commands_raise_redis_events_in_the_right_databases() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "Eg");
    client.cmd(&["MSET", "a", "1", "b", "2", "c", "3"]);
    for command in [
        &["RENAME", "a", "r"][..],
        &["COPY", "r", "c", "REPLACE"],
        &["COPY", "r", "x", "DB", "1"],
        &["MOVE", "b", "2"],
        &["EXPIRE", "c", "100"],
        &["PERSIST", "c"],
        &["PERSIST", "c"],
        &["PEXPIREAT", "c", "1"],
        &["DEL", "r", "missing"],
        &["UNLINK", "nothing"],
    ] {
        client.cmd(command);
    }
    assert_eq!(
        next_n(&mut listener, 9),
        [
            "__keyevent@0__:rename_from a",
            "__keyevent@0__:rename_to r",
            "__keyevent@0__:copy_to c",
            "__keyevent@1__:copy_to x",
            "__keyevent@0__:move_from b",
            "__keyevent@2__:move_to b",
            "__keyevent@0__:expire c",
            "__keyevent@0__:persist c",
            "__keyevent@0__:del c",
        ]
    );
    assert_eq!(next(&mut listener), "__keyevent@0__:del r");
    assert!(listener.nothing_within(Duration::from_millis(100)));
}

#[test]
fn an_expired_key_raises_expired_when_it_is_removed() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "Ex");
    client.cmd(&["PSETEX", "temp", "50", "v"]);
    // The background sweep removes it without anyone asking.
    assert_eq!(next(&mut listener), "__keyevent@0__:expired temp");
}

#[test]
fn new_is_raised_only_when_a_key_is_created() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "En");
    client.cmd(&["SET", "foo", "bar"]);
    client.cmd(&["SET", "foo", "baz"]);
    client.cmd(&["INCR", "counter"]);
    client.cmd(&["RENAME", "foo", "bar"]);
    assert_eq!(
        next_n(&mut listener, 3),
        [
            "__keyevent@0__:new foo",
            "__keyevent@0__:new counter",
            "__keyevent@0__:new bar"
        ]
    );
    assert!(listener.nothing_within(Duration::from_millis(100)));
}

#[test]
fn a_read_that_finds_nothing_raises_keymiss() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "Km");
    client.cmd(&["SET", "here", "v"]);
    client.cmd(&["GET", "here"]);
    client.cmd(&["GET", "gone"]);
    client.cmd(&["EXISTS", "absent"]);
    // OBJECT looks without notifying, as in Redis.
    client.cmd(&["OBJECT", "ENCODING", "quiet"]);
    client.cmd(&["MGET", "here", "m"]);
    assert_eq!(
        next_n(&mut listener, 3),
        [
            "__keyspace@0__:gone keymiss",
            "__keyspace@0__:absent keymiss",
            "__keyspace@0__:m keymiss"
        ]
    );
    assert!(listener.nothing_within(Duration::from_millis(100)));
}

#[test]
fn a_transactions_events_are_published_in_order_after_it_ran() {
    let server = TestServer::start();
    let (mut listener, mut client) = listening(&server, "K$");
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "a", "1"]);
    client.cmd(&["INCR", "a"]);
    client.cmd(&["APPEND", "a", "0"]);
    assert!(
        listener.nothing_within(Duration::from_millis(50)),
        "queued only"
    );
    client.cmd(&["EXEC"]);
    assert_eq!(
        next_n(&mut listener, 3),
        [
            "__keyspace@0__:a set",
            "__keyspace@0__:a incrby",
            "__keyspace@0__:a append"
        ]
    );
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn notifications_match_redis() {
    let mut pair = Pair::new();
    let (mut redis_listener, mut thredis_listener) = pair.connect_again();
    pair.same(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    redis_listener.cmd(&["PSUBSCRIBE", "*"]);
    thredis_listener.cmd(&["PSUBSCRIBE", "*"]);
    pair.each(&[
        &["SET", "foo", "bar", "PX", "100000"],
        &["SETEX", "e", "10", "v"],
        &["GETSET", "foo", "x"],
        &["GETEX", "foo", "EXAT", "1"],
        &["MSETNX", "m1", "1", "m2", "2"],
        &["APPEND", "m1", "x"],
        &["SETRANGE", "m3", "2", "zz"],
        &["INCRBY", "n", "5"],
        &["INCRBYFLOAT", "f", "0.5"],
        &["RENAME", "m1", "m4"],
        &["COPY", "m4", "m2", "REPLACE"],
        &["MOVE", "m2", "5"],
        &["EXPIRE", "m4", "100"],
        &["PERSIST", "m4"],
        &["DEL", "m4", "e", "nothing"],
    ]);
    let expected = redis_listener.replies_until_quiet(Duration::from_millis(300));
    let actual = thredis_listener.replies_until_quiet(Duration::from_millis(300));
    assert!(expected.len() > 20, "{expected:?}");
    assert_eq!(actual, expected);
}
