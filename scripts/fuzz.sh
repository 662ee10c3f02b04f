#!/usr/bin/env bash
# Fuzzes the policy decoder the kernel trusts and lsmctl's TOML compiler (fuzz/): every
# target for FUZZ_SECONDS (default 300) with one job, then executions, seconds, exec/s and
# crashes per target and in total. A crash, timeout or out-of-memory fails the run and its
# input is copied to fuzz/regressions/TARGET/, which `cargo test --workspace` replays. A
# target that executed no input fails too. Each run starts from the minimized corpus committed
# in fuzz/corpus/TARGET/ (copied into the cache's corpus, which grows from run to run).
# Also: FUZZ_TARGETS (a subset, space-separated), FUZZ_TIMEOUT, FUZZ_SANITIZER (e.g. address),
# FUZZ_UPDATE_CORPUS=1 (after fuzzing, `cargo fuzz cmin` the cache corpus and replace
# fuzz/corpus/TARGET/ with it, to commit).
. "$(dirname "$0")/lib.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-300}
# One input running longer than this (seconds) counts as a failure. Inputs take well under a
# millisecond, so 2 s catches superlinear verification or walks (runs of stars did once).
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-2}
# lsmctl's compiler (userspace) is known to blow up on some brace-and-star profiles (a
# 248-byte one takes 17 s: its automaton is determinized eagerly); until that is fixed it gets
# the old bound, so the smoke run stays about the kernel-facing targets' speed.
FUZZ_COMPILE_TIMEOUT=${FUZZ_COMPILE_TIMEOUT:-30}
CARGO_FUZZ_VERSION=0.13.2
FUZZ_DIR=$RUSTLSM_CACHE/fuzz
read -ra TARGETS <<<"${FUZZ_TARGETS:-verify_blob compile_profile roundtrip}"

# libfuzzer-sys compiles libFuzzer, which is C++.
if ! command -v c++ >/dev/null; then
  log "installing g++ for libFuzzer"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade --no-install-recommends g++
fi

# cargo-fuzz goes into the tool cache, as bindgen does (install-deps.sh), but only when
# someone fuzzes: `make test` does not need it.
if ! "$TOOLS_DIR/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  log "building cargo-fuzz $CARGO_FUZZ_VERSION (about two minutes)"
  cargo install --locked --root "$TOOLS_DIR" "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

# cargo-fuzz's instrumentation flags are stable for --sanitizer none, but the sanitizers and
# -Zbuild-std are not; RUSTC_BOOTSTRAP=1 lets FUZZ_SANITIZER=address work on the stable
# toolchain, the way the kernel's own Rust build already uses it.
export RUSTC_BOOTSTRAP=1
# No sanitizer by default: measured here, AddressSanitizer runs the targets 2.3 to 3.5 times
# slower, and finds nothing more in them: the code fuzzed is safe Rust, every index is bounds
# checked, and --debug-assertions keeps integer overflow checks on.
FUZZ_BUILD=(--sanitizer "${FUZZ_SANITIZER:-none}" --debug-assertions)

target_timeout() { [ "$1" = compile_profile ] && echo "$FUZZ_COMPILE_TIMEOUT" || echo "$FUZZ_TIMEOUT"; }

"$REPO_ROOT/scripts/fuzz-seeds.sh"
log "building the fuzz targets"
(cd "$REPO_ROOT" && cargo fuzz build "${FUZZ_BUILD[@]}")

total_execs=0 total_seconds=0 total_crashes=0 kept=()
printf '%-16s %12s %8s %10s %8s\n' target execs seconds exec/s crashes >"$FUZZ_DIR/summary"
for target in "${TARGETS[@]}"; do
  corpus=$FUZZ_DIR/corpus/$target      # grows from run to run
  artifacts=$FUZZ_DIR/artifacts/$target
  log_file=$FUZZ_DIR/logs/$target.log
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log_file")"
  # libFuzzer names inputs by their SHA-1, so overwriting a file keeps its content.
  if compgen -G "$REPO_ROOT/fuzz/corpus/$target/*" >/dev/null; then
    cp "$REPO_ROOT/fuzz/corpus/$target"/* "$corpus/"
  elif [ "${FUZZ_UPDATE_CORPUS:-0}" != 1 ]; then
    die "no committed corpus in fuzz/corpus/$target (make one with FUZZ_UPDATE_CORPUS=1)"
  fi
  extra=()
  [ -f "$REPO_ROOT/fuzz/$target.dict" ] && extra+=("-dict=$REPO_ROOT/fuzz/$target.dict")
  log "fuzzing $target for ${FUZZ_SECONDS}s (log: $log_file)"
  start=$(date +%s)
  status=0
  (cd "$REPO_ROOT" && cargo fuzz run "${FUZZ_BUILD[@]}" "$target" "$corpus" \
      "$FUZZ_DIR/seeds/$target" -- -max_total_time="$FUZZ_SECONDS" -timeout="$(target_timeout "$target")" \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}") >"$log_file" 2>&1 \
    || status=$?
  wall=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_file" | tail -1)
  seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log_file" | tail -1)
  execs=${execs:-0} seconds=${seconds:-$wall}
  found=()
  for f in "$artifacts"/{crash,timeout,oom,leak}-*; do
    [ -e "$f" ] && found+=("$f")
  done
  crashes=${#found[@]}
  if [ $status -ne 0 ] && [ $crashes -eq 0 ]; then
    tail -20 "$log_file" >&2
    die "$target: cargo fuzz failed (status $status) without a crash input; see $log_file"
  fi
  # A run that executed nothing (bad options, empty build) must not count as fuzzing.
  if [ $crashes -eq 0 ] && [ "$execs" -eq 0 ]; then
    tail -20 "$log_file" >&2
    die "$target: the fuzzer executed 0 inputs; see $log_file"
  fi
  if [ $crashes -eq 0 ] && [ "${FUZZ_UPDATE_CORPUS:-0}" = 1 ]; then
    # The seeds are read but never copied into the corpus: minimize the union. Edges only
    # (no hit counts) and a greedy set cover keep tens of inputs instead of thousands.
    cp "$FUZZ_DIR/seeds/$target"/* "$corpus/" 2>/dev/null || true
    (cd "$REPO_ROOT" && cargo fuzz cmin "${FUZZ_BUILD[@]}" "$target" "$corpus" -- \
      -set_cover_merge=1 -use_counters=0 -timeout="$(target_timeout "$target")") >>"$log_file" 2>&1
    rm -rf "$REPO_ROOT/fuzz/corpus/$target"
    mkdir -p "$REPO_ROOT/fuzz/corpus"
    cp -r "$corpus" "$REPO_ROOT/fuzz/corpus/$target"
    log "$target: fuzz/corpus/$target now holds $(ls "$corpus" | wc -l) inputs, $(du -sh "$corpus" | cut -f1)"
  fi
  if [ $crashes -gt 0 ]; then
    mkdir -p "$REPO_ROOT/fuzz/regressions/$target"
    for f in "${found[@]}"; do
      cp "$f" "$REPO_ROOT/fuzz/regressions/$target/"
      kept+=("$target fuzz/regressions/$target/$(basename "$f")")
    done
  fi
  printf '%-16s %12d %8d %10d %8d\n' "$target" "$execs" "$seconds" \
    $(( execs / (seconds > 0 ? seconds : 1) )) "$crashes" | tee -a "$FUZZ_DIR/summary"
  total_execs=$(( total_execs + execs )) total_seconds=$(( total_seconds + seconds ))
  total_crashes=$(( total_crashes + crashes ))
done

echo
cat "$FUZZ_DIR/summary"
printf '%-16s %12d %8d %10d %8d\n' total "$total_execs" "$total_seconds" \
  $(( total_execs / (total_seconds > 0 ? total_seconds : 1) )) "$total_crashes"
if [ ${#kept[@]} -gt 0 ]; then
  echo >&2
  for k in "${kept[@]}"; do
    read -r target input <<<"$k"
    echo "$target failed on $input (log: $FUZZ_DIR/logs/$target.log); reproduce with" >&2
    echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run ${FUZZ_BUILD[*]} $target $input" >&2
  done
  echo "Fix the bug, then 'git add fuzz/regressions/': cargo test --workspace replays them." >&2
  exit 1
fi
log "no crashes"
