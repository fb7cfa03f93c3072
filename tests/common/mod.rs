//! What every integration test uses: a real `thredis` process on a port the OS picks, clients
//! for it (the `redis` crate, RESP2 or RESP3, and raw TCP for byte-exact checks), and
//! `wait_until` for anything that takes time.
//!
//! `TestServer::start()` runs the binary Cargo built for this test run with `--port 0`, reads the
//! `listening on 127.0.0.1:<port>` line it prints on stdout, and kills it when dropped. Port 0
//! means two tests never fight over a port, so they run in parallel.

#![allow(dead_code)] // Each test file uses a different part of this module.

pub mod real_redis;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub struct TestServer {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::with_args(&[])
    }

    /// Starts the server with extra command-line options (`["--timeout", "1"]`). A first
    /// argument that is not an option is a configuration file, and stays first.
    pub fn with_args(args: &[&str]) -> TestServer {
        let binary = assert_cmd::cargo::cargo_bin!("thredis");
        let (file, options) = match args.split_first() {
            Some((first, rest)) if !first.starts_with("--") => (vec![*first], rest),
            _ => (vec![], args),
        };
        let mut child = Command::new(binary)
            .args(file)
            .args(["--port", "0"])
            .args(options)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the thredis binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("thredis prints its address");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.rsplit_once(':'))
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .1
            .parse()
            .expect("a port number");
        // Keep draining both pipes, so a full pipe can never block the server.
        thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let sink = Arc::clone(&log);
        thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        TestServer { child, port, log }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A `redis` crate connection speaking RESP2 (the crate's default).
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .expect("connects")
    }

    /// A `redis` crate connection that opened with `HELLO 3`.
    pub fn client_resp3(&self) -> redis::Connection {
        redis::Client::open(format!("{}?protocol=resp3", self.url()))
            .unwrap()
            .get_connection()
            .expect("connects")
    }

    /// A raw TCP connection, for checking bytes on the wire.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits for the process to exit on its own; its exit status, if it did within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `condition` until it holds or `timeout` passes; whether it held. Time-based tests use
/// this instead of a fixed sleep followed by an assertion.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Runs one command through the `redis` crate and converts its reply.
pub fn query<T: redis::FromRedisValue>(connection: &mut redis::Connection, args: &[&str]) -> T {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command
        .query(connection)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// The wire form of an error line, for exact comparisons.
pub fn error(text: &str) -> String {
    format!("-{text}\r\n")
}

/// Builds a RESP request: `resp(&["SET", "k", "v"])`.
pub fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    out
}

/// A plain TCP client that reads whole RESP replies and returns their exact bytes.
pub struct Raw {
    reader: BufReader<TcpStream>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        Raw::connect_to(std::net::IpAddr::from([127, 0, 0, 1]), port)
    }

    pub fn connect_to(ip: std::net::IpAddr, port: u16) -> Raw {
        let stream = TcpStream::connect((ip, port)).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Raw {
            reader: BufReader::new(stream),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("sends");
    }

    /// Sends a command as a RESP array.
    pub fn command(&mut self, args: &[&str]) -> Vec<u8> {
        self.send(&resp(args));
        self.reply()
    }

    /// Sends a command and returns its reply as text (for readable assertions).
    pub fn cmd(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.command(args)).into_owned()
    }

    /// Reads one complete reply (RESP2 or RESP3) and returns its bytes.
    pub fn reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_value(&mut out);
        out
    }

    pub fn reply_text(&mut self) -> String {
        String::from_utf8_lossy(&self.reply()).into_owned()
    }

    fn read_value(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.reader
            .read_until(b'\n', out)
            .expect("reads a reply line");
        assert!(
            out.len() > start,
            "connection closed while a reply was expected"
        );
        let line = String::from_utf8_lossy(&out[start..out.len() - 2]).into_owned();
        let (kind, rest) = line.split_at(1);
        let count: i64 = rest.parse().unwrap_or(0);
        match kind {
            "$" | "=" | "!" if count >= 0 => {
                let mut payload = vec![0; count as usize + 2];
                self.reader
                    .read_exact(&mut payload)
                    .expect("reads a payload");
                out.extend_from_slice(&payload);
            }
            "*" | "~" | ">" if count > 0 => (0..count).for_each(|_| self.read_value(out)),
            "%" | "|" if count > 0 => (0..2 * count).for_each(|_| self.read_value(out)),
            _ => {}
        }
    }

    /// Whether the server closed the connection (EOF or reset) within a few seconds, reading
    /// and discarding anything still in flight.
    pub fn is_closed(&mut self) -> bool {
        let stream = self.reader.get_ref();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }

    /// Reads whatever arrives until the server closes the connection.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        let _ = self.reader.read_to_end(&mut all);
        all
    }

    /// Whether nothing at all arrives within `wait`.
    pub fn nothing_within(&mut self, wait: Duration) -> bool {
        self.reader.get_ref().set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 1];
        let silent = matches!(self.reader.read(&mut buf), Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
        self.reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        silent
    }

    /// Every reply (or push) that arrives until nothing more comes for `quiet`, as text.
    pub fn replies_until_quiet(&mut self, quiet: Duration) -> Vec<String> {
        let mut replies = Vec::new();
        self.reader.get_ref().set_read_timeout(Some(quiet)).unwrap();
        while self
            .reader
            .fill_buf()
            .is_ok_and(|pending| !pending.is_empty())
        {
            replies.push(self.reply_text());
        }
        self.reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        replies
    }

    pub fn shutdown_write(&mut self) {
        let _ = self.reader.get_ref().shutdown(Shutdown::Write);
    }
}
