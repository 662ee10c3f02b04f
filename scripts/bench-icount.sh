#!/usr/bin/env bash
# make bench-icount: what rustlsm's file checks cost, in guest instructions, deterministically.
#
#   scripts/bench-icount.sh [--kernel BZIMAGE] [--initramfs CPIO] [--runs N] [--iters N]
#
# Boots the kernel (default: the project's build) once under QEMU TCG with
# `-icount shift=0,sleep=off -smp 1`: guest time then advances one nanosecond per instruction,
# so the guest's CLOCK_MONOTONIC counts instructions and two boots of the same kernel and
# programs give the same figures (see the design notes' perf-method.md). In the guest,
# `rlsm-bench icount` times open()+fstat()+close() of an allowed file at path depths 2
# (/etc/passwd), 8 and 32, unconfined and under a rustlsm profile of 10 rules, best of --runs
# (default 5) children of --iters (default 20,000) iterations each, and this prints the table;
# then the instructions of an unconfined spawn of a static program, with no profile and with
# the 1,000 idle profiles loaded (what exec's attachment lookup costs every program).
# The rlsm-bench of this tree (built for musl into target/) reaches the guest in an overlay,
# so an older kernel's initramfs (--initramfs) works too: its lsmctl loads the profile. The
# serial log is kept in $RUSTLSM_CACHE/bench-icount/logs/.
. "$(dirname "$0")/lib.sh"

MUSL=x86_64-unknown-linux-musl
DIR=$RUSTLSM_CACHE/bench-icount
OVERLAY=$DIR/overlay
LSM=landlock,yama,rustlsm,apparmor
kernel=$KERNEL_OUT_DIR/arch/x86/boot/bzImage
initramfs=$RUSTLSM_CACHE/initramfs.cpio
runs=5
iters=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --initramfs) initramfs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done
[ -f "$kernel" ] || die "no kernel at $kernel: run 'make kernel' first, or pass --kernel"
[ -f "$initramfs" ] || die "no initramfs at $initramfs: run 'make initramfs' first, or pass --initramfs"

log "building rlsm-bench (static, into target/)"
(cd "$REPO_ROOT" && cargo build -q --release --target $MUSL -p rlsm-guest --bin rlsm-bench)
rm -rf "$OVERLAY"
mkdir -p "$OVERLAY/usr/bin" "$DIR/logs"
install -m 0755 "$REPO_ROOT/target/$MUSL/release/rlsm-bench" "$OVERLAY/usr/bin/rlsm-bench"

console=$DIR/logs/icount-$(date +%Y%m%d-%H%M%S)-$$.log
err=$DIR/logs/last.err
log "booting $kernel under -icount (lsm=$LSM); console: $console"
start=$(date +%s)
if ! QEMU_ACCEL=tcg QEMU_SMP=1 QEMU_EXTRA_ARGS="-icount shift=0,sleep=off" \
    "$REPO_ROOT/qemu-test/run" --kernel "$kernel" --initramfs "$initramfs" --overlay "$OVERLAY" \
      --append "lsm=$LSM" --timeout "${BENCH_TIMEOUT:-3600}" --log "$console" \
      -- /usr/bin/rlsm-bench icount --runs "$runs" --fs-iters "$iters" > /dev/null 2> "$err"; then
  cat "$err" >&2
  grep -a 'rlsm-bench' "$console" | grep -av '^KLOG' | tail -n 5 >&2 || true
  die "the icount boot failed (console: $console)"
fi

python3 - "$console" "$kernel" "$runs" "$iters" "$(( $(date +%s) - start ))" <<'PY'
import re, sys
console, kernel, runs, iters, seconds = sys.argv[1:6]
text = open(console, errors="replace").read()
rows = re.findall(r"ICOUNT,(\d+),([^,\s]+),([\d.]+),([\d.]+),([\d.;]+),([\d.;]+)", text)
release = re.search(r"BENCH-INFO,kernel,(\S+)", text)
if len(rows) != 3:
    sys.exit("error: expected 3 ICOUNT lines in %s, found %d" % (console, len(rows)))
print("mode: icount (instructions)")
print("kernel: %s (%s)" % (kernel, release.group(1) if release else "unknown"))
print("instructions per open()+fstat()+close() of an allowed file, best of %s x %s iterations;"
      % (runs, iters))
print("rustlsm confined: one profile of 10 rules that allows the files (1,000 idle profiles loaded)")
print()
print("| depth | unconfined | rustlsm confined | overhead |")
print("| --- | --- | --- | --- |")
for depth, path, free, confined, _, _ in rows:
    free, confined = float(free), float(confined)
    over = confined - free
    print("| %s | %s | %s | %s (%+.1f%%) |" % (depth, format(round(free), ","),
          format(round(confined), ","), format(round(over), "+,"), 100 * over / free))
print()
for depth, path, _, _, free_s, confined_s in rows:
    print("depth %s: %s" % (depth, path))
    print("  unconfined samples: %s" % free_s.replace(";", " "))
    print("  confined samples:   %s" % confined_s.replace(";", " "))
execs = re.findall(r"ICOUNT-EXEC,(\d+),([\d.]+),([\d.;]+)", text)
if len(execs) != 2:
    sys.exit("error: expected 2 ICOUNT-EXEC lines in %s, found %d" % (console, len(execs)))
print()
print("instructions per unconfined spawn (posix_spawn + wait) of a static program, best of %s x 200:"
      % runs)
print()
print("| rustlsm profiles loaded | instructions | against none |")
print("| --- | --- | --- |")
base = float(execs[0][1])
for profiles, value, _ in execs:
    value = float(value)
    print("| %s | %s | %+.1f%% |" % (profiles, format(round(value), ","), 100 * (value - base) / base))
print()
for profiles, _, samples in execs:
    print("exec, %s profiles: %s" % (profiles, samples.replace(";", " ")))
print("(one boot, %s s; console: %s)" % (seconds, console))
PY
