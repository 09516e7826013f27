#!/usr/bin/env bash
# kharden fleet on a generated fleet (issue 17): HOSTS (default 10000) snapshot archives made
# from the committed snapshot trees with seeded variations (gen-fleet.py, SEED default 17),
# reported by `kharden fleet DIR --format json` with JOBS workers (default 2); prints the
# wall time and the peak RSS (GNU time). Needs a release build (BUILD=1 makes one), zstd,
# python3 and /usr/bin/time. FLEET=DIR keeps the generated fleet in DIR (made when missing),
# to time it again without generating it again.
set -euo pipefail
cd "$(dirname "$0")/../.."
HOSTS=${HOSTS:-10000}
SEED=${SEED:-17}
JOBS=${JOBS:-2}
[ "${BUILD:-0}" = 1 ] && cargo build --release -p kharden --locked
K=${KHARDEN_BIN:-target/release/kharden}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fleet=${FLEET:-$work/fleet}
if [ ! -d "$fleet" ]; then
	mkdir -p "$work/base" "$fleet"
	for tree in crates/kharden/tests/fixtures/snapshots/*/; do
		"$K" snapshot --root "$tree" --out "$work/base/$(basename "$tree").tar.zst"
		zstd -q -d --rm "$work/base/$(basename "$tree").tar.zst"
	done
	python3 scripts/bench/gen-fleet.py "$SEED" "$HOSTS" "$fleet" "$work"/base/*.tar
	(cd "$fleet" && find . -name '*.tar' -print0 | xargs -0 zstd -q --rm -T0)
fi
du -sh "$fleet" | sed 's/^/fleet size: /'
/usr/bin/time -f '%e %M' -o "$work/time" "$K" fleet "$fleet" -j "$JOBS" --format json --exit-zero -o "$work/fleet.json"
read -r wall rss <"$work/time"
python3 - "$work/fleet.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print(f"hosts {s['hosts']}, failing {s['failing']}, clean {s['clean']}, errors {s['errors']}, drifted values {len(d['drift']['hosts'])}")
PY
echo "kharden fleet: $HOSTS hosts, $JOBS workers: ${wall} s wall, peak RSS $((rss / 1024)) MiB (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
