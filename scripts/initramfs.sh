#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds (once) the guest initramfs: static busybox plus scripts/guest/init.
# Prints the path of the cached .cpio.gz.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# busybox-static installs /bin/busybox.
[ -x /bin/busybox ] || rct_die "/bin/busybox missing (run scripts/setup.sh)"
key=$({ cat "$RCT_ROOT/scripts/guest/init" "$0"; sha256sum </bin/busybox; } | sha256sum | cut -c1-12)
out=$RCT_CACHE/initramfs-$key.cpio.gz
if [ ! -f "$out" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp"/{bin,dev,proc,sys,newroot}
	cp /bin/busybox "$tmp/bin/busybox"
	install -m 0755 "$RCT_ROOT/scripts/guest/init" "$tmp/init"
	mkdir -p "$RCT_CACHE"
	(cd "$tmp" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp"
	mv "$out.tmp" "$out"
fi
printf '%s\n' "$out"
