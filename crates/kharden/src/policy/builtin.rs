//! The built-in rule files and profiles, embedded in the binary. `policies/` in the repository
//! is their single home.

use super::{compile_rules, parse_rules, PolicyError, Profile};

// `precompiled(name)`: the definitions of a built-in rule file as build.rs parsed them (with
// def.rs, the same serde definitions as at run time), or `None` for a file it could not parse,
// which is then parsed here so that the problem is reported as usual.
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// (file name, contents) of every built-in rule file.
pub const RULE_FILES: &[(&str, &str)] = &[
    ("boot.toml", include_str!("../../../../policies/boot.toml")),
    (
        "modules.toml",
        include_str!("../../../../policies/modules.toml"),
    ),
    (
        "kexec.toml",
        include_str!("../../../../policies/kexec.toml"),
    ),
    (
        "kaslr.toml",
        include_str!("../../../../policies/kaslr.toml"),
    ),
    (
        "pointers.toml",
        include_str!("../../../../policies/pointers.toml"),
    ),
    (
        "lockdown.toml",
        include_str!("../../../../policies/lockdown.toml"),
    ),
    ("lsm.toml", include_str!("../../../../policies/lsm.toml")),
];

/// (profile, description, rule files). `full` also reads every file of `FULL_FILES`.
pub const PROFILES: &[(&str, &str, &[&str])] = &[
    (
    "baseline",
    "The hardening of the kernel described in our reference article: Secure Boot, enforced module \
     signatures, no legacy kexec, signed kexec_file_load, KASLR, hidden kernel pointers, lockdown, \
     struct randomisation and SELinux's runtime switches.",
    BASELINE_FILES,
    ),
    (
        "full",
        "The baseline, plus every check of kernel-hardening-checker's checklist (KSPP, CLIP OS, \
         grsecurity, GrapheneOS, CIS and others) for x86_64, x86_32, arm64, arm and riscv, each \
         judged as kharden judges it (see docs/khc-differences.md).",
        BASELINE_FILES,
    ),
];

const BASELINE_FILES: &[&str] = &[
    "boot.toml",
    "modules.toml",
    "kexec.toml",
    "kaslr.toml",
    "pointers.toml",
    "lockdown.toml",
    "lsm.toml",
];

pub use super::full_files::FULL_FILES;

/// The rule files of a profile, in order.
pub fn profile_files(name: &str) -> Vec<&'static str> {
    let mut files: Vec<&'static str> = PROFILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, f)| f.to_vec())
        .unwrap_or_default();
    if name == "full" {
        files.extend(FULL_FILES.iter().map(|(n, _)| *n));
    }
    files
}

/// The text of a built-in rule file by its name (`kexec.toml`, `full/network-sysctl.toml`).
pub fn file_text(name: &str) -> Option<&'static str> {
    RULE_FILES
        .iter()
        .chain(FULL_FILES.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

pub fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|(n, _, _)| *n).collect()
}

/// Load a built-in profile. Every built-in file is validated by the test suite, so an error
/// here means a broken build; it is still reported, not unwrapped.
pub fn load(name: &str) -> Result<Profile, PolicyError> {
    let Some((pname, description, _)) = PROFILES.iter().find(|(n, _, _)| *n == name) else {
        return Err(PolicyError {
            problems: vec![format!(
                "unknown profile {name:?} (built-in: {})",
                profile_names().join(", ")
            )],
        });
    };
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for file in profile_files(name) {
        let text = file_text(file).unwrap_or("");
        let name = format!("policies/{file}");
        match precompiled(file) {
            Some(defs) => {
                let (r, p) = compile_rules(&name, text, defs);
                rules.extend(r);
                problems.extend(p);
            }
            None => match parse_rules(&name, text) {
                Ok(r) => rules.extend(r),
                Err(e) => problems.extend(e.problems),
            },
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &rules {
        if !seen.insert(r.id.clone()) {
            problems.push(format!("{}: duplicate rule id {:?}", r.file, r.id));
        }
    }
    if !problems.is_empty() {
        return Err(PolicyError { problems });
    }
    Ok(Profile {
        name: pname.to_string(),
        description: description.to_string(),
        rules,
        waivers: Vec::new(),
        today: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What build.rs compiled is what the TOML says: for every built-in rule file, the rules
    /// from the precompiled definitions equal the rules parsed from the text at run time.
    #[test]
    fn precompiled_rules_equal_the_parsed_files() {
        let names: Vec<&str> = RULE_FILES
            .iter()
            .chain(FULL_FILES.iter())
            .map(|(n, _)| *n)
            .collect();
        assert!(names.len() > 15, "{names:?}");
        for name in names {
            let text = file_text(name).unwrap();
            let defs = precompiled(name).unwrap_or_else(|| panic!("{name} was not precompiled"));
            let (fast, problems) = compile_rules(name, text, defs);
            assert!(problems.is_empty(), "{name}: {problems:?}");
            let slow = parse_rules(name, text).unwrap();
            assert!(!slow.is_empty(), "{name} has no rules");
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{name}");
        }
        assert!(precompiled("no-such.toml").is_none());
    }
}
