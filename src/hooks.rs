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
use crate::kext::net;
use crate::kext::netfilter::{priority, Family, Hook, HookSpec, HookState, Hooks, Verdict};
use crate::kext::rcu;
use crate::kext::skbuff::SkBuff;
use crate::kext::time::{self, HZ};
use crate::netns::NetCt;
use crate::proto::parse::{self, Packet, ParseError, Parsed};
use crate::proto::stat::Stat;
use crate::proto::track::{self, status, Dir};
use crate::proto::tuple::{Tuple, L3};
use core::sync::atomic::Ordering::Relaxed;
use kernel::pr_warn;

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
}

impl Packet for SkPacket<'_> {
    fn len(&self) -> usize {
        self.len
    }

    fn read<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        self.skb.header::<N>(self.nh.checked_add(off)?)
    }
}

/// A fingerprint of the packet's network header that NAT and forwarding
/// leave alone: IPv4 version to fragment offset (bytes 0-7: length, id),
/// IPv6 version to next header (bytes 0-6: flow label, payload length).
fn fingerprint(skb: &SkBuff, family: Family) -> u64 {
    let Some(nh) = usize::try_from(skb.network_offset()).ok() else {
        return 0;
    };
    let Some(h) = skb.header::<8>(nh) else {
        return 0;
    };
    let mask = match family {
        Family::Ipv4 => u64::MAX,
        Family::Ipv6 => !(0xff << 56),
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
            stats.inc(Stat::Invalid);
            return Verdict::Accept;
        };
        let len = usize::try_from(skb.len()).unwrap_or(0).saturating_sub(nh);
        let pkt = SkPacket { skb, nh, len };
        let l3 = match st.family {
            Family::Ipv4 => L3::V4,
            Family::Ipv6 => L3::V6,
        };
        let ns = self.ns.id();
        let now = time::jiffies32();
        let tuple = match parse::parse(&pkt, l3) {
            Err(ParseError::Invalid) => {
                stats.inc(Stat::Invalid);
                return Verdict::Accept;
            }
            Err(ParseError::Icmp) => {
                stats.inc(Stat::Error);
                return Verdict::Accept;
            }
            Ok(Parsed::Untracked) => return Verdict::Accept,
            Ok(Parsed::IcmpError { key }) => {
                // RELATED to the quoted flow if rct tracks it; otherwise an
                // error nf counts as `icmp_error`. Either way no new entry.
                let g = rcu::read_lock();
                if self.table.find(&g, ns, &key, now).is_none() {
                    stats.inc(Stat::Error);
                }
                return Verdict::Accept;
            }
            Ok(Parsed::Track { tuple }) => tuple,
        };

        let g = rcu::read_lock();
        if let Some((c, dir)) = self.table.find(&g, ns, &tuple, now) {
            match track::packet(&c.orig, c.status(), now, c.stream_at) {
                Some(u) => {
                    c.refresh(now.wrapping_add(self.timeout_jiffies(u.timeout)));
                    if u.assure {
                        c.set_status(status::ASSURED);
                    }
                    c.account(dir, skb.len());
                    if dir == Dir::Reply {
                        c.set_status(status::SEEN_REPLY);
                    }
                }
                None => stats.inc(Stat::Invalid),
            }
            return Verdict::Accept;
        }
        drop(g);
        self.new_entry(tuple, skb, st.family, now)
    }

    /// Creates and parks an unconfirmed entry for the first packet of a flow.
    fn new_entry(&self, tuple: Tuple, skb: &SkBuff, family: Family, now: u32) -> Verdict {
        let stats = &self.ns.stats;
        // A protocol that cannot answer this packet (an ICMP reply without
        // its request) starts no connection.
        let (Some(_), Some(u)) = (tuple.invert(), track::packet(&tuple, 0, now, now)) else {
            stats.inc(Stat::Invalid);
            return Verdict::Accept;
        };
        let max = self.max.load(Relaxed);
        let count = self.ns.count.load(Relaxed);
        if count >= max - max / 8 {
            self.table.set_pressure();
        }
        if count >= max {
            if self.table.early_drop(self.ns.id(), &tuple) {
                stats.inc(Stat::EarlyDrop);
            } else {
                stats.inc(Stat::Drop);
                if net::ratelimit() {
                    pr_warn!("table full, dropping packet\n");
                }
                return Verdict::Drop;
            }
        }
        let deadline = now.wrapping_add(self.timeout_jiffies(u.timeout));
        let acct = self.acct.load(Relaxed) != 0;
        let conn = Conn::new(tuple, self.ns.id(), now, deadline, now.wrapping_add(2 * HZ), acct);
        let Some(c) = self.table.alloc(conn) else {
            stats.inc(Stat::Drop);
            return Verdict::Drop;
        };
        self.ns.count.fetch_add(1, Relaxed);
        // SAFETY: Just allocated; nobody else knows the entry yet.
        unsafe { c.as_ref() }.account(Dir::Original, skb.len());
        self.table.park(skb.id(), fingerprint(skb, family), c);
        Verdict::Accept
    }

    /// Confirms the entry the packet created, if it created one
    /// (`__nf_conntrack_confirm()`).
    fn confirm(&self, st: &HookState, skb: &SkBuff) -> Verdict {
        if st.from_loopback {
            return Verdict::Accept;
        }
        let fp = || fingerprint(skb, st.family);
        let Some(c) = self.table.unpark(skb.id(), fp, self.ns.id()) else {
            return Verdict::Accept;
        };
        let stats = &self.ns.stats;
        match self.table.confirm(c, time::jiffies32()) {
            Confirm::Inserted => stats.inc(Stat::Insert),
            Confirm::Clash => stats.inc(Stat::ClashResolve),
            Confirm::Failed => {
                stats.inc(Stat::InsertFailed);
                stats.inc(Stat::Drop);
                return Verdict::Drop;
            }
        }
        Verdict::Accept
    }
}
