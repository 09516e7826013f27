//! What a signature says about itself, without judging it: the fields `modinfo` shows plus
//! the trailer and the CMS signer identifier.

use crate::cert;
use crate::cms::{self, SignerId};
use crate::oid;
use crate::trailer::{self, ModuleSignature};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub file_len: usize,
    /// The raw struct, when the magic is there and the struct could be read.
    pub trailer: Option<ModuleSignature>,
    /// Why the trailer is unusable (None when fine or unsigned).
    pub trailer_error: Option<String>,
    pub signed: bool,
    /// Length of the signed module content.
    pub module_len: Option<usize>,
    pub cms: Option<CmsInfo>,
    pub cms_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmsInfo {
    pub content_type: String,
    pub signed_data_version: Option<u64>,
    pub digest_algorithms: Vec<String>,
    pub econtent_type: String,
    pub detached: bool,
    pub certificates: usize,
    pub signers: Vec<SignerInfoView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfoView {
    pub version: Option<u64>,
    /// "issuerAndSerialNumber" or "subjectKeyIdentifier".
    pub id_kind: &'static str,
    pub issuer: Option<String>,
    /// `modinfo`'s `signer`: the issuer CN.
    pub signer: Option<String>,
    /// `modinfo`'s `sig_key`: the serial number, colon hex.
    pub serial: Option<String>,
    pub subject_key_id: Option<String>,
    /// `modinfo`'s `sig_hashalgo`.
    pub digest: String,
    pub signature_algorithm: String,
    pub signed_attributes: Vec<String>,
    pub unsigned_attributes: bool,
    /// `modinfo`'s `signature`, colon hex.
    pub signature: String,
    pub signature_len: usize,
}

pub fn inspect(data: &[u8]) -> Inspection {
    let mut out = Inspection {
        file_len: data.len(),
        trailer: None,
        trailer_error: None,
        signed: trailer::has_magic(data),
        module_len: None,
        cms: None,
        cms_error: None,
    };
    if !out.signed {
        return out;
    }
    let n = data.len() - trailer::MAGIC.len();
    if n >= trailer::INFO_LEN {
        if let Ok(raw) = <&[u8; trailer::INFO_LEN]>::try_from(&data[n - trailer::INFO_LEN..n]) {
            out.trailer = Some(ModuleSignature::from_bytes(raw));
        }
    }
    let split = match trailer::split(data) {
        Ok(s) => s,
        Err(e) => {
            out.trailer_error = Some(e.to_string());
            return out;
        }
    };
    out.module_len = Some(split.module.len());
    match cms::parse(split.cms) {
        Err(e) => out.cms_error = Some(e.to_string()),
        Ok(sd) => {
            out.cms = Some(CmsInfo {
                content_type: oid::name(sd.content_type),
                signed_data_version: sd.version,
                digest_algorithms: sd.digest_algorithms.iter().map(|o| oid::name(o)).collect(),
                econtent_type: oid::name(sd.econtent_type),
                detached: !sd.econtent_present,
                certificates: sd.certificates,
                signers: sd
                    .signers
                    .iter()
                    .map(|si| {
                        let (id_kind, issuer, signer, serial, skid) = match &si.sid {
                            SignerId::IssuerSerial { issuer, serial } => (
                                "issuerAndSerialNumber",
                                Some(cert::name_to_string(issuer)),
                                cert::common_name(issuer),
                                Some(cert::colon_hex(cert::strip_sign_byte(serial))),
                                None,
                            ),
                            SignerId::SubjectKeyId(k) => (
                                "subjectKeyIdentifier",
                                None,
                                None,
                                None,
                                Some(cert::colon_hex(k)),
                            ),
                        };
                        SignerInfoView {
                            version: si.version,
                            id_kind,
                            issuer,
                            signer,
                            serial,
                            subject_key_id: skid,
                            digest: oid::name(si.digest_oid),
                            signature_algorithm: oid::name(si.signature_oid),
                            signed_attributes: si
                                .signed_attr_types
                                .iter()
                                .map(|o| oid::name(o))
                                .collect(),
                            unsigned_attributes: si.has_unsigned_attrs,
                            signature: cert::colon_hex(si.signature),
                            signature_len: si.signature.len(),
                        }
                    })
                    .collect(),
            })
        }
    }
    out
}
