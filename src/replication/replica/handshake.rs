//! The conversation that opens a link to the master, in Redis's order (`syncWithMaster`):
//! `PING`; `AUTH` with `masterauth` (and `masteruser`); `REPLCONF listening-port`, `REPLCONF
//! ip-address` if `replica-announce-ip` is set, `REPLCONF capa eof capa psync2`; then `PSYNC`
//! with our history (`PSYNC <replid> <offset+1>`) or without (`PSYNC ? -1`), and what the master
//! answers to it decides the sync. (Stages 28–30.)

use std::io;

use super::Connection;
use crate::config::{self, Config};
use crate::log;
use crate::number::IntBuf;
use crate::server::Server;

/// The sync the master agreed to.
#[derive(Debug, PartialEq, Eq)]
pub enum Sync {
    /// `+FULLRESYNC <replid> <offset>`: a snapshot follows, standing for that offset.
    Full { replid: String, offset: i64 },
    /// `+CONTINUE [<replid>]`: the stream goes on from our offset; a new ID if the master's
    /// history was renamed (PSYNC2).
    Partial { replid: Option<String> },
}

/// Runs the handshake; an error ends this attempt (the reason is logged).
pub fn run(server: &Server, connection: &mut Connection) -> io::Result<Sync> {
    ping(connection)?;
    authenticate(server, connection)?;
    announce(server, connection)?;
    psync(server, connection)
}

/// `PING`: an error other than "authenticate first" means we cannot replicate this master.
fn ping(connection: &mut Connection) -> io::Result<()> {
    connection.sender.send(&[b"PING"])?;
    let reply = reply_line(connection)?;
    let needs_auth = ["-NOAUTH", "-NOPERM", "-ERR operation not permitted"]
        .iter()
        .any(|prefix| reply.starts_with(prefix));
    if reply.starts_with('-') && !needs_auth {
        log!(Warning, "Error reply to PING from master: '{reply}'");
        return Err(io::Error::other("the master refused PING"));
    }
    log!(
        Notice,
        "Master replied to PING, replication can continue..."
    );
    Ok(())
}

/// `AUTH [<masteruser>] <masterauth>`, when `masterauth` is set.
fn authenticate(server: &Server, connection: &mut Connection) -> io::Result<()> {
    let password = config::read(&server.config.masterauth);
    if password.is_empty() {
        return Ok(());
    }
    let user = config::read(&server.config.masteruser);
    if user.is_empty() {
        connection.sender.send(&[b"AUTH", password.as_bytes()])?;
    } else {
        connection
            .sender
            .send(&[b"AUTH", user.as_bytes(), password.as_bytes()])?;
    }
    let reply = reply_line(connection)?;
    if reply.starts_with('-') {
        log!(Warning, "Unable to AUTH to MASTER: {reply}");
        return Err(io::Error::other("the master refused AUTH"));
    }
    Ok(())
}

/// The `REPLCONF`s: where we listen, the address to show for us, what we understand. A master
/// that refuses one still replicates (Redis calls these non critical).
fn announce(server: &Server, connection: &mut Connection) -> io::Result<()> {
    let announced_port = Config::get(&server.config.replica_announce_port);
    let port = match announced_port {
        0 => Config::get(&server.config.port),
        port => port,
    };
    let mut digits = IntBuf::new();
    let port = digits.format(port).to_vec();
    replconf(connection, &[b"listening-port", &port], "listening-port")?;
    let ip = config::read(&server.config.replica_announce_ip);
    if !ip.is_empty() {
        replconf(connection, &[b"ip-address", ip.as_bytes()], "ip-address")?;
    }
    replconf(connection, &[b"capa", b"eof", b"capa", b"psync2"], "capa")
}

fn replconf(connection: &mut Connection, args: &[&[u8]], what: &str) -> io::Result<()> {
    let mut command: Vec<&[u8]> = vec![b"REPLCONF"];
    command.extend_from_slice(args);
    connection.sender.send(&command)?;
    let reply = reply_line(connection)?;
    if reply.starts_with('-') {
        log!(
            Notice,
            "(Non critical) Master does not understand REPLCONF {what}: {reply}"
        );
    }
    Ok(())
}

/// `PSYNC`, and the master's answer (Redis's `slaveTryPartialResynchronization`).
fn psync(server: &Server, connection: &mut Connection) -> io::Result<Sync> {
    let link = &server.replication.link;
    let (replid, offset) = if link.has_cached_history() {
        let offset = (server.replication.offset() + 1).to_string();
        let replid = server.replication.replid();
        log!(
            Notice,
            "Trying a partial resynchronization (request {replid}:{offset})."
        );
        (replid, offset)
    } else {
        log!(
            Notice,
            "Partial resynchronization not possible (no cached master)"
        );
        ("?".to_string(), "-1".to_string())
    };
    // A master in `FAILOVER` asks its target to take over (see `replication/failover.rs`).
    let mut command: Vec<&[u8]> = vec![b"PSYNC", replid.as_bytes(), offset.as_bytes()];
    if server.replication.failover.in_progress() {
        command.push(b"FAILOVER");
    }
    connection.sender.send(&command)?;
    let reply = reply_line(connection)?;
    match parse_psync_reply(&reply) {
        Some(Sync::Full { replid, offset }) => {
            log!(Notice, "Full resync from master: {replid}:{offset}");
            if link.has_cached_history() {
                log!(Notice, "Discarding previously cached master state.");
            }
            link.set_cached_history(false);
            Ok(Sync::Full { replid, offset })
        }
        Some(partial) => {
            log!(Notice, "Successful partial resynchronization with master.");
            Ok(partial)
        }
        None if reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING") => {
            log!(
                Notice,
                "Master is currently unable to PSYNC but should be in the future: {reply}"
            );
            Err(io::Error::other("the master cannot PSYNC yet"))
        }
        None => {
            log!(Warning, "Unexpected reply to PSYNC from master: {reply}");
            Err(io::Error::other("unexpected reply to PSYNC"))
        }
    }
}

/// `+FULLRESYNC <40 characters> <offset>` or `+CONTINUE [<40 characters>]`.
fn parse_psync_reply(reply: &str) -> Option<Sync> {
    let valid_id = |id: &str| id.len() == 40 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(rest) = reply.strip_prefix("+FULLRESYNC ") {
        let (replid, offset) = rest.split_once(' ')?;
        let offset = offset.trim().parse().ok()?;
        return valid_id(replid).then(|| Sync::Full {
            replid: replid.to_string(),
            offset,
        });
    }
    let rest = reply.strip_prefix("+CONTINUE")?.trim();
    Some(Sync::Partial {
        replid: valid_id(rest).then(|| rest.to_string()),
    })
}

/// The next reply line, keep-alive newlines skipped (a master may send them while it prepares
/// its answer).
fn reply_line(connection: &mut Connection) -> io::Result<String> {
    loop {
        let line = connection.read_line()?;
        if !line.is_empty() {
            return Ok(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "75cd7bc10c49047e0d163660f3b90625b1af31dc";

    #[test]
    fn psync_replies_parse() {
        assert_eq!(
            parse_psync_reply(&format!("+FULLRESYNC {ID} 0")),
            Some(Sync::Full {
                replid: ID.to_string(),
                offset: 0
            })
        );
        assert_eq!(
            parse_psync_reply(&format!("+CONTINUE {ID}")),
            Some(Sync::Partial {
                replid: Some(ID.to_string())
            })
        );
        assert_eq!(
            parse_psync_reply("+CONTINUE"),
            Some(Sync::Partial { replid: None })
        );
        assert_eq!(parse_psync_reply("+FULLRESYNC short 0"), None);
        assert_eq!(parse_psync_reply(&format!("+FULLRESYNC {ID} x")), None);
        assert_eq!(parse_psync_reply("-ERR unknown command"), None);
    }
}
