//! `kharden fix`: the generated files printed under a header naming each, or the line saying
//! where they were written (`--out`); and the `kharden.fix/1` JSON document
//! (docs/json-output.md).

use std::fmt;

use serde::Serialize;

use super::term::clean;
use super::Render;
use crate::remedy::fragments::{Fragment, Kind};
use crate::remedy::LeftOut;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FixReport {
    pub schema: &'static str,
    pub generator: crate::generator::Generator,
    pub profile: String,
    pub files: Vec<Fragment>,
    /// The directory the files were written to (`--out`); `None`: printed.
    pub written_to: Option<String>,
    /// Rules a user policy waives or drops: nothing in the files is there for them.
    pub left_out: Vec<LeftOut>,
}

impl FixReport {
    pub fn new(
        profile: &str,
        files: Vec<Fragment>,
        written_to: Option<String>,
        left_out: Vec<LeftOut>,
    ) -> FixReport {
        FixReport {
            schema: "kharden.fix/1",
            generator: crate::generator::GENERATOR,
            profile: profile.to_string(),
            files,
            written_to,
            left_out,
        }
    }
}

impl Render for FixReport {}

/// The files' texts are printed as they are: every character in them was held to its place's
/// rules when the policy was loaded (policy/remedy.rs), and a tab is part of the command-line
/// file. The `--out` directory, which the user typed, goes through [`clean`].
impl fmt::Display for FixReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(dir) = &self.written_to {
            if self.files.is_empty() {
                writeln!(f, "nothing to fix")?;
            } else {
                let names: Vec<&str> = self.files.iter().map(|x| x.name).collect();
                writeln!(f, "wrote {} in {}", names.join(", "), clean(dir))?;
            }
            return super::left_out_lines(f, "", &self.left_out);
        }
        for file in &self.files {
            let about = match file.kind {
                Kind::Kconfig => "a Kconfig fragment for merge_config.sh",
                Kind::Cmdline => "kernel command line changes",
                Kind::Sysctl | Kind::Grub => file.installed_as.unwrap_or_default(),
            };
            writeln!(f, "# ==> {} ({about})\n{}", file.name, file.text)?;
        }
        if self.files.is_empty() {
            writeln!(f, "# nothing to fix")?;
        }
        super::left_out_lines(f, "# ", &self.left_out)
    }
}
