//! Commands on keys whatever their type: DEL, UNLINK, EXISTS, TYPE, KEYS and its glob patterns,
//! SCAN and its guarantee, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, TOUCH, OBJECT; the EXPIRE
//! family, TTL and friends, PERSIST; and active expiry, which reclaims keys nobody reads. Every
//! expected reply was first checked against a real redis-server 7.0.15.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use common::{Raw, TestServer, error, query, wait_until};
use redis::Connection;

/// `KEYS pattern`, sorted: Redis returns keys in no particular order.
fn keys(connection: &mut Connection, pattern: &str) -> Vec<String> {
    let mut found: Vec<String> = query(connection, &["KEYS", pattern]);
    found.sort();
    found
}

/// Runs a whole SCAN (cursor 0 until cursor 0) with extra options; every key it returned.
fn full_scan(connection: &mut Connection, options: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut all = Vec::new();
    for _ in 0..100_000 {
        let mut args = vec!["SCAN", &cursor];
        args.extend_from_slice(options);
        let (next, batch): (String, Vec<String>) = query(connection, &args);
        all.extend(batch);
        cursor = next;
        if cursor == "0" {
            return all;
        }
    }
    panic!("SCAN never returned cursor 0");
}

fn sorted(mut keys: Vec<String>) -> Vec<String> {
    keys.sort();
    keys
}

const NOT_INTEGER: &str = "-ERR value is not an integer or out of range\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const INT_RANGE: &str =
    "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n";

// ---------------------------------------------------------------- DEL, UNLINK, EXISTS, TYPE

#[test]
fn del_and_unlink_count_the_keys_they_removed() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(client.cmd(&["DEL", "a", "missing", "a"]), ":1\r\n");
    assert_eq!(client.cmd(&["DEL", "a"]), ":0\r\n");
    assert_eq!(client.cmd(&["UNLINK", "b", "c", "missing"]), ":2\r\n");
    assert_eq!(client.cmd(&["DBSIZE"]), ":0\r\n");
}

#[test]
fn exists_counts_a_key_named_twice_twice() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "a", "1"]);
    assert_eq!(client.cmd(&["EXISTS", "a", "a", "missing"]), ":2\r\n");
    assert_eq!(client.cmd(&["EXISTS", "missing"]), ":0\r\n");
}

#[test]
fn type_names_strings_and_missing_keys() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "a", "1"]);
    assert_eq!(client.cmd(&["TYPE", "a"]), "+string\r\n");
    assert_eq!(client.cmd(&["TYPE", "missing"]), "+none\r\n");
}

#[test]
fn an_expired_key_is_gone_for_every_key_command() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    // Keep the key in memory after it expires: only lazy expiry may see it.
    client.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    client.cmd(&["SET", "k", "v", "PX", "1"]);
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["EXISTS", "k"])
        == ":0\r\n"));
    assert_eq!(client.cmd(&["TYPE", "k"]), "+none\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":-2\r\n");
    assert_eq!(client.cmd(&["KEYS", "*"]), "*0\r\n");
    assert_eq!(client.cmd(&["RANDOMKEY"]), "$-1\r\n");
    assert_eq!(client.cmd(&["DEL", "k"]), ":0\r\n");
}

// ---------------------------------------------------------------- KEYS and glob patterns

#[test]
fn keys_matches_the_full_glob_syntax() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(
        &mut c,
        &[
            "MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5",
            "h*llo", "6", "h?llo", "7", "h[llo", "8", "h]llo", "9", "h-llo", "10", "hbllo", "11",
        ],
    );
    let every = [
        "h*llo", "h-llo", "h?llo", "h[llo", "h]llo", "hallo", "hbllo", "heeeello", "hello", "hllo",
        "hxllo",
    ];
    assert_eq!(keys(&mut c, "*"), every);
    assert_eq!(keys(&mut c, "h*llo"), every);
    assert_eq!(
        keys(&mut c, "h?llo"),
        [
            "h*llo", "h-llo", "h?llo", "h[llo", "h]llo", "hallo", "hbllo", "hello", "hxllo"
        ]
    );
    assert_eq!(keys(&mut c, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(
        keys(&mut c, "h[^e]llo"),
        [
            "h*llo", "h-llo", "h?llo", "h[llo", "h]llo", "hallo", "hbllo", "hxllo"
        ]
    );
    assert_eq!(keys(&mut c, "h[a-b]llo"), ["hallo", "hbllo"]);
    assert_eq!(
        keys(&mut c, "h[b-a]llo"),
        ["hallo", "hbllo"],
        "reversed range"
    );
    assert_eq!(keys(&mut c, "h\\*llo"), ["h*llo"]);
    assert_eq!(keys(&mut c, "h\\?llo"), ["h?llo"]);
    assert_eq!(keys(&mut c, "h\\[llo"), ["h[llo"]);
    assert_eq!(keys(&mut c, "h[\\]]llo"), ["h]llo"]);
    assert_eq!(keys(&mut c, "h[[]llo"), ["h[llo"]);
    assert_eq!(keys(&mut c, "h[-]llo"), ["h-llo"]);
    assert_eq!(keys(&mut c, "h??llo"), Vec::<String>::new());
    assert_eq!(keys(&mut c, "nomatch*"), Vec::<String>::new());
}

#[test]
fn keys_treats_unfinished_classes_and_escapes_as_redis_does() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["MSET", "a", "1", "ab", "2", "[", "3", "h\\", "4"]);
    // An unterminated class ends with the pattern.
    assert_eq!(keys(&mut c, "[ab"), ["a"]);
    assert_eq!(keys(&mut c, "["), Vec::<String>::new());
    assert_eq!(keys(&mut c, "\\["), ["["]);
    // A trailing backslash is a literal backslash.
    assert_eq!(keys(&mut c, "h\\"), ["h\\"]);
    assert_eq!(keys(&mut c, "?"), ["[", "a"]);
    assert_eq!(keys(&mut c, "[^a]"), ["["]);
    assert_eq!(keys(&mut c, "*b"), ["ab"]);
    assert_eq!(keys(&mut c, "A*"), Vec::<String>::new(), "case matters");
}

#[test]
fn the_empty_key_matches_only_the_empty_pattern_and_star() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["MSET", "", "empty", "a", "1"]);
    assert_eq!(keys(&mut c, "*"), ["", "a"]);
    assert_eq!(keys(&mut c, ""), [""]);
    assert_eq!(keys(&mut c, "**"), ["a"]);
    assert_eq!(keys(&mut c, "*?*"), ["a"]);
    assert_eq!(sorted(full_scan(&mut c, &["MATCH", "*"])), ["", "a"]);
    assert_eq!(sorted(full_scan(&mut c, &["MATCH", "**"])), ["a"]);
    assert_eq!(sorted(full_scan(&mut c, &["MATCH", ""])), [""]);
}

// ---------------------------------------------------------------- SCAN

#[test]
fn scan_on_an_empty_database_returns_cursor_0() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    // A database that held keys once (its storage is allocated) but holds none now.
    client.cmd(&["FLUSHDB"]);
    client.cmd(&["SET", "x", "1"]);
    client.cmd(&["DEL", "x"]);
    assert_eq!(client.cmd(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(
        client.cmd(&["SCAN", "0", "MATCH", "*", "COUNT", "1"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
}

#[test]
fn scan_of_a_small_database_finishes_in_one_call() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]);
    let (cursor, mut batch): (String, Vec<String>) = query(&mut c, &["SCAN", "0"]);
    batch.sort();
    assert_eq!(
        (cursor.as_str(), batch),
        ("0", vec!["a".into(), "b".into(), "c".into()])
    );
}

#[test]
fn a_full_scan_returns_every_key_once_with_any_count() {
    let server = TestServer::start();
    let mut c = server.client();
    let expected: Vec<String> = (0..1000).map(|i| format!("key:{i}")).collect();
    for chunk in expected.chunks(100) {
        let mut mset = redis::cmd("MSET");
        for key in chunk {
            mset.arg(key).arg("v");
        }
        let _: () = mset.query(&mut c).unwrap();
    }
    for count in ["1", "10", "100", "5000"] {
        let found = full_scan(&mut c, &["COUNT", count]);
        assert_eq!(found.len(), 1000, "COUNT {count}: no key twice");
        assert_eq!(
            sorted(found),
            sorted(expected.clone()),
            "COUNT {count}: every key"
        );
    }
}

#[test]
fn scan_match_and_type_filter_the_keys() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(
        &mut c,
        &["MSET", "user:1", "a", "user:2", "b", "order:1", "c"],
    );
    assert_eq!(
        sorted(full_scan(&mut c, &["MATCH", "user:*"])),
        ["user:1", "user:2"]
    );
    assert_eq!(
        sorted(full_scan(&mut c, &["match", "*:1", "count", "5"])),
        ["order:1", "user:1"]
    );
    assert_eq!(full_scan(&mut c, &["TYPE", "string"]).len(), 3);
    assert_eq!(full_scan(&mut c, &["TYPE", "STRING"]).len(), 3);
    assert_eq!(full_scan(&mut c, &["TYPE", "list"]).len(), 0);
    assert_eq!(full_scan(&mut c, &["TYPE", "bogus"]).len(), 0);
    assert_eq!(
        full_scan(&mut c, &["MATCH", "user:1", "TYPE", "string"]),
        ["user:1"]
    );
}

#[test]
fn scan_rejects_bad_cursors_counts_and_options() {
    let server = TestServer::start();
    let mut client = server.raw();
    let invalid_cursor = error("ERR invalid cursor");
    for cursor in ["abc", " 1", "1.5", "18446744073709551616", "-", "+"] {
        assert_eq!(client.cmd(&["SCAN", cursor]), invalid_cursor, "{cursor:?}");
    }
    // strtoul's rules: an empty cursor is 0, and so are "+0" and "00".
    for cursor in ["", "+0", "00"] {
        assert_eq!(
            client.cmd(&["SCAN", cursor]),
            "*2\r\n$1\r\n0\r\n*0\r\n",
            "{cursor:?}"
        );
    }
    assert_eq!(client.cmd(&["SCAN", "0", "COUNT", "0"]), SYNTAX);
    assert_eq!(client.cmd(&["SCAN", "0", "COUNT", "-1"]), SYNTAX);
    assert_eq!(client.cmd(&["SCAN", "0", "COUNT", "abc"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["SCAN", "0", "MATCH"]), SYNTAX);
    assert_eq!(client.cmd(&["SCAN", "0", "BOGUS", "x"]), SYNTAX);
    assert_eq!(
        client.cmd(&["SCAN"]),
        error("ERR wrong number of arguments for 'scan' command")
    );
}

#[test]
fn a_full_scan_returns_every_key_that_existed_throughout_despite_concurrent_writes() {
    let server = TestServer::start();
    let mut c = server.client();
    let stable: Vec<String> = (0..2000).map(|i| format!("stable:{i}")).collect();
    for chunk in stable.chunks(200) {
        let mut mset = redis::cmd("MSET");
        for key in chunk {
            mset.arg(key).arg("v");
        }
        let _: () = mset.query(&mut c).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let (stop, port) = (Arc::clone(&stop), server.port);
        thread::spawn(move || {
            let mut writer = Raw::connect(port);
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // Grow by 50 keys, then drop the 50 of the round before: the maps keep resizing.
                for i in 0..50 {
                    writer.cmd(&["SET", &format!("churn:{round}:{i}"), "x"]);
                }
                if round > 0 {
                    for i in 0..50 {
                        writer.cmd(&["DEL", &format!("churn:{}:{i}", round - 1)]);
                    }
                }
                round += 1;
            }
            round
        })
    };
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, batch): (String, Vec<String>) = query(&mut c, &["SCAN", &cursor, "COUNT", "10"]);
        seen.extend(batch);
        cursor = next;
        // Let the writer in between calls.
        thread::sleep(Duration::from_micros(200));
        if cursor == "0" {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = churn.join().unwrap();
    assert!(rounds > 1, "the writer ran during the scan");
    let missing: Vec<&String> = stable.iter().filter(|k| !seen.contains(*k)).collect();
    assert!(missing.is_empty(), "SCAN skipped {missing:?}");
}

// ---------------------------------------------------------------- RANDOMKEY

#[test]
fn randomkey_is_null_on_an_empty_database_and_a_key_otherwise() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(query::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    let _: () = query(&mut c, &["MSET", "a", "1", "b", "2"]);
    let mut picked = HashSet::new();
    for _ in 0..200 {
        picked.insert(query::<String>(&mut c, &["RANDOMKEY"]));
    }
    assert_eq!(sorted(picked.into_iter().collect()), ["a", "b"]);
    let _: () = query(&mut c, &["FLUSHDB"]);
    assert_eq!(query::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
}

// ---------------------------------------------------------------- RENAME, RENAMENX

#[test]
fn rename_moves_the_value_and_its_ttl() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "t", "v", "EX", "100"]);
    assert_eq!(client.cmd(&["RENAME", "t", "t2"]), "+OK\r\n");
    assert_eq!(client.cmd(&["EXISTS", "t"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "t2"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["TTL", "t2"]), ":100\r\n");
}

#[test]
fn rename_over_a_key_with_a_ttl_leaves_no_ttl() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "dst", "old", "EX", "100"]);
    client.cmd(&["SET", "src", "new"]);
    assert_eq!(client.cmd(&["RENAME", "src", "dst"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "dst"]), "$3\r\nnew\r\n");
    assert_eq!(client.cmd(&["TTL", "dst"]), ":-1\r\n");
}

#[test]
fn rename_of_a_missing_key_is_an_error() {
    let server = TestServer::start();
    let mut client = server.raw();
    let no_such_key = error("ERR no such key");
    assert_eq!(client.cmd(&["RENAME", "missing", "x"]), no_such_key);
    assert_eq!(client.cmd(&["RENAMENX", "missing", "x"]), no_such_key);
    assert_eq!(client.cmd(&["RENAME", "missing", "missing"]), no_such_key);
}

#[test]
fn rename_to_the_same_name_is_ok_and_renamenx_to_it_is_0() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v", "EX", "100"]);
    assert_eq!(client.cmd(&["RENAME", "k", "k"]), "+OK\r\n");
    assert_eq!(client.cmd(&["RENAMENX", "k", "k"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":100\r\n");
}

#[test]
fn renamenx_renames_only_to_a_free_name() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MSET", "a", "1", "b", "2"]);
    assert_eq!(client.cmd(&["RENAMENX", "a", "b"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "a"]), "$1\r\n1\r\n");
    assert_eq!(client.cmd(&["RENAMENX", "a", "c"]), ":1\r\n");
    assert_eq!(client.cmd(&["EXISTS", "a"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "c"]), "$1\r\n1\r\n");
}

// ---------------------------------------------------------------- COPY, MOVE

#[test]
fn copy_duplicates_the_value_and_its_ttl() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "src", "v", "EX", "100"]);
    assert_eq!(client.cmd(&["COPY", "src", "dst"]), ":1\r\n");
    assert_eq!(client.cmd(&["GET", "dst"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["TTL", "dst"]), ":100\r\n");
    // The copy is independent of the original.
    client.cmd(&["APPEND", "dst", "2"]);
    assert_eq!(client.cmd(&["GET", "src"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["COPY", "missing", "x"]), ":0\r\n");
}

#[test]
fn copy_replaces_an_existing_key_only_with_replace() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MSET", "src", "new", "dst", "old"]);
    client.cmd(&["EXPIRE", "dst", "100"]);
    assert_eq!(client.cmd(&["COPY", "src", "dst"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "dst"]), "$3\r\nold\r\n");
    assert_eq!(client.cmd(&["COPY", "src", "dst", "REPLACE"]), ":1\r\n");
    assert_eq!(client.cmd(&["GET", "dst"]), "$3\r\nnew\r\n");
    assert_eq!(client.cmd(&["TTL", "dst"]), ":-1\r\n");
    assert_eq!(
        client.cmd(&["COPY", "src", "dst", "REPLACE", "REPLACE"]),
        ":1\r\n"
    );
}

#[test]
fn copy_into_another_database() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(client.cmd(&["COPY", "k", "k", "DB", "1"]), ":1\r\n");
    assert_eq!(
        client.cmd(&["COPY", "k", "other", "db", "2", "DB", "3"]),
        ":1\r\n"
    );
    client.cmd(&["SELECT", "1"]);
    assert_eq!(client.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    client.cmd(&["SELECT", "3"]);
    assert_eq!(
        client.cmd(&["GET", "other"]),
        "$1\r\nv\r\n",
        "the last DB wins"
    );
    client.cmd(&["SELECT", "2"]);
    assert_eq!(client.cmd(&["EXISTS", "other"]), ":0\r\n");
}

#[test]
fn copy_rejects_the_same_object_and_bad_options() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    let same = error("ERR source and destination objects are the same");
    assert_eq!(client.cmd(&["COPY", "k", "k"]), same);
    assert_eq!(client.cmd(&["COPY", "k", "k", "DB", "0"]), same);
    assert_eq!(client.cmd(&["COPY", "missing", "missing"]), same);
    let out_of_range = error("ERR DB index is out of range");
    assert_eq!(client.cmd(&["COPY", "k", "x", "DB", "16"]), out_of_range);
    assert_eq!(client.cmd(&["COPY", "k", "x", "DB", "-1"]), out_of_range);
    assert_eq!(
        client.cmd(&["COPY", "k", "x", "DB", "2147483648"]),
        INT_RANGE
    );
    assert_eq!(client.cmd(&["COPY", "k", "x", "DB", "abc"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["COPY", "k", "x", "DB"]), SYNTAX);
    assert_eq!(client.cmd(&["COPY", "k", "x", "BOGUS"]), SYNTAX);
    assert_eq!(client.cmd(&["EXISTS", "x"]), ":0\r\n");
}

#[test]
fn move_sends_a_key_with_its_ttl_to_another_database() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v", "EX", "100"]);
    assert_eq!(client.cmd(&["MOVE", "k", "3"]), ":1\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
    client.cmd(&["SELECT", "3"]);
    assert_eq!(client.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":100\r\n");
}

#[test]
fn move_refuses_when_the_key_is_missing_or_taken_there() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["MOVE", "missing", "1"]), ":0\r\n");
    client.cmd(&["SET", "k", "here"]);
    client.cmd(&["SELECT", "1"]);
    client.cmd(&["SET", "k", "there"]);
    client.cmd(&["SELECT", "0"]);
    assert_eq!(client.cmd(&["MOVE", "k", "1"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$4\r\nhere\r\n");
}

#[test]
fn move_rejects_bad_database_indexes() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(
        client.cmd(&["MOVE", "k", "0"]),
        error("ERR source and destination objects are the same")
    );
    let out_of_range = error("ERR DB index is out of range");
    assert_eq!(client.cmd(&["MOVE", "k", "16"]), out_of_range);
    assert_eq!(client.cmd(&["MOVE", "k", "-1"]), out_of_range);
    assert_eq!(client.cmd(&["MOVE", "k", "abc"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["MOVE", "k", "2147483648"]), INT_RANGE);
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":1\r\n");
}

// ---------------------------------------------------------------- TOUCH, OBJECT

#[test]
fn touch_counts_existing_keys_and_resets_their_idle_time() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(client.cmd(&["TOUCH", "k", "missing", "k"]), ":2\r\n");
    assert_eq!(client.cmd(&["TOUCH", "missing"]), ":0\r\n");
    assert!(
        wait_until(Duration::from_secs(5), || client
            .cmd(&["OBJECT", "IDLETIME", "k"])
            != ":0\r\n"),
        "the key grows idle"
    );
    assert_eq!(client.cmd(&["TOUCH", "k"]), ":1\r\n");
    assert_eq!(client.cmd(&["OBJECT", "IDLETIME", "k"]), ":0\r\n");
}

#[test]
fn object_idletime_grows_until_the_key_is_read_and_object_itself_does_not_touch() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(client.cmd(&["OBJECT", "IDLETIME", "k"]), ":0\r\n");
    // OBJECT, TYPE, EXISTS and TTL are inspections: they leave the access time alone.
    assert!(
        wait_until(Duration::from_secs(5), || {
            client.cmd(&["TYPE", "k"]);
            client.cmd(&["EXISTS", "k"]);
            client.cmd(&["TTL", "k"]);
            client.cmd(&["OBJECT", "IDLETIME", "k"]) != ":0\r\n"
        }),
        "the key grows idle"
    );
    client.cmd(&["GET", "k"]);
    assert_eq!(client.cmd(&["OBJECT", "IDLETIME", "k"]), ":0\r\n");
    assert_eq!(client.cmd(&["OBJECT", "IDLETIME", "missing"]), "$-1\r\n");
}

#[test]
fn object_encoding_reports_int_embstr_and_raw() {
    let server = TestServer::start();
    let mut client = server.raw();
    let long = "a".repeat(45);
    client.cmd(&[
        "MSET", "int", "12345", "neg", "-1", "zero", "012", "short", "hello",
    ]);
    client.cmd(&["MSET", "edge", &"a".repeat(44), "long", &long]);
    client.cmd(&["MSET", "big", "12345678901234567890"]);
    for (key, encoding) in [
        ("int", "int"),
        ("neg", "int"),
        ("zero", "embstr"),
        ("short", "embstr"),
        ("edge", "embstr"),
        ("long", "raw"),
        ("big", "embstr"),
    ] {
        assert_eq!(
            client.cmd(&["OBJECT", "ENCODING", key]),
            format!("${}\r\n{encoding}\r\n", encoding.len()),
            "{key}"
        );
    }
    // INCRBYFLOAT stores the text it printed, never an int.
    client.cmd(&["SET", "float", "8"]);
    client.cmd(&["INCRBYFLOAT", "float", "1"]);
    assert_eq!(
        client.cmd(&["OBJECT", "ENCODING", "float"]),
        "$6\r\nembstr\r\n"
    );
    // A string changed in place is always raw.
    client.cmd(&["APPEND", "int", "6"]);
    assert_eq!(client.cmd(&["OBJECT", "ENCODING", "int"]), "$3\r\nraw\r\n");
    client.cmd(&["SETRANGE", "short", "0", "j"]);
    assert_eq!(
        client.cmd(&["OBJECT", "ENCODING", "short"]),
        "$3\r\nraw\r\n"
    );
    assert_eq!(client.cmd(&["OBJECT", "ENCODING", "missing"]), "$-1\r\n");
}

#[test]
fn object_refcount_reports_shared_small_integers_as_redis_does() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&[
        "MSET", "str", "hello", "small", "9999", "large", "10000", "neg", "-1",
    ]);
    assert_eq!(client.cmd(&["OBJECT", "REFCOUNT", "str"]), ":1\r\n");
    assert_eq!(client.cmd(&["OBJECT", "REFCOUNT", "large"]), ":1\r\n");
    assert_eq!(client.cmd(&["OBJECT", "REFCOUNT", "neg"]), ":1\r\n");
    // Redis keeps one shared object for each integer below 10000.
    assert_eq!(
        client.cmd(&["OBJECT", "REFCOUNT", "small"]),
        ":2147483647\r\n"
    );
    client.cmd(&["SET", "counter", "0"]);
    client.cmd(&["INCR", "counter"]);
    assert_eq!(
        client.cmd(&["OBJECT", "REFCOUNT", "counter"]),
        ":2147483647\r\n"
    );
    client.cmd(&["INCRBYFLOAT", "counter", "1"]);
    assert_eq!(client.cmd(&["OBJECT", "REFCOUNT", "counter"]), ":1\r\n");
    assert_eq!(client.cmd(&["OBJECT", "REFCOUNT", "missing"]), "$-1\r\n");
}

#[test]
fn object_freq_needs_an_lfu_policy() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(
        client.cmd(&["OBJECT", "FREQ", "k"]),
        error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
        )
    );
    assert_eq!(client.cmd(&["OBJECT", "FREQ", "missing"]), "$-1\r\n");
}

#[test]
fn object_help_lists_the_subcommands_and_bad_calls_are_refused() {
    let server = TestServer::start();
    let mut client = server.raw();
    let help = client.cmd(&["OBJECT", "HELP"]);
    assert!(
        help.starts_with(
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
             +ENCODING <key>\r\n"
        ),
        "{help}"
    );
    for line in [
        "+FREQ <key>\r\n",
        "+IDLETIME <key>\r\n",
        "+REFCOUNT <key>\r\n",
        "+HELP\r\n",
    ] {
        assert!(help.contains(line), "{line} in {help}");
    }
    assert_eq!(
        client.cmd(&["OBJECT", "BOGUS"]),
        error("ERR unknown subcommand 'BOGUS'. Try OBJECT HELP.")
    );
    assert_eq!(
        client.cmd(&["OBJECT"]),
        error("ERR wrong number of arguments for 'object' command")
    );
    assert_eq!(
        client.cmd(&["OBJECT", "ENCODING", "a", "b"]),
        error("ERR wrong number of arguments for 'object|encoding' command")
    );
}

// ---------------------------------------------------------------- EXPIRE family

#[test]
fn expire_pexpire_expireat_and_pexpireat_set_the_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v"]);
    assert_eq!(query::<i64>(&mut c, &["EXPIRE", "k", "100"]), 1);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 100);
    assert_eq!(query::<i64>(&mut c, &["PEXPIRE", "k", "200000"]), 1);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 200);
    assert_eq!(query::<i64>(&mut c, &["EXPIREAT", "k", "99999999999"]), 1);
    assert_eq!(
        query::<i64>(&mut c, &["PEXPIRETIME", "k"]),
        99_999_999_999_000
    );
    assert_eq!(
        query::<i64>(&mut c, &["PEXPIREAT", "k", "99999999999999"]),
        1
    );
    assert_eq!(
        query::<i64>(&mut c, &["PEXPIRETIME", "k"]),
        99_999_999_999_999
    );
    // EXPIRETIME rounds to the nearest second.
    assert_eq!(query::<i64>(&mut c, &["EXPIRETIME", "k"]), 100_000_000_000);
    let _: i64 = query(&mut c, &["PEXPIREAT", "k", "99999999999499"]);
    assert_eq!(query::<i64>(&mut c, &["EXPIRETIME", "k"]), 99_999_999_999);
    assert_eq!(query::<i64>(&mut c, &["EXPIRE", "missing", "10"]), 0);
    assert_eq!(query::<i64>(&mut c, &["PEXPIREAT", "missing", "10"]), 0);
}

#[test]
fn expire_conditions_nx_xx_gt_lt() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    // No TTL yet: XX and GT refuse (no TTL counts as infinite), NX and LT accept.
    assert_eq!(client.cmd(&["EXPIRE", "k", "100", "XX"]), ":0\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "100", "GT"]), ":0\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":-1\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "100", "nx"]), ":1\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "50", "NX"]), ":0\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "50", "GT"]), ":0\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "500", "GT"]), ":1\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":500\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "5000", "LT"]), ":0\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "50", "LT"]), ":1\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "60", "XX"]), ":1\r\n");
    assert_eq!(client.cmd(&["EXPIRE", "k", "70", "XX", "GT"]), ":1\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":70\r\n");
    client.cmd(&["PERSIST", "k"]);
    assert_eq!(client.cmd(&["EXPIRE", "k", "100", "LT"]), ":1\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":100\r\n");
}

#[test]
fn expire_rejects_incompatible_and_unknown_options() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    let nx = error("ERR NX and XX, GT or LT options at the same time are not compatible");
    let gt_lt = error("ERR GT and LT options at the same time are not compatible");
    for options in [["NX", "XX"], ["XX", "NX"], ["NX", "GT"], ["LT", "NX"]] {
        assert_eq!(
            client.cmd(&["EXPIRE", "k", "50", options[0], options[1]]),
            nx,
            "{options:?}"
        );
    }
    assert_eq!(client.cmd(&["PEXPIRE", "k", "50", "GT", "LT"]), gt_lt);
    assert_eq!(
        client.cmd(&["EXPIRE", "k", "50", "FOO"]),
        error("ERR Unsupported option FOO")
    );
    // The options are checked even when the key is missing.
    assert_eq!(client.cmd(&["EXPIRE", "missing", "10", "NX", "XX"]), nx);
    assert_eq!(client.cmd(&["EXPIRE", "k", "abc"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["EXPIRE", "k", "1.5"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["TTL", "k"]), ":-1\r\n");
}

#[test]
fn expire_times_that_overflow_are_invalid() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    for (command, time) in [
        ("EXPIRE", "9223372036854775807"),
        ("EXPIRE", "9223372036854774"),
        ("EXPIRE", "-9223372036854775808"),
        ("PEXPIRE", "9223372036854775807"),
        ("EXPIREAT", "9223372036854775807"),
    ] {
        assert_eq!(
            client.cmd(&[command, "k", time]),
            error(&format!(
                "ERR invalid expire time in '{}' command",
                command.to_ascii_lowercase()
            )),
            "{command} {time}"
        );
    }
    assert_eq!(client.cmd(&["TTL", "k"]), ":-1\r\n");
    assert_eq!(
        client.cmd(&["PEXPIREAT", "k", "9223372036854775807"]),
        ":1\r\n"
    );
    assert_eq!(
        client.cmd(&["PEXPIRETIME", "k"]),
        ":9223372036854775807\r\n"
    );
}

#[test]
fn expire_with_a_time_not_in_the_future_deletes_the_key() {
    let server = TestServer::start();
    let mut client = server.raw();
    for args in [
        &["EXPIRE", "k", "0"][..],
        &["EXPIRE", "k", "-1"],
        &["PEXPIRE", "k", "0"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "1"],
    ] {
        client.cmd(&["SET", "k", "v"]);
        assert_eq!(client.cmd(args), ":1\r\n", "{args:?}");
        assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n", "{args:?}");
    }
    // A condition that refuses leaves the key alone.
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(client.cmd(&["EXPIRE", "k", "-1", "GT"]), ":0\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":1\r\n");
    client.cmd(&["EXPIRE", "k", "100"]);
    assert_eq!(client.cmd(&["EXPIRE", "k", "-1", "LT"]), ":1\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
}

#[test]
fn ttl_family_answers_minus_2_for_missing_and_minus_1_for_persistent_keys() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    for command in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(client.cmd(&[command, "missing"]), ":-2\r\n", "{command}");
        assert_eq!(client.cmd(&[command, "k"]), ":-1\r\n", "{command}");
    }
}

#[test]
fn persist_removes_a_ttl_once() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v", "EX", "100"]);
    assert_eq!(client.cmd(&["PERSIST", "k"]), ":1\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":-1\r\n");
    assert_eq!(client.cmd(&["PERSIST", "k"]), ":0\r\n");
    assert_eq!(client.cmd(&["PERSIST", "missing"]), ":0\r\n");
}

// ---------------------------------------------------------------- active expiry

fn set_volatile_keys(client: &mut Raw, count: usize) {
    for i in 0..count {
        assert_eq!(
            client.cmd(&["SET", &format!("volatile:{i}"), "v", "PX", "50"]),
            "+OK\r\n"
        );
    }
}

#[test]
fn keys_nobody_reads_are_reclaimed_by_active_expiry() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "persistent", "v"]);
    set_volatile_keys(&mut client, 200);
    assert!(
        wait_until(Duration::from_secs(5), || client.cmd(&["DBSIZE"])
            == ":1\r\n"),
        "DBSIZE still {}",
        client.cmd(&["DBSIZE"])
    );
    let info = client.cmd(&["INFO", "keyspace"]);
    assert!(info.contains("db0:keys=1,expires=0,"), "{info}");
    let stats = client.cmd(&["INFO", "stats"]);
    assert!(stats.contains("expired_keys:200\r\n"), "{stats}");
}

#[test]
fn an_expired_database_disappears_from_info_keyspace() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SELECT", "5"]);
    set_volatile_keys(&mut client, 20);
    let info = client.cmd(&["INFO", "keyspace"]);
    assert!(info.contains("db5:keys=20,expires=20,"), "{info}");
    assert!(
        wait_until(Duration::from_secs(5), || !client
            .cmd(&["INFO", "keyspace"])
            .contains("db5:")),
        "{}",
        client.cmd(&["INFO", "keyspace"])
    );
}

#[test]
fn reading_an_expired_key_removes_it_as_redis_does() {
    let server = TestServer::with_args(&[
        "--enable-debug-command",
        "yes",
        "--notify-keyspace-events",
        "Ex",
    ]);
    let mut client = server.raw();
    let mut events = server.raw();
    events.cmd(&["SUBSCRIBE", "__keyevent@0__:expired"]);
    assert_eq!(client.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    // One deadline for all three; reading `probe` tells when it passed (and removes it).
    let at = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        + 100)
        .to_string();
    for key in ["probe", "a", "b"] {
        client.cmd(&["SET", key, "1", "PXAT", &at]);
    }
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["PTTL", "probe"])
        == ":-2\r\n"));
    assert_eq!(client.cmd(&["DBSIZE"]), ":2\r\n", "still stored, unread");
    assert_eq!(client.cmd(&["MGET", "a", "b"]), "*2\r\n$-1\r\n$-1\r\n");
    assert_eq!(client.cmd(&["DBSIZE"]), ":0\r\n", "the reads removed them");
    let stats = client.cmd(&["INFO", "stats"]);
    assert!(stats.contains("expired_keys:3\r\n"), "{stats}");
    for key in ["probe", "a", "b"] {
        assert_eq!(
            events.reply_text(),
            format!(
                "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n${}\r\n{key}\r\n",
                key.len()
            )
        );
    }
}

#[test]
fn debug_set_active_expire_0_stops_active_expiry() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    set_volatile_keys(&mut client, 50);
    // Ten cron periods at the default hz: long enough for a sweep to have run several times.
    thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        client.cmd(&["DBSIZE"]),
        ":50\r\n",
        "expired keys stay stored"
    );
    assert_eq!(
        client.cmd(&["EXISTS", "volatile:0"]),
        ":0\r\n",
        "but unseen"
    );
    assert_eq!(client.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), "+OK\r\n");
    assert!(
        wait_until(Duration::from_secs(5), || client.cmd(&["DBSIZE"])
            == ":0\r\n"),
        "DBSIZE still {}",
        client.cmd(&["DBSIZE"])
    );
}

#[test]
fn key_commands_check_their_arity() {
    let server = TestServer::start();
    let mut client = server.raw();
    for args in [
        &["DEL"][..],
        &["UNLINK"],
        &["EXISTS"],
        &["TYPE"],
        &["KEYS"],
        &["KEYS", "a", "b"],
        &["RANDOMKEY", "x"],
        &["RENAME", "a"],
        &["RENAMENX", "a"],
        &["COPY", "a"],
        &["MOVE", "a"],
        &["TOUCH"],
        &["EXPIRE", "a"],
        &["PEXPIRE", "a"],
        &["EXPIREAT", "a"],
        &["PEXPIREAT", "a"],
        &["TTL"],
        &["PTTL", "a", "b"],
        &["EXPIRETIME"],
        &["PEXPIRETIME"],
        &["PERSIST"],
    ] {
        let name = args[0].to_ascii_lowercase();
        assert_eq!(
            client.cmd(args),
            error(&format!(
                "ERR wrong number of arguments for '{name}' command"
            )),
            "{args:?}"
        );
    }
}
