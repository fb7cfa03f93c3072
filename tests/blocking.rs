//! Blocking commands (`BLPOP`, `BRPOP`, `BLMOVE`, `BRPOPLPUSH`, `BLMPOP`), as `blocking.rs`
//! implements them: first come first served, one element to exactly one client, timeouts to the
//! millisecond, clean-up of clients that leave, `CLIENT UNBLOCK`, the blocked state in `INFO`
//! and `CLIENT LIST`, and hundreds of idle blocked clients costing no CPU.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{Raw, TestServer, error, resp};

/// Waits until `count` clients are blocked, as Redis's test suite does.
fn wait_for_blocked(server: &TestServer, count: usize) {
    server.raw().wait_for_blocked(count);
}

fn pair(key: &str, value: &str) -> String {
    format!(
        "*2\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
        key.len(),
        value.len()
    )
}

#[test]
fn blpop_serves_the_client_that_blocked_first() {
    let server = TestServer::start();
    let (mut first, mut second) = (server.raw(), server.raw());
    first.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    second.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 2);
    let mut pusher = server.raw();
    assert_eq!(pusher.cmd(&["RPUSH", "k", "one"]), ":1\r\n");
    assert_eq!(first.reply_text(), pair("k", "one"));
    assert!(
        second.nothing_within(Duration::from_millis(200)),
        "one element, one client"
    );
    pusher.cmd(&["RPUSH", "k", "two"]);
    assert_eq!(second.reply_text(), pair("k", "two"));
    assert_eq!(pusher.cmd(&["EXISTS", "k"]), ":0\r\n");
}

#[test]
fn a_multi_element_push_serves_the_waiters_in_order_after_the_command() {
    let server = TestServer::start();
    let (mut a, mut b) = (server.raw(), server.raw());
    a.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    b.send(&resp(&["BRPOP", "k", "0"]));
    wait_for_blocked(&server, 2);
    let mut pusher = server.raw();
    assert_eq!(
        pusher.cmd(&["RPUSH", "k", "1", "2", "3"]),
        ":3\r\n",
        "the push sees all three"
    );
    assert_eq!(a.reply_text(), pair("k", "1"));
    assert_eq!(b.reply_text(), pair("k", "3"));
    assert_eq!(pusher.cmd(&["LRANGE", "k", "0", "-1"]), "*1\r\n$1\r\n2\r\n");
}

#[test]
fn pushes_inside_a_transaction_serve_waiters_after_exec() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    let mut c = server.raw();
    c.cmd(&["MULTI"]);
    for item in ["a", "b", "c"] {
        assert_eq!(c.cmd(&["LPUSH", "k", item]), "+QUEUED\r\n");
    }
    assert_eq!(c.cmd(&["EXEC"]), "*3\r\n:1\r\n:2\r\n:3\r\n");
    // Served once the whole transaction has run: it sees the last push first, as in Redis.
    assert_eq!(waiter.reply_text(), pair("k", "c"));

    waiter.send(&resp(&["BLPOP", "gone", "0"]));
    wait_for_blocked(&server, 1);
    c.cmd(&["MULTI"]);
    c.cmd(&["LPUSH", "gone", "x"]);
    c.cmd(&["DEL", "gone"]);
    c.cmd(&["EXEC"]);
    assert!(
        waiter.nothing_within(Duration::from_millis(200)),
        "no list left to serve"
    );
    c.cmd(&["LPUSH", "gone", "y"]);
    assert_eq!(waiter.reply_text(), pair("gone", "y"));
}

#[test]
fn a_blocking_pop_inside_a_transaction_does_not_block() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["MULTI"]);
    c.cmd(&["BLPOP", "missing", "0"]);
    c.cmd(&["BLMOVE", "missing", "d", "LEFT", "LEFT", "0"]);
    c.cmd(&["BLMPOP", "0", "1", "missing", "LEFT"]);
    assert_eq!(c.cmd(&["EXEC"]), "*3\r\n*-1\r\n$-1\r\n*-1\r\n");
}

#[test]
fn blpop_on_several_keys_pops_the_first_non_empty_in_argument_order() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "second", "s"]);
    c.cmd(&["RPUSH", "third", "t"]);
    assert_eq!(
        c.cmd(&["BLPOP", "first", "second", "third", "0"]),
        pair("second", "s")
    );
    assert_eq!(
        c.cmd(&["BLPOP", "first", "second", "third", "0"]),
        pair("third", "t")
    );
}

#[test]
fn a_client_blocked_on_several_keys_is_served_by_whichever_gets_a_push() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BLPOP", "a", "b", "a", "0"]));
    wait_for_blocked(&server, 1);
    server.raw().cmd(&["LPUSH", "b", "x"]);
    assert_eq!(waiter.reply_text(), pair("b", "x"));
    wait_for_blocked(&server, 0);
    assert_eq!(server.raw().cmd(&["LPUSH", "a", "y"]), ":1\r\n");
    assert_eq!(
        server.raw().cmd(&["LLEN", "a"]),
        ":1\r\n",
        "served once, never again"
    );
}

#[test]
fn a_tenth_of_a_second_timeout_returns_between_0_1_and_0_3_seconds() {
    let server = TestServer::start();
    let mut c = server.raw();
    let mut fastest = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(c.cmd(&["BLPOP", "missing", "0.1"]), "*-1\r\n");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(100),
            "returned early: {took:?}"
        );
        fastest = fastest.min(took);
    }
    // The lower bound is exact; the upper one allows for a loaded machine, on the best of three.
    assert!(fastest < Duration::from_millis(300), "took {fastest:?}");
}

#[test]
fn a_timed_out_wait_replies_null_in_the_clients_protocol() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["BLPOP", "missing", "0.01"]), "_\r\n");
    assert_eq!(
        c.cmd(&["BLMOVE", "missing", "d", "LEFT", "LEFT", "0.01"]),
        "_\r\n"
    );
    c.cmd(&["HELLO", "2"]);
    assert_eq!(c.cmd(&["BRPOPLPUSH", "missing", "d", "0.01"]), "*-1\r\n");
    assert_eq!(
        c.cmd(&["BLMPOP", "0.01", "1", "missing", "LEFT"]),
        "*-1\r\n"
    );
}

#[test]
fn a_zero_timeout_waits_until_an_element_arrives() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BRPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    assert!(waiter.nothing_within(Duration::from_millis(500)));
    server.raw().cmd(&["LPUSH", "k", "late"]);
    assert_eq!(waiter.reply_text(), pair("k", "late"));
}

#[test]
fn bad_timeouts_are_refused_as_redis_does() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["BLPOP", "k", "-1"]),
        error("ERR timeout is negative")
    );
    assert_eq!(
        c.cmd(&["BLPOP", "k", "abc"]),
        error("ERR timeout is not a float or out of range")
    );
    assert_eq!(
        c.cmd(&["BRPOPLPUSH", "a", "b", "inf"]),
        error("ERR timeout is negative")
    );
    assert_eq!(
        c.cmd(&["BLMPOP", "nan", "1", "k", "LEFT"]),
        error("ERR timeout is not a float or out of range")
    );
}

#[test]
fn a_client_that_disconnects_while_blocked_is_cleaned_up() {
    let server = TestServer::start();
    let mut leaving = server.raw();
    leaving.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    drop(leaving);
    wait_for_blocked(&server, 0);
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(c.cmd(&["LLEN", "k"]), ":1\r\n", "nobody took the element");
}

#[test]
fn a_killed_blocked_client_is_cleaned_up() {
    let server = TestServer::start();
    let mut victim = server.raw();
    let id = victim.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim();
    victim.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    assert_eq!(server.raw().cmd(&["CLIENT", "KILL", "ID", id]), ":1\r\n");
    wait_for_blocked(&server, 0);
    assert!(victim.is_closed());
}

#[test]
fn client_unblock_ends_the_wait_as_a_timeout_or_an_error() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    let id = waiter.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim().to_string();
    let mut admin = server.raw();
    waiter.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(waiter.reply_text(), "*-1\r\n");
    waiter.send(&resp(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]));
    wait_for_blocked(&server, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert_eq!(
        waiter.reply_text(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(
        admin.cmd(&["CLIENT", "UNBLOCK", &id]),
        ":0\r\n",
        "no longer blocked"
    );
    assert_eq!(
        admin.cmd(&["CLIENT", "UNBLOCK", &id, "LATER"]),
        error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    );
    assert_eq!(waiter.cmd(&["PING"]), "+PONG\r\n", "the connection goes on");
}

#[test]
fn info_and_client_list_show_blocked_clients() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BLPOP", "k", "10"]));
    wait_for_blocked(&server, 1);
    let mut admin = server.raw();
    let info = admin.cmd(&["INFO", "clients"]);
    assert!(info.contains("clients_in_timeout_table:1\r\n"), "{info}");
    let list = admin.cmd(&["CLIENT", "LIST"]);
    let blocked: Vec<&str> = list.lines().filter(|l| l.contains(" flags=b ")).collect();
    assert_eq!(blocked.len(), 1, "{list}");
    assert!(blocked[0].contains(" cmd=blpop "), "{}", blocked[0]);
    admin.cmd(&["RPUSH", "k", "v"]);
    waiter.reply();
    assert!(!admin.cmd(&["CLIENT", "LIST"]).contains(" flags=b "));
}

#[test]
fn replies_pending_before_a_block_go_out_and_commands_after_it_wait() {
    let server = TestServer::start();
    let mut c = server.raw();
    let mut pipeline = resp(&["PING"]);
    pipeline.extend(resp(&["BLPOP", "k", "0"]));
    pipeline.extend(resp(&["ECHO", "after"]));
    c.send(&pipeline);
    assert_eq!(c.reply_text(), "+PONG\r\n", "not held back by the block");
    assert!(c.nothing_within(Duration::from_millis(300)));
    server.raw().cmd(&["RPUSH", "k", "v"]);
    assert_eq!(c.reply_text(), pair("k", "v"));
    assert_eq!(c.reply_text(), "$5\r\nafter\r\n");
}

#[test]
fn blmove_serves_by_pushing_and_the_push_can_serve_another_client() {
    let server = TestServer::start();
    let (mut mover, mut popper) = (server.raw(), server.raw());
    mover.send(&resp(&["BLMOVE", "src", "mid", "RIGHT", "LEFT", "0"]));
    wait_for_blocked(&server, 1);
    popper.send(&resp(&["BLPOP", "mid", "0"]));
    wait_for_blocked(&server, 2);
    let mut c = server.raw();
    c.cmd(&["RPUSH", "src", "x"]);
    assert_eq!(mover.reply_text(), "$1\r\nx\r\n");
    assert_eq!(popper.reply_text(), pair("mid", "x"));
    assert_eq!(c.cmd(&["EXISTS", "src", "mid"]), ":0\r\n");
}

#[test]
fn brpoplpush_onto_a_key_of_another_type_fails_without_losing_the_element() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BRPOPLPUSH", "src", "dst", "0"]));
    wait_for_blocked(&server, 1);
    let mut c = server.raw();
    c.cmd(&["SET", "dst", "string"]);
    c.cmd(&["RPUSH", "src", "x"]);
    assert_eq!(
        waiter.reply_text(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(c.cmd(&["LRANGE", "src", "0", "-1"]), "*1\r\n$1\r\nx\r\n");
}

#[test]
fn blmpop_serves_up_to_its_count() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&[
        "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2",
    ]));
    wait_for_blocked(&server, 1);
    server.raw().cmd(&["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(
        waiter.reply_text(),
        "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
}

#[test]
fn a_list_renamed_or_swapped_into_place_wakes_its_waiters() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    let mut c = server.raw();
    c.cmd(&["RPUSH", "other", "renamed"]);
    c.cmd(&["RENAME", "other", "k"]);
    assert_eq!(waiter.reply_text(), pair("k", "renamed"));

    waiter.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["RPUSH", "k", "swapped"]);
    c.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(waiter.reply_text(), pair("k", "swapped"));
}

#[test]
fn a_waiter_is_served_in_its_own_database() {
    let server = TestServer::start();
    let mut waiter = server.raw();
    waiter.cmd(&["SELECT", "3"]);
    waiter.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    let mut c = server.raw();
    c.cmd(&["RPUSH", "k", "db0"]);
    assert!(
        waiter.nothing_within(Duration::from_millis(200)),
        "db 0 is not db 3"
    );
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["RPUSH", "k", "db3"]);
    assert_eq!(waiter.reply_text(), pair("k", "db3"));
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["LLEN", "k"]), ":1\r\n");
}

#[test]
fn a_blocked_client_is_not_closed_as_idle() {
    let server = TestServer::with_args(&["--timeout", "1"]);
    let mut waiter = server.raw();
    waiter.send(&resp(&["BLPOP", "k", "0"]));
    wait_for_blocked(&server, 1);
    // `timeout 1` closes clients idle for more than a second; a blocked one must stay.
    thread::sleep(Duration::from_millis(2500));
    server.raw().cmd(&["RPUSH", "k", "v"]);
    assert_eq!(waiter.reply_text(), pair("k", "v"));
}

#[test]
fn two_hundred_blocked_clients_and_two_hundred_pushes_serve_each_once() {
    let server = TestServer::start();
    let mut waiters: Vec<Raw> = (0..200).map(|_| server.raw()).collect();
    for waiter in &mut waiters {
        waiter.send(&resp(&["BLPOP", "k", "0"]));
    }
    wait_for_blocked(&server, 200);
    let port = server.port;
    let pushers: Vec<_> = (0..4)
        .map(|t| {
            thread::spawn(move || {
                let mut c = Raw::connect(port);
                for i in 0..50 {
                    c.cmd(&["RPUSH", "k", &format!("{t}-{i}")]);
                }
            })
        })
        .collect();
    pushers.into_iter().for_each(|p| p.join().unwrap());
    let mut got: Vec<String> = waiters.iter_mut().map(|w| w.reply_text()).collect();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 200, "every element went to exactly one client");
    assert_eq!(server.raw().cmd(&["EXISTS", "k"]), ":0\r\n");
    wait_for_blocked(&server, 0);
}

/// User plus system CPU time of a process, in clock ticks (`/proc/<pid>/stat`, fields 14–15).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("Linux /proc");
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
#[cfg(target_os = "linux")]
fn two_hundred_idle_blocked_clients_cost_no_cpu() {
    let server = TestServer::start();
    let mut waiters: Vec<Raw> = (0..200).map(|_| server.raw()).collect();
    for (i, waiter) in waiters.iter_mut().enumerate() {
        waiter.send(&resp(&["BLPOP", &format!("k{i}"), "0"]));
    }
    wait_for_blocked(&server, 200);
    let before = cpu_ticks(server.pid());
    thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(server.pid()) - before;
    // Ticks are 10 ms. An idle server's background thread wakes 10 times a second; 200
    // spinning or polling clients would burn whole seconds here.
    assert!(
        used <= 10,
        "{used} ticks of CPU in 2 s with 200 clients blocked"
    );
}

#[test]
fn a_client_blocked_in_a_command_its_user_loses_is_refused_not_served() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[&[
        "ACL", "SETUSER", "worker", "on", "nopass", "~jobs*", "+blpop", "+auth",
    ]]);
    let mut worker = server.raw();
    assert_eq!(worker.cmd(&["AUTH", "worker", "x"]), "+OK\r\n");
    worker.send(&resp(&["BLPOP", "jobs", "0"]));
    wait_for_blocked(&server, 1);
    // The key is taken away from the user while the client waits: the element pushed next
    // must not reach it.
    admin.run_all(&[&["ACL", "SETUSER", "worker", "resetkeys", "~other*"]]);
    assert_eq!(
        worker.reply_text(),
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
    );
    assert_eq!(admin.cmd(&["RPUSH", "jobs", "a"]), ":1\r\n");
    assert_eq!(admin.cmd(&["LLEN", "jobs"]), ":1\r\n", "nobody took it");
    let log = admin.cmd(&["ACL", "LOG", "1"]);
    assert!(
        log.contains("\r\nkey\r\n") && log.contains("\r\njobs\r\n"),
        "{log}"
    );
    // A change that keeps the command allowed leaves a waiter alone.
    worker.send(&resp(&["BLPOP", "other", "0"]));
    wait_for_blocked(&server, 1);
    admin.run_all(&[&["ACL", "SETUSER", "worker", "+lpush"]]);
    assert_eq!(admin.cmd(&["RPUSH", "other", "b"]), ":1\r\n");
    assert_eq!(worker.reply_text(), pair("other", "b"));
}
