// SPDX-License-Identifier: GPL-2.0

//! Spinlocks taken with bottom halves disabled, for data the packet path
//! shares between process context (LOCAL_OUT hooks) and softirq (RX hooks).
//!
//! [`BhLock`] is a bare `spinlock_t` meant to live in place inside a larger
//! pinned or never-moved allocation (hash table lock stripes, per-CPU
//! slots); [`BhLock::lock`] returns a guard that unlocks on drop.
//! [`lock_set`] takes up to four stripes in a fixed order with lockdep
//! nesting, as `nf_conntrack_double_lock()` does for two.
//!
//! C reference: include/linux/spinlock.h.

use super::bindings;
use kernel::types::Opaque;

/// A BH-disabling spinlock protecting nothing by itself (the caller decides).
///
/// # Invariants
///
/// The lock was initialised by [`BhLock::init`] before any other use, and
/// has not moved since.
#[repr(transparent)]
pub(crate) struct BhLock(Opaque<bindings::spinlock_t>);

// SAFETY: A spinlock is made to be shared between CPUs.
unsafe impl Send for BhLock {}
// SAFETY: A spinlock is made to be shared between CPUs.
unsafe impl Sync for BhLock {}

impl BhLock {
    /// An uninitialised lock; [`BhLock::init`] must run once it is in its final place.
    pub(crate) const fn uninit() -> Self {
        Self(Opaque::uninit())
    }

    /// Initialises the lock in place.
    ///
    /// # Safety
    ///
    /// Called once, before any `lock`, and the lock never moves afterwards.
    pub(crate) unsafe fn init(&self) {
        // SAFETY: Per the contract the lock is at its final address and unused.
        unsafe { bindings::rct_helper_spin_lock_init(self.0.get()) };
    }

    /// Locks with bottom halves disabled until the guard drops.
    pub(crate) fn lock(&self) -> BhGuard<'_> {
        // SAFETY: By the type invariant the lock is initialised and in place.
        unsafe { bindings::rct_helper_spin_lock_bh(self.0.get()) };
        BhGuard(self)
    }
}

/// A held [`BhLock`].
pub(crate) struct BhGuard<'a>(&'a BhLock);

impl Drop for BhGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The guard exists only while the lock is held by us.
        unsafe { bindings::rct_helper_spin_unlock_bh(self.0 .0.get()) };
    }
}

/// Most locks [`lock_set`] takes at once.
pub(crate) const SET_MAX: usize = 4;

/// Locks held by [`lock_set`], released in reverse order on drop.
pub(crate) struct BhGuardSet<'a> {
    /// The held locks in the order taken; the first was taken with
    /// `spin_lock_bh`, the others with `spin_lock_nested`.
    held: [Option<&'a BhLock>; SET_MAX],
}

impl Drop for BhGuardSet<'_> {
    fn drop(&mut self) {
        let mut it = self.held.iter().flatten();
        let first = it.next();
        let nested: [Option<&BhLock>; SET_MAX] = core::array::from_fn(|_| it.next().copied());
        for l in nested.iter().rev().flatten() {
            // SAFETY: Taken by `lock_set` with `spin_lock_nested`, held until now.
            unsafe { bindings::rct_helper_spin_unlock(l.0.get()) };
        }
        if let Some(l) = first {
            // SAFETY: Taken by `lock_set` with `spin_lock_bh`, held until now.
            unsafe { bindings::rct_helper_spin_unlock_bh(l.0.get()) };
        }
    }
}

/// Locks `locks[i]` for every distinct `i` in `idx` (at most [`SET_MAX`]
/// distinct ones) in index order, BHs off, as `nf_conntrack_double_lock()`
/// does for two. Returns `None` if an index is out of range or there are
/// too many.
pub(crate) fn lock_set<'a>(locks: &'a [BhLock], idx: &[usize]) -> Option<BhGuardSet<'a>> {
    let mut sorted = [usize::MAX; SET_MAX];
    let mut n = 0;
    for &i in idx {
        if i >= locks.len() {
            return None;
        }
        if sorted.iter().take(n).any(|&s| s == i) {
            continue;
        }
        *sorted.get_mut(n)? = i;
        n += 1;
    }
    let sorted = sorted.get_mut(..n)?;
    // Insertion sort: at most four elements (and no `sort_unstable`, whose
    // panic paths objtool flags).
    for i in 1..sorted.len() {
        let mut j = i;
        while j > 0 && sorted.get(j - 1) > sorted.get(j) {
            sorted.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut held = [None; SET_MAX];
    for (&i, h) in sorted.iter().zip(held.iter_mut()) {
        *h = Some(locks.get(i)?);
    }
    for (k, l) in held.iter().flatten().enumerate() {
        if k == 0 {
            // SAFETY: By the type invariant the lock is initialised. Every
            // caller takes its set in ascending index order, so two sets
            // cannot deadlock (ABBA).
            unsafe { bindings::rct_helper_spin_lock_bh(l.0.get()) };
        } else {
            // SAFETY: As above; lockdep is told the k-th lock of a set is a
            // nested lock of the same class (subclasses 1..SET_MAX stay
            // below lockdep's limit of 8).
            unsafe { bindings::rct_helper_spin_lock_nested(l.0.get(), k as i32) };
        }
    }
    Some(BhGuardSet { held })
}
