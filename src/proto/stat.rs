// SPDX-License-Identifier: GPL-2.0

//! Per-CPU statistics: the counters and the `/proc/net/stat/rct_conntrack` format.
//!
//! The file has nf_conntrack's layout (a header line, then one line of hex
//! counters per possible CPU) so `lnstat` and scripts written for
//! `/proc/net/stat/nf_conntrack` read it unchanged. rct appends five columns
//! of its own after nf's seventeen: packets seen at each conntrack hook
//! point, and unconfirmed entries discarded because their packet was
//! dropped before it was confirmed.
//!
//! C reference: `ct_cpu_seq_show()` in net/netfilter/nf_conntrack_standalone.c
//! and `struct ip_conntrack_stat` in include/linux/netfilter/nf_conntrack_common.h.

use core::fmt;

/// One per-CPU event counter. The discriminant is its index in [`CpuStats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Stat {
    /// A lookup found an existing entry.
    Found,
    /// A packet could not be tracked (malformed or unsupported header).
    Invalid,
    /// An entry was confirmed into the table.
    Insert,
    /// Confirming an entry failed.
    InsertFailed,
    /// A confirm clash was resolved by reusing the winning entry.
    ClashResolve,
    /// A packet was dropped because the table was full.
    Drop,
    /// An entry was evicted to make room (early drop).
    EarlyDrop,
    /// A protocol tracker reported an error (nf's `icmp_error` column).
    Error,
    /// A lockless lookup had to restart.
    SearchRestart,
    /// A hash chain was too long to insert into.
    ChainTooLong,
    /// Packets seen by the PRE_ROUTING hook.
    PreRouting,
    /// Packets seen by the LOCAL_IN hook.
    LocalIn,
    /// Packets seen by the LOCAL_OUT hook.
    LocalOut,
    /// Packets seen by the POST_ROUTING hook.
    PostRouting,
    /// Unconfirmed entries discarded because their packet never reached a
    /// confirm hook (dropped by a filter between the hooks).
    UnconfirmedDrop,
}

/// Number of per-CPU counters.
pub const NSTATS: usize = Stat::UnconfirmedDrop as usize + 1;

/// One CPU's counters, indexed by [`Stat`]. Counters wrap like nf's `unsigned int`s.
pub type CpuStats = [u32; NSTATS];

/// Header line: nf_conntrack's columns, then rct's per-hook packet columns.
pub const HEADER: &str = "entries  clashres found new invalid ignore delete chainlength \
insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete \
search_restart prerouting localin localout postrouting unconfirmed_drop\n";

/// Reads counter `s` of a CPU snapshot.
pub fn get(stats: &CpuStats, s: Stat) -> u32 {
    // `Stat` discriminants are all below `NSTATS`, so this never misses.
    stats.get(s as usize).copied().unwrap_or(0)
}

/// Writes one CPU's line; `entries` is the table's entry count (the same on every line, as in nf).
pub fn write_cpu_line<W: fmt::Write>(w: &mut W, entries: u32, stats: &CpuStats) -> fmt::Result {
    let g = |s| get(stats, s);
    // nf prints 0 for columns it no longer counts (new, ignore, delete) and
    // for expectations, which rct does not have.
    writeln!(
        w,
        "{:08x}  {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} \
         {:08x} {:08x} {:08x} {:08x} {:08x}  {:08x} {:08x} {:08x} {:08x} \
         {:08x} {:08x} {:08x} {:08x} {:08x}",
        entries,
        g(Stat::ClashResolve),
        g(Stat::Found),
        0,
        g(Stat::Invalid),
        0,
        0,
        g(Stat::ChainTooLong),
        g(Stat::Insert),
        g(Stat::InsertFailed),
        g(Stat::Drop),
        g(Stat::EarlyDrop),
        g(Stat::Error),
        0,
        0,
        0,
        g(Stat::SearchRestart),
        g(Stat::PreRouting),
        g(Stat::LocalIn),
        g(Stat::LocalOut),
        g(Stat::PostRouting),
        g(Stat::UnconfirmedDrop),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_nf_columns_first() {
        let nf = "entries  clashres found new invalid ignore delete chainlength insert \
                  insert_failed drop early_drop icmp_error  expect_new expect_create \
                  expect_delete search_restart";
        assert!(HEADER.starts_with(nf));
        assert_eq!(HEADER.split_whitespace().count(), 17 + 5);
    }

    #[test]
    fn line_matches_header_and_nf_widths() {
        let mut st = [0u32; NSTATS];
        st[Stat::Found as usize] = 0x10;
        st[Stat::ClashResolve as usize] = 2;
        st[Stat::SearchRestart as usize] = 0xdead_beef;
        st[Stat::PreRouting as usize] = 3;
        st[Stat::PostRouting as usize] = u32::MAX;
        let mut s = String::new();
        write_cpu_line(&mut s, 7, &st).unwrap();
        assert_eq!(
            s,
            "00000007  00000002 00000010 00000000 00000000 00000000 00000000 00000000 \
             00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 deadbeef \
             00000003 00000000 00000000 ffffffff 00000000\n"
        );
        let cols: Vec<&str> = s.split_whitespace().collect();
        let names: Vec<&str> = HEADER.split_whitespace().collect();
        assert_eq!(cols.len(), names.len());
        let col = |name| cols[names.iter().position(|n| *n == name).unwrap()];
        assert_eq!(col("found"), "00000010");
        assert_eq!(col("prerouting"), "00000003");
        assert_eq!(col("search_restart"), "deadbeef");
    }

    #[test]
    fn every_stat_has_a_distinct_index() {
        let all = [
            Stat::Found,
            Stat::Invalid,
            Stat::Insert,
            Stat::InsertFailed,
            Stat::ClashResolve,
            Stat::Drop,
            Stat::EarlyDrop,
            Stat::Error,
            Stat::SearchRestart,
            Stat::ChainTooLong,
            Stat::PreRouting,
            Stat::LocalIn,
            Stat::LocalOut,
            Stat::PostRouting,
            Stat::UnconfirmedDrop,
        ];
        assert_eq!(all.len(), NSTATS);
        for (i, s) in all.iter().enumerate() {
            assert_eq!(*s as usize, i);
        }
    }
}
