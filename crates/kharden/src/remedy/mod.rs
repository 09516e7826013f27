//! Remediation: from failing findings to the exact change for each place a setting lives -
//! a Kconfig fragment, a sysctl.d file, command-line arguments (and a GRUB drop-in) - and a
//! plan for raising the running kernel's protection (`apply`).

pub mod apply;
pub mod diff;
pub mod fragments;

use crate::audit::Report;
use crate::policy::{Profile, Status};

pub use crate::policy::remedy::Change;

/// A change with the rules that ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub change: Change,
    pub rules: Vec<(String, String)>,
}

/// Collect the changes asked for by failing findings (or by every rule that applies to the
/// kernel with `all_rules`), deduplicated; for one sysctl asked with several values, the strictest (highest) wins. A rule
/// a policy waives (a waiver in force) asks for nothing: see [`left_out`].
pub fn collect(profile: &Profile, report: &Report, all_rules: bool) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    for rule in profile.rules.iter() {
        if profile.waiver_in_force(&rule.id).is_some() {
            continue;
        }
        let status = report
            .findings
            .iter()
            .find(|f| f.id == rule.id)
            .map(|f| f.status);
        // Every rule, with `all_rules`, is every rule this kernel has the thing for: a rule not
        // applicable to its version or architecture would ask for options it does not have.
        let wanted = match status {
            Some(Status::Fail) => true,
            Some(Status::NotApplicable) => false,
            _ => all_rules,
        };
        if !wanted {
            continue;
        }
        for r in rule.remedy.iter() {
            // Every remedy was parsed when its policy was loaded (a bad one is a load error);
            // runtime remedies are instructions, not changes.
            let Some(change) = r.change().map(|c| c.map(|s| s.to_string())) else {
                continue;
            };
            let tag = (rule.id.to_string(), rule.title.to_string());
            if let Change::Sysctl { key, value } = &change {
                if let Some(p) = out
                    .iter_mut()
                    .find(|p| matches!(&p.change, Change::Sysctl { key: k, .. } if k == key))
                {
                    if let Change::Sysctl { value: old, .. } = &mut p.change {
                        if stricter(value, old) {
                            *old = value.clone();
                        }
                    }
                    p.rules.push(tag);
                    continue;
                }
            }
            match out.iter_mut().find(|p| p.change == change) {
                Some(p) => p.rules.push(tag),
                None => out.push(Planned {
                    change,
                    rules: vec![tag],
                }),
            }
        }
    }
    out
}

/// A rule `fix` and `apply` leave out because a user policy says so.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct LeftOut {
    pub rule: String,
    /// `waived` or `dropped`.
    pub why: LeftOutWhy,
    /// Where the policy says so (`file:line:column`).
    pub at: String,
    /// The waiver's reason (`None` for a drop).
    pub reason: Option<String>,
    /// The waiver's expiry, `YYYY-MM-DD` (`None`: no expiry, or a drop).
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutWhy {
    Waived,
    Dropped,
}

/// The rules of `profile` that `fix` and `apply` leave out: those waived by a waiver in force
/// (whether they fail or not) and those user policies dropped, in that order, each by id.
pub fn left_out(profile: &Profile) -> Vec<LeftOut> {
    let mut waived: Vec<LeftOut> = profile
        .rules
        .iter()
        .filter_map(|r| profile.waiver_in_force(&r.id))
        .map(|w| LeftOut {
            rule: w.rule.clone(),
            why: LeftOutWhy::Waived,
            at: w.at.clone(),
            reason: Some(w.reason.clone()),
            expires: w.expires.map(crate::audit::date_text),
        })
        .collect();
    waived.sort_by(|a, b| a.rule.cmp(&b.rule));
    let mut dropped: Vec<LeftOut> = profile
        .dropped
        .iter()
        .map(|d| LeftOut {
            rule: d.rule.clone(),
            why: LeftOutWhy::Dropped,
            at: d.at.clone(),
            reason: None,
            expires: None,
        })
        .collect();
    dropped.sort_by(|a, b| a.rule.cmp(&b.rule));
    waived.extend(dropped);
    waived
}

/// Whether the audited kernel already has this setting.
pub fn already_holds(change: &Change, facts: &crate::probe::Facts) -> bool {
    let cfg = facts.kconfig();
    match change {
        Change::KconfigSet { name, value } => {
            cfg.and_then(|c| c.get(name)) == Some(value.trim_matches('"'))
        }
        Change::KconfigUnset { name } => cfg.is_some_and(|c| !c.enabled(name)),
        Change::Sysctl { key, value } => facts
            .sysctl
            .get(key)
            .and_then(|v| v.as_known())
            .is_some_and(|cur| cur == value || stricter(cur, value)),
        Change::CmdlineAdd { arg } => facts.cmdline.cmdline().is_some_and(|c| {
            let (name, value) = arg.split_once('=').unwrap_or((arg, ""));
            c.last(name)
                .is_some_and(|p| p.value.as_deref().unwrap_or("") == value)
        }),
        Change::CmdlineRemove { arg } => facts
            .cmdline
            .cmdline()
            .is_some_and(|c| c.last(arg).is_none()),
    }
}

/// Sysctls whose raised value cannot be lowered again until reboot.
pub fn sysctl_irreversible(key: &str, value: &str) -> bool {
    match key {
        "kernel.kexec_load_disabled" | "kernel.modules_disabled" => true,
        "kernel.yama.ptrace_scope" => value == "3",
        "kernel.unprivileged_bpf_disabled" => value == "1",
        _ => false,
    }
}

/// Whether sysctl value `a` is stricter than `b` (numerically higher; equal strings are not).
pub fn stricter(a: &str, b: &str) -> bool {
    match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
        (Ok(x), Ok(y)) => x > y,
        _ => false,
    }
}

/// The config lines of a kernel built under `kharden modsign build --cert-out CERT` (docs/
/// modsign.md): modules signed at build time with the certificate kharden writes, and only
/// signed modules loaded. Added to `fix`'s Kconfig fragment by `--module-sig-key CERT`, after
/// the changes failing rules ask for (a line already there is not repeated).
pub fn module_sig_build(cert: &str, planned: &mut Vec<Planned>) -> Result<(), String> {
    let tag = (
        "modsign-build".to_string(),
        "Modules signed at build time by kharden modsign build".to_string(),
    );
    let lines = [
        "CONFIG_MODULES=y".to_string(),
        "CONFIG_MODULE_SIG=y".to_string(),
        "CONFIG_MODULE_SIG_ALL=y".to_string(),
        "CONFIG_MODULE_SIG_FORCE=y".to_string(),
        format!("CONFIG_MODULE_SIG_KEY=\"{cert}\""),
    ];
    for line in lines {
        let Some(change) = Change::parse("kconfig", &line)?.map(|c| c.map(|s| s.to_string()))
        else {
            continue;
        };
        let name = |c: &Change| match c {
            Change::KconfigSet { name, .. } | Change::KconfigUnset { name } => Some(name.clone()),
            _ => None,
        };
        match planned
            .iter_mut()
            .find(|p| name(&p.change) == name(&change))
        {
            Some(p) if p.change == change => p.rules.push(tag.clone()),
            Some(p) => {
                p.change = change;
                p.rules = vec![tag.clone()];
            }
            None => planned.push(Planned {
                change,
                rules: vec![tag.clone()],
            }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_remedy_forms() {
        assert_eq!(
            Change::parse("kconfig", "CONFIG_MODULE_SIG_FORCE=y").unwrap(),
            Some(Change::KconfigSet {
                name: "MODULE_SIG_FORCE",
                value: "y"
            })
        );
        assert_eq!(
            Change::parse("kconfig", "# CONFIG_KEXEC is not set").unwrap(),
            Some(Change::KconfigUnset { name: "KEXEC" })
        );
        assert_eq!(
            Change::parse("sysctl", "kernel.kptr_restrict = 1").unwrap(),
            Some(Change::Sysctl {
                key: "kernel.kptr_restrict",
                value: "1"
            })
        );
        assert_eq!(
            Change::parse("cmdline", "remove nokaslr").unwrap(),
            Some(Change::CmdlineRemove { arg: "nokaslr" })
        );
        assert_eq!(Change::parse("runtime", "echo 1 > x").unwrap(), None);
        assert!(Change::parse("kconfig", "MODULE_SIG=y").is_err());
        assert!(Change::parse("cmdline", "two args").is_err());
        assert!(Change::parse("sysctl", "kptr_restrict").is_err());
    }

    /// Every built-in remedy was parsed when the profile was compiled, into the change its
    /// text says.
    #[test]
    fn every_builtin_remedy_is_machine_readable() {
        for name in crate::policy::builtin::profile_names() {
            let profile = crate::policy::builtin::load(name).unwrap();
            for rule in profile.rules.iter() {
                for r in rule.remedy.iter() {
                    let parsed = Change::parse(r.source.as_str(), &r.text)
                        .unwrap_or_else(|e| panic!("{}: {e}", rule.id));
                    assert_eq!(r.change(), parsed, "{}", rule.id);
                }
            }
        }
    }

    #[test]
    fn stricter_is_numeric() {
        assert!(stricter("2", "1"));
        assert!(!stricter("1", "1"));
        assert!(!stricter("a", "b"));
    }
}
