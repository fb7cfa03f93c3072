//! Lua 5.1's patterns (the matcher of `lstrlib.c`): single-character classes (`.`, `%a %c %d %l
//! %p %s %u %w %x %z` and their upper-case complements, sets `[^a-z%d]`), the repetitions `* + -
//! ?`, the `^`/`$` anchors, captures (position captures `()` too), `%b()` balanced pairs, `%f[set]`
//! frontiers and back-references `%1`-`%9`. `string.find`, `match`, `gmatch` and `gsub` drive a
//! [`Matcher`]; it only answers where a match at a given place ends and what it captured.
//!
//! As in Lua 5.1, a pattern ends at its first NUL byte (`%z` matches a NUL in the subject), and
//! the subject reads as NUL past its end (what `%f` sees there). Unlike 5.1, which recurses
//! without a limit and can overflow the C stack, the recursion is bounded as Lua 5.2 bounds it
//! (`MAXCCALLS`): deeper patterns fail with "pattern too complex".

use crate::lua::value::LuaError;

/// `LUA_MAXCAPTURES`.
const MAX_CAPTURES: usize = 32;
/// Lua 5.2's `MAXCCALLS`, the bound on the matcher's recursion.
const MAX_DEPTH: usize = 200;

/// The characters that make a pattern more than plain text (`SPECIALS` in lstrlib.c).
const SPECIALS: &[u8] = b"^$*+?.([%-";

/// Whether `string.find` must match `pattern` rather than search it as plain text.
pub fn has_specials(pattern: &[u8]) -> bool {
    until_nul(pattern).iter().any(|b| SPECIALS.contains(b))
}

fn until_nul(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())]
}

/// What a capture holds once a match succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture<'a> {
    Text(&'a [u8]),
    /// A position capture `()`: the 1-based position in the subject.
    Position(usize),
}

#[derive(Clone, Copy)]
enum CaptureLength {
    Unfinished,
    Position,
    Closed(usize),
}

/// One subject and one pattern, and the captures of the match being tried (`MatchState`).
pub struct Matcher<'a> {
    subject: &'a [u8],
    pattern: &'a [u8],
    captures: Vec<(usize, CaptureLength)>,
    depth: usize,
}

impl<'a> Matcher<'a> {
    pub fn new(subject: &'a [u8], pattern: &'a [u8]) -> Matcher<'a> {
        Matcher {
            subject,
            pattern: until_nul(pattern),
            captures: Vec::new(),
            depth: 0,
        }
    }

    /// The pattern as matched (up to its first NUL).
    pub fn pattern(&self) -> &'a [u8] {
        self.pattern
    }

    /// Tries the pattern from its byte `p` (1 to skip a `^` anchor) at subject position `s`:
    /// where the match ends, if there is one. Captures are those of this attempt.
    pub fn match_at(&mut self, s: usize, p: usize) -> Result<Option<usize>, LuaError> {
        self.captures.clear();
        self.depth = 0;
        self.match_here(s, p)
    }

    /// The subject's bytes `start..end` (a match).
    pub fn whole(&self, start: usize, end: usize) -> &'a [u8] {
        &self.subject[start..end]
    }

    /// Capture `i` (0-based) of the match `start..end`: the whole match when the pattern has no
    /// captures and `i` is 0 (`push_onecapture`).
    pub fn capture(&self, i: usize, start: usize, end: usize) -> Result<Capture<'a>, LuaError> {
        let Some(&(init, length)) = self.captures.get(i) else {
            return if i == 0 {
                Ok(Capture::Text(self.whole(start, end)))
            } else {
                Err(LuaError::runtime("invalid capture index"))
            };
        };
        match length {
            CaptureLength::Unfinished => Err(LuaError::runtime("unfinished capture")),
            CaptureLength::Position => Ok(Capture::Position(init + 1)),
            CaptureLength::Closed(len) => Ok(Capture::Text(&self.subject[init..init + len])),
        }
    }

    /// Every capture of the match (`push_captures`); with `whole` given, the whole match when
    /// the pattern has no captures (`string.match`), else none (`string.find`).
    pub fn captures(&self, whole: Option<(usize, usize)>) -> Result<Vec<Capture<'a>>, LuaError> {
        let count = match whole {
            Some(_) if self.captures.is_empty() => 1,
            _ => self.captures.len(),
        };
        let (start, end) = whole.unwrap_or((0, 0));
        (0..count).map(|i| self.capture(i, start, end)).collect()
    }

    /// `match`: one level of recursion, bounded.
    fn match_here(&mut self, s: usize, p: usize) -> Result<Option<usize>, LuaError> {
        if self.depth >= MAX_DEPTH {
            return Err(LuaError::runtime("pattern too complex"));
        }
        self.depth += 1;
        let result = self.match_items(s, p);
        self.depth -= 1;
        result
    }

    /// Matches the pattern from `p` at `s`, looping where Lua 5.1 jumps back to `init`.
    fn match_items(&mut self, mut s: usize, mut p: usize) -> Result<Option<usize>, LuaError> {
        let pattern = self.pattern;
        loop {
            let Some(&item) = pattern.get(p) else {
                return Ok(Some(s));
            };
            let next = pattern.get(p + 1).copied();
            match (item, next) {
                (b'(', Some(b')')) => return self.start_capture(s, p + 2, CaptureLength::Position),
                (b'(', _) => return self.start_capture(s, p + 1, CaptureLength::Unfinished),
                (b')', _) => return self.end_capture(s, p + 1),
                (b'$', None) => return Ok((s == self.subject.len()).then_some(s)),
                (b'%', Some(b'b')) => match self.match_balance(s, p + 2)? {
                    Some(end) => {
                        s = end;
                        p += 4;
                        continue;
                    }
                    None => return Ok(None),
                },
                (b'%', Some(b'f')) => {
                    p += 2;
                    if pattern.get(p) != Some(&b'[') {
                        return Err(LuaError::runtime("missing '[' after '%f' in pattern"));
                    }
                    let set_end = self.class_end(p)?;
                    let previous = if s == 0 { 0 } else { self.subject[s - 1] };
                    let current = self.subject.get(s).copied().unwrap_or(0);
                    if self.match_set(previous, p, set_end - 1)
                        || !self.match_set(current, p, set_end - 1)
                    {
                        return Ok(None);
                    }
                    p = set_end;
                    continue;
                }
                (b'%', Some(digit)) if digit.is_ascii_digit() => {
                    match self.match_back_reference(s, digit)? {
                        Some(end) => {
                            s = end;
                            p += 2;
                            continue;
                        }
                        None => return Ok(None),
                    }
                }
                _ => {}
            }
            let class_end = self.class_end(p)?;
            let matches =
                s < self.subject.len() && self.single_match(self.subject[s], p, class_end);
            match pattern.get(class_end) {
                Some(b'?') => {
                    if matches {
                        if let Some(end) = self.match_here(s + 1, class_end + 1)? {
                            return Ok(Some(end));
                        }
                    }
                    p = class_end + 1;
                }
                Some(b'*') => return self.max_expand(s, p, class_end),
                Some(b'+') if matches => return self.max_expand(s + 1, p, class_end),
                Some(b'+') => return Ok(None),
                Some(b'-') => return self.min_expand(s, p, class_end),
                _ if matches => {
                    s += 1;
                    p = class_end;
                }
                _ => return Ok(None),
            }
        }
    }

    /// Where the single-character class at `p` ends (`classEnd`).
    fn class_end(&self, p: usize) -> Result<usize, LuaError> {
        let pattern = self.pattern;
        let mut p = p + 1;
        match pattern[p - 1] {
            b'%' if p >= pattern.len() => {
                Err(LuaError::runtime("malformed pattern (ends with '%')"))
            }
            b'%' => Ok(p + 1),
            b'[' => {
                if pattern.get(p) == Some(&b'^') {
                    p += 1;
                }
                // The first byte of a set is never its end: "[]]" is the set of ']'.
                loop {
                    let Some(&byte) = pattern.get(p) else {
                        return Err(LuaError::runtime("malformed pattern (missing ']')"));
                    };
                    p += 1;
                    if byte == b'%' && p < pattern.len() {
                        p += 1;
                    }
                    if pattern.get(p) == Some(&b']') {
                        return Ok(p + 1);
                    }
                }
            }
            _ => Ok(p),
        }
    }

    /// Whether byte `c` is in the class `p..class_end` (`singlematch`).
    fn single_match(&self, c: u8, p: usize, class_end: usize) -> bool {
        match self.pattern[p] {
            b'.' => true,
            b'%' => match_class(c, self.pattern[p + 1]),
            b'[' => self.match_set(c, p, class_end - 1),
            literal => literal == c,
        }
    }

    /// Whether `c` is in the set from its `[` at `p` to its `]` at `close` (`matchbracketclass`).
    fn match_set(&self, c: u8, p: usize, close: usize) -> bool {
        let pattern = self.pattern;
        let mut p = p + 1;
        let included = pattern[p] != b'^';
        if !included {
            p += 1;
        }
        while p < close {
            if pattern[p] == b'%' {
                p += 1;
                if match_class(c, pattern[p]) {
                    return included;
                }
            } else if pattern[p + 1] == b'-' && p + 2 < close {
                if pattern[p] <= c && c <= pattern[p + 2] {
                    return included;
                }
                p += 2;
            } else if pattern[p] == c {
                return included;
            }
            p += 1;
        }
        !included
    }

    fn start_capture(
        &mut self,
        s: usize,
        p: usize,
        kind: CaptureLength,
    ) -> Result<Option<usize>, LuaError> {
        if self.captures.len() >= MAX_CAPTURES {
            return Err(LuaError::runtime("too many captures"));
        }
        self.captures.push((s, kind));
        let result = self.match_here(s, p)?;
        if result.is_none() {
            self.captures.pop();
        }
        Ok(result)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> Result<Option<usize>, LuaError> {
        let open = (self.captures.iter())
            .rposition(|(_, length)| matches!(length, CaptureLength::Unfinished))
            .ok_or_else(|| LuaError::runtime("invalid pattern capture"))?;
        let init = self.captures[open].0;
        self.captures[open].1 = CaptureLength::Closed(s - init);
        let result = self.match_here(s, p)?;
        if result.is_none() {
            self.captures[open].1 = CaptureLength::Unfinished;
        }
        Ok(result)
    }

    /// `%1`-`%9`: the text of a closed capture again (a position capture never matches).
    fn match_back_reference(&self, s: usize, digit: u8) -> Result<Option<usize>, LuaError> {
        let index = (digit as usize).wrapping_sub(b'1' as usize);
        match self.captures.get(index) {
            None | Some((_, CaptureLength::Unfinished)) => {
                Err(LuaError::runtime("invalid capture index"))
            }
            Some((_, CaptureLength::Position)) => Ok(None),
            Some(&(init, CaptureLength::Closed(len))) => {
                let repeated = &self.subject[init..init + len];
                Ok(self.subject[s..].starts_with(repeated).then_some(s + len))
            }
        }
    }

    /// `%bxy` at `s`: the end of the balanced `x...y` starting there.
    fn match_balance(&self, s: usize, p: usize) -> Result<Option<usize>, LuaError> {
        let (Some(&open), Some(&close)) = (self.pattern.get(p), self.pattern.get(p + 1)) else {
            return Err(LuaError::runtime("unbalanced pattern"));
        };
        if self.subject.get(s) != Some(&open) {
            return Ok(None);
        }
        let mut depth = 1;
        for (i, &byte) in self.subject.iter().enumerate().skip(s + 1) {
            if byte == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some(i + 1));
                }
            } else if byte == open {
                depth += 1;
            }
        }
        Ok(None)
    }

    /// `*` (and `+` after its first byte): the longest run, backing off until the rest matches.
    fn max_expand(
        &mut self,
        s: usize,
        p: usize,
        class_end: usize,
    ) -> Result<Option<usize>, LuaError> {
        let run = (self.subject[s..].iter())
            .take_while(|&&c| self.single_match(c, p, class_end))
            .count();
        for i in (0..=run).rev() {
            if let Some(end) = self.match_here(s + i, class_end + 1)? {
                return Ok(Some(end));
            }
        }
        Ok(None)
    }

    /// `-`: the shortest run after which the rest matches.
    fn min_expand(
        &mut self,
        mut s: usize,
        p: usize,
        class_end: usize,
    ) -> Result<Option<usize>, LuaError> {
        loop {
            if let Some(end) = self.match_here(s, class_end + 1)? {
                return Ok(Some(end));
            }
            if s < self.subject.len() && self.single_match(self.subject[s], p, class_end) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }
}

/// `%x` classes in the C locale (`match_class`); an upper-case letter is the complement, any
/// other character stands for itself (`%.` is a dot).
fn match_class(c: u8, class: u8) -> bool {
    let matches = match class.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c.is_ascii_control(),
        b'd' => c.is_ascii_digit(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        // C's isspace, which (unlike Rust's is_ascii_whitespace) includes \v.
        b's' => matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return class == c,
    };
    if class.is_ascii_uppercase() {
        !matches
    } else {
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `string.match`: the captures joined by `,` (positions as numbers), or `nil`.
    fn first_match(subject: &[u8], pattern: &[u8]) -> Result<String, String> {
        let mut matcher = Matcher::new(subject, pattern);
        let anchored = matcher.pattern().first() == Some(&b'^');
        for start in 0..=subject.len() {
            let found = matcher
                .match_at(start, anchored as usize)
                .map_err(|e| e.message())?;
            if let Some(end) = found {
                let captures = matcher
                    .captures(Some((start, end)))
                    .map_err(|e| e.message())?;
                let shown: Vec<String> = (captures.iter())
                    .map(|c| match c {
                        Capture::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        Capture::Position(p) => p.to_string(),
                    })
                    .collect();
                return Ok(shown.join(","));
            }
            if anchored {
                break;
            }
        }
        Ok("nil".into())
    }

    #[test]
    fn patterns_match_as_lua_5_1() {
        // Checked against redis-server 7.0.15's string.match.
        let cases: &[(&str, &str, &str)] = &[
            ("hello world", "%w+", "hello"),
            ("hello world", "(%w+) (%w+)", "hello,world"),
            ("key = value", "(%w+)%s*=%s*(%w+)", "key,value"),
            ("  trim  ", "^%s*(.-)%s*$", "trim"),
            ("2024-01-15", "(%d+)-(%d+)-(%d+)", "2024,01,15"),
            ("hello", "()ll()", "3,5"),
            ("hello", ".-l", "hel"),
            ("hello", ".*l", "hell"),
            ("hello", "l?lo", "llo"),
            ("hello", "x?h", "h"),
            ("THE (quick) fox", "%((%a+)%)", "quick"),
            ("f(a(b)c)d", "%b()", "(a(b)c)"),
            ("f(a(b)c", "%b()", "(b)"),
            ("hello world", "%f[%w]%w+$", "world"),
            ("abcabc", "(abc)%1", "abc"),
            ("abab", "(a)(b)%2", "nil"),
            ("abb", "(a)(b)%2", "a,b"),
            ("a]b", "[]]", "]"),
            ("a^b", "[%^]", "^"),
            ("a-b", "[a-]+", "a-"),
            ("x-z", "[%a-]+", "x-z"),
            ("hello123", "[^%d]+", "hello"),
            ("hello123", "[%D]+$", "nil"),
            ("a.b", "%.", "."),
            ("A1 b2", "%u%d", "A1"),
            ("\t\x0b x", "%s+", "\t\x0b "),
            ("!?", "%p+", "!?"),
            ("\x01\x02x", "%c+", "\x01\x02"),
            ("ff0Z", "%x+", "ff0"),
            ("abc", "%S+", "abc"),
            ("abc", "^(a)", "a"),
            ("abc", "^b", "nil"),
            ("abc", "c$", "c"),
            ("a$b", "a$b", "a$b"),
            ("abc", "", ""),
            ("abc", "()", "1"),
            ("aaa", "a-$", "aaa"),
            ("aaab", "a+b", "aaab"),
            ("b", "a*b", "b"),
            ("b", "a+b", "nil"),
            ("[[x]]", "%[(.-)%]", "[x"),
            ("x = 10", "(%a)%s*=%s*(%d+)", "x,10"),
            ("one;two", "([^;]*);(.*)", "one,two"),
            ("THE", "%l", "nil"),
            ("THE", "%L+", "THE"),
            ("a\0b", "a%zb", "a\0b"),
            ("a\0b", "%Z+", "a"),
            ("ab", "a\0b", "a"),
            ("hello", "[h-l]+", "h"),
            ("hello", "[^h-l]+", "e"),
            ("x123y", "%d%d?%d?%d?", "123"),
            ("path/to/file.txt", "([^/]+)$", "file.txt"),
            ("path/to/file.txt", "^(.*)/", "path/to"),
            ("file.tar.gz", "%.(%w+)$", "gz"),
            ("<<a>>", "%b<>", "<<a>>"),
            ("THE (quick) fox", "%f[%a]%a+%f[%A]", "THE"),
            ("  x", "%f[%S].", "x"),
            ("ab", "((%a)(%a))", "ab,a,b"),
            ("aXb", "%a%u%a", "aXb"),
            ("-12.5e3", "^[+-]?%d+%.?%d*[eE]?%d*$", "-12.5e3"),
        ];
        for (subject, pattern, expected) in cases {
            let got = first_match(subject.as_bytes(), pattern.as_bytes());
            assert_eq!(got.as_deref(), Ok(*expected), "{subject:?} {pattern:?}");
        }
    }

    #[test]
    fn malformed_patterns_fail_with_lua_messages() {
        let cases: &[(&str, &str)] = &[
            ("%1", "invalid capture index"),
            ("(a%1)", "invalid capture index"),
            ("(a", "unfinished capture"),
            ("a)", "invalid pattern capture"),
            ("%", "malformed pattern (ends with '%')"),
            ("[a", "malformed pattern (missing ']')"),
            ("[a%", "malformed pattern (missing ']')"),
            ("%b", "unbalanced pattern"),
            ("%f", "missing '[' after '%f' in pattern"),
            ("%fa", "missing '[' after '%f' in pattern"),
        ];
        for (pattern, expected) in cases {
            let got = first_match(b"abc", pattern.as_bytes());
            assert_eq!(got, Err(expected.to_string()), "{pattern:?}");
        }
        let many = "(".repeat(40);
        assert_eq!(
            first_match(b"x", many.as_bytes()),
            Err("too many captures".into())
        );
    }

    #[test]
    fn deep_patterns_fail_instead_of_overflowing() {
        // Each matched `x?` recurses once: 300 of them go past the bound.
        let deep = "x?".repeat(300);
        let subject = "x".repeat(300);
        let got = first_match(subject.as_bytes(), deep.as_bytes());
        assert_eq!(got, Err("pattern too complex".to_string()));
        let shallow = format!("{}{}", "a?".repeat(5), "a".repeat(5));
        assert_eq!(
            first_match(b"aaaaa", shallow.as_bytes()),
            Ok("aaaaa".to_string())
        );
    }

    #[test]
    fn specials_decide_plain_search() {
        assert!(!has_specials(b"hello world"));
        assert!(has_specials(b"a.b"));
        assert!(!has_specials(b"ab\0.c"));
    }
}
