// SPDX-License-Identifier: GPL-2.0

//! Scheduler entry points for long-running process-context loops.
//!
//! C reference: include/linux/sched.h.

use super::bindings;

/// Lets other tasks run if this one has used up its slice (`cond_resched()`).
/// Process context only, with no spinlock or RCU read lock held.
pub(crate) fn cond_resched() {
    // SAFETY: Callers are in process context without atomic sections (see
    // above); `cond_resched()` may sleep there.
    unsafe { bindings::rct_helper_cond_resched() };
}
