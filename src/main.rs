//! `thredis [config-file] [--name value ...]`: parse the configuration, bind, serve.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use thredis::config::file::LoadError;
use thredis::server::TerminationSignal;
use thredis::{Config, Server, log, reconfigure, sys};

fn main() -> ExitCode {
    // Before any other thread exists, so that every thread inherits the blocked mask and the
    // signals reach only the thread that waits for them.
    sys::block_termination_signals();

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            println!(
                "thredis v={} (Redis {} compatible)",
                thredis::VERSION,
                thredis::REDIS_VERSION
            );
            return ExitCode::SUCCESS;
        }
        Some("-h" | "--help") => {
            println!(
                "Usage: thredis [/path/to/redis.conf] [--port 6379] [--dir /path] [--option value ...]"
            );
            return ExitCode::SUCCESS;
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
    let listening = match Server::bind(config) {
        Ok(listening) => listening,
        Err(error) => {
            eprintln!("Failed to start: {error}");
            return ExitCode::FAILURE;
        }
    };

    // The lines on stdout, a contract with the tests: they start the server on port 0 and read
    // the port from the first one. The Unix socket, if any, comes last.
    for addr in listening.local_addrs() {
        println!("listening on {addr}");
    }
    if let Some(path) = listening.unix_socket() {
        println!("listening on {path}");
    }
    let _ = std::io::stdout().flush();

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
