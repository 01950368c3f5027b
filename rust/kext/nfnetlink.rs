// SPDX-License-Identifier: GPL-2.0

//! nfnetlink subsystems (`struct nfnetlink_subsystem`), their replies and
//! dumps, and multicast groups.
//!
//! nfnetlink is a module of its own; its functions are resolved when the
//! first [`Registration`] is made (see rust/helpers/nfnetlink.c), so rct
//! loads with `insmod` whether or not nfnetlink is loaded.
//!
//! A subsystem handles every message type through [`Subsystem::request`],
//! which sees the whole request as bytes ([`Request::attrs`]): attributes are
//! parsed in plain Rust (`crate::proto::nlattr`), not by the kernel's
//! policies, so the same code is unit-tested and fuzzed on the host.
//! Callbacks run in process context under nfnetlink's per-subsystem mutex
//! (`NFNL_CB_MUTEX`), so they may sleep; unregistering waits for them.
//!
//! C reference: include/linux/netfilter/nfnetlink.h, include/linux/netlink.h,
//! include/net/netlink.h.

use super::bindings;
use super::net::Net;
use super::slab::Gfp;
use core::ffi::c_int;
use core::marker::PhantomData;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;
use kernel::str::CStr;

/// Bytes of a netlink message header plus the nfnetlink header after it
/// (`NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg))`): where the
/// attributes start.
pub(crate) const ATTRS_OFFSET: usize = 20;

/// An nfnetlink subsystem.
pub(crate) trait Subsystem: 'static {
    /// Name (for the kernel's logs).
    const NAME: &'static CStr;
    /// `NFNL_SUBSYS_*` id.
    const ID: u8;
    /// Number of message types (`IPCTNL_MSG_MAX` for ctnetlink): types
    /// `0..TYPES` reach [`Subsystem::request`].
    const TYPES: usize;
    /// Handles one request; the error is the request's netlink ack.
    fn request(req: &Request<'_>) -> Result;
}

/// One request message, as a [`Subsystem`] callback sees it.
pub(crate) struct Request<'a> {
    skb: *mut bindings::sk_buff,
    info: &'a bindings::nfnl_info,
    net: &'a Net,
    msg: &'a [u8],
}

/// The fields of a netlink + nfnetlink header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    /// Message type within the subsystem (`NFNL_MSG_TYPE()`).
    pub(crate) msg_type: u8,
    /// `nlmsg_flags`.
    pub(crate) flags: u16,
    /// `nlmsg_seq`.
    pub(crate) seq: u32,
    /// Sender's port id.
    pub(crate) portid: u32,
    /// `nfgen_family`.
    pub(crate) family: u8,
    /// `version`.
    pub(crate) version: u8,
}

/// The bytes of the message at `nlh` (`nlmsg_len` of them).
///
/// # Safety
///
/// `nlh` points to a message whose `nlmsg_len` bytes are readable for `'a`
/// (netlink checked `nlmsg_len` against the skb before any callback).
unsafe fn message<'a>(nlh: *const bindings::nlmsghdr) -> &'a [u8] {
    // SAFETY: Per the contract.
    let len = unsafe { (*nlh).nlmsg_len } as usize;
    // SAFETY: Per the contract.
    unsafe { core::slice::from_raw_parts(nlh.cast::<u8>(), len) }
}

fn header(msg: &[u8], portid: u32) -> Header {
    let b = |i: usize| msg.get(i).copied().unwrap_or(0);
    let u16_at = |i: usize| u16::from_ne_bytes([b(i), b(i + 1)]);
    let u32_at = |i: usize| u32::from_ne_bytes([b(i), b(i + 1), b(i + 2), b(i + 3)]);
    Header {
        msg_type: b(4),
        flags: u16_at(6),
        seq: u32_at(8),
        portid,
        family: b(16),
        version: b(17),
    }
}

impl<'a> Request<'a> {
    /// The request's namespace.
    pub(crate) fn net(&self) -> &'a Net {
        self.net
    }

    /// The request's header fields.
    pub(crate) fn header(&self) -> Header {
        // SAFETY: `skb` is the live request buffer of this callback.
        header(self.msg, unsafe {
            bindings::rct_helper_netlink_portid(self.skb)
        })
    }

    /// The attribute bytes after the headers.
    pub(crate) fn attrs(&self) -> &'a [u8] {
        self.msg.get(ATTRS_OFFSET..).unwrap_or(&[])
    }

    /// Sends one reply message to the requester: `fill` writes it into a
    /// buffer of at least `size` bytes and returns its length, or the
    /// request's error (then nothing is sent).
    pub(crate) fn reply(
        &self,
        size: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<usize>,
    ) -> Result {
        let portid = self.header().portid;
        // Allocated (may sleep) before `fill` runs, which may hold locks
        // or an RCU read-side section.
        let skb = Skb::new(size, Gfp::Kernel).ok_or(ENOMEM)?;
        let n = fill(skb.room())?;
        skb.put(n)?;
        // SAFETY: `skb` is ours (consumed here), the namespace is live.
        to_result(unsafe {
            bindings::rct_helper_nfnl_unicast(skb.into_raw(), self.net.as_ptr(), portid)
        })
    }

    /// Answers the request with a dump ([`Dump`]): netlink calls `D::dump`
    /// until it writes nothing, then sends `NLMSG_DONE`.
    pub(crate) fn dump<D: Dump>(&self) -> Result {
        // SAFETY: All-zero is a valid `netlink_dump_control` (no callbacks).
        let mut c: bindings::netlink_dump_control = unsafe { core::mem::zeroed() };
        c.start = Some(dump_start::<D>);
        c.dump = Some(dump_cb::<D>);
        // SAFETY: The callback's socket, skb and header are live; `c` is
        // read during the call only. The helper sets `c.module` to rct,
        // which netlink holds until the dump ends, so the callbacks above
        // stay loaded.
        to_result(unsafe {
            bindings::rct_helper_netlink_dump_start(self.info.sk, self.skb, self.info.nlh, &mut c)
        })
    }
}

/// A dump: messages written batch by batch into netlink's buffers.
pub(crate) trait Dump: 'static {
    /// Checks the request before the dump begins; an error becomes the answer.
    fn start(_req: &DumpRequest<'_>) -> Result {
        Ok(())
    }

    /// Writes the next messages into `out` and returns how many bytes it
    /// wrote; 0 ends the dump. `ctx` starts zeroed and is kept between calls.
    fn dump(req: &DumpRequest<'_>, ctx: &mut [u64; 6], out: &mut [u8]) -> Result<usize>;
}

/// The request a dump answers.
pub(crate) struct DumpRequest<'a> {
    net: &'a Net,
    msg: &'a [u8],
    portid: u32,
}

impl<'a> DumpRequest<'a> {
    /// The namespace of the requester.
    pub(crate) fn net(&self) -> &'a Net {
        self.net
    }

    /// The request's header fields.
    pub(crate) fn header(&self) -> Header {
        header(self.msg, self.portid)
    }

    /// The request's attribute bytes.
    pub(crate) fn attrs(&self) -> &'a [u8] {
        self.msg.get(ATTRS_OFFSET..).unwrap_or(&[])
    }

    /// # Safety
    ///
    /// `cb` is the live netlink callback state of an ongoing dump whose
    /// socket is `sk`; the result is used while the dump callback runs.
    unsafe fn new(cb: *const bindings::netlink_callback, sk: *const bindings::sock) -> Self {
        // SAFETY: The requester's socket holds its namespace; netlink keeps
        // the request (`cb->skb`, `cb->nlh`) until the dump ends.
        unsafe {
            Self {
                net: Net::from_raw(bindings::rct_helper_sock_net(sk)),
                msg: message((*cb).nlh),
                portid: bindings::rct_helper_netlink_portid((*cb).skb),
            }
        }
    }
}

/// # Safety
///
/// Only called by netlink as a dump's `start`, with its live callback state.
unsafe extern "C" fn dump_start<D: Dump>(cb: *mut bindings::netlink_callback) -> c_int {
    from_result(|| {
        // SAFETY: netlink passes its live callback state; `cb->skb` is the
        // live request buffer, which belongs to the requester's socket.
        let sk = unsafe { (*(*cb).skb).sk };
        // SAFETY: See above.
        let req = unsafe { DumpRequest::new(cb, sk) };
        D::start(&req)?;
        Ok(0)
    })
}

/// # Safety
///
/// Only called by netlink as a dump's `dump`, with a live output buffer and
/// callback state.
unsafe extern "C" fn dump_cb<D: Dump>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    from_result(|| {
        // SAFETY: netlink passes a live output buffer and its callback
        // state, both ours for the duration of the call.
        let out = unsafe { Skb::borrow(skb) };
        // SAFETY: The output buffer is charged to the requester's socket;
        // `DumpRequest` copies what it needs and borrows no part of `cb`.
        let req = unsafe { DumpRequest::new(cb, (*skb).sk) };
        // SAFETY: `args` is the `ctx` union's `long[6]` view; u64 has the
        // same size and alignment and any bit pattern is valid for both.
        // Nothing else refers to it during the call.
        let ctx = unsafe {
            &mut *core::ptr::addr_of_mut!((*cb).__bindgen_anon_1.args).cast::<[u64; 6]>()
        };
        let n = D::dump(&req, ctx, out.room())?;
        out.put(n)?;
        Ok(out.len() as c_int)
    })
}

/// A socket buffer being filled with netlink messages.
struct Skb {
    ptr: *mut bindings::sk_buff,
    owned: bool,
}

impl Skb {
    /// A new buffer for `size` bytes of messages (`nlmsg_new()`).
    fn new(size: usize, gfp: Gfp) -> Option<Self> {
        // SAFETY: Plain allocation.
        let ptr = unsafe { bindings::rct_helper_nlmsg_new(size, gfp.raw()) };
        (!ptr.is_null()).then_some(Self { ptr, owned: true })
    }

    /// # Safety
    ///
    /// `ptr` is a live buffer the caller may append to while this lives.
    unsafe fn borrow(ptr: *mut bindings::sk_buff) -> Self {
        Self { ptr, owned: false }
    }

    /// The free room at the tail, to write messages into.
    #[expect(clippy::mut_from_ref)]
    fn room(&self) -> &mut [u8] {
        // SAFETY: The buffer is live and ours to append to (type invariant);
        // `tailroom` bytes at the tail pointer are allocated and unused.
        unsafe {
            let n = bindings::rct_helper_skb_tailroom(self.ptr) as usize;
            core::slice::from_raw_parts_mut(bindings::rct_helper_skb_tail_pointer(self.ptr), n)
        }
    }

    /// Commits `n` bytes written into [`Skb::room`].
    fn put(&self, n: usize) -> Result {
        if n == 0 {
            return Ok(());
        }
        let n32 = u32::try_from(n).map_err(|_| EINVAL)?;
        // SAFETY: The buffer is live and ours.
        if n > unsafe { bindings::rct_helper_skb_tailroom(self.ptr) } as usize {
            return Err(EINVAL);
        }
        // SAFETY: As above; `n` fits the tail room (checked), so
        // `skb_put()` cannot overflow.
        unsafe { bindings::skb_put(self.ptr, n32) };
        Ok(())
    }

    fn len(&self) -> u32 {
        // SAFETY: The buffer is live.
        unsafe { (*self.ptr).len }
    }

    fn into_raw(self) -> *mut bindings::sk_buff {
        let p = self.ptr;
        core::mem::forget(self);
        p
    }
}

impl Drop for Skb {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: We own the buffer and nobody else has it.
            unsafe { bindings::rct_helper_kfree_skb(self.ptr) };
        }
    }
}

/// Sends a multicast message to `group` of `net` if anyone listens there:
/// `fill` writes it into a buffer of at least `size` bytes and returns its
/// length. Any context (allocates atomically). Errors are dropped messages,
/// as nf's event delivery.
pub(crate) fn multicast(
    net: &Net,
    group: u32,
    size: usize,
    fill: impl FnOnce(&mut [u8]) -> Option<usize>,
) -> Result {
    if !has_listeners(net, group) {
        return Ok(());
    }
    let skb = Skb::new(size, Gfp::Atomic).ok_or(ENOMEM)?;
    let n = fill(skb.room()).ok_or(ENOMEM)?;
    skb.put(n)?;
    // SAFETY: `skb` is ours (consumed here), the namespace is live.
    to_result(unsafe {
        bindings::rct_helper_nfnl_send(skb.into_raw(), net.as_ptr(), group, Gfp::Atomic.raw())
    })
}

/// Whether a socket of `net` listens to multicast `group`: first
/// nfnetlink's bitmask of ctnetlink groups with a listener in any
/// namespace (one load), then the namespace's own socket (a bitmap test).
pub(crate) fn has_listeners(net: &Net, group: u32) -> bool {
    // SAFETY: Reads a kernel variable (or returns true).
    if !unsafe { bindings::rct_helper_ctnetlink_group_active(group) } {
        return false;
    }
    // SAFETY: The namespace is live.
    unsafe { bindings::rct_helper_nfnl_has_listeners(net.as_ptr(), group) }
}

/// A registered [`Subsystem`]; unregistered on drop, which waits for
/// running callbacks. Holds nfnetlink loaded.
pub(crate) struct Registration<T: Subsystem> {
    ss: Pin<KBox<bindings::nfnetlink_subsystem>>,
    _cbs: KVec<bindings::nfnl_callback>,
    _p: PhantomData<T>,
}

// SAFETY: The registration only holds what the kernel reads; dropping it
// from any thread is fine.
unsafe impl<T: Subsystem> Send for Registration<T> {}
// SAFETY: `&Registration` exposes nothing.
unsafe impl<T: Subsystem> Sync for Registration<T> {}

/// Why a subsystem could not be registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegisterError {
    /// nfnetlink is not available (not built, or failed to load).
    NoNfnetlink,
    /// Another module has the subsystem id (`EBUSY`).
    Busy,
    /// Any other error.
    Other(Error),
}

impl<T: Subsystem> Registration<T> {
    /// Loads nfnetlink if needed and registers `T`.
    pub(crate) fn new() -> core::result::Result<Self, RegisterError> {
        let mut cbs = KVec::with_capacity(T::TYPES, GFP_KERNEL)
            .map_err(|e| RegisterError::Other(e.into()))?;
        for _ in 0..T::TYPES {
            // SAFETY: All-zero is a valid `nfnl_callback`.
            let mut cb: bindings::nfnl_callback = unsafe { core::mem::zeroed() };
            cb.call = Some(call::<T>);
            cb.type_ = bindings::nfnl_callback_type_NFNL_CB_MUTEX;
            cbs.push(cb, GFP_KERNEL)
                .map_err(|e| RegisterError::Other(e.into()))?;
        }
        let count = u8::try_from(cbs.len()).map_err(|_| RegisterError::Other(EINVAL))?;
        // SAFETY: All-zero is a valid `nfnetlink_subsystem`.
        let mut ss: bindings::nfnetlink_subsystem = unsafe { core::mem::zeroed() };
        ss.name = T::NAME.as_char_ptr();
        ss.subsys_id = T::ID;
        ss.cb_count = count;
        ss.cb = cbs.as_ptr();
        let ss = KBox::pin(ss, GFP_KERNEL).map_err(|e| RegisterError::Other(e.into()))?;
        // SAFETY: Takes a reference on nfnetlink's functions (resolving them
        // for the first one), given back by `rct_helper_nfnl_put()`.
        if unsafe { bindings::rct_helper_nfnl_get() } != 0 {
            return Err(RegisterError::NoNfnetlink);
        }
        // SAFETY: `ss` and the callbacks it points to are pinned heap
        // memory owned by the returned registration, which unregisters
        // them before freeing.
        let r = unsafe { bindings::rct_helper_nfnl_subsys_register(&*ss) };
        if r != 0 {
            // SAFETY: Balances the `get` above; nothing was registered.
            unsafe { bindings::rct_helper_nfnl_put() };
            return Err(if r == -(bindings::EBUSY as i32) {
                RegisterError::Busy
            } else {
                RegisterError::Other(Error::from_errno(r))
            });
        }
        Ok(Self {
            ss,
            _cbs: cbs,
            _p: PhantomData,
        })
    }
}

impl<T: Subsystem> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`; unregistering waits for running
        // callbacks (they hold the subsystem mutex) and an RCU grace period.
        unsafe { bindings::rct_helper_nfnl_subsys_unregister(&*self.ss) };
        // SAFETY: Balances the `get` in `new`.
        unsafe { bindings::rct_helper_nfnl_put() };
    }
}

/// # Safety
///
/// Only called by nfnetlink as a callback of a registered [`Subsystem`],
/// with the live request and its info.
unsafe extern "C" fn call<T: Subsystem>(
    skb: *mut bindings::sk_buff,
    info: *const bindings::nfnl_info,
    _cda: *const *const bindings::nlattr,
) -> c_int {
    from_result(|| {
        // SAFETY: nfnetlink passes the live request and its info, valid
        // during the call; the requester's socket holds the namespace.
        let info = unsafe { &*info };
        // SAFETY: As above.
        let net = unsafe { Net::from_raw(info.net) };
        // SAFETY: nfnetlink checked `nlmsg_len` against the buffer.
        let msg = unsafe { message(info.nlh) };
        T::request(&Request {
            skb,
            info,
            net,
            msg,
        })?;
        Ok(0)
    })
}
