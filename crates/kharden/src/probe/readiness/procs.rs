//! The process table as readiness needs it: each process's name, real uid, the targets of its
//! open descriptors that name a device, a kernel file system file or a BPF/perf object
//! (`/proc/PID/fd`, read with `readlinkat`, never opened), and, when asked, the PCI resource
//! files it maps (`/proc/PID/maps`). Read once per run, shared by every family.

use std::os::fd::AsFd;

use crate::files::root::{io_reason, Root};

/// One open descriptor worth knowing about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFile {
    pub fd: u32,
    /// The link's target as the kernel shows it (`/dev/mem`, `anon_inode:bpf-prog`).
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub comm: String,
    /// Real uid (`/proc/PID/status`), `None` when it could not be read.
    pub uid: Option<u32>,
    pub files: Vec<OpenFile>,
    /// `/sys/.../resourceN` (and `/dev/uio*`) mappings, from `/proc/PID/maps`.
    pub pci_maps: Vec<String>,
}

impl Process {
    /// `process 1234 (flashrom)`, as blockers name a process.
    pub fn name(&self) -> String {
        format!("process {} ({})", self.pid, self.comm)
    }

    /// `process 1234 (perf, uid 1000)`.
    pub fn name_with_uid(&self) -> String {
        match self.uid {
            Some(uid) => format!("process {} ({}, uid {uid})", self.pid, self.comm),
            None => self.name(),
        }
    }
}

/// What the scan saw, and how much of it it could not see.
#[derive(Debug, Clone, Default)]
pub struct Processes {
    pub list: Vec<Process>,
    /// Processes whose descriptors could not be listed (not root), with one reason.
    pub fd_denied: usize,
    pub maps_denied: usize,
    pub denied_reason: Option<String>,
    /// Why no process could be looked at at all (no `/proc` under the root, a snapshot
    /// without processes).
    pub missing: Option<String>,
    pub maps_read: bool,
}

impl Processes {
    /// What was examined, for the `examined` list of a family that reads descriptors.
    pub fn examined_fds(&self) -> String {
        format!(
            "open files of {} process{} (/proc/PID/fd)",
            self.list.len() - self.fd_denied.min(self.list.len()),
            if self.list.len() - self.fd_denied.min(self.list.len()) == 1 {
                ""
            } else {
                "es"
            }
        )
    }

    /// Why the scan of descriptors is incomplete, when it is.
    pub fn fd_gap(&self) -> Option<String> {
        if let Some(m) = &self.missing {
            return Some(m.clone());
        }
        (self.fd_denied > 0).then(|| {
            format!(
                "the open files of {} of {} processes could not be read ({})",
                self.fd_denied,
                self.list.len(),
                self.denied_reason.as_deref().unwrap_or("permission denied")
            )
        })
    }

    pub fn maps_gap(&self) -> Option<String> {
        if let Some(m) = &self.missing {
            return Some(m.clone());
        }
        (self.maps_denied > 0).then(|| {
            format!(
                "the memory maps of {} of {} processes could not be read ({})",
                self.maps_denied,
                self.list.len(),
                self.denied_reason.as_deref().unwrap_or("permission denied")
            )
        })
    }

    /// Processes holding a descriptor whose target `matches`, with the targets.
    pub fn holding<'a>(
        &'a self,
        matches: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a Process, &'a OpenFile)> + 'a {
        self.list
            .iter()
            .flat_map(|p| p.files.iter().map(move |f| (p, f)))
            .filter(move |(_, f)| matches(&f.target))
    }
}

/// Whether a descriptor's target is kept (everything else a process holds - sockets, pipes,
/// ordinary files - is dropped as it is read).
fn kept(target: &str) -> bool {
    target.starts_with("/dev/")
        || target.starts_with("/sys/")
        || target.starts_with("/proc/k")
        || target.starts_with("anon_inode:bpf-prog")
        || target.starts_with("anon_inode:[perf_event]")
        || target.contains("/tracing/")
        || target.contains("/debug/")
}

/// Read the process table under `root`; `maps`: also read each process's memory maps.
pub fn scan(root: &Root, maps: bool, extra_kept: &[String]) -> Processes {
    let mut out = Processes {
        maps_read: maps,
        ..Default::default()
    };
    let names = match root.list_dir("/proc") {
        Ok(n) => n,
        Err(e) => {
            out.missing = Some(format!("/proc: {}", io_reason(&e)));
            return out;
        }
    };
    let mut pids: Vec<u32> = names
        .iter()
        .filter_map(|n| n.to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    if pids.is_empty() {
        out.missing = Some("no processes under /proc (a snapshot without /proc/PID)".into());
        return out;
    }
    for pid in pids {
        let Some(p) = read_process(root, pid, maps, extra_kept, &mut out) else {
            continue;
        };
        out.list.push(p);
    }
    if out.list.is_empty() {
        out.missing = Some("every process under /proc vanished while it was read".into());
    }
    out
}

fn read_process(
    root: &Root,
    pid: u32,
    maps: bool,
    extra_kept: &[String],
    out: &mut Processes,
) -> Option<Process> {
    let base = format!("/proc/{pid}");
    // A process that ended meanwhile is simply not there.
    let comm = match root.read_text(&format!("{base}/comm")) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(_) => "?".into(),
    };
    let uid = root
        .read_text(&format!("{base}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|u| u.split_whitespace().next()?.parse().ok())
        });
    let mut p = Process {
        pid,
        comm,
        uid,
        files: Vec::new(),
        pci_maps: Vec::new(),
    };
    match root.open_dir(&format!("{base}/fd")) {
        Ok(dir) => {
            let listed = rustix::fs::Dir::read_from(&dir).map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| {
                        std::str::from_utf8(e.file_name().to_bytes())
                            .ok()?
                            .parse()
                            .ok()
                    })
                    .collect::<Vec<u32>>()
            });
            match listed {
                Ok(mut fds) => {
                    fds.sort_unstable();
                    for fd in fds {
                        let name = std::ffi::OsString::from(fd.to_string());
                        let Ok(target) = Root::read_link_at(dir.as_fd(), &name) else {
                            continue;
                        };
                        let target = String::from_utf8_lossy(&target).into_owned();
                        if kept(&target)
                            || extra_kept.iter().any(|k| target.starts_with(k.as_str()))
                        {
                            p.files.push(OpenFile { fd, target });
                        }
                    }
                }
                Err(e) => denied(out, &std::io::Error::from(e)),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Ended meanwhile, or a snapshot that keeps no descriptors for this process.
            denied(out, &e);
        }
        Err(e) => denied(out, &e),
    }
    if maps {
        match root.read_limited(&format!("{base}/maps"), 64 << 20) {
            Ok(m) => {
                for line in String::from_utf8_lossy(&m).lines() {
                    let Some(path) = line.split_whitespace().nth(5) else {
                        continue;
                    };
                    let file = path.rsplit('/').next().unwrap_or_default();
                    let pci = path.starts_with("/sys/") && file.starts_with("resource");
                    if (pci || path.starts_with("/dev/uio"))
                        && !p.pci_maps.iter().any(|m| m == path)
                    {
                        p.pci_maps.push(path.to_string());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                out.maps_denied += 1;
                out.denied_reason.get_or_insert_with(|| io_reason(&e));
            }
        }
    }
    Some(p)
}

fn denied(out: &mut Processes, e: &std::io::Error) {
    out.fd_denied += 1;
    out.denied_reason.get_or_insert_with(|| io_reason(e));
}

/// The `key:\tvalue` lines of `/proc/PID/fdinfo/FD` (bpf programs' `prog_type`, the open
/// flags), or `None` when it cannot be read.
pub fn fdinfo(root: &Root, pid: u32, fd: u32) -> Option<Vec<(String, String)>> {
    let text = root.read_text(&format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
    )
}
