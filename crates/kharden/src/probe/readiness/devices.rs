//! Families found among open descriptors and memory maps: /dev/mem and friends, MSRs, PCI
//! resources, debugfs and tracefs files, /proc/kcore, the kernel log.

use super::procs::{fdinfo, OpenFile, Process};
use super::{Host, Look};

/// Blockers for every process holding a descriptor whose target `matches`, and what was
/// examined (or could not be).
fn holders(
    host: &Host<'_>,
    what: &str,
    mut matches: impl FnMut(&Process, &OpenFile) -> bool,
) -> Look {
    let procs = host.procs();
    let mut look = Look::default();
    if let Some(m) = &procs.missing {
        return Look::unknown(m.clone());
    }
    for (p, f) in procs.holding(|_| true) {
        if matches(p, f) {
            look.found(format!(
                "{} holds {} open (fd {})",
                p.name(),
                f.target,
                f.fd
            ));
        }
    }
    look.examined(format!("{} for {what}", procs.examined_fds()));
    look.gap(procs.fd_gap());
    look
}

pub fn dev_mem(host: &Host<'_>) -> Look {
    holders(host, "/dev/mem, /dev/kmem, /dev/port", |_, f| {
        matches!(f.target.as_str(), "/dev/mem" | "/dev/kmem" | "/dev/port")
    })
}

/// `/dev/cpu/N/msr` open for writing (lockdown refuses MSR writes; reads still work). The
/// open mode is in `/proc/PID/fdinfo/FD` (`flags:`, octal).
pub fn msr(host: &Host<'_>) -> Look {
    let root = host.root;
    let mut readers = 0;
    let mut look = holders(host, "/dev/cpu/*/msr", |p, f| {
        let is_msr = f.target.starts_with("/dev/cpu/") && f.target.ends_with("/msr");
        if !is_msr {
            return false;
        }
        let flags = fdinfo(root, p.pid, f.fd).and_then(|info| {
            info.into_iter()
                .find(|(k, _)| k == "flags")
                .and_then(|(_, v)| u32::from_str_radix(&v, 8).ok())
        });
        match flags {
            // O_WRONLY or O_RDWR.
            Some(fl) if fl & 3 == 0 => {
                readers += 1;
                false
            }
            _ => true,
        }
    });
    if readers > 0 {
        look.examined(format!(
            "{readers} MSR descriptor(s) open read-only (reads stay allowed)"
        ));
    }
    look
}

/// PCI `resource*` files mapped by a process, and UIO devices held (userspace drivers).
pub fn pci(host: &Host<'_>) -> Look {
    let procs = host.procs();
    let mut look = holders(host, "/dev/uio*", |_, f| f.target.starts_with("/dev/uio"));
    if procs.missing.is_some() {
        return look;
    }
    for p in &procs.list {
        for m in &p.pci_maps {
            look.found(format!("{} maps {m}", p.name()));
        }
    }
    look.examined(format!(
        "memory maps of {} process(es) (/proc/PID/maps) for PCI resource files",
        procs.list.len() - procs.maps_denied.min(procs.list.len())
    ));
    look.gap(procs.maps_gap());
    look
}

/// Processes holding files of a debugfs or tracefs open. Mount points come from /proc/mounts
/// (the usual places are looked at too); a tracefs mounted inside debugfs counts as tracefs.
pub fn fs_users(host: &Host<'_>, fstype: &str) -> Look {
    let usual = match fstype {
        "debugfs" => "/sys/kernel/debug",
        _ => "/sys/kernel/tracing",
    };
    let mut points = match host.mounted(fstype) {
        Ok(p) => p,
        Err(why) => return Look::unknown(why),
    };
    let tracefs = host.mounted("tracefs").unwrap_or_default();
    let mounted = !points.is_empty();
    if !points.iter().any(|p| p == usual) {
        points.push(usual.to_string());
    }
    if fstype == "tracefs" && !points.iter().any(|p| p == "/sys/kernel/debug/tracing") {
        points.push("/sys/kernel/debug/tracing".into());
    }
    let under = |target: &str, point: &str| {
        target
            .strip_prefix(point.trim_end_matches('/'))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let mut look = holders(host, &format!("files of {fstype}"), |_, f| {
        let Some(point) = points
            .iter()
            .filter(|p| under(&f.target, p))
            .max_by_key(|p| p.len())
        else {
            return false;
        };
        // The deepest mount wins: a tracefs under /sys/kernel/debug/tracing is not debugfs.
        fstype != "debugfs"
            || !tracefs
                .iter()
                .chain(std::iter::once(&"/sys/kernel/debug/tracing".to_string()))
                .any(|t| t.len() > point.len() && under(&f.target, t))
    });
    look.examined(if mounted {
        format!("{fstype} mounted at {}", points.join(", "))
    } else {
        format!("{fstype} not mounted (/proc/mounts)")
    });
    look
}

pub fn kcore(host: &Host<'_>) -> Look {
    holders(host, "/proc/kcore", |_, f| f.target == "/proc/kcore")
}

/// Processes of other users than root reading the kernel log: dmesg_restrict refuses them.
pub fn kernel_log(host: &Host<'_>) -> Look {
    holders(
        host,
        "/dev/kmsg and /proc/kmsg held by users other than root",
        |p, f| matches!(f.target.as_str(), "/dev/kmsg" | "/proc/kmsg") && p.uid != Some(0),
    )
}
