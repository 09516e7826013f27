//! The flags that choose a module-signing key and digest, shared by `modsign sign-tree`,
//! `sign` and `build`.

use clap::ValueEnum;
use modsig::HashAlgo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyTypeArg {
    /// RSA-4096 (the kernel's default; Debian's kernels verify only RSA).
    Rsa4096,
    /// ECDSA P-384 (needs CONFIG_CRYPTO_ECDSA in the kernel; signs with sha384).
    EcdsaP384,
    /// ML-DSA-44 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself).
    Mldsa44,
    /// ML-DSA-65 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself).
    Mldsa65,
    /// ML-DSA-87 (Linux 7.0+ with CONFIG_CRYPTO_MLDSA; signs the module itself).
    Mldsa87,
}

/// `--hash`: the digests a module signature is made with.
pub fn hash_arg() -> impl clap::builder::TypedValueParser<Value = HashAlgo> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["sha256", "sha384", "sha512"]).map(|h| match &*h {
        "sha384" => HashAlgo::Sha384,
        "sha512" => HashAlgo::Sha512,
        _ => HashAlgo::Sha256,
    })
}

impl KeyTypeArg {
    /// The key type, and its name as the messages write it.
    pub fn key_type(self) -> (modsig::KeyType, &'static str) {
        match self {
            KeyTypeArg::Rsa4096 => (modsig::KeyType::Rsa4096, "RSA-4096"),
            KeyTypeArg::EcdsaP384 => (modsig::KeyType::EcdsaP384, "ECDSA P-384"),
            KeyTypeArg::Mldsa44 => (modsig::KeyType::MlDsa44, "ML-DSA-44"),
            KeyTypeArg::Mldsa65 => (modsig::KeyType::MlDsa65, "ML-DSA-65"),
            KeyTypeArg::Mldsa87 => (modsig::KeyType::MlDsa87, "ML-DSA-87"),
        }
    }
}
