//! Naming the operand of a failed operation, as Lua 5.1's `getobjname` does: "attempt to index
//! local 't' (a nil value)", "attempt to call field 'foo' (a nil value)", and no name for a
//! temporary ("attempt to perform arithmetic on a nil value").

use crate::lua::ast::{Expr, Proto};
use crate::lua::value::{LuaStr, Value};

/// The expression an operand came from, and the prototype it is in (for slot names). `None`
/// where the operand has no source (an API call, a value reached through `__index`).
pub(super) type Culprit<'a> = Option<(&'a Expr, &'a Proto)>;

/// `attempt to {action} {name} (a {type} value)`, the message of `luaG_typeerror`.
pub(super) fn type_error(action: &str, value: &Value, culprit: Culprit) -> String {
    let type_name = value.type_name();
    match culprit.and_then(|(expr, proto)| describe(expr, proto)) {
        Some((kind, name)) => {
            let name = String::from_utf8_lossy(name.as_bytes());
            format!("attempt to {action} {kind} '{name}' (a {type_name} value)")
        }
        None => format!("attempt to {action} a {type_name} value"),
    }
}

/// What kind of variable an expression reads, and its name.
fn describe<'a>(expr: &'a Expr, proto: &'a Proto) -> Option<(&'static str, &'a LuaStr)> {
    match expr {
        Expr::Global(name, _) => Some(("global", name)),
        Expr::Local(slot) => proto.slot_names.get(*slot).map(|name| ("local", name)),
        Expr::Upvalue(index) => proto
            .upvalue_names
            .get(*index)
            .map(|name| ("upvalue", name)),
        Expr::Index { key, .. } => match key.as_ref() {
            Expr::Str(name) => Some(("field", name)),
            _ => None,
        },
        Expr::Method { name, .. } => Some(("method", name)),
        _ => None,
    }
}
