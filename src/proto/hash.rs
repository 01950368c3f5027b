// SPDX-License-Identifier: GPL-2.0

//! Keyed hashing of tuples (SipHash-1-3 over 64-bit words).
//!
//! The key is random per module load, so bucket placement cannot be
//! predicted by a remote sender (hash flooding). SipHash-1-3 is the variant
//! the kernel uses for `hsiphash` on 64-bit: a keyed PRF that is cheap enough
//! for the packet path. nf_conntrack hashes its tuples with `siphash()`.
//!
//! C reference: `hash_conntrack_raw()` in net/netfilter/nf_conntrack_core.c,
//! lib/siphash.c.

use super::tuple::{Tuple, L3};

/// A 128-bit SipHash key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Key(pub u64, pub u64);

struct State([u64; 4]);

impl State {
    fn new(k: Key) -> Self {
        State([
            k.0 ^ 0x736f_6d65_7073_6575,
            k.1 ^ 0x646f_7261_6e64_6f6d,
            k.0 ^ 0x6c79_6765_6e65_7261,
            k.1 ^ 0x7465_6462_7974_6573,
        ])
    }

    fn round(&mut self) {
        let v = &mut self.0;
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13);
        v[1] ^= v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16);
        v[3] ^= v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21);
        v[3] ^= v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17);
        v[1] ^= v[2];
        v[2] = v[2].rotate_left(32);
    }

    fn absorb<const C: usize>(&mut self, m: u64) {
        self.0[3] ^= m;
        for _ in 0..C {
            self.round();
        }
        self.0[0] ^= m;
    }

    fn finish<const C: usize, const D: usize>(mut self, len_bytes: usize) -> u64 {
        // Whole words only: the final block is just the length byte.
        self.absorb::<C>((len_bytes as u64) << 56);
        self.0[2] ^= 0xff;
        for _ in 0..D {
            self.round();
        }
        self.0[0] ^ self.0[1] ^ self.0[2] ^ self.0[3]
    }
}

/// SipHash-c-d of little-endian 64-bit words (equal to SipHash of their bytes).
fn siphash<const C: usize, const D: usize>(key: Key, words: &[u64]) -> u64 {
    let mut s = State::new(key);
    for &w in words {
        s.absorb::<C>(w);
    }
    s.finish::<C, D>(words.len().wrapping_mul(8))
}

/// SipHash-1-3 of `words`.
pub fn siphash13(key: Key, words: &[u64]) -> u64 {
    siphash::<1, 3>(key, words)
}

/// Hash of `t` in namespace `ns` (any value that tells namespaces apart).
pub fn tuple_hash(key: Key, ns: u64, t: &Tuple) -> u64 {
    let w = |b: &[u8; 16], i: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[i * 8..i * 8 + 8]);
        u64::from_le_bytes(x)
    };
    let l4 = u64::from(t.sport)
        | u64::from(t.dport) << 16
        | u64::from(t.proto) << 32
        | u64::from(t.l3.number()) << 40;
    match t.l3 {
        // An IPv4 address takes the first 4 of the 16 bytes (the rest are
        // zero): both addresses fit one word, and the hash takes 3 words
        // instead of 6. The family is in `l4`, so the encodings differ.
        L3::V4 => {
            let v4 = |b: &[u8; 16]| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            siphash13(key, &[v4(&t.src) | v4(&t.dst) << 32, l4, ns])
        }
        L3::V6 => siphash13(
            key,
            &[
                w(&t.src, 0),
                w(&t.src, 1),
                w(&t.dst, 0),
                w(&t.dst, 1),
                l4,
                ns,
            ],
        ),
    }
}

/// Maps a 64-bit hash onto `n` buckets without division (Lemire's reduction).
pub fn bucket(hash: u64, n: u32) -> u32 {
    (((hash >> 32) * u64::from(n)) >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Key = Key(0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908);

    #[test]
    fn siphash24_reference_vectors() {
        // From the SipHash paper's test vectors (key 00..0f): the empty input
        // and the input 00 01 .. 07.
        assert_eq!(siphash::<2, 4>(KEY, &[]), 0x726f_db47_dd0e_0e31);
        assert_eq!(
            siphash::<2, 4>(KEY, &[0x0706_0504_0302_0100]),
            0x93f5_f579_9a93_2462
        );
    }

    #[test]
    fn tuple_hash_depends_on_every_field_and_the_key() {
        let base = Tuple::default();
        let h = tuple_hash(KEY, 1, &base);
        // IPv4 addresses are the first 4 bytes; IPv6 ones all 16.
        for (l3, i) in [(L3::V4, 0), (L3::V4, 3), (L3::V6, 0), (L3::V6, 15)] {
            let b = Tuple { l3, ..base };
            let h = tuple_hash(KEY, 1, &b);
            let mut s = b;
            s.src[i] = 1;
            assert_ne!(tuple_hash(KEY, 1, &s), h);
            let mut d = b;
            d.dst[i] = 1;
            assert_ne!(tuple_hash(KEY, 1, &d), h);
            // Source and destination are not interchangeable.
            assert_ne!(tuple_hash(KEY, 1, &s), tuple_hash(KEY, 1, &d));
        }
        let mut t = base;
        t.sport = 1;
        assert_ne!(tuple_hash(KEY, 1, &t), h);
        let mut t = base;
        t.dport = 1;
        assert_ne!(tuple_hash(KEY, 1, &t), h);
        let mut t = base;
        t.proto = 17;
        assert_ne!(tuple_hash(KEY, 1, &t), h);
        let mut t = base;
        t.l3 = super::super::tuple::L3::V6;
        assert_ne!(tuple_hash(KEY, 1, &t), h);
        assert_ne!(tuple_hash(KEY, 2, &base), h);
        assert_ne!(tuple_hash(Key(1, 2), 1, &base), h);
    }

    #[test]
    fn bucket_is_in_range_and_spreads() {
        let mut counts = [0u32; 64];
        for i in 0..64_000u64 {
            let t = Tuple {
                sport: i as u16,
                dport: (i >> 16) as u16,
                ..Default::default()
            };
            let b = bucket(tuple_hash(KEY, 0, &t), 64);
            counts[b as usize] += 1;
        }
        // 1000 expected per bucket; a fair hash stays well within +-20%.
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(bucket(u64::MAX, 7), 6);
        assert_eq!(bucket(0, 7), 0);
    }
}
