//! Generated artefacts: the committed man pages (docs/man), completion files
//! (packaging/completions) and JSON Schemas (docs/schemas) are what the code generates now; every
//! kind of JSON document follows its schema, and the schemas reject documents that stray.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

use common::{fixtures, json, kharden, schema_errors};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap())
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, std::fs::read(e.path()).unwrap())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `kharden generate WHAT` into a temporary directory gives exactly the committed `dir`.
fn fresh(what: &str, dir: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let run = kharden(["generate", what, tmp.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let made = files(tmp.path());
    assert!(!made.is_empty(), "generate {what} wrote nothing");
    let committed = files(&repo().join(dir));
    let stale: Vec<&String> = made
        .keys()
        .chain(committed.keys())
        .filter(|name| made.get(*name) != committed.get(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "{dir} is stale ({stale:?}); regenerate it with\n  rm -f {dir}/* && cargo run -q -p kharden -- generate {what} {dir}"
    );
}

#[test]
fn man_pages_are_fresh() {
    fresh("man", "docs/man");
    // One page per visible command, none for `help` or the hidden ones.
    let pages = files(&repo().join("docs/man"));
    for page in ["kharden.1", "kharden-audit.1", "kharden-modsign-verify.1"] {
        assert!(pages.contains_key(page), "{page} missing");
    }
    assert!(!pages
        .keys()
        .any(|p| p.contains("help") || p.contains("generate")));
    let audit = String::from_utf8_lossy(&pages["kharden-audit.1"]).into_owned();
    assert!(audit.contains(".TH kharden-audit 1"), "{audit}");
    assert!(audit.contains("\\-\\-format"), "{audit}");
}

#[test]
fn completions_are_fresh_and_printed() {
    fresh("completions", "packaging/completions");
    for (shell, file) in [
        ("bash", "kharden.bash"),
        ("zsh", "_kharden"),
        ("fish", "kharden.fish"),
    ] {
        let run = kharden(["completions", shell]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let committed = std::fs::read_to_string(repo().join("packaging/completions").join(file));
        assert_eq!(
            run.stdout,
            committed.unwrap(),
            "kharden completions {shell}"
        );
        assert!(run.stdout.contains("modsign"), "{shell}: no subcommands");
    }
    let run = kharden(["completions", "tcsh"]);
    assert_eq!(run.code, 2);
}

#[test]
fn schemas_are_fresh() {
    fresh("schemas", "docs/schemas");
}

/// One document of each kind, from the committed fixtures; `common::kharden` validates each
/// against its schema, and this test checks that every published kind was seen.
#[test]
fn every_kind_of_document_follows_its_schema() {
    let snap = |name: &str| fixtures().join("snapshots").join(name);
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let modsig = fixtures().join("../../../modsig/tests/fixtures");
    let cloud = snap("deb12-6.1-cloud-default");
    let integrity = snap("deb12-6.1-cloud-integrity");
    let config = s(&fixtures().join("configs/debian12-6.1-cloud-amd64.config.xz"));
    let cert = s(&modsig.join("rsa4096_cert.der"));
    let signed = s(&modsig.join("crc7.rsa4096.sha512.ko.xz"));
    let unsigned = s(&modsig.join("crc7.unsigned.ko"));
    let kernel = tempfile::tempdir().unwrap();
    let image = kernel.path().join("vmlinuz");
    std::fs::write(
        &image,
        bzimage(&std::fs::read(modsig.join("kernel/payload.xz")).unwrap()),
    )
    .unwrap();
    let tree = tempfile::tempdir().unwrap();
    std::fs::copy(modsig.join("crc7.unsigned.ko"), tree.path().join("crc7.ko")).unwrap();
    let runs: Vec<Vec<String>> = vec![
        vec![
            "modsign".into(),
            "sign-tree".into(),
            s(tree.path()),
            "--cert-out".into(),
            s(&tree.path().join("cert.der")),
        ],
        vec!["audit".into(), "--root".into(), s(&cloud), "--all".into()],
        vec!["explain".into(), "kptr-restrict".into()],
        vec![
            "audit".into(),
            "--root".into(),
            s(&cloud),
            "--today".into(),
            "2026-12-01".into(),
        ],
        vec![
            "audit".into(),
            "--config".into(),
            config.clone(),
            "--no-live".into(),
            "--profile".into(),
            "full".into(),
        ],
        vec!["rules".into(), "--profile".into(), "full".into()],
        vec!["fleet".into(), s(&fixtures().join("snapshots"))],
        vec!["diff".into(), s(&cloud), s(&integrity)],
        vec!["fix".into(), "--config".into(), config, "--no-live".into()],
        vec!["apply".into(), "--root".into(), s(&cloud)],
        vec![
            "modsign".into(),
            "verify".into(),
            "--cert".into(),
            cert,
            signed.clone(),
            unsigned.clone(),
        ],
        vec!["modsign".into(), "inspect".into(), signed, unsigned],
        vec![
            "modsign".into(),
            "certs".into(),
            "--kernel".into(),
            s(&image),
        ],
    ];
    let mut seen = std::collections::BTreeSet::new();
    // JSON lines: one kharden.finding document a line.
    let lines = kharden(["audit", "--root", &s(&cloud), "--all", "--format", "jsonl"]);
    assert_eq!(lines.code, 1, "{}", lines.stderr);
    for line in lines.stdout.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(schema_errors(&doc).is_empty(), "{line}");
        seen.insert(doc["schema"].as_str().unwrap().to_string());
    }
    for mut args in runs {
        args.extend(["--format".into(), "json".into()]);
        let doc = json(&args);
        assert!(schema_errors(&doc).is_empty(), "{args:?}");
        seen.insert(doc["schema"].as_str().unwrap().to_string());
    }
    let published: std::collections::BTreeSet<String> = files(&repo().join("docs/schemas"))
        .keys()
        .map(|f| {
            // kharden.modsign.verify-1.schema.json names kharden.modsign.verify/1.
            let (kind, version) = f.trim_end_matches(".schema.json").rsplit_once('-').unwrap();
            format!("{kind}/{version}")
        })
        .collect();
    assert_eq!(
        seen, published,
        "a published kind without a document here, or the reverse"
    );
}

/// The schemas are not vacuous: a document that loses a field, gains one, or misspells a word
/// of a closed list is refused.
#[test]
fn schemas_refuse_documents_that_stray() {
    let root = fixtures().join("snapshots/deb12-6.1-cloud-default");
    let doc = json([
        "audit",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(schema_errors(&doc).is_empty());
    let mut missing = doc.clone();
    missing.as_object_mut().unwrap().remove("summary");
    let mut extra = doc.clone();
    extra["findings"][0]["colour"] = "red".into();
    let mut word = doc.clone();
    word["findings"][0]["status"] = "passed".into();
    let mut severity = doc.clone();
    severity["findings"][0]["severity"] = "urgent".into();
    for (what, bad) in [
        ("missing summary", missing),
        ("unknown field", extra),
        ("status word", word),
        ("severity word", severity),
    ] {
        assert!(!schema_errors(&bad).is_empty(), "{what}: accepted");
    }
    // A document of another version is not one of this schema's.
    let id = doc["schema"].as_str().unwrap();
    let mut version = doc.clone();
    version["schema"] = format!("{id}0").into();
    let audit = jsonschema::validator_for(&common::schema(id)).unwrap();
    assert!(!audit.is_valid(&version));
}

/// A minimal bzImage around a compressed kernel payload (as tests/modsign_cli.rs builds).
fn bzimage(payload: &[u8]) -> Vec<u8> {
    let mut img = vec![0u8; 5 * 512];
    img[0x1f1] = 4;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    img[0x248..0x24c].copy_from_slice(&0u32.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    img.extend_from_slice(payload);
    img
}

/// The Debian package's /etc/kharden/policy.toml changes nothing as shipped, and each setting
/// it shows commented out (`#key = ...`) is valid once uncommented.
#[test]
fn example_policy_is_valid_commented_and_uncommented() {
    let example = repo().join("packaging/policy.toml");
    let plain = kharden(["rules", "--format", "json"]);
    let shipped = kharden([
        "rules",
        "--format",
        "json",
        "--policy",
        example.to_str().unwrap(),
    ]);
    assert_eq!(shipped.code, 0, "{}", shipped.stderr);
    assert_eq!(
        shipped.stdout, plain.stdout,
        "the shipped example changes the rules"
    );

    let text = std::fs::read_to_string(&example).unwrap();
    let settings: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter(|l| !l.starts_with([' ', '#']) && !l.is_empty())
        .collect();
    assert!(settings.len() >= 6, "{settings:?}");
    let dir = tempfile::tempdir().unwrap();
    let uncommented = dir.path().join("policy.toml");
    std::fs::write(&uncommented, settings.join("\n")).unwrap();
    let root = fixtures().join("snapshots/deb12-6.1-cloud-default");
    let run = kharden([
        "audit",
        "--root",
        root.to_str().unwrap(),
        "--policy",
        uncommented.to_str().unwrap(),
        "--today",
        "2026-12-05",
        "--format",
        "json",
    ]);
    assert!(run.code <= 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["waived"], 1, "the example waiver applies");
    assert!(
        !doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "randstruct"),
        "the example drop applies"
    );
}
