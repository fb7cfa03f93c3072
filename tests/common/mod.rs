//! What every integration test uses: a real `thredis` process on a port the OS picks, clients
//! for it (the `redis` crate, RESP2 or RESP3, and raw TCP for byte-exact checks), and
//! `wait_until` for anything that takes time.
//!
//! `TestServer::start()` runs the binary Cargo built for this test run with `--port 0`, reads the
//! `listening on 127.0.0.1:<port>` line it prints on stdout (among its log lines, which go there
//! too, as Redis's do), and kills it when dropped. Port 0
//! means two tests never fight over a port, so they run in parallel. Each server runs in a
//! scratch directory of its own (removed when it is dropped), so the files it saves (`dump.rdb`
//! on SHUTDOWN, an AOF directory) never meet another test's or land in the source tree.

#![allow(dead_code)] // Each test file uses a different part of this module.

pub mod rdb_file;
pub mod real_redis;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub struct TestServer {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
    /// The server's working directory (its `dir` unless `--dir` says otherwise).
    pub dir: PathBuf,
    /// The scratch directory the server owns, if it does: removed after the server stops.
    scratch: Option<ScratchDir>,
}

/// The Unix socket's file name in a server's directory (see [`TestServer::with_unix_socket`]).
pub const UNIX_SOCKET: &str = "thredis.sock";

/// A server's arguments for the AOF on with `appendfsync always` and no RDB save points.
pub const AOF_ALWAYS: [&str; 6] = [
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--save",
    "",
];

/// A fresh, empty directory under the system's temporary directory, removed with everything in
/// it when dropped (a test that fails part-way leaves nothing behind either). It dereferences to
/// its `Path`.
pub struct ScratchDir(PathBuf);

pub fn scratch_dir(name: &str) -> ScratchDir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("thredis-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    ScratchDir(dir.canonicalize().expect("the scratch directory exists"))
}

impl std::ops::Deref for ScratchDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::with_args(&[])
    }

    /// Starts the server with extra command-line options (`["--timeout", "1"]`), in a scratch
    /// directory of its own. A first argument that is not an option is a configuration file,
    /// and stays first.
    pub fn with_args(args: &[&str]) -> TestServer {
        let scratch = scratch_dir("test");
        let mut server = TestServer::in_dir(&scratch, args);
        server.scratch = Some(scratch);
        server
    }

    /// Starts the server listening on a Unix socket too, at [`TestServer::unix_socket`] in its
    /// scratch directory, with extra options as [`TestServer::with_args`] takes them.
    pub fn with_unix_socket(args: &[&str]) -> TestServer {
        let scratch = scratch_dir("unix");
        let path = scratch.join(UNIX_SOCKET);
        let path = path.to_str().expect("a UTF-8 temporary directory");
        let mut options = vec!["--unixsocket", path];
        options.extend_from_slice(args);
        let mut server = TestServer::in_dir(&scratch, &options);
        server.scratch = Some(scratch);
        server
    }

    /// Where [`TestServer::with_unix_socket`] puts the server's Unix socket.
    pub fn unix_socket(&self) -> PathBuf {
        self.dir.join(UNIX_SOCKET)
    }

    /// Starts the server in `dir`, which outlives it: for tests that restart a server on the
    /// same files.
    pub fn in_dir(dir: &Path, args: &[&str]) -> TestServer {
        let binary = assert_cmd::cargo::cargo_bin!("thredis");
        let mut child = Command::new(binary)
            .args(on_port_zero(args))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the thredis binary starts");
        // Both pipes are drained into the log for the server's whole life, so a full pipe can
        // never block it.
        let log = Arc::new(Mutex::new(String::new()));
        collect_lines(
            BufReader::new(child.stderr.take().expect("stderr is piped")),
            &log,
        );
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let port = read_port(&mut stdout, &log);
        collect_lines(stdout, &log);
        TestServer {
            child,
            port,
            log,
            dir: dir.to_path_buf(),
            scratch: None,
        }
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

    /// Whether the log shows `text` within a few seconds (the log is read by another thread,
    /// which may not have caught up with the server yet).
    pub fn logged(&self, text: &str) -> bool {
        wait_until(Duration::from_secs(10), || self.log().contains(text))
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

    /// Kills the process with SIGKILL, as a crash would, and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `args` with `--port 0` added, after the configuration file if the first argument is one
/// (as Redis, thredis reads a file only in first position), so later options still override it.
fn on_port_zero<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    let at = usize::from(args.first().is_some_and(|first| !first.starts_with("--")));
    all.splice(at..at, ["--port", "0"]);
    all
}

/// Reads the server's stdout up to its first `listening on <addr>:<port>` line and returns the
/// port; the lines before it (the start of the log) go into `log`. Panics, showing them, if the
/// server ends its output without listening.
pub fn read_port(stdout: &mut impl BufRead, log: &Mutex<String>) -> u16 {
    let mut line = String::new();
    loop {
        line.clear();
        let read = stdout
            .read_line(&mut line)
            .expect("reads the server's stdout");
        let log = &mut *log.lock().unwrap();
        assert!(read > 0, "the server stopped before listening:\n{log}");
        if let Some(addr) = line.trim_end().strip_prefix("listening on ") {
            let (_, port) = addr.rsplit_once(':').expect("an address with a port");
            return port.parse().expect("a port number");
        }
        log.push_str(&line);
    }
}

/// Appends every line `reader` yields to `log`, from a thread of its own, until it ends.
pub fn collect_lines(mut reader: impl BufRead + Send + 'static, log: &Arc<Mutex<String>>) {
    let sink = Arc::clone(log);
    thread::spawn(move || {
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
}

/// Runs the thredis binary in `dir` with `args`, for servers that must refuse to start: the exit
/// code it ended with on its own within 10 seconds (`None` if it had to be killed: it started),
/// and everything it printed (stdout, where the log goes, then stderr).
pub fn run_to_exit(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("thredis"))
        .args(on_port_zero(args))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the thredis binary runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut code = None;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            code = status.code();
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("the output");
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    (code, printed)
}
impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // `scratch`, a field, is dropped (removed) after this: once the server has stopped.
    }
}

/// Polls `condition` until it holds or `timeout` passes; whether it held. Time-based tests use
/// this instead of a fixed sleep followed by an assertion.
/// A local address that is not loopback (the interface that would route to a test network),
/// if this machine has one: for checks of what a remote client sees.
pub fn non_loopback_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // A UDP connect sends nothing; it only picks the route and so the local address.
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// A port nothing listens on right now (the OS's pick, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One line as it came (line end included).
pub fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("reads a line");
    line
}

/// The next RESP array of bulk strings on `reader` (a command on a replication link), as its
/// arguments.
pub fn read_command(reader: &mut impl BufRead) -> Vec<String> {
    let header = read_line(reader);
    let count: usize = header
        .strip_prefix('*')
        .and_then(|rest| rest.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("not an array: {header:?}"));
    (0..count)
        .map(|_| {
            let len: usize = read_line(reader)[1..].trim_end().parse().unwrap();
            let mut arg = vec![0; len + 2];
            reader.read_exact(&mut arg).unwrap();
            arg.truncate(len);
            String::from_utf8(arg).unwrap()
        })
        .collect()
}

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

/// Redis's refusal past `maxmemory`, on the wire.
pub const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/// The wire form of an error line, for exact comparisons.
pub fn error(text: &str) -> String {
    format!("-{text}\r\n")
}

/// Commands as an append-only file holds them, one RESP array after another.
pub fn resp_all(commands: &[&[&str]]) -> Vec<u8> {
    commands.iter().flat_map(|args| resp(args)).collect()
}

/// Writes an AOF directory by hand, as the course's tester does: `dir/dirname` with the manifest
/// `manifest_name` holding `manifest`, and `incr` (a file name and its bytes). Returns the incr
/// file's path.
pub fn write_aof_dir(
    dir: &Path,
    dirname: &str,
    manifest_name: &str,
    manifest: &str,
    incr: (&str, &[u8]),
) -> PathBuf {
    let aof_dir = dir.join(dirname);
    std::fs::create_dir_all(&aof_dir).unwrap();
    std::fs::write(aof_dir.join(manifest_name), manifest).unwrap();
    let path = aof_dir.join(incr.0);
    std::fs::write(&path, incr.1).unwrap();
    path
}

/// `keyspace_hits` and `keyspace_misses` from `INFO stats`.
pub fn keyspace_lookups(client: &mut Raw) -> (u64, u64) {
    let info = client.cmd(&["INFO", "stats"]);
    let stat = |name: &str| -> u64 {
        let line = info.lines().find(|l| l.starts_with(name)).expect(name);
        line[name.len() + 1..].trim().parse().expect("a count")
    };
    (stat("keyspace_hits"), stat("keyspace_misses"))
}

/// Builds a RESP request: `resp(&["SET", "k", "v"])`.
pub fn resp(args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|arg| arg.as_bytes()).collect();
    resp_bytes(&args)
}

/// Builds a RESP request of arguments that may be any bytes (passwords, payloads, HLL values).
pub fn resp_bytes(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Whether the server on `port` is process `pid` (its `INFO server` says so): for a test that
/// hands a server a port it picked, which another test may have taken meanwhile.
pub fn answers_as(port: u16, pid: u32) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
        .is_err()
    {
        return false;
    }
    let (wanted, mut seen) = (format!("process_id:{pid}\r\n"), Vec::new());
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut chunk) {
        seen.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&seen);
        if text.contains("process_id:") && text.contains("\r\nrun_id:") {
            return text.contains(&wanted);
        }
    }
    false
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

    /// Runs each command in turn; none may fail.
    pub fn run_all(&mut self, commands: &[&[&str]]) {
        for args in commands {
            let reply = self.cmd(args);
            assert!(!reply.starts_with('-'), "{args:?}: {reply}");
        }
    }

    /// Waits until the server (thredis or redis-server) counts `count` blocked clients.
    pub fn wait_for_blocked(&mut self, count: usize) {
        let wanted = format!("blocked_clients:{count}\r\n");
        assert!(
            wait_until(Duration::from_secs(10), || self
                .cmd(&["INFO", "clients"])
                .contains(&wanted)),
            "never saw {count} blocked clients"
        );
    }

    /// Whether no AOF rewrite is running (INFO persistence), on thredis or redis-server. A
    /// rewrite's manifest is on disk a moment before the rewrite counts as done: a test that
    /// starts another one waits for this too.
    pub fn rewrite_done(&mut self) -> bool {
        self.cmd(&["INFO", "persistence"])
            .contains("aof_rewrite_in_progress:0")
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

/// Lists, hashes and sets of every size class (small ones Redis keeps as listpacks and intsets,
/// big ones past `*-max-listpack-entries` and `*-max-intset-entries`, long elements past
/// `*-max-listpack-value`), strings, expiry times, and the commands whose journal Redis
/// rewrites (HINCRBYFLOAT, SPOP, LMOVE, RPOPLPUSH, SMOVE, ...), in two databases. For the
/// persistence tests: whatever a save or a replay gives back must hash to the same
/// `DEBUG DIGEST`.
pub fn write_collections(raw: &mut Raw) {
    let mut ok = |args: &[&str]| raw.run_all(&[args]);
    ok(&["RPUSH", "list:small", "a", "b", "1", "-2", "3.5"]);
    ok(&["LPUSH", "list:small", "first"]);
    let long = "x".repeat(100);
    ok(&["RPUSH", "list:long", "short", &long, "tail"]);
    for i in 0..600 {
        ok(&["RPUSH", "list:big", &format!("element {i}")]);
    }
    ok(&["LTRIM", "list:big", "3", "-3"]);
    ok(&["LREM", "list:big", "0", "element 100"]);
    ok(&["LSET", "list:big", "5", "replaced"]);
    ok(&["LINSERT", "list:big", "BEFORE", "replaced", "inserted"]);
    ok(&["LMOVE", "list:big", "list:moved", "LEFT", "RIGHT"]);
    ok(&["RPOPLPUSH", "list:big", "list:moved"]);
    ok(&["LPOP", "list:big", "2"]);
    ok(&["HSET", "hash:small", "f1", "v1", "f2", "22", "f3", "-3"]);
    ok(&["HINCRBY", "hash:small", "f2", "5"]);
    ok(&["HINCRBYFLOAT", "hash:small", "f4", "1.25"]);
    ok(&["HINCRBYFLOAT", "hash:small", "f4", "0.1"]);
    ok(&["HSETNX", "hash:small", "f1", "ignored"]);
    ok(&["HSET", "hash:long", "field", &long]);
    for i in 0..700 {
        ok(&["HSET", "hash:big", &format!("field:{i}"), &i.to_string()]);
    }
    ok(&["HDEL", "hash:big", "field:3", "field:4"]);
    ok(&["SADD", "set:ints", "1", "-5", "100000", "7", "3"]);
    ok(&["SREM", "set:ints", "7"]);
    ok(&["SADD", "set:strings", "a", "b", "c", "d"]);
    for i in 0..600 {
        ok(&["SADD", "set:big-ints", &i.to_string()]);
    }
    for i in 0..200 {
        ok(&["SADD", "set:pool", &format!("m{i}")]);
    }
    ok(&["SPOP", "set:pool"]);
    ok(&["SPOP", "set:pool", "10"]);
    ok(&["SMOVE", "set:pool", "set:strings", "m150"]);
    ok(&["SINTERSTORE", "set:inter", "set:ints", "set:big-ints"]);
    ok(&["SUNIONSTORE", "set:union", "set:ints", "set:strings"]);
    ok(&[
        "ZADD",
        "zset:small",
        "1",
        "a",
        "2.5",
        "b",
        "-inf",
        "c",
        "+inf",
        "d",
    ]);
    ok(&["ZINCRBY", "zset:small", "0.1", "a"]);
    ok(&["ZADD", "zset:small", "GT", "CH", "0", "b", "3", "e"]);
    ok(&["ZADD", "zset:long", "1", &long]);
    for i in 0..300 {
        ok(&["ZADD", "zset:big", &(i % 17).to_string(), &format!("m{i}")]);
    }
    ok(&["ZREM", "zset:big", "m5"]);
    ok(&["ZPOPMIN", "zset:big", "2"]);
    ok(&["ZPOPMAX", "zset:big"]);
    ok(&["ZREMRANGEBYSCORE", "zset:big", "3", "(4"]);
    ok(&[
        "ZUNIONSTORE",
        "zset:union",
        "2",
        "zset:small",
        "set:strings",
        "WEIGHTS",
        "2",
        "1",
    ]);
    ok(&["ZRANGESTORE", "zset:range", "zset:big", "0", "9"]);
    ok(&[
        "GEOADD",
        "geo",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ]);
    write_streams(&mut ok);
    ok(&["SET", "string", "value"]);
    ok(&["SET", "int", "12345"]);
    ok(&["INCRBYFLOAT", "float", "2.5"]);
    ok(&["SET", "expiring", "v", "PX", "100000000"]);
    ok(&["PEXPIRE", "hash:small", "100000000"]);
    ok(&["EXPIRE", "list:small", "100000"]);
    ok(&["SELECT", "5"]);
    ok(&["RPUSH", "list:db5", "p", "q"]);
    ok(&["HSET", "hash:db5", "a", "b"]);
    ok(&["SADD", "set:db5", "x"]);
    ok(&["SELECT", "0"]);
}

/// [`write_collections`]' streams: entries over several nodes with their own fields and
/// integer values, deleted in the middle and at the top, trimmed; consumer groups with entries
/// delivered, claimed and acknowledged, a consumer holding nothing; an empty stream kept by its
/// group; a stream with a TTL.
fn write_streams(ok: &mut impl FnMut(&[&str])) {
    for i in 1..=250 {
        let (id, value) = (format!("{i}-1"), (i * 7).to_string());
        let field = if i % 10 == 0 { "odd" } else { "f" };
        ok(&["XADD", "stream:big", &id, field, &value, "n", "x"]);
    }
    for command in [
        "XDEL stream:big 5-1 250-1",
        "XTRIM stream:big MINID 3",
        "XADD stream:big MAXLEN ~ 200 300-0 f last",
        "XGROUP CREATE stream:big g 0",
        "XREADGROUP GROUP g alice COUNT 3 STREAMS stream:big >",
        "XREADGROUP GROUP g bob COUNT 2 STREAMS stream:big >",
        "XACK stream:big g 4-1",
        "XCLAIM stream:big g bob 0 3-1 RETRYCOUNT 4 JUSTID",
        "XGROUP CREATECONSUMER stream:big g carol",
        "XGROUP CREATE stream:big later $ ENTRIESREAD 5",
        "XGROUP CREATE stream:grouped g $ MKSTREAM",
        "XSETID stream:grouped 9-9 ENTRIESADDED 3 MAXDELETEDID 2-0",
        "XADD stream:volatile 1-1 k v",
        "PEXPIRE stream:volatile 100000000",
    ] {
        ok(&command.split(' ').collect::<Vec<_>>());
    }
}

/// `DEBUG DIGEST`, and the `OBJECT ENCODING` of each of [`write_collections`]' keys (databases 0
/// and 5), to compare a dataset with what came back.
pub fn fingerprint(raw: &mut Raw) -> (String, Vec<String>) {
    let digest = raw.cmd(&["DEBUG", "DIGEST"]);
    let mut encodings = Vec::new();
    for db in ["0", "5"] {
        raw.cmd(&["SELECT", db]);
        let keys = raw.cmd(&["KEYS", "*"]);
        let mut names: Vec<&str> = keys
            .split("\r\n")
            .filter(|line| !line.is_empty() && !line.starts_with(['*', '$']))
            .collect();
        names.sort_unstable();
        for name in names {
            let encoding = raw.cmd(&["OBJECT", "ENCODING", name]);
            encodings.push(format!("{db}/{name} {}", encoding.trim_end()));
        }
    }
    raw.cmd(&["SELECT", "0"]);
    (digest, encodings)
}
