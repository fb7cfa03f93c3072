//! The parameters `CONFIG GET`/`CONFIG SET` and the configuration file know, one row each: name,
//! whether it may change at runtime, and how to read and write it. The validation rules and
//! messages are Redis 7.0's (config.c), so `CONFIG SET maxclients 0` fails the same way.
//!
//! Only parameters thredis honours are listed. Asking for any other gives Redis's error for an
//! unknown parameter, rather than pretending to accept it.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::{APPENDFSYNC, CLIENT_CLASSES, Config, DebugAccess, OutputLimit, read, write};
use crate::keyspace::EventClass;
use crate::{log, notify};

pub struct Param {
    pub name: &'static str,
    /// Another name for the same setting (`slaveof` for `replicaof`).
    pub alias: Option<&'static str>,
    pub mutable: bool,
    /// Takes several words in a configuration file (`save 3600 1 300 100`).
    pub multi_arg: bool,
    pub get: fn(&Config) -> String,
    /// Sets from the text `CONFIG SET` received (words of a multi-word line joined by spaces).
    /// The error is the part after `CONFIG SET failed (possibly related to argument '...') - `.
    pub set: fn(&Config, &str) -> Result<(), String>,
}

/// Finds a parameter by name or alias, ignoring case.
pub fn find(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

const fn param(
    name: &'static str,
    get: fn(&Config) -> String,
    set: fn(&Config, &str) -> Result<(), String>,
) -> Param {
    Param {
        name,
        alias: None,
        mutable: true,
        multi_arg: false,
        get,
        set,
    }
}

impl Param {
    const fn immutable(self) -> Param {
        Param {
            mutable: false,
            ..self
        }
    }

    const fn multi_arg(self) -> Param {
        Param {
            multi_arg: true,
            ..self
        }
    }

    const fn alias(self, alias: &'static str) -> Param {
        Param {
            alias: Some(alias),
            ..self
        }
    }
}

pub static PARAMS: &[Param] = &[
    param(
        "port",
        |c| int(&c.port),
        |c, v| set_int(&c.port, v, 0, 65535),
    )
    .immutable(),
    param("bind", |c| read(&c.bind).join(" "), set_bind)
        .immutable()
        .multi_arg(),
    param(
        "protected-mode",
        |c| yes_no(&c.protected_mode),
        |c, v| set_bool(&c.protected_mode, v),
    ),
    param(
        "databases",
        |c| int(&c.databases),
        |c, v| set_int(&c.databases, v, 1, i32::MAX as i64),
    )
    .immutable(),
    param(
        "maxclients",
        |c| int(&c.maxclients),
        |c, v| set_int(&c.maxclients, v, 1, u32::MAX as i64),
    ),
    param(
        "timeout",
        |c| int(&c.timeout),
        |c, v| set_int(&c.timeout, v, 0, i32::MAX as i64),
    ),
    param(
        "proto-max-bulk-len",
        |c| int(&c.proto_max_bulk_len),
        |c, v| set_memory(&c.proto_max_bulk_len, v, 1024 * 1024),
    ),
    param(
        "client-query-buffer-limit",
        |c| int(&c.client_query_buffer_limit),
        |c, v| set_memory(&c.client_query_buffer_limit, v, 1024 * 1024),
    ),
    param(
        "hz",
        |c| int(&c.hz),
        |c, v| set_int(&c.hz, v, 0, i32::MAX as i64),
    ),
    param("dir", |c| c.dir(), set_dir),
    param(
        "dbfilename",
        |c| read(&c.dbfilename),
        |c, v| {
            if v.contains('/') {
                return Err("dbfilename can't be a path, just a filename".into());
            }
            write(&c.dbfilename, v.to_string());
            Ok(())
        },
    ),
    param("save", format_save, |c, v| {
        parse_save(v).map(|points| write(&c.save, points))
    })
    .multi_arg(),
    // Turning the AOF on or off at runtime is done by the persistence module once the value is
    // stored (`persistence::apply_config`).
    param(
        "appendonly",
        |c| yes_no(&c.appendonly),
        |c, v| set_bool(&c.appendonly, v),
    ),
    param(
        "appendfsync",
        |c| APPENDFSYNC[c.appendfsync.load(Ordering::Relaxed) as usize].into(),
        |c, v| {
            let index = parse_enum(v, &APPENDFSYNC)?;
            c.appendfsync.store(index as u8, Ordering::Relaxed);
            Ok(())
        },
    ),
    param(
        "appenddirname",
        |c| read(&c.appenddirname),
        |c, v| {
            if v.contains('/') {
                return Err("appenddirname can't be a path, just a dirname".into());
            }
            write(&c.appenddirname, v.to_string());
            Ok(())
        },
    )
    .immutable(),
    param(
        "appendfilename",
        |c| read(&c.appendfilename),
        |c, v| {
            if v.contains('/') {
                return Err("appendfilename can't be a path, just a filename".into());
            }
            write(&c.appendfilename, v.to_string());
            Ok(())
        },
    )
    .immutable(),
    // ---- persistence: how RDB files and the AOF are written and read
    param(
        "rdbcompression",
        |c| yes_no(&c.rdbcompression),
        |c, v| set_bool(&c.rdbcompression, v),
    ),
    param(
        "rdbchecksum",
        |c| yes_no(&c.rdbchecksum),
        |c, v| set_bool(&c.rdbchecksum, v),
    )
    .immutable(),
    param(
        "stop-writes-on-bgsave-error",
        |c| yes_no(&c.stop_writes_on_bgsave_error),
        |c, v| set_bool(&c.stop_writes_on_bgsave_error, v),
    ),
    param(
        "rdb-save-incremental-fsync",
        |c| yes_no(&c.rdb_save_incremental_fsync),
        |c, v| set_bool(&c.rdb_save_incremental_fsync, v),
    ),
    param(
        "aof-use-rdb-preamble",
        |c| yes_no(&c.aof_use_rdb_preamble),
        |c, v| set_bool(&c.aof_use_rdb_preamble, v),
    ),
    param(
        "aof-load-truncated",
        |c| yes_no(&c.aof_load_truncated),
        |c, v| set_bool(&c.aof_load_truncated, v),
    ),
    param(
        "aof-rewrite-incremental-fsync",
        |c| yes_no(&c.aof_rewrite_incremental_fsync),
        |c, v| set_bool(&c.aof_rewrite_incremental_fsync, v),
    ),
    param(
        "no-appendfsync-on-rewrite",
        |c| yes_no(&c.no_appendfsync_on_rewrite),
        |c, v| set_bool(&c.no_appendfsync_on_rewrite, v),
    ),
    param(
        "auto-aof-rewrite-percentage",
        |c| int(&c.auto_aof_rewrite_percentage),
        |c, v| set_int(&c.auto_aof_rewrite_percentage, v, 0, i32::MAX as i64),
    ),
    param(
        "auto-aof-rewrite-min-size",
        |c| int(&c.auto_aof_rewrite_min_size),
        |c, v| set_memory(&c.auto_aof_rewrite_min_size, v, 0),
    ),
    param(
        "loglevel",
        |_| log::Level::NAMES[log::level() as usize].into(),
        |_, v| {
            let index = parse_enum(v, &log::Level::NAMES)?;
            log::set_level(
                [
                    log::Level::Debug,
                    log::Level::Verbose,
                    log::Level::Notice,
                    log::Level::Warning,
                ][index],
            );
            Ok(())
        },
    ),
    param(
        "logfile",
        |c| read(&c.logfile),
        |c, v| {
            log::set_file(v).map_err(|e| format!("Can't open the log file: {e}"))?;
            write(&c.logfile, v.to_string());
            Ok(())
        },
    )
    .immutable(),
    param(
        "enable-debug-command",
        |c| {
            match read(&c.enable_debug_command) {
                DebugAccess::No => "no",
                DebugAccess::Yes => "yes",
                DebugAccess::Local => "local",
            }
            .into()
        },
        |c, v| {
            let access = [DebugAccess::No, DebugAccess::Yes, DebugAccess::Local]
                [parse_enum(v, &["no", "yes", "local"])?];
            write(&c.enable_debug_command, access);
            Ok(())
        },
    )
    .immutable(),
    param(
        "replicaof",
        |c| {
            read(&c.replicaof)
                .map(|(host, port)| format!("{host} {port}"))
                .unwrap_or_default()
        },
        set_replicaof,
    )
    .alias("slaveof")
    .immutable()
    .multi_arg(),
    param(
        "min-replicas-to-write",
        |c| int(&c.min_replicas_to_write),
        |c, v| set_int(&c.min_replicas_to_write, v, 0, i32::MAX as i64),
    )
    .alias("min-slaves-to-write"),
    param(
        "min-replicas-max-lag",
        |c| int(&c.min_replicas_max_lag),
        |c, v| set_int(&c.min_replicas_max_lag, v, 0, i32::MAX as i64),
    )
    .alias("min-slaves-max-lag"),
    // ---------------------------------------------------------------- pub/sub
    param(
        "notify-keyspace-events",
        |c| notify::format_classes(EventClass(c.notify_keyspace_events.load(Ordering::Relaxed))),
        |c, v| {
            let classes = notify::parse_classes(v)
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            c.notify_keyspace_events.store(classes.0, Ordering::Relaxed);
            Ok(())
        },
    ),
    param(
        "client-output-buffer-limit",
        format_output_limits,
        set_output_limits,
    )
    .multi_arg(),
    // ---- memory: refusing commands that may grow the data past `maxmemory` (`crate::memory`)
    param(
        "maxmemory",
        |c| int(&c.maxmemory),
        |c, v| set_memory(&c.maxmemory, v, 0),
    ),
    // Only Redis's default policy: thredis evicts nothing, so the others are refused rather
    // than accepted and ignored.
    param(
        "maxmemory-policy",
        |_| "noeviction".into(),
        |_, v| parse_enum(v, &["noeviction"]).map(|_| ()),
    ),
    // ---- collection encodings (Redis 7.0's names first, the older ziplist names as aliases)
    param(
        "hash-max-listpack-entries",
        |c| int(&c.hash_max_listpack_entries),
        |c, v| set_int(&c.hash_max_listpack_entries, v, 0, i64::MAX),
    )
    .alias("hash-max-ziplist-entries"),
    param(
        "hash-max-listpack-value",
        |c| int(&c.hash_max_listpack_value),
        |c, v| set_memory(&c.hash_max_listpack_value, v, 0),
    )
    .alias("hash-max-ziplist-value"),
    param(
        "set-max-intset-entries",
        |c| int(&c.set_max_intset_entries),
        |c, v| set_int(&c.set_max_intset_entries, v, 0, i64::MAX),
    ),
    param(
        "list-max-listpack-size",
        |c| int(&c.list_max_listpack_size),
        |c, v| {
            set_int(
                &c.list_max_listpack_size,
                v,
                i32::MIN as i64,
                i32::MAX as i64,
            )
        },
    )
    .alias("list-max-ziplist-size"),
    param(
        "list-compress-depth",
        |c| int(&c.list_compress_depth),
        |c, v| set_int(&c.list_compress_depth, v, 0, i32::MAX as i64),
    ),
];

fn int(field: &AtomicI64) -> String {
    field.load(Ordering::Relaxed).to_string()
}

fn yes_no(field: &AtomicBool) -> String {
    if field.load(Ordering::Relaxed) {
        "yes"
    } else {
        "no"
    }
    .into()
}

fn set_int(field: &AtomicI64, value: &str, min: i64, max: i64) -> Result<(), String> {
    let n = crate::number::parse_i64(value.as_bytes())
        .ok_or("argument couldn't be parsed into an integer")?;
    store_bounded(field, n, min, max)
}

fn store_bounded(field: &AtomicI64, n: i64, min: i64, max: i64) -> Result<(), String> {
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    field.store(n, Ordering::Relaxed);
    Ok(())
}

/// A size with an optional unit, as Redis's `memtoull`: `b`, `k` (1000), `kb` (1024), `m`, `mb`,
/// `g`, `gb`, in any case.
fn set_memory(field: &AtomicI64, value: &str, min: i64) -> Result<(), String> {
    let n = parse_memory(value).ok_or("argument must be a memory value")?;
    store_bounded(field, n, min, i64::MAX)
}

pub fn parse_memory(value: &str) -> Option<i64> {
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(digits_end);
    let multiplier: i64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    n.checked_mul(multiplier)
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn set_bool(field: &AtomicBool, value: &str) -> Result<(), String> {
    field.store(parse_bool(value)?, Ordering::Relaxed);
    Ok(())
}

fn parse_enum(value: &str, names: &[&str]) -> Result<usize, String> {
    names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(value))
        .ok_or_else(|| {
            format!(
                "argument(s) must be one of the following: {}",
                names.join(", ")
            )
        })
}

fn set_bind(config: &Config, value: &str) -> Result<(), String> {
    let addresses: Vec<String> = value.split_ascii_whitespace().map(str::to_string).collect();
    if addresses.is_empty() {
        return Err("Too many bind addresses specified.".into());
    }
    write(&config.bind, addresses);
    Ok(())
}

/// `dir`: Redis changes its working directory, so relative file names (the RDB, the AOF
/// directory) are found there. thredis does the same.
fn set_dir(_: &Config, value: &str) -> Result<(), String> {
    std::env::set_current_dir(value).map_err(|e| crate::sys::os_error_text(&e))
}

/// `save "3600 1 300 100"`: pairs of (seconds, changes); `""` means never.
pub fn parse_save(value: &str) -> Result<Vec<(i64, i64)>, String> {
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    if words.len() % 2 != 0 {
        return Err("Invalid save parameters".into());
    }
    words
        .chunks(2)
        .map(|pair| {
            let seconds: i64 = pair[0].parse().map_err(|_| "Invalid save parameters")?;
            let changes: i64 = pair[1].parse().map_err(|_| "Invalid save parameters")?;
            if seconds < 1 || changes < 0 {
                return Err("Invalid save parameters".to_string());
            }
            Ok((seconds, changes))
        })
        .collect()
}

fn format_save(config: &Config) -> String {
    read(&config.save)
        .iter()
        .map(|(seconds, changes)| format!("{seconds} {changes}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn set_replicaof(config: &Config, value: &str) -> Result<(), String> {
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    match words.as_slice() {
        [] => {
            write(&config.replicaof, None);
            Ok(())
        }
        [no, one] if no.eq_ignore_ascii_case("no") && one.eq_ignore_ascii_case("one") => {
            write(&config.replicaof, None);
            Ok(())
        }
        [host, port] => {
            let port: u16 = port.parse().map_err(|_| "Invalid master port")?;
            write(&config.replicaof, Some((host.to_string(), port)));
            Ok(())
        }
        _ => Err("wrong number of arguments".into()),
    }
}

/// `normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60`
fn format_output_limits(config: &Config) -> String {
    let limits = read(&config.client_output_buffer_limit);
    CLIENT_CLASSES
        .iter()
        .zip(limits)
        .map(|(class, l)| format!("{class} {} {} {}", l.hard, l.soft, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `<class> <hard> <soft> <soft-seconds>`, repeated: all accepted or none changed, as Redis's
/// `updateClientOutputBufferLimit`. Only the classes named change.
fn set_output_limits(config: &Config, value: &str) -> Result<(), String> {
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    if words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = read(&config.client_output_buffer_limit);
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "replica" => 1,
            name => CLIENT_CLASSES
                .iter()
                .position(|class| *class == name)
                .ok_or("Invalid client class specified in buffer limit configuration.")?,
        };
        let invalid = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let size = |word: &str| parse_memory(word).map(|n| n as u64).ok_or(invalid);
        limits[class] = OutputLimit {
            hard: size(group[1])?,
            soft: size(group[2])?,
            soft_seconds: group[3].parse().map_err(|_| invalid)?,
        };
    }
    write(&config.client_output_buffer_limit, limits);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        for (i, p) in PARAMS.iter().enumerate() {
            assert_eq!(p.name, p.name.to_ascii_lowercase());
            assert!(
                PARAMS[i + 1..].iter().all(|q| q.name != p.name),
                "{} twice",
                p.name
            );
        }
    }

    #[test]
    fn every_parameter_accepts_its_own_value() {
        let config = Config::default();
        for p in PARAMS
            .iter()
            .filter(|p| p.name != "dir" && p.name != "logfile")
        {
            let value = (p.get)(&config);
            (p.set)(&config, &value).unwrap_or_else(|e| panic!("{} = {value:?}: {e}", p.name));
            assert_eq!((p.get)(&config), value);
        }
    }

    #[test]
    fn values_are_validated_as_redis_does() {
        let config = Config::default();
        let set = |name: &str, value: &str| (find(name).unwrap().set)(&config, value);
        assert_eq!(
            set("maxclients", "0").unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        assert_eq!(
            set("timeout", "x").unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set("protected-mode", "maybe").unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(
            set("appendfsync", "sometimes").unwrap_err(),
            "argument(s) must be one of the following: everysec, always, no"
        );
        assert_eq!(
            set("proto-max-bulk-len", "1k").unwrap_err(),
            "argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        assert_eq!(set("save", "100").unwrap_err(), "Invalid save parameters");
        assert_eq!(
            set("dbfilename", "a/b").unwrap_err(),
            "dbfilename can't be a path, just a filename"
        );
    }

    #[test]
    fn output_buffer_limits_read_and_print_as_redis_does() {
        let config = Config::default();
        let param = find("client-output-buffer-limit").unwrap();
        assert_eq!(
            (param.get)(&config),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        (param.set)(&config, "PUBSUB 1mb 512kb 10 replica 1k 1k 1").unwrap();
        assert_eq!(
            (param.get)(&config),
            "normal 0 0 0 slave 1000 1000 1 pubsub 1048576 524288 10"
        );
        for (value, error) in [
            ("pubsub 1mb 1mb", "Wrong number"),
            ("master 1 1 1", "Invalid client class"),
            ("pubsub 1x 1 1", "Error in hard"),
            ("normal 1 1 -1", "Error in hard"),
        ] {
            assert!((param.set)(&config, value).unwrap_err().starts_with(error));
        }
        assert_eq!(
            config.pubsub_output_limit().hard,
            1 << 20,
            "refusals change nothing"
        );
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("512mb"), Some(512 * 1024 * 1024));
        assert_eq!(parse_memory("1K"), Some(1000));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("1tb"), None);
        assert_eq!(parse_memory("-1"), None);
    }
}
