//! The counting allocator: thredis's `zmalloc`. [`CountingAllocator`] hands every request to
//! [`System`] and keeps a running count of the bytes it has handed out and not yet taken back,
//! which is what Redis reports as `used_memory` (`zmalloc_used_memory`). `src/main.rs` registers
//! it as the `#[global_allocator]` and calls [`declare_installed`]; a binary that does not (the
//! library's unit tests, an example) has no count, and [`allocated`] says so.
//!
//! # What it counts
//! Every heap byte of the process, whoever asked for it: keys and values, the hash tables of the
//! databases and their expiry maps, client query and reply buffers, pub/sub queues, the AOF
//! buffer, copies a background save keeps, the configuration... Not counted: thread stacks, the
//! program's code and statics, and what the C allocator keeps for itself (its headers, freed
//! memory it has not returned to the system). The size counted is the size *requested* (the
//! `Layout`): the system allocator's usable size, which Redis's `zmalloc_size` reads, has no
//! portable query, and the difference is a few bytes per allocation.
//!
//! # Cheap under many threads
//! One shared counter updated on every allocation would bounce its cache line between the
//! cores of every thread that allocates. Each thread instead adds to its own pending delta (a
//! `Cell` in a const-initialised thread local: no allocation, no lazy initialisation inside
//! `alloc`), and folds it into the shared [`AtomicIsize`] when it passes ±[`FOLD_AT`], when the
//! thread ends, and when a connection goes back to reading ([`publish_pending`]). So the shared figure is
//! off by at most `FOLD_AT` per busy thread; the thread reading it adds its own pending delta,
//! which makes the figure exact for what that thread did (a client's own writes, checked
//! against `maxmemory` before its next command).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// The allocator `src/main.rs` registers: [`System`], counted.
pub struct CountingAllocator;

/// Bytes handed out minus bytes given back, folded from every thread's pending delta.
static FOLDED: AtomicIsize = AtomicIsize::new(0);

/// Set by [`declare_installed`]: the count is live only in the binary that registered us.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// How far a thread's pending delta may drift before it is folded into [`FOLDED`].
pub const FOLD_AT: isize = 64 * 1024;

/// A thread's not-yet-folded delta. Folded when the thread ends, so the bytes a finished
/// connection left allocated (or freed) still count.
struct Pending(Cell<isize>);

impl Drop for Pending {
    fn drop(&mut self) {
        FOLDED.fetch_add(self.0.replace(0), Ordering::Relaxed);
    }
}

thread_local! {
    static PENDING: Pending = const { Pending(Cell::new(0)) };
}

/// Counts `delta` bytes (negative when freed) for this thread.
#[inline]
fn record(delta: isize) {
    let recorded = PENDING.try_with(|pending| {
        let total = pending.0.get() + delta;
        if total.unsigned_abs() >= FOLD_AT as usize {
            FOLDED.fetch_add(total, Ordering::Relaxed);
            pending.0.set(0);
        } else {
            pending.0.set(total);
        }
    });
    // While the thread is being torn down its slot is gone: count straight into the total.
    if recorded.is_err() {
        FOLDED.fetch_add(delta, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees are ours; the counting touches only atomics and a `Cell`, and never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received (see the impl).
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            record(layout.size() as isize);
        }
        pointer
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            record(layout.size() as isize);
        }
        pointer
    }

    #[inline]
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(pointer, layout) };
        record(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        // On failure the old block is still allocated, unchanged.
        if !moved.is_null() {
            record(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

/// Folds this thread's pending delta into the shared total now. A connection calls it each time
/// it looks for more input, so a thread between requests hides nothing from the others' figure
/// (the `maxmemory` check of another client, its `INFO`).
pub fn publish_pending() {
    let _ = PENDING.try_with(|pending| {
        let delta = pending.0.replace(0);
        if delta != 0 {
            FOLDED.fetch_add(delta, Ordering::Relaxed);
        }
    });
}

/// Tells the library that this process's global allocator is [`CountingAllocator`], so
/// [`allocated`] is live. `src/main.rs` calls it first thing.
pub fn declare_installed() {
    INSTALLED.store(true, Ordering::Relaxed);
}

/// Bytes allocated now, as this thread sees them (the folded total plus its own pending
/// delta), or `None` when the counting allocator is not the global one.
pub fn allocated() -> Option<u64> {
    if !INSTALLED.load(Ordering::Relaxed) {
        return None;
    }
    let own = PENDING.try_with(|pending| pending.0.get()).unwrap_or(0);
    Some((FOLDED.load(Ordering::Relaxed) + own).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_deltas_stay_pending_and_large_ones_fold() {
        // The library's tests do not register the allocator: drive `record` by hand, on a thread
        // of our own so no other test's counting mixes in.
        std::thread::spawn(|| {
            let before = FOLDED.load(Ordering::Relaxed);
            record(100);
            assert_eq!(PENDING.with(|p| p.0.get()), 100);
            record(FOLD_AT);
            assert_eq!(PENDING.with(|p| p.0.get()), 0, "past the threshold: folded");
            record(-50);
            assert_eq!(PENDING.with(|p| p.0.get()), -50);
            // Other test threads may fold too, but none of them records (no allocator).
            assert_eq!(FOLDED.load(Ordering::Relaxed) - before, FOLD_AT + 100);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn without_the_allocator_registered_there_is_no_count() {
        assert_eq!(allocated(), None);
    }
}
