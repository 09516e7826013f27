//! Policy as data: rule files (TOML) embedded in the binary, parsed, then validated with every
//! problem collected at once, then handed to the evaluator.

pub mod builtin;
pub mod check;
mod def;
mod full_files;
mod profiles;
pub mod remedy;
pub mod user;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub(crate) use def::RuleDef;
pub use def::{parse_version, List, Severity, Status, Text};

pub use check::{Check, Cmp, Leaf, OnAbsent};

use crate::probe::SourceKind;

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remedy {
    pub source: Text,
    pub text: Text,
}

/// A condition that settles a rule before its main check (e.g. "no module support: pass").
#[derive(Debug, Clone)]
pub struct Shortcut {
    pub when: Check,
    pub status: Status,
    pub reason: Text,
}

/// A compiled rule. Built-in rules are `static` data (build.rs): every text and list borrows
/// from the binary, so loading a profile allocates nothing and an audit copies no prose.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: Text,
    pub title: Text,
    pub area: Text,
    pub severity: Severity,
    pub rationale: Text,
    pub breaks: Text,
    /// Where sources of advice disagree, what this rule follows and why.
    pub decision: Option<Text>,
    pub references: List<Text>,
    pub arch: List<Text>,
    pub min_version: Option<(u32, u32, u32)>,
    pub shortcuts: List<Shortcut>,
    pub check: Check,
    pub remedy: List<Remedy>,
    /// The file the rule came from (`policies/modules.toml`).
    pub file: Text,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub rules: List<Rule>,
    /// Waivers from user policies (empty for a built-in profile).
    pub waivers: Vec<user::Waiver>,
    /// The date waivers expire against (`None`: waivers never expire).
    pub today: Option<user::Date>,
}

impl Profile {
    /// Sysctl keys the rules read (so the probe reads exactly those).
    pub fn sysctl_keys(&self) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for rule in self.rules.iter() {
            for sc in rule.shortcuts.iter() {
                sc.when.collect_keys(SourceKind::Sysctl, &mut keys);
            }
            rule.check.collect_keys(SourceKind::Sysctl, &mut keys);
        }
        keys
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Problems found in a policy file, all of them, each with its location.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("; "))]
pub struct PolicyError {
    pub problems: Vec<String>,
}

// ---- file format: see def.rs; built-in files are also compiled into Rust by build.rs ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleDef>>,
}

/// `t` without surrounding whitespace, still borrowed when it was.
fn trimmed(t: Text) -> Text {
    match t {
        Text::Borrowed(b) => Text::Borrowed(b.trim()),
        Text::Owned(o) if o.trim().len() == o.len() => Text::Owned(o),
        Text::Owned(o) => Text::Owned(o.trim().to_string()),
    }
}

/// Line and column (1-based, the column in bytes) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    Lines::new(text).line_col(offset)
}

/// Where each line of a text starts, so that the line and column of any number of offsets cost
/// one pass over the text plus a binary search each. (Scanning from the start of the file for
/// each problem made a 1 MiB policy with 145,000 unknown keys take 80 s.)
#[derive(Debug, Clone)]
pub struct Lines {
    /// Byte offset of the start of each line: 0, then one past each `\n`.
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
            .collect();
        Lines {
            starts,
            len: bytes.len(),
        }
    }

    /// Line and column (1-based, the column in bytes) of a byte offset; an offset past the end
    /// counts as the end.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        // Lines starting at or before the offset; the first starts at 0, so at least one.
        let line = self.starts.partition_point(|&s| s <= offset);
        (line, offset - self.starts[line - 1] + 1)
    }
}

/// A [`Lines`] table built on first use: most files have no problem to place.
pub(crate) struct LazyLines<'a> {
    text: &'a str,
    lines: std::cell::OnceCell<Lines>,
}

impl<'a> LazyLines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LazyLines {
            text,
            lines: std::cell::OnceCell::new(),
        }
    }

    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines
            .get_or_init(|| Lines::new(self.text))
            .line_col(offset)
    }
}

pub const KNOWN_ARCHES: &[&str] = &["x86_64", "x86_32", "arm64", "arm", "riscv"];

/// Parse and validate one rule file. `name` is used in messages.
pub fn parse_rules(name: &str, text: &str) -> Result<Vec<Rule>, PolicyError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        let loc = e
            .span()
            .map(|s| {
                let (l, c) = line_col(text, s.start);
                format!(":{l}:{c}")
            })
            .unwrap_or_default();
        PolicyError {
            problems: vec![format!("{name}{loc}: {}", e.message())],
        }
    })?;
    let defs = file
        .rule
        .into_iter()
        .map(|s| (s.span().start, s.into_inner()));
    let (rules, problems) = compile_rules(name, &LazyLines::new(text), defs);
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(PolicyError { problems })
    }
}

/// Validate rule definitions of one file, collecting every problem. Each definition comes with
/// the byte offset in its file where it starts; `lines` places it, for messages.
fn compile_rules(
    name: &str,
    lines: &LazyLines<'_>,
    defs: impl IntoIterator<Item = (usize, RuleDef)>,
) -> (Vec<Rule>, Vec<String>) {
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    let file: Text = name.to_string().into();
    for (start, def) in defs {
        let mut p = |msg: String| {
            let (l, c) = lines.line_col(start);
            problems.push(format!("{name}:{l}:{c}: rule {:?}: {msg}", def.id))
        };
        if def.id.is_empty()
            || !def
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            p("id must be lowercase letters, digits and '-'".into());
        }
        for (field, v) in [
            ("title", def.title.as_str()),
            ("rationale", &def.rationale),
            ("breaks", &def.breaks),
            ("area", def.area.as_str()),
        ] {
            if v.trim().is_empty() {
                p(format!("{field} is empty"));
            }
        }
        for a in def.arch.iter() {
            if !KNOWN_ARCHES.contains(&a.as_str()) {
                p(format!(
                    "unknown arch {a:?} (known: {})",
                    KNOWN_ARCHES.join(", ")
                ));
            }
        }
        let min_version = match &def.min_version {
            Some(v) => match parse_version(v) {
                Some(v) => Some(v),
                None => {
                    p(format!("min_version {v:?} is not a version"));
                    None
                }
            },
            None => None,
        };
        let mut errs = Vec::new();
        let check = check::compile(&def.check, &mut errs);
        let shortcuts: Vec<Shortcut> = def
            .shortcut
            .iter()
            .map(|s| Shortcut {
                when: check::compile(&s.when, &mut errs),
                status: s.status,
                reason: s.reason.clone().into(),
            })
            .collect();
        for e in errs {
            p(e);
        }
        for r in def.remedy.iter() {
            if let Err(e) = remedy::Change::parse(&r.source, &r.text) {
                p(e);
            }
        }
        // Titles and areas end up in comments of generated files and on terminals: one line.
        for (field, v) in [("title", def.title.as_str()), ("area", def.area.as_str())] {
            if v.chars().any(char::is_control) {
                p(format!(
                    "{field} must be one line without control characters"
                ));
            }
        }
        rules.push(Rule {
            id: def.id.into(),
            title: def.title.into(),
            area: def.area.into(),
            severity: def.severity,
            rationale: trimmed(def.rationale),
            breaks: trimmed(def.breaks),
            decision: def.decision.map(trimmed),
            references: def.references.into(),
            arch: def
                .arch
                .into_iter()
                .map(Text::from)
                .collect::<Vec<_>>()
                .into(),
            min_version,
            shortcuts: shortcuts.into(),
            check,
            remedy: def
                .remedy
                .into_iter()
                .map(|r| Remedy {
                    source: r.source.into(),
                    text: r.text,
                })
                .collect::<Vec<_>>()
                .into(),
            file: file.clone(),
        });
    }
    (rules, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table places every offset where a scan from the start of the text does: empty
    /// lines, a last line without a newline, characters of several bytes, past the end.
    #[test]
    fn line_table_agrees_with_a_scan() {
        let scan = |text: &str, offset: usize| {
            let before = &text.as_bytes()[..offset.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            (line, before.len() - start + 1)
        };
        for text in [
            "",
            "\n",
            "a",
            "ab\n\ncd\n",
            "x = 1\ncaf\u{e9} = 2\n\n[t]\ny",
            "\n\nz",
        ] {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    lines.line_col(offset),
                    scan(text, offset),
                    "{text:?} @{offset}"
                );
            }
        }
    }
}
