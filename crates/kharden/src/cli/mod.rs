//! Command-line interface: flags are parsed without I/O, then each command builds its context.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod audit;
pub mod build;
pub mod fleet;
pub mod generate;
pub mod keys;
pub mod modsign;
pub mod remedy;
pub mod snapshot;
pub mod verify;

/// What a command concluded; `main` alone turns it into an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing failed (exit 0).
    Clean,
    /// At least one finding or module failed (exit 1).
    Failed,
    /// A command kharden ran for the user ended with this status (`modsign build`).
    Status(i32),
}

impl Outcome {
    /// `Failed` when `failed`, else `Clean`.
    pub fn failed_if(failed: bool) -> Outcome {
        if failed {
            Outcome::Failed
        } else {
            Outcome::Clean
        }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
            Outcome::Status(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "kharden",
    version = kharden::generator::LONG_VERSION,
    about = "Audit and harden a Linux kernel's security tunables"
)]
pub struct Cli {
    /// Print nothing on stderr but errors: no warnings, notes or progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour in human output: auto (when stdout is a terminal, unless NO_COLOR is set or
    /// TERM=dumb), always or never. Machine formats are never coloured.
    #[arg(
        long,
        value_enum,
        global = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: audit::ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

/// `-q`, set once before the command runs.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--color`, set once before the command runs (`None`: auto).
static COLOR: std::sync::OnceLock<audit::ColorChoice> = std::sync::OnceLock::new();

fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether human output to stdout is coloured (`--color`, NO_COLOR, TERM, a terminal).
pub(crate) fn color() -> bool {
    use std::io::IsTerminal;
    match COLOR.get().copied().unwrap_or(audit::ColorChoice::Auto) {
        audit::ColorChoice::Always => true,
        audit::ColorChoice::Never => false,
        audit::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && std::io::stdout().is_terminal()
        }
    }
}

/// A note on stderr (what kharden is doing, what it chose), unless `-q`.
pub(crate) fn note(text: &str) {
    if !quiet() {
        eprintln!("kharden: {text}");
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge the kernel's security tunables (build config, command line, sysctls, live state).
    Audit(audit::AuditArgs),
    /// List the rules of a profile.
    Rules(audit::RulesArgs),
    /// Explain one rule in full: why, what it breaks, how to fix.
    Explain(audit::ExplainArgs),
    /// Produce the changes that fix failing rules: Kconfig fragment, sysctl.d, command line.
    Fix(remedy::FixArgs),
    /// Raise the running kernel's protection (dry run unless --yes); never lowers anything.
    Apply(remedy::ApplyArgs),
    /// Compare two configs or snapshot roots: rules that flip, settings that differ.
    Diff(remedy::DiffArgs),
    /// Capture what an audit reads on this host, with provenance, into one archive (.tar.zst)
    /// that audit, diff and fix take as --root.
    Snapshot(snapshot::SnapshotArgs),
    /// Audit many snapshots (directories or archives) at once: per rule, per host, drift.
    Fleet(fleet::FleetArgs),
    /// Module signing and kernel-exact signature verification.
    #[command(subcommand)]
    Modsign(modsign::ModsignCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(generate::CompletionsArgs),
    /// (Write the man pages, completion files or JSON Schemas into a directory.)
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let _ = COLOR.set(cli.color);
    match cli.command {
        Command::Audit(args) => audit::audit(args),
        Command::Rules(args) => audit::rules(args),
        Command::Explain(args) => audit::explain(args),
        Command::Fix(args) => remedy::fix(args),
        Command::Apply(args) => remedy::apply(args),
        Command::Diff(args) => remedy::diff(args),
        Command::Snapshot(args) => snapshot::snapshot(args),
        Command::Fleet(args) => fleet::fleet(args),
        Command::Modsign(cmd) => modsign::run(cmd),
        Command::Completions(args) => generate::completions(args),
        Command::Generate(args) => generate::generate(args),
    }
}

/// A progress bar on stderr when it is a terminal, hidden otherwise.
pub(crate) fn progress(len: usize, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {elapsed_precise}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// The two formats of the commands that have no others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// A report in the format asked for, on stdout.
pub(crate) fn output(format: Format, report: &impl kharden::report::Render) -> anyhow::Result<()> {
    write_stdout(&match format {
        Format::Json => report.json(),
        Format::Human => report.human(),
    })
}

/// Write a rendered output to stdout in one go.
pub(crate) fn write_stdout(text: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to stdout")
}

/// Warnings on stderr, one line each (none with `-q`).
pub(crate) fn warn(warnings: impl IntoIterator<Item = String>) {
    if quiet() {
        return;
    }
    for w in warnings {
        eprintln!("kharden: warning: {w}");
    }
}
