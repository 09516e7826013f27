//! Signing: `sign-file`'s output for a key, a certificate and a digest.

use crate::cert::{Certificate, PublicKey};
use crate::cms::{self, SignerId};
use crate::hash::HashAlgo;
use crate::keys::SigningKey;
use crate::{trailer, Error};

/// Everything needed to sign modules; cheap to share between threads.
#[derive(Debug)]
pub struct Signer {
    key: SigningKey,
    cert: Certificate,
    hash: HashAlgo,
    signer_id: SignerId,
}

impl Signer {
    /// `use_key_id` is `sign-file -k`: name the signer by subjectKeyIdentifier instead of
    /// issuer and serial number.
    pub fn new(
        key: SigningKey,
        cert: Certificate,
        hash: HashAlgo,
        use_key_id: bool,
    ) -> Result<Self, Error> {
        key.check_hash(hash)?;
        if !same_key(&key.public_key(), &cert.public_key) {
            return Err(Error::Key(
                "the private key does not belong to the certificate".into(),
            ));
        }
        let signer_id = if use_key_id {
            SignerId::SubjectKeyId(cert.subject_key_id.clone().ok_or_else(|| {
                Error::Key("--keyid needs a certificate with a subjectKeyIdentifier".into())
            })?)
        } else {
            SignerId::IssuerSerial {
                issuer: cert.issuer.clone(),
                serial: cert.serial.clone(),
            }
        };
        Ok(Signer {
            key,
            cert,
            hash,
            signer_id,
        })
    }

    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    pub fn hash(&self) -> HashAlgo {
        self.hash
    }

    /// The detached CMS over `module` (the bytes before any trailer).
    pub fn sign_detached(&self, module: &[u8]) -> Result<Vec<u8>, Error> {
        let sig = self.key.sign(self.hash, module)?;
        Ok(cms::encode(
            self.hash,
            &self.signer_id,
            self.key.signature_kind(),
            &sig,
        ))
    }

    /// The module signed: any existing signature is removed first, so signatures never stack.
    /// For an unsigned module the result is byte-identical to `sign-file` for RSA keys.
    pub fn sign_module(&self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let body = trailer::strip(data).map_err(Error::Trailer)?;
        let cms = self.sign_detached(body)?;
        Ok(trailer::append(body, &cms))
    }
}

fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    match (a, b) {
        (PublicKey::Rsa { der: x, .. }, PublicKey::Rsa { der: y, .. }) => x == y,
        (
            PublicKey::Ec {
                curve: c1,
                point: p1,
            },
            PublicKey::Ec {
                curve: c2,
                point: p2,
            },
        ) => c1 == c2 && p1 == p2,
        (PublicKey::MlDsa { level: l1, raw: r1 }, PublicKey::MlDsa { level: l2, raw: r2 }) => {
            l1 == l2 && r1 == r2
        }
        _ => false,
    }
}
