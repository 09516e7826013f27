//! Errors from reading keys and certificates never quote the input (security review, case 2):
//! every supported private key form is damaged in the PEM armour and in the DER, fed to every
//! parse entry point, and each error (Display, Debug and the whole source chain) is searched
//! for the key's base64, its DER bytes (raw, lossy text, lower- and uppercase hex) and any
//! label text that is not one of the crate's fixed labels.
//!
//! Keys are generated here with aws-lc-rs (the crate's own backend), so the test is hermetic.

use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
};
use modsig::{der, pem, Certificate, SigningKey};

/// Shortest run of the input that counts as quoting it.
const RUN: usize = 8;

struct Key {
    name: &'static str,
    label: &'static str,
    der: Vec<u8>,
}

/// RSA 2048/4096 as PKCS#8 and PKCS#1, EC P-256/P-384 as PKCS#8 and SEC1: every form
/// `SigningKey::from_pem_or_der` accepts.
fn keys() -> &'static [Key] {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut out = Vec::new();
        for (size, pkcs8_name, pkcs1_name) in [
            (KeySize::Rsa2048, "RSA-2048 PKCS#8", "RSA-2048 PKCS#1"),
            (KeySize::Rsa4096, "RSA-4096 PKCS#8", "RSA-4096 PKCS#1"),
        ] {
            let k = RsaKeyPair::generate(size).unwrap();
            let pkcs8 = k.as_der().unwrap().as_ref().to_vec();
            let pkcs1 = pkcs8_private_key(&pkcs8);
            out.push(Key {
                name: pkcs8_name,
                label: "PRIVATE KEY",
                der: pkcs8,
            });
            out.push(Key {
                name: pkcs1_name,
                label: "RSA PRIVATE KEY",
                der: pkcs1,
            });
        }
        for (alg, pkcs8_name, sec1_name) in [
            (
                &ECDSA_P256_SHA256_ASN1_SIGNING,
                "P-256 PKCS#8",
                "P-256 SEC1",
            ),
            (
                &ECDSA_P384_SHA384_ASN1_SIGNING,
                "P-384 PKCS#8",
                "P-384 SEC1",
            ),
        ] {
            let k = EcdsaKeyPair::generate(alg).unwrap();
            out.push(Key {
                name: pkcs8_name,
                label: "PRIVATE KEY",
                der: k.to_pkcs8v1().unwrap().as_ref().to_vec(),
            });
            out.push(Key {
                name: sec1_name,
                label: "EC PRIVATE KEY",
                der: k.private_key().as_der().unwrap().as_ref().to_vec(),
            });
        }
        // The undamaged forms load, so every failure below comes from the damage.
        for k in &out {
            SigningKey::from_pem_or_der(&k.der)
                .unwrap_or_else(|e| panic!("{} DER does not load: {e}", k.name));
            SigningKey::from_pem_or_der(pem::encode(k.label, &k.der).as_bytes())
                .unwrap_or_else(|e| panic!("{} PEM does not load: {e}", k.name));
        }
        out
    })
}

/// The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (its privateKey OCTET STRING).
fn pkcs8_private_key(pkcs8: &[u8]) -> Vec<u8> {
    let info = der::parse_one(pkcs8).unwrap();
    let mut r = info.reader();
    r.read(der::INTEGER, "version").unwrap();
    r.read(der::SEQUENCE, "algorithm").unwrap();
    r.read(der::OCTET_STRING, "privateKey")
        .unwrap()
        .content
        .to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Display, Debug and every source of `e`, as the CLI or a log could show them.
fn render(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{e}\n{e:?}");
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(&format!("\n{c}\n{c:?}"));
        cause = c.source();
    }
    out
}

/// What an error must not contain: runs of text (base64, label text) and runs of bytes (DER).
#[derive(Default)]
struct Secrets {
    texts: Vec<String>,
    bytes: Vec<Vec<u8>>,
}

impl Secrets {
    fn for_der(der: &[u8]) -> Self {
        let mut s = Secrets::default();
        s.add_der(der);
        s
    }

    fn add_der(&mut self, der: &[u8]) {
        self.bytes.push(der.to_vec());
        self.texts.push(String::from_utf8_lossy(der).into_owned());
        // Eight bytes of hex are sixteen characters; a shorter window also catches them.
        self.texts.push(hex(der));
        self.texts.push(hex(der).to_uppercase());
    }

    /// Panics when `msg` holds a run of RUN or more characters (or bytes) of a secret.
    fn assert_absent(&self, msg: &str, what: &str) {
        let mb = msg.as_bytes();
        for w in mb.windows(RUN) {
            for b in &self.bytes {
                assert!(
                    !b.windows(RUN).any(|x| x == w),
                    "{what}: the error quotes key bytes {w:02x?}:\n{msg}"
                );
            }
            let Ok(w) = std::str::from_utf8(w) else {
                continue;
            };
            for t in &self.texts {
                assert!(
                    !t.contains(w),
                    "{what}: the error quotes input text {w:?}:\n{msg}"
                );
            }
        }
    }
}

/// Every entry point that reads a key or a certificate, with the error it gave (None when the
/// damaged input still parsed, which a flipped character can leave possible).
fn errors_from_every_reader(input: &[u8]) -> Vec<(&'static str, Option<String>)> {
    let mut out = vec![
        (
            "SigningKey::from_pem_or_der",
            SigningKey::from_pem_or_der(input).err().map(|e| render(&e)),
        ),
        (
            "Certificate::from_pem_or_der",
            Certificate::from_pem_or_der(input)
                .err()
                .map(|e| render(&e)),
        ),
        (
            "Certificate::from_der",
            Certificate::from_der(input).err().map(|e| render(&e)),
        ),
    ];
    if pem::is_pem(input) {
        out.push(("pem::parse", pem::parse(input).err().map(|e| render(&e))));
    }
    out
}

/// Feed `input` to every reader and check each error; returns how many errors were checked.
fn check(input: &[u8], secrets: &Secrets, what: &str) -> usize {
    let mut n = 0;
    for (reader, err) in errors_from_every_reader(input) {
        let Some(msg) = err else { continue };
        let display = msg.lines().next().unwrap_or_default();
        assert!(!display.is_empty(), "{what} via {reader}: empty error");
        secrets.assert_absent(&msg, &format!("{what} via {reader}"));
        n += 1;
    }
    n
}

/// The base64 lines of a PEM block from `pem::encode`.
fn body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// Damaged PEM renditions of (`label`, `der`): (what was done, text).
fn damaged_pems(label: &str, der: &[u8]) -> Vec<(String, String)> {
    let good = pem::encode(label, der);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let b64 = body(&good);
    let lines: Vec<&str> = good.lines().collect();
    let end_at = good.find(&end).unwrap();
    let mid = begin.len() + 1 + b64.len() / 2;
    let mut v: Vec<(String, String)> = vec![
        (
            "unterminated BEGIN line".into(),
            good.replacen(&begin, &format!("-----BEGIN {label}"), 1),
        ),
        (
            "BEGIN line with two closing dashes".into(),
            good.replacen(&begin, &format!("-----BEGIN {label}--"), 1),
        ),
        (
            "BEGIN line run into the base64".into(),
            good.replacen(&format!("{begin}\n"), &begin, 1),
        ),
        (
            "unterminated BEGIN line, no END line".into(),
            format!(
                "-----BEGIN {label}\n{}\n",
                lines[1..lines.len() - 1].join("\n")
            ),
        ),
        (
            "END line of another label".into(),
            good.replacen(&end, "-----END CERTIFICATE-----", 1),
        ),
        (
            "END line with junk in its label".into(),
            good.replacen(&end, &format!("-----END {label} XJUNKENDX-----"), 1),
        ),
        (
            "unterminated END line".into(),
            good.replacen(&end, &format!("-----END {label}"), 1),
        ),
        ("missing END line".into(), good[..end_at].to_string()),
        ("file cut in the base64".into(), good[..mid].to_string()),
        (
            "another BEGIN before the END line".into(),
            good.replacen(&end, &begin, 1),
        ),
        (
            "BEGIN label with junk".into(),
            good.replacen(&begin, &format!("-----BEGIN {label} XJUNKLABELX-----"), 1),
        ),
        (
            "BEGIN label with control and non-ASCII bytes".into(),
            good.replacen(
                &begin,
                &format!("-----BEGIN {label}\u{1}XJUNKCTRLX\u{e9}-----"),
                1,
            ),
        ),
        (
            "BEGIN label made of the first base64 line".into(),
            good.replacen(&begin, &format!("-----BEGIN {}-----", lines[1]), 1),
        ),
        (
            "BEGIN label longer than any label".into(),
            good.replacen(
                &begin,
                &format!("-----BEGIN {}{}-----", lines[1], lines[2]),
                1,
            ),
        ),
        (
            "RFC 1421 headers".into(),
            good.replacen(
                &format!("{begin}\n"),
                &format!("{begin}\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,XJUNKIVX\n\n"),
                1,
            ),
        ),
    ];
    // Truncated base64 with the END line kept: every remainder modulo 4.
    for cut in [1, 2, 3, 5, 64] {
        let keep = end_at - 1 - cut;
        v.push((
            format!("base64 truncated by {cut} characters"),
            format!("{}\n{end}\n", &good[..keep]),
        ));
    }
    // A character replaced, by another base64 character or by one outside the alphabet.
    for (at, with) in [
        (mid, 'A'),
        (mid, 'z'),
        (mid, '*'),
        (mid, '-'),
        (begin.len() + 1, '/'),
        (begin.len() + 3, '!'),
    ] {
        let mut t = good.clone().into_bytes();
        t[at] = if t[at] == with as u8 {
            b'B'
        } else {
            with as u8
        };
        v.push((
            format!("base64 character at byte {at} replaced by {with:?}"),
            String::from_utf8(t).unwrap(),
        ));
    }
    v
}

/// Damaged DER renditions of `der`: (what was done, bytes).
fn damaged_ders(der: &[u8]) -> Vec<(String, Vec<u8>)> {
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut d = der.to_vec();
        f(&mut d);
        d
    };
    let (_, hdr, _) = der::header(der).unwrap();
    let last_len_byte = hdr - 1;
    vec![
        ("truncated to half".into(), der[..der.len() / 2].to_vec()),
        ("last byte cut".into(), der[..der.len() - 1].to_vec()),
        ("truncated in the header".into(), der[..3].to_vec()),
        ("truncated to 16 bytes".into(), der[..16].to_vec()),
        (
            "length one too long".into(),
            with(&|d| d[last_len_byte] = d[last_len_byte].wrapping_add(1)),
        ),
        (
            "length one too short".into(),
            with(&|d| d[last_len_byte] = d[last_len_byte].wrapping_sub(1)),
        ),
        ("indefinite length".into(), with(&|d| d[1] = 0x80)),
        ("length of length too long".into(), with(&|d| d[1] = 0x89)),
        ("outer tag SET".into(), with(&|d| d[0] = der::SET)),
        (
            "outer tag OCTET STRING".into(),
            with(&|d| d[0] = der::OCTET_STRING),
        ),
        ("outer tag [0]".into(), with(&|d| d[0] = 0xa0)),
        ("trailing zero bytes".into(), with(&|d| d.extend([0, 0]))),
        (
            "the key's first 40 bytes again after it".into(),
            with(&|d| d.extend_from_slice(&der[..40])),
        ),
        (
            "a byte in the middle flipped".into(),
            with(&|d| {
                let m = d.len() / 2;
                d[m] ^= 0xff;
            }),
        ),
    ]
}

#[test]
fn damaged_pem_keys_never_quote_key_bytes() {
    let mut checked = 0;
    for k in keys() {
        let good = pem::encode(k.label, &k.der);
        let mut secrets = Secrets::for_der(&k.der);
        secrets.texts.push(body(&good));
        for junk in ["XJUNKENDX", "XJUNKLABELX", "XJUNKCTRLX", "XJUNKIVX"] {
            secrets.texts.push(junk.into());
        }
        for (what, text) in damaged_pems(k.label, &k.der) {
            let what = format!("{} PEM, {what}", k.name);
            let n = check(text.as_bytes(), &secrets, &what);
            // Broken armour is refused by the PEM reader itself; a replaced or cut base64
            // character may leave armour it accepts (the key readers then judge the bytes).
            if !what.contains("replaced") && !what.contains("truncated") {
                assert!(n >= 3, "{what}: a reader accepted it");
                assert!(pem::parse(text.as_bytes()).is_err(), "{what}: PEM accepted");
            }
            checked += n;
        }
    }
    assert!(checked > 500, "only {checked} errors checked");
}

#[test]
fn damaged_der_keys_never_quote_key_bytes() {
    let mut checked = 0;
    for k in keys() {
        for (what, bytes) in damaged_ders(&k.der) {
            let what = format!("{} DER, {what}", k.name);
            let mut secrets = Secrets::for_der(&k.der);
            secrets.add_der(&bytes);
            checked += check(&bytes, &secrets, &what);
            // Only a flipped content byte may leave a structure the key readers accept.
            if !what.contains("flipped") {
                assert!(
                    SigningKey::from_pem_or_der(&bytes).is_err(),
                    "{what}: accepted as a key"
                );
            }
            // The same damaged DER inside intact armour, where the readers get past the PEM.
            let armoured = pem::encode(k.label, &bytes);
            secrets.texts.push(body(&armoured));
            checked += check(armoured.as_bytes(), &secrets, &format!("{what}, in PEM"));
        }
    }
    assert!(checked > 500, "only {checked} errors checked");
}

#[test]
fn unterminated_begin_line_is_a_fixed_error() {
    for k in keys() {
        let good = pem::encode(k.label, &k.der);
        let bad = good.replacen(
            &format!("-----BEGIN {}-----", k.label),
            &format!("-----BEGIN {}", k.label),
            1,
        );
        let e = SigningKey::from_pem_or_der(bad.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PEM: BEGIN line at byte 0 is not terminated: it must end with \"-----\" on the same line",
            "{}",
            k.name
        );
    }
}

#[test]
fn labels_outside_the_known_list_are_never_printed() {
    let k = &keys()[0];
    let good = pem::encode(k.label, &k.der);
    for label in [
        "PRIVATE KEY XJUNKLABELX",
        "XJUNKLABELX",
        "A-B C+/=XJUNKLABELX",
    ] {
        let text = good.replace(k.label, label);
        let blocks = pem::parse(text.as_bytes()).unwrap();
        assert_eq!(blocks[0].label, pem::Label::Other);
        let e = SigningKey::from_pem_or_der(text.as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .contains("no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block"),
            "{e}"
        );
        // And when that block is damaged, the error names no label at all.
        let cut = text.replace(&format!("-----END {label}-----"), "");
        let e = pem::parse(cut.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a block with an unrecognised label that begins at byte 0 has no END line"
        );
        assert!(!format!("{e:?}").contains("JUNK"));
    }
    // Only the known constant is ever named.
    for known in pem::KNOWN_LABELS {
        let text = format!("-----BEGIN {known}-----\nQUJD\n");
        let e = pem::parse(text.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(&format!("the {known} block")), "{e}");
    }
}

#[test]
fn certificate_reader_given_a_private_key_says_so_without_quoting_it() {
    for k in keys() {
        let good = pem::encode(k.label, &k.der);
        let mut secrets = Secrets::for_der(&k.der);
        secrets.texts.push(body(&good));
        let inputs: [(&str, Vec<u8>); 3] = [
            ("PEM", good.clone().into_bytes()),
            ("DER", k.der.clone()),
            ("truncated DER", k.der[..k.der.len() / 2].to_vec()),
        ];
        for (form, input) in inputs {
            let what = format!("{} {form} as a certificate", k.name);
            let e = Certificate::from_pem_or_der(&input).unwrap_err();
            assert_eq!(
                e.to_string(),
                "certificate: the data contains a private key, not a certificate",
                "{what}"
            );
            secrets.assert_absent(&render(&e), &what);
        }
        let e = Certificate::from_der(&k.der).unwrap_err();
        assert!(e.to_string().contains("private key, not a certificate"));
    }
}

#[test]
fn key_reader_given_a_certificate_says_so() {
    let key = SigningKey::generate(modsig::KeyType::EcdsaP384).unwrap();
    let cert = key
        .self_signed_certificate("key_errors", modsig::HashAlgo::Sha384, 1_700_000_000)
        .unwrap();
    let e = SigningKey::from_pem_or_der(&cert.der).unwrap_err();
    assert_eq!(
        e.to_string(),
        "key: the data contains a certificate, not a private key"
    );
    let e = SigningKey::from_pem_or_der(cert.pem().as_bytes()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("key: the PEM data holds a certificate but no private key"),
        "{e}"
    );
}
