//! `kharden audit`, `kharden rules`, `kharden explain`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::Outcome;
use crate::policy::builtin;
use crate::probe::{self, ProbeOptions};
use crate::report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// What to audit: shared by `audit` and `fix`.
#[derive(Debug, Clone, Args)]
pub struct Inputs {
    /// Read everything under this directory instead of / (a snapshot of another host).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Kernel config to judge (plain, gzip, xz or zstd). Default: found on the host.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Kernel command line to judge. Default: /proc/cmdline.
    #[arg(long, value_name = "FILE")]
    pub cmdline: Option<PathBuf>,
    /// Output of `sysctl -a` to judge. Default: /proc/sys.
    #[arg(long, value_name = "FILE")]
    pub sysctl: Option<PathBuf>,
    /// Use only the files given; judge the rest by the build-time defaults of the config.
    #[arg(long)]
    pub no_live: bool,
    /// Built-in profile.
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    /// User policy (TOML): extend the profile, drop rules, change severities, add rules, waive
    /// rules. Applied after <ROOT>/etc/kharden/policy.toml, which is read when present (except
    /// with --no-live and the default root).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// List passing and not-applicable rules too.
    #[arg(long)]
    pub all: bool,
    /// Show evidence and fixes for each rule.
    #[arg(short, long)]
    pub verbose: bool,
    /// Exit 0 even when rules fail (for reports).
    #[arg(long)]
    pub exit_zero: bool,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// Load the profile (with user policies), read the facts, evaluate: everything before output.
pub fn collect(
    inputs: &Inputs,
) -> anyhow::Result<(
    crate::policy::Profile,
    crate::probe::Facts,
    crate::audit::Report,
)> {
    let opts = ProbeOptions {
        root: inputs.root.clone(),
        config: inputs.config.clone(),
        cmdline: inputs.cmdline.clone(),
        sysctl: inputs.sysctl.clone(),
        live: !inputs.no_live,
    };
    // The policy first: a policy error wins over an input error. Built-in rules are static
    // data, so this costs next to nothing unless user policies are read.
    let profile = load_profile(&inputs.profile, &policy_files(inputs))?;
    let facts = probe::collect_then(&opts, || profile.sysctl_keys())?;
    let report = crate::audit::run(&profile, &facts);
    Ok((profile, facts, report))
}

pub fn audit(args: AuditArgs) -> anyhow::Result<Outcome> {
    let (_profile, facts, report) = collect(&args.inputs)?;
    match args.format {
        Format::Json => {
            let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
            report::json::write(&report, &mut out)
                .and_then(|()| out.flush())
                .context("writing to stdout")?;
        }
        Format::Human => write_stdout(&report::human::render(
            &report,
            report::human::Options {
                color: use_color(args.color),
                all: args.all,
                verbose: args.verbose,
            },
        ))?,
    }
    let outcome = if report.failed() && !args.exit_zero {
        Outcome::Failed
    } else {
        Outcome::Clean
    };
    // The process ends here: freeing thousands of small allocations would only cost time.
    std::mem::forget((_profile, facts, report));
    Ok(outcome)
}

/// The system policy (when present) and `--policy`, in the order they apply.
fn policy_files(args: &Inputs) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let system = args.root.join("etc/kharden/policy.toml");
    // --no-live on the default root judges only the files given: the host's policy stays out.
    let use_system = !args.no_live || args.root != std::path::Path::new("/");
    if use_system && system.is_file() {
        files.push(system);
    }
    files.extend(args.policy.clone());
    files
}

/// A built-in profile shaped by user policy files (applied in order): every problem of every
/// file is printed, then one summary error.
fn load_profile(profile: &str, files: &[PathBuf]) -> anyhow::Result<crate::policy::Profile> {
    use crate::policy::user;
    let mut texts = Vec::new();
    for path in files {
        // Policies are small: a FIFO, a device or a huge file is refused, not read forever.
        let raw = crate::probe::root::read_regular(path, 1 << 20).map_err(|e| {
            anyhow::anyhow!("{}: {}", path.display(), crate::probe::root::io_reason(&e))
        })?;
        let text = String::from_utf8(raw)
            .map_err(|_| anyhow::anyhow!("{}: policy is not UTF-8 text", path.display()))?;
        texts.push((path.display().to_string(), text));
    }
    let base = texts
        .iter()
        .rev()
        .find_map(|(_, t)| user::extends(t))
        .unwrap_or_else(|| profile.to_string());
    let mut profile = builtin::load(&base)?;
    let mut problems = Vec::new();
    for (name, text) in &texts {
        if let Err(e) = user::apply(name, text, &mut profile) {
            problems.extend(e.problems);
        }
    }
    if !problems.is_empty() {
        // Every problem on its own line; main adds the one-line summary.
        for p in &problems {
            eprintln!("kharden: error: {p}");
        }
        anyhow::bail!(
            "{} problem{} in the policy",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
    }
    if !texts.is_empty() {
        profile.today = Some(user::today().map_err(anyhow::Error::msg)?);
    }
    Ok(profile)
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && std::io::stdout().is_terminal()
        }
    }
}

pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
    // The rule reference in full (docs/rules/<profile>.md).
    Markdown,
}

/// The rules `rules` and `explain` show: a built-in profile, shaped by user policies.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[arg(long, default_value = "baseline")]
    pub profile: String,
    /// User policy (TOML) to apply, as `audit --policy` does; may be given more than once.
    /// The host's /etc/kharden/policy.toml is not read: name it to include it.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
}

impl ProfileArgs {
    fn load(&self) -> anyhow::Result<crate::policy::Profile> {
        load_profile(&self.profile, &self.policy)
    }
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[arg(long, value_enum, default_value = "human")]
    pub format: RulesFormat,
}

pub fn rules(args: RulesArgs) -> anyhow::Result<Outcome> {
    let profile = args.profile.load()?;
    let text = match args.format {
        RulesFormat::Json => report::rules::list_json(&profile),
        RulesFormat::Human => report::rules::list_human(&profile),
        RulesFormat::Markdown => report::rules::list_markdown(&profile),
    };
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule id, as listed by `kharden rules`.
    pub id: String,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

pub fn explain(args: ExplainArgs) -> anyhow::Result<Outcome> {
    let profile = args.profile.load()?;
    let rule = profile.rule(&args.id).with_context(|| {
        format!(
            "no rule {:?} in profile {} (see `kharden rules`)",
            args.id, profile.name
        )
    })?;
    let mut text = report::rules::explain(rule);
    for w in profile.waivers.iter().filter(|w| w.rule == rule.id) {
        text.push_str(&report::rules::waiver_text(w, profile.today));
    }
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}
