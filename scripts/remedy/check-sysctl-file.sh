#!/bin/bash
# Check the sysctl.d file `kharden fix --emit sysctl` writes with procps' own parser, without
# touching this host: `sysctl --dry-run -p FILE` (procps-ng >= 4.0) parses the file, stats each
# key under /proc/sys and prints what it would set, but never opens a key for writing. It runs
# as nobody as well, so even a sysctl without --dry-run could not write. What it cannot check
# (the kernel accepting each value, systemd-sysctl) belongs in the QEMU guest: docs/remediation.md.
#
#   scripts/remedy/check-sysctl-file.sh [CONFIG_NAME...]   (fixtures, as check-merge-config.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fixtures=$root/crates/kharden/tests/fixtures/configs
kharden=${KHARDEN_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/kharden}
[ $# -gt 0 ] || set -- debian12-6.1-cloud-amd64 debian12-6.1-amd64
[ -x "$kharden" ] || { echo "check-sysctl-file: no kharden at $kharden" >&2; exit 2; }
sysctl --help | grep -q -- --dry-run || { echo "check-sysctl-file: this sysctl has no --dry-run (procps-ng < 4)" >&2; exit 2; }
drop=()
[ "$(id -u)" -ne 0 ] || drop=(setpriv --reuid=65534 --regid=65534 --clear-groups)

work=$(mktemp -d "${TMPDIR:-/tmp}/kharden-sysctl.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
status=0
for name in "$@"; do
	xz -dc "$fixtures/$name.config.xz" >"$work/$name.config"
	mkdir -p "$work/$name"
	"$kharden" fix --config "$work/$name.config" --no-live --emit sysctl --all-rules --out "$work/$name" >/dev/null
	file=$work/$name/99-kharden.conf
	chmod 644 "$file"
	# The lines procps would set, normalised as it prints them: "key = value".
	grep -v '^[#;]' "$file" | grep -v '^[[:space:]]*$' | sed 's/[[:space:]]*=[[:space:]]*/ = /' >"$work/$name.want"
	(cd / && "${drop[@]}" sysctl --dry-run -p "$file") >"$work/$name.got" 2>"$work/$name.err" || true
	# A syntax error is only a warning to procps (exit 0); a key this host's kernel lacks is exit 1.
	absent=$(sed -n 's|^sysctl: cannot stat /proc/sys/\(.*\): No such file or directory$|\1|p' "$work/$name.err" | tr / .)
	other=$(grep -v '^sysctl: cannot stat /proc/sys/.*: No such file or directory$' "$work/$name.err" || true)
	for key in $absent; do
		grep -v "^$key = " "$work/$name.want" >"$work/$name.want2" || true
		mv "$work/$name.want2" "$work/$name.want"
	done
	same=yes
	diff -u "$work/$name.want" "$work/$name.got" >"$work/$name.diff" || same=no
	if [ -n "$other" ] || [ $same = no ]; then
		echo "check-sysctl-file: $name: sysctl --dry-run does not accept $file as written:" >&2
		cat "$file" "$work/$name.err" "$work/$name.diff" >&2
		status=1
	else
		note=
		[ -z "$absent" ] || note=" (not on this host kernel, left to the QEMU guest: $(echo "$absent" | paste -sd " "))"
		echo "check-sysctl-file: $name: $(wc -l <"$work/$name.got") keys parsed by $(sysctl --version) --dry-run$note"
	fi
done
exit $status
