//! What made an output: kharden's version and the git commit it was built from, embedded by
//! build.rs (`KHARDEN_COMMIT`: the commit of the checkout, or the value of that variable in the
//! build's environment, or `unknown` for a build outside a git checkout, e.g. from a tarball).
//! Every JSON document carries it as `generator`; `kharden --version` prints it.

use serde::Serialize;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const COMMIT: &str = env!("KHARDEN_COMMIT");

/// `0.1.0 (commit 0123456789ab)`: what `--version` prints after the program's name.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("KHARDEN_COMMIT"),
    ")"
);

/// `"generator": {"name": "kharden", "version": "0.1.0", "commit": "0123456789ab"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Generator {
    pub name: &'static str,
    pub version: &'static str,
    pub commit: &'static str,
}

pub const GENERATOR: Generator = Generator {
    name: "kharden",
    version: VERSION,
    commit: COMMIT,
};
