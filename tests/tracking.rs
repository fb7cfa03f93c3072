//! Client-side caching (`CLIENT TRACKING`, Redis's tracking.c): invalidation pushes in RESP3 and
//! redirected pub/sub messages in RESP2, broadcast mode with prefixes, OPTIN/OPTOUT with CLIENT
//! CACHING, NOLOOP, invalidations on expiry, flushes and transactions, the table limit, the
//! errors, CLIENT TRACKINGINFO / GETREDIR, INFO's counters, CLIENT LIST's flags and clean-up on
//! disconnect. Interop tests against a real redis-server are `#[ignore]`d.

mod common;

use std::time::Duration;

use common::real_redis::Pair;
use common::{Raw, TestServer, error, resp, wait_until};

/// The RESP3 push that tells a client `key` changed.
fn push_for(key: &str) -> String {
    format!(
        ">2\r\n$10\r\ninvalidate\r\n*1\r\n${}\r\n{key}\r\n",
        key.len()
    )
}

/// The RESP2 message a redirect target subscribed to `__redis__:invalidate` gets for `keys`.
fn message_for(keys: &[&str]) -> String {
    let mut text = format!(
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*{}\r\n",
        keys.len()
    );
    for key in keys {
        text.push_str(&format!("${}\r\n{key}\r\n", key.len()));
    }
    text
}

/// A RESP3 connection that tracks keys in the default mode, with `options`.
fn resp3_tracking(server: &TestServer, options: &[&str]) -> Raw {
    let mut client = server.raw();
    client.command(&["HELLO", "3"]);
    let mut args = vec!["CLIENT", "TRACKING", "on"];
    args.extend_from_slice(options);
    assert_eq!(client.cmd(&args), "+OK\r\n");
    client
}

/// A RESP2 connection subscribed to the invalidation channel, and its client id.
fn redirect_target(server: &TestServer) -> (Raw, String) {
    let mut target = server.raw();
    let id = target.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim().to_string();
    target.command(&["SUBSCRIBE", "__redis__:invalidate"]);
    (target, id)
}

#[test]
fn a_resp3_client_is_pushed_an_invalidation_once_for_a_key_it_read() {
    let server = TestServer::start();
    let mut reader = resp3_tracking(&server, &[]);
    let mut writer = server.raw();
    writer.cmd(&["SET", "key", "1"]);
    assert_eq!(reader.cmd(&["GET", "key"]), "$1\r\n1\r\n");
    writer.cmd(&["SET", "key", "2"]);
    assert_eq!(reader.reply_text(), push_for("key"));
    // Told once: the next change says nothing until the key is read again.
    writer.cmd(&["SET", "key", "3"]);
    writer.cmd(&["SET", "other", "1"]);
    assert_eq!(reader.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_resp2_client_redirects_to_a_subscriber_of_the_invalidation_channel() {
    let server = TestServer::start();
    let (mut target, id) = redirect_target(&server);
    let mut reader = server.raw();
    assert_eq!(
        reader.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id]),
        "+OK\r\n"
    );
    reader.cmd(&["MSET", "a", "1", "b", "1"]);
    reader.cmd(&["GET", "a"]);
    reader.cmd(&["INCR", "b"]); // never read: nothing to say
    reader.cmd(&["INCR", "a"]);
    assert_eq!(target.reply_text(), message_for(&["a"]));
    assert_eq!(reader.cmd(&["CLIENT", "GETREDIR"]), format!(":{id}\r\n"));
}

#[test]
fn broadcast_mode_sends_each_prefix_its_changed_keys_after_each_write() {
    let server = TestServer::start();
    let (mut target, id) = redirect_target(&server);
    let mut client = server.raw();
    let on = [
        "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", &id, "PREFIX", "a:", "PREFIX", "b:",
    ];
    assert_eq!(client.cmd(&on), "+OK\r\n");
    client.run_all(&[
        &["MULTI"],
        &["INCR", "a:2"],
        &["INCR", "a:1"],
        &["INCR", "b:1"],
        &["INCR", "c:1"],
        &["EXEC"],
    ]);
    // One message per prefix, keys in order, the transaction as one batch.
    assert_eq!(target.reply_text(), message_for(&["a:1", "a:2"]));
    assert_eq!(target.reply_text(), message_for(&["b:1"]));
    client.cmd(&["MSET", "b:x", "1", "c:x", "1"]);
    assert_eq!(target.reply_text(), message_for(&["b:x"]));
    let info = client.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(
        info.contains("$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n"),
        "{info}"
    );
    assert!(
        info.ends_with("$8\r\nprefixes\r\n*2\r\n$2\r\na:\r\n$2\r\nb:\r\n"),
        "{info}"
    );
}

#[test]
fn prefixes_of_one_client_must_not_overlap() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO"
        ]),
        error(
            "ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a single client must not overlap."
        )
    );
    client.cmd(&[
        "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR",
    ]);
    assert_eq!(
        client.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "BARB"]),
        error(
            "ERR Prefix 'BARB' overlaps with an existing prefix 'BAR'. Prefixes for a single client must not overlap."
        )
    );
}

#[test]
fn optin_remembers_only_after_caching_yes_and_optout_forgets_after_caching_no() {
    let server = TestServer::start();
    let mut writer = server.raw();
    let mut optin = resp3_tracking(&server, &["OPTIN"]);
    optin.cmd(&["GET", "plain"]);
    assert_eq!(optin.cmd(&["CLIENT", "CACHING", "yes"]), "+OK\r\n");
    optin.cmd(&["GET", "cached"]);
    let mut optout = resp3_tracking(&server, &["OPTOUT"]);
    optout.cmd(&["CLIENT", "CACHING", "no"]);
    optout.cmd(&["GET", "plain"]);
    optout.cmd(&["GET", "cached"]);
    writer.cmd(&["MSET", "plain", "1", "cached", "1"]);
    assert_eq!(optin.reply_text(), push_for("cached"));
    assert_eq!(optout.reply_text(), push_for("cached"));
    assert_eq!(
        optin.cmd(&["PING"]),
        "+PONG\r\n",
        "no push for the uncached key"
    );
    assert_eq!(optout.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn noloop_clients_hear_only_of_other_clients_changes() {
    let server = TestServer::start();
    let mut client = resp3_tracking(&server, &["NOLOOP"]);
    let mut other = server.raw();
    client.cmd(&["MGET", "mine", "theirs"]);
    client.cmd(&["SET", "mine", "1"]);
    other.cmd(&["SET", "theirs", "1"]);
    assert_eq!(client.reply_text(), push_for("theirs"));
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn own_writes_are_invalidated_after_their_reply_even_in_a_transaction() {
    let server = TestServer::start();
    let mut client = resp3_tracking(&server, &[]);
    client.cmd(&["HSET", "h", "f", "1"]);
    client.cmd(&["HGET", "h", "f"]);
    assert_eq!(client.cmd(&["HDEL", "h", "f"]), ":1\r\n");
    assert_eq!(client.reply_text(), push_for("h"));
    client.cmd(&["MSET", "a", "1", "b", "2"]);
    client.cmd(&["GET", "a"]);
    client.cmd(&["MULTI"]);
    client.cmd(&["INCR", "a"]);
    client.cmd(&["GET", "b"]);
    assert_eq!(client.cmd(&["EXEC"]), "*2\r\n:2\r\n$1\r\n2\r\n");
    assert_eq!(client.reply_text(), push_for("a"));
}

#[test]
fn expired_keys_are_invalidated() {
    let server = TestServer::start();
    let mut client = resp3_tracking(&server, &[]);
    let mut writer = server.raw();
    writer.cmd(&["SET", "short", "v", "PX", "50"]);
    client.cmd(&["GET", "short"]);
    // The active expiry cycle removes it with nobody asking.
    assert_eq!(client.reply_text(), push_for("short"));
}

#[test]
fn flushes_invalidate_everything_with_a_null() {
    let server = TestServer::start();
    let mut client = resp3_tracking(&server, &[]);
    let (mut target, id) = redirect_target(&server);
    let mut redirected = server.raw();
    redirected.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id]);
    client.cmd(&["GET", "k"]);
    redirected.cmd(&["GET", "k"]);
    assert!(
        client
            .cmd(&["INFO", "stats"])
            .contains("tracking_total_keys:1\r\n")
    );
    server.raw().cmd(&["FLUSHALL"]);
    assert_eq!(client.reply_text(), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
    assert_eq!(
        target.reply_text(),
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
    );
    assert!(
        client
            .cmd(&["INFO", "stats"])
            .contains("tracking_total_keys:0\r\n")
    );
    // Its own FLUSHDB inside a transaction: after EXEC's reply.
    client.cmd(&["MULTI"]);
    client.cmd(&["FLUSHDB"]);
    assert_eq!(client.cmd(&["EXEC"]), "*1\r\n+OK\r\n");
    assert_eq!(client.reply_text(), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
}

#[test]
fn the_table_limit_evicts_keys_and_invalidates_them() {
    let server = TestServer::start();
    let (mut target, id) = redirect_target(&server);
    let mut client = server.raw();
    client.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", &id]);
    for i in 0..250 {
        client.cmd(&["GET", &format!("key{i}")]);
    }
    client.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]);
    // The cron tries 100 keys, then 200: exactly 249 go, whoever sends the next command.
    for _ in 0..249 {
        assert!(target.reply_text().starts_with("*3\r\n$7\r\nmessage\r\n"));
    }
    assert!(wait_until(Duration::from_secs(5), || client
        .cmd(&["INFO", "stats"])
        .contains("tracking_total_keys:1\r\n")));
    assert_eq!(target.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

#[test]
fn errors_are_redis_texts() {
    let server = TestServer::start();
    let mut client = server.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["CLIENT", "TRACKING", "maybe"], "ERR syntax error"),
        (&["CLIENT", "TRACKING", "on", "WHAT"], "ERR syntax error"),
        (
            &["CLIENT", "TRACKING", "on", "PREFIX", "a"],
            "ERR PREFIX option requires BCAST mode to be enabled",
        ),
        (
            &["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"],
            "ERR OPTIN and OPTOUT are not compatible with BCAST",
        ),
        (
            &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
            "ERR You can't specify both OPTIN mode and OPTOUT mode",
        ),
        (
            &["CLIENT", "TRACKING", "on", "REDIRECT", "99999"],
            "ERR The client ID you want redirect to does not exist",
        ),
        (
            &["CLIENT", "TRACKING", "on", "REDIRECT", "x"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["CLIENT", "CACHING", "yes"],
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(client.cmd(args), error(expected), "{args:?}");
    }
    client.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]);
    assert_eq!(
        client.cmd(&["CLIENT", "CACHING", "no"]),
        error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    );
    assert_eq!(
        client.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT"]),
        error(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
        )
    );
    assert_eq!(
        client.cmd(&["CLIENT", "TRACKING", "on", "BCAST"]),
        error(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
        )
    );
}

#[test]
fn trackinginfo_getredir_info_and_client_list_report_the_mode() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(client.cmd(&["CLIENT", "GETREDIR"]), ":-1\r\n");
    assert_eq!(
        client.cmd(&["CLIENT", "TRACKINGINFO"]),
        "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    client.cmd(&["CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP"]);
    client.cmd(&["CLIENT", "CACHING", "no"]);
    let info = client.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.starts_with("*6\r\n$5\r\nflags\r\n*4\r\n$2\r\non\r\n$6\r\noptout\r\n$10\r\ncaching-no\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n"), "{info}");
    assert_eq!(client.cmd(&["CLIENT", "GETREDIR"]), ":0\r\n");
    let line = client.cmd(&["CLIENT", "INFO"]);
    assert!(
        line.contains(" flags=t ") && line.contains(" redir=0 "),
        "{line}"
    );
    assert!(
        client
            .cmd(&["INFO", "clients"])
            .contains("tracking_clients:1\r\n")
    );
    let mut bcast = server.raw();
    bcast.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:"]);
    assert!(bcast.cmd(&["CLIENT", "INFO"]).contains(" flags=tB "));
    let stats = client.cmd(&["INFO", "stats"]);
    assert!(stats.contains("tracking_total_prefixes:1\r\n"), "{stats}");
    assert!(
        client
            .cmd(&["INFO", "clients"])
            .contains("tracking_clients:2\r\n")
    );
}

#[test]
fn a_broken_redirection_is_reported_to_a_resp3_client() {
    let server = TestServer::start();
    let (target, id) = redirect_target(&server);
    let mut client = resp3_tracking(&server, &["REDIRECT", &id]);
    client.cmd(&["GET", "k"]);
    drop(target);
    assert!(wait_until(Duration::from_secs(5), || !client
        .cmd(&["CLIENT", "LIST"])
        .contains(&format!("id={id} "))));
    server.raw().cmd(&["SET", "k", "1"]);
    assert_eq!(
        client.reply_text(),
        format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n")
    );
    let info = client.cmd(&["CLIENT", "TRACKINGINFO"]);
    assert!(
        info.contains("$2\r\non\r\n$15\r\nbroken_redirect\r\n"),
        "{info}"
    );
    assert!(client.cmd(&["CLIENT", "INFO"]).contains(" flags=tR "));
}

#[test]
fn turning_tracking_off_or_disconnecting_releases_the_client() {
    let server = TestServer::start();
    let mut client = resp3_tracking(&server, &[]);
    let mut other = resp3_tracking(&server, &["BCAST"]);
    let mut observer = server.raw();
    assert!(
        observer
            .cmd(&["INFO", "clients"])
            .contains("tracking_clients:2\r\n")
    );
    client.cmd(&["GET", "k"]);
    assert_eq!(client.cmd(&["CLIENT", "TRACKING", "off"]), "+OK\r\n");
    observer.cmd(&["SET", "k", "1"]);
    assert_eq!(other.reply_text(), push_for("k"));
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n", "nothing once off");
    drop(other);
    assert!(wait_until(Duration::from_secs(5), || observer
        .cmd(&["INFO", "all"])
        .contains("tracking_clients:0\r\n")));
    assert!(
        observer
            .cmd(&["INFO", "stats"])
            .contains("tracking_total_prefixes:0\r\n")
    );
    // RESET turns it off too.
    client.cmd(&["CLIENT", "TRACKING", "on"]);
    client.cmd(&["RESET"]);
    assert_eq!(client.cmd(&["CLIENT", "GETREDIR"]), ":-1\r\n");
}

#[test]
fn the_redis_crate_sees_invalidations_as_pushes() {
    let server = TestServer::start();
    let mut reader = server.client_resp3();
    let (tx, rx) = std::sync::mpsc::channel();
    reader.set_push_sender(tx);
    let _: () = redis::cmd("CLIENT")
        .arg("TRACKING")
        .arg("on")
        .query(&mut reader)
        .unwrap();
    let _: Option<String> = redis::cmd("GET")
        .arg("crate-key")
        .query(&mut reader)
        .unwrap();
    server.raw().cmd(&["SET", "crate-key", "v"]);
    let _: String = redis::cmd("PING").query(&mut reader).unwrap();
    let push = rx.recv_timeout(Duration::from_secs(5)).expect("a push");
    assert_eq!(push.kind, redis::PushKind::Invalidate);
    assert_eq!(
        push.data,
        vec![redis::Value::Array(vec![redis::Value::BulkString(
            b"crate-key".to_vec()
        )])]
    );
}

#[test]
#[ignore = "needs redis-server: compares CLIENT TRACKING replies byte for byte"]
fn tracking_replies_match_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "GETREDIR"],
        &["CLIENT", "TRACKING", "on", "PREFIX", "a"],
        &["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"],
        &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "0"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "-1"],
        &["CLIENT", "TRACKING", "on", "REDIRECT"],
        &["CLIENT", "TRACKING", "off", "NOPE"],
        &["CLIENT", "TRACKING"],
        &["CLIENT", "CACHING", "yes"],
        &["CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"],
        &["CLIENT", "CACHING", "yes"],
        &["CLIENT", "CACHING", "no"],
        &["CLIENT", "CACHING", "maybe"],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "GETREDIR"],
        &["CLIENT", "TRACKING", "off"],
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "y",
        ],
        &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "xy"],
        &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "z"],
        &["CLIENT", "TRACKINGINFO"],
        &[
            "COMMAND",
            "INFO",
            "client|tracking",
            "client|caching",
            "client|getredir",
            "client|trackinginfo",
        ],
    ]);
    hello_3(&mut pair);
    pair.same(&["CLIENT", "TRACKINGINFO"]);
}

/// Both connections speak RESP3 (HELLO's reply differs: it shows the client id).
fn hello_3(pair: &mut Pair) {
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
}

#[test]
#[ignore = "needs redis-server: compares the invalidation bytes both servers push"]
fn invalidation_pushes_match_redis() {
    let mut pair = Pair::new();
    let (mut redis_writer, mut thredis_writer) = pair.connect_again();
    hello_3(&mut pair);
    pair.each(&[&["CLIENT", "TRACKING", "on"], &["MGET", "k1", "k2"]]);
    for writer in [&mut redis_writer, &mut thredis_writer] {
        writer.cmd(&["MSET", "k1", "1", "k2", "2"]);
    }
    for _ in 0..2 {
        assert_eq!(pair.thredis.reply_text(), pair.redis.reply_text());
    }
    pair.each(&[&["GET", "k1"], &["SET", "k1", "own"]]);
    assert_eq!(pair.thredis.reply_text(), pair.redis.reply_text());
    pair.each(&[&["GET", "k1"], &["FLUSHDB"]]);
    assert_eq!(pair.thredis.reply_text(), pair.redis.reply_text());
}

#[test]
fn a_transaction_invalidates_each_command_s_changes_before_the_next_reads() {
    let server = TestServer::start();
    let mut client = resp3_tracking(&server, &[]);
    let mut writer = server.raw();
    client.run_all(&[&["MULTI"], &["SET", "k", "1"], &["GET", "k"]]);
    assert_eq!(client.cmd(&["EXEC"]), "*2\r\n+OK\r\n$1\r\n1\r\n");
    assert_eq!(
        client.cmd(&["PING"]),
        "+PONG\r\n",
        "the SET came before the read"
    );
    // The read inside the transaction is remembered.
    writer.cmd(&["SET", "k", "2"]);
    assert_eq!(client.reply_text(), push_for("k"));
}

#[test]
fn a_resp3_client_that_never_subscribed_can_be_redirected_to() {
    let server = TestServer::start();
    let mut target = server.raw();
    target.command(&["HELLO", "3"]);
    let id = target.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim();
    let mut client = server.raw();
    client.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", id]);
    client.cmd(&["GET", "k"]);
    // Its next command makes it wait for messages; pushes pass CLIENT REPLY OFF.
    target.send(&resp(&["CLIENT", "REPLY", "OFF"]));
    server.raw().cmd(&["SET", "k", "1"]);
    assert_eq!(target.reply_text(), push_for("k"));
    assert_eq!(target.cmd(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
}

#[test]
fn a_served_blocked_client_hears_of_its_own_changes_after_its_reply() {
    let server = TestServer::start();
    let mut blocked = resp3_tracking(&server, &[]);
    let mut pusher = server.raw();
    pusher.cmd(&["RPUSH", "dst", "a"]);
    blocked.cmd(&["LRANGE", "dst", "0", "-1"]);
    blocked.send(&resp(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]));
    pusher.wait_for_blocked(1);
    pusher.cmd(&["RPUSH", "src", "foo"]);
    assert_eq!(blocked.reply_text(), "$3\r\nfoo\r\n");
    assert_eq!(blocked.reply_text(), push_for("dst"));
}
