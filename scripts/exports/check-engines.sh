#!/usr/bin/env bash
# kharden's export formats against the real engines that read them (issue 17, docs/exports.md,
# docs/exports.md): for every committed snapshot tree, with the baseline and full profiles, with
# and without a waiver policy and --with-host, `audit -o FILE` writes
#   --format prometheus  -> promtool check metrics (Debian prometheus), and a prometheus-node-
#                           exporter-shaped textfile check (one HELP/TYPE per family, unique series,
#                           no client timestamps, ends with a newline)
#   --format sarif       -> the SARIF 2.1.0 JSON schema (npm @microsoft/sarif-multitool-linux)
#   --format junit       -> xmllint --schema junit-10.xsd (PyPI pytest sdist)
# then the shipped alerting rules: promtool check rules + promtool test rules. Each engine is
# first shown a broken file and must reject it (a check that cannot fail proves nothing).
set -euo pipefail
cd "$(dirname "$0")/../.."
K=${KHARDEN_BIN:-target/debug/kharden}
SCHEMAS=$(scripts/exports/fetch-schemas.sh)
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bad"

# The engines reject what is wrong.
printf '# HELP a x\n# TYPE a gauge\n# TYPE a gauge\na 1\n' >"$work/bad/bad.prom"
if promtool check metrics <"$work/bad/bad.prom" >/dev/null 2>&1; then echo "promtool accepted a bad file" >&2; exit 1; fi
printf '{"version":"2.1","runs":[]}\n' >"$work/bad/bad.sarif"
if $PY scripts/exports/validate-sarif.py "$SCHEMAS/sarif-2.1.0.json" "$work/bad/bad.sarif" 2>/dev/null; then echo "the SARIF schema accepted a bad file" >&2; exit 1; fi
printf '<testsuites><testsuite name="x"><testcase name="t"><bogus/></testcase></testsuite></testsuites>\n' >"$work/bad/bad.xml"
if xmllint --noout --schema "$SCHEMAS/junit-10.xsd" "$work/bad/bad.xml" 2>/dev/null; then echo "the JUnit schema accepted a bad file" >&2; exit 1; fi


n=0
for tree in crates/kharden/tests/fixtures/snapshots/*/; do
	name=$(basename "$tree")
	for profile in baseline full; do
		for variant in plain waived; do
			extra=()
			[ "$variant" = waived ] && extra=(--policy scripts/exports/waiver-policy.toml --with-host)
			out="$work/$name-$profile-$variant"
			for fmt in prometheus sarif junit; do
				rc=0
				"$K" audit --root "$tree" --profile "$profile" "${extra[@]}" --format "$fmt" -o "$out.$fmt" || rc=$?
				[ "$rc" -le 1 ] || { echo "$name $profile $variant $fmt: kharden exited $rc" >&2; exit 1; }
			done
			promtool check metrics <"$out.prometheus"
			$PY scripts/exports/lint-textfile.py "$out.prometheus"
			xmllint --noout --schema "$SCHEMAS/junit-10.xsd" "$out.junit" 2>"$work/xmllint.err" ||
				{ cat "$work/xmllint.err" >&2; exit 1; }
			n=$((n + 1))
		done
	done
done
$PY scripts/exports/validate-sarif.py "$SCHEMAS/sarif-2.1.0.json" "$work"/*.sarif
grep -q 'kharden_waiver_expiry_timestamp_seconds 4102444800' "$work"/*-baseline-waived.prometheus

(cd docs/prometheus && promtool check rules kharden-alerts.yml && promtool test rules kharden-alerts.test.yml)
echo "check-engines: $n audits x 3 formats accepted by promtool, the SARIF 2.1.0 schema and junit-10.xsd; alert rules pass promtool test rules"
