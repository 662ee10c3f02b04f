# Shared settings for rustlsm's build scripts: sourced, never run.
# Every path that holds downloads or build output lives under $RUSTLSM_CACHE,
# outside the checkout, so a second `make test` rebuilds only what changed.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUSTLSM_CACHE=${RUSTLSM_CACHE:-$HOME/.cache/rustlsm}
mkdir -p "$RUSTLSM_CACHE"

# The pinned kernel base: Debian's linux-source-7.3 from trixie-backports.
KERNEL_DEB_VERSION=${KERNEL_DEB_VERSION:-7.3.4-1~bpo13+1}
KERNEL_SRC_DIR=$RUSTLSM_CACHE/linux           # git tree: baseline commit + our series
KERNEL_OUT_DIR=${KERNEL_OUT_DIR:-$RUSTLSM_CACHE/build}  # O= build directory
TOOLS_DIR=$RUSTLSM_CACHE/tools                # bindgen and friends
APT_DIR=$RUSTLSM_CACHE/apt                    # private apt state, system sources untouched

export LIBCLANG_PATH=/usr/lib/llvm-19/lib
export PATH=$TOOLS_DIR/bin:$HOME/.cargo/bin:$PATH
LLVM_SUFFIX=-19
JOBS=${JOBS:-$(nproc)}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
