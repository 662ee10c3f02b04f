#!/bin/sh
# Guest side of `make test-stacking`: runs every lsm and landlock kselftest program and
# prints one line per program, "STACK suite/program <kselftest totals>". When rustlsm is
# active it first loads the demo profile, so its hooks do real work while the other LSMs'
# tests run.
echo "STACK-LSMS $(cat /sys/kernel/security/lsm)"
if grep -q rustlsm /sys/kernel/security/lsm; then
  lsmctl load /etc/rustlsm/demo.toml || exit 1
fi
for t in /kselftests/lsm/*_test /kselftests/landlock/*_test; do
  suite=$(basename "$(dirname "$t")")
  # The landlock tests exec helpers from their working directory.
  totals=$(cd "$(dirname "$t")" && timeout 600 "$t" 2>&1 | grep '^# Totals' | tail -n 1)
  echo "STACK $suite/$(basename "$t") ${totals:-# Totals: none (crashed or timed out)}"
done
