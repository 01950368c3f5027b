// SPDX-License-Identifier: GPL-2.0

//! Delayed work on the system unbound workqueue.
//!
//! Backport of the idea of rust/kernel/workqueue.rs's `DelayedWork` (newer
//! than 6.12), reduced to what rct's GC needs: a `delayed_work` embedded in
//! a long-lived object, a C callback that recovers the object, queueing with
//! a delay and synchronous cancellation.
//!
//! C reference: include/linux/workqueue.h, kernel/workqueue.c.

use super::bindings;
use kernel::types::Opaque;

/// A `struct delayed_work` that runs `run(ctx)`.
///
/// # Invariants
///
/// After [`DelayedWork::init`] the work is initialised, does not move, and
/// `ctx` points to a `T` that outlives every queued run.
#[repr(C)]
pub(crate) struct DelayedWork<T: Sync> {
    /// Must stay first: the C callback gets a pointer to it.
    dw: Opaque<bindings::delayed_work>,
    ctx: core::cell::Cell<*const T>,
    run: core::cell::Cell<Option<fn(&T)>>,
}

// SAFETY: Work items are queued and cancelled from any thread; `ctx` and
// `run` are written only in `init`, before the item can run.
unsafe impl<T: Sync> Send for DelayedWork<T> {}
// SAFETY: As above.
unsafe impl<T: Sync> Sync for DelayedWork<T> {}

impl<T: Sync> DelayedWork<T> {
    /// An uninitialised work item; call [`DelayedWork::init`] in its final place.
    pub(crate) const fn uninit() -> Self {
        Self {
            dw: Opaque::uninit(),
            ctx: core::cell::Cell::new(core::ptr::null()),
            run: core::cell::Cell::new(None),
        }
    }

    /// Initialises the work item to call `run(ctx)`.
    ///
    /// # Safety
    ///
    /// Called once before any other method; the item never moves afterwards;
    /// `ctx` outlives every run ([`DelayedWork::cancel_sync`] is called
    /// before `ctx` or the item is freed).
    pub(crate) unsafe fn init(&self, ctx: &T, run: fn(&T)) {
        self.ctx.set(ctx);
        self.run.set(Some(run));
        // SAFETY: Per the contract the item is in place and unused.
        unsafe { bindings::rct_helper_INIT_DELAYED_WORK(self.dw.get(), Some(Self::callback)) };
    }

    /// # Safety
    ///
    /// Only called by the workqueue for an item set up by [`DelayedWork::init`].
    unsafe extern "C" fn callback(work: *mut bindings::work_struct) {
        // CAST: `work` is the first field of `delayed_work`, itself the first
        // field of this `repr(C)` struct.
        // SAFETY: The item is live while its work runs (type invariant).
        let this = unsafe { &*work.cast::<Self>() };
        if let Some(run) = this.run.get() {
            // SAFETY: By the type invariant `ctx` outlives every run.
            run(unsafe { &*this.ctx.get() });
        }
    }

    /// Queues the work to run after `delay` jiffies unless it is already pending.
    pub(crate) fn queue(&self, delay: u32) -> bool {
        // SAFETY: `system_unbound_wq` is set up at boot and never changes.
        let wq = unsafe { bindings::system_unbound_wq };
        // SAFETY: By the type invariant the item is initialised and in place.
        unsafe { bindings::rct_helper_queue_delayed_work(wq, self.dw.get(), delay as usize) }
    }

    /// Cancels the work and waits for a running instance to finish (may sleep).
    /// A work function that re-queues itself is cancelled too.
    pub(crate) fn cancel_sync(&self) {
        // SAFETY: By the type invariant the item is initialised.
        unsafe { bindings::cancel_delayed_work_sync(self.dw.get()) };
    }
}
