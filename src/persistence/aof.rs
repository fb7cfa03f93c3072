//! The append-only file while the server runs: every write command, in the order it was applied,
//! appended to the current incr file, and durable before its reply goes out. (Stages 15–21 write
//! it; 22–23 replay it, see [`replay`].)
//!
//! # From the write path to the disk
//! 1. **Append** ([`Aof::append`]), in `Server::commit`, under the keyspace's exclusive lock: the
//!    command's journal records go into an in-memory buffer (with `SELECT` when the database
//!    changes). Holding the lock gives the file the apply order for free. Each byte has an
//!    offset; [`Aof::end`] is the offset of everything appended so far.
//! 2. **Before a reply goes out** (`connection.rs`, where output is flushed), the connection
//!    asks for the file to be durable up to the highest offset its commands produced *or
//!    observed* ([`Aof::make_durable`]): with `appendfsync always` that means written and
//!    `fdatasync`ed, otherwise written to the kernel (a `kill -9` then loses nothing; a power
//!    loss loses what the OS had not flushed: about a second with `everysec`).
//! 3. **Group commit** ([`handoff`], [`group`]): with `always`, connections hand their replies to
//!    the committer thread, which writes and fsyncs once for all of them and sends them; a
//!    connection that must wait itself (a blocked client's earlier replies, a big batch, its last
//!    reply) uses [`group`]: the first connection to need an fsync leads
//!    one for everybody. It waits briefly for the other clients' commands that are on their way
//!    (they were answered by the previous fsync together and write again together), writes
//!    everything buffered, fsyncs once, and wakes exactly the connections that fsync covered;
//!    those that came too late get a leader of their own. With `everysec` and `no` only a
//!    `write` is needed: whoever holds the file's mutex writes everything buffered, and the
//!    others find their bytes written.
//! 4. **Every second** the AOF thread writes what nobody waited for (active expiry's `DEL`s)
//!    and, with `everysec`, fsyncs without holding the mutex, so writers never wait for it.
//!
//! With the AOF off nothing of this runs: the journal is not even recorded, and a connection's
//! only cost is one atomic load per command.
//!
//! # Errors, as Redis handles them
//! With `always`, a failed write or fsync ends the process (a reply that promised durability
//! cannot be taken back). Otherwise the unwritten bytes stay buffered, write commands are refused
//! with `-MISCONF Errors writing to the AOF file: <error>` (reads keep working), and every retry
//! (the next flush, or the AOF thread each second) may clear the error.
//!
//! # Rotation
//! A rewrite starts a new incr file at a precise point of the journal: under the keyspace lock it
//! queues a [`Rotation`] at the current end offset, and the writer switches files exactly there,
//! after syncing the old one.

mod group;
pub mod handoff;
pub mod manifest;
pub mod replay;
pub mod rewrite;

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use self::group::GroupCommit;
use self::handoff::{Handoff, Outbox};
use self::manifest::Manifest;
use crate::keyspace::Record;
use crate::log;
use crate::number::IntBuf;

/// Whether the AOF is written, as Redis's `aof_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AofState {
    Off = 0,
    /// Turned on at runtime: records go to a temporary incr file until the first rewrite has
    /// written a base.
    WaitRewrite = 1,
    On = 2,
}

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

/// A new incr file, and the journal offset from which records go to it.
struct Rotation {
    at: u64,
    file: Arc<File>,
}

/// What has been appended and not yet written.
#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    /// The last written `bytes`, emptied, for the next write to take: appending into a
    /// buffer that keeps its capacity costs no allocation, and the writer thread frees nothing
    /// another thread allocated (a slow path in the C allocator).
    spare: Vec<u8>,
    /// The offset of `bytes[0]`.
    start: u64,
    /// The database of the last record, so `SELECT` is written only when it changes.
    selected_db: Option<usize>,
    rotations: Vec<Rotation>,
    /// Commands appended since the start (counted for the group commit).
    commands: u64,
    /// The second of the last `#TS:` annotation (`aof-timestamp-enabled`).
    annotated_second: i64,
}

/// The file being written.
#[derive(Default)]
struct Io {
    file: Option<Arc<File>>,
    /// Its size: where a failed partial write is cut back to.
    size: u64,
}

/// The last write or fsync error, cleared by the next success.
#[derive(Default)]
struct Health {
    write_error: Option<String>,
    fsync_error: Option<String>,
    last_logged: Option<Instant>,
}

/// Redis logs a persisting write error at most this often (`AOF_WRITE_LOG_ERROR_RATE`).
const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(30);

pub struct Aof {
    state: AtomicU8,
    buffer: Mutex<Buffer>,
    /// End offset of everything appended: what a reply that saw the latest data waits for.
    appended: AtomicU64,
    /// End offset of what is in the file (written to the kernel).
    written: AtomicU64,
    /// End offset of what is on disk (`fdatasync`ed).
    synced: AtomicU64,
    io: Mutex<Io>,
    /// The leader and followers of `always` flushes.
    group: GroupCommit,
    /// Replies waiting for the committer's next fsync (`always`).
    handoff: Handoff,
    /// How long an fsync takes, in nanoseconds (a moving average).
    fsync_nanos: AtomicU64,
    /// Commands appended, and commands taken by the last flush (`Buffer::commands` at each).
    appended_commands: AtomicU64,
    flushed_commands: AtomicU64,
    /// How many connections a flush usually serves, in sixteenths (a moving average).
    concurrency: AtomicU64,
    /// The files the AOF is made of; written to disk by whoever changes it.
    pub manifest: Mutex<Manifest>,
    health: Mutex<Health>,
    /// Set while `write_error` or `fsync_error` is: the cheap test the MISCONF gate makes.
    failing: AtomicBool,
    /// `no-appendfsync-on-rewrite`: a background save is running and fsyncs are skipped.
    pub fsync_paused: AtomicBool,
    /// `aof-timestamp-enabled`: a `#TS:<unix seconds>` line goes before the first record of
    /// each new second, as Redis annotates its AOF (its loader and `redis-check-aof
    /// --truncate-to-timestamp` read them).
    pub timestamps: AtomicBool,
    /// `DEBUG AOF-FLUSH-SLEEP`: microseconds to wait before each write, so a test can watch
    /// what clients see while the file lags behind (0: none).
    pub flush_sleep_us: AtomicU64,
    /// `aof_current_size`: the base and incr files.
    pub current_size: AtomicU64,
    /// `aof_base_size`: the size after the last rewrite (for `auto-aof-rewrite-percentage`).
    pub base_size: AtomicU64,
    /// `aof_delayed_fsync`.
    pub delayed_fsyncs: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Aof {
    fn default() -> Self {
        Aof::new()
    }
}

impl Aof {
    pub fn new() -> Aof {
        Aof {
            state: AtomicU8::new(AofState::Off as u8),
            buffer: Mutex::default(),
            appended: AtomicU64::new(0),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            io: Mutex::default(),
            group: GroupCommit::default(),
            handoff: Handoff::default(),
            fsync_nanos: AtomicU64::new(0),
            appended_commands: AtomicU64::new(0),
            flushed_commands: AtomicU64::new(0),
            concurrency: AtomicU64::new(16),
            manifest: Mutex::default(),
            health: Mutex::default(),
            failing: AtomicBool::new(false),
            fsync_paused: AtomicBool::new(false),
            timestamps: AtomicBool::new(false),
            flush_sleep_us: AtomicU64::new(0),
            current_size: AtomicU64::new(0),
            base_size: AtomicU64::new(0),
            delayed_fsyncs: AtomicU64::new(0),
        }
    }

    pub fn state(&self) -> AofState {
        match self.state.load(Ordering::Acquire) {
            1 => AofState::WaitRewrite,
            2 => AofState::On,
            _ => AofState::Off,
        }
    }

    pub fn set_state(&self, state: AofState) {
        self.state.store(state as u8, Ordering::Release);
    }

    /// The offset of everything appended so far. A connection reads it after each command: any
    /// write the command made or saw was appended before.
    pub fn end(&self) -> u64 {
        self.appended.load(Ordering::Acquire)
    }

    /// Bytes appended but not yet written (`aof_buffer_length`).
    pub fn pending(&self) -> u64 {
        self.end() - self.written.load(Ordering::Acquire)
    }

    /// Appends journal records. Called under the keyspace's exclusive lock (the commit), which
    /// orders the file like the data.
    pub fn append(&self, records: &[Record]) {
        if self.state() == AofState::Off {
            return;
        }
        let mut buffer = lock(&self.buffer);
        if self.timestamps.load(Ordering::Relaxed) {
            let second = crate::clock::now_ms() / 1000;
            if second > buffer.annotated_second {
                buffer.annotated_second = second;
                let mut digits = IntBuf::new();
                let annotation = [&b"#TS:"[..], digits.format(second), b"\r\n"].concat();
                buffer.bytes.extend_from_slice(&annotation);
            }
        }
        let buffer = &mut *buffer;
        Record::encode_stream(records, &mut buffer.selected_db, &mut buffer.bytes);
        buffer.commands += 1;
        let end = buffer.start + buffer.bytes.len() as u64;
        self.appended.store(end, Ordering::Release);
        self.appended_commands
            .store(buffer.commands, Ordering::Release);
    }

    /// Starts writing to `file` (of `size` bytes) from the current end of the journal: at startup,
    /// or when the AOF is turned on at runtime. The first record will select its database.
    pub fn open(&self, file: Arc<File>, size: u64, state: AofState) {
        let mut io = lock(&self.io);
        let mut buffer = lock(&self.buffer);
        buffer.selected_db = None;
        let end = buffer.start + buffer.bytes.len() as u64;
        buffer.start = end;
        buffer.bytes.clear();
        buffer.rotations.clear();
        self.written.store(end, Ordering::Release);
        self.synced.store(end, Ordering::Release);
        *io = Io {
            file: Some(file),
            size,
        };
        self.set_state(state);
    }

    /// Queues a switch to `file` at the current end of the journal (an AOF rewrite begins). Call
    /// under a keyspace lock, so no record is appended meanwhile: the switch then falls exactly
    /// at the snapshot the rewrite writes as its base.
    pub fn rotate(&self, file: Arc<File>) {
        let mut buffer = lock(&self.buffer);
        let at = buffer.start + buffer.bytes.len() as u64;
        // Each incr file starts with a SELECT, as a fresh replay client starts in database 0.
        buffer.selected_db = None;
        buffer.rotations.push(Rotation { at, file });
    }

    /// Makes the file hold everything up to `target` (and, with `always`, have it on disk)
    /// before a reply goes out. See the module documentation for the group commit.
    pub fn make_durable(&self, target: u64, fsync: Fsync) {
        let sync = fsync == Fsync::Always && !self.fsync_paused.load(Ordering::Relaxed);
        let done = if sync { &self.synced } else { &self.written };
        if done.load(Ordering::Acquire) >= target || self.state() == AofState::Off {
            return;
        }
        if !sync {
            // A write alone takes microseconds: whoever holds the file writes everything
            // buffered, and the others, once they have it, find their bytes written.
            let mut io = lock(&self.io);
            if self.written.load(Ordering::Acquire) < target {
                self.write_pending(&mut io, fsync);
            }
            return;
        }
        // An fsync takes a millisecond or more: follow the one in progress, or lead the next.
        self.group.wait(target, &self.synced, || {
            self.gather_commits();
            let mut io = lock(&self.io);
            self.write_pending(&mut io, fsync);
            self.sync(&io, fsync);
            drop(io);
            self.measure_concurrency();
        });
    }

    /// Whether replies that need the file durable up to `target` must wait for an fsync, and
    /// the committer is there to send them after it (see [`handoff`]).
    pub fn must_wait_for_fsync(&self, target: u64, fsync: Fsync) -> bool {
        fsync == Fsync::Always
            && self.synced.load(Ordering::Acquire) < target
            && !self.fsync_paused.load(Ordering::Relaxed)
            && self.state() != AofState::Off
            && self.handoff.is_running()
    }

    /// Gives `out` to the committer, which sends it once `target` is on disk. Only after
    /// [`Aof::must_wait_for_fsync`] said so, and with `outbox` settled.
    pub fn hand_off(&self, outbox: &Arc<Outbox>, out: &mut Vec<u8>, target: u64) {
        self.handoff.hand_off(outbox, out, target);
    }

    /// The committer thread (`appendfsync always`): writes and fsyncs whatever the handed-off
    /// replies wait for, then sends them; sleeps while none wait. One fsync serves every reply
    /// handed off before it started, as one fsync serves an event-loop turn in Redis.
    pub fn run_committer(&self) -> ! {
        loop {
            let target = self.handoff.next_target();
            if self.synced.load(Ordering::Acquire) < target {
                let mut io = lock(&self.io);
                self.write_pending(&mut io, Fsync::Always);
                self.sync(&io, Fsync::Always);
            }
            self.handoff.deliver(self.synced.load(Ordering::Acquire));
        }
    }

    /// Before an fsync, lets the commits that are on their way join it. Clients answered by one
    /// fsync send their next writes almost together; a leader that did not wait would fsync for
    /// the first few, and the rest would form a second group that waits for the first group's
    /// fsync, and so on: every client would wait for two fsyncs. So the leader yields until as
    /// many commands are buffered as there are connections writing (how many waited for the last
    /// fsyncs, a moving average), or a quarter of an fsync's time has passed: PostgreSQL's
    /// `commit_delay`, made adaptive. A lone client waits for nothing.
    fn gather_commits(&self) {
        let expected = (self.concurrency.load(Ordering::Relaxed) + 8) / 16;
        let budget = Duration::from_nanos(self.fsync_nanos.load(Ordering::Relaxed) / 4);
        let started = Instant::now();
        let pending = || {
            let flushed = self.flushed_commands.load(Ordering::Acquire);
            self.appended_commands
                .load(Ordering::Acquire)
                .saturating_sub(flushed)
        };
        while pending() < expected && started.elapsed() < budget {
            std::thread::yield_now();
        }
    }

    /// After an fsync: every connection waiting now (those it served, and those that arrived
    /// meanwhile) is writing, and the next fsync should serve them all.
    fn measure_concurrency(&self) {
        let now = self.group.waiting() as u64;
        let average = self.concurrency.load(Ordering::Relaxed);
        self.concurrency
            .store((average * 7 + now * 16) / 8, Ordering::Relaxed);
    }

    /// The AOF thread's second: write what nobody waited for, and with `everysec` fsync without
    /// holding the file's mutex (writers go on meanwhile).
    pub fn tick(&self, fsync: Fsync) {
        if self.state() == AofState::Off {
            return;
        }
        let (file, written) = {
            let mut io = lock(&self.io);
            self.write_pending(&mut io, fsync);
            if fsync == Fsync::Always {
                self.sync(&io, fsync);
                return;
            }
            (io.file.clone(), self.written.load(Ordering::Acquire))
        };
        let behind = self.synced.load(Ordering::Acquire) < written;
        if fsync != Fsync::EverySec || !behind || self.fsync_paused.load(Ordering::Relaxed) {
            return;
        }
        let Some(file) = file else { return };
        match file.sync_data() {
            Ok(()) => {
                self.synced.fetch_max(written, Ordering::AcqRel);
                self.clear_error(|health| &mut health.fsync_error);
            }
            Err(error) => {
                self.record_error(
                    |health| &mut health.fsync_error,
                    &error,
                    "Fail to fsync the AOF file",
                );
            }
        }
    }

    /// Writes everything buffered, following any rotation on the way. On a write error, what
    /// was not written goes back to the buffer (or, with `always`, the process exits).
    fn write_pending(&self, io: &mut Io, fsync: Fsync) {
        let (bytes, start, rotations) = {
            let mut buffer = lock(&self.buffer);
            if buffer.bytes.is_empty() && buffer.rotations.is_empty() {
                return;
            }
            let spare = std::mem::take(&mut buffer.spare);
            let bytes = std::mem::replace(&mut buffer.bytes, spare);
            let start = buffer.start;
            buffer.start += bytes.len() as u64;
            self.flushed_commands
                .store(buffer.commands, Ordering::Release);
            (bytes, start, std::mem::take(&mut buffer.rotations))
        };
        let sleep = self.flush_sleep_us.load(Ordering::Relaxed);
        if sleep > 0 && !bytes.is_empty() {
            std::thread::sleep(std::time::Duration::from_micros(sleep));
        }
        let mut position = 0;
        let mut rotations = rotations.into_iter().peekable();
        loop {
            let cut = rotations
                .peek()
                .map_or(bytes.len(), |rotation| (rotation.at - start) as usize);
            if let Err(written) = self.write_chunk(io, &bytes[position..cut], fsync) {
                let failed_at = position + written;
                self.written
                    .store(start + failed_at as u64, Ordering::Release);
                let mut buffer = lock(&self.buffer);
                let mut unwritten = bytes[failed_at..].to_vec();
                unwritten.extend_from_slice(&buffer.bytes);
                buffer.bytes = unwritten;
                buffer.start = start + failed_at as u64;
                let mut queued: Vec<Rotation> = rotations.collect();
                queued.append(&mut buffer.rotations);
                buffer.rotations = queued;
                return;
            }
            position = cut;
            let Some(rotation) = rotations.next() else {
                break;
            };
            // The old file must hold its part durably before records go elsewhere.
            if let Some(old) = &io.file {
                if fsync != Fsync::No {
                    if let Err(error) = old.sync_data() {
                        self.fsync_failed(&error, fsync);
                    }
                }
            }
            *io = Io {
                file: Some(rotation.file),
                size: 0,
            };
        }
        self.written
            .store(start + bytes.len() as u64, Ordering::Release);
        self.keep_as_spare(bytes);
    }

    /// Gives the buffer a written one back to append into, unless it grew large (a burst, a
    /// big value): that memory is returned rather than kept for good.
    fn keep_as_spare(&self, mut bytes: Vec<u8>) {
        const KEEP_AT_MOST: usize = 1 << 20;
        if bytes.capacity() <= KEEP_AT_MOST {
            bytes.clear();
            lock(&self.buffer).spare = bytes;
        }
    }

    /// Writes one piece to the current file. On error returns how much of it stayed written
    /// (0 if a partial write could be cut back off, as Redis tries with `ftruncate`).
    fn write_chunk(&self, io: &mut Io, chunk: &[u8], fsync: Fsync) -> Result<(), usize> {
        if chunk.is_empty() {
            return Ok(());
        }
        let Some(file) = io.file.clone() else {
            return Ok(()); // The AOF was switched off: nothing to write to.
        };
        let mut written = 0;
        let result = loop {
            match (&*file).write(&chunk[written..]) {
                Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => {
                    written += n;
                    if written == chunk.len() {
                        break Ok(());
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => break Err(error),
            }
        };
        match result {
            Ok(()) => {
                io.size += chunk.len() as u64;
                self.current_size
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                self.clear_error(|health| &mut health.write_error);
                Ok(())
            }
            Err(error) => {
                if written > 0 && file.set_len(io.size).is_ok() {
                    written = 0;
                }
                io.size += written as u64;
                self.current_size
                    .fetch_add(written as u64, Ordering::Relaxed);
                if fsync == Fsync::Always {
                    log!(
                        Warning,
                        "Error writing to the AOF file: {}",
                        crate::sys::os_error_text(&error)
                    );
                    log!(
                        Warning,
                        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
                    );
                    std::process::exit(1);
                }
                self.record_error(
                    |health| &mut health.write_error,
                    &error,
                    "Error writing to the AOF file",
                );
                Err(written)
            }
        }
    }

    /// `fdatasync` of the current file, publishing what is now on disk.
    fn sync(&self, io: &Io, fsync: Fsync) {
        let Some(file) = &io.file else { return };
        let written = self.written.load(Ordering::Acquire);
        let started = Instant::now();
        match file.sync_data() {
            Ok(()) => {
                self.synced.fetch_max(written, Ordering::AcqRel);
                let took = started.elapsed().as_nanos() as u64;
                let average = self.fsync_nanos.load(Ordering::Relaxed);
                self.fsync_nanos
                    .store((average * 7 + took) / 8, Ordering::Relaxed);
            }
            Err(error) => self.fsync_failed(&error, fsync),
        }
    }

    fn fsync_failed(&self, error: &io::Error, fsync: Fsync) {
        if fsync == Fsync::Always {
            log!(
                Warning,
                "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                crate::sys::os_error_text(error)
            );
            std::process::exit(1);
        }
        self.record_error(
            |health| &mut health.fsync_error,
            error,
            "Fail to fsync the AOF file",
        );
    }

    fn record_error(
        &self,
        slot: impl Fn(&mut Health) -> &mut Option<String>,
        error: &io::Error,
        what: &str,
    ) {
        let text = crate::sys::os_error_text(error);
        let mut health = lock(&self.health);
        let now = Instant::now();
        if health
            .last_logged
            .is_none_or(|at| now.duration_since(at) > ERROR_LOG_INTERVAL)
        {
            log!(Warning, "{what}: {text}");
            health.last_logged = Some(now);
        }
        *slot(&mut health) = Some(text);
        self.failing.store(true, Ordering::Release);
    }

    fn clear_error(&self, slot: impl Fn(&mut Health) -> &mut Option<String>) {
        if !self.failing.load(Ordering::Acquire) {
            return;
        }
        let mut health = lock(&self.health);
        if slot(&mut health).take().is_some() {
            log!(
                Warning,
                "AOF write error looks solved, Redis can write again."
            );
        }
        let still = health.write_error.is_some() || health.fsync_error.is_some();
        self.failing.store(still, Ordering::Release);
    }

    /// Whether a write or fsync error is pending (one relaxed load: the MISCONF gate's test).
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// The error that makes write commands fail with MISCONF, if any.
    pub fn error(&self) -> Option<String> {
        if !self.failing.load(Ordering::Acquire) {
            return None;
        }
        let health = lock(&self.health);
        health
            .write_error
            .clone()
            .or_else(|| health.fsync_error.clone())
    }

    /// Writes and syncs everything appended so far (SHUTDOWN, turning the AOF off). Returns the
    /// error if the data is not safely on disk.
    pub fn flush_and_sync(&self) -> io::Result<()> {
        let mut io = lock(&self.io);
        self.write_pending(&mut io, Fsync::EverySec);
        if let Some(error) = self.error() {
            return Err(io::Error::other(error));
        }
        match &io.file {
            Some(file) => {
                file.sync_data()?;
                self.synced
                    .fetch_max(self.written.load(Ordering::Acquire), Ordering::AcqRel);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Stops writing: flushes and syncs what is buffered (logging a failure), closes the file
    /// and forgets any error, as Redis's `stopAppendOnly`.
    pub fn close(&self) {
        if let Err(error) = self.flush_and_sync() {
            log!(Warning, "Fail to fsync the AOF file: {error}");
        }
        self.set_state(AofState::Off);
        let mut io = lock(&self.io);
        let mut buffer = lock(&self.buffer);
        let end = buffer.start + buffer.bytes.len() as u64;
        buffer.start = end;
        buffer.bytes.clear();
        buffer.rotations.clear();
        buffer.selected_db = None;
        self.written.store(end, Ordering::Release);
        self.synced.store(end, Ordering::Release);
        *io = Io::default();
        *lock(&self.health) = Health::default();
        self.failing.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_file(name: &str) -> (std::path::PathBuf, Arc<File>) {
        let path = std::env::temp_dir().join(format!("thredis-aof-{}-{name}", std::process::id()));
        let file = File::create(&path).unwrap();
        (path, Arc::new(file))
    }

    fn record(db: usize, args: &[&str]) -> Record {
        Record::new(db, args.iter())
    }

    #[test]
    fn records_are_written_with_select_only_when_the_database_changes() {
        let (path, file) = scratch_file("select");
        let aof = Aof::new();
        aof.open(file, 0, AofState::On);
        aof.append(&[record(0, &["SET", "a", "1"]), record(0, &["SET", "b", "2"])]);
        aof.append(&[record(3, &["DEL", "a"])]);
        aof.make_durable(aof.end(), Fsync::Always);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\na\r\n"
        );
        assert_eq!(aof.pending(), 0);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_rotation_splits_the_journal_exactly_where_it_was_queued() {
        let (old_path, old) = scratch_file("rotate-old");
        let (new_path, new) = scratch_file("rotate-new");
        let aof = Aof::new();
        aof.open(old, 0, AofState::On);
        aof.append(&[record(1, &["SET", "before", "1"])]);
        aof.rotate(new);
        aof.append(&[record(1, &["SET", "after", "2"])]);
        aof.make_durable(aof.end(), Fsync::EverySec);
        let old_text = std::fs::read_to_string(&old_path).unwrap();
        let new_text = std::fs::read_to_string(&new_path).unwrap();
        assert!(old_text.contains("before") && !old_text.contains("after"));
        assert!(
            new_text.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n"),
            "{new_text}"
        );
        assert!(new_text.contains("after") && !new_text.contains("before"));
        std::fs::remove_file(old_path).unwrap();
        std::fs::remove_file(new_path).unwrap();
    }

    #[test]
    fn nothing_is_kept_while_the_aof_is_off() {
        let aof = Aof::new();
        aof.append(&[record(0, &["SET", "a", "1"])]);
        assert_eq!(aof.end(), 0);
        aof.make_durable(10, Fsync::Always);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_keeps_the_bytes_and_reports_the_error() {
        let full = Arc::new(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        );
        let aof = Aof::new();
        aof.open(full, 0, AofState::On);
        aof.append(&[record(0, &["SET", "a", "1"])]);
        aof.make_durable(aof.end(), Fsync::EverySec);
        assert_eq!(aof.error().as_deref(), Some("No space left on device"));
        assert_eq!(aof.pending(), aof.end(), "still buffered, to retry");
        let (path, file) = scratch_file("recover");
        aof.open(file, 0, AofState::On);
        aof.append(&[record(0, &["SET", "b", "2"])]);
        aof.make_durable(aof.end(), Fsync::EverySec);
        assert_eq!(aof.error(), None, "a successful write clears it");
        std::fs::remove_file(path).unwrap();
    }
}
