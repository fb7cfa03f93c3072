//! What persistence does in the background, as Redis's child processes do: `BGSAVE`, the AOF
//! rewrite (`BGREWRITEAOF`, automatic, or turning the AOF on), and the schedule that starts them
//! (save points, `BGSAVE SCHEDULE`, `auto-aof-rewrite-percentage`). Foreground saves (`SAVE`,
//! SHUTDOWN's, `DEBUG RELOAD`'s) are here too, because they follow the same rules.
//!
//! One worker thread runs the background jobs, one at a time, as Redis allows one child at a
//! time; a request made while another job runs is refused or scheduled with Redis's replies.
//! A command only reserves the job and takes the snapshot (for `BGSAVE`, under the keyspace
//! lock it takes, so the file holds exactly what was there when the command ran); the worker
//! writes it.
//!
//! Locks, always in this order: the keyspace, then the jobs state. SHUTDOWN holds the keyspace
//! exclusively while it aborts the jobs and saves, so a job that was aborted can never put an
//! older file in place after SHUTDOWN's final one: jobs move their file into place under the
//! jobs lock, after checking they were not aborted.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::aof::AofState;
use super::files::TempFile;
use super::rdb::SavedAccess;
use super::snapshot::{Format, Snapshot};
use super::{
    SaveFailed, aof_dir, base_format, create_aof_dir, persist_manifest, write_base, write_rdb,
};
use crate::commands::CommandError;
use crate::config;
use crate::keyspace::Databases;
use crate::server::Server;
use crate::{clock, log};

/// A failed background save is retried by the save points only after this long, unless the
/// last one succeeded (Redis's `CONFIG_BGSAVE_RETRY_DELAY`).
const BGSAVE_RETRY_DELAY_SECONDS: i64 = 5;

/// After this many failed rewrites in a row, automatic rewrites wait 1, 2, 4... up to 60
/// minutes between attempts (Redis's `aofRewriteLimited`).
const REWRITE_FAILURES_BEFORE_LIMIT: u64 = 3;
const REWRITE_MAX_DELAY_MINUTES: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bgsave,
    Rewrite,
}

/// A save or rewrite in progress.
struct Running {
    kind: Kind,
    since_s: i64,
    snapshot: Option<Arc<Snapshot>>,
    /// SHUTDOWN (or `CONFIG SET appendonly no`) gave up on it: it must not put its file in
    /// place.
    aborted: bool,
    /// The temporary file it writes, removed when it is aborted.
    temp: Option<PathBuf>,
}

impl Running {
    fn new(kind: Kind) -> Running {
        Running {
            kind,
            since_s: clock::now_ms() / 1000,
            snapshot: None,
            aborted: false,
            temp: None,
        }
    }

    fn abort(&mut self) {
        self.aborted = true;
        if let Some(snapshot) = &self.snapshot {
            snapshot.abort();
        }
        if let Some(temp) = self.temp.take() {
            let _ = fs::remove_file(temp);
        }
    }
}

#[derive(Default)]
struct State {
    /// The background job (Redis's child).
    background: Option<Running>,
    /// Reserved for the worker to run.
    queued: bool,
    /// A `SAVE` running in a client's thread.
    foreground: Option<Running>,
    bgsave_scheduled: bool,
    rewrite_scheduled: bool,
    rewrites: u64,
    rewrite_failures: u64,
    last_rewrite_failed: bool,
    last_rewrite_seconds: Option<i64>,
    last_rewrite_cow: u64,
    /// While rewrites are limited after repeated failures: when the next automatic one may run,
    /// and the delay after that one.
    rewrite_not_before: Option<i64>,
    rewrite_delay_minutes: i64,
}

/// What INFO shows about jobs.
pub struct JobsStatus {
    pub bgsave_since: Option<i64>,
    pub rewrite_since: Option<i64>,
    pub rewrite_scheduled: bool,
    pub cow_bytes: u64,
    pub cow_peak: u64,
    pub keys_done: u64,
    pub keys_total: u64,
    pub percent_done: f64,
    pub rewrites: u64,
    pub rewrite_failures: u64,
    pub last_rewrite_ok: bool,
    pub last_rewrite_seconds: i64,
    pub last_rewrite_cow: u64,
}

#[derive(Default)]
pub struct Jobs {
    state: Mutex<State>,
    wake: Condvar,
}

/// Numbers the temporary RDB files of this process, so two saves never share one.
static TEMP_FILES: AtomicU64 = AtomicU64::new(0);

fn temp_rdb() -> PathBuf {
    let n = TEMP_FILES.fetch_add(1, Ordering::Relaxed);
    PathBuf::from(format!("temp-{}-{n}.rdb", std::process::id()))
}

impl State {
    /// Whether an RDB file is being written (SAVE or BGSAVE): another must wait.
    fn rdb_save_running(&self) -> bool {
        self.foreground.is_some()
            || self
                .background
                .as_ref()
                .is_some_and(|job| job.kind == Kind::Bgsave)
    }
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn status(&self) -> JobsStatus {
        let state = self.lock();
        let since = |kind| {
            state
                .background
                .as_ref()
                .filter(|job| job.kind == kind)
                .map(|job| job.since_s)
        };
        let progress = state
            .background
            .iter()
            .chain(&state.foreground)
            .find_map(|job| job.snapshot.clone());
        let (cow_bytes, cow_peak, keys_done, keys_total) = progress.map_or((0, 0, 0, 0), |s| {
            (
                s.progress.cow_bytes.load(Ordering::Relaxed),
                s.progress.cow_peak.load(Ordering::Relaxed),
                s.progress.keys_done.load(Ordering::Relaxed),
                s.keys_total,
            )
        });
        JobsStatus {
            bgsave_since: since(Kind::Bgsave),
            rewrite_since: since(Kind::Rewrite),
            rewrite_scheduled: state.rewrite_scheduled,
            cow_bytes,
            cow_peak,
            keys_done,
            keys_total,
            percent_done: if keys_total == 0 {
                0.0
            } else {
                keys_done as f64 * 100.0 / keys_total as f64
            },
            rewrites: state.rewrites,
            rewrite_failures: state.rewrite_failures,
            last_rewrite_ok: !state.last_rewrite_failed,
            last_rewrite_seconds: state.last_rewrite_seconds.unwrap_or(-1),
            last_rewrite_cow: state.last_rewrite_cow,
        }
    }

    /// Stops a background RDB save (Redis's `killRDBChild`): FLUSHALL made the data it writes
    /// obsolete. The worker sees the abort, removes its temporary file and moves on.
    pub fn abort_bgsave(&self) {
        let mut state = self.lock();
        if let Some(job) = state
            .background
            .as_mut()
            .filter(|job| job.kind == Kind::Bgsave)
        {
            job.abort();
        }
    }

    /// Stops every save and rewrite: SHUTDOWN, whose caller holds the keyspace exclusively.
    pub fn abort_all(&self, server: &Server) {
        let mut state = self.lock();
        if let Some(job) = state.background.as_mut() {
            match job.kind {
                Kind::Bgsave => log!(Warning, "There is a child saving an .rdb. Killing it!"),
                Kind::Rewrite => log!(Notice, "Killing running AOF rewrite child"),
            }
            job.abort();
        }
        if let Some(job) = state.foreground.as_mut() {
            job.abort();
        }
        state.bgsave_scheduled = false;
        state.rewrite_scheduled = false;
        let _ = server;
    }
}

/// Starts the worker thread that runs background jobs.
pub fn start_worker(server: Arc<Server>) -> std::io::Result<()> {
    thread::Builder::new()
        .name("persistence".into())
        .spawn(move || worker(&server))?;
    Ok(())
}

fn worker(server: &Server) {
    let jobs = &server.persistence.jobs;
    loop {
        let (kind, snapshot) = {
            let mut state = jobs.lock();
            while !state.queued {
                state = jobs
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            state.queued = false;
            match state.background.as_ref() {
                Some(job) => (job.kind, job.snapshot.clone()),
                None => continue,
            }
        };
        match (kind, snapshot) {
            (Kind::Bgsave, Some(snapshot)) => run_bgsave(server, &snapshot),
            (Kind::Rewrite, _) => run_rewrite(server),
            (Kind::Bgsave, None) => {}
        }
        jobs.lock().background = None;
    }
}

/// `BGSAVE [SCHEDULE]`: the status line to reply, or Redis's error.
pub fn bgsave(
    server: &Server,
    schedule: bool,
    in_exec: bool,
) -> Result<&'static str, CommandError> {
    let jobs = &server.persistence.jobs;
    {
        let mut state = jobs.lock();
        if state.rdb_save_running() {
            return Err(CommandError::err("Background save already in progress"));
        }
        if state.background.is_some() || in_exec {
            if schedule || in_exec {
                state.bgsave_scheduled = true;
                return Ok("Background saving scheduled");
            }
            return Err(CommandError::err(
                "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            ));
        }
    }
    start_bgsave(server);
    Ok("Background saving started")
}

/// Reserves the background slot and takes the snapshot now (the caller holds no keyspace
/// lock); the worker writes it.
fn start_bgsave(server: &Server) -> bool {
    let jobs = &server.persistence.jobs;
    {
        let mut state = jobs.lock();
        if state.background.is_some() {
            return false;
        }
        state.background = Some(Running::new(Kind::Bgsave));
        state.bgsave_scheduled = false;
    }
    let rdb = &server.persistence.rdb;
    rdb.saves.fetch_add(1, Ordering::Relaxed);
    rdb.last_bgsave_try
        .store(clock::now_ms() / 1000, Ordering::Relaxed);
    let snapshot = Arc::new(snapshot(
        server,
        &server.keyspace.read(),
        rdb_format(server),
    ));
    let mut state = jobs.lock();
    match state.background.as_mut() {
        Some(job) if !job.aborted => {
            job.snapshot = Some(snapshot);
            state.queued = true;
            jobs.wake.notify_one();
            log!(Notice, "Background saving started");
            true
        }
        _ => {
            // SHUTDOWN came in between: drop the hooks, the data is being saved anyway.
            snapshot.abort();
            drop(state);
            let _ = snapshot.write(&mut |f| f(&server.keyspace.read()), &mut Discard);
            false
        }
    }
}

/// A sink for a snapshot that is being given up, so `Snapshot::write` detaches its hooks.
struct Discard;

impl super::snapshot::Sink for Discard {
    fn database(&mut self, _: usize, _: usize, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write(&mut self, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

/// A snapshot of `databases` (and the function libraries) to write in `format`, slowed by
/// `rdb-key-save-delay` if set.
pub(crate) fn snapshot(server: &Server, databases: &Databases, format: Format) -> Snapshot {
    let mut snapshot = Snapshot::start(databases, format);
    snapshot.libraries = server.functions.codes();
    snapshot.replication = server.replication.save_info();
    let delay = config::Config::get(&server.config.rdb_key_save_delay);
    snapshot.key_delay = Duration::from_micros(u64::try_from(delay).unwrap_or(0));
    snapshot
}

pub(crate) fn rdb_format(server: &Server) -> Format {
    Format::Rdb {
        compress: server.config.rdbcompression.load(Ordering::Relaxed),
        access: SavedAccess::for_policy(&server.config),
    }
}

/// The worker's part of a BGSAVE: write the snapshot, put it in place, record the outcome.
fn run_bgsave(server: &Server, snapshot: &Snapshot) {
    let jobs = &server.persistence.jobs;
    let rdb = &server.persistence.rdb;
    let temp = temp_rdb();
    if let Some(job) = jobs.lock().background.as_mut() {
        job.temp = Some(temp.clone());
    }
    let started = Instant::now();
    let target = PathBuf::from(config::read(&server.config.dbfilename));
    let written = write_rdb(server, snapshot, &temp, false, &mut |f| {
        f(&server.keyspace.read())
    });
    let outcome = {
        let state = jobs.lock();
        let aborted = state.background.as_ref().is_none_or(|job| job.aborted);
        match written {
            _ if aborted => return,
            Ok(file) => file.commit(&target).map(|_| ()),
            Err(error) => Err(error),
        }
    };
    rdb.last_bgsave_seconds
        .store(started.elapsed().as_secs() as i64, Ordering::Relaxed);
    rdb.last_cow_bytes.store(
        snapshot.progress.cow_peak.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    match outcome {
        Ok(()) => {
            log!(Notice, "DB saved on disk");
            log_cow(snapshot, "RDB");
            saved(server, snapshot.dirty_at_start);
            log!(Notice, "Background saving terminated with success");
        }
        Err(error) => {
            log!(
                Warning,
                "Write error saving DB on disk: {}",
                crate::sys::os_error_text(&error)
            );
            rdb.last_bgsave_ok.store(false, Ordering::Relaxed);
            log!(Warning, "Background saving error");
        }
    }
}

fn log_cow(snapshot: &Snapshot, what: &str) {
    let peak = snapshot.progress.cow_peak.load(Ordering::Relaxed);
    log!(
        Notice,
        "{what}: {} MB of memory used by copy-on-write",
        peak / (1024 * 1024)
    );
}

/// A save succeeded: what changed before its snapshot no longer counts as unsaved.
fn saved(server: &Server, dirty_at_start: u64) {
    record_success(server);
    server.keyspace.write(0, clock::now_ms(), |w| {
        let databases = w.databases();
        databases.dirty = databases.dirty.saturating_sub(dirty_at_start);
    });
}

/// `SAVE`: writes the file from the calling thread. Other clients go on meanwhile (Redis stops
/// everything); the file holds the data as of the moment SAVE started.
pub fn save(server: &Server) -> Result<(), CommandError> {
    let jobs = &server.persistence.jobs;
    let temp = temp_rdb();
    {
        let mut state = jobs.lock();
        if state.rdb_save_running() {
            return Err(CommandError::err("Background save already in progress"));
        }
        let mut job = Running::new(Kind::Bgsave);
        job.temp = Some(temp.clone());
        state.foreground = Some(job);
    }
    server.persistence.rdb.saves.fetch_add(1, Ordering::Relaxed);
    let snapshot = Arc::new(snapshot(
        server,
        &server.keyspace.read(),
        rdb_format(server),
    ));
    if let Some(job) = jobs.lock().foreground.as_mut() {
        job.snapshot = Some(Arc::clone(&snapshot));
    }
    let target = PathBuf::from(config::read(&server.config.dbfilename));
    let written = write_rdb(server, &snapshot, &temp, false, &mut |f| {
        f(&server.keyspace.read())
    });
    let outcome = {
        let mut state = jobs.lock();
        let aborted = state.foreground.take().is_none_or(|job| job.aborted);
        match written {
            _ if aborted => Err(std::io::Error::other("aborted by SHUTDOWN")),
            Ok(file) => file.commit(&target).map(|_| ()),
            Err(error) => Err(error),
        }
    };
    logged_save(outcome).map_err(|SaveFailed| CommandError::coded("ERR"))?; // Redis's bare `-ERR`.
    saved(server, snapshot.dirty_at_start);
    Ok(())
}

/// A foreground save's outcome, logged as Redis logs it (`rdbSave`).
fn logged_save(outcome: std::io::Result<()>) -> Result<(), SaveFailed> {
    match outcome {
        Ok(()) => {
            log!(Notice, "DB saved on disk");
            Ok(())
        }
        Err(error) => {
            log!(
                Warning,
                "Write error saving DB on disk: {}",
                crate::sys::os_error_text(&error)
            );
            Err(SaveFailed)
        }
    }
}

/// A save by a caller that holds the keyspace exclusively (SHUTDOWN, `DEBUG RELOAD`): no
/// writer can run, so no copy is ever made.
pub fn save_now(server: &Server, databases: &mut Databases) -> Result<(), SaveFailed> {
    let snapshot = snapshot(server, databases, rdb_format(server));
    let temp = temp_rdb();
    let target = PathBuf::from(config::read(&server.config.dbfilename));
    let view: &Databases = databases;
    let result = write_rdb(server, &snapshot, &temp, false, &mut |f| f(view))
        .and_then(|file| file.commit(&target));
    logged_save(result.map(|_| ()))?;
    databases.dirty = 0;
    record_success(server);
    Ok(())
}

/// `LASTSAVE` moves, and a failed background save no longer refuses writes (MISCONF).
fn record_success(server: &Server) {
    let rdb = &server.persistence.rdb;
    rdb.last_save
        .store(clock::now_ms() / 1000, Ordering::Relaxed);
    rdb.last_bgsave_ok.store(true, Ordering::Relaxed);
}

/// `BGREWRITEAOF`: the status line to reply, or Redis's error.
pub fn bgrewriteaof(server: &Server, in_exec: bool) -> Result<&'static str, CommandError> {
    let jobs = &server.persistence.jobs;
    let mut state = jobs.lock();
    match state.background.as_ref().map(|job| job.kind) {
        Some(Kind::Rewrite) => Err(CommandError::err(
            "Background append only file rewriting already in progress",
        )),
        Some(Kind::Bgsave) => {
            state.rewrite_scheduled = true;
            state.rewrite_failures = 0;
            Ok("Background append only file rewriting scheduled")
        }
        None if in_exec => {
            state.rewrite_scheduled = true;
            state.rewrite_failures = 0;
            Ok("Background append only file rewriting scheduled")
        }
        None => {
            queue_rewrite(jobs, &mut state);
            Ok("Background append only file rewriting started")
        }
    }
}

fn queue_rewrite(jobs: &Jobs, state: &mut State) {
    state.background = Some(Running::new(Kind::Rewrite));
    state.rewrite_scheduled = false;
    state.rewrites += 1;
    state.queued = true;
    jobs.wake.notify_one();
}

/// `CONFIG SET appendonly yes`: the AOF waits for its first rewrite, which writes the base
/// (Redis's `startAppendOnly`).
pub fn start_append_only(server: &Server, in_exec: bool) -> Result<(), String> {
    if create_aof_dir(&server.config).is_err() {
        return Err("Unable to turn on AOF. Check server logs.".into());
    }
    let aof = &server.persistence.aof;
    aof.set_state(AofState::WaitRewrite);
    let jobs = &server.persistence.jobs;
    let mut state = jobs.lock();
    if state.background.is_some() {
        state.rewrite_scheduled = true;
        log!(
            Warning,
            "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible."
        );
    } else if in_exec {
        state.rewrite_scheduled = true;
        log!(
            Warning,
            "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
        );
    } else {
        queue_rewrite(jobs, &mut state);
    }
    Ok(())
}

/// `CONFIG SET appendonly no`: stop any rewrite, flush and close the file (Redis's
/// `stopAppendOnly`).
pub fn stop_append_only(server: &Server) {
    {
        let mut state = server.persistence.jobs.lock();
        if let Some(job) = state
            .background
            .as_mut()
            .filter(|job| job.kind == Kind::Rewrite)
        {
            log!(Notice, "Killing running AOF rewrite child");
            job.abort();
        }
        state.rewrite_scheduled = false;
    }
    server.persistence.aof.close();
    server
        .keyspace
        .switches
        .journal
        .store(server.replication.needs_journal(), Ordering::Relaxed);
}

/// The worker's rewrite: a new incr file, the snapshot at the switch to it, the base, then the
/// manifest (see `aof/rewrite.rs` and Redis's `rewriteAppendOnlyFileBackground` and
/// `backgroundRewriteDoneHandler`).
fn run_rewrite(server: &Server) {
    let started = Instant::now();
    let mode = match server.persistence.aof.state() {
        AofState::On => Mode::Rotate,
        AofState::WaitRewrite => Mode::Enable,
        AofState::Off => Mode::BaseOnly,
    };
    let result = rewrite(server, mode);
    let jobs = &server.persistence.jobs;
    let mut state = jobs.lock();
    if state.background.as_ref().is_none_or(|job| job.aborted) {
        return; // `appendonly no` or SHUTDOWN: they have dealt with the files.
    }
    state.last_rewrite_seconds = Some(started.elapsed().as_secs() as i64);
    if let Some(snapshot) = state
        .background
        .as_ref()
        .and_then(|job| job.snapshot.as_ref())
    {
        state.last_rewrite_cow = snapshot.progress.cow_peak.load(Ordering::Relaxed);
    }
    match result {
        Ok(()) => {
            state.last_rewrite_failed = false;
            state.rewrite_failures = 0;
            state.rewrite_not_before = None;
            state.rewrite_delay_minutes = 0;
            log!(Notice, "Background AOF rewrite finished successfully");
        }
        Err(SaveFailed) => {
            state.last_rewrite_failed = true;
            state.rewrite_failures += 1;
            log!(Warning, "Background AOF rewrite terminated with error");
            if mode == Mode::Enable {
                // The AOF still waits for its first base: stop journaling into the temporary
                // incr file, and try again.
                give_up_enabling(server);
                state.rewrite_scheduled = true;
            }
        }
    }
}

/// Logs a failed step of a rewrite as Redis words it (`what: strerror`).
fn logged<T>(result: std::io::Result<T>, what: impl FnOnce() -> String) -> Result<T, SaveFailed> {
    result.map_err(|error| {
        log!(Warning, "{}: {}", what(), crate::sys::os_error_text(&error));
        SaveFailed
    })
}

fn temp_incr_path(server: &Server) -> PathBuf {
    let name = config::read(&server.config.appendfilename);
    aof_dir(&server.config).join(format!("temp-{name}.incr"))
}

/// What a rewrite does about the incr files, by the AOF's state when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The AOF is on: writes go to a new incr file from the snapshot on.
    Rotate,
    /// The AOF is being turned on (`appendonly yes`): writes go to a temporary incr file, which
    /// becomes the first incr file beside the base.
    Enable,
    /// The AOF is off (`BGREWRITEAOF` all the same): only a base, which replaces every incr
    /// file, and nothing is journaled (Redis's `openNewIncrAofForAppend` opens nothing then).
    BaseOnly,
}

fn rewrite(server: &Server, mode: Mode) -> Result<(), SaveFailed> {
    let dir = create_aof_dir(&server.config).map_err(|_| SaveFailed)?;
    let incr = match mode {
        Mode::BaseOnly => None,
        Mode::Rotate | Mode::Enable => Some(open_next_incr(server, mode)?),
    };
    let snapshot = take_snapshot(server, mode, incr)?;
    let base = write_base_file(server, &snapshot)?;
    swap_in(server, mode, &dir, base)
}

/// Step 1: the incr file that gets every write from the snapshot on: a new `<name>.N.incr.aof`
/// already in the manifest, or, when the AOF is being turned on, a temporary one.
fn open_next_incr(server: &Server, mode: Mode) -> Result<Arc<fs::File>, SaveFailed> {
    let config = &server.config;
    let aof = &server.persistence.aof;
    let enabling = mode == Mode::Enable;
    let path = if enabling {
        temp_incr_path(server)
    } else {
        let mut manifest = super::lock(&aof.manifest).clone();
        let incr = manifest.new_incr(&config::read(&config.appendfilename));
        let path = aof_dir(config).join(&incr);
        logged(fs::File::create(&path), || {
            format!("Can't open the append-only file {incr}")
        })?;
        if persist_manifest(config, &manifest).is_err() {
            let _ = fs::remove_file(&path);
            return Err(SaveFailed);
        }
        *super::lock(&aof.manifest) = manifest;
        log!(
            Notice,
            "Creating AOF incr file {incr} on background rewrite"
        );
        path
    };
    let file = logged(
        fs::OpenOptions::new().append(true).create(true).open(&path),
        || format!("Can't open the append-only file {}", path.display()),
    )?;
    if enabling {
        logged(file.set_len(0), || {
            format!("Can't truncate {}", path.display())
        })?;
    }
    Ok(Arc::new(file))
}

/// Step 2: the snapshot's moment, which is also where the journal switches to the new incr file
/// (or starts, when the AOF is being turned on: it is still waiting for its first base).
fn take_snapshot(
    server: &Server,
    mode: Mode,
    incr: Option<Arc<fs::File>>,
) -> Result<Arc<Snapshot>, SaveFailed> {
    let aof = &server.persistence.aof;
    let snapshot = {
        let databases = server.keyspace.read();
        let mut state = server.persistence.jobs.lock();
        let Some(job) = state.background.as_mut().filter(|job| !job.aborted) else {
            return Err(SaveFailed);
        };
        let snapshot = Arc::new(snapshot(server, &databases, base_format(&server.config)));
        job.snapshot = Some(Arc::clone(&snapshot));
        match incr {
            Some(incr) if mode == Mode::Enable => {
                aof.open(incr, 0, AofState::WaitRewrite);
                server
                    .keyspace
                    .switches
                    .journal
                    .store(true, Ordering::Relaxed);
            }
            Some(incr) => aof.rotate(incr),
            None => {}
        }
        snapshot
    };
    log!(Notice, "Background append only file rewriting started");
    if mode != Mode::BaseOnly {
        // Let the writer switch files now rather than at the next client's flush.
        aof.make_durable(aof.end(), server.config.fsync());
    }
    Ok(snapshot)
}

/// Step 3: the base, in a temporary file, durable.
fn write_base_file(server: &Server, snapshot: &Snapshot) -> Result<TempFile, SaveFailed> {
    let temp = PathBuf::from(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    if let Some(job) = server.persistence.jobs.lock().background.as_mut() {
        job.temp = Some(temp.clone());
    }
    let base = logged(
        write_base(server, snapshot, &temp, &mut |f| f(&server.keyspace.read())),
        || "Write error writing append only file on disk".to_string(),
    )?;
    log!(
        Notice,
        "Successfully created the temporary AOF base file {}",
        temp.display()
    );
    log_cow(snapshot, "AOF rewrite");
    Ok(base)
}

/// Step 4: the new base (and, when turning the AOF on, the incr file) take their names, the
/// manifest lists them and retires the old files, which are then deleted. Under the jobs lock,
/// so a SHUTDOWN or `appendonly no` that gave up on the rewrite stops it here.
fn swap_in(
    server: &Server,
    mode: Mode,
    dir: &std::path::Path,
    base: TempFile,
) -> Result<(), SaveFailed> {
    let config = &server.config;
    let aof = &server.persistence.aof;
    let state = server.persistence.jobs.lock();
    if state.background.as_ref().is_none_or(|job| job.aborted) {
        return Err(SaveFailed);
    }
    log!(Notice, "Background AOF rewrite terminated with success");
    let name = config::read(&config.appendfilename);
    let mut manifest = super::lock(&aof.manifest).clone();
    let base_name = manifest.new_base(&name, base_format(config) != Format::Aof);
    let (temp, base_size) = logged(base.finish(), || {
        "Write error writing append only file on disk".to_string()
    })?;
    let renamed = fs::rename(&temp, dir.join(&base_name));
    if renamed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    logged(renamed, || {
        format!(
            "Error trying to rename the temporary AOF base file {} into {base_name}",
            temp.display()
        )
    })?;
    log!(
        Notice,
        "Successfully renamed the temporary AOF base file {} into {base_name}",
        temp.display()
    );
    let undo = || {
        let _ = fs::remove_file(dir.join(&base_name));
    };
    if mode == Mode::Enable {
        let incr = manifest.new_incr(&name);
        let renamed = fs::rename(temp_incr_path(server), dir.join(&incr));
        if renamed.is_err() {
            undo();
        }
        logged(renamed, || {
            format!(
                "Error trying to rename the temporary AOF incr file temp-{name}.incr into {incr}"
            )
        })?;
        log!(
            Notice,
            "Successfully renamed the temporary AOF incr file temp-{name}.incr into {incr}"
        );
    }
    let incr_name = manifest
        .incrs
        .last()
        .filter(|_| mode != Mode::BaseOnly)
        .map(|incr| incr.name.clone());
    manifest.retire_incrs(mode != Mode::BaseOnly);
    if persist_manifest(config, &manifest).is_err() {
        undo();
        return Err(SaveFailed);
    }
    *super::lock(&aof.manifest) = manifest;
    drop(state);
    let incr_size = incr_name.map_or(0, |incr| {
        fs::metadata(dir.join(incr)).map_or(0, |m| m.len())
    });
    aof.current_size
        .store(base_size + incr_size, Ordering::Relaxed);
    aof.base_size
        .store(base_size + incr_size, Ordering::Relaxed);
    delete_history(server);
    if mode == Mode::Enable {
        aof.set_state(AofState::On);
    }
    Ok(())
}

/// A rewrite that was to turn the AOF on failed: stop journaling into the temporary incr file
/// and wait for the retry.
fn give_up_enabling(server: &Server) {
    let aof = &server.persistence.aof;
    aof.close();
    aof.set_state(AofState::WaitRewrite);
    server
        .keyspace
        .switches
        .journal
        .store(server.replication.needs_journal(), Ordering::Relaxed);
    let _ = fs::remove_file(temp_incr_path(server));
}

/// Removes the files a rewrite turned into history, then drops them from the manifest (Redis's
/// `aofDelHistoryFiles`).
pub fn delete_history(server: &Server) {
    let aof = &server.persistence.aof;
    let mut manifest = super::lock(&aof.manifest);
    if manifest.history.is_empty() {
        return;
    }
    let dir = aof_dir(&server.config);
    for file in manifest.history.drain(..) {
        log!(
            Notice,
            "Removing the history file {} in the background",
            file.name
        );
        let _ = fs::remove_file(dir.join(&file.name));
    }
    let _ = persist_manifest(&server.config, &manifest);
}

/// The cron's part, every tick: start what was scheduled, the save points' BGSAVE, and the
/// automatic rewrite, when no background job runs (Redis's `serverCron`).
pub fn cron(server: &Server, now_ms: i64) {
    let jobs = &server.persistence.jobs;
    let rdb = &server.persistence.rdb;
    let now_s = now_ms / 1000;
    let (bgsave_scheduled, rewrite_scheduled, rewrite_allowed) = {
        let mut state = jobs.lock();
        if state.background.is_some() {
            return;
        }
        let allowed = rewrite_allowed(&mut state, now_s);
        (state.bgsave_scheduled, state.rewrite_scheduled, allowed)
    };
    let may_retry_bgsave = rdb.last_bgsave_ok.load(Ordering::Relaxed)
        || now_s - rdb.last_bgsave_try.load(Ordering::Relaxed) > BGSAVE_RETRY_DELAY_SECONDS;
    if bgsave_scheduled && may_retry_bgsave {
        start_bgsave(server);
        return;
    }
    if rewrite_scheduled && rewrite_allowed {
        let mut state = jobs.lock();
        if state.background.is_none() {
            queue_rewrite(jobs, &mut state);
        }
        return;
    }
    let dirty = server.keyspace.read().dirty;
    let last_save = rdb.last_save.load(Ordering::Relaxed);
    for (seconds, changes) in config::read(&server.config.save) {
        if dirty >= changes as u64 && now_s - last_save > seconds && may_retry_bgsave {
            log!(Notice, "{changes} changes in {seconds} seconds. Saving...");
            start_bgsave(server);
            return;
        }
    }
    let aof = &server.persistence.aof;
    let percentage = server
        .config
        .auto_aof_rewrite_percentage
        .load(Ordering::Relaxed);
    let min_size = server
        .config
        .auto_aof_rewrite_min_size
        .load(Ordering::Relaxed);
    let current = aof.current_size.load(Ordering::Relaxed) as i64;
    if aof.state() == AofState::On && percentage > 0 && current > min_size && rewrite_allowed {
        let base = (aof.base_size.load(Ordering::Relaxed) as i64).max(1);
        let growth = current * 100 / base - 100;
        if growth >= percentage {
            log!(
                Notice,
                "Starting automatic rewriting of AOF on {growth}% growth"
            );
            let mut state = jobs.lock();
            if state.background.is_none() {
                queue_rewrite(jobs, &mut state);
            }
        }
    }
}

/// Whether an automatic or scheduled rewrite may start, after repeated failures (Redis's
/// `aofRewriteLimited`: BGREWRITEAOF itself is never limited).
fn rewrite_allowed(state: &mut State, now_s: i64) -> bool {
    if state.rewrite_failures < REWRITE_FAILURES_BEFORE_LIMIT {
        state.rewrite_not_before = None;
        state.rewrite_delay_minutes = 0;
        return true;
    }
    if let Some(not_before) = state.rewrite_not_before {
        if now_s < not_before {
            return false;
        }
        state.rewrite_not_before = None;
        return true;
    }
    state.rewrite_delay_minutes = if state.rewrite_delay_minutes == 0 {
        1
    } else {
        (state.rewrite_delay_minutes * 2).min(REWRITE_MAX_DELAY_MINUTES)
    };
    state.rewrite_not_before = Some(now_s + state.rewrite_delay_minutes * 60);
    log!(
        Warning,
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        state.rewrite_delay_minutes
    );
    false
}
