#!/usr/bin/env bash
# Configures and builds the test kernel in $KERNEL_OUT_DIR. Reconfigures only when the config
# fragment or the series changed, and copies the new .config in only when it differs, so an
# unchanged tree is a no-op make (seconds).
. "$(dirname "$0")/lib.sh"

FRAGMENTS=("$REPO_ROOT/kernel-config/rustlsm.config" ${KERNEL_EXTRA_FRAGMENTS:-})
"$REPO_ROOT/scripts/prepare-tree.sh"
mkdir -p "$KERNEL_OUT_DIR"
kmake() { make -s -C "$KERNEL_SRC_DIR" O="$1" LLVM=$LLVM_SUFFIX "${@:2}"; }

stamp=$(cat "${FRAGMENTS[@]}" $(series_patches) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$KERNEL_OUT_DIR/.rustlsm-config-stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$KERNEL_OUT_DIR/.config" ]; then
  log "configuring: tinyconfig + ${FRAGMENTS[*]##*/}"
  gen=$RUSTLSM_CACHE/config-gen
  mkdir -p "$gen"
  kmake "$gen" tinyconfig >/dev/null
  (cd "$KERNEL_SRC_DIR" && KCONFIG_CONFIG="$gen/.config" \
    scripts/kconfig/merge_config.sh -m -O "$gen" "$gen/.config" "${FRAGMENTS[@]}" >/dev/null)
  kmake "$gen" olddefconfig >/dev/null
  # Every line of the fragments must have survived olddefconfig's dependency resolution.
  lost=0
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    grep -qxF "$line" "$gen/.config" || { echo "config lost: $line" >&2; lost=1; }
  done < <(cat "${FRAGMENTS[@]}")
  [ $lost = 0 ] || die "the kernel config dropped options above (missing dependency or toolchain?); see 'make LLVM=-19 rustavailable'"
  cmp -s "$gen/.config" "$KERNEL_OUT_DIR/.config" || cp "$gen/.config" "$KERNEL_OUT_DIR/.config"
  echo "$stamp" > "$KERNEL_OUT_DIR/.rustlsm-config-stamp"
fi

log "building bzImage in $KERNEL_OUT_DIR (a clean build takes about 10 minutes on 2 cores)"
start=$(date +%s)
kmake "$KERNEL_OUT_DIR" -j"$JOBS" bzImage
log "kernel ready in $(( $(date +%s) - start )) s: $KERNEL_OUT_DIR/arch/x86/boot/bzImage"
