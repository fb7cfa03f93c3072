//! The `table` library of Lua 5.1 (`ltablib.c`): insert, remove, concat, sort, getn, maxn,
//! foreach, foreachi, and the obsolete setn.
//!
//! Every access is raw (`lua_rawgeti`/`lua_rawseti`), as in Lua; the length is `#t` without
//! metamethods. `sort` is Lua 5.1's own quicksort, step for step, so a comparator sees the same
//! calls in the same order as in Redis, and an inconsistent one fails the same way ("invalid
//! order function for sorting") instead of running off the array.

use crate::lua::number;
use crate::lua::stdlib::{self, args};
use crate::lua::{Host, Lua, LuaError, LuaStr, TableRef, Value};

pub fn open(lua: &mut Lua) {
    let table = lua.new_table();
    lua.register(&table, "concat", concat);
    lua.register(&table, "foreach", foreach);
    lua.register(&table, "foreachi", foreachi);
    lua.register(&table, "getn", getn);
    lua.register(&table, "maxn", maxn);
    lua.register(&table, "insert", insert);
    lua.register(&table, "remove", remove);
    lua.register(&table, "setn", setn);
    lua.register(&table, "sort", sort);
    lua.globals().set_str("table", Value::Table(table));
}

/// `aux_getn`: argument 1 must be a table; its raw length.
fn table_and_length(args: &[Value], function: &str) -> Result<(TableRef, i64), LuaError> {
    let table = args::check_table(args, 1, function)?;
    let length = table.len() as i64;
    Ok((table, length))
}

/// `lua_rawseti`. Its error (a readonly table) is raised by the VM while this C function runs,
/// and `luaG_runerror` gives a position only to a Lua function: Redis says plain "Attempt to
/// modify a readonly table".
fn set_int(table: &TableRef, index: i64, value: Value) -> Result<(), LuaError> {
    (table.set(Value::Number(index as f64), value)).map_err(raised_by_the_vm)
}

/// An error of the VM's own (not `luaL_error`) raised inside a library function: no position.
fn raised_by_the_vm(mut err: LuaError) -> LuaError {
    err.needs_position = false;
    err
}

/// `table.insert(t, [pos,] v)`.
fn insert(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (table, length) = table_and_length(&args, "insert")?;
    let first_empty = length + 1;
    let (position, value) = match args.len() {
        2 => (first_empty, args[1].clone()),
        3 => {
            let position = args::check_int(&args, 2, "insert")? as i64;
            shift_up(&table, position, first_empty.max(position))?;
            (position, args[2].clone())
        }
        _ => return Err(LuaError::runtime("wrong number of arguments to 'insert'")),
    };
    set_int(&table, position, value)?;
    Ok(vec![])
}

/// `t[i] = t[i-1]` for `i` from `end` down to `position + 1`, as `tinsert`. A position far below
/// the array (`table.insert(t, -2^31, v)`) would make that billions of steps over empty slots:
/// then only the keys the table really holds in the range are moved, to the same effect.
fn shift_up(table: &TableRef, position: i64, end: i64) -> Result<(), LuaError> {
    let span = end - position;
    if span <= 2 * table.len() as i64 + 16 {
        for i in (position + 1..=end).rev() {
            set_int(table, i, table.get_int(i - 1))?;
        }
        return Ok(());
    }
    let held: Vec<(i64, Value)> = (table.0.borrow().pairs())
        .filter_map(|(key, value)| match key {
            Value::Number(n) if n.fract() == 0.0 && n >= position as f64 && n <= end as f64 => {
                Some((n as i64, value.clone()))
            }
            _ => None,
        })
        .collect();
    for (index, _) in &held {
        set_int(table, *index, Value::Nil)?;
    }
    for (index, value) in held {
        if index < end {
            set_int(table, index + 1, value)?;
        }
    }
    Ok(())
}

/// `table.remove(t [, pos])`: the removed value, nothing when `pos` is outside `1..#t`.
fn remove(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (table, length) = table_and_length(&args, "remove")?;
    let position = args::opt_int(&args, 2, "remove", length as i32)? as i64;
    if !(1 <= position && position <= length) {
        return Ok(vec![]);
    }
    let removed = table.get_int(position);
    for i in position..length {
        set_int(&table, i, table.get_int(i + 1))?;
    }
    set_int(&table, length, Value::Nil)?;
    Ok(vec![removed])
}

/// `table.concat(t [, sep [, i [, j]]])`. Arguments are checked in `tconcat`'s order: the
/// separator before the table.
fn concat(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let separator = args::opt_string(&args, 2, "concat", "")?;
    let table = args::check_table(&args, 1, "concat")?;
    let first = args::opt_int(&args, 3, "concat", 1)? as i64;
    let last = args::opt_int(&args, 4, "concat", table.len() as i32)? as i64;
    let mut out = Vec::new();
    for i in first..=last {
        let item = table.get_int(i);
        let Some(text) = number::coerce_to_string(&item) else {
            return Err(LuaError::runtime(format!(
                "invalid value ({}) at index {i} in table for 'concat'",
                item.type_name()
            )));
        };
        let separator = if i < last { separator.as_bytes() } else { b"" };
        if out.len() + text.len() + separator.len() > stdlib::MAX_STRING_LEN {
            return Err(stdlib::memory_error());
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(separator);
    }
    Ok(vec![Value::Str(LuaStr::from(out))])
}

fn getn(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (_, length) = table_and_length(&args, "getn")?;
    Ok(vec![Value::Number(length as f64)])
}

/// `table.setn`: Lua 5.1 is built without LUA_COMPAT_GETN, where it only fails.
fn setn(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    args::check_table(&args, 1, "setn")?;
    Err(LuaError::runtime("'setn' is obsolete"))
}

/// `table.maxn(t)`: the largest positive numeric key, 0 if none.
fn maxn(_: &mut Lua, _: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = args::check_table(&args, 1, "maxn")?;
    let largest = (table.0.borrow().pairs())
        .filter_map(|(key, _)| match key {
            Value::Number(n) => Some(n),
            _ => None,
        })
        .fold(0.0, |max: f64, n| if n > max { n } else { max });
    Ok(vec![Value::Number(largest)])
}

/// `table.foreachi(t, f)`: `f(i, t[i])` for `i` in `1..#t`, stopping at the first non-nil
/// result, which it returns.
fn foreachi(lua: &mut Lua, host: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (table, length) = table_and_length(&args, "foreachi")?;
    let function = args::check_function(&args, 2, "foreachi")?;
    for i in 1..=length {
        let result = first_result(lua.call(
            host,
            &function,
            vec![Value::Number(i as f64), table.get_int(i)],
        )?);
        if !result.is_nil() {
            return Ok(vec![result]);
        }
    }
    Ok(vec![])
}

/// `table.foreach(t, f)`: `f(k, v)` for every pair, in `next`'s order, stopping at the first
/// non-nil result, which it returns.
fn foreach(lua: &mut Lua, host: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let table = args::check_table(&args, 1, "foreach")?;
    let function = args::check_function(&args, 2, "foreach")?;
    let mut key = Value::Nil;
    loop {
        // The borrow ends before the call: `f` may change the table's values.
        let step = table.0.borrow().next(&key).map_err(raised_by_the_vm)?;
        let Some((next_key, value)) = step else {
            return Ok(vec![]);
        };
        let result = first_result(lua.call(host, &function, vec![next_key.clone(), value])?);
        if !result.is_nil() {
            return Ok(vec![result]);
        }
        key = next_key;
    }
}

/// `lua_call(L, n, 1)`: a call's results adjusted to one.
fn first_result(results: Vec<Value>) -> Value {
    results.into_iter().next().unwrap_or_default()
}

/// `table.sort(t [, comp])`.
fn sort(lua: &mut Lua, host: &mut dyn Host, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let (table, length) = table_and_length(&args, "sort")?;
    let comparator = if args::is_none_or_nil(&args, 2) {
        None
    } else {
        Some(args::check_function(&args, 2, "sort")?)
    };
    let mut sorter = Sorter {
        lua,
        host,
        table,
        comparator,
    };
    sorter.sort(1, length)?;
    Ok(vec![])
}

/// The state of one `table.sort`: `ltablib.c`'s `auxsort` over the table itself.
struct Sorter<'a> {
    lua: &'a mut Lua,
    host: &'a mut dyn Host,
    table: TableRef,
    comparator: Option<Value>,
}

impl Sorter<'_> {
    fn get(&self, i: i64) -> Value {
        self.table.get_int(i)
    }

    /// `set2`: `t[i] = a; t[j] = b`.
    fn set2(&self, i: i64, a: Value, j: i64, b: Value) -> Result<(), LuaError> {
        set_int(&self.table, i, a)?;
        set_int(&self.table, j, b)
    }

    /// `sort_comp`: `comp(a, b)` as a boolean, or `a < b`.
    fn less(&mut self, a: &Value, b: &Value) -> Result<bool, LuaError> {
        match &self.comparator {
            Some(function) => {
                let results = self
                    .lua
                    .call(self.host, function, vec![a.clone(), b.clone()])?;
                Ok(first_result(results).truthy())
            }
            // A failed comparison is the VM's error too ("attempt to compare string with number").
            None => (self.lua.less_than(self.host, a, b)).map_err(raised_by_the_vm),
        }
    }

    /// Sorts `t[low..=high]`: median of three, partition, recursion into the smaller part and a
    /// loop over the larger, so the depth stays logarithmic.
    fn sort(&mut self, mut low: i64, mut high: i64) -> Result<(), LuaError> {
        while low < high {
            let (a_low, a_high) = (self.get(low), self.get(high));
            if self.less(&a_high, &a_low)? {
                self.set2(low, a_high, high, a_low)?;
            }
            if high - low == 1 {
                break;
            }
            let middle = (low + high) / 2;
            let (a_middle, a_low) = (self.get(middle), self.get(low));
            if self.less(&a_middle, &a_low)? {
                self.set2(middle, a_low, low, a_middle)?;
            } else {
                let a_high = self.get(high);
                if self.less(&a_high, &a_middle)? {
                    self.set2(middle, a_high, high, a_middle)?;
                }
            }
            if high - low == 2 {
                break;
            }
            let pivot = self.get(middle);
            let before_high = self.get(high - 1);
            self.set2(middle, before_high, high - 1, pivot.clone())?;
            let i = self.partition(low, high, &pivot)?;
            let (a_pivot_slot, a_i) = (self.get(high - 1), self.get(i));
            self.set2(high - 1, a_i, i, a_pivot_slot)?;
            // t[low..i-1] <= pivot == t[i] <= t[i+1..high]
            if i - low < high - i {
                self.sort(low, i - 1)?;
                low = i + 1;
            } else {
                self.sort(i + 1, high)?;
                high = i - 1;
            }
        }
        Ok(())
    }

    /// The partition loop, with `t[low] <= pivot == t[high-1] <= t[high]`: moves `i` up and `j`
    /// down, swapping out-of-place pairs, until they cross; returns where `i` stopped, the
    /// pivot's place. A comparator that is not a strict order could move them past the ends:
    /// that is the "invalid order function" error.
    fn partition(&mut self, low: i64, high: i64, pivot: &Value) -> Result<i64, LuaError> {
        let (mut i, mut j) = (low, high - 1);
        loop {
            let a_i = loop {
                i += 1;
                let a_i = self.get(i);
                if !self.less(&a_i, pivot)? {
                    break a_i;
                }
                if i > high {
                    return Err(invalid_order());
                }
            };
            let a_j = loop {
                j -= 1;
                let a_j = self.get(j);
                if !self.less(pivot, &a_j)? {
                    break a_j;
                }
                if j < low {
                    return Err(invalid_order());
                }
            };
            if j < i {
                return Ok(i);
            }
            self.set2(i, a_j, j, a_i)?;
        }
    }
}

fn invalid_order() -> LuaError {
    LuaError::runtime("invalid order function for sorting")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::stdlib::testing::describe;
    use crate::lua::{NativeFn, NoHost};

    fn array(lua: &mut Lua, items: &[f64]) -> TableRef {
        let table = lua.new_table();
        for &n in items {
            table.push(Value::Number(n));
        }
        table
    }

    fn contents(table: &TableRef) -> String {
        format!(
            "{:?}",
            (1..=table.len() as i64)
                .map(|i| table.get_int(i))
                .collect::<Vec<_>>()
        )
    }

    fn call(function: NativeFn, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        function(&mut Lua::new(), &mut NoHost, args)
    }

    #[test]
    fn insert_appends_or_shifts_up() {
        let table = array(&mut Lua::new(), &[1.0, 2.0, 3.0]);
        let t = Value::Table(table.clone());
        call(insert, vec![t.clone(), Value::Number(4.0)]).unwrap();
        call(
            insert,
            vec![t.clone(), Value::Number(1.0), Value::Number(0.0)],
        )
        .unwrap();
        assert_eq!(contents(&table), "[0, 1, 2, 3, 4]");
        call(
            insert,
            vec![t.clone(), Value::Number(7.0), Value::Number(7.0)],
        )
        .unwrap();
        assert_eq!(table.get_int(7).type_name(), "number");
        let err = call(insert, vec![t.clone()]).unwrap_err();
        assert_eq!(err.message(), "wrong number of arguments to 'insert'");
        let err = call(insert, vec![Value::Nil, Value::Number(1.0)]).unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #1 to 'insert' (table expected, got nil)"
        );
    }

    #[test]
    fn insert_far_below_the_array_moves_only_what_is_there() {
        let table = array(&mut Lua::new(), &[1.0, 2.0]);
        table.set(Value::Number(-5.0), Value::str("low")).unwrap();
        let t = Value::Table(table.clone());
        call(
            insert,
            vec![t, Value::Number(-2147483648.0), Value::str("x")],
        )
        .unwrap();
        assert!(table.get_int(1).is_nil());
        assert_eq!(describe(&[table.get_int(2), table.get_int(3)]), "[1, 2]");
        assert_eq!(describe(&[table.get_int(-4)]), "[\"low\"]");
        assert!(table.get_int(-5).is_nil());
        assert_eq!(describe(&[table.get_int(-2147483648)]), "[\"x\"]");
    }

    #[test]
    fn remove_returns_the_value_and_closes_the_gap() {
        let table = array(&mut Lua::new(), &[1.0, 2.0, 3.0]);
        let t = Value::Table(table.clone());
        let removed = call(remove, vec![t.clone(), Value::Number(1.0)]).unwrap();
        assert_eq!(describe(&removed), "[1]");
        assert_eq!(contents(&table), "[2, 3]");
        let removed = call(remove, vec![t.clone()]).unwrap();
        assert_eq!(describe(&removed), "[3]");
        assert!(
            call(remove, vec![t.clone(), Value::Number(5.0)])
                .unwrap()
                .is_empty()
        );
        let empty = Value::Table(Lua::new().new_table());
        assert!(call(remove, vec![empty]).unwrap().is_empty());
    }

    #[test]
    fn concat_joins_strings_and_numbers() {
        let table = array(&mut Lua::new(), &[1.0, 2.0, 3.0]);
        let t = Value::Table(table.clone());
        let out = call(
            concat,
            vec![t.clone(), Value::str(", "), Value::Number(2.0)],
        )
        .unwrap();
        assert_eq!(describe(&out), "[\"2, 3\"]");
        let out = call(
            concat,
            vec![
                t.clone(),
                Value::str("x"),
                Value::Number(3.0),
                Value::Number(1.0),
            ],
        )
        .unwrap();
        assert_eq!(describe(&out), "[\"\"]");
        table.set(Value::Number(2.0), Value::Bool(true)).unwrap();
        let err = call(concat, vec![t.clone()]).unwrap_err();
        assert_eq!(
            err.message(),
            "invalid value (boolean) at index 2 in table for 'concat'"
        );
        let err = call(concat, vec![t.clone(), t]).unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #2 to 'concat' (string expected, got table)"
        );
    }

    #[test]
    fn lengths_and_the_obsolete_setn() {
        let table = array(&mut Lua::new(), &[5.0, 6.0]);
        table.set(Value::Number(10.5), Value::Bool(true)).unwrap();
        table.set(Value::str("k"), Value::Bool(true)).unwrap();
        let t = Value::Table(table);
        assert_eq!(describe(&call(getn, vec![t.clone()]).unwrap()), "[2]");
        assert_eq!(describe(&call(maxn, vec![t.clone()]).unwrap()), "[10.5]");
        let err = call(setn, vec![t, Value::Number(1.0)]).unwrap_err();
        assert_eq!(err.message(), "'setn' is obsolete");
    }

    #[test]
    fn sort_checks_its_comparator_argument() {
        let t = Value::Table(Lua::new().new_table());
        let err = call(sort, vec![t, Value::Number(5.0)]).unwrap_err();
        assert_eq!(
            err.message(),
            "bad argument #2 to 'sort' (function expected, got number)"
        );
    }

    mod programs {
        use crate::lua::stdlib::testing::outcome;

        #[test]
        fn sort_with_and_without_a_comparator() {
            let source =
                "local t = {5, 2, 8, 1, 9, 3, 7, 4, 6, 0}; table.sort(t); return unpack(t)";
            assert_eq!(outcome(source), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
            let source = "local t = {'b', 'c', 'a'}; table.sort(t, function(a, b) return a > b end); return unpack(t)";
            assert_eq!(outcome(source), "[\"c\", \"b\", \"a\"]");
            let source = "local t = {}; for i = 1, 200 do t[i] = (i * 7919) % 211 end; table.sort(t)
                local ok = true; for i = 2, 200 do ok = ok and t[i - 1] <= t[i] end; return ok and 1 or 0";
            assert_eq!(outcome(source), "[1]");
        }

        #[test]
        fn an_inconsistent_comparator_fails_as_lua_does() {
            // Redis 7.0.15 answers these two exactly so.
            let three =
                "local t = {3, 1, 2}; table.sort(t, function() return true end); return unpack(t)";
            assert_eq!(outcome(three), "[1, 2, 3]");
            let nine =
                "local t = {5, 4, 3, 2, 1, 6, 7, 8, 9}; table.sort(t, function() return true end)";
            assert_eq!(
                outcome(nine),
                "error: user_script:1: invalid order function for sorting"
            );
        }

        #[test]
        fn random_and_meddling_comparators_end_cleanly() {
            let random = "local t = {}; for i = 1, 300 do t[i] = i end
                local ok = pcall(table.sort, t, function() return math.random() < 0.5 end); return #t";
            assert_eq!(outcome(random), "[300]");
            // The comparator empties the table under the sort: Redis 7.0.15 answers the same.
            let meddling = "local t = {}; for i = 1, 50 do t[i] = 51 - i end
                local ok, err = pcall(table.sort, t, function(a, b)
                    for k = 1, 50 do t[k] = nil end; return (a or 0) < (b or 0) end)
                return ok and 1 or 0, err";
            assert_eq!(
                outcome(meddling),
                "[0, \"invalid order function for sorting\"]"
            );
        }

        #[test]
        fn sort_propagates_comparison_errors() {
            let source = "local t = {1, 'x', 2}; table.sort(t)";
            assert_eq!(
                outcome(source),
                "error: attempt to compare string with number"
            );
            let source = "local t = {3, 2, 1}; table.sort(t, function(a, b) error('boom') end)";
            assert_eq!(outcome(source), "error: user_script:1: boom");
        }

        #[test]
        fn foreach_and_foreachi_stop_at_a_result() {
            let source = "return table.foreachi({10, 20, 30}, function(i, v) if v == 20 then return i end end)";
            assert_eq!(outcome(source), "[2]");
            let source = "local n = 0; table.foreach({a = 1, b = 2, c = 3}, function(k, v) n = n + v end); return n";
            assert_eq!(outcome(source), "[6]");
        }

        #[test]
        fn insert_and_remove_as_scripts_use_them() {
            let source = "local x = {}; for i = 1, 100 do table.insert(x, i) end
                table.insert(x, 1, 0); local last = table.remove(x); return #x, x[1], x[100], last";
            assert_eq!(outcome(source), "[100, 0, 99, 100]");
            let source = "return table.concat({1, 2, 3}, '-')";
            assert_eq!(outcome(source), "[\"1-2-3\"]");
        }
    }
}
