//! `kharden snapshot`: what an audit reads under a root, with provenance, as one tar + zstd
//! archive (docs/fleet.md).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::audit::Inputs;
use super::Outcome;
use kharden::files::Root;

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Capture under this directory instead of / (a snapshot tree of another host).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// A user policy whose own rules' sysctls are captured too (the root's
    /// /etc/kharden/policy.toml is read, and captured, when present).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Write the archive to FILE (atomically; name it *.tar.zst to pass it as --root). Without
    /// it the archive goes to stdout, which must not be a terminal.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn snapshot(args: SnapshotArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        args.out.is_some() || !std::io::stdout().is_terminal(),
        "refusing to write a binary archive to a terminal: use --out FILE.tar.zst"
    );
    anyhow::ensure!(
        args.root.is_dir(),
        "{}: not a directory",
        kharden::term::clean(&args.root.display().to_string())
    );
    // The sysctls of every built-in profile and of the user's policies: an archive serves any
    // later audit of it.
    let mut keys = std::collections::BTreeSet::new();
    for name in kharden::policy::builtin::profile_names() {
        keys.extend(kharden::policy::builtin::load(name)?.sysctl_keys());
    }
    let inputs = Inputs::under(&args.root, false, "baseline", args.policy.clone());
    keys.extend(super::audit::profile_for(&inputs)?.sysctl_keys());
    let root = Root::new(&args.root);
    let host = kharden::probe::host::read(&root);
    let tree = kharden::probe::snapshot::capture(&root, &keys, &host)?;
    let bytes = tree.to_archive()?;
    match &args.out {
        Some(path) => kharden::files::write::write_new(path, &bytes)?,
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(Outcome::Clean)
}
