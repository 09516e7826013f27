//! `kharden diff A B`: which rules flip between two kernels (configs or snapshot roots), and
//! which security-relevant settings differ, grouped by area. Rendered by `report::diff`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::audit::Report;
use crate::policy::{Profile, Status};
use crate::probe::{Facts, SourceKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Flip {
    pub id: String,
    pub title: String,
    pub a: Status,
    pub b: Status,
}

/// Written with the key spelled `CONFIG_X` for kconfig (kharden.diff/2).
#[derive(Debug, Clone, PartialEq, Eq, schemars::JsonSchema)]
pub struct OptionDiff {
    pub source: SourceKind,
    /// The bare option name for kconfig, as rules name it.
    #[schemars(description = "`CONFIG_X` for kconfig, else as the audit's `evidence.key`.")]
    pub key: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Area {
    pub flips: Vec<Flip>,
    pub options: Vec<OptionDiff>,
}

crate::probe::keyed_by_source!(OptionDiff, "OptionDiff", [a, b]);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Diff {
    pub schema: &'static str,
    pub generator: crate::generator::Generator,
    pub a: String,
    pub b: String,
    pub profile: String,
    pub areas: BTreeMap<String, Area>,
    /// Rules that pass (or are unknown) in A and fail in B.
    pub regressions: usize,
    pub improvements: usize,
}

/// One side of a comparison: what it is called, what was read from it, and its audit.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub name: &'a str,
    pub facts: &'a Facts,
    pub report: &'a Report,
}

pub fn diff(profile: &Profile, a: Side<'_>, b: Side<'_>) -> Diff {
    let mut areas: BTreeMap<String, Area> = BTreeMap::new();
    let (mut regressions, mut improvements) = (0, 0);
    for fa in &a.report.findings {
        let Some(fb) = b.report.findings.iter().find(|f| f.id == fa.id) else {
            continue;
        };
        if fa.status != fb.status {
            if fb.status == Status::Fail {
                regressions += 1;
            } else if fa.status == Status::Fail {
                improvements += 1;
            }
            areas
                .entry(fa.area.to_string())
                .or_default()
                .flips
                .push(Flip {
                    id: fa.id.to_string(),
                    title: fa.title.to_string(),
                    a: fa.status,
                    b: fb.status,
                });
        }
    }
    // Settings the profile's rules look at, each under the area of the first rule naming it.
    let mut seen = BTreeSet::new();
    for rule in profile.rules.iter() {
        let mut leaves = rule.check.leaves();
        for s in rule.shortcuts.iter() {
            leaves.extend(s.when.leaves());
        }
        for leaf in leaves {
            if !seen.insert((leaf.source, leaf.key.clone())) {
                continue;
            }
            let va = setting(a.facts, leaf.source, &leaf.key);
            let vb = setting(b.facts, leaf.source, &leaf.key);
            // A missing config line means "not set" to Kconfig.
            let norm = |v: &Option<String>| match (leaf.source, v.as_deref()) {
                (SourceKind::Kconfig, None) => Some("n".to_string()),
                _ => v.clone(),
            };
            if norm(&va) != norm(&vb) {
                areas
                    .entry(rule.area.to_string())
                    .or_default()
                    .options
                    .push(OptionDiff {
                        source: leaf.source,
                        key: leaf.key.to_string(),
                        a: va,
                        b: vb,
                    });
            }
        }
    }
    Diff {
        schema: "kharden.diff/2",
        generator: crate::generator::GENERATOR,
        a: a.name.to_string(),
        b: b.name.to_string(),
        profile: profile.name.clone(),
        areas,
        regressions,
        improvements,
    }
}

/// The value of one setting as read from a side (`None`: absent or not known).
fn setting(facts: &Facts, source: SourceKind, key: &str) -> Option<String> {
    match source {
        SourceKind::Kconfig => facts.kconfig().and_then(|c| c.get(key)).map(str::to_string),
        SourceKind::Sysctl => facts
            .sysctl
            .get(key)
            .and_then(|v| v.as_known())
            .map(str::to_string),
        SourceKind::Cmdline => facts
            .cmdline
            .cmdline()
            .and_then(|c| c.last(key))
            .map(|p| p.value.clone().unwrap_or_default()),
        SourceKind::Runtime => facts
            .runtime
            .get(key)
            .and_then(|f| f.value.as_known())
            .map(str::to_string),
    }
}
