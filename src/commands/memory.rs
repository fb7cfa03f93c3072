//! `MEMORY`: where the server's memory goes (Redis's `memoryCommand` in object.c). USAGE
//! estimates one key; STATS breaks used memory down, as Redis's `getMemoryOverheadData` does;
//! DOCTOR turns those figures into Redis's advice (`getMemoryDoctorReport`); MALLOC-STATS and
//! PURGE belong to the allocator, and thredis uses the system one, so they answer as a Redis
//! built with libc malloc does.
//!
//! The figures are what thredis measures (`memory.rs`): used memory is the process's resident
//! size, so it stands for Redis's `used_memory`, for its allocator's figures and for its RSS at
//! once, and the fragmentation ratios read 1. What thredis does not have or does not count
//! (a replication backlog, replicas, client buffers, cluster links, Lua, functions) weighs 0,
//! as on an idle Redis.

use super::{Args, CommandError, CommandResult, Ctx, is_option, parse_int, reply_help};
use crate::keyspace::{Bytes, Databases, Entry};
use crate::memory;
use crate::protocol::Reply;
use crate::server::Server;

/// `MEMORY USAGE key [SAMPLES count]`: an estimate of the bytes the key and its value occupy
/// (see `Value::memory_usage`), or null. Every element is counted, so SAMPLES changes nothing.
pub fn usage(ctx: &mut Ctx, args: &Args, databases: &Databases) -> CommandResult {
    let mut i = 3;
    while i < args.len() {
        if is_option(args.arg(i), "samples") && i + 1 < args.len() {
            if parse_int(args.arg(i + 1))? < 0 {
                return Err(CommandError::Syntax);
            }
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let key = args.arg(2);
    match ctx.inspect_key(ctx.db(databases), key) {
        Some(entry) => {
            let key_size = size_of::<Bytes>() + Bytes::new(key).heap_size();
            ctx.reply
                .integer((key_size + entry.value().memory_usage()) as i64);
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `MEMORY STATS`: Redis's 27 figures, plus one map per database that holds keys, in Redis
/// 7.0.15's order (integers, and doubles for the ratios and percentages).
pub fn stats(ctx: &mut Ctx, _: &Args, databases: &Databases) -> CommandResult {
    let stats = Overhead::measure(ctx.server, databases).stats();
    ctx.reply.map(stats.len());
    for (name, stat) in &stats {
        ctx.reply.bulk(name.as_bytes());
        match stat {
            Stat::Integer(n) => ctx.reply.integer(*n),
            Stat::Double(x) => ctx.reply.double(*x),
            Stat::Db(db) => {
                ctx.reply.map(3);
                integer(&mut ctx.reply, "overhead.hashtable.main", db.main);
                integer(&mut ctx.reply, "overhead.hashtable.expires", db.expires);
                integer(&mut ctx.reply, "overhead.hashtable.slot-to-keys", 0);
            }
        }
    }
    Ok(())
}

fn integer(reply: &mut Reply, name: &str, value: u64) {
    reply.bulk(name.as_bytes());
    reply.integer(value as i64);
}

/// `MEMORY DOCTOR`: Redis's report on the figures of MEMORY STATS, as free text (a verbatim
/// string in RESP3, a bulk string in RESP2).
pub fn doctor(ctx: &mut Ctx, _: &Args, databases: &Databases) -> CommandResult {
    let overhead = Overhead::measure(ctx.server, databases);
    let report = doctor_report(&overhead, ctx.server.clients.count());
    ctx.reply.verbatim(report.as_bytes());
    Ok(())
}

/// `MEMORY MALLOC-STATS`: only jemalloc has statistics to print; Redis built with libc malloc
/// answers this, as a bulk string in both protocols.
pub fn malloc_stats(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.reply
        .bulk(b"Stats not supported for the current allocator");
    Ok(())
}

/// `MEMORY PURGE`: asks jemalloc to return dirty pages in Redis. The system allocator has no
/// such call (glibc trims on its own when it frees), so there is nothing to do, and Redis built
/// with libc malloc replies OK as well.
pub fn purge(ctx: &mut Ctx, _: &Args) -> CommandResult {
    ctx.reply.ok();
    Ok(())
}

pub fn help(ctx: &mut Ctx, _: &Args) -> CommandResult {
    reply_help(
        &mut ctx.reply,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

/// INFO memory's `used_memory_overhead` and `used_memory_dataset`, as MEMORY STATS counts them.
pub fn overhead_and_dataset(server: &Server, databases: &Databases) -> (u64, u64) {
    let overhead = Overhead::measure(server, databases);
    (overhead.total(), overhead.dataset())
}

/// What memory is used for, as Redis's `redisMemOverhead`: what STATS reports and DOCTOR reads.
#[derive(Debug, Clone, Default)]
struct Overhead {
    /// Used memory (Redis's `zmalloc_used`), as INFO's `used_memory` (see `crate::memory`).
    used: u64,
    /// The highest used memory since the process started (INFO's `used_memory_peak`).
    peak: u64,
    /// Used memory before any data was loaded (Redis's `initial_memory_usage`).
    startup: u64,
    /// The process's resident size: Redis's fragmentation figures compare it with `used`.
    rss: u64,
    /// Memory of client buffers (Redis's `clients_normal`): thredis does not count it, so 0.
    clients_normal: u64,
    /// Journal bytes appended but not yet written, while the AOF is on (Redis's `aof_buf`).
    aof_buffer: u64,
    /// Keys across databases.
    keys: u64,
    /// The databases that hold keys, in order.
    dbs: Vec<DbOverhead>,
}

/// What one database's hash tables cost beyond the keys and values themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct DbOverhead {
    index: usize,
    /// The key map's slots: a key handle and an entry per key (Redis: a `dictEntry`, a bucket
    /// pointer and a `robj` per key).
    main: u64,
    /// The expiry map's slots: a key handle and a time per key with a TTL.
    expires: u64,
}

/// One value of MEMORY STATS.
#[derive(Debug, Clone, PartialEq)]
enum Stat {
    Integer(i64),
    Double(f64),
    Db(DbOverhead),
}

/// `MEMORY DOCTOR` says nothing below this much used memory (Redis: 5 MB).
const TOO_EMPTY_TO_TELL: u64 = 5 << 20;

/// Fragmentation and overhead only count past this many bytes (Redis: 10 MB).
const SIGNIFICANT_BYTES: i64 = 10 << 20;

/// Client buffers are "big" past this much per client on average (Redis: 200 KB).
const BIG_CLIENT_BUFFERS: u64 = 200 << 10;

const EMPTY_REPORT: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const NO_ISSUE_REPORT: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const ISSUES_HEADER: &str =
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const ISSUES_FOOTER: &str = "I'm here to keep you safe, Sam. I want to help you.\n";
const BIG_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
// Redis names its allocator here: "libc", as INFO's `mem_allocator` says.
const HIGH_TOTAL_RSS: &str = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n";
const HIGH_ALLOCATOR_FRAGMENTATION: &str = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const HIGH_ALLOCATOR_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const HIGH_PROCESS_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const BIG_CLIENT_BUFFERS_REPORT: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";

impl Overhead {
    /// Measures now. The kernel's peak can trail the resident size just read; Redis raises its
    /// peak to the used memory it reports, and so does this.
    fn measure(server: &Server, databases: &Databases) -> Overhead {
        let used = server.memory.used();
        let mut overhead = Overhead {
            used,
            peak: server.memory.peak(),
            startup: server.memory.startup(),
            rss: memory::resident_bytes(),
            aof_buffer: memory::not_counted_for_eviction(server),
            ..Overhead::default()
        };
        for (index, db) in databases.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            overhead.keys += db.len() as u64;
            overhead.dbs.push(DbOverhead {
                index,
                main: (db.len() * (size_of::<Bytes>() + size_of::<Entry>())) as u64,
                expires: (db.volatile_len() * (size_of::<Bytes>() + size_of::<i64>())) as u64,
            });
        }
        overhead
    }

    /// Everything but the data: the empty server, buffers and the databases' hash tables.
    fn total(&self) -> u64 {
        let tables: u64 = self.dbs.iter().map(|db| db.main + db.expires).sum();
        self.startup + self.clients_normal + self.aof_buffer + tables
    }

    /// What the keys and values take: the rest of used memory.
    fn dataset(&self) -> u64 {
        self.used.saturating_sub(self.total())
    }

    /// Used memory beyond what the empty server took (at least 1, as Redis divides by it).
    fn net_usage(&self) -> u64 {
        self.used.saturating_sub(self.startup).max(1)
    }

    /// The allocator's figures (allocated, active, resident) as Redis makes them up for an
    /// allocator that keeps none (libc malloc, in `cronUpdateMemoryStats`): resident is the
    /// process's RSS, active is resident, allocated is used memory.
    fn allocator(&self) -> (u64, u64, u64) {
        (self.used, self.rss, self.rss)
    }

    /// The figures of MEMORY STATS, named and in order.
    fn stats(&self) -> Vec<(String, Stat)> {
        let (allocated, active, resident) = self.allocator();
        let int = |name: &str, n: u64| (name.to_string(), Stat::Integer(n as i64));
        let diff =
            |name: &str, a: u64, b: u64| (name.to_string(), Stat::Integer(a as i64 - b as i64));
        let double = |name: &str, x: f64| (name.to_string(), Stat::Double(x));
        let mut stats = vec![
            int("peak.allocated", self.peak),
            int("total.allocated", self.used),
            int("startup.allocated", self.startup),
            int("replication.backlog", 0),
            int("clients.slaves", 0),
            int("clients.normal", self.clients_normal),
            int("cluster.links", 0),
            int("aof.buffer", self.aof_buffer),
            int("lua.caches", 0),
            int("functions.caches", 0),
        ];
        for db in &self.dbs {
            stats.push((format!("db.{}", db.index), Stat::Db(*db)));
        }
        let per_key = self.net_usage().checked_div(self.keys).unwrap_or(0);
        stats.extend([
            int("overhead.total", self.total()),
            int("keys.count", self.keys),
            int("keys.bytes-per-key", per_key),
            int("dataset.bytes", self.dataset()),
            double(
                "dataset.percentage",
                percent(self.dataset(), self.net_usage()),
            ),
            double("peak.percentage", percent(self.used, self.peak)),
            int("allocator.allocated", allocated),
            int("allocator.active", active),
            int("allocator.resident", resident),
            double("allocator-fragmentation.ratio", ratio(active, allocated)),
            diff("allocator-fragmentation.bytes", active, allocated),
            double("allocator-rss.ratio", ratio(resident, active)),
            diff("allocator-rss.bytes", resident, active),
            double("rss-overhead.ratio", ratio(self.rss, resident)),
            diff("rss-overhead.bytes", self.rss, resident),
            // The total RSS overhead, fragmentation included (Redis keeps the name for
            // compatibility).
            double("fragmentation", ratio(self.rss, self.used)),
            diff("fragmentation.bytes", self.rss, self.used),
        ]);
        stats
    }
}

/// `a / b` as Redis computes its ratios: in single precision (`redisMemOverhead` holds
/// `float`s), so they read as Redis's do (`1.0818451642990112`). 0 when `b` is unknown (0).
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        return 0.0;
    }
    f64::from(a as f32 / b as f32)
}

/// `part * 100 / whole`, in single precision as [`ratio`].
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    f64::from(part as f32 * 100.0 / whole as f32)
}

/// Redis's `getMemoryDoctorReport` on `overhead`, with `clients` connected: below 5 MB it
/// declines to judge; otherwise it lists the issues it finds, or says there are none. The
/// checks on replica buffers and cached scripts are left out: thredis has neither.
fn doctor_report(overhead: &Overhead, clients: usize) -> String {
    if overhead.used < TOO_EMPTY_TO_TELL {
        return EMPTY_REPORT.to_string();
    }
    let (allocated, active, resident) = overhead.allocator();
    let (used, rss) = (overhead.used, overhead.rss);
    // Redis's test for each: a ratio above its limit and, but for the peak, enough bytes.
    let high =
        |a: u64, b: u64, limit: f64| ratio(a, b) > limit && a as i64 - b as i64 > SIGNIFICANT_BYTES;
    let checks = [
        (ratio(overhead.peak, used) > 1.5, BIG_PEAK),
        (high(rss, used, 1.4), HIGH_TOTAL_RSS),
        (high(active, allocated, 1.1), HIGH_ALLOCATOR_FRAGMENTATION),
        (high(resident, active, 1.1), HIGH_ALLOCATOR_RSS),
        (high(rss, resident, 1.1), HIGH_PROCESS_RSS),
        (
            overhead.clients_normal / clients.max(1) as u64 > BIG_CLIENT_BUFFERS,
            BIG_CLIENT_BUFFERS_REPORT,
        ),
    ];
    let found: Vec<&str> = checks
        .iter()
        .filter(|(found, _)| *found)
        .map(|(_, text)| *text)
        .collect();
    if found.is_empty() {
        return NO_ISSUE_REPORT.to_string();
    }
    format!("{ISSUES_HEADER}{}{ISSUES_FOOTER}", found.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    /// A server using `used` bytes, of which 1 MB at startup, with no peak above it.
    fn using(used: u64) -> Overhead {
        Overhead {
            used,
            peak: used,
            startup: MB,
            rss: used,
            ..Overhead::default()
        }
    }

    #[test]
    fn the_doctor_declines_below_five_megabytes_whatever_it_sees() {
        let overhead = Overhead {
            peak: 100 * MB,
            ..using(5 * MB - 1)
        };
        assert_eq!(doctor_report(&overhead, 1), EMPTY_REPORT);
    }

    #[test]
    fn the_doctor_finds_nothing_wrong_with_a_steady_server() {
        assert_eq!(doctor_report(&using(5 * MB), 1), NO_ISSUE_REPORT);
        assert_eq!(doctor_report(&using(500 * MB), 0), NO_ISSUE_REPORT);
    }

    #[test]
    fn a_peak_past_150_percent_gets_the_peak_paragraph() {
        let at_limit = Overhead {
            peak: 15 * MB,
            ..using(10 * MB)
        };
        assert_eq!(doctor_report(&at_limit, 1), NO_ISSUE_REPORT);
        let past = Overhead {
            peak: 15 * MB + 1024,
            ..using(10 * MB)
        };
        assert_eq!(
            doctor_report(&past, 1),
            format!("{ISSUES_HEADER}{BIG_PEAK}{ISSUES_FOOTER}")
        );
    }

    #[test]
    fn fragmentation_counts_only_past_its_ratio_and_ten_megabytes() {
        // An RSS well above used memory: total RSS and allocator fragmentation (allocated is
        // used memory, active the RSS), in Redis's order.
        let fragmented = Overhead {
            rss: 31 * MB,
            ..using(20 * MB)
        };
        assert_eq!(
            doctor_report(&fragmented, 1),
            format!("{ISSUES_HEADER}{HIGH_TOTAL_RSS}{HIGH_ALLOCATOR_FRAGMENTATION}{ISSUES_FOOTER}")
        );
        // A high ratio over few bytes is no issue.
        let small = Overhead {
            rss: 9 * MB,
            ..using(6 * MB)
        };
        assert_eq!(doctor_report(&small, 1), NO_ISSUE_REPORT);
    }

    #[test]
    fn big_client_buffers_are_judged_per_client() {
        let buffers = Overhead {
            clients_normal: 2 * (200 << 10) + 2,
            ..using(10 * MB)
        };
        assert_eq!(
            doctor_report(&buffers, 2),
            format!("{ISSUES_HEADER}{BIG_CLIENT_BUFFERS_REPORT}{ISSUES_FOOTER}")
        );
        assert_eq!(doctor_report(&buffers, 3), NO_ISSUE_REPORT);
    }

    #[test]
    fn stats_are_named_in_redis_order_with_each_database_after_the_caches() {
        let overhead = Overhead {
            keys: 3,
            dbs: vec![
                DbOverhead {
                    index: 0,
                    main: 100,
                    expires: 0,
                },
                DbOverhead {
                    index: 3,
                    main: 50,
                    expires: 20,
                },
            ],
            ..using(10 * MB)
        };
        let names: Vec<String> = overhead.stats().into_iter().map(|(name, _)| name).collect();
        let expected = [
            "peak.allocated",
            "total.allocated",
            "startup.allocated",
            "replication.backlog",
            "clients.slaves",
            "clients.normal",
            "cluster.links",
            "aof.buffer",
            "lua.caches",
            "functions.caches",
            "db.0",
            "db.3",
            "overhead.total",
            "keys.count",
            "keys.bytes-per-key",
            "dataset.bytes",
            "dataset.percentage",
            "peak.percentage",
            "allocator.allocated",
            "allocator.active",
            "allocator.resident",
            "allocator-fragmentation.ratio",
            "allocator-fragmentation.bytes",
            "allocator-rss.ratio",
            "allocator-rss.bytes",
            "rss-overhead.ratio",
            "rss-overhead.bytes",
            "fragmentation",
            "fragmentation.bytes",
        ];
        assert_eq!(names, expected);
    }

    #[test]
    fn stats_split_used_memory_into_overhead_and_dataset() {
        let overhead = Overhead {
            keys: 4,
            dbs: vec![DbOverhead {
                index: 0,
                main: 1000,
                expires: 24,
            }],
            ..using(9 * MB)
        };
        let stats = overhead.stats();
        let get = |name: &str| {
            stats
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, stat)| stat.clone())
                .unwrap()
        };
        let total = (MB + 1024) as i64;
        assert_eq!(get("overhead.total"), Stat::Integer(total));
        assert_eq!(get("dataset.bytes"), Stat::Integer(9 * MB as i64 - total));
        assert_eq!(get("keys.bytes-per-key"), Stat::Integer(2 * MB as i64));
        assert_eq!(get("peak.percentage"), Stat::Double(100.0));
        assert_eq!(get("fragmentation"), Stat::Double(1.0));
        assert_eq!(get("fragmentation.bytes"), Stat::Integer(0));
        // (8 MB - 1024) * 100 / 8 MB, in single precision as Redis has it.
        assert_eq!(get("dataset.percentage"), Stat::Double(99.98779296875));
    }

    #[test]
    fn an_unknown_size_gives_zero_ratios_rather_than_nan() {
        assert_eq!(ratio(5, 0), 0.0);
        assert_eq!(percent(5, 0), 0.0);
        assert_eq!(doctor_report(&Overhead::default(), 0), EMPTY_REPORT);
    }
}
