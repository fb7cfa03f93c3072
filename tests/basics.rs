//! The base stages 1–5 (bind to a port, PING, several PINGs, concurrent clients, ECHO), and the
//! connection-level behaviour every client relies on: pipelining, unknown commands, QUIT,
//! SELECT and the HELLO handshake.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::thread;

use common::{TestServer, resp};

#[test]
fn stage_1_binds_to_a_port() {
    let server = TestServer::start();
    assert!(TcpStream::connect(("127.0.0.1", server.port)).is_ok());
}

#[test]
fn stage_1_listens_on_6379_by_default() {
    // The course starts the server with no flags. Port 6379 may be taken on this machine, so
    // check the configuration rather than bind it.
    let config = thredis::Config::default();
    assert_eq!(thredis::Config::get(&config.port), 6379);
}

#[test]
fn stage_2_ping_answers_pong() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.command(&["PING"]), b"+PONG\r\n");
}

#[test]
fn stage_3_answers_several_pings_on_one_connection() {
    let server = TestServer::start();
    let mut client = server.raw();
    for _ in 0..3 {
        assert_eq!(client.command(&["PING"]), b"+PONG\r\n");
    }
}

#[test]
fn stage_4_serves_concurrent_clients() {
    let server = TestServer::start();
    let (mut c1, mut c2) = (server.raw(), server.raw());
    assert_eq!(c1.command(&["PING"]), b"+PONG\r\n");
    assert_eq!(c2.command(&["PING"]), b"+PONG\r\n");
    assert_eq!(c1.command(&["PING"]), b"+PONG\r\n");
    assert_eq!(c1.command(&["PING"]), b"+PONG\r\n");
    assert_eq!(c2.command(&["PING"]), b"+PONG\r\n");
    let mut c3 = server.raw();
    assert_eq!(c3.command(&["PING"]), b"+PONG\r\n");
}

#[test]
fn stage_5_echo_returns_its_argument() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.command(&["ECHO", "hey"]), b"$3\r\nhey\r\n");
    assert_eq!(client.command(&["echo", ""]), b"$0\r\n\r\n");
}

#[test]
fn ping_with_a_message_echoes_it() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.command(&["PING", "hello"]), b"$5\r\nhello\r\n");
    assert_eq!(
        client.cmd(&["PING", "a", "b"]),
        "-ERR wrong number of arguments for 'ping' command\r\n"
    );
}

#[test]
fn inline_commands_work_like_telnet() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.send(b"PING\r\n");
    assert_eq!(client.reply(), b"+PONG\r\n");
    client.send(b"echo \"two words\"\n");
    assert_eq!(client.reply(), b"$9\r\ntwo words\r\n");
}

#[test]
fn command_names_ignore_case() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.command(&["pInG"]), b"+PONG\r\n");
}

#[test]
fn unknown_command_keeps_the_connection_open() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["FOOBAR1"]),
        "-ERR unknown command 'FOOBAR1', with args beginning with: \r\n"
    );
    assert_eq!(
        client.cmd(&["foo", "a", "b"]),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(client.command(&["PING"]), b"+PONG\r\n");
}

#[test]
fn wrong_arity_names_the_command_in_lowercase() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "GET"]),
        "-ERR wrong number of arguments for 'config|get' command\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "BOGUS"]),
        "-ERR unknown subcommand 'BOGUS'. Try CONFIG HELP.\r\n"
    );
}

#[test]
fn a_thousand_pipelined_commands_get_their_replies_in_order() {
    let server = TestServer::start();
    let mut client = server.raw();
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend(resp(&["SET", &format!("k{i}"), &i.to_string()]));
        batch.extend(resp(&["GET", &format!("k{i}")]));
    }
    client.send(&batch);
    for i in 0..1000 {
        assert_eq!(client.reply(), b"+OK\r\n");
        let value = i.to_string();
        assert_eq!(
            client.reply(),
            format!("${}\r\n{value}\r\n", value.len()).as_bytes()
        );
    }
}

#[test]
fn fifty_clients_incrementing_one_key_lose_no_update() {
    let server = TestServer::start();
    let port = server.port;
    let workers: Vec<_> = (0..50)
        .map(|_| {
            thread::spawn(move || {
                let mut client = common::Raw::connect(port);
                for _ in 0..200 {
                    assert!(client.cmd(&["INCR", "counter"]).starts_with(':'));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let mut client = server.raw();
    assert_eq!(client.cmd(&["GET", "counter"]), "$5\r\n10000\r\n");
}

#[test]
fn quit_replies_ok_then_closes_and_ignores_what_follows() {
    let server = TestServer::start();
    let mut client = server.raw();
    let mut pipeline = resp(&["SET", "a", "1"]);
    pipeline.extend(resp(&["QUIT"]));
    pipeline.extend(resp(&["SET", "a", "2"]));
    client.send(&pipeline);
    assert_eq!(client.read_to_close(), b"+OK\r\n+OK\r\n");
    assert_eq!(server.raw().cmd(&["GET", "a"]), "$1\r\n1\r\n");
}

#[test]
fn select_switches_between_sixteen_databases() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.command(&["SET", "k", "zero"]);
    assert_eq!(client.cmd(&["SELECT", "15"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$-1\r\n");
    assert_eq!(
        client.cmd(&["SELECT", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        client.cmd(&["SELECT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(client.cmd(&["SELECT", "0"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$4\r\nzero\r\n");
}

#[test]
fn hello_3_switches_to_resp3_and_describes_the_server() {
    let server = TestServer::start();
    let mut client = server.raw();
    let reply = client.cmd(&["HELLO", "3"]);
    assert!(
        reply.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n"),
        "{reply}"
    );
    assert!(reply.contains("$5\r\nproto\r\n:3\r\n"), "{reply}");
    // RESP3 null, not $-1: redis-py hangs on the RESP2 form after HELLO 3.
    assert_eq!(client.cmd(&["GET", "missing"]), "_\r\n");
    let reply = client.cmd(&["HELLO", "2"]);
    assert!(reply.starts_with("*14\r\n"), "{reply}");
    assert_eq!(client.cmd(&["GET", "missing"]), "$-1\r\n");
}

#[test]
fn hello_rejects_unknown_versions_and_options() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        client.cmd(&["HELLO", "x"]),
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        client.cmd(&["HELLO", "3", "FOO"]),
        "-ERR Syntax error in HELLO option 'FOO'\r\n"
    );
    assert_eq!(
        client.cmd(&["HELLO", "3", "AUTH", "alice", "pw"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    let reply = client.cmd(&["HELLO", "3", "AUTH", "default", "anything", "SETNAME", "me"]);
    assert!(reply.starts_with("%7\r\n"), "{reply}");
    assert_eq!(client.cmd(&["CLIENT", "GETNAME"]), "$2\r\nme\r\n");
}

#[test]
fn the_redis_crate_works_over_resp2_and_resp3() {
    let server = TestServer::start();
    for mut connection in [server.client(), server.client_resp3()] {
        let _: () = redis::cmd("SET")
            .arg("key")
            .arg("value")
            .query(&mut connection)
            .unwrap();
        let value: String = redis::cmd("GET").arg("key").query(&mut connection).unwrap();
        assert_eq!(value, "value");
        let missing: Option<String> = redis::cmd("GET")
            .arg("nope")
            .query(&mut connection)
            .unwrap();
        assert_eq!(missing, None);
    }
}

#[test]
fn a_client_closing_mid_request_does_not_disturb_others() {
    let server = TestServer::start();
    {
        let mut half = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        half.write_all(b"*2\r\n$3\r\nGET\r\n$10\r\nabc").unwrap();
    }
    let mut client = server.raw();
    assert_eq!(client.command(&["PING"]), b"+PONG\r\n");
}
