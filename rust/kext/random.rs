// SPDX-License-Identifier: GPL-2.0

//! Kernel randomness.
//!
//! C reference: include/linux/random.h.

use super::bindings;

/// A random `u64` from the kernel's CRNG.
pub(crate) fn u64() -> u64 {
    // SAFETY: `get_random_u64()` may be called from any context.
    unsafe { bindings::get_random_u64() }
}
