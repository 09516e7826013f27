//! `kharden fleet` (issue 17, docs/fleet.md, kharden.fleet/1 in docs/json-output.md): the
//! committed snapshot trees and archives made from them, as one fleet. Every count is checked
//! against the hosts' own audits, drift against what the test bed observed in each booted
//! kernel (OBSERVED); a hostile archive in the fleet is reported, not fatal to the others.

mod common;

use std::collections::BTreeMap;

use common::*;

fn fleet_json(paths: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["fleet", "--format", "json"];
    args.extend_from_slice(paths);
    let r = kharden(&args);
    let v = serde_json::from_str(&r.stdout).unwrap_or(serde_json::Value::Null);
    (r.code, v, r.stderr)
}

fn snapshots_dir() -> String {
    fixtures().join("snapshots").to_string_lossy().into_owned()
}

#[test]
fn counts_match_each_hosts_audit() {
    let (code, v, err) = fleet_json(&[&snapshots_dir()]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["schema"], "kharden.fleet/1");
    let trees = snapshots();
    assert_eq!(v["summary"]["hosts"], trees.len());
    // Per rule: the number of hosts whose own audit gives each status.
    let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut failing_hosts = 0;
    for t in &trees {
        let a = json(["audit", "--root", t.to_str().unwrap(), "--format", "json"]);
        if a["summary"]["fail"].as_u64().unwrap() > 0 {
            failing_hosts += 1;
        }
        for (id, status) in statuses(&a) {
            *want.entry((id, status)).or_default() += 1;
        }
        let host = v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == t.to_str().unwrap())
            .expect("every tree is a host");
        assert_eq!(host["fail"], a["summary"]["fail"]);
        assert_eq!(host["kernel_release"], a["kernel"]["release"]);
    }
    assert_eq!(v["summary"]["failing"], failing_hosts);
    for r in v["rules"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap().to_string();
        for status in ["fail", "pass", "unknown", "not_applicable"] {
            let n = want
                .get(&(id.clone(), status.to_string()))
                .copied()
                .unwrap_or(0);
            assert_eq!(r[status], n, "{id} {status}");
        }
    }
}

#[test]
fn drift_follows_what_the_test_bed_observed() {
    let (_, v, _) = fleet_json(&[&snapshots_dir()]);
    let mut lockdown: BTreeMap<String, usize> = BTreeMap::new();
    let mut enforce: BTreeMap<String, usize> = BTreeMap::new();
    for t in snapshots() {
        let o = observed(&t);
        *lockdown.entry(o["lockdown"].clone()).or_default() += 1;
        *enforce
            .entry(if o["sig_enforce"] == "Y" { "on" } else { "off" }.to_string())
            .or_default() += 1;
    }
    let d = &v["drift"];
    let majority =
        |m: &BTreeMap<String, usize>| m.iter().max_by_key(|(_, n)| **n).unwrap().0.clone();
    assert_eq!(d["lockdown"]["value"], majority(&lockdown));
    assert_eq!(d["sig_enforce"]["value"], majority(&enforce));
    for t in snapshots() {
        let o = observed(&t);
        let name = t.to_str().unwrap();
        let drifted = |field: &str| {
            d["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["host"] == name && x["field"] == field)
        };
        assert_eq!(
            drifted("lockdown"),
            o["lockdown"] != majority(&lockdown),
            "{name}"
        );
        let on = if o["sig_enforce"] == "Y" { "on" } else { "off" };
        assert_eq!(drifted("sig_enforce"), on != majority(&enforce), "{name}");
    }
}

#[test]
fn archives_and_recursion() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("dc1/rack2");
    std::fs::create_dir_all(&nested).unwrap();
    for t in snapshots().iter().take(3) {
        let out = nested.join(format!(
            "{}.tar.zst",
            t.file_name().unwrap().to_string_lossy()
        ));
        let r = kharden([
            "snapshot",
            "--root",
            t.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    // A link to the fixtures is not followed; other files are ignored.
    std::os::unix::fs::symlink(fixtures().join("snapshots"), dir.path().join("link")).unwrap();
    std::fs::write(dir.path().join("dc1/notes.txt"), "x").unwrap();
    let (code, v, err) = fleet_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["summary"]["hosts"], 3);
    // The archives' hosts audit as their trees do.
    let (_, trees, _) = fleet_json(
        &snapshots()
            .iter()
            .take(3)
            .map(|t| t.to_str().unwrap())
            .collect::<Vec<_>>(),
    );
    assert_eq!(v["rules"], trees["rules"]);
}

#[test]
fn a_hostile_archive_is_reported_and_the_rest_audited() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("evil.tar.zst");
    std::fs::write(&bad, "not an archive").unwrap();
    let tree = fixtures().join("snapshots/deb12-6.1-cloud-default");
    let out = dir.path().join("fleet.json");
    let r = kharden([
        "fleet",
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
        bad.to_str().unwrap(),
        tree.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["summary"]["hosts"], 1);
    assert_eq!(v["errors"][0]["name"], bad.to_str().unwrap());
    assert!(v["errors"][0]["problem"]
        .as_str()
        .unwrap()
        .contains("not a kharden snapshot archive"));
}

#[test]
fn nothing_to_audit_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = kharden(["fleet", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let r = kharden(["fleet", "/nonexistent/fleet"]);
    assert_eq!(r.code, 2);
}

#[test]
fn human_and_json_snapshots() {
    let r = kharden(["fleet", &snapshots_dir()]);
    let fx = fixtures().to_string_lossy().into_owned();
    insta::assert_snapshot!("fleet_human", r.stdout.replace(&fx, "<fixtures>"));
    let r = kharden(["fleet", "--format", "json", &snapshots_dir()]);
    insta::assert_snapshot!("fleet_json", r.stdout.replace(&fx, "<fixtures>"));
    // Deterministic, whatever the number of workers.
    let one = kharden(["fleet", "-j", "1", "--format", "json", &snapshots_dir()]);
    assert_eq!(one.stdout, r.stdout);
}
