//! Expressions: operator precedence (Lua 5.1's priority table, with `..` and `^` right
//! associative and unary operators binding tighter than everything but `^`), primary
//! expressions with their suffixes (fields, indexing, calls, method calls and the `f"str"` /
//! `f{...}` sugar), and table constructors (`subexpr`, `primaryexp`, `constructor` in
//! `lparser.c`).

use super::super::ast::{BinOp, Expr, Field, SlotHint, UnOp};
use super::super::lexer::{SyntaxError, Token};
use super::Parser;

/// The priority of unary operators: `-x^2` is `-(x^2)`, `-x*2` is `(-x)*2`.
const UNARY_PRIORITY: u8 = 8;

/// A binary operator and its (left, right) priorities: a right priority lower than the left
/// makes the operator right associative.
fn binary_operator(token: &Token) -> Option<(BinOp, u8, u8)> {
    Some(match token {
        Token::Char(b'+') => (BinOp::Add, 6, 6),
        Token::Char(b'-') => (BinOp::Sub, 6, 6),
        Token::Char(b'*') => (BinOp::Mul, 7, 7),
        Token::Char(b'/') => (BinOp::Div, 7, 7),
        Token::Char(b'%') => (BinOp::Mod, 7, 7),
        Token::Char(b'^') => (BinOp::Pow, 10, 9),
        Token::Concat => (BinOp::Concat, 5, 4),
        Token::Ne => (BinOp::Ne, 3, 3),
        Token::Eq => (BinOp::Eq, 3, 3),
        Token::Char(b'<') => (BinOp::Lt, 3, 3),
        Token::Le => (BinOp::Le, 3, 3),
        Token::Char(b'>') => (BinOp::Gt, 3, 3),
        Token::Ge => (BinOp::Ge, 3, 3),
        Token::And => (BinOp::And, 2, 2),
        Token::Or => (BinOp::Or, 1, 1),
        _ => return None,
    })
}

fn unary_operator(token: &Token) -> Option<UnOp> {
    match token {
        Token::Not => Some(UnOp::Not),
        Token::Char(b'-') => Some(UnOp::Neg),
        Token::Char(b'#') => Some(UnOp::Len),
        _ => None,
    }
}

/// `(e)` changes something only around an expression that can give several values (a call,
/// `...`): elsewhere the parentheses are dropped once the expression is known not to be an
/// assignment target.
fn drop_parens(expr: Expr) -> Expr {
    match expr {
        Expr::Paren(inner) if !is_multi_value(&inner) => *inner,
        other => other,
    }
}

fn is_multi_value(expr: &Expr) -> bool {
    matches!(expr, Expr::Call { .. } | Expr::Method { .. } | Expr::Vararg)
}

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.subexpr(0)
    }

    /// `e1, e2, ...` (at least one).
    pub(super) fn expr_list(&mut self) -> Result<Vec<Expr>, SyntaxError> {
        let mut exprs = vec![self.expr()?];
        while self.test_next(&Token::Char(b','))? {
            exprs.push(self.expr()?);
        }
        Ok(exprs)
    }

    /// An expression whose binary operators all have a left priority above `limit`.
    ///
    /// Each operator of a left-associative chain (`a + b + c`) nests the tree one level deeper,
    /// so it counts as a syntax level too: Lua's bytecode has no depth, but the interpreter
    /// walks (and Rust drops) this tree recursively.
    ///
    /// The functions on the recursive paths stay small, each step in a helper of its own:
    /// a debug build gives every temporary its own stack slot.
    fn subexpr(&mut self, limit: u8) -> Result<Expr, SyntaxError> {
        self.enter_level()?;
        let mut left = self.operand()?;
        let mut chain = 0;
        while let Some((op, left_priority, right_priority)) = binary_operator(&self.current.token) {
            if left_priority <= limit {
                break;
            }
            self.enter_level()?;
            chain += 1;
            left = self.binary(op, left, right_priority)?;
        }
        self.level -= chain;
        self.leave_level();
        Ok(left)
    }

    /// The right operand of `op` (the current token), and the node.
    fn binary(&mut self, op: BinOp, left: Expr, right_priority: u8) -> Result<Expr, SyntaxError> {
        self.advance()?;
        let right = Box::new(self.subexpr(right_priority)?);
        Ok(Expr::Binary {
            op,
            left: Box::new(left),
            right,
            line: self.last_line,
        })
    }

    /// A unary operation or a simple expression.
    fn operand(&mut self) -> Result<Expr, SyntaxError> {
        let Some(op) = unary_operator(&self.current.token) else {
            return self.simple_expr();
        };
        self.advance()?;
        let operand = self.subexpr(UNARY_PRIORITY)?;
        Ok(match (op, operand) {
            // `-1` is a constant, as Lua's constant folding makes it.
            (UnOp::Neg, Expr::Number(n)) => Expr::Number(-n),
            (op, operand) => Expr::Unary {
                op,
                operand: Box::new(operand),
                line: self.last_line,
            },
        })
    }

    /// Literals, `...`, constructors, `function`, or a primary expression (`simpleexp`).
    fn simple_expr(&mut self) -> Result<Expr, SyntaxError> {
        let expr = match &self.current.token {
            Token::Number(n) => Expr::Number(*n),
            Token::Str(s) => Expr::Str(s.clone()),
            Token::Nil => Expr::Nil,
            Token::True => Expr::True,
            Token::False => Expr::False,
            Token::Dots => {
                if !self.vararg_allowed() {
                    return Err(self.error("cannot use '...' outside a vararg function"));
                }
                Expr::Vararg
            }
            Token::Char(b'{') => return self.constructor(),
            Token::Function => return self.function_expr(),
            _ => return self.primary_expr().map(drop_parens),
        };
        self.advance()?;
        Ok(expr)
    }

    // Out of line, as `suffix` and `constructor`: an optimized build would otherwise inline
    // them into the frames of the recursion through `primary_expr`, widening every level.
    #[inline(never)]
    fn function_expr(&mut self) -> Result<Expr, SyntaxError> {
        self.advance()?;
        let proto = self.function_body(false, self.lexer.line)?;
        Ok(Expr::Function(proto))
    }

    /// A name or `(e)`, then any suffixes: `.name`, `[e]`, `:name args`, `args`
    /// (`primaryexp`). Parentheses around the whole are kept, so an assignment can refuse them.
    pub(super) fn primary_expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut expr = self.prefix_expr()?;
        // Like a chain of operators, a chain of suffixes nests the tree: count its levels.
        let mut chain = 0;
        while matches!(
            self.current.token,
            Token::Char(b'.' | b'[' | b':' | b'(' | b'{') | Token::Str(_)
        ) {
            self.enter_level()?;
            chain += 1;
            expr = self.suffix(drop_parens(expr))?;
        }
        self.level -= chain;
        Ok(expr)
    }

    fn prefix_expr(&mut self) -> Result<Expr, SyntaxError> {
        match &self.current.token {
            Token::Char(b'(') => self.parenthesized(),
            Token::Name(name) => {
                let name = name.clone();
                self.advance()?;
                self.variable(name)
            }
            _ => Err(self.error("unexpected symbol")),
        }
    }

    fn parenthesized(&mut self) -> Result<Expr, SyntaxError> {
        let line = self.lexer.line;
        self.advance()?;
        let inner = Box::new(self.subexpr(0)?);
        self.check_match(&Token::Char(b')'), &Token::Char(b'('), line)?;
        Ok(Expr::Paren(inner))
    }

    /// One suffix applied to `table`: a field, an index, a method call or a call.
    #[inline(never)]
    fn suffix(&mut self, table: Expr) -> Result<Expr, SyntaxError> {
        match self.current.token {
            Token::Char(b'.') => {
                self.advance()?;
                let key = Expr::Str(self.check_name()?);
                Ok(self.index(table, key))
            }
            Token::Char(b'[') => self.bracket_index(table),
            Token::Char(b':') => self.method_call(table),
            _ => self.call(table),
        }
    }

    fn bracket_index(&mut self, table: Expr) -> Result<Expr, SyntaxError> {
        self.advance()?;
        let key = self.subexpr(0)?;
        self.check_next(&Token::Char(b']'))?;
        Ok(self.index(table, key))
    }

    fn method_call(&mut self, object: Expr) -> Result<Expr, SyntaxError> {
        self.advance()?;
        let name = self.check_name()?;
        let (args, line) = self.call_args()?;
        Ok(Expr::Method {
            object: Box::new(object),
            name,
            args,
            line,
        })
    }

    fn call(&mut self, func: Expr) -> Result<Expr, SyntaxError> {
        let (args, line) = self.call_args()?;
        Ok(Expr::Call {
            func: Box::new(func),
            args,
            line,
        })
    }

    fn index(&self, table: Expr, key: Expr) -> Expr {
        Expr::Index {
            table: Box::new(table),
            key: Box::new(key),
            line: self.last_line,
            hint: SlotHint::default(),
        }
    }

    /// A call's arguments, `(e, ...)`, `"str"` or `{...}`, and the call's line (`funcargs`).
    fn call_args(&mut self) -> Result<(Vec<Expr>, u32), SyntaxError> {
        let line = self.lexer.line;
        let args = match &self.current.token {
            Token::Char(b'(') => self.parenthesized_args(line)?,
            Token::Char(b'{') => vec![self.constructor()?],
            Token::Str(s) => {
                let arg = Expr::Str(s.clone());
                self.advance()?;
                vec![arg]
            }
            _ => return Err(self.error("function arguments expected")),
        };
        Ok((args, line))
    }

    /// `(e1, e2)` of a call on `line`.
    fn parenthesized_args(&mut self, line: u32) -> Result<Vec<Expr>, SyntaxError> {
        // `f\n(g)()` could be one call or two statements: Lua refuses to guess.
        if line != self.last_line {
            return Err(self.error("ambiguous syntax (function call x new statement)"));
        }
        self.advance()?;
        let args = if self.at(&Token::Char(b')')) {
            Vec::new()
        } else {
            self.expr_list()?
        };
        self.check_match(&Token::Char(b')'), &Token::Char(b'('), line)?;
        Ok(args)
    }

    /// `{ e, name = e, [k] = e; ... }` (`constructor`).
    #[inline(never)]
    fn constructor(&mut self) -> Result<Expr, SyntaxError> {
        let line = self.lexer.line;
        self.check_next(&Token::Char(b'{'))?;
        let mut fields = Vec::new();
        while !self.at(&Token::Char(b'}')) {
            fields.push(self.field()?);
            if !(self.test_next(&Token::Char(b','))? || self.test_next(&Token::Char(b';'))?) {
                break;
            }
        }
        self.check_match(&Token::Char(b'}'), &Token::Char(b'{'), line)?;
        Ok(Expr::Table { fields, line })
    }

    /// One field of a constructor: `name = e` (told from an expression by the token after the
    /// name), `[k] = e`, or a positional `e`.
    fn field(&mut self) -> Result<Field, SyntaxError> {
        let key = self.field_key()?;
        let value = self.subexpr(0)?;
        Ok(match key {
            Some(key) => Field::Keyed(key, value),
            None => Field::Positional(value),
        })
    }

    /// The `name =` or `[k] =` of a keyed field, None before a positional one.
    fn field_key(&mut self) -> Result<Option<Expr>, SyntaxError> {
        match &self.current.token {
            Token::Name(name) => {
                let name = name.clone();
                if self.peek()? != &Token::Char(b'=') {
                    return Ok(None);
                }
                self.advance()?;
                self.advance()?;
                Ok(Some(Expr::Str(name)))
            }
            Token::Char(b'[') => {
                self.advance()?;
                let key = self.subexpr(0)?;
                self.check_next(&Token::Char(b']'))?;
                self.check_next(&Token::Char(b'='))?;
                Ok(Some(key))
            }
            _ => Ok(None),
        }
    }
}
