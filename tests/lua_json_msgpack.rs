//! The `cjson` and `cmsgpack` libraries and `redis.sha1hex` as scripts see them through EVAL:
//! encodings, decodings and errors as redis-server 7.0.15 answers them, and (ignored unless
//! redis-server is installed) the same scripts sent to both servers, compared byte for byte.

mod common;

use common::TestServer;
use common::real_redis::Pair;

/// Runs `script` with no keys; the reply as a string, or the error's text.
fn eval(client: &mut redis::Connection, script: &str) -> String {
    let reply: redis::RedisResult<redis::Value> =
        redis::cmd("EVAL").arg(script).arg(0).query(client);
    match reply {
        Ok(redis::Value::BulkString(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(redis::Value::SimpleString(text)) => text,
        Ok(redis::Value::Int(n)) => n.to_string(),
        Ok(redis::Value::Nil) => "(nil)".to_string(),
        Ok(other) => format!("{other:?}"),
        Err(err) => err.to_string(),
    }
}

/// The hex of the string a script returns, for binary results (msgpack).
fn hex_of(client: &mut redis::Connection, expression: &str) -> String {
    let script = format!(
        "return (({expression}):gsub('.', function(c) return string.format('%02x', c:byte()) end))"
    );
    eval(client, &script)
}

#[test]
fn cjson_encodes_as_redis() {
    let server = TestServer::start();
    let mut client = server.client();
    let cases = [
        ("return cjson.encode({1,2,{a=1}})", "[1,2,{\"a\":1}]"),
        ("return cjson.encode({[1]=1,[3]=3})", "[1,null,3]"),
        ("return cjson.encode('a/b\"\\\\')", "\"a\\/b\\\"\\\\\""),
        (
            "return cjson.encode({0.1, 1e300, -0, 2^53})",
            "[0.1,1e+300,-0,9.007199254741e+15]",
        ),
        ("return cjson.encode({})", "{}"),
        ("return cjson.encode(cjson.null)", "null"),
        ("return cjson.encode({[1.5]=1})", "{\"1.5\":1}"),
    ];
    for (script, expected) in cases {
        assert_eq!(eval(&mut client, script), expected, "{script}");
    }
}

#[test]
fn cjson_errors_carry_the_script_position() {
    let server = TestServer::start();
    let mut client = server.client();
    let cases = [
        (
            "return cjson.encode({[20]=1,[19]=2})",
            "user_script:1: Cannot serialise table: excessively sparse array",
        ),
        (
            "return cjson.encode(1/0)",
            "user_script:1: Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.encode()",
            "user_script:1: bad argument #1 to 'encode' (expected 1 argument)",
        ),
        (
            "return cjson.decode('[1,')",
            "user_script:1: Expected value but found T_END at character 4",
        ),
        (
            "return cjson.decode('nul')",
            "user_script:1: Expected value but found invalid token at character 1",
        ),
        (
            "return cjson.decode(string.rep('[', 1001))",
            "user_script:1: Found too many nested data structures (1001) at character 1001",
        ),
        (
            "return cjson.encode_max_depth(0)",
            "user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)",
        ),
    ];
    for (script, expected) in cases {
        let answer = eval(&mut client, script);
        assert!(answer.contains(expected), "{script}: {answer}");
    }
}

#[test]
fn cjson_decodes_and_round_trips() {
    let server = TestServer::start();
    let mut client = server.client();
    let numbers = "return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')";
    assert_eq!(eval(&mut client, numbers), "0 -5000 -1 0.0003 1023.2 0");
    let strings =
        "local d = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}') return d.keya .. d.keyb";
    assert_eq!(eval(&mut client, strings), "ab");
    let null = "return tostring(cjson.decode('[1,null]')[2] == cjson.null)";
    assert_eq!(eval(&mut client, null), "true");
    let unicode = "return cjson.decode('\"\\\\u00e9\\\\/\"')";
    assert_eq!(eval(&mut client, unicode), "é/");
    // Redis's "EVAL - JSON smoke test", settings included (they outlast the script in Redis).
    let smoke = r#"
        local some_map = {s1="Some string", n1=100, a1={"Some","String","Array"}, b1=true, b2=false}
        local decoded = cjson.decode(cjson.encode(some_map))
        assert(decoded.a1[3] == "Array" and decoded.n1 == 100 and decoded.b2 == false)
        local invalid_map = {}
        invalid_map[false] = "false"
        assert(pcall(cjson.encode, invalid_map) == false)
        cjson.encode_max_depth(1)
        assert(pcall(cjson.encode, some_map) == false)
        cjson.decode_max_depth(1)
        assert(pcall(cjson.decode, '{"obj": {"array": [1,2,3,4]}}') == false)
        assert(pcall(cjson.encode, {num1=0/0}) == false)
        cjson.encode_invalid_numbers(true)
        assert(pcall(cjson.encode, {num1=0/0}) == true)
        cjson.decode_max_depth(1000)
        cjson.encode_max_depth(1000)
        cjson.encode_invalid_numbers(false)
        return "ok"
    "#;
    assert_eq!(eval(&mut client, smoke), "ok");
}

#[test]
fn cmsgpack_packs_as_redis() {
    let server = TestServer::start();
    let mut client = server.client();
    assert_eq!(
        hex_of(&mut client, "cmsgpack.pack(0.1)"),
        "cb3fb999999999999a"
    );
    assert_eq!(
        hex_of(&mut client, "cmsgpack.pack(-1099511627776)"),
        "d3ffffff0000000000"
    );
    assert_eq!(hex_of(&mut client, "cmsgpack.pack({1,2,3})"), "93010203");
    assert_eq!(
        hex_of(&mut client, "cmsgpack.pack('ab', true, nil)"),
        "a26162c3c0"
    );
    let error = eval(&mut client, "return cmsgpack.pack()");
    assert!(
        error.contains("user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"),
        "{error}"
    );
    let error = eval(&mut client, "return cmsgpack.unpack('\\145')");
    assert!(
        error.contains("user_script:1: Missing bytes in input."),
        "{error}"
    );
}

#[test]
fn cmsgpack_smoke_and_circular_references() {
    let server = TestServer::start();
    let mut client = server.client();
    // Redis's "cmsgpack pack/unpack smoke test", reduced.
    let smoke = r#"
        local str_long = string.rep("x", 100000)
        local array_big = {}
        for i = 1, 100000 do array_big[i] = i end
        local some_map = {s1 = string.rep("x", 30), s4 = str_long, d1 = 0.1, i5 = 2^40, i9 = -100000, a3 = array_big}
        local decoded = cmsgpack.unpack(cmsgpack.pack(some_map))
        assert(decoded.s4 == str_long and decoded.d1 == 0.1 and decoded.i5 == 2^40 and #decoded.a3 == 100000)
        local offset, decoded_one = cmsgpack.unpack_one(cmsgpack.pack(some_map), 0)
        assert(offset == -1 and decoded_one.i9 == -100000)
        local multiple = cmsgpack.pack(string.rep("x", 30), string.rep("x", 250), str_long)
        local offset, obj = cmsgpack.unpack_limit(multiple, 1, 0)
        assert(obj == string.rep("x", 30))
        offset, obj = cmsgpack.unpack_limit(multiple, 1, offset)
        assert(obj == string.rep("x", 250))
        offset, obj = cmsgpack.unpack_limit(multiple, 1, offset)
        assert(obj == str_long and offset == -1)
        return "ok"
    "#;
    assert_eq!(eval(&mut client, smoke), "ok");
    let circular = r#"
        local a = {x=nil, y=5}
        local b = {x=a}
        a['x'] = b
        local re = cmsgpack.unpack(cmsgpack.pack(a))
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.y == re.y)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)
        return "ok"
    "#;
    assert_eq!(eval(&mut client, circular), "ok");
}

#[test]
fn sha1hex_and_readonly_libraries() {
    let server = TestServer::start();
    let mut client = server.client();
    assert_eq!(
        eval(&mut client, "return redis.sha1hex('')"),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    assert_eq!(
        eval(&mut client, "return redis.sha1hex('Pizza & Mandolino')"),
        "74822d82031af7493c20eefa13bd07ec4fada82f"
    );
    for library in ["cjson.encode", "cmsgpack.pack"] {
        let answer = eval(&mut client, &format!("{library} = function() return 1 end"));
        assert!(
            answer.contains("Attempt to modify a readonly table"),
            "{library}: {answer}"
        );
    }
}

#[test]
#[ignore = "needs redis-server: compares EVAL replies byte for byte"]
fn scripts_answer_as_redis() {
    let mut pair = Pair::new();
    let expressions = [
        "cjson.encode({1,2,{a=1}})",
        "cjson.encode({[1]=1,[3]=3})",
        "cjson.encode({[20]=1,[19]=2})",
        "cjson.encode('a/b\"\\\\'..string.char(127,1,200))",
        "cjson.encode({0.1, 1e300, -0, 2^53, 1/3})",
        "cjson.encode(1/0)",
        "cjson.encode({a={b=cjson.encode}})",
        "cjson.encode()",
        "cjson.encode(1,2)",
        "cjson.decode('')",
        "cjson.decode('[1,')",
        "cjson.decode('{\"a\" 1}')",
        "cjson.decode('\"\\\\ud800\"')",
        "cjson.decode('nul')",
        "cjson.decode('0x10')",
        "cjson.decode('[1] x')",
        "cjson.decode('\"abc')",
        "cjson.decode('01')",
        "cjson.decode('1e')",
        "cjson.decode('.5')",
        "cjson.decode(5)",
        "cjson.decode({})",
        "cjson.decode('\"\\\\u00e9\\\\/\"')",
        "cjson.decode('[1,2,null]')[3] == cjson.null",
        "cjson.encode_max_depth(0)",
        "cjson.encode_max_depth('x')",
        "cjson.encode_max_depth(1,2)",
        "cjson.encode_invalid_numbers('bad')",
        "cjson.encode_number_precision(15)",
        "cjson._NAME .. cjson._VERSION",
        "cmsgpack._VERSION",
        "cmsgpack.pack()",
        "cmsgpack.unpack('\\196\\1a')",
        "cmsgpack.unpack('\\145')",
        "cmsgpack.unpack_one('\\1\\2', 5)",
        "cmsgpack.unpack_one('\\1\\2', -1)",
        "{cmsgpack.unpack_limit('\\1\\2', 0, 1)}",
        "{cmsgpack.unpack_one('\\1\\2', 1)}",
        "cmsgpack.unpack_limit('\\1')",
        "cmsgpack.unpack_one('\\1', 'x')",
        "cmsgpack.unpack(5)",
        "{cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')}",
        "cmsgpack.unpack('\\129\\192\\1')",
        "cmsgpack.unpack(string.rep('\\145', 5000))",
        "#{cmsgpack.unpack(string.rep('\\1', 7990))}",
        "cmsgpack.unpack(string.rep('\\1', 10000))",
        "redis.sha1hex('abc')",
    ];
    let mut scripts: Vec<String> = expressions.iter().map(|e| format!("return {e}")).collect();
    let packed = [
        "cmsgpack.pack({1,2,3}, {a=1}, 'x', 1.5, 1/0, 2^63, -2^63, 1e20, 255, -33, {[2^31]=1})",
        "cmsgpack.pack(string.rep('x', 40), string.rep('y', 300), {})",
        "cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack({1,{2,{3}}})))",
    ];
    for expression in packed {
        scripts.push(format!(
            "return (({expression}):gsub('.', function(c) return string.format('%02x', c:byte()) end))"
        ));
    }
    let mut differences = Vec::new();
    for script in &scripts {
        let command = ["EVAL", script.as_str(), "0"];
        let expected = without_script_suffix(&pair.redis.command(&command));
        let actual = without_script_suffix(&pair.thredis.command(&command));
        if actual != expected {
            differences.push(format!(
                "{script}\n  redis:   {expected:?}\n  thredis: {actual:?}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "replies differ:\n{}",
        differences.join("\n")
    );
}

/// A reply with the " script: <name>, on @user_script:N." an error reply ends with cut off:
/// that part is the scripting glue's (tested with it), the message before it the library's.
fn without_script_suffix(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply).into_owned();
    match (text.starts_with('-'), text.find(" script: ")) {
        (true, Some(at)) => format!("{}\r\n", &text[..at]),
        _ => text,
    }
}
