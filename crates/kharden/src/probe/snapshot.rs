//! `kharden snapshot`: capture exactly what an audit reads under a root (the same relative
//! paths as the test bed's snapshot trees) into a [`MemTree`], with provenance, for a
//! compressed archive that `audit`, `diff`, `fix` and `fleet` read in place of a directory.
//!
//! What is captured, and nothing else (docs/fleet.md): the kernel release, architecture, host
//! name and boot id; every kernel config the probe would try; the command line; the sysctls
//! the rules read; the runtime files (securityfs lockdown and LSM list, sig_enforce, the three
//! EFI variables, x86 boot_params); `/proc/kallsyms` up to the `_text` line only (the KASLR
//! check; that address tells the boot's KASLR offset); the root's kharden policy; the few
//! files the readiness notes of `fix` and `apply` read (/proc/modules, /proc/mounts,
//! /proc/swaps, kexec_crash_loaded, kexec_loaded, /sys/power/{disk,resume}, the SELinux
//! enforce flag; of the kernel log, its first record and the bpf_probe_write_user warnings);
//! IPE's `enforce` and each loaded policy's `active` flag (not the policies themselves); and
//! which of the directories the probe tests for exist. A file that exists but cannot be read is
//! recorded as unreadable with the reason, so that the audit of the archive says "unknown"
//! where the audit of the host would have.

use std::collections::BTreeSet;

use super::runtime;
use crate::files::archive::MemTree;
use crate::files::root::{io_reason, Root};

/// Directories whose existence (not content) the probe tests.
const DIRS: &[&str] = &[
    "/proc/sys/kernel",
    "/sys/kernel",
    "/sys/kernel/security",
    "/sys/module",
    "/sys/firmware/efi",
    "/sys/power",
    "/sys/fs",
];

/// Most bytes of files one snapshot holds (a kernel config is a few hundred KiB).
pub const MAX_SNAPSHOT_BYTES: u64 = 32 << 20;

/// The files the probe reads under `root` for rules that read `sysctl_keys`.
pub fn files_read(root: &Root, sysctl_keys: &BTreeSet<String>) -> Vec<String> {
    let mut files: Vec<String> = [
        "/proc/sys/kernel/osrelease",
        "/proc/sys/kernel/arch",
        super::host::HOSTNAME,
        super::host::BOOT_ID,
        "/proc/config.gz",
        runtime::CMDLINE,
        runtime::LOCKDOWN,
        runtime::LSM,
        runtime::SIG_ENFORCE,
        runtime::SECURE_BOOT_VAR,
        runtime::SETUP_MODE_VAR,
        runtime::MOK_SB_STATE_VAR,
        runtime::BOOT_PARAMS,
        runtime::IPE_ENFORCE,
        "/etc/kharden/policy.toml",
        // What fix and apply's readiness notes read besides (what enforcing would break).
        "/proc/modules",
        "/proc/mounts",
        "/proc/swaps",
        "/sys/kernel/kexec_crash_loaded",
        "/sys/kernel/kexec_loaded",
        "/sys/power/disk",
        "/sys/power/resume",
        "/sys/fs/selinux/enforce",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Ok(rel) = root.read_text("/proc/sys/kernel/osrelease") {
        // A release is one path component: anything else names no config file.
        if !rel.is_empty() && !rel.contains('/') && rel != "." && rel != ".." {
            files.extend(super::image::config_candidates(&rel));
        }
    }
    for key in sysctl_keys
        .iter()
        .map(String::as_str)
        .chain(super::BASE_SYSCTLS.iter().copied())
    {
        files.push(super::sysctl::proc_path(key));
    }
    files.sort();
    files.dedup();
    files
}

/// Why a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SnapshotError(pub String);

/// Capture what an audit of `root` reads; `host` gives the provenance.
pub fn capture(
    root: &Root,
    sysctl_keys: &BTreeSet<String>,
    host: &super::host::HostInfo,
) -> Result<MemTree, SnapshotError> {
    let mut tree = MemTree::default();
    let mut total = 0u64;
    for rel in files_read(root, sysctl_keys) {
        let key = rel.trim_start_matches('/').to_string();
        if !crate::files::archive::allowed(&key) {
            continue;
        }
        match root.read(&rel) {
            Ok(data) => {
                total += data.len() as u64;
                tree.files.insert(key, data);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tree.unreadable.insert(key, io_reason(&e));
            }
        }
        if total > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError(format!(
                "{}: the files an audit reads exceed {} MiB",
                Root::display(&rel),
                MAX_SNAPSHOT_BYTES >> 20
            )));
        }
    }
    capture_ipe_policies(root, &mut tree);
    match kallsyms_head(root) {
        Ok(Some(head)) => {
            tree.files.insert("proc/kallsyms".into(), head);
        }
        Ok(None) => {}
        Err(why) => {
            tree.unreadable.insert("proc/kallsyms".into(), why);
        }
    }
    // The kernel log's first record and the bpf_probe_write_user warnings (readiness).
    match super::readiness::kernel_log_for_snapshot(root) {
        Ok(Some(records)) => {
            tree.files.insert("dev/kmsg".into(), records);
        }
        Ok(None) => {}
        Err(why) => {
            tree.unreadable.insert("dev/kmsg".into(), why);
        }
    }
    for dir in DIRS {
        if root.exists(dir) {
            tree.dirs.insert(dir.trim_start_matches('/').to_string());
        }
    }
    for (k, v) in [
        ("hostname", host.hostname.clone()),
        ("boot_id", host.boot_id.clone()),
        ("time", Some(host.time.clone())),
        ("kharden_version", Some(host.kharden_version.to_string())),
    ] {
        if let Some(v) = v {
            tree.provenance.insert(k.to_string(), v);
        }
    }
    Ok(tree)
}

/// IPE's policy directories and their `active` flags: the names are the kernel's (one per loaded
/// policy), so they are listed, not known in advance. At most the number the probe reads.
fn capture_ipe_policies(root: &Root, tree: &mut MemTree) {
    let Ok(names) = root.list_dir(runtime::IPE_POLICIES) else {
        return;
    };
    let mut names: Vec<String> = names
        .into_iter()
        .filter_map(|n| n.into_string().ok())
        .filter(|n| !n.is_empty() && n != "." && n != ".." && !n.contains('/'))
        .filter(|n| !n.chars().any(char::is_control))
        .collect();
    names.sort();
    if names.len() > runtime::IPE_MAX_POLICIES {
        // The probe says unknown for so many; an archive without them says unknown too.
        return;
    }
    let dir = runtime::IPE_POLICIES.trim_start_matches('/');
    tree.dirs
        .insert(runtime::IPE_DIR.trim_start_matches('/').to_string());
    tree.dirs.insert(dir.to_string());
    for name in names {
        tree.dirs.insert(format!("{dir}/{name}"));
        let key = format!("{dir}/{name}/active");
        match root.read_limited(&format!("/{key}"), 64) {
            Ok(data) => {
                tree.files.insert(key, data);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tree.unreadable.insert(key, io_reason(&e));
            }
        }
    }
}

/// `/proc/kallsyms` up to and including the `_text` line (the first 64 KiB when there is
/// none): what the KASLR check reads, and not the rest of the kernel's symbol table.
fn kallsyms_head(root: &Root) -> Result<Option<Vec<u8>>, String> {
    let data = match root.read_prefix(runtime::KALLSYMS, 8 << 20) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_reason(&e)),
    };
    let mut end = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        end += line.len();
        let text = String::from_utf8_lossy(line);
        if text.split_whitespace().nth(2) == Some("_text") {
            return Ok(Some(data[..end].to_vec()));
        }
    }
    Ok(Some(data[..data.len().min(64 << 10)].to_vec()))
}
