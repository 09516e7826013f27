//! `kharden diff A B`: which rules flip between two kernels (configs or snapshot roots), and
//! which security-relevant settings differ, grouped by area.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::audit::Report;
use crate::policy::{Profile, Status};
use crate::probe::{Facts, SourceKind};
use crate::report::term::clean;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flip {
    pub id: String,
    pub title: String,
    pub a: Status,
    pub b: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionDiff {
    pub source: SourceKind,
    pub key: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Area {
    pub flips: Vec<Flip>,
    pub options: Vec<OptionDiff>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub schema: &'static str,
    pub a: String,
    pub b: String,
    pub profile: String,
    pub areas: BTreeMap<String, Area>,
    /// Rules that pass (or are unknown) in A and fail in B.
    pub regressions: usize,
    pub improvements: usize,
}

pub fn diff(profile: &Profile, a: (&str, &Facts, &Report), b: (&str, &Facts, &Report)) -> Diff {
    let mut areas: BTreeMap<String, Area> = BTreeMap::new();
    let (mut regressions, mut improvements) = (0, 0);
    for fa in &a.2.findings {
        let Some(fb) = b.2.findings.iter().find(|f| f.id == fa.id) else {
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
            let (va, vb) = match leaf.source {
                SourceKind::Kconfig => (
                    a.1.kconfig()
                        .and_then(|c| c.get(&leaf.key))
                        .map(str::to_string),
                    b.1.kconfig()
                        .and_then(|c| c.get(&leaf.key))
                        .map(str::to_string),
                ),
                SourceKind::Sysctl => (
                    a.1.sysctl
                        .get(&*leaf.key)
                        .and_then(|v| v.as_known())
                        .map(str::to_string),
                    b.1.sysctl
                        .get(&*leaf.key)
                        .and_then(|v| v.as_known())
                        .map(str::to_string),
                ),
                SourceKind::Cmdline => {
                    let get = |f: &Facts| {
                        f.cmdline
                            .cmdline()
                            .and_then(|c| c.last(&leaf.key))
                            .map(|p| p.value.clone().unwrap_or_default())
                    };
                    (get(a.1), get(b.1))
                }
                SourceKind::Runtime => (
                    a.1.runtime
                        .get(&*leaf.key)
                        .and_then(|f| f.value.as_known())
                        .map(str::to_string),
                    b.1.runtime
                        .get(&*leaf.key)
                        .and_then(|f| f.value.as_known())
                        .map(str::to_string),
                ),
            };
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
        schema: "kharden.diff/1",
        a: a.0.to_string(),
        b: b.0.to_string(),
        profile: profile.name.clone(),
        areas,
        regressions,
        improvements,
    }
}

/// The diff for a terminal: every name and value from the inputs (paths, settings, rule texts)
/// goes through [`clean`], so escape sequences show as text.
pub fn render_human(d: &Diff) -> String {
    let mut out = format!(
        "kharden diff (profile {})\n  A: {}\n  B: {}\n",
        clean(&d.profile),
        clean(&d.a),
        clean(&d.b)
    );
    if d.areas.is_empty() {
        out.push_str("\nno difference in the profile's rules or the settings they read\n");
    }
    let show = |v: &Option<String>, source: SourceKind| match (source, v.as_deref()) {
        (SourceKind::Kconfig, None | Some("n")) => "is not set".to_string(),
        (_, None) => "-".to_string(),
        (_, Some("")) => "(present)".to_string(),
        (_, Some(v)) => clean(v).into_owned(),
    };
    // Columns as wide as their widest entry in the whole diff, so titles line up.
    let flips = || d.areas.values().flat_map(|a| a.flips.iter());
    let id_w = flips()
        .map(|f| clean(&f.id).len())
        .max()
        .unwrap_or(0)
        .max(26);
    let from_w = flips().map(|f| f.a.as_str().len()).max().unwrap_or(0);
    let to_w = flips().map(|f| f.b.as_str().len()).max().unwrap_or(0);
    for (area, a) in &d.areas {
        out.push_str(&format!("\n{}\n", clean(area)));
        for f in &a.flips {
            out.push_str(&format!(
                "  {:<id_w$} {:>from_w$} -> {:<to_w$}   {}\n",
                clean(&f.id),
                f.a.as_str(),
                f.b.as_str(),
                clean(&f.title)
            ));
        }
        for o in &a.options {
            let key = match o.source {
                SourceKind::Kconfig => format!("CONFIG_{}", clean(&o.key)),
                _ => format!("{} {}", o.source.as_str(), clean(&o.key)),
            };
            out.push_str(&format!(
                "    {key}: {} -> {}\n",
                show(&o.a, o.source),
                show(&o.b, o.source)
            ));
        }
    }
    out.push_str(&format!(
        "\n{} rule(s) newly failing in B, {} newly passing\n",
        d.regressions, d.improvements
    ));
    out
}
