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

mod conn;
mod conntrack;
mod gc;
mod hooks;
mod netns;
mod procfs;
pub mod proto;
mod stats;
mod sysctl;

use kernel::prelude::*;
use kernel::sync::Arc;

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

/// The loaded module.
///
/// Fields drop in declaration order, which is the teardown order:
/// unregistering the pernet subsystem runs every namespace's exit (hooks
/// off, entries flushed, proc files and sysctls removed); then the GC
/// stops; then the table goes, after `rcu_barrier()` has run every pending
/// free.
struct RctModule {
    _pernet: kext::net::PernetRegistration<netns::Rct>,
    _published: netns::Published,
    _gc: Pin<KBox<gc::Gc>>,
    _table: Arc<conntrack::Table>,
}

impl kernel::Module for RctModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let buckets = proto::sizing::default_buckets(kext::mm::totalram_bytes());
        let max = proto::sizing::default_max(buckets);
        let max = i32::try_from(max).unwrap_or(i32::MAX);
        let table = Arc::new(conntrack::Table::new(buckets, max)?, GFP_KERNEL)?;
        // SAFETY: Called once, right after allocation, before any other use;
        // the `Arc` keeps the table at this address.
        unsafe { table.init() };
        let gc = gc::Gc::start(table.clone())?;
        let published = netns::Published::new(&table);
        let pernet = kext::net::PernetRegistration::new()?;
        pr_info!(
            "loaded: {} buckets, max {}, {} bytes per entry\n",
            buckets,
            max,
            core::mem::size_of::<conn::Conn>()
        );
        Ok(Self {
            _pernet: pernet,
            _published: published,
            _gc: gc,
            _table: table,
        })
    }
}

impl Drop for RctModule {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
