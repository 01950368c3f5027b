// SPDX-License-Identifier: GPL-2.0

//! Read-copy-update: read-side guards, grace periods, deferred callbacks.
//!
//! Backport of: rust/kernel/sync/rcu.rs (6.13) for [`Guard`] and
//! [`read_lock`]; plus `synchronize_rcu()` and `rcu_barrier()`.
//!
//! C reference: include/linux/rcupdate.h.

use super::bindings;
use core::marker::PhantomData;

/// Evidence that the RCU read-side lock is held; unlocks on drop.
///
/// Not `Send`: it must be dropped on the CPU/thread that took it.
pub(crate) struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Takes the RCU read-side lock.
    pub(crate) fn new() -> Self {
        // SAFETY: `rcu_read_lock()` may be called in any context; it is
        // released exactly once in `drop`.
        unsafe { bindings::rct_helper_rcu_read_lock() };
        Self(PhantomData)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: `new` took the lock, and guards are not `Send`.
        unsafe { bindings::rct_helper_rcu_read_unlock() };
    }
}

/// Takes the RCU read-side lock (backport of `kernel::sync::rcu::read_lock`).
pub(crate) fn read_lock() -> Guard {
    Guard::new()
}

/// Waits for a full grace period (may sleep; never from atomic context).
pub(crate) fn synchronize() {
    // SAFETY: Callers are in process context (documented above).
    unsafe { bindings::synchronize_rcu() };
}

/// Waits until every `call_rcu()` callback queued so far has run (may sleep).
pub(crate) fn barrier() {
    // SAFETY: Callers are in process context (documented above).
    unsafe { bindings::rcu_barrier() };
}

/// An `rcu_head` inside an object that is freed after a grace period.
#[repr(transparent)]
pub(crate) struct RcuHead(kernel::types::Opaque<bindings::callback_head>);

// SAFETY: The head is only handed to `call_rcu`, which may run on any CPU.
unsafe impl Send for RcuHead {}
// SAFETY: Shared references to the head expose nothing.
unsafe impl Sync for RcuHead {}

/// An object with an [`RcuHead`] that can free itself after a grace period.
///
/// # Safety
///
/// `HEAD_OFFSET` is the byte offset of an [`RcuHead`] field inside `Self`.
pub(crate) unsafe trait RcuFree: Sized {
    /// Offset of the [`RcuHead`] field (use `core::mem::offset_of!`).
    const HEAD_OFFSET: usize;

    /// Frees the object; runs after a grace period, in softirq context.
    ///
    /// # Safety
    ///
    /// `this` was passed to [`RcuHead::call_free`] and is freed exactly once.
    unsafe fn free(this: *mut Self);
}

impl RcuHead {
    /// A new, unqueued head.
    pub(crate) const fn new() -> Self {
        Self(kernel::types::Opaque::uninit())
    }

    /// Frees `obj` (through [`RcuFree::free`]) once every RCU reader that
    /// may still see it has finished.
    ///
    /// # Safety
    ///
    /// `obj` is live, no new reader can reach it any more, it is queued at
    /// most once, and its head is at `T::HEAD_OFFSET`.
    pub(crate) unsafe fn call_free<T: RcuFree>(obj: *mut T) {
        // CAST: Per the contract the head lies `HEAD_OFFSET` bytes into `obj`.
        let head = obj.cast::<u8>().wrapping_add(T::HEAD_OFFSET).cast::<bindings::callback_head>();
        // SAFETY: `head` is the object's own unqueued rcu_head (contract);
        // the trampoline frees the object exactly once.
        unsafe { bindings::call_rcu(head, Some(Self::trampoline::<T>)) };
    }

    /// # Safety
    ///
    /// Only called by RCU for a head queued by [`RcuHead::call_free`].
    unsafe extern "C" fn trampoline<T: RcuFree>(head: *mut bindings::callback_head) {
        // CAST: Inverse of the computation in `call_free`.
        let obj = head.cast::<u8>().wrapping_sub(T::HEAD_OFFSET).cast::<T>();
        // SAFETY: `obj` was queued once by `call_free` and is freed here once.
        unsafe { T::free(obj) };
    }
}
