//! The one compiler of rules: definitions as read (def.rs) to typed rules (rule.rs, check.rs),
//! with every problem collected. The run time uses it for user policies; build.rs uses it, the
//! very same code, to compile the built-in profiles into static data.
//!
//! Shared with build.rs: this file uses only its neighbours (`super::`).

use super::check::{Bound, Check, Cmp, Leaf, OnAbsent, Operand};
use super::def::{parse_version, CheckDef, List, RuleDef, RuleFile, Text};
use super::diag::{self, Code, Diagnostic, LazyLines};
use super::kinds::{Lockdown, RuntimeFact, SourceKind};
use super::load::{self, Doc, Shape};
use super::remedy::{Change, Part};
use super::rule::{Blocks, Remedy, Rule, Shortcut};
use super::taint;

pub const KNOWN_ARCHES: &[&str] = &["x86_64", "x86_32", "arm64", "arm", "riscv"];

/// Parse and compile one rule file (`name` is used in messages and as the rules' `file`): its
/// rules, or every problem it has, in file order.
pub fn parse_rules(name: &str, text: &str) -> Result<Vec<Rule>, Vec<Diagnostic>> {
    let lines = LazyLines::new(text);
    let mut doc = load::parse(name, text, &lines, Shape::of::<RuleFile>());
    let defs = doc.take_items("rule");
    let rules = rules(&mut doc, defs);
    if doc.problems.is_empty() {
        Ok(rules)
    } else {
        let mut problems = doc.problems;
        diag::sort(&mut problems);
        Err(problems)
    }
}

/// Compile the rule definitions of a document, each with the offset where it starts; every
/// problem goes to the document, at the rule's place.
pub fn rules(doc: &mut Doc<'_>, defs: Vec<(usize, RuleDef)>) -> Vec<Rule> {
    let file: Text = doc.file.to_string().into();
    defs.into_iter()
        .map(|(start, def)| {
            let mut problems = Vec::new();
            let mut placed = Vec::new();
            let rule = rule(def, file.clone(), &mut problems, &mut placed);
            for (code, msg) in problems {
                doc.problem(Some(start), code, format!("rule {:?}: {msg}", rule.id));
            }
            for (at, code, msg) in placed {
                doc.problem(Some(at), code, format!("rule {:?}: {msg}", rule.id));
            }
            rule
        })
        .collect()
}

/// A problem without its place: the caller knows where the rule is.
type Problems = Vec<(Code, String)>;

/// `t` without surrounding whitespace, still borrowed when it was.
fn trimmed(t: Text) -> Text {
    match t {
        Text::Borrowed(b) => Text::Borrowed(b.trim()),
        Text::Owned(o) if o.trim().len() == o.len() => Text::Owned(o),
        Text::Owned(o) => Text::Owned(o.trim().to_string()),
    }
}

fn texts(vs: &[String]) -> List<Text> {
    vs.iter()
        .map(|v| Text::from(v.clone()))
        .collect::<Vec<_>>()
        .into()
}

/// One rule; its problems are pushed to `errs` (placed at the rule), or to `placed` with the
/// offset of the value at fault (the rule is still returned, for messages).
fn rule(
    def: RuleDef,
    file: Text,
    errs: &mut Problems,
    placed: &mut Vec<(usize, Code, String)>,
) -> Rule {
    if def.id.is_empty()
        || !def
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errs.push((
            Code::BadId,
            "id must be lowercase letters, digits and '-'".into(),
        ));
    }
    for (field, v) in [
        ("title", def.title.as_str()),
        ("rationale", &def.rationale),
        ("breaks", &def.breaks),
        ("area", def.area.as_str()),
    ] {
        if v.trim().is_empty() {
            errs.push((Code::EmptyText, format!("{field} is empty")));
        }
    }
    for a in def.arch.iter() {
        if !KNOWN_ARCHES.contains(&a.as_str()) {
            errs.push((
                Code::UnknownArch,
                format!("unknown arch {a:?} (known: {})", KNOWN_ARCHES.join(", ")),
            ));
        }
    }
    let min_version = def.min_version.as_ref().and_then(|v| {
        let parsed = parse_version(v);
        if parsed.is_none() {
            errs.push((
                Code::BadVersion,
                format!("min_version {v:?} is not a version"),
            ));
        }
        parsed
    });
    let main = check(&def.check, errs);
    let shortcuts: Vec<Shortcut> = def
        .shortcut
        .iter()
        .map(|s| Shortcut {
            when: check(&s.when, errs),
            status: s.status,
            reason: s.reason.clone().into(),
        })
        .collect();
    let mut remedies = Vec::new();
    for r in def.remedy {
        let at = r.text.span().start;
        let (r_source, r_text) = (r.source, r.text.into_inner());
        // Change::parse refuses a source that is not a SourceKind.
        let parsed = Change::parse(&r_source, &r_text).and_then(|change| {
            let source = r_source.parse::<SourceKind>().map_err(|e| e.to_string())?;
            Ok((
                source,
                change.map(|c| c.map(|part| Part::of(&r_text, part))),
            ))
        });
        match parsed {
            Ok((source, change)) => remedies.push(Remedy {
                source,
                text: r_text,
                change,
            }),
            Err(e) => placed.push((at, Code::BadRemedy, e)),
        }
    }
    let mut readiness: Vec<Blocks> = Vec::new();
    for r in def.readiness {
        if readiness.iter().any(|b| b.kind == r.blocker) {
            errs.push((
                Code::InvalidValue,
                format!("readiness names blocker {:?} twice", r.blocker.as_str()),
            ));
        }
        for (field, v) in [("consequence", &r.consequence), ("way_out", &r.way_out)] {
            if v.trim().is_empty() {
                errs.push((Code::EmptyText, format!("readiness {field} is empty")));
            } else if v.trim().chars().any(char::is_control) {
                errs.push((
                    Code::ControlCharacters,
                    format!("readiness {field} must be one line without control characters"),
                ));
            }
        }
        readiness.push(Blocks {
            kind: r.blocker,
            consequence: trimmed(r.consequence),
            way_out: trimmed(r.way_out),
        });
    }
    // Titles and areas end up in comments of generated files and on terminals: one line.
    for (field, v) in [("title", def.title.as_str()), ("area", def.area.as_str())] {
        if v.chars().any(char::is_control) {
            errs.push((
                Code::ControlCharacters,
                format!("{field} must be one line without control characters"),
            ));
        }
    }
    Rule {
        id: def.id.into(),
        title: def.title.into(),
        area: def.area.into(),
        severity: def.severity,
        rationale: trimmed(def.rationale),
        breaks: trimmed(def.breaks),
        decision: def.decision.map(trimmed),
        references: def.references.into(),
        arch: texts(&def.arch),
        min_version,
        shortcuts: shortcuts.into(),
        check: main,
        remedy: remedies.into(),
        readiness: readiness.into(),
        file,
    }
}

/// `sysctl "kernel.kptr_restrict"`: where a problem in a leaf is.
struct Located<'a>(SourceKind, &'a str);

impl std::fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.0.as_str(), self.1)
    }
}

/// A check definition to a typed check; problems are pushed to `errs` and a placeholder
/// returned.
pub fn check(def: &CheckDef, errs: &mut Problems) -> Check {
    let combinators = def.any.is_some() as u8 + def.all.is_some() as u8;
    let sources: Vec<(SourceKind, &String)> = [
        (SourceKind::Kconfig, &def.kconfig),
        (SourceKind::Cmdline, &def.cmdline),
        (SourceKind::Sysctl, &def.sysctl),
        (SourceKind::Runtime, &def.runtime),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    if combinators + sources.len() as u8 != 1 {
        errs.push((
            Code::BadCheck,
            "a check needs exactly one of any, all, kconfig, cmdline, sysctl, runtime".into(),
        ));
        return Check::All(List::Borrowed(&[]));
    }
    if let Some(list) = def.any.as_ref().or(def.all.as_ref()) {
        if list.is_empty() {
            errs.push((Code::BadCheck, "an any/all list is empty".into()));
        }
        let compiled: List<Check> = list
            .iter()
            .map(|c| check(c, errs))
            .collect::<Vec<_>>()
            .into();
        return if def.any.is_some() {
            Check::Any(compiled)
        } else {
            Check::All(compiled)
        };
    }
    let (source, key) = sources[0];
    // Formatted only into a problem: a rule file of hundreds of leaves has none.
    let at = Located(source, key);
    let given = [
        def.is.is_some(),
        def.one_of.is_some(),
        def.none_of.is_some(),
        def.at_least.is_some(),
        def.at_most.is_some(),
        def.contains.is_some(),
        def.taint_clear.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        errs.push((
            Code::BadCheck,
            format!("{at}: needs exactly one of is, one_of, none_of, at_least, at_most, contains, taint_clear"),
        ));
        return Check::All(List::Borrowed(&[]));
    }
    let mut runtime = None;
    match source {
        SourceKind::Kconfig => {
            if key.starts_with("CONFIG_") || key.is_empty() {
                errs.push((
                    Code::BadFact,
                    format!("{at}: write the option without the CONFIG_ prefix"),
                ));
            }
        }
        SourceKind::Runtime => match key.parse::<RuntimeFact>() {
            Ok(fact) => runtime = Some(fact),
            Err(_) => {
                use strum::VariantNames;
                errs.push((
                    Code::BadFact,
                    format!(
                        "{at}: unknown runtime fact (known: {})",
                        RuntimeFact::VARIANTS.join(", ")
                    ),
                ));
            }
        },
        SourceKind::Sysctl => {
            if key.contains('/') || !key.contains('.') {
                errs.push((
                    Code::BadFact,
                    format!("{at}: sysctl keys are dotted (kernel.kptr_restrict)"),
                ));
            }
        }
        SourceKind::Cmdline => {}
    }
    let mut bad = |msg: String| errs.push((Code::BadComparison, format!("{at}: {msg}")));
    let cmp = if let Some(v) = &def.is {
        is(source, runtime, v, &mut bad)
    } else if let Some(vs) = &def.one_of {
        vs.iter().for_each(|w| word(runtime, w, &mut bad));
        Cmp::OneOf(texts(vs))
    } else if let Some(vs) = &def.none_of {
        if vs.is_empty() {
            bad("none_of is empty".into());
        }
        vs.iter().for_each(|w| word(runtime, w, &mut bad));
        Cmp::NoneOf(texts(vs))
    } else if let Some(v) = &def.at_least {
        Cmp::AtLeast(bound(v, &mut bad))
    } else if let Some(v) = &def.at_most {
        Cmp::AtMost(bound(v, &mut bad))
    } else if let Some(v) = &def.contains {
        Cmp::Contains(v.clone().into())
    } else {
        let letters: Vec<char> = def
            .taint_clear
            .iter()
            .flatten()
            .filter_map(|l| l.chars().next())
            .collect();
        if key != "kernel.tainted" {
            bad("taint_clear applies to sysctl kernel.tainted".into());
        } else {
            for l in &letters {
                if taint::bit_of(*l).is_none() {
                    bad(format!("unknown taint letter {l:?}"));
                }
            }
        }
        Cmp::TaintClear(letters.into())
    };
    let mut version = |v: &Option<String>| {
        v.as_ref().and_then(|s| {
            let parsed = parse_version(s);
            if parsed.is_none() {
                errs.push((Code::BadVersion, format!("{at}: {s:?} is not a version")));
            }
            parsed
        })
    };
    let min_version = version(&def.min_version);
    let max_version = version(&def.max_version);
    Check::Leaf(Leaf {
        source,
        key: key.clone().into(),
        runtime,
        expected: cmp.formatted(),
        cmp,
        on_absent: def.absent.unwrap_or(OnAbsent::Compare),
        arch: def.arch.as_deref().map(texts).unwrap_or_default(),
        min_version,
        max_version,
        note: def.note.clone().map(Text::from),
    })
}

/// `CONFIG_NAME` as a bound: the option's name, or a problem when it names none.
fn config_name(v: &str, bad: &mut dyn FnMut(String)) -> Option<Text> {
    let name = v.strip_prefix("CONFIG_")?;
    if name.is_empty() || name.starts_with("CONFIG_") {
        bad(format!("{v:?} names no config option"));
    }
    Some(name.to_string().into())
}

/// A word a runtime fact never takes can never match: refused when the policy is loaded rather
/// than failing quietly at every audit.
fn word(runtime: Option<RuntimeFact>, w: &str, bad: &mut dyn FnMut(String)) {
    if let Some(values) = runtime.and_then(RuntimeFact::values) {
        if !values.contains(&w) {
            bad(format!("{w:?} is not one of {}", values.join(", ")));
        }
    }
}

/// `is = "..."`: the words that mean something for the source, else a value.
fn is(
    source: SourceKind,
    runtime: Option<RuntimeFact>,
    v: &str,
    bad: &mut dyn FnMut(String),
) -> Cmp {
    match (source, v) {
        (SourceKind::Kconfig, "off") => return Cmp::NotSet,
        (SourceKind::Kconfig, "on") => return Cmp::Enabled,
        (SourceKind::Kconfig | SourceKind::Cmdline, "present") => return Cmp::Present,
        (SourceKind::Cmdline, "absent") => return Cmp::Absent,
        (SourceKind::Cmdline, "true") => return Cmp::Bool(true),
        (SourceKind::Cmdline, "false") => return Cmp::Bool(false),
        (SourceKind::Kconfig, "absent") => {
            bad("a config option is never \"absent\": write \"off\" for not set".into())
        }
        (SourceKind::Sysctl | SourceKind::Runtime, "present" | "absent") => bad(format!(
            "{v:?} is a word of kconfig and cmdline checks; a missing {} is judged by absent = \
             \"pass\" / \"fail\"",
            source.as_str()
        )),
        _ => {}
    }
    if let Some(name) = config_name(v, bad) {
        return Cmp::Is(Operand::Config(name));
    }
    word(runtime, v, bad);
    Cmp::Is(Operand::Value(v.to_string().into()))
}

/// `at_least` / `at_most`: a number (written as an integer or a string), a lockdown level or
/// `CONFIG_NAME`.
fn bound(v: &toml::Value, bad: &mut dyn FnMut(String)) -> Bound {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        _ => String::new(),
    };
    if let Ok(n) = text.parse::<i64>() {
        return Bound::Number(n);
    }
    if let Ok(level) = text.parse::<Lockdown>() {
        return Bound::Lockdown(level);
    }
    if let Some(name) = config_name(&text, bad) {
        return Bound::Config(name);
    }
    bad("at_least/at_most needs a number, a lockdown level or CONFIG_NAME".into());
    Bound::Number(0)
}
