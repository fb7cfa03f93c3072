//! The server log, in Redis's format, to stdout or to the `logfile`:
//!
//! `12345:M 23 Nov 2026 23:32:40.123 * Ready to accept connections`
//!
//! pid, role, time (UTC: std has no time zones), a level mark (`.` debug, `-` verbose,
//! `*` notice, `#` warning) and the message. Tools that parse Redis logs, and Redis's own test
//! harness (which waits for ` PID: <pid>` and `Ready to accept connections` on the server's
//! stdout), read these lines unchanged.
//!
//! As Redis's `serverLogRaw`: with `logfile ""` the log goes to stdout (which `daemonize`
//! points at /dev/null); otherwise the file is opened, appended to and closed for every line,
//! so a log rotated away by renaming is followed by a fresh file at the configured path.
//! Stdout also carries the `listening on ...` lines (see `main.rs`).

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::clock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl Level {
    /// The names `loglevel` accepts, in order.
    pub const NAMES: [&'static str; 4] = ["debug", "verbose", "notice", "warning"];

    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }

    fn from_index(index: u8) -> Level {
        match index {
            0 => Level::Debug,
            1 => Level::Verbose,
            2 => Level::Notice,
            _ => Level::Warning,
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);
/// The `logfile` path; empty for stdout. The lock also keeps lines from interleaving.
static FILE: Mutex<String> = Mutex::new(String::new());
/// The role letter of each line. Redis prints `C` until `initServer` records the server's pid
/// (its lines from before then look like a child's), then `M` for a master.
static ROLE: AtomicU8 = AtomicU8::new(b'C');

/// Sets the least severe level that is still written.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn level() -> Level {
    Level::from_index(LEVEL.load(Ordering::Relaxed))
}

/// From now on, lines carry `role` (`M` for a master), as Redis's do once the server is set up.
pub fn set_role(role: u8) {
    ROLE.store(role, Ordering::Relaxed);
}

/// Sends the log to `path` (appending) instead of stdout; an empty path means stdout. Fails,
/// changing nothing, if the file cannot be opened for appending.
pub fn set_file(path: &str) -> std::io::Result<()> {
    if !path.is_empty() {
        open(path)?;
    }
    *FILE.lock().unwrap_or_else(|e| e.into_inner()) = path.to_string();
    Ok(())
}

fn open(path: &str) -> std::io::Result<std::fs::File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Writes one log line if `level` is enabled. Use the [`log!`](crate::log!) macro.
pub fn write(level: Level, message: std::fmt::Arguments) {
    if level < self::level() {
        return;
    }
    let line = format!(
        "{}:{} {} {} {}\n",
        std::process::id(),
        char::from(ROLE.load(Ordering::Relaxed)),
        clock::log_timestamp(clock::now_ms()),
        level.mark(),
        message
    );
    emit(&line);
}

/// Writes `text` as it is, with no prefix, if `level` is enabled: Redis's `LL_RAW`, used for the
/// logo.
pub fn write_raw(level: Level, text: &str) {
    if level >= self::level() {
        emit(text);
    }
}

/// The line Redis's signal handler writes (`serverLogFromHandler`), whatever the level: a
/// shape of its own, `pid:signal-handler (unix-seconds) message`.
pub fn write_from_signal_handler(message: &str) {
    let seconds = clock::now_ms() / 1000;
    emit(&format!(
        "{}:signal-handler ({seconds}) {message}\n",
        std::process::id()
    ));
}

fn emit(text: &str) {
    let path = FILE.lock().unwrap_or_else(|e| e.into_inner());
    // A log line that cannot be written is dropped: there is nowhere left to report it.
    if path.is_empty() {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    } else if let Ok(mut file) = open(&path) {
        let _ = file.write_all(text.as_bytes());
    }
}

/// `log!(Notice, "Ready to accept connections")`
#[macro_export]
macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::log::write($crate::log::Level::$level, format_args!($($arg)*))
    };
}
