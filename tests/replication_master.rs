//! Replication, the master's side: the CodeCrafters master stages (31–35, 39–41) with fake
//! replicas over raw TCP, exactly as the tester talks; partial resync, ROLE, INFO and WAIT's
//! edges; and (needing redis-server) a real Redis replica of a thredis master.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::real_redis::RealRedis;
use common::{Raw, TestServer, resp, wait_until};

/// A replica as the CodeCrafters tester plays it: a plain TCP connection that does the
/// handshake and then reads what the master streams.
struct FakeReplica {
    reader: BufReader<TcpStream>,
}

impl FakeReplica {
    fn connect(port: u16) -> FakeReplica {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        FakeReplica {
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, args: &[&str]) {
        self.reader.get_mut().write_all(&resp(args)).unwrap();
    }

    fn line(&mut self) -> String {
        common::read_line(&mut self.reader)
    }

    fn ask(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.line()
    }

    /// Stages 31 and 32: PING, the two REPLCONFs, PSYNC; returns the `+FULLRESYNC` line.
    fn handshake(&mut self, listening_port: u16) -> String {
        assert_eq!(self.ask(&["PING"]), "+PONG\r\n");
        let port = listening_port.to_string();
        assert_eq!(self.ask(&["REPLCONF", "listening-port", &port]), "+OK\r\n");
        assert_eq!(self.ask(&["REPLCONF", "capa", "psync2"]), "+OK\r\n");
        self.ask(&["PSYNC", "?", "-1"])
    }

    /// Stage 33: `$<len>\r\n` then exactly `len` bytes of RDB, with no CRLF after them.
    fn read_rdb(&mut self) -> Vec<u8> {
        let header = self.line();
        let len: usize = header
            .strip_prefix('$')
            .and_then(|rest| rest.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("not a bulk header: {header:?}"));
        let mut rdb = vec![0; len];
        self.reader.read_exact(&mut rdb).unwrap();
        rdb
    }

    /// A diskless snapshot: every byte up to and including its end `mark`, read one at a time
    /// so nothing after the mark is consumed.
    fn read_until(&mut self, mark: &[u8]) -> Vec<u8> {
        let mut rdb = Vec::new();
        while !rdb.ends_with(mark) {
            let mut byte = [0];
            self.reader.read_exact(&mut byte).unwrap();
            rdb.push(byte[0]);
        }
        rdb
    }

    /// A full handshake and the RDB, as every propagation stage starts.
    fn synced(port: u16, listening_port: u16) -> FakeReplica {
        let mut replica = FakeReplica::connect(port);
        assert!(
            replica
                .handshake(listening_port)
                .starts_with("+FULLRESYNC ")
        );
        replica.read_rdb();
        replica
    }

    /// The next command of the stream, as its arguments.
    fn command(&mut self) -> Vec<String> {
        common::read_command(&mut self.reader)
    }

    /// The next command that is not a `SELECT` (one may lead the stream).
    fn command_after_select(&mut self) -> Vec<String> {
        let command = self.command();
        if command[0] == "SELECT" {
            return self.command();
        }
        command
    }
}

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn stage_31_receive_handshake_1() {
    let server = TestServer::start();
    let mut replica = FakeReplica::connect(server.port);
    assert_eq!(replica.ask(&["PING"]), "+PONG\r\n");
    assert_eq!(
        replica.ask(&["REPLCONF", "listening-port", "6380"]),
        "+OK\r\n"
    );
    assert_eq!(replica.ask(&["REPLCONF", "capa", "psync2"]), "+OK\r\n");
}

#[test]
fn stage_32_receive_handshake_2() {
    let server = TestServer::start();
    let line = FakeReplica::connect(server.port).handshake(6380);
    let rest = line.strip_prefix("+FULLRESYNC ").expect(&line);
    let (replid, offset) = rest.trim_end().split_once(' ').unwrap();
    assert_eq!(replid.len(), 40);
    assert!(replid.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(offset, "0");
    // The ID the replica follows is the one INFO shows from now on.
    let info = server.raw().cmd(&["INFO", "replication"]);
    assert!(
        info.contains(&format!("master_replid:{replid}\r\n")),
        "{info}"
    );
}

#[test]
fn stage_33_empty_rdb_transfer() {
    let server = TestServer::start();
    let mut replica = FakeReplica::connect(server.port);
    replica.handshake(6380);
    let rdb = replica.read_rdb();
    assert!(rdb.starts_with(b"REDIS00"), "{rdb:?}");
    // An empty dataset: the header and aux fields, then EOF (0xFF) and the 8-byte checksum.
    assert_eq!(rdb[rdb.len() - 9], 0xFF);
    // Nothing follows the payload (no CRLF) while nothing is written.
    replica
        .reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(replica.reader.read(&mut byte).is_err(), "got {byte:?}");
}

/// Stages 34 and 35: `replicas` fake replicas synced, then the tester's three SETs must reach
/// each of them, in order (one leading `SELECT` tolerated).
fn three_sets_reach(replicas: usize) {
    let server = TestServer::start();
    let mut replicas: Vec<FakeReplica> = (6380..6380 + replicas as u16)
        .map(|port| FakeReplica::synced(server.port, port))
        .collect();
    let mut client = server.raw();
    for (key, value) in [("foo", "123"), ("bar", "456"), ("baz", "789")] {
        assert_eq!(client.cmd(&["SET", key, value]), "+OK\r\n");
    }
    for replica in &mut replicas {
        assert_eq!(
            replica.command_after_select(),
            words(&["SET", "foo", "123"])
        );
        assert_eq!(replica.command(), words(&["SET", "bar", "456"]));
        assert_eq!(replica.command(), words(&["SET", "baz", "789"]));
    }
}

#[test]
fn stage_34_single_replica_propagation() {
    three_sets_reach(1);
}

#[test]
fn stage_35_multi_replica_propagation() {
    three_sets_reach(3);
}

#[test]
fn stage_39_wait_with_no_replicas() {
    let server = TestServer::start();
    assert_eq!(server.raw().cmd(&["WAIT", "0", "60000"]), ":0\r\n");
}

#[test]
fn stage_40_wait_with_no_commands() {
    let server = TestServer::start();
    let _replicas: Vec<FakeReplica> = (0..3)
        .map(|n| FakeReplica::synced(server.port, 6380 + n))
        .collect();
    let mut client = server.raw();
    for wanted in 3..=5 {
        assert_eq!(
            client.cmd(&["WAIT", &wanted.to_string(), "500"]),
            ":3\r\n",
            "WAIT {wanted}"
        );
    }
}

#[test]
fn stage_41_wait_with_multiple_commands() {
    let server = TestServer::start();
    let mut replicas: Vec<FakeReplica> = (0..3)
        .map(|n| FakeReplica::synced(server.port, 6380 + n))
        .collect();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SET", "foo", "123"]), "+OK\r\n");
    client.send(&resp(&["WAIT", "1", "500"]));
    for replica in &mut replicas {
        assert_eq!(
            replica.command_after_select(),
            words(&["SET", "foo", "123"])
        );
        assert_eq!(replica.command(), words(&["REPLCONF", "GETACK", "*"]));
    }
    // Only the first answers, with everything it received (SELECT, SET and GETACK).
    let offset = server_offset(&server);
    replicas[0].send(&["REPLCONF", "ACK", &offset.to_string()]);
    assert_eq!(client.reply_text(), ":1\r\n");

    assert_eq!(client.cmd(&["SET", "baz", "789"]), "+OK\r\n");
    let sent = Instant::now();
    client.send(&resp(&["WAIT", "3", "1000"]));
    for replica in &mut replicas {
        assert_eq!(replica.command(), words(&["SET", "baz", "789"]));
        assert_eq!(replica.command(), words(&["REPLCONF", "GETACK", "*"]));
    }
    let offset = server_offset(&server);
    for replica in &mut replicas[..2] {
        replica.send(&["REPLCONF", "ACK", &offset.to_string()]);
    }
    // Two of three: the timeout ends the wait, with the count reached by then.
    assert_eq!(client.reply_text(), ":2\r\n");
    assert!(sent.elapsed() >= Duration::from_millis(1000));
}

/// `master_repl_offset` from INFO.
fn server_offset(server: &TestServer) -> i64 {
    let info = server.raw().cmd(&["INFO", "replication"]);
    info.lines()
        .find_map(|line| line.strip_prefix("master_repl_offset:"))
        .and_then(|offset| offset.trim().parse().ok())
        .expect("master_repl_offset")
}

#[test]
fn info_and_role_list_an_online_replica_with_its_acknowledged_offset() {
    let server = TestServer::start();
    let mut replica = FakeReplica::synced(server.port, 6390);
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    replica.command_after_select();
    let offset = server_offset(&server);
    replica.send(&["REPLCONF", "ACK", &offset.to_string()]);
    let expected = format!("slave0:ip=127.0.0.1,port=6390,state=online,offset={offset},lag=");
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["INFO", "replication"])
        .contains(&expected)));
    let info = client.cmd(&["INFO", "replication"]);
    assert!(info.contains("connected_slaves:1\r\n"), "{info}");
    assert!(info.contains("repl_backlog_active:1\r\n"), "{info}");
    assert!(
        info.contains("repl_backlog_first_byte_offset:1\r\n"),
        "{info}"
    );
    let role = client.cmd(&["ROLE"]);
    assert_eq!(
        role,
        format!(
            "*3\r\n$6\r\nmaster\r\n:{offset}\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n6390\r\n${}\r\n{offset}\r\n",
            offset.to_string().len()
        )
    );
    assert!(
        client
            .cmd(&["CLIENT", "LIST", "TYPE", "replica"])
            .contains("flags=S")
    );
    assert!(
        client
            .cmd(&["CLIENT", "LIST", "TYPE", "slave"])
            .contains("cmd=psync")
    );
    // The stream so far is the replication buffer INFO memory reports, in Redis's fields.
    let memory = client.cmd(&["INFO", "memory"]);
    let buffers = format!("mem_total_replication_buffers:{offset}\r\n");
    assert!(memory.contains(&buffers), "{memory}");
    assert!(
        memory.contains(&format!("mem_replication_backlog:{offset}\r\n")),
        "{memory}"
    );
    assert!(memory.contains("mem_clients_slaves:0\r\n"), "{memory}");
    assert!(memory.contains("mem_cluster_links:0\r\n"), "{memory}");
}

#[test]
fn a_replica_that_reconnects_continues_from_the_backlog() {
    let server = TestServer::start();
    let mut replica = FakeReplica::connect(server.port);
    let line = replica.handshake(6380);
    let replid = line.split(' ').nth(1).unwrap().to_string();
    replica.read_rdb();
    let mut client = server.raw();
    client.cmd(&["SET", "a", "1"]);
    replica.command_after_select();
    let had = server_offset(&server);
    drop(replica);
    client.cmd(&["SET", "b", "2"]);

    let mut again = FakeReplica::connect(server.port);
    let next = (had + 1).to_string();
    assert_eq!(
        again.ask(&["PSYNC", &replid, &next]),
        format!("+CONTINUE\r\n"),
        "no capa psync2: the old form"
    );
    assert_eq!(again.command(), words(&["SET", "b", "2"]));

    // Unknown history, or an offset beyond the stream: a full resync.
    let mut other = FakeReplica::connect(server.port);
    assert!(
        other
            .ask(&["PSYNC", &"f".repeat(40), "1"])
            .starts_with("+FULLRESYNC ")
    );
    let mut ahead = FakeReplica::connect(server.port);
    let beyond = (server_offset(&server) + 10).to_string();
    assert!(
        ahead
            .ask(&["PSYNC", &replid, &beyond])
            .starts_with("+FULLRESYNC ")
    );
    // INFO counts each outcome, as Redis's stat_sync_* do.
    let stats = server.raw().cmd(&["INFO", "stats"]);
    for (field, count) in [
        ("sync_partial_ok", 1),
        ("sync_partial_err", 2),
        ("sync_full", 3),
    ] {
        assert!(stats.contains(&format!("{field}:{count}\r\n")), "{stats}");
    }
}

#[test]
fn replconf_and_wait_refuse_bad_arguments_as_redis_does() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["REPLCONF", "listening-port"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        client.cmd(&["REPLCONF", "nosuch", "1"]),
        "-ERR Unrecognized REPLCONF option: nosuch\r\n"
    );
    assert_eq!(
        client.cmd(&["REPLCONF", "listening-port", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        client.cmd(&["WAIT", "x", "0"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        client.cmd(&["WAIT", "1", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        client.cmd(&["WAIT", "1", "x"]),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    assert_eq!(
        client.cmd(&["PSYNC", "?", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // A WAIT inside MULTI cannot block: it answers with the count at once.
    client.run_all(&[&["MULTI"], &["WAIT", "1", "0"]]);
    assert_eq!(client.cmd(&["EXEC"]), "*1\r\n:0\r\n");
}

#[test]
fn min_replicas_to_write_counts_replicas_that_acknowledge() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.run_all(&[
        &["CONFIG", "SET", "min-replicas-to-write", "1"],
        &["CONFIG", "SET", "min-replicas-max-lag", "10"],
    ]);
    assert_eq!(
        client.cmd(&["SET", "k", "v"]),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    let mut replica = FakeReplica::synced(server.port, 6380);
    replica.send(&["REPLCONF", "ACK", "0"]);
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["SET", "k", "v"])
        == "+OK\r\n"));
}

#[test]
fn a_diskless_sync_waits_for_more_replicas_then_streams_the_snapshot_between_marks() {
    let master = TestServer::with_args(&["--repl-diskless-sync-delay", "2"]);
    master.raw().run_all(&[&["SET", "k", "v"]]);
    let mut replica = FakeReplica::connect(master.port);
    assert_eq!(replica.ask(&["PING"]), "+PONG\r\n");
    assert_eq!(
        replica.ask(&["REPLCONF", "listening-port", "6380"]),
        "+OK\r\n"
    );
    assert_eq!(
        replica.ask(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
        "+OK\r\n"
    );
    replica.send(&["PSYNC", "?", "-1"]);
    // While it waits, the replica is listed, and a newline a second keeps its link alive.
    let mut client = master.raw();
    assert!(wait_until(Duration::from_secs(10), || {
        client
            .cmd(&["INFO", "replication"])
            .contains("slave0:ip=127.0.0.1,port=6380,state=wait_bgsave")
    }));
    assert_eq!(replica.line(), "\n");
    assert!(replica.line().starts_with("+FULLRESYNC "));
    let header = replica.line();
    let mark = header
        .strip_prefix("$EOF:")
        .expect(&header)
        .trim_end()
        .to_string();
    assert_eq!(mark.len(), 40);
    // The snapshot ends with the mark, and nothing follows until the replica acknowledges.
    let rdb = replica.read_until(mark.as_bytes());
    assert!(rdb.starts_with(b"REDIS0010"));
    master.raw().run_all(&[&["SET", "after", "sync"]]);
    replica.send(&["REPLCONF", "ACK", "0"]);
    assert_eq!(
        replica.command_after_select(),
        words(&["SET", "after", "sync"])
    );
    assert!(master.logged("Starting BGSAVE for SYNC with target: replicas sockets"));
}

#[test]
fn a_replica_that_stops_reading_is_dropped_at_its_output_buffer_limit() {
    let master = TestServer::with_args(&[
        "--repl-backlog-size",
        "16kb",
        "--client-output-buffer-limit",
        "replica 1mb 0 0",
    ]);
    // Synced, then it never reads again: the socket's buffers fill, then the unsent stream.
    let _stuck = FakeReplica::synced(master.port, 6390);
    let mut client = master.raw();
    assert!(
        client
            .cmd(&["INFO", "replication"])
            .contains("connected_slaves:1")
    );
    let value = "x".repeat(64 * 1024);
    let dropped = wait_until(Duration::from_secs(20), || {
        client.run_all(&[&["SET", "big", &value]]);
        client
            .cmd(&["INFO", "replication"])
            .contains("connected_slaves:0")
    });
    assert!(dropped, "the replica was never dropped");
    assert!(master.logged("for overcoming of output buffer limits."));
    // The ring gave back what the replica held: only the backlog's 16 KB remain in use.
    let memory = client.cmd(&["INFO", "memory"]);
    let held: usize = (memory.lines())
        .find_map(|line| line.strip_prefix("mem_total_replication_buffers:"))
        .and_then(|n| n.trim().parse().ok())
        .expect(&memory);
    assert!(held < 1024 * 1024, "{held} bytes still held");
}

#[test]
fn shutdown_waits_for_a_lagging_replica_until_aborted_or_its_timeout() {
    let mut master = TestServer::with_args(&["--shutdown-timeout", "1"]);
    let mut client = master.raw();
    // A replica that synced but never acknowledges lags behind the first write.
    let _replica = FakeReplica::synced(master.port, 6391);
    client.run_all(&[&["SET", "k", "v"]]);
    let mut shutdown = master.raw();
    shutdown.send(&resp(&["SHUTDOWN"]));
    client.wait_for_blocked(1);
    assert!(
        client
            .cmd(&["INFO", "server"])
            .contains("shutdown_in_milliseconds:")
    );
    // Writes wait meanwhile; SHUTDOWN ABORT ends the wait with Redis's error for the waiter.
    assert_eq!(client.cmd(&["SHUTDOWN", "ABORT"]), "+OK\r\n");
    assert_eq!(
        String::from_utf8(shutdown.reply()).unwrap(),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert!(
        !client
            .cmd(&["INFO", "server"])
            .contains("shutdown_in_milliseconds")
    );
    assert_eq!(
        client.cmd(&["SHUTDOWN", "ABORT"]),
        "-ERR No shutdown in progress.\r\n"
    );
    assert!(master.logged("Waiting for replicas before shutting down."));
    assert!(master.logged("Shutdown manually aborted."));
    // Asked again, it exits once shutdown-timeout (1 s) has passed, naming the laggard.
    shutdown.send(&resp(&["SHUTDOWN", "NOSAVE"]));
    assert!(master.wait_exit(Duration::from_secs(10)).is_some());
    assert!(master.logged("Lagging replica 127.0.0.1:6391 reported offset"));
    assert!(master.logged("0 of 1 replicas are in sync when shutting down."));
}

#[test]
fn shutdown_now_and_a_replica_in_sync_exit_at_once() {
    let mut master = TestServer::with_args(&["--shutdown-timeout", "100"]);
    let mut replica = FakeReplica::synced(master.port, 6392);
    master.raw().run_all(&[&["SET", "k", "v"]]);
    let offset = server_offset(&master);
    replica.send(&["REPLCONF", "ACK", &offset.to_string()]);
    let mut client = master.raw();
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["INFO", "replication"])
        .contains(&format!("offset={offset},"))));
    client.send(&resp(&["SHUTDOWN", "NOSAVE"]));
    assert!(master.wait_exit(Duration::from_secs(10)).is_some());
    assert!(master.logged("1 of 1 replicas are in sync when shutting down."));
    assert!(!master.log().contains("Waiting for replicas"));
}

#[test]
fn debug_replicate_sends_a_command_to_the_replicas_only() {
    let master = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut replica = FakeReplica::synced(master.port, 6393);
    let mut client = master.raw();
    assert_eq!(
        client.cmd(&["DEBUG", "REPLICATE", "SET", "only", "there"]),
        "+OK\r\n"
    );
    assert_eq!(
        replica.command_after_select(),
        words(&["SET", "only", "there"])
    );
    assert_eq!(client.cmd(&["EXISTS", "only"]), ":0\r\n");
}

#[test]
fn a_master_without_replicas_frees_its_backlog_after_repl_backlog_ttl() {
    let master = TestServer::with_args(&["--repl-backlog-ttl", "1"]);
    let mut client = master.raw();
    let replica = FakeReplica::synced(master.port, 6394);
    let info = client.cmd(&["INFO", "replication"]);
    assert!(info.contains("repl_backlog_active:1"), "{info}");
    let replid = |info: &str| {
        (info.lines())
            .find_map(|line| line.strip_prefix("master_replid:"))
            .map(str::to_string)
    };
    let first = replid(&info);
    drop(replica);
    assert!(master.logged("Replication backlog freed after 1 seconds without connected replicas."));
    let info = client.cmd(&["INFO", "replication"]);
    assert!(info.contains("repl_backlog_active:0"), "{info}");
    assert_ne!(replid(&info), first, "a new history begins");
    assert!(info.contains("master_replid2:0000000000000000000000000000000000000000"));
    // The next replica creates it again.
    let _again = FakeReplica::synced(master.port, 6395);
    assert!(
        client
            .cmd(&["INFO", "replication"])
            .contains("repl_backlog_active:1")
    );
}

#[test]
fn a_replica_that_sends_a_command_with_a_reply_is_dropped() {
    let master = TestServer::start();
    let mut replica = FakeReplica::synced(master.port, 6396);
    let mut client = master.raw();
    replica.send(&["PING"]);
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["INFO", "replication"])
        .contains("connected_slaves:0")));
    assert!(master.logged("Replica generated a reply to command 'ping', disconnecting it: id="));
    // The same when the command came in one write with the SYNC, read before the sync began.
    let mut replica = FakeReplica::connect(master.port);
    let mut both = resp(&["SYNC"]);
    both.extend(resp(&["XINFO", "HELP"]));
    replica.reader.get_mut().write_all(&both).unwrap();
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["INFO", "replication"])
        .contains("connected_slaves:0")));
    assert!(master.logged("Replica generated a reply to command 'xinfo|help', disconnecting"));
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn psync_with_an_offset_that_is_not_a_number_is_refused_and_logged() {
    let master = TestServer::start();
    let mut client = master.raw();
    assert_eq!(
        client.cmd(&["PSYNC", "replicationid", "offset_str"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert!(master.logged("asks for synchronization but with a wrong offset"));
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

/// The datasets of two servers are equal (DEBUG DIGEST), waiting for the replica to catch up.
fn same_digest(master: &mut Raw, replica: &mut Raw) -> bool {
    wait_until(Duration::from_secs(10), || {
        master.cmd(&["DEBUG", "DIGEST"]) == replica.cmd(&["DEBUG", "DIGEST"])
    })
}

#[test]
#[ignore = "needs redis-server: a real Redis replica of a thredis master"]
fn redis_server_replicates_a_thredis_master_fully_then_partially() {
    // The default sync, diskless, after a (short) wait for more replicas.
    let master = TestServer::with_args(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "1",
    ]);
    let mut writer = master.raw();
    writer.run_all(&[
        &["SET", "string", "value"],
        &["SET", "counter", "12345"],
        &["SET", "volatile", "v", "PX", "3600000"],
        &["RPUSH", "list", "a", "b", "c"],
        &["SADD", "set", "x", "y", "1", "2"],
        &["SADD", "intset", "1", "2", "3"],
        &["HSET", "hash", "f1", "v1", "f2", "v2"],
        &["ZADD", "zset", "1", "a", "2.5", "b"],
        &["XADD", "stream", "1-1", "f", "v"],
        &["XGROUP", "CREATE", "stream", "g", "0"],
        &["PFADD", "hll", "a", "b", "c"],
        &["SELECT", "5"],
        &["SET", "in5", "five"],
        &["SELECT", "0"],
    ]);
    let redis = RealRedis::with_args(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut replica = Raw::connect(redis.port);
    assert!(same_digest(&mut writer, &mut replica), "full sync");
    // A stream of writes of several families, in two databases.
    writer.run_all(&[
        &["INCR", "counter"],
        &["LPUSH", "list", "z"],
        &["HDEL", "hash", "f1"],
        &["ZINCRBY", "zset", "3", "a"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "1",
            "STREAMS",
            "stream",
            ">",
        ],
        &["EXPIRE", "string", "1000"],
        &["SELECT", "5"],
        &["DEL", "in5"],
        &["SET", "new5", "n"],
        &["SELECT", "0"],
        &["MULTI"],
        &["SET", "in-multi", "1"],
        &["INCR", "in-multi"],
        &["EXEC"],
    ]);
    assert!(same_digest(&mut writer, &mut replica), "the stream");

    // Cut the link: the replica comes back with PSYNC and gets +CONTINUE.
    writer.cmd(&["CLIENT", "KILL", "TYPE", "replica"]);
    writer.cmd(&["SET", "after-the-cut", "1"]);
    assert!(wait_until(Duration::from_secs(10), || master
        .logged("Partial resynchronization request from")));
    assert!(
        same_digest(&mut writer, &mut replica),
        "after the partial resync"
    );
    let info = replica.cmd(&["INFO", "replication"]);
    assert!(info.contains("master_link_status:up"), "{info}");
}

#[test]
fn the_stream_after_a_delayed_diskless_sync_starts_by_selecting_its_database() {
    let master = TestServer::with_args(&["--repl-diskless-sync-delay", "1"]);
    let mut writer = master.raw();
    assert_eq!(writer.cmd(&["SELECT", "9"]), "+OK\r\n");
    let mut replica = FakeReplica::connect(master.port);
    assert_eq!(replica.ask(&["PING"]), "+PONG\r\n");
    assert_eq!(
        replica.ask(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
        "+OK\r\n"
    );
    replica.send(&["PSYNC", "?", "-1"]);
    // A write while the sync waits selects database 9 in the stream before the snapshot.
    let mut client = master.raw();
    assert!(wait_until(Duration::from_secs(10), || {
        client
            .cmd(&["INFO", "replication"])
            .contains("state=wait_bgsave")
    }));
    assert_eq!(writer.cmd(&["SET", "before", "1"]), "+OK\r\n");
    let mut header = replica.line();
    while header == "\n" {
        header = replica.line();
    }
    assert!(header.starts_with("+FULLRESYNC "), "{header}");
    let mark = replica.line()[5..].trim_end().to_string();
    replica.read_until(mark.as_bytes());
    assert_eq!(writer.cmd(&["SET", "after", "1"]), "+OK\r\n");
    replica.send(&["REPLCONF", "ACK", "0"]);
    assert_eq!(replica.command(), words(&["SELECT", "9"]));
    assert_eq!(replica.command(), words(&["SET", "after", "1"]));
}

#[test]
fn a_restarted_master_continues_its_history_and_streams_what_expired_meanwhile() {
    let dir = common::scratch_dir("master-restart");
    let debug = [
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ];
    let mut master = TestServer::in_dir(&dir, &debug);
    let port = master.port.to_string();
    let replica = TestServer::with_args(&debug);
    assert_eq!(
        replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    let mut writer = master.raw();
    writer.run_all(&[&["SET", "stays", "1"], &["SET", "goes", "1", "PX", "300"]]);
    let mut follower = replica.raw();
    assert!(wait_until(Duration::from_secs(10), || {
        follower.cmd(&["DBSIZE"]) == ":2\r\n"
    }));
    assert_eq!(writer.cmd(&["SAVE"]), "+OK\r\n");
    master.kill();
    std::thread::sleep(Duration::from_millis(400)); // "goes" expires while the master is down.
    let mut args = debug.to_vec();
    args.extend(["--port", &port]);
    let master = TestServer::in_dir(&dir, &args);
    // The replica continues (+CONTINUE), and the load's DEL reaches it.
    assert!(master.logged("Partial resynchronization request from"));
    assert!(wait_until(Duration::from_secs(10), || {
        follower.cmd(&["DBSIZE"]) == ":1\r\n"
    }));
    assert_eq!(follower.cmd(&["GET", "stays"]), "$1\r\n1\r\n");
}

#[test]
fn replconf_rdb_filter_only_keeps_the_functions_or_nothing() {
    let server = TestServer::start();
    server.raw().run_all(&[&["SET", "k", "v"]]);
    let mut replica = FakeReplica::connect(server.port);
    assert_eq!(
        replica.ask(&["REPLCONF", "rdb-filter-only", "keys"]),
        "-ERR Unsupported rdb-filter-only option: keys\r\n"
    );
    assert_eq!(replica.ask(&["REPLCONF", "rdb-filter-only", ""]), "+OK\r\n");
    assert!(
        replica
            .ask(&["PSYNC", "?", "-1"])
            .starts_with("+FULLRESYNC ")
    );
    // An empty filter excludes the keys: no record of `k` (string type 0, `k`, `v`).
    let rdb = replica.read_rdb();
    assert!(rdb.starts_with(b"REDIS"));
    assert!(!rdb.windows(5).any(|w| w == b"\x00\x01k\x01v"), "{rdb:?}");
}
