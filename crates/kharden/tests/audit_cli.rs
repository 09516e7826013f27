//! CLI behaviour of `kharden audit`, `rules` and `explain`: exit codes, output contracts, and
//! bad input (one clear line naming the file, exit 2, never a panic).

mod common;

use std::io::Write;

use common::*;

/// `--version` names the version and the commit it was built from (build.rs), as the JSON
/// documents' `generator` does.
#[test]
fn version_names_the_commit() {
    let r = kharden(["--version"]);
    assert_eq!(r.code, 0);
    let v = json(["rules", "--format", "json"]);
    assert_eq!(
        r.stdout,
        format!(
            "kharden {} (commit {})\n",
            env!("CARGO_PKG_VERSION"),
            v["generator"]["commit"].as_str().unwrap()
        )
    );
    // In a git checkout (the test suite's), the commit is HEAD's.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(out) = head.ok().filter(|o| o.status.success()) {
        let head = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(v["generator"]["commit"], head);
    }
}

#[test]
fn exit_status_follows_findings() {
    let r = kharden(common::cloud_audit(&[]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = kharden(common::cloud_audit(&["--exit-zero"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("summary: 8 fail"), "{}", r.stdout);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn human_output_snapshot() {
    let r = kharden([
        "audit",
        "--root",
        &snapshot("deb12-6.1-cloud-default"),
        "--all",
        "-v",
    ]);
    assert_eq!(r.code, 1);
    let out = r
        .stdout
        .replace(&fixtures().to_string_lossy().into_owned(), "<fixtures>");
    insta::assert_snapshot!("human_deb12_6_1_cloud_default", out);
}

#[test]
fn json_output_snapshot_and_contract() {
    let r = kharden([
        "audit",
        "--root",
        &snapshot("deb12-6.12-cloud-ovmf-sb"),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = r
        .stdout
        .replace(&fixtures().to_string_lossy().into_owned(), "<fixtures>");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "kharden.audit/2");
    // What made it: the version and the commit of this build (redacted in the snapshot, as it
    // changes with every commit).
    assert_eq!(v["generator"]["name"], "kharden");
    assert_eq!(v["generator"]["version"], env!("CARGO_PKG_VERSION"));
    let commit = v["generator"]["commit"].as_str().unwrap();
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    let out = out.replace(
        &format!("\"commit\": \"{commit}\""),
        "\"commit\": \"<commit>\"",
    );
    for key in ["kernel", "profile", "sources", "findings", "summary"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let allowed_status = ["pass", "fail", "unknown", "not_applicable"];
    let allowed_source = ["kconfig", "cmdline", "sysctl", "runtime"];
    for f in v["findings"].as_array().unwrap() {
        assert!(allowed_status.contains(&f["status"].as_str().unwrap()));
        assert!(["low", "medium", "high", "critical"].contains(&f["severity"].as_str().unwrap()));
        for e in f["evidence"].as_array().unwrap() {
            assert!(allowed_source.contains(&e["source"].as_str().unwrap()));
            // kharden.audit/2: kconfig keys in the kernel's own spelling, and only those.
            let key = e["key"].as_str().unwrap();
            assert_eq!(e["source"] == "kconfig", key.starts_with("CONFIG_"), "{e}");
            assert!(e["ok"].is_boolean() || e["ok"].is_null());
            assert!(e["actual"].is_string() || e["actual"].is_null());
        }
    }
    for s in v["sources"].as_array().unwrap() {
        assert!(
            ["read", "missing", "unreadable", "not_used"].contains(&s["status"].as_str().unwrap())
        );
    }
    // Secure Boot on under OVMF: Debian's kernel locks itself down and enforces signatures.
    assert_eq!(finding(&v, "secure-boot")["status"], "pass");
    assert_eq!(finding(&v, "lockdown-runtime")["status"], "pass");
    assert_eq!(finding(&v, "module-sig-enforced")["status"], "pass");
    insta::assert_snapshot!("json_deb12_6_12_cloud_ovmf_sb", out);
}

#[test]
fn output_is_deterministic() {
    let a = kharden([
        "audit",
        "--root",
        &snapshot("deb12-6.1-cloud-nokaslr"),
        "--format",
        "json",
    ]);
    let b = kharden([
        "audit",
        "--root",
        &snapshot("deb12-6.1-cloud-nokaslr"),
        "--format",
        "json",
    ]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn cmdline_file_is_parsed_like_the_kernel() {
    let weak = fixtures().join("synthetic/weak.cmdline");
    let v = json([
        "audit",
        "--config",
        &cloud(),
        "--cmdline",
        weak.to_str().unwrap(),
        "--no-live",
        "--format",
        "json",
    ]);
    // nokaslr before `--` counts; lockdown= and module.sig_enforce=1 after `--` do not.
    assert_eq!(finding(&v, "kaslr-config")["status"], "fail");
    assert_eq!(finding(&v, "lockdown-forced")["status"], "fail");
    let lock = &finding(&v, "lockdown-forced")["evidence"][2];
    assert!(
        lock["origin"].as_str().unwrap().contains("after `--`"),
        "{lock}"
    );
    assert_eq!(finding(&v, "module-sig-enforced")["status"], "fail");

    let hard = fixtures().join("synthetic/hardened.cmdline");
    let v = json([
        "audit",
        "--config",
        &cloud(),
        "--cmdline",
        hard.to_str().unwrap(),
        "--no-live",
        "--format",
        "json",
    ]);
    // module.sig-enforce=on: dash spelling and "on" both count; lockdown=none cannot lower integrity.
    assert_eq!(finding(&v, "module-sig-enforced")["status"], "pass");
    assert_eq!(finding(&v, "lockdown-forced")["status"], "pass");
    assert_eq!(finding(&v, "lockdown-runtime")["status"], "pass");
}

#[test]
fn arm64_config_is_judged_offline_without_x86_checks() {
    let arm = fixtures().join("configs/debian12-6.1-arm64.config.xz");
    let v = json([
        "audit",
        "--config",
        arm.to_str().unwrap(),
        "--no-live",
        "--format",
        "json",
    ]);
    assert_eq!(v["kernel"]["arch"], "arm64");
    let keys: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["key"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        !keys
            .iter()
            .any(|k| k == "CONFIG_KEXEC_BZIMAGE_VERIFY_SIG" || k == "CONFIG_RANDOMIZE_MEMORY"),
        "{keys:?}"
    );
}

#[test]
fn rules_and_explain() {
    let r = kharden(["rules"]);
    assert_eq!(r.code, 0);
    for id in [
        "module-sig-enforced",
        "kexec-load-disabled",
        "kaslr-runtime",
        "lockdown-runtime",
        "randstruct",
    ] {
        assert!(r.stdout.contains(id), "{id} missing from rules");
    }
    let r = kharden(["explain", "lockdown-forced"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Why kharden judges it this way"));
    assert!(r
        .stdout
        .contains("CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y"));
    let r = kharden(["explain", "no-such-rule"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no rule \"no-such-rule\""),
        "{}",
        r.stderr
    );
}

/// (name, args, text the one-line error must contain).
fn bad_inputs(dir: &std::path::Path) -> Vec<(&'static str, Vec<String>, String)> {
    let p = |name: &str| dir.join(name).to_string_lossy().into_owned();
    std::fs::write(p("garbage"), b"\x7fELF\x02\x01\x01\0\0\0\0\0binary").unwrap();
    std::fs::write(p("empty"), b"").unwrap();
    std::fs::write(p("prose"), b"hello world\nthis is not a config\n").unwrap();
    let raw = std::fs::read(fixtures().join("configs/debian12-6.1-cloud-amd64.config.xz")).unwrap();
    std::fs::write(p("truncated.xz"), &raw[..raw.len() / 3]).unwrap();
    let mut gz = flate2_gzip(b"CONFIG_A=y\n".repeat(2000).as_slice());
    gz.truncate(gz.len() - 10);
    std::fs::write(p("truncated.gz"), gz).unwrap();
    let mut f = std::fs::File::create(p("longline")).unwrap();
    f.write_all(b"CONFIG_CMDLINE=\"").unwrap();
    f.write_all(&vec![b'a'; 100 << 20]).unwrap();
    f.write_all(b"\"\n").unwrap();
    let mut f = std::fs::File::create(p("mediumline")).unwrap();
    f.write_all(b"CONFIG_CMDLINE=\"").unwrap();
    f.write_all(&vec![b'a'; 1 << 20]).unwrap();
    f.write_all(b"\"\n").unwrap();
    std::os::unix::fs::symlink(p("nowhere"), p("dangling")).unwrap();
    std::fs::write(p("sysctl-garbage"), b"\0\0\0").unwrap();
    let arm = fixtures()
        .join("configs/debian12-6.1-arm64.config.xz")
        .to_string_lossy()
        .into_owned();
    let snap = snapshot("deb12-6.1-cloud-default");
    let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            "missing config",
            a(&["audit", "--no-live", "--config", &p("missing")]),
            format!("{}: not found", p("missing")),
        ),
        (
            "directory",
            a(&["audit", "--no-live", "--config", dir.to_str().unwrap()]),
            "is a directory".into(),
        ),
        (
            "binary",
            a(&["audit", "--no-live", "--config", &p("garbage")]),
            "binary data".into(),
        ),
        (
            "empty",
            a(&["audit", "--no-live", "--config", &p("empty")]),
            "not a kernel config".into(),
        ),
        (
            "prose",
            a(&["audit", "--no-live", "--config", &p("prose")]),
            "not a kernel config".into(),
        ),
        (
            "truncated xz",
            a(&["audit", "--no-live", "--config", &p("truncated.xz")]),
            "xz data is corrupt or truncated".into(),
        ),
        (
            "truncated gz",
            a(&["audit", "--no-live", "--config", &p("truncated.gz")]),
            "gzip data is corrupt or truncated".into(),
        ),
        (
            "100 MB line",
            a(&["audit", "--no-live", "--config", &p("longline")]),
            "file is larger than 64 MiB".into(),
        ),
        (
            "1 MiB line",
            a(&["audit", "--no-live", "--config", &p("mediumline")]),
            "line 1 is longer than 65536 bytes".into(),
        ),
        (
            "dangling symlink",
            a(&["audit", "--no-live", "--config", &p("dangling")]),
            "not found".into(),
        ),
        (
            "fifo-like device",
            a(&["audit", "--no-live", "--config", "/dev/null"]),
            "not a regular file".into(),
        ),
        (
            "sysctl garbage",
            a(&[
                "audit",
                "--no-live",
                "--config",
                &cloud(),
                "--sysctl",
                &p("sysctl-garbage"),
            ]),
            "not sysctl output".into(),
        ),
        (
            "sysctl prose",
            a(&[
                "audit",
                "--no-live",
                "--config",
                &cloud(),
                "--sysctl",
                &p("prose"),
            ]),
            "not the output of `sysctl -a`".into(),
        ),
        (
            "cmdline binary",
            a(&[
                "audit",
                "--no-live",
                "--config",
                &cloud(),
                "--cmdline",
                &p("garbage"),
            ]),
            "binary data".into(),
        ),
        (
            "other arch, live",
            a(&["audit", "--root", &snap, "--config", &arm]),
            "config is for arm64 but the running kernel is x86_64".into(),
        ),
        (
            "root not a dir",
            a(&["audit", "--root", &p("garbage")]),
            "not a directory".into(),
        ),
        (
            "unknown profile",
            a(&["audit", "--profile", "nope"]),
            "unknown profile \"nope\"".into(),
        ),
    ]
}

fn flate2_gzip(data: &[u8]) -> Vec<u8> {
    // A gzip member written with the kernel's own tool is not needed: any valid gzip stream.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d");
    std::fs::write(&p, data).unwrap();
    let out = std::process::Command::new("gzip")
        .arg("-c")
        .arg(&p)
        .output()
        .expect("gzip");
    out.stdout
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args, needle) in bad_inputs(dir.path()) {
        let r = kharden(&args);
        assert_eq!(
            r.code, 2,
            "{name}: exit {} stdout={} stderr={}",
            r.code, r.stdout, r.stderr
        );
        assert!(
            r.stdout.is_empty(),
            "{name}: stdout not empty: {}",
            r.stdout
        );
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(&needle),
            "{name}: {:?} not in {:?}",
            needle,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{name}");
    }
}

#[test]
fn malformed_and_duplicated_lines_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dup.config");
    std::fs::write(&p, "CONFIG_X86_64=y\nCONFIG_MODULES=y\nCONFIG_MODULES=y\nthis is junk\n# CONFIG_KEXEC is not set\n").unwrap();
    let v = json([
        "audit",
        "--no-live",
        "--config",
        p.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let w: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        w.iter()
            .any(|w| w.contains("line 3: CONFIG_MODULES repeated")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("line 4: not a config line")),
        "{w:?}"
    );
}

#[test]
fn missing_live_sources_are_unknown_with_the_reason() {
    // A root with a config but no /proc or /sys: nothing is guessed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("boot")).unwrap();
    let v = json([
        "audit",
        "--root",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(finding(&v, "kptr-restrict")["status"], "unknown");
    assert!(finding(&v, "kptr-restrict")["reason"]
        .as_str()
        .unwrap()
        .contains("no /proc/sys"));
    assert_eq!(finding(&v, "secure-boot")["status"], "unknown");
    let kc = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "kconfig")
        .unwrap();
    assert_eq!(kc["status"], "missing");
}

#[test]
fn help_of_every_command() {
    for args in [
        vec!["--help"],
        vec!["audit", "--help"],
        vec!["rules", "--help"],
        vec!["explain", "--help"],
    ] {
        let r = kharden(&args);
        assert_eq!(r.code, 0, "{args:?}");
        insta::assert_snapshot!(
            format!("help_{}", args.join("_").replace("--", "")),
            r.stdout
        );
    }
}

/// `--no-live` with nothing to judge is a usage error (it once reported `0 fail, 19 unknown`
/// and exited 0: a CI job that forgot its config passed). `fix` shares the inputs and the rule.
#[test]
fn no_live_without_a_source_is_a_usage_error() {
    for cmd in ["audit", "fix"] {
        let r = kharden([cmd, "--no-live"]);
        assert_eq!(r.code, 2, "{cmd}: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{cmd}: {}", r.stdout);
        assert_eq!(r.stderr.lines().count(), 1, "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains("--no-live") && r.stderr.contains("--config FILE"));
    }
    // Any one source is enough.
    let cmdline = fixtures().join("synthetic/hardened.cmdline");
    let r = kharden([
        "audit",
        "--no-live",
        "--cmdline",
        cmdline.to_str().unwrap(),
        "--exit-zero",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// `--fail-on LEVEL`: exit 1 only when a finding of that severity or higher fails; `unknown`
/// also when a finding is unknown. The default (`low`) fails on any failing finding.
#[test]
fn fail_on_sets_the_failing_severity() {
    let snap = snapshot("deb12-6.1-cloud-default");
    let v = json(["audit", "--root", &snap, "--format", "json"]);
    let failing: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    // The snapshot fails rules of every severity but has one unknown (module-sig-all).
    assert!(failing.contains(&"critical") && failing.contains(&"low"));
    let code = |level: &str| kharden(["audit", "--root", &snap, "--fail-on", level]).code;
    for level in ["low", "medium", "high", "critical", "unknown"] {
        assert_eq!(code(level), 1, "{level}");
    }
    assert_eq!(kharden(["audit", "--root", &snap]).code, 1);
    // The hardened kernel: lockdown integrity and sig_enforce; what still fails is below
    // critical, and nothing fails at `critical`.
    let hard = snapshot("deb12-6.12-cloud-ovmf-sb");
    let v = json(["audit", "--root", &hard, "--format", "json"]);
    let worst = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["severity"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert!(
        !worst.is_empty() && !worst.contains(&"critical"),
        "{worst:?}"
    );
    assert_eq!(
        kharden(["audit", "--root", &hard, "--fail-on", "critical"]).code,
        0
    );
    // Offline with only a command line: nothing fails, but most is unknown.
    let cmdline = fixtures().join("synthetic/hardened.cmdline");
    let c = cmdline.to_str().unwrap();
    let r = kharden([
        "audit",
        "--no-live",
        "--cmdline",
        c,
        "--fail-on",
        "critical",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = kharden(["audit", "--no-live", "--cmdline", c, "--fail-on", "unknown"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = kharden(["audit", "--root", &snap, "--fail-on", "severe"]);
    assert_eq!(r.code, 2);
}

/// `explain` with an id the profile lacks: the closest id (a typo), or the profile that has it.
#[test]
fn explain_suggests_the_closest_id_and_the_profile_that_has_it() {
    let cases = [
        (
            "kptr-restrit",
            "no rule \"kptr-restrit\" in profile baseline; did you mean kptr-restrict?",
        ),
        (
            "cmdline-nosmt",
            "no rule \"cmdline-nosmt\" in profile baseline; it is in profile full: kharden explain cmdline-nosmt --profile full",
        ),
        (
            "cmdline-nosm",
            "no rule \"cmdline-nosm\" in profile baseline; did you mean cmdline-nosmt (profile full: kharden explain cmdline-nosmt --profile full)?",
        ),
        (
            "no-such-thing-at-all",
            "no rule \"no-such-thing-at-all\" in profile baseline; see `kharden rules`",
        ),
    ];
    for (id, said) in cases {
        let r = kharden(["explain", id]);
        assert_eq!(r.code, 2, "{id}");
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr, format!("kharden: error: {said}\n"), "{id}");
    }
    // The suggestion works: the id it names exists where it says.
    let r = kharden(["explain", "cmdline-nosmt", "--profile", "full"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// `-q` and `--color` are global: given before or after any command. `-q` leaves only errors on
/// stderr; `--color always|never` decides colour whatever the terminal (NO_COLOR only changes
/// `auto`).
#[test]
fn quiet_and_color_are_global() {
    let snap = snapshot("deb12-6.1-cloud-default");
    let r = kharden(["audit", "--root", &snap, "--color", "always"]);
    assert!(r.stdout.contains("\x1b["), "{}", r.stdout);
    for args in [
        vec!["--color", "never", "audit", "--root", &snap],
        vec!["audit", "--root", &snap],
    ] {
        let r = kharden(&args);
        assert!(!r.stdout.contains('\x1b'), "{args:?}");
    }
    for cmd in [
        vec!["rules"],
        vec!["explain", "kptr-restrict"],
        vec!["modsign", "inspect", "--help"],
    ] {
        for flags in [["--color", "never"], ["-q", "--color=always"]] {
            let mut args = cmd.clone();
            args.extend(flags);
            let r = kharden(&args);
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        }
    }
    // A note on stderr (sign-tree says it makes a key in memory), gone with -q; the result
    // on stdout stays.
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    let module = fixtures().join("../../../modsig/tests/fixtures/crc7.unsigned.ko");
    std::fs::copy(&module, tree.join("crc7.ko")).unwrap();
    let cert = dir.path().join("c.der");
    let t = tree.to_str().unwrap();
    let c = cert.to_str().unwrap();
    let loud = kharden(["modsign", "sign-tree", t, "--cert-out", c]);
    assert_eq!(loud.code, 0, "{}", loud.stderr);
    assert!(loud.stderr.contains("generating"), "{}", loud.stderr);
    std::fs::copy(&module, tree.join("crc7.ko")).unwrap();
    let quiet = kharden(["-q", "modsign", "sign-tree", t, "--cert-out", c]);
    assert_eq!(quiet.code, 0);
    assert_eq!(quiet.stderr, "");
    assert!(!quiet.stdout.is_empty());
}

/// `kharden ARGS` with `input` on standard input: (status, stdout, stderr).
fn with_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kharden"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `-` reads standard input wherever a file is named (config, command line, sysctl dump,
/// policy, certificate), once per command; errors name it `<stdin>`.
#[test]
fn dash_reads_standard_input() {
    let config = std::fs::read(cloud()).unwrap();
    let (code, out, err) = with_stdin(&["audit", "--config", "-", "--no-live"], &config);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("  kconfig  <stdin> [read]: xz format"),
        "{out}"
    );
    let from_file = kharden(common::cloud_audit(&[]));
    assert_eq!(
        out.lines()
            .filter(|l| !l.contains("kconfig "))
            .collect::<Vec<_>>(),
        from_file
            .stdout
            .lines()
            .filter(|l| !l.contains("kconfig "))
            .collect::<Vec<_>>()
    );
    let (code, out, err) = with_stdin(&["audit", "--config", "-", "--no-live"], b"garbage\n");
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "kharden: error: <stdin>: no CONFIG_ lines found: not a kernel config\n"
    );
    let cmdline = std::fs::read(fixtures().join("synthetic/hardened.cmdline")).unwrap();
    let (code, out, _) = with_stdin(
        &["audit", "--cmdline", "-", "--no-live", "--exit-zero"],
        &cmdline,
    );
    assert_eq!(code, 0);
    assert!(out.contains("  cmdline  <stdin> [read]"), "{out}");
    // A policy, with its problems placed in <stdin>.
    let (code, out, _) = with_stdin(&["rules", "--policy", "-"], b"drop = [\"randstruct\"]\n");
    assert_eq!(code, 0);
    assert!(!out.contains("randstruct"));
    let (code, _, err) = with_stdin(&["rules", "--policy", "-"], b"drop = [1]\n");
    assert_eq!(code, 2);
    assert!(err.starts_with("kharden: error: <stdin>:1:9: "), "{err}");
    // A certificate.
    let modsig = fixtures().join("../../../modsig/tests/fixtures");
    let cert = std::fs::read(modsig.join("rsa4096_cert.pem")).unwrap();
    let module = modsig.join("crc7.rsa4096.sha256.ko");
    let (code, out, err) = with_stdin(
        &["modsign", "verify", "--cert", "-", module.to_str().unwrap()],
        &cert,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "1 modules: 1 valid\n");
    // Standard input can be read once.
    let (code, out, err) = with_stdin(
        &["audit", "--config", "-", "--policy", "-", "--no-live"],
        &config,
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("standard input (-) can be read once"), "{err}");
}

/// `explain --format json`: the rule as `rules --format json` lists it, and its waivers with
/// whether they have expired.
#[test]
fn explain_has_a_json_format() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("w.toml");
    std::fs::write(
        &policy,
        "[[waiver]]\nrule = \"kptr-restrict\"\nreason = \"perf team\"\nexpires = 2020-01-01\n",
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let v = json([
        "explain",
        "kptr-restrict",
        "--format",
        "json",
        "--policy",
        p,
    ]);
    assert_eq!(v["schema"], "kharden.explain/1");
    let rules = json(["rules", "--format", "json"]);
    let listed = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "kptr-restrict")
        .unwrap();
    assert_eq!(&v["rule"], listed);
    assert_eq!(
        v["waivers"],
        serde_json::json!([{"at": format!("{p}:1:1"), "expired": true,
                             "expires": "2020-01-01", "reason": "perf team"}])
    );
    let v = json([
        "explain",
        "kptr-restrict",
        "--format",
        "json",
        "--policy",
        p,
        "--today",
        "2019-12-31",
    ]);
    assert_eq!(v["waivers"][0]["expired"], false);
    assert_eq!(v["today_override"], "2019-12-31");
}
