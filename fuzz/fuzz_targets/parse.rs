// SPDX-License-Identifier: GPL-2.0

//! Fuzz target `parse`: the packet parser, from the network header on.
//!
//! The input is a packet starting at its network header; it is parsed both
//! as IPv4 and as IPv6 (the hook knows the family, the bytes may claim
//! anything). For each, the target checks that:
//!
//! - parsing never panics, with overflow checks on as in the kernel;
//! - the outcome (track, ICMP error, untracked, invalid or `icmp_error`)
//!   and every tuple field equal those of a reference model written here
//!   from the header layouts (RFC 791, 8200, 4302, 792, 4443, 768, 3828):
//!   IPv4 header length and fragment offset, IPv6 extension headers,
//!   ports, ICMP id/type/code, the UDP length check, and for an ICMP error
//!   the lookup key read from the quoted packet's addresses and ports (and
//!   the error addressed to the quoted packet's sender);
//! - the tuple of a tracked packet, and the key of an ICMP error, make a
//!   valid entry ([`rct_fuzz::check_entry`]: reply tuple inverts back,
//!   hash in range, `/proc` line well formed and read back to the same
//!   tuples); only ICMP queries without a reply type have no reply tuple;
//! - for TCP, the hook's second step, [`tcp::parse_segment`], accepts the
//!   header exactly when it is all there, its data offset is at least 5
//!   words and within the packet, and its flags are a valid combination,
//!   and then returns the header's fields.
//!
//! C reference: `nf_conntrack_in()`, `get_l4proto()`, `nf_ct_get_tuple()`
//! in net/netfilter/nf_conntrack_core.c; `tcp_error()` in
//! net/netfilter/nf_conntrack_proto_tcp.c.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rct_fuzz::check_entry;
use rct_proto::parse::{parse, ParseError, Parsed};
use rct_proto::tcp;
use rct_proto::tuple::{Tuple, L3};

fuzz_target!(|data: &[u8]| {
    for l3 in [L3::V4, L3::V6] {
        check(data, l3);
    }
});

fn check(p: &[u8], l3: L3) {
    let got = parse(p, l3);
    let want = model(p, l3);
    assert_eq!(got, want, "parse disagrees with the model ({l3:?})");
    // A seed for the line's other fields, different for every packet.
    let seed = p.iter().fold(p.len() as u64, |h, &b| {
        h.rotate_left(5) ^ u64::from(b).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    });
    match got {
        Ok(Parsed::Track { tuple, l4 }) => {
            assert_eq!(tuple.l3, l3);
            if tuple.invert().is_some() {
                let state =
                    (tuple.proto == 6).then(|| tcp::State::from_raw(1 + seed as u8 % 9).name());
                check_entry(&tuple, state, seed);
            } else {
                assert!(tuple.is_icmp(), "only ICMP lacks a reply tuple: {tuple:?}");
            }
            if tuple.proto == 6 {
                check_segment(p, l4);
            }
        }
        Ok(Parsed::IcmpError { key, .. }) => {
            assert_eq!(key.l3, l3);
            check_entry(&key, None, seed);
        }
        Ok(Parsed::Untracked) | Err(_) => {}
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(be16(b, at)?) << 16 | u32::from(be16(b, at + 2)?))
}

/// Checks `tcp::parse_segment` on the TCP header at `l4` of `p`.
fn check_segment(p: &[u8], l4: usize) {
    let seg = tcp::parse_segment(p, l4);
    let h = p.get(l4..).unwrap_or_default();
    let doff = h.get(12).map_or(0, |b| usize::from(b >> 4) * 4);
    let flags = h.get(13).copied().unwrap_or(0);
    let whole = h.len() >= 20 && doff >= 20 && doff <= h.len() && tcp::valid_flags(flags);
    assert_eq!(seg.is_some(), whole, "parse_segment: {seg:?}, doff {doff}");
    let Some(s) = seg else {
        return;
    };
    assert_eq!(Some(s.seq), be32(h, 4));
    assert_eq!(Some(s.ack), be32(h, 8));
    assert_eq!(Some(s.win), be16(h, 14));
    assert_eq!(s.flags, flags);
    assert_eq!(usize::try_from(s.payload).ok(), h.len().checked_sub(doff));
    assert!(
        s.wscale.is_none_or(|w| w <= 14),
        "window scale {:?}",
        s.wscale
    );
}

/// The reference model of `l4_offset()`: protocol and offset of the
/// layer-4 header of the packet `p`, if it has a trackable one.
fn model_l4(p: &[u8], l3: L3) -> Option<(u8, usize)> {
    let version = p.first()? >> 4;
    match l3 {
        L3::V4 => {
            let ihl = usize::from(p.first()? & 0x0f) * 4;
            let frag_offset = be16(p, 6)? & 0x1fff;
            (p.len() >= 20 && version == 4 && ihl >= 20 && ihl <= p.len() && frag_offset == 0)
                .then_some((*p.get(9)?, ihl))
        }
        L3::V6 => {
            if p.len() < 40 || version != 6 {
                return None;
            }
            let mut next = *p.get(6)?;
            let mut at = 40;
            // Any number of extension headers, up to the packet's end.
            loop {
                let size = match next {
                    0 | 43 | 60 => (usize::from(*p.get(at + 1)?) + 1) * 8,
                    51 => (usize::from(*p.get(at + 1)?) + 2) * 4,
                    // Only the first fragment (offset 0) has layer 4.
                    44 if be16(p, at + 2)? >> 3 == 0 => 8,
                    44 | 59 => return None,
                    proto => return (at <= p.len()).then_some((proto, at)),
                };
                next = *p.get(at)?;
                at += size;
            }
        }
    }
}

/// The family's ICMP protocol number.
fn icmp_of(l3: L3) -> u8 {
    match l3 {
        L3::V4 => 1,
        L3::V6 => 58,
    }
}

/// The reference model of `tuple_at()`: the tuple of packet `p` whose
/// layer 4 is `proto` at `l4`.
fn model_tuple(p: &[u8], l3: L3, proto: u8, l4: usize) -> Option<Tuple> {
    let (at, n) = match l3 {
        L3::V4 => (12, 4),
        L3::V6 => (8, 16),
    };
    let mut t = Tuple {
        l3,
        proto,
        ..Default::default()
    };
    t.src[..n].copy_from_slice(p.get(at..at + n)?);
    t.dst[..n].copy_from_slice(p.get(at + n..at + 2 * n)?);
    if matches!(proto, 6 | 17 | 136) {
        t.sport = be16(p, l4)?;
        t.dport = be16(p, l4 + 2)?;
    } else if proto == icmp_of(l3) {
        p.get(l4..l4 + 8)?;
        t.dport = be16(p, l4)?; // Type and code.
        t.sport = be16(p, l4 + 4)?; // Identifier.
    }
    Some(t)
}

/// The reference model of `parse()`.
fn model(p: &[u8], l3: L3) -> Result<Parsed, ParseError> {
    let (proto, l4) = model_l4(p, l3).ok_or(ParseError::Invalid)?;
    if proto == icmp_of(l3) {
        let ty = *p
            .get(l4..l4 + 8)
            .ok_or(ParseError::Icmp)?
            .first()
            .ok_or(ParseError::Icmp)?;
        let error = match l3 {
            // Types above 18 (NR_ICMP_TYPES) are bad; 3, 4, 5, 11 and 12 are errors.
            L3::V4 if ty > 18 => return Err(ParseError::Icmp),
            L3::V4 => matches!(ty, 3 | 4 | 5 | 11 | 12),
            // MLD, neighbour discovery and redirect are not tracked;
            // types below 128 are errors.
            L3::V6 if matches!(ty, 130..=137 | 143) => return Ok(Parsed::Untracked),
            L3::V6 => ty < 128,
        };
        if error {
            // The quoted packet follows the 8-byte ICMP header; the key is
            // the tuple its flow's replies carry.
            let quoted = p.get(l4 + 8..).unwrap_or_default();
            let (iproto, il4) = model_l4(quoted, l3).ok_or(ParseError::Icmp)?;
            let q = model_tuple(quoted, l3, iproto, il4).ok_or(ParseError::Icmp)?;
            let mut key = Tuple {
                src: q.dst,
                dst: q.src,
                sport: q.dport,
                dport: q.sport,
                ..q
            };
            if iproto == icmp_of(l3) {
                // An ICMP key keeps the id and has the reply type.
                let reply = icmp_reply(l3, q.icmp_type()).ok_or(ParseError::Icmp)?;
                key.sport = q.sport;
                key.dport = u16::from_be_bytes([reply, q.icmp_code()]);
            }
            // The error must be addressed to the quoted packet's sender.
            let (at, n) = match l3 {
                L3::V4 => (16, 4),
                L3::V6 => (24, 16),
            };
            if p.get(at..at + n) != Some(&q.src[..n]) {
                return Err(ParseError::Icmp);
            }
            return Ok(Parsed::IcmpError { key, l4 });
        }
    }
    if matches!(proto, 17 | 136) {
        let len = usize::from(be16(p, l4 + 4).ok_or(ParseError::Invalid)?);
        p.get(l4..l4 + 8).ok_or(ParseError::Invalid)?;
        let avail = p.len() - l4;
        // UDP: 8 <= length <= datagram; UDP-Lite: coverage 0 (all) or so.
        let ok = len <= avail && (len >= 8 || (proto == 136 && len == 0));
        if !ok {
            return Err(ParseError::Invalid);
        }
    }
    let tuple = model_tuple(p, l3, proto, l4).ok_or(ParseError::Invalid)?;
    Ok(Parsed::Track { tuple, l4 })
}

/// ICMP query types and their replies (RFC 792, 4443, 4620).
fn icmp_reply(l3: L3, ty: u8) -> Option<u8> {
    let pairs: &[(u8, u8)] = match l3 {
        L3::V4 => &[(8, 0), (13, 14), (15, 16), (17, 18)],
        L3::V6 => &[(128, 129), (139, 140)],
    };
    pairs.iter().find_map(|&(q, r)| match ty {
        _ if ty == q => Some(r),
        _ if ty == r => Some(q),
        _ => None,
    })
}
