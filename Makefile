# SPDX-License-Identifier: GPL-2.0
#
# rct: netfilter connection tracking in Rust, as an out-of-tree module.
#
#   make            build rct.ko against the cached guest kernel (built on demand)
#   make KDIR=...   build rct.ko against your own Rust-enabled 6.12 kernel tree
#   make run        build everything, boot QEMU, show rct working
#   make check      run every test; ends with "N passed, N failed"
#   make setup      install the packages and tools the above need
#   make fuzz       fuzz the host crate, FUZZ_SECONDS (600) per target
#   make bench      rct vs nf_conntrack vs no tracking, in one QEMU boot
#   make profile    where a bench workload spends its time, PROFILE="udp_rr rct nf"
#   make clean

RCT_TOOLCHAIN := LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
	BINDGEN=$(HOME)/.cargo/bin/bindgen

.PHONY: all modules setup kernel run check test host-test fuzz bench profile clean

all: modules

ifeq ($(KDIR),)
modules:
	$(CURDIR)/scripts/build.sh
else
modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(RCT_TOOLCHAIN) modules
endif

setup:
	$(CURDIR)/scripts/setup.sh

kernel: setup
	$(CURDIR)/scripts/kernel.sh >/dev/null

run:
	$(CURDIR)/scripts/run.sh demo

check test:
	$(CURDIR)/scripts/run.sh check

host-test:
	cargo test --manifest-path $(CURDIR)/Cargo.toml

FUZZ_SECONDS ?= 600
fuzz:
	$(CURDIR)/scripts/fuzz.sh $(FUZZ_SECONDS)

bench:
	$(CURDIR)/scripts/bench.sh

PROFILE ?= udp_rr rct nf
profile:
	RCT_BENCH_PROFILE="$(PROFILE)" $(CURDIR)/scripts/bench.sh

clean:
	rm -rf src/*.o src/.*.cmd rust/helpers/*.o rust/helpers/.*.cmd .*.cmd \
		*.ko *.mod *.mod.c *.mod.o *.o modules.order Module.symvers \
		rust/bindings/bindings_generated.rs rust/bindings/.bindings_generated.rs.* \
		.tmp_versions src/.*.d target
