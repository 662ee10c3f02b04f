#!/usr/bin/env bash
# `make harness-test`: checks how qemu-test/run decodes a guest's fate, with a fake
# qemu-system-x86_64 on PATH that prints a canned console and exits with a chosen status.
# Every way a run could pass by accident must give the failure status it documents (F1, F2,
# F14 of the test audit). Takes a few seconds and needs no kernel.
. "$(dirname "$0")/../scripts/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/cache"
: >"$tmp/bzImage"
: >"$tmp/cache/initramfs.cpio"
# The fake QEMU: prints $FAKE_CONSOLE (printf format) and exits with $FAKE_STATUS, or hangs.
cat >"$tmp/bin/qemu-system-x86_64" <<'EOF'
#!/bin/sh
printf "$FAKE_CONSOLE"
[ "$FAKE_STATUS" != hang ] || exec sleep 30
exit "$FAKE_STATUS"
EOF
chmod +x "$tmp/bin/qemu-system-x86_64"

failed=0
# expect WANT STATUS CONSOLE DESCRIPTION
expect() {
  local want=$1 got=0
  FAKE_STATUS=$2 FAKE_CONSOLE=$3 PATH="$tmp/bin:$PATH" RUSTLSM_CACHE="$tmp/cache" \
    "$REPO_ROOT/qemu-test/run" --kernel "$tmp/bzImage" --timeout 2 --log "$tmp/console.log" \
    -- true >"$tmp/out" 2>&1 || got=$?
  if [ "$got" = "$want" ]; then
    printf 'ok - %s: exit %s\n' "$4" "$got"
  else
    printf 'FAIL - %s: exit %s, expected %s\n' "$4" "$got" "$want"
    sed 's/^/    /' "$tmp/out"
    failed=$((failed + 1))
  fi
}

boot='RLSM-BOOTED 7.3.4\n'
# What a good run looks like, so the failures below are not the harness failing everything.
# The test name contains "Oops" and must not count as a splat.
expect 0 1 "${boot}ok - the kernel log has no BUG, WARNING or Oops\nKLOG: [    1.0] rustlsm: DENIED\nRLSM-EXIT: 0\n" \
  "a clean run passes"
expect 3 7 "${boot}RLSM-EXIT: 3\n" "the command's status is passed on"
expect 1 3 "${boot}[    2.5] rustlsm: x RLSM-EXIT: 1\r\n" "a marker after glued kernel text still counts"
# F1: QEMU exits 1 when it cannot start, which the port would decode as status 0.
expect 125 1 "qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory\n" \
  "QEMU failing to start"
expect 125 1 "RLSM-EXIT: 0\n" "no RLSM-BOOTED"
expect 125 1 "${boot}[    3.0] Kernel panic - not syncing\n" "no RLSM-EXIT"
# F2: the port carries status mod 128, so 128 arrives as 0; the console decides.
expect 128 1 "${boot}RLSM-EXIT: 128\n" "guest exit 128"
expect 200 145 "${boot}RLSM-EXIT: 200\n" "guest exit 200"
expect 125 5 "${boot}RLSM-EXIT: 0\n" "port says 2, console says 0"
expect 125 0 "${boot}RLSM-EXIT: 0\n" "console marker without the exit port"
expect 124 hang "${boot}" "the hard timeout"
# F14: kernel lines glued onto test output, and splats only in the dumped kernel log.
expect 126 1 "${boot}ok - probe gets EACCES[   4.2] BUG: sleeping function called from invalid context at mm/slab.c:1\nRLSM-EXIT: 0\n" \
  "a splat glued onto an ok line"
expect 126 1 "${boot}KLOG: [    4.3] BUG: scheduling while atomic: rlsm-race/77/0x00000002\nRLSM-EXIT: 0\n" \
  "a splat only in the kernel log dump"
expect 126 1 "${boot}KLOG: [    4.4] Oops: general protection fault, probably for non-canonical address\nRLSM-EXIT: 0\n" \
  "an oops in the kernel log dump"

[ "$failed" = 0 ] || die "qemu-test/run: $failed harness case(s) decoded wrongly"
log "qemu-test/run decodes every harness case as documented"
