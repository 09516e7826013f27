//! `kharden fleet PATH...`: every snapshot (directory tree or .tar.zst archive) found under
//! the paths, audited in parallel, reduced to one report (docs/fleet.md).

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::audit::{has_root_policy, profile_for, profile_with_root_policy, Inputs};
use super::Outcome;
use kharden::files::Root;
use kharden::fleet::{FleetReport, Host, HostError};
use kharden::probe::{self, ProbeOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FleetFormat {
    Human,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Snapshot directories or archives (*.tar.zst), or directories holding them (searched
    /// recursively; symbolic links are not followed).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Built-in profile.
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    /// User policy applied to every host (after a host's own /etc/kharden/policy.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: FleetFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 0 even when hosts fail (for reports).
    #[arg(long)]
    pub exit_zero: bool,
    /// Hosts audited at once (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// How deep directories of snapshots are searched.
const MAX_DEPTH: usize = 16;

/// A snapshot tree: a directory with `proc/` (the test bed's and `kharden snapshot`'s layout).
fn is_tree(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join("proc")).is_ok_and(|m| m.is_dir())
}

/// The hosts under `path`, in name order.
fn discover(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let shown = || kharden::term::clean(&path.display().to_string()).into_owned();
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| anyhow::anyhow!("{}: {}", shown(), kharden::files::io_reason(&e)))?;
    if meta.is_file() && kharden::files::root::is_archive(path) {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() {
        if depth == 0 {
            anyhow::bail!("{}: not a snapshot directory or .tar.zst archive", shown());
        }
        return Ok(());
    }
    if is_tree(path) {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| anyhow::anyhow!("{}: {}", shown(), kharden::files::io_reason(&e)))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_symlink()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    for e in entries {
        discover(&e, depth + 1, out)?;
    }
    Ok(())
}

pub fn fleet(args: FleetArgs) -> anyhow::Result<Outcome> {
    let mut paths = Vec::new();
    for p in &args.paths {
        discover(p, 0, &mut paths)?;
    }
    anyhow::ensure!(
        !paths.is_empty(),
        "no snapshot (directory with proc/ or .tar.zst archive) under {}",
        args.paths
            .iter()
            .map(|p| kharden::term::clean(&p.display().to_string()).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The shared profile; a host with its own policy gets its own.
    let inputs = Inputs::under(
        "/nonexistent-kharden-fleet-root",
        true,
        &args.profile,
        args.policy.clone(),
    );
    let profile = profile_for(&inputs)?;
    let keys = profile.sysctl_keys();
    let pool = kharden::modules::pool::Pool::new(kharden::modules::pool::jobs(args.jobs))?;
    let results = pool.map(&paths, |path| -> Result<Host, HostError> {
        let name = path.display().to_string();
        let err = |problem: String| HostError {
            name: name.clone(),
            problem,
        };
        let root = Root::open_any(path).map_err(|e| err(e.problem))?;
        let own;
        let (profile, keys) = if has_root_policy(&root) {
            own = profile_with_root_policy(&args.profile, root.clone(), args.policy.as_deref())
                .map_err(|e| err(e.to_string()))?;
            (&own, own.sysctl_keys())
        } else {
            (&profile, keys.clone())
        };
        let opts = ProbeOptions {
            root: path.clone(),
            config: None,
            cmdline: None,
            sysctl: None,
            live: true,
        };
        let facts = probe::read_facts_in(&root, &opts, &keys).map_err(|e| err(e.problem))?;
        let report = kharden::audit::run(profile, &facts);
        Ok(Host::new(name.clone(), &report, &facts))
    });
    let (mut hosts, mut errors) = (Vec::new(), Vec::new());
    for r in results {
        match r {
            Ok(h) => hosts.push(h),
            Err(e) => errors.push(e),
        }
    }
    let report = FleetReport::new(&profile.name, hosts, errors);
    let text = match args.format {
        FleetFormat::Human => kharden::report::fleet::human(&report),
        FleetFormat::Json => kharden::report::fleet::json(&report),
        FleetFormat::Html => kharden::report::html::fleet(&report),
    };
    match &args.output {
        Some(path) => kharden::files::write::write_new(path, text.as_bytes())?,
        None => super::write_stdout(&text)?,
    }
    anyhow::ensure!(
        report.errors.is_empty(),
        "{} of {} snapshots could not be read (listed in the report)",
        report.errors.len(),
        paths.len()
    );
    Ok(Outcome::failed_if(
        report.summary.failing > 0 && !args.exit_zero,
    ))
}
