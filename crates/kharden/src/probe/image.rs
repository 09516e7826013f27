//! Where a kernel's own files are on a host or in a snapshot: its image (for the certificates
//! it trusts) and its config. Debian until 12 and most distributions keep them in `/boot`;
//! Debian from 2026 (`linux-binary-REL`, `linux-base-REL`) keeps them beside the modules in
//! `/usr/lib/modules/REL/`, and some systems only in `/lib/modules/REL/`.

use std::path::Path;

use super::kconfig::KConfig;
use crate::files::root::{io_reason, Root};

/// Largest image read whole (an uncompressed arm64 `Image` is about 40 MB).
pub const IMAGE_LIMIT: u64 = 512 << 20;

/// The paths of the image of kernel `release`, in the order they are tried.
pub fn image_candidates(release: &str) -> Vec<String> {
    vec![
        format!("/boot/vmlinuz-{release}"),
        format!("/usr/lib/modules/{release}/vmlinuz"),
        format!("/lib/modules/{release}/vmlinuz"),
    ]
}

/// The paths of the config of kernel `release` (after `/proc/config.gz`), in the order tried.
pub fn config_candidates(release: &str) -> Vec<String> {
    vec![
        format!("/boot/config-{release}"),
        format!("/usr/lib/modules/{release}/config"),
        format!("/lib/modules/{release}/config"),
        format!("/lib/modules/{release}/build/.config"),
    ]
}

/// The running kernel's release (`uname -r`), as the root's `/proc` tells it.
pub fn running_release(root: &Root) -> Option<String> {
    root.read_text("/proc/sys/kernel/osrelease")
        .ok()
        .filter(|r| !r.is_empty())
}

/// An image that was found: where (as shown to the user) and its bytes.
#[derive(Debug)]
pub struct FoundImage {
    pub origin: String,
    pub data: Vec<u8>,
}

/// Read the first image of kernel `release` found under `root`; the error says every path
/// tried and why it failed.
pub fn find_image(root: &Root, release: &str) -> Result<FoundImage, String> {
    let mut tried = Vec::new();
    for cand in image_candidates(release) {
        match root.read_limited(&cand, IMAGE_LIMIT) {
            Ok(data) => {
                return Ok(FoundImage {
                    origin: shown(root, &cand),
                    data,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tried.push(format!("{cand}: not found"))
            }
            Err(e) => tried.push(format!("{cand}: {}", io_reason(&e))),
        }
    }
    Err(format!(
        "no image of kernel {release} found{} ({})",
        if root.is_host() {
            String::new()
        } else {
            format!(" under {}", root.dir().display())
        },
        tried.join("; ")
    ))
}

/// The config of kernel `release` under `root`: `/proc/config.gz` when `release` is the
/// running kernel, then [`config_candidates`]. None when none is found or parses.
pub fn find_config(root: &Root, release: &str) -> Option<(String, KConfig)> {
    let mut candidates = Vec::new();
    if running_release(root).as_deref() == Some(release) {
        candidates.push("/proc/config.gz".to_string());
    }
    candidates.extend(config_candidates(release));
    candidates.into_iter().find_map(|cand| {
        let raw = root.read(&cand).ok()?;
        let (cfg, _) = KConfig::from_vec(raw).ok()?;
        Some((shown(root, &cand), cfg))
    })
}

/// The config beside an image, as distributions install them: `config-REL` beside
/// `vmlinuz-REL` (/boot), `config` beside `vmlinuz` (/usr/lib/modules/REL/).
pub fn config_beside(image: &Path) -> Option<(String, KConfig)> {
    let name = image.file_name()?.to_str()?;
    let config = match name.strip_prefix("vmlinuz") {
        Some("") => "config".to_string(),
        Some(rest) if rest.starts_with('-') => format!("config{rest}"),
        _ => return None,
    };
    let dir = image
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let raw = Root::new(dir).read(&config).ok()?;
    let (cfg, _) = KConfig::from_vec(raw).ok()?;
    Some((dir.join(config).display().to_string(), cfg))
}

fn shown(root: &Root, rel: &str) -> String {
    if root.is_host() {
        rel.to_string()
    } else {
        root.dir()
            .join(rel.trim_start_matches('/'))
            .display()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_looked_for_in_boot_then_beside_the_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path());
        let err = find_image(&root, "7.2.13+deb14-cloud-amd64").unwrap_err();
        assert!(
            err.contains("/boot/vmlinuz-7.2.13+deb14-cloud-amd64: not found"),
            "{err}"
        );
        assert!(err.contains("/usr/lib/modules/7.2.13+deb14-cloud-amd64/vmlinuz: not found"));
        let m = dir.path().join("usr/lib/modules/7.2.13+deb14-cloud-amd64");
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(m.join("vmlinuz"), b"image").unwrap();
        let found = find_image(&root, "7.2.13+deb14-cloud-amd64").unwrap();
        assert_eq!(found.data, b"image");
        assert!(found
            .origin
            .ends_with("usr/lib/modules/7.2.13+deb14-cloud-amd64/vmlinuz"));
        std::fs::create_dir_all(dir.path().join("boot")).unwrap();
        std::fs::write(
            dir.path().join("boot/vmlinuz-7.2.13+deb14-cloud-amd64"),
            b"boot",
        )
        .unwrap();
        assert_eq!(
            find_image(&root, "7.2.13+deb14-cloud-amd64").unwrap().data,
            b"boot"
        );
    }
}
