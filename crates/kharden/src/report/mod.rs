//! Emitters: every output of every command, from typed values. No decisions here, only
//! rendering: audit (human.rs, json.rs), rules and explain (rules.rs), fix (fix.rs), apply
//! (apply.rs), diff (diff.rs) and modsign (modsign.rs). Text bound for a terminal passes its
//! input-derived strings through [`term::clean`].

use std::fmt;

use serde::Serialize;

pub mod apply;
pub mod diff;
pub mod fix;
pub mod human;
pub mod json;
pub mod modsign;
pub mod rules;
pub mod term;

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
