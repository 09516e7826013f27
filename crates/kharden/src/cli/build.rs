//! `kharden modsign build` (the whole ephemeral-key kernel build) and the `sign-request` client
//! the build's make runs for each module. The work is in `kharden::modules::build`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;
use kharden::modules::{build, sign};
use modsig::HashAlgo;

use super::keys::{hash_arg, KeyTypeArg};
use super::Outcome;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Where to write the certificate (PEM) before COMMAND starts: the file the kernel's
    /// CONFIG_MODULE_SIG_KEY names (relative to the source tree, or absolute).
    #[arg(long, value_name = "FILE")]
    pub cert_out: PathBuf,
    #[arg(long, value_enum, default_value_t = KeyTypeArg::Rsa4096)]
    pub key_type: KeyTypeArg,
    /// Digest [default: sha256 for RSA, sha384 for ECDSA].
    #[arg(long, value_parser = hash_arg())]
    pub hash: Option<HashAlgo>,
    /// Common name of the generated certificate.
    #[arg(long, value_name = "CN", default_value = sign::DEFAULT_CN)]
    pub subject: String,
    /// The build, unchanged: e.g. `make -j2 && make modules_install` (through `sh -c`), or
    /// `make -j2 bindeb-pkg`.
    #[arg(required = true, last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct SignRequestArgs {
    /// The module make is installing.
    pub module: PathBuf,
}

/// Run the build; kharden's exit status is the command's.
pub fn run(a: BuildArgs) -> anyhow::Result<Outcome> {
    // One build per directory at a time: a second one would race on the same outputs.
    let here = std::fs::File::open(".")?;
    let _lock = match kharden::files::lock::lock_tree(&here)? {
        Ok(lock) => lock,
        Err(busy) => anyhow::bail!("this directory: {busy}; wait for it to finish"),
    };
    check_config_names(&a.cert_out)?;
    let (key_type, _) = a.key_type.key_type();
    let (signer, cert) = sign::ephemeral(key_type, a.hash, &a.subject, false)?;
    // Written before the build starts: the kernel's build embeds it (certs/signing_key.x509).
    sign::write_cert(&a.cert_out, &cert, true)?;
    let hash = signer.hash();
    let out = build::run(&a.command, signer)?;
    let key_id = cert
        .subject_key_id
        .as_deref()
        .map(modsig::cert::hex)
        .unwrap_or_default();
    let (how, cert_note) = if out.status == 0 {
        (
            "exited 0".to_string(),
            format!("certificate {}", a.cert_out.display()),
        )
    } else {
        // A certificate of a build that did not finish must not pass for one that did.
        let removed = std::fs::remove_file(&a.cert_out).is_ok();
        (
            format!("FAILED (exit {})", out.status),
            if removed {
                "certificate removed".into()
            } else {
                "certificate could not be removed".into()
            },
        )
    };
    super::note(&format!(
        "modsign build: {} module(s) signed with {} ({hash}), key id {key_id}; {cert_note}; build {how} in {:.1} s; private key destroyed{}",
        out.signed,
        cert.public_key.describe(),
        out.seconds,
        if out.refused > 0 { format!("; {} request(s) refused", out.refused) } else { String::new() }
    ));
    Ok(Outcome::Status(out.status))
}

pub fn sign_request(a: SignRequestArgs) -> anyhow::Result<Outcome> {
    build::sign_request(&a.module)?;
    Ok(Outcome::Clean)
}

/// When the build runs in the kernel tree (a `.config` here), its CONFIG_MODULE_SIG_KEY must
/// name the certificate kharden writes: otherwise the image would embed another certificate
/// than the one the modules are signed for, and every module would be refused at boot.
fn check_config_names(cert_out: &std::path::Path) -> anyhow::Result<()> {
    let Ok(config) = std::fs::read_to_string(".config") else {
        return Ok(()); // an O= build, or a command that cds: nothing to compare here
    };
    let Some(key) = config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_MODULE_SIG_KEY="))
        .map(|v| v.trim().trim_matches('"').to_string())
    else {
        return Ok(());
    };
    let same = |a: &std::path::Path, b: &std::path::Path| {
        let abs = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        abs(a) == abs(b)
    };
    if !same(std::path::Path::new(&key), cert_out) {
        anyhow::bail!(
            "./.config: CONFIG_MODULE_SIG_KEY is {key:?}, not --cert-out {}: the kernel would \
             embed another certificate than the one its modules are signed for",
            cert_out.display()
        );
    }
    Ok(())
}
