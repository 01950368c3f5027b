// SPDX-License-Identifier: GPL-2.0

//! rct: netfilter connection tracking re-implemented in Rust.
//!
//! Crate root of `rct.ko`: the `mod` lines, the module type, `module!` and
//! the module parameters.
//! Everything per network namespace lives in [`netns`]; the kernel API
//! wrappers are in `rust/kext` and the host-testable logic in [`proto`].
//!
//! C reference: net/netfilter/nf_conntrack_standalone.c (module init/exit).

#[path = "../rust/kext/mod.rs"]
mod kext;

mod conn;
mod conntrack;
mod ctnetlink;
mod events;
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

// `insmod rct.ko hashsize=N max=N`, as nf_conntrack's `hashsize`.
kext::param::uint_param!(
    HASHSIZE,
    "hashsize",
    "Initial hash buckets (0: sized from RAM, like nf_conntrack)"
);
kext::param::uint_param!(
    MAX,
    "max",
    "Initial net.rct.max of every namespace (0: the number of buckets)"
);

kext::param::uint_param!(
    CTNETLINK_PARAM,
    "ctnetlink",
    "Serve ctnetlink (conntrack-tools) if nf_conntrack_netlink does not (1, default) or never (0)",
    1
);

/// Whether rct serves ctnetlink (`net.rct.ctnetlink`).
pub(crate) static CTNETLINK: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Registers rct's ctnetlink, unless the `ctnetlink` parameter is 0 or the
/// subsystem is taken (nf_conntrack_netlink loaded): rct then runs without.
fn ctnetlink() -> Option<kext::nfnetlink::Registration<ctnetlink::Ctnetlink>> {
    use kext::nfnetlink::{RegisterError, Registration};
    if CTNETLINK_PARAM.get() == 0 {
        return None;
    }
    match Registration::new() {
        Ok(r) => {
            CTNETLINK.store(true, core::sync::atomic::Ordering::Relaxed);
            Some(r)
        }
        Err(RegisterError::Busy) => {
            pr_info!("ctnetlink is served by nf_conntrack_netlink: rct runs without ctnetlink\n");
            None
        }
        Err(RegisterError::NoNfnetlink) => {
            pr_info!("nfnetlink unavailable: rct runs without ctnetlink\n");
            None
        }
        Err(RegisterError::Other(e)) => {
            pr_warn!("ctnetlink registration failed ({:?}): rct runs without ctnetlink\n", e);
            None
        }
    }
}

/// Registers the expectation subsystem beside rct's ctnetlink, so that
/// expectation requests and listeners find rct's (empty) table instead of
/// making nfnetlink ask for nf_conntrack_netlink.
fn ctnetlink_exp() -> Option<kext::nfnetlink::Registration<ctnetlink::CtnetlinkExp>> {
    match kext::nfnetlink::Registration::new() {
        Ok(r) => Some(r),
        Err(e) => {
            pr_info!("ctnetlink expectation subsystem not registered ({:?})\n", e);
            None
        }
    }
}

/// The bucket count and the initial `net.rct.max` the `hashsize` and `max`
/// parameters ask for; `EINVAL`, logged, for a value out of range.
fn sizes() -> Result<(u32, i32)> {
    use proto::sizing::{initial_buckets, initial_max, MAX_BUCKETS, MAX_LIMIT};
    let hashsize = HASHSIZE.get();
    let Some(buckets) = initial_buckets(hashsize, kext::mm::totalram_bytes()) else {
        pr_err!("hashsize {} out of range (1..={})\n", hashsize, MAX_BUCKETS);
        return Err(EINVAL);
    };
    let max = MAX.get();
    let Some(max) = initial_max(max, buckets) else {
        pr_err!("max {} out of range (1..={})\n", max, MAX_LIMIT);
        return Err(EINVAL);
    };
    Ok((buckets, max))
}

/// The loaded module.
///
/// Fields drop in declaration order, which is the teardown order:
/// unregistering the pernet subsystem runs every namespace's exit (hooks
/// off, entries flushed, proc files and sysctls removed); then the GC
/// stops; then the table goes, after `rcu_barrier()` has run every pending
/// free. ctnetlink goes first (expectations, then entries), waiting for
/// running requests (a running dump holds a module reference, so none is
/// left).
struct RctModule {
    _ctnetlink_exp: Option<kext::nfnetlink::Registration<ctnetlink::CtnetlinkExp>>,
    _ctnetlink: Option<kext::nfnetlink::Registration<ctnetlink::Ctnetlink>>,
    _pernet: kext::net::PernetRegistration<netns::Rct>,
    _published: netns::Published,
    _gc: Pin<KBox<gc::Gc>>,
    _table: Arc<conntrack::Table>,
}

impl kernel::Module for RctModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let (buckets, max) = sizes()?;
        let table = Arc::new(conntrack::Table::new(buckets, max)?, GFP_KERNEL)?;
        // SAFETY: Called once, right after allocation, before any other use;
        // the `Arc` keeps the table at this address.
        unsafe { table.init() };
        let gc = gc::Gc::start(table.clone())?;
        let published = netns::Published::new(&table);
        // Before the pernet subsystem: nfnetlink (loaded here if needed)
        // then sets up namespaces before rct and tears them down after,
        // so rct's events always have its sockets.
        let ctnetlink = ctnetlink();
        let ctnetlink_exp = ctnetlink.as_ref().and_then(|_| ctnetlink_exp());
        let pernet = kext::net::PernetRegistration::new()?;
        pr_info!(
            "loaded: {} buckets, max {}, {} bytes per entry\n",
            buckets,
            max,
            core::mem::size_of::<conn::Conn>()
        );
        Ok(Self {
            _ctnetlink_exp: ctnetlink_exp,
            _ctnetlink: ctnetlink,
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
        CTNETLINK.store(false, core::sync::atomic::Ordering::Relaxed);
    }
}
