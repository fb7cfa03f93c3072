//! INFO's `# Replication` section, for both roles, in Redis's order and format (`genRedisInfoString`):
//! the link to our master if we are a replica, then our replicas, IDs, offsets and backlog.

use std::fmt::Write as _;

use super::replica::LinkStatus;
use std::sync::atomic::Ordering;

use super::Replication;
use crate::clock;
use crate::config::Config;
use crate::server::Server;

/// The section's lines (without its `# Replication` heading).
pub fn section(server: &Server) -> String {
    let replication = &server.replication;
    let mut text = String::new();
    match replication.link.status() {
        Some(status) => replica_lines(server, &status, &mut text),
        None => text.push_str("role:master\r\n"),
    }
    replicas_lines(replication, &mut text);
    identity_lines(server, replication, &mut text);
    text
}

fn replica_lines(server: &Server, status: &LinkStatus, text: &mut String) {
    let _ = write!(
        text,
        "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n\
         master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\n\
         slave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
        status.host,
        status.port,
        if status.link_up { "up" } else { "down" },
        status.last_io_seconds_ago,
        i32::from(status.sync_in_progress),
        status.read_offset,
        status.processed_offset,
    );
    if let Some(transfer) = status.transfer {
        let perc = match transfer.total {
            total if total > 0 => transfer.read as f64 / total as f64 * 100.0,
            _ => 0.0,
        };
        let _ = write!(
            text,
            "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\n\
             master_sync_perc:{perc:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
            transfer.total,
            transfer.read,
            transfer.total - transfer.read,
            (clock::now_ms() - transfer.last_io_ms) / 1000,
        );
    }
    if let Some(seconds) = status.down_since_seconds {
        let _ = write!(text, "master_link_down_since_seconds:{seconds}\r\n");
    }
    let config = &server.config;
    let read_only = config.replica_read_only.load(Ordering::Relaxed);
    let announced = config.replica_announced.load(Ordering::Relaxed);
    let _ = write!(
        text,
        "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
        Config::get(&config.replica_priority),
        i32::from(read_only),
        i32::from(announced),
    );
}

fn replicas_lines(replication: &Replication, text: &mut String) {
    let replicas = replication.replicas.all();
    let now = clock::now_ms();
    let _ = write!(text, "connected_slaves:{}\r\n", replicas.len());
    for (n, replica) in replicas.iter().enumerate() {
        let _ = write!(
            text,
            "slave{n}:ip={},port={},state={},offset={},lag={}\r\n",
            replica.ip,
            replica.listening_port,
            replica.state.name(),
            replica.ack_offset,
            (now - replica.ack_time_ms) / 1000,
        );
    }
}

fn identity_lines(server: &Server, replication: &Replication, text: &mut String) {
    let identity = replication.identity();
    let active = replication.backlog_active();
    let backlog = &replication.backlog;
    // Redis numbers the backlog's first byte from 1; 0 while there is no backlog.
    let first_byte = if active {
        backlog.first_offset() + 1
    } else {
        0
    };
    let _ = write!(
        text,
        "master_failover_state:{}\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\n\
         master_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\n\
         repl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{first_byte}\r\n\
         repl_backlog_histlen:{}\r\n",
        replication.failover.state_name(),
        identity.replid,
        identity.replid2,
        replication.offset(),
        identity.second_offset,
        i32::from(active),
        super::backlog_size(server),
        backlog.history_len(),
    );
}
