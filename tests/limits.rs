//! Limits that keep the server healthy under many or misbehaving clients: `maxclients`, idle
//! `timeout`, protected mode, a thousand connections at once, and a client that never reads.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::{Raw, TestServer, non_loopback_address, resp, wait_until};

#[test]
fn clients_past_maxclients_are_refused_with_redis_error() {
    let server = TestServer::with_args(&["--maxclients", "3"]);
    let mut admitted: Vec<Raw> = (0..3).map(|_| server.raw()).collect();
    for client in &mut admitted {
        assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
    }
    let mut refused = server.raw();
    assert_eq!(
        refused.read_to_close(),
        b"-ERR max number of clients reached\r\n"
    );

    // When one leaves, there is room again.
    drop(admitted.pop());
    assert!(wait_until(Duration::from_secs(5), || {
        let mut next = server.raw();
        next.send(&resp(&["PING"]));
        next.reply() == b"+PONG\r\n"
    }));
    let info = admitted[0].cmd(&["INFO", "stats"]);
    assert!(!info.contains("rejected_connections:0\r\n"), "{info}");
}

#[test]
fn an_idle_client_is_closed_after_timeout_while_an_active_one_stays() {
    let server = TestServer::with_args(&["--timeout", "1"]);
    let mut idle = server.raw();
    let mut active = server.raw();
    assert_eq!(idle.cmd(&["PING"]), "+PONG\r\n");
    // Keep one client busy for well past the timeout; the other says nothing.
    let deadline = std::time::Instant::now() + Duration::from_millis(3500);
    while std::time::Instant::now() < deadline {
        assert_eq!(active.cmd(&["PING"]), "+PONG\r\n");
        thread::sleep(Duration::from_millis(200));
    }
    assert!(idle.is_closed(), "the idle client is closed");
    assert_eq!(active.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn protected_mode_refuses_non_loopback_clients_without_a_password() {
    let Some(ip) = non_loopback_address() else {
        eprintln!("skipped: this machine has no non-loopback address to connect from");
        return;
    };
    let server = TestServer::with_args(&["--bind", "0.0.0.0"]);
    // The refusal comes unasked, right after accept. (Sending first would leave unread bytes,
    // and the close would then reset the connection, for Redis as for thredis.)
    let mut stream = TcpStream::connect((ip, server.port)).unwrap();
    let mut reply = Vec::new();
    std::io::Read::read_to_end(&mut stream, &mut reply).unwrap();
    let reply = String::from_utf8(reply).unwrap();
    assert!(
        reply.starts_with(
            "-DENIED Redis is running in protected mode because protected mode is enabled"
        ),
        "{reply}"
    );
    assert!(
        reply.ends_with("from the outside.\r\n") && reply.len() == 1067,
        "{} bytes: {reply}",
        reply.len()
    );
    // Loopback clients are served.
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");

    let open = TestServer::with_args(&["--bind", "0.0.0.0", "--protected-mode", "no"]);
    let mut client = Raw::connect_to(ip, open.port);
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_thousand_connections_are_served_at_once() {
    let server = TestServer::start();
    let mut clients: Vec<Raw> = (0..1000).map(|_| server.raw()).collect();
    for client in &mut clients {
        client.send(&resp(&["PING"]));
    }
    for client in &mut clients {
        assert_eq!(client.reply(), b"+PONG\r\n");
    }
    let info = clients[0].cmd(&["INFO", "clients"]);
    assert!(info.contains("connected_clients:1000\r\n"), "{info}");
}

#[test]
fn a_client_that_never_reads_does_not_stop_the_others() {
    let server = TestServer::start();
    let mut setup = server.raw();
    let value = "x".repeat(100_000);
    setup.cmd(&["SET", "big", &value]);
    // This client asks for 40 MB of replies and never reads them: they pile up in its own
    // output buffer (its thread blocks in write past 64 MB), never in the way of others.
    let mut greedy = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let request = resp(&["GET", "big"]).repeat(400);
    greedy
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = greedy.write_all(&request);
    // Everyone else, reads and writes alike, carries on.
    let mut other = server.raw();
    for i in 0..100 {
        assert_eq!(other.cmd(&["SET", &format!("k{i}"), "v"]), "+OK\r\n");
        assert_eq!(other.cmd(&["GET", &format!("k{i}")]), "$1\r\nv\r\n");
    }
}

#[test]
fn maxclients_is_clamped_to_the_open_file_limit_as_redis_does() {
    // Start the server under `ulimit -n 100` (a hard limit it cannot raise): 100 descriptors,
    // 32 kept for the server, so 68 clients at most.
    let binary = assert_cmd::cargo::cargo_bin!("thredis");
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -n 100 && exec {} --port 0", binary.display()),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let log = std::sync::Mutex::new(String::new());
    let port = common::read_port(&mut stdout, &log);
    let reply = Raw::connect(port).cmd(&["CONFIG", "GET", "maxclients"]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(reply, "*2\r\n$10\r\nmaxclients\r\n$2\r\n68\r\n");
    let log = log.into_inner().unwrap();
    assert!(
        log.contains("maxclients has been reduced to 68 to compensate for low ulimit"),
        "{log}"
    );
}
