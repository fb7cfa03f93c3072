//! The server-wide script cache: every EVAL'd or `SCRIPT LOAD`ed script's body by its SHA-1
//! (Redis's `lctx.lua_scripts`). `SCRIPT EXISTS`, `EVALSHA` and `SCRIPT FLUSH` act on it.
//!
//! Each connection thread compiles the scripts it runs in its own VM (`vm.rs`) and keeps them by
//! SHA; a flush bumps [`ScriptCache::generation`], and a thread whose compiled scripts are
//! older throws its VM away, as Redis's `SCRIPT FLUSH` resets the one Lua state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::flags::ScriptFlags;

/// A cached script: its body as sent, and the flags its shebang declares.
#[derive(Clone)]
pub struct CachedScript {
    pub body: Arc<[u8]>,
    pub flags: ScriptFlags,
}

#[derive(Default)]
pub struct ScriptCache {
    scripts: Mutex<HashMap<String, CachedScript>>,
    generation: AtomicU64,
}

impl ScriptCache {
    /// Adds a script under its SHA (a script already there stays as it is).
    pub fn insert(&self, sha: &str, script: CachedScript) {
        self.scripts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(sha.to_owned())
            .or_insert(script);
    }

    /// The script with this SHA (lowercase hex), if cached.
    pub fn get(&self, sha: &str) -> Option<CachedScript> {
        let scripts = self.scripts.lock().unwrap_or_else(PoisonError::into_inner);
        scripts.get(sha).cloned()
    }

    pub fn contains(&self, sha: &str) -> bool {
        let scripts = self.scripts.lock().unwrap_or_else(PoisonError::into_inner);
        scripts.contains_key(sha)
    }

    /// `SCRIPT FLUSH`: forgets every script; the threads' VMs are rebuilt on their next use.
    pub fn flush(&self) {
        let mut scripts = self.scripts.lock().unwrap_or_else(PoisonError::into_inner);
        scripts.clear();
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// How many flushes there have been: a thread's compiled scripts are valid for one value.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// `number_of_cached_scripts` in INFO.
    pub fn len(&self) -> usize {
        let scripts = self.scripts.lock().unwrap_or_else(PoisonError::into_inner);
        scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the cached scripts take (`used_memory_scripts_eval`): SHAs and bodies, as
    /// Redis's `lua_scripts_mem` counts them.
    pub fn memory(&self) -> usize {
        let scripts = self.scripts.lock().unwrap_or_else(PoisonError::into_inner);
        scripts
            .iter()
            .map(|(sha, script)| sha.len() + script.body.len())
            .sum()
    }
}
