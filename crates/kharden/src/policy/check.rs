//! Checks: leaves that compare one fact with an expectation, combined with `any` / `all`. Every
//! word of a rule file is given its meaning when the file is loaded (`compile.rs`): evaluation
//! matches on these types, never on the words.
//!
//! Shared with build.rs: this file uses only its neighbours (`super::`).

use std::collections::BTreeSet;

pub use super::def::OnAbsent;
use super::def::{List, Text};
use super::kinds::{Lockdown, RuntimeFact, SourceKind};

#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Any(List<Check>),
    All(List<Check>),
    Leaf(Leaf),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub source: SourceKind,
    /// The option (without `CONFIG_`), parameter, dotted sysctl or runtime fact, as written.
    pub key: Text,
    /// The fact a runtime leaf reads (`None` for the other sources).
    pub runtime: Option<RuntimeFact>,
    pub cmp: Cmp,
    /// `cmp.expected()` worded once when the rule is compiled (static text for a built-in rule),
    /// for the comparisons whose words are formatted (bounds, lists); `None` where they cost
    /// nothing to word (and a pointer in the static profiles costs a relocation at every start).
    pub expected: Option<Text>,
    pub on_absent: OnAbsent,
    pub arch: List<Text>,
    pub min_version: Option<(u32, u32, u32)>,
    pub max_version: Option<(u32, u32, u32)>,
    pub note: Option<Text>,
}

/// What a leaf asks of its fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmp {
    /// kconfig `is = "off"`: not set (`n`, or no line).
    NotSet,
    /// kconfig `is = "on"`: `y` or `m`.
    Enabled,
    /// kconfig `is = "present"`: the config has a line for the option, set or not; cmdline
    /// `is = "present"`: the parameter is given.
    Present,
    /// cmdline `is = "absent"`: the parameter is not given.
    Absent,
    /// cmdline `is = "true"` / `"false"`: the value in the kernel's boolean spellings.
    Bool(bool),
    /// Equal to a value (numbers compare numerically, except in a config, where the value is
    /// compared as written), or to the value of an option of the config being judged.
    Is(Operand),
    OneOf(List<Text>),
    /// Present, and neither the value nor any item of a comma-separated value is one of these
    /// (`mitigations=auto,nosmt` is not `off`; `spectre_v2=off` is).
    NoneOf(List<Text>),
    AtLeast(Bound),
    AtMost(Bound),
    /// Membership in a comma-separated list.
    Contains(Text),
    /// Taint letters that must be clear in kernel.tainted.
    TaintClear(List<char>),
}

/// The right-hand side of `is`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Value(Text),
    /// `CONFIG_NAME`: the value of that option (the name is kept without the prefix).
    Config(Text),
}

/// A bound of `at_least` / `at_most`.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Number(i64),
    Lockdown(Lockdown),
    /// `CONFIG_NAME`: the value of that option (the name is kept without the prefix).
    Config(Text),
}

impl std::fmt::Display for Operand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operand::Value(v) => f.write_str(v),
            Operand::Config(name) => write!(f, "CONFIG_{name}"),
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Number(n) => write!(f, "{n}"),
            Bound::Lockdown(l) => f.write_str(l.as_str()),
            Bound::Config(name) => write!(f, "CONFIG_{name}"),
        }
    }
}

impl Cmp {
    /// What the rule expects, for the report.
    pub fn expected(&self) -> Text {
        match self {
            Cmp::NotSet => "not set".into(),
            Cmp::Enabled => "y or m".into(),
            Cmp::Present => "present".into(),
            Cmp::Absent => "absent".into(),
            Cmp::Bool(true) => "true".into(),
            Cmp::Bool(false) => "false".into(),
            Cmp::Is(Operand::Value(v)) => v.clone(),
            Cmp::Is(op) => op.to_string().into(),
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

    /// [`Cmp::expected`] when it is formatted text, `None` when it is a borrowed word.
    pub fn formatted(&self) -> Option<Text> {
        match self {
            Cmp::OneOf(_)
            | Cmp::NoneOf(_)
            | Cmp::AtLeast(_)
            | Cmp::AtMost(_)
            | Cmp::Contains(_)
            | Cmp::TaintClear(_)
            | Cmp::Is(Operand::Config(_)) => Some(self.expected()),
            Cmp::NotSet
            | Cmp::Enabled
            | Cmp::Present
            | Cmp::Absent
            | Cmp::Bool(_)
            | Cmp::Is(Operand::Value(_)) => None,
        }
    }

    /// The config option whose value this comparison takes as its bound, if any.
    pub fn config_ref(&self) -> Option<&str> {
        match self {
            Cmp::Is(Operand::Config(name))
            | Cmp::AtLeast(Bound::Config(name))
            | Cmp::AtMost(Bound::Config(name)) => Some(name),
            _ => None,
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
