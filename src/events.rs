// SPDX-License-Identifier: GPL-2.0

//! Conntrack events: `conntrack -E` and other ctnetlink listeners see
//! rct's entries appear (`NEW`), change (`UPDATE`: first reply, assured,
//! TCP state) and go (`DESTROY`: expired, deleted, flushed, evicted).
//!
//! An event costs nothing beyond two flag tests when nobody listens: the
//! message is only built if rct serves ctnetlink, the namespace is not
//! going away, and a socket of the namespace listens to the event's group
//! (a bitmap test in netlink). Messages are allocated atomically and
//! dropped when memory is short, as nf's.
//!
//! C reference: `ctnetlink_conntrack_event()` in
//! net/netfilter/nf_conntrack_netlink.c, nf_conntrack_ecache.c.

use crate::conn::Conn;
use crate::conntrack::{Ns, Table};
use crate::ctnetlink::with_entry;
use crate::kext::net::Net;
use crate::kext::nfnetlink;
use crate::kext::time;
use crate::proto::ctnl::{self, group, msg, Kind};
use crate::proto::nlattr::{flags, MsgHeader, Writer};
use core::sync::atomic::Ordering::Relaxed;

/// What happened to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Confirmed into the table; `mark`: created by a ctnetlink request,
    /// which reports the mark even when 0, as nf's
    /// `ctnetlink_new_conntrack()` does (`IPCT_MARK`).
    New {
        /// Report the mark even when it is 0.
        mark: bool,
    },
    /// Changed; `protoinfo`: its TCP state changed.
    Update {
        /// The TCP state changed (the message carries it).
        protoinfo: bool,
        /// Changed by a ctnetlink request, which reports the mark as
        /// changed, as nf's `ctnetlink_change_conntrack()` does.
        mark: bool,
    },
    /// Removed from the table.
    Destroy,
}

/// Room for one event message (the largest, IPv6 TCP with counters, is
/// about 300 bytes).
const EVENT_SIZE: usize = 512;

/// Reports `ev` on `c` to the listeners of `ns`'s namespace. Any context;
/// call inside the RCU read-side section in which `c` was found or while
/// it is parked, like every use of its [`Ns`].
pub(crate) fn report(table: &Table, ns: &Ns, c: &Conn, ev: Event) {
    if !crate::CTNETLINK.load(Relaxed) || !ns.events.load(Relaxed) {
        return;
    }
    let (grp, ty, fl, kind) = match ev {
        Event::New { mark } => (group::NEW, msg::NEW, flags::CREATE | flags::EXCL, Kind::Event { mark }),
        Event::Update { mark, .. } => (group::UPDATE, msg::NEW, 0, Kind::Event { mark }),
        Event::Destroy => (group::DESTROY, msg::DELETE, 0, Kind::Destroy),
    };
    // SAFETY: `ns.net` is the namespace that owns `ns`, alive while `ns`
    // is (the caller's contract and `Ns`'s lifetime rule); `events` is
    // cleared before the namespace's teardown starts.
    let net = unsafe { Net::from_addr(ns.net) };
    if !nfnetlink::has_listeners(net, grp) {
        return;
    }
    let protoinfo = match ev {
        Event::New { .. } | Event::Destroy => true,
        Event::Update { protoinfo, .. } => protoinfo,
    };
    let now = time::jiffies32();
    // Errors are messages lost to memory pressure, as nf's (listeners see
    // ENOBUFS on their socket when their queue overflows).
    let _ = nfnetlink::multicast(net, grp, EVENT_SIZE, |buf| {
        let mut w = Writer::new(buf);
        let h = MsgHeader {
            ty: ctnl::entry_type(ty),
            flags: fl,
            family: c.orig.l3.number(),
            ..MsgHeader::default()
        };
        with_entry(table, c, now, false, |e| {
            let mut e = *e;
            if !protoinfo {
                e.tcp = None;
            }
            if ev != Event::Destroy {
                e.counters = None;
            }
            ctnl::write_entry(&mut w, &h, &e, kind)
        })?
        .then_some(())?;
        w.finish()
    });
}
