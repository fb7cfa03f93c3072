//! Which arguments of a request must never be shown: passwords in `AUTH`, `HELLO ... AUTH`,
//! `MIGRATE ... AUTH|AUTH2`, `ACL SETUSER` rules and the values of sensitive parameters in
//! `CONFIG SET`. The slow log and MONITOR print `(redacted)` in their place, as Redis does with
//! the arguments its commands pass to `redactClientCommandArgument`.

use crate::config::param::Flags as ParamFlags;
use crate::config::params;
use crate::protocol::Request;

/// What Redis prints in place of a hidden argument (`shared.redacted`).
pub const REDACTED: &[u8] = b"(redacted)";

/// The arguments of `request` as they may be shown, each hidden one replaced by [`REDACTED`].
pub fn shown_args(request: &Request) -> impl Iterator<Item = &[u8]> + '_ {
    let hidden = hidden_from(request);
    request
        .iter()
        .enumerate()
        .map(move |(i, arg)| if hidden(i) { REDACTED } else { arg })
}

/// A test of whether argument `i` of `request` is hidden.
fn hidden_from(request: &Request) -> impl Fn(usize) -> bool {
    let name = request.arg(0).to_ascii_lowercase();
    let sub = (request.len() > 1).then(|| request.arg(1).to_ascii_lowercase());
    let hidden: Vec<usize> = match (name.as_slice(), sub.as_deref()) {
        // `authCommand` refuses more than two arguments before it redacts anything.
        (b"auth", _) if request.len() <= 3 => (1..request.len()).collect(),
        (b"hello", _) => hello_auth_positions(request),
        // `aclCommand` hides every argument of SETUSER, the user name too.
        (b"acl", Some(b"setuser")) => (2..request.len()).collect(),
        (b"config", Some(b"set")) => sensitive_config_values(request),
        (b"migrate", _) => super::migrate::password_positions(request),
        _ => Vec::new(),
    };
    move |i| hidden.contains(&i)
}

/// `HELLO protover AUTH user pass [SETNAME name]`: the user and the password, as
/// `helloCommand` hides them while it reads its options, once it has accepted the protocol
/// version (a refused version hides nothing).
fn hello_auth_positions(request: &Request) -> Vec<usize> {
    let mut hidden = Vec::new();
    let version = (request.len() > 1)
        .then(|| crate::number::parse_i64(request.arg(1)))
        .flatten();
    if !version.is_some_and(|v| (2..=3).contains(&v)) {
        return hidden;
    }
    let mut i = 2;
    while i < request.len() {
        let more = request.len() - i - 1;
        let option = request.arg(i);
        if option.eq_ignore_ascii_case(b"auth") && more >= 2 {
            hidden.extend([i + 1, i + 2]);
            i += 3;
        } else if option.eq_ignore_ascii_case(b"setname") && more >= 1 {
            i += 2;
        } else {
            break;
        }
    }
    hidden
}

/// `CONFIG SET name value ...`: the values of parameters flagged sensitive (`requirepass`,
/// `masterauth`, `masteruser`), as `configSetCommand` hides them.
fn sensitive_config_values(request: &Request) -> Vec<usize> {
    (2..request.len().saturating_sub(1))
        .step_by(2)
        .filter(|&i| {
            let name = String::from_utf8_lossy(request.arg(i)).to_ascii_lowercase();
            params::find(&name).is_some_and(|param| param.is(ParamFlags::SENSITIVE))
        })
        .map(|i| i + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(args: &[&str]) -> Vec<String> {
        let request = Request::from_args(args);
        shown_args(&request)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect()
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(shown(&["AUTH", "pw"]), ["AUTH", "(redacted)"]);
        assert_eq!(
            shown(&["auth", "u", "pw"]),
            ["auth", "(redacted)", "(redacted)"]
        );
        assert_eq!(shown(&["auth", "a", "b", "c"]), ["auth", "a", "b", "c"]);
        assert_eq!(
            shown(&["hello", "2", "AUTH", "u", "p", "SETNAME", "n"]),
            [
                "hello",
                "2",
                "AUTH",
                "(redacted)",
                "(redacted)",
                "SETNAME",
                "n"
            ]
        );
        assert_eq!(
            shown(&["acl", "SETUSER", "bob", "on"]),
            ["acl", "SETUSER", "(redacted)", "(redacted)"]
        );
        assert_eq!(
            shown(&["config", "set", "masterauth", "x", "maxmemory", "1"]),
            [
                "config",
                "set",
                "masterauth",
                "(redacted)",
                "maxmemory",
                "1"
            ]
        );
        assert_eq!(shown(&["get", "auth"]), ["get", "auth"]);
        assert_eq!(shown(&["hello"]), ["hello"]);
        // Refused before its options are read: nothing hidden, as in Redis.
        assert_eq!(
            shown(&["hello", "4", "AUTH", "u", "p"]),
            ["hello", "4", "AUTH", "u", "p"]
        );
    }
}
