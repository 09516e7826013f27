//! `kharden fix`: the generated files printed under a header naming each, or the line saying
//! where they were written (`--out`); and the `kharden.fix/1` JSON document
//! (docs/json-output.md).

use std::fmt;

use serde::Serialize;

use super::Render;
use crate::audit::readiness::Readiness;
use crate::remedy::fragments::{Fragment, Kind};
use crate::remedy::LeftOut;
use crate::term::clean;

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
    /// What enforcing each failing rule would break on the host (live audits only; absent
    /// from the JSON otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readiness: Vec<RuleReadiness>,
}

/// A failing rule and its readiness verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleReadiness {
    pub rule: String,
    pub readiness: Readiness,
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
            readiness: Vec::new(),
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
            super::left_out_lines(f, "", &self.left_out)?;
            return self.write_readiness(f, "");
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
        super::left_out_lines(f, "# ", &self.left_out)?;
        self.write_readiness(f, "# ")
    }
}

impl FixReport {
    /// What the changes would break here, per failing rule; behind `prefix` (`# ` when it
    /// follows printed files, so that the output stays a set of files with comments).
    fn write_readiness(&self, f: &mut fmt::Formatter<'_>, prefix: &str) -> fmt::Result {
        if self.readiness.is_empty() {
            return Ok(());
        }
        writeln!(
            f,
            "{prefix}readiness: what enforcing each failing rule would break on this host"
        )?;
        for r in &self.readiness {
            let mut text = String::new();
            super::human::write_readiness(
                &mut text,
                &super::human::Paint(false),
                &r.readiness,
                "  ",
            )?;
            writeln!(f, "{prefix}{}", clean(&r.rule))?;
            for line in text.lines() {
                writeln!(f, "{prefix}{line}")?;
            }
        }
        Ok(())
    }
}
