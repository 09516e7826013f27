//! `kharden fix`, `kharden apply`, `kharden diff`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::audit::{collect, Inputs};
use super::Outcome;
use super::{output, Format};
use kharden::files::Root;
use kharden::policy::remedy::Change;
use kharden::policy::{builtin, Profile};
use kharden::probe::{self, Facts, ProbeOptions};
use kharden::remedy::diff::Side;
use kharden::remedy::fragments::{self, Places};
use kharden::remedy::{self, apply};
use kharden::report::apply::ApplyReport;
use kharden::report::fix::{FixReport, RuleReadiness};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    Kconfig,
    Sysctl,
    Cmdline,
    All,
}

impl Emit {
    fn places(self) -> Places {
        let want = |e| self == Emit::All || self == e;
        Places {
            kconfig: want(Emit::Kconfig),
            sysctl: want(Emit::Sysctl),
            cmdline: want(Emit::Cmdline),
        }
    }
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Which remediation to produce.
    #[arg(long, value_enum, default_value = "all")]
    pub emit: Emit,
    /// Write the files into this directory (atomically) instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Every rule of the profile that applies to this kernel (its version and architecture),
    /// not only the failing ones.
    #[arg(long)]
    pub all_rules: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also put in the Kconfig fragment the lines of a kernel built under `kharden modsign
    /// build --cert-out CERT`: MODULE_SIG, MODULE_SIG_ALL, MODULE_SIG_FORCE and
    /// MODULE_SIG_KEY="CERT" (relative to the source tree, or absolute).
    #[arg(long, value_name = "CERT")]
    pub module_sig_key: Option<String>,
}

pub fn fix(args: FixArgs) -> anyhow::Result<Outcome> {
    if let Some(out) = &args.out {
        // Check the destination before reading anything.
        let meta = std::fs::metadata(out).map_err(|e| {
            anyhow::anyhow!(
                "{}: cannot use as --out: {}",
                kharden::term::clean(&out.display().to_string()),
                kharden::files::io_reason(&e)
            )
        })?;
        anyhow::ensure!(meta.is_dir(), "{}: --out is not a directory", out.display());
    }
    let (profile, facts, mut report) = collect(&args.inputs)?;
    // What the changes would break here (a live host or snapshot; offline there is none).
    if facts.live {
        super::audit::readiness(&args.inputs.root, &profile, &facts, &mut report);
    }
    let mut planned = remedy::collect(&profile, &report, args.all_rules);
    if !args.all_rules {
        // A failing rule may list settings that already hold; only the missing ones are news.
        planned.retain(|p| !remedy::already_holds(&p.change, &facts));
    }
    if let Some(cert) = &args.module_sig_key {
        remedy::module_sig_build(cert, &mut planned)
            .map_err(|e| anyhow::anyhow!("--module-sig-key: {e}"))?;
    }
    let absent = |key: &str| match facts.sysctl.get(key) {
        Some(kharden::probe::Value::Absent { origin }) => Some(origin.clone()),
        _ => None,
    };
    let files = fragments::generate(&planned, &profile.name, args.emit.places(), &absent);
    if let Some(dir) = &args.out {
        // Render everything first, then write each file atomically into the directory
        // opened once: mode 0644, owned by the caller, whatever was planted there before.
        let dir_fd = rustix::fs::open(
            dir,
            rustix::fs::OFlags::RDONLY
                | rustix::fs::OFlags::DIRECTORY
                | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(std::io::Error::from)
        .with_context(|| format!("{}: cannot open the directory", dir.display()))?;
        for file in &files {
            kharden::files::write::replace_at(
                std::os::fd::AsFd::as_fd(&dir_fd),
                std::ffi::OsStr::new(file.name),
                file.text.as_bytes(),
                kharden::files::write::Perms::mode(0o644),
            )
            .with_context(|| format!("{}: cannot write", dir.join(file.name).display()))?;
        }
    }
    let written_to = args.out.as_ref().map(|d| d.display().to_string());
    // The readiness of the failing rules whose changes are in the files produced.
    let places = args.emit.places();
    let in_files: std::collections::BTreeSet<&str> = planned
        .iter()
        .filter(|p| match &p.change {
            Change::KconfigSet { .. } | Change::KconfigUnset { .. } => places.kconfig,
            Change::Sysctl { .. } => places.sysctl,
            Change::CmdlineAdd { .. } | Change::CmdlineRemove { .. } => places.cmdline,
        })
        .flat_map(|p| p.rules.iter().map(|(id, _)| id.as_str()))
        .collect();
    let mut fix_report =
        FixReport::new(&profile.name, files, written_to, remedy::left_out(&profile));
    fix_report.readiness = report
        .findings
        .iter()
        .filter(|f| in_files.contains(&*f.id))
        .filter_map(|f| {
            Some(RuleReadiness {
                rule: f.id.to_string(),
                readiness: f.readiness.clone()?,
            })
        })
        .collect();
    output(args.format, &fix_report)?;
    Ok(Outcome::Clean)
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The system to change (a QEMU guest's / or a test tree).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    /// User policy (TOML), as `audit --policy`: waived and dropped rules are left alone.
    /// Applied after <ROOT>/etc/kharden/policy.toml, which is read when present.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Carry out the plan (default: print it).
    #[arg(long)]
    pub yes: bool,
    /// Also take steps that cannot be undone until reboot (lockdown, sig_enforce, ...).
    #[arg(long)]
    pub allow_irreversible: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

pub fn apply(args: ApplyArgs) -> anyhow::Result<Outcome> {
    let inputs = Inputs::under(&args.root, false, &args.profile, args.policy.clone());
    let (profile, facts, mut report) = collect(&inputs)?;
    // Before any one-way step, what it would break here: always looked at.
    super::audit::readiness(&args.root, &profile, &facts, &mut report);
    let root = Root::new(&args.root);
    anyhow::ensure!(
        root.exists("/proc/sys"),
        "{}: no /proc/sys under this root: nothing can be applied",
        args.root.display()
    );
    let mut steps = apply::plan(&root, &profile, &report, &facts);
    let how = apply::Execute {
        yes: args.yes,
        allow_irreversible: args.allow_irreversible,
    };
    apply::execute(&root, &mut steps, how);
    let report = ApplyReport::new(&profile.name, &steps, how, remedy::left_out(&profile));
    output(args.format, &report)?;
    let failed = report.summary.failed;
    anyhow::ensure!(
        failed == 0,
        "{failed} step(s) failed; the plan above says which were done"
    );
    Ok(Outcome::Clean)
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A kernel config file, a snapshot directory or a snapshot archive (.tar.zst).
    pub a: PathBuf,
    /// A kernel config file, a snapshot directory or a snapshot archive (.tar.zst).
    pub b: PathBuf,
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Audit one side of a diff: a snapshot directory or archive (live files under it) or a config
/// file.
fn audit_side(path: &Path, profile: &Profile) -> anyhow::Result<(Facts, kharden::audit::Report)> {
    let dir = path.is_dir() || kharden::files::root::is_archive(path);
    let opts = ProbeOptions {
        root: if dir { path.to_path_buf() } else { "/".into() },
        config: (!dir).then(|| path.to_path_buf()),
        cmdline: None,
        sysctl: None,
        live: dir,
    };
    let facts = probe::read_facts(&opts, &profile.sysctl_keys())?;
    let report = kharden::audit::run(profile, &facts);
    Ok((facts, report))
}

pub fn diff(args: DiffArgs) -> anyhow::Result<Outcome> {
    let profile = builtin::load(&args.profile)?;
    let (fa, ra) = audit_side(&args.a, &profile)?;
    let (fb, rb) = audit_side(&args.b, &profile)?;
    let an = args.a.display().to_string();
    let bn = args.b.display().to_string();
    let a = Side {
        name: &an,
        facts: &fa,
        report: &ra,
    };
    let b = Side {
        name: &bn,
        facts: &fb,
        report: &rb,
    };
    let d = remedy::diff::diff(&profile, a, b);
    output(args.format, &d)?;
    Ok(Outcome::failed_if(d.regressions > 0))
}
