//! RDB persistence: the course's stages 8–13 (`--dir`/`--dbfilename`, then reading keys, values
//! and expiry times from an RDB version 11 file the tester wrote), and what a Redis user expects
//! beyond them: SAVE, BGSAVE, LASTSAVE, save points, saving on SHUTDOWN and SIGTERM, INFO's
//! persistence fields, the MISCONF refusal after a failed background save, DEBUG RELOAD and
//! DEBUG DIGEST.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::rdb_file::{FUTURE, PAST, RdbFile};
use common::{TestServer, query, scratch_dir, wait_until};

/// A server started in `dir` on `file`, as the course starts it.
fn start_on(dir: &Path, file: &str, contents: &[u8]) -> TestServer {
    std::fs::write(dir.join(file), contents).unwrap();
    TestServer::in_dir(dir, &["--dir", dir.to_str().unwrap(), "--dbfilename", file])
}

fn sorted_keys(client: &mut redis::Connection) -> Vec<String> {
    let mut keys: Vec<String> = query(client, &["KEYS", "*"]);
    keys.sort();
    keys
}

fn info_field(server: &TestServer, name: &str) -> String {
    let info: String = query(&mut server.client(), &["INFO", "persistence"]);
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .to_string()
}

#[test]
fn stage_8_config_get_reports_dir_and_dbfilename_from_the_flags() {
    let dir = scratch_dir("rdb-config");
    let server = TestServer::in_dir(
        &dir,
        &[
            "--dir",
            dir.to_str().unwrap(),
            "--dbfilename",
            "snapshot.rdb",
        ],
    );
    let mut client = server.client();
    let reply: Vec<String> = query(&mut client, &["CONFIG", "GET", "dir"]);
    assert_eq!(reply, ["dir".to_string(), dir.display().to_string()]);
    let reply: Vec<String> = query(&mut client, &["CONFIG", "GET", "dbfilename"]);
    assert_eq!(reply, ["dbfilename", "snapshot.rdb"]);
    assert_eq!(
        sorted_keys(&mut client),
        Vec::<String>::new(),
        "no file: no keys"
    );
}

#[test]
fn stage_9_reads_a_key_from_the_rdb_file() {
    let dir = scratch_dir("stage-9");
    let file = RdbFile::new(11)
        .db(0, &[("mango", "banana", None)])
        .finish();
    let server = start_on(&dir, "apple.rdb", &file);
    assert_eq!(sorted_keys(&mut server.client()), ["mango"]);
}

#[test]
fn stage_10_reads_a_string_value() {
    let dir = scratch_dir("stage-10");
    let file = RdbFile::new(11).db(0, &[("grape", "pear", None)]).finish();
    let server = start_on(&dir, "dump.rdb", &file);
    let value: String = query(&mut server.client(), &["GET", "grape"]);
    assert_eq!(value, "pear");
}

#[test]
fn stage_11_reads_multiple_keys() {
    let dir = scratch_dir("stage-11");
    let records = [
        ("a", "1", None),
        ("b", "2", None),
        ("c", "3", None),
        ("d", "4", None),
    ];
    let server = start_on(&dir, "dump.rdb", &RdbFile::new(11).db(0, &records).finish());
    assert_eq!(sorted_keys(&mut server.client()), ["a", "b", "c", "d"]);
}

#[test]
fn stage_12_reads_multiple_string_values() {
    let dir = scratch_dir("stage-12");
    let records = [
        ("orange", "raspberry", None),
        ("blueberry", "strawberry", None),
        ("pineapple", "apple", None),
    ];
    let server = start_on(&dir, "dump.rdb", &RdbFile::new(11).db(0, &records).finish());
    let mut client = server.client();
    for (key, value, _) in records {
        assert_eq!(query::<String>(&mut client, &["GET", key]), value);
    }
}

#[test]
fn stage_13_reads_values_with_expiry() {
    let dir = scratch_dir("stage-13");
    let records = [
        ("old", "gone", Some(PAST)),
        ("blueberry", "mango", Some(FUTURE)),
        ("raspberry", "apple", Some(FUTURE)),
    ];
    let server = start_on(&dir, "dump.rdb", &RdbFile::new(11).db(0, &records).finish());
    let mut client = server.client();
    assert_eq!(query::<Option<String>>(&mut client, &["GET", "old"]), None);
    assert_eq!(query::<String>(&mut client, &["GET", "blueberry"]), "mango");
    assert_eq!(
        query::<i64>(&mut client, &["PEXPIRETIME", "raspberry"]),
        FUTURE
    );
    assert_eq!(info_field(&server, "rdb_last_load_keys_loaded"), "2");
    assert_eq!(info_field(&server, "rdb_last_load_keys_expired"), "1");
}

#[test]
fn a_saved_dataset_comes_back_after_a_restart() {
    let dir = scratch_dir("save-restart");
    let args = ["--dir", dir.to_str().unwrap(), "--save", ""];
    {
        let server = TestServer::in_dir(&dir, &args);
        let mut client = server.client();
        let _: () = query(&mut client, &["SET", "plain", "value"]);
        let _: () = query(&mut client, &["SET", "number", "12345"]);
        let _: () = query(&mut client, &["SET", "long", &"compressible ".repeat(100)]);
        let _: () = query(
            &mut client,
            &["SET", "ttl", "v", "PXAT", &FUTURE.to_string()],
        );
        let _: () = query(&mut client, &["SELECT", "7"]);
        let _: () = query(&mut client, &["SET", "elsewhere", "x"]);
        assert_eq!(query::<String>(&mut client, &["SAVE"]), "OK");
    }
    let server = TestServer::in_dir(&dir, &args);
    let mut client = server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "plain"]), "value");
    assert_eq!(query::<String>(&mut client, &["GET", "number"]), "12345");
    assert_eq!(
        query::<String>(&mut client, &["GET", "long"]),
        "compressible ".repeat(100)
    );
    assert_eq!(query::<i64>(&mut client, &["PEXPIRETIME", "ttl"]), FUTURE);
    let _: () = query(&mut client, &["SELECT", "7"]);
    assert_eq!(query::<String>(&mut client, &["GET", "elsewhere"]), "x");
}

#[test]
fn bgsave_reports_its_progress_and_updates_lastsave() {
    let server = TestServer::with_args(&["--save", ""]);
    let mut client = server.client();
    let _: () = query(&mut client, &["SET", "k", "v"]);
    assert_eq!(info_field(&server, "rdb_changes_since_last_save"), "1");
    let before: i64 = query(&mut client, &["LASTSAVE"]);
    assert_eq!(
        query::<String>(&mut client, &["BGSAVE"]),
        "Background saving started"
    );
    assert!(wait_until(Duration::from_secs(10), || info_field(
        &server,
        "rdb_bgsave_in_progress"
    ) == "0"));
    assert_eq!(info_field(&server, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&server, "rdb_changes_since_last_save"), "0");
    assert!(query::<i64>(&mut client, &["LASTSAVE"]) >= before);
    assert!(server.dir.join("dump.rdb").exists());
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["BGSAVE", "NOW"]), "-ERR syntax error\r\n");
}

#[test]
fn flushall_saves_the_empty_dataset_when_save_points_are_set() {
    let dir = scratch_dir("flushall-save");
    let server = TestServer::in_dir(&dir, &["--save", "3600 1", "--appendonly", "yes"]);
    let mut client = server.client();
    let _: () = query(&mut client, &["SET", "k", "v"]);
    assert_eq!(info_field(&server, "rdb_changes_since_last_save"), "1");
    let _: () = query(&mut client, &["FLUSHALL"]);
    assert_eq!(info_field(&server, "rdb_changes_since_last_save"), "0");
    assert!(
        dir.join("dump.rdb").exists(),
        "saved at once, as Redis does"
    );
    // Still journaled: a reload from the AOF does not bring the key back.
    let _: () = query(&mut client, &["SET", "after", "1"]);
    drop(server);
    let server = TestServer::in_dir(&dir, &["--appendonly", "yes"]);
    let mut client = server.client();
    assert_eq!(query::<i64>(&mut client, &["EXISTS", "k", "after"]), 1);

    // Without save points nothing is saved, and the keys removed count as changes (none here).
    let server = TestServer::with_args(&["--save", ""]);
    let mut client = server.client();
    let _: () = query(&mut client, &["SET", "k", "v"]);
    let _: () = query(&mut client, &["FLUSHALL"]);
    assert_eq!(info_field(&server, "rdb_changes_since_last_save"), "2");
    let _: () = query(&mut client, &["FLUSHALL"]);
    assert_eq!(info_field(&server, "rdb_changes_since_last_save"), "2");
    assert!(!server.dir.join("dump.rdb").exists());
}

#[test]
fn loaded_collections_take_the_encoding_the_configuration_gives_them() {
    let dir = scratch_dir("load-encodings");
    let server = TestServer::in_dir(&dir, &[]);
    let mut raw = server.raw();
    raw.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    raw.cmd(&["SADD", "s", "1", "2", "3"]);
    assert_eq!(raw.cmd(&["OBJECT", "ENCODING", "h"]), "$8\r\nlistpack\r\n");
    assert_eq!(raw.cmd(&["OBJECT", "ENCODING", "s"]), "$6\r\nintset\r\n");
    assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
    drop(server);
    // Saved compact; loaded where the limits are lower, they convert, as in Redis.
    let args = [
        "--hash-max-ziplist-entries",
        "2",
        "--set-max-intset-entries",
        "2",
    ];
    let server = TestServer::in_dir(&dir, &args);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["OBJECT", "ENCODING", "h"]), "$9\r\nhashtable\r\n");
    assert_eq!(raw.cmd(&["OBJECT", "ENCODING", "s"]), "$9\r\nhashtable\r\n");
    assert_eq!(raw.cmd(&["HLEN", "h"]), ":3\r\n");
}

#[test]
fn rdb_key_save_delay_makes_a_background_save_last() {
    let server = TestServer::with_args(&["--save", "", "--rdb-key-save-delay", "200000"]);
    let mut client = server.client();
    for key in ["a", "b", "c", "d", "e"] {
        let _: () = query(&mut client, &["SET", key, "v"]);
    }
    assert_eq!(
        query::<String>(&mut client, &["BGSAVE"]),
        "Background saving started"
    );
    // Five keys at 200 ms each: the save lasts a second, and the server serves meanwhile.
    assert_eq!(info_field(&server, "rdb_bgsave_in_progress"), "1");
    assert_eq!(query::<String>(&mut client, &["GET", "a"]), "v");
    assert!(wait_until(Duration::from_secs(10), || info_field(
        &server,
        "rdb_bgsave_in_progress"
    ) == "0"));
    assert_eq!(info_field(&server, "rdb_last_bgsave_status"), "ok");
}

#[test]
fn a_save_point_triggers_a_background_save() {
    let server = TestServer::with_args(&["--save", "1 2"]);
    let mut client = server.client();
    let _: () = query(&mut client, &["SET", "a", "1"]);
    let _: () = query(&mut client, &["SET", "b", "2"]);
    assert!(
        (server.logged("2 changes in 1 seconds. Saving...")),
        "{}",
        server.log()
    );
    assert!(wait_until(Duration::from_secs(10), || info_field(
        &server,
        "rdb_changes_since_last_save"
    ) == "0"));
    assert!(server.dir.join("dump.rdb").exists());
}

#[test]
fn shutdown_saves_when_save_points_are_set_and_sigterm_too() {
    for how in ["SHUTDOWN", "SIGTERM"] {
        let dir = scratch_dir("shutdown-save");
        let mut server = TestServer::in_dir(&dir, &[]);
        let _: () = query(&mut server.client(), &["SET", "kept", how]);
        if how == "SHUTDOWN" {
            server.raw().send(&common::resp(&["SHUTDOWN"]));
        } else {
            Command::new("kill")
                .args(["-TERM", &server.pid().to_string()])
                .status()
                .unwrap();
        }
        let status = server.wait_exit(Duration::from_secs(10)).expect("exits");
        assert!(status.success());
        assert!(server.logged("Saving the final RDB snapshot before exiting."));
        let server = TestServer::in_dir(&dir, &[]);
        assert_eq!(query::<String>(&mut server.client(), &["GET", "kept"]), how);
    }
}

#[test]
fn shutdown_save_saves_even_without_save_points() {
    let mut server = TestServer::with_args(&["--save", ""]);
    let _: () = query(&mut server.client(), &["SET", "k", "v"]);
    server.raw().send(&common::resp(&["SHUTDOWN", "SAVE"]));
    assert!(
        server
            .wait_exit(Duration::from_secs(10))
            .expect("exits")
            .success()
    );
    assert!(server.dir.join("dump.rdb").exists());
}

#[test]
fn a_failed_background_save_refuses_writes_until_a_save_succeeds() {
    let dir = scratch_dir("misconf");
    // `dir` is protected: changing it at runtime must be allowed first.
    let server = TestServer::in_dir(
        &dir,
        &["--save", "3600 1", "--enable-protected-configs", "yes"],
    );
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
    // The server's working directory disappears: no temporary file can be created in it.
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(raw.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    assert!(wait_until(Duration::from_secs(10), || info_field(
        &server,
        "rdb_last_bgsave_status"
    ) == "err"));
    let refused = raw.cmd(&["SET", "k", "v2"]);
    assert!(
        refused.starts_with("-MISCONF Redis is configured to save RDB snapshots"),
        "{refused}"
    );
    assert!(
        raw.cmd(&["PING"]).starts_with("-MISCONF"),
        "PING too, as in Redis"
    );
    assert_eq!(raw.cmd(&["GET", "k"]), "$1\r\nv\r\n", "reads still work");
    let elsewhere = scratch_dir("misconf-recovered");
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "dir", elsewhere.to_str().unwrap()]),
        "+OK\r\n"
    );
    assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "k", "v3"]), "+OK\r\n");
}

#[test]
fn save_during_a_background_save_is_refused() {
    let server = TestServer::with_args(&["--save", ""]);
    let mut client = server.client();
    // Enough data that the background save is still running when SAVE arrives.
    let mut pipe = redis::pipe();
    for i in 0..200_000 {
        pipe.cmd("SET")
            .arg(format!("key:{i}"))
            .arg("x".repeat(100))
            .ignore();
    }
    let _: () = pipe.query(&mut client).unwrap();
    let mut raw = server.raw();
    raw.send(
        &[
            common::resp(&["BGSAVE"]),
            common::resp(&["SAVE"]),
            common::resp(&["BGSAVE"]),
        ]
        .concat(),
    );
    assert_eq!(raw.reply_text(), "+Background saving started\r\n");
    let save = raw.reply_text();
    let bgsave = raw.reply_text();
    assert_eq!(save, "-ERR Background save already in progress\r\n");
    assert_eq!(bgsave, "-ERR Background save already in progress\r\n");
}

#[test]
fn debug_reload_keeps_the_data_and_the_digest() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes", "--save", ""]);
    let mut client = server.client();
    let empty: String = query(&mut client, &["DEBUG", "DIGEST"]);
    assert_eq!(empty, "0".repeat(40));
    for i in 0..100 {
        let _: () = query(
            &mut client,
            &["SET", &format!("k{i}"), &format!("value {i}")],
        );
    }
    let _: () = query(&mut client, &["PEXPIREAT", "k7", &FUTURE.to_string()]);
    let digest: String = query(&mut client, &["DEBUG", "DIGEST"]);
    let value: Vec<String> = query(&mut client, &["DEBUG", "DIGEST-VALUE", "k1", "missing"]);
    assert_eq!(value[1], "0".repeat(40));
    assert_eq!(query::<String>(&mut client, &["DEBUG", "RELOAD"]), "OK");
    assert_eq!(query::<String>(&mut client, &["DEBUG", "DIGEST"]), digest);
    assert_eq!(
        query::<Vec<String>>(&mut client, &["DEBUG", "DIGEST-VALUE", "k1", "missing"]),
        value
    );
    assert_eq!(query::<i64>(&mut client, &["DBSIZE"]), 100);
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["DEBUG", "RELOAD", "BOGUS"]),
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
}

#[test]
fn collections_come_back_from_the_rdb_file_with_their_digest_and_encodings() {
    let dir = scratch_dir("rdb-collections");
    let args = ["--save", "", "--enable-debug-command", "yes"];
    let before = {
        let server = TestServer::in_dir(&dir, &args);
        let mut raw = server.raw();
        common::write_collections(&mut raw);
        let before = common::fingerprint(&mut raw);
        assert_eq!(raw.cmd(&["BGSAVE"]), "+Background saving started\r\n");
        assert!(wait_until(Duration::from_secs(10), || {
            raw.cmd(&["INFO", "persistence"])
                .contains("rdb_bgsave_in_progress:0")
        }));
        assert_eq!(raw.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
        assert_eq!(common::fingerprint(&mut raw), before);
        before
    };
    let server = TestServer::in_dir(&dir, &args);
    assert_eq!(common::fingerprint(&mut server.raw()), before);
}

#[test]
fn persistence_commands_inside_a_transaction() {
    let dir = scratch_dir("rdb-exec");
    let server = TestServer::in_dir(&dir, &["--save", "", "--enable-debug-command", "yes"]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
    let value = raw.cmd(&["DEBUG", "DIGEST-VALUE", "k"]);
    let queued = [
        &["SET", "k2", "v2"][..],
        &["DEBUG", "DIGEST"],
        &["DEBUG", "DIGEST-VALUE", "k"],
        &["BGSAVE"],
        &["BGREWRITEAOF"],
        &["DEBUG", "RELOAD"],
    ];
    // SAVE is refused while queuing (`no_multi`), which dooms the transaction.
    assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
    for args in queued {
        assert_eq!(raw.cmd(args), "+QUEUED\r\n", "{args:?}");
    }
    assert_eq!(
        raw.cmd(&["SAVE"]),
        "-ERR Command not allowed inside a transaction\r\n"
    );
    assert!(raw.cmd(&["EXEC"]).starts_with("-EXECABORT"));
    assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
    for args in queued {
        raw.cmd(args);
    }
    let exec = raw.cmd(&["EXEC"]);
    let digest = raw.cmd(&["DEBUG", "DIGEST"]);
    assert_eq!(
        exec,
        format!(
            "*6\r\n+OK\r\n{digest}{value}+Background saving scheduled\r\n\
             +Background append only file rewriting scheduled\r\n\
             -ERR DEBUG RELOAD is not allowed inside a transaction\r\n"
        )
    );
    // The scheduled jobs run once the transaction is over.
    assert!(wait_until(Duration::from_secs(10), || {
        server.dir.join("dump.rdb").exists()
            && server.dir.join("appendonlydir").exists()
            && raw.rewrite_done()
    }));
}

#[test]
fn after_a_failed_background_save_an_exec_that_would_write_is_aborted_and_one_that_reads_runs() {
    let dir = scratch_dir("misconf-exec");
    let server = TestServer::in_dir(&dir, &["--save", "3600 1"]);
    let (mut writer, mut reader, mut admin) = (server.raw(), server.raw(), server.raw());
    admin.cmd(&["SET", "k", "v"]);
    writer.run_all(&[&["MULTI"], &["SET", "k", "v2"]]);
    reader.run_all(&[&["MULTI"], &["GET", "k"]]);
    std::fs::remove_dir_all(&dir).unwrap();
    admin.cmd(&["BGSAVE"]);
    assert!(wait_until(Duration::from_secs(10), || info_field(
        &server,
        "rdb_last_bgsave_status"
    ) == "err"));
    let aborted = writer.cmd(&["EXEC"]);
    assert!(
        aborted.starts_with(
            "-EXECABORT Transaction discarded because of: MISCONF Redis is configured to save RDB snapshots"
        ),
        "{aborted}"
    );
    assert_eq!(reader.cmd(&["EXEC"]), "*1\r\n$1\r\nv\r\n");
}
