//! Policies and dates from the security review: the date waivers expire against is set only by
//! a flag the output reports (no hidden environment override), only days that exist are dates,
//! and a policy with a huge number of problems is answered quickly with a bounded report.

use std::path::Path;

mod common;

use common::{cloud, kharden_with as run, write_file as write};

/// A policy waiving every baseline rule that fails on Debian's cloud config until `expires`.
fn waive_all_failures(dir: &Path, expires: &str) -> String {
    let report = common::json(common::cloud_audit(&["--format", "json"]));
    let mut policy = String::new();
    for (id, status) in common::statuses(&report) {
        if status == "fail" {
            policy.push_str(&format!(
                "[[waiver]]\nrule = \"{id}\"\nreason = \"accepted\"\nexpires = {expires}\n\n"
            ));
        }
    }
    assert!(!policy.is_empty());
    write(dir, "policy.toml", &policy)
}

#[test]
fn today_override_is_a_flag_reported_in_both_outputs() {
    let dir = tempfile::tempdir().unwrap();
    // Expired by the system clock, whenever this runs.
    let p = waive_all_failures(dir.path(), "2020-01-31");
    let config = cloud();
    let audit = |extra: &[&str]| {
        let mut args = vec!["audit", "--config", &config, "--no-live", "--policy", &p];
        args.extend(extra);
        run(&args, &[])
    };

    // By the clock the waivers have expired: the audit fails and says nothing of a date.
    let human = audit(&[]);
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(!human.stdout.contains("date:"), "{}", human.stdout);
    assert!(human.stdout.contains("waiver-expired-"), "{}", human.stdout);
    let json = audit(&["--format", "json"]);
    assert_eq!(json.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(doc.get("today_override").is_none(), "{}", json.stdout);

    // As of a day before expiry they hold, and both outputs say whose date that was.
    let human = audit(&["--today", "2020-01-01"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    let header: Vec<&str> = human.stdout.lines().take(2).collect();
    assert_eq!(
        header[1], "  date: 2020-01-01 (set by --today, not the system clock)",
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("waived: accepted (until 2020-01-31)"));
    let json = audit(&["--today", "2020-01-01", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["today_override"], "2020-01-01");
    assert_eq!(doc["schema"], "kharden.audit/2");
    assert_eq!(doc["summary"]["fail"], 0);

    // Through the expiry date itself, the waiver holds; the day after it does not.
    assert_eq!(audit(&["--today", "2020-01-31"]).code, 0);
    assert_eq!(audit(&["--today", "2020-02-01"]).code, 1);

    // explain judges the waiver as of the same flag, and says so.
    let r = run(
        [
            "explain",
            "kptr-restrict",
            "--policy",
            &p,
            "--today",
            "2020-01-01",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("\ndate: 2020-01-01 (set by --today, not the system clock)\n")
            && r.stdout.contains("; until 2020-01-31)"),
        "{}",
        r.stdout
    );
    // Without the flag: the clock's verdict, and no date line.
    let r = run(["explain", "kptr-restrict", "--policy", &p], &[]);
    assert!(r.stdout.contains("; EXPIRED on 2020-01-31"), "{}", r.stdout);
    assert!(!r.stdout.contains("date:"), "{}", r.stdout);
}

#[test]
fn kharden_today_env_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let p = waive_all_failures(dir.path(), "2020-01-31");
    for format in ["human", "json"] {
        let args = common::cloud_audit(&["--policy", &p, "--format", format]);
        let plain = run(&args, &[]);
        // The old hidden override named a day the waivers still held; it must change nothing.
        for value in ["2020-01-01", "2024-02-31", "garbage"] {
            let with_env = run(&args, &[("KHARDEN_TODAY", value)]);
            assert_eq!(with_env.code, 1, "{format} {value}: {}", with_env.stderr);
            assert_eq!(with_env.stdout, plain.stdout, "{format} {value}");
            assert_eq!(with_env.stderr, plain.stderr, "{format} {value}");
            assert!(!with_env.stdout.contains(value), "{format} {value}");
        }
    }
    let r = run(
        ["explain", "kptr-restrict", "--policy", &p],
        &[("KHARDEN_TODAY", "2020-01-01")],
    );
    assert!(r.stdout.contains("EXPIRED on 2020-01-31"), "{}", r.stdout);
}

#[test]
fn impossible_dates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.toml", "drop = []\n");
    let cases = [
        ("2024-02-31", "February 2024 has days 1 to 29"),
        ("2023-02-29", "February 2023 has days 1 to 28"),
        ("2024-13-01", "there is no month 13"),
        ("2024-01-00", "January 2024 has days 1 to 31"),
        ("24-1-1", "write it as YYYY-MM-DD"),
    ];
    for (day, why) in cases {
        for cmd in [
            common::cloud_audit(&["--policy", &p]),
            vec!["explain", "kaslr-config", "--policy", &p],
        ] {
            let mut args = cmd.clone();
            args.extend(["--today", day]);
            let r = run(&args, &[]);
            assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
            assert_eq!(
                r.stderr,
                format!("kharden: error: --today {day}: not a date: {why}\n"),
                "{args:?}"
            );
        }
    }
    // A leap day that exists is a date.
    let r = run(common::cloud_audit(&["--today", "2024-02-29"]), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);

    // The same days as a waiver's expiry: a problem of the policy, at its line and column.
    for (day, _) in &cases[..4] {
        let p = write(
            dir.path(),
            "w.toml",
            &format!("[[waiver]]\nrule = \"kaslr-config\"\nreason = \"x\"\nexpires = {day}\n"),
        );
        let r = run(common::cloud_audit(&["--policy", &p]), &[]);
        assert_eq!(r.code, 2, "{day}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{day}: {}", r.stderr);
        assert!(
            lines[0].starts_with(&format!("kharden: error: {p}:4:11: ")),
            "{day}: {}",
            lines[0]
        );
        assert_eq!(lines[1], "kharden: error: 1 problem in the policy");
    }
}

/// 145,000 unknown keys in a 1 MiB policy: every one is found (the count says so) but only the
/// first 100 are printed, in file order, each on one line with its location. Placing each
/// problem used to scan the file from its start (80 s of CPU for this file).
#[test]
fn policy_with_145000_unknown_keys_reports_100_problems_and_a_count() {
    const KEYS: usize = 145_000;
    let dir = tempfile::tempdir().unwrap();
    // Four capital letters: 456,976 names, none of them a policy key; 7 bytes a line.
    let mut text = String::with_capacity(KEYS * 7);
    for i in 0..KEYS {
        let mut n = i;
        let mut name = [b'A'; 4];
        for c in name.iter_mut().rev() {
            *c = b'A' + (n % 26) as u8;
            n /= 26;
        }
        text.push_str(std::str::from_utf8(&name).unwrap());
        text.push_str("=1\n");
    }
    assert!(text.len() <= 1 << 20, "{} bytes", text.len());
    let p = write(dir.path(), "big.toml", &text);
    let r = run(common::cloud_audit(&["--policy", &p]), &[]);
    assert_eq!(r.code, 2, "{}", &r.stderr[..r.stderr.len().min(2000)]);
    assert!(r.stdout.is_empty());
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        102,
        "{}",
        &r.stderr[..r.stderr.len().min(2000)]
    );
    for (i, line) in lines[..100].iter().enumerate() {
        let want = format!("kharden: error: {p}:{}:1: unknown key \"", i + 1);
        assert!(line.starts_with(&want), "{line:?} is not {want:?}...");
        assert!(line.ends_with("(expected one of: extends, drop, severity, rule, waiver)"));
    }
    assert_eq!(lines[100], "kharden: error: ... and 144,900 more problems");
    assert_eq!(lines[101], "kharden: error: 145,000 problems in the policy");
}
