//! Splits a line into arguments the way Redis's `sdssplitargs` does: blanks separate words,
//! `"double quotes"` understand `\n \r \t \b \a \xHH` and `\<any>`, `'single quotes'` understand
//! only `\'`. Used for inline requests (`SET k "a b"` typed into telnet) and configuration files,
//! which Redis parses with the same function.

/// A quote was opened and never closed, or a closing quote was followed by something other than
/// a blank. Redis rejects the whole line in both cases.
#[derive(Debug, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// Splits `line` into arguments. An empty or all-blank line gives no arguments.
///
/// Like the C original, which walks a NUL-terminated string, the line ends at the first NUL byte.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let mut args = Vec::new();
    let mut pos = 0;
    loop {
        while pos < line.len() && is_c_space(line[pos]) {
            pos += 1;
        }
        if pos == line.len() {
            return Ok(args);
        }
        let (arg, next) = split_one(line, pos)?;
        args.push(arg);
        pos = next;
    }
}

/// Reads one argument starting at `pos` (not a blank). Returns it and the position after it.
fn split_one(line: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize), UnbalancedQuotes> {
    let at = |i: usize| line.get(i).copied();
    let mut arg = Vec::new();
    let mut quote: Option<u8> = None;
    loop {
        match quote {
            Some(b'"') => match at(pos) {
                None => return Err(UnbalancedQuotes),
                Some(b'\\')
                    if at(pos + 1) == Some(b'x')
                        && hex_pair(at(pos + 2), at(pos + 3)).is_some() =>
                {
                    arg.push(hex_pair(at(pos + 2), at(pos + 3)).unwrap_or_default());
                    pos += 4;
                }
                Some(b'\\') if at(pos + 1).is_some() => {
                    arg.push(match line[pos + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    pos += 2;
                }
                Some(b'"') => return closing_quote(line, pos, arg),
                Some(byte) => {
                    arg.push(byte);
                    pos += 1;
                }
            },
            Some(_) => match at(pos) {
                None => return Err(UnbalancedQuotes),
                Some(b'\\') if at(pos + 1) == Some(b'\'') => {
                    arg.push(b'\'');
                    pos += 2;
                }
                Some(b'\'') => return closing_quote(line, pos, arg),
                Some(byte) => {
                    arg.push(byte);
                    pos += 1;
                }
            },
            None => match at(pos) {
                // Only these four end an unquoted word (not \v or \f, although they are skipped
                // between words): the same asymmetry as sdssplitargs.
                None | Some(b' ' | b'\n' | b'\r' | b'\t') => return Ok((arg, pos)),
                Some(q @ (b'"' | b'\'')) => {
                    quote = Some(q);
                    pos += 1;
                }
                Some(byte) => {
                    arg.push(byte);
                    pos += 1;
                }
            },
        }
    }
}

/// Redis's `sdscatrepr`: `bytes` in double quotes, escaped so that [`split_args`] reads them back
/// as one argument (`\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`, `\xHH` for anything else not
/// printable).
pub fn repr(bytes: &[u8]) -> String {
    let mut quoted = String::from("\"");
    for &byte in bytes {
        match byte {
            b'\\' => quoted.push_str("\\\\"),
            b'"' => quoted.push_str("\\\""),
            b'\n' => quoted.push_str("\\n"),
            b'\r' => quoted.push_str("\\r"),
            b'\t' => quoted.push_str("\\t"),
            0x07 => quoted.push_str("\\a"),
            0x08 => quoted.push_str("\\b"),
            b' '..=b'~' => quoted.push(char::from(byte)),
            _ => quoted.push_str(&format!("\\x{byte:02x}")),
        }
    }
    quoted.push('"');
    quoted
}

/// Redis's `sdsneedsrepr`: whether `bytes` must go through [`repr`] to be read back as one
/// argument (a blank, a quote, a backslash or anything not printable).
pub fn needs_repr(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| matches!(b, b'\\' | b'"') || !(b'!'..=b'~').contains(&b))
}

/// A closing quote must be followed by a blank or the end of the line.
fn closing_quote(
    line: &[u8],
    pos: usize,
    arg: Vec<u8>,
) -> Result<(Vec<u8>, usize), UnbalancedQuotes> {
    match line.get(pos + 1) {
        Some(&next) if !is_c_space(next) => Err(UnbalancedQuotes),
        _ => Ok((arg, pos + 1)),
    }
}

fn hex_pair(high: Option<u8>, low: Option<u8>) -> Option<u8> {
    let digit = |b: Option<u8>| (b? as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

/// C's `isspace`: space, \t, \n, \v, \f, \r.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, UnbalancedQuotes> {
        split_args(line.as_bytes()).map(|args| {
            args.into_iter()
                .map(|a| String::from_utf8(a).unwrap())
                .collect()
        })
    }

    #[test]
    fn blanks_separate_words() {
        assert_eq!(split("  set  k\tv \r\n").unwrap(), ["set", "k", "v"]);
        assert!(split("   ").unwrap().is_empty());
    }

    #[test]
    fn double_quotes_decode_escapes() {
        assert_eq!(split(r#"set k "a\x41\n""#).unwrap(), ["set", "k", "aA\n"]);
        assert_eq!(split(r#""a b" "\"q\"""#).unwrap(), ["a b", "\"q\""]);
        assert_eq!(split(r#""\x4g""#).unwrap(), ["x4g"]);
    }

    #[test]
    fn single_quotes_only_escape_the_quote() {
        assert_eq!(split(r"'it\'s' 'a\nb'").unwrap(), ["it's", r"a\nb"]);
    }

    #[test]
    fn a_quote_can_start_inside_a_word() {
        assert_eq!(split(r#"ab"c d""#).unwrap(), ["abc d"]);
    }

    #[test]
    fn unbalanced_quotes_are_rejected() {
        assert_eq!(split(r#"set """test-key""" v"#), Err(UnbalancedQuotes));
        assert_eq!(split("set k 'abc"), Err(UnbalancedQuotes));
        assert_eq!(split(r#"set k "a"b"#), Err(UnbalancedQuotes));
    }

    #[test]
    fn repr_is_read_back_unchanged() {
        for word in [
            &b"plain"[..],
            b"a b",
            b"q\"uote",
            b"back\\slash",
            b"\x00\x7f\xff\n\t\x07",
        ] {
            assert_eq!(split_args(repr(word).as_bytes()).unwrap(), [word.to_vec()]);
        }
        assert_eq!(repr(b"a\"b"), r#""a\"b""#);
        assert!(!needs_repr(b"appendonly.aof.1.incr.aof"));
        assert!(needs_repr(b"with space") && needs_repr(b"tab\t") && needs_repr(b"\xc3\xa9"));
    }

    #[test]
    fn the_line_ends_at_a_nul_byte() {
        assert_eq!(
            split_args(b"get a\0b c").unwrap(),
            [b"get".to_vec(), b"a".to_vec()]
        );
    }
}
