// SPDX-License-Identifier: GPL-2.0

//! ctnetlink for rct's table: `conntrack -L/-G/-D/-F/-U/-C/-S` and
//! libraries speaking ctnetlink (kube-proxy, conntrackd) work on rct's
//! entries unchanged.
//!
//! rct registers the ctnetlink nfnetlink subsystem at load if nobody has
//! it (nf_conntrack_netlink not loaded); otherwise it logs one line and
//! runs without it (`net.rct.ctnetlink` reads 0). Requests run in process
//! context under nfnetlink's subsystem mutex; nfnetlink already refuses
//! senders without `CAP_NET_ADMIN` over the namespace (`EPERM`).
//!
//! - Get: a dump walks the table bucket by bucket under short RCU
//!   sections, resuming after the last entry sent (by id, as nf); a single
//!   get looks the tuple up.
//! - Delete: by tuple (and id); without a tuple, a flush of the entries
//!   that match the request's filter (mark, status, zone, `CTA_FILTER`
//!   tuple parts), one bucket at a time, taking only the two chain locks
//!   of each entry it kills.
//! - New (`IPCTNL_MSG_CT_NEW`): on an existing entry an update of
//!   timeout, mark, status and TCP state; with `NLM_F_CREATE` and no such
//!   entry, a new confirmed entry (`conntrack -I`, conntrackd).
//!
//! The message formats are in [`crate::proto::ctnl`] (host-tested).
//!
//! C reference: net/netfilter/nf_conntrack_netlink.c.

use crate::conn::Conn;
use crate::conntrack::{Confirm, Table};
use crate::events::{self, Event};
use crate::kext::net::{Net, PernetRegistration};
use crate::kext::nfnetlink::{Dump, DumpRequest, Request, Subsystem};
use crate::kext::percpu;
use crate::kext::rcu;
use crate::kext::sched;
use crate::kext::time::{self, HZ};
use crate::netns::{NetCt, Rct};
use crate::proto::ctnl::{self, msg, Entry, Filter, Kind, TcpInfo};
use crate::proto::ctnl_exp;
use crate::proto::nlattr::{self, flags, MsgHeader, Writer};
use crate::proto::stat::Stat;
use crate::proto::tcp::TcpConn;
use crate::proto::track;
use crate::proto::tuple::ipproto;
use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::*;
use kernel::str::CStr;

/// rct's ctnetlink subsystem.
pub(crate) struct Ctnetlink;

/// Buffer size of single replies (`NLMSG_DEFAULT_SIZE` on 4 KiB pages).
const REPLY_SIZE: usize = 3776;

fn err(e: i32) -> Error {
    Error::from_errno(-e)
}

/// The conntrack data of `net`.
fn netct(net: &Net) -> Result<&NetCt> {
    // SAFETY: rct's pernet subsystem stays registered while ctnetlink is
    // (`RctModule` drops the ctnetlink registration first), and callers
    // come from a request or dump whose user socket holds the namespace.
    let st = unsafe { PernetRegistration::<Rct>::state_of(net) }.ok_or(ENOENT)?;
    Ok(st.ct())
}

/// Runs `f` on the ctnetlink view of `c`; with `zero`, the counters are
/// read and zeroed.
pub(crate) fn with_entry<R>(
    table: &Table,
    c: &Conn,
    now: u32,
    zero: bool,
    f: impl FnOnce(&Entry<'_>) -> R,
) -> Option<R> {
    let reply = c.orig.invert()?;
    let tcp = (c.orig.proto == ipproto::TCP).then(|| {
        table.with_tcp(c, |t| TcpInfo {
            state: t.state as u8,
            wscale: [t.seen[0].td_scale, t.seen[1].td_scale],
            flags: [t.seen[0].flags, t.seen[1].flags],
        })
    });
    let e = Entry {
        orig: &c.orig,
        reply: &reply,
        zone: c.zone,
        status: c.status(),
        mark: c.mark.load(Relaxed),
        id: table.entry_id(c),
        use_count: 1,
        timeout: c.secs_left(now),
        tcp,
        counters: if zero {
            c.take_counters()
        } else {
            c.counters()
        },
    };
    Some(f(&e))
}

impl Subsystem for Ctnetlink {
    const NAME: &'static CStr = kernel::c_str!("conntrack");
    const ID: u8 = ctnl::SUBSYS;
    const TYPES: usize = msg::MAX;

    fn request(req: &Request<'_>) -> Result {
        let h = req.header();
        let dump = h.flags & flags::DUMP != 0;
        match h.msg_type {
            msg::GET | msg::GET_CTRZERO if dump => req.dump::<TableDump>(),
            msg::GET | msg::GET_CTRZERO => get(req),
            msg::DELETE => delete(req),
            msg::NEW => update(req),
            msg::GET_STATS_CPU if dump => req.dump::<StatsDump>(),
            msg::GET_STATS_CPU => Ok(()),
            msg::GET_STATS => stats(req),
            // As nf 6.12's: the unconfirmed dump is always empty, and the
            // dying dump lists entries whose destroy event waits to be
            // delivered again, which rct does not keep (an event that
            // cannot be delivered is lost).
            msg::GET_DYING | msg::GET_UNCONFIRMED if dump => req.dump::<EmptyDump>(),
            _ => Err(err(nlattr::EOPNOTSUPP)),
        }
    }
}

fn get(req: &Request<'_>) -> Result {
    let h = req.header();
    let ct = netct(req.net())?;
    let a = ctnl::parse_attrs(req.attrs()).map_err(err)?;
    let q = ctnl::parse_query(h.family, &a)
        .map_err(err)?
        .ok_or(EINVAL)?;
    let zero = h.msg_type == msg::GET_CTRZERO;
    req.reply(REPLY_SIZE, |buf| {
        let now = time::jiffies32();
        let g = rcu::read_lock();
        let (c, _) = ct.table.find(&g, ct.ns.id(), &q.tuple, now).ok_or(ENOENT)?;
        if c.zone != q.zone || !c.shown(now) {
            return Err(ENOENT);
        }
        let mut w = Writer::new(buf);
        let mh = MsgHeader {
            ty: ctnl::entry_type(msg::NEW),
            flags: 0,
            seq: h.seq,
            portid: h.portid,
            family: c.orig.l3.number(),
            res_id: 0,
        };
        // An entry always fits the buffer; nf answers ENOMEM otherwise.
        // nf counts the reference its lookup holds: `use=2` (a dump
        // holds none: `use=1`).
        let fits = with_entry(&ct.table, c, now, zero, |e| {
            let e = Entry { use_count: 2, ..*e };
            ctnl::write_entry(&mut w, &mh, &e, Kind::Info)
        });
        drop(g);
        match (fits, w.finish()) {
            (Some(true), Some(n)) => Ok(n),
            _ => Err(ENOMEM),
        }
    })
}

fn delete(req: &Request<'_>) -> Result {
    let h = req.header();
    let ct = netct(req.net())?;
    let a = ctnl::parse_attrs(req.attrs()).map_err(err)?;
    let has_filter = a[ctnl::cta::FILTER as usize].is_some();
    let q = if has_filter {
        None
    } else {
        ctnl::parse_query(h.family, &a).map_err(err)?
    };
    let Some(q) = q else {
        // No tuple: flush what the filter selects (all with none). As nf,
        // the family filters only with version 1 or a CTA_FILTER.
        let family = if h.version != 0 || has_filter {
            h.family
        } else {
            0
        };
        let filter = if Filter::needed(family, &a) {
            Some(Filter::parse(family, &a, req.attrs()).map_err(err)?)
        } else {
            None
        };
        flush(ct, filter.as_ref());
        return Ok(());
    };
    let now = time::jiffies32();
    let g = rcu::read_lock();
    let (c, _) = ct.table.find(&g, ct.ns.id(), &q.tuple, now).ok_or(ENOENT)?;
    if c.zone != q.zone || !c.shown(now) {
        return Err(ENOENT);
    }
    if q.id.is_some_and(|id| id != ct.table.entry_id(c)) {
        return Err(ENOENT);
    }
    if !ct.table.kill(c) {
        return Err(ENOENT);
    }
    Ok(())
}

/// Whether `f` selects `c`, from the fields a filter reads only (no id,
/// TCP state or counters).
fn selects(f: &Filter, c: &Conn) -> bool {
    let Some(reply) = c.orig.invert() else {
        return false;
    };
    f.matches(&Entry {
        orig: &c.orig,
        reply: &reply,
        zone: c.zone,
        status: c.status(),
        mark: c.mark.load(Relaxed),
        id: 0,
        use_count: 1,
        timeout: 0,
        tcp: None,
        counters: None,
    })
}

/// Kills the entries of `ct`'s namespace that `filter` selects (all
/// without one).
fn flush(ct: &NetCt, filter: Option<&Filter>) {
    ct.table.walk(ct.ns.id(), |c| {
        let hit = filter.map_or(true, |f| selects(f, c));
        if hit {
            ct.table.kill(c);
        }
    });
}

fn update(req: &Request<'_>) -> Result {
    let h = req.header();

    let ct = netct(req.net())?;
    let a = ctnl::parse_attrs(req.attrs()).map_err(err)?;
    let q = ctnl::parse_query(h.family, &a).map_err(err)?;
    let now = time::jiffies32();
    let g = rcu::read_lock();
    let found = q.and_then(|q| {
        let (c, _) = ct.table.find(&g, ct.ns.id(), &q.tuple, now)?;
        (c.zone == q.zone && c.shown(now)).then_some(c)
    });
    let Some(c) = found else {
        drop(g);
        if h.flags & flags::CREATE != 0 {
            return create(ct, &a, h.family, now);
        }
        return Err(ENOENT);
    };
    if h.flags & flags::EXCL != 0 {
        return Err(EEXIST);
    }
    let change = ctnl::parse_change(&a).map_err(err)?;
    let set = match change.status {
        Some(s) => ctnl::status_change(c.status(), s).map_err(err)?,
        None => 0,
    };
    if let Some(t) = change.timeout {
        c.refresh(now.wrapping_add(t.saturating_mul(HZ).min(i32::MAX as u32)));
    }
    if set != 0 {
        c.set_status(set);
    }
    if let (Some(t), true) = (change.tcp, c.orig.proto == ipproto::TCP) {
        ct.table.with_tcp(c, |tc| t.apply(tc));
    }
    if let Some(m) = change.mark {
        // The closure always returns `Some`: the update cannot fail.
        let _ = c
            .mark
            .fetch_update(Relaxed, Relaxed, |old| Some((old & m.mask) ^ m.val));
    }
    events::report(&ct.table, &ct.ns, c, Event::Update { protoinfo: true, mark: true });
    Ok(())
}

/// `ENOSPC`: nf's answer when a chain is too long to insert into.
const ENOSPC_ERRNO: i32 = 28;

/// Creates an entry from a request (`ctnetlink_create_conntrack()`), as
/// `conntrack -I` and conntrackd send: both tuples (inverses of each
/// other: rct does no NAT, `EOPNOTSUPP` otherwise) and a timeout are
/// required; status, mark and TCP state are taken as given. It counts
/// against `net.rct.max` like an entry made by traffic (`ENOMEM` when
/// full), and is confirmed at once (`EEXIST` if the flow exists).
fn create(ct: &NetCt, a: &ctnl::Attrs<'_>, family: u8, now: u32) -> Result {
    use ctnl::{cta, filter_flag};
    let (Some(o), Some(r), Some(_)) = (
        a[cta::TUPLE_ORIG as usize],
        a[cta::TUPLE_REPLY as usize],
        a[cta::TIMEOUT as usize],
    ) else {
        return Err(EINVAL);
    };
    let orig = ctnl::parse_tuple(o, family, filter_flag::ALL).map_err(err)?;
    let reply = ctnl::parse_tuple(r, family, filter_flag::ALL).map_err(err)?;
    let zone = a[cta::ZONE as usize].and_then(nlattr::be16).unwrap_or(0);
    if zone != 0 || orig.zone.unwrap_or(0) != 0 || reply.zone.unwrap_or(0) != 0 {
        // rct keeps every entry in zone 0.
        return Err(err(nlattr::EOPNOTSUPP));
    }
    if orig.tuple.invert() != Some(reply.tuple) {
        // A reply tuple that is not the inverse is NAT.
        return Err(err(nlattr::EOPNOTSUPP));
    }
    let change = ctnl::parse_change(a).map_err(err)?;
    // As in nf, the new entry counts as confirmed already when its status
    // is changed (libnetfilter_conntrack always sends IPS_CONFIRMED).
    let status = match change.status {
        Some(s) => ctnl::status_change(track::status::CONFIRMED, s).map_err(err)?,
        None => 0,
    };
    let mut tc = TcpConn::default();
    if let (Some(t), true) = (change.tcp, orig.tuple.proto == ipproto::TCP) {
        t.apply(&mut tc);
    }
    if !ct.admit(&orig.tuple) {
        return Err(ENOMEM);
    }
    let secs = change.timeout.unwrap_or(0);
    let deadline = now.wrapping_add(secs.saturating_mul(HZ).min(i32::MAX as u32));
    let acct = ct.acct.load(Relaxed) != 0;
    let conn = Conn::new(orig.tuple, ct.ns.id(), now, deadline, acct, tc);
    conn.status.store(status, Relaxed);
    if let Some(m) = change.mark {
        conn.mark.store(m.val, Relaxed);
    }
    let Some(c) = ct.table.alloc(conn) else {
        ct.unadmit();
        return Err(ENOMEM);
    };
    // `confirm` and the event read the entry's namespace: an RCU
    // read-side section, as in a hook.
    let _g = rcu::read_lock();
    match ct.table.confirm(c, ct.table.hash(ct.ns.id(), &orig.tuple), now) {
        Confirm::Inserted => {
            ct.ns.stats.inc(Stat::Insert);
            // SAFETY: Just linked, inside the RCU section above.
            let e = unsafe { c.as_ref() };
            events::report(&ct.table, &ct.ns, e, Event::New { mark: true });
            Ok(())
        }
        Confirm::Clash | Confirm::Failed => Err(EEXIST),
        Confirm::ChainTooLong => {
            ct.ns.stats.inc(Stat::ChainTooLong);
            ct.ns.stats.inc(Stat::InsertFailed);
            Err(err(ENOSPC_ERRNO))
        }
    }
}

fn stats(req: &Request<'_>) -> Result {
    let h = req.header();
    let ct = netct(req.net())?;
    let count = u32::try_from(ct.ns.count.load(Relaxed).max(0)).unwrap_or(0);
    let max = u32::try_from(ct.table.max.load(Relaxed).max(0)).unwrap_or(0);
    req.reply(REPLY_SIZE, |buf| {
        let mut w = Writer::new(buf);
        let mh = MsgHeader {
            ty: ctnl::entry_type(msg::GET_STATS),
            seq: h.seq,
            portid: h.portid,
            ..MsgHeader::default()
        };
        if !ctnl::write_stats(&mut w, &mh, count, max) {
            return Err(ENOMEM);
        }
        w.finish().ok_or(ENOMEM)
    })
}

/// Buckets one dump step walks under one RCU read-side section at most.
const DUMP_CHUNK: u32 = 1024;

/// `conntrack -L`: the table, filtered as the request asks.
struct TableDump;

impl TableDump {
    fn filter(req: &DumpRequest<'_>) -> Result<Option<Filter>> {
        let h = req.header();
        let a = ctnl::parse_attrs(req.attrs()).map_err(err)?;
        if Filter::needed(h.family, &a) {
            Ok(Some(Filter::parse(h.family, &a, req.attrs()).map_err(err)?))
        } else {
            Ok(None)
        }
    }
}

impl Dump for TableDump {
    fn start(req: &DumpRequest<'_>) -> Result {
        netct(req.net())?;
        Self::filter(req).map(|_| ())
    }

    /// `ctx[0]`: the next bucket; `ctx[1]`: the id of the entry that did
    /// not fit last time (0: none), sent first in this step.
    fn dump(req: &DumpRequest<'_>, ctx: &mut [u64; 6], out: &mut [u8]) -> Result<usize> {
        let h = req.header();
        let ct = netct(req.net())?;
        let filter = Self::filter(req)?;
        let zero = h.msg_type == msg::GET_CTRZERO;
        let mut w = Writer::new(out);
        let ns = ct.ns.id();
        let nb = ct.table.buckets();
        let mut walked = 0u32;
        while let Ok(b) = u32::try_from(ctx[0]) {
            if b >= nb || walked >= DUMP_CHUNK && !w.is_empty() {
                break;
            }
            let now = time::jiffies32();
            let g = rcu::read_lock();
            let mut resume = ctx[1];
            let mut full = false;
            ct.table.for_each_in_bucket(&g, b, |c| {
                if full || c.ns != ns || !c.shown(now) {
                    return;
                }
                if resume != 0 {
                    if u64::from(ct.table.entry_id(c)) != resume {
                        return;
                    }
                    resume = 0;
                }
                // Filtered out before the whole view is built.
                if filter.as_ref().is_some_and(|f| !selects(f, c)) {
                    return;
                }
                let written = with_entry(&ct.table, c, now, zero, |e| {
                    let mh = MsgHeader {
                        ty: ctnl::entry_type(msg::NEW),
                        flags: flags::MULTI
                            | if filter.is_some() {
                                flags::DUMP_FILTERED
                            } else {
                                0
                            },
                        seq: h.seq,
                        portid: h.portid,
                        family: e.orig.l3.number(),
                        res_id: 0,
                    };
                    ctnl::write_entry(&mut w, &mh, e, Kind::Info)
                });
                if written == Some(false) {
                    ctx[1] = u64::from(ct.table.entry_id(c));
                    full = true;
                }
            });
            drop(g);
            if full {
                break;
            }
            if resume != 0 {
                // The entry to resume at is gone: send this bucket again
                // from its start (duplicates are possible, as with nf).
                ctx[1] = 0;
                continue;
            }
            ctx[1] = 0;
            ctx[0] = ctx[0].saturating_add(1);
            walked = walked.saturating_add(1);
            if walked % DUMP_CHUNK == 0 {
                sched::cond_resched();
            }
        }
        Ok(w.len())
    }
}

/// `conntrack -L dying` and `conntrack -L unconfirmed`: nothing to list.
struct EmptyDump;

impl Dump for EmptyDump {
    fn dump(_req: &DumpRequest<'_>, _ctx: &mut [u64; 6], _out: &mut [u8]) -> Result<usize> {
        Ok(0)
    }
}

/// The expectation subsystem: rct keeps no expectations, and answers as
/// nf_conntrack_netlink does with none (see [`ctnl_exp`]).
pub(crate) struct CtnetlinkExp;

impl Subsystem for CtnetlinkExp {
    const NAME: &'static CStr = kernel::c_str!("conntrack_expect");
    const ID: u8 = ctnl_exp::SUBSYS;
    const TYPES: usize = ctnl_exp::msg::MAX;

    fn request(req: &Request<'_>) -> Result {
        let h = req.header();
        // As for entries, rct answers only where it tracks.
        netct(req.net())?;
        match ctnl_exp::answer(h.msg_type, h.flags, h.family, req.attrs()).map_err(err)? {
            ctnl_exp::Answer::Ack => Ok(()),
            ctnl_exp::Answer::EmptyDump => req.dump::<EmptyDump>(),
            ctnl_exp::Answer::StatsDump => req.dump::<ExpStatsDump>(),
        }
    }
}

/// The expectation statistics: one record per possible CPU.
struct ExpStatsDump;

impl Dump for ExpStatsDump {
    /// `ctx[0]`: the next CPU.
    fn dump(req: &DumpRequest<'_>, ctx: &mut [u64; 6], out: &mut [u8]) -> Result<usize> {
        let h = req.header();
        let mut w = Writer::new(out);
        while let Ok(cpu) = u32::try_from(ctx[0]) {
            if cpu >= percpu::nr_cpu_ids() {
                break;
            }
            if percpu::cpu_possible(cpu) {
                let mh = MsgHeader {
                    ty: ctnl_exp::msg_type(ctnl_exp::msg::GET_STATS_CPU),
                    flags: flags::MULTI,
                    seq: h.seq,
                    portid: h.portid,
                    family: 0,
                    res_id: u16::try_from(cpu).unwrap_or(u16::MAX),
                };
                if !ctnl_exp::write_stats_cpu(&mut w, &mh) {
                    break;
                }
            }
            ctx[0] += 1;
        }
        Ok(w.len())
    }
}

/// `conntrack -S`: one record per possible CPU.
struct StatsDump;

impl Dump for StatsDump {
    /// `ctx[0]`: the next CPU.
    fn dump(req: &DumpRequest<'_>, ctx: &mut [u64; 6], out: &mut [u8]) -> Result<usize> {
        let h = req.header();
        let ct = netct(req.net())?;
        let mut w = Writer::new(out);
        while let Ok(cpu) = u32::try_from(ctx[0]) {
            if cpu >= percpu::nr_cpu_ids() {
                break;
            }
            if let Some(s) = ct.ns.stats.cpu(cpu) {
                let mh = MsgHeader {
                    ty: ctnl::entry_type(msg::GET_STATS_CPU),
                    flags: flags::MULTI,
                    seq: h.seq,
                    portid: h.portid,
                    family: 0,
                    res_id: u16::try_from(cpu).unwrap_or(u16::MAX),
                };
                if !ctnl::write_stats_cpu(&mut w, &mh, &s) {
                    break;
                }
            }
            ctx[0] += 1;
        }
        Ok(w.len())
    }
}
