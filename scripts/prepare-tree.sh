#!/usr/bin/env bash
# Prepares the kernel tree in the cache: the pinned source committed once as a git baseline
# (tag rustlsm-base), then linux-patches/*.patch applied with `git am`.
#
# The series is applied in a scratch worktree ($KERNEL_SRC_DIR-am) and the build tree is then
# moved to the result with `git checkout`, which rewrites only files whose content changed:
# editing one Rust file of the LSM does not touch security.h, so the rebuild stays small.
. "$(dirname "$0")/lib.sh"

AM_DIR=$KERNEL_SRC_DIR-am
git_k() { git -C "$KERNEL_SRC_DIR" -c user.name=rustlsm -c user.email=rustlsm@localhost "$@"; }
git_am() { git -C "$AM_DIR" -c user.name=rustlsm -c user.email=rustlsm@localhost "$@"; }

if ! git_k rev-parse -q --verify rustlsm-base >/dev/null 2>&1; then
  tarball=$("$REPO_ROOT/scripts/fetch-kernel.sh")
  log "extracting $(basename "$tarball") and committing the baseline (about a minute)"
  rm -rf "$KERNEL_SRC_DIR" "$AM_DIR"
  mkdir -p "$KERNEL_SRC_DIR"
  tar -xf "$tarball" -C "$KERNEL_SRC_DIR" --strip-components=1
  git_k init -q
  git_k add -A -f .
  git_k commit -q -m "linux-source-7.3 $KERNEL_DEB_VERSION (Debian), unmodified"
  git_k tag rustlsm-base
fi
[ -d "$AM_DIR" ] || git_k worktree add -q --detach "$AM_DIR" rustlsm-base

# Apply the series from scratch in the scratch worktree.
git_am am --abort >/dev/null 2>&1 || true
git_am reset -q --hard rustlsm-base
git_am clean -q -fdx
shopt -s nullglob
mapfile -t patches < <(series_patches)
[ ${#patches[@]} -gt 0 ] || die "no patches in linux-patches/"
git_am am -q --whitespace=error-all "${patches[@]}" || die "the series does not apply with git am on rustlsm-base"
new_head=$(git_am rev-parse HEAD)

# A stale series is an error: the patch must carry exactly what security-rustlsm/ holds.
if [ "${1:-}" = --no-stale-check ]; then exit 0; fi
if ! diff -r -q "$REPO_ROOT/security-rustlsm" "$AM_DIR/security/rustlsm" >&2; then
  die "linux-patches/ is stale against security-rustlsm/: run 'make series' and commit the result"
fi

if [ "$(git_k rev-parse HEAD)" != "$new_head" ]; then
  log "moving the build tree to the freshly applied series"
  git_k checkout -q -f --detach "$new_head"
fi
