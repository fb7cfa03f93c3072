//! The server log, in Redis's format, to stderr or to the `logfile`:
//!
//! `12345:M 23 Nov 2026 23:32:40.123 * Ready to accept connections`
//!
//! pid, role (`M` for master), time (UTC: std has no time zones), a level mark (`.` debug,
//! `-` verbose, `*` notice, `#` warning) and the message. Tools that parse Redis logs read these
//! lines unchanged. Stdout is kept for the one `listening on ...` line (see `main.rs`).

use std::fs::{File, OpenOptions};
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
static FILE: Mutex<Option<File>> = Mutex::new(None);

/// Sets the least severe level that is still written.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn level() -> Level {
    Level::from_index(LEVEL.load(Ordering::Relaxed))
}

/// Sends the log to `path` (appending) instead of stderr; an empty path means stderr.
pub fn set_file(path: &str) -> std::io::Result<()> {
    let file = if path.is_empty() {
        None
    } else {
        Some(OpenOptions::new().create(true).append(true).open(path)?)
    };
    *FILE.lock().unwrap_or_else(|e| e.into_inner()) = file;
    Ok(())
}

/// Writes one log line if `level` is enabled. Use the [`log!`](crate::log!) macro.
pub fn write(level: Level, message: std::fmt::Arguments) {
    if level < self::level() {
        return;
    }
    let line = format!(
        "{}:M {} {} {}\n",
        std::process::id(),
        clock::log_timestamp(clock::now_ms()),
        level.mark(),
        message
    );
    let mut file = FILE.lock().unwrap_or_else(|e| e.into_inner());
    // A log line that cannot be written is dropped: there is nowhere left to report it.
    let _ = match file.as_mut() {
        Some(file) => file.write_all(line.as_bytes()),
        None => std::io::stderr().write_all(line.as_bytes()),
    };
}

/// `log!(Notice, "Ready to accept connections")`
#[macro_export]
macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::log::write($crate::log::Level::$level, format_args!($($arg)*))
    };
}
