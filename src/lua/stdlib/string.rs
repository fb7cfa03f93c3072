//! The `string` library (Lua 5.1's `lstrlib.c`): byte, char, dump, find, format, gmatch, gsub,
//! len, lower, match, rep, reverse, sub, upper, and the string metatable whose `__index` is the
//! library, so that `s:upper()` works. Patterns are [`super::pattern`]'s, `format` is
//! [`super::printf`]'s; this file reads the arguments and assembles the results.

use super::args::{self, check_integer, check_string, opt_integer};
use super::pattern::{Capture, Matcher, has_specials};
use super::printf;
use crate::lua::Lua;
use crate::lua::host::Host;
use crate::lua::number;
use crate::lua::value::{Function, LuaError, LuaStr, Value};

/// The largest string `rep` and `gsub` build: Redis's `proto-max-bulk-len` default (512 MiB),
/// where Lua 5.1 would run the server out of memory.
const MAX_RESULT: usize = 512 * 1024 * 1024;

pub fn open(lua: &mut Lua) {
    let string = lua.new_table();
    lua.register(&string, "byte", byte);
    lua.register(&string, "char", char);
    lua.register(&string, "dump", dump);
    lua.register(&string, "find", find);
    lua.register(&string, "format", format);
    lua.register(&string, "gmatch", gmatch);
    lua.register(&string, "gsub", gsub);
    lua.register(&string, "len", len);
    lua.register(&string, "lower", lower);
    lua.register(&string, "match", r#match);
    lua.register(&string, "rep", rep);
    lua.register(&string, "reverse", reverse);
    lua.register(&string, "sub", sub);
    lua.register(&string, "upper", upper);
    let metatable = lua.new_table();
    metatable.set_str("__index", Value::Table(string.clone()));
    lua.string_metatable = Some(metatable);
    lua.globals().set_str("string", Value::Table(string));
}

type NativeResult = Result<Vec<Value>, LuaError>;

/// `posrelat`: a negative position counts from the end (-1 is the last byte); 0 if before it.
fn relative_position(position: i64, len: usize) -> i64 {
    let position = if position < 0 {
        position + len as i64 + 1
    } else {
        position
    };
    position.max(0)
}

fn byte(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    let s = check_string(&args, 1, "byte")?;
    let first = relative_position(opt_integer(&args, 2, "byte", 1)?, s.len());
    let last = relative_position(opt_integer(&args, 3, "byte", first)?, s.len());
    let first = first.max(1);
    let last = last.min(s.len() as i64);
    if first > last {
        return Ok(Vec::new());
    }
    // luaL_checkstack: a C function may not push more than LUAI_MAXCSTACK values.
    if last - first >= 8000 {
        return Err(LuaError::runtime("stack overflow (string slice too long)"));
    }
    let bytes = &s.as_bytes()[first as usize - 1..last as usize];
    Ok(bytes.iter().map(|&b| Value::Number(b as f64)).collect())
}

fn char(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    let mut bytes = Vec::with_capacity(args.len());
    for position in 1..=args.len() {
        let code = args::check_int(&args, position, "char")?;
        let byte =
            u8::try_from(code).map_err(|_| args::arg_error(position, "char", "invalid value"))?;
        bytes.push(byte);
    }
    Ok(vec![Value::str(bytes)])
}

/// The header of a Lua 5.1 binary chunk on a 64-bit little-endian machine (`luaU_header`).
const BINARY_CHUNK_HEADER: &[u8] = b"\x1bLua\x51\x00\x01\x04\x08\x04\x08\x00";

/// `string.dump`: our functions are trees, not bytecode, so a dump is the binary chunk's header
/// alone. Nothing can run it anyway: Redis's Lua loads no binary chunks (`loadstring` parses one
/// as source and fails at its first byte), so a script only ever gets `nil` back from loading it.
/// C functions are refused, as in 5.1.
fn dump(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    args::check_function(&args, 1, "dump")?;
    match &args[0] {
        Value::Function(Function::Lua(_)) => Ok(vec![Value::str(BINARY_CHUNK_HEADER)]),
        _ => Err(LuaError::runtime("unable to dump given function")),
    }
}

fn len(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    Ok(vec![Value::Number(
        check_string(&args, 1, "len")?.len() as f64
    )])
}

fn map_bytes(args: &[Value], name: &str, map: fn(&[u8]) -> Vec<u8>) -> NativeResult {
    Ok(vec![Value::str(map(
        check_string(args, 1, name)?.as_bytes()
    ))])
}

fn lower(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    map_bytes(&args, "lower", <[u8]>::to_ascii_lowercase)
}

fn upper(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    map_bytes(&args, "upper", <[u8]>::to_ascii_uppercase)
}

fn reverse(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    map_bytes(&args, "reverse", |s| s.iter().rev().copied().collect())
}

fn rep(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    let s = check_string(&args, 1, "rep")?;
    let times = usize::try_from(check_integer(&args, 2, "rep")?).unwrap_or(0);
    if s.len()
        .checked_mul(times)
        .is_none_or(|total| total > MAX_RESULT)
    {
        return Err(LuaError::runtime("resulting string too large"));
    }
    Ok(vec![Value::str(s.as_bytes().repeat(times))])
}

fn sub(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    let s = check_string(&args, 1, "sub")?;
    let start = relative_position(check_integer(&args, 2, "sub")?, s.len()).max(1);
    let end = relative_position(opt_integer(&args, 3, "sub", -1)?, s.len()).min(s.len() as i64);
    if start > end {
        return Ok(vec![Value::str("")]);
    }
    Ok(vec![Value::str(
        &s.as_bytes()[start as usize - 1..end as usize],
    )])
}

fn format(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    Ok(vec![Value::str(printf::format(&args)?)])
}

fn capture_value(capture: Capture) -> Value {
    match capture {
        Capture::Text(text) => Value::str(text),
        Capture::Position(position) => Value::Number(position as f64),
    }
}

fn find(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    find_or_match(&args, "find")
}

fn r#match(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    find_or_match(&args, "match")
}

/// `str_find_aux`: `find` answers the match's bounds then its captures, `match` its captures
/// (the whole match without any); both nil when nothing matches. A `find` with `plain` set, or
/// with a pattern with no special character, is a plain substring search.
fn find_or_match(args: &[Value], name: &str) -> NativeResult {
    let is_find = name == "find";
    let subject = check_string(args, 1, name)?;
    let pattern = check_string(args, 2, name)?;
    let (subject, pattern) = (subject.as_bytes(), pattern.as_bytes());
    let init = relative_position(opt_integer(args, 3, name, 1)?, subject.len()) - 1;
    let init = init.clamp(0, subject.len() as i64) as usize;
    if is_find && (args::arg(args, 4).truthy() || !has_specials(pattern)) {
        return Ok(match find_plain(&subject[init..], pattern) {
            Some(at) => vec![
                Value::Number((init + at + 1) as f64),
                Value::Number((init + at + pattern.len()) as f64),
            ],
            None => vec![Value::Nil],
        });
    }
    let mut matcher = Matcher::new(subject, pattern);
    let anchored = matcher.pattern().first() == Some(&b'^');
    for start in init..=subject.len() {
        if let Some(end) = matcher.match_at(start, anchored as usize)? {
            let (mut results, whole) = if is_find {
                let bounds = vec![Value::Number((start + 1) as f64), Value::Number(end as f64)];
                (bounds, None)
            } else {
                (Vec::new(), Some((start, end)))
            };
            results.extend(matcher.captures(whole)?.into_iter().map(capture_value));
            return Ok(results);
        }
        if anchored {
            break;
        }
    }
    Ok(vec![Value::Nil])
}

/// `lmemfind`: where `needle` first occurs in `haystack` (an empty needle at 0).
fn find_plain(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `string.gmatch(s, p)`: an iterator over the matches. A native has no upvalues to keep its
/// state in, so the iterator is a table (subject, pattern, next position) called through
/// `__call`, which the generic `for` and every call honour.
fn gmatch(lua: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    let subject = check_string(&args, 1, "gmatch")?;
    let pattern = check_string(&args, 2, "gmatch")?;
    let state = lua.new_table();
    state.push(Value::Str(subject));
    state.push(Value::Str(pattern));
    state.push(Value::Number(0.0));
    let metatable = lua.new_table();
    lua.register(&metatable, "__call", gmatch_next);
    state.0.borrow_mut().metatable = Some(metatable);
    Ok(vec![Value::Table(state)])
}

/// `gmatch_aux`: the captures of the next match (5.1 reads `^` as a plain character here); an
/// empty match moves the next search one byte on.
fn gmatch_next(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    let Some(Value::Table(state)) = args.first() else {
        return Ok(vec![Value::Nil]);
    };
    let (Value::Str(subject), Value::Str(pattern), Value::Number(from)) =
        (state.get_int(1), state.get_int(2), state.get_int(3))
    else {
        return Ok(vec![Value::Nil]);
    };
    let mut matcher = Matcher::new(subject.as_bytes(), pattern.as_bytes());
    for start in from as usize..=subject.len() {
        if let Some(end) = matcher.match_at(start, 0)? {
            let next = if end == start { end + 1 } else { end };
            state.set(Value::Number(3.0), Value::Number(next as f64))?;
            let captures = matcher.captures(Some((start, end)))?;
            return Ok(captures.into_iter().map(capture_value).collect());
        }
    }
    Ok(vec![Value::Nil])
}

/// `string.gsub(s, p, repl [, n])`: the string with (at most `n`) matches replaced, and how
/// many were. `repl` is a string (`%0`-`%9` its captures, `%%` a percent), a table (indexed by
/// the first capture) or a function (called with the captures); a false or nil answer keeps the
/// match as it was.
fn gsub(lua: &mut Lua, host: &mut dyn Host, args: Vec<Value>) -> NativeResult {
    let subject = check_string(&args, 1, "gsub")?;
    let pattern = check_string(&args, 2, "gsub")?;
    let replacement = args::arg(&args, 3);
    if !matches!(
        replacement,
        Value::Number(_) | Value::Str(_) | Value::Table(_) | Value::Function(_)
    ) {
        return Err(args::arg_error(3, "gsub", "string/function/table expected"));
    }
    let replacement = match number::coerce_to_string(&replacement) {
        Some(text) => Value::Str(text),
        None => replacement,
    };
    let max = args::opt_int(&args, 4, "gsub", subject.len() as i32 + 1)?;
    let subject = subject.as_bytes();
    let mut matcher = Matcher::new(subject, pattern.as_bytes());
    let anchored = matcher.pattern().first() == Some(&b'^');
    let mut out = Vec::with_capacity(subject.len());
    let mut count = 0;
    let mut s = 0;
    while count < max {
        let end = matcher.match_at(s, anchored as usize)?;
        if let Some(end) = end {
            count += 1;
            add_value(lua, host, &matcher, &replacement, s, end, &mut out)?;
            if out.len() > MAX_RESULT {
                return Err(LuaError::runtime("resulting string too large"));
            }
        }
        match end {
            Some(end) if end > s => s = end,
            _ if s < subject.len() => {
                out.push(subject[s]);
                s += 1;
            }
            _ => break,
        }
        if anchored {
            break;
        }
    }
    out.extend_from_slice(&subject[s..]);
    Ok(vec![Value::str(out), Value::Number(count as f64)])
}

/// `add_value`: appends the replacement of the match `start..end`.
fn add_value(
    lua: &mut Lua,
    host: &mut dyn Host,
    matcher: &Matcher,
    replacement: &Value,
    start: usize,
    end: usize,
    out: &mut Vec<u8>,
) -> Result<(), LuaError> {
    let whole = matcher.whole(start, end);
    let value = match replacement {
        Value::Str(template) => {
            return expand_template(matcher, template, start, end, out);
        }
        Value::Table(_) => {
            let key = capture_value(matcher.capture(0, start, end)?);
            lua.index(host, replacement, &key)?
        }
        _ => {
            let captures = matcher.captures(Some((start, end)))?;
            let captures = captures.into_iter().map(capture_value).collect();
            let results = lua.call(host, replacement, captures)?;
            results.into_iter().next().unwrap_or_default()
        }
    };
    match value {
        Value::Nil | Value::Bool(false) => out.extend_from_slice(whole),
        other => match number::coerce_to_string(&other) {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => {
                let message = format!("invalid replacement value (a {})", other.type_name());
                return Err(LuaError::runtime(message));
            }
        },
    }
    Ok(())
}

/// `add_s`: a replacement string, where `%0` is the whole match, `%1`-`%9` a capture, and `%`
/// before any other byte is that byte (Lua 5.1 does not reject `%x`).
fn expand_template(
    matcher: &Matcher,
    template: &LuaStr,
    start: usize,
    end: usize,
    out: &mut Vec<u8>,
) -> Result<(), LuaError> {
    let mut bytes = template.as_bytes().iter();
    while let Some(&byte) = bytes.next() {
        if byte != b'%' {
            out.push(byte);
            continue;
        }
        // A '%' ending the template reads C's terminating NUL, as 5.1 does.
        let next = bytes.next().copied().unwrap_or(0);
        match next {
            b'0' => out.extend_from_slice(matcher.whole(start, end)),
            b'1'..=b'9' => match matcher.capture((next - b'1') as usize, start, end)? {
                Capture::Text(text) => out.extend_from_slice(text),
                Capture::Position(p) => {
                    out.extend_from_slice(number::to_string(p as f64).as_bytes())
                }
            },
            other => out.push(other),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::lua::{Lua, NoHost, Value, stdlib};

    /// Runs a chunk with every library open: its results as `tostring` shows them, or the error.
    fn run(source: &str) -> Result<Vec<String>, String> {
        let mut lua = Lua::new();
        stdlib::open_all(&mut lua);
        let chunk = lua
            .load(source.as_bytes(), "user_script")
            .map_err(|e| e.message())?;
        let results = (lua.call(&mut NoHost, &Value::Function(chunk), Vec::new()))
            .map_err(|e| e.message())?;
        let mut shown = Vec::new();
        for value in &results {
            let text = lua.tostring(&mut NoHost, value).map_err(|e| e.message())?;
            shown.push(String::from_utf8_lossy(text.as_bytes()).into_owned());
        }
        Ok(shown)
    }

    fn ok(values: &[&str]) -> Result<Vec<String>, String> {
        Ok(values.iter().map(|v| v.to_string()).collect())
    }

    #[test]
    fn a_dumped_function_is_a_binary_chunk_that_loadstring_refuses() {
        // Redis's Lua parses every chunk as source: calling what loads gives "attempt to call
        // a nil value" (unit/scripting "Binary code loading failed").
        assert_eq!(
            run(
                "local d = string.dump(function() return 1 end) return d:byte(1), d:sub(2, 4), loadstring(d) == nil"
            ),
            Ok(vec!["27".into(), "Lua".into(), "true".into()])
        );
    }

    #[test]
    fn methods_go_through_the_string_metatable() {
        assert_eq!(
            run("return ('abc'):upper(), ('x'):rep(3), ('%d'):format(5)"),
            ok(&["ABC", "xxx", "5"])
        );
    }

    #[test]
    fn gmatch_iterates_over_matches() {
        let source = "local t = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do \
                      t[#t + 1] = k .. v end return table.concat(t, ';')";
        assert_eq!(run(source), ok(&["a1;b2"]));
        let empty = "local n = 0 for w in ('abc'):gmatch('') do n = n + 1 end return n";
        assert_eq!(run(empty), ok(&["4"]));
    }

    #[test]
    fn gsub_replaces_by_string_table_and_function() {
        assert_eq!(
            run("return string.gsub('hello world', '(%w+)', '<%1>')"),
            ok(&["<hello> <world>", "2"])
        );
        assert_eq!(
            run("return string.gsub('$a $b', '%$(%w+)', {a = 1})"),
            ok(&["1 $b", "2"])
        );
        let function = "return string.gsub('abc', '%w', function(c) return c:byte() end)";
        assert_eq!(run(function), ok(&["979899", "3"]));
        assert_eq!(
            run("return string.gsub('abc', '', '-', 2)"),
            ok(&["-a-bc", "2"])
        );
        let bad = "return string.gsub('abc', '%w', function() return {} end)";
        assert_eq!(
            run(bad),
            Err("user_script:1: invalid replacement value (a table)".into())
        );
    }

    #[test]
    fn find_sub_byte_follow_5_1() {
        assert_eq!(
            run("return string.find('a.b', '.', 1, true)"),
            ok(&["2", "2"])
        );
        assert_eq!(
            run("return string.find('hello', '()ll()')"),
            ok(&["3", "4", "3", "5"])
        );
        assert_eq!(run("return string.find('hello', '', 10)"), ok(&["6", "5"]));
        assert_eq!(
            run("return string.sub('hello', -3), string.sub('hello', 2.7, 3)"),
            ok(&["llo", "el"])
        );
        assert_eq!(
            run("return string.byte('hello', -2, -1)"),
            ok(&["108", "111"])
        );
        assert_eq!(
            run("return #string.rep('ab', 3), string.rep('ab', -1)"),
            ok(&["6", ""])
        );
    }

    #[test]
    fn errors_are_lua_5_1s() {
        let cases = [
            (
                "return string.rep('x', 2^40)",
                "user_script:1: resulting string too large",
            ),
            (
                "return string.char(256)",
                "user_script:1: bad argument #1 to 'char' (invalid value)",
            ),
            (
                "return string.dump(string.len)",
                "user_script:1: unable to dump given function",
            ),
            (
                "return string.sub()",
                "user_script:1: bad argument #1 to 'sub' (string expected, got no value)",
            ),
            (
                "return string.gsub('a', 'a', true)",
                "user_script:1: bad argument #3 to 'gsub' (string/function/table expected)",
            ),
            (
                "return string.byte(string.rep('a', 9000), 1, -1)",
                "user_script:1: stack overflow (string slice too long)",
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(run(source), Err(expected.to_string()), "{source}");
        }
    }
}
