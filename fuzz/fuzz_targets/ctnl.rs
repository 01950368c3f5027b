// SPDX-License-Identifier: GPL-2.0

//! Fuzz target `ctnl`: ctnetlink requests as rct's kernel side reads them.
//!
//! The input is a request: its first byte is the `nfgen_family` and the
//! rest the attributes after the headers, as any user with
//! `CAP_NET_ADMIN` can send them. The target checks that:
//!
//! - the parsers never panic (overflow checks on, as in the kernel), and
//!   every error is one of the errno values ctnetlink uses;
//! - a tuple a request names is of the request's family, and written back
//!   as an entry message and parsed again, gives the same tuple, id and zone;
//! - a status change never sets a bit userspace may not change.
//!
//! C reference: `ctnetlink_parse_tuple_filter()`, `ctnetlink_alloc_filter()`,
//! `ctnetlink_change_conntrack()` in net/netfilter/nf_conntrack_netlink.c.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rct_proto::ctnl::{self, Entry, Filter, Kind};
use rct_proto::nlattr::{self, MsgHeader, Writer};

const ERRNOS: [i32; 6] = [
    nlattr::EINVAL,
    nlattr::ERANGE,
    nlattr::ENOENT,
    nlattr::EOPNOTSUPP,
    nlattr::EEXIST,
    nlattr::EBUSY,
];

fn errno_ok<T>(r: &Result<T, i32>) {
    if let Err(e) = r {
        assert!(ERRNOS.contains(e), "unexpected errno {e}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&family, attrs)) = data.split_first() else {
        return;
    };
    let a = ctnl::parse_attrs(attrs);
    errno_ok(&a);
    let Ok(a) = a else {
        return;
    };
    errno_ok(&Filter::parse(family, &a, attrs));
    let change = ctnl::parse_change(&a);
    errno_ok(&change);
    if let Ok(c) = change {
        if let Some(s) = c.status {
            for cur in [0u32, 0x8, 0xe, u32::MAX] {
                if let Ok(set) = ctnl::status_change(cur, s) {
                    assert_eq!(set & 0xdbf9, 0, "unchangeable status bit set");
                }
            }
        }
    }
    let q = ctnl::parse_query(family, &a);
    errno_ok(&q);
    let Ok(Some(q)) = q else {
        return;
    };
    assert_eq!(q.tuple.l3.number(), family);
    let Some(reply) = q.tuple.invert() else {
        return;
    };
    let e = Entry {
        orig: &q.tuple,
        reply: &reply,
        zone: q.zone,
        status: 0x8,
        mark: 0,
        id: q.id.unwrap_or(1),
        use_count: 1,
        timeout: 30,
        tcp: None,
        counters: None,
    };
    let mut buf = [0u8; 1024];
    let mut w = Writer::new(&mut buf);
    let h = MsgHeader {
        ty: ctnl::entry_type(ctnl::msg::NEW),
        family,
        ..MsgHeader::default()
    };
    assert!(ctnl::write_entry(&mut w, &h, &e, Kind::Info));
    let n = w.finish().expect("an entry fits 1 KiB");
    let back = ctnl::parse_attrs(&buf[20..n]).expect("own message parses");
    let q2 = ctnl::parse_query(family, &back).expect("own tuple parses").expect("has a tuple");
    assert_eq!(q2.tuple, q.tuple);
    assert_eq!(q2.zone, q.zone);
    assert_eq!(q2.id, Some(e.id));
});
