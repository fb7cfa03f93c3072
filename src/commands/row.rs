//! What a row of the command table holds ([`Command`]): name, arity, [`Flags`], where its keys
//! are ([`KeySpec`]s and the legacy [`Keys`] triple), its [`Group`] and documentation, and its
//! [`Handler`], whose kind decides which lock the command runs under.

use super::{Args, CommandResult, Ctx};
use crate::keyspace::{Databases, Writer};
use crate::protocol::Request;

pub enum Handler {
    /// Runs without touching the keyspace.
    Plain(fn(&mut Ctx, &Args) -> CommandResult),
    /// Runs under the keyspace's shared lock.
    Read(fn(&mut Ctx, &Args, &Databases) -> CommandResult),
    /// Runs on the write path, under the exclusive lock.
    Write(fn(&mut Ctx, &Args, &mut Writer) -> CommandResult),
    /// A read that may have to write after all (PFCOUNT, which caches the cardinality it
    /// computes): the first function tries under the shared lock and either answers or returns
    /// [`MustWrite`] having changed and replied nothing; the second then runs on the write
    /// path and does the whole command. Not a write command: its writes are incidental.
    ReadOrWrite(
        fn(&mut Ctx, &Args, &Databases) -> Result<CommandResult, MustWrite>,
        fn(&mut Ctx, &Args, &mut Writer) -> CommandResult,
    ),
    /// Runs on the write path, under the exclusive lock, without being a write command (its
    /// writes are the commands it runs): scripts, which are atomic. Straight to the exclusive
    /// lock: a shared one taken first only to give way, as a `ReadOrWrite` row would, made
    /// every script wait for the lock twice under contention (callgrind and `perf stat`: the
    /// futex calls of a pipelined EVALSHA).
    WritePath(fn(&mut Ctx, &Args, &mut Writer) -> CommandResult),
    /// Has no handler of its own: the second argument names a subcommand.
    Container,
}

/// What the read half of a [`Handler::ReadOrWrite`] returns when it cannot answer without
/// writing: the command is then run again, from the start, on the write path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MustWrite;

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
    /// Takes keys, but may be given none (EVAL, FCALL with `numkeys` 0).
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 18);
    /// Served for a slot being imported, in cluster mode (RESTORE-ASKING): reported only, as
    /// thredis never runs a cluster.
    pub const ASKING: Flags = Flags(1 << 19);
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
    const NAMES: [(Flags, &'static str); 17] = [
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
        (Flags::ASKING, "asking"),
        (Flags::FAST, "fast"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
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
    /// Set when the keys begin after a keyword (`GEORADIUS ... STORE key`): Redis's `keyword`
    /// `begin_search`, searched from `begin` (its `startfrom`) to the end. The key is the
    /// argument after the keyword; a request without the keyword has no key of this spec.
    pub keyword: Option<&'static str>,
    /// With `last` negative, the keys are the first 1/`limit` of the arguments from `begin`
    /// on (`XREAD ... STREAMS key key id id`: 2); 0 or 1 is all of them.
    pub limit: i32,
    /// Set when the spec cannot tell where its keys are (Redis's `unknown` begin_search and
    /// find_keys: SORT's BY/GET patterns and its STORE key): the row's
    /// [`Command::find_keys`] reads them from the request. The other fields are unused then.
    pub unknown: bool,
}

/// A `keynum` key specification, relative to the spec's `begin`: the number of keys is the
/// argument at `keynumidx`, the first key at `firstkey`, then every `keystep`th.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyNum {
    pub keynumidx: i32,
    pub firstkey: i32,
    pub keystep: i32,
}

/// An argument position computed in `i64` (so a bad count cannot overflow) and checked.
fn as_position(i: i64) -> usize {
    i as usize
}

impl KeySpec {
    /// Whether the spec names real keys (not `not_key` arguments such as SSUBSCRIBE's shard
    /// channels).
    pub fn is_key(&self) -> bool {
        !self.flags.contains(&"not_key")
    }

    /// The positions of this spec's keys in `args`, as Redis's `getKeysUsingKeySpecs` finds
    /// them, or `None` when the request does not fit the spec (a count that is not a number,
    /// keys past the end): Redis then takes no keys from the command at all.
    fn positions(&self, args: &Request) -> Option<impl Iterator<Item = usize>> {
        if self.unknown {
            // Redis's `getKeysUsingKeySpecs` gives up on such a spec (`invalid_spec`).
            return None;
        }
        let argc = args.len() as i64;
        let begin = match self.keyword {
            Some(keyword) => {
                let found = self.find_keyword(args, keyword);
                match found {
                    Some(at) => at as i64 + 1,
                    // No key: an empty range, of the type the one below has.
                    None => {
                        let empty = std::ops::RangeInclusive::new(1, 0);
                        return Some(empty.step_by(1).map(as_position));
                    }
                }
            }
            None => i64::from(self.begin),
        };
        let (first, last, step) = match self.keynum {
            Some(keynum) => {
                let at = begin + i64::from(keynum.keynumidx);
                let count = (at < argc)
                    .then(|| super::parse_int(args.arg(at as usize)).ok())
                    .flatten()
                    .filter(|&count| count >= 0)?;
                let first = begin + i64::from(keynum.firstkey);
                (first, first + count - 1, i64::from(keynum.keystep))
            }
            None => {
                // Redis's `getKeysUsingKeySpecs`, limit included.
                let last = match (self.last, self.limit) {
                    (last, _) if last >= 0 => begin + i64::from(last),
                    (last, 0 | 1) => argc + i64::from(last),
                    (last, limit) => begin + (argc - begin) / i64::from(limit) + i64::from(last),
                };
                (begin, last, i64::from(self.step))
            }
        };
        // An `incomplete` spec (MIGRATE's `KEYS`) may miss keys: Redis's
        // `getKeysUsingKeySpecs` gives up on it once it applies.
        if last >= argc || last < first || first >= argc || self.flags.contains(&"incomplete") {
            return None;
        }
        Some(
            (first..=last)
                .step_by(step.max(1) as usize)
                .map(as_position),
        )
    }

    /// Where `keyword` is, searched as Redis's `getKeysUsingKeySpecs` searches: from `begin` (its
    /// `startfrom`) up to one short of the end (a keyword in last place has no key after it),
    /// or for a negative `begin`, from that far before the end back down to the third argument
    /// (MIGRATE's `KEYS`, searched from the end).
    fn find_keyword(&self, args: &Request, keyword: &str) -> Option<usize> {
        let is_keyword = |i: &usize| args.arg(*i).eq_ignore_ascii_case(keyword.as_bytes());
        match usize::try_from(self.begin) {
            Ok(begin) => (begin..args.len().saturating_sub(1)).find(is_keyword),
            Err(_) => {
                let start = args.len() as i64 + i64::from(self.begin);
                (2..=start.max(0) as usize).rev().find(is_keyword)
            }
        }
    }

    /// Whether the keys sit at fixed positions (an index, then a range), as opposed to being
    /// found by a count or after a keyword: the command then reports `movablekeys`.
    pub const fn is_fixed(&self) -> bool {
        self.keynum.is_none() && self.keyword.is_none() && !self.unknown
    }

    /// The legacy `first_key, last_key, step` triple Redis derives from a command's specs
    /// (`populateCommandLegacyRangeSpec`): one spec as it is; several consecutive single-step
    /// specs merged into one range. Specs without fixed positions take no part: a command with
    /// only such specs reports the triple 0 0 0.
    pub const fn legacy(specs: &[KeySpec]) -> Keys {
        let mut fixed = 0;
        let mut i = 0;
        while i < specs.len() {
            if specs[i].is_fixed() {
                fixed += 1;
            }
            i += 1;
        }
        if fixed == 0 {
            return Keys::NONE;
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
            i += 1;
            if !spec.is_fixed() {
                continue;
            }
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
        }
        Keys {
            first,
            last,
            step: 1,
        }
    }
}

/// Where a command names Pub/Sub channels, for the ACL's channel permissions (Redis's
/// `commands_with_channels`). Unsubscribing needs no permission, so it is not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    None,
    /// The first argument is a channel a message goes to (PUBLISH, SPUBLISH).
    Publish,
    /// Every argument is a channel to subscribe to (SUBSCRIBE, SSUBSCRIBE).
    Subscribe,
    /// Every argument is a pattern to subscribe to (PSUBSCRIBE): matched literally.
    Patterns,
}

impl Channels {
    /// The positions of the channels in a request of `argc` arguments.
    pub fn positions(self, argc: usize) -> std::ops::Range<usize> {
        match self {
            Channels::None => 0..0,
            Channels::Publish => 1..argc.min(2),
            Channels::Subscribe | Channels::Patterns => 1..argc,
        }
    }
}

/// A key a request names (its position), and what the command does with it.
pub type KeyUse = (usize, KeyAccess);

/// What a command does with a key, as permissions see it: its key spec's `access` flag means
/// it reads the value; `insert`, `update` and `delete` that it writes it. A spec with neither
/// (EXISTS, TYPE) needs either permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAccess {
    pub reads: bool,
    pub writes: bool,
}

impl KeyAccess {
    pub fn of(flags: &[&str]) -> KeyAccess {
        KeyAccess {
            reads: flags.contains(&"access"),
            writes: (flags.iter()).any(|f| matches!(*f, "insert" | "update" | "delete")),
        }
    }

    /// Key-spec flags that mean this access, for keys a [`Command::find_keys`] found (they
    /// have no spec): what Redis's `getkeys_proc`s report (`sortGetKeys`: `RO access` for
    /// what is read, `OW update` for what is stored).
    pub fn flags(self) -> &'static [&'static str] {
        match (self.reads, self.writes) {
            (true, true) => &["RW", "access", "update"],
            (true, false) => &["RO", "access"],
            (false, true) => &["OW", "update"],
            (false, false) => &["RO"],
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
    SortedSet,
    Geo,
    Stream,
    Bitmap,
    HyperLogLog,
    Cluster,
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
            Group::SortedSet => "sorted-set",
            Group::Stream => "stream",
            Group::Geo => "geo",
            Group::Bitmap => "bitmap",
            Group::HyperLogLog => "hyperloglog",
            Group::Cluster => "cluster",
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
    /// For a spec flagged `variable_flags`: the flags a given request really has (SET without
    /// GET does not read its key), as Redis's `getkeys_proc` tells them.
    pub variable_key_flags: Option<fn(&Request) -> &'static [&'static str]>,
    /// Redis's `getkeys_proc`, for a command whose specs cannot place all its keys (an
    /// `unknown` spec): finds them, with what the command does to each, by reading the request.
    pub find_keys: Option<fn(&Request) -> Vec<KeyUse>>,
    /// Where its Pub/Sub channels are.
    pub channels: Channels,
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
    /// Whether the command writes: it runs on the write path and is not flagged `READONLY`.
    /// `XREAD` is the exception that needs the flag: it runs on the write path only so that
    /// `BLOCK` can register its wait under the exclusive lock (see `blocking.rs`), yet Redis
    /// calls it a read (`@read`, allowed on a read-only replica and past `maxmemory`).
    pub fn is_write(&self) -> bool {
        matches!(self.handler, Handler::Write(_)) && !self.flags.contains(Flags::READONLY)
    }

    /// The keys a request names, with what the command does to each: Redis's
    /// `getKeysFromCommandWithSpecs`. Allocates nothing for a row without
    /// [`Command::find_keys`]: the ACL walks it on every command of a user whose keys are limited.
    pub fn keys_in<'a>(&'a self, args: &'a Request) -> impl Iterator<Item = KeyUse> + 'a {
        (self.key_flags_in(args)).map(|(position, flags)| (position, KeyAccess::of(flags)))
    }

    /// The keys a request names with their key-spec flags (`COMMAND GETKEYSANDFLAGS`). A
    /// request that does not fit one of the specs names no keys at all, as in Redis (the
    /// handler will refuse it), unless the row has its own [`Command::find_keys`], which Redis
    /// falls back to then.
    pub fn key_flags_in<'a>(
        &'a self,
        args: &'a Request,
    ) -> impl Iterator<Item = (usize, &'static [&'static str])> + 'a {
        let specs = self.key_specs.iter().filter(|spec| spec.is_key());
        let fits = specs.clone().all(|spec| spec.positions(args).is_some());
        let found = self.find_keys.filter(|_| !fits).map(|find| find(args));
        let by_specs = specs.filter(move |_| fits).flat_map(move |spec| {
            let flags = match self.variable_key_flags {
                Some(flags_of) if spec.flags.contains(&"variable_flags") => flags_of(args),
                _ => spec.flags,
            };
            (spec.positions(args).into_iter().flatten()).map(move |pos| (pos, flags))
        });
        let found = found.into_iter().flatten();
        by_specs.chain(found.map(|(position, access)| (position, access.flags())))
    }

    /// Whether the command names any key (Redis's `doesCommandHaveKeys`).
    pub fn has_keys(&self) -> bool {
        self.key_specs.iter().any(KeySpec::is_key)
    }

    pub(super) fn arity_accepts(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
