// SPDX-License-Identifier: GPL-2.0

//! The conntrack hooks: where rct sees packets, and what it does there.
//!
//! Like nf_conntrack, rct looks entries up (or creates them) at PRE_ROUTING
//! and LOCAL_OUT at priority -200, and confirms new entries at LOCAL_IN and
//! POST_ROUTING at `INT_MAX`, after every filter has run. Packets that
//! arrive on a loopback device were already tracked by this namespace's
//! output hooks and are skipped (nf skips them because `skb->_nfct` is set).
//!
//! C reference: `ipv4_conntrack_ops[]` in net/netfilter/nf_conntrack_proto.c,
//! `nf_conntrack_in()` and `__nf_conntrack_confirm()` in nf_conntrack_core.c.

use crate::conn::Conn;
use crate::conntrack::Confirm;
use crate::events::{self, Event};
use crate::kext::net;
use crate::kext::netfilter::{priority, Family, Hook, HookSpec, HookState, Hooks, Verdict};
use crate::kext::rcu;
use crate::kext::skbuff::SkBuff;
use crate::kext::time::{self, HZ};
use crate::netns::NetCt;
use crate::conn::Conn as Entry;
use crate::proto::parse::{self, Packet, ParseError, Parsed};
use crate::proto::stat::Stat;
use crate::proto::tcp::{self, Outcome, Segment, TcpConn, TimeoutSource};
use crate::proto::track::{self, status, Dir};
use crate::proto::tuple::{ipproto, Tuple, L3};
use core::sync::atomic::Ordering::Relaxed;
use kernel::{pr_info, pr_warn};

const fn spec(family: Family, hook: Hook, priority: i32) -> HookSpec {
    HookSpec {
        family,
        hook,
        priority,
    }
}

/// The eight hooks rct registers in every namespace.
pub(crate) const CONNTRACK_HOOKS: [HookSpec; 8] = [
    spec(Family::Ipv4, Hook::PreRouting, priority::CONNTRACK),
    spec(Family::Ipv4, Hook::LocalOut, priority::CONNTRACK),
    spec(Family::Ipv4, Hook::LocalIn, priority::CONNTRACK_CONFIRM),
    spec(Family::Ipv4, Hook::PostRouting, priority::CONNTRACK_CONFIRM),
    spec(Family::Ipv6, Hook::PreRouting, priority::CONNTRACK),
    spec(Family::Ipv6, Hook::LocalOut, priority::CONNTRACK),
    spec(Family::Ipv6, Hook::LocalIn, priority::CONNTRACK_CONFIRM),
    spec(Family::Ipv6, Hook::PostRouting, priority::CONNTRACK_CONFIRM),
];

/// A packet seen from its network header, for the parser.
struct SkPacket<'a> {
    skb: &'a SkBuff,
    nh: usize,
    len: usize,
    /// The linear data from the network header on: reads inside it are a
    /// bounds-checked copy; reads past it go through `skb_header_pointer()`.
    lin: &'a [u8],
}

impl<'a> SkPacket<'a> {
    fn new(skb: &'a SkBuff, nh: usize) -> Self {
        let len = usize::try_from(skb.len()).unwrap_or(0).saturating_sub(nh);
        let lin = skb.linear().get(nh..).unwrap_or(&[]);
        Self { skb, nh, len, lin }
    }
}

impl Packet for SkPacket<'_> {
    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn read<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        if let Some(b) = off.checked_add(N).and_then(|end| self.lin.get(off..end)) {
            return b.try_into().ok();
        }
        self.skb.header::<N>(self.nh.checked_add(off)?)
    }
}

/// A fingerprint of the packet's network header that NAT, forwarding,
/// DSCP/ECN rewriting and payload-resizing helpers leave alone: IPv4
/// version/IHL, id and fragment field (bytes 0 and 4-7); IPv6 version, flow
/// label and next header.
fn fingerprint(skb: &SkBuff, family: Family) -> u64 {
    let Some(nh) = usize::try_from(skb.network_offset()).ok() else {
        return 0;
    };
    let Some(h) = skb.header::<8>(nh) else {
        return 0;
    };
    // Little-endian: byte 0 is the lowest.
    let mask = match family {
        Family::Ipv4 => 0xffff_ffff_0000_00ff,
        Family::Ipv6 => 0x00ff_0000_ffff_0ff0,
    };
    u64::from_le_bytes(h) & mask
}

impl Hooks for NetCt {
    fn hook(&self, st: &HookState, skb: &SkBuff) -> Verdict {
        let stats = &self.ns.stats;
        match st.hook {
            Hook::PreRouting => {
                stats.inc(Stat::PreRouting);
                self.conntrack_in(st, skb)
            }
            Hook::LocalOut => {
                stats.inc(Stat::LocalOut);
                self.conntrack_in(st, skb)
            }
            Hook::LocalIn => {
                stats.inc(Stat::LocalIn);
                self.confirm(st, skb)
            }
            Hook::PostRouting => {
                stats.inc(Stat::PostRouting);
                self.confirm(st, skb)
            }
            // Not registered (conntrack has no FORWARD hook).
            Hook::Forward => Verdict::Accept,
        }
    }
}

impl NetCt {
    /// Counts an invalid packet of IP protocol `proto` (0 if unknown) and
    /// logs it, rate-limited, if `net.rct.log_invalid` asks for it.
    fn invalid(&self, proto: u8, why: &str, t: Option<&Tuple>) {
        self.ns.stats.inc(Stat::Invalid);
        let want = self.log_invalid.load(Relaxed);
        if want == 0 || (want != 255 && want != i32::from(proto)) || !net::ratelimit() {
            return;
        }
        match t {
            Some(t) => pr_info!(
                "invalid packet: {} proto={} sport={} dport={}\n",
                why,
                proto,
                t.sport,
                t.dport
            ),
            None => pr_info!("invalid packet: {} proto={}\n", why, proto),
        }
    }

    /// Looks the packet's connection up, or creates an unconfirmed entry
    /// (`nf_conntrack_in()`).
    fn conntrack_in(&self, st: &HookState, skb: &SkBuff) -> Verdict {
        if st.from_loopback {
            return Verdict::Accept;
        }
        // An entry parked under this buffer address belongs to a packet that
        // was dropped before its confirm hook.
        self.table.forget(skb.id());
        let stats = &self.ns.stats;
        let Ok(nh) = usize::try_from(skb.network_offset()) else {
            self.invalid(0, "no network header", None);
            return Verdict::Accept;
        };
        let pkt = SkPacket::new(skb, nh);
        let l3 = match st.family {
            Family::Ipv4 => L3::V4,
            Family::Ipv6 => L3::V6,
        };
        let ns = self.ns.id();
        let now = time::jiffies32();
        let (tuple, l4) = match parse::parse(&pkt, l3) {
            Err(ParseError::Invalid) => {
                self.invalid(0, "malformed or truncated header", None);
                return Verdict::Accept;
            }
            Err(ParseError::Icmp) => {
                stats.inc(Stat::Error);
                return Verdict::Accept;
            }
            Ok(Parsed::Untracked) => return Verdict::Accept,
            Ok(Parsed::IcmpError { key, l4 }) => {
                if !self.checksum_ok(st, skb, nh, l4, key.proto_of_icmp()) {
                    stats.inc(Stat::Error);
                    return Verdict::Accept;
                }
                // RELATED to the quoted flow if rct tracks it; otherwise an
                // error nf counts as `icmp_error`. Either way no new entry.
                let g = rcu::read_lock();
                if self.table.find(&g, ns, &key, now).is_none() {
                    stats.inc(Stat::Error);
                }
                return Verdict::Accept;
            }
            Ok(Parsed::Track { tuple, l4 }) => (tuple, l4),
        };
        if !self.checksum_ok(st, skb, nh, l4, tuple.proto) {
            // nf: ICMP checksum errors count as `icmp_error`, the others as invalid.
            if tuple.is_icmp() {
                stats.inc(Stat::Error);
            } else {
                self.invalid(tuple.proto, "bad checksum", Some(&tuple));
            }
            return Verdict::Accept;
        }
        // TCP needs its whole header (nf's `tcp_error()`).
        let seg = if tuple.proto == ipproto::TCP {
            match tcp::parse_segment(&pkt, l4) {
                Some(s) => Some(s),
                None => {
                    self.invalid(tuple.proto, "truncated TCP header or bad flags", Some(&tuple));
                    return Verdict::Accept;
                }
            }
        } else {
            None
        };

        let hash = self.table.hash(ns, &tuple);
        let g = rcu::read_lock();
        if let Some((c, dir)) = self.table.find_hashed(&g, hash, ns, &tuple, now) {
            if let Some(seg) = &seg {
                if !self.tcp_packet(c, dir, seg, skb, now) {
                    return Verdict::Accept;
                }
                // A SYN reopening a closed connection: track it as new.
                drop(g);
                return self.new_entry(tuple, hash, Some(seg), skb, st.family, now);
            }
            match track::packet(&c.orig, c.status(), now, c.stream_at()) {
                Some(u) => {
                    c.refresh(now.wrapping_add(self.timeout_jiffies(u.timeout)));
                    let mut changed = u.assure && c.set_status_new(status::ASSURED);
                    c.account(dir, skb.len());
                    if dir == Dir::Reply {
                        changed |= c.set_status_new(status::SEEN_REPLY);
                    }
                    if changed {
                        events::report(&self.table, &self.ns, c, Event::Update { protoinfo: false, mark: false });
                    }
                }
                None => self.invalid(c.orig.proto, "not valid for this connection", Some(&tuple)),
            }
            return Verdict::Accept;
        }
        drop(g);
        self.new_entry(tuple, hash, seg.as_ref(), skb, st.family, now)
    }

    /// Whether the packet passes the checksum check nf makes on arrival
    /// (PRE_ROUTING, `net.rct.checksum`): TCP, UDP with a checksum,
    /// UDP-Lite, ICMP and ICMPv6. `nh` and `l4` locate the headers.
    fn checksum_ok(&self, st: &HookState, skb: &SkBuff, nh: usize, l4: usize, proto: u8) -> bool {
        if st.hook != Hook::PreRouting || self.checksum.load(Relaxed) == 0 {
            return true;
        }
        let Some(dataoff) = nh.checked_add(l4) else {
            return false;
        };
        let check = match proto {
            ipproto::TCP | ipproto::UDPLITE | ipproto::ICMP | ipproto::ICMPV6 => true,
            // A UDP checksum of 0 means "none" (IPv4).
            ipproto::UDP => dataoff
                .checked_add(6)
                .and_then(|o| skb.header::<2>(o))
                .is_some_and(|c| c != [0, 0]),
            _ => false,
        };
        !check || st.checksum_ok(skb, dataoff, proto)
    }

    /// Seconds to jiffies for a timeout value.
    fn jiffies(secs: u32) -> u32 {
        secs.saturating_mul(HZ)
    }

    /// Tracks a TCP segment of an existing entry (`nf_conntrack_tcp_packet()`).
    /// Returns `true` if the packet should instead start a new entry
    /// (the old one, closed, was killed).
    fn tcp_packet(&self, c: &Entry, dir: Dir, seg: &Segment, skb: &SkBuff, now: u32) -> bool {
        let st = tcp::Status {
            seen_reply: c.status() & status::SEEN_REPLY != 0,
            assured: c.status() & status::ASSURED != 0,
        };
        let expires = c.secs_left(now);
        let cfg = self.tcp_config();
        let before = c.tcp_state();
        let out = self.table.with_tcp(c, |tc| tcp::packet(tc, dir, seg, st, expires, &cfg, self));
        let protoinfo = c.tcp_state() != before;
        let reply = || dir == Dir::Reply && c.set_status_new(status::SEEN_REPLY);
        let update = |changed: bool| {
            if changed || protoinfo {
                events::report(&self.table, &self.ns, c, Event::Update { protoinfo, mark: false });
            }
        };
        match out {
            Outcome::Accept { timeout, assure } => {
                c.refresh(now.wrapping_add(Self::jiffies(self.timeout(timeout))));
                let mut changed = assure && c.set_status_new(status::ASSURED);
                c.account(dir, skb.len());
                changed |= reply();
                update(changed);
            }
            Outcome::Ignore => update(reply()),
            Outcome::Invalid(lower) => {
                self.invalid(c.orig.proto, "TCP segment outside the window or state", Some(&c.orig));
                if let Some(to) = lower {
                    c.refresh(now.wrapping_add(Self::jiffies(self.timeout(to))));
                }
            }
            Outcome::Kill => {
                c.account(dir, skb.len());
                self.table.kill(c);
            }
            Outcome::Reopen => {
                self.table.kill(c);
                return true;
            }
        }
        false
    }

    /// Creates and parks an unconfirmed entry for the first packet of a
    /// flow, whose tuple has hash `hash` ([`crate::conntrack::Table::hash`]).
    fn new_entry(&self, tuple: Tuple, hash: u64, seg: Option<&Segment>, skb: &SkBuff, family: Family, now: u32) -> Verdict {
        // A protocol that cannot answer this packet (an ICMP reply without
        // its request) or a TCP segment that cannot open a connection
        // starts nothing.
        let start = match seg {
            Some(seg) => self.tcp_new(seg),
            None => track::packet(&tuple, 0, now, now.wrapping_add(2 * HZ))
                .map(|u| (self.timeout_jiffies(u.timeout), TcpConn::default())),
        };
        let (Some(_), Some((timeout, tc))) = (tuple.invert(), start) else {
            self.invalid(tuple.proto, "cannot start a connection", Some(&tuple));
            return Verdict::Accept;
        };
        if !self.admit(&tuple) {
            return Verdict::Drop;
        }
        let deadline = now.wrapping_add(timeout);
        let acct = self.acct.load(Relaxed) != 0;
        let conn = Conn::new(tuple, self.ns.id(), now, deadline, acct, tc);
        let Some(c) = self.table.alloc(conn) else {
            self.unadmit();
            return Verdict::Drop;
        };
        // SAFETY: Just allocated; nobody else knows the entry yet.
        unsafe { c.as_ref() }.account(Dir::Original, skb.len());
        self.table.park(skb.id(), fingerprint(skb, family), hash, c);
        Verdict::Accept
    }

    /// Counts a new entry for `t` against `net.rct.max` (nf's
    /// `__nf_conntrack_alloc()`): evicts an unassured entry near it when
    /// the table is full; `false` (counted as a drop and logged,
    /// rate-limited) when there is no room.
    pub(crate) fn admit(&self, t: &Tuple) -> bool {
        let stats = &self.ns.stats;
        // Reserve the slot first, as nf does (`atomic_inc_return()`), so
        // CPUs racing for the last slot cannot both take it. 0: no limit.
        let max = self.table.max.load(Relaxed);
        let count = self.ns.count.fetch_add(1, Relaxed).saturating_add(1);
        if max > 0 && count > max - max / 8 {
            self.table.set_pressure();
        }
        if max > 0 && count > max {
            let evicted = self.table.early_drop(self.ns.id(), t);
            if evicted {
                stats.inc(Stat::EarlyDrop);
            }
            // Already above the limit before this entry (max was lowered
            // below the count): evict without admitting, so the count
            // drains to max under load instead of staying where it was.
            if !evicted || count > max.saturating_add(1) {
                self.ns.count.fetch_sub(1, Relaxed);
                stats.inc(Stat::Drop);
                if net::ratelimit() {
                    pr_warn!("table full, dropping packet\n");
                }
                return false;
            }
        }
        true
    }

    /// Gives back what [`NetCt::admit`] counted, for an entry that could
    /// not be allocated (counted as a drop).
    pub(crate) fn unadmit(&self) {
        self.ns.count.fetch_sub(1, Relaxed);
        self.ns.stats.inc(Stat::Drop);
    }

    /// The TCP state and timeout (jiffies) of a connection starting with
    /// `seg` (`tcp_new()` then the first `nf_conntrack_tcp_packet()`).
    fn tcp_new(&self, seg: &Segment) -> Option<(u32, TcpConn)> {
        let cfg = self.tcp_config();
        let mut tc = tcp::new_conn(seg, &cfg)?;
        match tcp::packet(&mut tc, Dir::Original, seg, tcp::Status::default(), 0, &cfg, self) {
            Outcome::Accept { timeout, .. } => Some((Self::jiffies(self.timeout(timeout)), tc)),
            _ => None,
        }
    }

    /// Confirms the entry the packet created, if it created one
    /// (`__nf_conntrack_confirm()`).
    fn confirm(&self, st: &HookState, skb: &SkBuff) -> Verdict {
        if st.from_loopback {
            return Verdict::Accept;
        }
        let fp = || fingerprint(skb, st.family);
        let Some((c, hash)) = self.table.unpark(skb.id(), fp, self.ns.id()) else {
            return Verdict::Accept;
        };
        let stats = &self.ns.stats;
        match self.table.confirm(c, hash, time::jiffies32()) {
            Confirm::Inserted => {
                stats.inc(Stat::Insert);
                // SAFETY: Hooks run inside an RCU read-side section (the
                // caller's `nf_hook()`), in which `c` was just linked.
                let e = unsafe { c.as_ref() };
                events::report(&self.table, &self.ns, e, Event::New { mark: false });
            }
            Confirm::Clash => stats.inc(Stat::ClashResolve),
            Confirm::Failed => {
                stats.inc(Stat::InsertFailed);
                stats.inc(Stat::Drop);
                return Verdict::Drop;
            }
            Confirm::ChainTooLong => {
                stats.inc(Stat::ChainTooLong);
                stats.inc(Stat::InsertFailed);
                return Verdict::Drop;
            }
        }
        Verdict::Accept
    }
}
