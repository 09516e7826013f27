#!/usr/bin/env python3
"""The article's build, whole, with a real kernel (issue 14, docs/modsign.md).

1. Builds a small x86_64 kernel from Debian's linux-source-6.1 (tinyconfig plus
   scripts/modsign/kernel-build.config: serial console, initramfs, MODULES, MODULE_SIG,
   MODULE_SIG_ALL, CONFIG_MODULE_SIG_KEY = the certificate kharden writes, four =m modules)
   under `kharden modsign build --cert-out CERT -- sh -c 'make && make modules_install'`.
   The make commands are the kernel's own, unchanged.
2. Checks that the certificate built into bzImage (`kharden modsign certs --kernel`) is the one
   written to --cert-out, byte for byte, and that `kharden modsign verify --kernel bzImage`
   finds every installed module valid.
3. Boots that kernel under QEMU (TCG) with module.sig_enforce=1 and finit_module()s: a module
   of this build (must load, taint 0), the same module unsigned, one signed by a second
   `modsign build` run (another key), and a tampered copy (all refused, with the errno the
   kernel gives).
4. Hunts for the key: no file under the object tree, the install output, the work directory,
   $TMPDIR or $HOME holds a private key (PEM "PRIVATE KEY" blocks, PKCS#1 / PKCS#8 / SEC1 DER);
   certs/signing_key.pem and certs/x509.genkey do not exist (the kernel's autogeneration never
   ran: its rule exists only when CONFIG_MODULE_SIG_KEY is certs/signing_key.pem, and the
   build log has no GENKEY line); the verbose modules_install log shows every module signed by
   `kharden modsign sign-request` and scripts/sign-file never run. The hunter is tested first
   on a planted key of each kind.
5. With --deb: `make bindeb-pkg` under `modsign build`, and the modules inside the produced
   linux-image .deb verified against its own vmlinuz.
Also: a failing command passes its status through and leaves no certificate; a second
concurrent `modsign build` in the same directory fails naming the first.

With --source 7 --key-type mldsa65 (or mldsa44/mldsa87): the same proof for Linux 7.x signed
with ML-DSA. The source is Debian unstable's newest linux-source-7.* (picked by name by
scripts/modsign/fetch-debian-suite.sh, the version that ran recorded in the report), the
config adds scripts/modsign/kernel-build-7.config (CRYPTO_MLDSA built in; three small crypto
hashes as the =m modules, 7.x having made the CRC libraries promptless). The host's OpenSSL
(Debian 12: 3.0, no ML-DSA) only builds certs/extract-cert, which copies the certificate
from PEM to DER without decoding its key, and scripts/sign-file, which never runs.

usage: build-kernel.py --kharden BIN [--source 6.1|7] [--key-type T] [--deb] [--jobs N]
                       [--report FILE] [--keep]
Caches (.cache/kbuild for 6.1, .cache/kbuild/v7 for 7.x): the source package's unpacked tree
and the object tree (a re-run rebuilds only what the new certificate changes). Exit status:
0 all held, 1 a check failed, 2 could not run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "scripts" / "testbed"))
import testbed  # noqa: E402

CACHE = Path(os.environ.get("KHARDEN_KBUILD_CACHE", REPO / ".cache" / "kbuild"))
# Per source: where it is cached, the config fragments, the =m modules (config name, module),
# the one the guest must load, and whether ML-DSA keys can be verified.
SOURCES = {
    "6.1": {"pkg": "linux-source-6.1", "cache": CACHE, "fragments": ["kernel-build.config"],
            "modules": {"crc4": "CONFIG_CRC4", "crc7": "CONFIG_CRC7", "crc8": "CONFIG_CRC8",
                        "crc-itu-t": "CONFIG_CRC_ITU_T"}, "probe": "crc7", "mldsa": False},
    # Debian unstable's newest linux-source-7.*, by name.
    "7": {"pkg": None, "pattern": r"^linux-source-7\.[0-9]+$", "cache": CACHE / "v7",
          "fragments": ["kernel-build.config", "kernel-build-7.config"],
          "modules": {"md4": "CONFIG_CRYPTO_MD4", "rmd160": "CONFIG_CRYPTO_RMD160",
                      "wp512": "CONFIG_CRYPTO_WP512"}, "probe": "md4", "mldsa": True},
}
MODULES: list[str] = []
SIG_MAGIC = testbed.SIG_MAGIC

failures: list[str] = []
report: dict = {"checks": {}}


def log(msg: str) -> None:
    print(f"build-kernel: {msg}", file=sys.stderr, flush=True)


def check(name: str, ok: bool, detail: str = "") -> None:
    report["checks"][name] = {"ok": ok, "detail": detail}
    log(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    if not ok:
        failures.append(name)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, **kw)


# ---------------------------------------------------------------------------------------------
# The source


def unpack(deb: Path, pkg: str, version: str, cache: Path) -> None:
    log(f"unpacking {pkg} {version}")
    tmp = cache / "src.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    subprocess.run(
        f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO './usr/src/{pkg}.tar.xz' | xz -dc -T0 |"
        f" tar -x -C '{tmp}' --strip-components=1", shell=True, check=True)
    (tmp / ".kharden-complete").write_text(f"{pkg} {version}\n")
    shutil.rmtree(cache / "src", ignore_errors=True)
    tmp.rename(cache / "src")


def source(prof: dict) -> tuple[Path, str]:
    cache = prof["cache"]
    src = cache / "src"
    stamp = src / ".kharden-complete"
    if prof["pkg"] is None:
        # The newest of the suite, by name; a newer upload replaces the cached tree (and the
        # object tree built from the old one).
        deb = Path(run([str(HERE / "fetch-debian-suite.sh"), "--deb-only", "sid", "all",
                        prof["pattern"]], capture_output=True, text=True, check=True).stdout.strip())
        field = lambda f: run(["dpkg-deb", "-f", str(deb), f], capture_output=True, text=True,
                              check=True).stdout.strip()
        pkg, version = field("Package"), field("Version")
        if not stamp.exists() or stamp.read_text().strip() != f"{pkg} {version}":
            shutil.rmtree(cache / "obj", ignore_errors=True)
            unpack(deb, pkg, version, cache)
        return src, stamp.read_text().strip()
    pkg = prof["pkg"]
    if not stamp.exists():
        debs = cache / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        for old in debs.glob(f"{pkg}_*.deb"):
            old.unlink()
        sandbox = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
        run(["apt-get", "download", "-q", *sandbox, pkg], cwd=debs, check=True)
        deb = next(debs.glob(f"{pkg}_*.deb"))
        version = run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True,
                      check=True).stdout.strip()
        unpack(deb, pkg, version, cache)
        deb.unlink()
    return src, stamp.read_text().strip()


def configure(prof: dict, src: Path, obj: Path, cert: Path) -> None:
    obj.mkdir(parents=True, exist_ok=True)
    frag = obj.parent / "kharden-frag.config"
    frag.write_text("".join((HERE / f).read_text() for f in prof["fragments"])
                    + f'CONFIG_MODULE_SIG_KEY="{cert}"\n')
    make = ["make", "-s", "-C", str(src), f"O={obj}", "ARCH=x86_64"]
    run([*make, "tinyconfig"], check=True, stdout=subprocess.DEVNULL)
    run([str(src / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(obj), str(obj / ".config"),
         str(frag)], check=True, stdout=subprocess.DEVNULL)
    run([*make, "olddefconfig"], check=True, stdout=subprocess.DEVNULL)
    config = (obj / ".config").read_text()
    for want in ("CONFIG_MODULE_SIG=y", "CONFIG_MODULE_SIG_ALL=y", f'CONFIG_MODULE_SIG_KEY="{cert}"',
                 *(f"{c}=m" for c in prof["modules"].values()),
                 *(["CONFIG_CRYPTO_MLDSA=y"] if prof["mldsa"] else [])):
        if want not in config.splitlines():
            raise SystemExit(f"build-kernel: the merged config lacks {want}")


# ---------------------------------------------------------------------------------------------
# The key hunt

PEM_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
# DER private keys: PKCS#8 (version 0, then an AlgorithmIdentifier), PKCS#1 RSA (version 0,
# then the modulus), SEC1 EC (version 1, then an OCTET STRING of 32/48/66 bytes).
DER_KEYS = [
    ("PKCS#8", re.compile(rb"\x30\x82..\x02\x01\x00\x30[\x0d\x10\x13]\x06", re.S)),
    ("PKCS#8", re.compile(rb"\x30\x81.\x02\x01\x00\x30[\x0d\x10\x13]\x06", re.S)),
    ("PKCS#1", re.compile(rb"\x30\x82..\x02\x01\x00\x02\x82.\x01\x00", re.S)),
    ("PKCS#1", re.compile(rb"\x30\x82..\x02\x01\x00\x02\x82..\x00", re.S)),
    ("SEC1", re.compile(rb"\x30[\x77\x81][\x00-\xff]?\x02\x01\x01\x04[\x20\x30\x42]", re.S)),
    # ML-DSA PKCS#8 (RFC 9881): version 0, AlgorithmIdentifier id-ml-dsa-44/65/87 without
    # parameters, then the private key OCTET STRING (seed, expanded key, or both); the short
    # seed-only form has a one-byte length.
    ("PKCS#8 ML-DSA", re.compile(rb"\x30(?:[\x00-\x7f]|\x81.|\x82..)\x02\x01\x00\x30\x0b\x06\x09"
                                 rb"\x60\x86\x48\x01\x65\x03\x04\x03[\x11\x12\x13]\x04", re.S)),
]


def hunt(roots: list[Path]) -> list[str]:
    found = []
    for root in roots:
        if not root.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for name in filenames:
                p = Path(dirpath) / name
                try:
                    if not p.is_file() or p.is_symlink() or p.stat().st_size > (256 << 20):
                        continue
                    data = p.read_bytes()
                except OSError:
                    continue
                if PEM_KEY.search(data):
                    found.append(f"{p}: PEM private key")
                for kind, rx in DER_KEYS:
                    if rx.search(data):
                        found.append(f"{p}: {kind} DER structure")
                        break
    return found


def hunter_finds_planted_keys(work: Path) -> None:
    """The hunt must find what it looks for: a key of each form, planted and removed."""
    plant = work / "planted"
    plant.mkdir()
    forms = {
        "rsa.pem": ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "ec.pem": ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    }
    for name, cmd in forms.items():
        (plant / name).write_bytes(run(cmd, capture_output=True, check=True).stdout)
    run(["openssl", "pkey", "-in", str(plant / "rsa.pem"), "-outform", "DER", "-out",
         str(plant / "rsa8.der")], check=True)
    run(["openssl", "rsa", "-in", str(plant / "rsa.pem"), "-traditional", "-outform", "DER", "-out",
         str(plant / "rsa1.der")], check=True, stderr=subprocess.DEVNULL)
    run(["openssl", "ec", "-in", str(plant / "ec.pem"), "-outform", "DER", "-out",
         str(plant / "sec1.der")], check=True, stderr=subprocess.DEVNULL)
    run(["openssl", "pkey", "-in", str(plant / "ec.pem"), "-outform", "DER", "-out",
         str(plant / "ec8.der")], check=True)
    # ML-DSA-65 keys in OpenSSL 3.5's PKCS#8 forms (the host's OpenSSL 3.0 cannot make one; the
    # structure, RFC 9881's, is built here around random key material): seed only
    # [0] IMPLICIT OCTET STRING, and seed plus expanded key.
    alg = bytes.fromhex("300b0609608648016503040312")

    def der(tag: int, body: bytes) -> bytes:
        n = len(body)
        ln = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xff]))
        return bytes([tag]) + ln + body

    seed = der(0x80, os.urandom(32))
    both = der(0x30, der(0x04, os.urandom(32)) + der(0x04, os.urandom(4032)))
    for name, inner in (("mldsa-seed.der", seed), ("mldsa-both.der", both)):
        (plant / name).write_bytes(der(0x30, b"\x02\x01\x00" + alg + der(0x04, inner)))
    # Inside a larger file too, as a leaked key would be.
    (plant / "embedded.bin").write_bytes(os.urandom(4096) + (plant / "rsa1.der").read_bytes())
    found = hunt([plant])
    missing = [n for n in sorted(p.name for p in plant.iterdir())
               if not any(f.startswith(f"{plant / n}:") for f in found)]
    check("key hunt finds planted keys (PEM, PKCS#1, PKCS#8, SEC1, ML-DSA PKCS#8, embedded)", not missing,
          f"missed {missing}" if missing else f"{len(found)} findings in {len(list(plant.iterdir()))} files")
    shutil.rmtree(plant)


# ---------------------------------------------------------------------------------------------
# QEMU


def boot(bz: Path, modules: dict[str, bytes], work: Path, timeout: int) -> dict[str, str]:
    stage = work / "initramfs"
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "proc", "sys", "dev", "mods"):
        (stage / d).mkdir(parents=True)
    shutil.copyfile(testbed.busybox_binary(), stage / "bin/busybox")
    (stage / "bin/busybox").chmod(0o755)
    shutil.copyfile(testbed.helper_binary(), stage / "bin/tbhelper")
    (stage / "bin/tbhelper").chmod(0o755)
    for name, data in modules.items():
        (stage / "mods" / f"{name}.ko").write_bytes(data)
    order = " ".join(modules)
    (stage / "init").write_text(f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "@@ param sig_enforce $(cat /sys/module/module/parameters/sig_enforce 2>&1)"
for m in {order}; do
  echo "@@ load $m $(/bin/tbhelper finit /mods/$m.ko 2>&1)"
  echo "@@ taint $m $(cat /proc/sys/kernel/tainted)"
done
echo "@@ done"
reboot -f
""")
    (stage / "init").chmod(0o755)
    initrd = work / "initramfs.cpio.gz"
    testbed.write_cpio(stage, initrd, compress=True)
    start = time.monotonic()
    p = run(["timeout", "-k", "5", str(timeout), "qemu-system-x86_64", "-accel", "tcg", "-m", "256",
             "-smp", "1", "-nographic", "-no-reboot", "-kernel", str(bz), "-initrd", str(initrd),
             "-append", "console=ttyS0 panic=-1 module.sig_enforce=1 rdinit=/init"],
            capture_output=True, text=True, errors="replace")
    report["boot_seconds"] = round(time.monotonic() - start, 2)
    (work / "console.log").write_text(p.stdout + p.stderr)
    out: dict[str, str] = {}
    for line in p.stdout.splitlines():
        m = re.search(r"@@ (\S+)(?: (\S+))? ?(.*)$", line.strip())
        if m:
            out[f"{m.group(1)} {m.group(2) or ''}".strip()] = m.group(3).strip()
    return out


# ---------------------------------------------------------------------------------------------


KEY_TYPE = "rsa4096"


def modsign_build(kharden: Path, cert: Path, command: str, cwd: Path, env: dict | None = None,
                  ) -> subprocess.CompletedProcess:
    return run([str(kharden), "modsign", "build", "--key-type", KEY_TYPE, "--cert-out", str(cert),
                "--", "sh", "-c", command], cwd=cwd, capture_output=True, text=True, env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kharden", required=True, type=Path)
    ap.add_argument("--source", choices=sorted(SOURCES), default="6.1",
                    help="linux-source-6.1 (Debian 12) or unstable's newest linux-source-7.*")
    ap.add_argument("--key-type", default="rsa4096",
                    choices=["rsa4096", "ecdsa-p384", "mldsa44", "mldsa65", "mldsa87"])
    ap.add_argument("--deb", action="store_true", help="also make bindeb-pkg and verify the .deb")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=int, default=120, help="QEMU boot timeout (s)")
    ap.add_argument("--report", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    kharden = a.kharden.resolve()
    global KEY_TYPE
    KEY_TYPE = a.key_type
    prof = SOURCES[a.source]
    MODULES[:] = list(prof["modules"])
    probe = prof["probe"]
    if a.key_type.startswith("mldsa") and not prof["mldsa"]:
        log(f"--key-type {a.key_type} needs --source 7 (ML-DSA module signing is Linux 7.0's)")
        return 2
    if a.key_type == "ecdsa-p384":
        log("--key-type ecdsa-p384: the fragments do not enable CRYPTO_ECDSA")
        return 2
    t0 = time.monotonic()
    src, version = source(prof)
    report["source"] = version
    report["key_type"] = a.key_type
    report["gcc"] = run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    obj = prof["cache"] / "obj"  # cached between runs: a re-run rebuilds what the new certificate changes
    work = Path(tempfile.mkdtemp(prefix="kharden-kbuild."))
    tmpdir = work / "tmp"
    tmpdir.mkdir()
    home = work / "home"
    home.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir), HOME=str(home))
    try:
        cert = work / "kharden-signing.pem"
        configure(prof, src, obj, cert)
        out = work / "out"
        make = f"make -C '{src}' O='{obj}' ARCH=x86_64"
        # 1. The build, unchanged, under modsign build (modules_install verbose: the log shows
        # what ran for each module).
        start = time.monotonic()
        p = modsign_build(kharden, cert, f"{make} -j{a.jobs} && {make} V=1 modules_install "
                          f"INSTALL_MOD_PATH='{out}'", work, env)
        report["build_seconds"] = round(time.monotonic() - start, 1)
        (work / "build.log").write_text(p.stdout + p.stderr)
        summary = [l for l in p.stderr.splitlines() if l.startswith("kharden: modsign build:")]
        report["summary"] = summary[-1] if summary else None
        check("modsign build exits with the build's status 0", p.returncode == 0,
              f"exit {p.returncode}; {(p.stderr.strip().splitlines() or [''])[-1][:300]}")
        if p.returncode != 0:
            return 1
        check("summary line names the modules signed and the key",
              bool(summary) and f"{len(MODULES)} module(s) signed" in summary[-1]
              and "private key destroyed" in summary[-1]
              and (not KEY_TYPE.startswith("mldsa") or f"ML-DSA-{KEY_TYPE[5:]}" in summary[-1]),
              report["summary"] or "none")
        release = (obj / "include/config/kernel.release").read_text().strip()
        moddir = out / "lib/modules" / release
        kos = {m: next(moddir.rglob(f"{m}.ko")) for m in MODULES}
        # The log: every module signed by kharden's client, sign-file never run, no GENKEY.
        log_text = p.stdout + p.stderr
        requests = len(re.findall(r"kharden-sign-request \S+\.ko", log_text))
        check("every module was signed by kharden's client `kharden-sign-request`", requests == len(MODULES),
              f"{requests} requests in the V=1 log")
        # (It is built, "HOSTCC scripts/sign-file", as the kernel always builds it; it is
        # never run: Makefile.modinst's command would be `scripts/sign-file sha256 KEY ...`.)
        check("scripts/sign-file never ran", not re.search(r"scripts/sign-file\s+sha", log_text),
              "no `scripts/sign-file <hash> ...` in the V=1 log")
        check("the kernel's key autogeneration never ran",
              not (obj / "certs/signing_key.pem").exists() and not (obj / "certs/x509.genkey").exists()
              and "GENKEY" not in log_text)
        # 2. The certificate in the image, and the modules against the image.
        bz = obj / "arch/x86/boot/bzImage"
        certs_dir = work / "certs"
        c = run([str(kharden), "modsign", "certs", "--kernel", str(bz), "--out", str(certs_dir),
                 "--format", "json"], capture_output=True, text=True)
        der = run(["openssl", "x509", "-in", str(cert), "-outform", "DER"], capture_output=True,
                  check=True).stdout
        embedded = sorted(certs_dir.glob("*.der")) if certs_dir.exists() else []
        check("bzImage carries exactly the --cert-out certificate",
              c.returncode == 0 and len(embedded) == 1 and embedded[0].read_bytes() == der,
              f"{len(embedded)} certificate(s) in the image")
        v = run([str(kharden), "modsign", "verify", "--kernel", str(bz), "--format", "json", str(moddir)],
                capture_output=True, text=True)
        try:
            statuses = {Path(m["path"]).name: m["status"] for m in json.loads(v.stdout)["modules"]}
        except (ValueError, KeyError):
            statuses = {}
        check("every installed module verifies against the image",
              v.returncode == 0 and len(statuses) == len(MODULES) and set(statuses.values()) == {"valid"},
              json.dumps(statuses))
        # 3. Another key: a second modsign build run signs a copy of the modules.
        other_cert = work / "other.pem"
        p2 = modsign_build(kharden, other_cert, f"{make} modules_install INSTALL_MOD_PATH='{work / 'out2'}'",
                           work, env)
        check("a second modsign build run signs with another key", p2.returncode == 0,
              (p2.stderr.strip().splitlines() or [""])[-1][:300])
        ours = kos[probe].read_bytes()
        other = next((work / "out2").rglob(f"{probe}.ko")).read_bytes()
        unsigned = testbed.strip_signature(ours)
        tampered = bytearray(ours)
        tampered[len(unsigned) // 2] ^= 0x01
        verdicts = boot(bz, {probe: ours, "unsigned": unsigned, "otherkey": other,
                             "tampered": bytes(tampered)}, work, a.timeout)
        report["guest"] = verdicts
        check("the guest enforces signatures", verdicts.get("param sig_enforce") == "Y",
              verdicts.get("param sig_enforce", "?"))
        check("a module of this build loads, taint 0",
              verdicts.get(f"load {probe}", "").startswith("finit_module 0")
              and verdicts.get(f"taint {probe}") == "0",
              f"{verdicts.get(f'load {probe}')}; taint {verdicts.get(f'taint {probe}')}")
        for name in ("unsigned", "otherkey", "tampered"):
            got = verdicts.get(f"load {name}", "")
            check(f"the kernel refuses the {name} copy", "EKEYREJECTED" in got or "ENOKEY" in got
                  or "EBADMSG" in got, got)
        # 4. The key hunt, after testing the hunter.
        hunter_finds_planted_keys(work)
        found = hunt([obj, out, work / "out2", work, tmpdir, home, Path(env.get("TMPDIR", "/tmp"))])
        check("no private key anywhere after the run", not found, "; ".join(found[:5]))
        # A failing command: status passed through, no certificate left behind.
        failed_cert = work / "failed.pem"
        p3 = modsign_build(kharden, failed_cert, "exit 3", work, env)
        check("a failing build's status passes through and its certificate is removed",
              p3.returncode == 3 and not failed_cert.exists() and "FAILED (exit 3)" in p3.stderr,
              (p3.stderr.strip().splitlines() or [""])[-1][:200])
        # A second concurrent modsign build in the same directory.
        holder = subprocess.Popen([str(kharden), "modsign", "build", "--key-type", "ecdsa-p384",
                                   "--cert-out", str(work / "h.pem"), "--", "sleep", "5"], cwd=work,
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        p4 = run([str(kharden), "modsign", "build", "--key-type", "ecdsa-p384", "--cert-out",
                  str(work / "h2.pem"), "--", "true"], cwd=work, capture_output=True, text=True)
        holder.wait()
        check("a second concurrent modsign build in one directory fails naming the first",
              p4.returncode == 2 and f"pid {holder.pid}" in p4.stderr and not (work / "h2.pem").exists(),
              p4.stderr.strip()[:200])
        # 5. Debian packaging.
        if a.deb:
            for old in obj.parent.glob("linux-*.deb"):
                old.unlink()
            start = time.monotonic()
            # The same --cert-out as the config names: a new key, a new certificate in it, and
            # the image relinked with it.
            p5 = modsign_build(kharden, cert, f"{make} -j{a.jobs} bindeb-pkg", work, env)
            report["bindeb_pkg_seconds"] = round(time.monotonic() - start, 1)
            (work / "deb.log").write_text(p5.stdout + p5.stderr)
            debs = sorted(obj.parent.glob("linux-image-*.deb"))
            debs = [d for d in debs if "-dbg" not in d.name]
            check("make bindeb-pkg under modsign build", p5.returncode == 0 and len(debs) == 1,
                  (p5.stderr.strip().splitlines() or [""])[-1][:300])
            if debs:
                x = work / "deb"
                run(["dpkg-deb", "-x", str(debs[0]), str(x)], check=True)
                images = sorted(x.glob("boot/vmlinuz-*"))
                v = run([str(kharden), "modsign", "verify", "--kernel", str(images[0]), "--format", "json",
                         str(x / "lib/modules")], capture_output=True, text=True) if images else None
                mods = json.loads(v.stdout)["modules"] if v and v.stdout else []
                check("the modules inside the linux-image .deb verify against its vmlinuz",
                      v is not None and v.returncode == 0 and len(mods) == len(MODULES)
                      and all(m["status"] == "valid" for m in mods), debs[0].name)
    finally:
        report["seconds"] = round(time.monotonic() - t0, 1)
        report["failures"] = failures
        if a.report:
            a.report.write_text(json.dumps(report, indent=2) + "\n")
        if a.keep or failures:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    log(f"{len(report['checks']) - len(failures)}/{len(report['checks'])} checks held in "
        f"{report['seconds']} s (build {report.get('build_seconds')} s, boot {report.get('boot_seconds')} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
