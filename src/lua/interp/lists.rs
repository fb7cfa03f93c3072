//! Reused value lists: the argument and result vectors of calls.
//!
//! Every call passes its arguments as a `Vec<Value>` and gets its results as another, so a
//! call made one allocation and one free for each (callgrind: ~250 of the ~1,300 instructions
//! of a `math.floor(x)` call, and the same for a Lua function returning one value). The
//! interpreter takes the lists it builds from this pool, and gives back the ones that come
//! back to it emptied: the results it has read, the argument list a frame has taken its
//! parameters from. A native still drops the argument list it is given; most of them build
//! their results in a fresh one, which then comes back here, so the pool stays filled.

use super::Lua;
use crate::lua::value::Value;

/// How many lists the pool keeps, and the largest capacity worth keeping: a call's lists are
/// short, and a long one (`unpack` of a big table) is better freed.
const POOL_SIZE: usize = 32;
const MAX_KEPT_CAPACITY: usize = 16;
/// A list made afresh has room for this many values, so that it can carry the arguments of
/// most calls without growing.
const MIN_CAPACITY: usize = 4;

// `take_list` and `recycle_list` are inlined: as calls, saving and restoring registers was
// most of their cost (callgrind: a Lua call from 1,376 to 1,290 instructions).
impl Lua {
    /// An empty list with room for `needed` values, from the pool when it has one big enough
    /// (a natives' result list often has room for one value only: growing it would cost the
    /// allocation saved).
    #[inline(always)]
    pub(super) fn take_list(&mut self, needed: usize) -> Vec<Value> {
        match self.list_pool.pop() {
            Some(list) if list.capacity() >= needed => list,
            _ => Vec::with_capacity(needed.max(MIN_CAPACITY)),
        }
    }

    /// Gives a list back: its values are dropped, its buffer kept for the next call.
    #[inline(always)]
    pub(super) fn recycle_list(&mut self, mut list: Vec<Value>) {
        let capacity = list.capacity();
        if capacity != 0 && capacity <= MAX_KEPT_CAPACITY && self.list_pool.len() < POOL_SIZE {
            list.clear();
            self.list_pool.push(list);
        }
    }

    /// The first of a call's results (nil if none), its list given back.
    #[inline]
    pub(super) fn first_result(&mut self, mut results: Vec<Value>) -> Value {
        let first = match results.first_mut() {
            Some(value) => std::mem::take(value),
            None => Value::Nil,
        };
        self.recycle_list(results);
        first
    }
}
