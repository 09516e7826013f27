//! `kharden modsign ...`: flags, and the glue between the module layer (kharden::modules: trees,
//! budget, signing, verification), the signature library (`modsig`) and the renderers
//! (report::modsign).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use modsig::HashAlgo;

use super::keys::{hash_arg, KeyTypeArg};
use super::{print, progress, warn, Outcome};
use kharden::modules::pool::{jobs, Pool};
use kharden::modules::{sign, verify, Budget};
use kharden::report::modsign::{
    CertsReport, InspectReport, ModuleInspection, Render, SignSummary, VerifyReport,
};

#[derive(Debug, Subcommand)]
pub enum ModsignCommand {
    /// Sign every module under DIR with a key made in memory for this run only; write its
    /// certificate, then destroy the key.
    SignTree(SignTreeArgs),
    /// Sign one module with an existing key, as scripts/sign-file does.
    Sign(SignArgs),
    /// Check modules the way the kernel will when it loads them.
    Verify(VerifyArgs),
    /// Show the signature fields of modules (what modinfo shows, and more).
    Inspect(InspectArgs),
    /// List or extract the certificates built into a kernel image (exit 1 when it has none).
    Certs(CertsArgs),
    /// Run a kernel build with a key that exists only in memory: its certificate is written
    /// for the kernel to embed, every module the build installs is signed, the key destroyed.
    Build(super::build::BuildArgs),
    /// (Run by make under `modsign build`: sign one module through kharden's service.)
    #[command(hide = true)]
    SignRequest(super::build::SignRequestArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
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
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
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

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Trusted certificate file (DER or PEM, any number of certificates; `-`: standard
    /// input); repeatable.
    #[arg(long, value_name = "FILE")]
    pub cert: Vec<PathBuf>,
    /// Trust the certificates built into this kernel image (bzImage, EFI zboot, arm64 Image,
    /// vmlinux); repeatable. With neither --cert nor --kernel, the running kernel's own image
    /// is trusted (/boot/vmlinuz-REL, /usr/lib/modules/REL/vmlinuz or /lib/modules/REL/vmlinuz).
    #[arg(long, value_name = "IMAGE")]
    pub kernel: Vec<PathBuf>,
    /// Look for the running kernel's image under this root (a snapshot) instead of /.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The release of the kernel the modules are for (`uname -r`), when its image is looked up
    /// [default: the running kernel's].
    #[arg(long, value_name = "REL")]
    pub target_release: Option<String>,
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Parallel workers [default: number of CPUs].
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// List every module; without it the human output lists only the modules that would be
    /// refused under enforcement (the summary counts all; JSON lists all).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Modules, or directories searched recursively for .ko, .ko.gz, .ko.xz, .ko.zst.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Module files (compressed or not).
    #[arg(required = true)]
    pub modules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Kernel image (bzImage/vmlinuz, or an uncompressed vmlinux).
    #[arg(long, value_name = "IMAGE")]
    pub kernel: PathBuf,
    /// Also write each certificate to DIR as DER.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
}

fn output(format: FormatArg, report: &impl Render) -> std::io::Result<()> {
    print(&match format {
        FormatArg::Json => report.json(),
        FormatArg::Human => report.human(),
    })
}

pub fn run(cmd: ModsignCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ModsignCommand::SignTree(a) => sign_tree(a),
        ModsignCommand::Sign(a) => sign_one(a),
        ModsignCommand::Verify(a) => verify_modules(a),
        ModsignCommand::Inspect(a) => inspect(a),
        ModsignCommand::Certs(a) => certs(a),
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
    print(&match a.format {
        FormatArg::Json => summary.json(),
        FormatArg::Human => summary.human(),
    })?;
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

fn verify_modules(a: VerifyArgs) -> anyhow::Result<Outcome> {
    let verify::Trust {
        mut ring,
        warnings,
        releases,
    } = verify::keyring(&a.cert, &a.kernel)?;
    warn(warnings);
    // The kernel the modules are judged for, and where its config came from.
    let mut release = a.target_release.clone();
    let mut config = None;
    if a.cert.is_empty() && a.kernel.is_empty() {
        let running = verify::running_kernel(&a.root, a.target_release.as_deref())?;
        warn(running.warning);
        super::note(&format!(
            "trusting the {} certificate(s) built into {} (kernel {})",
            running.certs.certs.len(),
            kharden::report::term::clean(&running.image),
            kharden::report::term::clean(&running.release)
        ));
        for c in running.certs.certs {
            ring.add(c.cert);
        }
        let root = kharden::files::root::Root::new(&a.root);
        config = kharden::probe::image::find_config(&root, &running.release);
        release = Some(running.release);
    } else if let Some(image) = a.kernel.first() {
        if release.is_none() || release.as_deref() == releases.first().map(String::as_str) {
            config = kharden::probe::image::config_beside(image);
        }
        release = release.or_else(|| releases.first().cloned());
    }
    if ring.is_empty() {
        bail!("no trusted certificates: give --cert FILE and/or --kernel IMAGE");
    }
    let target = verify::target_kernel(release.as_deref(), config.as_ref().map(|c| &c.1));
    if target.release.is_some() {
        super::note(&format!(
            "judging as {} would, config {}",
            kharden::report::term::clean(&target.name()),
            config
                .as_ref()
                .map(|c| kharden::report::term::clean(&c.0).into_owned())
                .unwrap_or_else(|| "unknown".into())
        ));
    }
    let found = verify::find(&a.paths);
    // A path that cannot be read is an input error: it is reported before anything is
    // verified, and no report is written (a partial one would read as a verdict).
    paths_unread(found.errors.iter().map(|e| e.to_string()).collect())?;
    let bar = progress(found.targets.len(), "verifying");
    let pool = Pool::new(jobs(a.jobs))?;
    let checked = verify::check_all(&found.targets, &ring, &target, &pool, &|| bar.inc(1));
    bar.finish_and_clear();
    let (mut report, errors) = VerifyReport::new(checked, Vec::new());
    report.verbose = a.verbose;
    paths_unread(errors.iter().map(|e| e.to_string()).collect())?;
    output(a.format, &report)?;
    Ok(Outcome::failed_if(report.refused()))
}

/// Paths that could not be read: one error line each, the last of them the summary main
/// prints (one path: just its error, once).
fn paths_unread(errors: Vec<String>) -> anyhow::Result<()> {
    match errors.as_slice() {
        [] => Ok(()),
        [one] => bail!("{one}"),
        many => {
            for e in many {
                eprintln!("kharden: error: {}", kharden::report::term::clean(e));
            }
            bail!("{} paths could not be read", many.len())
        }
    }
}

fn inspect(a: InspectArgs) -> anyhow::Result<Outcome> {
    let budget = Budget::default();
    let mut modules = Vec::new();
    for path in &a.modules {
        let m = kharden::modules::read_named(path, &budget)?;
        let i = modsig::inspect::inspect(&m.data);
        modules.push(ModuleInspection::new(path, m.format, &i));
    }
    output(a.format, &InspectReport::new(modules))?;
    Ok(Outcome::Clean)
}

fn certs(a: CertsArgs) -> anyhow::Result<Outcome> {
    let (k, warning) = verify::kernel_certs(&a.kernel)?;
    warn(warning);
    if let Some(dir) = &a.out {
        verify::write_certs(dir, &k)?;
    }
    let report = CertsReport::new(&a.kernel, &k);
    output(a.format, &report)?;
    if k.certs.is_empty() {
        // Nothing to trust: say so, and let scripts tell it from a list (exit 1, like grep).
        super::note(&report.none_found());
    }
    Ok(Outcome::failed_if(k.certs.is_empty()))
}
