// SPDX-License-Identifier: GPL-2.0

//! Per-CPU event counters.
//!
//! [`Counters`] is one `[u32; N]` per possible CPU. Incrementing touches only
//! the local CPU's copy with a single `this_cpu_inc` (no lock, no atomic
//! read-modify-write, safe in any context); readers sum or list the copies,
//! as nf_conntrack does with `NF_CT_STAT_INC` and `/proc/net/stat`.
//!
//! C reference: include/linux/percpu.h, include/linux/percpu-defs.h.

use super::bindings;
use core::ptr::NonNull;
use kernel::prelude::*;

/// `N` per-CPU `u32` counters that wrap on overflow like C's `unsigned int`.
///
/// # Invariants
///
/// `ptr` is a live per-CPU allocation of `[u32; N]` (zero-initialised by
/// `__alloc_percpu`), freed only in `drop`.
pub(crate) struct Counters<const N: usize> {
    ptr: NonNull<[u32; N]>,
}

// SAFETY: The per-CPU area may be updated from any CPU (each touches its own
// copy through `this_cpu_inc`) and freed from any thread.
unsafe impl<const N: usize> Send for Counters<N> {}
// SAFETY: Shared access only increments the local CPU's copy or reads copies
// with volatile loads (the C `READ_ONCE` convention for stats).
unsafe impl<const N: usize> Sync for Counters<N> {}

impl<const N: usize> Counters<N> {
    /// Allocates zeroed counters for every possible CPU (may sleep).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Plain allocation; size and alignment are those of the array.
        let raw = unsafe {
            bindings::rct_helper___alloc_percpu(
                core::mem::size_of::<[u32; N]>(),
                core::mem::align_of::<[u32; N]>(),
            )
        };
        let ptr = NonNull::new(raw.cast::<[u32; N]>()).ok_or(ENOMEM)?;
        // INVARIANT: Freshly allocated and zeroed by the percpu allocator.
        Ok(Self { ptr })
    }

    /// Adds one to counter `idx` on the current CPU; an out-of-range index is ignored.
    pub(crate) fn inc(&self, idx: usize) {
        if idx >= N {
            return;
        }
        // CAST: A per-CPU pointer to element `idx` is the base plus its byte
        // offset, exactly as `&ptr->field` works on `__percpu` pointers in C.
        let elem = self.ptr.as_ptr().cast::<u32>().wrapping_add(idx);
        // SAFETY: By the type invariant `ptr` is a live per-CPU allocation and
        // `idx < N`, so `elem` is a per-CPU `unsigned int` inside it.
        unsafe { bindings::rct_helper_this_cpu_inc(elem) };
    }

    /// A snapshot of `cpu`'s counters, or `None` if `cpu` is not a possible CPU.
    pub(crate) fn get(&self, cpu: u32) -> Option<[u32; N]> {
        if !cpu_possible(cpu) {
            return None;
        }
        // SAFETY: `cpu` is a possible CPU and `ptr` a live per-CPU allocation.
        let p = unsafe { bindings::rct_helper_per_cpu_ptr(self.ptr.as_ptr().cast(), cpu) };
        let p = p.cast::<u32>();
        let mut out = [0u32; N];
        for (i, o) in out.iter_mut().enumerate() {
            // SAFETY: `p` is `cpu`'s `[u32; N]`; `i < N`. The owning CPU may be
            // incrementing concurrently: a volatile aligned load reads either
            // the old or the new value, like `READ_ONCE`.
            *o = unsafe { p.add(i).read_volatile() };
        }
        Some(out)
    }
}

impl<const N: usize> Drop for Counters<N> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `ptr` came from `__alloc_percpu` and is
        // freed only here.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}

/// Upper bound (exclusive) of CPU ids (`nr_cpu_ids`).
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: Reads a variable fixed at boot.
    unsafe { bindings::rct_helper_nr_cpu_ids() }
}

/// Whether `cpu` is a possible CPU (`cpu_possible()`).
pub(crate) fn cpu_possible(cpu: u32) -> bool {
    // `cpumask_test_cpu()` requires `cpu < nr_cpu_ids`, checked first.
    // SAFETY: Reads the boot-time possible mask within its bound.
    cpu < nr_cpu_ids() && unsafe { bindings::rct_helper_cpu_possible(cpu) }
}
