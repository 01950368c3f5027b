// SPDX-License-Identifier: GPL-2.0

//! The connection table: one global RCU hash table shared by all network
//! namespaces, plus parking for unconfirmed entries.
//!
//! Design (as nf_conntrack since 4.x): one table for all namespaces, with the
//! namespace mixed into the hash and compared on lookup. Per-namespace tables
//! would cost every namespace a full bucket array (512 KiB at 65536
//! buckets), which does not scale to thousands of containers; the global
//! table also makes `net.rct.buckets` one machine-wide knob, as nf's is.
//!
//! - Every entry sits in two chains: under the hash of its original tuple
//!   and of its reply tuple. A chain link is the entry's address with the
//!   direction in bit 0.
//! - Lookups walk chains under `rcu_read_lock()` with acquire loads and take
//!   no lock. Entries are linked at the chain head with a release store and
//!   freed only after a grace period (`call_rcu`), so a reader never sees
//!   freed memory; unlinked entries keep their `next`, so a reader standing
//!   on one still reaches the rest of its chain.
//! - Writers (confirm, kill) hold the lock stripes of both chains, taken in
//!   index order with BHs off (`nf_conntrack_double_lock()`).
//! - The hash is SipHash-1-3 keyed with a random key per module load.
//! - Resizing (`net.rct.buckets`) moves entries to a new bucket array one
//!   chain link at a time, while lookups and inserts go on (the scheme of
//!   the kernel's rhashtable, after Triplett, McKenney and Walpole's
//!   relativistic hash tables). The old array points to the new one
//!   (`future`); lookups walk the old chain, then the new one. The mover
//!   always takes the *tail* link of an old chain, links it at the head of
//!   its new chain, then cuts it off the old chain: a reader standing on it
//!   continues into the new chain (harmless: keys are compared), and a
//!   reader that no longer sees it in the old chain finds it in the new
//!   one, which it walks afterwards. So no lookup misses an entry during a
//!   resize, and no packet waits for it: the mover holds two lock stripes
//!   per link moved, nothing more. nf_conntrack instead takes every lock
//!   and moves the whole table with bottom halves off, stalling inserts on
//!   all CPUs for the duration, and makes lookups restart.
//! - Writers lock the chains of their tuples in the current array and,
//!   during a resize, in the new one too (up to four stripes, in index
//!   order), then check that no resize started or ended meanwhile; inserts
//!   during a resize go to the new array. A chain of either array is
//!   protected by the stripe of its index, so the mover (holding the old
//!   and new chain's stripes) and writers exclude each other per chain.
//!
//! Two-phase insert: the first packet of a flow creates an unconfirmed
//! entry, parked under the packet's `sk_buff` address (rct cannot use
//! `skb->_nfct`, which belongs to nf_conntrack) in a small hash table of
//! bays shared by all CPUs (4 slots each, a lock each). The confirm hook
//! (LOCAL_IN / POST_ROUTING) takes it back by the same address, on
//! whatever CPU the packet has reached meanwhile (a sender preempted and
//! migrated, an NFQUEUE verdict given on another CPU), and inserts it. A
//! buffer address belongs to one live packet at a time, and a header
//! fingerprint keeps a later packet reusing the address of a dropped one
//! from taking its entry. A packet dropped in between leaves its entry
//! parked; it is discarded when its address reaches a conntrack hook
//! again, when its bay needs the slot (oldest first), or by the GC after
//! [`UNCONFIRMED_MAX_AGE`], and counted as `unconfirmed_drop`. NAT by
//! nf_conntrack does not disturb this: the `sk_buff` stays the same while
//! its addresses change. A packet of an established flow looks at its
//! bay's occupancy count and takes no lock.
//!
//! C reference: net/netfilter/nf_conntrack_core.c (`__nf_conntrack_find_get()`,
//! `__nf_conntrack_confirm()`, `nf_ct_resolve_clash()`, `early_drop()`).

use crate::conn::{Conn, CACHE};
use crate::kext::percpu;
use crate::kext::rcu::{self, Deferred, Guard, RcuHead};
use crate::kext::slab::{Cache, Gfp};
use crate::kext::spinlock::{lock_set, BhGuardSet, BhLock, SET_MAX};
use crate::kext::{random, sched, time};
use crate::proto::hash::{bucket, tuple_hash, Key};
use crate::proto::sizing::MAX_BUCKETS;
use crate::proto::stat::Stat;
use crate::proto::track::{status, Dir};
use crate::proto::tuple::Tuple;
use crate::stats::Stats;
use core::cell::UnsafeCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicUsize, Ordering};
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::sync::Mutex;
use kernel::{c_str, new_mutex};

/// Lock stripes for the hash chains (nf: `CONNTRACK_LOCKS`).
const LOCKS: usize = 1024;
/// Lock stripes serialising TCP state updates, by entry address (nf has a
/// spinlock in every entry; stripes keep the entry small).
const TCP_LOCKS: usize = 256;
/// Parking slots per bay for unconfirmed entries (see [`Bay`]).
const WAYS: usize = 4;
/// Parking bays: 64 per possible CPU, at least `MIN_BAYS` (receive
/// batching runs PRE_ROUTING for up to `gro_normal_batch` (8) packets
/// before LOCAL_IN, so each CPU may have a few batches of new flows parked
/// at once), a power of two.
const MIN_BAYS: u32 = 1024;
const BAYS_PER_CPU: u32 = 64;
const MAX_BAYS: u32 = 1 << 16;
/// Unconfirmed entries older than this (jiffies) are reaped: their packet
/// was dropped before it reached a confirm hook.
pub(crate) const UNCONFIRMED_MAX_AGE: u32 = time::HZ;
/// Buckets early drop inspects (nf: 8, after `NF_CT_EVICTION_RANGE`).
const EARLY_DROP_BUCKETS: u32 = 8;
/// An insert into a chain longer than `MIN_CHAINLEN` plus a random amount
/// below `CHAINLEN_SPREAD` fails (`chaintoolong`): a bound on the work an
/// attacker who found colliding tuples can cause, as nf's
/// `MIN_CHAINLEN`/`MAX_CHAINLEN` (the random part keeps the exact limit
/// from being probed).
const MIN_CHAINLEN: u32 = 50;
const CHAINLEN_SPREAD: u64 = 30;

/// What the table keeps of a namespace: its entry count and statistics.
/// Entries point to their namespace's `Ns` (`Conn::ns`).
///
/// Lifetime rule: an `Ns` outlives its entries. A namespace first stops its
/// hooks, then [`Table::flush`], then waits for an RCU grace period
/// before freeing its `Ns`; everyone who touches an entry's `Ns` does so
/// inside an RCU read-side section in which the entry was still linked or
/// parked.
pub(crate) struct Ns {
    /// Entries (unconfirmed included), `net.rct.count`.
    pub(crate) count: AtomicI32,
    /// Per-CPU statistics.
    pub(crate) stats: Stats,
    /// Address of the namespace's `struct net` (see [`crate::events`]).
    pub(crate) net: usize,
    /// Report events: set once the namespace is up, cleared when its
    /// teardown starts.
    pub(crate) events: AtomicBool,
}

impl Ns {
    /// The identity entries carry.
    pub(crate) fn id(&self) -> usize {
        self as *const Ns as usize
    }
}

/// The namespace of an entry.
///
/// # Safety
///
/// The caller is inside an RCU read-side section in which `c` was linked in
/// the table or parked (see [`Ns`]).
pub(crate) unsafe fn ns_of(c: &Conn) -> &Ns {
    // SAFETY: Per the contract and `Ns`'s lifetime rule, the namespace is alive.
    unsafe { &*(c.ns as *const Ns) }
}

/// Result of confirming an entry.
pub(crate) enum Confirm {
    /// Inserted into the table.
    Inserted,
    /// The same flow was confirmed first by another packet: this entry's
    /// counters went to the winner and the entry was freed.
    Clash,
    /// Another flow holds the reply tuple; the entry was freed.
    Failed,
    /// A hash chain of the entry is too long (see [`MIN_CHAINLEN`]); the
    /// entry was freed.
    ChainTooLong,
}

/// A parking slot: the packet's buffer address and a fingerprint of its
/// network header, so a later packet that happens to reuse the address of
/// a dropped one is not mistaken for it, and the hash of the entry's
/// original tuple from the lookup, for the insert (nf keeps it in the
/// unconfirmed entry's unused reply chain pointer).
#[derive(Clone, Copy)]
struct Slot {
    skb: usize,
    fp: u64,
    hash: u64,
    conn: Option<NonNull<Conn>>,
}

/// A parking bay: the unconfirmed entries whose packets' buffer addresses
/// hash to it, shared by all CPUs, so a packet confirmed on another CPU
/// than the one that parked its entry (sender migrated, NFQUEUE verdict
/// given on another CPU) finds it.
struct Bay {
    lock: BhLock,
    /// Occupied slots (changed under `lock`; read without it as a hint).
    used: AtomicU32,
    slots: UnsafeCell<[Slot; WAYS]>,
}

const FREE_SLOT: Slot = Slot {
    skb: 0,
    fp: 0,
    hash: 0,
    conn: None,
};

/// One bucket array of the table.
struct Buckets {
    heads: KVVec<AtomicUsize>,
    n: u32,
    /// The array entries are moving to while the table is resized. Set
    /// once and never cleared while this array lives, so a reader that
    /// started on it always reaches the entries that moved.
    future: AtomicPtr<Buckets>,
}

impl Buckets {
    fn new(n: u32) -> Result<KBox<Self>> {
        let n = n.max(1);
        let len = usize::try_from(n).map_err(|_| EINVAL)?;
        let mut heads = KVVec::with_capacity(len, GFP_KERNEL)?;
        for _ in 0..len {
            heads.push(AtomicUsize::new(0), GFP_KERNEL)?;
        }
        Ok(KBox::new(
            Self {
                heads,
                n,
                future: AtomicPtr::new(core::ptr::null_mut()),
            },
            GFP_KERNEL,
        )?)
    }

    /// The bucket of hash `h`.
    fn of(&self, h: u64) -> u32 {
        bucket(h, self.n)
    }

    fn head(&self, b: u32) -> Option<&AtomicUsize> {
        self.heads.get(usize::try_from(b).ok()?)
    }

    /// The array entries are moving to, during a resize.
    fn future<'g>(&self, _g: &'g Guard) -> Option<&'g Buckets> {
        // SAFETY: A future array becomes the current one and is freed only
        // after a later resize and a grace period, which `_g` holds off.
        unsafe { self.future.load(Ordering::Acquire).as_ref() }
    }
}

/// The chains writers lock: in the current array and, during a resize, in
/// the future one.
struct Chains<'g> {
    cur: &'g Buckets,
    fut: Option<&'g Buckets>,
}

/// The global connection table.
pub(crate) struct Table {
    /// The current bucket array (from `KBox::into_raw`), replaced by resizes.
    cur: AtomicPtr<Buckets>,
    /// Serialises resizes with each other and with full-table walks that
    /// must not miss entries (namespace flush, teardown).
    resizing: Pin<KBox<Mutex<()>>>,
    /// Entry limit of every namespace (`net.rct.max`, global like
    /// `nf_conntrack_max`).
    pub(crate) max: AtomicI32,
    locks: KVec<BhLock>,
    tcp_locks: KVec<BhLock>,
    /// Parking for unconfirmed entries, by buffer address
    /// ([`Table::bay`]); `bay_bits` is log2 of their number.
    bays: KVVec<Bay>,
    bay_bits: u32,
    key: Key,
    cache: Cache<Conn>,
    /// Some namespace's table is nearly full: the GC should hurry.
    pressure: AtomicBool,
}

// SAFETY: The raw pointers in the bays are entries owned by the table and
// only touched under the bay's lock; everything else is atomics and locks.
unsafe impl Send for Table {}
// SAFETY: As above.
unsafe impl Sync for Table {}

fn link(c: NonNull<Conn>, dir: Dir) -> usize {
    c.as_ptr() as usize | dir as usize
}

/// The entry and direction a chain link designates.
///
/// # Safety
///
/// `l` is a non-zero link read from a chain of the table under an RCU read
/// lock (or a chain lock) that is held for `'g`.
unsafe fn unlink_ref<'g>(l: usize) -> (&'g Conn, Dir) {
    let dir = if l & 1 == 0 { Dir::Original } else { Dir::Reply };
    // SAFETY: Per the contract the entry is live until the lock ends: it is
    // freed only after a grace period following its unlinking.
    (unsafe { &*((l & !1) as *const Conn) }, dir)
}

impl Table {
    /// Allocates a table of `nbuckets` buckets with entry limit `max` (may
    /// sleep). Call [`Table::init`] once it is at its final address.
    pub(crate) fn new(nbuckets: u32, max: i32) -> Result<Self> {
        let buckets = Buckets::new(nbuckets)?;
        let mut locks = KVec::with_capacity(LOCKS, GFP_KERNEL)?;
        for _ in 0..LOCKS {
            locks.push(BhLock::uninit(), GFP_KERNEL)?;
        }
        let mut tcp_locks = KVec::with_capacity(TCP_LOCKS, GFP_KERNEL)?;
        for _ in 0..TCP_LOCKS {
            tcp_locks.push(BhLock::uninit(), GFP_KERNEL)?;
        }
        let nbays = percpu::nr_cpu_ids()
            .saturating_mul(BAYS_PER_CPU)
            .clamp(MIN_BAYS, MAX_BAYS)
            .next_power_of_two();
        let bay_bits = nbays.trailing_zeros();
        let mut bays = KVVec::with_capacity(usize::try_from(nbays).map_err(|_| EINVAL)?, GFP_KERNEL)?;
        for _ in 0..nbays {
            bays.push(
                Bay {
                    lock: BhLock::uninit(),
                    used: AtomicU32::new(0),
                    slots: UnsafeCell::new([FREE_SLOT; WAYS]),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            cur: AtomicPtr::new(KBox::into_raw(buckets)),
            resizing: KBox::pin_init(new_mutex!(()), GFP_KERNEL)?,
            max: AtomicI32::new(max),
            locks,
            tcp_locks,
            bays,
            bay_bits,
            key: Key(random::u64(), random::u64()),
            cache: Cache::new(c_str!("rct_conn"))?,
            pressure: AtomicBool::new(false),
        })
    }

    /// Initialises the locks in place and publishes the entry cache.
    ///
    /// # Safety
    ///
    /// Called once, before any other use, with the table at its final
    /// address (it never moves afterwards).
    pub(crate) unsafe fn init(&self) {
        for l in self.locks.iter() {
            // SAFETY: Unused, at its final address (contract).
            unsafe { l.init() };
        }
        for l in self.tcp_locks.iter() {
            // SAFETY: As above.
            unsafe { l.init() };
        }
        for b in self.bays.iter() {
            // SAFETY: As above.
            unsafe { b.lock.init() };
        }
        let cache = (&self.cache as *const Cache<Conn>).cast_mut();
        CACHE.store(cache, Ordering::Release);
    }

    /// The current bucket array.
    fn cur<'g>(&self, _g: &'g Guard) -> &'g Buckets {
        // SAFETY: `cur` always points to a live array; a replaced one is
        // freed only after a grace period, which `_g` holds off.
        unsafe { &*self.cur.load(Ordering::Acquire) }
    }

    /// Number of buckets.
    pub(crate) fn buckets(&self) -> u32 {
        self.cur(&rcu::read_lock()).n
    }

    /// Tells the GC that a namespace is nearly full.
    pub(crate) fn set_pressure(&self) {
        if !self.pressure.load(Ordering::Relaxed) {
            self.pressure.store(true, Ordering::Relaxed);
        }
    }

    /// Whether a namespace was nearly full since the last call (clears it).
    pub(crate) fn take_pressure(&self) -> bool {
        self.pressure.swap(false, Ordering::Relaxed)
    }

    /// The hash of tuple `t` of namespace `ns` (lookups, and inserts).
    pub(crate) fn hash(&self, ns: usize, t: &Tuple) -> u64 {
        tuple_hash(self.key, ns as u64, t)
    }

    /// The hash of the tuple a chain link stands for.
    fn link_hash(&self, c: &Conn, dir: Dir) -> u64 {
        match dir {
            Dir::Original => self.hash(c.ns, &c.orig),
            Dir::Reply => self.hash(c.ns, &c.orig.invert().unwrap_or(c.orig)),
        }
    }

    fn stripe(b: u32) -> usize {
        usize::try_from(b).unwrap_or(0) % LOCKS
    }

    /// Locks the chains of hashes `hs` (see [`Chains`]), retrying if a
    /// resize starts or ends before the locks are held. `None` only if a
    /// stripe index is out of range (never).
    fn lock_chains<'g>(&'g self, g: &'g Guard, hs: [u64; 2]) -> Option<(Chains<'g>, BhGuardSet<'g>)> {
        loop {
            let cur = self.cur(g);
            let fut = cur.future(g);
            let mut idx = [0usize; SET_MAX];
            for (i, h) in hs.iter().enumerate() {
                let b = cur.of(*h);
                let f = fut.map_or(b, |f| f.of(*h));
                *idx.get_mut(2 * i)? = Self::stripe(b);
                *idx.get_mut(2 * i + 1)? = if fut.is_some() { Self::stripe(f) } else { Self::stripe(b) };
            }
            // Without a resize the new array's stripes are the old ones:
            // two indices to lock, not four.
            let n = if fut.is_some() { SET_MAX } else { 2 };
            if fut.is_none() {
                idx.swap(1, 2);
            }
            let locks = lock_set(&self.locks, idx.get(..n)?)?;
            // The mover takes these stripes too, and publishes `future`
            // before it moves anything, and `cur` after it moved
            // everything: unchanged pointers mean our chains are right.
            let same_fut = match (fut, cur.future(g)) {
                (None, None) => true,
                (Some(a), Some(b)) => core::ptr::eq(a, b),
                _ => false,
            };
            if core::ptr::eq(cur, self.cur(g)) && same_fut {
                return Some((Chains { cur, fut }, locks));
            }
        }
    }

    /// Finds the live entry of namespace `ns` with tuple `key` in either
    /// direction. Lock-free; the result lives as long as the RCU guard. An
    /// expired entry met on the way is killed (nf's lazy
    /// `nf_ct_gc_expired()`), so no chain lock may be held.
    pub(crate) fn find<'g>(&self, g: &'g Guard, ns: usize, key: &Tuple, now: u32) -> Option<(&'g Conn, Dir)> {
        self.find_hashed(g, self.hash(ns, key), ns, key, now)
    }

    /// [`Table::find`] for a caller that has the key's hash,
    /// [`Table::hash`]`(ns, key)`.
    pub(crate) fn find_hashed<'g>(
        &self,
        g: &'g Guard,
        h: u64,
        ns: usize,
        key: &Tuple,
        now: u32,
    ) -> Option<(&'g Conn, Dir)> {
        self.scan(g, h, ns, key, None, now, true, u32::MAX).1
    }

    /// Walks the chains of hash `h` (both arrays during a resize) for the
    /// live entry of namespace `ns` with tuple `key` in either direction,
    /// stopping there or after `limit + 1` links. Returns the links walked
    /// and the entry. With `reap`, expired matches are killed on the way.
    /// `inv` is `key`'s inverse if the caller has it.
    #[expect(clippy::too_many_arguments)]
    fn scan<'g>(
        &self,
        g: &'g Guard,
        h: u64,
        ns: usize,
        key: &Tuple,
        inv: Option<&Tuple>,
        now: u32,
        reap: bool,
        limit: u32,
    ) -> (u32, Option<(&'g Conn, Dir)>) {
        // Reply-direction nodes store the original tuple: compare it with
        // the key's inverse (computed once, if a reply link of this
        // namespace comes up) instead of inverting every node.
        let mut inv: Option<Option<Tuple>> = inv.map(|t| Some(*t));
        let mut n = 0u32;
        let mut t = Some(self.cur(g));
        while let Some(a) = t {
            let mut l = a.head(a.of(h)).map_or(0, |h| h.load(Ordering::Acquire));
            while l != 0 && n <= limit {
                n += 1;
                // SAFETY: `l` came from a chain of this table under the RCU guard `g`.
                let (c, dir) = unsafe { unlink_ref::<'g>(l) };
                let hit = c.ns == ns
                    && match dir {
                        Dir::Original => c.orig == *key,
                        Dir::Reply => inv.get_or_insert_with(|| key.invert()).as_ref() == Some(&c.orig),
                    };
                if hit && !c.dying() {
                    if !c.expired(now) {
                        return (n, Some((c, dir)));
                    }
                    if reap {
                        self.kill(c);
                    }
                }
                l = c.next[dir as usize].load(Ordering::Acquire);
            }
            t = a.future(g);
        }
        (n, None)
    }

    /// Runs `f` on the TCP state of `c` under its TCP lock (BHs off).
    pub(crate) fn with_tcp<R>(&self, c: &Conn, f: impl FnOnce(&mut crate::proto::tcp::TcpConn) -> R) -> R {
        let i = (c as *const Conn as usize >> 6) % TCP_LOCKS;
        match self.tcp_locks.get(i) {
            Some(l) => {
                let _g = l.lock();
                // SAFETY: Every TCP update of an entry takes the lock its
                // address selects, held here.
                unsafe { c.tcp_mut(f) }
            }
            // Unreachable (`i < TCP_LOCKS`); no lock, no update.
            None => f(&mut crate::proto::tcp::TcpConn::default()),
        }
    }

    /// Allocates an unconfirmed entry (atomic context).
    pub(crate) fn alloc(&self, c: Conn) -> Option<NonNull<Conn>> {
        self.cache.alloc(c, Gfp::Atomic)
    }

    /// Uncounts and frees an entry that was never in the table.
    ///
    /// # Safety
    ///
    /// The caller owns `c` exclusively and, if `uncount`, is inside an RCU
    /// read-side section in which `c` was parked or being confirmed.
    unsafe fn free_unconfirmed(&self, c: NonNull<Conn>, uncount: bool) {
        if uncount {
            // SAFETY: Per the contract.
            unsafe { ns_of(c.as_ref()) }.count.fetch_sub(1, Ordering::Relaxed);
        }
        // SAFETY: The entry came from this cache, was never published to
        // RCU readers, and is owned exclusively here.
        unsafe { self.cache.free(c) };
    }

    /// Frees an unconfirmed entry the caller owns (it was never parked or
    /// was just unparked), uncounting it. Call from a hook (RCU held).
    pub(crate) fn discard(&self, c: NonNull<Conn>) {
        // SAFETY: Hooks run inside an RCU read-side section of a live
        // namespace, and the caller owns `c`.
        unsafe { self.free_unconfirmed(c, true) };
    }

    /// The bay of buffer address `skb` (Fibonacci hashing of the address
    /// without its low bits, which the allocator's alignment fixes).
    fn bay(&self, skb: usize) -> Option<&Bay> {
        let h = ((skb as u64) >> 6).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - self.bay_bits);
        self.bays.get(usize::try_from(h).ok()?)
    }

    /// Parks unconfirmed entry `c` for the packet `skb` (fingerprint `fp`;
    /// `hash` is [`Table::hash`] of its original tuple) in the bay of
    /// `skb`, evicting the bay's oldest entry when it is full (counted as
    /// `unconfirmed_drop`). The caller made sure no slot holds `skb`
    /// already ([`Table::forget`] at the same hook).
    pub(crate) fn park(&self, skb: usize, fp: u64, hash: u64, c: NonNull<Conn>) {
        let Some(bay) = self.bay(skb) else {
            self.discard(c);
            return;
        };
        let evicted = {
            let _g = bay.lock.lock();
            // SAFETY: The bay's slots are only accessed under its lock.
            let slots = unsafe { &mut *bay.slots.get() };
            let mut pick: Option<(usize, u32)> = None;
            for (i, s) in slots.iter().enumerate() {
                let Some(p) = s.conn else {
                    pick = Some((i, 0));
                    break;
                };
                // SAFETY: Parked entries are live and owned by the bay.
                let born = unsafe { p.as_ref() }.born;
                if pick.map_or(true, |(_, b)| crate::proto::track::time_after(b, born)) {
                    pick = Some((i, born));
                }
            }
            let slot = pick.and_then(|(i, _)| slots.get_mut(i));
            let Some(slot) = slot else {
                drop(_g);
                self.discard(c);
                return;
            };
            let old = slot.conn.take();
            if old.is_none() {
                bay.used.fetch_add(1, Ordering::Relaxed);
            }
            *slot = Slot {
                skb,
                fp,
                hash,
                conn: Some(c),
            };
            old
        };
        if let Some(old) = evicted {
            // SAFETY: Hooks run inside an RCU read-side section and the
            // evicted entry, parked until now, is ours.
            unsafe { ns_of(old.as_ref()) }.stats.inc(Stat::UnconfirmedDrop);
            self.discard(old);
        }
    }

    /// The bay of `skb` if its `used` hint says something is parked there:
    /// packets of established flows stop here and take no lock.
    fn occupied_bay(&self, skb: usize) -> Option<&Bay> {
        self.bay(skb).filter(|b| b.used.load(Ordering::Relaxed) != 0)
    }

    /// Takes the entry out of the slot of `bay` parked for `skb` for which
    /// `pred` holds, if any, with its hash.
    fn take_parked(bay: &Bay, skb: usize, pred: impl Fn(&Slot) -> bool) -> Option<(NonNull<Conn>, u64)> {
        let _g = bay.lock.lock();
        // SAFETY: The bay's slots are only accessed under its lock.
        let slots = unsafe { &mut *bay.slots.get() };
        let s = slots.iter_mut().find(|s| s.conn.is_some() && s.skb == skb && pred(s))?;
        bay.used.fetch_sub(1, Ordering::Relaxed);
        Some((s.conn.take()?, s.hash))
    }

    /// Takes back the entry of namespace `ns` parked for packet `skb` with
    /// fingerprint `fp()` (computed only if something is parked in its
    /// bay), if any, with the hash it was parked with. The `used` hint read
    /// without the lock sees a park made on another CPU: the packet itself
    /// went from there to here through a lock or queue, which orders it.
    pub(crate) fn unpark(&self, skb: usize, fp: impl FnOnce() -> u64, ns: usize) -> Option<(NonNull<Conn>, u64)> {
        let bay = self.occupied_bay(skb)?;
        let fp = fp();
        Self::take_parked(bay, skb, |s| {
            // SAFETY: Parked entries are live and owned by the bay (`pred`
            // runs under its lock).
            s.fp == fp && s.conn.is_some_and(|c| unsafe { c.as_ref() }.ns == ns)
        })
    }

    /// Discards an entry parked for buffer address `skb`: a packet now at a
    /// conntrack hook with that address is not the packet that parked it,
    /// which must have been dropped. Call from a hook.
    pub(crate) fn forget(&self, skb: usize) {
        let Some(bay) = self.occupied_bay(skb) else {
            return;
        };
        if let Some((c, _)) = Self::take_parked(bay, skb, |_| true) {
            // SAFETY: Hooks run inside an RCU read-side section and the entry,
            // parked until now, is ours.
            unsafe { ns_of(c.as_ref()) }.stats.inc(Stat::UnconfirmedDrop);
            self.discard(c);
        }
    }

    /// Frees parked entries for which `pred` holds; returns how many. With
    /// `uncount`, their namespaces' counts go down (`pred` runs, and counts
    /// are updated, inside an RCU read-side section).
    fn reap_parked_inner(&self, mut pred: impl FnMut(&Conn) -> bool, uncount: bool) -> u32 {
        let mut n = 0;
        let _rcu = rcu::read_lock();
        for bay in self.bays.iter() {
            if bay.used.load(Ordering::Relaxed) == 0 {
                continue;
            }
            let mut victims: [Option<NonNull<Conn>>; WAYS] = [None; WAYS];
            {
                let _g = bay.lock.lock();
                // SAFETY: The bay's slots are only accessed under its lock.
                let slots = unsafe { &mut *bay.slots.get() };
                for (s, v) in slots.iter_mut().zip(victims.iter_mut()) {
                    if let Some(p) = s.conn {
                        // SAFETY: Parked entries are live and owned by the bay.
                        if pred(unsafe { p.as_ref() }) {
                            *v = s.conn.take();
                            bay.used.fetch_sub(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            for v in victims.into_iter().flatten() {
                // SAFETY: Taken out of its slot above, inside `_rcu`.
                unsafe { self.free_unconfirmed(v, uncount) };
                n += 1;
            }
        }
        n
    }

    /// Frees parked entries for which `pred` holds (inside an RCU read-side
    /// section, so `pred` may look at the entry's [`Ns`]); returns how many.
    pub(crate) fn reap_parked(&self, pred: impl FnMut(&Conn) -> bool) -> u32 {
        self.reap_parked_inner(pred, true)
    }

    /// Inserts unconfirmed entry `c` (taken from its parking slot), whose
    /// original tuple has hash `hash` ([`Table::hash`]).
    pub(crate) fn confirm(&self, c: NonNull<Conn>, hash: u64, now: u32) -> Confirm {
        // SAFETY: The caller owns `c` exclusively (just unparked).
        let conn = unsafe { c.as_ref() };
        let Some(reply) = conn.orig.invert() else {
            self.discard(c);
            return Confirm::Failed;
        };
        let h = [hash, self.hash(conn.ns, &reply)];
        let guard = rcu::read_lock();
        let Some((chains, locks)) = self.lock_chains(&guard, h) else {
            drop(guard);
            self.discard(c);
            return Confirm::Failed;
        };
        // During a resize, new entries go to the new array.
        let dst = chains.fut.unwrap_or(chains.cur);
        let (Some(h0), Some(h1)) = (dst.head(dst.of(h[0])), dst.head(dst.of(h[1]))) else {
            drop(locks);
            drop(guard);
            self.discard(c);
            return Confirm::Failed;
        };
        // One walk per chain both bounds its length and looks for a clash:
        // no two live entries of a namespace may share a tuple in either
        // direction (checked under the chain locks).
        let max_limit = MIN_CHAINLEN + CHAINLEN_SPREAD as u32 - 1;
        let (n0, c0) = self.scan(&guard, h[0], conn.ns, &conn.orig, Some(&reply), now, false, max_limit);
        let (n1, c1) = match c0 {
            Some(_) => (0, None),
            None => self.scan(&guard, h[1], conn.ns, &reply, Some(&conn.orig), now, false, max_limit),
        };
        let clash = c0.or(c1);
        // The random limit is drawn only for a chain past the fixed part,
        // so the common short chain costs no RNG.
        let longest = n0.max(n1);
        if clash.is_none()
            && longest > MIN_CHAINLEN
            && longest > MIN_CHAINLEN + (random::u64() % CHAINLEN_SPREAD) as u32
        {
            drop(locks);
            drop(guard);
            self.discard(c);
            return Confirm::ChainTooLong;
        }
        if let Some((other, dir)) = clash {
            // The same flow, confirmed first by another packet (another
            // CPU, or an earlier packet of a burst): reuse the winner.
            let outcome = if dir == Dir::Original && other.orig == conn.orig {
                other.merge_counters(conn);
                Confirm::Clash
            } else {
                Confirm::Failed
            };
            drop(locks);
            drop(guard);
            self.discard(c);
            return outcome;
        }
        conn.set_status(status::CONFIRMED);
        // Publish one direction after the other: readers that see a new
        // head see an initialised entry. When both tuples hash to the same
        // bucket (always for a flow whose reply tuple equals its original,
        // e.g. 127.0.0.1:X -> 127.0.0.1:X), the second link must chain to
        // the first, so `h1` is read only after `h0` was written.
        conn.next[0].store(h0.load(Ordering::Relaxed), Ordering::Relaxed);
        h0.store(link(c, Dir::Original), Ordering::Release);
        conn.next[1].store(h1.load(Ordering::Relaxed), Ordering::Relaxed);
        h1.store(link(c, Dir::Reply), Ordering::Release);
        Confirm::Inserted
    }

    /// Removes chain link `target` from the chain at `head`; returns whether
    /// it was there. Caller holds the chain's lock.
    fn unlink_from(head: &AtomicUsize, target: usize) -> bool {
        let mut prev = head;
        let mut l = prev.load(Ordering::Relaxed);
        while l != 0 {
            // SAFETY: Chain links are live entries while the chain lock is held.
            let (c, dir) = unsafe { unlink_ref::<'_>(l) };
            let next = c.next[dir as usize].load(Ordering::Relaxed);
            if l == target {
                // Readers standing on the removed entry still follow its
                // `next`, which is left intact.
                prev.store(next, Ordering::Release);
                return true;
            }
            prev = &c.next[dir as usize];
            l = next;
        }
        false
    }

    /// Removes a confirmed entry from the table and frees it after a grace
    /// period. Returns `false` if someone else removed it first. Call inside
    /// the RCU read-side section in which `c` was found.
    pub(crate) fn kill(&self, c: &Conn) -> bool {
        self.kill_inner(c, true, None)
    }

    /// As [`Table::kill`], but the entry joins `dead`, to be freed with
    /// the others after one grace period (the GC's batches).
    pub(crate) fn kill_into(&self, c: &Conn, dead: &mut Deferred<Conn>) -> bool {
        self.kill_inner(c, true, Some(dead))
    }

    fn kill_inner(&self, c: &Conn, uncount: bool, dead: Option<&mut Deferred<Conn>>) -> bool {
        let Some(reply) = c.orig.invert() else {
            return false;
        };
        let h = [self.hash(c.ns, &c.orig), self.hash(c.ns, &reply)];
        let g = rcu::read_lock();
        let Some((chains, locks)) = self.lock_chains(&g, h) else {
            return false;
        };
        if c.dying() || c.status() & status::CONFIRMED == 0 {
            return false;
        }
        c.set_status(status::DYING);
        let p = NonNull::from(c);
        for (hash, dir) in h.into_iter().zip([Dir::Original, Dir::Reply]) {
            // During a resize a link is in the old chain or, once moved,
            // in the new one.
            let target = link(p, dir);
            let in_cur = chains
                .cur
                .head(chains.cur.of(hash))
                .is_some_and(|hd| Self::unlink_from(hd, target));
            if !in_cur {
                if let Some(f) = chains.fut {
                    if let Some(hd) = f.head(f.of(hash)) {
                        Self::unlink_from(hd, target);
                    }
                }
            }
        }
        drop(locks);
        drop(g);
        if uncount {
            // SAFETY: The caller is inside the RCU section in which it found
            // `c` linked (see `Ns`).
            let ns = unsafe { ns_of(c) };
            ns.count.fetch_sub(1, Ordering::Relaxed);
            crate::events::report(self, ns, c, crate::events::Event::Destroy);
        }
        match dead {
            // SAFETY: Unlinked under the locks, so no new reader finds it;
            // DYING ensures it is queued once.
            Some(d) => unsafe { d.push(p.as_ptr()) },
            // SAFETY: As above.
            None => unsafe { RcuHead::call_free(p.as_ptr()) },
        }
        true
    }

    /// Calls `f` on every live entry (original direction) of bucket `b` of
    /// the current array. During a resize the walk may miss entries that
    /// moved, or see some twice; callers that must see everything hold
    /// `resizing` (see [`Table::flush`]).
    pub(crate) fn for_each_in_bucket<'g>(&self, g: &'g Guard, b: u32, mut f: impl FnMut(&'g Conn)) {
        let Some(head) = self.cur(g).head(b) else {
            return;
        };
        let mut l = head.load(Ordering::Acquire);
        while l != 0 {
            // SAFETY: `l` came from a chain of this table under the RCU guard `g`.
            let (c, dir) = unsafe { unlink_ref::<'g>(l) };
            if dir == Dir::Original && !c.dying() {
                f(c);
            }
            l = c.next[dir as usize].load(Ordering::Acquire);
        }
    }

    /// The id ctnetlink shows for `c` (`CTA_ID`): a keyed hash of its
    /// address, stable for the entry's life, never 0, revealing no pointer.
    pub(crate) fn entry_id(&self, c: &Conn) -> u32 {
        let h = crate::proto::hash::siphash13(self.key, &[c as *const Conn as u64]);
        match h as u32 {
            0 => 1,
            id => id,
        }
    }

    /// Calls `f` on every live, confirmed entry of namespace `ns`, inside
    /// the RCU read-side section that found it (so `f` may [`Table::kill`]
    /// it). No lock is held across buckets (one RCU section covers 64),
    /// and the walk yields every 1024 buckets (process context). No resize
    /// moves entries behind the walk.
    pub(crate) fn walk(&self, ns: usize, mut f: impl FnMut(&Conn)) {
        /// Buckets walked under one RCU read-side section.
        const CHUNK: u32 = 64;
        let _r = self.resizing.lock();
        let n = self.buckets();
        let mut b = 0;
        while b < n {
            let end = b.saturating_add(CHUNK).min(n);
            let g = rcu::read_lock();
            for i in b..end {
                self.for_each_in_bucket(&g, i, |c| {
                    if c.ns == ns && c.status() & status::CONFIRMED != 0 {
                        f(c);
                    }
                });
            }
            drop(g);
            b = end;
            if b % 1024 == 0 {
                sched::cond_resched();
            }
        }
    }

    /// Evicts one unassured entry of namespace `ns` near the bucket of `t`
    /// to make room (nf's `early_drop()`). Returns whether one was evicted.
    pub(crate) fn early_drop(&self, ns: usize, t: &Tuple) -> bool {
        let g = rcu::read_lock();
        let n = self.cur(&g).n;
        let start = self.cur(&g).of(self.hash(ns, t));
        for i in 0..EARLY_DROP_BUCKETS.min(n) {
            let b = start.wrapping_add(i) % n;
            let mut victim = None;
            self.for_each_in_bucket(&g, b, |c| {
                // Unassured entries, and TCP connections that are closing
                // anyway (nf's `tcp_can_early_drop()`).
                let evictable = c.status() & status::ASSURED == 0
                    || (c.orig.proto == crate::proto::tuple::ipproto::TCP && c.tcp_state().closing());
                if victim.is_none() && c.ns == ns && evictable {
                    victim = Some(c);
                }
            });
            if let Some(c) = victim {
                if self.kill(c) {
                    return true;
                }
            }
        }
        false
    }

    /// Kills every entry of the namespaces `ns` (a few dozen at most: a
    /// linear search per entry), parked ones included, in one pass over the
    /// table (may sleep between buckets; the namespaces' hooks must be gone).
    pub(crate) fn flush(&self, ns: &[usize]) {
        if ns.is_empty() {
            return;
        }
        let of = |c: &Conn| ns.contains(&c.ns);
        self.reap_parked(of);
        // No resize moves entries behind the walk.
        let _r = self.resizing.lock();
        for b in 0..self.buckets() {
            let g = rcu::read_lock();
            self.for_each_in_bucket(&g, b, |c| {
                if of(c) {
                    self.kill(c);
                }
            });
            drop(g);
            if b % 1024 == 1023 {
                sched::cond_resched();
            }
        }
    }

    /// Changes the number of buckets to `n`, moving every entry while
    /// lookups and inserts go on (see the module docs). Process context;
    /// returns when the old array is freed.
    pub(crate) fn resize(&self, n: u32) -> Result {
        if n == 0 || n > MAX_BUCKETS {
            return Err(EINVAL);
        }
        let _r = self.resizing.lock();
        let old_ptr = self.cur.load(Ordering::Acquire);
        // SAFETY: Only a resize replaces or frees the current array, and
        // resizes are serialised by `resizing`, held.
        let old = unsafe { &*old_ptr };
        if old.n == n {
            return Ok(());
        }
        let new_ptr = KBox::into_raw(Buckets::new(n)?);
        // SAFETY: Just allocated; freed only by a later resize or by `drop`.
        let new = unsafe { &*new_ptr };
        old.future.store(new_ptr, Ordering::Release);
        for b in 0..old.n {
            self.move_bucket(old, new, b);
            if b % 256 == 255 {
                sched::cond_resched();
            }
        }
        self.cur.store(new_ptr, Ordering::Release);
        // Every reader and writer that saw the old array is done after a
        // grace period.
        rcu::synchronize();
        // SAFETY: From `KBox::into_raw`; no longer reachable (see above).
        drop(unsafe { KBox::from_raw(old_ptr) });
        Ok(())
    }

    /// The last link of the chain at `head` and the slot that points to it.
    fn tail(head: &AtomicUsize) -> Option<(&AtomicUsize, usize)> {
        let mut slot = head;
        let mut l = slot.load(Ordering::Acquire);
        if l == 0 {
            return None;
        }
        loop {
            // SAFETY: Callers hold an RCU read lock (and possibly the chain
            // lock) while the returned references are used.
            let (c, dir) = unsafe { unlink_ref::<'_>(l) };
            let next = &c.next[dir as usize];
            let n = next.load(Ordering::Acquire);
            if n == 0 {
                return Some((slot, l));
            }
            slot = next;
            l = n;
        }
    }

    /// Moves every link of chain `b` of `old` to `new`, tail first.
    fn move_bucket(&self, old: &Buckets, new: &Buckets, b: u32) {
        let Some(head) = old.head(b) else {
            return;
        };
        loop {
            let _g = rcu::read_lock();
            // Peek at the tail without locks to learn which stripe its new
            // chain needs; checked again under the locks.
            let peek = Self::tail(head).map(|(_, l)| l);
            let dst = peek.map(|l| {
                // SAFETY: A link of this table's chain, under `g`.
                let (c, dir) = unsafe { unlink_ref::<'_>(l) };
                new.of(self.link_hash(c, dir))
            });
            let stripes = [Self::stripe(b), dst.map_or(Self::stripe(b), Self::stripe)];
            let Some(locks) = lock_set(&self.locks, &stripes) else {
                return;
            };
            match (Self::tail(head), peek, dst) {
                // Empty under the lock: writers that take this stripe from
                // now on see `future` and use the new array.
                (None, _, _) => return,
                (Some((slot, l)), Some(p), Some(d)) if l == p => {
                    let Some(nh) = new.head(d) else {
                        return;
                    };
                    // SAFETY: A link of this chain, under the chain lock.
                    let (c, dir) = unsafe { unlink_ref::<'_>(l) };
                    c.next[dir as usize].store(nh.load(Ordering::Relaxed), Ordering::Relaxed);
                    nh.store(l, Ordering::Release);
                    slot.store(0, Ordering::Release);
                }
                // The tail changed (an entry was killed): look again.
                _ => {}
            }
            drop(locks);
        }
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // Every namespace flushed its entries before the last reference to
        // the table went away; free any stragglers, then wait for the RCU
        // callbacks that return entries to the cache before destroying it.
        self.reap_parked_inner(|_| true, false);
        for b in 0..self.buckets() {
            let g = rcu::read_lock();
            self.for_each_in_bucket(&g, b, |c| {
                self.kill_inner(c, false, None);
            });
        }
        rcu::barrier();
        CACHE.store(core::ptr::null_mut(), Ordering::Release);
        let cur = self.cur.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !cur.is_null() {
            // SAFETY: From `KBox::into_raw`; no reader is left (the table is
            // being dropped) and no resize runs (`&mut self`).
            drop(unsafe { KBox::from_raw(cur) });
        }
    }
}
