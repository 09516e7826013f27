//! A compiled rule: what `compile.rs` makes of a rule definition, and what evaluation, reports
//! and remedies read. Built-in rules are `static` data (build.rs): every text and list borrows
//! from the binary, so loading a profile allocates nothing and an audit copies no prose.
//!
//! Shared with build.rs: this file uses only serde and its neighbours (`super::`).

use serde::Serialize;

use super::check::Check;
use super::def::{List, Severity, Status, Text};
use super::kinds::{BlockerKind, SourceKind};
use super::remedy::{Change, Part};

/// How to fix a rule in one place: the text as written (shown to people) and, for the sources
/// `fix` and `apply` act on, the change it was parsed into when the policy was loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remedy {
    pub source: SourceKind,
    pub text: Text,
    /// The change, as parts of `text`; `None` for a runtime remedy: an instruction for a
    /// person.
    #[serde(skip)]
    pub change: Option<Change<Part>>,
}

impl Remedy {
    /// The change this remedy makes, its texts borrowed from the remedy's.
    pub fn change(&self) -> Option<Change<&str>> {
        self.change
            .as_ref()
            .map(|c| c.map(|part| part.in_text(&self.text)))
    }
}

/// One kind of thing on a host that enforcing the rule would break, what happens to it, and
/// the way out: read by `audit --readiness` (docs/readiness.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocks {
    pub kind: BlockerKind,
    pub consequence: Text,
    pub way_out: Text,
}

/// A condition that settles a rule before its main check (e.g. "no module support: pass").
#[derive(Debug, Clone)]
pub struct Shortcut {
    pub when: Check,
    pub status: Status,
    pub reason: Text,
}

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
    /// What enforcing it breaks on a host, per kind of blocker (empty: kharden has no probe).
    pub readiness: List<Blocks>,
    /// The file the rule came from (`policies/modules.toml`).
    pub file: Text,
}
