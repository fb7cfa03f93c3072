//! Transactions stages. Stages 55–57 (the INCR command) are what thredis supports so far;
//! MULTI/EXEC come with the transactions issue.

mod common;

use common::TestServer;

#[test]
fn stage_55_incr_adds_one_to_an_existing_number() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "foo", "41"]);
    assert_eq!(client.cmd(&["INCR", "foo"]), ":42\r\n");
}

#[test]
fn stage_56_incr_starts_a_missing_key_at_zero() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["INCR", "missing"]), ":1\r\n");
    assert_eq!(client.cmd(&["INCR", "missing"]), ":2\r\n");
    assert_eq!(client.cmd(&["GET", "missing"]), "$1\r\n2\r\n");
}

#[test]
fn stage_57_incr_on_a_non_number_is_an_error() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "word", "banana"]);
    assert_eq!(
        client.cmd(&["INCR", "word"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}
