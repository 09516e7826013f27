#!/usr/bin/env bash
# Issue 16's proof against a real kernel (docs/readiness.md, docs/testbed.md): in QEMU guests of
# Debian 12's 6.1 cloud kernel, one per blocker family (an unsigned module loaded, /dev/mem held,
# kdump-tools with kexec_load twice, hibernation, a kprobe BPF program, a REGS_INTR perf event,
# a debugfs file held, a bpf_probe_write_user program, a kprobe event, a tracefs file and
# /proc/kcore held, a crash kernel and a kexec kernel loaded, /dev/kmsg held by uid 1000), one more (a read-only debugfs
# file: `unknown`, and it keeps working) and a clean one, `kharden audit --readiness` must name
# the planted thing under the failing rule, and turning the rule's setting on must break exactly
# that (the clean guest: `ready`, and nothing breaks). Seventeen boots, two in parallel (TCG);
# downloads cached in .cache/testbed. About 2 minutes warm; budget: 6 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

K=$(scripts/testbed/guest-kharden.sh readiness)
timeout -k 5 480 python3 scripts/testbed/readiness-guest.py --kharden "$K" -j 2 \
  --timeout 300 --report "${CARGO_TARGET_DIR:-target}/readiness-guest.json"
