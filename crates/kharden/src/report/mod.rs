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
