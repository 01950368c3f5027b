// SPDX-License-Identifier: GPL-2.0

//! Spinlocks taken with bottom halves disabled, for data the packet path
//! shares between process context (LOCAL_OUT hooks) and softirq (RX hooks).
//!
//! [`BhLock`] is a bare `spinlock_t` meant to live in place inside a larger
//! pinned or never-moved allocation (hash table lock stripes, per-CPU
//! slots); [`BhLock::lock`] returns a guard that unlocks on drop.
//! [`lock_two`] takes two stripes in a fixed order with lockdep nesting, as
//! `nf_conntrack_double_lock()` does.
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

/// Two held locks taken by [`lock_two`].
pub(crate) struct BhGuard2<'a> {
    first: &'a BhLock,
    second: Option<&'a BhLock>,
}

impl Drop for BhGuard2<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.second {
            // SAFETY: `lock_two` took `second` with `spin_lock_nested`.
            unsafe { bindings::rct_helper_spin_unlock(s.0.get()) };
        }
        // SAFETY: `lock_two` took `first` with `spin_lock_bh`.
        unsafe { bindings::rct_helper_spin_unlock_bh(self.first.0.get()) };
    }
}

/// Locks `locks[a]` and `locks[b]` (once if equal) in index order, BHs off.
/// Returns `None` if an index is out of range.
pub(crate) fn lock_two(locks: &[BhLock], a: usize, b: usize) -> Option<BhGuard2<'_>> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let first = locks.get(lo)?;
    let second = if hi == lo { None } else { Some(locks.get(hi)?) };
    // SAFETY: By the type invariant the locks are initialised; the fixed
    // (index) order prevents ABBA deadlocks between two `lock_two` callers.
    unsafe { bindings::rct_helper_spin_lock_bh(first.0.get()) };
    if let Some(s) = second {
        // SAFETY: As above; lockdep is told this is a nested lock of the
        // same class, taken in a consistent order.
        unsafe {
            bindings::rct_helper_spin_lock_nested(s.0.get(), bindings::SINGLE_DEPTH_NESTING as i32)
        };
    }
    Some(BhGuard2 { first, second })
}
