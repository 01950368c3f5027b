// SPDX-License-Identifier: GPL-2.0

//! Network namespaces and per-namespace ("pernet") state.
//!
//! [`PernetRegistration`] registers a `pernet_operations` whose `init` builds a
//! [`Pernet::State`] for every network namespace (existing ones at
//! registration, new ones as they are created). Exit is two-phase and
//! batched, as the kernel tears namespaces down: `pre_exit` runs
//! [`Pernet::pre_exit`] on each dying namespace, the kernel waits for one
//! RCU grace period for the whole batch, then `exit_batch` hands all their
//! states to [`Pernet::exit_batch`] at once and drops them. The state is
//! kept in the namespace's `net_generic` slot.
//!
//! C reference: include/net/net_namespace.h, include/net/netns/generic.h.

use super::bindings;
use core::cell::UnsafeCell;
use core::ffi::c_void;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;
use kernel::types::Opaque;

/// A network namespace (`struct net`).
///
/// # Invariants
///
/// The wrapped `struct net` is alive for as long as the reference to this
/// wrapper is.
#[repr(transparent)]
pub(crate) struct Net(Opaque<bindings::net>);

impl Net {
    /// Borrows a `struct net` pointer as a [`Net`].
    ///
    /// # Safety
    ///
    /// `ptr` points to a live `struct net` that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::net) -> &'a Net {
        // CAST: `Net` is `repr(transparent)` over `Opaque<net>`, itself a
        // transparent wrapper of `net`.
        // SAFETY: The caller guarantees `ptr` is valid for `'a`.
        unsafe { &*ptr.cast::<Net>() }
    }

    /// Whether this is the initial namespace (`init_net`), where machine-wide
    /// settings live.
    pub(crate) fn is_init(&self) -> bool {
        // SAFETY: By the type invariant the namespace is alive.
        unsafe { bindings::rct_helper_net_is_init(self.as_ptr()) }
    }

    /// The namespace's address, to find it again with [`Net::from_addr`]
    /// from where a reference cannot be kept.
    pub(crate) fn addr(&self) -> usize {
        self.0.get() as usize
    }

    /// The namespace at `addr`.
    ///
    /// # Safety
    ///
    /// `addr` came from [`Net::addr`] of a namespace that stays alive for `'a`.
    pub(crate) unsafe fn from_addr<'a>(addr: usize) -> &'a Net {
        // SAFETY: Per the contract.
        unsafe { Self::from_raw(addr as *mut bindings::net) }
    }

    /// The raw `struct net` pointer, for kext's own FFI calls.
    pub(crate) fn as_ptr(&self) -> *mut bindings::net {
        self.0.get()
    }
}

/// The `net_generic` slot id of a pernet subsystem, assigned at registration.
///
/// Declare one as a `static` per [`Pernet`] implementation.
pub(crate) struct PernetId(UnsafeCell<u32>);

// SAFETY: The id is written only by `register_pernet_subsys()` (under the
// kernel's `pernet_ops_rwsem`, before any pernet callback of ours runs) and
// only read afterwards, so there are no concurrent writes.
unsafe impl Sync for PernetId {}

impl PernetId {
    /// A new, not yet assigned, id.
    pub(crate) const fn new() -> Self {
        Self(UnsafeCell::new(0))
    }

    fn get(&self) -> u32 {
        // SAFETY: See the `Sync` impl: no write races with this read once a
        // callback can run.
        unsafe { *self.0.get() }
    }
}

/// A subsystem with state in every network namespace.
pub(crate) trait Pernet: 'static {
    /// The per-namespace state.
    type State: Send + Sync;

    /// The slot id shared by all namespaces.
    fn id() -> &'static PernetId;

    /// Builds the state of namespace `net`. It is dropped when `net` exits
    /// (or when the registration is dropped), always before `net` is freed.
    fn init(net: &Net) -> Result<KBox<Self::State>>;

    /// First exit step of a namespace. An RCU grace period passes between
    /// it and the [`Pernet::exit_batch`] that includes the same namespace.
    fn pre_exit(_state: &Self::State) {}

    /// Last exit step, once for a batch of namespaces (all of which went
    /// through [`Pernet::pre_exit`]); their states are dropped right after.
    fn exit_batch(_states: &[&Self::State]) {}
}

/// A registered [`Pernet`] subsystem; unregistering (on drop) exits every namespace.
pub(crate) struct PernetRegistration<T: Pernet> {
    ops: Pin<KBox<Opaque<bindings::pernet_operations>>>,
    _p: core::marker::PhantomData<T>,
}

// SAFETY: The registration only holds the ops the kernel reads; it can be
// dropped (unregistered) from any thread.
unsafe impl<T: Pernet> Send for PernetRegistration<T> {}
// SAFETY: `&PernetRegistration` exposes nothing.
unsafe impl<T: Pernet> Sync for PernetRegistration<T> {}

impl<T: Pernet> PernetRegistration<T> {
    /// Registers `T`: runs [`Pernet::init`] for every existing namespace now
    /// and for every new one later.
    pub(crate) fn new() -> Result<Self> {
        let ops = KBox::pin(Opaque::uninit(), GFP_KERNEL)?;
        let raw: *mut bindings::pernet_operations = ops.get();
        // SAFETY: `raw` points to memory we own; an all-zero `pernet_operations`
        // is valid (null list pointers and `None` callbacks).
        unsafe { raw.write(core::mem::zeroed()) };
        // SAFETY: `raw` is valid and initialised; the fields are set before the
        // kernel sees the struct.
        unsafe {
            (*raw).init = Some(Self::init_callback);
            (*raw).pre_exit = Some(Self::pre_exit_callback);
            (*raw).exit_batch = Some(Self::exit_batch_callback);
            // CAST: `PernetId` wraps the `unsigned int` the kernel writes.
            let id = T::id().0.get();
            core::ptr::addr_of_mut!((*raw).id).write(id);
            core::ptr::addr_of_mut!((*raw).size).write(core::mem::size_of::<*mut c_void>());
        }
        // SAFETY: `raw` is a fully initialised `pernet_operations` in pinned
        // memory that lives until `drop` unregisters it.
        to_result(unsafe { bindings::register_pernet_subsys(raw) })?;
        Ok(Self {
            ops,
            _p: core::marker::PhantomData,
        })
    }

    /// The `net_generic` slot of `net`, holding a `*mut T::State`.
    ///
    /// # Safety
    ///
    /// `net` is live and this subsystem is registered.
    unsafe fn slot(net: *mut bindings::net) -> *mut *mut T::State {
        // SAFETY: Per the function's contract; `size` reserved a pointer-sized slot.
        unsafe { bindings::rct_helper_net_generic(net, T::id().get()) }.cast()
    }

    /// # Safety
    ///
    /// Only called by the kernel as `pernet_operations::init`, with a live `net`.
    unsafe extern "C" fn init_callback(net: *mut bindings::net) -> kernel::ffi::c_int {
        from_result(|| {
            // SAFETY: The kernel passes a live namespace; it outlives this call.
            let state = T::init(unsafe { Net::from_raw(net) })?;
            // SAFETY: `net` is live and we are registered (this is our callback).
            unsafe { Self::slot(net).write(KBox::into_raw(state)) };
            Ok(0)
        })
    }

    /// The state of `net`, if its init succeeded and it has not exited.
    ///
    /// # Safety
    ///
    /// `net` is live and this subsystem is registered.
    unsafe fn state(net: *mut bindings::net) -> *mut T::State {
        // SAFETY: Per the contract; `init_callback` stored the state (or
        // the slot is still zeroed, a null pointer).
        unsafe { Self::slot(net).read() }
    }

    /// The state of `net`, if its init succeeded and it has not exited.
    ///
    /// # Safety
    ///
    /// This subsystem is registered, and `net` does not reach its exit
    /// during `'a` (the caller holds a reference to it, e.g. through a
    /// user socket of the namespace).
    pub(crate) unsafe fn state_of<'a>(net: &'a Net) -> Option<&'a T::State> {
        // SAFETY: `net` is live (type invariant) and we are registered; the
        // state lives until the namespace's exit, which cannot come in `'a`.
        unsafe { Self::state(net.as_ptr()).as_ref() }
    }

    /// # Safety
    ///
    /// Only called by the kernel as `pernet_operations::pre_exit`, with a
    /// live `net`.
    unsafe extern "C" fn pre_exit_callback(net: *mut bindings::net) {
        // SAFETY: `net` is live and we are registered.
        let state = unsafe { Self::state(net) };
        // SAFETY: A non-null state is the live box `init_callback` stored;
        // it is dropped only in `exit_batch_callback`, later.
        if let Some(s) = unsafe { state.as_ref() } {
            T::pre_exit(s);
        }
    }

    /// Runs [`Pernet::exit_batch`] on `states` and drops them.
    ///
    /// # Safety
    ///
    /// Each pointer is a live state box from `init_callback`, not aliased,
    /// and its slot was already cleared.
    unsafe fn finish(states: &[*mut T::State]) {
        let mut refs = KVec::new();
        let batched = refs.reserve(states.len(), GFP_KERNEL).is_ok();
        if batched {
            for &s in states {
                // SAFETY: Per the contract the box is live.
                let _ = refs.push(unsafe { &*s }, GFP_KERNEL);
            }
            T::exit_batch(&refs);
        }
        drop(refs);
        for &s in states {
            if !batched {
                // Out of memory for the batch: one namespace at a time.
                // SAFETY: Per the contract the box is live.
                T::exit_batch(&[unsafe { &*s }]);
            }
            // SAFETY: From `KBox::into_raw` in `init_callback`; dropped once.
            drop(unsafe { KBox::from_raw(s) });
        }
    }

    /// # Safety
    ///
    /// Only called by the kernel as `pernet_operations::exit_batch`, with
    /// the list (linked by `net->exit_list`) of live namespaces that went
    /// through `pre_exit_callback` followed by an RCU grace period.
    unsafe extern "C" fn exit_batch_callback(list: *mut bindings::list_head) {
        const CHUNK: usize = 64;
        let mut chunk: [*mut T::State; CHUNK] = [core::ptr::null_mut(); CHUNK];
        let mut n = 0;
        let mut net = core::ptr::null_mut();
        loop {
            // SAFETY: `list` is the kernel's exit list; `net` is null or a
            // member of it.
            net = unsafe { bindings::rct_helper_net_exit_next(list, net) };
            if !net.is_null() {
                // SAFETY: `net` is live and we are registered.
                let state = unsafe { Self::state(net) };
                if !state.is_null() {
                    // SAFETY: As above; the slot is valid for writes.
                    unsafe { Self::slot(net).write(core::ptr::null_mut()) };
                    if let Some(c) = chunk.get_mut(n) {
                        *c = state;
                        n += 1;
                    }
                }
            }
            if n == CHUNK || (net.is_null() && n > 0) {
                // SAFETY: Each state was taken out of its slot above, once.
                unsafe { Self::finish(chunk.get(..n).unwrap_or(&[])) };
                n = 0;
            }
            if net.is_null() {
                break;
            }
        }
    }
}

impl<T: Pernet> Drop for PernetRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: `new` registered these ops; this runs `exit` for every namespace.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
    }
}

/// Whether a rate-limited networking message may be printed now (`net_ratelimit()`).
pub(crate) fn ratelimit() -> bool {
    // SAFETY: `net_ratelimit()` may be called from any context.
    unsafe { bindings::net_ratelimit() != 0 }
}
