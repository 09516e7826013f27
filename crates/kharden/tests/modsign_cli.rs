//! `kharden modsign` end to end, with the built binary and the modsig fixtures (copied vectors,
//! see crates/modsig/tests/fixtures/PROVENANCE.md). Exit codes: 0 clean, 1 a module would be
//! refused (or failed to sign), 2 usage or input error.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

/// `kharden modsign sign-tree DIR --cert-out CERT` and `rest`.
fn sign_tree(dir: &str, cert: &Path, rest: &[&str]) -> std::process::Output {
    let mut args = vec!["modsign", "sign-tree", dir, "--cert-out", s(cert)];
    args.extend_from_slice(rest);
    kharden(&args)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../modsig/tests/fixtures")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

fn kharden(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kharden"));
    cmd.env_remove("NO_COLOR");
    for (k, _) in std::env::vars() {
        if k.starts_with("KHARDEN_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.args(args).output().unwrap();
    common::check_json(&out.stdout);
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `needle` in the standard output.
fn assert_stdout(o: &Output, needle: &str) {
    assert!(text(&o.stdout).contains(needle), "{}", text(&o.stdout));
}

/// Exit status 2 with `needle` in the error.
fn assert_input_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains(needle), "{}", text(&o.stderr));
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const MAGIC: &[u8] = b"~Module signature appended~\n";

fn count_magic(d: &[u8]) -> usize {
    d.windows(MAGIC.len()).filter(|w| *w == MAGIC).count()
}

#[test]
fn help_of_every_subcommand() {
    for (sub, flag) in [
        ("sign-tree", "--cert-out"),
        ("sign", "--keyid"),
        ("verify", "--kernel"),
        ("inspect", "--format"),
        ("certs", "--out"),
    ] {
        let o = kharden(&["modsign", sub, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{sub}");
        assert!(text(&o.stdout).contains(flag), "{sub} --help lacks {flag}");
    }
}

#[test]
fn sign_reproduces_sign_file_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crc7.ko");
    std::fs::write(&input, fixture("crc7.unsigned.ko")).unwrap();
    let key = fixtures().join("rsa4096_signing_key.pem");
    let cert = fixtures().join("rsa4096_cert.der");
    for hash in ["sha256", "sha384", "sha512"] {
        for keyid in [false, true] {
            let out = dir.path().join(format!("out-{hash}-{keyid}.ko"));
            let mut args = vec!["modsign", "sign", "--key", s(&key), "--hash", hash];
            if keyid {
                args.push("--keyid");
            }
            // The certificate from the key file (like certs/signing_key.pem) or given apart.
            if hash == "sha384" {
                args.extend(["--cert", s(&cert)]);
            }
            args.extend([s(&input), s(&out)]);
            let o = kharden(&args);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
            let want = format!("crc7.rsa4096.{hash}{}.ko", if keyid { ".skid" } else { "" });
            assert!(
                std::fs::read(&out).unwrap() == fixture(&want),
                "differs from {want}"
            );
        }
    }
    // In place, on a module that already carries Debian's signature: replaced, not stacked.
    std::fs::write(&input, fixture("crc7.debian-signed.ko")).unwrap();
    let o = kharden(&[
        "modsign",
        "sign",
        "--key",
        s(&key),
        "--hash",
        "sha512",
        s(&input),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::read(&input).unwrap() == fixture("crc7.rsa4096.sha512.ko"));
}

#[test]
fn sign_rejects_bad_keys_and_missing_files_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.ko");
    std::fs::write(&m, fixture("crc7.unsigned.ko")).unwrap();
    let rsa_key = fixtures().join("rsa4096_private_key.pem");
    let p384_cert = fixtures().join("p384_cert.der");
    let o = kharden(&[
        "modsign",
        "sign",
        "--key",
        s(&rsa_key),
        "--cert",
        s(&p384_cert),
        s(&m),
    ]);
    assert_input_error(&o, "does not belong");
    let o = kharden(&["modsign", "sign", "--key", "/nonexistent/key.pem", s(&m)]);
    assert_input_error(&o, "/nonexistent/key.pem");
    // A key file without a certificate and no --cert.
    let o = kharden(&["modsign", "sign", "--key", s(&rsa_key), s(&m)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        std::fs::read(&m).unwrap() == fixture("crc7.unsigned.ko"),
        "module changed"
    );
}

#[test]
fn sign_tree_signs_everything_once_keeps_formats_and_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("lib/modules/6.1.0-test");
    let sub = tree.join("kernel/lib");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("a.ko"), fixture("crc7.unsigned.ko")).unwrap();
    std::fs::write(sub.join("b.ko"), fixture("crc7.debian-signed.ko")).unwrap();
    for ext in ["xz", "gz", "zst"] {
        std::fs::write(
            sub.join(format!("c.ko.{ext}")),
            fixture(&format!("crc7.debian-signed.ko.{ext}")),
        )
        .unwrap();
    }
    std::fs::write(sub.join("notes.txt"), b"not a module").unwrap();
    // Left by a killed run of this user (pid 0 is never a process; the token marks it as
    // kharden's), and a look-alike that is not provably kharden's: only the first is removed.
    std::fs::write(
        sub.join(".b.ko.kharden-tmp.0.0123456789abcdef"),
        b"left by a killed run",
    )
    .unwrap();
    std::fs::write(sub.join(".b.ko.kharden-tmp.1.0"), b"someone's file").unwrap();
    std::fs::set_permissions(sub.join("a.ko"), std::fs::Permissions::from_mode(0o640)).unwrap();
    // A symlink loop and a link out of the tree are not followed.
    std::os::unix::fs::symlink(&tree, tree.join("loop")).unwrap();
    let outside = dir.path().join("outside.ko");
    std::fs::write(&outside, fixture("crc7.unsigned.ko")).unwrap();
    std::os::unix::fs::symlink(&outside, sub.join("link.ko")).unwrap();

    let cert = dir.path().join("signing_key.x509");
    let o = sign_tree(s(&tree), &cert, &["--hash", "sha512"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("signed 5 modules (4 re-signed), skipped 0, failed 0"),
        "{out}"
    );
    assert!(out.contains("private key destroyed"), "{out}");
    assert!(!sub.join(".b.ko.kharden-tmp.0.0123456789abcdef").exists());
    assert!(sub.join(".b.ko.kharden-tmp.1.0").exists());
    assert!(std::fs::read(&outside).unwrap() == fixture("crc7.unsigned.ko"));
    assert_eq!(
        std::fs::metadata(sub.join("a.ko"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o640
    );
    // Every module: same container format as before, exactly one signature.
    for (name, magic) in [
        ("a.ko", &b"\x7fELF"[..]),
        ("b.ko", b"\x7fELF"),
        ("c.ko.xz", b"\xfd7zXZ\x00"),
        ("c.ko.gz", b"\x1f\x8b"),
        ("c.ko.zst", b"\x28\xb5\x2f\xfd"),
    ] {
        let raw = std::fs::read(sub.join(name)).unwrap();
        assert!(raw.starts_with(magic), "{name} changed format");
        let (_, plain) = kdecomp::decompress(&raw, 1 << 24).unwrap();
        assert_eq!(count_magic(&plain), 1, "{name}");
        assert_eq!(&plain[..5136], &fixture("crc7.unsigned.ko")[..], "{name}");
    }
    // Nothing but the certificate and the modules was written: no key anywhere.
    let mut names: Vec<String> = walk(dir.path());
    names.sort();
    assert!(
        names.iter().all(
            |n| (!n.contains("kharden-tmp") || n.ends_with(".b.ko.kharden-tmp.1.0"))
                && !n.ends_with(".pem")
        ),
        "{names:?}"
    );
    // The modules verify against the certificate, and not against Debian's.
    let o = kharden(&["modsign", "verify", "--cert", s(&cert), s(&tree)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert_stdout(&o, "5 modules: 5 valid");
    let debian = fixtures().join("debian-6.1.0-56-build-key.x509");
    let o = kharden(&["modsign", "verify", "--cert", s(&debian), s(&tree)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("5 untrusted"));

    // A second run (as after an interrupted one) signs everything again with a new key.
    let o = sign_tree(s(&tree), &cert, &["--pem", "--keyid"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(std::fs::read(&cert)
        .unwrap()
        .starts_with(b"-----BEGIN CERTIFICATE-----"));
    let o = kharden(&["modsign", "verify", "--cert", s(&cert), s(&tree)]);
    assert_stdout(&o, "5 modules: 5 valid");
}

fn walk(p: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[test]
fn sign_tree_p384_and_bad_trees() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.ko"), fixture("crc7.unsigned.ko")).unwrap();
    std::fs::write(dir.path().join("fake.ko"), b"MZ this is not an ELF file").unwrap();
    let mut broken = fixture("crc7.rsa4096.sha256.ko");
    let n = broken.len() - 28 - 4;
    broken[n..n + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(dir.path().join("broken.ko"), &broken).unwrap();
    let cert = dir.path().join("c.der");
    let o = sign_tree(s(dir.path()), &cert, &["--key-type", "ecdsa-p384"]);
    // broken.ko's trailer cannot be removed safely: it is left alone and the run fails.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_stdout(&o, "signed 1 modules");
    assert!(text(&o.stderr).contains("fake.ko: not an ELF file"));
    assert!(text(&o.stderr).contains("broken.ko: existing signature is broken"));
    assert!(std::fs::read(dir.path().join("broken.ko")).unwrap() == broken);
    let o = kharden(&[
        "modsign",
        "verify",
        "--cert",
        s(&cert),
        s(&dir.path().join("a.ko")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    // Only modules that would be refused are listed, unless -v.
    assert_eq!(text(&o.stdout), "1 modules: 1 valid\n");
    let o = kharden(&[
        "modsign",
        "verify",
        "-v",
        "--cert",
        s(&cert),
        s(&dir.path().join("a.ko")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("ECDSA P-384, sha384"));

    let o = sign_tree("/nonexistent/dir", &cert, &[]);
    assert_input_error(&o, "/nonexistent/dir");
    let o = sign_tree(
        s(dir.path()),
        &cert,
        &["--key-type", "ecdsa-p384", "--hash", "sha512"],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn verify_json_follows_the_schema_and_exit_codes() {
    let f = fixtures();
    let cert = f.join("rsa4096_cert.der");
    let o = kharden(&[
        "modsign",
        "verify",
        "--format",
        "json",
        "--cert",
        s(&cert),
        s(&f.join("crc7.rsa4096.sha512.ko.xz")),
        s(&f.join("crc7.unsigned.ko")),
        s(&f.join("negative")),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["schema"], "kharden.modsign.verify/1");
    let modules = doc["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 7);
    for m in modules {
        for k in ["path", "status", "detail", "signer", "key_id", "hash"] {
            assert!(m.get(k).is_some(), "{k} missing in {m}");
        }
    }
    let by_name = |n: &str| {
        modules
            .iter()
            .find(|m| m["path"].as_str().unwrap().ends_with(n))
            .unwrap()
    };
    let v = by_name("crc7.rsa4096.sha512.ko.xz");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["hash"], "sha512");
    assert_eq!(v["signer"], "Build time autogenerated kernel key");
    assert_eq!(by_name("crc7.unsigned.ko")["status"], "unsigned");
    assert_eq!(by_name("tampered.ko")["status"], "bad_signature");
    assert_eq!(by_name("badstruct.ko")["status"], "malformed");
    assert_eq!(by_name("sigalg-sha256WithRSA.ko")["status"], "unsupported");
    assert_eq!(
        doc["summary"],
        serde_json::json!({"valid": 1, "unsigned": 1, "bad_signature": 1, "malformed": 3, "unsupported": 1})
    );
    // Only valid modules: exit 0.
    let o = kharden(&[
        "modsign",
        "verify",
        "--cert",
        s(&cert),
        s(&f.join("crc7.rsa4096.sha256.skid.ko")),
    ]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn verify_input_errors_exit_2_naming_the_file() {
    let f = fixtures();
    let m = f.join("crc7.debian-signed.ko");
    // Neither --cert nor --kernel, and a root whose running kernel is unknown.
    let o = kharden(&["modsign", "verify", "--root", "/nonexistent-root", s(&m)]);
    assert_input_error(
        &o,
        "/nonexistent-root/proc/sys/kernel/osrelease: the running kernel's release is unreadable",
    );
    let o = kharden(&["modsign", "verify", "--cert", "/nonexistent.der", s(&m)]);
    assert_input_error(&o, "/nonexistent.der");
    let o = kharden(&["modsign", "verify", "--cert", s(&m), s(&m)]);
    assert_eq!(o.status.code(), Some(2), "a module is not a certificate");
    let cert = f.join("debian-6.1.0-56-build-key.pem");
    let o = kharden(&[
        "modsign",
        "verify",
        "--cert",
        s(&cert),
        s(&m),
        "/nonexistent/x.ko",
    ]);
    assert_input_error(&o, "/nonexistent/x.ko");
    // An input error, not a verdict: no report of the readable module either.
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    let o = kharden(&["modsign", "verify", "--cert", s(&cert)]);
    assert_eq!(o.status.code(), Some(2), "no paths is a usage error");
}

#[test]
fn verify_hostile_files_get_verdicts_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let signed = fixture("crc7.rsa4096.sha256.ko");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.ko", vec![]),
        ("magic-only.ko", MAGIC.to_vec()),
        ("truncated.ko", signed[..signed.len() - 1].to_vec()),
        (
            "cut-trailer.ko",
            [&signed[..100], &signed[signed.len() - 30..]].concat(),
        ),
        (
            "corrupt.ko.xz",
            fixture("crc7.rsa4096.sha512.ko.xz")[..500].to_vec(),
        ),
        (
            "elf-not-module.ko",
            b"\x7fELF\x02\x01\x01 just an ELF header".to_vec(),
        ),
    ];
    for (n, d) in &cases {
        std::fs::write(dir.path().join(n), d).unwrap();
    }
    for i in 0..2000 {
        std::fs::write(dir.path().join(format!("many-{i}.ko")), b"").unwrap();
    }
    let cert = fixtures().join("rsa4096_cert.der");
    let o = kharden(&[
        "modsign",
        "verify",
        "--format",
        "json",
        "--cert",
        s(&cert),
        s(dir.path()),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["modules"].as_array().unwrap().len(), 2006);
    assert_eq!(doc["summary"]["unsigned"], 2003);
    assert_eq!(doc["summary"]["malformed"], 3);
}

/// The bzImage fixture builder of crates/modsig/tests/kernel_image.rs, for the CLI.
fn bzimage(dir: &Path) -> PathBuf {
    let payload = fixture("kernel/payload.xz");
    let pm = 5 * 512;
    let mut img = vec![0u8; pm];
    img[0x1f1] = 4;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    img[0x248..0x24c].copy_from_slice(&0u32.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    img.extend_from_slice(&payload);
    let p = dir.join("vmlinuz");
    std::fs::write(&p, img).unwrap();
    p
}

#[test]
fn certs_and_verify_with_a_kernel_image() {
    let dir = tempfile::tempdir().unwrap();
    let image = bzimage(dir.path());
    let out = dir.path().join("certs");
    let o = kharden(&["modsign", "certs", "--kernel", s(&image), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    assert!(
        t.contains("2 certificate(s) in system_certificate_list"),
        "{t}"
    );
    assert!(
        t.contains("66:F5:4E:15:66:A0:43:CC:30:30:42:0E:18:1C:F8:50:FB:9F:42:AC"),
        "{t}"
    );
    assert!(t.contains("2026-11-16"), "{t}");
    let first = out.join("00-8963f707e289edc09df337a240938134371a5bb8.der");
    assert!(std::fs::read(first).unwrap() == fixture("debian-6.1.0-56-build-key.x509"));
    let o = kharden(&[
        "modsign",
        "certs",
        "--format",
        "json",
        "--kernel",
        s(&image),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["certificates"][1]["key"], "RSA-4096");
    assert_eq!(doc["compression"], "xz");

    let o = kharden(&[
        "modsign",
        "verify",
        "--kernel",
        s(&image),
        s(&fixtures().join("crc7.debian-signed.ko.zst")),
        s(&fixtures().join("crc7.rsa4096.sha384.skid.ko")),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    // A module is no kernel (exit 2, not "a kernel that trusts nothing"), nor is a text file.
    for (file, why) in [
        (
            "crc7.unsigned.ko",
            "not a kernel image: an ELF relocatable object",
        ),
        (
            "VECTORS.md",
            "not a kernel image: no bzImage, EFI zboot, arm64/RISC-V Image or ELF header",
        ),
    ] {
        let o = kharden(&["modsign", "certs", "--kernel", s(&fixtures().join(file))]);
        assert_eq!(o.status.code(), Some(2), "{file}");
        assert!(o.stdout.is_empty(), "{file}");
        let e = text(&o.stderr);
        assert!(e.contains(&format!("{file}: ")) && e.contains(why), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // A kernel built without module signing: a banner, no certificate. Exit 1, like grep
    // finding nothing, with the listing and one line saying so.
    let mut bare = fixture("kernel/x86-vmlinux");
    bare[0x4000..].fill(0);
    let bare_path = dir.path().join("vmlinux-nosig");
    std::fs::write(&bare_path, bare).unwrap();
    let o = kharden(&["modsign", "certs", "--kernel", s(&bare_path)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout)
        .contains("Linux 7.2.13+deb14-cloud-amd64, plain payload found by ELF vmlinux"));
    assert!(text(&o.stdout).contains("0 certificate(s)"));
    assert!(
        text(&o.stderr).contains("vmlinux-nosig: no built-in certificates found"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn certs_and_verify_with_images_of_every_shape() {
    // Samples cut from Debian unstable's 7.2 cloud kernels (modsig's fixtures/kernel).
    for (name, release) in [
        ("arm64-Image", "7.2.13+deb14-cloud-arm64"),
        ("arm64-Image.gz", "7.2.13+deb14-cloud-arm64"),
        ("arm64-zboot.efi", "7.2.13+deb14-cloud-arm64"),
        ("x86-vmlinux", "7.2.13+deb14-cloud-amd64"),
    ] {
        let image = fixtures().join("kernel").join(name);
        let o = kharden(&[
            "modsign",
            "certs",
            "--format",
            "json",
            "--kernel",
            s(&image),
        ]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["release"], release, "{name}");
        assert_eq!(doc["system_certificate_list"], true, "{name}");
        assert_eq!(doc["certificates"][0]["key"], "ECDSA P-384", "{name}");
        // Debian's modules are not signed by this key: untrusted, with the image as trust.
        let o = kharden(&[
            "modsign",
            "verify",
            "--kernel",
            s(&image),
            s(&fixtures().join("crc7.debian-signed.ko")),
        ]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", text(&o.stderr));
        assert_stdout(&o, "1 modules: 1 untrusted");
    }
}

#[test]
fn inspect_shows_modinfo_fields_and_the_signer_id() {
    let f = fixtures();
    let o = kharden(&[
        "modsign",
        "inspect",
        s(&f.join("crc7.debian-signed.ko.gz")),
        s(&f.join("crc7.rsa4096.sha256.skid.ko")),
        s(&f.join("crc7.unsigned.ko")),
        s(&f.join("negative/crc7.rsa4096.sha256.signedattrs.ko")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    for want in [
        "compression:    gzip",
        "signer:         Build time autogenerated kernel key",
        "sig_key:        66:F5:4E:15:66:A0:43:CC:30:30:42:0E:18:1C:F8:50:FB:9F:42:AC",
        "sig_hashalgo:   sha256",
        "id_type=2 (PKCS#7)",
        "sig_len=681",
        "signer id:      subjectKeyIdentifier (SignerInfo version 3)",
        "signature:      none",
        "signed attrs:   contentType, signingTime, messageDigest, smimeCapabilities",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
    let o = kharden(&[
        "modsign",
        "inspect",
        "--format",
        "json",
        s(&f.join("crc7.debian-signed.ko")),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["modules"][0]["cms"]["signers"][0]["signature_len"], 512);
    let o = kharden(&["modsign", "inspect", "/nonexistent.ko"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A path that cannot be read is one error line naming it, exit 2, and nothing on stdout (not
/// `0 modules: none`, not a JSON body): the error was printed twice and a report written.
#[test]
fn verify_with_an_unreadable_path_writes_no_report() {
    let cert = fixtures().join("rsa4096_cert.der");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.ko");
    for format in ["human", "json"] {
        let o = kharden(&[
            "modsign",
            "verify",
            "--cert",
            s(&cert),
            "--format",
            format,
            s(&missing),
        ]);
        assert_eq!(o.status.code(), Some(2), "{format}");
        assert!(o.stdout.is_empty(), "{format}: {}", text(&o.stdout));
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{format}: {err}");
        assert!(err.contains("missing.ko: not found"), "{err}");
    }
    // Two: each once, then the count.
    let other = dir.path().join("other.ko");
    let o = kharden(&[
        "modsign",
        "verify",
        "--cert",
        s(&cert),
        s(&missing),
        s(&other),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 3, "{err}");
    assert_eq!(err.matches("missing.ko").count(), 1, "{err}");
    assert!(
        err.ends_with("kharden: error: 2 paths could not be read\n"),
        "{err}"
    );
}

/// A file that is not a certificate at all (a kernel config) is said to be one, not given a
/// DER parser's complaint about its bytes; a real but damaged DER certificate keeps the detail.
#[test]
fn cert_that_is_not_a_certificate_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".config");
    std::fs::write(
        &config,
        "# Automatically generated file; DO NOT EDIT.\nCONFIG_64BIT=y\n",
    )
    .unwrap();
    let module = dir.path().join("crc7.ko");
    std::fs::write(&module, fixture("crc7.unsigned.ko")).unwrap();
    let o = kharden(&["modsign", "verify", "--cert", s(&config), s(&module)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    assert_eq!(
        err,
        format!(
            "kharden: error: {}: not a certificate: neither PEM with a CERTIFICATE block nor one DER X.509 certificate\n",
            config.display()
        )
    );
    let mut der = fixture("rsa4096_cert.der");
    assert_eq!(der[..2], [0x30, 0x82]);
    der[4] = 0x31; // the TBSCertificate is no longer a SEQUENCE; the whole is still one
    let bad = dir.path().join("bad.der");
    std::fs::write(&bad, &der).unwrap();
    let o = kharden(&["modsign", "verify", "--cert", s(&bad), s(&module)]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("reading certificates: certificate:") && !err.contains("not a certificate"),
        "{err}"
    );
}

#[test]
fn verify_without_cert_trusts_the_running_kernels_own_image() {
    // A snapshot laid out as Debian from 2026 installs a kernel: the image beside the modules.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let rel = "7.2.13+deb14-cloud-arm64";
    std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
    std::fs::write(root.join("proc/sys/kernel/osrelease"), format!("{rel}\n")).unwrap();
    let moddir = root.join("usr/lib/modules").join(rel);
    std::fs::create_dir_all(moddir.join("kernel")).unwrap();
    std::fs::copy(
        fixtures().join("crc7.debian-signed.ko"),
        moddir.join("kernel/crc7.ko"),
    )
    .unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["modsign", "verify", "--root", s(root)];
        args.extend_from_slice(extra);
        args.push(s(&moddir));
        kharden(&args)
    };
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains(&format!("no image of kernel {rel} found under")),
        "{e}"
    );
    assert!(
        e.contains(&format!("/usr/lib/modules/{rel}/vmlinuz: not found")),
        "{e}"
    );
    assert!(o.stdout.is_empty());

    std::fs::write(moddir.join("vmlinuz"), fixture("kernel/arm64-Image")).unwrap();
    let o = verify(&[]);
    // Debian 6.1's module is not signed by the 7.2 arm64 key: refused, and the image named.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(
        e.contains(&format!(
            "trusting the 1 certificate(s) built into {}/usr/lib/modules/{rel}/vmlinuz (kernel {rel})",
            root.display()
        )),
        "{e}"
    );
    assert!(text(&o.stdout).contains("1 modules: 1 untrusted"));
    // /boot comes first; an explicit release picks another kernel's image.
    std::fs::create_dir_all(root.join("boot")).unwrap();
    std::fs::write(
        root.join("boot/vmlinuz-7.2.13+deb14-cloud-amd64"),
        fixture("kernel/x86-vmlinux"),
    )
    .unwrap();
    let o = verify(&["--target-release", "7.2.13+deb14-cloud-amd64"]);
    assert!(
        text(&o.stderr)
            .contains("/boot/vmlinuz-7.2.13+deb14-cloud-amd64 (kernel 7.2.13+deb14-cloud-amd64)"),
        "{}",
        text(&o.stderr)
    );
    // A file there that is no kernel is an input error naming it.
    std::fs::write(moddir.join("vmlinuz"), b"#!/bin/sh\n").unwrap();
    let o = verify(&[]);
    assert_input_error(&o, "vmlinuz: not a kernel image");
}

#[test]
fn verify_judges_by_the_target_kernels_version_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let rel = "7.2.13+deb14-cloud-amd64";
    let image = dir.path().join(format!("vmlinuz-{rel}"));
    std::fs::write(&image, fixture("kernel/x86-vmlinux")).unwrap();
    let p384 = fixtures().join("p384_cert.der");
    let module = fixtures().join("crc7.p384.sha384.ko");
    // -v: the verdicts of valid modules are shown too.
    let run = || {
        kharden(&[
            "modsign",
            "verify",
            "-v",
            "--kernel",
            s(&image),
            "--cert",
            s(&p384),
            s(&module),
        ])
    };
    // No config beside the image: valid, with what it depends on, naming this kernel only.
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains(&format!("judging as Linux {rel} would, config unknown")));
    assert!(text(&o.stdout).contains(&format!(
        "ECDSA needs CONFIG_CRYPTO_ECDSA (y or m) in Linux {rel}, whose config is unknown"
    )));
    // config-REL beside vmlinuz-REL, as /boot holds them.
    let config = dir.path().join(format!("config-{rel}"));
    std::fs::write(
        &config,
        "CONFIG_MODULE_SIG=y\n# CONFIG_CRYPTO_ECDSA is not set\n",
    )
    .unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains(&format!("config {}", config.display())));
    assert_stdout(
        &o,
        &format!("Linux {rel} is built without CONFIG_CRYPTO_ECDSA and cannot check it"),
    );
    std::fs::write(&config, "CONFIG_MODULE_SIG=y\nCONFIG_CRYPTO_ECDSA=m\n").unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(0));
    assert_stdout(&o, "(ECDSA P-384, sha384)\n");
    // --target-release names another kernel: the image's config is not that kernel's.
    let o = kharden(&[
        "modsign",
        "verify",
        "-v",
        "--cert",
        s(&p384),
        "--target-release",
        "6.1.0-18-amd64",
        s(&module),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("in Linux 6.1.0-18-amd64, whose config is unknown"));
}

#[test]
fn ml_dsa_modules_are_inspected_and_verified() {
    let f = fixtures().join("mldsa");
    let o = kharden(&[
        "modsign",
        "inspect",
        s(&f.join("crc7.mldsa65.sign-file.ko")),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let t = text(&o.stdout);
    assert!(t.contains("signature alg:  ML-DSA-65"), "{t}");
    assert!(
        t.contains("signed attrs:   contentType, messageDigest"),
        "{t}"
    );
    let verify = |release: &str| {
        kharden(&[
            "modsign",
            "verify",
            "-v",
            "--cert",
            s(&f.join("mldsa65_cert.der")),
            "--target-release",
            release,
            s(&f.join("crc7.mldsa65.sign-file.ko")),
            s(&f.join("crc7.mldsa65.noattrs.ko")),
        ])
    };
    let o = verify("7.2.13+deb14-cloud-amd64");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("(ML-DSA-65, over the module)"));
    assert!(text(&o.stdout).contains("(ML-DSA-65, signed attributes, sha512)"));
    let o = verify("6.12.48+deb13-amd64");
    assert_eq!(o.status.code(), Some(1));
    assert_stdout(&o, "2 modules: 2 unsupported");
}

/// `sign-tree --format json`: the summary as the `kharden.modsign.sign-tree/1` document.
#[test]
fn sign_tree_has_a_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.ko"), fixture("crc7.unsigned.ko")).unwrap();
    std::fs::write(dir.path().join("fake.ko"), b"not an ELF").unwrap();
    let cert = dir.path().join("c.der");
    let o = sign_tree(s(dir.path()), &cert, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "kharden.modsign.sign-tree/1");
    assert_eq!(v["signed"], 1);
    assert_eq!(v["failed"], serde_json::json!([]));
    assert_eq!(v["skipped"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["skipped"][0].as_str().unwrap().contains("fake.ko"));
    assert_eq!(v["cert_out"], s(&cert));
    assert_eq!(v["key"], "RSA-4096");
}
