//! Verification of modules by the kernel's rules (`modsig::verify`), over files and trees,
//! with the trusted certificates from certificate files and kernel images.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use modsig::cert::Certificate;
use modsig::{Keyring, Status, TargetKernel, Verdict};

use super::{read_module, Budget, Pool, ReadError, Tree};
use crate::files::{io_reason, read_named, InputError};

/// Largest kernel image file read whole (the decompressed kernel is streamed).
const IMAGE_FILE_LIMIT: u64 = 512 << 20;
/// Largest certificate file.
const CERT_FILE_LIMIT: u64 = 16 << 20;

/// A module to read: inside a tree that was walked (opened relative to it, no symbolic link
/// anywhere), or a file the user named (followed as given, type checked on the descriptor).
#[derive(Debug, Clone)]
pub enum Target {
    InTree(Arc<Tree>, PathBuf),
    Named(PathBuf),
}

impl Target {
    pub fn path(&self) -> PathBuf {
        match self {
            Target::InTree(t, rel) => t.path().join(rel),
            Target::Named(p) => p.clone(),
        }
    }

    pub fn open(&self) -> io::Result<File> {
        match self {
            Target::InTree(t, rel) => t.open_module(rel),
            Target::Named(p) => Ok(File::from(rustix::fs::open(
                p,
                crate::files::root::read_flags(),
                rustix::fs::Mode::empty(),
            )?)),
        }
    }
}

/// Modules found under the given paths (sorted by path), and the paths that could not be
/// listed. Explicit file arguments are taken whatever their name; directories are walked
/// without following links.
#[derive(Debug, Default)]
pub struct Found {
    pub targets: Vec<Target>,
    /// "reading PATH: reason" for each path that could not be listed.
    pub errors: Vec<String>,
}

pub fn find(paths: &[PathBuf]) -> Found {
    let mut found = Found::default();
    let mut named = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => match Tree::open(p) {
                Ok(tree) => {
                    let listing = tree.walk(false);
                    found
                        .errors
                        .extend(listing.errors.iter().map(|(p, e)| listing_error(p, e)));
                    let tree = Arc::new(tree);
                    found.targets.extend(
                        listing
                            .modules
                            .into_iter()
                            .map(|rel| Target::InTree(tree.clone(), rel)),
                    );
                }
                Err(e) => found.errors.push(listing_error(p, &e)),
            },
            Ok(_) => named.push(p.clone()),
            Err(e) => found.errors.push(listing_error(p, &e)),
        }
    }
    named.sort();
    named.dedup();
    found.targets.extend(named.into_iter().map(Target::Named));
    found.targets.sort_by_cached_key(Target::path);
    found
}

fn listing_error(path: &Path, e: &io::Error) -> String {
    format!(
        "reading {}: {}",
        crate::term::clean(&path.display().to_string()),
        io_reason(e)
    )
}

/// One module's verdict, or why it could not be read.
#[derive(Debug)]
pub struct Checked {
    pub path: PathBuf,
    pub outcome: Result<Verdict, String>,
}

fn unreadable(status: Status, detail: String) -> Verdict {
    Verdict {
        status,
        detail,
        signer: None,
        key_id: None,
        hash: None,
    }
}

/// Judge one module. A module too large or not decompressible gets a verdict (the kernel
/// would not load it either); one that cannot be opened or read is an error.
pub fn check(module: &Target, ring: &Keyring, target: &TargetKernel, budget: &Budget) -> Checked {
    let path = module.path();
    let shown = || crate::term::clean(&path.display().to_string()).into_owned();
    let outcome = match module.open() {
        Err(e) => Err(format!("{}: {}", shown(), io_reason(&e))),
        Ok(file) => match read_module(&file, budget, 0) {
            Ok(m) => Ok(modsig::verify_for(&m.data, ring, target)),
            Err(ReadError::Decompress(e @ kdecomp::Error::TooLarge { .. })) => {
                Ok(unreadable(Status::Unsupported, e.to_string()))
            }
            Err(ReadError::Decompress(e)) => Ok(unreadable(
                Status::Malformed,
                format!("cannot decompress: {e}"),
            )),
            Err(e @ ReadError::FileTooLarge) => Ok(unreadable(Status::Unsupported, e.to_string())),
            Err(ReadError::Io(e)) => Err(format!("{}: {}", shown(), io_reason(&e))),
        },
    };
    Checked { path, outcome }
}

/// Judge every target on `pool`, all within one memory budget; `tick` after each.
pub fn check_all(
    targets: &[Target],
    ring: &Keyring,
    kernel: &TargetKernel,
    pool: &Pool,
    tick: &(dyn Fn() + Sync),
) -> Vec<Checked> {
    let budget = Budget::default();
    pool.map(targets, |t| {
        let c = check(t, ring, kernel, &budget);
        tick();
        c
    })
}

/// The trusted certificates, from certificate files and kernel images; warnings (an image
/// whose certificate list could not be told apart) to show; the releases the images' banners
/// name, in the order of the images.
#[derive(Debug, Default)]
pub struct Trust {
    pub ring: Keyring,
    pub warnings: Vec<String>,
    pub releases: Vec<String>,
}

/// The trusted certificates: from certificate files (PEM or DER, any number each) and from
/// the images of kernels.
pub fn keyring(certs: &[PathBuf], kernels: &[PathBuf]) -> Result<Trust, InputError> {
    let mut ring = Keyring::new();
    let mut warnings = Vec::new();
    let mut releases = Vec::new();
    for p in certs {
        let data = read_named(p, CERT_FILE_LIMIT)?;
        let found = Certificate::from_pem_or_der(&data).map_err(|e| match e {
            // Says all there is to say: `FILE: not a certificate: ...`.
            modsig::Error::Certificate(m) if m.starts_with("not a certificate") => {
                InputError::new(p, m)
            }
            e => InputError::new(p, format!("reading certificates: {e}")),
        })?;
        for c in found {
            ring.add(c);
        }
    }
    for p in kernels {
        let (k, warning) = kernel_certs(p)?;
        warnings.extend(warning);
        releases.extend(k.release().map(str::to_string));
        if k.certs.is_empty() {
            return Err(InputError::new(
                p,
                "no certificates found in this kernel image",
            ));
        }
        for c in k.certs {
            ring.add(c.cert);
        }
    }
    Ok(Trust {
        ring,
        warnings,
        releases,
    })
}

/// The certificates built into the kernel image at `path`, and a warning when its
/// `system_certificate_list` could not be identified (all certificates found are then taken).
pub fn kernel_certs(
    path: &Path,
) -> Result<(modsig::kernel::KernelCerts, Option<String>), InputError> {
    let image = read_named(path, IMAGE_FILE_LIMIT)?;
    image_certs(path, &image)
}

pub fn image_certs(
    path: &Path,
    image: &[u8],
) -> Result<(modsig::kernel::KernelCerts, Option<String>), InputError> {
    let k = modsig::kernel::builtin_certificates(image, modsig::kernel::DEFAULT_LIMIT)
        .map_err(|e| InputError::new(path, e.to_string()))?;
    let warning = (!k.system_list && !k.certs.is_empty()).then(|| {
        format!(
            "{}: system_certificate_list not identified; trusting all {} certificates found in the image",
            crate::term::clean(&path.display().to_string()),
            k.certs.len()
        )
    });
    Ok((k, warning))
}

/// Write each certificate of a kernel image into `dir` as DER (`NN-<key id>.der`), mode 0644.
pub fn write_certs(dir: &Path, k: &modsig::kernel::KernelCerts) -> Result<(), InputError> {
    std::fs::create_dir_all(dir).map_err(|e| InputError::io(dir, &e))?;
    for (n, c) in k.certs.iter().enumerate() {
        let id = c
            .cert
            .subject_key_id
            .as_deref()
            .map(modsig::cert::hex)
            .unwrap_or_else(|| modsig::cert::hex(&c.cert.serial));
        crate::files::write::write_new(&dir.join(format!("{n:02}-{id}.der")), &c.cert.der)?;
    }
    Ok(())
}
