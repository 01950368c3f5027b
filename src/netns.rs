// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state: everything rct keeps for one `struct net`.
//!
//! Each namespace gets its own hooks, `/proc/net/rct_conntrack`,
//! `/proc/net/stat/rct_conntrack` and `net.rct.*` sysctls, all sharing one
//! [`NetCt`]. Entries live in the global [`Table`], tagged with the
//! namespace's [`Ns`].
//!
//! C reference: `nf_conntrack_pernet_init()` and `nf_conntrack_net_init()` in
//! net/netfilter/nf_conntrack_standalone.c.

use crate::conntrack::{Ns, Table};
use crate::kext::net::{Net, Pernet, PernetId};
use crate::kext::netfilter::HookRegistration;
use crate::kext::proc::{ProcDir, ProcEntry};
use crate::kext::rcu;
use crate::kext::sysctl::SysctlRegistration;
use crate::kext::time::HZ;
use crate::proto::tcp;
use crate::proto::track::{Timeout, Timeouts};
use crate::stats::Stats;
use crate::{hooks, procfs, sysctl};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering::Relaxed, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

/// The global table, for namespaces created while the module is loaded
/// (holds one reference, see [`Published`]).
static TABLE: AtomicPtr<Table> = AtomicPtr::new(core::ptr::null_mut());

/// The table, published for namespaces created while the module is
/// loaded; unpublished on drop (after the pernet subsystem is unregistered,
/// so no namespace init can be running).
pub(crate) struct Published(());

impl Published {
    /// Publishes `table` (taking a reference).
    pub(crate) fn new(table: &Arc<Table>) -> Self {
        let raw = Arc::into_raw(table.clone()).cast_mut();
        TABLE.store(raw, Ordering::Release);
        Self(())
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        let raw = TABLE.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !raw.is_null() {
            // SAFETY: `raw` came from `Arc::into_raw` in `new` and is
            // released once (swapped out above).
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}

fn table() -> Result<Arc<Table>> {
    let raw = TABLE.load(Ordering::Acquire);
    if raw.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `raw` holds a reference (from `Published::new`) that lives
    // until `Published` drops, after every namespace init has returned.
    let b = unsafe { ArcBorrow::from_raw(raw) };
    Ok(b.into())
}

/// Conntrack data of one namespace, shared by its hooks, proc files and sysctls.
pub(crate) struct NetCt {
    /// The global table.
    pub(crate) table: Arc<Table>,
    /// Entry count and statistics; entries point here.
    pub(crate) ns: Ns,
    /// Count packets and bytes per entry (`net.rct.acct`).
    pub(crate) acct: AtomicI32,
    /// `net.rct.udp_timeout` (seconds).
    pub(crate) udp_timeout: AtomicI32,
    /// `net.rct.udp_timeout_stream`.
    pub(crate) udp_timeout_stream: AtomicI32,
    /// `net.rct.icmp_timeout`.
    pub(crate) icmp_timeout: AtomicI32,
    /// `net.rct.icmpv6_timeout`.
    pub(crate) icmpv6_timeout: AtomicI32,
    /// `net.rct.generic_timeout`.
    pub(crate) generic_timeout: AtomicI32,
    /// `net.rct.tcp_timeout_<state>` by TCP state number (SYN_SENT2 has no
    /// sysctl, as in nf).
    pub(crate) tcp_timeouts: [AtomicI32; 10],
    /// `net.rct.tcp_timeout_max_retrans`.
    pub(crate) tcp_timeout_max_retrans: AtomicI32,
    /// `net.rct.tcp_timeout_unacknowledged`.
    pub(crate) tcp_timeout_unack: AtomicI32,
    /// `net.rct.tcp_loose`.
    pub(crate) tcp_loose: AtomicI32,
    /// `net.rct.tcp_be_liberal`.
    pub(crate) tcp_be_liberal: AtomicI32,
    /// `net.rct.tcp_max_retrans`.
    pub(crate) tcp_max_retrans: AtomicI32,
    /// `net.rct.tcp_ignore_invalid_rst`.
    pub(crate) tcp_ignore_invalid_rst: AtomicI32,
    /// `net.rct.log_invalid`: log invalid packets of this protocol (255: all, 0: none).
    pub(crate) log_invalid: AtomicI32,
    /// `net.rct.checksum`: verify layer-4 checksums of arriving packets.
    pub(crate) checksum: AtomicI32,
}

impl NetCt {
    fn new(table: Arc<Table>, net: &Net) -> Result<Self> {
        let d = Timeouts::DEFAULT;
        let secs = |v: u32| AtomicI32::new(i32::try_from(v).unwrap_or(i32::MAX));
        Ok(Self {
            table,
            ns: Ns {
                count: AtomicI32::new(0),
                stats: Stats::new()?,
                net: net.addr(),
                events: AtomicBool::new(false),
            },
            acct: AtomicI32::new(0),
            udp_timeout: secs(d.udp),
            udp_timeout_stream: secs(d.udp_stream),
            icmp_timeout: secs(d.icmp),
            icmpv6_timeout: secs(d.icmpv6),
            generic_timeout: secs(d.generic),
            tcp_timeouts: tcp::Timeouts::DEFAULT.state.map(secs),
            tcp_timeout_max_retrans: secs(tcp::Timeouts::DEFAULT.retrans),
            tcp_timeout_unack: secs(tcp::Timeouts::DEFAULT.unack),
            tcp_loose: AtomicI32::new(i32::from(tcp::Config::DEFAULT.loose)),
            tcp_be_liberal: AtomicI32::new(i32::from(tcp::Config::DEFAULT.be_liberal)),
            tcp_max_retrans: AtomicI32::new(i32::from(tcp::Config::DEFAULT.max_retrans)),
            tcp_ignore_invalid_rst: AtomicI32::new(i32::from(tcp::Config::DEFAULT.ignore_invalid_rst)),
            log_invalid: AtomicI32::new(0),
            checksum: AtomicI32::new(1),
        })
    }

    /// This namespace's TCP knobs.
    pub(crate) fn tcp_config(&self) -> tcp::Config {
        tcp::Config {
            loose: self.tcp_loose.load(Relaxed) != 0,
            be_liberal: self.tcp_be_liberal.load(Relaxed) != 0,
            max_retrans: u8::try_from(self.tcp_max_retrans.load(Relaxed)).unwrap_or(u8::MAX),
            ignore_invalid_rst: self.tcp_ignore_invalid_rst.load(Relaxed) != 0,
        }
    }

    /// Timeout `t` of this namespace, in jiffies.
    pub(crate) fn timeout_jiffies(&self, t: Timeout) -> u32 {
        let secs = match t {
            Timeout::Udp => &self.udp_timeout,
            Timeout::UdpStream => &self.udp_timeout_stream,
            Timeout::Icmp => &self.icmp_timeout,
            Timeout::Icmpv6 => &self.icmpv6_timeout,
            Timeout::Generic => &self.generic_timeout,
        };
        u32::try_from(secs.load(Relaxed)).unwrap_or(0).saturating_mul(HZ)
    }
}

/// This namespace's TCP timeouts, in seconds, read from the sysctls as
/// the TCP tracker asks for them.
impl tcp::TimeoutSource for NetCt {
    fn timeout(&self, t: tcp::Timeout) -> u32 {
        let secs = match t {
            tcp::Timeout::State(s) => self.tcp_timeouts.get(s as usize),
            tcp::Timeout::Retrans => Some(&self.tcp_timeout_max_retrans),
            tcp::Timeout::Unack => Some(&self.tcp_timeout_unack),
        };
        secs.map_or(0, |a| u32::try_from(a.load(Relaxed)).unwrap_or(0))
    }
}

/// Everything rct registered in one namespace.
///
/// Teardown (see [`Rct`]'s `pre_exit` and `exit_batch`): hooks first, so no
/// packet reaches rct in this namespace any more; after the kernel's grace
/// period, the entries of the whole batch of dying namespaces leave the
/// table in one pass, and another grace period passes (see [`Ns`]); then
/// the user interfaces go, and the shared [`NetCt`] with the last `Arc`.
pub(crate) struct NetState {
    hooks: HookRegistration<NetCt>,
    ct: Arc<NetCt>,
    _table_file: ProcEntry<procfs::TableIter>,
    _stat_file: ProcEntry<procfs::StatIter>,
    _sysctl: SysctlRegistration<NetCt>,
}

impl NetState {
    /// The namespace's conntrack data.
    pub(crate) fn ct(&self) -> &Arc<NetCt> {
        &self.ct
    }
}

/// The pernet subsystem that builds a [`NetState`] for every namespace.
pub(crate) struct Rct;

static RCT_PERNET_ID: PernetId = PernetId::new();

impl Pernet for Rct {
    type State = NetState;

    fn id() -> &'static PernetId {
        &RCT_PERNET_ID
    }

    fn pre_exit(state: &NetState) {
        state.ct.ns.events.store(false, Relaxed);
        // SAFETY: The kernel waits for a grace period after `pre_exit`,
        // before `exit_batch` drops the state.
        unsafe { state.hooks.unregister_deferred() };
    }

    fn exit_batch(states: &[&NetState]) {
        let Some(table) = states.first().map(|s| &s.ct.table) else {
            return;
        };
        // Namespaces that never tracked anything (or whose entries all
        // expired) need no walk: with the hooks gone, counts only fall.
        let mut ids = KVec::new();
        for s in states {
            if s.ct.ns.count.load(Relaxed) != 0 && ids.push(s.ct.ns.id(), GFP_KERNEL).is_err() {
                // Out of memory: flush this one alone.
                table.flush(&[s.ct.ns.id()]);
            }
        }
        if ids.is_empty() {
            return;
        }
        table.flush(&ids);
        // Killers that found entries of these namespaces before the flush
        // touch their `Ns` inside RCU read-side sections (see `Ns`).
        rcu::synchronize();
    }

    fn init(net: &Net) -> Result<KBox<NetState>> {
        let ct = Arc::new(NetCt::new(table()?, net)?, GFP_KERNEL)?;
        // Allocated first, so nothing can fail once the hooks run.
        let slot = KBox::<NetState>::new_uninit(GFP_KERNEL)?;
        // The registrations are owned by the returned `NetState`, which the
        // pernet layer drops in this namespace's exit, before the namespace
        // is freed: that is the contract of the four `new`s below. The user
        // interfaces come first so no packet is tracked in a namespace whose
        // files failed to appear.
        // SAFETY: See above.
        let sysctl = unsafe {
            SysctlRegistration::new(net, c_str!("net/rct"), &sysctl::TABLE, ct.clone(), net.is_init())
        }?;
        // SAFETY: See above.
        let stat_file = unsafe {
            ProcEntry::new(net, ProcDir::NetStat, c_str!("rct_conntrack"), 0o444, false, ct.clone())
        }?;
        // SAFETY: See above.
        let table_file =
            unsafe { ProcEntry::new(net, ProcDir::Net, c_str!("rct_conntrack"), 0o440, true, ct.clone()) }?;
        // SAFETY: See above.
        let hooks = match unsafe { HookRegistration::new(net, &hooks::CONNTRACK_HOOKS, ct.clone()) } {
            Ok(h) => h,
            Err(e) => {
                // Hooks that ran before the failure may have created entries.
                ct.table.flush(&[ct.ns.id()]);
                rcu::synchronize();
                return Err(e);
            }
        };
        ct.ns.events.store(true, Relaxed);
        let state = NetState {
            hooks,
            ct,
            _table_file: table_file,
            _stat_file: stat_file,
            _sysctl: sysctl,
        };
        Ok(KBox::write(slot, state))
    }
}
