//! The base stages 6 (SET and GET) and 7 (expiry), and every other string command: the SET
//! options, GETDEL, GETEX, GETSET, SETNX, SETEX, PSETEX, MGET, MSET, MSETNX, APPEND, STRLEN,
//! GETRANGE, SETRANGE, the INCR family and INCRBYFLOAT. Every expected reply was first checked
//! against a real redis-server 7.0.15.

mod common;

use std::time::Duration;

use common::{TestServer, error, query, wait_until};

const NOT_INTEGER: &str = "-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";

// ---------------------------------------------------------------- stages 6 and 7

#[test]
fn stage_6_set_then_get_returns_the_value() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SET", "foo", "bar"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "foo"]), "$3\r\nbar\r\n");
}

#[test]
fn stage_7_a_key_set_with_px_expires() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["SET", "fruit", "mango", "PX", "100"]),
        "+OK\r\n"
    );
    assert_eq!(client.cmd(&["GET", "fruit"]), "$5\r\nmango\r\n");
    assert!(
        wait_until(Duration::from_secs(5), || client.cmd(&["GET", "fruit"])
            == "$-1\r\n"),
        "the key outlived its 100 ms"
    );
}

#[test]
fn get_of_a_missing_key_is_null() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["GET", "nope"]), "$-1\r\n");
    let value: Option<String> = query(&mut server.client(), &["GET", "nope"]);
    assert_eq!(value, None);
}

#[test]
fn set_overwrites_and_drops_the_old_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "one", "EX", "100"]);
    let _: () = query(&mut c, &["SET", "k", "two"]);
    assert_eq!(query::<String>(&mut c, &["GET", "k"]), "two");
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), -1);
}

// ---------------------------------------------------------------- SET options

#[test]
fn set_ex_and_px_set_a_relative_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 100);
    let _: () = query(&mut c, &["SET", "k", "v", "px", "100000"]);
    let pttl: i64 = query(&mut c, &["PTTL", "k"]);
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
}

#[test]
fn set_exat_and_pxat_set_an_absolute_expiry_time() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v", "EXAT", "9999999999"]);
    assert_eq!(query::<i64>(&mut c, &["EXPIRETIME", "k"]), 9_999_999_999);
    let _: () = query(&mut c, &["SET", "k", "v", "PXAT", "9999999999123"]);
    assert_eq!(
        query::<i64>(&mut c, &["PEXPIRETIME", "k"]),
        9_999_999_999_123
    );
}

#[test]
fn set_with_an_absolute_time_in_the_past_leaves_no_key() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SET", "k", "v", "EXAT", "1"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$-1\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
}

#[test]
fn set_nx_only_creates_and_xx_only_overwrites() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SET", "k", "v", "XX"]), "$-1\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
    assert_eq!(client.cmd(&["SET", "k", "v1", "NX"]), "+OK\r\n");
    assert_eq!(client.cmd(&["SET", "k", "v2", "NX"]), "$-1\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$2\r\nv1\r\n");
    assert_eq!(client.cmd(&["SET", "k", "v3", "xx"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$2\r\nv3\r\n");
}

#[test]
fn set_get_returns_the_old_value_whether_or_not_it_sets() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SET", "k", "v1", "GET"]), "$-1\r\n");
    assert_eq!(client.cmd(&["SET", "k", "v2", "GET"]), "$2\r\nv1\r\n");
    // NX refuses (the key exists) but GET still answers with the value.
    assert_eq!(client.cmd(&["SET", "k", "v3", "NX", "GET"]), "$2\r\nv2\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$2\r\nv2\r\n");
    assert_eq!(client.cmd(&["SET", "new", "v", "XX", "GET"]), "$-1\r\n");
    assert_eq!(client.cmd(&["EXISTS", "new"]), ":0\r\n");
    assert_eq!(
        client.cmd(&["SET", "k", "v4", "GET", "GET"]),
        "$2\r\nv2\r\n"
    );
}

#[test]
fn set_keepttl_keeps_the_time_to_live() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v", "EX", "100"]);
    let _: () = query(&mut c, &["SET", "k", "v2", "KEEPTTL"]);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 100);
    assert_eq!(query::<String>(&mut c, &["GET", "k"]), "v2");
}

#[test]
fn set_repeating_the_same_expiry_option_keeps_the_last() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v", "EX", "10", "EX", "20"]);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 20);
}

#[test]
fn set_rejects_incompatible_options_as_a_syntax_error() {
    let server = TestServer::start();
    let mut client = server.raw();
    for args in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX", "10", "PX", "100"],
        &["SET", "k", "v", "EX", "10", "EXAT", "99999999999"],
        &["SET", "k", "v", "KEEPTTL", "PX", "10"],
        &["SET", "k", "v", "PX", "10", "KEEPTTL"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "BOGUS"],
        &["SET", "k", "v", "10"],
    ] {
        assert_eq!(client.cmd(args), SYNTAX, "{args:?}");
    }
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n", "nothing was set");
}

#[test]
fn set_rejects_non_positive_and_overflowing_expire_times() {
    let server = TestServer::start();
    let mut client = server.raw();
    let invalid = error("ERR invalid expire time in 'set' command");
    for args in [
        &["SET", "k", "v", "EX", "0"][..],
        &["SET", "k", "v", "EX", "-1"],
        &["SET", "k", "v", "PX", "0"],
        &["SET", "k", "v", "EXAT", "0"],
        &["SET", "k", "v", "PXAT", "-5"],
        &["SET", "k", "v", "EX", "9223372036854775807"],
        &["SET", "k", "v", "PX", "9223372036854775807"],
        &["SET", "k", "v", "EXAT", "9223372036854775807"],
    ] {
        assert_eq!(client.cmd(args), invalid, "{args:?}");
    }
    assert_eq!(client.cmd(&["SET", "k", "v", "EX", "abc"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["SET", "k", "v", "EX", "1.5"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
}

#[test]
fn set_needs_a_key_and_a_value() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["SET", "k"]),
        error("ERR wrong number of arguments for 'set' command")
    );
}

// ---------------------------------------------------------------- GETDEL, GETEX, GETSET

#[test]
fn getdel_returns_the_value_and_deletes_the_key() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(client.cmd(&["GETDEL", "k"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
    assert_eq!(client.cmd(&["GETDEL", "k"]), "$-1\r\n");
}

#[test]
fn getex_without_options_is_get() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(query::<String>(&mut c, &["GETEX", "k"]), "v");
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 100);
    assert_eq!(query::<Option<String>>(&mut c, &["GETEX", "missing"]), None);
}

#[test]
fn getex_sets_each_kind_of_expiry() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v"]);
    assert_eq!(query::<String>(&mut c, &["GETEX", "k", "EX", "100"]), "v");
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 100);
    assert_eq!(
        query::<String>(&mut c, &["GETEX", "k", "PX", "200000"]),
        "v"
    );
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 200);
    let _: String = query(&mut c, &["GETEX", "k", "EXAT", "9999999999"]);
    assert_eq!(query::<i64>(&mut c, &["EXPIRETIME", "k"]), 9_999_999_999);
    let _: String = query(&mut c, &["GETEX", "k", "PXAT", "9999999999500"]);
    assert_eq!(
        query::<i64>(&mut c, &["PEXPIRETIME", "k"]),
        9_999_999_999_500
    );
}

#[test]
fn getex_persist_removes_the_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(query::<String>(&mut c, &["GETEX", "k", "PERSIST"]), "v");
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), -1);
}

#[test]
fn getex_with_a_past_absolute_time_returns_the_value_and_deletes_the_key() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(client.cmd(&["GETEX", "k", "EXAT", "1"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
    client.cmd(&["SET", "k", "v"]);
    assert_eq!(client.cmd(&["GETEX", "k", "PXAT", "1"]), "$1\r\nv\r\n");
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
}

#[test]
fn getex_rejects_bad_options_and_times() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    for args in [
        &["GETEX", "k", "PERSIST", "EX", "10"][..],
        &["GETEX", "k", "EX", "10", "PERSIST"],
        &["GETEX", "k", "EX", "10", "PX", "10"],
        &["GETEX", "k", "EX"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "missing", "BOGUS"],
    ] {
        assert_eq!(client.cmd(args), SYNTAX, "{args:?}");
    }
    let invalid = error("ERR invalid expire time in 'getex' command");
    assert_eq!(client.cmd(&["GETEX", "k", "EX", "0"]), invalid);
    assert_eq!(client.cmd(&["GETEX", "k", "PX", "-1"]), invalid);
    assert_eq!(
        client.cmd(&["GETEX", "k", "EX", "9223372036854775807"]),
        invalid
    );
    assert_eq!(client.cmd(&["GETEX", "k", "PX", "abc"]), NOT_INTEGER);
    // A missing key is null before the time is even looked at.
    assert_eq!(client.cmd(&["GETEX", "missing", "EX", "0"]), "$-1\r\n");
    assert_eq!(
        client.cmd(&["TTL", "k"]),
        ":-1\r\n",
        "errors change nothing"
    );
}

#[test]
fn getset_returns_the_old_value_and_clears_the_ttl() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["GETSET", "k", "one"]), "$-1\r\n");
    client.cmd(&["EXPIRE", "k", "100"]);
    assert_eq!(client.cmd(&["GETSET", "k", "two"]), "$3\r\none\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$3\r\ntwo\r\n");
    assert_eq!(client.cmd(&["TTL", "k"]), ":-1\r\n");
}

// ---------------------------------------------------------------- SETNX, SETEX, PSETEX

#[test]
fn setnx_sets_only_a_missing_key() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SETNX", "k", "first"]), ":1\r\n");
    assert_eq!(client.cmd(&["SETNX", "k", "second"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$5\r\nfirst\r\n");
}

#[test]
fn setex_and_psetex_set_value_and_ttl_together() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SETEX", "s", "100", "v"]);
    assert_eq!(query::<i64>(&mut c, &["TTL", "s"]), 100);
    assert_eq!(query::<String>(&mut c, &["GET", "s"]), "v");
    let _: () = query(&mut c, &["PSETEX", "p", "100000", "w"]);
    let pttl: i64 = query(&mut c, &["PTTL", "p"]);
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(query::<String>(&mut c, &["GET", "p"]), "w");
}

#[test]
fn ttl_rounds_to_the_nearest_second() {
    let server = TestServer::start();
    let mut c = server.client();
    // Margins of 400 ms either way, so a slow machine cannot change the answer.
    let _: () = query(&mut c, &["PSETEX", "k", "2900", "v"]);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 3, "2.9 s rounds up");
    let _: () = query(&mut c, &["PSETEX", "k", "1100", "v"]);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 1, "1.1 s rounds down");
}

#[test]
fn setex_and_psetex_reject_bad_times() {
    let server = TestServer::start();
    let mut client = server.raw();
    let setex = error("ERR invalid expire time in 'setex' command");
    let psetex = error("ERR invalid expire time in 'psetex' command");
    assert_eq!(client.cmd(&["SETEX", "k", "0", "v"]), setex);
    assert_eq!(client.cmd(&["SETEX", "k", "-1", "v"]), setex);
    assert_eq!(
        client.cmd(&["SETEX", "k", "9223372036854775807", "v"]),
        setex
    );
    assert_eq!(client.cmd(&["SETEX", "k", "abc", "v"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["PSETEX", "k", "0", "v"]), psetex);
    assert_eq!(
        client.cmd(&["PSETEX", "k", "9223372036854775807", "v"]),
        psetex
    );
    assert_eq!(client.cmd(&["EXISTS", "k"]), ":0\r\n");
}

// ---------------------------------------------------------------- MGET, MSET, MSETNX

#[test]
fn mset_sets_all_and_mget_reads_all_with_nulls_for_missing_keys() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["MSET", "a", "1", "b", "2"]);
    let values: Vec<Option<String>> = query(&mut c, &["MGET", "a", "missing", "b"]);
    assert_eq!(values, [Some("1".into()), None, Some("2".into())]);
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["MGET", "a", "missing"]),
        "*2\r\n$1\r\n1\r\n$-1\r\n"
    );
}

#[test]
fn mset_clears_ttls_and_the_last_value_for_a_key_wins() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "a", "old", "EX", "100"]);
    let _: () = query(&mut c, &["MSET", "a", "1", "a", "2"]);
    assert_eq!(query::<String>(&mut c, &["GET", "a"]), "2");
    assert_eq!(query::<i64>(&mut c, &["TTL", "a"]), -1);
}

#[test]
fn msetnx_sets_all_keys_or_none() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["MSETNX", "a", "1", "b", "2"]), ":1\r\n");
    assert_eq!(client.cmd(&["MSETNX", "b", "x", "c", "3"]), ":0\r\n");
    assert_eq!(client.cmd(&["EXISTS", "c"]), ":0\r\n", "none were set");
    assert_eq!(client.cmd(&["GET", "b"]), "$1\r\n2\r\n");
    // The same new key twice: both pairs apply, the last wins.
    assert_eq!(client.cmd(&["MSETNX", "x", "1", "x", "2"]), ":1\r\n");
    assert_eq!(client.cmd(&["GET", "x"]), "$1\r\n2\r\n");
}

#[test]
fn mset_and_msetnx_with_an_odd_number_of_arguments_are_arity_errors() {
    let server = TestServer::start();
    let mut client = server.raw();
    let mset = error("ERR wrong number of arguments for 'mset' command");
    let msetnx = error("ERR wrong number of arguments for 'msetnx' command");
    assert_eq!(client.cmd(&["MSET", "a", "1", "b"]), mset);
    assert_eq!(client.cmd(&["MSET", "a"]), mset);
    assert_eq!(client.cmd(&["MSETNX", "a", "1", "b"]), msetnx);
    assert_eq!(client.cmd(&["MSETNX", "a"]), msetnx);
    assert_eq!(client.cmd(&["EXISTS", "a"]), ":0\r\n");
}

// ---------------------------------------------------------------- APPEND, STRLEN

#[test]
fn append_creates_or_extends_and_returns_the_length() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(query::<i64>(&mut c, &["APPEND", "k", "hello"]), 5);
    assert_eq!(query::<i64>(&mut c, &["APPEND", "k", " world"]), 11);
    assert_eq!(query::<String>(&mut c, &["GET", "k"]), "hello world");
    assert_eq!(query::<i64>(&mut c, &["STRLEN", "k"]), 11);
    assert_eq!(query::<i64>(&mut c, &["STRLEN", "missing"]), 0);
}

#[test]
fn append_keeps_the_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "k", "a", "EX", "100"]);
    let _: i64 = query(&mut c, &["APPEND", "k", "b"]);
    assert_eq!(query::<i64>(&mut c, &["TTL", "k"]), 100);
}

// ---------------------------------------------------------------- GETRANGE, SUBSTR, SETRANGE

#[test]
fn getrange_takes_inclusive_offsets_counted_from_either_end() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "s", "Hello World"]);
    for (start, end, expected) in [
        ("0", "4", "Hello"),
        ("-5", "-1", "World"),
        ("0", "-1", "Hello World"),
        ("10", "10", "d"),
        ("-1", "-1", "d"),
        ("5", "2", ""),
        ("-1", "-5", ""),
        ("0", "100", "Hello World"),
        ("100", "200", ""),
        ("11", "11", ""),
        ("-100", "2", "Hel"),
        ("-100", "-50", "H"),
        ("0", "-100", "H"),
        ("-9223372036854775808", "9223372036854775807", "Hello World"),
    ] {
        let got: String = query(&mut c, &["GETRANGE", "s", start, end]);
        assert_eq!(got, expected, "GETRANGE s {start} {end}");
    }
    assert_eq!(query::<String>(&mut c, &["SUBSTR", "s", "-3", "-1"]), "rld");
}

#[test]
fn getrange_of_a_missing_or_empty_string_is_empty() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["GETRANGE", "missing", "0", "-1"]),
        "$0\r\n\r\n"
    );
    client.cmd(&["SET", "e", ""]);
    assert_eq!(client.cmd(&["GETRANGE", "e", "0", "0"]), "$0\r\n\r\n");
    assert_eq!(client.cmd(&["GETRANGE", "e", "-1", "0"]), "$0\r\n\r\n");
    assert_eq!(client.cmd(&["GETRANGE", "e", "a", "0"]), NOT_INTEGER);
    assert_eq!(client.cmd(&["GETRANGE", "missing", "0", "x"]), NOT_INTEGER);
}

#[test]
fn setrange_overwrites_in_place_and_pads_with_zero_bytes() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "s", "Hello World"]);
    assert_eq!(query::<i64>(&mut c, &["SETRANGE", "s", "6", "Redis"]), 11);
    assert_eq!(query::<String>(&mut c, &["GET", "s"]), "Hello Redis");
    assert_eq!(query::<i64>(&mut c, &["SETRANGE", "s", "11", "!!"]), 13);
    assert_eq!(query::<i64>(&mut c, &["SETRANGE", "pad", "5", "x"]), 6);
    assert_eq!(query::<Vec<u8>>(&mut c, &["GET", "pad"]), b"\0\0\0\0\0x");
}

#[test]
fn setrange_with_an_empty_value_creates_nothing_and_returns_the_length() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SETRANGE", "none", "0", ""]), ":0\r\n");
    assert_eq!(client.cmd(&["SETRANGE", "none", "100", ""]), ":0\r\n");
    assert_eq!(client.cmd(&["EXISTS", "none"]), ":0\r\n");
    client.cmd(&["SET", "s", "abc"]);
    assert_eq!(client.cmd(&["SETRANGE", "s", "100", ""]), ":3\r\n");
    assert_eq!(client.cmd(&["STRLEN", "s"]), ":3\r\n");
}

#[test]
fn setrange_rejects_negative_and_oversized_offsets() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "s", "abc"]);
    let out_of_range = error("ERR offset is out of range");
    assert_eq!(client.cmd(&["SETRANGE", "s", "-1", "x"]), out_of_range);
    assert_eq!(client.cmd(&["SETRANGE", "s", "-1", ""]), out_of_range);
    assert_eq!(client.cmd(&["SETRANGE", "s", "abc", "x"]), NOT_INTEGER);
    // proto-max-bulk-len is 512 MB: the result may be at most that long.
    let too_big = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    assert_eq!(client.cmd(&["SETRANGE", "s", "536870912", "x"]), too_big);
    assert_eq!(client.cmd(&["SETRANGE", "new", "536870912", "x"]), too_big);
    assert_eq!(
        client.cmd(&["SETRANGE", "new", "9223372036854775807", "x"]),
        too_big
    );
    assert_eq!(client.cmd(&["EXISTS", "new"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "s"]), "$3\r\nabc\r\n");
}

// ---------------------------------------------------------------- INCR family

#[test]
fn incr_and_decr_count_from_zero_and_by_any_amount() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(query::<i64>(&mut c, &["INCR", "n"]), 1);
    assert_eq!(query::<i64>(&mut c, &["INCRBY", "n", "10"]), 11);
    assert_eq!(query::<i64>(&mut c, &["DECR", "n"]), 10);
    assert_eq!(query::<i64>(&mut c, &["DECRBY", "n", "15"]), -5);
    assert_eq!(query::<i64>(&mut c, &["INCRBY", "n", "-5"]), -10);
    assert_eq!(query::<i64>(&mut c, &["DECRBY", "n", "-20"]), 10);
    assert_eq!(query::<i64>(&mut c, &["DECR", "fresh"]), -1);
    assert_eq!(query::<String>(&mut c, &["GET", "n"]), "10");
}

#[test]
fn incr_keeps_the_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "n", "5", "EX", "100"]);
    assert_eq!(query::<i64>(&mut c, &["INCR", "n"]), 6);
    assert_eq!(query::<i64>(&mut c, &["TTL", "n"]), 100);
}

#[test]
fn incr_overflow_at_the_i64_bounds_is_an_error_and_changes_nothing() {
    let server = TestServer::start();
    let mut client = server.raw();
    let overflow = error("ERR increment or decrement would overflow");
    client.cmd(&["SET", "max", "9223372036854775807"]);
    assert_eq!(client.cmd(&["INCR", "max"]), overflow);
    assert_eq!(client.cmd(&["INCRBY", "max", "1"]), overflow);
    assert_eq!(
        client.cmd(&["GET", "max"]),
        "$19\r\n9223372036854775807\r\n"
    );
    client.cmd(&["SET", "min", "-9223372036854775808"]);
    assert_eq!(client.cmd(&["DECR", "min"]), overflow);
    assert_eq!(client.cmd(&["DECRBY", "min", "1"]), overflow);
    assert_eq!(client.cmd(&["INCRBY", "min", "-1"]), overflow);
    assert_eq!(
        client.cmd(&["INCRBY", "fresh", "-9223372036854775808"]),
        ":-9223372036854775808\r\n"
    );
}

#[test]
fn decrby_of_i64_min_cannot_be_negated() {
    let server = TestServer::start();
    let mut client = server.raw();
    let error_line = error("ERR decrement would overflow");
    assert_eq!(
        client.cmd(&["DECRBY", "x", "-9223372036854775808"]),
        error_line
    );
    assert_eq!(client.cmd(&["EXISTS", "x"]), ":0\r\n");
    assert_eq!(
        client.cmd(&["DECRBY", "x", "9223372036854775807"]),
        ":-9223372036854775807\r\n"
    );
}

#[test]
fn incr_accepts_only_canonical_integers() {
    let server = TestServer::start();
    let mut client = server.raw();
    for value in [
        " 1",
        "1 ",
        "01",
        "1.0",
        "+1",
        "-0",
        "abc",
        "",
        "9223372036854775808",
    ] {
        client.cmd(&["SET", "s", value]);
        assert_eq!(client.cmd(&["INCR", "s"]), NOT_INTEGER, "{value:?}");
    }
    client.cmd(&["SET", "n", "1"]);
    for by in ["abc", "1.5", " 1", "9223372036854775808"] {
        assert_eq!(client.cmd(&["INCRBY", "n", by]), NOT_INTEGER, "{by:?}");
        assert_eq!(client.cmd(&["DECRBY", "n", by]), NOT_INTEGER, "{by:?}");
    }
    assert_eq!(client.cmd(&["GET", "n"]), "$1\r\n1\r\n");
}

// ---------------------------------------------------------------- INCRBYFLOAT

#[test]
fn incrbyfloat_prints_the_result_as_a_person_would_write_it() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "f", "10.5"]);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "f", "0.1"]), "$4\r\n10.6\r\n");
    assert_eq!(client.cmd(&["INCRBYFLOAT", "f", "-5.1"]), "$3\r\n5.5\r\n");
    client.cmd(&["SET", "g", "5.0e3"]);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "g", "2.0e2"]), "$4\r\n5200\r\n");
    client.cmd(&["SET", "h", "3"]);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "h", "-3"]), "$1\r\n0\r\n");
    assert_eq!(
        client.cmd(&["INCRBYFLOAT", "new", "-2.5"]),
        "$4\r\n-2.5\r\n"
    );
    assert_eq!(
        client.cmd(&["INCRBYFLOAT", "tiny", "1.1e-10"]),
        "$13\r\n0.00000000011\r\n"
    );
    client.cmd(&["SET", "big", "1"]);
    assert_eq!(
        client.cmd(&["INCRBYFLOAT", "big", "1e20"]),
        "$21\r\n100000000000000000000\r\n"
    );
    assert_eq!(
        client.cmd(&["GET", "f"]),
        "$3\r\n5.5\r\n",
        "stored as shown"
    );
}

#[test]
fn incrbyfloat_computes_in_long_double_as_redis_does() {
    let server = TestServer::start();
    let mut client = server.raw();
    // 64 significant bits: the rounding of 0.1 + 0.2 stays below the 17 decimals printed...
    client.cmd(&["SET", "f", "0.1"]);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "f", "0.2"]), "$3\r\n0.3\r\n");
    // ...18 significant digits survive, which no f64 holds...
    client.cmd(&["SET", "g", "1.23456789012345678"]);
    assert_eq!(
        client.cmd(&["INCRBYFLOAT", "g", "0"]),
        "$19\r\n1.23456789012345678\r\n"
    );
    // ...but past 1000 the 17th decimal shows the binary rounding, in Redis too.
    client.cmd(&["SET", "h", "10.6"]);
    assert_eq!(
        client.cmd(&["INCRBYFLOAT", "h", "1000"]),
        "$22\r\n1010.59999999999999998\r\n"
    );
    // And the range is long double's: 1e400 is a finite number.
    let reply = client.cmd(&["INCRBYFLOAT", "big", "1e400"]);
    assert!(
        reply.starts_with("$401\r\n10000000000000000000281880683947586514586453"),
        "{reply}"
    );
}

#[test]
fn incrbyfloat_keeps_the_ttl() {
    let server = TestServer::start();
    let mut c = server.client();
    let _: () = query(&mut c, &["SET", "f", "1", "EX", "100"]);
    assert_eq!(query::<String>(&mut c, &["INCRBYFLOAT", "f", "1.5"]), "2.5");
    assert_eq!(query::<i64>(&mut c, &["TTL", "f"]), 100);
}

#[test]
fn incrbyfloat_refuses_to_produce_nan_or_infinity() {
    let server = TestServer::start();
    let mut client = server.raw();
    let error_line = error("ERR increment would produce NaN or Infinity");
    client.cmd(&["SET", "f", "1"]);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "f", "inf"]), error_line);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "f", "-inf"]), error_line);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "f", "infinity"]), error_line);
    client.cmd(&["SET", "i", "inf"]);
    assert_eq!(client.cmd(&["INCRBYFLOAT", "i", "1"]), error_line);
    assert_eq!(client.cmd(&["GET", "f"]), "$1\r\n1\r\n");
}

#[test]
fn incrbyfloat_rejects_what_is_not_a_float() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "f", "1"]);
    for by in ["abc", "nan", "NaN", " 1", "1 ", "1.5x", ""] {
        assert_eq!(client.cmd(&["INCRBYFLOAT", "f", by]), NOT_FLOAT, "{by:?}");
    }
    for value in ["abc", " 1", "1,5"] {
        client.cmd(&["SET", "w", value]);
        assert_eq!(
            client.cmd(&["INCRBYFLOAT", "w", "1"]),
            NOT_FLOAT,
            "{value:?}"
        );
    }
    assert_eq!(client.cmd(&["GET", "f"]), "$1\r\n1\r\n");
}

#[test]
fn incrbyfloat_reads_what_strtold_reads() {
    let server = TestServer::start();
    let mut client = server.raw();
    for (by, expected) in [
        (".5", "$3\r\n0.5\r\n"),
        ("5.", "$1\r\n5\r\n"),
        ("+1", "$1\r\n1\r\n"),
        ("1E2", "$3\r\n100\r\n"),
        ("0x10", "$2\r\n16\r\n"),
        ("1e-400", "$1\r\n0\r\n"),
    ] {
        client.cmd(&["DEL", "f"]);
        assert_eq!(client.cmd(&["INCRBYFLOAT", "f", by]), expected, "{by:?}");
    }
}

// ---------------------------------------------------------------- binary safety, RESP3

#[test]
fn keys_and_values_are_binary_safe() {
    let server = TestServer::start();
    let mut c = server.client();
    let value: &[u8] = b"a\0b\r\n\xff";
    let _: () = redis::cmd("SET")
        .arg(&b"k\0ey"[..])
        .arg(value)
        .query(&mut c)
        .unwrap();
    let got: Vec<u8> = redis::cmd("GET").arg(&b"k\0ey"[..]).query(&mut c).unwrap();
    assert_eq!(got, value);
    assert_eq!(query::<Option<String>>(&mut c, &["GET", "k"]), None);
    let length: i64 = redis::cmd("STRLEN")
        .arg(&b"k\0ey"[..])
        .query(&mut c)
        .unwrap();
    assert_eq!(length, 6);
    let appended: i64 = redis::cmd("APPEND")
        .arg(&b"k\0ey"[..])
        .arg(&b"\0\0"[..])
        .query(&mut c)
        .unwrap();
    assert_eq!(appended, 8);
    let middle: Vec<u8> = redis::cmd("GETRANGE")
        .arg(&b"k\0ey"[..])
        .arg(1)
        .arg(2)
        .query(&mut c)
        .unwrap();
    assert_eq!(middle, b"\0b");
}

#[test]
fn resp3_clients_get_the_resp3_null() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["HELLO", "3"]);
    client.cmd(&["SET", "k", "v"]);
    for args in [
        &["GET", "missing"][..],
        &["GETDEL", "missing"],
        &["GETEX", "missing"],
        &["GETSET", "new", "v"],
        &["SET", "k", "v", "NX"],
        &["SET", "missing", "v", "XX"],
        &["SET", "missing", "v", "XX", "GET"],
    ] {
        assert_eq!(client.cmd(args), "_\r\n", "{args:?}");
    }
    assert_eq!(
        client.cmd(&["MGET", "missing", "k"]),
        "*2\r\n_\r\n$1\r\nv\r\n"
    );
    let mut c = server.client_resp3();
    assert_eq!(query::<Option<String>>(&mut c, &["GET", "missing"]), None);
}

#[test]
fn string_commands_check_their_arity() {
    let server = TestServer::start();
    let mut client = server.raw();
    for args in [
        &["GET"][..],
        &["GET", "a", "b"],
        &["GETDEL"],
        &["GETEX"],
        &["GETSET", "k"],
        &["SETNX", "k"],
        &["SETEX", "k", "10"],
        &["PSETEX", "k", "10"],
        &["MGET"],
        &["MSET"],
        &["MSETNX"],
        &["APPEND", "k"],
        &["STRLEN"],
        &["GETRANGE", "k", "0"],
        &["SUBSTR", "k", "0"],
        &["SETRANGE", "k", "0"],
        &["INCR"],
        &["DECR", "a", "b"],
        &["INCRBY", "k"],
        &["DECRBY", "k"],
        &["INCRBYFLOAT", "k"],
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
