//! Configuration: every parameter of Redis 7.0.15, read at startup from `thredis [config-file]
//! [--name value ...]` and changed at runtime with `CONFIG SET`. (Stage 1's `--port`; the RDB
//! stages add `--dir` and `--dbfilename`.)
//!
//! The map:
//! - [`params`]: **the table**, one row per parameter (name, aliases, type, default, bounds);
//!   [`param`] says what a row holds and how any value is read, printed and rewritten;
//!   [`special`] has the parameters with rules of their own (`save`, `bind`...).
//! - [`file`]: reading configuration text as Redis does (quoting, `include`, stdin, the
//!   command-line options appended after the file) and the `FATAL CONFIG FILE ERROR` report.
//! - [`rewrite`]: `CONFIG REWRITE`, which updates the file in place.
//!
//! [`Config`] holds the values. What thredis acts on is a typed field (an atomic, or a lock for
//! text), so a connection thread reads the current value without taking a lock other threads
//! write: `proto-max-bulk-len` is read before every request. Parameters thredis only accepts
//! and reports keep their values in the table's own store (`kept`).

pub mod file;
pub mod param;
pub mod params;
pub mod rewrite;
pub mod special;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::keyspace::{hash, set, stream, zset};
use crate::protocol::Limits;

pub use param::{Param, Value};
pub use params::PARAMS;

/// Who may run `DEBUG` (`enable-debug-command`) or change a protected parameter
/// (`enable-protected-configs`): nobody, everybody, or loopback clients only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    No,
    Yes,
    Local,
}

impl Access {
    fn from_value(value: i64) -> Access {
        match value {
            1 => Access::Yes,
            2 => Access::Local,
            _ => Access::No,
        }
    }

    /// Whether a client, local or not, is allowed.
    pub fn allows(self, local: bool) -> bool {
        match self {
            Access::Yes => true,
            Access::Local => local,
            Access::No => false,
        }
    }
}

/// How much output may wait for one client of a class before it is disconnected
/// (`client-output-buffer-limit <class> <hard> <soft> <soft-seconds>`): at once past `hard`
/// bytes, or after staying past `soft` bytes for more than `soft_seconds`. 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

impl OutputLimit {
    /// Redis's `checkClientOutputBufferLimits`: `used` bytes are past `hard` at once, or have
    /// been past `soft` for more than `soft_seconds` (`since` remembers when that began).
    pub fn exceeded(&self, used: usize, since: &mut Option<i64>, now_ms: i64) -> bool {
        let used = used as u64;
        if self.hard > 0 && used >= self.hard {
            return true;
        }
        if self.soft == 0 || used < self.soft {
            *since = None;
            return false;
        }
        let started = *since.get_or_insert(now_ms);
        now_ms - started > (self.soft_seconds as i64).saturating_mul(1000)
    }
}

/// The classes of `client-output-buffer-limit`, in the order `CONFIG GET` prints them
/// (`replica` is accepted for `slave`).
pub const CLIENT_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

const REPLICA_CLASS: usize = 1;
const PUBSUB_CLASS: usize = 2;

/// Redis's defaults: `normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60`.
pub const DEFAULT_OUTPUT_LIMITS: [OutputLimit; 3] = [
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

/// The values of every parameter thredis acts on. Each starts at its row's default
/// ([`Config::default`] resets them all from the table), so a default is written once.
pub struct Config {
    // ---- networking and clients
    pub port: AtomicI64,
    pub bind: RwLock<Vec<String>>,
    pub unixsocket: RwLock<String>,
    pub unixsocketperm: AtomicI64,
    pub tcp_backlog: AtomicI64,
    pub protected_mode: AtomicBool,
    pub maxclients: AtomicI64,
    pub timeout: AtomicI64,
    pub proto_max_bulk_len: AtomicI64,
    pub client_query_buffer_limit: AtomicI64,
    /// `client-output-buffer-limit`, per class of client (see [`CLIENT_CLASSES`]).
    pub client_output_buffer_limit: RwLock<[OutputLimit; 3]>,
    // ---- the process
    pub daemonize: AtomicBool,
    pub supervised: AtomicI64,
    pub pidfile: RwLock<String>,
    pub always_show_logo: AtomicBool,
    pub loglevel: AtomicI64,
    pub logfile: RwLock<String>,
    pub hz: AtomicI64,
    pub shutdown_on_sigint: AtomicI64,
    pub shutdown_on_sigterm: AtomicI64,
    pub enable_debug_command: AtomicI64,
    pub enable_protected_configs: AtomicI64,
    pub oom_score_adj: AtomicI64,
    pub oom_score_adj_values: RwLock<[i64; 3]>,
    pub latency_percentiles: RwLock<Vec<f64>>,
    // ---- introspection: the slow log and the latency monitor
    /// `slowlog-log-slower-than` in microseconds: -1 logs nothing, 0 every command.
    pub slowlog_log_slower_than: AtomicI64,
    /// `tracking-table-max-keys`: how many keys the client-side caching table may hold (0: any).
    pub tracking_table_max_keys: AtomicI64,
    pub slowlog_max_len: AtomicI64,
    /// `latency-monitor-threshold` in milliseconds: 0 records no latency events.
    pub latency_monitor_threshold: AtomicI64,
    /// `latency-tracking`: per-command latency histograms (INFO latencystats).
    pub latency_tracking: AtomicBool,
    // ---- data
    pub databases: AtomicI64,
    /// `notify-keyspace-events`, as an `EventClass` mask. Shared with the keyspace, whose
    /// writers read it to decide which events to record (`Server::bind` links the two).
    pub notify_keyspace_events: Arc<AtomicU32>,
    pub hash_max_listpack_entries: AtomicI64,
    pub hash_max_listpack_value: AtomicI64,
    pub zset_max_listpack_entries: AtomicI64,
    pub zset_max_listpack_value: AtomicI64,
    pub set_max_intset_entries: AtomicI64,
    /// `hll-sparse-max-bytes`: the longest a sparse HyperLogLog grows before it turns dense.
    pub hll_sparse_max_bytes: AtomicI64,
    pub stream_node_max_bytes: AtomicI64,
    pub stream_node_max_entries: AtomicI64,
    /// `maxmemory` in bytes, 0 for no limit (see `crate::memory`).
    pub maxmemory: AtomicI64,
    /// `maxmemory-clients`: bytes, or a percentage of `maxmemory` stored negative; 0 for no
    /// limit (see `crate::clients::eviction`).
    pub maxmemory_clients: AtomicI64,
    pub maxmemory_policy: AtomicI64,
    /// `maxmemory-samples`, `maxmemory-eviction-tenacity`, `lfu-log-factor`, `lfu-decay-time`
    /// (see `crate::memory::eviction` and `crate::memory::lfu`).
    pub maxmemory_samples: AtomicI64,
    pub maxmemory_eviction_tenacity: AtomicI64,
    pub lfu_log_factor: AtomicI64,
    pub lfu_decay_time: AtomicI64,
    // ---- persistence: how RDB files and the AOF are written and read
    pub dbfilename: RwLock<String>,
    /// `save` points as (seconds, changes) pairs.
    pub save: RwLock<Vec<(i64, i64)>>,
    pub rdbcompression: AtomicBool,
    pub rdbchecksum: AtomicBool,
    pub stop_writes_on_bgsave_error: AtomicBool,
    pub rdb_save_incremental_fsync: AtomicBool,
    /// Microseconds to sleep after saving each key (a test hook that makes saves slow).
    pub rdb_key_save_delay: AtomicI64,
    /// `sanitize-dump-payload`: 0 `no`, 1 `yes`, 2 `clients` (RESTORE's payload checks).
    pub sanitize_dump_payload: AtomicI64,
    pub appendonly: AtomicBool,
    /// A value of [`params::APPENDFSYNC`].
    pub appendfsync: AtomicI64,
    pub appenddirname: RwLock<String>,
    pub appendfilename: RwLock<String>,
    pub aof_use_rdb_preamble: AtomicBool,
    pub aof_load_truncated: AtomicBool,
    pub aof_timestamp_enabled: AtomicBool,
    pub aof_rewrite_incremental_fsync: AtomicBool,
    pub no_appendfsync_on_rewrite: AtomicBool,
    pub auto_aof_rewrite_percentage: AtomicI64,
    pub auto_aof_rewrite_min_size: AtomicI64,
    // ---- replication
    /// `replicaof host port`, kept for when replication arrives.
    pub replicaof: RwLock<Option<(String, u16)>>,
    /// `min-replicas-to-write`, `min-replicas-max-lag`: writes need that many replicas in sync.
    pub min_replicas_to_write: AtomicI64,
    pub min_replicas_max_lag: AtomicI64,
    /// `repl-backlog-size`: the bytes of stream history kept for partial resyncs.
    pub repl_backlog_size: AtomicI64,
    /// `repl-backlog-ttl`: seconds a master with no replicas keeps its backlog (0: for good).
    pub repl_backlog_ttl: AtomicI64,
    /// `repl-timeout`: seconds a replica may stop reading before it is dropped.
    pub repl_timeout: AtomicI64,
    /// `shutdown-timeout`: seconds a shutdown waits for lagging replicas (0: it does not).
    pub shutdown_timeout: AtomicI64,
    /// `repl-ping-replica-period`: seconds between the keep-alive PINGs of the stream.
    pub repl_ping_replica_period: AtomicI64,
    /// `repl-diskless-sync`: a full sync streams the snapshot into the replica's socket, after
    /// waiting `repl-diskless-sync-delay` seconds for more replicas (or until
    /// `repl-diskless-sync-max-replicas` wait).
    pub repl_diskless_sync: AtomicBool,
    pub repl_diskless_sync_delay: AtomicI64,
    pub repl_diskless_sync_max_replicas: AtomicI64,
    /// `replica-read-only`: a replica refuses writes from clients.
    pub replica_read_only: AtomicBool,
    /// `replica-serve-stale-data`: a replica whose link is down still answers reads.
    pub replica_serve_stale_data: AtomicBool,
    /// `replica-priority`, `replica-announced`: what a replica tells Sentinel in INFO.
    pub replica_priority: AtomicI64,
    pub replica_announced: AtomicBool,
    /// `replica-announce-ip`, `replica-announce-port`: the address a replica gives its master.
    pub replica_announce_ip: RwLock<String>,
    pub replica_announce_port: AtomicI64,
    /// `masterauth`, `masteruser`: how a replica logs in to its master.
    pub masterauth: RwLock<String>,
    pub masteruser: RwLock<String>,
    // ---- authentication
    /// `requirepass`: the default user's one password (empty: `nopass`).
    pub requirepass: RwLock<String>,
    /// `aclfile`: where the users are kept, if anywhere.
    pub aclfile: RwLock<String>,
    /// `acl-pubsub-default`: 1 when new users may use every channel (`allchannels`).
    pub acl_pubsub_default: AtomicI64,
    /// `acllog-max-len`: how many entries `ACL LOG` keeps.
    pub acllog_max_len: AtomicI64,
    /// `busy-reply-threshold` (alias `lua-time-limit`): milliseconds a script runs before other
    /// clients are answered `-BUSY` (`scripting/busy.rs`).
    pub busy_reply_threshold: AtomicI64,
    // ---- not parameters
    /// `user name rules...` lines of the configuration file, in order, each as its words
    /// after `user`. Checked by the ACL when the file is read, loaded at startup.
    pub users: Vec<Vec<String>>,
    /// The configuration file, as an absolute path, if one was given.
    pub config_file: Option<PathBuf>,
    /// `rename-command old new` directives of the configuration file, in order, for the
    /// command table (`new` empty: the command is removed).
    pub renamed_commands: Vec<(String, String)>,
    /// The values of the parameters thredis accepts without acting on them, by name; those
    /// never set are at their default.
    kept: Mutex<HashMap<&'static str, Value>>,
}

impl Default for Config {
    /// Every parameter at Redis's built-in default: the standard ones from their rows, the
    /// special ones from theirs (`special.rs`).
    fn default() -> Config {
        let config = Config {
            port: Default::default(),
            bind: RwLock::new(special::DEFAULT_BIND.map(str::to_string).to_vec()),
            unixsocket: Default::default(),
            unixsocketperm: Default::default(),
            tcp_backlog: Default::default(),
            protected_mode: Default::default(),
            maxclients: Default::default(),
            timeout: Default::default(),
            proto_max_bulk_len: Default::default(),
            client_query_buffer_limit: Default::default(),
            client_output_buffer_limit: RwLock::new(DEFAULT_OUTPUT_LIMITS),
            daemonize: Default::default(),
            supervised: Default::default(),
            pidfile: Default::default(),
            always_show_logo: Default::default(),
            loglevel: Default::default(),
            logfile: Default::default(),
            hz: AtomicI64::new(10),
            shutdown_on_sigint: Default::default(),
            shutdown_on_sigterm: Default::default(),
            enable_debug_command: Default::default(),
            enable_protected_configs: Default::default(),
            oom_score_adj: AtomicI64::new(0),
            oom_score_adj_values: RwLock::new(special::DEFAULT_OOM_SCORE_ADJ_VALUES),
            latency_percentiles: RwLock::new(special::DEFAULT_PERCENTILES.to_vec()),
            slowlog_log_slower_than: Default::default(),
            tracking_table_max_keys: Default::default(),
            slowlog_max_len: Default::default(),
            latency_monitor_threshold: Default::default(),
            latency_tracking: Default::default(),
            databases: Default::default(),
            notify_keyspace_events: Default::default(),
            hash_max_listpack_entries: Default::default(),
            hash_max_listpack_value: Default::default(),
            zset_max_listpack_entries: Default::default(),
            zset_max_listpack_value: Default::default(),
            set_max_intset_entries: Default::default(),
            hll_sparse_max_bytes: Default::default(),
            stream_node_max_bytes: Default::default(),
            stream_node_max_entries: Default::default(),
            maxmemory: Default::default(),
            maxmemory_clients: Default::default(),
            maxmemory_policy: Default::default(),
            maxmemory_samples: Default::default(),
            maxmemory_eviction_tenacity: Default::default(),
            lfu_log_factor: Default::default(),
            lfu_decay_time: Default::default(),
            dbfilename: Default::default(),
            save: RwLock::new(vec![(3600, 1), (300, 100), (60, 10_000)]),
            rdbcompression: Default::default(),
            rdbchecksum: Default::default(),
            stop_writes_on_bgsave_error: Default::default(),
            rdb_save_incremental_fsync: Default::default(),
            rdb_key_save_delay: Default::default(),
            sanitize_dump_payload: Default::default(),
            appendonly: Default::default(),
            appendfsync: Default::default(),
            appenddirname: Default::default(),
            appendfilename: Default::default(),
            aof_use_rdb_preamble: Default::default(),
            aof_load_truncated: Default::default(),
            aof_timestamp_enabled: Default::default(),
            aof_rewrite_incremental_fsync: Default::default(),
            no_appendfsync_on_rewrite: Default::default(),
            auto_aof_rewrite_percentage: Default::default(),
            auto_aof_rewrite_min_size: Default::default(),
            replicaof: Default::default(),
            min_replicas_to_write: Default::default(),
            min_replicas_max_lag: Default::default(),
            repl_backlog_size: Default::default(),
            repl_timeout: Default::default(),
            repl_backlog_ttl: Default::default(),
            shutdown_timeout: Default::default(),
            repl_ping_replica_period: Default::default(),
            repl_diskless_sync: Default::default(),
            repl_diskless_sync_delay: Default::default(),
            repl_diskless_sync_max_replicas: Default::default(),
            replica_read_only: Default::default(),
            replica_serve_stale_data: Default::default(),
            replica_priority: Default::default(),
            replica_announced: Default::default(),
            replica_announce_ip: Default::default(),
            replica_announce_port: Default::default(),
            masterauth: Default::default(),
            masteruser: Default::default(),
            requirepass: Default::default(),
            aclfile: Default::default(),
            acl_pubsub_default: Default::default(),
            acllog_max_len: Default::default(),
            busy_reply_threshold: Default::default(),
            users: Default::default(),
            config_file: Default::default(),
            renamed_commands: Default::default(),
            kept: Default::default(),
        };
        for param in PARAMS {
            param.reset(&config);
        }
        config
    }
}

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

    /// The value of a parameter kept by the table (see [`Param::load`]).
    fn kept_value(&self, param: &Param) -> Value {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.get(param.name) {
            Some(value) => value.clone(),
            None => param
                .default_value()
                .expect("kept parameters are of a standard type"),
        }
    }

    fn keep_value(&self, param: &Param, value: Value) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.insert(param.name, value);
    }

    /// `acl-pubsub-default allchannels`: new users may use every channel.
    pub fn acl_all_channels(&self) -> bool {
        Config::get(&self.acl_pubsub_default) == 1
    }

    /// The protocol limits, read before each request; `unauthenticated` for a client that
    /// must still log in.
    pub fn limits(&self, unauthenticated: bool) -> Limits {
        Limits {
            max_bulk_len: Config::get(&self.proto_max_bulk_len) as usize,
            max_query_buffer: Config::get(&self.client_query_buffer_limit) as usize,
            unauthenticated,
        }
    }

    /// `hash-max-listpack-*`, for the hash commands.
    pub fn hash_limits(&self) -> hash::Limits {
        hash::Limits {
            max_entries: Config::get(&self.hash_max_listpack_entries) as usize,
            max_value: Config::get(&self.hash_max_listpack_value) as usize,
        }
    }

    /// `zset-max-listpack-*`, for the sorted-set commands.
    pub fn zset_limits(&self) -> zset::Limits {
        zset::Limits {
            max_entries: Config::get(&self.zset_max_listpack_entries) as usize,
            max_value: Config::get(&self.zset_max_listpack_value) as usize,
        }
    }

    /// `stream-node-max-*`, for the stream commands: when a node closes.
    pub fn stream_limits(&self) -> stream::Limits {
        stream::Limits {
            node_max_bytes: Config::get(&self.stream_node_max_bytes) as usize,
            node_max_entries: Config::get(&self.stream_node_max_entries) as usize,
        }
    }

    /// `hll-sparse-max-bytes`, for PFADD and PFMERGE.
    pub fn hll_sparse_max_bytes(&self) -> usize {
        Config::get(&self.hll_sparse_max_bytes) as usize
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

    /// How often the background thread runs, already within 1–500 (see `special::HZ`).
    pub fn hz(&self) -> i64 {
        Config::get(&self.hz)
    }

    /// `appendfsync`.
    pub fn fsync(&self) -> crate::persistence::aof::Fsync {
        use crate::persistence::aof::Fsync;
        match Config::get(&self.appendfsync) {
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

    /// `enable-debug-command`.
    pub fn debug_command(&self) -> Access {
        Access::from_value(Config::get(&self.enable_debug_command))
    }

    /// `enable-protected-configs`.
    pub fn protected_configs(&self) -> Access {
        Access::from_value(Config::get(&self.enable_protected_configs))
    }

    /// The `unixsocket` path, if one is set.
    pub fn unixsocket(&self) -> Option<String> {
        Some(read(&self.unixsocket)).filter(|path| !path.is_empty())
    }

    /// The `pidfile` path, if one is set.
    pub fn pidfile(&self) -> Option<String> {
        Some(read(&self.pidfile)).filter(|path| !path.is_empty())
    }

    /// The output buffer limit of normal clients (`client-output-buffer-limit normal ...`).
    pub fn normal_output_limit(&self) -> OutputLimit {
        read(&self.client_output_buffer_limit)[0]
    }

    /// The output buffer limit of replicas (`client-output-buffer-limit replica ...`).
    pub fn replica_output_limit(&self) -> OutputLimit {
        read(&self.client_output_buffer_limit)[REPLICA_CLASS]
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hard_limit_trips_at_once_and_the_soft_one_after_its_seconds() {
        let limit = OutputLimit {
            hard: 100,
            soft: 10,
            soft_seconds: 2,
        };
        let mut since = None;
        assert!(limit.exceeded(100, &mut since, 0));
        assert!(!limit.exceeded(50, &mut since, 1_000));
        assert!(!limit.exceeded(50, &mut since, 3_000), "exactly 2 s");
        assert!(limit.exceeded(50, &mut since, 3_001));
        assert!(!limit.exceeded(5, &mut since, 3_002), "below: reset");
        assert!(!limit.exceeded(50, &mut since, 4_000));
        assert_eq!(since, Some(4_000));
        let unlimited = OutputLimit {
            hard: 0,
            soft: 0,
            soft_seconds: 0,
        };
        assert!(!unlimited.exceeded(usize::MAX, &mut None, 0));
    }
}
