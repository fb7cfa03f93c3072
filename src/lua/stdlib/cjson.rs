//! The `cjson` library: Redis's bundled lua-cjson 2.1.0 (`deps/lua/src/lua_cjson.c`).
//! `cjson.encode(v)` and `cjson.decode(s)` (in [`encode`] and [`decode`]), the configuration
//! functions (`encode_max_depth`, `decode_max_depth`, `encode_sparse_array`,
//! `encode_invalid_numbers`, `decode_invalid_numbers`, `encode_number_precision`,
//! `encode_keep_buffer`: [`settings`]), `cjson.new()`, and `cjson.null`.
//!
//! # `cjson.null`
//! In C it is a light userdata holding NULL, a value no Lua table can hold by accident. Our
//! values have no userdata, so here it is one empty, readonly table per VM, recognised by
//! identity: `cjson.decode("null") == cjson.null`, and `cjson.encode` (and `cmsgpack.pack`)
//! write it as null. `type(cjson.null)` says "table" where Redis says "userdata". The embedder
//! asks [`is_null`] when it turns a script's result into a reply.
//!
//! # Where the configuration lives
//! lua-cjson keeps its configuration in a userdata bound to each function as an upvalue, so it
//! lasts as long as the VM (a script's `cjson.encode_max_depth(5)` holds for the next script
//! too). Our natives are plain `fn`s without upvalues, so the [`Library`] state is kept per VM,
//! in a thread-local list keyed by the VM's globals table (a VM belongs to one thread): see
//! [`library`]. `cjson.new()` answers a fresh module table sharing that state (in C each
//! `new()` has its own configuration; Redis scripts do not call it).

mod decode;
mod encode;
mod fpconv;
mod settings;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::args::{arg_error, check_string};
use crate::lua::Lua;
use crate::lua::host::Host;
use crate::lua::value::{LuaError, Table, TableRef, Value};
use settings::Settings;

/// LUAI_MAXCSTACK: how many Lua stack slots a C function may use, its arguments included.
/// lua-cjson's depth checks also fail when `lua_checkstack` does, and lua-cmsgpack's decoder
/// has no other bound, so modelling the slots C would hold is what makes nesting fail where
/// Redis's does (7998 nested arrays or 4000 nested objects when encoding).
pub const MAX_C_STACK: usize = 8000;

/// What one VM's `cjson` functions share: the configuration and the `cjson.null` value.
struct Library {
    settings: RefCell<Settings>,
    null: TableRef,
}

/// A VM, by a weak reference to its globals table, and its cjson state.
type VmLibrary = (Weak<RefCell<Table>>, Rc<Library>);

thread_local! {
    /// The cjson state of each VM on this thread.
    static LIBRARIES: RefCell<Vec<VmLibrary>> = const { RefCell::new(Vec::new()) };
}

/// This VM's cjson state, made the first time it is asked for. VMs that are gone are dropped
/// from the list on the way.
fn library(lua: &mut Lua) -> Rc<Library> {
    let globals = lua.globals();
    let found = LIBRARIES.with_borrow_mut(|libraries| {
        libraries.retain(|(vm, _)| vm.strong_count() > 0);
        let mine = libraries
            .iter()
            .find(|(vm, _)| vm.as_ptr() == Rc::as_ptr(&globals.0));
        mine.map(|(_, library)| library.clone())
    });
    if let Some(library) = found {
        return library;
    }
    let null = lua.new_table();
    null.0.borrow_mut().readonly = true;
    let library = Rc::new(Library {
        settings: RefCell::default(),
        null,
    });
    LIBRARIES.with_borrow_mut(|libraries| {
        libraries.push((Rc::downgrade(&globals.0), library.clone()));
    });
    library
}

/// This VM's `cjson.null`.
pub fn null(lua: &mut Lua) -> TableRef {
    library(lua).null.clone()
}

/// Whether `value` is this VM's `cjson.null`.
pub fn is_null(lua: &mut Lua, value: &Value) -> bool {
    match value {
        Value::Table(t) => t.ptr_eq(&library(lua).null),
        _ => false,
    }
}

/// Installs the global `cjson`.
pub fn open(lua: &mut Lua) {
    let module = module(lua);
    lua.globals().set_str("cjson", Value::Table(module));
}

/// `lua_cjson_new`: the module table.
fn module(lua: &mut Lua) -> TableRef {
    let module = lua.new_table();
    lua.register(&module, "encode", encode_native);
    lua.register(&module, "decode", decode_native);
    lua.register(&module, "encode_sparse_array", encode_sparse_array);
    lua.register(&module, "encode_max_depth", encode_max_depth);
    lua.register(&module, "decode_max_depth", decode_max_depth);
    lua.register(&module, "encode_number_precision", encode_number_precision);
    lua.register(&module, "encode_keep_buffer", encode_keep_buffer);
    lua.register(&module, "encode_invalid_numbers", encode_invalid_numbers);
    lua.register(&module, "decode_invalid_numbers", decode_invalid_numbers);
    lua.register(&module, "new", new);
    let null = null(lua);
    module.set_str("null", Value::Table(null));
    module.set_str("_NAME", Value::str("cjson"));
    module.set_str("_VERSION", Value::str("2.1.0"));
    module
}

/// `cjson.new()`.
fn new(lua: &mut Lua, _: &mut dyn Host, _: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Table(module(lua))])
}

/// `json_encode` and `json_decode` take exactly one argument.
fn only_argument(args: &[Value], function: &str) -> Result<(), LuaError> {
    if args.len() != 1 {
        return Err(arg_error(1, function, "expected 1 argument"));
    }
    Ok(())
}

/// `cjson.encode(value)`.
fn encode_native(
    lua: &mut Lua,
    _: &mut dyn Host,
    args: Vec<Value>,
) -> Result<Vec<Value>, LuaError> {
    only_argument(&args, "encode")?;
    let library = library(lua);
    let json = encode::encode(&args[0], &library.settings.borrow(), &library.null)?;
    Ok(vec![Value::str(json)])
}

/// `cjson.decode(text)`.
fn decode_native(
    lua: &mut Lua,
    _: &mut dyn Host,
    args: Vec<Value>,
) -> Result<Vec<Value>, LuaError> {
    only_argument(&args, "decode")?;
    let text = check_string(&args, 1, "decode")?;
    let library = library(lua);
    let settings = library.settings.borrow().clone();
    Ok(vec![decode::decode(
        lua,
        text.as_bytes(),
        &settings,
        &library.null,
    )?])
}

/// Defines a configuration native that hands its arguments to a [`Settings`] method.
macro_rules! setting_native {
    ($name:ident) => {
        #[doc = concat!("`cjson.", stringify!($name), "(...)`.")]
        fn $name(
            lua: &mut Lua,
            _: &mut dyn Host,
            args: Vec<Value>,
        ) -> Result<Vec<Value>, LuaError> {
            library(lua).settings.borrow_mut().$name(&args)
        }
    };
}

setting_native!(encode_sparse_array);
setting_native!(encode_max_depth);
setting_native!(decode_max_depth);
setting_native!(encode_number_precision);
setting_native!(encode_keep_buffer);
setting_native!(encode_invalid_numbers);
setting_native!(decode_invalid_numbers);

#[cfg(test)]
mod tests;
