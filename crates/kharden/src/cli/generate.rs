//! Artefacts made from the command definitions and the output types: shell completions
//! (`kharden completions SHELL`), and for the repository and the Debian package the man pages,
//! completion files and JSON Schemas (`kharden generate WHAT DIR`, hidden). The committed copies
//! (docs/man, packaging/completions, docs/schemas) are compared with fresh ones by
//! tests/generated.rs.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::Shell;

use super::{write_stdout, Outcome};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for (its script goes to stdout).
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Artefact {
    /// One man page per command: kharden.1, kharden-audit.1, kharden-modsign-verify.1, ...
    Man,
    /// Completion scripts: kharden.bash, _kharden (zsh), kharden.fish.
    Completions,
    /// A JSON Schema per versioned JSON document: kharden.audit-1.schema.json, ...
    Schemas,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(value_enum)]
    pub what: Artefact,
    /// An existing directory; each file is replaced atomically.
    pub dir: PathBuf,
}

/// The shells whose completion files are generated and packaged, and the name each is
/// installed under (bash-completion and zsh look a command's completion up by these names).
const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "kharden.bash"),
    (Shell::Zsh, "_kharden"),
    (Shell::Fish, "kharden.fish"),
];

/// The command as the artefacts describe it: the package version alone, so that a generated
/// file does not change with the commit it was built from.
fn command() -> clap::Command {
    let mut cmd = super::Cli::command().version(env!("CARGO_PKG_VERSION"));
    cmd.build();
    cmd
}

/// [`command`] without clap's `help` subcommands, which the pages would otherwise list.
fn command_without_help() -> clap::Command {
    fn strip(cmd: clap::Command) -> clap::Command {
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        names
            .iter()
            .fold(cmd.disable_help_subcommand(true), |cmd, name| {
                cmd.mut_subcommand(name, strip)
            })
    }
    let mut cmd = strip(super::Cli::command().version(env!("CARGO_PKG_VERSION")));
    cmd.build();
    cmd
}

/// Not a command of its own in a man page: `help` (clap's, which `--help` covers).
fn documented(cmd: &clap::Command) -> bool {
    !cmd.is_hide_set() && cmd.get_name() != "help"
}

fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "kharden", &mut out);
    out
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<Outcome> {
    write_stdout(&String::from_utf8_lossy(&completion(args.shell)))?;
    Ok(Outcome::Clean)
}

/// Every visible command's man page, named after its path (`kharden-modsign-verify.1`).
fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut page = Vec::new();
        man.render(&mut page)?;
        out.push((man.get_filename(), page));
        for sub in cmd.get_subcommands().filter(|s| documented(s)) {
            walk(sub, out)?;
        }
        Ok(())
    }
    let mut pages = Vec::new();
    walk(&command_without_help(), &mut pages)?;
    Ok(pages)
}

pub fn generate(args: GenerateArgs) -> anyhow::Result<Outcome> {
    let files: Vec<(String, Vec<u8>)> = match args.what {
        Artefact::Man => man_pages()?,
        Artefact::Completions => SHELLS
            .iter()
            .map(|(shell, name)| (name.to_string(), completion(*shell)))
            .collect(),
        Artefact::Schemas => kharden::report::schema::all()
            .into_iter()
            .map(|s| (s.file_name(), s.text().into_bytes()))
            .collect(),
    };
    write_all(&args.dir, &files)?;
    Ok(Outcome::Clean)
}

/// Write each file atomically into `dir`, opened once (mode 0644).
fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    use rustix::fs::{Mode, OFlags};
    let dir_fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(std::io::Error::from)
    .with_context(|| format!("{}: cannot open the directory", dir.display()))?;
    for (name, data) in files {
        kharden::files::write::replace_at(
            dir_fd.as_fd(),
            OsStr::new(name),
            data,
            kharden::files::write::Perms::mode(0o644),
        )
        .with_context(|| format!("{}: cannot write", dir.join(name).display()))?;
    }
    Ok(())
}
