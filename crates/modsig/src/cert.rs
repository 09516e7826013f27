//! X.509 certificates, as far as module verification needs them: the exact bytes of serial,
//! issuer and subject (the kernel matches signers on raw encodings), the subject key
//! identifier, the public key, and the fields people want to see.

use crate::der::{self, ctx_cons, DerError, Reader, Tlv};
use crate::{oid, pem, Error};

/// What the certificate reader says when given a key file (say `verify --cert key.pem`).
const PRIVATE_KEY_NOT_CERT: &str = "the data contains a private key, not a certificate";
const NOT_A_CERT: &str =
    "not a certificate: neither PEM with a CERTIFICATE block nor one DER X.509 certificate";

/// Whether `der` is shaped like one DER certificate: a SEQUENCE that fills all of it. Only then
/// is a parse error worth its detail; anything else (a text file, a kernel config) is simply
/// not a certificate.
fn shaped_like_one_sequence(der: &[u8]) -> bool {
    der::header(der)
        .is_ok_and(|(tag, head, len)| tag == 0x30 && head.checked_add(len) == Some(der.len()))
}

/// An elliptic curve the verifier can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// The DER `RSAPublicKey` (PKCS#1) and the modulus size in bits.
    Rsa { der: Vec<u8>, bits: usize },
    /// An uncompressed point.
    Ec { curve: Curve, point: Vec<u8> },
    /// FIPS 204 ML-DSA: the parameter set (44, 65 or 87) and the raw public key.
    MlDsa { level: u16, raw: Vec<u8> },
    /// A key type the verifier does not handle (algorithm, and curve OID if any).
    Other { algorithm: String },
}

impl PublicKey {
    /// "RSA-4096", "ECDSA P-384", ...
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Rsa { bits, .. } => format!("RSA-{bits}"),
            PublicKey::Ec {
                curve: Curve::P256, ..
            } => "ECDSA P-256".into(),
            PublicKey::Ec {
                curve: Curve::P384, ..
            } => "ECDSA P-384".into(),
            PublicKey::MlDsa { level, .. } => format!("ML-DSA-{level}"),
            PublicKey::Other { algorithm } => algorithm.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    /// Content bytes of the serialNumber INTEGER.
    pub serial: Vec<u8>,
    /// The issuer Name element (tag and length included).
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    pub not_before: String,
    pub not_after: String,
    pub public_key: PublicKey,
    pub subject_key_id: Option<Vec<u8>>,
}

impl Certificate {
    /// Parse one DER certificate filling all of `der`. Errors never quote the input: they
    /// name what is wrong and at which byte.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        parse(der).map_err(|e| {
            Error::Certificate(if der::looks_like_private_key(der) {
                PRIVATE_KEY_NOT_CERT.into()
            } else if !shaped_like_one_sequence(der) {
                NOT_A_CERT.into()
            } else {
                e.to_string()
            })
        })
    }

    /// All certificates in `data`: one DER certificate, or PEM with any number of
    /// `CERTIFICATE` blocks (other blocks, such as the private key in
    /// `certs/signing_key.pem`, are skipped).
    pub fn from_pem_or_der(data: &[u8]) -> Result<Vec<Self>, Error> {
        if !pem::is_pem(data) {
            return Ok(vec![Self::from_der(data)?]);
        }
        let blocks = pem::parse(data).map_err(Error::Pem)?;
        let certs = blocks
            .iter()
            .filter(|b| b.label.is_certificate())
            .map(|b| Self::from_der(&b.data))
            .collect::<Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            return Err(Error::Certificate(
                if blocks.iter().any(|b| b.label.is_private_key()) {
                    PRIVATE_KEY_NOT_CERT
                } else {
                    "no CERTIFICATE block in the PEM data"
                }
                .into(),
            ));
        }
        Ok(certs)
    }

    pub fn subject_name(&self) -> String {
        name_to_string(&self.subject)
    }

    pub fn issuer_name(&self) -> String {
        name_to_string(&self.issuer)
    }

    /// What the kernel calls the key: the subject CN (or O, or the first attribute), as in
    /// `Loaded X.509 cert '<CN>: <skid>'`.
    pub fn signer_name(&self) -> String {
        common_name(&self.subject).unwrap_or_else(|| self.subject_name())
    }

    /// Serial, colon-separated uppercase hex as `modinfo` prints `sig_key`.
    pub fn serial_hex(&self) -> String {
        colon_hex(strip_sign_byte(&self.serial))
    }

    pub fn pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }
}

/// The serial as `modinfo` shows it: without the leading 0x00 that keeps DER positive.
pub fn strip_sign_byte(serial: &[u8]) -> &[u8] {
    if serial.len() > 1 && serial[0] == 0 {
        &serial[1..]
    } else {
        serial
    }
}

/// `AB:CD:...`
pub fn colon_hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Lowercase hex without separators.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn parse(data: &[u8]) -> Result<Certificate, DerError> {
    let cert = der::parse_one(data)?.expect(der::SEQUENCE, "Certificate is not a SEQUENCE")?;
    let mut r = cert.reader();
    let tbs = r.read(der::SEQUENCE, "TBSCertificate is not a SEQUENCE")?;
    r.read(der::SEQUENCE, "signatureAlgorithm is not a SEQUENCE")?;
    r.read(der::BIT_STRING, "signatureValue is not a BIT STRING")?;
    r.finish("trailing data in Certificate")?;

    let mut t = tbs.reader();
    t.optional(ctx_cons(0))?; // version
    let serial = t.read(der::INTEGER, "serialNumber is not an INTEGER")?;
    t.read(der::SEQUENCE, "TBSCertificate.signature is not a SEQUENCE")?;
    let issuer = t.read(der::SEQUENCE, "issuer is not a SEQUENCE")?;
    let validity = t.read(der::SEQUENCE, "validity is not a SEQUENCE")?;
    let subject = t.read(der::SEQUENCE, "subject is not a SEQUENCE")?;
    let spki = t.read(der::SEQUENCE, "subjectPublicKeyInfo is not a SEQUENCE")?;
    t.optional(0x81)?;
    t.optional(0x82)?;
    let mut subject_key_id = None;
    if let Some(exts) = t.optional(ctx_cons(3))? {
        let mut er = exts.reader();
        let list = er.read(der::SEQUENCE, "extensions are not a SEQUENCE")?;
        let mut lr = list.reader();
        while !lr.is_empty() {
            let ext = lr.read(der::SEQUENCE, "Extension is not a SEQUENCE")?;
            let mut x = ext.reader();
            let id = x.read(der::OID, "extnID is not an OID")?.content;
            x.optional(der::BOOLEAN)?;
            let value = x.read(der::OCTET_STRING, "extnValue is not an OCTET STRING")?;
            if id == oid::SUBJECT_KEY_ID {
                let kid = der::parse_one(value.content)?.expect(
                    der::OCTET_STRING,
                    "subjectKeyIdentifier is not an OCTET STRING",
                )?;
                subject_key_id = Some(kid.content.to_vec());
            }
        }
    }
    t.finish("trailing data in TBSCertificate")?;

    let mut v = validity.reader();
    let not_before = time(v.any()?)?;
    let not_after = time(v.any()?)?;
    Ok(Certificate {
        der: data.to_vec(),
        serial: serial.content.to_vec(),
        issuer: issuer.raw.to_vec(),
        subject: subject.raw.to_vec(),
        not_before,
        not_after,
        public_key: public_key(spki)?,
        subject_key_id,
    })
}

fn public_key(spki: Tlv<'_>) -> Result<PublicKey, DerError> {
    let mut r = spki.reader();
    let alg = r.read(der::SEQUENCE, "SPKI algorithm is not a SEQUENCE")?;
    let bits = r.read(der::BIT_STRING, "subjectPublicKey is not a BIT STRING")?;
    let key = bits.content.get(1..).unwrap_or_default();
    let mut ar = alg.reader();
    let algo = ar.read(der::OID, "SPKI algorithm OID")?.content;
    let params = if ar.is_empty() { None } else { Some(ar.any()?) };
    if algo == oid::RSA_ENCRYPTION {
        let rsa = der::parse_one(key)?.expect(der::SEQUENCE, "RSAPublicKey is not a SEQUENCE")?;
        let modulus = rsa.reader().read(der::INTEGER, "RSA modulus")?.content;
        let m = strip_sign_byte(modulus);
        let bits =
            (m.len() * 8).saturating_sub(m.first().map_or(8, |b| b.leading_zeros() as usize));
        return Ok(PublicKey::Rsa {
            der: key.to_vec(),
            bits,
        });
    }
    if algo == oid::EC_PUBLIC_KEY {
        let curve_oid = params.filter(|p| p.tag == der::OID).map(|p| p.content);
        let curve = match curve_oid {
            Some(c) if c == oid::SECP384R1 => Some(Curve::P384),
            Some(c) if c == oid::SECP256R1 => Some(Curve::P256),
            _ => None,
        };
        return Ok(match curve {
            Some(curve) => PublicKey::Ec {
                curve,
                point: key.to_vec(),
            },
            None => PublicKey::Other {
                algorithm: format!(
                    "EC ({})",
                    curve_oid.map_or_else(|| "no named curve".into(), oid::name)
                ),
            },
        });
    }
    // RFC 9881: id-ml-dsa-NN with absent parameters, the raw key in the BIT STRING.
    for (o, level, len) in [
        (oid::ML_DSA_44, 44, 1312),
        (oid::ML_DSA_65, 65, 1952),
        (oid::ML_DSA_87, 87, 2592),
    ] {
        if algo == o && params.is_none() && key.len() == len {
            return Ok(PublicKey::MlDsa {
                level,
                raw: key.to_vec(),
            });
        }
    }
    Ok(PublicKey::Other {
        algorithm: oid::name(algo),
    })
}

/// UTCTime / GeneralizedTime as "YYYY-MM-DD HH:MM:SS UTC".
fn time(t: Tlv<'_>) -> Result<String, DerError> {
    let s = std::str::from_utf8(t.content).map_err(|_| DerError {
        what: "time is not ASCII",
        offset: t.offset,
    })?;
    let bad = DerError {
        what: "malformed time",
        offset: t.offset,
    };
    let full = match t.tag {
        der::UTC_TIME if s.len() == 13 && s.ends_with('Z') => {
            let yy: u32 = s[..2].parse().map_err(|_| bad.clone())?;
            format!("{}{}", if yy >= 50 { 19 } else { 20 }, s)
        }
        der::GENERALIZED_TIME if s.len() == 15 && s.ends_with('Z') => s.to_string(),
        _ => return Err(bad),
    };
    if !full[..14].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    Ok(format!(
        "{}-{}-{} {}:{}:{} UTC",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

const ATTR_NAMES: &[(&[u8], &str)] = &[
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x0a], "O"),
    (&[0x55, 0x04, 0x0b], "OU"),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
        "emailAddress",
    ),
];

fn attributes(name: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(n) = der::parse_one(name) else {
        return out;
    };
    let mut r = n.reader();
    while let Ok(rdn) = r.any() {
        let mut rr = rdn.reader();
        while let Ok(atv) = rr.any() {
            let mut ar = atv.reader();
            let (Ok(typ), Ok(val)) = (ar.any(), ar.any()) else {
                continue;
            };
            let key = ATTR_NAMES
                .iter()
                .find(|(o, _)| *o == typ.content)
                .map(|(_, k)| (*k).to_string())
                .unwrap_or_else(|| oid::dotted(typ.content));
            out.push((key, String::from_utf8_lossy(val.content).into_owned()));
        }
    }
    out
}

/// "CN=..., O=..." in encoding order.
pub fn name_to_string(name: &[u8]) -> String {
    attributes(name)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The CN, else the O (as the kernel's x509_fabricate_name prefers), of a Name.
pub fn common_name(name: &[u8]) -> Option<String> {
    let attrs = attributes(name);
    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    get("CN").or_else(|| get("O"))
}

/// Walk DER without building anything: used by the kernel image scanner to reject
/// candidates cheaply. True when `data` starts with a complete Certificate SEQUENCE.
pub fn looks_like_certificate(data: &[u8]) -> Option<usize> {
    let mut r = Reader::new(data);
    let t = r.any().ok()?;
    if t.tag != der::SEQUENCE {
        return None;
    }
    let mut inner = t.reader();
    let tbs = inner.any().ok()?;
    (tbs.tag == der::SEQUENCE).then_some(t.raw.len())
}
