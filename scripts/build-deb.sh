#!/usr/bin/env bash
# `make deb`: a Debian package of lsmctl (what `make install` installs, PREFIX=/usr), built
# with dpkg-deb into $RUSTLSM_CACHE/deb/. The unit is installed, not enabled: enable it with
# `systemctl enable rustlsm` once the kernel has rustlsm.
. "$(dirname "$0")/lib.sh"

out=$RUSTLSM_CACHE/deb
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"
DESTDIR=$stage PREFIX=/usr SYSCONFDIR=/etc "$REPO_ROOT/scripts/install-lsmctl.sh"
gzip -9n "$stage"/usr/share/man/man1/*.1
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO_ROOT/Cargo.toml" | head -1)
arch=$(dpkg --print-architecture)
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: lsmctl
Version: $version
Architecture: $arch
Maintainer: rustlsm developers <rustlsm@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.34)
Section: admin
Priority: optional
Homepage: https://github.com/rustlsm/rustlsm
Description: compile and load rustlsm profiles, sandbox commands
 lsmctl compiles TOML profiles for the rustlsm Linux Security Module and loads
 them into the kernel, at boot from /etc/rustlsm/profiles.d (rustlsm.service);
 learns profiles from what programs did (genprof, logprof); and runs commands
 in sandboxes any user may create (lsmctl run). It ships an abstractions
 library for profiles to include.
CONTROL
deb=$out/lsmctl_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
log "built $deb"
