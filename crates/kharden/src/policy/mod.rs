//! Policy as data: rule files (TOML) embedded in the binary, parsed, then validated with every
//! problem collected at once, then handed to the evaluator.

pub mod builtin;
pub mod check;
pub mod compile;
mod def;
pub mod diag;
mod full_files;
pub mod load;
mod profiles;
pub mod remedy;
mod rule;
pub mod user;

use std::collections::BTreeSet;

// The modules build.rs shares name their neighbours through `super::`; these two live in probe.
use crate::probe::{kinds, taint};

pub(crate) use def::RuleDef;
pub use def::{parse_version, List, Severity, Status, Text};

pub use check::{Bound, Check, Cmp, Leaf, OnAbsent, Operand};
pub use compile::KNOWN_ARCHES;
pub use diag::{Code, Diagnostic, Lines};
pub use rule::{Blocks, Remedy, Rule, Shortcut};

use crate::probe::SourceKind;

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub rules: List<Rule>,
    /// Waivers from user policies (empty for a built-in profile).
    pub waivers: Vec<user::Waiver>,
    /// The date waivers expire against (`None`: waivers never expire).
    pub today: Option<user::Date>,
    /// Rules user policies dropped from the profile, with where (`file:line:column`).
    pub dropped: Vec<user::Dropped>,
    /// The user policy files applied, in order: the name shown and the SHA-256 of the bytes
    /// read (lowercase hex). Reports list them with their sources.
    pub policy_files: Vec<(String, String)>,
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

    /// The waiver of rule `id` that holds as of [`Profile::today`] (an expired waiver does not:
    /// the audit fails it), if any. `fix` and `apply` leave such a rule alone.
    pub fn waiver_in_force(&self, id: &str) -> Option<&user::Waiver> {
        self.waivers.iter().find(|w| {
            w.rule == id
                && match (w.expires, self.today) {
                    (Some(exp), Some(today)) => exp >= today,
                    _ => true,
                }
        })
    }
}

/// Problems found in policy files, all of them, each with its place and code.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct PolicyError {
    pub problems: Vec<Diagnostic>,
}

/// Line and column (1-based, the column in bytes) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    Lines::new(text).line_col(offset)
}

/// Parse and validate one rule file. `name` is used in messages.
pub fn parse_rules(name: &str, text: &str) -> Result<Vec<Rule>, PolicyError> {
    compile::parse_rules(name, text).map_err(|problems| PolicyError { problems })
}
