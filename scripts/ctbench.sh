#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds (or reuses) the benchmark's traffic generator bench/ctbench.c in
# $RCT_CACHE/bench, keyed by the source's hash; prints the binary's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$RCT_ROOT/bench/ctbench.c
bin=$RCT_CACHE/bench/ctbench-$(cat "$src" | sha256sum | cut -c1-12)
if [ ! -x "$bin" ]; then
	mkdir -p "$RCT_CACHE/bench"
	gcc -O2 -Wall -Wextra -Werror -o "$bin.tmp" "$src"
	mv "$bin.tmp" "$bin"
fi
echo "$bin"
