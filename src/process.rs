//! The process around the server, as Redis's `main()` manages it: supervision by systemd or
//! upstart (`supervised`), running in the background (`daemonize`), the `pidfile`, the
//! notifications a systemd service sends about its state, and the score the kernel's
//! out-of-memory killer gives it (`oom-score-adj`).
//!
//! Order matters, and `main.rs` keeps Redis's: [`supervise`] and `sys::daemonize` run right after
//! the configuration is read and before any thread starts (a fork copies only the calling
//! thread); [`create_pidfile`] runs once the server is set up; [`ready`] once it accepts
//! connections; [`remove_pidfile`] at shutdown.

use std::os::unix::net::UnixDatagram;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::config::{self, Config};
use crate::{log, sys};

/// Where Redis writes its pid when it daemonizes and no `pidfile` is set.
pub const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

/// The values of `supervised` (see `config::params::SUPERVISED`).
const SUPERVISED_UPSTART: i64 = 1;
const SUPERVISED_SYSTEMD: i64 = 2;
const SUPERVISED_AUTO: i64 = 3;

/// The supervision mode in force: the configured one, or what `auto` detected (Redis's
/// `server.supervised_mode`). Set once, by [`supervise`].
static MODE: OnceLock<i64> = OnceLock::new();

/// Redis's `redisIsSupervised`: resolves `supervised auto` from the environment (`UPSTART_JOB`,
/// then `NOTIFY_SOCKET`) and sets up the supervision asked for. Whether it succeeded; a
/// supervised server does not daemonize, its supervisor keeps it in the foreground.
pub fn supervise(config: &Config) -> bool {
    let mut mode = Config::get(&config.supervised);
    if mode == SUPERVISED_AUTO {
        if std::env::var_os("UPSTART_JOB").is_some() {
            log!(Verbose, "Upstart supervision detected.");
            mode = SUPERVISED_UPSTART;
        } else if std::env::var_os("NOTIFY_SOCKET").is_some() {
            log!(Verbose, "Systemd supervision detected.");
            mode = SUPERVISED_SYSTEMD;
        }
    }
    let supervised = match mode {
        SUPERVISED_UPSTART => supervised_by_upstart(),
        SUPERVISED_SYSTEMD => supervised_by_systemd(),
        _ => false,
    };
    // Only a supervision that worked replaces the configured mode.
    let _ = MODE.set(if supervised {
        mode
    } else {
        Config::get(&config.supervised)
    });
    supervised
}

/// Upstart's `expect stop`: the job is ready when the process stops itself.
fn supervised_by_upstart() -> bool {
    if std::env::var_os("UPSTART_JOB").is_none() {
        log!(
            Warning,
            "upstart supervision requested, but UPSTART_JOB not found!"
        );
        return false;
    }
    log!(
        Notice,
        "supervised by upstart, will stop to signal readiness."
    );
    sys::stop_self();
    // Redis also unsets UPSTART_JOB, for the children it forks; thredis starts no processes.
    true
}

fn supervised_by_systemd() -> bool {
    if !notify_systemd("STATUS=thredis is loading...\n") {
        return false;
    }
    log!(
        Notice,
        "Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit."
    );
    true
}

/// Whether the process is to detach (`daemonize yes` and no supervisor), as Redis decides.
pub fn goes_to_background(config: &Config, supervised: bool) -> bool {
    config.daemonize.load(Ordering::Relaxed) && !supervised
}

/// Redis's `createPidFile`: with `pidfile` set, or in the background (then at
/// [`DEFAULT_PIDFILE`] unless `pidfile` says otherwise, which `CONFIG GET pidfile` then
/// reports), writes the pid and a newline.
pub fn create_pidfile(config: &Config, background: bool) {
    let path = match config.pidfile() {
        Some(path) => path,
        None if background => {
            config::write(&config.pidfile, DEFAULT_PIDFILE.to_string());
            DEFAULT_PIDFILE.to_string()
        }
        None => return,
    };
    // Best effort, as in Redis: a server that cannot write its pid file still serves. (Redis
    // 7.0.15 says nothing; this is the warning later versions log.)
    if let Err(error) = std::fs::write(&path, format!("{}\n", std::process::id())) {
        log!(
            Warning,
            "Failed to write PID file: {}",
            sys::os_error_text(&error)
        );
    }
}

/// At shutdown, as Redis's `prepareForShutdown`: removes the pid file of a daemon or of a
/// server given a `pidfile`.
pub fn remove_pidfile(config: &Config) {
    let pidfile = config.pidfile();
    if config.daemonize.load(Ordering::Relaxed) || pidfile.is_some() {
        log!(Notice, "Removing the pid file.");
        if let Some(path) = pidfile {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Under systemd, says the server accepts connections (after Redis's `Ready to accept
/// connections` line).
pub fn ready() {
    if supervised_by(SUPERVISED_SYSTEMD) {
        notify_systemd("STATUS=Ready to accept connections\n");
        notify_systemd("READY=1\n");
    }
}

/// Under systemd, sends `message` (`STOPPING=1\n`, `STATUS=...\n`): for the shutdown path.
pub fn tell_systemd(message: &str) {
    if supervised_by(SUPERVISED_SYSTEMD) {
        notify_systemd(message);
    }
}

fn supervised_by(mode: i64) -> bool {
    MODE.get() == Some(&mode)
}

/// Redis's `redisCommunicateSystemd`, systemd's `sd_notify` protocol without libsystemd: one
/// datagram to the Unix socket `NOTIFY_SOCKET` names (a path, or `@name` for Linux's abstract
/// namespace). Whether it was sent; failures are logged in Redis's words (sd_notify's result is
/// 0 without the variable, a negative errno otherwise).
fn notify_systemd(message: &str) -> bool {
    let Some(target) = std::env::var_os("NOTIFY_SOCKET") else {
        log!(
            Warning,
            "systemd supervision error: NOTIFY_SOCKET not found!"
        );
        return false;
    };
    match send_datagram(&target.to_string_lossy(), message.as_bytes()) {
        Ok(()) => true,
        Err(error) => {
            let errno = error.raw_os_error().unwrap_or(22); // EINVAL, sd_notify's for a bad address
            log!(Warning, "systemd supervision error: sd_notify: {}", -errno);
            false
        }
    }
}

fn send_datagram(target: &str, message: &[u8]) -> std::io::Result<()> {
    let socket = UnixDatagram::unbound()?;
    match target.strip_prefix('@') {
        #[cfg(target_os = "linux")]
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let address = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            socket.send_to_addr(message, &address)?;
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) => return Err(std::io::Error::from_raw_os_error(22)),
        None if target.starts_with('/') => {
            socket.send_to(message, target)?;
        }
        None => return Err(std::io::Error::from_raw_os_error(22)),
    }
    Ok(())
}

/// The kernel's knob for this process's out-of-memory score (Linux).
const OOM_SCORE_ADJ: &str = "/proc/self/oom_score_adj";

/// `oom_score_adj` as it was before thredis first changed it, while `oom-score-adj` is on
/// (Redis's `oom_score_adj_base`): what `relative` adds to, and what `no` puts back.
static OOM_BASE: Mutex<Option<i64>> = Mutex::new(None);

/// Redis's `setOOMScoreAdj` for the main process (a master: the first of
/// `oom-score-adj-values`): with `oom-score-adj yes`/`relative` the value is added to the
/// score the process had, with `absolute` it replaces it, clamped to -1000..1000; with `no`,
/// a score thredis changed goes back to what it was. The error is for `CONFIG SET`, the reason
/// is in the log.
pub fn set_oom_score_adj(config: &Config) -> Result<(), String> {
    const FAILED: &str = "Failed to set current oom_score_adj. Check server logs.";
    let mode = config::Config::get(&config.oom_score_adj);
    let mut base = OOM_BASE.lock().unwrap_or_else(PoisonError::into_inner);
    let value = match (mode, *base) {
        (0, None) => return Ok(()),
        (0, Some(original)) => {
            *base = None;
            original
        }
        (_, known) => {
            let original = match known {
                Some(original) => original,
                None => {
                    let text = std::fs::read_to_string(OOM_SCORE_ADJ).map_err(|error| {
                        log!(
                            Warning,
                            "Unable to read oom_score_adj: {}",
                            sys::os_error_text(&error)
                        );
                        FAILED.to_string()
                    })?;
                    let original = text.trim().parse().unwrap_or(0);
                    *base = Some(original);
                    original
                }
            };
            let configured = config::read(&config.oom_score_adj_values)[0];
            let relative = if mode == OOM_SCORE_ADJ_ABSOLUTE {
                0
            } else {
                original
            };
            (configured + relative).clamp(-1000, 1000)
        }
    };
    std::fs::write(OOM_SCORE_ADJ, format!("{value}\n")).map_err(|error| {
        log!(
            Warning,
            "Unable to write oom_score_adj: {}",
            sys::os_error_text(&error)
        );
        FAILED.to_string()
    })
}

/// `oom-score-adj absolute` (see `config::params::OOM_SCORE_ADJ`).
const OOM_SCORE_ADJ_ABSOLUTE: i64 = 2;
