// SPDX-License-Identifier: GPL-2.0

//! Packet parsing: from an IPv4/IPv6 packet to the [`Tuple`] rct tracks it by.
//!
//! Headers are read through [`Packet::read`], which copies a fixed number of
//! bytes at an offset or fails (the `skb_header_pointer()` contract), so a
//! truncated or malformed packet is an error, never a panic. Every offset is
//! computed with checked arithmetic and every loop is bounded.
//!
//! The outcome mirrors what `nf_conntrack_in()` decides before it looks the
//! tuple up: track the packet, treat it as an ICMP error about another flow,
//! leave it untracked (ICMPv6 neighbour discovery and MLD), or count it as
//! `invalid` or `icmp_error`.
//!
//! C reference: `get_l4proto()`, `nf_ct_get_tuple()` in
//! net/netfilter/nf_conntrack_core.c; `ipv6_skip_exthdr()` in
//! net/ipv6/exthdrs_core.c; `nf_conntrack_icmpv4_error()`,
//! `nf_conntrack_icmpv6_error()`, `udp_error()`.

use super::tuple::{has_ports, ipproto, Tuple, L3};

/// Read access to a packet's bytes, starting at its network header.
pub trait Packet {
    /// Length of the packet from the network header on.
    fn len(&self) -> usize;

    /// Whether the packet has no bytes at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `N` bytes at `off`, or `None` if they are not all there.
    fn read<const N: usize>(&self, off: usize) -> Option<[u8; N]>;
}

impl Packet for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn read<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        self.get(off..)?.first_chunk::<N>().copied()
    }
}

/// What to do with a packet, before any table lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Track the packet under `tuple`.
    Track {
        /// The packet's tuple (its own direction).
        tuple: Tuple,
        /// Offset of the layer-4 header from the network header.
        l4: usize,
    },
    /// An ICMP error about another flow: `key` is the tuple to look that flow up by.
    IcmpError {
        /// Lookup key: the inverse of the tuple of the packet quoted in the error.
        key: Tuple,
        /// Offset of the ICMP header from the network header.
        l4: usize,
    },
    /// Not tracked and not invalid (ICMPv6 neighbour discovery, MLD).
    Untracked,
}

/// Why a packet cannot be tracked; each maps to one nf statistic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Malformed or truncated headers (`invalid`).
    Invalid,
    /// A broken ICMP message or an ICMP error rct cannot attribute (`icmp_error`).
    Icmp,
}

/// Locates the layer-4 header: `(protocol, offset)`, or `None` if the packet
/// cannot be tracked (truncated header, non-first fragment, no next header).
fn l4_offset<P: Packet + ?Sized>(p: &P, l3: L3, nh: usize) -> Option<(u8, usize)> {
    match l3 {
        L3::V4 => {
            let h: [u8; 20] = p.read(nh)?;
            // Version 4, header length at least 20 bytes.
            if h[0] >> 4 != 4 || h[0] & 0x0f < 5 {
                return None;
            }
            // A non-first fragment has no layer-4 header.
            if u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0 {
                return None;
            }
            let off = nh.checked_add(usize::from(h[0] & 0x0f) * 4)?;
            (off <= p.len()).then_some((h[9], off))
        }
        L3::V6 => {
            let h: [u8; 40] = p.read(nh)?;
            if h[0] >> 4 != 6 {
                return None;
            }
            let mut next = h[6];
            let mut off = nh.checked_add(40)?;
            // As nf's `ipv6_skip_exthdr()`, walk any number of extension
            // headers: each is at least 8 bytes long, so the walk reaches
            // the packet's end within `len / 8` steps.
            for _ in 0..=p.len() / 8 {
                match next {
                    // Hop-by-hop, routing, destination options.
                    0 | 43 | 60 => {
                        let e: [u8; 2] = p.read(off)?;
                        next = e[0];
                        off = off.checked_add((usize::from(e[1]) + 1) * 8)?;
                    }
                    // Authentication header: length in 4-byte units, minus 2.
                    51 => {
                        let e: [u8; 2] = p.read(off)?;
                        next = e[0];
                        off = off.checked_add((usize::from(e[1]) + 2) * 4)?;
                    }
                    // Fragment: only the first fragment carries layer 4.
                    44 => {
                        let e: [u8; 4] = p.read(off)?;
                        if u16::from_be_bytes([e[2], e[3]]) & !0x7 != 0 {
                            return None;
                        }
                        next = e[0];
                        off = off.checked_add(8)?;
                    }
                    // No next header.
                    59 => return None,
                    proto => return (off <= p.len()).then_some((proto, off)),
                }
            }
            None
        }
    }
}

/// Source and destination addresses of the IP header at `nh` (IPv4
/// addresses in the first 4 bytes, the rest zero, as in [`Tuple`]).
fn addresses<P: Packet + ?Sized>(p: &P, l3: L3, nh: usize) -> Option<([u8; 16], [u8; 16])> {
    let (mut src, mut dst) = ([0u8; 16], [0u8; 16]);
    match l3 {
        L3::V4 => {
            let a: [u8; 8] = p.read(nh.checked_add(12)?)?;
            src[..4].copy_from_slice(&a[..4]);
            dst[..4].copy_from_slice(&a[4..]);
        }
        L3::V6 => {
            let a: [u8; 32] = p.read(nh.checked_add(8)?)?;
            src.copy_from_slice(&a[..16]);
            dst.copy_from_slice(&a[16..]);
        }
    }
    Some((src, dst))
}

/// Reads addresses and the layer-4 identifiers into a tuple.
fn tuple_at<P: Packet + ?Sized>(p: &P, l3: L3, nh: usize, proto: u8, l4: usize) -> Option<Tuple> {
    let (src, dst) = addresses(p, l3, nh)?;
    let mut t = Tuple {
        src,
        dst,
        proto,
        l3,
        ..Default::default()
    };
    if has_ports(proto) {
        let h: [u8; 4] = p.read(l4)?;
        t.sport = u16::from_be_bytes([h[0], h[1]]);
        t.dport = u16::from_be_bytes([h[2], h[3]]);
    } else if t.is_icmp() {
        let h: [u8; 8] = p.read(l4)?;
        t.sport = u16::from_be_bytes([h[4], h[5]]);
        t.dport = u16::from_be_bytes([h[0], h[1]]);
    }
    Some(t)
}

/// Whether an ICMP (v4) type is an error message (`icmp_is_err()`).
fn icmp_is_err(ty: u8) -> bool {
    matches!(ty, 3 | 4 | 5 | 11 | 12)
}

/// Highest ICMP type nf accepts (`NR_ICMP_TYPES`).
const NR_ICMP_TYPES: u8 = 18;

/// ICMPv6 types that are never tracked (MLD and neighbour discovery:
/// `noct_valid_new[]`), plus redirect, which rct leaves untracked too.
fn icmpv6_untracked(ty: u8) -> bool {
    matches!(ty, 130..=137 | 143)
}

/// The lookup key for an ICMP error (header at `icmp`) whose quoted packet
/// starts 8 bytes later.
///
/// The error must be addressed to the quoted packet's sender: nf checks
/// that the outer destination is the destination of the entry's tuple it
/// found (`nf_conntrack_inet_error()`), which is the key's, so an error
/// about a tracked flow sent anywhere else is not RELATED to it but an
/// `icmp_error`.
fn icmp_error_key<P: Packet + ?Sized>(p: &P, l3: L3, icmp: usize) -> Result<Parsed, ParseError> {
    let inner = icmp.checked_add(8).ok_or(ParseError::Icmp)?;
    let (proto, l4) = l4_offset(p, l3, inner).ok_or(ParseError::Icmp)?;
    let quoted = tuple_at(p, l3, inner, proto, l4).ok_or(ParseError::Icmp)?;
    let key = quoted.invert().ok_or(ParseError::Icmp)?;
    let (_, outer_dst) = addresses(p, l3, 0).ok_or(ParseError::Icmp)?;
    if outer_dst != key.dst {
        return Err(ParseError::Icmp);
    }
    Ok(Parsed::IcmpError { key, l4: icmp })
}

/// [`parse`]'s fast path for the bulk of traffic: IPv4 without options,
/// not a fragment, UDP or TCP. Reads each header once. `None` for anything
/// else, including truncated headers: the general path then decides, so
/// the result is always the general path's.
#[inline]
fn parse_v4_udp_tcp<P: Packet + ?Sized>(p: &P) -> Option<Result<Parsed, ParseError>> {
    let h: [u8; 20] = p.read(0)?;
    // Version 4, 20-byte header, fragment offset 0.
    if h[0] != 0x45 || u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0 {
        return None;
    }
    let proto = h[9];
    let mut t = Tuple {
        proto,
        l3: L3::V4,
        ..Default::default()
    };
    t.src[..4].copy_from_slice(&h[12..16]);
    t.dst[..4].copy_from_slice(&h[16..20]);
    let ports = match proto {
        ipproto::UDP => {
            let u: [u8; 8] = p.read(20)?;
            let udplen = p.len().checked_sub(20)?;
            let hlen = usize::from(u16::from_be_bytes([u[4], u[5]]));
            if hlen > udplen || hlen < 8 {
                return Some(Err(ParseError::Invalid));
            }
            [u[0], u[1], u[2], u[3]]
        }
        ipproto::TCP => p.read(20)?,
        _ => return None,
    };
    t.sport = u16::from_be_bytes([ports[0], ports[1]]);
    t.dport = u16::from_be_bytes([ports[2], ports[3]]);
    Some(Ok(Parsed::Track { tuple: t, l4: 20 }))
}

/// Parses a packet of family `l3` whose network header is at offset 0 of `p`.
pub fn parse<P: Packet + ?Sized>(p: &P, l3: L3) -> Result<Parsed, ParseError> {
    if l3 == L3::V4 {
        if let Some(r) = parse_v4_udp_tcp(p) {
            return r;
        }
    }
    let (proto, l4) = l4_offset(p, l3, 0).ok_or(ParseError::Invalid)?;
    match (l3, proto) {
        (L3::V4, ipproto::ICMP) => {
            let h: [u8; 8] = p.read(l4).ok_or(ParseError::Icmp)?;
            if h[0] > NR_ICMP_TYPES {
                return Err(ParseError::Icmp);
            }
            if icmp_is_err(h[0]) {
                return icmp_error_key(p, l3, l4);
            }
        }
        (L3::V6, ipproto::ICMPV6) => {
            let h: [u8; 8] = p.read(l4).ok_or(ParseError::Icmp)?;
            if icmpv6_untracked(h[0]) {
                return Ok(Parsed::Untracked);
            }
            if h[0] < 128 {
                return icmp_error_key(p, l3, l4);
            }
        }
        (_, ipproto::UDP | ipproto::UDPLITE) => {
            let h: [u8; 8] = p.read(l4).ok_or(ParseError::Invalid)?;
            let udplen = p.len().checked_sub(l4).ok_or(ParseError::Invalid)?;
            let hlen = usize::from(u16::from_be_bytes([h[4], h[5]]));
            // UDP-Lite's length field is the checksum coverage; 0 means all.
            let bad = if proto == ipproto::UDP {
                hlen > udplen || hlen < 8
            } else {
                hlen > udplen || (hlen != 0 && hlen < 8)
            };
            if bad {
                return Err(ParseError::Invalid);
            }
        }
        _ => {}
    }
    let tuple = tuple_at(p, l3, 0, proto, l4).ok_or(ParseError::Invalid)?;
    Ok(Parsed::Track { tuple, l4 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
        let total = 20 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            proto,
            0,
            0,
            192,
            0,
            2,
            1,
            192,
            0,
            2,
            2,
        ];
        p.extend_from_slice(payload);
        p
    }

    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, payload.len() as u8, next, 64];
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        a[15] = 1;
        p.extend_from_slice(&a);
        a[15] = 2;
        p.extend_from_slice(&a);
        p.extend_from_slice(payload);
        p
    }

    fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
        let len = 8 + data.len();
        let mut u = vec![];
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&(len as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(data);
        u
    }

    fn track(p: &[u8], l3: L3) -> Tuple {
        match parse(p, l3) {
            Ok(Parsed::Track { tuple, .. }) => tuple,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn udp_v4() {
        let t = track(&ipv4(17, &udp(1234, 53, b"hi")), L3::V4);
        assert_eq!(t.src[..4], [192, 0, 2, 1]);
        assert_eq!(t.dst[..4], [192, 0, 2, 2]);
        assert_eq!(t.src[4..], [0; 12]);
        assert_eq!((t.sport, t.dport, t.proto, t.l3), (1234, 53, 17, L3::V4));
    }

    #[test]
    fn udp_v6_through_extension_headers() {
        // Hop-by-hop (8 bytes) -> destination options (16 bytes) -> fragment
        // (first fragment) -> UDP.
        let mut ext = vec![60, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[44, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        ext.extend_from_slice(&[17, 0, 0, 1, 0, 0, 0, 9]);
        ext.extend_from_slice(&udp(5000, 6000, b"x"));
        let t = track(&ipv6(0, &ext), L3::V6);
        assert_eq!((t.sport, t.dport, t.proto), (5000, 6000, 17));
        assert_eq!(t.dst[15], 2);
    }

    #[test]
    fn v6_non_first_fragment_and_no_next_header_are_invalid() {
        let mut ext = vec![17, 0, 0, 8 << 3, 0, 0, 0, 9];
        ext.extend_from_slice(&udp(1, 2, b""));
        assert_eq!(parse(&ipv6(44, &ext)[..], L3::V6), Err(ParseError::Invalid));
        assert_eq!(parse(&ipv6(59, &[])[..], L3::V6), Err(ParseError::Invalid));
    }

    #[test]
    fn v6_extension_header_loop_is_bounded() {
        // 40 chained hop-by-hop-style destination options headers.
        let mut ext = vec![];
        for _ in 0..40 {
            ext.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
        }
        assert_eq!(parse(&ipv6(60, &ext)[..], L3::V6), Err(ParseError::Invalid));
    }

    #[test]
    fn v6_long_extension_header_chain_is_walked() {
        // 200 destination options headers, then UDP: nf tracks it, and so
        // does rct (no limit but the packet's length).
        let mut ext = vec![];
        for i in 0..200 {
            let next = if i < 199 { 60 } else { 17 };
            ext.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
        }
        ext.extend_from_slice(&udp(7401, 7402, b""));
        let t = track(&ipv6(60, &ext), L3::V6);
        assert_eq!((t.sport, t.dport, t.proto), (7401, 7402, 17));
        // The same chain with its last header pointing to another one.
        let last = 40 + 199 * 8;
        let mut p = ipv6(60, &ext);
        p[last] = 60;
        assert_eq!(parse(&p[..], L3::V6), Err(ParseError::Invalid));
    }

    #[test]
    fn icmp_error_to_another_address_is_an_error() {
        // Port unreachable about UDP 192.0.2.1:1234 -> 192.0.2.2:53, from
        // 192.0.2.2: RELATED if sent to 192.0.2.1, the quoted packet's
        // sender; sent to 192.0.2.3, nf counts it as an ICMP error.
        let quoted = ipv4(17, &udp(1234, 53, b""));
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        let mut p = ipv4(1, &icmp);
        p[12..16].copy_from_slice(&[192, 0, 2, 2]);
        p[16..20].copy_from_slice(&[192, 0, 2, 1]);
        assert!(matches!(
            parse(&p[..], L3::V4),
            Ok(Parsed::IcmpError { .. })
        ));
        p[19] = 3;
        assert_eq!(parse(&p[..], L3::V4), Err(ParseError::Icmp));

        // IPv6: from ::2 to ::1 about UDP ::1 -> ::2, then to ::3.
        let quoted = ipv6(17, &udp(1234, 53, b""));
        let mut icmp = vec![1, 4, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        let mut p = ipv6(58, &icmp);
        p[8..40].rotate_left(16);
        assert!(matches!(
            parse(&p[..], L3::V6),
            Ok(Parsed::IcmpError { .. })
        ));
        p[39] = 3;
        assert_eq!(parse(&p[..], L3::V6), Err(ParseError::Icmp));
    }

    #[test]
    fn v6_extension_header_running_past_the_end_is_invalid() {
        assert_eq!(
            parse(&ipv6(0, &[17, 200])[..], L3::V6),
            Err(ParseError::Invalid)
        );
    }

    #[test]
    fn v4_fragments_options_and_bad_headers() {
        let mut p = ipv4(17, &udp(1, 2, b""));
        p[6] = 0x20; // MF, offset 0: first fragment, tracked.
        track(&p, L3::V4);
        p[7] = 1; // Offset 8: not first.
        assert_eq!(parse(&p[..], L3::V4), Err(ParseError::Invalid));

        let mut p = ipv4(17, &udp(1, 2, b""));
        p[0] = 0x44; // IHL 4: too short.
        assert_eq!(parse(&p[..], L3::V4), Err(ParseError::Invalid));
        p[0] = 0x4f; // IHL 15: past the packet.
        assert_eq!(parse(&p[..], L3::V4), Err(ParseError::Invalid));
        p[0] = 0x65; // Version 6 in an IPv4 packet.
        assert_eq!(parse(&p[..], L3::V4), Err(ParseError::Invalid));

        // IHL 6 with a 4-byte option before UDP.
        let mut p = ipv4(17, &[]);
        p[0] = 0x46;
        p.extend_from_slice(&[1, 1, 1, 1]);
        p.extend_from_slice(&udp(7, 8, b""));
        assert_eq!(track(&p, L3::V4).sport, 7);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        // (packet, family, shortest trackable prefix). Until the TCP tracker
        // validates the whole header, TCP needs only its ports, as nf's
        // tuple extraction does.
        let cases: Vec<(Vec<u8>, L3, usize)> = vec![
            (ipv4(17, &udp(1, 2, b"abc")), L3::V4, 31),
            (ipv4(6, &[0, 1, 0, 2, 0, 0, 0, 0]), L3::V4, 24),
            (ipv4(1, &[8, 0, 0, 0, 0, 9, 0, 1]), L3::V4, 28),
            (ipv6(58, &[128, 0, 0, 0, 0, 9, 0, 1]), L3::V6, 48),
            (ipv6(17, &udp(1, 2, b"")), L3::V6, 48),
        ];
        for (p, l3, min) in cases {
            assert!(matches!(parse(&p[..], l3), Ok(Parsed::Track { .. })));
            for n in 0..min {
                let r = parse(&p[..n], l3);
                assert!(r.is_err(), "{n} bytes of {p:?}: {r:?}");
            }
        }
    }

    #[test]
    fn udp_length_field_is_checked() {
        let mut u = udp(1, 2, b"abcd");
        u[5] = 7; // Shorter than the header.
        assert_eq!(parse(&ipv4(17, &u)[..], L3::V4), Err(ParseError::Invalid));
        u[5] = 13; // Longer than the packet.
        assert_eq!(parse(&ipv4(17, &u)[..], L3::V4), Err(ParseError::Invalid));
        u[5] = 0; // UDP-Lite: full coverage.
        assert!(parse(&ipv4(136, &u)[..], L3::V4).is_ok());
    }

    #[test]
    fn icmp_echo_and_types() {
        let t = track(&ipv4(1, &[8, 0, 0, 0, 0x12, 0x34, 0, 1]), L3::V4);
        assert_eq!((t.sport, t.icmp_type(), t.icmp_code()), (0x1234, 8, 0));
        assert_eq!(
            parse(&ipv4(1, &[19, 0, 0, 0, 0, 0, 0, 0])[..], L3::V4),
            Err(ParseError::Icmp)
        );
        assert_eq!(
            parse(&ipv4(1, &[8, 0, 0])[..], L3::V4),
            Err(ParseError::Icmp)
        );
    }

    #[test]
    fn icmp_error_quotes_a_flow() {
        // Port unreachable from 192.0.2.2 about UDP 192.0.2.1:1234 -> 192.0.2.2:53.
        let quoted = ipv4(17, &udp(1234, 53, b""));
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted[..28]);
        let mut p = ipv4(1, &icmp);
        p[12..16].copy_from_slice(&[192, 0, 2, 2]);
        p[16..20].copy_from_slice(&[192, 0, 2, 1]);
        match parse(&p[..], L3::V4) {
            Ok(Parsed::IcmpError { key, .. }) => {
                // The key is the reply tuple of the quoted packet's flow.
                assert_eq!(key.src[..4], [192, 0, 2, 2]);
                assert_eq!((key.sport, key.dport, key.proto), (53, 1234, 17));
            }
            other => panic!("{other:?}"),
        }
        // A quoted header cut short is an ICMP error.
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted[..22]);
        assert_eq!(parse(&ipv4(1, &icmp)[..], L3::V4), Err(ParseError::Icmp));
        // An error quoting an error cannot be attributed.
        let mut inner = vec![3, 1, 0, 0, 0, 0, 0, 0];
        inner.extend_from_slice(&quoted[..28]);
        let mut icmp = vec![11, 0, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&ipv4(1, &inner)[..28]);
        assert_eq!(parse(&ipv4(1, &icmp)[..], L3::V4), Err(ParseError::Icmp));
    }

    #[test]
    fn icmpv6_nd_is_untracked_and_errors_quote_flows() {
        assert_eq!(
            parse(&ipv6(58, &[135, 0, 0, 0, 0, 0, 0, 0])[..], L3::V6),
            Ok(Parsed::Untracked)
        );
        assert_eq!(
            parse(&ipv6(58, &[143, 0, 0, 0, 0, 0, 0, 0])[..], L3::V6),
            Ok(Parsed::Untracked)
        );
        // Port unreachable from ::1 to ::2 about UDP ::2:999 -> ::1:53.
        let mut quoted = ipv6(17, &udp(999, 53, b""));
        quoted[8..40].rotate_left(16);
        let mut icmp = vec![1, 4, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        match parse(&ipv6(58, &icmp)[..], L3::V6) {
            Ok(Parsed::IcmpError { key, l4 }) => {
                assert_eq!((key.sport, key.dport), (53, 999));
                assert_eq!(l4, 40);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn generic_protocol_has_no_ports() {
        let t = track(&ipv4(253, &[1, 2, 3, 4]), L3::V4);
        assert_eq!((t.proto, t.sport, t.dport), (253, 0, 0));
        // ICMPv6's number inside IPv4 is just another protocol.
        let t = track(&ipv4(58, &[]), L3::V4);
        assert_eq!((t.proto, t.sport, t.dport), (58, 0, 0));
    }

    #[test]
    fn garbage_never_panics() {
        // A small deterministic generator over random-looking inputs.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 96) as usize;
            let mut buf = vec![0u8; n];
            let mut y = x;
            for b in buf.iter_mut() {
                y = y.wrapping_mul(6364136223846793005).wrapping_add(1);
                *b = (y >> 56) as u8;
            }
            if let Some(b) = buf.first_mut() {
                *b = if x & 1 == 0 { 0x45 } else { 0x60 };
            }
            let _ = parse(&buf[..], L3::V4);
            let _ = parse(&buf[..], L3::V6);
        }
    }
}
