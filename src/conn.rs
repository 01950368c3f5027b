// SPDX-License-Identifier: GPL-2.0

//! One tracked connection (`struct nf_conn`'s counterpart).
//!
//! An entry stores its original tuple only: rct does no NAT, so the reply
//! tuple is always the inverse. It is linked into two hash chains, one per
//! direction, through `next`. Timeouts are absolute deadlines in 32-bit
//! jiffies, compared with wrapping arithmetic as nf does.
//!
//! Memory: 168 bytes per entry, TCP state included, in a dedicated slab
//! cache (nf_conntrack: a 256-byte object for `struct nf_conn`, more with
//! extensions); the `memory.sh` selftest measures both from /proc/slabinfo.
//! Packet/byte counters, off by default as in nf (`net.rct.acct`), live in
//! a separate 32-byte block that only entries created with them on get, as
//! nf's acct extension.
//!
//! C reference: include/net/netfilter/nf_conntrack.h.

use crate::kext::rcu::{RcuFree, RcuHead};
use crate::proto::line::Counter;
use crate::proto::track::{status, time_after, Dir};
use crate::kext::time::HZ;
use crate::proto::tcp::{State as TcpState, TcpConn};
use crate::proto::tuple::Tuple;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed};
use kernel::prelude::*;

/// Packets and bytes, original then reply direction.
type Counters = [AtomicU64; 4];

/// A connection entry.
///
/// Fields are ordered to avoid padding (168 bytes on 64-bit).
#[repr(C)]
pub(crate) struct Conn {
    /// Hash chain links per direction: the next entry's address with its
    /// direction in bit 0, or 0 at the end of the chain.
    pub(crate) next: [AtomicUsize; 2],
    /// The original-direction tuple.
    pub(crate) orig: Tuple,
    /// TCP tracking state; only touched under the table's TCP lock for
    /// this entry (see `Table::with_tcp`).
    tcp: UnsafeCell<TcpConn>,
    /// Expiry deadline (jiffies).
    pub(crate) timeout: AtomicU32,
    /// Status bits ([`status`]).
    pub(crate) status: AtomicU32,
    /// Jiffies at creation.
    pub(crate) born: u32,
    /// Connection mark.
    pub(crate) mark: AtomicU32,
    /// Zone id.
    pub(crate) zone: u16,
    /// Copy of the TCP state, readable without the TCP lock.
    tcp_state: AtomicU8,
    /// Owning namespace: the address of its [`crate::conntrack::Ns`], which
    /// also identifies the namespace in lookups.
    pub(crate) ns: usize,
    /// Counters, if the entry was created while `net.rct.acct` was on;
    /// set before the entry is published, never changed afterwards.
    acct: Option<KBox<Counters>>,
    rcu: RcuHead,
}

// SAFETY: `tcp` is only accessed under the lock `Table::with_tcp` takes;
// everything else is atomics or immutable after creation.
unsafe impl Sync for Conn {}
// SAFETY: As above.
unsafe impl Send for Conn {}

/// nf_conntrack's `struct nf_conn` slab object is 256 bytes (16 per page);
/// rct's target is at most 3/4 of that per entry: 24 per page.
const _: () = assert!(core::mem::size_of::<Conn>() <= 168);

impl Conn {
    /// A new, unconfirmed entry for `orig` in namespace `ns`; with
    /// counters if `acct` and their block can be allocated (atomically).
    pub(crate) fn new(orig: Tuple, ns: usize, now: u32, deadline: u32, acct: bool, tcp: TcpConn) -> Self {
        let zero = || [const { AtomicU64::new(0) }; 4];
        Self {
            next: [AtomicUsize::new(0), AtomicUsize::new(0)],
            orig,
            tcp: UnsafeCell::new(tcp),
            ns,
            timeout: AtomicU32::new(deadline),
            status: AtomicU32::new(0),
            born: now,
            mark: AtomicU32::new(0),
            zone: 0,
            tcp_state: AtomicU8::new(tcp.state as u8),
            // Like nf's failed extension allocation: no counters.
            acct: acct.then(|| KBox::new(zero(), GFP_ATOMIC).ok()).flatten(),
            rcu: RcuHead::new(),
        }
    }

    /// Jiffies after which a replied UDP flow counts as a stream (creation + 2 s).
    pub(crate) fn stream_at(&self) -> u32 {
        self.born.wrapping_add(2 * HZ)
    }

    /// The TCP state (meaningful for TCP entries), without locking.
    pub(crate) fn tcp_state(&self) -> TcpState {
        TcpState::from_raw(self.tcp_state.load(Relaxed))
    }

    /// Runs `f` on the TCP state.
    ///
    /// # Safety
    ///
    /// The caller holds the lock that serialises TCP updates of this entry
    /// (or owns the entry exclusively).
    pub(crate) unsafe fn tcp_mut<R>(&self, f: impl FnOnce(&mut TcpConn) -> R) -> R {
        // SAFETY: Exclusive per the contract.
        let t = unsafe { &mut *self.tcp.get() };
        let r = f(t);
        self.tcp_state.store(t.state as u8, Relaxed);
        r
    }

    /// Status bits.
    pub(crate) fn status(&self) -> u32 {
        self.status.load(Relaxed)
    }

    /// Sets status bits.
    pub(crate) fn set_status(&self, bits: u32) {
        if self.status() & bits != bits {
            self.status.fetch_or(bits, Relaxed);
        }
    }

    /// Sets status bits; whether any of them was not set before (an event).
    pub(crate) fn set_status_new(&self, bits: u32) -> bool {
        self.status() & bits != bits && self.status.fetch_or(bits, Relaxed) & bits != bits
    }

    /// Whether the entry has expired at `now`.
    pub(crate) fn expired(&self, now: u32) -> bool {
        time_after(now, self.timeout.load(Relaxed))
    }

    /// Whole seconds until the entry expires at `now` (0 when overdue), as
    /// `/proc`, ctnetlink and the TCP tracker show and use it.
    pub(crate) fn secs_left(&self, now: u32) -> u32 {
        let left = self.timeout.load(Relaxed).wrapping_sub(now) as i32;
        u32::try_from(left.max(0)).unwrap_or(0) / HZ
    }

    /// Whether `/proc` and ctnetlink show the entry at `now`: confirmed and
    /// not expired (chain walks already skip dying entries).
    pub(crate) fn shown(&self, now: u32) -> bool {
        self.status() & status::CONFIRMED != 0 && !self.expired(now)
    }

    /// Sets the expiry deadline.
    pub(crate) fn refresh(&self, deadline: u32) {
        if self.timeout.load(Relaxed) != deadline {
            self.timeout.store(deadline, Relaxed);
        }
    }

    /// Counts a packet of `bytes` in direction `dir`, if the entry keeps counters.
    pub(crate) fn account(&self, dir: Dir, bytes: u32) {
        let Some(acct) = &self.acct else {
            return;
        };
        let i = dir as usize * 2;
        if let Some([p, b]) = acct.get(i..i + 2) {
            p.fetch_add(1, Relaxed);
            b.fetch_add(u64::from(bytes), Relaxed);
        }
    }

    /// Adds another entry's counters to this one's (clash merge).
    pub(crate) fn merge_counters(&self, other: &Conn) {
        if let (Some(mine), Some(theirs)) = (&self.acct, &other.acct) {
            for (a, b) in mine.iter().zip(theirs.iter()) {
                a.fetch_add(b.load(Relaxed), Relaxed);
            }
        }
    }

    /// Both directions' counters, if the entry keeps them.
    pub(crate) fn counters(&self) -> Option<[Counter; 2]> {
        let [p0, b0, p1, b1] = &**self.acct.as_ref()?;
        Some([
            Counter {
                packets: p0.load(Relaxed),
                bytes: b0.load(Relaxed),
            },
            Counter {
                packets: p1.load(Relaxed),
                bytes: b1.load(Relaxed),
            },
        ])
    }

    /// Both directions' counters, zeroed as they are read
    /// (`IPCTNL_MSG_CT_GET_CTRZERO`).
    pub(crate) fn take_counters(&self) -> Option<[Counter; 2]> {
        let [p0, b0, p1, b1] = &**self.acct.as_ref()?;
        Some([
            Counter {
                packets: p0.swap(0, Relaxed),
                bytes: b0.swap(0, Relaxed),
            },
            Counter {
                packets: p1.swap(0, Relaxed),
                bytes: b1.swap(0, Relaxed),
            },
        ])
    }

    /// Whether the entry is being removed.
    pub(crate) fn dying(&self) -> bool {
        self.status() & status::DYING != 0
    }
}

/// The entry cache `RcuFree::free` returns entries to, set while the table exists.
pub(crate) static CACHE: core::sync::atomic::AtomicPtr<crate::kext::slab::Cache<Conn>> =
    core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

// SAFETY: `rcu` is a field of `Conn`, at the offset given.
unsafe impl RcuFree for Conn {
    const HEAD_OFFSET: usize = core::mem::offset_of!(Conn, rcu);

    unsafe fn free(this: *mut Self) {
        let cache = CACHE.load(core::sync::atomic::Ordering::Acquire);
        if let (Some(cache), Some(p)) = (
            // SAFETY: The table keeps the cache alive until `rcu_barrier()`
            // has run every pending free (see `Table`'s drop).
            unsafe { cache.as_ref() },
            core::ptr::NonNull::new(this),
        ) {
            // SAFETY: `this` came from this cache and is freed once (contract).
            unsafe { cache.free(p) };
        }
    }
}
