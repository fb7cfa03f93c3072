//! The ACL log (`ACL LOG`): the most recent refusals — commands, keys and channels a user was
//! denied, and failed logins — newest first, at most `acllog-max-len` of them. A refusal like
//! one of the last ten, within a minute of it, bumps that entry's count instead of adding one,
//! as Redis's `addACLLogEntry` does.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// Entries within this many milliseconds of each other may be grouped.
const GROUPING_MS: i64 = 60_000;

/// How many recent entries a new one is compared with.
const GROUPING_SCAN: usize = 10;

/// Why something was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// Where it was refused: a command of its own, or one queued in MULTI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
    /// A command a script called (`redis.call`).
    Lua,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    /// The command's full name, the key or channel, or for a failed login the command used.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// When it last happened, Unix milliseconds.
    pub time_ms: i64,
    /// The client, as `CLIENT INFO` describes it, the last time.
    pub client_info: String,
}

impl Entry {
    fn groups_with(&self, other: &Entry) -> bool {
        self.reason == other.reason
            && self.context == other.context
            && (self.time_ms - other.time_ms).abs() <= GROUPING_MS
            && self.object == other.object
            && self.username == other.username
    }
}

#[derive(Default)]
pub struct AclLog {
    entries: Mutex<VecDeque<Entry>>,
}

impl AclLog {
    /// Records a refusal, keeping at most `max_len` entries.
    pub fn add(&self, entry: Entry, max_len: usize) {
        let mut entries = self.lock();
        let recent = entries.iter().take(GROUPING_SCAN);
        if let Some(at) = recent.into_iter().position(|e| e.groups_with(&entry)) {
            let mut matched = entries.remove(at).expect("found above");
            matched.count += 1;
            matched.time_ms = entry.time_ms;
            matched.client_info = entry.client_info;
            entries.push_front(matched);
            return;
        }
        entries.push_front(entry);
        entries.truncate(max_len);
    }

    /// The `count` newest entries.
    pub fn newest(&self, count: usize) -> Vec<Entry> {
        self.lock().iter().take(count).cloned().collect()
    }

    pub fn reset(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, time_ms: i64) -> Entry {
        Entry {
            count: 1,
            reason: Reason::Command,
            context: Context::Toplevel,
            object: object.as_bytes().to_vec(),
            username: b"u".to_vec(),
            time_ms,
            client_info: String::new(),
        }
    }

    #[test]
    fn similar_refusals_are_counted_once_and_the_log_is_bounded() {
        let log = AclLog::default();
        log.add(entry("get", 0), 3);
        log.add(entry("set", 1), 3);
        log.add(entry("get", 2), 3);
        let entries = log.newest(10);
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].object.as_slice(), entries[0].count),
            (&b"get"[..], 2)
        );
        log.add(entry("get", 2 + GROUPING_MS + 1), 3);
        log.add(entry("a", 0), 3);
        log.add(entry("b", 0), 3);
        let objects: Vec<_> = log.newest(10).into_iter().map(|e| e.object).collect();
        assert_eq!(objects, [&b"b"[..], b"a", b"get"]);
        log.reset();
        assert!(log.newest(10).is_empty());
    }
}
