//! User policies: `--policy FILE` and `<ROOT>/etc/kharden/policy.toml`.

mod common;

use common::{cloud, write_file as write, Run};

/// Run kharden in a clean environment. `audit` and `explain` judge waivers as of `today`
/// (`--today`); other commands take no date.
fn run(args: &[&str], today: &str) -> Run {
    let mut args = args.to_vec();
    if matches!(args.first(), Some(&"audit" | &"explain")) {
        args.extend(["--today", today]);
    }
    common::kharden(args)
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr))
}

/// The ids of the baseline rules that fail on Debian's cloud config.
fn failing_baseline_rules() -> Vec<String> {
    let r = run(&common::cloud_audit(&["--format", "json"]), "2026-11-29");
    assert_eq!(r.code, 1, "{}", r.stderr);
    common::statuses(&json(&r))
        .into_iter()
        .filter(|(_, s)| s == "fail")
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn waivers_mark_findings_and_keep_the_exit_code_clean() {
    let dir = tempfile::tempdir().unwrap();
    let failing = failing_baseline_rules();
    assert!(failing.len() >= 3, "{failing:?}");
    let mut policy = String::from("extends = \"baseline\"\n");
    for id in &failing {
        policy.push_str(&format!(
            "\n[[waiver]]\nrule = \"{id}\"\nreason = \"accepted for {id}\"\nexpires = 2027-01-31\n"
        ));
    }
    let p = write(dir.path(), "policy.toml", &policy);
    let args = common::cloud_audit(&["--format", "json", "--policy", &p]);
    let r = run(&args, "2026-11-29");
    assert_eq!(r.code, 0, "every failure is waived: {}", r.stderr);
    let report = json(&r);
    assert_eq!(report["summary"]["fail"], 0);
    assert_eq!(report["summary"]["waived"], failing.len());
    let f = common::finding(&report, &failing[0]);
    assert_eq!(f["status"], "fail", "a waived finding keeps its verdict");
    assert_eq!(
        f["waiver"],
        serde_json::json!({"reason": format!("accepted for {}", failing[0]), "expires": "2027-01-31"})
    );
    let passing = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "pass")
        .unwrap();
    assert!(passing["waiver"].is_null());

    // The day after expiry: the waivers no longer hold and each becomes a failing finding.
    let r = run(&args, "2027-02-01");
    assert_eq!(r.code, 1);
    let report = json(&r);
    assert_eq!(report["summary"]["waived"], 0);
    assert_eq!(report["summary"]["fail"], 2 * failing.len());
    let expired = common::finding(&report, &format!("waiver-expired-{}", failing[0]));
    assert_eq!(expired["status"], "fail");
    assert_eq!(expired["area"], "policy");
    assert!(expired["reason"]
        .as_str()
        .unwrap()
        .contains("waived until 2027-01-31"));
    assert!(common::finding(&report, &failing[0])["waiver"].is_null());
    // On the expiry date itself the waiver still holds.
    assert_eq!(run(&args, "2027-01-31").code, 0);
}

#[test]
fn a_waiver_that_matches_nothing_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.toml",
        "[[waiver]]\nrule = \"no-such-rule\"\nreason = \"typo\"\n\n[[waiver]]\nrule = \"dmesg-restrict\"\nreason = \"passes anyway\"\n",
    );
    let r = run(
        &common::cloud_audit(&["--format", "json", "--policy", &p]),
        "2026-11-29",
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let warnings = json(&r)["warnings"].to_string();
    assert!(
        warnings.contains("p.toml:1:1: the waiver of \\\"no-such-rule\\\" matches nothing"),
        "{warnings}"
    );
    assert!(
        warnings.contains(
            "p.toml:5:1: the waiver of \\\"dmesg-restrict\\\" matches nothing: the rule is pass"
        ),
        "{warnings}"
    );
}

#[test]
fn drop_severity_and_added_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.toml",
        r##"extends = "full"
drop = ["kconfig-modules", "cmdline-nosmt"]

[severity]
"kconfig-io-uring" = "critical"

[[rule]]
id = "site-no-vt"
title = "No virtual terminals on our servers"
area = "site"
severity = "low"
rationale = "Our servers have no screens."
breaks = "Local text consoles."
[rule.check]
kconfig = "VT"
is = "off"
[[rule.remedy]]
source = "kconfig"
text = "# CONFIG_VT is not set"
"##,
    );
    let r = run(
        &common::cloud_audit(&["--format", "json", "--policy", &p]),
        "2026-11-29",
    );
    let report = json(&r);
    assert_eq!(report["profile"], "full");
    let st = common::statuses(&report);
    assert!(!st.contains_key("kconfig-modules"));
    assert!(!st.contains_key("cmdline-nosmt"));
    assert!(st.contains_key("kconfig-io-uring"));
    assert_eq!(
        common::finding(&report, "kconfig-io-uring")["severity"],
        "critical"
    );
    assert_eq!(st["site-no-vt"], "fail");
}

#[test]
fn every_problem_is_reported_at_once_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.toml",
        "extend = \"full\"\n[[waiver]]\nrule = \"kaslr-config\"\nreason = \"x\"\nexpire = 2027-01-01\n[[rule]]\nid = \"x\"\ntitle = \"x\"\narea = \"x\"\nseverity = \"low\"\nrationale = \"x\"\nbreaks = \"x\"\n[rule.check]\nkconfig = \"VT\"\nis = \"off\"\ncolour = 1\n",
    );
    let r = run(&common::cloud_audit(&["--policy", &p]), "2026-11-29");
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stderr);
    assert!(lines[0].ends_with("bad.toml:1:1: unknown key \"extend\" (expected one of: extends, drop, severity, rule, waiver)"), "{}", lines[0]);
    assert!(
        lines[1].contains("bad.toml:5:1: unknown key \"waiver.expire\""),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("bad.toml:16:1: unknown key \"rule.check.colour\""),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], "kharden: error: 3 problems in the policy");

    // Without unknown keys, every semantic problem at once.
    let p = write(
        dir.path(),
        "bad2.toml",
        "drop = [\"nope\"]\n[severity]\n\"kaslr-config\" = \"huge\"\n[[waiver]]\nrule = \"kaslr-config\"\nreason = \" \"\nexpires = 2027-01-01T10:00:00\n[[rule]]\nid = \"Bad_Id\"\ntitle = \"x\"\narea = \"x\"\nseverity = \"low\"\nrationale = \"x\"\nbreaks = \"x\"\n[rule.check]\nkconfig = \"CONFIG_VT\"\nis = \"off\"\n",
    );
    let r = run(&common::cloud_audit(&["--policy", &p]), "2026-11-29");
    assert_eq!(r.code, 2);
    for want in [
        "bad2.toml:1:9: drop: no rule \"nope\" in profile baseline",
        "bad2.toml:3:18: severity of \"kaslr-config\": \"huge\" is not low, medium, high or critical",
        "bad2.toml:4:1: waiver of \"kaslr-config\": reason is empty",
        "bad2.toml:7:11: expires must be a date",
        "bad2.toml:8:1: rule \"Bad_Id\": id must be lowercase",
        "bad2.toml:8:1: rule \"Bad_Id\": kconfig \"CONFIG_VT\": write the option without the CONFIG_ prefix",
        "kharden: error: 6 problems in the policy",
    ] {
        assert!(r.stderr.contains(want), "missing {want:?} in\n{}", r.stderr);
    }

    // Unknown keys and semantic problems together: one run reports both, in file order.
    let p = write(
        dir.path(),
        "bad3.toml",
        "drop = [\"nope\"]\nfrobnicate = { a = 1,\n  b = 2 }\n[severity]\n\"kaslr-config\" = \"huge\"\n[[waiver]]\nrule = \"kaslr-config\"\nreason = \"x\"\nexpire = 2027-01-01\n",
    );
    let r = run(&common::cloud_audit(&["--policy", &p]), "2026-11-29");
    assert_eq!(r.code, 2);
    let lines: Vec<&str> = r.stderr.lines().collect();
    let want = [
        "bad3.toml:1:9: drop: no rule \"nope\" in profile baseline",
        "bad3.toml:2:1: unknown key \"frobnicate\"",
        "bad3.toml:5:18: severity of \"kaslr-config\": \"huge\" is not",
        "bad3.toml:9:1: unknown key \"waiver.expire\"",
        "kharden: error: 4 problems in the policy",
    ];
    assert_eq!(lines.len(), want.len(), "{}", r.stderr);
    for (line, want) in lines.iter().zip(want) {
        assert!(line.contains(want), "{line:?} lacks {want:?}\n{}", r.stderr);
    }

    // An unknown [table] cannot be blanked out: its keys are reported, then nothing else.
    let p = write(
        dir.path(),
        "bad4.toml",
        "drop = [\"nope\"]\n[extras]\nx = 1\n",
    );
    let r = run(&common::cloud_audit(&["--policy", &p]), "2026-11-29");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bad4.toml:2:2: unknown key \"extras\""),
        "{}",
        r.stderr
    );
}

#[test]
fn the_system_policy_under_root_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "etc/kharden/policy.toml",
        "[severity]\n\"dmesg-restrict\" = \"critical\"\n",
    );
    let root = dir.path().display().to_string();
    let args = [
        "audit",
        "--root",
        &root,
        "--config",
        &cloud(),
        "--no-live",
        "--format",
        "json",
    ];
    let report = json(&run(&args, "2026-11-29"));
    assert_eq!(
        common::finding(&report, "dmesg-restrict")["severity"],
        "critical"
    );
    // A bad system policy is an input error too, named by its path.
    write(
        dir.path(),
        "etc/kharden/policy.toml",
        "[severity]\n\"nope\" = \"low\"\n",
    );
    let r = run(&args, "2026-11-29");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("etc/kharden/policy.toml:2:10: severity: no rule \"nope\""),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bad_today_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.toml", "drop = []\n");
    let r = run(&common::cloud_audit(&["--policy", &p]), "tomorrow");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "kharden: error: --today tomorrow: not a date: write it as YYYY-MM-DD\n"
    );
}

#[test]
fn rules_and_explain_show_the_profile_as_the_policy_shapes_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.toml",
        "drop = [\"selinux-disable-off\"]\n[severity]\n\"module-sig-all\" = \"low\"\n[[waiver]]\nrule = \"kaslr-config\"\nreason = \"lab machines boot nokaslr for crash analysis\"\nexpires = 2026-06-30\n",
    );
    let r = run(&["rules", "--format", "json", "--policy", &p], "2026-11-29");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rules: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rules = rules["rules"].as_array().expect("rules array");
    let by_id = |id: &str| rules.iter().find(|r| r["id"] == id).cloned();
    assert!(by_id("selinux-disable-off").is_none());
    assert_eq!(by_id("module-sig-all").unwrap()["severity"], "low");
    let plain = run(&["rules", "--format", "json"], "2026-11-29");
    let plain: serde_json::Value = serde_json::from_str(&plain.stdout).unwrap();
    assert_eq!(plain["rules"].as_array().unwrap().len(), rules.len() + 1);

    // explain names the waiver, and says when it has expired.
    let r = run(&["explain", "kaslr-config", "--policy", &p], "2026-11-29");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("p.toml:4:1; EXPIRED on 2026-06-30")
            && r.stdout.contains("lab machines boot nokaslr"),
        "{}",
        r.stdout
    );
    let r = run(&["explain", "kaslr-config", "--policy", &p], "2026-06-01");
    assert!(r.stdout.contains("until 2026-06-30"), "{}", r.stdout);
    // A dropped rule is not there to explain; a broken policy is an input error.
    let r = run(
        &["explain", "selinux-disable-off", "--policy", &p],
        "2026-11-29",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let bad = write(dir.path(), "bad.toml", "dorp = []\n");
    let r = run(&["rules", "--policy", &bad], "2026-11-29");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bad.toml:1:1: unknown key \"dorp\""),
        "{}",
        r.stderr
    );
}

#[test]
fn a_broken_policy_is_reported_before_a_missing_input() {
    // The rules load while the config is read; the policy's problems still come first.
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.toml", "dorp = 1\n");
    let missing = dir.path().join("no-such.config");
    let r = run(
        &[
            "audit",
            "--no-live",
            "--config",
            missing.to_str().unwrap(),
            "--policy",
            &p,
        ],
        "2026-11-29",
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("p.toml:1:1: unknown key \"dorp\""),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("no-such.config"), "{}", r.stderr);
}

/// The policy files applied are named in the human header and in JSON `sources` (kind
/// `policy`), with the SHA-256 of the bytes read: a report says which policy judged it.
#[test]
fn reports_name_the_policy_files_applied_with_their_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("site.toml");
    std::fs::write(&policy, "drop = [\"randstruct\"]\n").unwrap();
    // sha256sum of that line, computed apart.
    let sha = "sha256:fdce08c4818d28343c2ec8c13bcc5a2ef066d2def8b9f394081aef7a90af7254";
    let p = policy.to_str().unwrap();
    let snap = common::fixtures().join("snapshots/deb12-6.1-cloud-default");
    let s = snap.to_str().unwrap();
    let r = common::kharden(["audit", "--root", s, "--policy", p]);
    assert!(
        r.stdout
            .contains(&format!("\n  policy   {p} [read]: {sha}\n")),
        "{}",
        r.stdout
    );
    let v = common::json(["audit", "--root", s, "--policy", p, "--format", "json"]);
    let last = v["sources"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        serde_json::json!({"kind": "policy", "origin": p, "status": "read", "detail": sha})
    );
    // No policy, no such entry.
    let v = common::json(["audit", "--root", s, "--format", "json"]);
    assert!(!v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["kind"] == "policy"));
}
