//! CLIENT PAUSE / UNPAUSE (`pause.rs`, `commands/pause.rs`): what WRITE and ALL hold back,
//! held commands answered in order once the pause ends (by UNPAUSE or its timeout), EXEC of a
//! write waiting, a pause queued in a transaction starting at its end, expiry standing still,
//! and Redis's errors.

mod common;

use std::time::Duration;

use common::{TestServer, resp};

#[test]
fn write_pauses_hold_writes_and_may_replicate_commands_but_not_reads() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[
        &["SET", "foo", "bar"],
        &["CLIENT", "PAUSE", "100000", "WRITE"],
    ]);
    let mut reader = server.raw();
    assert_eq!(reader.cmd(&["GET", "foo"]), "$3\r\nbar\r\n");
    assert_eq!(reader.cmd(&["PING"]), "+PONG\r\n");
    let mut writer = server.raw();
    writer.send(&resp(&["SET", "foo", "new"]));
    let mut publisher = server.raw();
    publisher.send(&resp(&["PUBLISH", "channel", "message"]));
    admin.wait_for_blocked(2);
    assert!(writer.nothing_within(Duration::from_millis(100)));
    assert!(admin.cmd(&["CLIENT", "LIST"]).contains("flags=b "));
    // Held, not waiting with a timeout of their own (Redis's `bpop.timeout = 0`).
    assert!(
        admin
            .cmd(&["INFO", "clients"])
            .contains("clients_in_timeout_table:0\r\n")
    );
    assert_eq!(
        reader.cmd(&["GET", "foo"]),
        "$3\r\nbar\r\n",
        "not applied yet"
    );
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(writer.reply_text(), "+OK\r\n");
    assert_eq!(publisher.reply_text(), ":0\r\n");
    assert_eq!(reader.cmd(&["GET", "foo"]), "$3\r\nnew\r\n");
    admin.wait_for_blocked(0);
}

#[test]
fn all_pauses_hold_every_command_until_the_timeout() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[&["CLIENT", "PAUSE", "1000"]]);
    let mut reader = server.raw();
    reader.send(&resp(&["PING"]));
    assert!(reader.nothing_within(Duration::from_millis(100)));
    // The pause ends by itself; the held PING is answered then.
    assert_eq!(reader.reply_text(), "+PONG\r\n");
}

#[test]
fn held_clients_run_in_the_order_they_were_held() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[&["CLIENT", "PAUSE", "100000", "WRITE"]]);
    let mut clients: Vec<_> = (0..3).map(|_| server.raw()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.send(&resp(&["RPUSH", "order", &i.to_string()]));
        admin.wait_for_blocked(i + 1);
    }
    admin.run_all(&[&["CLIENT", "UNPAUSE"]]);
    for client in &mut clients {
        assert!(client.reply_text().starts_with(':'));
    }
    assert_eq!(
        admin.cmd(&["LRANGE", "order", "0", "-1"]),
        "*3\r\n$1\r\n0\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
}

#[test]
fn exec_of_a_write_waits_and_a_pause_in_a_transaction_starts_at_its_end() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let mut client = server.raw();
    client.run_all(&[&["MULTI"], &["SET", "a", "1"]]);
    admin.run_all(&[&["CLIENT", "PAUSE", "100000", "WRITE"]]);
    client.send(&resp(&["EXEC"]));
    admin.wait_for_blocked(1);
    // A read-only transaction goes on.
    let mut reader = server.raw();
    reader.run_all(&[&["MULTI"], &["GET", "a"]]);
    assert_eq!(reader.cmd(&["EXEC"]), "*1\r\n$-1\r\n");
    admin.run_all(&[&["CLIENT", "UNPAUSE"]]);
    assert_eq!(client.reply_text(), "*1\r\n+OK\r\n");
    // Queued in a transaction, the pause starts once EXEC is done: its later write ran.
    admin.run_all(&[
        &["MULTI"],
        &["SET", "b", "1"],
        &["CLIENT", "PAUSE", "100000", "WRITE"],
        &["SET", "c", "1"],
        &["EXEC"],
    ]);
    assert_eq!(
        reader.cmd(&["MGET", "b", "c"]),
        "*2\r\n$1\r\n1\r\n$1\r\n1\r\n"
    );
    client.send(&resp(&["SET", "d", "1"]));
    admin.wait_for_blocked(1);
    admin.run_all(&[&["CLIENT", "UNPAUSE"]]);
    assert_eq!(client.reply_text(), "+OK\r\n");
}

#[test]
fn keys_do_not_expire_during_a_pause() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[
        &["SET", "k", "v", "PX", "200"],
        &["CLIENT", "PAUSE", "100000", "WRITE"],
    ]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(admin.cmd(&["GET", "k"]), "$-1\r\n", "logically expired");
    assert!(admin.cmd(&["INFO", "stats"]).contains("expired_keys:0\r\n"));
    admin.run_all(&[&["CLIENT", "UNPAUSE"]]);
    admin.cmd(&["GET", "k"]);
    assert!(admin.cmd(&["INFO", "stats"]).contains("expired_keys:1\r\n"));
}

#[test]
fn errors_match_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let cases: [(&[&str], &str); 5] = [
        (
            &["CLIENT", "PAUSE", "10", "x"],
            "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n",
        ),
        (
            &["CLIENT", "PAUSE", "x"],
            "-ERR timeout is not an integer or out of range\r\n",
        ),
        (&["CLIENT", "PAUSE", "-1"], "-ERR timeout is negative\r\n"),
        (
            &["CLIENT", "PAUSE", "1", "all", "x"],
            "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n",
        ),
        (
            &["CLIENT", "UNPAUSE", "x"],
            "-ERR wrong number of arguments for 'client|unpause' command\r\n",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(raw.cmd(args), expected, "{args:?}");
    }
    // Syntax errors are answered at once, even paused.
    raw.run_all(&[&["CLIENT", "PAUSE", "100000", "WRITE"]]);
    assert_eq!(
        raw.cmd(&["SET", "only"]),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    raw.run_all(&[&["CLIENT", "UNPAUSE"]]);
}

#[test]
#[ignore = "needs redis-server: compares replies byte for byte"]
fn replies_match_redis_server() {
    let mut pair = common::real_redis::Pair::new();
    pair.each(&[
        &["CLIENT", "PAUSE", "10", "x"],
        &["CLIENT", "PAUSE", "x"],
        &["CLIENT", "PAUSE", "-1"],
        &["CLIENT", "PAUSE", "1", "all", "x"],
        &["CLIENT", "PAUSE"],
        &["CLIENT", "UNPAUSE", "x"],
        &["CLIENT", "PAUSE", "0", "WRITE"],
        &["CLIENT", "UNPAUSE"],
        &["CLIENT", "NO-EVICT", "maybe"],
        &["CLIENT", "NO-EVICT", "on"],
        &["CLIENT", "NO-EVICT", "OFF"],
        &["OBJECT", "HELP"],
        &[
            "COMMAND",
            "INFO",
            "client|pause",
            "client|unpause",
            "monitor",
        ],
    ]);
}

#[test]
fn a_write_pause_lets_scripts_that_declare_no_writes_run() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[&["CLIENT", "PAUSE", "100000", "WRITE"]]);
    let mut client = server.raw();
    // Its flags, not EVAL's row, say whether it may write (Redis's scriptFlagsToCmdFlags).
    assert_eq!(
        client.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 'read'", "0"]),
        "$4\r\nread\r\n"
    );
    // The _RO forms never replicate (no `may_replicate` on their rows): they run too.
    assert_eq!(client.cmd(&["EVAL_RO", "return 'ro'", "0"]), "$2\r\nro\r\n");
    let mut writer = server.raw();
    writer.send(&resp(&[
        "EVAL",
        "#!lua\nreturn redis.call('SET', 'k', 'v')",
        "0",
    ]));
    admin.wait_for_blocked(1);
    assert!(writer.nothing_within(Duration::from_millis(100)));
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(writer.reply_text(), "+OK\r\n");
}
