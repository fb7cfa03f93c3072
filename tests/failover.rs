//! `FAILOVER` (Redis 7.0's coordinated failover): a thredis master hands its role to a thredis
//! replica, writes held meanwhile and none lost; its errors as Redis words them; TIMEOUT, FORCE
//! and ABORT.

mod common;

use std::time::Duration;

use common::{Raw, TestServer, wait_until};

/// A master with `count` replicas, all synced.
fn group(count: usize) -> (TestServer, Vec<TestServer>) {
    let master = TestServer::start();
    let target = format!("127.0.0.1 {}", master.port);
    let replicas: Vec<TestServer> = (0..count)
        .map(|_| TestServer::with_args(&["--replicaof", &target, "--enable-debug-command", "yes"]))
        .collect();
    let mut client = master.raw();
    assert!(wait_until(Duration::from_secs(10), || {
        client
            .cmd(&["INFO", "replication"])
            .matches("state=online")
            .count()
            == count
    }));
    (master, replicas)
}

fn field(client: &mut Raw, name: &str) -> String {
    let info = client.cmd(&["INFO", "replication"]);
    let line = info.lines().find(|line| line.starts_with(name));
    line.map(|line| line[name.len() + 1..].to_string())
        .unwrap_or_default()
}

#[test]
fn failover_hands_the_role_to_the_target_and_loses_no_write() {
    let (master, replicas) = group(2);
    let mut client = master.raw();
    for i in 0..50 {
        assert_eq!(client.cmd(&["INCR", "counter"]), format!(":{}\r\n", i + 1));
    }
    let port = replicas[0].port.to_string();
    assert_eq!(
        client.cmd(&["FAILOVER", "TO", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    let mut old = master.raw();
    let mut new = replicas[0].raw();
    assert!(
        wait_until(Duration::from_secs(10), || {
            field(&mut old, "role") == "slave"
                && field(&mut old, "master_link_status") == "up"
                && field(&mut new, "role") == "master"
        }),
        "{}",
        master.log()
    );
    assert_eq!(field(&mut old, "master_failover_state"), "no-failover");
    assert!(master.logged(&format!(
        "Failover target 127.0.0.1:{port} is synced, failing over."
    )));
    assert!(replicas[0].logged("MASTER MODE enabled (failover request from"));
    // The old master continued partially with the new one, under the new history.
    assert!(master.logged("Successful partial resynchronization with master."));
    assert_eq!(new.cmd(&["INCR", "counter"]), ":51\r\n");
    assert!(wait_until(Duration::from_secs(10), || {
        old.cmd(&["GET", "counter"]) == "$2\r\n51\r\n"
    }));
    assert_eq!(
        old.cmd(&["SET", "k", "v"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );
}

#[test]
fn failover_refuses_what_redis_refuses() {
    let lone = TestServer::start();
    let mut client = lone.raw();
    assert_eq!(
        client.cmd(&["FAILOVER"]),
        "-ERR FAILOVER requires connected replicas.\r\n"
    );
    assert_eq!(
        client.cmd(&["FAILOVER", "ABORT"]),
        "-ERR No failover in progress.\r\n"
    );
    assert_eq!(
        client.cmd(&["FAILOVER", "TIMEOUT", "0"]),
        "-ERR FAILOVER timeout must be greater than 0\r\n"
    );
    assert_eq!(client.cmd(&["FAILOVER", "BOGUS"]), "-ERR syntax error\r\n");
    let (master, replicas) = group(1);
    let mut client = master.raw();
    assert_eq!(
        client.cmd(&["FAILOVER", "TO", "127.0.0.1", "1", "FORCE"]),
        "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n"
    );
    assert_eq!(
        client.cmd(&["FAILOVER", "TO", "127.0.0.1", "1"]),
        "-ERR FAILOVER target HOST and PORT is not a replica.\r\n"
    );
    assert_eq!(
        replicas[0].raw().cmd(&["FAILOVER"]),
        "-ERR FAILOVER is not valid when server is a replica.\r\n"
    );
}

#[test]
fn a_failover_that_times_out_is_aborted_and_writes_resume() {
    let (master, replicas) = group(1);
    let mut client = master.raw();
    // The replica cannot apply the next write (DEBUG SLEEP holds its keyspace): it is never
    // seen caught up.
    let mut sleeper = replicas[0].raw();
    sleeper.send(&common::resp(&["DEBUG", "SLEEP", "3"]));
    std::thread::sleep(Duration::from_millis(200)); // The sleep has begun.
    assert_eq!(client.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(client.cmd(&["FAILOVER", "TIMEOUT", "500"]), "+OK\r\n");
    assert_eq!(
        field(&mut client, "master_failover_state"),
        "waiting-for-sync"
    );
    // Meanwhile writes wait (a second client), reads do not.
    assert_eq!(client.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert!(wait_until(Duration::from_secs(10), || {
        master
            .log()
            .contains("FAILOVER to any replica aborted: Replica never caught up before timeout")
    }));
    assert_eq!(field(&mut client, "master_failover_state"), "no-failover");
    assert_eq!(field(&mut client, "role"), "master");
    assert_eq!(client.cmd(&["SET", "k", "w"]), "+OK\r\n");
}

#[test]
fn failover_abort_ends_the_wait_and_releases_held_writes() {
    let (master, replicas) = group(1);
    let mut sleeper = replicas[0].raw();
    sleeper.send(&common::resp(&["DEBUG", "SLEEP", "3"]));
    std::thread::sleep(Duration::from_millis(200)); // The sleep has begun.
    let mut client = master.raw();
    assert_eq!(client.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(client.cmd(&["FAILOVER"]), "+OK\r\n");
    assert_eq!(
        field(&mut client, "master_failover_state"),
        "waiting-for-sync"
    );
    assert_eq!(
        client.cmd(&["FAILOVER"]),
        "-ERR FAILOVER already in progress.\r\n"
    );
    let mut writer = master.raw();
    writer.send(&common::resp(&["SET", "held", "1"]));
    assert_eq!(client.cmd(&["FAILOVER", "ABORT"]), "+OK\r\n");
    assert_eq!(String::from_utf8(writer.reply()).unwrap(), "+OK\r\n");
    assert!(master.logged("FAILOVER to any replica aborted: Failover manually aborted"));
    assert_eq!(field(&mut client, "role"), "master");
}
