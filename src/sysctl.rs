// SPDX-License-Identifier: GPL-2.0

//! The `net.rct.*` sysctls, parallel to `net.netfilter.nf_conntrack_*`.
//!
//! C reference: `nf_ct_sysctl_table[]` in net/netfilter/nf_conntrack_standalone.c.

use crate::kext::sysctl::IntSysctl;
use crate::netns::NetCt;
use kernel::c_str;

/// The table registered as `net/rct` in every namespace.
pub(crate) static TABLE: [IntSysctl<NetCt>; 1] = [
    // `net.rct.max`: entry limit of this namespace's table.
    IntSysctl {
        name: c_str!("max"),
        mode: 0o644,
        min: 0,
        max: i32::MAX,
        value: |ct| &ct.max,
    },
];
