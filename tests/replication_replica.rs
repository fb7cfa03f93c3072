//! Replication, the replica's side: the CodeCrafters replica stages (26, 28–30, 36–38) against a
//! fake master over raw TCP, exactly as the tester plays it; transactions, READONLY,
//! `replica-serve-stale-data`, `REPLICAOF NO ONE`, the diskless snapshot form and a master that
//! sends garbage; thredis replicas of a thredis master (full and partial resync, a chain); and
//! (needing redis-server) a thredis replica of a real Redis master.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::real_redis::RealRedis;
use common::{Raw, TestServer, query, resp, wait_until};

/// The 88-byte empty RDB file (version 11) the course's tester sends.
const EMPTY_RDB: &str = "524544495330303131fa0972656469732d76657205372e322e30fa0a72656469732d62697473c040fa056374696d65c26d08bc65fa08757365642d6d656dc2b0c41000fa08616f662d62617365c000fff06e3bfec0ff5aa2";

/// The replication ID the course's fake master announces.
const REPLID: &str = "75cd7bc10c49047e0d163660f3b90625b1af31dc";

fn empty_rdb() -> Vec<u8> {
    (0..EMPTY_RDB.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&EMPTY_RDB[i..i + 2], 16).unwrap())
        .collect()
}

/// A master as the tester plays it: it listens, and the replica connects to it.
struct FakeMaster {
    listener: TcpListener,
}

impl FakeMaster {
    fn new() -> FakeMaster {
        FakeMaster {
            listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }

    /// A replica started as the tester starts it: `--replicaof "localhost <port>"`.
    fn replica(&self, extra: &[&str]) -> TestServer {
        let target = format!("localhost {}", self.port());
        let mut args = vec!["--replicaof", &target];
        args.extend_from_slice(extra);
        TestServer::with_args(&args)
    }

    /// The replica's next connection.
    fn accept(&self) -> Link {
        let (stream, _) = self.listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Link {
            reader: BufReader::new(stream),
        }
    }
}

/// One connection from the replica, seen from the master's end.
struct Link {
    reader: BufReader<TcpStream>,
}

impl Link {
    fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// The next command the replica sent, as its arguments.
    fn command(&mut self) -> Vec<String> {
        common::read_command(&mut self.reader)
    }

    /// Answers the handshake as the tester does and returns the four commands received.
    fn handshake(&mut self) -> Vec<Vec<String>> {
        let mut received = Vec::new();
        for reply in ["+PONG\r\n", "+OK\r\n", "+OK\r\n"] {
            received.push(self.command());
            self.send(reply.as_bytes());
        }
        received.push(self.command());
        self.send(format!("+FULLRESYNC {REPLID} 0\r\n").as_bytes());
        received
    }

    /// The handshake, then the empty RDB as a bulk with no CRLF after it.
    fn full_sync(&mut self) {
        self.handshake();
        let rdb = empty_rdb();
        self.send(format!("${}\r\n", rdb.len()).as_bytes());
        self.send(&rdb);
    }

    /// `REPLCONF GETACK *`, and the offset the replica answers with. ACKs the replica sends on
    /// its own each second may come first; they never report more than the answer.
    fn getack(&mut self, expected: i64) -> i64 {
        self.send(&resp(&["REPLCONF", "GETACK", "*"]));
        loop {
            let ack = self.command();
            assert_eq!(ack[..2], ["REPLCONF", "ACK"], "{ack:?}");
            let offset: i64 = ack[2].parse().unwrap();
            if offset >= expected {
                return offset;
            }
        }
    }
}

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn info_replication(server: &TestServer) -> String {
    server.raw().cmd(&["INFO", "replication"])
}

/// Waits for `key` to read `value` on `server`.
fn reads(server: &TestServer, key: &str, value: &str) -> bool {
    let mut client = server.raw();
    let wanted = format!("${}\r\n{value}\r\n", value.len());
    wait_until(Duration::from_secs(10), || {
        client.cmd(&["GET", key]) == wanted
    })
}

#[test]
fn stage_26_the_info_command_on_a_replica() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let mut link = master.accept();
    link.full_sync();
    let info = info_replication(&replica);
    assert!(info.contains("role:slave\r\n"), "{info}");
    assert!(
        info.contains(&format!("master_port:{}\r\n", master.port())),
        "{info}"
    );
}

#[test]
fn stage_28_to_30_the_replica_sends_the_handshake() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let received = master.accept().handshake();
    let port = replica.port.to_string();
    assert_eq!(
        received,
        [
            words(&["PING"]),
            words(&["REPLCONF", "listening-port", &port]),
            words(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
            words(&["PSYNC", "?", "-1"]),
        ]
    );
}

#[test]
fn stage_36_command_processing() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let mut link = master.accept();
    link.full_sync();
    for (key, value) in [("foo", "123"), ("bar", "456"), ("baz", "789")] {
        link.send(&resp(&["SET", key, value]));
    }
    for (key, value) in [("foo", "123"), ("bar", "456"), ("baz", "789")] {
        assert!(reads(&replica, key, value), "{key}");
    }
    // Nothing was answered on the link: the next thing the master reads is an ACK.
    assert_eq!(link.command()[..2], ["REPLCONF", "ACK"]);
}

#[test]
fn stage_37_acks_with_no_commands() {
    let master = FakeMaster::new();
    let _replica = master.replica(&[]);
    let mut link = master.accept();
    link.full_sync();
    link.send(&resp(&["REPLCONF", "GETACK", "*"]));
    // The answer is the exact array the tester compares.
    let mut ack = vec![0; b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n".len()];
    link.reader.read_exact(&mut ack).unwrap();
    assert_eq!(ack, b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n");
}

#[test]
fn stage_38_acks_with_commands() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let mut link = master.accept();
    link.full_sync();
    assert_eq!(link.getack(0), 0);
    link.send(&resp(&["PING"]));
    assert_eq!(link.getack(51), 51, "37 bytes of GETACK and 14 of PING");
    let sets = [
        resp(&["SET", "apple", "mango"]),
        resp(&["SET", "kiwi", "fig"]),
    ];
    for set in &sets {
        link.send(set);
    }
    let expected = 51 + 37 + (sets[0].len() + sets[1].len()) as i64;
    assert_eq!(link.getack(expected), expected);
    assert!(reads(&replica, "kiwi", "fig"));
    // The last GETACK counts once it has run.
    let offset = format!("slave_repl_offset:{}\r\n", expected + 37);
    assert!(wait_until(Duration::from_secs(10), || info_replication(
        &replica
    )
    .contains(&offset)));
    let info = info_replication(&replica);
    assert!(
        info.contains(&format!("master_replid:{REPLID}\r\n")),
        "{info}"
    );
}

#[test]
fn a_transaction_from_the_master_is_applied_whole_at_its_exec() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let mut link = master.accept();
    link.full_sync();
    let multi = [
        resp(&["MULTI"]),
        resp(&["SET", "a", "1"]),
        resp(&["SET", "b", "2"]),
    ];
    for part in &multi {
        link.send(part);
    }
    // Until EXEC nothing is applied, and the offset does not move.
    assert_eq!(link.getack(0), 0);
    assert_eq!(replica.raw().cmd(&["EXISTS", "a"]), ":0\r\n");
    let exec = resp(&["EXEC"]);
    link.send(&exec);
    assert!(reads(&replica, "b", "2"));
    let expected = 37 + multi.iter().map(Vec::len).sum::<usize>() as i64 + exec.len() as i64;
    assert_eq!(link.getack(expected), expected);
}

#[test]
fn a_replica_refuses_writes_from_clients_unless_told_otherwise() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    master.accept().full_sync();
    let mut client = replica.raw();
    assert_eq!(
        client.cmd(&["SET", "k", "v"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    // Inside a transaction the refusal comes at EXEC, which then fails.
    assert_eq!(client.cmd(&["MULTI"]), "+OK\r\n");
    assert!(client.cmd(&["SET", "k", "v"]).starts_with("-READONLY"));
    assert!(client.cmd(&["EXEC"]).starts_with("-EXECABORT"));
    assert_eq!(client.cmd(&["GET", "k"]), "$-1\r\n");
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "replica-read-only", "no"]),
        "+OK\r\n"
    );
    assert_eq!(client.cmd(&["SET", "k", "v"]), "+OK\r\n");
}

#[test]
fn a_replica_that_must_not_serve_stale_data_says_so_while_its_link_is_down() {
    let master = FakeMaster::new();
    let replica = master.replica(&["--replica-serve-stale-data", "no"]);
    let mut client = replica.raw();
    let masterdown =
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    assert_eq!(client.cmd(&["GET", "k"]), masterdown);
    // Commands flagged `stale` still run.
    assert!(
        client
            .cmd(&["INFO", "replication"])
            .contains("master_link_status:down")
    );
    let mut link = master.accept();
    link.full_sync();
    link.send(&resp(&["SET", "k", "v"]));
    assert!(reads(&replica, "k", "v"));
}

#[test]
fn replicaof_no_one_makes_a_master_that_keeps_its_history_as_the_second_id() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let mut link = master.accept();
    link.full_sync();
    link.send(&resp(&["SET", "k", "v"]));
    assert!(reads(&replica, "k", "v"));
    let mut client = replica.raw();
    assert_eq!(client.cmd(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    let info = client.cmd(&["INFO", "replication"]);
    assert!(info.contains("role:master\r\n"), "{info}");
    assert!(
        info.contains(&format!("master_replid2:{REPLID}\r\n")),
        "{info}"
    );
    let offset = resp(&["SET", "k", "v"]).len();
    assert!(
        info.contains(&format!("second_repl_offset:{}\r\n", offset + 1)),
        "{info}"
    );
    assert_eq!(client.cmd(&["SET", "mine", "1"]), "+OK\r\n");
    assert!(replica.logged("MASTER MODE enabled (user request from"));
    // The link is gone (what the replica sent before, its ACKs, is read first).
    let mut buf = [0; 256];
    assert!(wait_until(Duration::from_secs(10), || matches!(
        link.reader.read(&mut buf),
        Ok(0) | Err(_)
    )));
}

#[test]
fn replicaof_answers_as_redis_does() {
    let master = FakeMaster::new();
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["REPLICAOF", "127.0.0.1", "65536"]),
        "-ERR Invalid master port\r\n"
    );
    assert_eq!(
        client.cmd(&["REPLICAOF", "127.0.0.1", "x"]),
        "-ERR Invalid master port\r\n"
    );
    assert_eq!(
        client.cmd(&["SLAVEOF", "no"]),
        "-ERR wrong number of arguments for 'slaveof' command\r\n"
    );
    assert_eq!(client.cmd(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    let port = master.port().to_string();
    assert_eq!(client.cmd(&["SLAVEOF", "127.0.0.1", &port]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK Already connected to specified master\r\n"
    );
    // A master turning replica offers its own history, which the new master may continue.
    let handshake = master.accept().handshake();
    assert_eq!(handshake[3][0], "PSYNC");
    assert_eq!(handshake[3][2], "1");
    let role = client.cmd(&["ROLE"]);
    assert!(
        role.starts_with("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n"),
        "{role}"
    );
}

#[test]
fn a_diskless_snapshot_ends_at_its_mark_and_the_stream_follows_at_once() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let mut link = master.accept();
    link.handshake();
    let mark = "0123456789abcdefghij0123456789abcdefghij";
    let mut bytes = format!("\n\n$EOF:{mark}\r\n").into_bytes();
    bytes.extend_from_slice(&empty_rdb());
    bytes.extend_from_slice(mark.as_bytes());
    bytes.extend_from_slice(&resp(&["SET", "after", "mark"]));
    link.send(&bytes);
    assert!(reads(&replica, "after", "mark"));
    assert!(replica.logged("receiving streamed RDB from master with EOF to disk"));
}

#[test]
fn a_master_that_sends_garbage_is_dropped_and_tried_again() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    let mut link = master.accept();
    link.handshake();
    link.send(b"$11\r\nnot an rdb!");
    // The snapshot does not load: the sync is tried again, the server is fine.
    let mut again = master.accept();
    again.full_sync();
    again.send(&resp(&["SET", "k", "v"]));
    assert!(reads(&replica, "k", "v"));
    // A stream that breaks the protocol ends the link; the replica reconnects and asks to
    // continue from what it applied.
    again.send(b"*1\r\n$4\r\nPING\r\n*x\r\n");
    let offset = (resp(&["SET", "k", "v"]).len() + 14 + 1).to_string();
    let psync = master.accept().handshake().pop().unwrap();
    assert_eq!(psync, words(&["PSYNC", REPLID, &offset]));
    assert_eq!(replica.raw().cmd(&["PING"]), "+PONG\r\n");
    assert!(
        replica.logged("Failed trying to load the MASTER synchronization DB from disk"),
        "{}",
        replica.log()
    );
}

/// Writes of several types on `master`, and a check that `replica` ends with the same data.
fn write_every_type(master: &mut Raw) {
    master.run_all(&[
        &["SET", "s", "v"],
        &["RPUSH", "l", "a", "b", "c"],
        &["HSET", "h", "f", "1", "g", "2"],
        &["SADD", "set", "x", "y"],
        &["ZADD", "z", "1", "one", "2", "two"],
        &["XADD", "st", "1-1", "f", "v"],
        &["SET", "ttl", "v", "EX", "1000"],
        &["SELECT", "3"],
        &["INCRBY", "n", "5"],
        &["SELECT", "0"],
    ]);
}

/// DEBUG DIGEST allowed, and a diskless sync that starts at once (Redis waits 5 seconds for
/// more replicas by default).
const DEBUG_AND_NO_DELAY: [&str; 4] = [
    "--enable-debug-command",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
];

fn same_digest(master: &TestServer, replica: &TestServer) -> bool {
    wait_until(Duration::from_secs(10), || {
        master.raw().cmd(&["DEBUG", "DIGEST"]) == replica.raw().cmd(&["DEBUG", "DIGEST"])
    })
}

#[test]
fn a_thredis_replica_follows_a_thredis_master_and_resyncs_partially() {
    let master = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let mut writer = master.raw();
    write_every_type(&mut writer);
    let replica = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let port = master.port.to_string();
    assert_eq!(
        replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    assert!(same_digest(&master, &replica));
    writer.run_all(&[
        &["LPUSH", "l", "z"],
        &["DEL", "s"],
        &["HINCRBY", "h", "f", "9"],
    ]);
    assert!(same_digest(&master, &replica));
    // The link is cut: the replica comes back with PSYNC and gets only what it missed.
    let mut client = replica.raw();
    assert_eq!(client.cmd(&["CLIENT", "KILL", "TYPE", "master"]), ":1\r\n");
    writer.run_all(&[&["SET", "missed", "1"]]);
    assert!(master.logged("Partial resynchronization request from"));
    assert!(same_digest(&master, &replica));
    let mut redis = replica.client();
    let role: Vec<redis::Value> = query(&mut redis, &["ROLE"]);
    assert_eq!(role[3], redis::Value::BulkString(b"connected".to_vec()));
}

#[test]
fn a_writable_replica_expires_the_keys_its_own_clients_gave_a_ttl() {
    let master = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let mut writer = master.raw();
    writer.run_all(&[&["SET", "from-master", "v", "PX", "100"]]);
    let replica = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let mut client = replica.raw();
    let port = master.port.to_string();
    assert_eq!(client.cmd(&["REPLICAOF", "127.0.0.1", &port]), "+OK\r\n");
    assert!(same_digest(&master, &replica));
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "replica-read-only", "no"]),
        "+OK\r\n"
    );
    // Stops the master's own expiry: whatever goes on the replica, the replica removed.
    writer.run_all(&[
        &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        &["SET", "kept", "v", "PX", "100"],
    ]);
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["DBSIZE"])
        == ":2\r\n"));
    client.run_all(&[&["SET", "own", "v", "PX", "100"], &["SET", "plain", "v"]]);
    assert_eq!(client.cmd(&["DBSIZE"]), ":4\r\n");
    // Its own key goes by its own clock; the master's key waits for the master's DEL.
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["DBSIZE"])
        == ":3\r\n"));
    assert_eq!(client.cmd(&["EXISTS", "own"]), ":0\r\n");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        client.cmd(&["DBSIZE"]),
        ":3\r\n",
        "the master's key is not the replica's to expire"
    );
    assert_eq!(
        client.cmd(&["GET", "kept"]),
        "$-1\r\n",
        "but it reads as expired"
    );
}

#[test]
fn a_replica_of_a_replica_gets_the_stream_unchanged() {
    let master = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let middle = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let last = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let (master_port, middle_port) = (master.port.to_string(), middle.port.to_string());
    assert_eq!(
        middle.raw().cmd(&["REPLICAOF", "127.0.0.1", &master_port]),
        "+OK\r\n"
    );
    assert_eq!(
        last.raw().cmd(&["REPLICAOF", "127.0.0.1", &middle_port]),
        "+OK\r\n"
    );
    let mut writer = master.raw();
    write_every_type(&mut writer);
    assert!(same_digest(&master, &last));
    // One history along the chain: same ID, same offset.
    let field = |server: &TestServer, name: &str| {
        let info = info_replication(server);
        info.lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_string()
    };
    assert!(wait_until(Duration::from_secs(10), || {
        field(&master, "master_repl_offset:") == field(&last, "master_repl_offset:")
    }));
    assert_eq!(
        field(&master, "master_replid:"),
        field(&last, "master_replid:")
    );
}

#[test]
#[ignore = "needs redis-server: a thredis replica of a real Redis master"]
fn a_thredis_replica_follows_a_redis_server_master() {
    let redis =
        RealRedis::with_args(&["--repl-diskless-sync-delay", "0", "--logfile", "redis.log"]);
    let log = || std::fs::read_to_string(redis.dir.join("redis.log")).unwrap_or_default();
    let mut master = Raw::connect(redis.port);
    write_every_type(&mut master);
    let replica = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let port = redis.port.to_string();
    assert_eq!(
        replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    let digests_agree = |master: &mut Raw| {
        let mut replica = replica.raw();
        wait_until(Duration::from_secs(15), || {
            master.cmd(&["DEBUG", "DIGEST"]) == replica.cmd(&["DEBUG", "DIGEST"])
        })
    };
    assert!(digests_agree(&mut master));
    master.run_all(&[
        &["LPUSH", "l", "z"],
        &["ZINCRBY", "z", "5", "one"],
        &["XADD", "st", "*", "g", "w"],
        &["PFADD", "hll", "a", "b"],
        &["SETBIT", "bits", "7", "1"],
        &[
            "EVAL",
            "redis.call('set', KEYS[1], ARGV[1])",
            "1",
            "scripted",
            "yes",
        ],
        &["MULTI"],
        &["INCR", "counter"],
        &["EXPIRE", "counter", "1000"],
        &["EXEC"],
    ]);
    assert!(digests_agree(&mut master));
    // A cut link resumes with +CONTINUE: Redis logs that it accepted the partial resync.
    assert_eq!(
        replica.raw().cmd(&["CLIENT", "KILL", "TYPE", "master"]),
        ":1\r\n"
    );
    master.run_all(&[&["SET", "while-away", "1"]]);
    assert!(wait_until(Duration::from_secs(10), || {
        log().contains("Partial resynchronization request from")
    }));
    assert!(digests_agree(&mut master));
}

#[test]
fn a_replica_restarted_from_its_rdb_file_continues_with_psync() {
    let master = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let dir = common::scratch_dir("replica-restart");
    let target = format!("127.0.0.1 {}", master.port);
    let args = [
        "--replicaof",
        &target,
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ];
    let mut replica = TestServer::in_dir(&dir, &args);
    let mut writer = master.raw();
    write_every_type(&mut writer);
    assert!(same_digest(&master, &replica));
    // The file holds the history the data stands for.
    assert_eq!(replica.raw().cmd(&["SAVE"]), "+OK\r\n");
    replica.kill();
    writer.run_all(&[
        &["SET", "while-down", "1"],
        &["SELECT", "3"],
        &["INCR", "n"],
    ]);
    let replica = TestServer::in_dir(&dir, &args);
    assert!(same_digest(&master, &replica));
    assert!(master.logged("accepted. Sending"), "{}", master.log());
    assert!(replica.logged("Successful partial resynchronization with master."));
}

#[test]
fn a_replica_is_promoted_inside_a_transaction_as_sentinel_sends_it() {
    let master = FakeMaster::new();
    let replica = master.replica(&[]);
    master.accept().full_sync();
    let mut sentinel = replica.raw();
    assert_eq!(sentinel.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(sentinel.cmd(&["SLAVEOF", "NO", "ONE"]), "+QUEUED\r\n");
    assert_eq!(
        sentinel.cmd(&["CLIENT", "KILL", "TYPE", "normal"]),
        "+QUEUED\r\n"
    );
    let exec = sentinel.cmd(&["EXEC"]);
    assert!(exec.starts_with("*2\r\n+OK\r\n:"), "{exec}");
    assert!(info_replication(&replica).contains("role:master\r\n"));
}

#[test]
fn a_master_turning_replica_unblocks_its_blocked_clients_and_counts_what_it_applies() {
    let master = FakeMaster::new();
    let server = TestServer::start();
    let mut blocked = server.raw();
    blocked.send(&resp(&["BLPOP", "foo", "0"]));
    server.raw().wait_for_blocked(1);
    let port = master.port().to_string();
    assert_eq!(
        server.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    // What it waited for would come from the new master's stream: Redis ends the wait.
    assert_eq!(
        String::from_utf8(blocked.reply()).unwrap(),
        "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"
    );
    let mut link = master.accept();
    link.full_sync();
    link.send(&resp(&["RPUSH", "foo", "a"]));
    link.send(&resp(&["SET", "k", "v"]));
    assert!(reads(&server, "k", "v"));
    assert_eq!(server.raw().cmd(&["LLEN", "foo"]), ":1\r\n");
    // The master's commands count in commandstats, as Redis's call() counts them.
    let stats = server.raw().cmd(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_rpush:calls=1,"), "{stats}");
}

#[test]
fn a_message_published_on_the_master_reaches_the_replicas_subscribers() {
    let master = TestServer::with_args(&DEBUG_AND_NO_DELAY);
    let replica = TestServer::start();
    let port = master.port.to_string();
    assert_eq!(
        replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    let mut writer = master.raw();
    writer.run_all(&[&["SET", "k", "v"]]);
    assert!(reads(&replica, "k", "v"));
    let mut subscriber = replica.raw();
    subscriber.send(&resp(&["SUBSCRIBE", "news"]));
    assert_eq!(
        String::from_utf8(subscriber.reply()).unwrap(),
        "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
    );
    // The master has no subscriber of its own: 0, and the message still travels.
    assert_eq!(writer.cmd(&["PUBLISH", "news", "hello"]), ":0\r\n");
    assert_eq!(
        String::from_utf8(subscriber.reply()).unwrap(),
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
    );
}

#[test]
fn a_replica_keeps_an_expired_key_until_its_master_deletes_it() {
    let master = FakeMaster::new();
    let replica = master.replica(&["--enable-debug-command", "yes"]);
    let mut link = master.accept();
    link.full_sync();
    // A time already past, as a master sends it when the key expired on the way.
    let past = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        - 1000)
        .to_string();
    link.send(&resp(&["SET", "gone", "v", "PXAT", &past]));
    link.send(&resp(&["SET", "marker", "1"]));
    assert!(reads(&replica, "marker", "1"));
    let mut client = replica.raw();
    // Hidden from readers, but stored: expiry is the master's to decide.
    assert_eq!(client.cmd(&["EXISTS", "gone"]), ":0\r\n");
    assert_eq!(client.cmd(&["DBSIZE"]), ":2\r\n");
    assert!(
        client
            .cmd(&["DEBUG", "OBJECT", "gone"])
            .starts_with("+Value at:")
    );
    // The master's INCR meets the key as it stands on the master.
    link.send(&resp(&["SET", "counter", "5", "PXAT", &past]));
    link.send(&resp(&["INCR", "counter"]));
    link.send(&resp(&["DEL", "gone"]));
    link.send(&resp(&["SET", "marker", "2"]));
    assert!(reads(&replica, "marker", "2"));
    assert_eq!(client.cmd(&["DBSIZE"]), ":2\r\n");
    assert!(
        client
            .cmd(&["DEBUG", "OBJECT", "counter"])
            .starts_with("+Value at:")
    );
    assert_eq!(client.cmd(&["EXISTS", "counter"]), ":0\r\n");
}
