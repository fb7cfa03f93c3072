//! Transactions stages 55–65 (INCR, MULTI, EXEC, DISCARD, errors inside transactions) and
//! Redis's edge cases: what is refused while queuing, what EXEC does with runtime errors, the
//! commands that must not deadlock inside EXEC, and atomicity under load.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use common::{OOM, TestServer, query};

#[test]
fn stage_55_incr_adds_one_to_an_existing_number() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "foo", "41"]);
    assert_eq!(client.cmd(&["INCR", "foo"]), ":42\r\n");
}

#[test]
fn stage_56_incr_starts_a_missing_key_at_zero() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["INCR", "missing"]), ":1\r\n");
    assert_eq!(client.cmd(&["INCR", "missing"]), ":2\r\n");
    assert_eq!(client.cmd(&["GET", "missing"]), "$1\r\n2\r\n");
}

#[test]
fn stage_57_incr_on_a_non_number_is_an_error() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "word", "banana"]);
    assert_eq!(
        client.cmd(&["INCR", "word"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn stage_58_multi_replies_ok() {
    let server = TestServer::start();
    assert_eq!(server.raw().cmd(&["MULTI"]), "+OK\r\n");
}

#[test]
fn stage_59_exec_without_multi_is_an_error() {
    let server = TestServer::start();
    assert_eq!(server.raw().cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn stage_60_an_empty_transaction_replies_an_empty_array() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    assert_eq!(client.cmd(&["EXEC"]), "*0\r\n");
    assert_eq!(client.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn stage_61_queued_commands_reply_queued_and_do_not_run_yet() {
    let server = TestServer::start();
    let (mut c1, mut c2) = (server.raw(), server.raw());
    c1.cmd(&["MULTI"]);
    assert_eq!(c1.cmd(&["SET", "k", "41"]), "+QUEUED\r\n");
    assert_eq!(c1.cmd(&["INCR", "k"]), "+QUEUED\r\n");
    assert_eq!(c2.cmd(&["GET", "k"]), "$-1\r\n");
}

#[test]
fn stage_62_exec_replies_with_every_queued_reply_in_order() {
    let server = TestServer::start();
    let (mut c1, mut c2) = (server.raw(), server.raw());
    c1.cmd(&["MULTI"]);
    for args in [
        &["SET", "k1", "41"][..],
        &["INCR", "k1"],
        &["INCR", "k2"],
        &["GET", "k2"],
    ] {
        assert_eq!(c1.cmd(args), "+QUEUED\r\n");
    }
    assert_eq!(c1.cmd(&["EXEC"]), "*4\r\n+OK\r\n:42\r\n:1\r\n$1\r\n1\r\n");
    assert_eq!(c2.cmd(&["GET", "k1"]), "$2\r\n42\r\n");
}

#[test]
fn stage_63_discard_drops_the_queued_commands() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k2", "v2"]);
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "k1", "v1"]);
    client.cmd(&["INCR", "k1"]);
    assert_eq!(client.cmd(&["DISCARD"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "k1"]), "$-1\r\n");
    assert_eq!(client.cmd(&["GET", "k2"]), "$2\r\nv2\r\n");
    assert_eq!(client.cmd(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
}

#[test]
fn stage_64_a_command_failing_inside_exec_does_not_stop_the_others() {
    let server = TestServer::start();
    let (mut c1, mut c2) = (server.raw(), server.raw());
    c1.cmd(&["SET", "k1", "word"]);
    c1.cmd(&["SET", "k2", "7"]);
    c1.cmd(&["MULTI"]);
    c1.cmd(&["INCR", "k1"]);
    c1.cmd(&["INCR", "k2"]);
    assert_eq!(
        c1.cmd(&["EXEC"]),
        "*2\r\n-ERR value is not an integer or out of range\r\n:8\r\n"
    );
    assert_eq!(c2.cmd(&["GET", "k2"]), "$1\r\n8\r\n");
    assert_eq!(c2.cmd(&["GET", "k1"]), "$4\r\nword\r\n");
}

#[test]
fn stage_65_transactions_of_several_clients_run_in_turn() {
    let server = TestServer::start();
    let mut clients: Vec<_> = (0..3).map(|_| server.raw()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.cmd(&["SET", "k2", "10"]);
        assert_eq!(client.cmd(&["INCR", "k1"]), format!(":{}\r\n", i + 1));
    }
    for client in &mut clients {
        client.cmd(&["MULTI"]);
        client.cmd(&["INCR", "k1"]);
        client.cmd(&["INCR", "k2"]);
    }
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(
            client.cmd(&["EXEC"]),
            format!("*2\r\n:{}\r\n:{}\r\n", 4 + i, 11 + i)
        );
    }
}

#[test]
fn nested_multi_is_an_error_that_keeps_the_transaction_open() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    assert_eq!(
        client.cmd(&["MULTI"]),
        "-ERR MULTI calls can not be nested\r\n"
    );
    client.cmd(&["SET", "a", "1"]);
    assert_eq!(client.cmd(&["EXEC"]), "*1\r\n+OK\r\n");
}

#[test]
fn a_command_refused_while_queuing_makes_exec_abort_and_run_nothing() {
    let server = TestServer::start();
    let mut client = server.raw();
    for refused in [&["NOSUCHCOMMAND"][..], &["GET"], &["SHUTDOWN"]] {
        client.cmd(&["MULTI"]);
        client.cmd(&["SET", "a", "1"]);
        assert!(client.cmd(refused).starts_with("-ERR "), "{refused:?}");
        client.cmd(&["SET", "b", "1"]);
        assert_eq!(
            client.cmd(&["EXEC"]),
            "-EXECABORT Transaction discarded because of previous errors.\r\n"
        );
        assert_eq!(client.cmd(&["EXISTS", "a", "b"]), ":0\r\n");
    }
    client.cmd(&["MULTI"]);
    assert_eq!(
        client.cmd(&["SHUTDOWN"]),
        "-ERR Command not allowed inside a transaction\r\n"
    );
}

#[test]
fn exec_with_arguments_aborts_the_transaction_with_the_reason() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "a", "1"]);
    assert_eq!(
        client.cmd(&["EXEC", "now"]),
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    );
    assert_eq!(client.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(client.cmd(&["EXISTS", "a"]), ":0\r\n");
}

#[test]
fn exec_leaves_multi_whatever_its_outcome() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    client.cmd(&["NOSUCHCOMMAND"]);
    client.cmd(&["EXEC"]);
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn quit_inside_multi_closes_the_connection_at_once() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    assert_eq!(client.cmd(&["QUIT"]), "+OK\r\n");
    assert!(client.is_closed());
}

#[test]
fn reset_leaves_the_transaction_and_the_watches() {
    let server = TestServer::start();
    let (mut client, mut other) = (server.raw(), server.raw());
    client.cmd(&["WATCH", "w"]);
    client.cmd(&["SELECT", "3"]);
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "a", "1"]);
    assert_eq!(client.cmd(&["RESET"]), "+RESET\r\n");
    other.cmd(&["SET", "w", "changed"]);
    assert_eq!(client.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    client.cmd(&["MULTI"]);
    client.cmd(&["GET", "w"]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        "*1\r\n$7\r\nchanged\r\n",
        "back in db 0, nothing watched"
    );
}

#[test]
fn commands_that_read_the_data_without_a_lock_of_their_own_work_inside_exec() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    client.cmd(&["SET", "a", "1"]);
    client.cmd(&["MULTI"]);
    for args in [
        &["INFO"][..],
        &["INFO", "keyspace"],
        &["DEBUG", "OBJECT", "a"],
        &["DEBUG", "SLEEP", "0"],
        &["DBSIZE"],
    ] {
        assert_eq!(client.cmd(args), "+QUEUED\r\n");
    }
    client.send(&common::resp(&["EXEC"]));
    let reply = client.reply_text();
    assert!(reply.starts_with("*5\r\n"), "{reply}");
    assert!(reply.contains("db0:keys=1,expires=0"), "{reply}");
    assert!(reply.contains("+Value at:"), "{reply}");
    assert!(reply.ends_with("+OK\r\n:1\r\n"), "{reply}");
}

#[test]
fn select_inside_a_transaction_moves_the_rest_of_it() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "k", "zero"]);
    client.cmd(&["SELECT", "2"]);
    client.cmd(&["SET", "k", "two"]);
    client.cmd(&["INCR", "n"]);
    assert_eq!(client.cmd(&["EXEC"]), "*4\r\n+OK\r\n+OK\r\n+OK\r\n:1\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$3\r\ntwo\r\n");
    client.cmd(&["SELECT", "0"]);
    assert_eq!(client.cmd(&["GET", "k"]), "$4\r\nzero\r\n");
    assert_eq!(client.cmd(&["EXISTS", "n"]), ":0\r\n");
}

#[test]
fn exec_replies_in_resp3_for_a_resp3_client() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["HELLO", "3"]);
    client.cmd(&["MULTI"]);
    client.cmd(&["GET", "missing"]);
    client.cmd(&["WATCH", "x"]);
    assert_eq!(client.cmd(&["EXEC"]), "*1\r\n_\r\n");
}

#[test]
fn a_hello_inside_a_transaction_switches_the_protocol_for_the_rest_of_it() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    client.cmd(&["HELLO", "3"]);
    client.cmd(&["GET", "missing"]);
    let reply = client.cmd(&["EXEC"]);
    assert!(reply.starts_with("*2\r\n%7\r\n"), "{reply}");
    assert!(
        reply.ends_with("*0\r\n_\r\n"),
        "a RESP3 null after HELLO 3: {reply}"
    );
}

#[test]
fn client_list_shows_a_client_inside_multi() {
    let server = TestServer::start();
    let (mut client, mut observer) = (server.raw(), server.raw());
    client.cmd(&["CLIENT", "SETNAME", "txn"]);
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "a", "1"]);
    client.cmd(&["GET", "a"]);
    let list = observer.cmd(&["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.contains("name=txn")).unwrap();
    assert!(line.contains(" flags=x "), "{line}");
    assert!(line.contains(" multi=2 "), "{line}");
    client.cmd(&["EXEC"]);
    let list = observer.cmd(&["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.contains("name=txn")).unwrap();
    assert!(
        line.contains(" flags=N ") && line.contains(" multi=-1 "),
        "{line}"
    );
}

#[test]
fn queued_commands_are_counted_when_exec_runs_them() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["CONFIG", "RESETSTAT"]);
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "a", "1"]);
    client.cmd(&["SET", "a", "2"]);
    let before = client.cmd(&["INFO", "commandstats"]);
    assert!(!before.contains("cmdstat_set:"), "queued, not yet run");
    client.cmd(&["EXEC"]);
    let after = client.cmd(&["INFO", "commandstats"]);
    assert!(after.contains("cmdstat_set:calls=2,"), "{after}");
    assert!(after.contains("cmdstat_exec:calls=1,"), "{after}");
}

/// Several clients run `MULTI / INCR a / INCR b / EXEC` in loops while another reads `a` and `b`
/// outside any transaction: it never sees them differ, because EXEC holds the write lock for
/// the whole transaction.
#[test]
fn no_client_ever_sees_a_transaction_half_done() {
    const WRITERS: usize = 4;
    const TRANSACTIONS: usize = 1000;
    let server = TestServer::start();
    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let mut client = server.client();
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut polls = 0;
            while !done.load(Ordering::Relaxed) {
                let (a, b): (Option<i64>, Option<i64>) = query(&mut client, &["MGET", "a", "b"]);
                assert_eq!(a, b, "a transaction was seen half done");
                polls += 1;
            }
            polls
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let mut client = server.client();
            thread::spawn(move || {
                for _ in 0..TRANSACTIONS {
                    let (a, b): (i64, i64) = redis::pipe()
                        .atomic()
                        .cmd("INCR")
                        .arg("a")
                        .cmd("INCR")
                        .arg("b")
                        .query(&mut client)
                        .unwrap();
                    assert_eq!(a, b);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let polls = poller.join().unwrap();
    assert!(polls > 0);
    let mut client = server.client();
    let total = (WRITERS * TRANSACTIONS) as i64;
    let (a, b): (i64, i64) = query(&mut client, &["MGET", "a", "b"]);
    assert_eq!((a, b), (total, total));
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn transactions_reply_like_redis() {
    let mut pair = common::real_redis::Pair::new();
    pair.each(&[
        &["EXEC"],
        &["DISCARD"],
        &["MULTI"],
        &["MULTI"],
        &["SET", "a", "1"],
        &["INCR", "a"],
        &["INCR", "a", "extra"],
        &["EXEC"],
        &["MULTI"],
        &["SET", "a", "x"],
        &["INCR", "a"],
        &["GET", "a"],
        &["WATCH", "a"],
        &["EXEC"],
        &["MULTI"],
        &["NOSUCHCOMMAND", "x"],
        &["EXEC"],
        &["MULTI"],
        &["SHUTDOWN", "NOSAVE"],
        &["DISCARD", "now"],
        &["EXEC", "now"],
        &["EXEC"],
        &["WATCH"],
        &["UNWATCH", "x"],
        &["WATCH", "a", "b"],
        &["UNWATCH"],
        &["MULTI"],
        &["UNWATCH"],
        &["SELECT", "1"],
        &["SET", "a", "in one"],
        &["EXEC"],
        &["GET", "a"],
        &["SELECT", "0"],
        &["MULTI"],
        &["SUBSCRIBE", "a"],
        &["EXEC"],
        &["RESET"],
    ]);
    // HELLO replies with the connection id, which differs.
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["MULTI"],
        &["GET", "missing"],
        &["EXEC"],
        &["WATCH", "w"],
        &["SET", "w", "changed"],
        &["MULTI"],
        &["PING"],
        &["EXEC"],
    ]);
}

#[test]
fn past_maxmemory_queuing_is_refused_and_flags_the_transaction_but_discard_works() {
    let server = TestServer::start();
    let mut client = server.raw();
    let mut admin = server.raw();
    client.cmd(&["MULTI"]);
    assert_eq!(client.cmd(&["SET", "a", "1"]), "+QUEUED\r\n");
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    // Inside MULTI even a read is refused: the queue itself uses memory.
    assert_eq!(client.cmd(&["GET", "a"]), OOM);
    assert_eq!(client.cmd(&["DISCARD"]), "+OK\r\n");
    assert_eq!(client.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(client.cmd(&["PING"]), OOM);
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
}

#[test]
fn past_maxmemory_exec_fails_only_when_it_queued_a_command_that_may_grow_the_data() {
    let server = TestServer::start();
    let mut client = server.raw();
    let mut admin = server.raw();
    client.run_all(&[&["SET", "x", "v"], &["MULTI"], &["GET", "x"], &["PING"]]);
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(client.cmd(&["EXEC"]), "*2\r\n$1\r\nv\r\n+PONG\r\n");
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    client.run_all(&[&["MULTI"], &["SET", "x", "w"], &["GET", "x"]]);
    admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(client.cmd(&["GET", "x"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn min_replicas_to_write_without_replicas_refuses_writes_and_aborts_an_exec_that_writes() {
    let server = TestServer::start();
    let mut client = server.raw();
    let mut admin = server.raw();
    client.run_all(&[&["SET", "xx", "1"], &["MULTI"], &["INCR", "xx"]]);
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "min-replicas-to-write", "2"]),
        "+OK\r\n"
    );
    assert_eq!(
        client.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.\r\n"
    );
    assert_eq!(client.cmd(&["GET", "xx"]), "$1\r\n1\r\n");
    assert_eq!(
        client.cmd(&["SET", "y", "1"]),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    client.run_all(&[&["MULTI"], &["GET", "xx"]]);
    assert_eq!(client.cmd(&["EXEC"]), "*1\r\n$1\r\n1\r\n");
    // Without a lag window the setting is inactive, as in Redis.
    admin.cmd(&["CONFIG", "SET", "min-replicas-max-lag", "0"]);
    assert_eq!(client.cmd(&["SET", "y", "1"]), "+OK\r\n");
}
