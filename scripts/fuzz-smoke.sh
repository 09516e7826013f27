#!/usr/bin/env bash
# Run every fuzz target briefly (CI smoke): build once, seed the corpora from the project's
# fixtures, then FUZZ_SECONDS (default 15) per target, one at a time, niced. Fails on the first
# crash, leak, timeout or OOM; the reproducer is left in fuzz/artifacts/<target>/.
# Total cost with the default: ~10 x 15 s of fuzzing plus the build (cached after the first run).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-15}
if ! command -v cargo-fuzz >/dev/null 2>&1 && ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz-smoke: installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi

# libFuzzer needs unstable flags; the stable toolchain accepts them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
cd fuzz
nice -n 15 cargo fuzz build --release >/dev/null
./seed.sh >/dev/null

targets=$(cargo fuzz list)
# The binaries just built, run directly: `cargo fuzz run` may rebuild with other settings.
bin=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release
start=$(date +%s)
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log=$(mktemp)
  if ! nice -n 15 "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz-smoke: $t FAILED (reproducer in fuzz/artifacts/$t/)" >&2
    rm -f "$log"
    exit 1
  fi
  printf 'fuzz-smoke: %-16s %s %s\n' "$t" \
    "$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | sed 's/$/ execs/')" \
    "$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)"
  rm -f "$log"
done
echo "fuzz-smoke: all targets clean, $(($(date +%s) - start)) s of fuzzing"
