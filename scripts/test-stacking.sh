#!/usr/bin/env bash
# rustlsm must never break the LSMs it stacks with: boots the test kernel twice, with
# rustlsm in lsm= and without it, runs the lsm and landlock kselftests both times and fails
# unless every program's totals are identical. Prints both tables.
. "$(dirname "$0")/lib.sh"

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

sum() { sed -n 's/.*pass:\([0-9]*\) fail:\([0-9]*\).*skip:\([0-9]*\).*/\1 \2 \3/p' "$1" |
  awk '{p+=$1; f+=$2; s+=$3} END {printf "pass %d, fail %d, skip %d", p, f, s}'; }
printf '%-45s | %-45s | %s\n' "program" "with rustlsm" "without rustlsm"
paste -d'|' "$results/with.txt" "$results/without.txt" | while IFS='|' read -r a b; do
  prog=${a#STACK }; prog=${prog%% *}
  printf '%-45s | %-45s | %s\n' "$prog" "${a#* # Totals: }" "${b#* # Totals: }"
done
echo "totals with rustlsm:    $(sum "$results/with.txt")"
echo "totals without rustlsm: $(sum "$results/without.txt")"
if ! diff -u "$results/without.txt" "$results/with.txt"; then
  die "stacking: the other LSMs' selftests do not give the same results with rustlsm active"
fi
log "stacking: identical selftest results with and without rustlsm"
