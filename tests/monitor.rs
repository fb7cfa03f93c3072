//! MONITOR (`monitor.rs`, `commands/monitor.rs`): the exact line format, escaping and
//! redaction, which commands are shown (not admin ones, not refused ones), transactions in
//! order, the `O` flag, RESET leaving monitor mode, Unix socket clients, and a monitor that
//! stops reading being disconnected without holding anybody up.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{Raw, TestServer, resp};

/// A connection in monitor mode.
fn monitor(server: &TestServer) -> Raw {
    let mut monitor = server.raw();
    assert_eq!(monitor.cmd(&["MONITOR"]), "+OK\r\n");
    monitor
}

/// The next monitor line, without its timestamp: `[db client] "arg" ...`.
fn next_line(monitor: &mut Raw) -> String {
    let line = monitor.reply_text();
    let (stamp, rest) = line.split_once(' ').expect("a timestamp, then the rest");
    let (seconds, micros) = stamp[1..].split_once('.').expect("seconds.micros");
    assert!(
        seconds.parse::<u64>().is_ok() && micros.len() == 6,
        "{line}"
    );
    rest.trim_end().to_string()
}

/// The `[db addr]` part of a line, for a connection.
fn client_part(raw: &mut Raw, db: usize) -> String {
    let info = raw.cmd(&["CLIENT", "INFO"]);
    let addr = info
        .split(' ')
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap()
        .to_string();
    format!("[{db} {addr}]")
}

#[test]
fn lines_show_the_database_the_client_and_quoted_arguments() {
    let server = TestServer::start();
    let mut client = server.raw();
    let me = client_part(&mut client, 0);
    let mut monitor = monitor(&server);
    client.run_all(&[&["SET", "foo", "bar"], &["GET", "foo"]]);
    assert_eq!(
        next_line(&mut monitor),
        format!("{me} \"SET\" \"foo\" \"bar\"")
    );
    assert_eq!(next_line(&mut monitor), format!("{me} \"GET\" \"foo\""));
    client.send(&resp(&[
        "SET",
        "quote\"back\\slash",
        "\n\r\t\x07\x08\x01 ~\x7f",
    ]));
    client.reply();
    assert_eq!(
        next_line(&mut monitor),
        format!("{me} \"SET\" \"quote\\\"back\\\\slash\" \"\\n\\r\\t\\a\\b\\x01 ~\\x7f\"")
    );
    client.run_all(&[&["SELECT", "3"]]);
    let me3 = me.replacen("[0 ", "[3 ", 1);
    assert_eq!(next_line(&mut monitor), format!("{me3} \"SELECT\" \"3\""));
}

#[test]
fn admin_and_refused_commands_are_not_shown_and_secrets_are_redacted() {
    let server = TestServer::start();
    let mut monitor = monitor(&server);
    let mut client = server.raw();
    client.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    client.cmd(&["SET", "only-one-arg"]);
    client.cmd(&["NOSUCHCOMMAND"]);
    client.cmd(&["AUTH", "not-real"]);
    client.cmd(&["AUTH", "user", "not-a-password"]);
    client.cmd(&["HELLO", "2", "AUTH", "user", "pass"]);
    client.cmd(&["PING"]);
    assert!(next_line(&mut monitor).ends_with("\"AUTH\" \"(redacted)\""));
    assert!(next_line(&mut monitor).ends_with("\"AUTH\" \"(redacted)\" \"(redacted)\""));
    assert!(
        next_line(&mut monitor).ends_with("\"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"")
    );
    assert!(next_line(&mut monitor).ends_with("\"PING\""));
}

#[test]
fn transactions_show_multi_then_what_exec_ran_then_exec() {
    let server = TestServer::start();
    let mut monitor = monitor(&server);
    let mut client = server.raw();
    client.run_all(&[&["MULTI"], &["SET", "foo", "bar"], &["EXEC"]]);
    assert!(next_line(&mut monitor).ends_with("\"MULTI\""));
    assert!(next_line(&mut monitor).ends_with("\"SET\" \"foo\" \"bar\""));
    assert!(next_line(&mut monitor).ends_with("\"EXEC\""));
    client.cmd(&["MULTI"]);
    client.cmd(&["SYNTAX", "ERROR"]);
    client.cmd(&["EXEC"]);
    assert!(next_line(&mut monitor).ends_with("\"MULTI\""));
    assert!(next_line(&mut monitor).ends_with("\"EXEC\""));
}

#[test]
fn monitors_are_flagged_and_reset_ends_monitor_mode() {
    let server = TestServer::start();
    let mut monitor = monitor(&server);
    let mut client = server.raw();
    assert!(client.cmd(&["CLIENT", "LIST"]).contains("flags=O "));
    // A second MONITOR gets no reply at all, as from Redis; PING's PONG comes next, then
    // the monitor's own line for it.
    monitor.send(&resp(&["MONITOR"]));
    monitor.send(&resp(&["PING"]));
    assert_eq!(monitor.reply_text(), "+PONG\r\n");
    assert!(next_line(&mut monitor).ends_with("\"PING\""));
    assert_eq!(monitor.cmd(&["RESET"]), "+RESET\r\n");
    assert!(!client.cmd(&["CLIENT", "LIST"]).contains("flags=O "));
    client.run_all(&[&["SET", "unseen", "1"]]);
    assert!(monitor.nothing_within(Duration::from_millis(200)));
    // Inside a transaction MONITOR is refused when EXEC runs it.
    client.run_all(&[&["MULTI"], &["MONITOR"]]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
    );
}

#[test]
fn unix_socket_clients_are_named_by_the_servers_socket() {
    let server = TestServer::with_unix_socket(&[]);
    let mut monitor = monitor(&server);
    let path = server.unix_socket();
    let mut client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    std::io::Write::write_all(&mut client, &resp(&["PING"])).unwrap();
    let mut pong = [0u8; 7];
    client.read_exact(&mut pong).unwrap();
    let expected = format!("[0 unix:{}] \"PING\"", path.display());
    assert_eq!(next_line(&mut monitor), expected);
}

#[test]
fn a_monitor_that_stops_reading_is_disconnected_and_others_go_on() {
    let server = TestServer::with_args(&["--client-output-buffer-limit", "normal 256kb 0 0"]);
    let mut stalled = server.raw();
    assert_eq!(stalled.cmd(&["MONITOR"]), "+OK\r\n");
    let mut client = server.raw();
    let value = "v".repeat(16 * 1024);
    for i in 0..400 {
        assert_eq!(client.cmd(&["SET", &format!("k{i}"), &value]), "+OK\r\n");
    }
    let gone = common::wait_until(Duration::from_secs(10), || {
        !client.cmd(&["CLIENT", "LIST"]).contains("flags=O ")
    });
    assert!(gone, "the stalled monitor is disconnected");
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

/// The lines a monitor sees for `commands` sent by another connection to the server on `port`,
/// up to a final PING, each without its timestamp and with the client's address as `ADDR`.
fn lines_seen(port: u16, commands: &[&[&str]]) -> Vec<String> {
    let mut client = Raw::connect(port);
    let me = client_part(&mut client, 0);
    let addr = &me[3..me.len() - 1];
    let mut monitor = Raw::connect(port);
    assert_eq!(monitor.cmd(&["MONITOR"]), "+OK\r\n");
    for args in commands {
        client.cmd(args);
    }
    client.cmd(&["PING"]);
    let mut lines = Vec::new();
    while lines.len() < 50 {
        let line = next_line(&mut monitor).replace(addr, "ADDR");
        let done = line.ends_with("\"PING\"");
        lines.push(line);
        if done {
            break;
        }
    }
    lines
}

#[test]
#[ignore = "needs redis-server: compares MONITOR lines with redis-server's"]
fn lines_match_redis_server() {
    let redis = common::real_redis::RealRedis::start();
    let thredis = TestServer::start();
    let commands: &[&[&str]] = &[
        &["SET", "key", "quote\"new\nline\x01\u{e9}"],
        &["SELECT", "2"],
        &["INCR", "counter"],
        &["AUTH", "nobody", "secret"],
        &["HELLO", "2", "AUTH", "nobody", "secret", "SETNAME", "n"],
        &["CONFIG", "GET", "port"],
        &["SET", "wrong-arity"],
        &["MULTI"],
        &["LPUSH", "list", "a"],
        &["EXEC"],
        &["SELECT", "0"],
    ];
    let expected = lines_seen(redis.port, commands);
    assert_eq!(lines_seen(thredis.port, commands), expected);
}
