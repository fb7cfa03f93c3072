//! The parameters with rules of their own, each as Redis 7.0's config.c reads, prints and
//! rewrites it: `save` (pairs, `""` for none), `bind` (up to 16 addresses),
//! `client-output-buffer-limit` (per client class), `oom-score-adj-values`,
//! `notify-keyspace-events` (letters), `replicaof` (host and port, or `no one`),
//! `latency-tracking-info-percentiles`, `dir` (the working directory itself) and `hz` (clamped
//! to 1–500 once set, as Redis's `updateHZ` does).

use std::sync::atomic::Ordering;

use super::param::{Rewrite, Special, format_memory, parse_memory};
use super::{CLIENT_CLASSES, Config, DEFAULT_OUTPUT_LIMITS, OutputLimit, read, write};
use crate::keyspace::EventClass;
use crate::notify;
use crate::protocol::split::repr;

/// A value that must be exactly one word.
fn one(words: &[String]) -> Result<&str, String> {
    match words {
        [word] => Ok(word),
        _ => Err("wrong number of arguments".into()),
    }
}

/// C's `strtoll(word, &end, 10)` where the whole word must be read: blanks and a sign may lead,
/// and an empty word reads as 0 (nothing is left over), as the C code lets it.
fn c_integer(word: &str) -> Option<i64> {
    let trimmed = word.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if word.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // strtoll saturates on overflow; the bounds checked afterwards refuse such values anyway.
    let n = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -n } else { n })
}

// ---------------------------------------------------------------- hz

pub static HZ: Special = Special {
    set: |config, words| {
        let n = crate::number::parse_i64(one(words)?.as_bytes())
            .ok_or("argument couldn't be parsed into an integer")?;
        if !(0..=i64::from(i32::MAX)).contains(&n) {
            return Err(format!(
                "argument must be between 0 and {} inclusive",
                i32::MAX
            ));
        }
        // "Hz is more a hint from the user": out-of-range values are taken, then capped.
        config.hz.store(n.clamp(1, 500), Ordering::Relaxed);
        Ok(())
    },
    get: |config| config.hz.load(Ordering::Relaxed).to_string(),
    rewrite: |config, name| {
        let hz = config.hz.load(Ordering::Relaxed);
        Rewrite::line(format!("{name} {hz}"), hz != 10)
    },
};

// ---------------------------------------------------------------- dir

/// Redis changes its working directory, so relative file names (the RDB, the AOF directory, a
/// later `include`) are found there. thredis does the same.
pub static DIR: Special = Special {
    set: |_, words| {
        std::env::set_current_dir(one(words)?).map_err(|e| crate::sys::os_error_text(&e))
    },
    get: |config| config.dir(),
    rewrite: |config, name| {
        Rewrite::line(format!("{name} {}", repr(config.dir().as_bytes())), true)
    },
};

// ---------------------------------------------------------------- save

/// Reads `save` points: pairs of seconds (at least 1) and changes (at least 0); `""` alone
/// means none.
fn parse_save(words: &[String]) -> Result<Vec<(i64, i64)>, String> {
    let words: &[String] = match words {
        [only] if only.is_empty() => &[],
        words => words,
    };
    let invalid = || "Invalid save parameters".to_string();
    if words.len() % 2 != 0 {
        return Err(invalid());
    }
    words
        .chunks(2)
        .map(|pair| {
            let seconds = c_integer(&pair[0])
                .filter(|s| *s >= 1)
                .ok_or_else(invalid)?;
            let changes = c_integer(&pair[1])
                .filter(|c| *c >= 0)
                .ok_or_else(invalid)?;
            Ok((seconds, changes))
        })
        .collect()
}

pub static SAVE: Special = Special {
    set: |config, words| parse_save(words).map(|points| write(&config.save, points)),
    get: |config| {
        read(&config.save)
            .iter()
            .map(|(seconds, changes)| format!("{seconds} {changes}"))
            .collect::<Vec<_>>()
            .join(" ")
    },
    rewrite: |config, name| {
        let points = read(&config.save);
        if points.is_empty() {
            // Written even so: with no line at all, the defaults would apply again.
            return Rewrite::line(format!("{name} \"\""), true);
        }
        Rewrite {
            lines: points
                .iter()
                .map(|(seconds, changes)| (format!("{name} {seconds} {changes}"), true))
                .collect(),
        }
    },
};

/// A later `save` line of a configuration file: its points add to those of the lines before
/// (the first one replaces the built-in default; see `file.rs`).
pub fn append_save(config: &Config, words: &[String]) -> Result<(), String> {
    let more = parse_save(words)?;
    let mut points = read(&config.save);
    if more.is_empty() {
        points.clear();
    }
    points.extend(more);
    write(&config.save, points);
    Ok(())
}

// ---------------------------------------------------------------- bind

/// Redis's `CONFIG_BINDADDR_MAX`.
const MAX_BIND_ADDRESSES: usize = 16;

/// Redis's built-in default: every IPv4 and (optionally) every IPv6 address.
pub const DEFAULT_BIND: [&str; 2] = ["*", "-::*"];

pub static BIND: Special = Special {
    set: |config, words| {
        if words.len() > MAX_BIND_ADDRESSES {
            return Err("Too many bind addresses specified.".into());
        }
        let addresses = match words {
            [only] if only.is_empty() => Vec::new(),
            words => words.to_vec(),
        };
        write(&config.bind, addresses);
        Ok(())
    },
    get: |config| read(&config.bind).join(" "),
    rewrite: |config, name| {
        let addresses = read(&config.bind);
        if addresses == DEFAULT_BIND {
            return Rewrite::nothing();
        }
        let list = if addresses.is_empty() {
            "\"\"".to_string()
        } else {
            addresses.join(" ")
        };
        Rewrite::line(format!("{name} {list}"), true)
    },
};

// ---------------------------------------------------------------- client-output-buffer-limit

/// `<class> <hard> <soft> <soft-seconds>`, repeated: all accepted or none changed, as Redis's
/// `updateClientOutputBufferLimit`. Only the classes named change.
fn set_output_limits(config: &Config, words: &[String]) -> Result<(), String> {
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
            hard: size(&group[1])?,
            soft: size(&group[2])?,
            soft_seconds: c_integer(&group[3]).filter(|s| *s >= 0).ok_or(invalid)? as u64,
        };
    }
    write(&config.client_output_buffer_limit, limits);
    Ok(())
}

pub static OUTPUT_BUFFER_LIMIT: Special = Special {
    set: set_output_limits,
    get: |config| {
        let limits = read(&config.client_output_buffer_limit);
        CLIENT_CLASSES
            .iter()
            .zip(limits)
            .map(|(class, l)| format!("{class} {} {} {}", l.hard, l.soft, l.soft_seconds))
            .collect::<Vec<_>>()
            .join(" ")
    },
    rewrite: |config, name| {
        let limits = read(&config.client_output_buffer_limit);
        let lines = CLIENT_CLASSES
            .iter()
            .zip(limits.iter().zip(DEFAULT_OUTPUT_LIMITS))
            .map(|(class, (limit, default))| {
                let class = if *class == "slave" { "replica" } else { class };
                let line = format!(
                    "{name} {class} {} {} {}",
                    format_memory(limit.hard as i64),
                    format_memory(limit.soft as i64),
                    limit.soft_seconds
                );
                (line, *limit != default)
            })
            .collect();
        Rewrite { lines }
    },
};

// ---------------------------------------------------------------- oom-score-adj-values

pub const DEFAULT_OOM_SCORE_ADJ_VALUES: [i64; 3] = [0, 200, 800];

pub static OOM_SCORE_ADJ_VALUES: Special = Special {
    set: |config, words| {
        if words.len() != 3 {
            return Err("wrong number of arguments".into());
        }
        let mut values = [0; 3];
        for (value, word) in values.iter_mut().zip(words) {
            *value = c_integer(word)
                .filter(|v| (-2000..=2000).contains(v))
                .ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?;
        }
        write(&config.oom_score_adj_values, values);
        Ok(())
    },
    get: |config| {
        read(&config.oom_score_adj_values)
            .map(|v| v.to_string())
            .join(" ")
    },
    rewrite: |config, name| {
        let values = read(&config.oom_score_adj_values);
        let line = format!("{name} {}", values.map(|v| v.to_string()).join(" "));
        Rewrite::line(line, values != DEFAULT_OOM_SCORE_ADJ_VALUES)
    },
};

// ---------------------------------------------------------------- notify-keyspace-events

pub static NOTIFY_KEYSPACE_EVENTS: Special = Special {
    set: |config, words| {
        let classes = notify::parse_classes(one(words)?)
            .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
        config
            .notify_keyspace_events
            .store(classes.0, Ordering::Relaxed);
        Ok(())
    },
    get: |config| {
        notify::format_classes(EventClass(
            config.notify_keyspace_events.load(Ordering::Relaxed),
        ))
    },
    rewrite: |config, name| {
        let classes = config.notify_keyspace_events.load(Ordering::Relaxed);
        let letters = notify::format_classes(EventClass(classes));
        Rewrite::line(format!("{name} {}", repr(letters.as_bytes())), classes != 0)
    },
};

// ---------------------------------------------------------------- replicaof

pub static REPLICAOF: Special = Special {
    set: |config, words| {
        let [host, port] = words else {
            return Err("wrong number of arguments".into());
        };
        if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
            write(&config.replicaof, None);
            return Ok(());
        }
        let port = c_integer(port)
            .filter(|p| (0..=65535).contains(p))
            .ok_or("Invalid master port")?;
        write(&config.replicaof, Some((host.clone(), port as u16)));
        Ok(())
    },
    get: |config| {
        read(&config.replicaof)
            .map(|(host, port)| format!("{host} {port}"))
            .unwrap_or_default()
    },
    rewrite: |config, name| match read(&config.replicaof) {
        Some((host, port)) => Rewrite::line(format!("{name} {host} {port}"), true),
        None => Rewrite::nothing(),
    },
};

// ---------------------------------------------------------------- latency-tracking-info-percentiles

pub const DEFAULT_PERCENTILES: [f64; 3] = [50.0, 99.0, 99.9];

/// `%f`, then trailing zeros (and a trailing point) removed, as Redis's `trimDoubleString`.
fn format_percentile(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub static LATENCY_PERCENTILES: Special = Special {
    set: |config, words| {
        let words: &[String] = match words {
            [only] if only.is_empty() => &[],
            words => words,
        };
        let mut percentiles = Vec::with_capacity(words.len());
        for word in words {
            let p = crate::number::parse_f64(word.as_bytes())
                .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
            if !(0.0..=100.0).contains(&p) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                );
            }
            percentiles.push(p);
        }
        write(&config.latency_percentiles, percentiles);
        Ok(())
    },
    get: |config| {
        read(&config.latency_percentiles)
            .iter()
            .map(|p| format_percentile(*p))
            .collect::<Vec<_>>()
            .join(" ")
    },
    rewrite: |config, name| {
        let percentiles = read(&config.latency_percentiles);
        let list = if percentiles.is_empty() {
            "\"\"".to_string()
        } else {
            percentiles
                .iter()
                .map(|p| format_percentile(*p))
                .collect::<Vec<_>>()
                .join(" ")
        };
        Rewrite::line(format!("{name} {list}"), true)
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn save_points_are_checked_as_redis_checks_them() {
        assert_eq!(parse_save(&words(&[""])), Ok(vec![]));
        assert_eq!(
            parse_save(&words(&["3600", "1", "300", "100"])),
            Ok(vec![(3600, 1), (300, 100)])
        );
        for bad in [&["100"][..], &["0", "1"], &["10", "-1"], &["x", "1"]] {
            assert_eq!(
                parse_save(&words(bad)).unwrap_err(),
                "Invalid save parameters"
            );
        }
    }

    #[test]
    fn output_buffer_limits_read_and_print_as_redis_does() {
        let config = Config::default();
        assert_eq!(
            (OUTPUT_BUFFER_LIMIT.get)(&config),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        (OUTPUT_BUFFER_LIMIT.set)(
            &config,
            &words(&["PUBSUB", "1mb", "512kb", "10", "replica", "1k", "1k", "1"]),
        )
        .unwrap();
        assert_eq!(
            (OUTPUT_BUFFER_LIMIT.get)(&config),
            "normal 0 0 0 slave 1000 1000 1 pubsub 1048576 524288 10"
        );
        for (value, error) in [
            (&["pubsub", "1mb", "1mb"][..], "Wrong number"),
            (&["master", "1", "1", "1"], "Invalid client class"),
            (&["pubsub", "1x", "1", "1"], "Error in hard"),
            (&["normal", "1", "1", "-1"], "Error in hard"),
        ] {
            assert!(
                (OUTPUT_BUFFER_LIMIT.set)(&config, &words(value))
                    .unwrap_err()
                    .starts_with(error)
            );
        }
        assert_eq!(
            config.pubsub_output_limit().hard,
            1 << 20,
            "refusals change nothing"
        );
        let rewrite = (OUTPUT_BUFFER_LIMIT.rewrite)(&config, "client-output-buffer-limit");
        assert_eq!(
            rewrite.lines,
            vec![
                ("client-output-buffer-limit normal 0 0 0".to_string(), false),
                (
                    "client-output-buffer-limit replica 1000 1000 1".to_string(),
                    true
                ),
                (
                    "client-output-buffer-limit pubsub 1mb 512kb 10".to_string(),
                    true
                ),
            ]
        );
    }

    #[test]
    fn percentiles_print_without_trailing_zeros() {
        let config = Config::default();
        assert_eq!((LATENCY_PERCENTILES.get)(&config), "50 99 99.9");
        assert!((LATENCY_PERCENTILES.set)(&config, &words(&["101"])).is_err());
        (LATENCY_PERCENTILES.set)(&config, &words(&[""])).unwrap();
        assert_eq!((LATENCY_PERCENTILES.get)(&config), "");
    }

    #[test]
    fn replicaof_takes_a_port_or_no_one() {
        let config = Config::default();
        assert_eq!(
            (REPLICAOF.set)(&config, &words(&["127.0.0.1", "abc"])).unwrap_err(),
            "Invalid master port"
        );
        (REPLICAOF.set)(&config, &words(&["localhost", "6380"])).unwrap();
        assert_eq!((REPLICAOF.get)(&config), "localhost 6380");
        (REPLICAOF.set)(&config, &words(&["NO", "one"])).unwrap();
        assert_eq!((REPLICAOF.get)(&config), "");
    }
}
