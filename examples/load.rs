//! A small load generator, standard library only: `clients` connections, each sending SET (or
//! GET) commands `pipeline` at a time, and the throughput it measured.
//!
//! Start the server with `cargo run --release`, then:
//! `cargo run --release --example load -- [port] [clients] [pipeline] [requests] [set|get|ping]`
//! (defaults: 6379 50 32 1000000 set).
//!
//! It shows why pipelining matters: with a pipeline of 1 every command waits a full round trip;
//! with 32, one write carries 32 commands and one read brings back 32 replies.

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let port: u16 = arg(0, "6379").parse().expect("port");
    let clients: usize = arg(1, "50").parse().expect("clients");
    let pipeline: usize = arg(2, "32").parse().expect("pipeline");
    let requests: usize = arg(3, "1000000").parse().expect("requests");
    let command = arg(4, "set");

    let per_client = requests / clients;
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|client| {
            let command = command.clone();
            thread::spawn(move || run_client(port, client, per_client, pipeline, &command))
        })
        .collect();
    let done: usize = workers
        .into_iter()
        .map(|w| w.join().expect("client thread"))
        .sum();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{command}: {done} requests, {clients} clients, pipeline {pipeline}: {seconds:.2} s, {:.0} ops/s",
        done as f64 / seconds
    );
}

/// Sends `total` commands in batches of `pipeline`, reading every batch's replies before the
/// next; returns how many replies arrived.
fn run_client(port: u16, client: usize, total: usize, pipeline: usize, command: &str) -> usize {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = &stream;
    let mut reader = BufReader::with_capacity(64 * 1024, &stream);
    let mut batch = Vec::new();
    let mut sent = 0;
    while sent < total {
        let n = pipeline.min(total - sent);
        batch.clear();
        for i in sent..sent + n {
            let key = format!("key:{:012}", (client * total + i) % 100_000);
            match command {
                "get" => batch
                    .extend(format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).as_bytes()),
                "ping" => batch.extend(b"*1\r\n$4\r\nPING\r\n"),
                _ => batch.extend(
                    format!(
                        "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$3\r\nxxx\r\n",
                        key.len()
                    )
                    .as_bytes(),
                ),
            }
        }
        writer.write_all(&batch).expect("send");
        for _ in 0..n {
            skip_reply(&mut reader);
        }
        sent += n;
    }
    sent
}

/// Reads one reply of the kinds SET, GET and PING produce: `+OK`, `+PONG`, `$-1`, `$n` + data.
fn skip_reply(reader: &mut impl Read) {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        reader.read_exact(&mut byte).expect("reply");
        line.push(byte[0]);
    }
    if line[0] == b'$' {
        let len: i64 = std::str::from_utf8(&line[1..line.len() - 2])
            .expect("utf8")
            .parse()
            .expect("length");
        if len >= 0 {
            let mut payload = vec![0; len as usize + 2];
            reader.read_exact(&mut payload).expect("payload");
        }
    }
}
