//! cjson's natives called directly, with the answers redis-server 7.0.15 gives.

use super::*;
use crate::lua::NoHost;
use crate::lua::stdlib::testing::mutations;
use crate::lua::value::NativeFn;

fn call(lua: &mut Lua, function: NativeFn, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    function(lua, &mut NoHost, args)
}

fn encoded(lua: &mut Lua, value: Value) -> String {
    match call(lua, encode_native, vec![value]) {
        Ok(results) => match &results[..] {
            [Value::Str(s)] => String::from_utf8_lossy(s.as_bytes()).into_owned(),
            other => panic!("encode answered {other:?}"),
        },
        Err(err) => format!("ERR {}", err.message()),
    }
}

fn decoded(lua: &mut Lua, json: &str) -> Result<Value, String> {
    match call(lua, decode_native, vec![Value::str(json)]) {
        Ok(mut results) => Ok(results.remove(0)),
        Err(err) => Err(err.message()),
    }
}

fn array(lua: &mut Lua, items: Vec<Value>) -> Value {
    let table = lua.new_table();
    for item in items {
        table.push(item);
    }
    Value::Table(table)
}

fn object(lua: &mut Lua, pairs: Vec<(Value, Value)>) -> Value {
    let table = lua.new_table();
    for (key, value) in pairs {
        table.set(key, value).unwrap();
    }
    Value::Table(table)
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

#[test]
fn encodes_as_lua_cjson() {
    let mut lua = Lua::new();
    let inner = object(&mut lua, vec![(Value::str("a"), n(1.0))]);
    let nested = array(&mut lua, vec![n(1.0), n(2.0), inner]);
    assert_eq!(encoded(&mut lua, nested), "[1,2,{\"a\":1}]");
    let holes = object(&mut lua, vec![(n(1.0), n(1.0)), (n(3.0), n(3.0))]);
    assert_eq!(encoded(&mut lua, holes), "[1,null,3]");
    let sparse = object(&mut lua, vec![(n(20.0), n(1.0)), (n(19.0), n(2.0))]);
    assert_eq!(
        encoded(&mut lua, sparse),
        "ERR Cannot serialise table: excessively sparse array"
    );
    let text = Value::str(&b"a/b\"\\\x7f\x01\xc8\n"[..]);
    assert_eq!(
        encoded(&mut lua, text),
        "\"a\\/b\\\"\\\\\\u007f\\u0001\u{fffd}\\n\""
    );
    assert_eq!(encoded(&mut lua, n(0.1)), "0.1");
    assert_eq!(encoded(&mut lua, n(1e300)), "1e+300");
    assert_eq!(encoded(&mut lua, n(-0.0)), "-0");
    assert_eq!(encoded(&mut lua, n(2f64.powi(53))), "9.007199254741e+15");
    let empty = object(&mut lua, vec![]);
    assert_eq!(encoded(&mut lua, empty), "{}");
    open(&mut lua);
    let Value::Table(module) = lua.globals().get_str("cjson") else {
        panic!("cjson not installed")
    };
    assert_eq!(encoded(&mut lua, module.get_str("null")), "null");
    let keys = object(&mut lua, vec![(n(1.5), n(1.0))]);
    assert_eq!(encoded(&mut lua, keys), "{\"1.5\":1}");
    let zero = object(&mut lua, vec![(n(0.0), n(1.0))]);
    assert_eq!(encoded(&mut lua, zero), "{\"0\":1}");
    let bad_key = object(&mut lua, vec![(Value::Bool(false), Value::str("false"))]);
    assert_eq!(
        encoded(&mut lua, bad_key),
        "ERR Cannot serialise boolean: table key must be a number or string"
    );
    assert_eq!(
        encoded(&mut lua, n(f64::INFINITY)),
        "ERR Cannot serialise number: must not be NaN or Inf"
    );
    let function = module.get_str("encode");
    assert_eq!(
        encoded(&mut lua, function),
        "ERR Cannot serialise function: type not supported"
    );
}

#[test]
fn encode_argument_count_and_invalid_numbers() {
    let mut lua = Lua::new();
    let err = call(&mut lua, encode_native, vec![]).unwrap_err();
    assert_eq!(
        err.message(),
        "bad argument #1 to 'encode' (expected 1 argument)"
    );
    call(&mut lua, encode_invalid_numbers, vec![Value::Bool(true)]).unwrap();
    assert_eq!(encoded(&mut lua, n(f64::NAN)), "nan");
    assert_eq!(encoded(&mut lua, n(f64::NEG_INFINITY)), "-inf");
    call(&mut lua, encode_invalid_numbers, vec![Value::str("null")]).unwrap();
    assert_eq!(encoded(&mut lua, n(f64::INFINITY)), "null");
    call(&mut lua, encode_number_precision, vec![n(3.0)]).unwrap();
    assert_eq!(encoded(&mut lua, n(1.23456)), "1.23");
}

#[test]
fn encode_depth_limits() {
    let mut lua = Lua::new();
    let inner = array(&mut lua, vec![n(1.0)]);
    let outer = array(&mut lua, vec![inner]);
    call(&mut lua, encode_max_depth, vec![n(1.0)]).unwrap();
    assert_eq!(
        encoded(&mut lua, outer.clone()),
        "ERR Cannot serialise, excessive nesting (2)"
    );
    // A table holding itself stops where Redis's Lua stack would.
    call(&mut lua, encode_max_depth, vec![n(1e8)]).unwrap();
    let looped = lua.new_table();
    looped.push(Value::Table(looped.clone()));
    assert_eq!(
        encoded(&mut lua, Value::Table(looped.clone())),
        "ERR Cannot serialise, excessive nesting (7998)"
    );
    looped.set(n(1.0), Value::Nil).unwrap();
    looped.set_str("x", Value::Table(looped.clone()));
    assert_eq!(
        encoded(&mut lua, Value::Table(looped.clone())),
        "ERR Cannot serialise, excessive nesting (4000)"
    );
    looped.0.borrow_mut().clear();
}

#[test]
fn decodes_as_lua_cjson() {
    let mut lua = Lua::new();
    let Ok(Value::Table(t)) = decoded(&mut lua, "[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]") else {
        panic!("not an array");
    };
    let numbers: Vec<f64> = (1..=6)
        .map(|i| match t.get_int(i) {
            Value::Number(x) => x,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(numbers, [0.0, -5000.0, -1.0, 0.0003, 1023.2, 0.0]);
    let Ok(Value::Table(t)) = decoded(
        &mut lua,
        r#"{"keya": "a", "keyb": {"x": [true, false, null]}}"#,
    ) else {
        panic!("not an object");
    };
    assert!(matches!(t.get_str("keya"), Value::Str(s) if s.as_bytes() == b"a"));
    let Value::Table(keyb) = t.get_str("keyb") else {
        panic!()
    };
    let Value::Table(x) = keyb.get_str("x") else {
        panic!()
    };
    assert!(matches!(x.get_int(1), Value::Bool(true)));
    assert!(is_null(&mut lua, &x.get_int(3)));
    assert!(
        matches!(decoded(&mut lua, r#""\u00e9\/\ud83d\ude00""#), Ok(Value::Str(s)) if s.as_bytes() == "é/😀".as_bytes())
    );
    assert!(matches!(decoded(&mut lua, "0x10"), Ok(Value::Number(x)) if x == 16.0));
    assert!(matches!(decoded(&mut lua, "01"), Ok(Value::Number(x)) if x == 1.0));
    assert!(
        matches!(decoded(&mut lua, " -Infinity"), Ok(Value::Number(x)) if x == f64::NEG_INFINITY)
    );
    assert!(matches!(
        decoded(&mut lua, "[1]\0junk"),
        Ok(Value::Table(_))
    ));
    assert!(
        matches!(call(&mut lua, decode_native, vec![n(5.0)]).as_deref(), Ok([Value::Number(x)]) if *x == 5.0)
    );
}

#[test]
fn decode_errors_name_the_place() {
    let mut lua = Lua::new();
    let cases = [
        ("", "Expected value but found T_END at character 1"),
        ("[1,", "Expected value but found T_END at character 4"),
        (
            r#"{"a" 1}"#,
            "Expected colon but found T_NUMBER at character 6",
        ),
        (
            r#"{"a":1 "b"}"#,
            "Expected comma or object end but found T_STRING at character 8",
        ),
        (
            "[1 2]",
            "Expected comma or array end but found T_NUMBER at character 4",
        ),
        (
            "{1:2}",
            "Expected object key string but found T_NUMBER at character 2",
        ),
        (
            r#""\ud800""#,
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            r#""\q""#,
            "Expected value but found invalid escape code at character 2",
        ),
        (
            "nul",
            "Expected value but found invalid token at character 1",
        ),
        (
            "[1] x",
            "Expected the end but found invalid token at character 5",
        ),
        (
            "\"abc",
            "Expected value but found unexpected end of string at character 5",
        ),
        (
            "1e",
            "Expected the end but found invalid token at character 2",
        ),
        (
            ".5",
            "Expected value but found invalid token at character 1",
        ),
        (
            "-",
            "Expected value but found invalid number at character 1",
        ),
        ("]", "Expected value but found T_ARR_END at character 1"),
        ("\0\0", "JSON parser does not support UTF-16 or UTF-32"),
    ];
    for (json, expected) in cases {
        assert_eq!(
            decoded(&mut lua, json).err().as_deref(),
            Some(expected),
            "{json:?}"
        );
    }
    let err = call(&mut lua, decode_native, vec![Value::Bool(true)]).unwrap_err();
    assert_eq!(
        err.message(),
        "bad argument #1 to 'decode' (string expected, got boolean)"
    );
    call(&mut lua, decode_invalid_numbers, vec![Value::Bool(false)]).unwrap();
    assert_eq!(
        decoded(&mut lua, "0x10").err().as_deref(),
        Some("Expected value but found invalid number at character 1")
    );
}

#[test]
fn decode_depth_limits() {
    let mut lua = Lua::new();
    let deep = "[".repeat(1001);
    assert_eq!(
        decoded(&mut lua, &deep).err().as_deref(),
        Some("Found too many nested data structures (1001) at character 1001")
    );
    call(&mut lua, decode_max_depth, vec![n(1e8)]).unwrap();
    let deeper = "[".repeat(100_000);
    assert_eq!(
        decoded(&mut lua, &deeper).err().as_deref(),
        Some("Found too many nested data structures (7999) at character 7999")
    );
    let objects = "{\"a\":".repeat(100_000);
    assert_eq!(
        decoded(&mut lua, &objects).err().as_deref(),
        Some("Found too many nested data structures (4000) at character 19996")
    );
    call(&mut lua, decode_max_depth, vec![n(1.0)]).unwrap();
    assert!(decoded(&mut lua, r#"{"obj": {"array": [1,2,3,4]}}"#).is_err());
}

#[test]
fn settings_last_as_long_as_the_vm() {
    let mut lua = Lua::new();
    call(&mut lua, encode_max_depth, vec![n(7.0)]).unwrap();
    let answer = call(&mut lua, encode_max_depth, vec![]).unwrap();
    assert!(matches!(answer[..], [Value::Number(x)] if x == 7.0));
    let mut other = Lua::new();
    let answer = call(&mut other, encode_max_depth, vec![]).unwrap();
    assert!(matches!(answer[..], [Value::Number(x)] if x == 1000.0));
}

#[test]
fn round_trips() {
    let mut lua = Lua::new();
    let list = array(&mut lua, vec![Value::str("Some"), Value::str("String")]);
    let map = object(
        &mut lua,
        vec![
            (Value::str("s1"), Value::str("x")),
            (Value::str("a1"), list),
            (Value::str("b"), Value::Bool(true)),
        ],
    );
    let json = encoded(&mut lua, map);
    let Ok(Value::Table(back)) = decoded(&mut lua, &json) else {
        panic!("{json}")
    };
    assert!(matches!(back.get_str("b"), Value::Bool(true)));
    let Value::Table(list) = back.get_str("a1") else {
        panic!("{json}")
    };
    assert_eq!(list.len(), 2);
}

/// Random and mutated inputs never panic, and every answer is a value or an error.
#[test]
fn fuzzed_input_never_panics() {
    let mut lua = Lua::new();
    let seeds: [&[u8]; 6] = [
        br#"{"a":[1,2,{"b":null}],"c":"\u00e9\n"}"#,
        b"[0.5e-3, -1, true, false]",
        br#""\ud83d\ude00""#,
        b"[[[[[[]]]]]]",
        b"0x1p4",
        b"-Infinity",
    ];
    let inputs = mutations(&seeds, 4000, 3, b"{}[],:\"\\u0-e1tn");
    for input in inputs {
        let _ = call(&mut lua, decode_native, vec![Value::str(input)]);
    }
}

/// Runs a Lua chunk in a VM with every library, as a script would.
fn run(source: &str) -> Result<Vec<Value>, String> {
    crate::lua::stdlib::testing::run(source).map_err(|e| e.message())
}

#[test]
fn lua_programs_see_cjson() {
    let answer = run("return cjson.encode({1, 2, {a = cjson.decode('[true, null]')[2]}})");
    assert!(
        matches!(answer.as_deref(), Ok([Value::Str(s)]) if s.as_bytes() == b"[1,2,{\"a\":null}]")
    );
    let numbers =
        run("return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')");
    assert!(
        matches!(numbers.as_deref(), Ok([Value::Str(s)]) if s.as_bytes() == b"0 -5000 -1 0.0003 1023.2 0")
    );
    let error = run("local ok, err = pcall(cjson.decode, '[1,') return err");
    assert!(
        matches!(error.as_deref(), Ok([Value::Str(s)]) if s.as_bytes().ends_with(b"Expected value but found T_END at character 4")),
        "{error:?}"
    );
    let position = run("\n\ncjson.encode(function() end)").unwrap_err();
    assert_eq!(
        position,
        "user_script:3: Cannot serialise function: type not supported"
    );
}

#[test]
fn new_answers_a_module_sharing_null() {
    let mut lua = Lua::new();
    open(&mut lua);
    let Value::Table(module) = lua.globals().get_str("cjson") else {
        panic!("no cjson")
    };
    let answer = call(&mut lua, new, vec![]).unwrap();
    let [Value::Table(other)] = &answer[..] else {
        panic!("new answered {answer:?}")
    };
    assert!(!other.ptr_eq(&module));
    assert!(other.get_str("null").raw_eq(&module.get_str("null")));
    assert!(matches!(other.get_str("_VERSION"), Value::Str(v) if v.as_bytes() == b"2.1.0"));
    assert!(matches!(other.get_str("decode"), Value::Function(_)));
}
