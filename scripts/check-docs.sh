#!/usr/bin/env bash
# Builds the series' documentation the way the kernel does and fails on any warning about
# the files the series adds or changes:
#   - `make htmldocs` (Sphinx, Debian's python3-sphinx) for admin-guide/ and userspace-api/,
#     where rustlsm.rst and the lsm_manage_policy() page live;
#   - `make rustdoc` for the Rust crates (rust/kernel with the series' abstractions), whose
#     intra-doc links and code blocks rustdoc checks.
# Output goes to $RUSTLSM_CACHE/build-docs (HTML) and the test build directory (rustdoc).
. "$(dirname "$0")/lib.sh"

if ! python3 -c 'import sphinx' 2>/dev/null; then
  log "installing Debian's Sphinx (python3-sphinx, python3-sphinx-rtd-theme)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-sphinx python3-sphinx-rtd-theme python3-yaml >/dev/null
fi
"$REPO_ROOT/scripts/prepare-tree.sh"
[ -f "$KERNEL_OUT_DIR/.config" ] || die "no kernel configuration in $KERNEL_OUT_DIR: run 'make kernel' first"

# The series' files, as paths inside the kernel tree (the cache's own path says "rustlsm" too).
ours='Documentation/(admin-guide/LSM/rustlsm|userspace-api/lsm)\.rst|security/rustlsm/|rust/kernel/(lsm|securityfs|fs/path|net/socket|cred|task|time|types|fs/file|mm/virt|audit)\.rs'
status=0

docs_out=$RUSTLSM_CACHE/build-docs
mkdir -p "$docs_out"
log "make htmldocs SPHINXDIRS='admin-guide userspace-api' (a few minutes)"
make -s -C "$KERNEL_SRC_DIR" O="$docs_out" SPHINXDIRS="admin-guide userspace-api" \
  htmldocs >"$docs_out/htmldocs.log" 2>&1 || { tail -20 "$docs_out/htmldocs.log" >&2; status=1; }
if grep -E 'WARNING|ERROR' "$docs_out/htmldocs.log" | grep -E "$ours" >&2; then
  echo "htmldocs: warnings in the series' documentation (above)" >&2
  status=1
fi

log "make rustdoc"
make -s -C "$KERNEL_SRC_DIR" O="$KERNEL_OUT_DIR" LLVM=$LLVM_SUFFIX rustdoc \
  >"$docs_out/rustdoc.log" 2>&1 || { tail -20 "$docs_out/rustdoc.log" >&2; status=1; }
if grep -A6 -E '^(warning|error)' "$docs_out/rustdoc.log" | grep -E -- "--> .*($ours)" >&2; then
  echo "rustdoc: warnings in the series' Rust documentation (above; $docs_out/rustdoc.log)" >&2
  status=1
fi

[ $status = 0 ] && log "htmldocs and rustdoc are clean for the series' files ($docs_out)"
exit $status
