//! LATENCY (`latency.rs`, `commands/latency.rs`) and INFO latencystats: events recorded past
//! `latency-monitor-threshold`, their history, reset, graph and doctor report, and the
//! per-command histograms behind LATENCY HISTOGRAM and INFO, cleared by CONFIG RESETSTAT.

mod common;

use common::TestServer;
use common::real_redis::Pair;

fn debug_server() -> TestServer {
    TestServer::with_args(&["--enable-debug-command", "yes"])
}

#[test]
fn slow_commands_become_command_events_past_the_threshold() {
    let server = debug_server();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["LATENCY", "LATEST"]),
        "*0\r\n",
        "threshold 0: nothing"
    );
    raw.cmd(&["DEBUG", "SLEEP", "0.05"]);
    assert_eq!(raw.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
    raw.run_all(&[&["CONFIG", "SET", "latency-monitor-threshold", "40"]]);
    raw.cmd(&["DEBUG", "SLEEP", "0.05"]);
    let latest = raw.cmd(&["LATENCY", "LATEST"]);
    assert!(
        latest.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n:"),
        "{latest}"
    );
    let history = raw.cmd(&["LATENCY", "HISTORY", "command"]);
    assert!(history.starts_with("*1\r\n*2\r\n:"), "{history}");
    let latency: u64 = history.split("\r\n").nth(3).unwrap()[1..].parse().unwrap();
    assert!((50..1000).contains(&latency), "{history}");
    assert_eq!(raw.cmd(&["LATENCY", "HISTORY", "nothing"]), "*0\r\n");
}

#[test]
fn reset_counts_the_events_it_forgets() {
    let server = debug_server();
    let mut raw = server.raw();
    raw.run_all(&[&["CONFIG", "SET", "latency-monitor-threshold", "10"]]);
    raw.cmd(&["DEBUG", "SLEEP", "0.02"]);
    assert_eq!(raw.cmd(&["LATENCY", "RESET", "nothing"]), ":0\r\n");
    assert_eq!(
        raw.cmd(&["LATENCY", "RESET", "command", "command"]),
        ":1\r\n"
    );
    raw.cmd(&["DEBUG", "SLEEP", "0.02"]);
    assert_eq!(raw.cmd(&["LATENCY", "RESET"]), ":1\r\n");
    assert_eq!(raw.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
}

#[test]
fn graph_and_doctor_describe_the_events() {
    let server = debug_server();
    let mut raw = server.raw();
    let doctor = raw.cmd(&["LATENCY", "DOCTOR"]);
    assert!(
        doctor.contains("I'm sorry, Dave, I can't do that."),
        "{doctor}"
    );
    assert_eq!(
        raw.cmd(&["LATENCY", "GRAPH", "command"]),
        "-ERR No samples available for event 'command'\r\n"
    );
    raw.run_all(&[&["CONFIG", "SET", "latency-monitor-threshold", "10"]]);
    raw.cmd(&["DEBUG", "SLEEP", "0.02"]);
    let graph = raw.cmd(&["LATENCY", "GRAPH", "command"]);
    assert!(graph.contains("command - high "), "{graph}");
    assert!(graph.contains(&"-".repeat(80)), "{graph}");
    let doctor = raw.cmd(&["LATENCY", "DOCTOR"]);
    assert!(
        doctor.contains("1. command: 1 latency spikes (average "),
        "{doctor}"
    );
    assert!(doctor.contains("I have a few advices for you:"), "{doctor}");
}

#[test]
fn histograms_count_calls_per_command_until_resetstat() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.run_all(&[
        &["CONFIG", "RESETSTAT"],
        &["SET", "a", "b"],
        &["SET", "c", "d"],
        &["CLIENT", "ID"],
    ]);
    let histogram = raw.cmd(&["LATENCY", "HISTOGRAM", "set", "nosuch", "client"]);
    assert!(
        histogram
            .starts_with("*4\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n"),
        "{histogram}"
    );
    assert!(
        histogram.contains("$9\r\nclient|id\r\n*4\r\n$5\r\ncalls\r\n:1\r\n"),
        "{histogram}"
    );
    let info = raw.cmd(&["INFO", "latencystats"]);
    assert!(info.contains("latency_percentiles_usec_set:p50="), "{info}");
    assert!(info.contains(",p99=") && info.contains(",p99.9="), "{info}");
    assert!(
        !raw.cmd(&["INFO"]).contains("Latencystats"),
        "not a default section"
    );
    raw.run_all(&[&["CONFIG", "RESETSTAT"]]);
    let histogram = raw.cmd(&["LATENCY", "HISTOGRAM"]);
    assert!(
        histogram.starts_with("*2\r\n$16\r\nconfig|resetstat\r\n"),
        "{histogram}"
    );
    raw.run_all(&[
        &[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "50 99.5",
        ],
        &["CONFIG", "SET", "latency-tracking", "no"],
    ]);
    let info = raw.cmd(&["INFO", "latencystats"]);
    assert!(!info.contains("latency_percentiles_usec_"), "{info}");
    raw.run_all(&[&["CONFIG", "SET", "latency-tracking", "yes"], &["GET", "a"]]);
    let info = raw.cmd(&["INFO", "latencystats"]);
    assert!(info.contains("latency_percentiles_usec_get:p50="), "{info}");
    assert!(
        info.contains(",p99.5=") && !info.contains("p99.9"),
        "{info}"
    );
}

#[test]
#[ignore = "needs redis-server: compares replies byte for byte"]
fn replies_match_redis_server() {
    let mut pair = Pair::new();
    pair.each(&[
        &["LATENCY", "HELP"],
        &["LATENCY", "HELP", "x"],
        &["LATENCY", "LATEST"],
        &["LATENCY", "HISTORY", "command"],
        &["LATENCY", "RESET", "a", "b"],
        &["LATENCY", "GRAPH", "command"],
        &["LATENCY", "DOCTOR"],
        &["LATENCY", "NOPE"],
        &["LATENCY", "HISTOGRAM", "nosuch"],
        &[
            "COMMAND",
            "INFO",
            "latency|latest",
            "latency|histogram",
            "latency|help",
        ],
        &["CONFIG", "SET", "latency-monitor-threshold", "5"],
        &["LATENCY", "DOCTOR"],
    ]);
}
