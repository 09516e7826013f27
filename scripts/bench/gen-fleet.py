#!/usr/bin/env python3
"""Generate a fleet of snapshot archives for `kharden fleet` benchmarks (bench-fleet.sh).

Usage: gen-fleet.py SEED N OUTDIR BASE.tar...
BASE.tar: uncompressed `kharden snapshot` archives of the committed snapshot trees (the script
that calls this makes them). Each of the N hosts starts from a base picked by a seeded random
generator and varies what fleets vary: the kernel release's ABI number (the config file moves
with it), the lockdown level, kptr_restrict and dmesg_restrict, the host name and boot id, and
on one host in ten a policy waiver with an expiry date. A kernel config is stored as plain text
(hosts keep /boot/config-* uncompressed; the committed trees keep it xz-compressed to save
space). Writes OUTDIR/hostNNNNN.tar (ustar, regular files and directories only, as kharden
writes them); the caller compresses them with zstd.
"""
import io
import lzma
import random
import sys
import tarfile
import uuid

seed, count, outdir, bases = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
rng = random.Random(seed)


def load(path):
    members = []
    with tarfile.open(path, format=tarfile.USTAR_FORMAT) as t:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else None
            if data is not None and m.name.startswith("boot/config-") and data[:6] == b"\xfd7zXZ\x00":
                data = lzma.decompress(data)
            members.append((m.name, m.isdir(), data))
    return members


base_trees = [load(b) for b in bases]


def put(out, name, data=None):
    info = tarfile.TarInfo(name)
    info.mtime = 0
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        out.addfile(info)
    else:
        info.size = len(data)
        info.mode = 0o644
        out.addfile(info, io.BytesIO(data))


for n in range(count):
    members = dict((name, (is_dir, data)) for name, is_dir, data in rng.choice(base_trees))
    release = members["proc/sys/kernel/osrelease"][1].decode().strip()
    if rng.random() < 0.2:  # another ABI number of the same kernel
        parts = release.split("-")
        if len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(int(parts[1]) + rng.choice([-2, -1, 1]))
            new = "-".join(parts)
            for key in list(members):
                if release in key:
                    members[key.replace(release, new)] = members.pop(key)
            members["proc/sys/kernel/osrelease"] = (False, (new + "\n").encode())
    if "sys/kernel/security/lockdown" in members and rng.random() < 0.3:
        level = rng.choice(["none", "integrity", "confidentiality"])
        text = " ".join(f"[{w}]" if w == level else w for w in ["none", "integrity", "confidentiality"])
        members["sys/kernel/security/lockdown"] = (False, (text + "\n").encode())
    for key, values in (("proc/sys/kernel/kptr_restrict", "012"), ("proc/sys/kernel/dmesg_restrict", "01")):
        if key in members and rng.random() < 0.3:
            members[key] = (False, (rng.choice(values) + "\n").encode())
    hostname = f"node{n:05d}.dc{rng.randrange(4)}"
    boot_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    members["proc/sys/kernel/hostname"] = (False, (hostname + "\n").encode())
    members["proc/sys/kernel/random/boot_id"] = (False, (boot_id + "\n").encode())
    if rng.random() < 0.1:
        day = rng.randrange(1, 28)
        members["etc/kharden/policy.toml"] = (False, (
            '[[waiver]]\nrule = "kptr-restrict"\nreason = "perf on build hosts"\n'
            f"expires = 2027-0{rng.randrange(1, 9)}-{day:02d}\n").encode())
    manifest = f"kharden-snapshot 1\nboot_id={boot_id}\nhostname={hostname}\ntime=2026-12-05T00:00:00Z\nkharden_version=bench\n"
    with tarfile.open(f"{outdir}/host{n:05d}.tar", "w", format=tarfile.USTAR_FORMAT) as out:
        put(out, "KHARDEN-SNAPSHOT", manifest.encode())
        for name in sorted(members):
            if name == "KHARDEN-SNAPSHOT":
                continue
            is_dir, data = members[name]
            put(out, name, None if is_dir else data)
