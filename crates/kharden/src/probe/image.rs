//! Where a kernel's own files are on a host or in a snapshot: its image (for the certificates
//! it trusts) and its config. Debian until 12 and most distributions keep them in `/boot`;
//! Debian from 2026 (`linux-binary-REL`, `linux-base-REL`) keeps them beside the modules in
//! `/usr/lib/modules/REL/`, and some systems only in `/lib/modules/REL/`.

use std::path::{Path, PathBuf};

use modsig::{Keyring, TargetKernel};

use super::kconfig::KConfig;
use crate::files::root::{io_reason, Root};
use crate::files::InputError;
use crate::modules::verify;

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

/// The kernel whose own image is trusted when no certificate or image is named: the running
/// kernel of `root` (its release from the root's `/proc`, or `release`), its image found where
/// `audit` looks for a kernel's files (`/boot/vmlinuz-REL`, `/usr/lib/modules/REL/vmlinuz`,
/// `/lib/modules/REL/vmlinuz`).
#[derive(Debug)]
pub struct RunningKernel {
    pub release: String,
    /// The image's path as shown to the user.
    pub image: String,
    pub certs: modsig::kernel::KernelCerts,
    pub warning: Option<String>,
}

pub fn running_kernel(root: &Path, release: Option<&str>) -> Result<RunningKernel, InputError> {
    let r = Root::new(root);
    let release = match release {
        Some(rel) => rel.to_string(),
        None => running_release(&r).ok_or_else(|| {
            InputError::new(
                &root.join("proc/sys/kernel/osrelease"),
                "the running kernel's release is unreadable: give --target-release REL, or --cert/--kernel",
            )
        })?,
    };
    let found = find_image(&r, &release).map_err(|why| {
        InputError::new(root, format!("{why}: give --kernel IMAGE or --cert FILE"))
    })?;
    let shown = PathBuf::from(&found.origin);
    let (certs, warning) = verify::image_certs(&shown, &found.data)?;
    if certs.certs.is_empty() {
        return Err(InputError::new(
            &shown,
            "no certificates found in this kernel image",
        ));
    }
    Ok(RunningKernel {
        release,
        image: found.origin,
        certs,
        warning,
    })
}

/// The kernel the modules are judged for: its release (from `--target-release`, else the
/// image's banner), and from its config (when one is given or found) whether it can check
/// ECDSA and ML-DSA signatures.
pub fn target_kernel(release: Option<&str>, config: Option<&KConfig>) -> TargetKernel {
    let mut t = release.map(TargetKernel::from_release).unwrap_or_default();
    if let Some(cfg) = config {
        if t.version.is_none() {
            t.version = cfg.version.map(|(a, b, _)| (a, b));
        }
        t.ecdsa = Some(cfg.enabled("CRYPTO_ECDSA"));
        t.mldsa = Some(cfg.enabled("CRYPTO_MLDSA"));
    }
    t
}

/// What `modsign verify` trusts and the kernel whose rules it judges by, from its flags.
#[derive(Debug)]
pub struct Resolved {
    pub ring: Keyring,
    pub target: TargetKernel,
    pub warnings: Vec<String>,
    /// With neither certificates nor images named: the running kernel whose image is trusted
    /// (image path as shown, release, number of certificates).
    pub running: Option<(String, String, usize)>,
    /// Where the target kernel's config was read from, when one was found.
    pub config: Option<String>,
}

/// Resolve `modsign verify`'s trust: certificate files and kernel images when given (the
/// first image's banner names the target release unless `target_release` does, and a config
/// beside that image is used when it is the target's); otherwise the running kernel of `root`
/// (or `target_release`), its own image and config, found as `audit` finds them.
pub fn resolve(
    certs: &[PathBuf],
    kernels: &[PathBuf],
    root: &Path,
    target_release: Option<&str>,
) -> Result<Resolved, InputError> {
    let verify::Trust {
        mut ring,
        mut warnings,
        releases,
    } = verify::keyring(certs, kernels)?;
    let mut release = target_release.map(str::to_string);
    let mut config = None;
    let mut running = None;
    if certs.is_empty() && kernels.is_empty() {
        let k = running_kernel(root, target_release)?;
        warnings.extend(k.warning);
        running = Some((k.image, k.release.clone(), k.certs.certs.len()));
        for c in k.certs.certs {
            ring.add(c.cert);
        }
        let r = Root::new(root);
        config = find_config(&r, &k.release);
        release = Some(k.release);
    } else if let Some(image) = kernels.first() {
        if release.is_none() || release.as_deref() == releases.first().map(String::as_str) {
            config = config_beside(image);
        }
        release = release.or_else(|| releases.first().cloned());
    }
    let target = target_kernel(release.as_deref(), config.as_ref().map(|c| &c.1));
    Ok(Resolved {
        ring,
        target,
        warnings,
        running,
        config: config.map(|c| c.0),
    })
}
