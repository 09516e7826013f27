//! Tracing families (what lockdown's confidentiality level, kptr_restrict and
//! perf_event_paranoid take away): BPF programs of tracing types and their holders, kprobe
//! events, perf event users, profilers and agents.

use super::procs::fdinfo;
use super::{Host, Look, Packages};
use crate::files::root::io_reason;

/// `enum bpf_prog_type` values of the tracing program types (include/uapi/linux/bpf.h): they
/// attach to kprobes, tracepoints and perf events, and read kernel memory.
const TRACING_PROG_TYPES: &[(u32, &str)] = &[
    (2, "kprobe"),
    (5, "tracepoint"),
    (7, "perf_event"),
    (17, "raw_tracepoint"),
    (24, "raw_tracepoint_writable"),
    (26, "tracing (fentry/fexit)"),
];

/// Loaded BPF programs of tracing types, named by the process holding them and the program's
/// type (from `/proc/PID/fdinfo/FD`, `prog_type:`).
pub fn bpf(host: &Host<'_>) -> Look {
    let procs = host.procs();
    if let Some(m) = &procs.missing {
        return Look::unknown(m.clone());
    }
    let mut look = Look::default();
    let mut progs = 0;
    let mut unread = 0;
    for (p, f) in procs.holding(|t| t.starts_with("anon_inode:bpf-prog")) {
        progs += 1;
        let info = fdinfo(host.root, p.pid, f.fd);
        let ty = info.as_ref().and_then(|i| {
            i.iter()
                .find(|(k, _)| k == "prog_type")
                .and_then(|(_, v)| v.parse::<u32>().ok())
        });
        let Some(ty) = ty else {
            unread += 1;
            continue;
        };
        if let Some((_, name)) = TRACING_PROG_TYPES.iter().find(|(t, _)| *t == ty) {
            let id = info
                .as_ref()
                .and_then(|i| {
                    i.iter()
                        .find(|(k, _)| k == "prog_id")
                        .map(|(_, v)| v.clone())
                })
                .map(|id| format!(" id {id}"))
                .unwrap_or_default();
            look.found(format!(
                "{} holds a BPF {name} program{id} (fd {})",
                p.name(),
                f.fd
            ));
        }
    }
    look.examined(format!(
        "{progs} BPF program descriptor(s) among the {}",
        procs.examined_fds()
    ));
    look.gap((unread > 0).then(|| {
        format!("the type of {unread} BPF program(s) could not be read (/proc/PID/fdinfo)")
    }));
    look.gap(procs.fd_gap());
    look
}

/// kprobe events defined in tracefs (`kprobe_events`, one per line).
pub fn kprobe_events(host: &Host<'_>) -> Look {
    let mut points = host.mounted("tracefs").unwrap_or_default();
    for usual in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        if !points.iter().any(|p| p == usual) {
            points.push(usual.into());
        }
    }
    let mut look = Look::default();
    let mut read = false;
    let mut errors = Vec::new();
    for point in &points {
        let rel = format!("{}/kprobe_events", point.trim_end_matches('/'));
        match host.root.read_text(&rel) {
            Ok(text) => {
                read = true;
                for l in text.lines().filter(|l| !l.trim().is_empty()) {
                    look.found(format!("kprobe event {} ({rel})", l.trim()));
                }
                look.examined(rel);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => errors.push(format!("{rel}: {}", io_reason(&e))),
        }
    }
    if !read {
        look.unknown.push(if errors.is_empty() {
            "no kprobe_events file: tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)".into()
        } else {
            errors.join("; ")
        });
    }
    look
}

/// Processes holding perf events; `unprivileged`: only those of users other than root.
pub fn perf(host: &Host<'_>, unprivileged: bool) -> Look {
    let procs = host.procs();
    if let Some(m) = &procs.missing {
        return Look::unknown(m.clone());
    }
    let mut look = Look::default();
    let mut seen = std::collections::BTreeSet::new();
    for (p, _) in procs.holding(|t| t == "anon_inode:[perf_event]") {
        if unprivileged && p.uid == Some(0) {
            continue;
        }
        if seen.insert(p.pid) {
            let n = p
                .files
                .iter()
                .filter(|f| f.target == "anon_inode:[perf_event]")
                .count();
            look.found(format!("{} holds {n} perf event(s)", p.name_with_uid()));
        }
    }
    look.examined(format!(
        "perf event descriptors among the {}",
        procs.examined_fds()
    ));
    look.gap(procs.fd_gap());
    look
}

/// Packages of profilers and agents that read kernel pointers, kernel memory or use perf.
const PROFILER_PACKAGES: &[&str] = &[
    "bpfcc-tools",
    "bpftrace",
    "crash",
    "falco",
    "linux-perf",
    "linux-tools-common",
    "perf",
    "rr",
    "sysdig",
    "systemtap",
    "tetragon",
    "trace-cmd",
    "tracee",
];

/// The same tools as processes (`/proc/PID/comm`).
const PROFILER_COMMANDS: &[&str] = &[
    "bpftrace",
    "crash",
    "falco",
    "perf",
    "rr",
    "stapio",
    "sysdig",
    "tetragon",
    "trace-cmd",
    "tracee",
];

/// Profilers and agents running (by process name) or installed (dpkg's status file).
pub fn profilers(host: &Host<'_>) -> Look {
    let mut look = Look::default();
    let procs = host.procs();
    match &procs.missing {
        Some(m) => look.unknown.push(m.clone()),
        None => {
            for p in &procs.list {
                if PROFILER_COMMANDS.contains(&p.comm.as_str()) {
                    look.found(format!("{} is running", p.name()));
                }
            }
            look.examined(format!("the names of {} process(es)", procs.list.len()));
        }
    }
    match host.packages() {
        Ok(pkgs) => {
            for pkg in PROFILER_PACKAGES.iter().filter(|p| pkgs.contains_key(**p)) {
                look.found(format!("package {pkg} is installed (/var/lib/dpkg/status)"));
            }
            look.examined("installed packages (/var/lib/dpkg/status)");
        }
        Err(Packages::Missing) => look.unknown.push(
            "no /var/lib/dpkg/status: installed packages not examined (only dpkg's list is read)"
                .into(),
        ),
        Err(Packages::Unreadable(why)) => look.unknown.push(why.clone()),
    }
    look
}
