//! Rule documentation: `kharden rules` (list) and `kharden explain ID` (one rule in full).

use std::borrow::Cow;
use std::fmt::Write;

use serde::Serialize;

use super::term::{clean, clean_lines};
use crate::audit::date_text;
use crate::policy::user::{Date, Waiver};
use crate::policy::{Check, Profile, Rule};

#[derive(Serialize)]
struct RuleDoc<'a> {
    id: &'a str,
    title: &'a str,
    area: &'a str,
    severity: &'a str,
    rationale: &'a str,
    breaks: &'a str,
    decision: Option<&'a str>,
    references: &'a [crate::policy::Text],
    arch: &'a [crate::policy::Text],
    check: String,
    remedy: &'a [crate::policy::Remedy],
    file: &'a str,
}

fn doc(r: &Rule) -> RuleDoc<'_> {
    RuleDoc {
        id: &r.id,
        title: &r.title,
        area: &r.area,
        severity: r.severity.as_str(),
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
            if let Some(v) = l.min_version {
                cond.push_str(&format!(" [>= {}.{}]", v.0, v.1));
            }
            format!("{key} {}{cond}", l.cmp.expected_for(l.source))
        }
    }
}

pub fn list_json(profile: &Profile) -> String {
    let docs: Vec<RuleDoc> = profile.rules.iter().map(doc).collect();
    let mut s = serde_json::to_string_pretty(&serde_json::json!({
        "schema": "kharden.rules/1",
        "profile": profile.name,
        "rules": docs,
    }))
    .expect("rules serialise");
    s.push('\n');
    s
}

// Human and Markdown output may reach a terminal: every text a user policy can set goes
// through `clean` (one-line fields) or `clean_lines` (prose), so escape sequences show as text.
// JSON escapes by its own rules.

pub fn list_human(profile: &Profile) -> String {
    let mut out = format!("profile {}: {}\n\n", profile.name, profile.description);
    let mut rules: Vec<&Rule> = profile.rules.iter().collect();
    rules.sort_by(|a, b| (&*a.area, &*a.id).cmp(&(&*b.area, &*b.id)));
    for r in rules {
        let _ = writeln!(
            out,
            "{:<10} {:<26} {:<8} {}",
            clean(&r.area),
            clean(&r.id),
            r.severity.as_str(),
            clean(&r.title)
        );
    }
    out
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
    let mut out = String::new();
    let _ = writeln!(out, "{} - {}", clean(&r.id), clean(&r.title));
    let _ = writeln!(
        out,
        "area: {}   severity: {}   defined in: {}",
        clean(&r.area),
        r.severity.as_str(),
        clean(&r.file)
    );
    if !r.arch.is_empty() {
        let _ = writeln!(out, "architectures: {}", r.arch.join(", "));
    }
    let _ = writeln!(out, "\nWhy it matters\n{}", indent(&r.rationale));
    let _ = writeln!(out, "\nWhat enforcing it may break\n{}", indent(&r.breaks));
    if let Some(d) = &r.decision {
        let _ = writeln!(out, "\nWhy kharden judges it this way\n{}", indent(d));
    }
    let _ = writeln!(out, "\nCheck\n  {}", clean(&check_text(&r.check)));
    for s in r.shortcuts.iter() {
        let _ = writeln!(
            out,
            "  {} when {}: {}",
            s.status.as_str(),
            clean(&check_text(&s.when)),
            clean(&s.reason)
        );
    }
    if !r.remedy.is_empty() {
        let _ = writeln!(out, "\nHow to fix");
        for m in r.remedy.iter() {
            let _ = writeln!(out, "  [{}] {}", clean(&m.source), clean(&m.text));
        }
    }
    if !r.references.is_empty() {
        let _ = writeln!(out, "\nReferences");
        for x in r.references.iter() {
            let _ = writeln!(out, "  {}", clean(x));
        }
    }
    out
}

/// The rule reference (`docs/rules/<profile>.md`): every rule in full, grouped by area.
pub fn list_markdown(profile: &Profile) -> String {
    let mut rules: Vec<&Rule> = profile.rules.iter().collect();
    rules.sort_by(|a, b| (&*a.area, &*a.id).cmp(&(&*b.area, &*b.id)));
    let mut out = format!(
        "# Rules of the `{name}` profile\n\n<!-- Generated by `kharden rules --profile {name} --format markdown`; \
         do not edit. Regenerate with:\n     cargo run -q -p kharden -- rules --profile {name} --format markdown > docs/rules/{name}.md -->\n\n\
         {desc}\n\n{n} rules.\n\n",
        name = profile.name,
        desc = profile.description,
        n = rules.len()
    );
    let mut area = "";
    for r in rules {
        if r.area != area {
            area = &r.area;
            let count = profile.rules.iter().filter(|x| x.area == area).count();
            let _ = write!(out, "## {} ({count})\n\n", clean(area));
        }
        let _ = write!(
            out,
            "### `{}`: {}\n\n",
            clean(&r.id),
            md_escape(&clean(&r.title))
        );
        let mut meta = format!("severity **{}**", r.severity.as_str());
        if !r.arch.is_empty() {
            let _ = write!(meta, "; arch {}", r.arch.join(", "));
        }
        if let Some(v) = r.min_version {
            let _ = write!(meta, "; Linux {}.{}+", v.0, v.1);
        }
        let _ = write!(meta, "; defined in `{}`", clean(&r.file));
        let _ = writeln!(out, "{meta}\n");
        let _ = writeln!(out, "{}\n", clean_lines(&r.rationale));
        let _ = writeln!(out, "*May break:* {}\n", clean_lines(&r.breaks));
        if let Some(d) = &r.decision {
            let _ = writeln!(out, "*Decision:* {}\n", clean_lines(d));
        }
        let _ = writeln!(
            out,
            "*Check:* `{}`\n",
            clean(&check_text(&r.check)).replace('`', "'")
        );
        for sc in r.shortcuts.iter() {
            let _ = writeln!(
                out,
                "*{} when* `{}`: {}\n",
                sc.status.as_str(),
                clean(&check_text(&sc.when)).replace('`', "'"),
                clean(&sc.reason)
            );
        }
        if !r.remedy.is_empty() {
            let fixes: Vec<String> = r
                .remedy
                .iter()
                .map(|m| {
                    format!(
                        "[{}] `{}`",
                        clean(&m.source),
                        clean(&m.text).replace('`', "'")
                    )
                })
                .collect();
            let _ = writeln!(out, "*Fix:* {}\n", fixes.join("; "));
        }
        if !r.references.is_empty() {
            let refs: Vec<Cow<str>> = r.references.iter().map(|x| clean(x)).collect();
            let _ = writeln!(out, "*References:* {}\n", refs.join("; "));
        }
    }
    // One trailing newline, not two.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
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
