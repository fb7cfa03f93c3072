//! The compiled form of a Lua program: a tree whose variables are already resolved. The parser
//! (`parser.rs`) builds it in one pass, as Lua's own compiler does, deciding for every name
//! whether it is a local of the running function (a slot in its frame), an upvalue (a local of
//! an enclosing function, captured) or a global (a field of the globals table). The interpreter
//! (`interp.rs`) then walks the tree without ever looking a name up.
//!
//! Why a resolved tree and not bytecode: it reads like the source, each node is one rule of
//! the language's semantics, and slot resolution removes the cost that makes naive tree walkers
//! slow (a map lookup per variable).

use std::cell::Cell;
use std::rc::Rc;

use super::value::LuaStr;

/// Where a field with a constant name (`math`, `floor` in `math.floor`) was found the last
/// time this node ran: its slot in the table's hash part. The next lookup tries that slot
/// first and checks its key, so a stale hint (another table, a key moved) only costs the
/// check; a right one saves the hashing and probing (callgrind: ~200 instructions of each
/// lookup of a name in the globals or in a library, two per `math.floor(x)`).
#[derive(Debug, Default)]
pub struct SlotHint(Cell<u32>);

impl SlotHint {
    pub fn get(&self) -> usize {
        self.0.get() as usize
    }

    pub fn set(&self, slot: usize) {
        self.0.set(u32::try_from(slot).unwrap_or(u32::MAX));
    }
}

/// A function's prototype: what the parser knows about a `function ... end` (or a whole chunk,
/// which is a vararg function with no parameters).
#[derive(Debug)]
pub struct Proto {
    /// The chunk's name as errors print it (`user_script` for Redis's scripts).
    pub source: Rc<str>,
    /// The line of `function` (0 for a chunk).
    pub line: u32,
    /// Parameters occupy the slots `0..num_params`.
    pub num_params: usize,
    pub is_vararg: bool,
    /// Every local declaration in the function has a slot of its own (slots are not reused
    /// between scopes), so `slot_names[slot]` and `captured[slot]` describe one variable.
    pub num_slots: usize,
    pub slot_names: Vec<LuaStr>,
    /// Whether a closure captures the local in that slot: the interpreter keeps those in shared
    /// cells (a fresh one each time the declaration runs, so each loop iteration's closures see
    /// their own variable), and the others as plain values.
    pub captured: Vec<bool>,
    /// Where each upvalue comes from when a closure of this prototype is made.
    pub upvalues: Vec<UpvalueSource>,
    pub upvalue_names: Vec<LuaStr>,
    pub body: Block,
}

#[derive(Debug, Clone, Copy)]
pub enum UpvalueSource {
    /// A local slot of the enclosing function (captured).
    ParentLocal(usize),
    /// An upvalue of the enclosing function.
    ParentUpvalue(usize),
}

pub type Block = Vec<Stat>;

/// The 1-based source line of a node, for error messages.
pub type Line = u32;

#[derive(Debug)]
pub enum Stat {
    /// `local a, b = e1, e2`: each target slot gets its value (multiple results of a last call
    /// expanded, missing values nil).
    Local {
        slots: Vec<usize>,
        values: Vec<Expr>,
        line: Line,
    },
    /// `a, t.x = e1, e2`: all values are evaluated before any assignment.
    Assign {
        targets: Vec<Target>,
        values: Vec<Expr>,
        line: Line,
    },
    /// A function call as a statement (its results dropped). Always an `Expr::Call` or
    /// `Expr::Method`.
    Call(Expr),
    Do(Block),
    While {
        cond: Expr,
        body: Block,
    },
    /// The condition is inside the body's scope (it may read the body's locals).
    Repeat {
        body: Block,
        cond: Expr,
    },
    If {
        branches: Vec<(Expr, Block)>,
        otherwise: Option<Block>,
    },
    /// `for v = start, limit, step do`: `slot` is the visible loop variable.
    NumericFor {
        slot: usize,
        start: Expr,
        limit: Expr,
        step: Option<Expr>,
        body: Block,
        line: Line,
    },
    /// `for k, v in explist do`.
    GenericFor {
        slots: Vec<usize>,
        exprs: Vec<Expr>,
        body: Block,
        line: Line,
    },
    /// `local function f`: the slot is in scope inside the function (it may recurse).
    LocalFunction {
        slot: usize,
        proto: Rc<Proto>,
    },
    /// `return e1, e2`: a single call in return position is a tail call.
    Return {
        values: Vec<Expr>,
        line: Line,
    },
    Break,
}

#[derive(Debug)]
pub enum Target {
    Local(usize),
    Upvalue(usize),
    Global(LuaStr),
    Index { table: Expr, key: Expr, line: Line },
}

#[derive(Debug)]
pub enum Expr {
    Nil,
    True,
    False,
    Number(f64),
    Str(LuaStr),
    /// `...`: all the varargs where multiple values fit, the first elsewhere.
    Vararg,
    /// `function ... end`: a closure is made each time this is evaluated.
    Function(Rc<Proto>),
    Local(usize),
    Upvalue(usize),
    Global(LuaStr, SlotHint),
    /// `t[k]`, `t.k` (the hint serves a constant string key).
    Index {
        table: Box<Expr>,
        key: Box<Expr>,
        line: Line,
        hint: SlotHint,
    },
    /// `f(args)`, `f"str"`, `f{table}`.
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        line: Line,
    },
    /// `obj:name(args)`: `obj` is evaluated once and passed first.
    Method {
        object: Box<Expr>,
        name: LuaStr,
        args: Vec<Expr>,
        line: Line,
    },
    /// `and`, `or` short-circuit; the other operators evaluate both sides, left first.
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
        line: Line,
    },
    Unary {
        op: UnOp,
        operand: Box<Expr>,
        line: Line,
    },
    /// `{...}`: fields in source order; a positional last field that is a call or `...`
    /// expands to all its values.
    Table {
        fields: Vec<Field>,
        line: Line,
    },
    /// `(e)`: one value, even of a call or `...`. The parser keeps it only around those: around
    /// anything else parentheses change nothing.
    Paren(Box<Expr>),
}

#[derive(Debug)]
pub enum Field {
    Positional(Expr),
    Keyed(Expr, Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Len,
}
