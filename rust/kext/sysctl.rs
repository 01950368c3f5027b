// SPDX-License-Identifier: GPL-2.0

//! Per-namespace integer sysctls (`/proc/sys/net/...`).
//!
//! Each [`IntSysctl`] names an `AtomicI32` inside the registration's data.
//! Reads and writes go through the kernel's `proc_dointvec_minmax`, so the
//! parsing and the errors are exactly the kernel's: a non-number or a value
//! outside `[min, max]` gets `EINVAL` and the old value stays. The packet path
//! reads the atomics with `Relaxed` loads (C's `READ_ONCE`).
//!
//! C reference: include/linux/sysctl.h, kernel/sysctl.c, net/sysctl_net.c.

use super::bindings;
use super::net::Net;
use core::sync::atomic::AtomicI32;
use kernel::prelude::*;
use kernel::sync::Arc;

/// One integer sysctl backed by an atomic field of `T`.
pub(crate) struct IntSysctl<T> {
    /// Leaf name, e.g. `max`.
    pub(crate) name: &'static CStr,
    /// File mode, e.g. `0o644` (`0o444` for read-only).
    pub(crate) mode: u16,
    /// Smallest accepted value.
    pub(crate) min: i32,
    /// Largest accepted value.
    pub(crate) max: i32,
    /// The field holding the value.
    pub(crate) value: fn(&T) -> &AtomicI32,
}

/// A registered sysctl table in one namespace; unregistered on drop.
///
/// # Invariants
///
/// `header` is a live registration of `table`, whose `data`/`extra*`
/// pointers point into `data` and `bounds`; neither vector is resized after
/// registration, so the pointers stay valid until `drop`.
pub(crate) struct SysctlRegistration<T: Send + Sync + 'static> {
    header: *mut bindings::ctl_table_header,
    _table: KVec<bindings::ctl_table>,
    _bounds: KVec<[i32; 2]>,
    _data: Arc<T>,
}

// SAFETY: The header pointer is only used to unregister, from any thread.
unsafe impl<T: Send + Sync> Send for SysctlRegistration<T> {}
// SAFETY: `&SysctlRegistration` exposes nothing.
unsafe impl<T: Send + Sync> Sync for SysctlRegistration<T> {}

impl<T: Send + Sync + 'static> SysctlRegistration<T> {
    /// Registers `entries` under `path` (e.g. `net/rct`) in `net` (may sleep).
    ///
    /// # Safety
    ///
    /// The registration is dropped before `net` is freed (for example, it is
    /// owned by `net`'s [`super::net::Pernet`] state).
    pub(crate) unsafe fn new(
        net: &Net,
        path: &'static CStr,
        entries: &[IntSysctl<T>],
        data: Arc<T>,
    ) -> Result<Self> {
        let mut bounds = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        for e in entries {
            bounds.push([e.min, e.max], GFP_KERNEL)?;
        }
        let mut table = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        for (e, b) in entries.iter().zip(bounds.iter()) {
            let t = bindings::ctl_table {
                procname: e.name.as_char_ptr(),
                data: (e.value)(&data).as_ptr().cast(),
                maxlen: core::mem::size_of::<i32>() as i32,
                mode: e.mode,
                proc_handler: Some(bindings::proc_dointvec_minmax),
                extra1: (&b[0] as *const i32).cast_mut().cast(),
                extra2: (&b[1] as *const i32).cast_mut().cast(),
                ..Default::default()
            };
            table.push(t, GFP_KERNEL)?;
        }
        // SAFETY: `net` is live; `path` is a static string; `table` holds
        // `table.len()` initialised entries whose pointers stay valid (see
        // the type invariant) until `drop` unregisters them.
        let header = unsafe {
            bindings::register_net_sysctl_sz(
                net.as_ptr(),
                path.as_char_ptr(),
                table.as_mut_ptr(),
                table.len(),
            )
        };
        if header.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: Registered above; the vectors are never touched again.
        Ok(Self {
            header,
            _table: table,
            _bounds: bounds,
            _data: data,
        })
    }
}

impl<T: Send + Sync + 'static> Drop for SysctlRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `header` is a live registration; after
        // this returns no reader or writer uses the table.
        unsafe { bindings::unregister_net_sysctl_table(self.header) };
    }
}
