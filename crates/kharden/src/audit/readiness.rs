//! Readiness verdicts: for each failing finding, what enforcing its rule would break on the
//! host, from the rule's `[[rule.readiness]]` data and what the probes saw
//! (`probe::readiness`). Pure: the probes ran before.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Finding, Report};
use crate::policy::{Blocks, Profile, Status, Text};
use crate::probe::kinds::BlockerKind;
use crate::probe::readiness::Look;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Looked, found nothing it would break.
    Ready,
    /// Found things it would break.
    Blocked,
    /// Could not look (everywhere it needed to), and found nothing where it could.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Blocker {
    pub kind: BlockerKind,
    /// The thing: module path, process and pid, config file and line, ...
    pub thing: String,
    /// What enforcing does to it, in one line (from the rule).
    pub consequence: Text,
    /// How to keep it working, or to do without it (from the rule).
    pub way_out: Text,
}

/// What enforcing a rule would break here (the `readiness` object of a finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Readiness {
    pub verdict: Verdict,
    /// The blocker kinds looked for.
    pub kinds: Vec<BlockerKind>,
    pub blockers: Vec<Blocker>,
    /// What was looked at.
    pub examined: Vec<String>,
    /// What could not be looked at, each with the reason.
    pub unknown: Vec<String>,
}

/// The reason given for a failing rule whose file names nothing it would break.
pub const NO_PROBE: &str =
    "kharden has no probe for what this rule would break (see `kharden explain ID`, \"breaks\")";

impl Readiness {
    /// The verdict from what the probes saw: blocked if anything was found, unknown if some
    /// place could not be looked at (or nothing was examined), ready otherwise.
    fn new(
        kinds: Vec<BlockerKind>,
        blockers: Vec<Blocker>,
        examined: Vec<String>,
        unknown: Vec<String>,
    ) -> Readiness {
        let verdict = if !blockers.is_empty() {
            Verdict::Blocked
        } else if !unknown.is_empty() || examined.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Ready
        };
        Readiness {
            verdict,
            kinds,
            blockers,
            examined,
            unknown,
        }
    }

    /// One readiness for several rules (an `apply` step asked for by more than one): every
    /// blocker once, the verdict recomputed.
    pub fn merge<'a>(all: impl IntoIterator<Item = &'a Readiness>) -> Option<Readiness> {
        let mut kinds = Vec::new();
        let mut blockers: Vec<Blocker> = Vec::new();
        let mut examined = Vec::new();
        let mut unknown = Vec::new();
        let all: Vec<&Readiness> = all.into_iter().collect();
        // A rule without readiness data adds nothing beside rules that have it.
        let probed = all.iter().any(|r| !r.kinds.is_empty());
        let mut any = false;
        for r in all.into_iter().filter(|r| !probed || !r.kinds.is_empty()) {
            any = true;
            for k in &r.kinds {
                if !kinds.contains(k) {
                    kinds.push(*k);
                }
            }
            for b in &r.blockers {
                if !blockers
                    .iter()
                    .any(|x| x.kind == b.kind && x.thing == b.thing)
                {
                    blockers.push(b.clone());
                }
            }
            for (from, to) in [(&r.examined, &mut examined), (&r.unknown, &mut unknown)] {
                for e in from {
                    if !to.contains(e) {
                        to.push(e.clone());
                    }
                }
            }
        }
        any.then(|| Readiness::new(kinds, blockers, examined, unknown))
    }
}

/// Whether a finding gets a readiness verdict: failing findings (waived or not).
fn wanted(f: &Finding) -> bool {
    f.status == Status::Fail
}

/// The blocker kinds the failing findings' rules name: what the probes must look for.
pub fn kinds_needed(profile: &Profile, report: &Report) -> BTreeSet<BlockerKind> {
    report
        .findings
        .iter()
        .filter(|f| wanted(f))
        .filter_map(|f| profile.rule(&f.id))
        .flat_map(|r| r.readiness.iter().map(|b| b.kind))
        .collect()
}

/// The readiness of one rule's data against what the probes saw.
pub fn judge(blocks: &[Blocks], looks: &BTreeMap<BlockerKind, Look>) -> Readiness {
    if blocks.is_empty() {
        return Readiness::new(vec![], vec![], vec![], vec![NO_PROBE.to_string()]);
    }
    let mut blockers = Vec::new();
    let mut examined = Vec::new();
    let mut unknown = Vec::new();
    for b in blocks {
        let Some(look) = looks.get(&b.kind) else {
            unknown.push(format!("{}: not looked for", b.kind.as_str()));
            continue;
        };
        for f in &look.found {
            blockers.push(Blocker {
                kind: b.kind,
                thing: f.thing.clone(),
                consequence: b.consequence.clone(),
                way_out: b.way_out.clone(),
            });
        }
        for e in &look.examined {
            if !examined.contains(e) {
                examined.push(e.clone());
            }
        }
        for u in &look.unknown {
            if !unknown.contains(u) {
                unknown.push(u.clone());
            }
        }
    }
    Readiness::new(
        blocks.iter().map(|b| b.kind).collect(),
        blockers,
        examined,
        unknown,
    )
}

/// Give every failing finding its readiness verdict.
pub fn attach(profile: &Profile, report: &mut Report, looks: &BTreeMap<BlockerKind, Look>) {
    for f in report.findings.iter_mut().filter(|f| wanted(f)) {
        let blocks: &[Blocks] = profile.rule(&f.id).map_or(&[], |r| &r.readiness);
        f.readiness = Some(judge(blocks, looks));
    }
}
