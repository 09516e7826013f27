//! `kharden apply`: raise the running kernel's protection, never lower it.
//!
//! The plan is computed from a live audit: sysctl remedies of failing rules, the persistent
//! sysctl.d file, and the one-way runtime switches (lockdown, sig_enforce, kexec_load_disabled,
//! modules_disabled) when the failing checks name them. Before an irreversible step the plan says
//! what it will break on this host. Every write is read back. `report::apply` renders the plan
//! and its outcome.

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
    /// What this step will break on this host (irreversible steps only).
    pub impact: Vec<String>,
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
            impact: if irreversible {
                impact_sysctl(root, key)
            } else {
                vec![]
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
            impact: impact_runtime(root, fact, facts),
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
            impact: vec![],
            state,
        });
    }
    steps
}

/// What turning a one-way runtime switch on will break on this host.
fn impact_runtime(root: &Root, fact: RuntimeFact, facts: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    let release = facts.kernel.release.clone().unwrap_or_default();
    // Both refuse unsigned modules.
    let unsigned = unsigned_modules(root, &release);
    if !unsigned.is_empty() {
        let shown: Vec<&str> = unsigned.iter().take(5).map(String::as_str).collect();
        out.push(format!(
            "{} unsigned module(s) in /lib/modules/{release} will be refused: {}{}",
            unsigned.len(),
            shown.join(", "),
            if unsigned.len() > 5 { ", ..." } else { "" }
        ));
    }
    if let Ok(mods) = root.read_text("/proc/modules") {
        let tainted: Vec<&str> = mods
            .lines()
            .filter(|l| l.contains("(") && l.rsplit('(').next().is_some_and(|t| t.contains('E')))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        if !tainted.is_empty() {
            out.push(format!(
                "loaded unsigned modules ({}) cannot be loaded again after unloading",
                tainted.join(", ")
            ));
        }
    }
    if root.exists("/var/lib/dkms") {
        out.push("DKMS is installed: its modules load only if signed with an enrolled key".into());
    }
    if fact == RuntimeFact::Lockdown {
        if root
            .read_text("/sys/power/resume")
            .is_ok_and(|r| r != "0:0" && !r.is_empty())
        {
            out.push("hibernation is configured (/sys/power/resume): hibernating and resuming an image will be refused".into());
        }
        if root
            .read_text("/proc/mounts")
            .is_ok_and(|m| m.contains(" debugfs "))
        {
            out.push(
                "debugfs is mounted: writes and non-read-only files in it will be refused".into(),
            );
        }
        if let Ok(k) = root.read_text("/etc/default/kdump-tools") {
            if !k
                .lines()
                .any(|l| l.trim_start().starts_with("KDUMP_KEXEC_ARGS") && l.contains("-s"))
            {
                out.push("kdump-tools loads its crash kernel with kexec_load (no -s in KDUMP_KEXEC_ARGS): it will fail".into());
            }
        }
    }
    if out.is_empty() {
        out.push("nothing found on this host that it would break".into());
    }
    out
}

fn impact_sysctl(root: &Root, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    match key {
        "kernel.kexec_load_disabled" => {
            if root
                .read_text("/sys/kernel/kexec_crash_loaded")
                .is_ok_and(|v| v == "1")
            {
                out.push("a crash kernel is loaded: it stays, but it can no longer be reloaded (kernel upgrade, memory hotplug)".into());
            }
            if root.exists("/etc/default/kdump-tools") {
                out.push("kdump-tools is installed: loading or reloading the crash kernel will fail from now until reboot".into());
            }
            out.push("kexec reboots (systemctl kexec) fail until reboot".into());
        }
        "kernel.modules_disabled" => {
            out.push("no module can be loaded until reboot, including filesystems, netfilter and drivers loaded on demand".into());
        }
        _ => {}
    }
    out
}

/// Modules under /lib/modules/<release> without the signature trailer (checked on the
/// decompressed bytes for .ko.gz/.ko.xz/.ko.zst), read through the root and within one memory
/// budget (crate::modules).
pub fn unsigned_modules(root: &Root, release: &str) -> Vec<String> {
    let mut out = Vec::new();
    if release.is_empty() || release.contains('/') {
        return out;
    }
    let Ok(tree) = crate::modules::Tree::in_root(root, &format!("/lib/modules/{release}")) else {
        return out;
    };
    let budget = crate::modules::Budget::default();
    for rel in tree.walk(false).modules {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(file) = tree.open_module(&rel) else {
            continue;
        };
        match crate::modules::read_module(&file, &budget, 0) {
            Ok(m) if modsig::trailer::has_magic(&m.data) => {}
            Ok(_) => out.push(name),
            Err(_) => out.push(format!("{name} (unreadable)")),
        }
    }
    out.sort();
    out
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
