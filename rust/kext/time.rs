// SPDX-License-Identifier: GPL-2.0

//! The jiffies clock.
//!
//! C reference: include/linux/jiffies.h.

use super::bindings;

/// Ticks per second (`HZ`).
pub(crate) const HZ: u32 = bindings::CONFIG_HZ;

/// The current tick count, truncated to 32 bits like nf's `nfct_time_stamp`.
/// Compare values with wrapping arithmetic only.
pub(crate) fn jiffies32() -> u32 {
    // SAFETY: Reads a counter that is valid for the lifetime of the kernel.
    let j = unsafe { bindings::rct_helper_jiffies() };
    // Truncation intended: comparisons are wrapping (`time_after`).
    j as u32
}
