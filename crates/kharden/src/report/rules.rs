//! Rule documentation: `kharden rules` (list) and `kharden explain ID` (one rule in full).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::audit::date_text;
use crate::policy::user::{Date, Waiver};
use crate::policy::{Check, Profile, Rule};
use crate::term::{clean, clean_lines};

/// One rule in `kharden rules --format json`. Fields in name order: the document was first
/// written through `serde_json::Value`, whose maps sort their keys.
#[derive(Serialize, schemars::JsonSchema)]
pub struct RuleDoc<'a> {
    arch: &'a [crate::policy::Text],
    area: &'a str,
    breaks: &'a str,
    check: String,
    decision: Option<&'a str>,
    file: &'a str,
    id: &'a str,
    rationale: &'a str,
    references: &'a [crate::policy::Text],
    remedy: &'a [crate::policy::Remedy],
    severity: crate::policy::Severity,
    title: &'a str,
}

/// The `kharden.rules/1` document.
#[derive(Serialize, schemars::JsonSchema)]
pub struct RulesDoc<'a> {
    generator: crate::generator::Generator,
    profile: &'a str,
    rules: Vec<RuleDoc<'a>>,
    schema: &'static str,
}

fn doc(r: &Rule) -> RuleDoc<'_> {
    RuleDoc {
        id: &r.id,
        title: &r.title,
        area: &r.area,
        severity: r.severity,
        rationale: &r.rationale,
        breaks: &r.breaks,
        decision: r.decision.as_deref(),
        references: &r.references,
        arch: &r.arch,
        check: check_text(&r.check),
        remedy: &r.remedy,
        file: &r.file,
    }
}

/// A check in one line: `any(CONFIG_MODULE_SIG_FORCE = y, ...)`.
pub fn check_text(c: &Check) -> String {
    match c {
        Check::Any(cs) => format!(
            "any({})",
            cs.iter().map(check_text).collect::<Vec<_>>().join(", ")
        ),
        Check::All(cs) => format!(
            "all({})",
            cs.iter().map(check_text).collect::<Vec<_>>().join(", ")
        ),
        Check::Leaf(l) => {
            let key = match l.source {
                crate::probe::SourceKind::Kconfig => format!("CONFIG_{}", l.key),
                crate::probe::SourceKind::Cmdline => format!("cmdline {}", l.key),
                crate::probe::SourceKind::Sysctl => l.key.to_string(),
                crate::probe::SourceKind::Runtime => format!("runtime {}", l.key),
            };
            let mut cond = String::new();
            if !l.arch.is_empty() {
                cond.push_str(&format!(" [{}]", l.arch.join("/")));
            }
            // Every condition of a leaf is shown (max_version was once left out).
            if let Some(v) = l.min_version {
                cond.push_str(&format!(" [>= {}]", version_text(v)));
            }
            if let Some(v) = l.max_version {
                cond.push_str(&format!(" [<= {}]", version_text(v)));
            }
            format!("{key} {}{cond}", l.cmp.expected())
        }
    }
}

/// `6.1`, or `6.6.8` when the patch level matters.
fn version_text((major, minor, patch): (u32, u32, u32)) -> String {
    if patch == 0 {
        format!("{major}.{minor}")
    } else {
        format!("{major}.{minor}.{patch}")
    }
}

pub fn list_json(profile: &Profile) -> String {
    let mut s = serde_json::to_string_pretty(&RulesDoc {
        generator: crate::generator::GENERATOR,
        profile: &profile.name,
        rules: profile.rules.iter().map(doc).collect(),
        schema: "kharden.rules/1",
    })
    .expect("rules serialise");
    s.push('\n');
    s
}

/// The `kharden.explain/1` document: one rule in full, as `kharden.rules/1` lists it, and the
/// waivers of it in the policies applied.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ExplainDoc<'a> {
    generator: crate::generator::Generator,
    profile: &'a str,
    rule: RuleDoc<'a>,
    schema: &'static str,
    /// The day waivers were judged against when `--today` set it, else `null`.
    today_override: Option<String>,
    waivers: Vec<WaiverDoc>,
}

/// A waiver of the explained rule.
#[derive(Serialize, schemars::JsonSchema)]
pub struct WaiverDoc {
    /// `file:line:column` of the `[[waiver]]`.
    at: String,
    /// Expired as of today (or `--today`): the audit fails it.
    expired: bool,
    /// `YYYY-MM-DD`, or `null` for no expiry.
    expires: Option<String>,
    reason: String,
}

/// `kharden explain ID --format json`.
pub fn explain_json(profile: &Profile, r: &Rule, today_override: Option<Date>) -> String {
    let waivers = profile
        .waivers
        .iter()
        .filter(|w| w.rule == r.id)
        .map(|w| WaiverDoc {
            at: w.at.clone(),
            expired: matches!((w.expires, profile.today), (Some(e), Some(t)) if e < t),
            expires: w.expires.map(date_text),
            reason: w.reason.clone(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&ExplainDoc {
        generator: crate::generator::GENERATOR,
        profile: &profile.name,
        rule: doc(r),
        schema: "kharden.explain/1",
        today_override: today_override.map(date_text),
        waivers,
    })
    .expect("a rule serialises");
    s.push('\n');
    s
}

// Human and Markdown output may reach a terminal: every text a user policy can set goes
// through `clean` (one-line fields) or `clean_lines` (prose), so escape sequences show as text.
// JSON escapes by its own rules.

pub fn list_human(profile: &Profile) -> String {
    RuleList(profile).to_string()
}

/// `kharden rules`: one line per rule, by area then id.
pub struct RuleList<'a>(pub &'a Profile);

impl fmt::Display for RuleList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let profile = self.0;
        write!(f, "profile {}: {}\n\n", profile.name, profile.description)?;
        for r in by_area(profile) {
            writeln!(
                f,
                "{:<10} {:<26} {:<8} {}",
                clean(&r.area),
                clean(&r.id),
                r.severity.as_str(),
                clean(&r.title)
            )?;
        }
        Ok(())
    }
}

/// The profile's rules sorted by area, then id.
fn by_area(profile: &Profile) -> Vec<&Rule> {
    let mut rules: Vec<&Rule> = profile.rules.iter().collect();
    rules.sort_by(|a, b| (&*a.area, &*a.id).cmp(&(&*b.area, &*b.id)));
    rules
}

/// The waiver section of `explain`: who waived the rule, why, and whether it still holds.
pub fn waiver_text(w: &Waiver, today: Option<Date>) -> String {
    let until = match w.expires {
        None => "no expiry".to_string(),
        Some(exp) if today.is_some_and(|t| exp < t) => {
            format!(
                "EXPIRED on {}: audit reports it as a failure",
                date_text(exp)
            )
        }
        Some(exp) => format!("until {}", date_text(exp)),
    };
    format!(
        "\nWaived ({}; {until})\n{}\n",
        clean(&w.at),
        indent(&w.reason)
    )
}

pub fn explain(r: &Rule) -> String {
    Explanation(r).to_string()
}

/// `kharden explain ID`: one rule in full.
pub struct Explanation<'a>(pub &'a Rule);

impl fmt::Display for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        writeln!(f, "{} - {}", clean(&r.id), clean(&r.title))?;
        writeln!(
            f,
            "area: {}   severity: {}   defined in: {}",
            clean(&r.area),
            r.severity.as_str(),
            clean(&r.file)
        )?;
        if !r.arch.is_empty() {
            writeln!(f, "architectures: {}", r.arch.join(", "))?;
        }
        writeln!(f, "\nWhy it matters\n{}", indent(&r.rationale))?;
        writeln!(f, "\nWhat enforcing it may break\n{}", indent(&r.breaks))?;
        if let Some(d) = &r.decision {
            writeln!(f, "\nWhy kharden judges it this way\n{}", indent(d))?;
        }
        writeln!(f, "\nCheck\n  {}", clean(&check_text(&r.check)))?;
        for s in r.shortcuts.iter() {
            writeln!(
                f,
                "  {} when {}: {}",
                s.status.as_str(),
                clean(&check_text(&s.when)),
                clean(&s.reason)
            )?;
        }
        if !r.remedy.is_empty() {
            writeln!(f, "\nHow to fix")?;
            for m in r.remedy.iter() {
                writeln!(f, "  [{}] {}", m.source.as_str(), clean(&m.text))?;
            }
        }
        if !r.readiness.is_empty() {
            writeln!(f, "\nWhat `audit --readiness` looks for on the host")?;
            for b in r.readiness.iter() {
                writeln!(f, "  {}: {}", b.kind.as_str(), clean(&b.consequence))?;
                writeln!(f, "    way out: {}", clean(&b.way_out))?;
            }
        }
        if !r.references.is_empty() {
            writeln!(f, "\nReferences")?;
            for x in r.references.iter() {
                writeln!(f, "  {}", clean(x))?;
            }
        }
        Ok(())
    }
}

/// The rule reference (`docs/rules/<profile>.md`): every rule in full, grouped by area.
pub fn list_markdown(profile: &Profile) -> String {
    RuleReference(profile).to_string()
}

/// The rule reference as Markdown: blocks (headings, paragraphs) separated by one blank line,
/// the document ending with a single newline.
pub struct RuleReference<'a>(pub &'a Profile);

impl fmt::Display for RuleReference<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let profile = self.0;
        let rules = by_area(profile);
        let mut md = Blocks { f, first: true };
        md.block(format_args!(
            "# Rules of the `{name}` profile\n\n<!-- Generated by `kharden rules --profile {name} --format markdown`; \
             do not edit. Regenerate with:\n     cargo run -q -p kharden -- rules --profile {name} --format markdown > docs/rules/{name}.md -->\n\n\
             {desc}\n\n{n} rules.",
            name = profile.name,
            desc = profile.description,
            n = rules.len()
        ))?;
        let mut area = "";
        for r in rules {
            if r.area != area {
                area = &r.area;
                let count = profile.rules.iter().filter(|x| x.area == area).count();
                md.block(format_args!("## {} ({count})", clean(area)))?;
            }
            md.block(format_args!(
                "### `{}`: {}",
                clean(&r.id),
                md_escape(&clean(&r.title))
            ))?;
            let arch = if r.arch.is_empty() {
                String::new()
            } else {
                format!("; arch {}", r.arch.join(", "))
            };
            let version = r
                .min_version
                .map(|v| format!("; Linux {}.{}+", v.0, v.1))
                .unwrap_or_default();
            md.block(format_args!(
                "severity **{}**{arch}{version}; defined in `{}`",
                r.severity.as_str(),
                clean(&r.file)
            ))?;
            md.block(format_args!("{}", clean_lines(&r.rationale)))?;
            md.block(format_args!("*May break:* {}", clean_lines(&r.breaks)))?;
            if let Some(d) = &r.decision {
                md.block(format_args!("*Decision:* {}", clean_lines(d)))?;
            }
            md.block(format_args!(
                "*Check:* `{}`",
                clean(&check_text(&r.check)).replace('`', "'")
            ))?;
            for sc in r.shortcuts.iter() {
                md.block(format_args!(
                    "*{} when* `{}`: {}",
                    sc.status.as_str(),
                    clean(&check_text(&sc.when)).replace('`', "'"),
                    clean(&sc.reason)
                ))?;
            }
            if !r.remedy.is_empty() {
                let fixes: Vec<String> = r
                    .remedy
                    .iter()
                    .map(|m| {
                        format!(
                            "[{}] `{}`",
                            m.source.as_str(),
                            clean(&m.text).replace('`', "'")
                        )
                    })
                    .collect();
                md.block(format_args!("*Fix:* {}", fixes.join("; ")))?;
            }
            if !r.readiness.is_empty() {
                let kinds: Vec<String> = r
                    .readiness
                    .iter()
                    .map(|b| format!("`{}` ({})", b.kind.as_str(), clean(&b.consequence)))
                    .collect();
                md.block(format_args!("*Readiness looks for:* {}", kinds.join("; ")))?;
            }
            if !r.references.is_empty() {
                let refs: Vec<Cow<str>> = r.references.iter().map(|x| clean(x)).collect();
                md.block(format_args!("*References:* {}", refs.join("; ")))?;
            }
        }
        Ok(())
    }
}

/// Markdown blocks, each ended by a newline, with a blank line between two of them.
struct Blocks<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    first: bool,
}

impl Blocks<'_, '_> {
    fn block(&mut self, text: fmt::Arguments<'_>) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.f.write_str("\n")?;
        }
        self.f.write_fmt(text)?;
        self.f.write_str("\n")
    }
}

fn md_escape(t: &str) -> String {
    t.replace('<', "&lt;").replace('>', "&gt;")
}

/// Prose indented by two spaces, each line cleaned for the terminal.
fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {}", clean(l)))
        .collect::<Vec<_>>()
        .join("\n")
}
