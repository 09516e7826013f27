//! Security review, case 2: a damaged or misplaced private key given to `kharden modsign` ends
//! the run with exit 2 and one line on stderr that names the file and quotes none of the key
//! (not its base64, not its DER bytes, not hex of them), on stdout neither.

mod common;

use std::path::{Path, PathBuf};

use common::{kharden, Run};

fn modsig_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../modsig/tests/fixtures")
        .join(name)
}

struct Key {
    name: &'static str,
    label: &'static str,
    pem: String,
    der: Vec<u8>,
    base64: String,
}

/// The private keys shipped as test vectors (PKCS#8, alone or with their certificate as in
/// certs/signing_key.pem) and the RSA key in PKCS#1 form, taken out of its PKCS#8 wrapper.
fn keys() -> Vec<Key> {
    let mut out = Vec::new();
    for name in [
        "rsa4096_private_key.pem",
        "p384_private_key.pem",
        "rsa4096_signing_key.pem",
    ] {
        let pem = std::fs::read_to_string(modsig_fixture(name)).unwrap();
        let der = modsig::pem::parse(pem.as_bytes())
            .unwrap()
            .iter()
            .find(|b| b.label.is_private_key())
            .expect("a private key block")
            .data
            .to_vec();
        out.push(Key {
            name,
            label: "PRIVATE KEY",
            base64: base64_of(&pem),
            pem,
            der,
        });
    }
    let info = modsig::der::parse_one(&out[0].der).unwrap();
    let mut r = info.reader();
    r.read(modsig::der::INTEGER, "version").unwrap();
    r.read(modsig::der::SEQUENCE, "algorithm").unwrap();
    let pkcs1 = r
        .read(modsig::der::OCTET_STRING, "privateKey")
        .unwrap()
        .content;
    let pem = modsig::pem::encode("RSA PRIVATE KEY", pkcs1);
    out.push(Key {
        name: "RSA-4096 PKCS#1",
        label: "RSA PRIVATE KEY",
        base64: base64_of(&pem),
        pem,
        der: pkcs1.to_vec(),
    });
    out
}

fn base64_of(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Fails when stdout or stderr holds eight or more consecutive characters (or bytes) of the
/// key's base64, its DER, the DER read as text, or its hex in either case.
fn assert_no_key_bytes(run: &Run, k: &Key, what: &str) {
    let lossy = String::from_utf8_lossy(&k.der).into_owned();
    let texts = [
        k.base64.clone(),
        lossy,
        hex(&k.der),
        hex(&k.der).to_uppercase(),
    ];
    for out in [&run.stdout, &run.stderr] {
        for w in out.as_bytes().windows(8) {
            assert!(
                !k.der.windows(8).any(|d| d == w),
                "{what}: output quotes key bytes:\n{out}"
            );
            let Ok(w) = std::str::from_utf8(w) else {
                continue;
            };
            for t in &texts {
                assert!(
                    !t.contains(w),
                    "{what}: output quotes the key ({w:?}):\n{out}"
                );
            }
        }
    }
}

/// Exit 2, nothing on stdout, one line on stderr naming `file`.
fn assert_one_line_error(run: &Run, file: &Path, what: &str) {
    assert_eq!(run.code, 2, "{what}: exit {}: {}", run.code, run.stderr);
    assert_eq!(run.stdout, "", "{what}: stdout");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: stderr is not one line:\n{}",
        run.stderr
    );
    assert!(
        lines[0].starts_with("kharden: error: ") && lines[0].contains(file.to_str().unwrap()),
        "{what}: stderr does not name {}: {}",
        file.display(),
        lines[0]
    );
}

fn module(dir: &Path) -> PathBuf {
    let m = dir.join("m.ko");
    std::fs::copy(modsig_fixture("crc7.unsigned.ko"), &m).unwrap();
    m
}

#[test]
fn sign_with_a_damaged_key_exits_2_with_one_line_and_no_key_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let m = module(dir.path());
    let unsigned = std::fs::read(&m).unwrap();
    for k in keys() {
        let (name, label) = (k.name, k.label);
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let damaged_pems = [
            (
                "unterminated BEGIN line",
                k.pem.replacen(&begin, &format!("-----BEGIN {label}"), 1),
            ),
            (
                "BEGIN label with junk",
                k.pem
                    .replacen(&begin, &format!("-----BEGIN {label} XJUNKX-----"), 1),
            ),
            (
                "END line of another label",
                k.pem.replacen(&end, "-----END CERTIFICATE-----", 1),
            ),
            ("missing END line", k.pem.replacen(&end, "", 1)),
        ];
        for (how, text) in damaged_pems {
            assert!(
                text != k.pem,
                "{name}: {how}: the damage did not apply (label?)"
            );
            let what = format!("{name}, {how}");
            let bad = dir.path().join("damaged.pem");
            std::fs::write(&bad, &text).unwrap();
            let p = bad.to_str().unwrap();
            let run = kharden([
                "modsign",
                "sign",
                "--key",
                p,
                "--cert",
                p,
                m.to_str().unwrap(),
            ]);
            assert_one_line_error(&run, &bad, &what);
            assert!(!run.stderr.contains("XJUNKX"), "{what}: label text printed");
            assert_no_key_bytes(&run, &k, &what);
            assert!(
                std::fs::read(&m).unwrap() == unsigned,
                "{what}: module changed"
            );
        }
        let damaged_ders = [
            ("DER cut in half", k.der[..k.der.len() / 2].to_vec()),
            (
                "DER with trailing bytes",
                [&k.der[..], &k.der[..40]].concat(),
            ),
            (
                "DER with a wrong outer tag",
                [&[0x31], &k.der[1..]].concat(),
            ),
        ];
        for (how, bytes) in damaged_ders {
            let what = format!("{name}, {how}");
            let bad = dir.path().join("damaged.der");
            std::fs::write(&bad, &bytes).unwrap();
            let run = kharden([
                "modsign",
                "sign",
                "--key",
                bad.to_str().unwrap(),
                "--cert",
                modsig_fixture("rsa4096_cert.pem").to_str().unwrap(),
                m.to_str().unwrap(),
            ]);
            assert_one_line_error(&run, &bad, &what);
            assert_no_key_bytes(&run, &k, &what);
            assert!(
                std::fs::read(&m).unwrap() == unsigned,
                "{what}: module changed"
            );
        }
    }
}

#[test]
fn verify_given_a_private_key_as_cert_says_so_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let m = module(dir.path());
    for k in keys() {
        let name = k.name;
        let pem = dir.path().join("key.pem");
        std::fs::write(&pem, &k.pem).unwrap();
        let der = dir.path().join("key.der");
        std::fs::write(&der, &k.der).unwrap();
        let cut = dir.path().join("cut.der");
        std::fs::write(&cut, &k.der[..k.der.len() / 2]).unwrap();
        // A PEM that also holds the certificate (certs/signing_key.pem) is a valid --cert.
        let files = if k.pem.contains("CERTIFICATE") {
            vec![&der, &cut]
        } else {
            vec![&pem, &der, &cut]
        };
        for file in files {
            let what = format!("{name} as {}", file.display());
            let run = kharden([
                "modsign",
                "verify",
                "--cert",
                file.to_str().unwrap(),
                m.to_str().unwrap(),
            ]);
            assert_one_line_error(&run, file, &what);
            assert!(
                run.stderr
                    .contains("contains a private key, not a certificate"),
                "{what}: {}",
                run.stderr
            );
            assert_no_key_bytes(&run, &k, &what);
        }
        // A damaged key PEM as the certificate: the PEM error, still without the key.
        let bad = dir.path().join("damaged.pem");
        std::fs::write(
            &bad,
            k.pem.replacen(
                &format!("-----BEGIN {}-----", k.label),
                &format!("-----BEGIN {}", k.label),
                1,
            ),
        )
        .unwrap();
        let run = kharden([
            "modsign",
            "verify",
            "--cert",
            bad.to_str().unwrap(),
            m.to_str().unwrap(),
        ]);
        let what = format!("{name}, damaged, as --cert");
        assert_one_line_error(&run, &bad, &what);
        assert_no_key_bytes(&run, &k, &what);
    }
}
