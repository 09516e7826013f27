//! Emitters: every output of every command, from typed values. No decisions here, only
//! rendering: audit (human.rs, json.rs), rules and explain (rules.rs), fix (fix.rs), apply
//! (apply.rs), diff (diff.rs) and modsign (modsign.rs); the formats fleets and CI read: a
//! node_exporter textfile (prometheus.rs), SARIF (sarif.rs), JUnit XML (junit.rs) and JSON
//! lines (jsonl.rs). Text bound for a terminal passes its
//! input-derived strings through [`term::clean`].

use std::fmt;

use serde::Serialize;

use crate::term;

pub mod apply;
pub mod diff;
pub mod fix;
pub mod fleet;
pub mod html;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod modsign;
pub mod prometheus;
pub mod rules;
pub mod sarif;
pub mod schema;

/// The lines that say which rules a user policy kept `fix` or `apply` from acting on, one per
/// rule, each starting with `prefix` (`# ` in `fix`'s output, which is made of files).
pub fn left_out_lines(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    left_out: &[crate::remedy::LeftOut],
) -> fmt::Result {
    use crate::remedy::LeftOutWhy;
    for l in left_out {
        let rule = term::clean(&l.rule);
        let at = term::clean(&l.at);
        match l.why {
            LeftOutWhy::Waived => writeln!(
                f,
                "{prefix}left out: {rule} is waived ({at}, {}): {}",
                l.expires
                    .as_deref()
                    .map_or("no expiry".to_string(), |d| format!("until {d}")),
                term::clean(l.reason.as_deref().unwrap_or_default())
            )?,
            LeftOutWhy::Dropped => writeln!(f, "{prefix}left out: {rule} is dropped ({at})")?,
        }
    }
    Ok(())
}

/// An audit with what the export formats add to its report: the facts it judged, the
/// profile (rule texts) and, with `--with-host`, the host's metadata.
#[derive(Clone, Copy)]
pub struct Audited<'a> {
    pub profile: &'a crate::policy::Profile,
    pub facts: &'a crate::probe::Facts,
    pub report: &'a crate::audit::Report,
    pub host: Option<&'a crate::probe::host::HostInfo>,
}

impl Audited<'_> {
    /// The status a finding is reported with in the export formats: `waived` for a waived
    /// finding, else its status.
    pub fn status_of(f: &crate::audit::Finding) -> &'static str {
        if f.waiver.is_some() {
            "waived"
        } else {
            f.status.as_str()
        }
    }
}

/// A command's result in each of its formats: human text (the value's [`fmt::Display`], which
/// propagates every write) and pretty JSON (the value's `Serialize`, with its `schema` field).
pub trait Render: Serialize + fmt::Display {
    fn human(&self) -> String {
        self.to_string()
    }

    /// Pretty JSON with a final newline.
    fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("reports serialise");
        s.push('\n');
        s
    }
}
