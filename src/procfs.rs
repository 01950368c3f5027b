// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/rct_conntrack` and `/proc/net/stat/rct_conntrack`.
//!
//! The table file walks the global table under one RCU read-side section
//! per `read()` (no lock is held across reads or while formatting) and
//! shows this namespace's confirmed, live entries once each (from their
//! original-direction chain). Between reads it remembers the bucket and the
//! position inside it, so a large table is read in linear time.
//!
//! C reference: `ct_seq_ops` and `ct_cpu_seq_ops` in
//! net/netfilter/nf_conntrack_standalone.c.

use crate::conn::Conn;
use crate::kext::percpu;
use crate::kext::proc::{SeqFile, SeqIter};
use crate::kext::rcu::{self, Guard};
use crate::kext::time;
use crate::netns::NetCt;
use crate::proto::line::{write_line, Line};
use crate::proto::stat;
use crate::proto::tuple::ipproto;
use core::fmt::{self, Write};
use core::sync::atomic::Ordering;

/// Where the table file's last shown record is.
#[derive(Clone, Copy, Default)]
pub(crate) struct TablePos {
    pos: u64,
    bucket: u32,
    skip: u32,
}

/// Cursor over `/proc/net/rct_conntrack`: one line per confirmed entry.
pub(crate) struct TableIter {
    _rcu: Guard,
    now: u32,
    bucket: u32,
    skip: u32,
    conn: *const Conn,
}

fn visible(ct: &NetCt, c: &Conn, now: u32) -> bool {
    c.ns == ct.ns.id() && c.shown(now)
}

/// The first visible entry at index `skip` or later of bucket `bucket`, or
/// in a later bucket: `(bucket, index, entry)`.
fn seek<'g>(ct: &NetCt, g: &'g Guard, now: u32, mut bucket: u32, mut skip: u32) -> Option<(u32, u32, &'g Conn)> {
    while bucket < ct.table.buckets() {
        let mut i = 0u32;
        let mut found = None;
        ct.table.for_each_in_bucket(g, bucket, |c| {
            if found.is_none() && visible(ct, c, now) {
                if i == skip {
                    found = Some(c);
                }
                i = i.saturating_add(1);
            }
        });
        if let Some(c) = found {
            return Some((bucket, skip, c));
        }
        bucket += 1;
        skip = 0;
    }
    None
}

impl TableIter {
    fn at(ct: &NetCt, g: Guard, now: u32, bucket: u32, skip: u32) -> Option<Self> {
        let (bucket, skip, c) = seek(ct, &g, now, bucket, skip)?;
        let conn: *const Conn = c;
        Some(Self {
            _rcu: g,
            now,
            bucket,
            skip,
            conn,
        })
    }
}

impl SeqIter for TableIter {
    type Data = NetCt;
    type State = TablePos;

    fn start(ct: &NetCt, st: &mut TablePos, pos: u64) -> Option<Self> {
        let now = time::jiffies32();
        let g = rcu::read_lock();
        let it = if pos == 0 {
            Self::at(ct, g, now, 0, 0)
        } else if pos == st.pos {
            // Resume on the record the last read could not fit.
            Self::at(ct, g, now, st.bucket, st.skip)
        } else if pos == st.pos.wrapping_add(1) {
            Self::at(ct, g, now, st.bucket, st.skip.saturating_add(1))
        } else {
            // A seek elsewhere: walk from the start.
            let mut it = Self::at(ct, g, now, 0, 0)?;
            for _ in 0..pos {
                if !it.advance(ct) {
                    return None;
                }
            }
            Some(it)
        }?;
        *st = TablePos {
            pos,
            bucket: it.bucket,
            skip: it.skip,
        };
        Some(it)
    }

    fn next(&mut self, ct: &NetCt, st: &mut TablePos) -> bool {
        if !self.advance(ct) {
            return false;
        }
        *st = TablePos {
            pos: st.pos.wrapping_add(1),
            bucket: self.bucket,
            skip: self.skip,
        };
        true
    }

    fn show(&self, ct: &NetCt, m: &mut SeqFile) -> fmt::Result {
        // SAFETY: `conn` was found under `self._rcu`, which is still held.
        let c = unsafe { &*self.conn };
        let Some(reply) = c.orig.invert() else {
            return Ok(());
        };
        let secs_left = u64::from(c.secs_left(self.now));
        let _ = ct;
        write_line(
            m,
            &Line {
                orig: &c.orig,
                reply: &reply,
                secs_left,
                state: (c.orig.proto == ipproto::TCP).then(|| c.tcp_state().name()),
                status: c.status(),
                acct: c.counters(),
                mark: c.mark.load(Ordering::Relaxed),
                zone: c.zone,
                // The table's reference: rct takes none per reader or packet.
                use_count: 1,
            },
        )
    }
}

impl TableIter {
    fn advance(&mut self, ct: &NetCt) -> bool {
        let Some((bucket, skip, c)) = seek(ct, &self._rcu, self.now, self.bucket, self.skip.saturating_add(1)) else {
            return false;
        };
        self.bucket = bucket;
        self.skip = skip;
        self.conn = c;
        true
    }
}

/// Cursor over `/proc/net/stat/rct_conntrack`: the header, then the
/// `index`-th possible CPU's line.
pub(crate) enum StatIter {
    /// The header line (position 0).
    Header,
    /// A CPU's line.
    Cpu(u32),
}

/// The `n`-th possible CPU (0-based), if any.
fn nth_possible_cpu(n: u64) -> Option<u32> {
    let mut seen = 0u64;
    for cpu in 0..percpu::nr_cpu_ids() {
        if percpu::cpu_possible(cpu) {
            if seen == n {
                return Some(cpu);
            }
            seen += 1;
        }
    }
    None
}

/// The first possible CPU after `cpu`, if any.
fn next_possible_cpu(cpu: u32) -> Option<u32> {
    (cpu.saturating_add(1)..percpu::nr_cpu_ids()).find(|c| percpu::cpu_possible(*c))
}

impl SeqIter for StatIter {
    type Data = NetCt;
    type State = ();

    fn start(_ct: &NetCt, _st: &mut (), pos: u64) -> Option<Self> {
        match pos.checked_sub(1) {
            None => Some(StatIter::Header),
            Some(n) => nth_possible_cpu(n).map(StatIter::Cpu),
        }
    }

    fn next(&mut self, _ct: &NetCt, _st: &mut ()) -> bool {
        let next = match *self {
            StatIter::Header => nth_possible_cpu(0),
            StatIter::Cpu(cpu) => next_possible_cpu(cpu),
        };
        match next {
            Some(cpu) => {
                *self = StatIter::Cpu(cpu);
                true
            }
            None => false,
        }
    }

    fn show(&self, ct: &NetCt, m: &mut SeqFile) -> fmt::Result {
        match *self {
            StatIter::Header => m.write_str(stat::HEADER),
            StatIter::Cpu(cpu) => match ct.ns.stats.cpu(cpu) {
                Some(s) => {
                    let entries = u32::try_from(ct.ns.count.load(Ordering::Relaxed)).unwrap_or(0);
                    stat::write_cpu_line(m, entries, &s)
                }
                None => Ok(()),
            },
        }
    }
}
