// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (`struct sk_buff`), as borrowed by netfilter hooks.
//!
//! Packet bytes are only read through [`SkBuff::header`], which copies a
//! fixed-size header out of the packet like `skb_header_pointer()` (linear
//! or paged data alike) and fails when the bytes are not there.
//!
//! C reference: include/linux/skbuff.h.

use super::bindings;
use kernel::types::Opaque;

/// A packet handed to a hook.
///
/// # Invariants
///
/// The wrapped `sk_buff` is alive and not freed for as long as the reference
/// to this wrapper is (a hook borrows it for the duration of the call).
#[repr(transparent)]
pub(crate) struct SkBuff(Opaque<bindings::sk_buff>);

impl SkBuff {
    /// Borrows a hook's `sk_buff` pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live `sk_buff` that is not freed during `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::sk_buff) -> &'a SkBuff {
        // CAST: `SkBuff` is a transparent wrapper of `sk_buff`.
        // SAFETY: The caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<SkBuff>() }
    }

    /// The raw pointer, for kext's own FFI calls.
    pub(super) fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// The buffer's address: identifies this `sk_buff` while it is alive.
    pub(crate) fn id(&self) -> usize {
        self.0.get() as usize
    }

    /// Bytes of packet data from `skb->data` (`skb->len`).
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: By the type invariant the skb is live; the hook's caller
        // owns it and does not change `len` during the hook.
        unsafe { (*self.0.get()).len }
    }

    /// Offset of the network header from `skb->data` (may be negative).
    pub(crate) fn network_offset(&self) -> i32 {
        // SAFETY: By the type invariant the skb is live.
        unsafe { bindings::rct_helper_skb_network_offset(self.0.get()) }
    }

    /// The linear part of the packet data: `skb_headlen()` bytes at `skb->data`.
    pub(crate) fn linear(&self) -> &[u8] {
        // SAFETY: By the type invariant the skb is live; the hook's caller
        // owns it and changes neither the pointers nor the lengths during
        // the hook.
        let (data, len, data_len) = unsafe {
            let s = &*self.0.get();
            (s.data, s.len, s.data_len)
        };
        let Ok(headlen) = usize::try_from(len.saturating_sub(data_len)) else {
            return &[];
        };
        if data.is_null() {
            return &[];
        }
        // SAFETY: `data` points to `skb_headlen()` bytes of linear packet
        // data, alive and unchanged while the hook borrows the skb (whoever
        // writes a shared buffer unshares it first).
        unsafe { core::slice::from_raw_parts(data.cast_const(), headlen) }
    }

    /// Copies `N` bytes at `offset` from `skb->data`, or `None` if the
    /// packet is shorter.
    pub(crate) fn header<const N: usize>(&self, offset: usize) -> Option<[u8; N]> {
        // Fast path: the bytes are in the linear part (headers always are,
        // except in odd packets built by some drivers or tunnels).
        if let Some(b) = self.linear().get(offset..offset.checked_add(N)?) {
            return b.try_into().ok();
        }
        let off = i32::try_from(offset).ok()?;
        let len = i32::try_from(N).ok()?;
        let mut buf = [0u8; N];
        // SAFETY: The skb is live (type invariant); `buf` has room for `len`
        // bytes; `skb_header_pointer` checks the range against the packet.
        let p = unsafe {
            bindings::rct_helper_skb_header_pointer(self.0.get(), off, len, buf.as_mut_ptr().cast())
        };
        if p.is_null() {
            return None;
        }
        if p.cast::<u8>() != buf.as_mut_ptr() {
            // SAFETY: A non-null result that is not `buf` points to `len`
            // contiguous bytes of linear packet data.
            unsafe { core::ptr::copy_nonoverlapping(p.cast::<u8>(), buf.as_mut_ptr(), N) };
        }
        Some(buf)
    }
}
