//! A real redis-server beside thredis, for the interop tests that need Redis installed (they are
//! `#[ignore]`d in a plain `cargo test` and run by `.ci/run`): [`RealRedis`] runs one in a
//! scratch directory, and [`Pair`] sends the same bytes to both servers and compares the replies.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{Raw, TestServer};

/// A redis-server process in a scratch directory, stopped when dropped.
pub struct RealRedis {
    child: Child,
    pub port: u16,
    /// Its working directory (where it saves `dump.rdb`), removed when it stops.
    pub dir: PathBuf,
}

impl RealRedis {
    /// A redis-server with no persistence and `DEBUG` enabled, in a fresh scratch directory.
    pub fn start() -> RealRedis {
        RealRedis::with_args(&[])
    }

    /// Like [`RealRedis::start`], with extra options appended (`["--dbfilename", "x.rdb"]`);
    /// later options override earlier ones, so `["--save", "60 1"]` turns saving back on.
    pub fn with_args(extra: &[&str]) -> RealRedis {
        // redis-server cannot pick its own port, so it gets one the OS just handed out and
        // released. Another test can take that port first (a server binding port 0, a client's
        // outgoing connection); redis-server then exits, and whatever else answers there must
        // not pass for it. So: check that the answering server is this process, or start over
        // on another port.
        for _ in 0..5 {
            if let Some(redis) = RealRedis::try_start(extra) {
                return redis;
            }
        }
        panic!("redis-server did not start (5 ports tried)");
    }

    fn try_start(extra: &[&str]) -> Option<RealRedis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("thredis-interop-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--enable-debug-command",
                "yes",
            ])
            .args(extra)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (run through .ci/run)");
        let mut redis = RealRedis { child, port, dir };
        let pid = redis.child.id();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(redis.child.try_wait(), Ok(None)) {
                return None; // It exited: the port was taken.
            }
            if super::answers_as(port, pid) {
                return Some(redis);
            }
            thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One connection to each server, fed the same commands.
pub struct Pair {
    pub redis: Raw,
    pub thredis: Raw,
    servers: (RealRedis, TestServer),
}

impl Pair {
    pub fn new() -> Pair {
        let (redis, thredis) = (
            RealRedis::start(),
            TestServer::with_args(&["--enable-debug-command", "yes"]),
        );
        Pair {
            redis: Raw::connect(redis.port),
            thredis: thredis.raw(),
            servers: (redis, thredis),
        }
    }

    /// Another connection to each server (a subscriber beside the pair's clients, say).
    pub fn connect_again(&self) -> (Raw, Raw) {
        let (redis, thredis) = &self.servers;
        (Raw::connect(redis.port), thredis.raw())
    }

    /// Sends `args` to both and asserts identical reply bytes.
    pub fn same(&mut self, args: &[&str]) {
        let expected = self.redis.command(args);
        let actual = self.thredis.command(args);
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "replies differ for {args:?}"
        );
    }

    /// Sends `args` to both and compares the replies as multisets of lines (for replies whose
    /// order Redis leaves undefined, like KEYS).
    pub fn same_unordered(&mut self, args: &[&str]) {
        let sorted = |bytes: Vec<u8>| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
            lines.sort();
            lines
        };
        let expected = sorted(self.redis.command(args));
        let actual = sorted(self.thredis.command(args));
        assert_eq!(actual, expected, "replies differ for {args:?}");
    }

    /// Sends raw bytes to both; compares everything each server sends back before it closes
    /// the connection or goes quiet.
    pub fn same_raw(&mut self, bytes: &[u8]) {
        self.redis.send(bytes);
        self.thredis.send(bytes);
        let expected = self.redis.reply();
        let actual = self.thredis.reply();
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "replies differ for {:?}",
            String::from_utf8_lossy(bytes)
        );
    }

    /// Runs every command on both servers and reports all the differences at once.
    pub fn each(&mut self, commands: &[&[&str]]) {
        let mut differences = Vec::new();
        for args in commands {
            let expected = String::from_utf8_lossy(&self.redis.command(args)).into_owned();
            let actual = String::from_utf8_lossy(&self.thredis.command(args)).into_owned();
            if actual != expected {
                differences.push(format!(
                    "{args:?}\n  redis:   {expected:?}\n  thredis: {actual:?}"
                ));
            }
        }
        assert!(
            differences.is_empty(),
            "replies differ:\n{}",
            differences.join("\n")
        );
    }
}
