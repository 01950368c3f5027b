// SPDX-License-Identifier: GPL-2.0

//! One `/proc/net/rct_conntrack` line, in `/proc/net/nf_conntrack`'s layout.
//!
//! ```text
//! ipv4     2 udp      17 29 src=192.0.2.1 dst=192.0.2.2 sport=5000 dport=53 [UNREPLIED] src=192.0.2.2 dst=192.0.2.1 sport=53 dport=5000 mark=0 zone=0 use=1
//! ```
//!
//! Family name and number, protocol name and number, seconds left, the
//! protocol's state (TCP), the original tuple, its counters (with
//! accounting on), `[UNREPLIED]`, the reply tuple, its counters, `[ASSURED]`,
//! mark, zone and use count. IPv6 addresses are written in full, as `%pI6` does.
//!
//! C reference: `ct_seq_show()` in net/netfilter/nf_conntrack_standalone.c,
//! `print_tuple()`.

use super::track::status;
use super::tuple::{has_ports, l4_name, Tuple, L3};
use core::fmt::{self, Write};

/// Packets and bytes seen in one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    /// Packets.
    pub packets: u64,
    /// Bytes (IP header included, as `skb->len`).
    pub bytes: u64,
}

/// Everything one line shows.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// Original-direction tuple.
    pub orig: &'a Tuple,
    /// Reply-direction tuple.
    pub reply: &'a Tuple,
    /// Whole seconds until the entry expires (0 when overdue).
    pub secs_left: u64,
    /// Protocol state name (TCP), if the protocol has states.
    pub state: Option<&'a str>,
    /// Status bits (see [`status`]).
    pub status: u32,
    /// Per-direction counters, when accounting is on.
    pub acct: Option<[Counter; 2]>,
    /// Connection mark.
    pub mark: u32,
    /// Zone id.
    pub zone: u16,
    /// Reference count.
    pub use_count: u32,
}

fn write_addr<W: Write>(w: &mut W, l3: L3, a: &[u8; 16]) -> fmt::Result {
    match l3 {
        L3::V4 => write!(w, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        L3::V6 => {
            for (i, pair) in a.chunks_exact(2).enumerate() {
                if i > 0 {
                    w.write_char(':')?;
                }
                if let [hi, lo] = pair {
                    write!(w, "{hi:02x}{lo:02x}")?;
                }
            }
            Ok(())
        }
    }
}

fn write_tuple<W: Write>(w: &mut W, t: &Tuple) -> fmt::Result {
    w.write_str("src=")?;
    write_addr(w, t.l3, &t.src)?;
    w.write_str(" dst=")?;
    write_addr(w, t.l3, &t.dst)?;
    w.write_char(' ')?;
    if has_ports(t.proto) {
        write!(w, "sport={} dport={} ", t.sport, t.dport)
    } else if t.is_icmp() {
        write!(
            w,
            "type={} code={} id={} ",
            t.icmp_type(),
            t.icmp_code(),
            t.sport
        )
    } else {
        Ok(())
    }
}

fn write_acct<W: Write>(w: &mut W, c: Option<&Counter>) -> fmt::Result {
    match c {
        Some(c) => write!(w, "packets={} bytes={} ", c.packets, c.bytes),
        None => Ok(()),
    }
}

/// Writes `l` as one line, with the trailing newline.
pub fn write_line<W: Write>(w: &mut W, l: &Line<'_>) -> fmt::Result {
    let t = l.orig;
    // The protocol name comes from the tracker: ICMP inside the wrong family
    // is tracked generically, so it is "unknown" like any other protocol.
    let name = if has_ports(t.proto) || t.is_icmp() {
        l4_name(t.proto)
    } else {
        "unknown"
    };
    write!(
        w,
        "{:<8} {} {:<8} {} {} ",
        t.l3.name(),
        t.l3.number(),
        name,
        t.proto,
        l.secs_left
    )?;
    if let Some(s) = l.state {
        write!(w, "{s} ")?;
    }
    write_tuple(w, t)?;
    write_acct(w, l.acct.as_ref().map(|a| &a[0]))?;
    if l.status & status::SEEN_REPLY == 0 {
        w.write_str("[UNREPLIED] ")?;
    }
    write_tuple(w, l.reply)?;
    write_acct(w, l.acct.as_ref().map(|a| &a[1]))?;
    if l.status & status::ASSURED != 0 {
        w.write_str("[ASSURED] ")?;
    }
    writeln!(w, "mark={} zone={} use={}", l.mark, l.zone, l.use_count)
}

#[cfg(test)]
mod tests {
    use super::super::tuple::ipproto;
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut x = [0; 16];
        x[..4].copy_from_slice(&a);
        x
    }

    fn render(l: &Line<'_>) -> String {
        let mut s = String::new();
        write_line(&mut s, l).unwrap();
        s
    }

    #[test]
    fn udp_unreplied_matches_nf() {
        let o = Tuple {
            src: v4([127, 0, 0, 1]),
            dst: v4([127, 0, 0, 1]),
            sport: 51873,
            dport: 53,
            proto: ipproto::UDP,
            l3: L3::V4,
        };
        let r = o.invert().unwrap();
        let s = render(&Line {
            orig: &o,
            reply: &r,
            secs_left: 2,
            state: None,
            status: status::CONFIRMED,
            acct: None,
            mark: 0,
            zone: 0,
            use_count: 2,
        });
        assert_eq!(
            s,
            "ipv4     2 udp      17 2 src=127.0.0.1 dst=127.0.0.1 sport=51873 dport=53 \
             [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=53 dport=51873 mark=0 zone=0 use=2\n"
        );
    }

    #[test]
    fn tcp_state_acct_and_assured() {
        let o = Tuple {
            src: v4([192, 0, 2, 36]),
            dst: v4([192, 0, 2, 59]),
            sport: 58292,
            dport: 22,
            proto: ipproto::TCP,
            l3: L3::V4,
        };
        let r = o.invert().unwrap();
        let s = render(&Line {
            orig: &o,
            reply: &r,
            secs_left: 299,
            state: Some("ESTABLISHED"),
            status: status::SEEN_REPLY | status::ASSURED | status::CONFIRMED,
            acct: Some([
                Counter {
                    packets: 3,
                    bytes: 180,
                },
                Counter {
                    packets: 2,
                    bytes: 120,
                },
            ]),
            mark: 7,
            zone: 0,
            use_count: 1,
        });
        assert_eq!(
            s,
            "ipv4     2 tcp      6 299 ESTABLISHED src=192.0.2.36 dst=192.0.2.59 sport=58292 \
             dport=22 packets=3 bytes=180 src=192.0.2.59 dst=192.0.2.36 sport=22 dport=58292 \
             packets=2 bytes=120 [ASSURED] mark=7 zone=0 use=1\n"
        );
    }

    #[test]
    fn icmpv6_full_addresses() {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        let mut b = a;
        a[15] = 1;
        b[15] = 2;
        let o = Tuple {
            src: a,
            dst: b,
            sport: 0x1234,
            dport: 128 << 8,
            proto: ipproto::ICMPV6,
            l3: L3::V6,
        };
        let r = o.invert().unwrap();
        let s = render(&Line {
            orig: &o,
            reply: &r,
            secs_left: 29,
            state: None,
            status: status::SEEN_REPLY,
            acct: None,
            mark: 0,
            zone: 0,
            use_count: 1,
        });
        assert_eq!(
            s,
            "ipv6     10 icmpv6   58 29 src=2001:0db8:0000:0000:0000:0000:0000:0001 \
             dst=2001:0db8:0000:0000:0000:0000:0000:0002 type=128 code=0 id=4660 \
             src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 \
             type=129 code=0 id=4660 mark=0 zone=0 use=1\n"
        );
    }

    #[test]
    fn generic_protocol() {
        let o = Tuple {
            src: v4([192, 0, 2, 1]),
            dst: v4([192, 0, 2, 2]),
            proto: 253,
            ..Default::default()
        };
        let r = o.invert().unwrap();
        let s = render(&Line {
            orig: &o,
            reply: &r,
            secs_left: 599,
            state: None,
            status: 0,
            acct: None,
            mark: 0,
            zone: 0,
            use_count: 1,
        });
        assert_eq!(
            s,
            "ipv4     2 unknown  253 599 src=192.0.2.1 dst=192.0.2.2 [UNREPLIED] \
             src=192.0.2.2 dst=192.0.2.1 mark=0 zone=0 use=1\n"
        );
    }
}
