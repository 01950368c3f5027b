#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what is missing, builds (or reuses) the cached guest kernel and
# builds rct.ko against it, through clippy (Debian's rust-web-clippy, the
# same toolchain as rustc-web). Prints the kernel cache directory on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$RCT_ROOT/scripts/setup.sh" >&2
kdir=$("$RCT_ROOT/scripts/kernel.sh")
make -C "$kdir/build" M="$RCT_ROOT" "${RCT_KMAKE[@]}" CLIPPY=1 \
	CLIPPY_DRIVER="$RCT_CLIPPY_DRIVER" -j"$RCT_JOBS" modules >&2
printf '%s\n' "$kdir"
