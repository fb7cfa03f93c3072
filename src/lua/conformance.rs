//! The interpreter's conformance table: small Lua programs and what Lua 5.1 answers for them
//! (checked against the C Lua 5.1 that Redis embeds). Each program's results are rendered as
//! `tostring` does, separated by spaces; an error as `error: <its value>`. Programs run on a
//! thread with a connection thread's stack (256 KiB), so the depth limits are tested where they
//! matter.

use std::rc::Rc;

use super::host::{Host, NoHost};
use super::stdlib;
use super::value::HostFunction;
use super::{ErrorKind, Function, Lua, LuaError, Value};

/// A connection thread's stack size (`server.rs`).
const CONNECTION_STACK: usize = 256 * 1024;

/// Runs a chunk named `user_script`, as Redis names scripts.
fn run(source: &str) -> String {
    let mut lua = Lua::new();
    stdlib::open_all(&mut lua);
    let mut host = NoHost;
    let function = match lua.load(source.as_bytes(), "user_script") {
        Ok(function) => Value::Function(function),
        Err(error) => return format!("syntax: {}", error.message()),
    };
    match lua.call(&mut host, &function, Vec::new()) {
        Ok(values) => {
            let texts: Vec<String> = (values.iter())
                .map(|v| match lua.tostring(&mut host, v) {
                    Ok(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                    Err(e) => format!("<{}>", e.message()),
                })
                .collect();
            texts.join(" ")
        }
        Err(error) => format!("error: {}", error.message()),
    }
}

fn run_on_connection_stack(source: &'static str) -> String {
    std::thread::Builder::new()
        .stack_size(CONNECTION_STACK)
        .spawn(move || run(source))
        .expect("spawn")
        .join()
        .expect("the program crashed its thread")
}

/// (program, expected result)
const CASES: &[(&str, &str)] = &[
    // Values and arithmetic.
    (
        "return 1 + 2, 7 / 2, 7 % 3, -7 % 3, 2 ^ 10",
        "3 3.5 1 2 1024",
    ),
    (
        "return 10 .. 20, 1.5 .. '', 1e15, 1e16, -0",
        "1020 1.5 1e+15 1e+16 -0",
    ),
    ("return '10' + 1, '0x10' * 2, ' 3 ' - 1", "11 32 2"),
    ("return 1/0, -1/0, math.huge", "inf -inf inf"),
    ("return 0/0 ~= 0/0", "true"),
    (
        "return tostring(1e100), 2^53, 123456789012345",
        "1e+100 9.007199254741e+15 1.2345678901234e+14",
    ),
    (
        "return 3 == 3.0, '3' == 3, 'a' < 'b', 'Z' < 'a'",
        "true false true true",
    ),
    (
        "return not nil, not 0, nil and 1, false or 'x', 1 and 2",
        "true false nil x 2",
    ),
    ("return #'abc', #{1, 2, 3}, #{}", "3 3 0"),
    // Locals, closures and upvalues.
    (
        "local function counter() local n = 0 return function() n = n + 1 return n end end \
         local a, b = counter(), counter() a() a() return a(), b()",
        "3 1",
    ),
    (
        "local fs = {} for i = 1, 3 do fs[i] = function() return i end end \
         return fs[1](), fs[2](), fs[3]()",
        "1 2 3",
    ),
    (
        "local fs = {} local j = 0 while j < 3 do j = j + 1 local k = j fs[j] = function() return k end end \
         return fs[1](), fs[3]()",
        "1 3",
    ),
    (
        "local x = 1 local function f() local function g() x = x + 1 return x end return g end \
         return f()(), x",
        "2 2",
    ),
    ("local a, b, c = 1 return a, b, c", "1 nil nil"),
    ("local a, b = 1, 2, 3 return a, b", "1 2"),
    ("local a, b = 1, 2 a, b = b, a return a, b", "2 1"),
    (
        "local t = {} local i = 1 i, t[i] = i + 1, 20 return i, t[1], t[2]",
        "2 20 nil",
    ),
    // Varargs and multiple results.
    (
        "local function f(...) return select('#', ...), ... end return f(1, nil, 3)",
        "3 1 nil 3",
    ),
    ("return select(2, 'a', 'b', 'c')", "b c"),
    ("return select(-1, 'a', 'b', 'c')", "c"),
    (
        "return pcall(select, -5, 'a')",
        "false bad argument #1 to 'select' (index out of range)",
    ),
    (
        "local function f() return 1, 2 end return f(), f()",
        "1 1 2",
    ),
    ("local function f() return 1, 2 end return (f())", "1"),
    (
        "local function f() return 1, 2 end local t = {f(), f()} return #t",
        "3",
    ),
    (
        "local function f(...) local a, b = ... return a, b end return f(5)",
        "5 nil",
    ),
    (
        "local function f(...) return {...} end return #f(1, 2, 3, 4)",
        "4",
    ),
    ("return unpack({1, 2, 3})", "1 2 3"),
    ("return unpack({1, 2, 3}, 2)", "2 3"),
    ("return select('#', unpack({}, 1, 3))", "3"),
    // Control flow.
    (
        "local s = 0 for i = 10, 1, -2 do s = s + i end return s",
        "30",
    ),
    (
        "local s = 0 for i = 1, 3, 0.5 do s = s + i end return s",
        "10",
    ),
    ("local n = 0 for i = 1, 0 do n = n + 1 end return n", "0"),
    (
        "for i = 1, 'x' do end",
        "error: user_script:1: 'for' limit must be a number",
    ),
    (
        "for i = nil, 2 do end",
        "error: user_script:1: 'for' initial value must be a number",
    ),
    (
        "local i = 0 repeat local j = i i = i + 1 until j >= 3 return i",
        "4",
    ),
    (
        "local i = 0 while true do i = i + 1 if i == 5 then break end end return i",
        "5",
    ),
    (
        "local t = {} for k, v in pairs({a = 1, b = 2, c = 3}) do t[#t + 1] = k .. v end \
         table.sort(t) return table.concat(t, ',')",
        "a1,b2,c3",
    ),
    (
        "local s = '' for i, v in ipairs({'a', 'b', nil, 'd'}) do s = s .. i .. v end return s",
        "1a2b",
    ),
    (
        "local t = {1, 2, 3, x = 1, y = 2} for k in pairs(t) do t[k] = nil end return next(t)",
        "nil",
    ),
    // Tail calls and recursion.
    (
        "local function loop(n) if n == 0 then return 'done' end return loop(n - 1) end \
         return loop(100000)",
        "done",
    ),
    (
        "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end \
         return fib(10)",
        "55",
    ),
    (
        "local function f() return 1 + f() end local ok, e = pcall(f) return ok, e",
        "false user_script:1: stack overflow",
    ),
    // Metatables.
    (
        "local t = setmetatable({}, {__index = function(t, k) return k .. '!' end}) return t.x, t[1]",
        "x! 1!",
    ),
    (
        "local base = {greet = function(self) return 'hi ' .. self.name end} \
         local obj = setmetatable({name = 'bob'}, {__index = base}) return obj:greet()",
        "hi bob",
    ),
    (
        "local log = {} local t = setmetatable({}, {__newindex = function(t, k, v) rawset(t, k, v * 2) end}) \
         t.a = 5 t.a = 7 return t.a",
        "7",
    ),
    (
        "local V = {} V.__add = function(a, b) return a.v + b.v end V.__eq = function() return true end \
         local a, b = setmetatable({v = 1}, V), setmetatable({v = 2}, V) return a + b, a == b, a ~= b",
        "3 true false",
    ),
    (
        "local mt = {__lt = function(a, b) return a.v < b.v end} \
         local a, b = setmetatable({v = 1}, mt), setmetatable({v = 2}, mt) return a < b, a > b, a <= b",
        "true false true",
    ),
    (
        "local t = setmetatable({}, {__call = function(self, x) return x * 2 end}) return t(21)",
        "42",
    ),
    (
        "local t = setmetatable({}, {__tostring = function() return 'T!' end}) return tostring(t)",
        "T!",
    ),
    (
        "local t = setmetatable({}, {__len = function() return 9 end}) return #t",
        "0",
    ),
    (
        "local t = setmetatable({}, {__concat = function(a, b) return 'cat' end}) return t .. 'x', 1 .. t",
        "cat cat",
    ),
    (
        "local t = setmetatable({}, {__unm = function() return 'neg' end}) return -t",
        "neg",
    ),
    (
        "local t = setmetatable({}, {__metatable = 'locked'}) return getmetatable(t), pcall(setmetatable, t, {})",
        "locked false cannot change a protected metatable",
    ),
    ("return ('x'):rep(3), ('abc'):upper()", "xxx ABC"),
    ("return getmetatable('').__index == string", "true"),
    // Errors and their messages.
    (
        "foo()",
        "error: user_script:1: attempt to call global 'foo' (a nil value)",
    ),
    (
        "local t\nt.x = 1",
        "error: user_script:2: attempt to index local 't' (a nil value)",
    ),
    (
        "local t = {}\nreturn t.x.y",
        "error: user_script:2: attempt to index field 'x' (a nil value)",
    ),
    (
        "local t = {x = {}} return t.x + 1",
        "error: user_script:1: attempt to perform arithmetic on field 'x' (a table value)",
    ),
    (
        "return 1 + nil",
        "error: user_script:1: attempt to perform arithmetic on a nil value",
    ),
    (
        "local s return 'a' .. s",
        "error: user_script:1: attempt to concatenate local 's' (a nil value)",
    ),
    (
        "return 1 < nil",
        "error: user_script:1: attempt to compare number with nil",
    ),
    (
        "return {} < {}",
        "error: user_script:1: attempt to compare two table values",
    ),
    (
        "return #nil",
        "error: user_script:1: attempt to get length of a nil value",
    ),
    (
        "local t = {} t:nomethod()",
        "error: user_script:1: attempt to call method 'nomethod' (a nil value)",
    ),
    (
        "local up local function f() return up.x end return f()",
        "error: user_script:1: attempt to index upvalue 'up' (a nil value)",
    ),
    ("error('boom')", "error: user_script:1: boom"),
    ("error('boom', 0)", "error: boom"),
    (
        "local function f() error('deep', 2) end\nf()",
        "error: user_script:2: deep",
    ),
    ("return pcall(error, {code = 1})", "false table: <addr>"),
    ("return pcall(error)", "false nil"),
    (
        "local ok, e = pcall(error, {code = 42}) return e.code",
        "42",
    ),
    (
        "return pcall(function() local x = nil; return x.y end)",
        "false user_script:1: attempt to index local 'x' (a nil value)",
    ),
    (
        "return xpcall(function() error('x') end, function(m) return 'handled: ' .. m end)",
        "false handled: user_script:1: x",
    ),
    ("return select('#', pcall(function() return 1, 2 end))", "3"),
    ("assert(false)", "error: user_script:1: assertion failed!"),
    ("assert(nil, 'custom')", "error: user_script:1: custom"),
    ("return assert(1, 2)", "1 2"),
    (
        "return pcall(string.rep)",
        "false bad argument #1 to 'rep' (string expected, got no value)",
    ),
    (
        "string.rep()",
        "error: user_script:1: bad argument #1 to 'rep' (string expected, got no value)",
    ),
    (
        "local t = {} t[nil] = 1",
        "error: user_script:1: table index is nil",
    ),
    (
        "return rawequal({}, {}), rawget(setmetatable({}, {__index = function() return 1 end}), 'x')",
        "false nil",
    ),
    // Conversions.
    (
        "return tonumber('0x1F'), tonumber('  12  '), tonumber('1e2'), tonumber('z', 36), tonumber('ff', 16)",
        "31 12 100 35 255",
    ),
    (
        "return tonumber(''), tonumber('12a'), tonumber('8', 8), tonumber(nil)",
        "nil nil nil nil",
    ),
    (
        "return pcall(tonumber, '1', 99)",
        "false bad argument #2 to 'tonumber' (base out of range)",
    ),
    (
        "return type(nil), type(1), type('s'), type({}), type(print), type(type)",
        "nil number string table nil function",
    ),
    (
        "return tostring(nil), tostring(true), tostring(12), tostring('x')",
        "nil true 12 x",
    ),
    (
        "return pcall(type)",
        "false bad argument #1 to 'type' (value expected)",
    ),
    // loadstring.
    ("return loadstring('return 1 + 1')()", "2"),
    (
        "return loadstring('x =')",
        "nil [string \"x =\"]:1: unexpected symbol near '<eof>'",
    ),
    (
        "local f = loadstring('local a, b = ... return b, a') return f(1, 2)",
        "2 1",
    ),
    // The environment.
    (
        "return _VERSION, _G._G == _G, _G.print, _G.loadfile, _G.dofile",
        "Lua 5.1 true nil nil nil",
    ),
    ("x = 5 return _G.x", "5"),
    // One `t.x` node reading many tables (its slot hint is stale for all but one), a field
    // removed, a table compacted after many removals, and an `__index` fallback.
    (
        "local function get(t) return t.x end \
         local a, b = {x = 1, y = 2}, {y = 3, z = 0, x = 4} \
         local r = {get(a), get(b), get(a)} \
         a.x = nil r[4] = tostring(get(a)) \
         for i = 1, 40 do a['k' .. i] = i end for i = 1, 40 do a['k' .. i] = nil end \
         a.x = 6 r[5] = get(a) \
         r[6] = get(setmetatable({}, {__index = {x = 7}})) \
         return unpack(r)",
        "1 4 1 nil 6 7",
    ),
    // Globals read through a hint, after one is replaced, and a nonexistent one.
    (
        "local function f() return y end y = 1 local a = f() y = 2 local b = f() y = nil \
         return a, b, tostring(f())",
        "1 2 nil",
    ),
    // Reused argument and result lists: results of every length, varargs kept by a closure.
    (
        "local function n(...) return ... end \
         local function keep(...) local t = {...} return function() return unpack(t) end end \
         local k = keep(1, 2, 3) local x = {n()} local y = {n(1)} local z = {n(1, 2, 3, 4, 5)} \
         return #x, #y, #z, select('#', n(nil, nil)), k()",
        "0 1 5 2 1 2 3",
    ),
    (
        "return type(collectgarbage('count')), collectgarbage()",
        "number 0",
    ),
];

#[test]
fn the_conformance_table() {
    let mut failures = Vec::new();
    for (source, expected) in CASES {
        let got = run_on_connection_stack(source);
        let got = mask_addresses(&got);
        if got != *expected {
            failures.push(format!(
                "{source}\n   expected: {expected}\n   got:      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A host that stops the script at its first hook, as SCRIPT KILL does.
struct KillingHost;

impl Host for KillingHost {
    fn call(&mut self, _: &mut Lua, id: usize, _: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        Err(LuaError::runtime(format!("host function {id} failed")))
    }

    fn hook(&mut self, _: &mut Lua) -> Result<(), LuaError> {
        Err(LuaError::fatal("killed"))
    }
}

#[test]
fn a_fatal_hook_error_goes_through_pcall() {
    let mut lua = Lua::new();
    stdlib::open_all(&mut lua);
    let source = b"local ok = pcall(function() while true do end end) return 'caught'";
    let function = Value::Function(lua.load(source, "user_script").unwrap());
    let error = lua
        .call(&mut KillingHost, &function, Vec::new())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Fatal);
    assert_eq!(error.message(), "killed");
}

#[test]
fn host_function_errors_get_the_callers_position() {
    let mut lua = Lua::new();
    stdlib::open_all(&mut lua);
    let host_function = Function::Host(Rc::new(HostFunction { name: "h", id: 7 }));
    lua.globals().set_str("h", Value::Function(host_function));
    let function = Value::Function(lua.load(b"\nh()", "user_script").unwrap());
    // The hook would kill the script only after HOOK_INTERVAL steps.
    let error = lua
        .call(&mut KillingHost, &function, Vec::new())
        .unwrap_err();
    assert_eq!(error.message(), "user_script:2: host function 7 failed");
}

#[test]
fn the_collector_frees_cycles_a_script_left_and_keeps_globals() {
    let mut lua = Lua::new();
    stdlib::open_all(&mut lua);
    let source = b"local t = {} t.me = t \
        local function f() return f end \
        kept = {} kept.me = kept \
        return t, f";
    let function = Value::Function(lua.load(source, "user_script").unwrap());
    let results = lua.call(&mut NoHost, &function, Vec::new()).unwrap();
    let (Value::Table(table), Value::Function(Function::Lua(closure))) = (&results[0], &results[1])
    else {
        panic!("unexpected results {results:?}");
    };
    let (table, closure) = (Rc::downgrade(&table.0), Rc::downgrade(closure));
    drop(results);
    assert!(
        table.strong_count() > 0 && closure.strong_count() > 0,
        "cycles keep them"
    );
    lua.collect_garbage(&[]);
    assert_eq!((table.strong_count(), closure.strong_count()), (0, 0));
    let Value::Table(kept) = lua.globals().get_str("kept") else {
        panic!("the global went");
    };
    assert!(kept.get_str("me").raw_eq(&Value::Table(kept.clone())));
}

/// `table: 0x55d0...` → `table: <addr>` (addresses differ from run to run).
fn mask_addresses(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        let digits = rest[at + 2..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .count();
        let is_address = at >= 2 && rest[..at].ends_with(": ") && digits >= 6;
        if is_address {
            out.push_str(&rest[..at]);
            out.push_str("<addr>");
        } else {
            out.push_str(&rest[..at + 2 + digits]);
        }
        rest = &rest[at + 2 + digits..];
    }
    out.push_str(rest);
    out
}
