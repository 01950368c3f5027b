#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds (once) the Rust-enabled 6.12 guest kernel rct is tested on and caches it
# under ~/.cache/rct/kernel/<version>-<variant>-<hash>/:
#   build/    the O= build tree (KDIR for rct's Kbuild), with bzImage
#   modroot/  modules_install output (nf_conntrack, nft_ct, ... for the guest)
# Usage: scripts/kernel.sh [normal|debug|perf]   prints the cache directory on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# stdout carries only the result (the cache directory); build logs go to stderr.
exec 3>&1 1>&2

variant=${1:-normal}
case $variant in
normal | debug | perf) ;;
*) rct_die "unknown variant '$variant' (normal, debug or perf)" ;;
esac

kdir=$(rct_kernel_dir "$variant")
if [ -f "$kdir/.done" ]; then
	printf '%s\n' "$kdir" >&3
	exit 0
fi

mkdir -p "$RCT_CACHE"
exec 9>"$RCT_CACHE/.kernel.lock"
flock 9
if [ -f "$kdir/.done" ]; then
	printf '%s\n' "$kdir" >&3
	exit 0
fi

# Unpack the source once per source package version.
src=$(rct_kernel_src)
if [ ! -f "$src/.unpacked" ]; then
	rct_log "unpacking /usr/src/linux-source-6.12.tar.xz"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" -xf /usr/src/linux-source-6.12.tar.xz
	mv "$src.tmp/linux-source-6.12" "$src"
	rmdir "$src.tmp"
	touch "$src/.unpacked"
fi

rm -rf "$kdir"
mkdir -p "$kdir/build"
b=$kdir/build
kmake() { make -C "$src" O="$b" "${RCT_KMAKE[@]}" "$@"; }

rct_log "configuring ($variant) in $b"
kmake -s tinyconfig
frags=("$RCT_ROOT/scripts/kernel.config")
[ "$variant" = normal ] || frags+=("$RCT_ROOT/scripts/kernel-$variant.config")
(cd "$b" && "$src/scripts/kconfig/merge_config.sh" -m -O "$b" .config "${frags[@]}" >/dev/null)
kmake -s olddefconfig

# Every symbol the fragments ask for must have stuck (Rust silently drops out
# when a dependency is missing, for example).
bad=0
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	sym=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		if grep -q "^$sym=" "$b/.config"; then
			rct_log "config: $sym should be off but is $(grep "^$sym=" "$b/.config")"
			bad=1
		fi
	elif ! grep -qx "$line" "$b/.config"; then
		rct_log "config: wanted $line, got: $(grep -E "^(# )?$sym[= ]" "$b/.config" || echo unset)"
		bad=1
	fi
done < <(cat "${frags[@]}")
[ $bad -eq 0 ] || rct_die "kernel config is missing wanted symbols"

rct_log "building bzImage and modules with -j$RCT_JOBS (several minutes on first run)"
kmake -j"$RCT_JOBS" bzImage modules
kmake -s INSTALL_MOD_PATH="$kdir/modroot" modules_install
kmake -s kernelrelease >"$kdir/kernelrelease"
touch "$kdir/.done"
rct_log "kernel ready in $kdir"
printf '%s\n' "$kdir" >&3
