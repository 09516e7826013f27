//! The rule file format as serde reads it: plain data, given meaning by `compile`.
//!
//! These structs are the one definition of the format's keys: the loader (`load.rs`) asks serde
//! for each struct's fields to find unknown keys, and `compile.rs` turns the definitions into
//! typed rules. Shared with build.rs, which compiles the built-in profiles into static data with
//! the same loader and compiler; so this file uses only serde, strum and its neighbours
//! (`super::`).

use serde::{Deserialize, Deserializer};

use super::load::{Inner, Nest, Shape};

/// Prose of a rule: borrowed from the binary for built-in rules (build.rs emits
/// `Cow::Borrowed`, so an audit copies none of the ~300 KB), owned when read from a file.
pub type Text = std::borrow::Cow<'static, str>;

/// A list in a compiled rule: borrowed from the binary's static data for built-in rules (build.rs
/// emits the compiled profiles as `static` values), owned for rules read from a file.
pub type List<T> = std::borrow::Cow<'static, [T]>;

/// Parse the leading `X.Y[.Z]` of a release string such as `6.1.0-18-cloud-amd64`.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut nums = s
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse::<u32>().ok());
    let major = nums.next()??;
    let minor = nums.next()??;
    let patch = nums.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// Reading a word enum ([`super::kinds::word_enum`]) from a file, with serde's own message for a
/// word it does not know. (Written once here instead of a hand-written match per enum.)
macro_rules! words {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = String::deserialize(d)?;
                word.parse().map_err(|_| {
                    serde::de::Error::unknown_variant(
                        &word,
                        <$t as strum::VariantNames>::VARIANTS,
                    )
                })
            }
        }
    )*};
}

super::kinds::word_enum! {
    #[strum(serialize_all = "lowercase")]
    pub enum Severity {
        Low,
        Medium,
        High,
        Critical,
    }
}

super::kinds::word_enum! {
    #[strum(serialize_all = "snake_case")]
    pub enum Status {
        Pass,
        Fail,
        Unknown,
        NotApplicable,
    }
}

super::kinds::word_enum! {
    /// How a leaf judges a fact that does not exist (a config line, sysctl or file that is
    /// missing).
    #[strum(serialize_all = "lowercase")]
    pub enum OnAbsent {
        /// Compare as usual (a missing config option counts as "not set").
        Compare,
        Pass,
        Fail,
        Unknown,
    }
}

words!(Severity, Status, OnAbsent, super::kinds::BlockerKind);

/// A rule file (`policies/*.toml`): the list of its keys for the loader, which reads each rule
/// on its own (`load::Doc::take_items`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RuleFile {
    #[serde(default)]
    pub rule: Vec<RuleDef>,
}

impl Nest for RuleFile {
    fn inner(key: &str) -> Option<Inner> {
        (key == "rule").then(|| Inner::Tables(Shape::of::<RuleDef>()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    pub title: String,
    pub area: String,
    pub severity: Severity,
    pub rationale: Text,
    pub breaks: Text,
    #[serde(default)]
    pub decision: Option<Text>,
    #[serde(default)]
    pub references: Vec<Text>,
    #[serde(default)]
    pub arch: Vec<String>,
    #[serde(default)]
    pub min_version: Option<String>,
    #[serde(default)]
    pub shortcut: Vec<ShortcutDef>,
    pub check: CheckDef,
    #[serde(default)]
    pub remedy: Vec<RemedyDef>,
    #[serde(default)]
    pub readiness: Vec<ReadinessDef>,
}

impl Nest for RuleDef {
    fn inner(key: &str) -> Option<Inner> {
        match key {
            "readiness" => Some(Inner::Tables(Shape::of::<ReadinessDef>())),
            "shortcut" => Some(Inner::Tables(Shape::of::<ShortcutDef>())),
            "check" => Some(Inner::Table(Shape::of::<CheckDef>())),
            "remedy" => Some(Inner::Tables(Shape::of::<RemedyDef>())),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortcutDef {
    pub when: CheckDef,
    pub status: Status,
    pub reason: String,
}

impl Nest for ShortcutDef {
    fn inner(key: &str) -> Option<Inner> {
        (key == "when").then(|| Inner::Table(Shape::of::<CheckDef>()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemedyDef {
    pub source: String,
    /// With its place, so that a malformed remedy is reported where it is written.
    pub text: toml::Spanned<Text>,
}

impl Nest for RemedyDef {}

/// What turning the rule on breaks on a host, for one kind of blocker: the one-line
/// consequence and the way out (`audit --readiness`, docs/readiness.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadinessDef {
    pub blocker: super::kinds::BlockerKind,
    pub consequence: Text,
    pub way_out: Text,
}

impl Nest for ReadinessDef {}

/// A check as written in a rule file: a leaf (one source, one comparison, conditions) or a
/// combinator (`any`/`all`). Every key a check may have is a field here, and only here: the
/// loader learns them from serde, `compile::check` gives them meaning (docs/policy-format.md,
/// "Adding a check").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDef {
    pub kconfig: Option<String>,
    pub cmdline: Option<String>,
    pub sysctl: Option<String>,
    pub runtime: Option<String>,
    pub is: Option<String>,
    pub one_of: Option<Vec<String>>,
    pub none_of: Option<Vec<String>>,
    pub at_least: Option<toml::Value>,
    pub at_most: Option<toml::Value>,
    pub contains: Option<String>,
    pub taint_clear: Option<Vec<String>>,
    pub absent: Option<OnAbsent>,
    pub arch: Option<Vec<String>>,
    pub min_version: Option<String>,
    pub max_version: Option<String>,
    pub note: Option<String>,
    pub any: Option<Vec<CheckDef>>,
    pub all: Option<Vec<CheckDef>>,
}

impl Nest for CheckDef {
    fn inner(key: &str) -> Option<Inner> {
        matches!(key, "any" | "all").then(|| Inner::Tables(Shape::of::<CheckDef>()))
    }
}
