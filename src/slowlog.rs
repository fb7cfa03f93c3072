//! The slow log (Redis's slowlog.c): the most recent commands that ran for at least
//! `slowlog-log-slower-than` microseconds, newest first, at most `slowlog-max-len` of them. The
//! commands `SLOWLOG GET|LEN|RESET` read and clear it are in `commands/slowlog.rs`; commands are
//! offered to it from the one place `commands::execute` times them.
//!
//! An entry keeps a bounded copy of the command: at most [`MAX_ARGS`] arguments, each at most
//! [`MAX_ARG_BYTES`] bytes, with Redis's notes on what was cut, so a huge command costs the log
//! no more than a small one.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::config::Config;

/// Arguments kept per entry, the last one standing for those cut (`SLOWLOG_ENTRY_MAX_ARGC`).
pub const MAX_ARGS: usize = 32;

/// Bytes kept per argument (`SLOWLOG_ENTRY_MAX_STRING`).
pub const MAX_ARG_BYTES: usize = 128;

/// One logged command, as `SLOWLOG GET` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Unique over the server's life: `SLOWLOG RESET` does not restart the count.
    pub id: u64,
    /// Unix time, in seconds, when it was logged.
    pub time: i64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    /// The client's `ip:port`.
    pub peer: String,
    /// The client's name, empty if it has none.
    pub client_name: Vec<u8>,
}

/// Who ran a command, as the entry records it.
pub struct Caller {
    pub peer: String,
    pub name: Vec<u8>,
}

#[derive(Default)]
struct Log {
    entries: VecDeque<Entry>,
    next_id: u64,
}

#[derive(Default)]
pub struct SlowLog {
    log: Mutex<Log>,
}

impl SlowLog {
    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a command that ran `duration_us` belongs in the log: cheap, checked before an
    /// entry is built.
    pub fn wants(config: &Config, duration_us: u64) -> bool {
        let threshold = Config::get(&config.slowlog_log_slower_than);
        threshold >= 0 && duration_us >= threshold as u64
    }

    /// Logs a command that [`SlowLog::wants`], then trims the log to `slowlog-max-len`, as
    /// `slowlogPushEntryIfNeeded` (a smaller `slowlog-max-len` takes effect at the next push).
    pub fn push<'a>(
        &self,
        config: &Config,
        args: impl ExactSizeIterator<Item = &'a [u8]>,
        duration_us: u64,
        caller: impl FnOnce() -> Caller,
        now_s: i64,
    ) {
        let args = trimmed(args);
        let caller = caller();
        let max_len = Config::get(&config.slowlog_max_len).max(0) as usize;
        let mut log = self.lock();
        let id = log.next_id;
        log.next_id += 1;
        log.entries.push_front(Entry {
            id,
            time: now_s,
            duration_us,
            args,
            peer: caller.peer,
            client_name: caller.name,
        });
        log.entries.truncate(max_len);
    }

    /// The newest `count` entries, newest first.
    pub fn latest(&self, count: usize) -> Vec<Entry> {
        self.lock().entries.iter().take(count).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `SLOWLOG RESET`: the entries go, the ids keep counting.
    pub fn reset(&self) {
        self.lock().entries.clear();
    }
}

/// The arguments as an entry keeps them (`slowlogCreateEntry`): past [`MAX_ARGS`], the last
/// kept slot says how many more there were; an argument past [`MAX_ARG_BYTES`] says how many
/// bytes were cut.
fn trimmed<'a>(args: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let argc = args.len();
    let kept = argc.min(MAX_ARGS);
    let mut out: Vec<Vec<u8>> = args
        .take(kept)
        .map(|arg| {
            if arg.len() <= MAX_ARG_BYTES {
                return arg.to_vec();
            }
            let mut cut = arg[..MAX_ARG_BYTES].to_vec();
            let more = format!("... ({} more bytes)", arg.len() - MAX_ARG_BYTES);
            cut.extend_from_slice(more.as_bytes());
            cut
        })
        .collect();
    if kept < argc {
        let more = format!("... ({} more arguments)", argc - kept + 1);
        out[kept - 1] = more.into_bytes();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            peer: "127.0.0.1:1".into(),
            name: b"me".to_vec(),
        }
    }

    #[test]
    fn long_commands_are_cut_as_redis_cuts_them() {
        let many: Vec<Vec<u8>> = (0..33).map(|i| i.to_string().into_bytes()).collect();
        let kept = trimmed(many.iter().map(Vec::as_slice));
        assert_eq!(kept.len(), 32);
        assert_eq!(kept[31], b"... (2 more arguments)");
        assert_eq!(kept[30], b"30");
        let long = vec![b'A'; 129];
        let kept = trimmed([long.as_slice()].into_iter());
        assert!(kept[0].ends_with(b"A... (1 more bytes)"));
        assert_eq!(kept[0].len(), 128 + "... (1 more bytes)".len());
    }

    #[test]
    fn newest_first_bounded_and_ids_survive_reset() {
        let config = Config::default();
        crate::config::params::find("slowlog-max-len")
            .unwrap()
            .set(&config, &["2".to_string()])
            .unwrap();
        let log = SlowLog::default();
        for name in ["a", "b", "c"] {
            log.push(&config, [name.as_bytes()].into_iter(), 5, caller, 7);
        }
        let entries = log.latest(10);
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].id, entries[0].args[0].as_slice()),
            (2, &b"c"[..])
        );
        log.reset();
        assert!(log.is_empty());
        log.push(&config, [&b"d"[..]].into_iter(), 5, caller, 7);
        assert_eq!(log.latest(1)[0].id, 3);
    }
}
