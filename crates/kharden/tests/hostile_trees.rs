//! Hostile users and hostile trees: regression tests for the security review's cases 1, 3, 4,
//! 5, 6, 10 (apply), 11 and 12 (docs/security.md). kharden runs as root on machines shared with
//! users it must not trust; here the "user" is uid 65534 when the tests run as root (CI), and
//! the racy cases run a concurrent swapper (`renameat2(RENAME_EXCHANGE)` between a file and a
//! symbolic link out of the tree) against at least 300 runs each. Cases 2 (key bytes), 7
//! (terminal escapes), 8 (date override) and 9 (policy diagnostics) are in hostile_keys.rs,
//! hostile_text.rs and hostile_policy.rs; case 10 (verify) in memory_budget.rs.

mod common;

use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use common::*;

/// The unprivileged user of the review.
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Give `path` to the unprivileged user (when the tests run as root; otherwise it stays ours,
/// which is still another owner than root's).
fn give_to_nobody(path: &Path) {
    if is_root() {
        std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

fn modsig_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../modsig/tests/fixtures")
        .join(name)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn copy_tree(from: &Path, to: &Path) {
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            fs::create_dir_all(&dst).unwrap();
            copy_tree(&e.path(), &dst);
        } else {
            fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// A writable copy of a captured snapshot.
fn snapshot_copy(into: &Path) {
    fs::create_dir_all(into).unwrap();
    copy_tree(&fixtures().join("snapshots/deb12-6.1-cloud-default"), into);
}

/// Exchanges two names as fast as it can until stopped, like the review's attacker.
struct Swapper {
    stop: Arc<AtomicBool>,
    swaps: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Swapper {
    fn start(a: &Path, b: &Path) -> Swapper {
        let (a, b) = (a.to_path_buf(), b.to_path_buf());
        let stop = Arc::new(AtomicBool::new(false));
        let swaps = Arc::new(AtomicU64::new(0));
        let (s, n) = (stop.clone(), swaps.clone());
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &a,
                    rustix::fs::CWD,
                    &b,
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .is_ok()
                {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Swapper {
            stop,
            swaps,
            handle: Some(handle),
        }
    }

    /// Stop and return how many swaps were made.
    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().unwrap().join().unwrap();
        self.swaps.load(Ordering::Relaxed)
    }
}

/// `modsign sign-tree TREE` with an ECDSA key (made in a millisecond, unlike RSA-4096).
fn sign_tree(tree: &Path, cert: &Path) -> Run {
    kharden([
        "modsign",
        "sign-tree",
        p(tree),
        "--key-type",
        "ecdsa-p384",
        "--cert-out",
        p(cert),
    ])
}

/// Runs of each racy case (the review saw a leak in 10 of 300 runs).
const RUNS: usize = 300;

// -------------------------------------------------------------------------------------------
// Case 1

#[test]
fn sign_src_dest_creates_dest_as_the_caller_never_as_the_source() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("foo.ko");
    fs::copy(modsig_fixture("crc7.unsigned.ko"), &src).unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o666)).unwrap();
    give_to_nobody(&src);
    let key = modsig_fixture("rsa4096_signing_key.pem");
    let dest = d.path().join("out.ko");
    let r = kharden(["modsign", "sign", "--key", p(&key), p(&src), p(&dest)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = fs::metadata(&dest).unwrap();
    assert_eq!(m.uid(), rustix::process::geteuid().as_raw(), "DEST owner");
    assert_eq!(mode(&dest), 0o644, "DEST mode");
    // A file or link planted at DEST is replaced, never written through or reused.
    let victim = d.path().join("victim");
    fs::write(&victim, b"keep").unwrap();
    fs::remove_file(&dest).unwrap();
    std::os::unix::fs::symlink(&victim, &dest).unwrap();
    let r = kharden(["modsign", "sign", "--key", p(&key), p(&src), p(&dest)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fs::read(&victim).unwrap(), b"keep");
    assert!(fs::symlink_metadata(&dest).unwrap().is_file());
    assert_eq!(mode(&dest), 0o644);
}

#[test]
fn sign_in_place_keeps_the_owner_but_drops_setuid_and_group_other_write() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("foo.ko");
    fs::copy(modsig_fixture("crc7.unsigned.ko"), &m).unwrap();
    give_to_nobody(&m);
    fs::set_permissions(&m, fs::Permissions::from_mode(0o6777)).unwrap();
    let owner = fs::metadata(&m).unwrap().uid();
    let key = modsig_fixture("rsa4096_signing_key.pem");
    let r = kharden(["modsign", "sign", "--key", p(&key), p(&m)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fs::metadata(&m).unwrap().uid(), owner);
    assert_eq!(mode(&m), 0o755);
}

// -------------------------------------------------------------------------------------------
// Case 3

#[test]
fn fix_out_replaces_planted_files_with_caller_owned_0644_files_and_deletes_nobody_elses() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("shared");
    fs::create_dir(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o1777)).unwrap();
    // The user plants the outputs with dangerous modes, a guess of the temporary name, a
    // look-alike of a stale temporary (dead pid, right shape, but theirs) and a file of theirs.
    let planted = [
        ("99-kharden.conf", 0o4777),
        ("kharden.cfg", 0o666),
        ("kharden-cmdline.txt", 0o666),
    ];
    for (name, m) in planted {
        let f = out.join(name);
        fs::write(&f, b"init=/tmp/evil\n").unwrap();
        give_to_nobody(&f);
        fs::set_permissions(&f, fs::Permissions::from_mode(m)).unwrap();
    }
    let theirs = [
        ".thesis.kharden-tmp.final".to_string(),
        ".99-kharden.conf.kharden-tmp.0.0123456789abcdef".to_string(),
        ".99-kharden.conf.kharden-tmp.1".to_string(),
    ];
    for name in &theirs {
        fs::write(out.join(name), b"mine").unwrap();
        give_to_nobody(&out.join(name));
    }
    let config = fixtures().join("configs/debian12-6.1-cloud-amd64.config.xz");
    let r = kharden(["fix", "--config", p(&config), "--no-live", "--out", p(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let me = rustix::process::geteuid().as_raw();
    let mut written = 0;
    for e in fs::read_dir(&out).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if theirs.contains(&name) {
            continue;
        }
        let path = e.path();
        assert_eq!(mode(&path), 0o644, "{name}");
        assert_eq!(fs::metadata(&path).unwrap().uid(), me, "{name}");
        assert!(
            !fs::read_to_string(&path).unwrap().contains("/tmp/evil"),
            "{name}"
        );
        written += 1;
    }
    assert!(written >= 2, "fix wrote {written} files");
    for name in &theirs {
        assert!(out.join(name).exists(), "{name} was deleted");
    }
}

// -------------------------------------------------------------------------------------------
// Case 4

#[test]
fn audit_root_never_reads_outside_the_tree_while_it_changes() {
    let d = tempfile::tempdir().unwrap();
    let secret = d.path().join("secret");
    fs::write(&secret, b"LEAKED-SECRET-CONTENTS\n").unwrap();
    let tree = d.path().join("tree");
    snapshot_copy(&tree);
    let kernel = tree.join("proc/sys/kernel");
    let real = kernel.join("osrelease");
    let evil = kernel.join("osrelease.evil");
    // Both forms of a link out: absolute, and relative with enough `..`.
    std::os::unix::fs::symlink(&secret, &evil).unwrap();
    let cmdline = tree.join("proc/cmdline");
    let cmd_evil = tree.join("proc/cmdline.evil");
    std::os::unix::fs::symlink("../../secret", &cmd_evil).unwrap();
    let s1 = Swapper::start(&real, &evil);
    let s2 = Swapper::start(&cmdline, &cmd_evil);
    for i in 0..RUNS {
        let r = kharden(["audit", "--root", p(&tree), "--format", "json", "--all"]);
        assert!(
            !r.stdout.contains("LEAKED") && !r.stderr.contains("LEAKED"),
            "run {i}: an outside file was read"
        );
    }
    let swaps = (s1.stop(), s2.stop());
    assert!(
        swaps.0 >= RUNS as u64 && swaps.1 >= RUNS as u64,
        "{swaps:?}"
    );
}

#[test]
fn apply_root_never_writes_outside_the_tree_while_it_changes() {
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim");
    fs::write(&victim, b"original\n").unwrap();
    let outdir = d.path().join("outdir");
    fs::create_dir(&outdir).unwrap();
    let tree = d.path().join("tree");
    snapshot_copy(&tree);
    let knob = tree.join("proc/sys/kernel/kptr_restrict");
    let knob_evil = tree.join("proc/sys/kernel/kptr_restrict.evil");
    std::os::unix::fs::symlink(&victim, &knob_evil).unwrap();
    let sysctl_d = tree.join("etc/sysctl.d");
    fs::create_dir_all(&sysctl_d).unwrap();
    fs::write(
        sysctl_d.join("99-kharden.conf"),
        b"kernel.modprobe = /tmp/evil\n",
    )
    .unwrap();
    let sysctl_evil = tree.join("etc/sysctl.d.evil");
    std::os::unix::fs::symlink(&outdir, &sysctl_evil).unwrap();
    // The knob's inode stays the same whatever its name: reset it before each run so that
    // every run has a write to make.
    let knob_file = fs::OpenOptions::new().write(true).open(&knob).unwrap();
    let s1 = Swapper::start(&knob, &knob_evil);
    let s2 = Swapper::start(&sysctl_d, &sysctl_evil);
    for i in 0..RUNS {
        knob_file.set_len(0).unwrap();
        knob_file.write_at(b"0\n", 0).unwrap();
        let r = kharden(["apply", "--root", p(&tree), "--yes"]);
        assert_eq!(
            fs::read(&victim).unwrap(),
            b"original\n",
            "run {i}: {}",
            r.stdout
        );
        assert_eq!(
            fs::read_dir(&outdir).unwrap().count(),
            0,
            "run {i}: a file was written outside the tree"
        );
    }
    let swaps = (s1.stop(), s2.stop());
    assert!(
        swaps.0 >= RUNS as u64 && swaps.1 >= RUNS as u64,
        "{swaps:?}"
    );
}

// -------------------------------------------------------------------------------------------
// Case 5

#[test]
fn sign_tree_never_copies_a_file_swapped_in_for_a_module() {
    let d = tempfile::tempdir().unwrap();
    let secret = d.path().join("secret.ko");
    let mut secret_bytes = fs::read(modsig_fixture("crc7.unsigned.ko")).unwrap();
    secret_bytes.extend_from_slice(b"TOPSECRET");
    fs::write(&secret, &secret_bytes).unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    let tree = d.path().join("tree");
    fs::create_dir(&tree).unwrap();
    let module = tree.join("m.ko");
    let evil = tree.join("m.ko.evil");
    let cert = d.path().join("cert.der");
    let swapper_paths = (module.clone(), evil.clone());
    let mut swaps = 0;
    // Reset the pair between runs (a run that signs over the link replaces it with a file).
    for i in 0..RUNS {
        let _ = fs::remove_file(&module);
        let _ = fs::remove_file(&evil);
        fs::copy(modsig_fixture("crc7.unsigned.ko"), &module).unwrap();
        fs::set_permissions(&module, fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&secret, &evil).unwrap();
        let s = Swapper::start(&swapper_paths.0, &swapper_paths.1);
        let r = sign_tree(&tree, &cert);
        swaps += s.stop();
        assert!(r.code == 0 || r.code == 1, "run {i}: {}", r.stderr);
        for name in [&module, &evil] {
            let Ok(m) = fs::symlink_metadata(name) else {
                continue;
            };
            if m.is_file() {
                let data = fs::read(name).unwrap();
                assert!(
                    !data.windows(9).any(|w| w == b"TOPSECRET"),
                    "run {i}: the secret was copied into the tree"
                );
            }
        }
        assert_eq!(fs::read(&secret).unwrap(), secret_bytes, "run {i}");
        assert_eq!(mode(&secret), 0o600, "run {i}");
    }
    assert!(swaps >= RUNS as u64, "{swaps} swaps");
}

// -------------------------------------------------------------------------------------------
// Case 6

#[test]
fn a_roots_policy_is_read_inside_the_root_never_through_a_host_link() {
    let d = tempfile::tempdir().unwrap();
    let host_policy = d.path().join("host-policy.toml");
    fs::write(
        &host_policy,
        "[[waiver]]\nrule = \"kexec-load-disabled\"\nreason = \"HOST-FILE-CONTENTS\"\nexpires = 2099-01-01\n\
         HOST_KEY_NAME = 1\n",
    )
    .unwrap();
    let tree = d.path().join("tree");
    snapshot_copy(&tree);
    fs::create_dir_all(tree.join("etc/kharden")).unwrap();
    let policy = tree.join("etc/kharden/policy.toml");
    // A relative link with enough `..` to leave the tree, and an absolute one.
    for target in [
        PathBuf::from("../../../host-policy.toml"),
        host_policy.clone(),
    ] {
        let _ = fs::remove_file(&policy);
        std::os::unix::fs::symlink(&target, &policy).unwrap();
        for format in ["human", "json"] {
            let r = kharden([
                "audit",
                "--root",
                p(&tree),
                "--all",
                "-v",
                "--format",
                format,
            ]);
            assert!(
                !r.stdout.contains("HOST-") && !r.stderr.contains("HOST-"),
                "{target:?}: the host file was used: {}{}",
                r.stdout,
                r.stderr
            );
            assert_eq!(r.code, 2, "{target:?}: {}", r.stderr);
            assert!(r.stderr.contains("policy.toml"), "{}", r.stderr);
        }
    }
    // A link that stays inside the tree is followed.
    fs::write(
        tree.join("etc/kharden/real.toml"),
        "[[waiver]]\nrule = \"kexec-load-disabled\"\nreason = \"in the tree\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
    fs::remove_file(&policy).unwrap();
    std::os::unix::fs::symlink("/etc/kharden/real.toml", &policy).unwrap();
    let r = kharden(["audit", "--root", p(&tree), "--all", "-v"]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r.stdout.contains("in the tree"), "{}", r.stdout);
}

// -------------------------------------------------------------------------------------------
// Case 10 (apply's part; verify's is in memory_budget.rs)

#[test]
fn apply_dry_run_reads_module_bombs_within_the_budget() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    snapshot_copy(&tree);
    let release = fs::read_to_string(tree.join("proc/sys/kernel/osrelease")).unwrap();
    let mods = tree.join("lib/modules").join(release.trim());
    fs::create_dir_all(&mods).unwrap();
    // 1 GiB of zeros that say so in their frame header; kdecomp stops at the limit.
    let bomb = zstd_bomb(1 << 30);
    for i in 0..8 {
        fs::write(mods.join(format!("bomb{i}.ko.zst")), &bomb).unwrap();
    }
    let (r, hwm) = run_measured(&["apply", "--root", p(&tree)]);
    assert!(r.status.code().is_some(), "killed: {:?}", r.status);
    // apply reads one module at a time: its peak is one module at the 512 MiB limit (before,
    // up to 1 GiB per module), plus what the process needs besides.
    assert!(hwm < LIMIT_AND_SLACK, "VmHWM {} MiB", hwm >> 20);
    eprintln!("apply with 8 bombs: VmHWM {} MiB", hwm >> 20);
}

/// The decompression limit of one module (512 MiB) and the process's own needs.
const LIMIT_AND_SLACK: u64 = (512 << 20) + (160 << 20);

// -------------------------------------------------------------------------------------------
// Case 11

#[test]
fn sign_tree_refuses_a_second_concurrent_run_and_names_the_holder() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    fs::create_dir(&tree).unwrap();
    fs::copy(modsig_fixture("crc7.unsigned.ko"), tree.join("m.ko")).unwrap();
    let before = fs::read(tree.join("m.ko")).unwrap();
    // This test process holds the tree, as a first run would.
    let dir = fs::File::open(&tree).unwrap();
    let lock = kharden::files::lock::lock_tree(&dir)
        .unwrap()
        .expect("lock");
    let cert = d.path().join("cert.der");
    let r = sign_tree(&tree, &cert);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("locked by another run")
            && r.stderr.contains(&format!("pid {}", std::process::id())),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::read(tree.join("m.ko")).unwrap(),
        before,
        "the module changed"
    );
    assert!(
        !cert.exists(),
        "a certificate was written by the refused run"
    );
    drop(lock);
    let r = sign_tree(&tree, &cert);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn sign_tree_deletes_only_its_own_stale_temporaries() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    fs::create_dir_all(tree.join("sub")).unwrap();
    fs::copy(modsig_fixture("crc7.unsigned.ko"), tree.join("sub/m.ko")).unwrap();
    let ours = tree.join("sub/.m.ko.kharden-tmp.0.0123456789abcdef");
    fs::write(&ours, b"left by a killed run").unwrap();
    let theirs = [
        tree.join(".thesis.kharden-tmp.final"),
        tree.join("sub/.m.ko.kharden-tmp.1.0"),
    ];
    for f in &theirs {
        fs::write(f, b"a user's file").unwrap();
    }
    let by_nobody = tree.join("sub/.x.ko.kharden-tmp.0.fedcba9876543210");
    fs::write(&by_nobody, b"nobody's").unwrap();
    give_to_nobody(&by_nobody);
    let cert = d.path().join("cert.der");
    let r = sign_tree(&tree, &cert);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!ours.exists(), "our own stale temporary stays");
    for f in &theirs {
        assert!(f.exists(), "{} was deleted", f.display());
    }
    if is_root() {
        assert!(by_nobody.exists(), "another user's file was deleted");
    }
}

// -------------------------------------------------------------------------------------------
// Case 12

#[test]
fn sign_refuses_a_symlinked_module_and_leaves_link_and_module_alone() {
    let d = tempfile::tempdir().unwrap();
    let real = d.path().join("real.ko");
    fs::copy(modsig_fixture("crc7.unsigned.ko"), &real).unwrap();
    let link = d.path().join("link.ko");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let before = fs::read(&real).unwrap();
    let key = modsig_fixture("rsa4096_signing_key.pem");
    for extra in [None, Some(d.path().join("out.ko"))] {
        let mut args = vec!["modsign", "sign", "--key", p(&key), p(&link)];
        if let Some(o) = &extra {
            args.push(p(o));
        }
        let r = kharden(&args);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), before);
        if let Some(o) = &extra {
            assert!(!o.exists());
        }
    }
}
