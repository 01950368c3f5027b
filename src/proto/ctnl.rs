// SPDX-License-Identifier: GPL-2.0

//! ctnetlink's messages: the attributes conntrack-tools reads and sends,
//! encoded and decoded exactly as the kernel's ctnetlink does.
//!
//! - [`write_entry`] writes one entry as an `IPCTNL_MSG_CT_NEW` message
//!   (what `conntrack -L`, `-G` and `-E` print), attribute for attribute in
//!   `ctnetlink_fill_info()`'s order.
//! - [`parse_tuple`] reads a `CTA_TUPLE_ORIG`/`CTA_TUPLE_REPLY` nest, and
//!   [`Filter`] the dump and flush filters (`CTA_MARK`/`CTA_MARK_MASK`,
//!   `CTA_STATUS`/`CTA_STATUS_MASK`, `CTA_ZONE`, `CTA_FILTER` with its
//!   tuple flags), with ctnetlink's errno for each malformed case.
//! - [`write_stats_cpu`] and [`write_stats`] answer `conntrack -S` and `-C`.
//!
//! C reference: net/netfilter/nf_conntrack_netlink.c,
//! include/uapi/linux/netfilter/nfnetlink_conntrack.h,
//! `tcp_to_nlattr()` in nf_conntrack_proto_tcp.c,
//! `icmp_nlattr_to_tuple()` in nf_conntrack_proto_icmp.c.

use super::line::Counter;
use super::nlattr::{
    self, be16, be32, parse_checked, u8_of, MsgHeader, Policy, Writer, EINVAL, EOPNOTSUPP,
};
use super::stat::{CpuStats, Stat};
use super::tcp::{tflag, State as TcpState, TcpConn};
use super::tuple::{has_ports, ipproto, Tuple, L3};

/// `NFNL_SUBSYS_CTNETLINK`.
pub const SUBSYS: u8 = 1;

/// Message types (`enum cntl_msg_types`).
pub mod msg {
    /// New entry, or an entry in a reply/dump/event.
    pub const NEW: u8 = 0;
    /// Get one entry, or dump the table.
    pub const GET: u8 = 1;
    /// Delete one entry, or flush.
    pub const DELETE: u8 = 2;
    /// Get (dump) and zero the counters.
    pub const GET_CTRZERO: u8 = 3;
    /// Per-CPU statistics.
    pub const GET_STATS_CPU: u8 = 4;
    /// Entry count and maximum.
    pub const GET_STATS: u8 = 5;
    /// Entries being destroyed.
    pub const GET_DYING: u8 = 6;
    /// Unconfirmed entries.
    pub const GET_UNCONFIRMED: u8 = 7;
    /// Number of message types.
    pub const MAX: usize = 8;
}

/// Multicast groups (`enum nfnetlink_groups`).
pub mod group {
    /// New entries.
    pub const NEW: u32 = 1;
    /// Changed entries.
    pub const UPDATE: u32 = 2;
    /// Destroyed entries.
    pub const DESTROY: u32 = 3;
}

/// Top-level attributes (`enum ctattr_type`).
pub mod cta {
    /// `CTA_TUPLE_ORIG`.
    pub const TUPLE_ORIG: u16 = 1;
    /// `CTA_TUPLE_REPLY`.
    pub const TUPLE_REPLY: u16 = 2;
    /// `CTA_STATUS`.
    pub const STATUS: u16 = 3;
    /// `CTA_PROTOINFO`.
    pub const PROTOINFO: u16 = 4;
    /// `CTA_HELP`.
    pub const HELP: u16 = 5;
    /// `CTA_NAT_SRC`.
    pub const NAT_SRC: u16 = 6;
    /// `CTA_TIMEOUT`.
    pub const TIMEOUT: u16 = 7;
    /// `CTA_MARK`.
    pub const MARK: u16 = 8;
    /// `CTA_COUNTERS_ORIG`.
    pub const COUNTERS_ORIG: u16 = 9;
    /// `CTA_COUNTERS_REPLY`.
    pub const COUNTERS_REPLY: u16 = 10;
    /// `CTA_USE`.
    pub const USE: u16 = 11;
    /// `CTA_ID`.
    pub const ID: u16 = 12;
    /// `CTA_NAT_DST`.
    pub const NAT_DST: u16 = 13;
    /// `CTA_TUPLE_MASTER`.
    pub const TUPLE_MASTER: u16 = 14;
    /// `CTA_SEQ_ADJ_ORIG`.
    pub const SEQ_ADJ_ORIG: u16 = 15;
    /// `CTA_SEQ_ADJ_REPLY`.
    pub const SEQ_ADJ_REPLY: u16 = 16;
    /// `CTA_SECMARK`.
    pub const SECMARK: u16 = 17;
    /// `CTA_ZONE`.
    pub const ZONE: u16 = 18;
    /// `CTA_SECCTX`.
    pub const SECCTX: u16 = 19;
    /// `CTA_TIMESTAMP`.
    pub const TIMESTAMP: u16 = 20;
    /// `CTA_MARK_MASK`.
    pub const MARK_MASK: u16 = 21;
    /// `CTA_LABELS`.
    pub const LABELS: u16 = 22;
    /// `CTA_LABELS_MASK`.
    pub const LABELS_MASK: u16 = 23;
    /// `CTA_SYNPROXY`.
    pub const SYNPROXY: u16 = 24;
    /// `CTA_FILTER`.
    pub const FILTER: u16 = 25;
    /// `CTA_STATUS_MASK`.
    pub const STATUS_MASK: u16 = 26;
    /// One past the last attribute (`CTA_MAX + 1`).
    pub const N: usize = 27;

    /// `CTA_TUPLE_IP`.
    pub const TUPLE_IP: u16 = 1;
    /// `CTA_TUPLE_PROTO`.
    pub const TUPLE_PROTO: u16 = 2;
    /// `CTA_TUPLE_ZONE`.
    pub const TUPLE_ZONE: u16 = 3;

    /// `CTA_IP_V4_SRC`.
    pub const IP_V4_SRC: u16 = 1;
    /// `CTA_IP_V4_DST`.
    pub const IP_V4_DST: u16 = 2;
    /// `CTA_IP_V6_SRC`.
    pub const IP_V6_SRC: u16 = 3;
    /// `CTA_IP_V6_DST`.
    pub const IP_V6_DST: u16 = 4;

    /// `CTA_PROTO_NUM`.
    pub const PROTO_NUM: u16 = 1;
    /// `CTA_PROTO_SRC_PORT`.
    pub const PROTO_SRC_PORT: u16 = 2;
    /// `CTA_PROTO_DST_PORT`.
    pub const PROTO_DST_PORT: u16 = 3;
    /// `CTA_PROTO_ICMP_ID`.
    pub const PROTO_ICMP_ID: u16 = 4;
    /// `CTA_PROTO_ICMP_TYPE`.
    pub const PROTO_ICMP_TYPE: u16 = 5;
    /// `CTA_PROTO_ICMP_CODE`.
    pub const PROTO_ICMP_CODE: u16 = 6;
    /// `CTA_PROTO_ICMPV6_ID`.
    pub const PROTO_ICMPV6_ID: u16 = 7;
    /// `CTA_PROTO_ICMPV6_TYPE`.
    pub const PROTO_ICMPV6_TYPE: u16 = 8;
    /// `CTA_PROTO_ICMPV6_CODE`.
    pub const PROTO_ICMPV6_CODE: u16 = 9;

    /// `CTA_PROTOINFO_TCP`.
    pub const PROTOINFO_TCP: u16 = 1;
    /// `CTA_PROTOINFO_TCP_STATE`.
    pub const PROTOINFO_TCP_STATE: u16 = 1;
    /// `CTA_PROTOINFO_TCP_WSCALE_ORIGINAL`.
    pub const PROTOINFO_TCP_WSCALE_ORIGINAL: u16 = 2;
    /// `CTA_PROTOINFO_TCP_WSCALE_REPLY`.
    pub const PROTOINFO_TCP_WSCALE_REPLY: u16 = 3;
    /// `CTA_PROTOINFO_TCP_FLAGS_ORIGINAL`.
    pub const PROTOINFO_TCP_FLAGS_ORIGINAL: u16 = 4;
    /// `CTA_PROTOINFO_TCP_FLAGS_REPLY`.
    pub const PROTOINFO_TCP_FLAGS_REPLY: u16 = 5;

    /// `CTA_COUNTERS_PACKETS`.
    pub const COUNTERS_PACKETS: u16 = 1;
    /// `CTA_COUNTERS_BYTES`.
    pub const COUNTERS_BYTES: u16 = 2;

    /// `CTA_FILTER_ORIG_FLAGS`.
    pub const FILTER_ORIG_FLAGS: u16 = 1;
    /// `CTA_FILTER_REPLY_FLAGS`.
    pub const FILTER_REPLY_FLAGS: u16 = 2;

    /// `CTA_STATS_FOUND`.
    pub const STATS_FOUND: u16 = 2;
    /// `CTA_STATS_INVALID`.
    pub const STATS_INVALID: u16 = 4;
    /// `CTA_STATS_INSERT`.
    pub const STATS_INSERT: u16 = 8;
    /// `CTA_STATS_INSERT_FAILED`.
    pub const STATS_INSERT_FAILED: u16 = 9;
    /// `CTA_STATS_DROP`.
    pub const STATS_DROP: u16 = 10;
    /// `CTA_STATS_EARLY_DROP`.
    pub const STATS_EARLY_DROP: u16 = 11;
    /// `CTA_STATS_ERROR`.
    pub const STATS_ERROR: u16 = 12;
    /// `CTA_STATS_SEARCH_RESTART`.
    pub const STATS_SEARCH_RESTART: u16 = 13;
    /// `CTA_STATS_CLASH_RESOLVE`.
    pub const STATS_CLASH_RESOLVE: u16 = 14;
    /// `CTA_STATS_CHAIN_TOOLONG`.
    pub const STATS_CHAIN_TOOLONG: u16 = 15;

    /// `CTA_STATS_GLOBAL_ENTRIES`.
    pub const STATS_GLOBAL_ENTRIES: u16 = 1;
    /// `CTA_STATS_GLOBAL_MAX_ENTRIES`.
    pub const STATS_GLOBAL_MAX_ENTRIES: u16 = 2;
}

/// `CTA_FILTER` tuple flags (net/netfilter/nf_internals.h).
pub mod filter_flag {
    /// `CTA_FILTER_F_CTA_IP_SRC`.
    pub const IP_SRC: u32 = 1 << 0;
    /// `CTA_FILTER_F_CTA_IP_DST`.
    pub const IP_DST: u32 = 1 << 1;
    /// `CTA_FILTER_F_CTA_TUPLE_ZONE`.
    pub const TUPLE_ZONE: u32 = 1 << 2;
    /// `CTA_FILTER_F_CTA_PROTO_NUM`.
    pub const PROTO_NUM: u32 = 1 << 3;
    /// `CTA_FILTER_F_CTA_PROTO_SRC_PORT`.
    pub const PROTO_SRC_PORT: u32 = 1 << 4;
    /// `CTA_FILTER_F_CTA_PROTO_DST_PORT`.
    pub const PROTO_DST_PORT: u32 = 1 << 5;
    /// `CTA_FILTER_F_CTA_PROTO_ICMP_TYPE`.
    pub const PROTO_ICMP_TYPE: u32 = 1 << 6;
    /// `CTA_FILTER_F_CTA_PROTO_ICMP_CODE`.
    pub const PROTO_ICMP_CODE: u32 = 1 << 7;
    /// `CTA_FILTER_F_CTA_PROTO_ICMP_ID`.
    pub const PROTO_ICMP_ID: u32 = 1 << 8;
    /// `CTA_FILTER_F_CTA_PROTO_ICMPV6_TYPE`.
    pub const PROTO_ICMPV6_TYPE: u32 = 1 << 9;
    /// `CTA_FILTER_F_CTA_PROTO_ICMPV6_CODE`.
    pub const PROTO_ICMPV6_CODE: u32 = 1 << 10;
    /// `CTA_FILTER_F_CTA_PROTO_ICMPV6_ID`.
    pub const PROTO_ICMPV6_ID: u32 = 1 << 11;
    /// Every flag.
    pub const ALL: u32 = (1 << 12) - 1;
    /// The layer-4 flags other than the protocol number.
    pub const ALL_PROTO: u32 = ALL & !(IP_SRC | IP_DST | TUPLE_ZONE | PROTO_NUM);
}

/// Top-level policy (`ct_nla_policy`), indexed by attribute type.
pub const POLICY: [Policy; cta::N] = {
    let mut p = [Policy::Any; cta::N];
    p[cta::TUPLE_ORIG as usize] = Policy::Nested;
    p[cta::TUPLE_REPLY as usize] = Policy::Nested;
    p[cta::STATUS as usize] = Policy::U32;
    p[cta::PROTOINFO as usize] = Policy::Nested;
    p[cta::HELP as usize] = Policy::Nested;
    p[cta::NAT_SRC as usize] = Policy::Nested;
    p[cta::TIMEOUT as usize] = Policy::U32;
    p[cta::MARK as usize] = Policy::U32;
    p[cta::ID as usize] = Policy::U32;
    p[cta::NAT_DST as usize] = Policy::Nested;
    p[cta::TUPLE_MASTER as usize] = Policy::Nested;
    p[cta::SEQ_ADJ_ORIG as usize] = Policy::Nested;
    p[cta::SEQ_ADJ_REPLY as usize] = Policy::Nested;
    p[cta::ZONE as usize] = Policy::U16;
    p[cta::MARK_MASK as usize] = Policy::U32;
    p[cta::LABELS as usize] = Policy::MaxLen(16);
    p[cta::LABELS_MASK as usize] = Policy::MaxLen(16);
    p[cta::FILTER as usize] = Policy::Nested;
    p[cta::STATUS_MASK as usize] = Policy::U32;
    p
};

const TUPLE_POLICY: [Policy; 4] = [Policy::Any, Policy::Nested, Policy::Nested, Policy::U16];
const IP_POLICY: [Policy; 5] = [
    Policy::Any,
    Policy::U32,
    Policy::U32,
    Policy::MinLen(16),
    Policy::MinLen(16),
];
const PROTO_POLICY: [Policy; 2] = [Policy::Any, Policy::U8];
const PORT_POLICY: [Policy; 4] = [Policy::Any, Policy::Any, Policy::U16, Policy::U16];
const ICMP_POLICY: [Policy; 7] = [
    Policy::Any,
    Policy::Any,
    Policy::Any,
    Policy::Any,
    Policy::U16,
    Policy::U8,
    Policy::U8,
];
const ICMPV6_POLICY: [Policy; 10] = [
    Policy::Any,
    Policy::Any,
    Policy::Any,
    Policy::Any,
    Policy::Any,
    Policy::Any,
    Policy::Any,
    Policy::U16,
    Policy::U8,
    Policy::U8,
];
const FILTER_POLICY: [Policy; 3] = [
    Policy::Any,
    Policy::U32Mask(filter_flag::ALL),
    Policy::U32Mask(filter_flag::ALL),
];

/// The top-level attributes of a request.
pub type Attrs<'a> = [Option<&'a [u8]>; cta::N];

/// Parses a request's top-level attributes against [`POLICY`].
pub fn parse_attrs(buf: &[u8]) -> Result<Attrs<'_>, i32> {
    parse_checked::<{ cta::N }>(buf, &POLICY)
}

/// TCP details of an entry (`CTA_PROTOINFO_TCP`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// State number (nf's `enum tcp_conntrack`).
    pub state: u8,
    /// Window scale per direction.
    pub wscale: [u8; 2],
    /// `IP_CT_TCP_FLAG_*` per direction.
    pub flags: [u8; 2],
}

/// What one entry message shows.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// Original-direction tuple.
    pub orig: &'a Tuple,
    /// Reply-direction tuple.
    pub reply: &'a Tuple,
    /// Zone id (0: the default zone, not shown).
    pub zone: u16,
    /// Status bits.
    pub status: u32,
    /// Mark.
    pub mark: u32,
    /// Entry id (`CTA_ID`).
    pub id: u32,
    /// Reference count (`CTA_USE`).
    pub use_count: u32,
    /// Seconds until expiry.
    pub timeout: u32,
    /// TCP details, for TCP entries.
    pub tcp: Option<TcpInfo>,
    /// Per-direction counters, if kept.
    pub counters: Option<[Counter; 2]>,
}

/// What kind of entry message to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A reply or dump record (`ctnetlink_fill_info()`).
    Info,
    /// A new or update event (`ctnetlink_conntrack_event()`); `mark`: it
    /// reports a mark change (`IPCT_MARK`), so the mark goes out even if 0.
    Event {
        /// The mark changed.
        mark: bool,
    },
    /// A destroy event: timeout only if left, TCP state only, counters.
    Destroy,
}

fn write_tuple(w: &mut Writer<'_>, ty: u16, t: &Tuple) {
    let outer = w.nest_start(ty);
    let ip = w.nest_start(cta::TUPLE_IP);
    match t.l3 {
        L3::V4 => {
            w.put(cta::IP_V4_SRC, t.src.get(..4).unwrap_or(&[0; 4]));
            w.put(cta::IP_V4_DST, t.dst.get(..4).unwrap_or(&[0; 4]));
        }
        L3::V6 => {
            w.put(cta::IP_V6_SRC, &t.src);
            w.put(cta::IP_V6_DST, &t.dst);
        }
    }
    w.nest_end(ip);
    let proto = w.nest_start(cta::TUPLE_PROTO);
    w.put_u8(cta::PROTO_NUM, t.proto);
    let [ty, code] = t.dport.to_be_bytes();
    match t.proto {
        p if has_ports(p) => {
            w.put_be16(cta::PROTO_SRC_PORT, t.sport);
            w.put_be16(cta::PROTO_DST_PORT, t.dport);
        }
        ipproto::ICMP => {
            w.put_be16(cta::PROTO_ICMP_ID, t.sport);
            w.put_u8(cta::PROTO_ICMP_TYPE, ty);
            w.put_u8(cta::PROTO_ICMP_CODE, code);
        }
        ipproto::ICMPV6 => {
            w.put_be16(cta::PROTO_ICMPV6_ID, t.sport);
            w.put_u8(cta::PROTO_ICMPV6_TYPE, ty);
            w.put_u8(cta::PROTO_ICMPV6_CODE, code);
        }
        _ => {}
    }
    w.nest_end(proto);
    w.nest_end(outer);
}

fn write_counters(w: &mut Writer<'_>, c: &[Counter; 2]) {
    for (ty, c) in [cta::COUNTERS_ORIG, cta::COUNTERS_REPLY].into_iter().zip(c) {
        let n = w.nest_start(ty);
        w.put_be64(cta::COUNTERS_PACKETS, c.packets);
        w.put_be64(cta::COUNTERS_BYTES, c.bytes);
        w.nest_end(n);
    }
}

fn write_tcp(w: &mut Writer<'_>, t: &TcpInfo, destroy: bool) {
    let p = w.nest_start(cta::PROTOINFO);
    let n = w.nest_start(cta::PROTOINFO_TCP);
    w.put_u8(cta::PROTOINFO_TCP_STATE, t.state);
    if !destroy {
        w.put_u8(cta::PROTOINFO_TCP_WSCALE_ORIGINAL, t.wscale[0]);
        w.put_u8(cta::PROTOINFO_TCP_WSCALE_REPLY, t.wscale[1]);
        // struct nf_ct_tcp_flags { u8 flags; u8 mask; }
        w.put(cta::PROTOINFO_TCP_FLAGS_ORIGINAL, &[t.flags[0], 0]);
        w.put(cta::PROTOINFO_TCP_FLAGS_REPLY, &[t.flags[1], 0]);
    }
    w.nest_end(n);
    w.nest_end(p);
}

/// The message type of entry messages (`IPCTNL_MSG_CT_NEW` or `_DELETE`).
pub fn entry_type(m: u8) -> u16 {
    u16::from(SUBSYS) << 8 | u16::from(m)
}

/// Writes one entry message (`ctnetlink_fill_info()`, or the event
/// variant); `false` if it did not fit (nothing of it is kept).
pub fn write_entry(w: &mut Writer<'_>, h: &MsgHeader, e: &Entry<'_>, kind: Kind) -> bool {
    let m = w.msg_start(h);
    write_tuple(w, cta::TUPLE_ORIG, e.orig);
    write_tuple(w, cta::TUPLE_REPLY, e.reply);
    if e.zone != 0 {
        w.put_be16(cta::ZONE, e.zone);
    }
    match kind {
        Kind::Info => {
            w.put_be32(cta::STATUS, e.status);
            w.put_be32(cta::MARK, e.mark);
            w.put_be32(cta::ID, e.id);
            w.put_be32(cta::USE, e.use_count);
            w.put_be32(cta::TIMEOUT, e.timeout);
            if let Some(t) = &e.tcp {
                write_tcp(w, t, false);
            }
            if let Some(c) = &e.counters {
                write_counters(w, c);
            }
        }
        Kind::Event { mark } => {
            // ctnetlink_conntrack_event(): protocol info only when it
            // changed (the caller passes `tcp` then), mark if set or
            // changed.
            w.put_be32(cta::ID, e.id);
            w.put_be32(cta::STATUS, e.status);
            w.put_be32(cta::TIMEOUT, e.timeout);
            if let Some(t) = &e.tcp {
                write_tcp(w, t, false);
            }
            if mark || e.mark != 0 {
                w.put_be32(cta::MARK, e.mark);
            }
        }
        Kind::Destroy => {
            w.put_be32(cta::ID, e.id);
            w.put_be32(cta::STATUS, e.status);
            if e.timeout != 0 {
                w.put_be32(cta::TIMEOUT, e.timeout);
            }
            if let Some(c) = &e.counters {
                write_counters(w, c);
            }
            if let Some(t) = &e.tcp {
                write_tcp(w, t, true);
            }
            if e.mark != 0 {
                w.put_be32(cta::MARK, e.mark);
            }
        }
    }
    w.msg_end(m);
    if !w.ok() {
        w.cancel(m);
        return false;
    }
    true
}

/// Writes one CPU's `IPCTNL_MSG_CT_GET_STATS_CPU` record.
pub fn write_stats_cpu(w: &mut Writer<'_>, h: &MsgHeader, s: &CpuStats) -> bool {
    let m = w.msg_start(h);
    let get = |st: Stat| s.get(st as usize).copied().unwrap_or(0);
    for (ty, st) in [
        (cta::STATS_FOUND, Stat::Found),
        (cta::STATS_INVALID, Stat::Invalid),
        (cta::STATS_INSERT, Stat::Insert),
        (cta::STATS_INSERT_FAILED, Stat::InsertFailed),
        (cta::STATS_DROP, Stat::Drop),
        (cta::STATS_EARLY_DROP, Stat::EarlyDrop),
        (cta::STATS_ERROR, Stat::Error),
        (cta::STATS_SEARCH_RESTART, Stat::SearchRestart),
        (cta::STATS_CLASH_RESOLVE, Stat::ClashResolve),
        (cta::STATS_CHAIN_TOOLONG, Stat::ChainTooLong),
    ] {
        w.put_be32(ty, get(st));
    }
    w.msg_end(m);
    if !w.ok() {
        w.cancel(m);
        return false;
    }
    true
}

/// Writes the `IPCTNL_MSG_CT_GET_STATS` answer: entries and maximum.
pub fn write_stats(w: &mut Writer<'_>, h: &MsgHeader, count: u32, max: u32) -> bool {
    let m = w.msg_start(h);
    w.put_be32(cta::STATS_GLOBAL_ENTRIES, count);
    w.put_be32(cta::STATS_GLOBAL_MAX_ENTRIES, max);
    w.msg_end(m);
    w.ok()
}

/// The family of a request's `nfgen_family`, for tuples.
fn family(f: u8) -> Result<L3, i32> {
    match f {
        2 => Ok(L3::V4),
        10 => Ok(L3::V6),
        _ => Err(EOPNOTSUPP),
    }
}

/// Whether `ty` is an ICMP type nf tracks (has an inverse): echo,
/// timestamp, info and address-mask requests and replies.
fn icmp_type_ok(ty: u8) -> bool {
    matches!(ty, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
}

/// ICMPv6 echo and node-information requests and replies.
fn icmpv6_type_ok(ty: u8) -> bool {
    matches!(ty, 128 | 129 | 139 | 140)
}

/// A tuple parsed from a request, with the zone given inside it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParsedTuple {
    /// The tuple (fields the flags do not ask for are zero).
    pub tuple: Tuple,
    /// `CTA_TUPLE_ZONE`, if given.
    pub zone: Option<u16>,
}

/// Parses a tuple nest (`ctnetlink_parse_tuple_filter()`), reading the
/// parts `flags` asks for ([`filter_flag::ALL`] for an exact tuple).
pub fn parse_tuple(nest: &[u8], fam: u8, flags: u32) -> Result<ParsedTuple, i32> {
    use filter_flag as f;
    let tb = parse_checked::<4>(nest, &TUPLE_POLICY)?;
    let l3 = family(fam)?;
    let mut t = Tuple {
        l3,
        ..Tuple::default()
    };
    if flags & (f::IP_SRC | f::IP_DST) != 0 {
        let ip = tb[cta::TUPLE_IP as usize].ok_or(EINVAL)?;
        let ib = parse_checked::<5>(ip, &IP_POLICY)?;
        let (sa, da, n) = match l3 {
            L3::V4 => (cta::IP_V4_SRC, cta::IP_V4_DST, 4),
            L3::V6 => (cta::IP_V6_SRC, cta::IP_V6_DST, 16),
        };
        for (flag, ty, dst) in [(f::IP_SRC, sa, &mut t.src), (f::IP_DST, da, &mut t.dst)] {
            if flags & flag != 0 {
                let a = ib[ty as usize].and_then(|a| a.get(..n)).ok_or(EINVAL)?;
                dst.get_mut(..n).ok_or(EINVAL)?.copy_from_slice(a);
            }
        }
    }
    if flags & f::PROTO_NUM != 0 {
        let p = tb[cta::TUPLE_PROTO as usize].ok_or(EINVAL)?;
        let pb = parse_checked::<2>(p, &PROTO_POLICY)?;
        t.proto = pb[cta::PROTO_NUM as usize].and_then(u8_of).ok_or(EINVAL)?;
        match t.proto {
            pr if has_ports(pr) => {
                let pb = parse_checked::<4>(p, &PORT_POLICY)?;
                for (flag, ty, dst) in [
                    (f::PROTO_SRC_PORT, cta::PROTO_SRC_PORT, &mut t.sport),
                    (f::PROTO_DST_PORT, cta::PROTO_DST_PORT, &mut t.dport),
                ] {
                    if flags & flag != 0 {
                        *dst = pb[ty as usize].and_then(be16).ok_or(EINVAL)?;
                    }
                }
            }
            ipproto::ICMP | ipproto::ICMPV6 => {
                let v6 = t.proto == ipproto::ICMPV6;
                let (pb, id, ty, code, fl) = if v6 {
                    (
                        parse_checked::<10>(p, &ICMPV6_POLICY)?,
                        cta::PROTO_ICMPV6_ID,
                        cta::PROTO_ICMPV6_TYPE,
                        cta::PROTO_ICMPV6_CODE,
                        [
                            f::PROTO_ICMPV6_TYPE,
                            f::PROTO_ICMPV6_CODE,
                            f::PROTO_ICMPV6_ID,
                        ],
                    )
                } else {
                    let pb7 = parse_checked::<7>(p, &ICMP_POLICY)?;
                    let mut pb = [None; 10];
                    pb[..7].copy_from_slice(&pb7);
                    (
                        pb,
                        cta::PROTO_ICMP_ID,
                        cta::PROTO_ICMP_TYPE,
                        cta::PROTO_ICMP_CODE,
                        [f::PROTO_ICMP_TYPE, f::PROTO_ICMP_CODE, f::PROTO_ICMP_ID],
                    )
                };
                let mut tyv = 0u8;
                let mut codev = 0u8;
                if flags & fl[0] != 0 {
                    tyv = pb[ty as usize].and_then(u8_of).ok_or(EINVAL)?;
                    let ok = if v6 {
                        icmpv6_type_ok(tyv)
                    } else {
                        icmp_type_ok(tyv)
                    };
                    if !ok {
                        return Err(EINVAL);
                    }
                }
                if flags & fl[1] != 0 {
                    codev = pb[code as usize].and_then(u8_of).ok_or(EINVAL)?;
                }
                if flags & fl[2] != 0 {
                    t.sport = pb[id as usize].and_then(be16).ok_or(EINVAL)?;
                }
                t.dport = u16::from_be_bytes([tyv, codev]);
            }
            _ => {}
        }
    } else if flags & f::ALL_PROTO != 0 {
        return Err(EINVAL);
    }
    let mut zone = None;
    if flags & f::TUPLE_ZONE != 0 {
        if let Some(z) = tb[cta::TUPLE_ZONE as usize] {
            zone = Some(be16(z).ok_or(EINVAL)?);
        }
    }
    Ok(ParsedTuple { tuple: t, zone })
}

/// A value and mask filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Masked {
    /// Expected value (already masked by the sender).
    pub val: u32,
    /// Bits compared.
    pub mask: u32,
}

/// A dump or flush filter (`struct ctnetlink_filter`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Family to match (0: any).
    pub family: u8,
    /// Zone to match.
    pub zone: Option<u16>,
    /// Which parts of `orig` to compare.
    pub orig_flags: u32,
    /// Original tuple parts.
    pub orig: Tuple,
    /// Which parts of `reply` to compare.
    pub reply_flags: u32,
    /// Reply tuple parts.
    pub reply: Tuple,
    /// Mark filter.
    pub mark: Masked,
    /// Status filter.
    pub status: Masked,
}

impl Filter {
    /// Whether a request needs a filter at all (`ctnetlink_needs_filter()`).
    pub fn needed(family: u8, a: &Attrs<'_>) -> bool {
        family != 0
            || a[cta::MARK as usize].is_some()
            || a[cta::FILTER as usize].is_some()
            || a[cta::STATUS as usize].is_some()
            || a[cta::ZONE as usize].is_some()
    }

    /// Builds the filter of a request (`ctnetlink_alloc_filter()`) from
    /// its attributes `a`, parsed from `raw`.
    pub fn parse(family: u8, a: &Attrs<'_>, raw: &[u8]) -> Result<Filter, i32> {
        let get = |ty: u16| a[ty as usize];
        let mut f = Filter {
            family,
            ..Filter::default()
        };
        match (get(cta::MARK), get(cta::MARK_MASK)) {
            (Some(m), mask) => {
                f.mark.val = be32(m).ok_or(EINVAL)?;
                f.mark.mask = mask.map_or(Some(u32::MAX), be32).ok_or(EINVAL)?;
            }
            (None, Some(_)) => return Err(EINVAL),
            (None, None) => {}
        }
        match (get(cta::STATUS), get(cta::STATUS_MASK)) {
            (Some(s), mask) => {
                f.status.val = be32(s).ok_or(EINVAL)?;
                f.status.mask = match mask {
                    Some(m) => be32(m).ok_or(EINVAL)?,
                    None => f.status.val,
                };
                if f.status.mask == 0 {
                    return Err(EINVAL);
                }
            }
            (None, Some(_)) => return Err(EINVAL),
            (None, None) => {}
        }
        if let Some(z) = get(cta::ZONE) {
            f.zone = Some(be16(z).ok_or(EINVAL)?);
        }
        let Some(fl) = get(cta::FILTER) else {
            return Ok(f);
        };
        // The one nest nf parses strictly (`nla_parse_nested()`).
        if nlattr::raw_type(raw, cta::FILTER).is_some_and(|t| t & nlattr::NLA_F_NESTED == 0) {
            return Err(EINVAL);
        }
        let fb = nlattr::parse_strict::<3>(fl, &FILTER_POLICY)?;
        f.orig_flags = fb[cta::FILTER_ORIG_FLAGS as usize]
            .and_then(nlattr::u32_ne)
            .unwrap_or(0);
        f.reply_flags = fb[cta::FILTER_REPLY_FLAGS as usize]
            .and_then(nlattr::u32_ne)
            .unwrap_or(0);
        for (flags, ty, dst) in [
            (f.orig_flags, cta::TUPLE_ORIG, &mut f.orig),
            (f.reply_flags, cta::TUPLE_REPLY, &mut f.reply),
        ] {
            if flags == 0 {
                continue;
            }
            let nest = get(ty).ok_or(EINVAL)?;
            let p = parse_tuple(nest, family, flags)?;
            *dst = p.tuple;
            if let Some(z) = p.zone {
                if f.zone.is_some_and(|cur| cur != 0) {
                    return Err(EINVAL);
                }
                f.zone = Some(z);
            }
        }
        Ok(f)
    }

    fn tuple_matches(ft: &Tuple, t: &Tuple, flags: u32) -> bool {
        use filter_flag as f;
        let (icmp_type, icmp_code, icmp_id) = match t.proto {
            ipproto::ICMP => (f::PROTO_ICMP_TYPE, f::PROTO_ICMP_CODE, f::PROTO_ICMP_ID),
            ipproto::ICMPV6 => (
                f::PROTO_ICMPV6_TYPE,
                f::PROTO_ICMPV6_CODE,
                f::PROTO_ICMPV6_ID,
            ),
            _ => (0, 0, 0),
        };
        let [ft_ty, ft_code] = ft.dport.to_be_bytes();
        let [t_ty, t_code] = t.dport.to_be_bytes();
        !(flags & f::IP_SRC != 0 && ft.src != t.src
            || flags & f::IP_DST != 0 && ft.dst != t.dst
            || flags & f::PROTO_NUM != 0 && ft.proto != t.proto
            || has_ports(t.proto) && flags & f::PROTO_SRC_PORT != 0 && ft.sport != t.sport
            || has_ports(t.proto) && flags & f::PROTO_DST_PORT != 0 && ft.dport != t.dport
            || flags & icmp_type != 0 && ft_ty != t_ty
            || flags & icmp_code != 0 && ft_code != t_code
            || flags & icmp_id != 0 && ft.sport != t.sport)
    }

    /// Whether entry `e` passes (`ctnetlink_filter_match()`).
    pub fn matches(&self, e: &Entry<'_>) -> bool {
        if self.family != 0 && e.orig.l3.number() != self.family {
            return false;
        }
        if self.zone.is_some_and(|z| z != e.zone) {
            return false;
        }
        if self.orig_flags != 0 && !Self::tuple_matches(&self.orig, e.orig, self.orig_flags) {
            return false;
        }
        if self.reply_flags != 0 && !Self::tuple_matches(&self.reply, e.reply, self.reply_flags) {
            return false;
        }
        e.mark & self.mark.mask == self.mark.val && e.status & self.status.mask == self.status.val
    }
}

/// One entry named by a get, delete or update request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// The tuple given, in the direction given.
    pub tuple: Tuple,
    /// Zone (`CTA_ZONE`, or the tuple's zone).
    pub zone: u16,
    /// `CTA_ID`, if given.
    pub id: Option<u32>,
}

/// The entry a request names by `CTA_TUPLE_ORIG` (or else
/// `CTA_TUPLE_REPLY`), or `None` if it names none.
pub fn parse_query(family: u8, a: &Attrs<'_>) -> Result<Option<Query>, i32> {
    let mut zone = match a[cta::ZONE as usize] {
        Some(z) => be16(z).ok_or(EINVAL)?,
        None => 0,
    };
    let Some(nest) = a[cta::TUPLE_ORIG as usize].or(a[cta::TUPLE_REPLY as usize]) else {
        return Ok(None);
    };
    let p = parse_tuple(nest, family, filter_flag::ALL)?;
    if let Some(z) = p.zone {
        // ctnetlink_parse_tuple_zone(): a zone given twice is an error.
        if zone != 0 {
            return Err(EINVAL);
        }
        zone = z;
    }
    let id = match a[cta::ID as usize] {
        Some(i) => Some(be32(i).ok_or(EINVAL)?),
        None => None,
    };
    Ok(Some(Query {
        tuple: p.tuple,
        zone,
        id,
    }))
}

/// Changes an update request (`IPCTNL_MSG_CT_NEW` on an existing entry)
/// asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// New timeout, seconds.
    pub timeout: Option<u32>,
    /// New mark: `(mark & !mask) ^ val`.
    pub mark: Option<Masked>,
    /// Requested status (see [`status_change`]).
    pub status: Option<u32>,
    /// TCP changes (`CTA_PROTOINFO_TCP`), applied to TCP entries only.
    pub tcp: Option<TcpChange>,
}

/// Changes to an entry's TCP tracking (`nlattr_to_tcp()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpChange {
    /// New state (below 10, `TCP_CONNTRACK_MAX`).
    pub state: Option<u8>,
    /// Per direction: `(flags, mask)`: the masked tracking flags are replaced.
    pub flags: [Option<(u8, u8)>; 2],
    /// Both directions' window scale; applied only if both sides had
    /// announced window scaling.
    pub wscale: Option<[u8; 2]>,
}

impl TcpChange {
    /// Applies the change to a connection's TCP tracking (`nlattr_to_tcp()`).
    pub fn apply(&self, tc: &mut TcpConn) {
        if let Some(st) = self.state {
            tc.state = TcpState::from_raw(st);
        }
        for (seen, f) in tc.seen.iter_mut().zip(self.flags) {
            if let Some((flags, mask)) = f {
                seen.flags = seen.flags & !mask | flags & mask;
            }
        }
        if let Some(ws) = self.wscale {
            if tc.seen.iter().all(|s| s.flags & tflag::WINDOW_SCALE != 0) {
                for (seen, w) in tc.seen.iter_mut().zip(ws) {
                    seen.td_scale = w;
                }
            }
        }
    }
}

const PROTOINFO_POLICY: [Policy; 4] = [Policy::Any, Policy::Nested, Policy::Nested, Policy::Nested];
const TCP_INFO_POLICY: [Policy; 6] = [
    Policy::Any,
    Policy::U8,
    Policy::U8,
    Policy::U8,
    Policy::MinLen(2),
    Policy::MinLen(2),
];

/// Parses `CTA_PROTOINFO` (`ctnetlink_change_protoinfo()` with TCP's
/// `nlattr_to_tcp()`): `None` without TCP details.
fn parse_tcp_change(nest: &[u8]) -> Result<Option<TcpChange>, i32> {
    let pb = parse_checked::<4>(nest, &PROTOINFO_POLICY)?;
    let Some(tcp) = pb[cta::PROTOINFO_TCP as usize] else {
        return Ok(None);
    };
    let tb = parse_checked::<6>(tcp, &TCP_INFO_POLICY)?;
    let mut c = TcpChange::default();
    if let Some(st) = tb[cta::PROTOINFO_TCP_STATE as usize].and_then(u8_of) {
        if st >= 10 {
            return Err(EINVAL);
        }
        c.state = Some(st);
    }
    for (i, ty) in [
        cta::PROTOINFO_TCP_FLAGS_ORIGINAL,
        cta::PROTOINFO_TCP_FLAGS_REPLY,
    ]
    .into_iter()
    .enumerate()
    {
        if let Some([f, m]) = tb[ty as usize]
            .and_then(|p| p.get(..2))
            .map(|p| [p[0], p[1]])
        {
            if let Some(slot) = c.flags.get_mut(i) {
                *slot = Some((f, m));
            }
        }
    }
    if let (Some(o), Some(r)) = (
        tb[cta::PROTOINFO_TCP_WSCALE_ORIGINAL as usize].and_then(u8_of),
        tb[cta::PROTOINFO_TCP_WSCALE_REPLY as usize].and_then(u8_of),
    ) {
        c.wscale = Some([o, r]);
    }
    Ok(Some(c))
}

/// Status bits userspace may not change (nf's `IPS_UNCHANGEABLE_MASK`:
/// expected, confirmed, NAT and NAT-done, sequence adjust, dying,
/// template, untracked, offload, hardware offload).
const UNCHANGEABLE: u32 = 0xdbf9;
/// Bits whose change `nf_ct_change_status_common()` refuses outright.
const FIXED: u32 = 0x1 | 0x8 | 0x200;
/// `IPS_SEEN_REPLY`, `IPS_ASSURED`: can be set, never cleared.
const SET_ONLY: u32 = 0x2 | 0x4;

/// The status bits an update sets on an entry whose status is `cur`
/// (`nf_ct_change_status_common()`): `EBUSY` if it would change a fixed
/// bit or clear a set-only one.
pub fn status_change(cur: u32, req: u32) -> Result<u32, i32> {
    let d = cur ^ req;
    if d & FIXED != 0 || d & SET_ONLY & !req != 0 {
        return Err(nlattr::EBUSY);
    }
    Ok(req & !UNCHANGEABLE)
}

/// Parses the changes of an update (`ctnetlink_change_conntrack()`):
/// NAT and master are refused as by nf for existing entries, and helper,
/// sequence adjustment, synproxy and labels, which rct does not keep, with
/// `EOPNOTSUPP`.
pub fn parse_change(a: &Attrs<'_>) -> Result<Change, i32> {
    for ty in [
        cta::NAT_SRC,
        cta::NAT_DST,
        cta::TUPLE_MASTER,
        cta::HELP,
        cta::SEQ_ADJ_ORIG,
        cta::SEQ_ADJ_REPLY,
        cta::SYNPROXY,
        cta::LABELS,
    ] {
        if a[ty as usize].is_some() {
            return Err(EOPNOTSUPP);
        }
    }
    let mut c = Change::default();
    if let Some(t) = a[cta::TIMEOUT as usize] {
        c.timeout = Some(be32(t).ok_or(EINVAL)?);
    }
    if let Some(m) = a[cta::MARK as usize] {
        let val = be32(m).ok_or(EINVAL)?;
        let mask = match a[cta::MARK_MASK as usize] {
            Some(mm) => !be32(mm).ok_or(EINVAL)?,
            None => 0,
        };
        c.mark = Some(Masked { val, mask });
    }
    if let Some(s) = a[cta::STATUS as usize] {
        c.status = Some(be32(s).ok_or(EINVAL)?);
    }
    if let Some(p) = a[cta::PROTOINFO as usize] {
        c.tcp = parse_tcp_change(p)?;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::nlattr::parse;
    use super::*;

    fn udp() -> Tuple {
        let mut t = Tuple {
            l3: L3::V4,
            proto: ipproto::UDP,
            sport: 5000,
            dport: 53,
            ..Tuple::default()
        };
        t.src[..4].copy_from_slice(&[192, 0, 2, 1]);
        t.dst[..4].copy_from_slice(&[192, 0, 2, 2]);
        t
    }

    fn entry<'a>(o: &'a Tuple, r: &'a Tuple) -> Entry<'a> {
        Entry {
            orig: o,
            reply: r,
            zone: 0,
            status: 8,
            mark: 0,
            id: 42,
            use_count: 1,
            timeout: 30,
            tcp: None,
            counters: None,
        }
    }

    #[test]
    fn filter_nest_is_parsed_strictly() {
        // CTA_FILTER as the kernel's `nla_parse_nested()` takes it.
        fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
            let mut v = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
            v.extend_from_slice(&ty.to_ne_bytes());
            v.extend_from_slice(payload);
            v.resize(v.len().div_ceil(4) * 4, 0);
            v
        }
        let flags = |f: u32| attr(cta::FILTER_ORIG_FLAGS, &f.to_ne_bytes());
        let nested = nlattr::NLA_F_NESTED;
        let parse = |top: Vec<u8>| {
            Filter::parse(2, &parse_attrs(&top).unwrap(), &top).map(|f| f.orig_flags)
        };
        assert_eq!(parse(attr(cta::FILTER | nested, &flags(0))), Ok(0));
        assert_eq!(parse(attr(cta::FILTER | nested, &[])), Ok(0));
        // The outer attribute without NLA_F_NESTED.
        assert_eq!(parse(attr(cta::FILTER, &flags(0))), Err(EINVAL));
        // An unknown inner type, type 0, a u32 of 8 bytes or of 2, a flag
        // word marked nested, bytes left over.
        assert_eq!(
            parse(attr(cta::FILTER | nested, &attr(3, &[0; 4]))),
            Err(EINVAL)
        );
        assert_eq!(
            parse(attr(cta::FILTER | nested, &attr(0, &[0; 4]))),
            Err(EINVAL)
        );
        assert_eq!(
            parse(attr(
                cta::FILTER | nested,
                &attr(cta::FILTER_ORIG_FLAGS, &[0; 8])
            )),
            Err(EINVAL)
        );
        assert_eq!(
            parse(attr(
                cta::FILTER | nested,
                &attr(cta::FILTER_REPLY_FLAGS, &[0; 2])
            )),
            Err(EINVAL)
        );
        assert_eq!(
            parse(attr(
                cta::FILTER | nested,
                &attr(cta::FILTER_ORIG_FLAGS | nested, &[0; 4])
            )),
            Err(EINVAL)
        );
        let mut left = flags(0);
        left.extend_from_slice(&[1, 2]);
        assert_eq!(parse(attr(cta::FILTER | nested, &left)), Err(EINVAL));
        // The last CTA_FILTER counts, as in the kernel's attribute table.
        let mut two = attr(cta::FILTER, &flags(0));
        two.extend(attr(cta::FILTER | nested, &flags(0)));
        assert_eq!(parse(two), Ok(0));
    }

    #[test]
    fn entry_round_trips_through_the_query_parser() {
        let o = udp();
        let r = o.invert().unwrap();
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        let h = MsgHeader {
            ty: entry_type(msg::NEW),
            family: 2,
            ..MsgHeader::default()
        };
        assert!(write_entry(&mut w, &h, &entry(&o, &r), Kind::Info));
        let n = w.finish().unwrap();
        let a = parse_attrs(&buf[20..n]).unwrap();
        assert_eq!(be32(a[cta::TIMEOUT as usize].unwrap()), Some(30));
        assert_eq!(be32(a[cta::ID as usize].unwrap()), Some(42));
        assert!(a[cta::ZONE as usize].is_none());
        let q = parse_query(2, &a).unwrap().unwrap();
        assert_eq!(q.tuple, o);
        assert_eq!(q.id, Some(42));
        let f = Filter::parse(2, &a, &buf[20..n]).unwrap();
        // The entry's own status (8) as filter: it matches itself.
        assert!(f.matches(&entry(&o, &r)));
    }

    #[test]
    fn too_small_buffer_keeps_nothing() {
        let o = udp();
        let r = o.invert().unwrap();
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        assert!(!write_entry(
            &mut w,
            &MsgHeader::default(),
            &entry(&o, &r),
            Kind::Info
        ));
        assert_eq!(w.len(), 0);
    }

    fn tuple_nest(
        w: &mut Writer<'_>,
        ty: u16,
        dst: Option<[u8; 4]>,
        proto: Option<u8>,
        dport: Option<u16>,
    ) {
        let n = w.nest_start(ty);
        let ip = w.nest_start(cta::TUPLE_IP);
        if let Some(d) = dst {
            w.put(cta::IP_V4_DST, &d);
        }
        w.nest_end(ip);
        let p = w.nest_start(cta::TUPLE_PROTO);
        if let Some(pr) = proto {
            w.put_u8(cta::PROTO_NUM, pr);
        }
        if let Some(d) = dport {
            w.put_be16(cta::PROTO_DST_PORT, d);
        }
        w.nest_end(p);
        w.nest_end(n);
    }

    #[test]
    fn filter_by_destination_and_protocol() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        tuple_nest(
            &mut w,
            cta::TUPLE_ORIG,
            Some([192, 0, 2, 2]),
            Some(ipproto::UDP),
            Some(53),
        );
        let f = w.nest_start(cta::FILTER);
        w.put(
            cta::FILTER_ORIG_FLAGS,
            &(filter_flag::IP_DST | filter_flag::PROTO_NUM).to_ne_bytes(),
        );
        w.nest_end(f);
        let n = w.finish().unwrap();
        let a = parse_attrs(&buf[..n]).unwrap();
        let f = Filter::parse(2, &a, &buf[..n]).unwrap();
        let o = udp();
        let r = o.invert().unwrap();
        assert!(f.matches(&entry(&o, &r)));
        let mut other = o;
        other.dst[3] = 9;
        let r2 = other.invert().unwrap();
        assert!(!f.matches(&entry(&other, &r2)));
        let mut tcp = o;
        tcp.proto = ipproto::TCP;
        let r3 = tcp.invert().unwrap();
        assert!(!f.matches(&entry(&tcp, &r3)));
        // Family 10 filter does not match an IPv4 entry.
        let f6 = Filter {
            family: 10,
            ..Filter::default()
        };
        assert!(!f6.matches(&entry(&o, &r)));
    }

    #[test]
    fn malformed_requests_get_ctnetlinks_errors() {
        let mut buf = [0u8; 256];
        // Exact tuple without ports: EINVAL.
        let mut w = Writer::new(&mut buf);
        tuple_nest(
            &mut w,
            cta::TUPLE_ORIG,
            Some([192, 0, 2, 2]),
            Some(ipproto::UDP),
            Some(53),
        );
        let n = w.finish().unwrap();
        let a = parse_attrs(&buf[..n]).unwrap();
        assert_eq!(parse_query(2, &a), Err(EINVAL));
        // Unknown family: EOPNOTSUPP.
        assert_eq!(parse_query(7, &a), Err(EOPNOTSUPP));
        // Mark mask without mark, status mask without status: EINVAL.
        let mut w = Writer::new(&mut buf);
        w.put_be32(cta::MARK_MASK, 1);
        let n = w.finish().unwrap();
        assert_eq!(
            Filter::parse(0, &parse_attrs(&buf[..n]).unwrap(), &buf[..n]),
            Err(EINVAL)
        );
        // Short CTA_MARK: ERANGE from the policy.
        let mut w = Writer::new(&mut buf);
        w.put(cta::MARK, &[1, 2]);
        let n = w.finish().unwrap();
        assert_eq!(parse_attrs(&buf[..n]), Err(nlattr::ERANGE));
        // Filter flag beyond the known ones: EINVAL.
        let mut w = Writer::new(&mut buf);
        let f = w.nest_start(cta::FILTER);
        w.put(cta::FILTER_ORIG_FLAGS, &(1u32 << 20).to_ne_bytes());
        w.nest_end(f);
        let n = w.finish().unwrap();
        assert_eq!(
            Filter::parse(2, &parse_attrs(&buf[..n]).unwrap(), &buf[..n]),
            Err(EINVAL)
        );
        // ICMP with a type nf does not track: EINVAL.
        let mut w = Writer::new(&mut buf);
        let t = w.nest_start(cta::TUPLE_ORIG);
        let ip = w.nest_start(cta::TUPLE_IP);
        w.put(cta::IP_V4_SRC, &[1, 2, 3, 4]);
        w.put(cta::IP_V4_DST, &[1, 2, 3, 5]);
        w.nest_end(ip);
        let p = w.nest_start(cta::TUPLE_PROTO);
        w.put_u8(cta::PROTO_NUM, ipproto::ICMP);
        w.put_u8(cta::PROTO_ICMP_TYPE, 3);
        w.put_u8(cta::PROTO_ICMP_CODE, 0);
        w.put_be16(cta::PROTO_ICMP_ID, 1);
        w.nest_end(p);
        w.nest_end(t);
        let n = w.finish().unwrap();
        assert_eq!(
            parse_query(2, &parse_attrs(&buf[..n]).unwrap()),
            Err(EINVAL)
        );
        let _ = parse::<2>(&[]);
    }

    #[test]
    fn change_keeps_unchangeable_bits_out() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.put_be32(cta::STATUS, 0xffff_ffff);
        w.put_be32(cta::MARK, 5);
        w.put_be32(cta::MARK_MASK, 0xff);
        w.put_be32(cta::TIMEOUT, 100);
        let n = w.finish().unwrap();
        let c = parse_change(&parse_attrs(&buf[..n]).unwrap()).unwrap();
        assert_eq!(status_change(0x8, c.status.unwrap()), Err(nlattr::EBUSY));
        // Setting ASSURED on a confirmed entry: fine; clearing it: EBUSY.
        assert_eq!(status_change(0xa, 0xe), Ok(0x6));
        assert_eq!(status_change(0xe, 0xa), Err(nlattr::EBUSY));
        assert_eq!(
            c.mark,
            Some(Masked {
                val: 5,
                mask: !0xff
            })
        );
        assert_eq!(c.timeout, Some(100));
        assert_eq!(c.tcp, None);
    }

    #[test]
    fn tcp_protoinfo_round_trips() {
        let o = udp();
        let r = o.invert().unwrap();
        let mut e = entry(&o, &r);
        e.tcp = Some(TcpInfo {
            state: 3,
            wscale: [7, 6],
            flags: [1, 3],
        });
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        assert!(write_entry(&mut w, &MsgHeader::default(), &e, Kind::Info));
        let n = w.finish().unwrap();
        let c = parse_change(&parse_attrs(&buf[20..n]).unwrap())
            .unwrap()
            .tcp
            .unwrap();
        assert_eq!(c.state, Some(3));
        assert_eq!(c.wscale, Some([7, 6]));
        assert_eq!(c.flags, [Some((1, 0)), Some((3, 0))]);
        let mut tc = TcpConn::default();
        tc.seen[0].flags = tflag::WINDOW_SCALE;
        c.apply(&mut tc);
        assert_eq!(tc.state, TcpState::Established);
        // Flags with mask 0 change nothing; window scales need both sides' option.
        assert_eq!(tc.seen[0].flags, tflag::WINDOW_SCALE);
        assert_eq!([tc.seen[0].td_scale, tc.seen[1].td_scale], [0, 0]);
        tc.seen[1].flags = tflag::WINDOW_SCALE;
        c.apply(&mut tc);
        assert_eq!([tc.seen[0].td_scale, tc.seen[1].td_scale], [7, 6]);
        // State 10 and above: EINVAL.
        let mut w = Writer::new(&mut buf);
        let p = w.nest_start(cta::PROTOINFO);
        let t = w.nest_start(cta::PROTOINFO_TCP);
        w.put_u8(cta::PROTOINFO_TCP_STATE, 10);
        w.nest_end(t);
        w.nest_end(p);
        let n = w.finish().unwrap();
        assert_eq!(parse_change(&parse_attrs(&buf[..n]).unwrap()), Err(EINVAL));
    }
}
