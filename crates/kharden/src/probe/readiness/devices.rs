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

/// The permission bits of a file under the root, from a descriptor opened `O_PATH` (a debugfs
/// file's own `open` is never called); `None` when it cannot be stat'ed.
fn mode_of(root: &crate::files::Root, rel: &str) -> Option<u32> {
    let fd = root.open(rel, rustix::fs::OFlags::PATH).ok()?;
    rustix::fs::fstat(&fd).ok().map(|st| st.st_mode & 0o7777)
}

/// Whether lockdown may let a held debugfs file be opened again: debugfs refuses, under
/// lockdown, files with a mode bit beyond 0444, opened for writing, or with ioctl or mmap
/// (fs/debugfs/file.c, `debugfs_locked_down`). `/proc` shows the first two, not the last, so a
/// file that passes both may or may not break. `None` when mode or flags cannot be read.
fn debugfs_read_only(mode: Option<u32>, flags: Option<u32>) -> Option<bool> {
    Some(mode? & !0o444 == 0 && flags? & 3 == 0)
}

/// Processes holding files of a debugfs or tracefs open. Mount points come from /proc/mounts
/// (the usual places are looked at too); a tracefs mounted inside debugfs counts as tracefs.
/// A debugfs file of mode 0444 or less opened read-only is not a blocker but an unknown (see
/// [`debugfs_read_only`]).
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
    let root = host.root;
    let mut may_break = Vec::new();
    let mut look = holders(host, &format!("files of {fstype}"), |p, f| {
        let Some(point) = points
            .iter()
            .filter(|p| under(&f.target, p))
            .max_by_key(|p| p.len())
        else {
            return false;
        };
        if fstype != "debugfs" {
            return true;
        }
        // The deepest mount wins: a tracefs under /sys/kernel/debug/tracing is not debugfs.
        if tracefs
            .iter()
            .chain(std::iter::once(&"/sys/kernel/debug/tracing".to_string()))
            .any(|t| t.len() > point.len() && under(&f.target, t))
        {
            return false;
        }
        let mode = mode_of(root, &f.target);
        let flags = fdinfo(root, p.pid, f.fd).and_then(|info| {
            info.into_iter()
                .find(|(k, _)| k == "flags")
                .and_then(|(_, v)| u32::from_str_radix(&v, 8).ok())
        });
        if debugfs_read_only(mode, flags) == Some(true) {
            may_break.push(format!(
                "{} holds {} open read-only (mode {:04o}): lockdown refuses it only if the file has ioctl or mmap, which /proc does not show",
                p.name(),
                f.target,
                mode.unwrap_or_default()
            ));
            return false;
        }
        true
    });
    look.unknown.extend(may_break);
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

#[cfg(test)]
mod tests {
    use super::debugfs_read_only;

    #[test]
    fn debugfs_lockdown_rule() {
        // 0444 or less, opened O_RDONLY (0100000 with O_LARGEFILE): may keep working.
        assert_eq!(debugfs_read_only(Some(0o444), Some(0o100000)), Some(true));
        assert_eq!(debugfs_read_only(Some(0o400), Some(0o100000)), Some(true));
        // A write bit in the mode, or opened O_WRONLY / O_RDWR: refused.
        assert_eq!(debugfs_read_only(Some(0o644), Some(0o100000)), Some(false));
        assert_eq!(debugfs_read_only(Some(0o444), Some(0o100002)), Some(false));
        assert_eq!(debugfs_read_only(Some(0o444), Some(0o100001)), Some(false));
        // Not known: kept as a blocker by the caller.
        assert_eq!(debugfs_read_only(None, Some(0o100000)), None);
        assert_eq!(debugfs_read_only(Some(0o444), None), None);
    }
}
