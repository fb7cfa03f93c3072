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

/// Reads what arrives on `stream` until `marker` has (a replication stream has no end).
fn read_until(stream: &mut std::net::TcpStream, marker: &[u8]) -> String {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (mut seen, mut chunk) = (Vec::new(), [0u8; 4096]);
    while !seen.windows(marker.len()).any(|window| window == marker) {
        let n = stream.read(&mut chunk).expect("the stream goes on");
        assert!(n > 0, "closed before {marker:?}");
        seen.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Redis's "Test selective replication of certain Redis commands from Lua": `redis.set_repl`
/// sends the effects of the commands after it to the AOF only, the replicas only, or nowhere.
#[test]
fn set_repl_chooses_where_the_next_effects_are_journaled() {
    use std::io::Write;
    let dir = scratch_dir("scripting-set-repl");
    let server = TestServer::in_dir(&dir, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut replica = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    for command in [
        &["REPLCONF", "listening-port", "1"][..],
        &["REPLCONF", "capa", "psync2"],
        &["PSYNC", "?", "-1"],
    ] {
        replica.write_all(&resp(command)).unwrap();
    }
    read_until(&mut replica, b"REDIS"); // The RDB transfer has begun: writes now stream.
    let mut client = server.raw();
    let script = "redis.call('set','a','1'); \
        redis.set_repl(redis.REPL_NONE); redis.call('set','b','2'); \
        redis.set_repl(redis.REPL_AOF); redis.call('set','c','3'); \
        redis.set_repl(redis.REPL_ALL); redis.call('set','d','4'); \
        redis.set_repl(redis.REPL_REPLICA); redis.call('set','e','5')";
    assert_eq!(client.cmd(&["EVAL", script, "0"]), "$-1\r\n");
    assert_eq!(client.cmd(&["SET", "end", "1"]), "+OK\r\n");
    let streamed = read_until(&mut replica, b"$3\r\nend\r\n");
    let keys = |text: &str| -> Vec<&str> {
        ["a", "b", "c", "d", "e"]
            .into_iter()
            .filter(|key| text.contains(&format!("$1\r\n{key}\r\n")))
            .collect()
    };
    assert!(streamed.contains("MULTI"), "{streamed}");
    assert_eq!(keys(&streamed), ["a", "d", "e"], "{streamed}");
    let aof = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .unwrap();
    let aof = String::from_utf8_lossy(&aof);
    assert_eq!(keys(&aof), ["a", "c", "d"], "{aof}");
    assert_eq!(
        client.cmd(&["MGET", "a", "b", "c", "d", "e"]),
        "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"
    );
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

/// Redis's "SHUTDOWN NOSAVE can kill a timedout script anyway": once the client that sent it
/// sees its connection close, a new one is refused, never accepted and then reset. The race
/// this guards against (the process's exit closing a client before the listener) shows up in
/// a few rounds out of ten, so the test runs many.
#[test]
fn connections_are_refused_once_shutdown_nosave_closed_the_client() {
    for round in 0..30 {
        let mut server = TestServer::with_args(&["--busy-reply-threshold", "10"]);
        let mut admin = server.raw();
        let mut runner = server.raw();
        runner.send(&resp(&["EVAL", "while true do end", "0"]));
        assert!(wait_until(Duration::from_secs(5), || {
            admin.cmd(&["PING"]).starts_with("-BUSY")
        }));
        admin.send(&resp(&["SHUTDOWN", "NOSAVE"]));
        admin.read_to_close();
        let refused = std::net::TcpStream::connect(("127.0.0.1", server.port))
            .is_err_and(|error| error.kind() == std::io::ErrorKind::ConnectionRefused);
        assert!(
            refused,
            "round {round}: a connection was accepted after the shutdown"
        );
        assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    }
}

/// Redis's "Script delete the expired key": DEBUG OBJECT still describes a key that expired but
/// was not reclaimed (it looks at what is stored), and a script's lookup then deletes it.
#[test]
fn debug_object_sees_an_expired_key_until_a_script_deletes_it() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    assert_eq!(client.cmd(&["SET", "key", "value", "PX", "1"]), "+OK\r\n");
    thread::sleep(Duration::from_millis(5));
    let described = client.cmd(&["DEBUG", "OBJECT", "key"]);
    assert!(described.starts_with("+Value at:"), "{described}");
    assert!(described.contains(" encoding:embstr "), "{described}");
    assert_eq!(
        client.cmd(&["EVAL", "return redis.call('EXISTS', 'key')", "0"]),
        ":0\r\n"
    );
    assert_eq!(
        client.cmd(&["DEBUG", "OBJECT", "key"]),
        "-ERR no such key\r\n"
    );
    assert_eq!(client.cmd(&["EXISTS", "key"]), ":0\r\n");
}

/// A replica of `master`, once its link is up.
fn replica_of(master: &TestServer) -> TestServer {
    let replica = TestServer::start();
    let port = master.port.to_string();
    assert_eq!(
        replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    assert!(wait_until(Duration::from_secs(10), || {
        replica
            .raw()
            .cmd(&["INFO", "replication"])
            .contains("master_link_status:up")
    }));
    replica
}

/// Redis's "no-writes shebang flag on replica" (and FUNCTION's "modify key space of read only
/// replica"): a script that declares flags writes unless it says `no-writes`, and is refused
/// as a write up front; one that declares nothing is refused at its first write.
#[test]
fn a_read_only_replica_refuses_scripts_that_may_write() {
    let master = TestServer::start();
    let library = "#!lua name=lib\nredis.register_function('setx', function() return redis.call('set', 'x', '1') end)";
    assert_eq!(
        master.raw().cmd(&["FUNCTION", "LOAD", library]),
        "$3\r\nlib\r\n"
    );
    let replica = replica_of(&master);
    let mut client = replica.raw();
    let readonly = "-READONLY You can't write against a read only replica.";
    assert_eq!(
        client.cmd(&["EVAL", "#!lua\nreturn redis.call('get','x')", "1", "x"]),
        format!("{readonly}\r\n")
    );
    assert_eq!(
        client.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 1", "0"]),
        ":1\r\n"
    );
    let undeclared = client.cmd(&["EVAL", "return redis.call('set','x','1')", "1", "x"]);
    assert!(
        undeclared.starts_with(&format!("{readonly} script: ")),
        "{undeclared}"
    );
    assert!(wait_until(Duration::from_secs(10), || {
        client.cmd(&["FUNCTION", "LIST"]).contains("setx")
    }));
    assert_eq!(
        client.cmd(&["FCALL", "setx", "0"]),
        format!("{readonly}\r\n")
    );
    // Queued on a primary, judged by EXEC once the server has become a replica.
    let other = TestServer::start();
    let mut queued = other.raw();
    assert_eq!(queued.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(queued.cmd(&["EVAL", "#!lua\nreturn 1", "0"]), "+QUEUED\r\n");
    let port = master.port.to_string();
    assert_eq!(
        other.raw().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        "+OK\r\n"
    );
    assert_eq!(
        queued.cmd(&["EXEC"]),
        format!(
            "-EXECABORT Transaction discarded because of: {}\r\n",
            &readonly[1..]
        )
    );
}

/// Redis's "allow-stale shebang flag": on a replica whose link is down with
/// `replica-serve-stale-data no`, only a script that declares `allow-stale` runs, and it may call
/// only commands a stale replica serves.
#[test]
fn a_stale_replica_runs_only_scripts_that_allow_it() {
    let server = TestServer::with_args(&["--replica-serve-stale-data", "no"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["REPLICAOF", "127.0.0.1", "1"]), "+OK\r\n");
    let masterdown =
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    assert_eq!(
        client.cmd(&["EVAL", "return redis.call('get','x')", "1", "x"]),
        masterdown
    );
    assert_eq!(
        client.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 1", "0"]),
        masterdown
    );
    let allowed = "#!lua flags=allow-stale,no-writes\n";
    assert_eq!(
        client.cmd(&["EVAL", &format!("{allowed}return 1"), "0"]),
        ":1\r\n"
    );
    let get = client.cmd(&[
        "EVAL",
        &format!("{allowed}return redis.call('get','x')"),
        "1",
        "x",
    ]);
    assert!(
        get.starts_with("-ERR Can not execute the command on a stale replica"),
        "{get}"
    );
    assert_eq!(
        client.cmd(&[
            "EVAL",
            &format!("{allowed}return redis.call('echo','foobar')"),
            "0"
        ]),
        "$6\r\nfoobar\r\n"
    );
}

/// Past `maxmemory`, a script that declares flags and may write is refused before it runs as a
/// `denyoom` command is, with Redis's `processCommand` text (its `getCommandFlags`); `no-writes`
/// and `allow-oom` scripts run, and so does one without a shebang (its row is not `denyoom`).
#[test]
fn scripts_are_refused_past_maxmemory_by_the_flags_they_declare() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["CONFIG", "SET", "maxmemory", "1"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["EVAL", "#!lua\nreturn 1", "0"]),
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    for script in [
        "#!lua flags=no-writes\nreturn 1",
        "#!lua flags=allow-oom\nreturn 1",
        "return 1",
    ] {
        assert_eq!(client.cmd(&["EVAL", script, "0"]), ":1\r\n", "{script}");
    }
}

/// After a failed background save, a script that may write is refused as a write command is
/// (Redis's `processCommand` MISCONF text); a `no-writes` one still runs.
#[test]
fn scripts_that_may_write_meet_the_misconf_gate_as_write_commands() {
    let dir = scratch_dir("scripting-misconf");
    let server = TestServer::in_dir(
        &dir,
        &["--save", "3600 1", "--enable-protected-configs", "yes"],
    );
    let mut client = server.raw();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(client.cmd(&["BGSAVE"]), "+Background saving started\r\n");
    assert!(wait_until(Duration::from_secs(10), || {
        client
            .cmd(&["INFO", "persistence"])
            .contains("rdb_last_bgsave_status:err")
    }));
    let refused = client.cmd(&["EVAL", "#!lua\nreturn 1", "0"]);
    assert!(
        refused.starts_with("-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled"),
        "{refused}"
    );
    assert_eq!(
        client.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 1", "0"]),
        ":1\r\n"
    );
}

#[test]
fn a_script_that_reads_makes_a_tracking_caller_remember_its_declared_keys() {
    let server = common::TestServer::start();
    let mut client = server.raw();
    client.send(&common::resp(&["HELLO", "3"]));
    client.reply();
    assert_eq!(client.cmd(&["CLIENT", "TRACKING", "on"]), "+OK\r\n");
    let mut other = server.raw();
    // A script that reads nothing tracks nothing; one that reads tracks the keys it declared.
    client.cmd(&["EVAL", "redis.call('set', 'k3', 'v')", "2", "k1", "k2"]);
    assert_eq!(other.cmd(&["MSET", "k1", "1", "k2", "1"]), "+OK\r\n");
    client.cmd(&["EVAL_RO", "return redis.call('ping')", "2", "k1", "k2"]);
    assert_eq!(other.cmd(&["MSET", "k1", "2", "k2", "2"]), "+OK\r\n");
    client.cmd(&["EVAL", "return redis.call('get', 'k3')", "2", "k1", "k2"]);
    assert_eq!(other.cmd(&["MSET", "k2", "3", "k1", "3"]), "+OK\r\n");
    let first = String::from_utf8(client.reply()).unwrap();
    assert!(
        first.contains("invalidate") && first.contains("k2"),
        "{first}"
    );
    let second = String::from_utf8(client.reply()).unwrap();
    assert!(second.contains("k1"), "{second}");
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}
