//! Commands: what a row of the command table holds, how a request is matched to its row, and the
//! one [`execute`] function every request goes through. (Stage 2 onwards: PING is the first row.)
//!
//! # The table is the single source of truth
//! [`table::COMMANDS`] declares each command once, as data: name, arity, flags, which keys it
//! touches, documentation, and a handler. Everything generic is driven by that row, in
//! [`execute`]: unknown-command and arity errors, subcommand lookup, which lock to take, the write
//! path, statistics, and the replies to `COMMAND INFO` and `COMMAND DOCS`. Adding a command is one
//! row plus one function in its family's file (`strings.rs` for string commands, and so on).
//!
//! # What a handler may do
//! The kind of [`Handler`] decides the locking, so a handler cannot get it wrong:
//! - [`Handler::Plain`] runs without the keyspace (PING, CLIENT, CONFIG);
//! - [`Handler::Read`] runs under the shared lock;
//! - [`Handler::Write`] runs inside [`Server::write`], the one write path, and is what makes a
//!   command a "write" command (`COMMAND INFO` derives the `write` flag from it). What it
//!   changes is journaled, signalled and notified from there (`keyspace/changes.rs`).
//!
//! A handler parses its arguments, does its work, and appends its reply to `ctx.reply`. It does
//! no I/O. If it returns an error, anything it already appended is rolled back and the error
//! is sent instead, so handlers may check arguments lazily.

pub mod client;
pub mod config;
pub mod connection;
pub mod debug;
pub mod expire;
pub mod hashes;
pub mod info;
pub mod introspection;
pub mod keys;
pub mod lists;
pub mod persistence;
pub mod pubsub;
pub mod server;
pub mod sets;
pub mod strings;
mod table;
pub mod transactions;

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{OnceLock, RwLockReadGuard};
use std::time::Duration;

use crate::config::{Config, DebugAccess};
use crate::connection::Session;
use crate::keyspace::{Databases, Db, Entry, Writer, WrongType};
use crate::protocol::{Reply, Request};
use crate::server::Server;
use crate::{clock, number};

pub use table::COMMANDS;

/// A request's arguments; `args.arg(0)` is the command name.
pub type Args = Request;

pub type CommandResult = Result<(), CommandError>;

/// Everything a handler may use while it runs.
pub struct Ctx<'a> {
    pub server: &'a Server,
    /// This connection's state: selected database, protocol, name...
    pub session: &'a mut Session,
    pub reply: Reply<'a>,
    /// Unix time in milliseconds, read once per command (Redis caches `mstime()` per call too).
    pub now_ms: i64,
    /// The same instant in microseconds: when the command started, for its statistics.
    pub now_us: i64,
    /// Whether a blocking command (`BLPOP`...) may wait. Inside `EXEC` it may not, and behaves
    /// as its non-blocking form, as in Redis.
    pub may_block: bool,
    /// Inside `EXEC`: the databases the transaction already holds under the exclusive lock.
    /// A `Plain` handler that looks at the data (INFO, DEBUG OBJECT) must read these through
    /// [`Ctx::databases`]: locking again from the same thread would deadlock.
    pub held: Option<&'a Databases>,
}

/// The databases as a `Plain` handler reads them: under a shared lock taken for the purpose, or
/// those an `EXEC` holds already (see [`Ctx::held`]).
pub enum DatabasesRef<'a> {
    Locked(RwLockReadGuard<'a, Databases>),
    Held(&'a Databases),
}

impl Deref for DatabasesRef<'_> {
    type Target = Databases;

    fn deref(&self) -> &Databases {
        match self {
            DatabasesRef::Locked(guard) => guard,
            DatabasesRef::Held(databases) => databases,
        }
    }
}

impl Ctx<'_> {
    /// Looks a key up for reading, as Redis's `lookupKeyRead`: counts a keyspace hit or miss and
    /// records the access (unless the client asked for `CLIENT NO-TOUCH`).
    pub fn read_key<'d>(&self, db: &'d Db, key: &[u8]) -> Option<&'d Entry> {
        let entry = self.inspect_key(db, key);
        if let Some(entry) = entry {
            if !self.session.no_touch {
                entry.touch(self.now_ms);
            }
        }
        entry
    }

    /// Looks a key up for inspection (`TYPE`, `TTL`, `EXISTS`): counts a hit or miss but leaves
    /// the access time alone, as Redis's `LOOKUP_NOTOUCH`. A miss is a `keymiss` event.
    pub fn inspect_key<'d>(&self, db: &'d Db, key: &[u8]) -> Option<&'d Entry> {
        let entry = self.inspect_key_quietly(db, key);
        if entry.is_none() {
            crate::notify::key_miss(self.server, self.session.db, key);
        }
        entry
    }

    /// [`Ctx::inspect_key`] without the `keymiss` event (`OBJECT`, Redis's `LOOKUP_NONOTIFY`).
    pub fn inspect_key_quietly<'d>(&self, db: &'d Db, key: &[u8]) -> Option<&'d Entry> {
        let entry = db.get(key, self.now_ms);
        self.server.stats.record_lookup(entry.is_some());
        entry
    }

    /// Parses a database index argument (`SELECT`, `MOVE`, `COPY ... DB`) as Redis reads it: a
    /// C `int` (Redis's `getIntFromObjectOrReply`), then a database that exists.
    pub fn db_index(&self, arg: &[u8]) -> Result<usize, CommandError> {
        let index = parse_c_int(arg, None)?;
        self.existing_db(index)
    }

    /// Like [`Ctx::db_index`], with one message for any argument that is not a C `int`
    /// (`SWAPDB`'s `invalid first DB index`).
    pub fn db_index_or(&self, arg: &[u8], message: &'static str) -> Result<usize, CommandError> {
        let index = parse_c_int(arg, Some(message))?;
        self.existing_db(index)
    }

    fn existing_db(&self, index: i32) -> Result<usize, CommandError> {
        usize::try_from(index)
            .ok()
            .filter(|&i| i < self.server.config.databases())
            .ok_or(CommandError::DbIndexOutOfRange)
    }

    /// The client's selected database, for reading.
    pub fn db<'d>(&self, databases: &'d Databases) -> &'d Db {
        databases.db(self.session.db)
    }

    /// The databases, for a `Plain` handler that needs to read them: a shared lock, or inside
    /// `EXEC` the databases the transaction holds. Keep the result only as long as needed.
    pub fn databases(&self) -> DatabasesRef<'_> {
        match self.held {
            Some(databases) => DatabasesRef::Held(databases),
            None => DatabasesRef::Locked(self.server.keyspace.read()),
        }
    }

    /// Whether this command runs inside `EXEC` (under the transaction's exclusive lock).
    pub fn in_exec(&self) -> bool {
        self.held.is_some()
    }

    /// A context for one command queued in a transaction, run by `EXEC` with the databases it
    /// holds.
    fn holding<'b>(&'b mut self, databases: &'b Databases) -> Ctx<'b> {
        Ctx {
            server: self.server,
            session: &mut *self.session,
            reply: self.reply.reborrow(),
            now_ms: self.now_ms,
            now_us: self.now_us,
            may_block: self.may_block,
            held: Some(databases),
        }
    }
}

pub enum Handler {
    /// Runs without touching the keyspace.
    Plain(fn(&mut Ctx, &Args) -> CommandResult),
    /// Runs under the keyspace's shared lock.
    Read(fn(&mut Ctx, &Args, &Databases) -> CommandResult),
    /// Runs on the write path, under the exclusive lock.
    Write(fn(&mut Ctx, &Args, &mut Writer) -> CommandResult),
    /// Has no handler of its own: the second argument names a subcommand.
    Container,
}

/// Policy flags, as in Redis's command table. They are reported by `COMMAND INFO` and read by
/// dispatch; `write` is not among them because it follows from [`Handler::Write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub const READONLY: Flags = Flags(1);
    /// May grow memory use (Redis refuses these past `maxmemory`).
    pub const DENYOOM: Flags = Flags(1 << 1);
    pub const ADMIN: Flags = Flags(1 << 2);
    pub const PUBSUB: Flags = Flags(1 << 3);
    pub const NOSCRIPT: Flags = Flags(1 << 4);
    pub const BLOCKING: Flags = Flags(1 << 5);
    /// Allowed while the dataset is loading.
    pub const LOADING: Flags = Flags(1 << 6);
    /// Allowed on a replica with a broken link to its master.
    pub const STALE: Flags = Flags(1 << 7);
    /// O(1) or O(log N): never slow.
    pub const FAST: Flags = Flags(1 << 8);
    /// Allowed before authentication.
    pub const NO_AUTH: Flags = Flags(1 << 9);
    pub const MAY_REPLICATE: Flags = Flags(1 << 10);
    pub const NO_MULTI: Flags = Flags(1 << 11);
    pub const ALLOW_BUSY: Flags = Flags(1 << 12);
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 13);
    pub const SKIP_MONITOR: Flags = Flags(1 << 14);
    pub const SENTINEL: Flags = Flags(1 << 15);
    /// Dangerous enough to be refused unless a configuration option allows it (`DEBUG`, behind
    /// `enable-debug-command`).
    pub const PROTECTED: Flags = Flags(1 << 16);
    /// Refused while the dataset loads asynchronously (a replica's `repl-diskless-load`).
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 17);
    /// Runs at once inside MULTI instead of being queued: MULTI, EXEC, DISCARD and WATCH, and
    /// QUIT and RESET, which end the transaction with the connection's state (Redis's list in
    /// `processCommand`).
    pub const TXN_CONTROL: Flags = Flags(1 << 20);
    /// Allowed to a RESP2 client in subscribed mode: the (P|S)(UN)SUBSCRIBE family, PING, QUIT
    /// and RESET (Redis's list in `processCommand`).
    pub const PUBSUB_OK: Flags = Flags(1 << 21);

    /// Flag names as `COMMAND INFO` prints them, in Redis's order. Redis hides `may_replicate`,
    /// `sentinel` and `protected` on purpose; `txn_control` and `pubsub_ok` are thredis's own
    /// (Redis tests the command's function instead).
    const NAMES: [(Flags, &'static str); 15] = [
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::ADMIN, "admin"),
        (Flags::PUBSUB, "pubsub"),
        (Flags::NOSCRIPT, "noscript"),
        (Flags::BLOCKING, "blocking"),
        (Flags::LOADING, "loading"),
        (Flags::STALE, "stale"),
        (Flags::SKIP_MONITOR, "skip_monitor"),
        (Flags::SKIP_SLOWLOG, "skip_slowlog"),
        (Flags::FAST, "fast"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::NO_ASYNC_LOADING, "no_async_loading"),
        (Flags::NO_MULTI, "no_multi"),
        (Flags::ALLOW_BUSY, "allow_busy"),
    ];

    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        self.union(other)
    }
}

/// Where a command's key arguments are (Redis's legacy `first_key`, `last_key`, `step`): `last`
/// negative counts from the end, 0 everywhere means no keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keys {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

impl Keys {
    pub const NONE: Keys = Keys {
        first: 0,
        last: 0,
        step: 0,
    };

    /// The positions of the keys in a request with `argc` arguments.
    pub fn positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        let argc = argc as i32;
        let last = if self.last < 0 {
            argc + self.last
        } else {
            self.last.min(argc - 1)
        };
        let (first, step) = (self.first, self.step.max(1));
        (0..)
            .map(move |i| first + i * step)
            .take_while(move |&pos| self.first > 0 && pos <= last)
            .map(|pos| pos as usize)
    }
}

/// A Redis 7 key specification: where one group of key arguments is (from index `begin`, up to
/// `last` relative to it, or counted from the end when negative, every `step`) and what the
/// command does with those keys. `COMMAND INFO` reports them; ACLs and cluster routing use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub begin: i32,
    pub last: i32,
    pub step: i32,
    /// Redis's names, in Redis's order: `RO`/`RW`/`OW`/`RM`, then `access`, `update`, `insert`,
    /// `delete`, `variable_flags`.
    pub flags: &'static [&'static str],
    /// Redis's remark on the flags, if it has one.
    pub notes: &'static str,
    /// Set when the keys are found by a count (`LMPOP numkeys key ...`): Redis's `keynum`
    /// `find_keys`. `last` and `step` are unused then.
    pub keynum: Option<KeyNum>,
}

/// A `keynum` key specification, relative to the spec's `begin`: the number of keys is the
/// argument at `keynumidx`, the first key at `firstkey`, then every `keystep`th.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyNum {
    pub keynumidx: i32,
    pub firstkey: i32,
    pub keystep: i32,
}

impl KeySpec {
    /// The legacy `first_key, last_key, step` triple Redis derives from a command's specs
    /// (`populateCommandLegacyRangeSpec`): one spec as it is; several consecutive single-step
    /// specs merged into one range.
    pub const fn legacy(specs: &[KeySpec]) -> Keys {
        if specs.is_empty() {
            return Keys::NONE;
        }
        // Keys found by a count have no fixed range: such a command reports `movablekeys` and,
        // with no other spec, the legacy triple 0 0 0.
        let mut i = 0;
        while i < specs.len() {
            if specs[i].keynum.is_some() {
                return Keys::NONE;
            }
            i += 1;
        }
        if specs.len() == 1 {
            let spec = specs[0];
            let last = if spec.last < 0 {
                spec.last
            } else {
                spec.begin + spec.last
            };
            return Keys {
                first: spec.begin,
                last,
                step: spec.step,
            };
        }
        let (mut first, mut last, mut i) = (i32::MAX, 0, 0);
        while i < specs.len() {
            let spec = specs[i];
            if spec.begin < first {
                first = spec.begin;
            }
            let absolute = if spec.last < 0 {
                spec.last
            } else {
                spec.begin + spec.last
            };
            if (absolute as u32) > (last as u32) {
                last = absolute;
            }
            i += 1;
        }
        Keys {
            first,
            last,
            step: 1,
        }
    }
}

/// The group a command is listed under in `COMMAND DOCS` (and redis-cli's `help @group`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    Connection,
    Server,
    Scripting,
    Transactions,
    Pubsub,
    List,
    Hash,
    Set,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Scripting => "scripting",
            Group::Transactions => "transactions",
            Group::Pubsub => "pubsub",
            Group::List => "list",
            Group::Hash => "hash",
            Group::Set => "set",
        }
    }
}

/// One row of the command table.
pub struct Command {
    /// Lowercase, as Redis lists it. For a subcommand, the part after the `|`.
    pub name: &'static str,
    /// Arguments including the name: `n` means exactly n, `-n` at least n.
    pub arity: i32,
    pub flags: Flags,
    /// Where its keys are: `key_specs` as Redis 7 describes them, and the legacy triple derived
    /// from them.
    pub key_specs: &'static [KeySpec],
    pub keys: Keys,
    pub group: Group,
    /// ACL categories beyond those its group and flags imply (`dangerous` for FLUSHALL...).
    pub acl_categories: &'static [&'static str],
    /// Redis's hints to clients and proxies (`nondeterministic_output`, `request_policy:...`).
    pub tips: &'static [&'static str],
    /// The Redis version that introduced it (reported by `COMMAND DOCS`).
    pub since: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [Command],
}

impl Command {
    pub fn is_write(&self) -> bool {
        matches!(self.handler, Handler::Write(_))
    }

    fn arity_accepts(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }
}

/// A command resolved from a request: the row to run, its parent if it is a subcommand, and its
/// position in [`all_commands`] (which indexes the statistics).
#[derive(Clone, Copy)]
pub struct Resolved {
    pub command: &'static Command,
    pub parent: Option<&'static Command>,
    pub id: usize,
}

impl Resolved {
    /// `get`, or `config|get` for a subcommand, as Redis names commands in errors and stats.
    pub fn full_name(&self) -> Cow<'static, str> {
        match self.parent {
            Some(parent) => Cow::Owned(format!("{}|{}", parent.name, self.command.name)),
            None => Cow::Borrowed(self.command.name),
        }
    }
}

struct Index {
    /// Top-level name → id.
    by_name: HashMap<&'static str, usize>,
    /// Every command and subcommand, in table order, parents before their subcommands.
    all: Vec<Resolved>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut all = Vec::new();
        let mut by_name = HashMap::new();
        for command in COMMANDS {
            by_name.insert(command.name, all.len());
            all.push(Resolved {
                command,
                parent: None,
                id: all.len(),
            });
            for sub in command.subcommands {
                all.push(Resolved {
                    command: sub,
                    parent: Some(command),
                    id: all.len(),
                });
            }
        }
        Index { by_name, all }
    })
}

/// Every command and subcommand, each with a stable id (for per-command statistics).
pub fn all_commands() -> &'static [Resolved] {
    &index().all
}

/// Finds a top-level command by name, whatever its case, without allocating: the name is
/// lowercased into a stack buffer. Names longer than any command cannot match.
pub fn lookup(name: &[u8]) -> Option<Resolved> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    let name = std::str::from_utf8(lower).ok()?;
    let index = index();
    index.by_name.get(name).map(|&id| index.all[id])
}

/// Finds `name` among `parent`'s subcommands.
pub fn lookup_subcommand(parent: Resolved, name: &[u8]) -> Option<Resolved> {
    let position = parent
        .command
        .subcommands
        .iter()
        .position(|sub| sub.name.as_bytes().eq_ignore_ascii_case(name))?;
    Some(index().all[parent.id + 1 + position])
}

/// Matches a request to a table row and checks its arity. The errors are Redis's
/// `processCommand` texts, word for word. Always inlined: it is on every request's path, and
/// the AOF loader's second call would otherwise keep it out of line.
#[inline(always)]
pub fn resolve(request: &Request) -> Result<Resolved, CommandError> {
    let name = request.arg(0);
    let Some(mut resolved) = lookup(name) else {
        return Err(CommandError::UnknownCommand(unknown_command_message(
            request,
        )));
    };
    if !resolved.command.subcommands.is_empty() && request.len() >= 2 {
        resolved = match lookup_subcommand(resolved, request.arg(1)) {
            Some(sub) => sub,
            None => {
                let message = format!(
                    "ERR unknown subcommand '{}'. Try {} HELP.",
                    String::from_utf8_lossy(truncated(request.arg(1), 128)),
                    resolved.command.name.to_ascii_uppercase()
                );
                return Err(CommandError::Rejected(message));
            }
        };
    }
    if !resolved.command.arity_accepts(request.len()) {
        return Err(CommandError::WrongArity(resolved.full_name().into_owned()));
    }
    Ok(resolved)
}

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `: the name and the arguments are
/// cut at 128 bytes (and at a NUL byte, since Redis formats them with `%s`).
fn unknown_command_message(request: &Request) -> Vec<u8> {
    let mut message = b"ERR unknown command '".to_vec();
    message.extend_from_slice(truncated(request.arg(0), 128));
    message.extend_from_slice(b"', with args beginning with: ");
    let mut args = Vec::new();
    for arg in request.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        args.push(b'\'');
        args.extend_from_slice(truncated(arg, 128 - args.len() + 1));
        args.extend_from_slice(b"' ");
    }
    message.extend_from_slice(&args);
    message
}

/// At most `max` bytes of `text`, and nothing from a NUL byte on.
fn truncated(text: &[u8], max: usize) -> &[u8] {
    let text = &text[..text.len().min(max)];
    match text.iter().position(|&b| b == 0) {
        Some(nul) => &text[..nul],
        None => text,
    }
}

/// Runs one request: resolve, check, then queue it (inside MULTI) or run the handler under the
/// right lock, reply, count. Every refusal before the handler runs also flags an open
/// transaction, so its EXEC fails (Redis's `rejectCommand`).
pub fn execute(ctx: &mut Ctx, request: &Request) {
    let resolved = match resolve(request) {
        Ok(resolved) => resolved,
        Err(error) => {
            let known = lookup(request.arg(0));
            ctx.server.stats.record_rejected(known.map(|r| r.id));
            reject(ctx, known, &error);
            return;
        }
    };
    if let Err(error) = admit(ctx, resolved) {
        ctx.server.stats.record_rejected(Some(resolved.id));
        reject(ctx, Some(resolved), &error);
        return;
    }
    ctx.session.info.set_last_command(resolved.id);
    if transactions::queues(ctx.session, resolved) {
        transactions::queue(ctx, resolved, request);
        return;
    }
    let start_us = ctx.now_us;
    call(ctx, resolved, start_us, |ctx| {
        match resolved.command.handler {
            Handler::Plain(run) => run(ctx, request),
            Handler::Read(run) => {
                let databases = ctx.server.keyspace.read();
                run(ctx, request, &databases)
            }
            Handler::Write(run) => {
                let (server, db, now_ms) = (ctx.server, ctx.session.db, ctx.now_ms);
                server.write(db, now_ms, |writer| {
                    as_command(writer, request, |writer| run(ctx, request, writer))
                })
            }
            Handler::Container => {
                unreachable!("resolve() returns a subcommand or an arity error for containers")
            }
        }
    });
}

/// Runs a command the server replays on its own behalf (an append-only file being loaded) with
/// the writer the load holds: the same row and handler as [`execute`], without statistics, the
/// way [`execute_queued`] runs them. What it replies goes to `ctx.reply`, which the caller
/// discards; an error is returned, as Redis's loader ignores it.
pub fn replay(ctx: &mut Ctx, request: &Request, writer: &mut Writer) -> CommandResult {
    let resolved = resolve(request)?;
    writer.select(ctx.session.db);
    run_holding(ctx, resolved, request, writer)
}

/// Runs one command queued in a transaction, from `EXEC`, which holds the exclusive lock: its
/// writer serves write handlers, its databases read handlers and the `Plain` handlers that read
/// data. The reply goes into EXEC's array.
pub fn execute_queued(ctx: &mut Ctx, resolved: Resolved, request: &Request, writer: &mut Writer) {
    writer.select(ctx.session.db);
    call(ctx, resolved, clock::now_us(), |ctx| {
        run_holding(ctx, resolved, request, writer)
    });
    // A queued HELLO switches the protocol for the rest of EXEC's reply, as in Redis.
    ctx.reply.set_resp3(ctx.session.resp3);
}

/// Runs a resolved command's handler with a writer its caller holds (EXEC, a load): the writer
/// serves write handlers, its databases read handlers and the `Plain` handlers that read data.
fn run_holding(
    ctx: &mut Ctx,
    resolved: Resolved,
    request: &Request,
    writer: &mut Writer,
) -> CommandResult {
    match resolved.command.handler {
        Handler::Plain(run) => run(&mut ctx.holding(writer.databases()), request),
        Handler::Read(run) => run(ctx, request, writer.databases()),
        Handler::Write(run) => as_command(writer, request, |writer| run(ctx, request, writer)),
        Handler::Container => unreachable!("resolve() returns a subcommand or an arity error"),
    }
}

/// Runs a write handler as one client command on the write path: what it changes is journaled
/// as `request` unless it journals something else.
#[inline]
fn as_command(
    writer: &mut Writer,
    request: &Request,
    run: impl FnOnce(&mut Writer) -> CommandResult,
) -> CommandResult {
    writer.begin_command();
    let result = run(writer);
    writer.end_command(request.iter());
    result
}

/// Runs `handler`, counts the call (its duration from `start_us`), and replaces whatever it
/// replied with its error if it failed.
fn call(
    ctx: &mut Ctx,
    resolved: Resolved,
    start_us: i64,
    handler: impl FnOnce(&mut Ctx) -> CommandResult,
) {
    let mark = ctx.reply.mark();
    let result = handler(ctx);
    let elapsed = Duration::from_micros(clock::now_us().saturating_sub(start_us) as u64);
    ctx.server
        .stats
        .record_call(resolved.id, elapsed, result.is_err());
    if let Err(error) = result {
        ctx.reply.truncate(mark);
        reply_error(ctx, &error);
    }
}

/// The checks Redis's `processCommand` makes between finding a command and running it, in its
/// order, driven by the row's flags.
fn admit(ctx: &Ctx, resolved: Resolved) -> CommandResult {
    let flags = resolved.command.flags;
    if flags.contains(Flags::PROTECTED) && !debug_allowed(ctx) {
        return Err(CommandError::Rejected(format!(
            "ERR {} command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
            resolved.command.name.to_ascii_uppercase()
        )));
    }
    if flags.contains(Flags::NO_MULTI) && ctx.session.transaction.is_some() {
        return Err(CommandError::err(
            "Command not allowed inside a transaction",
        ));
    }
    if ctx
        .server
        .memory
        .is_over(Config::get(&ctx.server.config.maxmemory))
        && transactions::refused_out_of_memory(ctx.session, resolved)
    {
        return Err(CommandError::coded(
            "OOM command not allowed when used memory > 'maxmemory'.",
        ));
    }
    if let Some(error) = crate::persistence::refuse_write(ctx.server, resolved.command) {
        return Err(error);
    }
    if !enough_replicas(&ctx.server.config) && transactions::writes(ctx.session, resolved) {
        return Err(CommandError::coded(
            "NOREPLICAS Not enough good replicas to write.",
        ));
    }
    if !flags.contains(Flags::PUBSUB_OK) && ctx.session.in_resp2_pubsub() {
        return Err(CommandError::err(format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            resolved.full_name()
        )));
    }
    Ok(())
}

/// `min-replicas-to-write` (Redis's `checkGoodReplicasStatus`): with both it and
/// `min-replicas-max-lag` positive, a primary accepts writes only while that many replicas are
/// in sync. thredis has no replicas yet, so a positive setting refuses every write, as Redis
/// does with none connected; a server configured as a replica is exempt.
fn enough_replicas(config: &Config) -> bool {
    Config::get(&config.min_replicas_to_write) == 0
        || Config::get(&config.min_replicas_max_lag) == 0
        || crate::config::read(&config.replicaof).is_some()
}

/// Replies to a request refused before it ran, and flags the transaction it was meant for.
fn reject(ctx: &mut Ctx, command: Option<Resolved>, error: &CommandError) {
    match transactions::rejected(ctx, command, error) {
        Some(abort) => reply_error(ctx, &abort),
        None => reply_error(ctx, error),
    }
}

/// `enable-debug-command`: `yes`, or `local` for a client on the loopback interface.
fn debug_allowed(ctx: &Ctx) -> bool {
    match crate::config::read(&ctx.server.config.enable_debug_command) {
        DebugAccess::Yes => true,
        DebugAccess::Local => ctx.session.info.peer.ip().is_loopback(),
        DebugAccess::No => false,
    }
}

fn reply_error(ctx: &mut Ctx, error: &CommandError) {
    let message = error.message();
    ctx.server.stats.record_error(&message);
    ctx.reply.error(&message);
}

/// A command's failure, displayed as the exact error line Redis sends (code first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    WrongType,
    NotInteger,
    NotFloat,
    Overflow,
    Syntax,
    NoSuchKey,
    DbIndexOutOfRange,
    /// `invalid expire time in '<command>' command`.
    InvalidExpireTime(&'static str),
    /// Carries the full command name (`config|get`).
    WrongArity(String),
    UnknownCommand(Vec<u8>),
    /// Refused before running (an unknown subcommand): a complete error line.
    Rejected(String),
    /// Any other error: a complete error line, code included (`ERR ...`).
    Message(Cow<'static, str>),
}

impl CommandError {
    /// `ERR <text>`.
    pub fn err(text: impl Into<Cow<'static, str>>) -> CommandError {
        let text = text.into();
        CommandError::Message(Cow::Owned(format!("ERR {text}")))
    }

    /// An error whose text already starts with its code (`NOPROTO ...`).
    pub fn coded(line: impl Into<Cow<'static, str>>) -> CommandError {
        CommandError::Message(line.into())
    }

    /// The line sent to the client, without the leading `-`.
    pub fn message(&self) -> Vec<u8> {
        let text: Cow<str> = match self {
            CommandError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            CommandError::NotInteger => "ERR value is not an integer or out of range".into(),
            CommandError::NotFloat => "ERR value is not a valid float".into(),
            CommandError::Overflow => "ERR increment or decrement would overflow".into(),
            CommandError::Syntax => "ERR syntax error".into(),
            CommandError::NoSuchKey => "ERR no such key".into(),
            CommandError::DbIndexOutOfRange => "ERR DB index is out of range".into(),
            CommandError::InvalidExpireTime(command) => {
                format!("ERR invalid expire time in '{command}' command").into()
            }
            CommandError::WrongArity(name) => {
                format!("ERR wrong number of arguments for '{name}' command").into()
            }
            CommandError::UnknownCommand(line) => return line.clone(),
            CommandError::Rejected(line) => line.as_str().into(),
            CommandError::Message(line) => line.as_ref().into(),
        };
        text.into_owned().into_bytes()
    }
}

impl CommandError {
    /// The arity error a handler finds itself, for argument counts the row's arity allows but
    /// the command does not (`LPOP key count extra`, `HSET key field`): Redis's
    /// `addReplyErrorArity`, naming the command as its row does.
    pub fn arity_of(args: &Args) -> CommandError {
        CommandError::WrongArity(String::from_utf8_lossy(args.arg(0)).to_ascii_lowercase())
    }
}

impl From<WrongType> for CommandError {
    fn from(_: WrongType) -> Self {
        CommandError::WrongType
    }
}

/// An integer argument (Redis's `getLongLongFromObjectOrReply`).
pub fn parse_int(arg: &[u8]) -> Result<i64, CommandError> {
    number::parse_i64(arg).ok_or(CommandError::NotInteger)
}

/// A C `int` argument, as Redis's `getIntFromObjectOrReply`: with no `message` of the command's
/// own, "not an integer" for text and "out of range" (with the bounds) for numbers beyond 32 bits.
pub fn parse_c_int(arg: &[u8], message: Option<&'static str>) -> Result<i32, CommandError> {
    let error = |default: CommandError| message.map_or(default, CommandError::err);
    let n = number::parse_i64(arg).ok_or_else(|| error(CommandError::NotInteger))?;
    i32::try_from(n).map_err(|_| {
        error(CommandError::err(
            "value is out of range, value must between -2147483648 and 2147483647",
        ))
    })
}

/// A `long` argument within `min..=max`, as Redis's `getRangeLongFromObjectOrReply`: with a
/// `message`, that is the error for text and for numbers out of range alike; without one, "not
/// an integer" for text and the bounds for numbers out of range.
pub fn parse_range(
    arg: &[u8],
    min: i64,
    max: i64,
    message: Option<&'static str>,
) -> Result<i64, CommandError> {
    let error = |default: CommandError| message.map_or(default, CommandError::err);
    let n = number::parse_i64(arg).ok_or_else(|| error(CommandError::NotInteger))?;
    if n < min || n > max {
        return Err(error(CommandError::err(format!(
            "value is out of range, value must between {min} and {max}"
        ))));
    }
    Ok(n)
}

/// A non-negative `long` argument, as Redis's `getPositiveLongFromObjectOrReply`: `message` (or
/// Redis's "must be positive") for text and negative numbers alike.
pub fn parse_positive(arg: &[u8], message: Option<&'static str>) -> Result<i64, CommandError> {
    let message = message.unwrap_or("value is out of range, must be positive");
    parse_range(arg, 0, i64::MAX, Some(message))
}

/// Whether `arg` is the option `name`, ignoring case (`px`, `PX`, `Px`).
pub fn is_option(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// Writes an array of status lines (the reply to `CONFIG HELP` and friends), headed as Redis's
/// `addReplyHelp` heads it.
pub fn reply_help(reply: &mut Reply, command: &str, lines: &[&str]) {
    reply.array(lines.len() + 3);
    reply.simple(&format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        reply.simple(line);
    }
    reply.simple("HELP");
    reply.simple("    Prints this help.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_row_is_well_formed() {
        for resolved in all_commands() {
            let command = resolved.command;
            assert_eq!(
                command.name,
                command.name.to_ascii_lowercase(),
                "names are lowercase"
            );
            assert!(
                command.arity != 0,
                "{}: arity 0 is meaningless",
                command.name
            );
            if matches!(command.handler, Handler::Container) {
                assert!(
                    !command.subcommands.is_empty(),
                    "{}: a container needs subcommands",
                    command.name
                );
                assert!(
                    command.arity <= -2,
                    "{}: a container needs a subcommand argument",
                    command.name
                );
            }
            assert!(
                !command.summary.is_empty() && !command.since.is_empty(),
                "{} needs docs",
                command.name
            );
            assert!(
                !(command.is_write() && command.flags.contains(Flags::READONLY)),
                "{} is both write and readonly",
                command.name
            );
        }
    }

    #[test]
    fn lookup_ignores_case_and_resolves_subcommands() {
        assert_eq!(lookup(b"GeT").unwrap().command.name, "get");
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
        let resolved = resolve(&Request::from_args(&["config", "GET", "port"])).unwrap();
        assert_eq!(resolved.full_name(), "config|get");
    }

    #[test]
    fn resolve_reports_redis_errors() {
        let error = |args: &[&str]| {
            String::from_utf8(resolve(&Request::from_args(args)).err().unwrap().message()).unwrap()
        };
        assert_eq!(
            error(&["foobar1"]),
            "ERR unknown command 'foobar1', with args beginning with: "
        );
        assert_eq!(
            error(&["foo", "a", "b"]),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        assert_eq!(
            error(&["get"]),
            "ERR wrong number of arguments for 'get' command"
        );
        assert_eq!(
            error(&["config"]),
            "ERR wrong number of arguments for 'config' command"
        );
        assert_eq!(
            error(&["config", "get"]),
            "ERR wrong number of arguments for 'config|get' command"
        );
        assert_eq!(
            error(&["config", "nope"]),
            "ERR unknown subcommand 'nope'. Try CONFIG HELP."
        );
    }

    #[test]
    fn errors_display_as_the_wire_text() {
        let text = |e: CommandError| String::from_utf8(e.message()).unwrap();
        assert_eq!(
            text(CommandError::WrongType),
            "WRONGTYPE Operation against a key holding the wrong kind of value"
        );
        assert_eq!(
            text(CommandError::InvalidExpireTime("set")),
            "ERR invalid expire time in 'set' command"
        );
        assert_eq!(text(CommandError::err("no such key")), "ERR no such key");
    }

    #[test]
    fn long_arguments_are_cut_in_unknown_command_errors() {
        let long = "x".repeat(300);
        let message =
            unknown_command_message(&Request::from_args(&[long.as_str(), long.as_str(), "b"]));
        let text = String::from_utf8(message).unwrap();
        assert!(text.starts_with(&format!("ERR unknown command '{}'", "x".repeat(128))));
        assert!(
            !text.contains("'b'"),
            "arguments stop once 128 bytes are shown: {text}"
        );
    }

    #[test]
    fn key_positions_follow_first_last_step() {
        let keys = |spec: Keys, argc| spec.positions(argc).collect::<Vec<_>>();
        assert_eq!(
            keys(
                Keys {
                    first: 1,
                    last: 1,
                    step: 1
                },
                3
            ),
            [1]
        );
        assert_eq!(
            keys(
                Keys {
                    first: 1,
                    last: -1,
                    step: 1
                },
                4
            ),
            [1, 2, 3]
        );
        assert_eq!(
            keys(
                Keys {
                    first: 1,
                    last: -1,
                    step: 2
                },
                5
            ),
            [1, 3]
        );
        assert_eq!(keys(Keys::NONE, 3), Vec::<usize>::new());
    }
}
