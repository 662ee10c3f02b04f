#!/usr/bin/env bash
# `make test-debug`: the guest suite and a bounded race of policy changes against running
# tasks, on the test kernel rebuilt with KASAN, KFENCE, lockdep (PROVE_LOCKING, PROVE_RCU)
# and DEBUG_ATOMIC_SLEEP (kernel-config/debug.config), 2 vCPUs. Pass: every test passes and
# the console shows no splat (qemu-test/run fails a run on any).
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
# The guest first shows that the checkers are on (their boot banners), so a config that lost
# them cannot pass quietly.
banners='KernelAddressSanitizer initialized|Lock dependency validator|kfence: initialized'
QEMU_TIMEOUT=1200 "$REPO_ROOT/qemu-test/run" --kernel "$kernel" \
  --log "$RUSTLSM_CACHE/logs/debug-race.log" -- \
  sh -c "dmesg | grep -E '$banners' | sed 's/^/CHECKER: /'; exec /usr/bin/rlsm-race ${RACE_SECONDS:-60}"
for banner in KernelAddressSanitizer 'Lock dependency validator' kfence; do
  grep -aq "CHECKER: .*$banner" "$RUSTLSM_CACHE/logs/debug-race.log" ||
    die "the debug kernel did not show '$banner' at boot: is kernel-config/debug.config applied?"
done
log "debug kernel: no test failure and no splat"
