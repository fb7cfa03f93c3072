//! `DEBUG`'s subcommands that test suites drive the server with: sample replies of every RESP
//! type, keys made in bulk, errors on demand, the switches that pause the cron thread or skip
//! RDB checksums, and a new replication ID. Each against the real binary.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{TestServer, query, scratch_dir, wait_until};

fn debug_server() -> TestServer {
    TestServer::with_args(&["--enable-debug-command", "yes"])
}

#[test]
fn protocol_samples_every_resp_type_in_both_protocols() {
    let server = debug_server();
    let mut raw = server.raw();
    let resp2 = [
        ("string", "$11\r\nHello World\r\n"),
        ("integer", ":12345\r\n"),
        ("double", "$5\r\n3.141\r\n"),
        ("bignum", "$37\r\n1234567999999999999999999999999999999\r\n"),
        ("null", "$-1\r\n"),
        ("array", "*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("set", "*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"),
        (
            "attrib",
            "$39\r\nSome real reply following the attribute\r\n",
        ),
        ("verbatim", "$25\r\nThis is a verbatim\nstring\r\n"),
        ("true", ":1\r\n"),
        ("false", ":0\r\n"),
    ];
    for (kind, expected) in resp2 {
        assert_eq!(raw.cmd(&["DEBUG", "PROTOCOL", kind]), expected, "{kind}");
    }
    assert_eq!(
        raw.cmd(&["DEBUG", "PROTOCOL", "push"]),
        "-ERR RESP2 is not supported by this command\r\n"
    );
    raw.cmd(&["HELLO", "3"]);
    let resp3 = [
        ("double", ",3.141\r\n"),
        ("bignum", "(1234567999999999999999999999999999999\r\n"),
        ("null", "_\r\n"),
        ("set", "~3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
        (
            "attrib",
            "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
        ),
        (
            "push",
            ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n",
        ),
        ("verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n"),
        ("true", "#t\r\n"),
    ];
    for (kind, expected) in resp3 {
        let mut got = raw.cmd(&["DEBUG", "PROTOCOL", kind]);
        if kind == "attrib" || kind == "push" {
            // The attributes (or push) and the reply after them read as two replies.
            got += &raw.reply_text();
        }
        assert_eq!(got, expected, "{kind}");
    }
    assert_eq!(
        raw.cmd(&["DEBUG", "PROTOCOL", "nope"]),
        "-ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n"
    );
}

#[test]
fn populate_makes_keys_in_bulk_and_keeps_existing_ones() {
    let server = debug_server();
    let mut client = server.client();
    let _: () = query(&mut client, &["SET", "key:1", "mine"]);
    let _: () = query(&mut client, &["DEBUG", "POPULATE", "1000"]);
    assert_eq!(query::<i64>(&mut client, &["DBSIZE"]), 1000);
    assert_eq!(
        query::<String>(&mut client, &["GET", "key:999"]),
        "value:999"
    );
    assert_eq!(query::<String>(&mut client, &["GET", "key:1"]), "mine");

    let _: () = query(&mut client, &["DEBUG", "POPULATE", "2", "big", "10"]);
    assert_eq!(
        query::<Vec<u8>>(&mut client, &["GET", "big:1"]),
        b"value:1\0\0\0"
    );
    let _: () = query(&mut client, &["DEBUG", "POPULATE", "1", "short", "3"]);
    assert_eq!(query::<String>(&mut client, &["GET", "short:0"]), "val");

    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["DEBUG", "POPULATE", "-1"]),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(
        raw.cmd(&["DEBUG", "POPULATE", "x"]),
        "-ERR value is out of range, must be positive\r\n"
    );
}

#[test]
fn populated_keys_are_not_journaled() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes", "--appendonly", "yes"]);
    let mut raw = server.raw();
    raw.cmd(&["DEBUG", "POPULATE", "10"]);
    raw.cmd(&["SET", "journaled", "1"]);
    // A reload from the AOF keeps what was journaled and nothing else, as in Redis.
    assert_eq!(raw.cmd(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DBSIZE"]), ":1\r\n");
}

#[test]
fn error_replies_with_the_text_on_one_line() {
    let server = debug_server();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["DEBUG", "ERROR", "WRONGTYPE made\nup"]),
        "-WRONGTYPE made up\r\n"
    );
    assert_eq!(
        raw.cmd(&["DEBUG", "STRINGMATCH-TEST"]),
        "+Apparently Redis did not crash: test passed\r\n"
    );
}

#[test]
fn change_repl_id_draws_a_new_replication_id() {
    let server = debug_server();
    let mut client = server.client();
    let replid = |client: &mut redis::Connection| {
        let info: String = query(client, &["INFO", "replication"]);
        info.lines()
            .find(|line| line.starts_with("master_replid:"))
            .expect("master_replid")
            .to_string()
    };
    let before = replid(&mut client);
    assert_eq!(before.len(), "master_replid:".len() + 40);
    let _: () = query(&mut client, &["DEBUG", "CHANGE-REPL-ID"]);
    let after = replid(&mut client);
    assert_ne!(before, after);
    assert!(server.logged("Changing replication IDs after receiving DEBUG change-repl-id"));
}

#[test]
fn a_paused_cron_leaves_a_signalled_shutdown_for_shutdown_abort_to_cancel() {
    let mut server = debug_server();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["SHUTDOWN", "ABORT"]),
        "-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(raw.cmd(&["DEBUG", "PAUSE-CRON", "1"]), "+OK\r\n");
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    assert!(wait_until(Duration::from_secs(5), || server
        .logged("Received SIGTERM scheduling shutdown...")));
    assert_eq!(raw.cmd(&["SHUTDOWN", "ABORT"]), "+OK\r\n");
    assert!(server.logged("Shutdown manually aborted."));
    assert_eq!(raw.cmd(&["DEBUG", "PAUSE-CRON", "0"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["PING"]), "+PONG\r\n");

    // Not paused, the cron thread carries the next signal out.
    Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    let status = server.wait_exit(Duration::from_secs(10)).expect("exits");
    assert!(status.success());
}

#[test]
fn skip_checksum_validation_loads_an_rdb_file_with_a_wrong_crc() {
    let dir = scratch_dir("skip-checksum");
    let server = TestServer::in_dir(&dir, &["--enable-debug-command", "yes"]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "k", "v"]);
    assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
    // Damage the CRC-64 trailer: the last byte of the file.
    let path = dir.join("dump.rdb");
    let mut bytes = std::fs::read(&path).expect("dump.rdb");
    *bytes.last_mut().expect("not empty") ^= 0xff;
    std::fs::write(&path, bytes).expect("rewritten");

    assert_eq!(
        raw.cmd(&["DEBUG", "RELOAD", "NOSAVE"]),
        "-ERR Error trying to load the RDB dump\r\n"
    );
    assert_eq!(
        raw.cmd(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]),
        "+OK\r\n"
    );
    assert_eq!(raw.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn aof_flush_sleep_delays_writes_without_losing_them() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes", "--appendonly", "yes"]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["DEBUG", "AOF-FLUSH-SLEEP", "1000"]), "+OK\r\n");
    raw.cmd(&["SET", "k", "v"]);
    assert_eq!(raw.cmd(&["DEBUG", "AOF-FLUSH-SLEEP", "0"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn replybuffer_settings_are_checked_as_redis_checks_them() {
    let server = debug_server();
    let mut client = server.raw();
    for value in ["never", "RESET", "100"] {
        let reply = client.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", value]);
        assert_eq!(reply, "+OK\r\n");
    }
    assert_eq!(
        client.cmd(&["DEBUG", "REPLYBUFFER", "peak-reset-time", "soon"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        client.cmd(&["DEBUG", "REPLYBUFFER", "RESIZING", "0"]),
        "+OK\r\n"
    );
    assert_eq!(
        client.cmd(&["DEBUG", "REPLYBUFFER", "SHRINK", "1"]),
        "-ERR unknown subcommand 'SHRINK'. Try DEBUG HELP.\r\n"
    );
}
