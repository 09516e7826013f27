//! The one CMS shape module signing uses, written exactly as `scripts/sign-file.c` has OpenSSL
//! write it (CMS_NOCERTS | CMS_BINARY | CMS_DETACHED | CMS_NOATTR | CMS_NOSMIMECAP), and a
//! reader for any SignedData the kernel's pkcs7 parser would look at.

use crate::der::{self, ctx_cons, ctx_prim, DerError, Tlv};
use crate::hash::HashAlgo;
use crate::oid;

/// How the SignerInfo names its certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignerId {
    /// issuerAndSerialNumber: the issuer Name (whole DER element) and the serial INTEGER's
    /// content bytes, both exactly as in the certificate.
    IssuerSerial { issuer: Vec<u8>, serial: Vec<u8> },
    /// subjectKeyIdentifier (`sign-file -k`).
    SubjectKeyId(Vec<u8>),
}

/// SignerInfo.signatureAlgorithm as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// `rsaEncryption` with NULL parameters; PKCS#1 v1.5 over the digest.
    Rsa,
    /// `ecdsa-with-<hash>`, no parameters; the value is a DER Ecdsa-Sig-Value.
    Ecdsa,
    /// `id-ml-dsa-NN`, no parameters; pure ML-DSA over the module itself (no signed
    /// attributes: the shape Linux 7.0 accepts from OpenSSL 4).
    MlDsa(u16),
}

/// The OID of ML-DSA-`level` (44, 65 or 87; anything else is taken as 87).
pub fn mldsa_oid(level: u16) -> &'static [u8] {
    match level {
        44 => oid::ML_DSA_44,
        65 => oid::ML_DSA_65,
        _ => oid::ML_DSA_87,
    }
}

/// Encode a detached SignedData ContentInfo with one signer and no certificates or
/// attributes. Versions follow RFC 5652 as OpenSSL applies it: 1 for issuerAndSerialNumber,
/// 3 for subjectKeyIdentifier.
pub fn encode(hash: HashAlgo, signer: &SignerId, kind: SignatureKind, signature: &[u8]) -> Vec<u8> {
    let version: u8 = match signer {
        SignerId::IssuerSerial { .. } => 1,
        SignerId::SubjectKeyId(_) => 3,
    };
    let int_version = der::tlv(der::INTEGER, &[version]);
    let digest_alg = der::seq(&[&der::tlv(der::OID, hash.oid())]);
    let sid = match signer {
        SignerId::IssuerSerial { issuer, serial } => {
            der::seq(&[issuer, &der::tlv(der::INTEGER, serial)])
        }
        SignerId::SubjectKeyId(kid) => der::tlv(ctx_prim(0), kid),
    };
    let sig_alg = match kind {
        SignatureKind::Rsa => der::seq(&[
            &der::tlv(der::OID, oid::RSA_ENCRYPTION),
            &der::tlv(der::NULL, &[]),
        ]),
        SignatureKind::Ecdsa => der::seq(&[&der::tlv(der::OID, ecdsa_oid(hash))]),
        SignatureKind::MlDsa(level) => der::seq(&[&der::tlv(der::OID, mldsa_oid(level))]),
    };
    let signer_info = der::seq(&[
        &int_version,
        &sid,
        &digest_alg,
        &sig_alg,
        &der::tlv(der::OCTET_STRING, signature),
    ]);
    let signed_data = der::seq(&[
        &int_version,
        &der::cons(der::SET, &[&digest_alg]),
        &der::seq(&[&der::tlv(der::OID, oid::DATA)]),
        &der::cons(der::SET, &[&signer_info]),
    ]);
    der::seq(&[
        &der::tlv(der::OID, oid::SIGNED_DATA),
        &der::cons(ctx_cons(0), &[&signed_data]),
    ])
}

fn ecdsa_oid(hash: HashAlgo) -> &'static [u8] {
    match hash {
        HashAlgo::Sha1 => oid::ECDSA_WITH_SHA1,
        HashAlgo::Sha224 => oid::ECDSA_WITH_SHA224,
        HashAlgo::Sha256 => oid::ECDSA_WITH_SHA256,
        HashAlgo::Sha384 => oid::ECDSA_WITH_SHA384,
        HashAlgo::Sha512 => oid::ECDSA_WITH_SHA512,
    }
}

/// A SignedData as parsed, before any of the kernel's policy checks.
#[derive(Debug, Clone)]
pub struct SignedData<'a> {
    pub content_type: &'a [u8],
    pub version: Option<u64>,
    pub digest_algorithms: Vec<&'a [u8]>,
    pub econtent_type: &'a [u8],
    /// True when the content is embedded (not detached).
    pub econtent_present: bool,
    pub certificates: usize,
    pub signers: Vec<SignerInfo<'a>>,
}

#[derive(Debug, Clone)]
pub struct SignerInfo<'a> {
    pub version: Option<u64>,
    pub sid: SignerId,
    pub digest_oid: &'a [u8],
    /// Raw content of `[0] signedAttrs`, if present.
    pub signed_attrs: Option<&'a [u8]>,
    /// OIDs of the signed attributes.
    pub signed_attr_types: Vec<&'a [u8]>,
    pub signature_oid: &'a [u8],
    pub signature: &'a [u8],
    pub has_unsigned_attrs: bool,
}

impl SignerInfo<'_> {
    pub fn hash(&self) -> Option<HashAlgo> {
        HashAlgo::from_oid(self.digest_oid)
    }
}

/// Parse a ContentInfo holding SignedData. Only structure is checked here; see `verify` for
/// what the kernel accepts.
pub fn parse(data: &[u8]) -> Result<SignedData<'_>, DerError> {
    let ci = der::parse_one(data)?.expect(der::SEQUENCE, "ContentInfo is not a SEQUENCE")?;
    let mut r = ci.reader();
    let content_type = r
        .read(der::OID, "ContentInfo.contentType is not an OID")?
        .content;
    if content_type != oid::SIGNED_DATA {
        // Nothing else can be parsed; the caller reports the type.
        return Ok(SignedData {
            content_type,
            version: None,
            digest_algorithms: Vec::new(),
            econtent_type: &[],
            econtent_present: false,
            certificates: 0,
            signers: Vec::new(),
        });
    }
    let explicit = r.read(ctx_cons(0), "ContentInfo.content [0] missing")?;
    r.finish("trailing data in ContentInfo")?;
    let mut er = explicit.reader();
    let sd = er.read(der::SEQUENCE, "SignedData is not a SEQUENCE")?;
    er.finish("trailing data after SignedData")?;
    let mut r = sd.reader();
    let version = der::small_uint(r.read(der::INTEGER, "SignedData.version")?.content);
    let algs = r.read(der::SET, "SignedData.digestAlgorithms is not a SET")?;
    let mut digest_algorithms = Vec::new();
    let mut ar = algs.reader();
    while !ar.is_empty() {
        digest_algorithms.push(algorithm_oid(
            ar.read(der::SEQUENCE, "AlgorithmIdentifier")?,
        )?);
    }
    let eci = r.read(der::SEQUENCE, "encapContentInfo is not a SEQUENCE")?;
    let mut ecr = eci.reader();
    let econtent_type = ecr.read(der::OID, "eContentType is not an OID")?.content;
    let econtent_present = ecr.optional(ctx_cons(0))?.is_some();
    ecr.finish("trailing data in encapContentInfo")?;
    let mut certificates = 0;
    if let Some(certs) = r.optional(ctx_cons(0))? {
        let mut cr = certs.reader();
        while !cr.is_empty() {
            cr.any()?;
            certificates += 1;
        }
    }
    r.optional(ctx_cons(1))?; // crls: parsed and ignored, as the kernel does
    let infos = r.read(der::SET, "SignedData.signerInfos is not a SET")?;
    r.finish("trailing data in SignedData")?;
    let mut signers = Vec::new();
    let mut ir = infos.reader();
    while !ir.is_empty() {
        signers.push(parse_signer_info(
            ir.read(der::SEQUENCE, "SignerInfo is not a SEQUENCE")?,
        )?);
    }
    Ok(SignedData {
        content_type,
        version,
        digest_algorithms,
        econtent_type,
        econtent_present,
        certificates,
        signers,
    })
}

fn algorithm_oid<'a>(alg: Tlv<'a>) -> Result<&'a [u8], DerError> {
    let mut r = alg.reader();
    let o = r
        .read(der::OID, "AlgorithmIdentifier.algorithm is not an OID")?
        .content;
    if !r.is_empty() {
        r.any()?; // parameters
    }
    r.finish("trailing data in AlgorithmIdentifier")?;
    Ok(o)
}

fn parse_signer_info(si: Tlv<'_>) -> Result<SignerInfo<'_>, DerError> {
    let mut r = si.reader();
    let version = der::small_uint(r.read(der::INTEGER, "SignerInfo.version")?.content);
    let sid_tlv = r.any()?;
    let sid =
        match sid_tlv.tag {
            der::SEQUENCE => {
                let mut sr = sid_tlv.reader();
                let issuer = sr.read(der::SEQUENCE, "issuer Name is not a SEQUENCE")?;
                let serial = sr.read(der::INTEGER, "serialNumber is not an INTEGER")?;
                sr.finish("trailing data in issuerAndSerialNumber")?;
                SignerId::IssuerSerial {
                    issuer: issuer.raw.to_vec(),
                    serial: serial.content.to_vec(),
                }
            }
            t if t == ctx_prim(0) => SignerId::SubjectKeyId(sid_tlv.content.to_vec()),
            _ => return Err(DerError {
                what:
                    "SignerInfo.sid is neither issuerAndSerialNumber nor [0] subjectKeyIdentifier",
                offset: sid_tlv.offset,
            }),
        };
    let digest_oid = algorithm_oid(r.read(der::SEQUENCE, "SignerInfo.digestAlgorithm")?)?;
    let mut signed_attrs = None;
    let mut signed_attr_types = Vec::new();
    if let Some(attrs) = r.optional(ctx_cons(0))? {
        signed_attrs = Some(attrs.content);
        let mut ar = attrs.reader();
        while !ar.is_empty() {
            let a = ar.read(der::SEQUENCE, "Attribute is not a SEQUENCE")?;
            signed_attr_types.push(
                a.reader()
                    .read(der::OID, "Attribute type is not an OID")?
                    .content,
            );
        }
    }
    let signature_oid = algorithm_oid(r.read(der::SEQUENCE, "SignerInfo.signatureAlgorithm")?)?;
    let signature = r
        .read(
            der::OCTET_STRING,
            "SignerInfo.signature is not an OCTET STRING",
        )?
        .content;
    let has_unsigned_attrs = r.optional(ctx_cons(1))?.is_some();
    r.finish("trailing data in SignerInfo")?;
    Ok(SignerInfo {
        version,
        sid,
        digest_oid,
        signed_attrs,
        signed_attr_types,
        signature_oid,
        signature,
        has_unsigned_attrs,
    })
}
