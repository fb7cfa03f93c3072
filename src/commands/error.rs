//! [`CommandError`]: the ways a command fails, each sent as the exact error line Redis sends.

use std::borrow::Cow;

use super::Args;
use crate::keyspace::WrongType;

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
    /// An error line the error statistics have counted already (a script's error raised by a
    /// command it called): sent without counting it again.
    Counted(String),
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
            CommandError::Rejected(line) | CommandError::Counted(line) => line.as_str().into(),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
