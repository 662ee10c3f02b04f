#!/usr/bin/env bash
# `make install`: lsmctl, the abstractions it ships, the boot unit, the manual pages and the
# shell completions (both made from lsmctl's own command-line definition), and the site's
# empty profile and override directories. DESTDIR stages (packaging), PREFIX and SYSCONFDIR
# place; the unit's ExecStart follows PREFIX.
. "$(dirname "$0")/lib.sh"

PREFIX=${PREFIX:-/usr}
SYSCONFDIR=${SYSCONFDIR:-/etc}
DESTDIR=${DESTDIR:-}
root=$DESTDIR

(cd "$REPO_ROOT" && cargo build -q --release -p lsmctl)
lsmctl=$REPO_ROOT/target/release/lsmctl
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
"$lsmctl" generate-files "$generated" >/dev/null

install -D -m 0755 "$lsmctl" "$root$PREFIX/bin/lsmctl"
install -d -m 0755 "$root$PREFIX/share/rustlsm/abstractions"
install -m 0644 "$REPO_ROOT"/profiles/abstractions/*.toml "$root$PREFIX/share/rustlsm/abstractions/"
install -d -m 0755 "$root$PREFIX/share/rustlsm/profiles"
install -m 0644 "$REPO_ROOT"/profiles/programs/*.toml "$root$PREFIX/share/rustlsm/profiles/"
install -d -m 0755 "$root$SYSCONFDIR/rustlsm/profiles.d" "$root$SYSCONFDIR/rustlsm/local"
install -d -m 0755 "$root$PREFIX/lib/systemd/system"
sed "s#/usr/bin/lsmctl#$PREFIX/bin/lsmctl#g" "$REPO_ROOT/packaging/systemd/rustlsm.service" \
  > "$root$PREFIX/lib/systemd/system/rustlsm.service"
chmod 0644 "$root$PREFIX/lib/systemd/system/rustlsm.service"
install -d -m 0755 "$root$PREFIX/share/man/man1"
install -m 0644 "$generated"/man/*.1 "$root$PREFIX/share/man/man1/"
install -D -m 0644 "$generated/completions/lsmctl.bash" \
  "$root$PREFIX/share/bash-completion/completions/lsmctl"
install -D -m 0644 "$generated/completions/_lsmctl" "$root$PREFIX/share/zsh/vendor-completions/_lsmctl"
install -D -m 0644 "$generated/completions/lsmctl.fish" \
  "$root$PREFIX/share/fish/vendor_completions.d/lsmctl.fish"
log "installed lsmctl under ${root:-/}$PREFIX (configuration in ${root}$SYSCONFDIR/rustlsm)"
