#!/usr/bin/env bash
# The HTML reports (audit --format html, fleet --format html) in Debian's headless Chromium:
# the DOM has the expected text, clicking a heading sorts a fleet table, the pages make no
# network request (Chromium's net log: no request initiated by the page; a control page with an
# <img> from 127.0.0.1 must show one, so the check can fail), and the HTML holds no http(s) URL
# and no src/href attribute. Screenshots of both go to $SHOTS (default: a temporary directory;
# scripts/exports/check-html.sh with SHOTS=docs/img refreshes the committed ones).
set -euo pipefail
cd "$(dirname "$0")/../.."
K=${KHARDEN_BIN:-target/debug/kharden}
FIX=crates/kharden/tests/fixtures/snapshots
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
SHOTS=${SHOTS:-$work}

"$K" audit --root "$FIX/deb12-6.1-cloud-default" --policy scripts/exports/waiver-policy.toml --exit-zero --format html -o "$work/host.html"
"$K" fleet "$FIX" --exit-zero --format html -o "$work/fleet.html"
printf '<!DOCTYPE html><html><body><p>control</p><img src="http://127.0.0.1:9/x.png"></body></html>\n' >"$work/control.html"

for page in host fleet; do
	if grep -nE 'https?://|src=|href=' "$work/$page.html"; then echo "$page.html: a URL or a src/href attribute" >&2; exit 1; fi
	grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$work/$page.html"
done

chrome() { # NAME ARGS...: one fresh profile per run, nothing in $HOME, no name resolution
	local name=$1
	shift
	XDG_CONFIG_HOME="$work/xdg" XDG_CACHE_HOME="$work/cache" HOME="$work/home" timeout 120 chromium \
		--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --hide-scrollbars \
		--host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$work/profile-$name-$RANDOM" \
		"$@" 2>>"$work/chromium.log"
}

for page in control host fleet; do
	chrome "$page" --log-net-log="$work/$page.netlog.json" --net-log-capture-mode=Everything \
		--dump-dom "file://$work/$page.html" >"$work/$page.dom"
done
if python3 scripts/exports/netlog-page-requests.py "$work/control.netlog.json" >/dev/null; then
	echo "the net log check saw no request from the control page" >&2; exit 1
fi
python3 scripts/exports/netlog-page-requests.py "$work/host.netlog.json"
python3 scripts/exports/netlog-page-requests.py "$work/fleet.netlog.json"

expect() { # FILE TEXT...
	local f=$1 t
	shift
	for t in "$@"; do grep -qF -- "$t" "$f" || { echo "$f: no \"$t\" in the DOM" >&2; exit 1; }; done
}
# What the pages must show, from kharden's own JSON of the same inputs (the committed trees and
# the rules change; the HTML must follow them).
host_fail=$("$K" audit --root "$FIX/deb12-6.1-cloud-default" --policy scripts/exports/waiver-policy.toml \
	--exit-zero --format json | python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["fail"])')
read -r hosts min_fail max_fail < <("$K" fleet "$FIX" --exit-zero --format json | python3 -c '
import json, sys
fails = [h["fail"] for h in json.load(sys.stdin)["hosts"]]
print(len(fails), min(fails), max(fails))')
expect "$work/host.dom" "kharden audit: 6.1.0-56-cloud-amd64 (x86_64)" "Failures ($host_fail)" \
	"lockdown-runtime" "what the fix may break" "Waivers (1)" "2099-12-31" "perf needs kernel addresses"
expect "$work/fleet.dom" "kharden fleet: $hosts hosts" "Drift from the fleet's majority" \
	"deb12-6.12-cloud-ovmf-sb" "6.12.117+deb12-cloud-amd64" "kptr-restrict"

# Sorting: a copy of the fleet page clicks the hosts table's "fail" heading once (ascending)
# and writes the first row's fail count into the page title.
sed 's#</body>#<script>var t=document.querySelectorAll("table.sortable")[2];t.tHead.rows[0].cells[4].click();document.title="first:"+t.tBodies[0].rows[0].cells[4].textContent+" last:"+t.tBodies[0].rows[t.tBodies[0].rows.length-1].cells[4].textContent;</script></body>#' \
	"$work/fleet.html" >"$work/fleet-sorted.html"
chrome sorted --dump-dom "file://$work/fleet-sorted.html" >"$work/fleet-sorted.dom"
expect "$work/fleet-sorted.dom" "<title>first:$min_fail last:$max_fail</title>"

mkdir -p "$SHOTS"
chrome shot-host --window-size=1280,900 --screenshot="$SHOTS/audit-html.png" "file://$work/host.html" >/dev/null
chrome shot-fleet --window-size=1280,900 --screenshot="$SHOTS/fleet-html.png" "file://$work/fleet.html" >/dev/null
for s in audit-html fleet-html; do
	[ "$(head -c 8 "$SHOTS/$s.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "$s.png: not a PNG" >&2; exit 1; }
done
echo "check-html: both pages render in Chromium with the expected text, sort, and make no request"
