// SPDX-License-Identifier: GPL-2.0

//! The ctnetlink expectation subsystem (`NFNL_SUBSYS_CTNETLINK_EXP`) of a
//! tracker without expectations.
//!
//! rct has no connection helpers, so it never expects a related connection:
//! its expectation table is always empty. It still answers the subsystem,
//! as nf_conntrack_netlink does with an empty table, so that `conntrack -L
//! expect`, `-F expect`, conntrackd and listeners of the expectation event
//! groups work (otherwise nfnetlink asks for nf_conntrack_netlink, which
//! cannot load beside rct). Requests are validated as nf validates them
//! and get nf's errno; creating an expectation is `EOPNOTSUPP`.
//!
//! C reference: `ctnetlink_get_expect()`, `ctnetlink_del_expect()`,
//! `ctnetlink_new_expect()`, `ctnetlink_stat_exp_cpu()` and `exp_nla_policy`
//! in net/netfilter/nf_conntrack_netlink.c.

use super::ctnl::{filter_flag, parse_tuple};
use super::nlattr::{flags, parse_checked, MsgHeader, Policy, Writer, EINVAL, ENOENT, EOPNOTSUPP};

/// `NFNL_SUBSYS_CTNETLINK_EXP`.
pub const SUBSYS: u8 = 2;

/// Message types (`enum ctnl_exp_msg_types`).
pub mod msg {
    /// New expectation, or one in a reply/dump.
    pub const NEW: u8 = 0;
    /// Get one expectation, or dump them.
    pub const GET: u8 = 1;
    /// Delete one, or flush.
    pub const DELETE: u8 = 2;
    /// Per-CPU statistics.
    pub const GET_STATS_CPU: u8 = 3;
    /// Number of message types.
    pub const MAX: usize = 4;
}

/// Attributes (`enum ctattr_expect`).
pub mod cta {
    /// `CTA_EXPECT_MASTER`.
    pub const MASTER: u16 = 1;
    /// `CTA_EXPECT_TUPLE`.
    pub const TUPLE: u16 = 2;
    /// `CTA_EXPECT_MASK`.
    pub const MASK: u16 = 3;
    /// `CTA_EXPECT_HELP_NAME`.
    pub const HELP_NAME: u16 = 6;
    /// `CTA_EXPECT_ZONE`.
    pub const ZONE: u16 = 7;
    /// Number of attribute types (`CTA_EXPECT_MAX + 1`).
    pub const N: usize = 12;
    /// `CTA_STATS_EXP_NEW`, `_CREATE`, `_DELETE` (`enum ctattr_expect_stats`).
    pub const STATS: [u16; 3] = [1, 2, 3];
}

/// `NF_CT_HELPER_NAME_LEN - 1`.
const HELPER_NAME_MAX: usize = 15;

/// `exp_nla_policy`.
const POLICY: [Policy; cta::N] = [
    Policy::Any,
    Policy::Nested,                     // MASTER
    Policy::Nested,                     // TUPLE
    Policy::Nested,                     // MASK
    Policy::U32,                        // TIMEOUT
    Policy::U32,                        // ID
    Policy::NulString(HELPER_NAME_MAX), // HELP_NAME
    Policy::U16,                        // ZONE
    Policy::U32,                        // FLAGS
    Policy::U32,                        // CLASS
    Policy::Nested,                     // NAT
    Policy::NulString(HELPER_NAME_MAX), // FN
];

/// What to answer an expectation request with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A plain ack (errno 0).
    Ack,
    /// A dump with no record: the expectation table.
    EmptyDump,
    /// The per-CPU statistics dump ([`write_stats_cpu`]).
    StatsDump,
}

/// Checks the tuple nest of type `ty` as `ctnetlink_parse_tuple()` with no
/// zone: a full tuple, and no `CTA_TUPLE_ZONE`.
fn check_tuple(a: &[Option<&[u8]>; cta::N], ty: u16, family: u8) -> Result<(), i32> {
    let nest = a.get(usize::from(ty)).copied().flatten().ok_or(EINVAL)?;
    match parse_tuple(nest, family, filter_flag::ALL)?.zone {
        Some(_) => Err(EINVAL),
        None => Ok(()),
    }
}

/// The answer to expectation request `msg_type` with netlink flags
/// `nl_flags`, family `family` and attribute bytes `attrs`, for a tracker
/// whose expectation table is empty; an error is the request's errno.
pub fn answer(msg_type: u8, nl_flags: u16, family: u8, attrs: &[u8]) -> Result<Answer, i32> {
    let a = parse_checked::<{ cta::N }>(attrs, &POLICY)?;
    let has = |ty: u16| a.get(usize::from(ty)).is_some_and(Option::is_some);
    let dump = nl_flags & flags::DUMP != 0;
    match msg_type {
        // With a master tuple nf dumps that connection's expectations.
        msg::GET if dump => {
            if has(cta::MASTER) {
                check_tuple(&a, cta::MASTER, family)?;
            }
            Ok(Answer::EmptyDump)
        }
        msg::GET => {
            let ty = if has(cta::TUPLE) {
                cta::TUPLE
            } else {
                cta::MASTER
            };
            check_tuple(&a, ty, family)?;
            Err(ENOENT)
        }
        // By tuple: not found. By helper name, or a flush: nothing to do.
        msg::DELETE if has(cta::TUPLE) => {
            check_tuple(&a, cta::TUPLE, family)?;
            Err(ENOENT)
        }
        msg::DELETE => Ok(Answer::Ack),
        msg::NEW => {
            if !(has(cta::TUPLE) && has(cta::MASK) && has(cta::MASTER)) {
                return Err(EINVAL);
            }
            check_tuple(&a, cta::TUPLE, family)?;
            if nl_flags & flags::CREATE != 0 {
                Err(EOPNOTSUPP)
            } else {
                Err(ENOENT)
            }
        }
        msg::GET_STATS_CPU if dump => Ok(Answer::StatsDump),
        msg::GET_STATS_CPU => Ok(Answer::Ack),
        _ => Err(EOPNOTSUPP),
    }
}

/// The `nlmsg_type` of expectation message `m`.
pub fn msg_type(m: u8) -> u16 {
    u16::from(SUBSYS) << 8 | u16::from(m)
}

/// Writes one CPU's expectation statistics record (all zero: rct creates
/// and deletes no expectations); `false` if it did not fit.
pub fn write_stats_cpu(w: &mut Writer<'_>, h: &MsgHeader) -> bool {
    let m = w.msg_start(h);
    for ty in cta::STATS {
        w.put_be32(ty, 0);
    }
    w.msg_end(m);
    if !w.ok() {
        w.cancel(m);
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::ctnl::cta as ct;
    use super::super::nlattr::ERANGE;
    use super::*;

    /// A full IPv4 UDP tuple nest of type `ty`, with `CTA_TUPLE_ZONE` if
    /// `zone` is given.
    fn tuple(w: &mut Writer<'_>, ty: u16, zone: Option<u16>) {
        let t = w.nest_start(ty);
        let ip = w.nest_start(ct::TUPLE_IP);
        w.put(ct::IP_V4_SRC, &[192, 0, 2, 1]);
        w.put(ct::IP_V4_DST, &[192, 0, 2, 2]);
        w.nest_end(ip);
        let p = w.nest_start(ct::TUPLE_PROTO);
        w.put(ct::PROTO_NUM, &[17]);
        w.put_be16(ct::PROTO_SRC_PORT, 1000);
        w.put_be16(ct::PROTO_DST_PORT, 53);
        w.nest_end(p);
        if let Some(z) = zone {
            w.put_be16(ct::TUPLE_ZONE, z);
        }
        w.nest_end(t);
    }

    fn attrs(build: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        build(&mut w);
        let n = w.finish().unwrap();
        buf[..n].to_vec()
    }

    #[test]
    fn answers_as_nf_with_no_expectations() {
        let none = attrs(|_| {});
        let t = attrs(|w| tuple(w, cta::TUPLE, None));
        let full = attrs(|w| {
            tuple(w, cta::MASTER, None);
            tuple(w, cta::TUPLE, None);
            tuple(w, cta::MASK, None);
        });
        let dump = flags::DUMP;
        assert_eq!(answer(msg::GET, dump, 2, &none), Ok(Answer::EmptyDump));
        assert_eq!(answer(msg::GET, 0, 2, &none), Err(EINVAL));
        assert_eq!(answer(msg::GET, 0, 2, &t), Err(ENOENT));
        assert_eq!(answer(msg::DELETE, 0, 2, &none), Ok(Answer::Ack));
        assert_eq!(answer(msg::DELETE, 0, 2, &t), Err(ENOENT));
        assert_eq!(answer(msg::NEW, flags::CREATE, 2, &t), Err(EINVAL));
        assert_eq!(answer(msg::NEW, flags::CREATE, 2, &full), Err(EOPNOTSUPP));
        assert_eq!(answer(msg::NEW, 0, 2, &full), Err(ENOENT));
        assert_eq!(
            answer(msg::GET_STATS_CPU, dump, 0, &none),
            Ok(Answer::StatsDump)
        );
        assert_eq!(answer(9, 0, 2, &none), Err(EOPNOTSUPP));
        // A tuple of an unknown family, a short zone, a helper name without
        // its NUL: nf's errnos.
        assert_eq!(answer(msg::GET, 0, 7, &t), Err(EOPNOTSUPP));
        let zone = attrs(|w| w.put(cta::ZONE, &[1]));
        assert_eq!(answer(msg::DELETE, 0, 2, &zone), Err(ERANGE));
        let name = attrs(|w| w.put(cta::HELP_NAME, b"ftp"));
        assert_eq!(answer(msg::DELETE, 0, 2, &name), Err(EINVAL));
        let name = attrs(|w| w.put(cta::HELP_NAME, b"ftp\0"));
        assert_eq!(answer(msg::DELETE, 0, 2, &name), Ok(Answer::Ack));
        // A tuple with a zone inside: EINVAL (nf parses it without a zone).
        let tz = attrs(|w| tuple(w, cta::TUPLE, Some(1)));
        assert_eq!(answer(msg::GET, 0, 2, &tz), Err(EINVAL));
    }

    #[test]
    fn stats_record() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        let h = MsgHeader {
            ty: msg_type(msg::GET_STATS_CPU),
            ..MsgHeader::default()
        };
        assert!(write_stats_cpu(&mut w, &h));
        let n = w.finish().unwrap();
        // Headers (20) and three 8-byte attributes.
        assert_eq!(n, 44);
        assert_eq!(u16::from_ne_bytes([buf[4], buf[5]]), 2 << 8 | 3);
        let mut tiny = [0u8; 30];
        let mut w = Writer::new(&mut tiny);
        assert!(!write_stats_cpu(&mut w, &h));
    }
}
