# SPDX-License-Identifier: GPL-2.0
# Shared settings for rct's scripts: paths, toolchain and the kernel cache key.
# Sourced, not run.

RCT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RCT_CACHE=${RCT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rct}
export PATH="$HOME/.cargo/bin:$PATH"

# The kernel's Rust must be built with Debian's rustc-web (it ships rust-src);
# the rustup rustc on PATH cannot build the kernel crate.
RCT_RUSTC=/usr/bin/rustc
RCT_RUSTDOC=/usr/bin/rustdoc
RCT_BINDGEN=$HOME/.cargo/bin/bindgen
RCT_CLIPPY_DRIVER=/usr/bin/clippy-driver
RCT_KMAKE=(LLVM=1 "RUSTC=$RCT_RUSTC" "RUSTDOC=$RCT_RUSTDOC" "BINDGEN=$RCT_BINDGEN")
RCT_JOBS=${RCT_JOBS:-$(( $(nproc) + 1 ))}

rct_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
rct_die() { rct_log "error: $*"; exit 1; }

# Bump when scripts/kernel.sh changes what it builds (not for cosmetic edits).
RCT_KERNEL_RECIPE=2

# rct_kernel_key VARIANT: version of the kernel source package plus a hash of
# everything that changes the built kernel (config fragments, build recipe
# version, compilers).  Printed as "<pkgversion>-<variant>-<hash12>".
rct_kernel_key() {
	local variant=$1 pkgver
	pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		rct_die "linux-source-6.12 is not installed (run scripts/setup.sh)"
	local hash
	hash=$({
		cat "$RCT_ROOT/scripts/kernel.config"
		[ "$variant" = normal ] || cat "$RCT_ROOT/scripts/kernel-$variant.config"
		echo "recipe $RCT_KERNEL_RECIPE"
		"$RCT_RUSTC" --version
		"$RCT_BINDGEN" --version
		clang --version | head -n 1
	} | sha256sum | cut -c1-12)
	printf '%s-%s-%s\n' "${pkgver//[~:]/_}" "$variant" "$hash"
}

# Unpacked kernel source (shared by all variants; builds use O=).
rct_kernel_src() {
	local pkgver
	pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		rct_die "linux-source-6.12 is not installed (run scripts/setup.sh)"
	printf '%s/src/linux-source-6.12-%s\n' "$RCT_CACHE" "${pkgver//[~:]/_}"
}

# Directory of the built kernel for VARIANT (normal or debug).
rct_kernel_dir() { printf '%s/kernel/%s\n' "$RCT_CACHE" "$(rct_kernel_key "$1")"; }
