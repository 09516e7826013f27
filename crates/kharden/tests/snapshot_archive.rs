//! `kharden snapshot` and snapshot archives as `--root` (issue 17, docs/fleet.md): an archive
//! made from each committed snapshot tree audits exactly as the tree does (every finding, with
//! its reason and evidence), holds only files an audit reads (listed by GNU tar, the peer that
//! would unpack it), and works for `diff` and `fix`; hostile archives (made with GNU tar:
//! links, FIFOs, absolute names, files outside the list, a zstd bomb) are bad input: one line
//! naming the archive, exit 2, nothing written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn snapshot_of(tree: &Path, dir: &Path) -> PathBuf {
    let out = dir.join(format!(
        "{}.tar.zst",
        tree.file_name().unwrap().to_string_lossy()
    ));
    let r = kharden([
        "snapshot",
        "--root",
        tree.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty() && r.stderr.is_empty());
    out
}

fn findings(root: &Path, profile: &str) -> serde_json::Value {
    let v = json([
        "audit",
        "--root",
        root.to_str().unwrap(),
        "--profile",
        profile,
        "--format",
        "json",
    ]);
    v["findings"].clone()
}

/// The names GNU tar lists in an archive.
fn tar_list(archive: &Path) -> Vec<String> {
    let tar = pipe("zstd", &["-dc"], &std::fs::read(archive).unwrap());
    let listed = pipe("tar", &["-tf", "-"], &tar);
    String::from_utf8(listed)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn archives_audit_as_their_trees() {
    let dir = tempfile::tempdir().unwrap();
    for tree in snapshots() {
        let archive = snapshot_of(&tree, dir.path());
        for profile in ["baseline", "full"] {
            assert_eq!(
                findings(&archive, profile),
                findings(&tree, profile),
                "{} {profile}",
                tree.display()
            );
        }
        let names = tar_list(&archive);
        assert!(names.contains(&"KHARDEN-SNAPSHOT".to_string()));
        for name in &names {
            let n = name.trim_end_matches('/');
            assert!(
                n == "KHARDEN-SNAPSHOT"
                    || n.starts_with("proc/sys")
                    || n.starts_with("boot/config-")
                    || n.starts_with("sys/")
                    || [
                        "proc/cmdline",
                        "proc/kallsyms",
                        "proc/config.gz",
                        "proc/modules",
                        "proc/mounts",
                        "proc/swaps",
                    ]
                    .contains(&n)
                    || n.starts_with("lib/modules/")
                    || n.starts_with("usr/lib/modules/")
                    || n == "etc/kharden/policy.toml",
                "{}: {name} is not a file the audit reads",
                tree.display()
            );
        }
        // The KASLR check's line, not the symbol table.
        let tar = pipe("zstd", &["-dc"], &std::fs::read(&archive).unwrap());
        let kallsyms = pipe("tar", &["-xOf", "-", "proc/kallsyms"], &tar);
        let text = String::from_utf8(kallsyms).unwrap();
        assert!(text.trim_end().ends_with(" _text"), "{}", tree.display());
        // Same files, same bytes (the time of the snapshot is in the manifest only).
        let manifest = pipe("tar", &["-xOf", "-", "KHARDEN-SNAPSHOT"], &tar);
        let manifest = String::from_utf8(manifest).unwrap();
        assert!(manifest.starts_with("kharden-snapshot 1\n"));
        let boot_id = std::fs::read_to_string(tree.join("proc/sys/kernel/random/boot_id")).unwrap();
        assert!(manifest.contains(&format!("boot_id={}", boot_id.trim())));
    }
}

#[test]
fn diff_and_fix_take_archives() {
    let dir = tempfile::tempdir().unwrap();
    let tree = fixtures().join("snapshots/deb12-6.1-cloud-default");
    let archive = snapshot_of(&tree, dir.path());
    let r = kharden([
        "diff",
        tree.to_str().unwrap(),
        archive.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["flips"].as_array().is_none_or(|a| a.is_empty()),
        "{}",
        r.stdout
    );
    let other = fixtures().join("snapshots/deb12-6.1-cloud-integrity-sigenforce");
    let other_archive = snapshot_of(&other, dir.path());
    let by_trees = kharden(["diff", tree.to_str().unwrap(), other.to_str().unwrap()]);
    let by_archives = kharden([
        "diff",
        archive.to_str().unwrap(),
        other_archive.to_str().unwrap(),
    ]);
    assert_eq!(by_archives.code, by_trees.code);
    assert_eq!(
        by_archives
            .stdout
            .replace(archive.to_str().unwrap(), "A")
            .replace(other_archive.to_str().unwrap(), "B"),
        by_trees
            .stdout
            .replace(tree.to_str().unwrap(), "A")
            .replace(other.to_str().unwrap(), "B")
    );

    // The same files, and the same readiness notes (what enforcing would break).
    let fix = |root: &Path| {
        let r = kharden(["fix", "--root", root.to_str().unwrap()]);
        assert!(r.code <= 1, "{}", r.stderr);
        r.stdout.replace(root.to_str().unwrap(), "ROOT")
    };
    for t in snapshots() {
        let a = snapshot_of(&t, dir.path());
        assert_eq!(fix(&a), fix(&t), "{}", t.display());
    }
}

/// The live host, read (never written): the archive audits as the host does.
#[test]
fn live_host_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("host.tar.zst");
    let r = kharden(["snapshot", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let statuses = |v: serde_json::Value| -> Vec<(String, String)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let host = statuses(json(["audit", "--format", "json"]));
    let archived = statuses(json([
        "audit",
        "--root",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(archived, host);
}

/// A hostile archive is bad input: exit 2, one line naming the archive and the problem.
fn refused(archive: &Path, want: &str) {
    for cmd in [
        vec!["audit", "--root", archive.to_str().unwrap()],
        vec!["fix", "--root", archive.to_str().unwrap()],
        vec!["diff", archive.to_str().unwrap(), archive.to_str().unwrap()],
    ] {
        let r = kharden(&cmd);
        assert_eq!(r.code, 2, "{cmd:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{cmd:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(archive.to_str().unwrap()) && r.stderr.contains(want),
            "{cmd:?}: want {want:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{cmd:?}");
    }
}

/// GNU tar of `names` under `dir` (extra flags first), zstd-compressed, with kharden's manifest.
fn gnu_tar(dir: &Path, out: &str, flags: &[&str], names: &[&str]) -> PathBuf {
    std::fs::write(dir.join("KHARDEN-SNAPSHOT"), "kharden-snapshot 1\n").unwrap();
    let tar = dir.join("t.tar");
    let st = Command::new("tar")
        .args(flags)
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(dir)
        .arg("KHARDEN-SNAPSHOT")
        .args(names)
        .status()
        .unwrap();
    assert!(st.success());
    let path = dir.join(out);
    let compressed = zstd::encode_all(std::fs::File::open(&tar).unwrap(), 3).unwrap();
    std::fs::write(&path, compressed).unwrap();
    path
}

#[test]
fn hostile_archives_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("proc/sys/kernel")).unwrap();
    std::fs::create_dir_all(d.join("etc")).unwrap();
    std::fs::write(d.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    std::os::unix::fs::symlink("/etc/shadow", d.join("proc/sys/kernel/osrelease")).unwrap();
    let st = Command::new("mkfifo")
        .arg(d.join("proc/cmdline"))
        .status()
        .unwrap();
    assert!(st.success());

    refused(
        &gnu_tar(d, "link.tar.zst", &[], &["proc/sys/kernel/osrelease"]),
        "a link",
    );
    refused(
        &gnu_tar(d, "fifo.tar.zst", &[], &["proc/cmdline"]),
        "a FIFO",
    );
    refused(
        &gnu_tar(d, "outside.tar.zst", &[], &["etc/passwd"]),
        "not a file kharden's audit reads",
    );
    let abs = d.join("etc/passwd");
    refused(
        &gnu_tar(d, "absolute.tar.zst", &["-P"], &[abs.to_str().unwrap()]),
        "absolute path",
    );
    // `..` inside a name GNU tar keeps as given with -P.
    refused(
        &gnu_tar(d, "dotdot.tar.zst", &["-P"], &["proc/sys/../../etc/passwd"]),
        ".. in the path",
    );

    // A zstd bomb: 256 MiB of zeros in a few KiB (the tar bound is 128 MiB).
    let bomb = d.join("bomb.tar.zst");
    let zeros = std::io::repeat(0).take_bytes(256 << 20);
    std::fs::write(&bomb, zstd::encode_all(zeros, 1).unwrap()).unwrap();
    refused(&bomb, "limit");

    // Not an archive at all, and an archive with no manifest.
    let plain = d.join("plain.tar.zst");
    std::fs::write(&plain, "hello\n").unwrap();
    refused(&plain, "not a kharden snapshot archive");
    let bare = d.join("bare.tar.zst");
    let tar = Command::new("tar")
        .args(["-cf", "-", "-C"])
        .arg(d)
        .arg("etc")
        .output()
        .unwrap();
    std::fs::write(&bare, zstd::encode_all(&tar.stdout[..], 3).unwrap()).unwrap();
    refused(&bare, "entry etc");

    // Nothing was unpacked next to the archives.
    for name in ["shadow", "passwd"] {
        assert!(!d.join(name).exists());
    }
}

trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        std::io::Read::take(self, n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}

/// `snapshot` refuses a terminal, and a root that is not a directory, in one line.
#[test]
fn snapshot_bad_root() {
    let r = kharden([
        "snapshot",
        "--root",
        "/nonexistent/dir",
        "--out",
        "/dev/null",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

/// The commands of docs/fleet.md's snapshot section run against the committed tree (in a
/// temporary directory, where the archive lands).
#[test]
fn docs_commands_run() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(repo.join("docs/fleet.md")).unwrap();
    let start = doc.find("```sh\n").unwrap() + 6;
    let end = start + doc[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for cmd in doc[start..end].lines() {
        let args: Vec<String> = cmd
            .split_whitespace()
            .skip(1)
            .map(|a| {
                a.replace(
                    "crates/kharden/tests/fixtures",
                    &fixtures().to_string_lossy(),
                )
            })
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_kharden"))
            .args(&args)
            .current_dir(dir.path())
            .env_clear()
            .output()
            .unwrap();
        assert!(
            out.status.code().unwrap() <= 1,
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert_eq!(ran, 4);
}
