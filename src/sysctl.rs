// SPDX-License-Identifier: GPL-2.0

//! The `net.rct.*` sysctls, parallel to `net.netfilter.nf_conntrack_*`.
//!
//! C reference: `nf_ct_sysctl_table[]` in net/netfilter/nf_conntrack_standalone.c.

use crate::kext::sysctl::{IntSysctl, Value};
use crate::kext::time::HZ;
use crate::netns::NetCt;
use crate::proto::sizing::MAX_BUCKETS;
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
        value: Value::Atomic(value),
        global: false,
    }
}

/// A machine-wide sysctl: writable in the initial namespace only.
const fn global(s: IntSysctl<NetCt>) -> IntSysctl<NetCt> {
    IntSysctl { global: true, ..s }
}

fn get_buckets(ct: &NetCt) -> i32 {
    i32::try_from(ct.table.buckets()).unwrap_or(i32::MAX)
}

fn get_ctnetlink(_ct: &NetCt) -> i32 {
    i32::from(crate::CTNETLINK.load(core::sync::atomic::Ordering::Relaxed))
}

fn set_read_only(_ct: &NetCt, _v: i32) -> kernel::error::Result {
    Err(kernel::error::code::EPERM)
}

fn set_buckets(ct: &NetCt, n: i32) -> kernel::error::Result {
    ct.table.resize(u32::try_from(n).map_err(|_| kernel::error::code::EINVAL)?)
}

const fn timeout(name: &'static kernel::str::CStr, value: Field) -> IntSysctl<NetCt> {
    int(name, 0o644, 0, MAX_TIMEOUT, value)
}

/// The table registered as `net/rct` in every namespace.
pub(crate) static TABLE: [IntSysctl<NetCt>; 26] = [
    // Entry limit of each namespace (one machine-wide value, as nf's).
    global(int(c_str!("max"), 0o644, 0, i32::MAX, |ct| &ct.table.max)),
    // Entries of this namespace (read-only).
    int(c_str!("count"), 0o444, 0, i32::MAX, |ct| &ct.ns.count),
    // Hash buckets of the (global) table; a write resizes it live.
    IntSysctl {
        name: c_str!("buckets"),
        mode: 0o644,
        min: 1,
        max: MAX_BUCKETS as i32,
        value: Value::Custom {
            get: get_buckets,
            set: set_buckets,
        },
        global: true,
    },
    // Keep per-entry packet and byte counters (for entries created from now on).
    int(c_str!("acct"), 0o644, 0, 1, |ct| &ct.acct),
    timeout(c_str!("udp_timeout"), |ct| &ct.udp_timeout),
    timeout(c_str!("udp_timeout_stream"), |ct| &ct.udp_timeout_stream),
    timeout(c_str!("icmp_timeout"), |ct| &ct.icmp_timeout),
    timeout(c_str!("icmpv6_timeout"), |ct| &ct.icmpv6_timeout),
    timeout(c_str!("generic_timeout"), |ct| &ct.generic_timeout),
    timeout(c_str!("tcp_timeout_syn_sent"), |ct| &ct.tcp_timeouts[1]),
    timeout(c_str!("tcp_timeout_syn_recv"), |ct| &ct.tcp_timeouts[2]),
    timeout(c_str!("tcp_timeout_established"), |ct| &ct.tcp_timeouts[3]),
    timeout(c_str!("tcp_timeout_fin_wait"), |ct| &ct.tcp_timeouts[4]),
    timeout(c_str!("tcp_timeout_close_wait"), |ct| &ct.tcp_timeouts[5]),
    timeout(c_str!("tcp_timeout_last_ack"), |ct| &ct.tcp_timeouts[6]),
    timeout(c_str!("tcp_timeout_time_wait"), |ct| &ct.tcp_timeouts[7]),
    timeout(c_str!("tcp_timeout_close"), |ct| &ct.tcp_timeouts[8]),
    timeout(c_str!("tcp_timeout_max_retrans"), |ct| &ct.tcp_timeout_max_retrans),
    timeout(c_str!("tcp_timeout_unacknowledged"), |ct| &ct.tcp_timeout_unack),
    // Pick up connections already established when first seen.
    int(c_str!("tcp_loose"), 0o644, 0, 1, |ct| &ct.tcp_loose),
    // Do not mark out-of-window segments invalid.
    int(c_str!("tcp_be_liberal"), 0o644, 0, 1, |ct| &ct.tcp_be_liberal),
    // Retransmissions before tcp_timeout_max_retrans applies.
    int(c_str!("tcp_max_retrans"), 0o644, 0, 255, |ct| &ct.tcp_max_retrans),
    // Accept RSTs below the window instead of marking them invalid.
    int(c_str!("tcp_ignore_invalid_rst"), 0o644, 0, 1, |ct| &ct.tcp_ignore_invalid_rst),
    // Verify TCP, UDP and ICMP checksums of arriving packets (PRE_ROUTING).
    int(c_str!("checksum"), 0o644, 0, 1, |ct| &ct.checksum),
    // Log invalid packets of this IP protocol (255: all), rate-limited.
    int(c_str!("log_invalid"), 0o644, 0, 255, |ct| &ct.log_invalid),
    // Whether rct serves ctnetlink (conntrack-tools); read-only.
    IntSysctl {
        name: c_str!("ctnetlink"),
        mode: 0o444,
        min: 0,
        max: 1,
        value: Value::Custom {
            get: get_ctnetlink,
            set: set_read_only,
        },
        global: false,
    },
];
