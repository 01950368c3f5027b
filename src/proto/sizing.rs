// SPDX-License-Identifier: GPL-2.0

//! Table sizing: the defaults, derived from RAM the way nf_conntrack does,
//! and the `hashsize` and `max` module parameters.
//!
//! C reference: `nf_conntrack_init_start()` in net/netfilter/nf_conntrack_core.c.

/// Size of one hash bucket head (`struct hlist_nulls_head`, one pointer).
const BUCKET_HEAD_BYTES: u64 = 8;

/// Smallest default bucket count.
pub const MIN_BUCKETS: u32 = 1024;

/// Largest bucket count accepted (`hashsize=`, `net.rct.buckets`): 2^24
/// heads are 128 MiB, beyond any sensible table for `max` below 2^31.
pub const MAX_BUCKETS: u32 = 1 << 24;

/// Default number of hash buckets for a machine with `ram_bytes` of RAM.
///
/// Like nf_conntrack: one bucket head per 16 KiB of RAM, at least 1024;
/// 65536 above 1 GiB and 262144 above 4 GiB (64-bit).
pub fn default_buckets(ram_bytes: u64) -> u32 {
    const GIB: u64 = 1 << 30;
    if ram_bytes > 4 * GIB {
        return 262_144;
    }
    if ram_bytes > GIB {
        return 65_536;
    }
    let scaled = ram_bytes / 16_384 / BUCKET_HEAD_BYTES;
    // `scaled` is at most 2^30 / 2^17 = 8192 here, so it fits.
    u32::try_from(scaled).unwrap_or(u32::MAX).max(MIN_BUCKETS)
}

/// Default `max` (entry limit) for a table of `buckets` buckets.
///
/// nf_conntrack uses a factor of one when it picks the bucket count itself,
/// keeping the average chain at two (every entry is hashed twice).
pub fn default_max(buckets: u32) -> u32 {
    buckets
}

/// Largest `max`: `net.rct.max` is an `int` sysctl, as `nf_conntrack_max`.
pub const MAX_LIMIT: u32 = i32::MAX as u32;

/// Bucket count for the `hashsize` module parameter on a machine with
/// `ram_bytes` of RAM: `hashsize` itself, [`default_buckets`] for 0, or
/// `None` above [`MAX_BUCKETS`].
pub fn initial_buckets(hashsize: u32, ram_bytes: u64) -> Option<u32> {
    match hashsize {
        0 => Some(default_buckets(ram_bytes)),
        1..=MAX_BUCKETS => Some(hashsize),
        _ => None,
    }
}

/// Initial `net.rct.max` for the `max` module parameter and a table of
/// `buckets` buckets: `max` itself, [`default_max`] for 0, or `None` above
/// [`MAX_LIMIT`].
pub fn initial_max(max: u32, buckets: u32) -> Option<i32> {
    let max = if max == 0 { default_max(buckets) } else { max };
    i32::try_from(max).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    #[test]
    fn small_machines_get_the_floor() {
        assert_eq!(default_buckets(0), MIN_BUCKETS);
        assert_eq!(default_buckets(64 * MIB), MIN_BUCKETS);
        assert_eq!(default_buckets(128 * MIB), MIN_BUCKETS);
    }

    #[test]
    fn scales_with_ram_up_to_one_gib() {
        // 256 MiB / 16 KiB / 8 = 2048 buckets.
        assert_eq!(default_buckets(256 * MIB), 2048);
        assert_eq!(default_buckets(512 * MIB), 4096);
        assert_eq!(default_buckets(GIB), 8192);
    }

    #[test]
    fn large_machines_are_capped() {
        assert_eq!(default_buckets(GIB + 1), 65_536);
        assert_eq!(default_buckets(4 * GIB), 65_536);
        assert_eq!(default_buckets(4 * GIB + 1), 262_144);
        assert_eq!(default_buckets(24 * GIB), 262_144);
        assert_eq!(default_buckets(u64::MAX), 262_144);
    }

    #[test]
    fn max_equals_buckets() {
        assert_eq!(default_max(default_buckets(256 * MIB)), 2048);
    }

    #[test]
    fn hashsize_zero_is_sized_from_ram() {
        assert_eq!(initial_buckets(0, 256 * MIB), Some(2048));
        assert_eq!(initial_buckets(0, 24 * GIB), Some(262_144));
    }

    #[test]
    fn hashsize_is_taken_up_to_the_limit() {
        assert_eq!(initial_buckets(1, GIB), Some(1));
        assert_eq!(initial_buckets(4096, GIB), Some(4096));
        assert_eq!(initial_buckets(1000, GIB), Some(1000));
        assert_eq!(initial_buckets(MAX_BUCKETS, GIB), Some(16_777_216));
        assert_eq!(initial_buckets(MAX_BUCKETS + 1, GIB), None);
        assert_eq!(initial_buckets(u32::MAX, GIB), None);
    }

    #[test]
    fn max_zero_follows_the_buckets() {
        assert_eq!(initial_max(0, 4096), Some(4096));
        assert_eq!(initial_max(0, MAX_BUCKETS), Some(16_777_216));
    }

    #[test]
    fn max_is_taken_up_to_int_max() {
        assert_eq!(initial_max(1, 4096), Some(1));
        assert_eq!(initial_max(1234, 4096), Some(1234));
        assert_eq!(initial_max(MAX_LIMIT, 4096), Some(i32::MAX));
        assert_eq!(initial_max(MAX_LIMIT + 1, 4096), None);
        assert_eq!(initial_max(u32::MAX, 4096), None);
    }
}
