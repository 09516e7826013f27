//! Remediation: from failing findings to the exact change for each place a setting lives -
//! a Kconfig fragment, a sysctl.d file, command-line arguments (and a GRUB drop-in) - and a
//! plan for raising the running kernel's protection (`apply`).

pub mod apply;
pub mod diff;
pub mod fragments;

use crate::audit::Report;
use crate::policy::{Profile, Status};

/// One machine-applicable change, parsed from a rule's remedy text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// `CONFIG_X=value` (value as written, e.g. `y`, `"sha512"`).
    KconfigSet { name: String, value: String },
    /// `# CONFIG_X is not set`.
    KconfigUnset { name: String },
    /// `key = value` in a sysctl.d file.
    Sysctl { key: String, value: String },
    /// An argument to add to the kernel command line.
    CmdlineAdd { arg: String },
    /// `remove ARG`: an argument to take off the command line.
    CmdlineRemove { arg: String },
}

impl Change {
    /// Parse a remedy (`source`, `text`); `Ok(None)` for free-text instructions (runtime).
    pub fn parse(source: &str, text: &str) -> Result<Option<Change>, String> {
        let t = text.trim();
        match source {
            "kconfig" => {
                if let Some(name) = t
                    .strip_prefix("# CONFIG_")
                    .and_then(|r| r.strip_suffix(" is not set"))
                {
                    return valid_symbol(name).map(|n| Some(Change::KconfigUnset { name: n }));
                }
                let rest = t
                    .strip_prefix("CONFIG_")
                    .ok_or_else(|| format!("kconfig remedy {t:?} is not a config line"))?;
                let (name, value) = rest
                    .split_once('=')
                    .ok_or_else(|| format!("kconfig remedy {t:?} has no '='"))?;
                Ok(Some(Change::KconfigSet {
                    name: valid_symbol(name)?,
                    value: value.to_string(),
                }))
            }
            "sysctl" => {
                let (key, value) = t
                    .split_once('=')
                    .ok_or_else(|| format!("sysctl remedy {t:?} is not `key = value`"))?;
                let key = key.trim();
                if key.is_empty() || key.contains(char::is_whitespace) || !key.contains('.') {
                    return Err(format!("sysctl remedy {t:?} has a malformed key"));
                }
                Ok(Some(Change::Sysctl {
                    key: key.to_string(),
                    value: value.trim().to_string(),
                }))
            }
            "cmdline" => {
                if let Some(arg) = t.strip_prefix("remove ") {
                    let arg = arg.trim();
                    if arg.is_empty() || arg.contains(char::is_whitespace) {
                        return Err(format!("cmdline remedy {t:?}: remove takes one argument"));
                    }
                    return Ok(Some(Change::CmdlineRemove { arg: arg.into() }));
                }
                if t.is_empty() || t.contains(char::is_whitespace) || t.contains('"') {
                    return Err(format!(
                        "cmdline remedy {t:?} must be one argument (or `remove ARG`)"
                    ));
                }
                Ok(Some(Change::CmdlineAdd { arg: t.into() }))
            }
            "runtime" => Ok(None),
            other => Err(format!("unknown remedy source {other:?}")),
        }
    }
}

fn valid_symbol(name: &str) -> Result<String, String> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(name.to_string())
    } else {
        Err(format!("{name:?} is not a Kconfig symbol"))
    }
}

/// A change with the rules that ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub change: Change,
    pub rules: Vec<(String, String)>,
}

/// Collect the changes asked for by failing findings (or by every rule with `all_rules`),
/// deduplicated; for one sysctl asked with several values, the strictest (highest) wins.
pub fn collect(profile: &Profile, report: &Report, all_rules: bool) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    for rule in profile.rules.iter() {
        let failing = report
            .findings
            .iter()
            .any(|f| f.id == rule.id && f.status == Status::Fail);
        if !all_rules && !failing {
            continue;
        }
        for r in rule.remedy.iter() {
            // Built-in remedies are validated by the test suite; a bad user one is skipped here
            // and reported by policy validation.
            let Ok(Some(change)) = Change::parse(&r.source, &r.text) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_remedy_forms() {
        assert_eq!(
            Change::parse("kconfig", "CONFIG_MODULE_SIG_FORCE=y").unwrap(),
            Some(Change::KconfigSet {
                name: "MODULE_SIG_FORCE".into(),
                value: "y".into()
            })
        );
        assert_eq!(
            Change::parse("kconfig", "# CONFIG_KEXEC is not set").unwrap(),
            Some(Change::KconfigUnset {
                name: "KEXEC".into()
            })
        );
        assert_eq!(
            Change::parse("sysctl", "kernel.kptr_restrict = 1").unwrap(),
            Some(Change::Sysctl {
                key: "kernel.kptr_restrict".into(),
                value: "1".into()
            })
        );
        assert_eq!(
            Change::parse("cmdline", "remove nokaslr").unwrap(),
            Some(Change::CmdlineRemove {
                arg: "nokaslr".into()
            })
        );
        assert_eq!(Change::parse("runtime", "echo 1 > x").unwrap(), None);
        assert!(Change::parse("kconfig", "MODULE_SIG=y").is_err());
        assert!(Change::parse("cmdline", "two args").is_err());
        assert!(Change::parse("sysctl", "kptr_restrict").is_err());
    }

    #[test]
    fn every_builtin_remedy_is_machine_readable() {
        for name in crate::policy::builtin::profile_names() {
            let profile = crate::policy::builtin::load(name).unwrap();
            for rule in profile.rules.iter() {
                for r in rule.remedy.iter() {
                    Change::parse(&r.source, &r.text)
                        .unwrap_or_else(|e| panic!("{}: {e}", rule.id));
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
