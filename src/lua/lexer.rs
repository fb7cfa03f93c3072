//! Lua 5.1's tokens. The [`Lexer`] reads one token at a time, when the parser asks for it, as
//! Lua's `llex.c` does: a lexical error further on is never reported before a syntax error that
//! comes first. It also owns the text of error messages (`user_script:1: ... near 'x'`), which
//! the parser shares, since both kinds print the lexer's current line.

use super::number;
use super::value::{LuaError, LuaStr};

/// A token. Single-character symbols (`+`, `(`, `#`, but also any stray byte such as `@`)
/// are [`Token::Char`], as in Lua, so the parser reports them as "unexpected symbol".
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Name(LuaStr),
    Str(LuaStr),
    Number(f64),
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    /// `..`
    Concat,
    /// `...`
    Dots,
    /// `==`
    Eq,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `~=`
    Ne,
    Char(u8),
    Eof,
}

const RESERVED: [(&[u8], Token); 21] = [
    (b"and", Token::And),
    (b"break", Token::Break),
    (b"do", Token::Do),
    (b"else", Token::Else),
    (b"elseif", Token::Elseif),
    (b"end", Token::End),
    (b"false", Token::False),
    (b"for", Token::For),
    (b"function", Token::Function),
    (b"if", Token::If),
    (b"in", Token::In),
    (b"local", Token::Local),
    (b"nil", Token::Nil),
    (b"not", Token::Not),
    (b"or", Token::Or),
    (b"repeat", Token::Repeat),
    (b"return", Token::Return),
    (b"then", Token::Then),
    (b"true", Token::True),
    (b"until", Token::Until),
    (b"while", Token::While),
];

impl Token {
    /// How an error names a kind of token (`luaX_token2str`): `'=' expected`, `'<name>'
    /// expected`, `near '<eof>'`. Control bytes print as `char(N)`.
    pub fn describe(&self) -> Vec<u8> {
        let text: &[u8] = match self {
            Token::Name(_) => b"<name>",
            Token::Str(_) => b"<string>",
            Token::Number(_) => b"<number>",
            Token::Concat => b"..",
            Token::Dots => b"...",
            Token::Eq => b"==",
            Token::Ge => b">=",
            Token::Le => b"<=",
            Token::Ne => b"~=",
            Token::Eof => b"<eof>",
            Token::Char(c) if c.is_ascii_control() => return format!("char({c})").into_bytes(),
            Token::Char(c) => return vec![*c],
            reserved => {
                let (word, _) = RESERVED
                    .iter()
                    .find(|(_, t)| t == reserved)
                    .expect("reserved");
                word
            }
        };
        text.to_vec()
    }
}

/// A token and where its text lies in the source (for the `near '...'` of errors).
#[derive(Debug, Clone)]
pub struct Lexed {
    pub token: Token,
    pub start: usize,
    pub end: usize,
}

/// A compile error, boxed: the parser recurses, and a one-pointer error keeps each of its
/// frames (full of `Result`s) small.
pub type SyntaxError = Box<LuaError>;

/// `{chunk}:{line}: {message}`, followed by ` near '{near}'` when a token is named: the form of
/// every Lua compile error (`luaX_lexerror`).
pub fn syntax_error(
    chunk_name: &str,
    line: u32,
    message: &[u8],
    near: Option<&[u8]>,
) -> SyntaxError {
    let mut text = format!("{chunk_name}:{line}: ").into_bytes();
    text.extend_from_slice(message);
    if let Some(near) = near {
        text.extend_from_slice(b" near '");
        text.extend_from_slice(near);
        text.push(b'\'');
    }
    Box::new(LuaError::syntax(text))
}

/// C's `isspace` in the "C" locale, which Lua's lexer uses.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_newline(c: Option<u8>) -> bool {
    matches!(c, Some(b'\n' | b'\r'))
}

fn is_name_char(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
}

pub struct Lexer<'a> {
    source: &'a [u8],
    pos: usize,
    /// The line the lexer is on (Lua's `linenumber`): the line every error message prints.
    pub line: u32,
    chunk_name: &'a str,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a [u8], chunk_name: &'a str) -> Lexer<'a> {
        Lexer {
            source,
            pos: 0,
            line: 1,
            chunk_name,
        }
    }

    pub fn chunk_name(&self) -> &'a str {
        self.chunk_name
    }

    /// The text an error shows for a token (`txtToken`): names, numbers and strings as read
    /// (a string with its delimiters and its escapes already decoded), other tokens by name.
    pub fn near_text(&self, lexed: &Lexed) -> Vec<u8> {
        match &lexed.token {
            Token::Name(_) | Token::Number(_) => self.source[lexed.start..lexed.end].to_vec(),
            Token::Str(value) => {
                let open = &self.source[lexed.start..];
                let delimiter_len = if open[0] == b'[' {
                    2 + open[1..].iter().take_while(|&&c| c == b'=').count()
                } else {
                    1
                };
                let mut text = open[..delimiter_len].to_vec();
                text.extend_from_slice(value.as_bytes());
                text.extend_from_slice(&self.source[lexed.end - delimiter_len..lexed.end]);
                text
            }
            other => other.describe(),
        }
    }

    fn current(&self) -> Option<u8> {
        self.source.get(self.pos).copied()
    }

    fn error(&self, message: &str, near: Option<&[u8]>) -> SyntaxError {
        syntax_error(self.chunk_name, self.line, message.as_bytes(), near)
    }

    /// Steps over `\n`, `\r`, `\r\n` or `\n\r` (`inclinenumber`).
    fn skip_newline(&mut self) {
        let first = self.current();
        self.pos += 1;
        if is_newline(self.current()) && self.current() != first {
            self.pos += 1;
        }
        self.line += 1;
    }

    /// Reads the next token.
    pub fn next_token(&mut self) -> Result<Lexed, SyntaxError> {
        loop {
            let start = self.pos;
            let token = match self.current() {
                None => Token::Eof,
                Some(b'\n' | b'\r') => {
                    self.skip_newline();
                    continue;
                }
                Some(c) if is_space(c) => {
                    self.pos += 1;
                    continue;
                }
                Some(b'-') if self.source.get(self.pos + 1) == Some(&b'-') => {
                    self.pos += 2;
                    self.skip_comment()?;
                    continue;
                }
                Some(b'[') => match self.skip_separator() {
                    Some(level) => Token::Str(self.read_long_string(level, true)?),
                    None if self.pos == start + 1 => Token::Char(b'['),
                    None => {
                        let near = &self.source[start..self.pos];
                        return Err(self.error("invalid long string delimiter", Some(near)));
                    }
                },
                Some(quote @ (b'"' | b'\'')) => Token::Str(self.read_string(quote)?),
                Some(b'.') => {
                    let next = self.source.get(self.pos + 1).copied();
                    if next.is_some_and(|c| c.is_ascii_digit()) {
                        self.read_numeral()?
                    } else if next == Some(b'.') {
                        if self.source.get(self.pos + 2) == Some(&b'.') {
                            self.pos += 3;
                            Token::Dots
                        } else {
                            self.pos += 2;
                            Token::Concat
                        }
                    } else {
                        self.pos += 1;
                        Token::Char(b'.')
                    }
                }
                Some(c) if c.is_ascii_digit() => self.read_numeral()?,
                Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.read_name(),
                Some(c) => {
                    self.pos += 1;
                    let doubled = match c {
                        b'=' => Some(Token::Eq),
                        b'<' => Some(Token::Le),
                        b'>' => Some(Token::Ge),
                        b'~' => Some(Token::Ne),
                        _ => None,
                    };
                    match doubled {
                        Some(token) if self.current() == Some(b'=') => {
                            self.pos += 1;
                            token
                        }
                        _ => Token::Char(c),
                    }
                }
            };
            return Ok(Lexed {
                token,
                start,
                end: self.pos,
            });
        }
    }

    /// After `--`: a long comment `--[==[ ... ]==]` or a comment to the end of the line.
    fn skip_comment(&mut self) -> Result<(), SyntaxError> {
        if self.current() == Some(b'[')
            && let Some(level) = self.skip_separator()
        {
            self.read_long_string(level, false)?;
            return Ok(());
        }
        while !is_newline(self.current()) && self.current().is_some() {
            self.pos += 1;
        }
        Ok(())
    }

    /// At a `[` or `]`: steps over it and the `=` that follow; the level (the number of `=`)
    /// when the same bracket comes next, None otherwise (`skip_sep`).
    fn skip_separator(&mut self) -> Option<usize> {
        let bracket = self.current();
        self.pos += 1;
        let mut level = 0;
        while self.current() == Some(b'=') {
            self.pos += 1;
            level += 1;
        }
        (self.current() == bracket).then_some(level)
    }

    /// The body of `[==[ ... ]==]`, positioned on its second `[`. A newline right after the
    /// opening bracket is not part of the string; every newline inside reads as `\n`.
    /// Comments (`keep` false) are skipped the same way, their text dropped.
    fn read_long_string(&mut self, level: usize, keep: bool) -> Result<LuaStr, SyntaxError> {
        self.pos += 1;
        if is_newline(self.current()) {
            self.skip_newline();
        }
        let mut text = Vec::new();
        loop {
            match self.current() {
                None => {
                    let what = if keep {
                        "unfinished long string"
                    } else {
                        "unfinished long comment"
                    };
                    return Err(self.error(what, Some(b"<eof>")));
                }
                Some(b']') => {
                    let bracket = self.pos;
                    if self.skip_separator() == Some(level) {
                        self.pos += 1;
                        return Ok(LuaStr::from(text));
                    }
                    if keep {
                        text.extend_from_slice(&self.source[bracket..self.pos]);
                    }
                }
                // Lua 5.1 is built with LUA_COMPAT_LSTR 1: `[[` inside `[[...]]` is an error.
                Some(b'[') => {
                    let bracket = self.pos;
                    let nested = self.skip_separator();
                    if nested == Some(level) && level == 0 {
                        self.pos += 1;
                        let message = "nesting of [[...]] is deprecated";
                        return Err(self.error(message, Some(b"[")));
                    }
                    if keep {
                        text.extend_from_slice(&self.source[bracket..self.pos]);
                    }
                }
                Some(b'\n' | b'\r') => {
                    self.skip_newline();
                    if keep {
                        text.push(b'\n');
                    }
                }
                Some(c) => {
                    self.pos += 1;
                    if keep {
                        text.push(c);
                    }
                }
            }
        }
    }

    /// A `"..."` or `'...'` string with its escapes (`read_string`). An error names the string
    /// read so far, opening quote included.
    fn read_string(&mut self, quote: u8) -> Result<LuaStr, SyntaxError> {
        self.pos += 1;
        let mut text = Vec::new();
        let near = |text: &[u8]| [&[quote], text].concat();
        loop {
            let c = match self.current() {
                None => return Err(self.error("unfinished string", Some(b"<eof>"))),
                Some(b'\n' | b'\r') => {
                    return Err(self.error("unfinished string", Some(&near(&text))));
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(LuaStr::from(text));
                }
                Some(c) => c,
            };
            self.pos += 1;
            if c != b'\\' {
                text.push(c);
                continue;
            }
            let escaped = match self.current() {
                // The next round reports the unfinished string.
                None => continue,
                Some(b'\n' | b'\r') => {
                    self.skip_newline();
                    text.push(b'\n');
                    continue;
                }
                Some(digit) if digit.is_ascii_digit() => {
                    let mut code = 0u32;
                    let mut digits = 0;
                    while digits < 3 && self.current().is_some_and(|c| c.is_ascii_digit()) {
                        code = code * 10 + u32::from(self.source[self.pos] - b'0');
                        self.pos += 1;
                        digits += 1;
                    }
                    match u8::try_from(code) {
                        Ok(byte) => text.push(byte),
                        Err(_) => {
                            let message = "escape sequence too large";
                            return Err(self.error(message, Some(&near(&text))));
                        }
                    }
                    continue;
                }
                Some(b'a') => 0x07,
                Some(b'b') => 0x08,
                Some(b'f') => 0x0c,
                Some(b'n') => b'\n',
                Some(b'r') => b'\r',
                Some(b't') => b'\t',
                Some(b'v') => 0x0b,
                // `\\`, `\"`, `\'`, and any other byte stands for itself.
                Some(other) => other,
            };
            self.pos += 1;
            text.push(escaped);
        }
    }

    /// A numeral, as loosely as Lua reads one (`read_numeral`): digits and dots, an optional
    /// exponent sign, then any letters, digits and `_`; `number::parse` then decides whether
    /// the whole is a number ("malformed number near '3x'").
    fn read_numeral(&mut self) -> Result<Token, SyntaxError> {
        let start = self.pos;
        while self
            .current()
            .is_some_and(|c| c.is_ascii_digit() || c == b'.')
        {
            self.pos += 1;
        }
        if matches!(self.current(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.current(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
        }
        while is_name_char(self.current()) {
            self.pos += 1;
        }
        let text = &self.source[start..self.pos];
        match number::parse(text) {
            Some(n) => Ok(Token::Number(n)),
            None => Err(self.error("malformed number", Some(text))),
        }
    }

    fn read_name(&mut self) -> Token {
        let start = self.pos;
        while is_name_char(self.current()) {
            self.pos += 1;
        }
        let word = &self.source[start..self.pos];
        match RESERVED.iter().find(|(w, _)| *w == word) {
            Some((_, token)) => token.clone(),
            None => Token::Name(LuaStr::from(word)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(source: &str) -> Vec<Token> {
        let mut lexer = Lexer::new(source.as_bytes(), "t");
        let mut out = Vec::new();
        loop {
            match lexer.next_token().unwrap().token {
                Token::Eof => return out,
                token => out.push(token),
            }
        }
    }

    fn error(source: &str) -> String {
        let mut lexer = Lexer::new(source.as_bytes(), "user_script");
        loop {
            match lexer.next_token() {
                Ok(Lexed {
                    token: Token::Eof, ..
                }) => panic!("no error in {source:?}"),
                Ok(_) => {}
                Err(e) => return e.message(),
            }
        }
    }

    fn s(text: &str) -> Token {
        Token::Str(LuaStr::from(text))
    }

    #[test]
    fn symbols_words_and_names() {
        assert_eq!(
            tokens("a.b:c(...) .. x == y ~= z <= >= < > = ~ # [ ] ;"),
            vec![
                Token::Name("a".into()),
                Token::Char(b'.'),
                Token::Name("b".into()),
                Token::Char(b':'),
                Token::Name("c".into()),
                Token::Char(b'('),
                Token::Dots,
                Token::Char(b')'),
                Token::Concat,
                Token::Name("x".into()),
                Token::Eq,
                Token::Name("y".into()),
                Token::Ne,
                Token::Name("z".into()),
                Token::Le,
                Token::Ge,
                Token::Char(b'<'),
                Token::Char(b'>'),
                Token::Char(b'='),
                Token::Char(b'~'),
                Token::Char(b'#'),
                Token::Char(b'['),
                Token::Char(b']'),
                Token::Char(b';'),
            ]
        );
        assert_eq!(
            tokens("local function_ end_x nil"),
            vec![
                Token::Local,
                Token::Name("function_".into()),
                Token::Name("end_x".into()),
                Token::Nil
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            tokens("3 3.0 3e2 .5 1E-2 5e+1"),
            vec![
                Token::Number(3.0),
                Token::Number(3.0),
                Token::Number(300.0),
                Token::Number(0.5),
                Token::Number(0.01),
                Token::Number(50.0),
            ]
        );
        assert_eq!(error("x = 3x"), "user_script:1: malformed number near '3x'");
        assert_eq!(error("3..2"), "user_script:1: malformed number near '3..2'");
    }

    #[test]
    fn hexadecimal_numbers() {
        assert_eq!(
            tokens("0xff 0X10"),
            vec![Token::Number(255.0), Token::Number(16.0)]
        );
    }

    #[test]
    fn short_strings_and_escapes() {
        assert_eq!(
            tokens(r#""a\n\t\\\"\'" 'x"y' "\65\066\0677" "\q" "\z""#),
            vec![s("a\n\t\\\"'"), s("x\"y"), s("ABC7"), s("q"), s("z")]
        );
        assert_eq!(tokens("\"a\\\nb\""), vec![s("a\nb")]);
        assert_eq!(
            tokens(r#""\0""#),
            vec![Token::Str(LuaStr::from(&[0u8][..]))]
        );
        assert_eq!(
            tokens(r#""\255""#),
            vec![Token::Str(LuaStr::from(&[255u8][..]))]
        );
    }

    #[test]
    fn long_strings_and_comments() {
        assert_eq!(tokens("[[\nab\r\nc]]"), vec![s("ab\nc")]);
        assert_eq!(tokens("[==[a]]b]=]c]==]"), vec![s("a]]b]=]c")]);
        assert_eq!(tokens("[=[a[[b]=]"), vec![s("a[[b")]);
        assert_eq!(tokens("-- line\nx --[[ long\n ]] y --[==[ ]] ]==] z"), {
            vec![
                Token::Name("x".into()),
                Token::Name("y".into()),
                Token::Name("z".into()),
            ]
        });
        assert_eq!(tokens("--[= not long\nx"), vec![Token::Name("x".into())]);
    }

    #[test]
    fn lines_are_counted_across_all_newline_forms() {
        let mut lexer = Lexer::new(b"a\nb\r\nc\n\rd\re [[\n\n]] --[[\n]]f", "t");
        let mut lines = Vec::new();
        while lexer.next_token().unwrap().token != Token::Eof {
            lines.push(lexer.line);
        }
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 7, 8]);
    }

    #[test]
    fn lexical_errors() {
        assert_eq!(
            error("x = \"abc\nd\""),
            "user_script:1: unfinished string near '\"abc'"
        );
        assert_eq!(
            error("x = 'abc"),
            "user_script:1: unfinished string near '<eof>'"
        );
        assert_eq!(
            error("x = \"a\\"),
            "user_script:1: unfinished string near '<eof>'"
        );
        assert_eq!(
            error("x = \"a\\300\""),
            "user_script:1: escape sequence too large near '\"a'"
        );
        assert_eq!(
            error("x = [[abc"),
            "user_script:1: unfinished long string near '<eof>'"
        );
        assert_eq!(
            error("\n--[[abc"),
            "user_script:2: unfinished long comment near '<eof>'"
        );
        assert_eq!(
            error("x = [==x"),
            "user_script:1: invalid long string delimiter near '[=='"
        );
        assert_eq!(
            error("x = [[a [[ b]]"),
            "user_script:1: nesting of [[...]] is deprecated near '['"
        );
    }

    #[test]
    fn near_text_shows_decoded_strings_with_delimiters() {
        let source = br#"'a\65' [==[x]==] 12e3 name"#;
        let mut lexer = Lexer::new(source, "t");
        let mut texts = Vec::new();
        loop {
            let lexed = lexer.next_token().unwrap();
            if lexed.token == Token::Eof {
                break;
            }
            texts.push(String::from_utf8(lexer.near_text(&lexed)).unwrap());
        }
        assert_eq!(texts, vec!["'aA'", "[==[x]==]", "12e3", "name"]);
        assert_eq!(Token::Char(1).describe(), b"char(1)");
        assert_eq!(Token::Function.describe(), b"function");
    }
}
