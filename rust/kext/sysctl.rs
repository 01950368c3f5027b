// SPDX-License-Identifier: GPL-2.0

//! Per-namespace integer sysctls (`/proc/sys/net/...`).
//!
//! Each [`IntSysctl`] names an `AtomicI32` inside the registration's data,
//! or a getter and a setter ([`Value::Custom`], e.g. a table resize). Reads
//! and writes go through the kernel's `proc_dointvec_minmax`, so the parsing
//! and the errors are exactly the kernel's: a non-number or a value outside
//! `[min, max]` gets `EINVAL` and the old value stays; a setter's error is
//! the write's. The packet path reads the atomics with `Relaxed` loads (C's
//! `READ_ONCE`). A machine-wide ([`IntSysctl::global`]) sysctl is writable
//! in the initial namespace only, as nf_conntrack's `max` and `buckets`.
//!
//! C reference: include/linux/sysctl.h, kernel/sysctl.c, net/sysctl_net.c.

use super::bindings;
use super::net::Net;
use core::ffi::c_void;
use core::sync::atomic::AtomicI32;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Where an [`IntSysctl`]'s value lives.
pub(crate) enum Value<T> {
    /// An atomic field of `T`, read and written in place.
    Atomic(fn(&T) -> &AtomicI32),
    /// Computed: `get` reads it; `set` applies a write already checked
    /// against `[min, max]` (process context, may sleep).
    Custom {
        /// Reads the current value.
        get: fn(&T) -> i32,
        /// Applies a new value; an error fails the write and keeps the old value.
        set: fn(&T, i32) -> Result,
    },
}

/// One integer sysctl.
pub(crate) struct IntSysctl<T: 'static> {
    /// Leaf name, e.g. `max`.
    pub(crate) name: &'static CStr,
    /// File mode, e.g. `0o644` (`0o444` for read-only).
    pub(crate) mode: u16,
    /// Smallest accepted value.
    pub(crate) min: i32,
    /// Largest accepted value.
    pub(crate) max: i32,
    /// The value.
    pub(crate) value: Value<T>,
    /// One machine-wide value: read-only outside the initial namespace.
    pub(crate) global: bool,
}

/// What a [`Value::Custom`] handler finds through `ctl_table::data`.
struct Custom<T: 'static> {
    entry: &'static IntSysctl<T>,
    data: *const T,
}

/// A registered sysctl table in one namespace; unregistered on drop.
///
/// # Invariants
///
/// `header` is a live registration of `table`, whose `data`/`extra*`
/// pointers point into `data`, `bounds` and `custom`; no vector is resized
/// after registration, so the pointers stay valid until `drop`.
pub(crate) struct SysctlRegistration<T: Send + Sync + 'static> {
    header: *mut bindings::ctl_table_header,
    _table: KVec<bindings::ctl_table>,
    _bounds: KVec<[i32; 2]>,
    _custom: KVec<Custom<T>>,
    _data: Arc<T>,
}

// SAFETY: The header pointer is only used to unregister, from any thread.
unsafe impl<T: Send + Sync> Send for SysctlRegistration<T> {}
// SAFETY: `&SysctlRegistration` exposes nothing.
unsafe impl<T: Send + Sync> Sync for SysctlRegistration<T> {}

impl<T: Send + Sync + 'static> SysctlRegistration<T> {
    /// Registers `entries` under `path` (e.g. `net/rct`) in `net` (may
    /// sleep); `init` tells whether `net` is the initial namespace.
    ///
    /// # Safety
    ///
    /// The registration is dropped before `net` is freed (for example, it is
    /// owned by `net`'s [`super::net::Pernet`] state).
    pub(crate) unsafe fn new(
        net: &Net,
        path: &'static CStr,
        entries: &'static [IntSysctl<T>],
        data: Arc<T>,
        init: bool,
    ) -> Result<Self> {
        let mut bounds = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        let mut custom = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        for e in entries {
            bounds.push([e.min, e.max], GFP_KERNEL)?;
            custom.push(
                Custom {
                    entry: e,
                    data: &*data,
                },
                GFP_KERNEL,
            )?;
        }
        let mut table = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        for ((e, b), c) in entries.iter().zip(bounds.iter()).zip(custom.iter()) {
            let mode = if e.global && !init { e.mode & !0o222 } else { e.mode };
            let (ptr, handler): (*mut c_void, _) = match &e.value {
                Value::Atomic(field) => (field(&data).as_ptr().cast(), Some(bindings::proc_dointvec_minmax as _)),
                Value::Custom { .. } => (
                    (c as *const Custom<T>).cast_mut().cast(),
                    Some(custom_handler::<T> as _),
                ),
            };
            let t = bindings::ctl_table {
                procname: e.name.as_char_ptr(),
                data: ptr,
                maxlen: core::mem::size_of::<i32>() as i32,
                mode,
                proc_handler: handler,
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
            _custom: custom,
            _data: data,
        })
    }
}

/// `proc_handler` of a [`Value::Custom`] sysctl: `proc_dointvec_minmax` on
/// a local copy of the value, then the setter on a successful write.
///
/// # Safety
///
/// Only called by the sysctl core with a `table` registered by
/// [`SysctlRegistration::new`] for a [`Value::Custom`] entry (its `data` is
/// a `Custom<T>` alive until the registration drops, which waits for
/// running handlers) and the buffer arguments of a read or write.
unsafe extern "C" fn custom_handler<T: 'static>(
    table: *const bindings::ctl_table,
    write: kernel::ffi::c_int,
    buffer: *mut c_void,
    lenp: *mut usize,
    ppos: *mut bindings::loff_t,
) -> kernel::ffi::c_int {
    // SAFETY: Per the contract, `table` is valid.
    let t = unsafe { &*table };
    // SAFETY: Per the contract, `data` is the entry's `Custom<T>`, and the
    // registration (with its `Arc<T>`) outlives the handler.
    let c = unsafe { &*t.data.cast::<Custom<T>>() };
    // SAFETY: As above.
    let data = unsafe { &*c.data };
    let Value::Custom { get, set } = &c.entry.value else {
        return EINVAL.to_errno();
    };
    let mut value = get(data);
    let local = bindings::ctl_table {
        data: (&mut value as *mut i32).cast(),
        ..*t
    };
    // SAFETY: `local` is `table` with `data` pointing to a live `i32`
    // (`maxlen` is its size); the buffer arguments are the caller's.
    let r = unsafe { bindings::proc_dointvec_minmax(&local, write, buffer, lenp, ppos) };
    if r != 0 || write == 0 {
        return r;
    }
    match set(data, value) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

impl<T: Send + Sync + 'static> Drop for SysctlRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `header` is a live registration; after
        // this returns no reader or writer uses the table.
        unsafe { bindings::unregister_net_sysctl_table(self.header) };
    }
}
