// The built-in rule files and how profiles are made of them: plain data, shared with build.rs
// (which compiles every profile into static rules), so both read one list.

use super::full_files::FULL_FILES;

/// (file name, contents) of the baseline's rule files (`policies/*.toml`).
pub const RULE_FILES: &[(&str, &str)] = &[
    ("boot.toml", include_str!("../../policies/boot.toml")),
    ("modules.toml", include_str!("../../policies/modules.toml")),
    ("kexec.toml", include_str!("../../policies/kexec.toml")),
    ("kaslr.toml", include_str!("../../policies/kaslr.toml")),
    (
        "pointers.toml",
        include_str!("../../policies/pointers.toml"),
    ),
    (
        "lockdown.toml",
        include_str!("../../policies/lockdown.toml"),
    ),
    ("lsm.toml", include_str!("../../policies/lsm.toml")),
];

/// (profile, description, rule files). `full` also reads every file of `FULL_FILES`.
pub const PROFILES: &[(&str, &str, &[&str])] = &[
    (
        "baseline",
        "A production kernel's essential hardening: Secure Boot, enforced \
         module signatures, no legacy kexec, signed kexec_file_load, KASLR, hidden kernel \
         pointers, lockdown, struct randomisation and SELinux's runtime switches.",
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
