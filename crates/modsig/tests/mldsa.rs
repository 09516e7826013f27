//! ML-DSA-44/65/87 module signatures (Linux 7.0+) from real peers (tests/fixtures/mldsa,
//! PROVENANCE.md): the kernel's own 7.2 sign-file and OpenSSL 3.6's `openssl cms` (CMS with
//! signed attributes), and OpenSSL 3.6's ML-DSA over the module itself in a SignerInfo without
//! signed attributes (the shape OpenSSL 4 makes). Each verifies as a 7.x kernel would; each
//! negative vector gets the 7.x kernel's verdict; `inspect` agrees with kmod's `modinfo`.

use modsig::{cert::Certificate, verify_for, Keyring, PublicKey, Status, TargetKernel};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/mldsa/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ring(level: u16) -> Keyring {
    let mut k = Keyring::new();
    k.add(Certificate::from_der(&fixture(&format!("mldsa{level}_cert.der"))).unwrap());
    k
}

fn target(release: &str, mldsa: Option<bool>) -> TargetKernel {
    TargetKernel {
        mldsa,
        ..TargetKernel::from_release(release)
    }
}

const SHAPES: [(&str, &str); 3] = [
    ("sign-file", "signed attributes, sha512"),
    ("cms", "signed attributes, sha512"),
    ("noattrs", "over the module"),
];

#[test]
fn certificates_hold_ml_dsa_keys() {
    for (level, len) in [(44, 1312), (65, 1952), (87, 2592)] {
        let c = Certificate::from_der(&fixture(&format!("mldsa{level}_cert.der"))).unwrap();
        assert_eq!(c.public_key.describe(), format!("ML-DSA-{level}"));
        match &c.public_key {
            PublicKey::MlDsa { raw, .. } => assert_eq!(raw.len(), len),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn every_peer_vector_verifies_on_a_7_x_kernel() {
    for level in [44u16, 65, 87] {
        for (shape, how) in SHAPES {
            let name = format!("crc7.mldsa{level}.{shape}.ko");
            for t in [
                target("7.2.13+deb14-cloud-amd64", Some(true)),
                TargetKernel::from_release("7.0.0"),
                TargetKernel::default(),
            ] {
                let v = verify_for(&fixture(&name), &ring(level), &t);
                assert_eq!(v.status, Status::Valid, "{name}: {}", v.detail);
                assert_eq!(
                    v.detail,
                    format!(
                        "signed by \"CN=kharden ML-DSA-{level} test key\" (ML-DSA-{level}, {how})"
                    ),
                );
            }
            // Another level's key is another signer.
            let other = if level == 44 { 65 } else { 44 };
            let v = verify_for(&fixture(&name), &ring(other), &TargetKernel::default());
            assert_eq!(v.status, Status::Untrusted, "{name}");
        }
    }
}

#[test]
fn older_kernels_and_kernels_without_the_verifier_refuse_ml_dsa() {
    let m = fixture("crc7.mldsa65.sign-file.ko");
    let v = verify_for(&m, &ring(65), &target("6.12.48+deb13-amd64", None));
    assert_eq!(v.status, Status::Unsupported);
    assert!(
        v.detail
            .contains("Linux 6.12.48+deb13-amd64 predates ML-DSA module signatures (7.0)"),
        "{}",
        v.detail
    );
    let v = verify_for(
        &m,
        &ring(65),
        &target("7.2.13+deb14-cloud-amd64", Some(false)),
    );
    assert_eq!(v.status, Status::Unsupported);
    assert!(
        v.detail.contains("built without CONFIG_CRYPTO_MLDSA"),
        "{}",
        v.detail
    );
}

#[test]
fn negative_vectors_get_the_7_x_kernels_verdict() {
    let t = target("7.2.13+deb14-cloud-amd64", Some(true));
    // pkcs7_digest(): the messageDigest attribute no longer matches the module.
    let v = verify_for(
        &fixture("negative/crc7.mldsa65.sign-file-tampered.ko"),
        &ring(65),
        &t,
    );
    assert_eq!(v.status, Status::BadSignature);
    assert_eq!(
        v.detail,
        "the messageDigest attribute is not the sha512 of the module (kernel: Message digest doesn't match, -EKEYREJECTED)"
    );
    // No signed attributes: the ML-DSA signature over the module fails.
    let v = verify_for(
        &fixture("negative/crc7.mldsa65.noattrs-tampered.ko"),
        &ring(65),
        &t,
    );
    assert_eq!(v.status, Status::BadSignature);
    assert!(
        v.detail.starts_with("signature does not verify"),
        "{}",
        v.detail
    );
}

/// `modinfo`'s signature fields, as kmod 34 printed them for each vector.
fn modinfo(name: &str) -> Vec<(String, String)> {
    let text = String::from_utf8(fixture(&format!("modinfo/{name}.txt"))).unwrap();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(cont) = line.strip_prefix('\t') {
            fields.last_mut().unwrap().1.push_str(cont.trim());
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.to_string(), v.trim().to_string()));
        }
    }
    fields
        .into_iter()
        .filter(|(k, _)| k.starts_with("sig") || k == "signer")
        .collect()
}

#[test]
fn inspect_agrees_with_modinfo_field_by_field() {
    let mut names: Vec<String> = Vec::new();
    for level in [44, 65, 87] {
        for (shape, _) in SHAPES {
            names.push(format!("crc7.mldsa{level}.{shape}.ko"));
        }
    }
    names.push("negative/crc7.mldsa65.sign-file-tampered.ko".into());
    names.push("negative/crc7.mldsa65.noattrs-tampered.ko".into());
    for name in &names {
        let base = name.rsplit('/').next().unwrap();
        let i = modsig::inspect::inspect(&fixture(name));
        let s = &i.cms.unwrap().signers[0];
        let mine = vec![
            ("sig_id".to_string(), "PKCS#7".to_string()),
            ("signer".to_string(), s.signer.clone().unwrap()),
            ("sig_key".to_string(), s.serial.clone().unwrap()),
            ("sig_hashalgo".to_string(), s.digest.clone()),
            ("signature".to_string(), s.signature.clone()),
        ];
        assert_eq!(mine, modinfo(base), "{name}");
        assert!(s.signature_algorithm.starts_with("ML-DSA-"), "{name}");
    }
}
