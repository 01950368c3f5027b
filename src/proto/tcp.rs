// SPDX-License-Identifier: GPL-2.0

//! TCP connection tracking: nf_conntrack's state machine and window
//! tracking, as pure functions over a per-connection [`TcpConn`].
//!
//! The transition table, the window rules (`tcp_in_window()`), the
//! treatment of ignored and invalid segments, reopening from TIME_WAIT and
//! the timeout choice follow net/netfilter/nf_conntrack_proto_tcp.c, so a
//! ruleset sees the same states from rct as from nf_conntrack. Sequence
//! numbers use wrapping arithmetic (`before()`/`after()`); nothing here can
//! panic on packet data.
//!
//! C reference: net/netfilter/nf_conntrack_proto_tcp.c,
//! include/uapi/linux/netfilter/nf_conntrack_tcp.h.

use super::parse::Packet;
use super::track::Dir;

/// TCP connection states, numbered as nf's `enum tcp_conntrack`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum State {
    /// Initial state.
    #[default]
    None = 0,
    /// SYN seen.
    SynSent = 1,
    /// SYN/ACK seen.
    SynRecv = 2,
    /// ACK after SYN/ACK seen.
    Established = 3,
    /// FIN seen.
    FinWait = 4,
    /// ACK of the first FIN seen.
    CloseWait = 5,
    /// FIN seen in both directions.
    LastAck = 6,
    /// Last ACK seen.
    TimeWait = 7,
    /// Closed (RST).
    Close = 8,
    /// SYN from the reply direction (simultaneous open).
    SynSent2 = 9,
}

/// State names as `/proc/net/nf_conntrack` prints them (`tcp_conntrack_names[]`).
pub const STATE_NAMES: [&str; 10] = [
    "NONE",
    "SYN_SENT",
    "SYN_RECV",
    "ESTABLISHED",
    "FIN_WAIT",
    "CLOSE_WAIT",
    "LAST_ACK",
    "TIME_WAIT",
    "CLOSE",
    "SYN_SENT2",
];

const STATES: [State; 10] = [
    State::None,
    State::SynSent,
    State::SynRecv,
    State::Established,
    State::FinWait,
    State::CloseWait,
    State::LastAck,
    State::TimeWait,
    State::Close,
    State::SynSent2,
];

impl State {
    /// nf's name of the state.
    pub fn name(self) -> &'static str {
        STATE_NAMES.get(self as usize).copied().unwrap_or("NONE")
    }

    fn from_u8(v: u8) -> Option<State> {
        STATES.get(usize::from(v)).copied()
    }

    /// The state numbered `v`, or `None` (the state) for unknown values.
    pub fn from_raw(v: u8) -> State {
        Self::from_u8(v).unwrap_or(State::None)
    }

    /// Whether early drop may evict a connection in this state even if it
    /// is assured (`tcp_can_early_drop()`): it is closing anyway.
    pub fn closing(self) -> bool {
        matches!(
            self,
            State::FinWait | State::LastAck | State::TimeWait | State::Close | State::CloseWait
        )
    }
}

/// Which flags a segment carries, for the transition table (`enum tcp_bit_set`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Index {
    /// SYN without ACK.
    Syn = 0,
    /// SYN and ACK.
    SynAck = 1,
    /// FIN (without RST/SYN).
    Fin = 2,
    /// ACK only.
    Ack = 3,
    /// RST.
    Rst = 4,
    /// None of the above.
    None = 5,
}

/// TCP header flag bits.
pub mod flag {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR.
    pub const CWR: u8 = 0x80;
}

/// Per-direction tracking flags (`IP_CT_TCP_FLAG_*`).
pub mod tflag {
    /// The sender sent the window scale option.
    pub const WINDOW_SCALE: u8 = 0x01;
    /// SACK is permitted.
    pub const SACK_PERM: u8 = 0x02;
    /// This side sent the first FIN.
    pub const CLOSE_INIT: u8 = 0x04;
    /// Window checks are off for this side.
    pub const BE_LIBERAL: u8 = 0x08;
    /// Data sent but not yet acknowledged.
    pub const DATA_UNACKNOWLEDGED: u8 = 0x10;
    /// `td_maxack` is valid.
    pub const MAXACK_SET: u8 = 0x20;
    /// An RFC 5961 challenge ACK may follow (in `last_flags`).
    pub const EXP_CHALLENGE_ACK: u8 = 0x40;
    /// Simultaneous open seen (in `last_flags`).
    pub const SIMULTANEOUS_OPEN: u8 = 0x80;
}

// Transition table entries: a state, or invalid / ignore.
const IV: u8 = 10;
const IG: u8 = 11;
const SS: u8 = State::SynSent as u8;
const SR: u8 = State::SynRecv as u8;
const ES: u8 = State::Established as u8;
const FW: u8 = State::FinWait as u8;
const CW: u8 = State::CloseWait as u8;
const LA: u8 = State::LastAck as u8;
const TW: u8 = State::TimeWait as u8;
const CL: u8 = State::Close as u8;
const S2: u8 = State::SynSent2 as u8;

/// `tcp_conntracks[dir][index][state]`, columns in state order
/// NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK,
/// TIME_WAIT, CLOSE, SYN_SENT2. See nf's comments for each transition.
const TABLE: [[[u8; 10]; 6]; 2] = [
    [
        // Original direction.
        /* syn    */ [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
        /* synack */ [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
        /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        /* ack    */ [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
        /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        /* none   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ],
    [
        // Reply direction.
        /* syn    */ [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
        /* synack */ [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
        /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        /* ack    */ [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
        /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        /* none   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ],
];

/// Looks up the transition table: `Some(Ok(state))`, `Some(Err(()))` for
/// ignore, `None` for invalid.
fn transition(dir: Dir, index: Index, from: State) -> Option<Result<State, ()>> {
    let v = *TABLE
        .get(dir as usize)?
        .get(index as usize)?
        .get(from as usize)?;
    match v {
        IG => Some(Err(())),
        IV => None,
        s => State::from_u8(s).map(Ok),
    }
}

/// `before(a, b)` on sequence numbers.
pub fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `after(a, b)` on sequence numbers.
pub fn after(a: u32, b: u32) -> bool {
    before(b, a)
}

/// The parts of a TCP segment the tracker looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Raw window field.
    pub win: u16,
    /// Flag byte.
    pub flags: u8,
    /// Payload bytes.
    pub payload: u32,
    /// Window scale option, if present (clamped to 14).
    pub wscale: Option<u8>,
    /// SACK-permitted option present.
    pub sack_perm: bool,
    /// Highest right edge of the SACK blocks, if any.
    pub sack: Option<u32>,
}

impl Segment {
    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// The transition-table index of the segment (`get_conntrack_index()`).
    pub fn index(&self) -> Index {
        if self.has(flag::RST) {
            Index::Rst
        } else if self.has(flag::SYN) {
            if self.has(flag::ACK) {
                Index::SynAck
            } else {
                Index::Syn
            }
        } else if self.has(flag::FIN) {
            Index::Fin
        } else if self.has(flag::ACK) {
            Index::Ack
        } else {
            Index::None
        }
    }

    /// Sequence number after the segment (`segment_seq_plus_len()`).
    pub fn end(&self) -> u32 {
        self.seq
            .wrapping_add(self.payload)
            .wrapping_add(u32::from(self.has(flag::SYN)))
            .wrapping_add(u32::from(self.has(flag::FIN)))
    }
}

/// Whether a flag combination is acceptable (`tcp_valid_flags[]`; PSH, ECE
/// and CWR are always allowed).
pub fn valid_flags(flags: u8) -> bool {
    use flag::*;
    let f = flags & !(ECE | CWR | PSH);
    matches!(
        f,
        SYN | 0x22 /* SYN|URG */
            | 0x12 /* SYN|ACK */
            | RST
            | 0x14 /* RST|ACK */
            | 0x11 /* FIN|ACK */
            | 0x31 /* FIN|ACK|URG */
            | ACK
            | 0x30 /* ACK|URG */
    )
}

/// Longest TCP option area (60-byte header minus the fixed 20).
const MAX_OPTIONS: usize = 40;

/// Parses the TCP header at `off` of `p` (`tcp_error()` and the option
/// walks of `tcp_options()`/`tcp_sack()`). `None`: truncated, malformed or
/// an invalid flag combination, which nf counts as invalid.
pub fn parse_segment<P: Packet + ?Sized>(p: &P, off: usize) -> Option<Segment> {
    let h: [u8; 20] = p.read(off)?;
    let doff = usize::from(h[12] >> 4) * 4;
    let tcplen = p.len().checked_sub(off)?;
    if doff < 20 || tcplen < doff {
        return None;
    }
    let flags = h[13];
    if !valid_flags(flags) {
        return None;
    }
    let mut s = Segment {
        seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        win: u16::from_be_bytes([h[14], h[15]]),
        flags,
        payload: u32::try_from(tcplen - doff).ok()?,
        ..Default::default()
    };
    let olen = doff - 20;
    // nf's fast path (`tcp_sack()`): the aligned timestamp option alone
    // (NOP, NOP, TIMESTAMP), on nearly every segment of a Linux peer,
    // carries nothing the tracker uses; skip the option walk.
    if olen == TS_ALIGNED_LEN && p.read::<4>(off.checked_add(20)?) == Some(TS_ALIGNED_HEAD) {
        return Some(s);
    }
    if olen > 0 {
        let opts: [u8; MAX_OPTIONS] = read_options(p, off.checked_add(20)?, olen)?;
        parse_options(opts.get(..olen)?, &mut s);
    }
    Some(s)
}

/// Length of the options of a segment that carries only a timestamp,
/// aligned (`TCPOLEN_TSTAMP_ALIGNED`), and their first word: NOP, NOP,
/// kind 8 (timestamp), length 10.
const TS_ALIGNED_LEN: usize = 12;
const TS_ALIGNED_HEAD: [u8; 4] = [1, 1, 8, 10];

/// Reads `len` (<= 40) option bytes into a fixed buffer.
fn read_options<P: Packet + ?Sized>(p: &P, off: usize, len: usize) -> Option<[u8; MAX_OPTIONS]> {
    let mut buf = [0u8; MAX_OPTIONS];
    // Options are read in 4-byte words; `len` is a multiple of 4.
    for (i, chunk) in buf.chunks_exact_mut(4).enumerate().take(len / 4) {
        let w: [u8; 4] = p.read(off.checked_add(i * 4)?)?;
        chunk.copy_from_slice(&w);
    }
    Some(buf)
}

/// Walks the options like nf: window scale, SACK-permitted, SACK blocks.
fn parse_options(mut o: &[u8], s: &mut Segment) {
    while let Some((&kind, rest)) = o.split_first() {
        match kind {
            0 => return,
            1 => o = rest,
            _ => {
                let Some((&size, _)) = rest.split_first() else {
                    return;
                };
                let size = usize::from(size);
                if size < 2 || size > o.len() {
                    return;
                }
                let body = o.get(2..size).unwrap_or(&[]);
                match (kind, size) {
                    (4, 2) => s.sack_perm = true,
                    (3, 3) => s.wscale = body.first().map(|w| (*w).min(14)),
                    (5, _) if size >= 10 && (size - 2) % 8 == 0 => {
                        for block in body.chunks_exact(8) {
                            if let Some(r) = block.get(4..8) {
                                let right = u32::from_be_bytes([r[0], r[1], r[2], r[3]]);
                                let higher = match s.sack {
                                    Some(cur) => after(right, cur),
                                    None => true,
                                };
                                if higher {
                                    s.sack = Some(right);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                o = o.get(size..).unwrap_or(&[]);
            }
        }
    }
}

/// What the tracker knows about one direction (`struct ip_ct_tcp_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Highest sequence number sent plus length.
    pub td_end: u32,
    /// Highest sequence number the receiver allowed (ack + window).
    pub td_maxend: u32,
    /// Largest window seen.
    pub td_maxwin: u32,
    /// Highest ACK sent.
    pub td_maxack: u32,
    /// Window scale.
    pub td_scale: u8,
    /// [`tflag`] bits.
    pub flags: u8,
}

impl Seen {
    /// Sets window scale and SACK-permitted from a SYN's options (`tcp_options()`).
    fn options(&mut self, s: &Segment) {
        self.td_scale = 0;
        self.flags &= tflag::BE_LIBERAL;
        if s.sack_perm {
            self.flags |= tflag::SACK_PERM;
        }
        if let Some(w) = s.wscale {
            self.td_scale = w;
            self.flags |= tflag::WINDOW_SCALE;
        }
    }

    fn reset(&mut self) {
        *self = Seen {
            flags: self.flags & tflag::BE_LIBERAL,
            ..Seen::default()
        };
    }
}

/// Per-connection TCP state (`struct ip_ct_tcp`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpConn {
    /// Both directions, indexed by [`Dir`].
    pub seen: [Seen; 2],
    /// Connection state.
    pub state: State,
    /// Direction of the last in-window (or ignored) segment.
    pub last_dir: u8,
    /// Retransmissions of the last segment.
    pub retrans: u8,
    /// Index of the last segment.
    pub last_index: u8,
    /// Sequence number of the last segment.
    pub last_seq: u32,
    /// Acknowledgement of the last segment.
    pub last_ack: u32,
    /// End of the last segment.
    pub last_end: u32,
    /// Window of the last segment.
    pub last_win: u16,
    /// Window scale of the last ignored SYN.
    pub last_wscale: u8,
    /// [`tflag`] bits of the last ignored SYN.
    pub last_flags: u8,
}

/// Per-namespace knobs (`net.rct.tcp_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Pick up connections already established (`tcp_loose`, default on).
    pub loose: bool,
    /// Accept out-of-window segments (`tcp_be_liberal`, default off).
    pub be_liberal: bool,
    /// Retransmissions before the `max_retrans` timeout applies (default 3).
    pub max_retrans: u8,
    /// Do not consider RSTs below the window invalid (`tcp_ignore_invalid_rst`).
    pub ignore_invalid_rst: bool,
}

impl Config {
    /// nf_conntrack's defaults.
    pub const DEFAULT: Config = Config {
        loose: true,
        be_liberal: false,
        max_retrans: 3,
        ignore_invalid_rst: false,
    };
}

/// Which TCP timeout applies (nf's `tcp_timeouts[]` index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// The timeout of a state (never `State::None`).
    State(State),
    /// `tcp_timeout_max_retrans`.
    Retrans,
    /// `tcp_timeout_unacknowledged`.
    Unack,
}

/// TCP timeouts in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Per state, indexed by `State as usize` (NONE unused).
    pub state: [u32; 10],
    /// `tcp_timeout_max_retrans`.
    pub retrans: u32,
    /// `tcp_timeout_unacknowledged`.
    pub unack: u32,
}

impl Timeouts {
    /// nf_conntrack's defaults.
    pub const DEFAULT: Timeouts = Timeouts {
        state: [0, 120, 60, 432_000, 120, 60, 30, 120, 10, 120],
        retrans: 300,
        unack: 300,
    };

    /// The value of `t` in seconds.
    pub fn get(&self, t: Timeout) -> u32 {
        match t {
            Timeout::State(s) => self.state.get(s as usize).copied().unwrap_or(0),
            Timeout::Retrans => self.retrans,
            Timeout::Unack => self.unack,
        }
    }
}

/// Where [`packet`] reads timeouts from: a [`Timeouts`] value, or (in the
/// kernel) a namespace's sysctls, read on demand, so that a segment reads
/// the two or three values it needs rather than copying all twelve.
pub trait TimeoutSource {
    /// The value of `t` in seconds.
    fn timeout(&self, t: Timeout) -> u32;
}

impl TimeoutSource for Timeouts {
    fn timeout(&self, t: Timeout) -> u32 {
        self.get(t)
    }
}

/// What a segment does to its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Valid: refresh the timeout to `timeout`; set ASSURED if `assure`.
    Accept {
        /// New timeout.
        timeout: Timeout,
        /// Set ASSURED.
        assure: bool,
    },
    /// Valid, but the connection is over (RST as the only answer): kill it.
    Kill,
    /// Accepted without touching the timeout (ignored or retransmitted SYN).
    Ignore,
    /// Invalid (counted; the ruleset decides). With `Some(t)`, an assured
    /// connection's timeout is lowered to `t` (nf's `nf_tcp_handle_invalid()`).
    Invalid(Option<Timeout>),
    /// A SYN reopening a closed connection: kill the entry and track the
    /// packet as a new connection (nf's `-NF_REPEAT`).
    Reopen,
}

/// Status bits of the entry that the tracker reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// A reply has been seen.
    pub seen_reply: bool,
    /// The entry is assured.
    pub assured: bool,
}

/// A new connection from its first segment (`tcp_new()`); `None` if the
/// segment cannot start one (it is counted as invalid).
pub fn new_conn(s: &Segment, cfg: &Config) -> Option<TcpConn> {
    let first = transition(Dir::Original, s.index(), State::None)?.ok()?;
    let mut c = TcpConn::default();
    let end = s.end();
    let maxwin = u32::from(s.win).max(1);
    if first == State::SynSent {
        c.seen[0].td_end = end;
        c.seen[0].td_maxwin = maxwin;
        c.seen[0].td_maxend = end;
        c.seen[0].options(s);
    } else if !cfg.loose {
        return None;
    } else {
        // Mid-stream pickup: history lost, trust the packet.
        c.seen[0].td_end = end;
        c.seen[0].td_maxwin = maxwin;
        c.seen[0].td_maxend = end.wrapping_add(maxwin);
        c.seen[0].flags = tflag::SACK_PERM | tflag::BE_LIBERAL;
        c.seen[1].flags = tflag::SACK_PERM | tflag::BE_LIBERAL;
    }
    c.last_index = Index::None as u8;
    Some(c)
}

/// Result of the window check.
enum Window {
    Accept,
    Ignore,
    Invalid,
}

fn max_ack_window(sender: &Seen) -> u32 {
    sender.td_maxwin.max(66_000)
}

/// Initialises a sender from a SYN or SYN/ACK (`tcp_init_sender()`).
fn init_sender(c: &mut TcpConn, dir: Dir, s: &Segment, end: u32) {
    let (si, ri) = (dir as usize, 1 - dir as usize);
    let mut sender = c.seen[si];
    sender.td_end = end;
    sender.td_maxend = end;
    sender.td_maxwin = u32::from(s.win).max(1);
    sender.options(s);
    let mut receiver = c.seen[ri];
    if dir == Dir::Reply
        && !(sender.flags & tflag::WINDOW_SCALE != 0 && receiver.flags & tflag::WINDOW_SCALE != 0)
    {
        sender.td_scale = 0;
        receiver.td_scale = 0;
    }
    c.seen[si] = sender;
    c.seen[ri] = receiver;
}

/// nf's `tcp_in_window()`.
fn in_window(c: &mut TcpConn, dir: Dir, index: Index, s: &Segment, cfg: &Config) -> Window {
    let (si, ri) = (dir as usize, 1 - dir as usize);
    let mut seq = s.seq;
    let mut ack = s.ack;
    let mut sack = ack;
    let win_raw = s.win;
    let mut win = u32::from(win_raw);
    let mut end = s.end();
    if c.seen[ri].flags & tflag::SACK_PERM != 0 {
        if let Some(r) = s.sack {
            if after(r, sack) {
                sack = r;
            }
        }
    }

    if c.seen[si].td_maxwin == 0 {
        if s.has(flag::SYN) {
            init_sender(c, dir, s, end);
            if !s.has(flag::ACK) {
                // Simultaneous open.
                return Window::Accept;
            }
        } else {
            // Mid-connection: history lost, use the packet.
            let sender = &mut c.seen[si];
            sender.td_end = end;
            let swin = win.wrapping_shl(u32::from(sender.td_scale));
            sender.td_maxwin = swin.max(1);
            sender.td_maxend = end.wrapping_add(sender.td_maxwin);
            let receiver = &mut c.seen[ri];
            if receiver.td_maxwin == 0 {
                receiver.td_end = sack;
                receiver.td_maxend = sack;
            } else if sack == receiver.td_end.wrapping_add(1) {
                // Likely a reply to a keepalive.
                receiver.td_end = receiver.td_end.wrapping_add(1);
            }
        }
    } else if s.has(flag::SYN)
        && after(end, c.seen[si].td_end)
        && matches!(c.state, State::SynSent | State::SynRecv)
    {
        // Reinitialised connection (RFC 793): re-init this direction.
        init_sender(c, dir, s, end);
        if dir == Dir::Reply && !s.has(flag::ACK) {
            return Window::Accept;
        }
    }

    let receiver_end = c.seen[ri].td_end;
    if !s.has(flag::ACK) || (s.has(flag::ACK) && s.has(flag::RST) && ack == 0) {
        // No ACK (or a broken RST|ACK with ack 0): pretend it acks everything.
        ack = receiver_end;
        sack = receiver_end;
    }
    if s.has(flag::RST) && seq == 0 && c.state == State::SynSent {
        // RST answering a SYN.
        seq = c.seen[si].td_end;
        end = seq;
    }

    let liberal = c.seen[si].flags & tflag::BE_LIBERAL != 0 || cfg.be_liberal;
    let bad = |w: Window| if liberal { Window::Accept } else { w };
    let sender = c.seen[si];
    let receiver = c.seen[ri];

    if !before(seq, sender.td_maxend.wrapping_add(1)) {
        let overshot = end.wrapping_sub(sender.td_maxend).wrapping_add(1);
        let ack_ok = after(
            sack,
            receiver
                .td_end
                .wrapping_sub(max_ack_window(&sender))
                .wrapping_sub(1),
        );
        let in_recv_win = receiver.td_maxwin != 0
            && after(
                end,
                sender
                    .td_end
                    .wrapping_sub(receiver.td_maxwin)
                    .wrapping_sub(1),
            );
        if in_recv_win
            && ack_ok
            && overshot <= receiver.td_maxwin
            && before(sack, receiver.td_end.wrapping_add(1))
        {
            // A sender exceeding the receive window: note the data so the
            // peer's ACK of it is in window later.
            let r = bad(Window::Ignore);
            let sender = &mut c.seen[si];
            sender.td_end = end;
            sender.flags |= tflag::DATA_UNACKNOWLEDGED;
            return r;
        }
        return bad(Window::Invalid);
    }
    if !before(sack, receiver.td_end.wrapping_add(1)) {
        return bad(Window::Invalid);
    }
    let in_recv_win = receiver.td_maxwin == 0
        || after(
            end,
            sender
                .td_end
                .wrapping_sub(receiver.td_maxwin)
                .wrapping_sub(1),
        );
    if !in_recv_win {
        return bad(Window::Ignore);
    }
    if !after(
        sack,
        receiver
            .td_end
            .wrapping_sub(max_ack_window(&sender))
            .wrapping_sub(1),
    ) {
        return bad(Window::Ignore);
    }

    if !s.has(flag::SYN) {
        win = win.wrapping_shl(u32::from(sender.td_scale));
    }
    // Update the sender.
    let swin = win.wrapping_add(sack.wrapping_sub(ack));
    {
        let sender = &mut c.seen[si];
        if sender.td_maxwin < swin {
            sender.td_maxwin = swin;
        }
        if after(end, sender.td_end) {
            sender.td_end = end;
            sender.flags |= tflag::DATA_UNACKNOWLEDGED;
        }
        if s.has(flag::ACK) {
            if sender.flags & tflag::MAXACK_SET == 0 {
                sender.td_maxack = ack;
                sender.flags |= tflag::MAXACK_SET;
            } else if after(ack, sender.td_maxack) {
                sender.td_maxack = ack;
            }
        }
    }
    // Update the receiver.
    let sender_maxend = c.seen[si].td_maxend;
    {
        let receiver = &mut c.seen[ri];
        if receiver.td_maxwin != 0 && after(end, sender_maxend) {
            receiver.td_maxwin = receiver
                .td_maxwin
                .wrapping_add(end.wrapping_sub(sender_maxend));
        }
        if after(sack.wrapping_add(win), receiver.td_maxend.wrapping_sub(1)) {
            receiver.td_maxend = sack.wrapping_add(win);
            if win == 0 {
                receiver.td_maxend = receiver.td_maxend.wrapping_add(1);
            }
        }
        if ack == receiver.td_end {
            receiver.flags &= !tflag::DATA_UNACKNOWLEDGED;
        }
    }
    // Retransmissions.
    if index == Index::Ack {
        if c.last_dir == dir as u8
            && c.last_seq == seq
            && c.last_ack == ack
            && c.last_end == end
            && c.last_win == win_raw
        {
            c.retrans = c.retrans.saturating_add(1);
        } else {
            c.last_dir = dir as u8;
            c.last_seq = seq;
            c.last_ack = ack;
            c.last_end = end;
            c.last_win = win_raw;
            c.retrans = 0;
        }
    }
    Window::Accept
}

/// nf's `nf_tcp_handle_invalid()`: an out-of-window FIN/RST pair on an
/// assured connection lowers its timeout to `unack` if it is longer.
/// `expires` is the seconds left on the entry.
fn handle_invalid(
    c: &mut TcpConn,
    dir: Dir,
    index: Index,
    st: Status,
    expires: u32,
    t: &impl TimeoutSource,
) -> Option<Timeout> {
    if !st.assured || !matches!(index, Index::Rst | Index::Fin) {
        return None;
    }
    let last_fin_rst = c.last_index == Index::Fin as u8 || c.last_index == Index::Rst as u8;
    if c.last_dir != dir as u8 && last_fin_rst {
        if expires < 120 {
            return None;
        }
        if expires > t.timeout(Timeout::Unack) {
            return Some(Timeout::Unack);
        }
    } else {
        c.last_index = index as u8;
        c.last_dir = dir as u8;
    }
    None
}

/// Processes one valid-looking segment of an existing (or just created)
/// connection (`nf_conntrack_tcp_packet()` after `tcp_new()`).
///
/// `expires` is the seconds left on the entry (for lowering timeouts).
pub fn packet(
    c: &mut TcpConn,
    dir: Dir,
    s: &Segment,
    st: Status,
    expires: u32,
    cfg: &Config,
    t: &impl TimeoutSource,
) -> Outcome {
    let mut old = c.state;
    let index = s.index();
    let mut new = match transition(dir, index, old) {
        Some(Ok(n)) => n,
        Some(Err(())) => match ignored(c, dir, index, old, s) {
            Some(o) => return o,
            None => {
                // Resynchronised on a SYN/ACK answering an ignored SYN.
                old = State::SynSent;
                State::SynRecv
            }
        },
        None => return Outcome::Invalid(None),
    };
    let mut skip_window = false;
    match new {
        State::SynSent if old as u8 >= State::TimeWait as u8 => {
            // A SYN reopening a closed or aborted connection.
            let closing = (c.seen[dir as usize].flags | c.seen[1 - dir as usize].flags)
                & tflag::CLOSE_INIT
                != 0;
            if closing || (c.last_dir == dir as u8 && c.last_index == Index::Rst as u8) {
                return Outcome::Reopen;
            }
            if let Some(o) = ignored(c, dir, index, old, s) {
                return o;
            }
            old = State::SynSent;
            new = State::SynRecv;
        }
        State::TimeWait => {
            if old == State::LastAck
                && index == Index::Ack
                && c.last_dir != dir as u8
                && c.last_index == Index::Syn as u8
                && c.last_flags & tflag::EXP_CHALLENGE_ACK != 0
            {
                // RFC 5961 challenge ACK: not the last ACK.
                c.last_flags &= !tflag::EXP_CHALLENGE_ACK;
                return Outcome::Ignore;
            }
        }
        State::SynSent2 => c.last_flags |= tflag::SIMULTANEOUS_OPEN,
        State::SynRecv => {
            if dir == Dir::Reply
                && index == Index::Ack
                && c.last_flags & tflag::SIMULTANEOUS_OPEN != 0
            {
                new = State::Established;
            }
        }
        State::Close if index == Index::Rst => {
            let od = 1 - dir as usize;
            let closing = matches!(
                c.state,
                State::FinWait | State::LastAck | State::TimeWait | State::Close | State::CloseWait
            );
            if closing {
                skip_window = true;
            } else {
                let mut check_rest = true;
                if c.seen[od].flags & tflag::MAXACK_SET != 0 && c.last_index != Index::Syn as u8 {
                    let established = c.state == State::Established;
                    let maxack = c.seen[od].td_maxack;
                    // SEQ 0 outside ESTABLISHED likely answers a SYN we let through.
                    let answers_syn = s.seq == 0 && !established;
                    if !answers_syn && before(s.seq, maxack) && !cfg.ignore_invalid_rst {
                        return Outcome::Invalid(None);
                    }
                    // Part of a train such as "P seq:seq+19 ack 42" then "R seq+19".
                    let train = c.last_index == Index::Ack as u8
                        && c.last_dir == dir as u8
                        && s.seq == c.last_end;
                    if !established || s.seq == maxack || train {
                        check_rest = false;
                    } else {
                        // RST not matching exactly: keep the state for a challenge ACK.
                        new = old;
                    }
                }
                if check_rest {
                    let rst_to_ignored = ((st.seen_reply
                        && c.last_index == Index::Syn as u8
                        && c.last_dir != dir as u8)
                        || (!st.assured && c.last_index == Index::Ack as u8))
                        && s.ack == c.last_end;
                    let challenge_rst = old == State::SynSent
                        && c.last_index == Index::Ack as u8
                        && c.last_dir == Dir::Reply as u8
                        && s.seq == c.last_ack;
                    if rst_to_ignored || challenge_rst {
                        skip_window = true;
                    }
                }
            }
        }
        _ => {}
    }

    if !skip_window {
        match in_window(c, dir, index, s, cfg) {
            Window::Accept => {}
            Window::Ignore => return Outcome::Ignore,
            Window::Invalid => {
                return Outcome::Invalid(handle_invalid(c, dir, index, st, expires, t))
            }
        }
    }

    // In-window from here on.
    c.last_index = index as u8;
    c.last_dir = dir as u8;
    c.state = new;
    if old != new && new == State::FinWait {
        if let Some(sd) = c.seen.get_mut(dir as usize) {
            sd.flags |= tflag::CLOSE_INIT;
        }
    }

    let per_state = t.timeout(Timeout::State(new));
    let unacked = (c.seen[0].flags | c.seen[1].flags) & tflag::DATA_UNACKNOWLEDGED != 0;
    let mut timeout = if c.retrans >= cfg.max_retrans && per_state > t.timeout(Timeout::Retrans) {
        Timeout::Retrans
    } else if ((index == Index::Rst && new == State::Established) || unacked)
        && per_state > t.timeout(Timeout::Unack)
    {
        Timeout::Unack
    } else if c.last_win == 0 && per_state > t.timeout(Timeout::Retrans) {
        Timeout::Retrans
    } else {
        Timeout::State(new)
    };

    if !st.seen_reply {
        if s.has(flag::RST) {
            // Only a RST answered: not a connection; drop the entry now.
            return Outcome::Kill;
        }
        if index == Index::Syn && old == State::SynSent {
            // A retransmitted SYN does not renew the timeout.
            return Outcome::Ignore;
        }
        if new == State::Established && t.timeout(timeout) > t.timeout(Timeout::Unack) {
            timeout = Timeout::Unack;
        }
        return Outcome::Accept {
            timeout,
            assure: false,
        };
    }
    let assure = !st.assured
        && matches!(old, State::SynRecv | State::Established)
        && new == State::Established;
    Outcome::Accept { timeout, assure }
}

/// The ignore path of `nf_conntrack_tcp_packet()` (`TCP_CONNTRACK_IGNORE`):
/// annotates the segment and returns `Some(Ignore)`, or resynchronises on a
/// SYN/ACK that answers an ignored SYN and returns `None` (the caller goes
/// on as SYN_SENT -> SYN_RECV).
fn ignored(c: &mut TcpConn, dir: Dir, index: Index, old: State, s: &Segment) -> Option<Outcome> {
    let ld = usize::from(c.last_dir).min(1);
    if index == Index::SynAck
        && c.last_index == Index::Syn as u8
        && c.last_dir != dir as u8
        && s.ack == c.last_end
    {
        // This SYN/ACK acknowledges a SYN we ignored: client and server are
        // in sync, we are not. Resync from the annotated SYN and continue
        // as SYN_SENT -> SYN_RECV.
        let (end, win, wscale, flags) = (c.last_end, c.last_win, c.last_wscale, c.last_flags);
        let l = &mut c.seen[ld];
        l.td_end = end;
        l.td_maxend = end;
        l.td_maxwin = u32::from(win).max(1);
        l.td_scale = wscale;
        l.flags = flags & !tflag::EXP_CHALLENGE_ACK;
        c.seen[dir as usize].reset();
        return None;
    }
    c.last_index = index as u8;
    c.last_dir = dir as u8;
    c.last_seq = s.seq;
    c.last_end = s.end();
    c.last_win = s.win;
    if index == Index::Syn && dir == Dir::Original {
        c.last_flags = 0;
        c.last_wscale = 0;
        if let Some(w) = s.wscale {
            c.last_flags |= tflag::WINDOW_SCALE;
            c.last_wscale = w;
        }
        if s.sack_perm {
            c.last_flags |= tflag::SACK_PERM;
        }
        if old == State::LastAck {
            c.last_flags |= tflag::EXP_CHALLENGE_ACK;
        }
    }
    if old == State::SynSent && index == Index::Ack && dir == Dir::Reply {
        c.last_ack = s.ack;
    }
    Some(Outcome::Ignore)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u32 = 1000; // Client ISN.
    const B: u32 = 5000; // Server ISN.

    fn seg(flags: u8, seq: u32, ack: u32, win: u16, payload: u32) -> Segment {
        Segment {
            seq,
            ack,
            win,
            flags,
            payload,
            ..Default::default()
        }
    }

    fn st(seen_reply: bool, assured: bool) -> Status {
        Status {
            seen_reply,
            assured,
        }
    }

    fn run(c: &mut TcpConn, dir: Dir, s: Segment, status: Status) -> Outcome {
        packet(
            c,
            dir,
            &s,
            status,
            432_000,
            &Config::DEFAULT,
            &Timeouts::DEFAULT,
        )
    }

    /// Every transition nf's comments name, as (dir, index, from, to);
    /// `None` = invalid, `Some(Err(()))` = ignored.
    #[test]
    fn transition_table_matches_nf_comments() {
        use Dir::*;
        use Index as I;
        use State::*;
        let ok = |s| Some(Ok(s));
        let ig = Some(Err(()));
        let cases: &[(Dir, Index, State, Option<Result<State, ()>>)] = &[
            (Original, I::Syn, None, ok(SynSent)),
            (Original, I::Syn, SynSent, ok(SynSent)),
            (Original, I::Syn, SynSent2, ok(SynSent2)),
            (Original, I::Syn, SynRecv, ig),
            (Original, I::Syn, Established, ig),
            (Original, I::Syn, TimeWait, ok(SynSent)),
            (Original, I::Syn, Close, ok(SynSent)),
            (Original, I::SynAck, None, Option::None),
            (Original, I::SynAck, SynSent, Option::None),
            (Original, I::SynAck, SynSent2, ok(SynRecv)),
            (Original, I::SynAck, SynRecv, ok(SynRecv)),
            (Original, I::Fin, SynRecv, ok(FinWait)),
            (Original, I::Fin, Established, ok(FinWait)),
            (Original, I::Fin, FinWait, ok(LastAck)),
            (Original, I::Fin, CloseWait, ok(LastAck)),
            (Original, I::Fin, SynSent, Option::None),
            (Original, I::Ack, None, ok(Established)),
            (Original, I::Ack, SynSent, Option::None),
            (Original, I::Ack, SynRecv, ok(Established)),
            (Original, I::Ack, FinWait, ok(CloseWait)),
            (Original, I::Ack, LastAck, ok(TimeWait)),
            (Original, I::Rst, None, Option::None),
            (Original, I::Rst, Established, ok(Close)),
            (Original, I::None, Established, Option::None),
            (Reply, I::Syn, SynSent, ok(SynSent2)),
            (Reply, I::Syn, TimeWait, ok(SynSent)),
            (Reply, I::Syn, Established, Option::None),
            (Reply, I::SynAck, SynSent, ok(SynRecv)),
            (Reply, I::SynAck, SynSent2, ok(SynRecv)),
            (Reply, I::SynAck, SynRecv, ig),
            (Reply, I::SynAck, Established, ig),
            (Reply, I::Ack, SynSent, ig),
            (Reply, I::Ack, SynSent2, ig),
            (Reply, I::Ack, SynRecv, ok(SynRecv)),
            (Reply, I::Ack, FinWait, ok(CloseWait)),
            (Reply, I::Ack, LastAck, ok(TimeWait)),
            (Reply, I::Fin, CloseWait, ok(LastAck)),
            (Reply, I::Rst, SynSent, ok(Close)),
        ];
        for &(d, i, from, want) in cases {
            assert_eq!(transition(d, i, from), want, "{d:?} {i:?} {from:?}");
        }
        // RST closes from every state but NONE; flagless segments are always invalid.
        for s in STATES {
            for d in [Original, Reply] {
                assert_eq!(transition(d, I::None, s), Option::None);
                let want = if s == None { Option::None } else { ok(Close) };
                assert_eq!(transition(d, I::Rst, s), want);
            }
        }
    }

    /// nf's `tcp_conntracks[2][6][TCP_CONNTRACK_MAX]`, rows copied verbatim
    /// from net/netfilter/nf_conntrack_proto_tcp.c (6.12): every cell of
    /// [`TABLE`] must match.
    const NF_TABLE: &str = "
/*syn*/	   { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
/*synack*/ { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
/*fin*/    { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*ack*/	   { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
/*rst*/    { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV }
/*syn*/	   { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
/*synack*/ { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
/*fin*/    { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*ack*/	   { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
/*rst*/    { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV }
";

    #[test]
    fn every_cell_matches_nf_table() {
        let cell = |name: &str| match name {
            "sNO" => State::None as u8,
            "sSS" => SS,
            "sSR" => SR,
            "sES" => ES,
            "sFW" => FW,
            "sCW" => CW,
            "sLA" => LA,
            "sTW" => TW,
            "sCL" => CL,
            "sS2" => S2,
            "sIV" => IV,
            "sIG" => IG,
            other => panic!("unknown cell {other}"),
        };
        let rows: Vec<Vec<u8>> = NF_TABLE
            .lines()
            .filter_map(|l| Some(l.split_once('{')?.1.split_once('}')?.0.to_string()))
            .map(|r| r.split(',').map(|c| cell(c.trim())).collect())
            .collect();
        assert_eq!(rows.len(), 12);
        let mut n = 0;
        for (dir, block) in TABLE.iter().enumerate() {
            for (index, row) in block.iter().enumerate() {
                assert_eq!(
                    &row[..],
                    &rows[dir * 6 + index][..],
                    "dir {dir} index {index}"
                );
                n += row.len();
            }
        }
        assert_eq!(n, 2 * 6 * 10);
    }

    #[test]
    fn names_match_nf() {
        assert_eq!(State::Established.name(), "ESTABLISHED");
        assert_eq!(State::SynSent2.name(), "SYN_SENT2");
        assert_eq!(STATE_NAMES.len(), STATES.len());
    }

    /// Opens A -> B with a three-way handshake; returns the connection.
    fn open() -> TcpConn {
        let syn = seg(flag::SYN, A, 0, 64240, 0);
        let mut c = new_conn(&syn, &Config::DEFAULT).unwrap();
        assert_eq!(
            run(&mut c, Dir::Original, syn, st(false, false)),
            Outcome::Accept {
                timeout: Timeout::State(State::SynSent),
                assure: false
            }
        );
        assert_eq!(c.state, State::SynSent);
        let synack = seg(flag::SYN | flag::ACK, B, A + 1, 65160, 0);
        assert!(matches!(
            run(&mut c, Dir::Reply, synack, st(false, false)),
            Outcome::Accept { .. }
        ));
        assert_eq!(c.state, State::SynRecv);
        let ack = seg(flag::ACK, A + 1, B + 1, 502, 0);
        assert_eq!(
            run(&mut c, Dir::Original, ack, st(true, false)),
            Outcome::Accept {
                timeout: Timeout::State(State::Established),
                assure: true
            }
        );
        assert_eq!(c.state, State::Established);
        c
    }

    #[test]
    fn handshake_data_and_close_from_client() {
        let mut c = open();
        // Data both ways.
        let d1 = seg(flag::ACK | flag::PSH, A + 1, B + 1, 502, 100);
        assert!(matches!(
            run(&mut c, Dir::Original, d1, st(true, true)),
            Outcome::Accept { .. }
        ));
        let d2 = seg(flag::ACK | flag::PSH, B + 1, A + 101, 509, 200);
        assert!(matches!(
            run(&mut c, Dir::Reply, d2, st(true, true)),
            Outcome::Accept { .. }
        ));
        let a1 = seg(flag::ACK, A + 101, B + 201, 502, 0);
        assert_eq!(
            run(&mut c, Dir::Original, a1, st(true, true)),
            Outcome::Accept {
                timeout: Timeout::State(State::Established),
                assure: false
            }
        );
        // Close: FIN, ACK+FIN, ACK.
        let fin = seg(flag::FIN | flag::ACK, A + 101, B + 201, 502, 0);
        run(&mut c, Dir::Original, fin, st(true, true));
        assert_eq!(c.state, State::FinWait);
        let finack = seg(flag::FIN | flag::ACK, B + 201, A + 102, 509, 0);
        run(&mut c, Dir::Reply, finack, st(true, true));
        assert_eq!(c.state, State::LastAck);
        let last = seg(flag::ACK, A + 102, B + 202, 502, 0);
        assert_eq!(
            run(&mut c, Dir::Original, last, st(true, true)),
            Outcome::Accept {
                timeout: Timeout::State(State::TimeWait),
                assure: false
            }
        );
        assert_eq!(c.state, State::TimeWait);
    }

    #[test]
    fn close_from_server_passes_close_wait() {
        let mut c = open();
        run(
            &mut c,
            Dir::Reply,
            seg(flag::FIN | flag::ACK, B + 1, A + 1, 509, 0),
            st(true, true),
        );
        assert_eq!(c.state, State::FinWait);
        run(
            &mut c,
            Dir::Original,
            seg(flag::ACK, A + 1, B + 2, 502, 0),
            st(true, true),
        );
        assert_eq!(c.state, State::CloseWait);
        run(
            &mut c,
            Dir::Original,
            seg(flag::FIN | flag::ACK, A + 1, B + 2, 502, 0),
            st(true, true),
        );
        assert_eq!(c.state, State::LastAck);
        run(
            &mut c,
            Dir::Reply,
            seg(flag::ACK, B + 2, A + 2, 509, 0),
            st(true, true),
        );
        assert_eq!(c.state, State::TimeWait);
    }

    #[test]
    fn rst_in_window_closes_and_out_of_window_is_invalid() {
        let mut c = open();
        let mut bad = c;
        // Far below the window: invalid, state unchanged.
        let r = run(
            &mut bad,
            Dir::Reply,
            seg(flag::RST, B.wrapping_sub(1_000_000), 0, 0, 0),
            st(true, true),
        );
        assert!(matches!(r, Outcome::Invalid(_)), "{r:?}");
        assert_eq!(bad.state, State::Established);
        // Exactly at the expected sequence: closes.
        let r = run(
            &mut c,
            Dir::Reply,
            seg(flag::RST | flag::ACK, B + 1, A + 1, 0, 0),
            st(true, true),
        );
        assert!(
            matches!(
                r,
                Outcome::Accept {
                    timeout: Timeout::State(State::Close),
                    ..
                }
            ),
            "{r:?}"
        );
        assert_eq!(c.state, State::Close);
    }

    #[test]
    fn rst_answering_syn_kills_unreplied_entry() {
        let syn = seg(flag::SYN, A, 0, 64240, 0);
        let mut c = new_conn(&syn, &Config::DEFAULT).unwrap();
        run(&mut c, Dir::Original, syn, st(false, false));
        let r = run(
            &mut c,
            Dir::Reply,
            seg(flag::RST | flag::ACK, 0, A + 1, 0, 0),
            st(false, false),
        );
        assert_eq!(r, Outcome::Kill);
    }

    #[test]
    fn data_beyond_the_window_is_invalid_unless_liberal() {
        let mut c = open();
        // B's receive window is about 65160 bytes; jump 10 MB ahead.
        let s = seg(flag::ACK, A + 1 + 10_000_000, B + 1, 502, 100);
        let mut strict = c;
        assert!(matches!(
            run(&mut strict, Dir::Original, s, st(true, true)),
            Outcome::Invalid(_)
        ));
        let lib = Config {
            be_liberal: true,
            ..Config::DEFAULT
        };
        assert!(matches!(
            packet(
                &mut c,
                Dir::Original,
                &s,
                st(true, true),
                432_000,
                &lib,
                &Timeouts::DEFAULT
            ),
            Outcome::Accept { .. }
        ));
    }

    #[test]
    fn ack_of_unseen_data_is_invalid() {
        let mut c = open();
        let s = seg(flag::ACK, A + 1, B + 1 + 5000, 502, 0);
        assert!(matches!(
            run(&mut c, Dir::Original, s, st(true, true)),
            Outcome::Invalid(_)
        ));
    }

    #[test]
    fn sequence_numbers_wrap() {
        let a = u32::MAX - 10;
        let syn = seg(flag::SYN, a, 0, 64240, 0);
        let mut c = new_conn(&syn, &Config::DEFAULT).unwrap();
        run(&mut c, Dir::Original, syn, st(false, false));
        run(
            &mut c,
            Dir::Reply,
            seg(flag::SYN | flag::ACK, B, a.wrapping_add(1), 65160, 0),
            st(false, false),
        );
        run(
            &mut c,
            Dir::Original,
            seg(flag::ACK, a.wrapping_add(1), B + 1, 502, 0),
            st(true, false),
        );
        assert_eq!(c.state, State::Established);
        // 100 bytes crossing 2^32.
        let d = seg(flag::ACK, a.wrapping_add(1), B + 1, 502, 100);
        assert!(matches!(
            run(&mut c, Dir::Original, d, st(true, true)),
            Outcome::Accept { .. }
        ));
        let ack = seg(flag::ACK, B + 1, a.wrapping_add(101), 509, 0);
        assert!(matches!(
            run(&mut c, Dir::Reply, ack, st(true, true)),
            Outcome::Accept { .. }
        ));
        assert!(before(u32::MAX, 5) && after(5, u32::MAX));
    }

    #[test]
    fn window_scaling_needs_both_sides() {
        let mut syn = seg(flag::SYN, A, 0, 64240, 0);
        syn.wscale = Some(7);
        let mut c = new_conn(&syn, &Config::DEFAULT).unwrap();
        run(&mut c, Dir::Original, syn, st(false, false));
        let mut synack = seg(flag::SYN | flag::ACK, B, A + 1, 65160, 0);
        synack.wscale = Some(7);
        run(&mut c, Dir::Reply, synack, st(false, false));
        assert_eq!((c.seen[0].td_scale, c.seen[1].td_scale), (7, 7));
        run(
            &mut c,
            Dir::Original,
            seg(flag::ACK, A + 1, B + 1, 502, 0),
            st(true, false),
        );
        // B advertises 509 << 7 = 65152 bytes: A may send 60000 bytes.
        run(
            &mut c,
            Dir::Reply,
            seg(flag::ACK, B + 1, A + 1, 509, 0),
            st(true, true),
        );
        let big = seg(flag::ACK, A + 1, B + 1, 502, 60_000);
        assert!(matches!(
            run(&mut c, Dir::Original, big, st(true, true)),
            Outcome::Accept { .. }
        ));

        // Without the option in the SYN/ACK, neither side scales.
        let mut c = new_conn(&syn, &Config::DEFAULT).unwrap();
        run(&mut c, Dir::Original, syn, st(false, false));
        run(
            &mut c,
            Dir::Reply,
            seg(flag::SYN | flag::ACK, B, A + 1, 65160, 0),
            st(false, false),
        );
        assert_eq!((c.seen[0].td_scale, c.seen[1].td_scale), (0, 0));
    }

    #[test]
    fn zero_window_uses_the_retrans_timeout() {
        let mut c = open();
        let z = seg(flag::ACK, B + 1, A + 1, 0, 0);
        // The window probe ack: last_win is that of the last ACK segment.
        let r = run(&mut c, Dir::Reply, z, st(true, true));
        assert_eq!(
            r,
            Outcome::Accept {
                timeout: Timeout::Retrans,
                assure: false
            }
        );
    }

    #[test]
    fn sack_blocks_extend_the_acceptable_ack() {
        let mut syn = seg(flag::SYN, A, 0, 64240, 0);
        syn.sack_perm = true;
        let mut c = new_conn(&syn, &Config::DEFAULT).unwrap();
        run(&mut c, Dir::Original, syn, st(false, false));
        let mut synack = seg(flag::SYN | flag::ACK, B, A + 1, 65160, 0);
        synack.sack_perm = true;
        run(&mut c, Dir::Reply, synack, st(false, false));
        run(
            &mut c,
            Dir::Original,
            seg(flag::ACK, A + 1, B + 1, 502, 0),
            st(true, false),
        );
        run(
            &mut c,
            Dir::Original,
            seg(flag::ACK, A + 1, B + 1, 502, 3000),
            st(true, true),
        );
        // B SACKs a block up to A+3001 while acking A+1: fine.
        let mut s = seg(flag::ACK, B + 1, A + 1, 509, 0);
        s.sack = Some(A + 3001);
        assert!(matches!(
            run(&mut c, Dir::Reply, s, st(true, true)),
            Outcome::Accept { .. }
        ));
        // A SACK block beyond what A sent is invalid.
        s.sack = Some(A + 90_000);
        assert!(matches!(
            run(&mut c, Dir::Reply, s, st(true, true)),
            Outcome::Invalid(_)
        ));
    }

    #[test]
    fn simultaneous_open() {
        let syn_a = seg(flag::SYN, A, 0, 64240, 0);
        let mut c = new_conn(&syn_a, &Config::DEFAULT).unwrap();
        run(&mut c, Dir::Original, syn_a, st(false, false));
        run(
            &mut c,
            Dir::Reply,
            seg(flag::SYN, B, 0, 65160, 0),
            st(false, false),
        );
        assert_eq!(c.state, State::SynSent2);
        run(
            &mut c,
            Dir::Original,
            seg(flag::SYN | flag::ACK, A, B + 1, 64240, 0),
            st(true, false),
        );
        assert_eq!(c.state, State::SynRecv);
        run(
            &mut c,
            Dir::Reply,
            seg(flag::ACK, B + 1, A + 1, 509, 0),
            st(true, false),
        );
        assert_eq!(c.state, State::Established);
    }

    #[test]
    fn syn_after_time_wait_reopens() {
        let mut c = open();
        run(
            &mut c,
            Dir::Original,
            seg(flag::FIN | flag::ACK, A + 1, B + 1, 502, 0),
            st(true, true),
        );
        run(
            &mut c,
            Dir::Reply,
            seg(flag::FIN | flag::ACK, B + 1, A + 2, 509, 0),
            st(true, true),
        );
        run(
            &mut c,
            Dir::Original,
            seg(flag::ACK, A + 2, B + 2, 502, 0),
            st(true, true),
        );
        assert_eq!(c.state, State::TimeWait);
        let syn = seg(flag::SYN, A + 100_000, 0, 64240, 0);
        assert_eq!(
            run(&mut c, Dir::Original, syn, st(true, true)),
            Outcome::Reopen
        );
    }

    #[test]
    fn pickup_needs_loose() {
        let ack = seg(flag::ACK, 77, 99, 500, 10);
        assert!(new_conn(&ack, &Config::DEFAULT).is_some());
        let strict = Config {
            loose: false,
            ..Config::DEFAULT
        };
        assert!(new_conn(&ack, &strict).is_none());
        // A SYN/ACK or FIN cannot start a connection.
        assert!(new_conn(&seg(flag::SYN | flag::ACK, 1, 2, 3, 0), &Config::DEFAULT).is_none());
        assert!(new_conn(&seg(flag::FIN | flag::ACK, 1, 2, 3, 0), &Config::DEFAULT).is_none());
        // Picked up without a reply: ESTABLISHED, but with a 300 s timeout
        // instead of 5 days. As in nf, the liberal window check returns
        // before recording the window, so the zero-window (retrans) rule
        // applies; either way the timeout is capped at `unack`.
        let mut c = new_conn(&ack, &Config::DEFAULT).unwrap();
        assert_eq!(
            run(&mut c, Dir::Original, ack, st(false, false)),
            Outcome::Accept {
                timeout: Timeout::Retrans,
                assure: false
            }
        );
        assert_eq!(c.state, State::Established);
    }

    #[test]
    fn retransmitted_syn_does_not_refresh() {
        let syn = seg(flag::SYN, A, 0, 64240, 0);
        let mut c = new_conn(&syn, &Config::DEFAULT).unwrap();
        run(&mut c, Dir::Original, syn, st(false, false));
        assert_eq!(
            run(&mut c, Dir::Original, syn, st(false, false)),
            Outcome::Ignore
        );
    }

    fn tcp_bytes(flags: u8, doff_words: u8, opts: &[u8], payload: usize) -> Vec<u8> {
        let mut h = vec![0u8; 20];
        h[0..2].copy_from_slice(&1234u16.to_be_bytes());
        h[2..4].copy_from_slice(&80u16.to_be_bytes());
        h[4..8].copy_from_slice(&A.to_be_bytes());
        h[8..12].copy_from_slice(&B.to_be_bytes());
        h[12] = doff_words << 4;
        h[13] = flags;
        h[14..16].copy_from_slice(&1000u16.to_be_bytes());
        h.extend_from_slice(opts);
        h.extend(std::iter::repeat(0xaa).take(payload));
        h
    }

    #[test]
    fn segment_parsing_and_errors() {
        // MSS, SACK-permitted, timestamps, NOP, window scale 9 (clamped to 14 if above).
        let opts = [
            2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 9,
        ];
        let p = tcp_bytes(flag::SYN, 10, &opts, 0);
        let s = parse_segment(&p[..], 0).unwrap();
        assert_eq!((s.seq, s.ack, s.win, s.payload), (A, B, 1000, 0));
        assert_eq!((s.wscale, s.sack_perm), (Some(9), true));
        let mut big = opts;
        big[19] = 20;
        let s = parse_segment(&tcp_bytes(flag::SYN, 10, &big, 0)[..], 0).unwrap();
        assert_eq!(s.wscale, Some(14));
        // SACK block: right edge picked.
        let sack = [1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0x10, 0];
        let s = parse_segment(&tcp_bytes(flag::ACK, 8, &sack, 7)[..], 0).unwrap();
        assert_eq!((s.sack, s.payload), (Some(0x1000), 7));
        // The aligned timestamp alone (the fast path that skips the walk)
        // parses as the walk would; with SYN-like options after it, walked.
        let ts = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
        let s = parse_segment(&tcp_bytes(flag::ACK, 8, &ts, 3)[..], 0).unwrap();
        let mut walked = s;
        parse_options(&ts, &mut walked);
        assert_eq!(walked, s);
        assert_eq!((s.wscale, s.sack_perm, s.sack, s.payload), (None, false, None, 3));
        let ts_ws = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7];
        let s = parse_segment(&tcp_bytes(flag::SYN, 9, &ts_ws, 0)[..], 0).unwrap();
        assert_eq!(s.wscale, Some(7));
        // Errors: doff < 5, header past the packet, bad flag combinations.
        assert!(parse_segment(&tcp_bytes(flag::ACK, 4, &[], 0)[..], 0).is_none());
        assert!(parse_segment(&tcp_bytes(flag::ACK, 6, &[], 0)[..], 0).is_none());
        assert!(parse_segment(&tcp_bytes(flag::SYN | flag::FIN, 5, &[], 0)[..], 0).is_none());
        assert!(parse_segment(&tcp_bytes(flag::SYN | flag::RST, 5, &[], 0)[..], 0).is_none());
        assert!(parse_segment(&tcp_bytes(0, 5, &[], 0)[..], 0).is_none());
        assert!(parse_segment(&tcp_bytes(flag::FIN, 5, &[], 0)[..], 0).is_none());
        assert!(parse_segment(
            &tcp_bytes(flag::ACK | flag::PSH | flag::ECE | flag::CWR, 5, &[], 0)[..],
            0
        )
        .is_some());
        // Silly and partial options stop the walk without failing.
        assert!(parse_segment(&tcp_bytes(flag::ACK, 6, &[3, 1, 0, 0], 0)[..], 0).is_some());
        assert!(parse_segment(&tcp_bytes(flag::ACK, 6, &[3, 9, 0, 0], 0)[..], 0).is_some());
        // Every truncation of a valid header fails cleanly.
        let p = tcp_bytes(flag::SYN, 10, &opts, 0);
        for n in 0..p.len() {
            assert!(parse_segment(&p[..n], 0).is_none(), "{n}");
        }
    }

    #[test]
    fn random_segments_never_panic() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..2000 {
            let syn = seg(flag::SYN, next() as u32, 0, next() as u16, 0);
            let mut c = match new_conn(&syn, &Config::DEFAULT) {
                Some(c) => c,
                None => continue,
            };
            for _ in 0..20 {
                let flags = [
                    flag::SYN,
                    flag::SYN | flag::ACK,
                    flag::ACK,
                    flag::FIN | flag::ACK,
                    flag::RST,
                    flag::RST | flag::ACK,
                ][(next() % 6) as usize];
                let mut s = seg(
                    flags,
                    next() as u32,
                    next() as u32,
                    next() as u16,
                    (next() % 2000) as u32,
                );
                if next() % 4 == 0 {
                    s.sack = Some(next() as u32);
                }
                if next() % 8 == 0 {
                    s.wscale = Some((next() % 15) as u8);
                }
                let d = if next() % 2 == 0 {
                    Dir::Original
                } else {
                    Dir::Reply
                };
                let _ = packet(
                    &mut c,
                    d,
                    &s,
                    st(next() % 2 == 0, next() % 2 == 0),
                    (next() % 500_000) as u32,
                    &Config::DEFAULT,
                    &Timeouts::DEFAULT,
                );
            }
        }
    }
}
