//! The parser's unit tests: the tree's shape (precedence, sugar), name resolution, every error
//! message, the nesting limits on a small stack, random input, and small programs run.

use super::super::ast::{BinOp, Expr, Field, Proto, Stat, Target, UnOp, UpvalueSource};
use super::parse;

fn parse_ok(source: &str) -> Proto {
    match parse(source.as_bytes(), "user_script") {
        Ok(proto) => proto,
        Err(e) => panic!("{source:?}: {}", e.message()),
    }
}

fn error(source: &str) -> String {
    match parse(source.as_bytes(), "user_script") {
        Ok(_) => panic!("{source:?} parsed"),
        Err(e) => {
            assert_eq!(e.kind, super::super::value::ErrorKind::Syntax);
            e.message()
        }
    }
}

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Mod => "%",
        BinOp::Pow => "^",
        BinOp::Concat => "..",
        BinOp::Eq => "==",
        BinOp::Ne => "~=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::And => "and",
        BinOp::Or => "or",
    }
}

/// An expression as an S-expression: locals `L0`, upvalues `U0`, globals by name.
fn show(expr: &Expr) -> String {
    let list = |exprs: &[Expr]| exprs.iter().map(show).collect::<Vec<_>>().join(" ");
    match expr {
        Expr::Nil => "nil".into(),
        Expr::True => "true".into(),
        Expr::False => "false".into(),
        Expr::Number(n) => format!("{n}"),
        Expr::Str(s) => format!("{s:?}"),
        Expr::Vararg => "...".into(),
        Expr::Function(p) => format!("(function {})", p.num_params),
        Expr::Local(slot) => format!("L{slot}"),
        Expr::Upvalue(index) => format!("U{index}"),
        Expr::Global(name, _) => String::from_utf8_lossy(name.as_bytes()).into_owned(),
        Expr::Index { table, key, .. } => format!("(idx {} {})", show(table), show(key)),
        Expr::Call { func, args, .. } => format!("(call {} [{}])", show(func), list(args)),
        Expr::Method {
            object, name, args, ..
        } => format!("(method {} {name:?} [{}])", show(object), list(args)),
        Expr::Binary {
            op, left, right, ..
        } => format!("({} {} {})", op_name(*op), show(left), show(right)),
        Expr::Unary { op, operand, .. } => {
            let name = match op {
                UnOp::Neg => "neg",
                UnOp::Not => "not",
                UnOp::Len => "len",
            };
            format!("({name} {})", show(operand))
        }
        Expr::Table { fields, .. } => {
            let fields: Vec<String> = fields
                .iter()
                .map(|field| match field {
                    Field::Positional(e) => show(e),
                    Field::Keyed(k, v) => format!("{}={}", show(k), show(v)),
                })
                .collect();
            format!("{{{}}}", fields.join(" "))
        }
        Expr::Paren(inner) => format!("(paren {})", show(inner)),
    }
}

/// The values of the chunk's final `return`.
fn returned(source: &str) -> String {
    let proto = parse_ok(source);
    match proto.body.last() {
        Some(Stat::Return { values, .. }) => values.iter().map(show).collect::<Vec<_>>().join(", "),
        other => panic!("no return: {other:?}"),
    }
}

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("return 1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("return a - b - c", "(- (- a b) c)"),
        ("return a .. b .. c", "(.. a (.. b c))"),
        ("return 2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
        ("return -x ^ 2", "(neg (^ x 2))"),
        ("return -2 ^ 2", "(neg (^ 2 2))"),
        ("return -x * 2", "(* (neg x) 2)"),
        ("return -2", "-2"),
        ("return - -2", "2"),
        ("return not a == b", "(== (not a) b)"),
        ("return a or b and c", "(or a (and b c))"),
        ("return a and b or c", "(or (and a b) c)"),
        ("return a < b == c > d", "(> (== (< a b) c) d)"),
        ("return #t + 1 .. x", "(.. (+ (len t) 1) x)"),
        ("return a + b .. c * d", "(.. (+ a b) (* c d))"),
        ("return 1 .. 2 ^ -3", "(.. 1 (^ 2 -3))"),
        ("return a ~= b <= c >= d", "(>= (<= (~= a b) c) d)"),
        ("return x % y / z", "(/ (% x y) z)"),
        ("return (a + b) * c", "(* (+ a b) c)"),
        ("return not not x", "(not (not x))"),
    ];
    for (source, tree) in cases {
        assert_eq!(returned(source), tree, "{source}");
    }
}

#[test]
fn literals() {
    assert_eq!(
        returned("return nil, true, false, 3, 0.5, 'a', [[b]], ..."),
        "nil, true, false, 3, 0.5, \"a\", \"b\", ..."
    );
    assert_eq!(
        returned("return {1, x = 2, [3] = 4; f(), 'y'}"),
        "{1 \"x\"=2 3=4 (call f []) \"y\"}"
    );
    assert_eq!(returned("return {}, {x}, {x = y, }"), "{}, {x}, {\"x\"=y}");
}

#[test]
fn calls_methods_and_sugar() {
    let cases = [
        ("return f(1, 2)", "(call f [1 2])"),
        ("return f 'str'", "(call f [\"str\"])"),
        ("return f[[long]]", "(call f [\"long\"])"),
        ("return f{1}", "(call f [{1}])"),
        ("return o:m(1)", "(method o \"m\" [1])"),
        ("return o:m'x'", "(method o \"m\" [\"x\"])"),
        ("return o:m{}", "(method o \"m\" [{}])"),
        ("return a.b.c", "(idx (idx a \"b\") \"c\")"),
        ("return a[b][1]", "(idx (idx a b) 1)"),
        ("return f()()", "(call (call f []) [])"),
        ("return (f())", "(paren (call f []))"),
        ("return (...)", "(paren ...)"),
        ("return ((f()))", "(paren (call f []))"),
        ("return (x), (x).y", "x, (idx x \"y\")"),
        ("return ('s'):upper()", "(method \"s\" \"upper\" [])"),
        (
            "return a.b:c(d).e",
            "(idx (method (idx a \"b\") \"c\" [d]) \"e\")",
        ),
    ];
    for (source, tree) in cases {
        assert_eq!(returned(source), tree, "{source}");
    }
}

#[test]
fn statements() {
    let proto = parse_ok(
        "local a, b = 1\n\
         a, t.x, t[a] = f()\n\
         f(a)\n\
         o:m()\n\
         do local c end\n\
         while a do break end\n\
         repeat local d until d\n\
         if a then elseif b then else end\n\
         for i = 1, 10, 2 do end\n\
         for k, v in pairs(t) do end\n\
         function g() end\n\
         function t.x.y:z() end\n\
         local function h() return h end\n\
         ;\n return",
    );
    let kinds: Vec<&str> = proto
        .body
        .iter()
        .map(|stat| match stat {
            Stat::Local { .. } => "local",
            Stat::Assign { .. } => "assign",
            Stat::Call(_) => "call",
            Stat::Do(_) => "do",
            Stat::While { .. } => "while",
            Stat::Repeat { .. } => "repeat",
            Stat::If { .. } => "if",
            Stat::NumericFor { .. } => "fornum",
            Stat::GenericFor { .. } => "forin",
            Stat::LocalFunction { .. } => "localfunction",
            Stat::Return { .. } => "return",
            Stat::Break => "break",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "local",
            "assign",
            "call",
            "call",
            "do",
            "while",
            "repeat",
            "if",
            "fornum",
            "forin",
            "assign",
            "assign",
            "localfunction",
            "return"
        ]
    );
    let Stat::Assign {
        targets, values, ..
    } = &proto.body[1]
    else {
        panic!()
    };
    assert!(matches!(targets[0], Target::Local(0)));
    assert!(matches!(
        &targets[1],
        Target::Index {
            table: Expr::Global(..),
            ..
        }
    ));
    assert!(matches!(
        &targets[2],
        Target::Index {
            key: Expr::Local(0),
            ..
        }
    ));
    assert_eq!(values.len(), 1);
    // `function t.x.y:z()` assigns t.x.y.z a function whose first parameter is `self`.
    let Stat::Assign {
        targets, values, ..
    } = &proto.body[11]
    else {
        panic!()
    };
    let Target::Index { table, key, .. } = &targets[0] else {
        panic!()
    };
    assert_eq!(show(table), "(idx (idx t \"x\") \"y\")");
    assert_eq!(show(key), "\"z\"");
    let Expr::Function(method) = &values[0] else {
        panic!()
    };
    assert_eq!(method.num_params, 1);
    assert_eq!(method.slot_names[0].as_bytes(), b"self");
    assert_eq!(method.line, 12);
    // `local function h` sees itself as a local of the chunk, so `h` inside is an upvalue.
    let Stat::LocalFunction { slot, proto: h } = &proto.body[12] else {
        panic!()
    };
    assert!(proto.captured[*slot]);
    assert!(matches!(h.upvalues[..], [UpvalueSource::ParentLocal(s)] if s == *slot));
}

#[test]
fn every_declaration_has_its_own_slot() {
    let proto = parse_ok("local x = 1 local x = x do local x end for x = 1, 2 do end return x");
    let names: Vec<_> = proto
        .slot_names
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    assert_eq!(names, vec![b"x".to_vec(); 4]);
    assert_eq!(proto.num_slots, 4);
    // The second `local x = x` reads the first; the final `x` is the second.
    let Stat::Local { slots, values, .. } = &proto.body[1] else {
        panic!()
    };
    assert_eq!(slots, &[1]);
    assert_eq!(show(&values[0]), "L0");
    assert_eq!(
        returned("local x = 1 local x = x do local x end for x = 1, 2 do end return x"),
        "L1"
    );
    assert_eq!(proto.captured, vec![false; 4]);
}

#[test]
fn loop_variables_and_repeat_scope() {
    // The loop's expressions are read outside its variables' scope.
    let proto = parse_ok("local i = 5 for i = i, i + 1 do x = i end");
    let Stat::NumericFor {
        slot, start, body, ..
    } = &proto.body[1]
    else {
        panic!()
    };
    assert_eq!(*slot, 1);
    assert_eq!(show(start), "L0");
    let Stat::Assign { values, .. } = &body[0] else {
        panic!()
    };
    assert_eq!(show(&values[0]), "L1");
    let proto = parse_ok("local k for k, v in k do y = v end");
    let Stat::GenericFor { slots, exprs, .. } = &proto.body[1] else {
        panic!()
    };
    assert_eq!(slots, &[1, 2]);
    assert_eq!(show(&exprs[0]), "L0");
    // `until` sees the body's locals.
    let proto = parse_ok("repeat local done = true until done");
    let Stat::Repeat { cond, .. } = &proto.body[0] else {
        panic!()
    };
    assert_eq!(show(cond), "L0");
    // A local is gone after its block.
    assert_eq!(returned("do local z end return z"), "z");
}

#[test]
fn upvalue_chains_through_three_functions() {
    let proto = parse_ok(
        "local a, b = 1, 2\n\
         local function f1()\n\
           local c = 3\n\
           return function()\n\
             return function() return a, c, b, a end\n\
           end\n\
         end",
    );
    assert_eq!(proto.captured, vec![true, true, false]);
    let Stat::LocalFunction { proto: f1, .. } = &proto.body[1] else {
        panic!()
    };
    // f1 captures a (slot 0) and b (slot 1) for the functions inside it; c is its own.
    assert_eq!(f1.captured, vec![true]);
    let Stat::Return { values, .. } = &f1.body[1] else {
        panic!()
    };
    let Expr::Function(f2) = &values[0] else {
        panic!()
    };
    let Stat::Return { values, .. } = &f2.body[0] else {
        panic!()
    };
    let Expr::Function(f3) = &values[0] else {
        panic!()
    };
    let Stat::Return { values, .. } = &f3.body[0] else {
        panic!()
    };
    let shown: Vec<String> = values.iter().map(show).collect();
    assert_eq!(shown, ["U0", "U1", "U2", "U0"]);
    let names: Vec<_> = f3
        .upvalue_names
        .iter()
        .map(|n| n.as_bytes().to_vec())
        .collect();
    assert_eq!(names, [b"a".to_vec(), b"c".to_vec(), b"b".to_vec()]);
    assert!(matches!(
        f3.upvalues[..],
        [
            UpvalueSource::ParentUpvalue(0),
            UpvalueSource::ParentUpvalue(1),
            UpvalueSource::ParentUpvalue(2)
        ]
    ));
    assert!(matches!(
        f2.upvalues[..],
        [
            UpvalueSource::ParentUpvalue(0),
            UpvalueSource::ParentLocal(0),
            UpvalueSource::ParentUpvalue(1)
        ]
    ));
    assert!(matches!(
        f1.upvalues[..],
        [UpvalueSource::ParentLocal(0), UpvalueSource::ParentLocal(1)]
    ));
}

#[test]
fn parameters_and_varargs() {
    let proto = parse_ok("local f = function(a, b, ...) return ... end return f");
    assert!(proto.is_vararg);
    let Stat::Local { values, .. } = &proto.body[0] else {
        panic!()
    };
    let Expr::Function(f) = &values[0] else {
        panic!()
    };
    assert_eq!((f.num_params, f.is_vararg, f.line), (2, true, 1));
    let proto = parse_ok("function f(...) end function g(a) end");
    let Stat::Assign { values, .. } = &proto.body[1] else {
        panic!()
    };
    let Expr::Function(g) = &values[0] else {
        panic!()
    };
    assert_eq!((g.num_params, g.is_vararg), (1, false));
    assert_eq!(
        error("function f() return ... end"),
        "user_script:1: cannot use '...' outside a vararg function near '...'"
    );
    assert_eq!(
        error("function f(a, 1) end"),
        "user_script:1: <name> or '...' expected near '1'"
    );
    assert_eq!(
        error("function f(..., a) end"),
        "user_script:1: ')' expected near ','"
    );
}

#[test]
fn lines_of_nodes() {
    let proto = parse_ok("local t = {}\n\nt.x = f(\n1)");
    let Stat::Assign { values, line, .. } = &proto.body[1] else {
        panic!()
    };
    assert_eq!(*line, 4);
    let Expr::Call { line, .. } = &values[0] else {
        panic!()
    };
    assert_eq!(*line, 3);
    let proto = parse_ok("return a +\n\n b");
    let Stat::Return { values, .. } = &proto.body[0] else {
        panic!()
    };
    let Expr::Binary { line, .. } = &values[0] else {
        panic!()
    };
    assert_eq!(*line, 3);
}

#[test]
fn syntax_errors_as_lua_words_them() {
    let cases = [
        ("local x y", "user_script:1: '=' expected near '<eof>'"),
        ("x y = 1", "user_script:1: '=' expected near 'y'"),
        ("x", "user_script:1: '=' expected near '<eof>'"),
        ("x = ", "user_script:1: unexpected symbol near '<eof>'"),
        (
            "return return",
            "user_script:1: unexpected symbol near 'return'",
        ),
        (
            "return 1 return",
            "user_script:1: '<eof>' expected near 'return'",
        ),
        ("x = 1;;", "user_script:1: unexpected symbol near ';'"),
        (
            "function f()\nreturn 1",
            "user_script:2: 'end' expected (to close 'function' at line 1) near '<eof>'",
        ),
        (
            "function f() return 1",
            "user_script:1: 'end' expected near '<eof>'",
        ),
        (
            "if x then\n",
            "user_script:2: 'end' expected (to close 'if' at line 1) near '<eof>'",
        ),
        (
            "while x do\n\nend end",
            "user_script:3: '<eof>' expected near 'end'",
        ),
        (
            "repeat\n x = 1",
            "user_script:2: 'until' expected (to close 'repeat' at line 1) near '<eof>'",
        ),
        (
            "x = (1\n",
            "user_script:2: ')' expected (to close '(' at line 1) near '<eof>'",
        ),
        (
            "x = {1\n",
            "user_script:2: '}' expected (to close '{' at line 1) near '<eof>'",
        ),
        ("x = \"abc", "user_script:1: unfinished string near '<eof>'"),
        (
            "x = \"abc\n\"",
            "user_script:1: unfinished string near '\"abc'",
        ),
        ("x = 3x", "user_script:1: malformed number near '3x'"),
        ("x = 1 + + 2", "user_script:1: unexpected symbol near '+'"),
        ("break", "user_script:1: no loop to break near '<eof>'"),
        (
            "while 1 do local f = function() break end end",
            "user_script:1: no loop to break near 'end'",
        ),
        (
            "while 1 do break x = 1 end",
            "user_script:1: 'end' expected near 'x'",
        ),
        ("f() = 1", "user_script:1: unexpected symbol near '='"),
        ("(a) = 1", "user_script:1: syntax error near '='"),
        ("a, f() = 1", "user_script:1: syntax error near '='"),
        ("a, (b) = 1", "user_script:1: syntax error near '='"),
        (
            "a.b:c = 1",
            "user_script:1: function arguments expected near '='",
        ),
        (
            "for x do end",
            "user_script:1: '=' or 'in' expected near 'do'",
        ),
        ("for 1 do end", "user_script:1: '<name>' expected near '1'"),
        ("for i = 1 do end", "user_script:1: ',' expected near 'do'"),
        (
            "local function 1() end",
            "user_script:1: '<name>' expected near '1'",
        ),
        ("x = a.1", "user_script:1: unexpected symbol near '.1'"),
        ("x = a.", "user_script:1: '<name>' expected near '<eof>'"),
        (
            "f\n(g)()",
            "user_script:2: ambiguous syntax (function call x new statement) near '('",
        ),
        ("x = @", "user_script:1: unexpected symbol near '@'"),
        (
            "x = \x01",
            "user_script:1: unexpected symbol near 'char(1)'",
        ),
        // Lua's lexer returns a NUL byte as token 0, which its error function takes for none.
        ("x = \0", "user_script:1: unexpected symbol"),
        ("x = 'a' 'b'", "user_script:1: unexpected symbol near ''b''"),
        (
            "x = [==[ab]==] y",
            "user_script:1: '=' expected near '<eof>'",
        ),
        ("local t = {a b}", "user_script:1: '}' expected near 'b'"),
        ("if x end", "user_script:1: 'then' expected near 'end'"),
        (
            "if x then else elseif end",
            "user_script:1: 'end' expected near 'elseif'",
        ),
        ("local 1", "user_script:1: '<name>' expected near '1'"),
        ("return 1,", "user_script:1: unexpected symbol near '<eof>'"),
        ("x = } ", "user_script:1: unexpected symbol near '}'"),
        ("x = function", "user_script:1: '(' expected near '<eof>'"),
        (
            "x = 'a\\300'",
            "user_script:1: escape sequence too large near ''a'",
        ),
    ];
    for (source, message) in cases {
        assert_eq!(error(source), message, "{source:?}");
    }
}

#[test]
fn the_chunk_name_prefixes_errors() {
    let e = parse(b"x =", "[string \"x =\"]").unwrap_err();
    assert_eq!(
        e.message(),
        "[string \"x =\"]:1: unexpected symbol near '<eof>'"
    );
    assert!(!e.needs_position);
}

#[test]
fn limits_on_locals_and_upvalues() {
    let locals = |n: usize| {
        (0..n)
            .map(|i| format!("local v{i} = 1\n"))
            .collect::<String>()
    };
    parse_ok(&locals(200));
    assert_eq!(
        error(&locals(201)),
        "user_script:201: main function has more than 200 local variables"
    );
    assert_eq!(
        error(&format!("function f()\n{}end", locals(201))),
        "user_script:202: function at line 1 has more than 200 local variables"
    );
    // So does the `arg` Lua 5.1 declares in a vararg function.
    assert_eq!(
        error(&format!("function f(a, ...)\n{}end", locals(199))),
        "user_script:200: function at line 1 has more than 200 local variables"
    );
    // Locals in blocks that ended do not count.
    parse_ok(&"do local a, b, c end ".repeat(300));
    // A `for` loop's three hidden control variables count as in Lua.
    parse_ok(&format!("{}for i = 1, 2 do end", locals(196)));
    let mut source = locals(197);
    source.push_str("for i = 1, 2 do end");
    assert!(error(&source).ends_with("more than 200 local variables"));
    let mut source = locals(197);
    source.push_str("for i in x do end");
    assert!(error(&source).ends_with("more than 200 local variables"));

    let upvalues = |n: usize| {
        let declare = (0..n).map(|i| format!("local u{i}\n")).collect::<String>();
        let uses = (0..n)
            .map(|i| format!("u{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("{declare}function f()\nreturn {uses}\nend")
    };
    parse_ok(&upvalues(60));
    assert_eq!(
        error(&upvalues(61)),
        "user_script:64: function at line 62 has more than 60 upvalues"
    );
}

/// Nested constructs, `n` deep.
fn nested(n: usize) -> Vec<String> {
    let wrap = |open: &str, inner: &str, close: &str| {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    };
    vec![
        format!("return {}", wrap("(", "1", ")")),
        wrap("do ", "", "end "),
        format!("return {}1", "- ".repeat(n)),
        format!("return {}1", "not ".repeat(n)),
        format!("return 1{}", " .. 1".repeat(n)),
        format!("return 1{}", " + 1".repeat(n)),
        format!("return 1{}", " ^ 1".repeat(n)),
        format!("return x{}", ".y".repeat(n)),
        format!("return x{}", "()".repeat(n)),
        format!("return x{}", "[1]".repeat(n)),
        format!("return x{}", ":m()".repeat(n)),
        format!("return {}", wrap("{", "", "}")),
        format!("return {}", wrap("{x = ", "1", "}")),
        format!("return {}", wrap("f(", "", ")")),
        wrap("x = function() ", "", "end "),
        wrap("local function f() ", "", "end "),
        wrap("if x then ", "", "end "),
        wrap("for i = 1, 2 do ", "", "end "),
        wrap("for k in x do ", "", "end "),
        wrap("while x do ", "", "end "),
        wrap("repeat ", "", "until x "),
    ]
}

/// Runs `check` on a thread with the parser's stack budget and a margin, no more: any input
/// that would use more than the budget must fail cleanly instead of overflowing this stack.
fn on_a_small_stack(check: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(super::STACK_BUDGET + 128 * 1024)
        .spawn(check)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn nesting_is_bounded() {
    on_a_small_stack(|| {
        for input in nested(30) {
            parse_ok(&input);
        }
        for input in nested(100_000) {
            let message = error(&input);
            // Nested `for` loops declare four locals each: 50 of them reach that limit first.
            let limit = if input.starts_with("for") {
                "main function has more than 200 local variables"
            } else {
                "chunk has too many syntax levels"
            };
            assert!(message.ends_with(limit), "{message}");
        }
        // Lua's own limit, whatever the stack allows.
        assert_eq!(
            error(&format!("return {}1", "(".repeat(201))),
            "user_script:1: chunk has too many syntax levels"
        );
    });
}

/// A tiny deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random bytes, and valid programs with bytes changed, removed or repeated, never panic (and
/// never overflow the stack); any error is a syntax error.
#[test]
fn random_and_mutated_inputs_never_panic() {
    let samples: &[&[u8]] = &[
        b"local t = {1, 2, x = 'a', [3] = \"b\\n\"} for i, v in ipairs(t) do t[i] = v .. i end",
        b"function a.b:c(x, ...) local y = ... return x and y or -x ^ 2 end",
        b"repeat local z = [==[long]==] until #z > 1 --[[ comment ]] while true do break end",
        b"if a then return elseif b ~= c then f() else g'x' h{} end return (...)",
        b"local function f(n) if n <= 1 then return 1 end return n * f(n - 1) end x = 0x1F + 1e3",
    ];
    let alphabet = b"()[]{}=.:,;'\"\\-+*/%^#<>~ \n\r\t0123456789xeEabcdefnrt_";
    let words: &[&[u8]] = &[
        b"function",
        b"end",
        b"local",
        b"...",
        b"[[",
        b"]]",
        b"--",
        b"..",
        b"return",
        b"(",
    ];
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let run = move || {
        for round in 0..20_000 {
            let mut input: Vec<u8> = samples[round % samples.len()].to_vec();
            match round % 4 {
                0 => {
                    let len = random.below(60);
                    input = (0..len)
                        .map(|_| alphabet[random.below(alphabet.len())])
                        .collect();
                }
                1 => {
                    for _ in 0..1 + random.below(4) {
                        let at = random.below(input.len());
                        input[at] = alphabet[random.below(alphabet.len())];
                    }
                }
                2 => {
                    let at = random.below(input.len());
                    let len = random.below(input.len() - at);
                    input.drain(at..at + len);
                }
                _ => {
                    let at = random.below(input.len() + 1);
                    let word = words[random.below(words.len())];
                    for _ in 0..1 + random.below(300) {
                        input.splice(at..at, word.iter().copied());
                    }
                }
            }
            if random.below(10) == 0 {
                input.push(random.next() as u8);
            }
            if let Err(e) = parse(&input, "user_script") {
                assert_eq!(e.kind, super::super::value::ErrorKind::Syntax);
                assert!(e.message().starts_with("user_script:"));
            }
        }
    };
    on_a_small_stack(run);
}

/// Runs a chunk in a fresh VM (no libraries) and shows its results.
fn run(source: &str) -> String {
    let mut lua = super::super::Lua::new();
    let function = lua
        .load(source.as_bytes(), "user_script")
        .expect("compiles");
    let results = lua
        .call(
            &mut super::super::NoHost,
            &super::super::Value::Function(function),
            vec![],
        )
        .unwrap_or_else(|e| panic!("{source:?}: {}", e.message()));
    results
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The trees mean what Lua means, once the interpreter walks them.
#[test]
fn programs_run_as_lua_reads_them() {
    let cases = [
        (
            "return 2 ^ 3 ^ 2, -2 ^ 2, 2 * 3 + 4 * 5, 10 - 4 - 3",
            "512, -4, 26, 3",
        ),
        ("return 1 .. 2 .. 3, 'a' .. 1 + 2", "\"123\", \"a3\""),
        (
            "return 1 < 2 == true, not nil == true, #'abc' + 1",
            "true, true, 4",
        ),
        (
            "return nil or false, false or 'x', 1 and 2, nil and 1",
            "false, \"x\", 2, nil",
        ),
        (
            "local x = 1 local x = x + 1 do local x = 10 end return x",
            "2",
        ),
        (
            "local a = {} for i = 1, 3 do a[i] = function() return i end end return a[1](), a[3]()",
            "1, 3",
        ),
        (
            "local function counter() local n = 0 return function() n = n + 1 return n end end \
             local c = counter() c() return c(), counter()()",
            "2, 1",
        ),
        (
            "local a = 1 local function f() return function() return function() a = a + 1 return a end end end \
             return f()()(), a",
            "2, 2",
        ),
        (
            "local i = 0 repeat local j = i i = i + 1 until j >= 2 return i",
            "3",
        ),
        (
            "local function f(...) return select and 0 or ..., ... end return f(1, 2)",
            "1, 1, 2",
        ),
        (
            "local function f(...) local a, b = ... return b, a end return f(1, 2)",
            "2, 1",
        ),
        (
            "local function f() return 1, 2 end return (f()), f()",
            "1, 1, 2",
        ),
        (
            "local function f() return 1, 2 end return #{f(), (f())}, #{(f()), f()}",
            "2, 3",
        ),
        (
            "local o = {v = 5} function o:get(d) return self.v + d end return o:get(1), o.get(o, 2)",
            "6, 7",
        ),
        (
            "local t = {a = {b = {}}} function t.a.b.f(x) return x * 2 end return t.a.b.f(4)",
            "8",
        ),
        ("local t = {} t.x, t.y = 1 return t.x, t.y", "1, nil"),
        ("local a, b = 1, 2 a, b = b, a return a, b", "2, 1"),
        (
            "local s = 0 for i = 10, 1, -3 do s = s + i end return s",
            "22",
        ),
        (
            "local n = 0 while true do n = n + 1 if n == 5 then break end end return n",
            "5",
        ),
        (
            "local t = {'a', 'b', x = 1, [10] = 'z'; 'c'} return t[3], t.x, t[10], #t",
            "\"c\", 1, \"z\", 3",
        ),
        ("return #{n = 1, 1, 2}, ({...})[1]", "2, nil"),
        (
            "local function f(t) return t end return f{7}[1], f'str'",
            "7, \"str\"",
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(run(source), expected, "{source}");
    }
    // Lua 5.1 stores the targets of an assignment right to left.
    assert_eq!(
        run("local a a, a = 1, 2 local t = {} t.x, t.x = 1, 2 return a, t.x"),
        "1, 1"
    );
}
