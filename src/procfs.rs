// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/rct_conntrack` and `/proc/net/stat/rct_conntrack`.
//!
//! C reference: `ct_seq_ops` and `ct_cpu_seq_ops` in
//! net/netfilter/nf_conntrack_standalone.c.

use crate::kext::percpu;
use crate::kext::proc::{SeqFile, SeqIter};
use crate::netns::NetCt;
use crate::proto::stat;
use core::fmt::{self, Write};
use core::sync::atomic::Ordering;

/// Cursor over `/proc/net/rct_conntrack`: one line per confirmed entry.
///
/// The table itself arrives with the conntrack engine; until then a
/// namespace has no entries and the file is empty, as nf's is with an empty
/// table.
pub(crate) struct TableIter;

impl SeqIter for TableIter {
    type Data = NetCt;

    fn start(_ct: &NetCt, _pos: u64) -> Option<Self> {
        None
    }

    fn next(&mut self, _ct: &NetCt) -> bool {
        false
    }

    fn show(&self, _ct: &NetCt, _m: &mut SeqFile) -> fmt::Result {
        Ok(())
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

    fn start(_ct: &NetCt, pos: u64) -> Option<Self> {
        match pos.checked_sub(1) {
            None => Some(StatIter::Header),
            Some(n) => nth_possible_cpu(n).map(StatIter::Cpu),
        }
    }

    fn next(&mut self, _ct: &NetCt) -> bool {
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
            StatIter::Cpu(cpu) => match ct.stats.cpu(cpu) {
                Some(s) => stat::write_cpu_line(m, ct.count.load(Ordering::Relaxed), &s),
                None => Ok(()),
            },
        }
    }
}
