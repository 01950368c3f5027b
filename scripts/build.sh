#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what is missing, builds (or reuses) the cached guest kernel and
# builds rct.ko against it. Prints two lines on stdout: the kernel cache
# directory and the path of the built rct.ko.
#
# Usage: scripts/build.sh [normal|debug]
#   normal  rct.ko in the source tree, through clippy (Debian's
#           rust-web-clippy, the same toolchain as rustc-web)
#   debug   the same sources built against the debug kernel in a separate
#           directory ($RCT_CACHE/module-debug), so both builds coexist
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-normal}
"$RCT_ROOT/scripts/setup.sh" >&2
kdir=$("$RCT_ROOT/scripts/kernel.sh" "$variant")
if [ "$variant" = normal ]; then
	make -C "$kdir/build" M="$RCT_ROOT" "${RCT_KMAKE[@]}" CLIPPY=1 \
		CLIPPY_DRIVER="$RCT_CLIPPY_DRIVER" -j"$RCT_JOBS" modules >&2
	ko=$RCT_ROOT/rct.ko
else
	# A clean copy of the module's sources: objects of one kernel must not
	# be mixed with the other's.
	mdir=$RCT_CACHE/module-$variant
	rm -rf "$mdir"
	mkdir -p "$mdir"
	tar -C "$RCT_ROOT" --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='bindings_generated.rs' \
		-cf - Kbuild Makefile src rust | tar -C "$mdir" -xf -
	make -C "$kdir/build" M="$mdir" "${RCT_KMAKE[@]}" -j"$RCT_JOBS" modules >&2
	ko=$mdir/rct.ko
fi
printf '%s\n%s\n' "$kdir" "$ko"
