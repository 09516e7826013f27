#!/usr/bin/env bash
# Build kharden's Debian package with dpkg-deb from the committed packaging/ files and the
# generated ones (man pages docs/man, completions packaging/completions, JSON Schemas
# docs/schemas: tests/generated.rs keeps them fresh), then run lintian on it.
#
#   scripts/deb/build-deb.sh [--binary FILE --sign-request FILE] [--out DIR] [--no-lintian]
#
# Default binaries: `cargo build --release -p kharden` (the release profile: LTO, stripped):
# kharden and kharden-sign-request, the small client `kharden modsign build` has make run
# (found beside kharden). --binary and --sign-request package other builds (the test.d hook
# passes the debug binaries the test suite already built, to stay within its CI budget).
# Prints the .deb's path on stdout.
# Installs what it uses (dpkg-dev, fakeroot, lintian) when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/apt.sh

T=${CARGO_TARGET_DIR:-target}
BIN= CLIENT= OUT=$T/debian LINTIAN=1
while [ $# -gt 0 ]; do
  case $1 in
    --binary) BIN=$2; shift 2 ;;
    --sign-request) CLIENT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --no-lintian) LINTIAN=; shift ;;
    *) echo "usage: $0 [--binary FILE --sign-request FILE] [--out DIR] [--no-lintian]" >&2; exit 2 ;;
  esac
done

apt_install_missing build-deb dpkg-dev fakeroot gzip ${LINTIAN:+lintian}

if [ -z "$BIN" ] || [ -z "$CLIENT" ]; then
  [ -z "$BIN$CLIENT" ] || { echo "$0: give both --binary and --sign-request, or neither" >&2; exit 2; }
  cargo build --release --locked -p kharden >&2
  BIN=$T/release/kharden CLIENT=$T/release/kharden-sign-request
fi

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)-1
ARCH=$(dpkg --print-architecture)
mkdir -p "$OUT"
STAGE=$(realpath "$(mktemp -d "$OUT/stage.XXXXXX")")
trap 'rm -rf "$STAGE"' EXIT
R=$STAGE/root
DOC=$R/usr/share/doc/kharden

install -D -m 0755 "$BIN" "$R/usr/bin/kharden"
install -m 0755 "$CLIENT" "$R/usr/bin/kharden-sign-request"
for b in kharden kharden-sign-request; do
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$R/usr/bin/$b"
done
for page in docs/man/*.1; do
  install -D -m 0644 "$page" "$R/usr/share/man/man1/$(basename "$page")"
  gzip -9n "$R/usr/share/man/man1/$(basename "$page")"
done
install -D -m 0644 packaging/completions/kharden.bash "$R/usr/share/bash-completion/completions/kharden"
install -D -m 0644 packaging/completions/_kharden "$R/usr/share/zsh/vendor-completions/_kharden"
install -D -m 0644 packaging/completions/kharden.fish "$R/usr/share/fish/vendor_completions.d/kharden.fish"
install -D -m 0644 packaging/policy.toml "$R/etc/kharden/policy.toml"
for unit in packaging/systemd/*; do
  install -D -m 0644 "$unit" "$R/lib/systemd/system/$(basename "$unit")"
done
install -D -m 0644 README.md "$DOC/README.md"
for d in json-output.md policy-format.md remediation.md modsign.md; do
  install -m 0644 "docs/$d" "$DOC/$d"
done
mkdir -p "$DOC/schemas"
install -m 0644 docs/schemas/*.json "$DOC/schemas/"
# The MIT text goes in indented, its blank lines as " ." (the copyright format's paragraphs).
awk 'FNR == NR { mit = mit ($0 == "" ? " ." : " " $0) "\n"; next }
     /^@MIT@$/ { printf "%s", mit; next } { print }' \
  LICENSE-MIT packaging/debian/copyright >"$DOC/copyright"
chmod 0644 "$DOC/copyright"
{
  echo "kharden ($VERSION) unstable; urgency=medium"
  echo
  echo "  * Package built from the kharden repository; changes: CHANGELOG.md upstream."
  echo
  echo " -- kharden developers <kharden@example.invalid>  Sat, 05 Dec 2026 00:00:00 +0000"
} | gzip -9n >"$DOC/changelog.Debian.gz"
install -m 0644 CHANGELOG.md "$DOC/changelog" && gzip -9n "$DOC/changelog"
install -D -m 0644 packaging/debian/lintian-overrides "$R/usr/share/lintian/overrides/kharden"

# Control area: dependencies from the binary's shared libraries (dpkg-shlibdeps), sizes, sums.
mkdir -p "$R/DEBIAN" "$STAGE/src/debian"
printf 'Source: kharden\n\nPackage: kharden\nArchitecture: any\n' >"$STAGE/src/debian/control"
DEPENDS=$(cd "$STAGE/src" && dpkg-shlibdeps -O -e"$R/usr/bin/kharden" -e"$R/usr/bin/kharden-sign-request" \
  | sed -n 's/^shlibs:Depends=//p')
SIZE=$(du -k -s --exclude=DEBIAN "$R" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" \
  -e "s/@DEPENDS@/$DEPENDS/" packaging/debian/control.in >"$R/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$R/DEBIAN/conffiles"
for s in postinst prerm postrm; do
  install -m 0755 "packaging/debian/$s" "$R/DEBIAN/$s"
done
(cd "$R" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort \
  | grep -v '^etc/' | xargs md5sum) >"$R/DEBIAN/md5sums"
chmod 0644 "$R/DEBIAN/md5sums"

DEB=$OUT/kharden_${VERSION}_${ARCH}.deb
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)} \
  dpkg-deb --root-owner-group -Zxz --build "$R" "$DEB" >&2
if [ -n "$LINTIAN" ]; then
  # Errors and warnings fail the build; each override in packaging/debian/lintian-overrides
  # says why it is there.
  lintian --fail-on error,warning --info "$DEB" >&2
fi
echo "$DEB"
