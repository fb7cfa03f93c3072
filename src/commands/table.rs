//! THE command table: every command thredis knows, declared once. Name, arity and flags follow
//! Redis 7's command definitions, so `COMMAND INFO` and arity errors match Redis.
//!
//! A row reads: `cmd(name, arity, flags, handler)`, then `.keys(&[...])` with its Redis key
//! specifications if it takes keys, then `.doc(group, since, summary)`. The handler's kind sets the locking (see
//! `commands.rs`): `Write(..)` rows are the write commands.

use super::Group::{
    Bitmap, Cluster, Connection, Generic, Geo, Hash, HyperLogLog, List, Pubsub, Scripting, Server,
    Set, SortedSet, Stream, String, Transactions,
};
use super::Handler::{Container, Plain, Read, ReadOrWrite, Write, WritePath};
use super::scripting;
use super::{Channels, Command, Flags, Group, Handler, KeyNum, KeySpec, KeyUse, Keys};
use super::{
    acl, bitmaps, client, config, connection, debug, dump, expire, functions, geo, hashes,
    hyperloglog, introspection, keys, lcs, lists, memory, persistence, pubsub, server, sets, sort,
    streams, strings, transactions, zsets,
};
use super::{cluster, latency, migrate, monitor, pause, replication, slowlog};
use crate::protocol::Request;

const fn cmd(name: &'static str, arity: i32, flags: Flags, handler: Handler) -> Command {
    Command {
        name,
        arity,
        flags,
        key_specs: &[],
        keys: Keys::NONE,
        variable_key_flags: None,
        find_keys: None,
        channels: Channels::None,
        group: Generic,
        acl_categories: &[],
        tips: &[],
        since: "",
        summary: "",
        handler,
        subcommands: &[],
    }
}

impl Command {
    /// Declares where the command's keys are.
    const fn keys(self, key_specs: &'static [KeySpec]) -> Command {
        Command {
            key_specs,
            keys: KeySpec::legacy(key_specs),
            ..self
        }
    }

    /// Where the command names Pub/Sub channels.
    const fn channels(self, channels: Channels) -> Command {
        Command { channels, ..self }
    }

    /// The key flags of a request, for a command whose spec says `variable_flags`.
    const fn variable_key_flags(
        self,
        flags_of: fn(&Request) -> &'static [&'static str],
    ) -> Command {
        Command {
            variable_key_flags: Some(flags_of),
            ..self
        }
    }

    /// Finds the keys of a command whose specs include `unknown` ones (Redis's `getkeys_proc`).
    const fn find_keys(self, find_keys: fn(&Request) -> Vec<KeyUse>) -> Command {
        Command {
            find_keys: Some(find_keys),
            ..self
        }
    }

    const fn doc(self, group: Group, since: &'static str, summary: &'static str) -> Command {
        Command {
            group,
            since,
            summary,
            ..self
        }
    }

    /// ACL categories beyond those implied by the group and flags.
    const fn acl(self, acl_categories: &'static [&'static str]) -> Command {
        Command {
            acl_categories,
            ..self
        }
    }

    const fn tips(self, tips: &'static [&'static str]) -> Command {
        Command { tips, ..self }
    }

    const fn subcommands(self, subcommands: &'static [Command]) -> Command {
        Command {
            subcommands,
            ..self
        }
    }
}

/// Combines flags in a `const` context.
const fn f(flags: &[Flags]) -> Flags {
    let mut all = Flags::NONE;
    let mut i = 0;
    while i < flags.len() {
        all = all.union(flags[i]);
        i += 1;
    }
    all
}

const NONE: Flags = Flags::NONE;
const READONLY: Flags = Flags::READONLY;
const FAST: Flags = Flags::FAST;
const DENYOOM: Flags = Flags::DENYOOM;
const ADMIN: Flags = Flags::ADMIN;
const NOSCRIPT: Flags = Flags::NOSCRIPT;
const LOADING: Flags = Flags::LOADING;
const STALE: Flags = Flags::STALE;
const NO_AUTH: Flags = Flags::NO_AUTH;
const SENTINEL: Flags = Flags::SENTINEL;
const ALLOW_BUSY: Flags = Flags::ALLOW_BUSY;
const NO_MULTI: Flags = Flags::NO_MULTI;
const PROTECTED: Flags = Flags::PROTECTED;
const NO_ASYNC_LOADING: Flags = Flags::NO_ASYNC_LOADING;
const BLOCKING: Flags = Flags::BLOCKING;
const PUBSUB: Flags = Flags::PUBSUB;
const SKIP_SLOWLOG: Flags = Flags::SKIP_SLOWLOG;
const MAY_REPLICATE: Flags = Flags::MAY_REPLICATE;
const TXN_CONTROL: Flags = Flags::TXN_CONTROL;
const PUBSUB_OK: Flags = Flags::PUBSUB_OK;
/// EVAL and its family (Redis's flags; `may_replicate` is not shown by COMMAND INFO).
const SCRIPT_FLAGS: Flags = f(&[
    NOSCRIPT,
    STALE,
    Flags::SKIP_MONITOR,
    Flags::NO_MANDATORY_KEYS,
    MAY_REPLICATE,
]);

/// The `_RO` forms: read-only, and never replicated (no `may_replicate`, so a write pause lets
/// them run).
const SCRIPT_RO_FLAGS: Flags = f(&[
    NOSCRIPT,
    STALE,
    Flags::SKIP_MONITOR,
    Flags::NO_MANDATORY_KEYS,
    READONLY,
]);

/// One key at `index`.
const fn one(index: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        begin: index,
        last: 0,
        step: 1,
        flags,
        notes: "",
        keynum: None,
        keyword: None,
        limit: 0,
        unknown: false,
    }
}

/// Every `step`th argument from `index` to the end.
const fn all(index: i32, step: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        begin: index,
        last: -1,
        step,
        flags,
        notes: "",
        keynum: None,
        keyword: None,
        limit: 0,
        unknown: false,
    }
}

/// The key after `keyword`, searched from `startfrom` (`GEORADIUS ... STORE key`).
const fn keyword(keyword: &'static str, startfrom: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        keyword: Some(keyword),
        ..one(startfrom, flags)
    }
}

/// Keys from the argument after `keyword` (searched from `startfrom`) to `last` (counted from
/// the end), every `step`th, within the first 1/`limit` of them (`XREAD ... STREAMS`).
const fn keyword_range(
    keyword: &'static str,
    startfrom: i32,
    last: i32,
    step: i32,
    limit: i32,
    flags: &'static [&'static str],
) -> KeySpec {
    KeySpec {
        keyword: Some(keyword),
        last,
        step,
        limit,
        ..one(startfrom, flags)
    }
}

/// Keys counted by the argument at `index` (`LMPOP numkeys key ...`), the keys right after it.
const fn counted(index: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        keynum: Some(KeyNum {
            keynumidx: 0,
            firstkey: 1,
            keystep: 1,
        }),
        ..one(index, flags)
    }
}

/// Keys the spec cannot place (`unknown`), which the row's `find_keys` finds; `notes` say why.
const fn unknown(notes: &'static str, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        begin: 0,
        notes,
        unknown: true,
        ..one(0, flags)
    }
}

/// Every argument from `index` up to `last` counted from the end (-2: all but the last).
const fn all_but(index: i32, last: i32, flags: &'static [&'static str]) -> KeySpec {
    KeySpec {
        last,
        ..one(index, flags)
    }
}

const RO: &[&str] = &["RO"];
const RO_ACCESS: &[&str] = &["RO", "access"];
const RW_ACCESS_UPDATE: &[&str] = &["RW", "access", "update"];
const RW_ACCESS_DELETE: &[&str] = &["RW", "access", "delete"];
const RW_UPDATE: &[&str] = &["RW", "update"];
const RW_INSERT: &[&str] = &["RW", "insert"];
const OW_UPDATE: &[&str] = &["OW", "update"];
const OW_INSERT: &[&str] = &["OW", "insert"];
const RM_DELETE: &[&str] = &["RM", "delete"];
const RW_DELETE: &[&str] = &["RW", "delete"];
const NOT_KEY: &[&str] = &["not_key"];
const SET_KEY: KeySpec = KeySpec {
    notes: "RW and ACCESS due to the optional `GET` argument",
    ..one(1, &["RW", "access", "update", "variable_flags"])
};

/// MIGRATE's `KEYS key ...`, searched from the end; `incomplete`, since `KEYS` may be an
/// option's argument (`AUTH KEYS`): `migrate::migrate_keys` then finds the keys.
const MIGRATE_KEYS: KeySpec = keyword_range(
    "KEYS",
    -2,
    -1,
    1,
    0,
    &["RW", "access", "delete", "incomplete"],
);

/// The keys SORT's BY and GET patterns read, which depend on the data.
const SORT_PATTERN_KEYS: KeySpec = unknown(
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
    RO_ACCESS,
);

const BITFIELD_KEY: KeySpec = KeySpec {
    notes: "This command allows both access and modification of the key",
    ..one(1, &["RW", "access", "update", "variable_flags"])
};

const PFCOUNT_KEYS: KeySpec = KeySpec {
    notes: "RW because it may change the internal representation of the key, and propagate to replicas",
    ..all(1, 1, &["RW", "access"])
};

pub static COMMANDS: &[Command] = &[
    // ---------------------------------------------------------------- connection (stages 2–5)
    cmd("ping", -1, f(&[FAST, SENTINEL, PUBSUB_OK]), Plain(connection::ping)).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Connection, "1.0.0", "Returns the server's liveliness response."),
    cmd("echo", 2, f(&[LOADING, STALE, FAST]), Plain(connection::echo)).doc(Connection, "1.0.0", "Returns the given string."),
    cmd("quit", -1, f(&[ALLOW_BUSY, NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, TXN_CONTROL, PUBSUB_OK]), Plain(connection::quit)).doc(
        Connection,
        "1.0.0",
        "Closes the connection.",
    ),
    cmd("select", 2, f(&[LOADING, STALE, FAST]), Plain(connection::select)).doc(Connection, "1.0.0", "Changes the selected database."),
    cmd("hello", -1, f(&[NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, SENTINEL, ALLOW_BUSY]), Plain(connection::hello)).doc(
        Connection,
        "6.0.0",
        "Handshakes with the server, choosing the protocol version.",
    ),
    cmd("auth", -2, f(&[NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, SENTINEL, ALLOW_BUSY]), Plain(acl::auth)).doc(Connection, "1.0.0", "Authenticates the connection."),
    cmd("client", -2, SENTINEL, Container).doc(Connection, "2.4.0", "A container for client connection commands.").subcommands(&[
        cmd("id", 2, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::id)).doc(
            Connection,
            "5.0.0",
            "Returns the unique client ID of the connection.",
        ),
        cmd("setname", 3, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::setname)).doc(Connection, "2.6.9", "Sets the connection name."),
        cmd("getname", 2, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::getname)).doc(
            Connection,
            "2.6.9",
            "Returns the name of the connection.",
        ),
        cmd("setinfo", 4, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::setinfo)).doc(
            Connection,
            "7.2.0",
            "Sets information specific to the client or connection.",
        ),
        cmd("list", -2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(client::list)).tips(&["nondeterministic_output"]).doc(Connection, "2.4.0", "Lists open connections."),
        cmd("info", 2, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::info)).tips(&["nondeterministic_output"]).doc(
            Connection,
            "6.2.0",
            "Returns information about the connection.",
        ),
        cmd("kill", -3, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(client::kill)).doc(
            Connection,
            "2.4.0",
            "Terminates open connections.",
        ),
        cmd("unblock", -3, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(client::unblock)).doc(
            Connection,
            "5.0.0",
            "Unblock a client blocked in a blocking command from a different connection",
        ),
        cmd("pause", -3, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(pause::pause)).doc(Connection, "2.9.50", "Stop processing commands from clients for some time"),
        cmd("unpause", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(pause::unpause)).doc(Connection, "6.2.0", "Resume processing of clients that were paused"),
        cmd("no-evict", 3, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(client::no_evict)).doc(
            Connection,
            "7.0.0",
            "Sets the client eviction mode of the connection.",
        ),
        cmd("no-touch", 3, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::no_touch)).doc(
            Connection,
            "7.2.0",
            "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
        ),
        cmd("tracking", -3, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::tracking::tracking)).doc(
            Connection,
            "6.0.0",
            "Enable or disable server assisted client side caching support",
        ),
        cmd("caching", 3, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::tracking::caching)).doc(
            Connection,
            "6.0.0",
            "Instruct the server about tracking or not keys in the next request",
        ),
        cmd("getredir", 2, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::tracking::getredir)).doc(
            Connection,
            "6.0.0",
            "Get tracking notifications redirection client ID if any",
        ),
        cmd("trackinginfo", 2, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::tracking::trackinginfo)).doc(
            Connection,
            "6.2.0",
            "Return information about server assisted client side caching for the current connection",
        ),
        cmd("reply", 3, f(&[NOSCRIPT, LOADING, STALE]), Plain(client::reply)).doc(
            Connection,
            "3.2.0",
            "Instructs the server whether to reply to commands.",
        ),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(client::help)).doc(
            Connection,
            "5.0.0",
            "Returns helpful text about the different subcommands.",
        ),
    ]),
    // ---------------------------------------------------------------- strings (stages 6–7)
    cmd("get", 2, f(&[READONLY, FAST]), Read(strings::get)).keys(&[one(1, RO_ACCESS)]).doc(String, "1.0.0", "Returns the string value of a key."),
    cmd("set", -3, DENYOOM, Write(strings::set)).keys(&[SET_KEY]).variable_key_flags(strings::set_key_flags).doc(
        String,
        "1.0.0",
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    ),
    cmd("getdel", 2, FAST, Write(strings::getdel)).keys(&[one(1, RW_ACCESS_DELETE)]).doc(
        String,
        "6.2.0",
        "Returns the string value of a key after deleting the key.",
    ),
    cmd("getex", -2, FAST, Write(strings::getex)).keys(&[KeySpec { notes: "RW and UPDATE because it changes the TTL", ..one(1, RW_ACCESS_UPDATE) }]).doc(
        String,
        "6.2.0",
        "Returns the string value of a key after setting its expiration time.",
    ),
    cmd("getset", 3, f(&[DENYOOM, FAST]), Write(strings::getset)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(
        String,
        "1.0.0",
        "Returns the previous string value of a key after setting it to a new value.",
    ),
    cmd("setnx", 3, f(&[DENYOOM, FAST]), Write(strings::setnx)).keys(&[one(1, OW_INSERT)]).doc(
        String,
        "1.0.0",
        "Set the string value of a key only when the key doesn't exist.",
    ),
    cmd("setex", 4, DENYOOM, Write(strings::setex)).keys(&[one(1, OW_UPDATE)]).doc(
        String,
        "2.0.0",
        "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
    ),
    cmd("psetex", 4, DENYOOM, Write(strings::psetex)).keys(&[one(1, OW_UPDATE)]).doc(
        String,
        "2.6.0",
        "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
    ),
    cmd("mget", -2, f(&[READONLY, FAST]), Read(strings::mget)).tips(&["request_policy:multi_shard"]).keys(&[all(1, 1, RO_ACCESS)]).doc(
        String,
        "1.0.0",
        "Atomically returns the string values of one or more keys.",
    ),
    cmd("mset", -3, DENYOOM, Write(strings::mset)).tips(&["request_policy:multi_shard", "response_policy:all_succeeded"]).keys(&[all(1, 2, OW_UPDATE)]).doc(
        String,
        "1.0.1",
        "Atomically creates or modifies the string values of one or more keys.",
    ),
    cmd("msetnx", -3, DENYOOM, Write(strings::msetnx)).tips(&["request_policy:multi_shard", "response_policy:agg_min"]).keys(&[all(1, 2, OW_INSERT)]).doc(
        String,
        "1.0.1",
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
    ),
    cmd("append", 3, f(&[DENYOOM, FAST]), Write(strings::append)).keys(&[one(1, RW_INSERT)]).doc(
        String,
        "2.0.0",
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
    ),
    cmd("strlen", 2, f(&[READONLY, FAST]), Read(strings::strlen)).keys(&[one(1, RO)]).doc(
        String,
        "2.2.0",
        "Returns the length of a string value.",
    ),
    cmd("getrange", 4, READONLY, Read(strings::getrange)).keys(&[one(1, RO_ACCESS)]).doc(
        String,
        "2.4.0",
        "Returns a substring of the string stored at a key.",
    ),
    cmd("lcs", -3, READONLY, Read(lcs::lcs)).keys(&[KeySpec { last: 1, ..one(1, RO_ACCESS) }]).doc(String, "7.0.0", "Find longest common substring"),
    cmd("substr", 4, READONLY, Read(strings::getrange)).keys(&[one(1, RO_ACCESS)]).doc(String, "1.0.0", "Returns a substring from a string value."),
    cmd("setrange", 4, DENYOOM, Write(strings::setrange)).keys(&[one(1, RW_UPDATE)]).doc(
        String,
        "2.2.0",
        "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
    ),
    cmd("incr", 2, f(&[DENYOOM, FAST]), Write(strings::incr)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(
        String,
        "1.0.0",
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    ),
    cmd("decr", 2, f(&[DENYOOM, FAST]), Write(strings::decr)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(
        String,
        "1.0.0",
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
    ),
    cmd("incrby", 3, f(&[DENYOOM, FAST]), Write(strings::incrby)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(
        String,
        "1.0.0",
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    ),
    cmd("decrby", 3, f(&[DENYOOM, FAST]), Write(strings::decrby)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(
        String,
        "1.0.0",
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
    ),
    cmd("incrbyfloat", 3, f(&[DENYOOM, FAST]), Write(strings::incrbyfloat)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(
        String,
        "2.6.0",
        "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
    ),
    // ---------------------------------------------------------------- bitmaps (issue 15)
    cmd("bitcount", -2, READONLY, Read(bitmaps::bitcount)).keys(&[one(1, RO_ACCESS)]).doc(Bitmap, "2.6.0", "Count set bits in a string"),
    cmd("bitfield", -2, DENYOOM, Write(bitmaps::bitfield)).keys(&[BITFIELD_KEY]).variable_key_flags(bitmaps::bitfield_key_flags).doc(
        Bitmap,
        "3.2.0",
        "Perform arbitrary bitfield integer operations on strings",
    ),
    cmd("bitfield_ro", -2, f(&[READONLY, FAST]), Read(bitmaps::bitfield_ro)).keys(&[one(1, RO_ACCESS)]).doc(
        Bitmap,
        "6.0.0",
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
    ),
    cmd("bitop", -4, DENYOOM, Write(bitmaps::bitop)).keys(&[one(2, OW_UPDATE), all(3, 1, RO_ACCESS)]).doc(Bitmap, "2.6.0", "Perform bitwise operations between strings"),
    cmd("bitpos", -3, READONLY, Read(bitmaps::bitpos)).keys(&[one(1, RO_ACCESS)]).doc(Bitmap, "2.8.7", "Find first bit set or clear in a string"),
    cmd("getbit", 3, f(&[READONLY, FAST]), Read(bitmaps::getbit)).keys(&[one(1, RO_ACCESS)]).doc(Bitmap, "2.2.0", "Returns the bit value at offset in the string value stored at key"),
    cmd("setbit", 4, DENYOOM, Write(bitmaps::setbit)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(Bitmap, "2.2.0", "Sets or clears the bit at offset in the string value stored at key"),
    // ---------------------------------------------------------------- hyperloglog (issue 15)
    cmd("pfadd", -2, f(&[DENYOOM, FAST]), Write(hyperloglog::pfadd)).keys(&[one(1, RW_INSERT)]).doc(HyperLogLog, "2.8.9", "Adds the specified elements to the specified HyperLogLog."),
    // Read-only in Redis's table, but it caches the cardinality in the string and propagates
    // that: the write path when the cache is stale, and `may_replicate` (CLIENT PAUSE WRITE
    // holds it).
    cmd("pfcount", -2, f(&[READONLY, MAY_REPLICATE]), ReadOrWrite(hyperloglog::pfcount_cached, hyperloglog::pfcount)).keys(&[PFCOUNT_KEYS]).doc(
        HyperLogLog,
        "2.8.9",
        "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
    ),
    cmd("pfmerge", -2, DENYOOM, Write(hyperloglog::pfmerge)).keys(&[one(1, &["RW", "access", "insert"]), all(2, 1, RO_ACCESS)]).doc(
        HyperLogLog,
        "2.8.9",
        "Merge N different HyperLogLogs into a single one.",
    ),
    cmd("pfdebug", 3, f(&[DENYOOM, ADMIN]), Write(hyperloglog::pfdebug)).keys(&[one(2, &["RW", "access"])]).doc(
        HyperLogLog,
        "2.8.9",
        "Internal commands for debugging HyperLogLog values",
    ),
    cmd("pfselftest", 1, ADMIN, Plain(hyperloglog::pfselftest)).doc(HyperLogLog, "2.8.9", "An internal command for testing HyperLogLog values"),
    // ---------------------------------------------------------------- lists (stages 74–84)
    cmd("lpush", -3, f(&[DENYOOM, FAST]), Write(lists::lpush)).keys(&[one(1, RW_INSERT)]).doc(List, "1.0.0", "Prepend one or multiple elements to a list"),
    cmd("rpush", -3, f(&[DENYOOM, FAST]), Write(lists::rpush)).keys(&[one(1, RW_INSERT)]).doc(List, "1.0.0", "Append one or multiple elements to a list"),
    cmd("lpushx", -3, f(&[DENYOOM, FAST]), Write(lists::lpushx)).keys(&[one(1, RW_INSERT)]).doc(List, "2.2.0", "Prepend an element to a list, only if the list exists"),
    cmd("rpushx", -3, f(&[DENYOOM, FAST]), Write(lists::rpushx)).keys(&[one(1, RW_INSERT)]).doc(List, "2.2.0", "Append an element to a list, only if the list exists"),
    cmd("lpop", -2, FAST, Write(lists::lpop)).keys(&[one(1, RW_ACCESS_DELETE)]).doc(List, "1.0.0", "Remove and get the first elements in a list"),
    cmd("rpop", -2, FAST, Write(lists::rpop)).keys(&[one(1, RW_ACCESS_DELETE)]).doc(List, "1.0.0", "Remove and get the last elements in a list"),
    cmd("llen", 2, f(&[READONLY, FAST]), Read(lists::llen)).keys(&[one(1, RO)]).doc(List, "1.0.0", "Get the length of a list"),
    cmd("lrange", 4, READONLY, Read(lists::lrange)).keys(&[one(1, RO_ACCESS)]).doc(List, "1.0.0", "Get a range of elements from a list"),
    cmd("lindex", 3, READONLY, Read(lists::lindex)).keys(&[one(1, RO_ACCESS)]).doc(List, "1.0.0", "Get an element from a list by its index"),
    cmd("lset", 4, DENYOOM, Write(lists::lset)).keys(&[one(1, RW_UPDATE)]).doc(List, "1.0.0", "Set the value of an element in a list by its index"),
    cmd("linsert", 5, DENYOOM, Write(lists::linsert)).keys(&[one(1, RW_INSERT)]).doc(List, "2.2.0", "Insert an element before or after another element in a list"),
    cmd("lrem", 4, NONE, Write(lists::lrem)).keys(&[one(1, RW_DELETE)]).doc(List, "1.0.0", "Remove elements from a list"),
    cmd("ltrim", 4, NONE, Write(lists::ltrim)).keys(&[one(1, RW_DELETE)]).doc(List, "1.0.0", "Trim a list to the specified range"),
    cmd("lpos", -3, READONLY, Read(lists::lpos)).keys(&[one(1, RO_ACCESS)]).doc(List, "6.0.6", "Return the index of matching elements on a list"),
    cmd("lmove", 5, DENYOOM, Write(lists::lmove)).keys(&[one(1, RW_ACCESS_DELETE), one(2, RW_INSERT)]).doc(
        List,
        "6.2.0",
        "Pop an element from a list, push it to another list and return it",
    ),
    cmd("rpoplpush", 3, DENYOOM, Write(lists::rpoplpush)).keys(&[one(1, RW_ACCESS_DELETE), one(2, RW_INSERT)]).doc(
        List,
        "1.2.0",
        "Remove the last element in a list, prepend it to another list and return it",
    ),
    cmd("lmpop", -4, NONE, Write(lists::lmpop)).keys(&[counted(1, RW_ACCESS_DELETE)]).doc(List, "7.0.0", "Pop elements from a list"),
    cmd("blpop", -3, f(&[NOSCRIPT, BLOCKING]), Write(lists::blpop)).keys(&[all_but(1, -2, RW_ACCESS_DELETE)]).doc(
        List,
        "2.0.0",
        "Remove and get the first element in a list, or block until one is available",
    ),
    cmd("brpop", -3, f(&[NOSCRIPT, BLOCKING]), Write(lists::brpop)).keys(&[all_but(1, -2, RW_ACCESS_DELETE)]).doc(
        List,
        "2.0.0",
        "Remove and get the last element in a list, or block until one is available",
    ),
    cmd("blmove", 6, f(&[DENYOOM, NOSCRIPT, BLOCKING]), Write(lists::blmove)).keys(&[one(1, RW_ACCESS_DELETE), one(2, RW_INSERT)]).doc(
        List,
        "6.2.0",
        "Pop an element from a list, push it to another list and return it; or block until one is available",
    ),
    cmd("brpoplpush", 4, f(&[DENYOOM, NOSCRIPT, BLOCKING]), Write(lists::brpoplpush)).keys(&[one(1, RW_ACCESS_DELETE), one(2, RW_INSERT)]).doc(
        List,
        "2.2.0",
        "Pop an element from a list, push it to another list and return it; or block until one is available",
    ),
    cmd("blmpop", -5, BLOCKING, Write(lists::blmpop)).keys(&[counted(2, RW_ACCESS_DELETE)]).doc(List, "7.0.0", "Pop elements from a list, or block until one is available"),
    // ---------------------------------------------------------------- hashes
    cmd("hset", -4, f(&[DENYOOM, FAST]), Write(hashes::hset)).keys(&[one(1, RW_UPDATE)]).doc(Hash, "2.0.0", "Set the string value of a hash field"),
    cmd("hsetnx", 4, f(&[DENYOOM, FAST]), Write(hashes::hsetnx)).keys(&[one(1, RW_INSERT)]).doc(Hash, "2.0.0", "Set the value of a hash field, only if the field does not exist"),
    cmd("hmset", -4, f(&[DENYOOM, FAST]), Write(hashes::hset)).keys(&[one(1, RW_UPDATE)]).doc(Hash, "2.0.0", "Set multiple hash fields to multiple values"),
    cmd("hget", 3, f(&[READONLY, FAST]), Read(hashes::hget)).keys(&[one(1, RO_ACCESS)]).doc(Hash, "2.0.0", "Get the value of a hash field"),
    cmd("hmget", -3, f(&[READONLY, FAST]), Read(hashes::hmget)).keys(&[one(1, RO_ACCESS)]).doc(Hash, "2.0.0", "Get the values of all the given hash fields"),
    cmd("hgetall", 2, READONLY, Read(hashes::hgetall)).tips(&["nondeterministic_output_order"]).keys(&[one(1, RO_ACCESS)]).doc(Hash, "2.0.0", "Get all the fields and values in a hash"),
    cmd("hdel", -3, FAST, Write(hashes::hdel)).keys(&[one(1, RW_DELETE)]).doc(Hash, "2.0.0", "Delete one or more hash fields"),
    cmd("hlen", 2, f(&[READONLY, FAST]), Read(hashes::hlen)).keys(&[one(1, RO)]).doc(Hash, "2.0.0", "Get the number of fields in a hash"),
    cmd("hexists", 3, f(&[READONLY, FAST]), Read(hashes::hexists)).keys(&[one(1, RO)]).doc(Hash, "2.0.0", "Determine if a hash field exists"),
    cmd("hkeys", 2, READONLY, Read(hashes::hkeys)).tips(&["nondeterministic_output_order"]).keys(&[one(1, RO_ACCESS)]).doc(Hash, "2.0.0", "Get all the fields in a hash"),
    cmd("hvals", 2, READONLY, Read(hashes::hvals)).tips(&["nondeterministic_output_order"]).keys(&[one(1, RO_ACCESS)]).doc(Hash, "2.0.0", "Get all the values in a hash"),
    cmd("hstrlen", 3, f(&[READONLY, FAST]), Read(hashes::hstrlen)).keys(&[one(1, RO)]).doc(Hash, "3.2.0", "Get the length of the value of a hash field"),
    cmd("hincrby", 4, f(&[DENYOOM, FAST]), Write(hashes::hincrby)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(Hash, "2.0.0", "Increment the integer value of a hash field by the given number"),
    cmd("hincrbyfloat", 4, f(&[DENYOOM, FAST]), Write(hashes::hincrbyfloat)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(
        Hash,
        "2.6.0",
        "Increment the float value of a hash field by the given amount",
    ),
    cmd("hrandfield", -2, READONLY, Read(hashes::hrandfield)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(Hash, "6.2.0", "Get one or multiple random fields from a hash"),
    cmd("hscan", -3, READONLY, Read(hashes::hscan)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(
        Hash,
        "2.8.0",
        "Incrementally iterate hash fields and associated values",
    ),
    // ---------------------------------------------------------------- sets
    cmd("sadd", -3, f(&[DENYOOM, FAST]), Write(sets::sadd)).keys(&[one(1, RW_INSERT)]).doc(Set, "1.0.0", "Add one or more members to a set"),
    cmd("srem", -3, FAST, Write(sets::srem)).keys(&[one(1, RW_DELETE)]).doc(Set, "1.0.0", "Remove one or more members from a set"),
    cmd("smembers", 2, READONLY, Read(sets::smembers)).tips(&["nondeterministic_output_order"]).keys(&[one(1, RO_ACCESS)]).doc(Set, "1.0.0", "Get all the members in a set"),
    cmd("sismember", 3, f(&[READONLY, FAST]), Read(sets::sismember)).keys(&[one(1, RO)]).doc(Set, "1.0.0", "Determine if a given value is a member of a set"),
    cmd("smismember", -3, f(&[READONLY, FAST]), Read(sets::smismember)).keys(&[one(1, RO_ACCESS)]).doc(
        Set,
        "6.2.0",
        "Returns the membership associated with the given elements for a set",
    ),
    cmd("scard", 2, f(&[READONLY, FAST]), Read(sets::scard)).keys(&[one(1, RO)]).doc(Set, "1.0.0", "Get the number of members in a set"),
    cmd("spop", -2, FAST, Write(sets::spop)).tips(&["nondeterministic_output"]).keys(&[one(1, RW_ACCESS_DELETE)]).doc(
        Set,
        "1.0.0",
        "Remove and return one or multiple random members from a set",
    ),
    cmd("srandmember", -2, READONLY, Read(sets::srandmember)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(Set, "1.0.0", "Get one or multiple random members from a set"),
    cmd("smove", 4, FAST, Write(sets::smove)).keys(&[one(1, RW_ACCESS_DELETE), one(2, RW_INSERT)]).doc(Set, "1.0.0", "Move a member from one set to another"),
    cmd("sinter", -2, READONLY, Read(sets::sinter)).tips(&["nondeterministic_output_order"]).keys(&[all(1, 1, RO_ACCESS)]).doc(Set, "1.0.0", "Intersect multiple sets"),
    cmd("sunion", -2, READONLY, Read(sets::sunion)).tips(&["nondeterministic_output_order"]).keys(&[all(1, 1, RO_ACCESS)]).doc(Set, "1.0.0", "Add multiple sets"),
    cmd("sdiff", -2, READONLY, Read(sets::sdiff)).tips(&["nondeterministic_output_order"]).keys(&[all(1, 1, RO_ACCESS)]).doc(Set, "1.0.0", "Subtract multiple sets"),
    cmd("sinterstore", -3, DENYOOM, Write(sets::sinterstore)).keys(&[one(1, RW_UPDATE), all(2, 1, RO_ACCESS)]).doc(
        Set,
        "1.0.0",
        "Intersect multiple sets and store the resulting set in a key",
    ),
    cmd("sunionstore", -3, DENYOOM, Write(sets::sunionstore)).keys(&[one(1, OW_UPDATE), all(2, 1, RO_ACCESS)]).doc(
        Set,
        "1.0.0",
        "Add multiple sets and store the resulting set in a key",
    ),
    cmd("sdiffstore", -3, DENYOOM, Write(sets::sdiffstore)).keys(&[one(1, OW_UPDATE), all(2, 1, RO_ACCESS)]).doc(
        Set,
        "1.0.0",
        "Subtract multiple sets and store the resulting set in a key",
    ),
    cmd("sintercard", -3, READONLY, Read(sets::sintercard)).keys(&[counted(1, RO_ACCESS)]).doc(
        Set,
        "7.0.0",
        "Intersect multiple sets and return the cardinality of the result",
    ),
    cmd("sscan", -3, READONLY, Read(sets::sscan)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(Set, "2.8.0", "Incrementally iterate Set elements"),
    // ---------------------------------------------------------------- sorted sets (stages 92–99)
    cmd("zadd", -4, f(&[DENYOOM, FAST]), Write(zsets::zadd)).keys(&[one(1, RW_UPDATE)]).doc(SortedSet, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists"),
    cmd("zincrby", 4, f(&[DENYOOM, FAST]), Write(zsets::zincrby)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(SortedSet, "1.2.0", "Increment the score of a member in a sorted set"),
    cmd("zrem", -3, FAST, Write(zsets::zrem)).keys(&[one(1, RW_DELETE)]).doc(SortedSet, "1.2.0", "Remove one or more members from a sorted set"),
    cmd("zcard", 2, f(&[READONLY, FAST]), Read(zsets::zcard)).keys(&[one(1, RO)]).doc(SortedSet, "1.2.0", "Get the number of members in a sorted set"),
    cmd("zscore", 3, f(&[READONLY, FAST]), Read(zsets::zscore)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "1.2.0", "Get the score associated with the given member in a sorted set"),
    cmd("zmscore", -3, f(&[READONLY, FAST]), Read(zsets::zmscore)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "6.2.0", "Get the score associated with the given members in a sorted set"),
    cmd("zrank", 3, f(&[READONLY, FAST]), Read(zsets::zrank)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.0.0", "Determine the index of a member in a sorted set"),
    cmd("zrevrank", 3, f(&[READONLY, FAST]), Read(zsets::zrevrank)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    cmd("zpopmin", -2, FAST, Write(zsets::zpopmin)).keys(&[one(1, RW_ACCESS_DELETE)]).doc(SortedSet, "5.0.0", "Remove and return members with the lowest scores in a sorted set"),
    cmd("zpopmax", -2, FAST, Write(zsets::zpopmax)).keys(&[one(1, RW_ACCESS_DELETE)]).doc(SortedSet, "5.0.0", "Remove and return members with the highest scores in a sorted set"),
    cmd("zmpop", -4, NONE, Write(zsets::zmpop)).keys(&[counted(1, RW_ACCESS_DELETE)]).doc(SortedSet, "7.0.0", "Remove and return members with scores in a sorted set"),
    cmd("bzpopmin", -3, f(&[NOSCRIPT, FAST, BLOCKING]), Write(zsets::bzpopmin)).keys(&[all_but(1, -2, RW_ACCESS_DELETE)]).doc(SortedSet, "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    cmd("bzpopmax", -3, f(&[NOSCRIPT, FAST, BLOCKING]), Write(zsets::bzpopmax)).keys(&[all_but(1, -2, RW_ACCESS_DELETE)]).doc(SortedSet, "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    cmd("bzmpop", -5, BLOCKING, Write(zsets::bzmpop)).keys(&[counted(2, RW_ACCESS_DELETE)]).doc(SortedSet, "7.0.0", "Remove and return members with scores in a sorted set or block until one is available"),
    cmd("zrandmember", -2, READONLY, Read(zsets::zrandmember)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "6.2.0", "Get one or multiple random elements from a sorted set"),
    cmd("zscan", -3, READONLY, Read(zsets::zscan)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.8.0", "Incrementally iterate sorted sets elements and associated scores"),
    cmd("zcount", 4, f(&[READONLY, FAST]), Read(zsets::range::zcount)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.0.0", "Count the members in a sorted set with scores within the given values"),
    cmd("zlexcount", 4, f(&[READONLY, FAST]), Read(zsets::range::zlexcount)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range"),
    cmd("zrange", -4, READONLY, Read(zsets::range::zrange)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "1.2.0", "Return a range of members in a sorted set"),
    cmd("zrangestore", -5, DENYOOM, Write(zsets::range::zrangestore)).keys(&[one(1, OW_UPDATE), one(2, RO_ACCESS)]).doc(SortedSet, "6.2.0", "Store a range of members from sorted set into another key"),
    cmd("zrangebyscore", -4, READONLY, Read(zsets::range::zrangebyscore)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "1.0.5", "Return a range of members in a sorted set, by score"),
    cmd("zrevrangebyscore", -4, READONLY, Read(zsets::range::zrevrangebyscore)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    cmd("zrangebylex", -4, READONLY, Read(zsets::range::zrangebylex)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.8.9", "Return a range of members in a sorted set, by lexicographical range"),
    cmd("zrevrangebylex", -4, READONLY, Read(zsets::range::zrevrangebylex)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    cmd("zrevrange", -4, READONLY, Read(zsets::range::zrevrange)).keys(&[one(1, RO_ACCESS)]).doc(SortedSet, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    cmd("zremrangebyrank", 4, NONE, Write(zsets::range::zremrangebyrank)).keys(&[one(1, RW_DELETE)]).doc(SortedSet, "2.0.0", "Remove all members in a sorted set within the given indexes"),
    cmd("zremrangebyscore", 4, NONE, Write(zsets::range::zremrangebyscore)).keys(&[one(1, RW_DELETE)]).doc(SortedSet, "1.2.0", "Remove all members in a sorted set within the given scores"),
    cmd("zremrangebylex", 4, NONE, Write(zsets::range::zremrangebylex)).keys(&[one(1, RW_DELETE)]).doc(SortedSet, "2.8.9", "Remove all members in a sorted set between the given lexicographical range"),
    cmd("zunion", -3, READONLY, Read(zsets::algebra::zunion)).keys(&[counted(1, RO_ACCESS)]).doc(SortedSet, "6.2.0", "Add multiple sorted sets"),
    cmd("zinter", -3, READONLY, Read(zsets::algebra::zinter)).keys(&[counted(1, RO_ACCESS)]).doc(SortedSet, "6.2.0", "Intersect multiple sorted sets"),
    cmd("zdiff", -3, READONLY, Read(zsets::algebra::zdiff)).keys(&[counted(1, RO_ACCESS)]).doc(SortedSet, "6.2.0", "Subtract multiple sorted sets"),
    cmd("zunionstore", -4, DENYOOM, Write(zsets::algebra::zunionstore)).keys(&[one(1, OW_UPDATE), counted(2, RO_ACCESS)]).doc(SortedSet, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    cmd("zinterstore", -4, DENYOOM, Write(zsets::algebra::zinterstore)).keys(&[one(1, OW_UPDATE), counted(2, RO_ACCESS)]).doc(SortedSet, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    cmd("zdiffstore", -4, DENYOOM, Write(zsets::algebra::zdiffstore)).keys(&[one(1, OW_UPDATE), counted(2, RO_ACCESS)]).doc(SortedSet, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    cmd("zintercard", -3, READONLY, Read(zsets::algebra::zintercard)).keys(&[counted(1, RO_ACCESS)]).doc(SortedSet, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result"),
    // ---------------------------------------------------------------- geospatial (stages 100–107)
    cmd("geoadd", -5, DENYOOM, Write(geo::geoadd)).keys(&[one(1, RW_UPDATE)]).doc(Geo, "3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set"),
    cmd("geopos", -2, READONLY, Read(geo::geopos)).keys(&[one(1, RO_ACCESS)]).doc(Geo, "3.2.0", "Returns longitude and latitude of members of a geospatial index"),
    cmd("geodist", -4, READONLY, Read(geo::geodist)).keys(&[one(1, RO_ACCESS)]).doc(Geo, "3.2.0", "Returns the distance between two members of a geospatial index"),
    cmd("geohash", -2, READONLY, Read(geo::geohash)).keys(&[one(1, RO_ACCESS)]).doc(Geo, "3.2.0", "Returns members of a geospatial index as standard geohash strings"),
    cmd("geosearch", -7, READONLY, Read(geo::geosearch)).keys(&[one(1, RO_ACCESS)]).doc(Geo, "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle."),
    cmd("geosearchstore", -8, DENYOOM, Write(geo::geosearchstore)).keys(&[one(1, OW_UPDATE), one(2, RO_ACCESS)]).doc(Geo, "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key."),
    cmd("georadius", -6, DENYOOM, Write(geo::georadius)).keys(&[one(1, RO_ACCESS), keyword("STORE", 6, OW_UPDATE), keyword("STOREDIST", 6, OW_UPDATE)]).doc(Geo, "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point"),
    cmd("georadius_ro", -6, READONLY, Read(geo::georadius_ro)).keys(&[one(1, RO_ACCESS)]).doc(Geo, "3.2.10", "A read-only variant for GEORADIUS"),
    cmd("georadiusbymember", -5, DENYOOM, Write(geo::georadiusbymember)).keys(&[one(1, RO_ACCESS), keyword("STORE", 5, OW_UPDATE), keyword("STOREDIST", 5, OW_UPDATE)]).doc(Geo, "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member"),
    cmd("georadiusbymember_ro", -5, READONLY, Read(geo::georadiusbymember_ro)).keys(&[one(1, RO_ACCESS)]).doc(Geo, "3.2.10", "A read-only variant for GEORADIUSBYMEMBER"),
    // ---------------------------------------------------------------- streams (stages 42–54)
    cmd("xadd", -5, f(&[DENYOOM, FAST]), Write(streams::xadd)).tips(&["nondeterministic_output"]).keys(&[KeySpec { notes: "UPDATE instead of INSERT because of the optional trimming feature", ..one(1, RW_UPDATE) }]).doc(Stream, "5.0.0", "Appends a new entry to a stream"),
    cmd("xrange", -4, READONLY, Read(streams::xrange)).keys(&[one(1, RO_ACCESS)]).doc(Stream, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval"),
    cmd("xrevrange", -4, READONLY, Read(streams::xrevrange)).keys(&[one(1, RO_ACCESS)]).doc(Stream, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE"),
    cmd("xlen", 2, f(&[READONLY, FAST]), Read(streams::xlen)).keys(&[one(1, RO)]).doc(Stream, "5.0.0", "Return the number of entries in a stream"),
    cmd("xdel", -3, FAST, Write(streams::xdel)).keys(&[one(1, RW_DELETE)]).doc(Stream, "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."),
    cmd("xtrim", -4, NONE, Write(streams::xtrim)).tips(&["nondeterministic_output"]).keys(&[one(1, RW_DELETE)]).doc(Stream, "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size"),
    cmd("xread", -4, f(&[BLOCKING, READONLY]), Write(streams::read::xread)).keys(&[keyword_range("STREAMS", 1, -1, 1, 2, RO_ACCESS)]).doc(Stream, "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block."),
    cmd("xsetid", -3, f(&[DENYOOM, FAST]), Write(streams::xsetid)).keys(&[one(1, RW_UPDATE)]).doc(Stream, "5.0.0", "An internal command for replicating stream values"),
    cmd("xreadgroup", -7, BLOCKING, Write(streams::groups::xreadgroup)).keys(&[keyword_range("STREAMS", 4, -1, 1, 2, RO_ACCESS)]).doc(Stream, "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block."),
    cmd("xack", -4, FAST, Write(streams::groups::xack)).keys(&[one(1, RW_UPDATE)]).doc(Stream, "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL."),
    cmd("xpending", -3, READONLY, Read(streams::groups::xpending)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(Stream, "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged."),
    cmd("xclaim", -6, FAST, Write(streams::groups::xclaim)).tips(&["nondeterministic_output"]).keys(&[one(1, RW_UPDATE)]).doc(Stream, "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer."),
    cmd("xautoclaim", -6, FAST, Write(streams::groups::xautoclaim)).tips(&["nondeterministic_output"]).keys(&[one(1, RW_DELETE)]).doc(Stream, "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer."),
    cmd("xgroup", -2, NONE, Container).doc(Stream, "5.0.0", "A container for consumer groups commands").subcommands(&[
        cmd("create", -5, DENYOOM, Write(streams::groups::xgroup_create)).keys(&[one(2, RW_INSERT)]).doc(Stream, "5.0.0", "Create a consumer group."),
        cmd("setid", -5, NONE, Write(streams::groups::xgroup_setid)).keys(&[one(2, RW_UPDATE)]).doc(Stream, "5.0.0", "Set a consumer group to an arbitrary last delivered ID value."),
        cmd("destroy", 4, NONE, Write(streams::groups::xgroup_destroy)).keys(&[one(2, RW_DELETE)]).doc(Stream, "5.0.0", "Destroy a consumer group."),
        cmd("createconsumer", 5, DENYOOM, Write(streams::groups::xgroup_createconsumer)).keys(&[one(2, RW_INSERT)]).doc(Stream, "6.2.0", "Create a consumer in a consumer group."),
        cmd("delconsumer", 5, NONE, Write(streams::groups::xgroup_delconsumer)).keys(&[one(2, RW_DELETE)]).doc(Stream, "5.0.0", "Delete a consumer from a consumer group."),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(streams::groups::xgroup_help)).doc(Stream, "5.0.0", "Show helpful text about the different subcommands"),
    ]),
    cmd("xinfo", -2, NONE, Container).doc(Stream, "5.0.0", "A container for stream introspection commands").subcommands(&[
        cmd("stream", -3, READONLY, Read(streams::info::xinfo_stream)).keys(&[one(2, RO_ACCESS)]).doc(Stream, "5.0.0", "Get information about a stream"),
        cmd("groups", 3, READONLY, Read(streams::info::xinfo_groups)).keys(&[one(2, RO_ACCESS)]).doc(Stream, "5.0.0", "List the consumer groups of a stream"),
        cmd("consumers", 4, READONLY, Read(streams::info::xinfo_consumers)).tips(&["nondeterministic_output"]).keys(&[one(2, RO_ACCESS)]).doc(Stream, "5.0.0", "List the consumers in a consumer group"),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(streams::info::xinfo_help)).doc(Stream, "5.0.0", "Show helpful text about the different subcommands"),
    ]),
    // ---------------------------------------------------------------- keys (generic)
    cmd("del", -2, NONE, Write(keys::del)).tips(&["request_policy:multi_shard", "response_policy:agg_sum"]).keys(&[all(1, 1, RM_DELETE)]).doc(Generic, "1.0.0", "Deletes one or more keys."),
    cmd("unlink", -2, FAST, Write(keys::del)).tips(&["request_policy:multi_shard", "response_policy:agg_sum"]).keys(&[all(1, 1, RM_DELETE)]).doc(Generic, "4.0.0", "Asynchronously deletes one or more keys."),
    cmd("exists", -2, f(&[READONLY, FAST]), Read(keys::exists)).tips(&["request_policy:multi_shard", "response_policy:agg_sum"]).keys(&[all(1, 1, RO)]).doc(
        Generic,
        "1.0.0",
        "Determines whether one or more keys exist.",
    ),
    cmd("type", 2, f(&[READONLY, FAST]), Read(keys::type_)).keys(&[one(1, RO)]).doc(
        Generic,
        "1.0.0",
        "Determines the type of value stored at a key.",
    ),
    cmd("keys", 2, READONLY, Read(keys::keys)).acl(&["dangerous"]).tips(&["request_policy:all_shards", "nondeterministic_output_order"]).doc(Generic, "1.0.0", "Returns all key names that match a pattern."),
    cmd("scan", -2, READONLY, Read(keys::scan)).tips(&["nondeterministic_output", "request_policy:special"]).doc(Generic, "2.8.0", "Iterates over the key names in the database."),
    cmd("randomkey", 1, READONLY, Read(keys::randomkey)).tips(&["request_policy:all_shards", "nondeterministic_output"]).doc(Generic, "1.0.0", "Returns a random key name from the database."),
    cmd("rename", 3, NONE, Write(keys::rename)).keys(&[one(1, RW_ACCESS_DELETE), one(2, OW_UPDATE)]).doc(Generic, "1.0.0", "Renames a key and overwrites the destination."),
    cmd("renamenx", 3, FAST, Write(keys::renamenx)).keys(&[one(1, RW_ACCESS_DELETE), one(2, OW_INSERT)]).doc(
        Generic,
        "1.0.0",
        "Renames a key only when the target key name doesn't exist.",
    ),
    cmd("sort", -2, DENYOOM, Write(sort::sort)).keys(&[one(1, RO_ACCESS), SORT_PATTERN_KEYS, unknown("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", OW_UPDATE)]).find_keys(sort::sort_keys).acl(&["set", "sortedset", "list", "dangerous"]).doc(
        Generic,
        "1.0.0",
        "Sort the elements in a list, set or sorted set",
    ),
    cmd("sort_ro", -2, READONLY, Read(sort::sort_ro)).keys(&[one(1, RO_ACCESS), SORT_PATTERN_KEYS]).find_keys(sort::sort_ro_keys).acl(&["set", "sortedset", "list", "dangerous"]).doc(
        Generic,
        "7.0.0",
        "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    ),
    cmd("copy", -3, DENYOOM, Write(keys::copy)).keys(&[one(1, RO_ACCESS), one(2, OW_UPDATE)]).doc(Generic, "6.2.0", "Copies the value of a key to a new key."),
    cmd("move", 3, FAST, Write(keys::move_)).keys(&[one(1, RW_ACCESS_UPDATE)]).doc(Generic, "1.0.0", "Moves a key to another database."),
    cmd("dump", 2, READONLY, Read(dump::dump)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(
        Generic,
        "2.6.0",
        "Returns a serialized representation of the value stored at a key.",
    ),
    cmd("restore", -4, DENYOOM, Write(dump::restore)).acl(&["dangerous"]).keys(&[one(1, OW_UPDATE)]).doc(
        Generic,
        "2.6.0",
        "Creates a key from the serialized representation of a value.",
    ),
    cmd("restore-asking", -4, f(&[DENYOOM, Flags::ASKING]), Write(dump::restore)).acl(&["keyspace", "dangerous"]).keys(&[one(1, OW_UPDATE)]).doc(Server, "3.0.0", "An internal command for migrating keys in a cluster"),
    cmd("migrate", -6, NONE, Write(migrate::migrate)).tips(&["nondeterministic_output"]).acl(&["dangerous"]).keys(&[one(3, RW_ACCESS_DELETE), MIGRATE_KEYS]).find_keys(migrate::migrate_keys).doc(
        Generic,
        "2.6.0",
        "Atomically transfer a key from a Redis instance to another one.",
    ),
    cmd("touch", -2, f(&[READONLY, FAST]), Read(keys::touch)).tips(&["request_policy:multi_shard", "response_policy:agg_sum"]).keys(&[all(1, 1, RO)]).doc(
        Generic,
        "3.2.1",
        "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
    ),
    cmd("object", -2, NONE, Container).doc(Generic, "2.2.3", "A container for object introspection commands.").subcommands(&[
        cmd("encoding", 3, READONLY, Read(keys::object_encoding)).tips(&["nondeterministic_output"]).keys(&[one(2, RO)]).doc(
            Generic,
            "2.2.3",
            "Returns the internal encoding of a Redis object.",
        ),
        cmd("refcount", 3, READONLY, Read(keys::object_refcount)).tips(&["nondeterministic_output"]).keys(&[one(2, RO)]).doc(
            Generic,
            "2.2.3",
            "Returns the reference count of a value of a key.",
        ),
        cmd("idletime", 3, READONLY, Read(keys::object_idletime)).tips(&["nondeterministic_output"]).keys(&[one(2, RO)]).doc(
            Generic,
            "2.2.3",
            "Returns the time since the last access to a Redis object.",
        ),
        cmd("freq", 3, READONLY, Read(keys::object_freq)).tips(&["nondeterministic_output"]).keys(&[one(2, RO)]).doc(
            Generic,
            "4.0.0",
            "Returns the logarithmic access frequency counter of a Redis object.",
        ),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(keys::object_help)).doc(
            Generic,
            "6.2.0",
            "Returns helpful text about the different subcommands.",
        ),
    ]),
    cmd("memory", -2, NONE, Container).doc(Server, "4.0.0", "A container for memory diagnostics commands").subcommands(&[
        cmd("doctor", 2, NONE, Read(memory::doctor)).tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]).doc(Server, "4.0.0", "Outputs memory problems report"),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(memory::help)).doc(Server, "4.0.0", "Show helpful text about the different subcommands"),
        cmd("malloc-stats", 2, NONE, Plain(memory::malloc_stats)).tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]).doc(Server, "4.0.0", "Show allocator internal stats"),
        cmd("purge", 2, NONE, Plain(memory::purge)).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Server, "4.0.0", "Ask the allocator to release memory"),
        cmd("stats", 2, NONE, Read(memory::stats)).tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]).doc(Server, "4.0.0", "Show memory usage details"),
        cmd("usage", -3, READONLY, Read(memory::usage)).keys(&[one(2, RO)]).doc(Server, "4.0.0", "Estimate the memory usage of a key"),
    ]),
    // ---------------------------------------------------------------- expiry (stage 7)
    cmd("expire", -3, FAST, Write(expire::expire)).keys(&[one(1, RW_UPDATE)]).doc(Generic, "1.0.0", "Sets the expiration time of a key in seconds."),
    cmd("pexpire", -3, FAST, Write(expire::pexpire)).keys(&[one(1, RW_UPDATE)]).doc(
        Generic,
        "2.6.0",
        "Sets the expiration time of a key in milliseconds.",
    ),
    cmd("expireat", -3, FAST, Write(expire::expireat)).keys(&[one(1, RW_UPDATE)]).doc(
        Generic,
        "1.2.0",
        "Sets the expiration time of a key to a Unix timestamp.",
    ),
    cmd("pexpireat", -3, FAST, Write(expire::pexpireat)).keys(&[one(1, RW_UPDATE)]).doc(
        Generic,
        "2.6.0",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
    ),
    cmd("ttl", 2, f(&[READONLY, FAST]), Read(expire::ttl)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(
        Generic,
        "1.0.0",
        "Returns the expiration time in seconds of a key.",
    ),
    cmd("pttl", 2, f(&[READONLY, FAST]), Read(expire::pttl)).tips(&["nondeterministic_output"]).keys(&[one(1, RO_ACCESS)]).doc(
        Generic,
        "2.6.0",
        "Returns the expiration time in milliseconds of a key.",
    ),
    cmd("expiretime", 2, f(&[READONLY, FAST]), Read(expire::expiretime)).keys(&[one(1, RO_ACCESS)]).doc(
        Generic,
        "7.0.0",
        "Returns the expiration time of a key as a Unix timestamp.",
    ),
    cmd("pexpiretime", 2, f(&[READONLY, FAST]), Read(expire::pexpiretime)).keys(&[one(1, RO_ACCESS)]).doc(
        Generic,
        "7.0.0",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
    ),
    cmd("persist", 2, FAST, Write(expire::persist)).keys(&[one(1, RW_UPDATE)]).doc(Generic, "2.2.0", "Removes the expiration time of a key."),
    // ---------------------------------------------------------------- server
    cmd("dbsize", 1, f(&[READONLY, FAST]), Read(server::dbsize)).acl(&["keyspace"]).tips(&["request_policy:all_shards", "response_policy:agg_sum"]).doc(Server, "1.0.0", "Returns the number of keys in the database."),
    cmd("flushdb", -1, NONE, Write(server::flushdb)).acl(&["keyspace", "dangerous"]).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Server, "1.0.0", "Removes all keys from the current database."),
    cmd("flushall", -1, NONE, Write(server::flushall)).acl(&["keyspace", "dangerous"]).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Server, "1.0.0", "Removes all keys from all databases."),
    cmd("swapdb", 3, FAST, Write(server::swapdb)).acl(&["keyspace", "dangerous"]).doc(Server, "4.0.0", "Swaps two Redis databases."),
    cmd("time", 1, f(&[LOADING, STALE, FAST]), Plain(server::time)).tips(&["nondeterministic_output"]).doc(Server, "2.6.0", "Returns the server time."),
    cmd("info", -1, f(&[LOADING, STALE, SENTINEL]), Plain(super::info::info)).acl(&["dangerous"]).tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]).doc(
        Server,
        "1.0.0",
        "Returns information and statistics about the server.",
    ),
    cmd("replconf", -1, f(&[ADMIN, NOSCRIPT, LOADING, STALE, ALLOW_BUSY]), Plain(replication::replconf)).doc(Server, "3.0.0", "An internal command for configuring the replication stream"),
    cmd("psync", -3, f(&[ADMIN, NOSCRIPT, NO_ASYNC_LOADING, NO_MULTI]), Plain(replication::psync)).doc(Server, "2.8.0", "Internal command used for replication"),
    cmd("sync", 1, f(&[ADMIN, NOSCRIPT, NO_ASYNC_LOADING, NO_MULTI]), Plain(replication::sync)).doc(Server, "1.0.0", "Internal command used for replication"),
    cmd("wait", 3, NOSCRIPT, Plain(replication::wait)).acl(&["connection"]).tips(&["request_policy:all_shards", "response_policy:agg_min"]).doc(Generic, "3.0.0", "Wait for the synchronous replication of all the write commands sent in the context of the current connection"),
    cmd("failover", -1, f(&[ADMIN, NOSCRIPT, STALE]), Plain(replication::failover)).doc(Server, "6.2.0", "Start a coordinated failover between this server and one of its replicas."),
    cmd("replicaof", 3, f(&[ADMIN, NOSCRIPT, STALE, NO_ASYNC_LOADING]), Plain(replication::replicaof)).doc(Server, "5.0.0", "Make the server a replica of another instance, or promote it as master."),
    cmd("slaveof", 3, f(&[ADMIN, NOSCRIPT, STALE, NO_ASYNC_LOADING]), Plain(replication::replicaof)).doc(Server, "1.0.0", "Make the server a replica of another instance, or promote it as master."),
    cmd("role", 1, f(&[NOSCRIPT, LOADING, STALE, FAST]), Plain(replication::role)).acl(&["admin", "dangerous"]).doc(Server, "2.8.12", "Return the role of the instance in the context of replication"),
    cmd("monitor", 1, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(monitor::monitor)).doc(Server, "1.0.0", "Listen for all requests received by the server in real time"),
    cmd("slowlog", -2, NONE, Container).doc(Server, "2.2.12", "A container for slow log commands").subcommands(&[
        cmd("reset", 2, f(&[ADMIN, LOADING, STALE]), Plain(slowlog::reset)).tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]).doc(Server, "2.2.12", "Clear all entries from the slow log"),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(slowlog::help)).doc(Server, "6.2.0", "Show helpful text about the different subcommands"),
        cmd("get", -2, f(&[ADMIN, LOADING, STALE]), Plain(slowlog::get)).tips(&["request_policy:all_nodes", "nondeterministic_output"]).doc(Server, "2.2.12", "Get the slow log's entries"),
        cmd("len", 2, f(&[ADMIN, LOADING, STALE]), Plain(slowlog::len)).tips(&["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"]).doc(Server, "2.2.12", "Get the slow log's length"),
    ]),
    cmd("latency", -2, NONE, Container).doc(Server, "2.8.13", "A container for latency diagnostics commands").subcommands(&[
        cmd("histogram", -2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(latency::histogram)).tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]).doc(Server, "7.0.0", "Return the cumulative distribution of latencies of a subset of commands or all."),
        cmd("doctor", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(latency::doctor)).tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]).doc(Server, "2.8.13", "Return a human readable latency analysis report."),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(latency::help)).doc(Server, "2.8.13", "Show helpful text about the different subcommands."),
        cmd("history", 3, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(latency::history)).tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]).doc(Server, "2.8.13", "Return timestamp-latency samples for the event."),
        cmd("reset", -2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(latency::reset)).tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]).doc(Server, "2.8.13", "Reset latency data for one or more events."),
        cmd("graph", 3, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(latency::graph)).tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]).doc(Server, "2.8.13", "Return a latency graph for the event."),
        cmd("latest", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(latency::latest)).tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]).doc(Server, "2.8.13", "Return the latest latency samples for all events."),
    ]),
    cmd("acl", -2, SENTINEL, Container).doc(Server, "6.0.0", "A container for Access List Control commands.").subcommands(&[
        cmd("cat", -2, f(&[NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::cat)).doc(Server, "6.0.0", "Lists the ACL categories, or the commands inside a category."),
        cmd("deluser", -3, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::deluser)).doc(Server, "6.0.0", "Deletes ACL users, and terminates their connections."),
        cmd("dryrun", -4, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::dryrun)).doc(Server, "7.0.0", "Simulates the execution of a command by a user, without executing the command."),
        cmd("genpass", -2, f(&[NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::genpass)).doc(Server, "6.0.0", "Generates a pseudorandom, secure password that can be used to identify ACL users."),
        cmd("getuser", 3, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::getuser)).doc(Server, "6.0.0", "Lists the ACL rules of a user."),
        cmd("help", 2, f(&[LOADING, STALE, SENTINEL]), Plain(acl::help)).doc(Server, "6.0.0", "Returns helpful text about the different subcommands."),
        cmd("list", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::list)).doc(Server, "6.0.0", "Dumps the effective rules in ACL file format."),
        cmd("load", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::load)).doc(Server, "6.0.0", "Reloads the rules from the configured ACL file."),
        cmd("log", -2, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::log)).doc(Server, "6.0.0", "Lists recent security events generated due to ACL rules."),
        cmd("save", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::save)).doc(Server, "6.0.0", "Saves the effective ACL rules in the configured ACL file."),
        cmd("setuser", -3, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::setuser)).doc(Server, "6.0.0", "Creates and modifies an ACL user and its rules."),
        cmd("users", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::users)).doc(Server, "6.0.0", "Lists all ACL users."),
        cmd("whoami", 2, f(&[NOSCRIPT, LOADING, STALE, SENTINEL]), Plain(acl::whoami)).doc(Server, "6.0.0", "Returns the authenticated username of the current connection."),
    ]),
    cmd("config", -2, NONE, Container).doc(Server, "2.0.0", "A container for server configuration commands.").subcommands(&[
        cmd("get", -3, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(config::get)).doc(
            Server,
            "2.0.0",
            "Returns the effective values of configuration parameters.",
        ),
        cmd("set", -4, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(config::set)).tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]).doc(
            Server,
            "2.0.0",
            "Sets configuration parameters in-flight.",
        ),
        cmd("resetstat", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(config::resetstat)).doc(
            Server,
            "2.0.0",
            "Resets the server's statistics.",
        ),
        cmd("rewrite", 2, f(&[ADMIN, NOSCRIPT, LOADING, STALE]), Plain(config::rewrite)).doc(
            Server,
            "2.8.0",
            "Persists the effective configuration to file.",
        ),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(config::help)).doc(
            Server,
            "5.0.0",
            "Returns helpful text about the different subcommands.",
        ),
    ]),
    cmd("command", -1, f(&[LOADING, STALE, SENTINEL]), Plain(introspection::command)).acl(&["connection"]).tips(&["nondeterministic_output_order"])
        .doc(Server, "2.8.13", "Returns detailed information about all commands.")
        .subcommands(&[
            cmd("count", 2, f(&[LOADING, STALE]), Plain(introspection::count)).acl(&["connection"]).doc(Server, "2.8.13", "Returns a count of commands."),
            cmd("docs", -2, f(&[LOADING, STALE]), Plain(introspection::docs)).acl(&["connection"]).tips(&["nondeterministic_output_order"]).doc(
                Server,
                "7.0.0",
                "Returns documentary information about one, multiple or all commands.",
            ),
            cmd("info", -2, f(&[LOADING, STALE]), Plain(introspection::info)).acl(&["connection"]).tips(&["nondeterministic_output_order"]).doc(
                Server,
                "2.8.13",
                "Returns information about one, multiple or all commands.",
            ),
            cmd("list", -2, f(&[LOADING, STALE]), Plain(introspection::list)).acl(&["connection"]).tips(&["nondeterministic_output_order"]).doc(Server, "7.0.0", "Returns a list of command names."),
            cmd("getkeys", -4, f(&[LOADING, STALE]), Plain(introspection::getkeys)).acl(&["connection"]).doc(
                Server,
                "2.8.13",
                "Extracts the key names from an arbitrary command.",
            ),
            cmd("getkeysandflags", -4, f(&[LOADING, STALE]), Plain(introspection::getkeysandflags)).acl(&["connection"]).doc(Server, "7.0.0", "Extract keys and access flags given a full Redis command"),
            cmd("help", 2, f(&[LOADING, STALE]), Plain(introspection::help)).acl(&["connection"]).doc(
                Server,
                "5.0.0",
                "Returns helpful text about the different subcommands.",
            ),
        ]),
    cmd("debug", -2, f(&[ADMIN, NOSCRIPT, LOADING, STALE, PROTECTED]), Plain(debug::debug)).doc(
        Server,
        "1.0.0",
        "A container for debugging commands.",
    ),
    cmd("shutdown", -1, f(&[ADMIN, NOSCRIPT, LOADING, STALE, NO_MULTI, SENTINEL, ALLOW_BUSY]), Plain(server::shutdown)).doc(
        Server,
        "1.0.0",
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
    ),
    // ---------------------------------------------------------------- persistence (RDB and AOF)
    cmd("save", 1, f(&[ADMIN, NOSCRIPT, NO_ASYNC_LOADING, NO_MULTI]), Plain(persistence::save)).doc(
        Server,
        "1.0.0",
        "Synchronously saves the database(s) to disk.",
    ),
    cmd("bgsave", -1, f(&[ADMIN, NOSCRIPT, NO_ASYNC_LOADING]), Plain(persistence::bgsave)).doc(
        Server,
        "1.0.0",
        "Asynchronously saves the database(s) to disk.",
    ),
    cmd("lastsave", 1, f(&[LOADING, STALE, FAST]), Plain(persistence::lastsave))
        .acl(&["admin", "dangerous"])
        .tips(&["nondeterministic_output"])
        .doc(Server, "1.0.0", "Returns the Unix timestamp of the last successful save to disk."),
    cmd("bgrewriteaof", 1, f(&[ADMIN, NOSCRIPT, NO_ASYNC_LOADING]), Plain(persistence::bgrewriteaof)).doc(
        Server,
        "1.0.0",
        "Asynchronously rewrites the append-only file to disk.",
    ),
    // ---------------------------------------------------------------- scripting (EVAL and SCRIPT)
    // Not write commands: a script always runs on the write path all the same (`WritePath`).
    cmd("eval", -3, SCRIPT_FLAGS, WritePath(scripting::eval)).keys(&[KeySpec { notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", ..counted(2, RW_ACCESS_UPDATE) }]).doc(Scripting, "2.6.0", "Execute a Lua script server side"),
    cmd("evalsha", -3, SCRIPT_FLAGS, WritePath(scripting::evalsha)).keys(&[counted(2, RW_ACCESS_UPDATE)]).doc(Scripting, "2.6.0", "Execute a Lua script server side"),
    cmd("eval_ro", -3, SCRIPT_RO_FLAGS, WritePath(scripting::eval_ro)).keys(&[KeySpec { notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", ..counted(2, RO_ACCESS) }]).doc(Scripting, "7.0.0", "Execute a read-only Lua script server side"),
    cmd("evalsha_ro", -3, SCRIPT_RO_FLAGS, WritePath(scripting::evalsha_ro)).keys(&[counted(2, RO_ACCESS)]).doc(Scripting, "7.0.0", "Execute a read-only Lua script server side"),
    cmd("script", -2, NONE, Container).doc(Scripting, "2.6.0", "A container for Lua scripts management commands").subcommands(&[
        cmd("debug", 3, NOSCRIPT, Plain(scripting::script_debug)).doc(Scripting, "3.2.0", "Set the debug mode for executed scripts."),
        cmd("exists", -3, NOSCRIPT, Plain(scripting::script_exists)).tips(&["request_policy:all_shards", "response_policy:agg_logical_and"]).doc(Scripting, "2.6.0", "Check existence of scripts in the script cache."),
        cmd("flush", -2, NOSCRIPT, Plain(scripting::script_flush)).tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]).doc(Scripting, "2.6.0", "Remove all the scripts from the script cache."),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(scripting::script_help)).doc(Scripting, "5.0.0", "Show helpful text about the different subcommands"),
        cmd("kill", 2, f(&[NOSCRIPT, ALLOW_BUSY]), Plain(scripting::script_kill)).tips(&["request_policy:all_shards", "response_policy:one_succeeded"]).doc(Scripting, "2.6.0", "Kill the script currently in execution."),
        cmd("load", 3, f(&[NOSCRIPT, STALE]), Plain(scripting::script_load)).tips(&["request_policy:all_nodes", "response_policy:all_succeeded"]).doc(Scripting, "2.6.0", "Load the specified Lua script into the script cache."),
    ]),
    cmd("fcall", -3, SCRIPT_FLAGS, WritePath(functions::fcall)).keys(&[KeySpec { notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", ..counted(2, RW_ACCESS_UPDATE) }]).doc(Scripting, "7.0.0", "Invoke a function"),
    cmd("fcall_ro", -3, SCRIPT_RO_FLAGS, WritePath(functions::fcall_ro)).keys(&[KeySpec { notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", ..counted(2, RO_ACCESS) }]).doc(Scripting, "7.0.0", "Invoke a read-only function"),
    cmd("function", -2, NONE, Container).doc(Scripting, "7.0.0", "A container for function commands").subcommands(&[
        cmd("delete", 3, NOSCRIPT, Write(functions::delete)).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Scripting, "7.0.0", "Delete a function by name"),
        cmd("dump", 2, NOSCRIPT, Plain(functions::dump)).doc(Scripting, "7.0.0", "Dump all functions into a serialized binary payload"),
        cmd("flush", -2, NOSCRIPT, Write(functions::flush)).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Scripting, "7.0.0", "Deleting all functions"),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(functions::help)).doc(Scripting, "7.0.0", "Show helpful text about the different subcommands"),
        cmd("kill", 2, f(&[NOSCRIPT, ALLOW_BUSY]), Plain(functions::kill)).tips(&["request_policy:all_shards", "response_policy:one_succeeded"]).doc(Scripting, "7.0.0", "Kill the function currently in execution."),
        cmd("list", -2, NOSCRIPT, Plain(functions::list)).tips(&["nondeterministic_output_order"]).doc(Scripting, "7.0.0", "List information about all the functions"),
        cmd("load", -3, f(&[DENYOOM, NOSCRIPT]), Write(functions::load)).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Scripting, "7.0.0", "Create a function with the given arguments (name, code, description)"),
        cmd("restore", -3, f(&[DENYOOM, NOSCRIPT]), Write(functions::restore)).tips(&["request_policy:all_shards", "response_policy:all_succeeded"]).doc(Scripting, "7.0.0", "Restore all the functions on the given payload"),
        cmd("stats", 2, f(&[NOSCRIPT, ALLOW_BUSY]), Plain(functions::stats)).tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]).doc(Scripting, "7.0.0", "Return information about the function currently running (name, description, duration)"),
    ]),
    // ---------------------------------------------------------------- transactions (stages 58–73)
    cmd("multi", 1, f(&[NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY, TXN_CONTROL]), Plain(transactions::multi)).doc(Transactions, "1.2.0", "Mark the start of a transaction block"),
    cmd("exec", 1, f(&[NOSCRIPT, LOADING, STALE, SKIP_SLOWLOG, TXN_CONTROL]), Plain(transactions::exec)).doc(Transactions, "1.2.0", "Execute all commands issued after MULTI"),
    cmd("discard", 1, f(&[NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY, TXN_CONTROL]), Plain(transactions::discard)).doc(Transactions, "2.0.0", "Discard all commands issued after MULTI"),
    cmd("watch", -2, f(&[NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY, TXN_CONTROL]), Read(transactions::watch)).keys(&[all(1, 1, RO)]).doc(
        Transactions,
        "2.2.0",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
    ),
    cmd("unwatch", 1, f(&[NOSCRIPT, LOADING, STALE, FAST, ALLOW_BUSY]), Plain(transactions::unwatch)).doc(Transactions, "2.2.0", "Forget about all watched keys"),
    cmd("reset", 1, f(&[NOSCRIPT, LOADING, STALE, FAST, NO_AUTH, ALLOW_BUSY, TXN_CONTROL, PUBSUB_OK]), Plain(connection::reset)).doc(Connection, "6.2.0", "Reset the connection"),
    cmd("cluster", -2, NONE, Container).doc(Cluster, "3.0.0", "A container for cluster commands").subcommands(&[
        cmd("addslots", -3, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Assign new hash slots to receiving node"),
        cmd("addslotsrange", -4, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "7.0.0", "Assign new hash slots to receiving node"),
        cmd("bumpepoch", 2, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "3.0.0", "Advance the cluster config epoch"),
        cmd("count-failure-reports", 3, f(&[ADMIN, STALE]), Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "3.0.0", "Return the number of failure reports active for a given node"),
        cmd("countkeysinslot", 3, STALE, Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Return the number of local keys in the specified hash slot"),
        cmd("delslots", -3, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Set hash slots as unbound in receiving node"),
        cmd("delslotsrange", -4, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "7.0.0", "Set hash slots as unbound in receiving node"),
        cmd("failover", -2, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Forces a replica to perform a manual failover of its master."),
        cmd("flushslots", 2, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Delete a node's own slots information"),
        cmd("forget", 3, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Remove a node from the nodes table"),
        cmd("getkeysinslot", 4, STALE, Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "3.0.0", "Return local key names in the specified hash slot"),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(cluster::refuse)).doc(Cluster, "5.0.0", "Show helpful text about the different subcommands"),
        cmd("info", 2, STALE, Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "3.0.0", "Provides info about Redis Cluster node state"),
        cmd("keyslot", 3, STALE, Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Returns the hash slot of the specified key"),
        cmd("links", 2, STALE, Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "7.0.0", "Returns a list of all TCP links to and from peer nodes in cluster"),
        cmd("meet", -4, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Force a node cluster to handshake with another node"),
        cmd("myid", 2, STALE, Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Return the node id"),
        cmd("nodes", 2, STALE, Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "3.0.0", "Get Cluster config for the node"),
        cmd("replicas", 3, f(&[ADMIN, STALE]), Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "5.0.0", "List replica nodes of the specified master node"),
        cmd("replicate", 3, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Reconfigure a node as a replica of the specified master node"),
        cmd("reset", -2, f(&[ADMIN, NOSCRIPT, STALE]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Reset a Redis Cluster node"),
        cmd("saveconfig", 2, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Forces the node to save cluster state on disk"),
        cmd("set-config-epoch", 3, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Set the configuration epoch in a new node"),
        cmd("setslot", -4, f(&[ADMIN, STALE, NO_ASYNC_LOADING]), Plain(cluster::refuse)).doc(Cluster, "3.0.0", "Bind a hash slot to a specific node"),
        cmd("shards", 2, STALE, Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "7.0.0", "Get array of cluster slots to node mappings"),
        cmd("slaves", 3, f(&[ADMIN, STALE]), Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "3.0.0", "List replica nodes of the specified master node"),
        cmd("slots", 2, STALE, Plain(cluster::refuse)).tips(&["nondeterministic_output"]).doc(Cluster, "3.0.0", "Get array of Cluster slot to node mappings"),
    ]),
    cmd("asking", 1, FAST, Plain(cluster::refuse)).acl(&["connection"]).doc(Cluster, "3.0.0", "Sent by cluster clients after an -ASK redirect"),
    cmd("readonly", 1, f(&[LOADING, STALE, FAST]), Plain(cluster::refuse)).acl(&["connection"]).doc(Cluster, "3.0.0", "Enables read queries for a connection to a cluster replica node"),
    cmd("readwrite", 1, f(&[LOADING, STALE, FAST]), Plain(cluster::refuse)).acl(&["connection"]).doc(Cluster, "3.0.0", "Disables read queries for a connection to a cluster replica node"),
    // ---------------------------------------------------------------- pub/sub (stages 85–91)
    cmd("subscribe", -2, f(&[PUBSUB, NOSCRIPT, LOADING, STALE, PUBSUB_OK]), Plain(pubsub::subscribe)).channels(Channels::Subscribe).doc(Pubsub, "2.0.0", "Listen for messages published to the given channels"),
    cmd("unsubscribe", -1, f(&[PUBSUB, NOSCRIPT, LOADING, STALE, PUBSUB_OK]), Plain(pubsub::unsubscribe)).doc(Pubsub, "2.0.0", "Stop listening for messages posted to the given channels"),
    cmd("psubscribe", -2, f(&[PUBSUB, NOSCRIPT, LOADING, STALE, PUBSUB_OK]), Plain(pubsub::psubscribe)).channels(Channels::Patterns).doc(Pubsub, "2.0.0", "Listen for messages published to channels matching the given patterns"),
    cmd("punsubscribe", -1, f(&[PUBSUB, NOSCRIPT, LOADING, STALE, PUBSUB_OK]), Plain(pubsub::punsubscribe)).doc(
        Pubsub,
        "2.0.0",
        "Stop listening for messages posted to channels matching the given patterns",
    ),
    cmd("ssubscribe", -2, f(&[PUBSUB, NOSCRIPT, LOADING, STALE, PUBSUB_OK]), Plain(pubsub::ssubscribe)).channels(Channels::Subscribe).keys(&[all(1, 1, NOT_KEY)]).doc(
        Pubsub,
        "7.0.0",
        "Listen for messages published to the given shard channels",
    ),
    cmd("sunsubscribe", -1, f(&[PUBSUB, NOSCRIPT, LOADING, STALE, PUBSUB_OK]), Plain(pubsub::sunsubscribe)).keys(&[all(1, 1, NOT_KEY)]).doc(
        Pubsub,
        "7.0.0",
        "Stop listening for messages posted to the given shard channels",
    ),
    cmd("publish", 3, f(&[PUBSUB, LOADING, STALE, FAST, MAY_REPLICATE]), ReadOrWrite(pubsub::publish, pubsub::publish_to_replicas)).channels(Channels::Publish).doc(Pubsub, "2.0.0", "Post a message to a channel"),
    cmd("spublish", 3, f(&[PUBSUB, LOADING, STALE, FAST, MAY_REPLICATE]), ReadOrWrite(pubsub::spublish, pubsub::spublish_to_replicas)).channels(Channels::Publish).keys(&[one(1, NOT_KEY)]).doc(Pubsub, "7.0.0", "Post a message to a shard channel"),
    cmd("pubsub", -2, NONE, Container).doc(Pubsub, "2.8.0", "A container for Pub/Sub commands").subcommands(&[
        cmd("channels", -2, f(&[PUBSUB, LOADING, STALE]), Plain(pubsub::pubsub_channels)).doc(Pubsub, "2.8.0", "List active channels"),
        cmd("numsub", -2, f(&[PUBSUB, LOADING, STALE]), Plain(pubsub::pubsub_numsub)).doc(Pubsub, "2.8.0", "Get the count of subscribers for channels"),
        cmd("numpat", 2, f(&[PUBSUB, LOADING, STALE]), Plain(pubsub::pubsub_numpat)).doc(Pubsub, "2.8.0", "Get the count of unique patterns pattern subscriptions"),
        cmd("shardchannels", -2, f(&[PUBSUB, LOADING, STALE]), Plain(pubsub::pubsub_shardchannels)).doc(Pubsub, "7.0.0", "List active shard channels"),
        cmd("shardnumsub", -2, f(&[PUBSUB, LOADING, STALE]), Plain(pubsub::pubsub_shardnumsub)).doc(Pubsub, "7.0.0", "Get the count of subscribers for shard channels"),
        cmd("help", 2, f(&[LOADING, STALE]), Plain(pubsub::pubsub_help)).doc(Pubsub, "6.2.0", "Show helpful text about the different subcommands"),
    ]),
];

#[cfg(test)]
mod tests {
    use crate::commands::{Flags, Handler, all_commands};

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
}
