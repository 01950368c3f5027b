// SPDX-License-Identifier: GPL-2.0

//! The conntrack hook set: where rct sees packets, per family.
//!
//! Like nf_conntrack, rct looks entries up (or creates them) at PRE_ROUTING
//! and LOCAL_OUT at priority -200, and confirms them at LOCAL_IN and
//! POST_ROUTING at `INT_MAX`, after every filter has run.
//!
//! C reference: `ipv4_conntrack_ops[]` / `ipv6_conntrack_ops[]` in
//! net/netfilter/nf_conntrack_proto.c.

use crate::kext::netfilter::{priority, Family, Hook, HookSpec, Hooks, Verdict};
use crate::kext::skbuff::SkBuff;
use crate::netns::NetCt;
use crate::proto::stat::Stat;

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

impl Hooks for NetCt {
    fn hook(&self, hook: Hook, _family: Family, _skb: &SkBuff) -> Verdict {
        let stat = match hook {
            Hook::PreRouting => Stat::PreRouting,
            Hook::LocalIn => Stat::LocalIn,
            Hook::LocalOut => Stat::LocalOut,
            Hook::PostRouting => Stat::PostRouting,
            // Not registered (conntrack has no FORWARD hook).
            Hook::Forward => return Verdict::Accept,
        };
        self.stats.inc(stat);
        Verdict::Accept
    }
}
