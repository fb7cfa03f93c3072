//! `thredis [config-file] [--name value ...]`: Redis's startup sequence (configuration, supervision,
//! daemonizing, the startup lines, binding, the pid file and logo, loading the data), then serve.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use thredis::config::file::LoadError;
use thredis::memory::allocator::{self, CountingAllocator};
use thredis::server::TerminationSignal;
use thredis::{Config, Server, banner, log, process, reconfigure, sys};

/// Every heap byte goes through the counting allocator: its count is `used_memory`, what
/// `maxmemory` is checked against (see `thredis::memory`).
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() -> ExitCode {
    allocator::declare_installed();
    // Before any other thread exists, so that every thread inherits the blocked mask and the
    // signals reach only the thread that waits for them.
    sys::block_termination_signals();

    let mut argv = std::env::args();
    let program = argv.next().unwrap_or_else(|| "thredis".into());
    let args: Vec<String> = argv.collect();
    // As Redis: only a first argument asks for these; the version exits 0, the usage 1.
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            let _ = writeln!(std::io::stdout(), "{}", banner::version_line());
            return ExitCode::SUCCESS;
        }
        Some("-h" | "--help") => {
            eprintln!("{}", banner::usage());
            return ExitCode::FAILURE;
        }
        _ => {}
    }
    let is_command = |name: &str| thredis::commands::lookup(name.as_bytes()).is_some();
    let config = match Config::from_args(&args, &is_command) {
        Ok(config) => config,
        Err(LoadError::Fatal(report)) => {
            eprintln!("{report}");
            return ExitCode::FAILURE;
        }
        Err(LoadError::Unreadable(reason)) => {
            thredis::log!(Warning, "{reason}");
            return ExitCode::FAILURE;
        }
    };
    log::set_level(reconfigure::log_level(&config));
    if let Err(error) = log::set_file(&thredis::config::read(&config.logfile)) {
        eprintln!("Can't open the log file: {error}");
        return ExitCode::FAILURE;
    }

    // Redis's order: supervision, then the fork, before any thread exists (a forked child
    // inherits only the thread that forked).
    let supervised = process::supervise(&config);
    let background = process::goes_to_background(&config, supervised);
    if background {
        if let Err(error) = sys::daemonize() {
            thredis::log!(Warning, "Can't daemonize: {error}");
            return ExitCode::FAILURE;
        }
    }
    banner::log_starting(&program, args.is_empty());

    let listening = match Server::bind(config) {
        Ok(listening) => listening,
        Err(error) => {
            eprintln!("Failed to start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = &listening.server.config;
    process::create_pidfile(config, background);
    // A failure is logged and the server goes on, as Redis does at startup.
    let _ = process::set_oom_score_adj(config);
    banner::log_logo(config, listening.port());
    if let Err(error) = listening.load() {
        eprintln!("Failed to start: {error}");
        return ExitCode::FAILURE;
    }

    // A contract with the tests, beside the log on stdout: they start the server on port 0 and
    // read the port from the first of these lines. The Unix socket, if any, comes last. Like
    // the log, these lines may find stdout closed (a reader that took the first and left): the
    // server goes on, where `println!` would panic.
    let mut stdout = std::io::stdout().lock();
    let addresses = listening
        .local_addrs()
        .into_iter()
        .map(|addr| addr.to_string());
    for addr in addresses.chain(listening.unix_socket().map(str::to_string)) {
        let _ = writeln!(stdout, "listening on {addr}");
    }
    let _ = stdout.flush();
    drop(stdout);

    let server = Arc::clone(&listening.server);
    let signals = thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            loop {
                let signal = if sys::wait_for_termination_signal() == sys::SIGINT {
                    TerminationSignal::Interrupt
                } else {
                    TerminationSignal::Terminate
                };
                server.schedule_shutdown(signal);
            }
        });
    if let Err(error) = signals {
        eprintln!("Failed to start: {error}");
        return ExitCode::FAILURE;
    }

    match listening.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
