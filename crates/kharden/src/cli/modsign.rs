//! `kharden modsign ...` (issue 3). The signing and verification logic lives in the `modsig`
//! crate; this module only parses flags, walks paths and prints.

use clap::Subcommand;

use super::Outcome;

#[derive(Debug, Subcommand)]
pub enum ModsignCommand {
    /// Inspect the signature of modules.
    Inspect {
        /// Module files.
        modules: Vec<std::path::PathBuf>,
    },
}

pub fn run(cmd: ModsignCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ModsignCommand::Inspect { .. } => anyhow::bail!("modsign inspect is not implemented yet"),
    }
}
