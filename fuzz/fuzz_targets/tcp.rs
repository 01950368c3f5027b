// SPDX-License-Identifier: GPL-2.0

//! Fuzz target `tcp`: the TCP tracker driven through a sequence of
//! segments between two endpoints, as rct's hooks drive it.
//!
//! The input is decoded by [`Input`] (see its docs for the byte layout):
//! the `net.rct.tcp_*` settings and timeouts, then segments, each with its
//! sender, flags, sequence and acknowledgement numbers (absolute, or
//! relative to what the tracker has seen so the fuzzer reaches the window
//! easily), window, window-scale, SACK-permitted and SACK options, payload
//! length and the seconds elapsed before it. Each segment is encoded as a
//! TCP header and parsed back with [`tcp::parse_segment`], then handled as
//! `hooks.rs` does: it starts an entry if there is none (or the old one
//! expired or was killed), otherwise it updates the entry and its status
//! bits. The target checks that:
//!
//! - nothing panics, with overflow checks on as in the kernel;
//! - the header parses back to the fields it was built from, and is
//!   rejected exactly when its flag combination is invalid;
//! - an entry starts only from a SYN, or from an ACK when `tcp_loose` is
//!   on, in SYN_SENT or ESTABLISHED, and its first segment is accepted
//!   without ASSURED or invalid;
//! - an entry's state is always one of nf's ten, never NONE, and its name
//!   is one of `tcp_conntrack_names[]`;
//! - every timeout handed back is one of the configured values, never
//!   longer than the one of the new state: the state's own, the
//!   `max_retrans` one or the `unacknowledged` one; a lowered timeout
//!   after an invalid segment is `unacknowledged`, only for an assured
//!   entry, a FIN or RST and only when it is shorter than the time left;
//! - invalid segments and reopening SYNs leave the state alone, and
//!   ignored ones too except a SYN in SYN_SENT (retransmitted, or the
//!   simultaneous open);
//! - ASSURED is set once, by a segment that leaves the entry ESTABLISHED
//!   after a reply was seen; an entry is killed only by a RST before any
//!   reply; only a SYN reopens, and only a TIME_WAIT or CLOSE entry;
//! - window scales stay within 14 in both directions;
//! - the tracker is a function of its inputs (the same segment on a copy
//!   of the connection gives the same outcome and connection);
//! - the entry's `/proc` line carries the state name and reads back to
//!   its tuples ([`rct_fuzz::check_entry`]).
//!
//! C reference: `nf_conntrack_tcp_packet()`, `tcp_new()`, `tcp_in_window()`
//! in net/netfilter/nf_conntrack_proto_tcp.c; `nf_conntrack_in()`.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use rct_fuzz::{check_entry, records, write_steps};
use rct_proto::parse::Packet;
use rct_proto::tcp::{
    self, flag, Config, Index, Outcome, Segment, State, Status, TcpConn, Timeout, Timeouts,
    STATE_NAMES,
};
use rct_proto::track::Dir;
use rct_proto::tuple::{Tuple, L3};
use std::fmt;

/// Bytes of the settings header.
const HEADER: usize = 24;
/// Bytes of one segment record.
const RECORD: usize = 24;

/// One segment as the fuzzer describes it.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// Sent by the server (else by the client).
    from_server: bool,
    /// Seconds elapsed since the previous segment.
    elapsed: u16,
    /// TCP flag byte, any combination.
    flags: u8,
    /// Sequence number, or a signed offset from the sender's `td_end`.
    seq: u32,
    seq_relative: bool,
    /// Acknowledgement number, or a signed offset from the receiver's `td_end`.
    ack: u32,
    ack_relative: bool,
    win: u16,
    /// Window scale option (any value; the parser clamps it to 14).
    wscale: Option<u8>,
    sack_perm: bool,
    /// SACK block right edge, as an offset from the acknowledgement number.
    sack: Option<u32>,
    payload: u32,
}

/// The decoded input: tracker settings and segments.
///
/// Byte layout (missing bytes read as zero): a 24-byte header, then
/// 24-byte segment records.
///
/// - header byte 0: bit 0 `tcp_loose`, bit 1 `tcp_be_liberal`, bit 2
///   `tcp_ignore_invalid_rst`, bit 3 use the timeouts below instead of the
///   defaults; byte 1 `tcp_max_retrans`; bytes 2..24 eleven big-endian
///   16-bit timeouts in seconds: the nine states SYN_SENT to SYN_SENT2,
///   `max_retrans`, `unacknowledged`.
/// - record byte 0: bit 0 sent by the server, bit 1 relative sequence
///   number, bit 2 relative acknowledgement, bit 3 window scale option,
///   bit 4 SACK-permitted option, bit 5 SACK block; byte 1 flags; bytes
///   2..4 seconds elapsed; 4..8 sequence number; 8..12 acknowledgement;
///   12..14 window; 14 window scale; 15..19 SACK right edge (from the
///   acknowledgement); 19..23 payload length; byte 23 unused.
///
/// Its `Debug` form, which `cargo fuzz fmt` and `scripts/fuzz.sh` show,
/// has one line per step.
struct Input {
    cfg: Config,
    timeouts: Timeouts,
    steps: Vec<Step>,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!("{:?}\n{:?}", self.cfg, self.timeouts);
        write_steps(f, &head, &self.steps)
    }
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let (h, body) = records(u.bytes(u.len())?, HEADER, RECORD);
        let bits = h.u8(0);
        let cfg = Config {
            loose: bits & 1 != 0,
            be_liberal: bits & 2 != 0,
            ignore_invalid_rst: bits & 4 != 0,
            max_retrans: h.u8(1),
        };
        let mut timeouts = Timeouts::DEFAULT;
        if bits & 8 != 0 {
            let v: Vec<u32> = (0..11).map(|i| u32::from(h.u16(2 + 2 * i))).collect();
            timeouts.state[1..].copy_from_slice(&v[..9]);
            timeouts.retrans = v[9];
            timeouts.unack = v[10];
        }
        let steps = body
            .iter()
            .map(|r| {
                let b = r.u8(0);
                Step {
                    from_server: b & 1 != 0,
                    seq_relative: b & 2 != 0,
                    ack_relative: b & 4 != 0,
                    wscale: (b & 8 != 0).then(|| r.u8(14)),
                    sack_perm: b & 16 != 0,
                    sack: (b & 32 != 0).then(|| r.u32(15)),
                    flags: r.u8(1),
                    elapsed: r.u16(2),
                    seq: r.u32(4),
                    ack: r.u32(8),
                    win: r.u16(12),
                    payload: r.u32(19),
                }
            })
            .collect();
        Ok(Input {
            cfg,
            timeouts,
            steps,
        })
    }
}

/// A TCP header followed by `payload` bytes that are never read, like an
/// skb whose payload sits in page fragments.
struct Wire {
    header: Vec<u8>,
    payload: usize,
}

impl Packet for Wire {
    fn len(&self) -> usize {
        self.header.len() + self.payload
    }

    fn read<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        if off.checked_add(N)? > self.len() {
            return None;
        }
        let mut out = [0u8; N];
        for (i, b) in out.iter_mut().enumerate() {
            *b = self.header.get(off + i).copied().unwrap_or(0);
        }
        Some(out)
    }
}

/// The TCP header of a segment: ports, numbers, flags, window and the
/// options asked for, padded with NOPs to whole words.
fn encode(seq: u32, ack: u32, sack: Option<u32>, st: &Step) -> Vec<u8> {
    let mut h = vec![0x04, 0xd2, 0x00, 0x50];
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&ack.to_be_bytes());
    h.extend_from_slice(&[0, st.flags]);
    h.extend_from_slice(&st.win.to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 0]);
    if let Some(w) = st.wscale {
        h.extend_from_slice(&[3, 3, w]);
    }
    if st.sack_perm {
        h.extend_from_slice(&[4, 2]);
    }
    if let Some(right) = sack {
        h.extend_from_slice(&[5, 10]);
        h.extend_from_slice(&right.wrapping_sub(1000).to_be_bytes());
        h.extend_from_slice(&right.to_be_bytes());
    }
    while h.len() % 4 != 0 {
        h.push(1);
    }
    h[12] = ((h.len() / 4) as u8) << 4;
    h
}

/// An entry of the table, as far as the tracker is concerned.
struct Entry {
    /// The original direction was started by the server.
    orig_server: bool,
    conn: TcpConn,
    status: Status,
    /// Second at which it expires.
    deadline: u32,
}

fuzz_target!(|input: Input| run(&input));

fn run(input: &Input) {
    let (cfg, t) = (&input.cfg, &input.timeouts);
    let mut now: u32 = 0;
    let mut entry: Option<Entry> = None;
    // The line last checked: its direction and state.
    let mut checked = None;
    for (i, st) in input.steps.iter().enumerate() {
        now = now.wrapping_add(u32::from(st.elapsed));
        // A lookup does not find an expired entry (`nf_ct_is_expired()`).
        if entry
            .as_ref()
            .is_some_and(|e| e.deadline.wrapping_sub(now) as i32 <= 0)
        {
            entry = None;
        }
        // The numbers, relative to what the tracker has seen if asked.
        let seen = |server: bool| {
            entry.as_ref().map_or(tcp::Seen::default(), |e| {
                e.conn.seen[usize::from(server != e.orig_server)]
            })
        };
        let seq = st.seq.wrapping_add(if st.seq_relative {
            seen(st.from_server).td_end
        } else {
            0
        });
        let ack = st.ack.wrapping_add(if st.ack_relative {
            seen(!st.from_server).td_end
        } else {
            0
        });
        let sack = st.sack.map(|d| ack.wrapping_add(d));
        let wire = Wire {
            header: encode(seq, ack, sack, st),
            payload: st.payload as usize,
        };
        let parsed = tcp::parse_segment(&wire, 0);
        assert_eq!(
            parsed.is_some(),
            tcp::valid_flags(st.flags),
            "flags {:#x}",
            st.flags
        );
        let Some(s) = parsed else {
            // Invalid: the hook leaves the entry alone.
            continue;
        };
        let want = Segment {
            seq,
            ack,
            win: st.win,
            flags: st.flags,
            payload: st.payload,
            wscale: st.wscale.map(|w| w.min(14)),
            sack_perm: st.sack_perm,
            sack,
        };
        assert_eq!(s, want, "segment does not parse back");

        let seed = u64::from(seq) << 32 | u64::from(ack) ^ i as u64;
        entry = match entry.take() {
            None => start(&s, st.from_server, now, cfg, t),
            Some(mut e) => match update(&mut e, &s, st.from_server, now, cfg, t) {
                Outcome::Kill => None,
                Outcome::Reopen => start(&s, st.from_server, now, cfg, t),
                _ => Some(e),
            },
        };
        if let Some(e) = &entry {
            check_conn(&e.conn);
            if checked != Some((e.orig_server, e.conn.state)) {
                check_entry(&tuple(e.orig_server), Some(e.conn.state.name()), seed);
                checked = Some((e.orig_server, e.conn.state));
            }
        }
    }
}

/// The original tuple of a connection started by the client or the server.
fn tuple(orig_server: bool) -> Tuple {
    let mut t = Tuple {
        proto: 6,
        l3: L3::V4,
        sport: 1234,
        dport: 80,
        ..Default::default()
    };
    t.src[..4].copy_from_slice(&[192, 0, 2, 1]);
    t.dst[..4].copy_from_slice(&[192, 0, 2, 2]);
    if orig_server {
        t = t.invert().unwrap_or(t);
    }
    t
}

/// What holds for a connection at any time.
fn check_conn(c: &TcpConn) {
    assert_ne!(c.state, State::None, "an entry in state NONE");
    assert!(STATE_NAMES.contains(&c.state.name()));
    assert_eq!(State::from_raw(c.state as u8), c.state);
    for s in &c.seen {
        assert!(s.td_scale <= 14, "window scale {}", s.td_scale);
    }
}

/// Checks a timeout the tracker hands back for a connection now in `state`.
fn check_timeout(to: Timeout, state: State, t: &Timeouts) {
    let secs = t.get(to);
    let configured = t.state[1..].contains(&secs) || secs == t.retrans || secs == t.unack;
    assert!(configured, "{to:?} = {secs} s is not a configured timeout");
    assert!(
        secs <= t.get(Timeout::State(state)),
        "{to:?} longer than {state:?}'s"
    );
    match to {
        Timeout::State(s) => assert_eq!(s, state, "the timeout of another state"),
        Timeout::Retrans | Timeout::Unack => {}
    }
}

/// A new entry for a segment without one (`tcp_new()` and its first
/// `nf_conntrack_tcp_packet()`), as `Hooks::tcp_new` does.
fn start(s: &Segment, server: bool, now: u32, cfg: &Config, t: &Timeouts) -> Option<Entry> {
    let index = s.index();
    let may_start = index == Index::Syn || (index == Index::Ack && cfg.loose);
    let mut conn = tcp::new_conn(s, cfg);
    assert_eq!(conn.is_some(), may_start, "new_conn for {index:?}");
    let c = conn.as_mut()?;
    let out = tcp::packet(c, Dir::Original, s, Status::default(), 0, cfg, t);
    match out {
        Outcome::Accept { timeout, assure } => {
            assert!(!assure, "assured on its first segment");
            assert!(
                matches!(c.state, State::SynSent | State::Established),
                "{:?}",
                c.state
            );
            check_timeout(timeout, c.state, t);
            Some(Entry {
                orig_server: server,
                conn: *c,
                status: Status::default(),
                deadline: now.wrapping_add(t.get(timeout)),
            })
        }
        // Only a SYN of 2 GiB or more ends beyond its own window.
        Outcome::Invalid(None) if index == Index::Syn && s.payload >= i32::MAX as u32 => None,
        other => panic!("first segment: {other:?}"),
    }
}

/// Feeds a segment to an existing entry and applies the outcome as
/// `Hooks::tcp_packet` does; returns the outcome.
fn update(
    e: &mut Entry,
    s: &Segment,
    server: bool,
    now: u32,
    cfg: &Config,
    t: &Timeouts,
) -> Outcome {
    let dir = if server == e.orig_server {
        Dir::Original
    } else {
        Dir::Reply
    };
    let expires = e.deadline.wrapping_sub(now);
    let (old, st, index) = (e.conn.state, e.status, s.index());
    let mut copy = e.conn;
    let out = tcp::packet(&mut e.conn, dir, s, st, expires, cfg, t);
    let again = tcp::packet(&mut copy, dir, s, st, expires, cfg, t);
    assert_eq!((again, copy), (out, e.conn), "not a function of its inputs");

    let new = e.conn.state;
    match out {
        Outcome::Accept { timeout, assure } => {
            check_timeout(timeout, new, t);
            if assure {
                assert!(
                    st.seen_reply && !st.assured,
                    "assured twice or before a reply"
                );
                assert_eq!(new, State::Established, "assured outside ESTABLISHED");
            }
            e.deadline = now.wrapping_add(t.get(timeout));
            e.status.assured |= assure;
            e.status.seen_reply |= dir == Dir::Reply;
        }
        Outcome::Ignore => {
            let syn_in_syn_sent = index == Index::Syn && old == State::SynSent;
            assert!(
                new == old || syn_in_syn_sent,
                "ignored, yet {old:?} -> {new:?}"
            );
            e.status.seen_reply |= dir == Dir::Reply;
        }
        Outcome::Invalid(lower) => {
            assert_eq!(new, old, "invalid, yet the state changed");
            if let Some(to) = lower {
                assert_eq!(to, Timeout::Unack);
                assert!(st.assured && matches!(index, Index::Fin | Index::Rst));
                assert!(
                    t.unack < expires,
                    "lowered to {} s from {expires} s",
                    t.unack
                );
                e.deadline = now.wrapping_add(t.get(to));
            }
        }
        Outcome::Kill => {
            assert!(
                !st.seen_reply && s.flags & flag::RST != 0,
                "killed by {s:?}"
            );
        }
        Outcome::Reopen => {
            assert_eq!(index, Index::Syn, "reopened by {s:?}");
            assert!(
                matches!(old, State::TimeWait | State::Close),
                "reopened {old:?}"
            );
            assert_eq!(new, old, "reopen changed the old entry");
        }
    }
    out
}
