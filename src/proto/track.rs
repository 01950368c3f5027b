// SPDX-License-Identifier: GPL-2.0

//! Per-protocol tracking of UDP, ICMP/ICMPv6 and other protocols: what a
//! packet does to its entry's timeout and status.
//!
//! The decisions are nf_conntrack's. UDP: 30 s (`udp_timeout`) until a reply
//! has been seen and the flow is still alive 2 s after it started; then 120 s
//! (`udp_timeout_stream`) and ASSURED. ICMP: only queries that have a reply
//! type start an entry; each packet refreshes `icmp_timeout` (30 s).
//! Everything else: `generic_timeout` (600 s). TCP is tracked as
//! generic-with-ports until its own tracker lands.
//!
//! C reference: `nf_conntrack_udp_packet()`, `nf_conntrack_icmp_packet()`,
//! `nf_conntrack_icmpv6_packet()`, `generic_packet()`.

use super::tuple::{icmp_valid_new, ipproto, Tuple, L3};

/// Status bits, numbered as nf's `enum ip_conntrack_status`.
pub mod status {
    /// A packet has been seen in the reply direction.
    pub const SEEN_REPLY: u32 = 1 << 1;
    /// The entry is assured: early drop does not evict it.
    pub const ASSURED: u32 = 1 << 2;
    /// The entry is in the table.
    pub const CONFIRMED: u32 = 1 << 3;
    /// The entry is being removed.
    pub const DYING: u32 = 1 << 9;
}

/// Direction of a packet relative to the entry's original tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Dir {
    /// Same direction as the packet that created the entry.
    Original = 0,
    /// The other direction.
    Reply = 1,
}

/// Which tracker handles a tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// UDP and UDP-Lite.
    Udp,
    /// ICMP in IPv4, ICMPv6 in IPv6.
    Icmp,
    /// Any other protocol (for now including TCP, with ports).
    Generic,
}

impl Proto {
    /// The tracker for `t`.
    pub fn of(t: &Tuple) -> Proto {
        if t.is_icmp() {
            Proto::Icmp
        } else if matches!(t.proto, ipproto::UDP | ipproto::UDPLITE) {
            Proto::Udp
        } else {
            Proto::Generic
        }
    }
}

/// Which timeout sysctl applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// `udp_timeout`.
    Udp,
    /// `udp_timeout_stream`.
    UdpStream,
    /// `icmp_timeout`.
    Icmp,
    /// `icmpv6_timeout`.
    Icmpv6,
    /// `generic_timeout`.
    Generic,
}

/// Timeout values in seconds, one per [`Timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// `udp_timeout`.
    pub udp: u32,
    /// `udp_timeout_stream`.
    pub udp_stream: u32,
    /// `icmp_timeout`.
    pub icmp: u32,
    /// `icmpv6_timeout`.
    pub icmpv6: u32,
    /// `generic_timeout`.
    pub generic: u32,
}

impl Timeouts {
    /// nf_conntrack's defaults.
    pub const DEFAULT: Timeouts = Timeouts {
        udp: 30,
        udp_stream: 120,
        icmp: 30,
        icmpv6: 30,
        generic: 600,
    };

    /// The value for `t`, in seconds.
    pub fn get(&self, t: Timeout) -> u32 {
        match t {
            Timeout::Udp => self.udp,
            Timeout::UdpStream => self.udp_stream,
            Timeout::Icmp => self.icmp,
            Timeout::Icmpv6 => self.icmpv6,
            Timeout::Generic => self.generic,
        }
    }
}

/// What a valid packet does to its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Update {
    /// Refresh the timeout to this value.
    pub timeout: Timeout,
    /// Set ASSURED.
    pub assure: bool,
}

/// `time_after(a, b)` on wrapping 32-bit tick counters.
pub fn time_after(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

/// Decides what a packet does to its entry.
///
/// `orig` is the entry's original tuple, `status` its status bits before
/// this packet, `now` the current tick and `stream_at` the tick after which
/// a replied UDP flow counts as a stream (creation + 2 s). `None` means the
/// packet is invalid for this entry (nf returns `-NF_ACCEPT`): it is
/// counted as invalid, and a new entry is discarded.
pub fn packet(orig: &Tuple, status: u32, now: u32, stream_at: u32) -> Option<Update> {
    match Proto::of(orig) {
        Proto::Udp => {
            let mut u = Update {
                timeout: Timeout::Udp,
                assure: false,
            };
            // Ticks are 32 bits wide, so `time_after(now, stream_at)` turns
            // false again 2^31 ticks after the flow started (24.8 days at
            // HZ=1000), where nf's 64-bit jiffies never wrap. An assured
            // flow has passed `stream_at` already, so it stays a stream. A
            // flow first replied to that late becomes one only after the
            // next wrap, as with nf on a 32-bit kernel.
            let old_enough = status & status::ASSURED != 0 || time_after(now, stream_at);
            if status & status::SEEN_REPLY != 0 && old_enough {
                u.timeout = Timeout::UdpStream;
                u.assure = status & status::ASSURED == 0;
            }
            Some(u)
        }
        Proto::Icmp => {
            if !icmp_valid_new(orig.l3, orig.icmp_type()) {
                return None;
            }
            let timeout = match orig.l3 {
                L3::V4 => Timeout::Icmp,
                L3::V6 => Timeout::Icmpv6,
            };
            Some(Update {
                timeout,
                assure: false,
            })
        }
        Proto::Generic => Some(Update {
            timeout: Timeout::Generic,
            assure: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp() -> Tuple {
        Tuple {
            proto: ipproto::UDP,
            sport: 1,
            dport: 2,
            ..Default::default()
        }
    }

    #[test]
    fn udp_unreplied_then_stream() {
        let t = udp();
        let start = 1000;
        let stream_at = start + 2 * 250;
        // First packet, and replies within the first two seconds: 30 s.
        assert_eq!(
            packet(&t, 0, start, stream_at).unwrap().timeout,
            Timeout::Udp
        );
        let u = packet(&t, status::SEEN_REPLY, start + 100, stream_at).unwrap();
        assert_eq!((u.timeout, u.assure), (Timeout::Udp, false));
        // Without a reply the flow never becomes a stream.
        let u = packet(&t, 0, start + 10_000, stream_at).unwrap();
        assert_eq!((u.timeout, u.assure), (Timeout::Udp, false));
        // Replied and still alive after two seconds: stream, assured once.
        let u = packet(&t, status::SEEN_REPLY, stream_at + 1, stream_at).unwrap();
        assert_eq!((u.timeout, u.assure), (Timeout::UdpStream, true));
        let u = packet(
            &t,
            status::SEEN_REPLY | status::ASSURED,
            stream_at + 9,
            stream_at,
        )
        .unwrap();
        assert_eq!((u.timeout, u.assure), (Timeout::UdpStream, false));
    }

    #[test]
    fn assured_udp_stream_outlives_the_tick_wrap() {
        // Caught by the `track` fuzz target (seed r-udp-stream-lives-99-days):
        // a stream refreshed for more than 2^31 ticks fell back to
        // `udp_timeout`.
        let start = 1000u32;
        let stream_at = start + 2 * 250;
        let now = stream_at.wrapping_add(1 << 31).wrapping_add(10);
        assert!(!time_after(now, stream_at));
        let st = status::SEEN_REPLY | status::ASSURED;
        let u = packet(&udp(), st, now, stream_at).unwrap();
        assert_eq!((u.timeout, u.assure), (Timeout::UdpStream, false));
        // A first reply that late waits for the next wrap (a documented limit).
        let u = packet(&udp(), status::SEEN_REPLY, now, stream_at).unwrap();
        assert_eq!((u.timeout, u.assure), (Timeout::Udp, false));
    }

    #[test]
    fn udp_stream_check_survives_tick_wraparound() {
        let stream_at = 100u32;
        let now = u32::MAX - 5; // Before the wrap, so not yet after `stream_at`.
        assert!(!time_after(now, stream_at));
        assert!(time_after(stream_at, now));
        let u = packet(&udp(), status::SEEN_REPLY, now, stream_at).unwrap();
        assert_eq!(u.timeout, Timeout::Udp);
    }

    #[test]
    fn icmp_only_queries_start_entries() {
        let mut t = Tuple {
            proto: ipproto::ICMP,
            ..Default::default()
        };
        for ty in 0..=255u8 {
            t.dport = u16::from(ty) << 8;
            let ok = matches!(ty, 8 | 13 | 15 | 17);
            assert_eq!(packet(&t, 0, 0, 0).is_some(), ok, "type {ty}");
        }
        t.l3 = L3::V6;
        t.proto = ipproto::ICMPV6;
        t.dport = 128 << 8;
        assert_eq!(packet(&t, 0, 0, 0).unwrap().timeout, Timeout::Icmpv6);
        t.dport = 129 << 8;
        assert!(packet(&t, 0, 0, 0).is_none());
    }

    #[test]
    fn other_protocols_are_generic() {
        let t = Tuple {
            proto: 253,
            ..Default::default()
        };
        assert_eq!(packet(&t, 0, 0, 0).unwrap().timeout, Timeout::Generic);
        let t = Tuple {
            proto: ipproto::TCP,
            ..Default::default()
        };
        assert_eq!(Proto::of(&t), Proto::Generic);
        assert_eq!(Timeouts::DEFAULT.get(Timeout::Generic), 600);
        assert_eq!(Timeouts::DEFAULT.get(Timeout::UdpStream), 120);
    }
}
