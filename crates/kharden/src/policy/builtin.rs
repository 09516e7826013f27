//! The built-in rule files and profiles, embedded in the binary. `policies/` in the repository
//! is their single home.

use super::{parse_rules, PolicyError, Profile};

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

/// (profile, description, rule files).
pub const PROFILES: &[(&str, &str, &[&str])] = &[(
    "baseline",
    "The hardening of the kernel described in our reference article: Secure Boot, enforced module \
     signatures, no legacy kexec, signed kexec_file_load, KASLR, hidden kernel pointers, lockdown, \
     struct randomisation and SELinux's runtime switches.",
    &[
        "boot.toml",
        "modules.toml",
        "kexec.toml",
        "kaslr.toml",
        "pointers.toml",
        "lockdown.toml",
        "lsm.toml",
    ],
)];

pub fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|(n, _, _)| *n).collect()
}

/// Load a built-in profile. Every built-in file is validated by the test suite, so an error
/// here means a broken build; it is still reported, not unwrapped.
pub fn load(name: &str) -> Result<Profile, PolicyError> {
    let Some((pname, description, files)) = PROFILES.iter().find(|(n, _, _)| *n == name) else {
        return Err(PolicyError {
            problems: vec![format!(
                "unknown profile {name:?} (built-in: {})",
                profile_names().join(", ")
            )],
        });
    };
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for file in *files {
        let text = RULE_FILES
            .iter()
            .find(|(n, _)| n == file)
            .map(|(_, t)| *t)
            .unwrap_or("");
        match parse_rules(&format!("policies/{file}"), text) {
            Ok(r) => rules.extend(r),
            Err(e) => problems.extend(e.problems),
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
    })
}
