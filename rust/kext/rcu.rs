// SPDX-License-Identifier: GPL-2.0

//! Read-copy-update: read-side guards, grace periods, deferred callbacks.
//!
//! Backport of: rust/kernel/sync/rcu.rs (6.13) for [`Guard`] and
//! [`read_lock`]; plus `synchronize_rcu()`, `rcu_barrier()`, `call_rcu()`
//! frees ([`RcuHead`]) and batched frees after one polled grace period
//! ([`Deferred`]).
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

    /// Frees the object; runs after a grace period, in softirq context
    /// ([`RcuHead::call_free`]) or process context ([`Deferred`]).
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

/// Objects unlinked from RCU-protected structures, collected to be freed
/// together after one grace period instead of a `call_rcu()` each (a mass
/// expiry would otherwise queue as many callbacks, run in softirq
/// context). Linked through their own [`RcuHead`]s; no allocation.
///
/// Collect with [`Deferred::push`], then [`Deferred::seal`] starts the
/// grace period without waiting for it; [`Sealed::free`] (or dropping
/// either) waits only if it has not passed yet, then frees in process
/// context.
pub(crate) struct Deferred<T: RcuFree> {
    head: *mut bindings::callback_head,
    _p: PhantomData<T>,
}

/// A [`Deferred`] list whose grace period has started.
pub(crate) struct Sealed<T: RcuFree> {
    list: Deferred<T>,
    cookie: usize,
}

// SAFETY: The list owns its objects exclusively (the contract of `push`);
// freeing them from another thread is fine.
unsafe impl<T: RcuFree> Send for Deferred<T> {}
// SAFETY: As above.
unsafe impl<T: RcuFree> Send for Sealed<T> {}

impl<T: RcuFree> Deferred<T> {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            head: core::ptr::null_mut(),
            _p: PhantomData,
        }
    }

    /// Whether nothing was collected.
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Adds `obj`, to be freed after a grace period that starts at
    /// [`Deferred::seal`] or later.
    ///
    /// # Safety
    ///
    /// As for [`RcuHead::call_free`]: `obj` is live, no new reader can
    /// reach it any more, it is queued (here or by `call_free`) at most
    /// once, and its head is at `T::HEAD_OFFSET`.
    pub(crate) unsafe fn push(&mut self, obj: *mut T) {
        // CAST: Per the contract the head lies `HEAD_OFFSET` bytes into `obj`.
        let head = obj.cast::<u8>().wrapping_add(T::HEAD_OFFSET).cast::<bindings::callback_head>();
        // SAFETY: The head is the object's own and unqueued (contract), so
        // its `next` field is ours to link the list with.
        unsafe { (*head).next = self.head };
        self.head = head;
    }

    /// Starts a grace period for everything collected (never sleeps).
    pub(crate) fn seal(self) -> Sealed<T> {
        // SAFETY: No preconditions.
        let cookie = unsafe { bindings::rct_helper_start_poll_synchronize_rcu() };
        Sealed { list: self, cookie }
    }

    /// Frees every object; the caller made sure a grace period has passed
    /// since the last push.
    fn free_all(&mut self) {
        let mut head = core::mem::replace(&mut self.head, core::ptr::null_mut());
        let mut n = 0u32;
        while !head.is_null() {
            // SAFETY: `head` is a pushed object's head, still owned by the list.
            let next = unsafe { (*head).next };
            // CAST: Inverse of the computation in `push`.
            let obj = head.cast::<u8>().wrapping_sub(T::HEAD_OFFSET).cast::<T>();
            // SAFETY: Pushed once (contract of `push`), a grace period has
            // passed, and it leaves the list here: freed exactly once.
            unsafe { T::free(obj) };
            head = next;
            n = n.wrapping_add(1);
            if n % 256 == 0 {
                super::sched::cond_resched();
            }
        }
    }
}

impl<T: RcuFree> Sealed<T> {
    /// Whether the grace period has passed (never sleeps).
    pub(crate) fn done(&self) -> bool {
        // SAFETY: No preconditions.
        unsafe { bindings::rct_helper_poll_state_synchronize_rcu(self.cookie) }
    }

    /// Waits for the grace period if it has not passed yet, then frees
    /// everything (process context; may sleep).
    pub(crate) fn free(self) {
        drop(self);
    }
}

impl<T: RcuFree> Drop for Sealed<T> {
    fn drop(&mut self) {
        if self.list.is_empty() {
            return;
        }
        // SAFETY: Process context (documented on `free`); returns at once if
        // the grace period started by `seal` has already ended.
        unsafe { bindings::rct_helper_cond_synchronize_rcu(self.cookie) };
        self.list.free_all();
    }
}

impl<T: RcuFree> Drop for Deferred<T> {
    fn drop(&mut self) {
        if self.is_empty() {
            return;
        }
        // Not sealed: wait for a full grace period from now.
        synchronize();
        self.free_all();
    }
}
