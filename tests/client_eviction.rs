//! `maxmemory-clients`: what each client holds is shown in CLIENT LIST (`qbuf`, `argv-mem`,
//! `multi-mem`, `omem`, `tot-mem`) and counted, and when the clients together use more than the
//! limit the biggest are closed, except those that asked not to be (`CLIENT NO-EVICT`).

mod common;

use std::time::Duration;

use common::{Raw, TestServer, wait_until};

/// A field of the CLIENT LIST line of the client named `name`, if it is connected.
fn client_field(admin: &mut Raw, name: &str, field: &str) -> Option<u64> {
    let list = admin.cmd(&["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|line| line.contains(&format!(" name={name} ")))?;
    let prefix = format!("{field}=");
    let value = line
        .split(' ')
        .find_map(|pair| pair.strip_prefix(&prefix))?;
    Some(value.parse().unwrap())
}

/// A client named `name` that has sent the first `sent` bytes of a `declared`-byte argument.
fn client_with_partial_argument(
    server: &TestServer,
    name: &str,
    declared: usize,
    sent: usize,
) -> Raw {
    let mut client = server.raw();
    assert_eq!(client.cmd(&["CLIENT", "SETNAME", name]), "+OK\r\n");
    let mut bytes = format!("*1\r\n${declared}\r\n").into_bytes();
    bytes.resize(bytes.len() + sent, b'v');
    client.send(&bytes);
    client
}

fn evicted_clients(admin: &mut Raw) -> String {
    let info = admin.cmd(&["INFO", "stats"]);
    let line = info
        .lines()
        .find(|l| l.starts_with("evicted_clients:"))
        .unwrap();
    line.to_string()
}

#[test]
fn a_query_buffer_past_the_limit_gets_its_client_evicted_and_logged() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["CLIENT", "SETNAME", "admin"]);
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "maxmemory-clients", "1mb"]),
        "+OK\r\n"
    );
    let mut big = client_with_partial_argument(&server, "big", 4_000_000, 1_500_000);
    assert!(big.is_closed(), "the client past the limit is closed");
    assert_eq!(client_field(&mut admin, "big", "tot-mem"), None);
    assert_eq!(evicted_clients(&mut admin), "evicted_clients:1");
    assert!(wait_until(Duration::from_secs(5), || server
        .logged("Evicting client: id=")));
    // The one that asked is untouched.
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn the_limit_may_be_a_percentage_of_maxmemory() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["CONFIG", "SET", "maxmemory", "10mb"]);
    admin.cmd(&["CONFIG", "SET", "maxmemory-clients", "10%"]);
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "maxmemory-clients"]),
        "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n"
    );
    // Half of the 1 MB limit stays.
    let mut small = client_with_partial_argument(&server, "small", 2_000_000, 500_000);
    assert!(wait_until(Duration::from_secs(5), || {
        client_field(&mut admin, "small", "qbuf").is_some_and(|qbuf| qbuf >= 500_000)
    }));
    let tot_mem = client_field(&mut admin, "small", "tot-mem").unwrap();
    assert!((500_000..1_048_576).contains(&tot_mem), "{tot_mem}");
    assert!(small.nothing_within(Duration::from_millis(200)));
    // More than the limit goes.
    let mut big = client_with_partial_argument(&server, "big", 2_000_000, 1_100_000);
    assert!(big.is_closed());
}

#[test]
fn no_evict_clients_are_spared_and_the_biggest_others_go_first() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["CLIENT", "SETNAME", "admin"]);
    admin.cmd(&["CLIENT", "NO-EVICT", "on"]);
    let mut spared = server.raw();
    spared.cmd(&["CLIENT", "NO-EVICT", "on"]);
    let spared = {
        let mut bytes = b"CLIENT SETNAME spared\r\n*1\r\n$3000000\r\n".to_vec();
        bytes.resize(bytes.len() + 1_200_000, b'v');
        spared.send(&bytes);
        assert_eq!(spared.reply(), b"+OK\r\n");
        spared
    };
    let clients: Vec<Raw> = [("small", 200_000), ("middle", 400_000), ("large", 800_000)]
        .iter()
        .map(|&(name, size)| client_with_partial_argument(&server, name, 3_000_000, size))
        .collect();
    assert!(wait_until(Duration::from_secs(5), || {
        client_field(&mut admin, "large", "qbuf").is_some_and(|qbuf| qbuf >= 800_000)
            && client_field(&mut admin, "spared", "qbuf").is_some_and(|q| q >= 1_200_000)
    }));
    let used = |admin: &mut Raw, name: &str| client_field(admin, name, "tot-mem").unwrap();
    let total: u64 = ["admin", "spared", "small", "middle", "large"]
        .iter()
        .map(|name| used(&mut admin, name))
        .sum();
    // Room for all but the largest: lowering the limit closes it alone.
    let limit = total - used(&mut admin, "large") + 50_000;
    admin.cmd(&["CONFIG", "SET", "maxmemory-clients", &limit.to_string()]);
    assert_eq!(client_field(&mut admin, "large", "tot-mem"), None);
    assert!(client_field(&mut admin, "middle", "tot-mem").is_some());
    assert!(client_field(&mut admin, "small", "tot-mem").is_some());
    // The spared client is the biggest of all, yet stays.
    assert!(client_field(&mut admin, "spared", "tot-mem").is_some());
    drop((clients, spared));
}

#[test]
fn client_list_shows_the_memory_of_a_transaction_and_of_watched_keys() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let mut client = server.raw();
    client.cmd(&["CLIENT", "SETNAME", "txn"]);
    let before = client_field(&mut admin, "txn", "tot-mem").unwrap();
    client.cmd(&["MULTI"]);
    let value = "v".repeat(100_000);
    assert_eq!(client.cmd(&["SET", "k", &value]), "+QUEUED\r\n");
    let multi_mem = client_field(&mut admin, "txn", "multi-mem").unwrap();
    assert!(multi_mem >= 100_000, "{multi_mem}");
    assert!(client_field(&mut admin, "txn", "tot-mem").unwrap() >= before + 100_000);
    client.cmd(&["EXEC"]);
    assert_eq!(client_field(&mut admin, "txn", "multi-mem"), Some(0));
    let key = "k".repeat(10_000);
    client.cmd(&["WATCH", &key]);
    assert!(client_field(&mut admin, "txn", "tot-mem").unwrap() >= before + 10_000);
    client.cmd(&["UNWATCH"]);
    // Back to where it started, give or take a short reply on its way out.
    let after = client_field(&mut admin, "txn", "tot-mem").unwrap();
    assert!(after.abs_diff(before) < 100, "{before} → {after}");
}
