//! Lua 5.1's grammar, to the resolved tree of [`super::ast`], in one pass as `lparser.c` does:
//! this file holds the entry point, the token cursor, the error messages and the nesting
//! limit; [`stat`] the statements and function bodies, [`expr`] the expressions (precedence,
//! calls, table constructors), [`scope`] name resolution (locals, upvalues, globals) and the
//! limits on locals and upvalues.
//!
//! Errors are Lua's, word for word (`user_script:1: '=' expected near 'x'`), because Redis
//! shows them to clients. The parser recurses, so nesting is bounded as in Lua ("chunk has too
//! many syntax levels" past 200 levels) and, where Lua has no bound, by how much stack the
//! parser has used ([`STACK_BUDGET`]) and by counting each operator of a chain `a + b + c` and
//! each suffix of `a.b.c()` as a level: no input can exhaust a connection thread's stack, and
//! no tree is too deep for the interpreter to walk or for Rust to drop.

mod expr;
mod scope;
mod stat;

use std::rc::Rc;

use super::ast::Proto;
use super::lexer::{Lexed, Lexer, SyntaxError, Token, syntax_error};
use super::value::{LuaError, LuaStr};
use scope::FunctionState;

/// `LUAI_MAXCCALLS`: how deeply blocks and expressions may nest.
const MAX_LEVELS: usize = 200;

/// How much stack the parser may use below the frame of [`parse`]. It recurses once or more
/// per syntax level: an optimized build reaches [`MAX_LEVELS`] within this bound (about 200 KiB
/// for 200 nested table constructors, the widest case), a debug build, whose frames are three
/// to five times larger, may reach this bound first. Either way the answer is Lua's "chunk has
/// too many syntax levels", never a stack overflow, on any thread with this much stack to
/// spare: connection threads have 4 MiB (`server::CLIENT_STACK`), other threads Rust's 2 MiB.
const STACK_BUDGET: usize = 256 * 1024;

/// An address in the current frame, to measure how deep the recursion went.
#[inline(always)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Parses a chunk. `chunk_name` is how errors name it (`user_script`).
pub fn parse(source: &[u8], chunk_name: &str) -> Result<Proto, LuaError> {
    parse_chunk(source, chunk_name).map_err(|error| *error)
}

fn parse_chunk(source: &[u8], chunk_name: &str) -> Result<Proto, SyntaxError> {
    let mut lexer = Lexer::new(source, chunk_name);
    let current = lexer.next_token()?;
    let mut parser = Parser {
        lexer,
        current,
        lookahead: None,
        last_line: 1,
        level: 0,
        stack_base: stack_address(),
        functions: vec![FunctionState::new(0, true)],
        source: Rc::from(chunk_name),
    };
    let body = parser.chunk()?;
    parser.check(&Token::Eof)?;
    let main = parser.functions.pop().expect("the main function");
    Ok(main.into_proto(parser.source.clone(), 0, body))
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    current: Lexed,
    /// The token after `current`, when the parser had to look (`{ name = ...`).
    lookahead: Option<Lexed>,
    /// The line of the last token consumed (Lua's `lastline`): nodes take the line where
    /// Lua's compiler would emit their instruction, and a call's `(` on a new line is ambiguous.
    last_line: u32,
    /// Nesting depth (Lua's `nCcalls` while parsing), bounded by [`MAX_LEVELS`].
    level: usize,
    /// [`stack_address`] when parsing began.
    stack_base: usize,
    /// The functions being compiled: the chunk first, the innermost last.
    functions: Vec<FunctionState>,
    source: Rc<str>,
}

/// Whether a token ends a block (`block_follow`).
fn ends_block(token: &Token) -> bool {
    matches!(
        token,
        Token::Else | Token::Elseif | Token::End | Token::Until | Token::Eof
    )
}

impl<'a> Parser<'a> {
    // ----- the token cursor -----

    fn advance(&mut self) -> Result<(), SyntaxError> {
        self.last_line = self.lexer.line;
        self.current = match self.lookahead.take() {
            Some(lexed) => lexed,
            None => self.lexer.next_token()?,
        };
        Ok(())
    }

    /// The token after the current one.
    fn peek(&mut self) -> Result<&Token, SyntaxError> {
        if self.lookahead.is_none() {
            self.lookahead = Some(self.lexer.next_token()?);
        }
        Ok(&self.lookahead.as_ref().expect("just read").token)
    }

    fn at(&self, token: &Token) -> bool {
        &self.current.token == token
    }

    /// Consumes the current token if it is `token`.
    fn test_next(&mut self, token: &Token) -> Result<bool, SyntaxError> {
        if self.at(token) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn check(&self, token: &Token) -> Result<(), SyntaxError> {
        if self.at(token) {
            return Ok(());
        }
        Err(self.error_expected(token))
    }

    fn check_next(&mut self, token: &Token) -> Result<(), SyntaxError> {
        self.check(token)?;
        self.advance()
    }

    /// The closing token of a construct opened at `line`: the error names the opener when
    /// it is on another line (`'end' expected (to close 'function' at line 1) near '<eof>'`).
    fn check_match(&mut self, what: &Token, who: &Token, line: u32) -> Result<(), SyntaxError> {
        if self.test_next(what)? {
            return Ok(());
        }
        if line == self.lexer.line {
            return Err(self.error_expected(what));
        }
        let mut message = b"'".to_vec();
        message.extend(what.describe());
        message.extend_from_slice(b"' expected (to close '");
        message.extend(who.describe());
        message.extend(format!("' at line {line})").into_bytes());
        Err(self.error_bytes(&message))
    }

    fn check_name(&mut self) -> Result<LuaStr, SyntaxError> {
        let Token::Name(name) = &self.current.token else {
            return Err(self.error_expected(&Token::Name(LuaStr::from(""))));
        };
        let name = name.clone();
        self.advance()?;
        Ok(name)
    }

    // ----- errors -----

    /// A syntax error at the current token (`luaX_syntaxerror`).
    fn error(&self, message: &str) -> SyntaxError {
        self.error_bytes(message.as_bytes())
    }

    fn error_bytes(&self, message: &[u8]) -> SyntaxError {
        // A NUL byte is token 0 to Lua's lexer, which `luaX_lexerror` takes for "no token".
        let near = match self.current.token {
            Token::Char(0) => None,
            _ => Some(self.lexer.near_text(&self.current)),
        };
        let (chunk_name, line) = (self.lexer.chunk_name(), self.lexer.line);
        syntax_error(chunk_name, line, message, near.as_deref())
    }

    /// An error that names no token: the limits.
    fn error_without_token(&self, message: &str) -> SyntaxError {
        syntax_error(
            self.lexer.chunk_name(),
            self.lexer.line,
            message.as_bytes(),
            None,
        )
    }

    fn error_expected(&self, token: &Token) -> SyntaxError {
        let mut message = b"'".to_vec();
        message.extend(token.describe());
        message.extend_from_slice(b"' expected");
        self.error_bytes(&message)
    }

    /// One more level of nesting (`enterlevel`); [`Self::leave_level`] undoes it.
    fn enter_level(&mut self) -> Result<(), SyntaxError> {
        self.level += 1;
        if self.level > MAX_LEVELS || self.stack_base.abs_diff(stack_address()) > STACK_BUDGET {
            return Err(self.error_without_token("chunk has too many syntax levels"));
        }
        Ok(())
    }

    fn leave_level(&mut self) {
        self.level -= 1;
    }

    fn vararg_allowed(&self) -> bool {
        self.functions.last().is_some_and(|f| f.is_vararg)
    }
}

#[cfg(test)]
mod tests;
