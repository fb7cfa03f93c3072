//! The server's libraries, the source of truth every connection thread instantiates its VM
//! from: library name → library, function name → its library (both without case, as Redis's
//! dictionaries compare them), and a generation every change bumps, which tells a thread its
//! VM is stale (see `functions::vm`). Changes happen on the write path (FUNCTION LOAD, DELETE,
//! FLUSH, RESTORE are write commands) or while a file loads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::library::{ENGINE, FunctionInfo, Library, parse_metadata};
use super::loading::Environment;
use crate::lua::{Lua, Value};

/// What RESTORE does with the libraries already there (`FUNCTION RESTORE ... [FLUSH|APPEND|
/// REPLACE]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Add them; a library of the same name fails the whole restore.
    Append,
    /// Add them; one of the same name is replaced.
    Replace,
    /// Remove every library first.
    Flush,
}

/// The libraries, as one consistent set.
#[derive(Clone, Default)]
pub struct Libraries {
    /// By lowercased name.
    libraries: HashMap<String, Arc<Library>>,
    /// Lowercased function name → lowercased library name.
    functions: HashMap<String, String>,
}

impl Libraries {
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Library>> {
        self.libraries.values()
    }

    pub fn library_count(&self) -> usize {
        self.libraries.len()
    }

    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    /// A function by name, with its library.
    pub fn function(&self, name: &[u8]) -> Option<(&Arc<Library>, &FunctionInfo)> {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let library = self.libraries.get(self.functions.get(&name)?)?;
        let info = (library.functions.iter()).find(|f| f.name.eq_ignore_ascii_case(&name))?;
        Some((library, info))
    }

    fn contains(&self, name: &str) -> bool {
        self.libraries.contains_key(&name.to_ascii_lowercase())
    }

    fn remove(&mut self, name: &str) -> Option<Arc<Library>> {
        let library = self.libraries.remove(&name.to_ascii_lowercase())?;
        for function in &library.functions {
            self.functions.remove(&function.name.to_ascii_lowercase());
        }
        Some(library)
    }

    /// Adds `library`, unless one of its functions belongs to another library
    /// (`Function x already exists`). A library of the same name must have been removed.
    fn add(&mut self, library: Arc<Library>) -> Result<(), String> {
        if let Some(taken) = (library.functions.iter())
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()))
        {
            return Err(format!("Function {} already exists", taken.name));
        }
        let key = library.name.to_ascii_lowercase();
        for function in &library.functions {
            self.functions
                .insert(function.name.to_ascii_lowercase(), key.clone());
        }
        self.libraries.insert(key, library);
        Ok(())
    }

    /// Adds every library of `other` (Redis's `libraryJoin`): all or nothing.
    fn join(&mut self, other: Libraries, replace: bool) -> Result<(), String> {
        let mut joined = self.clone();
        for library in other.libraries.into_values() {
            if joined.contains(&library.name) {
                if !replace {
                    return Err(format!("Library {} already exists", library.name));
                }
                joined.remove(&library.name);
            }
            joined.add(library)?;
        }
        *self = joined;
        Ok(())
    }
}

/// The server-wide registry.
#[derive(Default)]
pub struct Registry {
    libraries: Mutex<Libraries>,
    generation: AtomicU64,
}

impl Registry {
    /// The libraries as they are now. Held briefly: FCALL reads its function here, then runs
    /// it without the lock.
    pub fn lock(&self) -> MutexGuard<'_, Libraries> {
        self.libraries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bumped by every change, while the change holds the lock: read under [`Registry::lock`],
    /// it is the generation of the libraries seen.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// `FUNCTION LOAD [REPLACE] code`: runs the library's code (for at most `time_limit`) to
    /// learn its functions, and adds it. Returns its name, or Redis's error text (without
    /// `ERR `).
    ///
    /// Changes come one at a time (the write path is exclusive), so the lock is not held while
    /// the code runs, which may take up to the load's time limit.
    pub fn load(
        &self,
        code: &[u8],
        replace: bool,
        time_limit: Option<Duration>,
    ) -> Result<String, String> {
        let name = parse_metadata(code)?.name;
        if !replace && self.lock().contains(&name) {
            return Err(format!("Library '{name}' already exists"));
        }
        let library = Arc::new(compile(code, time_limit)?);
        let mut libraries = self.lock();
        let mut changed = libraries.clone();
        changed.remove(&name);
        changed.add(library)?;
        *libraries = changed;
        self.changed();
        Ok(name)
    }

    /// `FUNCTION DELETE name`: whether there was such a library.
    pub fn delete(&self, name: &[u8]) -> bool {
        let mut libraries = self.lock();
        let removed = libraries.remove(&String::from_utf8_lossy(name)).is_some();
        if removed {
            self.changed();
        }
        removed
    }

    /// `FUNCTION FLUSH`, and a load that replaces everything.
    pub fn flush(&self) {
        let mut libraries = self.lock();
        *libraries = Libraries::default();
        self.changed();
    }

    /// Adds the libraries of a payload or a file, each the code of one library: all of them or,
    /// on the first error, none. Their code runs with no time limit, as Redis's
    /// `rdbFunctionLoad` runs it.
    pub fn restore(&self, codes: &[Vec<u8>], policy: RestorePolicy) -> Result<(), String> {
        let mut restored = Libraries::default();
        for code in codes {
            let library = compile(code, None)?;
            if restored.contains(&library.name) {
                return Err(format!("Library {} already exists", library.name));
            }
            restored.add(Arc::new(library))?;
        }
        let mut libraries = self.lock();
        match policy {
            RestorePolicy::Flush => *libraries = restored,
            RestorePolicy::Append => libraries.join(restored, false)?,
            RestorePolicy::Replace => libraries.join(restored, true)?,
        }
        self.changed();
        Ok(())
    }

    /// How many libraries and functions there are (FUNCTION STATS, INFO).
    pub fn counts(&self) -> (usize, usize) {
        let libraries = self.lock();
        (libraries.library_count(), libraries.function_count())
    }

    /// The bytes the libraries' code and names take (INFO's `used_memory_functions`).
    pub fn memory(&self) -> usize {
        let libraries = self.lock();
        (libraries.iter())
            .map(|library| {
                let names: usize = library.functions.iter().map(|f| f.name.len()).sum();
                library.code.len() + library.name.len() + names
            })
            .sum()
    }

    /// The code of every library, for DUMP and the RDB file.
    pub fn codes(&self) -> Vec<Vec<u8>> {
        self.lock()
            .iter()
            .map(|library| library.code.clone())
            .collect()
    }
}

/// Runs a library's code in a VM of its own to check it and learn its functions (the thread
/// that runs them later runs the code again in its own VM: a VM cannot leave its thread).
pub fn compile(code: &[u8], time_limit: Option<Duration>) -> Result<Library, String> {
    let metadata = parse_metadata(code)?;
    debug_assert!(metadata.engine.eq_ignore_ascii_case(ENGINE));
    let mut lua = Lua::new();
    let environment = Environment::install(&mut lua, Value::Nil);
    let registered = environment.run_library(&mut lua, metadata.body, time_limit)?;
    Ok(Library {
        name: metadata.name,
        code: code.to_vec(),
        functions: registered.into_iter().map(|r| r.info).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripting::flags::ScriptFlags;
    use crate::scripting::functions::loading::LOAD_TIMEOUT;

    fn library(name: &str, functions: &[&str]) -> Arc<Library> {
        Arc::new(Library {
            name: name.into(),
            code: format!("#!lua name={name}\n").into_bytes(),
            functions: (functions.iter())
                .map(|f| FunctionInfo {
                    name: f.to_string(),
                    description: None,
                    flags: ScriptFlags::NONE,
                })
                .collect(),
        })
    }

    #[test]
    fn functions_are_found_without_case() {
        let mut libraries = Libraries::default();
        libraries.add(library("Lib", &["Hello"])).unwrap();
        let (found, info) = libraries.function(b"HELLO").unwrap();
        assert_eq!((found.name.as_str(), info.name.as_str()), ("Lib", "Hello"));
        assert!(libraries.contains("LIB"));
    }

    #[test]
    fn a_function_of_another_library_is_a_collision() {
        let mut libraries = Libraries::default();
        libraries.add(library("a", &["f1"])).unwrap();
        assert_eq!(
            libraries.add(library("b", &["F1"])).unwrap_err(),
            "Function F1 already exists"
        );
        assert_eq!(libraries.library_count(), 1);
    }

    #[test]
    fn a_join_is_all_or_nothing() {
        let mut libraries = Libraries::default();
        libraries.add(library("a", &["f1"])).unwrap();
        let mut incoming = Libraries::default();
        incoming.add(library("b", &["f2"])).unwrap();
        incoming.add(library("a", &["f3"])).unwrap();
        let refused = libraries.clone().join(incoming.clone(), false);
        assert_eq!(refused.unwrap_err(), "Library a already exists");
        libraries.join(incoming, true).unwrap();
        assert_eq!(libraries.function_count(), 2);
        assert!(libraries.function(b"f1").is_none());
        assert!(libraries.function(b"f3").is_some());
    }

    #[test]
    fn compiling_runs_the_code_to_learn_the_functions() {
        let code = b"#!lua name=lib\nlocal function one() return 1 end\nredis.register_function('f1', one)\nredis.register_function{function_name='f2', callback=one, flags={'no-writes'}}";
        let library = compile(code, None).unwrap();
        assert_eq!(library.name, "lib");
        let names: Vec<&str> = library.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["f1", "f2"]);
        assert!(library.functions[1].flags.contains(ScriptFlags::NO_WRITES));
        assert_eq!(
            compile(b"#!lua name=lib\nreturn math.random()", None).unwrap_err(),
            "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'"
        );
        assert_eq!(
            compile(
                b"#!lua name=lib\nlocal a = 1 while true do a = a + 1 end",
                Some(LOAD_TIMEOUT)
            )
            .unwrap_err(),
            "Error registering functions: ERR FUNCTION LOAD timeout"
        );
    }

    #[test]
    fn removing_a_library_removes_its_functions() {
        let mut libraries = Libraries::default();
        libraries.add(library("a", &["f1", "f2"])).unwrap();
        assert!(libraries.remove("A").is_some());
        assert_eq!(libraries.function_count(), 0);
    }
}
