//! Signing keys: generated in memory for one run, or loaded from a `sign-file` style key file.
//!
//! The private key lives only inside AWS-LC. AWS-LC's `OPENSSL_free` cleanses every
//! allocation before releasing it (crypto/mem.c), so dropping a [`SigningKey`] wipes the key.
//! Key bytes read from a file pass through Rust buffers only as `Zeroizing<Vec<u8>>`.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, PqdsaKeyPair, RsaKeyPair};
use zeroize::Zeroizing;

use crate::cert::{Certificate, Curve, PublicKey};
use crate::cms::SignatureKind;
use crate::der::{self, ctx_cons};
use crate::hash::HashAlgo;
use crate::pem::{self, Label};
use crate::{oid, Error};

/// What `sign-tree` can generate (the kernel's `MODULE_SIG_KEY_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa4096,
    EcdsaP384,
    /// FIPS 204 ML-DSA (Linux 7.0+, `MODULE_SIG_KEY_TYPE_MLDSA_NN`).
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

/// The ML-DSA parameter sets, their signing algorithms in aws-lc-rs.
const MLDSA: [(u16, &signature::PqdsaSigningAlgorithm); 3] = [
    (44, &signature::ML_DSA_44_SIGNING),
    (65, &signature::ML_DSA_65_SIGNING),
    (87, &signature::ML_DSA_87_SIGNING),
];

pub struct SigningKey {
    inner: Inner,
}

enum Inner {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair, Curve),
    MlDsa(PqdsaKeyPair, u16),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("type", &self.describe())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key that exists only in this process's memory.
    pub fn generate(kind: KeyType) -> Result<Self, Error> {
        let inner = match kind {
            KeyType::Rsa4096 => Inner::Rsa(
                RsaKeyPair::generate(KeySize::Rsa4096)
                    .map_err(|_| Error::Key("RSA-4096 key generation failed".into()))?,
            ),
            KeyType::EcdsaP384 => Inner::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_ASN1_SIGNING)
                    .map_err(|_| Error::Key("P-384 key generation failed".into()))?,
                Curve::P384,
            ),
            KeyType::MlDsa44 | KeyType::MlDsa65 | KeyType::MlDsa87 => {
                let level = match kind {
                    KeyType::MlDsa44 => 44,
                    KeyType::MlDsa65 => 65,
                    _ => 87,
                };
                let (_, alg) = MLDSA
                    .iter()
                    .find(|(l, _)| *l == level)
                    .copied()
                    .unwrap_or(MLDSA[1]);
                Inner::MlDsa(
                    PqdsaKeyPair::generate(alg)
                        .map_err(|_| Error::Key(format!("ML-DSA-{level} key generation failed")))?,
                    level,
                )
            }
        };
        Ok(SigningKey { inner })
    }

    /// Load a private key: PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`; other
    /// blocks such as the certificate in `certs/signing_key.pem` are skipped) or DER
    /// (PKCS#8, PKCS#1 or SEC1). Encrypted keys are refused. Errors never quote the input.
    pub fn from_pem_or_der(data: &[u8]) -> Result<Self, Error> {
        if !pem::is_pem(data) {
            return Self::from_der(data);
        }
        let blocks = pem::parse(data).map_err(Error::Pem)?;
        for b in &blocks {
            match b.label {
                Label::Known("PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY") => {
                    return Self::from_der(&b.data)
                }
                Label::Known("ENCRYPTED PRIVATE KEY") => {
                    return Err(Error::Key(
                        "encrypted private keys are not supported; decrypt it first".into(),
                    ))
                }
                _ => {}
            }
        }
        Err(Error::Key(
            if blocks.iter().any(|b| b.label.is_certificate()) {
                "the PEM data holds a certificate but no private key \
                 (no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"
            } else {
                "no private key in the PEM data (no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"
            }
            .into(),
        ))
    }

    fn from_der(der: &[u8]) -> Result<Self, Error> {
        // One whole DER element first: AWS-LC's parsers accept some trailing bytes, and a
        // structural error is more use to the reader than "not a key".
        der::parse_one(der).map_err(|e| Error::Key(format!("DER: {e}")))?;
        if let Ok(k) = RsaKeyPair::from_pkcs8(der).or_else(|_| RsaKeyPair::from_der(der)) {
            return Ok(SigningKey {
                inner: Inner::Rsa(k),
            });
        }
        for (alg, curve) in [
            (&signature::ECDSA_P384_SHA384_ASN1_SIGNING, Curve::P384),
            (&signature::ECDSA_P256_SHA256_ASN1_SIGNING, Curve::P256),
        ] {
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(alg, der)
                .or_else(|_| EcdsaKeyPair::from_private_key_der(alg, der))
            {
                return Ok(SigningKey {
                    inner: Inner::Ec(k, curve),
                });
            }
        }
        for (level, alg) in MLDSA {
            if let Ok(k) = PqdsaKeyPair::from_pkcs8(alg, der) {
                return Ok(SigningKey {
                    inner: Inner::MlDsa(k, level),
                });
            }
        }
        Err(Error::Key(
            if crate::cert::looks_like_certificate(der).is_some() {
                "the data contains a certificate, not a private key"
            } else {
                "not an RSA, P-256, P-384 or ML-DSA private key in PKCS#8, PKCS#1 or SEC1 form"
            }
            .into(),
        ))
    }

    pub fn public_key(&self) -> PublicKey {
        match &self.inner {
            Inner::Rsa(k) => {
                let der = k.public_key().as_ref().to_vec();
                PublicKey::Rsa {
                    der,
                    bits: k.public_modulus_len() * 8,
                }
            }
            Inner::Ec(k, curve) => PublicKey::Ec {
                curve: *curve,
                point: k.public_key().as_ref().to_vec(),
            },
            Inner::MlDsa(k, level) => PublicKey::MlDsa {
                level: *level,
                raw: k.public_key().as_ref().to_vec(),
            },
        }
    }

    pub fn describe(&self) -> String {
        self.public_key().describe()
    }

    pub fn signature_kind(&self) -> SignatureKind {
        match self.inner {
            Inner::Rsa(_) => SignatureKind::Rsa,
            Inner::Ec(..) => SignatureKind::Ecdsa,
            Inner::MlDsa(_, level) => SignatureKind::MlDsa(level),
        }
    }

    /// The digest this key signs with when none is asked for: sha256 for RSA (the kernel's
    /// default), the curve's own hash for ECDSA.
    pub fn default_hash(&self) -> HashAlgo {
        match self.inner {
            Inner::Rsa(_) => HashAlgo::Sha256,
            Inner::Ec(_, Curve::P384) => HashAlgo::Sha384,
            Inner::Ec(_, Curve::P256) => HashAlgo::Sha256,
            // RFC 9882's digest for ML-DSA; only named in the CMS (the signature is over the
            // module itself).
            Inner::MlDsa(..) => HashAlgo::Sha512,
        }
    }

    /// Check that this key can sign with `hash` before any work is done.
    pub fn check_hash(&self, hash: HashAlgo) -> Result<(), Error> {
        match (&self.inner, hash) {
            (Inner::Rsa(_), HashAlgo::Sha256 | HashAlgo::Sha384 | HashAlgo::Sha512) => Ok(()),
            (Inner::Ec(_, Curve::P384), HashAlgo::Sha384) => Ok(()),
            (Inner::Ec(_, Curve::P256), HashAlgo::Sha256) => Ok(()),
            (Inner::MlDsa(..), HashAlgo::Sha256 | HashAlgo::Sha384 | HashAlgo::Sha512) => Ok(()),
            _ => Err(Error::Key(format!(
                "a {} key cannot sign with {hash} here (RSA and ML-DSA: sha256/sha384/sha512; P-384: sha384; P-256: sha256)",
                self.describe()
            ))),
        }
    }

    /// Sign `message`: PKCS#1 v1.5 over `hash(message)` for RSA (deterministic), a DER
    /// Ecdsa-Sig-Value for ECDSA, pure ML-DSA (empty context, hedged) over `message` itself.
    pub fn sign(&self, hash: HashAlgo, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.check_hash(hash)?;
        let rng = SystemRandom::new();
        match &self.inner {
            Inner::Rsa(k) => {
                let enc: &'static dyn signature::RsaEncoding = match hash {
                    HashAlgo::Sha384 => &signature::RSA_PKCS1_SHA384,
                    HashAlgo::Sha512 => &signature::RSA_PKCS1_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(enc, &rng, message, &mut sig)
                    .map_err(|_| Error::Key("RSA signing failed".into()))?;
                Ok(sig)
            }
            Inner::Ec(k, _) => Ok(k
                .sign(&rng, message)
                .map_err(|_| Error::Key("ECDSA signing failed".into()))?
                .as_ref()
                .to_vec()),
            Inner::MlDsa(k, level) => {
                let mut sig = vec![0u8; k.algorithm().signature_len()];
                let n = k
                    .sign(message, &mut sig)
                    .map_err(|_| Error::Key(format!("ML-DSA-{level} signing failed")))?;
                sig.truncate(n);
                Ok(sig)
            }
        }
    }

    /// A self-signed certificate for this key shaped like the one `certs/Makefile` makes from
    /// `certs/default_x509.genkey`: CN "Build time autogenerated kernel key" (or `cn`),
    /// basicConstraints critical CA:FALSE, keyUsage digitalSignature, subjectKeyIdentifier =
    /// SHA-1 of the public key (RFC 5280 method 1, as OpenSSL computes it), a random positive
    /// 20-byte serial. `not_before` is "YYYYMMDDHHMMSSZ"; the certificate runs 36500 days.
    pub fn self_signed_certificate(
        &self,
        cn: &str,
        hash: HashAlgo,
        not_before_unix: u64,
    ) -> Result<Certificate, Error> {
        let (sig_alg, cert_hash) = match (&self.inner, hash) {
            (Inner::Rsa(_), HashAlgo::Sha384) => (rsa_sig_alg(oid::SHA384_WITH_RSA), hash),
            (Inner::Rsa(_), HashAlgo::Sha512) => (rsa_sig_alg(oid::SHA512_WITH_RSA), hash),
            (Inner::Rsa(_), _) => (rsa_sig_alg(oid::SHA256_WITH_RSA), HashAlgo::Sha256),
            (Inner::Ec(_, Curve::P384), _) => (
                der::seq(&[&der::tlv(der::OID, oid::ECDSA_WITH_SHA384)]),
                HashAlgo::Sha384,
            ),
            (Inner::Ec(_, Curve::P256), _) => (
                der::seq(&[&der::tlv(der::OID, oid::ECDSA_WITH_SHA256)]),
                HashAlgo::Sha256,
            ),
            (Inner::MlDsa(_, level), _) => (
                der::seq(&[&der::tlv(der::OID, crate::cms::mldsa_oid(*level))]),
                hash,
            ),
        };
        let (spki, key_bits) = match self.public_key() {
            PublicKey::Rsa { der: pk, .. } => (
                der::seq(&[&rsa_sig_alg(oid::RSA_ENCRYPTION), &bit_string(&pk)]),
                pk,
            ),
            PublicKey::Ec { curve, point } => {
                let curve_oid = if curve == Curve::P384 {
                    oid::SECP384R1
                } else {
                    oid::SECP256R1
                };
                (
                    der::seq(&[
                        &der::seq(&[
                            &der::tlv(der::OID, oid::EC_PUBLIC_KEY),
                            &der::tlv(der::OID, curve_oid),
                        ]),
                        &bit_string(&point),
                    ]),
                    point,
                )
            }
            PublicKey::MlDsa { level, raw } => (
                der::seq(&[
                    &der::seq(&[&der::tlv(der::OID, crate::cms::mldsa_oid(level))]),
                    &bit_string(&raw),
                ]),
                raw,
            ),
            PublicKey::Other { .. } => return Err(Error::Key("unusable key".into())),
        };
        let skid = HashAlgo::Sha1.digest(&key_bits);
        let mut serial = [0u8; 20];
        aws_lc_rs::rand::fill(&mut serial).map_err(|_| Error::Key("no randomness".into()))?;
        serial[0] &= 0x7f;
        serial[0] |= 0x40; // positive, exactly 20 bytes
        let name = der::seq(&[&der::cons(
            der::SET,
            &[&der::seq(&[
                &der::tlv(der::OID, oid::COMMON_NAME),
                &der::tlv(der::UTF8_STRING, cn.as_bytes()),
            ])],
        )]);
        let not_after_unix = not_before_unix + 36500 * 86400;
        let validity = der::seq(&[&cert_time(not_before_unix), &cert_time(not_after_unix)]);
        let ext = |id: &[u8], critical: bool, value: &[u8]| {
            let mut parts: Vec<Vec<u8>> = vec![der::tlv(der::OID, id)];
            if critical {
                parts.push(der::tlv(der::BOOLEAN, &[0xff]));
            }
            parts.push(der::tlv(der::OCTET_STRING, value));
            let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
            der::seq(&refs)
        };
        let extensions = der::cons(
            ctx_cons(3),
            &[&der::seq(&[
                &ext(oid::BASIC_CONSTRAINTS, true, &der::seq(&[])),
                // digitalSignature: bit 0 set, 7 unused bits.
                &ext(
                    oid::KEY_USAGE,
                    true,
                    &der::tlv(der::BIT_STRING, &[0x07, 0x80]),
                ),
                &ext(
                    oid::SUBJECT_KEY_ID,
                    false,
                    &der::tlv(der::OCTET_STRING, &skid),
                ),
            ])],
        );
        let tbs = der::seq(&[
            &der::cons(ctx_cons(0), &[&der::tlv(der::INTEGER, &[2])]),
            &der::tlv(der::INTEGER, &serial),
            &sig_alg,
            &name,
            &validity,
            &name,
            &spki,
            &extensions,
        ]);
        let sig = match &self.inner {
            Inner::Ec(k, _) => k
                .sign(&SystemRandom::new(), &tbs)
                .map_err(|_| Error::Key("ECDSA signing failed".into()))?
                .as_ref()
                .to_vec(),
            Inner::Rsa(_) | Inner::MlDsa(..) => self.sign(cert_hash, &tbs)?,
        };
        let cert = der::seq(&[&tbs, &sig_alg, &bit_string(&sig)]);
        Certificate::from_der(&cert)
    }
}

fn rsa_sig_alg(o: &[u8]) -> Vec<u8> {
    der::seq(&[&der::tlv(der::OID, o), &der::tlv(der::NULL, &[])])
}

fn bit_string(b: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(b.len() + 1);
    c.push(0);
    c.extend_from_slice(b);
    der::tlv(der::BIT_STRING, &c)
}

/// RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
fn cert_time(unix: u64) -> Vec<u8> {
    let days = (unix / 86400) as i64;
    let secs = unix % 86400;
    let (y, m, d) = civil_from_days(days);
    let hms = format!("{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
    if y < 2050 {
        der::tlv(
            der::UTC_TIME,
            format!("{:02}{m:02}{d:02}{hms}", y % 100).as_bytes(),
        )
    } else {
        der::tlv(
            der::GENERALIZED_TIME,
            format!("{y:04}{m:02}{d:02}{hms}").as_bytes(),
        )
    }
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Key bytes as read from a file, wiped when dropped.
pub type KeyBytes = Zeroizing<Vec<u8>>;

#[cfg(test)]
mod tests {
    #[test]
    fn calendar() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(super::civil_from_days(11_016), (2000, 2, 29));
    }
}
