//! Authentication and access control, as Redis 7.0's ACL (stages 108–115). The map:
//!
//! - `sha256.rs` — passwords are kept only as their SHA-256, in hex;
//! - `categories.rs` — `@read`, `@string`, `@dangerous`...: which commands each holds;
//! - `selector.rs` — one set of permissions: commands (a bitmap over the command table), key
//!   patterns for reading and writing, channel patterns; the check of one request against them;
//! - `user.rs` — a user: on or off, passwords, its selectors; the rule language (`ACL SETUSER`
//!   rules) applied and described back;
//! - `log.rs` — `ACL LOG`, the recent refusals;
//! - `file.rs` — the `aclfile`, read whole or not at all, and written atomically.
//!
//! This file holds the users ([`Acl`]) and what a connection knows of who it is ([`Login`]).
//! A change to a user replaces it as a whole (users are immutable and shared), and bumps a
//! generation number; each connection compares that number before each command and picks up
//! its user's new rules, so the check itself takes no lock. Which commands are refused, and
//! with which error, is decided in one place: `commands::acl::authorize`, called by dispatch.
//! The ACL knows nothing of clients or sockets: disconnecting the clients of a deleted user is
//! the commands' job.

pub mod categories;
pub mod file;
pub mod log;
mod selector;
pub mod sha256;
mod user;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::config::Config;

pub use log::{AclLog, Context, Entry, Reason};
pub use selector::Selector;
pub use user::User;

/// Why a rule was refused; [`RuleError::message`] is Redis's text (`ACLSetUserStringError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    UnknownCommand,
    Syntax,
    AfterAllKeys,
    AfterAllChannels,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::AfterAllKeys => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::AfterAllChannels => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// Why a request was refused: the command itself, or the key or channel argument at a
/// position. Ordered as Redis ranks them when selectors disagree (a later key ranks higher).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    Command,
    Key(usize),
    Channel(usize),
}

impl Denied {
    pub fn reason(self) -> Reason {
        match self {
            Denied::Command => Reason::Command,
            Denied::Key(_) => Reason::Key,
            Denied::Channel(_) => Reason::Channel,
        }
    }
}

/// The users, by name, and the ACL log.
pub struct Acl {
    users: RwLock<BTreeMap<Vec<u8>, Arc<User>>>,
    /// Bumped by every change to any user (see the module doc).
    generation: AtomicU64,
    /// The default user is on and `nopass`: connections start authenticated.
    default_open: AtomicBool,
    pub log: AclLog,
}

impl Default for Acl {
    fn default() -> Acl {
        let acl = Acl {
            users: RwLock::default(),
            generation: AtomicU64::new(0),
            default_open: AtomicBool::new(true),
            log: AclLog::default(),
        };
        acl.replace_all(file::Users::new());
        acl
    }
}

impl Acl {
    pub fn get(&self, name: &[u8]) -> Option<Arc<User>> {
        self.read().get(name).cloned()
    }

    pub fn default_user(&self) -> Arc<User> {
        self.get(b"default")
            .expect("the default user always exists")
    }

    /// Every user, in name order.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.read().values().cloned().collect()
    }

    /// Changes on every change to a user.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether a connection that never authenticated must (Redis's `authRequired`): the
    /// default user has a password or is off.
    pub fn login_required(&self) -> bool {
        !self.default_open.load(Ordering::Acquire)
    }

    /// The user `name` if `password` is one of its passwords and it is on.
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<Arc<User>> {
        self.get(name).filter(|user| user.accepts(password))
    }

    /// `ACL SETUSER name rules...`: creates or changes a user, all the rules or none. Returns
    /// the user as it was (if it existed) and as it is now.
    pub fn set_user(
        &self,
        name: &[u8],
        rules: &[Vec<u8>],
        all_channels: bool,
    ) -> Result<(Option<Arc<User>>, Arc<User>), String> {
        if !selector::no_spaces(name) {
            return Err("Usernames can't contain spaces or null characters".into());
        }
        let mut users = self.write();
        let old = users.get(name).cloned();
        let new = Arc::new(User::with_rules(old.as_deref(), name, rules, all_channels)?);
        users.insert(name.to_vec(), Arc::clone(&new));
        self.changed(&users);
        Ok((old, new))
    }

    /// `ACL DELUSER`: how many of `names` existed. The default user cannot be removed.
    pub fn delete(&self, names: &[&[u8]]) -> Result<usize, &'static str> {
        if names.contains(&&b"default"[..]) {
            return Err("The 'default' user cannot be removed");
        }
        let mut users = self.write();
        let deleted = names.iter().filter(|n| users.remove(**n).is_some()).count();
        self.changed(&users);
        Ok(deleted)
    }

    /// Replaces every user (startup, `ACL LOAD`); a set without a default user gets the one
    /// every server starts with.
    pub fn replace_all(&self, new: file::Users) {
        let mut users = self.write();
        *users = new.into_iter().map(|(n, u)| (n, Arc::new(u))).collect();
        users
            .entry(b"default".to_vec())
            .or_insert_with(|| Arc::new(User::default_user()));
        self.changed(&users);
    }

    /// `requirepass`: the default user gets this one password, or `nopass` for none (Redis's
    /// `ACLUpdateDefaultUserPassword`).
    pub fn set_default_password(&self, password: Option<&[u8]>) {
        let rules = match password {
            Some(password) => vec![b"resetpass".to_vec(), [b">", password].concat()],
            None => vec![b"resetpass".to_vec(), b"nopass".to_vec()],
        };
        self.set_user(b"default", &rules, false)
            .expect("password rules are valid");
    }

    fn changed(&self, users: &BTreeMap<Vec<u8>, Arc<User>>) {
        let default = &users[&b"default"[..]];
        self.default_open.store(
            default.is_nopass() && default.is_enabled(),
            Ordering::Release,
        );
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Vec<u8>, Arc<User>>> {
        self.users.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Vec<u8>, Arc<User>>> {
        self.users.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The users a server starts with (Redis's `ACLLoadUsersAtStartup`): the default user with
/// the `requirepass` password if there is one, then the configuration's `user` lines, or the
/// `aclfile` — not both. The error is Redis's log line; the server does not start.
pub fn from_config(config: &Config) -> Result<Acl, String> {
    let acl = Acl::default();
    let password = crate::config::read(&config.requirepass);
    if !password.is_empty() {
        acl.set_default_password(Some(password.as_bytes()));
    }
    let aclfile = crate::config::read(&config.aclfile);
    if !aclfile.is_empty() && !config.users.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
    }
    let all_channels = config.acl_all_channels();
    let mut users: file::Users = acl
        .users()
        .iter()
        .map(|user| (user.name.clone(), User::clone(user)))
        .collect();
    let declared = configured_users(&config.users, all_channels).map_err(|error| {
        crate::log!(Warning, "{error}");
        "Critical error while loading ACLs. Exiting.".to_string()
    })?;
    users.extend(declared);
    acl.replace_all(users);
    if !aclfile.is_empty() {
        let users = file::load(&aclfile, all_channels)
            .map_err(|errors| format!("Aborting Redis startup because of ACL errors: {errors}"))?;
        acl.replace_all(users);
    }
    Ok(acl)
}

/// Checks a `user name rules...` line of the configuration file, given as its words after
/// `user`, as Redis does while reading the file (`ACLAppendUserForLoading`): rules that do not
/// parse are an error; unknown commands are found when the users are loaded. The message
/// names the word at the rule's index among all the line's words, `user` included, as
/// Redis's does.
pub fn check_config_user(words: &[String]) -> Result<(), String> {
    let declaration_error = |index: usize, reason: &str| {
        let all: Vec<&str> = std::iter::once("user")
            .chain(words.iter().map(String::as_str))
            .collect();
        format!(
            "Error in user declaration '{}': {reason}",
            all.get(index).unwrap_or(&"")
        )
    };
    let rules = to_bytes(&words[1..]);
    let merged = user::merge_selectors(&rules).map_err(|start| {
        let index = rules
            .iter()
            .position(|r| r.as_slice() == start)
            .unwrap_or(0);
        declaration_error(index, RuleError::Syntax.message())
    })?;
    let mut user = User::new(words[0].as_bytes(), false);
    for (index, rule) in merged.iter().enumerate() {
        match user.apply(rule, false) {
            Ok(()) | Err(RuleError::UnknownCommand) => {}
            Err(error) => return Err(declaration_error(index, error.message())),
        }
    }
    Ok(())
}

/// The users a configuration declares with `user` lines, in order (Redis's
/// `ACLLoadConfiguredUsers`): a `default` line replaces the default user's rules. A rule that
/// fails now (an unknown command) is an error, logged as Redis logs it.
pub fn configured_users(lines: &[Vec<String>], all_channels: bool) -> Result<file::Users, String> {
    let mut users = file::Users::new();
    for words in lines {
        let name = words[0].as_bytes();
        if !selector::no_spaces(name) {
            return Err("Spaces not allowed in ACL usernames".into());
        }
        // A `default` line starts from the default user, reset (Redis's `ACLSetUser(u,"reset")`).
        let mut user = match name {
            b"default" => {
                let mut user = User::default_user();
                user.apply(b"reset", all_channels).expect("a valid rule");
                user
            }
            _ => User::new(name, all_channels),
        };
        for rule in user::merge_selectors(&to_bytes(&words[1..])).unwrap_or_default() {
            user.apply(&rule, all_channels).map_err(|error| {
                format!(
                    "Error loading ACL rule '{}' for the user named '{}': {}",
                    String::from_utf8_lossy(&rule),
                    words[0],
                    error.message()
                )
            })?;
        }
        if !user.is_enabled() {
            crate::log!(
                Notice,
                "The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.",
                words[0]
            );
        }
        users.insert(name.to_vec(), user);
    }
    Ok(users)
}

fn to_bytes(words: &[String]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// Who a connection is: its user (as of the last command) and whether it has logged in.
pub struct Login {
    pub user: Arc<User>,
    /// Set by a successful AUTH or HELLO AUTH, or at connect time when the default user needs
    /// no password (Redis's `clientSetDefaultAuth`): a client that connected while the server
    /// was open stays logged in when a password is set later.
    pub authenticated: bool,
    generation: u64,
}

impl Login {
    /// A new connection's login: the default user.
    pub fn new(acl: &Acl) -> Login {
        let generation = acl.generation();
        let user = acl.default_user();
        Login {
            authenticated: user.is_nopass() && user.is_enabled(),
            user,
            generation,
        }
    }

    /// Whether commands other than AUTH, HELLO and friends are refused with NOAUTH.
    pub fn must_authenticate(&self, acl: &Acl) -> bool {
        !self.authenticated && acl.login_required()
    }

    /// Logs in as `user`.
    pub fn set(&mut self, user: Arc<User>, acl: &Acl) {
        self.user = user;
        self.authenticated = true;
        self.generation = acl.generation();
    }

    /// Picks up the user's current rules if any user changed since the last command. False
    /// when the user no longer exists: it was deleted, and the connection must close.
    #[inline]
    pub fn refresh(&mut self, acl: &Acl) -> bool {
        let generation = acl.generation();
        if generation == self.generation {
            return true;
        }
        self.generation = generation;
        match acl.get(&self.user.name) {
            Some(user) => {
                self.user = user;
                true
            }
            None => {
                // As Redis does for a deleted user's clients: back to the default user, not
                // logged in, until the connection closes.
                self.user = acl.default_user();
                self.authenticated = false;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<Vec<u8>> {
        text.split(' ').map(|r| r.as_bytes().to_vec()).collect()
    }

    #[test]
    fn logins_follow_the_default_user_and_later_changes() {
        let acl = Acl::default();
        let mut open = Login::new(&acl);
        assert!(open.authenticated && !acl.login_required());
        acl.set_default_password(Some(b"pw"));
        assert!(acl.login_required());
        let fresh = Login::new(&acl);
        assert!(
            fresh.must_authenticate(&acl),
            "a new connection must log in"
        );
        assert!(!open.must_authenticate(&acl), "an open connection stays in");
        assert!(open.refresh(&acl));
        assert_eq!(open.user.passwords().len(), 1);
        assert!(acl.authenticate(b"default", b"pw").is_some());
        assert!(acl.authenticate(b"default", b"nope").is_none());
        acl.set_default_password(None);
        assert!(!acl.login_required());
    }

    #[test]
    fn deleting_a_user_ends_its_logins() {
        let acl = Acl::default();
        acl.set_user(b"alice", &rules("on >a +@all"), false)
            .unwrap();
        let mut login = Login::new(&acl);
        login.set(acl.authenticate(b"alice", b"a").unwrap(), &acl);
        assert_eq!(acl.delete(&[b"alice", b"bob"]), Ok(1));
        assert!(!login.refresh(&acl));
        assert_eq!(login.user.name, b"default");
        assert_eq!(
            acl.delete(&[b"default"]),
            Err("The 'default' user cannot be removed")
        );
    }

    #[test]
    fn a_bad_rule_changes_nothing() {
        let acl = Acl::default();
        acl.set_user(b"u", &rules("on >a"), false).unwrap();
        let before = acl.get(b"u").unwrap().describe();
        let error = acl
            .set_user(b"u", &rules("off +nosuch"), false)
            .unwrap_err();
        assert!(error.contains("'+nosuch'"));
        assert_eq!(acl.get(b"u").unwrap().describe(), before);
        assert!(acl.set_user(b"a b", &[], false).is_err());
    }
}
