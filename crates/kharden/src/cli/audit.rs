//! `kharden audit`, `kharden rules`, `kharden explain`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::{write_stdout, Format, Outcome};
use kharden::policy::builtin;
use kharden::policy::user::{self, Date};
use kharden::probe::{self, ProbeOptions};
use kharden::report;
use kharden::term;

/// `audit --format`: the two every command has, and the formats fleets and CI read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Human,
    Json,
    // One finding per line (kharden.finding/1), for log shippers; the others: docs/exports.md.
    Jsonl,
    Prometheus,
    Sarif,
    Junit,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Low,
    Medium,
    High,
    Critical,
    Unknown,
}

impl FailOnArg {
    fn level(self) -> kharden::audit::FailOn {
        use kharden::audit::FailOn;
        match self {
            FailOnArg::Low => FailOn::Low,
            FailOnArg::Medium => FailOn::Medium,
            FailOnArg::High => FailOn::High,
            FailOnArg::Critical => FailOn::Critical,
            FailOnArg::Unknown => FailOn::Unknown,
        }
    }
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
    /// Kernel config to judge (plain, gzip, xz or zstd; `-`: standard input). Default: found
    /// on the host.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Kernel command line to judge (`-`: standard input). Default: /proc/cmdline.
    #[arg(long, value_name = "FILE")]
    pub cmdline: Option<PathBuf>,
    /// Output of `sysctl -a` to judge (`-`: standard input). Default: /proc/sys.
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

impl Inputs {
    /// The inputs of a command that reads everything under `root` itself (fix, apply,
    /// snapshot, fleet): no offline files.
    pub fn under(
        root: impl Into<PathBuf>,
        no_live: bool,
        profile: &str,
        policy: Option<PathBuf>,
    ) -> Inputs {
        Inputs {
            root: root.into(),
            config: None,
            cmdline: None,
            sysctl: None,
            no_live,
            profile: profile.to_string(),
            policy,
        }
    }

    /// Flags that contradict each other, refused before anything is read: `--no-live` judges
    /// only the files given, so it needs one (an audit of nothing would pass a CI job that
    /// forgot its config).
    fn check(&self) -> anyhow::Result<()> {
        let offline = self.config.is_some()
            || self.cmdline.is_some()
            || self.sysctl.is_some()
            || self.root != std::path::Path::new("/");
        let stdin = [&self.config, &self.cmdline, &self.sysctl, &self.policy]
            .iter()
            .filter(|f| f.as_deref().is_some_and(kharden::files::root::is_stdin))
            .count();
        anyhow::ensure!(
            stdin <= 1,
            "standard input (-) can be read once: give it to one of --config, --cmdline, --sysctl, --policy"
        );
        anyhow::ensure!(
            !self.no_live || offline,
            "--no-live judges only the files given: give --config FILE, --cmdline FILE, \
             --sysctl FILE or --root DIR"
        );
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format; jsonl, prometheus (a node_exporter textfile), sarif, junit and html (one
    /// self-contained page) are described in docs/exports.md.
    #[arg(long, value_enum, default_value = "human")]
    pub format: AuditFormat,
    /// List passing and not-applicable rules too.
    #[arg(long)]
    pub all: bool,
    /// Show evidence and fixes for each rule.
    #[arg(short, long)]
    pub verbose: bool,
    /// Exit 0 even when rules fail (for reports).
    #[arg(long)]
    pub exit_zero: bool,
    /// Exit 1 when a rule of this severity or higher fails; `unknown`: when any rule fails or
    /// cannot be judged. Waived findings never count.
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "low")]
    pub fail_on: FailOnArg,
    /// Write the output to FILE (atomically: a reader sees the old file or the new one)
    /// instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add the host's name, boot id, the time and kharden's version to json, jsonl and
    /// prometheus output (without it, the output depends on the inputs alone).
    #[arg(long)]
    pub with_host: bool,
    /// Judge waiver expiry as of this day instead of the system clock's (UTC), e.g. to
    /// reproduce an earlier report. The output says so.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// For each failing rule, what turning it on would break on this host: `ready`, `blocked`
    /// (each blocker, its consequence and the way out) or `unknown` (with the reason).
    #[arg(long)]
    pub readiness: bool,
}

/// Look for what enforcing the failing rules would break, and give each failing finding its
/// verdict (`audit --readiness`; `apply` and `fix` always).
pub fn readiness(
    inputs_root: &std::path::Path,
    profile: &kharden::policy::Profile,
    facts: &kharden::probe::Facts,
    report: &mut kharden::audit::Report,
) {
    let kinds = kharden::audit::readiness::kinds_needed(profile, report);
    // A snapshot archive is read in memory (the probe has already refused a bad one).
    let root = kharden::files::Root::open_any(inputs_root)
        .unwrap_or_else(|_| kharden::files::Root::new(inputs_root));
    let looks = kharden::probe::readiness::look(&root, facts, &kinds);
    kharden::audit::readiness::attach(profile, report, &looks);
}

/// `--today`, checked: a day that exists, or a one-line error naming the flag.
fn parse_today(flag: Option<&str>) -> anyhow::Result<Option<Date>> {
    flag.map(|v| user::parse_date(v).map_err(|e| anyhow::anyhow!("--today {v}: {e}")))
        .transpose()
}

/// The line that says the date was not the system clock's (human output).
fn today_note(d: Date) -> String {
    format!(
        "date: {} (set by --today, not the system clock)",
        kharden::audit::date_text(d)
    )
}

/// Load the profile (with user policies), read the facts, evaluate: everything before output.
/// Waivers expire against the system clock: `fix` and `apply` leave alone the rules a waiver in
/// force covers (and those a policy drops).
pub fn collect(
    inputs: &Inputs,
) -> anyhow::Result<(
    kharden::policy::Profile,
    kharden::probe::Facts,
    kharden::audit::Report,
)> {
    collect_as_of(inputs, None)
}

/// [`collect`], with waivers judged as of `today` when given (`--today`).
fn collect_as_of(
    inputs: &Inputs,
    today: Option<Date>,
) -> anyhow::Result<(
    kharden::policy::Profile,
    kharden::probe::Facts,
    kharden::audit::Report,
)> {
    inputs.check()?;
    let opts = ProbeOptions {
        root: inputs.root.clone(),
        config: inputs.config.clone(),
        cmdline: inputs.cmdline.clone(),
        sysctl: inputs.sysctl.clone(),
        live: !inputs.no_live,
    };
    // The policy first: a policy error wins over an input error. Built-in rules are static
    // data, so this costs next to nothing unless user policies are read.
    let profile = load_profile(&inputs.profile, &policy_files(inputs), today)?;
    let facts = probe::read_facts(&opts, &profile.sysctl_keys())?;
    let report = kharden::audit::run(&profile, &facts);
    Ok((profile, facts, report))
}

pub fn audit(args: AuditArgs) -> anyhow::Result<Outcome> {
    // Checked before anything is read.
    let today = parse_today(args.today.as_deref())?;
    let (_profile, facts, mut report) = collect_as_of(&args.inputs, today)?;
    if args.readiness {
        readiness(&args.inputs.root, &_profile, &facts, &mut report);
    }
    let host = args
        .with_host
        .then(|| kharden::files::Root::open_any(&args.inputs.root))
        .transpose()?
        .map(|root| kharden::probe::host::read(&root));
    let audited = report::Audited {
        profile: &_profile,
        facts: &facts,
        report: &report,
        host: host.as_ref(),
    };
    let text = match args.format {
        AuditFormat::Json if args.output.is_none() => {
            let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
            report::json::write_with(&report, today, host.as_ref(), &mut out)
                .and_then(|()| out.flush())
                .context("writing to stdout")?;
            None
        }
        AuditFormat::Json => {
            let mut out = Vec::with_capacity(64 << 10);
            report::json::write_with(&report, today, host.as_ref(), &mut out)?;
            Some(String::from_utf8(out).expect("JSON is UTF-8"))
        }
        AuditFormat::Human => Some(report::human::render(
            &report,
            report::human::Options {
                color: args.output.is_none() && super::color(),
                all: args.all,
                verbose: args.verbose,
                today_override: today,
            },
        )),
        AuditFormat::Jsonl => Some(report::jsonl::render(&audited)),
        AuditFormat::Prometheus => Some(report::prometheus::render(&audited)),
        AuditFormat::Sarif => Some(report::sarif::render(&audited)),
        AuditFormat::Junit => Some(report::junit::render(&audited)),
        AuditFormat::Html => Some(report::html::audit(&audited)),
    };
    if let Some(text) = text {
        match &args.output {
            Some(path) => kharden::files::write::write_new(path, text.as_bytes())?,
            None => write_stdout(&text)?,
        }
    }
    let outcome = if report.fails_on(args.fail_on.level()) && !args.exit_zero {
        Outcome::Failed
    } else {
        Outcome::Clean
    };
    // The process ends here: freeing thousands of small allocations would only cost time.
    std::mem::forget((_profile, facts, report));
    Ok(outcome)
}

/// The profile `inputs` name, shaped by the root's and the user's policies (no facts read).
pub(crate) fn profile_for(inputs: &Inputs) -> anyhow::Result<kharden::policy::Profile> {
    load_profile(&inputs.profile, &policy_files(inputs), None)
}

/// The profile for a host of a fleet whose root has its own policy: `profile` shaped by the
/// root's policy, then `--policy`.
pub(crate) fn profile_with_root_policy(
    profile: &str,
    root: kharden::files::Root,
    policy: Option<&std::path::Path>,
) -> anyhow::Result<kharden::policy::Profile> {
    let mut files = vec![PolicyFile::InRoot(root)];
    files.extend(policy.map(|p| PolicyFile::Named(p.to_path_buf())));
    load_profile(profile, &files, None)
}

/// Whether a root has its own policy (`/etc/kharden/policy.toml`).
pub(crate) fn has_root_policy(root: &kharden::files::Root) -> bool {
    root.exists(SYSTEM_POLICY)
}

/// The system policy (when present) and `--policy`, in the order they apply.
fn policy_files(args: &Inputs) -> Vec<PolicyFile> {
    let mut files = Vec::new();
    // --no-live on the default root judges only the files given: the host's policy stays out.
    let use_system = !args.no_live || args.root != std::path::Path::new("/");
    if use_system {
        // An archive that cannot be read is reported by the probe, after the policies.
        if let Ok(root) = kharden::files::Root::open_any(&args.root) {
            if root.exists(SYSTEM_POLICY) {
                files.push(PolicyFile::InRoot(root));
            }
        }
    }
    files.extend(args.policy.iter().cloned().map(PolicyFile::Named));
    files
}

/// Where a root keeps its own policy.
const SYSTEM_POLICY: &str = "/etc/kharden/policy.toml";

/// A policy file: a root's own one is read through the root (a snapshot's link cannot make a
/// host file its policy); `--policy` files as the user named them.
enum PolicyFile {
    InRoot(kharden::files::Root),
    Named(PathBuf),
}

impl PolicyFile {
    /// The name shown in diagnostics, and the file's bytes (policies are small: a FIFO, a
    /// device or a huge file is refused, not read forever).
    fn read(&self) -> anyhow::Result<(String, Vec<u8>)> {
        let (shown, raw) = match self {
            PolicyFile::InRoot(root) => (
                root.dir().join(&SYSTEM_POLICY[1..]).display().to_string(),
                root.read_limited(SYSTEM_POLICY, 1 << 20),
            ),
            PolicyFile::Named(path) => (
                kharden::files::root::shown(path),
                kharden::files::read_regular(path, 1 << 20),
            ),
        };
        let raw = raw.map_err(|e| {
            anyhow::anyhow!("{}: {}", term::clean(&shown), kharden::files::io_reason(&e))
        })?;
        Ok((shown, raw))
    }
}

/// At most this many policy problems are printed, then a count of the rest.
const PROBLEMS_SHOWN: usize = 100;

/// A built-in profile shaped by user policy files (applied in order): the problems of every
/// file are printed (the first [`PROBLEMS_SHOWN`]), then one summary error. Waivers expire
/// against `today` when given (`--today`), else against the system clock.
fn load_profile(
    profile: &str,
    files: &[PolicyFile],
    today: Option<Date>,
) -> anyhow::Result<kharden::policy::Profile> {
    let mut texts = Vec::new();
    for file in files {
        let (shown, raw) = file.read()?;
        let text = String::from_utf8(raw)
            .map_err(|_| anyhow::anyhow!("{}: policy is not UTF-8 text", term::clean(&shown)))?;
        texts.push((shown, text));
    }
    let base = texts
        .iter()
        .rev()
        .find_map(|(_, t)| user::extends(t))
        .unwrap_or_else(|| profile.to_string());
    let mut profile = builtin::load(&base)?;
    for (name, text) in &texts {
        let digest = modsig::HashAlgo::Sha256.digest(text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        profile.policy_files.push((name.clone(), hex));
    }
    let mut problems = Vec::new();
    for (name, text) in &texts {
        if let Err(e) = user::apply(name, text, &mut profile) {
            problems.extend(e.problems);
        }
    }
    if !problems.is_empty() {
        print_problems(&problems);
        anyhow::bail!(
            "{} problem{} in the policy",
            term::thousands(problems.len()),
            if problems.len() == 1 { "" } else { "s" }
        );
    }
    if today.is_some() || !texts.is_empty() {
        profile.today = match today {
            Some(d) => Some(d),
            None => Some(user::today().map_err(anyhow::Error::msg)?),
        };
    }
    Ok(profile)
}

/// The one place policy problems are shown: each on its own line as `FILE:LINE:COL: message`
/// (escaped: a file may hold text meant for a terminal), in the order the files were applied
/// and, within a file, by line and column; the first [`PROBLEMS_SHOWN`], then a count of the
/// rest. main adds the one-line summary.
fn print_problems(problems: &[kharden::policy::Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for p in problems.iter().take(PROBLEMS_SHOWN) {
        let _ = writeln!(err, "kharden: error: {}", term::clean(&p.to_string()));
    }
    if let Some(rest) = problems
        .len()
        .checked_sub(PROBLEMS_SHOWN)
        .filter(|&n| n > 0)
    {
        let _ = writeln!(
            err,
            "kharden: error: ... and {} more problem{}",
            term::thousands(rest),
            if rest == 1 { "" } else { "s" }
        );
    }
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
    fn load(&self, today: Option<Date>) -> anyhow::Result<kharden::policy::Profile> {
        let files: Vec<PolicyFile> = self.policy.iter().cloned().map(PolicyFile::Named).collect();
        load_profile(&self.profile, &files, today)
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
    let profile = args.profile.load(None)?;
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
    /// Say whether the rule's waivers have expired as of this day instead of the system
    /// clock's (UTC). The output says so.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// human, or json (the `kharden.explain/1` document: the rule as `rules --format json`
    /// lists it, and its waivers).
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

pub fn explain(args: ExplainArgs) -> anyhow::Result<Outcome> {
    let today = parse_today(args.today.as_deref())?;
    let profile = args.profile.load(today)?;
    let Some(rule) = profile.rule(&args.id) else {
        use builtin::Elsewhere;
        let hint = match builtin::elsewhere(&args.id, &profile) {
            Elsewhere::InProfiles(names) => format!(
                "it is in profile {}: kharden explain {} --profile {}",
                names.join(", "),
                args.id,
                names[0]
            ),
            Elsewhere::Closest(near, None) => format!("did you mean {near}?"),
            Elsewhere::Closest(near, Some(p)) => {
                format!("did you mean {near} (profile {p}: kharden explain {near} --profile {p})?")
            }
            Elsewhere::Nothing => "see `kharden rules`".to_string(),
        };
        anyhow::bail!(
            "no rule {:?} in profile {}; {}",
            args.id,
            profile.name,
            term::clean(&hint)
        );
    };
    if args.format == Format::Json {
        write_stdout(&report::rules::explain_json(&profile, rule, today))?;
        return Ok(Outcome::Clean);
    }
    let mut text = report::rules::explain(rule);
    if let Some(d) = today {
        text.push_str(&format!("\n{}\n", today_note(d)));
    }
    for w in profile.waivers.iter().filter(|w| w.rule == rule.id) {
        text.push_str(&report::rules::waiver_text(w, profile.today));
    }
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}
