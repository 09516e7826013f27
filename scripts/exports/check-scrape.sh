#!/usr/bin/env bash
# The textfile in the real pipeline, on loopback only (issue 17): two Debian
# prometheus-node-exporter processes serve `kharden audit --format prometheus` textfiles of a
# failing snapshot (deb12-6.1-cloud-default) and a hardened one
# (deb12-6.1-cloud-integrity-sigenforce); a Debian prometheus on 127.0.0.1 scrapes both every
# second with the shipped docs/prometheus/kharden-alerts.yml. Its HTTP API must then show the
# lockdown and enforcement alerts pending (their `for:` is 30 minutes; promtool test rules
# covers the firing) for the failing host and none for the hardened one, and the exporters must
# report no textfile scrape error. Every process is started and stopped here, within 90 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
K=${KHARDEN_BIN:-target/debug/kharden}
FIX=crates/kharden/tests/fixtures/snapshots
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
# Ports above the usual ones, on 127.0.0.1 only.
PROM=127.0.0.1:29090
declare -A PORT=([failing]=29101 [hardened]=29102)
declare -A TREE=([failing]=deb12-6.1-cloud-default [hardened]=deb12-6.1-cloud-integrity-sigenforce)

for host in failing hardened; do
	mkdir -p "$work/$host"
	"$K" audit --root "$FIX/${TREE[$host]}" --exit-zero --format prometheus -o "$work/$host/kharden.prom"
	timeout 90 prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$work/$host" --web.listen-address="127.0.0.1:${PORT[$host]}" \
		>"$work/$host.log" 2>&1 &
	pids+=($!)
done
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/docs/prometheus/kharden-alerts.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:${PORT[failing]}', '127.0.0.1:${PORT[hardened]}']
YAML
timeout 90 prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address="$PROM" >"$work/prometheus.log" 2>&1 &
pids+=($!)

api() { python3 -c 'import json,sys,urllib.request; print(json.dumps(json.load(urllib.request.urlopen("http://'"$PROM"'/api/v1/"+sys.argv[1], timeout=5))["data"]))' "$1"; }
ok=0
for _ in $(seq 60); do
	sleep 1
	alerts=$(api alerts 2>/dev/null) || continue
	if python3 - "$alerts" "${PORT[failing]}" "${PORT[hardened]}" <<'PY'
import json, sys
alerts, failing, hardened = json.loads(sys.argv[1])["alerts"], sys.argv[2], sys.argv[3]
def on(port):
    return {a["labels"]["alertname"] for a in alerts if a["labels"].get("instance", "").endswith(":" + port)}
want = {"KhardenLockdownBelowIntegrity", "KhardenModuleSignatureEnforcementOff", "KhardenCriticalRuleFailing"}
if want <= on(failing) and not on(hardened) & want:
    sys.exit(0)
sys.exit(1)
PY
	then ok=1; break; fi
done
if [ "$ok" != 1 ]; then
	echo "check-scrape: the alerts did not come up as expected; last /api/v1/alerts:" >&2
	api alerts >&2 || tail -20 "$work/prometheus.log" >&2
	exit 1
fi
# What Prometheus stored is what kharden wrote, and the exporters read the files cleanly.
q() { python3 -c 'import json,sys,urllib.parse,urllib.request; r=json.load(urllib.request.urlopen("http://'"$PROM"'/api/v1/query?query="+urllib.parse.quote(sys.argv[1]), timeout=5))["data"]["result"]; print(" ".join(sorted(x["metric"].get("instance","")+"="+x["value"][1] for x in r)))' "$1"; }
got=$(q kharden_lockdown_level)
[ "$got" = "127.0.0.1:${PORT[failing]}=0 127.0.0.1:${PORT[hardened]}=1" ] || { echo "kharden_lockdown_level: $got" >&2; exit 1; }
got=$(q node_textfile_scrape_error)
[ "$got" = "127.0.0.1:${PORT[failing]}=0 127.0.0.1:${PORT[hardened]}=0" ] || { echo "node_textfile_scrape_error: $got" >&2; exit 1; }
got=$(q 'sum by (instance) (kharden_rules{status="fail"})')
[ "$got" = "127.0.0.1:${PORT[failing]}=9 127.0.0.1:${PORT[hardened]}=4" ] || { echo "failing rules: $got" >&2; exit 1; }
echo "check-scrape: node_exporter served both textfiles, Prometheus scraped them, and the shipped alerts are pending for the failing host only"
