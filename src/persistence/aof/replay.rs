//! Replaying append-only files at startup, one file at a time, in the manifest's order (stages
//! 22–23: the manifest, not `--appendfilename`, names the file). A file is either an RDB (a base
//! written with `aof-use-rdb-preamble`, recognised by its `REDIS` magic, possibly followed by
//! commands) or commands as RESP arrays.
//!
//! Commands run through the command table like any client's ([`Replayer`]), from a client
//! with no connection, with the writer the whole load holds, in loading mode
//! ([`Writer::loading`]: nothing expires, nothing is journaled). The rules are Redis's
//! `loadSingleAppendOnlyFile`:
//! - the file may end in the middle of a command only if it is the last one: with
//!   `aof-load-truncated yes` the valid prefix is loaded and the file truncated to it, with `no`
//!   the server refuses to start;
//! - anything that is not a command (garbage in the middle) or a command that does not exist
//!   refuses startup;
//! - a `MULTI` whose `EXEC` never came is dropped, with the commands it queued ("Revert
//!   incomplete MULTI/EXEC transaction").

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::Path;

use crate::clients::ClientInfo;
use crate::commands::{self, Replayer};
use crate::keyspace::Writer;
use crate::log;
use crate::persistence::rdb::load::{LoadError, LoadOptions, load};
use crate::protocol::Request;
use crate::server::Server;
use crate::{clock, commands::is_option};

/// Longest line Redis's loader reads at once (`AOF_ANNOTATION_LINE_MAX_LEN`).
const MAX_LINE: usize = 1024;

/// How a file loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    /// Whole.
    Complete,
    /// It ended in the middle of a command (or transaction); the valid prefix was loaded and the
    /// file cut back to it.
    Truncated,
    /// The file is empty.
    Empty,
}

/// Why a file could not be replayed. [`ReplayError::log`] writes Redis's lines.
#[derive(Debug)]
pub enum ReplayError {
    Open(io::Error),
    Read(io::Error),
    Rdb(LoadError),
    /// Not a command where one should start.
    Format,
    UnknownCommand(Vec<u8>),
    /// The file ends in the middle of a command, and may not be truncated.
    UnexpectedEof,
    /// A file other than the last ends in the middle of a command.
    TruncatedNotLast,
}

impl ReplayError {
    pub fn log(&self, file: &str) {
        match self {
            ReplayError::Open(error) => log!(
                Warning,
                "Fatal error: can't open the append log file {file} for reading: {}",
                crate::sys::os_error_text(error)
            ),
            ReplayError::Read(error) => log!(
                Warning,
                "Unrecoverable error reading the append only file {file}: {}",
                crate::sys::os_error_text(error)
            ),
            ReplayError::Rdb(error) => {
                error.log();
                log!(
                    Warning,
                    "Error reading the RDB base file {file}, AOF loading aborted"
                );
            }
            ReplayError::Format => log!(
                Warning,
                "Bad file format reading the append only file {file}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
            ),
            ReplayError::UnknownCommand(name) => log!(
                Warning,
                "Unknown command '{}' reading the append only file {file}",
                String::from_utf8_lossy(name)
            ),
            ReplayError::UnexpectedEof => log!(
                Warning,
                "Unexpected end of file reading the append only file {file}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
            ),
            ReplayError::TruncatedNotLast => {
                log!(
                    Warning,
                    "Fatal error: the truncated file is not the last file"
                )
            }
        }
    }
}

/// Where the parser stopped.
enum Parsed {
    Command(Vec<Vec<u8>>),
    /// The file ended cleanly, between commands.
    End,
    /// The file ended in the middle of a command.
    Cut,
}

/// Replays `dir/name` through `w` (in loading mode). `last`: whether it is the last file of the
/// manifest (the only one allowed to end early).
pub fn replay_file(
    server: &Server,
    w: &mut Writer,
    dir: &Path,
    name: &str,
    last: bool,
) -> Result<Replayed, ReplayError> {
    let path = dir.join(name);
    let file = File::open(&path).map_err(ReplayError::Open)?;
    let size = file.metadata().map_err(ReplayError::Read)?.len();
    if size == 0 {
        return Ok(Replayed::Empty);
    }
    let mut reader = BufReader::with_capacity(1 << 16, file);
    // A fresh client per file, in database 0, as Redis's loader makes one per file.
    let client = ClientInfo::internal().map_err(ReplayError::Read)?;
    let mut replayer = Replayer::new(server, client);

    let starts_with_rdb = reader
        .fill_buf()
        .map_err(ReplayError::Read)?
        .starts_with(b"REDIS");
    // An old-style AOF (Redis < 7, one file named `appendfilename`) may begin with an RDB
    // "preamble" and go on with commands; a base file is just an RDB.
    let old_style = name == crate::config::read(&server.config.appendfilename);
    if starts_with_rdb {
        if old_style {
            log!(Notice, "Reading RDB preamble from AOF file...");
        } else {
            log!(Notice, "Reading RDB base file on AOF loading...");
        }
        let options = LoadOptions {
            keep_expired: true,
            ..crate::persistence::load_options(server, clock::now_ms())
        };
        let loaded = load(&mut reader, w.databases(), options).map_err(ReplayError::Rdb)?;
        crate::persistence::add_loaded_libraries(server, &loaded.libraries, false)
            .map_err(ReplayError::Read)?;
        if old_style {
            log!(Notice, "Reading the remaining AOF tail...");
        }
    }

    let mut valid_up_to = reader.stream_position().map_err(ReplayError::Read)?;
    // Commands inside MULTI wait for EXEC, and the offset before MULTI is where to cut back to.
    let mut transaction: Option<(u64, Vec<Request>)> = None;
    let cut = loop {
        match next_command(&mut reader)? {
            Parsed::End => break false,
            Parsed::Cut => break true,
            Parsed::Command(args) => {
                let request = Request::from_args(&args);
                let name = request.arg(0);
                // The loader itself handles MULTI and EXEC: queued commands run only at EXEC.
                let transaction_control = is_option(name, "multi") || is_option(name, "exec");
                if !transaction_control && commands::lookup(name).is_none() {
                    return Err(ReplayError::UnknownCommand(name.to_vec()));
                }
                if is_option(name, "multi") {
                    transaction = Some((valid_up_to, Vec::new()));
                } else if let Some((_, queued)) =
                    transaction.as_mut().filter(|_| !is_option(name, "exec"))
                {
                    queued.push(request);
                } else if is_option(name, "exec") {
                    for queued in transaction.take().map(|(_, q)| q).unwrap_or_default() {
                        let _ = replayer.run(w, &queued);
                    }
                } else {
                    let _ = replayer.run(w, &request);
                }
                valid_up_to = reader.stream_position().map_err(ReplayError::Read)?;
            }
        }
    };
    if let Some((before_multi, _)) = transaction {
        log!(
            Warning,
            "Revert incomplete MULTI/EXEC transaction in AOF file {name}"
        );
        valid_up_to = before_multi;
    } else if !cut {
        return Ok(Replayed::Complete);
    }

    if !server.config.aof_load_truncated() {
        return Err(ReplayError::UnexpectedEof);
    }
    log!(
        Warning,
        "!!! Warning: short read while loading the AOF file {name}!!!"
    );
    if !last {
        return Err(ReplayError::TruncatedNotLast);
    }
    log!(
        Warning,
        "!!! Truncating the AOF {name} at offset {valid_up_to} !!!"
    );
    OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|file| file.set_len(valid_up_to))
        .map_err(|error| {
            log!(
                Warning,
                "Error truncating the AOF file {name}: {}",
                crate::sys::os_error_text(&error)
            );
            ReplayError::UnexpectedEof
        })?;
    log!(
        Warning,
        "AOF {name} loaded anyway because aof-load-truncated is enabled"
    );
    Ok(Replayed::Truncated)
}

/// Reads the next command: `*<argc>`, then `argc` times `$<len>`, `len` bytes and a line end,
/// the way Redis's loader reads it (the two bytes after an argument are skipped unchecked;
/// lines starting with `#` are annotations).
fn next_command(reader: &mut impl BufRead) -> Result<Parsed, ReplayError> {
    let header = loop {
        match read_line(reader)? {
            None => return Ok(Parsed::End),
            Some(line) if line.first() == Some(&b'#') => continue,
            Some(line) => break line,
        }
    };
    if header.first() != Some(&b'*') {
        return Err(ReplayError::Format);
    }
    if header.len() == 1 {
        // A lone `*` with nothing after it: the file was cut right there.
        return Ok(Parsed::Cut);
    }
    let argc = leading_number(&header[1..]);
    if argc < 1 {
        return Err(ReplayError::Format);
    }
    let mut args = Vec::with_capacity((argc as usize).min(1024));
    for _ in 0..argc {
        let Some(line) = read_line(reader)? else {
            return Ok(Parsed::Cut);
        };
        if line.first() != Some(&b'$') {
            return Err(ReplayError::Format);
        }
        let len = leading_number(&line[1..]);
        if len < 0 {
            return Err(ReplayError::Format);
        }
        let Some(arg) = read_exactly(reader, len as u64)? else {
            return Ok(Parsed::Cut);
        };
        if read_exactly(reader, 2)?.is_none() {
            return Ok(Parsed::Cut);
        }
        args.push(arg);
    }
    Ok(Parsed::Command(args))
}

/// A line, with its line end, of at most [`MAX_LINE`] bytes (`None` at the end of the file).
/// A longer line cannot be part of a well-formed file.
fn read_line(reader: &mut impl BufRead) -> Result<Option<Vec<u8>>, ReplayError> {
    let mut line = Vec::new();
    let mut limited = Read::take(&mut *reader, MAX_LINE as u64);
    limited
        .read_until(b'\n', &mut line)
        .map_err(ReplayError::Read)?;
    if line.is_empty() {
        return Ok(None);
    }
    if line.len() == MAX_LINE && line.last() != Some(&b'\n') {
        return Err(ReplayError::Format);
    }
    Ok(Some(line))
}

/// `len` bytes, read in pieces so a damaged length cannot allocate more than the file holds.
fn read_exactly(reader: &mut impl BufRead, len: u64) -> Result<Option<Vec<u8>>, ReplayError> {
    let mut out = Vec::with_capacity(len.min(1 << 20) as usize);
    let read = Read::take(&mut *reader, len)
        .read_to_end(&mut out)
        .map_err(ReplayError::Read)?;
    Ok((read as u64 == len).then_some(out))
}

/// C's `atoi`/`strtol` on a header line: optional blanks and sign, then digits.
fn leading_number(text: &[u8]) -> i64 {
    let text = text.trim_ascii_start();
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let mut n: i64 = 0;
    for &digit in digits.iter().take_while(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(digit - b'0'));
    }
    if negative { -n } else { n }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(bytes: &[u8]) -> Vec<Result<Vec<String>, &'static str>> {
        let mut reader = bytes;
        let mut out = Vec::new();
        loop {
            match next_command(&mut reader) {
                Ok(Parsed::Command(args)) => out.push(Ok(args
                    .into_iter()
                    .map(|a| String::from_utf8(a).unwrap())
                    .collect())),
                Ok(Parsed::End) => return out,
                Ok(Parsed::Cut) => {
                    out.push(Err("cut"));
                    return out;
                }
                Err(ReplayError::Format) => {
                    out.push(Err("format"));
                    return out;
                }
                Err(_) => panic!("unexpected error"),
            }
        }
    }

    #[test]
    fn commands_and_annotations_parse() {
        let text = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
        assert_eq!(
            commands(text),
            [
                Ok(vec!["SELECT".to_string(), "0".to_string()]),
                Ok(vec!["SET".into(), "k".into(), "".into()])
            ]
        );
    }

    #[test]
    fn every_cut_inside_a_command_is_seen_as_a_cut() {
        let record = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        for len in 1..record.len() {
            assert_eq!(
                commands(&record[..len]),
                [Err("cut")],
                "cut after {len} bytes"
            );
        }
        assert_eq!(commands(record).len(), 1);
    }

    #[test]
    fn garbage_is_a_format_error() {
        assert_eq!(commands(b"!!!\r\n"), [Err("format")]);
        assert_eq!(commands(b"*0\r\n"), [Err("format")]);
        assert_eq!(commands(b"*1\r\nGET\r\n"), [Err("format")]);
        assert_eq!(commands(b"*1\r\n$-4\r\n"), [Err("format")]);
    }
}
