//! cmsgpack's natives called directly, with the bytes and errors redis-server 7.0.15 gives.

use super::*;
use crate::lua::NoHost;
use crate::lua::stdlib::testing::mutations;
use crate::lua::value::NativeFn;

fn call(lua: &mut Lua, function: NativeFn, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    function(lua, &mut NoHost, args)
}

fn packed_hex(lua: &mut Lua, args: Vec<Value>) -> String {
    match call(lua, pack_native, args) {
        Ok(results) => match &results[..] {
            [Value::Str(s)] => s.as_bytes().iter().map(|b| format!("{b:02x}")).collect(),
            other => panic!("pack answered {other:?}"),
        },
        Err(err) => format!("ERR {}", err.message()),
    }
}

fn error_of(result: Result<Vec<Value>, LuaError>) -> String {
    result.err().map(|e| e.message()).unwrap_or_default()
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

fn bytes(b: &[u8]) -> Value {
    Value::str(b)
}

#[test]
fn packs_as_lua_cmsgpack() {
    let mut lua = Lua::new();
    let cases: [(f64, &str); 12] = [
        (0.1, "cb3fb999999999999a"),
        (-1099511627776.0, "d3ffffff0000000000"),
        (1.5, "ca3fc00000"),
        (-0.0, "00"),
        (f64::INFINITY, "ca7f800000"),
        (2f64.powi(63), "ca5f000000"),
        (-(2f64.powi(63)), "d38000000000000000"),
        (1e20, "cb4415af1d78b58c40"),
        (255.0, "ccff"),
        (65535.0, "cdffff"),
        (-33.0, "d0df"),
        (-1.0, "ff"),
    ];
    for (number, hex) in cases {
        assert_eq!(packed_hex(&mut lua, vec![n(number)]), hex, "{number}");
    }
    let list = lua.new_table();
    for i in 1..=3 {
        list.push(n(f64::from(i)));
    }
    assert_eq!(packed_hex(&mut lua, vec![Value::Table(list)]), "93010203");
    let map = lua.new_table();
    map.set(n(2f64.powi(31)), n(1.0)).unwrap();
    assert_eq!(
        packed_hex(&mut lua, vec![Value::Table(map)]),
        "81ce8000000001"
    );
    let empty = lua.new_table();
    assert_eq!(packed_hex(&mut lua, vec![Value::Table(empty)]), "90");
    assert_eq!(
        packed_hex(
            &mut lua,
            vec![Value::str("ab"), Value::Bool(true), Value::Nil]
        ),
        "a26162c3c0"
    );
    assert_eq!(
        packed_hex(&mut lua, vec![Value::str("x".repeat(40))])[..4],
        *"d928"
    );
    let null = Value::Table(cjson::null(&mut lua));
    assert_eq!(packed_hex(&mut lua, vec![null]), "c0");
    assert_eq!(
        packed_hex(&mut lua, vec![]),
        "ERR bad argument #0 to 'pack' (MessagePack pack needs input.)"
    );
}

#[test]
fn circular_tables_stop_at_the_nesting_limit() {
    let mut lua = Lua::new();
    let a = lua.new_table();
    let b = lua.new_table();
    a.set_str("y", n(5.0));
    b.set_str("x", Value::Table(a.clone()));
    a.set_str("x", Value::Table(b.clone()));
    let results = call(&mut lua, pack_native, vec![Value::Table(a.clone())]).unwrap();
    let decoded = call(&mut lua, unpack_all, results).unwrap();
    let Value::Table(mut level) = decoded[0].clone() else {
        panic!("not a table")
    };
    let mut depth = 1;
    while let Value::Table(next) = level.get_str("x") {
        level = next;
        depth += 1;
    }
    // Tables 16 deep are written as nil: 16 levels of tables survive.
    assert_eq!(depth, pack::MAX_NESTING);
    // The bytes Redis's "cmsgpack can pack and unpack circular references?" test expects.
    let expected = format!("{}c0", "82a17905a17881a178".repeat(8));
    assert_eq!(
        packed_hex(&mut lua, vec![Value::Table(a.clone())]),
        expected
    );
    a.0.borrow_mut().clear();
    b.0.borrow_mut().clear();
}

#[test]
fn unpacks_with_offsets_and_limits() {
    let mut lua = Lua::new();
    let input = bytes(b"\x01\x02");
    let all = call(&mut lua, unpack_all, vec![input.clone()]).unwrap();
    assert!(matches!(all[..], [Value::Number(a), Value::Number(b)] if a == 1.0 && b == 2.0));
    let one = call(&mut lua, unpack_one, vec![input.clone()]).unwrap();
    assert!(matches!(one[..], [Value::Number(o), Value::Number(v)] if o == 1.0 && v == 1.0));
    let last = call(&mut lua, unpack_one, vec![input.clone(), n(1.0)]).unwrap();
    assert!(matches!(last[..], [Value::Number(o), Value::Number(v)] if o == -1.0 && v == 2.0));
    let none = call(&mut lua, unpack_limit, vec![input.clone(), n(0.0), n(1.0)]).unwrap();
    assert!(matches!(none[..], [Value::Number(o)] if o == 1.0));
    assert_eq!(
        error_of(call(&mut lua, unpack_one, vec![input.clone(), n(5.0)])),
        "Start offset 5 greater than input length 2."
    );
    assert_eq!(
        error_of(call(&mut lua, unpack_one, vec![input.clone(), n(-1.0)])),
        "Invalid request to unpack with offset of -1 and limit of 2."
    );
    assert_eq!(
        error_of(call(&mut lua, unpack_limit, vec![input.clone()])),
        "bad argument #2 to 'unpack_limit' (number expected, got no value)"
    );
    assert_eq!(
        error_of(call(&mut lua, unpack_all, vec![])),
        "bad argument #1 to 'unpack' (string expected, got no value)"
    );
    let wrapped = call(
        &mut lua,
        unpack_all,
        vec![bytes(&[
            0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ])],
    );
    assert!(matches!(wrapped.unwrap()[..], [Value::Number(x)] if x == -1.0));
}

#[test]
fn malformed_input_fails_as_lua_cmsgpack() {
    let mut lua = Lua::new();
    let cases: [(&[u8], &str); 6] = [
        (b"\xc4\x01a", "Bad data format in input."),
        (b"\x91", "Missing bytes in input."),
        (b"\xdb\xff\xff\xff\xffabc", "Missing bytes in input."),
        (b"\xdd\xff\xff\xff\xff\x01", "Missing bytes in input."),
        (b"\xcb\x00", "Missing bytes in input."),
        (b"\x81\xc0\x01", "table index is nil"),
    ];
    for (input, expected) in cases {
        let result = call(&mut lua, unpack_all, vec![bytes(input)]);
        assert_eq!(error_of(result), expected, "{input:?}");
    }
    let nil_key = call(&mut lua, unpack_all, vec![bytes(b"\x81\xc0\x01")]).unwrap_err();
    assert!(!nil_key.needs_position, "Redis names no script line for it");
}

#[test]
fn nesting_and_result_count_are_bounded_as_in_redis() {
    let mut lua = Lua::new();
    let deep = vec![0x91u8; 5000];
    assert_eq!(
        error_of(call(&mut lua, unpack_all, vec![bytes(&deep)])),
        "stack overflow (in function mp_decode_to_lua_array)"
    );
    let maps = b"\x81\x01".repeat(3000);
    assert_eq!(
        error_of(call(&mut lua, unpack_all, vec![bytes(&maps)])),
        "Missing bytes in input."
    );
    assert_eq!(
        call(&mut lua, unpack_all, vec![bytes(&[1u8; 7990])])
            .unwrap()
            .len(),
        7990
    );
    assert_eq!(
        error_of(call(&mut lua, unpack_all, vec![bytes(&[1u8; 10000])])),
        "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"
    );
}

#[test]
fn round_trips_big_values() {
    let mut lua = Lua::new();
    let big = lua.new_table();
    for i in 1..=70_000 {
        big.push(n(f64::from(i)));
    }
    let map = lua.new_table();
    map.set_str("a", Value::Table(big));
    map.set_str("s", Value::str("x".repeat(100_000)));
    map.set_str("d", n(0.1));
    let packed = call(&mut lua, pack_native, vec![Value::Table(map)]).unwrap();
    let back = call(&mut lua, unpack_all, packed).unwrap();
    let Value::Table(back) = &back[0] else {
        panic!("not a table")
    };
    let Value::Table(list) = back.get_str("a") else {
        panic!("no array")
    };
    assert_eq!(list.len(), 70_000);
    assert!(matches!(back.get_str("d"), Value::Number(x) if x == 0.1));
    assert!(matches!(back.get_str("s"), Value::Str(s) if s.len() == 100_000));
}

/// Random and mutated inputs never panic nor allocate past their size.
#[test]
fn fuzzed_input_never_panics() {
    let mut lua = Lua::new();
    let seeds: [&[u8]; 4] = [
        b"\x93\x01\xa2ab\x82\xa1x\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a\xa1y\xc3",
        b"\xdc\x00\x03\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00",
        b"\xde\x00\x01\xd9\x03abc\xdf\x00\x00\x00\x00",
        b"\xcf\x00\x00\x00\x00\x00\x00\x00\x01\xca\x3f\x80\x00\x00",
    ];
    let every_byte: Vec<u8> = (0..=255).collect();
    for input in mutations(&seeds, 4000, 4, &every_byte) {
        let _ = call(&mut lua, unpack_all, vec![bytes(&input)]);
        let _ = call(&mut lua, unpack_limit, vec![bytes(&input), n(2.0), n(1.0)]);
    }
}

#[test]
fn lua_programs_see_cmsgpack() {
    let mut lua = Lua::new();
    crate::lua::stdlib::open_all(&mut lua);
    let source = b"local t = cmsgpack.unpack(cmsgpack.pack({1, {x = 'y'}, 2.5})) return t[1], t[2].x, t[3], select('#', cmsgpack.unpack(cmsgpack.pack(1, 2, 3)))";
    let chunk = lua.load(source, "user_script").unwrap();
    let results = lua
        .call(&mut NoHost, &Value::Function(chunk), vec![])
        .unwrap();
    assert!(
        matches!(&results[..], [Value::Number(a), Value::Str(x), Value::Number(b), Value::Number(count)]
        if *a == 1.0 && x.as_bytes() == b"y" && *b == 2.5 && *count == 3.0)
    );
}
