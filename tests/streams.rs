//! Streams stages 42–54 (STAGES.md): TYPE, XADD with explicit, partial and automatic IDs,
//! XRANGE with `-` and `+`, XREAD over one and several streams, and blocking XREAD with a
//! timeout, without one, and with `$`. Run one with `cargo test --test streams stage_52`.

mod common;

use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{TestServer, resp};

const TOO_SMALL: &str =
    "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n";

/// `[id, [field, value]]` as RESP.
fn entry(id: &str, field: &str, value: &str) -> String {
    format!(
        "*2\r\n${}\r\n{id}\r\n*2\r\n${}\r\n{field}\r\n${}\r\n{value}\r\n",
        id.len(),
        field.len(),
        value.len()
    )
}

/// An XREAD reply of one stream with `entries` (each from [`entry`]).
fn one_stream(key: &str, entries: &[String]) -> String {
    format!(
        "*1\r\n*2\r\n${}\r\n{key}\r\n*{}\r\n{}",
        key.len(),
        entries.len(),
        entries.concat()
    )
}

#[test]
fn stage_42_type_reports_string_or_none() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SET", "some_key", "v"]), "+OK\r\n");
    assert_eq!(client.cmd(&["TYPE", "some_key"]), "+string\r\n");
    assert_eq!(client.cmd(&["TYPE", "missing_key_v"]), "+none\r\n");
}

#[test]
fn stage_43_xadd_creates_a_stream() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["XADD", "k", "0-1", "foo", "bar"]),
        "$3\r\n0-1\r\n"
    );
    assert_eq!(client.cmd(&["TYPE", "k"]), "+stream\r\n");
}

#[test]
fn stage_44_xadd_validates_entry_ids() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["XADD", "k", "1-1", "a", "1"]), "$3\r\n1-1\r\n");
    assert_eq!(c.cmd(&["XADD", "k", "1-2", "a", "2"]), "$3\r\n1-2\r\n");
    assert_eq!(c.cmd(&["XADD", "k", "1-2", "a", "3"]), TOO_SMALL);
    assert_eq!(c.cmd(&["XADD", "k", "0-3", "a", "3"]), TOO_SMALL);
    assert_eq!(
        c.cmd(&["XADD", "k", "0-0", "a", "3"]),
        "-ERR The ID specified in XADD must be greater than 0-0\r\n"
    );
    assert_eq!(
        c.cmd(&["XLEN", "k"]),
        ":2\r\n",
        "nothing added by the refusals"
    );
}

#[test]
fn stage_45_xadd_generates_the_sequence_number() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["XADD", "k", "0-*", "a", "1"]), "$3\r\n0-1\r\n");
    assert_eq!(c.cmd(&["XADD", "k", "1-*", "a", "1"]), "$3\r\n1-0\r\n");
    assert_eq!(c.cmd(&["XADD", "k", "1-*", "a", "1"]), "$3\r\n1-1\r\n");
}

#[test]
fn stage_46_xadd_generates_the_whole_id_from_the_clock() {
    let server = TestServer::start();
    let mut c = server.raw();
    let reply = c.cmd(&["XADD", "k", "*", "foo", "bar"]);
    let id = reply.lines().nth(1).expect("a bulk string");
    let (ms, seq) = id.split_once('-').expect("ms-seq");
    assert_eq!(seq, "0");
    assert_eq!(ms.len(), 13, "{id}");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let ms: i64 = ms.parse().unwrap();
    assert!((now - ms).abs() < 1000, "{ms} is not now ({now})");
}

/// XADDs `k 0-1 .. 0-n`, entry i with `temperature i`.
fn numbered_entries(c: &mut common::Raw, n: usize) {
    for i in 1..=n {
        let id = format!("0-{i}");
        c.cmd(&["XADD", "k", &id, "temperature", &i.to_string()]);
    }
}

fn entries(range: std::ops::RangeInclusive<usize>) -> String {
    let count = range.clone().count();
    let body: String = range
        .map(|i| entry(&format!("0-{i}"), "temperature", &i.to_string()))
        .collect();
    format!("*{count}\r\n{body}")
}

#[test]
fn stage_47_xrange_lists_entries_between_two_ids() {
    let server = TestServer::start();
    let mut c = server.raw();
    numbered_entries(&mut c, 4);
    assert_eq!(c.cmd(&["XRANGE", "k", "0-2", "0-4"]), entries(2..=4));
}

#[test]
fn stage_48_xrange_starts_at_the_beginning_with_a_minus() {
    let server = TestServer::start();
    let mut c = server.raw();
    numbered_entries(&mut c, 4);
    assert_eq!(c.cmd(&["XRANGE", "k", "-", "0-2"]), entries(1..=2));
    assert_eq!(c.cmd(&["XRANGE", "k", "-", "0-3"]), entries(1..=3));
}

#[test]
fn stage_49_xrange_runs_to_the_end_with_a_plus() {
    let server = TestServer::start();
    let mut c = server.raw();
    numbered_entries(&mut c, 4);
    assert_eq!(c.cmd(&["XRANGE", "k", "0-2", "+"]), entries(2..=4));
    assert_eq!(c.cmd(&["XRANGE", "k", "0-1", "+"]), entries(1..=4));
}

#[test]
fn stage_50_xread_reads_one_stream() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["XADD", "k", "0-1", "temperature", "96"]);
    assert_eq!(
        c.cmd(&["XREAD", "streams", "k", "0-0"]),
        one_stream("k", &[entry("0-1", "temperature", "96")])
    );
}

#[test]
fn stage_51_xread_reads_several_streams() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.cmd(&["XADD", "k1", "0-1", "temperature", "0"]);
    c.cmd(&["XADD", "k2", "0-2", "humidity", "1"]);
    let expected = format!(
        "*2\r\n*2\r\n$2\r\nk1\r\n*1\r\n{}*2\r\n$2\r\nk2\r\n*1\r\n{}",
        entry("0-1", "temperature", "0"),
        entry("0-2", "humidity", "1")
    );
    assert_eq!(
        c.cmd(&["XREAD", "streams", "k1", "k2", "0-0", "0-1"]),
        expected
    );
}

#[test]
fn stage_52_xread_blocks_until_an_entry_arrives_or_the_timeout() {
    let server = TestServer::start();
    let (mut reader, mut writer) = (server.raw(), server.raw());
    writer.cmd(&["XADD", "k", "0-1", "temperature", "1"]);
    reader.send(&resp(&["XREAD", "block", "1000", "streams", "k", "0-1"]));
    thread::sleep(Duration::from_millis(500));
    writer.cmd(&["XADD", "k", "0-2", "temperature", "2"]);
    assert_eq!(
        reader.reply_text(),
        one_stream("k", &[entry("0-2", "temperature", "2")])
    );
    let started = Instant::now();
    assert_eq!(
        reader.cmd(&["XREAD", "block", "1000", "streams", "k", "0-2"]),
        "*-1\r\n"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1000) && waited < Duration::from_millis(1900),
        "{waited:?}"
    );
}

#[test]
fn stage_53_xread_block_0_waits_for_ever() {
    let server = TestServer::start();
    let (mut reader, mut writer) = (server.raw(), server.raw());
    writer.cmd(&["XADD", "k", "0-1", "temperature", "1"]);
    reader.send(&resp(&["XREAD", "block", "0", "streams", "k", "0-1"]));
    writer.wait_for_blocked(1);
    writer.cmd(&["XADD", "k", "0-2", "temperature", "2"]);
    assert_eq!(
        reader.reply_text(),
        one_stream("k", &[entry("0-2", "temperature", "2")])
    );
}

#[test]
fn stage_54_xread_dollar_reads_only_what_comes_after_the_call() {
    let server = TestServer::start();
    let (mut reader, mut writer) = (server.raw(), server.raw());
    writer.cmd(&["XADD", "k", "0-1", "temperature", "1"]);
    reader.send(&resp(&["XREAD", "block", "0", "streams", "k", "$"]));
    thread::sleep(Duration::from_millis(1000));
    writer.cmd(&["XADD", "k", "0-2", "temperature", "2"]);
    assert_eq!(
        reader.reply_text(),
        one_stream("k", &[entry("0-2", "temperature", "2")])
    );
    assert_eq!(
        reader.cmd(&["XREAD", "block", "1000", "streams", "k", "$"]),
        "*-1\r\n"
    );
}
