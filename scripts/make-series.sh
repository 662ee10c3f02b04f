#!/usr/bin/env bash
# Regenerates linux-patches/ from this repo: the last patch of the series (the one that adds
# security/rustlsm) is rebuilt from security-rustlsm/ and the two pages in Documentation/,
# every other patch is kept as it is, and the cover letter (0000) is made from
# linux-patches/cover-letter.txt with the series' shortlog and diffstat. Run it (`make
# series`) after editing either, and commit the result; `make test` refuses a stale series.
. "$(dirname "$0")/lib.sh"

AM_DIR=$KERNEL_SRC_DIR-am
git_am() { git -C "$AM_DIR" -c user.name="rustlsm developers" -c user.email=rustlsm@localhost "$@"; }

"$REPO_ROOT/scripts/prepare-tree.sh" --no-stale-check
rsync_dir() { rm -rf "$2" && mkdir -p "$2" && cp -a "$1"/. "$2"/; }
rsync_dir "$REPO_ROOT/security-rustlsm" "$AM_DIR/security/rustlsm"
for doc in admin-guide/LSM/rustlsm.rst userspace-api/rustlsm.rst; do
  cp "$REPO_ROOT/Documentation/$doc" "$AM_DIR/Documentation/$doc"
done
git_am add -A -f security/rustlsm Documentation/admin-guide/LSM/rustlsm.rst \
  Documentation/userspace-api/rustlsm.rst
if git_am diff --cached --quiet; then
  log "the last patch already matches security-rustlsm/"
else
  git_am commit -q --amend --no-edit
fi
count=$(git_am rev-list --count rustlsm-base..HEAD)
# Rewritten either way: the cover letter's text may have changed.
export_series "$AM_DIR" "rustlsm-base..HEAD"
log "regenerated $count patches and the cover letter in linux-patches/"
