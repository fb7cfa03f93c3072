//! PUBLISH throughput, standard library only: `subscribers` connections subscribe to one
//! channel, `publishers` connections publish `messages` messages between them, `pipeline` at a
//! time, and the program reports how fast the messages were published and delivered.
//!
//! Start the server with `cargo run --release`, then:
//! `cargo run --release --example publish -- [port] [subscribers] [publishers] [messages] [pipeline] [size]`
//! (defaults: 6379 10 4 200000 16 16). It runs against redis-server the same way, for a
//! comparison (the README's Performance section has one).
//!
//! The clock runs from the first PUBLISH until every subscriber has received every message, so
//! the figure counts delivery, not just the publishers' side.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

const CHANNEL: &str = "bench";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| -> usize {
        args.get(i)
            .map_or(default, String::as_str)
            .parse()
            .expect("numeric arguments")
    };
    let port = arg(0, "6379") as u16;
    let subscribers = arg(1, "10");
    let publishers = arg(2, "4").max(1);
    let messages = arg(3, "200000");
    let pipeline = arg(4, "16").max(1);
    let size = arg(5, "16");

    let payload = "x".repeat(size);
    let frame = format!(
        "*3\r\n$7\r\nmessage\r\n${}\r\n{CHANNEL}\r\n${size}\r\n{payload}\r\n",
        CHANNEL.len()
    );
    let per_publisher = messages / publishers;
    let total = per_publisher * publishers;
    // Everyone starts together once all subscribers are subscribed.
    let start = Arc::new(Barrier::new(subscribers + publishers + 1));

    let listeners: Vec<_> = (0..subscribers)
        .map(|_| {
            let stream = subscribe(port);
            let (start, expected) = (Arc::clone(&start), total * frame.len());
            thread::spawn(move || {
                start.wait();
                receive(stream, expected)
            })
        })
        .collect();
    let senders: Vec<_> = (0..publishers)
        .map(|_| {
            let (start, payload) = (Arc::clone(&start), payload.clone());
            thread::spawn(move || {
                let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream.set_nodelay(true).expect("nodelay");
                start.wait();
                publish(&stream, &payload, per_publisher, pipeline, subscribers)
            })
        })
        .collect();
    start.wait();
    let started = Instant::now();
    for sender in senders {
        sender.join().expect("publisher");
    }
    let published = started.elapsed().as_secs_f64();
    for listener in listeners {
        listener.join().expect("subscriber");
    }
    let delivered = started.elapsed().as_secs_f64();
    println!(
        "{subscribers} subscribers, {publishers} publishers, pipeline {pipeline}, {size}-byte messages: \
         {:.0} PUBLISH/s ({total} in {published:.2} s), {:.0} deliveries/s (all delivered after {delivered:.2} s)",
        total as f64 / published,
        (total * subscribers) as f64 / delivered,
    );
}

/// A connection subscribed to the channel, its confirmation read.
fn subscribe(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let command = format!(
        "*2\r\n$9\r\nSUBSCRIBE\r\n${}\r\n{CHANNEL}\r\n",
        CHANNEL.len()
    );
    stream.write_all(command.as_bytes()).expect("subscribe");
    let confirmation = format!(
        "*3\r\n$9\r\nsubscribe\r\n${}\r\n{CHANNEL}\r\n:1\r\n",
        CHANNEL.len()
    );
    let mut buf = vec![0; confirmation.len()];
    stream.read_exact(&mut buf).expect("confirmation");
    assert_eq!(buf, confirmation.as_bytes(), "subscribe confirmation");
    stream
}

/// Reads until `expected` bytes of messages have arrived.
fn receive(mut stream: TcpStream, expected: usize) {
    let mut buf = vec![0; 256 * 1024];
    let mut received = 0;
    while received < expected {
        let n = stream.read(&mut buf).expect("messages");
        assert!(n > 0, "the server closed a subscriber");
        received += n;
    }
}

/// Publishes `count` messages, `pipeline` at a time, checking each reply counts `receivers`.
fn publish(stream: &TcpStream, payload: &str, count: usize, pipeline: usize, receivers: usize) {
    let command = format!(
        "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{CHANNEL}\r\n${}\r\n{payload}\r\n",
        CHANNEL.len(),
        payload.len()
    );
    let expected_reply = format!(":{receivers}\r\n");
    let mut writer = stream;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let batch = command.repeat(pipeline);
    let mut line = String::new();
    let mut sent = 0;
    while sent < count {
        let n = pipeline.min(count - sent);
        writer
            .write_all(&batch.as_bytes()[..n * command.len()])
            .expect("publish");
        for _ in 0..n {
            line.clear();
            reader.read_line(&mut line).expect("reply");
            assert_eq!(line, expected_reply, "PUBLISH reply");
        }
        sent += n;
    }
}
