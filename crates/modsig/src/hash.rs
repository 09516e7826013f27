//! Digest algorithms a module signature may name.

use crate::oid;

/// The digests kharden can compute. The kernel (6.1) also accepts md4, md5, sm3 and streebog;
/// those are reported as unsupported by kharden, never as valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgo {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgo {
    /// The name `sign-file` and `modinfo` use.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha224 => "sha224",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha384 => "sha384",
            HashAlgo::Sha512 => "sha512",
        }
    }

    /// Every hash a module signature can name, weakest first.
    pub const ALL: [HashAlgo; 5] = [
        HashAlgo::Sha1,
        HashAlgo::Sha224,
        HashAlgo::Sha256,
        HashAlgo::Sha384,
        HashAlgo::Sha512,
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
    }

    pub fn oid(self) -> &'static [u8] {
        match self {
            HashAlgo::Sha1 => oid::SHA1,
            HashAlgo::Sha224 => oid::SHA224,
            HashAlgo::Sha256 => oid::SHA256,
            HashAlgo::Sha384 => oid::SHA384,
            HashAlgo::Sha512 => oid::SHA512,
        }
    }

    pub fn from_oid(o: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.oid() == o)
    }

    pub(crate) fn digest_alg(self) -> &'static aws_lc_rs::digest::Algorithm {
        use aws_lc_rs::digest;
        match self {
            HashAlgo::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlgo::Sha224 => &digest::SHA224,
            HashAlgo::Sha256 => &digest::SHA256,
            HashAlgo::Sha384 => &digest::SHA384,
            HashAlgo::Sha512 => &digest::SHA512,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(self.digest_alg(), data)
            .as_ref()
            .to_vec()
    }
}

impl std::fmt::Display for HashAlgo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
