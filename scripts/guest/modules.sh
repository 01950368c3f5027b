# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scripts: the kernel's module autoload
# (request_module(): rct loading nfnetlink, nfnetlink loading a ctnetlink
# subsystem on demand, ...) runs modprobe on the guest kernel's modules,
# which live in $RCT_MODROOT, not in /lib/modules (the guest's root is the
# host's).
rct_guest_modules() {
	[ -n "${RCT_MODROOT:-}" ] && [ -d "$RCT_MODROOT/lib/modules/$(uname -r)" ] || return 0
	printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$RCT_MODROOT" >/run/rct-modprobe
	chmod 0755 /run/rct-modprobe
	echo /run/rct-modprobe >/proc/sys/kernel/modprobe
}
rct_guest_modules
