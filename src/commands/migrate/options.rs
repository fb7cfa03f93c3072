//! MIGRATE's arguments: its options as `migrateCommand` reads them ([`Options`]), where its
//! keys are as `migrateGetKeys` finds them ([`migrate_keys`], for `COMMAND GETKEYS` and the
//! ACL), and which arguments are passwords ([`password_positions`], for the slow log and
//! MONITOR). One reading of the options serves the command and the redaction, so they never
//! disagree.

use std::ops::Range;

use crate::commands::{Args, CommandError, KeyAccess, KeyUse, is_option};
use crate::protocol::Request;

/// MIGRATE's options, read from the seventh argument on.
#[derive(Debug, PartialEq)]
pub struct Options<'a> {
    pub copy: bool,
    pub replace: bool,
    pub auth: Option<Auth<'a>>,
    /// The positions of the keys to move: the third argument, or those after `KEYS`.
    pub keys: Range<usize>,
}

/// `AUTH password` or `AUTH2 username password`, sent first on the connection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Auth<'a> {
    pub username: Option<&'a [u8]>,
    pub password: &'a [u8],
}

impl<'a> Options<'a> {
    /// Reads the options as `migrateCommand` does, calling `hide` with the position of each
    /// password argument as it reaches it (its `redactClientCommandArgument`): a request
    /// refused further on still has those hidden, as in Redis.
    pub fn parse(args: &'a Args, mut hide: impl FnMut(usize)) -> Result<Options<'a>, CommandError> {
        let mut options = Options {
            copy: false,
            replace: false,
            auth: None,
            keys: 3..4,
        };
        let mut i = 6;
        while i < args.len() {
            let (arg, more) = (args.arg(i), args.len() - 1 - i);
            if is_option(arg, "copy") {
                options.copy = true;
            } else if is_option(arg, "replace") {
                options.replace = true;
            } else if is_option(arg, "auth") && more >= 1 {
                hide(i + 1);
                let password = args.arg(i + 1);
                options.auth = Some(Auth {
                    username: None,
                    password,
                });
                i += 1;
            } else if is_option(arg, "auth2") && more >= 2 {
                hide(i + 1);
                hide(i + 2);
                let (username, password) = (Some(args.arg(i + 1)), args.arg(i + 2));
                options.auth = Some(Auth { username, password });
                i += 2;
            } else if is_option(arg, "keys") {
                if !args.arg(3).is_empty() {
                    return Err(CommandError::err(
                        "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                    ));
                }
                options.keys = i + 1..args.len();
                break;
            } else {
                return Err(CommandError::Syntax);
            }
            i += 1;
        }
        Ok(options)
    }
}

/// The keys of a MIGRATE request for `COMMAND GETKEYS` and the ACL when its key specs cannot
/// tell (the `KEYS` form): Redis's `migrateGetKeys`, which skips the options' arguments to
/// find `KEYS`, and names no key when the key argument is not empty (the command will refuse
/// it).
pub fn migrate_keys(args: &Request) -> Vec<KeyUse> {
    let mut keys = 3..4;
    let mut i = 6;
    while i < args.len() {
        let arg = args.arg(i);
        if is_option(arg, "keys") {
            keys = match args.arg(3).is_empty() {
                true => i + 1..args.len(),
                false => 0..0,
            };
            break;
        }
        // An option's own arguments are skipped: `AUTH KEYS` names a password.
        let arguments = if is_option(arg, "auth") {
            1
        } else if is_option(arg, "auth2") {
            2
        } else {
            0
        };
        i += 1 + arguments;
    }
    let moved = KeyAccess {
        reads: true,
        writes: true,
    };
    keys.filter(|&i| i < args.len())
        .map(|i| (i, moved))
        .collect()
}

/// The positions of a MIGRATE request's passwords, hidden from the slow log and MONITOR.
pub fn password_positions(args: &Request) -> Vec<usize> {
    let mut hidden = Vec::new();
    let _ = Options::parse(args, |i| hidden.push(i));
    hidden
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(words: &[&str]) -> Request {
        let mut all = vec!["MIGRATE", "host", "6379", "key", "0", "5000"];
        all.extend_from_slice(words);
        Request::from_args(&all)
    }

    #[test]
    fn options_are_read_as_redis_reads_them() {
        let args = request(&["copy", "REPLACE", "auth2", "u", "p"]);
        let options = Options::parse(&args, |_| {}).unwrap();
        assert!(options.copy && options.replace);
        assert_eq!(
            options.auth,
            Some(Auth {
                username: Some(b"u"),
                password: b"p"
            })
        );
        assert_eq!(options.keys, 3..4);
        let syntax = |words: &[&str]| Options::parse(&request(words), |_| {}).unwrap_err();
        assert_eq!(syntax(&["auth"]), CommandError::Syntax);
        assert_eq!(syntax(&["auth2", "u"]), CommandError::Syntax);
        assert_eq!(syntax(&["bogus"]), CommandError::Syntax);
        assert_eq!(
            syntax(&["keys", "a"]).message(),
            b"ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
        );
        let mut all = vec!["MIGRATE", "h", "1", "", "0", "5000", "KEYS", "a", "b"];
        let keys = Options::parse(&Request::from_args(&all), |_| {})
            .unwrap()
            .keys;
        assert_eq!(keys, 7..9);
        all.truncate(7);
        let none = Options::parse(&Request::from_args(&all), |_| {})
            .unwrap()
            .keys;
        assert!(none.is_empty());
    }

    #[test]
    fn passwords_are_hidden_up_to_where_parsing_stops() {
        assert_eq!(password_positions(&request(&["AUTH", "pw"])), [7]);
        assert_eq!(password_positions(&request(&["AUTH2", "u", "pw"])), [7, 8]);
        assert_eq!(
            password_positions(&request(&["AUTH", "pw", "bogus", "AUTH", "x"])),
            [7]
        );
        assert!(password_positions(&request(&["KEYS", "AUTH", "pw"])).is_empty());
    }

    #[test]
    fn keys_are_found_as_migrate_get_keys_finds_them() {
        let positions = |words: &[&str], key: &str| {
            let mut all = vec!["MIGRATE", "h", "1", key, "0", "5000"];
            all.extend_from_slice(words);
            let found = migrate_keys(&Request::from_args(&all));
            found.into_iter().map(|(i, _)| i).collect::<Vec<_>>()
        };
        assert_eq!(positions(&[], "k"), [3]);
        assert_eq!(positions(&["KEYS", "a", "b"], ""), [7, 8]);
        assert_eq!(positions(&["AUTH", "KEYS", "KEYS", "a"], ""), [9]);
        assert_eq!(positions(&["AUTH2", "KEYS", "x", "KEYS", "a"], ""), [10]);
        assert!(positions(&["KEYS", "a"], "k").is_empty());
    }
}
