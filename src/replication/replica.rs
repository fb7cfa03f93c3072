//! The replica side: the link to our master, if `REPLICAOF` (or `--replicaof`) gave us one.
//! (Stub written by the master side so the contract compiles; the replica engineer owns it.)

/// The link to our master. `Default`: none, we are a master.
#[derive(Default)]
pub struct Link {}

/// What INFO and ROLE show about the link to our master.
#[derive(Debug, Clone, Default)]
pub struct LinkStatus {
    pub host: String,
    pub port: u16,
    /// `master_link_status:up`.
    pub link_up: bool,
    /// Seconds since the last byte from the master (`master_last_io_seconds_ago`), -1 if never.
    pub last_io_seconds_ago: i64,
    /// `master_sync_in_progress`.
    pub sync_in_progress: bool,
    /// Offset of the stream read from the master (`slave_read_repl_offset`).
    pub read_offset: i64,
    /// Offset of the stream applied (`slave_repl_offset`).
    pub processed_offset: i64,
    /// ROLE's state: "connect", "connecting", "sync", "connected"...
    pub state: &'static str,
}

impl Link {
    /// Whether we replicate a master (`role:slave`).
    pub fn is_replica(&self) -> bool {
        false
    }

    /// The link's state, if we are a replica.
    pub fn status(&self) -> Option<LinkStatus> {
        None
    }
}
