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

# The series' patches in order, without the cover letter (0000-cover-letter.patch).
series_patches() {
  local p
  for p in "$REPO_ROOT"/linux-patches/[0-9][0-9][0-9][0-9]-*.patch; do
    case "$p" in */0000-cover-letter.patch) ;; *) [ -e "$p" ] && printf '%s\n' "$p" ;; esac
  done
}

# Rewrites linux-patches/: the patches of RANGE in git repository DIR, and the cover letter
# (0000-cover-letter.patch) made of linux-patches/cover-letter.txt (subject line, blank line,
# body) with git's shortlog and diffstat of the series.
export_series() {
  local dir=$1 range=$2 out=$REPO_ROOT/linux-patches tmp
  tmp=$(mktemp -d)
  git -C "$dir" format-patch -q --no-signature --zero-commit --cover-letter -o "$tmp" "$range"
  rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
  python3 - "$tmp/0000-cover-letter.patch" "$out/cover-letter.txt" "$tmp"/0001-*.patch <<'PY'
import re, sys
letter, prose, first = sys.argv[1:4]
text = open(letter).read()
subject, _, body = open(prose).read().partition("\n\n")
text = text.replace("*** SUBJECT HERE ***", subject.strip(), 1)
text = text.replace("*** BLURB HERE ***", body.strip(), 1)
# The sender and date of the series' first patch, not of whoever regenerates it: the file
# changes only when the series or the text does.
head = open(first).read()
for field in ("From", "Date"):
    value = re.search(r"^%s: .*(?:\n .*)*" % field, head, re.M).group(0)
    text = re.sub(r"^%s: .*(?:\n .*)*" % field, lambda _: value, text, count=1, flags=re.M)
open(letter, "w").write(text)
PY
  mv "$tmp"/*.patch "$out"/
  rmdir "$tmp"
}

# unpack_deb PACKAGE DIR: Debian's PACKAGE (this machine's release and architecture),
# downloaded and unpacked into DIR once, not installed; DIR/VERSION holds its version.
unpack_deb() {
  local package=$1 dir=$2 debs=$RUSTLSM_CACHE/debs
  [ -f "$dir/VERSION" ] && return 0
  log "fetching Debian's $package package (unpacked in the cache, not installed)"
  mkdir -p "$debs"
  rm -rf "$dir.tmp" "$debs/${package}"_*.deb
  if ! (cd "$debs" && apt-get download -q "$package" >&2); then
    apt-get update -qq
    (cd "$debs" && apt-get download -q "$package" >&2)
  fi
  dpkg-deb -x "$debs/${package}"_*.deb "$dir.tmp"
  dpkg-deb -f "$debs/${package}"_*.deb Version > "$dir.tmp/VERSION"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
}
