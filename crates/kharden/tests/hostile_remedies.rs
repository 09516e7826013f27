//! A policy's remedies go into files other programs read and run: a sysctl.d file, a Kconfig
//! fragment, a GRUB drop-in that `update-grub` sources as shell. A policy may come from a
//! snapshot (`<ROOT>/etc/kharden/policy.toml`), so a remedy that could add a line, a comment or
//! a shell command is refused when the policy is loaded: exit 2, the file and position named,
//! nothing written (docs/security.md).

mod common;

use std::fs;
use std::path::Path;

use common::*;

fn rule(source: &str, text: &str) -> String {
    let text = toml_string(text);
    format!(
        "[[rule]]\nid = \"site-x\"\ntitle = \"t\"\narea = \"site\"\nseverity = \"low\"\n\
         rationale = \"r\"\nbreaks = \"b\"\n[rule.check]\nsysctl = \"kernel.sysrq\"\nis = \"0\"\n\
         [[rule.remedy]]\nsource = \"{source}\"\ntext = {text}\n"
    )
}

/// A TOML basic string holding `s` exactly (control characters as \uXXXX escapes).
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const HOSTILE: [(&str, &str); 8] = [
    ("sysctl", "kernel.sysrq = 0\nkernel.modules_disabled = 1"),
    ("sysctl", "kernel.core_pattern = |/tmp/evil"),
    ("kconfig", "CONFIG_X=y\nCONFIG_MODULES=n"),
    ("kconfig", "CONFIG_X=\"\u{1b}[2J\""),
    ("cmdline", "x=$(touch${IFS}/tmp/pwned)"),
    ("cmdline", "x=`id`"),
    ("cmdline", "remove a)"),
    ("cmdline", "init='/tmp/evil'"),
];

#[test]
fn remedies_that_could_inject_lines_or_shell_are_load_errors() {
    let d = tempfile::tempdir().unwrap();
    let config = fixtures().join("configs/debian12-6.1-cloud-amd64.config.xz");
    for (source, text) in HOSTILE {
        let policy = d.path().join("policy.toml");
        fs::write(&policy, rule(source, text)).unwrap();
        for cmd in ["rules", "audit", "fix"] {
            let mut args = vec![cmd.to_string()];
            if cmd != "rules" {
                args.extend([
                    "--config".into(),
                    config.display().to_string(),
                    "--no-live".into(),
                ]);
            }
            args.extend(["--policy".into(), policy.display().to_string()]);
            let r = kharden(&args);
            assert_eq!(
                r.code, 2,
                "{cmd} {source} {text:?}: {}{}",
                r.stdout, r.stderr
            );
            assert!(
                r.stderr.contains(&format!("{}:", policy.display())),
                "{cmd} {text:?}: {}",
                r.stderr
            );
            assert!(!r.stderr.contains('\u{1b}'), "{}", r.stderr);
            assert!(r.stdout.is_empty(), "{cmd}: {}", r.stdout);
        }
    }
}

#[test]
fn a_snapshots_own_policy_cannot_make_fix_write_shell_into_the_grub_dropin() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    copy(&fixtures().join("snapshots/deb12-6.1-cloud-default"), &tree);
    fs::create_dir_all(tree.join("etc/kharden")).unwrap();
    fs::write(
        tree.join("etc/kharden/policy.toml"),
        rule("cmdline", "x=$(touch${IFS}/tmp/pwned)"),
    )
    .unwrap();
    let out = d.path().join("out");
    fs::create_dir(&out).unwrap();
    let r = kharden([
        "fix",
        "--root",
        tree.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0, "files were written");
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &dst);
        } else {
            fs::copy(e.path(), &dst).unwrap();
        }
    }
}
