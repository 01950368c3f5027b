#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs everything rct needs on a fresh Debian 12 machine: apt packages for the
# kernel build, QEMU and the guest test tools, and bindgen-cli via cargo.
# Idempotent: a second run only checks and returns.
set -euo pipefail

APT_PKGS=(
	linux-source-6.12 rustc-web rust-web-src rust-web-clippy cargo-web
	clang lld llvm libclang-dev
	make gcc flex bison bc libelf-dev libssl-dev cpio kmod xz-utils
	qemu-system-x86 busybox-static
	iproute2 nftables conntrack iperf3 socat python3-scapy iputils-ping
	python3-matplotlib
)
BINDGEN_VERSION='^0.70'

log() { printf 'setup: %s\n' "$*" >&2; }

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing apt packages: ${missing[*]}"
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi
# cargo: rustup's if present, else Debian's cargo-web (installed above).
if ! command -v cargo >/dev/null 2>&1; then
	log "no cargo found (expected /usr/bin/cargo from cargo-web)" && exit 1
fi

BINDGEN="$HOME/.cargo/bin/bindgen"
if ! "$BINDGEN" --version 2>/dev/null | grep -q '^bindgen 0\.70\.'; then
	log "installing bindgen-cli $BINDGEN_VERSION"
	cargo install bindgen-cli --version "$BINDGEN_VERSION" --locked
fi
log "ok"
