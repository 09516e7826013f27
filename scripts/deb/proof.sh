#!/usr/bin/env bash
# The Debian package on a real Debian 12 system (docs/testbed.md, "The Debian package"):
# a bookworm root file system made with debootstrap from Debian's archive (cached as a tarball
# under .cache/deb-proof/), with Debian's cloud kernel (the test bed's deb12-6.1-cloud) and
# systemd; the .deb is installed with `dpkg -i` inside the booted guest (QEMU, systemd as PID 1),
# which then checks: `systemd-analyze verify` of the units, the timer's first run writes the
# JSON report and the node_exporter textfile, `man kharden`, bash completion, and enables
# kharden-apply.service; after a reboot: kptr_restrict and lockdown were raised at boot, and
# `dpkg -r` leaves only the conffile. Results come back on the second serial port.
#
#   scripts/deb/proof.sh DEB [--report FILE]
#
# Needs root (debootstrap, the root file system's owners). Prints one line per check.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/apt.sh

DEB=$(realpath "$1")
shift
REPORT=
[ "${1:-}" = --report ] && REPORT=$2
START=$(date +%s)

# prometheus for promtool (also what scripts/exports installs).
apt_install_missing deb-proof debootstrap qemu-system-x86 e2fsprogs zstd python3 prometheus

CACHE=.cache/deb-proof
mkdir -p "$CACHE"
# What the root file system holds; its hash names the cached tarball.
PACKAGES=systemd,systemd-sysv,udev,dbus,kmod,procps,man-db,bash-completion,linux-image-cloud-amd64,initramfs-tools
KEY=$(printf '%s\n' bookworm "$PACKAGES" | sha256sum | cut -c1-12)
TARBALL=$CACHE/bookworm-$KEY.tar.zst
if [ ! -s "$TARBALL" ]; then
  t0=$(date +%s)
  BUILD=$(mktemp -d /var/tmp/kharden-debootstrap.XXXXXX)
  debootstrap --variant=minbase --include="$PACKAGES" bookworm "$BUILD" \
    http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log"; exit 1; }
  chroot "$BUILD" apt-get clean
  tar --zstd -C "$BUILD" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$BUILD"
  echo "debootstrap: $(( $(date +%s) - t0 )) s (cached as $TARBALL)"
fi

WORK=$(mktemp -d /var/tmp/kharden-proof.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir "$ROOT"
tar --zstd -C "$ROOT" -xf "$TARBALL"
install -m 0644 "$DEB" "$ROOT/root/kharden.deb"
install -m 0755 scripts/deb/proof-guest.sh "$ROOT/root/proof-guest.sh"
cat >"$ROOT/etc/systemd/system/kharden-proof.service" <<'EOF'
[Unit]
Description=kharden package proof (scripts/deb/proof-guest.sh)
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/root/proof-guest.sh
StandardOutput=tty
TTYPath=/dev/ttyS1
EOF
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/kharden-proof.service \
  "$ROOT/etc/systemd/system/multi-user.target.wants/kharden-proof.service"
# node_exporter's textfile directory, as prometheus-node-exporter creates it.
mkdir -p "$ROOT/var/lib/prometheus/node-exporter"
echo '/dev/vda / ext4 rw 0 1' >"$ROOT/etc/fstab"
echo kharden-proof >"$ROOT/etc/hostname"
# A serial console with no login prompt to wait for; no periodic jobs competing with the checks
# for the one emulated CPU (man-db's index is not rebuilt on install: `man` finds pages
# without it).
for t in man-db apt-daily apt-daily-upgrade e2scrub_all fstrim dpkg-db-backup; do
  ln -sf /dev/null "$ROOT/etc/systemd/system/$t.timer"
done
rm -f "$ROOT/var/lib/man-db/auto-update"
ln -sf /dev/null "$ROOT/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$ROOT/etc/systemd/system/serial-getty@ttyS1.service"
KERNEL=$(ls "$ROOT"/boot/vmlinuz-* | sort -V | tail -1)
INITRD=$(ls "$ROOT"/boot/initrd.img-* | sort -V | tail -1)
cp "$KERNEL" "$INITRD" "$WORK/"
KERNEL=$WORK/$(basename "$KERNEL") INITRD=$WORK/$(basename "$INITRD")
mkfs.ext4 -q -F -L root -d "$ROOT" "$WORK/disk.img" 3G
rm -rf "$ROOT"

# Software emulation, as the test bed boots (no KVM on CI machines; nested KVM with -cpu max
# also fails here on MSRs).
ACCEL=tcg
boot() { # boot N: one boot until the guest powers off or reboots (-no-reboot)
  local t0
  t0=$(date +%s)
  timeout -k 5 420 qemu-system-x86_64 -accel "$ACCEL" -cpu max -smp 1 -m 1024M -nodefaults \
    -display none -no-reboot -kernel "$KERNEL" -initrd "$INITRD" \
    -append "root=/dev/vda rw console=ttyS0 panic=-1 quiet systemd.show_status=0" \
    -drive "file=$WORK/disk.img,if=virtio,format=raw" \
    -serial "file:$WORK/console$1.log" -serial "file:$WORK/results$1.log" \
    || { echo "boot $1: qemu failed or timed out"; tail -30 "$WORK/console$1.log"; exit 1; }
  echo "boot $1: $(( $(date +%s) - t0 )) s ($ACCEL)"
}
boot 1
boot 2
cat "$WORK/results1.log" "$WORK/results2.log" | tr -d '\r' >"$WORK/results.log"

# The report and textfile the timer wrote, passed back base64-encoded, checked here too.
python3 - "$WORK/results.log" "$WORK" <<'EOF'
import base64, json, re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
for name in ("audit.json", "kharden.prom"):
    m = re.search(rf"@@BEGIN {re.escape(name)}\n(.*?)@@END {re.escape(name)}", text, re.S)
    if m:
        open(f"{sys.argv[2]}/{name}", "wb").write(base64.b64decode(m.group(1)))
doc = json.load(open(f"{sys.argv[2]}/audit.json"))
assert doc["schema"].startswith("kharden.audit/"), doc["schema"]
assert doc["findings"], "no findings"
print(f"ok report: {doc['schema']}, {len(doc['findings'])} findings, kernel {doc['kernel']['release']}")
EOF
if promtool check metrics <"$WORK/kharden.prom"; then
  echo "ok promtool check metrics"
else
  echo "FAIL promtool check metrics" | tee -a "$WORK/results.log"
fi
grep -a '^\(ok\|FAIL\|info\) ' "$WORK/results.log"
[ -n "$REPORT" ] && cp "$WORK/results.log" "$REPORT"
grep -aq '^@@DONE' "$WORK/results.log" || { echo "FAIL: the guest did not finish"; tail -40 "$WORK/console2.log"; exit 1; }
if grep -aq '^FAIL ' "$WORK/results.log"; then exit 1; fi
echo "deb proof: all checks passed in $(( $(date +%s) - START )) s"
