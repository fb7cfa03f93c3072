//! What changing a parameter does to the running server: the effects of `CONFIG SET`, by
//! parameter (Redis's `apply` functions). The parameter table only stores values; a subsystem
//! that must act when one changes (start the append-only file, reopen listeners, raise the
//! open-file limit) is called from here, once per `CONFIG SET`, after every value is stored.

use std::sync::atomic::Ordering;

use crate::config::{Config, Param};
use crate::server::Server;
use crate::{log, persistence};

/// Acts on the parameters a `CONFIG SET` changed. The error names the parameter whose effect
/// failed and why, in Redis's words; the caller then puts every value back and calls this
/// again, so the server returns to how it was.
pub fn apply(
    server: &Server,
    changed: &[&'static Param],
    in_exec: bool,
) -> Result<(), (&'static Param, String)> {
    for &param in changed {
        let result = match param.name {
            "appendonly" => persistence::apply_config(server, in_exec),
            "repl-backlog-size" | "client-output-buffer-limit" => {
                server.replication.follow_buffer_config(server);
                Ok(())
            }
            "loglevel" => {
                log::set_level(log_level(&server.config));
                Ok(())
            }
            "aof-timestamp-enabled" => {
                persistence::follow_timestamp_setting(server);
                Ok(())
            }
            "maxclients" => maxclients(server),
            "requirepass" => {
                let password = crate::config::read(&server.config.requirepass);
                let password = (!password.is_empty()).then_some(password.as_bytes());
                server.acl.set_default_password(password);
                Ok(())
            }
            "oom-score-adj" | "oom-score-adj-values" => {
                crate::process::set_oom_score_adj(&server.config)
            }
            "maxmemory" => {
                maxmemory(server, in_exec);
                Ok(())
            }
            "maxmemory-policy" | "lfu-log-factor" | "lfu-decay-time" => {
                crate::memory::lfu::follow_config(&server.config);
                Ok(())
            }
            // Redis's `updatePort` and `updateBindAddr` errors; the details are in the log.
            "port" => (server.listeners.rebind(&server.config))
                .map_err(|_| "Unable to listen on this port. Check server logs.".to_string()),
            "bind" => server.listeners.rebind(&server.config).map_err(|_| {
                log!(Warning, "Failed to bind");
                "Failed to bind to specified addresses.".to_string()
            }),
            _ => Ok(()),
        };
        result.map_err(|reason| (param, reason))?;
    }
    Ok(())
}

/// The `loglevel` the configuration asks for.
pub fn log_level(config: &Config) -> log::Level {
    match Config::get(&config.loglevel) {
        0 => log::Level::Debug,
        1 => log::Level::Verbose,
        3 => log::Level::Warning,
        _ => log::Level::Notice,
    }
}

/// Redis's `updateMaxclients`: the open-file limit must fit the new number of clients.
fn maxclients(server: &Server) -> Result<(), String> {
    let wanted = server.config.maxclients();
    crate::server::adjust_open_files_limit(&server.config);
    let allowed = server.config.maxclients();
    if allowed != wanted {
        return Err(format!(
            "The operating system is not able to handle the specified number of clients, try with {allowed}"
        ));
    }
    Ok(())
}

/// Redis's `updateMaxmemory`: a limit below what is used already is taken, with a warning, and
/// eviction starts at once. Not inside EXEC, which holds the keyspace: the next command evicts.
fn maxmemory(server: &Server, in_exec: bool) {
    let limit = server.config.maxmemory.load(Ordering::Relaxed) as u64;
    let used = crate::memory::used_for_eviction(server);
    if limit != 0 && limit < used {
        log!(
            Warning,
            "WARNING: the new maxmemory value set via CONFIG SET ({limit}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
        );
    }
    if !in_exec {
        crate::memory::eviction::perform_evictions(server, crate::clock::now_ms());
    }
}
