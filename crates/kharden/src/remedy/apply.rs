//! `kharden apply`: raise the running kernel's protection, never lower it.
//!
//! The plan is computed from a live audit: sysctl remedies of failing rules, the persistent
//! sysctl.d file, and the one-way runtime switches (lockdown, sig_enforce, kexec_load_disabled,
//! modules_disabled) when the failing checks name them. Before an irreversible step the plan says
//! what it will break on this host: the readiness verdict of the rules that ask for it
//! (`audit::readiness`, computed before the plan). Every write is read back. `report::apply`
//! renders the plan and its outcome.

use crate::audit::readiness::Readiness;
use crate::audit::Report;
use crate::files::root::{io_reason, Root};
use crate::policy::{Profile, Status};
use crate::probe::runtime::{default_path, parse_lockdown, LOCKDOWN};
use crate::probe::{sysctl, Facts, Lockdown, RuntimeFact, Value};

use super::{collect, fragments, stricter, sysctl_irreversible, Change};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write `to` to a sysctl under /proc/sys.
    Sysctl {
        key: String,
        from: String,
        to: String,
    },
    /// Write the persistent sysctl.d file.
    Persist { path: String, content: String },
    /// Write `to` to a runtime file (lockdown, sig_enforce).
    Runtime {
        path: String,
        from: String,
        to: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Planned,
    Done,
    /// Nothing to do: already this strict or stricter.
    AlreadyStricter(String),
    Skipped(String),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    pub irreversible: bool,
    pub rules: Vec<String>,
    /// What this step will break on this host (irreversible steps only): the readiness of its
    /// rules, merged.
    pub readiness: Option<Readiness>,
    pub state: State,
}

/// Build the plan. Nothing is written here.
pub fn plan(root: &Root, profile: &Profile, report: &Report, facts: &Facts) -> Vec<Step> {
    let mut steps = Vec::new();

    // Sysctls asked for by failing rules.
    let mut persist: Vec<(String, String)> = Vec::new();
    for p in collect(profile, report, false) {
        let Change::Sysctl { key, value } = &p.change else {
            continue;
        };
        let rules: Vec<String> = p.rules.iter().map(|(id, _)| id.clone()).collect();
        let irreversible = sysctl_irreversible(key, value);
        let current = facts.sysctl.get(key).cloned().unwrap_or_else(|| {
            let rel = sysctl::proc_path(key);
            match root.read_text(&rel) {
                Ok(v) => Value::known(sysctl::normalize_value(&v), Root::display(&rel)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Absent {
                    origin: format!("{} does not exist", Root::display(&rel)),
                },
                Err(e) => Value::unknown(io_reason(&e)),
            }
        });
        let (from, state) = match &current {
            Value::Known { value: cur, .. } if !stricter(value, cur) => (
                cur.clone(),
                State::AlreadyStricter(format!("already {cur}")),
            ),
            Value::Known { value: cur, .. } => (cur.clone(), State::Planned),
            Value::Absent { .. } => (
                "absent".into(),
                State::Skipped("this kernel has no such knob (the feature is not built)".into()),
            ),
            Value::Unknown { reason } => ("unknown".into(), State::Skipped(reason.clone())),
        };
        if !matches!(state, State::Skipped(_)) {
            persist.push((key.clone(), value.clone()));
        }
        steps.push(Step {
            readiness: if irreversible {
                readiness_of(report, &rules)
            } else {
                None
            },
            action: Action::Sysctl {
                key: key.clone(),
                from,
                to: value.clone(),
            },
            irreversible,
            rules,
            state,
        });
    }

    // One-way runtime switches named by failing checks: the lockdown level and module
    // signature enforcement.
    let mut runtime_rules: std::collections::BTreeMap<RuntimeFact, Vec<String>> =
        Default::default();
    for f in report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && profile.waiver_in_force(&f.id).is_none())
    {
        for e in f.evidence.iter().filter(|e| e.ok == Some(false)) {
            if let Some(fact @ (RuntimeFact::Lockdown | RuntimeFact::SigEnforce)) = e.fact {
                runtime_rules
                    .entry(fact)
                    .or_default()
                    .push(f.id.to_string());
            }
        }
    }
    for (fact, rules) in runtime_rules {
        let path = default_path(fact);
        let value = facts.runtime.get(&fact).map(|f| f.value.clone());
        let target = Lockdown::Integrity;
        let (from, to, state) = match (fact, value) {
            (RuntimeFact::Lockdown, Some(Value::Known { value, .. })) => {
                if value.parse::<Lockdown>().is_ok_and(|level| level >= target) {
                    (
                        value.clone(),
                        target.as_str().to_string(),
                        State::AlreadyStricter(format!("already {value}")),
                    )
                } else {
                    (value, target.as_str().into(), State::Planned)
                }
            }
            (_, Some(Value::Known { value, .. })) => {
                if value == "Y" {
                    (
                        value,
                        "1".into(),
                        State::AlreadyStricter("already Y".into()),
                    )
                } else {
                    (value, "1".into(), State::Planned)
                }
            }
            (_, Some(Value::Absent { origin })) => {
                ("absent".into(), "-".into(), State::Skipped(origin))
            }
            (_, Some(Value::Unknown { reason })) => {
                ("unknown".into(), "-".into(), State::Skipped(reason))
            }
            (_, None) => (
                "unknown".into(),
                "-".into(),
                State::Skipped("not read".into()),
            ),
        };
        steps.push(Step {
            readiness: readiness_of(report, &rules),
            action: Action::Runtime {
                path: path.to_string(),
                from,
                to,
            },
            irreversible: true,
            rules,
            state,
        });
    }

    // Persist every sysctl the profile asks for (also those that already hold at run time,
    // so a later reboot keeps them), never below the value running now: a stricter value set
    // by someone else must not be lowered by this file, which is applied last (99-).
    for p in collect(profile, report, true) {
        let Change::Sysctl { key, value } = &p.change else {
            continue;
        };
        if persist.iter().any(|(k, _)| k == key) {
            continue;
        }
        match facts.sysctl.get(key) {
            Some(Value::Known { value: cur, .. }) if stricter(cur, value) => {
                persist.push((key.clone(), cur.clone()))
            }
            Some(Value::Known { .. }) => persist.push((key.clone(), value.clone())),
            _ => {}
        }
    }

    // The persistent file: only reversible values, merged with what kharden wrote before.
    let target = fragments::SYSCTL_TARGET;
    let existing = root.read_text(target).unwrap_or_default();
    let mut merged: Vec<(String, String)> = existing
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.trim_start().starts_with('#'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    for (k, v) in persist.iter().filter(|(k, v)| !sysctl_irreversible(k, v)) {
        match merged.iter_mut().find(|(mk, _)| mk == k) {
            Some((_, mv)) if stricter(v, mv) => *mv = v.clone(),
            Some(_) => {}
            None => merged.push((k.clone(), v.clone())),
        }
    }
    if !merged.is_empty() {
        let mut content = format!(
            "# Written by kharden apply (profile {}). Values only ever raised.\n",
            profile.name
        );
        for (k, v) in &merged {
            content.push_str(&format!("{k} = {v}\n"));
        }
        let state = if root.read(target).ok().as_deref() == Some(content.as_bytes()) {
            State::AlreadyStricter("up to date".into())
        } else {
            State::Planned
        };
        steps.push(Step {
            action: Action::Persist {
                path: target.to_string(),
                content,
            },
            irreversible: false,
            rules: vec![],
            readiness: None,
            state,
        });
    }
    steps
}

/// The readiness of the failing findings of `rules`, merged (`None` when readiness was not
/// looked at for them).
fn readiness_of(report: &Report, rules: &[String]) -> Option<Readiness> {
    Readiness::merge(
        report
            .findings
            .iter()
            .filter(|f| rules.iter().any(|r| **r == *f.id))
            .filter_map(|f| f.readiness.as_ref()),
    )
}

/// Options for executing the plan.
#[derive(Debug, Clone, Copy)]
pub struct Execute {
    pub yes: bool,
    pub allow_irreversible: bool,
}

/// Carry out the planned steps. Each write is read back.
pub fn execute(root: &Root, steps: &mut [Step], how: Execute) {
    for step in steps.iter_mut() {
        if step.state != State::Planned {
            continue;
        }
        if !how.yes {
            continue;
        }
        if step.irreversible && !how.allow_irreversible {
            step.state =
                State::Skipped("irreversible until reboot: needs --allow-irreversible".into());
            continue;
        }
        step.state = match &step.action {
            Action::Sysctl { key, to, .. } => {
                let rel = sysctl::proc_path(key);
                write_and_check(root, &rel, to, |read| {
                    let read = sysctl::normalize_value(read);
                    read == *to || stricter(&read, to)
                })
            }
            Action::Runtime { path, to, .. } if path == LOCKDOWN => {
                let want = to.parse::<Lockdown>().ok();
                write_and_check(root, path, to, |read| {
                    parse_lockdown(read).or_else(|| read.trim().parse().ok()) >= want
                })
            }
            Action::Runtime { path, to, .. } => {
                write_and_check(root, path, to, |read| matches!(read.trim(), "Y" | "1"))
            }
            Action::Persist { path, content } => match persist(root, path, content) {
                Ok(()) => State::Done,
                Err(e) => State::Failed(e),
            },
        };
    }
}

fn write_and_check(root: &Root, rel: &str, value: &str, ok: impl Fn(&str) -> bool) -> State {
    if let Err(e) = root.write_value(rel, value) {
        return State::Failed(format!("{}: {}", Root::display(rel), write_reason(&e)));
    }
    match root.read_text(rel) {
        Ok(read) if ok(&read) => State::Done,
        Ok(read) => State::Failed(format!(
            "{}: wrote {value} but read back {read}",
            Root::display(rel)
        )),
        Err(e) => State::Failed(format!(
            "{}: reading back: {}",
            Root::display(rel),
            io_reason(&e)
        )),
    }
}

fn write_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(22) => "the kernel rejected the value (EINVAL)".into(),
        Some(1) => {
            "operation not permitted (EPERM): lowering is refused, or a capability is missing"
                .into()
        }
        Some(30) => "read-only (EROFS): the value cannot be changed back".into(),
        _ => io_reason(e),
    }
}

fn persist(root: &Root, rel: &str, content: &str) -> Result<(), String> {
    let dir = rel.rsplit_once('/').map_or("/", |(d, _)| d);
    if root.open_dir(dir).is_err() {
        return Err(format!(
            "{} does not exist: is systemd-sysctl or procps installed?",
            Root::display(dir)
        ));
    }
    root.replace_file(rel, content.as_bytes(), 0o644)
        .map_err(|e| format!("{}: {}", Root::display(rel), io_reason(&e)))?;
    match root.read(rel) {
        Ok(b) if b == content.as_bytes() => Ok(()),
        _ => Err(format!(
            "{}: content differs after writing",
            Root::display(rel)
        )),
    }
}
