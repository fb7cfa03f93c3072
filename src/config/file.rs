//! Reading configuration as redis-server reads it (config.c `loadServerConfig*`, server.c
//! `main`): the file named first on the command line, then standard input if asked (`-`), then
//! the command-line options turned into lines (`--port 6380` becomes `port 6380`), all parsed
//! as one text, line by line.
//!
//! A line is split as Redis's `sdssplitargs` splits it (quotes and escapes; see
//! `protocol/split.rs`), its first word names a parameter of the table or one of the
//! directives `include` (another file, or a glob of them, read at that point, relative to the
//! working directory), `rename-command`, `user`, `loadmodule` and `sentinel`. Any error stops
//! the server with Redis's report, the `*** FATAL CONFIG FILE ERROR ***` block.

use std::path::{Path, PathBuf};

use super::special::append_save;
use super::{Config, params};
use crate::protocol::split::{repr, split_args};

/// Why the configuration could not be read.
#[derive(Debug)]
pub enum LoadError {
    /// The `*** FATAL CONFIG FILE ERROR ***` report, for standard error.
    Fatal(String),
    /// A file that cannot be read, which Redis reports as a log line.
    Unreadable(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            LoadError::Fatal(text) | LoadError::Unreadable(text) => f.write_str(text),
        }
    }
}

/// Names of the commands a `rename-command` may refer to.
pub type IsCommand = dyn Fn(&str) -> bool;

/// Includes nested deeper than this are refused (a file that includes itself would otherwise
/// never end; Redis overflows its stack).
const MAX_INCLUDE_DEPTH: usize = 32;

/// The command line, as redis-server reads it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// The configuration file, when the first argument is not an option.
    pub file: Option<String>,
    /// `-` as the first or last argument: read configuration from standard input too.
    pub stdin: bool,
    /// The options, as configuration text (one line per `--name`).
    pub options: String,
}

impl CommandLine {
    /// Redis 7.0.15's rules: `--name` starts a line and the words after it are its values
    /// (quoted so they stay one word each), until the next `--name`; a value may itself start
    /// with `--` when the option has none yet (`--logfile --my--log`); `--name value` may come
    /// as one argument; `--save` with no value means `save ""`.
    pub fn parse(args: &[String]) -> CommandLine {
        let mut line = CommandLine::default();
        let mut rest = args;
        if let Some(first) = args.first().filter(|arg| !arg.starts_with('-')) {
            line.file = Some(first.clone());
            rest = &args[1..];
        }
        let last = rest.len().saturating_sub(1);
        // Whether the option being read already has a value, so that a `--word` starts the
        // next option rather than being this one's value.
        let mut has_value = true;
        for (i, arg) in rest.iter().enumerate() {
            let first_of_all = i == 0 && line.file.is_none();
            if arg == "-" && (first_of_all || i == last) {
                line.stdin = true;
            } else if has_value && arg.starts_with("--") {
                if !line.options.is_empty() {
                    line.options.push('\n');
                }
                line.options.push_str(&arg[2..]);
                line.options.push(' ');
                let words = split_args(arg.as_bytes()).map_or(0, |w| w.len());
                has_value = words != 1;
                if !has_value && arg.eq_ignore_ascii_case("--save") {
                    let next_is_option = rest.get(i + 1).is_some_and(|n| n.starts_with("--"));
                    if next_is_option || i == last {
                        line.options.push_str("\"\"");
                        has_value = next_is_option;
                    }
                }
            } else {
                line.options.push_str(&repr(arg.as_bytes()));
                line.options.push(' ');
                has_value = true;
            }
        }
        line
    }
}

/// What loading keeps track of across the lines of every file.
struct Loader<'a> {
    config: &'a mut Config,
    is_command: &'a IsCommand,
    /// A `save` line was read: the next ones add points instead of replacing them.
    save_seen: bool,
    depth: usize,
}

impl Config {
    /// The configuration for `thredis [config-file] [-] [--name value ...]`. `is_command` says
    /// which command names exist, for `rename-command`.
    pub fn from_args(args: &[String], is_command: &IsCommand) -> Result<Config, LoadError> {
        let line = CommandLine::parse(args);
        let mut config = Config::default();
        let mut text = String::new();
        if let Some(file) = &line.file {
            let path = std::path::absolute(file).unwrap_or_else(|_| PathBuf::from(file));
            config.config_file = Some(path);
            text = read_config_file(file)?;
        }
        if line.stdin {
            crate::log!(Warning, "Reading config from stdin");
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
                .map_err(|e| LoadError::Unreadable(format!("Reading config from stdin: {e}")))?;
            text.push_str(&input);
        }
        if !line.options.is_empty() {
            text.push('\n');
            text.push_str(&line.options);
        }
        config.load_text(&text, is_command)?;
        Ok(config)
    }

    /// Applies configuration text, as one file. Errors are Redis's report, ready to print.
    pub fn load_text(&mut self, text: &str, is_command: &IsCommand) -> Result<(), LoadError> {
        let mut loader = Loader {
            config: self,
            is_command,
            save_seen: false,
            depth: 0,
        };
        loader.load(text)
    }
}

impl Loader<'_> {
    fn load(&mut self, text: &str) -> Result<(), LoadError> {
        for (number, line) in text.split('\n').enumerate() {
            let line = line.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.line(line).map_err(|failure| match failure {
                Failure::Reason(reason) => LoadError::Fatal(format!(
                    "{}Reading the configuration file, at line {}\n>>> '{line}'\n{reason}",
                    fatal_header(),
                    number + 1
                )),
                Failure::Included(error) => error,
            })?;
        }
        self.finish()
            .map_err(|reason| LoadError::Fatal(format!("{}{reason}", fatal_header())))
    }

    /// One line: a parameter or a directive.
    fn line(&mut self, line: &str) -> Result<(), Failure> {
        let words = split_args(line.as_bytes())
            .map_err(|_| "Unbalanced quotes in configuration line".to_string())?;
        let mut words: Vec<String> = words
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .collect();
        if words.is_empty() {
            return Ok(());
        }
        let name = words.remove(0).to_ascii_lowercase();
        if let Some(param) = params::find(&name) {
            let multi = param.is(super::param::Flags::MULTI_ARG);
            if !multi && words.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            // `--save "3600 1"`: a multi-word value given as one word is split again.
            if multi && words.len() == 1 && !words[0].is_empty() {
                words = split_args(words[0].as_bytes())
                    .map_err(|_| "Unbalanced quotes in configuration line".to_string())?
                    .into_iter()
                    .map(|w| String::from_utf8_lossy(&w).into_owned())
                    .collect();
            }
            if param.name == "save" && self.save_seen {
                return Ok(append_save(self.config, &words)?);
            }
            param.set(self.config, &words)?;
            self.save_seen |= param.name == "save";
            return Ok(());
        }
        let outcome = match (name.as_str(), words.len()) {
            // Parameters Redis dropped, still accepted in old files.
            ("list-max-ziplist-entries" | "list-max-ziplist-value" | "lua-replicate-commands", 1) => {
                Ok(())
            }
            ("include", 1) => return self.include(&words[0]),
            ("rename-command", 2) => self.rename(&words[0], &words[1]),
            ("user", n) if n >= 1 => self.user(words),
            ("loadmodule", n) if n >= 1 => Err("thredis cannot load modules".into()),
            ("sentinel", 0) => Ok(()),
            ("sentinel", _) => Err("sentinel directive while not in sentinel mode".into()),
            (name, 0) if name.contains('.') => Err("Module config specified without value".into()),
            (name, _) if name.contains('.') => Err(
                "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"
                    .into(),
            ),
            _ => Err("Bad directive or wrong number of arguments".into()),
        };
        Ok(outcome?)
    }

    /// `include path`: the file's lines are read here, as a file of their own (errors name
    /// their own line numbers). A path with `*`, `?` or `[` is a glob, and may match nothing.
    fn include(&mut self, pattern: &str) -> Result<(), Failure> {
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(Failure::Reason(format!(
                "include nesting deeper than {MAX_INCLUDE_DEPTH} files"
            )));
        }
        let paths = if pattern.contains(['*', '?', '[']) {
            expand_glob(pattern)
        } else {
            vec![PathBuf::from(pattern)]
        };
        for path in paths {
            let text = read_config_file(&path.display().to_string()).map_err(Failure::Included)?;
            self.depth += 1;
            let result = self.load(&text);
            self.depth -= 1;
            result.map_err(Failure::Included)?;
        }
        Ok(())
    }

    /// `user name rules...`: checked now, loaded with the other users at startup. A name may
    /// be declared once.
    fn user(&mut self, words: Vec<String>) -> Result<(), String> {
        if self.config.users.iter().any(|user| user[0] == words[0]) {
            return Err(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be defined once in config files",
                words[0]
            ));
        }
        crate::acl::check_config_user(&words)?;
        self.config.users.push(words);
        Ok(())
    }

    /// `rename-command old new`: `new` empty removes the command.
    fn rename(&mut self, old: &str, new: &str) -> Result<(), String> {
        let renames = &self.config.renamed_commands;
        let removed = renames
            .iter()
            .any(|(from, _)| from.eq_ignore_ascii_case(old));
        let added = renames.iter().any(|(_, to)| to.eq_ignore_ascii_case(old));
        if !added && (removed || !(self.is_command)(old)) {
            return Err("No such command in rename-command".into());
        }
        let taken = |name: &str| {
            renames.iter().any(|(_, to)| to.eq_ignore_ascii_case(name))
                || ((self.is_command)(name)
                    && !renames
                        .iter()
                        .any(|(from, _)| from.eq_ignore_ascii_case(name)))
        };
        if !new.is_empty() && taken(new) && !new.eq_ignore_ascii_case(old) {
            return Err("Target command name already exists".into());
        }
        self.config
            .renamed_commands
            .push((old.to_ascii_lowercase(), new.to_ascii_lowercase()));
        Ok(())
    }

    /// Checks made once every line is read (Redis's, at the end of each file).
    fn finish(&mut self) -> Result<(), String> {
        let logfile = super::read(&self.config.logfile);
        if !logfile.is_empty() {
            // Found now rather than when the first line is logged, as Redis does.
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&logfile)
                .map_err(|e| {
                    format!("Can't open the log file: {}", crate::sys::os_error_text(&e))
                })?;
        }
        Ok(())
    }
}

/// Why a line failed: a reason (the report's last line), or an included file's complete
/// report, which the including file passes on unchanged (Redis stops inside the inner file).
enum Failure {
    Reason(String),
    Included(LoadError),
}

impl From<&str> for Failure {
    fn from(reason: &str) -> Failure {
        Failure::Reason(reason.to_string())
    }
}

impl From<String> for Failure {
    fn from(reason: String) -> Failure {
        Failure::Reason(reason)
    }
}

fn fatal_header() -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\n",
        crate::REDIS_VERSION
    )
}

fn read_config_file(path: &str) -> Result<String, LoadError> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|e| {
            LoadError::Unreadable(format!(
                "Fatal error, can't open config file '{path}': {}",
                crate::sys::os_error_text(&e)
            ))
        })
}

/// The files a glob names, sorted, as C's `glob(3)`: wildcards in any component, `*` and `?`
/// never match a leading `.`.
fn expand_glob(pattern: &str) -> Vec<PathBuf> {
    let absolute = pattern.starts_with('/');
    let mut found = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &found {
            if !component.contains(['*', '?', '[']) {
                next.push(base.join(component));
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.') || component.starts_with('.'))
                .filter(|name| crate::glob::matches(component.as_bytes(), name.as_bytes(), false))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|name| base.join(name)));
        }
        found = next;
    }
    found.retain(|path| path.exists());
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::read;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn no_commands(_: &str) -> bool {
        false
    }

    fn some_commands(name: &str) -> bool {
        ["get", "set", "flushdb"].contains(&name.to_ascii_lowercase().as_str())
    }

    fn options(list: &[&str]) -> String {
        CommandLine::parse(&args(list)).options
    }

    #[test]
    fn options_become_lines_as_redis_makes_them() {
        assert_eq!(options(&["--port", "7000"]), "port \"7000\" ");
        assert_eq!(
            options(&["--port", "6379", "6380"]),
            "port \"6379\" \"6380\" "
        );
        assert_eq!(
            options(&["--port", "--loglevel", "verbose"]),
            "port \"--loglevel\" \"verbose\" "
        );
        assert_eq!(
            options(&["--maxmemory 700mb", "--loglevel", "debug"]),
            "maxmemory 700mb \nloglevel \"debug\" "
        );
        assert_eq!(
            options(&["--save", "--port", "1"]),
            "save \"\"\nport \"1\" "
        );
        assert_eq!(
            options(&["--port", "1", "--save"]),
            "port \"1\" \nsave \"\""
        );
        assert_eq!(
            options(&["--proc-title-template", "--save", "--save", ""]),
            "proc-title-template \"--save\" \nsave \"\" "
        );
        let line = CommandLine::parse(&args(&["redis.conf", "loglevel", "verbose", "-"]));
        assert_eq!(line.file.as_deref(), Some("redis.conf"));
        assert!(line.stdin);
        assert_eq!(line.options, "\"loglevel\" \"verbose\" ");
    }

    #[test]
    fn options_set_parameters() {
        let config = Config::from_args(
            &args(&[
                "--port",
                "7000",
                "--save",
                "--timeout",
                "5",
                "--replicaof",
                "localhost 6379",
            ]),
            &no_commands,
        )
        .unwrap();
        assert_eq!(Config::get(&config.port), 7000);
        assert_eq!(config.timeout(), 5);
        assert!(read(&config.save).is_empty());
        assert_eq!(
            read(&config.replicaof),
            Some(("localhost".to_string(), 6379))
        );
    }

    fn fatal(text: &str) -> String {
        match Config::default().load_text(text, &some_commands) {
            Err(LoadError::Fatal(report)) => report,
            other => panic!("expected a fatal error, got {other:?}"),
        }
    }

    #[test]
    fn errors_are_reported_in_redis_words() {
        assert_eq!(
            fatal("# a comment\n\nport abc\n"),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'port abc'\nargument couldn't be parsed into an integer"
        );
        assert!(
            fatal("  nosuchthing 1  ")
                .ends_with(">>> 'nosuchthing 1'\nBad directive or wrong number of arguments")
        );
        assert!(fatal("port 1 2").ends_with("wrong number of arguments"));
        assert!(fatal("dir \"abc").ends_with("Unbalanced quotes in configuration line"));
        assert!(fatal("rename-command nosuch x").ends_with("No such command in rename-command"));
        assert!(fatal("rename-command get set").ends_with("Target command name already exists"));
        assert!(fatal("loglevel loud").ends_with(
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        ));
        assert!(fatal("user alice %X~k").contains("Error in user declaration 'user'"));
        assert!(
            fatal("sentinel monitor x").ends_with("sentinel directive while not in sentinel mode")
        );
    }

    #[test]
    fn save_lines_add_up_and_the_first_replaces_the_default() {
        let mut config = Config::default();
        config
            .load_text("save 900 1\nsave 300 10\n", &no_commands)
            .unwrap();
        assert_eq!(read(&config.save), vec![(900, 1), (300, 10)]);
        config.load_text("save \"\"\n", &no_commands).unwrap();
        assert!(read(&config.save).is_empty());
        let mut config = Config::default();
        config.load_text("save \"100 100\"", &no_commands).unwrap();
        assert_eq!(read(&config.save), vec![(100, 100)]);
    }

    #[test]
    fn quotes_escapes_and_aliases_are_read_as_redis_reads_them() {
        let mut config = Config::default();
        config
            .load_text(
                "hash-max-ziplist-entries 20\nHASH-MAX-LISTPACK-ENTRIES 21\nproc-title-template \"{title}\\x20x\"\n'loglevel' 'warning'\n",
                &no_commands,
            )
            .unwrap();
        assert_eq!(Config::get(&config.hash_max_listpack_entries), 21);
        let get = |name: &str| params::find(name).unwrap().get(&config);
        assert_eq!(get("proc-title-template"), "{title} x");
        assert_eq!(get("loglevel"), "warning");
    }

    #[test]
    fn renames_are_recorded_and_checked_in_order() {
        let mut config = Config::default();
        config
            .load_text(
                "rename-command flushdb badger\nrename-command badger \"\"\n",
                &some_commands,
            )
            .unwrap();
        assert_eq!(
            config.renamed_commands,
            vec![
                ("flushdb".to_string(), "badger".to_string()),
                ("badger".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn user_lines_are_checked_and_kept_in_order() {
        let mut config = Config::default();
        config
            .load_text(
                "user alice on >a ~*\nuser default on nopass +@all\n",
                &no_commands,
            )
            .unwrap();
        assert_eq!(config.users.len(), 2);
        assert_eq!(config.users[0], args(&["alice", "on", ">a", "~*"]));
        let error = |text: &str| match Config::default().load_text(text, &no_commands) {
            Err(LoadError::Fatal(report)) => report,
            other => panic!("{other:?}"),
        };
        assert!(error("user a on\nuser a off\n").contains("Duplicate user found"));
        assert!(
            error("user a bogus\n").contains("Error in user declaration 'user': Syntax error"),
            "Redis names the word at the rule's index among all the line's words"
        );
        // An unknown command is found when the users are loaded, not while reading.
        assert!(
            Config::default()
                .load_text("user a +nosuch\n", &no_commands)
                .is_ok()
        );
    }
}
