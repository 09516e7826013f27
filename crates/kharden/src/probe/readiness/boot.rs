//! Boot-path families: hibernation, kexec and kdump, ACPI table overrides.

use super::{not_captured, Host, Look, Packages};
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

/// The kexec system call a `kexec` command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `-s`: kexec_file_load only.
    File,
    /// `-c`, or no choice with kexec-tools before 2.0.27 (or of an unknown version):
    /// kexec_load.
    Load,
    /// `-a`, or no choice with kexec-tools 2.0.27 and later (its commit 29fe5067 "kexec: make
    /// -a the default"): kexec_file_load first, kexec_load only when that fails with ENOSYS,
    /// EINVAL, ENOEXEC or ENOTSUP (the kernel does not know the image; kexec/kexec.c,
    /// `do_kexec_file_load`). Lockdown's refusal of an unsigned image is EPERM: no fall back.
    Auto,
}

/// The call asked for by `args` (the last of `-s`, `-c`, `-a` wins, as with getopt), else
/// kexec-tools' default: `auto` says whether the installed kexec-tools defaults to `-a`.
fn call_of(args: &str, auto: Option<bool>) -> Call {
    let mut call = None;
    for a in args.split_whitespace() {
        let short = a.starts_with('-') && !a.starts_with("--");
        for (long, letter, c) in [
            ("--kexec-file-syscall", 's', Call::File),
            ("--kexec-syscall", 'c', Call::Load),
            ("--kexec-syscall-auto", 'a', Call::Auto),
        ] {
            if a == long || (short && a.contains(letter)) {
                call = Some(c);
            }
        }
    }
    call.unwrap_or(if auto == Some(true) {
        Call::Auto
    } else {
        Call::Load
    })
}

/// `1:2.0.25-3+b1` -> whether the upstream version is 2.0.27 or later; `None` when it does
/// not read as numbers.
fn auto_by_default(version: &str) -> Option<bool> {
    let v = version.split_once(':').map_or(version, |(_, v)| v);
    let upstream = v.rsplit_once('-').map_or(v, |(u, _)| u);
    let mut parts = upstream
        .split(['.', '+', '~'])
        .map(|p| p.parse::<u32>().ok());
    let (a, b, c) = (
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    );
    Some((a, b, c) >= (2, 0, 27))
}

/// Users of kexec: with `load_only`, those that use the kexec_load system call (refused by
/// lockdown), else any (both calls are refused by kexec_load_disabled).
pub fn kexec(host: &Host<'_>, load_only: bool) -> Look {
    let root = host.root;
    let mut look = Look::default();
    let sb = secure_boot_on(host);
    // kexec-tools' version decides what a kexec without -s or -c calls.
    let tools = match host.packages() {
        Ok(p) => Ok(p.get("kexec-tools").cloned()),
        Err(Packages::Missing) => Err(not_captured(root, "/var/lib/dpkg/status")
            .unwrap_or_else(|| "no /var/lib/dpkg/status (only dpkg's list is read)".into())),
        Err(Packages::Unreadable(why)) => Err(why.clone()),
    };
    let auto = match &tools {
        Ok(Some(v)) => auto_by_default(v),
        _ => None,
    };
    let first = |ver: &str| {
        format!(
            "kexec-tools {ver} tries kexec_file_load first and falls back to kexec_load only when the kernel does not know the image, not on lockdown's EPERM"
        )
    };
    let ver = match &tools {
        Ok(Some(v)) => v.clone(),
        _ => String::new(),
    };
    match config(root, "/etc/default/kdump-tools") {
        Ok(Some(text)) => {
            let vars = shell_vars(&text);
            let enabled = vars
                .iter()
                .rfind(|(_, k, _)| *k == "USE_KDUMP")
                .is_none_or(|(_, _, v)| *v == "1");
            let args = vars.iter().rfind(|(_, k, _)| *k == "KDUMP_KEXEC_ARGS");
            let call = if sb {
                Call::File
            } else {
                call_of(args.map_or("", |(_, _, v)| v), auto)
            };
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
            } else {
                match call {
                    Call::File => look.examined(format!(
                        "/etc/default/kdump-tools (kexec_file_load: {})",
                        if sb {
                            "Secure Boot on, kdump-config adds -s"
                        } else {
                            "-s given"
                        }
                    )),
                    Call::Auto => {
                        look.examined(format!("/etc/default/kdump-tools ({})", first(&ver)))
                    }
                    Call::Load => look.found(format!(
                        "kdump-tools loads its crash kernel with kexec_load, without -s ({place})"
                    )),
                }
            }
        }
        Ok(None) => look.examined("no /etc/default/kdump-tools"),
        Err(why) => look.unknown.push(why),
    }
    match config(root, "/var/crash/kexec_cmd") {
        Ok(Some(cmd)) => {
            let cmd = cmd.trim();
            let call = call_of(cmd, auto);
            if !load_only || call == Call::Load {
                look.found(format!(
                    "the last crash kernel load used {}: /var/crash/kexec_cmd: {cmd}",
                    match call {
                        Call::File => "kexec_file_load",
                        Call::Load => "kexec_load",
                        Call::Auto => "kexec_file_load first",
                    }
                ));
            } else {
                look.examined(format!(
                    "/var/crash/kexec_cmd ({})",
                    if call == Call::File {
                        "-s: kexec_file_load".to_string()
                    } else {
                        first(&ver)
                    }
                ));
            }
        }
        Ok(None) => {}
        Err(why) => look.unknown.push(why),
    }
    match config(root, "/etc/default/kexec") {
        Ok(Some(text)) => {
            let vars = shell_vars(&text);
            // Debian's kexec-load script runs `kexec -l` without -s or -c.
            let call = call_of("", auto);
            match vars.iter().rfind(|(_, k, _)| *k == "LOAD_KEXEC") {
                Some((line, _, v)) if *v == "true" && (!load_only || call == Call::Load) => {
                    look.found(format!(
                        "kexec-tools loads a kernel for kexec reboots with {} (/etc/default/kexec:{line}: LOAD_KEXEC=true)",
                        if call == Call::Load { "kexec_load" } else { "kexec_file_load first" }
                    ))
                }
                Some((_, _, v)) if *v == "true" => {
                    look.examined(format!("/etc/default/kexec ({})", first(&ver)))
                }
                _ => look.examined("/etc/default/kexec (LOAD_KEXEC is not true)"),
            }
        }
        Ok(None) => look.examined("no /etc/default/kexec"),
        Err(why) => look.unknown.push(why),
    }
    // kexec-tools itself: `kexec -l`, `kexec -p`, and `systemctl kexec` (systemd runs
    // `kexec --load` when no kernel is loaded yet).
    match &tools {
        Ok(Some(v)) => {
            let call = call_of("", auto);
            if !load_only || call == Call::Load {
                look.found(format!(
                    "kexec-tools {v} is installed: kexec -l, kexec -p and systemctl kexec (which runs kexec --load) use {} (/var/lib/dpkg/status)",
                    if call == Call::Load {
                        "kexec_load unless given -s (kexec_file_load is its default from 2.0.27)"
                    } else {
                        "kexec_file_load first"
                    }
                ));
            } else {
                look.examined(format!("{} (/var/lib/dpkg/status)", first(v)));
            }
        }
        Ok(None) => look.examined("kexec-tools is not installed (/var/lib/dpkg/status)"),
        Err(why) => look
            .unknown
            .push(format!("{why}: whether kexec-tools is installed, and which call its kexec makes by default, is not known")),
    }
    // A kernel loaded for a kexec reboot stays loaded (and usable) under either setting;
    // kexec_load_disabled refuses replacing or unloading it.
    match root.read_text("/sys/kernel/kexec_loaded") {
        Ok(v) if v == "1" && !load_only => look.found(
            "a kernel is loaded for a kexec reboot (/sys/kernel/kexec_loaded = 1): it stays, but cannot be replaced or unloaded",
        ),
        Ok(v) => look.examined(format!("/sys/kernel/kexec_loaded ({v})")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => look
            .unknown
            .push(format!("/sys/kernel/kexec_loaded: {}", io_reason(&e))),
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
    fn kexec_calls() {
        assert_eq!(call_of("-s", None), Call::File);
        assert_eq!(call_of("--kexec-file-syscall -p", Some(false)), Call::File);
        assert_eq!(
            call_of("/sbin/kexec -ps --command-line=x", None),
            Call::File
        );
        assert_eq!(call_of("/sbin/kexec -p --command-line=x", None), Call::Load);
        assert_eq!(
            call_of("/sbin/kexec -p --command-line=x", Some(false)),
            Call::Load
        );
        assert_eq!(
            call_of("/sbin/kexec -p --command-line=x", Some(true)),
            Call::Auto
        );
        assert_eq!(call_of("-p -c", Some(true)), Call::Load);
        assert_eq!(call_of("-s -a", None), Call::Auto);
        assert_eq!(call_of("", None), Call::Load);
        assert_eq!(auto_by_default("1:2.0.25-3+b1"), Some(false));
        assert_eq!(auto_by_default("1:2.0.27-1"), Some(true));
        assert_eq!(auto_by_default("2.0.31"), Some(true));
        assert_eq!(auto_by_default("2.1"), Some(true));
        assert_eq!(auto_by_default("1:2.0.26~rc1-1"), Some(false));
        assert_eq!(auto_by_default("x"), None);
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
