//! Persistence: RDB snapshots and the Redis 7 multi-part append-only file, both readable by
//! redis-server and written from files it wrote. (RDB stages 8–13, AOF stages 14–23.)
//!
//! # The map
//! - [`rdb`]: the RDB format ([`rdb::load`] reads every version up to 11, [`rdb::save`] writes
//!   version 10), with its pieces [`crc64`], [`lzf`] and [`rdb::compact`] (ziplist, listpack,
//!   intset, zipmap).
//! - [`snapshot`]: a point-in-time view of the data that a save writes while clients keep
//!   writing (copy-on-write by shard, instead of Redis's fork).
//! - [`aof`]: the append-only file while the server runs (the journal appended under the write
//!   lock, made durable before replies go out, group commit), its [`aof::manifest`], the
//!   [`aof::replay`] at startup and the command form of a base ([`aof::rewrite`]).
//! - [`jobs`]: what runs in the background, as Redis's child processes do: `BGSAVE`, AOF
//!   rewrites, the save points, and one worker thread that runs them.
//! - [`files`]: writing a file so a crash leaves the old one or the new one.
//! - [`digest`] and [`sha1`]: `DEBUG DIGEST`, identical to Redis's, which lets tests compare a
//!   whole dataset across servers.
//!
//! # Where it plugs into the server
//! Startup loads the data before the first client is accepted ([`load_at_startup`]);
//! `Server::commit` appends the journal to the AOF; `connection.rs` calls [`make_durable`]
//! before writing replies; `commands::execute` asks [`refuse_write`] before running a write;
//! the cron thread calls [`jobs::cron`]; `SHUTDOWN` and SIGTERM end with [`prepare_shutdown`].

pub mod aof;
pub mod crc64;
pub mod digest;
pub mod files;
pub mod jobs;
pub mod lzf;
pub mod rdb;
pub mod sha1;
pub mod snapshot;

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use self::aof::manifest::Manifest;
use self::aof::replay::{self, Replayed};
use self::aof::{Aof, AofState};
use self::jobs::Jobs;
use self::rdb::load::{LoadOptions, load_file};
use self::rdb::save::{RdbOutput, RdbWriter, Streamed, encode_db_header, encode_header};
use self::snapshot::{Format, Sink, Snapshot, WithDatabases};
use crate::commands::{Command, CommandError};
use crate::config::{self, Config};
use crate::keyspace::{Databases, Record, Writer};
use crate::server::Server;
use crate::{clock, log};

/// The persistence state the server shares.
#[derive(Default)]
pub struct Persistence {
    pub aof: Aof,
    pub rdb: RdbStatus,
    pub jobs: Jobs,
}

/// What INFO and LASTSAVE report about RDB saves and loads.
pub struct RdbStatus {
    /// Unix seconds of the last successful save (the start time before any).
    pub last_save: AtomicI64,
    pub last_bgsave_ok: AtomicBool,
    /// Unix seconds of the last background save attempt (failed ones are retried after 5 s).
    pub last_bgsave_try: AtomicI64,
    pub last_bgsave_seconds: AtomicI64,
    pub saves: AtomicU64,
    pub last_cow_bytes: AtomicU64,
    pub last_load_keys: AtomicU64,
    pub last_load_expired: AtomicU64,
}

impl Default for RdbStatus {
    fn default() -> Self {
        RdbStatus {
            last_save: AtomicI64::new(clock::now_ms() / 1000),
            last_bgsave_ok: AtomicBool::new(true),
            last_bgsave_try: AtomicI64::new(0),
            last_bgsave_seconds: AtomicI64::new(-1),
            saves: AtomicU64::new(0),
            last_cow_bytes: AtomicU64::new(0),
            last_load_keys: AtomicU64::new(0),
            last_load_expired: AtomicU64::new(0),
        }
    }
}

impl Persistence {
    /// `Server::commit`'s journal line: the records go to the AOF buffer (nothing happens while
    /// the AOF is off, and then no journal is recorded at all).
    pub fn commit(&self, journal: &[Record]) {
        if !journal.is_empty() {
            self.aof.append(journal);
        }
    }
}

/// The AOF annotates seconds (`#TS:`) as `aof-timestamp-enabled` says: at startup and after a
/// `CONFIG SET`.
pub fn follow_timestamp_setting(server: &Server) {
    let on = server.config.aof_timestamp_enabled.load(Ordering::Relaxed);
    server
        .persistence
        .aof
        .timestamps
        .store(on, Ordering::Relaxed);
}

/// Starts what runs beside the clients: the worker for background saves and rewrites, the
/// AOF's committer (fsyncs for the replies handed to it with `always`), and the AOF thread (each
/// second: write what nobody waited for, fsync with `everysec`).
pub fn start(server: Arc<Server>) -> io::Result<()> {
    follow_timestamp_setting(&server);
    jobs::start_worker(Arc::clone(&server))?;
    let committer = Arc::clone(&server);
    std::thread::Builder::new()
        .name("aof-commit".into())
        .spawn(move || committer.persistence.aof.run_committer())?;
    std::thread::Builder::new()
        .name("aof".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
                server.persistence.aof.tick(server.config.fsync());
            }
        })?;
    Ok(())
}

/// Before a connection writes its replies: the AOF must hold every write up to `target` (the
/// journal's end after the connection's last command), and with `appendfsync always` have it on
/// disk. Free when the AOF is off.
pub fn make_durable(server: &Server, target: u64) {
    if target > 0 {
        server
            .persistence
            .aof
            .make_durable(target, server.config.fsync());
    }
}

/// The MISCONF gate, as Redis's `writeCommandsDeniedByDiskError`: while the last background
/// save failed (with save points and `stop-writes-on-bgsave-error`), or the AOF cannot be
/// written, write commands (and PING, as in Redis) are refused; reads go on. `writes`: whether
/// the command writes, or is an EXEC that would run a write (`transactions::writes`), or runs a
/// script that declares it may; asked only while writes are refused.
pub fn refuse_write(
    server: &Server,
    command: &Command,
    writes: impl FnOnce() -> bool,
) -> Option<CommandError> {
    // Two relaxed loads on every command: nothing else runs unless a save or write failed.
    let persistence = &server.persistence;
    let rdb_failed = !persistence.rdb.last_bgsave_ok.load(Ordering::Relaxed);
    if !rdb_failed && !persistence.aof.is_failing() {
        return None;
    }
    if command.name != "ping" && !writes() {
        return None;
    }
    if rdb_failed
        && server
            .config
            .stop_writes_on_bgsave_error
            .load(Ordering::Relaxed)
        && !config::read(&server.config.save).is_empty()
    {
        return Some(CommandError::coded(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
        ));
    }
    if persistence.aof.state() == AofState::Off {
        return None;
    }
    let error = persistence.aof.error()?;
    Some(CommandError::coded(format!(
        "MISCONF Errors writing to the AOF file: {error}"
    )))
}

/// The AOF directory (`appenddirname`, relative to `dir`).
pub fn aof_dir(config: &Config) -> PathBuf {
    PathBuf::from(config::read(&config.appenddirname))
}

/// Creates the AOF directory if it is missing (Redis's `dirCreateIfMissing`), with Redis's log
/// line if it cannot.
pub fn create_aof_dir(config: &Config) -> io::Result<PathBuf> {
    let dir = aof_dir(config);
    fs::create_dir_all(&dir).inspect_err(|error| {
        log!(
            Warning,
            "Can't open or create append-only dir {}: {}",
            dir.display(),
            crate::sys::os_error_text(error)
        )
    })?;
    Ok(dir)
}

/// The manifest's path: `<appenddirname>/<appendfilename>.manifest`.
fn manifest_path(config: &Config) -> PathBuf {
    aof_dir(config).join(format!("{}.manifest", config::read(&config.appendfilename)))
}

/// Writes `manifest` where Redis keeps it, atomically (temporary file, fsync, rename, directory
/// fsync), with Redis's log line on failure.
pub fn persist_manifest(config: &Config, manifest: &Manifest) -> io::Result<()> {
    let name = config::read(&config.appendfilename);
    let temp = aof_dir(config).join(format!("temp-{name}.manifest"));
    files::write_atomically(&manifest_path(config), &temp, manifest.format().as_bytes())
        .inspect_err(|error| {
            log!(
                Warning,
                "Error trying to write the AOF manifest file {name}.manifest: {}",
                crate::sys::os_error_text(error)
            )
        })
}

/// Loads the data at startup, before any client is served: from the AOF when `appendonly` is
/// on (an RDB file is then ignored, as in Redis), else from `dbfilename`. Then opens the AOF for
/// writing if it is on. Every failure has been logged with Redis's words when this returns it.
pub fn load_at_startup(server: &Server) -> io::Result<()> {
    if server.config.appendonly.load(Ordering::Relaxed) {
        server.write(0, clock::now_ms(), |w| load_append_only_file(server, w))?;
        return open_append_only_file(server);
    }
    let started = Instant::now();
    let path = PathBuf::from(config::read(&server.config.dbfilename));
    let options = LoadOptions {
        // A master continuing its history streams the DELs of what expired while it was down.
        record_expired: config::read(&server.config.replicaof).is_none(),
        ..load_options(server, clock::now_ms())
    };
    let loaded = server.keyspace.write(0, options.now_ms, |w| {
        load_file(&path, w.databases(), options)
    });
    match loaded {
        Ok(None) => Ok(()),
        Ok(Some(loaded)) => {
            add_loaded_libraries(server, &loaded.libraries, false)?;
            if let Some(info) = &loaded.replication {
                server
                    .replication
                    .restore(server, info, &loaded.expired_keys);
            }
            let rdb = &server.persistence.rdb;
            rdb.last_load_keys.store(loaded.keys, Ordering::Relaxed);
            rdb.last_load_expired
                .store(loaded.expired, Ordering::Relaxed);
            log!(
                Notice,
                "DB loaded from disk: {:.3} seconds",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(error) => {
            error.log();
            Err(io::Error::other(error.summary()))
        }
    }
}

/// Adds the function libraries a file held to the server's (`replace`: those of the same name,
/// as `DEBUG RELOAD MERGE` allows); a library that fails, or collides, fails the load, as in
/// Redis's `rdbFunctionLoad`.
pub fn add_loaded_libraries(
    server: &Server,
    libraries: &[Vec<u8>],
    replace: bool,
) -> io::Result<()> {
    use crate::scripting::functions::RestorePolicy;
    let policy = if replace {
        RestorePolicy::Replace
    } else {
        RestorePolicy::Append
    };
    server
        .functions
        .restore(libraries, policy)
        .map_err(|error| {
            log!(Warning, "Failed creating function, {error}");
            io::Error::other(error)
        })
}

/// `DEBUG LOADAOF`: flushes the AOF, empties the databases and replays the files the manifest
/// on disk lists, all under the exclusive lock (clients see the dataset before or after), as
/// Redis's does; changes since the last save start over from zero. With no file to load it is
/// an error and nothing is touched (Redis empties the data and exits). A file that fails to load
/// ends the process, as in Redis: the data is gone and the log says why.
pub fn reload_append_only_file(server: &Server, now_ms: i64) -> Result<(), CommandError> {
    let config = &server.config;
    server.write(0, now_ms, |w| {
        let aof = &server.persistence.aof;
        if aof.state() != AofState::Off {
            if let Err(error) = aof.flush_and_sync() {
                log!(Warning, "Fail to fsync the AOF file: {error}");
            }
        }
        let old_style = Path::new(&config::read(&config.appendfilename)).is_file();
        let manifest = read_manifest(config)
            .map_err(|_| CommandError::err("Error reading the AOF manifest"))?;
        if manifest.is_empty() && !old_style {
            return Err(CommandError::err("no append only file to load"));
        }
        empty_databases(server, w.databases(), now_ms);
        jobs::delete_history(server);
        if load_append_only_file(server, w).is_err() {
            std::process::exit(1);
        }
        w.clear_dirty();
        log!(Warning, "Append Only File loaded by DEBUG LOADAOF");
        Ok(())
    })
}

/// Empties every database before a load replaces them (Redis's `emptyData`): their watchers are
/// flagged and tracking clients told, as FLUSHALL does, and a save still writing the old contents
/// gets them first. The function libraries go too (the load brings its own), unlike FLUSHALL.
pub fn empty_databases(server: &Server, databases: &mut Databases, now_ms: i64) {
    server.functions.flush();
    server.tracking.invalidate_all(server);
    for index in 0..databases.count() {
        server
            .watches
            .touch_database(databases, index, None, now_ms);
        let mut old = std::mem::take(databases.db_mut(index));
        old.release_to_snapshots();
    }
}

/// Replays the files the manifest lists through `w`, as Redis's `loadAppendOnlyFiles`: the base,
/// then the incr files; a missing manifest means there is nothing to load (the RDB file is not
/// read).
fn load_append_only_file(server: &Server, w: &mut Writer) -> io::Result<()> {
    let config = &server.config;
    let dir = aof_dir(config);
    let mut manifest = read_manifest(config)?;
    upgrade_old_style_file(config, &mut manifest)?;
    *lock(&server.persistence.aof.manifest) = manifest.clone();
    if manifest.is_empty() {
        return Ok(());
    }
    let mut total = 0;
    for file in manifest.replay_order() {
        match fs::metadata(dir.join(&file.name)) {
            Ok(metadata) => total += metadata.len(),
            Err(error) => {
                log!(
                    Warning,
                    "Unable to obtain the AOF file {} length. stat: {}",
                    file.name,
                    crate::sys::os_error_text(&error)
                );
                return Err(io::Error::other(format!("missing AOF file {}", file.name)));
            }
        }
    }
    let started = Instant::now();
    if total > 0 {
        w.loading(|w| replay_all(server, w, &dir, &manifest))?;
    }
    let aof = &server.persistence.aof;
    aof.current_size.store(total, Ordering::Relaxed);
    let base_size = manifest
        .base
        .as_ref()
        .and_then(|base| fs::metadata(dir.join(&base.name)).ok())
        .map_or(0, |metadata| metadata.len());
    aof.base_size.store(base_size, Ordering::Relaxed);
    log!(
        Notice,
        "DB loaded from append only file: {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn replay_all(server: &Server, w: &mut Writer, dir: &Path, manifest: &Manifest) -> io::Result<()> {
    let files: Vec<_> = manifest.replay_order().collect();
    for (position, file) in files.iter().enumerate() {
        let last = position + 1 == files.len();
        let started = Instant::now();
        let kind = if Some(*file) == manifest.base.as_ref() {
            "base"
        } else {
            "incr"
        };
        match replay::replay_file(server, w, dir, &file.name, last) {
            Ok(Replayed::Empty) => {}
            Ok(Replayed::Complete | Replayed::Truncated) => log!(
                Notice,
                "DB loaded from {kind} file {}: {:.3} seconds",
                file.name,
                started.elapsed().as_secs_f64()
            ),
            Err(error) => {
                error.log(&file.name);
                return Err(io::Error::other(format!(
                    "can't load the append only file {}",
                    file.name
                )));
            }
        }
    }
    Ok(())
}

/// The manifest, if the AOF directory and the manifest exist; an empty one otherwise.
fn read_manifest(config: &Config) -> io::Result<Manifest> {
    let path = manifest_path(config);
    if !aof_dir(config).is_dir() {
        return Ok(Manifest::default());
    }
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Manifest::default()),
        Err(error) => {
            log!(
                Warning,
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                path.display(),
                crate::sys::os_error_text(&error)
            );
            return Err(error);
        }
    };
    Manifest::parse(&text).map_err(|error| {
        error.log();
        io::Error::other(error.reason)
    })
}

/// Redis ≤ 6 kept one `appendonly.aof` in `dir`. Finding one where no manifest takes it into
/// account, Redis 7 moves it into the AOF directory as the base; so does thredis
/// (`aofUpgradePrepare`).
fn upgrade_old_style_file(config: &Config, manifest: &mut Manifest) -> io::Result<()> {
    let name = config::read(&config.appendfilename);
    let dir = aof_dir(config);
    let old = Path::new(&name);
    if !old.is_file() {
        return Ok(());
    }
    let names_it = |m: &Manifest| m.base.as_ref().is_some_and(|base| base.name == name);
    let upgrade = !dir.is_dir()
        || manifest.is_empty()
        || (names_it(manifest) && manifest.incrs.is_empty() && !dir.join(&name).exists());
    if !upgrade {
        return Ok(());
    }
    create_aof_dir(config)?;
    *manifest = Manifest::default();
    manifest.base = Some(aof::manifest::FileInfo {
        name: name.clone(),
        seq: 1,
        kind: aof::manifest::FileKind::Base,
    });
    manifest.base_seq = 1;
    persist_manifest(config, manifest)?;
    fs::rename(old, dir.join(&name))?;
    log!(
        Notice,
        "Successfully migrated an old-style AOF file ({name}) into the AOF directory ({}).",
        dir.display()
    );
    Ok(())
}

/// Opens the AOF for writing at startup, as Redis's `aofOpenIfNeededOnServerStart`: creates the
/// directory, writes a base if there is no file at all yet (the dataset is empty then), opens the
/// last incr file or creates the first, and persists the manifest.
fn open_append_only_file(server: &Server) -> io::Result<()> {
    let config = &server.config;
    let dir = create_aof_dir(config)?;
    let name = config::read(&config.appendfilename);
    let aof = &server.persistence.aof;
    let mut manifest = lock(&aof.manifest).clone();
    if manifest.is_empty() {
        let base = manifest.new_base(&name, config.aof_use_rdb_preamble.load(Ordering::Relaxed));
        let temp = PathBuf::from(format!("temp-rewriteaof-{}.aof", std::process::id()));
        let snapshot = {
            let databases = server.keyspace.read();
            let mut snapshot = Snapshot::start(&databases, base_format(config));
            snapshot.libraries = server.functions.codes();
            snapshot
        };
        let file = write_base(server, &snapshot, &temp, &mut |f| {
            f(&server.keyspace.read())
        })
        .inspect_err(|error| {
            log!(
                Warning,
                "Write error writing append only file on disk: {}",
                crate::sys::os_error_text(error)
            )
        })?;
        let size = file.len();
        file.commit(&dir.join(&base))?;
        aof.base_size.store(size, Ordering::Relaxed);
        aof.current_size.store(size, Ordering::Relaxed);
        log!(Notice, "Creating AOF base file {base} on server start");
    }
    let (incr, created) = match manifest.incrs.last() {
        Some(last) => (last.name.clone(), false),
        None => (manifest.new_incr(&name), true),
    };
    let file = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join(&incr))
        .inspect_err(|error| {
            log!(
                Warning,
                "Can't open the append-only file {incr}: {}",
                crate::sys::os_error_text(error)
            )
        })?;
    persist_manifest(config, &manifest)?;
    let size = file.metadata()?.len();
    *lock(&aof.manifest) = manifest;
    aof.open(Arc::new(file), size, AofState::On);
    server
        .keyspace
        .switches
        .journal
        .store(true, Ordering::Relaxed);
    if created {
        log!(Notice, "Creating AOF incr file {incr} on server start");
    } else {
        log!(Notice, "Opening AOF incr file {incr} on server start");
    }
    jobs::delete_history(server);
    Ok(())
}

/// How an AOF base is written: RDB with `aof-use-rdb-preamble yes` (Redis's default), commands
/// otherwise.
pub fn base_format(config: &Config) -> Format {
    if config.aof_use_rdb_preamble.load(Ordering::Relaxed) {
        Format::Rdb {
            compress: config.rdbcompression.load(Ordering::Relaxed),
            access: rdb::SavedAccess::for_policy(config),
        }
    } else {
        Format::Aof
    }
}

/// An RDB written from a snapshot.
struct RdbSink<O> {
    writer: RdbWriter<O>,
    scratch: Vec<u8>,
}

impl<O: RdbOutput> Sink for RdbSink<O> {
    fn database(&mut self, index: usize, keys: usize, volatile: usize) -> io::Result<()> {
        self.scratch.clear();
        encode_db_header(&mut self.scratch, index, keys, volatile);
        self.writer.write(&self.scratch)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write(bytes)
    }
}

/// A base in command form.
struct CommandSink {
    file: files::TempFile,
    scratch: Vec<u8>,
}

impl Sink for CommandSink {
    fn database(&mut self, index: usize, _: usize, _: usize) -> io::Result<()> {
        self.scratch.clear();
        aof::rewrite::encode_select(&mut self.scratch, index);
        self.file.write(&self.scratch)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write(bytes)
    }
}

/// Writes `snapshot` as an RDB file in `temp`; returns it synced, for the caller to rename.
pub fn write_rdb(
    server: &Server,
    snapshot: &Snapshot,
    temp: &Path,
    aof_base: bool,
    with_databases: &mut WithDatabases,
) -> io::Result<files::TempFile> {
    let config = &server.config;
    let writer = RdbWriter::create(
        temp,
        config.rdbchecksum(),
        config.rdb_save_incremental_fsync.load(Ordering::Relaxed),
    )?;
    write_rdb_to(server, snapshot, writer, aof_base, with_databases)
}

/// Writes `snapshot` as an RDB straight into `out` (a replica's socket: a diskless sync).
pub fn stream_rdb<W: io::Write>(
    server: &Server,
    snapshot: &Snapshot,
    out: W,
    with_databases: &mut WithDatabases,
) -> io::Result<W> {
    let writer = RdbWriter::to(Streamed(out), server.config.rdbchecksum());
    Ok(write_rdb_to(server, snapshot, writer, false, with_databases)?.0)
}

/// The header, the function libraries, then the databases (as Redis's `rdbSaveRio`).
fn write_rdb_to<O: RdbOutput>(
    server: &Server,
    snapshot: &Snapshot,
    writer: RdbWriter<O>,
    aof_base: bool,
    with_databases: &mut WithDatabases,
) -> io::Result<O> {
    let config = &server.config;
    let mut header = Vec::new();
    encode_header(
        &mut header,
        aof_base,
        clock::now_ms(),
        crate::memory::resident_bytes(),
        snapshot.replication.as_ref(),
    );
    let compress = config.rdbcompression.load(Ordering::Relaxed);
    rdb::functions::encode(&mut header, &snapshot.libraries, compress);
    let mut sink = RdbSink {
        writer,
        scratch: Vec::new(),
    };
    sink.writer.write(&header)?;
    snapshot.write(with_databases, &mut sink)?;
    sink.writer.finish()
}

/// Writes `snapshot` as an AOF base in `temp` (RDB or commands, as `aof-use-rdb-preamble`
/// says); returns it synced.
pub fn write_base(
    server: &Server,
    snapshot: &Snapshot,
    temp: &Path,
    with_databases: &mut WithDatabases,
) -> io::Result<files::TempFile> {
    if base_format(&server.config) != Format::Aof {
        return write_rdb(server, snapshot, temp, true, with_databases);
    }
    let incremental = server
        .config
        .aof_rewrite_incremental_fsync
        .load(Ordering::Relaxed);
    let mut sink = CommandSink {
        file: files::TempFile::create(temp, incremental)?,
        scratch: Vec::new(),
    };
    // Redis starts a rewritten base with the second it began.
    if server.config.aof_timestamp_enabled.load(Ordering::Relaxed) {
        let annotation = format!("#TS:{}\r\n", clock::now_ms() / 1000);
        sink.file.write(annotation.as_bytes())?;
    }
    let mut libraries = Vec::new();
    aof::rewrite::encode_libraries(&mut libraries, &snapshot.libraries);
    sink.file.write(&libraries)?;
    snapshot.write(with_databases, &mut sink)?;
    Ok(sink.file)
}

/// A save (or shutdown) that did not happen; why has been logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveFailed;

/// What SHUTDOWN asked for about saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOnExit {
    /// Save if save points are configured (plain SHUTDOWN, SIGTERM).
    Default,
    Save,
    NoSave,
}

impl SaveOnExit {
    /// From `shutdown-on-sigint`/`-sigterm`'s flags (`save`, `nosave`; `now` and `force` are
    /// not about saving).
    pub fn from_flags(flags: i64) -> SaveOnExit {
        use crate::config::params::{SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};
        if flags & SHUTDOWN_SAVE != 0 {
            SaveOnExit::Save
        } else if flags & SHUTDOWN_NOSAVE != 0 {
            SaveOnExit::NoSave
        } else {
            SaveOnExit::Default
        }
    }
}

/// How this server loads an RDB file: with its checksum setting and encoding limits, expired
/// keys dropped, a key found twice a damaged file. Callers change what their case needs.
pub fn load_options(server: &Server, now_ms: i64) -> LoadOptions {
    LoadOptions {
        now_ms,
        keep_expired: false,
        record_expired: false,
        verify_checksum: server.verify_rdb_checksum(),
        replace_existing: false,
        hash_limits: server.config.hash_limits(),
        set_limits: server.config.set_limits(),
        zset_limits: server.config.zset_limits(),
        // Files are always checked deeply: stricter than Redis, which does it only with
        // `sanitize-dump-payload yes`, and a load happens once (RESTORE chooses per payload).
        integrity: rdb::compact::Integrity::Deep,
    }
}

/// Everything Redis's `prepareForShutdown` does with the data, with the keyspace held
/// exclusively by the caller so no write can be acknowledged after the final save: stop any
/// background save or rewrite, flush and sync the AOF, save the RDB file when asked to (or when
/// save points are set). `force` exits even if saving fails. Returns the reason not to exit.
pub fn prepare_shutdown(
    server: &Server,
    databases: &mut Databases,
    save: SaveOnExit,
    force: bool,
) -> Result<(), SaveFailed> {
    prepare_unsaved_shutdown(server, force)?;
    let wanted = match save {
        SaveOnExit::Save => true,
        SaveOnExit::NoSave => false,
        SaveOnExit::Default => !config::read(&server.config.save).is_empty(),
    };
    if !wanted {
        return Ok(());
    }
    log!(Notice, "Saving the final RDB snapshot before exiting.");
    crate::process::tell_systemd("STATUS=Saving the final RDB snapshot\n");
    match jobs::save_now(server, databases) {
        Ok(()) => Ok(()),
        Err(SaveFailed) if force => {
            log!(Warning, "Error trying to save the DB. Exit anyway.");
            Ok(())
        }
        Err(SaveFailed) => {
            log!(Warning, "Error trying to save the DB, can't exit.");
            crate::process::tell_systemd("STATUS=Error trying to save the DB, can't exit.\n");
            Err(SaveFailed)
        }
    }
}

/// The part of [`prepare_shutdown`] that needs no access to the data: stop any background save
/// or rewrite, flush and sync the AOF. `SHUTDOWN NOSAVE` runs only this while a timed-out script
/// holds the keyspace (Redis's way to "kill the server in a hard way").
pub fn prepare_unsaved_shutdown(server: &Server, force: bool) -> Result<(), SaveFailed> {
    server.persistence.jobs.abort_all(server);
    let aof = &server.persistence.aof;
    match aof.state() {
        AofState::Off => {}
        AofState::WaitRewrite if !force => {
            log!(Warning, "Writing initial AOF, can't exit.");
            return Err(SaveFailed);
        }
        AofState::WaitRewrite => log!(Warning, "Writing initial AOF. Exit anyway."),
        AofState::On => {
            log!(Notice, "Calling fsync() on the AOF file.");
            if let Err(error) = aof.flush_and_sync() {
                log!(Warning, "Fail to fsync the AOF file: {error}");
            }
        }
    }
    Ok(())
}

/// `CONFIG SET appendonly yes|no` takes effect: turning the AOF on starts a rewrite (which
/// writes the first base), turning it off flushes and closes it. Returns Redis's error if the
/// AOF cannot be turned on.
pub fn apply_config(server: &Server, in_exec: bool) -> Result<(), String> {
    let wanted = server.config.appendonly.load(Ordering::Relaxed);
    let aof = &server.persistence.aof;
    match (wanted, aof.state()) {
        (false, AofState::Off) | (true, AofState::On | AofState::WaitRewrite) => Ok(()),
        (false, _) => {
            jobs::stop_append_only(server);
            Ok(())
        }
        (true, AofState::Off) => jobs::start_append_only(server, in_exec),
    }
}

/// The `# Persistence` section of INFO, with Redis's fields in Redis's order.
pub fn info(server: &Server, dirty: u64) -> String {
    let persistence = &server.persistence;
    let rdb = &persistence.rdb;
    let aof = &persistence.aof;
    let jobs = persistence.jobs.status();
    let now_s = clock::now_ms() / 1000;
    let mut text = String::new();
    let mut field = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(text, "{name}:{value}\r\n");
    };
    field("loading", &0);
    field("async_loading", &0);
    field("current_cow_peak", &jobs.cow_peak);
    field("current_cow_size", &jobs.cow_bytes);
    field("current_cow_size_age", &0);
    field("current_fork_perc", &format!("{:.2}", jobs.percent_done));
    field("current_save_keys_processed", &jobs.keys_done);
    field("current_save_keys_total", &jobs.keys_total);
    field("rdb_changes_since_last_save", &dirty);
    field(
        "rdb_bgsave_in_progress",
        &u8::from(
            jobs.bgsave_since.is_some() || server.replication.replicas.snapshot_in_progress(),
        ),
    );
    field("rdb_last_save_time", &rdb.last_save.load(Ordering::Relaxed));
    field(
        "rdb_last_bgsave_status",
        &ok_or_err(rdb.last_bgsave_ok.load(Ordering::Relaxed)),
    );
    field(
        "rdb_last_bgsave_time_sec",
        &rdb.last_bgsave_seconds.load(Ordering::Relaxed),
    );
    field(
        "rdb_current_bgsave_time_sec",
        &jobs.bgsave_since.map_or(-1, |since| now_s - since),
    );
    field("rdb_saves", &rdb.saves.load(Ordering::Relaxed));
    field(
        "rdb_last_cow_size",
        &rdb.last_cow_bytes.load(Ordering::Relaxed),
    );
    field(
        "rdb_last_load_keys_expired",
        &rdb.last_load_expired.load(Ordering::Relaxed),
    );
    field(
        "rdb_last_load_keys_loaded",
        &rdb.last_load_keys.load(Ordering::Relaxed),
    );
    field("aof_enabled", &u8::from(aof.state() != AofState::Off));
    field(
        "aof_rewrite_in_progress",
        &u8::from(jobs.rewrite_since.is_some()),
    );
    field("aof_rewrite_scheduled", &u8::from(jobs.rewrite_scheduled));
    field("aof_last_rewrite_time_sec", &jobs.last_rewrite_seconds);
    field(
        "aof_current_rewrite_time_sec",
        &jobs.rewrite_since.map_or(-1, |since| now_s - since),
    );
    field(
        "aof_last_bgrewrite_status",
        &ok_or_err(jobs.last_rewrite_ok),
    );
    field("aof_rewrites", &jobs.rewrites);
    field("aof_rewrites_consecutive_failures", &jobs.rewrite_failures);
    field("aof_last_write_status", &ok_or_err(aof.error().is_none()));
    field("aof_last_cow_size", &jobs.last_rewrite_cow);
    field("module_fork_in_progress", &0);
    field("module_fork_last_cow_size", &0);
    if server.config.appendonly.load(Ordering::Relaxed) {
        field(
            "aof_current_size",
            &aof.current_size.load(Ordering::Relaxed),
        );
        field("aof_base_size", &aof.base_size.load(Ordering::Relaxed));
        field("aof_pending_rewrite", &u8::from(jobs.rewrite_scheduled));
        field("aof_buffer_length", &aof.pending());
        field("aof_pending_bio_fsync", &0);
        field(
            "aof_delayed_fsync",
            &aof.delayed_fsyncs.load(Ordering::Relaxed),
        );
    }
    text
}

fn ok_or_err(ok: bool) -> &'static str {
    if ok { "ok" } else { "err" }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
