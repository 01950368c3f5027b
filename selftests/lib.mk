# SPDX-License-Identifier: GPL-2.0
# Minimal stand-in for the kernel's tools/testing/selftests/lib.mk so
# `make -C selftests/rct run_tests` works from a clone; rct's own runner
# (scripts/guest/check.sh) reads TEST_PROGS and uses the kernel's runner.sh.
KSFT_RUNNER ?= $(KSRC)/tools/testing/selftests/kselftest/runner.sh

run_tests:
	@BASE_DIR=$(abspath $(KSRC)/tools/testing/selftests) && export BASE_DIR && \
		. $(KSFT_RUNNER) && run_many $(addprefix ./,$(TEST_PROGS))

list:
	@echo $(TEST_PROGS)

.PHONY: run_tests list
