//! The one file layer: every file kharden reads or writes goes through here.
//!
//! - [`root`]: paths on an audited system (`/` or a snapshot tree), opened by descriptor and
//!   never out of the tree; user-named files read with their type checked on the descriptor.
//! - [`write`]: atomic replacement with a mode kharden decides and unpredictable temporaries.
//! - [`lock`]: an exclusive lock on a tree, naming its holder.
//!
//! The trust model is in docs/security.md.

pub mod lock;
pub mod root;
pub mod write;

pub use root::{io_reason, read_regular, Root};
