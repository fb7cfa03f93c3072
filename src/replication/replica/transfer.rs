//! A full sync's snapshot (Redis's `readSyncBulkPayload`): after `+FULLRESYNC` the master sends
//! an RDB file either as `$<len>\r\n<len bytes>` or, diskless, as `$EOF:<40 random bytes>\r\n`,
//! the file, then those 40 bytes again. It is received to a temporary file (the replica keeps
//! serving its old data meanwhile, as `repl-diskless-load disabled` does), which then becomes
//! our `dbfilename` and is loaded in place of every database, under the keyspace's exclusive
//! lock: clients see the old data or the new, never a mix.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::{Connection, State, Transfer, stopped};
use crate::persistence::{self, rdb};
use crate::server::Server;
use crate::{clock, log};

/// The length of the diskless form's end mark (Redis's `CONFIG_RUN_ID_SIZE`).
const MARK_LEN: usize = 40;

/// How the snapshot's end is known.
#[derive(Debug, PartialEq, Eq)]
enum Size {
    Bytes(u64),
    /// Diskless: until this mark.
    UntilMark(Vec<u8>),
}

/// Receives the snapshot and loads it; then our history is the master's, at `offset`.
pub fn full_sync(
    server: &Server,
    connection: &mut Connection,
    replid: &str,
    offset: i64,
    generation: u64,
) -> io::Result<()> {
    let link = &server.replication.link;
    link.set_state(State::Transfer);
    let size = read_header(connection)?;
    match &size {
        Size::Bytes(len) => log!(
            Notice,
            "MASTER <-> REPLICA sync: receiving {len} bytes from master to disk"
        ),
        Size::UntilMark(_) => log!(
            Notice,
            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
        ),
    }
    let temp = PathBuf::from(format!(
        "temp-{}.{}.rdb",
        clock::now_ms() / 1000,
        std::process::id()
    ));
    let received = receive(server, connection, &size, &temp);
    if let Err(error) = received {
        let _ = std::fs::remove_file(&temp);
        return Err(error);
    }
    let dbfilename = PathBuf::from(crate::config::read(&server.config.dbfilename));
    if let Err(error) = std::fs::rename(&temp, &dbfilename) {
        log!(
            Warning,
            "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {error}",
            dbfilename.display()
        );
        let _ = std::fs::remove_file(&temp);
        return Err(error);
    }
    load(server, &dbfilename, replid, offset, generation)?;
    if server.config.appendonly.load(Ordering::Relaxed) {
        // The append-only file must describe the new data: rewritten from it (Redis's
        // `restartAOFAfterSYNC`).
        if let Err(error) = persistence::jobs::bgrewriteaof(server, false) {
            log!(
                Warning,
                "Failed enabling the AOF after successful master synchronization! {}",
                String::from_utf8_lossy(&error.message())
            );
        }
    }
    log!(Notice, "MASTER <-> REPLICA sync: Finished with success");
    Ok(())
}

/// `$<len>` or `$EOF:<mark>`, after any keep-alive newlines (sent while the master prepares
/// the snapshot).
fn read_header(connection: &mut Connection) -> io::Result<Size> {
    let line = loop {
        let line = connection.read_line()?;
        if !line.is_empty() {
            break line;
        }
    };
    if let Some(error) = line.strip_prefix('-') {
        log!(Warning, "MASTER aborted replication with an error: {error}");
        return Err(io::Error::other("the master aborted the sync"));
    }
    parse_header(&line).ok_or_else(|| {
        log!(
            Warning,
            "Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?"
        );
        io::Error::new(io::ErrorKind::InvalidData, "bad snapshot header")
    })
}

fn parse_header(line: &str) -> Option<Size> {
    let rest = line.strip_prefix('$')?;
    if let Some(mark) = rest.strip_prefix("EOF:") {
        return (mark.len() == MARK_LEN).then(|| Size::UntilMark(mark.as_bytes().to_vec()));
    }
    rest.parse().ok().map(Size::Bytes)
}

/// Copies the snapshot to `path`, keeping INFO's `master_sync_*` figures up to date, and
/// makes it durable before it replaces anything.
fn receive(
    server: &Server,
    connection: &mut Connection,
    size: &Size,
    path: &Path,
) -> io::Result<()> {
    let link = &server.replication.link;
    let mut file = File::create(path)?;
    let mut progress = Transfer {
        total: match size {
            Size::Bytes(len) => *len as i64,
            Size::UntilMark(_) => -1,
        },
        read: 0,
        last_io_ms: clock::now_ms(),
    };
    link.set_transfer(progress);
    let mut chunk = vec![0; 64 * 1024];
    // Diskless: the last bytes seen may begin the mark; held back until more arrive.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let read = match size {
            Size::Bytes(len) => {
                let want = chunk.len().min((*len as i64 - progress.read) as usize);
                if want == 0 {
                    break;
                }
                let n = connection.reader.read(&mut chunk[..want])?;
                file.write_all(&chunk[..n])?;
                n
            }
            Size::UntilMark(mark) => {
                // Only up to the mark is consumed: what follows it is the stream.
                let buffered = connection.reader.fill_buf()?;
                let mut window = std::mem::take(&mut tail);
                window.extend_from_slice(buffered);
                let held = window.len() - buffered.len();
                if let Some(at) = window.windows(MARK_LEN).position(|w| w == mark.as_slice()) {
                    file.write_all(&window[..at])?;
                    let used = at + MARK_LEN - held;
                    connection.reader.consume(used);
                    break;
                }
                let n = buffered.len();
                connection.reader.consume(n);
                let keep = window.len().saturating_sub(MARK_LEN - 1);
                file.write_all(&window[..keep])?;
                tail = window.split_off(keep);
                n
            }
        };
        if read == 0 {
            log!(
                Warning,
                "I/O error trying to sync with MASTER: connection lost"
            );
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the master closed the link during the sync",
            ));
        }
        progress.read += read as i64;
        progress.last_io_ms = clock::now_ms();
        link.set_transfer(progress);
        link.touch();
    }
    file.sync_all()
}

/// Replaces every database with the snapshot's contents and takes the master's history, all
/// under the exclusive lock. A snapshot that does not load leaves us empty (the old data was
/// flushed, as in Redis), and the sync is tried again.
fn load(
    server: &Server,
    path: &Path,
    replid: &str,
    offset: i64,
    generation: u64,
) -> io::Result<()> {
    let replication = &server.replication;
    let file = File::open(path)?;
    let now_ms = clock::now_ms();
    server.write(0, now_ms, |w| {
        if !replication.link.is_current(generation) {
            return Err(stopped());
        }
        log!(Notice, "MASTER <-> REPLICA sync: Flushing old data");
        persistence::empty_databases(server, w.databases(), now_ms);
        log!(Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
        let options = rdb::load::LoadOptions {
            // A replica keeps expired keys until its master deletes them.
            keep_expired: true,
            ..persistence::load_options(server, now_ms)
        };
        let reader = BufReader::with_capacity(1 << 16, file);
        let loaded = rdb::load::load(reader, w.databases(), options).map_err(|error| {
            error.log();
            log!(
                Warning,
                "Failed trying to load the MASTER synchronization DB from disk, check server logs."
            );
            io::Error::new(io::ErrorKind::InvalidData, error.summary())
        })?;
        persistence::add_loaded_libraries(server, &loaded.libraries, true)?;
        w.clear_dirty();
        // Our own replicas must sync again, from the new history: taken on first, so that one
        // reconnecting at once already asks against it.
        replication.follow(server, replid, offset);
        super::super::replicas::disconnect_all(server);
        replication.start_journal(server);
        replication.link.set_offsets(offset);
        // The stream selects its database before its first command.
        replication.link.set_stream_db(0);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_headers_parse() {
        assert_eq!(parse_header("$88"), Some(Size::Bytes(88)));
        let mark = "a".repeat(40);
        assert_eq!(
            parse_header(&format!("$EOF:{mark}")),
            Some(Size::UntilMark(mark.into_bytes()))
        );
        assert_eq!(parse_header("$EOF:short"), None);
        assert_eq!(parse_header("+OK"), None);
        assert_eq!(parse_header("$-1"), None);
    }
}
