//! Group commit for `appendfsync always`: many connection threads need the file synced past
//! their own offset, and one fsync can serve them all.
//!
//! The first to arrive while no flush runs becomes the **leader**: it flushes (writes everything
//! buffered, then fsyncs) while the others, the **followers**, register and park. When the fsync
//! ends, the leader wakes exactly the followers it covered, and if some arrived too late for it,
//! hands the lead to the first of those, which runs the next flush for all of them. Nobody polls
//! and nobody queues on a lock: a follower costs one park and one targeted unpark, however many
//! others wait, which matters on a machine with fewer cores than writers.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, Thread};

struct Waiter {
    target: u64,
    thread: Thread,
    /// Set when this waiter is to lead the next flush.
    lead: Arc<AtomicBool>,
}

#[derive(Default)]
struct Group {
    flushing: bool,
    waiters: Vec<Waiter>,
}

#[derive(Default)]
pub struct GroupCommit {
    group: Mutex<Group>,
    /// Threads inside [`GroupCommit::wait`]: waiting for a flush or leading one.
    committing: AtomicUsize,
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, Group> {
        self.group.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many threads wait for the file right now (the leader included).
    pub fn waiting(&self) -> usize {
        self.committing.load(Ordering::Acquire)
    }

    /// Returns once `durable` has reached `target`, running `flush` (which must make durable
    /// everything appended so far and publish it in `durable`) if this thread leads a flush.
    pub fn wait(&self, target: u64, durable: &AtomicU64, flush: impl FnOnce()) {
        self.committing.fetch_add(1, Ordering::AcqRel);
        let _leave = Leave(&self.committing);
        let mut group = self.lock();
        if durable.load(Ordering::Acquire) >= target {
            return;
        }
        if group.flushing {
            let lead = Arc::new(AtomicBool::new(false));
            group.waiters.push(Waiter {
                target,
                thread: thread::current(),
                lead: Arc::clone(&lead),
            });
            drop(group);
            loop {
                thread::park();
                // The lead first: another flush (the AOF thread's) may have covered this thread
                // since it was chosen, but the waiters behind it still need their leader.
                if lead.load(Ordering::Acquire) {
                    break;
                }
                if durable.load(Ordering::Acquire) >= target {
                    // Still in the list if this was a spurious wake-up: the next hand-over
                    // finds it served and drops it.
                    return;
                }
            }
        } else {
            group.flushing = true;
            drop(group);
        }
        flush();
        self.hand_over(durable.load(Ordering::Acquire));
    }

    /// After a flush reached `durable`: wake those it served, and give the lead to the first
    /// waiter it did not serve (or end the flushing).
    fn hand_over(&self, durable: u64) {
        let mut wake = Vec::new();
        let mut group = self.lock();
        group.waiters.retain(|waiter| {
            let served = waiter.target <= durable;
            if served {
                wake.push(waiter.thread.clone());
            }
            !served
        });
        if group.waiters.is_empty() {
            group.flushing = false;
        } else {
            let next = group.waiters.remove(0);
            next.lead.store(true, Ordering::Release);
            wake.push(next.thread);
        }
        drop(group);
        wake.into_iter().for_each(|thread| thread.unpark());
    }
}

/// Counts a thread out of `committing` however it leaves.
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_chosen_leader_leads_even_if_its_own_bytes_became_durable_meanwhile() {
        let group = Arc::new(GroupCommit::default());
        let durable = Arc::new(AtomicU64::new(0));
        let (first_in, release) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        // The first thread leads a flush that lasts until released.
        let leader = {
            let (group, durable, first_in, release) = (
                Arc::clone(&group),
                Arc::clone(&durable),
                Arc::clone(&first_in),
                Arc::clone(&release),
            );
            thread::spawn(move || {
                group.wait(1, &durable, || {
                    first_in.store(true, Ordering::Release);
                    while !release.load(Ordering::Acquire) {
                        thread::yield_now();
                    }
                    durable.store(1, Ordering::Release);
                });
            })
        };
        while !first_in.load(Ordering::Acquire) {
            thread::yield_now();
        }
        // Two followers need more than that flush gives.
        let followers: Vec<_> = (2..4)
            .map(|target| {
                let (group, durable) = (Arc::clone(&group), Arc::clone(&durable));
                thread::spawn(move || {
                    group.wait(target, &durable, || durable.store(3, Ordering::Release))
                })
            })
            .collect();
        while group.waiting() < 3 {
            thread::yield_now();
        }
        release.store(true, Ordering::Release);
        // Meanwhile something else (the AOF thread) makes 2 durable: the chosen leader must
        // still lead, or the follower behind it waits forever.
        durable.store(2, Ordering::Release);
        leader.join().unwrap();
        followers.into_iter().for_each(|f| f.join().unwrap());
        assert_eq!(durable.load(Ordering::Acquire), 3);
    }

    #[test]
    fn concurrent_waiters_share_flushes_and_all_get_theirs() {
        let group = Arc::new(GroupCommit::default());
        let appended = Arc::new(AtomicU64::new(0));
        let durable = Arc::new(AtomicU64::new(0));
        let flushes = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (group, appended, durable, flushes) = (
                    Arc::clone(&group),
                    Arc::clone(&appended),
                    Arc::clone(&durable),
                    Arc::clone(&flushes),
                );
                thread::spawn(move || {
                    for _ in 0..200 {
                        let target = appended.fetch_add(1, Ordering::AcqRel) + 1;
                        group.wait(target, &durable, || {
                            std::thread::sleep(std::time::Duration::from_micros(200));
                            flushes.fetch_add(1, Ordering::Relaxed);
                            durable.fetch_max(appended.load(Ordering::Acquire), Ordering::AcqRel);
                        });
                        assert!(durable.load(Ordering::Acquire) >= target);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let flushes = flushes.load(Ordering::Relaxed);
        assert!(
            flushes < 16 * 200,
            "{flushes} flushes for 3200 commits: some were shared"
        );
        assert_eq!(group.waiting(), 0);
    }
}
