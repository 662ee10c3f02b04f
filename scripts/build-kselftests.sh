#!/usr/bin/env bash
# Builds the kernel's lsm selftests statically (they run in the initramfs, which has no libc)
# against the patched tree's uapi headers. Output: $RUSTLSM_CACHE/kselftests/lsm/.
. "$(dirname "$0")/lib.sh"

OUT=$RUSTLSM_CACHE/kselftests/lsm
make -s -C "$KERNEL_SRC_DIR" O="$KERNEL_OUT_DIR" LLVM=$LLVM_SUFFIX headers
mkdir -p "$OUT"
make -s -C "$KERNEL_SRC_DIR/tools/testing/selftests/lsm" OUTPUT="$OUT" CC=gcc \
  KHDR_INCLUDES="-isystem $KERNEL_OUT_DIR/usr/include" USERLDFLAGS=-static LDFLAGS=-static
ls "$OUT"/*_test >/dev/null
