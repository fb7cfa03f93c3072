//! Lua's values: nil, booleans, numbers (doubles, Lua 5.1's only number type), byte strings,
//! tables and functions, and the error a Lua program raises. Everything else in `lua/` is
//! written against these types: the interpreter, the libraries and Redis's glue.
//!
//! # Memory
//! Strings, tables and functions are reference counted (`Rc`): a value is freed the moment its
//! last reference goes, which keeps a script's memory flat without a collector pass. Reference
//! counting cannot free a cycle (a table that holds itself, a recursive local function holding
//! its own upvalue), so the interpreter also keeps a weak list of every table and upvalue cell
//! it made, and `gc.rs` breaks the cycles nothing can reach any more (see there).
//!
//! A VM is `Rc`-based and therefore belongs to one thread: see `scripting.rs` for why one VM per
//! connection thread is what Redis 7 scripts can observe.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::Lua;
use super::ast::{Proto, SlotHint};
use super::host::Host;
use super::key_hash::KeyHashState;

/// A Lua value. Cloning is cheap: strings, tables and functions are shared, never copied.
#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Number(f64),
    Str(LuaStr),
    Table(TableRef),
    Function(Function),
}

/// What Lua's `type()` answers, and the name error messages use ("attempt to index a nil value").
impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::Str(_) => "string",
            Value::Table(_) => "table",
            Value::Function(_) => "function",
        }
    }

    /// Lua's truth: everything but `nil` and `false` is true (0 and "" too).
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Drops a value, inline when it owns nothing (nil, a boolean, a number): dropping a
    /// `Value` otherwise is an out-of-line call of its drop glue, and the interpreter drops
    /// such values at nearly every step (a condition, a local's old value).
    #[inline(always)]
    pub fn discard(self) {
        match self {
            Value::Nil | Value::Bool(_) | Value::Number(_) => std::mem::forget(self),
            owner => drop(owner),
        }
    }

    /// [`Value::truthy`] of a value no longer needed (see [`Value::discard`]).
    #[inline(always)]
    pub fn into_truthy(self) -> bool {
        let truthy = self.truthy();
        self.discard();
        truthy
    }

    pub fn str(bytes: impl Into<LuaStr>) -> Value {
        Value::Str(bytes.into())
    }

    /// `rawequal`: numbers by value, strings by content, the rest by identity.
    pub fn raw_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Table(a), Value::Table(b)) => a.ptr_eq(b),
            (Value::Function(a), Value::Function(b)) => a.ptr_eq(b),
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "{:?}", String::from_utf8_lossy(s.as_bytes())),
            Value::Table(t) => write!(f, "table: {:p}", Rc::as_ptr(&t.0)),
            Value::Function(func) => write!(f, "function: {:p}", func.addr()),
        }
    }
}

/// An immutable byte string (Lua strings are bytes, not UTF-8).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LuaStr(Rc<[u8]>);

impl fmt::Debug for LuaStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl LuaStr {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// `a .. b`: the bytes copied once, into the string's own allocation (an exact-size
    /// iterator is collected straight into the `Rc`). Joining into a `Vec` first and converting
    /// it allocated twice and copied twice (callgrind: ~300 instructions of each `..`).
    pub fn concat(a: &[u8], b: &[u8]) -> LuaStr {
        LuaStr(a.iter().chain(b).copied().collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A Lua string is its bytes: `&LuaStr` goes wherever `&[u8]` is wanted.
impl std::ops::Deref for LuaStr {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for LuaStr {
    fn from(bytes: &[u8]) -> LuaStr {
        LuaStr(Rc::from(bytes))
    }
}

impl From<Vec<u8>> for LuaStr {
    fn from(bytes: Vec<u8>) -> LuaStr {
        LuaStr(Rc::from(bytes))
    }
}

impl From<&str> for LuaStr {
    fn from(text: &str) -> LuaStr {
        LuaStr(Rc::from(text.as_bytes()))
    }
}

impl From<String> for LuaStr {
    fn from(text: String) -> LuaStr {
        LuaStr::from(text.into_bytes())
    }
}

/// A native function's signature. It gets the VM (to call back into Lua, make tables, raise
/// errors with a position) and the host (passed on to anything it calls), its arguments, and
/// returns its results (Lua functions return any number of values).
pub type NativeFn = fn(&mut Lua, &mut dyn Host, Vec<Value>) -> Result<Vec<Value>, LuaError>;

/// A function value: a Lua closure, a native (Rust) function of a library, or a host function,
/// which the embedder answers (Redis's `redis.call` and friends: see `host.rs`).
#[derive(Clone)]
pub enum Function {
    Lua(Rc<Closure>),
    Native(Rc<Native>),
    Host(Rc<HostFunction>),
}

impl Function {
    pub fn ptr_eq(&self, other: &Function) -> bool {
        self.addr() == other.addr()
    }

    /// The address `tostring` prints and identity compares.
    pub fn addr(&self) -> *const () {
        match self {
            Function::Lua(c) => Rc::as_ptr(c) as *const (),
            Function::Native(n) => Rc::as_ptr(n) as *const (),
            Function::Host(h) => Rc::as_ptr(h) as *const (),
        }
    }
}

/// A Lua function made at run time: its compiled prototype and the variables it captured.
pub struct Closure {
    pub proto: Rc<Proto>,
    pub upvalues: Vec<UpvalueCell>,
}

/// A captured local variable, shared by the closures that captured it and (while it is in
/// scope) the function that declared it.
pub type UpvalueCell = Rc<RefCell<Value>>;

/// A library function written in Rust.
pub struct Native {
    pub name: &'static str,
    pub run: NativeFn,
}

/// A function the embedder answers through [`Host::call`]: `id` is its own numbering.
pub struct HostFunction {
    pub name: &'static str,
    pub id: usize,
}

/// A shared, mutable table.
#[derive(Clone)]
pub struct TableRef(pub Rc<RefCell<Table>>);

impl TableRef {
    pub fn ptr_eq(&self, other: &TableRef) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// `rawget`.
    pub fn get(&self, key: &Value) -> Value {
        self.0.borrow().get(key)
    }

    pub fn get_str(&self, key: &str) -> Value {
        self.get(&Value::str(key))
    }

    /// `t[i]` without metamethods.
    pub fn get_int(&self, index: i64) -> Value {
        self.0.borrow().get_int(index)
    }

    /// `rawset`: refuses a nil or NaN key, and any change to a readonly table, with Lua's (and
    /// Redis's) messages.
    pub fn set(&self, key: Value, value: Value) -> Result<(), LuaError> {
        self.0.borrow_mut().set(key, value)
    }

    /// Sets a field while building a library or a reply, where neither error can happen.
    pub fn set_str(&self, key: &str, value: Value) {
        let _ = self.set(Value::str(key), value);
    }

    /// `#t` without metamethods.
    pub fn len(&self) -> usize {
        self.0.borrow().border()
    }

    /// `#t == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends at `#t + 1` (building arrays).
    pub fn push(&self, value: Value) {
        let n = self.len() as i64;
        let _ = self.set(Value::Number((n + 1) as f64), value);
    }

    pub fn metatable(&self) -> Option<TableRef> {
        self.0.borrow().metatable.clone()
    }
}

/// A table key: a value that can be hashed. Numbers are stored by their bits, with -0 folded
/// into 0 (so `t[-0]` is `t[0]`); tables and functions by identity.
#[derive(Clone)]
pub struct Key(pub Value);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.0.raw_eq(&other.0)
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Value::Nil => 0u8.hash(state),
            Value::Bool(b) => b.hash(state),
            Value::Number(n) => {
                let n = if *n == 0.0 { 0.0 } else { *n };
                n.to_bits().hash(state)
            }
            Value::Str(s) => s.hash(state),
            Value::Table(t) => Rc::as_ptr(&t.0).hash(state),
            Value::Function(f) => f.addr().hash(state),
        }
    }
}

/// A Lua table: an array part for the keys 1..n and an insertion-ordered hash part for the
/// rest. The hash part keeps a removed key's slot (its value set to nil) until the next new key
/// is inserted, so `next` can go on traversing while a loop clears the fields it visits, as Lua
/// allows.
#[derive(Default)]
pub struct Table {
    pub array: Vec<Value>,
    entries: Vec<(Value, Value)>,
    /// Keyed by a fast hash that is still randomised per process (see `key_hash.rs`).
    index: HashMap<Key, usize, KeyHashState>,
    /// Slots of `entries` whose value is nil.
    removed: usize,
    pub metatable: Option<TableRef>,
    /// Redis 7's protected tables (the globals, the libraries): every change is refused.
    pub readonly: bool,
}

impl Table {
    pub fn get(&self, key: &Value) -> Value {
        if let Some(i) = array_index(key) {
            if let Some(v) = self.array.get(i) {
                return v.clone();
            }
        }
        match self.index.get(&Key(normal_key(key))) {
            Some(&slot) => self.entries[slot].1.clone(),
            None => Value::Nil,
        }
    }

    /// `t.name`, raw, trying the slot `hint` remembers first (see [`SlotHint`]). Keys are
    /// unique among the entries (a removed key keeps its slot until a compaction), so a slot
    /// whose key is `name` holds `name`'s value, nil if it was removed.
    pub fn get_str_hinted(&self, name: &LuaStr, hint: &SlotHint) -> Value {
        if let Some((Value::Str(key), value)) = self.entries.get(hint.get()) {
            if key.as_bytes() == name.as_bytes() {
                return value.clone();
            }
        }
        match self.index.get(&Key(Value::Str(name.clone()))) {
            Some(&slot) => {
                hint.set(slot);
                self.entries[slot].1.clone()
            }
            None => Value::Nil,
        }
    }

    pub fn get_int(&self, index: i64) -> Value {
        if index >= 1 && ((index - 1) as usize) < self.array.len() {
            return self.array[(index - 1) as usize].clone();
        }
        self.get(&Value::Number(index as f64))
    }

    pub fn set(&mut self, key: Value, value: Value) -> Result<(), LuaError> {
        if self.readonly {
            return Err(LuaError::runtime("Attempt to modify a readonly table"));
        }
        match &key {
            Value::Nil => return Err(LuaError::runtime("table index is nil")),
            Value::Number(n) if n.is_nan() => {
                return Err(LuaError::runtime("table index is NaN"));
            }
            _ => {}
        }
        if let Some(i) = array_index(&key) {
            if i < self.array.len() {
                self.array[i] = value;
                if i + 1 == self.array.len() {
                    self.trim_array();
                }
                return Ok(());
            }
            if i == self.array.len() && !value.is_nil() {
                self.array.push(value);
                // A table with no hash part (an array being filled) has nothing to move: the
                // two lookups were ~70 of the ~700 instructions of `t[i] = i` (callgrind; with
                // the whole-number test below, an iteration of its loop went from 708 to 568).
                if !self.index.is_empty() {
                    self.remove_entry(&key);
                    self.migrate_to_array();
                }
                return Ok(());
            }
        }
        let key = normal_key(&key);
        let hashed = Key(key.clone());
        match self.index.get(&hashed) {
            Some(&slot) => {
                let was_nil = self.entries[slot].1.is_nil();
                match (was_nil, value.is_nil()) {
                    (false, true) => self.removed += 1,
                    (true, false) => self.removed -= 1,
                    _ => {}
                }
                self.entries[slot].1 = value;
            }
            None if value.is_nil() => {}
            None => {
                // A new key: the one moment Lua may rehash, and so the moment to drop the slots
                // of removed keys (a traversal may not add keys).
                if self.removed > 8 && self.removed * 2 > self.entries.len() {
                    self.compact();
                }
                self.index.insert(hashed, self.entries.len());
                self.entries.push((key, value));
            }
        }
        Ok(())
    }

    /// A border, as Lua's `#`: here the array part's length, whose last element is never nil.
    pub fn border(&self) -> usize {
        self.array.len()
    }

    /// Lua's `next`: the pair after `key` (nil: the first), or `None` at the end. An error if
    /// `key` is not in the table.
    pub fn next(&self, key: &Value) -> Result<Option<(Value, Value)>, LuaError> {
        let mut start_array = 0;
        let mut start_entry = 0;
        if !key.is_nil() {
            match array_index(key) {
                Some(i) if i < self.array.len() => start_array = i + 1,
                _ => match self.index.get(&Key(normal_key(key))) {
                    Some(&slot) => {
                        start_array = self.array.len();
                        start_entry = slot + 1;
                    }
                    // An array key the loop cleared, and the array part shrank past it: the
                    // traversal goes on with the hash part.
                    None if array_index(key).is_some() => start_array = self.array.len(),
                    None => return Err(LuaError::runtime("invalid key to 'next'")),
                },
            }
        }
        for i in start_array..self.array.len() {
            if !self.array[i].is_nil() {
                return Ok(Some((Value::Number((i + 1) as f64), self.array[i].clone())));
            }
        }
        for (k, v) in self.entries.iter().skip(start_entry) {
            if !v.is_nil() {
                return Ok(Some((k.clone(), v.clone())));
            }
        }
        Ok(None)
    }

    /// Every key and value (the array part first), for the collector and for conversions.
    pub fn pairs(&self) -> impl Iterator<Item = (Value, &Value)> {
        let array = (self.array.iter().enumerate())
            .filter(|(_, v)| !v.is_nil())
            .map(|(i, v)| (Value::Number((i + 1) as f64), v));
        let hash = (self.entries.iter())
            .filter(|(_, v)| !v.is_nil())
            .map(|(k, v)| (k.clone(), v));
        array.chain(hash)
    }

    /// Empties the table, breaking whatever cycle it was part of (the collector's last step).
    pub fn clear(&mut self) {
        self.array.clear();
        self.entries.clear();
        self.index.clear();
        self.removed = 0;
        self.metatable = None;
    }

    fn trim_array(&mut self) {
        while self.array.last().is_some_and(Value::is_nil) {
            self.array.pop();
        }
    }

    fn remove_entry(&mut self, key: &Value) {
        if let Some(slot) = self.index.get(&Key(normal_key(key))) {
            if !self.entries[*slot].1.is_nil() {
                self.entries[*slot].1 = Value::Nil;
                self.removed += 1;
            }
        }
    }

    /// After the array part grew by one: the keys that now follow it move from the hash part.
    fn migrate_to_array(&mut self) {
        loop {
            let next = Value::Number((self.array.len() + 1) as f64);
            let Some(&slot) = self.index.get(&Key(next.clone())) else {
                return;
            };
            let value = std::mem::take(&mut self.entries[slot].1);
            if value.is_nil() {
                return;
            }
            self.removed += 1;
            self.array.push(value);
        }
    }

    fn compact(&mut self) {
        self.entries.retain(|(_, v)| !v.is_nil());
        self.index.clear();
        for (slot, (k, _)) in self.entries.iter().enumerate() {
            self.index.insert(Key(k.clone()), slot);
        }
        self.removed = 0;
    }
}

/// The array slot of a key that is a positive integer, if it is one.
fn array_index(key: &Value) -> Option<usize> {
    match key {
        // Converting to an integer and back is exact only for a whole number (a NaN or a
        // negative number converts to 0): `fract` was a call into libm on every array access.
        Value::Number(n) => {
            let whole = *n as u64;
            ((1..=1u64 << 53).contains(&whole) && whole as f64 == *n).then(|| whole as usize - 1)
        }
        _ => None,
    }
}

/// -0 and 0 are one key.
fn normal_key(key: &Value) -> Value {
    match key {
        Value::Number(n) if *n == 0.0 => Value::Number(0.0),
        other => other.clone(),
    }
}

/// An error raised in Lua (`error(...)`, a failed operation) or by the host.
///
/// Boxed: every interpreter step returns a `Result<_, LuaError>`, and with the details inline
/// (48 bytes) `Result<Value, LuaError>` was returned through memory and copied at each `?`;
/// boxed, it is two registers, which took ~15% off the instructions of a simple loop
/// (callgrind). Errors are rare, so the allocation is paid where it does not matter. The
/// fields are reached through `Deref` (`error.kind`, `error.value`).
#[derive(Clone, Debug)]
pub struct LuaError(Box<ErrorDetails>);

/// What a [`LuaError`] carries.
#[derive(Clone, Debug)]
pub struct ErrorDetails {
    /// The error value: usually a string ("user_script:1: attempt to ..."), any value for
    /// `error({...})`; Redis's `redis.error_reply` and `redis.pcall` use tables with `err`.
    pub value: Value,
    pub kind: ErrorKind,
    /// A stack traceback, when the interpreter adds one (for the log, never to clients).
    pub traceback: Option<String>,
    /// Whether the position of the Lua line running when it was raised (`user_script:3: `)
    /// still has to be put in front of the message: true for errors made by [`LuaError::runtime`]
    /// (as `luaL_error` and the VM's own errors do), false for `error(v, 0)` and error values.
    /// The interpreter adds it where the error leaves a native function or an operation.
    pub needs_position: bool,
}

impl std::ops::Deref for LuaError {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for LuaError {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// An ordinary error: `pcall` catches it.
    Runtime,
    /// A compile error of `loadstring` or of a script.
    Syntax,
    /// Stops the script whatever it does: SCRIPT KILL, a limit the host enforces. `pcall`
    /// does not catch it.
    Fatal,
}

impl LuaError {
    /// A runtime error with a message and no position. The interpreter prefixes the position of
    /// the running Lua line (`user_script:3: `) to errors raised by natives, as `luaL_error`.
    pub fn runtime(message: impl Into<LuaStr>) -> LuaError {
        LuaError(Box::new(ErrorDetails {
            value: Value::Str(message.into()),
            kind: ErrorKind::Runtime,
            traceback: None,
            needs_position: true,
        }))
    }

    /// An error carrying any value (`error(t)`), left exactly as given.
    pub fn with_value(value: Value) -> LuaError {
        LuaError(Box::new(ErrorDetails {
            value,
            kind: ErrorKind::Runtime,
            traceback: None,
            needs_position: false,
        }))
    }

    /// A compile error (the parser's): its message already carries the position.
    pub fn syntax(message: impl Into<LuaStr>) -> LuaError {
        LuaError(Box::new(ErrorDetails {
            value: Value::Str(message.into()),
            kind: ErrorKind::Syntax,
            traceback: None,
            needs_position: false,
        }))
    }

    pub fn fatal(message: impl Into<LuaStr>) -> LuaError {
        LuaError(Box::new(ErrorDetails {
            value: Value::Str(message.into()),
            kind: ErrorKind::Fatal,
            traceback: None,
            needs_position: false,
        }))
    }

    /// The error value, given up.
    pub fn into_value(self) -> Value {
        self.0.value
    }

    /// The message, for errors that are strings (lossy for the others).
    pub fn message(&self) -> String {
        match &self.value {
            Value::Str(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
            other => format!("{other:?}"),
        }
    }
}
