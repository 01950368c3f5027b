// SPDX-License-Identifier: GPL-2.0

//! Fuzz target `track`: UDP, UDP-Lite, ICMP, ICMPv6 and generic tracking
//! of one flow over time, as rct's hooks do it.
//!
//! The input is decoded by [`Input`] (see its docs for the byte layout): a
//! tuple as the parser produces it, the timeout settings, the jiffies
//! counter at the start (it wraps, and the kernel starts it 5 minutes
//! before the wrap) and packets, each in the original or reply direction
//! after some ticks. A packet without a live entry starts one, with its own
//! tuple as the original, when [`track::packet`] allows; otherwise it
//! updates the entry. The target checks that:
//!
//! - nothing panics, with overflow checks on as in the kernel;
//! - only flows with a reply tuple start entries, and among ICMP flows
//!   only queries (echo, timestamp, information, address mask, node
//!   information requests);
//! - the timeout is the protocol's: `udp_timeout` or `udp_timeout_stream`,
//!   `icmp_timeout` in IPv4 and `icmpv6_timeout` in IPv6, `generic_timeout`
//!   otherwise (TCP, with its own tracker, is not driven here);
//! - a UDP flow is a stream exactly when a reply has been seen and it has
//!   lived more than 2 s, and an assured one stays a stream however long
//!   it lives (the 32-bit tick counter wraps after 2^31 ticks; only a flow
//!   first replied to after that waits for the next wrap, as on nf with
//!   32-bit jiffies); it becomes ASSURED then, once; no other flow is ever
//!   assured;
//! - `time_after` is irreflexive and antisymmetric (but for ticks exactly
//!   2^31 apart, as the kernel's);
//! - the entry's `/proc` line reads back to its tuples
//!   ([`rct_fuzz::check_entry`]).
//!
//! C reference: `nf_conntrack_udp_packet()`, `nf_conntrack_icmp_packet()`,
//! `nf_conntrack_icmpv6_packet()`, `generic_packet()`; `nf_conntrack_in()`.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use rct_fuzz::{check_entry, records, write_steps};
use rct_proto::track::{self, status, time_after, Timeout, Timeouts};
use rct_proto::tuple::{Tuple, L3};
use std::fmt;

/// Ticks per second (the guest kernel's `CONFIG_HZ` does not matter here).
const HZ: u32 = 250;
/// Bytes of the header.
const HEADER: usize = 32;
/// Bytes of one packet record.
const RECORD: usize = 4;

/// One packet: its direction and the ticks since the previous one.
#[derive(Clone, Copy, Debug)]
struct Step {
    reply: bool,
    elapsed: u32,
}

/// The decoded input.
///
/// Byte layout (missing bytes read as zero): a 32-byte header, then
/// 4-byte packet records.
///
/// - header byte 0: bit 0 IPv6, bit 1 use the timeouts below instead of
///   the defaults; byte 1 protocol; bytes 2..4 source port or ICMP id;
///   4..6 destination port or ICMP type and code; 6..10 and 10..14 the
///   last four bytes of the source and destination addresses; 14..24 five
///   big-endian 16-bit timeouts in seconds (`udp`, `udp_stream`, `icmp`,
///   `icmpv6`, `generic`); 24..28 the tick counter at the start.
/// - record byte 0: bit 0 reply direction; bytes 1..4 ticks elapsed.
///
/// Its `Debug` form, which `cargo fuzz fmt` and `scripts/fuzz.sh` show,
/// has one line per step.
struct Input {
    tuple: Tuple,
    timeouts: Timeouts,
    start: u32,
    steps: Vec<Step>,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!(
            "{:?}\n{:?}, start at tick {}",
            self.tuple, self.timeouts, self.start
        );
        write_steps(f, &head, &self.steps)
    }
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let (h, body) = records(u.bytes(u.len())?, HEADER, RECORD);
        let l3 = if h.u8(0) & 1 != 0 { L3::V6 } else { L3::V4 };
        let mut t = Tuple {
            l3,
            proto: h.u8(1),
            sport: h.u16(2),
            dport: h.u16(4),
            ..Default::default()
        };
        // As the parser makes them: IPv4 in the first four bytes, IPv6
        // addresses in 2001:db8::/32, no ports for portless protocols.
        let at = match l3 {
            L3::V4 => 0,
            L3::V6 => 12,
        };
        for i in 0..4 {
            t.src[at + i] = h.u8(6 + i);
            t.dst[at + i] = h.u8(10 + i);
        }
        if l3 == L3::V6 {
            t.src[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            t.dst[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        }
        if !matches!(t.proto, 6 | 17 | 136) && !t.is_icmp() {
            (t.sport, t.dport) = (0, 0);
        }
        let mut timeouts = Timeouts::DEFAULT;
        if h.u8(0) & 2 != 0 {
            let v = |i: usize| u32::from(h.u16(14 + 2 * i));
            timeouts = Timeouts {
                udp: v(0),
                udp_stream: v(1),
                icmp: v(2),
                icmpv6: v(3),
                generic: v(4),
            };
        }
        let start = h.u32(24);
        let steps = body
            .iter()
            .map(|r| Step {
                reply: r.u8(0) & 1 != 0,
                elapsed: r.u32(0) & 0x00ff_ffff,
            })
            .collect();
        Ok(Input {
            tuple: t,
            timeouts,
            start,
            steps,
        })
    }
}

/// A live entry.
struct Entry {
    orig: Tuple,
    status: u32,
    /// Tick of its first packet, as the kernel stores it (32 bits).
    born: u32,
    /// The same on a clock that does not wrap.
    born64: u64,
    deadline: u32,
}

fuzz_target!(|input: Input| run(&input));

fn run(input: &Input) {
    // TCP has its own target; the hooks never call `track::packet` for it.
    if input.tuple.proto == 6 {
        return;
    }
    let t = &input.timeouts;
    let mut now = input.start;
    let mut now64 = u64::from(now);
    let mut entry: Option<Entry> = None;
    for (i, st) in input.steps.iter().enumerate() {
        now = now.wrapping_add(st.elapsed);
        now64 += u64::from(st.elapsed);
        check_time_after(now, input.start);
        if entry.as_ref().is_some_and(|e| !time_after(e.deadline, now)) {
            entry = None;
        }
        // The packet's tuple: the flow's first tuple or its inverse.
        let tuple = match (st.reply, input.tuple.invert()) {
            (true, Some(r)) => r,
            _ => input.tuple,
        };
        entry = match entry.take() {
            None => {
                let e = start(&tuple, now, now64, t);
                // The tuples of an entry never change: check them once.
                if let Some(e) = &e {
                    check_entry(&e.orig, None, u64::from(now) << 8 | i as u64);
                }
                e
            }
            Some(mut e) => {
                let reply = tuple != e.orig;
                update(&mut e, reply, now, now64, t);
                Some(e)
            }
        };
        if let Some(e) = &entry {
            assert!(e.status & status::ASSURED == 0 || e.status & status::SEEN_REPLY != 0);
        }
    }
}

/// `time_after` never holds both ways, except for ticks exactly 2^31 apart,
/// where the kernel's `time_after()` is true both ways as well.
fn check_time_after(a: u32, b: u32) {
    assert!(!time_after(a, a));
    let both = time_after(a, b) && time_after(b, a);
    assert!(
        !both || a.wrapping_sub(b) == 1 << 31,
        "time_after({a}, {b}) both ways"
    );
}

/// Whether an ICMP type is a query that has a reply (RFC 792, 4443, 4620).
fn icmp_query(l3: L3, ty: u8) -> bool {
    match l3 {
        L3::V4 => matches!(ty, 8 | 13 | 15 | 17),
        L3::V6 => matches!(ty, 128 | 139),
    }
}

/// The timeout sysctl of a flow of `orig` that is (not) a stream.
fn protocol_timeout(orig: &Tuple, stream: bool) -> Timeout {
    match (orig.l3, orig.proto) {
        (_, 17 | 136) if stream => Timeout::UdpStream,
        (_, 17 | 136) => Timeout::Udp,
        (L3::V4, 1) => Timeout::Icmp,
        (L3::V6, 58) => Timeout::Icmpv6,
        _ => Timeout::Generic,
    }
}

/// A new entry for the first packet of a flow, as `Hooks::new_entry` does.
fn start(tuple: &Tuple, now: u32, now64: u64, t: &Timeouts) -> Option<Entry> {
    let stream_at = now.wrapping_add(2 * HZ);
    let u = track::packet(tuple, 0, now, stream_at);
    tuple.invert()?;
    let may_start = !tuple.is_icmp() || icmp_query(tuple.l3, tuple.icmp_type());
    assert_eq!(u.is_some(), may_start, "start {tuple:?}: {u:?}");
    let u = u?;
    assert_eq!(u.timeout, protocol_timeout(tuple, false));
    assert!(!u.assure, "assured by its first packet");
    Some(Entry {
        orig: *tuple,
        status: 0,
        born: now,
        born64: now64,
        deadline: now.wrapping_add(t.get(u.timeout).saturating_mul(HZ)),
    })
}

/// A later packet of the entry's flow, as `Hooks::conntrack_in` applies it.
fn update(e: &mut Entry, reply: bool, now: u32, now64: u64, t: &Timeouts) {
    let stream_at = e.born.wrapping_add(2 * HZ);
    check_time_after(now, stream_at);
    let u = track::packet(&e.orig, e.status, now, stream_at);
    // The entry exists, so its flow may have packets.
    let u = u.unwrap_or_else(|| panic!("packet refused for {:?}", e.orig));
    // A stream is a flow replied to and older than 2 s, on a clock that
    // does not wrap. rct's ticks are 32 bits: a flow first replied to more
    // than 2^31 ticks after it started waits for the next wrap (as nf on a
    // 32-bit kernel); one assured before stays a stream.
    let age = now64 - e.born64;
    let old_enough = age > u64::from(2 * HZ);
    let wrapped = old_enough && !time_after(now, stream_at);
    let assured = e.status & status::ASSURED != 0;
    let stream = e.status & status::SEEN_REPLY != 0 && old_enough && (assured || !wrapped);
    let udp = matches!(e.orig.proto, 17 | 136);
    let status = e.status;
    let want = protocol_timeout(&e.orig, stream && udp);
    assert_eq!(u.timeout, want, "age {age} ticks, status {status:#x}");
    let first_assure = udp && stream && e.status & status::ASSURED == 0;
    assert_eq!(u.assure, first_assure, "assure at age {age}: {u:?}");
    e.deadline = now.wrapping_add(t.get(u.timeout).saturating_mul(HZ));
    if u.assure {
        e.status |= status::ASSURED;
    }
    if reply {
        e.status |= status::SEEN_REPLY;
    }
}
