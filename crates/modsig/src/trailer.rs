//! The bytes a signed module ends with: `CMS || struct module_signature || MAGIC`
//! (include/linux/module_signature.h).

/// `MODULE_SIG_STRING "\n"`: 28 bytes, no NUL.
pub const MAGIC: &[u8; 28] = b"~Module signature appended~\n";
/// `sizeof(struct module_signature)`.
pub const INFO_LEN: usize = 12;
/// `PKEY_ID_PKCS7`, the only `id_type` the kernel accepts.
pub const ID_PKCS7: u8 = 2;

/// `struct module_signature`, as read from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleSignature {
    pub algo: u8,
    pub hash: u8,
    pub id_type: u8,
    pub signer_len: u8,
    pub key_id_len: u8,
    pub pad: [u8; 3],
    pub sig_len: u32,
}

impl ModuleSignature {
    /// What `sign-file` writes for a CMS of `sig_len` bytes.
    pub fn pkcs7(sig_len: u32) -> Self {
        ModuleSignature {
            algo: 0,
            hash: 0,
            id_type: ID_PKCS7,
            signer_len: 0,
            key_id_len: 0,
            pad: [0; 3],
            sig_len,
        }
    }

    pub fn from_bytes(b: &[u8; INFO_LEN]) -> Self {
        ModuleSignature {
            algo: b[0],
            hash: b[1],
            id_type: b[2],
            signer_len: b[3],
            key_id_len: b[4],
            pad: [b[5], b[6], b[7]],
            sig_len: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        }
    }

    pub fn to_bytes(&self) -> [u8; INFO_LEN] {
        let l = self.sig_len.to_be_bytes();
        [
            self.algo,
            self.hash,
            self.id_type,
            self.signer_len,
            self.key_id_len,
            self.pad[0],
            self.pad[1],
            self.pad[2],
            l[0],
            l[1],
            l[2],
            l[3],
        ]
    }
}

/// Why a trailer cannot be used, with the kernel's error where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailerError {
    /// No magic: the kernel treats the module as unsigned (-ENODATA).
    #[error("no signature: the file does not end with the module signature magic")]
    NoMagic,
    /// mod_check_sig: `id_type != PKEY_ID_PKCS7` gives -ENOPKG.
    #[error("struct module_signature: id_type is {0}, the kernel accepts only 2 (PKCS#7)")]
    NotPkcs7(u8),
    /// mod_check_sig: any other field non-zero gives -EBADMSG.
    #[error("struct module_signature: {field} must be 0, is {value}")]
    NonZeroField { field: &'static str, value: u8 },
    /// The length fields do not fit in the file (-EBADMSG).
    #[error("struct module_signature: {0}")]
    BadLength(String),
}

/// A signed module split into its parts.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The module bytes the signature covers.
    pub module: &'a [u8],
    /// The detached CMS (DER).
    pub cms: &'a [u8],
    pub info: ModuleSignature,
}

/// True when `data` ends with the magic.
pub fn has_magic(data: &[u8]) -> bool {
    data.ends_with(MAGIC)
}

/// Split a module the way `mod_check_sig` does, with its checks and in its order.
pub fn split(data: &[u8]) -> Result<Split<'_>, TrailerError> {
    if !has_magic(data) {
        return Err(TrailerError::NoMagic);
    }
    let (info, body_len) = locate(data)?;
    if info.id_type != ID_PKCS7 {
        return Err(TrailerError::NotPkcs7(info.id_type));
    }
    for (field, value) in [
        ("algo", info.algo),
        ("hash", info.hash),
        ("signer_len", info.signer_len),
        ("key_id_len", info.key_id_len),
        ("__pad[0]", info.pad[0]),
        ("__pad[1]", info.pad[1]),
        ("__pad[2]", info.pad[2]),
    ] {
        if value != 0 {
            return Err(TrailerError::NonZeroField { field, value });
        }
    }
    let m = body_len - info.sig_len as usize;
    Ok(Split {
        module: &data[..m],
        cms: &data[m..body_len],
        info,
    })
}

/// The struct before the magic of a file that ends with it, and how many bytes precede the
/// struct (module and signature), with the kernel's length check.
fn locate(data: &[u8]) -> Result<(ModuleSignature, usize), TrailerError> {
    let len = data.len() - MAGIC.len();
    if len <= INFO_LEN {
        return Err(TrailerError::BadLength(format!(
            "file too short ({} bytes) to hold the 12-byte struct",
            data.len()
        )));
    }
    let raw: &[u8; INFO_LEN] = data[len - INFO_LEN..len]
        .try_into()
        .map_err(|_| TrailerError::BadLength("cannot read struct".into()))?;
    let info = ModuleSignature::from_bytes(raw);
    let body_len = len - INFO_LEN;
    // kernel/module_signature.c: `sig_len >= file_len - sizeof(*ms)` is -EBADMSG.
    if info.sig_len as usize >= body_len {
        return Err(TrailerError::BadLength(format!(
            "sig_len {} does not fit in the {} bytes before the struct",
            info.sig_len, body_len
        )));
    }
    Ok((info, body_len))
}

/// The module without its signature, for re-signing: a well-formed trailer is cut off; a file
/// without the magic is returned whole. A file that ends with the magic but whose trailer is
/// broken is an error, because where the module ends is then unknown.
pub fn strip(data: &[u8]) -> Result<&[u8], TrailerError> {
    if !has_magic(data) {
        return Ok(data);
    }
    let (info, body_len) = locate(data)?;
    Ok(&data[..body_len - info.sig_len as usize])
}

/// Append `cms`, the struct and the magic to `module`, as `sign-file` does.
pub fn append(module: &[u8], cms: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(module.len() + cms.len() + INFO_LEN + MAGIC.len());
    out.extend_from_slice(module);
    out.extend_from_slice(cms);
    out.extend_from_slice(&ModuleSignature::pkcs7(cms.len() as u32).to_bytes());
    out.extend_from_slice(MAGIC);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let signed = append(b"\x7fELFbody", b"CMS!");
        let s = split(&signed).unwrap();
        assert_eq!((s.module, s.cms), (&b"\x7fELFbody"[..], &b"CMS!"[..]));
        assert_eq!(strip(&signed).unwrap(), b"\x7fELFbody");
        assert_eq!(split(b"\x7fELF").unwrap_err(), TrailerError::NoMagic);
        assert_eq!(strip(b"\x7fELF").unwrap(), b"\x7fELF");
        // Only the magic, or a truncated struct.
        assert!(matches!(split(MAGIC), Err(TrailerError::BadLength(_))));
        let mut short = vec![0u8; 5];
        short.extend_from_slice(MAGIC);
        assert!(matches!(split(&short), Err(TrailerError::BadLength(_))));
        // sig_len larger than the file, and absurd.
        for bad in [5u32, 6, 0xffff_ffff] {
            let mut d = b"x".to_vec();
            d.extend_from_slice(b"CMS!");
            d.extend_from_slice(&ModuleSignature::pkcs7(bad).to_bytes());
            d.extend_from_slice(MAGIC);
            assert!(
                matches!(split(&d), Err(TrailerError::BadLength(_))),
                "{bad}"
            );
            assert!(strip(&d).is_err());
        }
        let mut bad = signed.clone();
        let n = bad.len() - 28 - 12;
        bad[n + 2] = 1;
        assert_eq!(split(&bad).unwrap_err(), TrailerError::NotPkcs7(1));
        let mut bad = signed;
        bad[n + 6] = 9;
        assert!(matches!(
            split(&bad),
            Err(TrailerError::NonZeroField {
                field: "__pad[1]",
                value: 9
            })
        ));
    }
}
