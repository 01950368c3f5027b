// SPDX-License-Identifier: GPL-2.0

//! The `net.rct.*` sysctls, parallel to `net.netfilter.nf_conntrack_*`.
//!
//! C reference: `nf_ct_sysctl_table[]` in net/netfilter/nf_conntrack_standalone.c.

use crate::kext::sysctl::IntSysctl;
use crate::kext::time::HZ;
use crate::netns::NetCt;
use kernel::c_str;

/// Largest timeout in seconds: timeouts become 32-bit jiffies deadlines,
/// compared with wrapping arithmetic, so they stay below 2^31 jiffies.
const MAX_TIMEOUT: i32 = (i32::MAX as u32 / HZ) as i32;

type Field = fn(&NetCt) -> &core::sync::atomic::AtomicI32;

const fn int(name: &'static kernel::str::CStr, mode: u16, min: i32, max: i32, value: Field) -> IntSysctl<NetCt> {
    IntSysctl {
        name,
        mode,
        min,
        max,
        value,
    }
}

const fn timeout(name: &'static kernel::str::CStr, value: Field) -> IntSysctl<NetCt> {
    int(name, 0o644, 0, MAX_TIMEOUT, value)
}

/// The table registered as `net/rct` in every namespace.
pub(crate) static TABLE: [IntSysctl<NetCt>; 9] = [
    // Entry limit of this namespace.
    int(c_str!("max"), 0o644, 0, i32::MAX, |ct| &ct.max),
    // Entries of this namespace (read-only).
    int(c_str!("count"), 0o444, 0, i32::MAX, |ct| &ct.ns.count),
    // Hash buckets of the (global) table (read-only).
    int(c_str!("buckets"), 0o444, 0, i32::MAX, |ct| &ct.buckets),
    // Keep per-entry packet and byte counters (for entries created from now on).
    int(c_str!("acct"), 0o644, 0, 1, |ct| &ct.acct),
    timeout(c_str!("udp_timeout"), |ct| &ct.udp_timeout),
    timeout(c_str!("udp_timeout_stream"), |ct| &ct.udp_timeout_stream),
    timeout(c_str!("icmp_timeout"), |ct| &ct.icmp_timeout),
    timeout(c_str!("icmpv6_timeout"), |ct| &ct.icmpv6_timeout),
    timeout(c_str!("generic_timeout"), |ct| &ct.generic_timeout),
];
