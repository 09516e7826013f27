//! Verification with the kernel's rules (Linux 6.1: kernel/module/signing.c,
//! kernel/module_signature.c, crypto/asymmetric_keys/pkcs7_{parser,verify,trust}.c,
//! public_key.c), in the kernel's order, so each module gets the verdict the kernel would
//! reach and the reason it would give.

use aws_lc_rs::digest::Digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use crate::cert::{self, Certificate, Curve, PublicKey};
use crate::cms::{self, SignerId, SignerInfo};
use crate::hash::HashAlgo;
use crate::oid;
use crate::trailer::{self, TrailerError};

/// The verdict classes. Everything but `Valid` is refused under `module.sig_enforce=1`;
/// `BadSignature` and `Malformed` are refused even without enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Valid,
    /// No signature magic (-ENODATA).
    Unsigned,
    /// Well-formed, but no trusted certificate matches the signer (-ENOKEY).
    Untrusted,
    /// The signature does not verify with the matching key (-EKEYREJECTED).
    BadSignature,
    /// A structure the kernel rejects (-EBADMSG, -EINVAL, or -EKEYREJECTED for signed
    /// attributes).
    Malformed,
    /// An algorithm the kernel does not accept (-ENOPKG), or one kharden cannot check.
    Unsupported,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Unsigned => "unsigned",
            Status::Untrusted => "untrusted",
            Status::BadSignature => "bad_signature",
            Status::Malformed => "malformed",
            Status::Unsupported => "unsupported",
        }
    }

    pub const ALL: [Status; 6] = [
        Status::Valid,
        Status::Unsigned,
        Status::Untrusted,
        Status::BadSignature,
        Status::Malformed,
        Status::Unsupported,
    ];

    /// Would the kernel refuse the module when signatures are enforced?
    pub fn refused_under_enforcement(self) -> bool {
        self != Status::Valid
    }
}

/// One module's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub detail: String,
    /// The signer's name: the trusted certificate's subject CN when one matched, else the
    /// issuer CN named in the signature.
    pub signer: Option<String>,
    /// Subject key identifier (hex) of the matching certificate, else the signature's signer
    /// id: its SKID, or the serial number as `modinfo` prints it.
    pub key_id: Option<String>,
    pub hash: Option<String>,
}

impl Verdict {
    fn new(status: Status, detail: impl Into<String>) -> Self {
        Verdict {
            status,
            detail: detail.into(),
            signer: None,
            key_id: None,
            hash: None,
        }
    }
}

/// The trusted certificates (the kernel's keyrings).
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    certs: Vec<Certificate>,
}

impl Keyring {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a certificate; an identical one already present is not added twice.
    pub fn add(&mut self, cert: Certificate) {
        if !self.certs.iter().any(|c| c.der == cert.der) {
            self.certs.push(cert);
        }
    }

    pub fn certificates(&self) -> &[Certificate] {
        &self.certs
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// `find_asymmetric_key()` by the signer's id: issuer+serial against the certificate's
    /// raw issuer and serial, or the SKID against the certificate's SKID.
    pub fn find(&self, id: &SignerId) -> Option<&Certificate> {
        self.certs.iter().find(|c| match id {
            SignerId::IssuerSerial { issuer, serial } => &c.issuer == issuer && &c.serial == serial,
            SignerId::SubjectKeyId(kid) => c.subject_key_id.as_deref() == Some(kid.as_slice()),
        })
    }
}

/// The kernel a module is judged for: which signatures it accepts depends on its version and
/// on a few options of its config. Unknown parts are `None`; a verdict then holds for any
/// kernel, and a remark says what it depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetKernel {
    /// The release (`uname -r`), named in remarks.
    pub release: Option<String>,
    /// (major, minor)
    pub version: Option<(u32, u32)>,
    /// `CONFIG_CRYPTO_ECDSA` built in or a module (true), not set (false).
    pub ecdsa: Option<bool>,
    /// `CONFIG_CRYPTO_MLDSA` built in or a module (true), not set (false).
    pub mldsa: Option<bool>,
}

impl TargetKernel {
    /// A kernel known by its release only ("7.2.13+deb14-cloud-amd64", "6.1.0-18-amd64").
    pub fn from_release(release: &str) -> TargetKernel {
        let mut nums = release.split(|c: char| !c.is_ascii_digit());
        let version = match (nums.next(), nums.next()) {
            (Some(a), Some(b)) => a.parse().ok().zip(b.parse().ok()),
            _ => None,
        };
        TargetKernel {
            release: Some(release.to_string()),
            version,
            ecdsa: None,
            mldsa: None,
        }
    }

    /// How remarks name this kernel: "Linux 7.2.13+deb14-cloud-amd64", or "the target kernel".
    pub fn name(&self) -> String {
        match (&self.release, self.version) {
            (Some(r), _) => format!("Linux {r}"),
            (None, Some((a, b))) => format!("Linux {a}.{b}"),
            (None, None) => "the target kernel".into(),
        }
    }

    /// Is the kernel at least `major.minor`? None when its version is unknown.
    pub fn at_least(&self, major: u32, minor: u32) -> Option<bool> {
        self.version.map(|v| v >= (major, minor))
    }
}

/// Verify a module (already decompressed) against `keyring`, by rules that hold for any
/// kernel version (see [`verify_for`]).
pub fn verify(data: &[u8], keyring: &Keyring) -> Verdict {
    verify_for(data, keyring, &TargetKernel::default())
}

/// Verify a module (already decompressed) against `keyring`, as `target` would.
pub fn verify_for(data: &[u8], keyring: &Keyring, target: &TargetKernel) -> Verdict {
    let split = match trailer::split(data) {
        Ok(s) => s,
        Err(TrailerError::NoMagic) => {
            return Verdict::new(Status::Unsigned, "no signature (kernel: -ENODATA)")
        }
        Err(e @ TrailerError::NotPkcs7(_)) => {
            return Verdict::new(Status::Unsupported, format!("{e} (kernel: -ENOPKG)"))
        }
        Err(e) => return Verdict::new(Status::Malformed, format!("{e} (kernel: -EBADMSG)")),
    };
    if !split.module.starts_with(b"\x7fELF") {
        // The kernel would check the signature first and then fail to load a non-ELF; either
        // way the file is not a usable module.
        return Verdict::new(Status::Malformed, "the signed content is not an ELF file");
    }
    let sd = match cms::parse(split.cms) {
        Ok(sd) => sd,
        Err(e) => {
            return Verdict::new(
                Status::Malformed,
                format!("PKCS#7 message does not parse: {e} (kernel: -EBADMSG)"),
            )
        }
    };
    if sd.content_type != oid::SIGNED_DATA {
        return Verdict::new(
            Status::Malformed,
            format!(
                "PKCS#7 content type is {}, not signedData (kernel: -EINVAL)",
                oid::name(sd.content_type)
            ),
        );
    }
    // pkcs7_check_content_type / pkcs7_note_signeddata_version.
    let sd_version = sd.version.unwrap_or(0);
    if sd_version != 1 && sd_version != 3 {
        return Verdict::new(
            Status::Malformed,
            format!("SignedData version {sd_version} (kernel accepts 1 or 3: -EBADMSG)"),
        );
    }
    if sd.signers.is_empty() {
        return Verdict::new(
            Status::Malformed,
            "SignedData has no SignerInfo (kernel: -EBADMSG)",
        );
    }
    // Parser-time checks per signer, in the order of the ASN.1 actions.
    for si in &sd.signers {
        if let Some(v) = parse_time_checks(sd_version, si, target) {
            return v;
        }
    }
    // pkcs7_verify(), VERIFYING_MODULE_SIGNATURE.
    if sd.econtent_type != oid::DATA {
        return Verdict::new(
            Status::Malformed,
            format!(
                "eContentType is {}, not data (kernel: Invalid module sig (not pkcs7-data), -EKEYREJECTED)",
                oid::name(sd.econtent_type)
            ),
        );
    }
    // Linux 7.0 (91db696adea4 "pkcs7: Allow authenticatedAttributes for ML-DSA"): signed
    // attributes are accepted from ML-DSA signers only; before, from none.
    if sd.signers.iter().any(|s| {
        s.signed_attrs.is_some()
            && !(is_mldsa(s.signature_oid) && target.at_least(7, 0) != Some(false))
    }) {
        return Verdict::new(
            Status::Malformed,
            "signed attributes present (kernel: Invalid module sig (has authattrs), -EKEYREJECTED)",
        );
    }
    if sd.econtent_present {
        return Verdict::new(
            Status::Malformed,
            "the signature embeds its content; module signatures are detached (kernel: Data already supplied, -EINVAL)",
        );
    }

    // pkcs7_validate_trust(): each signer is looked up; an unknown key is skipped, any other
    // error is final; at least one signer must be trusted.
    let mut first_untrusted: Option<Verdict> = None;
    let mut valid: Option<Verdict> = None;
    for si in &sd.signers {
        let v = check_signer(split.module, si, keyring, target);
        match v.status {
            Status::Valid => {
                valid.get_or_insert(v);
            }
            Status::Untrusted => {
                first_untrusted.get_or_insert(v);
            }
            _ => return v,
        }
    }
    valid
        .or(first_untrusted)
        .unwrap_or_else(|| Verdict::new(Status::Untrusted, "no signer"))
}

fn parse_time_checks(
    sd_version: u64,
    si: &SignerInfo<'_>,
    target: &TargetKernel,
) -> Option<Verdict> {
    let siv = si.version.unwrap_or(0);
    // pkcs7_note_signerinfo_version / pkcs7_sig_note_{serial,skid}.
    let consistent = match (siv, &si.sid) {
        (1, SignerId::IssuerSerial { .. }) => sd_version == 1,
        (3, SignerId::SubjectKeyId(_)) => sd_version != 1,
        _ => false,
    };
    if !consistent {
        let sid = match si.sid {
            SignerId::IssuerSerial { .. } => "issuerAndSerialNumber",
            SignerId::SubjectKeyId(_) => "subjectKeyIdentifier",
        };
        return Some(Verdict::new(
            Status::Malformed,
            format!(
                "SignerInfo version {siv} with {sid} in SignedData version {sd_version} (kernel: -EBADMSG)"
            ),
        ));
    }
    // pkcs7_sig_note_digest_algo.
    const KERNEL_DIGESTS: &[&str] = &[
        "md4",
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "sm3",
        "streebog256",
        "streebog512",
    ];
    let digest = oid::name(si.digest_oid);
    // SHA-3 digests from Linux 6.7 (pkcs7_sig_note_digest_algo gained OID_sha3_*).
    let sha3 = digest.starts_with("sha3-");
    if sha3 && target.at_least(6, 7) == Some(false) {
        return Some(Verdict::new(
            Status::Unsupported,
            format!(
                "digest algorithm {digest}: {} predates SHA-3 module signatures (6.7) (kernel: Unsupported digest algo, -ENOPKG)",
                target.name()
            ),
        ));
    }
    if !sha3 && !KERNEL_DIGESTS.contains(&digest.as_str()) {
        return Some(Verdict::new(
            Status::Unsupported,
            format!("digest algorithm {digest} (kernel: Unsupported digest algo, -ENOPKG)"),
        ));
    }
    // pkcs7_sig_note_authenticated_attr: S/MIME capabilities are refused while parsing.
    if si.signed_attr_types.contains(&oid::SMIME_CAPABILITIES) {
        return Some(Verdict::new(
            Status::Malformed,
            "signed attributes include S/MIME capabilities (kernel: S/MIME Caps only allowed with Authenticode, -EKEYREJECTED)",
        ));
    }
    // pkcs7_sig_note_pkey_algo.
    let sigalg = si.signature_oid;
    let accepted = sigalg == oid::RSA_ENCRYPTION
        || [
            oid::ECDSA_WITH_SHA1,
            oid::ECDSA_WITH_SHA224,
            oid::ECDSA_WITH_SHA256,
            oid::ECDSA_WITH_SHA384,
            oid::ECDSA_WITH_SHA512,
        ]
        .contains(&sigalg);
    let mldsa = [oid::ML_DSA_44, oid::ML_DSA_65, oid::ML_DSA_87].contains(&sigalg);
    if mldsa {
        let name = oid::name(sigalg);
        // Linux 7.0, "modsign: Enable ML-DSA module signing": pkcs7_sig_note_pkey_algo knows
        // id-ml-dsa-*; the signature is checked by the "mldsaNN" akcipher (CRYPTO_MLDSA).
        let detail = if target.at_least(7, 0) == Some(false) {
            format!(
                "signature algorithm {name}: {} predates ML-DSA module signatures (7.0) (kernel: Unsupported pkey algo, -ENOPKG)",
                target.name()
            )
        } else if target.mldsa == Some(false) {
            format!(
                "signature algorithm {name}: {} is built without CONFIG_CRYPTO_MLDSA and cannot check it (kernel: no mldsa algorithm, refused)",
                target.name()
            )
        } else {
            // Accepted: checked with the signer's key (check_mldsa).
            return None;
        };
        return Some(Verdict::new(Status::Unsupported, detail));
    }
    if !accepted {
        let name = oid::name(sigalg);
        let kernel_has = name == "SM2-with-SM3" || name.starts_with("1.2.643.7.1.1.3");
        let detail = if kernel_has {
            format!("signature algorithm {name}: accepted by the kernel but not checked by kharden")
        } else {
            format!(
                "signature algorithm {name}; the kernel accepts only rsaEncryption or ecdsa-with-* here (Unsupported pkey algo, -ENOPKG)"
            )
        };
        return Some(Verdict::new(Status::Unsupported, detail));
    }
    None
}

fn is_mldsa(sigalg: &[u8]) -> bool {
    [oid::ML_DSA_44, oid::ML_DSA_65, oid::ML_DSA_87].contains(&sigalg)
}

const CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];

/// A signed attribute's type, and its (first) value's tag and content.
type Attribute<'a> = (&'a [u8], u8, &'a [u8]);

/// The first value of each signed attribute.
fn attributes(raw: &[u8]) -> Result<Vec<Attribute<'_>>, crate::der::DerError> {
    let mut out = Vec::new();
    let mut r = crate::der::Reader::new(raw);
    while !r.is_empty() {
        let a = r.read(crate::der::SEQUENCE, "Attribute is not a SEQUENCE")?;
        let mut ar = a.reader();
        let t = ar
            .read(crate::der::OID, "Attribute type is not an OID")?
            .content;
        let set = ar.read(crate::der::SET, "Attribute values are not a SET")?;
        let mut sr = set.reader();
        let value = sr.any()?;
        out.push((t, value.tag, value.content));
    }
    Ok(out)
}

/// An ML-DSA signer (Linux 7.0: pkcs7_sig_note_pkey_algo, pkcs7_digest, public_key.c): pure
/// ML-DSA (empty context) over the module itself when there are no signed attributes (the
/// shape OpenSSL 4 makes), else over the DER of the signed attributes (the SET OF form), whose
/// messageDigest must be the digest of the module (OpenSSL 3.5/3.6 cannot sign ML-DSA CMS
/// without them).
fn check_mldsa(
    module: &[u8],
    si: &SignerInfo<'_>,
    cert: &Certificate,
    hash: HashAlgo,
    mut v: Verdict,
) -> Verdict {
    let (level, raw) = match &cert.public_key {
        PublicKey::MlDsa { level, raw } if Some(si.signature_oid) == mldsa_oid(*level) => {
            (*level, raw)
        }
        key => {
            return mismatched_key(v, si, key);
        }
    };
    let alg: &'static signature::PqdsaVerificationAlgorithm = match level {
        44 => &signature::ML_DSA_44,
        65 => &signature::ML_DSA_65,
        _ => &signature::ML_DSA_87,
    };
    let signed_attrs_der;
    let (message, shape): (&[u8], String) = match si.signed_attrs {
        None => (module, "over the module".into()),
        Some(raw_attrs) => {
            let attrs = match attributes(raw_attrs) {
                Ok(a) => a,
                Err(e) => {
                    v.status = Status::Malformed;
                    v.detail = format!("signed attributes do not parse: {e} (kernel: -EBADMSG)");
                    return v;
                }
            };
            let find = |t: &[u8]| attrs.iter().find(|a| a.0 == t);
            let (Some(ct), Some(md)) = (find(CONTENT_TYPE), find(MESSAGE_DIGEST)) else {
                v.status = Status::Malformed;
                v.detail = "signed attributes lack contentType or messageDigest (kernel: Missing required AuthAttr, -EBADMSG)".into();
                return v;
            };
            if ct.1 != crate::der::OID || ct.2 != oid::DATA {
                v.status = Status::Malformed;
                v.detail = "the contentType attribute is not data (kernel: -EBADMSG)".into();
                return v;
            }
            let digest = aws_lc_rs::digest::digest(hash.digest_alg(), module);
            if md.1 != crate::der::OCTET_STRING || md.2 != digest.as_ref() {
                v.status = Status::BadSignature;
                v.detail = format!(
                    "the messageDigest attribute is not the {hash} of the module (kernel: Message digest doesn't match, -EKEYREJECTED)"
                );
                return v;
            }
            signed_attrs_der = crate::der::tlv(crate::der::SET, raw_attrs);
            (&signed_attrs_der, format!("signed attributes, {hash}"))
        }
    };
    match UnparsedPublicKey::new(alg, raw).verify(message, si.signature) {
        Ok(()) => {
            v.detail = format!(
                "signed by \"{}\" ({}, {shape})",
                cert.subject_name(),
                cert.public_key.describe()
            );
            if si.signed_attrs.is_none() {
                v.hash = None;
            }
        }
        Err(_) => {
            v.status = Status::BadSignature;
            v.detail = format!(
                "signature does not verify with \"{}\" (kernel: -EKEYREJECTED, refused even without enforcement)",
                cert.subject_name()
            );
        }
    }
    v
}

/// The verdict for a signature whose algorithm is not that of the certificate's key.
fn mismatched_key(mut v: Verdict, si: &SignerInfo<'_>, key: &PublicKey) -> Verdict {
    v.status = Status::BadSignature;
    v.detail = format!(
        "signature algorithm {} does not match the certificate's {} key (kernel: -EKEYREJECTED)",
        oid::name(si.signature_oid),
        key.describe()
    );
    v
}

fn mldsa_oid(level: u16) -> Option<&'static [u8]> {
    match level {
        44 => Some(oid::ML_DSA_44),
        65 => Some(oid::ML_DSA_65),
        87 => Some(oid::ML_DSA_87),
        _ => None,
    }
}

/// What the verdict of a valid signature depends on, or what the target kernel says of it.
fn remarks(hash: HashAlgo, ecdsa: bool, target: &TargetKernel) -> String {
    let mut out = String::new();
    if ecdsa && target.ecdsa.is_none() {
        out.push_str(&format!(
            "; ECDSA needs CONFIG_CRYPTO_ECDSA (y or m) in {}, whose config is unknown",
            target.name()
        ));
    }
    // certs/Kconfig: SHA-224 signing went in 6.7, SHA-1 signing in 7.0; signatures made with
    // them still verify (the digest tables of crypto/asymmetric_keys keep both).
    let dropped = match hash {
        HashAlgo::Sha1 => Some((7, 0)),
        HashAlgo::Sha224 => Some((6, 7)),
        _ => None,
    };
    if let Some((a, b)) = dropped {
        if target.at_least(a, b) == Some(true) {
            out.push_str(&format!(
                "; {} no longer signs modules with {hash} (dropped in {a}.{b}) but still accepts it",
                target.name()
            ));
        }
    }
    out
}

fn describe_sid(sid: &SignerId) -> (Option<String>, String) {
    match sid {
        SignerId::IssuerSerial { issuer, serial } => (
            cert::common_name(issuer),
            cert::colon_hex(cert::strip_sign_byte(serial)),
        ),
        SignerId::SubjectKeyId(kid) => (None, cert::hex(kid)),
    }
}

fn check_signer(
    module: &[u8],
    si: &SignerInfo<'_>,
    keyring: &Keyring,
    target: &TargetKernel,
) -> Verdict {
    let digest_name = oid::name(si.digest_oid);
    let (sid_name, sid_key) = describe_sid(&si.sid);
    let mut v = Verdict::new(Status::Valid, "");
    v.hash = Some(digest_name.clone());
    v.signer = sid_name;
    v.key_id = Some(sid_key);

    let Some(hash) = si.hash() else {
        v.status = Status::Unsupported;
        v.detail =
            format!("digest {digest_name} is accepted by the kernel but not checked by kharden");
        return v;
    };
    let Some(cert) = keyring.find(&si.sid) else {
        v.status = Status::Untrusted;
        v.detail = match &si.sid {
            SignerId::IssuerSerial { issuer, .. } => format!(
                "no trusted certificate with issuer \"{}\" and serial {} (kernel: -ENOKEY)",
                cert::name_to_string(issuer),
                v.key_id.as_deref().unwrap_or_default()
            ),
            SignerId::SubjectKeyId(kid) => format!(
                "no trusted certificate with subject key id {} (kernel: -ENOKEY)",
                cert::hex(kid)
            ),
        };
        return v;
    };
    v.signer = Some(cert.signer_name());
    v.key_id = Some(
        cert.subject_key_id
            .as_deref()
            .map(cert::hex)
            .unwrap_or_else(|| cert.serial_hex()),
    );

    if is_mldsa(si.signature_oid) || matches!(cert.public_key, PublicKey::MlDsa { .. }) {
        return check_mldsa(module, si, cert, hash, v);
    }
    // public_key_verify_signature(): the signature's key type must match the key.
    let is_rsa_sig = si.signature_oid == oid::RSA_ENCRYPTION;
    let alg: &'static dyn VerificationAlgorithm = match (&cert.public_key, is_rsa_sig) {
        (PublicKey::Rsa { .. }, true) => match hash {
            HashAlgo::Sha1 => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            HashAlgo::Sha256 => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            HashAlgo::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            HashAlgo::Sha512 => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            HashAlgo::Sha224 => {
                v.status = Status::Unsupported;
                v.detail =
                    "RSA with sha224 is accepted by the kernel but not checked by kharden".into();
                return v;
            }
        },
        (PublicKey::Ec { curve, .. }, false) => match (curve, hash) {
            (Curve::P384, HashAlgo::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
            (Curve::P384, HashAlgo::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
            (Curve::P384, HashAlgo::Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
            (Curve::P256, HashAlgo::Sha1) => &signature::ECDSA_P256_SHA1_ASN1,
            (Curve::P256, HashAlgo::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
            (Curve::P256, HashAlgo::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
            (Curve::P256, HashAlgo::Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
            _ => {
                v.status = Status::Unsupported;
                v.detail = format!(
                    "ECDSA {} with {hash} is accepted by the kernel but not checked by kharden",
                    cert.public_key.describe()
                );
                return v;
            }
        },
        (PublicKey::Other { algorithm }, _) => {
            v.status = Status::Unsupported;
            v.detail =
                format!("trusted certificate has a {algorithm} key, which kharden cannot check");
            return v;
        }
        (key, _) => {
            return mismatched_key(v, si, key);
        }
    };
    // public_key_verify_signature() allocates "ecdsa-nist-pNNN" before it verifies: a kernel
    // without CONFIG_CRYPTO_ECDSA fails there, whatever the signature.
    let ecdsa = matches!(cert.public_key, PublicKey::Ec { .. });
    if ecdsa && target.ecdsa == Some(false) {
        v.status = Status::Unsupported;
        v.detail = format!(
            "signed by \"{}\" ({}), but {} is built without CONFIG_CRYPTO_ECDSA and cannot check it (kernel: no ecdsa algorithm, refused)",
            cert.subject_name(),
            cert.public_key.describe(),
            target.name()
        );
        return v;
    }
    let key_bytes: &[u8] = match &cert.public_key {
        PublicKey::Rsa { der, .. } => der,
        PublicKey::Ec { point, .. } => point,
        PublicKey::MlDsa { .. } | PublicKey::Other { .. } => &[],
    };
    let digest: Digest = aws_lc_rs::digest::digest(hash.digest_alg(), module);
    match UnparsedPublicKey::new(alg, key_bytes).verify_digest(&digest, si.signature) {
        Ok(()) => {
            v.detail = format!(
                "signed by \"{}\" ({}, {hash})",
                cert.subject_name(),
                cert.public_key.describe()
            );
            v.detail.push_str(&remarks(hash, ecdsa, target));
        }
        Err(_) => {
            v.status = Status::BadSignature;
            v.detail = format!(
                "signature does not verify with \"{}\" (kernel: -EKEYREJECTED, refused even without enforcement)",
                cert.subject_name()
            );
        }
    }
    v
}
