//! A fleet report: many hosts' audits reduced to what a fleet operator reads (docs/fleet.md,
//! the `kharden.fleet/1` contract in docs/json-output.md): per rule, how many hosts fail,
//! pass, are unknown, waived or not applicable; per host, its failures; drift, the hosts whose
//! kernel release, lockdown level or module signature enforcement differs from the fleet's
//! majority. Pure: hosts in, report out, deterministic order.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::state::HostState;
use crate::audit::Report;
use crate::policy::{Severity, Status, Text};
use crate::probe::Facts;

pub const SCHEMA: &str = "kharden.fleet/1";

/// What a fleet keeps of one host's audit (the findings themselves are dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Host {
    /// The path it was read from, as found under the PATH given.
    pub name: String,
    pub kernel_release: Option<String>,
    /// `none`, `integrity`, `confidentiality`, or null when unknown.
    pub lockdown: Option<&'static str>,
    /// Module signature enforcement, null when unknown.
    pub sig_enforce: Option<bool>,
    pub fail: usize,
    pub unknown: usize,
    pub waived: usize,
    /// The failing (not waived) rules, most severe first.
    pub failures: Vec<Failure>,
    /// Each rule's status (`waived` for a waived finding), in the report's order.
    #[serde(skip)]
    pub statuses: Vec<(RuleKey, &'static str)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Failure {
    pub id: Text,
    pub severity: Severity,
}

/// A rule as the fleet tables show it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct RuleKey {
    pub area: Text,
    #[serde(skip)]
    pub order: std::cmp::Reverse<Severity>,
    pub id: Text,
    pub severity: Severity,
    pub title: Text,
}

impl Host {
    pub fn new(name: String, report: &Report, facts: &Facts) -> Host {
        let state = HostState::of(facts);
        let mut failures: Vec<Failure> = report
            .findings
            .iter()
            .filter(|f| f.waiver.is_none() && f.status == Status::Fail)
            .map(|f| Failure {
                id: f.id.clone(),
                severity: f.severity,
            })
            .collect();
        failures.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        Host {
            name,
            kernel_release: report.kernel.release.clone(),
            lockdown: state.lockdown.map(|l| l.as_str()),
            sig_enforce: state.sig_enforce,
            fail: report.summary.fail,
            unknown: report.summary.unknown,
            waived: report.summary.waived,
            failures,
            statuses: report
                .findings
                .iter()
                .map(|f| {
                    (
                        RuleKey {
                            area: f.area.clone(),
                            order: std::cmp::Reverse(f.severity),
                            id: f.id.clone(),
                            severity: f.severity,
                            title: f.title.clone(),
                        },
                        crate::report::Audited::status_of(f),
                    )
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleCounts {
    #[serde(flatten)]
    pub rule: Option<RuleKey>,
    pub fail: usize,
    pub pass: usize,
    pub unknown: usize,
    pub waived: usize,
    pub not_applicable: usize,
}

/// One watched value across the fleet: the majority's value and how many hosts have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Majority {
    pub value: String,
    pub hosts: usize,
    /// Every value seen, with its number of hosts.
    pub values: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Drifted {
    pub host: String,
    /// `kernel_release`, `lockdown` or `sig_enforce`.
    pub field: &'static str,
    pub value: String,
    pub majority: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Drift {
    pub kernel_release: Option<Majority>,
    pub lockdown: Option<Majority>,
    pub sig_enforce: Option<Majority>,
    pub hosts: Vec<Drifted>,
}

/// A host that could not be audited (a hostile or broken archive, an unreadable tree).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct HostError {
    pub name: String,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub hosts: usize,
    /// Hosts with at least one failing (not waived) rule.
    pub failing: usize,
    pub clean: usize,
    pub errors: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FleetReport {
    pub schema: &'static str,
    pub profile: String,
    pub summary: Summary,
    /// Every rule, in report order (area, most severe first, id).
    pub rules: Vec<RuleCounts>,
    /// Every host, by name.
    pub hosts: Vec<Host>,
    pub drift: Drift,
    pub errors: Vec<HostError>,
}

impl FleetReport {
    pub fn new(profile: &str, mut hosts: Vec<Host>, mut errors: Vec<HostError>) -> FleetReport {
        hosts.sort_by(|a, b| a.name.cmp(&b.name));
        errors.sort_by(|a, b| a.name.cmp(&b.name));
        let mut rules: BTreeMap<&RuleKey, RuleCounts> = BTreeMap::new();
        for h in &hosts {
            for (key, status) in &h.statuses {
                let c = rules.entry(key).or_default();
                match *status {
                    "fail" => c.fail += 1,
                    "pass" => c.pass += 1,
                    "unknown" => c.unknown += 1,
                    "waived" => c.waived += 1,
                    _ => c.not_applicable += 1,
                }
            }
        }
        let rules: Vec<RuleCounts> = rules
            .into_iter()
            .map(|(k, mut c)| {
                c.rule = Some(k.clone());
                c
            })
            .collect();
        let words = |h: &Host| {
            [
                h.kernel_release.clone().unwrap_or_else(|| "unknown".into()),
                h.lockdown.unwrap_or("unknown").to_string(),
                match h.sig_enforce {
                    Some(true) => "on".into(),
                    Some(false) => "off".into(),
                    None => "unknown".into(),
                },
            ]
        };
        const FIELDS: [&str; 3] = ["kernel_release", "lockdown", "sig_enforce"];
        let mut majorities: Vec<Option<Majority>> = Vec::new();
        for i in 0..3 {
            let mut values: BTreeMap<String, usize> = BTreeMap::new();
            for h in &hosts {
                *values.entry(words(h)[i].clone()).or_default() += 1;
            }
            // The most hosts; a tie goes to the value that sorts first.
            majorities.push(
                values
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(v, n)| Majority {
                        value: v.clone(),
                        hosts: *n,
                        values: values.clone(),
                    }),
            );
        }
        let mut drifted = Vec::new();
        for h in &hosts {
            let w = words(h);
            for i in 0..3 {
                if let Some(m) = &majorities[i] {
                    if w[i] != m.value {
                        drifted.push(Drifted {
                            host: h.name.clone(),
                            field: FIELDS[i],
                            value: w[i].clone(),
                            majority: m.value.clone(),
                        });
                    }
                }
            }
        }
        let mut m = majorities.into_iter();
        let failing = hosts.iter().filter(|h| h.fail > 0).count();
        FleetReport {
            schema: SCHEMA,
            profile: profile.to_string(),
            summary: Summary {
                hosts: hosts.len(),
                failing,
                clean: hosts.len() - failing,
                errors: errors.len(),
            },
            rules,
            drift: Drift {
                kernel_release: m.next().flatten(),
                lockdown: m.next().flatten(),
                sig_enforce: m.next().flatten(),
                hosts: drifted,
            },
            hosts,
            errors,
        }
    }
}
