#!/bin/bash
# The signing cost of `kharden modsign build` over a build, against the RSA-4096 floor and the
# kernel's own sign-file. Every module of Debian's
# linux-image-6.1.0-*-amd64 (unsigned copies) is installed by a Makefile that does what the
# kernel's scripts/Makefile.modinst does for each module (copy, then `$(call cmd,sign)` =
# `$(cmd_sign)`), JOBS at a time:
#
#   copy      cmd_sign=true: the build without signing (the baseline)
#   kharden   `kharden modsign build --hash sha512 -- make`: key made in memory, one
#             `kharden-sign-request` (the small client beside kharden) per module through the socket
#   sign-file the kernel's way: `scripts/sign-file sha512 KEY CERT module` per module, the key
#             on disk (Debian's linux-kbuild-6.1 sign-file)
#   floor     N RSA-4096 signatures at aws-lc-rs's own rate on JOBS threads, plus reading and
#             SHA-512-hashing every module (crates/modsig/examples/limits.rs)
#
# Signing cost = time - copy time; printed as ratios to the floor (goal: at most 1.25x).
#   scripts/bench/bench-modsign-build.sh [JOBS]     (JOBS default 2, as make -j2)
#   KHARDEN=... LIMITS=... to use prebuilt binaries. Downloads as scripts/bench-modsign.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${1:-2}
# shellcheck source=../lib/bench-modsign.sh
. "$root/scripts/lib/bench-modsign.sh"
work="$cache/bench-build"
rm -rf "$work"
mkdir -p "$work"

echo "== preparing unsigned copies of $(basename "$pkgdir")" >&2
unsigned_copy "$work/src" "$work/modules.list"
n=$(wc -l <"$work/modules.list")
# What Makefile.modinst does per module: install (cp), then $(call cmd,sign).
{
	echo "modules := \$(addprefix out/,\$(shell cat modules.list))"
	echo "all: \$(modules)"
	echo "out/%.ko: src/%.ko"
	printf '\t@mkdir -p $(dir $@)\n\t@cp $< $@\n\t@$(cmd_sign)\n'
} >"$work/Makefile"
openssl req -new -nodes -utf8 -sha512 -days 36500 -batch -x509 -subj "/CN=bench" -newkey rsa:4096 \
	-outform PEM -out "$work/signing_key.pem" -keyout "$work/signing_key.pem" 2>/dev/null
openssl x509 -in "$work/signing_key.pem" -outform DER -out "$work/signing_key.x509"
cat "$work"/src/*/* >/dev/null 2>&1 || true

run_make() { (cd "$work" && rm -rf out && make -s -j"$jobs" "$@"); }

echo "== copy only ($n modules, -j$jobs)" >&2
run_make cmd_sign=true # warm
t0=$(now); run_make cmd_sign=true; t1=$(now); t_copy=$(elapsed "$t0" "$t1")

echo "== kharden modsign build" >&2
t0=$(now)
(cd "$work" && rm -rf out && "$kharden" modsign build --hash sha512 --cert-out "$work/k.pem" -- make -s -j"$jobs")
t1=$(now); t_kharden=$(elapsed "$t0" "$t1")
"$kharden" modsign verify --cert "$work/k.pem" "$work/out" | tail -n1 | grep -q "$n valid" ||
	{ echo "bench: the modules do not verify" >&2; exit 1; }

echo "== sign-file per module" >&2
t0=$(now)
run_make "cmd_sign=$signfile sha512 $work/signing_key.pem $work/signing_key.x509 \$@"
t1=$(now); t_signfile=$(elapsed "$t0" "$t1")

echo "== floor" >&2
"$limits" "$work/src" "$jobs" >"$work/limits.txt"
floor=$(grep '^sign_floor_s=' "$work/limits.txt" | cut -d= -f2)

cost_kharden=$(python3 -c "print(f'{$t_kharden - $t_copy:.3f}')")
cost_signfile=$(python3 -c "print(f'{$t_signfile - $t_copy:.3f}')")
cat <<EOF
modules: $n, jobs: $jobs, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)
copy only (cmd_sign=true):       ${t_copy} s
kharden modsign build:           ${t_kharden} s   signing cost ${cost_kharden} s = $(ratio "$cost_kharden" "$floor")x the floor
sign-file per module:            ${t_signfile} s   signing cost ${cost_signfile} s = $(ratio "$cost_signfile" "$floor")x the floor
floor (RSA-4096 + SHA-512 read): ${floor} s
EOF
