#!/usr/bin/env bash
# Builds the kernel at every patch of the series, in order, in a separate worktree and output
# directory ($RUSTLSM_CACHE/series-check, build-series): the proof that the series is
# bisectable. Patches before the one that adds CONFIG_SECURITY_RUSTLSM are built with the
# fragment minus the rustlsm lines. Takes about 20 minutes; not part of `make test`.
. "$(dirname "$0")/lib.sh"

"$REPO_ROOT/scripts/prepare-tree.sh"
WT=$RUSTLSM_CACHE/series-check
OUT=$RUSTLSM_CACHE/build-series
git -C "$KERNEL_SRC_DIR" worktree prune
[ -d "$WT" ] || git -C "$KERNEL_SRC_DIR" worktree add -q --detach "$WT" rustlsm-base
mkdir -p "$OUT"
fragment=$REPO_ROOT/kernel-config/rustlsm.config
commits=$(git -C "$KERNEL_SRC_DIR" rev-list --reverse rustlsm-base..HEAD)
n=0
for c in $commits; do
  n=$((n + 1))
  subject=$(git -C "$KERNEL_SRC_DIR" log -1 --format=%s "$c")
  git -C "$WT" checkout -q -f --detach "$c"
  frag=$OUT/fragment.config
  if grep -q 'config SECURITY_RUSTLSM' "$WT/security/rustlsm/Kconfig" 2>/dev/null; then
    cp "$fragment" "$frag"
  else
    grep -v -e SECURITY_RUSTLSM -e '^CONFIG_LSM=' "$fragment" > "$frag"
  fi
  make -s -C "$WT" O="$OUT" LLVM=$LLVM_SUFFIX tinyconfig >/dev/null
  (cd "$WT" && scripts/kconfig/merge_config.sh -m -O "$OUT" "$OUT/.config" "$frag" >/dev/null)
  make -s -C "$WT" O="$OUT" LLVM=$LLVM_SUFFIX olddefconfig >/dev/null
  start=$(date +%s)
  if make -s -C "$WT" O="$OUT" LLVM=$LLVM_SUFFIX -j"$JOBS" bzImage >"$OUT/patch-$n.log" 2>&1; then
    echo "patch $n builds ($(( $(date +%s) - start )) s): $subject"
  else
    tail -20 "$OUT/patch-$n.log" >&2
    die "patch $n does not build: $subject (log: $OUT/patch-$n.log)"
  fi
done
echo "all $n patches build"
