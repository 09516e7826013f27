//! Checks: leaves that compare one fact with an expectation, combined with `any` / `all`.

use std::collections::BTreeSet;

pub use super::def::OnAbsent;
use super::def::{CheckDef, List, Text};
use crate::probe::runtime::{lockdown_rank, RUNTIME_FACTS};
use crate::probe::SourceKind;

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Any(List<Check>),
    All(List<Check>),
    Leaf(Leaf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub source: SourceKind,
    pub key: Text,
    pub cmp: Cmp,
    pub on_absent: OnAbsent,
    pub arch: List<Text>,
    pub min_version: Option<(u32, u32, u32)>,
    pub max_version: Option<(u32, u32, u32)>,
    pub note: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmp {
    /// kconfig: `y`, `m`, `n`/`off` (not set or missing), `on` (y or m), or a literal value.
    /// cmdline: `present`, `absent`, `true`, `false` (kernel boolean spellings) or a literal.
    Is(Text),
    OneOf(List<Text>),
    /// Present, and neither the value nor any item of a comma-separated value is one of these
    /// (`mitigations=auto,nosmt` is not `off`; `spectre_v2=off` is).
    NoneOf(List<Text>),
    /// Numeric, or by lockdown level. A bound written `CONFIG_X` is the value of that option in
    /// the same config (`vm.mmap_rnd_bits >= CONFIG_ARCH_MMAP_RND_BITS_MAX`).
    AtLeast(Text),
    AtMost(Text),
    /// Membership in a comma-separated list.
    Contains(Text),
    /// Taint letters that must be clear in kernel.tainted.
    TaintClear(List<char>),
}

impl Cmp {
    /// What the rule expects of a fact from `source` (`off` means "not set" only in a config).
    pub fn expected_for(&self, source: SourceKind) -> Text {
        match self {
            Cmp::Is(v) if source != SourceKind::Kconfig => v.clone(),
            other => other.expected(),
        }
    }

    /// What the rule expects, for the report.
    pub fn expected(&self) -> Text {
        match self {
            Cmp::Is(v) => match &**v {
                "off" => "not set".into(),
                "on" => "y or m".into(),
                _ => v.clone(),
            },
            Cmp::OneOf(vs) => format!("one of {}", vs.join(", ")).into(),
            Cmp::NoneOf(vs) => format!("set, and not {}", vs.join(" or ")).into(),
            Cmp::AtLeast(v) => format!(">= {v}").into(),
            Cmp::AtMost(v) => format!("<= {v}").into(),
            Cmp::Contains(v) => format!("contains {v}").into(),
            Cmp::TaintClear(letters) => format!(
                "taint {} clear",
                letters
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .into(),
        }
    }
}

impl Check {
    pub fn collect_keys(&self, source: SourceKind, out: &mut BTreeSet<String>) {
        match self {
            Check::Any(cs) | Check::All(cs) => cs.iter().for_each(|c| c.collect_keys(source, out)),
            Check::Leaf(l) if l.source == source => {
                out.insert(l.key.to_string());
            }
            Check::Leaf(_) => {}
        }
    }

    pub fn leaves(&self) -> Vec<&Leaf> {
        match self {
            Check::Any(cs) | Check::All(cs) => cs.iter().flat_map(|c| c.leaves()).collect(),
            Check::Leaf(l) => vec![l],
        }
    }
}

/// The option a bound refers to: `CONFIG_ARCH_MMAP_RND_BITS_MAX` → `ARCH_MMAP_RND_BITS_MAX`.
pub fn config_ref(bound: &str) -> Option<&str> {
    bound.strip_prefix("CONFIG_")
}

fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// `sysctl "kernel.kptr_restrict"`: where a problem in a leaf is.
struct Located<'a>(SourceKind, &'a str);

impl std::fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.0.as_str(), self.1)
    }
}

/// Validate a check definition; problems are pushed to `errs` and a placeholder returned.
pub(crate) fn compile(def: &CheckDef, errs: &mut Vec<String>) -> Check {
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
        errs.push(
            "a check needs exactly one of any, all, kconfig, cmdline, sysctl, runtime".into(),
        );
        return Check::All(List::Borrowed(&[]));
    }
    if let Some(list) = def.any.as_ref().or(def.all.as_ref()) {
        if list.is_empty() {
            errs.push("an any/all list is empty".into());
        }
        let compiled: List<Check> = list
            .iter()
            .map(|c| compile(c, errs))
            .collect::<Vec<_>>()
            .into();
        return if def.any.is_some() {
            Check::Any(compiled)
        } else {
            Check::All(compiled)
        };
    }
    let (source, key) = sources[0];
    let texts = |vs: &Vec<String>| -> List<Text> {
        vs.iter()
            .map(|v| Text::from(v.clone()))
            .collect::<Vec<_>>()
            .into()
    };
    let cmps: Vec<Cmp> = [
        def.is.clone().map(|v| Cmp::Is(v.into())),
        def.one_of.as_ref().map(|vs| Cmp::OneOf(texts(vs))),
        def.none_of.as_ref().map(|vs| Cmp::NoneOf(texts(vs))),
        def.at_least
            .as_ref()
            .map(|v| Cmp::AtLeast(scalar(v).unwrap_or_default().into())),
        def.at_most
            .as_ref()
            .map(|v| Cmp::AtMost(scalar(v).unwrap_or_default().into())),
        def.contains.clone().map(|v| Cmp::Contains(v.into())),
        def.taint_clear.as_ref().map(|ls| {
            Cmp::TaintClear(
                ls.iter()
                    .filter_map(|l| l.chars().next())
                    .collect::<Vec<_>>()
                    .into(),
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Formatted only into a problem: a rule file of hundreds of leaves has none.
    let at = Located(source, key);
    if cmps.len() != 1 {
        errs.push(format!(
            "{at}: needs exactly one of is, one_of, none_of, at_least, at_most, contains, taint_clear"
        ));
        return Check::All(List::Borrowed(&[]));
    }
    let cmp = cmps.into_iter().next().expect("one comparison");
    match source {
        SourceKind::Kconfig => {
            if key.starts_with("CONFIG_") || key.is_empty() {
                errs.push(format!("{at}: write the option without the CONFIG_ prefix"));
            }
        }
        SourceKind::Runtime => {
            if !RUNTIME_FACTS.iter().any(|(n, _)| n == key) {
                let known: Vec<&str> = RUNTIME_FACTS.iter().map(|(n, _)| *n).collect();
                errs.push(format!(
                    "{at}: unknown runtime fact (known: {})",
                    known.join(", ")
                ));
            }
        }
        SourceKind::Sysctl => {
            if key.contains('/') || !key.contains('.') {
                errs.push(format!(
                    "{at}: sysctl keys are dotted (kernel.kptr_restrict)"
                ));
            }
        }
        SourceKind::Cmdline => {}
    }
    match &cmp {
        Cmp::AtLeast(v) | Cmp::AtMost(v)
            if v.parse::<i64>().is_err()
                && lockdown_rank(v).is_none()
                && config_ref(v).is_none() =>
        {
            errs.push(format!(
                "{at}: at_least/at_most needs a number, a lockdown level or CONFIG_NAME"
            ));
        }
        Cmp::NoneOf(vs) if vs.is_empty() => {
            errs.push(format!("{at}: none_of is empty"));
        }
        Cmp::Is(v) if source == SourceKind::Kconfig && v == "present" => {}
        Cmp::Is(v) | Cmp::AtLeast(v) | Cmp::AtMost(v)
            if config_ref(v).is_some_and(|n| n.is_empty() || n.starts_with("CONFIG_")) =>
        {
            errs.push(format!("{at}: {v:?} names no config option"));
        }
        Cmp::TaintClear(_) if key != "kernel.tainted" => {
            errs.push(format!(
                "{at}: taint_clear applies to sysctl kernel.tainted"
            ));
        }
        Cmp::TaintClear(ls) => {
            for l in ls.iter() {
                if crate::probe::taint::bit_of(*l).is_none() {
                    errs.push(format!("{at}: unknown taint letter {l:?}"));
                }
            }
        }
        _ => {}
    }
    let version = |v: &Option<String>, errs: &mut Vec<String>| {
        v.as_ref().and_then(|s| {
            let parsed = super::parse_version(s);
            if parsed.is_none() {
                errs.push(format!("{at}: {s:?} is not a version"));
            }
            parsed
        })
    };
    let min_version = version(&def.min_version, errs);
    let max_version = version(&def.max_version, errs);
    Check::Leaf(Leaf {
        source,
        key: key.clone().into(),
        cmp,
        on_absent: def.absent.unwrap_or(OnAbsent::Compare),
        arch: def.arch.as_ref().map(texts).unwrap_or_default(),
        min_version,
        max_version,
        note: def.note.clone().map(Text::from),
    })
}
