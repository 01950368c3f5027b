// SPDX-License-Identifier: GPL-2.0

//! Connection tuples: what identifies one direction of a flow.
//!
//! A [`Tuple`] holds the layer-3 family, addresses, layer-4 protocol and the
//! protocol's identifiers: ports for TCP/UDP/UDP-Lite, id/type/code for
//! ICMP and ICMPv6, nothing for other protocols. [`Tuple::invert`] gives the
//! tuple the other direction's packets carry.
//!
//! C reference: include/net/netfilter/nf_conntrack_tuple.h,
//! `nf_ct_invert_tuple()` in net/netfilter/nf_conntrack_core.c,
//! `nf_conntrack_invert_icmp_tuple()` in nf_conntrack_proto_icmp.c.

/// Layer-3 protocol family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum L3 {
    /// IPv4 (`AF_INET`, 2).
    #[default]
    V4 = 2,
    /// IPv6 (`AF_INET6`, 10).
    V6 = 10,
}

impl L3 {
    /// nf's name for the family (`l3proto_name()`).
    pub fn name(self) -> &'static str {
        match self {
            L3::V4 => "ipv4",
            L3::V6 => "ipv6",
        }
    }

    /// The address family number (`AF_INET` / `AF_INET6`).
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// IP protocol numbers rct treats specially.
pub mod ipproto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// DCCP.
    pub const DCCP: u8 = 33;
    /// GRE.
    pub const GRE: u8 = 47;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// SCTP.
    pub const SCTP: u8 = 132;
    /// UDP-Lite.
    pub const UDPLITE: u8 = 136;
}

/// nf's name for a layer-4 protocol (`l4proto_name()`); `unknown` for the rest.
pub fn l4_name(proto: u8) -> &'static str {
    match proto {
        ipproto::ICMP => "icmp",
        ipproto::TCP => "tcp",
        ipproto::UDP => "udp",
        ipproto::DCCP => "dccp",
        ipproto::GRE => "gre",
        ipproto::SCTP => "sctp",
        ipproto::UDPLITE => "udplite",
        ipproto::ICMPV6 => "icmpv6",
        _ => "unknown",
    }
}

/// Whether `proto` is identified by source and destination ports.
pub fn has_ports(proto: u8) -> bool {
    matches!(proto, ipproto::TCP | ipproto::UDP | ipproto::UDPLITE)
}

/// One direction of a connection.
///
/// For ICMP/ICMPv6, `sport` is the echo id and `dport` holds
/// `type << 8 | code`; other protocols without ports keep both at zero.
/// IPv4 addresses occupy the first four bytes of `src`/`dst`, the rest zero.
#[derive(Clone, Copy, Debug, Eq, Default)]
#[repr(C)]
pub struct Tuple {
    /// Source address.
    pub src: [u8; 16],
    /// Destination address.
    pub dst: [u8; 16],
    /// Source port, or ICMP id.
    pub sport: u16,
    /// Destination port, or ICMP `type << 8 | code`.
    pub dport: u16,
    /// Layer-4 protocol number.
    pub proto: u8,
    /// Layer-3 family.
    pub l3: L3,
}

// Runs for every link of a hash chain a lookup walks: the ports first (in
// one 32-bit compare; they tell most flows of a host apart), then the
// addresses as 128-bit words, not byte by byte through `bcmp` as the
// derived comparison would.
impl PartialEq for Tuple {
    #[inline]
    fn eq(&self, o: &Self) -> bool {
        let ports = |t: &Tuple| u32::from(t.sport) | u32::from(t.dport) << 16;
        ports(self) == ports(o)
            && u128::from_ne_bytes(self.dst) == u128::from_ne_bytes(o.dst)
            && u128::from_ne_bytes(self.src) == u128::from_ne_bytes(o.src)
            && self.proto == o.proto
            && self.l3 == o.l3
    }
}

// Hashes exactly the fields `eq` compares (as the derive would).
impl core::hash::Hash for Tuple {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.src.hash(h);
        self.dst.hash(h);
        self.sport.hash(h);
        self.dport.hash(h);
        self.proto.hash(h);
        self.l3.hash(h);
    }
}

impl Tuple {
    /// ICMP/ICMPv6 type (meaningful for ICMP tuples only).
    pub fn icmp_type(&self) -> u8 {
        (self.dport >> 8) as u8
    }

    /// ICMP/ICMPv6 code (meaningful for ICMP tuples only).
    pub fn icmp_code(&self) -> u8 {
        (self.dport & 0xff) as u8
    }

    /// The ICMP protocol number of this tuple's family (1 or 58).
    pub fn proto_of_icmp(&self) -> u8 {
        match self.l3 {
            L3::V4 => ipproto::ICMP,
            L3::V6 => ipproto::ICMPV6,
        }
    }

    /// Whether this is an ICMP tuple of its family (ICMP in IPv4, ICMPv6 in IPv6).
    pub fn is_icmp(&self) -> bool {
        matches!(
            (self.l3, self.proto),
            (L3::V4, ipproto::ICMP) | (L3::V6, ipproto::ICMPV6)
        )
    }

    /// The tuple of the reply direction, or `None` when the protocol has no
    /// reply for this packet (an ICMP type without a reply type).
    #[inline]
    pub fn invert(&self) -> Option<Tuple> {
        let (sport, dport) = if self.is_icmp() {
            let ty = icmp_reply_type(self.l3, self.icmp_type())?;
            (self.sport, u16::from(ty) << 8 | u16::from(self.icmp_code()))
        } else {
            (self.dport, self.sport)
        };
        Some(Tuple {
            src: self.dst,
            dst: self.src,
            sport,
            dport,
            proto: self.proto,
            l3: self.l3,
        })
    }
}

/// The reply type of an ICMP query type (`invmap[]` in nf), if it has one.
pub fn icmp_reply_type(l3: L3, ty: u8) -> Option<u8> {
    match (l3, ty) {
        // Echo, timestamp, information, address mask: request <-> reply.
        (L3::V4, 8) => Some(0),
        (L3::V4, 0) => Some(8),
        (L3::V4, 13) => Some(14),
        (L3::V4, 14) => Some(13),
        (L3::V4, 15) => Some(16),
        (L3::V4, 16) => Some(15),
        (L3::V4, 17) => Some(18),
        (L3::V4, 18) => Some(17),
        // ICMPv6 echo and node information.
        (L3::V6, 128) => Some(129),
        (L3::V6, 129) => Some(128),
        (L3::V6, 139) => Some(140),
        (L3::V6, 140) => Some(139),
        _ => None,
    }
}

/// Whether an ICMP query of type `ty` may start a new connection (`valid_new[]`).
pub fn icmp_valid_new(l3: L3, ty: u8) -> bool {
    match l3 {
        L3::V4 => matches!(ty, 8 | 13 | 15 | 17),
        L3::V6 => matches!(ty, 128 | 139),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut x = [0; 16];
        x[..4].copy_from_slice(&a);
        x
    }

    #[test]
    fn invert_ports() {
        let t = Tuple {
            src: v4([192, 0, 2, 1]),
            dst: v4([192, 0, 2, 2]),
            sport: 1234,
            dport: 53,
            proto: ipproto::UDP,
            l3: L3::V4,
        };
        let r = t.invert().unwrap();
        assert_eq!(r.src, t.dst);
        assert_eq!(r.dst, t.src);
        assert_eq!((r.sport, r.dport), (53, 1234));
        assert_eq!(r.invert().unwrap(), t);
    }

    #[test]
    fn invert_icmp_echo_keeps_id_and_maps_type() {
        let t = Tuple {
            src: v4([192, 0, 2, 1]),
            dst: v4([192, 0, 2, 2]),
            sport: 77,
            dport: 8 << 8,
            proto: ipproto::ICMP,
            l3: L3::V4,
        };
        let r = t.invert().unwrap();
        assert_eq!(r.sport, 77);
        assert_eq!(r.icmp_type(), 0);
        assert_eq!(r.icmp_code(), 0);
        assert_eq!(r.invert().unwrap(), t);
    }

    #[test]
    fn icmp_without_reply_type_has_no_inverse() {
        let mut t = Tuple {
            proto: ipproto::ICMP,
            ..Default::default()
        };
        for ty in 0..=255u8 {
            t.dport = u16::from(ty) << 8;
            assert_eq!(t.invert().is_some(), icmp_reply_type(L3::V4, ty).is_some());
        }
        t.l3 = L3::V6;
        t.proto = ipproto::ICMPV6;
        t.dport = 135 << 8; // Neighbour solicitation.
        assert!(t.invert().is_none());
        t.dport = 128 << 8;
        assert_eq!(t.invert().unwrap().icmp_type(), 129);
    }

    #[test]
    fn icmp_in_the_wrong_family_is_generic() {
        // ICMPv4's protocol number inside IPv6 is not ICMP for IPv6.
        let t = Tuple {
            l3: L3::V6,
            proto: ipproto::ICMP,
            sport: 0,
            dport: 0,
            ..Default::default()
        };
        assert!(!t.is_icmp());
        assert!(t.invert().is_some());
    }

    #[test]
    fn names() {
        assert_eq!(l4_name(17), "udp");
        assert_eq!(l4_name(58), "icmpv6");
        assert_eq!(l4_name(253), "unknown");
        assert_eq!(L3::V6.name(), "ipv6");
        assert_eq!(L3::V6.number(), 10);
    }
}
