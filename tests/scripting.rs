//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: conversions both ways, the `redis` API,
//! the sandbox, errors with Redis's texts, atomicity, the journal, and the BUSY gate with
//! SCRIPT KILL.

mod common;

use std::thread;
use std::time::Duration;

use common::{TestServer, resp, scratch_dir, wait_until};

const SHA_OF_RETURN_1: &str = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";

#[test]
fn scripts_return_values_with_redis_conversions() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["EVAL", "return 'hello'", "0"]),
        "$5\r\nhello\r\n"
    );
    assert_eq!(client.cmd(&["EVAL", "return 100.5", "0"]), ":100\r\n");
    assert_eq!(client.cmd(&["EVAL", "return true", "0"]), ":1\r\n");
    assert_eq!(client.cmd(&["EVAL", "return false", "0"]), "$-1\r\n");
    assert_eq!(
        client.cmd(&["EVAL", "return {ok='fine'}", "0"]),
        "+fine\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return {err='ERR this is an error'}", "0"]),
        "-ERR this is an error\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return {1,2,3,'ciao',{1,2}}", "0"]),
        "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return {1,2,nil,4}", "0"]),
        "*2\r\n:1\r\n:2\r\n"
    );
}

#[test]
fn keys_and_argv_are_given_to_the_script() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&[
            "EVAL",
            "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}",
            "2",
            "a",
            "b",
            "c",
            "d"
        ]),
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return 1", "2", "a"]),
        "-ERR Number of keys can't be greater than number of args\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return 1", "-1"]),
        "-ERR Number of keys can't be negative\r\n"
    );
}

#[test]
fn redis_call_converts_replies_to_lua() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "mykey", "myval"]);
    assert_eq!(
        client.cmd(&["EVAL", "return redis.call('get',KEYS[1])", "1", "mykey"]),
        "$5\r\nmyval\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return type(redis.call('get','nokey'))", "0"]),
        "$7\r\nboolean\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return redis.call('incr','counter')", "0"]),
        ":1\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return redis.call('set','k','v')['ok']", "0"]),
        "$2\r\nOK\r\n"
    );
    client.cmd(&["RPUSH", "list", "a", "b"]);
    assert_eq!(
        client.cmd(&["EVAL", "return redis.call('lrange','list',0,-1)", "0"]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
}

#[test]
fn redis_call_raises_and_redis_pcall_returns_errors() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "str", "x"]);
    let raised = client.cmd(&["EVAL", "return redis.call('lpush','str','a')", "0"]);
    assert!(
        raised.starts_with(
            "-WRONGTYPE Operation against a key holding the wrong kind of value script: "
        ),
        "{raised}"
    );
    assert!(raised.ends_with(", on @user_script:1.\r\n"), "{raised}");
    assert_eq!(
        client.cmd(&["EVAL", "return redis.pcall('lpush','str','a')", "0"]),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(
        client.cmd(&[
            "EVAL",
            "local ok, e = pcall(function() redis.call('nosuchcommand') end) return e",
            "0"
        ]),
        "$44\r\nERR Unknown Redis command called from script\r\n"
    );
    let arity = client.cmd(&["EVAL", "redis.call('incr')", "0"]);
    assert!(
        arity.starts_with("-ERR Wrong number of args calling Redis command from script"),
        "{arity}"
    );
    let noscript = client.cmd(&["EVAL", "redis.call('multi')", "0"]);
    assert!(
        noscript.starts_with("-ERR This Redis command is not allowed from script"),
        "{noscript}"
    );
    let bad_arg = client.cmd(&["EVAL", "redis.call('ping', {})", "0"]);
    assert!(
        bad_arg.starts_with("-ERR Lua redis lib command arguments must be strings or integers"),
        "{bad_arg}"
    );
}

#[test]
fn the_globals_are_protected() {
    let server = TestServer::start();
    let mut client = server.raw();
    let read = client.cmd(&["EVAL", "return a", "0"]);
    assert!(
        read.starts_with(
            "-ERR user_script:1: Script attempted to access nonexistent global variable 'a'"
        ),
        "{read}"
    );
    let write = client.cmd(&["EVAL", "a = 10", "0"]);
    assert!(
        write.contains("Attempt to modify a readonly table"),
        "{write}"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return type(rawget(_G, 'print')) .. type(rawget(_G, 'loadfile')) .. type(rawget(_G, 'os'))", "0"]),
        "$9\r\nnilnilnil\r\n"
    );
}

#[test]
fn the_redis_api_helpers() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&[
            "EVAL",
            "return redis.error_reply('MY_ERR_CODE custom msg')",
            "0"
        ]),
        "-MY_ERR_CODE custom msg\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return redis.status_reply('MY_OK')", "0"]),
        "+MY_OK\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return redis.sha1hex('')", "0"]),
        "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return redis.REDIS_VERSION", "0"]),
        "$6\r\n7.0.15\r\n"
    );
    assert_eq!(
        client.cmd(&[
            "EVAL",
            "redis.setresp(3); return redis.call('hgetall', 'nohash')",
            "0"
        ]),
        "*0\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "return redis.acl_check_cmd('set','x','y')", "0"]),
        ":1\r\n"
    );
}

#[test]
fn resp3_replies_reach_the_script_typed() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["HSET", "h", "f", "v"]);
    assert_eq!(
        client.cmd(&[
            "EVAL",
            "redis.setresp(3); return redis.call('hgetall','h').map.f",
            "0"
        ]),
        "$1\r\nv\r\n"
    );
    assert_eq!(
        client.cmd(&[
            "EVAL",
            "redis.setresp(2); return redis.call('hgetall','h')",
            "0"
        ]),
        "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
}

#[test]
fn evalsha_and_the_script_cache() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["EVALSHA", SHA_OF_RETURN_1, "0"]),
        "-NOSCRIPT No matching script. Please use EVAL.\r\n"
    );
    assert_eq!(
        client.cmd(&["EVALSHA", "NotValidShaSUM", "0"]),
        "-NOSCRIPT No matching script. Please use EVAL.\r\n"
    );
    assert_eq!(
        client.cmd(&["SCRIPT", "LOAD", "return 1"]),
        format!("$40\r\n{SHA_OF_RETURN_1}\r\n")
    );
    assert_eq!(client.cmd(&["EVALSHA", SHA_OF_RETURN_1, "0"]), ":1\r\n");
    assert_eq!(
        client.cmd(&["EVALSHA", &SHA_OF_RETURN_1.to_uppercase(), "0"]),
        ":1\r\n"
    );
    assert_eq!(
        client.cmd(&[
            "SCRIPT",
            "EXISTS",
            SHA_OF_RETURN_1,
            "ffffffffffffffffffffffffffffffffffffffff"
        ]),
        "*2\r\n:1\r\n:0\r\n"
    );
    // Another connection (another thread, another VM) sees the cache too.
    let mut other = server.raw();
    assert_eq!(other.cmd(&["EVALSHA", SHA_OF_RETURN_1, "0"]), ":1\r\n");
    assert!(
        client
            .cmd(&["INFO", "memory"])
            .contains("number_of_cached_scripts:1\r\n")
    );
    assert_eq!(client.cmd(&["SCRIPT", "FLUSH"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["SCRIPT", "EXISTS", SHA_OF_RETURN_1]),
        "*1\r\n:0\r\n"
    );
    assert_eq!(
        other.cmd(&["EVALSHA", SHA_OF_RETURN_1, "0"]),
        "-NOSCRIPT No matching script. Please use EVAL.\r\n"
    );
    assert_eq!(
        client.cmd(&["SCRIPT", "FLUSH", "LAZY"]),
        "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"
    );
}

#[test]
fn compile_errors_and_shebangs() {
    let server = TestServer::start();
    let mut client = server.raw();
    let error = client.cmd(&["EVAL", "return (", "0"]);
    assert!(
        error.starts_with("-ERR Error compiling script (new function): user_script:1:"),
        "{error}"
    );
    assert_eq!(
        client.cmd(&["EVAL", "#!lua flags=bad\nreturn 1", "0"]),
        "-ERR Unexpected flag in script shebang: bad\r\n"
    );
    assert_eq!(
        client.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 1", "0"]),
        ":1\r\n"
    );
    let ro = client.cmd(&[
        "EVAL",
        "#!lua flags=no-writes\nredis.call('set','x','1')",
        "0",
    ]);
    assert!(
        ro.starts_with("-ERR Write commands are not allowed from read-only scripts."),
        "{ro}"
    );
    assert_eq!(
        client.cmd(&["EVAL_RO", "#!lua\nreturn 1", "0"]),
        "-ERR Can not execute a script with write flag using *_ro command.\r\n"
    );
    let eval_ro = client.cmd(&["EVAL_RO", "redis.call('del', KEYS[1])", "1", "foo"]);
    assert!(
        eval_ro.starts_with("-ERR Write commands are not allowed from read-only scripts."),
        "{eval_ro}"
    );
}

#[test]
fn select_inside_a_script_does_not_change_the_callers_database() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "where", "db0"]);
    assert_eq!(
        client.cmd(&[
            "EVAL",
            "redis.call('select', 9); return redis.call('set','where','db9')['ok']",
            "0"
        ]),
        "$2\r\nOK\r\n"
    );
    assert_eq!(client.cmd(&["GET", "where"]), "$3\r\ndb0\r\n");
    client.cmd(&["SELECT", "9"]);
    assert_eq!(client.cmd(&["GET", "where"]), "$3\r\ndb9\r\n");
}

#[test]
fn eval_inside_multi_runs_at_exec() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    assert_eq!(
        client.cmd(&["EVAL", "return redis.call('incr','n')", "0"]),
        "+QUEUED\r\n"
    );
    client.cmd(&["INCR", "n"]);
    assert_eq!(client.cmd(&["EXEC"]), "*2\r\n:1\r\n:2\r\n");
}

#[test]
fn script_effects_are_journaled_as_a_transaction() {
    let dir = scratch_dir("scripting-aof");
    {
        let server = TestServer::in_dir(&dir, &["--appendonly", "yes", "--appendfsync", "always"]);
        let mut client = server.raw();
        client.cmd(&[
            "EVAL",
            "redis.call('set','a','1'); redis.call('incr','a'); return 1",
            "0",
        ]);
        client.cmd(&["EVAL", "return redis.call('get','a')", "0"]);
        let aof = std::fs::read_dir(dir.join("appendonlydir"))
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
            .map(|e| std::fs::read(e.path()).unwrap())
            .unwrap();
        let aof = String::from_utf8_lossy(&aof);
        assert!(aof.contains("MULTI"), "{aof}");
        assert!(aof.contains("incr"), "{aof}");
        assert!(!aof.contains("EVAL"), "{aof}");
    }
    let server = TestServer::in_dir(&dir, &["--appendonly", "yes", "--appendfsync", "always"]);
    assert_eq!(server.raw().cmd(&["GET", "a"]), "$1\r\n2\r\n");
}

#[test]
fn command_info_matches_redis() {
    let server = TestServer::start();
    let mut client = server.raw();
    let info = client.cmd(&["COMMAND", "INFO", "eval"]);
    assert!(info.contains("$4\r\neval\r\n:-3\r\n"), "{info}");
    assert!(info.contains("no_mandatory_keys"), "{info}");
    assert!(info.contains("movablekeys"), "{info}");
    assert!(!info.contains("+write"), "{info}");
    let kill = client.cmd(&["COMMAND", "INFO", "script|kill"]);
    assert!(kill.contains("allow_busy"), "{kill}");
    assert_eq!(
        client.cmd(&["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
}

#[test]
fn a_slow_script_makes_others_busy_until_killed() {
    let server = TestServer::with_args(&["--busy-reply-threshold", "100"]);
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["SCRIPT", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
    let port_client = server.raw();
    let runner = thread::spawn(move || {
        let mut client = port_client;
        client.cmd(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
    });
    thread::sleep(Duration::from_millis(50));
    assert!(wait_until(Duration::from_secs(5), || {
        admin.cmd(&["PING"]).starts_with("-BUSY")
    }));
    assert_eq!(
        admin.cmd(&["PING"]),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    assert_eq!(admin.cmd(&["SCRIPT", "KILL"]), "+OK\r\n");
    let killed = runner.join().unwrap();
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{killed}"
    );
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_script_that_wrote_cannot_be_killed() {
    let server = TestServer::with_args(&["--busy-reply-threshold", "100"]);
    let mut admin = server.raw();
    let runner_client = server.raw();
    let runner = thread::spawn(move || {
        let mut client = runner_client;
        client.cmd(&[
            "EVAL",
            "redis.call('set','x','y') local t = redis.call('time')[1] + 1 \
             while tonumber(redis.call('time')[1]) <= t + 1 do end return 1",
            "0",
        ])
    });
    assert!(wait_until(Duration::from_secs(5), || {
        admin.cmd(&["PING"]).starts_with("-BUSY")
    }));
    assert!(admin.cmd(&["SCRIPT", "KILL"]).starts_with("-UNKILLABLE"));
    assert_eq!(runner.join().unwrap(), ":1\r\n");
    assert_eq!(admin.cmd(&["GET", "x"]), "$1\r\ny\r\n");
}

#[test]
fn shutdown_nosave_ends_the_server_under_an_unkillable_script() {
    let mut server = TestServer::with_args(&["--busy-reply-threshold", "50"]);
    let mut admin = server.raw();
    let mut runner = server.raw();
    runner.send(&resp(&[
        "EVAL",
        "redis.call('set','x','y') while true do end",
        "0",
    ]));
    assert!(wait_until(Duration::from_secs(5), || {
        admin.cmd(&["PING"]).starts_with("-BUSY")
    }));
    assert!(admin.cmd(&["SCRIPT", "KILL"]).starts_with("-UNKILLABLE"));
    // Saving needs the data the script holds: only NOSAVE may end the server (Redis's rule).
    assert_eq!(
        admin.cmd(&["SHUTDOWN"]),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    admin.send(&resp(&["SHUTDOWN", "NOSAVE"]));
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
}
