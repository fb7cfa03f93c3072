//! Each connection thread's functions VM: the sandbox scripts run in (`scripting::vm`), its
//! globals turned into the two views of [`Environment`], and the libraries instantiated in it
//! (their code run again, their callbacks kept) the first time one of their functions is
//! called. A VM is Rc-based and cannot leave its thread; the registry is the truth, and a VM
//! built at an older generation of it is thrown away and rebuilt, so a thread never runs a
//! function another client deleted or replaced. Functions cannot keep state between calls (the
//! globals are read-only), so which thread's VM runs a function is invisible to clients.

use std::cell::RefCell;
use std::collections::HashMap;

use super::library::{Library, parse_metadata};
use super::loading::Environment;
use crate::lua::{Lua, Value};
use crate::scripting::vm;

/// One thread's VM and what it instantiated.
struct FunctionsVm {
    lua: Lua,
    environment: Environment,
    /// The registry's generation the VM was built at.
    generation: u64,
    /// Lowercased library name → its callbacks by lowercased function name.
    libraries: HashMap<String, HashMap<String, Value>>,
}

thread_local! {
    static VM: RefCell<Option<FunctionsVm>> = const { RefCell::new(None) };
}

impl FunctionsVm {
    fn new(generation: u64) -> FunctionsVm {
        let mut lua = vm::sandboxed();
        let run_time = move_globals(&mut lua);
        let environment = Environment::install(&mut lua, Value::Table(run_time));
        FunctionsVm {
            lua,
            environment,
            generation,
            libraries: HashMap::new(),
        }
    }

    /// The callback of `function` in `library`, running the library's code first if this VM
    /// has not yet.
    fn callback(&mut self, library: &Library, function: &str) -> Result<Value, String> {
        let key = library.name.to_ascii_lowercase();
        if !self.libraries.contains_key(&key) {
            let body = parse_metadata(&library.code)?.body;
            // It ran within the limit when it was loaded (or was loaded from a file or a
            // payload, which have none).
            let registered = self.environment.run_library(&mut self.lua, body, None)?;
            let callbacks = (registered.into_iter())
                .map(|r| (r.info.name.to_ascii_lowercase(), r.callback))
                .collect();
            self.libraries.insert(key.clone(), callbacks);
        }
        self.libraries[&key]
            .get(&function.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| "Function not found".into())
    }
}

/// Moves everything the sandbox put in `lua`'s globals (and their protection) into a table of
/// their own, which becomes the run-time view: the globals table itself is left empty.
fn move_globals(lua: &mut Lua) -> crate::lua::TableRef {
    let run_time = lua.new_table();
    let globals = lua.globals();
    let mut globals = globals.0.borrow_mut();
    let mut moved = run_time.0.borrow_mut();
    for (key, value) in globals.pairs() {
        let stored = moved.set(key, value.clone());
        debug_assert!(stored.is_ok(), "the keys of a table are valid keys");
    }
    moved.metatable = globals.metatable.take();
    moved.readonly = true;
    globals.readonly = false;
    globals.clear();
    drop(moved);
    run_time
}

/// Runs `run` with this thread's functions VM and the callback of `function` of `library`,
/// the VM rebuilt first if the registry changed since (`generation` is the registry's, read
/// with `library`).
pub fn with_callback<R>(
    library: &Library,
    function: &str,
    generation: u64,
    run: impl FnOnce(&mut Lua, Value) -> R,
) -> Result<R, String> {
    VM.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|vm| vm.generation != generation) {
            *cell = Some(FunctionsVm::new(generation));
        }
        let vm = cell.as_mut().expect("built above");
        let callback = vm.callback(library, function)?;
        let result = run(&mut vm.lua, callback);
        // The callbacks and the load-time tables are not reachable from the globals: roots.
        let mut roots = vm.environment.tables();
        roots.extend(
            vm.libraries
                .values()
                .flat_map(|callbacks| callbacks.values().cloned()),
        );
        vm.lua.collect_garbage(&roots);
        Ok(result)
    })
}
