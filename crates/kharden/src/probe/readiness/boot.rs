//! Boot-path families: hibernation, kexec and kdump, ACPI table overrides.

use super::{not_captured, Host, Look};
use crate::files::root::{io_reason, Root};
use crate::probe::kinds::RuntimeFact;

/// The command line the running kernel was booted with, or why it is not known.
fn cmdline<'h>(host: &'h Host<'_>) -> Result<&'h crate::probe::cmdline::Cmdline, String> {
    host.facts
        .cmdline
        .cmdline()
        .ok_or_else(|| format!("the command line: {}", host.facts.cmdline.origin()))
}

/// `KEY=value` lines of a shell-style config file, with their line numbers (comments and
/// quotes dropped).
fn shell_vars(text: &str) -> Vec<(usize, &str, &str)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            let v = v.split(" #").next().unwrap_or(v).trim();
            Some((i + 1, k.trim(), v.trim_matches(|c| c == '"' || c == '\'')))
        })
        .collect()
}

/// Read a config file: `Ok(None)` when it does not exist (and its absence is a fact: see
/// [`not_captured`]).
pub(super) fn config(root: &Root, rel: &str) -> Result<Option<String>, String> {
    match root.read_limited(rel, 1 << 20) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match not_captured(root, rel) {
            Some(why) => Err(why),
            None => Ok(None),
        },
        Err(e) => Err(format!("{rel}: {}", io_reason(&e))),
    }
}

/// Hibernation configured: a resume device on the command line, set in /sys/power/resume by
/// the initramfs, or named in initramfs-tools' configuration.
pub fn hibernation(host: &Host<'_>) -> Look {
    let root = host.root;
    let mut look = Look::default();
    match root.read_text("/sys/power/disk") {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if root.exists("/sys/power") {
                look.examined("no /sys/power/disk: the kernel is built without hibernation");
                return look;
            }
            look.unknown.push("no /sys/power under the root".into());
        }
        Err(e) => look
            .unknown
            .push(format!("/sys/power/disk: {}", io_reason(&e))),
        Ok(_) => {}
    }
    match cmdline(host) {
        Ok(c) => {
            for name in ["resume", "resume_offset"] {
                if let Some(p) = c.last(name) {
                    look.found(format!(
                        "{name}={} on the kernel command line (/proc/cmdline)",
                        p.value.as_deref().unwrap_or_default()
                    ));
                }
            }
            look.examined("the kernel command line (resume=)");
        }
        Err(why) => look.unknown.push(why),
    }
    match root.read_text("/sys/power/resume") {
        Ok(dev) if !dev.is_empty() && dev != "0:0" => {
            look.found(format!("resume device {dev} set in /sys/power/resume"))
        }
        Ok(_) => look.examined("/sys/power/resume (0:0)"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => look
            .unknown
            .push(format!("/sys/power/resume: {}", io_reason(&e))),
    }
    let mut files = vec!["/etc/initramfs-tools/initramfs.conf".to_string()];
    if let Ok(mut names) = root.list_dir("/etc/initramfs-tools/conf.d") {
        names.sort();
        files.extend(
            names
                .iter()
                .map(|n| format!("/etc/initramfs-tools/conf.d/{}", n.to_string_lossy())),
        );
    }
    for f in files {
        match config(root, &f) {
            Ok(Some(text)) => {
                for (line, k, v) in shell_vars(&text) {
                    if k == "RESUME" && !v.is_empty() && v != "none" && v != "auto" {
                        look.found(format!("{f}:{line}: RESUME={v}"));
                    }
                }
                look.examined(f);
            }
            Ok(None) => {}
            Err(why) => look.unknown.push(why),
        }
    }
    match root.read_text("/proc/swaps") {
        Ok(s) => look.examined(format!(
            "{} swap area(s) in /proc/swaps",
            s.lines().skip(1).filter(|l| !l.trim().is_empty()).count()
        )),
        Err(e) => look.unknown.push(format!("/proc/swaps: {}", io_reason(&e))),
    }
    look
}

/// Whether kdump-config adds -s by itself: it does when Secure Boot is on.
fn secure_boot_on(host: &Host<'_>) -> bool {
    host.facts
        .runtime
        .get(&RuntimeFact::SecureBoot)
        .is_some_and(|r| r.value.as_known() == Some("enabled"))
}

fn file_syscall(args: &str) -> bool {
    args.split_whitespace().any(|a| {
        a == "-s"
            || a == "--kexec-file-syscall"
            || (a.starts_with('-') && !a.starts_with("--") && a.contains('s'))
    })
}

/// Users of kexec: with `load_only`, those that use the kexec_load system call (refused by
/// lockdown), else any (both calls are refused by kexec_load_disabled).
pub fn kexec(host: &Host<'_>, load_only: bool) -> Look {
    let root = host.root;
    let mut look = Look::default();
    let sb = secure_boot_on(host);
    match config(root, "/etc/default/kdump-tools") {
        Ok(Some(text)) => {
            let vars = shell_vars(&text);
            let enabled = vars
                .iter()
                .rfind(|(_, k, _)| *k == "USE_KDUMP")
                .is_none_or(|(_, _, v)| *v == "1");
            let args = vars.iter().rfind(|(_, k, _)| *k == "KDUMP_KEXEC_ARGS");
            let with_s = args.is_some_and(|(_, _, v)| file_syscall(v));
            let place = match args {
                Some((line, _, v)) => {
                    format!("/etc/default/kdump-tools:{line}: KDUMP_KEXEC_ARGS=\"{v}\"")
                }
                None => "/etc/default/kdump-tools: no KDUMP_KEXEC_ARGS".to_string(),
            };
            if !enabled {
                look.examined("/etc/default/kdump-tools (USE_KDUMP is not 1)");
            } else if !load_only {
                look.found(format!(
                    "kdump-tools loads a crash kernel at boot ({place})"
                ));
            } else if with_s || sb {
                look.examined(format!(
                    "/etc/default/kdump-tools (kexec_file_load: {})",
                    if with_s {
                        "-s given"
                    } else {
                        "Secure Boot on, kdump-config adds -s"
                    }
                ));
            } else {
                look.found(format!(
                    "kdump-tools loads its crash kernel with kexec_load, without -s ({place})"
                ));
            }
        }
        Ok(None) => look.examined("no /etc/default/kdump-tools"),
        Err(why) => look.unknown.push(why),
    }
    match config(root, "/var/crash/kexec_cmd") {
        Ok(Some(cmd)) => {
            let cmd = cmd.trim();
            if !load_only || !file_syscall(cmd) {
                look.found(format!(
                    "the last crash kernel load used {}: /var/crash/kexec_cmd: {cmd}",
                    if file_syscall(cmd) {
                        "kexec_file_load"
                    } else {
                        "kexec_load"
                    }
                ));
            } else {
                look.examined("/var/crash/kexec_cmd (-s: kexec_file_load)");
            }
        }
        Ok(None) => {}
        Err(why) => look.unknown.push(why),
    }
    match config(root, "/etc/default/kexec") {
        Ok(Some(text)) => {
            let vars = shell_vars(&text);
            match vars.iter().rfind(|(_, k, _)| *k == "LOAD_KEXEC") {
                Some((line, _, v)) if *v == "true" => look.found(format!(
                    "kexec-tools loads a kernel for kexec reboots with kexec_load (/etc/default/kexec:{line}: LOAD_KEXEC=true)"
                )),
                _ => look.examined("/etc/default/kexec (LOAD_KEXEC is not true)"),
            }
        }
        Ok(None) => look.examined("no /etc/default/kexec"),
        Err(why) => look.unknown.push(why),
    }
    look
}

/// A crash kernel loaded now (it stays, but can no longer be replaced).
pub fn crash_loaded(host: &Host<'_>) -> Look {
    let mut look = Look::default();
    match host.root.read_text("/sys/kernel/kexec_crash_loaded") {
        Ok(v) if v == "1" => {
            look.found("a crash kernel is loaded (/sys/kernel/kexec_crash_loaded = 1)")
        }
        Ok(_) => look.examined("/sys/kernel/kexec_crash_loaded (0)"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            look.examined("no /sys/kernel/kexec_crash_loaded: the kernel is built without kexec")
        }
        Err(e) => look
            .unknown
            .push(format!("/sys/kernel/kexec_crash_loaded: {}", io_reason(&e))),
    }
    look
}

/// ACPI table overrides: from the command line, or dracut's acpi_override.
pub fn acpi_override(host: &Host<'_>) -> Look {
    let root = host.root;
    let mut look = Look::default();
    match cmdline(host) {
        Ok(c) => {
            for name in ["acpi_rsdp", "efivar_ssdt", "acpi_table_upgrade"] {
                if let Some(p) = c.last(name) {
                    look.found(format!(
                        "{name}={} on the kernel command line (/proc/cmdline)",
                        p.value.as_deref().unwrap_or_default()
                    ));
                }
            }
            look.examined("the kernel command line (acpi_rsdp=, efivar_ssdt=)");
        }
        Err(why) => look.unknown.push(why),
    }
    let mut files = vec!["/etc/dracut.conf".to_string()];
    if let Ok(mut names) = root.list_dir("/etc/dracut.conf.d") {
        names.sort();
        files.extend(
            names
                .iter()
                .map(|n| format!("/etc/dracut.conf.d/{}", n.to_string_lossy())),
        );
    }
    for f in files {
        match config(root, &f) {
            Ok(Some(text)) => {
                for (line, k, v) in shell_vars(&text) {
                    if k == "acpi_override" && v == "yes" {
                        look.found(format!(
                            "{f}:{line}: acpi_override=\"yes\" (ACPI tables in the initrd)"
                        ));
                    }
                }
                look.examined(f);
            }
            Ok(None) => {}
            Err(why) => look.unknown.push(why),
        }
    }
    look
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kexec_file_syscall_flags() {
        assert!(file_syscall("-s"));
        assert!(file_syscall("--kexec-file-syscall -p"));
        assert!(file_syscall("/sbin/kexec -ps --command-line=x"));
        assert!(!file_syscall("/sbin/kexec -p --command-line=x"));
        assert!(!file_syscall(""));
    }

    #[test]
    fn shell_lines() {
        let v = shell_vars("# c\nUSE_KDUMP=1\nKDUMP_KEXEC_ARGS=\"-s\" # x\n");
        assert_eq!(
            v,
            vec![(2, "USE_KDUMP", "1"), (3, "KDUMP_KEXEC_ARGS", "-s")]
        );
    }
}
