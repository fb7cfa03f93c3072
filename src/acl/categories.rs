//! ACL categories (`@read`, `@string`, `@dangerous`...): Redis's 21, in the order Redis lists
//! them (acl.c's table), and which of them each command of the table belongs to. A command's
//! categories follow from its row: the group it is documented under, the categories the row
//! names, and the ones Redis derives from flags (`setImplicitACLCategories`).

use std::sync::OnceLock;

use crate::commands::{Command, Flags, Group, Handler, all_commands};

/// Every category, in Redis's order: `ACL CAT`, `COMMAND INFO` and the rule describer use it.
pub const NAMES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// A set of categories: bit `i` is [`NAMES`]`[i]`.
pub type Categories = u32;

/// The category named `name` (any case), as its bit.
pub fn by_name(name: &[u8]) -> Option<Categories> {
    NAMES
        .iter()
        .position(|category| category.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

/// The categories of the command with id `id` (its index in `all_commands()`), computed once.
pub fn of_id(id: usize) -> Categories {
    static TABLE: OnceLock<Vec<Categories>> = OnceLock::new();
    TABLE.get_or_init(|| {
        all_commands()
            .iter()
            .map(|resolved| of(resolved.command))
            .collect()
    })[id]
}

/// The names of `categories`, in Redis's order.
pub fn names(categories: Categories) -> impl Iterator<Item = &'static str> {
    NAMES
        .iter()
        .enumerate()
        .filter(move |(i, _)| categories & (1 << i) != 0)
        .map(|(_, name)| *name)
}

/// A command's categories: those its group stands for and those its row adds, plus the
/// implicit ones Redis derives from flags: write, read, admin and dangerous, fast or else
/// slow, blocking, pubsub.
pub fn of(command: &Command) -> Categories {
    let is_container = matches!(command.handler, Handler::Container);
    let from_group = match command.group {
        _ if is_container => None,
        // A generic command the row files under data types instead (SORT: lists, sets and
        // sorted sets) is not about the keyspace, as Redis lists it.
        Group::Generic if command.acl_categories.iter().any(|c| is_data_type(c)) => None,
        // Nor is WAIT, a generic command about the connection's writes.
        Group::Generic if command.acl_categories.contains(&"connection") => None,
        Group::Generic => Some("keyspace"),
        Group::String => Some("string"),
        Group::Connection => Some("connection"),
        Group::Scripting => Some("scripting"),
        Group::List => Some("list"),
        Group::Hash => Some("hash"),
        Group::Set => Some("set"),
        Group::SortedSet => Some("sortedset"),
        Group::Geo => Some("geo"),
        Group::Stream => Some("stream"),
        Group::Bitmap => Some("bitmap"),
        Group::HyperLogLog => Some("hyperloglog"),
        Group::Transactions => Some("transaction"),
        // Pub/sub commands are `@pubsub` by their flag; PUBSUB HELP is not.
        Group::Server | Group::Pubsub | Group::Cluster => None,
    };
    let flags = command.flags;
    let implied = [
        (command.is_write(), "write"),
        // Redis's `setImplicitACLCategories` keeps scripting commands (EVAL_RO, FCALL_RO) out.
        (
            flags.contains(Flags::READONLY) && !matches!(command.group, Group::Scripting),
            "read",
        ),
        (flags.contains(Flags::ADMIN), "admin"),
        (flags.contains(Flags::ADMIN), "dangerous"),
        (flags.contains(Flags::FAST), "fast"),
        (!flags.contains(Flags::FAST), "slow"),
        (flags.contains(Flags::BLOCKING), "blocking"),
        (flags.contains(Flags::PUBSUB), "pubsub"),
    ];
    let named = from_group
        .into_iter()
        .chain(command.acl_categories.iter().copied())
        .chain(implied.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
    named.fold(0, |all, name| {
        all | by_name(name.as_bytes()).expect("the table names only Redis's categories")
    })
}

/// Whether a category stands for a data type's commands.
fn is_data_type(category: &str) -> bool {
    matches!(
        category,
        "string"
            | "list"
            | "hash"
            | "set"
            | "sortedset"
            | "stream"
            | "bitmap"
            | "hyperloglog"
            | "geo"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::lookup;

    fn categories_of(name: &str) -> Vec<&'static str> {
        names(of(lookup(name.as_bytes()).unwrap().command)).collect()
    }

    #[test]
    fn commands_have_redis_s_categories() {
        assert_eq!(categories_of("get"), ["read", "string", "fast"]);
        assert_eq!(categories_of("set"), ["write", "string", "slow"]);
        assert_eq!(
            categories_of("flushall"),
            ["keyspace", "write", "slow", "dangerous"]
        );
        assert_eq!(
            categories_of("blpop"),
            ["write", "list", "slow", "blocking"]
        );
    }

    #[test]
    fn every_command_of_the_table_has_known_categories() {
        for (id, resolved) in all_commands().iter().enumerate() {
            assert_eq!(of_id(id), of(resolved.command), "{}", resolved.full_name());
        }
        assert_eq!(by_name(b"DANGEROUS"), Some(1 << 17));
        assert_eq!(by_name(b"nosuch"), None);
    }
}
