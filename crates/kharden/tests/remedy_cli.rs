//! `kharden fix`, `apply` and `diff`: generated files, the one-way apply in temporary roots
//! (never the host), idempotence, refusals, and comparisons.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// A writable copy of a captured snapshot (the fixtures stay untouched).
fn live_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("snapshots").join(name), dir.path());
    dir
}

#[test]
fn fix_emits_only_what_is_missing() {
    let r = kharden(common::on_cloud("fix", &[]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("# ==> kharden.config"));
    assert!(out.contains("CONFIG_MODULE_SIG_FORCE=y\n"));
    assert!(out.contains("# CONFIG_KEXEC is not set\n"));
    assert!(out.contains("CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y\n"));
    // Already set in Debian's config: not repeated.
    assert!(!out.contains("CONFIG_KEXEC_SIG=y\n"), "{out}");
    assert!(out.contains("# ==> 99-kharden.conf (/etc/sysctl.d/99-kharden.conf)"));
    assert!(out.contains("# kharden: kptr-restrict\nkernel.kptr_restrict = 1\n"));
    assert!(out.contains("+module.sig_enforce=1"));
    assert!(out.contains(
        "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX module.sig_enforce=1 lockdown=integrity\""
    ));

    let r = kharden(common::on_cloud(
        "fix",
        &["--emit", "sysctl", "--all-rules"],
    ));
    assert!(!r.stdout.contains("kharden.config"));
    assert!(r.stdout.contains("kernel.dmesg_restrict = 1"));
}

#[test]
fn fix_out_writes_files_that_parse_back() {
    let dir = tempfile::tempdir().unwrap();
    let r = kharden(common::on_cloud(
        "fix",
        &["--out", dir.path().to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "99-kharden.conf",
            "kharden-cmdline.txt",
            "kharden.cfg",
            "kharden.config"
        ]
    );
    // The sysctl file is accepted by kharden's own `sysctl -a`-style reader...
    let conf = dir.path().join("99-kharden.conf");
    let v = json([
        "audit",
        "--config",
        &cloud(),
        "--sysctl",
        conf.to_str().unwrap(),
        "--no-live",
        "--format",
        "json",
    ]);
    assert_eq!(finding(&v, "kptr-restrict")["status"], "pass");
    assert_eq!(finding(&v, "kexec-load-disabled")["status"], "pass");
    // ...and the fragment, merged over the config, makes the kconfig rules pass.
    let merged = merged_config(
        dir.path(),
        Path::new(&cloud()),
        &dir.path().join("kharden.config"),
    );
    let v = json([
        "audit",
        "--config",
        merged.to_str().unwrap(),
        "--no-live",
        "--format",
        "json",
    ]);
    for id in [
        "module-sig-enforced",
        "kexec-file-sig-enforced",
        "lockdown-forced",
        "randstruct",
        "selinux-develop-off",
    ] {
        assert_eq!(finding(&v, id)["status"], "pass", "{id}");
    }
}

#[test]
fn fix_out_refuses_bad_destinations_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let r = kharden(common::on_cloud(
        "fix",
        &["--out", missing.to_str().unwrap()],
    ));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot use as --out: not found\n"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("os error"), "{}", r.stderr);
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let r = kharden(common::on_cloud("fix", &["--out", file.to_str().unwrap()]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--out is not a directory"),
        "{}",
        r.stderr
    );
    // Read-only directory (skipped as root, which ignores permissions).
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(ro.join("probe"), "x").is_err() {
        let r = kharden(common::on_cloud("fix", &["--out", ro.to_str().unwrap()]));
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
        assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
    }
}

#[test]
fn apply_raises_only_and_is_idempotent() {
    let root = live_copy("deb12-6.1-cloud-default");
    let r = root.path().to_str().unwrap().to_string();
    std::fs::create_dir_all(root.path().join("etc/sysctl.d")).unwrap();

    // Dry run: nothing changes.
    let before =
        std::fs::read_to_string(root.path().join("proc/sys/kernel/kptr_restrict")).unwrap();
    let out = kharden(["apply", "--root", &r]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("would do"));
    assert!(out.stdout.contains("readiness:"));
    assert_eq!(
        std::fs::read_to_string(root.path().join("proc/sys/kernel/kptr_restrict")).unwrap(),
        before
    );
    assert!(!root.path().join("etc/sysctl.d/99-kharden.conf").exists());

    // --yes: reversible steps only.
    let out = kharden(["apply", "--root", &r, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        std::fs::read_to_string(root.path().join("proc/sys/kernel/kptr_restrict"))
            .unwrap()
            .trim(),
        "1"
    );
    assert!(
        out.stdout.contains("needs --allow-irreversible"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("sys/kernel/security/lockdown"))
            .unwrap()
            .trim(),
        "[none] integrity confidentiality"
    );
    let conf = std::fs::read_to_string(root.path().join("etc/sysctl.d/99-kharden.conf")).unwrap();
    assert!(conf.contains("kernel.kptr_restrict = 1\n"), "{conf}");
    assert!(
        !conf.contains("kexec_load_disabled"),
        "irreversible values are not persisted: {conf}"
    );

    // Second run: nothing left to do.
    let out = kharden(["apply", "--root", &r, "--yes"]);
    assert!(out.stdout.contains("0 done"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("kptr_restrict"),
        "kptr-restrict passes now: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("left alone (up to date)"),
        "{}",
        out.stdout
    );

    // --allow-irreversible: lockdown and sig_enforce are raised and read back.
    let out = kharden(["apply", "--root", &r, "--yes", "--allow-irreversible"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        std::fs::read_to_string(root.path().join("sys/kernel/security/lockdown"))
            .unwrap()
            .trim(),
        "integrity"
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("sys/module/module/parameters/sig_enforce"))
            .unwrap()
            .trim(),
        "1"
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("proc/sys/kernel/kexec_load_disabled"))
            .unwrap()
            .trim(),
        "1"
    );
}

#[test]
fn apply_reports_what_it_could_not_do() {
    // No /etc/sysctl.d: the runtime step happens, the persistent one fails with a clear reason.
    let root = live_copy("deb12-6.1-cloud-default");
    let r = root.path().to_str().unwrap().to_string();
    let out = kharden(["apply", "--root", &r, "--yes"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("FAILED: /etc/sysctl.d does not exist"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 done, 1 failed"), "{}", out.stdout);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(root.path().join("proc/sys/kernel/kptr_restrict"))
            .unwrap()
            .trim(),
        "1"
    );

    // Once the directory exists, a re-run writes the file although the runtime value already
    // holds: the persistent setting is not forgotten after a failed write.
    std::fs::create_dir_all(root.path().join("etc/sysctl.d")).unwrap();
    let out = kharden(["apply", "--root", &r, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let conf = std::fs::read_to_string(root.path().join("etc/sysctl.d/99-kharden.conf")).unwrap();
    assert!(conf.contains("kernel.kptr_restrict = 1\n"), "{conf}");
    // A stricter value set by someone else is persisted as it is, never lowered.
    std::fs::write(root.path().join("proc/sys/kernel/kptr_restrict"), "2\n").unwrap();
    std::fs::remove_file(root.path().join("etc/sysctl.d/99-kharden.conf")).unwrap();
    kharden(["apply", "--root", &r, "--yes"]);
    let conf = std::fs::read_to_string(root.path().join("etc/sysctl.d/99-kharden.conf")).unwrap();
    assert!(conf.contains("kernel.kptr_restrict = 2\n"), "{conf}");

    // A root without /proc/sys.
    let empty = tempfile::tempdir().unwrap();
    let out = kharden(["apply", "--root", empty.path().to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no /proc/sys under this root"),
        "{}",
        out.stderr
    );
}

#[test]
fn apply_states_what_enforcement_breaks_on_this_host() {
    let root = live_copy("deb12-6.1-cloud-default");
    let rel = "6.1.0-56-cloud-amd64";
    let mods = root.path().join(format!("lib/modules/{rel}/updates/dkms"));
    std::fs::create_dir_all(&mods).unwrap();
    std::fs::write(mods.join("vboxdrv.ko"), b"\x7fELF unsigned module").unwrap();
    let signed = mods.join("signed.ko");
    std::fs::write(&signed, b"\x7fELF...~Module signature appended~\n").unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/dkms")).unwrap();
    std::fs::create_dir_all(root.path().join("etc/default")).unwrap();
    std::fs::write(root.path().join("etc/default/kdump-tools"), "USE_KDUMP=1\n").unwrap();
    let out = kharden(["apply", "--root", root.path().to_str().unwrap()]);
    // The one-way steps carry the readiness of their rules: each blocker named, with its
    // consequence and way out (the module tree against the running image's certificates).
    for shown in [
        "readiness: blocked",
        "- /lib/modules/6.1.0-56-cloud-amd64/updates/dkms/vboxdrv.ko: unsigned [unsigned-module]",
        "- /lib/modules/6.1.0-56-cloud-amd64/updates/dkms/signed.ko: malformed",
        "breaks: refused when loaded",
        "- kdump-tools loads its crash kernel with kexec_load, without -s (/etc/default/kdump-tools: no KDUMP_KEXEC_ARGS) [kexec-load]",
        "way out: switch to kexec_file_load",
        // kexec_load_disabled refuses both system calls: any kdump user is a blocker.
        "- kdump-tools loads a crash kernel at boot (/etc/default/kdump-tools: no KDUMP_KEXEC_ARGS) [kexec-user]",
    ] {
        assert!(out.stdout.contains(shown), "{shown:?} missing:\n{}", out.stdout);
    }
}

#[test]
fn diff_shows_flips_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let hardened = merged_config(
        dir.path(),
        Path::new(&cloud()),
        &fixtures().join("synthetic/article.fragment"),
    );
    let r = kharden(["diff", &cloud(), hardened.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let flips: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    ") && l.contains(" -> "))
        .collect();
    assert!(
        flips
            .iter()
            .any(|l| l.contains("module-sig-enforced") && l.contains(" fail -> pass ")),
        "{}",
        r.stdout
    );
    // One column for every flip: "unknown -> pass" lines up with "fail -> pass".
    let arrows: std::collections::BTreeSet<usize> =
        flips.iter().map(|l| l.find(" -> ").unwrap()).collect();
    assert_eq!(arrows.len(), 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("CONFIG_MODULE_SIG_FORCE: is not set -> y"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("CONFIG_KEXEC: y -> is not set"),
        "{}",
        r.stdout
    );
    // The other way round is a regression: exit 1.
    let r = kharden([
        "diff",
        hardened.to_str().unwrap(),
        &cloud(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["schema"], "kharden.diff/2");
    assert!(v["regressions"].as_u64().unwrap() >= 6);
    // kconfig keys in the kernel's own spelling, as the human output writes them.
    let options: Vec<&serde_json::Value> = v["areas"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|a| a["options"].as_array().unwrap())
        .collect();
    assert!(options
        .iter()
        .any(|o| o["source"] == "kconfig" && o["key"] == "CONFIG_KEXEC"));
    for o in &options {
        let key = o["key"].as_str().unwrap();
        assert_eq!(o["source"] == "kconfig", key.starts_with("CONFIG_"), "{o}");
    }
    // Two snapshot roots.
    let a = fixtures().join("snapshots/deb12-6.1-cloud-default");
    let b = fixtures().join("snapshots/deb12-6.1-cloud-integrity-sigenforce");
    let r = kharden(["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(
        r.stdout.contains("lockdown-runtime           fail -> pass"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("cmdline module.sig_enforce: - -> 1"),
        "{}",
        r.stdout
    );
}

/// The step of a `kharden.apply/1` document that acts on `target`.
fn step<'a>(v: &'a serde_json::Value, target: &str) -> &'a serde_json::Value {
    let steps = v["steps"].as_array().expect("steps");
    let found = steps.iter().find(|s| s["target"] == target);
    found.unwrap_or_else(|| panic!("no step for {target}: {v}"))
}

#[test]
fn apply_shows_what_it_read_from_the_root_escaped() {
    // A hostile root: module names with terminal escapes, on disk and in /proc/modules. They
    // reached the terminal raw before the plan was rendered by report::apply.
    let root = live_copy("deb12-6.1-cloud-default");
    let r = root.path().to_str().unwrap().to_string();
    let mods = root.path().join("lib/modules/6.1.0-56-cloud-amd64/extra");
    std::fs::create_dir_all(&mods).unwrap();
    std::fs::write(mods.join("evil\x1b]0;owned\x07.ko"), b"\x7fELF unsigned").unwrap();
    std::fs::write(
        root.path().join("proc/modules"),
        "evil\x1b[2J 16384 0 - Live 0x0 (OE)\n",
    )
    .unwrap();
    let out = kharden(["apply", "--root", &r]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stdout.contains(['\x1b', '\x07']),
        "raw control characters on stdout: {:?}",
        out.stdout
    );
    for shown in [
        "/extra/evil\\x1b]0;owned\\x07.ko: unsigned",
        "module evil\\x1b[2J (loaded, taint E in /proc/modules)",
    ] {
        assert!(
            out.stdout.contains(shown),
            "{shown:?} missing:\n{}",
            out.stdout
        );
    }
    // JSON carries the texts as they are, escaped by JSON's rules.
    let v = json(["apply", "--root", &r, "--format", "json"]);
    let lockdown = step(&v, "/sys/kernel/security/lockdown");
    assert!(lockdown["impact"].as_array().unwrap().iter().any(|i| i
        .as_str()
        .unwrap()
        .contains("evil\x1b]0;owned\x07.ko: unsigned")));
}

#[test]
fn apply_json_is_the_plan_and_its_outcome() {
    let root = live_copy("deb12-6.1-cloud-default");
    let r = root.path().to_str().unwrap().to_string();
    std::fs::create_dir_all(root.path().join("etc/sysctl.d")).unwrap();

    // Dry run: the same steps as the human plan, nothing written.
    let human = kharden(["apply", "--root", &r]).stdout;
    let v = json(["apply", "--root", &r, "--format", "json"]);
    assert_eq!(v["schema"], "kharden.apply/1");
    assert_eq!(v["profile"], "baseline");
    assert_eq!(v["dry_run"], true);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(v["summary"]["steps"], steps.len());
    assert_eq!(
        human
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .count(),
        steps.len(),
        "{human}"
    );
    let kptr = step(&v, "kernel.kptr_restrict");
    assert_eq!(kptr["action"], "sysctl");
    assert_eq!(
        (&kptr["from"], &kptr["to"], &kptr["state"]),
        (&"0".into(), &"1".into(), &"planned".into())
    );
    assert_eq!(kptr["irreversible"], false);
    assert_eq!(kptr["rules"], serde_json::json!(["kptr-restrict"]));
    let lockdown = step(&v, "/sys/kernel/security/lockdown");
    assert_eq!(lockdown["action"], "runtime");
    assert_eq!(lockdown["irreversible"], true);
    assert!(!lockdown["impact"].as_array().unwrap().is_empty());
    let file = step(&v, "/etc/sysctl.d/99-kharden.conf");
    assert_eq!(file["action"], "persist");
    assert_eq!(file["from"], serde_json::Value::Null);
    assert!(file["content"]
        .as_str()
        .unwrap()
        .contains("kernel.kptr_restrict = 1\n"));
    assert!(!root.path().join("etc/sysctl.d/99-kharden.conf").exists());

    // --yes: what was done, what was skipped and why.
    let v = json(["apply", "--root", &r, "--yes", "--format", "json"]);
    assert_eq!(v["dry_run"], false);
    assert_eq!(step(&v, "kernel.kptr_restrict")["state"], "done");
    let lockdown = step(&v, "/sys/kernel/security/lockdown");
    assert_eq!(lockdown["state"], "skipped");
    assert_eq!(
        lockdown["reason"],
        "irreversible until reboot: needs --allow-irreversible"
    );
    assert_eq!(v["summary"]["done"], 2);
    assert_eq!(v["summary"]["failed"], 0);

    // A failed step: the document on stdout, the one-line error on stderr, exit 2.
    std::fs::remove_dir_all(root.path().join("etc/sysctl.d")).unwrap();
    std::fs::write(root.path().join("proc/sys/kernel/kptr_restrict"), "0\n").unwrap();
    let out = kharden(["apply", "--root", &r, "--yes", "--format", "json"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let file = step(&v, "/etc/sysctl.d/99-kharden.conf");
    assert_eq!(file["state"], "failed");
    assert!(file["reason"]
        .as_str()
        .unwrap()
        .contains("/etc/sysctl.d does not exist"));
    assert_eq!(v["summary"]["failed"], 1);
}

#[test]
fn fix_json_holds_the_files_the_human_output_prints() {
    let human = kharden(common::on_cloud("fix", &[])).stdout;
    let v = json(common::on_cloud("fix", &["--format", "json"]));
    assert_eq!(v["schema"], "kharden.fix/1");
    assert_eq!(v["profile"], "baseline");
    assert_eq!(v["written_to"], serde_json::Value::Null);
    let files = v["files"].as_array().unwrap();
    let kinds: Vec<&str> = files.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["kconfig", "sysctl", "cmdline", "grub"]);
    let installed: Vec<&serde_json::Value> = files.iter().map(|f| &f["installed_as"]).collect();
    assert_eq!(
        installed,
        [
            &serde_json::Value::Null,
            &"/etc/sysctl.d/99-kharden.conf".into(),
            &serde_json::Value::Null,
            &"/etc/default/grub.d/kharden.cfg".into()
        ]
    );
    for f in files {
        let header = format!("# ==> {} (", f["name"].as_str().unwrap());
        let at = human.find(&header).unwrap_or_else(|| panic!("{header}"));
        let body = &human[at..].split_once('\n').unwrap().1;
        assert!(body.starts_with(f["text"].as_str().unwrap()), "{human}");
    }

    // --out: the files written are those texts, and the document names the directory.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let w = json(common::on_cloud("fix", &["--out", d, "--format", "json"]));
    assert_eq!(w["written_to"], d);
    assert_eq!(w["files"], v["files"]);
    for f in files {
        let written = std::fs::read_to_string(dir.path().join(f["name"].as_str().unwrap()));
        assert_eq!(written.unwrap(), f["text"].as_str().unwrap());
    }

    // The directory's name is shown escaped on a terminal.
    let odd = dir.path().join("out\x1b[2J");
    std::fs::create_dir(&odd).unwrap();
    let config = cloud();
    let out = kharden([
        "fix".as_ref(),
        "--config".as_ref(),
        config.as_ref(),
        "--no-live".as_ref(),
        "--out".as_ref(),
        odd.as_os_str(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with("out\\x1b[2J\n"), "{:?}", out.stdout);

    // Nothing to fix: an empty list.
    let snap = fixtures().join("snapshots/deb12-6.1-cloud-integrity-sigenforce");
    let args = ["fix", "--root", snap.to_str().unwrap(), "--emit", "cmdline"];
    assert_eq!(kharden(args).stdout, "# nothing to fix\n");
    let v = json(args.iter().copied().chain(["--format", "json"]));
    assert_eq!(v["files"], serde_json::json!([]));
}

#[test]
fn fix_module_sig_key_adds_the_modsign_build_lines_once() {
    let r = kharden(common::on_cloud(
        "fix",
        &["--emit", "kconfig", "--module-sig-key", "certs/kharden.pem"],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in [
        "CONFIG_MODULES=y",
        "CONFIG_MODULE_SIG=y",
        "CONFIG_MODULE_SIG_ALL=y",
        "CONFIG_MODULE_SIG_KEY=\"certs/kharden.pem\"",
    ] {
        assert_eq!(
            r.stdout.lines().filter(|l| *l == line).count(),
            1,
            "{line}:\n{}",
            r.stdout
        );
    }
    // Asked for by a failing rule too: one line, both reasons.
    assert!(r
        .stdout
        .contains("# kharden: module-sig-enforced, modsign-build\nCONFIG_MODULE_SIG_FORCE=y\n"));
    // A path that would break the Kconfig string is refused.
    let r = kharden(common::on_cloud("fix", &["--module-sig-key", "a\"b"]));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("--module-sig-key"), "{}", r.stderr);
}

/// A policy that waives kexec-load-disabled and drops kptr-restrict: `fix` writes nothing for
/// them, `apply` plans nothing for them (not even the one-way kexec_load_disabled), and both say
/// so, in words and in JSON. They once acted on every failing rule, waived or not.
#[test]
fn fix_and_apply_honour_waivers_and_drops() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "drop = [\"kptr-restrict\"]\n\n[[waiver]]\nrule = \"kexec-load-disabled\"\nreason = \"kdump via kexec_load on this fleet\"\nexpires = 2999-01-31\n",
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let base = common::on_cloud("fix", &["--policy", p]);
    let r = kharden(&base);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for absent in [
        "kernel.kexec_load_disabled",
        "kernel.kptr_restrict",
        "# kharden: kexec-load-disabled",
        "# CONFIG_KEXEC is not set",
    ] {
        assert!(!r.stdout.contains(absent), "{absent}:\n{}", r.stdout);
    }
    // The other rules are still fixed.
    assert!(
        r.stdout.contains("CONFIG_MODULE_SIG_FORCE=y"),
        "{}",
        r.stdout
    );
    let said = format!(
        "# left out: kexec-load-disabled is waived ({p}:3:1, until 2999-01-31): kdump via kexec_load on this fleet\n# left out: kptr-restrict is dropped ({p}:1:9)\n"
    );
    assert!(r.stdout.ends_with(&said), "{}", r.stdout);
    // --all-rules does not bring them back.
    let r = kharden(base.iter().copied().chain(["--all-rules"]));
    assert!(
        !r.stdout.contains("kernel.kexec_load_disabled"),
        "{}",
        r.stdout
    );
    let v = json(base.iter().copied().chain(["--format", "json"]));
    let left = v["left_out"].as_array().unwrap();
    assert_eq!(left.len(), 2, "{v}");
    assert_eq!(left[0]["rule"], "kexec-load-disabled");
    assert_eq!(left[0]["why"], "waived");
    assert_eq!(left[0]["expires"], "2999-01-31");
    assert_eq!(left[1]["rule"], "kptr-restrict");
    assert_eq!(left[1]["why"], "dropped");
    for f in v["files"].as_array().unwrap() {
        assert!(!f["text"].as_str().unwrap().contains("kexec_load_disabled"));
    }

    // apply, on a copy of a live snapshot: no kexec_load_disabled step, kptr_restrict not
    // raised (it is 0 there), kexec-load-disabled asks for no lockdown.
    let root = live_copy("deb12-6.1-cloud-default");
    let r = root.path().to_str().unwrap().to_string();
    let v = json(["apply", "--root", &r, "--policy", p, "--format", "json"]);
    let steps = v["steps"].as_array().unwrap();
    assert!(
        !steps
            .iter()
            .any(|s| s["target"] == "kernel.kexec_load_disabled"
                || s["target"] == "kernel.kptr_restrict"),
        "{v}"
    );
    let lockdown = step(&v, "/sys/kernel/security/lockdown");
    assert!(
        !lockdown["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "kexec-load-disabled"),
        "{lockdown}"
    );
    assert_eq!(v["left_out"].as_array().unwrap().len(), 2, "{v}");
    let out = kharden(["apply", "--root", &r, "--policy", p]);
    assert!(
        out.stdout
            .contains("left out: kexec-load-disabled is waived"),
        "{}",
        out.stdout
    );
    // The same policy as the root's own /etc/kharden/policy.toml: honoured too.
    std::fs::create_dir_all(root.path().join("etc/kharden")).unwrap();
    std::fs::copy(&policy, root.path().join("etc/kharden/policy.toml")).unwrap();
    let v = json(["apply", "--root", &r, "--format", "json"]);
    assert!(
        !v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["target"] == "kernel.kexec_load_disabled"),
        "{v}"
    );
}

/// `fix --all-rules` asks only for what the kernel has: on a 6.1 config, nothing of the rules
/// for 6.12 (IPE) or 7.0 (the ML-DSA key type), which `make olddefconfig` would drop or undo.
#[test]
fn all_rules_leave_out_the_rules_this_kernel_is_too_old_for() {
    let all = kharden(common::on_cloud(
        "fix",
        &["--all-rules", "--emit", "kconfig"],
    ));
    assert_eq!(all.code, 0, "{}", all.stderr);
    for absent in [
        "SECURITY_IPE",
        "MODULE_SIG_KEY_TYPE",
        "ipe-built",
        "module-sig-key-type",
    ] {
        assert!(!all.stdout.contains(absent), "{absent}:\n{}", all.stdout);
    }
    // The rules that apply are all there, passing or not.
    assert!(
        all.stdout.contains("CONFIG_MODULE_SIG_FORCE=y"),
        "{}",
        all.stdout
    );
    assert!(
        all.stdout.contains("# kharden: module-sig-hash"),
        "{}",
        all.stdout
    );
}
