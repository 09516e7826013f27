//! `kharden modsign verify|inspect|certs`: the commands that only read, judging modules by the
//! kernel's rules (kharden::modules::verify) and showing signatures and kernel certificates.

use anyhow::bail;
use clap::Args;
use std::path::PathBuf;

use super::{output, progress, warn, Format, Outcome};
use kharden::modules::pool::{jobs, Pool};
use kharden::modules::{verify, Budget};
use kharden::report::modsign::{CertsReport, InspectReport, ModuleInspection, VerifyReport};

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
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
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
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
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
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn verify_modules(a: VerifyArgs) -> anyhow::Result<Outcome> {
    let kharden::probe::image::Resolved {
        ring,
        target,
        warnings,
        running,
        config,
    } = kharden::probe::image::resolve(&a.cert, &a.kernel, &a.root, a.target_release.as_deref())?;
    warn(warnings);
    let clean = |s: &str| kharden::term::clean(s).into_owned();
    if let Some((image, release, n)) = running {
        let (image, release) = (clean(&image), clean(&release));
        super::note(&format!(
            "trusting the {n} certificate(s) built into {image} (kernel {release})"
        ));
    }
    if ring.is_empty() {
        bail!("no trusted certificates: give --cert FILE and/or --kernel IMAGE");
    }
    if target.release.is_some() {
        let config = config.as_deref().map_or("unknown".into(), clean);
        super::note(&format!(
            "judging as {} would, config {config}",
            clean(&target.name())
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
                eprintln!("kharden: error: {}", kharden::term::clean(e));
            }
            bail!("{} paths could not be read", many.len())
        }
    }
}

pub fn inspect(a: InspectArgs) -> anyhow::Result<Outcome> {
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

pub fn certs(a: CertsArgs) -> anyhow::Result<Outcome> {
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
