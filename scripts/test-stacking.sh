#!/usr/bin/env bash
# rustlsm must never break the LSMs it stacks with: boots the test kernel twice, with
# rustlsm in lsm= and without it, runs the lsm and landlock kselftests both times and fails
# unless every program's totals are identical. Prints both tables. In the boot with rustlsm
# the selftests run confined by an allow-everything profile (qemu-test/allow-all.toml).
# Equal results alone are not enough (both boots could crash alike): every program must
# report totals, none may fail with rustlsm, and the passes must reach PASS_FLOOR.
. "$(dirname "$0")/lib.sh"

# Passed kselftest cases with rustlsm in the last good run (852, lsm and landlock). Raise it
# when kselftests are added; lower it only knowing why cases went away.
PASS_FLOOR=852

with="landlock,yama,rustlsm,apparmor"
without="landlock,yama,apparmor"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
for run in with without; do
  lsms=${!run}
  log "kselftests with lsm=$lsms"
  "$REPO_ROOT/qemu-test/run" --append "lsm=$lsms" --log "$RUSTLSM_CACHE/logs/stacking-$run.log" \
    -- /etc/rustlsm/stacking.sh >"$results/$run.out" 2>&1 || {
      tail -n 20 "$results/$run.out" >&2
      die "the guest run with lsm=$lsms failed"
    }
  grep -a '^STACK ' "$results/$run.out" | tr -d '\r' | sort >"$results/$run.txt"
  grep -aq "^STACK-LSMS .*rustlsm" "$results/$run.out" && active=yes || active=no
  [ "$active" = "$([ $run = with ] && echo yes || echo no)" ] || die "rustlsm active=$active in the '$run' boot"
done
grep -aq '^STACK-CONFINED allowall' "$results/with.out" ||
  die "the kselftests did not run confined by allow-all.toml: $(grep -a '^STACK-CONFINED' "$results/with.out" || echo 'no STACK-CONFINED line')"

sum() { sed -n 's/.*pass:\([0-9]*\) fail:\([0-9]*\).*skip:\([0-9]*\).*/\1 \2 \3/p' "$1" |
  awk '{p+=$1; f+=$2; s+=$3} END {printf "pass %d, fail %d, skip %d", p, f, s}'; }
printf '%-45s | %-45s | %s\n' "program" "with rustlsm" "without rustlsm"
paste -d'|' "$results/with.txt" "$results/without.txt" | while IFS='|' read -r a b; do
  prog=${a#STACK }; prog=${prog%% *}
  printf '%-45s | %-45s | %s\n' "$prog" "${a#* # Totals: }" "${b#* # Totals: }"
done
echo "totals with rustlsm:    $(sum "$results/with.txt")"
echo "totals without rustlsm: $(sum "$results/without.txt")"
if grep -a 'none (crashed or timed out)' "$results/with.txt" "$results/without.txt"; then
  die "stacking: selftest programs reported no totals (crashed or timed out)"
fi
if ! diff -u "$results/without.txt" "$results/with.txt"; then
  die "stacking: the other LSMs' selftests do not give the same results with rustlsm active"
fi
read -r pass fail error < <(sed -n 's/.*pass:\([0-9]*\) fail:\([0-9]*\).*error:\([0-9]*\).*/\1 \2 \3/p' \
  "$results/with.txt" | awk '{p+=$1; f+=$2; e+=$3} END {print p+0, f+0, e+0}')
[ "$fail" = 0 ] && [ "$error" = 0 ] ||
  die "stacking: $fail failed and $error erroring selftest cases with rustlsm active"
[ "$pass" -ge "$PASS_FLOOR" ] ||
  die "stacking: $pass selftest cases passed with rustlsm, below the floor of $PASS_FLOOR"
log "stacking: identical selftest results with and without rustlsm ($pass passed, floor $PASS_FLOOR)"
