//! Configuration: the settings thredis honours, read from `thredis [config-file] [--name value ...]`
//! at startup and changed at runtime with `CONFIG SET`. (Stage 1's `--port`; RDB stages add
//! `--dir` and `--dbfilename`.)
//!
//! Startup works as redis-server's does: the command-line options are appended to the file's
//! lines (`--port 6380` becomes the line `port 6380`) and every line goes through the same table
//! of parameters ([`params::PARAMS`]) that `CONFIG GET` and `CONFIG SET` use. A bad line stops the
//! server with Redis's `*** FATAL CONFIG FILE ERROR ***` report.
//!
//! Settings are atomics (or locks for text), so a connection thread reads the current value
//! without taking a lock that other threads write: `proto-max-bulk-len` is read before every
//! request.

pub mod params;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::keyspace::{hash, set};
use crate::protocol::Limits;
use crate::protocol::split::{repr, split_args};

pub use params::{PARAMS, Param};

/// Who may run `DEBUG` (`enable-debug-command`): nobody, everybody, or loopback clients only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugAccess {
    No,
    Yes,
    Local,
}

/// `appendfsync`: when the append-only file is flushed to disk.
pub const APPENDFSYNC: [&str; 3] = ["everysec", "always", "no"];

pub struct Config {
    pub port: AtomicI64,
    pub bind: RwLock<Vec<String>>,
    pub protected_mode: AtomicBool,
    pub databases: AtomicI64,
    pub maxclients: AtomicI64,
    pub timeout: AtomicI64,
    pub proto_max_bulk_len: AtomicI64,
    pub client_query_buffer_limit: AtomicI64,
    pub hz: AtomicI64,
    pub dbfilename: RwLock<String>,
    /// `save` points as (seconds, changes) pairs.
    pub save: RwLock<Vec<(i64, i64)>>,
    pub appendonly: AtomicBool,
    /// Index into [`APPENDFSYNC`].
    pub appendfsync: AtomicU8,
    pub appenddirname: RwLock<String>,
    pub appendfilename: RwLock<String>,
    // ---- persistence: how RDB files and the AOF are written and read
    pub rdbcompression: AtomicBool,
    pub rdbchecksum: AtomicBool,
    pub stop_writes_on_bgsave_error: AtomicBool,
    pub rdb_save_incremental_fsync: AtomicBool,
    pub aof_use_rdb_preamble: AtomicBool,
    pub aof_load_truncated: AtomicBool,
    pub aof_rewrite_incremental_fsync: AtomicBool,
    pub no_appendfsync_on_rewrite: AtomicBool,
    pub auto_aof_rewrite_percentage: AtomicI64,
    pub auto_aof_rewrite_min_size: AtomicI64,
    pub logfile: RwLock<String>,
    pub enable_debug_command: RwLock<DebugAccess>,
    /// `replicaof host port`, kept for when replication arrives.
    pub replicaof: RwLock<Option<(String, u16)>>,
    /// `notify-keyspace-events`, as an `EventClass` mask. Shared with the keyspace, whose
    /// writers read it to decide which events to record (`Server::bind` links the two).
    pub notify_keyspace_events: Arc<AtomicU32>,
    /// `client-output-buffer-limit`, per class of client (see [`CLIENT_CLASSES`]).
    pub client_output_buffer_limit: RwLock<[OutputLimit; 3]>,
    /// The configuration file, as an absolute path, if one was given.
    pub config_file: Option<PathBuf>,
    // Collection encodings: when Redis would convert a small hash or set to a hash table.
    // `list-*` are accepted and reported; lists have one encoding in Redis 7.0.
    pub hash_max_listpack_entries: AtomicI64,
    pub hash_max_listpack_value: AtomicI64,
    pub set_max_intset_entries: AtomicI64,
    pub list_max_listpack_size: AtomicI64,
    pub list_compress_depth: AtomicI64,
    /// `min-replicas-to-write`, `min-replicas-max-lag`: writes need that many replicas in sync.
    pub min_replicas_to_write: AtomicI64,
    pub min_replicas_max_lag: AtomicI64,
    /// `maxmemory` in bytes, 0 for no limit (see `crate::memory`).
    pub maxmemory: AtomicI64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: AtomicI64::new(6379),
            bind: RwLock::new(vec!["127.0.0.1".into(), "-::1".into()]),
            protected_mode: AtomicBool::new(true),
            databases: AtomicI64::new(16),
            maxclients: AtomicI64::new(10_000),
            timeout: AtomicI64::new(0),
            proto_max_bulk_len: AtomicI64::new(512 * 1024 * 1024),
            client_query_buffer_limit: AtomicI64::new(1024 * 1024 * 1024),
            hz: AtomicI64::new(10),
            dbfilename: RwLock::new("dump.rdb".into()),
            // Redis's built-in default: after an hour if anything changed, after 5 minutes if
            // 100 keys did, after a minute if 10,000 did.
            save: RwLock::new(vec![(3600, 1), (300, 100), (60, 10_000)]),
            appendonly: AtomicBool::new(false),
            appendfsync: AtomicU8::new(0),
            appenddirname: RwLock::new("appendonlydir".into()),
            appendfilename: RwLock::new("appendonly.aof".into()),
            rdbcompression: AtomicBool::new(true),
            rdbchecksum: AtomicBool::new(true),
            stop_writes_on_bgsave_error: AtomicBool::new(true),
            rdb_save_incremental_fsync: AtomicBool::new(true),
            aof_use_rdb_preamble: AtomicBool::new(true),
            aof_load_truncated: AtomicBool::new(true),
            aof_rewrite_incremental_fsync: AtomicBool::new(true),
            no_appendfsync_on_rewrite: AtomicBool::new(false),
            auto_aof_rewrite_percentage: AtomicI64::new(100),
            auto_aof_rewrite_min_size: AtomicI64::new(64 * 1024 * 1024),
            logfile: RwLock::new(String::new()),
            enable_debug_command: RwLock::new(DebugAccess::No),
            replicaof: RwLock::new(None),
            notify_keyspace_events: Arc::default(),
            client_output_buffer_limit: RwLock::new(DEFAULT_OUTPUT_LIMITS),
            config_file: None,
            hash_max_listpack_entries: AtomicI64::new(512),
            hash_max_listpack_value: AtomicI64::new(64),
            set_max_intset_entries: AtomicI64::new(512),
            list_max_listpack_size: AtomicI64::new(-2),
            list_compress_depth: AtomicI64::new(0),
            min_replicas_to_write: AtomicI64::new(0),
            min_replicas_max_lag: AtomicI64::new(10),
            maxmemory: AtomicI64::new(0),
        }
    }
}

/// How much output may wait for one client of a class before it is disconnected
/// (`client-output-buffer-limit <class> <hard> <soft> <soft-seconds>`): at once past `hard`
/// bytes, or after staying past `soft` bytes for more than `soft_seconds`. 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// The classes of `client-output-buffer-limit`, in the order `CONFIG GET` prints them
/// (`replica` is accepted for `slave`).
pub const CLIENT_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

const PUBSUB_CLASS: usize = 2;

/// Redis's defaults: `normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60`.
const DEFAULT_OUTPUT_LIMITS: [OutputLimit; 3] = [
    OutputLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    OutputLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    OutputLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
];

/// Reads a setting guarded by a lock, tolerating poisoning (the value is always whole).
pub fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Replaces a setting guarded by a lock.
pub fn write<T>(lock: &RwLock<T>, value: T) {
    *lock.write().unwrap_or_else(PoisonError::into_inner) = value;
}

impl Config {
    pub fn get(field: &AtomicI64) -> i64 {
        field.load(Ordering::Relaxed)
    }

    /// The protocol limits, read before each request.
    pub fn limits(&self) -> Limits {
        Limits {
            max_bulk_len: Config::get(&self.proto_max_bulk_len) as usize,
            max_query_buffer: Config::get(&self.client_query_buffer_limit) as usize,
        }
    }

    /// `hash-max-listpack-*`, for the hash commands.
    pub fn hash_limits(&self) -> hash::Limits {
        hash::Limits {
            max_entries: Config::get(&self.hash_max_listpack_entries) as usize,
            max_value: Config::get(&self.hash_max_listpack_value) as usize,
        }
    }

    /// `set-max-intset-entries`, for the set commands.
    pub fn set_limits(&self) -> set::Limits {
        set::Limits {
            max_intset_entries: Config::get(&self.set_max_intset_entries) as usize,
        }
    }

    pub fn databases(&self) -> usize {
        Config::get(&self.databases) as usize
    }

    pub fn maxclients(&self) -> usize {
        Config::get(&self.maxclients) as usize
    }

    /// Seconds a client may stay idle; 0 means forever.
    pub fn timeout(&self) -> i64 {
        Config::get(&self.timeout)
    }

    pub fn hz(&self) -> i64 {
        Config::get(&self.hz).clamp(1, 500)
    }

    /// `appendfsync`.
    pub fn fsync(&self) -> crate::persistence::aof::Fsync {
        use crate::persistence::aof::Fsync;
        match self.appendfsync.load(Ordering::Relaxed) {
            1 => Fsync::Always,
            2 => Fsync::No,
            _ => Fsync::EverySec,
        }
    }

    pub fn rdbchecksum(&self) -> bool {
        self.rdbchecksum.load(Ordering::Relaxed)
    }

    pub fn aof_load_truncated(&self) -> bool {
        self.aof_load_truncated.load(Ordering::Relaxed)
    }

    /// The output buffer limit of pub/sub clients (`client-output-buffer-limit pubsub ...`).
    pub fn pubsub_output_limit(&self) -> OutputLimit {
        read(&self.client_output_buffer_limit)[PUBSUB_CLASS]
    }

    /// The working directory, which `dir` sets (Redis chdirs into it, and so does thredis).
    pub fn dir(&self) -> String {
        std::env::current_dir()
            .map(|dir| dir.display().to_string())
            .unwrap_or_default()
    }

    /// Parses the command line: `[config-file] [--name value ...]`, as redis-server takes it.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut config = Config::default();
        let mut text = String::new();
        let mut options = args;
        if let Some(first) = args.first().filter(|arg| !arg.starts_with('-')) {
            let path = std::path::absolute(first)
                .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
            text = std::fs::read_to_string(&path)
                .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
            config.config_file = Some(path);
            options = &args[1..];
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.extend(option_lines(options));
        config.load_lines(&lines)?;
        Ok(config)
    }

    /// Applies configuration lines (a file's lines, then the options'). Errors are reported as
    /// Redis reports them, ready to print.
    pub fn load_lines(&self, lines: &[String]) -> Result<(), String> {
        let mut save_seen = false;
        for (number, line) in lines.iter().enumerate() {
            let fail = |error: &str| {
                format!(
                    "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
                    crate::REDIS_VERSION,
                    number + 1,
                    line.trim(),
                    error
                )
            };
            let trimmed = line.trim_matches([' ', '\t', '\r', '\n']);
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let words = split_args(trimmed.as_bytes())
                .map_err(|_| fail("Unbalanced quotes in configuration line"))?;
            let mut words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            if words.is_empty() {
                continue;
            }
            let name = words.remove(0).to_ascii_lowercase();
            let param = params::find(&name)
                .ok_or_else(|| fail("Bad directive or wrong number of arguments"))?;
            if !param.multi_arg && words.len() != 1 {
                return Err(fail("wrong number of arguments"));
            }
            // Several `save` lines in a file add up; the first one replaces the default.
            if name == "save" && save_seen && !(words.len() == 1 && words[0].is_empty()) {
                let mut points = read(&self.save);
                params::parse_save(&words.join(" "))
                    .map_err(|e| fail(&e))
                    .map(|more| points.extend(more))?;
                write(&self.save, points);
                continue;
            }
            save_seen |= name == "save";
            (param.set)(self, &words.join(" ")).map_err(|e| fail(&e))?;
        }
        Ok(())
    }
}

/// Turns `--port 6380 --save "" --replicaof "host port"` into configuration lines.
fn option_lines(args: &[String]) -> Vec<String> {
    let mut lines: Vec<Vec<String>> = Vec::new();
    for arg in args {
        match arg.strip_prefix("--") {
            Some(name) => lines.push(vec![name.to_string()]),
            None => match lines.last_mut() {
                Some(line) => line.push(arg.clone()),
                None => lines.push(vec![arg.clone()]),
            },
        }
    }
    lines
        .into_iter()
        .map(|mut words| {
            // `--save` with no value means `save ""`.
            if words.len() == 1 && words[0].eq_ignore_ascii_case("save") {
                words.push(String::new());
            }
            let mut line = words[0].clone();
            for word in &words[1..] {
                line.push(' ');
                line.push_str(&repr(word.as_bytes()));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_become_config_lines() {
        let config = Config::from_args(&args(&[
            "--port",
            "7000",
            "--save",
            "--timeout",
            "5",
            "--replicaof",
            "localhost 6379",
        ]))
        .unwrap();
        assert_eq!(Config::get(&config.port), 7000);
        assert_eq!(config.timeout(), 5);
        assert!(read(&config.save).is_empty());
        assert_eq!(
            read(&config.replicaof),
            Some(("localhost".to_string(), 6379))
        );
    }

    #[test]
    fn bad_values_are_fatal_with_redis_wording() {
        let error = Config::from_args(&args(&["--port", "abc"])).err().unwrap();
        assert!(error.contains("*** FATAL CONFIG FILE ERROR"), "{error}");
        assert!(error.contains(">>> 'port \"abc\"'"), "{error}");
        assert!(
            error.ends_with("argument couldn't be parsed into an integer"),
            "{error}"
        );
        let error = Config::from_args(&args(&["--nosuchthing", "1"]))
            .err()
            .unwrap();
        assert!(
            error.ends_with("Bad directive or wrong number of arguments"),
            "{error}"
        );
    }

    #[test]
    fn save_lines_in_a_file_accumulate() {
        let config = Config::default();
        config
            .load_lines(&["save 900 1".into(), "save 300 10".into()])
            .unwrap();
        assert_eq!(read(&config.save), vec![(900, 1), (300, 10)]);
    }

    #[test]
    fn each_output_buffer_limit_line_sets_its_own_class() {
        let config = Config::default();
        config
            .load_lines(&[
                "client-output-buffer-limit normal 1mb 512kb 10".into(),
                "client-output-buffer-limit pubsub 2mb 1mb 20".into(),
            ])
            .unwrap();
        let limits = read(&config.client_output_buffer_limit);
        assert_eq!(limits[0].hard, 1 << 20);
        assert_eq!(limits[1].hard, 256 << 20, "untouched");
        assert_eq!(config.pubsub_output_limit().soft_seconds, 20);
    }

    #[test]
    fn memory_values_take_units() {
        let config = Config::from_args(&args(&[
            "--proto-max-bulk-len",
            "2mb",
            "--client-query-buffer-limit",
            "1gb",
        ]))
        .unwrap();
        assert_eq!(config.limits().max_bulk_len, 2 * 1024 * 1024);
        assert_eq!(config.limits().max_query_buffer, 1024 * 1024 * 1024);
    }
}
