#!/bin/sh
# Guest side of `make test-stacking`: runs every lsm and landlock kselftest program and
# prints one line per program, "STACK suite/program <kselftest totals>". When rustlsm is
# active it first loads the demo profile and allow-all.toml, whose profile confines every
# program under /kselftests/landlock while allowing everything: the selftests then run through
# rustlsm's hooks and policy lookups, not its unconfined fast path, beside the other LSMs.
echo "STACK-LSMS $(cat /sys/kernel/security/lsm)"
if grep -q rustlsm /sys/kernel/security/lsm; then
  lsmctl load /etc/rustlsm/demo.toml || exit 1
  lsmctl load /etc/rustlsm/allow-all.toml || exit 1
  # Proof for the host that a program started from /kselftests really is confined.
  cp /bin/busybox /kselftests/landlock/busybox
  echo "STACK-CONFINED $(/kselftests/landlock/busybox cat /proc/self/attr/current)"
  rm /kselftests/landlock/busybox
fi
for t in /kselftests/lsm/*_test /kselftests/landlock/*_test; do
  suite=$(basename "$(dirname "$t")")
  # The landlock tests exec helpers from their working directory.
  totals=$(cd "$(dirname "$t")" && timeout 600 "$t" 2>&1 | grep '^# Totals' | tail -n 1)
  echo "STACK $suite/$(basename "$t") ${totals:-# Totals: none (crashed or timed out)}"
done
