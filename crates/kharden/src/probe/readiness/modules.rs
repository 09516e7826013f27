//! Module families: modules on disk the running kernel's certificates do not vouch for,
//! modules loaded unsigned (taint E), out-of-tree signing keys that are not enrolled, DKMS
//! builds.

use std::sync::Arc;

use modsig::cert::Certificate;
use modsig::{Keyring, Status};

use super::{not_captured, Host, Look};
use crate::files::root::{io_reason, Root};
use crate::modules::verify::{self, Target};
use crate::modules::{Pool, Tree};

/// The shim's EFI variable GUID (MokListRT, MokNew).
pub const MOK_GUID: &str = "605dab50-e046-4300-abb6-3dd810dd8b23";
/// The firmware's image security database GUID (db).
const DB_GUID: &str = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
const EFIVARS: &str = "/sys/firmware/efi/efivars";

/// EFI_CERT_X509_GUID as stored (the first three fields little-endian).
const X509_GUID: [u8; 16] = [
    0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72,
];

/// The X.509 certificates of an EFI signature list (`EFI_SIGNATURE_LIST`s back to back, as in
/// an efivarfs file after its 4 attribute bytes). A list that does not add up ends the walk.
pub fn esl_x509(mut data: &[u8]) -> Vec<Vec<u8>> {
    let u32_at = |b: &[u8], at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let mut out = Vec::new();
    while data.len() >= 28 {
        let (Some(list), Some(header), Some(size)) =
            (u32_at(data, 16), u32_at(data, 20), u32_at(data, 24))
        else {
            break;
        };
        if list < 28 || list > data.len() || size <= 16 {
            break;
        }
        let body = &data[28..list];
        if header > body.len() {
            break;
        }
        if data[..16] == X509_GUID {
            for entry in body[header..].chunks(size) {
                if entry.len() == size {
                    out.push(entry[16..].to_vec());
                }
            }
        }
        data = &data[list..];
    }
    out
}

/// The certificates of the EFI variable `name` (MokListRT, db), `Ok(None)` when it does not
/// exist.
fn efi_certs(root: &Root, name: &str, guid: &str) -> Result<Option<Vec<Certificate>>, String> {
    let rel = format!("{EFIVARS}/{name}-{guid}");
    match root.read_limited(&rel, 4 << 20) {
        Ok(bytes) => Ok(Some(
            esl_x509(bytes.get(4..).unwrap_or_default())
                .iter()
                .filter_map(|der| Certificate::from_der(der).ok())
                .collect(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {}", Root::display(&rel), io_reason(&e))),
    }
}

/// Keys enrolled beside the kernel's own (MokListRT, the firmware's db), what was read and
/// what could not be.
struct Enrolled {
    certs: Vec<Certificate>,
    examined: Vec<String>,
    unknown: Vec<String>,
    /// `/proc/keys` as root sees it (the SKIDs of loaded keys), empty when not readable.
    proc_keys: String,
}

fn enrolled(root: &Root) -> Enrolled {
    let mut e = Enrolled {
        certs: Vec::new(),
        examined: Vec::new(),
        unknown: Vec::new(),
        proc_keys: root.read_text("/proc/keys").unwrap_or_default(),
    };
    if !root.exists("/sys/firmware/efi") {
        e.examined
            .push("no /sys/firmware/efi: booted without EFI, so no MOK or db key is loaded".into());
        return e;
    }
    if !root.is_dir_nonempty(EFIVARS) {
        e.unknown.push(format!(
            "{EFIVARS} is empty or not mounted: MokListRT and db not read"
        ));
        return e;
    }
    for (name, guid) in [("MokListRT", MOK_GUID), ("db", DB_GUID)] {
        match efi_certs(root, name, guid) {
            Ok(Some(c)) => {
                e.examined
                    .push(format!("{} certificate(s) in {name}", c.len()));
                e.certs.extend(c);
            }
            Ok(None) => e.examined.push(format!("no {name} variable")),
            Err(why) => e.unknown.push(why),
        }
    }
    e
}

/// Modules under `/lib/modules/<running release>` that the running kernel would refuse under
/// enforcement: checked by the kernel's rules (modules::verify, for this release and config)
/// against the certificates built into the running kernel's own image and the enrolled keys.
pub fn unsigned_on_disk(host: &Host<'_>) -> Look {
    let root = host.root;
    let Some(release) = host.facts.kernel.release.as_deref() else {
        return Look::unknown("the running release is not known (/proc/sys/kernel/osrelease)");
    };
    if release.contains('/') || release.is_empty() || release.starts_with('.') {
        return Look::unknown(format!("release {release:?} is not a directory name"));
    }
    let mut look = Look::default();
    let dir = format!("/lib/modules/{release}");
    let tree = match Tree::in_root(root, &dir) {
        Ok(t) => Arc::new(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(why) = not_captured(root, &dir) {
                return Look::unknown(why);
            }
            look.examined(format!("no module tree {dir}"));
            return look;
        }
        Err(e) => return Look::unknown(format!("{dir}: {}", io_reason(&e))),
    };
    let listing = tree.walk(false);
    for (p, e) in &listing.errors {
        look.unknown
            .push(format!("{}: {}", p.display(), io_reason(e)));
    }
    // The certificates of the running kernel's own image (found where `modsign verify` and
    // `audit` look: /boot/vmlinuz-REL, /usr/lib/modules/REL/vmlinuz, ...).
    let mut ring = Keyring::new();
    let (builtin, image) = match crate::probe::image::find_image(root, release) {
        Ok(found) => {
            let certs =
                modsig::kernel::builtin_certificates(&found.data, modsig::kernel::DEFAULT_LIMIT);
            let image = found.origin;
            match certs {
                Ok(k) if !k.certs.is_empty() => {
                    let n = k.certs.len();
                    for c in k.certs {
                        ring.add(c.cert);
                    }
                    (Ok(n), image)
                }
                Ok(_) => (Err(format!("{image}: no certificates built in")), image),
                Err(e) => (Err(format!("{image}: {e}")), image),
            }
        }
        Err(why) => (Err(why), String::new()),
    };
    let enrolled = enrolled(root);
    for c in &enrolled.certs {
        ring.add(c.clone());
    }
    let targets: Vec<Target> = listing
        .modules
        .into_iter()
        .map(|rel| Target::InTree(tree.clone(), rel))
        .collect();
    let pool = match Pool::new(crate::modules::pool::jobs(None)) {
        Ok(p) => p,
        Err(e) => return Look::unknown(format!("no worker threads: {e}")),
    };
    let kernel = crate::probe::image::target_kernel(Some(release), host.facts.kconfig());
    let checked = verify::check_all(&targets, &ring, &kernel, &pool, &|| {});
    let shown = |p: &std::path::Path| {
        Root::display(&p.strip_prefix(root.dir()).unwrap_or(p).to_string_lossy())
    };
    let mut unchecked = 0usize;
    for c in checked {
        let path = shown(&c.path);
        match c.outcome {
            Err(e) => look.unknown.push(e),
            Ok(v) => match v.status {
                Status::Valid => {}
                Status::Unsigned => look.found(format!("{path}: unsigned")),
                // Without the image's certificates a signed module cannot be judged.
                Status::Untrusted if builtin.is_err() => unchecked += 1,
                Status::Untrusted => look.found(format!(
                    "{path}: signed by {}, a key the running kernel does not trust",
                    v.signer.as_deref().unwrap_or("an unknown signer")
                )),
                s => look.found(format!("{path}: {} ({})", s.name(), v.detail)),
            },
        }
    }
    match &builtin {
        Ok(n) => look.examined(format!(
            "{} module(s) under {dir} against the {n} certificate(s) built into {image}",
            targets.len()
        )),
        Err(why) => {
            look.examined(format!(
                "{} module(s) under {dir} for a signature",
                targets.len()
            ));
            look.gap((unchecked > 0).then(|| {
                format!("{unchecked} signed module(s) not checked against the running kernel's keys: {why}")
            }));
        }
    }
    look.examined.extend(enrolled.examined);
    look.unknown.extend(enrolled.unknown);
    look
}

/// Modules loaded now whose signature was missing or not trusted (taint E in /proc/modules).
pub fn loaded_unsigned(host: &Host<'_>) -> Look {
    let text = match host.root.read_text("/proc/modules") {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut l = Look::default();
            l.examined("no /proc/modules: the kernel has no loadable modules");
            return l;
        }
        Err(e) => return Look::unknown(format!("/proc/modules: {}", io_reason(&e))),
    };
    let mut look = Look::default();
    let mut n = 0;
    for line in text.lines() {
        n += 1;
        let name = line.split_whitespace().next().unwrap_or_default();
        let flags = line
            .rsplit_once('(')
            .filter(|(_, t)| t.ends_with(')'))
            .map(|(_, t)| t.trim_end_matches(')'));
        if flags.is_some_and(|f| f.contains('E')) {
            look.found(format!("module {name} (loaded, taint E in /proc/modules)"));
        }
    }
    look.examined(format!(
        "taint flags of {n} loaded module(s) (/proc/modules)"
    ));
    look
}

/// Where out-of-tree builders keep the certificate they sign with.
const SIGNING_CERTS: &[(&str, &str)] = &[
    ("/var/lib/dkms/mok.pub", "DKMS"),
    (
        "/var/lib/shim-signed/mok/MOK.der",
        "shim-signed (Ubuntu DKMS, VirtualBox)",
    ),
    ("/etc/pki/akmods/certs/public_key.der", "akmods"),
];

/// Out-of-tree signing keys that no keyring the kernel reads modules with holds: their
/// modules are refused under enforcement (-ENOKEY).
pub fn unenrolled_keys(host: &Host<'_>) -> Look {
    let root = host.root;
    let mut look = Look::default();
    let mut any = false;
    let mut enrolled_keys: Option<Enrolled> = None;
    for (path, who) in SIGNING_CERTS {
        let bytes = match root.read_limited(path, 1 << 20) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(why) = not_captured(root, path) {
                    look.unknown.push(why);
                }
                continue;
            }
            Err(e) => {
                look.unknown.push(format!("{path}: {}", io_reason(&e)));
                continue;
            }
        };
        any = true;
        let cert = match Certificate::from_pem_or_der(&bytes) {
            Ok(mut c) if !c.is_empty() => c.remove(0),
            _ => {
                look.unknown.push(format!("{path}: not a certificate"));
                continue;
            }
        };
        let e = enrolled_keys.get_or_insert_with(|| enrolled(root));
        let skid = cert.subject_key_id.as_deref().map(modsig::cert::hex);
        let in_efi = e.certs.iter().any(|c| c.der == cert.der);
        let in_keys = skid
            .as_deref()
            .is_some_and(|s| !e.proc_keys.is_empty() && e.proc_keys.contains(s));
        if in_efi || in_keys {
            look.examined(format!("{who} key {path} is enrolled"));
            continue;
        }
        if !e.unknown.is_empty() && e.proc_keys.is_empty() {
            look.unknown.push(format!(
                "{who} key {path}: whether it is enrolled is not known ({})",
                e.unknown.join("; ")
            ));
            continue;
        }
        let pending = root.exists(&format!("{EFIVARS}/MokNew-{MOK_GUID}"));
        look.found(format!(
            "{who} signing key {path} ({}) is not enrolled{}",
            cert.subject_name(),
            if pending {
                " (an enrolment is pending: MokNew exists)"
            } else {
                ""
            }
        ));
    }
    if !any && look.unknown.is_empty() {
        look.examined(
            "no DKMS, shim-signed or akmods signing key (/var/lib/dkms/mok.pub, /var/lib/shim-signed/mok/MOK.der, /etc/pki/akmods/certs/public_key.der)",
        );
    } else if let Some(e) = enrolled_keys {
        look.examined.extend(e.examined);
        if !e.proc_keys.is_empty() {
            look.examined("the keys loaded in the kernel's keyrings (/proc/keys)");
        }
    }
    look
}

/// Out-of-tree module builds: each DKMS module and version in /var/lib/dkms.
pub fn dkms(host: &Host<'_>) -> Look {
    let root = host.root;
    let mut look = Look::default();
    let names = match root.list_dir("/var/lib/dkms") {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(why) = not_captured(root, "/var/lib/dkms") {
                return Look::unknown(why);
            }
            look.examined("no /var/lib/dkms: DKMS is not installed");
            return look;
        }
        Err(e) => return Look::unknown(format!("/var/lib/dkms: {}", io_reason(&e))),
    };
    let mut n = 0;
    for name in names {
        let name = name.to_string_lossy().into_owned();
        let dir = format!("/var/lib/dkms/{name}");
        // Modules are directories holding one directory per version; keys and files are not.
        let Ok(versions) = root.list_dir(&dir) else {
            continue;
        };
        for v in versions {
            let v = v.to_string_lossy().into_owned();
            if v == "source"
                || v.starts_with("kernel-")
                || root.open_dir(&format!("{dir}/{v}")).is_err()
            {
                continue;
            }
            n += 1;
            look.found(format!("DKMS module {name} {v} ({dir}/{v})"));
        }
    }
    look.examined(format!("{n} DKMS module build(s) in /var/lib/dkms"));
    look
}
