//! Optimistic locking stages 66–73 (WATCH, UNWATCH, and EXEC's null reply when a watched key
//! changed), and what else counts as a change in Redis: expiry, FLUSHDB, FLUSHALL, SWAPDB,
//! RENAME, DEL, the client's own writes, and keys that had already expired when watched.

mod common;

use std::time::Duration;

use common::{Raw, TestServer, wait_until};

/// Runs `MULTI / SET key value / EXEC` and returns EXEC's reply.
fn set_in_transaction(client: &mut Raw, key: &str, value: &str) -> String {
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", key, value]);
    client.cmd(&["EXEC"])
}

/// `MULTI / PING / EXEC`: `*1 +PONG` if the transaction ran, `*-1` if it was aborted.
fn ping_in_transaction(client: &mut Raw) -> String {
    client.cmd(&["MULTI"]);
    client.cmd(&["PING"]);
    client.cmd(&["EXEC"])
}

const RAN: &str = "*1\r\n+PONG\r\n";
const ABORTED: &str = "*-1\r\n";

#[test]
fn stage_66_watch_replies_ok() {
    let server = TestServer::start();
    assert_eq!(server.raw().cmd(&["WATCH", "k"]), "+OK\r\n");
}

#[test]
fn stage_67_watch_inside_multi_is_refused() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    assert_eq!(
        client.cmd(&["WATCH", "k"]),
        "-ERR WATCH inside MULTI is not allowed\r\n"
    );
}

#[test]
fn stage_68_a_watched_key_changed_by_another_client_aborts_exec() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["SET", "wk", "1"]);
    watcher.cmd(&["SET", "uk", "2"]);
    watcher.cmd(&["WATCH", "wk"]);
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["SET", "uk", "60"]);
    modifier.cmd(&["SET", "wk", "150"]);
    assert_eq!(watcher.cmd(&["EXEC"]), ABORTED);
    assert_eq!(watcher.cmd(&["GET", "uk"]), "$1\r\n2\r\n");

    // A change to a key nobody watches aborts nothing.
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["WATCH", "wk"]);
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["SET", "uk", "61"]);
    modifier.cmd(&["SET", "other", "150"]);
    assert_eq!(watcher.cmd(&["EXEC"]), "*1\r\n+OK\r\n");
    assert_eq!(watcher.cmd(&["GET", "uk"]), "$2\r\n61\r\n");
}

#[test]
fn stage_69_a_change_to_any_of_several_watched_keys_aborts_exec() {
    let server = TestServer::start();
    for changed in ["k1", "k2"] {
        let (mut watcher, mut modifier) = (server.raw(), server.raw());
        watcher.cmd(&["SET", "k1", "1"]);
        watcher.cmd(&["SET", "k2", "2"]);
        watcher.cmd(&["WATCH", "k1", "k2"]);
        watcher.cmd(&["MULTI"]);
        watcher.cmd(&["SET", "k1", "70"]);
        modifier.cmd(&["SET", changed, "170"]);
        assert_eq!(watcher.cmd(&["EXEC"]), ABORTED, "{changed} changed");
        assert_eq!(modifier.cmd(&["GET", changed]), "$3\r\n170\r\n");
    }
}

#[test]
fn stage_70_a_watched_missing_key_that_gets_created_aborts_exec() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["WATCH", "missing"]);
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["SET", "missing", "mine"]);
    modifier.cmd(&["SET", "missing", "theirs"]);
    assert_eq!(watcher.cmd(&["EXEC"]), ABORTED);
    assert_eq!(watcher.cmd(&["GET", "missing"]), "$6\r\ntheirs\r\n");
}

#[test]
fn stage_71_unwatch_forgets_the_watched_keys() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["WATCH", "k1", "k2"]);
    modifier.cmd(&["SET", "k1", "theirs"]);
    assert_eq!(watcher.cmd(&["UNWATCH"]), "+OK\r\n");
    assert_eq!(
        set_in_transaction(&mut watcher, "k1", "mine"),
        "*1\r\n+OK\r\n"
    );
    assert_eq!(watcher.cmd(&["GET", "k1"]), "$4\r\nmine\r\n");
}

#[test]
fn stage_72_exec_unwatches_everything() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["WATCH", "k1"]);
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["SET", "k2", "mine"]);
    modifier.cmd(&["SET", "k1", "theirs"]);
    assert_eq!(watcher.cmd(&["EXEC"]), ABORTED);
    modifier.cmd(&["SET", "k1", "again"]);
    assert_eq!(
        set_in_transaction(&mut watcher, "k2", "mine"),
        "*1\r\n+OK\r\n"
    );
}

#[test]
fn stage_73_discard_unwatches_everything() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["WATCH", "k1", "k2"]);
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["SET", "k2", "mine"]);
    modifier.cmd(&["SET", "k1", "theirs"]);
    assert_eq!(watcher.cmd(&["DISCARD"]), "+OK\r\n");
    assert_eq!(
        set_in_transaction(&mut watcher, "k2", "mine"),
        "*1\r\n+OK\r\n"
    );
}

#[test]
fn a_successful_exec_also_unwatches() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["WATCH", "x"]);
    assert_eq!(ping_in_transaction(&mut client), RAN);
    client.cmd(&["SET", "x", "1"]);
    assert_eq!(ping_in_transaction(&mut client), RAN);
}

#[test]
fn the_clients_own_writes_dirty_its_watched_keys() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["WATCH", "x"]);
    client.cmd(&["SET", "x", "mine"]);
    assert_eq!(ping_in_transaction(&mut client), ABORTED);
}

#[test]
fn every_kind_of_change_to_a_watched_key_aborts_exec() {
    let server = TestServer::start();
    let changes: &[&[&str]] = &[
        &["DEL", "w"],
        &["UNLINK", "w"],
        &["RENAME", "w", "elsewhere"],
        &["RENAME", "other", "w"],
        &["EXPIRE", "w", "100"],
        &["PERSIST", "w"],
        &["INCR", "w"],
        &["APPEND", "w", "x"],
        &["SETRANGE", "w", "0", "z"],
        &["GETDEL", "w"],
        &["MOVE", "w", "1"],
        &["COPY", "other", "w", "REPLACE"],
        &["FLUSHDB"],
        &["FLUSHALL"],
        &["SWAPDB", "0", "1"],
    ];
    for change in changes {
        let (mut watcher, mut modifier) = (server.raw(), server.raw());
        modifier.cmd(&["FLUSHALL"]);
        modifier.cmd(&["SET", "w", "1", "EX", "1000"]);
        modifier.cmd(&["SET", "other", "2"]);
        watcher.cmd(&["WATCH", "w"]);
        modifier.cmd(change);
        assert_eq!(ping_in_transaction(&mut watcher), ABORTED, "{change:?}");
    }
}

#[test]
fn commands_that_change_nothing_leave_a_watched_key_alone() {
    let server = TestServer::start();
    let unchanged: &[&[&str]] = &[
        &["GET", "w"],
        &["DEL", "missing"],
        &["PERSIST", "w"],
        &["SET", "w", "new", "NX"],
        &["SETRANGE", "w", "0", ""],
        &["RENAME", "w", "w"],
        &["FLUSHDB", "SYNC"],
    ];
    for command in unchanged {
        let (mut watcher, mut modifier) = (server.raw(), server.raw());
        modifier.cmd(&["FLUSHALL"]);
        watcher.cmd(&["SET", "w", "1"]);
        watcher.cmd(&["WATCH", "w"]);
        // FLUSHDB in another database does not touch db 0's keys.
        modifier.cmd(&["SELECT", if command[0] == "FLUSHDB" { "4" } else { "0" }]);
        modifier.cmd(command);
        assert_eq!(ping_in_transaction(&mut watcher), RAN, "{command:?}");
    }
}

#[test]
fn flushes_abort_only_for_watched_keys_that_existed() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["WATCH", "missing"]);
    modifier.cmd(&["FLUSHALL"]);
    assert_eq!(ping_in_transaction(&mut watcher), RAN);
    watcher.cmd(&["WATCH", "missing"]);
    modifier.cmd(&["FLUSHDB"]);
    assert_eq!(ping_in_transaction(&mut watcher), RAN);
}

#[test]
fn swapdb_aborts_for_a_watched_key_that_exists_in_either_database() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    modifier.cmd(&["SELECT", "1"]);
    modifier.cmd(&["SET", "x", "in db 1"]);
    watcher.cmd(&["WATCH", "x"]);
    modifier.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_in_transaction(&mut watcher), ABORTED, "appears");
    watcher.cmd(&["WATCH", "x"]);
    modifier.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_in_transaction(&mut watcher), ABORTED, "disappears");
    watcher.cmd(&["WATCH", "nowhere"]);
    modifier.cmd(&["SWAPDB", "0", "1"]);
    assert_eq!(ping_in_transaction(&mut watcher), RAN, "exists in neither");
    watcher.cmd(&["WATCH", "x"]);
    modifier.cmd(&["SWAPDB", "0", "0"]);
    assert_eq!(
        ping_in_transaction(&mut watcher),
        RAN,
        "a database swapped with itself"
    );
}

#[test]
fn watch_remembers_the_database_of_each_key() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SELECT", "5"]);
    client.cmd(&["SET", "x", "30"]);
    client.cmd(&["WATCH", "x"]);
    client.cmd(&["SELECT", "1"]);
    client.cmd(&["SET", "x", "10"]);
    client.cmd(&["SELECT", "5"]);
    assert_eq!(ping_in_transaction(&mut client), RAN);
}

#[test]
fn a_watched_key_that_expires_before_exec_aborts_it() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    // Without the sweep, nothing but EXEC's own check notices the expiry.
    client.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    client.cmd(&["SET", "k", "1", "PX", "50"]);
    client.cmd(&["WATCH", "k"]);
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["PTTL", "k"])
        == ":-2\r\n"));
    client.cmd(&["MULTI"]);
    client.cmd(&["INCR", "k"]);
    assert_eq!(client.cmd(&["EXEC"]), ABORTED);
}

#[test]
fn a_watched_key_removed_by_the_expiry_sweep_aborts_exec() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "1", "PX", "50"]);
    client.cmd(&["WATCH", "k"]);
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["DBSIZE"])
        == ":0\r\n"));
    assert_eq!(ping_in_transaction(&mut client), ABORTED);
}

#[test]
fn keys_already_expired_when_watched_change_nothing_by_going_away() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let stale = |client: &mut Raw| {
        client.cmd(&["SET", "x", "foo", "PX", "1"]);
        assert!(wait_until(Duration::from_secs(5), || client
            .cmd(&["EXISTS", "x"])
            == ":0\r\n"));
    };
    // Watched after it expired, then EXEC: no change.
    stale(&mut watcher);
    watcher.cmd(&["WATCH", "x"]);
    assert_eq!(ping_in_transaction(&mut watcher), RAN);
    // Removed by a writer that found it expired: no change either.
    stale(&mut watcher);
    watcher.cmd(&["WATCH", "x"]);
    modifier.cmd(&["DEL", "x"]);
    assert_eq!(ping_in_transaction(&mut watcher), RAN);
    // Flushed away: no change.
    stale(&mut watcher);
    watcher.cmd(&["WATCH", "x"]);
    modifier.cmd(&["FLUSHDB"]);
    assert_eq!(ping_in_transaction(&mut watcher), RAN);
    // But brought back to life by another client: a change.
    stale(&mut watcher);
    watcher.cmd(&["WATCH", "x"]);
    modifier.cmd(&["SET", "x", "alive"]);
    assert_eq!(ping_in_transaction(&mut watcher), ABORTED);
}

#[test]
fn swapdb_does_not_touch_stale_keys_that_only_give_way_to_stale_or_missing_ones() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    // A stale x where it is watched (db 1) and nothing comes in, none there and a stale one
    // comes in, a stale one replaced by another.
    let cases: [&[&str]; 3] = [&["1"], &["0"], &["0", "1"]];
    for stale_in in cases {
        modifier.cmd(&["FLUSHALL"]);
        for db in stale_in {
            modifier.cmd(&["SELECT", db]);
            modifier.cmd(&["SET", "x", "foo", "PX", "1"]);
        }
        assert!(wait_until(Duration::from_secs(5), || {
            ["0", "1"].iter().all(|db| {
                modifier.cmd(&["SELECT", db]);
                modifier.cmd(&["EXISTS", "x"]) == ":0\r\n"
            })
        }));
        // The watcher watches x in db 1; db 0 or 1 (or both) hold a stale x.
        watcher.cmd(&["SELECT", "1"]);
        watcher.cmd(&["WATCH", "x"]);
        modifier.cmd(&["SWAPDB", "0", "1"]);
        assert_eq!(
            ping_in_transaction(&mut watcher),
            RAN,
            "stale in {stale_in:?}"
        );
    }
}

#[test]
fn client_list_flags_a_client_whose_watched_key_changed() {
    let server = TestServer::start();
    let (mut watcher, mut modifier) = (server.raw(), server.raw());
    watcher.cmd(&["CLIENT", "SETNAME", "watcher"]);
    watcher.cmd(&["WATCH", "a"]);
    modifier.cmd(&["SET", "a", "1"]);
    let list = modifier.cmd(&["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.contains("name=watcher")).unwrap();
    assert!(line.contains(" flags=d "), "{line}");
    // Watching more keys once doomed changes nothing: EXEC still fails.
    assert_eq!(watcher.cmd(&["WATCH", "b"]), "+OK\r\n");
    assert_eq!(ping_in_transaction(&mut watcher), ABORTED);
    let list = modifier.cmd(&["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.contains("name=watcher")).unwrap();
    assert!(line.contains(" flags=N "), "EXEC clears it: {line}");
}
