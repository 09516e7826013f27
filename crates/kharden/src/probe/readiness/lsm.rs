//! LSM families: SELinux permissive now.

use super::{Host, Look};
use crate::files::root::io_reason;

/// SELinux permissive now (`/sys/fs/selinux/enforce` = 0): enforcing denies what it only logs.
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
    look
}
