#!/usr/bin/env bash
# Fetches the pinned kernel base (Debian's linux-source-7.3 .deb), checks its sha256 and
# unpacks the source tarball into the cache. Uses a private apt configuration that sees
# only trixie-backports; the machine's own sources are never touched.
#
# If the archive stops serving the pinned version, either pin the one it serves
# (KERNEL_DEB_VERSION and KERNEL_DEB_SHA256 in scripts/lib.sh and this file), or point
# KERNEL_TARBALL at a linux-7.3 source tarball you trust; the series applies to any 7.3.4.
. "$(dirname "$0")/lib.sh"

KERNEL_DEB_SHA256=${KERNEL_DEB_SHA256:-703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3}
DL_DIR=$RUSTLSM_CACHE/download
TARBALL=$DL_DIR/linux-source-7.3.tar.xz
mkdir -p "$DL_DIR"

if [ -n "${KERNEL_TARBALL:-}" ]; then
  [ -f "$KERNEL_TARBALL" ] || die "KERNEL_TARBALL=$KERNEL_TARBALL does not exist"
  ln -sf "$(realpath "$KERNEL_TARBALL")" "$TARBALL"
fi

if [ ! -f "$TARBALL" ]; then
  deb=$DL_DIR/linux-source-7.3_${KERNEL_DEB_VERSION//:/%3a}_all.deb
  if [ ! -f "$deb" ]; then
    log "downloading linux-source-7.3=$KERNEL_DEB_VERSION (about 170 MB)"
    mkdir -p "$APT_DIR/trixie-lists/partial" "$APT_DIR/trixie-cache/archives/partial"
    echo "deb http://deb.debian.org/debian trixie-backports main" > "$APT_DIR/trixie.list"
    apt_tx=(-o Dir::Etc::SourceList="$APT_DIR/trixie.list" -o Dir::Etc::SourceParts=/dev/null
            -o Dir::State::Lists="$APT_DIR/trixie-lists" -o Dir::Cache="$APT_DIR/trixie-cache"
            -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
    apt-get "${apt_tx[@]}" update -qq >&2 || die "apt could not read trixie-backports"
    # apt talks on stdout, which is this script's answer (the tarball's path): send it to stderr.
    if ! (cd "$DL_DIR" && apt-get "${apt_tx[@]}" download "linux-source-7.3=$KERNEL_DEB_VERSION" >&2); then
      served=$(apt-cache "${apt_tx[@]}" policy linux-source-7.3 2>/dev/null | sed -n 's/^ *Candidate: //p')
      die "the archive no longer serves linux-source-7.3=$KERNEL_DEB_VERSION (it serves: ${served:-nothing}).
Pin the served version with KERNEL_DEB_VERSION=... KERNEL_DEB_SHA256=..., or set
KERNEL_TARBALL=/path/to/linux-source-7.3.tar.xz to build from a tarball you already have."
    fi
  fi
  got=$(sha256sum "$deb" | cut -d' ' -f1)
  if [ "$got" != "$KERNEL_DEB_SHA256" ]; then
    rm -f "$deb"
    die "sha256 mismatch for $(basename "$deb"): got $got, pinned $KERNEL_DEB_SHA256"
  fi
  log "unpacking the source tarball from the .deb"
  tmp=$(mktemp -d "$DL_DIR/deb.XXXXXX")
  dpkg-deb -x "$deb" "$tmp"
  mv "$tmp/usr/src/linux-source-7.3.tar.xz" "$TARBALL"
  rm -rf "$tmp" "$deb"
fi
echo "$TARBALL"
