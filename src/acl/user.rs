//! A user: whether it is on, its passwords (SHA-256 hashes only, or `nopass`), and its
//! selectors, the root one first. [`User::apply`] is Redis's `ACLSetUser`, one rule at a time;
//! [`User::with_rules`] applies a whole `ACL SETUSER` line to a copy, so a line with one bad
//! rule changes nothing. [`User::describe`] writes the user back as rules, as `ACL LIST` and
//! the ACL file show it.

use super::selector::Selector;
use super::{Denied, RuleError, sha256};
use crate::commands::{KeyAccess, Resolved};
use crate::protocol::Request;
use crate::protocol::split::split_args;

/// `skip-sanitize-payload` or `sanitize-payload`, when a rule chose one (RESTORE's payload
/// checks; thredis has no RESTORE yet, but the flag is kept and shown as Redis shows it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sanitize {
    Skip,
    Check,
}

#[derive(Clone)]
pub struct User {
    pub name: Vec<u8>,
    enabled: bool,
    nopass: bool,
    sanitize: Option<Sanitize>,
    /// Lowercase hex SHA-256 hashes, in the order they were added.
    passwords: Vec<String>,
    /// The root selector, then those given in parentheses.
    selectors: Vec<Selector>,
}

/// Shows the name only: a debug print must not spread even the hashes of passwords.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &String::from_utf8_lossy(&self.name))
            .finish_non_exhaustive()
    }
}

/// The length of a password hash in hex digits.
const HASH_LEN: usize = 64;

impl User {
    /// A new user as `ACL SETUSER` creates one: off, no password, no permissions.
    /// `all_channels` is `acl-pubsub-default allchannels`.
    pub fn new(name: &[u8], all_channels: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, all_channels)],
        }
    }

    /// The `default` user every server starts with: `on nopass ~* &* +@all`.
    pub fn default_user() -> User {
        let mut user = User::new(b"default", false);
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            user.apply(rule.as_bytes(), false).expect("valid rules");
        }
        user
    }

    /// A copy of `self` (or of a new user) with every rule of `rules` applied, or the message
    /// for the first rule that failed (Redis's `ACLStringSetUser`).
    pub fn with_rules(
        base: Option<&User>,
        name: &[u8],
        rules: &[Vec<u8>],
        all_channels: bool,
    ) -> Result<User, String> {
        let rules = merge_selectors(rules).map_err(|start| {
            format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(start)
            )
        })?;
        let mut user = match base {
            Some(user) => user.clone(),
            None => User::new(name, all_channels),
        };
        for rule in &rules {
            user.apply(rule, all_channels).map_err(|error| {
                // Redis prints the rule with `%s`: it ends at a NUL byte.
                let shown = rule.split(|&b| b == 0).next().unwrap_or_default();
                format!(
                    "Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(shown),
                    error.message()
                )
            })?;
        }
        Ok(user)
    }

    /// Applies one rule (Redis's `ACLSetUser`).
    pub fn apply(&mut self, op: &[u8], all_channels: bool) -> Result<(), RuleError> {
        let is = |name: &str| op.eq_ignore_ascii_case(name.as_bytes());
        if op.is_empty() {
            return Ok(());
        }
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(Sanitize::Skip);
        } else if is("sanitize-payload") {
            self.sanitize = Some(Sanitize::Check);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = hash_of(op)?;
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = hash_of(op)?;
            let at = self.passwords.iter().position(|p| *p == hash);
            self.passwords.remove(at.ok_or(RuleError::NoSuchPassword)?);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let inner = &op[1..op.len() - 1];
            // Unbalanced quotes inside leave no rules, as Redis's `sdssplitargs` returns none:
            // the selector is added empty.
            let rules = split_args(inner).unwrap_or_default();
            let mut selector = Selector::new(false, all_channels);
            for rule in &rules {
                selector.apply(rule)?;
            }
            self.selectors.push(selector);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for rule in ["resetpass", "resetkeys", "resetchannels"] {
                self.apply(rule.as_bytes(), all_channels)?;
            }
            if all_channels {
                self.apply(b"allchannels", all_channels)?;
            }
            for rule in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                self.apply(rule.as_bytes(), all_channels)?;
            }
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// `skip-sanitize-payload`: RESTOREs from this user are not checked deeply under
    /// `sanitize-dump-payload clients` (Redis's `USER_FLAG_SANITIZE_PAYLOAD_SKIP`).
    pub fn skips_payload_sanitizing(&self) -> bool {
        matches!(self.sanitize, Some(Sanitize::Skip))
    }

    /// Whether any password works (and none is needed, for the default user).
    pub fn is_nopass(&self) -> bool {
        self.nopass
    }

    /// Whether `password` is one of the user's, compared as hashes in constant time. A user
    /// that is off accepts none; a `nopass` user accepts any.
    pub fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = sha256::hex_digest(password);
        // Every stored hash is compared, and each comparison looks at every byte, so the time
        // taken says nothing about how close a guess came.
        self.passwords.iter().fold(false, |found, stored| {
            found | constant_time_eq(stored.as_bytes(), hash.as_bytes())
        })
    }

    pub fn passwords(&self) -> &[String] {
        &self.passwords
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// The selectors given in parentheses.
    pub fn extra_selectors(&self) -> &[Selector] {
        &self.selectors[1..]
    }

    pub fn selectors(&self) -> &[Selector] {
        &self.selectors
    }

    /// The flags `ACL GETUSER` lists, in Redis's order.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize {
            Some(Sanitize::Skip) => flags.push("skip-sanitize-payload"),
            Some(Sanitize::Check) => flags.push("sanitize-payload"),
            None => {}
        }
        flags
    }

    /// The user as rules (Redis's `ACLDescribeUser`): flags, password hashes, the root
    /// selector, then each other selector in parentheses.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for flag in self.flags() {
            out.extend_from_slice(flag.as_bytes());
            out.push(b' ');
        }
        for hash in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(hash.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(&self.root().describe());
        for selector in self.extra_selectors() {
            out.extend_from_slice(b" (");
            out.extend_from_slice(&selector.describe());
            out.push(b')');
        }
        out
    }

    /// Whether one selector lets the user run `args` and use any key as `access` says (Redis's
    /// `ACLUserCheckCmdWithUnrestrictedKeyAccess`): SORT's BY and GET read keys that no
    /// argument names, so no key pattern short of `*` can vouch for them.
    pub fn may_use_any_key(&self, resolved: Resolved, args: &Request, access: KeyAccess) -> bool {
        self.selectors
            .iter()
            .any(|s| s.check(resolved, args).is_ok() && s.allows_every_key(access))
    }

    /// Whether the user may run `args` (Redis's `ACLCheckAllUserCommandPerm`): allowed if one
    /// selector allows all of it. Otherwise the reason reported is the one that got furthest:
    /// a channel over a key over the command itself, and of two keys the later one.
    pub fn check(&self, resolved: Resolved, args: &Request) -> Result<(), Denied> {
        if self.root().allows_everything() {
            return Ok(());
        }
        let mut relevant = Denied::Command;
        for selector in &self.selectors {
            match selector.check(resolved, args) {
                Ok(()) => return Ok(()),
                Err(denied) if denied > relevant => relevant = denied,
                Err(_) => {}
            }
        }
        Err(relevant)
    }
}

/// The hash a password rule names: `>pw`/`<pw` hash the password, `#h`/`!h` give the hash.
fn hash_of(op: &[u8]) -> Result<String, RuleError> {
    let rest = &op[1..];
    if op[0] == b'>' || op[0] == b'<' {
        return Ok(sha256::hex_digest(rest));
    }
    let valid = rest.len() == HASH_LEN
        && rest
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    if !valid {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(rest).into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Joins a selector given over several arguments (`(~key1 +get)` sent as `(~key1` and `+get)`)
/// into one rule, as Redis's `ACLMergeSelectorArguments`. An unclosed `(` is an error naming
/// the argument it started at.
pub fn merge_selectors(rules: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, &[u8]> {
    let mut merged = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, rule) in rules.iter().enumerate() {
        if let Some((_, selector)) = &mut open {
            selector.push(b' ');
            selector.extend_from_slice(rule);
            if rule.last() == Some(&b')') {
                merged.push(open.take().expect("open").1);
            }
            continue;
        }
        if rule.first() == Some(&b'(') && rule.last() != Some(&b')') {
            open = Some((i, rule.clone()));
            continue;
        }
        merged.push(rule.clone());
    }
    match open {
        Some((start, _)) => Err(&rules[start]),
        None => Ok(merged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &str) -> User {
        let rules: Vec<Vec<u8>> = rules.split(' ').map(|r| r.as_bytes().to_vec()).collect();
        User::with_rules(None, b"u", &rules, false).unwrap()
    }

    fn described(rules: &str) -> String {
        String::from_utf8(user(rules).describe()).unwrap()
    }

    #[test]
    fn the_default_user_reads_as_redis_prints_it() {
        let text = String::from_utf8(User::default_user().describe()).unwrap();
        assert_eq!(text, "on nopass ~* &* +@all");
    }

    #[test]
    fn rules_describe_back_as_redis_describes_them() {
        assert_eq!(described("on"), "on resetchannels -@all");
        assert_eq!(
            described("reset"),
            "off sanitize-payload resetchannels -@all"
        );
        assert_eq!(
            described("on >pw ~k* &c +@all -get"),
            "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* resetchannels &c +@all -get"
        );
        assert_eq!(
            described("-@all +@string"),
            "off resetchannels -@all +@string"
        );
        assert_eq!(
            described("+@all -@string"),
            "off resetchannels +@all -@string"
        );
        assert_eq!(
            described("%R~r* %W~w* %RW~b* (+get ~x)"),
            "off %R~r* %W~w* ~b* resetchannels -@all (~x resetchannels -@all +get)"
        );
        assert_eq!(
            described("-@all +select|0"),
            "off resetchannels -@all +select|0"
        );
        assert_eq!(
            described("+@all -client +client|id"),
            "off resetchannels +@all -client +client|id"
        );
    }

    #[test]
    fn passwords_are_kept_as_hashes_and_checked() {
        let u = user("on >secret >other");
        assert!(u.accepts(b"secret") && u.accepts(b"other"));
        assert!(!u.accepts(b"wrong"));
        assert_eq!(u.passwords()[0], sha256::hex_digest(b"secret"));
        let off = user("off >secret");
        assert!(!off.accepts(b"secret"));
        assert!(user("on nopass").accepts(b"anything"));
    }

    #[test]
    fn bad_rules_are_refused_with_redis_s_reasons() {
        let error = |rules: &[&str]| {
            let rules: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
            User::with_rules(None, b"u", &rules, false).err().unwrap()
        };
        assert_eq!(
            error(&["+nosuch"]),
            "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
        );
        assert_eq!(
            error(&["bogus"]),
            "Error in ACL SETUSER modifier 'bogus': Syntax error"
        );
        assert!(error(&["~*", "~a"]).contains("Adding a pattern after the * pattern"));
        assert!(error(&["#abc"]).contains("must be exactly 64 characters"));
        assert!(error(&["<nope"]).contains("does not exist"));
        assert!(error(&["+config|get|x"]).contains("first-arg of a subcommand"));
        assert_eq!(
            error(&["(~a", "+get"]),
            "Unmatched parenthesis in acl selector starting at '(~a'."
        );
    }

    #[test]
    fn selectors_spread_over_arguments_are_joined() {
        let rules: Vec<Vec<u8>> = ["on", "(~a", "+get)", "(+set ~b)"]
            .iter()
            .map(|r| r.as_bytes().to_vec())
            .collect();
        let merged = merge_selectors(&rules).unwrap();
        assert_eq!(merged, [&b"on"[..], b"(~a +get)", b"(+set ~b)"]);
    }
}
