// SPDX-License-Identifier: GPL-2.0

//! Memory facts the module sizes itself by.
//!
//! C reference: include/linux/mm.h (`totalram_pages()`).

use super::bindings;

/// Bytes of RAM the kernel manages (`totalram_pages() << PAGE_SHIFT`).
pub(crate) fn totalram_bytes() -> u64 {
    // SAFETY: `totalram_pages()` only reads an atomic counter; callable from any context.
    let pages = unsafe { bindings::rct_helper_totalram_pages() };
    u64::try_from(pages)
        .unwrap_or(u64::MAX)
        .saturating_mul(kernel::page::PAGE_SIZE as u64)
}
