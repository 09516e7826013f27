//! Evaluation: facts × rules → findings. Pure: no I/O, no printing, deterministic order.

pub mod readiness;
pub mod state;

use serde::Serialize;

use crate::policy::{
    Bound, Check, Cmp, Leaf, List, OnAbsent, Operand, Profile, Remedy, Rule, Severity, Status, Text,
};
use crate::probe::cmdline::kstrtobool;
use crate::probe::runtime::boot_lockdown;
use crate::probe::{
    taint, Facts, KernelInfo, Lockdown, RuntimeFact, SourceKind, SourceRecord, Value,
};

pub const SCHEMA: &str = "kharden.audit/2";

/// Written as `{source, key, expected, actual, ok, origin}`, the key spelled `CONFIG_X` for
/// kconfig (kharden.audit/2).
#[derive(Debug, Clone, PartialEq, Eq, schemars::JsonSchema)]
pub struct Evidence {
    pub source: SourceKind,
    /// The bare option name for kconfig (`KEXEC`), the dotted name for sysctls, ...
    #[schemars(
        description = "`CONFIG_X` for kconfig, the dotted name for sysctls, the \
                              parameter for the command line, the path for runtime facts."
    )]
    pub key: Text,
    pub expected: Text,
    pub actual: Option<String>,
    pub ok: Option<bool>,
    /// Where the actual value came from (a path, a build-time default, or why it is unknown).
    pub origin: Option<String>,
    /// The runtime fact a runtime leaf read (its `key` is the path the value came from).
    /// Not serialised.
    #[schemars(skip)]
    pub fact: Option<RuntimeFact>,
}

crate::probe::keyed_by_source!(Evidence, "Evidence", [expected, actual, ok, origin]);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub id: Text,
    pub title: Text,
    pub area: Text,
    pub severity: Severity,
    pub status: Status,
    pub reason: String,
    pub evidence: Vec<Evidence>,
    pub remedy: List<Remedy>,
    /// Set when a user policy waives this finding: it stays in the output but does not fail.
    pub waiver: Option<WaiverNote>,
    /// What enforcing the rule would break on the host: only with `audit --readiness`, only
    /// for failing findings (absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<readiness::Readiness>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WaiverNote {
    pub reason: String,
    /// `YYYY-MM-DD`, or null for a waiver without expiry.
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub not_applicable: usize,
    /// Failing or unknown findings that a policy waives (not counted in `fail`/`unknown`).
    pub waived: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub schema: &'static str,
    /// kharden's version and commit (every JSON document says what made it).
    pub generator: crate::generator::Generator,
    pub kernel: KernelInfo,
    pub profile: String,
    pub sources: Vec<SourceRecord>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub warnings: Vec<String>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.summary.fail > 0
    }

    /// Whether the report fails at `level` (`audit --fail-on`): a finding of that severity or
    /// higher fails, or, with [`FailOn::Unknown`], any finding fails or is unknown. Waived
    /// findings never count.
    pub fn fails_on(&self, level: FailOn) -> bool {
        self.findings
            .iter()
            .filter(|f| f.waiver.is_none())
            .any(|f| match (level, f.status) {
                (_, Status::Fail) => level.severity().is_none_or(|min| f.severity >= min),
                (FailOn::Unknown, Status::Unknown) => true,
                _ => false,
            })
    }
}

/// The level at which an audit fails (`audit --fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// A failing finding of any severity (the default).
    #[default]
    Low,
    Medium,
    High,
    Critical,
    /// A failing finding of any severity, or an unknown one.
    Unknown,
}

impl FailOn {
    /// The lowest severity that fails (`None`: every severity).
    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Unknown => None,
        }
    }
}

/// The sources of the facts, then the policy files applied (path and SHA-256).
fn sources(profile: &Profile, facts: &Facts) -> Vec<SourceRecord> {
    let mut out = facts.sources.clone();
    out.extend(
        profile
            .policy_files
            .iter()
            .map(|(path, sha256)| SourceRecord {
                kind: crate::probe::RecordKind::Policy,
                origin: path.clone(),
                status: crate::probe::SourceStatus::Read,
                detail: Some(format!("sha256:{sha256}")),
            }),
    );
    out
}

pub fn run(profile: &Profile, facts: &Facts) -> Report {
    // Findings come out in report order (area, most severe first, id): the rules are put in
    // that order first, which moves pointers rather than findings.
    let mut order: Vec<&Rule> = profile.rules.iter().collect();
    order.sort_by(|a, b| {
        order_key(&a.area, a.severity, &a.id).cmp(&order_key(&b.area, b.severity, &b.id))
    });
    let mut findings: Vec<Finding> = order.into_iter().map(|r| evaluate(r, facts)).collect();
    let mut warnings = facts.warnings.clone();
    if apply_waivers(profile, &mut findings, &mut warnings) {
        findings.sort_by(|a, b| {
            order_key(&a.area, a.severity, &a.id).cmp(&order_key(&b.area, b.severity, &b.id))
        });
    }
    let mut summary = Summary::default();
    for f in &findings {
        if f.waiver.is_some() {
            summary.waived += 1;
            continue;
        }
        match f.status {
            Status::Pass => summary.pass += 1,
            Status::Fail => summary.fail += 1,
            Status::Unknown => summary.unknown += 1,
            Status::NotApplicable => summary.not_applicable += 1,
        }
    }
    Report {
        schema: SCHEMA,
        generator: crate::generator::GENERATOR,
        kernel: facts.kernel.clone(),
        profile: profile.name.clone(),
        sources: sources(profile, facts),
        findings,
        summary,
        warnings,
    }
}

/// The order of a report: by area, the most severe first, then by id (of a rule or its finding).
fn order_key<'a>(
    area: &'a str,
    severity: Severity,
    id: &'a str,
) -> (&'a str, std::cmp::Reverse<Severity>, &'a str) {
    (area, std::cmp::Reverse(severity), id)
}

/// A date as written in policies and reports: YYYY-MM-DD.
pub fn date_text((y, m, d): crate::policy::user::Date) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// Mark waived findings; an expired waiver becomes a failing finding of its own, a waiver that
/// matches nothing a warning. True when findings were added (they are out of order).
fn apply_waivers(
    profile: &Profile,
    findings: &mut Vec<Finding>,
    warnings: &mut Vec<String>,
) -> bool {
    let mut expired = Vec::new();
    for w in &profile.waivers {
        let Some(f) = findings.iter_mut().find(|f| f.id == w.rule) else {
            warnings.push(format!(
                "{}: the waiver of {:?} matches nothing: profile {} has no such rule",
                w.at, w.rule, profile.name
            ));
            continue;
        };
        if let (Some(exp), Some(today)) = (w.expires, profile.today) {
            if exp < today {
                expired.push(Finding {
                    id: format!("waiver-expired-{}", w.rule).into(),
                    title: format!("The waiver of {} has expired", w.rule).into(),
                    area: "policy".into(),
                    severity: f.severity,
                    status: Status::Fail,
                    reason: format!(
                        "waived until {} ({}: {}); renew or remove the waiver, or fix the rule",
                        date_text(exp),
                        w.at,
                        w.reason
                    ),
                    evidence: vec![],
                    remedy: List::Borrowed(&[]),
                    waiver: None,
                    readiness: None,
                });
                continue;
            }
        }
        if !matches!(f.status, Status::Fail | Status::Unknown) {
            warnings.push(format!(
                "{}: the waiver of {:?} matches nothing: the rule is {}",
                w.at,
                w.rule,
                f.status.as_str()
            ));
            continue;
        }
        f.waiver = Some(WaiverNote {
            reason: w.reason.clone(),
            expires: w.expires.map(date_text),
        });
    }
    let added = !expired.is_empty();
    findings.extend(expired);
    added
}

/// What evaluating a check gives: `Some(ok)` or `None` (unknown); `Skipped` when arch/version
/// rule it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckResult {
    Decided(Option<bool>),
    Skipped,
}

pub fn evaluate(rule: &Rule, facts: &Facts) -> Finding {
    let finding = |status: Status, reason: String, evidence: Vec<Evidence>| Finding {
        id: rule.id.clone(),
        title: rule.title.clone(),
        area: rule.area.clone(),
        severity: rule.severity,
        status,
        reason,
        evidence,
        remedy: rule.remedy.clone(),
        waiver: None,
        readiness: None,
    };
    if let Some(arch) = facts.kernel.arch.as_deref() {
        if !rule.arch.is_empty() && !rule.arch.iter().any(|a| a == arch) {
            return finding(
                Status::NotApplicable,
                format!(
                    "applies only to {}; this kernel is {arch}",
                    rule.arch.join(", ")
                ),
                vec![],
            );
        }
    }
    if let (Some(min), Some(v)) = (rule.min_version, facts.kernel.version) {
        if v < min {
            return finding(
                Status::NotApplicable,
                format!("needs Linux {}.{} or later", min.0, min.1),
                vec![],
            );
        }
    }
    for sc in rule.shortcuts.iter() {
        let mut ev = Vec::new();
        if eval(&sc.when, facts, &mut ev) == CheckResult::Decided(Some(true)) {
            let mut reason = format!("{} (", sc.reason);
            join_described(&mut reason, ev.iter().filter(|e| e.ok == Some(true)));
            reason.push(')');
            return finding(sc.status, reason, ev);
        }
    }
    let mut evidence = Vec::new();
    let outcome = eval(&rule.check, facts, &mut evidence);
    let (status, reason) = match outcome {
        CheckResult::Skipped => (
            Status::NotApplicable,
            "none of its checks applies to this architecture or version".to_string(),
        ),
        CheckResult::Decided(Some(true)) => {
            (Status::Pass, reason_for(&evidence, Some(true), &rule.check))
        }
        CheckResult::Decided(Some(false)) => (
            Status::Fail,
            reason_for(&evidence, Some(false), &rule.check),
        ),
        CheckResult::Decided(None) => (Status::Unknown, reason_for(&evidence, None, &rule.check)),
    };
    finding(status, reason, evidence)
}

fn reason_for(evidence: &[Evidence], want: Option<bool>, check: &Check) -> String {
    let mut out = String::new();
    match (want, check) {
        // An `any` passes on its first satisfied alternative; say which.
        (Some(true), Check::Any(_)) => join_described(
            &mut out,
            evidence.iter().filter(|e| e.ok == Some(true)).take(1),
        ),
        _ => join_described(&mut out, evidence.iter().filter(|e| e.ok == want)),
    }
    if out.is_empty() {
        out.push_str("no evidence");
    }
    out
}

/// Each piece of evidence in words, separated by "; ".
fn join_described<'a>(out: &mut String, evidence: impl Iterator<Item = &'a Evidence>) {
    for (i, e) in evidence.enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        describe_into(out, e);
    }
}

/// One piece of evidence in words: "CONFIG_KEXEC=y", "kernel.kptr_restrict = 0 (...)".
pub fn describe(e: &Evidence) -> String {
    let mut out = String::new();
    describe_into(&mut out, e);
    out
}

fn describe_into(out: &mut String, e: &Evidence) {
    use std::fmt::Write as _;
    let key = &e.key;
    let _ = match (e.source, e.actual.as_deref()) {
        (_, None) if e.ok.is_none() => {
            let _ = write!(
                out,
                "{}: unknown ({})",
                display_key(e),
                e.origin.as_deref().unwrap_or("no value")
            );
            return;
        }
        (SourceKind::Kconfig, Some("n")) => write!(out, "CONFIG_{key} is not set"),
        (SourceKind::Kconfig, None) => write!(out, "no CONFIG_{key} line"),
        (SourceKind::Kconfig, Some(v)) => write!(out, "CONFIG_{key}={v}"),
        (SourceKind::Cmdline, None) => write!(out, "{key} not on the command line"),
        (SourceKind::Cmdline, Some("")) => write!(out, "{key} on the command line"),
        (SourceKind::Cmdline, Some(v)) => write!(out, "{key}={v} on the command line"),
        (SourceKind::Sysctl, None) => write!(out, "{key} does not exist"),
        (SourceKind::Sysctl, Some(v)) => write!(out, "{key} = {v}"),
        (SourceKind::Runtime, None) => write!(out, "{key}: absent"),
        (SourceKind::Runtime, Some(v)) => write!(out, "{key}: {v}"),
    };
    match e.origin.as_deref() {
        Some(o) if o != e.key && !o.is_empty() => {
            let _ = write!(out, " ({o})");
        }
        _ => {}
    }
}

fn display_key(e: &Evidence) -> std::borrow::Cow<'_, str> {
    e.source.spelled_key(&e.key)
}

fn eval(check: &Check, facts: &Facts, ev: &mut Vec<Evidence>) -> CheckResult {
    match check {
        Check::Leaf(leaf) => match eval_leaf(leaf, facts) {
            Some(e) => {
                let ok = e.ok;
                ev.push(e);
                CheckResult::Decided(ok)
            }
            None => CheckResult::Skipped,
        },
        Check::Any(cs) | Check::All(cs) => {
            // Every child is evaluated (its evidence is reported), then combined: `any` is true
            // when one child is, false when all are false; `all` the other way round; anything
            // else is unknown. Children ruled out by arch or version do not count.
            let (mut decided, mut yes, mut no) = (0, 0, 0);
            for c in cs.iter() {
                match eval(c, facts, ev) {
                    CheckResult::Decided(r) => {
                        decided += 1;
                        yes += usize::from(r == Some(true));
                        no += usize::from(r == Some(false));
                    }
                    CheckResult::Skipped => {}
                }
            }
            if decided == 0 {
                return CheckResult::Skipped;
            }
            CheckResult::Decided(if matches!(check, Check::Any(_)) {
                if yes > 0 {
                    Some(true)
                } else if no == decided {
                    Some(false)
                } else {
                    None
                }
            } else if no > 0 {
                Some(false)
            } else if yes == decided {
                Some(true)
            } else {
                None
            })
        }
    }
}

/// Evaluate one leaf; `None` when its arch/version conditions rule it out for this kernel.
fn eval_leaf(leaf: &Leaf, facts: &Facts) -> Option<Evidence> {
    if let Some(arch) = facts.kernel.arch.as_deref() {
        if !leaf.arch.is_empty() && !leaf.arch.iter().any(|a| a == arch) {
            return None;
        }
    }
    if let Some(v) = facts.kernel.version {
        if leaf.min_version.is_some_and(|m| v < m) || leaf.max_version.is_some_and(|m| v > m) {
            return None;
        }
    }
    let mut e = Evidence {
        source: leaf.source,
        key: leaf.key.clone(),
        expected: match &leaf.expected {
            Some(worded) => worded.clone(),
            None => leaf.cmp.expected(),
        },
        actual: None,
        ok: None,
        origin: None,
        fact: leaf.runtime,
    };
    // A bound that names a config option takes its value from the config being judged.
    let resolved;
    let leaf = match resolve_bound(&leaf.cmp, facts) {
        ConfigBound::Literal => leaf,
        ConfigBound::Resolved(cmp, shown) => {
            e.expected = shown.into();
            resolved = Leaf {
                cmp,
                ..leaf.clone()
            };
            &resolved
        }
        ConfigBound::Missing(why) => {
            e.origin = Some(why);
            return Some(e);
        }
    };
    match leaf.source {
        SourceKind::Kconfig => match facts.kconfig() {
            None => e.origin = Some(facts.kconfig_origin.clone()),
            Some(cfg) => match cfg.get(&leaf.key) {
                Some(v) => {
                    e.actual = Some(v.to_string());
                    e.ok = compare_kconfig(&leaf.cmp, Some(v));
                }
                None => {
                    e.ok = absent(leaf, || compare_kconfig(&leaf.cmp, None));
                    if e.ok.is_none() {
                        e.origin = Some(format!("the config has no CONFIG_{} line", leaf.key));
                    }
                }
            },
        },
        SourceKind::Cmdline => match facts.cmdline.cmdline() {
            None => e.origin = Some(facts.cmdline.origin()),
            Some(c) => {
                let value: Option<String> = if leaf.key == "lockdown" {
                    // Every valid lockdown= raises the level; the highest one counts.
                    let (level, _) = boot_lockdown(None, Some(c));
                    c.last("lockdown").map(|_| level.as_str().to_string())
                } else {
                    c.last(&leaf.key)
                        .map(|p| p.value.clone().unwrap_or_default())
                };
                if value.is_none() && c.only_after_dashes(&leaf.key) {
                    e.origin = Some("appears only after `--`, where the kernel ignores it".into());
                } else if matches!(facts.cmdline, crate::probe::CmdlineFact::Default { .. }) {
                    e.origin = Some("no command line given".into());
                }
                e.ok = compare_cmdline(&leaf.cmp, value.as_deref());
                e.actual = value;
            }
        },
        SourceKind::Sysctl => {
            let v = facts
                .sysctl
                .get(&*leaf.key)
                .cloned()
                .unwrap_or(Value::unknown("not read"));
            value_leaf(leaf, &v, &mut e);
        }
        SourceKind::Runtime => match leaf.runtime.and_then(|f| facts.runtime.get(&f)) {
            Some(f) => {
                e.key = f.path.clone().into();
                value_leaf(leaf, &f.value, &mut e);
            }
            None => e.origin = Some("not read".into()),
        },
    }
    if let Some(note) = &leaf.note {
        e.origin = Some(match e.origin.take() {
            Some(o) => format!("{o}; {note}"),
            None => note.to_string(),
        });
    }
    Some(e)
}

/// A comparison whose bound names a config option, with the option's value put in.
enum ConfigBound {
    Literal,
    Resolved(Cmp, String),
    Missing(String),
}

fn resolve_bound(cmp: &Cmp, facts: &Facts) -> ConfigBound {
    let Some(name) = cmp.config_ref() else {
        return ConfigBound::Literal;
    };
    match facts.kconfig().and_then(|c| c.get(name)) {
        Some(v) => {
            let (cmp, shown) = match cmp {
                Cmp::AtLeast(_) => (Cmp::AtLeast(bound_of(v, name)), format!(">= {v}")),
                Cmp::AtMost(_) => (Cmp::AtMost(bound_of(v, name)), format!("<= {v}")),
                _ => (Cmp::Is(Operand::Value(v.to_string().into())), v.to_string()),
            };
            ConfigBound::Resolved(cmp, format!("{shown} (CONFIG_{name})"))
        }
        None => ConfigBound::Missing(format!(
            "the bound CONFIG_{name} is not known: {}",
            if facts.kconfig().is_some() {
                "the config has no such line"
            } else {
                "no kernel config"
            }
        )),
    }
}

/// A config option's value as a bound: a number or a lockdown level; anything else orders with
/// nothing (the bound stays a reference, which compares as unknown).
fn bound_of(v: &str, name: &str) -> Bound {
    match number(v) {
        Some(n) => Bound::Number(n),
        None => v
            .parse::<Lockdown>()
            .map(Bound::Lockdown)
            .unwrap_or_else(|_| Bound::Config(name.to_string().into())),
    }
}

fn absent(leaf: &Leaf, compare: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match leaf.on_absent {
        OnAbsent::Compare => compare(),
        OnAbsent::Pass => Some(true),
        OnAbsent::Fail => Some(false),
        OnAbsent::Unknown => None,
    }
}

fn value_leaf(leaf: &Leaf, v: &Value, e: &mut Evidence) {
    match v {
        Value::Known { value, origin } => {
            e.actual = Some(match &leaf.cmp {
                Cmp::TaintClear(_) => describe_taint(value),
                _ => value.clone(),
            });
            e.ok = compare_value(&leaf.cmp, value);
            e.origin = Some(origin.clone());
        }
        Value::Absent { origin } => {
            e.ok = absent(leaf, || Some(false));
            e.origin = Some(origin.clone());
        }
        Value::Unknown { reason } => e.origin = Some(reason.clone()),
    }
}

fn describe_taint(value: &str) -> String {
    match value.trim().parse::<u64>() {
        Ok(0) => "0 (not tainted)".to_string(),
        Ok(mask) => format!("{mask} ({})", taint::decode(mask).join(", ")),
        Err(_) => value.to_string(),
    }
}

fn number(s: &str) -> Option<i64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Order a value against a bound: numerically, or as lockdown levels; `None` when they do not
/// compare.
fn order(actual: &str, bound: &Bound) -> Option<std::cmp::Ordering> {
    match bound {
        Bound::Number(b) => Some(number(actual)?.cmp(b)),
        Bound::Lockdown(b) => Some(actual.parse::<Lockdown>().ok()?.cmp(b)),
        // Not resolved: a config value that is neither.
        Bound::Config(_) => None,
    }
}

/// `v` equals `want`: numerically when both are numbers, else as written.
fn equals(v: &str, want: &str) -> bool {
    match (number(v), number(want)) {
        (Some(a), Some(b)) => a == b,
        _ => v == want,
    }
}

/// A value read from a sysctl, a runtime fact or the command line against the comparison.
fn compare_value(cmp: &Cmp, v: &str) -> Option<bool> {
    Some(match cmp {
        Cmp::Is(Operand::Value(want)) => equals(v, want),
        Cmp::OneOf(list) => list.iter().any(|w| equals(v, w)),
        Cmp::AtLeast(b) => order(v, b)?.is_ge(),
        Cmp::AtMost(b) => order(v, b)?.is_le(),
        Cmp::NoneOf(list) => !v
            .split(',')
            .map(str::trim)
            .chain([v])
            .any(|x| list.iter().any(|w| equals(x, w))),
        Cmp::Contains(item) => v.split(',').map(str::trim).any(|x| x == item),
        Cmp::TaintClear(letters) => {
            let mask: u64 = v.trim().parse().ok()?;
            letters
                .iter()
                .filter_map(|l| taint::bit_of(*l))
                .all(|bit| mask & (1 << bit) == 0)
        }
        // Words of kconfig and cmdline checks (refused elsewhere when the policy is loaded), and
        // a config reference that was not resolved.
        Cmp::NotSet
        | Cmp::Enabled
        | Cmp::Present
        | Cmp::Absent
        | Cmp::Bool(_)
        | Cmp::Is(Operand::Config(_)) => return None,
    })
}

fn compare_kconfig(cmp: &Cmp, v: Option<&str>) -> Option<bool> {
    if *cmp == Cmp::Present {
        return Some(v.is_some());
    }
    let v = v.unwrap_or("n");
    match cmp {
        // A number or level that is not set is no value at all: it does not meet a bound.
        Cmp::AtLeast(_) | Cmp::AtMost(_) if v == "n" => Some(false),
        Cmp::NotSet => Some(v == "n"),
        Cmp::Enabled => Some(v == "y" || v == "m"),
        // A config value is compared as written.
        Cmp::Is(Operand::Value(want)) => Some(v == want),
        other => compare_value(other, v),
    }
}

fn compare_cmdline(cmp: &Cmp, v: Option<&str>) -> Option<bool> {
    match (cmp, v) {
        (Cmp::Absent, v) => Some(v.is_none()),
        (Cmp::Present, v) => Some(v.is_some()),
        (_, None) => Some(false),
        (Cmp::Bool(true), Some(v)) => {
            Some(kstrtobool(if v.is_empty() { None } else { Some(v) }) == Some(true))
        }
        (Cmp::Bool(false), Some(v)) => Some(kstrtobool(Some(v)) == Some(false)),
        (cmp, Some(v)) => compare_value(cmp, v),
    }
}
