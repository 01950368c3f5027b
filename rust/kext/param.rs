// SPDX-License-Identifier: GPL-2.0

//! Read-only `unsigned int` module parameters, as C's
//! `module_param(name, uint, 0444)` with `MODULE_PARM_DESC()`.
//!
//! 6.12's `module!` has no parameters, so [`uint_param!`] emits what the C
//! macros do:
//!
//! - a `struct kernel_param` in the `__param` section. The module loader
//!   parses `insmod rct.ko NAME=VALUE` with it before `init` runs, through
//!   the kernel's own `param_ops_uint` (`kstrtouint()`, any base), so a
//!   value that is not an `unsigned int` fails the load with the kernel's
//!   error and message; sysfs shows the value, read-only, in
//!   `/sys/module/<module>/parameters/NAME`;
//! - the `parmtype=NAME:uint` and `parm=NAME:DESCRIPTION` strings in
//!   `.modinfo`, which `modinfo` prints.
//!
//! Newer kernels have `rust/kernel/module_param.rs` and a `params` key in
//! `module!`, which parse in Rust into a set-once cell; this is not a
//! backport of that: reusing the C ops keeps the kernel's parsing, error
//! messages and sysfs output exactly those of a C module's `uint` parameter.
//!
//! rct is always a loadable module (`obj-m`), so names carry no `<module>.`
//! prefix (C's `MODULE_PARAM_PREFIX` and `__MODULE_INFO_PREFIX` are empty
//! under `MODULE`).
//!
//! C reference: include/linux/moduleparam.h (`__module_param_call`,
//! `__MODULE_PARM_TYPE`, `MODULE_PARM_DESC`), kernel/params.c
//! (`param_ops_uint`).

use super::bindings;
use core::cell::UnsafeCell;
use kernel::ffi::c_uint;
use kernel::str::CStr;
use kernel::types::Opaque;

extern "C" {
    /// This module's `struct module` (C's `THIS_MODULE`), defined by the
    /// generated `rct.mod.c`; declared with the type `module!` gives it.
    #[expect(
        improper_ctypes,
        reason = "only its address is used; `struct module` has zero-sized members"
    )]
    static __this_module: Opaque<kernel::bindings::module>;
}

/// The value of a read-only `uint` module parameter; see [`uint_param!`].
///
/// # Invariants
///
/// Nothing but the kernel writes the value: the module loader, through the
/// `kernel_param` [`KernelParam::uint`] builds, while it loads the module and
/// before the module's `init` runs. Never afterwards, as the parameter is
/// read-only in sysfs (mode 0444: kernfs gives the file no write operation).
#[repr(transparent)]
pub(crate) struct UintParam(UnsafeCell<c_uint>);

// SAFETY: By the type invariant the value is written only before any code of
// this module runs; from then on every access, from any thread, is a read.
unsafe impl Sync for UintParam {}

impl UintParam {
    /// A parameter that reads `default` unless the module is loaded with
    /// a value for it. Use [`uint_param!`], which also registers it.
    #[doc(hidden)]
    pub(crate) const fn new(default: u32) -> Self {
        // INVARIANT: Only a `kernel_param` pointing here can write the value.
        Self(UnsafeCell::new(default))
    }

    /// The value given at load time (`insmod rct.ko NAME=VALUE`), else the
    /// default.
    pub(crate) fn get(&self) -> u32 {
        // SAFETY: The pointer comes from our own cell, so it is valid and
        // aligned; by the type invariant no write runs concurrently. The read
        // is volatile because the kernel wrote the value behind the
        // compiler's back.
        unsafe { core::ptr::read_volatile(self.0.get()) }
    }
}

/// One `struct kernel_param`: how the module loader and sysfs find, parse
/// and show a parameter. Only [`uint_param!`] needs it.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct KernelParam(bindings::kernel_param);

// SAFETY: Rust never accesses it after building it: only the kernel reads it
// (module loader, sysfs, under its parameter lock), and it holds nothing but
// the addresses of statics, which any thread may use.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    /// The parameter `name` of type `uint`, mode 0444, stored in `value`
    /// (C: `module_param_cb(name, &param_ops_uint, &value, 0444)`).
    pub(crate) const fn uint(name: &'static CStr, value: &'static UintParam) -> Self {
        Self(bindings::kernel_param {
            name: name.as_char_ptr(),
            // CAST: `Opaque<T>` has the layout of `T`; the two bindings
            // crates describe the same `struct module`.
            mod_: (&raw const __this_module).cast_mut().cast(),
            ops: &raw const bindings::param_ops_uint,
            // Read-only: keeps the invariant of `UintParam` (no sysfs store).
            perm: 0o444,
            // Module parameters are parsed at load time, not at an initcall level.
            level: -1,
            flags: 0,
            // CAST: `param_ops_uint` reads and writes an `unsigned int` at `arg`.
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                arg: value.0.get().cast(),
            },
        })
    }
}

/// `s` as a byte array for a `.modinfo` string static (`s` ends in a NUL).
/// The macro below sizes the array as `s.len()`, so every byte is copied;
/// the loop cannot panic (it stops at the shorter of the two).
#[doc(hidden)]
pub(crate) const fn modinfo<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N && i < b.len() {
        out[i] = b[i];
        i += 1;
    }
    out
}

/// Declares a read-only `unsigned int` module parameter.
///
/// `uint_param!(NAME_STATIC, "name", "description")` defines
/// `static NAME_STATIC: UintParam` (an optional visibility may precede the
/// name), 0 unless the module is loaded with `name=VALUE`, and registers it
/// as C's `module_param(name, uint, 0444)` and `MODULE_PARM_DESC(name,
/// "description")` do. Read the value with [`UintParam::get`].
///
/// # Examples
///
/// ```ignore
/// kext::param::uint_param!(HASHSIZE, "hashsize", "Initial hash buckets (0: sized from RAM)");
///
/// fn buckets() -> u32 {
///     HASHSIZE.get()
/// }
/// ```
macro_rules! uint_param {
    ($vis:vis $value:ident, $name:literal, $desc:literal) => {
        $crate::kext::param::uint_param!($vis $value, $name, $desc, 0);
    };
    ($vis:vis $value:ident, $name:literal, $desc:literal, $default:expr) => {
        $vis static $value: $crate::kext::param::UintParam = $crate::kext::param::UintParam::new($default);

        const _: () = {
            use $crate::kext::param::{modinfo, KernelParam};

            #[link_section = "__param"]
            #[used]
            static PARAM: KernelParam = KernelParam::uint(::kernel::c_str!($name), &$value);

            const PARMTYPE: &str = concat!("parmtype=", $name, ":uint\0");
            #[link_section = ".modinfo"]
            #[used]
            static PARMTYPE_INFO: [u8; PARMTYPE.len()] = modinfo(PARMTYPE);

            const PARM: &str = concat!("parm=", $name, ":", $desc, "\0");
            #[link_section = ".modinfo"]
            #[used]
            static PARM_INFO: [u8; PARM.len()] = modinfo(PARM);
        };
    };
}
pub(crate) use uint_param;
