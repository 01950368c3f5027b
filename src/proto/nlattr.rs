// SPDX-License-Identifier: GPL-2.0

//! Netlink messages and attributes, in plain Rust over byte buffers.
//!
//! [`Writer`] builds messages in place (in a socket buffer's tail room, or
//! any `&mut [u8]`), the way `nlmsg_put()`/`nla_put()`/`nla_nest_start()`
//! do; once something does not fit it stops writing and
//! [`Writer::finish`] says so, like their `-EMSGSIZE`. [`parse`] splits
//! attributes like `nla_parse_deprecated()`, and [`Policy`] checks them as
//! the kernel's `nla_policy` tables do, with the same errno values, so
//! requests that the kernel's ctnetlink rejects are rejected alike.
//!
//! Attribute payloads are in host order for `u8`/`u16`/`u32` types the
//! kernel calls `NLA_U*`, but ctnetlink stores its numbers big-endian
//! (`nla_put_be32()`): the `be` helpers write those.
//!
//! C reference: include/net/netlink.h, lib/nlattr.c, include/uapi/linux/netlink.h.

/// `EINVAL`.
pub const EINVAL: i32 = 22;
/// `ERANGE`.
pub const ERANGE: i32 = 34;
/// `ENOENT`.
pub const ENOENT: i32 = 2;
/// `EOPNOTSUPP`.
pub const EOPNOTSUPP: i32 = 95;
/// `EEXIST`.
pub const EEXIST: i32 = 17;
/// `EBUSY`.
pub const EBUSY: i32 = 16;

/// Bytes of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Bytes of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;
/// Bytes of the nfnetlink header (`struct nfgenmsg`).
pub const NFGENMSG_LEN: usize = 4;
/// Attribute type flag: the payload is nested attributes.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// Attribute type flag: the payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// The type bits of `nla_type`.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// `nlmsg_flags` bits.
pub mod flags {
    /// A request.
    pub const REQUEST: u16 = 0x1;
    /// Part of a multipart message (dumps).
    pub const MULTI: u16 = 0x2;
    /// Acknowledge the request.
    pub const ACK: u16 = 0x4;
    /// Dump request: the whole table (`NLM_F_ROOT | NLM_F_MATCH`).
    pub const DUMP: u16 = 0x300;
    /// Do not replace an existing object.
    pub const EXCL: u16 = 0x200;
    /// Create the object if it does not exist.
    pub const CREATE: u16 = 0x400;
    /// Dump was filtered as requested.
    pub const DUMP_FILTERED: u16 = 0x20;
}

/// Rounds `n` up to netlink's 4-byte alignment.
pub const fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// Builds netlink messages into a byte buffer.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    full: bool,
}

/// Where a message or nest started, to finish it.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct Mark(usize);

/// The header fields of an nfnetlink message.
#[derive(Clone, Copy, Debug, Default)]
pub struct MsgHeader {
    /// `nlmsg_type`: subsystem id << 8 | message type.
    pub ty: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// `nlmsg_pid`: the receiver's port id (0 for multicast).
    pub portid: u32,
    /// `nfgen_family`.
    pub family: u8,
    /// `res_id` (big-endian on the wire).
    pub res_id: u16,
}

impl<'a> Writer<'a> {
    /// A writer appending to `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            full: false,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether everything written so far fitted.
    pub fn ok(&self) -> bool {
        !self.full
    }

    /// The bytes written, or `None` if something did not fit.
    pub fn finish(self) -> Option<usize> {
        (!self.full).then_some(self.len)
    }

    /// Drops everything written after `m` (`nlmsg_cancel()`) and clears
    /// the overflow, so a caller can stop at the last complete message.
    pub fn cancel(&mut self, m: Mark) {
        self.len = m.0.min(self.len);
        self.full = false;
    }

    /// Appends `data` and zero padding to `align(data.len())`; returns its offset.
    fn append(&mut self, data: &[u8]) -> Option<usize> {
        if self.full {
            return None;
        }
        let start = self.len;
        let end = start.checked_add(align(data.len()))?;
        let Some(dst) = self.buf.get_mut(start..end) else {
            self.full = true;
            return None;
        };
        let (head, pad) = dst.split_at_mut(data.len());
        head.copy_from_slice(data);
        pad.fill(0);
        self.len = end;
        Some(start)
    }

    fn put_u32_at(&mut self, at: usize, v: u32) {
        if let Some(d) = self.buf.get_mut(at..at + 4) {
            d.copy_from_slice(&v.to_ne_bytes());
        }
    }

    fn put_u16_at(&mut self, at: usize, v: u16) {
        if let Some(d) = self.buf.get_mut(at..at + 2) {
            d.copy_from_slice(&v.to_ne_bytes());
        }
    }

    /// Starts a message with an nfnetlink header (`nfnl_msg_put()`, version 0).
    pub fn msg_start(&mut self, h: &MsgHeader) -> Mark {
        let start = self.len;
        let mut hdr = [0u8; NLMSG_HDRLEN + NFGENMSG_LEN];
        hdr[4..6].copy_from_slice(&h.ty.to_ne_bytes());
        hdr[6..8].copy_from_slice(&h.flags.to_ne_bytes());
        hdr[8..12].copy_from_slice(&h.seq.to_ne_bytes());
        hdr[12..16].copy_from_slice(&h.portid.to_ne_bytes());
        hdr[16] = h.family;
        hdr[17] = 0;
        hdr[18..20].copy_from_slice(&h.res_id.to_be_bytes());
        self.append(&hdr);
        Mark(start)
    }

    /// Finishes the message started at `m` (`nlmsg_end()`): sets its length.
    pub fn msg_end(&mut self, m: Mark) {
        if self.full {
            return;
        }
        let len = u32::try_from(self.len - m.0).unwrap_or(u32::MAX);
        self.put_u32_at(m.0, len);
    }

    /// Appends attribute `ty` with payload `data`.
    pub fn put(&mut self, ty: u16, data: &[u8]) {
        let len = NLA_HDRLEN + data.len();
        let Ok(len16) = u16::try_from(len) else {
            self.full = true;
            return;
        };
        let Some(at) = self.append(&[0; NLA_HDRLEN]) else {
            return;
        };
        self.put_u16_at(at, len16);
        self.put_u16_at(at + 2, ty);
        // The header took 4 aligned bytes; the payload pads itself. A
        // payload that does not fit is recorded in `full`.
        let _ = self.append(data);
    }

    /// Appends a `u8` attribute.
    pub fn put_u8(&mut self, ty: u16, v: u8) {
        self.put(ty, &[v]);
    }

    /// Appends a big-endian `u16` attribute (`nla_put_be16()`).
    pub fn put_be16(&mut self, ty: u16, v: u16) {
        self.put(ty, &v.to_be_bytes());
    }

    /// Appends a big-endian `u32` attribute (`nla_put_be32()`).
    pub fn put_be32(&mut self, ty: u16, v: u32) {
        self.put(ty, &v.to_be_bytes());
    }

    /// Appends a big-endian `u64` attribute (`nla_put_be64()`; no pad
    /// attribute, as on machines with efficient unaligned access).
    pub fn put_be64(&mut self, ty: u16, v: u64) {
        self.put(ty, &v.to_be_bytes());
    }

    /// Starts nested attribute `ty` (`nla_nest_start()`, which sets `NLA_F_NESTED`).
    pub fn nest_start(&mut self, ty: u16) -> Mark {
        let start = self.len;
        let at = self.append(&[0; NLA_HDRLEN]);
        if let Some(at) = at {
            self.put_u16_at(at + 2, ty | NLA_F_NESTED);
        }
        Mark(start)
    }

    /// Finishes the nest started at `m` (`nla_nest_end()`).
    pub fn nest_end(&mut self, m: Mark) {
        if self.full {
            return;
        }
        match u16::try_from(self.len - m.0) {
            Ok(len) => self.put_u16_at(m.0, len),
            Err(_) => self.full = true,
        }
    }
}

/// The attributes of a buffer, in order, as `nla_for_each_attr()` walks
/// them: each one's whole type field (flags included) and payload. The walk
/// stops at the end or at a malformed header; [`Walk::rest`] is then what
/// was left.
pub struct Walk<'a> {
    rest: &'a [u8],
}

impl<'a> Walk<'a> {
    /// Walks the attributes of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    /// The bytes not walked (yet): after the walk, bytes left over.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (&[l0, l1, t0, t1], _) = self.rest.split_first_chunk::<NLA_HDRLEN>()?;
        let len = usize::from(u16::from_ne_bytes([l0, l1]));
        if len < NLA_HDRLEN || len > self.rest.len() {
            return None;
        }
        let payload = self.rest.get(NLA_HDRLEN..len).unwrap_or(&[]);
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some((u16::from_ne_bytes([t0, t1]), payload))
    }
}

/// Splits `buf` into attributes by type, as `nla_parse_deprecated()` with
/// no policy: the payload of the last attribute of each type `1..N` (flags
/// masked off), later ones overriding earlier ones; unknown types are
/// skipped, and parsing stops at a malformed header (trailing bytes are
/// ignored, as the kernel only warns about them).
pub fn parse<const N: usize>(buf: &[u8]) -> [Option<&[u8]>; N] {
    let mut tb = [None; N];
    for (raw, p) in Walk::new(buf) {
        let ty = usize::from(raw & NLA_TYPE_MASK);
        if ty != 0 {
            if let Some(slot) = tb.get_mut(ty) {
                *slot = Some(p);
            }
        }
    }
    tb
}

/// The whole type field, flags included, of the attribute of type `ty`
/// that [`parse`] keeps (the last one), if any.
pub fn raw_type(buf: &[u8], ty: u16) -> Option<u16> {
    Walk::new(buf)
        .filter(|(raw, _)| raw & NLA_TYPE_MASK == ty)
        .last()
        .map(|(raw, _)| raw)
}

/// Parses the payload of a nested attribute as the kernel's strict
/// `nla_parse_nested()` does (`NL_VALIDATE_STRICT`; the caller checks the
/// outer attribute's `NLA_F_NESTED`): `EINVAL` for an attribute type of 0
/// or beyond `N - 1`, one without a policy ([`Policy::Any`]), a fixed-size
/// type of another size, `NLA_F_NESTED` missing on a nested type or set on
/// another, and for bytes left over; then every payload is checked
/// against its policy.
pub fn parse_strict<'a, const N: usize>(
    buf: &'a [u8],
    policy: &[Policy],
) -> Result<[Option<&'a [u8]>; N], i32> {
    let mut tb = [None; N];
    let mut walk = Walk::new(buf);
    for (raw, p) in walk.by_ref() {
        let ty = usize::from(raw & NLA_TYPE_MASK);
        let pol = match policy.get(ty) {
            Some(&p) if ty != 0 && ty < N && p != Policy::Any => p,
            _ => return Err(EINVAL),
        };
        let exact = match pol {
            Policy::U8 => Some(1),
            Policy::U16 => Some(2),
            Policy::U32 | Policy::U32Mask(_) => Some(4),
            _ => None,
        };
        let nested = raw & NLA_F_NESTED != 0;
        if exact.is_some_and(|n| n != p.len()) || nested != (pol == Policy::Nested) {
            return Err(EINVAL);
        }
        pol.check(p)?;
        if let Some(slot) = tb.get_mut(ty) {
            *slot = Some(p);
        }
    }
    if walk.rest().is_empty() {
        Ok(tb)
    } else {
        Err(EINVAL)
    }
}

/// What an attribute must be (`struct nla_policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Anything.
    Any,
    /// `NLA_U8`.
    U8,
    /// `NLA_U16`.
    U16,
    /// `NLA_U32`.
    U32,
    /// `NLA_U32` with only the bits of the mask allowed (`NLA_POLICY_MASK`).
    U32Mask(u32),
    /// `NLA_NESTED`: empty, or at least one attribute header.
    Nested,
    /// At least this many bytes (`.len` with no type).
    MinLen(usize),
    /// `NLA_BINARY` of at most this many bytes.
    MaxLen(usize),
    /// `NLA_NUL_STRING` of at most this many characters: a NUL within the
    /// first that many plus one bytes (0: anywhere).
    NulString(usize),
}

impl Policy {
    /// Checks one payload: `ERANGE` for a wrong size, `EINVAL` for
    /// reserved bits (lib/nlattr.c's `validate_nla()`).
    pub fn check(self, p: &[u8]) -> Result<(), i32> {
        let min = match self {
            Policy::Any | Policy::MaxLen(_) | Policy::NulString(_) => 0,
            Policy::U8 => 1,
            Policy::U16 => 2,
            Policy::U32 | Policy::U32Mask(_) => 4,
            Policy::Nested => {
                if p.is_empty() {
                    return Ok(());
                }
                NLA_HDRLEN
            }
            Policy::MinLen(n) => n,
        };
        if p.len() < min {
            return Err(ERANGE);
        }
        match self {
            Policy::MaxLen(n) if p.len() > n => Err(ERANGE),
            Policy::NulString(n) => {
                let m = if n > 0 {
                    p.len().min(n.saturating_add(1))
                } else {
                    p.len()
                };
                match p.get(..m) {
                    Some(s) if s.contains(&0) => Ok(()),
                    _ => Err(EINVAL),
                }
            }
            Policy::U32Mask(mask) if u32_ne(p).unwrap_or(0) & !mask != 0 => Err(EINVAL),
            _ => Ok(()),
        }
    }
}

/// Parses `buf` and checks every present attribute against `policy`
/// (indexed by type; types beyond it are not checked).
pub fn parse_checked<'a, const N: usize>(
    buf: &'a [u8],
    policy: &[Policy],
) -> Result<[Option<&'a [u8]>; N], i32> {
    let tb = parse::<N>(buf);
    for (p, pol) in tb.iter().zip(policy.iter()) {
        if let Some(p) = p {
            pol.check(p)?;
        }
    }
    Ok(tb)
}

/// The first byte of a payload (`nla_get_u8()`).
pub fn u8_of(p: &[u8]) -> Option<u8> {
    p.first().copied()
}

/// A big-endian `u16` payload (`nla_get_be16()`).
pub fn be16(p: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(p.get(..2)?.try_into().ok()?))
}

/// A big-endian `u32` payload (`nla_get_be32()`).
pub fn be32(p: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(..4)?.try_into().ok()?))
}

/// A host-order `u32` payload (`nla_get_u32()`).
pub fn u32_ne(p: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(p.get(..4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_parses_back() {
        let mut buf = [0xffu8; 128];
        let mut w = Writer::new(&mut buf);
        let m = w.msg_start(&MsgHeader {
            ty: 0x100,
            flags: flags::MULTI,
            seq: 7,
            portid: 9,
            family: 2,
            res_id: 0,
        });
        let n = w.nest_start(1);
        w.put_u8(2, 6);
        w.put_be16(3, 80);
        w.nest_end(n);
        w.put_be32(4, 0x01020304);
        w.msg_end(m);
        let len = w.finish().unwrap();
        // 20 header + (4 + 8 + 8) nest + 8 = 48.
        assert_eq!(len, 48);
        assert_eq!(u32::from_ne_bytes(buf[0..4].try_into().unwrap()), 48);
        let tb = parse::<5>(&buf[20..len]);
        let nest = tb[1].unwrap();
        assert_eq!(u16::from_ne_bytes([buf[22], buf[23]]), 1 | NLA_F_NESTED);
        let inner = parse::<4>(nest);
        assert_eq!(inner[2], Some(&[6u8][..]));
        assert_eq!(be16(inner[3].unwrap()), Some(80));
        assert_eq!(be32(tb[4].unwrap()), Some(0x01020304));
        // Padding is zeroed.
        assert_eq!(&buf[20 + 4 + 5..20 + 4 + 8], &[0, 0, 0]);
    }

    #[test]
    fn overflow_is_reported_and_cancel_recovers() {
        let mut buf = [0u8; 40];
        let mut w = Writer::new(&mut buf);
        let m = w.msg_start(&MsgHeader::default());
        w.put_be64(1, 5);
        w.msg_end(m);
        assert!(w.ok());
        let m2 = w.msg_start(&MsgHeader::default());
        assert!(!w.ok());
        w.cancel(m2);
        assert_eq!(w.finish(), Some(32));
    }

    #[test]
    fn parse_is_liberal_and_policy_strict() {
        // type 1 len 5 (u8 + pad), type 9 unknown, then a truncated header.
        let b = [5, 0, 1, 0, 7, 0, 0, 0, 4, 0, 9, 0, 8, 0];
        let tb = parse::<3>(&b);
        assert_eq!(tb[1], Some(&[7u8][..]));
        assert_eq!(
            parse_checked::<3>(&b, &[Policy::Any, Policy::U32]),
            Err(ERANGE)
        );
        assert!(parse_checked::<3>(&b, &[Policy::Any, Policy::U8]).is_ok());
        assert_eq!(
            Policy::U32Mask(0xf).check(&0x10u32.to_ne_bytes()),
            Err(EINVAL)
        );
        assert_eq!(Policy::Nested.check(&[1, 2]), Err(ERANGE));
        assert_eq!(Policy::Nested.check(&[]), Ok(()));
        // A header claiming more than is there ends the parse.
        assert_eq!(parse::<3>(&[200, 0, 1, 0, 1]), [None, None, None]);
        assert_eq!(parse::<3>(&[0, 0, 1, 0, 1, 2, 3, 4]), [None, None, None]);
    }
}
