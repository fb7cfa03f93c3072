//! Replication stages. thredis runs as a master only, so far: stage 24 (a configurable port),
//! 25 (`INFO replication` says `role:master`) and 27 (a replication id and offset 0).

mod common;

use std::net::TcpListener;

use common::TestServer;

#[test]
fn stage_24_listens_on_the_port_given_with_port() {
    // Borrow a free port from the OS, then hand it to the server.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = assert_cmd::cargo::cargo_bin!("thredis");
    let mut child = std::process::Command::new(binary)
        .args(["--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The server on that port must be this one: another test may have taken the port.
    let pid = child.id();
    let connected = common::wait_until(std::time::Duration::from_secs(10), || {
        common::answers_as(port, pid)
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(connected, "nothing listened on port {port}");
}

#[test]
fn stage_25_info_replication_reports_the_master_role() {
    let server = TestServer::start();
    let info = server.raw().cmd(&["INFO", "replication"]);
    assert!(info.contains("# Replication\r\nrole:master\r\n"), "{info}");
}

#[test]
fn stage_27_info_replication_has_a_replication_id_and_offset_0() {
    let server = TestServer::start();
    let info = server.raw().cmd(&["INFO", "replication"]);
    let replid = info
        .lines()
        .find_map(|line| line.strip_prefix("master_replid:"))
        .expect("master_replid");
    assert_eq!(replid.len(), 40);
    assert!(replid.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(info.contains("\r\nmaster_repl_offset:0\r\n"), "{info}");
}
