//! Starting as redis-server starts, so that service units, scripts and Redis's own test harness
//! work unchanged: the log on stdout in Redis's line format, the logo with the real port and
//! pid, `--version` and `--help`, `logfile`, `loglevel`, `daemonize` with its pid file, and
//! `supervised systemd` telling systemd it is ready.

mod common;

use std::io::BufReader;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Raw, TestServer, answers_as, collect_lines, scratch_dir, wait_until};

const STARTUP: Duration = Duration::from_secs(10);

/// A thredis process started in `dir` with `args` and extra environment variables, its stdout
/// and stderr collected apart (unlike `TestServer`, which merges them); killed when dropped.
struct Launched {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn launch(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Launched {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("thredis"))
        .args(args)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("UPSTART_JOB")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the thredis binary starts");
    let (stdout, stderr) = Default::default();
    collect_lines(BufReader::new(child.stdout.take().expect("piped")), &stdout);
    collect_lines(BufReader::new(child.stderr.take().expect("piped")), &stderr);
    Launched {
        child,
        stdout,
        stderr,
    }
}

impl Launched {
    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Whether stdout shows `text` within a few seconds.
    fn printed(&self, text: &str) -> bool {
        wait_until(STARTUP, || self.stdout().contains(text))
    }

    /// The port of the `listening on` line, once the server is ready.
    fn port(&self) -> u16 {
        assert!(
            self.printed("Ready to accept connections"),
            "never ready: {}{}",
            self.stdout(),
            self.stderr()
        );
        let stdout = self.stdout();
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix("listening on "))
            .expect("a listening line");
        line.rsplit_once(':').expect("addr:port").1.parse().unwrap()
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs thredis with `args` to completion (for the options that print and exit).
fn run(args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin!("thredis"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the thredis binary runs")
}

/// Whether `line` is a Redis log line: `pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message`.
fn is_log_line(line: &str, pid: u32) -> bool {
    let Some(rest) = line.strip_prefix(&format!("{pid}:")) else {
        return false;
    };
    let bytes = rest.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    rest.len() > 28
        && matches!(bytes[0], b'C' | b'M')
        && bytes[1] == b' '
        && digits(2..4)
        && bytes[4] == b' '
        && bytes[5].is_ascii_uppercase()
        && bytes[6..8].iter().all(u8::is_ascii_lowercase)
        && bytes[8] == b' '
        && digits(9..13)
        && bytes[13] == b' '
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && bytes[19] == b':'
        && digits(20..22)
        && bytes[22] == b'.'
        && digits(23..26)
        && bytes[26] == b' '
        && matches!(bytes[27], b'.' | b'-' | b'*' | b'#')
        && bytes[28] == b' '
}

#[test]
fn the_log_goes_to_stdout_in_redis_line_format() {
    let dir = scratch_dir("startup");
    let server = launch(&dir, &["--port", "0"], &[]);
    let port = server.port();
    let pid = server.child.id();
    let stdout = server.stdout();
    for line in stdout.lines() {
        assert!(
            is_log_line(line, pid) || line.starts_with("listening on "),
            "{line:?} in\n{stdout}"
        );
    }
    for expected in [
        &format!("{pid}:C "),
        "# oO0OoO0OoO0Oo thredis is starting oO0OoO0OoO0Oo\n",
        ", just started\n",
        "# Configuration loaded\n",
        &format!("* Running mode=standalone, port={port}.\n"),
        "# Server initialized\n",
        "* Ready to accept connections\n",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }
    assert!(
        stdout.contains(&format!("{pid}:M ")),
        "the server's own lines are a master's: {stdout}"
    );
    assert_eq!(server.stderr(), "", "nothing on stderr");
}

#[test]
fn always_show_logo_prints_the_real_port_and_pid() {
    let server = TestServer::with_args(&["--always-show-logo", "yes"]);
    // The regexp Redis's test harness waits for.
    assert!(
        server.logged(&format!(" PID: {}\n", server.pid())),
        "{}",
        server.log()
    );
    let log = server.log();
    assert!(log.contains(&format!(" Port: {}\n", server.port)), "{log}");
    assert!(log.contains(" Running in standalone mode\n"), "{log}");
    assert!(log.contains(" Redis 7.0.15 (00000000/0) 64 bit\n"), "{log}");
    assert!(
        !log.contains("Running mode="),
        "the logo replaces the line: {log}"
    );
}

#[test]
fn without_the_logo_one_line_names_the_mode_and_port() {
    let server = TestServer::start();
    assert!(
        server.logged(&format!("Running mode=standalone, port={}.\n", server.port)),
        "{}",
        server.log()
    );
    assert!(!server.log().contains(" PID: "), "{}", server.log());
}

#[test]
fn version_prints_one_line_in_redis_shape_and_exits_0() {
    for flag in ["--version", "-v"] {
        let output = run(&[flag]);
        assert_eq!(output.status.code(), Some(0), "{flag}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<&str> = stdout.trim_end().split(' ').collect();
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert_eq!(&fields[..3], ["thredis", "server", "v=7.0.15"], "{stdout}");
        assert!(fields[3].starts_with("sha="), "{stdout}");
        assert!(fields[4].starts_with("malloc="), "{stdout}");
        assert_eq!(fields[5], "bits=64", "{stdout}");
        assert_eq!(
            fields[6],
            format!("build=thredis-{}", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn help_prints_redis_usage_on_stderr_and_exits_1() {
    for flag in ["--help", "-h"] {
        let output = run(&[flag]);
        assert_eq!(output.status.code(), Some(1), "{flag}");
        assert!(output.stdout.is_empty(), "{flag}");
        let usage = String::from_utf8(output.stderr).unwrap();
        assert!(
            usage.starts_with("Usage: ./thredis [/path/to/redis.conf] [options] [-]\n"),
            "{usage}"
        );
        assert!(
            usage.contains("\n       ./thredis -v or --version\n"),
            "{usage}"
        );
        assert!(usage.contains("\nExamples:\n"), "{usage}");
    }
}

#[test]
fn logfile_receives_the_log_and_stdout_keeps_only_the_address() {
    let dir = scratch_dir("logfile");
    let path = dir.join("server.log");
    let server = TestServer::in_dir(&dir, &["--logfile", path.to_str().unwrap()]);
    assert!(
        wait_until(STARTUP, || std::fs::read_to_string(&path)
            .is_ok_and(|log| log.contains("* Ready to accept connections\n"))),
        "{path:?}"
    );
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
    assert!(
        !server.log().contains("Ready to accept"),
        "{}",
        server.log()
    );
}

#[test]
fn loglevel_warning_keeps_only_warnings() {
    let server = TestServer::with_args(&["--loglevel", "warning"]);
    assert!(server.logged("# Server initialized\n"), "{}", server.log());
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
    let log = server.log();
    assert!(!log.contains(" * "), "no notice lines: {log}");
    assert!(!log.contains("Ready to accept connections"), "{log}");
}

/// A daemon started by a test: killed when dropped, whatever happened, through the pid its pid
/// file gave (read again at drop if the test never got that far).
struct Daemon {
    pidfile: PathBuf,
    pid: Option<u32>,
}

impl Daemon {
    /// The pid in the pid file, once it is written: digits and a newline.
    fn pid(&mut self) -> u32 {
        self.try_pid()
            .unwrap_or_else(|| panic!("no pid in {:?}", self.pidfile))
    }

    /// Like [`Daemon::pid`]; `None` if no pid file appears (the daemon failed to start).
    fn try_pid(&mut self) -> Option<u32> {
        let mut pid = None;
        wait_until(STARTUP, || {
            pid = std::fs::read_to_string(&self.pidfile)
                .ok()
                .and_then(|text| text.strip_suffix('\n')?.parse().ok());
            pid.is_some()
        });
        self.pid = pid;
        pid
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = self.pid.or_else(|| {
            let text = std::fs::read_to_string(&self.pidfile).ok()?;
            text.trim().parse().ok()
        });
        if let Some(pid) = pid {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Runs thredis with `daemonize yes` and `args`: the launched process must exit 0 at once,
/// printing nothing (the daemon's output goes to /dev/null).
fn start_daemon(dir: &Path, args: &[&str]) -> Daemon {
    let pidfile = dir.join("thredis.pid");
    let daemon = Daemon {
        pidfile: pidfile.clone(),
        pid: None,
    };
    let mut launched = launch(
        dir,
        &[
            &["--daemonize", "yes", "--pidfile", pidfile.to_str().unwrap()],
            args,
        ]
        .concat(),
        &[],
    );
    let mut status = None;
    wait_until(STARTUP, || {
        status = launched.child.try_wait().unwrap();
        status.is_some()
    });
    assert!(
        status.is_some_and(|status| status.success()),
        "{status:?}: {}{}",
        launched.stdout(),
        launched.stderr()
    );
    // The daemon let go of the pipes too: both ended without a line.
    let (stdout, stderr) = (launched.stdout(), launched.stderr());
    assert!(stdout.is_empty() && stderr.is_empty(), "{stdout}{stderr}");
    daemon
}

#[test]
fn daemonize_detaches_writes_the_pidfile_and_shutdown_removes_it() {
    let dir = scratch_dir("daemon");
    let log = dir.join("daemon.log");
    let mut daemon = start_daemon(&dir, &["--port", "0", "--logfile", log.to_str().unwrap()]);
    let pid = daemon.pid();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut port = None;
    wait_until(STARTUP, || {
        let text = read_log();
        port = text
            .split("Running mode=standalone, port=")
            .nth(1)
            .and_then(|rest| rest.split('.').next()?.parse::<u16>().ok());
        port.is_some() && text.contains("Ready to accept connections")
    });
    let port = port.unwrap_or_else(|| panic!("no port in the log: {}", read_log()));
    assert!(answers_as(port, pid), "the daemon serves on {port}");
    assert!(
        read_log().contains(&format!("{pid}:M ")),
        "the daemon logs: {}",
        read_log()
    );
    assert_eq!(
        Raw::connect(port).cmd(&["CONFIG", "GET", "pidfile"]),
        format!(
            "*2\r\n$7\r\npidfile\r\n${}\r\n{}\r\n",
            daemon.pidfile.to_str().unwrap().len(),
            daemon.pidfile.display()
        )
    );
    let mut client = Raw::connect(port);
    client.send(&common::resp(&["SHUTDOWN", "NOSAVE"]));
    assert!(
        wait_until(STARTUP, || !daemon.pidfile.exists()),
        "the pid file is removed at shutdown"
    );
    assert!(wait_until(STARTUP, || !answers_as(port, pid)));
    assert!(
        read_log().contains("* Removing the pid file.\n"),
        "{}",
        read_log()
    );
}

#[test]
#[ignore = "needs the redis-server package: starts from its /etc/redis/redis.conf, as root"]
fn the_debian_package_config_starts_a_daemon_with_only_the_port_changed() {
    let dir = scratch_dir("debian");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let packaged = std::fs::read_to_string("/etc/redis/redis.conf").expect("the package's file");
    assert!(packaged.contains("\nport 6379\n") && packaged.contains("\ndaemonize yes\n"));
    let config = packaged.replace("\nport 6379\n", &format!("\nport {port}\n"));
    std::fs::write(dir.join("redis.conf"), config).expect("written");
    // systemd makes the pid file's directory (RuntimeDirectory=redis); a container has none.
    std::fs::create_dir_all("/run/redis").expect("/run/redis");
    let logfile = Path::new("/var/log/redis/redis-server.log");
    let mut daemon = Daemon {
        pidfile: PathBuf::from("/run/redis/redis-server.pid"),
        pid: None,
    };
    let mut launched = launch(&dir, &["redis.conf"], &[]);
    let mut status = None;
    wait_until(STARTUP, || {
        status = launched.child.try_wait().expect("waits");
        status.is_some()
    });
    assert!(
        status.is_some_and(|status| status.success()),
        "the launcher detaches and exits 0: {status:?} {}",
        launched.stderr()
    );
    let pid = daemon.pid();
    assert!(
        wait_until(STARTUP, || answers_as(port, pid)),
        "the daemon serves on {port}"
    );
    let log = std::fs::read_to_string(logfile).expect("the package's log file");
    assert!(
        log.contains(&format!("{pid}:M ")) && log.contains("Ready to accept connections"),
        "the daemon logs to the package's logfile"
    );
    let mut client = Raw::connect(port);
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "dir"]),
        "*2\r\n$3\r\ndir\r\n$14\r\n/var/lib/redis\r\n"
    );
    client.send(&common::resp(&["SHUTDOWN", "NOSAVE"]));
    assert!(
        wait_until(STARTUP, || !daemon.pidfile.exists()),
        "the pid file is removed at shutdown"
    );
}

#[test]
fn a_daemon_without_a_logfile_logs_nowhere_and_still_serves() {
    let dir = scratch_dir("daemon-quiet");
    // The port must be known in advance (the log goes to /dev/null): borrow one from the OS.
    // Another test may take it first; then the daemon fails to start, and another is tried.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut daemon = start_daemon(&dir, &["--port", &port.to_string()]);
        // No pid file: the port was taken before the daemon bound it.
        let Some(pid) = daemon.try_pid() else {
            continue;
        };
        if wait_until(STARTUP, || answers_as(port, pid)) {
            assert_eq!(Raw::connect(port).cmd(&["PING"]), "+PONG\r\n");
            return;
        }
    }
    panic!("no daemon served on any of 5 ports");
}

#[test]
fn supervised_systemd_tells_notify_socket_it_is_ready_and_does_not_fork() {
    let dir = scratch_dir("systemd");
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let receive = || {
        let mut buffer = [0u8; 512];
        let n = socket.recv(&mut buffer).expect("a notification");
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    };
    // Supervision wins over daemonize: systemd keeps the server in the foreground.
    let server = launch(
        &dir,
        &[
            "--port",
            "0",
            "--supervised",
            "systemd",
            "--daemonize",
            "yes",
        ],
        &[("NOTIFY_SOCKET", socket_path.to_str().unwrap())],
    );
    assert_eq!(receive(), "STATUS=thredis is loading...\n");
    assert_eq!(receive(), "STATUS=Ready to accept connections\n");
    assert_eq!(receive(), "READY=1\n");
    let port = server.port();
    assert!(
        answers_as(port, server.child.id()),
        "the process it started serves"
    );
    assert!(
        server.stdout().contains("* Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.\n"),
        "{}",
        server.stdout()
    );
    Raw::connect(port).send(&common::resp(&["SHUTDOWN", "NOSAVE"]));
    assert_eq!(receive(), "STOPPING=1\n");
}

#[test]
fn supervised_auto_detects_systemd_and_says_so_at_loglevel_verbose() {
    let dir = scratch_dir("systemd-auto");
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let env = [("NOTIFY_SOCKET", socket_path.to_str().unwrap())];
    let verbose = launch(
        &dir,
        &[
            "--port",
            "0",
            "--supervised",
            "auto",
            "--loglevel",
            "verbose",
        ],
        &env,
    );
    verbose.port();
    assert!(
        verbose
            .stdout()
            .contains("- Systemd supervision detected.\n"),
        "{}",
        verbose.stdout()
    );
    let notice = launch(&dir, &["--port", "0", "--supervised", "auto"], &env);
    notice.port();
    assert!(
        !notice.stdout().contains("supervision detected"),
        "{}",
        notice.stdout()
    );
    let mut buffer = [0u8; 512];
    let mut ready = 0;
    while ready < 2 {
        let n = socket.recv(&mut buffer).expect("both servers notify");
        ready += usize::from(&buffer[..n] == b"READY=1\n");
    }
}

#[test]
fn supervised_systemd_without_notify_socket_says_so_and_serves() {
    let dir = scratch_dir("systemd-missing");
    let server = launch(&dir, &["--port", "0", "--supervised", "systemd"], &[]);
    server.port();
    assert!(
        server.printed("# systemd supervision error: NOTIFY_SOCKET not found!\n"),
        "{}",
        server.stdout()
    );
}

/// The role letter and level mark of the first log line whose message starts with `message`
/// (`signal-handler` lines, which have neither, give `('s', 's')`).
fn shape_of(log: &str, message: &str) -> Option<(char, char)> {
    log.lines().find_map(|line| {
        let (_, rest) = line.split_once(':')?;
        if let Some(after) = rest.strip_prefix("signal-handler (") {
            let (_, text) = after.split_once(") ")?;
            return text.starts_with(message).then_some(('s', 's'));
        }
        let role = rest.chars().next()?;
        let mark = rest.chars().nth(27)?;
        let text = rest.get(29..)?;
        text.starts_with(message).then_some((role, mark))
    })
}

#[test]
#[ignore = "needs redis-server: compares the startup and shutdown lines with Redis's"]
fn startup_and_shutdown_lines_have_redis_roles_and_levels() {
    let dir = scratch_dir("startup-vs-redis");
    let run_and_stop = |program: &str, port: u16| -> String {
        let pidfile = dir.join(format!("{port}.pid"));
        let mut child = Command::new(program)
            .args(["--port", &port.to_string(), "--save", ""])
            .args(["--pidfile", pidfile.to_str().unwrap()])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let log = Arc::default();
        collect_lines(BufReader::new(child.stdout.take().unwrap()), &log);
        let text = || log.lock().unwrap().clone();
        assert!(
            wait_until(STARTUP, || text().contains("Ready to accept")),
            "{}",
            text()
        );
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
        wait_until(STARTUP, || text().contains("ready to exit"));
        text()
    };
    let free_port = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let redis = run_and_stop("redis-server", free_port());
    let thredis = run_and_stop(
        assert_cmd::cargo::cargo_bin!("thredis").to_str().unwrap(),
        free_port(),
    );
    for message in [
        "oO0OoO0OoO0Oo ",
        "Configuration loaded",
        "monotonic clock: POSIX clock_gettime",
        "Running mode=standalone, port=",
        "Server initialized",
        "Ready to accept connections",
        "Received SIGTERM scheduling shutdown...",
        "User requested shutdown...",
        "Removing the pid file.",
        " is now ready to exit, bye bye...",
    ] {
        let message = message.trim_start();
        let wanted = shape_of(&redis, message).or_else(|| {
            // "Redis is now ready to exit": thredis names itself in that line.
            shape_of(&redis, &format!("Redis {message}"))
        });
        let seen = shape_of(&thredis, message)
            .or_else(|| shape_of(&thredis, &format!("thredis {message}")));
        assert!(
            wanted.is_some(),
            "{message:?} in redis-server's log:\n{redis}"
        );
        assert_eq!(seen, wanted, "{message:?}:\n{redis}\n{thredis}");
    }
}

/// The state letter of process `pid` (`T` when stopped), from /proc (Linux).
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (name) S ...`: the name may hold spaces, so the state follows the last ')'.
    stat.rsplit_once(") ")?.1.chars().next()
}

#[test]
#[cfg(target_os = "linux")]
fn supervised_upstart_stops_itself_until_resumed() {
    let dir = scratch_dir("upstart");
    let server = launch(
        &dir,
        &["--port", "0", "--supervised", "upstart"],
        &[("UPSTART_JOB", "thredis")],
    );
    let pid = server.child.id();
    assert!(
        wait_until(STARTUP, || process_state(pid) == Some('T')),
        "stopped for upstart: {:?} {}",
        process_state(pid),
        server.stdout()
    );
    assert!(
        server.printed("* supervised by upstart, will stop to signal readiness.\n"),
        "{}",
        server.stdout()
    );
    let resumed = Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(resumed.success());
    assert_eq!(Raw::connect(server.port()).cmd(&["PING"]), "+PONG\r\n");
}
