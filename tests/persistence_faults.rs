//! Persistence under faults (REDIS-BEHAVIOUR.md (b) and (c)): a server killed with SIGKILL under
//! write load loses no acknowledged write; a torn AOF tail loads exactly its valid prefix;
//! damaged files refuse startup with Redis's message and a non-zero exit; a snapshot taken while
//! writes continue is one point in time; a crash in the middle of a save leaves the old file
//! whole; a full disk is fatal with `appendfsync always` and refuses writes with `everysec`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::rdb_file::{FUTURE, RdbFile};
use common::{ScratchDir, TestServer, query, run_to_exit, scratch_dir, wait_until};

/// A number that differs from run to run, for "a random moment".
fn jitter(range_ms: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) % range_ms
}

/// Writers set `w<thread>:<n>` until the server dies, returning every `n` that got `+OK`.
fn write_until_killed(
    port: u16,
    writers: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<thread::JoinHandle<Vec<String>>> {
    (0..writers)
        .map(|t| {
            let stop = Arc::clone(stop);
            thread::spawn(move || {
                let mut acked = Vec::new();
                let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) else {
                    return acked;
                };
                let Ok(mut connection) = client.get_connection() else {
                    return acked;
                };
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let key = format!("w{t}:{n}");
                    let reply: redis::RedisResult<String> =
                        redis::cmd("SET").arg(&key).arg(n).query(&mut connection);
                    match reply {
                        Ok(ok) if ok == "OK" => acked.push(key),
                        _ => break,
                    }
                }
                acked
            })
        })
        .collect()
}

/// Kills a server with SIGKILL at a random moment of a write load, restarts it on the same
/// files, and checks every acknowledged write is there. Returns (acked, present after restart).
fn kill_under_load(fsync: &str) -> (usize, usize) {
    let dir = scratch_dir(&format!("kill-9-{fsync}"));
    let args = ["--appendonly", "yes", "--appendfsync", fsync, "--save", ""];
    let mut server = TestServer::in_dir(&dir, &args);
    let stop = Arc::new(AtomicBool::new(false));
    let writers = write_until_killed(server.port, 8, &stop);
    thread::sleep(Duration::from_millis(700 + jitter(1000)));
    server.kill();
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        acked.len() > 100,
        "the load ran: {} writes acked",
        acked.len()
    );

    let server = TestServer::in_dir(&dir, &args);
    let mut client = server.client();
    let mut present = 0;
    for chunk in acked.chunks(1000) {
        let mut exists = redis::cmd("EXISTS");
        for key in chunk {
            exists.arg(key);
        }
        present += exists.query::<usize>(&mut client).unwrap();
    }
    (acked.len(), present)
}

#[test]
fn kill_9_under_write_load_loses_no_acknowledged_write_with_appendfsync_always() {
    let (acked, present) = kill_under_load("always");
    eprintln!("appendfsync always: {acked} writes acknowledged, {present} present after restart");
    assert_eq!(present, acked, "every acknowledged write survives");
}

#[test]
fn kill_9_under_write_load_loses_no_acknowledged_write_with_appendfsync_everysec() {
    let (acked, present) = kill_under_load("everysec");
    eprintln!("appendfsync everysec: {acked} writes acknowledged, {present} present after restart");
    assert_eq!(
        present, acked,
        "written to the kernel before the reply: SIGKILL loses nothing"
    );
}

/// An AOF directory with Redis's default names: a manifest and one incr file holding `incr`.
fn aof_dir_with(dir: &Path, incr: &[u8]) -> PathBuf {
    common::write_aof_dir(
        dir,
        "appendonlydir",
        "appendonly.aof.manifest",
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
        ("appendonly.aof.1.incr.aof", incr),
    )
}

#[test]
fn a_torn_tail_loads_exactly_the_valid_prefix_at_every_offset() {
    let prefix = common::resp_all(&[&["SET", "a", "1"], &["SET", "b", "2"], &["INCR", "a"]]);
    let last = common::resp(&["SET", "last", "value"]);
    for cut in 1..last.len() {
        let dir = scratch_dir("torn-tail");
        let mut file = prefix.clone();
        file.extend_from_slice(&last[..cut]);
        let path = aof_dir_with(&dir, &file);
        let server = TestServer::in_dir(&dir, &["--appendonly", "yes", "--save", ""]);
        let mut client = server.client();
        assert_eq!(
            query::<String>(&mut client, &["GET", "a"]),
            "2",
            "cut at {cut}"
        );
        assert_eq!(query::<String>(&mut client, &["GET", "b"]), "2");
        assert_eq!(query::<Option<String>>(&mut client, &["GET", "last"]), None);
        assert_eq!(query::<i64>(&mut client, &["DBSIZE"]), 2);
        assert_eq!(
            fs::read(&path).unwrap(),
            prefix,
            "truncated back to the prefix (cut {cut})"
        );
        assert!(
            server.logged(&format!(
                "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {} !!!",
                prefix.len()
            )),
            "{}",
            server.log()
        );
        assert!(server.log().contains(
            "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"
        ));
    }
}

#[test]
fn a_torn_tail_refuses_startup_when_aof_load_truncated_is_off() {
    let dir = scratch_dir("torn-strict");
    let mut file = common::resp_all(&[&["SET", "a", "1"]]);
    file.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nb");
    aof_dir_with(&dir, &file);
    let (code, log) = run_to_exit(&dir, &["--appendonly", "yes", "--aof-load-truncated", "no"]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains(
            "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof"
        ),
        "{log}"
    );
}

#[test]
fn garbage_or_an_unknown_command_in_the_aof_refuses_startup() {
    let cases: [(&[u8], &str); 3] = [
        (
            b"*2\r\n$3\r\nDEL\r\n$1\r\na\r\n!!!garbage\r\n*1\r\n$4\r\nPING\r\n",
            "Bad file format reading the append only file appendonly.aof.1.incr.aof",
        ),
        (
            b"*2\r\n$3\r\nbla\r\n$1\r\na\r\n",
            "Unknown command 'bla' reading the append only file appendonly.aof.1.incr.aof",
        ),
        (b"*2\r\n$3\r\nDEL\r\n$1\r\na\r\n*x\r\n", "Bad file format"),
    ];
    for (contents, message) in cases {
        let dir = scratch_dir("aof-garbage");
        aof_dir_with(&dir, contents);
        let (code, log) = run_to_exit(&dir, &["--appendonly", "yes"]);
        assert_eq!(code, Some(1), "{log}");
        assert!(log.contains(message), "{message} in {log}");
    }
}

#[test]
fn a_multi_without_exec_at_the_end_is_dropped_and_a_complete_one_applied() {
    let dir = scratch_dir("aof-multi");
    let complete = common::resp_all(&[
        &["MULTI"],
        &["SET", "a", "1"],
        &["SET", "b", "2"],
        &["EXEC"],
    ]);
    let mut file = complete.clone();
    file.extend(common::resp_all(&[
        &["MULTI"],
        &["SET", "c", "3"],
        &["SET", "d", "4"],
    ]));
    let path = aof_dir_with(&dir, &file);
    let server = TestServer::in_dir(&dir, &["--appendonly", "yes", "--save", ""]);
    let mut client = server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "a"]), "1");
    assert_eq!(query::<String>(&mut client, &["GET", "b"]), "2");
    assert_eq!(query::<Option<String>>(&mut client, &["GET", "c"]), None);
    assert!(
        server.logged(
            "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"
        )
    );
    assert_eq!(
        fs::read(&path).unwrap(),
        complete,
        "cut back to before the MULTI"
    );
}

#[test]
fn a_file_the_manifest_names_but_that_is_missing_refuses_startup() {
    let dir = scratch_dir("aof-missing");
    let path = aof_dir_with(&dir, b"");
    fs::remove_file(path).unwrap();
    let (code, log) = run_to_exit(&dir, &["--appendonly", "yes"]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("Unable to obtain the AOF file appendonly.aof.1.incr.aof length"),
        "{log}"
    );
}

#[test]
fn a_damaged_manifest_refuses_startup_with_the_line() {
    let dir = scratch_dir("aof-manifest");
    common::write_aof_dir(
        &dir,
        "appendonlydir",
        "appendonly.aof.manifest",
        "file x seq 1 type z\n",
        ("x", b""),
    );
    let (code, log) = run_to_exit(&dir, &["--appendonly", "yes"]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("*** FATAL AOF MANIFEST FILE ERROR ***"),
        "{log}"
    );
    assert!(
        log.contains(">>> 'file x seq 1 type z'") && log.contains("Unknown AOF file type"),
        "{log}"
    );
}

/// Starts thredis on `contents` as `dump.rdb` and expects it to refuse, naming the problem.
fn refuses_rdb(contents: &[u8], message: &str) {
    let dir = scratch_dir("bad-rdb");
    fs::write(dir.join("dump.rdb"), contents).unwrap();
    let (code, log) = run_to_exit(&dir, &[]);
    assert_eq!(code, Some(1), "must refuse to start: {log}");
    assert!(log.contains(message), "{message:?} in {log}");
    assert!(!log.contains("Ready to accept connections"), "{log}");
}

#[test]
fn a_damaged_rdb_file_refuses_startup() {
    let good = RdbFile::new(11)
        .db(
            0,
            &[("key", "value", None), ("other", "thing", Some(FUTURE))],
        )
        .finish();
    // Bad magic.
    let mut bad_magic = good.clone();
    bad_magic[..5].copy_from_slice(b"RODIS");
    refuses_rdb(&bad_magic, "Wrong signature trying to load DB from file");
    // One flipped byte inside a value: the checksum catches it.
    let mut flipped = good.clone();
    let at = flipped.windows(5).position(|w| w == b"value").unwrap();
    flipped[at] ^= 0x20;
    refuses_rdb(&flipped, "Wrong RDB checksum expected");
    // Cut short, at several places, and empty.
    for len in [0, 5, 9, 20, good.len() / 2, good.len() - 1] {
        refuses_rdb(
            &good[..len],
            "Short read or OOM loading DB. Unrecoverable error, aborting now.",
        );
    }
    // A version from the future.
    let mut future = good.clone();
    future[5..9].copy_from_slice(b"0012");
    refuses_rdb(&future, "Can't handle RDB format version 12");
}

#[test]
fn an_rdb_file_with_a_type_thredis_lacks_refuses_startup_naming_it() {
    // A module value (type 7): refused before its contents are even read.
    let file = RdbFile::new(10).raw(&[0xFE, 0, 0x07, 1, b'x']).finish();
    refuses_rdb(&file, "The RDB file holds a module value (key 'x')");
}

#[test]
fn a_snapshot_taken_while_writes_continue_is_one_point_in_time() {
    let dir = scratch_dir("snapshot-consistency");
    let args = ["--save", ""];
    let server = TestServer::in_dir(&dir, &args);
    let mut client = server.client();
    // Enough data that the save takes many batches while the writer runs.
    let mut pipe = redis::pipe();
    for i in 0..100_000 {
        pipe.cmd("SET")
            .arg(format!("filler:{i}"))
            .arg("x".repeat(50))
            .ignore();
    }
    let _: () = pipe.query(&mut client).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        let mut client = server.client();
        thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // Each pair is written by one MSET: any point in time sees them equal.
                let mut mset = redis::cmd("MSET");
                for i in 0..50 {
                    mset.arg(format!("counter:{i}")).arg(round);
                    mset.arg(format!("mirror:{i}")).arg(round);
                }
                let _: () = mset.query(&mut client).unwrap();
                round += 1;
            }
            round
        })
    };
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        query::<String>(&mut client, &["BGSAVE"]),
        "Background saving started"
    );
    let info =
        |client: &mut redis::Connection| -> String { query(client, &["INFO", "persistence"]) };
    assert!(wait_until(Duration::from_secs(30), || info(&mut client)
        .contains("rdb_bgsave_in_progress:0")));
    stop.store(true, Ordering::Relaxed);
    let rounds = writer.join().unwrap();
    let info = info(&mut client);
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    drop(server);

    let server = TestServer::in_dir(&dir, &args);
    let mut client = server.client();
    let counters: Vec<Option<u64>> = (0..50)
        .map(|i| query(&mut client, &["GET", &format!("counter:{i}")]))
        .collect();
    let mirrors: Vec<Option<u64>> = (0..50)
        .map(|i| query(&mut client, &["GET", &format!("mirror:{i}")]))
        .collect();
    assert_eq!(
        counters, mirrors,
        "each pair as one MSET left it ({rounds} rounds ran)"
    );
    assert!(
        counters.windows(2).all(|w| w[0] == w[1]),
        "and all pairs from the same MSET: {counters:?}"
    );
    assert_eq!(
        query::<usize>(&mut client, &["DBSIZE"]) - 100,
        100_000,
        "every filler key"
    );
}

#[test]
fn a_crash_in_the_middle_of_a_save_leaves_the_old_file_whole() {
    let dir = scratch_dir("crash-mid-save");
    let args = ["--save", ""];
    let mut server = TestServer::in_dir(&dir, &args);
    let mut client = server.client();
    let _: () = query(&mut client, &["SET", "old", "dataset"]);
    assert_eq!(query::<String>(&mut client, &["SAVE"]), "OK");
    let saved = fs::read(dir.join("dump.rdb")).unwrap();
    let mut pipe = redis::pipe();
    for i in 0..300_000 {
        pipe.cmd("SET")
            .arg(format!("new:{i}"))
            .arg("y".repeat(100))
            .ignore();
    }
    let _: () = pipe.query(&mut client).unwrap();
    let _: String = query(&mut client, &["BGSAVE"]);
    thread::sleep(Duration::from_millis(jitter(50)));
    server.kill();
    assert_eq!(fs::read(dir.join("dump.rdb")).unwrap(), saved, "untouched");
    let server = TestServer::in_dir(&dir, &args);
    let mut client = server.client();
    assert_eq!(query::<String>(&mut client, &["GET", "old"]), "dataset");
    assert_eq!(query::<usize>(&mut client, &["DBSIZE"]), 1);
}

/// A 2 MB tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    /// Removed after `drop` has unmounted it.
    path: ScratchDir,
}

impl SmallDisk {
    fn mount(name: &str) -> SmallDisk {
        let path = scratch_dir(name);
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                "size=2m",
                "tmpfs",
                path.to_str().unwrap(),
            ])
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root");
        SmallDisk { path }
    }

    /// Fills the disk up, leaving nothing free; returns the filler file.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&*self.path).status();
    }
}

#[test]
#[ignore = "needs root to mount a 2 MB tmpfs; run by .ci/run"]
fn a_full_disk_with_appendfsync_always_exits_without_acknowledging() {
    let disk = SmallDisk::mount("full-always");
    let mut server = TestServer::in_dir(&disk.path, &common::AOF_ALWAYS);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "before", "1"]), "+OK\r\n");
    disk.fill();
    raw.send(&common::resp(&["SET", "k", &"v".repeat(10_000)]));
    assert!(raw.is_closed(), "the write is never acknowledged");
    let status = server.wait_exit(Duration::from_secs(10)).expect("exits");
    assert_eq!(status.code(), Some(1));
    assert!(
        server.logged(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
        ),
        "{}",
        server.log()
    );
}

#[test]
#[ignore = "needs root to mount a 2 MB tmpfs; run by .ci/run"]
fn a_full_disk_with_appendfsync_everysec_refuses_writes_until_space_returns() {
    let disk = SmallDisk::mount("full-everysec");
    let server = TestServer::in_dir(
        &disk.path,
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
        ],
    );
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SET", "before", "1"]), "+OK\r\n");
    let filler = disk.fill();
    // As in Redis, the write that failed to reach the file was acknowledged; the next is refused.
    assert_eq!(raw.cmd(&["SET", "k", &"v".repeat(10_000)]), "+OK\r\n");
    assert_eq!(
        raw.cmd(&["SET", "refused", "1"]),
        "-MISCONF Errors writing to the AOF file: No space left on device\r\n"
    );
    assert_eq!(
        raw.cmd(&["GET", "before"]),
        "$1\r\n1\r\n",
        "reads keep working"
    );
    assert!(
        raw.cmd(&["INFO", "persistence"])
            .contains("aof_last_write_status:err")
    );
    fs::remove_file(filler).unwrap();
    assert!(wait_until(Duration::from_secs(10), || raw
        .cmd(&["SET", "after", "1"])
        == "+OK\r\n"));
    assert!(server.logged("AOF write error looks solved, Redis can write again."));
}

/// With `always` the replies wait for an fsync in the AOF's committer, which sends them into the
/// client's socket; a client that stops reading fills its socket, and the rest of its replies must
/// go back to its own connection instead of holding the committer up.
#[test]
fn a_client_that_stops_reading_its_fsynced_replies_delays_no_other_client() {
    let server = TestServer::with_args(&common::AOF_ALWAYS);
    let big = "v".repeat(40_000);
    let mut stalled = server.raw();
    assert_eq!(stalled.cmd(&["SET", "big", &big]), "+OK\r\n");
    // Each write makes the GET's 40 KB reply wait for an fsync; nothing is read for 12 MB.
    let rounds = 300;
    for n in 0..rounds {
        let n = n.to_string();
        stalled.send(&common::resp_all(&[&["SET", "n", &n], &["GET", "big"]]));
        thread::sleep(Duration::from_millis(1));
    }
    let mut other = server.raw();
    for n in 0..200 {
        assert_eq!(other.cmd(&["SET", &format!("other:{n}"), "1"]), "+OK\r\n");
    }
    // Every reply of the stalled client arrives, whole and in order, once it reads.
    let expected_get = format!("$40000\r\n{big}\r\n").into_bytes();
    for n in 0..rounds {
        assert_eq!(stalled.reply(), b"+OK\r\n", "SET {n}");
        assert!(stalled.reply() == expected_get, "GET {n}");
    }
    assert_eq!(
        stalled.cmd(&["GET", "n"]),
        format!("$3\r\n{}\r\n", rounds - 1)
    );
}
