//! Listening: the Unix socket (`unixsocket`, `unixsocketperm`) served like a TCP port, and the
//! TCP listeners moved at runtime by `CONFIG SET port` and `CONFIG SET bind`. Expected replies
//! and log lines were checked against redis-server 7.0.15 started with `--unixsocket`.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{
    TestServer, UNIX_SOCKET, free_port, query, resp, run_to_exit, scratch_dir, wait_until,
};

/// Sends `request` over `stream` and reads exactly as many bytes as `expected` has.
fn exchange(stream: &mut UnixStream, request: &[u8], expected: &[u8]) {
    stream.write_all(request).unwrap();
    let mut reply = vec![0; expected.len()];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&reply),
        String::from_utf8_lossy(expected)
    );
}

fn connect_unix(path: &Path) -> UnixStream {
    let stream = UnixStream::connect(path).expect("connects to the Unix socket");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

fn unix_client(server: &TestServer) -> redis::Connection {
    let url = format!("unix://{}", server.unix_socket().display());
    redis::Client::open(url)
        .unwrap()
        .get_connection()
        .expect("connects through unix://")
}

#[test]
fn a_unix_socket_client_gets_the_same_replies_byte_for_byte() {
    let server = TestServer::with_unix_socket(&[]);
    let mut stream = connect_unix(&server.unix_socket());
    exchange(&mut stream, b"PING\r\n", b"+PONG\r\n");
    exchange(&mut stream, &resp(&["SET", "k", "v"]), b"+OK\r\n");
    exchange(&mut stream, &resp(&["GET", "k"]), b"$1\r\nv\r\n");
    // The keyspace is the one TCP clients see.
    assert_eq!(server.raw().cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn the_redis_crate_connects_through_a_unix_url() {
    let server = TestServer::with_unix_socket(&[]);
    let mut client = unix_client(&server);
    let _: () = query(&mut client, &["SET", "greeting", "hello"]);
    let value: String = query(&mut client, &["GET", "greeting"]);
    assert_eq!(value, "hello");
}

#[test]
fn client_list_shows_the_socket_path_as_both_addresses_and_flag_u() {
    let server = TestServer::with_unix_socket(&[]);
    let path = server.unix_socket().display().to_string();
    let info: String = query(&mut unix_client(&server), &["CLIENT", "INFO"]);
    assert!(
        info.contains(&format!("addr={path}:0 laddr={path}:0 ")),
        "{info}"
    );
    assert!(info.contains(" flags=U "), "{info}");
    let tcp: String = query(&mut server.client(), &["CLIENT", "INFO"]);
    assert!(tcp.contains(" addr=127.0.0.1:"), "{tcp}");
    assert!(tcp.contains(" flags=N "), "{tcp}");
}

#[test]
fn client_kill_by_addr_and_laddr_finds_unix_clients() {
    let server = TestServer::with_unix_socket(&[]);
    let target = format!("{}:0", server.unix_socket().display());
    let mut admin = server.raw();
    for filter in ["ADDR", "LADDR"] {
        let mut victim = connect_unix(&server.unix_socket());
        exchange(&mut victim, b"PING\r\n", b"+PONG\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "KILL", filter, &target]), ":1\r\n");
        let mut rest = Vec::new();
        assert_eq!(victim.read_to_end(&mut rest).unwrap(), 0, "killed: closed");
        // Its thread unregisters it as it ends: gone before the next round counts.
        assert!(wait_until(Duration::from_secs(10), || !admin
            .cmd(&["CLIENT", "LIST"])
            .contains(&target)));
    }
}

#[test]
fn the_socket_file_gets_unixsocketperm() {
    let server = TestServer::with_unix_socket(&["--unixsocketperm", "700"]);
    let mode = std::fs::metadata(server.unix_socket())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let perm: Vec<String> = query(&mut server.client(), &["CONFIG", "GET", "unixsocketperm"]);
    assert_eq!(perm, ["unixsocketperm", "700"]);
}

#[test]
fn a_stale_file_at_the_path_is_replaced() {
    let dir = scratch_dir("stale-socket");
    let path = dir.join(UNIX_SOCKET);
    std::fs::write(&path, "left by a crash").unwrap();
    let server = TestServer::in_dir(&dir, &["--unixsocket", path.to_str().unwrap()]);
    let mut stream = connect_unix(&server.unix_socket());
    exchange(&mut stream, b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn shutdown_removes_the_socket_file() {
    let mut server = TestServer::with_unix_socket(&[]);
    let path = server.unix_socket();
    assert!(path.exists());
    let mut stream = connect_unix(&path);
    stream.write_all(&resp(&["SHUTDOWN", "NOSAVE"])).unwrap();
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert!(!path.exists(), "the socket file is gone");
    assert!(server.logged("Removing the unix socket file."));
}

#[test]
fn sigterm_removes_the_socket_file() {
    let mut server = TestServer::with_unix_socket(&[]);
    let path = server.unix_socket();
    let status = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    assert!(!path.exists(), "the socket file is gone");
}

#[test]
fn a_unix_client_is_local_for_protected_mode_and_debug() {
    // Listening on every address, a peer's IP decides; a Unix socket client is local always.
    let server = TestServer::with_unix_socket(&[
        "--protected-mode",
        "yes",
        "--bind",
        "* -::*",
        "--enable-debug-command",
        "local",
    ]);
    let mut stream = connect_unix(&server.unix_socket());
    exchange(&mut stream, b"PING\r\n", b"+PONG\r\n");
    exchange(&mut stream, &resp(&["DEBUG", "SLEEP", "0"]), b"+OK\r\n");
}

#[test]
fn a_socket_that_cannot_be_bound_stops_the_server_with_redis_line() {
    let dir = scratch_dir("unix-fail");
    let missing = dir.join("no-such-dir").join(UNIX_SOCKET);
    let (code, log) = run_to_exit(&dir, &["--unixsocket", missing.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(
        log.contains("Failed opening Unix socket: bind: No such file or directory"),
        "{log}"
    );
}

#[test]
fn startup_logs_the_socket_as_redis_does() {
    let server = TestServer::with_unix_socket(&[]);
    let line = format!(
        "The server is now ready to accept connections at {}",
        server.unix_socket().display()
    );
    assert!(server.logged(&line), "{}", server.log());
}

#[test]
#[ignore = "needs redis-cli: run by .ci/run"]
fn redis_cli_talks_through_the_socket_with_s() {
    let server = TestServer::with_unix_socket(&[]);
    let output = Command::new("redis-cli")
        .arg("-s")
        .arg(server.unix_socket())
        .arg("ping")
        .output()
        .expect("redis-cli runs");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "PONG\n");
}

// ---------------------------------------------------------------- runtime rebinding

fn answers(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut stream| {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    })
}

#[test]
fn config_set_port_moves_the_server_to_the_new_port() {
    let server = TestServer::with_args(&["--bind", "127.0.0.1"]);
    let mut before = server.raw();
    let port = free_port();
    let port_text = port.to_string();
    assert_eq!(
        before.cmd(&["CONFIG", "SET", "port", &port_text]),
        "+OK\r\n"
    );
    assert!(answers(port), "the new port serves");
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "the old port is closed"
    );
    // Clients already connected stay.
    let reply = before.cmd(&["CONFIG", "GET", "port"]);
    assert_eq!(
        reply,
        format!("*2\r\n$4\r\nport\r\n${}\r\n{port}\r\n", port_text.len())
    );
}

#[test]
fn config_set_port_to_a_taken_port_fails_and_the_old_one_still_serves() {
    let server = TestServer::with_args(&["--bind", "127.0.0.1"]);
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "port", &taken_port]),
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
    );
    assert!(answers(server.port));
    assert!(
        admin
            .cmd(&["CONFIG", "GET", "port"])
            .ends_with(&format!("{}\r\n", server.port))
    );
    assert!(server.logged(&format!(
        "Warning: Could not create server TCP listening socket 127.0.0.1:{taken_port}: bind: Address already in use"
    )));
}

#[test]
fn config_set_bind_to_an_unavailable_address_fails_and_the_old_port_still_serves() {
    let server = TestServer::start();
    let mut admin = server.raw();
    // 192.0.2.0/24 is reserved for documentation: no host has it.
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "bind", "192.0.2.1"]),
        "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n"
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "bind"]),
        "*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n"
    );
    assert!(answers(server.port));
    assert!(server.logged("Failed to bind"));
}

#[test]
fn config_set_bind_on_the_same_port_swaps_the_listeners() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "bind", "127.0.0.1"]),
        "+OK\r\n"
    );
    assert!(answers(server.port));
    // An optional address the host lacks is skipped.
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -192.0.2.1"]),
        "+OK\r\n"
    );
    assert!(answers(server.port));
    assert!(
        admin
            .cmd(&["CLIENT", "LIST"])
            .contains(&format!("laddr=127.0.0.1:{} ", server.port))
    );
}
