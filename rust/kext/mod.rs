// SPDX-License-Identifier: GPL-2.0

//! rct's kernel abstraction layer: safe wrappers over the kernel APIs the
//! 6.12 `kernel` crate does not cover (netfilter, netns, per-CPU data, procfs,
//! sysctl, module parameters).
//!
//! This is the only place allowed to use the raw bindings and the `rct_helper_*`
//! C helpers; the module in `src/` uses these wrappers. Like nova-core's
//! `num.rs`, it is a staging area: pieces that upstream gains later (RCU,
//! seq_file, DelayedWork) are backports marked as such.
//!
//! C reference: include/linux/netfilter.h, include/net/net_namespace.h,
//! include/linux/percpu.h, include/linux/proc_fs.h, include/linux/sysctl.h,
//! include/linux/moduleparam.h.

#[path = "../bindings/mod.rs"]
mod bindings;

pub(crate) mod mm;
pub(crate) mod net;
pub(crate) mod netfilter;
pub(crate) mod nfnetlink;
pub(crate) mod param;
pub(crate) mod percpu;
pub(crate) mod proc;
pub(crate) mod random;
pub(crate) mod rcu;
pub(crate) mod sched;
pub(crate) mod skbuff;
pub(crate) mod slab;
pub(crate) mod spinlock;
pub(crate) mod sysctl;
pub(crate) mod time;
pub(crate) mod workqueue;
