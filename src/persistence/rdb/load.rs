//! Loading an RDB file into the databases: at startup, for `DEBUG RELOAD`, and for the RDB base
//! of an append-only file. (Stages 9–13: read keys, values and expiry times from the course's
//! files, which are RDB version 11.)
//!
//! The file is read as a stream, its CRC-64 computed on the way and checked against the trailer.
//! Nothing a damaged file says is trusted: declared lengths never size an allocation up front,
//! and every failure is a [`LoadError`] that names the problem, logged with Redis's words before
//! the server refuses to start. A file thredis cannot represent (module data, functions) is
//! refused too: starting without that data would lose it silently. Streams are read in
//! [`super::stream`].

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use super::compact::Integrity;
use super::{
    AccessHints, CONTAINER_PACKED, CONTAINER_PLAIN, MAX_READ_VERSION, ReplicationInfo, compact,
    opcodes, special, types,
};
use crate::keyspace::{Bytes, Databases, Hash, List, Set, Ttl, Value, ZSet, hash, set, zset};
use crate::log;
use crate::number::IntBuf;
use crate::persistence::{crc64, lzf};

/// How a load treats what it finds.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Unix milliseconds: keys whose expiry time is before this are dropped (a master's rule).
    pub now_ms: i64,
    /// Keep keys that have already expired: the RDB base of an append-only file, whose
    /// commands assume exactly the keyspace the base describes.
    pub keep_expired: bool,
    /// Name the keys dropped for having expired ([`Loaded::expired_keys`]): a master restarted
    /// with a replication history streams their `DEL`s, so its replicas drop them too.
    pub record_expired: bool,
    /// `rdbchecksum`: check the CRC-64 trailer.
    pub verify_checksum: bool,
    /// `DEBUG RELOAD MERGE`: a key already present is replaced instead of being fatal.
    pub replace_existing: bool,
    /// When a loaded hash or set is reported as a compact encoding (`hash-max-listpack-*`,
    /// `set-max-intset-entries`): by the running configuration, whatever encoding the file
    /// used, as Redis converts on load.
    pub hash_limits: hash::Limits,
    pub set_limits: set::Limits,
    pub zset_limits: zset::Limits,
    /// How closely compact encodings are checked (see [`Integrity`]); a repeated field or member
    /// in one is damage only when `Deep`, merged otherwise. (Plain encodings are always checked
    /// for repeats, as Redis's loader always does.)
    pub integrity: Integrity,
}

/// What a successful load found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub keys: u64,
    pub expired: u64,
    pub empty_skipped: u64,
    /// The code of each function library the file holds (`FUNCTION2` records, see
    /// [`super::functions`]): the caller adds them to the server's libraries.
    pub libraries: Vec<Vec<u8>>,
    /// The replication history the file was saved at, if it names one whole.
    pub replication: Option<ReplicationInfo>,
    /// (database, key) of each key dropped as expired, when [`LoadOptions::record_expired`].
    pub expired_keys: Vec<(usize, Vec<u8>)>,
}

/// Why a file could not be loaded. [`LoadError::log`] writes Redis's lines for it.
#[derive(Debug)]
pub enum LoadError {
    /// The file exists but cannot be read.
    Io(io::Error),
    BadSignature,
    BadVersion(u32),
    /// The file ends before its end.
    ShortRead {
        offset: u64,
    },
    /// The bytes do not make sense: what is wrong, and where.
    Corrupt {
        offset: u64,
        reason: String,
    },
    Checksum {
        expected: u64,
        found: u64,
    },
    TooManyDatabases {
        limit: usize,
    },
    DuplicateKey {
        key: Vec<u8>,
        db: usize,
    },
    /// Data of a kind thredis does not have (`module`, `functions`).
    Unsupported {
        kind: &'static str,
        key: Option<Vec<u8>>,
    },
}

impl LoadError {
    /// Logs the failure as Redis does (rdb.c's messages), ending with the line that says the
    /// server will not start.
    pub fn log(&self) {
        let internal = |offset: &u64, reason: &str| {
            log!(Warning, "{}", internal_error(*offset, reason));
            log!(
                Warning,
                "Terminating server after rdb file reading failure."
            );
        };
        match self {
            LoadError::Io(error) => log!(
                Warning,
                "Fatal error loading the DB: {}. Exiting.",
                crate::sys::os_error_text(error)
            ),
            LoadError::BadSignature => {
                log!(Warning, "Wrong signature trying to load DB from file");
                log!(
                    Warning,
                    "Fatal error loading the DB: Invalid argument. Exiting."
                );
            }
            LoadError::BadVersion(version) => {
                log!(Warning, "Can't handle RDB format version {version}");
                log!(
                    Warning,
                    "Fatal error loading the DB: Invalid argument. Exiting."
                );
            }
            LoadError::ShortRead { offset } => {
                log!(
                    Warning,
                    "Short read or OOM loading DB. Unrecoverable error, aborting now."
                );
                internal(offset, "Unexpected EOF reading RDB file");
            }
            LoadError::Corrupt { offset, reason } => internal(offset, reason),
            LoadError::Checksum { expected, found } => {
                log!(
                    Warning,
                    "Wrong RDB checksum expected: ({expected:x}) but got ({found:x}). Aborting now."
                );
                log!(
                    Warning,
                    "Terminating server after rdb file reading failure."
                );
            }
            LoadError::TooManyDatabases { limit } => log!(
                Warning,
                "FATAL: Data file was created with a Redis server configured to handle more than {limit} databases. Exiting"
            ),
            LoadError::DuplicateKey { key, db } => {
                log!(
                    Warning,
                    "RDB has duplicated key '{}' in DB {db}",
                    String::from_utf8_lossy(key)
                );
                log!(Warning, "Duplicated key found in RDB file");
            }
            LoadError::Unsupported { kind, key } => {
                let what = match key {
                    Some(key) => format!("a {kind} (key '{}')", String::from_utf8_lossy(key)),
                    None => kind.to_string(),
                };
                log!(
                    Warning,
                    "The RDB file holds {what}, which thredis does not support: refusing to start rather than lose it."
                );
            }
        }
    }

    /// Redis's `rdbReportError` line for damage (RESTORE logs it instead of refusing to start),
    /// or the [`LoadError::summary`] of any other failure.
    pub fn describe(&self) -> String {
        match self {
            LoadError::ShortRead { offset } => {
                internal_error(*offset, "Unexpected EOF reading RDB file")
            }
            LoadError::Corrupt { offset, reason } => internal_error(*offset, reason),
            other => other.summary(),
        }
    }

    /// One line saying what went wrong, for the error `main` prints.
    pub fn summary(&self) -> String {
        match self {
            LoadError::Io(error) => format!("can't read the RDB file: {error}"),
            LoadError::BadSignature => "the RDB file has a wrong signature".into(),
            LoadError::BadVersion(v) => format!("can't handle RDB format version {v}"),
            LoadError::ShortRead { .. } => "short read loading the RDB file".into(),
            LoadError::Corrupt { reason, .. } => format!("corrupt RDB file: {reason}"),
            LoadError::Checksum { .. } => "wrong RDB checksum".into(),
            LoadError::TooManyDatabases { .. } => {
                "the RDB file has more databases than configured".into()
            }
            LoadError::DuplicateKey { .. } => "duplicated key in the RDB file".into(),
            LoadError::Unsupported { kind, .. } => {
                format!("the RDB file holds a {kind}, which thredis does not support")
            }
        }
    }
}

/// What Redis's `rdbReportError` logs for damage at `offset`.
fn internal_error(offset: u64, reason: &str) -> String {
    format!("Internal error in RDB reading offset {offset}, function at rdb/load.rs -> {reason}")
}

type Result<T> = std::result::Result<T, LoadError>;

/// Loads `path` into `databases`. `Ok(None)`: there is no such file (an empty dataset, not an
/// error).
pub fn load_file(
    path: &Path,
    databases: &mut Databases,
    options: LoadOptions,
) -> Result<Option<Loaded>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(LoadError::Io(error)),
    };
    load(BufReader::with_capacity(1 << 16, file), databases, options).map(Some)
}

/// Loads an RDB stream into `databases`.
pub fn load(
    reader: impl BufRead,
    databases: &mut Databases,
    options: LoadOptions,
) -> Result<Loaded> {
    Loader {
        input: Input {
            inner: reader,
            crc: 0,
            offset: 0,
        },
        options,
        loaded: Loaded::default(),
    }
    .run(databases)
}

/// Reads one value of RDB type `kind` from the start of `bytes`, as Redis's `rdbLoadObject`
/// reads a DUMP payload (RESTORE): `key` only names it in errors. Bytes after the value are
/// not looked at. `Ok(None)`: an empty collection, which Redis refuses to restore.
pub fn decode_value(
    kind: u8,
    bytes: &[u8],
    key: &[u8],
    options: LoadOptions,
) -> Result<Option<Value>> {
    let mut loader = Loader {
        input: Input {
            inner: bytes,
            crc: 0,
            offset: 0,
        },
        options,
        loaded: Loaded::default(),
    };
    match kind {
        opcodes::FUNCTION2..=opcodes::EOF => Err(loader
            .input
            .corrupt(format!("Unknown RDB encoding type {kind}"))),
        _ => loader.value(kind, key),
    }
}

/// The file, with the checksum of everything read so far. (`super::stream` reads streams
/// through it too.)
pub(super) struct Input<R> {
    inner: R,
    crc: u64,
    offset: u64,
}

/// Buffers grow by at most this much ahead of the bytes that actually arrived, so a damaged
/// length cannot make the loader allocate gigabytes.
const GROWTH: usize = 1 << 20;

impl<'a> Input<&'a [u8]> {
    /// Reads records from memory (a FUNCTION DUMP payload, see `super::functions`).
    pub(super) fn of_bytes(bytes: &'a [u8]) -> Input<&'a [u8]> {
        Input {
            inner: bytes,
            crc: 0,
            offset: 0,
        }
    }
}

impl<R: BufRead> Input<R> {
    /// How many bytes were read.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        let mut done = 0;
        while done < out.len() {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(LoadError::Io(error)),
            };
            if available.is_empty() {
                return Err(LoadError::ShortRead {
                    offset: self.offset + done as u64,
                });
            }
            let n = available.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&available[..n]);
            self.inner.consume(n);
            done += n;
        }
        self.crc = crc64::update(self.crc, out);
        self.offset += out.len() as u64;
        Ok(())
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }

    pub(super) fn byte(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        let len = usize::try_from(len).map_err(|_| self.corrupt("length beyond memory"))?;
        let mut out = Vec::with_capacity(len.min(GROWTH));
        while out.len() < len {
            let start = out.len();
            out.resize(start + (len - start).min(GROWTH), 0);
            self.fill(&mut out[start..])?;
        }
        Ok(out)
    }

    pub(super) fn corrupt(&self, reason: impl Into<String>) -> LoadError {
        LoadError::Corrupt {
            offset: self.offset,
            reason: reason.into(),
        }
    }

    /// An RDB length (see the module documentation of `rdb`).
    pub(super) fn length(&mut self) -> Result<u64> {
        match self.length_or_special()? {
            Length::Plain(len) => Ok(len),
            Length::Special(kind) => {
                Err(self.corrupt(format!("Unknown length encoding {kind} in rdbLoadLen()")))
            }
        }
    }

    fn length_or_special(&mut self) -> Result<Length> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Length::Plain(u64::from(first & 0x3F)),
            1 => Length::Plain(u64::from(first & 0x3F) << 8 | u64::from(self.byte()?)),
            3 => Length::Special(first & 0x3F),
            _ => match first {
                0x80 => Length::Plain(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Length::Plain(u64::from_be_bytes(self.array()?)),
                other => {
                    return Err(self.corrupt(format!(
                        "Unknown length encoding {} in rdbLoadLen()",
                        other >> 6
                    )));
                }
            },
        })
    }

    /// An RDB string: raw, an integer, or LZF-compressed.
    pub(super) fn string(&mut self) -> Result<Vec<u8>> {
        let kind = match self.length_or_special()? {
            Length::Plain(len) => return self.bytes(len),
            Length::Special(kind) => kind,
        };
        let integer = match kind {
            special::INT8 => i64::from(self.byte()? as i8),
            special::INT16 => i64::from(i16::from_le_bytes(self.array()?)),
            special::INT32 => i64::from(i32::from_le_bytes(self.array()?)),
            special::LZF => {
                let compressed_len = self.length()?;
                let len = self.length()?;
                let compressed = self.bytes(compressed_len)?;
                // No LZF stream expands more than 88 times (264 bytes from a 3-byte reference):
                // a larger claim is damage, refused before it becomes an allocation.
                if len > compressed_len.saturating_mul(88).saturating_add(32) {
                    return Err(self.corrupt("Invalid LZF compressed string"));
                }
                return lzf::decompress(&compressed, len as usize)
                    .map_err(|_| self.corrupt("Invalid LZF compressed string"));
            }
            other => {
                return Err(self.corrupt(format!("Unknown RDB string encoding type {other}")));
            }
        };
        Ok(IntBuf::new().format(integer).to_vec())
    }

    fn bytes_string(&mut self) -> Result<Bytes> {
        self.string().map(Bytes::from)
    }

    /// A double in RDB's old text form (`RDB_TYPE_ZSET`): a length byte, then that many
    /// characters, with 253, 254 and 255 standing for NaN, +inf and -inf.
    fn text_double(&mut self) -> Result<f64> {
        match self.byte()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            len => {
                let text = self.bytes(u64::from(len))?;
                std::str::from_utf8(&text)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| self.corrupt("Invalid double value"))
            }
        }
    }
}

enum Length {
    Plain(u64),
    /// `11xxxxxx`: one of the [`special`] string encodings.
    Special(u8),
}

struct Loader<R> {
    input: Input<R>,
    options: LoadOptions,
    loaded: Loaded,
}

/// At most this many empty keys are reported one by one (Redis's limit).
const EMPTY_KEYS_LOGGED: u64 = 10;

impl<R: BufRead> Loader<R> {
    fn run(mut self, databases: &mut Databases) -> Result<Loaded> {
        let mut repl_fields = ReplicationFields::default();
        let magic: [u8; 9] = self.input.array()?;
        if &magic[..5] != b"REDIS" {
            return Err(LoadError::BadSignature);
        }
        let version = std::str::from_utf8(&magic[5..])
            .ok()
            .and_then(|digits| digits.parse::<u32>().ok())
            .unwrap_or(0);
        if !(1..=MAX_READ_VERSION).contains(&version) {
            return Err(LoadError::BadVersion(version));
        }

        let mut db = 0;
        let mut expires_at = None;
        let mut access = AccessHints::default();
        loop {
            let kind = self.input.byte()?;
            match kind {
                opcodes::EXPIRETIME_MS => {
                    expires_at = Some(i64::from_le_bytes(self.input.array()?));
                }
                opcodes::EXPIRETIME => {
                    let seconds = i32::from_le_bytes(self.input.array()?);
                    expires_at = Some(i64::from(seconds) * 1000);
                }
                opcodes::FREQ => {
                    access.frequency = Some(self.input.byte()?);
                }
                opcodes::IDLE => {
                    access.idle_seconds = Some(self.input.length()?);
                }
                opcodes::EOF => break,
                opcodes::SELECTDB => {
                    let index = self.input.length()?;
                    if index >= databases.count() as u64 {
                        return Err(LoadError::TooManyDatabases {
                            limit: databases.count(),
                        });
                    }
                    db = index as usize;
                }
                opcodes::RESIZEDB => {
                    self.input.length()?;
                    self.input.length()?;
                }
                opcodes::AUX => {
                    let name = self.input.string()?;
                    let value = self.input.string()?;
                    log_aux_field(&name, &value, self.options.now_ms);
                    repl_fields.take(&name, &value);
                }
                opcodes::MODULE_AUX => {
                    return Err(LoadError::Unsupported {
                        kind: "module",
                        key: None,
                    });
                }
                opcodes::FUNCTION2 => {
                    let code = self.input.string()?;
                    self.loaded.libraries.push(code);
                }
                opcodes::FUNCTION_PRE_GA => {
                    return Err(LoadError::Unsupported {
                        kind: "function library",
                        key: None,
                    });
                }
                _ => {
                    let key = self.input.string()?;
                    let value = self.value(kind, &key)?;
                    let stored = (expires_at.take(), std::mem::take(&mut access));
                    self.store(databases, db, key, value, stored)?;
                }
            }
        }

        if version >= 5 {
            let expected = self.input.crc;
            let found = u64::from_le_bytes(self.input.array()?);
            if self.options.verify_checksum {
                if found == 0 {
                    log!(
                        Warning,
                        "RDB file was saved with checksum disabled: no check performed."
                    );
                } else if found != expected {
                    return Err(LoadError::Checksum { expected, found });
                }
            }
        }
        self.loaded.replication = repl_fields.whole();
        let Loaded {
            keys,
            expired,
            empty_skipped,
            ..
        } = self.loaded;
        if empty_skipped > 0 {
            log!(
                Warning,
                "Done loading RDB, keys loaded: {keys}, keys expired: {expired}, empty keys skipped: {empty_skipped}."
            );
        } else {
            log!(
                Notice,
                "Done loading RDB, keys loaded: {keys}, keys expired: {expired}."
            );
        }
        Ok(self.loaded)
    }

    /// Adds a key as Redis's loader does: an empty collection is skipped, an expired key is
    /// dropped (unless this is an AOF base), a duplicate is fatal. `expires_at` and `access`:
    /// what the opcodes before the key said.
    fn store(
        &mut self,
        databases: &mut Databases,
        db: usize,
        key: Vec<u8>,
        value: Option<Value>,
        (expires_at, access): (Option<i64>, AccessHints),
    ) -> Result<()> {
        let Some(value) = value else {
            self.loaded.empty_skipped += 1;
            if self.loaded.empty_skipped <= EMPTY_KEYS_LOGGED {
                log!(
                    Warning,
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                );
            }
            return Ok(());
        };
        let now_ms = self.options.now_ms;
        if !self.options.keep_expired && expires_at.is_some_and(|at| at < now_ms) {
            self.loaded.expired += 1;
            if self.options.record_expired {
                self.loaded.expired_keys.push((db, key));
            }
            return Ok(());
        }
        let target = databases.db_mut(db);
        // An expiry far in the past must still count as present: look with the earliest clock.
        if target.get(&key, i64::MIN).is_some() {
            if !self.options.replace_existing {
                return Err(LoadError::DuplicateKey { key, db });
            }
            target.remove(&key);
        }
        let ttl = expires_at.map_or(Ttl::Clear, Ttl::At);
        target.set(&key, value, ttl, now_ms);
        if let Some(entry) = target.get_mut_unchecked(&key) {
            access.apply(entry, now_ms);
        }
        self.loaded.keys += 1;
        Ok(())
    }

    /// Reads a value of RDB type `kind`. `None`: an empty collection, which Redis never keeps.
    fn value(&mut self, kind: u8, key: &[u8]) -> Result<Option<Value>> {
        let unsupported = |kind| {
            Err(LoadError::Unsupported {
                kind,
                key: Some(key.to_vec()),
            })
        };
        let value = match kind {
            types::STRING => Value::string(&self.input.string()?),
            types::LIST => {
                let items = self.strings()?;
                list(items)
            }
            types::SET => {
                let members = self.strings()?;
                self.set(members, Some("Duplicate set members detected"))?
            }
            types::HASH => {
                let count = self.input.length()?;
                let mut pairs = Vec::with_capacity(count.min(1024) as usize);
                for _ in 0..count {
                    pairs.push((self.input.bytes_string()?, self.input.bytes_string()?));
                }
                self.hash(pairs, Some("Duplicate hash fields detected"))?
            }
            types::HASH_ZIPMAP => {
                let blob = self.input.string()?;
                let pairs = self.compact(compact::zipmap(&blob))?;
                self.hash(pairs, Some("Hash zipmap with dup elements"))?
            }
            types::LIST_ZIPLIST => {
                let blob = self.input.string()?;
                let what = "List ziplist integrity check failed.";
                list(self.compact(compact::ziplist(&blob, what))?)
            }
            types::SET_INTSET => {
                let blob = self.input.string()?;
                let members = self.compact(compact::intset(&blob, self.options.integrity))?;
                self.set(members, self.if_deep("Intset integrity check failed."))?
            }
            types::SET_LISTPACK => {
                let blob = self.input.string()?;
                let what = "Set listpack integrity check failed.";
                let members =
                    self.compact(compact::listpack(&blob, what, self.options.integrity))?;
                self.set(members, self.if_deep(what))?
            }
            types::HASH_ZIPLIST => {
                let blob = self.input.string()?;
                let what = "Hash ziplist integrity check failed.";
                let items = self.compact(compact::ziplist(&blob, what))?;
                let pairs = self.compact(compact::pairs(items, what))?;
                self.hash(pairs, Some(what))?
            }
            types::HASH_LISTPACK => {
                let blob = self.input.string()?;
                let what = "Hash listpack integrity check failed.";
                let items = self.compact(compact::listpack(&blob, what, self.options.integrity))?;
                let pairs = self.compact(compact::pairs(items, what))?;
                // Past `hash-max-listpack-*` Redis converts the listpack to a hash table, where
                // a repeated field is damage whatever the check (`hashTypeConvertListpack`).
                let limits = self.options.hash_limits;
                let converted = pairs.len() > limits.max_entries
                    || pairs
                        .iter()
                        .any(|(f, v)| f.len().max(v.len()) > limits.max_value);
                let duplicate = self
                    .if_deep(what)
                    .or(converted.then_some("Hash listpack with dup elements"));
                self.hash(pairs, duplicate)?
            }
            types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
                list(self.quicklist(kind == types::LIST_QUICKLIST_2)?)
            }
            types::ZSET | types::ZSET_2 => {
                let count = self.input.length()?;
                let mut members = Vec::with_capacity(count.min(1024) as usize);
                for _ in 0..count {
                    let member = self.input.bytes_string()?;
                    let score = if kind == types::ZSET_2 {
                        f64::from_le_bytes(self.input.array()?)
                    } else {
                        self.input.text_double()?
                    };
                    members.push((member, score));
                }
                self.zset(members, false, Some("Duplicate zset fields detected"))?
            }
            types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
                let blob = self.input.string()?;
                let what = if kind == types::ZSET_ZIPLIST {
                    "Zset ziplist integrity check failed."
                } else {
                    "Zset listpack integrity check failed."
                };
                let items = if kind == types::ZSET_ZIPLIST {
                    self.compact(compact::ziplist(&blob, what))?
                } else {
                    self.compact(compact::listpack(&blob, what, self.options.integrity))?
                };
                let pairs = self.compact(compact::pairs(items, what))?;
                let mut members = Vec::with_capacity(pairs.len());
                for (member, score) in pairs {
                    let score =
                        crate::number::parse_f64(&score).ok_or_else(|| self.input.corrupt(what))?;
                    members.push((member, score));
                }
                // Repeats in a ziplist are always damage (see `compact::ziplist`).
                let checked = kind == types::ZSET_ZIPLIST || self.options.integrity.is_deep();
                self.zset(members, true, checked.then_some(what))?
            }
            types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 | types::STREAM_LISTPACKS_3 => {
                Value::stream(super::stream::load(&mut self.input, kind)?)
            }
            types::MODULE | types::MODULE_2 => return unsupported("module value"),
            other => {
                return Err(self
                    .input
                    .corrupt(format!("Unknown RDB encoding type {other}")));
            }
        };
        Ok((!value.is_empty_collection()).then_some(value))
    }

    /// A length, then that many strings.
    fn strings(&mut self) -> Result<Vec<Bytes>> {
        let count = self.input.length()?;
        let mut items = Vec::with_capacity(count.min(1024) as usize);
        for _ in 0..count {
            items.push(self.input.bytes_string()?);
        }
        Ok(items)
    }

    /// A quicklist: a count of nodes, each a ziplist (version 1) or, in version 2, a container
    /// kind then a listpack (packed) or a single element (plain).
    fn quicklist(&mut self, version_2: bool) -> Result<Vec<Bytes>> {
        let nodes = self.input.length()?;
        let mut items = Vec::new();
        for _ in 0..nodes {
            let container = if version_2 {
                self.input.length()?
            } else {
                CONTAINER_PACKED
            };
            if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
                return Err(self.input.corrupt("Quicklist integrity check failed."));
            }
            let blob = self.input.string()?;
            if blob.is_empty() {
                return Err(self.input.corrupt("Quicklist integrity check failed."));
            }
            if container == CONTAINER_PLAIN {
                items.push(Bytes::from(blob));
            } else if version_2 {
                let what = "Listpack integrity check failed.";
                items.extend(self.compact(compact::listpack(
                    &blob,
                    what,
                    self.options.integrity,
                ))?);
            } else {
                let what = "Ziplist integrity check failed.";
                items.extend(self.compact(compact::ziplist(&blob, what))?);
            }
        }
        Ok(items)
    }

    /// `what` as the error for repeats in a compact encoding, if they are checked (a deep check).
    fn if_deep(&self, what: &'static str) -> Option<&'static str> {
        self.options.integrity.is_deep().then_some(what)
    }

    /// A set from its members; duplicates mean the file is damaged, with the error `duplicate`
    /// (`None`: they are merged).
    fn set(&self, members: Vec<Bytes>, duplicate: Option<&'static str>) -> Result<Value> {
        let count = members.len();
        let mut set = Set::new();
        for member in &members {
            set.insert(member, self.options.set_limits);
        }
        if let Some(duplicate) = duplicate.filter(|_| set.len() != count) {
            return Err(self.input.corrupt(duplicate));
        }
        Ok(Value::set(set))
    }

    /// A hash from its pairs; a repeated field means the file is damaged (as for [`Loader::set`]).
    fn hash(&self, pairs: Vec<(Bytes, Bytes)>, duplicate: Option<&'static str>) -> Result<Value> {
        let count = pairs.len();
        let mut hash = Hash::new();
        for (field, value) in &pairs {
            hash.insert(field, value, self.options.hash_limits);
        }
        if let Some(duplicate) = duplicate.filter(|_| hash.len() != count) {
            return Err(self.input.corrupt(duplicate));
        }
        Ok(Value::hash(hash))
    }

    /// A sorted set from its members; a repeated member or a NaN score means damage. Encoded
    /// as Redis leaves it after loading: a listpack from the file stays one while it has at most
    /// `zset-max-listpack-entries` members (whatever their length, as in Redis 7.0); any other
    /// set is a listpack if it fits one.
    fn zset(
        &self,
        members: Vec<(Bytes, f64)>,
        from_listpack: bool,
        duplicate: Option<&'static str>,
    ) -> Result<Value> {
        let limits = self.options.zset_limits;
        let count = members.len();
        // Built as a listpack only if the file had one; otherwise as a skiplist, shrunk below.
        let mut zset = if from_listpack {
            ZSet::new()
        } else {
            ZSet::with_hint(usize::MAX, 0, limits)
        };
        let insert_limits = zset::Limits {
            max_value: usize::MAX,
            ..limits
        };
        for (member, score) in &members {
            if score.is_nan() {
                return Err(self.input.corrupt("Zset with NAN score detected"));
            }
            zset.insert(member, *score, insert_limits);
        }
        if let Some(duplicate) = duplicate.filter(|_| zset.len() != count) {
            return Err(self.input.corrupt(duplicate));
        }
        if !from_listpack {
            zset.shrink_if_fits(limits);
        }
        Ok(Value::zset(zset))
    }

    fn compact<T>(&self, decoded: std::result::Result<T, compact::Corrupt>) -> Result<T> {
        decoded.map_err(|compact::Corrupt(reason)| self.input.corrupt(reason))
    }
}

fn list(items: Vec<Bytes>) -> Value {
    Value::list(items.into_iter().collect::<List>())
}

/// The replication AUX fields as they are read; they count only if all three are there and
/// valid (Redis's `loadDataFromDisk` checks `repl_id_is_set`, offset and db not -1).
#[derive(Default)]
struct ReplicationFields {
    stream_db: Option<usize>,
    replid: Option<String>,
    offset: Option<i64>,
}

impl ReplicationFields {
    fn take(&mut self, name: &[u8], value: &[u8]) {
        let number = || crate::number::parse_i64(value).filter(|&n| n >= 0);
        match name {
            b"repl-stream-db" => self.stream_db = number().map(|n| n as usize),
            b"repl-offset" => self.offset = number(),
            b"repl-id" if value.len() == 40 => {
                self.replid = Some(String::from_utf8_lossy(value).into_owned());
            }
            _ => {}
        }
    }

    fn whole(self) -> Option<ReplicationInfo> {
        Some(ReplicationInfo {
            stream_db: self.stream_db?,
            replid: self.replid?,
            offset: self.offset?,
        })
    }
}

/// Logs the AUX fields Redis logs while loading.
fn log_aux_field(name: &[u8], value: &[u8], now_ms: i64) {
    let text = String::from_utf8_lossy(value);
    let number = || crate::number::parse_i64(value).unwrap_or(0);
    match name {
        [b'%', ..] => log!(Notice, "RDB '{}': {text}", String::from_utf8_lossy(name)),
        b"redis-ver" => log!(Notice, "Loading RDB produced by version {text}"),
        b"ctime" => log!(
            Notice,
            "RDB age {} seconds",
            (now_ms / 1000 - number()).max(0)
        ),
        b"used-mem" => log!(
            Notice,
            "RDB memory usage when created {:.2} Mb",
            number() as f64 / (1024.0 * 1024.0)
        ),
        b"aof-preamble" if number() != 0 => log!(Notice, "RDB has an AOF tail"),
        b"aof-base" if number() != 0 => log!(Notice, "RDB is base AOF"),
        _ => {}
    }
}

#[cfg(test)]
pub mod tests {
    use super::super::compact::ListpackWriter;
    use super::*;
    use crate::keyspace::Keyspace;

    /// A ziplist of `items`, laid out as ziplist.c writes it (every string shorter than 64).
    fn ziplist(items: &[&str]) -> Vec<u8> {
        let mut entries = Vec::new();
        let (mut previous, mut last_start) = (0u8, 0);
        for item in items {
            let start = entries.len();
            last_start = start;
            entries.push(previous);
            match crate::number::parse_i64(item.as_bytes()).filter(|n| (0..=12).contains(n)) {
                Some(n) => entries.push(0xF1 + n as u8),
                None => {
                    entries.push(item.len() as u8);
                    entries.extend_from_slice(item.as_bytes());
                }
            }
            previous = (entries.len() - start) as u8;
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&((11 + entries.len()) as u32).to_le_bytes());
        blob.extend_from_slice(&((10 + last_start) as u32).to_le_bytes());
        blob.extend_from_slice(&(items.len() as u16).to_le_bytes());
        blob.extend_from_slice(&entries);
        blob.push(0xFF);
        blob
    }

    fn listpack(items: &[&str]) -> Vec<u8> {
        let mut writer = ListpackWriter::new();
        items.iter().for_each(|item| writer.push(item.as_bytes()));
        writer.finish()
    }

    /// `kind key <string blob>` as a key record.
    fn blob_record(kind: u8, key: &str, blob: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        super::super::write_string(&mut out, key.as_bytes(), false);
        super::super::write_string(&mut out, blob, false);
        out
    }

    /// A whole file of `version` with `records` in database 0.
    pub fn file(version: u32, records: &[Vec<u8>]) -> Vec<u8> {
        let mut out = format!("REDIS{version:04}").into_bytes();
        out.extend_from_slice(&[opcodes::SELECTDB, 0]);
        for record in records {
            out.extend_from_slice(record);
        }
        out.push(opcodes::EOF);
        if version >= 5 {
            let crc = crc64::update(0, &out);
            out.extend_from_slice(&crc.to_le_bytes());
        }
        out
    }

    /// Loads `bytes` into 16 fresh databases, as at startup at a fixed time (2023-11-14).
    pub fn load_into(bytes: &[u8]) -> Result<(Keyspace, Loaded)> {
        let keyspace = Keyspace::new(16);
        let loaded = keyspace.write(0, 0, |w| {
            load(
                bytes,
                w.databases(),
                LoadOptions {
                    now_ms: 1_700_000_000_000,
                    keep_expired: false,
                    record_expired: true,
                    verify_checksum: true,
                    replace_existing: false,
                    hash_limits: hash::Limits::default(),
                    set_limits: set::Limits::default(),
                    zset_limits: zset::Limits::default(),
                    integrity: Integrity::Deep,
                },
            )
        })?;
        Ok((keyspace, loaded))
    }

    fn texts<'a>(items: impl Iterator<Item = &'a Bytes>) -> Vec<String> {
        items
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn keys_dropped_as_expired_are_named_for_the_replicas() {
        let string_record = |key: &str, expires_ms: Option<i64>| {
            let mut out = Vec::new();
            if let Some(at) = expires_ms {
                out.push(opcodes::EXPIRETIME_MS);
                out.extend_from_slice(&at.to_le_bytes());
            }
            out.push(types::STRING);
            super::super::write_string(&mut out, key.as_bytes(), false);
            super::super::write_string(&mut out, b"v", false);
            out
        };
        let records = [
            string_record("old", Some(1_600_000_000_000)),
            string_record("kept", Some(1_800_000_000_000)),
            string_record("plain", None),
        ];
        let (_, loaded) = load_into(&file(11, &records)).unwrap();
        assert_eq!((loaded.keys, loaded.expired), (2, 1));
        assert_eq!(loaded.expired_keys, [(0, b"old".to_vec())]);
    }

    #[test]
    fn every_compact_encoding_of_older_and_newer_redis_loads() {
        let mut quicklist_v1 = vec![types::LIST_QUICKLIST, 1, b'q', 2];
        for node in [ziplist(&["a", "b"]), ziplist(&["c", "7"])] {
            super::super::write_string(&mut quicklist_v1, &node, false);
        }
        let records = [
            blob_record(
                types::LIST_ZIPLIST,
                "zl",
                &ziplist(&["x", "3", "long enough"]),
            ),
            quicklist_v1,
            blob_record(types::HASH_ZIPLIST, "hz", &ziplist(&["f", "v", "n", "12"])),
            blob_record(types::HASH_LISTPACK, "hl", &listpack(&["f", "v"])),
            blob_record(types::SET_LISTPACK, "sl", &listpack(&["m", "99"])),
            blob_record(
                types::SET_INTSET,
                "si",
                &super::super::compact::encode_intset(["1", "5"].iter().map(|s| s.as_bytes()))
                    .unwrap(),
            ),
        ];
        let (keyspace, loaded) = load_into(&file(11, &records)).unwrap();
        assert_eq!(loaded.keys, 6);
        let databases = keyspace.read();
        let db = databases.db(0);
        let value = |key: &str| db.get(key.as_bytes(), 0).unwrap().value();
        assert_eq!(
            texts(value("zl").as_list().unwrap().iter()),
            ["x", "3", "long enough"]
        );
        assert_eq!(
            texts(value("q").as_list().unwrap().iter()),
            ["a", "b", "c", "7"]
        );
        assert_eq!(
            value("hz").as_hash().unwrap().get(b"n").map(|v| v.to_vec()),
            Some(b"12".to_vec())
        );
        assert_eq!(value("hl").as_hash().unwrap().len(), 1);
        assert!(value("sl").as_set().unwrap().contains(b"99"));
        assert!(value("si").as_set().unwrap().contains(b"5"));
    }

    #[test]
    fn sorted_sets_load_from_all_four_encodings() {
        let record = |kind: u8, key: &str, body: &[u8]| {
            let mut out = vec![kind];
            super::super::write_string(&mut out, key.as_bytes(), false);
            out.extend_from_slice(body);
            out
        };
        // RDB_TYPE_ZSET: scores as text, with the special lengths for infinities.
        let mut text = vec![3];
        for (member, score) in [("a", &b"1.5"[..]), ("b", &[254][..]), ("c", &[255][..])] {
            super::super::write_string(&mut text, member.as_bytes(), false);
            if score.len() == 1 {
                text.push(score[0]);
            } else {
                text.push(score.len() as u8);
                text.extend_from_slice(score);
            }
        }
        // RDB_TYPE_ZSET_2: binary doubles, highest first as Redis writes them.
        let mut binary = vec![2];
        for (member, score) in [("y", 2.0f64), ("x", -0.5)] {
            super::super::write_string(&mut binary, member.as_bytes(), false);
            binary.extend_from_slice(&score.to_le_bytes());
        }
        let records = [
            record(types::ZSET, "text", &text),
            record(types::ZSET_2, "binary", &binary),
            blob_record(types::ZSET_ZIPLIST, "zip", &ziplist(&["m", "3", "n", "1"])),
            blob_record(
                types::ZSET_LISTPACK,
                "lp",
                &listpack(&["p", "-2", "q", "0.25"]),
            ),
        ];
        let (keyspace, loaded) = load_into(&file(11, &records)).unwrap();
        assert_eq!(loaded.keys, 4);
        let databases = keyspace.read();
        let db = databases.db(0);
        let members = |key: &str| {
            let zset = db
                .get(key.as_bytes(), 0)
                .unwrap()
                .value()
                .as_zset()
                .unwrap();
            assert_eq!(zset.encoding(), "listpack", "{key} fits a listpack");
            zset.iter()
                .map(|(m, s)| (String::from_utf8(m.to_vec()).unwrap(), s))
                .collect::<Vec<_>>()
        };
        let owned = |pairs: &[(&str, f64)]| {
            pairs
                .iter()
                .map(|(m, s)| (m.to_string(), *s))
                .collect::<Vec<_>>()
        };
        let inf = f64::INFINITY;
        assert_eq!(
            members("text"),
            owned(&[("c", -inf), ("a", 1.5), ("b", inf)])
        );
        assert_eq!(members("binary"), owned(&[("x", -0.5), ("y", 2.0)]));
        assert_eq!(members("zip"), owned(&[("n", 1.0), ("m", 3.0)]));
        assert_eq!(members("lp"), owned(&[("p", -2.0), ("q", 0.25)]));
    }

    #[test]
    fn sorted_sets_with_a_nan_score_or_a_repeated_member_are_damage() {
        let zset = |members: &[(&str, f64)]| {
            let mut out = vec![types::ZSET_2];
            super::super::write_string(&mut out, b"z", false);
            out.push(members.len() as u8);
            for (member, score) in members {
                super::super::write_string(&mut out, member.as_bytes(), false);
                out.extend_from_slice(&score.to_le_bytes());
            }
            out
        };
        let error = load_into(&file(10, &[zset(&[("a", f64::NAN)])]))
            .err()
            .unwrap();
        assert!(error.summary().contains("NAN score"), "{error:?}");
        let error = load_into(&file(10, &[zset(&[("a", 1.0), ("a", 2.0)])]))
            .err()
            .unwrap();
        assert!(error.summary().contains("Duplicate zset"), "{error:?}");
    }

    #[test]
    fn old_versions_have_no_checksum_and_second_expiry_times() {
        // Version 3: no CRC trailer; FD is an expiry in seconds.
        let mut record = vec![opcodes::EXPIRETIME];
        record.extend_from_slice(&2_000_000_000i32.to_le_bytes());
        record.push(types::STRING);
        super::super::write_string(&mut record, b"k", false);
        super::super::write_string(&mut record, b"v", false);
        let (keyspace, _) = load_into(&file(3, &[record])).unwrap();
        assert_eq!(
            keyspace.read().db(0).expires_at(b"k"),
            Some(2_000_000_000_000)
        );
    }

    #[test]
    fn an_idle_time_before_a_key_sets_its_access_clock() {
        let mut record = vec![opcodes::IDLE, 0x43, 0xE8, types::STRING];
        super::super::write_string(&mut record, b"k", false);
        super::super::write_string(&mut record, b"v", false);
        let (keyspace, _) = load_into(&file(10, &[record])).unwrap();
        let databases = keyspace.read();
        let entry = databases.db(0).get(b"k", 0).unwrap();
        assert_eq!(entry.idle_seconds(1_700_000_000_000), 1000);
    }

    #[test]
    fn empty_collections_are_skipped_and_duplicates_refused() {
        let empty = blob_record(types::HASH_LISTPACK, "empty", &listpack(&[]));
        let (keyspace, loaded) = load_into(&file(10, &[empty])).unwrap();
        assert_eq!((loaded.keys, loaded.empty_skipped), (0, 1));
        assert!(keyspace.read().db(0).is_empty());
        let string = |key: &str| {
            let mut out = vec![types::STRING];
            super::super::write_string(&mut out, key.as_bytes(), false);
            super::super::write_string(&mut out, b"v", false);
            out
        };
        let error = load_into(&file(10, &[string("k"), string("k")]))
            .err()
            .unwrap();
        assert!(
            matches!(error, LoadError::DuplicateKey { db: 0, .. }),
            "{error:?}"
        );
        let mut members = vec![types::SET, 2];
        super::super::write_string(&mut members, b"m", false);
        super::super::write_string(&mut members, b"m", false);
        let mut set = vec![types::SET];
        super::super::write_string(&mut set, b"s", false);
        set.extend_from_slice(&members[1..]);
        let error = load_into(&file(10, &[set])).err().unwrap();
        assert!(
            error.summary().contains("Duplicate set members"),
            "{error:?}"
        );
    }

    #[test]
    fn damaged_lengths_never_allocate_what_they_claim() {
        // A string claiming 2^60 bytes in a file of a few bytes: a short read, not an abort.
        let mut record = vec![types::STRING, 0x81];
        record.extend_from_slice(&(1u64 << 60).to_be_bytes());
        let error = load_into(&file(10, &[record])).err().unwrap();
        assert!(
            matches!(
                error,
                LoadError::ShortRead { .. } | LoadError::Corrupt { .. }
            ),
            "{error:?}"
        );
        // An LZF string claiming to expand a 3-byte input into 1 GB.
        let mut record = vec![types::STRING, 1, b'k', 0xC3, 3, 0x80];
        record.extend_from_slice(&(1u32 << 30).to_be_bytes());
        record.extend_from_slice(&[0, b'a', b'a']);
        let error = load_into(&file(10, &[record])).err().unwrap();
        assert!(error.summary().contains("Invalid LZF"), "{error:?}");
    }

    #[test]
    fn no_damage_to_a_file_makes_the_loader_panic() {
        let mut quicklist_2 = vec![types::LIST_QUICKLIST_2, 1, b'q', 1, 2];
        super::super::write_string(&mut quicklist_2, &listpack(&["a", "-5000", "hello"]), false);
        let mut string = vec![types::STRING];
        super::super::write_string(&mut string, b"compressed", false);
        super::super::write_string(&mut string, &[b'x'; 100], true);
        let records = [
            quicklist_2,
            string,
            blob_record(types::HASH_ZIPLIST, "hz", &ziplist(&["f", "v"])),
            blob_record(
                types::SET_INTSET,
                "si",
                &super::super::compact::encode_intset(["1", "5"].iter().map(|s| s.as_bytes()))
                    .unwrap(),
            ),
        ];
        let good = file(10, &records);
        assert!(load_into(&good).is_ok());
        let lenient = |bytes: &[u8]| {
            let keyspace = Keyspace::new(16);
            keyspace.write(0, 0, |w| {
                let options = LoadOptions {
                    now_ms: 0,
                    keep_expired: true,
                    record_expired: false,
                    verify_checksum: false,
                    replace_existing: true,
                    hash_limits: hash::Limits::default(),
                    set_limits: set::Limits::default(),
                    zset_limits: zset::Limits::default(),
                    integrity: Integrity::Deep,
                };
                let _ = load(bytes, w.databases(), options);
            });
        };
        for len in 0..good.len() {
            lenient(&good[..len]);
        }
        for at in 0..good.len() {
            for bit in 0..8 {
                let mut damaged = good.clone();
                damaged[at] ^= 1 << bit;
                lenient(&damaged);
            }
        }
    }
}
