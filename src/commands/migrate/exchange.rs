//! One MIGRATE's conversation with its target (the middle of `migrateCommand`): AUTH and
//! SELECT when needed and the RESTOREs written at once, the replies read in order, one retry
//! on a fresh connection when the cached one turns out dead, and the errors as Redis words
//! them. It decides nothing about the keys here: it says which ones the target acknowledged.

use std::time::Duration;

use super::connections::{Connections, Failure, Target, Unreachable};
use super::options::Auth;
use crate::clock;
use crate::commands::{CommandError, CommandResult};
use crate::keyspace::changes::encode_command;
use crate::server::Server;

/// One MIGRATE's conversation with its target.
pub struct Exchange<'a> {
    pub host: &'a [u8],
    pub port: &'a [u8],
    pub auth: Option<Auth<'a>>,
    pub db: i64,
    /// The RESTORE commands, one per key, already encoded.
    pub restores: &'a [u8],
    pub count: usize,
    pub timeout: Duration,
}

/// What one attempt at the conversation came to.
enum Attempt {
    /// The link failed before the first RESTORE's reply: nothing is known to have happened.
    Failed { writing: bool, failure: Failure },
    /// The replies read: which keys the target acknowledged, in order (those after a broken
    /// link are not), its first error, and whether the link broke part-way.
    Replied {
        acknowledged: Vec<bool>,
        error: Option<Vec<u8>>,
        broken: bool,
    },
}

impl Exchange<'_> {
    /// Talks to the target, reconnecting once if the cached connection turns out dead (Redis's
    /// `try_again`: not after a timeout). Returns which of the keys the target acknowledged,
    /// and the reply.
    pub fn run(&self, server: &Server) -> (Vec<bool>, CommandResult) {
        let mut may_retry = true;
        loop {
            match self.converse(&server.migrate) {
                Ok(Attempt::Failed { writing, failure }) => {
                    if failure != Failure::TimedOut && may_retry {
                        may_retry = false;
                        continue;
                    }
                    return (Vec::new(), Err(io_error(writing)));
                }
                Ok(Attempt::Replied {
                    acknowledged,
                    error,
                    broken,
                }) => {
                    let outcome = match error {
                        Some(error) => {
                            // Redis's `addReplyErrorFormat` turns line breaks into spaces.
                            let text =
                                String::from_utf8_lossy(&error[1..]).replace(['\r', '\n'], " ");
                            Err(CommandError::err(format!(
                                "Target instance replied with error: {text}"
                            )))
                        }
                        None if broken => Err(io_error(false)),
                        None => Ok(()),
                    };
                    return (acknowledged, outcome);
                }
                Err(error) => return (Vec::new(), Err(error)),
            }
        }
    }

    /// One attempt: takes the connection, talks, and closes it if it failed or caches it with
    /// the database it now has selected (none known after an error, so the next MIGRATE
    /// selects again).
    fn converse(&self, connections: &Connections) -> Result<Attempt, CommandError> {
        let now_s = clock::now_ms() / 1000;
        let mut target = match connections.take(self.host, self.port, self.timeout, now_s) {
            Ok(target) => target,
            Err(Unreachable::Unresolved) => {
                let error = "IOERR error or timeout connecting to the client";
                return Err(CommandError::coded(error));
            }
            // Redis's connect does not fail there: its first write does.
            Err(Unreachable::Refused(failure)) => {
                let writing = true;
                return Ok(Attempt::Failed { writing, failure });
            }
        };
        let attempt = self.attempt(&mut target);
        match &attempt {
            Attempt::Replied {
                error: None,
                broken: false,
                ..
            } => {
                target.selected_db = Some(self.db);
                connections.put_back(target);
            }
            Attempt::Replied { broken: false, .. } => {
                target.selected_db = None;
                connections.put_back(target);
            }
            Attempt::Failed { .. } | Attempt::Replied { broken: true, .. } => {
                connections.close(target)
            }
        }
        Ok(attempt)
    }

    /// Sends AUTH (if asked), SELECT (if the connection has another database selected) and the
    /// RESTOREs in one write, then reads their replies in order.
    fn attempt(&self, target: &mut Target) -> Attempt {
        let select = target.selected_db != Some(self.db);
        let mut request = Vec::new();
        if let Some(auth) = self.auth {
            let mut command: Vec<&[u8]> = vec![b"AUTH"];
            command.extend(auth.username);
            command.push(auth.password);
            request.extend(encode_command(command.into_iter()));
        }
        if select {
            let db = self.db.to_string();
            request.extend(encode_command([&b"SELECT"[..], db.as_bytes()].into_iter()));
        }
        request.extend_from_slice(self.restores);
        if let Err(failure) = target.send(&request, self.timeout) {
            return Attempt::Failed {
                writing: true,
                failure,
            };
        }
        let mut read_reply = |wanted: bool| match wanted {
            true => target.read_line(self.timeout).map(Some),
            false => Ok(None),
        };
        let (auth, select) = match (read_reply(self.auth.is_some()), read_reply(select)) {
            (Ok(auth), Ok(select)) => (auth, select),
            (Err(failure), _) | (_, Err(failure)) => {
                return Attempt::Failed {
                    writing: false,
                    failure,
                };
            }
        };
        self.replies(target, [auth, select])
    }

    /// Reads one reply per RESTORE. A failed AUTH or SELECT fails every key (their replies are
    /// still read), and its error is the one reported; otherwise each key succeeds or fails on
    /// its own, and the first error is reported.
    fn replies(&self, target: &mut Target, before: [Option<Vec<u8>>; 2]) -> Attempt {
        let is_error = |line: &[u8]| line.first() == Some(&b'-');
        let setup_error = before.into_iter().flatten().find(|line| is_error(line));
        let mut first_error = setup_error.clone();
        let mut acknowledged = Vec::with_capacity(self.count);
        let mut broken = false;
        for _ in 0..self.count {
            match target.read_line(self.timeout) {
                Ok(line) if is_error(&line) || setup_error.is_some() => {
                    first_error.get_or_insert(line);
                    acknowledged.push(false);
                }
                Ok(_) => acknowledged.push(true),
                Err(failure) if acknowledged.is_empty() => {
                    return Attempt::Failed {
                        writing: false,
                        failure,
                    };
                }
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        Attempt::Replied {
            acknowledged,
            error: first_error,
            broken,
        }
    }
}

/// Redis's words for a write or read that failed or timed out.
fn io_error(writing: bool) -> CommandError {
    let doing = if writing { "writing" } else { "reading" };
    CommandError::coded(format!("IOERR error or timeout {doing} to target instance"))
}
