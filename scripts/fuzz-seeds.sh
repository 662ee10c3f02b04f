#!/usr/bin/env bash
# Builds the fuzzers' seed corpora in $RUSTLSM_CACHE/fuzz/seeds/ from text in the repository:
# the example and seed profiles (plus a generated large one) for compile_profile, and what
# lsmctl compiles them to for verify_blob. Rebuilt on every run from text. roundtrip has no
# seeds here: its inputs are raw model bytes, so it starts from the minimized corpus committed
# in fuzz/corpus/roundtrip/ (scripts/fuzz.sh copies fuzz/corpus/TARGET/ for every target;
# FUZZ_UPDATE_CORPUS=1 regenerates them).
. "$(dirname "$0")/lib.sh"

SEEDS=$RUSTLSM_CACHE/fuzz/seeds
rm -rf "$SEEDS"
mkdir -p "$SEEDS/compile_profile" "$SEEDS/verify_blob" "$SEEDS/roundtrip"
cp "$REPO_ROOT"/examples/*.toml "$REPO_ROOT"/fuzz/seeds/*.toml "$SEEDS/compile_profile/"

# Several profiles with many rules and peers: sizes the hand-written seeds do not reach.
{
  for p in $(seq 1 3); do
    echo "[profile.gen$p]"
    echo "attach = [\"/opt/gen$p/bin/*\"]"
    echo "signal = [$(for q in $(seq 1 3); do printf '"gen%s", ' "$q"; done)\"unconfined\"]"
    for r in $(seq 1 6); do
      echo "[[profile.gen$p.rule]]"
      echo "allow = [\"read\", \"write\"]"
      echo "paths = [\"/srv/gen$p/dir$r/**\", \"/var/gen$p/file$r.?\"]"
    done
    echo "[[profile.gen$p.rule]]"
    echo "deny = [\"write\"]"
    echo "paths = [\"/srv/gen$p/**/*.lock\"]"
  done
} > "$SEEDS/compile_profile/generated.toml"

for f in "$SEEDS"/compile_profile/*.toml; do
  (cd "$REPO_ROOT" && cargo run -q -p lsmctl -- compile "$f" -o "$SEEDS/verify_blob/$(basename "$f" .toml).bin") >/dev/null
done
log "seed corpora: $(ls "$SEEDS/compile_profile" | wc -l) profiles, $(ls "$SEEDS/verify_blob" | wc -l) blobs"
