//! thredis beside a real redis-server: the same bytes go to both, and the replies must be the
//! same bytes. This is "Redis is the spec", checked mechanically: every error text, every nil
//! versus empty, every integer versus bulk string.
//!
//! These tests need `redis-server` on the PATH, so they are `#[ignore]`d in a plain
//! `cargo test`; `.ci/run` installs Redis 7.0 and runs them with `--include-ignored`.
//!
//! Replies that legitimately differ (server identity, timing, ids) are not compared; sets whose
//! order Redis does not define are compared sorted.

mod common;

use common::real_redis::Pair;

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn string_commands_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["SET", "k", "v"],
        &["GET", "k"],
        &["GET", "missing"],
        &["SET", "k", "v", "NX"],
        &["SET", "k", "v2", "XX", "GET"],
        &["SET", "k", "v", "NX", "XX"],
        &["SET", "k", "v", "EX", "0"],
        &["SET", "k", "v", "EX", "-1"],
        &["SET", "k", "v", "EX", "abc"],
        &["SET", "k", "v", "PX", "100", "EX", "100"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EX", "9223372036854775807"],
        &["SET", "k", "v", "PXAT", "99999999999999", "GET"],
        &["SET", "k"],
        &["SET", "k", "v", "BOGUS"],
        &["GETDEL", "k"],
        &["GETDEL", "k"],
        &["SET", "n", "10"],
        &["INCR", "n"],
        &["DECR", "n"],
        &["INCRBY", "n", "-20"],
        &["DECRBY", "n", "5"],
        &["INCRBY", "n", "abc"],
        &["DECRBY", "n", "-9223372036854775808"],
        &["SET", "big", "9223372036854775807"],
        &["INCR", "big"],
        &["SET", "s", " 1"],
        &["INCR", "s"],
        &["SET", "f", "10.5"],
        &["INCRBYFLOAT", "f", "0.1"],
        &["INCRBYFLOAT", "f", "2.5e1"],
        &["INCRBYFLOAT", "f", "abc"],
        &["INCRBYFLOAT", "f", "inf"],
        &["INCRBYFLOAT", "newfloat", "-2.5"],
        &["APPEND", "a", "hello"],
        &["APPEND", "a", " world"],
        &["STRLEN", "a"],
        &["STRLEN", "missing"],
        &["GETRANGE", "a", "0", "4"],
        &["GETRANGE", "a", "-5", "-1"],
        &["GETRANGE", "a", "5", "2"],
        &["GETRANGE", "a", "-1", "-5"],
        &["GETRANGE", "a", "0", "100"],
        &["GETRANGE", "missing", "0", "1"],
        &["SUBSTR", "a", "0", "2"],
        &["SETRANGE", "a", "6", "W"],
        &["SETRANGE", "pad", "5", "x"],
        &["GET", "pad"],
        &["SETRANGE", "a", "-1", "x"],
        &["SETRANGE", "empty", "0", ""],
        &["SETNX", "a", "x"],
        &["SETNX", "b", "x"],
        &["SETEX", "e", "100", "v"],
        &["SETEX", "e", "0", "v"],
        &["PSETEX", "e", "-5", "v"],
        &["TTL", "e"],
        &["GETSET", "e", "new"],
        &["TTL", "e"],
        &["MSET", "m1", "1", "m2", "2"],
        &["MSET", "m1", "1", "m2"],
        &["MGET", "m1", "missing", "m2"],
        &["MSETNX", "m1", "x", "m3", "y"],
        &["MSETNX", "m3", "x", "m4", "y"],
        &["GETEX", "m1", "EX", "100"],
        &["TTL", "m1"],
        &["GETEX", "m1", "PERSIST"],
        &["TTL", "m1"],
        &["GETEX", "m1", "EX", "10", "PX", "10"],
        &["GETEX", "missing", "EX", "abc"],
        &["GETEX", "m1", "KEEPTTL"],
    ]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn key_commands_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["MSET", "a", "1", "b", "2", "c", "3"],
        &["EXISTS", "a", "a", "missing"],
        &["TYPE", "a"],
        &["TYPE", "missing"],
        &["DEL", "a", "missing", "a"],
        &["UNLINK", "b"],
        &["RENAME", "c", "d"],
        &["RENAME", "missing", "d"],
        &["RENAME", "d", "d"],
        &["SET", "e", "5"],
        &["RENAMENX", "d", "e"],
        &["RENAMENX", "d", "f"],
        &["COPY", "f", "g"],
        &["COPY", "f", "g"],
        &["COPY", "f", "g", "REPLACE"],
        &["COPY", "f", "f"],
        &["COPY", "f", "h", "DB", "99"],
        &["COPY", "f", "h", "DB", "1"],
        &["COPY", "f", "h", "BOGUS"],
        &["MOVE", "f", "0"],
        &["MOVE", "f", "2"],
        &["MOVE", "f", "2"],
        &["MOVE", "f", "x"],
        &["MOVE", "g", "16"],
        &["EXPIRE", "g", "100"],
        &["TTL", "g"],
        &["EXPIRE", "g", "50", "GT"],
        &["EXPIRE", "g", "500", "GT"],
        &["EXPIRE", "g", "50", "LT"],
        &["EXPIRE", "g", "50", "NX"],
        &["EXPIRE", "g", "50", "XX"],
        &["EXPIRE", "g", "50", "NX", "XX"],
        &["EXPIRE", "g", "50", "GT", "LT"],
        &["EXPIRE", "g", "50", "FOO"],
        &["EXPIRE", "g", "9223372036854775807"],
        &["EXPIRE", "missing", "10"],
        &["PERSIST", "g"],
        &["PERSIST", "g"],
        &["TTL", "g"],
        &["PTTL", "missing"],
        &["EXPIRETIME", "g"],
        &["PEXPIRETIME", "missing"],
        &["EXPIREAT", "g", "1"],
        &["EXISTS", "g"],
        &["SET", "t", "v"],
        &["PEXPIREAT", "t", "99999999999999"],
        &["PEXPIRETIME", "t"],
        &["EXPIRETIME", "t"],
        &["EXPIRE", "t", "-1"],
        &["EXISTS", "t"],
        &["TOUCH", "e", "missing", "e"],
        &["OBJECT", "ENCODING", "e"],
        &["SET", "str", "hello"],
        &["OBJECT", "ENCODING", "str"],
        &[
            "SET",
            "long",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        &["OBJECT", "ENCODING", "long"],
        &["APPEND", "str", "!"],
        &["OBJECT", "ENCODING", "str"],
        &["OBJECT", "ENCODING", "missing"],
        &["OBJECT", "FREQ", "str"],
        &["OBJECT", "BOGUS"],
        &["OBJECT"],
        &["SCAN", "0", "COUNT", "0"],
        &["SCAN", "abc"],
        &["SCAN", "0", "MATCH"],
        &["DBSIZE"],
        &["FLUSHDB"],
        &["RANDOMKEY"],
        &["SET", "only", "1"],
        &["RANDOMKEY"],
        &["DEL", "only"],
        &["SCAN", "0"],
        &["KEYS", "*"],
    ]);
    pair.same(&[
        "MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5", "h*llo",
        "6",
    ]);
    for pattern in [
        "h?llo",
        "h*llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-b]llo",
        "h\\*llo",
        "*",
        "nomatch*",
    ] {
        pair.same_unordered(&["KEYS", pattern]);
    }
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn connection_and_server_commands_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["PING"],
        &["PING", "hi"],
        &["PING", "a", "b"],
        &["ECHO", "hi"],
        &["ECHO"],
        &["SELECT", "1"],
        &["SELECT", "16"],
        &["SELECT", "-1"],
        &["SELECT", "abc"],
        &["SELECT", "0"],
        &["NOSUCHCOMMAND", "a", "b"],
        &["GET"],
        &["CONFIG", "GET"],
        &["CONFIG", "NOPE"],
        &["CONFIG", "SET", "maxclients"],
        &["CONFIG", "SET", "maxclients", "100", "timeout"],
        &["CONFIG", "SET", "nosuchparam", "1"],
        &["CONFIG", "SET", "databases", "4"],
        &["CONFIG", "SET", "maxclients", "0"],
        &["CONFIG", "SET", "timeout", "abc"],
        &["CONFIG", "SET", "protected-mode", "maybe"],
        &["CONFIG", "SET", "appendfsync", "sometimes"],
        &["CONFIG", "SET", "timeout", "1", "timeout", "2"],
        &["CONFIG", "SET", "timeout", "0"],
        &["CONFIG", "GET", "timeout"],
        &["CONFIG", "GET", "nosuchparam"],
        &["CONFIG", "GET", "appendfilename"],
        &["CONFIG", "GET", "appenddirname"],
        &["CONFIG", "GET", "dbfilename"],
        &["CONFIG", "RESETSTAT"],
        &["CLIENT", "SETNAME", "has space"],
        &["CLIENT", "SETNAME", "ok"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "SETNAME", ""],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "NO-EVICT", "maybe"],
        &["CLIENT", "NO-EVICT", "on"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "ID", "0"],
        &["CLIENT", "KILL", "ID", "99999"],
        &["CLIENT", "KILL", "TYPE", "bogus"],
        &["CLIENT", "LIST", "TYPE", "bogus"],
        &["CLIENT", "LIST", "BOGUS"],
        &["CLIENT", "REPLY", "BOGUS"],
        &["DEBUG", "BOGUS"],
        &["DEBUG", "SLEEP", "0"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        &["DEBUG", "OBJECT", "missing"],
        &["DBSIZE"],
        &["FLUSHDB", "BOGUS"],
        &["FLUSHALL", "SYNC"],
        &["FLUSHALL", "ASYNC"],
        &["SWAPDB", "0", "1"],
        &["SWAPDB", "0", "x"],
        &["SWAPDB", "x", "0"],
        &["SWAPDB", "0", "16"],
        &["FUNCTION", "FLUSH"],
        &["FUNCTION", "FLUSH", "BOGUS"],
        &["COMMAND", "INFO", "get", "nosuchcommand"],
        &["COMMAND", "GETKEYS", "GET", "k"],
        &["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"],
        &["COMMAND", "GETKEYS", "PING"],
        &["COMMAND", "GETKEYS", "NOSUCH"],
        &["COMMAND", "GETKEYS", "GET"],
        &[
            "COMMAND",
            "GETKEYS",
            "ZUNIONSTORE",
            "dst",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "1",
            "2",
        ],
        &[
            "COMMAND",
            "GETKEYS",
            "GEORADIUS",
            "k",
            "1",
            "1",
            "1",
            "km",
            "STORE",
            "dst",
        ],
        &[
            "COMMAND",
            "GETKEYS",
            "GEORADIUS",
            "k",
            "1",
            "1",
            "1",
            "km",
            "store",
        ],
        &["COMMAND", "GETKEYS", "LMPOP", "0", "a", "LEFT"],
        &["COMMAND", "GETKEYS", "LMPOP", "5", "a", "LEFT"],
        &["SHUTDOWN", "ABORT"],
        &["SHUTDOWN", "BOGUS"],
        &["SHUTDOWN", "SAVE", "NOSAVE"],
        &["HELLO", "4"],
        &["HELLO", "x"],
        &["HELLO", "3", "BOGUS"],
        &["HELLO", "3", "AUTH", "alice", "pw"],
        &["HELLO", "2", "SETNAME", "bad name"],
    ]);
    // Redis lists matched parameters in its dictionary's order.
    pair.same_unordered(&["CONFIG", "GET", "maxclients", "timeout"]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn command_info_matches_redis_for_every_command() {
    let mut pair = Pair::new();
    // Every command and subcommand thredis has, except containers: Redis has subcommands that
    // thredis does not, so a container's own entry differs in its list of subcommands (and
    // Redis lists those of PUBSUB, XGROUP, XINFO, SLOWLOG, LATENCY, SCRIPT and CLUSTER in its
    // dict's order, a hash's). Each subcommand is compared on its own.
    let listed = String::from_utf8(pair.thredis.command(&["COMMAND", "LIST"])).unwrap();
    let containers = [
        "acl", "client", "config", "command", "object", "function", "pubsub", "memory", "xgroup",
        "xinfo", "slowlog", "latency", "script", "cluster",
    ];
    // Redis 7.2 additions that 7.0 does not know: deliberately accepted (client libraries send them).
    let newer = ["client|setinfo", "client|no-touch"];
    let names: Vec<&str> = listed
        .split("\r\n")
        .filter(|line| !line.is_empty() && !line.starts_with(['*', '$']))
        .filter(|name| !containers.contains(name) && !newer.contains(name))
        .collect();
    let commands: Vec<[&str; 3]> = names.iter().map(|name| ["COMMAND", "INFO", name]).collect();
    let commands: Vec<&[&str]> = commands.iter().map(|c| &c[..]).collect();
    pair.each(&commands);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn resp3_replies_match_redis() {
    let mut pair = Pair::new();
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["GET", "missing"],
        &["SET", "k", "v"],
        &["MGET", "k", "missing"],
        &["SET", "k", "v", "GET"],
        &["CONFIG", "GET", "timeout"],
        &["CONFIG", "GET", "nosuchparam"],
        &["CLIENT", "GETNAME"],
        &["OBJECT", "ENCODING", "missing"],
        &["RANDOMKEY"],
        &["GETEX", "missing"],
        &["INCRBYFLOAT", "f", "1.5"],
        &["TIME", "extra"],
    ]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn protocol_errors_reply_like_redis() {
    for bytes in [
        &b"*3000000000\r\n"[..],
        b"*abc\r\n",
        b"*1\r\nfoo\r\n",
        b"*1\r\n$-1\r\n",
        b"*1\r\n$blabla\r\n",
        b"*1\r\n$536870913\r\n",
        b"set \"\"\"test-key\"\"\" v\r\n",
        b"SET k 'abc\r\n",
        b"%1\r\n",
        b"+PING\r\n",
        b"*1\r\n$4\r\nPINGXX",
    ] {
        let mut pair = Pair::new();
        pair.same_raw(bytes);
    }
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn maxmemory_and_min_replicas_refusals_match_redis() {
    let mut pair = Pair::new();
    let (mut redis_admin, mut thredis_admin) = pair.connect_again();
    let mut both = |args: &[&str]| {
        assert_eq!(redis_admin.cmd(args), thredis_admin.cmd(args), "{args:?}");
    };
    pair.same(&["SET", "kept", "1"]);
    pair.same(&["MULTI"]);
    pair.same(&["SET", "queued", "1"]);
    both(&["CONFIG", "SET", "maxmemory", "1"]);
    for args in [
        &["GET", "kept"][..],
        &["EXEC"],
        &["SET", "k", "v"],
        &["RPUSH", "l", "a"],
        &["GET", "kept"],
        &["DEL", "kept"],
        &["MULTI"],
        &["GET", "kept"],
        &["DISCARD"],
        &["CONFIG", "SET", "maxmemory", "bla"],
        &["CONFIG", "SET", "maxmemory", "0"],
        &["SET", "k", "v"],
        &["CONFIG", "SET", "min-replicas-to-write", "1"],
        &["SET", "k", "w"],
        &["MULTI"],
        &["SET", "k", "w"],
        &["EXEC"],
        &["GET", "k"],
        &["CONFIG", "GET", "min-replicas-max-lag"],
        &["CONFIG", "SET", "min-replicas-to-write", "0"],
    ] {
        pair.same(args);
    }
}

/// Streams as persistence and introspection see them: the same commands leave the same
/// `DEBUG DIGEST-VALUE`, the same `DEBUG DIGEST`, and the same `serializedlength` in `DEBUG
/// OBJECT` (the exact size of the stream in an RDB file, node listpacks and groups included);
/// and `DEBUG RELOAD` changes nothing a client can see.
#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn stream_digests_and_serialized_lengths_match_redis() {
    let mut pair = Pair::new();
    let long = "compressible ".repeat(20);
    let mut commands: Vec<Vec<String>> = Vec::new();
    let mut add = |command: &str| {
        commands.push(command.split(' ').map(String::from).collect());
    };
    add("CONFIG SET stream-node-max-entries 10");
    for i in 1..=60 {
        let field = if i % 7 == 0 { "other" } else { "f" };
        add(&format!("XADD s {i}-{} {field} {} n -{i}", i % 3, i * 1000));
    }
    add(&format!("XADD s 100-0 long {long}"));
    for command in [
        "XDEL s 5-2 6-0 100-0",
        "XTRIM s MINID 3",
        "XGROUP CREATE s g 0",
        "XREADGROUP GROUP g alice COUNT 4 STREAMS s >",
        "XGROUP CREATECONSUMER s g bob",
        "XGROUP CREATE s g2 $ ENTRIESREAD 50",
        "XGROUP CREATE empty g $ MKSTREAM",
        "TYPE s",
        "OBJECT ENCODING s",
        "DEBUG DIGEST-VALUE s empty missing",
        "DEBUG DIGEST",
    ] {
        add(command);
    }
    let commands: Vec<Vec<&str>> = commands
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let commands: Vec<&[&str]> = commands.iter().map(Vec::as_slice).collect();
    pair.each(&commands);
    // Without compression: thredis's LZF compresses as well as Redis's but not always into
    // the same bytes, so compressed lengths may differ by a few bytes.
    pair.each(&[&["CONFIG", "SET", "rdbcompression", "no"]]);
    for key in ["s", "empty"] {
        let length = |raw: &mut common::Raw| {
            let object = raw.cmd(&["DEBUG", "OBJECT", key]);
            let at = object.find("serializedlength:").expect("a length");
            object[at..].split(' ').next().unwrap().to_string()
        };
        let expected = length(&mut pair.redis);
        assert_eq!(length(&mut pair.thredis), expected, "{key}");
    }
    let views: &[&[&str]] = &[
        &["DEBUG", "DIGEST"],
        &["XINFO", "GROUPS", "s"],
        &["XPENDING", "s", "g"],
        &["XRANGE", "s", "-", "+", "COUNT", "5"],
        &["XLEN", "s"],
    ];
    pair.each(views);
    assert_eq!(pair.thredis.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    pair.each(views);
}
