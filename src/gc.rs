// SPDX-License-Identifier: GPL-2.0

//! Garbage collection: a delayed work that walks the table in bounded
//! slices, killing expired entries, and reaps unconfirmed entries whose
//! packet was dropped before a confirm hook.
//!
//! Each run visits at most [`BUCKETS_PER_RUN`] buckets (each under its own
//! short RCU read-side section; locks only while unlinking one entry; a
//! chance to reschedule every 128 buckets) and kills at most
//! [`KILLS_PER_RUN`] entries, and resumes where the previous run stopped.
//! Runs come every 100 ms, or every 20 ms while runs keep finding expired
//! entries or a namespace's table is more than 7/8 full, or a jiffy apart
//! while a run stops at its kill budget. Lookups ignore (and kill) expired
//! entries, so GC latency never makes a dead flow look alive.
//!
//! The entries a run kills are freed together by a later run once one
//! polled grace period for the whole batch is over (up to [`PENDING`]
//! batches wait; a run waits only when all are taken), in process
//! context: not a `call_rcu()` each, whose callbacks a mass expiry would
//! pile up in softirq context.
//!
//! C reference: `gc_worker()` in net/netfilter/nf_conntrack_core.c.

use crate::conn::Conn;
use crate::conntrack::{ns_of, Table, UNCONFIRMED_MAX_AGE};
use crate::kext::rcu::{self, Deferred, Sealed};
use crate::kext::sched;
use crate::kext::time::{self, HZ};
use crate::kext::workqueue::DelayedWork;
use crate::proto::stat::Stat;
use crate::proto::track::time_after;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Buckets visited per run.
const BUCKETS_PER_RUN: u32 = 2048;
/// Entries killed per run at most (about a millisecond of work): a mass
/// expiry is reaped in short runs a jiffy apart, so the worker never holds
/// a CPU long enough to delay the tasks waiting for it (on a kernel without
/// preemption, `cond_resched()` yields only once the tick asks for it).
const KILLS_PER_RUN: u32 = 1024;
/// Delay between runs.
const INTERVAL: u32 = HZ / 10;
/// Buckets between chances to reschedule within a run.
const RESCHED_EVERY: u32 = 128;
/// Delay between runs while expired entries are being found.
const INTERVAL_BUSY: u32 = HZ / 50;

/// Batches of killed entries waiting for their grace periods: a run frees
/// those whose grace period is over and waits only when all slots are
/// taken (a grace period spans several short runs during a mass expiry).
const PENDING: usize = 8;

/// The batches of recent runs, filled round robin.
struct Pending {
    batches: [Option<Sealed<Conn>>; PENDING],
    next: usize,
}

/// The GC worker of the global table; stops on drop.
pub(crate) struct Gc {
    table: Arc<Table>,
    work: DelayedWork<Gc>,
    next: AtomicU32,
    /// Entries killed by recent runs, waiting for their grace periods.
    /// Only `run` and `drop` touch it.
    dead: UnsafeCell<Pending>,
}

// SAFETY: `dead` is only accessed by `run`, which never runs concurrently
// with itself (a work item is not reentrant), and by `drop` after the work
// was cancelled; everything else is `Sync`.
unsafe impl Sync for Gc {}

impl Gc {
    /// Starts collecting `table` (may sleep).
    pub(crate) fn start(table: Arc<Table>) -> Result<Pin<KBox<Gc>>> {
        let gc = KBox::pin(
            Gc {
                table,
                work: DelayedWork::uninit(),
                next: AtomicU32::new(0),
                dead: UnsafeCell::new(Pending {
                    batches: [const { None }; PENDING],
                    next: 0,
                }),
            },
            GFP_KERNEL,
        )?;
        let r: &Gc = &gc;
        // SAFETY: `gc` is pinned in its final place, initialised once here;
        // `drop` cancels the work before `gc` is freed.
        unsafe { r.work.init(r, Gc::run) };
        gc.work.queue(INTERVAL);
        Ok(gc)
    }

    /// The pending batches.
    #[allow(clippy::mut_from_ref)]
    fn pending(&self) -> &mut Pending {
        // SAFETY: See the `Sync` impl: `run` and `drop` do not overlap, and
        // neither holds two of these references at once.
        unsafe { &mut *self.dead.get() }
    }

    fn run(&self) {
        // Free in process context, after one grace period for the whole
        // batch: a mass expiry would otherwise queue a `call_rcu()` per
        // entry, all run in softirq context, delaying packets.
        for b in self.pending().batches.iter_mut() {
            if b.as_ref().is_some_and(|s| s.done()) {
                if let Some(s) = b.take() {
                    s.free();
                }
            }
        }
        let mut dead = Deferred::new();
        let now = time::jiffies32();
        self.table.reap_parked(|c| {
            let old = time_after(now, c.born.wrapping_add(UNCONFIRMED_MAX_AGE));
            if old {
                // SAFETY: `reap_parked` calls this inside an RCU read-side
                // section while `c` is parked.
                unsafe { ns_of(c) }.stats.inc(Stat::UnconfirmedDrop);
            }
            old
        });

        let n = self.table.buckets();
        let start = self.next.load(Ordering::Relaxed) % n;
        let budget = BUCKETS_PER_RUN.min(n);
        let mut expired = 0u32;
        let mut visited = budget;
        for i in 0..budget {
            if expired >= KILLS_PER_RUN {
                visited = i;
                break;
            }
            let b = start.wrapping_add(i) % n;
            {
                let g = rcu::read_lock();
                self.table.for_each_in_bucket(&g, b, |c| {
                    if c.expired(now) && self.table.kill_into(c, &mut dead) {
                        expired = expired.saturating_add(1);
                    }
                });
            }
            // Let other tasks on this CPU run now and then: a run that
            // finds thousands of expired entries takes milliseconds.
            if i % RESCHED_EVERY == RESCHED_EVERY - 1 {
                sched::cond_resched();
            }
        }
        self.next.store(start.wrapping_add(visited) % n, Ordering::Relaxed);
        if !dead.is_empty() {
            let p = self.pending();
            let i = p.next % PENDING;
            p.next = p.next.wrapping_add(1);
            if let Some(slot) = p.batches.get_mut(i) {
                // The oldest batch, if its grace period is not over yet:
                // wait for it (all slots are taken).
                if let Some(old) = slot.take() {
                    old.free();
                }
                *slot = Some(dead.seal());
            }
        }
        let delay = if visited < budget {
            // Stopped early with more to kill: go on after a jiffy's pause.
            1
        } else if expired > 0 || self.table.take_pressure() {
            INTERVAL_BUSY
        } else {
            INTERVAL
        };
        self.work.queue(delay);
    }
}

impl Drop for Gc {
    fn drop(&mut self) {
        self.work.cancel_sync();
        for b in self.pending().batches.iter_mut() {
            if let Some(s) = b.take() {
                s.free();
            }
        }
    }
}
