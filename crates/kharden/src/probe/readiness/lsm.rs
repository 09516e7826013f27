//! LSM families: SELinux permissive now, and the permissive domains that stay so.

use super::{Host, Look};
use crate::files::root::{io_reason, Root};

const STORE: &str = "/var/lib/selinux";

/// SELinux permissive now (`/sys/fs/selinux/enforce` = 0): enforcing denies what it only logs.
///
/// Permissive domains (`semanage permissive -a`) are said among what was examined, not as
/// blockers: without CONFIG_SECURITY_SELINUX_DEVELOP only the global flag is gone, and the
/// kernel still lets a permissive domain's denials through (`avc_denied` checks the
/// domain's `AVD_FLAGS_PERMISSIVE` whatever the global mode), so they keep working.
pub fn selinux_permissive(host: &Host<'_>) -> Look {
    let mut look = Look::default();
    match host.root.read_text("/sys/fs/selinux/enforce") {
        Ok(v) if v == "0" => look.found("SELinux is permissive now (/sys/fs/selinux/enforce = 0)"),
        Ok(v) => look.examined(format!("/sys/fs/selinux/enforce = {v}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if host.root.exists("/sys/fs") {
                look.examined("no /sys/fs/selinux: SELinux is not active")
            } else {
                look.unknown.push("no /sys/fs under the root".into())
            }
        }
        Err(e) => look
            .unknown
            .push(format!("/sys/fs/selinux/enforce: {}", io_reason(&e))),
    }
    if let Some(domains) = permissive_domains(host.root) {
        look.examined(domains);
    }
    look
}

/// The permissive domains `semanage permissive -a` made: modules named `permissive_DOMAIN`
/// in the policy store of each policy type (`/var/lib/selinux/TYPE/active/modules/PRIO/`),
/// those listed in `active/disabled` left out. `None` when there is no store.
fn permissive_domains(root: &Root) -> Option<String> {
    let mut types = match root.list_dir(STORE) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            return Some(format!(
                "{STORE}: {}: permissive domains not read",
                io_reason(&e)
            ))
        }
    };
    types.sort();
    let mut found = Vec::new();
    for ty in types.iter().map(|t| t.to_string_lossy()) {
        let active = format!("{STORE}/{ty}/active");
        let Ok(mut prios) = root.list_dir(&format!("{active}/modules")) else {
            continue;
        };
        prios.sort();
        for prio in prios.iter().map(|p| p.to_string_lossy()) {
            let Ok(mut names) = root.list_dir(&format!("{active}/modules/{prio}")) else {
                continue;
            };
            names.sort();
            for name in names.iter().map(|n| n.to_string_lossy()) {
                let Some(domain) = name.strip_prefix("permissive_") else {
                    continue;
                };
                if !root.exists(&format!("{active}/disabled/{name}")) {
                    found.push(format!("{domain} ({active}/modules/{prio}/{name})"));
                }
            }
        }
    }
    Some(if found.is_empty() {
        format!("no permissive domains in the SELinux policy store ({STORE})")
    } else {
        format!(
            "permissive domains, which stay permissive without SELINUX_DEVELOP: {}",
            found.join(", ")
        )
    })
}
