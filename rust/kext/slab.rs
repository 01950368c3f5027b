// SPDX-License-Identifier: GPL-2.0

//! Dedicated slab caches (`kmem_cache`) for fixed-size objects.
//!
//! A cache packs objects at their exact size (kmalloc would round a 144-byte
//! entry up to 192), which is most of rct's memory per connection.
//!
//! C reference: include/linux/slab.h, mm/slab_common.c.

use super::bindings;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::prelude::*;

/// Allocation context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gfp {
    /// `GFP_ATOMIC`: may not sleep (packet path).
    Atomic,
    /// `GFP_KERNEL`: may sleep (process context).
    Kernel,
}

impl Gfp {
    pub(super) fn raw(self) -> bindings::gfp_t {
        match self {
            Gfp::Atomic => kernel::bindings::GFP_ATOMIC,
            Gfp::Kernel => kernel::bindings::GFP_KERNEL,
        }
    }
}

/// A slab cache of `T` objects.
///
/// # Invariants
///
/// `ptr` is a live cache created for objects of `T`'s size and alignment;
/// it is destroyed only in `drop`.
pub(crate) struct Cache<T> {
    ptr: NonNull<bindings::kmem_cache>,
    _p: PhantomData<T>,
}

// SAFETY: A kmem_cache may be used from any CPU concurrently.
unsafe impl<T: Send> Send for Cache<T> {}
// SAFETY: A kmem_cache may be used from any CPU concurrently.
unsafe impl<T: Send> Sync for Cache<T> {}

impl<T> Cache<T> {
    /// Creates a cache named `name`, listed on its own in /proc/slabinfo
    /// (never merged with other caches, so its memory is visible); may sleep.
    pub(crate) fn new(name: &'static CStr) -> Result<Self> {
        let size = u32::try_from(core::mem::size_of::<T>()).map_err(|_| EINVAL)?;
        let align = u32::try_from(core::mem::align_of::<T>()).map_err(|_| EINVAL)?;
        let mut args = bindings::kmem_cache_args {
            align,
            ..Default::default()
        };
        // SAFETY: Returns a constant.
        let flags = unsafe { bindings::rct_helper_SLAB_NO_MERGE() };
        // SAFETY: `name` is static; size and alignment describe `T`; no
        // constructor; `args` is valid for the call.
        let ptr = unsafe {
            bindings::__kmem_cache_create_args(name.as_char_ptr(), size, &mut args, flags)
        };
        // INVARIANT: Created above for `T`.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
            _p: PhantomData,
        })
    }

    /// Allocates an object and moves `value` into it; `None` if out of memory.
    pub(crate) fn alloc(&self, value: T, gfp: Gfp) -> Option<NonNull<T>> {
        // SAFETY: By the type invariant the cache is live.
        let raw = unsafe { bindings::kmem_cache_alloc_noprof(self.ptr.as_ptr(), gfp.raw()) };
        let p = NonNull::new(raw.cast::<T>())?;
        // SAFETY: The cache hands out objects of `T`'s size and alignment.
        unsafe { p.as_ptr().write(value) };
        Some(p)
    }

    /// Drops the object at `p` and returns its memory to the cache.
    ///
    /// # Safety
    ///
    /// `p` came from [`Cache::alloc`] on this cache, is initialised, and is
    /// not used by anyone afterwards.
    pub(crate) unsafe fn free(&self, p: NonNull<T>) {
        // SAFETY: Per the contract `p` is a live, exclusively owned `T`.
        unsafe { core::ptr::drop_in_place(p.as_ptr()) };
        // SAFETY: Per the contract `p` belongs to this (live) cache.
        unsafe { bindings::kmem_cache_free(self.ptr.as_ptr(), p.as_ptr().cast()) };
    }
}

impl<T> Drop for Cache<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the cache is live; its owner frees
        // every object (and waits for RCU callbacks that free objects)
        // before dropping it, so it is empty.
        unsafe { bindings::kmem_cache_destroy(self.ptr.as_ptr()) };
    }
}
