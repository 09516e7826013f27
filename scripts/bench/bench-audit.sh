#!/bin/bash
# Whole-process speed and peak memory of `kharden audit --config X --no-live` against
# kernel-hardening-checker `-c X` on the same real configs (crates/kharden/tests/fixtures/configs,
# distros/ included). Prints a Markdown table: mean wall time of each tool, the ratio khc/kharden,
# and peak RSS. Timing uses hyperfine (-N, no shell) when installed, else a perf_counter loop.
#
# Both tools read the same decompressed plain-text copy (khc cannot read .xz). The column
# "kharden .xz" times kharden on the committed compressed file as well, its everyday input.
#
# usage: bench-audit.sh [REGEX]          only configs whose file name matches REGEX
# env:   KHARDEN   kharden binary (default target/release/kharden; BUILD=1 builds it first)
#        RUNS      timed runs per command (default 10), WARMUP (default 1), RSS_RUNS (default 3)
#        PYTHON    interpreter for khc (default /usr/bin/python3: a pyenv shim on PATH adds
#                  ~60 ms per start, which would flatter kharden)
#        KHC_SRC   kernel-hardening-checker work tree (default: scripts/bench/fetch-khc.sh)
#        JSON_OUT  also write the raw numbers to this file
#        ENGINE    hyperfine | loop (default: hyperfine when installed)
#        PROFILE   kharden profile to time (default: kharden's default, baseline; PROFILE=full
#                  times the profile that covers khc's whole checklist)
# Either half is skipped, with a note, when its tool is missing.
# Packages: hyperfine, time (/usr/bin/time for peak RSS), xz-utils; zstd for .zst configs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export KHARDEN=${KHARDEN:-$REPO/target/release/kharden}
if [ "${BUILD:-0}" = 1 ]; then
	(cd "$REPO" && cargo build --release -q -p kharden) >&2
fi
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=$(command -v python3); fi
fi
export PYTHON
if [ -z "${KHC_SRC:-}" ]; then
	KHC_SRC=$("$HERE/fetch-khc.sh") || KHC_SRC=
fi
export KHC_SRC
export CONFIG_DIR=${CONFIG_DIR:-$REPO/crates/kharden/tests/fixtures/configs}
export FILTER=${1:-}
export SCRIPTS_LIB=$REPO/scripts/lib
exec "$PYTHON" - <<'PY'
import json, os, re, resource, shlex, shutil, statistics, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.environ["SCRIPTS_LIB"])
from configs import decompress

env = os.environ
runs, warmup, rss_runs = int(env.get("RUNS", 10)), int(env.get("WARMUP", 1)), int(env.get("RSS_RUNS", 3))
kharden, python, khc_src = env["KHARDEN"], env["PYTHON"], env.get("KHC_SRC", "")
engine = env.get("ENGINE") or ("hyperfine" if shutil.which("hyperfine") else "loop")
time_bin = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
notes = []

def log(msg):
    print(f"bench-audit: {msg}", file=sys.stderr)

configs = []
for root, _, files in os.walk(env["CONFIG_DIR"]):
    for f in files:
        if f.endswith(".md") or not re.search(env.get("FILTER") or "", f):
            continue
        configs.append(os.path.join(root, f))
configs.sort(key=lambda p: os.path.relpath(p, env["CONFIG_DIR"]))
if not configs:
    sys.exit("bench-audit: no configs found")

have_kharden = os.access(kharden, os.X_OK)
if have_kharden:
    probe = subprocess.run([kharden, "audit", "--help"], capture_output=True)
    if probe.returncode != 0:
        have_kharden = False
        notes.append(f"kharden half skipped: `{kharden} audit --help` exited {probe.returncode}")
else:
    notes.append(f"kharden half skipped: {kharden} not found (build with `cargo build --release` or set KHARDEN)")
khc_bin = os.path.join(khc_src, "bin", "kernel-hardening-checker") if khc_src else ""
have_khc = bool(khc_bin) and os.path.isfile(khc_bin)
if not have_khc:
    notes.append("kernel-hardening-checker half skipped: scripts/bench/fetch-khc.sh found no source")
if not have_kharden and not have_khc:
    for n in notes:
        log(n)
    sys.exit(1)

def kharden_cmd(path):
    profile = ["--profile", env["PROFILE"]] if env.get("PROFILE") else []
    return [kharden, "audit", "--config", path, "--no-live", "--exit-zero", "--format", "json"] + profile

def khc_cmd(path):
    return [python, khc_bin, "-c", path]

def works(cmd, what):
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        last = r.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        notes.append(f"{what}: exit {r.returncode}: {last[0][:200]}")
        return False
    return True

def time_hyperfine(cmds, tmp):
    out = os.path.join(tmp, "hf.json")
    argv = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
            "--export-json", out] + [shlex.join(c) for c in cmds]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return [(r["times"], r["user"] + r["system"]) for r in json.load(f)["results"]]

def time_loop(cmds, _tmp):
    res = []
    for c in cmds:
        for _ in range(warmup):
            subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts = []
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ts.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res.append((ts, (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / runs))
    return res

def peak_rss_kib(cmd):
    if not time_bin:
        return None
    vals = []
    for _ in range(rss_runs):
        r = subprocess.run([time_bin, "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        m = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        if m:
            vals.append(int(m.group(1)))
    return statistics.median(vals) if vals else None

timer = time_hyperfine if engine == "hyperfine" else time_loop
rows = []
with tempfile.TemporaryDirectory(prefix="kharden-bench.") as tmp:
    for i, path in enumerate(configs):
        rel = os.path.relpath(path, env["CONFIG_DIR"])
        with open(path, "rb") as f:
            raw = f.read()
        plain = os.path.join(tmp, f"{i:03d}.config")
        text = decompress(raw)
        with open(plain, "wb") as f:
            f.write(text)
        row = {"config": rel, "lines": text.count(b"\n")}
        cmds, keys = [], []
        if have_khc and works(khc_cmd(plain), f"khc {rel}"):
            cmds.append(khc_cmd(plain)); keys.append("khc")
        if have_kharden and works(kharden_cmd(plain), f"kharden {rel}"):
            cmds.append(kharden_cmd(plain)); keys.append("kharden")
            if plain != path and raw != text and works(kharden_cmd(path), f"kharden {rel} (compressed)"):
                cmds.append(kharden_cmd(path)); keys.append("kharden_compressed")
        if cmds:
            log(f"{rel}: timing {', '.join(keys)}")
            for k, (ts, cpu) in zip(keys, timer(cmds, tmp)):
                row[k] = {"mean_s": statistics.mean(ts), "cpu_s": cpu, "stddev_s": statistics.stdev(ts) if len(ts) > 1 else 0.0,
                          "median_s": statistics.median(ts), "min_s": min(ts), "runs": len(ts)}
            for k, c in zip(keys, cmds):
                if k != "kharden_compressed":
                    row[k]["peak_rss_kib"] = peak_rss_kib(c)
        rows.append(row)

def ms(r, k):
    if k not in r:
        return "n/a"
    return f"{r[k]['mean_s'] * 1e3:.1f} ± {r[k]['stddev_s'] * 1e3:.1f}"

def rss(r, k):
    v = r.get(k, {}).get("peak_rss_kib")
    return "n/a" if v is None else f"{v / 1024:.1f}"

def ratio(r, field="mean_s"):
    if "khc" in r and "kharden" in r:
        return f"{r['khc'][field] / r['kharden'][field]:.1f}x"
    return "n/a"

def cpu(r, k):
    return "n/a" if k not in r else f"{r[k]['cpu_s'] * 1e3:.1f}"

loadavg = os.getloadavg()
print(f"# kharden audit vs kernel-hardening-checker ({engine}, {runs} runs + {warmup} warm-up, "
      f"{os.cpu_count()} CPUs, loadavg {loadavg[0]:.2f} {loadavg[1]:.2f} {loadavg[2]:.2f})")
print()
print(f"kharden: `{shlex.join(kharden_cmd('X'))}`  ")
print(f"khc:     `{shlex.join(khc_cmd('X'))}`  ")
if have_khc:
    src = os.path.join(khc_src, "KHC_SOURCE")
    if os.path.exists(src):
        print(f"khc source: {open(src).readline().strip()}  ")
print("Times are the mean whole-process wall time in ms ± stddev; CPU is user+system ms per run (less")
print("sensitive to other load than wall time); RSS is the median peak in MiB.")
print()
print("| config | lines | khc ms | kharden ms | khc/kharden | kharden .xz ms | khc CPU | kharden CPU | CPU ratio | khc RSS | kharden RSS |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['config']} | {r['lines']} | {ms(r, 'khc')} | {ms(r, 'kharden')} | {ratio(r)} | "
          f"{ms(r, 'kharden_compressed')} | {cpu(r, 'khc')} | {cpu(r, 'kharden')} | {ratio(r, 'cpu_s')} | "
          f"{rss(r, 'khc')} | {rss(r, 'kharden')} |")
both = [r for r in rows if "khc" in r and "kharden" in r]
if both:
    gm = statistics.geometric_mean([r["khc"]["mean_s"] / r["kharden"]["mean_s"] for r in both])
    print()
    gc = statistics.geometric_mean([r["khc"]["cpu_s"] / r["kharden"]["cpu_s"] for r in both if r["kharden"]["cpu_s"] > 0])
    print(f"Geometric mean khc/kharden over {len(both)} configs: **{gm:.1f}x** wall (goal: >= 20x), {gc:.1f}x CPU")
khc_only = [r["khc"]["mean_s"] for r in rows if "khc" in r]
if khc_only:
    print(f"khc mean over {len(khc_only)} configs: {statistics.mean(khc_only) * 1e3:.1f} ms")
if notes:
    print()
    for n in notes:
        print(f"- note: {n}")
if env.get("JSON_OUT"):
    with open(env["JSON_OUT"], "w") as f:
        json.dump({"engine": engine, "runs": runs, "warmup": warmup, "loadavg": loadavg,
                   "kharden": kharden, "python": python, "khc_src": khc_src, "rows": rows, "notes": notes},
                  f, indent=2, sort_keys=True)
        f.write("\n")
PY
