//! EVAL and SCRIPT beside a real redis-server: the same scripts, the same reply bytes, errors
//! included (their `script: f_<sha>, on @user_script:N.` suffixes too, since the names are the
//! SHA-1 of the same bodies).

mod common;

use common::real_redis::Pair;

#[test]
#[ignore = "needs redis-server: compares EVAL replies byte for byte"]
fn eval_conversions_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["EVAL", "return 'hello'", "0"],
        &["EVAL", "return 100.5", "0"],
        &["EVAL", "return -3.9", "0"],
        &["EVAL", "return true", "0"],
        &["EVAL", "return false", "0"],
        &["EVAL", "return nil", "0"],
        &["EVAL", "return {ok='fine'}", "0"],
        &["EVAL", "return {err='ERR this is an error'}", "0"],
        &["EVAL", "return {1,2,3,'ciao',{1,2}}", "0"],
        &["EVAL", "return {1,2,nil,4}", "0"],
        &["EVAL", "return {KEYS[1],ARGV[1]}", "1", "k", "a"],
        &["EVAL", "return redis.error_reply('MY_CODE custom')", "0"],
        &["EVAL", "return redis.status_reply('MY_OK')", "0"],
        &["EVAL", "return redis.sha1hex('Pizza & Mandolino')", "0"],
        &["EVAL", "return {double=3.5}", "0"],
        &["EVAL", "return {map={a=1}}", "0"],
        &["EVAL", "return {big_number='123'}", "0"],
    ]);
}

#[test]
#[ignore = "needs redis-server: compares redis.call replies and errors byte for byte"]
fn redis_call_replies_and_errors_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["SET", "str", "x"],
        &["RPUSH", "list", "a", "b"],
        &["EVAL", "return redis.call('get','str')", "0"],
        &["EVAL", "return redis.call('get','missing')", "0"],
        &["EVAL", "return redis.call('lrange','list',0,-1)", "0"],
        &["EVAL", "return redis.call('set','k','v')", "0"],
        &["EVAL", "return redis.call('lpush','str','a')", "0"],
        &["EVAL", "return redis.pcall('lpush','str','a')", "0"],
        &["EVAL", "return redis.call('nosuchcommand')", "0"],
        &["EVAL", "return redis.call('incr')", "0"],
        &["EVAL", "return redis.call('multi')", "0"],
        &["EVAL", "return redis.call()", "0"],
        &["EVAL", "return redis.call('ping', {})", "0"],
        &["EVAL", "return a", "0"],
        &["EVAL", "a = 1", "0"],
        &["EVAL", "return (", "0"],
        &[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('set','x','1')",
            "0",
        ],
        &["EVAL", "#!lua flags=bad\nreturn 1", "0"],
        &["EVAL_RO", "return redis.call('del','k')", "1", "k"],
        &["EVAL_RO", "#!lua\nreturn 1", "0"],
        &["EVAL", "return 1", "2", "a"],
        &["EVAL", "return 1", "-1"],
        &["EVAL", "return 1", "x"],
        &[
            "EVAL",
            "redis.setresp(3); return redis.call('hgetall','nohash')",
            "0",
        ],
        &["EVAL", "redis.setresp(4)", "0"],
    ]);
}

#[test]
#[ignore = "needs redis-server: compares SCRIPT subcommands byte for byte"]
fn script_commands_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["SCRIPT", "LOAD", "return 1"],
        &[
            "SCRIPT",
            "EXISTS",
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
            "0000",
        ],
        &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
        &["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
        &["EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", "0"],
        &["EVALSHA", "short", "0"],
        &["SCRIPT", "LOAD", "return ("],
        &["SCRIPT", "FLUSH", "bad"],
        &["SCRIPT", "FLUSH"],
        &[
            "SCRIPT",
            "EXISTS",
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
        ],
        &["SCRIPT", "KILL"],
        &["SCRIPT", "DEBUG", "maybe"],
        &["SCRIPT", "HELP"],
        &["SCRIPT", "NOPE"],
        &[
            "COMMAND",
            "INFO",
            "eval",
            "evalsha",
            "eval_ro",
            "evalsha_ro",
        ],
        &[
            "COMMAND",
            "INFO",
            "script|load",
            "script|kill",
            "script|exists",
        ],
    ]);
}
