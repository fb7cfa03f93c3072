//! A running Lua function's storage: one slot per local declaration of its prototype, the
//! extra arguments of a vararg function, and the closure (for its upvalues). A captured local
//! lives in a shared cell instead of its slot, a fresh cell each time its declaration runs, so
//! the closures of each loop iteration see their own variable (Lua 5.1's `OP_CLOSE`).

use std::rc::Rc;

use super::Lua;
use crate::lua::ast::{Proto, UpvalueSource};
use crate::lua::value::{Closure, Function, UpvalueCell, Value};

pub(super) enum Slot {
    Plain(Value),
    Captured(UpvalueCell),
}

pub(super) struct Frame {
    pub closure: Rc<Closure>,
    pub slots: Vec<Slot>,
    pub varargs: Vec<Value>,
}

impl Frame {
    pub fn proto(&self) -> &Proto {
        &self.closure.proto
    }

    // The accessors are inlined: they are on the path of every variable read and write (a
    // call each was ~10% of a loop's instructions, callgrind).
    #[inline(always)]
    pub fn local(&self, slot: usize) -> Value {
        match &self.slots[slot] {
            Slot::Plain(v) => v.clone(),
            Slot::Captured(cell) => cell.borrow().clone(),
        }
    }

    /// A new variable in a slot no closure captures. The old variable's value (from the last
    /// iteration of a loop) is dropped with [`Value::discard`]: most are numbers.
    #[inline(always)]
    pub fn declare_plain(&mut self, slot: usize, value: Value) {
        match &mut self.slots[slot] {
            Slot::Plain(old) => std::mem::replace(old, value).discard(),
            other => *other = Slot::Plain(value),
        }
    }

    /// Assignment to a local already declared (its cell, if captured, is kept).
    #[inline(always)]
    pub fn set_local(&mut self, slot: usize, value: Value) {
        match &mut self.slots[slot] {
            Slot::Plain(v) => std::mem::replace(v, value).discard(),
            Slot::Captured(cell) => *cell.borrow_mut() = value,
        }
    }

    #[inline]
    pub fn upvalue(&self, index: usize) -> Value {
        self.closure.upvalues[index].borrow().clone()
    }

    pub fn set_upvalue(&self, index: usize, value: Value) {
        *self.closure.upvalues[index].borrow_mut() = value;
    }
}

impl Lua {
    /// A frame for `closure` called with `args`: parameters in their slots, the rest of the
    /// arguments kept as varargs if the function takes them.
    pub(super) fn new_frame(&mut self, closure: Rc<Closure>, mut args: Vec<Value>) -> Frame {
        let proto = &closure.proto;
        let mut slots = self.slot_pool.pop().unwrap_or_default();
        slots.reserve(proto.num_slots);
        let num_params = proto.num_params;
        let mut given = args.drain(..num_params.min(args.len()));
        for slot in 0..num_params {
            let value = given.next().unwrap_or_default();
            if proto.captured[slot] {
                slots.push(Slot::Captured(self.heap.new_cell(value)));
            } else {
                slots.push(Slot::Plain(value));
            }
        }
        drop(given);
        slots.resize_with(proto.num_slots.max(num_params), || Slot::Plain(Value::Nil));
        // The argument list, emptied of its parameters, goes back to the pool (see `lists`).
        let varargs = if proto.is_vararg {
            args
        } else {
            self.recycle_list(args);
            Vec::new()
        };
        Frame {
            closure,
            slots,
            varargs,
        }
    }

    /// Returns a finished frame's slot vector to the pool.
    pub(super) fn recycle_frame(&mut self, frame: Frame) {
        self.recycle_list(frame.varargs);
        let mut slots = frame.slots;
        slots.clear();
        if self.slot_pool.len() < 64 {
            self.slot_pool.push(slots);
        }
    }

    /// Runs a local declaration: the slot gets a new variable (a new cell if captured).
    #[inline]
    pub(super) fn declare_local(&mut self, frame: &mut Frame, slot: usize, value: Value) {
        if frame.closure.proto.captured[slot] {
            frame.slots[slot] = Slot::Captured(self.heap.new_cell(value));
        } else {
            frame.declare_plain(slot, value);
        }
    }

    /// `function ... end` evaluated in `frame`: a closure capturing the cells its prototype
    /// names.
    pub(super) fn make_closure(&mut self, frame: &mut Frame, proto: &Rc<Proto>) -> Value {
        let mut upvalues = Vec::with_capacity(proto.upvalues.len());
        for source in &proto.upvalues {
            let cell = match *source {
                UpvalueSource::ParentUpvalue(index) => frame.closure.upvalues[index].clone(),
                UpvalueSource::ParentLocal(slot) => self.capture(frame, slot),
            };
            upvalues.push(cell);
        }
        Value::Function(Function::Lua(Rc::new(Closure {
            proto: proto.clone(),
            upvalues,
        })))
    }

    /// The cell of a captured local; a local the parser did not mark captured is moved into
    /// one (defensive: the closure and the frame must share it).
    fn capture(&mut self, frame: &mut Frame, slot: usize) -> UpvalueCell {
        if let Slot::Plain(value) = &mut frame.slots[slot] {
            let value = std::mem::take(value);
            frame.slots[slot] = Slot::Captured(self.heap.new_cell(value));
        }
        match &frame.slots[slot] {
            Slot::Captured(cell) => cell.clone(),
            Slot::Plain(_) => unreachable!("made a cell above"),
        }
    }
}
