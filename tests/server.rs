//! Server commands and the server's life: INFO, CONFIG, CLIENT, COMMAND, DEBUG, DBSIZE, FLUSHDB,
//! FLUSHALL, SWAPDB, TIME, FUNCTION, SHUTDOWN, signals, startup and its configuration errors.
//! Expected replies were checked against redis-server 7.0.15 (tests/interop.rs compares many of
//! them mechanically).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{OOM, TestServer, wait_until};

fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")).map(str::to_string))
}

#[test]
fn info_has_the_default_sections_and_loading_0() {
    let server = TestServer::start();
    let info: String = redis::cmd("INFO").query(&mut server.client()).unwrap();
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Keyspace",
    ] {
        assert!(info.contains(section), "missing {section}");
    }
    assert!(
        !info.contains("# Commandstats"),
        "commandstats are not a default section"
    );
    assert_eq!(info_field(&info, "loading").as_deref(), Some("0"));
    assert_eq!(
        info_field(&info, "redis_version").as_deref(),
        Some("7.0.15")
    );
    assert_eq!(info_field(&info, "tcp_port"), Some(server.port.to_string()));
}

#[test]
fn info_with_sections_returns_only_those() {
    let server = TestServer::start();
    let mut client = server.raw();
    let reply = client.cmd(&["INFO", "server", "CLIENTS"]);
    assert!(
        reply.contains("# Server\r\n") && reply.contains("\r\n\r\n# Clients\r\n"),
        "{reply}"
    );
    assert!(!reply.contains("# Memory"), "{reply}");
    let everything = client.cmd(&["INFO", "everything"]);
    assert!(
        everything.contains("# Commandstats\r\ncmdstat_info:calls=1,"),
        "{everything}"
    );
    assert_eq!(client.cmd(&["INFO", "nosuchsection"]), "$0\r\n\r\n");
}

#[test]
fn info_counts_commands_keys_and_errors() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "a", "1"]);
    client.cmd(&["PEXPIRE", "a", "100000"]);
    client.cmd(&["SET", "b", "2"]);
    client.cmd(&["GET", "b"]);
    client.cmd(&["GET", "missing"]);
    client.cmd(&["NOSUCHCOMMAND"]);
    client.cmd(&["GET"]);
    let info = String::from_utf8_lossy(&client.command(&["INFO", "all"])).into_owned();
    assert!(
        info.contains("db0:keys=2,expires=1,avg_ttl=0\r\n"),
        "{info}"
    );
    assert_eq!(info_field(&info, "keyspace_hits").as_deref(), Some("1"));
    assert_eq!(info_field(&info, "keyspace_misses").as_deref(), Some("1"));
    assert_eq!(
        info_field(&info, "total_error_replies").as_deref(),
        Some("2")
    );
    assert!(info.contains("errorstat_ERR:count=2\r\n"), "{info}");
    assert!(info.contains("cmdstat_set:calls=2,"), "{info}");
    assert!(
        info.contains("cmdstat_get:calls=2,") && info.contains("rejected_calls=1,failed_calls=0"),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "rdb_changes_since_last_save").as_deref(),
        Some("3")
    );
    // The five commands that ran; refused ones do not count, nor does this INFO until it ends.
    assert_eq!(
        info_field(&info, "total_commands_processed").as_deref(),
        Some("5")
    );
}

#[test]
fn info_is_a_verbatim_string_in_resp3() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["HELLO", "3"]);
    let reply = client.cmd(&["INFO", "server"]);
    assert!(
        reply.starts_with('=') && reply.contains("\r\ntxt:# Server\r\n"),
        "{reply}"
    );
}

#[test]
fn config_get_matches_glob_patterns() {
    let server = TestServer::start();
    let mut client = server.client();
    let pairs: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("max*")
        .query(&mut client)
        .unwrap();
    let names: Vec<&str> = pairs.iter().step_by(2).map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "maxmemory-policy",
            "maxmemory-samples",
            "maxmemory-eviction-tenacity",
            "maxclients",
            "maxmemory",
            "maxmemory-clients"
        ],
        "every name redis-server lists for max*, each once"
    );
    assert_eq!(pairs[1], "noeviction");
    let pairs: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("timeout")
        .arg("databases")
        .query(&mut client)
        .unwrap();
    assert_eq!(pairs, ["timeout", "0", "databases", "16"]);
    let pairs: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("nosuchparameter")
        .query(&mut client)
        .unwrap();
    assert!(pairs.is_empty());
    let dir: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("dir")
        .query(&mut client)
        .unwrap();
    assert_eq!(dir[1], server.dir.display().to_string());
}

#[test]
fn config_get_is_a_map_in_resp3() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["HELLO", "3"]);
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "timeout"]),
        "%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
}

#[test]
fn config_set_changes_settings_at_once() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&[
            "CONFIG",
            "SET",
            "proto-max-bulk-len",
            "2mb",
            "timeout",
            "30"
        ]),
        "+OK\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "proto-max-bulk-len"]),
        "*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n2097152\r\n"
    );
    // The new limit applies to the very next request.
    client.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097153\r\n");
    assert_eq!(
        client.reply_text(),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
}

#[test]
fn config_set_refuses_bad_requests_with_redis_errors() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "nosuch", "1"]),
        "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "databases", "4"]),
        "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "maxclients", "0"]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "timeout", "1", "timeout", "2"]),
        "-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "timeout", "1", "hz"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "timeout"]),
        "-ERR wrong number of arguments for 'config|set' command\r\n"
    );
}

#[test]
fn a_failed_config_set_restores_what_it_changed() {
    let server = TestServer::start();
    let mut client = server.raw();
    let reply = client.cmd(&["CONFIG", "SET", "timeout", "99", "maxclients", "abc"]);
    assert!(
        reply.starts_with("-ERR CONFIG SET failed (possibly related to argument 'maxclients')"),
        "{reply}"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "timeout"]),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
}

#[test]
fn config_resetstat_zeroes_the_counters() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["GET", "missing"]);
    assert_eq!(client.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    let info = client.cmd(&["INFO", "stats"]);
    assert_eq!(info_field(&info, "keyspace_misses").as_deref(), Some("0"));
}

#[test]
fn client_names_ids_and_library_info() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert!(client.cmd(&["CLIENT", "ID"]).starts_with(':'));
    assert_eq!(client.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(
        client.cmd(&["CLIENT", "SETNAME", "has space"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(client.cmd(&["CLIENT", "SETNAME", "worker-1"]), "+OK\r\n");
    assert_eq!(client.cmd(&["CLIENT", "GETNAME"]), "$8\r\nworker-1\r\n");
    // Redis 7.2's SETINFO, which client libraries send during their handshake.
    assert_eq!(
        client.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"]),
        "+OK\r\n"
    );
    assert_eq!(
        client.cmd(&["CLIENT", "SETINFO", "LIB-VER", "1.2.2"]),
        "+OK\r\n"
    );
    assert_eq!(
        client.cmd(&["CLIENT", "SETINFO", "color", "red"]),
        "-ERR Unrecognized option 'color'\r\n"
    );
    let line = client.cmd(&["CLIENT", "INFO"]);
    assert!(
        line.contains(" name=worker-1 ") && line.contains(" lib-name=redis-rs lib-ver=1.2.2"),
        "{line}"
    );
    assert!(line.contains(" cmd=client|info "), "{line}");
}

#[test]
fn client_list_shows_every_connection() {
    let server = TestServer::start();
    let (mut a, mut b) = (server.raw(), server.raw());
    b.cmd(&["SELECT", "3"]);
    let list = a.cmd(&["CLIENT", "LIST"]);
    assert_eq!(list.matches("id=").count(), 2, "{list}");
    assert!(list.contains(" db=3 "), "{list}");
    // The caller's line counts its own command as Redis's query buffer holds it: the 26 bytes
    // of `*2 $6 client $4 list`, 10 of them arguments; the other client has nothing pending.
    assert_eq!(
        list.matches(" qbuf=26 qbuf-free=0 argv-mem=10 ").count(),
        1,
        "{list}"
    );
    assert_eq!(
        list.matches(" qbuf=0 qbuf-free=0 argv-mem=0 ").count(),
        1,
        "{list}"
    );
    let id = a
        .cmd(&["CLIENT", "ID"])
        .trim_start_matches(':')
        .trim()
        .to_string();
    let mine = a.cmd(&["CLIENT", "LIST", "ID", &id]);
    assert_eq!(mine.matches("id=").count(), 1, "{mine}");
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "TYPE", "bogus"]),
        "-ERR Unknown client type 'bogus'\r\n"
    );
    assert_eq!(a.cmd(&["CLIENT", "LIST", "BOGUS"]), "-ERR syntax error\r\n");
}

#[test]
fn client_kill_closes_other_connections() {
    let server = TestServer::start();
    let (mut killer, mut victim) = (server.raw(), server.raw());
    let victim_id = victim
        .cmd(&["CLIENT", "ID"])
        .trim_start_matches(':')
        .trim()
        .to_string();
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "ID", &victim_id]), ":1\r\n");
    // Gone at once for INFO too, as Redis frees a killed client at once, whether or not its
    // thread has finished.
    let info = killer.cmd(&["INFO", "clients"]);
    assert!(info.contains("connected_clients:1\r\n"), "{info}");
    assert!(victim.is_closed());
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "1.2.3.4:5"]),
        "-ERR No such client\r\n"
    );
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", "0"]),
        "-ERR client-id should be greater than 0\r\n"
    );
    // SKIPME is on by default in the new form: killing by our own address spares us...
    let me = killer.cmd(&["CLIENT", "INFO"]);
    let addr = me
        .split(' ')
        .find_map(|field| field.strip_prefix("addr="))
        .unwrap()
        .to_string();
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "ADDR", &addr]), ":0\r\n");
    // ...and the old form kills us after the reply.
    assert_eq!(killer.cmd(&["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert!(killer.is_closed());
}

#[test]
fn client_reply_off_and_skip_silence_replies() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.send(&common::resp(&["CLIENT", "REPLY", "OFF"]));
    client.send(&common::resp(&["SET", "a", "1"]));
    client.send(&common::resp(&["CLIENT", "REPLY", "ON"]));
    assert_eq!(client.reply(), b"+OK\r\n", "only CLIENT REPLY ON answers");
    client.send(&common::resp(&["CLIENT", "REPLY", "SKIP"]));
    client.send(&common::resp(&["GET", "a"]));
    client.send(&common::resp(&["PING"]));
    assert_eq!(
        client.reply(),
        b"+PONG\r\n",
        "SKIP drops exactly the next reply"
    );
    assert_eq!(client.cmd(&["GET", "a"]), "$1\r\n1\r\n");
    client.send(&common::resp(&["CLIENT", "REPLY", "SKIP"]));
    assert_eq!(
        client.cmd(&["CLIENT", "REPLY", "ON"]),
        "+OK\r\n",
        "ON right after SKIP answers, as Redis clears both before replying"
    );
}

#[test]
fn no_touch_clients_leave_access_times_alone() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    client.cmd(&["SET", "k", "v"]);
    client.cmd(&["DEBUG", "SLEEP", "1.1"]);
    assert_eq!(client.cmd(&["CLIENT", "NO-TOUCH", "ON"]), "+OK\r\n");
    client.cmd(&["GET", "k"]);
    // Idle time counts whole seconds of the clock, so 1.1 s of sleep reads as 1 or 2.
    let idle = client.cmd(&["OBJECT", "IDLETIME", "k"]);
    assert!(
        idle == ":1\r\n" || idle == ":2\r\n",
        "a no-touch GET does not reset idle time: {idle:?}"
    );
    assert_eq!(client.cmd(&["CLIENT", "NO-TOUCH", "OFF"]), "+OK\r\n");
    client.cmd(&["GET", "k"]);
    assert_eq!(client.cmd(&["OBJECT", "IDLETIME", "k"]), ":0\r\n");
    assert_eq!(
        client.cmd(&["CLIENT", "NO-EVICT", "maybe"]),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn client_help_lists_subcommands() {
    let server = TestServer::start();
    let help = server.raw().cmd(&["CLIENT", "HELP"]);
    assert!(
        help.starts_with("*")
            && help
                .contains("+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
        "{help}"
    );
    assert!(
        help.ends_with("+HELP\r\n+    Prints this help.\r\n"),
        "{help}"
    );
}

#[test]
fn command_count_info_and_list_come_from_the_table() {
    let server = TestServer::start();
    let mut client = server.raw();
    let count: i64 = client
        .cmd(&["COMMAND", "COUNT"])
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    assert!(count >= 60, "{count}");
    let info = client.cmd(&["COMMAND", "INFO", "get", "nosuchcommand"]);
    assert!(
        info.starts_with(
            "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        ),
        "{info}"
    );
    assert!(info.ends_with("$-1\r\n"), "{info}");
    let list = client.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*"]);
    assert!(
        list.contains("client|setname") && !list.contains("\r\nget\r\n"),
        "{list}"
    );
    assert_eq!(
        client.cmd(&["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
}

#[test]
fn command_getkeysandflags_gives_each_key_its_spec_flags() {
    let server = TestServer::start();
    let mut client = server.raw();
    // SET with GET reads its key too: the flags come from the request, not only the spec.
    assert_eq!(
        client.cmd(&["COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b", "GET"]),
        "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"
    );
    assert_eq!(
        client.cmd(&[
            "COMMAND",
            "GETKEYSANDFLAGS",
            "LMOVE",
            "a",
            "b",
            "LEFT",
            "RIGHT"
        ]),
        "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n\
         *2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+insert\r\n"
    );
    // SORT's keys come from its own key finder: the sorted key read, STORE's written.
    assert_eq!(
        client.cmd(&["COMMAND", "GETKEYSANDFLAGS", "SORT", "a", "STORE", "b"]),
        "*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n\
         *2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"
    );
    assert_eq!(
        client.cmd(&["COMMAND", "GETKEYSANDFLAGS", "PING", "x"]),
        "-ERR The command has no key arguments\r\n"
    );
    assert_eq!(
        client.cmd(&["COMMAND", "GETKEYSANDFLAGS", "GET"]),
        "-ERR wrong number of arguments for 'command|getkeysandflags' command\r\n"
    );
}

#[test]
fn cluster_commands_answer_that_cluster_support_is_disabled() {
    let server = TestServer::start();
    let mut client = server.raw();
    for command in ["ASKING", "READONLY", "READWRITE"] {
        assert_eq!(
            client.cmd(&[command]),
            "-ERR This instance has cluster support disabled\r\n"
        );
    }
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn command_docs_has_what_redis_cli_reads() {
    let server = TestServer::start();
    let mut client = server.client();
    let docs: redis::Value = redis::cmd("COMMAND")
        .arg("DOCS")
        .arg("set")
        .arg("config")
        .query(&mut client)
        .unwrap();
    let text = format!("{docs:?}");
    for field in [
        "summary",
        "since",
        "group",
        "string",
        "1.0.0",
        "subcommands",
        "config|get",
    ] {
        assert!(text.contains(field), "missing {field}: {text}");
    }
    // Every command's docs carry the three fields redis-cli needs, or its help crashes.
    let all = server.raw().cmd(&["COMMAND", "DOCS"]);
    let commands = server
        .raw()
        .cmd(&["COMMAND", "COUNT"])
        .trim_start_matches(':')
        .trim()
        .parse::<usize>()
        .unwrap();
    assert!(
        all.matches("$7\r\nsummary\r\n").count() >= commands,
        "{commands} commands"
    );
}

#[test]
fn debug_is_refused_unless_enabled() {
    let server = TestServer::start();
    assert_eq!(
        server.raw().cmd(&["DEBUG", "SLEEP", "0"]),
        "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n"
    );
    let local = TestServer::with_args(&["--enable-debug-command", "local"]);
    assert_eq!(local.raw().cmd(&["DEBUG", "SLEEP", "0"]), "+OK\r\n");
}

#[test]
fn debug_subcommands() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut client = server.raw();
    client.cmd(&["SET", "k", "hello"]);
    let object = client.cmd(&["DEBUG", "OBJECT", "k"]);
    assert!(
        object.starts_with("+Value at:0x")
            && object.contains(" refcount:1 encoding:embstr serializedlength:6 lru:"),
        "{object}"
    );
    assert_eq!(
        client.cmd(&["DEBUG", "OBJECT", "missing"]),
        "-ERR no such key\r\n"
    );
    assert_eq!(
        client.cmd(&["DEBUG", "LOG", "hello from the test"]),
        "+OK\r\n"
    );
    assert!(wait_until(Duration::from_secs(5), || server
        .log()
        .contains("DEBUG LOG: hello from the test")));
    assert_eq!(client.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["DEBUG", "NOPE"]),
        "-ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP.\r\n"
    );
}

#[test]
fn debug_sleep_stalls_data_commands_from_other_clients() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let port = server.port;
    let sleeper =
        std::thread::spawn(move || common::Raw::connect(port).cmd(&["DEBUG", "SLEEP", "0.5"]));
    // Let the sleep start, then time a GET from another client.
    assert!(wait_until(Duration::from_secs(5), || server
        .raw()
        .cmd(&["CLIENT", "LIST"])
        .contains("cmd=debug")));
    let started = std::time::Instant::now();
    server.raw().cmd(&["GET", "k"]);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "GET ran during DEBUG SLEEP"
    );
    assert_eq!(sleeper.join().unwrap(), "+OK\r\n");
}

#[test]
fn dbsize_flushdb_flushall_and_swapdb() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MSET", "a", "1", "b", "2"]);
    client.cmd(&["SELECT", "1"]);
    client.cmd(&["SET", "c", "3"]);
    assert_eq!(client.cmd(&["DBSIZE"]), ":1\r\n");
    assert_eq!(client.cmd(&["SWAPDB", "0", "1"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["DBSIZE"]),
        ":2\r\n",
        "db 1 now holds what db 0 held"
    );
    assert_eq!(
        client.cmd(&["SWAPDB", "0", "x"]),
        "-ERR invalid second DB index\r\n"
    );
    assert_eq!(
        client.cmd(&["SWAPDB", "0", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(client.cmd(&["FLUSHDB", "BOGUS"]), "-ERR syntax error\r\n");
    assert_eq!(client.cmd(&["FLUSHDB", "ASYNC"]), "+OK\r\n");
    assert_eq!(client.cmd(&["DBSIZE"]), ":0\r\n");
    client.cmd(&["SELECT", "0"]);
    assert_eq!(client.cmd(&["DBSIZE"]), ":1\r\n");
    assert_eq!(client.cmd(&["FLUSHALL", "SYNC"]), "+OK\r\n");
    assert_eq!(client.cmd(&["DBSIZE"]), ":0\r\n");
}

#[test]
fn time_returns_seconds_and_microseconds() {
    let server = TestServer::start();
    let time: Vec<String> = redis::cmd("TIME").query(&mut server.client()).unwrap();
    let seconds: u64 = time[0].parse().unwrap();
    let micros: u64 = time[1].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(seconds.abs_diff(now) <= 5 && micros < 1_000_000);
}

#[test]
fn function_flush_succeeds_with_nothing_to_flush() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["FUNCTION", "FLUSH"]), "+OK\r\n");
    assert_eq!(client.cmd(&["FUNCTION", "FLUSH", "ASYNC"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["FUNCTION", "FLUSH", "BOGUS"]),
        "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"
    );
}

#[test]
fn shutdown_nosave_ends_the_process_cleanly_without_saving() {
    let mut server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["SHUTDOWN", "ABORT"]),
        "-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(
        client.cmd(&["SHUTDOWN", "SAVE", "NOSAVE"]),
        "-ERR syntax error\r\n"
    );
    client.send(&common::resp(&["SHUTDOWN", "NOSAVE"]));
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server exits");
    assert!(status.success(), "{status:?}");
    assert!(server.logged("ready to exit, bye bye"), "{}", server.log());
    assert!(
        !server.dir.join("dump.rdb").exists(),
        "NOSAVE saves nothing"
    );
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_and_sigint_shut_the_server_down() {
    for name in ["TERM", "INT"] {
        let mut server = TestServer::start();
        assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
        signal(server.pid(), name);
        let status = server
            .wait_exit(Duration::from_secs(10))
            .expect("the server exits");
        assert!(status.success(), "SIG{name}: {status:?}");
        assert!(
            server.logged(&format!("Received SIG{name} scheduling shutdown...")),
            "{}",
            server.log()
        );
    }
}

#[test]
fn startup_logs_like_redis() {
    let server = TestServer::start();
    assert!(
        wait_until(Duration::from_secs(5), || server
            .log()
            .contains("* Ready to accept connections")),
        "{}",
        server.log()
    );
}

#[test]
fn a_bad_option_stops_startup_with_redis_report() {
    let output = Command::new(assert_cmd::cargo::cargo_bin!("thredis"))
        .args(["--port", "abc"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"),
        "{stderr}"
    );
    assert!(
        stderr.contains(">>> 'port \"abc\"'")
            && stderr.contains("argument couldn't be parsed into an integer"),
        "{stderr}"
    );
}

#[test]
fn a_config_file_is_read_and_options_override_it() {
    let path = std::env::temp_dir().join(format!("thredis-config-{}.conf", std::process::id()));
    std::fs::write(&path, "# a comment\ntimeout 7\nhz 20\n").unwrap();
    let server = TestServer::with_args(&[path.to_str().unwrap(), "--hz", "5"]);
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "timeout"]),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n7\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "hz"]),
        "*2\r\n$2\r\nhz\r\n$1\r\n5\r\n"
    );
    let info = client.cmd(&["INFO", "server"]);
    assert_eq!(
        info_field(&info, "config_file"),
        Some(path.display().to_string())
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn past_maxmemory_commands_that_grow_the_data_are_refused_and_the_rest_run() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SET", "kept", "1"]);
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "maxmemory"]),
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    // Any running server uses more than one byte.
    assert_eq!(client.cmd(&["CONFIG", "SET", "maxmemory", "1"]), "+OK\r\n");
    assert_eq!(client.cmd(&["SET", "k", "v"]), OOM);
    assert_eq!(client.cmd(&["LPUSH", "l", "a"]), OOM);
    assert_eq!(client.cmd(&["GET", "kept"]), "$1\r\n1\r\n");
    assert_eq!(client.cmd(&["DEL", "kept"]), ":1\r\n");
    let info = client.cmd(&["INFO", "memory"]);
    assert_eq!(info_field(&info, "maxmemory").as_deref(), Some("1"));
    assert_eq!(
        info_field(&info, "maxmemory_policy").as_deref(),
        Some("noeviction")
    );
    assert_eq!(client.cmd(&["CONFIG", "SET", "maxmemory", "0"]), "+OK\r\n");
    assert_eq!(client.cmd(&["SET", "k", "v"]), "+OK\r\n");
}

#[test]
fn maxmemory_takes_memory_units_and_a_generous_limit_refuses_nothing() {
    let server = TestServer::with_args(&["--maxmemory", "1gb"]);
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "maxmemory"]),
        "*2\r\n$9\r\nmaxmemory\r\n$10\r\n1073741824\r\n"
    );
    assert_eq!(client.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "maxmemory", "bla"]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n"
    );
}

#[test]
fn maxmemory_policy_takes_redis_policies_and_refuses_others() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "maxmemory-policy"]),
        "*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "maxmemory-policy", "NoEviction"]),
        "+OK\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]),
        "+OK\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "maxmemory-policy"]),
        "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "maxmemory-policy", "lru"]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn oom_score_adj_moves_the_process_score_and_puts_it_back() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let score = || {
        std::fs::read_to_string(format!("/proc/{}/oom_score_adj", server.pid()))
            .expect("Linux has /proc/<pid>/oom_score_adj")
            .trim()
            .parse::<i64>()
            .expect("a number")
    };
    let base = score();
    let set = |raw: &mut common::Raw, args: &[&str]| {
        let mut command = vec!["CONFIG", "SET"];
        command.extend(args);
        assert_eq!(raw.cmd(&command), "+OK\r\n", "{args:?}");
    };
    set(
        &mut raw,
        &["oom-score-adj-values", "10 20 30", "oom-score-adj", "yes"],
    );
    assert_eq!(
        score(),
        (base + 10).min(1000),
        "relative to the score it had"
    );
    set(&mut raw, &["oom-score-adj-values", "15 20 30"]);
    assert_eq!(score(), (base + 15).min(1000));
    set(
        &mut raw,
        &[
            "oom-score-adj",
            "absolute",
            "oom-score-adj-values",
            "900 900 900",
        ],
    );
    assert_eq!(score(), 900);
    set(&mut raw, &["oom-score-adj", "no"]);
    assert_eq!(score(), base, "back to what it was");
}
