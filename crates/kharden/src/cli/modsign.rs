//! `kharden modsign ...`: the subcommands, and the signing ones (`sign-tree`, `sign`; `build` is
//! in cli/build.rs, the commands that only read in cli/verify.rs): flags and the glue between
//! the module layer (kharden::modules), the signature library (`modsig`) and report::modsign.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::{Args, Subcommand};
use modsig::HashAlgo;

use super::keys::{hash_arg, KeyTypeArg};
use super::{output, progress, Format, Outcome};
use kharden::modules::pool::{jobs, Pool};
use kharden::modules::sign;
use kharden::report::modsign::SignSummary;

#[derive(Debug, Subcommand)]
pub enum ModsignCommand {
    /// Sign every module under DIR with a key made in memory for this run only; write its
    /// certificate, then destroy the key.
    SignTree(SignTreeArgs),
    /// Sign one module with an existing key, as scripts/sign-file does.
    Sign(SignArgs),
    /// Check modules the way the kernel will when it loads them.
    Verify(super::verify::VerifyArgs),
    /// Show the signature fields of modules (what modinfo shows, and more).
    Inspect(super::verify::InspectArgs),
    /// List or extract the certificates built into a kernel image (exit 1 when it has none).
    Certs(super::verify::CertsArgs),
    /// Run a kernel build with a key that exists only in memory: its certificate is written
    /// for the kernel to embed, every module the build installs is signed, the key destroyed.
    Build(super::build::BuildArgs),
    /// (Run by make under `modsign build`: sign one module through kharden's service.)
    #[command(hide = true)]
    SignRequest(super::build::SignRequestArgs),
}

#[derive(Debug, Args)]
pub struct SignTreeArgs {
    /// Directory of modules (.ko, .ko.gz, .ko.xz, .ko.zst), searched recursively; symbolic
    /// links are not followed.
    pub dir: PathBuf,
    /// Where to write the certificate of the generated key (DER unless --pem).
    #[arg(long, value_name = "FILE")]
    pub cert_out: PathBuf,
    /// Digest [default: sha256 for RSA, sha384 for ECDSA].
    #[arg(long, value_parser = hash_arg())]
    pub hash: Option<HashAlgo>,
    #[arg(long, value_enum, default_value_t = KeyTypeArg::Rsa4096)]
    pub key_type: KeyTypeArg,
    /// Write the certificate as PEM.
    #[arg(long)]
    pub pem: bool,
    /// Name the signer by subject key identifier (sign-file -k).
    #[arg(long)]
    pub keyid: bool,
    /// Common name of the generated certificate.
    #[arg(long, value_name = "CN", default_value = sign::DEFAULT_CN)]
    pub subject: String,
    /// Parallel workers [default: number of CPUs].
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// human, or json (the `kharden.modsign.sign-tree/1` summary).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Private key, PEM or DER (a PEM may also hold the certificate, like
    /// certs/signing_key.pem).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Certificate, PEM or DER [default: the certificate in the key file].
    #[arg(long, value_name = "CERT")]
    pub cert: Option<PathBuf>,
    /// Digest [default: sha256 for RSA, the curve's hash for ECDSA].
    #[arg(long, value_parser = hash_arg())]
    pub hash: Option<HashAlgo>,
    /// Name the signer by subject key identifier (sign-file -k).
    #[arg(long)]
    pub keyid: bool,
    /// The module (.ko, or compressed: it is recompressed in the same format).
    pub module: PathBuf,
    /// Write here instead of replacing MODULE.
    pub dest: Option<PathBuf>,
}

pub fn run(cmd: ModsignCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ModsignCommand::SignTree(a) => sign_tree(a),
        ModsignCommand::Sign(a) => sign_one(a),
        ModsignCommand::Verify(a) => super::verify::verify_modules(a),
        ModsignCommand::Inspect(a) => super::verify::inspect(a),
        ModsignCommand::Certs(a) => super::verify::certs(a),
        ModsignCommand::Build(a) => super::build::run(a),
        ModsignCommand::SignRequest(a) => super::build::sign_request(a),
    }
}

fn sign_tree(a: SignTreeArgs) -> anyhow::Result<Outcome> {
    let (tree, _lock, listing) = sign::open_tree(&a.dir)?;
    let (key_type, name) = a.key_type.key_type();
    let start = Instant::now();
    super::note(&format!(
        "generating a {name} key in memory (it never reaches disk)"
    ));
    // The certificate is written before any module is signed: if the run is interrupted, the
    // modules already signed can still be checked against it, and a re-run replaces both.
    let (signer, cert) = sign::ephemeral(key_type, a.hash, &a.subject, a.keyid)?;
    sign::write_cert(&a.cert_out, &cert, a.pem)?;
    let hash = signer.hash();
    let bar = progress(listing.modules.len(), "signing");
    let pool = Pool::new(jobs(a.jobs))?;
    let results = sign::sign_tree(&tree, &listing.modules, &signer, &pool, &|| bar.inc(1))?;
    bar.finish_and_clear();
    // Destroy the key now, not at the end of the function.
    drop(signer);
    let mut summary = SignSummary::new(results, &cert, hash, &a.cert_out);
    summary.seconds = start.elapsed().as_secs_f64();
    eprint!("{}", summary.problems());
    output(a.format, &summary)?;
    Ok(Outcome::failed_if(!summary.failed.is_empty()))
}

fn sign_one(a: SignArgs) -> anyhow::Result<Outcome> {
    // The module first: a module that cannot be signed is refused before a key is read.
    let opened = sign::open_named(&a.module)?;
    let signer = sign::signer_from_files(&a.key, a.cert.as_deref(), a.hash, a.keyid)?;
    match sign::sign_file(&signer, &a.module, opened, a.dest.as_deref()) {
        sign::Signed::Signed { .. } => Ok(Outcome::Clean),
        sign::Signed::Skipped(why) | sign::Signed::Failed(why) => bail!("{why}"),
    }
}
