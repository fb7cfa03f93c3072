//! Streams in persistence (issue 13, "everywhere a type must appear"): an RDB file (SAVE and a
//! restart, `DEBUG RELOAD`) and an AOF rewrite give back the same entries, deleted entries
//! staying deleted, the same counters (`last-generated-id` after an `XDEL` of the top entry,
//! `max-deleted-entry-id`, `entries-added`) and the same consumer groups with their pending
//! entries and consumers; a damaged stream in a file stops the server from starting.
//!
//! Run with `cargo test --test stream_persistence`.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use common::{Raw, TestServer, run_to_exit, scratch_dir, wait_until};

const DEBUG: [&str; 4] = ["--enable-debug-command", "yes", "--save", ""];

/// A stream with entries of varied fields, one deleted in the middle and the top one deleted
/// (so its last ID is an entry that is gone), two groups, one with pending entries and
/// consumers (one of whom holds nothing); a bigger stream over many nodes, trimmed; an empty
/// stream that only a group keeps.
fn write_streams(raw: &mut Raw) {
    raw.run_all(&[
        &["XADD", "s", "1-1", "f", "v"][..],
        &["XADD", "s", "1-2", "f", "12"],
        &["XADD", "s", "2-0", "a", "1", "b", "hello"],
        &["XADD", "s", "3-0", "f", "-300"],
        &["XADD", "s", "4-0", "top", "x"],
        &["XDEL", "s", "1-2", "4-0"],
        &["XGROUP", "CREATE", "s", "g", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "carol",
            "COUNT",
            "1",
            "STREAMS",
            "s",
            ">",
        ],
        &["XGROUP", "CREATECONSUMER", "s", "g", "bob"],
        &["XCLAIM", "s", "g", "bob", "0", "2-0", "RETRYCOUNT", "7"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "dave"],
        &["XGROUP", "CREATE", "s", "late", "$", "ENTRIESREAD", "3"],
        &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"],
        &["XSETID", "empty", "9-9"],
    ]);
    for i in 1..=300 {
        let id = format!("{i}-0");
        let field = format!("field{}", i % 3);
        let value = format!("value {i}");
        raw.run_all(&[&["XADD", "big", &id, &field, &value, "n", &i.to_string()]]);
    }
    raw.run_all(&[
        &["XTRIM", "big", "MINID", "150"][..],
        &["XDEL", "big", "200-0"],
    ]);
}

/// Everything about a stream that a save and load must keep and that does not depend on the
/// clock (so not idle times): its entries, counters, groups and pending summaries.
fn stream_state(raw: &mut Raw, key: &str) -> Vec<String> {
    let info = raw.cmd(&["XINFO", "STREAM", key]);
    let mut state = vec![
        raw.cmd(&["XRANGE", key, "-", "+"]),
        raw.cmd(&["XLEN", key]),
        field_of(&info, "last-generated-id"),
        field_of(&info, "max-deleted-entry-id"),
        field_of(&info, "entries-added"),
        raw.cmd(&["XINFO", "GROUPS", key]),
    ];
    for group in ["g", "late"] {
        state.push(raw.cmd(&["XPENDING", key, group]));
    }
    state
}

/// The value after `name` in a flat RESP2 map reply such as `XINFO STREAM`'s.
fn field_of(reply: &str, name: &str) -> String {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let at = lines
        .iter()
        .position(|line| *line == name)
        .unwrap_or_else(|| panic!("{name} in {reply}"));
    lines[at + 1..=at + 2].join(" ")
}

/// The delivery counts in `XPENDING s g - + 10`, in ID order: each entry's second integer
/// (the first is its idle time, which the clock changes).
fn delivery_counts(raw: &mut Raw) -> Vec<String> {
    let reply = raw.cmd(&["XPENDING", "s", "g", "-", "+", "10"]);
    reply
        .split("\r\n")
        .filter(|line| line.starts_with(':'))
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

fn snapshot(raw: &mut Raw) -> (String, Vec<Vec<String>>, Vec<String>) {
    let digest = raw.cmd(&["DEBUG", "DIGEST"]);
    let streams = ["s", "big", "empty"]
        .iter()
        .map(|key| stream_state(raw, key))
        .collect();
    (digest, streams, delivery_counts(raw))
}

#[test]
fn streams_survive_save_and_restart_with_their_groups() {
    let dir = scratch_dir("stream-rdb");
    let before = {
        let server = TestServer::in_dir(&dir, &DEBUG);
        let mut raw = server.raw();
        write_streams(&mut raw);
        let before = snapshot(&mut raw);
        assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
        before
    };
    // What the test relies on is really there.
    assert!(before.1[0][2].ends_with("4-0"), "{:?}", before.1[0]);
    assert!(before.1[0][3].ends_with("4-0"));
    assert_eq!(
        before.2,
        [":1", ":7", ":1"],
        "alice, bob (RETRYCOUNT 7), carol"
    );
    assert!(before.1[2][0].starts_with("*0"), "empty stream");
    let server = TestServer::in_dir(&dir, &DEBUG);
    let mut raw = server.raw();
    assert_eq!(snapshot(&mut raw), before);
    // The consumer that holds nothing came back too.
    let consumers = raw.cmd(&["XINFO", "CONSUMERS", "s", "g"]);
    assert!(
        consumers.contains("bob") && consumers.contains("carol"),
        "{consumers}"
    );
    // And the stream goes on where it was: an ID at or below the deleted top is refused.
    assert!(raw.cmd(&["XADD", "s", "4-0", "f", "v"]).starts_with("-ERR"));
    assert_eq!(raw.cmd(&["XADD", "s", "4-1", "f", "v"]), "$3\r\n4-1\r\n");
}

#[test]
fn debug_reload_keeps_streams_and_their_serialized_length_is_redis_s() {
    let server = TestServer::with_args(&DEBUG);
    let mut raw = server.raw();
    write_streams(&mut raw);
    let before = snapshot(&mut raw);
    assert_eq!(raw.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(snapshot(&mut raw), before);
    // redis-server 7.0.15 says 128 for this stream (with or without compression).
    raw.run_all(&[
        &["XADD", "r", "1-1", "f", "v"][..],
        &["XADD", "r", "1-2", "f", "12"],
        &["XADD", "r", "5-0", "a", "1", "b", "hello"],
        &["XADD", "r", "5-7", "f", "-300"],
        &["XDEL", "r", "1-2"],
        &["XGROUP", "CREATE", "r", "g", "1-1"],
        &["XGROUP", "CREATE", "r", "g2", "$", "ENTRIESREAD", "3"],
    ]);
    let object = raw.cmd(&["DEBUG", "OBJECT", "r"]);
    assert!(object.contains(" serializedlength:128 "), "{object}");
    assert_eq!(
        raw.cmd(&["DEBUG", "DIGEST-VALUE", "r"]),
        "*1\r\n+b194a77e197d220878e3866da0aa76aa9363b018\r\n"
    );
}

#[test]
fn an_aof_rewrite_gives_back_the_same_streams() {
    for preamble in ["no", "yes"] {
        let dir = scratch_dir("stream-aof");
        let args = [
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            preamble,
            "--enable-debug-command",
            "yes",
            "--save",
            "",
        ];
        let before = {
            let server = TestServer::in_dir(&dir, &args);
            let mut raw = server.raw();
            write_streams(&mut raw);
            let before = snapshot(&mut raw);
            assert!(raw.cmd(&["BGREWRITEAOF"]).starts_with("+Background"));
            let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
            assert!(wait_until(Duration::from_secs(10), || {
                fs::read_to_string(&manifest).is_ok_and(|m| m.contains("seq 2 type b"))
                    && raw.rewrite_done()
            }));
            before
        };
        if preamble == "no" {
            let base = base_file(&dir);
            assert!(
                base.contains("XCLAIM") && base.contains("CREATECONSUMER"),
                "{base}"
            );
        }
        let server = TestServer::in_dir(&dir, &args);
        assert_eq!(snapshot(&mut server.raw()), before, "preamble {preamble}");
    }
}

/// The text of the AOF base file in `dir`'s `appendonlydir`.
fn base_file(dir: &Path) -> String {
    let aof = dir.join("appendonlydir");
    let base = fs::read_dir(&aof)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains(".base."))
        .expect("a base file");
    String::from_utf8_lossy(&fs::read(base).unwrap()).into_owned()
}

#[test]
fn a_damaged_stream_in_the_rdb_file_stops_the_server() {
    let dir = scratch_dir("stream-corrupt");
    {
        let args = [DEBUG.as_slice(), &["--rdbcompression", "no"]].concat();
        let server = TestServer::in_dir(&dir, &args);
        let mut raw = server.raw();
        raw.run_all(&[
            &["XADD", "s", "1-1", "f", "v"][..],
            &["XADD", "s", "1-2", "f", "w"],
        ]);
        assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
    }
    let path = dir.join("dump.rdb");
    let mut file = fs::read(&path).unwrap();
    // The node's key (master ID 1-1), its listpack's length byte, the listpack's 6-byte
    // header, then the master entry's count: 2 entries. Say 3.
    let key = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    let at = file
        .windows(16)
        .position(|w| w == key)
        .expect("the node key");
    let count = at + 16 + 1 + 6;
    assert_eq!(file[count], 2, "a count of 2 entries");
    file[count] = 3;
    // A zero checksum is "saved without one", so the damage reaches the stream loader.
    let len = file.len();
    file[len - 8..].fill(0);
    fs::write(&path, &file).unwrap();
    let (code, log) = run_to_exit(&dir, &["--save", ""]);
    assert_ne!(code, Some(0), "{log}");
    assert!(code.is_some(), "the server exited: {log}");
    assert!(
        log.contains("Stream listpack integrity check failed"),
        "{log}"
    );
}
