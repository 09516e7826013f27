# Sourced by the modsign benchmarks (scripts/bench-modsign.sh, scripts/bench/bench-modsign-build.sh)
# after they set `root` and `jobs`: fetches Debian's linux-image-6.1.0-*-amd64 and the kernel's
# sign-file (linux-kbuild-6.1) into the cache, builds kharden and the `limits` example unless
# KHARDEN and LIMITS name prebuilt binaries, and sets:
#   cache pkgdir moddir signfile kharden limits   and the helpers now, elapsed, ratio.
cache=${KHARDEN_CACHE:-$root/.cache/modsign}
export KHARDEN_CACHE=$cache
target=${CARGO_TARGET_DIR:-$root/target}

pkgdir=$("$root/scripts/modsign/fetch-kernel.sh" '^linux-image-6\.1\.0-[0-9]+-amd64$')
"$root/scripts/modsign/fetch-sign-file.sh"
signfile="$cache/sign-file"
if [ -z "${KHARDEN:-}" ] || [ -z "${LIMITS:-}" ]; then
	(cd "$root" && cargo build --release -q -p kharden && cargo build --release -q -p modsig --example limits)
fi
kharden=${KHARDEN:-$target/release/kharden}
limits=${LIMITS:-$target/release/examples/limits}
moddir=$(ls -d "$pkgdir"/lib/modules/*)

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

# unsigned_copy DEST [LIST]: the package's modules copied to DEST with their signatures
# stripped; LIST (optional) gets their paths relative to DEST, sorted, one a line.
unsigned_copy() {
	cp -r "$moddir/kernel" "$1"
	python3 - "$1" "${2:-/dev/null}" <<'PY'
import os, sys
magic = b"~Module signature appended~\n"
names = []
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".ko"):
            p = os.path.join(d, f)
            b = open(p, "rb").read()
            if b.endswith(magic):
                sig_len = int.from_bytes(b[-32:-28], "big")
                open(p, "wb").write(b[: len(b) - 40 - sig_len])
            names.append(os.path.relpath(p, sys.argv[1]))
open(sys.argv[2], "w").write("".join(sorted(n + "\n" for n in names)))
PY
}
