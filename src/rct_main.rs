// SPDX-License-Identifier: GPL-2.0

//! rct: netfilter connection tracking re-implemented in Rust.
//!
//! Crate root of `rct.ko`: the `mod` lines, the module type and `module!`.
//! Everything per network namespace lives in [`netns`]; the kernel API
//! wrappers are in `rust/kext` and the host-testable logic in [`proto`].
//!
//! C reference: net/netfilter/nf_conntrack_standalone.c (module init/exit).

#[path = "../rust/kext/mod.rs"]
mod kext;

mod hooks;
mod netns;
mod procfs;
pub mod proto;
mod stats;
mod sysctl;

use kernel::prelude::*;

module! {
    type: RctModule,
    name: "rct",
    author: "rct developers",
    description: "Netfilter connection tracking in Rust (nf_conntrack compatible)",
    license: "GPL",
}

/// `MODULE_VERSION`: 6.12's `module!` has no `version` key, so the modinfo
/// string is emitted the way `module!` emits its own.
#[link_section = ".modinfo"]
#[used]
static MODINFO_VERSION: [u8; 14] = *b"version=0.1.0\0";

/// The loaded module. Dropping it tears everything down: unregistering the
/// pernet subsystem runs every namespace's exit, which unregisters that
/// namespace's hooks, then its proc files and sysctls (see [`netns::NetState`]).
struct RctModule {
    _pernet: kext::net::PernetRegistration<netns::Rct>,
}

impl kernel::Module for RctModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        netns::set_defaults();
        let pernet = kext::net::PernetRegistration::new()?;
        pr_info!("loaded (max {} per netns)\n", netns::default_max());
        Ok(Self { _pernet: pernet })
    }
}

impl Drop for RctModule {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
