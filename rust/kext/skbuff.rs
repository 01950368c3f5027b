// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (`struct sk_buff`), as borrowed by netfilter hooks.
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
}
