//! HyperLogLog commands against the real binary: PFADD, PFCOUNT (one key and several, and the
//! cached cardinality in the header), PFMERGE, PFDEBUG and the `hll-sparse-max-bytes` limit,
//! with Redis's error texts for strings that are not HyperLogLogs or are corrupted. Expected
//! bytes were taken from redis-server 7.0.15 given the same commands. The interop tests, beside
//! a real redis-server, are `#[ignore]`d: the same elements must give the same bytes in both,
//! and a value written by one must read the same in the other.

mod common;

use common::real_redis::{Pair, RealRedis};
use common::{Raw, TestServer, keyspace_lookups, query, resp, resp_bytes};

/// `PFADD h a b c` in redis-server 7.0.15: sparse, the cache stale (0x80 at byte 15).
const ABC: &[u8] =
    b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ";

/// Sends a request of any bytes and returns the reply.
fn send(client: &mut Raw, args: &[&[u8]]) -> Vec<u8> {
    client.send(&resp_bytes(args));
    client.reply()
}

/// The value of `key`, as bytes (a bulk reply's payload).
fn value(client: &mut Raw, key: &str) -> Vec<u8> {
    let reply = client.command(&["GET", key]);
    let header_end = reply
        .iter()
        .position(|&b| b == b'\n')
        .expect("a bulk reply")
        + 1;
    assert_eq!(reply[0], b'$', "{}", String::from_utf8_lossy(&reply));
    reply[header_end..reply.len() - 2].to_vec()
}

/// `count` distinct elements with a prefix, as PFADD arguments.
fn elements(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}")).collect()
}

/// PFADDs `elements` to `key`, a thousand at a time.
fn add(client: &mut Raw, key: &str, elements: &[String]) {
    for chunk in elements.chunks(1000) {
        let mut args = vec!["PFADD", key];
        args.extend(chunk.iter().map(String::as_str));
        assert!(client.cmd(&args).starts_with(':'));
    }
}

#[test]
fn pfadd_creates_a_sparse_value_with_redis_bytes() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["PFADD", "h"]),
        ":1\r\n",
        "creating the key is an update"
    );
    assert_eq!(client.cmd(&["EXISTS", "h"]), ":1\r\n");
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":0\r\n");
    assert_eq!(client.cmd(&["DEL", "h"]), ":1\r\n");
    assert_eq!(client.cmd(&["PFADD", "h", "a", "b", "c"]), ":1\r\n");
    assert_eq!(value(&mut client, "h"), ABC);
    assert_eq!(client.cmd(&["PFADD", "h", "a", "b", "c"]), ":0\r\n");
    assert_eq!(client.cmd(&["PFADD", "h", ""]), ":1\r\n");
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":4\r\n");
    assert_eq!(client.cmd(&["OBJECT", "ENCODING", "h"]), "$3\r\nraw\r\n");
    assert_eq!(client.cmd(&["PFDEBUG", "ENCODING", "h"]), "+sparse\r\n");
}

#[test]
fn pfcount_caches_the_cardinality_until_pfadd_changes_a_register() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["PFADD", "h", "a", "b", "c"]);
    assert_eq!(
        client.command(&["GETRANGE", "h", "15", "15"]),
        b"$1\r\n\x80\r\n"
    );
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":3\r\n");
    assert_eq!(
        client.cmd(&["GETRANGE", "h", "8", "15"]),
        "$8\r\n\x03\0\0\0\0\0\0\0\r\n"
    );
    client.cmd(&["PFADD", "h", "a", "b", "c"]);
    assert_eq!(
        client.cmd(&["GETRANGE", "h", "15", "15"]),
        "$1\r\n\0\r\n",
        "nothing changed"
    );
    client.cmd(&["PFADD", "h", "1", "2", "3"]);
    assert_eq!(
        client.command(&["GETRANGE", "h", "15", "15"]),
        b"$1\r\n\x80\r\n"
    );
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":6\r\n");
}

#[test]
fn a_cached_count_is_trusted_as_redis_trusts_it() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["PFADD", "h", "a"]);
    // A valid cache of 1000 (0x3e8) is replied as it is, without looking at the registers.
    let reply = send(
        &mut client,
        &[b"SETRANGE", b"h", b"8", b"\xe8\x03\0\0\0\0\0\0"],
    );
    assert_eq!(reply, b":21\r\n");
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":1000\r\n");
}

#[test]
fn computing_the_count_is_a_change_watchers_see() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["PFADD", "h", "a", "b"]);
    client.cmd(&["WATCH", "h"]);
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":2\r\n");
    client.cmd(&["MULTI"]);
    client.cmd(&["PING"]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        "*-1\r\n",
        "the stale cache was rewritten"
    );
    client.cmd(&["WATCH", "h"]);
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":2\r\n");
    client.cmd(&["MULTI"]);
    client.cmd(&["PING"]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        "*1\r\n+PONG\r\n",
        "a cached count changes nothing"
    );
}

#[test]
fn a_sparse_value_turns_dense_past_hll_sparse_max_bytes() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", "40"]),
        "+OK\r\n"
    );
    add(&mut client, "small", &elements("x", 3));
    assert_eq!(client.cmd(&["PFDEBUG", "ENCODING", "small"]), "+sparse\r\n");
    add(&mut client, "small", &elements("y", 20));
    assert_eq!(client.cmd(&["PFDEBUG", "ENCODING", "small"]), "+dense\r\n");
    assert_eq!(client.cmd(&["STRLEN", "small"]), ":12304\r\n");
    assert_eq!(client.cmd(&["PFCOUNT", "small"]), ":23\r\n");
    client.cmd(&["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    add(&mut client, "big", &elements("z", 500));
    assert_eq!(client.cmd(&["PFDEBUG", "ENCODING", "big"]), "+sparse\r\n");
}

#[test]
fn counts_stay_within_a_few_percent() {
    let server = TestServer::start();
    let mut client = server.raw();
    add(&mut client, "h", &elements("e", 20_000));
    let count: f64 = client.cmd(&["PFCOUNT", "h"])[1..].trim().parse().unwrap();
    assert!((count - 20_000.0).abs() < 20_000.0 * 0.05, "{count}");
    assert_eq!(client.cmd(&["PFDEBUG", "ENCODING", "h"]), "+dense\r\n");
}

#[test]
fn pfcount_of_several_keys_counts_their_union() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["PFADD", "h1", "a", "b", "c"]);
    client.cmd(&["PFADD", "h2", "b", "c", "d"]);
    client.cmd(&["PFADD", "h3", "c", "d", "e"]);
    assert_eq!(
        client.cmd(&["PFCOUNT", "h1", "h2", "h3", "missing"]),
        ":5\r\n"
    );
    assert_eq!(client.cmd(&["PFCOUNT", "missing", "other"]), ":0\r\n");
    assert_eq!(client.cmd(&["EXISTS", "missing"]), ":0\r\n");
    // Counting several keys never caches anything.
    assert_eq!(
        client.command(&["GETRANGE", "h1", "15", "15"]),
        b"$1\r\n\x80\r\n"
    );
}

#[test]
fn pfmerge_stores_the_union_and_notifies_pfadd() {
    let server = TestServer::start();
    let (mut listener, mut client) = (server.raw(), server.raw());
    client.cmd(&["CONFIG", "SET", "notify-keyspace-events", "E$"]);
    listener.cmd(&["SUBSCRIBE", "__keyevent@0__:pfadd"]);
    client.cmd(&["PFADD", "h1", "a", "b", "c"]);
    client.cmd(&["PFADD", "h2", "b", "c", "d"]);
    assert_eq!(
        client.cmd(&["PFMERGE", "h", "h1", "h2", "missing"]),
        "+OK\r\n"
    );
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":4\r\n");
    assert_eq!(
        client.cmd(&["PFMERGE", "only"]),
        "+OK\r\n",
        "a lone destination is created"
    );
    assert_eq!(client.cmd(&["PFCOUNT", "only"]), ":0\r\n");
    for key in ["h1", "h2", "h", "only"] {
        let message = listener.reply_text();
        assert!(
            message.ends_with(&format!("${}\r\n{key}\r\n", key.len())),
            "{message}"
        );
    }
    assert_eq!(
        client.cmd(&["PFADD", "h1"]),
        ":0\r\n",
        "no change, no event"
    );
    client.cmd(&["PFADD", "dense", "x"]);
    client.cmd(&["PFDEBUG", "TODENSE", "dense"]);
    client.cmd(&["PFMERGE", "h1", "dense"]);
    assert_eq!(
        client.cmd(&["PFDEBUG", "ENCODING", "h1"]),
        "+dense\r\n",
        "a dense source"
    );
    assert_eq!(client.cmd(&["PFCOUNT", "h1"]), ":4\r\n");
}

#[test]
fn strings_that_are_not_hyperloglogs_are_wrongtype() {
    let server = TestServer::start();
    let mut client = server.raw();
    const NOT_HLL: &str = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
    const WRONG_KIND: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    client.cmd(&["SET", "s", "bar"]);
    client.cmd(&["LPUSH", "l", "x"]);
    client.cmd(&["PFADD", "h", "a"]);
    assert_eq!(client.cmd(&["PFADD", "s", "1"]), NOT_HLL);
    assert_eq!(client.cmd(&["PFCOUNT", "s"]), NOT_HLL);
    assert_eq!(client.cmd(&["PFCOUNT", "h", "s"]), NOT_HLL);
    assert_eq!(client.cmd(&["PFMERGE", "h", "s"]), NOT_HLL);
    assert_eq!(client.cmd(&["PFMERGE", "s", "h"]), NOT_HLL);
    assert_eq!(client.cmd(&["PFADD", "l", "1"]), WRONG_KIND);
    assert_eq!(client.cmd(&["PFCOUNT", "l"]), WRONG_KIND);
    // Broken magic, an unknown encoding, a dense value of the wrong length.
    for (offset, bytes) in [("0", "0123"), ("4", "x"), ("4", "\0")] {
        client.cmd(&["DEL", "h"]);
        client.cmd(&["PFADD", "h", "a", "b", "c"]);
        client.cmd(&["SETRANGE", "h", offset, bytes]);
        assert_eq!(client.cmd(&["PFCOUNT", "h"]), NOT_HLL, "{offset} {bytes:?}");
    }
}

#[test]
fn corrupted_sparse_values_are_detected() {
    let server = TestServer::start();
    let mut client = server.raw();
    const CORRUPTED: &str = "-INVALIDOBJ Corrupted HLL object detected\r\n";
    client.cmd(&["PFADD", "h", "a", "b", "c"]);
    client.cmd(&["APPEND", "h", "hello"]);
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), CORRUPTED);
    assert_eq!(client.cmd(&["PFDEBUG", "GETREG", "h"]), CORRUPTED);
    assert_eq!(client.cmd(&["PFDEBUG", "TODENSE", "h"]), CORRUPTED);
    // A run of zeroes cut short: the merge of several keys finds it too.
    send(
        &mut client,
        &[b"SET", b"short", b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x3f"],
    );
    assert_eq!(client.cmd(&["PFCOUNT", "short", "h"]), CORRUPTED);
    assert_eq!(client.cmd(&["PFMERGE", "dest", "short"]), CORRUPTED);
    assert_eq!(client.cmd(&["EXISTS", "dest"]), ":0\r\n");
}

#[test]
fn random_corruption_never_takes_the_server_down() {
    let server = TestServer::start();
    let mut client = server.raw();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..300 {
        client.cmd(&["DEL", "h"]);
        add(
            &mut client,
            "h",
            &elements(&format!("r{round}-"), (next() % 3000) as usize),
        );
        let len: u64 = client.cmd(&["STRLEN", "h"])[1..].trim().parse().unwrap();
        for _ in 0..1 + next() % 5 {
            let offset = (next() % len).to_string();
            let byte = [next() as u8];
            send(&mut client, &[b"SETRANGE", b"h", offset.as_bytes(), &byte]);
        }
        let mut writes: Vec<&[u8]> = vec![b"PFADD", b"h"];
        let extra = elements("more", 50);
        writes.extend(extra.iter().map(|e| e.as_bytes()));
        for command in [
            &[&b"PFCOUNT"[..], b"h"][..],
            &[b"PFCOUNT", b"h", b"h"],
            &writes,
            &[b"PFMERGE", b"d", b"h"],
        ] {
            let reply = send(&mut client, command);
            assert!(
                matches!(reply[0], b':' | b'-' | b'+'),
                "{}",
                String::from_utf8_lossy(&reply)
            );
        }
    }
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn pfdebug_reports_registers_and_opcodes() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["PFDEBUG", "GETREG", "missing"]),
        "-ERR The specified key does not exist\r\n"
    );
    client.cmd(&["PFADD", "h", "a", "b", "c"]);
    assert_eq!(
        client.cmd(&["PFDEBUG", "DECODE", "h"]),
        "$44\r\nZ:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\r\n"
    );
    assert_eq!(
        client.cmd(&["PFDEBUG", "nope", "h"]),
        "-ERR Unknown PFDEBUG subcommand 'nope'\r\n"
    );
    let registers = client.cmd(&["PFDEBUG", "GETREG", "h"]);
    assert!(registers.starts_with("*16384\r\n"));
    assert_eq!(registers.matches(":0\r\n").count(), 16384 - 3);
    assert_eq!(
        client.cmd(&["PFDEBUG", "ENCODING", "h"]),
        "+dense\r\n",
        "GETREG converts"
    );
    assert_eq!(client.cmd(&["PFDEBUG", "TODENSE", "h"]), ":0\r\n");
    assert_eq!(
        client.cmd(&["PFDEBUG", "DECODE", "h"]),
        "-ERR HLL encoding is not sparse\r\n"
    );
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":3\r\n");
    assert_eq!(
        client.cmd(&["PFDEBUG", "GETREG"]),
        "-ERR wrong number of arguments for 'pfdebug' command\r\n"
    );
}

#[test]
fn the_self_test_passes() {
    let server = TestServer::start();
    // The self test adds ten million elements: a debug build on a busy machine may take longer
    // than the raw client's read timeout, so ask through a connection that has none.
    let ok: String = query(&mut server.client(), &["PFSELFTEST"]);
    assert_eq!(ok, "OK");
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["PFSELFTEST", "x"]),
        "-ERR wrong number of arguments for 'pfselftest' command\r\n"
    );
}

#[test]
fn each_pfcount_is_one_lookup_whether_its_cache_is_valid_or_stale() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["PFADD", "h", "a", "b"]);
    client.cmd(&["SET", "s", "not an hll"]);
    let before = keyspace_lookups(&mut client);
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":2\r\n", "stale: computed");
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":2\r\n", "valid: read");
    assert_eq!(client.cmd(&["PFCOUNT", "missing"]), ":0\r\n");
    assert!(
        client
            .cmd(&["PFCOUNT", "s"])
            .starts_with("-WRONGTYPE Key is not a valid HyperLogLog")
    );
    let after = keyspace_lookups(&mut client);
    assert_eq!((after.0 - before.0, after.1 - before.1), (3, 1));
}

#[test]
fn pfcount_of_several_keys_changes_nothing_watchers_see_and_forgets_expired_keys() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["PFADD", "h1", "a", "b"]);
    client.cmd(&["PFADD", "h2", "c"]);
    client.cmd(&["PFADD", "gone", "x", "y", "z"]);
    client.cmd(&["PEXPIRE", "gone", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    client.cmd(&["WATCH", "h1", "h2"]);
    assert_eq!(client.cmd(&["PFCOUNT", "h1", "h2", "gone"]), ":3\r\n");
    client.cmd(&["MULTI"]);
    client.cmd(&["PING"]);
    assert_eq!(client.cmd(&["EXEC"]), "*1\r\n+PONG\r\n");
    assert_eq!(
        client.cmd(&["DBSIZE"]),
        ":2\r\n",
        "the expired key was removed"
    );
    client.cmd(&["SET", "s", "x"]);
    assert!(
        client
            .cmd(&["PFCOUNT", "h1", "s", "h2"])
            .starts_with("-WRONGTYPE Key is not a valid HyperLogLog")
    );
}

#[test]
fn client_pause_write_holds_even_a_cached_pfcount() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["PFADD", "h", "a"]);
    assert_eq!(client.cmd(&["PFCOUNT", "h"]), ":1\r\n");
    let mut pauser = server.raw();
    assert_eq!(
        pauser.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        "+OK\r\n"
    );
    client.send(&resp(&["PFCOUNT", "h"]));
    assert!(
        client.nothing_within(std::time::Duration::from_millis(200)),
        "held: may_replicate"
    );
    pauser.cmd(&["CLIENT", "UNPAUSE"]);
    assert_eq!(client.reply_text(), ":1\r\n");
}

#[test]
fn changes_reach_the_append_only_file() {
    let dir = common::scratch_dir("hll-aof");
    {
        let server = TestServer::in_dir(&dir, &["--appendonly", "yes"]);
        let mut client = server.raw();
        client.cmd(&["PFADD", "h", "a", "b", "c"]);
        client.cmd(&["PFADD", "d", "x"]);
        client.cmd(&["PFDEBUG", "TODENSE", "d"]);
        client.cmd(&["PFMERGE", "m", "h", "d"]);
        assert_eq!(client.cmd(&["PFCOUNT", "m"]), ":4\r\n");
    }
    let server = TestServer::in_dir(&dir, &["--appendonly", "yes"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["PFDEBUG", "ENCODING", "d"]), "+dense\r\n");
    assert_eq!(
        client.cmd(&["GETRANGE", "m", "8", "8"]),
        "$1\r\n\x04\r\n",
        "the cached count"
    );
    assert_eq!(value(&mut client, "h"), ABC);
}

// ---------------------------------------------------------------- beside a real redis-server

/// The same elements, PFADDed in both, in several batches.
fn add_both(pair: &mut Pair, key: &str, elements: &[String]) {
    for chunk in elements.chunks(100) {
        let mut args = vec!["PFADD", key];
        args.extend(chunk.iter().map(String::as_str));
        pair.same(&args);
    }
}

#[test]
#[ignore = "needs redis-server: compares bytes with it"]
fn the_same_elements_give_the_same_bytes() {
    let mut pair = Pair::new();
    for (key, count) in [
        ("empty", 0),
        ("tiny", 5),
        ("sparse", 400),
        ("edge", 1500),
        ("dense", 4000),
        ("large", 60_000),
    ] {
        pair.same(&["PFADD", key]);
        add_both(&mut pair, key, &elements(key, count));
        pair.same(&["GET", key]);
        pair.same(&["PFDEBUG", "ENCODING", key]);
        pair.same(&["PFCOUNT", key]);
        pair.same(&["GET", key]);
        pair.same(&["OBJECT", "ENCODING", key]);
    }
    pair.same(&["PFDEBUG", "DECODE", "sparse"]);
    pair.same(&["PFDEBUG", "GETREG", "edge"]);
    pair.same(&["GET", "edge"]);
    pair.same(&["CONFIG", "SET", "hll-sparse-max-bytes", "200"]);
    add_both(&mut pair, "limited", &elements("l", 300));
    pair.same(&["GET", "limited"]);
}

#[test]
#[ignore = "needs redis-server: merges and counts as it does"]
fn merges_of_mixed_encodings_match() {
    let mut pair = Pair::new();
    add_both(&mut pair, "s1", &elements("a", 200));
    add_both(&mut pair, "s2", &elements("b", 300));
    add_both(&mut pair, "d1", &elements("c", 5000));
    add_both(&mut pair, "dest", &elements("d", 10));
    pair.each(&[
        &["PFCOUNT", "s1", "s2"],
        &["PFCOUNT", "s1", "d1", "missing"],
        &["PFMERGE", "m1", "s1", "s2"],
        &["GET", "m1"],
        &["PFMERGE", "m2", "s1", "d1"],
        &["GET", "m2"],
        &["PFMERGE", "dest", "s2"],
        &["GET", "dest"],
        &["PFMERGE", "dest", "d1"],
        &["GET", "dest"],
        &["PFCOUNT", "dest"],
        &["PFCOUNT", "m1"],
        &["GET", "m1"],
    ]);
}

#[test]
#[ignore = "needs redis-server: reads values it wrote"]
fn values_move_between_the_servers() {
    let redis = RealRedis::start();
    let thredis = TestServer::start();
    let (mut from_redis, mut to_thredis) = (Raw::connect(redis.port), thredis.raw());
    for (key, count) in [("sparse", 300), ("dense", 3000)] {
        add(&mut from_redis, key, &elements(key, count));
        let bytes = value(&mut from_redis, key);
        send(&mut to_thredis, &[b"SET", key.as_bytes(), &bytes]);
        assert_eq!(
            to_thredis.cmd(&["PFCOUNT", key]),
            from_redis.cmd(&["PFCOUNT", key])
        );
        // Both go on from the same bytes to the same bytes.
        add(&mut from_redis, key, &elements("more", 700));
        add(&mut to_thredis, key, &elements("more", 700));
        assert_eq!(value(&mut to_thredis, key), value(&mut from_redis, key));
    }
    // And the reverse: thredis's value, counted by redis-server.
    add(&mut to_thredis, "ours", &elements("o", 500));
    let bytes = value(&mut to_thredis, "ours");
    send(&mut from_redis, &[b"SET", b"ours", &bytes]);
    assert_eq!(
        from_redis.cmd(&["PFCOUNT", "ours"]),
        to_thredis.cmd(&["PFCOUNT", "ours"])
    );
    assert_eq!(
        from_redis.cmd(&["PFDEBUG", "ENCODING", "ours"]),
        "+sparse\r\n"
    );
}

#[test]
#[ignore = "needs redis-server: compares its errors"]
fn refusals_match_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["SET", "s", "hello"],
        &["PFADD", "s", "x"],
        &["PFCOUNT", "s", "missing"],
        &["PFMERGE", "missing", "s"],
        &["PFADD", "h", "a", "b", "c"],
        &["APPEND", "h", "hello"],
        &["PFCOUNT", "h"],
        &["PFCOUNT", "h", "h"],
        &["PFADD", "h", "zz", "yy"],
        &["PFDEBUG", "TODENSE", "h"],
        &["PFDEBUG", "DECODE", "h"],
        &["PFDEBUG", "what", "h"],
        &["PFDEBUG", "getreg", "missing"],
        &["PFSELFTEST", "x"],
        &["PFADD"],
        &["PFMERGE"],
    ]);
}

#[test]
#[ignore = "needs redis-server: judges corrupted values as it does"]
fn corrupted_values_are_judged_as_redis_judges_them() {
    let mut pair = Pair::new();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..200 {
        pair.same(&["DEL", "h", "d"]);
        pair.same(&["PFADD", "h"]);
        let count = [0, 1, 5, 50, 300, 1000, 3000][(next() % 7) as usize];
        add_both(&mut pair, "h", &elements(&format!("c{round}-"), count));
        if next() % 3 == 0 {
            pair.same(&["PFDEBUG", "TODENSE", "h"]);
        }
        let len = value(&mut pair.redis, "h").len() as u64;
        for _ in 0..1 + next() % 4 {
            // Now and then one byte past the end: an opcode appended.
            let offset = (next() % (len + 1)).to_string();
            let byte = [next() as u8];
            let setrange: [&[u8]; 4] = [b"SETRANGE", b"h", offset.as_bytes(), &byte];
            assert_eq!(
                send(&mut pair.thredis, &setrange),
                send(&mut pair.redis, &setrange)
            );
        }
        for command in [
            &["PFCOUNT", "h"][..],
            &["PFCOUNT", "h", "missing"],
            &["PFADD", "h", "x1", "x2", "x3", "x4", "x5", "x6"],
            &["GET", "h"],
            &["PFMERGE", "d", "h"],
            &["GET", "d"],
            &["PFDEBUG", "DECODE", "h"],
            &["PFDEBUG", "GETREG", "h"],
            &["GET", "h"],
        ] {
            pair.same(command);
        }
    }
}
