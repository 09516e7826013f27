//! The rules for the kernels of 2026: the module signing key type (ML-DSA from 7.0), the signing
//! hash by version, IPE built and IPE's policy at run time (the `ipe` runtime fact, read from
//! securityfs on fixture trees: enforcing, permissive, no policy, IPE not running, unreadable,
//! and a snapshot that did not capture it).

mod common;

use std::path::Path;

use common::{finding, fixtures, json, write_file};

/// The status of `id` and, for the `ipe` fact, its value and origin.
fn ipe(report: &serde_json::Value) -> (String, String, String) {
    let f = finding(report, "ipe-policy-enforced");
    let e = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "/sys/kernel/security/ipe")
        .cloned()
        .unwrap_or_default();
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    (s(&f["status"]), s(&e["actual"]), s(&e["origin"]))
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn audit_root(root: &Path) -> serde_json::Value {
    json([
        "audit",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ])
}

/// Debian 12's 6.12 cloud kernel (IPE built, `ipe` in the LSM list) as captured by the test
/// bed, with IPE's securityfs files planted in each state.
#[test]
fn ipe_policy_is_read_from_securityfs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&fixtures().join("snapshots/deb12-6.12-cloud-default"), root);
    let sec = "sys/kernel/security/ipe";

    // The snapshot has no ipe directory although the LSM list names ipe: not "absent".
    let (status, value, origin) = ipe(&audit_root(root));
    assert_eq!(
        (status.as_str(), value.as_str()),
        ("unknown", ""),
        "{origin}"
    );
    let r = audit_root(root);
    let ev = &finding(&r, "ipe-policy-enforced")["evidence"][0];
    assert!(
        ev["origin"]
            .as_str()
            .unwrap_or_default()
            .contains("the LSM list names ipe, but there is no /sys/kernel/security/ipe/policies"),
        "{ev}"
    );

    // IPE running, no policy loaded.
    write_file(root, &format!("{sec}/enforce"), "1");
    std::fs::create_dir_all(root.join(format!("{sec}/policies"))).unwrap();
    let (status, value, _) = ipe(&audit_root(root));
    assert_eq!((status.as_str(), value.as_str()), ("fail", "no_policy"));

    // A policy loaded but not active.
    write_file(root, &format!("{sec}/policies/verity-only/active"), "0\n");
    write_file(
        root,
        &format!("{sec}/policies/verity-only/name"),
        "verity-only\n",
    );
    let (status, value, origin) = ipe(&audit_root(root));
    assert_eq!((status.as_str(), value.as_str()), ("fail", "no_policy"));
    assert!(
        origin.contains("1 polic(ies) loaded, none active"),
        "{origin}"
    );

    // Active and enforced.
    write_file(root, &format!("{sec}/policies/verity-only/active"), "1\n");
    let (status, value, origin) = ipe(&audit_root(root));
    assert_eq!((status.as_str(), value.as_str()), ("pass", "enforcing"));
    assert_eq!(
        origin,
        "/sys/kernel/security/ipe/policies/verity-only/active = 1, /sys/kernel/security/ipe/enforce = 1"
    );

    // Active, permissive.
    write_file(root, &format!("{sec}/enforce"), "0\n");
    let (status, value, origin) = ipe(&audit_root(root));
    assert_eq!((status.as_str(), value.as_str()), ("fail", "permissive"));
    assert!(origin.contains("denials are only audited"), "{origin}");

    // A file that cannot be read (a directory where `active` should be): unknown, with why.
    std::fs::remove_file(root.join(format!("{sec}/policies/verity-only/active"))).unwrap();
    std::fs::create_dir(root.join(format!("{sec}/policies/verity-only/active"))).unwrap();
    let (status, value, _) = ipe(&audit_root(root));
    assert_eq!((status.as_str(), value.as_str()), ("unknown", ""));
    let r = audit_root(root);
    let ev = finding(&r, "ipe-policy-enforced")["evidence"][0]["origin"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        ev.starts_with("/sys/kernel/security/ipe/policies/verity-only/active: "),
        "{ev}"
    );

    // Content the kernel never writes.
    std::fs::remove_dir(root.join(format!("{sec}/policies/verity-only/active"))).unwrap();
    write_file(root, &format!("{sec}/policies/verity-only/active"), "yes\n");
    assert_eq!(ipe(&audit_root(root)).0, "unknown");

    // IPE not among the running LSMs: absent, and the rule fails (no policy can be enforced).
    std::fs::remove_dir_all(root.join(sec)).unwrap();
    write_file(
        root,
        "sys/kernel/security/lsm",
        "lockdown,capability,landlock,yama,apparmor,tomoyo,bpf",
    );
    let (status, value, origin) = ipe(&audit_root(root));
    assert_eq!((status.as_str(), value.as_str()), ("fail", ""));
    assert!(
        origin.contains("ipe is not in the running LSM list"),
        "{origin}"
    );
}

/// A kernel without IPE: the rules do not apply (6.1), and offline the boot policy decides.
#[test]
fn ipe_rules_by_kernel_and_boot_policy() {
    let v = json([
        "audit",
        "--root",
        &common::snapshot("deb12-6.1-cloud-default"),
        "--format",
        "json",
    ]);
    assert_eq!(finding(&v, "ipe-built")["status"], "not_applicable");
    assert_eq!(
        finding(&v, "ipe-policy-enforced")["status"],
        "not_applicable"
    );

    let dir = tempfile::tempdir().unwrap();
    let cfg = |name: &str, extra: &str| {
        write_file(
            dir.path(),
            name,
            &format!(
                "# Linux/x86 7.2.0 Kernel Configuration\nCONFIG_X86_64=y\nCONFIG_64BIT=y\n\
                 CONFIG_SECURITY=y\nCONFIG_SECURITY_IPE=y\nCONFIG_LSM=\"landlock,ipe\"\n{extra}"
            ),
        )
    };
    let offline = |config: &str, cmdline: &str| {
        let c = write_file(dir.path(), "cmdline", cmdline);
        ipe(&json([
            "audit",
            "--no-live",
            "--config",
            config,
            "--cmdline",
            &c,
            "--format",
            "json",
        ]))
    };
    let none = cfg("none.config", "CONFIG_IPE_BOOT_POLICY=\"\"\n");
    assert_eq!(offline(&none, "ro\n").1, "no_policy");
    let boot = cfg(
        "boot.config",
        "CONFIG_IPE_BOOT_POLICY=\"/etc/ipe/boot.pol\"\n",
    );
    assert_eq!(offline(&boot, "ro\n").0, "pass");
    assert_eq!(offline(&boot, "ro\n").1, "enforcing");
    assert_eq!(offline(&boot, "ro ipe.enforce=0\n").1, "permissive");
    // lsm= without ipe: IPE is built but never starts.
    let (status, value, origin) = offline(&boot, "ro lsm=landlock\n");
    assert_eq!((status.as_str(), value.as_str()), ("fail", ""));
    assert!(origin.contains("ipe is not in the LSM list"), "{origin}");
}

/// MODULE_SIG_KEY_TYPE_* on 7.0 and later; not applicable before (no quantum-safe choice).
#[test]
fn module_signing_key_type() {
    let dir = tempfile::tempdir().unwrap();
    let judge = |version: &str, key_type: &str| {
        let mut text = format!(
            "# Linux/x86 {version} Kernel Configuration\nCONFIG_X86_64=y\nCONFIG_64BIT=y\n\
             CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_SHA512=y\n\
             CONFIG_MODULE_SIG_HASH=\"sha512\"\n"
        );
        for t in ["RSA", "ECDSA", "MLDSA_44", "MLDSA_65", "MLDSA_87"] {
            if t == key_type {
                text.push_str(&format!("CONFIG_MODULE_SIG_KEY_TYPE_{t}=y\n"));
            } else {
                text.push_str(&format!("# CONFIG_MODULE_SIG_KEY_TYPE_{t} is not set\n"));
            }
        }
        let c = write_file(dir.path(), "config", &text);
        let v = json(["audit", "--no-live", "--config", &c, "--format", "json"]);
        finding(&v, "module-sig-key-type")["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(judge("7.0.0", "MLDSA_65"), "pass");
    assert_eq!(judge("7.2.13", "MLDSA_87"), "pass");
    assert_eq!(judge("7.0.0", "MLDSA_44"), "fail");
    assert_eq!(judge("7.0.0", "ECDSA"), "fail");
    assert_eq!(judge("7.0.0", "RSA"), "fail");
    assert_eq!(judge("6.19.3", "RSA"), "not_applicable");
    assert_eq!(judge("6.19.3", "ECDSA"), "not_applicable");
}

/// Every committed real config: SHA-1 and SHA-224 fail, every stronger hash passes; kernels
/// before 7.0 are not judged on the key type, later ones pass only with ML-DSA-65 or -87.
#[test]
fn signing_hash_and_key_type_on_real_configs() {
    for cfg in common::configs() {
        let text =
            String::from_utf8(common::pipe("xz", &["-dc"], &std::fs::read(&cfg).unwrap())).unwrap();
        let hash = text
            .lines()
            .find_map(|l| l.strip_prefix("CONFIG_MODULE_SIG_HASH="))
            .map(|h| h.trim_matches('"').to_string());
        let v = json([
            "audit",
            "--no-live",
            "--config",
            cfg.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let status = |id: &str| finding(&v, id)["status"].as_str().unwrap().to_string();
        let name = cfg.file_name().unwrap().to_string_lossy().into_owned();
        let want = match hash.as_deref() {
            None => "not_applicable",
            Some("sha1" | "sha224") => "fail",
            Some(_) => "pass",
        };
        assert_eq!(status("module-sig-hash"), want, "{name}: {hash:?}");
        // The config header's version: "# Linux/x86 7.2.13 Kernel Configuration".
        let major: u32 = text
            .lines()
            .take(5)
            .find_map(|l| l.strip_prefix("# Linux/"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.split('.').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no version in the header"));
        let quantum_safe = ["MLDSA_65", "MLDSA_87"]
            .iter()
            .any(|t| text.contains(&format!("\nCONFIG_MODULE_SIG_KEY_TYPE_{t}=y\n")));
        let want = match (major >= 7, hash.is_some(), quantum_safe) {
            (false, _, _) | (true, false, _) => "not_applicable",
            (true, true, true) => "pass",
            (true, true, false) => "fail",
        };
        assert_eq!(status("module-sig-key-type"), want, "{name}");
    }
}

/// `kharden snapshot` captures IPE's flags (enforce, each policy's active), so an archive of an
/// IPE host audits as the host does; the archive holds the flags, not the policies.
#[test]
fn snapshot_archives_carry_ipe_state() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    copy_tree(
        &fixtures().join("snapshots/deb12-6.12-cloud-default"),
        &root,
    );
    let sec = "sys/kernel/security/ipe";
    write_file(&root, &format!("{sec}/enforce"), "1");
    write_file(&root, &format!("{sec}/policies/verity-only/active"), "1");
    write_file(
        &root,
        &format!("{sec}/policies/verity-only/policy"),
        "policy_name=verity-only\n",
    );
    write_file(&root, &format!("{sec}/policies/spare/active"), "0");
    let archive = dir.path().join("ipe.tar.zst");
    let r = common::kharden([
        "snapshot",
        "--root",
        root.to_str().unwrap(),
        "--out",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let from_tree = audit_root(&root);
    let from_archive = audit_root(&archive);
    assert_eq!(ipe(&from_archive), ipe(&from_tree));
    assert_eq!(ipe(&from_archive).1, "enforcing");
    assert_eq!(from_archive["findings"], from_tree["findings"]);
    let tar = common::pipe("zstd", &["-dc"], &std::fs::read(&archive).unwrap());
    let listed = String::from_utf8(common::pipe("tar", &["-tf", "-"], &tar)).unwrap();
    for want in [
        "sys/kernel/security/ipe/enforce",
        "sys/kernel/security/ipe/policies/verity-only/active",
        "sys/kernel/security/ipe/policies/spare/active",
    ] {
        assert!(listed.lines().any(|l| l == want), "{want} not in\n{listed}");
    }
    assert!(!listed.contains("policies/verity-only/policy"), "{listed}");
}
