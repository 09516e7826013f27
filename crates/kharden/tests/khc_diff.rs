//! Differential test: kharden's `full` profile against kernel-hardening-checker's committed
//! verdicts (tests/fixtures/khc, one JSON per committed config, kconfig checks; and one per QEMU
//! snapshot of a Debian kernel, kconfig, cmdline and sysctl checks). Every khc check maps to the
//! kharden rule that judges it (policies/full/khc-coverage.tsv); where the verdicts differ, the
//! difference must be listed in policies/full/khc-differences.toml with its reason, and every
//! listed difference must still occur.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kharden::policy::builtin;
use kharden::policy::Status;
use kharden::probe::{self, ProbeOptions};

mod common;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (arch, type, khc option, khc expected) -> kharden rule id.
fn coverage() -> BTreeMap<(String, String, String, String), String> {
    let text = std::fs::read_to_string(repo().join("policies/full/khc-coverage.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "bad coverage line {l:?}");
            (
                (f[0].into(), f[1].into(), f[2].into(), f[3].into()),
                f[4].into(),
            )
        })
        .collect()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Differences {
    difference: Vec<Difference>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Difference {
    /// khc's option name and expected value (`CONFIG_X`, `y`).
    option: String,
    expected: String,
    rule: String,
    /// The group in docs/khc-differences.md.
    category: String,
    why: String,
    /// `<config> khc=OK|FAIL kharden=<status>`, one per config where they differ.
    cases: Vec<String>,
}

fn khc_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            khc_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Every disagreement: (option, expected, rule) -> cases.
/// (khc option, expected, rule) -> the configs where they differ.
type Cases = BTreeMap<(String, String, String), BTreeSet<String>>;

fn disagreements() -> (Cases, usize, usize) {
    let fixtures = common::fixtures();
    let profile = builtin::load("full").expect("full profile");
    let cov = coverage();
    let mut files = Vec::new();
    khc_files(&fixtures.join("khc"), &mut files);
    files.sort();
    let mut out: Cases = BTreeMap::new();
    let mut compared = 0;
    for file in &files {
        let rel = file
            .strip_prefix(fixtures.join("khc"))
            .unwrap()
            .with_extension("");
        let name = rel.to_string_lossy().replace('\\', "/");
        // A QEMU snapshot is audited as a live host rooted there (its config, command line
        // and sysctls, as khc got them with -c -l -s); a config fixture offline.
        let opts = match name.strip_prefix("snapshots/") {
            Some(snap) => {
                let root = fixtures.join("snapshots").join(snap);
                assert!(root.is_dir(), "{} has no snapshot", file.display());
                ProbeOptions {
                    root,
                    config: None,
                    cmdline: None,
                    sysctl: None,
                    live: true,
                }
            }
            None => {
                let config = fixtures.join("configs").join(format!("{name}.config.xz"));
                assert!(config.exists(), "{} has no config", file.display());
                ProbeOptions {
                    root: PathBuf::from("/nonexistent"),
                    config: Some(config),
                    cmdline: None,
                    sysctl: None,
                    live: false,
                }
            }
        };
        let facts = probe::read_facts(&opts, &profile.sysctl_keys()).unwrap();
        let arch = facts.kernel.arch.clone().expect("arch from the config");
        let report = kharden::audit::run(&profile, &facts);
        let status: BTreeMap<&str, Status> =
            report.findings.iter().map(|f| (&*f.id, f.status)).collect();
        let verdicts: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for v in verdicts {
            let (opt, exp) = (
                v["option_name"].as_str().unwrap(),
                v["desired_val"].as_str().unwrap(),
            );
            // khc rewrites "MAX" to the value of CONFIG_..._MAX before checking.
            let listed_exp = match opt {
                "CONFIG_ARCH_MMAP_RND_BITS"
                | "CONFIG_ARCH_MMAP_RND_COMPAT_BITS"
                | "vm.mmap_rnd_bits"
                | "vm.mmap_rnd_compat_bits" => "MAX",
                _ => exp,
            };
            let key = (
                arch.clone(),
                v["type"].as_str().unwrap().to_string(),
                opt.to_string(),
                listed_exp.to_string(),
            );
            let rule = cov
                .get(&key)
                .unwrap_or_else(|| panic!("{name}: khc check {key:?} is not covered"));
            let ours = *status
                .get(rule.as_str())
                .unwrap_or_else(|| panic!("rule {rule} is not in the full profile"));
            let khc_ok = v["check_result_bool"].as_bool().unwrap();
            compared += 1;
            let agree = match ours {
                Status::Pass => khc_ok,
                Status::Fail => !khc_ok,
                Status::Unknown | Status::NotApplicable => false,
            };
            if !agree {
                out.entry((opt.to_string(), listed_exp.to_string(), rule.clone()))
                    .or_default()
                    .insert(format!(
                        "{name} khc={} kharden={}",
                        if khc_ok { "OK" } else { "FAIL" },
                        ours.as_str()
                    ));
            }
        }
    }
    (out, files.len(), compared)
}

#[test]
fn full_profile_agrees_with_khc_except_where_documented() {
    let (actual, configs, compared) = disagreements();
    assert!(configs >= 10, "only {configs} configs with khc verdicts");
    let text = std::fs::read_to_string(repo().join("policies/full/khc-differences.toml")).unwrap();
    let listed: Differences = toml::from_str(&text).expect("khc-differences.toml");
    let doc = std::fs::read_to_string(repo().join("docs/khc-differences.md")).unwrap();
    // Categories are the `code` in the first column of the doc's table.
    let categories: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let mut problems = Vec::new();
    // One key may have several entries (one per reason); each case is listed once.
    let mut listed_cases: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for d in &listed.difference {
        assert!(!d.why.trim().is_empty(), "{}: empty why", d.option);
        assert!(
            categories.contains(&d.category.as_str()),
            "{}: category {:?} is not in docs/khc-differences.md",
            d.option,
            d.category
        );
        let key = (d.option.clone(), d.expected.clone(), d.rule.clone());
        let cases = listed_cases.entry(key.clone()).or_default();
        for c in &d.cases {
            if !cases.insert(c.clone()) {
                problems.push(format!("{key:?}: case {c:?} is listed twice"));
            }
        }
    }
    let seen: BTreeSet<_> = listed_cases.keys().cloned().collect();
    for (key, want) in &listed_cases {
        let got = actual.get(key).cloned().unwrap_or_default();
        for gone in want.difference(&got) {
            problems.push(format!(
                "{} {} ({}): listed difference no longer occurs: {gone}",
                key.0, key.1, key.2
            ));
        }
        for new in got.difference(want) {
            problems.push(format!(
                "{} {} ({}): unlisted difference: {new}",
                key.0, key.1, key.2
            ));
        }
    }
    let mut unlisted = String::new();
    for (key, cases) in &actual {
        if seen.contains(key) {
            continue;
        }
        problems.push(format!("{key:?}: {} unlisted differences", cases.len()));
        unlisted.push_str(&format!(
            "\n[[difference]]\noption = {:?}\nexpected = {:?}\nrule = {:?}\nwhy = \"\"\ncases = [\n{}]\n",
            key.0,
            key.1,
            key.2,
            cases
                .iter()
                .map(|c| format!("  {c:?},\n"))
                .collect::<String>()
        ));
    }
    assert!(
        problems.is_empty(),
        "{} khc checks compared on {configs} configs; {} problems:\n{}\n\nentries to review:{unlisted}",
        compared,
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_khc_check_of_every_arch_is_covered() {
    let cov = coverage();
    let profile = builtin::load("full").unwrap();
    let ids: BTreeSet<&str> = profile.rules.iter().map(|r| &*r.id).collect();
    let mut per_arch: BTreeMap<&str, usize> = BTreeMap::new();
    for ((arch, _, _, _), rule) in &cov {
        assert!(
            ids.contains(rule.as_str()),
            "coverage names unknown rule {rule}"
        );
        *per_arch.entry(arch.as_str()).or_default() += 1;
    }
    // The sizes of kernel-hardening-checker's checklists (0b9aebf) per arch.
    let want = [
        ("arm", 297),
        ("arm64", 319),
        ("riscv", 294),
        ("x86_32", 342),
        ("x86_64", 363),
    ];
    assert_eq!(per_arch.into_iter().collect::<Vec<_>>(), want.to_vec());
}
