//! `kharden modsign build` without a kernel (scripts/modsign/build-kernel.py runs it around a
//! real kernel build): the certificate is written before the command starts, the command's
//! modules are signed through `sign-request` and verify against that certificate, the exit
//! status passes through, a failed build leaves no certificate, signals reach the command, only
//! the command's own processes get signatures, and nothing is left behind.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn kharden() -> Command {
    hermetic(Path::new(env!("CARGO_BIN_EXE_kharden")))
}

/// `program` without the caller's MAKEFLAGS or signing socket.
fn hermetic(program: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_remove("MAKEFLAGS").env_remove("KHARDEN_SIGN_SOCKET");
    c
}

/// `program modsign build` with an ECDSA key (a key in a millisecond) in `dir`, of `command`.
fn ecdsa_build(program: &Path, dir: &Path, command: &[&str]) -> Command {
    let mut c = hermetic(program);
    c.current_dir(dir)
        .args(["modsign", "build", "--key-type", "ecdsa-p384"])
        .args(["--cert-out", "cert.pem", "--"])
        .args(command);
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../modsig/tests/fixtures")
        .join(name)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn build(dir: &Path, cert: &str, script: &str) -> Output {
    kharden()
        .current_dir(dir)
        .args([
            "modsign",
            "build",
            "--cert-out",
            cert,
            "--",
            "sh",
            "-c",
            script,
        ])
        .output()
        .unwrap()
}

/// `modsign build` (ECDSA) of `script`, running in the background.
fn spawn_build(dir: &Path, script: &str) -> std::process::Child {
    ecdsa_build(
        Path::new(env!("CARGO_BIN_EXE_kharden")),
        dir,
        &["sh", "-c", script],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Two unsigned modules and a Makefile that does for each what Makefile.modinst does, with
/// cmd_sign from MAKEFLAGS (the certificate must already be there when the command starts);
/// each command make runs is logged in `signed-by`.
fn two_modules_to_install(dir: &Path) {
    for m in ["a", "b"] {
        fs::copy(fixture("crc7.unsigned.ko"), dir.join(format!("{m}.ko"))).unwrap();
    }
    fs::write(
        dir.join("Makefile"),
        "all: a.ko b.ko\n%.ko: FORCE\n\ttest -s cert.pem\n\techo '$(cmd_sign)' >> signed-by\n\t$(cmd_sign)\nFORCE:\n",
    )
    .unwrap();
}

fn verify_both(dir: &Path) {
    let v = kharden()
        .args(["modsign", "verify", "--cert", "cert.pem", "a.ko", "b.ko"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(String::from_utf8_lossy(&v.stdout).contains("2 modules: 2 valid"));
}

#[test]
fn build_signs_what_make_asks_and_the_modules_verify_against_the_certificate() {
    let d = tempfile::tempdir().unwrap();
    two_modules_to_install(d.path());
    let o = build(d.path(), "cert.pem", "make -s -j2 all");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // make ran the small client installed beside kharden, once per module.
    let client = env!("CARGO_BIN_EXE_kharden-sign-request");
    let log = fs::read_to_string(d.path().join("signed-by")).unwrap();
    let mut lines: Vec<&str> = log.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [format!("{client} a.ko"), format!("{client} b.ko")],
        "{log}"
    );
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(
        summary.contains("2 module(s) signed") && summary.contains("private key destroyed"),
        "{summary}"
    );
    verify_both(d.path());
    // The certificate is PEM (what CONFIG_MODULE_SIG_KEY's extract-cert reads), and no key.
    let pem = fs::read_to_string(d.path().join("cert.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----") && !pem.contains("PRIVATE"));
}

#[test]
fn without_the_small_client_make_runs_kharden_modsign_sign_request() {
    let bin = tempfile::tempdir().unwrap();
    let alone = bin.path().join("kharden");
    fs::copy(env!("CARGO_BIN_EXE_kharden"), &alone).unwrap();
    let d = tempfile::tempdir().unwrap();
    two_modules_to_install(d.path());
    let o = ecdsa_build(&alone, d.path(), &["make", "-s", "-j2", "all"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let log = fs::read_to_string(d.path().join("signed-by")).unwrap();
    assert_eq!(
        log.matches(&format!("{} modsign sign-request ", alone.display()))
            .count(),
        2,
        "{log}"
    );
    verify_both(d.path());
}

#[test]
fn the_small_client_refuses_what_sign_request_refuses() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m.ko");
    fs::copy(fixture("crc7.unsigned.ko"), &m).unwrap();
    let client = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kharden-sign-request"));
        c.env_remove("KHARDEN_SIGN_SOCKET");
        c
    };
    let o = client().arg(&m).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("KHARDEN_SIGN_SOCKET is not set") && err.contains("m.ko"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let o = client().output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("usage: kharden-sign-request MODULE"));
    assert_eq!(
        fs::read(&m).unwrap(),
        fs::read(fixture("crc7.unsigned.ko")).unwrap()
    );
}

#[test]
fn a_failed_build_passes_its_status_and_leaves_no_certificate() {
    let d = tempfile::tempdir().unwrap();
    let o = build(d.path(), "cert.pem", "test -s cert.pem && exit 7");
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    assert!(!d.path().join("cert.pem").exists());
    assert!(String::from_utf8_lossy(&o.stderr).contains("FAILED (exit 7)"));
}

#[test]
fn sigterm_reaches_the_build_and_the_key_is_still_dropped() {
    let d = tempfile::tempdir().unwrap();
    let child = spawn_build(
        d.path(),
        "trap 'echo term > got-term; exit 143' TERM; touch started; while :; do sleep 0.1; done",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !d.path().join("started").exists() {
        assert!(Instant::now() < deadline, "the build never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", text(&o));
    assert!(
        d.path().join("got-term").exists(),
        "the build did not get SIGTERM"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("private key destroyed") && err.contains("FAILED"),
        "{err}"
    );
    assert!(!d.path().join("cert.pem").exists());
}

#[test]
fn only_the_builds_own_processes_get_signatures_and_nothing_outlives_it() {
    let d = tempfile::tempdir().unwrap();
    // The build tells us its socket, then waits for us.
    let child = spawn_build(
        d.path(),
        "echo \"$KHARDEN_SIGN_SOCKET\" > socket.path; while [ ! -e go ]; do sleep 0.05; done",
    );
    // However this test ends, the build is told to finish (no process left behind).
    struct Go(PathBuf);
    impl Drop for Go {
        fn drop(&mut self) {
            let _ = fs::write(&self.0, b"");
        }
    }
    let go = Go(d.path().join("go"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let socket = loop {
        if let Ok(s) = fs::read_to_string(d.path().join("socket.path")) {
            if !s.trim().is_empty() {
                break PathBuf::from(s.trim());
            }
        }
        assert!(Instant::now() < deadline, "no socket path");
        std::thread::sleep(Duration::from_millis(20));
    };
    // The directory is private.
    let dir_mode = fs::metadata(socket.parent().unwrap()).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&dir_mode.permissions()) & 0o777,
        0o700
    );
    // This test process is not under the build: refused, whatever it sends.
    let mut conn = UnixStream::connect(&socket).unwrap();
    let mut req = b"KHS1".to_vec();
    req.extend_from_slice(&4u64.to_le_bytes());
    req.extend_from_slice(b"\x7fELF");
    conn.write_all(&req).unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).unwrap();
    assert_eq!(
        answer.first(),
        Some(&1),
        "a signature was given to an outsider"
    );
    assert!(String::from_utf8_lossy(&answer).contains("refused"));
    // sign-request outside a build says so.
    let m = d.path().join("m.ko");
    fs::copy(fixture("crc7.unsigned.ko"), &m).unwrap();
    let o = kharden()
        .args(["modsign", "sign-request", m.to_str().unwrap()])
        .env("KHARDEN_SIGN_SOCKET", &socket)
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        fs::read(&m).unwrap(),
        fs::read(fixture("crc7.unsigned.ko")).unwrap()
    );
    drop(go);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 request(s) refused"));
    // After the build: the socket and its directory are gone.
    assert!(!socket.exists() && !socket.parent().unwrap().exists());
}

#[test]
fn a_config_naming_another_key_is_refused_before_anything_runs() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join(".config"),
        "CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_KEY=\"certs/signing_key.pem\"\n",
    )
    .unwrap();
    let o = build(d.path(), "kharden.pem", "touch ran");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("CONFIG_MODULE_SIG_KEY"));
    assert!(!d.path().join("ran").exists() && !d.path().join("kharden.pem").exists());
}
