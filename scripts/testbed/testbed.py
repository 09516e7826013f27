#!/usr/bin/env python3
"""kharden real-kernel test bed: boot Debian's kernels under QEMU (TCG), capture their state or
run kharden inside them.

    testbed.py fetch   [KERNEL...]                      download + unpack (cached)
    testbed.py capture --kernel K [--firmware F] [--cmdline "..."] [--sysctl k=v]... --out TREE
    testbed.py run     --kernel K [--firmware F] [--cmdline "..."] --kharden BIN -- ARGS...

KERNEL is a key (deb12-6.1-generic, deb12-6.1-cloud, deb12-6.12-cloud), resolved through the
Debian meta-package to the current ABI package, or an exact package name (linux-image-...); or
a key of SUITE_KERNELS (sid-cloud-amd64, sid-cloud-arm64): the suite's newest linux-binary-,
linux-modules- and linux-base- packages of that flavour, fetched by name from Debian's archive
(scripts/modsign/fetch-debian-suite.sh), which ones ran recorded. arm64 kernels boot under
qemu-system-aarch64 (-M virt, UEFI firmware from qemu-efi-aarch64: --firmware aavmf).
Everything is written under the cache (default <repo>/.cache/testbed, env KHARDEN_TB_CACHE) or
the output paths given on the command line. Nothing needs KVM; QEMU gets a hard timeout.
Python 3 stdlib only (--db-cert installs PyPI virt-firmware into the cache); host tools: see
install-deps.sh.
"""
from __future__ import annotations

import argparse
import base64
import datetime as _dt
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = Path(os.environ.get("KHARDEN_TB_CACHE", REPO / ".cache" / "testbed"))

# key -> Debian meta-package whose Depends names the current ABI package
KERNELS = {
    "deb12-6.1-generic": "linux-image-amd64",
    "deb12-6.1-cloud": "linux-image-cloud-amd64",
    "deb12-6.12-cloud": "linux-image-6.12-cloud-amd64",
}
# fallback when apt-cache cannot answer (offline): newest cached .deb matching
KERNEL_GLOBS = {
    "deb12-6.1-generic": r"linux-image-6\.1\.0-\d+-amd64",
    "deb12-6.1-cloud": r"linux-image-6\.1\.0-\d+-cloud-amd64",
    "deb12-6.12-cloud": r"linux-image-6\.12\.\d+\+deb12-cloud-amd64",
}
# key -> (suite, Debian arch, flavour): the suite's newest release of the flavour, split the
# 2026 way (linux-binary-REL: /usr/lib/modules/REL/vmlinuz; linux-modules-REL; linux-base-REL:
# config), fetched by name (the next upload is picked up; PROVENANCE records which one ran)
SUITE_KERNELS = {
    "sid-cloud-amd64": ("sid", "amd64", "cloud-amd64"),
    "sid-cloud-arm64": ("sid", "arm64", "cloud-arm64"),
}
FETCH_SUITE = REPO / "scripts" / "modsign" / "fetch-debian-suite.sh"
FIRMWARES = ("bios", "ovmf", "ovmf-sb", "aavmf")
AAVMF = Path("/usr/share/AAVMF")  # qemu-efi-aarch64
# small signed modules with no dependencies; the first the kernel ships is the "debian-signed"
# (and, re-signed, the "ours") test module. crc7 is no module of Debian's 7.x arm64 flavour.
SIGNED_MODULES = ("lib/crc7", "lib/crc/crc-itu-t", "lib/crc-itu-t")
OVMF = Path("/usr/share/OVMF")
SNAKEOIL_KEY = Path("/usr/share/ovmf/PkKek-1-snakeoil.key")  # PKCS#8, password "snakeoil"
SNAKEOIL_CERT = Path("/usr/share/ovmf/PkKek-1-snakeoil.pem")
BASE_CMDLINE = "console=ttyS0 panic=-1"
# arm64 (-M virt): the PL011 is the console; results go to a virtio console (/dev/hvc0), QEMU 7.2's
# virt machine having a single non-secure UART
ARM64_CMDLINE = "console=ttyAMA0 panic=-1"
SIG_MAGIC = b"~Module signature appended~\n"
EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-00e098032b8c"


def log(msg: str) -> None:
    print(f"testbed: {msg}", file=sys.stderr, flush=True)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def tmp_name(path: Path) -> Path:
    """A sibling name private to this process and thread, for write-then-rename: parallel boots
    (capture-all.sh, e2e.py -j) may build the same cached file at the same time."""
    import threading
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# kernels


@dataclass
class Kernel:
    key: str
    package: str
    version: str
    deb: Path
    deb_sha256: str
    root: Path  # unpacked package(s)
    release: str  # uname -r
    arch: str = "amd64"  # Debian's name
    # suite kernels: one "package version arch (suite, sha256)" line per package that ran
    parts: list[str] = field(default_factory=list)

    @property
    def usrlib(self) -> Path:
        """/usr/lib/modules/REL of the 2026 layout (vmlinuz, config, kernel/)."""
        return self.root / "usr" / "lib" / "modules" / self.release

    @property
    def vmlinuz(self) -> Path:
        old = self.root / "boot" / f"vmlinuz-{self.release}"
        return old if old.exists() or not (self.usrlib / "vmlinuz").exists() else self.usrlib / "vmlinuz"

    @property
    def config(self) -> Path:
        old = self.root / "boot" / f"config-{self.release}"
        return old if old.exists() or not (self.usrlib / "config").exists() else self.usrlib / "config"

    @property
    def config_rel(self) -> str:
        """Where an installed system keeps the config, relative to / (boot/ or usr/lib/modules/)."""
        return str(self.config.relative_to(self.root))

    def signed_module(self) -> bytes:
        """The first of SIGNED_MODULES this kernel ships."""
        for rel in SIGNED_MODULES:
            try:
                return self.module(rel)
            except FileNotFoundError:
                continue
        raise FileNotFoundError(f"none of {SIGNED_MODULES} in {self.package}")

    def module(self, rel: str) -> bytes:
        """Uncompressed bytes of [usr/]lib/modules/<release>/kernel/<rel>.ko[.xz|.zst]."""
        base = self.root / "lib" / "modules" / self.release / "kernel" / f"{rel}.ko"
        if not base.parent.exists():
            base = self.usrlib / "kernel" / f"{rel}.ko"
        if base.exists():
            return base.read_bytes()
        if base.with_suffix(".ko.xz").exists():
            return lzma.decompress(base.with_suffix(".ko.xz").read_bytes())
        if base.with_suffix(".ko.zst").exists():
            return sh(["zstd", "-dc", str(base.with_suffix(".ko.zst"))], capture_output=True).stdout
        raise FileNotFoundError(base)


def resolve_package(spec: str) -> str:
    if spec.startswith("linux-image-") and spec not in KERNELS.values():
        return spec
    if spec not in KERNELS:
        raise SystemExit(f"unknown kernel {spec!r}; known: {', '.join(KERNELS)} or linux-image-*")
    meta = KERNELS[spec]
    try:
        out = subprocess.run(["apt-cache", "depends", meta], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            m = re.match(r"\s*Depends:\s*(linux-image-\S+)", line)
            if m and re.fullmatch(KERNEL_GLOBS[spec], m.group(1)):
                return m.group(1)
    except (OSError, subprocess.CalledProcessError):
        pass
    cached = sorted((p for p in (CACHE / "debs").glob("linux-image-*.deb")
                     if re.fullmatch(KERNEL_GLOBS[spec], p.name.split("_")[0])), key=lambda p: p.name)
    if cached:
        log(f"apt-cache could not resolve {meta}; using cached {cached[-1].name}")
        return cached[-1].name.split("_")[0]
    raise SystemExit(f"cannot resolve {spec} ({meta}) via apt-cache and nothing is cached")


def fetch_suite(spec: str) -> Kernel:
    """SUITE_KERNELS[spec]: the binary, modules and base packages of the suite's newest release
    of the flavour, merged (hard links) into one tree under the cache."""
    suite, arch, flavour = SUITE_KERNELS[spec]
    pats = [f"^linux-{p}-[0-9.]+\\+deb[0-9]+-{flavour}$" for p in ("binary", "modules", "base")]
    out = sh([str(FETCH_SUITE), suite, arch, *pats], capture_output=True, text=True)
    dirs = [Path(d) for d in out.stdout.split()]
    if len(dirs) != 3:
        raise SystemExit(f"fetch-debian-suite.sh {suite} {arch}: expected 3 directories, got {dirs}")
    parts = [(d / ".complete").read_text().strip() for d in dirs]
    pkg, version = parts[0].split()[:2]
    vml = sorted(dirs[0].glob("usr/lib/modules/*/vmlinuz"))
    if len(vml) != 1:
        raise SystemExit(f"expected one usr/lib/modules/*/vmlinuz in {dirs[0]}, got {vml}")
    release = vml[0].parent.name
    root = CACHE / "x" / f"{spec}_{release}_{version}"
    if not (root / ".complete").exists():
        tmp = Path(tempfile.mkdtemp(dir=CACHE, prefix="unpack."))
        for d in dirs:
            sh(["cp", "-alf", f"{d}/.", str(tmp)])  # hard links: the packages stay in one place
        (tmp / ".complete").unlink()
        (tmp / ".complete").write_text("\n".join(parts) + "\n")
        if root.exists():
            shutil.rmtree(root)
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(root)
    deb = sorted(Path(str(dirs[0])).parent.parent.glob(f"debs/{pkg}_*_{arch}.deb"))[-1]
    digest = parts[0].rsplit(", ", 1)[1].rstrip(")")
    if arch != "amd64":
        busybox_binary(arch)  # the guest's userland, fetched now rather than by parallel boots
    return Kernel(spec, pkg, version, deb, digest, root, release, arch, parts)


def fetch(spec: str) -> Kernel:
    if spec in SUITE_KERNELS:
        return fetch_suite(spec)
    pkg = resolve_package(spec)
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{pkg}_*.deb"))
    if not found:
        log(f"apt-get download {pkg}")
        # as root, apt would hand the download to its _apt user, which cannot write here
        sandbox = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
        sh(["apt-get", "download", "-q", *sandbox, pkg], cwd=debs, stdout=subprocess.DEVNULL)
        found = sorted(debs.glob(f"{pkg}_*.deb"))
        if not found:
            raise SystemExit(f"apt-get download {pkg} produced no .deb")
    deb = found[-1]
    root = CACHE / "x" / pkg
    if not (root / "boot").is_dir():
        tmp = Path(tempfile.mkdtemp(dir=CACHE, prefix="unpack."))
        log(f"dpkg-deb -x {deb.name}")
        sh(["dpkg-deb", "-x", str(deb), str(tmp)])
        if root.exists():
            shutil.rmtree(root)
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(root)
    version = sh(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True).stdout.strip()
    vml = sorted((root / "boot").glob("vmlinuz-*"))
    if len(vml) != 1:
        raise SystemExit(f"expected one vmlinuz in {root}/boot, got {vml}")
    release = vml[0].name[len("vmlinuz-"):]
    shafile = deb.with_suffix(".deb.sha256")
    if shafile.exists() and shafile.stat().st_mtime >= deb.stat().st_mtime:
        digest = shafile.read_text().strip()
    else:
        digest = sha256(deb)
        shafile.write_text(digest + "\n")
    return Kernel(spec, pkg, version, deb, digest, root, release)


def snakeoil_vmlinuz(k: Kernel) -> Path:
    """The Debian vmlinuz re-signed with OVMF's snakeoil PK/KEK key (trusted by the
    OVMF_VARS_4M.snakeoil.fd varstore), for Secure Boot boots."""
    out = CACHE / "sb" / f"vmlinuz-{k.release}.snakeoil"
    if out.exists() and out.stat().st_mtime >= k.vmlinuz.stat().st_mtime:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    key = CACHE / "sb" / "snakeoil.key"
    if not key.exists():
        tk = tmp_name(key)
        sh(["openssl", "pkcs8", "-in", str(SNAKEOIL_KEY), "-passin", "pass:snakeoil",
            "-out", str(tk)], stdout=subprocess.DEVNULL)
        os.replace(tk, key)
    unsigned, signed = tmp_name(out.with_suffix(".unsigned")), tmp_name(out)
    shutil.copyfile(k.vmlinuz, unsigned)
    sh(["sbattach", "--remove", str(unsigned)], stdout=subprocess.DEVNULL)
    sh(["sbsign", "--key", str(key), "--cert", str(SNAKEOIL_CERT), "--output", str(signed),
        str(unsigned)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    unsigned.unlink()
    os.replace(signed, out)
    return out


# --------------------------------------------------------------------------------------------
# initramfs


def strip_signature(ko: bytes) -> bytes:
    """<module><PKCS#7><struct module_signature (12 bytes)><magic (28 bytes)> -> <module>."""
    if not ko.endswith(SIG_MAGIC):
        raise ValueError("module carries no appended signature")
    info = ko[-len(SIG_MAGIC) - 12:-len(SIG_MAGIC)]
    sig_len = struct.unpack(">I", info[8:12])[0]
    return ko[: len(ko) - len(SIG_MAGIC) - 12 - sig_len]


def helper_binary(arch: str = "amd64") -> Path:
    src = HERE / "guest" / "tbhelper.c"
    # named by the source's content: checkouts sharing one cache may hold different helpers
    tag = "" if arch == "amd64" else f"{arch}-"
    out = CACHE / "bin" / f"tbhelper-{tag}{hashlib.sha256(src.read_bytes()).hexdigest()[:16]}"
    cc = {"amd64": "gcc", "arm64": "aarch64-linux-gnu-gcc"}[arch]  # arm64: gcc-aarch64-linux-gnu
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_name(out)
        sh([cc, "-O2", "-static", "-Wall", "-o", str(tmp), str(src)])
        os.replace(tmp, out)
    return out


def busybox_binary(arch: str = "amd64") -> Path:
    if arch != "amd64":  # the guest's own architecture: Debian's busybox-static for it, by name
        out = sh([str(FETCH_SUITE), "sid", arch, "^busybox-static$"], capture_output=True, text=True)
        for p in (Path(out.stdout.strip()) / "bin" / "busybox", Path(out.stdout.strip()) / "usr/bin/busybox"):
            if p.exists():
                return p
        raise SystemExit(f"no busybox in busybox-static:{arch} ({out.stdout.strip()})")
    for p in (Path("/bin/busybox"), Path("/usr/bin/busybox")):
        if p.exists():
            out = subprocess.run(["ldd", str(p)], capture_output=True, text=True)
            if "not a dynamic" in out.stdout + out.stderr:
                return p
    raise SystemExit("static busybox not found (apt-get install busybox-static)")


def bundle_binary(binary: Path, stage: Path, dst_rel: str = "tb/kharden") -> None:
    """Copy BINARY to /DST_REL (default /tb/kharden) plus, for a dynamic ELF, the libraries
    ldd lists (at the same absolute paths, symlinks resolved)."""
    dst = stage / dst_rel
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(binary, dst)
    dst.chmod(0o755)
    if binary.read_bytes()[:4] != b"\x7fELF":
        return  # a script (the fake): the guest's busybox sh runs it
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        m = re.search(r"(/\S+)\s+\(0x", line)
        if not m:
            continue
        lib = Path(m.group(1))
        target = stage / lib.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib.resolve(), target)
        target.chmod(0o755)


def write_cpio(stage: Path, out: Path, compress: bool) -> None:
    files = subprocess.run(["find", ".", "-mindepth", "1"], cwd=stage, capture_output=True,
                           text=True, check=True).stdout
    names = "\n".join(sorted(files.split())) + "\n"
    data = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet", "--owner=0:0"], cwd=stage,
                          input=names.encode(), capture_output=True, check=True).stdout
    if compress:
        data = subprocess.run(["gzip", "-1", "-n"], input=data, capture_output=True, check=True).stdout
    tmp = tmp_name(out)
    tmp.write_bytes(data)
    os.replace(tmp, out)


def base_initramfs(k: Kernel, kharden: Path | None, ours_ko: Path | None,
                   extra_kos: list[tuple[str, Path]] | None = None,
                   tools: list[str] | None = None) -> Path:
    h = hashlib.sha256()
    extras = [part for key, ko in (extra_kos or []) for part in (key, ko.read_bytes())]
    extras += [part for t in (tools or []) for part in (t, Path(t).resolve().read_bytes())]
    for part in (k.package, k.version, (HERE / "guest" / "init.sh").read_bytes(),
                 helper_binary(k.arch).read_bytes(),
                 kharden.read_bytes() if kharden else b"-", ours_ko.read_bytes() if ours_ko else b"-",
                 *extras):
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    out = CACHE / "initramfs" / f"{k.release}-{h.hexdigest()[:16]}.cpio.gz"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="stage.") as tmp:
        stage = Path(tmp)
        for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "boot", "tb/mod"):
            (stage / d).mkdir(parents=True, exist_ok=True)
        stage.chmod(0o755)
        (stage / "tmp").chmod(0o1777)
        shutil.copyfile(busybox_binary(k.arch), stage / "bin" / "busybox")
        (stage / "bin" / "busybox").chmod(0o755)
        shutil.copyfile(HERE / "guest" / "init.sh", stage / "init")
        (stage / "init").chmod(0o755)
        shutil.copyfile(helper_binary(k.arch), stage / "tb" / "tbhelper")
        (stage / "tb" / "tbhelper").chmod(0o755)
        (stage / "etc" / "passwd").write_text("root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
        (stage / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
        # as on an installed system, so kharden in the guest finds the kernel's config
        (stage / k.config_rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(k.config, stage / k.config_rel)
        mod = stage / "tb" / "mod"
        (mod / "debian-signed.ko").write_bytes(k.signed_module())
        (mod / "unsigned.ko").write_bytes(strip_signature(k.module("lib/ts_kmp")))
        try:
            (mod / "efivarfs.ko").write_bytes(k.module("fs/efivarfs/efivarfs"))
        except FileNotFoundError:
            pass  # built in
        if ours_ko:
            shutil.copyfile(ours_ko, mod / "ours.ko")
        for key, ko in extra_kos or []:  # init.sh loads each as insmod_x_<key>
            shutil.copyfile(ko, mod / f"x-{key}.ko")
        if kharden:
            bundle_binary(kharden, stage)
        for t in tools or []:  # the host's own binaries at their own paths (Job.tools)
            bundle_binary(Path(t).resolve(), stage, t.lstrip("/"))
        write_cpio(stage, out, compress=True)
    return out


# --------------------------------------------------------------------------------------------
# boot


@dataclass
class Job:
    kernel: str
    firmware: str = "bios"
    cmdline: str = ""
    sysctl: list[str] = field(default_factory=list)  # runtime writes before capture/runs
    mode: str = "capture"  # capture | run
    # (kharden args, uid[, "before" | "after" the module/kexec experiments])
    runs: list[tuple] = field(default_factory=list)
    kharden: Path | None = None
    ours_ko: Path | None = None  # a module for this kernel signed with our key, or
    ours_signer: str | None = None  # a command "... {in} {out}" that signs the kernel's crc7.ko
    db_certs: list[Path] = field(default_factory=list)  # added to the OVMF varstore's db
    # more modules to load after "ours": (key, file); OBSERVED insmod_x_<key>[_errno|_module|_taint],
    # tainted_after_x_<key>. key: [a-z0-9_]
    extra_kos: list[tuple[str, Path]] = field(default_factory=list)
    timeout: int = 240
    mem: str = "512M"
    # a shell script (busybox sh) run as root after the "before" kharden runs and before the
    # experiments; its output comes back as blocks script.out, script.err, script.rc, and
    # every file it leaves under /tmp/script-out as script-out.tar
    script: str = ""
    # host binaries copied into the guest at their own absolute paths, with their libraries
    # (e.g. /usr/sbin/sysctl from procps, /lib/systemd/systemd-sysctl)
    tools: list[str] = field(default_factory=list)
    # host files put into this boot's own (uncompressed) archive: (absolute guest path, host
    # file), e.g. the kernel image at /boot/vmlinuz-<release> for a probe that reads it
    files: list[tuple[str, Path]] = field(default_factory=list)


@dataclass
class Result:
    job: Job
    kernel: Kernel
    workdir: Path
    cmdline: str
    wall: float
    blocks: dict[str, bytes]
    observed: dict[str, str]
    qemu_cmd: list[str]

    def run(self, i: int) -> tuple[str, str, int]:
        b = self.blocks
        return (b.get(f"run{i}.out", b"").decode(errors="replace"),
                b.get(f"run{i}.err", b"").decode(errors="replace"),
                int(b.get(f"run{i}.rc", b"255").decode().strip() or 255))


class BootError(RuntimeError):
    pass


def parse_blocks(raw: bytes) -> dict[str, bytes]:
    text = raw.decode("ascii", errors="replace").replace("\r", "")
    blocks: dict[str, bytes] = {}
    for m in re.finditer(r"^@@TB-BEGIN (\S+)\n(.*?)^@@TB-END \1$", text, re.S | re.M):
        blocks[m.group(1)] = base64.b64decode("".join(m.group(2).split()))
    if "@@TB-DONE" in text:
        blocks["@done"] = b""
    return blocks


def script_outputs(res: Result) -> dict[str, str]:
    """The files the script left in /tmp/script-out, by name."""
    raw = res.blocks.get("script-out.tar")
    if raw is None:
        raise RuntimeError(f"{res.workdir}: the guest sent no script-out.tar "
                           f"(script rc {res.blocks.get('script.rc', b'?').decode().strip()}, "
                           f"stderr {res.blocks.get('script.err', b'').decode(errors='replace')[-300:]})")
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        for m in t.getmembers():
            if m.isfile():
                out[Path(m.name).name] = t.extractfile(m).read().decode(errors="replace")
    return out


def parse_kv(data: bytes) -> dict[str, str]:
    out = {}
    for line in data.decode(errors="replace").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def job_cpio(job: Job, path: Path, out_dev: str = "") -> None:
    def q(s: str) -> str:
        return "'" + s.replace("'", "'\\''") + "'"
    lines = [f"MODE={job.mode}", f"SYSCTL_PRE={q(' '.join(job.sysctl))}", f"RUN_COUNT={len(job.runs)}"]
    if out_dev:  # where init.sh writes its results (default /dev/ttyS1)
        lines.append(f"TB_OUT={out_dev}")
    for i, run in enumerate(job.runs, 1):
        args, uid = run[0], run[1]
        phase = run[2] if len(run) > 2 else "before"
        lines += [f"RUN_{i}_ARGS={q(' '.join(args))}", f"RUN_{i}_UID={uid}", f"RUN_{i}_PHASE={phase}"]
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="job.") as tmp:
        (Path(tmp) / "tb").mkdir()
        (Path(tmp) / "tb" / "job").write_text("\n".join(lines) + "\n")
        if job.script:
            (Path(tmp) / "tb" / "script").write_text(job.script)
        for dst, src in job.files:
            rel = Path(dst)
            if not rel.is_absolute() or ".." in rel.parts:
                raise SystemExit(f"job file destination must be an absolute path without '..': {dst}")
            out = Path(tmp) / rel.relative_to("/")
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
        write_cpio(Path(tmp), path, compress=False)


SHIM_GUID = "605dab50-e046-4300-abb6-3dd810dd8b23"  # owner GUID of the db entries we add


def _interpreter_exists(script: Path) -> bool:
    """Whether the interpreter a script's `#!` line names is there."""
    first = script.read_bytes()[:256].split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        return True
    words = first[2:].split()
    return bool(words) and Path(words[0].decode(errors="replace")).exists()


def virt_fw_vars() -> Path:
    """virt-fw-vars (PyPI virt-firmware; not packaged in Debian 12), installed once into a venv
    in the cache. Only needed for --db-cert."""
    env = os.environ.get("KHARDEN_TB_VIRT_FW_VARS")
    if env:
        return Path(env)
    venv = CACHE / "venv"
    tool = venv / "bin" / "virt-fw-vars"
    if tool.exists() and not _interpreter_exists(tool):
        # A venv names its own absolute path in every script: a cache moved with its checkout
        # (or copied into another clone) holds tools whose interpreter is gone.
        log("the cached venv was made elsewhere; making it again in " + str(venv))
        shutil.rmtree(venv)
    if not tool.exists():
        log("installing virt-firmware into " + str(venv))
        sh([sys.executable, "-m", "venv", "--system-site-packages", str(venv)])
        sh([str(venv / "bin" / "pip"), "install", "-q", "virt-firmware"])
    return tool


def der_cert(cert: Path, workdir: Path) -> Path:
    data = cert.read_bytes()
    if b"-----BEGIN" not in data:
        return cert
    out = workdir / (cert.stem + ".der")
    sh(["openssl", "x509", "-in", str(cert), "-outform", "DER", "-out", str(out)])
    return out


def firmware_args(fw: str, workdir: Path, db_certs: list[Path] | None = None) -> list[str]:
    if fw == "aavmf":  # arm64 UEFI (EDK2 ArmVirtQemu), an empty varstore: Secure Boot off
        if db_certs:
            raise SystemExit("--db-cert is not supported with --firmware aavmf")
        vars_copy = workdir / "AAVMF_VARS.fd"
        shutil.copyfile(AAVMF / "AAVMF_VARS.fd", vars_copy)
        return ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={AAVMF / 'AAVMF_CODE.fd'}",
                "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    if fw == "bios":
        if db_certs:
            raise SystemExit("--db-cert needs --firmware ovmf or ovmf-sb")
        return ["-machine", "pc"]
    vars_src = OVMF / ("OVMF_VARS_4M.fd" if fw == "ovmf" else "OVMF_VARS_4M.snakeoil.fd")
    code = OVMF / ("OVMF_CODE_4M.fd" if fw == "ovmf" else "OVMF_CODE_4M.secboot.fd")
    vars_copy = workdir / "OVMF_VARS.fd"
    if db_certs:
        # Debian's kernel loads UEFI db certificates into the .platform keyring and (Debian
        # patch) accepts module signatures from it: the way to make it trust our key.
        args = [str(virt_fw_vars()), "-i", str(vars_src), "-o", str(vars_copy)]
        for c in db_certs:
            args += ["--add-db", SHIM_GUID, str(der_cert(c, workdir))]
        sh(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        shutil.copyfile(vars_src, vars_copy)
    args = ["-machine", "q35" if fw == "ovmf" else "q35,smm=on"]
    if fw == "ovmf-sb":
        args += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
    return args + ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                   "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]


def boot(job: Job, workdir: Path) -> Result:
    if job.firmware not in FIRMWARES:
        raise SystemExit(f"firmware must be one of {FIRMWARES}")
    k = fetch(job.kernel)
    workdir.mkdir(parents=True, exist_ok=True)
    ours = job.ours_ko
    if job.ours_signer:
        ours = sign_ours(k, job.ours_signer, workdir)
    # the test modules as the guest gets them, for host-side cross-checks (modsign verify)
    (workdir / "mod").mkdir(exist_ok=True)
    (workdir / "mod" / "debian-signed.ko").write_bytes(k.signed_module())
    (workdir / "mod" / "unsigned.ko").write_bytes(strip_signature(k.module("lib/ts_kmp")))
    if ours:
        shutil.copyfile(ours, workdir / "mod" / "ours.ko")
    for key, _ in job.extra_kos:
        if not re.fullmatch(r"[a-z0-9_]+", key):
            raise SystemExit(f"extra module key must match [a-z0-9_]+: {key!r}")
    base = base_initramfs(k, job.kharden, ours, job.extra_kos, job.tools)
    job_cpio(job, workdir / "job.cpio", "/dev/hvc0" if k.arch == "arm64" else "")
    initrd = workdir / "initrd.img"
    with open(initrd, "wb") as f:  # the kernel unpacks concatenated archives in turn
        f.write((workdir / "job.cpio").read_bytes())  # uncompressed first, like early microcode
        f.write(base.read_bytes())
    vmlinuz = snakeoil_vmlinuz(k) if job.firmware == "ovmf-sb" else k.vmlinuz
    arm64 = k.arch == "arm64"
    if arm64 != (job.firmware == "aavmf"):
        raise SystemExit(f"{k.key}: firmware {job.firmware} does not fit {k.arch} (arm64 boots with aavmf only)")
    cmdline = " ".join(x for x in (ARM64_CMDLINE if arm64 else BASE_CMDLINE, job.cmdline) if x)
    console, results = workdir / "console.log", workdir / "results.txt"
    for p in (console, results):
        p.unlink(missing_ok=True)
    if arm64:
        machine = [qemu_binary(k.arch), "-accel", "tcg", *ARM64_MACHINE, "-smp", "1", "-m", job.mem,
                   "-nodefaults", "-display", "none", "-no-reboot", "-monitor", "none",
                   *firmware_args(job.firmware, workdir, job.db_certs), "-serial", f"file:{console}",
                   "-device", "virtio-serial-pci", "-chardev", f"file,id=tbout,path={results}",
                   "-device", "virtconsole,chardev=tbout"]
    else:
        machine = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", job.mem,
                   "-nodefaults", "-display", "none", "-no-reboot", "-monitor", "none",
                   *firmware_args(job.firmware, workdir, job.db_certs),
                   "-serial", f"file:{console}", "-serial", f"file:{results}"]
    # coreutils timeout around QEMU too: a guest outlives no killed driver
    cmd = ["timeout", "-k", "5", str(job.timeout + 5), *machine,
           "-kernel", str(vmlinuz), "-initrd", str(initrd), "-append", cmdline]
    (workdir / "qemu-cmd.txt").write_text(" ".join(cmd) + "\n")
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=job.timeout)
        qrc = proc.returncode
        qerr = proc.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        qrc, qerr = None, f"timed out after {job.timeout}s"
    wall = time.monotonic() - t0
    initrd.unlink(missing_ok=True)  # 2-6 MB each; job.cpio + the cached base rebuild it
    (workdir / "AAVMF_VARS.fd").unlink(missing_ok=True)  # 64 MB, a copy of the package's
    prune_cache()
    blocks = parse_blocks(results.read_bytes() if results.exists() else b"")
    if "@done" not in blocks:
        tail = console.read_text(errors="replace")[-3000:] if console.exists() else ""
        raise BootError(f"guest did not finish (qemu rc={qrc}, {qerr.strip()}); "
                        f"console tail ({console}):\n{tail}")
    for name, data in blocks.items():
        if not name.startswith("@"):
            (workdir / name).write_bytes(data)
    observed = parse_kv(blocks.get("OBSERVED", b""))
    meta = {"kernel_key": k.key, "package": k.package, "version": k.version,
            "deb_sha256": k.deb_sha256, "release": k.release, "firmware": job.firmware,
            "cmdline": cmdline, "sysctl_pre": job.sysctl, "wall_seconds": round(wall, 1),
            "uptime_at_init": observed.get("uptime_at_init")}
    (workdir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return Result(job, k, workdir, cmdline, wall, blocks, observed, cmd)


DEFAULT_SIGNER = f"{HERE / 'sign-module-openssl.sh'} {{in}} {{out}}"


def our_key() -> tuple[Path, Path]:
    """The test bed's throw-away module signing key and certificate (PEM), made once per cache
    (the same files sign-module-openssl.sh uses)."""
    d = CACHE / "ourkey"
    key, cert = d / "key.pem", d / "cert.pem"
    if not key.exists() or not cert.exists():
        d.mkdir(parents=True, exist_ok=True)
        tk, tc = tmp_name(key), tmp_name(cert)
        sh(["openssl", "req", "-new", "-x509", "-nodes", "-newkey", "rsa:2048", "-sha256", "-days", "36500",
            "-batch", "-subj", "/CN=kharden test bed module key", "-addext", "keyUsage=digitalSignature",
            "-addext", "basicConstraints=critical,CA:FALSE", "-keyout", str(tk), "-out", str(tc)],
           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.replace(tk, key)
        os.replace(tc, cert)
    return key, cert


def sign_ours(k: Kernel, signer: str, workdir: Path) -> Path:
    """The kernel's own crc7.ko, its Debian signature removed, signed by SIGNER (a shell command
    with {in} and {out}; "default" = sign-module-openssl.sh with the test bed's key)."""
    cmd = DEFAULT_SIGNER if signer == "default" else signer
    plain, out = workdir / "crc7-plain.ko", workdir / "ours.ko"
    plain.write_bytes(strip_signature(k.signed_module()))
    out.unlink(missing_ok=True)
    sh(["sh", "-c", cmd.replace("{in}", f"'{plain}'").replace("{out}", f"'{out}'")])
    if not out.exists():
        raise BootError(f"signer produced no {out}: {cmd}")
    return out


def prune_cache(keep_runs: int = 60, keep_initramfs: int = 12) -> None:
    """Keep the newest run directories and initramfs archives (each kharden build makes a new
    archive). Only the cache's own subdirectories are touched."""
    for sub, keep in (("runs", keep_runs), ("initramfs", keep_initramfs)):
        d = CACHE / sub
        if not d.is_dir():
            continue
        entries = sorted(d.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            if time.time() - old.stat().st_mtime < 3600:
                continue  # may belong to a boot still running
            # Another boot of this run (or another checkout sharing the cache) may be pruning
            # the same entry at the same time: what is already gone is not an error.
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)


# -M virt with -cpu max: FEAT_RNG (RNDR), which arm64 KASLR falls back to without a firmware
# seed; pauth-impdef: QEMU's cheap pointer-authentication hash instead of QARMA (TCG speed)
ARM64_MACHINE = ["-machine", "virt", "-cpu", "max,pauth-impdef=on"]


def qemu_binary(arch: str = "amd64") -> str:
    return {"amd64": "qemu-system-x86_64", "arm64": "qemu-system-aarch64"}[arch]


def qemu_version(arch: str = "amd64") -> str:
    out = subprocess.run([qemu_binary(arch), "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "?"


# --------------------------------------------------------------------------------------------
# capture


def safe_extract(tar_bytes: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as t:
        for m in t.getmembers():
            p = Path(m.name)
            if p.is_absolute() or ".." in p.parts or not (m.isfile() or m.isdir()):
                raise BootError(f"unexpected member in snapshot tar: {m.name}")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 and Debian's backport
            t.extractall(dest, filter="data")
        else:  # members were checked above
            t.extractall(dest)


def write_capture(res: Result, out: Path, name: str, note: str) -> None:
    if "snapshot.tar" not in res.blocks:
        raise BootError("guest sent no snapshot")
    k, obs = res.kernel, res.observed
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    safe_extract(res.blocks["snapshot.tar"], tmp)
    for p in tmp.rglob("*"):  # deterministic modes in git; content is what counts
        p.chmod(0o755 if p.is_dir() else 0o644)
    # where the package puts it (boot/config-REL, or usr/lib/modules/REL/config from 2026), xz
    # content: the reader sniffs compression by magic
    (tmp / k.config_rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp / k.config_rel).write_bytes(lzma.compress(k.config.read_bytes(), preset=9 | lzma.PRESET_EXTREME))
    today = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
    sysctl = ", ".join(res.job.sysctl) or "none"
    prov = [
        f"# kharden test bed snapshot: {name}",
        f"# Generated by scripts/testbed/capture-all.sh (testbed.py capture); do not edit by hand.",
        f"name: {name}",
        f"package: {k.package}",
        f"version: {k.version}",
        f"deb_sha256: {k.deb_sha256}",
        *(f"package_fetched: {part}" for part in k.parts),
        f"kernel_release: {k.release}",
        f"arch: {k.arch}",
        f"firmware: {res.job.firmware}" + (" (OVMF_CODE_4M.secboot.fd + OVMF_VARS_4M.snakeoil.fd; "
                                           "vmlinuz re-signed with PkKek-1-snakeoil)" if res.job.firmware == "ovmf-sb" else ""),
        f"cmdline: {res.cmdline}",
        f"runtime_sysctl_writes_before_capture: {sysctl}",
        f"capture_date: {today}",
        f"qemu: {qemu_version(k.arch)}, -accel tcg "
        + (" ".join(ARM64_MACHINE[2:]) if k.arch == "arm64" else "-cpu max")
        + (" -machine virt, firmware AAVMF_CODE.fd + AAVMF_VARS.fd (qemu-efi-aarch64)" if k.arch == "arm64" else "")
        + f" -smp 1 -m {res.job.mem}",
        f"boot_to_init_seconds: {obs.get('uptime_at_init')}",
        f"wall_seconds: {res.wall:.1f}",
        "proc/kallsyms: ROOT's view (read by /init as uid 0), trimmed to the first 100 lines plus "
        "the _text, _stext and selinux_state lines",
        f"nobody_uid65534_kallsyms_text: {obs.get('kallsyms_text_nobody') or '(no line)'}",
        f"nobody_uid65534_dmesg: {obs.get('dmesg_nobody')}",
        f"nobody_uid65534_kexec_load: {obs.get('kexec_load_nobody')}",
        "proc/sys: readable regular files under kernel, vm, fs, user, net/core, dev/tty, values as read",
        f"{k.config_rel}: from the package, xz-compressed under the package's file name",
        "efivarfs: loaded efivarfs.ko after proc/modules was copied" if obs.get("efi") == "1" else "efivarfs: no EFI",
        "OBSERVED: what the kernel did after the capture (module loads, opens, probes); ground truth for e2e",
    ]
    if obs.get("insmod_ours", "absent") != "absent":
        signer = res.job.ours_signer or "(given --ours-ko)"
        if signer == "default":
            signer = ("scripts/testbed/sign-module-openssl.sh (openssl cms, sign-file format, the test bed's "
                      "throw-away RSA-2048 key; trusted only if listed under uefi_db_added)")
        prov.append(f"ours_module: the kernel's crc7.ko, Debian signature removed, re-signed by {signer}")
    for c in res.job.db_certs:
        prov.append(f"uefi_db_added: {c.name} (sha256 {sha256(c)}), via virt-fw-vars --add-db")
    if note:
        prov.append(f"note: {note}")
    (tmp / "PROVENANCE").write_text("\n".join(prov) + "\n")
    (tmp / "OBSERVED").write_text("".join(f"{k_}={v}\n" for k_, v in obs.items()))
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


# --------------------------------------------------------------------------------------------
# CLI


def workdir_for(name: str) -> Path:
    d = CACHE / "runs" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="testbed.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="download and unpack kernels")
    f.add_argument("kernels", nargs="*", default=[*KERNELS, *SUITE_KERNELS])

    def common(p):
        p.add_argument("--kernel", required=True)
        p.add_argument("--firmware", default="bios", choices=FIRMWARES)
        p.add_argument("--cmdline", default="", help="appended to '%s'" % BASE_CMDLINE)
        p.add_argument("--sysctl", action="append", default=[], metavar="KEY=VALUE",
                       help="written in the guest before capture/run (e.g. kernel.kptr_restrict=2)")
        p.add_argument("--ours-ko", type=Path, default=os.environ.get("KHARDEN_TB_OURS_KO") or None,
                       help="a module built for this kernel, signed with our key")
        p.add_argument("--ours-signer", default=os.environ.get("KHARDEN_TB_OURS_SIGNER") or None,
                       metavar="CMD", help="sign the kernel's crc7.ko as the 'ours' module: a command with "
                       "{in} and {out} (e.g. 'kharden modsign sign ... {in} {out}'), or 'default' for "
                       "sign-module-openssl.sh")
        p.add_argument("--db-cert", type=Path, action="append", default=[], metavar="CERT",
                       help="add CERT (PEM or DER) to the UEFI db of the OVMF varstore, so Debian's "
                       "kernel trusts it for modules (.platform keyring); repeatable")
        p.add_argument("--timeout", type=int, default=240)
        p.add_argument("--workdir", type=Path, help="keep console/results here (default under the cache)")

    c = sub.add_parser("capture", help="capture a snapshot tree")
    common(c)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--name")
    c.add_argument("--note", default="")
    r = sub.add_parser("run", help="run a kharden command in the guest")
    common(r)
    r.add_argument("--kharden", type=Path, required=not os.environ.get("KHARDEN_BIN"),
                   default=os.environ.get("KHARDEN_BIN"), help="the binary (env KHARDEN_BIN)")
    r.add_argument("--uid", type=int, default=0)
    r.add_argument("--observed", type=Path, help="also write the guest's OBSERVED here")
    r.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)

    if a.cmd == "fetch":
        for spec in a.kernels:
            k = fetch(spec)
            print(f"{spec}\t{k.package}\t{k.version}\t{k.release}\t{k.deb_sha256}")
        return 0
    ours = a.ours_ko.resolve() if a.ours_ko else None
    if a.cmd == "capture":
        name = a.name or a.out.name
        job = Job(a.kernel, a.firmware, a.cmdline, a.sysctl, "capture", ours_ko=ours,
                  ours_signer=a.ours_signer, db_certs=[c.resolve() for c in a.db_cert], timeout=a.timeout)
        res = boot(job, a.workdir or workdir_for(name))
        write_capture(res, a.out, name, a.note)
        log(f"{name}: boot-to-init {res.observed.get('uptime_at_init')}s, wall {res.wall:.1f}s -> {a.out}")
        return 0
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    job = Job(a.kernel, a.firmware, a.cmdline, a.sysctl, "run", runs=[(args, a.uid)],
              kharden=a.kharden.resolve(), ours_ko=ours, ours_signer=a.ours_signer,
              db_certs=[c.resolve() for c in a.db_cert], timeout=a.timeout)
    res = boot(job, a.workdir or workdir_for("run"))
    out, err, rc = res.run(1)
    sys.stdout.write(out)
    sys.stderr.write(err)
    if a.observed:
        a.observed.write_bytes(res.blocks.get("OBSERVED", b""))
    log(f"guest rc={rc}, wall {res.wall:.1f}s, workdir {res.workdir}")
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BootError as e:
        log(str(e))
        sys.exit(3)
