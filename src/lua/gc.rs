//! The cycle collector: what reference counting cannot free.
//!
//! Tables, closures and upvalue cells are `Rc`s, so most garbage goes the moment its last
//! reference does. A cycle never does: `local t = {}; t.self = t`, or a recursive
//! `local function f` (its closure holds the cell of `f`, which holds the closure). Lua's own
//! collector is a tracing one; here tracing is only needed for those cycles, so it runs between
//! scripts (when no frame holds values the tracer cannot see) and works in three steps:
//!
//! 1. [`Heap`] records every table (made by `Lua::new_table`) and every captured-variable cell
//!    (made by the interpreter) as a `Weak` reference, which does not keep it alive;
//! 2. [`Heap::collect`] marks everything reachable from the roots (the globals, the string
//!    metatable, and whatever the embedder still holds: its compiled scripts);
//! 3. every recorded table or cell still alive but not marked is garbage kept alive only by a
//!    cycle: tables are cleared and cells set to nil, which drops the references forming the
//!    cycle, and reference counting frees the rest.
//!
//! Dead `Weak`s are pruned whenever the records double, so they stay proportional to the live
//! objects.
//!
//! # Skipping a collection that cannot find anything
//! Right after a collection every recorded object still alive is reachable. A cycle of garbage
//! needs an object that is alive but unreachable, and an embedder whose roots scripts cannot
//! rewire (Redis's read-only globals) only gets one from objects made since: if every object
//! recorded since the last collection is already freed, [`Heap::has_new_survivors`] says so
//! and the marking, which visits every library table, is not worth running. (It was ~40,000
//! instructions per collection, ~800 per EVALSHA at Redis's period of 50 scripts.)

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::{Rc, Weak};

use super::value::{Function, Table, TableRef, UpvalueCell, Value};

/// Rough per-object sizes for `collectgarbage("count")`: the table header plus a hash entry,
/// and an `Rc<RefCell<Value>>`.
const TABLE_BYTES: usize = 96;
const ENTRY_BYTES: usize = 40;
const CELL_BYTES: usize = 40;

#[derive(Default)]
pub struct Heap {
    tables: Vec<Weak<RefCell<Table>>>,
    cells: Vec<Weak<RefCell<Value>>>,
    /// Record counts after the last pruning: the next prune happens at twice these.
    tables_pruned_at: usize,
    cells_pruned_at: usize,
    /// How many of the records come from before the last collection (the rest are newer).
    tables_settled: usize,
    cells_settled: usize,
}

impl Heap {
    pub fn new_table(&mut self) -> TableRef {
        let table = TableRef(Rc::default());
        if self.tables.len() >= 2 * self.tables_pruned_at.max(64) {
            prune(&mut self.tables, &mut self.tables_settled);
            self.tables_pruned_at = self.tables.len();
        }
        self.tables.push(Rc::downgrade(&table.0));
        table
    }

    pub fn new_cell(&mut self, value: Value) -> UpvalueCell {
        let cell = Rc::new(RefCell::new(value));
        if self.cells.len() >= 2 * self.cells_pruned_at.max(64) {
            prune(&mut self.cells, &mut self.cells_settled);
            self.cells_pruned_at = self.cells.len();
        }
        self.cells.push(Rc::downgrade(&cell));
        cell
    }

    /// Breaks every cycle not reachable from `roots` (see the module doc).
    pub fn collect(&mut self, roots: &[Value]) {
        let mut marks = Marks::default();
        let mut pending: Vec<Value> = roots.to_vec();
        while let Some(value) = pending.pop() {
            marks.visit(&value, &mut pending);
        }
        // Upgrade first, clear after: clearing drops references, and a table freed by an
        // earlier clear must not be touched.
        let garbage_tables: Vec<TableRef> = (self.tables.iter())
            .filter_map(Weak::upgrade)
            .filter(|t| !marks.tables.contains(&(Rc::as_ptr(t) as usize)))
            .map(TableRef)
            .collect();
        let garbage_cells: Vec<UpvalueCell> = (self.cells.iter())
            .filter_map(Weak::upgrade)
            .filter(|c| !marks.cells.contains(&(Rc::as_ptr(c) as usize)))
            .collect();
        for table in &garbage_tables {
            // Take the contents out before dropping them: a value's drop may free other tables.
            let contents = std::mem::take(&mut *table.0.borrow_mut());
            drop(contents);
        }
        for cell in &garbage_cells {
            let value = std::mem::take(&mut *cell.borrow_mut());
            drop(value);
        }
        drop(garbage_tables);
        drop(garbage_cells);
        self.tables.retain(|t| t.strong_count() > 0);
        self.cells.retain(|c| c.strong_count() > 0);
        self.tables_pruned_at = self.tables.len();
        self.cells_pruned_at = self.cells.len();
        self.tables_settled = self.tables.len();
        self.cells_settled = self.cells.len();
    }

    /// Whether a table or cell made since the last collection is still alive: otherwise a
    /// collection now would find nothing, provided the roots' own tables could not be changed
    /// (see the module doc).
    pub fn has_new_survivors(&self) -> bool {
        let alive = |count: usize| count > 0;
        (self.tables[self.tables_settled..].iter()).any(|t| alive(t.strong_count()))
            || (self.cells[self.cells_settled..].iter()).any(|c| alive(c.strong_count()))
    }

    /// An estimate of the bytes the live tables and cells hold.
    pub fn estimated_bytes(&self) -> usize {
        let tables: usize = (self.tables.iter())
            .filter_map(Weak::upgrade)
            .map(|t| {
                let t = t.borrow();
                TABLE_BYTES + ENTRY_BYTES * (t.array.len() + t.pairs().count())
            })
            .sum();
        let cells = self.cells.iter().filter(|c| c.strong_count() > 0).count();
        tables + CELL_BYTES * cells
    }
}

/// Drops the records of freed objects; `settled` (a count of the oldest records) is moved to
/// the same boundary among those kept.
fn prune<T>(records: &mut Vec<Weak<T>>, settled: &mut usize) {
    let mut index = 0;
    let mut settled_kept = 0;
    records.retain(|record| {
        let alive = record.strong_count() > 0;
        if alive && index < *settled {
            settled_kept += 1;
        }
        index += 1;
        alive
    });
    *settled = settled_kept;
}

/// The addresses of the tables, cells and closures reached so far.
#[derive(Default)]
struct Marks {
    tables: HashSet<usize>,
    cells: HashSet<usize>,
    closures: HashSet<usize>,
}

impl Marks {
    /// Marks `value` and queues what it references (an explicit stack: a deep structure must
    /// not overflow the Rust stack).
    fn visit(&mut self, value: &Value, pending: &mut Vec<Value>) {
        match value {
            Value::Table(t) => {
                if !self.tables.insert(Rc::as_ptr(&t.0) as usize) {
                    return;
                }
                let table = t.0.borrow();
                if let Some(mt) = &table.metatable {
                    pending.push(Value::Table(mt.clone()));
                }
                for (k, v) in table.pairs() {
                    pending.push(k);
                    pending.push(v.clone());
                }
            }
            Value::Function(Function::Lua(closure)) => {
                if !self.closures.insert(Rc::as_ptr(closure) as usize) {
                    return;
                }
                for cell in &closure.upvalues {
                    if self.cells.insert(Rc::as_ptr(cell) as usize) {
                        pending.push(cell.borrow().clone());
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::ast::Proto;
    use crate::lua::value::Closure;

    #[test]
    fn a_table_cycle_is_freed_and_a_reachable_one_kept() {
        let mut heap = Heap::default();
        let garbage = heap.new_table();
        garbage.set_str("self", Value::Table(garbage.clone()));
        let kept = heap.new_table();
        kept.set_str("self", Value::Table(kept.clone()));
        let garbage_weak = Rc::downgrade(&garbage.0);
        drop(garbage);
        assert_eq!(garbage_weak.strong_count(), 1, "the cycle keeps it alive");
        heap.collect(&[Value::Table(kept.clone())]);
        assert_eq!(garbage_weak.strong_count(), 0);
        assert!(kept.get_str("self").raw_eq(&Value::Table(kept.clone())));
    }

    #[test]
    fn only_objects_alive_since_the_last_collection_count_as_new_survivors() {
        let mut heap = Heap::default();
        let kept = heap.new_table();
        heap.collect(&[Value::Table(kept.clone())]);
        assert!(!heap.has_new_survivors(), "nothing made since");
        drop(heap.new_table());
        assert!(!heap.has_new_survivors(), "made and freed");
        let survivor = heap.new_table();
        assert!(heap.has_new_survivors());
        // Pruning keeps the boundary: 200 freed tables later the survivor is still new.
        for _ in 0..200 {
            drop(heap.new_table());
        }
        assert!(heap.has_new_survivors());
        drop(survivor);
        assert!(!heap.has_new_survivors());
        heap.collect(&[Value::Table(kept)]);
        assert!(!heap.has_new_survivors());
    }

    #[test]
    fn a_closure_holding_its_own_cell_is_freed() {
        let mut heap = Heap::default();
        let cell = heap.new_cell(Value::Nil);
        let proto = Rc::new(Proto {
            source: Rc::from("t"),
            line: 0,
            num_params: 0,
            is_vararg: false,
            num_slots: 0,
            slot_names: vec![],
            captured: vec![],
            upvalues: vec![],
            upvalue_names: vec![],
            body: vec![],
        });
        let closure = Rc::new(Closure {
            proto,
            upvalues: vec![cell.clone()],
        });
        *cell.borrow_mut() = Value::Function(Function::Lua(closure.clone()));
        let weak = Rc::downgrade(&closure);
        drop((closure, cell));
        assert_eq!(weak.strong_count(), 1);
        heap.collect(&[]);
        assert_eq!(weak.strong_count(), 0);
    }
}
