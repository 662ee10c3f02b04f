#!/usr/bin/env bash
# `make package-test`: `make install` into a scratch DESTDIR with another PREFIX, and the
# Debian package installed into (and removed from) a scratch root with dpkg; in both, the
# installed lsmctl runs, finds the abstractions it shipped, and has its pages and
# completions.
. "$(dirname "$0")/lib.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { die "package-test: $*"; }
profile=$scratch/p.toml
printf '[profile.p]\nattach = ["/usr/bin/p"]\ninclude = ["abstractions/base", "abstractions/nameservice"]\n' > "$profile"

# make install, PREFIX=/usr/local.
dest=$scratch/dest
DESTDIR=$dest PREFIX=/usr/local SYSCONFDIR=/etc "$REPO_ROOT/scripts/install-lsmctl.sh"
for f in usr/local/bin/lsmctl usr/local/share/rustlsm/abstractions/base.toml \
  usr/local/share/rustlsm/profiles/getent.toml usr/local/share/rustlsm/profiles/lighttpd.toml \
  usr/local/lib/systemd/system/rustlsm.service usr/local/share/man/man1/lsmctl.1 \
  usr/local/share/man/man1/lsmctl-logprof.1 usr/local/share/man/man1/lsmctl-exec.1 \
  usr/local/share/bash-completion/completions/lsmctl \
  usr/local/share/zsh/vendor-completions/_lsmctl usr/local/share/fish/vendor_completions.d/lsmctl.fish; do
  [ -f "$dest/$f" ] || fail "make install did not install $f"
done
[ -d "$dest/etc/rustlsm/profiles.d" ] || fail "no /etc/rustlsm/profiles.d"
grep -q '^ExecStart=/usr/local/bin/lsmctl load --all$' "$dest/usr/local/lib/systemd/system/rustlsm.service" ||
  fail "the unit does not run the installed lsmctl"
"$dest/usr/local/bin/lsmctl" -I "$dest/usr/local/share/rustlsm" check "$profile" | grep -q 'profile p' ||
  fail "the installed lsmctl does not compile a profile with the installed abstractions"
for shipped in "$dest"/usr/local/share/rustlsm/profiles/*.toml; do
  "$dest/usr/local/bin/lsmctl" -D -I "$dest/usr/local/share/rustlsm" check "$shipped" >/dev/null ||
    fail "the shipped $(basename "$shipped") does not compile, warning-free, as installed"
done
bash -n "$dest/usr/local/share/bash-completion/completions/lsmctl" || fail "bash completion"
man -l "$dest/usr/local/share/man/man1/lsmctl-genprof.1" 2>/dev/null | grep -q 'genprof' ||
  fail "the genprof page does not render"

# The Debian package, into a scratch root.
"$REPO_ROOT/scripts/build-deb.sh"
deb=$(ls "$RUSTLSM_CACHE"/deb/lsmctl_*.deb | head -1)
dpkg-deb --field "$deb" Package | grep -qx lsmctl || fail "$deb: not the lsmctl package"
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --force-depends --force-not-root -i "$deb" >"$scratch/dpkg.log" 2>&1 ||
  fail "dpkg -i into the scratch root"
dpkg --root="$root" -L lsmctl | grep -qx /usr/share/rustlsm/abstractions/base.toml ||
  fail "the package does not list the abstractions"
[ -f "$root/usr/share/man/man1/lsmctl.1.gz" ] || fail "no compressed manual page"
"$root/usr/bin/lsmctl" --version | grep -q '^lsmctl ' || fail "the packaged lsmctl does not run"
"$root/usr/bin/lsmctl" -I "$root/usr/share/rustlsm" check "$profile" | grep -q 'profile p' ||
  fail "the packaged lsmctl does not compile with the packaged abstractions"
dpkg --root="$root" --force-not-root -r lsmctl >/dev/null || fail "dpkg -r"
[ ! -e "$root/usr/bin/lsmctl" ] || fail "dpkg -r left /usr/bin/lsmctl"
log "package-test: make install and the Debian package install, run and (the package) remove cleanly"
