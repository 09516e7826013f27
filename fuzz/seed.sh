#!/usr/bin/env bash
# Build fuzz/corpus/<target>/ from the project's real data: kernel configs (compressed and
# plain), snapshot files, synthetic cmdlines and sysctl dumps, policy files, signed modules,
# certificates, PKCS#7 blobs and kernel payloads. Idempotent; the corpus is not committed
# (fuzz/seeds/ holds the few hand-made seeds that are).
set -eu
cd "$(dirname "$0")"
top=..
fx=$top/crates/kharden/tests/fixtures
mx=$top/crates/modsig/tests/fixtures
out=corpus
mkdir -p "$out"

put() { # put <target> <file>: copy under a content-addressed name
  local t=$1 f=$2
  mkdir -p "$out/$t"
  [ -s "$f" ] || return 0
  cp "$f" "$out/$t/$(sha1sum <"$f" | cut -c1-16)"
}
putdata() { # putdata <target> <name>  (stdin)
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  put "$1" "$tmp"
  rm -f "$tmp"
}

# Hand-made seeds committed with the targets.
for d in seeds/*/; do
  [ -d "$d" ] || continue
  t=$(basename "$d")
  for f in "$d"*; do put "$t" "$f"; done
done

# kconfig: compressed configs as shipped, plus plain heads (small inputs fuzz faster).
for f in "$fx"/configs/*.xz "$fx"/configs/defconfigs/*.xz; do
  put kconfig "$f"
  xz -dc "$f" | head -c 8192 | putdata kconfig
  xz -dc "$f" | head -c 8192 | gzip -n | putdata kconfig
  xz -dc "$f" | head -c 8192 | zstd -q | putdata kconfig
done
for s in "$fx"/snapshots/*/; do
  for f in "$s"boot/config-*; do [ -f "$f" ] && head -c 16384 "$f" | putdata kconfig; done
done

# kdecomp: every compressed fixture of the project.
for f in "$mx"/kernel/* "$mx"/*.ko.gz "$mx"/*.ko.xz "$mx"/*.ko.zst "$fx"/configs/defconfigs/*.xz; do
  put kdecomp "$f"
done
for c in "gzip -n" "xz" "zstd -q" "bzip2" "lzma" "lz4 -q"; do
  if command -v "${c%% *}" >/dev/null; then
    head -c 4096 "$mx/crc7.unsigned.ko" | $c | putdata kdecomp || true
  fi
done

# cmdline and sysctl: snapshots and synthetic fixtures.
for s in "$fx"/snapshots/*/; do
  put cmdline "$s/proc/cmdline"
  # A `sysctl -a` style dump rebuilt from the captured /proc/sys tree.
  if [ -d "$s/proc/sys" ]; then
    (cd "$s/proc/sys" && find . -type f | sort | head -400 | while read -r f; do
      k=${f#./}
      printf '%s = %s\n' "${k//\//.}" "$(head -c 200 "$f" | tr '\n\t' '  ')"
    done) | putdata sysctl
  fi
done
for f in "$fx"/synthetic/*.cmdline; do put cmdline "$f"; done
for f in "$fx"/synthetic/*.sysctl; do put sysctl "$f"; done

# runtime: the files read_live reads, joined by 0xff, each part prefixed by one byte (so an
# empty part means "absent"). Order: lockdown, SecureBoot, SetupMode, MokSBStateRT,
# boot_params/data, kallsyms, lsm, sig_enforce.
for s in "$fx"/snapshots/*/; do
  {
    for rel in sys/kernel/security/lockdown \
      sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c \
      sys/firmware/efi/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c \
      sys/firmware/efi/efivars/MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23 \
      sys/kernel/boot_params/data proc/kallsyms sys/kernel/security/lsm \
      sys/module/module/parameters/sig_enforce; do
      if [ -f "$s/$rel" ]; then printf 'F'; head -c 2048 "$s/$rel"; fi
      printf '\377'
    done
  } | putdata runtime
done

# policy: built-in rule files (split into small pieces) and user policies from the tests.
for f in "$top"/policies/*.toml; do
  put policy "$f"
done
for f in "$top"/policies/full/*.toml; do
  head -c 6000 "$f" | putdata policy
done
find "$top"/crates/kharden/tests "$top"/docs -name '*.toml' -size -32k 2>/dev/null | while read -r f; do put policy "$f"; done

# modsig: signed and unsigned modules, negative vectors, certificates, PKCS#7, kernel payloads.
for f in "$mx"/*.ko "$mx"/negative/*; do put modsig_trailer "$f"; done
for f in "$mx"/p7s/*; do put modsig_cms "$f"; done
for f in "$mx"/*.ko "$mx"/negative/*; do
  # The CMS blob of each signed module: the bytes before the 40-byte info+magic trailer.
  python3 - "$f" <<'PY' | putdata modsig_cms || true
import struct, sys
d = open(sys.argv[1], "rb").read()
if d.endswith(b"~Module signature appended~\n"):
    n = struct.unpack(">I", d[-40 + 8:-40 + 12])[0]
    sys.stdout.buffer.write(d[-40 - n:-40])
PY
done
for f in "$mx"/*.der "$mx"/*.x509 "$mx"/*.pem "$mx"/*_cert.pem; do put modsig_x509 "$f"; done
for f in "$mx"/kernel/*; do put modsig_kernel "$f"; done

for t in "$out"/*/; do
  printf '%-16s %4d seeds\n' "$(basename "$t")" "$(find "$t" -type f | wc -l)"
done
