// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state: everything rct keeps for one `struct net`.
//!
//! Each namespace gets its own hooks, `/proc/net/rct_conntrack`,
//! `/proc/net/stat/rct_conntrack` and `net.rct.*` sysctls, all sharing one
//! [`NetCt`].
//!
//! C reference: `nf_conntrack_pernet_init()` and `nf_conntrack_net_init()` in
//! net/netfilter/nf_conntrack_standalone.c.

use crate::kext::mm;
use crate::kext::net::{Net, Pernet, PernetId};
use crate::kext::netfilter::HookRegistration;
use crate::kext::proc::{ProcDir, ProcEntry};
use crate::kext::sysctl::SysctlRegistration;
use crate::proto::sizing;
use crate::stats::Stats;
use crate::{hooks, procfs, sysctl};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// `max` for new namespaces, computed from RAM at module load.
static DEFAULT_MAX: AtomicI32 = AtomicI32::new(0);

/// Computes the module-wide defaults (call once, before registering).
pub(crate) fn set_defaults() {
    let buckets = sizing::default_buckets(mm::totalram_bytes());
    let max = i32::try_from(sizing::default_max(buckets)).unwrap_or(i32::MAX);
    DEFAULT_MAX.store(max, Ordering::Relaxed);
}

/// The `max` a new namespace starts with.
pub(crate) fn default_max() -> i32 {
    DEFAULT_MAX.load(Ordering::Relaxed)
}

/// Conntrack data of one namespace, shared by its hooks, proc files and sysctls.
pub(crate) struct NetCt {
    /// Per-CPU event counters.
    pub(crate) stats: Stats,
    /// Entries in the table (`net.rct.count`).
    pub(crate) count: AtomicU32,
    /// Entry limit (`net.rct.max`).
    pub(crate) max: AtomicI32,
}

/// Everything rct registered in one namespace.
///
/// Fields drop in declaration order: hooks first (no packet reaches rct
/// afterwards), then the user interfaces; the shared [`NetCt`] goes with the
/// last `Arc`.
pub(crate) struct NetState {
    _hooks: HookRegistration<NetCt>,
    _table_file: ProcEntry<procfs::TableIter>,
    _stat_file: ProcEntry<procfs::StatIter>,
    _sysctl: SysctlRegistration<NetCt>,
}

/// The pernet subsystem that builds a [`NetState`] for every namespace.
pub(crate) struct Rct;

static RCT_PERNET_ID: PernetId = PernetId::new();

impl Pernet for Rct {
    type State = NetState;

    fn id() -> &'static PernetId {
        &RCT_PERNET_ID
    }

    fn init(net: &Net) -> Result<KBox<NetState>> {
        let ct = Arc::new(
            NetCt {
                stats: Stats::new()?,
                count: AtomicU32::new(0),
                max: AtomicI32::new(default_max()),
            },
            GFP_KERNEL,
        )?;
        // SAFETY (all four): the registrations are owned by the returned
        // `NetState`, which the pernet layer drops in this namespace's exit,
        // before the namespace is freed.
        // The user interfaces come first so no packet is counted in a
        // namespace whose files failed to appear.
        // SAFETY: See above.
        let sysctl =
            unsafe { SysctlRegistration::new(net, c_str!("net/rct"), &sysctl::TABLE, ct.clone()) }?;
        // SAFETY: See above.
        let stat_file =
            unsafe { ProcEntry::new(net, ProcDir::NetStat, c_str!("rct_conntrack"), ct.clone()) }?;
        // SAFETY: See above.
        let table_file =
            unsafe { ProcEntry::new(net, ProcDir::Net, c_str!("rct_conntrack"), ct.clone()) }?;
        // SAFETY: See above.
        let hooks = unsafe { HookRegistration::new(net, &hooks::CONNTRACK_HOOKS, ct) }?;
        Ok(KBox::new(
            NetState {
                _hooks: hooks,
                _table_file: table_file,
                _stat_file: stat_file,
                _sysctl: sysctl,
            },
            GFP_KERNEL,
        )?)
    }
}
