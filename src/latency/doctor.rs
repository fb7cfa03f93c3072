//! `LATENCY DOCTOR`: the report Redis's `createLatencyReport` writes, word for word: a line of
//! statistics per event, then the advice the events call for, in Redis's order. Which events
//! call for which advice is the table [`ADVICE_FOR`]. (Redis also advises on transparent huge
//! pages when its process uses them; thredis leaves THP alone and never gives that advice.)

use super::Series;
use crate::config::Config;

/// The advice Redis can give, in the order it prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Advice {
    EnableSlowlog,
    TuneSlowlog,
    InspectSlowlog,
    Scheduler,
    LocalDisk,
    Ssd,
    DataWriteback,
    DiskContention,
    NoAppendfsync,
    RelaxFsyncPolicy,
    WriteLoadInfo,
    Hz,
    LargeObjects,
    MassEviction,
}

use Advice::*;

/// The advice each event calls for (beyond `command`'s slow log advice, which depends on the
/// configuration).
const ADVICE_FOR: &[(&str, &[Advice])] = &[
    ("command", &[InspectSlowlog, LargeObjects]),
    ("fast-command", &[Scheduler]),
    (
        "aof-write-pending-fsync",
        &[LocalDisk, DiskContention, Ssd, DataWriteback],
    ),
    (
        "aof-write-active-child",
        &[NoAppendfsync, DataWriteback, Ssd],
    ),
    ("aof-write-alone", &[LocalDisk, DataWriteback, Ssd]),
    ("aof-fsync-always", &[RelaxFsyncPolicy]),
    ("aof-fstat", &[DiskContention, LocalDisk]),
    ("rdb-unlink-temp-file", &[DiskContention, LocalDisk]),
    (
        "aof-rewrite-diff-write",
        &[WriteLoadInfo, DataWriteback, Ssd, LocalDisk],
    ),
    (
        "aof-rename",
        &[WriteLoadInfo, DataWriteback, Ssd, LocalDisk],
    ),
    ("expire-cycle", &[Hz, LargeObjects]),
    ("eviction-del", &[LargeObjects]),
    ("eviction-cycle", &[MassEviction]),
];

pub fn report(events: &[(&str, Series)], config: &Config, now_s: i64) -> String {
    let threshold_ms = Config::get(&config.latency_monitor_threshold);
    if events.is_empty() && threshold_ms == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_string();
    }
    let mut report = String::new();
    let mut advices: Vec<Advice> = Vec::new();
    for (number, (event, series)) in events.iter().enumerate() {
        if number == 0 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        report.push_str(&event_line(number + 1, event, series, now_s));
        report.push('\n');
        if *event == "command" {
            let slowlog_us = Config::get(&config.slowlog_log_slower_than);
            if slowlog_us < 0 {
                advices.push(EnableSlowlog);
            } else if slowlog_us / 1000 > threshold_ms {
                advices.push(TuneSlowlog);
            }
        }
        if let Some((_, more)) = ADVICE_FOR.iter().find(|(name, _)| name == event) {
            advices.extend_from_slice(more);
        }
    }
    if advices.is_empty() {
        report.push_str(if events.is_empty() {
            "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
        } else {
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n"
        });
        return report;
    }
    advices.sort();
    advices.dedup();
    report.push_str("\nI have a few advices for you:\n\n");
    for advice in advices {
        if let Some(text) = advice_text(advice, config, threshold_ms) {
            report.push_str(&text);
        }
    }
    report
}

/// `N. event: S latency spikes (average A, mean deviation D, period P sec). Worst ...`, as
/// `analyzeLatencyForEvent` computes them (integer average and mean absolute deviation; the
/// period from the oldest sample to now, per sample).
fn event_line(number: usize, event: &str, series: &Series, now_s: i64) -> String {
    let latencies: Vec<u64> = series.samples().map(|s| s.latency_ms).collect();
    // An event has at least one sample: it is made by its first.
    let count = latencies.len().max(1) as u64;
    let average = latencies.iter().sum::<u64>() / count;
    let deviation = latencies.iter().map(|&l| l.abs_diff(average)).sum::<u64>() / count;
    let oldest = series.samples().map(|s| s.time).min().unwrap_or(now_s);
    let period = (now_s - oldest).max(1) as f64 / count as f64;
    let count = latencies.len();
    format!(
        "{number}. {event}: {count} latency spikes (average {average}ms, mean deviation {deviation}ms, period {period:.2} sec). Worst all time event {}ms.",
        series.max_ms
    )
}

/// The paragraph of one advice; `None` when the configuration makes it moot.
fn advice_text(advice: Advice, config: &Config, threshold_ms: i64) -> Option<String> {
    let text = match advice {
        EnableSlowlog => format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold_ms * 1000),
        TuneSlowlog => format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold_ms * 1000),
        InspectSlowlog => "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n".into(),
        Scheduler => "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n".into(),
        LocalDisk => "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n".into(),
        Ssd => "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n".into(),
        DataWriteback => "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n".into(),
        DiskContention => "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n".into(),
        NoAppendfsync => "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n".into(),
        RelaxFsyncPolicy if config.fsync() == crate::persistence::aof::Fsync::Always => "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n".into(),
        RelaxFsyncPolicy => return None,
        WriteLoadInfo => "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n".into(),
        Hz if Config::get(&config.hz) < 100 => "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n".into(),
        Hz => return None,
        LargeObjects => "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n".into(),
        MassEviction => "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n".into(),
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_spike_gets_its_line_and_the_slow_log_advice() {
        let config = Config::default();
        config
            .latency_monitor_threshold
            .store(100, std::sync::atomic::Ordering::Relaxed);
        let mut series = Series::default();
        series.add(100, 999);
        series.add(400, 1000);
        let report = report(&[("command", series)], &config, 1010);
        // What redis-server 7.0.15 wrote for the same two spikes, 11 and 10 seconds ago.
        assert_eq!(
            report,
            "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n\
             1. command: 2 latency spikes (average 250ms, mean deviation 150ms, period 5.50 sec). Worst all time event 400ms.\n\
             \nI have a few advices for you:\n\n\
             - Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n\
             - Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n"
        );
    }
}
