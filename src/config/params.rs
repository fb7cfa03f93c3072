//! **The parameter table**: every configuration parameter of Redis 7.0.15, one row each, in the
//! order of Redis's own table (config.c) — the same names and aliases, types, defaults, bounds
//! and units, so that any file redis-server starts from, thredis starts from too, and `CONFIG
//! GET *` lists the same names.
//!
//! A row whose value lives in a field of [`Config`] is one thredis acts on. A row marked
//! `no_effect` is accepted, validated and reported back exactly as Redis would, and says why
//! it changes nothing in thredis (mostly: the feature is Redis Cluster, TLS, jemalloc, or one
//! not built yet). A value thredis cannot honour is refused instead of ignored (a `tls-port`),
//! because running without it would silently leave open what the user meant to protect. (`cluster-enabled yes` and `replicaof` are
//! accepted, and the server says at startup that it runs standalone.)
//!
//! What a change does to the running server (`CONFIG SET appendonly yes` starts the AOF) is not
//! here: the table knows no subsystem. See `crate::reconfigure`.

use super::param::Store::{Field, Kept};
use super::param::{Check, Flags, Kind, Param, Special, Store, Unit};
use super::special;

/// Finds a parameter by name or alias, ignoring case.
pub fn find(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.is_named(name))
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// Redis's `ULLONG_MAX`, kept as its bit pattern (see [`Kind::Number`]'s `unsigned`).
const ULLONG_MAX: i64 = -1;

// Why a parameter changes nothing, one reason per family.
const CLUSTER: &str = "thredis has no cluster mode";
const TLS: &str = "thredis has no TLS";
const REPLICATION: &str = "not part of thredis's replication yet";
const ALLOCATOR: &str = "thredis uses the system allocator: no jemalloc, no active defragmentation";
const THREADS: &str = "every client already has a thread of its own";
const LAZYFREE: &str = "a value is freed by the thread that drops it";
const SYSLOG: &str = "the log goes to stdout or the logfile only";
const CPU: &str = "thredis does not pin its threads to CPUs";
const PROC_TITLE: &str = "the standard library cannot change the process title";
const MODULES: &str = "thredis has no modules";
const LISTS: &str = "lists have one encoding in thredis and in Redis 7.0 (quicklist)";
const DEBUG_HOOK: &str = "a Redis test hook thredis does not need";

const fn param(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        alias: None,
        flags: Flags::NONE,
        kind,
        no_effect: None,
    }
}

const fn boolean(
    name: &'static str,
    default: bool,
    store: Store<std::sync::atomic::AtomicBool>,
) -> Param {
    param(
        name,
        Kind::Bool {
            default,
            store,
            check: None,
        },
    )
}

const fn number(
    name: &'static str,
    default: i64,
    min: i64,
    max: i64,
    store: Store<std::sync::atomic::AtomicI64>,
) -> Param {
    param(
        name,
        Kind::Number {
            default,
            min,
            max,
            unit: Unit::Plain,
            unsigned: false,
            store,
            check: None,
        },
    )
}

const fn choice(
    name: &'static str,
    choices: &'static [(&'static str, i64)],
    default: i64,
    store: Store<std::sync::atomic::AtomicI64>,
) -> Param {
    param(
        name,
        Kind::Enum {
            choices,
            default,
            bitflags: false,
            store,
            check: None,
        },
    )
}

const fn text(
    name: &'static str,
    default: &'static str,
    store: Store<std::sync::RwLock<String>>,
) -> Param {
    param(
        name,
        Kind::Text {
            default,
            empty_is_none: false,
            store,
            check: None,
        },
    )
}

const fn special(name: &'static str, functions: &'static Special) -> Param {
    param(name, Kind::Special(functions))
}

/// Modifiers for a row, so each row reads like Redis's.
impl Param {
    const fn alias(mut self, alias: &'static str) -> Param {
        self.alias = Some(alias);
        self
    }

    const fn flags(mut self, flags: Flags) -> Param {
        self.flags = self.flags.union(flags);
        self
    }

    const fn immutable(self) -> Param {
        self.flags(Flags::IMMUTABLE)
    }

    const fn no_effect(mut self, why: &'static str) -> Param {
        self.no_effect = Some(why);
        self
    }

    /// The number takes a unit (and, with `BytesOrPercent`, a percentage).
    const fn unit(mut self, new: Unit) -> Param {
        if let Kind::Number { ref mut unit, .. } = self.kind {
            *unit = new;
        }
        self
    }

    /// The number's C type is unsigned.
    const fn unsigned(mut self) -> Param {
        if let Kind::Number {
            ref mut unsigned, ..
        } = self.kind
        {
            *unsigned = true;
        }
        self
    }

    /// An empty string means "not set" (Redis's `EMPTY_STRING_IS_NULL`).
    const fn empty_is_none(mut self) -> Param {
        if let Kind::Text {
            ref mut empty_is_none,
            ..
        } = self.kind
        {
            *empty_is_none = true;
        }
        self
    }

    /// Several enumeration names may be given at once.
    const fn bitflags(mut self) -> Param {
        if let Kind::Enum {
            ref mut bitflags, ..
        } = self.kind
        {
            *bitflags = true;
        }
        self.flags(Flags::MULTI_ARG)
    }

    const fn check_bool(mut self, rule: Check<bool>) -> Param {
        if let Kind::Bool { ref mut check, .. } = self.kind {
            *check = Some(rule);
        }
        self
    }

    const fn check_number(mut self, rule: Check<i64>) -> Param {
        if let Kind::Number { ref mut check, .. } | Kind::Enum { ref mut check, .. } = self.kind {
            *check = Some(rule);
        }
        self
    }

    const fn check_text(mut self, rule: Check<str>) -> Param {
        if let Kind::Text { ref mut check, .. } = self.kind {
            *check = Some(rule);
        }
        self
    }
}

// ---------------------------------------------------------------- enumerations, as Redis's

pub const MAXMEMORY_POLICIES: &[(&str, i64)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
/// `maxmemory-policy noeviction`.
pub const NOEVICTION: i64 = 7;
const SYSLOG_FACILITIES: &[(&str, i64)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
/// `loglevel`: the values are `log::Level`'s.
pub const LOGLEVELS: &[(&str, i64)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
/// `supervised`.
pub const SUPERVISED: &[(&str, i64)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
/// `appendfsync`: the values are those `Config::fsync` reads.
pub const APPENDFSYNC: &[(&str, i64)] = &[("everysec", 0), ("always", 1), ("no", 2)];
/// `shutdown-on-sigint`/`-sigterm`: bit flags, as `SHUTDOWN`'s options.
pub const SHUTDOWN_FLAGS: &[(&str, i64)] = &[
    ("default", 0),
    ("save", SHUTDOWN_SAVE),
    ("nosave", SHUTDOWN_NOSAVE),
    ("now", SHUTDOWN_NOW),
    ("force", SHUTDOWN_FORCE),
];
pub const SHUTDOWN_SAVE: i64 = 1;
pub const SHUTDOWN_NOSAVE: i64 = 2;
pub const SHUTDOWN_NOW: i64 = 4;
pub const SHUTDOWN_FORCE: i64 = 8;
const DISKLESS_LOAD: &[(&str, i64)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, i64)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: &[(&str, i64)] = &[
    ("no", 0),
    ("yes", SANITIZE_YES),
    ("clients", SANITIZE_CLIENTS),
];
/// `sanitize-dump-payload yes`: every RESTORE payload is checked deeply.
pub const SANITIZE_YES: i64 = 1;
/// `sanitize-dump-payload clients`: only those of clients not `skip-sanitize-payload`.
pub const SANITIZE_CLIENTS: i64 = 2;
/// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`.
pub const PROTECTED_ACTION: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPES: &[(&str, i64)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, i64)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

// ---------------------------------------------------------------- checks, with Redis's texts

fn file_name(name: &str) -> bool {
    !name.contains('/')
}

fn check_dbfilename(value: &str) -> Result<(), &'static str> {
    file_name(value)
        .then_some(())
        .ok_or("dbfilename can't be a path, just a filename")
}

fn check_appendfilename(value: &str) -> Result<(), &'static str> {
    match value {
        "" => Err("appendfilename can't be empty"),
        v if !file_name(v) => Err("appendfilename can't be a path, just a filename"),
        _ => Ok(()),
    }
}

fn check_appenddirname(value: &str) -> Result<(), &'static str> {
    match value {
        "" => Err("appenddirname can't be empty"),
        v if !file_name(v) => Err("appenddirname can't be a path, just a dirname"),
        _ => Ok(()),
    }
}

fn check_shutdown_flags(value: &i64) -> Result<(), &'static str> {
    if value & SHUTDOWN_SAVE != 0 && value & SHUTDOWN_NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

fn check_hostname(value: &str) -> Result<(), &'static str> {
    if value.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// Redis's `validateProcTitleTemplate`: only known `{variables}`, balanced braces (`{{` is a
/// literal brace), and something left once the title itself is taken away.
fn check_proc_title(template: &str) -> Result<(), &'static str> {
    const INVALID: &str = "template format is invalid or contains unknown variables";
    let mut expanded = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        expanded.push_str(&rest[..open]);
        rest = &rest[open + 1..];
        if rest.is_empty() {
            return Err(INVALID);
        }
        if let Some(after) = rest.strip_prefix('{') {
            expanded.push('{');
            rest = after;
            continue;
        }
        let close = rest.find('}').ok_or(INVALID)?;
        expanded.push_str(match &rest[..close] {
            "title" | "server-mode" | "unixsocket" => "",
            "listen-addr" | "config-file" | "port" | "tls-port" => "x",
            _ => return Err(INVALID),
        });
        rest = &rest[close + 1..];
    }
    expanded.push_str(rest);
    if expanded.trim_matches(' ').is_empty() {
        return Err(INVALID);
    }
    Ok(())
}

/// thredis is built with the system allocator, as a Redis built without jemalloc is, and
/// refuses active defragmentation with that Redis's text.
fn check_activedefrag(on: &bool) -> Result<(), &'static str> {
    match on {
        true => Err(
            "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution",
        ),
        false => Ok(()),
    }
}

fn refuse_tls_port(port: &i64) -> Result<(), &'static str> {
    match port {
        0 => Ok(()),
        _ => Err("thredis does not implement TLS"),
    }
}

pub static PARAMS: &[Param] = &[
    // ------------------------------------------------------------ yes/no
    boolean("rdbchecksum", true, Field(|c| &c.rdbchecksum)).immutable(),
    boolean("daemonize", false, Field(|c| &c.daemonize)).immutable(),
    boolean("io-threads-do-reads", false, Kept)
        .immutable()
        .no_effect(THREADS),
    boolean("always-show-logo", false, Field(|c| &c.always_show_logo)).immutable(),
    boolean("protected-mode", true, Field(|c| &c.protected_mode)),
    boolean("rdbcompression", true, Field(|c| &c.rdbcompression)),
    boolean("rdb-del-sync-files", false, Kept).no_effect(REPLICATION),
    boolean("activerehashing", true, Kept)
        .no_effect("thredis's tables grow shard by shard, with no rehashing step to run"),
    boolean(
        "stop-writes-on-bgsave-error",
        true,
        Field(|c| &c.stop_writes_on_bgsave_error),
    ),
    boolean("set-proc-title", true, Kept)
        .immutable()
        .no_effect(PROC_TITLE),
    boolean("dynamic-hz", true, Kept)
        .no_effect("the background thread runs at hz, whatever the number of clients"),
    boolean("lazyfree-lazy-eviction", false, Kept).no_effect(LAZYFREE),
    boolean("lazyfree-lazy-expire", false, Kept).no_effect(LAZYFREE),
    boolean("lazyfree-lazy-server-del", false, Kept).no_effect(LAZYFREE),
    boolean("lazyfree-lazy-user-del", false, Kept).no_effect(LAZYFREE),
    boolean("lazyfree-lazy-user-flush", false, Kept).no_effect(LAZYFREE),
    boolean("repl-disable-tcp-nodelay", false, Kept).no_effect(REPLICATION),
    boolean("repl-diskless-sync", true, Field(|c| &c.repl_diskless_sync)),
    boolean(
        "aof-rewrite-incremental-fsync",
        true,
        Field(|c| &c.aof_rewrite_incremental_fsync),
    ),
    boolean(
        "no-appendfsync-on-rewrite",
        false,
        Field(|c| &c.no_appendfsync_on_rewrite),
    ),
    boolean("cluster-require-full-coverage", true, Kept).no_effect(CLUSTER),
    boolean(
        "rdb-save-incremental-fsync",
        true,
        Field(|c| &c.rdb_save_incremental_fsync),
    ),
    boolean("aof-load-truncated", true, Field(|c| &c.aof_load_truncated)),
    boolean(
        "aof-use-rdb-preamble",
        true,
        Field(|c| &c.aof_use_rdb_preamble),
    ),
    boolean(
        "aof-timestamp-enabled",
        false,
        Field(|c| &c.aof_timestamp_enabled),
    ),
    boolean("cluster-replica-no-failover", false, Kept)
        .alias("cluster-slave-no-failover")
        .no_effect(CLUSTER),
    boolean("replica-lazy-flush", false, Kept)
        .alias("slave-lazy-flush")
        .no_effect(REPLICATION),
    boolean(
        "replica-serve-stale-data",
        true,
        Field(|c| &c.replica_serve_stale_data),
    )
    .alias("slave-serve-stale-data"),
    boolean("replica-read-only", true, Field(|c| &c.replica_read_only)).alias("slave-read-only"),
    boolean("replica-ignore-maxmemory", true, Kept)
        .alias("slave-ignore-maxmemory")
        .no_effect(REPLICATION),
    boolean("jemalloc-bg-thread", true, Kept).no_effect(ALLOCATOR),
    boolean("activedefrag", false, Kept)
        .check_bool(check_activedefrag)
        .no_effect(ALLOCATOR),
    boolean("syslog-enabled", false, Kept)
        .immutable()
        .no_effect(SYSLOG),
    boolean("cluster-enabled", false, Kept)
        .immutable()
        .no_effect(CLUSTER),
    boolean("appendonly", false, Field(|c| &c.appendonly)).flags(Flags::DENY_LOADING),
    boolean("cluster-allow-reads-when-down", false, Kept).no_effect(CLUSTER),
    boolean("cluster-allow-pubsubshard-when-down", true, Kept).no_effect(CLUSTER),
    boolean("crash-log-enabled", true, Kept)
        .no_effect("a panic prints Rust's report; there is no crash handler to turn off"),
    boolean("crash-memcheck-enabled", true, Kept)
        .no_effect("a panic prints Rust's report; there is no memory test to run"),
    boolean("use-exit-on-panic", false, Kept)
        .flags(Flags::HIDDEN)
        .no_effect(DEBUG_HOOK),
    boolean("disable-thp", true, Kept)
        .immutable()
        .no_effect("thredis leaves transparent huge pages as the system sets them"),
    boolean("cluster-allow-replica-migration", true, Kept).no_effect(CLUSTER),
    boolean("replica-announced", true, Field(|c| &c.replica_announced)),
    boolean("latency-tracking", true, Field(|c| &c.latency_tracking)),
    boolean("aof-disable-auto-gc", false, Kept)
        .no_effect("files a rewrite replaced are always deleted at once"),
    boolean("replica-ignore-disk-write-errors", false, Kept).no_effect(REPLICATION),
    // ------------------------------------------------------------ strings
    text("aclfile", "", Field(|c| &c.aclfile)).immutable(),
    text("unixsocket", "", Field(|c| &c.unixsocket))
        .immutable()
        .empty_is_none(),
    text("pidfile", "", Field(|c| &c.pidfile))
        .immutable()
        .empty_is_none(),
    text("replica-announce-ip", "", Field(|c| &c.replica_announce_ip))
        .alias("slave-announce-ip")
        .empty_is_none(),
    text("masteruser", "", Field(|c| &c.masteruser))
        .flags(Flags::SENSITIVE)
        .empty_is_none(),
    text("cluster-announce-ip", "", Kept)
        .empty_is_none()
        .no_effect(CLUSTER),
    text("cluster-config-file", "nodes.conf", Kept)
        .immutable()
        .no_effect(CLUSTER),
    text("cluster-announce-hostname", "", Kept)
        .empty_is_none()
        .check_text(check_hostname)
        .no_effect(CLUSTER),
    text("syslog-ident", "redis", Kept)
        .immutable()
        .no_effect(SYSLOG),
    text("dbfilename", "dump.rdb", Field(|c| &c.dbfilename))
        .flags(Flags::PROTECTED)
        .check_text(check_dbfilename),
    text(
        "appendfilename",
        "appendonly.aof",
        Field(|c| &c.appendfilename),
    )
    .immutable()
    .check_text(check_appendfilename),
    text(
        "appenddirname",
        "appendonlydir",
        Field(|c| &c.appenddirname),
    )
    .immutable()
    .check_text(check_appenddirname),
    text("server_cpulist", "", Kept)
        .immutable()
        .empty_is_none()
        .no_effect(CPU),
    text("bio_cpulist", "", Kept)
        .immutable()
        .empty_is_none()
        .no_effect(CPU),
    text("aof_rewrite_cpulist", "", Kept)
        .immutable()
        .empty_is_none()
        .no_effect(CPU),
    text("bgsave_cpulist", "", Kept)
        .immutable()
        .empty_is_none()
        .no_effect(CPU),
    text("ignore-warnings", "", Kept)
        .no_effect("thredis runs none of Redis's kernel checks, so has no warning to silence"),
    text(
        "proc-title-template",
        "{title} {listen-addr} {server-mode}",
        Kept,
    )
    .check_text(check_proc_title)
    .no_effect(PROC_TITLE),
    text("bind-source-addr", "", Kept)
        .empty_is_none()
        .no_effect(REPLICATION),
    text("logfile", "", Field(|c| &c.logfile)).immutable(),
    // Redis keeps these two as sds strings; they behave as the strings above.
    text("masterauth", "", Field(|c| &c.masterauth))
        .flags(Flags::SENSITIVE)
        .empty_is_none(),
    text("requirepass", "", Field(|c| &c.requirepass))
        .flags(Flags::SENSITIVE)
        .empty_is_none(),
    // ------------------------------------------------------------ enumerations
    choice("supervised", SUPERVISED, 0, Field(|c| &c.supervised)).immutable(),
    choice("syslog-facility", SYSLOG_FACILITIES, 128, Kept)
        .immutable()
        .no_effect(SYSLOG),
    choice("repl-diskless-load", DISKLESS_LOAD, 0, Kept)
        .flags(Flags::DENY_LOADING)
        .no_effect(REPLICATION),
    choice("loglevel", LOGLEVELS, 2, Field(|c| &c.loglevel)),
    choice(
        "maxmemory-policy",
        MAXMEMORY_POLICIES,
        NOEVICTION,
        Field(|c| &c.maxmemory_policy),
    ),
    choice("appendfsync", APPENDFSYNC, 0, Field(|c| &c.appendfsync)),
    choice(
        "oom-score-adj",
        OOM_SCORE_ADJ,
        0,
        Field(|c| &c.oom_score_adj),
    ),
    choice(
        "acl-pubsub-default",
        ACL_PUBSUB_DEFAULT,
        0,
        Field(|c| &c.acl_pubsub_default),
    ),
    choice(
        "sanitize-dump-payload",
        SANITIZE_DUMP_PAYLOAD,
        0,
        Field(|c| &c.sanitize_dump_payload),
    ),
    choice(
        "enable-protected-configs",
        PROTECTED_ACTION,
        0,
        Field(|c| &c.enable_protected_configs),
    )
    .immutable(),
    choice(
        "enable-debug-command",
        PROTECTED_ACTION,
        0,
        Field(|c| &c.enable_debug_command),
    )
    .immutable(),
    choice("enable-module-command", PROTECTED_ACTION, 0, Kept)
        .immutable()
        .no_effect(MODULES),
    choice("cluster-preferred-endpoint-type", ENDPOINT_TYPES, 0, Kept).no_effect(CLUSTER),
    choice("propagation-error-behavior", PROPAGATION_ERROR, 0, Kept).no_effect(REPLICATION),
    choice(
        "shutdown-on-sigint",
        SHUTDOWN_FLAGS,
        0,
        Field(|c| &c.shutdown_on_sigint),
    )
    .bitflags()
    .check_number(check_shutdown_flags),
    choice(
        "shutdown-on-sigterm",
        SHUTDOWN_FLAGS,
        0,
        Field(|c| &c.shutdown_on_sigterm),
    )
    .bitflags()
    .check_number(check_shutdown_flags),
    // ------------------------------------------------------------ numbers
    number("databases", 16, 1, INT_MAX, Field(|c| &c.databases)).immutable(),
    number("port", 6379, 0, 65535, Field(|c| &c.port)),
    number("io-threads", 1, 1, 128, Kept)
        .immutable()
        .no_effect(THREADS),
    number(
        "auto-aof-rewrite-percentage",
        100,
        0,
        INT_MAX,
        Field(|c| &c.auto_aof_rewrite_percentage),
    ),
    number("cluster-replica-validity-factor", 10, 0, INT_MAX, Kept)
        .alias("cluster-slave-validity-factor")
        .no_effect(CLUSTER),
    number("list-max-listpack-size", -2, INT_MIN, INT_MAX, Kept)
        .alias("list-max-ziplist-size")
        .no_effect(LISTS),
    number("tcp-keepalive", 300, 0, INT_MAX, Kept)
        .no_effect("client sockets keep the system's keepalive settings"),
    number("cluster-migration-barrier", 1, 0, INT_MAX, Kept).no_effect(CLUSTER),
    number("active-defrag-cycle-min", 1, 1, 99, Kept).no_effect(ALLOCATOR),
    number("active-defrag-cycle-max", 25, 1, 99, Kept).no_effect(ALLOCATOR),
    number("active-defrag-threshold-lower", 10, 0, 1000, Kept).no_effect(ALLOCATOR),
    number("active-defrag-threshold-upper", 100, 0, 1000, Kept).no_effect(ALLOCATOR),
    number(
        "lfu-log-factor",
        10,
        0,
        INT_MAX,
        Field(|c| &c.lfu_log_factor),
    ),
    number(
        "lfu-decay-time",
        1,
        0,
        INT_MAX,
        Field(|c| &c.lfu_decay_time),
    ),
    number(
        "replica-priority",
        100,
        0,
        INT_MAX,
        Field(|c| &c.replica_priority),
    )
    .alias("slave-priority"),
    number(
        "repl-diskless-sync-delay",
        5,
        0,
        INT_MAX,
        Field(|c| &c.repl_diskless_sync_delay),
    ),
    number(
        "maxmemory-samples",
        5,
        1,
        INT_MAX,
        Field(|c| &c.maxmemory_samples),
    ),
    number(
        "maxmemory-eviction-tenacity",
        10,
        0,
        100,
        Field(|c| &c.maxmemory_eviction_tenacity),
    ),
    number("timeout", 0, 0, INT_MAX, Field(|c| &c.timeout)),
    number(
        "replica-announce-port",
        0,
        0,
        65535,
        Field(|c| &c.replica_announce_port),
    )
    .alias("slave-announce-port"),
    number("tcp-backlog", 511, 0, INT_MAX, Field(|c| &c.tcp_backlog)).immutable(),
    number("cluster-port", 0, 0, 65535, Kept)
        .immutable()
        .no_effect(CLUSTER),
    number("cluster-announce-bus-port", 0, 0, 65535, Kept).no_effect(CLUSTER),
    number("cluster-announce-port", 0, 0, 65535, Kept).no_effect(CLUSTER),
    number("cluster-announce-tls-port", 0, 0, 65535, Kept).no_effect(CLUSTER),
    number("repl-timeout", 60, 1, INT_MAX, Field(|c| &c.repl_timeout)),
    number(
        "repl-ping-replica-period",
        10,
        1,
        INT_MAX,
        Field(|c| &c.repl_ping_replica_period),
    )
    .alias("repl-ping-slave-period"),
    number("list-compress-depth", 0, 0, INT_MAX, Kept).no_effect(LISTS),
    number(
        "rdb-key-save-delay",
        0,
        INT_MIN,
        INT_MAX,
        Field(|c| &c.rdb_key_save_delay),
    )
    .flags(Flags::HIDDEN),
    number("key-load-delay", 0, INT_MIN, INT_MAX, Kept)
        .flags(Flags::HIDDEN)
        .no_effect("the data is loaded before the first client connects"),
    number("active-expire-effort", 1, 1, 10, Kept).no_effect("the sweep samples at a fixed effort"),
    special("hz", &special::HZ),
    number(
        "min-replicas-to-write",
        0,
        0,
        INT_MAX,
        Field(|c| &c.min_replicas_to_write),
    )
    .alias("min-slaves-to-write"),
    number(
        "min-replicas-max-lag",
        10,
        0,
        INT_MAX,
        Field(|c| &c.min_replicas_max_lag),
    )
    .alias("min-slaves-max-lag"),
    number("watchdog-period", 0, 0, INT_MAX, Kept)
        .flags(Flags::HIDDEN)
        .no_effect(DEBUG_HOOK),
    number(
        "shutdown-timeout",
        10,
        0,
        INT_MAX,
        Field(|c| &c.shutdown_timeout),
    ),
    number(
        "repl-diskless-sync-max-replicas",
        0,
        0,
        INT_MAX,
        Field(|c| &c.repl_diskless_sync_max_replicas),
    ),
    number("maxclients", 10_000, 1, UINT_MAX, Field(|c| &c.maxclients)).unsigned(),
    number("unixsocketperm", 0, 0, 0o777, Field(|c| &c.unixsocketperm))
        .immutable()
        .unit(Unit::Octal)
        .unsigned(),
    number("socket-mark-id", 0, 0, UINT_MAX, Kept)
        .immutable()
        .unsigned()
        .no_effect("thredis does not mark its sockets"),
    number("active-defrag-max-scan-fields", 1000, 1, LONG_MAX, Kept).no_effect(ALLOCATOR),
    number(
        "slowlog-max-len",
        128,
        0,
        LONG_MAX,
        Field(|c| &c.slowlog_max_len),
    ),
    number(
        "acllog-max-len",
        128,
        0,
        LONG_MAX,
        Field(|c| &c.acllog_max_len),
    ),
    number(
        "busy-reply-threshold",
        5000,
        0,
        LONG_MAX,
        Field(|c| &c.busy_reply_threshold),
    )
    .alias("lua-time-limit"),
    number("cluster-node-timeout", 15000, 0, LONG_MAX, Kept).no_effect(CLUSTER),
    number(
        "slowlog-log-slower-than",
        10000,
        -1,
        LONG_MAX,
        Field(|c| &c.slowlog_log_slower_than),
    ),
    number(
        "latency-monitor-threshold",
        0,
        0,
        LONG_MAX,
        Field(|c| &c.latency_monitor_threshold),
    ),
    number(
        "proto-max-bulk-len",
        512 << 20,
        1 << 20,
        LONG_MAX,
        Field(|c| &c.proto_max_bulk_len),
    )
    .unit(Unit::Bytes),
    number(
        "stream-node-max-entries",
        100,
        0,
        LONG_MAX,
        Field(|c| &c.stream_node_max_entries),
    )
    .unsigned(),
    number(
        "repl-backlog-size",
        1 << 20,
        1,
        LONG_MAX,
        Field(|c| &c.repl_backlog_size),
    )
    .unit(Unit::Bytes),
    number("maxmemory", 0, 0, ULLONG_MAX, Field(|c| &c.maxmemory))
        .unit(Unit::Bytes)
        .unsigned(),
    number("cluster-link-sendbuf-limit", 0, 0, ULLONG_MAX, Kept)
        .unit(Unit::Bytes)
        .unsigned()
        .no_effect(CLUSTER),
    number(
        "hash-max-listpack-entries",
        512,
        0,
        LONG_MAX,
        Field(|c| &c.hash_max_listpack_entries),
    )
    .alias("hash-max-ziplist-entries")
    .unsigned(),
    number(
        "set-max-intset-entries",
        512,
        0,
        LONG_MAX,
        Field(|c| &c.set_max_intset_entries),
    )
    .unsigned(),
    number(
        "zset-max-listpack-entries",
        128,
        0,
        LONG_MAX,
        Field(|c| &c.zset_max_listpack_entries),
    )
    .alias("zset-max-ziplist-entries")
    .unsigned(),
    number("active-defrag-ignore-bytes", 100 << 20, 1, LONG_MAX, Kept)
        .unit(Unit::Bytes)
        .unsigned()
        .no_effect(ALLOCATOR),
    number(
        "hash-max-listpack-value",
        64,
        0,
        LONG_MAX,
        Field(|c| &c.hash_max_listpack_value),
    )
    .alias("hash-max-ziplist-value")
    .unit(Unit::Bytes)
    .unsigned(),
    number(
        "stream-node-max-bytes",
        4096,
        0,
        LONG_MAX,
        Field(|c| &c.stream_node_max_bytes),
    )
    .unit(Unit::Bytes)
    .unsigned(),
    number(
        "zset-max-listpack-value",
        64,
        0,
        LONG_MAX,
        Field(|c| &c.zset_max_listpack_value),
    )
    .alias("zset-max-ziplist-value")
    .unit(Unit::Bytes)
    .unsigned(),
    number(
        "hll-sparse-max-bytes",
        3000,
        0,
        LONG_MAX,
        Field(|c| &c.hll_sparse_max_bytes),
    )
    .unit(Unit::Bytes)
    .unsigned(),
    number(
        "tracking-table-max-keys",
        1_000_000,
        0,
        LONG_MAX,
        Field(|c| &c.tracking_table_max_keys),
    )
    .unsigned(),
    number(
        "client-query-buffer-limit",
        1 << 30,
        1 << 20,
        LONG_MAX,
        Field(|c| &c.client_query_buffer_limit),
    )
    .unit(Unit::Bytes)
    .unsigned(),
    number(
        "maxmemory-clients",
        0,
        -100,
        LONG_MAX,
        Field(|c| &c.maxmemory_clients),
    )
    .unit(Unit::BytesOrPercent),
    number(
        "repl-backlog-ttl",
        3600,
        0,
        LONG_MAX,
        Field(|c| &c.repl_backlog_ttl),
    ),
    number(
        "auto-aof-rewrite-min-size",
        64 << 20,
        0,
        LONG_MAX,
        Field(|c| &c.auto_aof_rewrite_min_size),
    )
    .unit(Unit::Bytes),
    number(
        "loading-process-events-interval-bytes",
        2 << 20,
        1024,
        INT_MAX,
        Kept,
    )
    .flags(Flags::HIDDEN)
    .no_effect("the data is loaded before the first client connects"),
    // ------------------------------------------------------------ TLS (Redis built with it)
    number("tls-port", 0, 0, 65535, Kept)
        .check_number(refuse_tls_port)
        .no_effect(TLS),
    number("tls-session-cache-size", 20 * 1024, 0, INT_MAX, Kept).no_effect(TLS),
    number("tls-session-cache-timeout", 300, 0, INT_MAX, Kept).no_effect(TLS),
    boolean("tls-cluster", false, Kept).no_effect(TLS),
    boolean("tls-replication", false, Kept).no_effect(TLS),
    choice("tls-auth-clients", TLS_AUTH_CLIENTS, 1, Kept).no_effect(TLS),
    boolean("tls-prefer-server-ciphers", false, Kept).no_effect(TLS),
    boolean("tls-session-caching", true, Kept).no_effect(TLS),
    text("tls-cert-file", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-key-file", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-key-file-pass", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-client-cert-file", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-client-key-file", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-client-key-file-pass", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-dh-params-file", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-ca-cert-file", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-ca-cert-dir", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-protocols", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    text("tls-ciphers", "", Kept).empty_is_none().no_effect(TLS),
    text("tls-ciphersuites", "", Kept)
        .empty_is_none()
        .no_effect(TLS),
    // ------------------------------------------------------------ rules of their own
    special("dir", &special::DIR).flags(Flags::PROTECTED.union(Flags::DENY_LOADING)),
    special("save", &special::SAVE).flags(Flags::MULTI_ARG),
    special("client-output-buffer-limit", &special::OUTPUT_BUFFER_LIMIT).flags(Flags::MULTI_ARG),
    special("oom-score-adj-values", &special::OOM_SCORE_ADJ_VALUES).flags(Flags::MULTI_ARG),
    special("notify-keyspace-events", &special::NOTIFY_KEYSPACE_EVENTS),
    special("bind", &special::BIND).flags(Flags::MULTI_ARG),
    special("replicaof", &special::REPLICAOF)
        .alias("slaveof")
        .immutable()
        .flags(Flags::MULTI_ARG),
    special(
        "latency-tracking-info-percentiles",
        &special::LATENCY_PERCENTILES,
    )
    .flags(Flags::MULTI_ARG),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn names_and_aliases_are_unique_and_lowercase() {
        let mut names: Vec<&str> = PARAMS
            .iter()
            .flat_map(|p| std::iter::once(p.name).chain(p.alias))
            .collect();
        for name in &names {
            assert_eq!(*name, name.to_ascii_lowercase());
        }
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "a name appears twice");
    }

    /// `CONFIG GET *` on redis-server 7.0.15 (Debian's, built with TLS) lists 192 names: the
    /// primary names and aliases of every parameter that is not hidden.
    #[test]
    fn the_table_lists_what_redis_lists() {
        let listed = PARAMS
            .iter()
            .filter(|p| !p.is(Flags::HIDDEN))
            .map(|p| 1 + usize::from(p.alias.is_some()))
            .sum::<usize>();
        assert_eq!(listed, 192);
    }

    #[test]
    fn a_parameter_kept_only_by_the_table_says_why_it_has_no_effect() {
        for p in PARAMS {
            let kept = match &p.kind {
                Kind::Bool { store, .. } => matches!(store, Kept),
                Kind::Number { store, .. } | Kind::Enum { store, .. } => matches!(store, Kept),
                Kind::Text { store, .. } => matches!(store, Kept),
                Kind::Special(_) => continue,
            };
            assert_eq!(kept, p.no_effect.is_some(), "{}", p.name);
        }
    }

    #[test]
    fn every_parameter_takes_back_its_own_value() {
        let config = Config::default();
        // `dir` would move the test process; `replicaof ""` is not a value (it is immutable, and
        // a file says `replicaof no one`).
        for p in PARAMS
            .iter()
            .filter(|p| p.name != "dir" && p.name != "replicaof")
        {
            let value = p.get(&config);
            p.set_from_text(&config, &value)
                .unwrap_or_else(|e| panic!("{} = {value:?}: {e}", p.name));
            assert_eq!(p.get(&config), value, "{}", p.name);
        }
    }

    #[test]
    fn the_readme_names_every_parameter() {
        let readme = include_str!("../../README.md");
        for p in PARAMS {
            assert!(
                readme.contains(&format!("`{}`", p.name)),
                "README's configuration table lacks `{}`",
                p.name
            );
        }
    }

    #[test]
    fn values_are_validated_as_redis_does() {
        let config = Config::default();
        let set = |name: &str, value: &str| find(name).unwrap().set_from_text(&config, value);
        for (name, value, error) in [
            (
                "maxclients",
                "0",
                "argument must be between 1 and 4294967295 inclusive",
            ),
            (
                "maxclients",
                "-1",
                "argument must be between 1 and 4294967295 inclusive",
            ),
            (
                "timeout",
                "x",
                "argument couldn't be parsed into an integer",
            ),
            ("protected-mode", "maybe", "argument must be 'yes' or 'no'"),
            (
                "appendfsync",
                "sometimes",
                "argument(s) must be one of the following: everysec, always, no",
            ),
            (
                "proto-max-bulk-len",
                "1k",
                "argument must be between 1048576 and 9223372036854775807 inclusive",
            ),
            ("maxmemory", "-1", "argument must be a memory value"),
            (
                "maxmemory-clients",
                "200%",
                "percentage argument must be less or equal to 100",
            ),
            (
                "dbfilename",
                "a/b",
                "dbfilename can't be a path, just a filename",
            ),
            ("appendfilename", "", "appendfilename can't be empty"),
            (
                "proc-title-template",
                "{nosuch}",
                "template format is invalid or contains unknown variables",
            ),
            (
                "shutdown-on-sigint",
                "save nosave",
                "shutdown options SAVE and NOSAVE can't be used simultaneously",
            ),
        ] {
            assert_eq!(set(name, value).unwrap_err(), error, "{name} {value}");
        }
    }

    #[test]
    fn numbers_print_as_redis_prints_them() {
        let config = Config::default();
        let set_get = |name: &str, value: &str| {
            let p = find(name).unwrap();
            p.set_from_text(&config, value).unwrap();
            p.get(&config)
        };
        assert_eq!(set_get("maxmemory", "1gb"), "1073741824");
        assert_eq!(set_get("maxmemory-clients", "10%"), "10%");
        assert_eq!(set_get("maxmemory-clients", "1mb"), "1048576");
        assert_eq!(set_get("unixsocketperm", "755"), "755");
        assert_eq!(set_get("oom-score-adj", "relative"), "yes");
        assert_eq!(set_get("shutdown-on-sigterm", "now nosave"), "nosave now");
        assert_eq!(set_get("hz", "1000"), "500");
    }
}
