//! MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, in RESP2 and RESP3, and the
//! errors around them. Names, order, reply types and texts were checked against a real
//! redis-server 7.0.15; MALLOC-STATS answers as a Redis built with libc malloc does, since
//! thredis uses the system allocator (the packaged Redis has jemalloc, and prints its report).

mod common;

use common::{Raw, TestServer, error, query};
use redis::Value;

/// MEMORY STATS's figures before the per-database maps, in Redis's order.
const BEFORE_DATABASES: [&str; 10] = [
    "peak.allocated",
    "total.allocated",
    "startup.allocated",
    "replication.backlog",
    "clients.slaves",
    "clients.normal",
    "cluster.links",
    "aof.buffer",
    "lua.caches",
    "functions.caches",
];

/// And after them.
const AFTER_DATABASES: [&str; 17] = [
    "overhead.total",
    "keys.count",
    "keys.bytes-per-key",
    "dataset.bytes",
    "dataset.percentage",
    "peak.percentage",
    "allocator.allocated",
    "allocator.active",
    "allocator.resident",
    "allocator-fragmentation.ratio",
    "allocator-fragmentation.bytes",
    "allocator-rss.ratio",
    "allocator-rss.bytes",
    "rss-overhead.ratio",
    "rss-overhead.bytes",
    "fragmentation",
    "fragmentation.bytes",
];

/// The figures Redis replies as doubles; every other one is an integer.
const DOUBLES: [&str; 6] = [
    "dataset.percentage",
    "peak.percentage",
    "allocator-fragmentation.ratio",
    "allocator-rss.ratio",
    "rss-overhead.ratio",
    "fragmentation",
];

const DATABASE_FIGURES: [&str; 3] = [
    "overhead.hashtable.main",
    "overhead.hashtable.expires",
    "overhead.hashtable.slot-to-keys",
];

const EMPTY_REPORT: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const NO_ISSUE_REPORT: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

/// A figure of MEMORY STATS, whatever the protocol: RESP2 sends doubles as bulk strings and
/// maps as flat arrays.
#[derive(Debug, PartialEq)]
enum Figure {
    Integer(i64),
    Double(f64),
    Database(Vec<(String, i64)>),
}

fn text(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).unwrap(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// Name-value pairs of a map, from RESP3's map or RESP2's flat array.
fn pairs(value: Value) -> Vec<(Value, Value)> {
    match value {
        Value::Map(pairs) => pairs,
        Value::Array(items) => {
            assert!(items.len() % 2 == 0, "an odd flat map: {items:?}");
            let mut items = items.into_iter();
            std::iter::from_fn(|| Some((items.next()?, items.next()?))).collect()
        }
        other => panic!("expected a map, got {other:?}"),
    }
}

/// MEMORY STATS as named figures, checking each one's reply type on the way.
fn memory_stats(connection: &mut redis::Connection, resp3: bool) -> Vec<(String, Figure)> {
    let reply: Value = query(connection, &["MEMORY", "STATS"]);
    if resp3 {
        assert!(matches!(reply, Value::Map(_)), "{reply:?}");
    }
    pairs(reply)
        .into_iter()
        .map(|(name, value)| {
            let name = text(&name);
            let figure = match value {
                Value::Int(n) => Figure::Integer(n),
                Value::Double(x) if resp3 => Figure::Double(x),
                Value::BulkString(_) if !resp3 => Figure::Double(text(&value).parse().unwrap()),
                Value::Map(_) | Value::Array(_) if name.starts_with("db.") => Figure::Database(
                    pairs(value)
                        .into_iter()
                        .map(|(name, value)| match value {
                            Value::Int(n) => (text(&name), n),
                            other => panic!("{name:?}: expected an integer, got {other:?}"),
                        })
                        .collect(),
                ),
                other => panic!("{name}: unexpected {other:?}"),
            };
            let expected_double = DOUBLES.contains(&name.as_str());
            assert_eq!(
                matches!(figure, Figure::Double(_)),
                expected_double,
                "{name}: {figure:?}"
            );
            (name, figure)
        })
        .collect()
}

fn integer(stats: &[(String, Figure)], name: &str) -> i64 {
    match stats.iter().find(|(n, _)| n == name) {
        Some((_, Figure::Integer(n))) => *n,
        other => panic!("{name}: {other:?}"),
    }
}

fn double(stats: &[(String, Figure)], name: &str) -> f64 {
    match stats.iter().find(|(n, _)| n == name) {
        Some((_, Figure::Double(x))) => *x,
        other => panic!("{name}: {other:?}"),
    }
}

fn database(stats: &[(String, Figure)], name: &str) -> Vec<(String, i64)> {
    match stats.iter().find(|(n, _)| n == name) {
        Some((_, Figure::Database(figures))) => figures.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn names(stats: &[(String, Figure)]) -> Vec<&str> {
    stats.iter().map(|(name, _)| name.as_str()).collect()
}

/// The wire form of free text: a bulk string in RESP2, a `txt` verbatim string in RESP3.
fn verbatim(text: &str, resp3: bool) -> String {
    if resp3 {
        format!("={}\r\ntxt:{text}\r\n", text.len() + 4)
    } else {
        format!("${}\r\n{text}\r\n", text.len())
    }
}

/// A raw connection speaking RESP2 or, after `HELLO 3`, RESP3.
fn raw(server: &TestServer, resp3: bool) -> Raw {
    let mut client = server.raw();
    if resp3 {
        client.cmd(&["HELLO", "3"]);
    }
    client
}

// ---------------------------------------------------------------- STATS

#[test]
fn memory_stats_of_an_empty_server_has_redis_figures_in_order_and_no_database() {
    let server = TestServer::start();
    for (mut connection, resp3) in [(server.client(), false), (server.client_resp3(), true)] {
        let stats = memory_stats(&mut connection, resp3);
        let expected: Vec<&str> = BEFORE_DATABASES
            .iter()
            .chain(&AFTER_DATABASES)
            .copied()
            .collect();
        assert_eq!(names(&stats), expected, "resp3: {resp3}");
        assert_eq!(integer(&stats, "keys.count"), 0);
        assert_eq!(integer(&stats, "keys.bytes-per-key"), 0);
    }
}

#[test]
fn memory_stats_adds_a_map_per_database_that_holds_keys() {
    let server = TestServer::start();
    for (mut connection, resp3) in [(server.client(), false), (server.client_resp3(), true)] {
        let _: () = query(&mut connection, &["FLUSHALL"]);
        let _: () = query(&mut connection, &["MSET", "a", "1", "b", "2"]);
        let _: () = query(&mut connection, &["SELECT", "3"]);
        let _: () = query(&mut connection, &["SET", "x", "y", "EX", "100"]);
        let stats = memory_stats(&mut connection, resp3);
        let mut expected: Vec<&str> = BEFORE_DATABASES.to_vec();
        expected.extend(["db.0", "db.3"]);
        expected.extend(AFTER_DATABASES);
        assert_eq!(names(&stats), expected, "resp3: {resp3}");
        assert_eq!(integer(&stats, "keys.count"), 3);

        let db0 = database(&stats, "db.0");
        let db3 = database(&stats, "db.3");
        for db in [&db0, &db3] {
            let figures: Vec<&str> = db.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(figures, DATABASE_FIGURES);
            assert!(db[0].1 > 0, "{db:?}");
            assert_eq!(db[2].1, 0, "no cluster, no slot-to-keys map");
        }
        assert_eq!(db0[1].1, 0, "db 0 has no key with a TTL");
        assert!(db3[1].1 > 0, "db 3 has one: {db3:?}");
        assert!(db0[0].1 > db3[0].1, "two keys cost more than one");
    }
}

#[test]
fn memory_stats_figures_add_up_as_in_redis() {
    let server = TestServer::start();
    let mut connection = server.client_resp3();
    let _: () = query(&mut connection, &["SET", "k", "v"]);
    let stats = memory_stats(&mut connection, true);
    let total = integer(&stats, "total.allocated");
    let startup = integer(&stats, "startup.allocated");
    assert!(startup > 0 && total > 0, "{stats:?}");
    assert!(integer(&stats, "peak.allocated") >= total);
    assert!(double(&stats, "peak.percentage") <= 100.0);
    // What thredis has not: no replication, no cluster, no Lua, no functions.
    for name in [
        "replication.backlog",
        "clients.slaves",
        "cluster.links",
        "aof.buffer",
        "lua.caches",
        "functions.caches",
    ] {
        assert_eq!(integer(&stats, name), 0, "{name}");
    }
    let tables: i64 = database(&stats, "db.0").iter().map(|(_, n)| n).sum();
    let overhead = integer(&stats, "overhead.total");
    assert_eq!(
        overhead,
        startup + integer(&stats, "clients.normal") + tables
    );
    assert_eq!(integer(&stats, "dataset.bytes"), (total - overhead).max(0));
    // Used memory is the counting allocator's figure; libc malloc keeps none of its own, so
    // active and resident are the process's RSS, as Redis reports them under libc.
    assert_eq!(integer(&stats, "allocator.allocated"), total);
    let rss = integer(&stats, "allocator.resident");
    assert_eq!(integer(&stats, "allocator.active"), rss);
    assert!(
        rss > total,
        "code, stacks and malloc's own pages are resident too"
    );
    for name in ["allocator-rss.ratio", "rss-overhead.ratio"] {
        assert_eq!(double(&stats, name), 1.0, "{name}");
    }
    for name in ["allocator-rss.bytes", "rss-overhead.bytes"] {
        assert_eq!(integer(&stats, name), 0, "{name}");
    }
    for name in ["allocator-fragmentation.bytes", "fragmentation.bytes"] {
        assert_eq!(integer(&stats, name), rss - total, "{name}");
    }
    assert!(double(&stats, "fragmentation") > 1.0);
}

#[test]
fn memory_stats_counts_the_aof_buffer_only_while_the_aof_is_on() {
    let server = TestServer::with_args(&["--appendonly", "yes", "--save", ""]);
    let mut connection = server.client();
    let _: () = query(&mut connection, &["SET", "k", "v"]);
    let stats = memory_stats(&mut connection, false);
    // Each write is in the file before its reply goes out, so the buffer is empty again.
    assert_eq!(integer(&stats, "aof.buffer"), 0);
}

// ---------------------------------------------------------------- DOCTOR

#[test]
fn memory_doctor_gives_one_of_redis_reports_for_a_fresh_server() {
    let server = TestServer::start();
    for resp3 in [false, true] {
        let reply = raw(&server, resp3).cmd(&["MEMORY", "DOCTOR"]);
        // An idle server hovers around Redis's 5 MB threshold: either report may come.
        assert!(
            [EMPTY_REPORT, NO_ISSUE_REPORT]
                .iter()
                .any(|report| reply == verbatim(report, resp3)),
            "{reply:?}"
        );
    }
}

#[test]
fn memory_doctor_judges_a_server_holding_data_by_its_own_figures() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes", "--save", ""]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["DEBUG", "POPULATE", "100000"]), "+OK\r\n");
    // Under libc malloc the resident size is the process's RSS, which holds the binary's pages
    // and the threads' stacks too: how far it is above the data depends on the build and the
    // machine (a debug build's code alone is megabytes). So the report is checked against the
    // figures MEMORY STATS gives, with Redis's rule for each issue: fragmentation past 1.1,
    // total RSS past 1.4, each with more than 10 MB to spare. They are read before and after
    // the report, as the RSS moves a little: only figures on the same side of a limit both
    // times decide.
    let mut stats_client = server.client();
    let mut verdicts = || {
        let stats = memory_stats(&mut stats_client, false);
        let (used, rss) = (
            integer(&stats, "allocator.allocated"),
            integer(&stats, "allocator.resident"),
        );
        let high = |limit: f64| rss as f64 / used as f64 > limit && rss - used > 10 << 20;
        (high(1.1), high(1.4))
    };
    let before = verdicts();
    let report = client.cmd(&["MEMORY", "DOCTOR"]);
    let after = verdicts();
    let (fragmented, total) = (before.0 && after.0, before.1 && after.1);
    let (clean, low_total) = (!before.0 && !after.0, !before.1 && !after.1);
    if clean {
        assert_eq!(report, verbatim(NO_ISSUE_REPORT, false));
    }
    if fragmented {
        assert!(
            report.contains("* High allocator fragmentation"),
            "{report}"
        );
    }
    if total {
        assert!(report.contains("* High total RSS"), "{report}");
    }
    if low_total {
        assert!(!report.contains("* High total RSS"), "{report}");
    }
    let report = raw(&server, true).cmd(&["memory", "doctor"]);
    assert!(
        report.starts_with("=") && report.contains("txt:"),
        "{report}"
    );
}

// ---------------------------------------------------------------- MALLOC-STATS, PURGE, HELP

#[test]
fn memory_malloc_stats_says_the_system_allocator_has_none_in_both_protocols() {
    let server = TestServer::start();
    let text = "Stats not supported for the current allocator";
    for resp3 in [false, true] {
        assert_eq!(
            raw(&server, resp3).cmd(&["MEMORY", "MALLOC-STATS"]),
            format!("${}\r\n{text}\r\n", text.len()),
            "resp3: {resp3}"
        );
    }
}

#[test]
fn memory_purge_replies_ok() {
    let server = TestServer::start();
    for resp3 in [false, true] {
        assert_eq!(raw(&server, resp3).cmd(&["MEMORY", "PURGE"]), "+OK\r\n");
    }
}

#[test]
fn memory_help_is_redis_text() {
    let server = TestServer::start();
    let mut expected = format!("*{}\r\n", HELP.len());
    for line in HELP {
        expected.push_str(&format!("+{line}\r\n"));
    }
    for resp3 in [false, true] {
        assert_eq!(raw(&server, resp3).cmd(&["MEMORY", "HELP"]), expected);
    }
}

// ---------------------------------------------------------------- USAGE

#[test]
fn memory_usage_estimates_a_key_and_grows_with_its_value() {
    let server = TestServer::start();
    let mut connection = server.client();
    let _: () = query(&mut connection, &["SET", "small", "v"]);
    let _: () = query(&mut connection, &["SET", "big", &"v".repeat(10_000)]);
    let small: i64 = query(&mut connection, &["MEMORY", "USAGE", "small"]);
    let big: i64 = query(&mut connection, &["MEMORY", "USAGE", "big", "SAMPLES", "0"]);
    assert!(small > 0, "{small}");
    assert!(big >= small + 9_999, "{big} vs {small}");
}

#[test]
fn memory_usage_of_a_missing_key_is_null() {
    let server = TestServer::start();
    assert_eq!(
        raw(&server, false).cmd(&["MEMORY", "USAGE", "missing"]),
        "$-1\r\n"
    );
    assert_eq!(
        raw(&server, true).cmd(&["MEMORY", "USAGE", "missing"]),
        "_\r\n"
    );
}

#[test]
fn memory_usage_rejects_bad_samples() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    let syntax = error("ERR syntax error");
    assert_eq!(
        client.cmd(&["MEMORY", "USAGE", "k", "SAMPLES", "-1"]),
        syntax
    );
    assert_eq!(client.cmd(&["MEMORY", "USAGE", "k", "SAMPLES"]), syntax);
    assert_eq!(client.cmd(&["MEMORY", "USAGE", "k", "NOPE", "1"]), syntax);
    assert_eq!(
        client.cmd(&["MEMORY", "USAGE", "k", "SAMPLES", "many"]),
        error("ERR value is not an integer or out of range")
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn memory_subcommands_check_their_arity() {
    let server = TestServer::start();
    let mut client = server.raw();
    for sub in ["stats", "doctor", "malloc-stats", "purge", "help"] {
        assert_eq!(
            client.cmd(&["MEMORY", sub, "extra"]),
            error(&format!(
                "ERR wrong number of arguments for 'memory|{sub}' command"
            ))
        );
    }
    assert_eq!(
        client.cmd(&["MEMORY", "USAGE"]),
        error("ERR wrong number of arguments for 'memory|usage' command")
    );
    assert_eq!(
        client.cmd(&["MEMORY"]),
        error("ERR wrong number of arguments for 'memory' command")
    );
}

#[test]
fn an_unknown_memory_subcommand_points_to_help() {
    let server = TestServer::start();
    assert_eq!(
        server.raw().cmd(&["MEMORY", "NOSUCH"]),
        error("ERR unknown subcommand 'NOSUCH'. Try MEMORY HELP.")
    );
}
