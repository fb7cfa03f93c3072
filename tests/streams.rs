//! Streams stages. Stage 42, the TYPE command, is what thredis supports so far.

mod common;

use common::TestServer;

#[test]
fn stage_42_type_reports_string_or_none() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["SET", "some_key", "v"]), "+OK\r\n");
    assert_eq!(client.cmd(&["TYPE", "some_key"]), "+string\r\n");
    assert_eq!(client.cmd(&["TYPE", "missing_key_v"]), "+none\r\n");
}
