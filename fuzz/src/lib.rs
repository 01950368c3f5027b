// SPDX-License-Identifier: GPL-2.0

//! Checks shared by rct's fuzz targets: what the table and
//! `/proc/net/rct_conntrack` do with an entry's tuple.
//!
//! [`check_entry`] takes the original tuple of an entry, as the kernel would
//! create it, and checks that its reply tuple inverts back to it, that
//! hashing it is deterministic and lands in range, and that the entry's
//! `/proc` line has nf_conntrack's field structure and reads back to the
//! same two tuples. The line's other fields (timeout, status bits,
//! counters, mark, zone, use) come from a seed, so every variant of the
//! line is exercised.
//!
//! A failed check panics with a message, which libFuzzer reports as a crash.
//!
//! C reference: `ct_seq_show()` and `print_tuple()` in
//! net/netfilter/nf_conntrack_standalone.c (the line the checks parse).

use rct_proto::hash::{bucket, tuple_hash, Key};
use rct_proto::line::{write_line, Counter, Line};
use rct_proto::sizing::MAX_BUCKETS;
use rct_proto::track::status;
use rct_proto::tuple::{Tuple, L3};
use std::fmt;

/// Big-endian fields of a record, read as zero past its end, so that
/// every byte string decodes to some input.
pub struct Fields<'a>(pub &'a [u8]);

impl Fields<'_> {
    /// The byte at `at`.
    pub fn u8(&self, at: usize) -> u8 {
        self.0.get(at).copied().unwrap_or(0)
    }

    /// The 16-bit field at `at`.
    pub fn u16(&self, at: usize) -> u16 {
        u16::from_be_bytes([self.u8(at), self.u8(at + 1)])
    }

    /// The 32-bit field at `at`.
    pub fn u32(&self, at: usize) -> u32 {
        u32::from(self.u16(at)) << 16 | u32::from(self.u16(at + 2))
    }
}

/// Splits a fuzz input into a header of `header` bytes and records of
/// `record` bytes (the last one possibly short).
pub fn records(data: &[u8], header: usize, record: usize) -> (Fields<'_>, Vec<Fields<'_>>) {
    let (head, body) = data.split_at(data.len().min(header));
    (Fields(head), body.chunks(record).map(Fields).collect())
}

/// Writes `head`, then one line per step: the `Debug` form of a decoded
/// input, as `cargo fuzz fmt` shows it.
pub fn write_steps<T: fmt::Debug>(
    f: &mut fmt::Formatter<'_>,
    head: &str,
    steps: &[T],
) -> fmt::Result {
    writeln!(f, "{head}")?;
    for (i, s) in steps.iter().enumerate() {
        writeln!(f, "{i}: {s:?}")?;
    }
    Ok(())
}

/// Hash key of the checks; any key would do.
const KEY: Key = Key(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210);

/// How a protocol's tuple shows in a line, by nf's rules for the trackers
/// rct has: ports for TCP, UDP and UDP-Lite; type, code and id for ICMP in
/// IPv4 and ICMPv6 in IPv6; nothing for every other protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ports,
    Icmp,
    Generic,
}

fn kind(l3: L3, proto: u8) -> (Kind, &'static str) {
    match (l3, proto) {
        (_, 6) => (Kind::Ports, "tcp"),
        (_, 17) => (Kind::Ports, "udp"),
        (_, 136) => (Kind::Ports, "udplite"),
        (L3::V4, 1) => (Kind::Icmp, "icmp"),
        (L3::V6, 58) => (Kind::Icmp, "icmpv6"),
        _ => (Kind::Generic, "unknown"),
    }
}

/// The line fields a seed chooses.
struct Extra {
    secs_left: u64,
    status: u32,
    acct: Option<[Counter; 2]>,
    mark: u32,
    zone: u16,
    use_count: u32,
}

impl Extra {
    fn from_seed(seed: u64) -> Extra {
        let bit = |n: u32, v: u32| if seed >> n & 1 != 0 { v } else { 0 };
        let acct = (seed & 4 != 0).then(|| {
            [
                Counter {
                    packets: seed.rotate_left(7),
                    bytes: seed.rotate_left(19),
                },
                Counter {
                    packets: seed.rotate_left(29),
                    bytes: !seed,
                },
            ]
        });
        Extra {
            secs_left: seed >> 3,
            status: bit(0, status::SEEN_REPLY) | bit(1, status::ASSURED) | status::CONFIRMED,
            acct,
            mark: (seed >> 32) as u32,
            zone: (seed >> 8) as u16,
            use_count: (seed >> 24) as u32,
        }
    }
}

/// Checks an entry whose original tuple is `orig` and, for TCP, whose
/// state name is `state`: the reply tuple, the hash and the `/proc` line.
///
/// # Panics
///
/// If `orig` has no reply tuple (the kernel creates no entry then) or a
/// check fails.
pub fn check_entry(orig: &Tuple, state: Option<&str>, seed: u64) {
    let reply = orig
        .invert()
        .unwrap_or_else(|| panic!("an entry needs a reply tuple: {orig:?}"));
    assert_eq!(
        reply.invert(),
        Some(*orig),
        "inverting twice changes {orig:?}"
    );
    assert_eq!((reply.src, reply.dst), (orig.dst, orig.src));
    assert_eq!((reply.proto, reply.l3), (orig.proto, orig.l3));
    if kind(orig.l3, orig.proto).0 == Kind::Ports {
        assert_eq!((reply.sport, reply.dport), (orig.dport, orig.sport));
    }

    // The table hashes both tuples; the bucket is always in range.
    for t in [orig, &reply] {
        let h = tuple_hash(KEY, seed, t);
        assert_eq!(
            h,
            tuple_hash(KEY, seed, &{ *t }),
            "hash is not deterministic"
        );
        let n = u32::try_from(seed % u64::from(MAX_BUCKETS)).unwrap_or(0) + 1;
        for n in [1, 2, 1024, MAX_BUCKETS, n] {
            assert!(bucket(h, n) < n, "bucket({h:#x}, {n}) out of range");
        }
    }

    let e = Extra::from_seed(seed);
    let mut s = String::new();
    write_line(
        &mut s,
        &Line {
            orig,
            reply: &reply,
            secs_left: e.secs_left,
            state,
            status: e.status,
            acct: e.acct,
            mark: e.mark,
            zone: e.zone,
            use_count: e.use_count,
        },
    )
    .expect("formatting into a String cannot fail");
    if let Err(why) = check_line(&s, orig, &reply, state, &e) {
        panic!("bad /proc line ({why}):\n{s}");
    }
}

/// Reads `line` back and compares it with what was written.
fn check_line(
    line: &str,
    orig: &Tuple,
    reply: &Tuple,
    state: Option<&str>,
    e: &Extra,
) -> Result<(), String> {
    let body = line.strip_suffix('\n').ok_or("no trailing newline")?;
    if !body.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err("not printable ASCII on one line".into());
    }
    // Family and protocol names are padded to 8 columns, as nf's `%-8s`;
    // everything else is separated by single spaces.
    let (kind, name) = kind(orig.l3, orig.proto);
    let (l3_col, rest) = body.split_at_checked(9).ok_or("short line")?;
    expect(l3_col, &format!("{:<8} ", orig.l3.name()))?;
    let (number, rest) = rest.split_once(' ').ok_or("no family number")?;
    expect(number, &orig.l3.number().to_string())?;
    let (name_col, rest) = rest.split_at_checked(9).ok_or("short line")?;
    expect(name_col, &format!("{name:<8} "))?;

    let mut w = Words(rest.split(' '));
    w.expect(&orig.proto.to_string())?;
    w.expect(&e.secs_left.to_string())?;
    if let Some(state) = state {
        w.expect(state)?;
    }
    for (dir, want) in [orig, reply].into_iter().enumerate() {
        if dir == 1 && e.status & status::SEEN_REPLY == 0 {
            w.expect("[UNREPLIED]")?;
        }
        let got = w.tuple(orig.l3, orig.proto, kind)?;
        if got != *want {
            return Err(format!("tuple {dir} reads back as {got:?}"));
        }
        if let Some(c) = e.acct.as_ref().and_then(|a| a.get(dir)) {
            w.expect(&format!("packets={}", c.packets))?;
            w.expect(&format!("bytes={}", c.bytes))?;
        }
    }
    if e.status & status::ASSURED != 0 {
        w.expect("[ASSURED]")?;
    }
    w.expect(&format!("mark={}", e.mark))?;
    w.expect(&format!("zone={}", e.zone))?;
    w.expect(&format!("use={}", e.use_count))?;
    match w.0.next() {
        None => Ok(()),
        Some(x) => Err(format!("trailing {x:?}")),
    }
}

fn expect(got: &str, want: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{got:?} where {want:?} belongs"))
    }
}

/// The words of a line, read front to back.
struct Words<'a>(std::str::Split<'a, char>);

impl<'a> Words<'a> {
    fn next(&mut self) -> Result<&'a str, String> {
        self.0.next().ok_or_else(|| "line ends early".into())
    }

    fn expect(&mut self, want: &str) -> Result<(), String> {
        expect(self.next()?, want)
    }

    /// The value of the next word, which must be `key=value`.
    fn value(&mut self, key: &str) -> Result<&'a str, String> {
        let w = self.next()?;
        w.strip_prefix(key)
            .and_then(|v| v.strip_prefix('='))
            .ok_or_else(|| format!("{w:?} where {key}= belongs"))
    }

    /// One tuple: `src= dst=` and the protocol's fields.
    fn tuple(&mut self, l3: L3, proto: u8, kind: Kind) -> Result<Tuple, String> {
        let mut t = Tuple {
            src: address(self.value("src")?, l3)?,
            dst: address(self.value("dst")?, l3)?,
            proto,
            l3,
            ..Default::default()
        };
        match kind {
            Kind::Ports => {
                t.sport = number(self.value("sport")?)?;
                t.dport = number(self.value("dport")?)?;
            }
            Kind::Icmp => {
                let ty: u8 = number(self.value("type")?)?;
                let code: u8 = number(self.value("code")?)?;
                t.dport = u16::from_be_bytes([ty, code]);
                t.sport = number(self.value("id")?)?;
            }
            Kind::Generic => {}
        }
        Ok(t)
    }
}

/// A decimal number written as nf writes it (no sign, no leading zeros).
fn number<T: std::str::FromStr + ToString>(v: &str) -> Result<T, String> {
    let n: T = v.parse().map_err(|_| format!("bad number {v:?}"))?;
    expect(v, &n.to_string())?;
    Ok(n)
}

/// An address as `%pI4` (dotted decimal) or `%pI6` (eight groups of four
/// lower-case hex digits) prints it; IPv4 fills the first four bytes.
fn address(v: &str, l3: L3) -> Result<[u8; 16], String> {
    let mut a = [0u8; 16];
    let (sep, parts) = match l3 {
        L3::V4 => ('.', 4),
        L3::V6 => (':', 8),
    };
    let words: Vec<&str> = v.split(sep).collect();
    if words.len() != parts {
        return Err(format!("address {v:?}"));
    }
    for (i, w) in words.into_iter().enumerate() {
        match l3 {
            L3::V4 => a[i] = number(w)?,
            L3::V6 => {
                let lower_hex =
                    w.len() == 4 && w.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                let x = u16::from_str_radix(w, 16).ok().filter(|_| lower_hex);
                let x = x.ok_or_else(|| format!("address group {w:?}"))?;
                a[2 * i..2 * i + 2].copy_from_slice(&x.to_be_bytes());
            }
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(l3: L3, proto: u8, sport: u16, dport: u16) -> Tuple {
        let mut t = Tuple {
            l3,
            proto,
            sport,
            dport,
            ..Default::default()
        };
        t.src[..4].copy_from_slice(&[192, 0, 2, 1]);
        t.dst[..4].copy_from_slice(&[192, 0, 2, 2]);
        if l3 == L3::V6 {
            t.src[15] = 0xab;
        }
        t
    }

    #[test]
    fn entries_of_every_kind_pass() {
        for seed in [0, 1, 2, 3, 4, 7, u64::MAX, 0x1234_5678_9abc_def0] {
            check_entry(&tuple(L3::V4, 17, 5000, 53), None, seed);
            check_entry(&tuple(L3::V6, 6, 1, 2), Some("SYN_SENT"), seed);
            check_entry(&tuple(L3::V4, 1, 77, 8 << 8), None, seed);
            check_entry(&tuple(L3::V6, 58, 77, 128 << 8), None, seed);
            check_entry(&tuple(L3::V6, 1, 0, 0), None, seed);
            check_entry(&tuple(L3::V4, 132, 0, 0), None, seed);
        }
    }

    #[test]
    fn a_wrong_line_is_caught() {
        let o = tuple(L3::V6, 17, 5000, 53);
        let r = o.invert().unwrap();
        let e = Extra::from_seed(4); // Counters, no reply seen.
        let mut s = String::new();
        let line = Line {
            orig: &o,
            reply: &r,
            secs_left: e.secs_left,
            state: None,
            status: e.status,
            acct: e.acct,
            mark: e.mark,
            zone: e.zone,
            use_count: e.use_count,
        };
        write_line(&mut s, &line).unwrap();
        assert_eq!(check_line(&s, &o, &r, None, &e), Ok(()));
        for (from, to) in [
            ("sport=5000", "sport=5001"),
            ("dport=53 ", "dport=053 "),
            (":00ab ", ":00AB "),
            ("udp      ", "udp     "),
            ("[UNREPLIED] ", ""),
            ("use=", "use= "),
            ("\n", ""),
        ] {
            let bad = s.replacen(from, to, 1);
            assert_ne!(bad, s, "{from:?} not in {s:?}");
            assert!(check_line(&bad, &o, &r, None, &e).is_err(), "{bad:?}");
        }
        assert!(check_line(&s, &o, &r, Some("CLOSE"), &e).is_err());
    }
}
