//! Redis functions: FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP / RESTORE / STATS / KILL,
//! FCALL and FCALL_RO, and the libraries' persistence (RDB, AOF, DEBUG RELOAD). The ignored
//! tests compare with a real redis-server: payloads and files one writes, the other reads.

mod common;

use common::real_redis::RealRedis;
use common::{Raw, TestServer, error, resp_bytes, scratch_dir};

/// A library `name` with one function `function` whose body is `body`, as the Redis suite's
/// `get_function_code` writes it.
fn library(name: &str, function: &str, body: &str) -> String {
    format!(
        "#!lua name={name}\nredis.register_function('{function}', function(KEYS, ARGV)\n {body} \nend)"
    )
}

fn load(client: &mut Raw, code: &str) -> String {
    client.cmd(&["FUNCTION", "LOAD", code])
}

fn debug_server() -> TestServer {
    TestServer::with_args(&["--enable-debug-command", "yes"])
}

/// Sends raw-byte arguments (a DUMP payload) and returns the reply as text.
fn cmd_bytes(client: &mut Raw, args: &[&[u8]]) -> String {
    client.send(&resp_bytes(args));
    client.reply_text()
}

/// The payload of a bulk reply.
fn bulk_payload(reply: &[u8]) -> Vec<u8> {
    let header_end = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
    reply[header_end..reply.len() - 2].to_vec()
}

#[test]
fn load_then_call_then_list() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["FUNCTION", "LIST"]), "*0\r\n");
    assert_eq!(
        load(&mut client, &library("mylib", "hello", "return 'hi'")),
        "$5\r\nmylib\r\n"
    );
    assert_eq!(client.cmd(&["FCALL", "HELLO", "0"]), "$2\r\nhi\r\n");
    assert_eq!(
        client.cmd(&["FUNCTION", "LIST"]),
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n\
         $9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$5\r\nhello\r\n$11\r\ndescription\r\n$-1\r\n\
         $5\r\nflags\r\n*0\r\n"
    );
}

#[test]
fn keys_and_arguments_reach_the_function() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(
        &mut client,
        &library("lib", "setit", "return redis.call('set', KEYS[1], ARGV[1])"),
    );
    assert_eq!(client.cmd(&["FCALL", "setit", "1", "k", "v"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn named_registration_shows_description_and_flags() {
    let server = TestServer::start();
    let mut client = server.raw();
    let code = "#!lua name=lib\nredis.register_function{function_name='f1', callback=function() return 1 end, description='some desc', flags={'no-writes', 'allow-stale'}}";
    assert_eq!(load(&mut client, code), "$3\r\nlib\r\n");
    let listed = client.cmd(&["FUNCTION", "LIST", "WITHCODE"]);
    assert!(
        listed.contains("$11\r\ndescription\r\n$9\r\nsome desc\r\n$5\r\nflags\r\n*2\r\n+no-writes\r\n+allow-stale\r\n"),
        "{listed}"
    );
    assert!(listed.contains("$12\r\nlibrary_code\r\n"), "{listed}");
    assert!(listed.ends_with(&format!("${}\r\n{code}\r\n", code.len())));
}

#[test]
fn list_filters_by_library_name() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(&mut client, &library("alpha", "fa", "return 1"));
    load(&mut client, &library("beta", "fb", "return 2"));
    let listed = client.cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "al*"]);
    assert!(
        listed.starts_with("*1\r\n") && listed.contains("alpha"),
        "{listed}"
    );
    assert_eq!(
        client.cmd(&["FUNCTION", "LIST", "LIBRARYNAME"]),
        error("ERR library name argument was not given")
    );
    assert_eq!(
        client.cmd(&["FUNCTION", "LIST", "WITHCODE", "WITHCODE"]),
        error("ERR Unknown argument WITHCODE")
    );
}

#[test]
fn load_errors_are_redis_errors() {
    let server = TestServer::start();
    let mut client = server.raw();
    let cases = [
        ("return 1", "ERR Missing library metadata"),
        ("#!lua name=x", "ERR Invalid library metadata"),
        ("#!lua\nreturn 1", "ERR Library name was not given"),
        (
            "#!lua foo=bar\nreturn 1",
            "ERR Invalid metadata value given: foo=bar",
        ),
        (
            "#!bad_engine name=x\nreturn 1",
            "ERR Engine 'bad_engine' not found",
        ),
        (
            "#!lua name=a-b\nreturn 1",
            "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
    ];
    for (code, expected) in cases {
        assert_eq!(load(&mut client, code), error(expected), "{code}");
    }
    assert_eq!(
        client.cmd(&["FUNCTION", "LOAD", "foo", "bar"]),
        error("ERR Unknown option given: foo")
    );
}

#[test]
fn library_code_errors_are_redis_errors() {
    let server = TestServer::start();
    let mut client = server.raw();
    let cases = [
        ("#!lua name=lib\nreturn 1", "ERR No functions registered"),
        (
            "#!lua name=lib\nreturn math.random()",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'",
        ),
        (
            "#!lua name=lib\na = 1",
            "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table",
        ),
        (
            "#!lua name=lib\nredis.register_function('f2', 'x')",
            "ERR Error registering functions: ERR second argument to redis.register_function must be a function",
        ),
        (
            "#!lua name=lib\nx x",
            "ERR Error compiling function: user_function:2: '=' expected near 'x'",
        ),
    ];
    for (code, expected) in cases {
        assert_eq!(load(&mut client, code), error(expected), "{code}");
    }
    assert_eq!(client.cmd(&["FUNCTION", "LIST"]), "*0\r\n");
}

#[test]
fn a_library_loads_once_unless_replaced() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(&mut client, &library("test", "test", "return 'hello'"));
    assert_eq!(
        load(&mut client, &library("TEST", "other", "return 1")),
        error("ERR Library 'TEST' already exists")
    );
    assert_eq!(
        load(&mut client, &library("lib2", "TEST", "return 1")),
        error("ERR Function TEST already exists")
    );
    let replaced = client.cmd(&[
        "FUNCTION",
        "LOAD",
        "REPLACE",
        &library("test", "test", "return 'hello1'"),
    ]);
    assert_eq!(replaced, "$4\r\ntest\r\n");
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$6\r\nhello1\r\n");
    // A replacement that fails keeps the library it was to replace.
    let failed = client.cmd(&["FUNCTION", "LOAD", "REPLACE", "#!lua name=test\nreturn 1"]);
    assert!(failed.starts_with("-ERR No functions"), "{failed}");
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$6\r\nhello1\r\n");
}

#[test]
fn fcall_checks_its_arguments() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["FCALL", "nosuch", "0"]),
        error("ERR Function not found")
    );
    load(&mut client, &library("test", "test", "return 'hello'"));
    let cases: [(&[&str], &str); 3] = [
        (
            &["FCALL", "test", "bad_arg"],
            "ERR Bad number of keys provided",
        ),
        (
            &["FCALL", "test", "10", "key1"],
            "ERR Number of keys can't be greater than number of args",
        ),
        (
            &["FCALL", "test", "-1", "key1"],
            "ERR Number of keys can't be negative",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(client.cmd(args), error(expected), "{args:?}");
    }
}

#[test]
fn fcall_ro_refuses_a_function_that_may_write() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(
        &mut client,
        &library("test", "test", "return redis.call('set', 'x', '1')"),
    );
    let reply = client.cmd(&["FCALL_RO", "test", "0"]);
    assert!(
        reply.starts_with("-ERR Can not execute a script with write flag using *_ro command."),
        "{reply}"
    );
}

#[test]
fn function_kill_stops_a_function_that_runs_too_long() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.run_all(&[&["CONFIG", "SET", "busy-reply-threshold", "10"]]);
    load(
        &mut client,
        &library("test", "test", "local a = 1 while true do a = a + 1 end"),
    );
    let mut runner = server.raw();
    runner.send(&common::resp(&["FCALL", "test", "0"]));
    assert!(common::wait_until(
        std::time::Duration::from_secs(10),
        || client.cmd(&["PING"]).starts_with("-BUSY")
    ));
    assert_eq!(
        client.cmd(&["SCRIPT", "KILL"]),
        error(
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        )
    );
    let stats = client.cmd(&["FUNCTION", "STATS"]);
    assert!(
        stats.contains("$4\r\nname\r\n$4\r\ntest\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n"),
        "{stats}"
    );
    assert_eq!(client.cmd(&["FUNCTION", "KILL"]), "+OK\r\n");
    let killed = runner.reply_text();
    assert!(
        killed.starts_with("-ERR Script killed by user with FUNCTION KILL..."),
        "{killed}"
    );
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn delete_and_flush() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(&mut client, &library("test", "test", "return 1"));
    assert_eq!(
        client.cmd(&["FUNCTION", "DELETE", "nosuch"]),
        error("ERR Library not found")
    );
    assert_eq!(client.cmd(&["FUNCTION", "DELETE", "TEST"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["FCALL", "test", "0"]),
        error("ERR Function not found")
    );
    load(&mut client, &library("test", "test", "return 1"));
    assert_eq!(client.cmd(&["FUNCTION", "FLUSH", "SYNC"]), "+OK\r\n");
    assert_eq!(client.cmd(&["FUNCTION", "LIST"]), "*0\r\n");
    assert_eq!(
        client.cmd(&["FUNCTION", "FLUSH", "SYNC", "extra"]),
        error(
            "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP."
        )
    );
}

#[test]
fn flushall_keeps_the_functions() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(&mut client, &library("test", "test", "return 1"));
    client.run_all(&[&["FLUSHALL"], &["FLUSHDB"]]);
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), ":1\r\n");
}

#[test]
fn stats_count_libraries_and_functions() {
    let server = TestServer::start();
    let mut client = server.raw();
    let empty = "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:0\r\n$15\r\nfunctions_count\r\n:0\r\n";
    assert_eq!(client.cmd(&["FUNCTION", "STATS"]), empty);
    load(
        &mut client,
        "#!lua name=lib\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)",
    );
    let stats = client.cmd(&["FUNCTION", "STATS"]);
    assert!(
        stats.ends_with("libraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n"),
        "{stats}"
    );
    let info = client.cmd(&["INFO", "memory"]);
    assert!(
        info.contains("number_of_functions:2\r\nnumber_of_libraries:1\r\n"),
        "{info}"
    );
    assert_eq!(
        client.cmd(&["FUNCTION", "KILL"]),
        error("NOTBUSY No scripts in execution right now.")
    );
}

#[test]
fn dump_and_restore_with_each_policy() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(&mut client, &library("test", "test", "return 'hello'"));
    let payload = bulk_payload(&client.command(&["FUNCTION", "DUMP"]));
    let restore = |client: &mut Raw, policy: &[u8]| {
        let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", &payload];
        if !policy.is_empty() {
            args.push(policy);
        }
        cmd_bytes(client, &args)
    };
    assert_eq!(
        restore(&mut client, b""),
        error("ERR Library test already exists")
    );
    assert_eq!(
        restore(&mut client, b"APPEND"),
        error("ERR Library test already exists")
    );
    assert_eq!(restore(&mut client, b"REPLACE"), "+OK\r\n");
    load(&mut client, &library("other", "other", "return 2"));
    assert_eq!(restore(&mut client, b"FLUSH"), "+OK\r\n");
    assert_eq!(
        client.cmd(&["FCALL", "other", "0"]),
        error("ERR Function not found")
    );
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
    assert_eq!(
        restore(&mut client, b"BAD"),
        error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    );
    client.run_all(&[&["FUNCTION", "FLUSH"]]);
    assert_eq!(restore(&mut client, b""), "+OK\r\n");
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
}

#[test]
fn a_bad_payload_leaves_the_libraries_alone() {
    let server = TestServer::start();
    let mut client = server.raw();
    load(&mut client, &library("test", "test", "return 'hello'"));
    assert_eq!(
        client.cmd(&["FUNCTION", "RESTORE", "bad payload"]),
        error("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(
        client.cmd(&["FUNCTION", "RESTORE", "a", "b", "c"]),
        error(
            "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP."
        )
    );
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
}

#[test]
fn an_empty_dump_restores_to_nothing() {
    let server = TestServer::start();
    let mut client = server.raw();
    let payload = bulk_payload(&client.command(&["FUNCTION", "DUMP"]));
    assert_eq!(payload.len(), 10, "only the footer");
    assert_eq!(
        cmd_bytes(&mut client, &[b"FUNCTION", b"RESTORE", &payload]),
        "+OK\r\n"
    );
}

#[test]
fn debug_reload_keeps_the_libraries() {
    let server = debug_server();
    let mut client = server.raw();
    load(&mut client, &library("test", "test", "return 'hello'"));
    assert_eq!(client.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
    assert_eq!(
        client.cmd(&["DEBUG", "RELOAD", "NOFLUSH"]),
        error("ERR Error trying to load the RDB dump")
    );
    assert_eq!(
        client.cmd(&["DEBUG", "RELOAD", "NOFLUSH", "MERGE"]),
        "+OK\r\n"
    );
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
}

#[test]
fn debug_loadaof_replays_the_libraries_it_journaled() {
    let dir = scratch_dir("functions-loadaof");
    let server = TestServer::in_dir(
        &dir,
        &["--appendonly", "yes", "--enable-debug-command", "yes"],
    );
    let mut client = server.raw();
    load(&mut client, &library("kept", "kept", "return 'kept'"));
    load(&mut client, &library("gone", "gone", "return 'gone'"));
    client.run_all(&[&["FUNCTION", "DELETE", "gone"]]);
    assert_eq!(client.cmd(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(client.cmd(&["FCALL", "kept", "0"]), "$4\r\nkept\r\n");
    assert_eq!(
        client.cmd(&["FCALL", "gone", "0"]),
        error("ERR Function not found")
    );
}

#[test]
fn a_restart_loads_the_libraries_from_the_rdb_file() {
    let dir = scratch_dir("functions-rdb");
    {
        let server = TestServer::in_dir(&dir, &[]);
        let mut client = server.raw();
        load(&mut client, &library("test", "test", "return 'saved'"));
        client.run_all(&[&["SAVE"]]);
    }
    let server = TestServer::in_dir(&dir, &[]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["FCALL", "test", "0"]), "$5\r\nsaved\r\n");
}

#[test]
fn the_aof_replays_loads_and_deletes() {
    let dir = scratch_dir("functions-aof");
    let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
    {
        let server = TestServer::in_dir(&dir, &args);
        let mut client = server.raw();
        load(&mut client, &library("kept", "kept", "return 'kept'"));
        load(&mut client, &library("gone", "gone", "return 'gone'"));
        client.run_all(&[&["FUNCTION", "DELETE", "gone"]]);
    }
    {
        let server = TestServer::in_dir(&dir, &args);
        let mut client = server.raw();
        assert_eq!(client.cmd(&["FCALL", "kept", "0"]), "$4\r\nkept\r\n");
        assert_eq!(
            client.cmd(&["FCALL", "gone", "0"]),
            error("ERR Function not found")
        );
        // A rewrite in command form starts with FUNCTION LOAD.
        client.run_all(&[&["BGREWRITEAOF"]]);
        assert!(common::wait_until(
            std::time::Duration::from_secs(10),
            || client.rewrite_done()
        ));
    }
    let server = TestServer::in_dir(&dir, &args);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["FCALL", "kept", "0"]), "$4\r\nkept\r\n");
}

#[test]
fn an_aof_rewrite_with_an_rdb_preamble_keeps_the_libraries() {
    let dir = scratch_dir("functions-preamble");
    let args = ["--appendonly", "yes"];
    {
        let server = TestServer::in_dir(&dir, &args);
        let mut client = server.raw();
        load(&mut client, &library("kept", "kept", "return 'kept'"));
        client.run_all(&[&["BGREWRITEAOF"]]);
        assert!(common::wait_until(
            std::time::Duration::from_secs(10),
            || client.rewrite_done()
        ));
        // After the rewrite: in the new incr file, replayed on top of the base's library.
        load(&mut client, &library("later", "later", "return 'later'"));
    }
    let server = TestServer::in_dir(&dir, &args);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["FCALL", "kept", "0"]), "$4\r\nkept\r\n");
    assert_eq!(client.cmd(&["FCALL", "later", "0"]), "$5\r\nlater\r\n");
}

#[test]
fn help_lists_the_subcommands() {
    let server = TestServer::start();
    let mut client = server.raw();
    let help = client.cmd(&["FUNCTION", "HELP"]);
    assert!(help.starts_with("*40\r\n+FUNCTION <subcommand>"), "{help}");
    assert!(help.contains("+RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]\r\n"));
}

#[test]
#[ignore = "needs redis-server: a payload from each restored in the other"]
fn dump_payloads_travel_both_ways() {
    let redis = RealRedis::start();
    let mut theirs = Raw::connect(redis.port);
    let server = TestServer::start();
    let mut ours = server.raw();
    let long_body = "return 'a fairly long body so that the code is compressed by LZF'";
    load(&mut theirs, &library("fromredis", "fr", long_body));
    let payload = bulk_payload(&theirs.command(&["FUNCTION", "DUMP"]));
    assert_eq!(
        cmd_bytes(&mut ours, &[b"FUNCTION", b"RESTORE", &payload]),
        "+OK\r\n"
    );
    assert!(ours.cmd(&["FCALL", "fr", "0"]).contains("fairly long body"));

    load(&mut ours, &library("fromthredis", "ft", "return 'back'"));
    let payload = bulk_payload(&ours.command(&["FUNCTION", "DUMP"]));
    assert_eq!(
        cmd_bytes(&mut theirs, &[b"FUNCTION", b"RESTORE", &payload, b"FLUSH"]),
        "+OK\r\n"
    );
    assert_eq!(theirs.cmd(&["FCALL", "ft", "0"]), "$4\r\nback\r\n");
    assert_eq!(
        theirs.cmd(&["FCALL", "fr", "0"]),
        ours.cmd(&["FCALL", "fr", "0"])
    );
}

#[test]
#[ignore = "needs redis-server: an RDB file with functions written by each, loaded by the other"]
fn rdb_files_with_functions_travel_both_ways() {
    let redis = RealRedis::start();
    let mut theirs = Raw::connect(redis.port);
    load(
        &mut theirs,
        &library("fromredis", "fr", "return 'from redis'"),
    );
    theirs.run_all(&[&["SET", "k", "v"], &["SAVE"]]);
    let dir = scratch_dir("functions-interop");
    std::fs::copy(redis.dir.join("dump.rdb"), dir.join("dump.rdb")).unwrap();
    let server = TestServer::in_dir(&dir, &[]);
    let mut ours = server.raw();
    assert_eq!(ours.cmd(&["FCALL", "fr", "0"]), "$10\r\nfrom redis\r\n");
    load(
        &mut ours,
        &library("fromthredis", "ft", "return 'from thredis'"),
    );
    ours.run_all(&[&["SAVE"]]);

    std::fs::copy(dir.join("dump.rdb"), redis.dir.join("dump.rdb")).unwrap();
    assert_eq!(theirs.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(theirs.cmd(&["FCALL", "ft", "0"]), "$12\r\nfrom thredis\r\n");
    assert_eq!(theirs.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}
