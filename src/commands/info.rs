//! `INFO [section ...]`: the server's state as `field:value` lines in `# Section`s, in Redis's
//! format, which monitoring tools and client libraries parse (ioredis refuses to connect when it
//! cannot read `loading:0`). The replication INFO stage (`role:master`) reads it too.
//!
//! Every field reports something true about thredis. Where thredis has no such thing (forks,
//! defragmentation, cluster), the field reads 0 as it does on an idle Redis. `used_memory` is the
//! counting allocator's figure, as Redis's is zmalloc's; `used_memory_rss` the resident size.

use std::fmt::Write as _;

use super::{Args, CommandResult, Ctx, all_commands};
use crate::keyspace::Databases;
use crate::server::Server;
use crate::stats::get;
use crate::{REDIS_VERSION, VERSION, clock, config, memory};

/// Every section, in the order Redis prints them. All but `commandstats` and `latencystats` are
/// in the default set.
const SECTIONS: [&str; 13] = [
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

fn default_sections<'a>() -> impl Iterator<Item = &'a str> {
    SECTIONS
        .into_iter()
        .filter(|&name| name != "commandstats" && name != "latencystats")
}

/// `INFO`, `INFO section ...`, `INFO all`, `INFO everything`.
pub fn info(ctx: &mut Ctx, args: &Args) -> CommandResult {
    let requested: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let mut sections: Vec<&str> = Vec::new();
    if requested.is_empty() {
        sections.extend(default_sections());
    }
    for name in &requested {
        match name.as_str() {
            "default" => sections.extend(default_sections()),
            "all" | "everything" => sections.extend(SECTIONS),
            other => sections.push(other),
        }
    }
    let text = render(ctx, &sections);
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// Builds the text of the requested sections, each once, in Redis's order. The sections that
/// read the data do it through `ctx.databases()`, which inside EXEC are the databases the
/// transaction holds.
pub fn render(ctx: &Ctx, sections: &[&str]) -> String {
    let server = ctx.server;
    let mut text = String::new();
    for &name in SECTIONS.iter().filter(|name| sections.contains(name)) {
        let body = match name {
            "server" => server_section(server),
            "clients" => clients_section(server),
            "memory" => memory_section(server, &ctx.databases()),
            "persistence" => persistence_section(&ctx.databases(), server),
            "stats" => stats_section(server, ctx.databases().expired_keys),
            "replication" => replication_section(server),
            "cpu" => cpu_section(),
            "module_list" => String::new(),
            "commandstats" => commandstats_section(server),
            "errorstats" => errorstats_section(server),
            "latencystats" => latencystats_section(server),
            "cluster" => "cluster_enabled:0\r\n".to_string(),
            _ => keyspace_section(&ctx.databases()),
        };
        let title = match name {
            "module_list" => "Modules".to_string(),
            "cpu" => "CPU".to_string(),
            other => capitalize(other),
        };
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        let _ = write!(text, "# {title}\r\n{body}");
    }
    text
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Appends `name:value\r\n` lines.
macro_rules! fields {
    ($($name:literal => $value:expr),* $(,)?) => {{
        let mut text = String::new();
        $( let _ = write!(text, concat!($name, ":{}\r\n"), $value); )*
        text
    }};
}

fn server_section(server: &Server) -> String {
    let uptime = server.started.elapsed().as_secs();
    let os = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|release| format!("Linux {}", release.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string());
    let mut text = fields! {
        "redis_version" => REDIS_VERSION,
        "thredis_version" => VERSION,
        "redis_git_sha1" => "00000000",
        "redis_git_dirty" => 0,
        "redis_build_id" => "0",
        "redis_mode" => "standalone",
        "os" => format!("{os} {}", std::env::consts::ARCH),
        "arch_bits" => 64,
        "monotonic_clock" => "POSIX clock_gettime",
        "multiplexing_api" => "thread-per-connection",
        "atomicvar_api" => "c11-builtin",
        "gcc_version" => "0.0.0",
        "process_id" => std::process::id(),
        "process_supervised" => "no",
        "run_id" => server.run_id,
        "tcp_port" => config::Config::get(&server.config.port),
        "server_time_usec" => clock::now_us(),
        "uptime_in_seconds" => uptime,
        "uptime_in_days" => uptime / 86_400,
        "hz" => server.config.hz(),
        "configured_hz" => server.config.hz(),
        "lru_clock" => (clock::now_ms() / 1000) & 0xFF_FFFF,
        "executable" => std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
        "config_file" => server.config.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        "io_threads_active" => 0,
    };
    // Shown only while a shutdown waits for replicas, as in Redis.
    if let Some(left_ms) = server.shutdown_wait.remaining_ms(clock::now_ms()) {
        let _ = write!(text, "shutdown_in_milliseconds:{left_ms}\r\n");
    }
    text
}

fn clients_section(server: &Server) -> String {
    fields! {
        // Replicas are not counted (Redis's `listLength(server.clients) - listLength(server.slaves)`).
        "connected_clients" => server.clients.count().saturating_sub(server.replication.replicas.count()),
        "cluster_connections" => 0,
        "maxclients" => server.config.maxclients(),
        "client_recent_max_input_buffer" => 0,
        "client_recent_max_output_buffer" => 0,
        "blocked_clients" => server.blocking.blocked_clients() + server.shutdown_wait.blocked_clients(),
        "tracking_clients" => server.tracking.counts().clients,
        "clients_in_timeout_table" => server.blocking.with_timeout(),
    }
}

/// `1.50M`, as Redis's `bytesToHuman`.
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes}B"),
        1024..1_048_576 => format!("{:.2}K", b / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.2}M", b / 1_048_576.0),
        _ => format!("{:.2}G", b / 1_073_741_824.0),
    }
}

/// Used memory is the allocator's count (see `crate::memory`), the RSS the kernel's.
fn memory_section(server: &Server, databases: &Databases) -> String {
    let (used, peak, startup) = (
        server.memory.used(),
        server.memory.peak(),
        server.memory.startup(),
    );
    let rss = memory::resident_bytes();
    let (overhead, dataset) = super::memory::overhead_and_dataset(server, databases);
    let not_counted = memory::not_counted_for_eviction(server);
    let maxmemory = config::Config::get(&server.config.maxmemory).max(0) as u64;
    let replication_buffers = server.replication.backlog.allocated();
    let backlog_size = crate::replication::backlog_size(server);
    let percent =
        |part: u64, whole: u64| format!("{:.2}%", part as f64 * 100.0 / whole.max(1) as f64);
    fields! {
        "used_memory" => used,
        "used_memory_human" => human(used),
        "used_memory_rss" => rss,
        "used_memory_rss_human" => human(rss),
        "used_memory_peak" => peak,
        "used_memory_peak_human" => human(peak),
        "used_memory_peak_perc" => percent(used, peak),
        "used_memory_overhead" => overhead,
        "used_memory_startup" => startup,
        "used_memory_dataset" => dataset,
        "used_memory_dataset_perc" => percent(dataset, used.saturating_sub(startup)),
        // Each connection thread has its own EVAL VM, not measured apart: an idle VM's size.
        "used_memory_lua" => crate::scripting::vm::IDLE_VM_BYTES,
        "used_memory_vm_eval" => crate::scripting::vm::IDLE_VM_BYTES,
        "used_memory_lua_human" => human(crate::scripting::vm::IDLE_VM_BYTES),
        "used_memory_scripts_eval" => server.scripting.cache.memory(),
        "number_of_cached_scripts" => server.scripting.cache.len(),
        "number_of_functions" => server.functions.counts().1,
        "number_of_libraries" => server.functions.counts().0,
        // Each connection thread has its own functions VM too.
        "used_memory_vm_functions" => crate::scripting::vm::IDLE_VM_BYTES,
        "used_memory_functions" => server.functions.memory(),
        "maxmemory" => maxmemory,
        "maxmemory_human" => human(maxmemory),
        "maxmemory_policy" => crate::config::params::find("maxmemory-policy").map(|p| p.get(&server.config)).unwrap_or_default(),
        "mem_fragmentation_ratio" => format!("{:.2}", rss as f64 / used.max(1) as f64),
        "mem_fragmentation_bytes" => rss as i64 - used as i64,
        "mem_not_counted_for_evict" => not_counted,
        // The backlog ring is the one replication buffer: its first `repl-backlog-size` bytes
        // count as the backlog, what lagging replicas keep beyond that as theirs.
        "mem_replication_backlog" => replication_buffers.min(backlog_size),
        "mem_total_replication_buffers" => replication_buffers,
        "mem_clients_slaves" => replication_buffers.saturating_sub(backlog_size),
        "mem_clients_normal" => crate::clients::eviction::non_replica_memory(server),
        "mem_cluster_links" => 0,
        "mem_aof_buffer" => not_counted,
        "mem_allocator" => "libc",
        // Flushed data is freed by a thread of its own, not counted (the suite waits for 0).
        "lazyfree_pending_objects" => 0,
        "lazyfreed_objects" => 0,
    }
}

fn persistence_section(databases: &Databases, server: &Server) -> String {
    crate::persistence::info(server, databases.dirty)
}

fn stats_section(server: &Server, expired: u64) -> String {
    let stats = &server.stats;
    let (ops, input, output) = stats.rates();
    let pubsub = server.pubsub.counts();
    let tracking = server.tracking.counts();
    fields! {
        "total_connections_received" => get(&stats.connections_received),
        "total_commands_processed" => get(&stats.commands_processed),
        "instantaneous_ops_per_sec" => ops,
        "total_net_input_bytes" => get(&stats.net_input_bytes),
        "total_net_output_bytes" => get(&stats.net_output_bytes),
        "total_net_repl_input_bytes" => 0,
        "total_net_repl_output_bytes" => 0,
        "instantaneous_input_kbps" => format!("{:.2}", input as f64 / 1024.0),
        "instantaneous_output_kbps" => format!("{:.2}", output as f64 / 1024.0),
        "instantaneous_input_repl_kbps" => "0.00",
        "instantaneous_output_repl_kbps" => "0.00",
        "rejected_connections" => get(&stats.rejected_connections),
        "sync_full" => get(&server.replication.syncs.full),
        "sync_partial_ok" => get(&server.replication.syncs.partial_ok),
        "sync_partial_err" => get(&server.replication.syncs.partial_err),
        "expired_keys" => expired,
        "expired_stale_perc" => "0.00",
        "expired_time_cap_reached_count" => 0,
        "evicted_keys" => get(&stats.evicted_keys),
        "evicted_clients" => get(&server.clients.evicted),
        "keyspace_hits" => get(&stats.keyspace_hits),
        "keyspace_misses" => get(&stats.keyspace_misses),
        "pubsub_channels" => pubsub.channels,
        "pubsub_patterns" => pubsub.patterns,
        "pubsubshard_channels" => pubsub.shard_channels,
        "latest_fork_usec" => 0,
        "total_forks" => 0,
        "migrate_cached_sockets" => server.migrate.count(),
        "tracking_total_keys" => tracking.keys,
        "tracking_total_items" => tracking.items,
        "tracking_total_prefixes" => tracking.prefixes,
        "unexpected_error_replies" => 0,
        "total_error_replies" => get(&stats.error_replies),
        "total_reads_processed" => get(&stats.reads_processed),
        "total_writes_processed" => get(&stats.writes_processed),
    }
}

fn replication_section(server: &Server) -> String {
    crate::replication::info::section(server)
}

/// User and system CPU seconds of the process, from /proc/self/stat (ticks of 1/100 s).
fn cpu_section() -> String {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    let (user, system) = (ticks(11), ticks(12));
    fields! {
        "used_cpu_sys" => format!("{system:.6}"),
        "used_cpu_user" => format!("{user:.6}"),
        "used_cpu_sys_children" => "0.000000",
        "used_cpu_user_children" => "0.000000",
    }
}

fn commandstats_section(server: &Server) -> String {
    let mut text = String::new();
    for resolved in all_commands() {
        let stats = server.stats.command(resolved.id);
        let (calls, usec, rejected, failed) = (
            get(&stats.calls),
            get(&stats.usec),
            get(&stats.rejected),
            get(&stats.failed),
        );
        if calls == 0 && rejected == 0 && failed == 0 {
            continue;
        }
        let per_call = if calls == 0 {
            0.0
        } else {
            usec as f64 / calls as f64
        };
        let _ = write!(
            text,
            "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per_call:.2},rejected_calls={rejected},failed_calls={failed}\r\n",
            resolved.full_name()
        );
    }
    text
}

fn errorstats_section(server: &Server) -> String {
    server
        .stats
        .errors()
        .iter()
        .map(|(code, count)| format!("errorstat_{code}:count={count}\r\n"))
        .collect()
}

/// `latency_percentiles_usec_<command>:p50=..,p99=..,p99.9=..` for each command with calls
/// (Redis's `fillPercentileDistributionLatencies`): `latency-tracking-info-percentiles`, each
/// printed as C's `%f` trimmed of trailing zeros, and its value in microseconds.
fn latencystats_section(server: &Server) -> String {
    if !server
        .config
        .latency_tracking
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return String::new();
    }
    let percentiles = config::read(&server.config.latency_percentiles);
    let mut text = String::new();
    for resolved in all_commands() {
        let Some(histogram) = server.stats.latency_histogram(resolved.id) else {
            continue;
        };
        let values: Vec<String> = percentiles
            .iter()
            .map(|&p| {
                let usec = histogram.value_at_percentile(p) as f64 / 1000.0;
                format!("p{}={usec:.3}", trimmed_percentile(p))
            })
            .collect();
        let _ = write!(
            text,
            "latency_percentiles_usec_{}:{}\r\n",
            resolved.full_name(),
            values.join(",")
        );
    }
    text
}

/// `99.900000` → `99.9`, `50.000000` → `50`, as Redis's `trimDoubleString`.
fn trimmed_percentile(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn keyspace_section(databases: &Databases) -> String {
    let mut text = String::new();
    for (index, db) in databases
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.is_empty())
    {
        let _ = write!(
            text,
            "db{index}:keys={},expires={},avg_ttl=0\r\n",
            db.len(),
            db.volatile_len()
        );
    }
    text
}
