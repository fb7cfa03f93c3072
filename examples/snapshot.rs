//! What a snapshot costs, standard library only: starts a server, loads `keys` string keys,
//! then times `SAVE`, `BGSAVE` while idle and `BGSAVE` while writers overwrite keys, and reports
//! the peak extra memory of each (the server's resident set above where it started, plus the
//! private memory of any child it forks: redis-server saves from a forked child, thredis from
//! a thread).
//!
//! `cargo run --release --example snapshot -- 'SERVER COMMAND' ['SERVER COMMAND' ...] [keys]`,
//! for instance, beside redis-server in the same run (the README's Persistence figures):
//! `cargo run --release --example snapshot -- target/release/thredis redis-server 1000000`.
//! Each command gets `--port N --dir D --save "" --appendonly no` appended, D a fresh directory.
//! Columns: resident set after loading; then seconds and peak extra MiB of `SAVE`, of `BGSAVE`
//! with no writes, and of `BGSAVE` while 20 clients overwrite random keys (16 per pipeline), with
//! the number of writes they made during that save.
//!
//! Linux only: memory is read from `/proc`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const WRITERS: usize = 20;
const PIPELINE: usize = 16;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let keys = match args.last().and_then(|last| last.parse::<usize>().ok()) {
        Some(keys) => {
            args.pop();
            keys
        }
        None => 1_000_000,
    };
    assert!(
        !args.is_empty(),
        "usage: snapshot 'SERVER COMMAND' ... [keys]"
    );
    // Per server: its size after loading, then seconds and peak extra MiB of each save.
    println!(
        "{:<24} {:>8} | {:>6} {:>6} | {:>11} {:>6} | {:>14} {:>6} {:>9}",
        "server", "rss MiB", "SAVE s", "+MiB", "BGSAVE s", "+MiB", "BGSAVE+wr s", "+MiB", "writes"
    );
    for (index, command) in args.iter().enumerate() {
        let port = 27400 + index as u16;
        let mut server = Server::start(command, port);
        load(port, keys);
        let rss = resident(server.pid()) as f64 / MIB;
        let save = measure(&server, port, "SAVE", 0);
        let idle = measure(&server, port, "BGSAVE", 0);
        let busy = measure(&server, port, "BGSAVE", keys);
        println!(
            "{:<24} {:>8.1} | {:>6.2} {:>6.1} | {:>11.2} {:>6.1} | {:>14.2} {:>6.1} {:>9}",
            command,
            rss,
            save.seconds,
            save.extra_mib,
            idle.seconds,
            idle.extra_mib,
            busy.seconds,
            busy.extra_mib,
            busy.writes
        );
        server.stop();
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// A server process in a scratch directory, removed when it stops.
struct Server {
    child: Child,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(command: &str, port: u16) -> Server {
        let dir =
            std::env::temp_dir().join(format!("snapshot-example-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let mut words = command.split_whitespace();
        let program = words.next().expect("a server command");
        let child = Command::new(program)
            .args(words)
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("{program}: {error}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{command} did not start listening"
            );
            thread::sleep(Duration::from_millis(20));
        }
        Server { child, dir }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `SET key:%012d <16 bytes>` for every key, pipelined.
fn load(port: u16, keys: usize) {
    let mut connection = Connection::open(port);
    for start in (0..keys).step_by(1000) {
        let end = (start + 1000).min(keys);
        let mut batch = Vec::new();
        for i in start..end {
            batch.extend_from_slice(&set_command(i));
        }
        connection.stream.write_all(&batch).unwrap();
        for _ in start..end {
            assert_eq!(connection.reply(), "+OK");
        }
    }
}

fn set_command(i: usize) -> Vec<u8> {
    let key = format!("key:{i:012}");
    format!(
        "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$16\r\nvvvvvvvvvvvvvvvv\r\n",
        key.len()
    )
    .into_bytes()
}

struct Measured {
    seconds: f64,
    extra_mib: f64,
    writes: u64,
}

/// Runs `SAVE` or `BGSAVE` (waiting for it to finish) while a sampler watches memory and, if
/// `overwrite_keys` is not 0, writers overwrite random keys among that many.
fn measure(server: &Server, port: u16, command: &str, overwrite_keys: usize) -> Measured {
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..if overwrite_keys > 0 { WRITERS } else { 0 })
        .map(|seed| {
            let (stop, writes) = (Arc::clone(&stop), Arc::clone(&writes));
            thread::spawn(move || overwrite(port, overwrite_keys, seed as u64 + 1, &stop, &writes))
        })
        .collect();
    if overwrite_keys > 0 {
        thread::sleep(Duration::from_secs(1)); // Writers at full speed before the save begins.
    }
    let pid = server.pid();
    let baseline = resident(pid);
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(resident(pid).saturating_sub(baseline) + children_private(pid));
                thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    };
    let mut connection = Connection::open(port);
    let writes_before = writes.load(Ordering::Relaxed);
    let started = Instant::now();
    let reply = connection.command(&[command]);
    assert!(
        reply == "+OK" || reply.starts_with("+Background"),
        "{command}: {reply}"
    );
    if command == "BGSAVE" {
        while !connection
            .command(&["INFO", "persistence"])
            .contains("rdb_bgsave_in_progress:0")
        {
            thread::sleep(Duration::from_millis(2));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let writes_during = writes.load(Ordering::Relaxed) - writes_before;
    done.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    Measured {
        seconds,
        extra_mib: peak as f64 / MIB,
        writes: writes_during,
    }
}

/// Overwrites random keys among the first `keys`, `PIPELINE` at a time, until told to stop.
fn overwrite(port: u16, keys: usize, seed: u64, stop: &AtomicBool, writes: &AtomicU64) {
    let mut connection = Connection::open(port);
    let mut random = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    while !stop.load(Ordering::Relaxed) {
        let mut batch = Vec::new();
        for _ in 0..PIPELINE {
            // xorshift64: a cheap, good-enough spread over the keys.
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            batch.extend_from_slice(&set_command(random as usize % keys));
        }
        connection.stream.write_all(&batch).unwrap();
        for _ in 0..PIPELINE {
            assert_eq!(connection.reply(), "+OK");
        }
        writes.fetch_add(PIPELINE as u64, Ordering::Relaxed);
    }
}

/// A raw RESP connection: enough of the protocol for `+OK`, errors and bulk replies.
struct Connection {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Connection {
    fn open(port: u16) -> Connection {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
        let reader = BufReader::new(stream.try_clone().unwrap());
        Connection { stream, reader }
    }

    fn command(&mut self, args: &[&str]) -> String {
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.stream.write_all(request.as_bytes()).unwrap();
        self.reply()
    }

    /// One reply: a status or error line as it is, a bulk string's contents.
    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a reply");
        let line = line.trim_end().to_string();
        match line.strip_prefix('$').map(str::parse::<usize>) {
            Some(Ok(len)) => {
                let mut body = vec![0; len + 2];
                self.reader.read_exact(&mut body).unwrap();
                String::from_utf8_lossy(&body[..len]).into_owned()
            }
            _ => line,
        }
    }
}

/// The resident set of process `pid`, in bytes.
fn resident(pid: u32) -> u64 {
    proc_field(&format!("/proc/{pid}/status"), "VmRSS:")
}

/// The private (unshared) memory of `pid`'s children, in bytes: what a forked saver costs.
fn children_private(pid: u32) -> u64 {
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    children
        .split_whitespace()
        .map(|child| {
            let rollup = format!("/proc/{child}/smaps_rollup");
            proc_field(&rollup, "Private_Clean:") + proc_field(&rollup, "Private_Dirty:")
        })
        .sum()
}

/// A `name:   N kB` field of a `/proc` file, in bytes; 0 if the file or field is missing.
fn proc_field(path: &str, name: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}
