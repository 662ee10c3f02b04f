#!/usr/bin/env bash
# Where a confined open's instructions go, per kernel function, exactly.
#
#   scripts/profile-icount.sh [--kernel BZIMAGE] [--initramfs CPIO] [--depth 2|8|32]
#                             [--iters N] [--unconfined] [--load] [--lsm LIST]
#
# Boots the kernel twice under QEMU -icount with the TCG plugin scripts/profile/insn-profile.c,
# which counts the guest instructions run in each kernel translation block. In each boot a
# program confined by a 10-rule profile (the bench's icount profile) runs open()+fstat()+close()
# of an allowed file at the given depth, N times in the first boot and 2N in the second.
# Boots are deterministic under icount, so the difference of the two counts, divided by N,
# is what one iteration costs in each kernel function (inlined code counts in its caller).
# Prints the functions by cost, and the total. --unconfined runs the same loop without a
# profile, for the baseline. --load profiles a policy load instead: one profile of 10,000
# path rules (compiled here by this tree's lsmctl) written to securityfs N and 2N times.
# --iters sets N (default 20,000 opens, or 10 loads).
# --lsm sets the boot's lsm= list (default landlock,yama,rustlsm,apparmor): with --unconfined
# and a list without rustlsm, the difference says what rustlsm costs tasks it does not confine.
# Needs the kernel's vmlinux (for its symbols) beside BZIMAGE's build tree.
. "$(dirname "$0")/lib.sh"

DIR=$RUSTLSM_CACHE/profile-icount
kernel=$KERNEL_OUT_DIR/arch/x86/boot/bzImage
initramfs=$RUSTLSM_CACHE/initramfs.cpio
depth=2
iters=
confine=1
workload=open
lsm=landlock,yama,rustlsm,apparmor
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --initramfs) initramfs=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --unconfined) confine=0; shift ;;
    --load) workload=load; shift ;;
    --lsm) lsm=$2; shift 2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done
# A load of 10,000 rules costs as much as thousands of opens: far fewer iterations suffice.
if [ -z "$iters" ]; then
  if [ "$workload" = load ]; then iters=10; else iters=20000; fi
fi
vmlinux=$(dirname "$kernel")/../../../vmlinux
[ -f "$vmlinux" ] || die "no vmlinux beside $kernel (looked at $vmlinux)"
mkdir -p "$DIR/overlay/usr/bin"
gcc -shared -fPIC -O2 -Wall -o "$DIR/insn-profile.so" "$REPO_ROOT/scripts/profile/insn-profile.c"

case "$depth" in
  2) file=/etc/passwd ;;
  8|32) file=/bench$(for ((i = 1; i < depth - 1; i++)); do printf '/l%02d' "$i"; done)/file ;;
  *) die "--depth is 2, 8 or 32" ;;
esac

# The guest side: the icount profile's shape (the file's tree, nine other rules), then the loop.
cat > "$DIR/overlay/usr/bin/profile-loop" <<SH
#!/bin/sh
set -e
mkdir -p "\$(dirname $file)" /tmp/profile
[ -e $file ] || : > $file
cp /usr/bin/rlsm-bench /usr/bin/rlsm-bench-icount
{
  printf '[profile.icount]\nattach = ["/usr/bin/rlsm-bench-icount"]\n'
  printf '\n[[profile.icount.rule]]\nallow = ["read"]\npaths = ["/bench/**", "/etc/passwd"]\n'
  for i in 1 2 3 4 5 6 7 8; do
    printf '\n[[profile.icount.rule]]\nallow = ["read", "write"]\npaths = ["/srv/bench-%s/**"]\n' \$i
  done
} > /tmp/profile/icount.toml
[ "$confine" = 0 ] || lsmctl load /tmp/profile/icount.toml
/usr/bin/rlsm-bench-icount loop icount $file \$1
SH
if [ "$workload" = load ]; then
  python3 - "$DIR/load.toml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('[profile.load-bench]\nattach = ["/usr/bin/load-bench"]\n')
    for i in range(10000):
        f.write('\n[[profile.load-bench.rule]]\nallow = ["read"]\npaths = ["/srv/tree%d/sub%d/**"]\n'
                % (i // 100, i % 100))
PY
  (cd "$REPO_ROOT" && cargo run -q --release -p lsmctl -- compile "$DIR/load.toml" -o "$DIR/overlay/load.blob")
  cat > "$DIR/overlay/usr/bin/profile-loop" <<'SH'
#!/bin/sh
i=0
while [ $i -lt "$1" ]; do
  dd if=/load.blob of=/sys/kernel/security/rustlsm/load bs=4M 2>/dev/null || exit 1
  i=$((i + 1))
done
SH
fi
chmod +x "$DIR/overlay/usr/bin/profile-loop"

for n in "$iters" "$((2 * iters))"; do
  log "boot: $n iterations at depth $depth"
  QEMU_ACCEL=tcg QEMU_SMP=1 \
    QEMU_EXTRA_ARGS="-icount shift=0,sleep=off -plugin $DIR/insn-profile.so,out=$DIR/blocks-$n" \
    "$REPO_ROOT/qemu-test/run" --kernel "$kernel" --initramfs "$initramfs" \
      --overlay "$DIR/overlay" --append "lsm=$lsm" \
      --timeout 1800 --log "$DIR/console-$n.log" -- /usr/bin/profile-loop "$n" > /dev/null \
    || die "the profiled boot failed (console: $DIR/console-$n.log)"
done

nm -n "$vmlinux" | grep -i ' [tw] ' > "$DIR/symbols"
python3 - "$DIR/symbols" "$DIR/blocks-$iters" "$DIR/blocks-$((2 * iters))" "$iters" <<'PY'
import bisect, collections, sys
syms, small, large, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
addrs, names = [], []
for line in open(syms):
    a, _, name = line.split()[:3]
    addrs.append(int(a, 16)); names.append(name)
def per_function(path):
    out = collections.Counter()
    for line in open(path):
        a, count = line.split()
        i = bisect.bisect_right(addrs, int(a, 16)) - 1
        out[names[i] if i >= 0 else "?"] += int(count)
    return out
a, b = per_function(small), per_function(large)
diff = {k: (b[k] - a[k]) / n for k in set(a) | set(b)}
total = sum(diff.values())
print("instructions per iteration, by kernel function (%d-iteration difference)" % n)
for name, v in sorted(diff.items(), key=lambda kv: -kv[1]):
    if abs(v) >= 5:
        print("%10.1f  %s" % (v, name))
print("%10.1f  total (kernel)" % total)
PY
