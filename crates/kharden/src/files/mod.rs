//! The one file layer: every file kharden reads or writes goes through here.
//!
//! - [`root`]: paths on an audited system (`/` or a snapshot tree), opened by descriptor and
//!   never out of the tree; user-named files read with their type checked on the descriptor.
//! - [`write`]: atomic replacement with a mode kharden decides and unpredictable temporaries.
//! - [`lock`]: an exclusive lock on a tree, naming its holder.
//!
//! The trust model is in docs/security.md.

pub mod archive;
pub mod lock;
pub mod root;
pub mod write;

pub use root::{io_reason, read_regular, Root};

use std::path::Path;

/// The largest file read from under a root (a decompressed config is bounded separately).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// An input the user named (or a file under a tree) that cannot be used: the command stops
/// (exit 2) with one line naming the file and the problem. The path is shown with its control
/// characters escaped: it may come from a hostile tree.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct InputError {
    pub path: String,
    pub problem: String,
}

impl InputError {
    pub fn new(path: &Path, problem: impl Into<String>) -> InputError {
        InputError {
            path: crate::term::clean(&root::shown(path)).into_owned(),
            problem: problem.into(),
        }
    }

    /// The problem of an I/O error, in the user's words ("permission denied (needs root)").
    pub fn io(path: &Path, err: &std::io::Error) -> InputError {
        InputError::new(path, io_reason(err))
    }
}

/// A file the user named (a key, a certificate, a kernel image, a policy): followed as given,
/// its type checked on the descriptor read, at most `limit` bytes.
pub fn read_named(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    read_regular(path, limit).map_err(|e| InputError::io(path, &e))
}
