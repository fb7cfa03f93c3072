//! Persistence interop with a real redis-server 7.0 (run by `.ci/run`, which installs it): RDB
//! files and AOF directories written by one load into the other with identical contents. The
//! proof is `DEBUG DIGEST`, which thredis computes exactly as Redis does: equal digests mean the
//! same keys, types, values (elements in order for lists), and the same keys with a TTL.
//!
//! Collections enter thredis through files redis-server wrote, with small and large sizes so
//! that both the compact encodings (listpack, intset) and the plain ones (quicklist of many
//! nodes, hash table) are exercised (streams with their consumer groups, compared beyond the
//! digest by `XINFO`/`XPENDING` and by redis-server's own `DUMP` after the round trip), and through thredis's own commands, journaled (with the
//! rewrites Redis makes: SPOP as SREM, HINCRBYFLOAT as HSET, a served blocking pop as the pop,
//! a transaction between MULTI and EXEC) into an AOF that redis-server then replays.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use common::real_redis::RealRedis;
use common::{Raw, ScratchDir, TestServer, scratch_dir, wait_until};

/// Fills a server with every kind of value thredis holds, in several databases.
fn populate(redis: &mut Raw) {
    let run = |redis: &mut Raw, args: &[&str]| redis.run_all(&[args]);
    run(redis, &["FLUSHALL"]);
    // Strings in each encoding: small and large integers, embstr, raw, compressible.
    run(redis, &["SET", "int", "12345"]);
    run(redis, &["SET", "negative", "-7"]);
    run(redis, &["SET", "big", "123456789012345"]);
    run(redis, &["SET", "short", "hello"]);
    run(
        redis,
        &[
            "SET",
            "raw",
            &"a fairly long string value that is not an integer ".repeat(3),
        ],
    );
    run(redis, &["SET", "compressible", &"z".repeat(5000)]);
    run(redis, &["SET", "binary", "\u{0}\u{1}\r\n\u{ff}"]);
    run(redis, &["SET", "ttl", "v", "PXAT", "4102444800000"]);
    // Lists: one listpack node, and thousands of elements over many nodes.
    run(
        redis,
        &["RPUSH", "list:small", "a", "1", "-5", "hello", "70000"],
    );
    let many: Vec<String> = (0..5000)
        .map(|i| format!("element-{i}-{}", "x".repeat(i % 50)))
        .collect();
    for chunk in many.chunks(500) {
        let mut args = vec!["RPUSH", "list:large"];
        args.extend(chunk.iter().map(String::as_str));
        run(redis, &args);
    }
    run(
        redis,
        &["RPUSH", "list:huge-element", &"h".repeat(20_000), "tail"],
    );
    // Hashes: listpack, and hash tables by size and by value length.
    run(
        redis,
        &["HSET", "hash:small", "f1", "v1", "f2", "2", "f3", "-3"],
    );
    // Over Redis 7.0's compiled-in `hash-max-listpack-entries` (512; redis.conf says 128).
    let mut args = vec!["HSET".to_string(), "hash:large".to_string()];
    for i in 0..600 {
        args.push(format!("field{i}"));
        args.push(format!("value{i}"));
    }
    run(redis, &args.iter().map(String::as_str).collect::<Vec<_>>());
    run(redis, &["HSET", "hash:long-value", "f", &"v".repeat(100)]);
    // Sets: intset small and large (over 512 members), strings small and large.
    run(
        redis,
        &["SADD", "set:ints", "1", "-2", "300", "70000", "5000000000"],
    );
    let ints: Vec<String> = (0..600).map(|i| (i * 7).to_string()).collect();
    let mut args = vec!["SADD", "set:many-ints"];
    args.extend(ints.iter().map(String::as_str));
    run(redis, &args);
    run(redis, &["SADD", "set:words", "apple", "banana", "7"]);
    let words: Vec<String> = (0..300).map(|i| format!("word{i}")).collect();
    let mut args = vec!["SADD", "set:many-words"];
    args.extend(words.iter().map(String::as_str));
    run(redis, &args);
    run(redis, &["PEXPIREAT", "set:words", "4102444800000"]);
    // Sorted sets: listpack (scores integral, fractional, infinite, negative zero), skiplist by
    // size (over 128 members) and by member length, changed by increments and pops; geo keys.
    run(
        redis,
        &[
            "ZADD",
            "zset:small",
            "1",
            "one",
            "2.5",
            "two",
            "-inf",
            "low",
            "+inf",
            "high",
            "-0",
            "zero",
            "1",
            "1",
        ],
    );
    run(redis, &["ZINCRBY", "zset:small", "0.1", "one"]);
    let mut args = vec!["ZADD".to_string(), "zset:large".to_string()];
    for i in 0..300 {
        args.push(format!("{}", (i * 37 % 101) as f64 / 7.0));
        args.push(format!("member{i}"));
    }
    run(redis, &args.iter().map(String::as_str).collect::<Vec<_>>());
    run(redis, &["ZPOPMIN", "zset:large", "3"]);
    run(redis, &["ZREM", "zset:large", "member100"]);
    run(redis, &["ZADD", "zset:long-member", "3", &"m".repeat(100)]);
    run(
        redis,
        &[
            "GEOADD",
            "geo",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
            "-179.9",
            "-85.05",
            "edge",
        ],
    );
    populate_streams(redis);
    // Other databases.
    run(redis, &["SELECT", "3"]);
    run(redis, &["SET", "in-db-3", "x"]);
    run(redis, &["RPUSH", "list:db3", "q"]);
    run(redis, &["SELECT", "15"]);
    run(redis, &["HSET", "hash:db15", "f", "v"]);
    run(redis, &["SELECT", "0"]);
}

/// The stream keys [`populate`] writes, then those of `common::write_collections` (absent
/// where it did not run).
const STREAMS: [&str; 7] = [
    "stream:small",
    "stream:large",
    "stream:empty",
    "stream:ttl",
    "stream:big",
    "stream:grouped",
    "stream:volatile",
];

/// Streams with what a file must carry besides entries: deleted entries (the top one too, so
/// the last ID is gone), nodes closed by `stream-node-max-entries` and trimmed, integer,
/// empty and long values, entries with their own fields, groups with pending entries
/// delivered and claimed, a consumer holding nothing, an empty stream kept by its group and
/// moved on by `XSETID`, a stream with a TTL.
fn populate_streams(redis: &mut Raw) {
    let run = |redis: &mut Raw, args: &[&str]| redis.run_all(&[args]);
    let long = "l".repeat(300);
    for (id, pairs) in [
        ("1-1", &["f", "v", "n", "1"][..]),
        ("1-2", &["f", "w", "n", "-70000"]),
        ("2-0", &["other", "", "fields", &long]),
        ("2-5", &["f", "x", "n", "9223372036854775807"]),
        ("3-0", &["f", "y", "n", "3"]),
    ] {
        let mut args = vec!["XADD", "stream:small", id];
        args.extend_from_slice(pairs);
        run(redis, &args);
    }
    let commands = |redis: &mut Raw, commands: &[&str]| {
        for command in commands {
            run(redis, &command.split(' ').collect::<Vec<_>>());
        }
    };
    commands(
        redis,
        &[
            "XDEL stream:small 1-2 3-0",
            "XGROUP CREATE stream:small readers 0",
            "XREADGROUP GROUP readers alice COUNT 2 STREAMS stream:small >",
            "XCLAIM stream:small readers bob 0 2-0",
            "XGROUP CREATECONSUMER stream:small readers idle",
            "XGROUP CREATE stream:small late $",
            "CONFIG SET stream-node-max-entries 7",
        ],
    );
    for i in 0..500 {
        let field = format!("field{}", i % 4);
        run(
            redis,
            &["XADD", "stream:large", "*", &field, &i.to_string()],
        );
    }
    commands(
        redis,
        &[
            "CONFIG SET stream-node-max-entries 100",
            "XTRIM stream:large MAXLEN 450",
            "XGROUP CREATE stream:large all 0 ENTRIESREAD 0",
            "XREADGROUP GROUP all c COUNT 30 STREAMS stream:large >",
            "XGROUP CREATE stream:empty g $ MKSTREAM",
            "XSETID stream:empty 7-7 ENTRIESADDED 9 MAXDELETEDID 5-0",
            "XADD stream:ttl 5-0 k v",
            "PEXPIREAT stream:ttl 4102444800000",
        ],
    );
}

/// What each stream of [`populate_streams`] shows that a file must carry, besides the entries
/// the digest covers, and that no clock changes.
fn stream_views(raw: &mut Raw) -> Vec<String> {
    let mut views = Vec::new();
    for key in STREAMS {
        views.push(raw.cmd(&["XRANGE", key, "-", "+", "COUNT", "3"]));
        views.push(raw.cmd(&["XINFO", "GROUPS", key]));
        let info = raw.cmd(&["XINFO", "STREAM", key]);
        for field in [
            "length",
            "last-generated-id",
            "max-deleted-entry-id",
            "entries-added",
        ] {
            let lines: Vec<&str> = info.split("\r\n").collect();
            let at = lines.iter().position(|l| *l == field).unwrap_or(0);
            views.push(format!("{key} {field} {:?}", lines.get(at + 1..at + 3)));
        }
    }
    views.push(raw.cmd(&["XPENDING", "stream:small", "readers"]));
    views.push(raw.cmd(&["XPENDING", "stream:large", "all"]));
    views.push(raw.cmd(&["XPENDING", "stream:big", "g"]));
    views
}

/// `DUMP` of each of [`populate`]'s streams: the whole of what redis-server holds for it, consumer groups,
/// delivery times and seen times included.
fn stream_dumps(raw: &mut Raw) -> Vec<Vec<u8>> {
    STREAMS[..4]
        .iter()
        .map(|key| raw.command(&["DUMP", key]))
        .collect()
}

fn digest(raw: &mut Raw) -> String {
    let reply = raw.cmd(&["DEBUG", "DIGEST"]);
    let digest = reply.trim_start_matches('+').trim_end().to_string();
    assert_eq!(digest.len(), 40, "{reply}");
    assert_ne!(digest, "0".repeat(40), "not empty");
    digest
}

fn thredis_on(dir: &Path, extra: &[&str]) -> TestServer {
    let mut args = vec!["--enable-debug-command", "yes", "--save", ""];
    args.extend_from_slice(extra);
    TestServer::in_dir(dir, &args)
}

/// A redis-server working in `dir`, once it has loaded what is there: it accepts connections
/// while loading and answers some commands, DEBUG DIGEST among them, from the partial dataset,
/// but PING only once the load is done.
fn redis_on(dir: &Path, extra: &[&str]) -> RealRedis {
    let mut args = vec!["--dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let redis = RealRedis::with_args(&args);
    let mut raw = Raw::connect(redis.port);
    assert!(wait_until(Duration::from_secs(30), || raw.cmd(&["PING"])
        == "+PONG\r\n"));
    redis
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn rdb_files_cross_both_ways_with_identical_contents() {
    // redis-server writes a dump...
    let from_redis = scratch_dir("interop-rdb-redis");
    let (original, streams, dumps) = {
        let redis = redis_on(&from_redis, &[]);
        let mut raw = Raw::connect(redis.port);
        populate(&mut raw);
        assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
        (
            digest(&mut raw),
            stream_views(&mut raw),
            stream_dumps(&mut raw),
        )
    };
    // ...which thredis loads with the same contents...
    let through_thredis = with_dump_of(&from_redis, "interop-rdb-thredis");
    {
        let thredis = thredis_on(&through_thredis, &[]);
        let mut raw = thredis.raw();
        assert_eq!(
            digest(&mut raw),
            original,
            "thredis loaded redis-server's dump"
        );
        assert_eq!(raw.cmd(&["PEXPIRETIME", "ttl"]), ":4102444800000\r\n");
        assert_eq!(
            stream_views(&mut raw),
            streams,
            "the streams' groups and counters"
        );
        // ...then writes its own dump (strings it changed itself included)...
        assert_eq!(raw.cmd(&["SET", "from-thredis", "1.5"]), "+OK\r\n");
        assert_eq!(
            raw.cmd(&["INCRBYFLOAT", "from-thredis", "1"]),
            "$3\r\n2.5\r\n"
        );
        assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
    }
    // ...which redis-server loads with the same contents again.
    let back_in_redis = with_dump_of(&through_thredis, "interop-rdb-back");
    let redis = redis_on(&back_in_redis, &[]);
    let mut raw = Raw::connect(redis.port);
    assert_eq!(raw.cmd(&["GET", "from-thredis"]), "$3\r\n2.5\r\n");
    assert_eq!(raw.cmd(&["DEL", "from-thredis"]), ":1\r\n");
    assert_eq!(
        digest(&mut raw),
        original,
        "redis-server loaded thredis's dump"
    );
    // Every byte of every stream came back, node listpacks, groups and times included.
    assert_eq!(stream_dumps(&mut raw), dumps);
    // The compact encodings thredis wrote are the ones Redis would have chosen.
    for (key, encoding) in [
        ("hash:small", "listpack"),
        ("hash:large", "hashtable"),
        ("set:ints", "intset"),
        ("set:many-words", "hashtable"),
        ("list:large", "quicklist"),
        ("compressible", "raw"),
        ("int", "int"),
    ] {
        assert_eq!(
            raw.cmd(&["OBJECT", "ENCODING", key]),
            format!("${}\r\n{encoding}\r\n", encoding.len()),
            "{key}"
        );
    }
}

/// A new scratch directory holding a copy of the `dump.rdb` in `from`.
fn with_dump_of(from: &Path, name: &str) -> ScratchDir {
    let dir = scratch_dir(name);
    fs::copy(from.join("dump.rdb"), dir.join("dump.rdb")).unwrap();
    dir
}

/// A new scratch directory holding a copy of the `appendonlydir` in `from`.
fn with_aof_dir_of(from: &Path, name: &str) -> ScratchDir {
    let dir = scratch_dir(name);
    let to = dir.join("appendonlydir");
    fs::create_dir_all(&to).unwrap();
    for entry in fs::read_dir(from.join("appendonlydir")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    dir
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn an_aof_directory_written_by_redis_replays_in_thredis() {
    let from_redis = scratch_dir("interop-aof-redis");
    let expected = {
        let redis = redis_on(
            &from_redis,
            &["--appendonly", "yes", "--appendfsync", "always"],
        );
        let mut raw = Raw::connect(redis.port);
        populate(&mut raw);
        // The collections go into a base; what follows, into the incr file as commands.
        assert!(raw.cmd(&["BGREWRITEAOF"]).starts_with("+Background"));
        assert!(wait_until(Duration::from_secs(20), || raw.rewrite_done()));
        // Collections by command, a transaction and a served blocking pop, as Redis journals them.
        common::write_collections(&mut raw);
        raw.run_all(&[
            &["MULTI"][..],
            &["SPOP", "set:many-words", "5"],
            &["SELECT", "3"],
            &["HINCRBYFLOAT", "hash:tx", "f", "2.5"],
            &["EXEC"],
            &["SELECT", "0"],
        ]);
        let mut waiter = Raw::connect(redis.port);
        waiter.send(&common::resp(&[
            "BLMOVE", "waited", "moved", "LEFT", "RIGHT", "0",
        ]));
        raw.wait_for_blocked(1);
        assert_eq!(raw.cmd(&["RPUSH", "waited", "a", "b"]), ":2\r\n");
        assert_eq!(waiter.reply_text(), "$1\r\na\r\n");
        raw.run_all(&[
            &["SET", "after", "rewrite"][..],
            &["INCR", "int"],
            &["EXPIRE", "short", "100000"],
            &["SELECT", "4"],
            &["SETEX", "db4", "100000", "v"],
            &["SELECT", "0"],
            &["DEL", "raw"],
            &["GETDEL", "negative"],
        ]);
        (digest(&mut raw), stream_views(&mut raw))
    };
    assert!(
        expected.1.last().unwrap().contains("alice"),
        "{:?}",
        expected.1
    );
    let thredis_dir = with_aof_dir_of(&from_redis, "interop-aof-thredis");
    let thredis = thredis_on(&thredis_dir, &["--appendonly", "yes"]);
    let mut raw = thredis.raw();
    assert_eq!((digest(&mut raw), stream_views(&mut raw)), expected);
    assert_eq!(raw.cmd(&["GET", "int"]), "$5\r\n12346\r\n");
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn an_aof_directory_written_by_thredis_replays_in_redis() {
    for preamble in ["yes", "no"] {
        // Collections reach thredis through a dump redis-server wrote.
        let seed = scratch_dir("interop-aof-seed");
        {
            let redis = redis_on(&seed, &[]);
            let mut raw = Raw::connect(redis.port);
            populate(&mut raw);
            assert_eq!(raw.cmd(&["SAVE"]), "+OK\r\n");
        }
        let thredis_dir = with_dump_of(&seed, "interop-aof-from-thredis");
        let expected = {
            let thredis = thredis_on(
                &thredis_dir,
                &[
                    "--appendfsync",
                    "always",
                    "--aof-use-rdb-preamble",
                    preamble,
                ],
            );
            let mut raw = thredis.raw();
            // Turning the AOF on writes the first base; a rewrite later makes the next one.
            assert_eq!(raw.cmd(&["CONFIG", "SET", "appendonly", "yes"]), "+OK\r\n");
            let manifest = thredis_dir.join("appendonlydir/appendonly.aof.manifest");
            assert!(wait_until(Duration::from_secs(20), || {
                fs::read_to_string(&manifest).is_ok_and(|m| m.contains("type b"))
                    && raw.rewrite_done()
            }));
            assert_eq!(raw.cmd(&["SET", "before-rewrite", "1"]), "+OK\r\n");
            assert!(raw.cmd(&["BGREWRITEAOF"]).starts_with("+Background"));
            assert!(wait_until(Duration::from_secs(20), || fs::read_to_string(
                &manifest
            )
            .is_ok_and(|m| m.contains("seq 2 type b"))));
            raw.run_all(&[
                &["SET", "after", "rewrite", "EX", "100000"][..],
                &["INCRBYFLOAT", "int", "0.5"],
                &["SELECT", "9"],
                &["SET", "db9", "v"],
                &["SELECT", "0"],
                &["DEL", "list:small"],
                &["PERSIST", "set:words"],
            ]);
            common::write_collections(&mut raw);
            raw.run_all(&[
                &["MULTI"][..],
                &["SPOP", "set:many-words", "5"],
                &["SELECT", "3"],
                &["HINCRBYFLOAT", "hash:tx", "f", "2.5"],
                &["LPUSH", "list:db3", "tx"],
                &["EXEC"],
                &["SELECT", "0"],
            ]);
            let mut waiter = thredis.raw();
            waiter.send(&common::resp(&["BRPOP", "waited", "0"]));
            raw.wait_for_blocked(1);
            assert_eq!(raw.cmd(&["RPUSH", "waited", "a", "b", "c"]), ":3\r\n");
            assert_eq!(waiter.reply_text(), "*2\r\n$6\r\nwaited\r\n$1\r\nc\r\n");
            (digest(&mut raw), stream_views(&mut raw))
        };
        assert!(
            expected.1.last().unwrap().contains("alice"),
            "{:?}",
            expected.1
        );
        let redis_dir = with_aof_dir_of(&thredis_dir, "interop-aof-to-redis");
        let redis = redis_on(&redis_dir, &["--appendonly", "yes"]);
        let mut raw = Raw::connect(redis.port);
        assert_eq!(
            (digest(&mut raw), stream_views(&mut raw)),
            expected,
            "aof-use-rdb-preamble {preamble}"
        );
        assert_eq!(
            raw.cmd(&["LRANGE", "waited", "0", "-1"]),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
    }
}
