// SPDX-License-Identifier: GPL-2.0

//! Per-CPU statistics of one namespace (nf's `NF_CT_STAT_INC`).
//!
//! C reference: `struct ip_conntrack_stat` and `NF_CT_STAT_INC` in
//! include/net/netfilter/nf_conntrack.h.

use crate::kext::percpu::Counters;
use crate::proto::stat::{CpuStats, Stat, NSTATS};
use kernel::prelude::*;

/// A namespace's counters, one [`CpuStats`] per possible CPU.
pub(crate) struct Stats(Counters<NSTATS>);

impl Stats {
    /// Zeroed counters (may sleep).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self(Counters::new()?))
    }

    /// Counts one event on the current CPU; lock-free, any context.
    pub(crate) fn inc(&self, s: Stat) {
        self.0.inc(s as usize);
    }

    /// `cpu`'s counters, or `None` if it is not a possible CPU.
    pub(crate) fn cpu(&self, cpu: u32) -> Option<CpuStats> {
        self.0.get(cpu)
    }
}
