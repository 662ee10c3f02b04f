#!/usr/bin/env bash
# make bench: rustlsm side by side with AppArmor and Landlock, measured in the test VM.
#
# Boots the test kernel (built with Landlock, Yama, rustlsm and AppArmor) several times:
#   - once with rustlsm in lsm=: policy load times and the confined loops;
#   - BENCH_ROUNDS (default 4) times each, with and without rustlsm in lsm=: the loops in a
#     task without a profile (1,000 rustlsm profiles loaded when rustlsm is active).
# The AppArmor parser (Debian's package, unpacked into the cache, not installed) and the
# kernel's Landlock sandboxer (built static) reach the guest through a bench-only overlay,
# so the base initramfs of every test boot stays as it is.
# Writes $BENCH_OUT (default Documentation/bench/): results.csv, results.md (also printed),
# bench.png and match-cost.tsv (one lookup of the file-rules automaton, native).
# BENCH_ARGS passes options to the guest's rlsm-bench (for a quick look:
# BENCH_ARGS="--runs 3 --load-runs 3 --max-rules 100" BENCH_ROUNDS=1).
#
# BENCH_MODE=icount (the default) boots QEMU TCG with `-icount shift=0,sleep=off` on one vCPU:
# guest time then advances one nanosecond per instruction executed and the guest's TSC one
# tick per instruction, so every figure is an instruction count, exact and the same on every
# run (one round and three runs per loop suffice; see the design notes' perf-method.md).
# BENCH_MODE=tsc measures cycles with the host's TSC instead, for what instruction counts
# cannot see (cache misses), over BENCH_ROUNDS (default 4) noisy rounds.
. "$(dirname "$0")/lib.sh"

MUSL=x86_64-unknown-linux-musl
BENCH_DIR=$RUSTLSM_CACHE/bench
OVERLAY=$BENCH_DIR/overlay
OUT=${BENCH_OUT:-$REPO_ROOT/Documentation/bench}
MODE=${BENCH_MODE:-icount}
case "$MODE" in
  icount)
    export QEMU_ACCEL=tcg QEMU_SMP=1 QEMU_EXTRA_ARGS="-icount shift=0,sleep=off"
    ROUNDS=${BENCH_ROUNDS:-1}
    read -r -a GUEST_ARGS <<< "${BENCH_ARGS:---runs 3 --load-runs 3}"
    ;;
  tsc)
    ROUNDS=${BENCH_ROUNDS:-4}
    read -r -a GUEST_ARGS <<< "${BENCH_ARGS:-}"
    ;;
  *) die "BENCH_MODE is icount or tsc" ;;
esac
LSM_WITH=landlock,yama,rustlsm,apparmor
LSM_WITHOUT=landlock,yama,apparmor

# Debian's apparmor package, unpacked once. Only the parser, its configuration (which pins
# the feature ABI to the package's features file, as on a Debian system) and that file are
# used; apparmor_parser needs nothing but libc. Sets APPARMOR_ROOT.
fetch_apparmor() {
  unpack_deb apparmor "$BENCH_DIR/apparmor"
  APPARMOR_ROOT=$BENCH_DIR/apparmor
}

# samples/landlock/sandboxer.c of the patched tree, static, against the tree's uapi headers
# (make headers, which the initramfs build runs, put them in the build directory). Sets
# SANDBOXER.
build_sandboxer() {
  local src=$KERNEL_SRC_DIR/samples/landlock/sandboxer.c bin=$BENCH_DIR/landlock-sandboxer
  local include=$KERNEL_OUT_DIR/usr/include
  [ -f "$include/linux/landlock.h" ] || die "no uapi headers in $include: run 'make initramfs' first"
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$include/linux/landlock.h" -nt "$bin" ]; then
    log "building the Landlock sandboxer (static)"
    gcc -static -O2 -Wall -I"$include" -o "$bin.tmp" "$src"
    mv "$bin.tmp" "$bin"
  fi
  SANDBOXER=$bin
}

build_overlay() {
  local aa lib libs
  fetch_apparmor
  build_sandboxer
  aa=$APPARMOR_ROOT
  (cd "$REPO_ROOT" && cargo build -q --release --target $MUSL -p rlsm-guest --bin rlsm-bench)
  rm -rf "$OVERLAY"
  mkdir -p "$OVERLAY"/{sbin,usr/bin,etc/apparmor,usr/share/apparmor-features}
  # The freshly built bench replaces the base initramfs's copy.
  install -m 0755 "$REPO_ROOT/target/$MUSL/release/rlsm-bench" "$OVERLAY/usr/bin/rlsm-bench"
  install -m 0755 "$SANDBOXER" "$OVERLAY/usr/bin/landlock-sandboxer"
  install -m 0755 "$aa/sbin/apparmor_parser" "$OVERLAY/sbin/apparmor_parser"
  install -m 0644 "$aa/etc/apparmor/parser.conf" "$OVERLAY/etc/apparmor/parser.conf"
  install -m 0644 "$aa/usr/share/apparmor-features/features" "$OVERLAY/usr/share/apparmor-features/features"
  libs=$(ldd "$aa/sbin/apparmor_parser" | grep -o '/[^ ]*')
  for lib in $libs; do
    install -D -m 0755 "$(readlink -f "$lib")" "$OVERLAY$lib"
  done
  APPARMOR_VERSION=$(cat "$aa/VERSION")
  # The guest's clock ticks in 4 ms steps; it times with the TSC, whose rate the host can
  # measure properly against its own clock (see qemu-test/guest/src/bin/rlsm-bench/clock.rs).
  if [ "$MODE" = icount ]; then
    TSC_MHZ=1000 # one tick per instruction under -icount shift=0
  else
    TSC_MHZ=$("$REPO_ROOT/target/$MUSL/release/rlsm-bench" tsc-mhz)
  fi
}

# boot NAME LSM MODE: one guest run of `rlsm-bench MODE`; its log is $BENCH_DIR/logs/NAME.log.
boot() {
  local name=$1 lsm=$2 mode=$3 log=$BENCH_DIR/logs/$1.log err=$BENCH_DIR/logs/$1.err
  log "boot $name: lsm=$lsm, rlsm-bench $mode"
  if ! "$REPO_ROOT/qemu-test/run" --overlay "$OVERLAY" --append "lsm=$lsm" \
      --timeout "${BENCH_TIMEOUT:-5400}" --log "$log" \
      -- /usr/bin/rlsm-bench "$mode" --tsc-mhz "$TSC_MHZ" "${GUEST_ARGS[@]}" 2> "$err"; then
    cat "$err" >&2
    die "boot $name failed (log: $log)"
  fi
  cat "$err" >&2
  ACCEL=$(sed -n 's/.*(accel \([a-z]*\),.*/\1/p' "$err" | tail -n 1)
}

start=$(date +%s)
build_overlay
rm -rf "$BENCH_DIR/logs"
mkdir -p "$BENCH_DIR/logs" "$OUT"
# Other builds share the machine: sample its load (1-minute average) during the boots.
sample_load() {
  trap 'kill "$!" 2>/dev/null; exit 0' TERM
  while :; do
    cut -d' ' -f1 /proc/loadavg
    sleep 30 & wait "$!"
  done
}
sample_load > "$BENCH_DIR/logs/loadavg" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT
ACCEL=unknown
boot full "$LSM_WITH" full
# Rounds alternate which boot goes first (without, with; with, without; ...), so a drift in
# the machine's load does not always favour the same side.
pairs=()
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then
    boot "without-$round" "$LSM_WITHOUT" unconfined
    boot "with-$round" "$LSM_WITH" unconfined
  else
    boot "with-$round" "$LSM_WITH" unconfined
    boot "without-$round" "$LSM_WITHOUT" unconfined
  fi
  pairs+=(--pair "$BENCH_DIR/logs/without-$round.log" "$BENCH_DIR/logs/with-$round.log")
done
kill "$sampler" 2>/dev/null || true
load=$(sort -n "$BENCH_DIR/logs/loadavg" | awk '{v[NR] = $1} END {
  printf "min %s, median %s, max %s", v[1], v[int((NR + 1) / 2)], v[NR] }')

rm -rf "$BENCH_DIR/plot"
mkdir -p "$BENCH_DIR/plot"
python3 "$REPO_ROOT/scripts/bench-report.py" --accel "$ACCEL" --mode "$MODE" \
  --boots "$((1 + 2 * ROUNDS))" \
  --apparmor "$APPARMOR_VERSION" \
  --host "$(nproc) CPUs, 1-minute load average during the boots $load" \
  --minutes "$(( ($(date +%s) - start + 59) / 60 ))" \
  --csv "$OUT/results.csv" --markdown "$OUT/results.md" --plot-dir "$BENCH_DIR/plot" \
  "${pairs[@]}" "$BENCH_DIR/logs/full.log"
gnuplot -e "dir='$BENCH_DIR/plot'; out='$OUT/bench.png'" "$REPO_ROOT/scripts/bench-plot.gp"

# The decision itself, without the VM or d_path: the kernel's lookup code run natively.
log "measuring one file-rules lookup natively (lsmctl/examples/match_cost.rs)"
(cd "$REPO_ROOT" && cargo run --release -q -p lsmctl --example match_cost) > "$OUT/match-cost.tsv"
{
  echo
  echo "## One file-rules lookup, native (ns)"
  echo
  echo "The kernel's lookup code (security-rustlsm/file_dfa.rs) compiled for userspace, on this host"
  echo "without QEMU, for profiles shaped like the ones above (one rule over the tree, the rest on sibling subtrees) and the same paths: \`cargo run --release -p lsmctl --example match_cost\`."
  echo
  echo "| rules | depth | path bytes | ns per lookup | ns per byte |"
  echo "|---|---|---|---|---|"
  tail -n +2 "$OUT/match-cost.tsv" | awk -F '\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }'
} | tee -a "$OUT/results.md"
log "bench: $OUT/results.md, results.csv, bench.png ($(( ($(date +%s) - start) / 60 )) min)"
