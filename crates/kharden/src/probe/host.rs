//! Host metadata, opt-in (`--with-host`): the hostname and boot id of the audited root, the
//! time of the audit and kharden's version. Without it every output is a function of the
//! inputs alone (deterministic, snapshot-tested).

use serde::Serialize;

use crate::files::Root;

/// Where the kernel publishes the host name and the boot id (sysctls, so a snapshot tree has
/// them at the same paths).
pub const HOSTNAME: &str = "/proc/sys/kernel/hostname";
pub const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct HostInfo {
    /// `None` when the root has no readable, plausible host name.
    pub hostname: Option<String>,
    pub boot_id: Option<String>,
    /// RFC 3339 UTC time of the audit.
    pub time: String,
    /// Unix seconds of the same time (Prometheus).
    #[serde(skip)]
    pub unix_time: u64,
    pub kharden_version: &'static str,
}

/// Read the host name and boot id through `root`, and take the time from the system clock.
pub fn read(root: &Root) -> HostInfo {
    let unix_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    HostInfo {
        hostname: read_word(root, HOSTNAME),
        boot_id: read_word(root, BOOT_ID),
        time: crate::policy::user::datetime_text(unix_time),
        unix_time,
        kharden_version: env!("CARGO_PKG_VERSION"),
    }
}

/// A one-word value of a tree that may be hostile: trimmed, at most 255 bytes, printable ASCII
/// without spaces or quotes, else `None` (it ends up in labels, XML and terminals).
fn read_word(root: &Root, rel: &str) -> Option<String> {
    let raw = root.read_limited(rel, 512).ok()?;
    let text = std::str::from_utf8(&raw).ok()?.trim();
    plausible(text).then(|| text.to_string())
}

fn plausible(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\' | b'<' | b'>' | b'&')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_from_a_hostile_tree() {
        assert!(plausible("web-01.example"));
        assert!(plausible("0b7c3f5e-7d0c-4b8e-9d7a-2f1e6c1a9b3d"));
        for bad in [
            "",
            "a b",
            "x\u{1b}[31m",
            "a\"b",
            "<script>",
            &"x".repeat(256),
        ] {
            assert!(!plausible(bad), "{bad:?}");
        }
    }

    #[test]
    fn reads_through_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/sys/kernel/random")).unwrap();
        std::fs::write(dir.path().join("proc/sys/kernel/hostname"), "node7\n").unwrap();
        std::fs::write(
            dir.path().join("proc/sys/kernel/random/boot_id"),
            "bad id\n",
        )
        .unwrap();
        let h = read(&Root::new(dir.path()));
        assert_eq!(h.hostname.as_deref(), Some("node7"));
        assert_eq!(h.boot_id, None);
        assert_eq!(h.kharden_version, env!("CARGO_PKG_VERSION"));
        assert!(h.time.ends_with('Z') && h.unix_time > 0);
    }
}
