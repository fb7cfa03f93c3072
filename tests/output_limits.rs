//! `client-output-buffer-limit normal`: replies a client has not read count as its output
//! (`omem`), and a client whose output passes its limit is closed without them. A client that
//! does not read does not stop its connection from running its requests, as in Redis.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::{Raw, TestServer, resp, wait_until};

/// `client-output-buffer-limit normal 100000 0 0`: a hard limit only.
fn limit_normal_clients_to_100_kb(admin: &mut Raw) {
    let reply = admin.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 100000 0 0",
    ]);
    assert_eq!(reply, "+OK\r\n");
}

#[test]
fn a_reply_past_the_hard_limit_closes_the_client_without_a_byte_of_it() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let item = "x".repeat(1000);
    for _ in 0..150 {
        admin.cmd(&["RPUSH", "list", &item]);
    }
    limit_normal_clients_to_100_kb(&mut admin);
    let mut client = server.raw();
    client.send(&resp(&["LRANGE", "list", "0", "-1"]));
    assert_eq!(client.read_to_close(), b"");
    assert!(wait_until(Duration::from_secs(5), || {
        server.logged("scheduled to be closed ASAP for overcoming of output buffer limits")
    }));
    // Below the limit, replies flow as usual.
    let mut other = server.raw();
    assert!(
        other
            .cmd(&["LRANGE", "list", "0", "10"])
            .starts_with("*11\r\n")
    );
}

#[test]
fn the_limit_applies_to_a_whole_pipelined_batch() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["SET", "big", &"x".repeat(10_000)]);
    limit_normal_clients_to_100_kb(&mut admin);
    let mut client = server.raw();
    // 150 KB of replies to requests sent at once: not even the first ones are sent.
    client.send(&resp(&["GET", "big"]).repeat(15));
    assert_eq!(client.read_to_close(), b"");
}

#[test]
fn a_client_that_does_not_read_has_its_replies_counted_and_is_closed_past_the_limit() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["SETRANGE", "k", "1000000", "v"]);
    let mut greedy = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    greedy
        .write_all(&resp(&["CLIENT", "SETNAME", "greedy"]))
        .unwrap();
    let omem = |admin: &mut common::Raw| -> Option<u64> {
        let list = admin.cmd(&["CLIENT", "LIST"]);
        let line = list.lines().find(|line| line.contains("name=greedy"))?;
        line.split(' ')
            .find_map(|p| p.strip_prefix("omem="))
            .map(|v| v.parse().unwrap())
    };
    // Its requests keep being served though it reads no reply: the output grows in memory,
    // past what the socket's buffers hold.
    assert!(wait_until(Duration::from_secs(20), || {
        greedy.write_all(&resp(&["GET", "k"])).unwrap();
        omem(&mut admin).is_some_and(|omem| omem > 20_000_000)
    }));
    admin.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 10mb 0 0",
    ]);
    // The next reply it gets passes the limit.
    greedy.write_all(&resp(&["GET", "k"])).unwrap();
    assert!(wait_until(Duration::from_secs(5), || omem(&mut admin).is_none()));
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
}
