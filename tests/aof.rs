//! AOF persistence: the course's stages 14–23 (the options, the directory, the incr file and the
//! manifest as Redis 7 names them, every write command in the file right after its reply, replay
//! at startup following the manifest), and what a Redis user expects beyond them: BGREWRITEAOF
//! and the automatic rewrite, turning the AOF on and off at runtime, expiry made absolute,
//! SELECT when the database changes.
//!
//! The course runs these with `--appendfsync always`; so do the tests that check the file right
//! after a reply.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{TestServer, query, scratch_dir, wait_until};

/// The commands in an append-only file, each as its arguments.
fn commands_in(path: &Path) -> Vec<Vec<String>> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut commands = Vec::new();
    let mut rest = &bytes[..];
    let line = |rest: &mut &[u8]| -> String {
        let end = rest.windows(2).position(|w| w == b"\r\n").expect("a line");
        let text = String::from_utf8_lossy(&rest[..end]).into_owned();
        *rest = &rest[end + 2..];
        text
    };
    while !rest.is_empty() {
        let header = line(&mut rest);
        let argc: usize = header.strip_prefix('*').expect("an array").parse().unwrap();
        let mut args = Vec::new();
        for _ in 0..argc {
            let len: usize = line(&mut rest).strip_prefix('$').unwrap().parse().unwrap();
            args.push(String::from_utf8_lossy(&rest[..len]).into_owned());
            rest = &rest[len + 2..];
        }
        commands.push(args);
    }
    commands
}

/// The commands, without the leading `SELECT 0` the course tolerates.
fn written_commands(path: &Path) -> Vec<Vec<String>> {
    let mut commands = commands_in(path);
    if commands.first().is_some_and(|c| c == &["SELECT", "0"]) {
        commands.remove(0);
    }
    commands
}

fn command(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// A server started as the course starts the AOF stages: `--dir D --appendonly yes
/// --appenddirname X --appendfilename Y.aof --appendfsync always`.
struct CourseAof {
    server: TestServer,
    aof_dir: PathBuf,
}

impl CourseAof {
    fn start(dir: &Path, dirname: &str, filename: &str) -> CourseAof {
        let server = TestServer::in_dir(
            dir,
            &[
                "--dir",
                dir.to_str().unwrap(),
                "--appendonly",
                "yes",
                "--appenddirname",
                dirname,
                "--appendfilename",
                filename,
                "--appendfsync",
                "always",
            ],
        );
        CourseAof {
            server,
            aof_dir: dir.join(dirname),
        }
    }

    fn incr(&self, filename: &str) -> PathBuf {
        self.aof_dir.join(format!("{filename}.1.incr.aof"))
    }
}

#[test]
fn stage_14_default_aof_options() {
    let server = TestServer::start();
    let mut client = server.client();
    let mut get = |name: &str| -> Vec<String> { query(&mut client, &["CONFIG", "GET", name]) };
    // The course starts the server with no flags: `dir` is its working directory.
    let cwd = server.dir.display().to_string();
    assert_eq!(get("dir"), ["dir".to_string(), cwd]);
    assert_eq!(get("appendonly"), ["appendonly", "no"]);
    assert_eq!(get("appenddirname"), ["appenddirname", "appendonlydir"]);
    assert_eq!(get("appendfilename"), ["appendfilename", "appendonly.aof"]);
    assert_eq!(get("appendfsync"), ["appendfsync", "everysec"]);
}

#[test]
fn stage_15_aof_options_come_from_the_flags() {
    let dir = scratch_dir("stage-15");
    let aof = CourseAof::start(&dir, "raspberry", "mango.aof");
    let mut client = aof.server.client();
    let mut get = |name: &str| -> Vec<String> { query(&mut client, &["CONFIG", "GET", name]) };
    assert_eq!(get("dir"), ["dir".to_string(), dir.display().to_string()]);
    assert_eq!(get("appendonly"), ["appendonly", "yes"]);
    assert_eq!(get("appenddirname"), ["appenddirname", "raspberry"]);
    assert_eq!(get("appendfilename"), ["appendfilename", "mango.aof"]);
    assert_eq!(get("appendfsync"), ["appendfsync", "always"]);
}

#[test]
fn stage_16_creates_the_append_only_directory_only_when_asked() {
    let dir = scratch_dir("stage-16");
    let aof = CourseAof::start(&dir, "banana", "pear.aof");
    assert!(aof.aof_dir.is_dir());
    drop(aof);
    let other = scratch_dir("stage-16-default");
    let server = TestServer::in_dir(&other, &["--dir", other.to_str().unwrap()]);
    assert_eq!(query::<String>(&mut server.client(), &["PING"]), "PONG");
    assert!(!other.join("appendonlydir").exists());
}

#[test]
fn stage_17_creates_an_empty_incr_file() {
    let dir = scratch_dir("stage-17");
    let aof = CourseAof::start(&dir, "grape", "apple.aof");
    let incr = aof.incr("apple.aof");
    assert!(incr.is_file(), "{}", incr.display());
    assert_eq!(fs::metadata(&incr).unwrap().len(), 0);
}

#[test]
fn stage_18_creates_the_manifest() {
    let dir = scratch_dir("stage-18");
    let aof = CourseAof::start(&dir, "orange", "blueberry.aof");
    let manifest = fs::read_to_string(aof.aof_dir.join("blueberry.aof.manifest")).unwrap();
    assert!(
        manifest
            .lines()
            .any(|line| line == "file blueberry.aof.1.incr.aof seq 1 type i"),
        "{manifest}"
    );
    // As Redis 7 does on a first start, a base (of the empty dataset) comes first.
    assert!(
        manifest.starts_with("file blueberry.aof.1.base.rdb seq 1 type b\n"),
        "{manifest}"
    );
}

#[test]
fn stage_19_writes_a_single_command() {
    let dir = scratch_dir("stage-19");
    let aof = CourseAof::start(&dir, "d", "f.aof");
    let mut raw = aof.server.raw();
    assert_eq!(raw.cmd(&["SET", "pineapple", "342"]), "+OK\r\n");
    assert_eq!(
        written_commands(&aof.incr("f.aof")),
        [command(&["SET", "pineapple", "342"])]
    );
}

#[test]
fn stage_20_writes_multiple_commands_in_order() {
    let dir = scratch_dir("stage-20");
    let aof = CourseAof::start(&dir, "d", "f.aof");
    let mut raw = aof.server.raw();
    assert_eq!(raw.cmd(&["SET", "a", "1"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "b", "2"]), "+OK\r\n");
    assert_eq!(
        written_commands(&aof.incr("f.aof")),
        [command(&["SET", "a", "1"]), command(&["SET", "b", "2"])]
    );
}

#[test]
fn stage_21_writes_only_write_commands() {
    let dir = scratch_dir("stage-21");
    let aof = CourseAof::start(&dir, "d", "f.aof");
    let mut raw = aof.server.raw();
    assert_eq!(raw.cmd(&["SET", "k1", "v1"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "k1"]), "$2\r\nv1\r\n");
    assert_eq!(raw.cmd(&["ECHO", "w"]), "$1\r\nw\r\n");
    assert_eq!(raw.cmd(&["SET", "k2", "v2"]), "+OK\r\n");
    assert_eq!(
        written_commands(&aof.incr("f.aof")),
        [command(&["SET", "k1", "v1"]), command(&["SET", "k2", "v2"])]
    );
}

/// Prepares an AOF directory as the course's tester does for the replay stages: a manifest
/// named after `--appendfilename` that lists an incr file with *another* name.
fn course_replay_dir(dir: &Path, commands: &[&[&str]]) {
    common::write_aof_dir(
        dir,
        "strawberry",
        "peach.aof.manifest",
        "file grape.aof.1.incr.aof seq 1 type i\n",
        ("grape.aof.1.incr.aof", &common::resp_all(commands)),
    );
}

#[test]
fn stage_22_replays_a_single_command_from_the_file_the_manifest_names() {
    let dir = scratch_dir("stage-22");
    course_replay_dir(&dir, &[&["SET", "mango", "83"]]);
    let aof = CourseAof::start(&dir, "strawberry", "peach.aof");
    assert_eq!(
        query::<String>(&mut aof.server.client(), &["GET", "mango"]),
        "83"
    );
}

#[test]
fn stage_23_replays_multiple_commands() {
    let dir = scratch_dir("stage-23");
    course_replay_dir(
        &dir,
        &[
            &["SET", "k1", "a"],
            &["SET", "k2", "b"],
            &["SET", "k1", "c"],
        ],
    );
    let aof = CourseAof::start(&dir, "strawberry", "peach.aof");
    let mut client = aof.server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "k1"]), "c");
    assert_eq!(query::<String>(&mut client, &["GET", "k2"]), "b");
    // New writes go on at the end of the file that was replayed.
    let _: () = query(&mut client, &["SET", "k3", "d"]);
    let commands = commands_in(&dir.join("strawberry/grape.aof.1.incr.aof"));
    assert_eq!(commands.last().unwrap(), &command(&["SET", "k3", "d"]));
}

/// A server with the AOF on, in `dir`, with Redis's default names.
fn aof_server(dir: &Path, extra: &[&str]) -> TestServer {
    let mut args = common::AOF_ALWAYS.to_vec();
    args.extend_from_slice(extra);
    TestServer::in_dir(dir, &args)
}

#[test]
fn commands_are_written_as_redis_propagates_them() {
    let dir = scratch_dir("aof-rewrites");
    let server = aof_server(&dir, &[]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v", "EX", "100", "NX"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SETEX", "s", "100", "v"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["EXPIRE", "k", "200", "GT"]), ":1\r\n");
    assert_eq!(raw.cmd(&["INCRBYFLOAT", "f", "1.5"]), "$3\r\n1.5\r\n");
    assert_eq!(raw.cmd(&["GETEX", "k", "PERSIST"]), "$1\r\nv\r\n");
    assert_eq!(raw.cmd(&["GETDEL", "k"]), "$1\r\nv\r\n");
    assert_eq!(raw.cmd(&["GET", "f"]), "$3\r\n1.5\r\n");
    assert_eq!(raw.cmd(&["SELECT", "2"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "other", "1"]), "+OK\r\n");
    let commands = commands_in(&dir.join("appendonlydir/appendonly.aof.1.incr.aof"));
    let shapes: Vec<Vec<&str>> = commands
        .iter()
        .map(|c| {
            c.iter()
                .map(|arg| {
                    if arg.len() == 13 && arg.parse::<i64>().is_ok() {
                        "<ms>"
                    } else {
                        arg.as_str()
                    }
                })
                .collect()
        })
        .collect();
    assert_eq!(
        shapes,
        [
            vec!["SELECT", "0"],
            vec!["SET", "k", "v", "PXAT", "<ms>"],
            vec!["SET", "s", "v", "PXAT", "<ms>"],
            vec!["PEXPIREAT", "k", "<ms>", "GT"],
            vec!["SET", "f", "1.5", "KEEPTTL"],
            vec!["PERSIST", "k"],
            vec!["DEL", "k"],
            vec!["SELECT", "2"],
            vec!["SET", "other", "1"],
        ]
    );
}

#[test]
fn a_replayed_expiry_in_the_past_expires_after_loading_not_before() {
    // Redis's rule: nothing expires while the AOF loads, so the APPEND that followed the
    // PEXPIREAT finds the key it found when it first ran, and the key is gone afterwards.
    let dir = scratch_dir("aof-loading-expiry");
    let commands = common::resp_all(&[
        &["SET", "k", "v"],
        &["PEXPIREAT", "k", "1600000000000"],
        &["APPEND", "k", "x"],
    ]);
    common::write_aof_dir(
        &dir,
        "appendonlydir",
        "appendonly.aof.manifest",
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
        ("appendonly.aof.1.incr.aof", &commands),
    );
    let server = aof_server(&dir, &[]);
    let mut client = server.client();
    assert_eq!(query::<Option<String>>(&mut client, &["GET", "k"]), None);
}

#[test]
fn the_data_survives_a_restart_through_the_aof() {
    let dir = scratch_dir("aof-restart");
    {
        let server = aof_server(&dir, &[]);
        let mut client = server.client();
        for i in 0..50 {
            let _: () = query(&mut client, &["SET", &format!("k{i}"), &i.to_string()]);
        }
        let _: i64 = query(&mut client, &["INCRBY", "k1", "10"]);
        let _: i64 = query(&mut client, &["DEL", "k2"]);
    }
    let server = aof_server(&dir, &[]);
    let mut client = server.client();
    assert_eq!(query::<i64>(&mut client, &["DBSIZE"]), 49);
    assert_eq!(query::<String>(&mut client, &["GET", "k1"]), "11");
    assert!(
        server.logged("DB loaded from append only file"),
        "{}",
        server.log()
    );
}

#[test]
fn bgrewriteaof_writes_a_new_base_and_incr_file_and_removes_the_old_ones() {
    let dir = scratch_dir("aof-bgrewrite");
    let server = aof_server(&dir, &[]);
    let mut raw = server.raw();
    for i in 0..20 {
        assert_eq!(raw.cmd(&["SET", "counter", &i.to_string()]), "+OK\r\n");
    }
    assert_eq!(
        raw.cmd(&["BGREWRITEAOF"]),
        "+Background append only file rewriting started\r\n"
    );
    let aof_dir = dir.join("appendonlydir");
    let manifest = aof_dir.join("appendonly.aof.manifest");
    assert!(
        wait_until(Duration::from_secs(10), || {
            fs::read_to_string(&manifest).unwrap()
                == "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
        }),
        "{}",
        fs::read_to_string(&manifest).unwrap()
    );
    assert!(wait_until(Duration::from_secs(5), || !aof_dir
        .join("appendonly.aof.1.incr.aof")
        .exists()));
    assert!(!aof_dir.join("appendonly.aof.1.base.rdb").exists());
    assert_eq!(raw.cmd(&["SET", "after", "rewrite"]), "+OK\r\n");
    assert_eq!(
        written_commands(&aof_dir.join("appendonly.aof.2.incr.aof")),
        [command(&["SET", "after", "rewrite"])]
    );
    drop(raw);
    drop(server);
    let server = aof_server(&dir, &[]);
    let mut client = server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "counter"]), "19");
    assert_eq!(query::<String>(&mut client, &["GET", "after"]), "rewrite");
}

#[test]
fn a_base_in_command_form_replays_too() {
    let dir = scratch_dir("aof-no-preamble");
    {
        let server = aof_server(&dir, &["--aof-use-rdb-preamble", "no"]);
        let mut raw = server.raw();
        assert_eq!(raw.cmd(&["SET", "a", "1", "PX", "100000000"]), "+OK\r\n");
        raw.cmd(&["BGREWRITEAOF"]);
        let base = dir.join("appendonlydir/appendonly.aof.2.base.aof");
        assert!(wait_until(Duration::from_secs(10), || base.exists()));
        let commands = commands_in(&base);
        assert_eq!(commands[0], ["SELECT", "0"]);
        assert_eq!(commands[1], ["SET", "a", "1"]);
        assert_eq!(commands[2][..2], ["PEXPIREAT", "a"]);
    }
    let server = aof_server(&dir, &["--aof-use-rdb-preamble", "no"]);
    assert_eq!(query::<String>(&mut server.client(), &["GET", "a"]), "1");
}

#[test]
fn turning_the_aof_on_at_runtime_writes_a_base_of_the_current_data() {
    let dir = scratch_dir("aof-enable");
    {
        let server = TestServer::in_dir(&dir, &["--save", "", "--appendfsync", "always"]);
        let mut raw = server.raw();
        assert_eq!(raw.cmd(&["SET", "before", "1"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["CONFIG", "SET", "appendonly", "yes"]), "+OK\r\n");
        assert!(raw.cmd(&["INFO", "persistence"]).contains("aof_enabled:1"));
        let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
        assert!(wait_until(Duration::from_secs(10), || {
            fs::read_to_string(&manifest)
            .is_ok_and(|m| m == "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
        }));
        assert_eq!(raw.cmd(&["SET", "after", "2"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["CONFIG", "SET", "appendonly", "no"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["SET", "not-logged", "3"]), "+OK\r\n");
    }
    let server = aof_server(&dir, &[]);
    let mut client = server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "before"]), "1");
    assert_eq!(query::<String>(&mut client, &["GET", "after"]), "2");
    assert_eq!(
        query::<Option<String>>(&mut client, &["GET", "not-logged"]),
        None
    );
}

#[test]
fn the_aof_grows_into_an_automatic_rewrite() {
    let dir = scratch_dir("aof-auto");
    let server = aof_server(
        &dir,
        &[
            "--auto-aof-rewrite-min-size",
            "1kb",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut client = server.client();
    for i in 0..100 {
        let _: () = query(&mut client, &["SET", "k", &format!("value {i}")]);
    }
    assert!(
        (server.logged("Starting automatic rewriting of AOF on")),
        "{}",
        server.log()
    );
    assert!(wait_until(Duration::from_secs(10), || dir
        .join("appendonlydir/appendonly.aof.2.base.rdb")
        .exists()));
}

#[test]
fn info_reports_the_aof() {
    let dir = scratch_dir("aof-info");
    let server = aof_server(&dir, &[]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "k", "v"]);
    let info = raw.cmd(&["INFO", "persistence"]);
    for field in [
        "aof_enabled:1",
        "aof_last_write_status:ok",
        "aof_buffer_length:0",
        "aof_rewrite_in_progress:0",
    ] {
        assert!(info.contains(field), "{field} in {info}");
    }
    assert!(!info.contains("aof_current_size:0\r\n"), "{info}");
}

#[test]
fn turning_the_aof_on_fails_cleanly_when_its_directory_cannot_be_made() {
    let dir = scratch_dir("aof-enable-fails");
    let server = TestServer::in_dir(&dir, &["--save", ""]);
    let mut raw = server.raw();
    // The working directory disappears: no AOF directory can be created in it.
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "appendonly", "yes"]),
        "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.\r\n"
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "appendonly"]),
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
    assert!(raw.cmd(&["INFO", "persistence"]).contains("aof_enabled:0"));
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
}

#[test]
fn a_transaction_is_journaled_between_multi_and_exec_and_replays() {
    let dir = scratch_dir("aof-multi");
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    {
        let server = aof_server(&dir, &[]);
        let mut raw = server.raw();
        for args in [
            &["MULTI"][..],
            &["SET", "a", "1"],
            &["INCR", "a"],
            &["GET", "a"],
            &["SELECT", "3"],
            &["SET", "b", "x"],
        ] {
            let reply = raw.cmd(args);
            assert!(reply == "+OK\r\n" || reply == "+QUEUED\r\n", "{reply}");
        }
        assert_eq!(
            raw.cmd(&["EXEC"]),
            "*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n+OK\r\n+OK\r\n"
        );
        // One write needs no wrapping, and a read-only transaction journals nothing.
        for args in [&["MULTI"][..], &["SET", "c", "1"], &["EXEC"]] {
            raw.cmd(args);
        }
        for args in [&["MULTI"][..], &["GET", "c"], &["EXEC"]] {
            raw.cmd(args);
        }
        // Redis's placement (`propagatePendingCommands`): MULTI takes its first command's
        // database, so the SELECT comes before it.
        for args in [
            &["MULTI"][..],
            &["SELECT", "0"],
            &["DEL", "a"],
            &["SET", "a", "9"],
        ] {
            raw.cmd(args);
        }
        assert_eq!(raw.cmd(&["EXEC"]), "*3\r\n+OK\r\n:1\r\n+OK\r\n");
        assert_eq!(
            commands_in(&incr),
            [
                command(&["SELECT", "0"]),
                command(&["MULTI"]),
                command(&["SET", "a", "1"]),
                command(&["INCR", "a"]),
                command(&["SELECT", "3"]),
                command(&["SET", "b", "x"]),
                command(&["EXEC"]),
                command(&["SET", "c", "1"]),
                command(&["SELECT", "0"]),
                command(&["MULTI"]),
                command(&["DEL", "a"]),
                command(&["SET", "a", "9"]),
                command(&["EXEC"]),
            ]
        );
    }
    let server = aof_server(&dir, &[]);
    let mut client = server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "a"]), "9");
    let _: () = query(&mut client, &["SELECT", "3"]);
    assert_eq!(query::<String>(&mut client, &["GET", "b"]), "x");
    assert_eq!(query::<String>(&mut client, &["GET", "c"]), "1");
}

#[test]
fn a_served_blocking_pop_is_journaled_as_the_pop_and_replays() {
    let dir = scratch_dir("aof-blocking");
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    {
        let server = aof_server(&dir, &[]);
        let mut waiter = server.raw();
        waiter.send(&common::resp(&["BLPOP", "queue", "0"]));
        let mut pusher = server.raw();
        pusher.wait_for_blocked(1);
        assert_eq!(pusher.cmd(&["RPUSH", "queue", "a", "b"]), ":2\r\n");
        assert_eq!(waiter.reply_text(), "*2\r\n$5\r\nqueue\r\n$1\r\na\r\n");
        waiter.send(&common::resp(&[
            "BLMOVE", "empty", "moved", "RIGHT", "LEFT", "0",
        ]));
        pusher.wait_for_blocked(1);
        assert_eq!(pusher.cmd(&["LPUSH", "empty", "x"]), ":1\r\n");
        assert_eq!(waiter.reply_text(), "$1\r\nx\r\n");
        assert_eq!(
            written_commands(&incr),
            [
                command(&["RPUSH", "queue", "a", "b"]),
                command(&["LPOP", "queue"]),
                command(&["LPUSH", "empty", "x"]),
                command(&["LMOVE", "empty", "moved", "RIGHT", "LEFT"]),
            ]
        );
    }
    let server = aof_server(&dir, &[]);
    let mut client = server.client();
    assert_eq!(
        query::<Vec<String>>(&mut client, &["LRANGE", "queue", "0", "-1"]),
        ["b"]
    );
    assert_eq!(
        query::<Vec<String>>(&mut client, &["LRANGE", "moved", "0", "-1"]),
        ["x"]
    );
    assert_eq!(query::<i64>(&mut client, &["EXISTS", "empty"]), 0);
}

/// Collections written by commands come back the same through the AOF alone, through a base
/// with an RDB preamble plus an incr file, and through a base in command form.
#[test]
fn collections_replay_to_the_same_digest_and_encodings() {
    for preamble in ["yes", "no"] {
        let dir = scratch_dir(&format!("aof-collections-{preamble}"));
        let args = [
            "--aof-use-rdb-preamble",
            preamble,
            "--enable-debug-command",
            "yes",
        ];
        let (before_rewrite, after_rewrite) = {
            let server = aof_server(&dir, &args);
            let mut raw = server.raw();
            common::write_collections(&mut raw);
            let before = common::fingerprint(&mut raw);
            drop((raw, server));
            // The incr file alone gives it back; then it is rewritten into a base.
            let server = aof_server(&dir, &args);
            let mut raw = server.raw();
            assert_eq!(common::fingerprint(&mut raw), before, "preamble {preamble}");
            raw.cmd(&["BGREWRITEAOF"]);
            let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
            assert!(wait_until(Duration::from_secs(10), || {
                fs::read_to_string(&manifest).is_ok_and(|m| m.contains("seq 2 type b"))
            }));
            // Changes after the rewrite land in the new incr file, on top of the base.
            raw.cmd(&["SPOP", "set:big-ints", "7"]);
            raw.cmd(&["HINCRBYFLOAT", "hash:big", "field:9", "0.5"]);
            raw.cmd(&["LPUSH", "list:small", "again"]);
            (before, common::fingerprint(&mut raw))
        };
        assert_ne!(before_rewrite.0, after_rewrite.0);
        let server = aof_server(&dir, &args);
        assert_eq!(
            common::fingerprint(&mut server.raw()),
            after_rewrite,
            "preamble {preamble}"
        );
    }
}

#[test]
fn debug_loadaof_replaces_the_data_with_what_the_aof_holds() {
    let dir = scratch_dir("aof-loadaof");
    let server = aof_server(&dir, &["--enable-debug-command", "yes"]);
    let mut raw = server.raw();
    common::write_collections(&mut raw);
    let before = common::fingerprint(&mut raw);
    assert_eq!(raw.cmd(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(common::fingerprint(&mut raw), before);
    assert!(
        raw.cmd(&["INFO", "persistence"])
            .contains("rdb_changes_since_last_save:0\r\n")
    );
    assert!(server.logged("Append Only File loaded by DEBUG LOADAOF"));
    // Nothing the load did went into the file again: one more load gives the same data.
    assert_eq!(raw.cmd(&["SET", "after", "load"]), "+OK\r\n");
    let after = common::fingerprint(&mut raw);
    assert_eq!(raw.cmd(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(common::fingerprint(&mut raw), after);
    assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DEBUG", "LOADAOF"]), "+QUEUED\r\n");
    assert_eq!(
        raw.cmd(&["EXEC"]),
        "*1\r\n-ERR DEBUG LOADAOF is not allowed inside a transaction\r\n"
    );
}

#[test]
fn debug_loadaof_without_any_aof_file_is_an_error_that_keeps_the_data() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes", "--save", ""]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(
        raw.cmd(&["DEBUG", "LOADAOF"]),
        "-ERR no append only file to load\r\n"
    );
    assert_eq!(raw.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    // BGREWRITEAOF with the AOF off writes a base: DEBUG LOADAOF loads it, as in Redis.
    assert!(raw.cmd(&["BGREWRITEAOF"]).starts_with("+Background"));
    assert!(wait_until(Duration::from_secs(10), || raw
        .cmd(&["INFO", "persistence"])
        .contains(
            "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0"
        )));
    assert_eq!(raw.cmd(&["SET", "k", "changed"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn bgrewriteaof_with_the_aof_off_writes_only_a_base_and_journals_nothing() {
    // As redis-server 7.0 does: a base, a manifest naming only it, and the AOF stays off.
    let dir = scratch_dir("aof-off-rewrite");
    let server = TestServer::in_dir(&dir, &["--save", ""]);
    let mut raw = server.raw();
    let aof_dir = dir.join("appendonlydir");
    let manifest = aof_dir.join("appendonly.aof.manifest");
    for (seq, key) in [(1, "first"), (2, "second")] {
        assert_eq!(raw.cmd(&["SET", key, "v"]), "+OK\r\n");
        assert_eq!(
            raw.cmd(&["BGREWRITEAOF"]),
            "+Background append only file rewriting started\r\n"
        );
        let expected = format!("file appendonly.aof.{seq}.base.rdb seq {seq} type b\n");
        assert!(
            wait_until(Duration::from_secs(10), || {
                fs::read_to_string(&manifest).is_ok_and(|m| m == expected) && raw.rewrite_done()
            }),
            "{:?}",
            fs::read_to_string(&manifest)
        );
    }
    assert!(wait_until(Duration::from_secs(5), || {
        let mut names: Vec<String> = fs::read_dir(&aof_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names == ["appendonly.aof.2.base.rdb", "appendonly.aof.manifest"]
    }));
    let info = raw.cmd(&["INFO", "persistence"]);
    assert!(info.contains("aof_enabled:0\r\n"), "{info}");
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "appendonly"]),
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
}

#[test]
fn turning_the_aof_on_inside_a_transaction_schedules_the_first_base() {
    let dir = scratch_dir("aof-enable-in-exec");
    {
        let server = TestServer::in_dir(&dir, &["--save", ""]);
        let mut raw = server.raw();
        assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["SET", "foo", "bar"]), "+QUEUED\r\n");
        assert_eq!(
            raw.cmd(&["CONFIG", "SET", "appendonly", "yes"]),
            "+QUEUED\r\n"
        );
        assert_eq!(raw.cmd(&["EXEC"]), "*2\r\n+OK\r\n+OK\r\n");
        assert!(server.logged(
            "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
        ));
        let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
        assert!(wait_until(Duration::from_secs(10), || {
            fs::read_to_string(&manifest).is_ok_and(|m| m.contains("type b")) && raw.rewrite_done()
        }));
        assert_eq!(raw.cmd(&["SET", "after", "1"]), "+OK\r\n");
    }
    let server = aof_server(&dir, &[]);
    let mut client = server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "foo"]), "bar");
    assert_eq!(query::<String>(&mut client, &["GET", "after"]), "1");
}

#[test]
fn aof_timestamp_enabled_annotates_each_second_and_the_rewritten_base() {
    let dir = scratch_dir("aof-timestamps");
    let server = aof_server(&dir, &["--aof-use-rdb-preamble", "no"]);
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "aof-timestamp-enabled", "yes"]),
        "+OK\r\n"
    );
    raw.cmd(&["SET", "foo", "bar"]);
    let aof_dir = dir.join("appendonlydir");
    let incr = fs::read_to_string(aof_dir.join("appendonly.aof.1.incr.aof")).expect("incr file");
    assert!(incr.starts_with("#TS:"), "{incr:?}");
    let second: i64 = incr[4..]
        .split("\r\n")
        .next()
        .unwrap()
        .parse()
        .expect("seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - second).abs() <= 2, "{second} is now");
    // One annotation per second, not per command.
    raw.cmd(&["SET", "foo", "baz"]);
    let incr = fs::read_to_string(aof_dir.join("appendonly.aof.1.incr.aof")).unwrap();
    assert!(incr.matches("#TS:").count() <= 2, "{incr:?}");

    assert_eq!(
        raw.cmd(&["BGREWRITEAOF"]),
        "+Background append only file rewriting started\r\n"
    );
    let base = aof_dir.join("appendonly.aof.2.base.aof");
    assert!(wait_until(Duration::from_secs(10), || fs::read_to_string(
        &base
    )
    .is_ok_and(|text| text.starts_with("#TS:"))));
    drop(raw);
    drop(server);
    // Redis's loader skips the annotations; so does thredis's.
    let server = aof_server(&dir, &["--aof-use-rdb-preamble", "no"]);
    assert_eq!(server.raw().cmd(&["GET", "foo"]), "$3\r\nbaz\r\n");
}

#[test]
fn every_flush_is_journaled_even_of_empty_databases() {
    let dir = scratch_dir("aof-flushes");
    let server = aof_server(&dir, &[]);
    let mut raw = server.raw();
    raw.cmd(&["SET", "k", "v"]);
    raw.cmd(&["FLUSHDB"]);
    raw.cmd(&["FLUSHDB"]);
    raw.cmd(&["FLUSHALL"]);
    raw.cmd(&["FLUSHALL", "ASYNC"]);
    assert_eq!(
        written_commands(&dir.join("appendonlydir/appendonly.aof.1.incr.aof")),
        [
            command(&["SET", "k", "v"]),
            command(&["FLUSHDB"]),
            command(&["FLUSHDB"]),
            command(&["FLUSHALL"]),
            command(&["FLUSHALL", "ASYNC"]),
        ]
    );
}
