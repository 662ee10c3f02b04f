#!/usr/bin/env bash
# Installs everything rustlsm's build and tests need on a fresh Debian 12 machine.
# Idempotent: a second run checks and returns in a second or two.
. "$(dirname "$0")/lib.sh"

BOOKWORM_PKGS=(clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc libelf-dev cpio
               busybox-static make gcc libc6-dev git xz-utils python3 libcap-dev gnuplot-nox)
BACKPORTS_PKGS=(qemu-system-x86 qemu-utils)
BINDGEN_VERSION=0.73.2

missing=()
for p in "${BOOKWORM_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing from bookworm: ${missing[*]}"
  apt-get update -qq
  # --no-upgrade: naming an installed package must not drag core libraries forward.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade --no-install-recommends "${missing[@]}"
fi

# QEMU: the image's qemu-utils is 10.0.2 from bookworm-backports and bookworm's own
# qemu-system-x86 (7.2) would remove it, so take both from backports through a private
# sources list; the machine's own apt configuration is left alone.
if ! command -v qemu-system-x86_64 >/dev/null; then
  log "installing QEMU from bookworm-backports"
  mkdir -p "$APT_DIR/lists/partial"
  {
    echo "deb http://deb.debian.org/debian bookworm main"
    echo "deb http://deb.debian.org/debian bookworm-updates main"
    echo "deb http://deb.debian.org/debian-security bookworm-security main"
    echo "deb http://deb.debian.org/debian bookworm-backports main"
  } > "$APT_DIR/bookworm-backports.list"
  apt_bp=(-o Dir::Etc::SourceList="$APT_DIR/bookworm-backports.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$APT_DIR/lists")
  apt-get "${apt_bp[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_bp[@]}" install -y -qq --no-upgrade \
    --no-install-recommends -t bookworm-backports "${BACKPORTS_PKGS[@]}"
fi

# checkpatch runs scripts/spdxcheck.py with whatever python3 is first on PATH.
python3 -c 'import ply, git' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check ply GitPython

# Rust pieces the kernel build and the static guest binaries need.
rustup component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -q x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl

if ! "$TOOLS_DIR/bin/bindgen" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
  log "building bindgen-cli $BINDGEN_VERSION (about two minutes)"
  cargo install --locked --root "$TOOLS_DIR" "bindgen-cli@$BINDGEN_VERSION"
fi
log "dependencies present"
