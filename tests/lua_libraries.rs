//! The `table`, `math`, `bit` and `struct` libraries as scripts see them through EVAL: results,
//! Lua 5.1's error texts, and (with redis-server installed) byte-for-byte the replies of Redis.

mod common;

use common::TestServer;
use common::real_redis::Pair;

/// EVAL `script` with no keys; the raw reply.
fn eval(server: &TestServer, script: &str, argv: &[&str]) -> String {
    let mut args = vec!["EVAL", script, "0"];
    args.extend_from_slice(argv);
    server.raw().cmd(&args)
}

#[test]
fn table_functions() {
    let server = TestServer::start();
    let sorted = eval(&server, "local t = {3, 1, 2}; table.sort(t); return t", &[]);
    assert_eq!(sorted, "*3\r\n:1\r\n:2\r\n:3\r\n");
    let by_comparator =
        "local t = {'a', 'c', 'b'}; table.sort(t, function(x, y) return x > y end); return t";
    assert_eq!(
        eval(&server, by_comparator, &[]),
        "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"
    );
    let built = "local x = {}; for i = 1, 10 do table.insert(x, i) end; table.remove(x, 1); return table.concat(x, ',')";
    assert_eq!(eval(&server, built, &[]), "$18\r\n2,3,4,5,6,7,8,9,10\r\n");
    let setn = eval(&server, "return table.setn({}, 1)", &[]);
    assert!(
        setn.starts_with("-ERR user_script:1: 'setn' is obsolete script: "),
        "{setn}"
    );
}

#[test]
fn a_bad_comparator_is_an_error_not_a_hang() {
    let server = TestServer::start();
    let script = "local t = {5, 4, 3, 2, 1, 6, 7, 8, 9}; table.sort(t, function() return true end)";
    let reply = eval(&server, script, &[]);
    assert!(
        reply.starts_with("-ERR user_script:1: invalid order function for sorting"),
        "{reply}"
    );
}

#[test]
fn math_random_is_seeded_by_the_script() {
    let server = TestServer::start();
    let script = "math.randomseed(ARGV[1]); return tostring(math.random())";
    // redis-server 7.0.15 answers this for seed 10.
    assert_eq!(
        eval(&server, script, &["10"]),
        "$16\r\n0.87885112309775\r\n"
    );
    assert_eq!(
        eval(&server, script, &["10"]),
        eval(&server, script, &["10"])
    );
    assert_ne!(
        eval(&server, script, &["10"]),
        eval(&server, script, &["20"])
    );
    let unseeded = "return tostring(math.random())";
    assert_ne!(eval(&server, unseeded, &[]), eval(&server, unseeded, &[]));
}

#[test]
fn bit_and_struct() {
    let server = TestServer::start();
    assert_eq!(
        eval(&server, "return bit.tohex(65535)", &[]),
        "$8\r\n0000ffff\r\n"
    );
    assert_eq!(
        eval(&server, "return bit.bor(1,2,4,8,16,32,64,128)", &[]),
        ":255\r\n"
    );
    assert_eq!(
        eval(&server, "return struct.pack('>I2', 258)", &[]),
        "$2\r\n\x01\x02\r\n"
    );
    let unpacked = "return {struct.unpack('<i4 c2', struct.pack('<i4 c2', -7, 'ok'))}";
    assert_eq!(
        eval(&server, unpacked, &[]),
        "*3\r\n:-7\r\n$2\r\nok\r\n:7\r\n"
    );
    let reply = eval(&server, "return struct.pack('c5', 'ab')", &[]);
    assert!(
        reply.starts_with("-ERR user_script:1: bad argument #3 to 'pack' (string too short)"),
        "{reply}"
    );
}

/// Scripts whose replies must match Redis's byte for byte: results, and error texts (which
/// include the script's SHA-1, the same on both).
const SAME_AS_REDIS: &[&str] = &[
    "return {table.concat({1, 2, 3}, ', ', 2), table.getn({1, 2}), table.maxn({[7] = 1, [2.5] = 2})}",
    "return table.concat({1, {}, 3})",
    "return table.concat({1, 2}, {})",
    "return table.insert({})",
    "return table.insert(nil, 1)",
    "return {table.remove({})}",
    "local t = {3, 1, 2}; table.sort(t, function() return true end); return t",
    "local t = {1, 'x', 2}; table.sort(t)",
    "local t = {3, 1, 2}; table.sort(t, 5)",
    "table.insert(bit, 1)",
    "return {pcall(table.sort, bit)}",
    "return table.foreachi({10, 20}, function(i, v) if v == 20 then return i end end)",
    "return {math.floor(-2.5), math.ceil(2.1), math.abs(-3), math.fmod(-7, 3), math.mod(7, 3)}",
    "return {tostring(math.sqrt(2)), tostring(math.pi), tostring(math.huge), tostring(-math.huge)}",
    "return {tostring(math.sin(1)), tostring(math.exp(1)), tostring(math.log(10)), tostring(math.log10(2))}",
    "return {tostring(math.deg(1)), tostring(math.rad(1)), tostring(math.atan2(1, 2)), tostring(math.pow(2, 0.5))}",
    "return {math.frexp(5e-324)}",
    "return {tostring(math.ldexp(1, -1074)), tostring(math.ldexp(-1.5, -1074)), tostring(math.ldexp(1, 1024))}",
    "return {math.modf(-3.25)}",
    "return {math.max(3, 9, 1), math.min(3, 9, 1)}",
    "return math.floor('x')",
    "return math.max()",
    "return math.random(0)",
    "return math.random(3, 2)",
    "return math.random(1, 2, 3)",
    "math.randomseed(10); return {math.random(100), math.random(5, 10), math.random(-2147483648, 2147483647)}",
    "return {bit.tobit(0xffffffff), bit.tobit(2.5), bit.bnot(0), bit.band(0xff00, 0x0ff0)}",
    "return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 12)}",
    "return {bit.ror(0x12345678, 12), bit.bswap(0x12345678), bit.tohex(-1, -4), bit.tohex(1, 0)}",
    "return bit.bor(1, nil)",
    "return bit.tohex()",
    "return bit.tohex(1, nil)",
    "return struct.pack('<i10', -1)",
    "return {struct.size('! b d'), struct.size('>!4 b i h'), struct.size('yb2')}",
    "return {struct.unpack('>h H', '\\255\\255\\255\\255')}",
    "return {struct.unpack('B c0', '\\3abcd')}",
    "return {struct.unpack('s f d', struct.pack('s f d', 'hi', 1.5, 0.1))}",
    "return {struct.unpack('', 'abc', -1)}",
    "return struct.unpack('b', 'abc', -1)",
    "return struct.unpack('b', 'abc', 0)",
    "return struct.unpack('s', 'abc')",
    "return struct.unpack('c0', 'abc')",
    "return struct.pack('y')",
    "return struct.pack('b2', 1)",
    "return struct.size('i40')",
    "return struct.size('!3')",
    "return struct.size('c99999999999')",
    "return struct.size('s')",
    "local f = {}; for i = 1, 9000 do f[i] = 'b' end; f = table.concat(f); return struct.unpack(f, f)",
];

/// A reply, and of an error reply the message before the " script: <name>, on @user_script:N."
/// that ends it: what the libraries decide (that suffix is EVAL's, tested with it).
fn library_part(reply: Vec<u8>) -> String {
    let text = String::from_utf8_lossy(&reply).into_owned();
    if !text.starts_with('-') {
        return text;
    }
    let message = text.trim_end_matches("\r\n");
    message
        .split(" script: ")
        .next()
        .unwrap_or(message)
        .to_string()
}

#[test]
#[ignore = "needs redis-server: compares replies with Redis 7.0.15"]
fn replies_are_redis_s() {
    let mut pair = Pair::new();
    for script in SAME_AS_REDIS {
        let expected = library_part(pair.redis.command(&["EVAL", script, "0"]));
        let actual = library_part(pair.thredis.command(&["EVAL", script, "0"]));
        assert_eq!(actual, expected, "replies differ for {script}");
    }
}
