//! `audit --format prometheus|sarif|junit|jsonl`, `-o FILE` and `--with-host` (issue 17,
//! docs/exports.md): snapshots of each format from committed snapshot trees, determinism,
//! what the facts of each tree must make of the metrics, the atomic write, and bad `-o`.
//! The real engines (promtool, the SARIF schema, a JUnit XSD) check the same outputs in
//! scripts/exports/check-engines.sh.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// A policy with a dated waiver of a rule that fails on the default trees.
fn waiver_policy(dir: &Path) -> String {
    let p = dir.join("policy.toml");
    std::fs::write(
        &p,
        "[[waiver]]\nrule = \"kptr-restrict\"\nreason = \"perf needs kernel addresses\"\nexpires = 2099-12-31\n",
    )
    .unwrap();
    p.to_string_lossy().into_owned()
}

fn audit(tree: &str, extra: &[&str]) -> Run {
    let root = snapshot(tree);
    let mut args = vec!["audit", "--root", &root];
    args.extend_from_slice(extra);
    let r = kharden(&args);
    assert!(
        r.code <= 1,
        "{tree} {extra:?}: exit {}: {}",
        r.code,
        r.stderr
    );
    r
}

fn without_fixtures(text: &str) -> String {
    text.replace(&fixtures().to_string_lossy().into_owned(), "<fixtures>")
}

#[test]
fn prometheus_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let policy = waiver_policy(dir.path());
    let r = audit(
        "deb12-6.1-cloud-default",
        &["--format", "prometheus", "--policy", &policy],
    );
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    insta::assert_snapshot!("prometheus_deb12_6_1_cloud_default_waived", r.stdout);
}

#[test]
fn sarif_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let policy = waiver_policy(dir.path());
    let r = audit(
        "deb12-6.1-cloud-default",
        &["--format", "sarif", "--policy", &policy],
    );
    insta::assert_snapshot!(
        "sarif_deb12_6_1_cloud_default_waived",
        without_fixtures(&r.stdout)
    );
}

#[test]
fn junit_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let policy = waiver_policy(dir.path());
    let r = audit(
        "deb12-6.12-cloud-ovmf-sb",
        &["--format", "junit", "--policy", &policy],
    );
    insta::assert_snapshot!(
        "junit_deb12_6_12_cloud_ovmf_sb_waived",
        without_fixtures(&r.stdout)
    );
}

#[test]
fn jsonl_snapshot() {
    let r = audit(
        "deb12-6.1-cloud-integrity-sigenforce",
        &["--format", "jsonl"],
    );
    insta::assert_snapshot!(
        "jsonl_deb12_6_1_cloud_integrity_sigenforce",
        without_fixtures(&r.stdout)
    );
}

/// Without --with-host every format is a function of the inputs: two runs, same bytes; and no
/// format carries the time (json's `generator` names the build: the same for both runs).
#[test]
fn deterministic_without_with_host() {
    for fmt in ["prometheus", "sarif", "junit", "jsonl", "json"] {
        let a = audit("deb12-6.12-cloud-default", &["--format", fmt]);
        let b = audit("deb12-6.12-cloud-default", &["--format", fmt]);
        assert_eq!(a.stdout, b.stdout, "{fmt}");
        assert!(!a.stdout.contains("boot_id"), "{fmt}");
        assert!(!a.stdout.contains("timestamp_seconds"), "{fmt}");
    }
}

/// --with-host adds the snapshot's boot id and host name, the time and the version to json,
/// jsonl and prometheus.
#[test]
fn with_host_adds_metadata() {
    let tree = "deb12-6.1-cloud-default";
    let boot_id =
        std::fs::read_to_string(Path::new(&snapshot(tree)).join("proc/sys/kernel/random/boot_id"))
            .unwrap();
    let boot_id = boot_id.trim();
    let version = env!("CARGO_PKG_VERSION");

    let r = audit(tree, &["--format", "json", "--with-host"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["host"]["boot_id"], boot_id);
    assert_eq!(v["host"]["kharden_version"], version);
    assert!(v["host"]["time"].as_str().unwrap().ends_with('Z'));

    let r = audit(tree, &["--format", "jsonl", "--with-host"]);
    for line in r.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["host"]["boot_id"], boot_id);
        assert_eq!(v["schema"], "kharden.finding/1");
    }

    let r = audit(tree, &["--format", "prometheus", "--with-host"]);
    assert!(r.stdout.contains(&format!(
        "kharden_host_info{{hostname=\"(none)\",boot_id=\"{boot_id}\",version=\"{version}\"}} 1\n"
    )));
    let ts = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("kharden_audit_timestamp_seconds "))
        .expect("timestamp with --with-host");
    assert!(ts.parse::<u64>().unwrap() > 1_700_000_000);
}

/// The value of an unlabelled gauge.
fn gauge<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The metrics fleets alert on say what the test bed observed in each booted kernel
/// (OBSERVED) and what the tree holds (the taint mask), and every textfile keeps the textfile rules: each family's HELP and TYPE once,
/// each series once, no timestamps, a final newline, one rule_status per finding.
#[test]
fn prometheus_metrics_follow_each_tree() {
    for tree in snapshots() {
        let name = tree.file_name().unwrap().to_string_lossy().into_owned();
        let obs = observed(&tree);
        let out = audit(&name, &["--format", "prometheus"]).stdout;
        let lockdown = match obs["lockdown"].as_str() {
            "none" => "0",
            "integrity" => "1",
            "confidentiality" => "2",
            other => panic!("{other}"),
        };
        assert_eq!(gauge(&out, "kharden_lockdown_level"), lockdown, "{name}");
        let enforced = if obs["sig_enforce"] == "Y" { "1" } else { "0" };
        assert_eq!(
            gauge(&out, "kharden_module_sig_enforced"),
            enforced,
            "{name}"
        );
        let tainted: u64 = std::fs::read_to_string(tree.join("proc/sys/kernel/tainted"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(
            gauge(&out, "kharden_kernel_tainted"),
            tainted.to_string(),
            "{name}"
        );
        let unsigned = if tainted & (1 << 13) != 0 { "1" } else { "0" };
        assert_eq!(
            gauge(&out, "kharden_unsigned_module_loaded"),
            unsigned,
            "{name}"
        );

        assert!(out.ends_with('\n'));
        let mut families = BTreeSet::new();
        let mut series = BTreeSet::new();
        let mut current = String::new();
        for line in out.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                current = rest.split(' ').next().unwrap().to_string();
                assert!(families.insert(current.clone()), "{name}: {current} twice");
            } else if !line.starts_with('#') {
                let (metric, value) = line.rsplit_once(' ').unwrap();
                assert!(metric.starts_with(&current), "{name}: {line}");
                assert!(value.parse::<f64>().is_ok(), "{name}: {line}");
                assert!(series.insert(metric.to_string()), "{name}: {metric} twice");
            }
        }
        let json = json([
            "audit",
            "--root",
            tree.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let findings = json["findings"].as_array().unwrap().len();
        let statuses = out
            .lines()
            .filter(|l| l.starts_with("kharden_rule_status{"))
            .count();
        assert_eq!(statuses, findings, "{name}");
    }
}

/// `-o FILE` writes the same bytes as stdout, atomically (no temporary left, mode 0644,
/// a symlink planted at the name is replaced, not followed).
#[test]
fn output_file_is_written_atomically() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kharden.prom");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    let to_stdout = audit("deb12-6.1-cloud-default", &["--format", "prometheus"]).stdout;
    let r = audit(
        "deb12-6.1-cloud-default",
        &["--format", "prometheus", "-o", out.to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "the audit's status, as without -o");
    assert!(r.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), to_stdout);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    let meta = std::fs::symlink_metadata(&out).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn output_into_a_missing_directory_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no/such/dir/k.sarif");
    let r = kharden([
        "audit",
        "--root",
        &snapshot("deb12-6.1-cloud-default"),
        "--format",
        "sarif",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("k.sarif"), "{}", r.stderr);
}

/// SARIF for the CI use (`audit --config .config --no-live`): results point at the line of the
/// config, relative to the checkout, and fingerprints do not move when lines do.
#[test]
fn sarif_points_at_config_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = "CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\n# CONFIG_MODULE_SIG_FORCE is not set\nCONFIG_KEXEC=y\n";
    std::fs::write(dir.path().join(".config"), text).unwrap();
    let run = |dir: &Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kharden"))
            .args([
                "audit",
                "--config",
                ".config",
                "--no-live",
                "--format",
                "sarif",
            ])
            .current_dir(dir)
            .env_clear()
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let log = run(dir.path());
    let results = log["runs"][0]["results"].as_array().unwrap();
    let sig = results
        .iter()
        .find(|r| r["ruleId"] == "module-sig-enforced")
        .expect("module-sig-enforced fails");
    let loc = &sig["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], ".config");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 3);
    let fp = sig["partialFingerprints"]["kharden/v1"].clone();

    std::fs::write(dir.path().join(".config"), format!("#\n#\n{text}")).unwrap();
    let log = run(dir.path());
    let sig = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "module-sig-enforced")
        .unwrap()
        .clone();
    assert_eq!(
        sig["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert_eq!(sig["partialFingerprints"]["kharden/v1"], fp);
    // Every rule of the profile has a descriptor with help text; ruleIndex points at it.
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in log["runs"][0]["results"].as_array().unwrap() {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(!rules[i]["help"]["text"].as_str().unwrap().is_empty());
    }
}

/// Every `kharden` command of docs/exports.md runs against the committed fixtures (in a
/// temporary directory, where its `-o` files land), and the Prometheus sample there is real
/// output, line for line.
#[test]
fn docs_commands_run() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(repo.join("docs/exports.md")).unwrap();
    let block = |lang: &str| -> Vec<String> {
        let start = doc.find(&format!("```{lang}\n")).unwrap() + lang.len() + 4;
        let end = start + doc[start..].find("```").unwrap();
        doc[start..end].lines().map(str::to_string).collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let fixtures_rel = "crates/kharden/tests/fixtures";
    let commands = block("sh");
    assert!(commands.len() >= 4);
    for cmd in &commands {
        let args: Vec<String> = cmd
            .split_whitespace()
            .skip(1)
            .map(|a| a.replace(fixtures_rel, &fixtures().to_string_lossy()))
            .collect();
        assert!(cmd.starts_with("kharden audit "), "{cmd}");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kharden"))
            .args(&args)
            .current_dir(dir.path())
            .env_clear()
            .output()
            .unwrap();
        assert!(out.status.code().unwrap() <= 1, "{cmd}");
        assert!(
            out.stderr.is_empty(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let written = std::fs::read_to_string(dir.path().join("kharden.prom")).unwrap();
    for line in block("prometheus") {
        assert!(
            written.lines().any(|l| l == line),
            "docs/exports.md: not in the real output: {line}"
        );
    }
    assert!(dir.path().join("kharden.sarif").exists());
    assert!(dir.path().join("kharden-junit.xml").exists());
}

/// `--format html` (audit) and `fleet --format html`: one self-contained page (no URL, no
/// src/href, a CSP that forbids every request), summary first, failures by severity with
/// evidence, fix and what it breaks, waivers with expiry; deterministic. Chromium renders them
/// in scripts/exports/check-html.sh.
#[test]
fn html_pages() {
    let dir = tempfile::tempdir().unwrap();
    let policy = waiver_policy(dir.path());
    let host = audit(
        "deb12-6.1-cloud-default",
        &["--format", "html", "--policy", &policy],
    )
    .stdout;
    let again = audit(
        "deb12-6.1-cloud-default",
        &["--format", "html", "--policy", &policy],
    )
    .stdout;
    assert_eq!(host, again);
    let fleet = kharden([
        "fleet",
        "--format",
        "html",
        &fixtures().join("snapshots").to_string_lossy(),
    ]);
    assert_eq!(fleet.code, 1, "{}", fleet.stderr);
    for page in [&host, &fleet.stdout] {
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains(
            "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\""
        ));
        for bad in ["http://", "https://", "src=", "href=", "@import", "url("] {
            assert!(!page.contains(bad), "{bad}");
        }
    }
    let pos = |t: &str| host.find(t).unwrap_or_else(|| panic!("no {t}"));
    assert!(pos("<h2>Summary</h2>") < pos("<h2>Failures (8)</h2>"));
    assert!(pos("<h2>Failures (8)</h2>") < pos("<h2>Waivers (1)</h2>"));
    // Critical before high before medium before low.
    assert!(pos("id=\"rule-lockdown-runtime\"") < pos("id=\"rule-secure-boot\""));
    assert!(pos("id=\"rule-secure-boot\"") < pos("id=\"rule-selinux-develop-off\""));
    assert!(pos("id=\"rule-selinux-develop-off\"") < pos("id=\"rule-randstruct\""));
    assert!(host.contains("what the fix may break"));
    assert!(host.contains("<td>2099-12-31</td><td>perf needs kernel addresses</td>"));
    let f = &fleet.stdout;
    let hosts = format!("<h1>kharden fleet: {} hosts</h1>", snapshots().len());
    assert!(f.contains(&hosts), "{hosts}");
    assert!(f.matches("<table class=\"sortable\">").count() == 3);
}
