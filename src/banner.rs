//! What thredis says about itself, in the shapes Redis 7.0.15 uses for the same things (its
//! `version()`, `usage()`, the first lines of `main()` and `redisAsciiArt`): the `--version`
//! line, the `--help` text, the startup lines and the logo. Where Redis names itself in free
//! text, thredis names itself; the parts tools and Redis's test harness read (`v=`, ` PID: `,
//! `Port: `, `Running mode=`) keep Redis's shape.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;

use crate::config::{self, Config};
use crate::{REDIS_VERSION, VERSION, log};

/// Redis prints its git commit and whether the tree was modified; thredis is not built from
/// Redis's tree, so it reports what a Redis built outside git does.
const COMMIT: &str = "00000000";

/// The pointer width Redis calls `bits`.
const BITS: u32 = usize::BITS;

/// `thredis --version`, in the shape of Redis's `Redis server v=7.0.15 sha=... malloc=... bits=64
/// build=...`: tools read the fields by name or position, and `v=` is the Redis version whose
/// behaviour clients can count on, as `INFO` reports it. `malloc=libc`: Rust's allocator is the
/// C library's. Redis's `build=` is a hash identifying the binary; here it names thredis's own
/// version, the one thing that tells two thredis builds apart.
pub fn version_line() -> String {
    format!(
        "thredis server v={REDIS_VERSION} sha={COMMIT}:0 malloc=libc bits={BITS} build=thredis-{VERSION}"
    )
}

/// `thredis --help`, as Redis's `usage()` (printed on stderr, exit status 1). Redis's
/// `--test-memory`, `--check-system` and Sentinel lines are left out: thredis has none of them.
pub fn usage() -> String {
    [
        "Usage: ./thredis [/path/to/redis.conf] [options] [-]",
        "       ./thredis - (read config from stdin)",
        "       ./thredis -v or --version",
        "       ./thredis -h or --help",
        "",
        "Examples:",
        "       ./thredis (run the server with default conf)",
        "       echo 'maxmemory 128mb' | ./thredis -",
        "       ./thredis /etc/redis/6379.conf",
        "       ./thredis --port 7777",
        "       ./thredis --port 7777 --replicaof 127.0.0.1 8888",
        "       ./thredis /etc/myredis.conf --loglevel verbose -",
        "       ./thredis /etc/myredis.conf --loglevel verbose",
    ]
    .join("\n")
}

/// The first lines of the log, once the configuration is read (and the process is in the
/// background, if it goes there). `program` is how thredis was invoked; `without_arguments`
/// says it got none at all, when Redis warns that the defaults are in use.
pub fn log_starting(program: &str, without_arguments: bool) {
    log!(Warning, "oO0OoO0OoO0Oo thredis is starting oO0OoO0OoO0Oo");
    log!(
        Warning,
        "thredis version={VERSION}, bits={BITS}, commit={COMMIT}, modified=0, pid={}, just started",
        std::process::id()
    );
    if without_arguments {
        log!(
            Warning,
            "Warning: no config file specified, using the default config. In order to specify a config file use {program} /path/to/redis.conf"
        );
    } else {
        log!(Warning, "Configuration loaded");
    }
}

/// The art of the logo, beside which [`logo`] writes its text lines (at the rows Redis's logo
/// has them): a spool of thread.
const ART: [&str; 17] = [
    r"         _____________________",
    r"        (_____________________)",
    r"          |:::::::::::::::::|",
    r"          |~~~~~~~~~~~~~~~~~|",
    r"          |:::::::::::::::::|",
    r"          |~~~~~~~~~~~~~~~~~|",
    r"          |:::::::::::::::::|",
    r"          |~~~~~~~~~~~~~~~~~|",
    r"          |:::::::::::::::::|",
    r"          |~~~~~~~~~~~~~~~~~|",
    r"          |:::::::::::::::::|",
    r"        (_____________________)",
    r"                  \",
    r"                   `-.",
    r"                      `-._     __",
    r"                          `---'  `--.",
    r"                                     `=====O",
];

/// The column the logo's text lines start at, as in Redis's.
const TEXT_COLUMN: usize = 40;

/// The logo, with the values of this run, ending with a blank line as Redis's does.
fn logo(port: u16, pid: u32) -> String {
    let text = |row: usize| match row {
        2 => format!("Redis {REDIS_VERSION} ({COMMIT}/0) {BITS} bit"),
        4 => "Running in standalone mode".to_string(),
        5 => format!("Port: {port}"),
        6 => format!("PID: {pid}"),
        9 => format!("thredis {VERSION}"),
        _ => String::new(),
    };
    let mut out = String::new();
    for (row, art) in ART.iter().enumerate() {
        let line = format!("{art:<TEXT_COLUMN$}{}", text(row));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Redis's `redisAsciiArt`: the logo when the log goes to a terminal or `always-show-logo` is
/// on, otherwise one line naming the mode and port.
pub fn log_logo(config: &Config, port: u16) {
    let to_terminal = config::read(&config.logfile).is_empty() && std::io::stdout().is_terminal();
    if to_terminal || config.always_show_logo.load(Ordering::Relaxed) {
        log::write_raw(log::Level::Notice, &logo(port, std::process::id()));
    } else {
        log!(Notice, "Running mode=standalone, port={port}.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logo_carries_the_lines_the_redis_test_harness_reads() {
        let logo = logo(6379, 4242);
        assert_eq!(logo.lines().count(), 18, "{logo}");
        assert!(logo.ends_with("\n\n"), "{logo}");
        let text_of = |row: usize| logo.lines().nth(row).expect("a row")[TEXT_COLUMN..].to_string();
        assert_eq!(text_of(2), "Redis 7.0.15 (00000000/0) 64 bit");
        assert_eq!(text_of(4), "Running in standalone mode");
        assert_eq!(text_of(5), "Port: 6379");
        assert_eq!(text_of(6), "PID: 4242");
        // The harness's regexp is " PID: <pid>": the art must leave a space before it.
        assert!(logo.contains(" PID: 4242\n"), "{logo}");
    }

    #[test]
    fn the_art_leaves_the_text_column_free() {
        for art in ART.iter().take(10) {
            assert!(art.len() < TEXT_COLUMN, "{art:?}");
        }
    }

    #[test]
    fn the_version_line_has_redis_fields_in_redis_order() {
        let line = version_line();
        let names: Vec<&str> = line
            .split(' ')
            .skip(2)
            .filter_map(|field| field.split_once('=').map(|(name, _)| name))
            .collect();
        assert_eq!(names, ["v", "sha", "malloc", "bits", "build"]);
        assert!(line.contains(" v=7.0.15 "), "{line}");
    }
}
