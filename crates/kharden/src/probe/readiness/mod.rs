//! Readiness probes: what on this host (or snapshot tree) turning a rule on would break.
//!
//! Each family of blockers (`BlockerKind`) has a probe here that reads, through the [`Root`],
//! only facts: the things it found, what it examined, and what it could not look at and why.
//! Which rule breaks which kinds, with the consequence and the way out, is data in the rule
//! files (`[[rule.readiness]]`); `audit::readiness` joins the two into a verdict per finding.
//! Nothing here writes, and nothing here follows a link: `/proc/PID/fd` targets are read with
//! `readlinkat` (a held debugfs file's mode is then read through the `Root` from an `O_PATH`
//! descriptor, which calls no file system's `open`).

mod boot;
mod devices;
mod klog;
mod lsm;
mod modules;
pub mod procs;
mod tracing;

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::files::root::{io_reason, Root};
use crate::probe::kinds::BlockerKind;
use crate::probe::Facts;

pub use klog::snapshot_records as kernel_log_for_snapshot;
pub use modules::{esl_x509, MOK_GUID};

/// One thing found that enforcing would break: the module path, process and pid, unit,
/// config file and line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub thing: String,
}

/// What one family's probe saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Look {
    pub found: Vec<Found>,
    /// What was looked at (said when nothing was found, so `ready` names its evidence).
    pub examined: Vec<String>,
    /// What could not be looked at, each with the reason.
    pub unknown: Vec<String>,
}

impl Look {
    fn unknown(reason: impl Into<String>) -> Look {
        Look {
            unknown: vec![reason.into()],
            ..Default::default()
        }
    }

    fn found(&mut self, thing: impl Into<String>) {
        self.found.push(Found {
            thing: thing.into(),
        });
    }

    fn examined(&mut self, what: impl Into<String>) {
        self.examined.push(what.into());
    }

    fn gap(&mut self, why: Option<String>) {
        self.unknown.extend(why);
    }
}

/// What the probes share: the root, the facts already read, and the process table and mount
/// list, each read at most once.
pub struct Host<'a> {
    root: &'a Root,
    facts: &'a Facts,
    maps: bool,
    procs: OnceCell<procs::Processes>,
    mounts: OnceCell<Result<Vec<Mount>, String>>,
    packages: OnceCell<Result<BTreeMap<String, String>, Packages>>,
}

/// Why dpkg's list of installed packages is not known.
#[derive(Debug, Clone)]
pub enum Packages {
    /// No `/var/lib/dpkg/status` (not a dpkg system, or not captured).
    Missing,
    /// It could not be read, with the reason.
    Unreadable(String),
}

/// A line of `/proc/mounts`.
#[derive(Debug, Clone)]
pub struct Mount {
    pub point: String,
    pub fstype: String,
}

impl<'a> Host<'a> {
    fn procs(&self) -> &procs::Processes {
        self.procs.get_or_init(|| {
            // Descriptors under a debugfs or tracefs mounted elsewhere than usual are kept too.
            let extra: Vec<String> = match self.mounts() {
                Ok(m) => m
                    .iter()
                    .filter(|m| matches!(m.fstype.as_str(), "debugfs" | "tracefs"))
                    .map(|m| format!("{}/", m.point.trim_end_matches('/')))
                    .collect(),
                Err(_) => Vec::new(),
            };
            procs::scan(self.root, self.maps, &extra)
        })
    }

    fn mounts(&self) -> &Result<Vec<Mount>, String> {
        self.mounts.get_or_init(|| {
            let text = self
                .root
                .read_text("/proc/mounts")
                .map_err(|e| format!("/proc/mounts: {}", io_reason(&e)))?;
            Ok(text
                .lines()
                .filter_map(|l| {
                    let mut f = l.split_whitespace();
                    let _dev = f.next()?;
                    let point = unescape_mount(f.next()?);
                    let fstype = f.next()?.to_string();
                    Some(Mount { point, fstype })
                })
                .collect())
        })
    }

    /// dpkg's installed packages and their versions (`/var/lib/dpkg/status`), read once.
    fn packages(&self) -> &Result<BTreeMap<String, String>, Packages> {
        self.packages.get_or_init(|| {
            let bytes = self.root.read("/var/lib/dpkg/status").map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Packages::Missing
                } else {
                    Packages::Unreadable(format!("/var/lib/dpkg/status: {}", io_reason(&e)))
                }
            })?;
            let text = String::from_utf8_lossy(&bytes);
            let mut out = BTreeMap::new();
            for stanza in text.split("\n\n") {
                let field = |name: &str| {
                    stanza
                        .lines()
                        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                        .map(str::trim)
                };
                if let (Some(pkg), Some(status)) = (field("Package"), field("Status")) {
                    if status.ends_with(" installed") {
                        out.insert(
                            pkg.to_string(),
                            field("Version").unwrap_or_default().to_string(),
                        );
                    }
                }
            }
            Ok(out)
        })
    }

    /// Mount points of a file system type (`debugfs`), or why they are not known.
    fn mounted(&self, fstype: &str) -> Result<Vec<String>, String> {
        self.mounts().as_ref().map_err(Clone::clone).map(|m| {
            m.iter()
                .filter(|m| m.fstype == fstype)
                .map(|m| m.point.clone())
                .collect()
        })
    }
}

/// Why the absence of `path` says nothing: its top-level directory (`/etc`, `/var`, `/lib`) is
/// missing from the root altogether, as in a snapshot that did not capture it. `None` when the
/// absence of `path` is a fact about the host.
fn not_captured(root: &Root, path: &str) -> Option<String> {
    let top = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    (!root.exists(top)).then(|| format!("{path}: no /{top} under the root (not captured)"))
}

/// `/proc/mounts` escapes spaces and the like as `\040`.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Look for every kind in `kinds` under `root`. Offline audits (no host behind the facts)
/// get `unknown` for every kind: nothing was there to examine.
pub fn look(
    root: &Root,
    facts: &Facts,
    kinds: &BTreeSet<BlockerKind>,
) -> BTreeMap<BlockerKind, Look> {
    if !facts.live {
        return kinds
            .iter()
            .map(|k| {
                (
                    *k,
                    Look::unknown("offline audit (config, command line or sysctl files only): no host to examine"),
                )
            })
            .collect();
    }
    let host = Host {
        root,
        facts,
        maps: kinds.contains(&BlockerKind::PciResourceMapped),
        procs: OnceCell::new(),
        mounts: OnceCell::new(),
        packages: OnceCell::new(),
    };
    kinds.iter().map(|k| (*k, probe(&host, *k))).collect()
}

fn probe(host: &Host<'_>, kind: BlockerKind) -> Look {
    use BlockerKind as K;
    let mut look = match kind {
        K::UnsignedModule => modules::unsigned_on_disk(host),
        K::LoadedUnsignedModule => modules::loaded_unsigned(host),
        K::UnenrolledModuleKey => modules::unenrolled_keys(host),
        K::DkmsModule => modules::dkms(host),
        K::Hibernation => boot::hibernation(host),
        K::KexecLoad => boot::kexec(host, true),
        K::KexecUser => boot::kexec(host, false),
        K::CrashKernelLoaded => boot::crash_loaded(host),
        K::AcpiOverride => boot::acpi_override(host),
        K::DevMemUser => devices::dev_mem(host),
        K::MsrUser => devices::msr(host),
        K::PciResourceMapped => devices::pci(host),
        K::DebugfsUser => devices::fs_users(host, "debugfs"),
        K::TracefsUser => devices::fs_users(host, "tracefs"),
        K::KcoreReader => devices::kcore(host),
        K::KernelLogReader => devices::kernel_log(host),
        K::TracingBpf => tracing::bpf(host),
        K::KprobeEvent => tracing::kprobe_events(host),
        K::PerfEventUser => tracing::perf(host, false),
        K::UnprivilegedPerfUser => tracing::perf(host, true),
        K::Profiler => tracing::profilers(host),
        K::SelinuxPermissive => lsm::selinux_permissive(host),
        K::BpfWriteUser => klog::bpf_write_user(host),
    };
    look.found.sort();
    look.found.dedup();
    look
}
