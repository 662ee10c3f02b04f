# rustlsm: a Linux Security Module written in Rust, its loader lsmctl, and the QEMU tests
# that prove enforcement. See README.md.
#
# Every target installs what it needs on a fresh Debian 12 machine; downloads and build
# output live in $(RUSTLSM_CACHE), outside the checkout, so repeated runs rebuild only what
# changed.

SHELL := /bin/bash
export RUSTLSM_CACHE ?= $(HOME)/.cache/rustlsm
export PATH := $(RUSTLSM_CACHE)/tools/bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: all deps kernel initramfs lint kernel-lint unit-test guest-test test run series \
	test-debug test-stacking install deb package-test \
	check-series-builds check-docs bench bench-icount fuzz fuzz-smoke clean-cache

all: kernel initramfs

## deps: install the toolchain (Debian packages, bindgen, rustup components).
deps:
	@scripts/install-deps.sh

## kernel: fetch the pinned kernel, apply linux-patches/ and build bzImage.
kernel: deps
	@scripts/build-kernel.sh

## initramfs: static lsmctl, the guest programs, busybox and the lsm kselftests.
initramfs: kernel
	@qemu-test/build-initramfs.sh

## lint: userspace formatting and clippy.
lint: deps
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

## kernel-lint: checkpatch --strict on the series and the kernel's rustfmt check.
kernel-lint: kernel
	@scripts/kernel-lint.sh

## unit-test: the wire format (the kernel's own verifier) and lsmctl, in userspace.
unit-test: deps
	cargo test --workspace

## install: lsmctl, its abstractions, the boot unit, manual pages and completions
## (DESTDIR, PREFIX=/usr, SYSCONFDIR=/etc).
install: deps
	@scripts/install-lsmctl.sh

## deb: a Debian package of the same, in $(RUSTLSM_CACHE)/deb/.
deb: deps
	@scripts/build-deb.sh

## package-test: make install into a scratch DESTDIR, the package into a scratch root.
package-test: deps
	@scripts/test-package.sh

## harness-test: qemu-test/run against a fake QEMU: every way a run could pass by accident
## (QEMU not starting, lost exit markers, port/console mismatch, splats) must fail. Seconds.
.PHONY: harness-test
harness-test:
	@qemu-test/selftest-run.sh

## guest-test: boot the kernel in QEMU and run the end-to-end suite; then boot it again with
## a profile directory (qemu-test/boot/) that init loads, as rustlsm.service would.
guest-test: initramfs
	@qemu-test/run -- /usr/bin/rlsm-guest-tests
	@qemu-test/run --overlay qemu-test/boot -- /usr/bin/rlsm-guest-tests boot

## test-debug: the guest suite and a 60 s policy race on a KASAN/lockdep/KFENCE kernel.
test-debug: initramfs
	@scripts/test-debug.sh

## test-stacking: lsm and landlock kselftests with and without rustlsm: equal results.
test-stacking: initramfs
	@scripts/test-stacking.sh

## test: everything CI runs (about an hour on a fresh 2-core machine, a few minutes again).
test: harness-test lint unit-test package-test kernel-lint guest-test test-stacking fuzz-smoke test-debug

## run: boot, load the example profile, show a denial.
run: initramfs
	@qemu-test/run -- /etc/rustlsm/demo.sh

## bench: rustlsm beside AppArmor and Landlock: policy load times, unconfined overhead,
## confined cost, in guest instructions under QEMU -icount (exact; BENCH_MODE=tsc for cycles,
## noisy). Figures only, no pass/fail. Writes Documentation/bench/ (results.md, results.csv,
## bench.png).
bench: initramfs
	@scripts/bench.sh

## bench-icount: instructions per open+fstat+close, unconfined and under rustlsm, at path
## depths 2, 8, 32, in one boot under QEMU -icount (deterministic; a few minutes). Another
## kernel: make bench-icount BENCH_ICOUNT_ARGS="--kernel BZIMAGE --initramfs CPIO" (then
## nothing is built first).
bench-icount: $(if $(BENCH_ICOUNT_ARGS),,initramfs)
	@scripts/bench-icount.sh $(BENCH_ICOUNT_ARGS)

## bench-quick: the development loop's figures, in about three minutes: bench-icount.
.PHONY: bench-quick
bench-quick: bench-icount

## profile-icount: where a confined open's (or, with PROFILE_ARGS=--load, a 10,000-rule
## load's) kernel instructions go, per kernel function, exactly (two icount boots with a
## QEMU plugin; scripts/profile-icount.sh).
.PHONY: profile-icount
profile-icount: initramfs
	@scripts/profile-icount.sh $(PROFILE_ARGS)

## series: regenerate linux-patches/ after editing security-rustlsm/ or the admin guide.
series: deps
	@scripts/make-series.sh

## check-docs: make htmldocs (admin-guide, userspace-api) and make rustdoc, failing on any
## warning about the series' files (installs Debian's Sphinx if missing).
check-docs: kernel
	@scripts/check-docs.sh

## check-series-builds: build the kernel at every patch of the series (about an hour on 2 cores).
check-series-builds: deps
	@scripts/check-series-builds.sh

## fuzz: fuzz the policy verifier and lsmctl's compiler, FUZZ_SECONDS (default 300) per
## target, one job each; a crash fails and is kept in fuzz/regressions/.
fuzz: deps
	@scripts/fuzz.sh

## fuzz-smoke: the same for one minute per target.
fuzz-smoke: deps
	@FUZZ_SECONDS=60 scripts/fuzz.sh

clean-cache:
	rm -rf "$(RUSTLSM_CACHE)"
