//! `kharden fix`, `kharden apply`, `kharden diff`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::audit::{collect, write_stdout, Format, Inputs};
use super::Outcome;
use kharden::files::Root;
use kharden::policy::{builtin, Profile};
use kharden::probe::{self, Facts, ProbeOptions};
use kharden::remedy::{self, apply, fragments};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    Kconfig,
    Sysctl,
    Cmdline,
    All,
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
    /// Every rule of the profile, not only the failing ones.
    #[arg(long)]
    pub all_rules: bool,
}

pub fn fix(args: FixArgs) -> anyhow::Result<Outcome> {
    if let Some(out) = &args.out {
        // Check the destination before reading anything.
        let meta = std::fs::metadata(out)
            .with_context(|| format!("{}: cannot use as --out", out.display()))?;
        anyhow::ensure!(meta.is_dir(), "{}: --out is not a directory", out.display());
    }
    let (profile, facts, report) = collect(&args.inputs)?;
    let mut planned = remedy::collect(&profile, &report, args.all_rules);
    if !args.all_rules {
        // A failing rule may list settings that already hold; only the missing ones are news.
        planned.retain(|p| !remedy::already_holds(&p.change, &facts));
    }
    let want = |e: Emit| args.emit == Emit::All || args.emit == e;
    let mut files: Vec<(&str, &str, String)> = Vec::new();
    if want(Emit::Kconfig) {
        if let Some(t) = fragments::kconfig(&planned, &profile.name) {
            files.push((
                fragments::KCONFIG_FILE,
                "a Kconfig fragment for merge_config.sh",
                t,
            ));
        }
    }
    if want(Emit::Sysctl) {
        let absent = |key: &str| match facts.sysctl.get(key) {
            Some(kharden::probe::Value::Absent { origin }) => Some(origin.clone()),
            _ => None,
        };
        if let Some(t) = fragments::sysctl(&planned, &profile.name, &absent) {
            files.push((fragments::SYSCTL_FILE, fragments::SYSCTL_TARGET, t));
        }
    }
    if want(Emit::Cmdline) {
        if let Some(t) = fragments::cmdline(&planned) {
            files.push((fragments::CMDLINE_FILE, "kernel command line changes", t));
        }
        if let Some(t) = fragments::grub(&planned) {
            files.push((fragments::GRUB_FILE, fragments::GRUB_TARGET, t));
        }
    }
    match &args.out {
        Some(dir) => {
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
            for (name, _, text) in &files {
                kharden::files::write::replace_at(
                    std::os::fd::AsFd::as_fd(&dir_fd),
                    std::ffi::OsStr::new(name),
                    text.as_bytes(),
                    kharden::files::write::Perms::mode(0o644),
                )
                .with_context(|| format!("{}: cannot write", dir.join(name).display()))?;
            }
            let names: Vec<&str> = files.iter().map(|(n, _, _)| *n).collect();
            let msg = if names.is_empty() {
                "nothing to fix\n".to_string()
            } else {
                format!("wrote {} in {}\n", names.join(", "), dir.display())
            };
            write_stdout(&msg)?;
        }
        None => {
            let mut text = String::new();
            for (name, target, body) in &files {
                text.push_str(&format!("# ==> {name} ({target})\n{body}\n"));
            }
            if files.is_empty() {
                text.push_str("# nothing to fix\n");
            }
            write_stdout(&text)?;
        }
    }
    Ok(Outcome::Clean)
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The system to change (a QEMU guest's / or a test tree).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    /// Carry out the plan (default: print it).
    #[arg(long)]
    pub yes: bool,
    /// Also take steps that cannot be undone until reboot (lockdown, sig_enforce, ...).
    #[arg(long)]
    pub allow_irreversible: bool,
}

pub fn apply(args: ApplyArgs) -> anyhow::Result<Outcome> {
    let inputs = Inputs {
        root: args.root.clone(),
        config: None,
        cmdline: None,
        sysctl: None,
        no_live: false,
        profile: args.profile.clone(),
        policy: None,
    };
    let (profile, facts, report) = collect(&inputs)?;
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
    write_stdout(&apply::render(&steps, how))?;
    let failed = steps
        .iter()
        .filter(|s| matches!(s.state, apply::State::Failed(_)))
        .count();
    anyhow::ensure!(
        failed == 0,
        "{failed} step(s) failed; the plan above says which were done"
    );
    Ok(Outcome::Clean)
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A kernel config file or a snapshot directory.
    pub a: PathBuf,
    /// A kernel config file or a snapshot directory.
    pub b: PathBuf,
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

fn side(path: &Path, profile: &Profile) -> anyhow::Result<(Facts, kharden::audit::Report)> {
    let opts = if path.is_dir() {
        ProbeOptions {
            root: path.to_path_buf(),
            config: None,
            cmdline: None,
            sysctl: None,
            live: true,
        }
    } else {
        ProbeOptions {
            root: "/".into(),
            config: Some(path.to_path_buf()),
            cmdline: None,
            sysctl: None,
            live: false,
        }
    };
    let facts = probe::collect(&opts, &profile.sysctl_keys())?;
    let report = kharden::audit::run(profile, &facts);
    Ok((facts, report))
}

pub fn diff(args: DiffArgs) -> anyhow::Result<Outcome> {
    let profile = builtin::load(&args.profile)?;
    let (fa, ra) = side(&args.a, &profile)?;
    let (fb, rb) = side(&args.b, &profile)?;
    let an = args.a.display().to_string();
    let bn = args.b.display().to_string();
    let d = remedy::diff::diff(&profile, (&an, &fa, &ra), (&bn, &fb, &rb));
    let text = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&d).expect("diff serialises");
            s.push('\n');
            s
        }
        Format::Human => remedy::diff::render_human(&d),
    };
    write_stdout(&text)?;
    Ok(if d.regressions > 0 {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}
