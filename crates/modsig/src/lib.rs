//! Linux kernel module signatures, without a CLI and without printing:
//!
//! * [`trailer`]: the `CMS || struct module_signature || magic` bytes a signed module ends with;
//! * [`cms`]: the fixed detached SignedData `scripts/sign-file.c` writes, byte for byte, and a
//!   reader for any SignedData;
//! * [`keys`]: in-memory RSA-4096 / P-384 keys (wiped on drop) and their self-signed
//!   certificates, or keys loaded from `sign-file` style files;
//! * [`sign`]: signing modules; [`verify`]: the kernel's checks in the kernel's order;
//! * [`cert`]: the X.509 fields verification needs; [`kernel`]: certificates built into a
//!   kernel image; [`inspect`]: what a signature says about itself.

#![forbid(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod cert;
pub mod cms;
pub mod der;
pub mod hash;
pub mod inspect;
pub mod kernel;
pub mod keys;
pub mod oid;
pub mod pem;
pub mod sign;
pub mod trailer;
pub mod verify;

pub use cert::{Certificate, PublicKey};
pub use hash::HashAlgo;
pub use keys::{KeyType, SigningKey};
pub use sign::Signer;
pub use verify::{verify, verify_for, Keyring, Status, TargetKernel, Verdict};

/// Errors from reading keys and certificates are fixed text with byte offsets: they never quote
/// the input, which may be a private key.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Trailer(#[from] trailer::TrailerError),
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("PEM: {0}")]
    Pem(pem::PemError),
    #[error("key: {0}")]
    Key(String),
    #[error("kernel image: {0}")]
    Kernel(String),
    /// The file is no kernel image of a shape kharden knows (a module, a text file...).
    #[error("not a kernel image: {0}")]
    NotKernel(String),
}
