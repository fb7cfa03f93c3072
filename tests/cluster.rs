//! CLUSTER on a standalone server: every subcommand refused as redis-server refuses it with
//! `cluster-enabled no`, arity checked first, and the rows' flags seen by scripts
//! (`CLUSTER RESET` is `noscript`) and by `COMMAND INFO`.

mod common;

use common::TestServer;

const DISABLED: &str = "-ERR This instance has cluster support disabled\r\n";

#[test]
fn every_cluster_subcommand_reports_cluster_support_disabled() {
    let server = TestServer::start();
    let mut client = server.raw();
    for request in [
        &["CLUSTER", "HELP"][..],
        &["CLUSTER", "INFO"],
        &["CLUSTER", "NODES"],
        &["CLUSTER", "SLOTS"],
        &["CLUSTER", "SHARDS"],
        &["CLUSTER", "MYID"],
        &["CLUSTER", "KEYSLOT", "key"],
        &["CLUSTER", "COUNTKEYSINSLOT", "1"],
        &["CLUSTER", "GETKEYSINSLOT", "1", "10"],
        &["cluster", "reset", "hard"],
        &["CLUSTER", "RESET"],
        &["CLUSTER", "ADDSLOTS", "1", "2"],
        &["CLUSTER", "SETSLOT", "1", "STABLE"],
    ] {
        assert_eq!(client.cmd(request), DISABLED, "{request:?}");
    }
}

#[test]
fn cluster_arity_and_unknown_subcommands_are_checked_before_the_refusal() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["CLUSTER"]),
        "-ERR wrong number of arguments for 'cluster' command\r\n"
    );
    assert_eq!(
        client.cmd(&["CLUSTER", "KEYSLOT"]),
        "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n"
    );
    assert_eq!(
        client.cmd(&["CLUSTER", "foo"]),
        "-ERR unknown subcommand 'foo'. Try CLUSTER HELP.\r\n"
    );
}

#[test]
fn scripts_may_not_call_cluster_reset() {
    let server = TestServer::start();
    let mut client = server.raw();
    let reply = client.cmd(&["EVAL", "redis.call('cluster', 'reset', 'hard')", "0"]);
    assert!(
        reply.starts_with("-ERR This Redis command is not allowed from script"),
        "{reply}"
    );
    // A subcommand that is not `noscript` runs, and is refused as from a client.
    let reply = client.cmd(&["EVAL", "return redis.pcall('cluster', 'info')", "0"]);
    assert_eq!(reply, DISABLED);
}

#[test]
fn command_info_reports_the_cluster_rows() {
    let server = TestServer::start();
    let mut client = server.raw();
    let reply = client.cmd(&["COMMAND", "INFO", "cluster|reset"]);
    assert!(reply.contains("$13\r\ncluster|reset\r\n:-2\r\n"), "{reply}");
    assert!(
        reply.contains("+admin\r\n+noscript\r\n+stale\r\n"),
        "{reply}"
    );
    let reply = client.cmd(&["COMMAND", "INFO", "cluster|set-config-epoch"]);
    assert!(
        reply.contains("+admin\r\n+stale\r\n+no_async_loading\r\n"),
        "{reply}"
    );
    let reply = client.cmd(&["COMMAND", "INFO", "cluster|getkeysinslot"]);
    assert!(
        reply.contains("$23\r\nnondeterministic_output\r\n"),
        "{reply}"
    );
}
