#!/usr/bin/env bash
# Kernel-side style gates: checkpatch --strict on every patch of the series (run inside the
# patched tree, so MAINTAINERS coverage is checked too) and rustfmt with the kernel's own
# configuration on the LSM's Rust files.
. "$(dirname "$0")/lib.sh"

# FILE_PATH_CHANGES only asks whether MAINTAINERS covers new files: the series' new files are
# under tools/testing/selftests/lsm/ (SECURITY SUBSYSTEM) and security/rustlsm/ (the RUSTLSM
# entry the last patch adds), which get_maintainer.pl confirms below.
status=0
for f in tools/testing/selftests/lsm/lsm_manage_policy_test.c security/rustlsm/setup.c; do
  if ! (cd "$KERNEL_SRC_DIR" && perl scripts/get_maintainer.pl --nogit --nogit-fallback -f "$f" | grep -q 'linux-security-module@vger.kernel.org'); then
    echo "MAINTAINERS does not cover $f" >&2
    status=1
  fi
done
for patch in $(series_patches); do
  if ! (cd "$KERNEL_SRC_DIR" && perl scripts/checkpatch.pl --strict --quiet --show-types --ignore FILE_PATH_CHANGES "$patch"); then
    echo "checkpatch: $(basename "$patch") has findings" >&2
    status=1
  fi
done
if ! make -s -C "$KERNEL_SRC_DIR" O="$KERNEL_OUT_DIR" LLVM=$LLVM_SUFFIX rustfmtcheck; then
  echo "rustfmtcheck: run 'rustfmt --config-path $KERNEL_SRC_DIR/.rustfmt.toml security-rustlsm/*.rs'" >&2
  status=1
fi
# CLIPPY=1 in its own output directory, so the test kernel's objects keep their plain rustc
# command lines and are not rebuilt by the next `make kernel`.
clippy_out=$RUSTLSM_CACHE/build-clippy
mkdir -p "$clippy_out"
# Warnings do not fail the build, so objects from an earlier run would let make skip clippy
# and pass silently: drop rustlsm's objects so it is compiled, and linted, every time.
rm -f "$clippy_out"/security/rustlsm/*.o
cmp -s "$KERNEL_OUT_DIR/.config" "$clippy_out/.config" || cp "$KERNEL_OUT_DIR/.config" "$clippy_out/.config"
if ! make -s -C "$KERNEL_SRC_DIR" O="$clippy_out" LLVM=$LLVM_SUFFIX CLIPPY=1 -j"$JOBS" \
    security/rustlsm/ 2>"$clippy_out/clippy.log"; then
  cat "$clippy_out/clippy.log" >&2
  status=1
elif grep -qE '^(warning|error)' "$clippy_out/clippy.log"; then
  cat "$clippy_out/clippy.log" >&2
  echo "clippy: findings in security/rustlsm" >&2
  status=1
fi
[ $status = 0 ] && log "checkpatch --strict, rustfmtcheck and CLIPPY=1 are clean"
exit $status
