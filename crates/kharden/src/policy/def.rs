//! The rule file format as serde reads it: plain data, validated later by `compile_rules`.
//!
//! This file depends on nothing but serde and toml because the build script includes it too
//! (`build.rs`): it parses the built-in rule files at build time with these very definitions
//! and emits the built-in profiles as static compiled rules, so that a run neither parses
//! ~300 KB of TOML nor builds 394 rules on the heap.

use serde::{Deserialize, Serialize};

/// Prose of a rule: borrowed from the binary for built-in rules (build.rs emits
/// `Cow::Borrowed`, so an audit copies none of the ~300 KB), owned when read from a file.
pub type Text = std::borrow::Cow<'static, str>;

/// A list in a compiled rule: borrowed from the binary's static data for built-in rules (build.rs
/// emits the compiled profiles as `static` values), owned for rules read from a file.
pub type List<T> = std::borrow::Cow<'static, [T]>;

/// Parse the leading `X.Y[.Z]` of a release string such as `6.1.0-18-cloud-amd64`. (Here
/// because build.rs compiles `min_version` too.)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Unknown,
    NotApplicable,
}

/// How a leaf judges a fact that does not exist (a config line, sysctl or file that is missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnAbsent {
    /// Compare as usual (a missing config option counts as "not set").
    Compare,
    Pass,
    Fail,
    Unknown,
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortcutDef {
    pub when: CheckDef,
    pub status: Status,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemedyDef {
    pub source: String,
    pub text: Text,
}

/// A check as written in a rule file: either a combinator or a leaf (validated by
/// `check::compile`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDef {
    pub any: Option<Vec<CheckDef>>,
    pub all: Option<Vec<CheckDef>>,
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
}
