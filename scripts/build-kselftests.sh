#!/usr/bin/env bash
# Builds the kernel's lsm and landlock selftests statically (they run in the initramfs, which
# has no libc) against the patched tree's uapi headers.
# Output: $RUSTLSM_CACHE/kselftests/{lsm,landlock}/.
. "$(dirname "$0")/lib.sh"

make -s -C "$KERNEL_SRC_DIR" O="$KERNEL_OUT_DIR" LLVM=$LLVM_SUFFIX headers
for suite in lsm landlock; do
  out=$RUSTLSM_CACHE/kselftests/$suite
  mkdir -p "$out"
  # -lcap resolves against Debian's static libcap.a (libcap-dev); TEST_GEN_PROGS link with it.
  make -s -C "$KERNEL_SRC_DIR/tools/testing/selftests/$suite" OUTPUT="$out" CC=gcc \
    KHDR_INCLUDES="-isystem $KERNEL_OUT_DIR/usr/include" USERLDFLAGS=-static LDFLAGS=-static
  ls "$out"/*_test >/dev/null
done
