#!/usr/bin/env bash
# `make test-debug`: the guest suite and a bounded race of policy changes against running
# tasks, on the test kernel rebuilt with KASAN, KFENCE, lockdep (PROVE_LOCKING, PROVE_RCU)
# and DEBUG_ATOMIC_SLEEP (kernel-config/debug.config), 2 vCPUs. Pass: every test passes, no
# splat on the console (qemu-test/run fails a run on any), and kmemleak finds nothing that
# rustlsm allocated still unreferenced after the race.
#   RACE_SECONDS (default 60): how long the race runs.
. "$(dirname "$0")/lib.sh"

export KERNEL_OUT_DIR=$RUSTLSM_CACHE/build-debug
export KERNEL_EXTRA_FRAGMENTS=$REPO_ROOT/kernel-config/debug.config
"$REPO_ROOT/scripts/build-kernel.sh"
kernel=$KERNEL_OUT_DIR/arch/x86/boot/bzImage

# The checkers make a TCG guest several times slower: generous timeouts, same tests.
log "debug kernel: the guest suite"
QEMU_TIMEOUT=2400 "$REPO_ROOT/qemu-test/run" --kernel "$kernel" \
  --log "$RUSTLSM_CACHE/logs/debug-suite.log" -- /usr/bin/rlsm-guest-tests
log "debug kernel: ${RACE_SECONDS:-60} s race of loads, replacements and removals against probes"
# The guest first shows that the checkers are on (their boot banners, and the hung-task
# detector's sysctl), so a config that lost them cannot pass quietly. After the race it has
# kmemleak scan and prints the report: a profile or label leaked on replace or remove never
# shows as a splat.
banners='KernelAddressSanitizer initialized|Lock dependency validator|kfence: initialized'
overlay=$(mktemp -d)
trap 'rm -rf "$overlay"' EXIT
mkdir -p "$overlay/etc/rustlsm"
cat >"$overlay/etc/rustlsm/debug-race.sh" <<EOF
#!/bin/sh
dmesg | grep -E '$banners' | sed 's/^/CHECKER: /'
dmesg | grep -o '# rust_doctests_kernel: pass:[0-9]* fail:[0-9]*' | sed 's/^/DOCTESTS: /'
hung=\$(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null)
[ "\${hung:-0}" -gt 0 ] && echo "CHECKER: hung task detector, \$hung s"
/usr/bin/rlsm-race ${RACE_SECONDS:-60}
rc=\$?
# kmemleak reports only objects older than 5 s, and a second scan drops objects the first saw
# in transit (referenced only from registers or a freed stack). A scan written to the file
# runs to completion before the write returns.
sleep 6
mount -t debugfs debugfs /sys/kernel/debug &&
  echo scan >/sys/kernel/debug/kmemleak && echo scan >/sys/kernel/debug/kmemleak &&
  echo "KMEMLEAK-SCANNED" && sed 's/^/KMEMLEAK: /' /sys/kernel/debug/kmemleak
exit \$rc
EOF
race_log=$RUSTLSM_CACHE/logs/debug-race.log
QEMU_TIMEOUT=1200 "$REPO_ROOT/qemu-test/run" --kernel "$kernel" --overlay "$overlay" \
  --log "$race_log" -- sh /etc/rustlsm/debug-race.sh
for banner in KernelAddressSanitizer 'Lock dependency validator' kfence 'hung task detector'; do
  grep -aq "CHECKER: .*$banner" "$race_log" ||
    die "the debug kernel did not show '$banner' at boot: is kernel-config/debug.config applied?"
done
grep -aq '^KMEMLEAK-SCANNED' "$race_log" ||
  die "kmemleak did not scan (is DEBUG_KMEMLEAK on, and still enabled?); log: $race_log"
# Objects whose allocation backtrace passes through rustlsm (its Rust crate's symbols and its
# C glue both contain the name). Only those fail the run: leaks elsewhere in the kernel are
# not rustlsm's to fix, and no clean boot of the debug kernel was at hand to show there are
# none. All are counted and the report is in the log.
read -r all ours < <(tr -d '\r' <"$race_log" | awk '
  /^KMEMLEAK: unreferenced object/ { n++; trace = 0; next }
  /^KMEMLEAK: +backtrace/ { trace = 1; next }
  n && trace && /^KMEMLEAK: .*rustlsm/ && !hit[n] { hit[n] = 1; ours++ }
  END { print n + 0, ours + 0 }')
if [ "$ours" -gt 0 ]; then
  grep -a '^KMEMLEAK: ' "$race_log" | head -n 80 >&2
  die "kmemleak: $ours of $all unreferenced objects were allocated through rustlsm; log: $race_log"
fi
# The kernel crate's doctests ran as KUnit at boot (CONFIG_RUST_KERNEL_DOCTESTS): they must
# have reported, run some and failed none.
doctests=$(tr -d '\r' <"$race_log" | grep -a -m1 -o 'DOCTESTS: # rust_doctests_kernel: pass:[0-9]* fail:[0-9]*' || true)
case "$doctests" in
  *" pass:0 "*|"") die "the rust_doctests_kernel KUnit suite reported no test (log: $race_log)" ;;
  *" fail:0") ;;
  *) die "rust_doctests_kernel has failures: ${doctests#DOCTESTS: } (log: $race_log)" ;;
esac
log "debug kernel: no test failure, no splat; kmemleak: $all unreferenced objects, none through rustlsm; ${doctests#DOCTESTS: # }"
