#!/usr/bin/env bash
# Edits the patches of the series that are not generated (the syscall, the LSM id, the
# rust/kernel abstractions...), the way kernel patch queues are kept:
#
#   scripts/series-dev.sh start    # $RUSTLSM_CACHE/linux-dev: the series applied, branch dev
#   (cd ~/.cache/rustlsm/linux-dev; edit; git commit --fixup=<patch>; or add a commit
#    before the last one with `git rebase -i`)
#   scripts/series-dev.sh export   # squash the fixups, write linux-patches/, regenerate the last
#
# The last patch (security/rustlsm) stays generated from security-rustlsm/ by `make series`:
# edit it there, not here. `export` refuses a dirty worktree, so nothing is lost.
. "$(dirname "$0")/lib.sh"

DEV_DIR=$RUSTLSM_CACHE/linux-dev
git_dev() { git -C "$DEV_DIR" -c user.name="rustlsm developers" -c user.email=rustlsm@localhost "$@"; }

case "${1:-}" in
start)
  "$REPO_ROOT/scripts/prepare-tree.sh" --no-stale-check
  [ -d "$DEV_DIR" ] || git -C "$KERNEL_SRC_DIR" worktree add -q --detach "$DEV_DIR" rustlsm-base
  [ -z "$(git_dev status --porcelain --untracked-files=no)" ] ||
    die "$DEV_DIR has uncommitted changes: commit or discard them first"
  git_dev checkout -q -B dev rustlsm-base
  mapfile -t patches < <(series_patches)
  git_dev am -q --whitespace=error-all "${patches[@]}"
  log "$DEV_DIR: branch dev holds the series ($(git_dev rev-list --count rustlsm-base..dev) patches)"
  ;;
export)
  [ -z "$(git_dev status --porcelain --untracked-files=no)" ] ||
    die "$DEV_DIR has uncommitted changes: commit them (git commit --fixup=...) first"
  GIT_SEQUENCE_EDITOR=true git_dev rebase -q -i --autosquash rustlsm-base
  export_series "$DEV_DIR" rustlsm-base..dev
  "$REPO_ROOT/scripts/make-series.sh"
  log "exported $(git_dev rev-list --count rustlsm-base..dev) patches; review 'git diff linux-patches' and commit"
  ;;
*)
  die "usage: $0 start|export"
  ;;
esac
