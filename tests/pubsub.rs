//! Pub/sub stages 85–91 (SUBSCRIBE, subscribed mode, PING there, PUBLISH, delivery,
//! UNSUBSCRIBE), and the rest of Redis 7's pub/sub: patterns, shard channels, RESP3 pushes,
//! PUBSUB introspection, ordering, and a subscriber that stops reading.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{Raw, TestServer, wait_until};

/// `*3 $<len> <kind> $<len> <channel> :<count>`: a (un)subscribe confirmation in RESP2.
fn confirmation(kind: &str, channel: &str, count: usize) -> String {
    format!(
        "*3\r\n${}\r\n{kind}\r\n${}\r\n{channel}\r\n:{count}\r\n",
        kind.len(),
        channel.len()
    )
}

/// A message as a RESP2 array: `["message", channel, payload]`, or with the pattern first.
fn message(parts: &[&str]) -> String {
    let mut text = format!("*{}\r\n", parts.len());
    for part in parts {
        text.push_str(&format!("${}\r\n{part}\r\n", part.len()));
    }
    text
}

/// Subscribes `client` to `channels` and checks each confirmation.
fn subscribe(client: &mut Raw, channels: &[&str]) {
    let mut args = vec!["SUBSCRIBE"];
    args.extend(channels);
    client.send(&common::resp(&args));
    for (i, channel) in channels.iter().enumerate() {
        assert_eq!(
            client.reply_text(),
            confirmation("subscribe", channel, i + 1)
        );
    }
}

#[test]
fn stage_85_subscribe_confirms_with_the_subscription_count() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["SUBSCRIBE", "mychan"]),
        "*3\r\n$9\r\nsubscribe\r\n$6\r\nmychan\r\n:1\r\n"
    );
}

#[test]
fn stage_86_each_client_counts_its_own_subscriptions() {
    let server = TestServer::start();
    let (mut c1, mut c2) = (server.raw(), server.raw());
    for (i, channel) in ["a", "b", "c", "d"].iter().enumerate() {
        assert_eq!(
            c1.cmd(&["SUBSCRIBE", channel]),
            confirmation("subscribe", channel, i + 1)
        );
        assert_eq!(
            c2.cmd(&["SUBSCRIBE", channel]),
            confirmation("subscribe", channel, i + 1)
        );
    }
}

#[test]
fn stage_87_a_subscribed_client_may_only_run_pubsub_commands() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["SUBSCRIBE", "ch1"]);
    for (args, name) in [
        (&["SET", "k", "v"][..], "set"),
        (&["GET", "k"], "get"),
        (&["ECHO", "hi"], "echo"),
        (&["CONFIG", "GET", "port"], "config|get"),
        (&["MULTI"], "multi"),
    ] {
        assert_eq!(
            client.cmd(args),
            format!(
                "-ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
            )
        );
    }
    assert_eq!(
        client.cmd(&["SUBSCRIBE", "ch2"]),
        confirmation("subscribe", "ch2", 2)
    );
    // Leaving subscribed mode gives the other commands back.
    client.send(&common::resp(&["UNSUBSCRIBE"]));
    client.reply();
    client.reply();
    assert_eq!(client.cmd(&["ECHO", "hi"]), "$2\r\nhi\r\n");
}

#[test]
fn stage_88_ping_in_subscribed_mode_replies_pong_and_its_message() {
    let server = TestServer::start();
    let (mut subscribed, mut plain) = (server.raw(), server.raw());
    subscribed.cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(subscribed.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(
        subscribed.cmd(&["PING", "hey"]),
        "*2\r\n$4\r\npong\r\n$3\r\nhey\r\n"
    );
    assert_eq!(plain.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn stage_89_publish_replies_how_many_clients_received_the_message() {
    let server = TestServer::start();
    let (mut c1, mut c2, mut c3, mut publisher) =
        (server.raw(), server.raw(), server.raw(), server.raw());
    c1.cmd(&["SUBSCRIBE", "chA"]);
    c2.cmd(&["SUBSCRIBE", "chB"]);
    c3.cmd(&["SUBSCRIBE", "chB"]);
    assert_eq!(publisher.cmd(&["PUBLISH", "chA", "m"]), ":1\r\n");
    assert_eq!(publisher.cmd(&["PUBLISH", "chB", "m"]), ":2\r\n");
    assert_eq!(publisher.cmd(&["PUBLISH", "nobody", "m"]), ":0\r\n");
}

#[test]
fn stage_90_messages_reach_the_subscribers_of_their_channel_only() {
    let server = TestServer::start();
    let (mut c1, mut c2, mut c3, mut publisher) =
        (server.raw(), server.raw(), server.raw(), server.raw());
    c1.cmd(&["SUBSCRIBE", "chA"]);
    c2.cmd(&["SUBSCRIBE", "chA"]);
    c3.cmd(&["SUBSCRIBE", "chB"]);
    assert_eq!(publisher.cmd(&["PUBLISH", "chA", "m1"]), ":2\r\n");
    assert_eq!(c1.reply_text(), message(&["message", "chA", "m1"]));
    assert_eq!(c2.reply_text(), message(&["message", "chA", "m1"]));
    assert!(c3.nothing_within(Duration::from_millis(100)));
    assert_eq!(publisher.cmd(&["PUBLISH", "chB", "m2"]), ":1\r\n");
    assert_eq!(c3.reply_text(), message(&["message", "chB", "m2"]));
    assert!(c1.nothing_within(Duration::from_millis(100)));
}

#[test]
fn stage_91_unsubscribe_stops_the_messages_of_that_channel() {
    let server = TestServer::start();
    let (mut c1, mut c2, mut publisher) = (server.raw(), server.raw(), server.raw());
    subscribe(&mut c1, &["chA", "chB"]);
    subscribe(&mut c2, &["chB", "chC"]);
    assert_eq!(publisher.cmd(&["PUBLISH", "chB", "m1"]), ":2\r\n");
    assert_eq!(c1.reply_text(), message(&["message", "chB", "m1"]));
    assert_eq!(c2.reply_text(), message(&["message", "chB", "m1"]));
    assert_eq!(
        c1.cmd(&["UNSUBSCRIBE", "chB"]),
        confirmation("unsubscribe", "chB", 1)
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "chB", "m2"]), ":1\r\n");
    assert_eq!(c2.reply_text(), message(&["message", "chB", "m2"]));
    assert!(c1.nothing_within(Duration::from_millis(100)));
}

#[test]
fn unsubscribe_without_channels_leaves_every_channel_in_subscription_order() {
    let server = TestServer::start();
    let (mut client, mut publisher) = (server.raw(), server.raw());
    subscribe(&mut client, &["c", "a", "b"]);
    client.send(&common::resp(&["UNSUBSCRIBE"]));
    for (channel, left) in [("c", 2), ("a", 1), ("b", 0)] {
        assert_eq!(
            client.reply_text(),
            confirmation("unsubscribe", channel, left)
        );
    }
    assert_eq!(publisher.cmd(&["PUBLISH", "a", "x"]), ":0\r\n");
    // With nothing left, the confirmation names no channel.
    assert_eq!(
        client.cmd(&["UNSUBSCRIBE"]),
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(
        client.cmd(&["PUNSUBSCRIBE"]),
        "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n", "out of subscribed mode");
}

#[test]
fn unsubscribing_from_channels_never_subscribed_still_confirms_each() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.send(&common::resp(&["UNSUBSCRIBE", "foo", "bar"]));
    assert_eq!(client.reply_text(), confirmation("unsubscribe", "foo", 0));
    assert_eq!(client.reply_text(), confirmation("unsubscribe", "bar", 0));
}

#[test]
fn subscribing_twice_to_a_channel_counts_once() {
    let server = TestServer::start();
    let (mut client, mut publisher) = (server.raw(), server.raw());
    client.send(&common::resp(&["SUBSCRIBE", "ch", "ch"]));
    assert_eq!(client.reply_text(), confirmation("subscribe", "ch", 1));
    assert_eq!(client.reply_text(), confirmation("subscribe", "ch", 1));
    assert_eq!(publisher.cmd(&["PUBLISH", "ch", "once"]), ":1\r\n");
    assert_eq!(client.reply_text(), message(&["message", "ch", "once"]));
    assert!(client.nothing_within(Duration::from_millis(100)));
}

#[test]
fn patterns_receive_pmessages_and_count_as_receivers() {
    let server = TestServer::start();
    let (mut client, mut publisher) = (server.raw(), server.raw());
    assert_eq!(
        client.cmd(&["PSUBSCRIBE", "news.*"]),
        confirmation("psubscribe", "news.*", 1)
    );
    assert_eq!(
        client.cmd(&["SUBSCRIBE", "news.art"]),
        confirmation("subscribe", "news.art", 2)
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "news.art", "hi"]), ":2\r\n");
    assert_eq!(client.reply_text(), message(&["message", "news.art", "hi"]));
    assert_eq!(
        client.reply_text(),
        message(&["pmessage", "news.*", "news.art", "hi"])
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "newsletter", "x"]), ":0\r\n");
    assert_eq!(
        client.cmd(&["PUNSUBSCRIBE", "news.*"]),
        confirmation("punsubscribe", "news.*", 1)
    );
    assert_eq!(publisher.cmd(&["PUBLISH", "news.tech", "x"]), ":0\r\n");
}

#[test]
fn shard_channels_are_a_namespace_of_their_own() {
    let server = TestServer::start();
    let (mut shard, mut plain, mut publisher) = (server.raw(), server.raw(), server.raw());
    assert_eq!(
        shard.cmd(&["SSUBSCRIBE", "orders"]),
        confirmation("ssubscribe", "orders", 1)
    );
    plain.cmd(&["SUBSCRIBE", "orders"]);
    plain.cmd(&["PSUBSCRIBE", "*"]);
    assert_eq!(publisher.cmd(&["SPUBLISH", "orders", "o1"]), ":1\r\n");
    assert_eq!(shard.reply_text(), message(&["smessage", "orders", "o1"]));
    assert!(plain.nothing_within(Duration::from_millis(100)));
    assert_eq!(publisher.cmd(&["PUBLISH", "orders", "o2"]), ":2\r\n");
    assert_eq!(plain.reply_text(), message(&["message", "orders", "o2"]));
    assert_eq!(
        plain.reply_text(),
        message(&["pmessage", "*", "orders", "o2"])
    );
    assert!(shard.nothing_within(Duration::from_millis(100)));
    // Shard subscriptions are counted apart from the others.
    assert_eq!(
        plain.cmd(&["SSUBSCRIBE", "s"]),
        "*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"
    );
    assert_eq!(
        shard.cmd(&["SUNSUBSCRIBE"]),
        confirmation("sunsubscribe", "orders", 0)
    );
}

#[test]
fn subscribe_inside_a_transaction_confirms_inside_execs_reply() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["MULTI"]);
    client.cmd(&["SUBSCRIBE", "a"]);
    client.cmd(&["SSUBSCRIBE", "s"]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        format!(
            "*2\r\n{}-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n",
            confirmation("subscribe", "a", 1)
        )
    );
    assert_eq!(client.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

#[test]
fn pubsub_introspection_reports_channels_subscribers_and_patterns() {
    let server = TestServer::start();
    let (mut a, mut b, mut c) = (server.raw(), server.raw(), server.raw());
    subscribe(&mut a, &["news", "sport"]);
    subscribe(&mut b, &["news"]);
    a.cmd(&["PSUBSCRIBE", "n*"]);
    b.cmd(&["PSUBSCRIBE", "n*"]);
    b.cmd(&["PSUBSCRIBE", "s*"]);
    b.cmd(&["SSUBSCRIBE", "shard"]);
    let mut channels: Vec<String> = c
        .cmd(&["PUBSUB", "CHANNELS"])
        .lines()
        .filter(|l| !l.starts_with(['*', '$']))
        .map(str::to_string)
        .collect();
    channels.sort();
    assert_eq!(channels, ["news", "sport"]);
    assert_eq!(
        c.cmd(&["PUBSUB", "CHANNELS", "sp*"]),
        "*1\r\n$5\r\nsport\r\n"
    );
    assert_eq!(
        c.cmd(&["PUBSUB", "NUMSUB", "news", "sport", "none"]),
        "*6\r\n$4\r\nnews\r\n:2\r\n$5\r\nsport\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
    );
    assert_eq!(c.cmd(&["PUBSUB", "NUMSUB"]), "*0\r\n");
    assert_eq!(c.cmd(&["PUBSUB", "NUMPAT"]), ":2\r\n", "distinct patterns");
    assert_eq!(c.cmd(&["PUBSUB", "SHARDCHANNELS"]), "*1\r\n$5\r\nshard\r\n");
    assert_eq!(
        c.cmd(&["PUBSUB", "SHARDNUMSUB", "shard"]),
        "*2\r\n$5\r\nshard\r\n:1\r\n"
    );
    assert_eq!(
        c.cmd(&["PUBSUB", "CHANNELS", "a", "b"]),
        "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
    );
    assert!(c.cmd(&["PUBSUB", "HELP"]).starts_with("*14\r\n"));
    let info = c.cmd(&["INFO", "stats"]);
    for field in [
        "pubsub_channels:2\r\n",
        "pubsub_patterns:2\r\n",
        "pubsubshard_channels:1\r\n",
    ] {
        assert!(info.contains(field), "{field} in {info}");
    }
}

#[test]
fn a_resp3_subscriber_gets_pushes_and_may_run_any_command() {
    let server = TestServer::start();
    let (mut client, mut publisher) = (server.raw(), server.raw());
    client.cmd(&["HELLO", "3"]);
    assert_eq!(
        client.cmd(&["SUBSCRIBE", "ch"]),
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    assert_eq!(client.cmd(&["GET", "missing"]), "_\r\n");
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
    publisher.cmd(&["PUBLISH", "ch", "hi"]);
    assert_eq!(
        client.reply_text(),
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
    );
    assert_eq!(
        client.cmd(&["UNSUBSCRIBE"]),
        ">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"
    );
    assert_eq!(
        client.cmd(&["UNSUBSCRIBE"]),
        ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"
    );
}

#[test]
fn messages_published_before_a_command_arrive_before_its_reply() {
    let server = TestServer::start();
    let (mut client, mut publisher) = (server.raw(), server.raw());
    client.cmd(&["HELLO", "3"]);
    client.cmd(&["SUBSCRIBE", "ch"]);
    publisher.cmd(&["PUBLISH", "ch", "first"]);
    client.send(&common::resp(&["ECHO", "second"]));
    assert!(client.reply_text().contains("first"));
    assert_eq!(client.reply_text(), "$6\r\nsecond\r\n");
}

#[test]
fn confirmations_and_messages_get_through_client_reply_off() {
    let server = TestServer::start();
    let (mut client, mut publisher) = (server.raw(), server.raw());
    client.send(&common::resp(&["CLIENT", "REPLY", "OFF"]));
    assert_eq!(
        client.cmd(&["SUBSCRIBE", "ch"]),
        confirmation("subscribe", "ch", 1)
    );
    publisher.cmd(&["PUBLISH", "ch", "hi"]);
    assert_eq!(client.reply_text(), message(&["message", "ch", "hi"]));
    client.send(&common::resp(&["PING"]));
    assert!(
        client.nothing_within(Duration::from_millis(100)),
        "PING's reply is off"
    );
}

#[test]
fn one_publishers_messages_arrive_in_the_order_they_were_published() {
    const MESSAGES: usize = 2000;
    let server = TestServer::start();
    let mut subscriber = server.raw();
    subscribe(&mut subscriber, &["seq"]);
    let port = server.port;
    let publisher = thread::spawn(move || {
        let mut publisher = Raw::connect(port);
        for i in 0..MESSAGES {
            publisher.send(&common::resp(&["PUBLISH", "seq", &i.to_string()]));
        }
        for _ in 0..MESSAGES {
            publisher.reply();
        }
    });
    for i in 0..MESSAGES {
        assert_eq!(
            subscriber.reply_text(),
            message(&["message", "seq", &i.to_string()])
        );
    }
    publisher.join().unwrap();
}

#[test]
fn client_list_and_kill_know_pubsub_clients() {
    let server = TestServer::start();
    let (mut subscriber, mut observer) = (server.raw(), server.raw());
    subscriber.cmd(&["CLIENT", "SETNAME", "listener"]);
    subscribe(&mut subscriber, &["a", "b"]);
    subscriber.cmd(&["PSUBSCRIBE", "p*"]);
    subscriber.cmd(&["SSUBSCRIBE", "s"]);
    let list = observer.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert!(list.contains("name=listener"), "{list}");
    assert!(list.contains(" flags=P "), "{list}");
    assert!(list.contains(" sub=2 psub=1 ssub=1 "), "{list}");
    let normal = observer.cmd(&["CLIENT", "LIST", "TYPE", "normal"]);
    assert!(!normal.contains("name=listener"), "{normal}");
    assert_eq!(
        observer.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]),
        ":1\r\n"
    );
    assert!(subscriber.is_closed());
}

#[test]
fn a_client_that_disconnects_is_unsubscribed() {
    let server = TestServer::start();
    let mut subscriber = server.raw();
    subscribe(&mut subscriber, &["ch"]);
    subscriber.cmd(&["PSUBSCRIBE", "*"]);
    drop(subscriber);
    let mut publisher = server.raw();
    assert!(wait_until(Duration::from_secs(5), || publisher
        .cmd(&["PUBLISH", "ch", "anyone?"])
        == ":0\r\n"));
    assert_eq!(publisher.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n");
}

#[test]
fn reset_unsubscribes_without_confirmations() {
    let server = TestServer::start();
    let (mut client, mut publisher) = (server.raw(), server.raw());
    subscribe(&mut client, &["ch"]);
    assert_eq!(client.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(publisher.cmd(&["PUBLISH", "ch", "x"]), ":0\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), "$-1\r\n");
}

#[test]
fn idle_subscribers_are_not_timed_out() {
    let server = TestServer::with_args(&["--timeout", "1"]);
    let (mut subscriber, mut idle) = (server.raw(), server.raw());
    subscribe(&mut subscriber, &["ch"]);
    idle.cmd(&["PING"]);
    assert!(idle.is_closed(), "a plain idle client is closed");
    let mut publisher = server.raw();
    assert_eq!(publisher.cmd(&["PUBLISH", "ch", "still there"]), ":1\r\n");
    assert_eq!(
        subscriber.reply_text(),
        message(&["message", "ch", "still there"])
    );
}

/// A subscriber that stops reading while 100 MB are published is disconnected at the pubsub
/// output buffer limit (32 MB by default); the publisher never waits for it, and another
/// subscriber gets every message.
#[test]
fn a_subscriber_that_stops_reading_is_disconnected_and_slows_nobody() {
    const MESSAGES: usize = 1000;
    const SIZE: usize = 100 * 1024;
    let server = TestServer::start();
    let payload = "x".repeat(SIZE);
    let frame_len = message(&["message", "big", &payload]).len();

    let mut stalled = server.raw();
    subscribe(&mut stalled, &["big"]);
    // The healthy subscriber counts the bytes it receives on a thread of its own.
    let received = Arc::new(AtomicUsize::new(0));
    let counting = {
        let received = Arc::clone(&received);
        let mut stream: TcpStream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        std::io::Write::write_all(&mut stream, &common::resp(&["SUBSCRIBE", "big"])).unwrap();
        let confirmation_len = confirmation("subscribe", "big", 1).len();
        thread::spawn(move || {
            let mut buf = vec![0; 256 * 1024];
            let mut total = 0;
            while total < confirmation_len + MESSAGES * frame_len {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
                received.store(total.saturating_sub(confirmation_len), Ordering::Relaxed);
            }
        })
    };
    let mut publisher = server.raw();
    assert!(wait_until(Duration::from_secs(5), || publisher
        .cmd(&["PUBSUB", "NUMSUB", "big"])
        .ends_with(":2\r\n")));

    let mut slowest = Duration::ZERO;
    let mut last_count = String::new();
    for i in 0..MESSAGES {
        let started = Instant::now();
        last_count = publisher.cmd(&["PUBLISH", "big", &payload]);
        slowest = slowest.max(started.elapsed());
        // Keep the healthy subscriber within 2 MB of the publisher, so that only the stalled
        // one can reach the limit however loaded the machine is.
        let target = (i + 1).saturating_sub(20) * frame_len;
        assert!(wait_until(Duration::from_secs(30), || received
            .load(Ordering::Relaxed)
            >= target));
    }
    counting.join().unwrap();
    assert_eq!(received.load(Ordering::Relaxed), MESSAGES * frame_len);
    assert!(
        slowest < Duration::from_secs(1),
        "slowest PUBLISH: {slowest:?}"
    );
    assert_eq!(last_count, ":1\r\n", "only the healthy subscriber is left");
    assert!(stalled.is_closed());
    assert!(
        server
            .log()
            .contains("scheduled to be closed ASAP for overcoming of output buffer limits"),
        "{}",
        server.log()
    );
    // The stalled subscriber cost at most about two limits' worth of memory.
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap();
    eprintln!(
        "slowest PUBLISH {slowest:?}, server peak RSS {} MB",
        peak_kb / 1024
    );
    assert!(peak_kb < 160 * 1024, "peak RSS {peak_kb} kB");
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn pubsub_replies_like_redis() {
    let mut pair = common::real_redis::Pair::new();
    let (mut redis_publisher, mut thredis_publisher) = pair.connect_again();
    pair.each(&[
        &["UNSUBSCRIBE"],
        &["PUNSUBSCRIBE"],
        &["SUNSUBSCRIBE"],
        &["UNSUBSCRIBE", "never"],
        &["SUBSCRIBE", "ch"],
        &["SUBSCRIBE", "ch"],
        &["PSUBSCRIBE", "c*"],
        &["SSUBSCRIBE", "s"],
        &["PING"],
        &["PING", "x"],
        &["PING", "x", "y"],
        &["GET", "k"],
        &["CLIENT", "ID", "extra"],
        &["EXEC"],
        &["SUBSCRIBE"],
        &["PUBLISH", "ch", "self"],
    ]);
    for (redis, thredis) in [(&mut redis_publisher, &mut thredis_publisher)] {
        for args in [&["PUBLISH", "ch", "hi"][..], &["SPUBLISH", "s", "yo"]] {
            assert_eq!(thredis.cmd(args), redis.cmd(args), "{args:?}");
        }
    }
    let expected = pair.redis.replies_until_quiet(Duration::from_millis(300));
    let actual = pair.thredis.replies_until_quiet(Duration::from_millis(300));
    assert_eq!(actual, expected, "messages");
    pair.each(&[
        &["UNSUBSCRIBE", "ch"],
        &["PUNSUBSCRIBE", "c*"],
        &["SUNSUBSCRIBE", "s"],
        &["PING"],
        &["PUBSUB", "NUMSUB", "ch", "x"],
        &["PUBSUB", "NUMPAT"],
        &["PUBSUB", "CHANNELS"],
        &["PUBSUB", "CHANNELS", "a", "b"],
        &["PUBSUB", "SHARDCHANNELS", "*"],
        &["PUBSUB", "SHARDNUMSUB"],
        &["PUBSUB", "NUMPAT", "x"],
        &["PUBSUB", "HELP"],
        &["PUBSUB", "NOPE"],
        &["PUBLISH", "ch"],
    ]);
    // HELLO replies with the connection id, which differs.
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["SUBSCRIBE", "r3"],
        &["GET", "k"],
        &["PUBSUB", "NUMSUB", "r3"],
        &["UNSUBSCRIBE"],
        &["UNSUBSCRIBE"],
        &["RESET"],
    ]);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn messages_to_oneself_come_before_the_reply_as_in_redis() {
    let mut pair = common::real_redis::Pair::new();
    pair.redis.command(&["HELLO", "3"]);
    pair.thredis.command(&["HELLO", "3"]);
    pair.each(&[
        &["SUBSCRIBE", "foo"],
        &["PUBLISH", "foo", "self"],
        &["MULTI"],
        &["PING", "abc"],
        &["PUBLISH", "foo", "bar"],
        &["PING", "def"],
        &["EXEC"],
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        &["SUBSCRIBE", "__keyspace@0__:k"],
        &["SET", "k", "v"],
        &["MULTI"],
        &["SET", "k", "w"],
        &["SUBSCRIBE", "z"],
        &["EXEC"],
    ]);
}

#[test]
fn a_client_publishing_to_itself_gets_the_message_before_the_reply() {
    let server = TestServer::start();
    let mut client = server.raw();
    client.cmd(&["HELLO", "3"]);
    client.cmd(&["SUBSCRIBE", "me"]);
    client.send(&common::resp(&["PUBLISH", "me", "hi"]));
    assert_eq!(
        client.reply_text(),
        ">3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$2\r\nhi\r\n"
    );
    assert_eq!(client.reply_text(), ":1\r\n");
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn pubsub_configuration_reads_and_prints_like_redis() {
    let mut pair = common::real_redis::Pair::new();
    pair.each(&[
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 512kb 10",
        ],
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 512kb",
        ],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "master 1 1 1",
        ],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1x 1 1",
        ],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1 1 -1",
        ],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "NORMAL 1k 2K 3 replica 4mb 5mb 6",
        ],
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &["CONFIG", "SET", "client-output-buffer-limit", ""],
        &["CONFIG", "GET", "notify-keyspace-events"],
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        &["CONFIG", "GET", "notify-keyspace-events"],
        &["CONFIG", "SET", "notify-keyspace-events", "$lshzxeKEtmdn"],
        &["CONFIG", "GET", "notify-keyspace-events"],
        &["CONFIG", "SET", "notify-keyspace-events", "Q"],
        &["CONFIG", "SET", "notify-keyspace-events", ""],
        &["CONFIG", "GET", "notify-keyspace-events"],
    ]);
}

#[test]
fn the_redis_crates_pubsub_api_works() {
    let server = TestServer::start();
    let mut listener = server.client();
    let mut publisher = server.client();
    let mut pubsub = listener.as_pubsub();
    pubsub.subscribe("news").unwrap();
    pubsub.psubscribe("weather.*").unwrap();
    let receivers: i64 = common::query(&mut publisher, &["PUBLISH", "news", "hello"]);
    assert_eq!(receivers, 1);
    let _: i64 = common::query(&mut publisher, &["PUBLISH", "weather.paris", "sunny"]);
    let first = pubsub.get_message().unwrap();
    assert_eq!(first.get_channel_name(), "news");
    assert_eq!(first.get_payload::<String>().unwrap(), "hello");
    let second = pubsub.get_message().unwrap();
    assert_eq!(second.get_pattern::<String>().unwrap(), "weather.*");
    assert_eq!(second.get_payload::<String>().unwrap(), "sunny");
    pubsub.unsubscribe("news").unwrap();
    pubsub.punsubscribe("weather.*").unwrap();
    drop(pubsub);
    // Back out of subscribed mode, the connection serves ordinary commands.
    let pong: String = common::query(&mut listener, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn client_list_shows_the_messages_waiting_for_a_subscriber_as_omem() {
    let server = TestServer::start();
    let mut stalled = server.raw();
    stalled.cmd(&["SUBSCRIBE", "news"]);
    let mut publisher = server.raw();
    let payload = "x".repeat(10_000);
    // 20 MB: more than the kernel's socket buffers hold, less than the 32 MB hard limit.
    for _ in 0..2_000 {
        publisher.cmd(&["PUBLISH", "news", &payload]);
    }
    let omem = |publisher: &mut common::Raw| -> u64 {
        let list = publisher.cmd(&["CLIENT", "LIST"]);
        list.lines()
            .find(|line| line.contains(" flags=P "))
            .and_then(|line| line.split(" omem=").nth(1))
            .and_then(|rest| rest.split(' ').next()?.parse().ok())
            .expect("the subscriber's line has omem")
    };
    assert!(
        omem(&mut publisher) > 1_000_000,
        "messages wait in its outbox"
    );
    // Once the subscriber reads them, nothing waits any more.
    let _ = stalled.replies_until_quiet(Duration::from_millis(500));
    assert!(wait_until(Duration::from_secs(10), || omem(&mut publisher) == 0));
}
