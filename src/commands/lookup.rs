//! From a request to its table row: an index of every command and subcommand (their ids number
//! the statistics), lookup by name whatever its case and without allocating, and [`resolve`],
//! which refuses unknown commands, unknown subcommands and wrong arities with Redis's words.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use super::{COMMANDS, Command, CommandError};
use crate::protocol::Request;

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

/// The top-level names after the configuration's `rename-command`s, if it had any.
static RENAMED: OnceLock<HashMap<String, usize>> = OnceLock::new();

/// Applies `rename-command old new` directives, in order, once at startup: `old` no longer
/// names its command and `new` does (an empty `new` removes the command). Checked already by
/// the configuration loader, so every `old` exists.
pub fn rename_commands(renames: &[(String, String)]) {
    if renames.is_empty() {
        return;
    }
    let index = index();
    let mut names: HashMap<String, usize> = index
        .by_name
        .iter()
        .map(|(name, id)| (name.to_string(), *id))
        .collect();
    for (old, new) in renames {
        if let Some(id) = names.remove(old.as_str()) {
            if !new.is_empty() {
                names.insert(new.clone(), id);
            }
        }
    }
    let _ = RENAMED.set(names);
}

/// Finds a top-level command by name, whatever its case, without allocating: the name is
/// lowercased into a stack buffer. Names longer than the buffer cannot match.
pub fn lookup(name: &[u8]) -> Option<Resolved> {
    let mut buf = [0u8; 64];
    let lower = buf.get_mut(..name.len())?;
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    let name = std::str::from_utf8(lower).ok()?;
    let index = index();
    let id = match RENAMED.get() {
        Some(renamed) => renamed.get(name),
        None => index.by_name.get(name),
    };
    id.map(|&id| index.all[id])
}

/// Finds a top-level command by its name in the table, whatever `rename-command` did: ACL
/// rules name commands this way, so they mean the same commands under any renaming.
pub fn lookup_original(name: &[u8]) -> Option<Resolved> {
    let index = index();
    let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    index.by_name.get(name.as_str()).map(|&id| index.all[id])
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

/// The row a request [`resolve`] refused is charged to, as Redis's `c->cmd` after its lookup:
/// the command (or subcommand) whose arity did not fit, none for an unknown name.
pub fn refused_command(request: &Request) -> Option<Resolved> {
    let resolved = lookup(request.arg(0))?;
    match resolved.command.subcommands.is_empty() || request.len() < 2 {
        true => Some(resolved),
        false => lookup_subcommand(resolved, request.arg(1)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
