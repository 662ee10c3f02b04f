#!/usr/bin/env bash
# Regenerates linux-patches/ from this repo: the last patch of the series (the one that adds
# security/rustlsm) is rebuilt from security-rustlsm/ and the admin guide in Documentation/,
# every other patch is kept as it is. Run it (`make series`) after editing either, and
# commit the result; `make test` refuses a stale series.
. "$(dirname "$0")/lib.sh"

AM_DIR=$KERNEL_SRC_DIR-am
git_am() { git -C "$AM_DIR" -c user.name="rustlsm developers" -c user.email=rustlsm@localhost "$@"; }

"$REPO_ROOT/scripts/prepare-tree.sh" --no-stale-check
rsync_dir() { rm -rf "$2" && mkdir -p "$2" && cp -a "$1"/. "$2"/; }
rsync_dir "$REPO_ROOT/security-rustlsm" "$AM_DIR/security/rustlsm"
cp "$REPO_ROOT/Documentation/admin-guide/LSM/rustlsm.rst" "$AM_DIR/Documentation/admin-guide/LSM/rustlsm.rst"
git_am add -A -f security/rustlsm Documentation/admin-guide/LSM/rustlsm.rst
if git_am diff --cached --quiet; then
  log "series already matches security-rustlsm/"
  exit 0
fi
git_am commit -q --amend --no-edit
count=$(git_am rev-list --count rustlsm-base..HEAD)
rm -f "$REPO_ROOT"/linux-patches/*.patch
git_am format-patch -q --no-signature --zero-commit -o "$REPO_ROOT/linux-patches" "rustlsm-base..HEAD"
log "regenerated $count patches in linux-patches/"
